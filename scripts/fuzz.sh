#!/usr/bin/env bash
# Builds every libFuzzer target with clang into build-fuzz/ (standalone: only
# the codec and the router logic compile) and runs each for FUZZ_SECONDS
# (default 60; a first argument overrides it) on a copy of its seed corpus.
#   fuzz_decode   the codec and address patterns    seeds: tests/fuzz/corpus/
#   fuzz_session  a router_core driven as clients,  seeds: tests/fuzz/corpus_session/
#                 inbound peers and an upstream link
# FUZZ_TARGETS="fuzz_session" runs a subset. Crashes land in
# build-fuzz/artifacts/; the exit code is non-zero if any target failed.
# scripts/test.sh (the CI entry) runs it after ctest with CI_FUZZ_SECONDS (60).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_SECONDS="${1:-${FUZZ_SECONDS:-60}}"
BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
WORK_DIR="${FUZZ_WORK_DIR:-fuzz-corpus-work}"
TARGETS=(${FUZZ_TARGETS:-fuzz_decode fuzz_session})
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
# Exit code 2: no fuzzing toolchain here (scripts/test.sh then prints a skip line).
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz.sh: clang++ not found (libFuzzer needs clang; scripts/setup.sh installs it)" >&2
  exit 2
fi
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe_dir/probe.cpp"
if ! clang++ -fsanitize=fuzzer "$probe_dir/probe.cpp" -o "$probe_dir/probe" >/dev/null 2>&1; then
  echo "fuzz.sh: clang++ cannot link -fsanitize=fuzzer (libFuzzer runtime missing: install libclang-rt-dev)" >&2
  exit 2
fi
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S tests/fuzz -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$BUILD_DIR" --target "${TARGETS[@]}" -j "${JOBS:-2}"
mkdir -p "$BUILD_DIR/artifacts"

seeds_of() {
  case "$1" in
    fuzz_decode) echo tests/fuzz/corpus ;;
    fuzz_session) echo tests/fuzz/corpus_session ;;
    *) echo "fuzz.sh: no seed corpus known for $1" >&2; return 1 ;;
  esac
}

status=0
summary=()
for target in "${TARGETS[@]}"; do
  work="$WORK_DIR/$target"
  rm -rf "$work"
  mkdir -p "$work"
  cp "$(seeds_of "$target")"/* "$work"/
  log="$BUILD_DIR/$target.log"
  echo "== $target: ${RUN_SECONDS}s on $(ls "$work" | wc -l) seeds (log: $log)"
  rc=0
  "$BUILD_DIR/$target" -max_total_time="$RUN_SECONDS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$target-" "$work" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    status=1
    tail -40 "$log" >&2
    summary+=("$target: FAILED (exit $rc) after ${runs:-?} runs; see $log and $BUILD_DIR/artifacts/")
  else
    summary+=("$target: ok, ${runs:-?} runs in ${RUN_SECONDS}s, corpus $(ls "$work" | wc -l) inputs")
  fi
done
printf '%s\n' "${summary[@]}"
exit "$status"
