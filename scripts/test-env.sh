#!/usr/bin/env bash
# scripts/test-env.sh up|down|status
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

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TE_DIR=$REPO_ROOT/.test-env          # per checkout: keys, known_hosts, env (gitignored)

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

DEV_USER=pksdev        # normal login user, in group docker, on every host
NODOCK_USER=pksnodock  # login user without access to the Docker socket, on pks-r1 only

HOSTS=(r1 r2 r3)
PACKAGES=(docker.io openssh-server openssh-client busybox-static debootstrap iproute2 docker-registry curl ca-certificates)

# Callers (node, CI) may pass a PATH without the sbin directories.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# Explicit -H is used everywhere; a DOCKER_HOST/DOCKER_CONTEXT from the caller
# would conflict with it or silently redirect commands.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

# ---------------------------------------------------------------------------
# helpers

log() { printf 'test-env: %s\n' "$*" >&2; }
die() { printf 'test-env: ERROR: %s\n' "$*" >&2; exit 1; }

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# wait_until SECONDS CMD...: retry CMD every 0.2 s; fail after SECONDS.
wait_until() {
  local deadline=$(($(now_ms) + $1 * 1000))
  shift
  until "$@"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.2
  done
}

# proc_alive PID: the process exists and is not a zombie.
proc_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# live_pid PIDFILE COMM: print the pid from PIDFILE if that process is alive and
# is COMM. A pid file of a dead process, or one whose pid was reused by an
# unrelated process, is stale.
live_pid() {
  local pid
  [[ -r $1 ]] || return 1
  pid=$(tr -dc '0-9' <"$1" 2>/dev/null) || return 1
  [[ -n $pid ]] && proc_alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  echo "$pid"
}

pid_gone() { ! proc_alive "$1"; }

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid=$1 timeout=${2:-20}
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_until "$timeout" pid_gone "$pid"; then
    log "pid $pid did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 pid_gone "$pid" || true
  fi
}

# spawn_detached LOG CMD...: start CMD in its own session, detached from this
# script's terminal and pipes (and from the lock on fd 9), so it survives the
# script and never keeps a caller's pipe open.
spawn_detached() {
  local logfile=$1
  shift
  setsid nohup "$@" </dev/null >>"$logfile" 2>&1 9>&- &
}

engine_ping() { curl -fsS --max-time 1 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1; }
registry_ping() { curl -fsS --max-time 1 "http://$REGISTRY/v2/" >/dev/null 2>&1; }

# dk SOCKET ARGS...: the docker CLI against one engine.
dk() {
  local sock=$1
  shift
  docker -H "unix://$sock" "$@"
}

# image_id SOCKET REF: the image id of REF in that engine (API call, fast);
# nothing when the engine lacks it or does not answer.
image_id() {
  local json
  json=$(curl -fsS --max-time 5 --unix-socket "$1" "http://localhost/images/$2/json" 2>/dev/null) || return 0
  [[ $json =~ \"Id\":\"(sha256:[0-9a-f]+)\" ]] && echo "${BASH_REMATCH[1]}"
  return 0
}

# Inode identity of a path (following symlinks), to tell sockets apart.
file_id() { stat -L -c '%d:%i' "$1" 2>/dev/null; }

# host_vars r1|r2|r3: set the names and paths of one remote host.
host_vars() {
  H=$1
  NS=pks-$H
  case $H in
    r1) HOST_IP=10.231.0.1 NS_IP=10.231.0.2 ;;
    r2) HOST_IP=10.231.0.5 NS_IP=10.231.0.6 ;;
    r3) HOST_IP=10.231.0.9 NS_IP=10.231.0.10 ;;
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
}

NODOCK_KEY=$TE_DIR/nodock_ed25519
KNOWN_HOSTS=$TE_DIR/known_hosts
ENV_FILE=$TE_DIR/env

# ssh_to USER KEY IP CMD...: non-interactive login exactly as tests do it: the
# generated key only, the generated known_hosts only, strict host key check.
ssh_to() {
  local user=$1 key=$2 ip=$3
  shift 3
  ssh -F /dev/null -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
    -o ConnectTimeout=3 -o LogLevel=ERROR -p 22 "$user@$ip" "$@"
}

# ssh_banner IP: sshd at IP:22 accepts connections and speaks SSH.
ssh_banner() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/22" && IFS= read -r -t 1 line <&3 && [[ $line == SSH-2.0-* ]]' "$1" 2>/dev/null
}

# write_if_changed FILE MODE: replace FILE with stdin when the content differs.
# Returns 0 when it changed the file.
write_if_changed() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp "$file.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$file"
}

