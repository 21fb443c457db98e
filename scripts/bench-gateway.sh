#!/usr/bin/env bash
# bench-gateway.sh — frontdoor's gateway against a bare httputil.ReverseProxy,
# nginx and Caddy as reverse proxies of the same upstream, on loopback (see
# the targets in DESIGN.md).
#
# usage: scripts/bench-gateway.sh [-d SECONDS] [-r RATE] [-w WORKDIR]
#                                 [-L SNAPSHOT] [--quick] [--pin]
#                                 [--no-scale] [--no-rss] [--no-install]
#                                 [-b FRONTDOOR_BINARY]
#
#   -d SECONDS    duration of each wrk and vegeta run (default 15)
#   -r RATE       vegeta's fixed request rate (default 3000/s)
#   -w DIR        work directory (default: a new temporary one); an L
#                 snapshot at DIR/out/snapshot.json (bench-compile.sh -w DIR
#                 leaves one) is reused for the RSS measure
#   -L FILE       the L snapshot to measure RSS with (default: the one in
#                 -w, else generated with fdcorpus -size L + frontdoor build)
#   --quick       3-second runs, no copy of the chart into docs/ (a smoke
#                 test of the script)
#   --pin         pin the load generators to the last CPU and every server
#                 to the others with taskset (needs 2+ CPUs; with 2, the
#                 servers share one CPU, as do wrk's threads)
#   --no-scale    skip 10 vs 10,000 routes
#   --no-rss      skip the RSS with the L snapshot
#   --no-install  do not apt-get/go install missing tools; fail instead
#   -b FILE       use this frontdoor binary instead of building one
#
# What runs (all on 127.0.0.1; ports from 18081 up, BENCH_PORT_BASE to move):
#   upstream   nginx, `return 200` with a short body, 1 worker, keep-alive
#   direct     the upstream itself, no proxy
#   nginx      nginx reverse proxy: upstream keepalive 64, proxy_http_version
#              1.1, Connection "", 2 workers (auto), no access log
#   caddy      `reverse_proxy` from a Caddyfile, admin and logs off, 64 idle
#              upstream connections kept (Caddy keeps 32 unless told, and
#              would open new ones under wrk's 64 connections)
#   bare       `fdbench bareproxy`: a bare httputil.ReverseProxy with the
#              gateway's Transport settings (gateway.NewTransport) and server
#              timeouts, no policy: frontdoor's reference (target >= 0.85x)
#   frontdoor  `frontdoor serve --source file` with the example platform's
#              snapshot, every upstream rewritten to the upstream, a bench
#              API key granted on one app-level0 route with rate limits of
#              1e9/s (checked, never hit); requests carry `apikey: KEY`.
#              Per request: path normalisation, routing, API-key auth,
#              entitlement, rate limits (local buckets, not triggered),
#              identity headers, proxy, and the JSON access log written to
#              a file (--access-log-dir).
#
# Measures: wrk -t2 -c64 -d${D}s (throughput at saturation, its non-2xx and
# socket errors), then vegeta at a fixed rate for D seconds (p50, p99, success
# ratio); frontdoor's rps with 10 and 10,000 routes (synthetic clones of the
# bench API, fdbench prepare -routes); frontdoor's RSS serving the L
# snapshot (VmRSS after a short load, and VmHWM).
# Writes out/bench/gateway.{json,csv,svg,txt}; a full run (not --quick) also
# copies the chart to docs/bench-gateway.svg.
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"

dur=15 rate=3000 work="" lsnap="" quick=0 pin=0 scale=1 rss=1 install=1 fdbin=""
while [ $# -gt 0 ]; do
	case $1 in
	-L) lsnap=$2; shift 2 ;;
	--quick) quick=1; dur=3; shift ;;
	--no-scale) scale=0; shift ;;
	--no-rss) rss=0; shift ;;
	*) bench_opt "$@"; shift "$used" ;;
	esac
