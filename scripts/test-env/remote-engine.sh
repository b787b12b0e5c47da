# shellcheck shell=bash
# scripts/test-env/remote-engine.sh: each remote host's own Docker engine.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

# ---------------------------------------------------------------------------
# remote hosts: engine

# The engine's own config file, so that settings meant for the local engine in
# /etc/docker/daemon.json (hosts, data-root, ...) cannot clash with it.
# dockerd before 23 derives its engine ID from a key file that is
# /etc/docker/key.json for every engine on the machine: give each remote
# engine its own, so that the three engines report distinct IDs as distinct
# machines would (later versions keep the ID in the data root).
engine_config() {
  local major
  major=$(dockerd --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
  if [[ -n $major ]] && ((major < 23)); then
    printf '{ "deprecated-key-path": "%s" }\n' "$DATA/key.json"
  else
    echo '{}'
  fi
}

# The engine's command line. No iptables: the namespace has no way out anyway,
# and the host's iptables belong to the local engine. The default bridge
# (docker0 inside the namespace, created by the engine and found again at its
# next start) gives containers an address the namespace reaches, as on a real
# host: forwarded ports reach containers through it.
remote_engine_args() {
  ENGINE_ARGS=(dockerd --config-file "$ENGINE_CFG"
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$ENGINE_PIDFILE"
    -H "unix://$ENGINE_SOCK" --iptables=false)
}

# An engine started with other arguments (an earlier layout: --bridge=none).
engine_args_differ() { [[ $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) != "${ENGINE_ARGS[*]} " ]]; }

# keep_running_engine COMM RESTART_REASON WAIT_SECONDS WHAT: 0 when the engine
# process COMM behind $ENGINE_PIDFILE runs in this host's namespace and
# answers on $ENGINE_SOCK (within WAIT_SECONDS) and nothing asks for a
# restart; otherwise stops it if it runs, and returns 1.
keep_running_engine() {
  local comm=$1 restart=$2 wait=$3 what=$4 pid
  pid=$(live_pid "$ENGINE_PIDFILE" "$comm") || return 1
  if [[ -n $restart ]]; then
    log "$NS: restarting $what (pid $pid): $restart"
  elif ! in_netns "$pid"; then
    log "$NS: $what (pid $pid) runs in a namespace that no longer exists; restarting it"
  elif engine_ping "$ENGINE_SOCK" || wait_until "$wait" engine_ping "$ENGINE_SOCK"; then
    return 0
  else
    log "$NS: $what (pid $pid) does not answer; restarting it"
  fi
  stop_pid "$pid" 40
  return 1
}

ensure_remote_engine() {
  if [[ $ENGINE_KIND == podman ]]; then ensure_podman_engine; return; fi
  local pid restart=
  mkdir -p "$RUN" "$EXEC_ROOT" "$DATA_ROOT"
  remote_engine_args
  if engine_config | write_if_changed "$ENGINE_CFG" 0644; then restart="its configuration changed"; fi
  if [[ -z $restart ]] && pid=$(live_pid "$ENGINE_PIDFILE" dockerd) && engine_args_differ "$pid"; then restart="its command line changed"; fi
  if keep_running_engine dockerd "$restart" 30 engine; then return 0; fi
  # Stale pieces of a killed engine: pid files and the socket, and the
  # network namespace it had pinned under its exec root (it may be an older
  # namespace than the current one).
  rm -f "$ENGINE_PIDFILE" "$ENGINE_SOCK"
  clean_stale_containerd_pidfile "$EXEC_ROOT"
  unmount_below "$EXEC_ROOT/netns"
  # The engine's network store keeps one sandbox record per container it ever
  # ran that was not cleanly released (force removals, a killed engine), and
  # dockerd 20.10 deletes those one by one at start-up, ~0.1 s each: after a
  # day of test runs that was over a minute before the engine answered. No
  # container of a dead engine is running, so every record is stale; this
  # engine has no networks of its own, and the predefined ones (bridge, none,
  # host) are recreated at start, found again by name by stopped containers.
  rm -f "$DATA_ROOT/network/files/local-kv.db"
  log "$NS: starting engine on $ENGINE_SOCK (log: $ENGINE_LOG)"
  # nsenter --net, not `ip netns exec`: the latter remounts /sys and the
  # engine then fails with "Devices cgroup isn't mounted".
  spawn_detached "$ENGINE_LOG" nsenter --net="$NETNS_FILE" "${ENGINE_ARGS[@]}"
  wait_until 120 engine_ping "$ENGINE_SOCK" ||
    die "$NS: engine did not answer GET /_ping on $ENGINE_SOCK within 120s; see $ENGINE_LOG"
}

status_remote_engine() {
  local pid comm=dockerd what=dockerd
  if [[ $ENGINE_KIND == podman ]]; then
    [[ $PODMAN_UID != none ]] || { report "$H-engine" "NOT READY" "no user $PODMAN_USER"; return; }
    comm=podman what="rootless podman service of $PODMAN_USER,"
  fi
  if ! pid=$(live_pid "$ENGINE_PIDFILE" "$comm"); then
    report "$H-engine" "NOT READY" "no $comm behind $ENGINE_PIDFILE"
  elif ! in_netns "$pid"; then
    report "$H-engine" "NOT READY" "$comm pid $pid is not in namespace $NS"
  elif [[ $ENGINE_KIND != podman ]] && remote_engine_args && engine_args_differ "$pid"; then
    report "$H-engine" "NOT READY" "dockerd pid $pid runs with other arguments than up gives it"
  elif ! engine_ping "$ENGINE_SOCK"; then
    report "$H-engine" "NOT READY" "no answer to GET /_ping on $ENGINE_SOCK"
  else
    report "$H-engine" ready "$ENGINE_SOCK ($what pid $pid)"
  fi
}
