/*
 * pool.h -- an ordered worker pool.
 *
 * Items are submitted from one thread, processed by N worker threads in any
 * order, and handed back (emitted) on the submitting thread in submission
 * order. Output of a parallel run is therefore byte-identical to a run with
 * one thread, which is what an examiner needs to compare two runs.
 *
 * The window of items in flight is bounded, so submitting blocks when
 * workers fall behind and memory stays flat on trees of any size.
 */
#ifndef WARD_POOL_H
#define WARD_POOL_H

#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_pool ward_pool;

/* Runs on a worker thread; `worker` is that thread's own state. */
typedef void (*ward_pool_work_fn)(void *worker, void *item);
/* Runs on the submitting thread, in submission order. */
typedef void (*ward_pool_emit_fn)(void *ctx, void *item);

/* `workers` holds `threads` per-thread states (may be NULL entries).
 * NULL on failure to allocate or start threads. */
ward_pool *ward_pool_new(int threads, void **workers, ward_pool_work_fn work,
                         ward_pool_emit_fn emit, void *emit_ctx);
/* Queue one item; emits any items already finished in order. */
void ward_pool_submit(ward_pool *p, void *item);
/* Wait for every item, emit the rest, stop the threads, free the pool. */
void ward_pool_finish(ward_pool *p);

/* Number of online CPUs (at least 1). */
int ward_cpu_count(void);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
