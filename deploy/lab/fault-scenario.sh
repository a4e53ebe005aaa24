#!/usr/bin/env bash
# The network-fault scenario over a namespace lab, each site in its own network
# namespace. Default: hub + 2 leaves; partition site-a from the hub, write on
# both sides, check the partition really cut site-a off, heal, and check every
# write reached every site. --mesh ring: sites a, b, c in a ring; partition
# a <-> c, and writes at a and c must reach each other around the ring through
# b while the link is cut, then everything converges after the heal. Where tc
# netem exists, delay and loss on the other links come first. Prints the
# figures. Always removes its namespaces.
#
#   deploy/lab/fault-scenario.sh [--mesh ring] [--clasp PATH] [--writes N]
# Exit: 0 converged, 1 a check failed, 77 skipped (no network namespaces here;
# the reason is printed on a line starting "SKIP:").
set -euo pipefail
LAB_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/lab/netns.sh
source "$LAB_SCRIPTS/netns.sh"

CLASP_ARGS=()
WRITES=20
RING=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mesh) [ "${2:-}" = ring ] || { echo "fault-scenario: --mesh takes ring" >&2; exit 2; }; RING=1; shift 2 ;;
    --clasp) CLASP_ARGS=(--clasp "${2:?--clasp needs a path}"); shift 2 ;;
    --writes) WRITES="${2:?--writes needs a number}"; shift 2 ;;
    *) echo "fault-scenario: unknown option '$1'" >&2; exit 2 ;;
  esac
done

if ! reason="$(netns_require 2>&1)"; then
  echo "SKIP: network-fault lab needs network namespaces; $(echo "$reason" | tr '\n' ' ')"
  exit 77
fi

LAB="$(mktemp -d)/lab"
lab() { "$LAB_SCRIPTS/lab.sh" "$@"; }
site_names() { awk '{ print $1 }' "$LAB/sites"; }
cleanup() {
  [ -f "$LAB/lab.env" ] && lab down --dir "$LAB" >/dev/null 2>&1
  rm -rf "$(dirname "$LAB")"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

CONVERGE_S=60
faults=0 writes=0 mismatches=0
fail() { echo "fault-scenario: FAILED: $*" >&2; exit 1; }

# Writes COUNT values /SITE/PREFIX/I = STAMP+I at SITE.
write_series() { # SITE PREFIX COUNT STAMP
  local i
  for ((i = 1; i <= $3; i++)); do
    lab client "$1" set "/$1/$2/$i" $(($4 + i)) --dir "$LAB" >/dev/null || fail "set /$1/$2/$i at $1"
    writes=$((writes + 1))
  done
}

# Bounded wait until READER holds every value of a series (the convergence check).
expect_series() { # READER OWNER PREFIX COUNT STAMP
  local deadline=$((SECONDS + CONVERGE_S)) i got missing
  while :; do
    missing=0
    for ((i = 1; i <= $4; i++)); do
      got="$(lab client "$1" get "/$2/$3/$i" --timeout 2 --dir "$LAB" 2>/dev/null || true)"
      [ "$got" = "$(($5 + i))" ] || missing=$((missing + 1))
    done
    [ $missing -eq 0 ] && return 0
    if [ $SECONDS -ge "$deadline" ]; then
      echo "fault-scenario: $1 misses $missing of $4 values of /$2/$3 after ${CONVERGE_S}s" >&2
      mismatches=$((mismatches + missing))
      return 1
    fi
    sleep 0.5
  done
}

# Bounded wait until SITE's link to PEER is (or is no longer) Active.
wait_link() { # SITE PEER active|down
  local deadline=$((SECONDS + CONVERGE_S)) peers state
  while :; do
    peers="$("$LAB_SCRIPTS/lab.sh" client "$1" status --json --dir "$LAB" 2>/dev/null || true)"
    state="$(grep -o "\"router_id\":\"$2\"[^}]*" <<<"$peers" | grep -o '"state":"[A-Za-z]*"' | head -1 | cut -d'"' -f4 || true)"
    if [ "$3" = active ]; then [ "$state" = Active ] && return 0
    else [ "$state" != Active ] && return 0; fi
    [ $SECONDS -ge "$deadline" ] && fail "$1's link to $2 not $3 after ${CONVERGE_S}s (state '${state:-none}')"
    sleep 0.2
  done
}

