#!/usr/bin/env bash
# The fuzz build (tests/fuzz/CMakeLists.txt) compiles the router logic from its
# own list of sources, so a file added to router_core in actors/ only breaks
# it when clang builds the fuzzers (at the end of CI). This fails at once
# instead: every actors/router/router_core*.cpp must be in that list.
set -euo pipefail
root="$1"
missing=0
for f in "$root"/actors/router/router_core*.cpp; do
  name="actors/router/$(basename "$f")"
  if ! grep -q "\${CLASP_ROOT}/$name" "$root/tests/fuzz/CMakeLists.txt"; then
    echo "tests/fuzz/CMakeLists.txt does not build $name (clasp_router_logic_fuzz)"
    missing=1
  fi
done
[ "$missing" = 0 ] && echo "fuzz sources: every router_core file is built"
exit "$missing"
