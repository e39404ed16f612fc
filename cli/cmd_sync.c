/* cmd_sync.c - stagectl sync DIR @STAGE/PREFIX/ and back: list both sides,
 * plan (syncplan.h), then copy what is missing or differs with put's and
 * get's own paths (put.h, get.h) on a pool of threads, and with --delete
 * remove what the source lacks (rmbatch.h on a stage, unlink locally).
 * Copies come first: a failed copy never follows a deletion it needed. */
#include "digest.h" /* first: it asks OpenSSL for the (deprecated) raw contexts */

#include "cli.h"
#include "err.h"
#include "filter.h"
#include "get.h"
#include "out.h"
#include "pattern.h"
#include "pool.h"
#include "put.h"
#include "rmbatch.h"
#include "syncplan.h"

#include "stage/v1/stage.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_DELETE = CLI_OPT_FIRST_CMD, O_DRY_RUN, O_PARALLEL };

#define PATH_LEN 4200

static const char usage[] =
    "usage: stagectl sync DIR @STAGE/PREFIX/ [--delete] [--dry-run] [--parallel N]\n"
    "                     [--pattern RE | --include/--exclude GLOB]\n"
    "       stagectl sync @STAGE/PREFIX/ DIR [...]\n"
    "\n"
    "Make the target (the second argument) hold what the source holds: copy the\n"
    "files the target lacks or that differ, by size or else by content (the\n"
    "SHA-256, else the MD5, that ListFiles reports against a local file's), and\n"
    "leave the same ones alone. Paths below DIR map to names below the prefix\n"
    "(@~/p/ and @~/p are the same prefix, the directory p/). Uploads and\n"
    "downloads are those of put and get (checked end to end). One line per\n"
    "file copied or deleted, then a summary: uploaded, downloaded, deleted and\n"
    "unchanged counts. The filter selects the files on both sides: others are\n"
    "neither copied nor deleted.\n"
    "\n"
    "  --delete      also delete target files that the source lacks\n"
    "  --dry-run     print the plan, one line per file to copy or delete\n"
    "                ('upload', 'download' or 'delete', the file, why); change\n"
    "                nothing\n"
    "  --parallel N  files copied at once (1-64, default 4)\n" FILTER_HELP;

struct sync {
    struct cli *cli;
    bool up;         /* DIR -> stage */
    bool del, dry;   /* --delete, --dry-run */
    const char *dir; /* the local directory, without trailing '/' */
    char base[1200]; /* "@st/p/": a file's location is base + its name */
    size_t strip;    /* bytes of a stage name above the prefix ("p/") */
    struct pattern *filter;
    struct sync_list local, remote;
    _Atomic int64_t copied;
    int rc;
};

struct sync_item {
    char from[PATH_LEN], to[PATH_LEN];
};

/* ------------------------------------------------------------ listings */

static bool selected(struct sync *s, const char *rel)
{
    char err[200];
    if (!s->filter)
        return true;
    int m = pattern_match(s->filter, rel, strlen(rel), err, sizeof(err));
    if (m < 0)
        s->rc = cli_fail(s->cli, rel, "INVALID_ARGUMENT", "%s", err);
    return m == 1;
}

static struct sync *g_sync; /* nftw() has no user pointer; one walk at a time */

static int walk_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)ftw;
    const char *rel = path + strlen(g_sync->dir) + 1;
    if (type != FTW_F || !S_ISREG(sb->st_mode) || !selected(g_sync, rel))
        return 0;
    if (sync_list_add(&g_sync->local, rel, (int64_t)sb->st_size, NULL, NULL, true) != 0)
        return -1;
    return 0;
}

static int list_local(struct sync *s)
{
    struct stat sb;
    if (stat(s->dir, &sb) != 0) {
        if (errno == ENOENT && !s->up)
            return 0; /* a download into a new directory */
        return cli_fail(s->cli, s->dir, st_err_status_name(cli_errno_err(errno)),
                        "cannot open '%s': %s", s->dir, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode))
        return cli_fail(s->cli, s->dir, "INVALID_ARGUMENT", "'%s' is not a directory", s->dir);
    g_sync = s;
    if (nftw(s->dir, walk_cb, 32, FTW_PHYS) != 0)
        return cli_fail(s->cli, s->dir, "INTERNAL", "cannot walk '%s': %s", s->dir,
                        strerror(errno));
    return s->rc;
}

