#!/usr/bin/env bash
# An N-site clasp lab on one machine: a hub and N leaves, or a mesh of N sites
# (ring or full), each with its own config file, data directory, port, PID file
# and logs under one lab directory. With --netns every site runs in its own
# network namespace, linked by veth pairs (deploy/lab/netns.sh), so faults can
# be injected between sites with `fault`.
#
#   deploy/lab/lab.sh up [--sites N] [--mesh ring|full] [--netns] [--base-port P]
#                        [--dir DIR] [--clasp PATH] [--token TOKEN]
#   deploy/lab/lab.sh status|verify|down [--dir DIR]
#   deploy/lab/lab.sh client SITE COMMAND ARGS...   e.g. client site-b get /site-a/x
#   deploy/lab/lab.sh fault  SITE1 SITE2 delay MS|loss PCT|partition|heal [--dir DIR]
#
# DIR defaults to $CLASP_LAB_DIR, else ./clasp-lab. `down` stops only the
# processes whose PID files this lab wrote (after checking each is still ours).
set -euo pipefail

LAB_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/lab/netns.sh
source "$LAB_SCRIPTS/netns.sh"

die() { echo "lab: $*" >&2; exit 1; }
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }

LAB_DIR="${CLASP_LAB_DIR:-clasp-lab}"
SITES=3
TOPOLOGY=hub          # hub | ring | full
USE_NETNS=0
BASE_PORT=7330
CLASP=""
TOKEN=""
READY_TIMEOUT_S=15
VERIFY_TIMEOUT_S=30

# The site names: site-a, site-b, ... (the hub, if any, is "hub").
site_name() { printf 'site-%b' "\\x$(printf '%x' $((97 + $1)))"; }

find_clasp() {
  if [ -n "$CLASP" ]; then :
  elif [ -x "$LAB_SCRIPTS/../../build/app/clasp" ]; then CLASP="$LAB_SCRIPTS/../../build/app/clasp"
  elif command -v clasp >/dev/null 2>&1; then CLASP="$(command -v clasp)"
  else die "no clasp binary: build it (cmake --build build) or pass --clasp PATH"; fi
  [ -x "$CLASP" ] || die "--clasp $CLASP is not an executable"
  CLASP="$(cd "$(dirname "$CLASP")" && pwd)/$(basename "$CLASP")"
}

parse_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --sites) SITES="${2:?--sites needs a number}"; shift 2 ;;
      --mesh) TOPOLOGY="${2:?--mesh needs ring or full}"; shift 2 ;;
      --netns) USE_NETNS=1; shift ;;
      --base-port) BASE_PORT="${2:?--base-port needs a port}"; shift 2 ;;
      --dir) LAB_DIR="${2:?--dir needs a directory}"; shift 2 ;;
      --clasp) CLASP="${2:?--clasp needs a path}"; shift 2 ;;
      --token) TOKEN="${2:?--token needs a value}"; shift 2 ;;
      -h|--help) usage ;;
      *) die "unknown option '$1' (see deploy/lab/lab.sh --help)" ;;
    esac
  done
  if ! [[ "$SITES" =~ ^[0-9]+$ ]] || [ "$SITES" -lt 2 ] || [ "$SITES" -gt 26 ]; then
    die "--sites must be a number from 2 to 26, got '$SITES'"
  fi
  [[ "$TOPOLOGY" =~ ^(hub|ring|full)$ ]] || die "--mesh takes ring or full, got '$TOPOLOGY'"
  if ! [[ "$BASE_PORT" =~ ^[0-9]+$ ]] || [ "$BASE_PORT" -gt $((65535 - SITES)) ]; then
    die "--base-port must be 0 (any free port) or a port below $((65535 - SITES)), got '$BASE_PORT'"
  fi
}

# --- the lab directory ------------------------------------------------------
# DIR/lab.env: how the lab was made. DIR/sites: one line per site in start
# order, "NAME PORT ROLE NETNS ADDRESS" (ADDRESS: how other sites reach it).
# DIR/NAME/: config.json, data/, router.pid, router.out (stdout), router.log.

load_lab() {
  [ -f "$LAB_DIR/lab.env" ] || die "no lab in $LAB_DIR (start one with: deploy/lab/lab.sh up --dir $LAB_DIR)"
  LAB_DIR="$(cd "$LAB_DIR" && pwd)"
  # shellcheck disable=SC1091
  source "$LAB_DIR/lab.env"
}

