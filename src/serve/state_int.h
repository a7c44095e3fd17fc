/*
 * Shared by the service.db modules only (state*.c): the connections, the
 * locks and the transaction helpers. Nothing outside them includes this
 * file; the rest of serve/ and web/ use the typed calls in serve_int.h.
 *
 * Who owns what:
 *   state.c         opening, migrations, the two connections, transactions
 *   state_audit.c   audit (the hash chain): append, walk, head, search
 *   state_keys.c    api_keys
 *   state_events.c  events (group commit of match events, reading them)
 *   state_allow.c   allowlist (and the node's in-memory copy)
 *   state_review.c  reviews, reports
 *   state_users.c   users, sessions, login_failures (the web application)
 *   state_flood.c   platform_hits (flood control of platform hits, issue 23)
 *   state_tipline.c tipline_reports, tipline_files (the CyberTipline submitter)
 *
 * Two connections, two locks. The writer (s->db under s->lock) is the one
 * match events are recorded on: every write takes it for one short
 * transaction and nothing else runs under it. The reader (s->rd under
 * s->rlock) serves the pages and listings (events, reports, audit search,
 * keys, users): a search over a long audit log then never holds up a match
 * event. SQLite (WAL) and PostgreSQL both give a second connection what
 * the first committed, so a read after a write sees it.
 */
#ifndef WARD_SERVE_STATE_INT_H
#define WARD_SERVE_STATE_INT_H

#include "serve/serve_int.h"
#include "store/sql.h"

#include <pthread.h>

/* The allow-list is consulted for every hash matched, so it is held in
 * memory (sorted, binary-searched) behind a read-write lock (state_allow.c). */
typedef struct allow_set {
    pthread_rwlock_t lock;
    char (*v)[72];
    size_t n;
} allow_set;

struct svc_state {
    char *datadir;
    wsql *db;                  /* the writer */
    pthread_mutex_t lock;      /* the event-recording lock: guards db */
    wsql *rd;                  /* the reader */
    pthread_mutex_t rlock;     /* guards rd */
    /* The audit chain's head inside the current write transaction (read
     * once under its lock, then carried from append to append): a batch of
     * N events costs one read of the head, not N. "" outside one. */
    char head[65];
    /* The statements every match event runs, prepared once per connection
     * (state_cached(), under the lock): SQLite skips the compile,
     * PostgreSQL the parse and plan. */
    wsql_stmt *st_event, *st_head, *st_audit;
    allow_set allow;
    pthread_mutex_t q_lock;    /* group commit of match events */
    pthread_cond_t q_done;
    struct pending_event *q_head;
    int q_leader;
    /* Reopening service.db (the WAL checkpointer's connection). */
    wsql_target target;
    char *key_file;
    struct svc_wal *wal;       /* state_wal.c; NULL: SQLite checkpoints on commit */
};

ward_status state_fail(wsql *db, ward_error *err, const char *what);
const char *state_col(wsql_stmt *st, int i);
/* An INSERT whose new id the caller wants (RETURNING id on PostgreSQL). */
int state_prepare_insert(wsql *db, const char *sql, wsql_stmt **st);
int state_step_insert(wsql *db, wsql_stmt *st, int64_t *id);
int state_prepare_plain(wsql *db, const char *sql, wsql_stmt **st);
/* *slot, prepared on first use; hand it back with state_release(). */
int state_cached(wsql *db, wsql_stmt **slot, const char *sql,
                 int (*prepare)(wsql *, const char *, wsql_stmt **));
void state_release(wsql_stmt *st);

/* A write transaction on the writer, with s->lock held: SQLite's write
 * lock, or on PostgreSQL the schema's advisory lock. */
ward_status state_begin(svc_state *s, ward_error *err);
ward_status state_finish(svc_state *s, ward_status rc, ward_error *err);

/* Open one more connection to service.db, as the writer and reader are. */
ward_status state_open_conn(svc_state *s, wsql **db, ward_error *err);
/* Stop the WAL checkpointer (state_wal.c), if it runs; before the writer closes. */
void state_wal_stop(svc_state *s);

/* The reader, locked (NULL never: it is opened with the state). */
wsql *state_read_lock(svc_state *s);
void state_read_unlock(svc_state *s);

/* Inside a write transaction: append one audit record (state_audit.c). */
ward_status state_audit_append(svc_state *s, const char *actor, const char *action,
                               const char *object, const char *detail, ward_error *err);

/* Re-read the allow-list into memory (state_allow.c). */
ward_status state_allow_load(svc_state *s, ward_error *err);
/* Inside a write transaction: allow-list the hash values of an event. */
ward_status state_allow_event(svc_state *s, int64_t event_id, const char *hashes_json,
                              const char *who, const char *reason, ward_error *err);

/* An event's row (state_events.c); event_row_free. */
typedef struct event_row {
    char created[40];
    char *context, *hashes, *matches, *key_id;
    char status[16];
} event_row;
void state_event_row_free(event_row *e);
ward_status state_event_load(wsql *db, int64_t id, event_row *e, ward_error *err);

#endif
