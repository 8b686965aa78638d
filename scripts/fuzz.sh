#!/usr/bin/env bash
# Runs every fuzz target of the module's packages in turn, each for
# FUZZTIME: a duration (30s, 10m) or a count of executions (50000x).
#
# The targets are the ones `go test -list` finds in each package, so a new
# target, or a package of them, is fuzzed without being listed anywhere.
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

found=0
for pkg in $(go list ./...); do
	list=$(go test -list '^Fuzz' "$pkg" 2>&1) || { printf '%s\n' "$list" >&2; exit 1; }
	name=${pkg#github.com/wxpay-go/}
	for t in $(printf '%s\n' "$list" | grep '^Fuzz' || true); do
		found=$((found + 1))
		for try in 1 2; do
			if go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" "$pkg" >"$out" 2>&1; then
				echo "$name.$t: $(grep '^fuzz: elapsed' "$out" | tail -n 1 | sed 's/^fuzz: //')"
				break
			fi
			if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
				echo "$name.$t: the fuzz coordinator's own deadline race (go.dev/issue/75804), no failing input; once more"
				continue
			fi
			cat "$out"
			exit 1
		done
	done
done
[ "$found" -gt 0 ] || { echo "fuzz.sh: go test -list found no fuzz targets" >&2; exit 1; }
