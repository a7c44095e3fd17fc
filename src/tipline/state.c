/*
 * The submitter's memory: tipline_reports and tipline_files in the service
 * store (schema v3 of service.db, state.c in serve). Each function is one
 * statement under the state's mutex, committed before the caller makes the
 * call it records: the row is the intent, its absence is "never sent".
 */
#include "tipline/tipline_state.h"
#include "serve/serve_int.h"
#include "store/sql.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ward_status db_fail(wsql *db, ward_error *err, const char *what)
{
    return err_fail(err, WARD_EIO, "service store: %s: %s", what, wsql_errmsg(db));
}

static void copy(char *dst, size_t cap, wsql_stmt *st, int i)
{
    const char *v = (const char *)wsql_column_text(st, i);
    snprintf(dst, cap, "%s", v ? v : "");
}

ward_status tls_report_get(svc_state *s, int64_t id, tls_report *r, ward_error *err)
{
    memset(r, 0, sizeof *r);
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT state, coalesce(ncmec_id,''), coalesce(note,''), attempts"
                            " FROM tipline_reports WHERE report_id=?", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = db_fail(db, err, "reading the submission");
    } else {
        wsql_bind_int64(st, 1, id);
        int step = wsql_step(st);
        if (step == SQLITE_ROW) {
            copy(r->state, sizeof r->state, st, 0);
            copy(r->ncmec_id, sizeof r->ncmec_id, st, 1);
            copy(r->note, sizeof r->note, st, 2);
            r->attempts = wsql_column_int(st, 3);
        } else if (step != SQLITE_DONE) {
            rc = db_fail(db, err, "reading the submission");
        }
        wsql_finalize(st);
    }
    svc_unlock(s);
    return rc;
}

/* Run one statement with text/int parameters (NULL text binds NULL);
 * *changed (may be NULL) gets the rows it changed. */
static ward_status run(svc_state *s, const char *sql, const char *what, int *changed,
                       ward_error *err, int n, const char *const *texts, int64_t id)
{
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, err, what);
    } else {
        wsql_bind_int64(st, 1, id);
        for (int i = 0; i < n; i++)
            if (texts[i])
                wsql_bind_text(st, i + 2, texts[i], -1, SQLITE_STATIC);
            else
                wsql_bind_null(st, i + 2);
        if (wsql_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, what);
        else if (changed)
            *changed = wsql_changes(db);
        wsql_finalize(st);
    }
    svc_unlock(s);
    return rc;
}

ward_status tls_report_claim(svc_state *s, int64_t id, const char *endpoint, int *claimed,
                             ward_error *err)
{
    char now[32];
    svc_now(now);
    const char *t[] = {endpoint, now};
    return run(s, "INSERT INTO tipline_reports(report_id,state,endpoint,started,updated,"
                  "attempts) VALUES(?1,'submitting',?2,?3,?3,1) ON CONFLICT DO NOTHING",
               "claiming the report", claimed, err, 2, t, id);
}

ward_status tls_report_set(svc_state *s, int64_t id, const char *state, const char *ncmec_id,
                           const char *note, ward_error *err)
{
    char now[32];
    svc_now(now);
    const char *t[] = {state, ncmec_id, note, now};
    return run(s, "UPDATE tipline_reports SET state=?2, ncmec_id=coalesce(?3, ncmec_id),"
                  " note=?4, updated=?5, attempts=attempts+1 WHERE report_id=?1",
               "recording the submission", NULL, err, 4, t, id);
}

ward_status tls_report_forget(svc_state *s, int64_t id, ward_error *err)
{
    ward_status rc = run(s, "DELETE FROM tipline_files WHERE report_id=?1 AND state='uploading'",
                         "forgetting a call that did not arrive", NULL, err, 0, NULL, id);
    return rc ? rc : run(s, "DELETE FROM tipline_reports WHERE report_id=?1 AND ncmec_id IS NULL",
                         "forgetting a call that did not arrive", NULL, err, 0, NULL, id);
}

