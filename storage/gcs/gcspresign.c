/* gcspresign.c - PresignFile for gcs (see gcspresign.h). */
#include "gcspresign.h"

#include "err.h"
#include "gcscred.h"
#include "gcsurl.h"
#include "storspec.h"

int gcspresign_url(const struct storspec *sp, bool allow_key_file, const char *key, bool put,
                   long expires_s, time_t now, char **url, char *err, size_t errlen)
{
    struct gcscred *c = NULL;
    *url = NULL;
    int rc = gcscred_parse(sp->credential, allow_key_file, &c, err, errlen);
    if (rc)
        return rc;
    struct gcsurl_presign p = {.endpoint = sp->endpoint_url,
                               .method = put ? "PUT" : "GET",
                               .bucket = sp->bucket,
                               .key = key,
                               .now = now,
                               .expires_s = expires_s ? expires_s : GCSPRESIGN_DEFAULT};
    rc = gcsurl_presign(c, &p, url);
    gcscred_free(c);
    if (rc == ST_EINVAL)
        st_fail(rc, err, errlen, "gcs: cannot sign a URL for this key, bucket or endpoint_url");
    return rc;
}
