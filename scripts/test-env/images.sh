# shellcheck shell=bash
# scripts/test-env/images.sh: the test images, built without any registry.
# Sourced by scripts/test-env.sh, which defines the layout (names, paths,
# addresses) used here; see the header there.

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
  log "images: debootstrap bookworm (minbase + $DEBIAN_PACKAGES) from apt's archive; ~1 min (log: $LOGS/debootstrap.log)"
  # The log names the archive by "<apt's mirror>": its address is never
  # written to any file by this script.
  if ! env ${proxy:+http_proxy=$proxy} debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" \
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
  echo "$DEBIAN_PACKAGES" >"$DEBIAN_TAR.packages"
  remove_tree "$dir"
}

# image_comment SOCKET REF: the comment the image was imported with.
image_comment() {
  local json
  json=$(curl -fsS --max-time 5 --unix-socket "$1" "http://localhost/images/$2/json" 2>/dev/null) || return 0
  [[ $json =~ \"Comment\":\"([^\"]*)\" ]] && echo "${BASH_REMATCH[1]}"
  return 0
}

# ensure_local_image REF CACHE_TAR BUILD_FN CMD_JSON [COMMENT]
# With COMMENT (what the image holds), an image or cached tar made from
# another recipe is built again.
ensure_local_image() {
  local ref=$1 tar=$2 build=$3 cmd=$4 comment=${5:-}
  if [[ -n $(image_id "$LOCAL_SOCK" "$ref") ]]; then
    [[ -z $comment || $(image_comment "$LOCAL_SOCK" "$ref") == "$comment" ]] && return 0
    log "images: $ref is not \"$comment\": building it again"
  fi
  if [[ -n $comment && -s $tar && $(cat "$tar.packages" 2>/dev/null) != "${comment##*: }" ]]; then rm -f "$tar"; fi
  [[ -s $tar ]] || "$build"
  log "images: importing $ref into the local engine"
  dk "$LOCAL_SOCK" import ${comment:+-m "$comment"} -c "CMD $cmd" - "$ref" <"$tar" >/dev/null
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
  ensure_local_image "$IMAGE_DEBIAN" "$DEBIAN_TAR" build_debian_tar '["/bin/bash"]' "pks-test debian: $DEBIAN_PACKAGES"
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
  elif [[ $(image_comment "$sock" "$IMAGE_DEBIAN") != "pks-test debian: $DEBIAN_PACKAGES" ]]; then
    report "$name" "NOT READY" "$IMAGE_DEBIAN lacks some of $DEBIAN_PACKAGES"
  elif [[ $(image_id "$sock" "$IMAGE_DEBIAN_ALIAS") != "$want" ]]; then
    report "$name" "NOT READY" "$IMAGE_DEBIAN_ALIAS is not $IMAGE_DEBIAN"
  else
    report "$name" ready "$IMAGE_BUSYBOX $IMAGE_DEBIAN $IMAGE_DEBIAN_ALIAS"
  fi
}
