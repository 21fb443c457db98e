#!/usr/bin/env bash
# bench-tls.sh — frontdoor's gateway terminating TLS against nginx and Caddy
# terminating TLS in front of the same upstream, on loopback (see the TLS
# targets in DESIGN.md).
#
# usage: scripts/bench-tls.sh [-d SECONDS] [-r RATE] [-w WORKDIR] [--quick]
#                             [--pin] [--no-install] [-b FRONTDOOR_BINARY]
#
#   -d SECONDS    duration of each run (default 15)
#   -r RATE       vegeta's fixed request rate (default 3000/s)
#   -w DIR        work directory (default: a new temporary one)
#   --quick       3-second runs (a smoke test of the script)
#   --pin         pin the load generators to the last CPU and every server
#                 to the others with taskset (needs 2+ CPUs)
#   --no-install  do not apt-get/go install missing tools; fail instead
#   -b FILE       use this frontdoor binary instead of building one
#
# What runs (all on 127.0.0.1; ports from 18181 up, BENCH_PORT_BASE to move):
#   upstream   nginx over plain HTTP, `return 200` with a short body
#   nginx      TLS + HTTP/2, reverse proxy with upstream keepalive 64
#   caddy      TLS + HTTP/1.1 and HTTP/2 (no HTTP/3), `reverse_proxy` with
#              64 idle upstream connections kept (Caddy keeps 32 unless
#              told, and would open new ones under wrk's 64 connections)
#   bare       `fdbench bareproxy -tls-cert`: a bare httputil.ReverseProxy
#              behind net/http's TLS server, no policy at all (what the
#              standard library alone costs: frontdoor's ceiling)
#   frontdoor  `frontdoor serve --tls-cert` with the example platform's
#              snapshot, as in bench-gateway.sh (API-key auth, entitlement,
#              rate limits, access log), requests carry `apikey: KEY`
# All three serve one ECDSA P-256 certificate (openssl, a throwaway CA) and
# ask clients for no certificate (frontdoor asks only on the hosts of
# environments with a route that requires mutual TLS: the example's sandbox
# has none). The protocol, cipher and key-exchange group each one
# negotiates with the load generators' OpenSSL are in the report.
#
# Measures, per server:
#   keep-alive  wrk -t2 -c64 over TLS 1.3 (throughput at saturation)
#   p99         vegeta at a fixed rate over TLS, keep-alive (p50, p99)
#   handshakes  new connections per second, each a full TLS 1.3 handshake
#               (openssl s_time -new, no session reuse; two clients)
#   h2          h2load over HTTP/2, 4 connections x 100 concurrent streams,
#               beside h2load over HTTP/1.1 with 64 connections (h2load is
#               nghttp2-client's; without it, and when it cannot be
#               installed, these two columns are left out, null in JSON)
# Writes out/bench/tls.{json,txt}.
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"

dur=15 rate=3000 work="" pin=0 install=1 fdbin=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) dur=3; shift ;;
	*) bench_opt "$@"; shift "$used" ;;
	esac
done

bench_dirs
run=$work/tls
rm -rf "$run"; mkdir -p "$run"

# Tools.
ensure_tools "$install" nginx:nginx caddy:caddy wrk:wrk openssl:openssl curl:curl
if ! command -v h2load >/dev/null 2>&1 && [ "$install" = 1 ]; then
	(ensure_tools 1 h2load:nghttp2-client) || log "nghttp2-client could not be installed: no HTTP/2 figures"
fi
have_h2load=0
if command -v h2load >/dev/null 2>&1; then have_h2load=1; else log "no h2load: the HTTP/2 and HTTP/1.1 h2load figures are left out"; fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
ensure_vegeta "$install"
bench_build

bench_pin

base=${BENCH_PORT_BASE:-18181}
p_up=$base p_nginx=$((base + 1)) p_caddy=$((base + 2)) p_fd=$((base + 3)) p_admin=$((base + 4)) p_bare=$((base + 5))
ports_free $p_up $p_nginx $p_caddy $p_fd $p_admin $p_bare

# One ECDSA P-256 certificate for the sandbox host and 127.0.0.1, from a
# throwaway CA.
host=sandbox.api.health.example
tls=$run/pki
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench CA" \
	-keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$host" \
	-keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$host" >"$tls/ext.cnf"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
	-extfile "$tls/ext.cnf" -out "$tls/server.crt" 2>/dev/null
cert=$tls/server.crt certkey=$tls/server.key

nginx_upstream "$run/nginx-up" "$p_up"
nginx_proxy "$run/nginx-proxy" "$p_up" "127.0.0.1:$p_nginx ssl http2" \
	"http2_max_concurrent_streams 128; ssl_certificate $cert; ssl_certificate_key $certkey; ssl_protocols TLSv1.2 TLSv1.3;"
