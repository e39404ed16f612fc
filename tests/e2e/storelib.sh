# shellcheck shell=bash
# storelib.sh - sourced after lib.sh (and e2e_init) by the tests that use every backend at
# once (test_copy_matrix.sh, test_copy_resume_kill.sh): the three emulators, one external
# stage on each, CopyFiles waited for, and each store's checksums read with its own
# independent client.
#   stores_start        s3rver (bucket ext-s3), azurite (container ext-az, blobs on disk)
#                       and gcsfake (bucket ext-gcs); before e2e_start
#   stores_stages       after e2e_start and login_root: stages @s3, @az and @gcs, each on
#                       the path data/ of its store; @~ is the fs stage of user root
#   store_shas ST PATH  "NAME SHA256" lines, sorted, of the files under PATH (ending in /)
#                       of stage ST (fs for @~, s3, az, gcs): sha256sum, boto3,
#                       @azure/storage-blob and the fake's own files
#   store_put ST DIR PATH  every file under the local directory DIR into stage ST at PATH
#                       (ending in /) with the store's own client, not the service: cp,
#                       boto3 (put_object; upload_file, multipart, above 8 MiB), @azure/storage-blob
#                       (uploadFile: blocks), 16 files at a time, and `gcsfake.py puttree`
#   dir_shas DIR        the same lines for the files under a local directory
#   copy_start FROM TO  CopyFiles: prints the job id
#   copy_wait FROM TO   CopyFiles, waited for (up to 15 min): prints the final job as JSON
#                       (id, state, files_done, bytes_done, error, started_at and
#                       finished_at in Unix ms: the worker's run of it)
#   job_wait ID         the same for a job already started
# shellcheck source-path=SCRIPTDIR source=gcslib.sh
. "$E2E_DIR/gcslib.sh"
STORE_S3=ext-s3
STORE_AZ=ext-az
STORE_GCS=ext-gcs

stores_start() {
  start_s3rver "$STORE_S3"
  E2E_AZ_DISK=1 start_azurite # large blobs would fill azurite's in-memory store
  azutil mkcontainer "$STORE_AZ"
  start_gcsfake "$STORE_GCS"
  GCS_CRED=$(gcs_cred "$GCS_KEY")
  E2E_SECRETS+=("$GCS_CRED" "$AZ_KEY")
}

stores_stages() {
  ctl stage create s3 --url "s3://$STORE_S3/data/" --conn "endpoint_url=$S3_ENDPOINT" \
    --conn access_key_id=S3RVER --conn secret_access_key=S3RVER --conn region=eu-west-1 >/dev/null ||
    die "cannot create @s3"
  ctl stage create az --url "azblob://$STORE_AZ/data/" --conn "endpoint_url=$AZ_ENDPOINT" \
    --conn "account_name=$AZ_ACCOUNT" --conn "account_key=$AZ_KEY" >/dev/null ||
    die "cannot create @az"
  ctl stage create gcs --url "gcs://$STORE_GCS/data/" --conn "endpoint_url=$GCS_EP" \
    --conn "credential=$GCS_CRED" >/dev/null || die "cannot create @gcs"
}

dir_shas() {
  [ -d "$1" ] || return 0
  (cd "$1" && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum |
    awk '{print $2, $1}')
}

store_shas() {
  case "$1" in
  fs) dir_shas "$DATA/stage/user/root/$2" ;;
  s3) E2E_S3_BUCKET=$STORE_S3 s3util shas "data/$2" ;;
  az) azutil shas "$STORE_AZ" "data/$2" ;;
  gcs) gcsfake shas "$GCS_DIR" "data/$2" ;;
  *) die "store_shas: no store $1" ;;
  esac | LC_ALL=C sort
}

store_put() {
  case "$1" in
  fs)
    mkdir -p "$DATA/stage/user/root/$3"
    cp -R "$2/." "$DATA/stage/user/root/$3"
    ;;
  s3)
    E2E_S3_BUCKET=$STORE_S3 PYTHONPATH="$E2E_DIR" env -u AWS_CA_BUNDLE "$PY" - "$2" "data/$3" <<'PYEOF'
import os, sys
from concurrent.futures import ThreadPoolExecutor
import s3util
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
src, pre = sys.argv[1:3]
c, bucket = s3util.client(), os.environ["E2E_S3_BUCKET"]
files = [os.path.join(t, f) for t, _, fs in os.walk(src) for f in fs]

def put(p):  # one PUT for a small file; s3transfer (multipart) for a large one
    key = pre + os.path.relpath(p, src)
    if os.path.getsize(p) > (8 << 20):
        return c.upload_file(p, bucket, key)
    with open(p, "rb") as f:
        c.put_object(Bucket=bucket, Key=key, Body=f.read())

with ThreadPoolExecutor(16) as ex:
    list(ex.map(put, files))
PYEOF
    ;;
  az)
    NODE_PATH=${STAGE_EMU_DIR:-/var/tmp/stage-emulators}/azure/node_modules node - "$STORE_AZ" "$2" "data/$3" <<'JSEOF'
'use strict';
const fs = require('fs');
const path = require('path');
const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob');
const [ctrName, src, pre] = process.argv.slice(2);
const ctr = new BlobServiceClient(process.env.AZ_ENDPOINT,
  new StorageSharedKeyCredential(process.env.AZ_ACCOUNT, process.env.AZ_KEY)).getContainerClient(ctrName);
const files = [];
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) =>
  (e.isDirectory() ? walk : (p) => files.push(p))(path.join(d, e.name)));
walk(src);
let next = 0;
const one = async () => {
  for (let i = next++; i < files.length; i = next++)
    await ctr.getBlockBlobClient(pre + path.relative(src, files[i])).uploadFile(files[i]);
};
Promise.all(Array.from({ length: 16 }, one)).catch((e) => {
  console.error(`store_put az: ${e.message}`);
  process.exit(1);
});
JSEOF
    ;;
  gcs) gcsfake puttree "$GCS_DIR" "$2" "data/$3" ;;
  *) die "store_put: no store $1" ;;
  esac
}

copy_start() {
  pyrun "$1" "$2" <<'PYEOF'
import os, sys, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
print(c.rpc("CopyFiles", **{"from": sys.argv[1], "to": sys.argv[2]}).job.id)
PYEOF
}

job_wait() {
  pyrun "$1" <<'PYEOF'
import json, os, sys, stageclient as sc
c = sc.StageClient(os.environ["E2E_SERVER"]); c.login("root", os.environ["E2E_ROOT_PW"])
j = c.wait_job(sys.argv[1], timeout=900)
print(json.dumps({"id": j.id, "state": sc.STATE[j.state], "files_done": j.files_done,
                  "bytes_done": j.bytes_done, "error": j.error_message,
                  "started_at": j.started_at, "finished_at": j.finished_at}))
PYEOF
}

copy_wait() {
  local id
  id=$(copy_start "$1" "$2" 2>&1) || {
    printf '{"state": "RPC", "error": %s}\n' "$("$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <<<"$id")"
    return 0
  }
  job_wait "$id"
}
