#!/usr/bin/env bash
# bench-swap.sh — how long a snapshot swap takes, and what one swap per
# second does to requests in flight (see the targets in DESIGN.md: swap of
# an L snapshot <= 500 ms; one swap per second under load: 0 failed
# requests, p99 <= 1.2x steady).
#
# usage: scripts/bench-swap.sh [-d SECONDS] [-w WORKDIR] [-L SNAPSHOT]
#                              [-b FRONTDOOR_BINARY] [--quick] [--pin]
#                              [--no-gobench] [--no-install]
#
#   -d SECONDS     length of the run under swaps, one swap per second
#                  (default 30); the steady run before it lasts as long
#   -w DIR         work directory (default: a new temporary one); an L
#                  snapshot at DIR/out/snapshot.json (bench-compile.sh -w DIR
#                  leaves one) is reused
#   -L FILE        the snapshot to swap (default: the L one from -w, else
#                  generated with fdcorpus -size L + frontdoor build)
#   -b FILE        use this frontdoor binary instead of building one
#   --quick        5-second runs, the example platform's snapshot instead of
#                  L unless -L is given, Go benchmark once (a smoke test)
#   --pin          pin wrk to the last CPU, the servers to the others
#   --no-gobench   skip the Go benchmark
#   --no-install   fail instead of apt-get installing wrk
#
# 1. Go benchmark (runtime/store): BenchmarkLoadLarge (a cold verifier:
#    schema + signature + decode + consistency + memdb build of the L
#    snapshot, then the swap) and BenchmarkLoadLargeChange (the usual swap:
#    same items but one), in process, no HTTP.
# 2. End to end: `frontdoor serve --source file --trust` serving the
#    snapshot (every upstream rewritten to a local nginx `return 200`, a
#    bench API key granted), wrk -t2 -c64 for D seconds steady, then D
#    seconds while `fdbench feed` writes a new signed generation of it every
#    second (signature, digest and snapshot renamed into place together).
#    Failed requests are wrk's non-2xx responses plus its socket errors.
#    Swap times are the controller's own ("snapshot activated ... took=",
#    verify + load + swap), from the gateway's log. The feeder runs on the
#    same machine: re-signing an L snapshot costs it ~0.2 s of CPU a second.
# Writes out/bench/swap.{txt,json}.
set -euo pipefail

dur=30 work="" snap="" fdbin="" quick=0 pin=0 gobench=1 install=1
while [ $# -gt 0 ]; do
	case $1 in
	-d) dur=$2; shift 2 ;;
	-w) work=$2; shift 2 ;;
	-L) snap=$2; shift 2 ;;
	-b) fdbin=$2; shift 2 ;;
	--quick) quick=1; dur=5; shift ;;
	--pin) pin=1; shift ;;
	--no-gobench) gobench=0; shift ;;
	--no-install) install=0; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-swap: unknown argument $1" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { printf 'bench-swap: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
. "$root/scripts/bench-lib.sh"
trap_rm=""
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/frontdoor-bench.XXXXXX")
	trap_rm=$work
fi
run=$work/swap
rm -rf "$run"; mkdir -p "$run" "$work/bin"
outdir=$root/out/bench
mkdir -p "$outdir"

pids=()
trap cleanup EXIT

# 1. The Go benchmark.
gb_cold="" gb_change=""
if [ "$gobench" = 1 ]; then
	bt=3x
	[ "$quick" = 0 ] || bt=1x
	log "go test -bench LoadLarge ./runtime/store (benchtime $bt)"
	if go test -run '^$' -bench '^BenchmarkLoadLarge(Change)?$' -benchtime "$bt" -count 1 ./runtime/store >"$run/gobench.txt" 2>&1; then
		gb_cold=$(awk '$1 ~ /^BenchmarkLoadLarge(-[0-9]+)?$/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ns/op") printf "%.0f", $i / 1e6 }' "$run/gobench.txt")
		gb_change=$(awk '$1 ~ /^BenchmarkLoadLargeChange(-[0-9]+)?$/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ns/op") printf "%.0f", $i / 1e6 }' "$run/gobench.txt")
		[ -n "$gb_cold$gb_change" ] || log "no LoadLarge benchmark in runtime/store (yet): skipped"
	else
		log "the Go benchmark failed:"; tail -20 "$run/gobench.txt" >&2
	fi
fi

# 2. End to end.
if ! command -v wrk >/dev/null; then
	[ "$install" = 1 ] || die "missing wrk (apt-get install wrk)"
	log "installing wrk"
	if [ "$(id -u)" = 0 ]; then s=""; else s=sudo; fi
	DEBIAN_FRONTEND=noninteractive $s apt-get install -y -qq wrk >/dev/null 2>&1 ||
		{ $s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $s apt-get install -y -qq wrk >/dev/null; }
