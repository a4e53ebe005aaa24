#!/usr/bin/env bash
# deploy/systemd/clasp@.service passes `systemd-analyze verify` without a
# single warning (verify exits 0 on unknown keys, so its output is checked too)
# and keeps a low exposure score in `systemd-analyze security --offline`.
# verify needs ExecStart's binary to exist: a copy of the unit points at the
# clasp just built. Usage: systemd_unit_test.sh SOURCE_DIR CLASP_BIN
# Exit 77 (skipped) without systemd-analyze.
set -euo pipefail
SRC="${1:?usage: systemd_unit_test.sh SOURCE_DIR CLASP_BIN}"
CLASP_BIN="${2:?usage: systemd_unit_test.sh SOURCE_DIR CLASP_BIN}"
SRC="$(cd "$SRC" && pwd)"
CLASP_BIN="$(readlink -f "$CLASP_BIN")"
UNIT="$SRC/deploy/systemd/clasp@.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not installed (Debian package systemd): clasp@.service not verified"
  exit 77
fi
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

grep -q '^ExecStart=/usr/local/bin/clasp server --config /etc/clasp/%i.json' "$UNIT" ||
  { echo "FAIL: ExecStart does not run clasp server with /etc/clasp/%i.json"; exit 1; }
grep -q '^Restart=on-failure$' "$UNIT" || { echo "FAIL: no Restart=on-failure"; exit 1; }
sed "s#/usr/local/bin/clasp#$CLASP_BIN#" "$UNIT" >"$WORK/clasp@.service"
cp "$WORK/clasp@.service" "$WORK/clasp@site-a.service"
cd "$WORK"
status=0
for unit in clasp@.service clasp@site-a.service; do
  if ! out="$(systemd-analyze verify --man=no "./$unit" 2>&1)"; then
    echo "FAIL: systemd-analyze verify $unit failed:"; echo "$out"; status=1
  elif [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify $unit warns:"; echo "$out"; status=1
  else
    echo "systemd: verify $unit: clean"
  fi
done

# The syscalls the router makes beyond plain I/O stay allowed by the filter:
# setpriority (actors/thread_priority.cpp lowers worker threads' priority).
# shellcheck disable=SC2013  # groups are words
for group in $(sed -n 's/^SystemCallFilter=~//p' "$UNIT"); do
  if systemd-analyze syscall-filter "$group" 2>/dev/null | grep -qw setpriority; then
    echo "FAIL: the unit denies $group, which holds setpriority (the router calls it)"; status=1
  fi
done
grep -q '^SystemCallErrorNumber=' "$UNIT" || { echo "FAIL: a filtered syscall would kill the router (no SystemCallErrorNumber=)"; status=1; }

# Exposure: 0 (locked down) .. 10 (unprotected); the hardening keeps it low.
if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
  score="$(systemd-analyze security --offline=yes --no-pager "./clasp@site-a.service" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
  if [ -z "$score" ]; then echo "FAIL: no exposure score from systemd-analyze security"; status=1
  elif awk -v s="$score" 'BEGIN { exit !(s > 2.0) }'; then echo "FAIL: exposure $score is above 2.0"; status=1
  else echo "systemd: exposure level $score (at most 2.0 required)"; fi
else
  echo "systemd: this systemd-analyze has no security --offline: exposure not scored"
fi
exit $status
