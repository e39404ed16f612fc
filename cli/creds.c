/* creds.c - token file, environment credentials, password prompt (see creds.h). */
#include "creds.h"

#include "err.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define TOKEN_MAX 1024

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int errf(char *err, size_t errlen, int rc, const char *what, const char *path)
{
    snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errno));
    return rc;
}

/* The default profile keeps the files where stagectl always kept them
 * (so old token files go on working); named ones get a directory each. */
static bool is_default(const char *profile)
{
    return !profile || !*profile || strcmp(profile, CREDS_DEFAULT_PROFILE) == 0;
}

/* $XDG_CONFIG_HOME/stagectl/<sub>, else $HOME/.config/stagectl/<sub>. */
static int config_dir_path(const char *sub, char *buf, size_t n, char *err, size_t errlen)
{
    const char *xdg = env("XDG_CONFIG_HOME");
    const char *home = env("HOME");
    int len;
    if (xdg)
        len = snprintf(buf, n, "%s/stagectl/%s", xdg, sub);
    else if (home)
        len = snprintf(buf, n, "%s/.config/stagectl/%s", home, sub);
    else {
        snprintf(err, errlen, "neither HOME nor XDG_CONFIG_HOME is set");
        return ST_ENOTFOUND;
    }
    if (len < 0 || (size_t)len >= n) {
        snprintf(err, errlen, "the config file path is too long");
        return ST_EINVAL;
    }
    return 0;
}

/* File `name` of `profile`: stagectl/<name> or stagectl/profiles/<profile>/<name>. */
static int config_path(const char *profile, const char *name, char *buf, size_t n, char *err,
                       size_t errlen)
{
    char sub[300];
    if (is_default(profile))
        return config_dir_path(name, buf, n, err, errlen);
    if (!creds_profile_valid(profile)) {
        snprintf(err, errlen, "bad profile name '%s' (letters, digits and . _ - @ : only)",
                 profile);
        return ST_EINVAL;
    }
    snprintf(sub, sizeof(sub), "profiles/%s/%s", profile, name);
    return config_dir_path(sub, buf, n, err, errlen);
}

bool creds_profile_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > CREDS_PROFILE_MAX || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-@:", *p))
            return false;
    return true;
}

int creds_token_path(const char *profile, char *buf, size_t n, char *err, size_t errlen)
{
    return config_path(profile, "token", buf, n, err, errlen);
}

/* mkdir -p for the directories above `path`, mode 0700. */
static int make_parents(const char *path, char *err, size_t errlen)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return errf(err, errlen, ST_EIO, "cannot create", dir);
        *p = '/';
    }
    return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Write `text` + "\n" to config file `name` of `profile` (mode 0600, temp + rename). */
static int save_file(const char *profile, const char *name, const char *text, char *path,
                     size_t pathlen, char *err, size_t errlen)
{
    char tmp[1100];
    int rc = config_path(profile, name, path, pathlen, err, errlen);
    if (!rc)
        rc = make_parents(path, err, errlen);
    if (rc)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errf(err, errlen, ST_EIO, "cannot create", tmp);
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, strlen(text)) != 0 ||
        write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        rc = errf(err, errlen, ST_EIO, "cannot write", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        rc = errf(err, errlen, ST_EIO, "cannot rename to", path);
        unlink(tmp);
    }
    return rc;
}

int creds_save_token(const char *profile, const char *token, char *path, size_t pathlen, char *err,
                     size_t errlen)
{
    return save_file(profile, "token", token, path, pathlen, err, errlen);
}

int creds_save_server(const char *profile, const char *server, char *err, size_t errlen)
{
    char path[1024];
    return save_file(profile, "server", server, path, sizeof(path), err, errlen);
}

/* The first line of config file `name`; ST_ENOTFOUND if there is none. */
static int read_file(const char *profile, const char *name, char *buf, size_t n, char *err,
                     size_t errlen)
{
    char path[1024];
    int rc = config_path(profile, name, path, sizeof(path), err, errlen);
    if (rc)
        return rc;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? ST_ENOTFOUND : errf(err, errlen, ST_EIO, "cannot read", path);
    size_t got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] ? 0 : ST_ENOTFOUND;
}

static int basic(char *buf, size_t n, const char *user, const char *pass, char *err, size_t errlen)
{
    char plain[600];
    unsigned char b64[820];
    int len = snprintf(plain, sizeof(plain), "%s:%s", user, pass);
    if (len < 0 || (size_t)len >= sizeof(plain) || strchr(user, ':')) {
        snprintf(err, errlen, "STAGE_USER must not contain ':' and the pair must be short");
        return ST_EINVAL;
    }
    EVP_EncodeBlock(b64, (const unsigned char *)plain, len);
    memset(plain, 0, sizeof(plain));
    if ((size_t)snprintf(buf, n, "Basic %s", (const char *)b64) >= n) {
        snprintf(err, errlen, "credentials too long");
        return ST_EINVAL;
    }
    return 0;
}