site_field() { # NAME FIELD(1-5)
  awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$LAB_DIR/sites"
}

site_names() { awk '{ print $1 }' "$LAB_DIR/sites"; }

# Runs a command where SITE lives (its network namespace, if any).
in_site() {
  local ns; ns="$(site_field "$1" 4)"; shift
  if [ "$ns" != "-" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

site_url() { echo "ws://127.0.0.1:$(site_field "$1" 2)"; }
site_http() { echo "http://127.0.0.1:$(site_field "$1" 2)"; }

# --- up ---------------------------------------------------------------------

json_list() { # prints a JSON array of its arguments (they hold no quotes)
  local out="" x
  for x in "$@"; do out+="${out:+, }\"$x\""; done
  echo "[$out]"
}

write_config() { # NAME PORT BIND MODE NAMESPACES PEER_URLS...
  local name="$1" port="$2" bind="$3" mode="$4" namespaces="$5"; shift 5
  local dir="$LAB_DIR/$name"
  mkdir -p "$dir/data"
  {
    echo "{"
    echo "  \"port\": $port, \"bind\": \"$bind\", \"data-dir\": \"$dir/data\","
    echo "  \"log-level\": \"info\", \"federation-id\": \"$name\","
    case "$mode" in
      hub) echo "  \"features\": [\"param\", \"event\", \"stream\", \"federation\"], \"federation-mode\": \"hub\"," ;;
      leaf) echo "  \"federation-mode\": \"leaf\", \"federation-hub\": $(json_list "$@")," ;;
      mesh) echo "  \"federation-mode\": \"mesh\", \"federation-peers\": $(json_list "$@")," ;;
    esac
    [ -n "$namespaces" ] && echo "  \"federation-namespaces\": [\"$namespaces\"],"
    [ -n "$TOKEN" ] && echo "  \"federation-token\": \"@$LAB_DIR/token\","
    echo "  \"federation-reconnect-delay-ms\": 500, \"federation-max-reconnect-delay-ms\": 5000,"
    echo "  \"federation-sync-interval-ms\": 5000"
    echo "}"
  } >"$dir/config.json"
}

# Starts NAME from its config; waits for its "listening on" line and records
# its port. Leaves a PID file whatever happens, so `down` can clean up.
start_site() { # NAME ROLE NETNS ADDRESS
  local name="$1" role="$2" ns="$3" address="$4" dir="$LAB_DIR/$1"
  local launcher=(); [ "$ns" != "-" ] && launcher=(ip netns exec "$ns")
  # setsid: the router outlives this script and ignores the terminal's Ctrl-C.
  "${launcher[@]}" setsid "$CLASP" server --config "$dir/config.json" \
    >"$dir/router.out" 2>"$dir/router.log" </dev/null &
  echo $! >"$dir/router.pid"
  local pid=$! waited=0
  until grep -q "listening on" "$dir/router.out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "lab: $name exited at start; its log:" >&2; tail -n 20 "$dir/router.log" >&2; return 1; }
    [ $waited -ge $((READY_TIMEOUT_S * 10)) ] && { echo "lab: $name not listening after ${READY_TIMEOUT_S}s; its log:" >&2; tail -n 20 "$dir/router.log" >&2; return 1; }
    sleep 0.1; waited=$((waited + 1))
  done
  local port; port="$(grep -o 'listening on ws://[^ ]*' "$dir/router.out" | head -1 | sed 's/.*://')"
  echo "$name $port $role $ns $address" >>"$LAB_DIR/sites"
}

# The peers a mesh site connects out to: only sites started before it, so
# every URL it needs already has a port. A ring closes at the last site.
mesh_peer_indexes() { # I
  local i="$1" j
  if [ "$TOPOLOGY" = full ]; then
    for ((j = 0; j < i; j++)); do echo "$j"; done
  else
    [ "$i" -gt 0 ] && echo $((i - 1))
    [ "$i" -eq $((SITES - 1)) ] && [ "$SITES" -gt 2 ] && echo 0
  fi
  return 0
}

# Where NAME's neighbour reaches it: the loopback port, or its veth address.
peer_url_for() { # FROM_NAME TO_NAME
  if [ "$USE_NETNS" = 1 ]; then
    echo "ws://$(netns_link_address "$LAB_DIR" "$2" "$1"):$(site_field "$2" 2)"
  else
    echo "ws://127.0.0.1:$(site_field "$2" 2)"
  fi
}

