#!/usr/bin/env bash
# Sets everything up, builds, and runs every test suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 300 -j "${TEST_JOBS:-2}" "$@"
