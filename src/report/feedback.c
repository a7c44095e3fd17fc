/*
 * Feedback to referrers (the research report's 11.2.5 and 12.1.6-7: whoever
 * referred a case should hear what came of it). For each source -- the
 * `source` name its lists were ingested under: an agency, a platform, a
 * foreign unit -- what it is owed is read from the store as it stands:
 *   receipt    each list it sent, when it arrived and how many referrals
 *   progress   each package made from its referrals: created, disseminated,
 *              accepted, actioned (with the unit that holds it)
 *   outcome    arrest, charge, caution, safeguarded, nfa, referred
 * Each is an item with a time; the items up to the last time feedback was
 * marked sent are sent, later ones unsent, and unsent ones older than the
 * KPI's overdue_days overdue. Nothing names a person: packages go by
 * number, referrals by the source's own reference.
 *
 * A package nobody has touched for silent_days is a reminder to its holder
 * (an alert of kind "silent", shown on the alerts page of that unit).
 */
#include "report/report_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fb_event {
    char at[32], state[24];
} fb_event;

typedef struct fb_package {
    int64_t id;
    char holder[64], state[24], created[32], outcome[24], refs[256];
    fb_event *ev;
    size_t n_ev;
} fb_package;

typedef struct fb_batch {
    int64_t id;
    char received[64], ingested[32];
    int64_t records;
} fb_batch;

typedef struct fb_source {
    fb_batch *b;
    size_t n_b;
    fb_package *p;
    size_t n_p;
    char last_sent[32];   /* "" never */
} fb_source;

static void fb_free(fb_source *s)
{
    for (size_t i = 0; i < s->n_p; i++)
        free(s->p[i].ev);
    free(s->p);
    free(s->b);
    memset(s, 0, sizeof *s);
}

static int grow(void **a, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *na = realloc(*a, c * size);
    if (!na)
        return -1;
    *a = na, *cap = c;
    return 0;
}

static ward_status load_events(ward_intel *in, fb_package *p, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT at, state FROM package_events WHERE package = ?"
                                   " AND state NOT IN ('merged', 'escalated') ORDER BY id",
                               &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, p->id);
    size_t cap = 0;
    while (wsql_step(st) == SQLITE_ROW) {
        if (grow((void **)&p->ev, p->n_ev, &cap, sizeof *p->ev)) {
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
            break;
        }
        fb_event *e = &p->ev[p->n_ev++];
        snprintf(e->at, sizeof e->at, "%s", wi_col(st, 0));
        snprintf(e->state, sizeof e->state, "%s", wi_col(st, 1));
    }
    wsql_reset(st);
    return rc;
}

static ward_status load(ward_intel *in, const char *source, fb_source *s, ward_error *err)
{
    memset(s, 0, sizeof *s);
    wsql_stmt *st;
    size_t cap = 0;
    ward_status rc = wi_prepare(in, "SELECT id, received, ingested, records FROM batches"
                                    " WHERE source = ? ORDER BY id", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, source, -1, SQLITE_STATIC);
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        if (grow((void **)&s->b, s->n_b, &cap, sizeof *s->b)) {
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
            break;
        }
        fb_batch *b = &s->b[s->n_b++];
        b->id = wsql_column_int64(st, 0);
        snprintf(b->received, sizeof b->received, "%s", wi_col(st, 1));
        snprintf(b->ingested, sizeof b->ingested, "%s", wi_col(st, 2));
        b->records = wsql_column_int64(st, 3);
    }
    wsql_finalize(st);
    /* the packages its referrals went into, with the source's references */
    if (!rc)
        rc = wi_prepare(in, "SELECT p.id, p.holder, p.state, p.created, coalesce(p.outcome, ''),"
                            " coalesce(r.ref, r.locator) FROM records r"
                            " JOIN batches b ON b.id = r.batch AND b.source = ?"
                            " JOIN subject_records sr ON sr.record = r.id"
                            " JOIN packages p ON p.subject = sr.subject AND p.state != 'merged'"
                            " ORDER BY p.id, r.id", &st, err);
    if (rc) {
        fb_free(s);
        return rc;
    }
    wsql_bind_text(st, 1, source, -1, SQLITE_STATIC);
    cap = 0;
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        int64_t id = wsql_column_int64(st, 0);
        fb_package *p = s->n_p ? &s->p[s->n_p - 1] : NULL;
        if (!p || p->id != id) {
            if (grow((void **)&s->p, s->n_p, &cap, sizeof *s->p)) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            p = &s->p[s->n_p++];
            memset(p, 0, sizeof *p);
            p->id = id;
            snprintf(p->holder, sizeof p->holder, "%s", wi_col(st, 1));
            snprintf(p->state, sizeof p->state, "%s", wi_col(st, 2));
            snprintf(p->created, sizeof p->created, "%s", wi_col(st, 3));
            snprintf(p->outcome, sizeof p->outcome, "%s", wi_col(st, 4));
        }
        size_t n = strlen(p->refs);
        if (n + strlen(wi_col(st, 5)) + 3 < sizeof p->refs)
            snprintf(p->refs + n, sizeof p->refs - n, "%s%s", n ? ", " : "", wi_col(st, 5));
    }
    wsql_finalize(st);
    for (size_t i = 0; i < s->n_p && !rc; i++)
        rc = load_events(in, &s->p[i], err);
    if (!rc) {
        if (!(rc = wi_prepare(in, "SELECT max(upto) FROM feedback_sent WHERE source = ?", &st,
                              err))) {
            wsql_bind_text(st, 1, source, -1, SQLITE_STATIC);
            if (wsql_step(st) == SQLITE_ROW)
                snprintf(s->last_sent, sizeof s->last_sent, "%s", wi_col(st, 0));
            wsql_finalize(st);
        }
    }
    if (rc)
        fb_free(s);
    return rc;
}