cat >"$run/Caddyfile" <<EOF
{
	admin off
	auto_https disable_redirects
	skip_install_trust
	default_sni $host
	servers {
		protocols h1 h2
	}
}
https://$host:$p_caddy, https://127.0.0.1:$p_caddy {
	tls $cert $certkey
	reverse_proxy 127.0.0.1:$p_up {
		transport http {
			keepalive_idle_conns_per_host 64
		}
	}
}
EOF

log "starting the upstream, nginx and caddy"
start_nginx "$run/nginx-up"
start_nginx "$run/nginx-proxy"
start_caddy

"${srv[@]}" "$fdb" bareproxy -listen "127.0.0.1:$p_bare" -upstream "http://127.0.0.1:$p_up" \
	-tls-cert "$cert" -tls-key "$certkey" >"$run/bare.log" 2>&1 &
pids+=($!)

log "starting frontdoor"
key=bench-$RANDOM$RANDOM
"$fd" keygen -o "$run/k" >/dev/null
"$fd" build examples/national-health-platform -o "$run/example" >/dev/null 2>"$run/build.log" || { cat "$run/build.log" >&2; die "building the example failed"; }
eval "$("$fdb" prepare -in "$run/example/snapshot.json" -o "$run/fd-example" -upstream "http://127.0.0.1:$p_up" \
	-apikey "$key" -sign-key "$run/k.key" | sed 's/^/fd_/')"
mkdir -p "$run/state"
"${srv[@]}" "$fd" serve --source file --snapshot "$run/fd-example/snapshot.json" --trust "$run/k.pub" \
	--state "$run/state" --listen "127.0.0.1:$p_fd" --admin-listen "127.0.0.1:$p_admin" --env sandbox \
	--tls-cert "$host=$cert,$certkey" --access-log-dir "$run/access" >"$run/frontdoor.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$p_admin/readyz"

