#!/usr/bin/env bash
# Issue 5's further scenarios against our clasp routers: initial sync of many
# params to a new leaf, resync after a partition, memory per stored param and
# 1,000-subscriber fan-out. Prints one result line per scenario and appends JSON
# lines to bench/results/<date>.jsonl. Every router runs in its own temp dir and
# is stopped by PID on exit.
#
# Env: QUICK=1 (100,000 params instead of 1,000,000), PARAMS, CHANGES (100),
#      SCENARIOS ("sync memory fanout"; sync = initial sync + resync),
#      PERSISTENCE ("off on": --state-db in a temp dir for sync and memory),
#      FAN_SUBS (1000), FAN_UPDATES (2000), FAN_KEYS (10), SYNC_TIMEOUT (180 s),
#      RECONNECT_DELAY_MS (3000), SERVER_CPU (0), CLIENT_CPU (1), CLASP, SCENARIO_CLIENT,
#      KEEP_WORK=1 (keep router logs).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
QUICK="${QUICK:-0}"
if [ "$QUICK" = 1 ]; then PARAMS="${PARAMS:-100000}"; else PARAMS="${PARAMS:-1000000}"; fi
CHANGES="${CHANGES:-100}"
SCENARIOS="${SCENARIOS:-sync memory fanout}"
PERSISTENCE="${PERSISTENCE:-off on}"
FAN_SUBS="${FAN_SUBS:-1000}"
FAN_UPDATES="${FAN_UPDATES:-2000}"
FAN_KEYS="${FAN_KEYS:-10}"
SYNC_TIMEOUT="${SYNC_TIMEOUT:-180}"
RECONNECT_DELAY_MS="${RECONNECT_DELAY_MS:-3000}"
NCPU="$(nproc)"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-$([ "$NCPU" -ge 2 ] && echo 1 || echo 0)}"

# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
CLASP="${CLASP:-$(newest "$ROOT"/build*/app/clasp)}"
SCENARIO_CLIENT="${SCENARIO_CLIENT:-$(newest "$ROOT"/build*/bench/loadgen/clasp_scenario)}"
for b in "$CLASP" "$SCENARIO_CLIENT"; do
  [ -n "$b" ] && [ -x "$b" ] || { echo "scenarios: missing binary (build targets clasp and clasp_scenario, or set CLASP= / SCENARIO_CLIENT=)"; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/clasp-scen.XXXXXX")"
# A private copy: other builds may relink the router while we run.
cp "$CLASP" "$WORK/clasp"
mkdir -p "$ROOT/bench/results"
RESULTS="$ROOT/bench/results/$(date +%F).jsonl"
STAMP="$(date -u +%FT%TZ)"
declare -A PID PORT
STARTED=()

stop_routers() {
  [ "${#STARTED[@]}" -gt 0 ] && stop_pids "${STARTED[@]}"
  STARTED=(); PID=(); PORT=()
}
cleanup() {
  stop_routers
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "scenarios: logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

# start_router NAME PERSIST ARGS...: runs `clasp server` on a free port in its
# own directory (PERSIST=on adds --state-db there) and waits (10 s) for
# "listening on ws://127.0.0.1:PORT".
start_router() {
  local name="$1" persist="$2"; shift 2
  local dir="$RUN/$name" extra=()
  [ "$persist" = on ] && extra=(--state-db "$dir/state.db")
  launch_clasp "$name" "$dir" "${extra[@]}" "$@"
}

stats() { curl -s -m 5 "http://127.0.0.1:${PORT[$1]}/stats"; }
stat_field() { stats "$1" | jq -r ".$2 // 0" 2>/dev/null || echo 0; }
proc_kb() { awk -v k="$2:" '$1==k{print $2}' "/proc/${PID[$1]}/status" 2>/dev/null || echo 0; }
wchar() { awk '$1=="wchar:"{print $2}' "/proc/${PID[$1]}/io" 2>/dev/null || echo 0; }
cpu_s() {  # user + system CPU seconds of a router
  awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /,""); printf "%.2f", ($12+$13)/hz}' "/proc/${PID[$1]}/stat" 2>/dev/null || echo 0
}
# Bytes received by router NAME on its established connections to port P
# (from the kernel's per-socket counters; a reconnect starts a fresh socket).
sock_rx() {
  ss -tinpH state established "( dport = :$2 )" 2>/dev/null |
    awk -v pid="pid=${PID[$1]}," 'index($0, pid) {take=1; next} take && /bytes_received:/ {
      match($0, /bytes_received:[0-9]+/); s += substr($0, RSTART+15, RLENGTH-15); take=0 } END {print s+0}'
}
# Per-connection bytes sent by router NAME on the sockets it accepted
# ("peer_port bytes_sent" lines); tx_delta BEFORE AFTER sums what was sent in
# between (connections opened in between count from zero).
sock_tx_snapshot() {
  ss -tinpH state established "( sport = :${PORT[$1]} )" 2>/dev/null |
    awk -v pid="pid=${PID[$1]}," 'index($0, pid) {n=split($4, a, ":"); peer=a[n]; take=1; next}
      take && /bytes_sent:/ {match($0, /bytes_sent:[0-9]+/); print peer, substr($0, RSTART+11, RLENGTH-11); take=0}'
}
tx_delta() {
  awk 'NR==FNR {before[$1]=$2; next} {if ($2 > m[$1]) m[$1] = $2}
    END {for (p in m) s += m[p] - (p in before ? before[p] : 0); print s+0}' "$1" "$2"
}
# Local ports of router NAME's connections to port P (to split the hub's sends per peer).
local_ports() {
  ss -tinpH state established "( dport = :$2 )" 2>/dev/null |
    awk -v pid="pid=${PID[$1]}," 'index($0, pid) {n=split($3, a, ":"); print a[n]}'
}
# tx_delta_to BEFORE AFTER PORTS...: like tx_delta, only for the given peer ports.
tx_delta_to() {
  local b="$1" a="$2"; shift 2
  awk -v ports=" $* " 'NR==FNR {before[$1]=$2; next} index(ports, " " $1 " ") {if ($2 > m[$1]) m[$1] = $2}
    END {for (p in m) s += m[p] - (p in before ? before[p] : 0); print s+0}' "$b" "$a"
}
io_field() { awk -v k="$2:" '$1==k{print $2}' "/proc/${PID[$1]}/io" 2>/dev/null || echo 0; }
# While TX_SAMPLES names a file, waits append hub send-counter snapshots to it
# (every ~0.2 s), so a connection that drops mid-window still counts.
TX_SAMPLES=""
sample_tx() {
  [ -n "$TX_SAMPLES" ] || return 0
  local t; t="$(date +%s%N)"
  if [ $(( t - ${LAST_SAMPLE:-0} )) -gt 200000000 ]; then
    sock_tx_snapshot hub >>"$TX_SAMPLES"; LAST_SAMPLE="$t"
    local_ports a "${PORT[hub]}" >>"$TX_SAMPLES.ports_a"; local_ports b "${PORT[hub]}" >>"$TX_SAMPLES.ports_b"
  fi
}
# wait_params NAME N TIMEOUT: polls /stats every 20 ms until params >= N.
wait_params() {
  local deadline; deadline="$(awk -v t="$(now)" -v d="$3" 'BEGIN{printf "%.0f", t+d}')"
  while [ "$(date +%s)" -lt "$deadline" ]; do
    sample_tx
    LAST_PARAMS="$(stat_field "$1" params)"
    [ "$LAST_PARAMS" -ge "$2" ] 2>/dev/null && return 0
    sleep 0.02
  done
  return 1
}
scenario_client() { taskset -c "$CLIENT_CPU" "$SCENARIO_CLIENT" "$@"; }
record() {  # record JSON: adds the session fields, appends to the results file
  echo "$1" | jq -c --arg stamp "$STAMP" --arg host "$(hostname)" --argjson quick "$([ "$QUICK" = 1 ] && echo true || echo false)" \
    --arg place "routers:cpu$SERVER_CPU client:cpu$CLIENT_CPU" --arg clasp "$CLASP" \
    '. + {session:$stamp, host:$host, quick:$quick, placement:$place, clasp:$clasp}' >>"$RESULTS"
}
mb() { awk -v b="$1" 'BEGIN{printf "%.1f MB", b/1e6}'; }

