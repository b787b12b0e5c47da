# shellcheck shell=bash
# scripts/test-env/engine.sh: the local Docker engine.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

# ---------------------------------------------------------------------------
# the local engine

# A managed containerd pid file whose pid is now some other process makes
# dockerd believe its containerd still runs and wait for it in vain.
clean_stale_containerd_pidfile() {
  local pidfile=$1/containerd/containerd.pid pid
  [[ -f $pidfile ]] || return 0
  if ! live_pid "$pidfile" containerd >/dev/null; then
    rm -f "$pidfile"
  fi
}

ensure_local_engine() {
  if engine_ping "$LOCAL_SOCK"; then
    local pid
    pid=$(live_pid "$LOCAL_PIDFILE" dockerd || true)
    # The marker only speaks for the dockerd this script started.
    if [[ -f $LOCAL_MARKER && $(cat "$LOCAL_MARKER") != "$pid" ]]; then rm -f "$LOCAL_MARKER"; fi
    return 0
  fi
  local pid
  if pid=$(live_pid "$LOCAL_PIDFILE" dockerd); then
    # Someone (maybe a concurrent `up`) is starting it: never restart an engine
    # others may be using, just wait for it.
    log "local engine: dockerd (pid $pid) runs but does not answer yet; waiting"
    wait_until 60 engine_ping "$LOCAL_SOCK" ||
      die "local engine: dockerd (pid $pid) does not answer GET /_ping on $LOCAL_SOCK after 60s (log: $LOCAL_LOG or wherever it was started from)"
    return 0
  fi
  # Nothing answers and no dockerd runs: whatever is left is stale.
  if [[ -e $LOCAL_PIDFILE ]]; then log "local engine: removing stale pid file $LOCAL_PIDFILE"; fi
  rm -f "$LOCAL_PIDFILE"
  if [[ -e $LOCAL_SOCK ]]; then log "local engine: removing stale socket $LOCAL_SOCK"; fi
  rm -f "$LOCAL_SOCK"
  clean_stale_containerd_pidfile /var/run/docker
  log "local engine: starting dockerd (log: $LOCAL_LOG)"
  spawn_detached "$LOCAL_LOG" dockerd
  wait_until 60 engine_ping "$LOCAL_SOCK" ||
    die "local engine: dockerd did not answer GET /_ping on $LOCAL_SOCK within 60s; see $LOCAL_LOG"
  live_pid "$LOCAL_PIDFILE" dockerd >"$LOCAL_MARKER" || rm -f "$LOCAL_MARKER"
}

status_local_engine() {
  if engine_ping "$LOCAL_SOCK"; then
    local who="started elsewhere" pid
    pid=$(live_pid "$LOCAL_PIDFILE" dockerd || true)
    if [[ -n $pid && -f $LOCAL_MARKER && $(cat "$LOCAL_MARKER") == "$pid" ]]; then who="started by test-env"; fi
    report local-engine ready "$LOCAL_SOCK (dockerd pid ${pid:-?}, $who)"
  else
    report local-engine "NOT READY" "no answer to GET /_ping on $LOCAL_SOCK"
  fi
}