# ---------------------------------------------------------------------------
# packages

# missing_packages: print the packages of PACKAGES that are not installed.
missing_packages() {
  local installed p
  installed=" $(dpkg-query -W -f='${Package}=${db:Status-Status} ' "${PACKAGES[@]}" 2>/dev/null || true)"
  for p in "${PACKAGES[@]}"; do
    [[ $installed == *" $p=installed "* ]] || echo "$p"
  done
}

ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} == 0)) && return 0
  log "installing missing packages: ${missing[*]}"
  # Package scripts would start the system's docker, ssh and docker-registry
  # services (port 5000 included) where nothing stops them; this script runs
  # its own instances, so keep the services from starting while installing.
  local policy=/usr/sbin/policy-rc.d temp_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, from scripts/test-env.sh: start no services during install\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    temp_policy=$policy
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  } >&2 || rc=$?
  [[ -n $temp_policy ]] && rm -f "$temp_policy"
  ((rc == 0)) || die "packages: apt-get failed (exit $rc) installing ${missing[*]}"
}

status_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    report packages ready "${#PACKAGES[@]} Debian packages installed"
  else
    report packages "NOT READY" "missing: ${missing[*]}"
  fi
}

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

# With a host's link down its /30 route is gone, and packets to its address
# would follow the default route off this machine. An "unreachable" route over
# the whole test range catches them (the /30 routes, more specific, win while
# the links are up): nothing leaves the machine, a new connection to a cut-off
# host fails with "no route to host" as on a machine whose network went away,
# and packets of established connections are dropped, so those notice the cut
# only through their keepalives, as over a real link.
GUARD_ROUTE=10.231.0.0/24
ensure_guard_route() { guard_route_ok || ip route replace unreachable "$GUARD_ROUTE"; }
guard_route_ok() { [[ $(ip route show exact "$GUARD_ROUTE" 2>/dev/null) == unreachable* ]]; }

# in_netns PID: the process lives in this host's current network namespace
# (not in an older one that was deleted while the process kept it alive).
in_netns() { [[ -e $NETNS_FILE && $(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) == "$(stat -L -c %i "$NETNS_FILE")" ]]; }

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

ensure_remote_engine() {
  local pid restart=
  mkdir -p "$RUN" "$EXEC_ROOT" "$DATA_ROOT"
  if engine_config | write_if_changed "$ENGINE_CFG" 0644; then restart="its configuration changed"; fi
  if pid=$(live_pid "$ENGINE_PIDFILE" dockerd); then
    if [[ -n $restart ]]; then
      log "$NS: restarting engine (pid $pid): $restart"
      stop_pid "$pid" 40
    elif ! in_netns "$pid"; then
      log "$NS: engine (pid $pid) runs in a namespace that no longer exists; restarting it"
      stop_pid "$pid" 30
    elif engine_ping "$ENGINE_SOCK" || wait_until 30 engine_ping "$ENGINE_SOCK"; then
      return 0
    else
      log "$NS: engine (pid $pid) does not answer; restarting it"
      stop_pid "$pid" 30
    fi
  fi
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
  # engine has no networks of its own (no bridge), and the predefined ones
  # (none, host) are recreated at start, found again by name by stopped
  # containers.
  rm -f "$DATA_ROOT/network/files/local-kv.db"
  log "$NS: starting engine on $ENGINE_SOCK (log: $ENGINE_LOG)"
  # nsenter --net, not `ip netns exec`: the latter remounts /sys and the
  # engine then fails with "Devices cgroup isn't mounted".
  # No bridge and no iptables: the namespace has no way out anyway, and the
  # host's iptables belong to the local engine.
  spawn_detached "$ENGINE_LOG" nsenter --net="$NETNS_FILE" \
    dockerd --config-file "$ENGINE_CFG" \
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$ENGINE_PIDFILE" \
    -H "unix://$ENGINE_SOCK" --iptables=false --bridge=none
  wait_until 120 engine_ping "$ENGINE_SOCK" ||
    die "$NS: engine did not answer GET /_ping on $ENGINE_SOCK within 120s; see $ENGINE_LOG"
}

status_remote_engine() {
  local pid
  if ! pid=$(live_pid "$ENGINE_PIDFILE" dockerd); then
    report "$H-engine" "NOT READY" "no dockerd behind $ENGINE_PIDFILE"
  elif ! in_netns "$pid"; then
    report "$H-engine" "NOT READY" "dockerd pid $pid is not in namespace $NS"
  elif ! engine_ping "$ENGINE_SOCK"; then
    report "$H-engine" "NOT READY" "no answer to GET /_ping on $ENGINE_SOCK"
  else
    report "$H-engine" ready "$ENGINE_SOCK (dockerd pid $pid)"
  fi
}

