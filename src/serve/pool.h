/*
 * The upload workers of `ward serve` (pool.c): a fixed number of threads and
 * a bounded queue. Use: svc_pool_reserve (-1: full, answer 503), then make
 * the job ready to be run (suspend the connection), then svc_pool_submit,
 * which cannot fail once a slot is reserved.
 */
#ifndef WARD_SERVE_POOL_H
#define WARD_SERVE_POOL_H

#include <ward/ward.h>

typedef struct svc_pool svc_pool;
typedef void (*svc_job_fn)(void *arg);

/* workers threads; queue jobs may wait beyond those running. */
ward_status svc_pool_start(int workers, int queue, svc_pool **out, ward_error *err);
/* Take a slot: 0, or -1 when workers + queue jobs are already in (or the
 * pool is stopping). */
int svc_pool_reserve(svc_pool *p);
/* Queue fn(arg) in the slot reserved; once it returned and the slot is
 * free again, done(arg) runs (on the same worker). */
void svc_pool_submit(svc_pool *p, svc_job_fn fn, svc_job_fn done, void *arg);
/* Jobs running and jobs waiting now (metrics). */
void svc_pool_load(svc_pool *p, int *running, int *waiting);
/* Run what is queued and join the workers; reserve refuses from then on,
 * and the pool stays valid for callers still holding it (NULL: no-op). */
void svc_pool_stop(svc_pool *p);
/* Stop, then free (NULL: no-op). */
void svc_pool_free(svc_pool *p);

#endif
