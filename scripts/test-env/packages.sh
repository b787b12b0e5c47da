# shellcheck shell=bash
# scripts/test-env/packages.sh: the Debian packages the environment needs.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

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
