#!/usr/bin/env bash
# bench.sh — every benchmark (`make bench`), one after the other on one L
# corpus, then one summary of the measures that have targets (DESIGN.md,
# "Targets"; results and how to read them in BENCHMARKS.md).
#
# usage: scripts/bench.sh [--quick] [--no-cue] [--pin] [--keep] [-w WORKDIR]
#
#   --quick   smoke test: short runs, no cue export, no chart in docs/
#   --no-cue  skip `cue export` in bench-compile.sh
#   --pin     pin load generators and servers apart (bench-gateway/-swap)
#   --keep    keep the work directory
#   -w DIR    work directory (the L corpus in it is reused)
#
#   1. scripts/bench-compile.sh -s L   compile the L corpus, vs cue export
#   2. scripts/bench-swap.sh           swap time; one swap/s under wrk and vegeta,
#                                      3 rounds of 30 s runs (about 25 minutes)
#   3. scripts/bench-gateway.sh        frontdoor vs nginx vs Caddy, route
#                                      scale, RSS with the L snapshot
#   4. scripts/bench-propagation.sh    push to three replicas serving (webhook, polling)
# Each step is bounded (6 + 35 + 5 + 3 minutes at most) and uses loopback only.
# Outputs: out/bench/{compile,swap,gateway}.txt, swap.json, gateway.{json,csv,svg},
# out/bench/summary.txt; a full run also writes docs/bench-gateway.svg.
set -euo pipefail
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

quick=0 cue=1 pin=0 keep=0 work=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; cue=0; shift ;;
	--no-cue) cue=0; shift ;;
	--pin) pin=1; shift ;;
	--keep) keep=1; shift ;;
	-w) work=$2; shift 2 ;;
	*) bench_other "$1" ;;
	esac
done

bench_root
bench_work bench
out=$root/out/bench
mkdir -p "$out"
start=$(date +%s)
status=0

opts=()
[ "$quick" = 0 ] || opts+=(--quick)
[ "$pin" = 0 ] || opts+=(--pin)

# step NAME TIMEOUT CMD...: run one benchmark, keep its stdout in
# out/bench/NAME.txt (the scripts write their own too), carry on if it fails.
step() {
	local name=$1 limit=$2; shift 2
	log "== $name ($*; at most ${limit}s)"
	local t0 rc=0
	t0=$(date +%s)
	timeout --foreground -k 10 "$limit" "$@" >"$out/$name.log" || rc=$?
	if [ "$rc" = 0 ]; then
		log "$name done in $(($(date +%s) - t0)) s"
	else
		log "$name FAILED (exit $rc$([ "$rc" = 124 ] && echo ', timed out' || true)) after $(($(date +%s) - t0)) s; see out/bench/$name.log"
		status=1
	fi
}

compile_opts=(-s L -w "$work")
[ "$cue" = 1 ] || compile_opts+=(--no-cue)
step compile 360 scripts/bench-compile.sh "${compile_opts[@]}"
cp "$out/compile.log" "$out/compile.txt"
bin=()
[ -x "$work/bin/frontdoor" ] && bin=(-b "$work/bin/frontdoor")
step swap 2100 scripts/bench-swap.sh -w "$work" "${bin[@]}" "${opts[@]}"
step gateway 300 scripts/bench-gateway.sh -w "$work" "${bin[@]}" "${opts[@]}"
prop_opts=()
[ "$quick" = 1 ] && prop_opts+=(--quick)
step propagation 180 scripts/bench-propagation.sh "${bin[@]}" "${prop_opts[@]}"

# Summary: the lines with a target, from each report.
{
	echo "frontdoor benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?') + working tree$([ "$quick" = 1 ] && echo ' (--quick: short runs, not for the record)' || true)"
	echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| benchmark | measure (target) |"
	echo "|---|---|"
	for name in compile swap gateway propagation; do
		f=$out/$name.txt
		[ -f "$f" ] || { echo "| $name | no report (failed) |"; continue; }
		if ! grep -h 'target' "$f" | sed "s/^/| $name | /; s/\$/ |/" | grep .; then
			# bench-compile --no-cue has no ratio: show frontdoor's row.
			awk -F'|' -v n="$name" '$2 ~ /frontdoor/ { for (i = 2; i <= 5; i++) gsub(/^ +| +$/, "", $i); printf "| %s | frontdoor: wall %s s, CPU %s s, peak RSS %s MiB (no cue export to compare with) |\n", n, $3, $4, $5 }' "$f"
		fi
	done
	echo
	echo "total: $(($(date +%s) - start)) s; full reports in out/bench/"
} | tee "$out/summary.txt"
exit "$status"
