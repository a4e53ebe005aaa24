# Shell helpers shared by bench/run.sh and bench/scenarios/run.sh (sourced).

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
