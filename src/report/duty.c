/*
 * The duty queue: every urgent report or referral (a child in danger now,
 * a meeting arranged, threats), whichever way it came in, with a timed
 * checklist for the duty officer (CEOP's 24/7 referrals desk: the Rachel
 * case). The queue is the store itself: a report submitted on the form is
 * on it in the same transaction, and an urgent referral ingested from a
 * file is added by the next sync (every duty page and every tick of
 * `ward serve`, seconds apart), so it reaches the top within the minute.
 *
 * An entry nobody acknowledges within the configured time is escalated to
 * a second person. Every step -- arrival, acknowledgement, each checklist
 * item, escalation, closing -- is a duty_steps row and an audit row.
 */
#include "report/report_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ward_duty_opts_default(ward_duty_opts *o)
{
    o->escalate_minutes = 15;
    o->escalate_to = "duty-manager";
}

static ward_status add_step(ward_intel *in, int64_t id, const char *at, const char *step,
                            const char *who, const char *detail, ward_error *err)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    const char *p[] = {ids, at, step, who, detail};
    ward_status rc = rp_exec(in, "INSERT INTO duty_steps(duty, at, step, by, detail)"
                                 " VALUES(?,?,?,?,?)", "recording a duty step", err, 5, p);
    if (!rc) {
        char object[40], action[40];
        snprintf(object, sizeof object, "duty %lld", (long long)id);
        snprintf(action, sizeof action, "duty.%s", step);
        wi_audit(in, wi_time_parse(at), who, action, object, detail);
    }
    return rc;
}

/* Urgent referrals without an entry get one, arriving when their list did. */
static ward_status add_arrivals(ward_intel *in, const char *at, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT r.id, coalesce(r.ref, r.locator), b.ingested, r.urgent"
                                    " FROM records r JOIN batches b ON b.id = r.batch"
                                    " WHERE coalesce(r.urgent, '') != '' AND NOT EXISTS"
                                    " (SELECT 1 FROM duty d WHERE d.record = r.id)"
                                    " ORDER BY r.id", &st, err);
    if (rc)
        return rc;
    typedef struct { int64_t rec; char ref[80], arrived[32], flags[128]; } arrival;
    arrival *a = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = wsql_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            arrival *na = realloc(a, cap * sizeof *na);
            if (!na) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            a = na;
        }
        a[n].rec = wsql_column_int64(st, 0);
        snprintf(a[n].ref, sizeof a[n].ref, "%s", wi_col(st, 1));
        snprintf(a[n].arrived, sizeof a[n].arrived, "%s", wi_col(st, 2));
        snprintf(a[n].flags, sizeof a[n].flags, "%s", wi_col(st, 3));
        n++;
    }
    if (!rc && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading urgent referrals");
    wsql_finalize(st);
    for (size_t i = 0; i < n && !rc; i++) {
        char rec[24];
        snprintf(rec, sizeof rec, "%lld", (long long)a[i].rec);
        const char *p[] = {rec, a[i].ref, a[i].arrived, a[i].flags};
        rc = rp_exec(in, "INSERT INTO duty(kind, record, ref, arrived, flags)"
                         " VALUES('referral',?,?,?,?)", "adding to the duty queue", err, 4, p);
        if (!rc)
            wi_audit(in, wi_time_parse(at), "ward", "duty.arrived", a[i].ref, a[i].flags);
    }
    free(a);
    return rc;
}

static ward_status escalate(ward_intel *in, const ward_duty_opts *o, time_t now,
                            const char *at, uint64_t *count, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT id, arrived FROM duty WHERE acknowledged_at IS NULL"
                                    " AND closed_at IS NULL AND escalated_at IS NULL"
                                    " ORDER BY id", &st, err);
    if (rc)
        return rc;
    int64_t ids[256];
    size_t n = 0;
    while (n < 256 && wsql_step(st) == SQLITE_ROW) {
        time_t arrived = wi_time_parse(wi_col(st, 1));
        if (arrived >= 0 && now - arrived >= (time_t)o->escalate_minutes * 60)
            ids[n++] = wsql_column_int64(st, 0);
    }
    wsql_finalize(st);   /* more than 256 at once: the next sync takes the rest */
    for (size_t i = 0; i < n && !rc; i++) {
        char id[24], detail[160];
        snprintf(id, sizeof id, "%lld", (long long)ids[i]);
        const char *p[] = {at, o->escalate_to, id};
        rc = rp_exec(in, "UPDATE duty SET escalated_at = ?, escalated_to = ? WHERE id = ?",
                     "escalating", err, 3, p);
        snprintf(detail, sizeof detail, "not acknowledged within %d minutes: escalated to %s",
                 o->escalate_minutes, o->escalate_to);
        if (!rc)
            rc = add_step(in, ids[i], at, "escalated", "ward", detail, err);
        if (!rc)
            (*count)++;
    }
    return rc;
}

