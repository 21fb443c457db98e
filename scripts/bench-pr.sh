#!/usr/bin/env bash
# bench-pr.sh — pull-request feedback at scale: a corpus in a git repository
# with one commit on top that changes one grants file, and the commands a
# pull request runs on it, with a binary from before the cache and one from
# now, side by side (see BENCHMARKS.md and the targets of issue 16).
#
# usage: scripts/bench-pr.sh [-s S|M|L] [-b REV] [-n N] [-e N] [-w WORKDIR] [--keep]
#
#   -s SIZE    corpus preset (default L)
#   -b REV     revision of the "before" binary (default: the parent of the
#              commit that added compiler/cache.go)
#   -n N       rounds (default 1): each runs every command with the before
#              binary then the after one, so that a shared machine's noise
#              falls on both; the report gives each figure's median
#   -e N       edits timed in dev, per binary and round (default 5; 0: no
#              dev measurement)
#   -w DIR     work directory (default: a new temporary directory); a
#              corpus repository already there for the same size is reused
#   --keep     keep the work directory
#
# What is measured (wall, CPU user+sys and peak RSS of each, with
# /usr/bin/time -v), for each binary:
#   full             validate of the corpus directory, no cache
#   diff cold|warm   diff HEAD~1 HEAD, with an empty cache directory, then
#                    again with the cache the cold run left
#   diff base-cached diff HEAD~1 HEAD with a cache of the base only (left by
#                    validate --git of HEAD~1, not timed): a pull request's
#                    first run in CI, its head's change new to the cache
#   check-pr         check-pr --base HEAD~1 --head HEAD, as the file's owner
#   validate-git     validate --git of HEAD, cold and warm
#   dev              frontdoor dev on a copy of the corpus: an API file's
#                    summary is edited, and the time from the write to the
#                    new snapshot's activation (/status, active.loadedAt)
#                    is the latency of the edit
# A binary without the cache (before it was added): its cold and warm runs
# are the same command. Exit code 1 (a finding) is accepted; 2 fails it.
set -euo pipefail
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

size=L work="" keep=0 before="" rounds=1 edits=5
while [ $# -gt 0 ]; do
	case $1 in
	-s) size=$2; shift 2 ;;
	-b) before=$2; shift 2 ;;
	-n) rounds=$2; shift 2 ;;
	-e) edits=$2; shift 2 ;;
	-w) work=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) bench_other "$1" ;;
	esac
done

bench_root
bench_work bench-pr
run=$work
mkdir -p "$work/bin"
[ -x /usr/bin/time ] || die "missing GNU time (/usr/bin/time)"

# Binaries.
if [ -z "$before" ]; then
	added=$(git log --diff-filter=A --format=%H -- compiler/cache.go | tail -1)
	[ -n "$added" ] || die "no commit adds compiler/cache.go: pass -b REV"
	before=$added^
fi
log "building frontdoor at $before (before) and of the working tree (after)"
rm -rf "$work/src-before"; mkdir -p "$work/src-before"
git archive "$before" | tar -x -C "$work/src-before"
(cd "$work/src-before" && go build -o "$work/bin/frontdoor-before" ./cmd/frontdoor)
go build -o "$work/bin/frontdoor-after" ./cmd/frontdoor
go build -o "$work/bin/fdcorpus" ./tools/fdcorpus

# Corpus: a git repository, its base commit and one commit changing one
# grants file.
repo=$work/repo-$size
if new_corpus "$repo" "$size"; then
	g() { git -C "$repo" -c user.name=bench -c user.email=bench@example.test -c commit.gpgsign=false "$@"; }
	g init -q -b main
	g add -A
	g commit -q -m base
	grants=$(cd "$repo" && find publishers -path '*/grants/*.cue' | LC_ALL=C sort | sed -n 1p)
	printf '\n// reviewed again\n' >>"$repo/$grants"
	g commit -q -a -m "change $grants"
	touch "$repo.done"
fi
grants=$(git -C "$repo" diff --name-only HEAD~1 HEAD)
pub=$(echo "$grants" | cut -d/ -f2)
actor=$(awk -F'"' '/owners/ { print $2; exit }' "$repo/publishers/$pub/publisher.cue")
[ -n "$actor" ] || die "no owner in publishers/$pub/publisher.cue"

# Commands run in the repository; exit code 1 (a finding) is accepted.
measure_dir=$repo measure_max_rc=1

