#!/usr/bin/env bash
# install-emulators.sh - install the object-store emulators the e2e tests use, only if
# missing: @20minutes/s3rver 5.0.0 (the S3 emulator that checks SigV4), into
# $STAGE_EMU_DIR (default /var/tmp/stage-emulators, outside $HOME because the e2e tests
# point HOME at a temp dir); azurite 3.35.0 (the Azure Blob emulator, which checks
# SharedKey and SAS signatures) and @azure/storage-blob 12.32.0 (the independent client
# the azblob tests check with; both the last versions for Node 20) into $STAGE_EMU_DIR/azure,
# a tree of its own so that installing them never rewrites the s3rver tree a running test
# uses. Debian 12, as root or with sudo, no stdin; safe to run again.
set -euo pipefail

EMU_DIR=${STAGE_EMU_DIR:-/var/tmp/stage-emulators}
S3RVER_VERSION=5.0.0
AZURITE_VERSION=3.35.0
AZBLOB_SDK_VERSION=12.32.0

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install-emulators: installing nodejs npm"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q </dev/null
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm </dev/null
fi

mkdir -p "$EMU_DIR"
pkg="$EMU_DIR/node_modules/@20minutes/s3rver/package.json"
have=""
[ -f "$pkg" ] && have=$(node -p "require('$pkg').version" 2>/dev/null || true)
if [ "$have" != "$S3RVER_VERSION" ]; then
  echo "install-emulators: npm install @20minutes/s3rver@$S3RVER_VERSION into $EMU_DIR"
  [ -f "$EMU_DIR/package.json" ] || echo '{"name":"stage-emulators","private":true}' >"$EMU_DIR/package.json"
  (cd "$EMU_DIR" && npm install --no-audit --no-fund --loglevel=error \
    "@20minutes/s3rver@$S3RVER_VERSION" </dev/null)
fi

# The package ships no CLI binary: a launcher calls its CLI module (argv as node passes it).
cat >"$EMU_DIR/s3rver.js" <<'JS'
require('@20minutes/s3rver/lib/cli').parseAsync(process.argv);
JS
echo "install-emulators: s3rver $S3RVER_VERSION ready in $EMU_DIR"

# npm install <pkg>@<version> into directory $1 unless it is there at that version.
npm_pin() {
  local dir=$1 name=$2 version=$3 have=""
  local pj="$dir/node_modules/$name/package.json"
  [ -f "$pj" ] && have=$(node -p "require('$pj').version" 2>/dev/null || true)
  [ "$have" = "$version" ] && return 0
  echo "install-emulators: npm install $name@$version into $dir"
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"name":"stage-emulators-azure","private":true}' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$name@$version" </dev/null)
}
npm_pin "$EMU_DIR/azure" azurite "$AZURITE_VERSION"
npm_pin "$EMU_DIR/azure" @azure/storage-blob "$AZBLOB_SDK_VERSION"
echo "install-emulators: azurite $AZURITE_VERSION, @azure/storage-blob $AZBLOB_SDK_VERSION ready in $EMU_DIR/azure"

# @google-cloud/storage 7.19.0 (Node 20): the independent maker of the V4 signed URLs the GCS
# unit test compares with (storage/tests/gcs_vectors.js), in a tree of its own.
GCS_SDK_VERSION=7.19.0
npm_pin "$EMU_DIR/gcs" @google-cloud/storage "$GCS_SDK_VERSION"
echo "install-emulators: @google-cloud/storage $GCS_SDK_VERSION ready in $EMU_DIR/gcs"
