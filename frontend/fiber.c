/* fiber.c - ucontext coroutines with guarded, pooled mmap stacks (see
 * fiber.h). Under AddressSanitizer every switch is announced, so ASan
 * knows which stack is live (and its fake stacks stay right). */
#include "fiber.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif

#ifdef FIBER_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
#define SWITCH_START(save, bottom, size)  __sanitizer_start_switch_fiber(save, bottom, size)
#define SWITCH_FINISH(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define SWITCH_START(save, bottom, size)  ((void)(save), (void)(bottom), (void)(size))
#define SWITCH_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

/* Stacks kept for reuse; past POOL_WARM their pages go back to the kernel. */
#define POOL_MAX  64
#define POOL_WARM 8

struct fiber {
    ucontext_t ctx;
    fiber_fn *fn;
    void *arg;
    void *map; /* guard page + stack */
    size_t map_len;
    bool done, started;
    void *fake_stack; /* ASan */
};

struct thread_state {
    ucontext_t main_ctx;
    struct fiber *cur;
    const void *main_bottom; /* ASan: the thread's own stack */
    size_t main_size;
    void *main_fake;
    struct {
        void *map;
        size_t len;
        bool cold; /* pages given back */
    } pool[POOL_MAX];
    int npool;
};

static _Thread_local struct thread_state ts;
static atomic_long live;

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static void *stack_get(size_t len)
{
    if (ts.npool > 0 && ts.pool[ts.npool - 1].len == len)
        return ts.pool[--ts.npool].map; /* every stack has the same size */
    void *m =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    mprotect(m, page_size(), PROT_NONE); /* a stack overflow faults instead of corrupting */
    return m;
}

/* The pool is a stack: the last stack freed is the next one used, warm.
 * Only the POOL_WARM on top keep their pages; one that sinks below them
 * gives its pages back (cooling the stack being freed instead would make
 * every call of a busy frontend fault its frames in again). */
static void stack_put(void *map, size_t len)
{
    if (ts.npool == POOL_MAX) {
        munmap(map, len);
        return;
    }
    int sink = ts.npool - POOL_WARM;
    if (sink >= 0 && !ts.pool[sink].cold) {
        madvise((char *)ts.pool[sink].map + page_size(), ts.pool[sink].len - page_size(),
                MADV_DONTNEED);
        ts.pool[sink].cold = true;
    }
    ts.pool[ts.npool].map = map;
    ts.pool[ts.npool].cold = false;
    ts.pool[ts.npool++].len = len;
}

static void trampoline(void)
{
    struct fiber *f = ts.cur;
    SWITCH_FINISH(NULL, &ts.main_bottom, &ts.main_size);
    f->fn(f->arg);
    f->done = true;
    SWITCH_START(NULL, ts.main_bottom, ts.main_size); /* NULL: this stack is finished */
    setcontext(&ts.main_ctx);
}

/* Apart, so getcontext's "returns twice" clobbers nothing of fiber_new. */
__attribute__((noinline)) static void ctx_init(ucontext_t *ctx, void *sp, size_t size)
{
    getcontext(ctx);
    ctx->uc_stack.ss_sp = sp;
    ctx->uc_stack.ss_size = size;
    ctx->uc_link = NULL;
    makecontext(ctx, trampoline, 0);
}

struct fiber *fiber_new(fiber_fn *fn, void *arg, size_t stack_bytes)
{
    size_t pg = page_size();
    size_t len = ((stack_bytes + pg - 1) / pg + 1) * pg;
    struct fiber *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->map = stack_get(len);
    if (!f->map) {
        free(f);
        return NULL;
    }
    f->map_len = len;
    f->fn = fn;
    f->arg = arg;
    ctx_init(&f->ctx, (char *)f->map + pg, len - pg);
    atomic_fetch_add(&live, 1);
    return f;
}

bool fiber_resume(struct fiber *f)
{
    if (!f || f->done || ts.cur)
        return f ? f->done : true;
    ts.cur = f;
    f->started = true;
    SWITCH_START(&ts.main_fake, f->ctx.uc_stack.ss_sp, f->ctx.uc_stack.ss_size);
    swapcontext(&ts.main_ctx, &f->ctx);
    SWITCH_FINISH(ts.main_fake, NULL, NULL);
    ts.cur = NULL;
    return f->done;
}

void fiber_yield(void)
{
    struct fiber *f = ts.cur;
    if (!f)
        abort(); /* a wait outside a fiber is a bug: it would block the loop */
    SWITCH_START(&f->fake_stack, ts.main_bottom, ts.main_size);
    swapcontext(&f->ctx, &ts.main_ctx);
    SWITCH_FINISH(f->fake_stack, &ts.main_bottom, &ts.main_size);
}

struct fiber *fiber_current(void)
{
    return ts.cur;
}

bool fiber_done(const struct fiber *f)
{
    return f->done;
}

void fiber_free(struct fiber *f)
{
    if (!f)
        return;
    stack_put(f->map, f->map_len);
    atomic_fetch_sub(&live, 1);
    free(f);
}

long fiber_count(void)
{
    return atomic_load(&live);
}