done

bench_dirs
run=$work/gateway
rm -rf "$run"; mkdir -p "$run"

# Tools.
ensure_tools "$install" nginx:nginx caddy:caddy wrk:wrk
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
ensure_vegeta "$install"
bench_build
bench_pin

# Ports.
base=${BENCH_PORT_BASE:-18081}
p_up=$base p_nginx=$((base + 1)) p_caddy=$((base + 2)) p_fd=$((base + 3)) p_admin=$((base + 4)) p_bare=$((base + 5))
ports_free $p_up $p_nginx $p_caddy $p_fd $p_admin $p_bare

# The upstream.
nginx_upstream "$run/nginx-up" "$p_up"
nginx_proxy "$run/nginx-proxy" "$p_up" "127.0.0.1:$p_nginx"
cat >"$run/Caddyfile" <<EOF
{
	admin off
	auto_https off
}
http://127.0.0.1:$p_caddy {
	reverse_proxy 127.0.0.1:$p_up {
		transport http {
			keepalive_idle_conns_per_host 64
		}
	}
}
EOF

log "starting the upstream, nginx, caddy and the bare ReverseProxy"
start_nginx "$run/nginx-up"
start_nginx "$run/nginx-proxy"
start_caddy
"${srv[@]}" "$fdb" bareproxy -listen "127.0.0.1:$p_bare" -upstream "http://127.0.0.1:$p_up" >"$run/bare.log" 2>&1 &
pids+=($!)

# frontdoor: the example's snapshot, prepared for the benchmark.
key=bench-$RANDOM$RANDOM
"$fd" keygen -o "$run/k" >/dev/null
"$fd" build examples/national-health-platform -o "$run/example" >/dev/null 2>"$run/build.log" || { cat "$run/build.log" >&2; die "building the example failed"; }
prep() { # prep OUTDIR [fdbench prepare flags]: prints KEY=VALUE lines
	local o=$1; shift
	"$fdb" prepare -in "$run/example/snapshot.json" -o "$o" -upstream "http://127.0.0.1:$p_up" \
		-apikey "$key" -sign-key "$run/k.key" "$@"
}
eval "$(prep "$run/fd-example" | sed 's/^/fd_/')"
fd_pid=""
start_fd() { # start_fd SNAPSHOT_DIR NAME
	mkdir -p "$run/state-$2"
	"${srv[@]}" "$fd" serve --source file --snapshot "$1/snapshot.json" --trust "$run/k.pub" \
		--state "$run/state-$2" --listen "127.0.0.1:$p_fd" --admin-listen "127.0.0.1:$p_admin" --env sandbox --no-tls \
		--access-log-dir "$run/access-$2" \
		>"$run/frontdoor-$2.log" 2>&1 &
	fd_pid=$!
	pids+=("$fd_pid")
	wait_http "http://127.0.0.1:$p_admin/readyz"
}
stop_fd() {
	kill "$fd_pid" 2>/dev/null || true
	wait "$fd_pid" 2>/dev/null || true
	local keep=() p
	for p in "${pids[@]}"; do [ "$p" = "$fd_pid" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}
start_fd "$run/fd-example" example

wait_http "http://127.0.0.1:$p_up/"
wait_http "http://127.0.0.1:$p_nginx/"
wait_http "http://127.0.0.1:$p_caddy/"
wait_http "http://127.0.0.1:$p_bare/"
path=$fd_path/bench
wait_http "http://127.0.0.1:$p_fd$path" "apikey: $key"

names=(frontdoor bare nginx caddy direct)
declare -A url=(
	[frontdoor]="http://127.0.0.1:$p_fd$path"
	[bare]="http://127.0.0.1:$p_bare$path"
	[nginx]="http://127.0.0.1:$p_nginx$path"
	[caddy]="http://127.0.0.1:$p_caddy$path"
	[direct]="http://127.0.0.1:$p_up$path"
)
for n in "${names[@]}"; do
	bench_wrk "$n" "${url[$n]}"
	bench_vegeta "$n" "${url[$n]}"
done
rss_example=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$fd_pid/status")
noauth_code=$(curl -s -o /dev/null -w '%{http_code}' "${url[frontdoor]}")
stop_fd

# Route scale.
if [ "$scale" = 1 ]; then
	for n in 10 10000; do
		prep "$run/fd-r$n" -routes "$n" >/dev/null
		start_fd "$run/fd-r$n" "r$n"
		wait_http "http://127.0.0.1:$p_fd$path" "apikey: $key"
		bench_wrk "routes$n" "http://127.0.0.1:$p_fd$path"
		printf -v "rss_routes$n" '%s' "$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$fd_pid/status")"
		stop_fd
	done
