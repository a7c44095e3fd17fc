/*
 * A public report into the intelligence store: a referral of source
 * "public" (through intel's intake, so it is normalised, resolved, scored
 * and routed like any other), its answers as given, and for an urgent one
 * an entry on the duty queue, in one transaction with the audit row.
 */
#include "report/report_int.h"
#include "util/error.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

ward_status rp_exec(ward_intel *in, const char *sql, const char *what, ward_error *err, int n,
                    const char *const *params)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, sql, &st, err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        wsql_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, what);
    wsql_finalize(st);
    return rc;
}

static void jfield(strbuf *b, const char *key, const char *v)
{
    strbuf_addf(b, "%s\"%s\":", b->len > 1 ? "," : "", key);
    esc_json_string(b, v, strlen(v));
}

/* The answers as given, JSON (everything in it is valid UTF-8: parsed). */
static ward_status answers_json(const ward_report *r, strbuf *b, ward_error *err)
{
    static const char *const three[] = {"no", "yes", "unsure"};
    static const char *const boxes[] = {"asked_images", "sexual_chat", "shared_images", "abroad",
                                        "other"};
    strbuf_add(b, "{", 1);
    jfield(b, "about", r->about_me ? "me" : "someone");
    jfield(b, "danger", three[r->danger]);
    jfield(b, "meeting", three[r->meeting]);
    strbuf_addf(b, ",\"what\":[");
    int first = 1;
    for (int i = 0; i < 5; i++)
        if (r->what & (1u << i)) {
            strbuf_addf(b, "%s\"%s\"", first ? "" : ",", boxes[i]);
            first = 0;
        }
    strbuf_addf(b, "],\"urls\":[");
    for (size_t i = 0; i < r->n_urls; i++) {
        if (i)
            strbuf_add(b, ",", 1);
        esc_json_string(b, r->urls[i], strlen(r->urls[i]));
    }
    strbuf_add(b, "]", 1);
    jfield(b, "who", r->who);
    jfield(b, "description", r->description);
    jfield(b, "contact", r->contact);
    strbuf_addf(b, ",\"age\":%d}", r->age);
    return b->s ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
}

/* A receipt number no report has yet (48 random bits: a clash is rare, and
 * checked under the write lock). */
static ward_status new_receipt(ward_intel *in, char out[WARD_REPORT_RECEIPT_MAX],
                               ward_error *err)
{
    for (int tries = 0; tries < 8; tries++) {
        uint8_t b[6];
        randombytes_buf(b, sizeof b);
        ward_report_receipt(b, out);
        int64_t seen;
        ward_status rc = wi_query_int(in, "SELECT count(*) FROM public_reports WHERE receipt = ?",
                                      out, 0, &seen, err);
        if (rc || !seen)
            return rc;
    }
    return err_fail(err, WARD_EINTERNAL, "no free receipt number after 8 tries");
}

static void to_referral(const ward_report *r, const char *receipt, wi_referral *ref)
{
    memset(ref, 0, sizeof *ref);
    ref->ref = receipt;
    ref->reporter = r->about_me ? "child or young person (about themselves)"
                                : "member of the public";
    ref->incident_type = "public report";
    for (size_t i = 0; i < r->n_typology; i++)
        ref->typology[ref->n_typology++] = r->typology[i];
    for (size_t i = 0; i < r->n_urls; i++)
        ref->urls[ref->n_urls++] = r->urls[i];
    if (r->who[0])
        ref->screens[ref->n_screens++] = r->who;
    ref->description = r->description;
    ref->reporter_contact = r->contact;
    snprintf(ref->where, sizeof ref->where, "web-form %s", receipt);
}

ward_status ward_report_submit(ward_intel *in, const ward_report *r, time_t now,
                               char receipt[WARD_REPORT_RECEIPT_MAX], ward_error *err)
{
    if (sodium_init() < 0)
        return err_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
    strbuf answers = {0};
    ward_status rc = answers_json(r, &answers, err);
    if (rc)
        return rc;
    if ((rc = wi_begin(in, err))) {
        strbuf_free(&answers);
        return rc;
    }
    rc = new_receipt(in, receipt, err);
    wi_referral ref;
    ward_intel_ingest_opts opts = {.source = "public", .bulk = 0, .now = now};
    ward_intel_ingest_summary sum;
    int64_t record = 0;
    int urgent = 0;
    if (!rc) {
        to_referral(r, receipt, &ref);
        rc = wi_ingest_one(in, &ref, &opts, &record, &urgent, &sum, err);
    }
    char at[32], rec[24];
    wi_time_str(now, at);
    snprintf(rec, sizeof rec, "%lld", (long long)record);
    if (!rc) {
        const char *p[] = {receipt, at, rec, r->urgent ? "1" : "0", answers.s};
        rc = rp_exec(in, "INSERT INTO public_reports(receipt, at, record, urgent, answers)"
                         " VALUES(?,?,?,?,?)", "storing the report", err, 5, p);
    }
    if (!rc && urgent) {
        char flags[128] = "";
        for (size_t i = 0; i < r->n_typology; i++)
            if (!strcmp(r->typology[i], "imminent_risk") ||
                !strcmp(r->typology[i], "meeting_planned"))
                snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%s%s",
                         flags[0] ? "," : "", r->typology[i]);
        const char *p[] = {rec, receipt, at, flags};
        rc = rp_exec(in, "INSERT INTO duty(kind, record, ref, arrived, flags)"
                         " VALUES('report',?,?,?,?)", "adding to the duty queue", err, 4, p);
    }
    if (!rc)
        wi_audit(in, now, "public", "report.public", receipt, urgent ? "urgent" : NULL);
    strbuf_free(&answers);
    return wi_end(in, rc, err);
}