fi
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || die "missing nginx for the upstream (scripts/bench-gateway.sh installs it)"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [ -z "$fdbin" ]; then
	log "building frontdoor"
	go build -o "$work/bin/frontdoor" ./cmd/frontdoor
	fdbin=$work/bin/frontdoor
fi
go build -o "$work/bin/fdbench" ./cmd/fdbench
fd=$fdbin fdb=$work/bin/fdbench

srv=() gen=()
ncpu=$(nproc)
if [ "$pin" = 1 ] && [ "$ncpu" -ge 2 ]; then
	srv=(taskset -c "0-$((ncpu - 2))") gen=(taskset -c "$((ncpu - 1))")
fi
base=${BENCH_PORT_BASE:-18081}
p_up=$((base + 10)) p_fd=$((base + 11)) p_admin=$((base + 12))
for p in $p_up $p_fd $p_admin; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use (set BENCH_PORT_BASE)"; fi
done

# The snapshot to swap.
if [ -z "$snap" ]; then
	if [ "$quick" = 1 ]; then
		"$fd" build examples/national-health-platform -o "$run/example" >/dev/null 2>"$run/build.log" || { cat "$run/build.log" >&2; die "building the example failed"; }
		snap=$run/example/snapshot.json
	elif [ -f "$work/out/snapshot.json" ]; then
		snap=$work/out/snapshot.json
	else
		log "generating and compiling the L corpus"
		go build -o "$work/bin/fdcorpus" ./cmd/fdcorpus
		[ -f "$work/corpus-L.done" ] || { rm -rf "$work/corpus-L"; "$work/bin/fdcorpus" -size L -o "$work/corpus-L" -q; touch "$work/corpus-L.done"; }
		"$fd" build "$work/corpus-L" -o "$work/out" >/dev/null 2>"$run/build-L.log" || { tail "$run/build-L.log" >&2; die "building L failed"; }
		snap=$work/out/snapshot.json
	fi
fi
key=bench-$RANDOM$RANDOM
"$fd" keygen -o "$run/k" >/dev/null
"$fdb" prepare -in "$snap" -o "$run/base" -upstream "http://127.0.0.1:$p_up" -apikey "$key" \
	-sign-key "$run/k.key" -generation 1 >"$run/base.env"
path=$(sed -n 's/^path=//p' "$run/base.env")/bench
mib=$(( $(sed -n 's/^bytes=//p' "$run/base.env") / 1048576 ))
mkdir -p "$run/feed"
cp "$run/base/snapshot.json.sig" "$run/base/snapshot.json.sha256" "$run/base/snapshot.json" "$run/feed/"

mkdir -p "$run/nginx"
cat >"$run/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $run/nginx/nginx.pid;
error_log $run/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $run/nginx; proxy_temp_path $run/nginx;
	fastcgi_temp_path $run/nginx; uwsgi_temp_path $run/nginx; scgi_temp_path $run/nginx;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:$p_up; location / { default_type text/plain; return 200 "ok\n"; } }
}
EOF
"${srv[@]}" "$nginx_bin" -p "$run/nginx" -c "$run/nginx/nginx.conf" 2>"$run/nginx/stderr" &
pids+=($!)
mkdir -p "$run/state"
"${srv[@]}" "$fd" serve --source file --snapshot "$run/feed/snapshot.json" --trust "$run/k.pub" --state "$run/state" \
	--listen "127.0.0.1:$p_fd" --admin-listen "127.0.0.1:$p_admin" >"$run/frontdoor.log" 2>&1 &
fd_pid=$!
pids+=("$fd_pid")
log "waiting for the gateway to load the ${mib} MiB snapshot"
wait_http "http://127.0.0.1:$p_admin/readyz" "x-bench: 1" 120
wait_http "http://127.0.0.1:$p_fd$path" "apikey: $key"

# wrk_run NAME: sets rps_NAME, p99_NAME (ms), fail_NAME, non2xx_NAME, sock_NAME.
wrk_run() {
	local name=$1 f=$run/wrk-$1.txt
	"${gen[@]}" wrk -t2 -c64 -d"${dur}s" --latency -H "apikey: $key" "http://127.0.0.1:$p_fd$path" >"$f" 2>&1 || die "wrk failed: $(cat "$f")"
	local rps p99 non2xx sock
	read -r rps p99 non2xx sock < <(wrk_stats "$f")
	printf -v "rps_$name" '%s' "$rps"
	printf -v "p99_$name" '%s' "$p99"
	printf -v "non2xx_$name" '%s' "${non2xx:-0}"
	printf -v "sock_$name" '%s' "${sock:-0}"
	printf -v "fail_$name" '%s' "$(( ${non2xx:-0} + ${sock:-0} ))"
}

