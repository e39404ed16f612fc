#!/usr/bin/env bash
# install-deps.sh - install what the build, the service and the tests need, only if missing.
# Debian 12. Used by deploy/local/run.sh and tests/run.sh; safe to run again.
#   --runtime   only what building and running the service needs (no test tools)
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config libgrpc-dev protobuf-c-compiler libprotobuf-c-dev
  protobuf-compiler libhiredis-dev libevent-dev libcurl4-openssl-dev libssl-dev libyaml-dev
  libpcre2-dev libxml2-dev libjansson-dev libmicrohttpd-dev redis-server redis-tools python3)
# buildah, ca-certificates: tests/deploy/image_build.sh builds the runtime image
# offline (vfs, FROM scratch; no daemon, no registry) with the CA bundle.
# clang-14 + libclang-rt-14-dev: the libFuzzer targets (tests/fuzz; the
# runtime behind -fsanitize=fuzzer is only a Recommends of its
# libclang-common-14-dev, and install-deps installs no Recommends).
TEST_PKGS=(clang-format libcmocka-dev python3-grpcio python3-protobuf python3-boto3 grpc-proto tmux
  curl openssl iproute2 clang-14 libclang-rt-14-dev buildah ca-certificates)

pkgs=("${BUILD_PKGS[@]}")
[ "${1:-}" = "--runtime" ] || pkgs+=("${TEST_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