# Scenarios 1 and 2: hub + leaf A filled with PARAMS params; a new leaf B syncs
# them all; then B's link drops, CHANGES params change at A, B resyncs.
scenario_sync() {
  local persist="$1" fill t0 t1 w0 w1 rx_full cpu_hub0 cpu_b0 sync_s ok=true
  RUN="$WORK/sync-$persist"; mkdir -p "$RUN"
  start_router hub "$persist" --features federation --federation-id hub || return 1
  start_router a "$persist" --federation-mode leaf --federation-hub "ws://127.0.0.1:${PORT[hub]}" \
    --federation-namespaces "/site-a/**" --federation-id site-a || return 1
  t0="$(now)"
  fill="$(scenario_client fill --url "ws://127.0.0.1:${PORT[a]}" --prefix /site-a/p/ --count "$PARAMS" --value 1)"
  [ -n "$fill" ] || fill='{"ok":false}'
  local fill_a_s; fill_a_s="$(elapsed "$t0" "$(now)")"
  if ! wait_params hub "$PARAMS" 120; then
    echo "  [persistence $persist] hub holds only $(stat_field hub params) of $PARAMS params 120 s after the fill; skipping sync"
    record "{\"scenario\":\"initial_sync\",\"persistence\":\"$persist\",\"ok\":false,\"error\":\"hub never held all params\",\"fill\":$fill}"
    return 1
  fi
  local fill_hub_s; fill_hub_s="$(elapsed "$t0" "$(now)")"
  echo "  [persistence $persist] filled leaf A: $PARAMS params, $(echo "$fill" | jq -r .sets_per_s) SET/s from one connection; hub held all after $fill_hub_s s"

  sock_tx_snapshot hub >"$RUN/tx0"; w0="$(wchar hub)"; cpu_hub0="$(cpu_s hub)"
  TX_SAMPLES="$RUN/tx1"; : >"$TX_SAMPLES"; : >"$TX_SAMPLES.ports_a"; : >"$TX_SAMPLES.ports_b"; LAST_SAMPLE=0
  t0="$(now)"
  start_router b "$persist" --federation-mode leaf --federation-hub "ws://127.0.0.1:${PORT[hub]}" \
    --federation-namespaces "/site-b/**" --federation-id site-b --test-admin \
    --federation-reconnect-delay-ms "$RECONNECT_DELAY_MS" || return 1
  wait_params b "$PARAMS" "$SYNC_TIMEOUT" || ok=false
  t1="$(now)"; w1="$(wchar hub)"; LAST_SAMPLE=0; sample_tx; TX_SAMPLES=""
  sync_s="$(elapsed "$t0" "$t1")"
  local tx_full tx_full_a tx_full_b; tx_full="$(tx_delta "$RUN/tx0" "$RUN/tx1")"
  tx_full_a="$(tx_delta_to "$RUN/tx0" "$RUN/tx1" $(sort -u "$RUN/tx1.ports_a"))"
  tx_full_b="$(tx_delta_to "$RUN/tx0" "$RUN/tx1" $(sort -u "$RUN/tx1.ports_b"))"
  rx_full="$(sock_rx b "${PORT[hub]}")"
  local hwm_b rss_b rss_hub rss_a cpu_hub cpu_b line b_stats
  hwm_b="$(proc_kb b VmHWM)"; rss_b="$(proc_kb b VmRSS)"
  rss_hub="$(proc_kb hub VmRSS)"; rss_a="$(proc_kb a VmRSS)"
  cpu_hub="$(awk -v a="$cpu_hub0" -v b="$(cpu_s hub)" 'BEGIN{printf "%.2f", b-a}')"; cpu_b="$(cpu_s b)"
  b_stats="$(stats b)"; echo "$b_stats" | jq -e . >/dev/null 2>&1 || b_stats="{\"error\":\"no /stats answer in 5 s\"}"
  line="{\"scenario\":\"initial_sync\",\"persistence\":\"$persist\",\"ok\":$ok,\"params\":$PARAMS,\"b_params\":${LAST_PARAMS:-0},
    \"sync_s\":$sync_s,\"hub_socket_tx_bytes\":$tx_full,\"hub_tx_to_a\":$tx_full_a,\"hub_tx_to_b\":$tx_full_b,\"b_socket_rx_bytes\":$rx_full,\"hub_wchar_bytes\":$((w1 - w0)),
    \"b_peak_rss_kb\":$hwm_b,\"b_rss_kb\":$rss_b,\"hub_rss_kb\":$rss_hub,\"a_rss_kb\":$rss_a,\"hub_cpu_s\":$cpu_hub,
    \"b_cpu_s\":$cpu_b,\"b_stats\":$b_stats,\"fill_a_s\":$fill_a_s,\"fill_hub_s\":$fill_hub_s,\"fill\":$fill,\"target_s\":10}"
  record "$line"
  echo "  RESULT initial sync [persistence $persist]: ${LAST_PARAMS:-0}/$PARAMS params at B in $sync_s s (target < 10 s);" \
    "hub sent $(mb "$tx_full") on its sockets ($((tx_full / PARAMS)) B/param: $(mb "$tx_full_b") to B, $(mb "$tx_full_a") to A)," \
    "hub wchar (files, pipes) $(mb $((w1 - w0))); B peak RSS $((hwm_b / 1024)) MB; CPU during sync: hub $cpu_hub s, B $cpu_b s"
  echo "    B /stats after sync: $(echo "$b_stats" | jq -c '{params, remote_applied, remote_stale, sets_applied}' 2>/dev/null)"
  [ "$ok" = true ] || return 1
  # Settle: the hub may still be sending; let B's link reach Active (bounded 60 s).
  for _ in $(seq 1 600); do
    curl -s -m 2 "http://127.0.0.1:${PORT[b]}/federation/peers" | grep -q Active && break
    sleep 0.1
  done

  # Scenario 2: partition B, change CHANGES params at A, wait for B to hold them.
  local stride=$((PARAMS / CHANGES)) applied0 stale0 verify r_s rx_re tx_re
  applied0="$(stat_field b remote_applied)"; stale0="$(stat_field b remote_stale)"
  sock_tx_snapshot hub >"$RUN/tx0"; w0="$(wchar hub)"
  TX_SAMPLES="$RUN/tx2"; : >"$TX_SAMPLES"; : >"$TX_SAMPLES.ports_a"; : >"$TX_SAMPLES.ports_b"; LAST_SAMPLE=0; sample_tx
  t0="$(now)"
  curl -s -m 5 -X POST "http://127.0.0.1:${PORT[b]}/admin/kill-links" >"$RUN/kill.json"
  local change; change="$(scenario_client fill --url "ws://127.0.0.1:${PORT[a]}" --prefix /site-a/p/ --count "$CHANGES" \
    --stride "$stride" --value 2 --confirm-every "$CHANGES")"
  [ -n "$change" ] || change='{"ok":false}'
  local change_done_s; change_done_s="$(elapsed "$t0" "$(now)")"
  scenario_client verify --url "ws://127.0.0.1:${PORT[b]}" --prefix /site-a/p/ --count "$CHANGES" \
    --stride "$stride" --equals 2 --timeout $((RECONNECT_DELAY_MS / 1000 + 60)) >"$RUN/verify.json" &
  local vpid=$!
  STARTED+=("$vpid")
  while kill -0 "$vpid" 2>/dev/null; do sample_tx; sleep 0.05; done  # bounded by verify's --timeout
  wait "$vpid"
  verify="$(cat "$RUN/verify.json")"
  [ -n "$verify" ] || verify='{"ok":false,"matched":0}'
  t1="$(now)"; w1="$(wchar hub)"; LAST_SAMPLE=0; sample_tx; TX_SAMPLES=""
  r_s="$(elapsed "$t0" "$t1")"
  tx_re="$(tx_delta "$RUN/tx0" "$RUN/tx2")"
  local tx_re_a tx_re_b
  tx_re_a="$(tx_delta_to "$RUN/tx0" "$RUN/tx2" $(sort -u "$RUN/tx2.ports_a"))"
  tx_re_b="$(tx_delta_to "$RUN/tx0" "$RUN/tx2" $(sort -u "$RUN/tx2.ports_b"))"
  rx_re="$(sock_rx b "${PORT[hub]}")"
  local ok2 applied1 stale1; ok2="$(echo "$verify" | jq .ok)"
  applied1="$(stat_field b remote_applied)"; stale1="$(stat_field b remote_stale)"
  line="{\"scenario\":\"resync\",\"persistence\":\"$persist\",\"ok\":$ok2,\"params\":$PARAMS,\"changes\":$CHANGES,
    \"resync_s\":$r_s,\"reconnect_delay_ms\":$RECONNECT_DELAY_MS,\"changes_written_s\":$change_done_s,
    \"hub_socket_tx_bytes\":$tx_re,\"hub_tx_to_a\":$tx_re_a,\"hub_tx_to_b\":$tx_re_b,\"b_socket_rx_bytes\":$rx_re,\"hub_wchar_bytes\":$((w1 - w0)),
    \"full_hub_socket_tx_bytes\":$tx_full,\"full_b_socket_rx_bytes\":$rx_full,
    \"pct_to_b_of_full_to_b\":$(awk -v a="$tx_re_b" -v b="$tx_full_b" 'BEGIN{printf "%.4f", b ? 100*a/b : 0}'),
    \"pct_of_full\":$(awk -v a="$tx_re" -v b="$tx_full" 'BEGIN{printf "%.4f", b ? 100*a/b : 0}'),
    \"b_remote_applied_delta\":$((applied1 - applied0)),\"b_remote_stale_delta\":$((stale1 - stale0)),
    \"kill\":$(jq -c . "$RUN/kill.json" 2>/dev/null || echo null),\"change\":$change,\"verify\":$verify,\"target_pct\":1}"
  record "$line"
  echo "  RESULT resync [persistence $persist]: $(echo "$verify" | jq -r .matched)/$CHANGES changes at B after $r_s s" \
    "(includes the ${RECONNECT_DELAY_MS} ms reconnect delay); hub sent $tx_re B on its sockets" \
    "= $(echo "$line" | jq -r .pct_of_full)% of the full sync (target < 1%): $tx_re_b B to B ($(echo "$line" | jq -r .pct_to_b_of_full_to_b)% of the initial sync to B), $tx_re_a B to A;" \
    "hub wchar $(mb $((w1 - w0))); B remote_applied +$((applied1 - applied0)), remote_stale +$((stale1 - stale0))"
}

