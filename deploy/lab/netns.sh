# shellcheck shell=bash
# Network-namespace plumbing for the lab (sourced by deploy/lab/lab.sh): one
# namespace per site, one veth pair per federation link with a 10.x /24 of its
# own, and faults on a link: tc netem delay or loss, or a partition made of
# blackhole routes (which needs no netem and drops silently, like a dead WAN).
#
# Bookkeeping in the lab directory: netns.list ("SITE NAMESPACE") and links
# ("SITE_A SITE_B IF_IN_A IF_IN_B ADDR_A ADDR_B").

# Prints what is missing for a namespace lab; returns non-zero if anything is.
netns_require() {
  local missing=()
  command -v ip >/dev/null 2>&1 || missing+=("the 'ip' command (Debian package iproute2)")
  command -v tc >/dev/null 2>&1 || missing+=("the 'tc' command (Debian package iproute2)")
  command -v curl >/dev/null 2>&1 || missing+=("curl")
  [ "$(id -u)" -eq 0 ] || missing+=("root (creating network namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN)")
  if [ ${#missing[@]} -eq 0 ]; then
    local probe="clasp-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
      missing+=("permission to create network namespaces ('ip netns add' failed: a container without CAP_SYS_ADMIN?)")
    else
      ip netns del "$probe" 2>/dev/null || true
    fi
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "netns lab: missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    return 1
  fi
}

# True if the kernel can run tc netem (delay, loss). Probed in a scratch namespace.
netns_have_netem() {
  local probe="clasp-netem-$$" ok=1
  ip netns add "$probe" 2>/dev/null || return 1
  ip -n "$probe" link set lo up
  ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2>/dev/null && ok=0
  ip netns del "$probe" 2>/dev/null || true
  return $ok
}

# A short tag unique among existing namespaces, so labs never share names.
netns_new_tag() {
  local tag
  while :; do
    tag="$(printf '%04x' $((RANDOM % 65536)))"
    ip netns list 2>/dev/null | grep -q "^clasp-$tag-" || { echo "$tag"; return; }
  done
}

netns_of() { # DIR SITE: its namespace, or "-" when the lab has none
  local ns=""
  [ -f "$1/netns.list" ] && ns="$(awk -v s="$2" '$1 == s { print $2 }' "$1/netns.list")"
  echo "${ns:--}"
}

netns_add_site() { # DIR TAG SITE
  local ns="clasp-$2-$3"
  ip netns add "$ns"
  echo "$3 $ns" >>"$1/netns.list"
  ip -n "$ns" link set lo up
}

# Joins two sites with a veth pair: in A's namespace it is "to-B", in B's
# "to-A"; link INDEX gets 10.(100+INDEX/256).(INDEX%256).0/24, A .1 and B .2.
netns_add_link() { # DIR TAG INDEX SITE_A SITE_B
  local dir="$1" tag="$2" index="$3" a="$4" b="$5"
  local ns_a ns_b; ns_a="$(netns_of "$dir" "$a")"; ns_b="$(netns_of "$dir" "$b")"
  local tmp_a="v${tag}${index}a" tmp_b="v${tag}${index}b"
  local if_a="to-$b" if_b="to-$a"
  local net="10.$((100 + index / 256)).$((index % 256))"
  ip link add "$tmp_a" type veth peer name "$tmp_b"
  ip link set "$tmp_a" netns "$ns_a" name "$if_a"
  ip link set "$tmp_b" netns "$ns_b" name "$if_b"
  ip -n "$ns_a" addr add "$net.1/24" dev "$if_a"
  ip -n "$ns_b" addr add "$net.2/24" dev "$if_b"
  ip -n "$ns_a" link set "$if_a" up
  ip -n "$ns_b" link set "$if_b" up
  echo "$a $b $if_a $if_b $net.1 $net.2" >>"$dir/links"
}

# The address of TO on its link with FROM.
netns_link_address() { # DIR TO FROM
  awk -v t="$2" -v f="$3" '
    $1 == t && $2 == f { print $5; found = 1 }
    $1 == f && $2 == t { print $6; found = 1 }
    END { if (!found) exit 1 }' "$1/links" ||
    { echo "netns lab: no link between $2 and $3" >&2; return 1; }
}

# Applies a fault to both ends of the link between A and B.
netns_fault() { # DIR A B delay|loss|partition|heal [MS|PCT]
  local dir="$1" a="$2" b="$3" kind="$4" value="${5:-}"
  local line; line="$(awk -v a="$a" -v b="$b" '($1 == a && $2 == b) || ($1 == b && $2 == a)' "$dir/links")"
  [ -n "$line" ] || { echo "netns lab: no link between $a and $b (links: $(awk '{ printf "%s-%s ", $1, $2 }' "$dir/links"))" >&2; return 1; }
  local s1 s2 if1 if2 ad1 ad2
  read -r s1 s2 if1 if2 ad1 ad2 <<<"$line"
  local ns1 ns2; ns1="$(netns_of "$dir" "$s1")"; ns2="$(netns_of "$dir" "$s2")"
  case "$kind" in
    delay|loss)
      [[ "$value" =~ ^[0-9]+$ ]] || { echo "netns lab: $kind needs a whole number (ms or percent), got '$value'" >&2; return 1; }
      netns_have_netem || { echo "netns lab: tc netem is not available (this kernel has no sch_netem): $kind cannot be injected; partition and heal still work" >&2; return 1; }
      local spec="delay ${value}ms"; [ "$kind" = loss ] && spec="loss ${value}%"
      # shellcheck disable=SC2086
      ip netns exec "$ns1" tc qdisc replace dev "$if1" root netem $spec
      # shellcheck disable=SC2086
      ip netns exec "$ns2" tc qdisc replace dev "$if2" root netem $spec
      ;;
    partition)
      ip -n "$ns1" route replace blackhole "$ad2/32"
      ip -n "$ns2" route replace blackhole "$ad1/32"
      ;;
    heal)
      ip -n "$ns1" route del blackhole "$ad2/32" 2>/dev/null || true
      ip -n "$ns2" route del blackhole "$ad1/32" 2>/dev/null || true
      ip netns exec "$ns1" tc qdisc del dev "$if1" root 2>/dev/null || true
      ip netns exec "$ns2" tc qdisc del dev "$if2" root 2>/dev/null || true
      ;;
    *) echo "netns lab: unknown fault '$kind' (delay MS, loss PCT, partition, heal)" >&2; return 1 ;;
  esac
  echo "netns lab: $s1 <-> $s2: $kind${value:+ $value}"
}

# Deletes every namespace this lab made (their veth pairs go with them).
netns_remove_all() { # DIR
  [ -f "$1/netns.list" ] || return 0
  local ns
  while read -r _ ns; do
    ip netns del "$ns" 2>/dev/null || true
  done <"$1/netns.list"
  rm -f "$1/netns.list" "$1/links"
}
