# Shell helpers shared by the bench scripts (sourced).

# The most recently modified of the given paths (e.g. build*/app/clasp).
newest() { ls -t "$@" 2>/dev/null | head -n 1; }

# Stops processes we started, by PID: TERM, up to 5 s, then KILL; reaps them.
stop_pids() {
  local p
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for p in "$@"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
}

# launch_clasp NAME DIR ARGS...: `clasp server` ($WORK/clasp) on a free loopback
# port with DIR as its working directory and log, run under $LAUNCH_PREFIX
# (default: pinned to $SERVER_CPU). Records PID[NAME] and PORT[NAME] (the
# caller declares both with `declare -A`) and appends the PID to STARTED;
# waits up to 10 s for the "listening on" line.
launch_clasp() {
  local name="$1" dir="$2" port; shift 2
  mkdir -p "$dir"
  (cd "$dir" && exec ${LAUNCH_PREFIX:-taskset -c "$SERVER_CPU"} "$WORK/clasp" server --bind 127.0.0.1 --port 0 \
    --log-level warn "$@" >"$dir/out.log" 2>&1) &
  PID[$name]=$!
  STARTED+=("${PID[$name]}")
  for _ in $(seq 1 200); do
    port="$(grep -o 'listening on ws://127.0.0.1:[0-9]*' "$dir/out.log" 2>/dev/null | head -n 1 | sed 's/.*://')"
    [ -n "$port" ] && { PORT[$name]="$port"; return 0; }
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "$name did not start: $(tail -n 3 "$dir/out.log" | tr '\n' ' ')"
  return 1
}
