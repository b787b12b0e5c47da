# shellcheck shell=bash
# scripts/test-env/common.sh: helpers shared by every component.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

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
  # From /: a daemon keeps its working folder, and the checkout that started
  # it may go away (the rootless Podman service's conmon then fails every
  # container start with "Failed to get working directory").
  # `exec`: $! stays the daemon's pid.
  setsid nohup sh -c 'cd / && exec "$@"' sh "$@" </dev/null >>"$logfile" 2>&1 9>&- &
}

engine_ping() { curl -fsS --max-time 1 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1; }

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
