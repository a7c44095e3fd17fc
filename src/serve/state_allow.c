/*
 * The allowlist table: hashes a reviewer rejected as not abuse material
 * (a benign image wrongly listed), which the match service then no longer
 * reports. The allow-list is consulted for every hash matched, so it is
 * held in memory (sorted, binary-searched) behind a read-write lock instead
 * of costing a query. The copy is refreshed after each insert of this node
 * and, for other processes' inserts (another node on the same PostgreSQL
 * schema, a second ward serve on the same SQLite file), at each reload tick
 * when the table's row count moved (rows are never deleted, so the count
 * is a version). Both reads go through the reader.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_allow(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Re-read the allow-list into memory, on db (the reader, locked). */
static ward_status allow_read(svc_state *s, wsql *db, ward_error *err)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(db, "SELECT hash FROM allowlist ORDER BY hash", -1, &st, NULL) !=
        SQLITE_OK)
        return state_fail(db, err, "reading the allow-list");
    char (*v)[72] = NULL;
    size_t n = 0, cap = 0;
    ward_status rc = WARD_OK;
    int step = SQLITE_DONE;
    while (rc == WARD_OK && (step = wsql_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char (*nv)[72] = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        snprintf(v[n++], 72, "%s", state_col(st, 0));
    }
    if (rc == WARD_OK && step != SQLITE_DONE) /* keep the copy we have */
        rc = state_fail(db, err, "reading the allow-list");
    wsql_finalize(st);
    if (rc != WARD_OK) {
        free(v);
        return rc;
    }
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(v, n, sizeof *v, cmp_allow); /* strcmp order, whatever SQLite's collation */
    pthread_rwlock_wrlock(&s->allow.lock);
    free(s->allow.v);
    s->allow.v = v;
    s->allow.n = n;
    pthread_rwlock_unlock(&s->allow.lock);
    return WARD_OK;
}

ward_status state_allow_load(svc_state *s, ward_error *err)
{
    ward_status rc = allow_read(s, state_read_lock(s), err);
    state_read_unlock(s);
    return rc;
}

ward_status svc_allow_refresh(svc_state *s, ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    int64_t rows = -1;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT count(*) FROM allowlist", -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "reading the allow-list");
    } else {
        if (wsql_step(st) == SQLITE_ROW)
            rows = wsql_column_int64(st, 0);
        wsql_finalize(st);
        if (rows < 0)
            rc = state_fail(db, err, "reading the allow-list");
    }
    pthread_rwlock_rdlock(&s->allow.lock);
    int moved = rows >= 0 && (size_t)rows != s->allow.n;
    pthread_rwlock_unlock(&s->allow.lock);
    if (moved)
        rc = allow_read(s, db, err);
    state_read_unlock(s);
    return rc;
}

int svc_allowlisted(svc_state *s, const char *hex)
{
    char key[72];
    snprintf(key, sizeof key, "%s", hex);
    pthread_rwlock_rdlock(&s->allow.lock);
    int found = s->allow.n && bsearch(key, s->allow.v, s->allow.n, sizeof *s->allow.v, cmp_allow);
    pthread_rwlock_unlock(&s->allow.lock);
    return found;
}

/* The event's hash values, each allow-listed (inside a write transaction). */
ward_status state_allow_event(svc_state *s, int64_t event_id, const char *hashes_json,
                                   const char *who, const char *reason, ward_error *err)
{
    char ebuf[64], now[32];
    svc_now(now);
    yajl_val v = yajl_tree_parse(hashes_json, ebuf, sizeof ebuf);
    ward_status rc = WARD_OK;
    for (size_t i = 0; rc == WARD_OK && v && YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
        const char *h = jv_str(v->u.array.values[i], "hash");
        if (!h)
            continue;
        wsql_stmt *st;
        if (wsql_prepare_v2(s->db, "INSERT OR IGNORE INTO allowlist(hash,added,added_by,"
                                   "event_id,reason) VALUES(?,?,?,?,?)", -1, &st,
                            NULL) != SQLITE_OK) {
            rc = state_fail(s->db, err, "updating the allow-list");
            break;
        }
        wsql_bind_text(st, 1, h, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, now, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, who, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 4, event_id);
        wsql_bind_text(st, 5, reason, -1, SQLITE_STATIC);
        if (wsql_step(st) != SQLITE_DONE)
            rc = state_fail(s->db, err, "updating the allow-list");
        wsql_finalize(st);
        if (rc == WARD_OK)
            rc = state_audit_append(s, who, "allowlist.add", h, reason, err);
    }
    yajl_tree_free(v);
    return rc;
}
