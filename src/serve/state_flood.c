/*
 * The platform_hits table (schema v4): which API keys hit which alert
 * entry's hash, and when, for flood control (serve/victim.c). Written in
 * its own short transaction after a match event, and only for hits of
 * alert entries: a lookup, an unmatched hash or an ignorable hit writes
 * nothing. Rows older than the window are dropped as new ones come.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

/* One hash: its row, then the distinct keys and hits since `since`. */
static ward_status note_one(svc_state *s, const char *hash, const char *key_id, double now,
                            double since, svc_flood_count *out, ward_error *err)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(s->db, "INSERT INTO platform_hits(hash, key_id, at) VALUES(?,?,?)", -1,
                        &st, NULL) != SQLITE_OK)
        return state_fail(s->db, err, "counting platform hits");
    wsql_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, key_id, -1, SQLITE_STATIC);
    wsql_bind_double(st, 3, now);
    int rc = wsql_step(st);
    wsql_finalize(st);
    if (rc != SQLITE_DONE)
        return state_fail(s->db, err, "counting platform hits");
    if (wsql_prepare_v2(s->db, "SELECT count(DISTINCT key_id), count(*) FROM platform_hits"
                               " WHERE hash = ? AND at >= ?", -1, &st, NULL) != SQLITE_OK)
        return state_fail(s->db, err, "counting platform hits");
    wsql_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    wsql_bind_double(st, 2, since);
    ward_status out_rc = WARD_OK;
    if (wsql_step(st) == SQLITE_ROW) {
        out->keys = (uint64_t)wsql_column_int64(st, 0);
        out->hits = (uint64_t)wsql_column_int64(st, 1);
    } else {
        out_rc = state_fail(s->db, err, "counting platform hits");
    }
    wsql_finalize(st);
    return out_rc;
}

ward_status svc_flood_note(svc_state *s, const char *key_id, const char *const *hashes,
                           size_t n, double now, double since, svc_flood_count *counts,
                           ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    ward_status rc = state_begin(s, err);
    if (rc == WARD_OK) {
        wsql_stmt *st;
        if (wsql_prepare_v2(s->db, "DELETE FROM platform_hits WHERE at < ?", -1, &st, NULL) ==
            SQLITE_OK) { /* what no longer counts */
            wsql_bind_double(st, 1, since);
            if (wsql_step(st) != SQLITE_DONE)
                rc = state_fail(s->db, err, "counting platform hits");
            wsql_finalize(st);
        }
        for (size_t i = 0; rc == WARD_OK && i < n; i++)
            rc = note_one(s, hashes[i], key_id, now, since, &counts[i], err);
        rc = state_finish(s, rc, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
