#!/usr/bin/env bash
# Builds with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/ and
# runs the whole ctest suite there: unit suites in-process, and the
# integration, federation and interop suites against a sanitized `clasp`
# router (each router process reports to its stderr, which the tests print on
# failure, and exits non-zero on a finding; a test that stops its router with
# SIGTERM and checks the status, like shutdown_after_load, fails on a leak).
# The bench clients are built as well: the shutdown_after_load test drives a
# router with them before checking its exit.
#   SANITIZED_SUITE=unit   only the unit suites (a quick check)
# Extra arguments go to ctest (e.g. -R transport).
# The build is ~230 files, Boost.Beast and CAF heavy: about 1.5 h on two busy
# cores when the compiler cache is cold, a few minutes when it is warm.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DCLASP_SANITIZE=ON "${launcher[@]}"
cd build-asan
# LeakSanitizer runs at every process exit: the routers the tests stop with
# SIGTERM must free everything they allocated after load.
# A small quarantine keeps use-after-free detection for recent frees without
# inflating RSS by the default 256 MB, so the memory-bound tests stay meaningful.
export ASAN_OPTIONS=detect_leaks=1:exitcode=23:strict_string_checks=1:quarantine_size_mb=16
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$PWD/../scripts/sanitizer/ubsan.supp
export LSAN_OPTIONS=suppressions=$PWD/../scripts/sanitizer/lsan.supp:print_suppressions=0
filter=()
[ "${SANITIZED_SUITE:-all}" = unit ] && filter=(-LE "integration|federation|interop|mesh|durability|fault|embed")
# Sanitized code runs 2-5x slower. --timeout only sets the limit of tests that
# declare none; the suites' own TIMEOUTs (120-900 s per test) hold under ASan.
ctest --output-on-failure -j "${TEST_JOBS:-2}" --timeout "${TEST_TIMEOUT:-600}" "${filter[@]}" "$@"
