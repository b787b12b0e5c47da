#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# scripts/test-env.sh up|up-host <r1|r2|r3|r4>|down|status
#
# The real test environment that every test and CI run uses, all on this
# machine (see TEST-ENVIRONMENT.md in shared/ for how it was verified):
#
#   - the local Docker engine            unix:///var/run/docker.sock
#   - three "remote hosts" pks-r1, pks-r2, pks-r3: each a network namespace
#     reached over a veth pair, with its own dockerd and its own sshd (the sshd
#     sees that engine's socket at /var/run/docker.sock through a private mount
#     namespace). pks-r3 is the fault host: the fault tests cut its link, kill
#     its sshd and stop its engine, so tests running at the same time on
#     pks-r1 and pks-r2 are never disturbed; `up` repairs it.
#   - a fourth remote host pks-r4 whose engine is rootless Podman's
#     Docker-compatible API, served by its login user (test-env/podman-host.sh)
#   - a local image registry             127.0.0.1:5000
#   - test images built without any registry (busybox, Debian bookworm)
#   - .test-env/ in the repo root: client keys, known_hosts and `env`, the file
#     tests read to find all of the above
#
# `up` is idempotent and repairs what is stale or broken (every process of an
# earlier session killed while its namespaces, links, pid files, sockets and
# data stay behind; a link set down; an engine stopped). On a ready machine it
# takes seconds. `status` changes nothing. `down` stops what `up` started.
#
# Only loopback and the namespaces' own addresses are ever contacted, apart
# from the Debian archive (apt-get, debootstrap) whose address is read from
# apt's own configuration at run time.
#
# This file holds the layout (every name, path and address) and the commands;
# each component's functions are in scripts/test-env/<component>.sh, sourced
# below: packages, engine (local), hosts (namespaces, links, guard route),
# remote-engine, sshd (users, sshd, login checks), images, registry,
# client-files (.test-env/) and status, with common helpers in common.sh.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TE_DIR=$REPO_ROOT/.test-env          # per checkout: keys, known_hosts, env (gitignored)
# A work tree may link .test-env to another checkout's: name the files by
# their real place, so that every checkout writes the same settings.
if [[ -L $TE_DIR ]]; then TE_DIR=$(cd -P "$TE_DIR" && pwd); fi

STATE=/var/lib/pks-test              # per machine: data dirs, host keys, configs (kept by `down`)
CACHE=/var/cache/pks-test            # per machine: image root file systems (kept by `down`)
LOGS=/var/log/pks-test
RUNSTATE=/run/pks-test               # pid files and the lock of this script

LOCAL_SOCK=/var/run/docker.sock
LOCAL_PIDFILE=/var/run/docker.pid
LOCAL_LOG=$LOGS/dockerd.log
# Holds the pid of the local dockerd when this script started it, so that
# `down` stops the local engine only then (others use it concurrently).
LOCAL_MARKER=$STATE/local-dockerd.started-by-test-env

REGISTRY=127.0.0.1:5000
REGISTRY_DIR=$STATE/registry
REGISTRY_CFG=$REGISTRY_DIR/config.yml
REGISTRY_PIDFILE=$RUNSTATE/registry.pid
REGISTRY_LOG=$LOGS/registry.log

IMAGE_BUSYBOX=pks-test/busybox:latest
IMAGE_DEBIAN=pks-test/debian:bookworm
IMAGE_DEBIAN_ALIAS=debian:bookworm-slim   # the name examples use; nothing is pulled here
BUSYBOX_TAR=$CACHE/busybox-rootfs.tar
DEBIAN_TAR=$CACHE/debian-bookworm-rootfs.tar
# The Debian image's extra packages; also its import comment, so that `up`
# rebuilds an image made with another list (and the cached root file system).
DEBIAN_PACKAGES=git,ca-certificates,openssh-client

DEV_USER=pksdev        # normal login user, in group docker, on every host
NODOCK_USER=pksnodock  # login user without access to the Docker socket, on pks-r1 only
PODMAN_USER=pkspod     # login user of pks-r4, runs rootless Podman; not in group docker

HOSTS=(r1 r2 r3 r4)
# (`npm run lint` checks these scripts with shellcheck.)
PACKAGES=(docker.io openssh-server openssh-client busybox-static debootstrap iproute2 docker-registry curl ca-certificates shellcheck zsh fish docker-compose podman)