static int on_page(const ProtobufCMessage *msg, void *ud, struct rpc_status *st)
{
    struct sync *s = ud;
    const Stage__V1__ListFilesResponse *page = (const Stage__V1__ListFilesResponse *)msg;
    (void)st;
    for (size_t i = 0; i < page->n_files; i++) {
        const Stage__V1__FileInfo *f = page->files[i];
        const char *rel = strlen(f->name) > s->strip ? f->name + s->strip : "";
        if (!s->up && !get_name_safe(rel)) {
            s->rc = cli_fail(s->cli, f->name, "INVALID_ARGUMENT",
                             "refusing to download '%s': unsafe name", f->name);
            continue;
        }
        if (sync_list_add(&s->remote, rel, f->size, f->sha256, f->md5, false) != 0)
            return ST_ENOMEM;
    }
    return 0;
}

static int list_remote(struct sync *s, const char *pattern)
{
    Stage__V1__ListFilesRequest req = STAGE__V1__LIST_FILES_REQUEST__INIT;
    struct rpc_status st;
    int rc = cli_connect(s->cli, true);
    if (rc)
        return rc;
    req.location = s->base;
    req.pattern = (char *)(pattern ? pattern : "");
    rc = rpc_server_stream(&s->cli->conn, RPC_SERVICE "ListFiles", &req.base,
                           &stage__v1__list_files_response__descriptor, on_page, s, &st);
    return rc ? cli_fail_rpc(s->cli, s->base, rc, &st) : s->rc;
}

/* The SHA-256 and MD5 of a local file whose size matches the other side's. */
static int hash_local(struct sync_entry *e, void *ud)
{
    struct sync *s = ud;
    char path[PATH_LEN];
    static uint8_t buf[1 << 16]; /* the plan runs on the command's thread */
    struct digest d;
    snprintf(path, sizeof(path), "%s/%s", s->dir, e->name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || digest_init(&d) != 0) {
        if (fd >= 0)
            close(fd);
        return ST_EIO;
    }
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            digest_update(&d, buf, (size_t)n);
    close(fd);
    digest_final(&d, e->md5, e->sha256);
    return n < 0 ? ST_EIO : 0;
}

/* ------------------------------------------------------------ doing it */

/* The local path and the location of a file of the plan. */
static void paths(const struct sync *s, const char *name, char *path, char *loc)
{
    snprintf(path, PATH_LEN, "%s/%s", s->dir, name);
    snprintf(loc, PATH_LEN, "%s%s", s->base, name);
}

static void print_step(struct sync *s, const struct sync_step *st)
{
    char path[PATH_LEN], loc[PATH_LEN];
    const char *name = st->src ? st->src->name : st->dst->name;
    const char *what = st->action == SYNC_DELETE ? "delete" : s->up ? "upload" : "download";
    paths(s, name, path, loc);
    const char *from = s->up ? path : loc, *to = s->up ? loc : path;
    if (s->cli->json) {
        out_print_json(json_pack("{s:s,s:s,s:s,s:s}", "action", what, "name", name, "target", to,
                                 "reason", sync_action_name(st->action)));
    } else if (st->action == SYNC_DELETE) {
        printf("%-8s %s\n", what, to);
    } else {
        printf("%-8s %s -> %s (%s)\n", what, from, to, sync_action_name(st->action));
    }
}

static int run_item(struct cli *tcli, void *item, void *ud)
{
    struct sync *s = ud;
    struct sync_item *it = item;
    int rc = s->up ? put_replace(tcli, it->from, it->to) : get_into(tcli, it->from, it->to);
    if (rc == CLI_EXIT_OK)
        atomic_fetch_add(&s->copied, 1);
    return rc;
}

