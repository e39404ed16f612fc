/* confspec.h - the storage spec of the operator's configured storage:
 * storage.type and its section (storage.fs.root, storage.s3.*,
 * storage.gcs.*, storage.azblob.*) as a struct storspec, the form every
 * backend and signer takes. The one place that reads those sections, for
 * the worker's backend (backend_open_config()) and the frontend's
 * PresignFile on internal stages and user stages.
 *
 * Pure; any thread. */
#ifndef STAGE_CONFSPEC_H
#define STAGE_CONFSPEC_H

#include <stddef.h>

struct config;
struct storspec;

/* Fill `sp` (zeroed first) from cfg->storage, secrets included: wipe it
 * with storspec_wipe() after use. An object store's root is its section's
 * root without a leading '/' and with a trailing one ("" = the bucket's or
 * container's root); url is "<type>://<bucket>/<root>". 0, or ST_EINVAL
 * with the reason in `err` when storage.type names no scheme. */
int confspec_from_config(const struct config *cfg, struct storspec *sp, char *err, size_t errlen);

#endif