# Scenario 3: RSS of one router before and after PARAMS params.
scenario_memory() {
  local persist="$1" rss0 rss1 prev fill ok=true
  RUN="$WORK/memory-$persist"; mkdir -p "$RUN"
  start_router solo "$persist" || return 1
  # One warm-up write so connection and store machinery count in the baseline.
  scenario_client fill --url "ws://127.0.0.1:${PORT[solo]}" --prefix /warm/ --count 1 >/dev/null
  rss0="$(proc_kb solo VmRSS)"
  fill="$(scenario_client fill --url "ws://127.0.0.1:${PORT[solo]}" --prefix /site-a/p/ --count "$PARAMS" --value 1)"
  FILL_END="$(now)"
  [ -n "$fill" ] || fill='{"ok":false,"address_bytes":0,"value_bytes":0}'
  wait_params solo $((PARAMS + 1)) 120 || ok=false
  # With persistence: how long after the fill's last ACK the database holds
  # every param (bounded: 120 s; a read-only second connection, as WAL allows).
  # Until then the persistence path still holds copies, so RSS is read after.
  local lag_s=null
  [ "$persist" = on ] && ! command -v sqlite3 >/dev/null && echo "  (no sqlite3 command: commit lag not measured)"
  if [ "$persist" = on ] && command -v sqlite3 >/dev/null; then
    for _ in $(seq 1 480); do
      [ "$(sqlite3 -readonly "$RUN/solo/state.db" "SELECT count(*) FROM params" 2>/dev/null || echo 0)" -ge $((PARAMS + 1)) ] &&
        { lag_s="$(elapsed "$FILL_END" "$(now)")"; break; }
      sleep 0.25
    done
    [ "$lag_s" = null ] && ok=false
  fi
  # Let RSS settle (bounded: 20 s): freed pages go back to the system.
  rss1="$(proc_kb solo VmRSS)"
  for _ in $(seq 1 40); do
    sleep 0.5; prev="$rss1"; rss1="$(proc_kb solo VmRSS)"
    [ $(( prev - rss1 )) -lt $(( prev / 200 + 1 )) ] && [ $(( rss1 - prev )) -lt $(( prev / 200 + 1 )) ] && break
  done
  local addr val per_param beyond hwm db_bytes=0
  addr="$(echo "$fill" | jq .address_bytes)"; val="$(echo "$fill" | jq .value_bytes)"
  hwm="$(proc_kb solo VmHWM)"
  [ "$persist" = on ] && db_bytes="$(du -cb "$RUN/solo/"state.db* 2>/dev/null | tail -n 1 | cut -f1)"
  per_param="$(awk -v a="$rss0" -v b="$rss1" -v n="$PARAMS" 'BEGIN{printf "%.1f", (b-a)*1024/n}')"
  beyond="$(awk -v p="$per_param" -v a="$addr" -v v="$val" -v n="$PARAMS" 'BEGIN{printf "%.1f", p-(a+v)/n}')"
  record "{\"scenario\":\"memory\",\"persistence\":\"$persist\",\"ok\":$ok,\"params\":$PARAMS,\"rss_before_kb\":$rss0,
    \"rss_after_kb\":$rss1,\"peak_rss_kb\":$hwm,\"bytes_per_param\":$per_param,\"bytes_beyond_address_value\":$beyond,
    \"address_bytes\":$addr,\"value_bytes\":$val,\"db_bytes\":${db_bytes:-0},\"commit_lag_s\":$lag_s,\"fill\":$fill,\"target_bytes\":200}"
  local sets_per_s compare=""
  sets_per_s="$(echo "$fill" | jq '.sets_per_s // 0')"
  # Issue 11's persistence targets, against the in-memory run of this session.
  if [ "$persist" = off ]; then
    MEMORY_OFF_SETS="$sets_per_s"; MEMORY_OFF_BYTES="$per_param"
  elif [ -n "${MEMORY_OFF_SETS:-}" ]; then
    compare="$(awk -v s="$sets_per_s" -v s0="$MEMORY_OFF_SETS" -v b="$per_param" -v b0="$MEMORY_OFF_BYTES" \
      'BEGIN{printf "; vs in-memory: fill %.0f%% (target >= 50%%), memory +%.1f%% (target <= 20%%)", 100*s/s0, 100*(b-b0)/b0}')"
  fi
  echo "  RESULT memory [persistence $persist]: RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MB for $PARAMS params" \
    "= $per_param B/param, $beyond B beyond address+value (target < 200); peak $((hwm / 1024)) MB;" \
    "fill $sets_per_s SET/s$([ "$persist" = on ] && echo "; state.db $(mb "${db_bytes:-0}"), all params committed $lag_s s after the fill's end")$compare"
}

