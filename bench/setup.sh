#!/usr/bin/env bash
# Installs the peer brokers the comparison benchmark runs against (nats-server,
# mosquitto) from Debian's packages. Idempotent: installs only what is missing.
set -euo pipefail

packages=(nats-server mosquitto util-linux procps)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "bench/setup: nats-server and mosquitto present"
  exit 0
fi

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Empty package lists (fresh container) give no candidate: refresh them once.
if ! apt-cache policy "${missing[@]}" | grep -q 'Candidate: [0-9]'; then
  $SUDO apt-get update -qq
fi
echo "bench/setup: installing ${missing[*]}"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian mosquitto package starts a system broker on 1883; the benchmark
# starts its own brokers on free ports and never uses that one.
echo "bench/setup: done"