# ---------------------------------------------------------------------------
# remote hosts: users, keys, sshd

ensure_users() {
  local u
  for u in "$DEV_USER" "$NODOCK_USER"; do
    if ! getent passwd "$u" >/dev/null; then
      log "users: creating $u"
      useradd --create-home --shell /bin/bash "$u"
    fi
    # sshd without PAM refuses accounts whose password is locked ("!", which
    # useradd sets); "*" means no password login yet an unlocked account.
    if [[ $(getent shadow "$u" | cut -d: -f2) == '!'* ]]; then usermod -p '*' "$u"; fi
  done
  getent group docker >/dev/null || groupadd --system docker
  if ! id -nG "$DEV_USER" | tr ' ' '\n' | grep -qx docker; then usermod -aG docker "$DEV_USER"; fi
  if id -nG "$NODOCK_USER" | tr ' ' '\n' | grep -qx docker; then gpasswd -d "$NODOCK_USER" docker >/dev/null; fi
}

# ensure_client_key FILE COMMENT: an ed25519 key pair for the client side.
ensure_client_key() {
  local key=$1
  if [[ ! -f $key ]]; then
    log "keys: generating $key"
    rm -f "$key.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$key"
  fi
  chmod 0600 "$key"
  [[ -f $key.pub ]] || ssh-keygen -y -f "$key" >"$key.pub"
}

# authorize USER PUBKEYFILE: add the key to the host's authorized_keys for
# USER. Keys from other checkouts on this machine stay authorized too, so two
# work trees (or a CI clone) do not lock each other out.
authorize() {
  local file=$AUTH_DIR/$1 key
  key=$(cut -d' ' -f1,2 "$2")
  touch "$file"
  grep -qF "$key" "$file" || cat "$2" >>"$file"
  chown root:root "$file"
  chmod 0644 "$file"
}