# Callers (node, CI) may pass a PATH without the sbin directories.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# Explicit -H is used everywhere; a DOCKER_HOST/DOCKER_CONTEXT from the caller
# would conflict with it or silently redirect commands.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

NODOCK_KEY=$TE_DIR/nodock_ed25519
KNOWN_HOSTS=$TE_DIR/known_hosts
ENV_FILE=$TE_DIR/env

# With a host's link down its /30 route is gone, and packets to its address
# would follow the default route off this machine. An "unreachable" route over
# the whole test range catches them (the /30 routes, more specific, win while
# the links are up): nothing leaves the machine, a new connection to a cut-off
# host fails with "no route to host" as on a machine whose network went away,
# and packets of established connections are dropped, so those notice the cut
# only through their keepalives, as over a real link.
GUARD_ROUTE=10.231.0.0/24

# host_vars r1|r2|r3|r4: set the names and paths of one remote host.
host_vars() {
  H=$1
  NS=pks-$H
  case $H in
    r1) HOST_IP=10.231.0.1 NS_IP=10.231.0.2 ;;
    r2) HOST_IP=10.231.0.5 NS_IP=10.231.0.6 ;;
    r3) HOST_IP=10.231.0.9 NS_IP=10.231.0.10 ;;
    r4) HOST_IP=10.231.0.13 NS_IP=10.231.0.14 ;;
    *) die "unknown host $H" ;;
  esac
  NETNS_FILE=/var/run/netns/$NS
  LINK_H=$NS-h LINK_N=$NS-n
  RUN=/run/$NS
  DATA=$STATE/$NS
  ENGINE_SOCK=$RUN/docker.sock
  ENGINE_PIDFILE=$RUN/docker.pid
  EXEC_ROOT=$RUN/exec
  DATA_ROOT=$DATA/docker
  ENGINE_CFG=$DATA/daemon.json
  ENGINE_LOG=$LOGS/$NS-dockerd.log
  SSHD_PIDFILE=$RUN/sshd.pid
  SSHD_CFG=$DATA/sshd_config
  SSHD_LOG=$LOGS/$NS-sshd.log
  HOSTKEY=$DATA/ssh_host_ed25519_key
  AUTH_DIR=$DATA/authorized_keys
  CLIENT_KEY=$TE_DIR/${H}_ed25519
  ENGINE_KIND=docker
  LOGIN_USER=$DEV_USER
  LOGIN_DOCKER_SOCK=/var/run/docker.sock # the engine socket as logins see it
  SSHD_DOCKER_SOCK=$ENGINE_SOCK          # what sshd shows at /var/run/docker.sock
  if [[ $H == r4 ]]; then podman_host_vars; fi
}

# One file per component, each only defining functions (and NOT_READY).
# shellcheck source=test-env/common.sh
source "$SCRIPT_DIR/test-env/common.sh"
# shellcheck source=test-env/packages.sh
source "$SCRIPT_DIR/test-env/packages.sh"
# shellcheck source=test-env/engine.sh
source "$SCRIPT_DIR/test-env/engine.sh"
# shellcheck source=test-env/hosts.sh
source "$SCRIPT_DIR/test-env/hosts.sh"
# shellcheck source=test-env/remote-engine.sh
source "$SCRIPT_DIR/test-env/remote-engine.sh"
# shellcheck source=test-env/sshd.sh
source "$SCRIPT_DIR/test-env/sshd.sh"
# shellcheck source=test-env/podman-host.sh
source "$SCRIPT_DIR/test-env/podman-host.sh"
# shellcheck source=test-env/images.sh
source "$SCRIPT_DIR/test-env/images.sh"
# shellcheck source=test-env/registry.sh
source "$SCRIPT_DIR/test-env/registry.sh"
# shellcheck source=test-env/client-files.sh
source "$SCRIPT_DIR/test-env/client-files.sh"
# shellcheck source=test-env/status.sh
source "$SCRIPT_DIR/test-env/status.sh"

# ---------------------------------------------------------------------------
# commands

