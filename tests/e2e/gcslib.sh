# shellcheck shell=bash
# gcslib.sh - sourced by the GCS e2e tests after lib.sh: an RSA key made with openssl,
# gcsfake.py (the strict fake of the GCS JSON API and token endpoint) started on a free
# port with the key's public half, and gcs_cred, the base64 service-account JSON a
# gcs:// stage takes as its `credential`.
#   start_gcsfake BUCKET   sets GCS_EP (http://127.0.0.1:PORT), GCS_DIR (the fake's
#                          objects, read with `gcsfake.py sha|ls`), GCS_KEY, GCS_EMAIL
#   gcs_cred KEY.pem [TOKEN_URI]   prints the credential (TOKEN_URI: the fake's)
GCS_EMAIL=stage-e2e@stage-e2e.iam.gserviceaccount.com

start_gcsfake() {
  GCS_DIR="$T/gcs"
  GCS_KEY="$T/gcs-key.pem"
  mkdir -p "$GCS_DIR"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$GCS_KEY" 2>/dev/null
  openssl pkey -in "$GCS_KEY" -pubout -out "$T/gcs-pub.pem"
  "$PY" "$E2E_DIR/gcsfake.py" serve --dir "$GCS_DIR" --bucket "$1" --pubkey "$T/gcs-pub.pem" \
    --email "$GCS_EMAIL" --port-file "$T/gcs.port" >>"$T/logs/gcsfake.log" 2>&1 &
  E2E_PIDS+=("$!")
  # the port file appears whole (written, then renamed): never read half-made
  for _ in $(seq 100); do [ -s "$T/gcs.port" ] && break; sleep 0.1; done
  [ -s "$T/gcs.port" ] || die "gcsfake did not start: $(tail -5 "$T/logs/gcsfake.log")"
  GCS_EP="http://127.0.0.1:$(cat "$T/gcs.port")"
  E2E_SECRETS+=("$(sed -n 2p "$GCS_KEY")")
}

gcs_cred() {
  "$PY" - "$1" "${2:-$GCS_EP/token}" "$GCS_EMAIL" <<'PYEOF'
import base64, json, sys
key, uri, email = sys.argv[1:4]
j = {"type": "service_account", "project_id": "stage-e2e", "private_key_id": "k1",
     "private_key": open(key).read(), "client_email": email, "token_uri": uri}
print(base64.b64encode(json.dumps(j).encode()).decode())
PYEOF
}

gcsfake() { "$PY" "$E2E_DIR/gcsfake.py" "$@"; }
