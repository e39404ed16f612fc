/* Unit tests for stagectl's pure parts: sizes and times (cli/out.c), JSON of
 * protobuf messages and their sub-messages by name, aligned tables (cli/table.c) and the precedence
 * of credentials and the token file's mode (cli/creds.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "err.h"
#include "out.h"
#include "table.h"

static void test_sizes(void **st)
{
    (void)st;
    char b[16];
    assert_string_equal(out_size(b, 0), "0 B");
    assert_string_equal(out_size(b, -5), "0 B");
    assert_string_equal(out_size(b, 1023), "1023 B");
    assert_string_equal(out_size(b, 1024), "1.0 KiB");
    assert_string_equal(out_size(b, 200000), "195.3 KiB");
    assert_string_equal(out_size(b, 5 << 20), "5.0 MiB");
    assert_string_equal(out_size(b, 3LL << 29), "1.5 GiB");
    assert_string_equal(out_size(b, 2LL << 40), "2.0 TiB");
}

static void test_times(void **st)
{
    (void)st;
    char b[32];
    assert_string_equal(out_time(b, 0), "-");
    setenv("TZ", "UTC", 1);
    tzset();
    assert_string_equal(out_time(b, 1700000000123LL), "2023-11-14 22:13:20");
}

static void test_job_json(void **st)
{
    (void)st;
    Stage__V1__Job j = STAGE__V1__JOB__INIT;
    j.id = "abc";
    j.kind = STAGE__V1__JOB_KIND__UPLOAD;
    j.state = STAGE__V1__JOB_STATE__SUCCEEDED;
    j.bytes_total = 1LL << 40;
    json_t *o = out_msg_json(&j.base);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(s, "\"kind\":\"UPLOAD\""));
    assert_non_null(strstr(s, "\"state\":\"SUCCEEDED\""));
    assert_non_null(strstr(s, "\"bytes_total\":1099511627776"));
    assert_non_null(strstr(s, "\"id\":\"abc\""));
    free(s);
    json_decref(o);
}

static void test_msg_sub(void **st)
{
    (void)st;
    Stage__V1__Job j = STAGE__V1__JOB__INIT;
    Stage__V1__CopyFilesResponse r = STAGE__V1__COPY_FILES_RESPONSE__INIT;
    assert_null(out_msg_sub(&r.base, "job", &stage__v1__job__descriptor)); /* unset */
    r.job = &j;
    assert_ptr_equal(out_msg_sub(&r.base, "job", &stage__v1__job__descriptor), &j.base);
    assert_null(out_msg_sub(&r.base, "job", &stage__v1__user__descriptor));  /* another type */
    assert_null(out_msg_sub(&r.base, "user", &stage__v1__user__descriptor)); /* no such field */
    assert_null(out_msg_sub(&j.base, "id", &stage__v1__job__descriptor));    /* a string */
    Stage__V1__ListUsersResponse l = STAGE__V1__LIST_USERS_RESPONSE__INIT;
    assert_null(out_msg_sub(&l.base, "users", &stage__v1__user__descriptor)); /* repeated */

    Stage__V1__DropStageResponse d = STAGE__V1__DROP_STAGE_RESPONSE__INIT;
    assert_string_equal(out_msg_string(&d.base, "job_id"), "");
    d.job_id = "j1";
    assert_string_equal(out_msg_string(&d.base, "job_id"), "j1");
    assert_string_equal(out_msg_string(&d.base, "nope"), "");
    assert_string_equal(out_msg_string(&j.base, "bytes_total"), ""); /* not a string */
}

