#!/usr/bin/env bash
# Asserts the pipeline's package boundaries (as nomad does with go list -deps):
#   snapshot imports only the standard library;
#   runtime/... never links the CUE evaluator;
#   catalog never imports runtime/...;
#   the pull-request stage is layered: report (formats) imports neither
#   review nor scaffold, review never imports scaffold, and the compiler
#   imports none of them.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0

nonstd=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./snapshot | grep -v "^$mod/snapshot$" || true)
if [ -n "$nonstd" ]; then echo "snapshot must import only the standard library, found:"; echo "$nonstd"; fail=1; fi

if ls runtime/*/ >/dev/null 2>&1 && go list ./runtime/... >/dev/null 2>&1; then
  cue=$(go list -deps ./runtime/... | grep '^cuelang.org/' || true)
  if [ -n "$cue" ]; then echo "runtime/... must not import CUE, found:"; echo "$cue" | head; fail=1; fi
fi

if go list ./catalog/... >/dev/null 2>&1; then
  rt=$(go list -deps ./catalog/... | grep "^$mod/runtime" || true)
  if [ -n "$rt" ]; then echo "catalog must not import runtime, found:"; echo "$rt"; fail=1; fi
fi
# forbid PKG DEP...: fail when package PKG depends on any of the DEPs.
forbid() {
  local pkg=$1; shift
  go list ./"$pkg" >/dev/null 2>&1 || return 0
  local deps; deps=$(go list -deps ./"$pkg")
  for dep in "$@"; do
    if grep -qx "$mod/$dep" <<<"$deps"; then echo "$pkg must not import $dep"; fail=1; fi
  done
}
forbid report review scaffold
forbid review scaffold
forbid compiler report review scaffold
exit $fail
