#!/usr/bin/env bash
# CI of examples/shop, called by the repository's .ci/run as
#   bash examples/shop/ci.sh
#
# 1. Node end to end: builds the shop, installs the real apifm-wxapi client
#    from npm into a scratch directory and walks the shop with it
#    (e2e/shop.test.js) twice, each time on a free loopback port with a new
#    SQLite database and restarted whenever it exits, as a service manager
#    would: in development mode with its in-process fake WeChat Pay, then
#    against the standalone fake, cmd/wxpaytest, built and started here
#    with a scratch -out directory and -state file (-wxpaytest-json).
# 2. Go: go vet, then go test ./... of the shop module, against SQLite and,
#    when PostgreSQL could be installed and started here, against a scratch
#    PostgreSQL cluster on loopback too (SHOP_TEST_POSTGRES_DSN); the
#    console's browser test in Debian's Chromium (installed as root); then
#    the load test (16 and 64 concurrent buyers) alone.
#
# Idempotent and self-contained: every file it makes lives in a scratch
# directory removed on exit, with the processes it started. Works as root
# (installs PostgreSQL from Debian's packages if missing) or as a user
# (PostgreSQL then only if already installed). Each step has a time limit.
# Set SHOP_CI_REQUIRE_POSTGRES=1 to fail when PostgreSQL is unavailable,
# SHOP_CI_SKIP_POSTGRES=1 to run the Go suite on SQLite only.
set -euo pipefail

cd "$(dirname "$0")"
SHOP_DIR=$(pwd)
export PATH="$PATH:/usr/local/go/bin"
T0=$(date +%s)
APIFM_VERSION=26.9.21

say() { echo "[shop-ci $(($(date +%s) - T0))s] $*"; }
run() {
	echo "+ $*"
	"$@"
}

WORK=$(mktemp -d /tmp/shop-ci.XXXXXX)
chmod 755 "$WORK" # the postgres user must reach its data directory
SUPERVISOR_PID=""
WXPAYTEST_PID=""
PG_BIN=""
PG_DATA="$WORK/pg/data"

