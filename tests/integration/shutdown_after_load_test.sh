#!/usr/bin/env bash
# A router that has carried load shuts down cleanly on SIGTERM: exit status 0
# within a bound, and nothing on stderr from a sanitizer. In the ASan build
# (scripts/test-sanitized.sh) LeakSanitizer checks every allocation at that
# exit, so this is the "leak-free after load" test: params stored (persisted
# with --data-dir), pub/sub throughput, a fan-out, TTL churn, and subscribers
# still connected when the signal comes.
#   usage: shutdown_after_load_test.sh CLASP CLASP_LOADGEN CLASP_SCENARIO
set -uo pipefail
clasp="$1" loadgen="$2" scenario="$3"

work="$(mktemp -d)"
router_pid=""
background=()
cleanup() {
  local p
  for p in "${background[@]}" $router_pid; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "---- router stderr (tail) ----"; tail -n 60 "$work/router.err"
  exit 1
}

mkdir "$work/data"
"$clasp" server --bind 127.0.0.1 --port 0 --log-level warn --data-dir "$work/data" \
  >"$work/router.out" 2>"$work/router.err" &
router_pid=$!
port=""
for _ in $(seq 1 300); do  # up to 30 s: a sanitized router starts slowly
  port="$(grep -o 'listening on ws://127.0.0.1:[0-9]*' "$work/router.out" | head -n 1 | sed 's/.*://')"
  [ -n "$port" ] && break
  kill -0 "$router_pid" 2>/dev/null || fail "router exited before listening"
  sleep 0.1
done
[ -n "$port" ] || fail "router not listening after 30 s"
url="ws://127.0.0.1:$port"

# Each load step must succeed, or the shutdown below proves little.
run() {
  local name="$1"; shift
  if ! "$@" >"$work/$name.json" 2>"$work/$name.err"; then
    cat "$work/$name.json" "$work/$name.err"
    fail "load step '$name' failed"
  fi
  echo "$name: $(tail -n 1 "$work/$name.json")"
}
run fill "$scenario" fill --url "$url" --prefix /load/p/ --count 20000 --timeout 120
run throughput "$loadgen" --system clasp --pub-url "$url" --mode throughput --messages 50000 \
  --keys 100 --duration 5 --label shutdown-after-load
run fanout "$scenario" fanout --url "$url" --subs 100 --updates 500 --keys 10 --timeout 60
run churn "$scenario" churn --url "$url" --rate 2000 --duration 2 --ttl 1 --prefix /load/churn/

# Subscribers that are still connected (and have their snapshot) at SIGTERM.
"$scenario" subscribe --url "$url" --pattern '/load/p/**' --expect 20000 --duration 120 \
  >"$work/held.json" 2>&1 &
background+=($!)
"$scenario" verify --url "$url" --prefix /load/p/ --count 20000 --equals 1 --timeout 60 \
  >"$work/verify.json" 2>&1 || { cat "$work/verify.json"; fail "stored params not readable"; }

kill -TERM "$router_pid"
status=""
for _ in $(seq 1 300); do  # up to 30 s: LeakSanitizer's scan of a large heap takes a while
  if ! kill -0 "$router_pid" 2>/dev/null; then
    wait "$router_pid"; status=$?; router_pid=""
    break
  fi
  sleep 0.1
done
[ -n "$status" ] || fail "router still running 30 s after SIGTERM"
[ "$status" -eq 0 ] || fail "router exited with status $status after SIGTERM (a sanitizer finding exits non-zero)"
if grep -q -E 'Sanitizer|runtime error:' "$work/router.err"; then
  fail "sanitizer output on the router's stderr"
fi
echo "PASS: router exited 0 after load and SIGTERM, no sanitizer output"