site_port() { # INDEX (hub = -1)
  if [ "$USE_NETNS" = 1 ]; then echo 7330          # every namespace has its own ports
  elif [ "$BASE_PORT" = 0 ]; then echo 0
  else echo $((BASE_PORT + $1 + 1)); fi
}

cmd_up() {
  parse_options "$@"
  find_clasp
  [ -e "$LAB_DIR/lab.env" ] && die "a lab already exists in $LAB_DIR: run 'deploy/lab/lab.sh down --dir $LAB_DIR' first"
  [ "$USE_NETNS" = 1 ] && { netns_require || exit 1; }
  mkdir -p "$LAB_DIR"
  LAB_DIR="$(cd "$LAB_DIR" && pwd)"
  : >"$LAB_DIR/sites"
  if [ -n "$TOKEN" ]; then (umask 077; printf '%s' "$TOKEN" >"$LAB_DIR/token"); fi
  local tag=""; [ "$USE_NETNS" = 1 ] && tag="$(netns_new_tag)"
  cat >"$LAB_DIR/lab.env" <<EOF
CLASP="$CLASP"
TOPOLOGY=$TOPOLOGY
SITES=$SITES
USE_NETNS=$USE_NETNS
NETNS_TAG=$tag
EOF
  # A failed start tears down whatever did start.
  trap 'echo "lab: start failed; tearing down" >&2; cmd_down_loaded >&2' ERR
  set -E
  local names=() i
  for ((i = 0; i < SITES; i++)); do names+=("$(site_name "$i")"); done
  if [ "$USE_NETNS" = 1 ]; then
    local all=("${names[@]}") pairs=()
    [ "$TOPOLOGY" = hub ] && all=(hub "${names[@]}")
    for i in "${!all[@]}"; do netns_add_site "$LAB_DIR" "$tag" "${all[$i]}"; done
    if [ "$TOPOLOGY" = hub ]; then
      for ((i = 0; i < SITES; i++)); do pairs+=("hub ${names[$i]}"); done
    else
      for ((i = 0; i < SITES; i++)); do
        for j in $(mesh_peer_indexes "$i"); do pairs+=("${names[$i]} ${names[$j]}"); done
      done
    fi
    for i in "${!pairs[@]}"; do
      # shellcheck disable=SC2086
      netns_add_link "$LAB_DIR" "$tag" "$i" ${pairs[$i]}
    done
  fi
  local bind=127.0.0.1; [ "$USE_NETNS" = 1 ] && bind=0.0.0.0
  local ns
  if [ "$TOPOLOGY" = hub ]; then
    ns="$(netns_of "$LAB_DIR" hub)"
    write_config hub "$(site_port -1)" "$bind" hub ""
    start_site hub hub "$ns" "-"
    for ((i = 0; i < SITES; i++)); do
      write_config "${names[$i]}" "$(site_port "$i")" "$bind" leaf "/${names[$i]}/**" "$(peer_url_for "${names[$i]}" hub)"
      start_site "${names[$i]}" leaf "$(netns_of "$LAB_DIR" "${names[$i]}")" "-"
    done
  else
    for ((i = 0; i < SITES; i++)); do
      local urls=() j
      for j in $(mesh_peer_indexes "$i"); do urls+=("$(peer_url_for "${names[$i]}" "${names[$j]}")"); done
      write_config "${names[$i]}" "$(site_port "$i")" "$bind" mesh "/${names[$i]}/**" ${urls[@]+"${urls[@]}"}
      start_site "${names[$i]}" mesh "$(netns_of "$LAB_DIR" "${names[$i]}")" "-"
    done
  fi
  trap - ERR
  print_reach
}