fi

# RSS with the L snapshot.
if [ "$rss" = 1 ]; then
	if [ -z "$lsnap" ] && [ -f "$work/out/snapshot.json" ]; then lsnap=$work/out/snapshot.json; fi
	if [ -z "$lsnap" ]; then
		log "generating and compiling the L corpus for the RSS measure"
		go build -o "$work/bin/fdcorpus" ./tools/fdcorpus
		[ -f "$work/corpus-L.done" ] || { rm -rf "$work/corpus-L"; "$work/bin/fdcorpus" -size L -o "$work/corpus-L" -q; touch "$work/corpus-L.done"; }
		"$fd" build "$work/corpus-L" -o "$work/out" >/dev/null 2>"$run/build-L.log" || { tail "$run/build-L.log" >&2; die "building L failed"; }
		lsnap=$work/out/snapshot.json
	fi
	"$fdb" prepare -in "$lsnap" -o "$run/fd-L" -upstream "http://127.0.0.1:$p_up" -apikey "$key" -sign-key "$run/k.key" >"$run/fd-L.env"
	lpath=$(sed -n 's/^path=//p' "$run/fd-L.env")/bench
	lbytes=$(sed -n 's/^bytes=//p' "$run/fd-L.env")
	start_fd "$run/fd-L" L
	wait_http "http://127.0.0.1:$p_fd$lpath" "apikey: $key"
	"${gen[@]}" wrk -t2 -c64 -d3s -H "apikey: $key" "http://127.0.0.1:$p_fd$lpath" >"$run/wrk-L.txt" 2>&1 || true
	rss_L=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$fd_pid/status")
	hwm_L=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$fd_pid/status")
	stop_fd
fi

# Report.
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
# What the gateway did per request, as observed: a request without the key
# is refused once authentication is wired (probed before it was stopped).
if [ "$noauth_code" = 401 ] || [ "$noauth_code" = 403 ]; then
	dataplane="API-key auth (no key: $noauth_code) + entitlement + rate limits (not triggered) + identity headers + access log to a file"
else
	dataplane="routing + proxy only: a request without the key got $noauth_code (auth, entitlements, rate limits, access log not wired into serve yet)"
