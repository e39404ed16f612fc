#!/usr/bin/env bash
# rootfs.sh BUILD_DIR DEST - assemble the runtime image's root filesystem in
# DEST (a new or empty directory) from a build tree: the binaries of
# image.conf, every shared library they load as `ldd` lists them (with the
# loader), a passwd/group naming the non-root user, its home, /tmp and the CA
# certificates (S3/GCS/Azure over HTTPS). No package manager and no shell: the
# image holds what the binaries load and nothing else. deploy/docker/buildah.sh
# makes an image of it; tests/deploy/image_build.sh runs the binaries from it.
#   rootfs.sh --list BUILD_DIR   print the files it would copy (SOURCE -> PATH)
# Run as root to give the home directory to the user (otherwise it stays yours).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=image.conf
. "$here/image.conf"

list=0
if [ "${1:-}" = "--list" ]; then list=1; shift; fi
build=${1:?usage: rootfs.sh [--list] BUILD_DIR [DEST]}
dest=${2:-}
[ $list -eq 1 ] || [ -n "$dest" ] || { echo "usage: rootfs.sh BUILD_DIR DEST" >&2; exit 2; }

# "SOURCE PATH" lines: the binaries, then each library once, by the path the
# loader finds it at (ldd's right-hand side; the loader by its own path).
files() {
  local b name arrow path
  for b in $IMAGE_BINARIES; do
    [ -x "$build/$b" ] || { echo "rootfs: $build/$b is not built" >&2; return 1; }
    echo "$build/$b $IMAGE_BINDIR/$(basename "$b")"
  done
  for b in $IMAGE_BINARIES; do
    while read -r name arrow path _; do
      if [ "$arrow" != "=>" ]; then
        case $name in /*) path=$name ;; *) continue ;; esac # linux-vdso has no file
      fi
      if [ "$path" = "not" ]; then
        echo "rootfs: $b: $name not found (ldd)" >&2
        return 1
      fi
      echo "$(readlink -f "$path") $path"
    done < <(ldd "$build/$b")
  done | sort -u -k2,2
}

if [ $list -eq 1 ]; then
  files | awk '{print $1 " -> " $2}'
  exit 0
fi

mapfile -t entries < <(files)
[ ${#entries[@]} -gt 0 ] || exit 1
mkdir -p "$dest"
# Debian 12's merged /usr: /lib, /lib64, /bin are links into /usr, as on the
# host, so the loader's path in the binaries (/lib64/ld-linux-x86-64.so.2)
# and ldd's (/lib/x86_64-linux-gnu/...) both resolve.
mkdir -p "$dest/usr/lib" "$dest/usr/lib64" "$dest/usr/bin" "$dest/etc" "$dest/tmp" "$dest$IMAGE_BINDIR"
for d in lib lib64 bin; do
  [ -e "$dest/$d" ] || ln -s "usr/$d" "$dest/$d"
done
chmod 1777 "$dest/tmp"
for e in "${entries[@]}"; do
  src=${e%% *} path=${e#* }
  case $path in /lib/* | /lib64/* | /bin/*) path=/usr$path ;; esac
  mkdir -p "$dest$(dirname "$path")"
  cp -L "$src" "$dest$path"
done
cat >"$dest/etc/passwd" <<PW
root:x:0:0:root:/root:/usr/sbin/nologin
$IMAGE_USER:x:$IMAGE_UID:$IMAGE_UID:stage:$IMAGE_HOME:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PW
cat >"$dest/etc/group" <<GR
root:x:0:
$IMAGE_USER:x:$IMAGE_UID:
nogroup:x:65534:
GR
# Name resolution (glibc 2.36 has files and dns built in).
echo "hosts: files dns" >"$dest/etc/nsswitch.conf"
ca=/etc/ssl/certs/ca-certificates.crt
if [ -f "$ca" ]; then
  mkdir -p "$dest/etc/ssl/certs"
  cp -L "$ca" "$dest$ca"
else
  echo "rootfs: no $ca on this machine (apt-get install ca-certificates): HTTPS storage would fail" >&2
  exit 1
fi
mkdir -p "$dest$IMAGE_HOME"
if [ "$(id -u)" -eq 0 ]; then chown "$IMAGE_UID:$IMAGE_UID" "$dest$IMAGE_HOME"; fi
