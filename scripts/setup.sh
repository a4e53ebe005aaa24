#!/usr/bin/env bash
# Installs everything the build and the tests need, from Debian's packages and
# the npm registry only. Idempotent: skips what is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev libboost-dev libssl-dev nlohmann-json3-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev libjemalloc-dev libcli11-dev
  clang libclang-rt-14-dev
  prometheus-cpp-dev prometheus
  nodejs npm curl ca-certificates openssl procps iproute2
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from outside Debian's package (a preinstalled node); accept it.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
filtered=()
for p in "${missing[@]}"; do [ -n "$p" ] && filtered+=("$p"); done
if [ "${#filtered[@]}" -gt 0 ]; then
  echo "setup: installing ${filtered[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}"
else
  echo "setup: Debian packages present"
fi

# Interop tests use the official CLASP JavaScript client.
if [ -f tests/interop/package.json ]; then
  if [ ! -d tests/interop/node_modules/@clasp-to/core ] || [ ! -d tests/interop/node_modules/ws ]; then
    echo "setup: npm install in tests/interop"
    (cd tests/interop && npm install --no-audit --no-fund --loglevel=error)
  fi
fi
echo "setup: done"
