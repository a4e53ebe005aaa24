#!/usr/bin/env bash
# Comparison benchmark: the same load generator against NATS leaf nodes,
# Mosquitto bridges and our clasp routers, single-server and leaf A -> hub -> leaf B.
# Prints a table of medians with ratios and appends JSON lines to bench/results/<date>.jsonl.
#
# Env: QUICK=1 (1 s latency, 100,000 messages), REPS (3), RATE (5000), LAT_DURATION (10),
#      TP_MESSAGES (1000000), WINDOW (10000), KEYS (100), SYSTEMS ("nats mqtt clasp"),
#      TOPOLOGIES ("federated single"; "mesh": three servers all connected, see bench/mesh), MODES ("latency throughput"),
#      SERVER_CPU (0), CLIENT_CPU (1), IDLE_WAIT (0 s), LOADGEN, CLASP, NATS_SERVER,
#      MOSQUITTO, KEEP_WORK=1 (keep server logs and configs),
#      CLASP_ARGS (extra flags for every clasp router, split on spaces; each router
#      runs in its own directory, so CLASP_ARGS="--state-db state.db" gives each its own file),
#      CLASP_MESSAGE (set: the clasp publisher sends SETs; event: PUBLISH events of the same value).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
QUICK="${QUICK:-0}"
REPS="${REPS:-3}"
RATE="${RATE:-5000}"
if [ "$QUICK" = 1 ]; then
  LAT_DURATION="${LAT_DURATION:-1}"; TP_MESSAGES="${TP_MESSAGES:-100000}"
else
  LAT_DURATION="${LAT_DURATION:-10}"; TP_MESSAGES="${TP_MESSAGES:-1000000}"
fi
WINDOW="${WINDOW:-10000}"
KEYS="${KEYS:-100}"
TP_TIME_CAP="${TP_TIME_CAP:-60}"
SYSTEMS="${SYSTEMS:-nats mqtt clasp}"
CLASP_ARGS="${CLASP_ARGS:-}"
CLASP_MESSAGE="${CLASP_MESSAGE:-set}"
TOPOLOGIES="${TOPOLOGIES:-federated single}"
MODES="${MODES:-latency throughput}"
NCPU="$(nproc)"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-$([ "$NCPU" -ge 2 ] && echo 1 || echo 0)}"

# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
LOADGEN="${LOADGEN:-$(newest "$ROOT"/build*/bench/loadgen/clasp_loadgen)}"
CLASP="${CLASP:-$(newest "$ROOT"/build*/app/clasp)}"
NATS_SERVER="${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}"
# Servers start in their own run directories: make given paths absolute.
absolute() { case "$1" in ""|/*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
LOADGEN="$(absolute "$LOADGEN")"
CLASP="$(absolute "$CLASP")"
MOSQUITTO="${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"

if [ -z "$LOADGEN" ] || [ ! -x "$LOADGEN" ]; then
  echo "run.sh: building clasp_loadgen in build/"
  cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$ROOT/build" --target clasp_loadgen -j2 >/dev/null || { echo "run.sh: cannot build clasp_loadgen"; exit 1; }
  LOADGEN="$ROOT/build/bench/loadgen/clasp_loadgen"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/clasp-bench.XXXXXX")"
mkdir -p "$ROOT/bench/results"
RESULTS="$ROOT/bench/results/$(date +%F).jsonl"
SESSION="$WORK/session.jsonl"
STAMP="$(date -u +%FT%TZ)"
PIDS=()

cleanup() {
  [ "${#PIDS[@]}" -gt 0 ] && stop_pids "${PIDS[@]}"
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "run.sh: logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Bounded readiness check: the port accepts a TCP connection within 10 s.
wait_port() {
  local port="$1" pid="$2"
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
# start_server NAME PORT CMD...: runs CMD pinned to the server CPU, in its own
# directory (fresh persistence state), and waits for PORT.
start_server() {
  local name="$1" port="$2"; shift 2
  mkdir -p "$RUN_DIR/$name"
  (cd "$RUN_DIR/$name" && exec taskset -c "$SERVER_CPU" "$@" >"$RUN_DIR/$name.log" 2>&1) &
  local pid=$!
  PIDS+=("$pid"); TOPO_PIDS+=("$pid")
  wait_port "$port" "$pid" || { TOPO_ERROR="$name did not listen on $port (log: $(tail -n 2 "$RUN_DIR/$name.log" | tr '\n' ' '))"; return 1; }
}

nats_conf() {  # nats_conf FILE PORT [leaf-listen-port] [remote-leaf-port]
  { echo "listen: 127.0.0.1:$2"
    [ -n "${3:-}" ] && echo "leafnodes { listen: 127.0.0.1:$3 }"
    [ -n "${4:-}" ] && echo "leafnodes { remotes = [ { url: \"nats-leaf://127.0.0.1:$4\" } ] }"
  } >"$1"
}
nats_cluster_conf() {  # nats_cluster_conf FILE PORT CLUSTER_PORT OTHER_CLUSTER_PORT...
  local file="$1" port="$2" cport="$3" routes="" p; shift 3
  for p in "$@"; do routes="$routes${routes:+, }nats-route://127.0.0.1:$p"; done
  { echo "listen: 127.0.0.1:$port"
    echo "cluster { name: bench, listen: 127.0.0.1:$cport, routes: [ $routes ] }"
  } >"$file"
}
mosquitto_conf() {  # mosquitto_conf FILE PORT [NAME HUB_PORT]
  { echo "listener $2 127.0.0.1"
    echo "allow_anonymous true"
    if [ -n "${4:-}" ]; then
      echo "connection $3"
      echo "address 127.0.0.1:$4"
      echo "topic site-a/# both 0"
      echo "topic site-b/# both 0"
    fi
  } >"$1"
}

# start_topology SYSTEM TOPOLOGY MODE REP: sets PUB_URL, SUB_URL, TOPO_PIDS or TOPO_ERROR.
start_topology() {
  local system="$1" topology="$2" mode="$3" rep="$4" hub pa pb leaf
  RUN_DIR="$WORK/$system-$topology-$mode-$rep"; mkdir -p "$RUN_DIR"
  TOPO_PIDS=(); TOPO_ERROR=""
  hub="$(free_port)"; pa="$(free_port)"; pb="$(free_port)"; leaf="$(free_port)"
  if [ "$topology" = mesh ]; then
    start_mesh "$system"
    return
  fi
  case "$system:$topology" in
    nats:single)
      nats_conf "$RUN_DIR/hub.conf" "$hub"
      start_server hub "$hub" "$NATS_SERVER" -c "$RUN_DIR/hub.conf" || return 1
      PUB_URL="nats://127.0.0.1:$hub"; SUB_URL="$PUB_URL" ;;
    nats:federated)
      nats_conf "$RUN_DIR/hub.conf" "$hub" "$leaf"
      nats_conf "$RUN_DIR/a.conf" "$pa" "" "$leaf"
      nats_conf "$RUN_DIR/b.conf" "$pb" "" "$leaf"
      start_server hub "$leaf" "$NATS_SERVER" -c "$RUN_DIR/hub.conf" || return 1
      start_server leaf-a "$pa" "$NATS_SERVER" -c "$RUN_DIR/a.conf" || return 1
      start_server leaf-b "$pb" "$NATS_SERVER" -c "$RUN_DIR/b.conf" || return 1
      PUB_URL="nats://127.0.0.1:$pa"; SUB_URL="nats://127.0.0.1:$pb" ;;
    mqtt:single)
      mosquitto_conf "$RUN_DIR/hub.conf" "$hub"
      start_server hub "$hub" "$MOSQUITTO" -c "$RUN_DIR/hub.conf" || return 1
      PUB_URL="mqtt://127.0.0.1:$hub"; SUB_URL="$PUB_URL" ;;
    mqtt:federated)
      mosquitto_conf "$RUN_DIR/hub.conf" "$hub"
      mosquitto_conf "$RUN_DIR/a.conf" "$pa" leaf-a "$hub"
      mosquitto_conf "$RUN_DIR/b.conf" "$pb" leaf-b "$hub"
      start_server hub "$hub" "$MOSQUITTO" -c "$RUN_DIR/hub.conf" || return 1
      start_server leaf-a "$pa" "$MOSQUITTO" -c "$RUN_DIR/a.conf" || return 1
      start_server leaf-b "$pb" "$MOSQUITTO" -c "$RUN_DIR/b.conf" || return 1
      PUB_URL="mqtt://127.0.0.1:$pa"; SUB_URL="mqtt://127.0.0.1:$pb" ;;
    clasp:*)
      if [ -z "$CLASP" ] || [ ! -x "$CLASP" ]; then TOPO_ERROR="clasp binary not found (set CLASP=...)"; return 1; fi
      if [ "$topology" = single ]; then
        start_server hub "$hub" "$CLASP" server --bind 127.0.0.1 --port "$hub" $CLASP_ARGS || return 1
        PUB_URL="ws://127.0.0.1:$hub"; SUB_URL="$PUB_URL"
      else
        start_server hub "$hub" "$CLASP" server --bind 127.0.0.1 --port "$hub" --features federation $CLASP_ARGS || return 1
        start_server leaf-a "$pa" "$CLASP" server --bind 127.0.0.1 --port "$pa" --federation-mode leaf \
          --federation-hub "ws://127.0.0.1:$hub" --federation-namespaces "/site-a/**" --federation-id site-a $CLASP_ARGS || return 1
        start_server leaf-b "$pb" "$CLASP" server --bind 127.0.0.1 --port "$pb" --federation-mode leaf \
          --federation-hub "ws://127.0.0.1:$hub" --federation-namespaces "/site-b/**" --federation-id site-b $CLASP_ARGS || return 1
        PUB_URL="ws://127.0.0.1:$pa"; SUB_URL="ws://127.0.0.1:$pb"
      fi ;;
  esac
}

# start_mesh SYSTEM: three servers, each connected to both others, publisher
# on the first, subscriber on the second (bench/mesh/README.md).
start_mesh() {
  local pc ca cb cc
  pc="$(free_port)"; ca="$(free_port)"; cb="$(free_port)"; cc="$(free_port)"
  case "$1" in
    nats)
      nats_cluster_conf "$RUN_DIR/a.conf" "$pa" "$ca" "$cb" "$cc"
      nats_cluster_conf "$RUN_DIR/b.conf" "$pb" "$cb" "$ca" "$cc"
      nats_cluster_conf "$RUN_DIR/c.conf" "$pc" "$cc" "$ca" "$cb"
      start_server node-a "$pa" "$NATS_SERVER" -c "$RUN_DIR/a.conf" || return 1
      start_server node-b "$pb" "$NATS_SERVER" -c "$RUN_DIR/b.conf" || return 1
      start_server node-c "$pc" "$NATS_SERVER" -c "$RUN_DIR/c.conf" || return 1 ;;
    clasp)
      if [ -z "$CLASP" ] || [ ! -x "$CLASP" ]; then TOPO_ERROR="clasp binary not found (set CLASP=...)"; return 1; fi
      local n port id peers
      for n in a b c; do
        case "$n" in
          a) port="$pa"; peers="ws://127.0.0.1:$pb,ws://127.0.0.1:$pc" ;;
          b) port="$pb"; peers="ws://127.0.0.1:$pa,ws://127.0.0.1:$pc" ;;
          c) port="$pc"; peers="ws://127.0.0.1:$pa,ws://127.0.0.1:$pb" ;;
        esac
        id="site-$n"
        start_server "node-$n" "$port" "$CLASP" server --bind 127.0.0.1 --port "$port" --federation-mode mesh \
          --federation-peers "$peers" --federation-namespaces "/$id/**" --federation-id "$id" $CLASP_ARGS || return 1
      done ;;
    *) TOPO_ERROR="no mesh topology for $1"; return 1 ;;
  esac
  PUB_URL="$(url_of "$1" "$pa")"; SUB_URL="$(url_of "$1" "$pb")"
}
url_of() { case "$1" in nats) echo "nats://127.0.0.1:$2" ;; mqtt) echo "mqtt://127.0.0.1:$2" ;; *) echo "ws://127.0.0.1:$2" ;; esac; }

cpu_busy() {  # busy jiffies of all CPUs: user nice system irq softirq
  awk '/^cpu /{print $2+$3+$4+$7+$8; exit}' /proc/stat
}
cpu_total() { awk '/^cpu /{s=0; for(i=2;i<=NF;i++) s+=$i; print s; exit}' /proc/stat; }
pid_jiffies() {  # utime + stime of the given PIDs (zombies still report theirs)
  local sum=0 p v
  for p in "$@"; do
    v="$(awk '{sub(/^.*\) /,""); print $12+$13}' "/proc/$p/stat" 2>/dev/null)" && sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

# On a shared machine, IDLE_WAIT=S waits up to S seconds before each run for a
# second in which all processes together used under 10% of one CPU.
wait_for_idle() {
  local deadline=$((SECONDS + ${IDLE_WAIT:-0})) b0 t0 b1 t1
  while [ "$SECONDS" -lt "$deadline" ]; do
    b0="$(cpu_busy)"; t0="$(cpu_total)"; sleep 1; b1="$(cpu_busy)"; t1="$(cpu_total)"
    [ $(( (b1 - b0) * 10 * NCPU )) -lt $((t1 - t0)) ] && return 0
  done
}

# run_one SYSTEM TOPOLOGY MODE REP: one fresh topology, one load generator run.
run_one() {
  local system="$1" topology="$2" mode="$3" rep="$4" line args b0 t0 o0 b1 t1 o1 lg state stat_line
  wait_for_idle
  if start_topology "$system" "$topology" "$mode" "$rep"; then
    if [ "$mode" = latency ]; then args=(--mode latency --rate "$RATE" --duration "$LAT_DURATION")
    else args=(--mode throughput --messages "$TP_MESSAGES" --window "$WINDOW" --duration "$TP_TIME_CAP"); fi
    [ "$system" = clasp ] && args+=(--clasp-message "$CLASP_MESSAGE")
    b0="$(cpu_busy)"; t0="$(cpu_total)"; o0="$(pid_jiffies "${TOPO_PIDS[@]}")"
    taskset -c "$CLIENT_CPU" "$LOADGEN" --system "$system" --pub-url "$PUB_URL" --sub-url "$SUB_URL" \
      --keys "$KEYS" --label "$topology" "${args[@]}" >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" &
    lg=$!
    PIDS+=("$lg")
    # Wait for exit without reaping, so the zombie's CPU times stay readable.
    # Builtins only, and a slow poll: forking a process every 50 ms here put
    # ~1 ms CPU bursts on the machine during the run and inflated every
    # system's p99 (ours most: three router processes share the server core).
    while read -r stat_line 2>/dev/null <"/proc/$lg/stat"; do
      state="${stat_line##*) }"; state="${state%% *}"
      [ "$state" = Z ] && break
      sleep 0.5
    done
    b1="$(cpu_busy)"; t1="$(cpu_total)"; o1="$(pid_jiffies "${TOPO_PIDS[@]}" "$lg")"
    wait "$lg"
    line="$(tail -n 1 "$WORK/loadgen.out")"
    [ -n "$line" ] || line="{\"ok\":false,\"error\":\"loadgen printed nothing: $(tail -n 1 "$WORK/loadgen.err" | tr -d '"\\')\"}"
    # Other processes' share of one CPU during the run (ours: servers + loadgen).
    local other_pct
    other_pct="$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v o="$((o1 - o0))" -v n="$NCPU" \
      'BEGIN{x=b-o; if(x<0)x=0; printf "%.1f", (t>0 ? 100*x/(t/n) : 0)}')"
  else
    line="{\"system\":\"$system\",\"mode\":\"$mode\",\"ok\":false,\"error\":\"$(echo "$TOPO_ERROR" | tr -d '"\\')\"}"
    other_pct=0
  fi
  [ "${#TOPO_PIDS[@]}" -gt 0 ] && stop_pids "${TOPO_PIDS[@]}"
  PIDS=()  # all reaped: never signal a PID the system may have reused
  line="$(echo "$line" | jq -c --arg s "$system" --arg t "$topology" --arg m "$mode" --argjson r "$rep" \
    --argjson o "$other_pct" --arg stamp "$STAMP" --arg host "$(hostname)" --arg quick "$QUICK" \
    --arg place "servers:cpu$SERVER_CPU loadgen:cpu$CLIENT_CPU" \
    '. + {system:$s, topology:$t, mode:$m, rep:$r, other_cpu_pct:$o, busy_flag:($o > 10),
          session:$stamp, host:$host, quick:($quick=="1"), placement:$place}')"
  echo "$line" >>"$SESSION"
  echo "$line" >>"$RESULTS"
  echo "$line" | jq -r '"  \(.system)/\(.topology)/\(.mode) rep \(.rep): " +
    (if .ok then "\(.msgs_per_sec|floor) msg/s, p50 \(.p50_us) us, p99 \(.p99_us) us, lost \(.lost), dup \(.dup)"
     else "FAILED: \(.error)" end) + (if .busy_flag then "  [other processes used \(.other_cpu_pct)% CPU]" else "" end)'
}

echo "clasp comparison benchmark  $STAMP  host $(hostname), $NCPU CPUs: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
echo "placement: every server process pinned with 'taskset -c $SERVER_CPU', the load generator with 'taskset -c $CLIENT_CPU'"
echo "latency: $RATE msg/s for $LAT_DURATION s; throughput: $TP_MESSAGES messages, window $WINDOW; $REPS repetitions; $KEYS keys"
echo "nats-server: $("$NATS_SERVER" --version 2>/dev/null || echo missing); mosquitto: $("$MOSQUITTO" -h 2>/dev/null | head -n 1 || true); clasp: ${CLASP:-missing} ${CLASP_ARGS}"
for topology in $TOPOLOGIES; do
  for mode in $MODES; do
    for system in $SYSTEMS; do
      for rep in $(seq 1 "$REPS"); do run_one "$system" "$topology" "$mode" "$rep"; done
    done
  done
done
echo
python3 "$ROOT/bench/scripts/summarize.py" "$SESSION"
echo
echo "JSON lines appended to ${RESULTS#"$ROOT"/}"
