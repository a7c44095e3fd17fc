/*
 * A bounded pool of worker threads for the requests that decode (uploads to
 * /v1/match and /v1/hash), so that decoding never runs on an event loop.
 *
 * Why bounded, and why refuse rather than wait: an event loop that blocked
 * on a full queue would stop answering the batch lookups it also serves.
 * A slot is reserved first (svc_pool_reserve), so the caller can suspend the
 * connection before the job exists: a worker that finished at once would
 * otherwise resume a connection not yet suspended.
 */
#include "serve/pool.h"
#include "util/error.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job {
    svc_job_fn fn, done;
    void *arg;
} job;

struct svc_pool {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    job *ring;          /* capacity slots: queued jobs */
    int capacity;       /* workers + queue: jobs running or waiting at most */
    int head, count;    /* ring position and jobs waiting in it */
    int reserved;       /* slots taken: reserved, waiting or running */
    int running;
    int stopping;
    int nthreads;
    pthread_t *threads;
};

static void *worker_main(void *arg)
{
    svc_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->count && !p->stopping)
            pthread_cond_wait(&p->ready, &p->lock);
        if (!p->count) /* stopping, and nothing left: queued jobs run first */
            break;
        job j = p->ring[p->head];
        p->head = (p->head + 1) % p->capacity;
        p->count--;
        p->running++;
        pthread_mutex_unlock(&p->lock);
        j.fn(j.arg);
        /* The slot is free before the client hears back: its next upload,
         * sent the moment it has the answer, must find it free. */
        pthread_mutex_lock(&p->lock);
        p->running--;
        p->reserved--;
        pthread_mutex_unlock(&p->lock);
        j.done(j.arg);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

ward_status svc_pool_start(int workers, int queue, svc_pool **out, ward_error *err)
{
    if (workers < 1 || queue < 0)
        return err_fail(err, WARD_EINVAL, "upload workers must be >= 1 and the queue >= 0");
    svc_pool *p = calloc(1, sizeof *p);
    if (!p)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    p->capacity = workers + queue;
    p->ring = calloc((size_t)p->capacity, sizeof *p->ring);
    p->threads = calloc((size_t)workers, sizeof *p->threads);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    if (!p->ring || !p->threads) {
        svc_pool_free(p);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    for (; p->nthreads < workers; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) != 0) {
            svc_pool_free(p);
            return err_fail(err, WARD_EINTERNAL, "cannot start the upload workers");
        }
    *out = p;
    return WARD_OK;
}

int svc_pool_reserve(svc_pool *p)
{
    pthread_mutex_lock(&p->lock);
    int ok = !p->stopping && p->reserved < p->capacity;
    if (ok)
        p->reserved++;
    pthread_mutex_unlock(&p->lock);
    return ok ? 0 : -1;
}

void svc_pool_submit(svc_pool *p, svc_job_fn fn, svc_job_fn done, void *arg)
{
    pthread_mutex_lock(&p->lock);
    /* reserved <= capacity, so the ring has room for this job */
    p->ring[(p->head + p->count) % p->capacity] = (job){fn, done, arg};
    p->count++;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

void svc_pool_load(svc_pool *p, int *running, int *waiting)
{
    pthread_mutex_lock(&p->lock);
    *running = p->running;
    *waiting = p->count;
    pthread_mutex_unlock(&p->lock);
}

void svc_pool_stop(svc_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    p->nthreads = 0;
}

void svc_pool_free(svc_pool *p)
{
    if (!p)
        return;
    svc_pool_stop(p);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p->ring);
    free(p);
}