/* Items owed and, of them, sent and overdue (unsent for overdue_days). */
static void tally(const fb_source *s, time_t now, int overdue_days, uint64_t *items,
                  uint64_t *sent, uint64_t *overdue)
{
    *items = *sent = *overdue = 0;
    for (size_t i = 0; i < s->n_b + s->n_p; i++) {
        size_t n = i < s->n_b ? 1 : s->p[i - s->n_b].n_ev;
        for (size_t k = 0; k < n; k++) {
            const char *at = i < s->n_b ? s->b[i].ingested : s->p[i - s->n_b].ev[k].at;
            (*items)++;
            if (s->last_sent[0] && strcmp(at, s->last_sent) <= 0)
                (*sent)++;
            else if (now - wi_time_parse(at) > (time_t)overdue_days * 86400)
                (*overdue)++;
        }
    }
}

static void json_str(FILE *out, const char *s)
{
    strbuf b = {0};
    esc_json_string(&b, s, strlen(s));
    fputs(b.s ? b.s : "\"\"", out);
    strbuf_free(&b);
}

static void letter_json(const fb_source *s, const char *source, const char *at, time_t now,
                        FILE *out)
{
    uint64_t items, sent, overdue;
    tally(s, now, 7, &items, &sent, &overdue);
    fputs("{\"source\":", out);
    json_str(out, source);
    fprintf(out, ",\"at\":\"%s\",\"last_sent\":", at);
    s->last_sent[0] ? json_str(out, s->last_sent) : (void)fputs("null", out);
    fprintf(out, ",\"items\":%llu,\"unsent\":%llu,\"receipts\":[", (unsigned long long)items,
            (unsigned long long)(items - sent));
    for (size_t i = 0; i < s->n_b; i++) {
        fprintf(out, "%s{\"list\":%lld,\"received\":", i ? "," : "", (long long)s->b[i].id);
        json_str(out, s->b[i].received);
        fprintf(out, ",\"acknowledged\":\"%s\",\"referrals\":%lld}", s->b[i].ingested,
                (long long)s->b[i].records);
    }
    fputs("],\"packages\":[", out);
    for (size_t i = 0; i < s->n_p; i++) {
        const fb_package *p = &s->p[i];
        fprintf(out, "%s{\"package\":%lld,\"held_by\":", i ? "," : "", (long long)p->id);
        json_str(out, p->holder);
        fputs(",\"your_references\":", out);
        json_str(out, p->refs);
        fprintf(out, ",\"state\":\"%s\",\"progress\":[", p->state);
        for (size_t k = 0; k < p->n_ev; k++)
            fprintf(out, "%s{\"at\":\"%s\",\"state\":\"%s\"}", k ? "," : "", p->ev[k].at,
                    p->ev[k].state);
        fputs("],\"outcome\":", out);
        p->outcome[0] ? json_str(out, p->outcome) : (void)fputs("null", out);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

static void h(FILE *out, const char *s)   /* HTML text */
{
    strbuf b = {0};
    esc_html_text(&b, s, strlen(s), 0);
    fputs(b.s ? b.s : "", out);
    strbuf_free(&b);
}

static void letter_html(const fb_source *s, const char *source, const char *at, FILE *out)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Feedback to ",
          out);
    h(out, source);
    fputs("</title><style>body{font:12pt/1.4 serif;max-width:48em;margin:2em auto;color:#000}"
          "table{border-collapse:collapse;width:100%}th,td{border:1px solid #444;padding:.2em"
          " .4em;text-align:left;vertical-align:top}@media print{a{color:#000}}</style></head>"
          "<body><main><p>", out);
    h(out, at);
    fputs("</p><h1>Feedback on your referrals</h1><p>To: ", out);
    h(out, source);
    fputs("</p><p>Thank you for your referrals. This letter says what we received from you and"
          " what has happened since. It names no person: packages are given by our number and"
          " your referrals by your own reference. For anything more, contact the unit that"
          " holds the package.</p><h2>What we received</h2>", out);
    if (!s->n_b)
        fputs("<p>Nothing yet.</p>", out);
    else {
        fputs("<table><thead><tr><th scope=\"col\">List</th><th scope=\"col\">Received</th>"
              "<th scope=\"col\">Acknowledged</th><th scope=\"col\">Referrals</th></tr></thead>"
              "<tbody>", out);
        for (size_t i = 0; i < s->n_b; i++) {
            fprintf(out, "<tr><td>%lld</td><td>", (long long)s->b[i].id);
            h(out, s->b[i].received);
            fprintf(out, "</td><td>%s</td><td>%lld</td></tr>", s->b[i].ingested,
                    (long long)s->b[i].records);
        }
        fputs("</tbody></table>", out);
    }
    fputs("<h2>Progress and outcomes</h2>", out);
    if (!s->n_p)
        fputs("<p>No package has been made from your referrals yet.</p>", out);
    else {
        fputs("<table><thead><tr><th scope=\"col\">Package</th><th scope=\"col\">Your"
              " references</th><th scope=\"col\">Held by</th><th scope=\"col\">Progress</th>"
              "<th scope=\"col\">Outcome</th></tr></thead><tbody>", out);
        for (size_t i = 0; i < s->n_p; i++) {
            const fb_package *p = &s->p[i];
            fprintf(out, "<tr><td>%lld</td><td>", (long long)p->id);
            h(out, p->refs);
            fputs("</td><td>", out);
            h(out, p->holder);
            fputs("</td><td>", out);
            for (size_t k = 0; k < p->n_ev; k++)
                fprintf(out, "%s%s %s", k ? "<br>" : "", p->ev[k].state, p->ev[k].at);
            fputs("</td><td>", out);
            h(out, p->outcome[0] ? p->outcome : "not yet");
            fputs("</td></tr>", out);
        }
        fputs("</tbody></table>", out);
    }
    fputs("<p>Outcomes: arrest, charge, caution, safeguarded (a child made safe), nfa (no further"
          " action), referred (passed to another agency).</p></main></body></html>\n", out);
}

