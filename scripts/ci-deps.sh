#!/usr/bin/env bash
# Installs the system packages and npm modules the tests use. Idempotent and
# safe on a developer machine: a package is installed only when its command
# is missing (the machine's own node and npm are kept). The tests start the
# services they need themselves (git daemon, redis-server, docker-registry,
# chromium), each on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# command → Debian package
declare -A want=(
  [git]=git
  [redis-server]=redis-server
  [chromium]=chromium
  [docker-registry]=docker-registry
  [ssh-keygen]=openssh-client
  [node]=nodejs
  [npm]=npm
)
missing=()
for cmd in "${!want[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${want[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ca-certificates "${missing[@]}" >/dev/null
fi

# axe-core for the catalogue's accessibility tests (pinned in package-lock.json).
if [ ! -f catalog/testdata/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix catalog/testdata --no-audit --no-fund --loglevel=error
fi