# dev_latency V ROUND: runs frontdoor dev of binary V on a copy of the
# corpus and edits one API file $edits times; sets dev_V_ROUND to the
# latencies (ms), one per line.
port=${BENCH_PORT_BASE:-18400}
dev_latency() {
	local v=$1 r=$2 dir=$work/dev-$1 admin="http://127.0.0.1:$((port + 1))" api i g0 g1 t0 at lat=""
	ports_free "$port" "$((port + 1))"
	rm -rf "$dir"; mkdir -p "$dir"
	(cd "$repo" && tar --exclude=.git -cf - .) | tar -xf - -C "$dir"
	api=$(cd "$dir" && find publishers -path '*/apis/*.cue' | LC_ALL=C sort | sed -n 1p)
	"$work/bin/frontdoor-$v" dev "$dir" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$((port + 1))" --catalog-listen "" >"$work/dev-$v.log" 2>&1 &
	pids+=($!)
	wait_http "$admin/readyz" "x-bench: 1" 600
	for ((i = 1; i <= edits; i++)); do
		g0=$(curl -s "$admin/status" | jq -r .active.generation)
		sleep 2 # apart from the last swap, and past the source's debounce
		t0=$(date +%s.%N)
		sed -i "s/^\(summary: \"\)[^\"]*/\1edit $r.$i/" "$dir/$api"
		for _ in $(seq 1 6000); do
			g1=$(curl -s "$admin/status" | jq -r .active.generation)
			[ "$g1" = "$g0" ] || break
			sleep 0.01
		done
		[ "$g1" != "$g0" ] || die "dev did not serve edit $i within a minute; log in $work/dev-$v.log"
		at=$(date -d "$(curl -s "$admin/status" | jq -r .active.loadedAt)" +%s.%N)
		lat+=$(awk -v a="$at" -v b="$t0" 'BEGIN { printf "%.0f", (a - b) * 1000 }')$'\n'
	done
	kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
	unset 'pids[-1]'
	printf -v "dev_${v}_$r" '%s' "$lat"
	log "dev $v round $r: $(echo $lat) ms"
}

for ((r = 1; r <= rounds; r++)); do
	for v in before after; do
		bin=$work/bin/frontdoor-$v
		export XDG_CACHE_HOME=$work/xdg-$v
		# A binary with the cache gets its flags (a "before" from before
		# the cache has none: its cold and warm runs are the same).
		flags=() nocache=()
		if "$bin" validate --help 2>&1 | grep -q -- --cache-dir; then
			flags=(--cache-dir "$work/cache-$v") nocache=(--no-cache)
		fi
		rm -rf "$work/cache-$v" "$XDG_CACHE_HOME"
		measure "${v}_full_$r" "$bin" validate . "${nocache[@]}"
		measure "${v}_diff_cold_$r" "$bin" diff HEAD~1 HEAD "${flags[@]}"
		measure "${v}_diff_warm_$r" "$bin" diff HEAD~1 HEAD "${flags[@]}"
		rm -rf "$work/cache-$v"
		(cd "$repo" && "$bin" validate --git . --ref HEAD~1 "${flags[@]}" >/dev/null 2>&1) || true
		measure "${v}_diff_based_$r" "$bin" diff HEAD~1 HEAD "${flags[@]}"
		measure "${v}_checkpr_$r" "$bin" check-pr --base HEAD~1 --head HEAD --actor "$actor"
		rm -rf "$work/cache-$v"
		measure "${v}_git_cold_$r" "$bin" validate --git . --ref HEAD "${flags[@]}"
		measure "${v}_git_warm_$r" "$bin" validate --git . --ref HEAD "${flags[@]}"
		[ "$edits" = 0 ] || dev_latency "$v" "$r"
	done
done

# median VALUES...: the median of numbers.
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Each figure is the median of its rounds: wall_before_full and so on.
for v in before after; do
	for n in full diff_cold diff_warm diff_based checkpr git_cold git_warm; do
		for m in wall cpu rss; do
			vals=()
			for ((r = 1; r <= rounds; r++)); do
				x=${m}_${v}_${n}_$r
				vals+=("${!x}")
			done
			printf -v "${m}_${v}_$n" '%s' "$(median "${vals[@]}")"
		done
	done
done

# Report.
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo
echo "corpus $size in git, HEAD changes $grants; before: $(git rev-parse --short "$before"), after: the working tree; medians of $rounds round(s)"
echo "machine: $(nproc) CPUs, $cpu, $mem RAM; $(go version | cut -d' ' -f3)"
echo
printf '| %-19s | %21s | %21s | %22s |\n' command "wall before/after (s)" "CPU before/after (s)" "RSS before/after (MiB)"
printf '|%s|%s|%s|%s|\n' --------------------- ----------------------- ----------------------- ------------------------
row() {
	local label=$1 n=$2 wb wa cb ca rb ra
	wb=wall_before_$n wa=wall_after_$n cb=cpu_before_$n ca=cpu_after_$n rb=rss_before_$n ra=rss_after_$n
	printf '| %-19s | %10.2f / %8.2f | %10.2f / %8.2f | %9.0f / %10.0f |\n' "$label" "${!wb}" "${!wa}" "${!cb}" "${!ca}" "$(awk -v k="${!rb}" 'BEGIN { print k / 1024 }')" "$(awk -v k="${!ra}" 'BEGIN { print k / 1024 }')"
}
row "full compile" full
row "diff, cold cache" diff_cold
row "diff, warm cache" diff_warm
row "diff, base cached" diff_based
row "check-pr" checkpr
row "validate --git cold" git_cold
row "validate --git warm" git_warm
echo
awk -v d="$wall_after_diff_cold" -v f="$wall_after_full" 'BEGIN { printf "diff cold / full compile (after): %.2f (target <= 1.30)\n", d / f }'
if [ "$edits" != 0 ]; then
	for v in before after; do
		all=()
		for ((r = 1; r <= rounds; r++)); do
			x=dev_${v}_$r
			mapfile -t l <<<"${!x%$'\n'}"
			all+=("${l[@]}")
		done
		echo "dev, save to served ($v): median $(median "${all[@]}") ms, max $(printf '%s\n' "${all[@]}" | sort -g | tail -1) ms over ${#all[@]} edits (target <= 300)"
	done
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: compare CPU times too)"