static int copy_all(struct sync *s, const struct sync_plan *p, int parallel)
{
    struct pool *pool = pool_new(s->cli, parallel, run_item, s);
    if (!pool)
        return cli_fail(s->cli, "sync", "RESOURCE_EXHAUSTED", "cannot start %d threads", parallel);
    for (size_t i = 0; i < p->n; i++) {
        const struct sync_step *st = &p->v[i];
        if (st->action != SYNC_NEW && st->action != SYNC_CHANGED)
            continue;
        struct sync_item *it = malloc(sizeof(*it));
        char path[PATH_LEN], loc[PATH_LEN];
        if (!it)
            break;
        paths(s, st->src->name, path, loc);
        snprintf(it->from, sizeof(it->from), "%s", s->up ? path : loc);
        snprintf(it->to, sizeof(it->to), "%s", s->up ? loc : path);
        pool_push(pool, it, NULL, NULL);
    }
    return pool_finish(pool, NULL, NULL);
}

static int delete_all(struct sync *s, const struct sync_plan *p, int64_t *deleted)
{
    struct rmbatch rb;
    char name[PATH_LEN], path[PATH_LEN], loc[PATH_LEN];
    int rc = 0;
    if (s->up && rmbatch_init(&rb, s->cli, s->base, s->base))
        return cli_fail(s->cli, s->base, "INVALID_ARGUMENT", "stage name too long");
    for (size_t i = 0; i < p->n && rc != CLI_EXIT_ERR; i++) {
        const struct sync_step *st = &p->v[i];
        if (st->action != SYNC_DELETE)
            continue;
        paths(s, st->dst->name, path, loc);
        if (s->up) {
            /* the name in the stage: the prefix's directory, then the file's */
            snprintf(name, sizeof(name), "%s%s", s->base + strcspn(s->base, "/") + 1,
                     st->dst->name);
            int r = rmbatch_add(&rb, name);
            if (r == ST_ELIMIT)
                rc = cli_fail(s->cli, loc, "INVALID_ARGUMENT", "name too long to remove");
            else if (r)
                rc = r;
        } else if (unlink(path) != 0) {
            rc = cli_fail(s->cli, path, st_err_status_name(cli_errno_err(errno)),
                          "cannot delete '%s': %s", path, strerror(errno));
        } else {
            (*deleted)++;
            if (cli_talk(s->cli))
                printf("deleted  %s\n", path);
        }
    }
    if (s->up) {
        int r = rmbatch_flush(&rb);
        rc = r ? r : rc;
        *deleted = rb.removed;
        if (!r && rb.removed && cli_talk(s->cli))
            printf("deleted  %lld file(s) under %s\n", (long long)rb.removed, s->base);
    }
    return rc;
}

static void summary(struct sync *s, const struct sync_plan *p, int64_t deleted)
{
    int64_t copied =
        s->dry ? (int64_t)(p->count[SYNC_NEW] + p->count[SYNC_CHANGED]) : atomic_load(&s->copied);
    const char *verb = s->up ? "uploaded" : "downloaded";
    if (s->dry)
        deleted = (int64_t)p->count[SYNC_DELETE];
    if (s->cli->json) {
        json_t *o =
            json_pack("{s:I,s:I,s:I,s:b}", verb, (json_int_t)copied, "deleted", (json_int_t)deleted,
                      "unchanged", (json_int_t)p->count[SYNC_SAME], "dry_run", s->dry);
        out_print_json(o);
    } else if (cli_talk(s->cli)) {
        printf("sync%s: %lld %s, %lld %s, %lld unchanged\n",
               s->dry ? " (dry run, nothing changed)" : "", (long long)copied,
               s->dry ? (s->up ? "to upload" : "to download") : verb, (long long)deleted,
               s->dry ? "to delete" : "deleted", (long long)p->count[SYNC_SAME]);
    }
}

/* ------------------------------------------------------------ arguments */