log "steady: wrk -t2 -c64 -d${dur}s"
wrk_run steady
log "steady: ${rps_steady} req/s, p99 ${p99_steady} ms, failed ${fail_steady}"
log "under swaps: wrk for ${dur}s while a new generation is written every second"
"$fdb" feed -in "$run/base/snapshot.json" -o "$run/feed/snapshot.json" -sign-key "$run/k.key" -every 1s -n "$dur" >"$run/feed.log" 2>&1 &
feed_pid=$!
pids+=("$feed_pid")
wrk_run swaps
wait "$feed_pid" || die "the feeder failed: $(cat "$run/feed.log")"
# Let the last swap land (the controller may still be loading it).
last=$((1 + dur))
for ((i = 0; i < 600; i++)); do
	gen_now=$(curl -s "http://127.0.0.1:$p_admin/status" | grep -o '"generation": *[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
	[ "${gen_now:-0}" -ge "$last" ] && break
	sleep 0.1
done
log "under swaps: ${rps_swaps} req/s, p99 ${p99_swaps} ms, failed ${fail_swaps}; active generation ${gen_now:-?} of $last"

# Swap times from the controller's log (generation 1 is the first load).
grep 'msg="snapshot activated"' "$run/frontdoor.log" | grep -v 'generation=1 ' |
	sed -n 's/.* took=\([0-9.]*[a-zµ]*\).*/\1/p' | awk '{
		v = $1; n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "s") n *= 1000; else if (u == "µs" || u == "us") n /= 1000; else if (u == "ns") n /= 1e6; else if (u == "m") n *= 60000
		printf "%.3f\n", n }' | sort -n >"$run/swap-ms.txt"
swaps=$(wc -l <"$run/swap-ms.txt")
swap_p50=$(awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }' "$run/swap-ms.txt")
swap_max=$(awk 'END { if (NR) print $1; else print "n/a" }' "$run/swap-ms.txt")
first_ms=$(grep 'msg="snapshot activated"' "$run/frontdoor.log" | grep 'generation=1 ' | sed -n 's/.* took=\([0-9.]*[a-zµ]*\).*/\1/p' | head -1)
refused=$(grep -c 'msg="snapshot refused"' "$run/frontdoor.log" || true)

# Report.
{
	echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); load average $(cut -d' ' -f1-3 /proc/loadavg)$([ "$pin" = 1 ] && echo '; wrk pinned' || true)"
	echo "snapshot: $(basename "$(dirname "$snap")")/$(basename "$snap") prepared, ${mib} MiB, signed; first load took ${first_ms:-?}"
	if [ -n "$gb_cold$gb_change" ]; then
		echo "Go benchmark (runtime/store, in process): LoadLarge ${gb_cold:-?} ms/op (cold verifier), LoadLargeChange ${gb_change:-?} ms/op (one change)"
	fi
	echo
	printf '| %-12s | %9s | %8s | %15s |\n' run "req/s" "p99 ms" "failed requests"
	printf '|%s|%s|%s|%s|\n' -------------- ----------- ---------- -----------------
	printf '| %-12s | %9.0f | %8s | %15s |\n' steady "$rps_steady" "$p99_steady" "$fail_steady"
	printf '| %-12s | %9.0f | %8s | %15s |\n' "1 swap/s" "$rps_swaps" "$p99_swaps" "$fail_swaps (non-2xx $non2xx_swaps, socket $sock_swaps)"
	echo
	echo "swaps applied: $swaps of $dur written (coalesced when a load outlasts a second); refused: $refused"
	echo "swap time (verify + load + swap, controller's log): median ${swap_p50} ms, max ${swap_max} ms (target <= 500 ms for L)"
	awk -v s="$p99_steady" -v w="$p99_swaps" -v f="$fail_swaps" 'BEGIN {
		printf "p99 under swaps / steady: %.2f (target <= 1.2); failed requests under swaps: %d (target 0)\n", (s > 0 ? w / s : 0), f }'
} | tee "$outdir/swap.txt"
printf '{"snapshot_mib":%s,"duration_s":%s,"gobench_ms":{"load_large":%s,"load_large_change":%s},"steady":{"rps":%s,"p99_ms":%s,"failed":%s},"swaps":{"rps":%s,"p99_ms":%s,"failed":%s,"non2xx":%s,"socket_errors":%s,"applied":%s,"written":%s,"refused":%s,"swap_ms_p50":%s,"swap_ms_max":%s}}\n' \
	"$mib" "$dur" "${gb_cold:-null}" "${gb_change:-null}" "$rps_steady" "$p99_steady" "$fail_steady" \
	"$rps_swaps" "$p99_swaps" "$fail_swaps" "$non2xx_swaps" "$sock_swaps" "$swaps" "$dur" "$refused" \
	"$([ "$swap_p50" = n/a ] && echo null || echo "$swap_p50")" "$([ "$swap_max" = n/a ] && echo null || echo "$swap_max")" >"$outdir/swap.json"
log "wrote out/bench/swap.{txt,json}"
