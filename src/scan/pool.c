/*
 * A ring of slots indexed by sequence number. Workers claim the oldest
 * unclaimed slot; the submitter emits from the head as soon as the head slot
 * is done. One mutex guards the ring: work per item (reading and hashing a
 * file) is milliseconds, so the lock is never the bottleneck.
 */
#include <ward/pool.h>

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

typedef struct slot {
    void *item;
    enum slot_state state;
} slot;

typedef struct worker_arg {
    struct ward_pool *pool;
    void *state;
} worker_arg;

struct ward_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_ready;  /* a slot was queued, or shutting down */
    pthread_cond_t slot_done;   /* a slot finished */
    slot *ring;
    size_t cap;
    unsigned long head;         /* oldest not yet emitted */
    unsigned long next_claim;   /* oldest not yet claimed by a worker */
    unsigned long tail;         /* next sequence number to submit */
    int shutdown;
    int nthreads;
    pthread_t *threads;
    worker_arg *args;
    ward_pool_work_fn work;
    ward_pool_emit_fn emit;
    void *emit_ctx;
};

int ward_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    ward_pool *p = wa->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->shutdown && p->next_claim == p->tail)
            pthread_cond_wait(&p->work_ready, &p->mu);
        if (p->next_claim == p->tail && p->shutdown)
            break;
        slot *s = &p->ring[p->next_claim % p->cap];
        p->next_claim++;
        s->state = SLOT_RUNNING;
        pthread_mutex_unlock(&p->mu);
        p->work(wa->state, s->item);
        pthread_mutex_lock(&p->mu);
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&p->slot_done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ward_pool *ward_pool_new(int threads, void **workers, ward_pool_work_fn work,
                         ward_pool_emit_fn emit, void *emit_ctx)
{
    if (threads < 1)
        threads = 1;
    ward_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cap = (size_t)threads * 16;
    p->ring = calloc(p->cap, sizeof *p->ring);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    p->args = calloc((size_t)threads, sizeof *p->args);
    p->work = work;
    p->emit = emit;
    p->emit_ctx = emit_ctx;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_ready, NULL);
    pthread_cond_init(&p->slot_done, NULL);
    if (!p->ring || !p->threads || !p->args)
        goto fail;
    for (int i = 0; i < threads; i++) {
        p->args[i] = (worker_arg){p, workers ? workers[i] : NULL};
        if (pthread_create(&p->threads[i], NULL, worker_main, &p->args[i]) != 0)
            goto fail;
        p->nthreads++;
    }
    return p;
fail:
    ward_pool_finish(p);
    return NULL;
}

/* Emit finished items at the head. Called with the lock held; drops it
 * around each emit so workers keep going while output is written. */
static void emit_ready(ward_pool *p)
{
    while (p->head < p->tail && p->ring[p->head % p->cap].state == SLOT_DONE) {
        slot *s = &p->ring[p->head % p->cap];
        void *item = s->item;
        s->state = SLOT_FREE;
        p->head++;
        pthread_mutex_unlock(&p->mu);
        p->emit(p->emit_ctx, item);
        pthread_mutex_lock(&p->mu);
    }
}

void ward_pool_submit(ward_pool *p, void *item)
{
    pthread_mutex_lock(&p->mu);
    emit_ready(p);
    while (p->tail - p->head == p->cap) {
        pthread_cond_wait(&p->slot_done, &p->mu);
        emit_ready(p);
    }
    slot *s = &p->ring[p->tail % p->cap];
    s->item = item;
    s->state = SLOT_QUEUED;
    p->tail++;
    pthread_cond_signal(&p->work_ready);
    pthread_mutex_unlock(&p->mu);
}

void ward_pool_finish(ward_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->nthreads > 0) {
        emit_ready(p);
        while (p->head < p->tail) {
            pthread_cond_wait(&p->slot_done, &p->mu);
            emit_ready(p);
        }
    }
    p->shutdown = 1;
    pthread_cond_broadcast(&p->work_ready);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_ready);
    pthread_cond_destroy(&p->slot_done);
    free(p->ring);
    free(p->threads);
    free(p->args);
    free(p);
}