static void test_map_and_oneof_json(void **st)
{
    (void)st;
    Stage__V1__Stage s = STAGE__V1__STAGE__INIT;
    Stage__V1__Stage__StorageParamsEntry e = STAGE__V1__STAGE__STORAGE_PARAMS_ENTRY__INIT;
    Stage__V1__Stage__StorageParamsEntry *pe = &e;
    e.key = "secret_access_key";
    e.value = "******";
    s.name = "s1";
    s.n_storage_params = 1;
    s.storage_params = &pe;
    json_t *o = out_msg_json(&s.base);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "storage_params"),
                                                          "secret_access_key")),
                        "******");
    json_decref(o);

    Stage__V1__UploadHeader h = STAGE__V1__UPLOAD_HEADER__INIT;
    Stage__V1__UploadFileRequest r = STAGE__V1__UPLOAD_FILE_REQUEST__INIT;
    h.location = "@~/a";
    r.msg_case = STAGE__V1__UPLOAD_FILE_REQUEST__MSG_HEADER;
    r.header = &h;
    o = out_msg_json(&r.base);
    assert_non_null(json_object_get(o, "header"));
    assert_null(json_object_get(o, "chunk")); /* the oneof's other member is absent */
    json_decref(o);
}

/* What `fn` prints on stdout. */
static char *capture(void (*fn)(void *), void *arg)
{
    static char buf[4096];
    char path[] = "/tmp/test_cli_out.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    fn(arg);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    unlink(path);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void print_table(void *t)
{
    table_print(t);
}

static void test_table(void **st)
{
    (void)st;
    static const char *const heads[] = {"NAME", ">SIZE", "NOTE"};
    struct table *t = table_new(3, heads);
    assert_non_null(t);
    const char *r1[] = {"a", "1.0 KiB", "x"};
    const char *r2[] = {"longer-name", "10 B", ""};
    const char *r3[] = {NULL, "0 B", "y"};
    assert_int_equal(table_add(t, r1), 0);
    assert_int_equal(table_add(t, r2), 0);
    assert_int_equal(table_add(t, r3), 0);
    assert_string_equal(capture(print_table, t), "NAME            SIZE  NOTE\n"
                                                 "a            1.0 KiB  x\n"
                                                 "longer-name     10 B\n" /* no blanks */
                                                 "-                0 B  y\n");
    table_free(t);
    assert_null(table_free(NULL));
    assert_null(table_new(0, heads));
}

static void test_table_cuts_long_cells(void **st)
{
    (void)st;
    static const char *const heads[] = {"A", "B"};
    char longcell[200];
    memset(longcell, 'x', sizeof(longcell) - 1);
    longcell[sizeof(longcell) - 1] = '\0';
    struct table *t = table_new(2, heads);
    const char *r[] = {longcell, "b"};
    assert_int_equal(table_add(t, r), 0);
    const char *out = capture(print_table, t);
    const char *line2 = strchr(out, '\n') + 1;
    assert_int_equal(strchr(line2, '\n') - line2, TABLE_CELL_MAX + 3); /* cell, 2 blanks, "b" */
    table_free(t);
}

static char g_home[64];

static int setup_home(void **st)
{
    (void)st;
    snprintf(g_home, sizeof(g_home), "/tmp/test_cli_home.XXXXXX");
    assert_non_null(mkdtemp(g_home));
    setenv("HOME", g_home, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("STAGE_TOKEN");
    unsetenv("STAGE_USER");
    unsetenv("STAGE_PASSWORD");
    return 0;
}

static int teardown_home(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_home);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_creds_precedence(void **st)
{
    (void)st;
    char hdr[1200], err[300], path[1024];
    struct stat sb;
    assert_int_equal(creds_authorization(NULL, NULL, hdr, sizeof(hdr), err, sizeof(err)), 0);
    assert_string_equal(hdr, ""); /* nothing anywhere */
    assert_int_equal(creds_save_token(NULL, "filetok", path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_non_null(strstr(path, "/.config/stagectl/token"));
    assert_int_equal(creds_authorization(NULL, NULL, hdr, sizeof(hdr), err, sizeof(err)), 0);
    assert_string_equal(hdr, "Bearer filetok");
    setenv("STAGE_USER", "u", 1);
    setenv("STAGE_PASSWORD", "p", 1);
    assert_int_equal(creds_authorization(NULL, NULL, hdr, sizeof(hdr), err, sizeof(err)), 0);
    assert_string_equal(hdr, "Basic dTpw"); /* base64("u:p") beats the file */
    setenv("STAGE_TOKEN", "envtok", 1);
    assert_int_equal(creds_authorization(NULL, NULL, hdr, sizeof(hdr), err, sizeof(err)), 0);
    assert_string_equal(hdr, "Bearer envtok");
    assert_int_equal(creds_authorization("flagtok", NULL, hdr, sizeof(hdr), err, sizeof(err)), 0);
    assert_string_equal(hdr, "Bearer flagtok");
    unsetenv("STAGE_TOKEN");
    unsetenv("STAGE_USER");
    unsetenv("STAGE_PASSWORD");
}

static void test_creds_server(void **st)
{
    (void)st;
    char buf[256], err[300];
    struct stat sb;
    char path[300];
    assert_int_equal(creds_read_server(NULL, buf, sizeof(buf)), ST_ENOTFOUND);
    assert_int_equal(creds_save_server(NULL, "10.0.0.1:7070", err, sizeof(err)), 0);
    assert_int_equal(creds_read_server(NULL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "10.0.0.1:7070");
    snprintf(path, sizeof(path), "%s/.config/stagectl/server", g_home);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/.config/stagectl", g_home);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
}

/* Two logins keep two sessions; --profile finds them by name or by user. */
static void test_creds_profiles(void **st)
{
    (void)st;
    char hdr[1200], err[300], path[1024], name[CREDS_PROFILE_MAX + 1];
    struct stat sb;
    creds_profile_default_name("root", "127.0.0.1:7070", name, sizeof(name));
    assert_string_equal(name, "root@127.0.0.1:7070");
    creds_profile_default_name("al/ice", "unix:/tmp/s", name, sizeof(name));
    assert_string_equal(name, "al_ice@unix:_tmp_s");
    assert_false(creds_profile_valid("../x"));
    assert_false(creds_profile_valid(".hidden"));
    assert_false(creds_profile_valid(""));
    assert_int_equal(creds_save_token("root@h:1", "roottok", path, sizeof(path), err, sizeof(err)),
                     0);
    assert_non_null(strstr(path, "/.config/stagectl/profiles/root@h:1/token"));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/.config/stagectl/profiles/root@h:1", g_home);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(
        creds_save_token("alice@h:1", "alicetok", path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(creds_save_token("alice@h:2", "alice2", path, sizeof(path), err, sizeof(err)),
                     0);
    assert_int_equal(creds_authorization(NULL, "root@h:1", hdr, sizeof(hdr), err, sizeof(err)), 0);
    assert_string_equal(hdr, "Bearer roottok");
    assert_int_equal(creds_authorization(NULL, "alice@h:1", hdr, sizeof(hdr), err, sizeof(err)), 0);
    assert_string_equal(hdr, "Bearer alicetok");
    assert_int_equal(creds_profile_find("root", NULL, name, sizeof(name), err, sizeof(err)), 0);
    assert_string_equal(name, "root@h:1");
    assert_int_equal(creds_profile_find("alice", NULL, name, sizeof(name), err, sizeof(err)),
                     ST_EINVAL); /* two servers */
    assert_non_null(strstr(err, "ambiguous"));
    assert_int_equal(creds_profile_find("alice", "h:2", name, sizeof(name), err, sizeof(err)), 0);
    assert_string_equal(name, "alice@h:2");
    assert_int_equal(creds_profile_find("bob", NULL, name, sizeof(name), err, sizeof(err)),
                     ST_ENOTFOUND);
    assert_int_equal(creds_profile_find(NULL, NULL, name, sizeof(name), err, sizeof(err)), 0);
    assert_string_equal(name, "default");
    assert_int_equal(creds_profile_find("../etc", NULL, name, sizeof(name), err, sizeof(err)),
                     ST_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_job_json),
        cmocka_unit_test(test_msg_sub),
        cmocka_unit_test(test_map_and_oneof_json),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_cuts_long_cells),
        cmocka_unit_test_setup_teardown(test_creds_precedence, setup_home, teardown_home),
        cmocka_unit_test_setup_teardown(test_creds_server, setup_home, teardown_home),
        cmocka_unit_test_setup_teardown(test_creds_profiles, setup_home, teardown_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
