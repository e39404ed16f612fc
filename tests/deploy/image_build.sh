#!/usr/bin/env bash
# image_build.sh BUILD_DIR - build the runtime image offline with buildah and
# prove it holds everything the binaries load: deploy/docker/buildah.sh builds
# it FROM scratch (vfs storage in a private root under a temp dir, chroot
# isolation, nothing left on the machine); its config (user, entrypoint,
# ports, labels) is checked as buildah inspect shows it and as an OCI layout
# exported with `buildah push` holds it; then a container of the committed
# image is mounted and stage-frontend and stage-worker --check-config (the
# base ConfigMap's stage.yaml) and all three --version run from its root
# filesystem (chroot) as the image's non-root uid. Last, the same check must
# fail once a library is deleted from that filesystem.
# Without a working buildah, the same root filesystem (deploy/docker/rootfs.sh)
# is checked the same way, and the output says loudly what was skipped and why.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
# shellcheck source=../../deploy/docker/image.conf
. "$root/deploy/docker/image.conf"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED image build: chroot --userspec needs root (run as root, as CI does)"
  exit 0
fi
if ! command -v buildah >/dev/null; then
  echo "image build: installing buildah"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends buildah >/dev/null 2>&1 || true
fi

tmp=$(mktemp -d)
storage=(--root "$tmp/root" --runroot "$tmp/run" --storage-driver vfs)
# buildah run as root writes containers/image's blob-info cache to
# /var/lib/containers/cache whatever --root says: remove what this run made.
made_cache=()
for p in /var/lib/containers /var/lib/containers/cache /var/lib/containers/cache/blob-info-cache-v1.boltdb; do
  [ -e "$p" ] || made_cache=("$p" "${made_cache[@]}") # deepest first
done
bh() { timeout 120 buildah "${storage[@]}" "$@"; }
export BUILDAH_ISOLATION=chroot
ctrs=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if command -v buildah >/dev/null && [ -d "$tmp/root" ]; then
    for c in "${ctrs[@]}"; do bh umount "$c" >/dev/null 2>&1 || true; bh rm "$c" >/dev/null 2>&1 || true; done
    bh rmi --all --force >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  for p in "${made_cache[@]}"; do
    if [ -d "$p" ]; then rmdir "$p" 2>/dev/null || true; else rm -f "$p"; fi
  done
}
trap cleanup EXIT

# The base ConfigMap's stage.yaml (the block under `stage.yaml: |`).
conf=$(sed -n '/^  stage.yaml: |$/,$p' "$root/deploy/k8s/base/configmap.yaml" | tail -n +2 | sed 's/^    //')
[ -n "$conf" ] || { echo "FAIL image build: no stage.yaml in deploy/k8s/base/configmap.yaml"; exit 1; }
key=$(head -c 32 /dev/urandom | base64)

