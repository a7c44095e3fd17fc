/*
 * The CyberTipline submitter's memory (src/tipline/submit.c, docs/tipline.md):
 * tipline_reports and tipline_files, schema v3 of service.db (migrated in
 * state.c with the rest). Each write is one statement on the writer,
 * committed before the submitter makes the call it records: the row is the
 * intent, its absence is "never sent". A claim is an INSERT that does
 * nothing when the row is there, so of two submitters racing for a report
 * or a file exactly one wins. Reads go to the reader.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t cap, wsql_stmt *st, int i)
{
    const char *v = state_col(st, i);
    snprintf(dst, cap, "%s", v ? v : "");
}

/* Run one statement on the writer: ?1 the report's id, ?2... the texts
 * (NULL binds NULL); *changed (may be NULL) gets the rows it changed. */
static ward_status run(svc_state *s, const char *sql, const char *what, int *changed,
                       ward_error *err, int n, const char *const *texts, int64_t id)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(s->db, err, what);
    } else {
        wsql_bind_int64(st, 1, id);
        for (int i = 0; i < n; i++)
            if (texts[i])
                wsql_bind_text(st, i + 2, texts[i], -1, SQLITE_STATIC);
            else
                wsql_bind_null(st, i + 2);
        if (wsql_step(st) != SQLITE_DONE)
            rc = state_fail(s->db, err, what);
        else if (changed)
            *changed = wsql_changes(s->db);
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Read at most one row on the reader: ?1 the report's id, ?2 arg (unless
 * NULL); column i < nfields into fields[i] (caps[i] bytes), column nfields
 * into *num (unless NULL). No row: the fields are left as they are. */
static ward_status read_row(svc_state *s, const char *sql, const char *what, int64_t id,
                            const char *arg, char *const *fields, const size_t *caps,
                            int nfields, int *num, ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, what);
    } else {
        wsql_bind_int64(st, 1, id);
        if (arg)
            wsql_bind_text(st, 2, arg, -1, SQLITE_STATIC);
        int step = wsql_step(st);
        if (step == SQLITE_ROW) {
            for (int i = 0; i < nfields; i++)
                copy(fields[i], caps[i], st, i);
            if (num)
                *num = wsql_column_int(st, nfields);
        } else if (step != SQLITE_DONE) {
            rc = state_fail(db, err, what);
        }
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return rc;
}

ward_status svc_tipline_report_get(svc_state *s, int64_t id, svc_tipline_report *r,
                                   ward_error *err)
{
    memset(r, 0, sizeof *r);
    char *f[] = {r->state, r->ncmec_id, r->note};
    size_t caps[] = {sizeof r->state, sizeof r->ncmec_id, sizeof r->note};
    return read_row(s, "SELECT state, coalesce(ncmec_id,''), coalesce(note,''), attempts"
                       " FROM tipline_reports WHERE report_id=?1",
                    "reading the submission", id, NULL, f, caps, 3, &r->attempts, err);
}

ward_status svc_tipline_file_get(svc_state *s, int64_t id, const char *sha,
                                 svc_tipline_file *f, ward_error *err)
{
    memset(f, 0, sizeof *f);
    char *v[] = {f->state, f->file_id, f->md5};
    size_t caps[] = {sizeof f->state, sizeof f->file_id, sizeof f->md5};
    return read_row(s, "SELECT state, coalesce(file_id,''), coalesce(md5,'')"
                       " FROM tipline_files WHERE report_id=?1 AND sha256=?2",
                    "reading the file's submission", id, sha, v, caps, 3, NULL, err);
}

