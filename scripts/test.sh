#!/usr/bin/env bash
# Sets everything up, builds, runs every test suite through ctest, then each
# libFuzzer target for a minute (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 300 -j "${TEST_JOBS:-2}" "$@")
# Then every libFuzzer target for CI_FUZZ_SECONDS each (60; 0 skips): a crash,
# leak or sanitizer report fails the run. Without clang's libFuzzer it says so and passes.
fuzz_seconds="${CI_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" = 0 ]; then
  echo "test.sh: fuzzing skipped (CI_FUZZ_SECONDS=0)"
  exit 0
fi
rc=0
scripts/fuzz.sh "$fuzz_seconds" || rc=$?
if [ "$rc" -eq 2 ]; then
  echo "test.sh: SKIPPED fuzzing: no clang libFuzzer toolchain on this machine (see above)"
elif [ "$rc" -ne 0 ]; then
  echo "test.sh: a fuzz target failed (crash inputs in build-fuzz/artifacts/)" >&2
  exit 1
fi
