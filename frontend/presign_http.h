/* presign_http.h - serving presigned fs URLs (presign_fs.h) on the HTTP
 * listener: GET downloads, PUT uploads, through the same jobs as
 * DownloadFile / UploadFile (parts in Redis, a worker does the backend I/O;
 * the frontend never touches the backend).
 *
 * Answers: 200 (GET: the bytes, Content-Type from the URL or
 * application/octet-stream, Content-Length; PUT: a one-line JSON with the
 * job id), 403 for a tampered, expired or revoked URL (the signer's user
 * dropped, its password changed, or its privilege on the stage gone), 405
 * for the wrong method (Allow names the right one), 404 for a missing file,
 * 400 for a Content-Type other than the signed one, 413 for a PUT body over
 * server.presign_max_put_bytes, 503 when server.presign_relays requests are
 * already being relayed, 5xx for Redis or backend trouble; every error has a
 * one-line text body naming the file and the reason.
 *
 * Threads: each request is relayed by a thread of its own (it blocks on
 * Redis like a gRPC handler), which hands the reply to the HTTP loop thread
 * with event_base_once(); a GET sends one part at a time and waits for it
 * to leave before the next, so memory is one part per request. evhttp
 * buffers a PUT body (at most server.presign_max_put_bytes) before the
 * handler runs: libevent 2.1 has no server-side body streaming. */
#ifndef STAGE_FE_PRESIGN_HTTP_H
#define STAGE_FE_PRESIGN_HTTP_H

struct config;
struct event_base;
struct evhttp_request;
struct presign_http;

/* NULL only when out of memory. Call on the HTTP loop thread or before it runs. */
struct presign_http *presign_http_new(struct event_base *base, const struct config *cfg);

/* Handle a request whose path starts with PRESIGN_FS_PATH (loop thread). */
void presign_http_handle(struct presign_http *p, struct evhttp_request *req);

/* Ask running relays to stop and wait up to `ms` for them to end; the loop
 * must still run (another thread). */
void presign_http_drain(struct presign_http *p, int ms);

/* After the loop stopped. NULL-safe; returns NULL. */
struct presign_http *presign_http_free(struct presign_http *p);

#endif