cleanup() {
	local rc=$?
	if [ -n "$SUPERVISOR_PID" ]; then
		kill "$SUPERVISOR_PID" 2>/dev/null || true # the supervisor stops its shop (trap below)
		wait "$SUPERVISOR_PID" 2>/dev/null || true
	fi
	if [ -n "$WXPAYTEST_PID" ]; then
		kill "$WXPAYTEST_PID" 2>/dev/null || true
		wait "$WXPAYTEST_PID" 2>/dev/null || true
	fi
	if [ -n "$PG_BIN" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
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

# ---------------------------------------------------------------- tools
command -v go >/dev/null || { echo "go not found" >&2; exit 1; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		say "installing Node.js from Debian's packages"
		export DEBIAN_FRONTEND=noninteractive
		timeout 180 apt-get install -y nodejs npm || { timeout 120 apt-get update && timeout 180 apt-get install -y nodejs npm; }
	fi
fi
node_major=$(node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0)
if [ "$node_major" -lt 18 ]; then
	echo "Node.js 18 or newer is needed for the end-to-end test (fetch, node:test); found: $(node --version 2>/dev/null || echo none)" >&2
	exit 1
fi
say "go: $(go version | cut -d' ' -f3), node: $(node --version), npm: $(npm --version 2>/dev/null)"

# ---------------------------------------------------------------- Chromium
# The console's browser test drives Debian's Chromium; a CJK font makes
# its screenshots readable. As root it is installed and then required.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ]; then
	say "installing Chromium from Debian's packages"
	export DEBIAN_FRONTEND=noninteractive
	if ! timeout 300 apt-get install -y --no-install-recommends chromium fonts-wqy-microhei >"$WORK/apt-chromium.log" 2>&1; then
		timeout 120 apt-get update >>"$WORK/apt-chromium.log" 2>&1 || true
		timeout 300 apt-get install -y --no-install-recommends chromium fonts-wqy-microhei >>"$WORK/apt-chromium.log" 2>&1 || tail -5 "$WORK/apt-chromium.log"
	fi
fi
if command -v chromium >/dev/null; then
	export SHOP_REQUIRE_BROWSER=1
	say "browser: $(chromium --version 2>/dev/null | head -1)"
else
	say "WARNING: no Chromium; the console's browser test is skipped"
fi

# ---------------------------------------------------------------- build
say "building the shop"
run go build -o "$WORK/shop" .

# ---------------------------------------------------------------- PostgreSQL
# A scratch cluster of our own on a free port: whatever the machine's
# default cluster does (absent, stopped, on 5432 for someone else) does not
# matter, and nothing is left behind.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

start_postgres() {
	[ "${SHOP_CI_SKIP_POSTGRES:-0}" = 1 ] && { say "PostgreSQL skipped (SHOP_CI_SKIP_POSTGRES=1)"; return 1; }
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
	if [ -z "$PG_BIN" ] && [ "$(id -u)" = 0 ]; then
		say "installing PostgreSQL from Debian's packages"
		export DEBIAN_FRONTEND=noninteractive
		# Without package lists (a fresh machine) the first try fails at
		# once; apt-get update and try again.
		if ! timeout 180 apt-get install -y postgresql >"$WORK/apt.log" 2>&1; then
			timeout 120 apt-get update >>"$WORK/apt.log" 2>&1 || true
			timeout 180 apt-get install -y postgresql >>"$WORK/apt.log" 2>&1 || { tail -5 "$WORK/apt.log"; return 1; }
		fi
		PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
	fi
	[ -n "$PG_BIN" ] || { say "PostgreSQL is not installed and cannot be installed (not root)"; return 1; }
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || { say "no postgres user"; return 1; }
		install -d -o postgres -m 700 "$WORK/pg"
	else
		install -d -m 700 "$WORK/pg"
	fi
	local port
	port=$(free_port)
	echo "+ as_pg $PG_BIN/initdb -D $PG_DATA -U postgres -A trust --no-locale -E UTF8 --no-sync"
	as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --no-locale -E UTF8 --no-sync >"$WORK/pg-initdb.log" 2>&1 ||
		{ tail -20 "$WORK/pg-initdb.log"; return 1; }
	run as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $WORK/pg -c fsync=off -c synchronous_commit=off -c max_connections=200" start ||
		{ tail -20 "$WORK/pg/server.log" 2>/dev/null; return 1; }
	PG_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

PG_DSN=""
PG_STATE="skipped"
if start_postgres; then
	PG_STATE="PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1"
	say "$PG_STATE: $PG_DSN"
else
	say "WARNING: PostgreSQL unavailable; the Go suite runs against SQLite only"
	PG_BIN=""
	[ "${SHOP_CI_REQUIRE_POSTGRES:-0}" = 1 ] && exit 1
fi

# ---------------------------------------------------------------- backend
# The shop runs under a supervisor that restarts it whenever it exits, as
# a service manager would: the end-to-end test restarts it by sending it
# SIGTERM, and it comes back on the same address and database.
cat >"$WORK/supervise.sh" <<'SUP'
#!/usr/bin/env bash
# supervise.sh LOG PIDFILE COMMAND [ARGS...]
log=$1 pidfile=$2
shift 2
child=""
stopping=""
trap 'stopping=1; [ -n "$child" ] && kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
while [ -z "$stopping" ]; do
	"$@" >>"$log" 2>&1 &
	child=$!
	echo "$child" >"$pidfile"
	wait "$child" || true
	sleep 0.2
done
SUP
ADMIN_TOKEN="ci-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

wait_for() { # wait_for URL LOG WHAT: until URL answers 2xx, 30 s at most
	for i in $(seq 1 150); do
		node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1" && return 0
		sleep 0.2
	done
	echo "$3 did not start:" >&2
	tail -40 "$2" >&2
	return 1
}

# e2e NAME [SHOP FLAG...]: starts the shop with those flags on a free
# loopback port and a new SQLite database, and walks it with
# e2e/shop.test.js; extra environment for the test is in E2E_ENV.
E2E_ENV=()
e2e() {
	local name=$1
	shift
	local dir="$WORK/e2e-$name" port url rc=0
	mkdir -p "$dir"
	port=$(free_port)
	url="http://127.0.0.1:$port"
	say "e2e ($name): the shop on $url, database $dir/shop.db"
	bash "$WORK/supervise.sh" "$dir/shop.log" "$dir/shop.pid" "$WORK/shop" -addr "127.0.0.1:$port" -db "$dir/shop.db" \
		-admin-token "$ADMIN_TOKEN" -hx-uids 1 -log-level info "$@" &
	SUPERVISOR_PID=$!
	wait_for "$url/healthz" "$dir/shop.log" "the shop" || rc=1
	if [ "$rc" = 0 ]; then
		(cd "$WORK/e2e" && env SHOP_URL="$url" SHOP_ADMIN_TOKEN="$ADMIN_TOKEN" SHOP_PIDFILE="$dir/shop.pid" ${E2E_ENV[@]+"${E2E_ENV[@]}"} \
			timeout 180 node --test --test-reporter=spec shop.test.js) || rc=$?
	fi
	if grep -q "panic" "$dir/shop.log"; then
		echo "the shop panicked:" >&2
		grep -A20 panic "$dir/shop.log" >&2
		rc=1
	fi
	if [ "$rc" != 0 ]; then
		echo "---- shop log (last 60 lines)" >&2
		tail -60 "$dir/shop.log" >&2
	fi
	kill "$SUPERVISOR_PID" 2>/dev/null || true
	wait "$SUPERVISOR_PID" 2>/dev/null || true
	SUPERVISOR_PID=""
	say "e2e ($name): exit $rc"
	return "$rc"
}

# ---------------------------------------------------------------- Node e2e
say "installing apifm-wxapi@$APIFM_VERSION from npm"
mkdir -p "$WORK/e2e"
cp e2e/package.json e2e/shop.test.js "$WORK/e2e/"
(cd "$WORK/e2e" && run timeout 180 npm install --no-audit --no-fund --no-package-lock --loglevel=error)

e2e_rc=0
# 1. Development mode as 'go run .' gives it: the in-process wxpaytest,
#    the buyer paying through the shop's /dev/wxpay/confirm.
e2e in-process || e2e_rc=1

# 2. Against the standalone fake, cmd/wxpaytest, as a backend in another
#    language would test: the shop configured by the wxpaytest.json it
#    writes (-wxpaytest-json), over verified TLS to its own CA, the buyer
#    paying through the binary's control API. Ports are the kernel's
#    (:0); wxpaytest.json says which.
say "building cmd/wxpaytest"
(cd ../.. && run go build -o "$WORK/wxpaytest" ./cmd/wxpaytest)
mkdir -p "$WORK/wxpaytest-out"
"$WORK/wxpaytest" -addr 127.0.0.1:0 -control 127.0.0.1:0 -out "$WORK/wxpaytest-out" -state "$WORK/wxpaytest-state.json" \
	>"$WORK/wxpaytest.log" 2>&1 &
WXPAYTEST_PID=$!
WXPAYTEST_JSON="$WORK/wxpaytest-out/wxpaytest.json"
for i in $(seq 1 150); do
	CONTROL_URL=$(node -e 'try { console.log(require(process.argv[1]).control_url) } catch { process.exit(1) }' "$WXPAYTEST_JSON" 2>/dev/null) && break
	kill -0 "$WXPAYTEST_PID" 2>/dev/null || break
	sleep 0.2
done
if [ -n "${CONTROL_URL:-}" ] && wait_for "$CONTROL_URL/healthz" "$WORK/wxpaytest.log" "cmd/wxpaytest"; then
	say "cmd/wxpaytest: control API $CONTROL_URL, files in $WORK/wxpaytest-out"
	E2E_ENV=(WXPAYTEST_CONTROL_URL="$CONTROL_URL")
	e2e wxpaytest-binary -wxpaytest-json "$WXPAYTEST_JSON" || e2e_rc=1
	E2E_ENV=()
else
	echo "cmd/wxpaytest did not start:" >&2
	cat "$WORK/wxpaytest.log" >&2
	e2e_rc=1
fi
kill "$WXPAYTEST_PID" 2>/dev/null || true
wait "$WXPAYTEST_PID" 2>/dev/null || true
WXPAYTEST_PID=""
if grep -q "panic" "$WORK/wxpaytest.log"; then
	echo "cmd/wxpaytest panicked:" >&2
	grep -A20 panic "$WORK/wxpaytest.log" >&2
	e2e_rc=1
fi

# ---------------------------------------------------------------- Go
say "go vet and go test ($([ -n "$PG_DSN" ] && echo "SQLite and $PG_STATE" || echo "SQLite only"))"
run go vet ./...
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted" >&2; exit 1; }
go_rc=0
SHOP_TEST_POSTGRES_DSN="$PG_DSN" run timeout 420 go test -count=1 -skip '^TestLoad$' ./... || go_rc=$?

# The load test alone, so that no other test takes its CPU. Errors and
# wrong balances fail it; its speed targets are printed, and enforced only
# with SHOP_LOAD_STRICT=1 on a machine of its own (a shared CI machine
# times its neighbours).
say "load test: 16 and 64 concurrent buyers"
load_rc=0
SHOP_TEST_POSTGRES_DSN="$PG_DSN" run timeout 180 go test -count=1 -run '^TestLoad$' -v ./internal/api >"$WORK/load.log" 2>&1 || load_rc=$?
grep -E 'buyers|target missed|^(---|ok|FAIL|PASS)|load_test' "$WORK/load.log" || true
[ "$load_rc" = 0 ] || go_rc=1

say "summary: e2e exit $e2e_rc, go test exit $go_rc (load $load_rc), postgres: $PG_STATE"
[ "$e2e_rc" = 0 ] && [ "$go_rc" = 0 ]
