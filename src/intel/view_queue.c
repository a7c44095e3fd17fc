/*
 * Queues and alerts as typed views (issue 19 item 2): the packages a unit
 * holds and the alerts raised, read once into structs that the text and
 * JSON reports here and the web pages render, so that no page parses a
 * report's printed JSON again.
 */
#include "intel/isp_int.h" /* and intel_int.h */
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *wi_col_dup(wsql_stmt *st, int i, int *oom)
{
    if (wsql_column_type(st, i) == SQLITE_NULL)
        return NULL;
    char *s = strdup(wi_col(st, i));
    *oom |= !s;
    return s;
}

void *wi_push(void **items, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t want = *cap ? *cap * 2 : 16;
        void *p = realloc(*items, want * size);
        if (!p)
            return NULL;
        *items = p, *cap = want;
    }
    char *e = (char *)*items + (*n)++ * size;
    memset(e, 0, size);
    return e;
}

ward_status ward_intel_queue_get(ward_intel *in, const char *holder, ward_intel_queue *q,
                                 ward_error *err)
{
    memset(q, 0, sizeof *q);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT p.id, p.subject, p.version, p.holder, p.state,"
                                    " p.band, p.deadline, p.created, coalesce(p.outcome, ''),"
                                    " s.grade FROM packages p JOIN subjects s ON s.id = p.subject"
                                    " WHERE (CAST(?1 AS TEXT) IS NULL OR p.holder = ?1)"
                                    " ORDER BY p.band, p.deadline, p.id",
                                &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, holder, -1, SQLITE_STATIC);
    size_t cap = 0;
    int oom = 0;
    while (!oom && wsql_step(st) == SQLITE_ROW) {
        ward_intel_queue_item *it = wi_push((void **)&q->items, &q->n, &cap, sizeof *it);
        if (!it) {
            oom = 1;
            break;
        }
        it->package = wsql_column_int64(st, 0);
        wi_subject_id(wsql_column_int64(st, 1), it->subject);
        it->version = wsql_column_int(st, 2);
        it->band = wsql_column_int(st, 5) & 3;
        it->band_label = wi_band_labels[it->band];
        it->holder = wi_col_dup(st, 3, &oom);
        it->state = wi_col_dup(st, 4, &oom);
        it->deadline = wi_col_dup(st, 6, &oom);
        it->created = wi_col_dup(st, 7, &oom);
        it->outcome = wi_col_dup(st, 8, &oom);
        it->identity_unverified = wi_grade_unverified(wi_col(st, 9));
    }
    rc = wi_query_done(in, st, err);
    if (!rc && oom)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    return rc;
}

void ward_intel_queue_free(ward_intel_queue *q)
{
    for (size_t i = 0; q && i < q->n; i++) {
        ward_intel_queue_item *it = &q->items[i];
        free(it->holder), free(it->state), free(it->deadline), free(it->created);
        free(it->outcome);
    }
    if (q) {
        free(q->items);
        memset(q, 0, sizeof *q);
    }
}

static const char *or_empty(const char *s) { return s ? s : ""; }

ward_status ward_intel_packages(ward_intel *in, const char *holder, ward_intel_output fmt,
                                FILE *out, ward_error *err)
{
    ward_intel_queue q;
    ward_status rc = ward_intel_queue_get(in, holder, &q, err);
    wi_list l;
    wi_list_begin(&l, out, fmt);
    for (size_t i = 0; !rc && i < q.n; i++) {
        const ward_intel_queue_item *it = &q.items[i];
        if (fmt) {
            wi_list_item(&l);
            fprintf(out, "{\"package\":%lld,\"subject\":\"%s\",\"version\":%d,\"holder\":",
                    (long long)it->package, it->subject, it->version);
            wi_jstr(out, it->holder);
            fprintf(out, ",\"state\":\"%s\",\"band\":\"%s\",\"deadline\":\"%s\","
                         "\"created\":\"%s\",\"outcome\":\"%s\",\"identity_unverified\":%s}",
                    or_empty(it->state), it->band_label, or_empty(it->deadline),
                    or_empty(it->created), or_empty(it->outcome),
                    it->identity_unverified ? "true" : "false");
            wi_list_item_end(&l);
        } else
            fprintf(out, "%6lld  %s v%-2d %-28s %-12s %-9s due %s %s%s\n",
                    (long long)it->package, it->subject, it->version, or_empty(it->holder),
                    or_empty(it->state), it->band_label, or_empty(it->deadline),
                    or_empty(it->outcome),
                    it->identity_unverified ? "  (" WI_UNVERIFIED_NOTICE ")" : "");
    }
    if (!rc)
        wi_list_end(&l);
    ward_intel_queue_free(&q);
    if (!rc && ferror(out))
        rc = err_fail(err, WARD_EIO, "cannot write the output");
    return rc;
}

