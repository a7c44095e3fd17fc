/*
 * The events table: one row per match answer that matched (the platform's
 * context, the hashes asked about, what matched). Recording is the hot
 * write of the service (group commit below, on the writer); listing and
 * reading events go through the reader.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One event inside the current transaction. */
static ward_status event_insert(svc_state *s, const svc_event_in *ev, int64_t *id,
                                ward_error *err)
{
    char now[32], obj[32];
    svc_now(now);
    if (state_cached(s->db, &s->st_event, "INSERT INTO events(created,key_id,context,hashes,matches,"
                                "store_revision) VALUES(?,?,?,?,?,?)",
               state_prepare_insert) != SQLITE_OK)
        return state_fail(s->db, err, "recording the match event");
    wsql_stmt *st = s->st_event;
    wsql_bind_text(st, 1, now, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, ev->key_id, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, ev->context_json, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, ev->hashes_json, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, ev->matches_json, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 6, (wsql_int64)ev->store_revision);
    ward_status rc = state_step_insert(s->db, st, id) == SQLITE_DONE
                         ? WARD_OK : state_fail(s->db, err, "recording the match event");
    state_release(st);
    if (rc != WARD_OK)
        return rc;
    snprintf(obj, sizeof obj, "event/%lld", (long long)*id);
    return state_audit_append(s, ev->key_id, "event.create", obj, NULL, err);
}

/*
 * Group commit. Match events arrive from every event-loop thread at once
 * when a wave of known material is uploaded; one transaction each would
 * serialise them on the connection. Instead the first thread to arrive
 * becomes the leader and commits everything queued meanwhile in one
 * transaction; the others wait for their id. Nobody is answered before
 * their event is committed.
 */
typedef struct pending_event {
    const svc_event_in *in;
    int64_t id;
    ward_status rc;
    ward_error err;
    int done;
    struct pending_event *next;
} pending_event;

static void commit_batch(svc_state *s, pending_event *batch)
{
    pthread_mutex_lock(&s->lock);
    ward_error err;
    ward_status rc = state_begin(s, &err);
    for (pending_event *p = batch; rc == WARD_OK && p; p = p->next)
        rc = event_insert(s, p->in, &p->id, &err);
    rc = state_finish(s, rc, &err);
    pthread_mutex_unlock(&s->lock);
    for (pending_event *p = batch; p; p = p->next) {
        p->rc = rc;
        if (rc != WARD_OK) {
            p->err = err;
            p->id = 0;
        }
    }
}

ward_status svc_event_add(svc_state *s, const svc_event_in *ev, int64_t *id, ward_error *err)
{
    pending_event me = {.in = ev};
    pthread_mutex_lock(&s->q_lock);
    me.next = s->q_head;
    s->q_head = &me;
    while (!me.done && s->q_leader)
        pthread_cond_wait(&s->q_done, &s->q_lock);
    while (!me.done) { /* lead: commit what is queued, mine included */
        s->q_leader = 1;
        pending_event *batch = s->q_head;
        s->q_head = NULL;
        pthread_mutex_unlock(&s->q_lock);
        commit_batch(s, batch);
        pthread_mutex_lock(&s->q_lock);
        for (pending_event *p = batch, *next; p; p = next) {
            next = p->next;
            p->done = 1; /* p may be freed by its owner from here on */
        }
        s->q_leader = 0;
        pthread_cond_broadcast(&s->q_done);
    }
    pthread_mutex_unlock(&s->q_lock);
    *id = me.id;
    if (me.rc != WARD_OK && err)
        *err = me.err;
    return me.rc;
}

/* Emit a JSON text column parsed back into structure (it was written by us). */
static void emit_json_column(yajl_gen g, const char *key, const char *text)
{
    jw_key(g, key);
    if (text) /* from the text, not a tree: a "\u0000" in the context stays */
        jw_copy_at(g, text, strlen(text), "");
    else
        yajl_gen_null(g);
}

static void emit_event_row(yajl_gen g, wsql_stmt *st)
{
    yajl_gen_map_open(g);
    jw_kv_int(g, "id", wsql_column_int64(st, 0));
    jw_kv_str(g, "created", state_col(st, 1));
    jw_kv_str(g, "key_id", state_col(st, 2));
    jw_kv_str(g, "status", state_col(st, 6));
    jw_kv_int(g, "store_revision", wsql_column_int64(st, 7));
    emit_json_column(g, "context", state_col(st, 3));
    emit_json_column(g, "hashes", state_col(st, 4));
    emit_json_column(g, "matches", state_col(st, 5));
    yajl_gen_map_close(g);
}

