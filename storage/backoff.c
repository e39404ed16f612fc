/* backoff.c - retry delays of the object-store backends (see backoff.h). */
#include "backoff.h"

#include <openssl/rand.h>

long backoff_ms(int attempt)
{
    unsigned char rnd = 0;
    RAND_bytes(&rnd, 1);
    long ms = 100L << (attempt < 6 ? (attempt < 0 ? 0 : attempt) : 6);
    if (ms > 5000)
        ms = 5000;
    return ms / 2 + (ms / 2) * rnd / 255;
}
