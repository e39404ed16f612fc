/* fiber.h - stackful coroutines for the frontend's call handlers.
 *
 * A call handler is straight-line code (read the request, ask Redis, send a
 * message, wait for a job). On the event loop each of those waits is a
 * yield: the fiber's stack keeps the handler's state, and the loop resumes
 * the fiber when the completion it waits for arrives. So no call holds a
 * thread while it waits, and a handler still reads top to bottom.
 *
 * Stacks are mmap'ed with a guard page below them; only the pages a handler
 * touches are resident. Freed stacks are kept in a small pool (their pages
 * given back with MADV_DONTNEED past the first few).
 *
 * Threads: a fiber is created, resumed and freed on one thread (the loop
 * thread); fiber_yield() only from inside a fiber. Nothing here locks. */
#ifndef STAGE_FE_FIBER_H
#define STAGE_FE_FIBER_H

#include <stdbool.h>
#include <stddef.h>

struct fiber;

typedef void(fiber_fn)(void *arg);

/* A fiber that will run fn(arg) on a stack of `stack_bytes` (rounded up to
 * pages) when first resumed. NULL when out of memory. */
struct fiber *fiber_new(fiber_fn *fn, void *arg, size_t stack_bytes);

/* Run the fiber until it yields or returns. Not from inside a fiber.
 * Returns true once fn has returned (the fiber may then be freed). */
bool fiber_resume(struct fiber *f);

/* Give control back to the fiber_resume() that ran the current fiber. */
void fiber_yield(void);

/* The fiber running on this thread, or NULL outside any fiber. */
struct fiber *fiber_current(void);

/* True once fn has returned. */
bool fiber_done(const struct fiber *f);

/* Release a fiber that is done or was never started. Accepts NULL. */
void fiber_free(struct fiber *f);

/* Stacks alive (for /metrics and tests). */
long fiber_count(void);

#endif
