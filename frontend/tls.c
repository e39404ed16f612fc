/* tls.c - certificates for the gRPC port, reloaded when they change (tls.h). */
#include "tls.h"

#include "config.h"
#include "err.h"
#include "log.h"
#include "pemfile.h"

#include <grpc/grpc_security.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool tls_enabled(const struct config *cfg)
{
    return cfg->server.tls_cert_file[0] && cfg->server.tls_key_file[0];
}

/* What the files looked like at the last load. */
struct stamp {
    long long mtime_ns, size;
};

struct reload {
    const struct config *cfg;
    pthread_mutex_t mu;
    struct stamp cert, key, ca;
    bool loaded;
};

static struct stamp stamp_of(const char *path)
{
    struct stat st;
    struct stamp s = {-1, -1};
    if (path[0] && stat(path, &st) == 0) {
        s.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        s.size = (long long)st.st_size;
    }
    return s;
}

static bool same(struct stamp a, struct stamp b)
{
    return a.mtime_ns == b.mtime_ns && a.size == b.size;
}

/* The files as one gRPC config; NULL with `err`. */
static grpc_ssl_server_certificate_config *load(const struct config *cfg, char *err, size_t errlen)
{
    char *cert = NULL, *key = NULL, *ca = NULL;
    grpc_ssl_server_certificate_config *c = NULL;
    if (!pemfile_read(cfg->server.tls_cert_file, &cert, err, errlen) &&
        !pemfile_read(cfg->server.tls_key_file, &key, err, errlen) &&
        (!cfg->server.tls_client_ca_file[0] ||
         !pemfile_read(cfg->server.tls_client_ca_file, &ca, err, errlen))) {
        grpc_ssl_pem_key_cert_pair pair = {key, cert};
        /* gRPC (1.51) asserts a root set on a reloadable config even when it
         * requests no client certificate: give it the server's own chain,
         * which it then never uses */
        c = grpc_ssl_server_certificate_config_create(ca ? ca : cert, &pair, 1);
        if (!c)
            snprintf(err, errlen, "gRPC refused the certificate configuration");
    }
    if (key) /* the private key leaves no copy of ours behind */
        memset(key, 0, strlen(key));
    free(cert);
    free(key);
    free(ca);
    return c;
}

/* gRPC asks at each handshake (and once at start). */
static grpc_ssl_certificate_config_reload_status fetch(void *arg,
                                                       grpc_ssl_server_certificate_config **out)
{
    struct reload *r = arg;
    const struct config *cfg = r->cfg;
    grpc_ssl_certificate_config_reload_status st = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
    pthread_mutex_lock(&r->mu);
    struct stamp cert = stamp_of(cfg->server.tls_cert_file),
                 key = stamp_of(cfg->server.tls_key_file),
                 ca = stamp_of(cfg->server.tls_client_ca_file);
    if (!r->loaded || !same(cert, r->cert) || !same(key, r->key) || !same(ca, r->ca)) {
        char err[300];
        *out = load(cfg, err, sizeof(err));
        if (*out) {
            if (r->loaded)
                log_info("tls: certificate reloaded from %s", cfg->server.tls_cert_file);
            r->cert = cert, r->key = key, r->ca = ca;
            r->loaded = true;
            st = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
        } else {
            /* keep serving the last good one; a rotation may be half done */
            log_warn("tls: %s; %s", err,
                     r->loaded ? "keeping the certificate loaded before"
                               : "no certificate to serve");
            st = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return st;
}

grpc_server_credentials *tls_grpc_credentials(const struct config *cfg, char *err, size_t errlen)
{
    if (!tls_enabled(cfg))
        return grpc_insecure_server_credentials_create();
    /* fail at start on a bad file, not at the first handshake */
    grpc_ssl_server_certificate_config *probe = load(cfg, err, errlen);
    if (!probe)
        return NULL;
    grpc_ssl_server_certificate_config_destroy(probe);
    static struct reload r = {.mu = PTHREAD_MUTEX_INITIALIZER};
    r.cfg = cfg;
    grpc_ssl_client_certificate_request_type req =
        cfg->server.tls_client_ca_file[0]
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    grpc_ssl_server_credentials_options *o =
        grpc_ssl_server_credentials_create_options_using_config_fetcher(req, fetch, &r);
    grpc_server_credentials *c = o ? grpc_ssl_server_credentials_create_with_options(o) : NULL;
    if (!c)
        snprintf(err, errlen, "gRPC refused the TLS credentials");
    return c;
}