print_reach() {
  local what="hub + $SITES leaves"; [ "$TOPOLOGY" != hub ] && what="mesh ($TOPOLOGY) of $SITES sites"
  [ "$USE_NETNS" = 1 ] && what+=", one network namespace per site"
  echo "lab: up in $LAB_DIR: $what"
  printf '  %-8s %-6s %-26s %s\n' SITE ROLE URL "DATA DIR"
  local name
  for name in $(site_names); do
    printf '  %-8s %-6s %-26s %s\n' "$name" "$(site_field "$name" 3)" "$(site_url "$name")" "$LAB_DIR/$name/data"
  done
  local first second; first="$(site_names | grep -v '^hub$' | head -1)"; second="$(site_names | grep -v '^hub$' | sed -n 2p)"
  echo "Try:"
  if [ "$USE_NETNS" = 1 ]; then
    echo "  (each URL is inside that site's namespace: $(site_field "$first" 4), ...; use 'client')"
  fi
  echo "  deploy/lab/lab.sh client $first set /$first/lights/1 0.8 --dir $LAB_DIR"
  echo "  deploy/lab/lab.sh client $second get /$first/lights/1 --dir $LAB_DIR"
  echo "  deploy/lab/lab.sh status --dir $LAB_DIR     deploy/lab/lab.sh down --dir $LAB_DIR"
}

# --- status, client, verify -------------------------------------------------

router_alive() { # NAME: true if its PID file names a live clasp of this lab
  local pidfile="$LAB_DIR/$1/router.pid" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$LAB_DIR/$1/config.json"
}

cmd_status() {
  parse_dir_only "$@"; load_lab
  local name
  for name in $(site_names); do
    if router_alive "$name"; then
      echo "== $name (pid $(cat "$LAB_DIR/$name/router.pid"), $(site_url "$name"))"
      in_site "$name" "$CLASP" status --url "$(site_url "$name")" || echo "   (no answer to clasp status)"
    else
      echo "== $name: not running (log: $LAB_DIR/$name/router.log)"
    fi
  done
}

cmd_client() {
  [ $# -ge 2 ] || die "usage: client SITE COMMAND ARGS... [--dir DIR]"
  local site="$1"; shift
  local args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = --dir ]; then LAB_DIR="${2:?}"; shift 2; else args+=("$1"); shift; fi
  done
  load_lab
  [ -n "$(site_field "$site" 1)" ] || die "no site '$site' in this lab (sites: $(site_names | tr '\n' ' '))"
  in_site "$site" "$CLASP" "${args[0]}" --url "$(site_url "$site")" "${args[@]:1}"
}

# Number of direct peers SITE should see Active.
expected_peers() {
  local name="$1" i
  if [ "$TOPOLOGY" = hub ]; then
    [ "$name" = hub ] && echo "$SITES" || echo 1
  elif [ "$TOPOLOGY" = full ]; then echo $((SITES - 1))
  elif [ "$SITES" -eq 2 ]; then echo 1
  else echo 2; fi
}

active_peer_count() { # NAME
  in_site "$1" curl -s --max-time 2 "$(site_http "$1")/federation/peers" 2>/dev/null |
    grep -o '"state":"Active"' | wc -l
}

# Bounded wait until every site sees its expected peers Active.
wait_links_active() { # TIMEOUT_S
  local deadline=$((SECONDS + $1)) name missing
  while :; do
    missing=""
    for name in $(site_names); do
      [ "$(active_peer_count "$name")" -ge "$(expected_peers "$name")" ] || missing+=" $name"
    done
    [ -z "$missing" ] && return 0
    if [ $SECONDS -ge "$deadline" ]; then
      echo "lab: links not Active after ${1}s at:$missing" >&2
      for name in $missing; do
        echo "  $name /federation/peers: $(in_site "$name" curl -s --max-time 2 "$(site_http "$name")/federation/peers")" >&2
      done
      return 1
    fi
    sleep 0.2
  done
}

# Bounded wait until SITE reads VALUE at ADDRESS.
wait_value() { # SITE ADDRESS VALUE TIMEOUT_S
  local deadline=$((SECONDS + $4)) got
  while :; do
    got="$(in_site "$1" "$CLASP" get --url "$(site_url "$1")" --timeout 2 "$2" 2>/dev/null || true)"
    [ "$got" = "$3" ] && return 0
    [ $SECONDS -ge "$deadline" ] && { echo "lab: $1 reads $2 = '${got:-<none>}', expected $3" >&2; return 1; }
    sleep 0.2
  done
}

