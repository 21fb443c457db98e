#!/usr/bin/env bash
# Installs the system packages and npm modules the tests use and starts the
# services they talk to. Idempotent; safe to run on a developer machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

pkgs=(git ca-certificates redis-server chromium nodejs npm docker-registry openssh-client)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# axe-core for the catalogue's accessibility tests (pinned in package-lock.json).
if [ ! -f catalog/testdata/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix catalog/testdata --no-audit --no-fund --loglevel=error
fi