static int parse(struct cli *cli, int argc, char **argv, struct sync *s, const char **pattern,
                 int *parallel)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTIONS,
                                         {"delete", no_argument, NULL, O_DELETE},
                                         {"dry-run", no_argument, NULL, O_DRY_RUN},
                                         {"parallel", required_argument, NULL, O_PARALLEL},
                                         FILTER_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    static struct filter f;
    int c;
    while ((c = cli_getopt(cli, argc, argv, opts)) >= 0) {
        if (c == O_DELETE) {
            s->del = true;
        } else if (c == O_DRY_RUN) {
            s->dry = true;
        } else if (c == O_PARALLEL) {
            int rc = cli_parse_parallel(cli, optarg, parallel);
            if (rc)
                return rc;
        } else {
            filter_opt(&f, c, optarg);
        }
    }
    if (c != -1)
        return CLI_OPT_EXIT(c);
    if ((c = filter_pattern(cli, &f, pattern)) != 0)
        return c;
    return -1;
}

/* DIR and @LOC in either order: the direction, the directory, the base. */
static int endpoints(struct cli *cli, char **argv, struct sync *s)
{
    const char *a = argv[0], *b = argv[1];
    if ((a[0] == '@') == (b[0] == '@'))
        return cli_usage(cli, "expected a local DIR and a @STAGE/PREFIX/, one of each");
    s->up = b[0] == '@';
    const char *loc = s->up ? b : a;
    static char dir[PATH_LEN];
    snprintf(dir, sizeof(dir), "%s", s->up ? a : b);
    while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
        dir[strlen(dir) - 1] = '\0';
    s->dir = dir;
    size_t sl = strcspn(loc, "/"), len = strlen(loc);
    bool slash = loc[len - 1] == '/' || !loc[sl];
    if ((size_t)snprintf(s->base, sizeof(s->base), "%s%s", loc, slash && loc[sl] ? "" : "/") >=
        sizeof(s->base))
        return cli_usage(cli, "location too long");
    s->strip = strlen(s->base) - sl - 1;
    return 0;
}

static int sync_run(struct sync *s, const char *pattern, int parallel)
{
    struct sync_plan plan;
    char err[300];
    int64_t deleted = 0;
    int rc = 0;
    if (pattern && pattern_compile(&s->filter, pattern, err, sizeof(err)) != 0)
        return cli_usage(s->cli, "%s", err);
    if ((rc = list_local(s)) != 0 || (rc = list_remote(s, pattern)) != 0)
        return rc;
    sync_list_sort(&s->local);
    sync_list_sort(&s->remote);
    if (sync_plan_make(s->up ? &s->local : &s->remote, s->up ? &s->remote : &s->local, s->del,
                       hash_local, s, &plan) != 0)
        return cli_fail(s->cli, "sync", "RESOURCE_EXHAUSTED", "out of memory");
    if (s->dry) {
        for (size_t i = 0; i < plan.n; i++)
            if (plan.v[i].action != SYNC_SAME)
                print_step(s, &plan.v[i]);
    } else {
        rc = copy_all(s, &plan, parallel);
        int r = delete_all(s, &plan, &deleted);
        rc = r > rc ? r : rc;
    }
    summary(s, &plan, deleted);
    sync_plan_cleanup(&plan);
    return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
    static struct sync s; /* shared with the pool threads */
    const char *pattern = NULL;
    int parallel = 4;
    memset(&s, 0, sizeof(s));
    s.cli = cli;
    int rc = parse(cli, argc, argv, &s, &pattern, &parallel);
    if (rc >= 0)
        return rc;
    if (argc - optind != 2)
        return cli_usage(cli, "expected DIR @STAGE/PREFIX/ or @STAGE/PREFIX/ DIR");
    if ((rc = endpoints(cli, argv + optind, &s)) != 0)
        return rc;
    rc = sync_run(&s, pattern, parallel);
    sync_list_cleanup(&s.local);
    sync_list_cleanup(&s.remote);
    pattern_free(s.filter);
    return rc;
}

const struct cli_cmd cmd_sync = {
    "sync", run, "make a stage prefix match a local directory, or the reverse", usage};