#define EVENT_COLS "id,created,key_id,context,hashes,matches,status,store_revision"

ward_status svc_events_json(svc_state *s, const char *status, int limit, yajl_gen g,
                            ward_error *err)
{
    return svc_events_json_ordered(s, status, limit, 0, g, err);
}

ward_status svc_events_json_ordered(svc_state *s, const char *status, int limit,
                                    int oldest_first, yajl_gen g, ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    /* The CAST: PostgreSQL cannot tell a lone "? IS NULL" parameter's type. */
    if (wsql_prepare_v2(db, oldest_first
                            ? "SELECT " EVENT_COLS " FROM events WHERE CAST(?1 AS TEXT)"
                              " IS NULL OR status=?1 ORDER BY id LIMIT ?2"
                            : "SELECT " EVENT_COLS " FROM events WHERE CAST(?1 AS TEXT)"
                              " IS NULL OR status=?1 ORDER BY id DESC LIMIT ?2",
                        -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "reading events");
    } else {
        wsql_bind_text(st, 1, status, -1, SQLITE_STATIC);
        wsql_bind_int(st, 2, limit);
        yajl_gen_array_open(g);
        int step;
        while ((step = wsql_step(st)) == SQLITE_ROW)
            emit_event_row(g, st);
        yajl_gen_array_close(g);
        if (step != SQLITE_DONE)
            rc = state_fail(db, err, "reading events");
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return rc;
}

ward_status svc_event_json(svc_state *s, int64_t id, yajl_gen g, ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT " EVENT_COLS " FROM events WHERE id=?", -1, &st,
                        NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "reading the event");
    } else {
        wsql_bind_int64(st, 1, id);
        if (wsql_step(st) == SQLITE_ROW)
            emit_event_row(g, st);
        else
            rc = err_fail(err, WARD_ENOTFOUND, "no match event %lld", (long long)id);
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return rc;
}

void state_event_row_free(event_row *e)
{
    free(e->context);
    free(e->hashes);
    free(e->matches);
    free(e->key_id);
}

ward_status state_event_load(wsql *db, int64_t id, event_row *e, ward_error *err)
{
    memset(e, 0, sizeof *e);
    wsql_stmt *st;
    if (wsql_prepare_v2(db, "SELECT created,context,hashes,matches,key_id,status"
                               " FROM events WHERE id=?", -1, &st, NULL) != SQLITE_OK)
        return state_fail(db, err, "reading the event");
    wsql_bind_int64(st, 1, id);
    ward_status rc = WARD_OK;
    if (wsql_step(st) == SQLITE_ROW) {
        snprintf(e->created, sizeof e->created, "%s", state_col(st, 0));
        e->context = strdup(state_col(st, 1));
        e->hashes = strdup(state_col(st, 2));
        e->matches = strdup(state_col(st, 3));
        e->key_id = strdup(state_col(st, 4));
        snprintf(e->status, sizeof e->status, "%s", state_col(st, 5));
        if (!e->context || !e->hashes || !e->matches || !e->key_id)
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    } else {
        rc = err_fail(err, WARD_ENOTFOUND, "no match event %lld", (long long)id);
    }
    wsql_finalize(st);
    return rc;
}

void svc_evidence_dir(const char *datadir, int64_t event_id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/evidence/%lld", datadir, (long long)event_id);
}

ward_status svc_event_hashes(svc_state *s, int64_t id, char **hashes_json, ward_error *err)
{
    event_row e;
    ward_status rc = state_event_load(state_read_lock(s), id, &e, err);
    state_read_unlock(s);
    *hashes_json = NULL;
    if (rc == WARD_OK) {
        *hashes_json = e.hashes;
        e.hashes = NULL;
    }
    state_event_row_free(&e);
    return rc;
}

ward_status svc_events_each_hashes(svc_state *s, int (*cb)(void *ctx, int64_t id,
                                                           const char *key_id,
                                                           const char *hashes_json),
                                   void *ctx, ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT id, key_id, hashes FROM events ORDER BY id", -1, &st,
                        NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "reading events");
    } else {
        int step;
        while ((step = wsql_step(st)) == SQLITE_ROW)
            if (cb(ctx, wsql_column_int64(st, 0), state_col(st, 1), state_col(st, 2))) {
                step = SQLITE_DONE;
                break;
            }
        if (step != SQLITE_DONE)
            rc = state_fail(db, err, "reading events");
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return rc;
}