/* A token file others may read is still used (like a shell history), but
 * named, so that its owner tightens it. */
static void warn_mode(const char *profile)
{
    char path[1024], err[300];
    struct stat sb;
    if (config_path(profile, "token", path, sizeof(path), err, sizeof(err)) == 0 &&
        stat(path, &sb) == 0 && (sb.st_mode & 077))
        fprintf(stderr, "stagectl: warning: the token file %s has mode %03o; run chmod 600 %s\n",
                path, (unsigned)(sb.st_mode & 0777), path);
}

int creds_authorization(const char *flag_token, const char *profile, char *buf, size_t n, char *err,
                        size_t errlen)
{
    char token[TOKEN_MAX];
    const char *t = flag_token && *flag_token ? flag_token : env("STAGE_TOKEN");
    buf[0] = '\0';
    if (!t && env("STAGE_USER") && env("STAGE_PASSWORD"))
        return basic(buf, n, env("STAGE_USER"), env("STAGE_PASSWORD"), err, errlen);
    if (!t) {
        int rc = read_file(profile, "token", token, sizeof(token), err, errlen);
        if (rc == ST_ENOTFOUND)
            return 0;
        if (rc)
            return rc;
        warn_mode(profile);
        t = token;
    }
    if ((size_t)snprintf(buf, n, "Bearer %s", t) >= n) {
        snprintf(err, errlen, "the token is too long");
        return ST_EINVAL;
    }
    return 0;
}

int creds_read_server(const char *profile, char *buf, size_t n)
{
    char err[300];
    return read_file(profile, "server", buf, n, err, sizeof(err));
}

void creds_profile_default_name(const char *user, const char *server, char *buf, size_t n)
{
    snprintf(buf, n, "%s@%s", user, server);
    for (char *p = buf; *p; p++) /* a unix: socket path or odd user name stays one directory */
        if (!isalnum((unsigned char)*p) && !strchr("._-@:", *p))
            *p = '_';
}

/* The names of the profiles "<user>@*" (the first `max` into `out`).
 * Returns how many there are. */
static int profiles_of(const char *user, char out[][CREDS_PROFILE_MAX + 1], int max)
{
    char dir[1024], err[300];
    size_t ulen = strlen(user);
    int k = 0;
    if (config_dir_path("profiles", dir, sizeof(dir), err, sizeof(err)))
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, user, ulen) == 0 && e->d_name[ulen] == '@' &&
            creds_profile_valid(e->d_name)) {
            if (k < max) /* valid: at most CREDS_PROFILE_MAX bytes */
                memcpy(out[k], e->d_name, strlen(e->d_name) + 1);
            k++;
        }
    closedir(d);
    return k;
}

int creds_profile_find(const char *want, const char *server, char *buf, size_t n, char *err,
                       size_t errlen)
{
    char path[1024], found[8][CREDS_PROFILE_MAX + 1];
    struct stat sb;
    if (is_default(want)) {
        snprintf(buf, n, "%s", CREDS_DEFAULT_PROFILE);
        return 0;
    }
    int rc = config_path(want, "", path, sizeof(path), err, errlen);
    if (rc)
        return rc;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(buf, n, "%s", want);
        return 0;
    }
    /* a user name: the one profile of that user, or the one on `server` */
    int k = strchr(want, '@') ? 0 : profiles_of(want, found, 8);
    for (int i = 0; server && i < k && i < 8; i++)
        if (strcmp(strchr(found[i], '@') + 1, server) == 0) {
            snprintf(buf, n, "%s", found[i]);
            return 0;
        }
    if (k == 1) {
        snprintf(buf, n, "%s", found[0]);
        return 0;
    }
    if (k > 1) {
        snprintf(err, errlen,
                 "profile '%s' is ambiguous (%s, %s%s): name it in full or add --server", want,
                 found[0], found[1], k > 2 ? ", ..." : "");
        return ST_EINVAL;
    }
    snprintf(err, errlen, "no profile '%s': run 'stagectl login USER --profile %s'", want, want);
    return ST_ENOTFOUND;
}

int creds_prompt_password(const char *prompt, char *buf, size_t n, char *err, size_t errlen)
{
    struct termios old, quiet;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0 || !isatty(fd)) {
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen,
                 "no terminal to ask for the password; use --password or STAGE_PASSWORD");
        return ST_ENOTFOUND;
    }
    int rc = 0;
    if (write_all(fd, prompt, strlen(prompt)) != 0 || tcgetattr(fd, &old) != 0)
        rc = ST_EIO;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    if (!rc && tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
        rc = ST_EIO;
    size_t len = 0;
    while (!rc && len + 1 < n) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || ch == '\n' || ch == '\r')
            break;
        buf[len++] = ch;
    }
    buf[len] = '\0';
    if (!rc) {
        tcsetattr(fd, TCSAFLUSH, &old);
        write_all(fd, "\n", 1);
    } else {
        snprintf(err, errlen, "cannot read the password from the terminal: %s", strerror(errno));
    }
    close(fd);
    return rc;
}
