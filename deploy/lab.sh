#!/usr/bin/env bash
# A three-site lab on loopback: one hub and two leaves (site-a, site-b), with
# watchers that show each site seeing the other's writes. Runs until Ctrl-C.
# Usage: deploy/lab.sh [path/to/clasp]   (ports: HUB_PORT, SITE_A_PORT, SITE_B_PORT; 0 = any free)
set -euo pipefail
CLASP="${1:-build/app/clasp}"
HUB_PORT="${HUB_PORT:-7330}"; SITE_A_PORT="${SITE_A_PORT:-7331}"; SITE_B_PORT="${SITE_B_PORT:-7332}"
WORK="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "lab: stopping"; exit 0' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { if [ "$1" != 0 ] && port_in_use "$1"; then echo 0; else echo "$1"; fi; }

# Starts a router; sets REPLY to its port once it prints its listening line.
start_router() {
  local name="$1"; shift
  "$CLASP" server --bind 127.0.0.1 "$@" --log-level warn >"$WORK/$name.out" 2>"$WORK/$name.log" &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -q "listening on" "$WORK/$name.out"; then
      REPLY=$(grep -o '127.0.0.1:[0-9]*' "$WORK/$name.out" | head -1 | cut -d: -f2)
      return 0
    fi
    sleep 0.1
  done
  echo "lab: $name did not start:"; cat "$WORK/$name.log"; exit 1
}

start_router hub --port "$(pick_port "$HUB_PORT")" --features federation --federation-id hub
HUB=$REPLY
start_router site-a --port "$(pick_port "$SITE_A_PORT")" --federation-mode leaf \
  --federation-hub "ws://127.0.0.1:$HUB" --federation-namespaces "/site-a/**" --federation-id site-a \
  --federation-reconnect-delay-ms 500
A=$REPLY
start_router site-b --port "$(pick_port "$SITE_B_PORT")" --federation-mode leaf \
  --federation-hub "ws://127.0.0.1:$HUB" --federation-namespaces "/site-b/**" --federation-id site-b \
  --federation-reconnect-delay-ms 500
B=$REPLY
echo "lab: hub ws://127.0.0.1:$HUB   site-a ws://127.0.0.1:$A (owns /site-a/**)   site-b ws://127.0.0.1:$B (owns /site-b/**)"

# Wait until both leaves are Active at the hub.
for _ in $(seq 100); do
  peers=$(curl -s "http://127.0.0.1:$HUB/federation/peers" || true)
  [ "$(grep -o '"state":"Active"' <<<"$peers" | wc -l)" -ge 2 ] && break
  sleep 0.1
done
echo "lab: federation peers at the hub: $peers"

"$CLASP" watch "ws://127.0.0.1:$B" "/site-a/**" | sed -u 's/^/  [site-b sees] /' &
pids+=($!)
"$CLASP" watch "ws://127.0.0.1:$A" "/site-b/**" | sed -u 's/^/  [site-a sees] /' &
pids+=($!)
sleep 0.5

i=0
while true; do
  i=$((i + 1))
  level=$(( (i * 37) % 100 ))
  echo "[site-a writes] /site-a/lights/1/brightness = 0.$level"
  "$CLASP" set "ws://127.0.0.1:$A" /site-a/lights/1/brightness "0.$level" >/dev/null
  sleep 1
  open=$([ $((i % 2)) -eq 0 ] && echo true || echo false)
  echo "[site-b writes] /site-b/door/open = $open"
  "$CLASP" set "ws://127.0.0.1:$B" /site-b/door/open "$open" >/dev/null
  sleep 1
  if [ $((i % 3)) -eq 0 ]; then
    echo "[site-b writes to site-a's namespace: forwarded to its owner] /site-a/scene = \"from-b-$i\""
    "$CLASP" set "ws://127.0.0.1:$B" /site-a/scene "\"from-b-$i\"" >/dev/null
    sleep 1
  fi
done
