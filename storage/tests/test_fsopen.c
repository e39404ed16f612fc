/* Unit tests for storage/fs/fsopen.c: opening beneath a directory with no link
 * followed, by openat2 and by the component walk, with the same errno. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsopen.h"

struct fx {
    char root[64], out[64];
    int rootfd;
};

static void mk(const struct fx *f, const char *rel, bool dir)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->root, rel);
    if (dir) {
        assert_int_equal(mkdir(path, 0755), 0);
    } else {
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs("x", fp);
        fclose(fp);
    }
}

static int setup(void **st)
{
    struct fx *f = calloc(1, sizeof(*f));
    char path[256];
    snprintf(f->root, sizeof(f->root), "/tmp/stage-fsopen.XXXXXX");
    snprintf(f->out, sizeof(f->out), "/tmp/stage-fsopen-out.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    assert_non_null(mkdtemp(f->out));
    snprintf(path, sizeof(path), "%s/secret", f->out);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    mk(f, "a", true);
    mk(f, "a/b", true);
    mk(f, "a/b/file", false);
    snprintf(path, sizeof(path), "%s/a/out", f->root);
    assert_int_equal(symlink(f->out, path), 0); /* a directory link out */
    snprintf(path, sizeof(path), "%s/a/flink", f->root);
    assert_int_equal(symlink("b/file", path), 0); /* a link that stays inside */
    f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY);
    assert_true(f->rootfd >= 0);
    *st = f;
    return 0;
}

static int teardown(void **st)
{
    struct fx *f = *st;
    char cmd[200];
    close(f->rootfd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", f->root, f->out);
    assert_int_equal(system(cmd), 0);
    fsopen_force_walk(false);
    free(f);
    return 0;
}

/* errno of fsopen_beneath(path), 0 if it opened. */
static int open_errno(const struct fx *f, const char *path, int flags)
{
    int fd = fsopen_beneath(f->rootfd, path, flags, 0644);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno;
}

static void cases(const struct fx *f)
{
    static const struct {
        const char *path;
        int flags;
        int want;
    } c[] = {
        {"a/b/file", O_RDONLY, 0},
        {"a/b/", O_RDONLY | O_DIRECTORY, 0},
        {"", O_RDONLY | O_DIRECTORY, 0},
        {"a//b/file", O_RDONLY, 0},
        {"a/out/secret", O_RDONLY, ELOOP}, /* a link on the way */
        {"a/out", O_RDONLY | O_DIRECTORY, ELOOP},
        {"a/out", O_RDONLY, ELOOP},   /* the last component a link */
        {"a/flink", O_RDONLY, ELOOP}, /* even one that stays inside */
        {"a/out/new", O_WRONLY | O_CREAT | O_EXCL, ELOOP},
        {"../x", O_RDONLY, EXDEV},
        {"a/../a/b/file", O_RDONLY, EXDEV},
        {"/etc/hostname", O_RDONLY, EXDEV},
        {"a/nope", O_RDONLY, ENOENT},
        {"a/b/file/x", O_RDONLY, ENOTDIR},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int got = open_errno(f, c[i].path, c[i].flags);
        if (got != c[i].want)
            fail_msg("'%s': errno %d (%s), want %d (%s)", c[i].path, got, strerror(got), c[i].want,
                     strerror(c[i].want));
    }
    /* created beneath, nothing outside */
    assert_int_equal(open_errno(f, "a/b/made", O_WRONLY | O_CREAT | O_EXCL), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/a/b/made", f->root);
    assert_int_equal(unlink(path), 0);
}

static void test_openat2(void **st)
{
    cases(*st);
}

static void test_walk(void **st)
{
    fsopen_force_walk(true);
    cases(*st);
}

static void test_parent(void **st)
{
    struct fx *f = *st;
    const char *name = NULL;
    struct stat sb;
    int fd = fsopen_parent(f->rootfd, "a/b/file", &name);
    assert_true(fd >= 0);
    assert_string_equal(name, "file");
    assert_int_equal(fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW), 0);
    close(fd);
    fd = fsopen_parent(f->rootfd, "top", &name);
    assert_true(fd >= 0);
    assert_string_equal(name, "top");
    close(fd);
    assert_int_equal(fsopen_parent(f->rootfd, "a/out/secret", &name), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(fsopen_parent(f->rootfd, "a/..", &name), -1);
    assert_int_equal(errno, EXDEV);
}

static void test_mkdirs(void **st)
{
    struct fx *f = *st;
    char path[256];
    assert_int_equal(fsopen_mkdirs(f->rootfd, "n/m/o", 0755), 0);
    snprintf(path, sizeof(path), "%s/n/m/o", f->root);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(fsopen_mkdirs(f->rootfd, "n/m/o", 0755), 0); /* exists: fine */
    assert_int_equal(fsopen_mkdirs(f->rootfd, "a/out/evil", 0755), -1);
    assert_int_equal(errno, ELOOP);
    snprintf(path, sizeof(path), "%s/evil", f->out);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(fsopen_mkdirs(f->rootfd, "a/b/file/x", 0755), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(fsopen_mkdirs(f->rootfd, "../up", 0755), -1);
    assert_int_equal(errno, EXDEV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_openat2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
