#!/usr/bin/env bash
# Runs every fuzzer in the repository, one after another, for FUZZTIME each
# (go test's -fuzztime: 10m, 30s, 1000x); FUZZ, a regular expression, picks
# some of them by "./package FuzzName". Prints one line per fuzzer and fails if any failed
# (the failing input is then in that package's testdata/fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10m}
pick=${FUZZ:-.}

failed=0
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	[[ "$pkg $name" =~ $pick ]] || continue
	log=$(mktemp)
	start=$SECONDS
	if go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
		result=ok
	else
		result=FAIL
		failed=1
	fi
	printf '%-4s %-55s %s (%ds)\n' "$result" "$pkg $name" "$(grep -Eo 'execs: [0-9]+' "$log" | tail -1)" $((SECONDS - start))
	[ "$result" = ok ] || sed 's/^/    /' "$log" | tail -30
	rm -f "$log"
done < <(git grep -o -E '^func Fuzz[A-Za-z0-9_]*' -- '*_test.go' | sed 's/func //' | sort)
exit $failed
