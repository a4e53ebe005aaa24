#!/usr/bin/env bash
# Sets everything up, builds the router, and runs the hub + two leaves lab with
# a live view of values crossing sites. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  GEN=(); command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" --target clasp -j "${JOBS:-2}"
exec deploy/lab.sh "$BUILD_DIR/app/clasp"
