# Conveniences; CI runs .ci/run, which runs the README's test command.
FUZZTIME ?= 30s
FUZZ_TARGETS = FuzzSign FuzzVerifySign FuzzParsePayNotify FuzzParseRefundNotify FuzzResponse FuzzSignedRequest
FUZZ_TARGETS_WIRE = FuzzScan FuzzRoundTrip

.PHONY: test bench fuzz quickstart

test:
	go test -race ./...

# Runs the speed-target benchmarks and rewrites BENCHMARKS.md.
bench:
	scripts/bench.sh 8

# Runs every fuzz target for FUZZTIME each, e.g. make fuzz FUZZTIME=10m.
fuzz:
	for t in $(FUZZ_TARGETS); do go test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) . || exit 1; done
	for t in $(FUZZ_TARGETS_WIRE); do go test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./internal/wire || exit 1; done

quickstart:
	go run ./examples/quickstart