sshd_config() {
  cat <<EOF
# Generated by scripts/test-env.sh for $NS; rewritten by every \`up\`.
ListenAddress $NS_IP
Port 22
HostKey $HOSTKEY
PidFile $SSHD_PIDFILE
AuthorizedKeysFile $AUTH_DIR/%u
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
StrictModes yes
AllowStreamLocalForwarding yes
AllowTcpForwarding yes
StreamLocalBindUnlink yes
X11Forwarding no
PrintMotd no
MaxSessions 100
MaxStartups 100:30:200
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# sshd_problem PID: why a running sshd is not usable, or nothing.
sshd_problem() {
  local pid=$1
  if ! in_netns "$pid"; then echo "runs outside namespace $NS"; return; fi
  # Its private mount namespace must show this host's engine socket at
  # /var/run/docker.sock. A bind mount pins the socket inode it was made
  # with: when the engine restarts (new socket) or the local engine recreates
  # /var/run/docker.sock (which detaches the bind), logins would reach a dead
  # socket or the local engine.
  local seen want
  seen=$(nsenter --mount="/proc/$pid/ns/mnt" stat -L -c '%d:%i' /var/run/docker.sock 2>/dev/null || echo none)
  want=$(file_id "$ENGINE_SOCK" || echo missing)
  if [[ $seen != "$want" ]]; then echo "its /var/run/docker.sock is not $ENGINE_SOCK"; return; fi
  if ! ssh_banner "$NS_IP"; then echo "does not answer on $NS_IP:22"; return; fi
}

ensure_sshd() {
  local restart=
  mkdir -p "$DATA" "$RUN"
  if [[ ! -f $HOSTKEY ]]; then
    log "$NS: generating host key $HOSTKEY"
    rm -f "$HOSTKEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$NS" -f "$HOSTKEY"
  fi
  # StrictModes: the key directory and files root-owned, not group/world-writable.
  mkdir -p "$AUTH_DIR"
  chown root:root "$AUTH_DIR"
  chmod 0755 "$AUTH_DIR"
  authorize "$DEV_USER" "$CLIENT_KEY.pub"
  if [[ $H == r1 ]]; then
    authorize "$NODOCK_USER" "$NODOCK_KEY.pub"
  else
    rm -f "$AUTH_DIR/$NODOCK_USER"
  fi
  if sshd_config | write_if_changed "$SSHD_CFG" 0644; then restart="its configuration changed"; fi

  local pid problem
  if pid=$(live_pid "$SSHD_PIDFILE" sshd); then
    problem=${restart:-$(sshd_problem "$pid")}
    # Just after a link came back, give the connection a moment.
    if [[ $problem == "does not answer"* ]] && wait_until 3 ssh_banner "$NS_IP"; then problem=; fi
    [[ -z $problem ]] && return 0
    log "$NS: restarting sshd (pid $pid): $problem"
    stop_pid "$pid" 10
  fi
  rm -f "$SSHD_PIDFILE"
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
  # The bind mount needs a file to cover. The local engine is up by now, so
  # its socket is normally there; only if not, put an empty file in its place
  # (dockerd removes whatever is at that path when it starts).
  [[ -e /var/run/docker.sock ]] || : >/var/run/docker.sock
  /usr/sbin/sshd -t -f "$SSHD_CFG" || die "$NS: sshd rejects its configuration $SSHD_CFG"
  log "$NS: starting sshd on $NS_IP:22 (log: $SSHD_LOG)"
  # A private mount namespace, so the bind mount is seen by this sshd and its
  # logins only. sshd daemonizes itself inside it.
  # shellcheck disable=SC2016 # expanded by the inner sh
  spawn_detached "$SSHD_LOG" nsenter --net="$NETNS_FILE" \
    unshare -m --propagation private \
    sh -c 'mount --bind "$1" /var/run/docker.sock && exec /usr/sbin/sshd -f "$2" -E "$3"' \
    sh "$ENGINE_SOCK" "$SSHD_CFG" "$SSHD_LOG"
  wait_until 15 sshd_ready ||
    die "$NS: sshd did not come up on $NS_IP:22 within 15s; see $SSHD_LOG"
}

sshd_ready() {
  local pid
  pid=$(live_pid "$SSHD_PIDFILE" sshd) && [[ -z $(sshd_problem "$pid") ]]
}

status_sshd() {
  local pid problem
  if ! pid=$(live_pid "$SSHD_PIDFILE" sshd); then
    report "$H-sshd" "NOT READY" "no sshd behind $SSHD_PIDFILE"
  elif ! link_up; then
    # (connecting would only time out)
    report "$H-sshd" "NOT READY" "sshd pid $pid runs, unreachable while the link is down"
  elif problem=$(sshd_problem "$pid") && [[ -n $problem ]]; then
    report "$H-sshd" "NOT READY" "sshd pid $pid $problem"
  else
    report "$H-sshd" ready "$NS_IP:22 (sshd pid $pid), /var/run/docker.sock -> $ENGINE_SOCK"
  fi
}

# The login a test makes: user pksdev, generated key, strict known_hosts, and
# the docker CLI there talking to this host's engine. Prints one
# tab-separated status line (component, state, detail): these checks run
# concurrently, see all_status.
login_check() {
  host_vars "$1"
  local api
  if [[ ! -r $CLIENT_KEY || ! -r $KNOWN_HOSTS ]]; then
    printf '%s\t%s\t%s\n' "$H-login" "NOT READY" "no client key or known_hosts in $TE_DIR"
  elif api=$(ssh_to "$DEV_USER" "$CLIENT_KEY" "$NS_IP" "docker version --format '{{.Server.APIVersion}}'" 2>&1) &&
    [[ $api =~ ^[0-9]+\.[0-9]+$ ]]; then
    printf '%s\t%s\t%s\n' "$H-login" ready "ssh $DEV_USER@$NS_IP: docker API $api"
  else
    printf '%s\t%s\t%s\n' "$H-login" "NOT READY" "ssh $DEV_USER@$NS_IP docker version: ${api//[$'\t\n']/ }"
  fi
}

# pksnodock logs in on pks-r1 but must be refused by the Docker socket.
nodock_check() {
  host_vars r1
  local out
  if [[ ! -r $NODOCK_KEY || ! -r $KNOWN_HOSTS ]]; then
    printf '%s\t%s\t%s\n' nodock-login "NOT READY" "no $NODOCK_KEY or known_hosts"
  elif ! out=$(ssh_to "$NODOCK_USER" "$NODOCK_KEY" "$NS_IP" "docker version --format '{{.Server.APIVersion}}' 2>&1; true" 2>&1); then
    printf '%s\t%s\t%s\n' nodock-login "NOT READY" "ssh $NODOCK_USER@$NS_IP failed: ${out//[$'\t\n']/ }"
  elif [[ $out != *"permission denied"* ]]; then
    printf '%s\t%s\t%s\n' nodock-login "NOT READY" "$NODOCK_USER is not refused by the Docker socket: ${out//[$'\t\n']/ }"
  else
    printf '%s\t%s\t%s\n' nodock-login ready "ssh $NODOCK_USER@$NS_IP works, Docker socket refuses it"
  fi
}

# ---------------------------------------------------------------------------
# images (no registry reachable: built locally, cached under $CACHE)

build_busybox_tar() {
  log "images: building the busybox root file system"
  local dir applet
  dir=$(mktemp -d "$CACHE/busybox-rootfs.XXXXXX")
  chmod 0755 "$dir" # the image's / (mktemp makes it 0700)
  mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/usr/bin"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$dir/bin/$applet"
  done
  ln -sf /bin/busybox "$dir/usr/bin/env" # for `#!/usr/bin/env` scripts
  chmod 1777 "$dir/tmp"
  chmod 0700 "$dir/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  tar -C "$dir" --numeric-owner --owner=0 --group=0 -cf "$BUSYBOX_TAR.tmp" .
  mv -f "$BUSYBOX_TAR.tmp" "$BUSYBOX_TAR"
  rm -rf "$dir"
}

# The Debian archive apt uses here, for the bookworm suite: deb822 sources
# first, then one-line sources. Read at run time; never written anywhere.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    uri=$(awk '
      function flush() {
        if (enabled != "no" && types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && uris != "" && found == "") {
          split(uris, u, " "); found = u[1]
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0; else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0; else if (key == "enabled") enabled = tolower($0) }
      END { flush(); if (found != "") print found }
    ' "$f")
    if [[ $uri == http://* || $uri == https://* || $uri == file:/* ]]; then
      echo "$uri"
      return 0
    fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    uri=$(awk '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
        if ($(i + 1) == "bookworm") { print $i; exit } }' "$f")
    if [[ $uri == http://* || $uri == https://* || $uri == file:/* ]]; then
      echo "$uri"
      return 0
    fi
  done
  return 1
}

# mask TEXT REPLACEMENT: copy stdin to stdout with every TEXT replaced
# (literally, not as a pattern).
mask() {
  awk -v t="$1" -v r="$2" '{
    out = ""; while ((i = index($0, t)) > 0) { out = out substr($0, 1, i - 1) r; $0 = substr($0, i + length(t)) }
    print out $0 }'
}

# unmount_below DIR: lazily unmount DIR and everything mounted below it.
unmount_below() {
  local dir=$1 m
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
}

# remove_tree DIR: unmount what is left mounted below DIR (debootstrap mounts
# /proc and /sys in its target; a killed run leaves them), then remove DIR
# without ever crossing into another file system.
remove_tree() {
  [[ -e $1 ]] || return 0
  unmount_below "$1"
  rm -rf --one-file-system "$1"
}

build_debian_tar() {
  local mirror host dir proxy=
  mirror=$(debian_mirror) || die "images: no Debian archive for bookworm found in /etc/apt/sources.list{,.d} (needed by debootstrap)"
  host=${mirror#*://}
  host=${host%%/*}
  host=${host##*@}
  host=${host%%:*}
  # apt may reach the archive through a proxy; debootstrap (wget) must too.
  eval "$(apt-config shell proxy Acquire::http::Proxy)"
  dir=$CACHE/debian-bookworm-rootfs.build
  remove_tree "$dir"
  log "images: debootstrap bookworm (minbase + git, ca-certificates) from apt's archive; ~1 min (log: $LOGS/debootstrap.log)"
  # The log names the archive by "<apt's mirror>": its address is never
  # written to any file by this script.
  if ! env ${proxy:+http_proxy=$proxy} debootstrap --variant=minbase --include=git,ca-certificates \
    bookworm "$dir" "$mirror" 2>&1 | mask "${host:-$mirror}" "<apt's mirror>" >"$LOGS/debootstrap.log"; then
    tail -n 20 "$LOGS/debootstrap.log" >&2 || true
    remove_tree "$dir"
    die "images: debootstrap failed; see $LOGS/debootstrap.log"
  fi
  # Containers here have no network: drop the archive's address (sources,
  # downloaded lists) and the package cache from the image.
  : >"$dir/etc/apt/sources.list"
  rm -f "$dir/var/log/bootstrap.log"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin
  mkdir -p "$dir/var/lib/apt/lists/partial"
  log "images: packing the Debian root file system into $DEBIAN_TAR"
  tar -C "$dir" --numeric-owner -cf "$DEBIAN_TAR.tmp" .
  mv -f "$DEBIAN_TAR.tmp" "$DEBIAN_TAR"
  remove_tree "$dir"
}

# ensure_local_image REF CACHE_TAR BUILD_FN CMD_JSON
ensure_local_image() {
  local ref=$1 tar=$2 build=$3 cmd=$4
  [[ -n $(image_id "$LOCAL_SOCK" "$ref") ]] && return 0
  [[ -s $tar ]] || "$build"
  log "images: importing $ref into the local engine"
  dk "$LOCAL_SOCK" import -c "CMD $cmd" - "$ref" <"$tar" >/dev/null
}

# copy_images SOCKET: make the engine hold the same images as the local one.
copy_images() {
  local sock=$1 ref want have replaced=()
  for ref in "$IMAGE_BUSYBOX" "$IMAGE_DEBIAN"; do
    want=$(image_id "$LOCAL_SOCK" "$ref")
    have=$(image_id "$sock" "$ref")
    if [[ $have != "$want" ]]; then
      log "images: loading $ref into $sock"
      dk "$LOCAL_SOCK" save "$ref" | dk "$sock" load -q >/dev/null
      [[ -n $have ]] && replaced+=("$have")
    fi
  done
  want=$(image_id "$sock" "$IMAGE_DEBIAN")
  if [[ $(image_id "$sock" "$IMAGE_DEBIAN_ALIAS") != "$want" ]]; then
    dk "$sock" tag "$IMAGE_DEBIAN" "$IMAGE_DEBIAN_ALIAS"
  fi
  # The remote engines belong to the test environment: drop the versions just
  # replaced (~200 MB each), unless something still uses or names them. The
  # local engine is shared: nothing is ever removed there.
  if [[ $sock != "$LOCAL_SOCK" ]]; then
    for have in "${replaced[@]}"; do
      dk "$sock" rmi "$have" >/dev/null 2>&1 || true
    done
  fi
}

ensure_images() {
  mkdir -p "$CACHE"
  ensure_local_image "$IMAGE_BUSYBOX" "$BUSYBOX_TAR" build_busybox_tar '["/bin/sh"]'
  ensure_local_image "$IMAGE_DEBIAN" "$DEBIAN_TAR" build_debian_tar '["/bin/bash"]'
  copy_images "$LOCAL_SOCK"
  # Every remote engine at once: loading is mostly waiting on each engine.
  local pids=() h pid rc=0
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    copy_images "$ENGINE_SOCK" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  ((rc == 0)) || die "images: loading the images into a remote engine failed (see above)"
}

# status_images NAME SOCKET
status_images() {
  local name=$1 sock=$2 ref id missing=() want
  for ref in "$IMAGE_BUSYBOX" "$IMAGE_DEBIAN" "$IMAGE_DEBIAN_ALIAS"; do
    id=$(image_id "$sock" "$ref")
    if [[ -z $id ]]; then missing+=("$ref"); fi
  done
  want=$(image_id "$sock" "$IMAGE_DEBIAN")
  if ((${#missing[@]} > 0)); then
    report "$name" "NOT READY" "missing: ${missing[*]}"
  elif [[ $(image_id "$sock" "$IMAGE_DEBIAN_ALIAS") != "$want" ]]; then
    report "$name" "NOT READY" "$IMAGE_DEBIAN_ALIAS is not $IMAGE_DEBIAN"
  else
    report "$name" ready "$IMAGE_BUSYBOX $IMAGE_DEBIAN $IMAGE_DEBIAN_ALIAS"
  fi
}

# ---------------------------------------------------------------------------
# registry (Debian's docker-registry, distribution 2.8)

registry_config() {
  cat <<EOF
# Generated by scripts/test-env.sh; rewritten by every \`up\`.
version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

ensure_registry() {
  local restart='' pid
  mkdir -p "$REGISTRY_DIR/data" "$RUNSTATE"
  # The package's own /etc/docker/registry/config.yml listens on all
  # addresses and asks for htpasswd auth: use a config of our own.
  if registry_config | write_if_changed "$REGISTRY_CFG" 0644; then restart="its configuration changed"; fi
  if pid=$(live_pid "$REGISTRY_PIDFILE" docker-registry); then
    if [[ -z $restart ]] && { registry_ping || wait_until 10 registry_ping; }; then return 0; fi
    log "registry: restarting (pid $pid): ${restart:-no answer on $REGISTRY}"
    stop_pid "$pid" 10
  elif registry_ping; then
    log "registry: something not started by this script answers on $REGISTRY; using it"
    return 0
  fi
  rm -f "$REGISTRY_PIDFILE"
  log "registry: starting on $REGISTRY (log: $REGISTRY_LOG)"
  # shellcheck disable=SC2016 # expanded by the inner sh
  spawn_detached "$REGISTRY_LOG" sh -c 'echo $$ >"$1" && exec docker-registry serve "$2"' sh "$REGISTRY_PIDFILE" "$REGISTRY_CFG"
  wait_until 15 registry_ping || die "registry: no answer on http://$REGISTRY/v2/ within 15s; see $REGISTRY_LOG"
}

registry_has() { # REPO: the registry lists tag REPO's tag
  curl -fsS --max-time 2 "http://$REGISTRY/v2/${1%:*}/tags/list" 2>/dev/null | grep -qF "\"${1##*:}\""
}

ensure_registry_images() {
  local ref
  for ref in "$IMAGE_BUSYBOX" "$IMAGE_DEBIAN"; do
    registry_has "$ref" && continue
    log "registry: pushing $REGISTRY/$ref"
    dk "$LOCAL_SOCK" tag "$ref" "$REGISTRY/$ref"
    dk "$LOCAL_SOCK" push -q "$REGISTRY/$ref" >/dev/null
  done
}

status_registry() {
  local pid who="started elsewhere" missing=() ref
  pid=$(live_pid "$REGISTRY_PIDFILE" docker-registry || true)
  [[ -n $pid ]] && who="pid $pid"
  if ! registry_ping; then
    report registry "NOT READY" "no answer on http://$REGISTRY/v2/"
    return
  fi
  for ref in "$IMAGE_BUSYBOX" "$IMAGE_DEBIAN"; do
    registry_has "$ref" || missing+=("$REGISTRY/$ref")
  done
  if ((${#missing[@]} > 0)); then
    report registry "NOT READY" "$REGISTRY ($who) lacks ${missing[*]}"
  else
    report registry ready "$REGISTRY ($who): pks-test/busybox:latest pks-test/debian:bookworm"
  fi
}

# ---------------------------------------------------------------------------
# .test-env/: keys, known_hosts, env

ensure_client_files() {
  mkdir -p "$TE_DIR"
  chmod 0700 "$TE_DIR"
  local h
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    ensure_client_key "$CLIENT_KEY" "pks-test $DEV_USER@$NS ($REPO_ROOT)"
  done
  ensure_client_key "$NODOCK_KEY" "pks-test $NODOCK_USER@pks-r1 ($REPO_ROOT)"
}

known_hosts_content() {
  local h
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    # port 22: plain address, no [addr]:port brackets; not hashed
    echo "$NS_IP $(cut -d' ' -f1,2 "$HOSTKEY.pub")"
  done
}

# env_line KEY VALUE: KEY=value, quoted only when the value needs it.
env_line() {
  if [[ $2 =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]]; then
    printf '%s=%s\n' "$1" "$2"
  else
    printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
  fi
}

env_content() {
  local h up
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    up=PKS_TEST_${H^^}
    env_line "${up}_HOST" "$NS_IP"
    env_line "${up}_PORT" 22
    env_line "${up}_USER" "$DEV_USER"
    env_line "${up}_KEY" "$CLIENT_KEY"
    env_line "${up}_DOCKER_SOCKET" /var/run/docker.sock
    env_line "${up}_ENGINE_SOCKET" "$ENGINE_SOCK"
    env_line "${up}_ENGINE_PIDFILE" "$ENGINE_PIDFILE"
    env_line "${up}_NETNS" "$NS"
    env_line "${up}_LINK" "$LINK_H"
    env_line "${up}_SSHD_PIDFILE" "$SSHD_PIDFILE"
    env_line "${up}_SSHD_LOG" "$SSHD_LOG"
  done
  host_vars r1 # pksnodock is authorized on pks-r1 only
  env_line PKS_TEST_NODOCK_HOST "$NS_IP"
  env_line PKS_TEST_NODOCK_USER "$NODOCK_USER"
  env_line PKS_TEST_NODOCK_KEY "$NODOCK_KEY"
  env_line PKS_TEST_KNOWN_HOSTS "$KNOWN_HOSTS"
  env_line PKS_TEST_REGISTRY "$REGISTRY"
  env_line PKS_TEST_LOCAL_SOCKET "$LOCAL_SOCK"
  env_line PKS_TEST_IMAGE_BUSYBOX "$IMAGE_BUSYBOX"
  env_line PKS_TEST_IMAGE_DEBIAN "$IMAGE_DEBIAN"
  env_line PKS_TEST_IMAGE_DEBIAN_ALIAS "$IMAGE_DEBIAN_ALIAS"
}

write_client_files() {
  known_hosts_content | write_if_changed "$KNOWN_HOSTS" 0644 || true
  env_content | write_if_changed "$ENV_FILE" 0644 || true
  # A checkout owned by a developer account: let it read its own files.
  local owner
  owner=$(stat -c %u:%g "$REPO_ROOT")
  [[ $owner == 0:0 ]] || chown -R "$owner" "$TE_DIR"
}

status_client_files() {
  local f h problems=()
  for f in "$ENV_FILE" "$KNOWN_HOSTS" "$NODOCK_KEY"; do
    [[ -r $f ]] || problems+=("missing $f")
  done
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    if [[ ! -r $CLIENT_KEY.pub ]]; then
      problems+=("missing $CLIENT_KEY")
    elif ! grep -qF "$(cut -d' ' -f1,2 "$CLIENT_KEY.pub")" "$AUTH_DIR/$DEV_USER" 2>/dev/null; then
      problems+=("$CLIENT_KEY not authorized on $NS")
    fi
  done
  if ((${#problems[@]} == 0)); then
    cmp -s <(env_content) "$ENV_FILE" || problems+=("$ENV_FILE is outdated")
    cmp -s <(known_hosts_content 2>/dev/null) "$KNOWN_HOSTS" || problems+=("$KNOWN_HOSTS is outdated")
  fi
  if ((${#problems[@]} == 0)); then
    report client-files ready "$TE_DIR (env, known_hosts, keys)"
  else
    local IFS=';'
    report client-files "NOT READY" "${problems[*]}"
  fi
}

# ---------------------------------------------------------------------------
# status

NOT_READY=()
report() { # COMPONENT STATE DETAIL
  printf '%-14s %-9s %s\n' "$1" "$2" "$3"
  [[ $2 == ready ]] || NOT_READY+=("$1")
}

# all_status: one line per component on stdout; sets NOT_READY.
all_status() {
  local h
  NOT_READY=()
  status_packages
  status_local_engine
  if guard_route_ok; then
    report guard-route ready "unreachable $GUARD_ROUTE (no packet to a cut-off host leaves the machine)"
  else
    report guard-route "NOT READY" "no unreachable route for $GUARD_ROUTE"
  fi
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    if netns_usable; then report "$H-netns" ready "$NS"; else report "$H-netns" "NOT READY" "no usable $NETNS_FILE"; fi
    if link_up; then
      report "$H-link" ready "$LINK_H $HOST_IP/30 <-> $LINK_N $NS_IP/30"
    else
      report "$H-link" "NOT READY" "$LINK_H <-> $LINK_N missing, down or without its addresses"
    fi
    status_remote_engine
    status_sshd
  done
  status_registry
  status_images images-local "$LOCAL_SOCK"
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    status_images "images-$H" "$ENGINE_SOCK"
  done
  status_client_files
  # The end-to-end check, only when its pieces are there (it would only time
  # out otherwise).
  if ((${#NOT_READY[@]} == 0)); then
    # All logins at once (each takes ~0.2 s), read back in order.
    local fd fds=() name state detail
    for h in "${HOSTS[@]}"; do
      exec {fd}< <(login_check "$h")
      fds+=("$fd")
    done
    exec {fd}< <(nodock_check)
    fds+=("$fd")
    for fd in "${fds[@]}"; do
      if IFS=$'\t' read -r name state detail <&"$fd"; then
        report "$name" "$state" "$detail"
      else
        report login-check "NOT READY" "a login check printed nothing"
      fi
      exec {fd}<&-
    done
  fi
}

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

# stop_netns_processes: whatever still runs inside the namespace (ssh
# sessions, a dockerd's containerd and shims) is ours; end it before removing
# the namespace so nothing keeps an orphaned copy of it alive.
stop_netns_processes() {
  [[ -e $NETNS_FILE ]] || return 0
  local pids
  pids=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
  [[ -n ${pids// /} ]] || return 0
  log "$NS: stopping remaining processes in the namespace: $pids"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  wait_until 10 netns_empty || {
    pids=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
    # shellcheck disable=SC2086
    [[ -z ${pids// /} ]] || kill -KILL $pids 2>/dev/null || true
    wait_until 5 netns_empty || true
  }
}
netns_empty() { [[ -z $(ip netns pids "$NS" 2>/dev/null) ]]; }

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
    if pid=$(live_pid "$ENGINE_PIDFILE" dockerd); then
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
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: scripts/test-env.sh up|down|status" >&2
    exit 2
    ;;
esac
