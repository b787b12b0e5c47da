# shellcheck shell=bash
# scripts/test-env/client-files.sh: .test-env/ in the checkout: client keys, known_hosts, env.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

# ---------------------------------------------------------------------------
# .test-env/: keys, known_hosts, env

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
ensure_client_files() {
  mkdir -p "$TE_DIR"
  chmod 0700 "$TE_DIR"
  local h
  for h in "${HOSTS[@]}"; do
    host_vars "$h"
    ensure_client_key "$CLIENT_KEY" "pks-test $LOGIN_USER@$NS ($REPO_ROOT)"
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
    env_line "${up}_USER" "$LOGIN_USER"
    env_line "${up}_KEY" "$CLIENT_KEY"
    env_line "${up}_DOCKER_SOCKET" "$LOGIN_DOCKER_SOCK"
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
    elif ! grep -qF "$(cut -d' ' -f1,2 "$CLIENT_KEY.pub")" "$AUTH_DIR/$LOGIN_USER" 2>/dev/null; then
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
