#!/usr/bin/env bash
# bench-compile.sh — compile a generated corpus with frontdoor and evaluate
# the same CUE files with `cue export`, side by side; print wall time, peak
# RSS and the ratios (see BENCHMARKS.md and the targets in DESIGN.md).
#
# usage: scripts/bench-compile.sh [-s S|M|L] [-w WORKDIR] [--no-cue] [--keep]
#
#   -s SIZE    corpus preset (default L: 1,000 publishers, 10,000 APIs,
#              100,000 grants)
#   -w DIR     work directory (default: a new temporary directory); a corpus
#              already generated there for the same size is reused
#   --no-cue   skip `cue export` (it takes about a minute and 2+ GB on L)
#   --keep     keep the work directory
#
# What is measured
#   frontdoor  `frontdoor build CORPUS -o OUT --no-catalog`: load, evaluate
#              every file against its definition, build the model, check the
#              governance rules, validate every OpenAPI document, write the
#              snapshot. The ratios to cue export are of this row.
#   + catalog  `frontdoor build CORPUS -o OUT`: the same plus the static
#              catalogue (10,000 API pages on L), for the record.
#   cue        `cue export` of one CUE package that holds every config file
#              of the corpus, each unified with the definition its path
#              selects, so that CUE evaluates (and closes) all of them:
#
#                  package frontdoor
#                  "publishers/p/apis/a.cue": #API & {
#                      <contents of publishers/p/apis/a.cue>
#                  }
#                  ...
#
#              plus a copy of schema/*.cue in the same directory. The cue
#              side does no cross-file checks and reads no OpenAPI document,
#              so the comparison favours cue. Config files must have no
#              imports (corpus and example files have none); a `package`
#              clause is dropped.
#
# Both are timed with /usr/bin/time -v (wall clock and maximum resident set
# size). The cue CLI is installed at the version of cuelang.org/go in go.mod.
set -euo pipefail
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

size=L work="" run_cue=1 keep=0
while [ $# -gt 0 ]; do
	case $1 in
	-s) size=$2; shift 2 ;;
	-w) work=$2; shift 2 ;;
	--no-cue) run_cue=0; shift ;;
	--keep) keep=1; shift ;;
	*) bench_other "$1" ;;
	esac
done

bench_root
bench_work bench
mkdir -p "$work/bin"

# Tools.
if [ ! -x /usr/bin/time ]; then
	log "installing GNU time"
	if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >/dev/null; else sudo apt-get install -y -qq time >/dev/null; fi
fi
cue=""
if [ "$run_cue" = 1 ]; then
	want=$(go list -m -f '{{.Version}}' cuelang.org/go)
	cue=$(go env GOPATH)/bin/cue
	if ! "$cue" version 2>/dev/null | grep -q "cue version $want\$"; then
		log "installing cue $want"
		go install "cuelang.org/go/cmd/cue@$want"
	fi
fi
log "building fdcorpus and frontdoor"
go build -o "$work/bin/fdcorpus" ./tools/fdcorpus
go build -o "$work/bin/frontdoor" ./cmd/frontdoor

# Corpus.
corpus=$work/corpus-$size
if new_corpus "$corpus" "$size"; then
	touch "$corpus.done"
fi
ncue=$(find "$corpus" -name '*.cue' | wc -l)
nspec=$(find "$corpus" -name '*.yaml' | wc -l)

# frontdoor: the compile (snapshot only), then the whole build with the
# catalogue into a fresh directory.
fd_how="frontdoor build $size -o OUT --no-catalog (and, for the record, with the catalogue)"
rm -rf "$work/out" "$work/out-cat"
measure frontdoor "$work/bin/frontdoor" build "$corpus" -o "$work/out" --no-catalog
measure frontdoor_cat "$work/bin/frontdoor" build "$corpus" -o "$work/out-cat"

# cue export.
if [ "$run_cue" = 1 ]; then
	pkg=$work/cue-$size
	rm -rf "$pkg"; mkdir -p "$pkg"
	cp schema/*.cue "$pkg/"
	( cd "$corpus" && find . -name '*.cue' | LC_ALL=C sort ) | awk -v src="$corpus" -v out="$pkg/config.cue" '
	function def(p) {
		if (p == "frontdoor.cue") return "#Platform"
		if (p ~ /^approvals\/onboarding\/[^\/]+\.cue$/) return "#Onboarding"
		if (p ~ /^approvals\/launch\/[^\/]+\.cue$/) return "#Launch"
		if (p ~ /^publishers\/[^\/]+\/publisher\.cue$/) return "#Publisher"
		if (p ~ /^publishers\/[^\/]+\/apis\/[^\/]+\.cue$/) return "#API"
		if (p ~ /^publishers\/[^\/]+\/grants\/[^\/]+\.cue$/) return "#Grants"
		if (p ~ /^consumers\/[^\/]+\/consumer\.cue$/) return "#Consumer"
		return ""
	}
	BEGIN { print "package frontdoor\n" > out }
	{
		p = substr($0, 3); d = def(p)
		if (d == "") { print "bench-compile: no definition for " p > "/dev/stderr"; exit 1 }
		printf "\"%s\": %s & {\n", p, d > out
		f = src "/" p
		while ((getline line < f) > 0) if (line !~ /^package[ \t]/) print line > out
		close(f)
		print "}" > out
	}'
	measure cue sh -c "cd '$pkg' && exec '$cue' export --out json . >'$work/cue-export.json'"
fi

# Report.
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo
echo "corpus $size: $ncue CUE files, $nspec OpenAPI documents ($(du -sh "$corpus" | cut -f1) on disk)"
echo "machine: $(nproc) CPUs, $cpu, $mem RAM; $(go version | cut -d' ' -f3)${cue:+, $("$cue" version | head -1)}"
echo "frontdoor: $fd_how"
echo
printf '| %-10s | %8s | %16s | %14s |\n' tool "wall (s)" "CPU user+sys (s)" "peak RSS (MiB)"
printf '|%s|%s|%s|%s|\n' ------------ ---------- ------------------ ----------------
printf '| %-10s | %8.2f | %16.2f | %14d |\n' frontdoor "$wall_frontdoor" "$cpu_frontdoor" $((rss_frontdoor / 1024))
printf '| %-10s | %8.2f | %16.2f | %14d |\n' "+ catalog" "$wall_frontdoor_cat" "$cpu_frontdoor_cat" $((rss_frontdoor_cat / 1024))
if [ "$run_cue" = 1 ]; then
	printf '| %-10s | %8.2f | %16.2f | %14d |\n' "cue export" "$wall_cue" "$cpu_cue" $((rss_cue / 1024))
	echo
	awk -v fw="$wall_frontdoor" -v cw="$wall_cue" -v fc="$cpu_frontdoor" -v cc="$cpu_cue" -v fr="$rss_frontdoor" -v cr="$rss_cue" 'BEGIN {
		printf "frontdoor / cue export: wall %.3f (%.1fx faster; target <= 0.100), CPU %.3f, peak RSS %.3f (%.1fx less; target <= 0.100)\n",
			fw / cw, cw / fw, fc / cc, fr / cr, cr / fr
	}'
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: compare CPU times too)"
fi
