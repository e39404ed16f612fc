/* backoff.h - how long an object-store backend waits before sending a
 * failed request again: 100 ms doubling per attempt, capped at 5 s, with
 * jitter (a random time in the upper half), so that many workers retrying
 * together spread out. Thread-safe. */
#ifndef STAGE_BACKOFF_H
#define STAGE_BACKOFF_H

/* Milliseconds before attempt `attempt` + 1 (attempt 0: the first retry). */
long backoff_ms(int attempt);

#endif