path=$fd_path/bench
names=(frontdoor bare nginx caddy)
declare -A port=([frontdoor]=$p_fd [bare]=$p_bare [nginx]=$p_nginx [caddy]=$p_caddy)
curl_tls() { curl -s -o /dev/null -w '%{http_code}' --cacert "$tls/ca.crt" -H "apikey: $key" "$@"; }
wait_http "http://127.0.0.1:$p_up/"
for n in "${names[@]}"; do
	for ((i = 0; i < 100; i++)); do
		[ "$(curl_tls "https://127.0.0.1:${port[$n]}$path")" = 200 ] && break
		sleep 0.1
	done
	[ "$(curl_tls "https://127.0.0.1:${port[$n]}$path")" = 200 ] || die "$n does not answer 200 over TLS; logs in $run"
	proto=$(curl -s -o /dev/null -w '%{http_version}' --http2 --cacert "$tls/ca.crt" -H "apikey: $key" "https://127.0.0.1:${port[$n]}$path")
	[ "$proto" = 2 ] || die "$n does not negotiate HTTP/2 (got HTTP/$proto)"
	# What the handshake negotiates; no server asks for a client
	# certificate.
	hs=$(openssl s_client -connect "127.0.0.1:${port[$n]}" -CAfile "$tls/ca.crt" -brief -state </dev/null 2>&1 || true)
	grep -q '^Verification: OK' <<<"$hs" || die "$n: the handshake does not verify: $(tail -3 <<<"$hs")"
	! grep -qi 'read server certificate request' <<<"$hs" || die "$n asks for a client certificate"
	printf -v "params_$n" '%s' "$(awk -F': *' '/^Protocol version:/ { p = $2 } /^Ciphersuite:/ { c = $2 } /^(Negotiated TLS1.3 group|Server Temp Key):/ { g = $2 } END { print p ", " c ", " g }' <<<"$hs")"
	v=params_$n
	log "$n negotiates ${!v}"
done

vegeta_args=(-root-certs "$tls/ca.crt") bench_over=" over TLS"

# bench_handshakes NAME PORT: hs_NAME, new connections per second with a
# full handshake each (two s_time clients, summed).
bench_handshakes() {
	local name=$1 p=$2 i total=0 n secs clients=()
	for i in 1 2; do
		"${gen[@]}" openssl s_time -connect "127.0.0.1:$p" -new -time "$dur" -CAfile "$tls/ca.crt" \
			>"$run/s_time-$name-$i.txt" 2>&1 &
		clients+=($!)
	done
	for i in "${clients[@]}"; do wait "$i" || true; done
	for i in 1 2; do
		# "N connections in T real seconds"
		read -r n secs < <(awk '/connections in .* real seconds/ { print $1, $4; exit }' "$run/s_time-$name-$i.txt")
		[ -n "${n:-}" ] || die "s_time $name gave no count: $(cat "$run/s_time-$name-$i.txt")"
		total=$(awk -v a="$total" -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", a + (s > 0 ? n / s : 0) }')
	done
	printf -v "hs_$name" '%s' "$total"
	log "handshakes $name (TLS 1.3 full, ECDSA P-256): $total/s"
}

# bench_h2load NAME URL MODE: h2_NAME or h1_NAME (req/s), from h2load.
bench_h2load() {
	local name=$1 url=$2 mode=$3 f=$run/h2load-$1-$3.txt args rps failed
	if [ "$mode" = h2 ]; then args=(-c4 -m100); else args=(--h1 -c64 -m1); fi
	"${gen[@]}" h2load "${args[@]}" -t2 -D "$dur" --warm-up-time=1 -H "apikey: $key" "$url" >"$f" 2>&1 ||
		die "h2load $name $mode failed: $(tail -5 "$f")"
	rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4; exit }' "$f")
	failed=$(awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^failed/) print $i; exit }' "$f")
	printf -v "${mode}_$name" '%s' "${rps:-0}"
	printf -v "${mode}fail_$name" '%s' "${failed:-0}"
	log "h2load $name $mode: ${rps:-0} req/s, failed ${failed:-0}"
}

for n in "${names[@]}"; do
	u="https://127.0.0.1:${port[$n]}$path"
	bench_wrk "$n" "$u"
	bench_vegeta "$n" "$u"
	bench_handshakes "$n" "${port[$n]}"
	if [ "$have_h2load" = 1 ]; then
		bench_h2load "$n" "$u" h2
		bench_h2load "$n" "$u" h1
	else
		printf -v "h2_$n" null; printf -v "h1_$n" null; printf -v "h2fail_$n" null; printf -v "h1fail_$n" null
	fi
done

# Report.
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "machine: $ncpu CPUs, $cpu; $(go version | cut -d' ' -f3); $("$nginx_bin" -v 2>&1 | cut -d' ' -f3), caddy $(caddy version | cut -d' ' -f1), $(openssl version | cut -d' ' -f1-2), $([ "$have_h2load" = 1 ] && h2load --version 2>&1 | head -1 || echo "no h2load")"
	echo "load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)$([ "$pin" = 1 ] && echo "; load generators pinned to CPU $((ncpu - 1))" || true)"
	echo "runs of ${dur}s; vegeta at ${rate}/s; one ECDSA P-256 certificate, no client certificate requested; frontdoor with API-key auth, entitlement, rate limits and access log"
	for n in "${names[@]}"; do v=params_$n; echo "handshake $n: ${!v}"; done
	printf '%-10s %12s %9s %7s %10s %10s %8s %12s %12s\n' server "tls1.3 rps" "p99(wrk)" errors "p99@rate" "ok%" "hs/s" "h2 rps" "h1 rps"
	for n in "${names[@]}"; do
		r=rps_$n p=p99w_$n e=err_$n v=p99_$n o=ok_$n h=hs_$n a=h2_$n b=h1_$n
		printf '%-10s %12s %9s %7s %10s %10s %8s %12s %12s\n' "$n" "${!r}" "${!p}" "${!e}" "${!v}" "${!o}" "${!h}" "${!a}" "${!b}"
	done
	awk -v f="$rps_frontdoor" -v c="$rps_caddy" -v b="$rps_bare" -v hf="$hs_frontdoor" -v hn="$hs_nginx" -v pf="$p99_frontdoor" -v pn="$p99_nginx" 'BEGIN {
		printf "targets: keep-alive %.2fx Caddy (>= 1.5); p99 %.3f ms vs nginx %.3f + 1 ms; handshakes %.2fx nginx (>= 0.7)\n",
			(c > 0 ? f / c : 0), pf, pn, (hn > 0 ? hf / hn : 0)
		printf "keep-alive: the bare ReverseProxy %.2fx Caddy; frontdoor %.2fx the bare ReverseProxy\n", (c > 0 ? b / c : 0), (b > 0 ? f / b : 0) }'
} | tee "$outdir/tls.txt" >&2
{
	echo "{"
	echo "  \"duration_s\": $dur, \"rate\": $rate, \"cpus\": $ncpu,"
	echo "  \"servers\": {"
	i=0
	for n in "${names[@]}"; do
		r=rps_$n p=p99w_$n e=err_$n v=p99_$n q=p50_$n o=ok_$n h=hs_$n a=h2_$n b=h1_$n fa=h2fail_$n fb=h1fail_$n
		i=$((i + 1))
		printf '    "%s": {"rps_tls13": %s, "p99_wrk_ms": %s, "errors": %s, "p50_ms": %s, "p99_ms": %s, "success_pct": %s, "handshakes_per_s": %s, "h2_rps": %s, "h2_failed": %s, "h1_rps": %s, "h1_failed": %s}%s\n' \
			"$n" "${!r}" "${!p}" "${!e}" "${!q}" "${!v}" "${!o}" "${!h}" "${!a}" "${!fa}" "${!b}" "${!fb}" "$([ $i -lt ${#names[@]} ] && echo , || true)"
	done
	echo "  }"
	echo "}"
} >"$outdir/tls.json"
log "wrote $outdir/tls.txt and $outdir/tls.json"
