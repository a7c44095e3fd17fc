/*
 * service.db's WAL checkpoints, off the request path (SQLite only).
 *
 * Why: by default SQLite checkpoints on the commit that takes the WAL past
 * 1,000 pages, on the committing connection. In `ward serve` that is the
 * writer, under the event-recording lock: the checkpoint copies the pages
 * back and fsyncs the WAL and the database (synchronous=NORMAL), 10-30 ms
 * on a shared disk, while every other request that records a match event
 * waits for the lock and the event loop it runs on answers nobody. With
 * one known hash per request that was a stall every ~300 requests (p99 of
 * 80-130 ms at 8,000 requests/s).
 *
 * Here the writer's WAL hook only notes the WAL's size and wakes a thread
 * of its own, which checkpoints (PASSIVE: it never waits for, nor blocks,
 * the writer or the readers) on a connection of its own. The writer goes
 * on appending meanwhile. A WAL is started over only by a transaction that
 * begins with every frame copied back, which a thread beside a steady
 * stream of commits rarely sees; so once the WAL reaches 10,000 pages
 * (40 MiB) the writer checkpoints on commit (the little the thread has not
 * copied yet) and the WAL starts over. Durability is unchanged: a commit is
 * in the WAL before it is answered, checkpointed or not.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <pthread.h>
#include <stdlib.h>

#define WAL_PAGES 1000        /* SQLite's own autocheckpoint threshold */
#define WAL_PAGES_INLINE 10000 /* 40 MiB: the WAL starts over (see wal_hook) */

typedef struct svc_wal {
    wsql *db;            /* the checkpointer's own connection */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int want, stopping;
    int asked;           /* WAL frames when the last checkpoint was asked for */
    int last;            /* WAL frames when the last checkpoint ended */
} svc_wal;

/*
 * After each commit on the writer (s->lock held): pages in the WAL. A
 * checkpoint is asked for once per WAL_PAGES new pages, as SQLite would.
 * The WAL starts over only at a transaction that begins with every frame
 * copied back; under a steady stream of commits one is always in flight
 * when the thread's checkpoint ends, so the WAL keeps growing (asking at
 * every commit past WAL_PAGES would then run checkpoints and their fsyncs
 * back to back). At WAL_PAGES_INLINE the writer checkpoints itself, with
 * no commit beside it: it copies only what the thread has not yet (the
 * last ~1,000 pages at most), catches up, and the next commit starts the
 * WAL over. One short stall per ~10,000 pages, where SQLite's default
 * stalls for a whole checkpoint every 1,000; a lull in commits lets the
 * WAL start over sooner.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    svc_wal *w = arg;
    if (pages >= WAL_PAGES_INLINE) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (pages < WAL_PAGES)
        return SQLITE_OK;
    pthread_mutex_lock(&w->lock);
    int since = pages < w->last ? pages : pages - w->last; /* < last: started over */
    if (since >= WAL_PAGES && !w->want) {
        w->want = 1;
        w->asked = pages;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return SQLITE_OK;
}

static void *wal_main(void *arg)
{
    svc_wal *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->want && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->stopping)
            break;
        pthread_mutex_unlock(&w->lock);
        /* SQLITE_BUSY: another connection checkpoints; the next WAL_PAGES
         * pages ask again. */
        int log = -1;
        sqlite3_wal_checkpoint_v2(wsql_sqlite(w->db), NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                  NULL);
        pthread_mutex_lock(&w->lock);
        w->last = log >= 0 ? log : w->asked;
        w->want = 0;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

ward_status svc_wal_start(svc_state *s, ward_error *err)
{
    if (s->wal || wsql_backend_of(s->db) != WSQL_SQLITE)
        return WARD_OK; /* PostgreSQL: the server's own checkpointer */
    svc_wal *w = calloc(1, sizeof *w);
    if (!w)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = state_open_conn(s, &w->db, err);
    if (rc != WARD_OK) {
        wsql_close(w->db);
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, wal_main, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        wsql_close(w->db);
        free(w);
        return err_fail(err, WARD_EINTERNAL, "cannot start the WAL checkpoint thread");
    }
    pthread_mutex_lock(&s->lock);
    s->wal = w;
    sqlite3_wal_hook(wsql_sqlite(s->db), wal_hook, w); /* replaces the autocheckpoint */
    pthread_mutex_unlock(&s->lock);
    return WARD_OK;
}

void state_wal_stop(svc_state *s)
{
    svc_wal *w = s->wal;
    if (!w)
        return;
    pthread_mutex_lock(&s->lock);
    sqlite3_wal_autocheckpoint(wsql_sqlite(s->db), WAL_PAGES); /* SQLite's hook again */
    s->wal = NULL;
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    wsql_close(w->db);
    free(w);
}
