# shellcheck shell=bash
# scripts/test-env/status.sh: the per-component report behind `status` and `up`'s self-check.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

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
