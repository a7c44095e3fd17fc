/*
 * The submitter: submit, upload, fileinfo, finish for one service report,
 * carried on from wherever the last run stopped.
 *
 *   report:  (none) -claim-> submitting -answer 0-> submitted -finish-> finished
 *   file:    (none) -claim-> uploading  -answer 0-> uploaded -fileinfo-> described
 *
 * A claim row is committed before the call it announces. After a call:
 * an answer of success moves the row on; a certain failure (TL_RETRY) is
 * tried again after a wait, and when the tries run out the claim is dropped
 * (nothing was created, the next run starts that step afresh); an unknown
 * outcome leaves the claim, so the next run finds it and holds the report
 * for a person instead of creating a second report or file at NCMEC.
 * fileinfo and finish change nothing when repeated, so for them an unknown
 * outcome is simply tried again. Every call is audited.
 */
#include "tipline/tipline_http.h"
#include "tipline/tipline_int.h"
#include "serve/serve_int.h"
#include "util/error.h"
#include "scan/jsonl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/digest.h>

void ward_tipline_opts_default(ward_tipline_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retries = WARD_TIPLINE_RETRIES;
    o->retry_delay_s = WARD_TIPLINE_RETRY_DELAY_S;
    o->timeout_s = WARD_TIPLINE_TIMEOUT_S;
}

typedef struct run {
    const ward_tipline_opts *o;
    svc_state *s;
    int64_t id;
    char *json;              /* the service report */
    ward_tipline_status *st;
} run;

static ward_status open_state(const ward_tipline_opts *o, svc_state **s, ward_error *err)
{
    return svc_open_keyed(o->datadir, o->store_url, o->key_file, s, err);
}

ward_status tl_report_json(const ward_tipline_opts *o, int64_t report_id, char **json,
                           ward_error *err)
{
    svc_state *s;
    ward_status rc = open_state(o, &s, err);
    if (rc == WARD_OK) {
        rc = svc_report_get(s, report_id, json, err);
        svc_close(s);
    }
    return rc;
}

ward_status ward_tipline_report_xml(const ward_tipline_opts *o, int64_t report_id, char **xml,
                                    int *notices, ward_error *err)
{
    char *json = NULL;
    *xml = NULL;
    ward_status rc = tl_report_json(o, report_id, &json, err);
    if (rc == WARD_OK)
        rc = tl_report_xml(o, json, xml, notices, err);
    free(json);
    return rc;
}