ward_status tls_file_get(svc_state *s, int64_t id, const char *sha, tls_file *f,
                         ward_error *err)
{
    memset(f, 0, sizeof *f);
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT state, coalesce(file_id,''), coalesce(md5,'')"
                            " FROM tipline_files WHERE report_id=? AND sha256=?", -1, &st,
                        NULL) != SQLITE_OK) {
        rc = db_fail(db, err, "reading the file's submission");
    } else {
        wsql_bind_int64(st, 1, id);
        wsql_bind_text(st, 2, sha, -1, SQLITE_STATIC);
        int step = wsql_step(st);
        if (step == SQLITE_ROW) {
            copy(f->state, sizeof f->state, st, 0);
            copy(f->file_id, sizeof f->file_id, st, 1);
            copy(f->md5, sizeof f->md5, st, 2);
        } else if (step != SQLITE_DONE) {
            rc = db_fail(db, err, "reading the file's submission");
        }
        wsql_finalize(st);
    }
    svc_unlock(s);
    return rc;
}

ward_status tls_file_claim(svc_state *s, int64_t id, const char *sha, int *claimed,
                           ward_error *err)
{
    char now[32];
    svc_now(now);
    const char *t[] = {sha, now};
    return run(s, "INSERT INTO tipline_files(report_id,sha256,state,updated)"
                  " VALUES(?1,?2,'uploading',?3) ON CONFLICT DO NOTHING",
               "claiming the file", claimed, err, 2, t, id);
}

ward_status tls_file_set(svc_state *s, int64_t id, const char *sha, const char *state,
                         const char *file_id, const char *md5, ward_error *err)
{
    char now[32];
    svc_now(now);
    const char *t[] = {sha, state, file_id, md5, now};
    return run(s, "UPDATE tipline_files SET state=?3, file_id=coalesce(?4, file_id),"
                  " md5=coalesce(?5, md5), updated=?6 WHERE report_id=?1 AND sha256=?2",
               "recording the file", NULL, err, 5, t, id);
}

ward_status tls_file_forget(svc_state *s, int64_t id, const char *sha, ward_error *err)
{
    const char *t[] = {sha};
    return run(s, "DELETE FROM tipline_files WHERE report_id=?1 AND sha256=?2"
                  " AND state='uploading'", "forgetting the upload", NULL, err, 1, t, id);
}

ward_status tls_each(svc_state *s, int (*cb)(void *ctx, int64_t id, const tls_report *r),
                     void *ctx, ward_error *err)
{
    /* Read all first: cb may call back into the store (svc_lock is not
     * re-entrant). Reports are few next to events. */
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    size_t n = 0, cap = 0;
    struct row {
        int64_t id;
        tls_report r;
    } *rows = NULL;
    if (wsql_prepare_v2(db, "SELECT r.id, coalesce(t.state,''), coalesce(t.ncmec_id,''),"
                            " coalesce(t.note,''), coalesce(t.attempts,0) FROM reports r"
                            " LEFT JOIN tipline_reports t ON t.report_id=r.id ORDER BY r.id",
                        -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, err, "listing reports");
    } else {
        int step;
        while ((step = wsql_step(st)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                struct row *g = realloc(rows, cap * sizeof *rows);
                if (!g) {
                    rc = err_fail(err, WARD_ENOMEM, "out of memory");
                    break;
                }
                rows = g;
            }
            memset(&rows[n], 0, sizeof rows[n]);
            rows[n].id = wsql_column_int64(st, 0);
            copy(rows[n].r.state, sizeof rows[n].r.state, st, 1);
            copy(rows[n].r.ncmec_id, sizeof rows[n].r.ncmec_id, st, 2);
            copy(rows[n].r.note, sizeof rows[n].r.note, st, 3);
            rows[n].r.attempts = wsql_column_int(st, 4);
            n++;
        }
        if (rc == WARD_OK && step != SQLITE_DONE)
            rc = db_fail(db, err, "listing reports");
        wsql_finalize(st);
    }
    svc_unlock(s);
    for (size_t i = 0; rc == WARD_OK && i < n; i++)
        if (cb(ctx, rows[i].id, &rows[i].r))
            break;
    free(rows);
    return rc;
}

int tls_files_in(svc_state *s, int64_t id, const char *state)
{
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    int n = 0;
    if (wsql_prepare_v2(db, "SELECT count(*) FROM tipline_files WHERE report_id=?"
                            " AND state=?", -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_int64(st, 1, id);
        wsql_bind_text(st, 2, state, -1, SQLITE_STATIC);
        if (wsql_step(st) == SQLITE_ROW)
            n = wsql_column_int(st, 0);
        wsql_finalize(st);
    }
    svc_unlock(s);
    return n;
}