# Scenario 4: FAN_SUBS subscribers of /fan/** on one router, one publisher.
scenario_fanout() {
  RUN="$WORK/fanout"; mkdir -p "$RUN"
  start_router solo off || return 1
  local out after cpu0 cpu1
  cpu0="$(cpu_s solo)"
  out="$(scenario_client fanout --url "ws://127.0.0.1:${PORT[solo]}" --subs "$FAN_SUBS" --updates "$FAN_UPDATES" \
    --keys "$FAN_KEYS" --timeout 120)"
  cpu1="$(cpu_s solo)"
  # Does the router still answer once the subscribers are gone?
  sleep 1
  after="$(stats solo)"
  local after_ok=true; echo "$after" | jq -e .params >/dev/null 2>&1 || after_ok=false
  record "$(echo "$out" | jq -c --argjson a "$after_ok" --arg s "$after" --argjson c "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{print b-a}')" \
    '{scenario:"fanout", persistence:"off"} + . + {stats_after_ok:$a, stats_after:$s, router_cpu_s:$c}')"
  echo "$out" | jq -r '"  RESULT fan-out: \(.subs) subscribers x \(.updates) updates over \(.keys) addresses: \(.deliveries)/\(.expected) deliveries in \(.span_s) s = \(.deliveries_per_s) deliveries/s; every update at \(.subs_with_every_update) subs, latest value at \(.subs_with_latest); out of order \(.out_of_order); latency p50 \(.p50_us) us p99 \(.p99_us) us (subscriber setup \(.setup_s) s)" + (if .error != "" then "; error: \(.error)" else "" end)'
  echo "  router CPU during the fan-out: $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.2f", b-a}') s; /stats 1 s after: $([ "$after_ok" = true ] && echo answered || echo "FAILED: $after")"
}

echo "clasp scenarios  $STAMP  host $(hostname), $NCPU CPUs: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
echo "params $PARAMS, changes $CHANGES, fan-out $FAN_SUBS x $FAN_UPDATES; routers on CPU $SERVER_CPU, client on CPU $CLIENT_CPU; clasp: $CLASP"
for s in $SCENARIOS; do
  case "$s" in
    sync) for p in $PERSISTENCE; do echo "scenario: initial sync + resync (persistence $p)"; scenario_sync "$p"; stop_routers; done ;;
    memory) for p in $PERSISTENCE; do echo "scenario: memory per param (persistence $p)"; scenario_memory "$p"; stop_routers; done ;;
    fanout) echo "scenario: fan-out"; scenario_fanout; stop_routers ;;
    *) echo "unknown scenario $s" ;;
  esac
done
echo "JSON lines appended to ${RESULTS#"$ROOT"/}"