fi
note="wrk -t2 -c64 -d${dur}s; vegeta -rate=${rate} -duration=${dur}s; loopback; $(nproc) CPUs; load avg $(cut -d' ' -f1 /proc/loadavg)$([ "$pin" = 1 ] && echo '; pinned' || true)"
{
	echo "machine: $ncpu CPUs, $cpu, $mem RAM; $(go version | cut -d' ' -f3); $("$nginx_bin" -v 2>&1 | cut -d' ' -f3), caddy $(caddy version | cut -d' ' -f1), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), vegeta v12.13.0"
	echo "load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)$([ "$pin" = 1 ] && echo "; load generators pinned to CPU $((ncpu - 1))" || true)"
	echo "frontdoor per request: $dataplane"
	echo "frontdoor route: $fd_path (app-level0, API key of $fd_app), $fd_routes sandbox routes in the example snapshot"
	echo
	printf '| %-10s | %10s | %11s | %12s | %12s | %9s |\n' "" "wrk req/s" "wrk errors" "p50 ms @$rate" "p99 ms @$rate" "success %"
	printf '|%s|%s|%s|%s|%s|%s|\n' ------------ ------------ ------------- -------------- -------------- -----------
	for n in "${names[@]}"; do
		r=rps_$n e=err_$n a=p50_$n b=p99_$n o=ok_$n
		printf '| %-10s | %10.0f | %11s | %12s | %12s | %9s |\n' "$n" "${!r}" "${!e}" "${!a}" "${!b}" "${!o}"
	done
	echo
	awk -v f="$rps_frontdoor" -v c="$rps_caddy" -v n="$rps_nginx" -v b="$rps_bare" -v fp="$p99_frontdoor" -v np="$p99_nginx" 'BEGIN {
		printf "frontdoor / bare ReverseProxy rps: %.2f (target >= 0.85)\n", f / b
		printf "frontdoor / caddy rps: %.2f (target >= 1.5)\n", f / c
		printf "frontdoor / nginx rps: %.2f (target >= 0.5)\n", f / n
		printf "frontdoor p99 - nginx p99 @ fixed rate: %+.3f ms (target <= +1 ms)\n", fp - np
	}'
	echo "frontdoor RSS serving the example: ${rss_example} MiB"
	if [ "$scale" = 1 ]; then
		awk -v a="$rps_routes10" -v b="$rps_routes10000" -v ra="$rss_routes10" -v rb="$rss_routes10000" 'BEGIN {
			printf "route scale: %.0f req/s with 10 routes, %.0f with 10,000 (ratio %.2f); RSS %d / %d MiB\n", a, b, b / a, ra, rb }'
	fi
	if [ "$rss" = 1 ]; then
		echo "frontdoor RSS serving the L snapshot ($((lbytes / 1048576)) MiB JSON): ${rss_L} MiB after 3 s of load, peak ${hwm_L} MiB (target <= 300 MB)"
	fi
} | tee "$outdir/gateway.txt"

# JSON (for the chart) and CSV.
{
	printf '{"title":"Gateway on loopback: frontdoor vs bare ReverseProxy vs nginx vs Caddy","rate":%s,"note":"%s","results":[' "$rate" "$note"
	sep=""
	for n in "${names[@]}"; do
		r=rps_$n a=p50_$n b=p99_$n e=err_$n o=ok_$n
		printf '%s{"name":"%s","rps":%s,"p50_ms":%s,"p99_ms":%s,"errors":%s,"success_pct":%s}' "$sep" "$n" "${!r}" "${!a}" "${!b}" "${!e}" "${!o}"
		sep=,
	done
	printf '],"routes":{"10":%s,"10000":%s},"rss_mib":{"example":%s,"L":%s,"L_peak":%s},"dataplane":"%s","duration_s":%s}\n' \
		"${rps_routes10:-null}" "${rps_routes10000:-null}" "${rss_example:-null}" "${rss_L:-null}" "${hwm_L:-null}" "$dataplane" "$dur"
} >"$outdir/gateway.json"
{
	echo "name,rps,errors,p50_ms,p99_ms,success_pct"
	for n in "${names[@]}"; do
		r=rps_$n a=p50_$n b=p99_$n e=err_$n o=ok_$n
		echo "$n,${!r},${!e},${!a},${!b},${!o}"
	done
} >"$outdir/gateway.csv"
"$fdb" chart -in "$outdir/gateway.json" -o "$outdir/gateway.svg"
if [ "$quick" = 0 ]; then
	cp "$outdir/gateway.svg" docs/bench-gateway.svg
	log "wrote out/bench/gateway.{txt,json,csv,svg} and docs/bench-gateway.svg"
else
	log "wrote out/bench/gateway.{txt,json,csv,svg} (--quick: docs/bench-gateway.svg left alone)"
fi
