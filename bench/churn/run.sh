#!/usr/bin/env bash
# Memory under steady create/expire churn (issue 11 item 3): one router, a
# client writing RATE never-seen params a second, each with a 1 s TTL, for
# DURATION seconds. Every expiry leaves a tombstone that is purged after
# RETENTION seconds, so RSS must level off once the first tombstones are
# purged. Prints "t_s rss_kb params tombstones" every SAMPLE seconds and the
# RSS growth over the second half of the run.
#
# Env: RATE (20000), DURATION (60), RETENTION (5), SAMPLE (5), PERSIST (off|on:
#      --data-dir in the run directory), CLASP, SCENARIO_CLIENT, KEEP_WORK=1.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/bench/common.sh"
RATE="${RATE:-20000}"
DURATION="${DURATION:-60}"
RETENTION="${RETENTION:-5}"
SAMPLE="${SAMPLE:-5}"
PERSIST="${PERSIST:-off}"
CLASP="${CLASP:-$(newest "$ROOT"/build*/app/clasp)}"
SCENARIO_CLIENT="${SCENARIO_CLIENT:-$(newest "$ROOT"/build*/bench/loadgen/clasp_scenario)}"
[ -x "$CLASP" ] || { echo "no clasp binary (build the clasp target)"; exit 1; }
[ -x "$SCENARIO_CLIENT" ] || { echo "no clasp_scenario binary (build the clasp_scenario target)"; exit 1; }
command -v curl >/dev/null || { echo "needs curl"; exit 1; }
command -v jq >/dev/null || { echo "needs jq"; exit 1; }

RUN="$(mktemp -d -t clasp_churn_XXXXXX)"
ROUTER_PID="" CLIENT_PID=""
cleanup() {
  stop_pids $CLIENT_PID $ROUTER_PID
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

extra=()
[ "$PERSIST" = on ] && extra=(--data-dir "$RUN/data")
"$CLASP" server --bind 127.0.0.1 --port 0 --log-level warn --tombstone-retention "$RETENTION" \
  "${extra[@]}" >"$RUN/router.log" 2>&1 &
ROUTER_PID=$!
PORT=""
for _ in $(seq 1 200); do
  PORT="$(grep -o 'listening on ws://127.0.0.1:[0-9]*' "$RUN/router.log" 2>/dev/null | head -n 1 | sed 's/.*://')"
  [ -n "$PORT" ] && break
  kill -0 "$ROUTER_PID" 2>/dev/null || break
  sleep 0.05
done
[ -n "$PORT" ] || { echo "router did not start: $(tail -n 3 "$RUN/router.log")"; exit 1; }

rss_kb() { awk '$1=="VmRSS:"{print $2}' "/proc/$ROUTER_PID/status" 2>/dev/null || echo 0; }
stat() { curl -s -m 5 "http://127.0.0.1:$PORT/stats" | jq -r ".$1 // 0" 2>/dev/null || echo 0; }

echo "churn: $RATE new params/s with a 1 s TTL for $DURATION s, tombstone retention $RETENTION s, persistence $PERSIST"
"$SCENARIO_CLIENT" churn --url "ws://127.0.0.1:$PORT" --rate "$RATE" --duration "$DURATION" >"$RUN/client.json" &
CLIENT_PID=$!
printf "%6s %10s %10s %12s\n" t_s rss_kb params tombstones
declare -a SAMPLES=()
t=0
while kill -0 "$CLIENT_PID" 2>/dev/null; do
  rss="$(rss_kb)"
  printf "%6d %10d %10s %12s\n" "$t" "$rss" "$(stat params)" "$(stat tombstones)"
  SAMPLES+=("$t:$rss")
  sleep "$SAMPLE"
  t=$((t + SAMPLE))
done
wait "$CLIENT_PID"
CLIENT_PID=""
cat "$RUN/client.json"
# Growth over the second half: steady state once the retention has passed.
half=$((DURATION / 2))
first="" last=""
for s in "${SAMPLES[@]}"; do
  st="${s%%:*}" rss="${s##*:}"
  [ "$st" -ge "$half" ] && [ -z "$first" ] && first="$rss"
  last="$rss"
done
if [ -n "$first" ] && [ "$first" -gt 0 ]; then
  awk -v a="$first" -v b="$last" -v h="$half" -v d="$DURATION" \
    'BEGIN{printf "RSS from %d s to %d s: %d kB -> %d kB (%+.1f%%)\n", h, d, a, b, (b-a)*100.0/a}'
fi
