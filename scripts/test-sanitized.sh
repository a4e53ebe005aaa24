#!/usr/bin/env bash
# Builds with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/ and
# runs the unit test suites there (the integration suites start real routers
# and are run by scripts/test.sh on the release build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DCLASP_SANITIZE=ON -DCLASP_BUILD_BENCH=OFF
cd build-asan
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j "${TEST_JOBS:-2}" -LE "integration|federation|interop" "$@"