ward_status ward_feedback_letter(ward_intel *in, const char *source, time_t now,
                                 const char *format, FILE *out, ward_error *err)
{
    if (!source || !*source)
        return err_fail(err, WARD_EINVAL, "feedback is for one source: name it");
    int html = format && !strcmp(format, "html");
    if (format && !html && strcmp(format, "json"))
        return err_fail(err, WARD_EINVAL, "format must be json or html, not '%s'", format);
    fb_source s;
    ward_status rc = load(in, source, &s, err);
    if (rc)
        return rc;
    if (!s.n_b) {
        fb_free(&s);
        return err_fail(err, WARD_ENOTFOUND, "no list was ever received from '%s'", source);
    }
    char at[32];
    wi_time_str(now, at);
    if (html)
        letter_html(&s, source, at, out);
    else
        letter_json(&s, source, at, now, out);
    fb_free(&s);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the letter") : WARD_OK;
}

ward_status ward_feedback_mark_sent(ward_intel *in, const char *source, const char *who,
                                    time_t now, ward_error *err)
{
    if (!source || !*source || !who || !*who)
        return err_fail(err, WARD_EINVAL, "marking feedback sent needs the source and who");
    ward_status rc = wi_begin(in, err);
    if (rc)
        return rc;
    fb_source s;
    uint64_t items = 0, sent = 0, overdue = 0;
    if (!(rc = load(in, source, &s, err))) {
        if (!s.n_b)
            rc = err_fail(err, WARD_ENOTFOUND, "no list was ever received from '%s'", source);
        tally(&s, now, 7, &items, &sent, &overdue);
        fb_free(&s);
    }
    char at[32], n[24];
    wi_time_str(now, at);
    snprintf(n, sizeof n, "%llu", (unsigned long long)(items - sent));
    if (!rc) {
        const char *p[] = {source, at, who, at, n};
        rc = rp_exec(in, "INSERT INTO feedback_sent(source, at, by, upto, items)"
                         " VALUES(?,?,?,?,?)", "recording feedback sent", err, 5, p);
    }
    if (!rc)
        wi_audit(in, now, who, "feedback.sent", source, n);
    return wi_end(in, rc, err);
}

