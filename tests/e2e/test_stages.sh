#!/usr/bin/env bash
# Named stages as Databend users know them (issue 4): internal stages (drop
# and or_replace delete the files through a job), external fs:// stages
# (files survive a drop), s3:// stages (on s3rver) stored with sealed, masked secrets,
# @~ per user, grants, users and tokens, login throttling; Redis and the logs
# are scanned for plaintext secrets (tests/e2e/stages_databend.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init stages
EXT="$T/external"
mkdir -p "$EXT"
# fs:// stages live under storage.fs_url_roots; "unreachable" is listed but
# never made, for the probe of a stage that cannot be opened
export STAGE_STORAGE_ALLOW_FS_URLS=true STAGE_STORAGE_FS_URL_ROOTS="$EXT:$T/unreachable"
# s3:// stages are probed at creation: an emulator that takes the test's made-up secret
E2E_S3RVER_ARGS=--allow-mismatched-signatures start_s3rver bucket
# the secrets stages_databend.py uses: checked again in every log and Redis key at the end
E2E_SECRETS+=(s3cr3t-Access-Key-0123456789 sess-Token-ABCDEFGHIJ-9876 'alice-Pa55word!'
  'bob-Pa55word!' 'alice-New-Pa55!' 'alice-3rd-Pa55!' carol-pw)
e2e_start

rc=0
E2E_EXT_DIR="$EXT" E2E_UNREACHABLE_DIR="$T/unreachable" E2E_LOGS="$T/logs" pyrun <"$E2E_DIR/stages_databend.py" >"$T/stages.out" 2>&1 || rc=$?
cat "$T/stages.out"
check_eq "stage behaviours: every check passed" 0 "$rc"
e2e_finish
