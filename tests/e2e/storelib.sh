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
#   copy_start FROM TO  CopyFiles: prints the job id
#   copy_wait FROM TO   CopyFiles, waited for (up to 15 min): prints the final job as JSON
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

store_shas() {
  case "$1" in
  fs)
    [ -d "$DATA/stage/user/root/$2" ] || return 0
    (cd "$DATA/stage/user/root/$2" && find . -type f -printf '%P\0' | LC_ALL=C sort -z |
      xargs -0 -r sha256sum | awk '{print $2, $1}')
    ;;
  s3) E2E_S3_BUCKET=$STORE_S3 s3util shas "data/$2" ;;
  az) azutil shas "$STORE_AZ" "data/$2" ;;
  gcs) gcsfake shas "$GCS_DIR" "data/$2" ;;
  *) die "store_shas: no store $1" ;;
  esac | LC_ALL=C sort
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
                  "bytes_done": j.bytes_done, "error": j.error_message}))
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
