/* azsign_tool.c - azsign.h and azurl.h from the command line, for
 * tests/e2e/test_azblob_sign.sh: that test sends what this prints with curl
 * to the azurite emulator, which checks every signature. The account key
 * comes from the environment (AZ_KEY), never from argv.
 *
 *   azsign_tool sign ACCOUNT METHOD PATH [q:NAME=VALUE]... [h:NAME=VALUE]...
 *       the Authorization header value of that request
 *   azsign_tool query [NAME=VALUE]...      the encoded query
 *   azsign_tool presign ENDPOINT ACCOUNT CONTAINER BLOB get|put EXPIRES [CONTENT_TYPE]
 *       a SAS URL (azurl_presign) */
#include "azsign.h"
#include "azurl.h"
#include "storspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KV_MAX 32

static int split(char *arg, struct azsign_kv *kv)
{
    char *eq = strchr(arg, '=');
    if (!eq)
        return -1;
    *eq = '\0';
    kv->name = arg;
    kv->value = eq + 1;
    return 0;
}

static int cmd_sign(int argc, char **argv, const char *key)
{
    struct azsign_kv q[KV_MAX], h[KV_MAX];
    size_t nq = 0, nh = 0;
    for (int i = 5; i < argc; i++) {
        bool isq = strncmp(argv[i], "q:", 2) == 0;
        if ((!isq && strncmp(argv[i], "h:", 2) != 0) || nq == KV_MAX || nh == KV_MAX ||
            split(argv[i] + 2, isq ? &q[nq] : &h[nh]))
            return fprintf(stderr, "bad argument '%s'\n", argv[i]), 2;
        isq ? nq++ : nh++;
    }
    struct azsign_req r = {argv[3], argv[4], q, nq, h, nh};
    char *auth = NULL;
    int rc = azsign_shared_key(argv[2], key, &r, &auth);
    if (rc)
        return fprintf(stderr, "azsign_shared_key: %d\n", rc), 1;
    printf("%s\n", auth);
    free(auth);
    return 0;
}

static int cmd_query(int argc, char **argv)
{
    struct azsign_kv q[KV_MAX];
    size_t n = 0;
    for (int i = 2; i < argc; i++)
        if (n == KV_MAX || split(argv[i], &q[n++]))
            return fprintf(stderr, "bad argument '%s'\n", argv[i]), 2;
    char *out = NULL;
    if (azsign_query(q, n, &out))
        return 1;
    printf("%s\n", out);
    free(out);
    return 0;
}

static int cmd_presign(int argc, char **argv, const char *key)
{
    static struct storspec sp;
    char *url = NULL, err[256] = "";
    sp.type = STORSPEC_AZBLOB;
    snprintf(sp.endpoint_url, sizeof(sp.endpoint_url), "%s", argv[2]);
    snprintf(sp.account_name, sizeof(sp.account_name), "%s", argv[3]);
    snprintf(sp.account_key, sizeof(sp.account_key), "%s", key);
    snprintf(sp.bucket, sizeof(sp.bucket), "%s", argv[4]);
    int rc = azurl_presign(&sp, argv[5], strcmp(argv[6], "put") == 0, argc > 8 ? argv[8] : NULL,
                           atol(argv[7]), time(NULL), &url, err, sizeof(err));
    storspec_wipe(&sp);
    if (rc)
        return fprintf(stderr, "azurl_presign: %s\n", err), 1;
    printf("%s\n", url);
    free(url);
    return 0;
}

int main(int argc, char **argv)
{
    const char *key = getenv("AZ_KEY");
    if (argc >= 5 && strcmp(argv[1], "sign") == 0 && key)
        return cmd_sign(argc, argv, key);
    if (argc >= 2 && strcmp(argv[1], "query") == 0)
        return cmd_query(argc, argv);
    if (argc >= 8 && strcmp(argv[1], "presign") == 0 && key)
        return cmd_presign(argc, argv, key);
    fprintf(stderr, "usage: AZ_KEY=... azsign_tool sign|query|presign ... (see the source)\n");
    return 2;
}