if [ $RING = 1 ]; then
  lab up --sites 3 --mesh ring --netns --dir "$LAB" "${CLASP_ARGS[@]}" >/dev/null
  # The link to cut (site-c dialled site-a: the dialling end notices silence
  # first), and the way around it.
  cut_a=site-c cut_b=site-a other=site-b
  slow=(site-a site-b) lossy=(site-b site-c)
else
  lab up --sites 2 --netns --dir "$LAB" "${CLASP_ARGS[@]}" >/dev/null
  cut_a=site-a cut_b=hub other=site-b
  slow=(hub site-a) lossy=(hub site-b)
fi
lab verify --dir "$LAB"
stamp=$(( (RANDOM << 15 | RANDOM) * 1000 ))

if netns_have_netem; then
  lab fault "${slow[@]}" delay 80 --dir "$LAB"
  lab fault "${lossy[@]}" loss 10 --dir "$LAB"
  faults=$((faults + 2))
  write_series site-a slow "$WRITES" "$stamp"
  write_series site-b lossy "$WRITES" "$stamp"
  expect_series site-b site-a slow "$WRITES" "$stamp" || true
  expect_series site-a site-b lossy "$WRITES" "$stamp" || true
  lab fault "${slow[@]}" heal --dir "$LAB" >/dev/null
  lab fault "${lossy[@]}" heal --dir "$LAB" >/dev/null
else
  echo "fault-scenario: tc netem is not available here (the kernel has no sch_netem): delay and loss steps skipped, partition runs"
fi

lab fault "$cut_a" "$cut_b" partition --dir "$LAB"
faults=$((faults + 1))
partitioned_at=$SECONDS
wait_link "$cut_a" "$cut_b" down
echo "fault-scenario: $cut_a saw its link to $cut_b leave Active $((SECONDS - partitioned_at))s after the partition"
write_series site-a during "$WRITES" "$stamp"
write_series "$other" during "$WRITES" "$stamp"
if [ $RING = 1 ]; then
  write_series site-c during "$WRITES" "$stamp"
  # Around the ring: site-c gets site-a's writes through site-b, and back.
  routed_at=$SECONDS
  expect_series site-c site-a during "$WRITES" "$stamp" || true
  expect_series site-a site-c during "$WRITES" "$stamp" || true
  echo "fault-scenario: writes crossed the cut link's ends through $other within $((SECONDS - routed_at))s"
else
  # The partition is real: nothing site-a wrote behind it has reached site-b.
  if got="$(lab client site-b get /site-a/during/1 --timeout 2 --dir "$LAB" 2>/dev/null)"; then
    fail "site-b read /site-a/during/1 = $got through the partition"
  fi
fi

lab fault "$cut_a" "$cut_b" heal --dir "$LAB"
healed_at=$SECONDS
wait_link "$cut_a" "$cut_b" active
write_series site-a after "$WRITES" "$stamp"
for reader in $(site_names); do
  for owner in site-a "$other"; do
    [ "$reader" = "$owner" ] && continue
    expect_series "$reader" "$owner" during "$WRITES" "$stamp" || true
  done
  [ "$reader" = site-a ] || expect_series "$reader" site-a after "$WRITES" "$stamp" || true
done
converged_s=$((SECONDS - healed_at))

echo "fault-scenario: writes ACKed $writes, faults injected $faults, mismatches $mismatches, converged ${converged_s}s after heal"
[ "$mismatches" -eq 0 ] || fail "$mismatches values never converged"
tag="$(sed -n 's/^NETNS_TAG=//p' "$LAB/lab.env")"
lab down --dir "$LAB" >/dev/null
if ip netns list | grep -q "^clasp-$tag-"; then fail "namespaces left after down: $(ip netns list | grep "^clasp-$tag-" | tr '\n' ' ')"; fi
echo "fault-scenario: ok (namespaces removed)"