# The convergence check: every site writes into its own namespace (and the
# last site writes into the first site's, which is forwarded to its owner);
# every other site must read each value. Prints "verify: ok ..." or fails.
cmd_verify() {
  parse_dir_only "$@"; load_lab
  local timeout="${VERIFY_TIMEOUT_S}"
  wait_links_active "$timeout"
  local owners; owners="$(site_names | grep -v '^hub$')"
  local stamp=$(( (RANDOM << 15 | RANDOM) + 1 )) writes=0 reads=0 mismatches=0 name other
  local first last; first="$(echo "$owners" | head -1)"; last="$(echo "$owners" | tail -1)"
  for name in $owners; do
    in_site "$name" "$CLASP" set --url "$(site_url "$name")" "/$name/lab/verify" "$stamp" >/dev/null ||
      die "set /$name/lab/verify at $name failed"
    writes=$((writes + 1))
  done
  in_site "$last" "$CLASP" set --url "$(site_url "$last")" "/$first/lab/from-$last" "$stamp" >/dev/null ||
    die "set /$first/lab/from-$last at $last (forwarded to $first) failed"
  writes=$((writes + 1))
  for name in $owners; do
    for other in $(site_names); do
      [ "$other" = "$name" ] && continue
      reads=$((reads + 1))
      wait_value "$other" "/$name/lab/verify" "$stamp" "$timeout" || mismatches=$((mismatches + 1))
    done
  done
  for other in $(site_names); do
    reads=$((reads + 1))
    wait_value "$other" "/$first/lab/from-$last" "$stamp" "$timeout" || mismatches=$((mismatches + 1))
  done
  if [ "$mismatches" -ne 0 ]; then
    echo "verify: FAILED: $mismatches of $reads reads did not see the written value ($writes writes)" >&2
    return 1
  fi
  echo "verify: ok: $writes writes seen by every other site ($reads reads, 0 mismatches)"
}

# --- down -------------------------------------------------------------------

stop_router() { # NAME: SIGTERM, bounded wait, then SIGKILL
  local name="$1" pid
  router_alive "$name" || { rm -f "$LAB_DIR/$name/router.pid"; return 0; }
  pid="$(cat "$LAB_DIR/$name/router.pid")"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while router_alive "$name" && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  if router_alive "$name"; then
    echo "lab: $name (pid $pid) ignored SIGTERM for 10s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # An exiting process loses its cmdline before it is gone: wait for the exit.
  waited=0
  while process_running "$pid" && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  rm -f "$LAB_DIR/$name/router.pid"
}

process_running() { # PID: exists and is not a zombie
  local state
  state="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

cmd_down_loaded() {
  local name
  for name in $(site_names 2>/dev/null); do stop_router "$name"; done
  # Sites whose start failed are not in DIR/sites yet but may have a PID file.
  for pidfile in "$LAB_DIR"/*/router.pid; do
    [ -f "$pidfile" ] && stop_router "$(basename "$(dirname "$pidfile")")"
  done
  [ "${USE_NETNS:-0}" = 1 ] && netns_remove_all "$LAB_DIR"
  rm -f "$LAB_DIR/lab.env"
  echo "lab: down ($LAB_DIR kept: configs, data and logs)"
}

cmd_down() {
  parse_dir_only "$@"; load_lab
  cmd_down_loaded
  # A later `up` in this directory writes new configs and keeps the data dirs.
  mv "$LAB_DIR/sites" "$LAB_DIR/sites.last" 2>/dev/null || true
}

cmd_fault() {
  [ $# -ge 3 ] || die "usage: fault SITE1 SITE2 delay MS|loss PCT|partition|heal [--dir DIR]"
  local a="$1" b="$2" kind="$3"; shift 3
  local arg=""
  if [ "$kind" = delay ] || [ "$kind" = loss ]; then arg="${1:?fault $kind needs a value}"; shift; fi
  parse_dir_only "$@"; load_lab
  [ "$USE_NETNS" = 1 ] || die "faults need a lab started with --netns"
  netns_fault "$LAB_DIR" "$a" "$b" "$kind" "$arg"
}

parse_dir_only() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) LAB_DIR="${2:?--dir needs a directory}"; shift 2 ;;
      *) die "unknown option '$1'" ;;
    esac
  done
}

command="${1:-}"; [ $# -gt 0 ] && shift
case "$command" in
  up) cmd_up "$@" ;;
  status) cmd_status "$@" ;;
  verify) cmd_verify "$@" ;;
  down) cmd_down "$@" ;;
  client) cmd_client "$@" ;;
  fault) cmd_fault "$@" ;;
  -h|--help|help) usage ;;
  *) echo "lab: unknown command '${command}'" >&2; usage ;;
esac
