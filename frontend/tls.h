/* tls.h - TLS for the frontend's two ports (server.tls_cert_file,
 * server.tls_key_file, server.tls_client_ca_file).
 *
 * gRPC: the credentials fetch the certificate through a callback that gRPC
 * calls at each new handshake; it reloads the files when their mtime or
 * size changed, so a rotated certificate (a Kubernetes Secret update, a
 * cert-manager renewal) is served to new connections without a restart,
 * and a half-written or bad file keeps the last good one. With a client CA
 * every client must present a certificate it signed (mTLS).
 *
 * Threads: tls_grpc_credentials() from the main thread; the callback runs
 * on gRPC's threads (it locks). */
#ifndef STAGE_FE_TLS_H
#define STAGE_FE_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct config;
typedef struct grpc_server_credentials grpc_server_credentials;

/* True when the config asks for TLS (cert and key files set). */
bool tls_enabled(const struct config *cfg);

/* Server credentials for the gRPC port: insecure without TLS; NULL with a
 * message in `err` when a file cannot be read or is not PEM. The caller
 * releases them. The reload state lives until exit. */
grpc_server_credentials *tls_grpc_credentials(const struct config *cfg, char *err, size_t errlen);

#endif
