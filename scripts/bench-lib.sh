# Shared helpers of the benchmark scripts: messages, -h and unknown
# arguments, the repository root; for the load benchmarks (bench-gateway.sh,
# bench-tls.sh, bench-swap.sh) also their common options, directories,
# builds, CPU placement and servers, wrk and vegeta runs and the parsing of
# their reports, and the clean-up on exit. Source it first; the helpers use
# the array pids (server processes) and the variables run (the run
# directory) and trap_rm (a directory to remove).

# bench_name names the script in messages: bench-gateway for bench-gateway.sh.
bench_name=$(basename "$0" .sh)
log() { printf '%s: %s\n' "$bench_name" "$*" >&2; }
die() { log "$*"; exit 1; }

# pids are the servers cleanup stops, trap_rm the directory it removes.
pids=() run="" trap_rm=""

# vegeta_args are extra options of bench_vegeta's attacks; bench_over names
# the connection in bench_wrk's and bench_vegeta's messages.
vegeta_args=() bench_over=""

# bench_opt ARGS...: parses the option at the head of ARGS that every load
# benchmark takes (-d dur, -r rate, -w work, -b fdbin, --pin, --no-install,
# -h), setting used to how many arguments it took; exits on any other.
bench_opt() {
	used=2
	case $1 in
	-d) dur=$2 ;;
	-r) rate=$2 ;;
	-w) work=$2 ;;
	-b) fdbin=$2 ;;
	--pin) pin=1; used=1 ;;
	--no-install) install=0; used=1 ;;
	*) bench_other "$1" ;;
	esac
}

# bench_other ARG: an argument no option of the script took: -h and --help
# print the usage (the script's opening comment), anything else is an error.
bench_other() {
	case $1 in
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "$bench_name: unknown argument $1" >&2; exit 2 ;;
	esac
}

# bench_root: sets root to the repository and cds there.
bench_root() {
	root=$(cd "$(dirname "$0")/.." && pwd)
	cd "$root"
}

# bench_dirs: sets root (and cds there), work (a new temporary directory,
# removed on exit, unless -w named one; with work/bin), outdir (out/bench)
# and pids, and traps cleanup on exit.
bench_dirs() {
	bench_root
	bench_work bench
	outdir=$root/out/bench
	mkdir -p "$work/bin" "$outdir"
}

# bench_work NAME: unless -w named one, makes work a new temporary directory
# (frontdoor-NAME.XXXXXX), removed on exit unless keep is 1 (--keep); traps
# cleanup on exit.
bench_work() {
	trap_rm=""
	if [ -z "$work" ]; then
		work=$(mktemp -d "${TMPDIR:-/tmp}/frontdoor-$1.XXXXXX")
		[ "${keep:-0}" = 1 ] || trap_rm=$work
	fi
	trap cleanup EXIT
}

# bench_build: builds fdbench and, unless -b named one, frontdoor; sets fd
# and fdb to them.
bench_build() {
	if [ -z "$fdbin" ]; then
		log "building frontdoor and fdbench"
		go build -o "$work/bin/frontdoor" ./cmd/frontdoor
		fdbin=$work/bin/frontdoor
	else
		log "building fdbench (frontdoor: $fdbin)"
	fi
	go build -o "$work/bin/fdbench" ./tools/fdbench
	fd=$fdbin fdb=$work/bin/fdbench
}

# bench_pin: sets ncpu, and with --pin on 2+ CPUs the command prefixes srv
# (servers: every CPU but the last) and gen (load generators: the last).
bench_pin() {
	ncpu=$(nproc)
	srv=() gen=()
	if [ "$pin" = 1 ] && [ "$ncpu" -ge 2 ]; then
		srv=(taskset -c "0-$((ncpu - 2))") gen=(taskset -c "$((ncpu - 1))")
	fi
}

# ports_free PORT...: fails if something listens on one of the ports.
ports_free() {
	local p
	for p in "$@"; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use (set BENCH_PORT_BASE)"; fi
	done
}

# cleanup stops every server the script started and removes trap_rm.
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -z "$trap_rm" ] || rm -rf "$trap_rm"
}

# wait_http URL [HEADER] [SECONDS]: waits until URL answers 200, failing as
# soon as one of the servers exits.
wait_http() {
	local url=$1 hdr=${2:-x-bench: 1} secs=${3:-60} i p
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$hdr" "$url" 2>/dev/null)" = 200 ] && return 0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || die "a server exited (pid $p) while waiting for $url; logs in $run"; done
		sleep 0.1
	done
	die "$url did not answer 200 within $secs s"
}

