#!/usr/bin/env bash
# install-emulators.sh - install the object-store emulators the e2e tests use, only if
# missing: @20minutes/s3rver 5.0.0 (the S3 emulator that checks SigV4), into
# $STAGE_EMU_DIR (default /var/tmp/stage-emulators, outside $HOME because the e2e tests
# point HOME at a temp dir). Debian 12, as root or with sudo, no stdin; safe to run again.
set -euo pipefail

EMU_DIR=${STAGE_EMU_DIR:-/var/tmp/stage-emulators}
S3RVER_VERSION=5.0.0

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
