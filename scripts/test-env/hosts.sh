# shellcheck shell=bash
# scripts/test-env/hosts.sh: the remote hosts' network namespaces, links and guard route.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

# ---------------------------------------------------------------------------
# remote hosts: network namespace and link

netns_usable() { [[ -e $NETNS_FILE ]] && nsenter --net="$NETNS_FILE" true 2>/dev/null; }

ensure_netns() {
  if [[ -e $NETNS_FILE ]] && ! netns_usable; then
    # e.g. the file survived but its namespace mount did not
    log "$NS: removing stale namespace file $NETNS_FILE"
    ip netns delete "$NS" 2>/dev/null || rm -f "$NETNS_FILE"
  fi
  if [[ ! -e $NETNS_FILE ]]; then
    log "$NS: creating network namespace"
    ip netns add "$NS"
  fi
  ip -n "$NS" link set lo up
}

ensure_link() {
  # A host side without its peer inside the namespace (namespace recreated),
  # or a namespace side stranded in the host namespace (interrupted setup),
  # cannot be repaired in place: remove it and make the pair again.
  if ip link show "$LINK_H" >/dev/null 2>&1 && ! ip -n "$NS" link show "$LINK_N" >/dev/null 2>&1; then
    log "$NS: removing $LINK_H (its peer is not in the namespace)"
    ip link delete "$LINK_H"
  fi
  if ip link show "$LINK_N" >/dev/null 2>&1; then
    ip link delete "$LINK_N"
  fi
  if ! ip link show "$LINK_H" >/dev/null 2>&1; then
    log "$NS: creating veth $LINK_H <-> $LINK_N"
    ip link add "$LINK_H" type veth peer name "$LINK_N" netns "$NS"
  fi
  ip addr replace "$HOST_IP/30" dev "$LINK_H"
  ip -n "$NS" addr replace "$NS_IP/30" dev "$LINK_N"
  # A test may have cut the host off with `ip link set DEV down`.
  if ! link_up; then log "$NS: bringing the link up"; fi
  ip link set "$LINK_H" up
  ip -n "$NS" link set "$LINK_N" up
  wait_until 5 link_up || die "$NS: link $LINK_H <-> $LINK_N does not come up"
  # Connecting while the link was down leaves FAILED neighbour entries, which
  # answer "No route to host" for a while after it is up again.
  ip neigh flush dev "$LINK_H" 2>/dev/null || true
  ip -n "$NS" neigh flush dev "$LINK_N" 2>/dev/null || true
}

link_up() {
  local h n
  h=$(ip -o link show "$LINK_H" 2>/dev/null) || return 1
  n=$(ip -n "$NS" -o link show "$LINK_N" 2>/dev/null) || return 1
  [[ $h == *'<'*UP*'>'* && $h == *LOWER_UP* && $n == *'<'*UP*'>'* && $n == *LOWER_UP* ]] || return 1
  ip -o -4 addr show dev "$LINK_H" 2>/dev/null | grep -qF " $HOST_IP/30 " || return 1
  ip -n "$NS" -o -4 addr show dev "$LINK_N" 2>/dev/null | grep -qF " $NS_IP/30 "
}

ensure_guard_route() { guard_route_ok || ip route replace unreachable "$GUARD_ROUTE"; }
guard_route_ok() { [[ $(ip route show exact "$GUARD_ROUTE" 2>/dev/null) == unreachable* ]]; }

# in_netns PID: the process lives in this host's current network namespace
# (not in an older one that was deleted while the process kept it alive).
in_netns() { [[ -e $NETNS_FILE && $(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) == "$(stat -L -c %i "$NETNS_FILE")" ]]; }

# stop_netns_processes: whatever still runs inside the namespace (ssh
# sessions, a dockerd's containerd and shims) is ours; end it before removing
# the namespace so nothing keeps an orphaned copy of it alive.
stop_netns_processes() {
  [[ -e $NETNS_FILE ]] || return 0
  local pids=()
  mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null)
  ((${#pids[@]} > 0)) || return 0
  log "$NS: stopping remaining processes in the namespace: ${pids[*]}"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait_until 10 netns_empty || {
    mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null)
    ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_until 5 netns_empty || true
  }
}
netns_empty() { [[ -z $(ip netns pids "$NS" 2>/dev/null) ]]; }