# to_ms DURATION: a duration as wrk and vegeta print it (us, ms, s, m) in ms.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
	if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.3f", n }'; }

# wrk_stats FILE: prints "RPS P99_MS NON2XX SOCKET_ERRORS" of a wrk --latency report.
wrk_stats() {
	local f=$1 rps non2xx sock p99
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$f")
	sock=$(awk -F'[ ,]+' '/Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s }' "$f")
	p99=$(awk '$1 == "99%" { print $2 }' "$f")
	echo "${rps:-0} $(to_ms "${p99:-0ms}") ${non2xx:-0} ${sock:-0}"
}

# bench_wrk NAME URL: loads URL with wrk (2 threads, 64 connections, dur
# seconds, the API key key) from the load generators' CPUs; sets rps_NAME,
# p99w_NAME (ms) and err_NAME (non-2xx responses and socket errors).
bench_wrk() {
	local name=$1 url=$2 f=$run/wrk-$1.txt rps p99 non2xx sock
	"${gen[@]}" wrk -t2 -c64 -d"${dur}s" --latency -H "apikey: $key" "$url" >"$f" 2>&1 || die "wrk $name failed: $(cat "$f")"
	read -r rps p99 non2xx sock < <(wrk_stats "$f")
	printf -v "rps_$name" '%s' "$rps"
	printf -v "p99w_$name" '%s' "$p99"
	printf -v "err_$name" '%s' "$((non2xx + sock))"
	log "wrk $name${bench_over:-}: $rps req/s, p99 $p99 ms, errors $((non2xx + sock))"
}

# bench_vegeta NAME URL: requests URL with vegeta at rate for dur seconds
# (the API key key, and the options vegeta_args) from the load generators'
# CPUs; sets p50_NAME, p99_NAME (ms) and ok_NAME (success %).
bench_vegeta() {
	local name=$1 url=$2 f=$run/vegeta-$1.json p50 p99 ok
	echo "GET $url" | "${gen[@]}" "$vegeta" attack -rate="$rate" -duration="${dur}s" -keepalive=true \
		"${vegeta_args[@]}" -header "apikey: $key" -max-workers 512 >"$run/vegeta-$name.bin"
	"$vegeta" report -type=json <"$run/vegeta-$name.bin" >"$f"
	rm -f "$run/vegeta-$name.bin"
	read -r p50 p99 ok _ < <(vegeta_stats "$f")
	printf -v "p50_$name" '%s' "$p50"
	printf -v "p99_$name" '%s' "$p99"
	printf -v "ok_$name" '%s' "$ok"
	log "vegeta $name @${rate}/s${bench_over:-}: p50 $p50 ms, p99 $p99 ms, success $ok%"
}

# ensure_vegeta INSTALL: sets vegeta to the vegeta binary, go-installing it
# when INSTALL is 1.
ensure_vegeta() {
	vegeta=$(go env GOPATH)/bin/vegeta
	if ! "$vegeta" -version >/dev/null 2>&1; then
		[ "$1" = 1 ] || die "missing vegeta (go install github.com/tsenart/vegeta/v12@v12.13.0)"
		log "installing vegeta v12.13.0"
		go install github.com/tsenart/vegeta/v12@v12.13.0
	fi
}

# vegeta_stats FILE: prints "P50_MS P99_MS SUCCESS_PCT REQUESTS FAILED" of a
# vegeta JSON report.
vegeta_stats() {
	local f=$1 p50 p99 ok n
	p50=$(grep -o '"50th":[0-9]*' "$f" | head -1 | cut -d: -f2)
	p99=$(grep -o '"99th":[0-9]*' "$f" | head -1 | cut -d: -f2)
	ok=$(grep -o '"success":[0-9.e+-]*' "$f" | head -1 | cut -d: -f2)
	n=$(grep -o '"requests":[0-9]*' "$f" | head -1 | cut -d: -f2)
	awk -v a="${p50:-0}" -v b="${p99:-0}" -v ok="${ok:-0}" -v n="${n:-0}" 'BEGIN {
		printf "%.3f %.3f %.2f %d %d\n", a / 1e6, b / 1e6, ok * 100, n, n - int(ok * n + 0.5) }'
}

