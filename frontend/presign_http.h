/* presign_http.h - serving presigned fs URLs (presign_fs.h) on the HTTP
 * listener (http.h): GET downloads, PUT uploads, through the same jobs as
 * DownloadFile / UploadFile (parts in Redis, a worker does the backend I/O;
 * the frontend never touches the backend).
 *
 * Answers: 200 (GET: the bytes, Content-Type from the URL or
 * application/octet-stream, Content-Length; PUT: a one-line JSON with the
 * job id), 403 for a tampered, expired or revoked URL (the signer's user
 * dropped, its password changed, or its privilege on the stage gone), 405
 * for the wrong method (Allow names the right one), 404 for a missing file,
 * 400 for a Content-Type other than the signed one, 411 for a PUT without
 * Content-Length, 413 for one over server.presign_max_put_bytes, 503 when
 * server.presign_relays requests are already being relayed, 5xx for Redis
 * or backend trouble; every error has a one-line text body naming the file
 * and the reason.
 *
 * The signature, expiry, method and headers are checked from the request's
 * headers alone, before a byte of its body is read; a request that passes
 * runs as a fiber on the loop (no thread of its own), which checks the user
 * and privilege in Redis while the connection is suspended. Then both ways
 * stream one part at a time with back-pressure: a PUT reads one part of the
 * body, suspends the connection while the part goes to Redis (and while the
 * job's window is full), then reads the next; a GET hands libmicrohttpd one
 * part from Redis and suspends the connection when it wants more than is
 * there. Memory is one part per request (upload.part_size).
 *
 * Threads: the loop thread only (libmicrohttpd's callbacks run there). */
#ifndef STAGE_FE_PRESIGN_HTTP_H
#define STAGE_FE_PRESIGN_HTTP_H

struct config;
struct presign_http;
struct MHD_Connection;

/* NULL only when out of memory. */
struct presign_http *presign_http_new(const struct config *cfg);

/* The first access call of a request under PRESIGN_FS_PATH (`token` is
 * what follows it): answers it or starts its relay (*con_cls is then a
 * struct http_ctx). 0, or ST_ENOMEM: close the connection. */
int presign_http_start(struct presign_http *p, struct MHD_Connection *conn, const char *method,
                       const char *token, void **con_cls);

/* Relays whose fiber still runs. */
int presign_http_active(const struct presign_http *p);

/* Refuse new requests and end the running relays (their jobs fail, their
 * clients get 503 or a cut body); they end within a second or two. */
void presign_http_stop(struct presign_http *p);

/* After every relay ended and the daemon stopped. NULL-safe; returns NULL. */
struct presign_http *presign_http_free(struct presign_http *p);

#endif
