#!/usr/bin/env bash
# make demo: compile the example platform, serve the gateway (with mock
# upstreams for the example APIs) and the catalogue locally, and send a few
# sample requests through the gateway. Ctrl-C stops it.
#
# DEMO_EXIT=1 exits after the sample requests (CI uses this to check that the
# demo works); DEMO_LISTEN, DEMO_ADMIN and DEMO_CATALOG change the addresses.
set -euo pipefail
cd "$(dirname "$0")/.."
example=${1:-examples/national-health-platform}
bin=bin/frontdoor
gw=${DEMO_LISTEN:-127.0.0.1:8080}
admin=${DEMO_ADMIN:-127.0.0.1:9090}
cat_addr=${DEMO_CATALOG:-127.0.0.1:8081}
host=sandbox.api.health.example
out=out/demo

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }

bold "1. Validate and build $example"
$bin validate "$example"
$bin build "$example" -o "$out" >/dev/null

bold "2. Start the gateway (dev mode: recompiles on every change), mock upstreams and the catalogue"
log=$(mktemp)
$bin dev "$example" --listen "$gw" --admin-listen "$admin" --catalog-listen "$cat_addr" --mock-upstreams >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://$admin/readyz" >/dev/null 2>&1 && break
  if ! kill -0 $pid 2>/dev/null; then cat "$log"; echo "demo: the gateway exited" >&2; exit 1; fi
  sleep 0.1
done
curl -fsS "http://$admin/readyz" >/dev/null || { cat "$log"; echo "demo: the gateway is not ready" >&2; exit 1; }
echo "gateway   http://$gw  (Host: $host)"
echo "admin     http://$admin/status  /metrics"
echo "catalogue http://$cat_addr/"

req() {
  local what=$1; shift
  printf '\n\033[1m$ %s\033[0m\n' "$what"
  curl -sS -o /dev/stdout -w '\n-> HTTP %{http_code}\n' -H "Host: $host" "$@" | head -c 1200
}

bold "3. Sample requests"
req "open API, no credential" "http://$gw/ukhsa/dashboard-metrics/v2/themes"
req "app-level0 with a granted app's API key" -H 'apikey: demo-healthyapps-tracker-sandbox-key-0001' "http://$gw/nice/guidance/v1/guidance?q=hypertension"
req "the same API with a wrong key (401)" -H 'apikey: not-a-real-key' "http://$gw/nice/guidance/v1/guidance"
req "a valid key without a grant for this API (403)" -H 'apikey: demo-healthyapps-tracker-sandbox-key-0001' "http://$gw/nhsbsa/dental-contracts/v1/contracts"
printf '\n\033[1m$ %s\033[0m\n' "the sandbox demo key on the production host (401: the key is bound to sandbox)"
curl -sS -o /dev/stdout -w '\n-> HTTP %{http_code}\n' -H "Host: api.health.example" \
  -H 'apikey: demo-healthyapps-tracker-sandbox-key-0001' "http://$gw/nice/guidance/v1/guidance" | head -c 1200
req "an ambiguous path (400)" --path-as-is "http://$gw/nice/guidance/v1/%2e%2e/admin"
req "an unknown API (404)" "http://$gw/nobody/nothing/v1/"

bold "4. The catalogue (rebuilt on every change)"
for _ in $(seq 1 50); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$cat_addr/")" = 200 ] && break
  sleep 0.1
done
printf 'GET http://%s/ -> ' "$cat_addr"
curl -sS "http://$cat_addr/" | grep -o '<title>[^<]*</title>' || { echo "demo: the catalogue is not served" >&2; exit 1; }
printf 'GET http://%s/apis/nhsbsa/prescription-exemptions/ -> HTTP %s\n' "$cat_addr" \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://$cat_addr/apis/nhsbsa/prescription-exemptions/")"

bold "5. Status of the gateway"
curl -sS "http://$admin/status" | head -c 800; echo

if [ "${DEMO_EXIT:-}" = 1 ]; then
  bold "DEMO_EXIT=1: stopping"
  exit 0
fi
bold "Serving until Ctrl-C. Edit a file under $example and watch /status pick it up."
wait $pid
