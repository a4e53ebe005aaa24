#!/usr/bin/env bash
# deploy/docker/ without a Docker engine: the Dockerfile builds with
# scripts/setup.sh's packages and its runtime stage installs every Debian
# package whose library the built clasp links; the compose file has a hub and
# two healthy-checked leaves whose commands the built clasp accepts
# (--print-config). With `docker compose`, `config -q` also checks the file.
# Usage: docker_files_test.sh SOURCE_DIR CLASP_BIN
set -euo pipefail
SRC="${1:?usage: docker_files_test.sh SOURCE_DIR CLASP_BIN}"
CLASP_BIN="${2:?usage: docker_files_test.sh SOURCE_DIR CLASP_BIN}"
DOCKERFILE="$SRC/deploy/docker/Dockerfile"
COMPOSE="$SRC/deploy/docker/compose.yaml"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

grep -q '^FROM debian:bookworm' "$DOCKERFILE" || fail "the Dockerfile does not build on debian:bookworm"
grep -q '^RUN scripts/setup.sh' "$DOCKERFILE" || fail "the build stage does not install scripts/setup.sh's packages"

# Runtime stage: every package owning a library clasp links (the base image has libc, libstdc++).
if command -v dpkg >/dev/null 2>&1; then
  runtime="$(sed -n '/^FROM debian:bookworm-slim/,$p' "$DOCKERFILE")"
  for pkg in $(ldd "$CLASP_BIN" | awk '$3 ~ /^\// { print $3 }' | xargs -n1 readlink -f |
               xargs dpkg -S 2>/dev/null | cut -d: -f1 | sort -u); do
    case "$pkg" in libc6|libstdc++6|libgcc-s1) continue ;; esac
    grep -qw -- "$pkg" <<<"$runtime" || fail "clasp links a library of $pkg, which the runtime stage does not install"
  done
  echo "docker: runtime stage covers clasp's shared libraries"
fi

# Compose: three services, a /healthz check, leaves wait for a healthy hub.
for svc in hub site-a site-b; do
  grep -q "^  $svc:" "$COMPOSE" || fail "compose has no service $svc"
done
grep -q 'test: \["CMD", "curl", "-fsS", "http://127.0.0.1:7330/healthz"\]' "$COMPOSE" || fail "no /healthz health check"
[ "$(grep -c 'hub: {condition: service_healthy}' "$COMPOSE")" -eq 2 ] || fail "the leaves do not wait for a healthy hub"

# Each service's command, as the image's ENTRYPOINT runs it, parses.
printf 'compose-test-token' >"$WORK/token"
for svc in hub site-a site-b; do
  cmd="$(sed -n "/^  $svc:/,/^  [a-z-]*:\$/p" "$COMPOSE" | sed -n '/command: \[/,/\]/p' | tr '\n' ' ')"
  args=()
  while IFS= read -r arg; do args+=("${arg//\/run\/secrets\/federation_token/$WORK/token}"); done \
    < <(grep -o '"[^"]*"' <<<"$cmd" | tr -d '"')
  [ ${#args[@]} -gt 0 ] || { fail "no command for $svc"; continue; }
  if out="$("$CLASP_BIN" server --data-dir "$WORK/$svc" "${args[@]}" --print-config 2>&1)"; then
    mode="$(grep -o '"federation-mode": "[a-z]*"' <<<"$out" | cut -d'"' -f4)"
    expected=leaf; [ "$svc" = hub ] && expected=hub
    [ "$mode" = "$expected" ] || fail "$svc runs as '$mode', expected $expected"
    echo "docker: $svc's command parses (mode $mode)"
  else
    fail "clasp refuses $svc's command: $out"
  fi
done

if docker compose version >/dev/null 2>&1; then
  # A copy beside a token file, so the secret it names exists.
  cp "$COMPOSE" "$WORK/compose.yaml"; printf 'x' >"$WORK/federation.token"
  (cd "$WORK" && docker compose -f compose.yaml config -q) || fail "docker compose config rejects compose.yaml"
else
  echo "docker: no 'docker compose' here: compose.yaml checked by the rules above only"
fi
exit $status
