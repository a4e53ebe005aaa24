#!/usr/bin/env bash
# Mesh benchmark (issue 10): a three-router clasp mesh against a three-server
# NATS cluster (routes between all servers), publisher on the first server,
# subscriber on the second, in one run of bench/run.sh. Same environment knobs
# as bench/run.sh (QUICK, REPS, RATE, TP_MESSAGES, SERVER_CPU, ...).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export SYSTEMS="${SYSTEMS:-nats clasp}"
export TOPOLOGIES=mesh
exec "$ROOT/bench/run.sh" "$@"
