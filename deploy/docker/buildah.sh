#!/usr/bin/env bash
# buildah.sh BUILD_DIR [IMAGE] - build the runtime image from an existing build
# tree with buildah, offline: FROM scratch, the root filesystem of rootfs.sh
# (the binaries and the libraries ldd lists), the user, entrypoint, ports and
# labels of image.conf. No base image, no registry, no daemon, no `buildah
# run` (no namespaces needed: it works in an unprivileged container too).
# IMAGE defaults to localhost/stage:<version>. Then, e.g.:
#   buildah push localhost/stage:0.1.0 docker://registry.example.com/stage:0.1.0
# Storage: buildah's defaults, or what BUILDAH_FLAGS says, e.g.
#   BUILDAH_FLAGS="--root /tmp/b/root --runroot /tmp/b/run --storage-driver vfs"
# (the test, tests/deploy/image_build.sh, uses a private root like this).
# The image runs on the build machine's distribution (Debian 12 here): the
# libraries are copied from it, so build on what you would run.
# Prints the image ID on the last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=image.conf
. "$here/image.conf"
build=$(cd "${1:?usage: buildah.sh BUILD_DIR [IMAGE]}" && pwd)
read -ra flags <<<"${BUILDAH_FLAGS:-}"
bh() { buildah "${flags[@]}" "$@"; }
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}

version=$("$build/frontend/stage-frontend" --version) # "stage-frontend 0.1.0 (commit abc)"
ver=$(echo "$version" | awk '{print $2}')
commit=$(echo "$version" | sed -n 's/.*(commit \(.*\))$/\1/p')
image=${2:-localhost/stage:$ver}

work=$(mktemp -d)
ctr=""
cleanup() {
  [ -z "$ctr" ] || bh rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$here/rootfs.sh" "$build" "$work/rootfs"

ctr=$(bh from --quiet scratch)
# The tree (modes, links) owned by root, but the user's home directory.
bh copy --quiet "$ctr" "$work/rootfs/" / >/dev/null
# (copy puts a directory's contents: copy the parent of a home of its own)
mkdir -p "$work/home/$(basename "$IMAGE_HOME")"
chmod 0750 "$work/home/$(basename "$IMAGE_HOME")"
bh copy --quiet --chown "$IMAGE_UID:$IMAGE_UID" "$ctr" "$work/home" "$(dirname "$IMAGE_HOME")" >/dev/null
ports=()
for p in $IMAGE_PORTS; do ports+=(--port "$p/tcp"); done
bh config \
  --user "$IMAGE_UID:$IMAGE_UID" \
  --entrypoint "[\"$IMAGE_ENTRYPOINT\"]" --cmd '' \
  --workingdir "$IMAGE_HOME" \
  --env PATH="$IMAGE_BINDIR:/usr/bin" \
  "${ports[@]}" \
  --label org.opencontainers.image.title=stage \
  --label org.opencontainers.image.description="stage-frontend, stage-worker and stagectl" \
  --label org.opencontainers.image.version="$ver" \
  --label org.opencontainers.image.revision="$commit" \
  --label org.opencontainers.image.source="$(git -C "$root" config --get remote.origin.url 2>/dev/null || echo unknown)" \
  "$ctr"
bh commit --quiet --format oci --rm "$ctr" "$image"
ctr=""
