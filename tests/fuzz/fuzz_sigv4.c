/* fuzz_sigv4.c - SigV4's URI encoding and canonical requests
 * (storage/s3/sigv4.c) over object keys, query parameters and header values
 * that come from clients (file names, listing prefixes, content types).
 *
 * Properties: the encoding uses only unreserved bytes and "%XX" (and '/'
 * when kept), decodes back to its input, so two keys never sign alike; the
 * canonical query and the signing of arbitrary headers complete without
 * overrun. Input: '\n'-separated key, then query name/value pairs and a
 * header value. */
#include "fuzz.h"

#include "err.h"
#include "sigv4.h"

#include <stdbool.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* lower case is not S3's spelling */
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static void check_encode(const char *in, bool keep_slash)
{
    char *enc = NULL;
    FUZZ_CHECK(sigv4_uri_encode(in, keep_slash, &enc) == 0 && enc);
    size_t o = 0, inlen = strlen(in);
    for (const char *p = enc; *p;) {
        unsigned char c = (unsigned char)*p;
        unsigned char dec;
        if (c == '%') {
            int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
            FUZZ_CHECK(h >= 0 && l >= 0);
            dec = (unsigned char)(h << 4 | l);
            FUZZ_CHECK(!unreserved(dec) && !(keep_slash && dec == '/'));
            p += 3;
        } else {
            FUZZ_CHECK(unreserved(c) || (keep_slash && c == '/'));
            dec = c;
            p++;
        }
        FUZZ_CHECK(o < inlen && (unsigned char)in[o] == dec);
        o++;
    }
    FUZZ_CHECK(o == inlen);
    free(enc);
}

static void check_sign(struct fuzz_split *f)
{
    struct sigv4_kv q[3] = {{f->s[1], f->s[2]}, {f->s[3], NULL}, {f->s[2], f->s[1]}};
    char *query = NULL, *path = NULL, *auth = NULL, sig[65];
    FUZZ_CHECK(sigv4_query(q, 3, &query) == 0);
    FUZZ_CHECK(sigv4_uri_encode(f->s[0], true, &path) == 0);
    struct sigv4_kv h[2] = {{"host", "bkt.example.com"}, {"content-type", f->s[4]}};
    struct sigv4_req r = {"PUT", path, query, h, 2, SIGV4_UNSIGNED, "20130524T000000Z"};
    struct sigv4_creds c = {"AKID", "secret", f->s[5], "us-east-1", NULL};
    int rc = sigv4_sign_headers(&r, &c, &auth);
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL);
    rc = sigv4_signature(&r, &c, sig);
    FUZZ_CHECK(rc == 0 || rc == ST_EINVAL);
    free(auth);
    free(query);
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_split f;
    fuzz_split(&f, data, size, 6);
    check_encode(f.s[0], true);
    check_encode(f.s[0], false);
    check_sign(&f);
    fuzz_split_free(&f);
    return 0;
}