/* The evidence file's path and its digests. */
static ward_status evidence_digests(const char *datadir, int64_t event, const char *sha,
                                    char *path, size_t cap, char md5[65], char sha1[65],
                                    ward_error *err)
{
    char dir[4096];
    svc_evidence_dir(datadir, event, dir, sizeof dir);
    snprintf(path, cap, "%s/%s.bin", dir, sha);
    FILE *f = fopen(path, "rbe");
    if (!f)
        return err_fail_errno(err, errno, "cannot read the evidence file %s", path);
    ward_digester *d = ward_digester_new(WARD_DIGEST_ALL);
    char buf[65536], hex[65];
    size_t n;
    while (d && (n = fread(buf, 1, sizeof buf, f)) > 0)
        ward_digester_update(d, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (!d)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_digests dg;
    ward_digester_final(d, &dg);
    ward_digester_free(d);
    if (bad)
        return err_fail(err, WARD_EIO, "cannot read the evidence file %s", path);
    ward_digest_hex(&dg, WARD_DIGEST_SHA256, hex);
    if (strcmp(hex, sha)) /* the name is the content's digest, or something changed it */
        return err_fail(err, WARD_EFORMAT, "the evidence file %s no longer has the SHA-256 "
                                            "it was filed under (now %s)", path, hex);
    ward_digest_hex(&dg, WARD_DIGEST_MD5, md5);
    ward_digest_hex(&dg, WARD_DIGEST_SHA1, sha1);
    return WARD_OK;
}

ward_status ward_tipline_file_xml(const ward_tipline_opts *o, int64_t report_id,
                                  const char *sha256, char **xml, ward_error *err)
{
    *xml = NULL;
    svc_state *s;
    ward_status rc = open_state(o, &s, err);
    if (rc != WARD_OK)
        return rc;
    char *json = NULL;
    svc_tipline_report r;
    svc_tipline_file f;
    rc = svc_report_get(s, report_id, &json, err);
    if (rc == WARD_OK)
        rc = svc_tipline_report_get(s, report_id, &r, err);
    if (rc == WARD_OK)
        rc = svc_tipline_file_get(s, report_id, sha256, &f, err);
    if (rc == WARD_OK && (!r.ncmec_id[0] || !f.file_id[0]))
        rc = err_fail(err, WARD_ENOTFOUND, "report %lld's file %s has no NCMEC ids yet: its "
                       "fileDetails exist once it is uploaded (ward tipline submit)",
                       (long long)report_id, sha256);
    yajl_val rep = NULL;
    if (rc == WARD_OK) {
        char ebuf[64], path[4200], md5[65], sha1[65];
        rep = yajl_tree_parse(json, ebuf, sizeof ebuf);
        rc = evidence_digests(o->datadir, jv_int(rep, "event_id", 0), sha256, path,
                              sizeof path, md5, sha1, err);
        tl_file tf = {.sha256 = sha256, .md5 = md5, .sha1 = sha1, .ncmec_report = r.ncmec_id,
                      .ncmec_file = f.file_id};
        if (rc == WARD_OK)
            rc = tl_file_xml(o, json, &tf, xml, err);
    }
    yajl_tree_free(rep);
    free(json);
    svc_close(s);
    return rc;
}

/* ---- one run ------------------------------------------------------------------ */

static void progress(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(run *r, const char *fmt, ...)
{
    if (!r->o->progress)
        return;
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->o->progress(r->o->ctx, line);
}

static void pause_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const char *kind_name(tl_kind k)
{
    static const char *const n[] = {"status", "submit", "upload", "fileinfo", "finish"};
    return n[k];
}

/* One record of the service's audit log about this report. */
static ward_status audit(run *r, const char *action, const char *detail, ward_error *err)
{
    char obj[48];
    snprintf(obj, sizeof obj, "report/%lld", (long long)r->id);
    return svc_audit(r->s, r->o->actor ? r->o->actor : "tipline", action, obj, detail, err);
}

/* Make one call, again after a wait while it certainly failed (and, for a
 * call that changes nothing when repeated, while its outcome is unknown). */
static tl_outcome call(run *r, const tl_request *rq, tl_answer *a)
{
    int idempotent = rq->kind == TL_FILEINFO || rq->kind == TL_FINISH;
    double wait = r->o->retry_delay_s;
    tl_outcome out;
    for (int attempt = 0;; attempt++) {
        out = tl_call(r->o, rq, a);
        char obj[48], detail[300];
        snprintf(obj, sizeof obj, "report/%lld", (long long)r->id);
        snprintf(detail, sizeof detail, "%s %s: code %d %s", kind_name(rq->kind),
                 out == TL_OK ? "ok" : out == TL_RETRY ? "failed, nothing saved"
                 : out == TL_UNKNOWN ? "outcome unknown" : out == TL_AUTH ? "not authorised"
                 : "refused", a->code, a->desc);
        ward_error aerr;
        if (svc_audit(r->s, r->o->actor ? r->o->actor : "tipline", "tipline.call", obj, detail,
                      &aerr) != WARD_OK)
            progress(r, "report %lld: the audit chain did not record this call: %s",
                     (long long)r->id, aerr.message);
        progress(r, "report %lld: %s", (long long)r->id, detail);
        int again = out == TL_RETRY || (idempotent && out == TL_UNKNOWN);
        if (!again || attempt >= r->o->retries)
            return out;
        pause_s(wait);
        wait *= 2;
    }
}

static void note(run *r, ward_tipline_state state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(run *r, ward_tipline_state state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->st->note, sizeof r->st->note, fmt, ap);
    va_end(ap);
    r->st->state = state;
}

/* The outcome of a call that did not succeed, as the run's result; an
 * error status only for refused credentials. */
static ward_status not_ok(run *r, tl_outcome out, const tl_answer *a, const char *what,
                          ward_error *err)
{
    switch (out) {
    case TL_AUTH:
        return err_fail(err, WARD_EREFUSED, "%s: the endpoint refused the credentials (HTTP %ld,"
                         " code %d %s)", what, a->http, a->code, a->desc);
    case TL_RETRY:
        note(r, WARD_TIPLINE_PENDING, "%s failed %d times, nothing saved at NCMEC (%d %s): "
             "the next submit tries again", what, r->o->retries + 1, a->code, a->desc);
        return WARD_OK;
    case TL_UNKNOWN:
        note(r, WARD_TIPLINE_HELD, "%s went out and no answer came (%s): held, not sent "
             "again; check with NCMEC, then submit --resend (it did not arrive) or %s ID (it "
             "did)", what, a->desc, strcmp(what, "upload") ? "--ncmec-id" : "--file-id");
        return WARD_OK;
    default:
        note(r, WARD_TIPLINE_FAILED, "NCMEC refused the %s: code %d %s", what, a->code,
             a->desc);
        return WARD_OK;
    }
}

static ward_status do_submit(run *r, const char *xml, ward_error *err)
{
    int claimed = 0;
    ward_status rc = svc_tipline_claim(r->s, r->id, NULL, r->o->endpoint, &claimed, err);
    if (rc != WARD_OK)
        return rc;
    if (!claimed) { /* another submitter got there between our read and now */
        note(r, WARD_TIPLINE_HELD, "another submitter is sending this report");
        return WARD_OK;
    }
    tl_request rq = {.kind = TL_SUBMIT, .xml = xml};
    tl_answer a;
    tl_outcome out = call(r, &rq, &a);
    if (out == TL_OK && !a.report_id[0])
        out = TL_UNKNOWN, snprintf(a.desc, sizeof a.desc, "success without a reportId");
    if (out == TL_OK) {
        snprintf(r->st->ncmec_id, sizeof r->st->ncmec_id, "%s", a.report_id);
        return svc_tipline_report_set(r->s, r->id, "submitted", a.report_id, "submitted", err);
    }
    if (out == TL_RETRY || out == TL_AUTH) /* nothing created: drop the claim */
        rc = svc_tipline_report_forget(r->s, r->id, err);
    else if (out == TL_REFUSED)
        rc = svc_tipline_report_set(r->s, r->id, "failed", NULL, a.desc, err);
    ward_status res = not_ok(r, out, &a, "submit", err);
    if (out == TL_UNKNOWN && rc == WARD_OK)
        rc = svc_tipline_report_set(r->s, r->id, "submitting", NULL, r->st->note, err);
    return rc ? rc : res;
}

static ward_status do_file(run *r, int64_t event, const char *sha, ward_error *err)
{
    svc_tipline_file f;
    ward_status rc = svc_tipline_file_get(r->s, r->id, sha, &f, err);
    if (rc != WARD_OK)
        return rc;
    if (!strcmp(f.state, "uploading") && r->o->resend)
        rc = svc_tipline_file_forget(r->s, r->id, sha, err), f.state[0] = 0;
    if (!strcmp(f.state, "uploading") && r->o->adopt_file_id && rc == WARD_OK) {
        if (svc_tipline_files_in(r->s, r->id, "uploading") != 1)
            return err_fail(err, WARD_EREFUSED, "report %lld has several uploads held: adopt "
                             "a fileId only where one is", (long long)r->id);
        char why[200];
        snprintf(why, sizeof why, "a person confirmed NCMEC received the held upload of "
                                  "%.16s... as file %s", sha, r->o->adopt_file_id);
        if ((rc = svc_tipline_file_set(r->s, r->id, sha, "uploaded", r->o->adopt_file_id, NULL,
                                       err)) ||
            (rc = audit(r, "tipline.adopt", why, err)))
            return rc;
        snprintf(f.state, sizeof f.state, "uploaded");
        snprintf(f.file_id, sizeof f.file_id, "%s", r->o->adopt_file_id);
    }
    if (!strcmp(f.state, "uploading")) {
        note(r, WARD_TIPLINE_HELD, "the upload of file %.16s... went out and no answer came: "
             "held; check with NCMEC, then submit --resend (it did not arrive) or --file-id "
             "ID (it did)", sha);
        return WARD_OK;
    }
    char path[4200], md5[65], sha1[65], name[80];
    if (rc == WARD_OK)
        rc = evidence_digests(r->o->datadir, event, sha, path, sizeof path, md5, sha1, err);
    if (rc != WARD_OK)
        return rc;
    tl_answer a;
    if (!f.state[0]) {
        int claimed = 0;
        if ((rc = svc_tipline_claim(r->s, r->id, sha, NULL, &claimed, err)) != WARD_OK)
            return rc;
        if (!claimed) {
            note(r, WARD_TIPLINE_HELD, "another submitter is uploading this file");
            return WARD_OK;
        }
        snprintf(name, sizeof name, "%s.bin", sha);
        tl_request rq = {.kind = TL_UPLOAD, .id = r->st->ncmec_id, .file_path = path,
                         .file_name = name};
        tl_outcome out = call(r, &rq, &a);
        if (out == TL_OK && !a.file_id[0])
            out = TL_UNKNOWN, snprintf(a.desc, sizeof a.desc, "success without a fileId");
        if (out != TL_OK) {
            if (out == TL_RETRY || out == TL_AUTH)
                rc = svc_tipline_file_forget(r->s, r->id, sha, err);
            else if (out == TL_REFUSED)
                rc = svc_tipline_report_set(r->s, r->id, "failed", NULL, a.desc, err);
            ward_status res = not_ok(r, out, &a, "upload", err);
            return rc ? rc : res;
        }
        if (strcasecmp(a.hash, md5)) { /* NCMEC holds other bytes than ward sent */
            rc = svc_tipline_file_set(r->s, r->id, sha, "uploaded", a.file_id, md5, err);
            note(r, WARD_TIPLINE_FAILED, "NCMEC's MD5 of file %s is '%s', not %s: the file "
                 "arrived damaged; a person decides (not sent again)", a.file_id, a.hash, md5);
            if (rc == WARD_OK)
                rc = svc_tipline_report_set(r->s, r->id, "failed", NULL, r->st->note, err);
            return rc;
        }
        if ((rc = svc_tipline_file_set(r->s, r->id, sha, "uploaded", a.file_id, md5, err)) !=
            WARD_OK)
            return rc;
        snprintf(f.file_id, sizeof f.file_id, "%s", a.file_id);
        snprintf(f.state, sizeof f.state, "uploaded");
    }
    if (!strcmp(f.state, "uploaded")) {
        tl_file tf = {.sha256 = sha, .md5 = md5, .sha1 = sha1,
                      .ncmec_report = r->st->ncmec_id, .ncmec_file = f.file_id};
        char *xml = NULL;
        if ((rc = tl_file_xml(r->o, r->json, &tf, &xml, err)) != WARD_OK)
            return rc;
        tl_request rq = {.kind = TL_FILEINFO, .xml = xml};
        tl_outcome out = call(r, &rq, &a);
        free(xml);
        if (out != TL_OK) {
            if (out == TL_REFUSED)
                rc = svc_tipline_report_set(r->s, r->id, "failed", NULL, a.desc, err);
            ward_status res = not_ok(r, out, &a, "fileinfo", err);
            if (out == TL_UNKNOWN) /* repeatable: the next run sends it again */
                note(r, WARD_TIPLINE_PENDING, "fileinfo got no answer after %d tries: the "
                     "next submit sends it again", r->o->retries + 1);
            return rc ? rc : res;
        }
        rc = svc_tipline_file_set(r->s, r->id, sha, "described", NULL, NULL, err);
    }
    return rc;
}

static ward_status do_finish(run *r, ward_error *err)
{
    tl_request rq = {.kind = TL_FINISH, .id = r->st->ncmec_id};
    tl_answer a;
    tl_outcome out = call(r, &rq, &a);
    ward_status rc = WARD_OK;
    if (out == TL_OK) {
        note(r, WARD_TIPLINE_FINISHED, "finished: NCMEC report %s", r->st->ncmec_id);
        return svc_tipline_report_set(r->s, r->id, "finished", NULL, r->st->note, err);
    }
    if (out == TL_REFUSED)
        rc = svc_tipline_report_set(r->s, r->id, "failed", NULL, a.desc, err);
    ward_status res = not_ok(r, out, &a, "finish", err);
    if (out == TL_UNKNOWN)
        note(r, WARD_TIPLINE_PENDING, "finish got no answer after %d tries: the next submit "
             "sends it again", r->o->retries + 1);
    return rc ? rc : res;
}

static ward_status carry_on(run *r, ward_error *err)
{
    svc_tipline_report row;
    ward_status rc = svc_tipline_report_get(r->s, r->id, &row, err);
    if (rc != WARD_OK)
        return rc;
    if (r->o->adopt_report_id) { /* it did arrive: NCMEC's id, from a person */
        if (strcmp(row.state, "submitting"))
            return err_fail(err, WARD_EREFUSED, "report %lld has no submit held (%s): there is "
                             "no NCMEC id to adopt", (long long)r->id,
                             row.state[0] ? row.state : "never sent");
        char why[200];
        snprintf(why, sizeof why, "a person confirmed NCMEC received the held submit as "
                                  "report %s", r->o->adopt_report_id);
        if ((rc = svc_tipline_report_set(r->s, r->id, "submitted", r->o->adopt_report_id, why,
                                         err)) ||
            (rc = audit(r, "tipline.adopt", why, err)))
            return rc;
        snprintf(row.state, sizeof row.state, "submitted");
        snprintf(row.ncmec_id, sizeof row.ncmec_id, "%s", r->o->adopt_report_id);
    }
    if (!strcmp(row.state, "finished")) {
        snprintf(r->st->ncmec_id, sizeof r->st->ncmec_id, "%s", row.ncmec_id);
        note(r, WARD_TIPLINE_FINISHED, "already finished: NCMEC report %s (not sent again)",
             row.ncmec_id);
        return WARD_OK;
    }
    if (r->o->resend && (!strcmp(row.state, "submitting") ||
                         (!strcmp(row.state, "failed") && !row.ncmec_id[0]))) {
        if ((rc = svc_tipline_report_forget(r->s, r->id, err)) != WARD_OK)
            return rc;
        row.state[0] = 0;
    }
    if (!strcmp(row.state, "failed") && !r->o->resend) {
        note(r, WARD_TIPLINE_FAILED, "failed before: %s (a person reads it; --resend tries "
             "again)", row.note);
        return WARD_OK;
    }
    if (!strcmp(row.state, "submitting")) {
        note(r, WARD_TIPLINE_HELD, "%s", row.note[0] ? row.note : "a submit is under way or "
             "went out without an answer: held; check with NCMEC, then submit --resend (it did not "
             "arrive) or --ncmec-id ID (it did)");
        return WARD_OK;
    }
    snprintf(r->st->ncmec_id, sizeof r->st->ncmec_id, "%s", row.ncmec_id);
    char ebuf[64];
    yajl_val rep = yajl_tree_parse(r->json, ebuf, sizeof ebuf);
    yajl_val files = jv_get(rep, "files");
    yajl_val ev = YAJL_IS_ARRAY(files) && files->u.array.len
                      ? jv_get(files->u.array.values[0], "evidence_sha256") : NULL;
    r->st->files = YAJL_IS_ARRAY(ev) ? (int)ev->u.array.len : 0;
    int64_t event = jv_int(rep, "event_id", 0);
    if (!row.state[0]) {
        char *xml = NULL;
        rc = tl_report_xml(r->o, r->json, &xml, NULL, err);
        if (rc == WARD_OK)
            rc = do_submit(r, xml, err);
        free(xml);
    }
    for (int i = 0; rc == WARD_OK && r->st->ncmec_id[0] && r->st->state == WARD_TIPLINE_NEW &&
                    i < r->st->files; i++) {
        const char *sha = YAJL_GET_STRING(ev->u.array.values[i]);
        if (sha)
            rc = do_file(r, event, sha, err);
    }
    yajl_tree_free(rep);
    r->st->files_done = svc_tipline_files_in(r->s, r->id, "described");
    if (rc == WARD_OK && r->st->ncmec_id[0] && r->st->state == WARD_TIPLINE_NEW)
        rc = do_finish(r, err);
    return rc;
}

ward_status ward_tipline_submit(const ward_tipline_opts *o, int64_t report_id,
                                ward_tipline_status *st, ward_error *err)
{
    memset(st, 0, sizeof *st);
    st->report_id = report_id;
    if (!o->endpoint || !*o->endpoint)
        return err_fail(err, WARD_EINVAL, "no endpoint to submit to");
    run r = {.o = o, .id = report_id, .st = st};
    ward_status rc = open_state(o, &r.s, err);
    if (rc != WARD_OK)
        return rc;
    rc = svc_report_get(r.s, report_id, &r.json, err);
    if (rc == WARD_OK)
        rc = carry_on(&r, err);
    free(r.json);
    svc_close(r.s);
    return rc;
}

/* ---- listing ------------------------------------------------------------------- */

typedef struct list_ctx {
    int (*cb)(void *ctx, const ward_tipline_status *st);
    void *ctx;
    svc_state *s;
} list_ctx;

static int list_one(void *ctx, int64_t id, const svc_tipline_report *row)
{
    list_ctx *l = ctx;
    ward_tipline_status st = {.report_id = id};
    snprintf(st.ncmec_id, sizeof st.ncmec_id, "%s", row->ncmec_id);
    snprintf(st.note, sizeof st.note, "%s", row->note);
    st.state = !row->state[0]                      ? WARD_TIPLINE_NEW
               : !strcmp(row->state, "finished")   ? WARD_TIPLINE_FINISHED
               : !strcmp(row->state, "failed")     ? WARD_TIPLINE_FAILED
               : !strcmp(row->state, "submitting") ? WARD_TIPLINE_HELD
                                                   : WARD_TIPLINE_PENDING;
    st.files_done = svc_tipline_files_in(l->s, id, "described");
    if (st.state == WARD_TIPLINE_PENDING && svc_tipline_files_in(l->s, id, "uploading"))
        st.state = WARD_TIPLINE_HELD; /* an upload went out without an answer */
    return l->cb(l->ctx, &st);
}

ward_status ward_tipline_list(const ward_tipline_opts *o,
                              int (*cb)(void *ctx, const ward_tipline_status *st), void *ctx,
                              ward_error *err)
{
    list_ctx l = {.cb = cb, .ctx = ctx};
    ward_status rc = open_state(o, &l.s, err);
    if (rc == WARD_OK) {
        rc = svc_tipline_each(l.s, list_one, &l, err);
        svc_close(l.s);
    }
    return rc;
}