# As the image's user, in the root filesystem $1: prints the problems.
in_image() { # ROOTFS CMD...
  local fs=$1
  shift
  timeout 20 env -i PATH="$IMAGE_BINDIR:/usr/bin" STAGE_MASTER_KEY="$key" \
    "$(command -v chroot)" --userspec="$IMAGE_UID:$IMAGE_UID" "$fs" "$@" 2>&1
}
check_rootfs() { # ROOTFS WHAT
  local fs=$1 what=$2 b out
  printf '%s\n' "$conf" >"$fs/tmp/stage.yaml"
  for b in $IMAGE_BINARIES; do
    b=$IMAGE_BINDIR/$(basename "$b")
    if out=$(in_image "$fs" "$b" --version); then
      echo "ok   $what: $out (uid $IMAGE_UID)"
    else
      fail "$what: $b --version: $out"
    fi
  done
  for b in stage-frontend stage-worker; do
    if out=$(in_image "$fs" "$IMAGE_BINDIR/$b" --check-config --config /tmp/stage.yaml); then
      echo "ok   $what: $b --check-config: $out"
    else
      fail "$what: $b --check-config: $out"
    fi
  done
  rm -f "$fs/tmp/stage.yaml"
}
# The check must fail without one of the libraries (libhiredis: both stage
# processes load it; else the last one listed).
check_missing_lib() { # ROOTFS WHAT
  local fs=$1 what=$2 lib out
  lib=$("$root/deploy/docker/rootfs.sh" --list "$build" | awk '$3 ~ /libhiredis/ {print $3}' | head -1)
  [ -n "$lib" ] || lib=$("$root/deploy/docker/rootfs.sh" --list "$build" | awk '$3 ~ /\.so/ {l = $3} END {print l}')
  rm -f "$fs$lib" "$fs/usr$lib"
  printf '%s\n' "$conf" >"$fs/tmp/stage.yaml"
  if out=$(in_image "$fs" "$IMAGE_BINDIR/stage-worker" --check-config --config /tmp/stage.yaml); then
    fail "$what: stage-worker --check-config passed without $lib"
  elif echo "$out" | grep -q "error while loading shared libraries: $(basename "$lib")"; then
    echo "ok   $what: without $(basename "$lib") the check fails: $out"
  else
    fail "$what: without $lib, stage-worker failed for another reason: $out"
  fi
}
contents() { # ROOTFS: what the image holds
  local fs=$1
  echo "     image contents ($(du -sh --apparent-size "$fs" | cut -f1), $(find "$fs" -type f | wc -l) files):"
  (cd "$fs" && find . -mindepth 1 \( -type f -o -type l \) ! -name '*.so*' -printf '%P\n' | sort |
    sed 's/^/       /')
  local d
  for d in $(cd "$fs" && find . -name '*.so*' -printf '%h\n' | sort -u); do
    echo "       ${d#.}/:"
    (cd "$fs/$d" && find . -maxdepth 1 -name '*.so*' -printf '%P\n' | sort | tr '\n' ' ' |
      fold -s -w 110 | sed 's/^/         /')
    echo
  done
}

why=""
if ! command -v buildah >/dev/null; then
  why="buildah is not installed and apt-get install buildah failed"
elif ! out=$(bh from --quiet scratch 2>&1); then
  why="'buildah --storage-driver vfs from scratch' fails here: $out"
else
  bh rm "$out" >/dev/null 2>&1 || true
fi

if [ -z "$why" ]; then
  image=localhost/stage:image-test
  start=$SECONDS
  if ! out=$(BUILDAH_FLAGS="${storage[*]}" timeout 150 "$root/deploy/docker/buildah.sh" "$build" "$image" 2>&1); then
    fail "image build: deploy/docker/buildah.sh: $out"
    exit 1
  fi
  id=$(echo "$out" | tail -1)
  size=$(bh images --format '{{.Size}}' "$image")
  echo "ok   image build: buildah (vfs, FROM scratch) built $image ${id:0:12} ($size) in $((SECONDS - start)) s"
  # The config, as buildah shows it and as an OCI image layout holds it.
  bh push --quiet "$image" "oci:$tmp/oci:stage" >/dev/null
  if ! out=$(bh inspect --type image "$image" | python3 "$here/image_config.py" "$IMAGE_UID:$IMAGE_UID" "$IMAGE_ENTRYPOINT" "${IMAGE_PORTS// /\/tcp }/tcp" "$tmp/oci" 2>&1); then
    fail "image build: image config: $out"
  else
    echo "ok   image build: config (inspect and exported OCI layout): $out"
  fi
  # A container of the committed image (not the working container it came from).
  ctr=$(bh from --pull-never --quiet "$image")
  ctrs+=("$ctr")
  fs=$(bh mount "$ctr")
  home=$(stat -c '%u %a' "$fs$IMAGE_HOME")
  [ "$home" = "$IMAGE_UID 750" ] || fail "image build: $IMAGE_HOME is '$home' (uid mode), want '$IMAGE_UID 750'"
  check_rootfs "$fs" "image"
  contents "$fs"
  check_missing_lib "$fs" "image"
else
  echo "SKIPPED ******************************************************************"
  echo "SKIPPED image build WITHOUT buildah: $why"
  echo "SKIPPED the image itself is not built; checking deploy/docker/rootfs.sh's tree instead"
  echo "SKIPPED ******************************************************************"
  "$root/deploy/docker/rootfs.sh" "$build" "$tmp/rootfs"
  check_rootfs "$tmp/rootfs" "rootfs"
  contents "$tmp/rootfs"
  check_missing_lib "$tmp/rootfs" "rootfs"
fi

[ $fails -eq 0 ] && echo "image build: ok" || echo "image build: $fails problem(s)"
exit $((fails > 0))
