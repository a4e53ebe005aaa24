#!/usr/bin/env bash
# Builds CAF's core library with ThreadSanitizer, once, for scripts/test-tsan.sh.
# Debian's libcaf_core is not instrumented, so TSan cannot see the
# synchronisation inside CAF's queues and reports every actor spawn and message
# hand-over as a race. This builds the same release, 0.17.6, from the upstream
# tarball of Debian's source package (its core headers are identical to the
# installed libcaf-dev ones) with Debian's build configuration (the defaults),
# and installs it into $CAF_TSAN_DIR/prefix, which only the TSan build uses.
# The source index comes from a private apt list (deb-src for bookworm on the
# Debian mirror the system's apt already uses), so the system's apt
# configuration is left untouched and no deb-src entry is needed there.
# Prints the prefix on stdout; everything else goes to stderr.
#   CAF_TSAN_DIR     build and install directory (default build-caf-tsan, not committed)
#   CAF_TSAN_MIRROR  Debian mirror to read the source from (default: the system's)
# Without network: put actor-framework_0.17.6.orig.tar.gz into $CAF_TSAN_DIR first.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(mkdir -p "${CAF_TSAN_DIR:-build-caf-tsan}" && cd "${CAF_TSAN_DIR:-build-caf-tsan}" && pwd)"
prefix="$root/prefix"
version=0.17.6
debian_version="$version-2.1"
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi
fail() { echo "caf-tsan: $*" >&2; exit 1; }

# 0. What the build needs, named by the Debian package that provides it.
missing=()
for tool in apt-get:apt curl:curl tar:tar sha256sum:coreutils cmake:cmake c++:g++; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
[ "${#missing[@]}" -eq 0 ] || fail "missing ${missing[*]} (apt-get install ${missing[*]}, or run scripts/setup.sh)"
tsan_probe="$root/tsan-probe"
echo 'int main() { return 0; }' | c++ -fsanitize=thread -x c++ - -o "$tsan_probe" 2>/dev/null ||
  fail "c++ cannot link with -fsanitize=thread (Debian: the compiler's libtsan, e.g. libtsan2 for g++-12)"
rm -f "$tsan_probe"

# 1. The source tarball, located by apt and checked against the SHA256 apt gives.
tarball="$root/actor-framework_$version.orig.tar.gz"
if [ ! -f "$tarball" ]; then
  mirror="${CAF_TSAN_MIRROR:-$(apt-get indextargets --format '$(SITE) $(RELEASE)' 2>/dev/null |
                                 awk '$2 == "bookworm" { print $1; exit }')}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  apt_dir="$root/apt"
  mkdir -p "$apt_dir/lists/partial"
  echo "deb-src $mirror bookworm main" >"$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/none"
            -o "Dir::State::Lists=$apt_dir/lists")
  echo "caf-tsan: locating actor-framework $debian_version sources on $mirror" >&2
  apt-get "${apt_opts[@]}" -qq --error-on=any update >&2 ||
    fail "cannot read the bookworm source index from $mirror (no network, or a mirror without
  source packages: set CAF_TSAN_MIRROR, or put actor-framework_$version.orig.tar.gz into $root)"
  # Only the upstream tarball is used (not Debian's packaging part): what the
  # project compiles against, the core headers, is the same as libcaf-dev's.
  line="$(apt-get "${apt_opts[@]}" source --print-uris "actor-framework=$debian_version" 2>/dev/null |
          grep "orig.tar.gz" || true)"
  uri="$(echo "$line" | awk '{print $1}' | tr -d "'")"
  sha256="$(echo "$line" | awk '{print $4}' | sed 's/^SHA256://')"
  [ -n "$uri" ] && [ -n "$sha256" ] || fail "the source index of $mirror has no actor-framework $debian_version"
  curl -fsSL -o "$tarball.part" "$uri" || fail "download of $uri failed"
  echo "$sha256  $tarball.part" | sha256sum -c --quiet - >&2 || fail "$uri does not match the SHA256 apt gives"
  mv "$tarball.part" "$tarball"
fi

# 2. Configure, build and install libcaf_core only (no I/O module, tools or tests).
src="$root/actor-framework-$version"
[ -d "$src" ] || tar -xzf "$tarball" -C "$root"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
echo "caf-tsan: building libcaf_core $version with -fsanitize=thread (once, ~140 files)" >&2
cmake -S "$src" -B "$root/build" "${GEN[@]}" "${launcher[@]}" -Wno-dev \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCAF_NO_IO=ON -DCAF_NO_OPENSSL=ON -DCAF_NO_OPENCL=ON -DCAF_NO_PYTHON=ON -DCAF_NO_TOOLS=ON \
  -DCAF_NO_EXAMPLES=ON -DCAF_NO_UNIT_TESTS=ON -DCAF_NO_SUMMARY=ON >&2
cmake --build "$root/build" -j "${JOBS:-2}" >&2
cmake --install "$root/build" >&2
touch "$prefix/.complete"
echo "$prefix"