/* ---- alerts ----------------------------------------------------------------- */

static ward_status alert_add(ward_intel_alert_list *l, size_t *cap, const char *at,
                             const char *kind, const char *to, const char *text,
                             ward_error *err)
{
    ward_intel_alert *a = wi_push((void **)&l->items, &l->n, cap, sizeof *a);
    if (!a)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    a->at = strdup(at), a->kind = strdup(kind), a->to = strdup(to), a->text = strdup(text);
    if (!a->at || !a->kind || !a->to || !a->text)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    return WARD_OK;
}

typedef struct isp_alerts {
    ward_intel_alert_list *l;
    size_t *cap;
} isp_alerts;

static ward_status isp_alert_add(void *ctx, const char *at, const char *kind, const char *to,
                                 const char *text, ward_error *err)
{
    isp_alerts *ia = ctx;
    return alert_add(ia->l, ia->cap, at, kind, to, text, err);
}

ward_status ward_intel_alerts_get(ward_intel *in, time_t now, ward_intel_alert_list *l,
                                  ward_error *err)
{
    memset(l, 0, sizeof *l);
    char at[32];
    wi_time_str(now, at);
    size_t cap = 0;
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT at, kind, parties, text FROM alerts ORDER BY id",
                                &st, err);
    if (rc)
        return rc;
    while (!rc && wsql_step(st) == SQLITE_ROW)
        rc = alert_add(l, &cap, wi_col(st, 0), wi_col(st, 1), wi_col(st, 2), wi_col(st, 3), err);
    if (rc) {
        wsql_finalize(st);
        return rc;
    }
    if ((rc = wi_query_done(in, st, err)))
        return rc;
    if ((rc = wi_prepare(in, "SELECT id, subject, holder, band, deadline, state,"
                             " (julianday(?1) - julianday(deadline)) * 24 FROM packages"
                             " WHERE state IN ('created','disseminated','accepted')"
                             " AND deadline < ?1 ORDER BY band, deadline, id", &st, err)))
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        char sid[16], text[300];
        wi_subject_id(wsql_column_int64(st, 1), sid);
        snprintf(text, sizeof text, "package %lld (%s, %s) %s, deadline %s passed %.0f h ago",
                 (long long)wsql_column_int64(st, 0), sid,
                 wi_band_labels[wsql_column_int(st, 3) & 3], wi_col(st, 5), wi_col(st, 4),
                 wsql_column_double(st, 6));
        rc = alert_add(l, &cap, at, "overdue", wi_col(st, 2), text, err);
    }
    if (rc) {
        wsql_finalize(st);
        return rc;
    }
    if ((rc = wi_query_done(in, st, err)))
        return rc;
    isp_alerts ia = {l, &cap}; /* ISP request batches past their due date */
    return wi_isp_alerts(in, at, isp_alert_add, &ia, err);
}

void ward_intel_alert_list_free(ward_intel_alert_list *l)
{
    for (size_t i = 0; l && i < l->n; i++) {
        ward_intel_alert *a = &l->items[i];
        free(a->at), free(a->kind), free(a->to), free(a->text);
    }
    if (l) {
        free(l->items);
        memset(l, 0, sizeof *l);
    }
}

ward_status ward_intel_alerts(ward_intel *in, time_t now, ward_intel_output fmt, FILE *out,
                              uint64_t *nout, ward_error *err)
{
    ward_intel_alert_list al;
    ward_status rc = ward_intel_alerts_get(in, now, &al, err);
    wi_list l;
    wi_list_begin(&l, out, fmt);
    for (size_t i = 0; !rc && i < al.n; i++) {
        const ward_intel_alert *a = &al.items[i];
        if (fmt) {
            wi_list_item(&l);
            fprintf(out, "{\"at\":\"%s\",\"kind\":\"%s\",\"to\":", a->at, a->kind);
            wi_jstr(out, a->to);
            fputs(",\"text\":", out);
            wi_jstr(out, a->text);
            fputc('}', out);
            wi_list_item_end(&l);
        } else
            fprintf(out, "%s  %-14s to %s: %s\n", a->at, a->kind, a->to, a->text);
    }
    if (!rc)
        wi_list_end(&l);
    if (nout)
        *nout = rc ? 0 : al.n;
    ward_intel_alert_list_free(&al);
    if (!rc && ferror(out))
        rc = err_fail(err, WARD_EIO, "cannot write the output");
    return rc;
}