ward_status svc_tipline_claim(svc_state *s, int64_t id, const char *sha, const char *endpoint,
                              int *claimed, ward_error *err)
{
    char now[32];
    svc_now(now);
    if (!sha) {
        const char *t[] = {endpoint, now};
        return run(s, "INSERT INTO tipline_reports(report_id,state,endpoint,started,updated,"
                      "attempts) VALUES(?1,'submitting',?2,?3,?3,1) ON CONFLICT DO NOTHING",
                   "claiming the report", claimed, err, 2, t, id);
    }
    const char *t[] = {sha, now};
    return run(s, "INSERT INTO tipline_files(report_id,sha256,state,updated)"
                  " VALUES(?1,?2,'uploading',?3) ON CONFLICT DO NOTHING",
               "claiming the file", claimed, err, 2, t, id);
}

ward_status svc_tipline_report_set(svc_state *s, int64_t id, const char *state,
                                   const char *ncmec_id, const char *note, ward_error *err)
{
    char now[32];
    svc_now(now);
    const char *t[] = {state, ncmec_id, note, now};
    return run(s, "UPDATE tipline_reports SET state=?2, ncmec_id=coalesce(?3, ncmec_id),"
                  " note=?4, updated=?5, attempts=attempts+1 WHERE report_id=?1",
               "recording the submission", NULL, err, 4, t, id);
}

ward_status svc_tipline_report_forget(svc_state *s, int64_t id, ward_error *err)
{
    ward_status rc = run(s, "DELETE FROM tipline_files WHERE report_id=?1 AND state='uploading'",
                         "forgetting a call that did not arrive", NULL, err, 0, NULL, id);
    return rc ? rc : run(s, "DELETE FROM tipline_reports WHERE report_id=?1 AND ncmec_id IS NULL",
                         "forgetting a call that did not arrive", NULL, err, 0, NULL, id);
}

ward_status svc_tipline_file_set(svc_state *s, int64_t id, const char *sha, const char *state,
                                 const char *file_id, const char *md5, ward_error *err)
{
    char now[32];
    svc_now(now);
    const char *t[] = {sha, state, file_id, md5, now};
    return run(s, "UPDATE tipline_files SET state=?3, file_id=coalesce(?4, file_id),"
                  " md5=coalesce(?5, md5), updated=?6 WHERE report_id=?1 AND sha256=?2",
               "recording the file", NULL, err, 5, t, id);
}

ward_status svc_tipline_file_forget(svc_state *s, int64_t id, const char *sha, ward_error *err)
{
    const char *t[] = {sha};
    return run(s, "DELETE FROM tipline_files WHERE report_id=?1 AND sha256=?2"
                  " AND state='uploading'", "forgetting the upload", NULL, err, 1, t, id);
}

ward_status svc_tipline_each(svc_state *s,
                             int (*cb)(void *ctx, int64_t id, const svc_tipline_report *r),
                             void *ctx, ward_error *err)
{
    /* Read all first: cb calls back into the store (svc_tipline_files_in,
     * which takes the reader's lock). Reports are few next to events. */
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    size_t n = 0, cap = 0;
    struct row {
        int64_t id;
        svc_tipline_report r;
    } *rows = NULL;
    if (wsql_prepare_v2(db, "SELECT r.id, coalesce(t.state,''), coalesce(t.ncmec_id,''),"
                            " coalesce(t.note,''), coalesce(t.attempts,0) FROM reports r"
                            " LEFT JOIN tipline_reports t ON t.report_id=r.id ORDER BY r.id",
                        -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "listing reports");
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
            rc = state_fail(db, err, "listing reports");
        wsql_finalize(st);
    }
    state_read_unlock(s);
    for (size_t i = 0; rc == WARD_OK && i < n; i++)
        if (cb(ctx, rows[i].id, &rows[i].r))
            break;
    free(rows);
    return rc;
}

int svc_tipline_files_in(svc_state *s, int64_t id, const char *state)
{
    int n = 0;
    ward_error ignored;
    if (read_row(s, "SELECT count(*) FROM tipline_files WHERE report_id=?1 AND state=?2",
                 "counting files", id, state, NULL, NULL, 0, &n, &ignored) != WARD_OK)
        return 0;
    return n;
}
