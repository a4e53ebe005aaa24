#!/usr/bin/env bash
# Builds the transport and actor test suites with ThreadSanitizer into
# build-tsan/ and runs them: the socket threads (server, connector, connection
# queues and close paths), the router and federation logic and the state
# database with its change log.
# The actor suites need CAF built with -fsanitize=thread (Debian's libcaf_core
# is not, and TSan cannot see the synchronisation inside an uninstrumented
# library, so every message hand-over would look like a race).
#   TSAN_ACTORS=1   also run the actor suites (session, federation facade, the
#                   virtual-time link/manager suites, actor threads):
#                   scripts/sanitizer/build-caf-tsan.sh
#                   builds CAF's core once from Debian's source package into
#                   build-caf-tsan/ (140 files) and this build links that copy
# Extra arguments go to each suite (e.g. --gtest_filter='transport.*').
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${TSAN_BUILD_DIR:-build-tsan}"
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
caf=()
if [ "${TSAN_ACTORS:-0}" = 1 ]; then
  caf_prefix="$(scripts/sanitizer/build-caf-tsan.sh)"
  caf=(-DCAF_INCLUDE_DIR="$caf_prefix/include" -DCAF_CORE_LIBRARY="$caf_prefix/lib/libcaf_core.so")
else
  # Forget an instrumented CAF a previous run configured.
  caf=(-UCAF_INCLUDE_DIR -UCAF_CORE_LIBRARY)
fi
cmake -S . -B "$BUILD_DIR" "${GEN[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLASP_BUILD_BENCH=OFF -DCLASP_USE_JEMALLOC=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" "${caf[@]}" >/dev/null
suites=(tests/transport/transport_tests tests/actors/router/router_logic_tests
        tests/actors/federation/federation_logic_tests tests/actors/router/state_db_tests)
[ "${TSAN_ACTORS:-0}" = 1 ] && suites+=(tests/actors/router/router_actor_tests
  tests/actors/federation/federation_actor_tests tests/actors/federation/federation_vtime_tests
  tests/actors/actor_thread_tests)
targets=()
for suite in "${suites[@]}"; do targets+=("$(basename "$suite")"); done
cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "${JOBS:-2}"
cd "$BUILD_DIR"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/../scripts/sanitizer/tsan.supp"
status=0
for suite in "${suites[@]}"; do
  echo "== TSan: $suite"
  "./$suite" "$@" || status=1
done
exit "$status"
