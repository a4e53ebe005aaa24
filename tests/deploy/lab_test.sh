#!/usr/bin/env bash
# deploy/lab/lab.sh end to end with real routers on loopback: up -> status ->
# verify (a write at each site read at every other, via clasp set/get) -> down,
# then every router of the lab is gone. Also: bad options get a clear error.
# Usage: lab_test.sh SOURCE_DIR CLASP_BIN hub|ring|full
set -euo pipefail
SRC="${1:?usage: lab_test.sh SOURCE_DIR CLASP_BIN hub|ring|full}"
CLASP_BIN="${2:?}"; TOPOLOGY="${3:?}"
LAB_SH="$SRC/deploy/lab/lab.sh"
WORK="$(mktemp -d)"; LAB="$WORK/lab"
cleanup() { [ -f "$LAB/lab.env" ] && "$LAB_SH" down --dir "$LAB" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Bad input: refused with the reason, nothing started.
expect_refusal() { # TEXT ARGS...
  local text="$1"; shift
  local out rc=0
  out="$("$LAB_SH" "$@" 2>&1)" || rc=$?
  [ $rc -ne 0 ] || fail "lab.sh $* succeeded"
  grep -q -- "$text" <<<"$out" || fail "lab.sh $* said '$out', expected '$text'"
}
expect_refusal "from 2 to 26" up --sites 1 --dir "$LAB" --clasp "$CLASP_BIN"
expect_refusal "ring or full" up --mesh star --dir "$LAB" --clasp "$CLASP_BIN"
expect_refusal "unknown option '--bogus'" up --bogus
expect_refusal "no lab in" status --dir "$WORK/none"
expect_refusal "unknown command" launch
[ ! -e "$LAB/lab.env" ] || fail "a refused up left a lab behind"

mesh=(); sites=2
[ "$TOPOLOGY" != hub ] && { mesh=(--mesh "$TOPOLOGY"); sites=4; }
"$LAB_SH" up --sites "$sites" "${mesh[@]}" --base-port 0 --token lab-test-token \
  --dir "$LAB" --clasp "$CLASP_BIN" | tee "$WORK/up.out"
expected_sites=$sites; [ "$TOPOLOGY" = hub ] && expected_sites=$((sites + 1))
[ "$(wc -l <"$LAB/sites")" -eq "$expected_sites" ] || fail "$(wc -l <"$LAB/sites") sites started, expected $expected_sites"
grep -q 'ws://127.0.0.1:[0-9]' "$WORK/up.out" || fail "up did not print how to reach the sites"
expect_refusal "already exists" up --dir "$LAB" --clasp "$CLASP_BIN"

pids=()
while read -r name port _; do
  [ -d "$LAB/$name/data" ] || fail "$name has no data directory"
  grep -q "\"federation-id\": \"$name\"" "$LAB/$name/config.json" || fail "$name's config lacks its id"
  pids+=("$(cat "$LAB/$name/router.pid")")
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "$name: GET /healthz on $port failed"
done <"$LAB/sites"

"$LAB_SH" verify --dir "$LAB" | tee "$WORK/verify.out"
grep -q "verify: ok" "$WORK/verify.out" || fail "verify did not report ok"
"$LAB_SH" status --dir "$LAB" >"$WORK/status.out"
[ "$(grep -c '^== .*pid' "$WORK/status.out")" -eq "$expected_sites" ] || { cat "$WORK/status.out"; fail "status does not show every site running"; }
grep -q "Active" "$WORK/status.out" || fail "status shows no Active peer"
# The lab's own client command reaches a site and gets the exit code of clasp.
rc=0; "$LAB_SH" client site-a get /site-a/never-written --dir "$LAB" >/dev/null 2>&1 || rc=$?
[ $rc -eq 5 ] || fail "client get of an unknown address exited $rc, expected 5 (not found)"

"$LAB_SH" down --dir "$LAB"
[ ! -e "$LAB/lab.env" ] || fail "down left lab.env"
for pid in "${pids[@]}"; do
  state="$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)"
  [ -z "$state" ] || [ "$state" = Z ] || fail "router pid $pid still runs after down (state $state)"
done
ls "$LAB"/*/router.pid >/dev/null 2>&1 && fail "down left PID files"
echo "lab ($TOPOLOGY): ok: $expected_sites routers up, verified, down"
