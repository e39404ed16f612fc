/* lthrottle.c - failed-login throttle decisions (see lthrottle.h). */
#include "lthrottle.h"

#include <stdio.h>

static int64_t at_least_1(int64_t s)
{
    return s < 1 ? 1 : s;
}

enum lthrottle_verdict lthrottle_check(const struct lthrottle_view *v, int64_t now_ms,
                                       int64_t *retry_s)
{
    *retry_s = 0;
    if (v->pair_until_ms > now_ms) {
        /* round up: "retry in 60 s" must be true when retried then */
        *retry_s = at_least_1((v->pair_until_ms - now_ms + 999) / 1000);
        return LTHROTTLE_PAIR;
    }
    if (v->peer_fails >= LTHROTTLE_PEER_MAX) {
        *retry_s = at_least_1(v->peer_ttl_s);
        return LTHROTTLE_PEER;
    }
    if (v->user_fails >= LTHROTTLE_USER_MAX && !v->known) {
        *retry_s = at_least_1(v->user_ttl_s);
        return LTHROTTLE_USER;
    }
    return LTHROTTLE_ALLOW;
}

int64_t lthrottle_lock_s(long long level)
{
    int64_t s = LTHROTTLE_LOCK_BASE_S;
    for (long long i = 1; i < level && s < LTHROTTLE_LOCK_CAP_S; i++)
        s *= 2;
    return s < LTHROTTLE_LOCK_CAP_S ? s : LTHROTTLE_LOCK_CAP_S;
}

void lthrottle_after_fail(const struct lthrottle_view *v, long long fails, int64_t now_ms,
                          struct lthrottle_next *out)
{
    out->lock = fails >= LTHROTTLE_PAIR_MAX;
    out->level = v->pair_level;
    out->until_ms = v->pair_until_ms;
    if (out->lock) {
        out->level = (v->pair_level > 0 ? v->pair_level : 0) + 1;
        out->until_ms = now_ms + lthrottle_lock_s(out->level) * 1000;
    }
    /* the level is remembered for FORGET_S after the lock, or after this
     * failure if it did not lock, so a patient guesser keeps doubling */
    int64_t from = out->until_ms > now_ms ? out->until_ms : now_ms;
    out->expire_ms = from - now_ms + (int64_t)LTHROTTLE_FORGET_S * 1000;
}

void lthrottle_message(enum lthrottle_verdict verdict, int64_t retry_s, const char *user, char *buf,
                       size_t n)
{
    char who[96] = "";
    if (user && *user)
        snprintf(who, sizeof(who), " for user '%.64s'", user);
    switch (verdict) {
    case LTHROTTLE_PAIR:
        snprintf(buf, n, "too many failed logins%s from this address: retry in %lld s", who,
                 (long long)retry_s);
        break;
    case LTHROTTLE_PEER:
        snprintf(buf, n, "too many failed logins from this address: retry in %lld s",
                 (long long)retry_s);
        break;
    case LTHROTTLE_USER:
        snprintf(buf, n,
                 "too many failed logins%s from many addresses: only addresses that logged in "
                 "as this user before may try for %lld s",
                 who, (long long)retry_s);
        break;
    default:
        snprintf(buf, n, "%s", "");
    }
}