ward_status ward_duty_sync(ward_intel *in, const ward_duty_opts *opts, time_t now,
                           uint64_t *escalated, ward_error *err)
{
    ward_duty_opts d;
    ward_duty_opts_default(&d);
    if (opts && opts->escalate_minutes > 0)
        d.escalate_minutes = opts->escalate_minutes;
    if (opts && opts->escalate_to && *opts->escalate_to)
        d.escalate_to = opts->escalate_to;
    uint64_t local = 0;
    if (!escalated)
        escalated = &local;
    *escalated = 0;
    char at[32];
    wi_time_str(now, at);
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = add_arrivals(in, at, err);
    if (!rc)
        rc = escalate(in, &d, now, at, escalated, err);
    return wi_end(in, rc, err);
}

static void jstr(FILE *out, const char *key, const char *v, int first)
{
    strbuf b = {0};
    if (v && *v)
        esc_json_string(&b, v, strlen(v));
    fprintf(out, "%s\"%s\":%s", first ? "" : ",", key, b.s ? b.s : "null");
    strbuf_free(&b);
}

static ward_status steps_json(ward_intel *in, int64_t id, FILE *out, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT at, step, by, coalesce(detail, '') FROM duty_steps"
                                   " WHERE duty = ? ORDER BY id", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    fputs(",\"steps\":[", out);
    for (int i = 0; wsql_step(st) == SQLITE_ROW; i++) {
        fputs(i ? ",{" : "{", out);
        jstr(out, "at", wi_col(st, 0), 1);
        jstr(out, "step", wi_col(st, 1), 0);
        jstr(out, "by", wi_col(st, 2), 0);
        jstr(out, "detail", wi_col(st, 3), 0);
        fputc('}', out);
    }
    fputc(']', out);
    wsql_reset(st);
    return WARD_OK;
}

ward_status ward_duty_list(ward_intel *in, time_t now, int include_closed, FILE *out,
                           ward_error *err)
{
    /* Open and unacknowledged first, newest at the top (they need a person
     * now), then open ones being worked, oldest first, then the last 50
     * closed. */
    static const char *const sql[2] = {
        "SELECT id, kind, ref, arrived, flags, acknowledged_at, acknowledged_by, escalated_at,"
        " escalated_to, closed_at, (SELECT answers FROM public_reports p WHERE p.record ="
        " duty.record), (SELECT subject FROM subject_records r WHERE r.record = duty.record)"
        " FROM duty WHERE closed_at IS NULL ORDER BY"
        " (acknowledged_at IS NOT NULL), CASE WHEN acknowledged_at IS NULL THEN 0 - id"
        " ELSE id END",
        "SELECT id, kind, ref, arrived, flags, acknowledged_at, acknowledged_by, escalated_at,"
        " escalated_to, closed_at, (SELECT answers FROM public_reports p WHERE p.record ="
        " duty.record), (SELECT subject FROM subject_records r WHERE r.record = duty.record)"
        " FROM duty WHERE closed_at IS NOT NULL ORDER BY id DESC"
        " LIMIT 50"};
    ward_status rc = WARD_OK;
    for (int pass = 0; pass < 1 + !!include_closed && !rc; pass++) {
        wsql_stmt *st;
        if ((rc = wi_prepare(in, sql[pass], &st, err)))
            break;
        int r;
        while (!rc && (r = wsql_step(st)) == SQLITE_ROW) {
            time_t arrived = wi_time_parse(wi_col(st, 3));
            fprintf(out, "{\"id\":%lld", (long long)wsql_column_int64(st, 0));
            jstr(out, "kind", wi_col(st, 1), 0);
            jstr(out, "ref", wi_col(st, 2), 0);
            jstr(out, "arrived", wi_col(st, 3), 0);
            fprintf(out, ",\"age_s\":%lld", arrived >= 0 ? (long long)(now - arrived) : -1LL);
            jstr(out, "flags", wi_col(st, 4), 0);
            jstr(out, "acknowledged_at", wi_col(st, 5), 0);
            jstr(out, "acknowledged_by", wi_col(st, 6), 0);
            jstr(out, "escalated_at", wi_col(st, 7), 0);
            jstr(out, "escalated_to", wi_col(st, 8), 0);
            jstr(out, "closed_at", wi_col(st, 9), 0);
            /* a public report's answers (our own JSON, as stored); the
             * subject its referral became, once resolved */
            fprintf(out, ",\"answers\":%s", *wi_col(st, 10) ? wi_col(st, 10) : "null");
            if (wsql_column_type(st, 11) != SQLITE_NULL) {
                char sid[16];
                wi_subject_id(wsql_column_int64(st, 11), sid);
                jstr(out, "subject", sid, 0);
            } else
                fputs(",\"subject\":null", out);
            rc = steps_json(in, wsql_column_int64(st, 0), out, err);
            fputs("}\n", out);
        }
        if (!rc && r != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "reading the duty queue");
        wsql_finalize(st);
    }
    return rc;
}

