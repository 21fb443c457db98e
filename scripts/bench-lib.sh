# Shared helpers of the bench-*.sh scripts; source it after defining log and
# die, and with the arrays pids (server processes) and the variables run
# (the run directory, for messages) and trap_rm (a directory to remove).

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

# nginx_upstream DIR PORT: writes DIR/nginx.conf, the benchmarks' upstream:
# one nginx worker answering 200 "ok\n" on 127.0.0.1:PORT, keep-alive.
nginx_upstream() {
	local d=$1 p=$2
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $d; proxy_temp_path $d;
	fastcgi_temp_path $d; uwsgi_temp_path $d; scgi_temp_path $d;
	keepalive_requests 1000000;
	keepalive_timeout 300s;
	server {
		listen 127.0.0.1:$p;
		location / { default_type text/plain; return 200 "ok\n"; }
	}
}
CONF
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
