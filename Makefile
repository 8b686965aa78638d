# Conveniences; CI runs .ci/run, which runs the README's test command.
FUZZTIME ?= 30s

.PHONY: test bench fuzz quickstart

test:
	go test -race ./...

# Runs the speed-target benchmarks and rewrites BENCHMARKS.md.
bench:
	scripts/bench.sh 8

# Runs every fuzz target for FUZZTIME each: a duration (make fuzz FUZZTIME=10m)
# or a count of executions (make fuzz FUZZTIME=1000000x).
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

quickstart:
	go run ./examples/quickstart
