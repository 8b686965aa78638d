#!/usr/bin/env bash
# Runs every fuzz target of the wxpay package in turn, each for FUZZTIME: a
# duration (30s, 10m) or a count of executions (50000x).
#
# The targets are the ones `go test -list` finds, so a new target is fuzzed
# without being listed anywhere.
#
# With a duration, Go's fuzz coordinator can fail a target that found
# nothing, printing a bare "context deadline exceeded" just past the
# deadline (go.dev/issue/75804; Go 1.26 still has it). Such a failure wrote no
# failing input; it is retried once, and any other failure is final. A
# count has no deadline to race, which is why CI gives counts.
#
# Usage: scripts/fuzz.sh [FUZZTIME]   (default 30s)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

targets=$(go test -list '^Fuzz' . | grep '^Fuzz' || true)
[ -n "$targets" ] || { echo "fuzz.sh: go test -list found no fuzz targets" >&2; exit 1; }

for t in $targets; do
	for try in 1 2; do
		if go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" . >"$out" 2>&1; then
			echo "$t: $(grep '^fuzz: elapsed' "$out" | tail -n 1 | sed 's/^fuzz: //')"
			break
		fi
		if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
			echo "$t: the fuzz coordinator's own deadline race (go.dev/issue/75804), no failing input; once more"
			continue
		fi
		cat "$out"
		exit 1
	done
done