ward_status ward_feedback_reminders(ward_intel *in, time_t now, int silent_days, FILE *out,
                                    uint64_t *count, ward_error *err)
{
    *count = 0;
    if (silent_days < 1)
        return err_fail(err, WARD_EINVAL, "silent days must be at least 1");
    ward_status rc = wi_begin(in, err);
    if (rc)
        return rc;
    wsql_stmt *st;
    /* the last thing that happened to each open package */
    rc = wi_prepare(in, "SELECT p.id, p.subject, p.holder, coalesce((SELECT max(at) FROM"
                        " package_events e WHERE e.package = p.id), p.created) FROM packages p"
                        " WHERE p.outcome IS NULL AND p.state NOT IN ('merged', 'outcome')"
                        " ORDER BY p.id", &st, err);
    char at[32];
    wi_time_str(now, at);
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        time_t last = wi_time_parse(wi_col(st, 3));
        if (last < 0 || now - last < (time_t)silent_days * 86400)
            continue;
        (*count)++;
        char text[256], holder[64];
        int64_t pkg = wsql_column_int64(st, 0);
        snprintf(holder, sizeof holder, "%s", wi_col(st, 2));
        snprintf(text, sizeof text, "package %lld held by %s: nothing recorded since %s"
                 " (silent over %d days): record its progress or outcome, so that whoever"
                 " referred it can be told", (long long)pkg, holder, wi_col(st, 3), silent_days);
        if (out)
            fprintf(out, "%s\n", text);
        int raised = 0;
        rc = wi_alert(in, at, "silent", wsql_column_int64(st, 1), pkg, holder, text, &raised,
                      err);
        if (!rc && raised) {
            char obj[32];
            snprintf(obj, sizeof obj, "package %lld", (long long)pkg);
            wi_audit(in, now, "ward", "feedback.reminder", obj, holder);
        }
    }
    if (st)
        wsql_finalize(st);
    return wi_end(in, rc, err);
}

ward_status ward_feedback_kpi_get(ward_intel *in, time_t now, int overdue_days,
                                  int silent_days, int json, FILE *out,
                                  ward_feedback_kpi *k, ward_error *err)
{
    memset(k, 0, sizeof *k);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT DISTINCT source FROM batches ORDER BY source", &st,
                                err);
    if (rc)
        return rc;
    char (*names)[128] = NULL;
    size_t n = 0, cap = 0;
    while (wsql_step(st) == SQLITE_ROW) {
        if (grow((void **)&names, n, &cap, sizeof *names)) {
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
            break;
        }
        snprintf(names[n++], sizeof *names, "%s", wi_col(st, 0));
    }
    wsql_finalize(st);
    for (size_t i = 0; i < n && !rc; i++) {
        fb_source s;
        if ((rc = load(in, names[i], &s, err)))
            break;
        uint64_t items, sent, overdue;
        tally(&s, now, overdue_days, &items, &sent, &overdue);
        k->sources++;
        k->items += items, k->sent += sent, k->overdue += overdue;
        if (out && json) {
            fputs("{\"source\":", out);
            json_str(out, names[i]);
            fprintf(out, ",\"items\":%llu,\"sent\":%llu,\"overdue\":%llu,\"last_sent\":",
                    (unsigned long long)items, (unsigned long long)sent,
                    (unsigned long long)overdue);
            s.last_sent[0] ? json_str(out, s.last_sent) : (void)fputs("null", out);
            fputs("}\n", out);
        } else if (out)
            fprintf(out, "%-24s items %5llu  sent %5llu  overdue %5llu  last sent %s\n",
                    names[i], (unsigned long long)items, (unsigned long long)sent,
                    (unsigned long long)overdue, s.last_sent[0] ? s.last_sent : "never");
        fb_free(&s);
    }
    free(names);
    char since[32];
    wi_time_str(now - (time_t)silent_days * 86400, since);
    int64_t v = 0;
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM packages p WHERE p.outcome IS NULL AND"
                              " p.state NOT IN ('merged', 'outcome') AND coalesce((SELECT"
                              " max(at) FROM package_events e WHERE e.package = p.id),"
                              " p.created) <= ?", since, 0, &v, err);
    k->silent = (uint64_t)v;
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM duty WHERE closed_at IS NULL", NULL, 0, &v,
                          err);
    k->duty_open = (uint64_t)v;
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM duty WHERE escalated_at IS NOT NULL", NULL,
                          0, &v, err);
    k->duty_escalated = (uint64_t)v;
    return rc;
}
