#!/usr/bin/env bash
# bench-propagation.sh — how long a commit pushed to a git server takes to
# be served by three gateway replicas following the branch (see the target
# in DESIGN.md: commit on a local git server → 3 replicas serving it <= 2 s
# with the webhook; polling only, <= the poll interval + 1 s).
#
# usage: scripts/bench-propagation.sh [-b FRONTDOOR_BINARY] [-n PUSHES]
#                                     [-m POLL_PUSHES] [-p POLL] [--quick]
#
#   -b FILE   use this frontdoor binary instead of building one
#   -n N      pushes with the webhook (default 10)
#   -m N      pushes with polling only (default 5)
#   -p DUR    poll interval of the polling-only run (default 2s)
#   --quick   3 and 2 pushes (a smoke test)
#
# Setup (test/e2e, the same as its replicas test): a git daemon on
# loopback serving a bare repository; a work tree holding
# examples/national-health-platform, pushed to with the git command line;
# three `frontdoor serve --source git --state DIR` processes on loopback and
# two tiny upstreams. Each push moves the open ukhsa/dashboard-metrics API's
# sandbox upstream to the other upstream; a replica serves the commit when a
# request through its gateway reaches the new upstream with the commit's
# generation in X-Frontdoor-Generation (and /status shows the commit).
# Timed from the push returning to the last of the three serving it.
#   webhook: replicas poll hourly; the script POSTs a signed
#            (X-Hub-Signature-256) body to each replica's /-/sync at once,
#            as a forge fans out to its hooks; pushes follow each other.
#   polling: no webhook; each push waits a random part of the poll interval
#            first, so pushes land at every phase of the replicas' polls.
# Writes out/bench/propagation.{txt,json}.
set -euo pipefail
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

fdbin="" n=10 m=5 poll=2s
while [ $# -gt 0 ]; do
	case $1 in
	-b) fdbin=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	-m) m=$2; shift 2 ;;
	-p) poll=$2; shift 2 ;;
	--quick) n=3; m=2; shift ;;
	*) bench_other "$1" ;;
	esac
done

[ -z "$fdbin" ] || fdbin=$(realpath "$fdbin")
bench_root
command -v git >/dev/null || die "missing git (apt-get install git)"
outdir=$root/out/bench
mkdir -p "$outdir"
bin=()
[ -z "$fdbin" ] || bin=(-bin "$fdbin")

{
	echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	echo "git $(git --version | awk '{ print $3 }'); $n pushes with the webhook, $m polling every $poll"
	echo
	go run ./tools/propagation "${bin[@]}" -webhook-pushes "$n" -poll-pushes "$m" -poll "$poll" -json "$outdir/propagation.json"
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
} | tee "$outdir/propagation.txt"