cmd_status() {
  if [[ $EUID -ne 0 ]]; then log "status: not root; checks that need root (namespaces, sshd mounts) may fail"; fi
  all_status
  if ((${#NOT_READY[@]} > 0)); then
    printf 'test-env: not ready: %s (run scripts/test-env.sh up)\n' "${NOT_READY[*]}" >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------
# up / down

take_lock() {
  mkdir -p "$RUNSTATE"
  exec 9>"$RUNSTATE/lock"
  flock -w 900 9 || die "another scripts/test-env.sh is still running (lock $RUNSTATE/lock)"
}

cmd_up() {
  [[ $EUID -eq 0 ]] || die "up must run as root (namespaces, engines, packages)"
  local start h
  start=$(now_ms)
  take_lock
  mkdir -p "$STATE" "$CACHE" "$LOGS" "$RUNSTATE"
  ensure_packages
  ensure_local_engine
  ensure_users
  ensure_client_files
  ensure_guard_route
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    ensure_netns
    ensure_link
    ensure_remote_engine
    ensure_sshd
  done
  ensure_registry
  ensure_images
  ensure_registry_images
  write_client_files
  log "self-check"
  all_status
  if ((${#NOT_READY[@]} > 0)); then
    die "not ready after up: ${NOT_READY[*]} (see the lines above and the logs in $LOGS)"
  fi
  log "ready in $((($(now_ms) - start) / 100 / 10)).$((($(now_ms) - start) / 100 % 10))s; settings in $ENV_FILE"
}

# up-host H: only what one host needs to answer again (its link, engine and
# sshd) — the fault tests' quick repair, seconds faster than a whole `up`.
cmd_up_host() {
  [[ $EUID -eq 0 ]] || die "up-host must run as root"
  local h=${1:-} known
  for known in "${HOSTS[@]}"; do
    if [[ $known == "$h" ]]; then
      take_lock
      host_vars "$h"
      ensure_netns
      ensure_link
      ensure_remote_engine
      ensure_sshd
      return 0
    fi
  done
  die "up-host: unknown host '$h' (expected one of: ${HOSTS[*]})"
}

cmd_down() {
  [[ $EUID -eq 0 ]] || die "down must run as root"
  take_lock
  local h pid
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    if pid=$(live_pid "$SSHD_PIDFILE" sshd); then
      log "$NS: stopping sshd (pid $pid)"
      stop_pid "$pid" 10
    fi
    rm -f "$SSHD_PIDFILE"
    if pid=$(live_pid "$ENGINE_PIDFILE" dockerd) || pid=$(live_pid "$ENGINE_PIDFILE" podman); then
      log "$NS: stopping engine (pid $pid)"
      stop_pid "$pid" 40
    fi
    if pid=$(live_pid "$EXEC_ROOT/containerd/containerd.pid" containerd); then
      stop_pid "$pid" 10
    fi
    rm -f "$ENGINE_PIDFILE" "$ENGINE_SOCK"
    # dockerd leaves its namespace pinned under the exec root: release it so
    # that the namespace really goes away.
    unmount_below "$EXEC_ROOT/netns"
    stop_netns_processes
    if ip link show "$LINK_H" >/dev/null 2>&1; then
      log "$NS: removing link $LINK_H"
      ip link delete "$LINK_H"
    fi
    if [[ -e $NETNS_FILE ]]; then
      log "$NS: removing network namespace"
      ip netns delete "$NS" 2>/dev/null || rm -f "$NETNS_FILE"
    fi
  done
  if guard_route_ok; then ip route del "$GUARD_ROUTE" 2>/dev/null || true; fi
  if pid=$(live_pid "$REGISTRY_PIDFILE" docker-registry); then
    log "registry: stopping (pid $pid)"
    stop_pid "$pid" 10
  fi
  rm -f "$REGISTRY_PIDFILE"
  if [[ -f $LOCAL_MARKER ]]; then
    if pid=$(live_pid "$LOCAL_PIDFILE" dockerd) && [[ $(cat "$LOCAL_MARKER") == "$pid" ]]; then
      log "local engine: stopping dockerd (pid $pid, started by test-env)"
      stop_pid "$pid" 40
    fi
    rm -f "$LOCAL_MARKER"
  elif engine_ping "$LOCAL_SOCK"; then
    log "local engine: left running (not started by test-env)"
  fi
  # The settings describe an environment that is gone now; keys and
  # known_hosts stay for the next `up`.
  rm -f "$ENV_FILE"
  log "down (caches in $CACHE and data in $STATE kept)"
}

case ${1:-} in
  up) cmd_up ;;
  up-host) cmd_up_host "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: scripts/test-env.sh up|up-host <r1|r2|r3|r4>|down|status" >&2
    exit 2
    ;;
esac
