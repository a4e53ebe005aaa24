#!/usr/bin/env bash
# p99 latency of a small client on one router while the router answers big
# requests (issue 9, item 4): SET -> ACK round trips on the hub, at RATE/s for
# DURATION s, in three phases:
#   idle       nothing else runs;
#   subscribe  another client subscribes to all PARAMS params (SNAPSHOT of the
#              whole table, then its ACK), again and again;
#   leaf-sync  a new leaf (no state) connects and syncs all PARAMS params,
#              again and again (a fresh leaf each time).
# Topology: hub + leaf A (owns /site-a/**, filled with PARAMS params, which the
# hub replicates). Hub and leaf A on SERVER_CPU, the probe on CLIENT_CPU. The
# big subscriber and the new leaf stand for other machines: they share
# CLIENT_CPU at nice 10, so they neither take the hub's CPU nor delay the
# probe's own client side. Target: p99 < 2 ms.
#
# Env: PARAMS (1000000), DURATION (10), RATE (1000), CLASP, SCENARIO_CLIENT,
#      SERVER_CPU (0), CLIENT_CPU (1), KEEP_WORK=1, HUB_ARGS (extra hub options, e.g.
#      "--io-threads 2" for an A/B run).
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
PARAMS="${PARAMS:-1000000}"
DURATION="${DURATION:-10}"
RATE="${RATE:-1000}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}"
CLASP="${CLASP:-$(newest "$ROOT"/build*/app/clasp)}"
SCENARIO_CLIENT="${SCENARIO_CLIENT:-$(newest "$ROOT"/build*/bench/loadgen/clasp_scenario)}"
for b in "$CLASP" "$SCENARIO_CLIENT"; do
  [ -n "$b" ] && [ -x "$b" ] || { echo "latency_under_load: missing binary (build clasp and clasp_scenario, or set CLASP= / SCENARIO_CLIENT=)"; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/clasp-lul.XXXXXX")"
cp "$CLASP" "$WORK/clasp"  # a private copy: other builds may relink the router meanwhile
declare -A PID PORT
STARTED=()
cleanup() {
  [ "${#STARTED[@]}" -gt 0 ] && stop_pids "${STARTED[@]}"
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_router NAME ARGS...: `clasp server` on a free port in a fresh directory;
# waits (10 s) for its "listening on" line.
start_router() {
  local name="$1"; shift
  LAUNCH_PREFIX="${ROUTER_PREFIX:-}" launch_clasp "$name" "$WORK/$name.$RANDOM" "$@"
}
stop_router() {
  local pid="${PID[$1]}" kept=() p
  stop_pids "$pid"
  for p in "${STARTED[@]}"; do [ "$p" != "$pid" ] && kept+=("$p"); done
  STARTED=("${kept[@]}")
}
# The polling runs on the client CPU, so it takes no CPU from the hub.
params_of() {
  taskset -c "$CLIENT_CPU" curl -s -m 5 "http://127.0.0.1:${PORT[$1]}/stats" | jq -r '.params // 0' 2>/dev/null || echo 0
}
# wait_params NAME N TIMEOUT_S: polls /stats every 200 ms.
wait_params() {
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(params_of "$1")" -ge "$2" ] 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
client() { taskset -c "$CLIENT_CPU" "$SCENARIO_CLIENT" "$@"; }
probe() {  # probe LABEL: runs in the background, JSON into $WORK/probe-LABEL.json
  client probe --url "ws://127.0.0.1:${PORT[hub]}" --rate "$RATE" --duration "$DURATION" --label "$1" \
    >"$WORK/probe-$1.json" &
  PROBE=$!
}

start_router hub --features federation --federation-id hub ${HUB_ARGS:-} || exit 1
start_router a --federation-mode leaf --federation-hub "ws://127.0.0.1:${PORT[hub]}" \
  --federation-namespaces "/site-a/**" --federation-id site-a || exit 1
echo "filling leaf A with $PARAMS params ..."
client fill --url "ws://127.0.0.1:${PORT[a]}" --prefix /site-a/p/ --count "$PARAMS" --value 1 >/dev/null
wait_params hub "$PARAMS" 120 || { echo "the hub holds only $(params_of hub) of $PARAMS params"; exit 1; }
echo "hub holds $PARAMS params; probe: SET->ACK at $RATE/s for $DURATION s per phase (routers cpu$SERVER_CPU, clients cpu$CLIENT_CPU)"

probe idle; wait "$PROBE"

probe subscribe
sub="$(nice -n 10 taskset -c "$CLIENT_CPU" "$SCENARIO_CLIENT" subscribe --url "ws://127.0.0.1:${PORT[hub]}" \
  --pattern "/site-a/**" --expect "$PARAMS" --duration "$DURATION")"
wait "$PROBE"
echo "big subscriber: $sub"

probe leaf-sync
syncs=0; sync_fail=0; slowest=0
while kill -0 "$PROBE" 2>/dev/null; do
  t0="$(date +%s.%N)"
  ROUTER_PREFIX="nice -n 10 taskset -c $CLIENT_CPU" start_router b --federation-mode leaf --federation-hub "ws://127.0.0.1:${PORT[hub]}" \
    --federation-namespaces "/site-b/**" --federation-id "site-b-$syncs" || break
  if wait_params b "$PARAMS" 120; then
    syncs=$((syncs + 1))
    slowest="$(awk -v a="$t0" -v b="$(date +%s.%N)" -v s="$slowest" 'BEGIN{d=b-a; if (d < s) d = s; printf "%.2f", d}')"
  else
    sync_fail=$((sync_fail + 1))
  fi
  stop_router b
done
wait "$PROBE"
echo "new leaves synced: $syncs complete ($sync_fail incomplete), slowest ${slowest} s"

echo
echo "| phase | round trips | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | > 2 ms |"
echo "|---|---|---|---|---|---|---|---|"
status=0
for phase in idle subscribe leaf-sync; do
  f="$WORK/probe-$phase.json"
  if ! jq -e . "$f" >/dev/null 2>&1; then echo "| $phase | failed: $(cat "$f") |"; status=1; continue; fi
  jq -r '"| \(.label) | \(.round_trips) | \(.p50_us) | \(.p90_us) | \(.p99_us) | \(.p999_us) | \(.max_us) | \(.over_2ms) |"' "$f"
  [ "$(jq -r '.p99_us < 2000' "$f")" = true ] || status=1
done
[ "$status" = 0 ] && echo "p99 under 2 ms in every phase" || echo "p99 at or over 2 ms (or a failed probe) in some phase"
exit "$status"
