#include "CRNNKernels.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

// A fork-join pool for work of a few tens of microseconds (one sentence's products), where
// waking a thread through the system (a condition variable, Dispatch) costs as much as the work.
// Workers spin on one atomic word for a while after each job, so the next job a few µs later
// starts without a system call; then they park on a condition variable.
//
// The job word packs generation (32 bits), part count (16) and next unclaimed part (16), so a
// worker's claim (one compare-and-swap) names the job it belongs to: a part is claimed only
// while its job is live, and the job's function and context are read after the claim.

#define RK_POOL_MAX_WORKERS 63
#define RK_POOL_SPIN_NS 100000  // 0.1 ms: covers the gaps between a sentence's products

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static int pool_workers = 0;                // started, guarded by pool_lock
static uint64_t pool_word = 0;              // gen << 32 | parts << 16 | next
static int pool_remaining = 0;              // parts of the live job not yet finished
static int pool_sleeping = 0;               // workers parked on pool_wake
static int pool_busy = 0;                   // a caller owns the pool
static rk_pool_task pool_fn = 0;
static void *pool_ctx = 0;
static _Thread_local int pool_depth = 0;    // > 0 inside a part: nested jobs run inline

static inline uint64_t word_gen(uint64_t w) { return w >> 32; }
static inline int word_parts(uint64_t w) { return (int)((w >> 16) & 0xffff); }
static inline int word_next(uint64_t w) { return (int)(w & 0xffff); }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Claims and runs parts of the live job until none is left; returns whether it ran any.
static int pool_drain(void) {
    int ran = 0;
    for (;;) {
        uint64_t w = __atomic_load_n(&pool_word, __ATOMIC_ACQUIRE);
        if (word_next(w) >= word_parts(w)) return ran;
        if (!__atomic_compare_exchange_n(&pool_word, &w, w + 1, 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
        rk_pool_task fn = pool_fn;
        void *ctx = pool_ctx;
        pool_depth++;
        fn(ctx, word_next(w));
        pool_depth--;
        __atomic_fetch_sub(&pool_remaining, 1, __ATOMIC_RELEASE);
        ran = 1;
    }
}

static int claimable(void) {
    uint64_t w = __atomic_load_n(&pool_word, __ATOMIC_SEQ_CST);
    return word_next(w) < word_parts(w);
}

static void *pool_worker(void *unused) {
    (void)unused;
    for (;;) {
        uint64_t start = now_ns();
        int spins = 0;
        while (!claimable()) {
            cpu_relax();
            if (++spins % 64 == 0 && now_ns() - start > RK_POOL_SPIN_NS) {
                pthread_mutex_lock(&pool_lock);
                __atomic_fetch_add(&pool_sleeping, 1, __ATOMIC_SEQ_CST);
                while (!claimable()) pthread_cond_wait(&pool_wake, &pool_lock);
                __atomic_fetch_sub(&pool_sleeping, 1, __ATOMIC_SEQ_CST);
                pthread_mutex_unlock(&pool_lock);
                break;
            }
        }
        pool_drain();
    }
    return 0;
}

// Starts workers until `count` run; returns how many do (fewer if the system refuses threads).
static int pool_grow(int count) {
    if (count > RK_POOL_MAX_WORKERS) count = RK_POOL_MAX_WORKERS;
    pthread_mutex_lock(&pool_lock);
    while (pool_workers < count) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, pool_worker, 0);
        pthread_attr_destroy(&attr);
        if (failed) break;
        pool_workers++;
    }
    int n = pool_workers;
    pthread_mutex_unlock(&pool_lock);
    return n;
}

static void run_inline(int parts, rk_pool_task fn, void *ctx) {
    pool_depth++;
    for (int p = 0; p < parts; p++) fn(ctx, p);
    pool_depth--;
}

void rk_pool_run(int parts, int workers, rk_pool_task fn, void *ctx) {
    if (parts <= 0) return;
    int expected = 0;
    // One part, a nested call, or another thread holding the pool: the parts run here, in order.
    if (parts == 1 || parts > 0xffff || pool_depth > 0 ||
        !__atomic_compare_exchange_n(&pool_busy, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        run_inline(parts, fn, ctx);
        return;
    }
    if (pool_grow(workers < parts - 1 ? workers : parts - 1) == 0) {
        __atomic_store_n(&pool_busy, 0, __ATOMIC_RELEASE);
        run_inline(parts, fn, ctx);
        return;
    }
    pool_fn = fn;
    pool_ctx = ctx;
    __atomic_store_n(&pool_remaining, parts, __ATOMIC_RELAXED);
    uint64_t gen = word_gen(__atomic_load_n(&pool_word, __ATOMIC_RELAXED)) + 1;
    __atomic_store_n(&pool_word, gen << 32 | (uint64_t)parts << 16, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&pool_sleeping, __ATOMIC_SEQ_CST) > 0) {
        pthread_mutex_lock(&pool_lock);
        pthread_cond_broadcast(&pool_wake);
        pthread_mutex_unlock(&pool_lock);
    }
    pool_drain();
    while (__atomic_load_n(&pool_remaining, __ATOMIC_ACQUIRE) > 0) cpu_relax();
    __atomic_store_n(&pool_busy, 0, __ATOMIC_RELEASE);
}

int rk_pool_in_part(void) { return pool_depth > 0; }