# ensure_tools INSTALL CMD:PACKAGE...: apt-get installs the packages of the
# commands missing when INSTALL is 1, else fails naming them.
ensure_tools() {
	local install=$1 t need=()
	shift
	for t in "$@"; do
		command -v "${t%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${t%%:*}" ] || need+=("${t##*:}")
	done
	[ ${#need[@]} -gt 0 ] || return 0
	[ "$install" = 1 ] || die "missing: ${need[*]} (apt-get install ${need[*]})"
	log "installing ${need[*]}"
	local sudo_=()
	[ "$(id -u)" = 0 ] || sudo_=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
		{ "${sudo_[@]}" apt-get update -qq && "${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
}

# nginx_conf DIR WORKERS HTTP: writes DIR/nginx.conf: WORKERS worker
# processes, its files in DIR, no access log, long keep-alive with clients,
# and HTTP (directives) in its http block.
nginx_conf() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<CONF
daemon off;
worker_processes $2;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $d; proxy_temp_path $d;
	fastcgi_temp_path $d; uwsgi_temp_path $d; scgi_temp_path $d;
	keepalive_requests 1000000;
	keepalive_timeout 300s;
$3
}
CONF
}

# new_corpus DIR SIZE: generates the SIZE corpus into DIR with
# $work/bin/fdcorpus, unless an earlier run finished it (DIR.done, which
# the caller touches once DIR is ready); fails (1) when it is there.
new_corpus() {
	[ ! -f "$1.done" ] || return 1
	rm -rf "$1"
	log "generating corpus $2"
	"$work/bin/fdcorpus" -size "$2" -o "$1" || die "generating corpus $2 failed"
}

# measure NAME CMD...: runs CMD under /usr/bin/time -v, in $measure_dir if
# set, with its output in $work; sets wall_NAME, cpu_NAME (s) and rss_NAME
# (KiB). An exit code above $measure_max_rc (default 0) fails the script.
# Dirty pages are flushed first: on this VM, creating files while the
# writeback of earlier runs' hundreds of megabytes goes on costs several
# times the system time (the catalogue's 22,000 files: 0.5 s without, 4.5 s
# with).
measure() {
	local name=$1; shift
	local tf=$work/time-$name.txt rc=0
	sync
	(cd "${measure_dir:-.}" && /usr/bin/time -v -o "$tf" "$@" >"$work/out-$name.txt" 2>"$work/err-$name.txt") || rc=$?
	if [ "$rc" -gt "${measure_max_rc:-0}" ]; then
		log "$name failed ($rc):"; tail -20 "$work/err-$name.txt" >&2; tail -5 "$work/out-$name.txt" >&2
		exit 1
	fi
	local wall rss cpu
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$tf")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$tf")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
	printf -v "wall_$name" '%s' "$wall"
	printf -v "rss_$name" '%s' "$rss"
	printf -v "cpu_$name" '%s' "$cpu"
	log "$name: ${wall}s wall, ${cpu}s CPU, $((rss / 1024)) MiB"
}

# nginx_upstream DIR PORT: writes DIR/nginx.conf, the benchmarks' upstream:
# one nginx worker answering 200 "ok\n" on 127.0.0.1:PORT, keep-alive.
nginx_upstream() {
	nginx_conf "$1" 1 "	server {
		listen 127.0.0.1:$2;
		location / { default_type text/plain; return 200 \"ok\\n\"; }
	}"
}

# nginx_proxy DIR UPSTREAM_PORT LISTEN [DIRECTIVES]: writes DIR/nginx.conf,
# the benchmarks' nginx reverse proxy: auto workers, listening on LISTEN (a
# listen directive's value), HTTP/1.1 keep-alive (64 connections) to
# 127.0.0.1:UPSTREAM_PORT, and DIRECTIVES in its server block.
nginx_proxy() {
	nginx_conf "$1" auto "	upstream backend {
		server 127.0.0.1:$2;
		keepalive 64;
	}
	server {
		listen $3;
		${4:-}
		location / {
			proxy_pass http://backend;
			proxy_http_version 1.1;
			proxy_set_header Connection \"\";
		}
	}"
}

# start_nginx DIR: starts nginx with DIR/nginx.conf on the server CPUs.
start_nginx() {
	"${srv[@]}" "$nginx_bin" -p "$1" -c "$1/nginx.conf" 2>"$1/stderr" &
	pids+=($!)
}

# start_caddy: starts caddy with run/Caddyfile on the server CPUs.
start_caddy() {
	XDG_DATA_HOME=$run/caddy XDG_CONFIG_HOME=$run/caddy HOME=$run/caddy \
		"${srv[@]}" caddy run --adapter caddyfile --config "$run/Caddyfile" >"$run/caddy.log" 2>&1 &
	pids+=($!)
}