/* Steps and whether each needs a detail (what a later reader must know). */
static const struct { const char *name; int needs_detail; const char *ask; } steps[] = {
    {"acknowledged", 0, NULL},
    {"control_room", 1, "which force's control room was contacted, and their reference"},
    {"told", 1, "who was told, and when"},
    {"crime_report", 1, "the crime report's reference and the force it went to"},
    {"note", 1, "the note"},
    {"closed", 1, "what was done (the result)"},
};

ward_status ward_duty_step(ward_intel *in, int64_t id, const char *step, const char *who,
                           const char *detail, time_t now, ward_error *err)
{
    size_t k = 0, n = sizeof steps / sizeof *steps;
    while (k < n && (!step || strcmp(steps[k].name, step)))
        k++;
    if (k == n)
        return err_fail(err, WARD_EINVAL, "unknown duty step '%s' (acknowledged, control_room,"
                         " told, crime_report, note, closed)", step ? step : "");
    if (!who || !*who)
        return err_fail(err, WARD_EINVAL, "a duty step needs the person who took it");
    if (steps[k].needs_detail && (!detail || !*detail))
        return err_fail(err, WARD_EINVAL, "duty step %s needs %s", step, steps[k].ask);
    if (detail && !esc_utf8_valid(detail, strlen(detail)))
        return err_fail(err, WARD_EINVAL, "duty step %s: the detail is not valid UTF-8", step);
    ward_status rc = wi_begin(in, err);
    if (rc)
        return rc;
    wsql_stmt *st;
    char ack_by[64] = "", ack_at[32] = "";
    int found = 0, closed = 0;
    if (!(rc = wi_prepare(in, "SELECT coalesce(acknowledged_by, ''), coalesce(acknowledged_at,"
                              " ''), closed_at IS NOT NULL FROM duty WHERE id = ?", &st, err))) {
        wsql_bind_int64(st, 1, id);
        if (wsql_step(st) == SQLITE_ROW) {
            found = 1;
            snprintf(ack_by, sizeof ack_by, "%s", wi_col(st, 0));
            snprintf(ack_at, sizeof ack_at, "%s", wi_col(st, 1));
            closed = wsql_column_int(st, 2);
        }
        wsql_finalize(st);
    }
    if (!rc && !found)
        rc = err_fail(err, WARD_ENOTFOUND, "no duty entry %lld", (long long)id);
    else if (!rc && closed)
        rc = err_fail(err, WARD_EINVAL, "duty entry %lld is closed", (long long)id);
    else if (!rc && k == 0 && ack_by[0])
        rc = err_fail(err, WARD_EINVAL, "duty entry %lld was acknowledged by %s at %s",
                       (long long)id, ack_by, ack_at);
    char at[32], ids[24];
    wi_time_str(now, at);
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    if (!rc && (k == 0 || (!ack_by[0] && strcmp(step, "note")))) {
        /* any real step by the duty officer acknowledges the entry */
        const char *p[] = {at, who, ids};
        rc = rp_exec(in, "UPDATE duty SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
                     "acknowledging", err, 3, p);
        if (!rc && k != 0)
            rc = add_step(in, id, at, "acknowledged", who, NULL, err);
    }
    if (!rc && !strcmp(step, "closed")) {
        const char *p[] = {at, who, ids};
        rc = rp_exec(in, "UPDATE duty SET closed_at = ?, closed_by = ? WHERE id = ?", "closing",
                     err, 3, p);
    }
    if (!rc)
        rc = add_step(in, id, at, step, who, detail && *detail ? detail : NULL, err);
    return wi_end(in, rc, err);
}
