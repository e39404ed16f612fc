/* authz.c - stage privileges (see authz.h). */
#include "authz.h"

#include "err.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

bool authz_owns(const char *user, int64_t since, const char *owner, int64_t made)
{
    if (!user || !owner || !user[0] || strcmp(user, owner) != 0)
        return false;
    return since <= 0 || made <= 0 || made >= since;
}

unsigned authz_effective(const struct authz_principal *p, const struct authz_stage *s,
                         unsigned granted)
{
    if (!p || !p->user || !p->user[0] || !s || !s->name)
        return 0;
    if (strcmp(s->name, "~") == 0)
        return AUTHZ_ALL; /* "~" always resolves to the caller's own stage */
    if (!s->exists)
        return 0;
    if (p->admin || authz_owns(p->user, p->since, s->owner, s->created_on))
        return AUTHZ_ALL | AUTHZ_OWN;
    return granted & AUTHZ_ALL; /* a grant never carries OWN */
}

int authz_check(const struct authz_principal *p, const struct authz_stage *s, unsigned granted,
                unsigned need)
{
    if (s && s->name && strcmp(s->name, "~") != 0 && !s->exists)
        return ST_ENOTFOUND;
    if (need == 0)
        need = AUTHZ_READ; /* asking for nothing still needs to see the stage */
    unsigned have = authz_effective(p, s, granted);
    return (have & need) == need ? 0 : ST_EPERM;
}

const char *authz_bits_name(unsigned bits)
{
    switch (bits & AUTHZ_ALL) {
    case AUTHZ_READ:
        return "READ";
    case AUTHZ_WRITE:
        return "WRITE";
    case AUTHZ_ALL:
        return "ALL";
    default:
        return "NONE";
    }
}

unsigned authz_bits_parse(const char *s)
{
    if (!s)
        return 0;
    if (strcasecmp(s, "READ") == 0)
        return AUTHZ_READ;
    if (strcasecmp(s, "WRITE") == 0)
        return AUTHZ_WRITE;
    if (strcasecmp(s, "ALL") == 0)
        return AUTHZ_ALL;
    return 0;
}
