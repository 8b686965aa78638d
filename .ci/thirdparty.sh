#!/usr/bin/env bash
# cmd/wxpaytest walked by WeChat Pay v2 clients nobody here wrote, called
# by .ci/run as
#   bash .ci/thirdparty.sh
#
# 1. Builds cmd/wxpaytest and starts it on free loopback ports with -out
#    (CA, merchant certificates, .p12, wxpaytest.json), -state and
#    -notify-sign-type (tenpay verifies a notify with the sign type the
#    message names).
# 2. Installs the npm package tenpay into a scratch directory and runs
#    .ci/thirdparty/tenpay.test.js against the binary: unified order → pay
#    through the control API → tenpay's notify middleware verifies the
#    notify → (the binary is killed and restarted on the same -state) →
#    order query → refund over mutual TLS with the .p12 → tenpay decrypts
#    the refund notify; then a FAIL payment and a forged notify.
# 3. Runs .ci/thirdparty/go (its own module) against the same binary:
#    silenceper/wechat/v2 orders, verifies the notify, loads the .p12 with
#    golang.org/x/crypto/pkcs12 for a refund and decrypts the refund
#    notify; its QueryOrder and Refund, which marshal their requests under
#    <queryRequest> and <request> instead of <xml>, are refused as WeChat
#    refuses them.
# 4. Builds the Dockerfile when a container engine answers (docker info);
#    never required.
#
# No PHP or Python WeChat Pay v2 client is packaged by Debian (apt-cache
# search wechat / weixin / wxpay finds none) or published on npm, and
# PyPI and Packagist are not reachable from CI, so tenpay (Node) and
# silenceper/wechat (Go, the one Go SDK the module proxy here serves) are
# the third-party clients.
#
# Every file it makes lives in a scratch directory removed on exit, with
# the processes it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$PATH:/usr/local/go/bin"
T0=$(date +%s)
TENPAY_VERSION=2.1.18

say() { echo "[thirdparty $(($(date +%s) - T0))s] $*"; }

WORK=$(mktemp -d /tmp/wxpaytest-3p.XXXXXX)
cleanup() {
	local rc=$?
	if [ -f "$WORK/pid" ]; then
		kill "$(cat "$WORK/pid")" 2>/dev/null || true
	fi
	if [ "$rc" != 0 ] && [ -f "$WORK/wxpaytest.log" ]; then
		echo "---- wxpaytest log (last 40 lines)" >&2
		tail -40 "$WORK/wxpaytest.log" >&2
	fi
	rm -rf "$WORK"
	say "done (exit $rc)"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

command -v node >/dev/null || { echo "node is needed for the third-party walk" >&2; exit 1; }

say "building cmd/wxpaytest"
go build -o "$WORK/wxpaytest" ./cmd/wxpaytest

API_PORT=$(free_port)
CONTROL_PORT=$(free_port)
cat >"$WORK/start.sh" <<START
#!/usr/bin/env bash
# Starts the binary in the background and waits until it answers.
"$WORK/wxpaytest" -addr 127.0.0.1:$API_PORT -control 127.0.0.1:$CONTROL_PORT \\
	-out "$WORK/out" -state "$WORK/state.json" -notify-sign-type >>"$WORK/wxpaytest.log" 2>&1 &
echo \$! >"$WORK/pid"
for i in \$(seq 1 100); do
	node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \\
		"http://127.0.0.1:$CONTROL_PORT/healthz" && exit 0
	sleep 0.1
done
echo "wxpaytest did not start" >&2
exit 1
START
cat >"$WORK/restart.sh" <<RESTART
#!/usr/bin/env bash
# Kills the binary outright (no chance to save on the way out) and starts
# it again on the same state file.
pid=\$(cat "$WORK/pid")
kill -KILL "\$pid"
while kill -0 "\$pid" 2>/dev/null; do sleep 0.05; done
echo "[thirdparty] wxpaytest killed; starting it again on the same -state"
exec bash "$WORK/start.sh"
RESTART

say "starting wxpaytest on https://127.0.0.1:$API_PORT (control http://127.0.0.1:$CONTROL_PORT)"
bash "$WORK/start.sh"
ls "$WORK/out"

say "installing tenpay@$TENPAY_VERSION from npm"
mkdir -p "$WORK/node"
cp .ci/thirdparty/package.json .ci/thirdparty/tenpay.test.js "$WORK/node/"
(cd "$WORK/node" && timeout 180 npm install --no-audit --no-fund --no-package-lock --loglevel=error)

say "tenpay against the binary"
(cd "$WORK/node" && NODE_EXTRA_CA_CERTS="$WORK/out/ca.pem" WXPAYTEST_OUT="$WORK/out" \
	WXPAYTEST_RESTART="bash $WORK/restart.sh" timeout 180 node --test --test-reporter=spec tenpay.test.js)

say "silenceper/wechat/v2 (Go) against the binary"
(cd .ci/thirdparty/go && GOWORK=off SSL_CERT_FILE="$WORK/out/ca.pem" WXPAYTEST_OUT="$WORK/out" timeout 300 go test -count=1 -v ./... 2>&1 |
	grep -vE 'http: TLS handshake error' )

say "the binary's log has one line per request and notify attempt"
grep -c 'msg=request' "$WORK/wxpaytest.log" | sed 's/^/request lines: /'
grep -c 'msg=notify' "$WORK/wxpaytest.log" | sed 's/^/notify lines: /'

if command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then
	say "docker build (a container engine answers)"
	timeout 600 docker build -t wxpaytest:ci -f "$ROOT/Dockerfile" "$ROOT"
else
	say "no container engine answers: Dockerfile not built"
fi
