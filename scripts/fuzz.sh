#!/usr/bin/env bash
# Builds the codec fuzzer with clang into build-fuzz/ (standalone: only the
# codec compiles) and runs it for SECONDS (default 60) on a copy of the seed
# corpus. Crashes land in build-fuzz/artifacts/; the exit code is non-zero then.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_SECONDS="${1:-60}"
BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
WORK_DIR="${FUZZ_WORK_DIR:-fuzz-corpus-work}"
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S tests/fuzz -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$BUILD_DIR" --target fuzz_decode -j "${JOBS:-2}"
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR" "$BUILD_DIR/artifacts"
cp tests/fuzz/corpus/* "$WORK_DIR"/
exec "$BUILD_DIR/fuzz_decode" -max_total_time="$RUN_SECONDS" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/" "$WORK_DIR"
