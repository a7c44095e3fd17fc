/*
 * The platform_hits table (schema v4): which API keys hit which alert
 * entry's hash, and when, for flood control (serve/victim.c). Written in
 * its own short transaction after a match event, and only for hits of
 * alert entries: a lookup, an unmatched hash or an ignorable hit writes
 * nothing.
 *
 * One row per hash and key, not per hit: a platform that uploads the same
 * listed image all day (the common case of a wrongly listed meme, and of a
 * benchmark) would otherwise make every later count read every earlier hit
 * while holding the event-recording lock. A key counts for a hash while
 * its last hit is inside the window; its hits are those since its first
 * hit of the current run (a key silent for a whole window starts again at
 * one). Rows whose last hit left the window are dropped as new ones come.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

/* One hash: its key's row, then the keys and hits inside the window. */
static ward_status note_one(svc_state *s, const char *hash, const char *key_id, uint32_t adds,
                            double now, double since, svc_flood_count *out, ward_error *err)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(s->db,
                        "INSERT INTO platform_hits(hash, key_id, first_at, last_at, hits)"
                        " VALUES(?1, ?2, ?3, ?3, ?5) ON CONFLICT(hash, key_id) DO UPDATE SET"
                        " hits = CASE WHEN platform_hits.last_at < ?4 THEN ?5"
                        " ELSE platform_hits.hits + ?5 END,"
                        " first_at = CASE WHEN platform_hits.last_at < ?4 THEN ?3"
                        " ELSE platform_hits.first_at END, last_at = ?3",
                        -1, &st, NULL) != SQLITE_OK)
        return state_fail(s->db, err, "counting platform hits");
    wsql_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, key_id, -1, SQLITE_STATIC);
    wsql_bind_double(st, 3, now);
    wsql_bind_double(st, 4, since);
    wsql_bind_int64(st, 5, adds);
    int rc = wsql_step(st);
    wsql_finalize(st);
    if (rc != SQLITE_DONE)
        return state_fail(s->db, err, "counting platform hits");
    if (wsql_prepare_v2(s->db, "SELECT count(*), coalesce(sum(hits), 0) FROM platform_hits"
                               " WHERE hash = ? AND last_at >= ?", -1, &st, NULL) != SQLITE_OK)
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
                           const uint32_t *adds, size_t n, double now, double since,
                           svc_flood_count *counts, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    ward_status rc = state_begin(s, err);
    if (rc == WARD_OK) {
        wsql_stmt *st;
        if (wsql_prepare_v2(s->db, "DELETE FROM platform_hits WHERE last_at < ?", -1, &st, NULL) ==
            SQLITE_OK) { /* what no longer counts */
            wsql_bind_double(st, 1, since);
            if (wsql_step(st) != SQLITE_DONE)
                rc = state_fail(s->db, err, "counting platform hits");
            wsql_finalize(st);
        }
        for (size_t i = 0; rc == WARD_OK && i < n; i++)
            rc = note_one(s, hashes[i], key_id, adds[i], now, since, &counts[i], err);
        rc = state_finish(s, rc, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
