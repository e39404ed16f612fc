/* helpwords.c - the words of a --help text (see helpwords.h). */
#include "helpwords.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void helpwords_add(char *buf, size_t n, const char *w, size_t len)
{
    size_t have = strlen(buf);
    for (const char *p = buf; *p;) {
        size_t l = strcspn(p, " ");
        if (l == len && strncmp(p, w, len) == 0)
            return;
        p += l;
        if (*p == ' ')
            p++;
    }
    if (have + len + 2 > n)
        return; /* the lists are sized for the help texts; a cut list still completes */
    snprintf(buf + have, n - have, "%s%.*s", have ? " " : "", (int)len, w);
}

void helpwords_subcommands(const char *usage, const char *name, char *buf, size_t n)
{
    char head[64];
    size_t hl = (size_t)snprintf(head, sizeof(head), "stagectl %s ", name);
    buf[0] = '\0';
    for (const char *line = usage; line && *line;) {
        const char *s = line;
        if (strncmp(s, "usage:", 6) == 0)
            s += 6;
        while (*s == ' ')
            s++;
        if (strncmp(s, head, hl) == 0) {
            s += hl;
            size_t len = 0;
            while (islower((unsigned char)s[len]) || (len && s[len] == '-'))
                len++;
            if (len && (s[len] == ' ' || s[len] == '\n' || s[len] == '\0'))
                helpwords_add(buf, n, s, len);
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
}

void helpwords_options(const char *usage, char *buf, size_t n)
{
    buf[0] = '\0';
    for (const char *p = usage; *p; p++) {
        bool starts = p == usage || strchr(" [(|\n", p[-1]);
        if (!starts || p[0] != '-')
            continue;
        size_t len = 0;
        if (p[1] == '-' && islower((unsigned char)p[2])) { /* --long-option */
            len = 2;
            while (islower((unsigned char)p[len]) || isdigit((unsigned char)p[len]) ||
                   p[len] == '-')
                len++;
        } else if (isalpha((unsigned char)p[1]) && strchr(" ,]|\n", p[2])) { /* -r */
            len = 2;
        }
        if (len)
            helpwords_add(buf, n, p, len);
    }
}
