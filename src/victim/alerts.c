/*
 * Alerts to units and the flood quarantine: reading them and a person's
 * decisions (release, remove, done).
 */
#include "victim/victim_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

typedef struct alert_ctx {
    ward_victim_alert_cb cb;
    void *ctx;
} alert_ctx;

static int alert_row(void *ctx, wsql_stmt *st)
{
    alert_ctx *a = ctx;
    ward_victim_alert al = {wsql_column_int64(st, 0), vt_col(st, 1), vt_col(st, 2),
                            vt_col(st, 3),            vt_col(st, 4), vt_col(st, 5),
                            vt_col(st, 6),            vt_col(st, 7), vt_col(st, 8)};
    return a->cb(a->ctx, &al);
}

ward_status ward_victim_alerts(ward_store *s, const char *unit, int open_only,
                               ward_victim_alert_cb cb, void *ctx, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(
        s,
        "SELECT a.id, a.at, a.unit, a.priority, a.kind, coalesce(s.name, ''), a.hash, a.message,"
        " a.state FROM victim_alerts a LEFT JOIN series s ON s.id = a.series_id"
        " WHERE (CAST(?1 AS TEXT) IS NULL OR a.unit = ?1)"
        " AND (CAST(?2 AS INTEGER) = 0 OR a.state <> 'done')"
        " ORDER BY CASE WHEN a.priority = 'high' THEN 0 ELSE 1 END, a.id DESC",
        &st, err);
    if (rc)
        return rc;
    vt_bind_opt(st, 1, unit);
    wsql_bind_int(st, 2, open_only ? 1 : 0);
    alert_ctx a = {cb, ctx};
    return wst_each_row(s, st, alert_row, &a, "reading alerts", err);
}

ward_status ward_victim_alert_done(ward_store *s, int64_t id, const char *who,
                                   ward_error *err)
{
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    wsql_stmt *st;
    if ((rc = wst_prepare(s, "UPDATE victim_alerts SET state = 'done', done_by = ? WHERE id = ?",
                          &st, err)) == WARD_OK) {
        wsql_bind_text(st, 1, who ? who : "unknown", -1, SQLITE_TRANSIENT);
        wsql_bind_int64(st, 2, id);
        int r = wsql_step(st);
        if (r != SQLITE_DONE)
            rc = wst_sqlfail(s, err, r, "closing an alert");
        else if (wsql_changes(s->db) == 0)
            rc = err_fail(err, WARD_ENOTFOUND, "no alert %lld", (long long)id);
        wsql_finalize(st);
    }
    return vt_end(s, rc, err);
}

/* ---- quarantine ------------------------------------------------------------ */

typedef struct q_ctx {
    ward_quarantine_cb cb;
    void *ctx;
} q_ctx;

static int q_row(void *ctx, wsql_stmt *st)
{
    q_ctx *q = ctx;
    ward_quarantine e = {vt_col(st, 0),
                         vt_col(st, 1),
                         vt_col(st, 2),
                         (uint64_t)wsql_column_int64(st, 3),
                         (uint64_t)wsql_column_int64(st, 4),
                         vt_col(st, 5),
                         vt_col(st, 6),
                         vt_col(st, 7)};
    return q->cb(q->ctx, &e);
}

ward_status ward_quarantine_each(ward_store *s, ward_quarantine_cb cb, void *ctx,
                                 ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s,
                                 "SELECT hash, state, at, units, hits, decided_at, decided_by,"
                                 " reason FROM quarantine ORDER BY id",
                                 &st, err);
    q_ctx q = {cb, ctx};
    return rc ? rc : wst_each_row(s, st, q_row, &q, "reading the quarantine", err);
}

/* The quarantined entry of `hash` decided as `state`; alerts resume. */
static ward_status decide(ward_store *s, const char *hash, const char *state, const char *who,
                          const char *reason, ward_error *err)
{
    wsql_stmt *st;
    char now[32];
    wst_now(now);
    ward_status rc = wst_prepare(s,
                                 "UPDATE quarantine SET state = ?, decided_at = ?, decided_by = ?,"
                                 " reason = ? WHERE hash = ? AND state = 'quarantined'",
                                 &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, state, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 3, who ? who : "unknown", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 4, reason, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 5, hash, -1, SQLITE_TRANSIENT);
    int r = wsql_step(st);
    if (r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "deciding a quarantined hash");
    else if (wsql_changes(s->db) == 0)
        rc = err_fail(err, WARD_ENOTFOUND, "%s is not quarantined", hash);
    wsql_finalize(st);
    if (rc)
        return rc;
    /* released: paused alerts open again; removed: they are moot */
    if ((rc = wst_prepare(s, "UPDATE victim_alerts SET state = ? WHERE hash = ? AND state = 'paused'",
                          &st, err)))
        return rc;
    wsql_bind_text(st, 1, strcmp(state, "released") == 0 ? "open" : "done", -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
    r = wsql_step(st);
    rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, "resuming alerts");
    wsql_finalize(st);
    return rc;
}

static ward_status need_reason(const char *who, const char *reason, ward_error *err)
{
    if (!reason || !*reason)
        return err_fail(err, WARD_EINVAL, "a reason is required");
    if (!who || !*who)
        return err_fail(err, WARD_EINVAL, "who decides is required");
    return WARD_OK;
}

ward_status ward_quarantine_release(ward_store *s, const char *hash, const char *who,
                                    const char *reason, ward_error *err)
{
    ward_status rc = need_reason(who, reason, err);
    if (rc || (rc = vt_begin(s, err)))
        return rc;
    return vt_end(s, decide(s, hash, "released", who, reason, err), err);
}

ward_status ward_quarantine_remove(ward_store *s, const char *hash, const char *who,
                                   const char *reason, uint64_t *removed, ward_error *err)
{
    if (removed)
        *removed = 0;
    ward_status rc = need_reason(who, reason, err);
    if (rc || (rc = vt_begin(s, err)))
        return rc;
    rc = decide(s, hash, "removed", who, reason, err);
    if ((rc = vt_end(s, rc, err)))
        return rc;
    /* The removal from the lists is the store's own transaction (and moves
     * its revision: the index must be rebuilt without the hash). A hash on
     * no list any more is fine: nothing left to remove. */
    ward_error e2 = {0};
    rc = ward_store_remove(s, hash, NULL, who, reason, removed, &e2);
    if (rc == WARD_ENOTFOUND)
        return WARD_OK;
    if (rc && err)
        *err = e2;
    return rc;
}
