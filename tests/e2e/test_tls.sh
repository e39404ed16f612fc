#!/usr/bin/env bash
# test_tls.sh - TLS on both ports of the frontend (server.tls_cert_file,
# server.tls_key_file), a certificate rotated without a restart, and mTLS
# (server.tls_client_ca_file). Certificates are made here with openssl.
#  1. stagectl --ca (and the Python client) round trip a file over TLS; a
#     plaintext client and one trusting another CA are refused UNAVAILABLE.
#  2. The HTTP listener speaks HTTPS: /healthz and a presigned fs URL (which
#     now starts with https://) answer with the CA; plain HTTP gets nothing.
#  3. The files are replaced by a certificate of another CA: new connections
#     get it at once (the old CA is refused now), no restart.
#  4. Restarted with a client CA: a client without a certificate is refused,
#     one with a certificate that CA signed is served.
#  5. With server.tls_client_user cn, a client with no token is the user its
#     certificate's CN names (an unknown CN is UNAUTHENTICATED).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init tls

C="$T/certs"
mkdir -p "$C"
# ca NAME: a self-signed CA; leaf NAME CA CN [SAN]: a key and a certificate
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$C/$1.key" -out "$C/$1.pem" -subj "/CN=e2e $1" 2>/dev/null
}
leaf() {
  local name=$1 ca=$2 cn=$3 san=${4:-}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/$name.key" \
    -out "$C/$name.csr" -subj "/CN=$cn" 2>/dev/null
  printf '%s\n' "${san:+subjectAltName=$san}" >"$C/$name.ext"
  openssl x509 -req -in "$C/$name.csr" -CA "$C/$ca.pem" -CAkey "$C/$ca.key" -CAcreateserial \
    -days 2 -out "$C/$name.pem" -extfile "$C/$name.ext" 2>/dev/null
}
ca ca1
ca ca2
leaf srv1 ca1 127.0.0.1 IP:127.0.0.1
leaf srv2 ca2 127.0.0.1 IP:127.0.0.1
leaf client ca1 root
cp "$C/srv1.pem" "$C/server.pem"
cp "$C/srv1.key" "$C/server.key"

export STAGE_SERVER_TLS_CERT_FILE="$C/server.pem" STAGE_SERVER_TLS_KEY_FILE="$C/server.key"
export STAGE_TLS_CA="$C/ca1.pem" # stagectl and the Python client of lib.sh
e2e_start
login_root

# ---- 1. gRPC over TLS
head -c 300000 /dev/urandom >"$T/f.bin"
check_rc "stagectl put over TLS" 0 ctl put "$T/f.bin" @~/tls/f.bin
check_rc "stagectl get over TLS" 0 ctl get @~/tls/f.bin "$T/back.bin"
check_eq "... the same bytes" "$(sha256sum <"$T/f.bin")" "$(sha256sum <"$T/back.bin")"
check_rc "the Python client over TLS" 0 py health
check_rc "a plaintext client is refused" 1 env -u STAGE_TLS_CA "$STAGECTL" --server "$SERVER" ls @~/
check_contains "... UNAVAILABLE" "$ERR" "UNAVAILABLE"
check_rc "a client trusting another CA is refused" 1 ctl --ca "$C/ca2.pem" ls @~/
check_contains "... UNAVAILABLE" "$ERR" "UNAVAILABLE"

# ---- 2. HTTPS on the side port
H="127.0.0.1:$HTTP_PORT"
check_eq "https /healthz with the CA" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca1.pem" "https://$H/healthz")"
check_eq "plain http gets no answer" 000 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://$H/healthz" || true)"
out=$(ctl --json presign @~/tls/f.bin)
url=$(jget "$out" 'j["url"]')
check_contains "the presigned URL is https" "$url" "https://127.0.0.1:$HTTP_PORT/v1/presign/"
check_eq "a presigned GET over https" 200 "$(curl -s -o "$T/pre.bin" -w '%{http_code}' --cacert "$C/ca1.pem" "$url")"
check_eq "... the same bytes" "$(sha256sum <"$T/f.bin")" "$(sha256sum <"$T/pre.bin")"

# ---- 3. rotation without a restart (an atomic rename, as a Secret update does)
cp "$C/srv2.key" "$C/server.key.new"
cp "$C/srv2.pem" "$C/server.pem.new"
mv "$C/server.key.new" "$C/server.key"
mv "$C/server.pem.new" "$C/server.pem"
check_rc "after the rotation a client trusting the new CA is served" 0 ctl --ca "$C/ca2.pem" ls @~/tls/
check_rc "... and one trusting only the old CA is refused" 1 ctl ls @~/tls/
check_contains "the frontend logged the reload" "$(cat "$T/logs/frontend.log")" "certificate reloaded"
check_eq "the frontend kept running" 0 "$(alive "$PID_frontend" && echo 0 || echo 1)"

# ---- 4. mTLS
stop_pid "$PID_frontend"
export STAGE_SERVER_TLS_CLIENT_CA_FILE="$C/ca1.pem" STAGE_TLS_CA="$C/ca2.pem"
export STAGE_TLS_CERT="$C/client.pem" STAGE_TLS_KEY="$C/client.key"
start_frontend
wait_ready
check_rc "mTLS: a client with a certificate of the client CA is served" 0 ctl ls @~/tls/
check_contains "... and sees the file" "$OUT" "f.bin"
check_rc "mTLS: a client without a certificate is refused" 1 \
  env -u STAGE_TLS_CERT -u STAGE_TLS_KEY "$STAGECTL" --server "$SERVER" ls @~/tls/
check_contains "... UNAVAILABLE" "$ERR" "UNAVAILABLE"
leaf stranger ca2 root
check_rc "mTLS: a certificate of another CA is refused" 1 \
  ctl --cert "$C/stranger.pem" --key "$C/stranger.key" ls @~/tls/

# ---- 5. the certificate names the user (server.tls_client_user cn)
stop_pid "$PID_frontend"
export STAGE_SERVER_TLS_CLIENT_USER=cn
start_frontend
wait_ready
mkdir -p "$T/nohome"
check_rc "without a token, the certificate's CN (root) is the user" 0 \
  env HOME="$T/nohome" "$STAGECTL" --server "$SERVER" ls @~/tls/
check_contains "... and sees root's file" "$OUT" "f.bin"
leaf nobody ca1 nobody
check_rc "a certificate whose CN is not a user is refused" 1 env HOME="$T/nohome" \
  "$STAGECTL" --server "$SERVER" --cert "$C/nobody.pem" --key "$C/nobody.key" ls @~/
check_contains "... UNAUTHENTICATED naming the CN" "$ERR" "CN 'nobody' is not a user"
check_rc "a token still wins over the certificate" 0 ctl --cert "$C/nobody.pem" --key "$C/nobody.key" ls @~/tls/
e2e_finish
