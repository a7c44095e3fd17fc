/*
 * Intake of grade contributions on the national node, with the two-person
 * rule: a graded picture joins an alert list only when `verifiers` different
 * graders gave it the same category and nobody gave it another.
 *
 * Every grade read is kept in the store (grade_votes, votes.c: one row per
 * SHA-256 and grader; a later grade by the same grader replaces the
 * earlier), so grades from different contributions meet there, also when
 * nodes sharing one PostgreSQL store take them in. Each contribution file
 * is also recorded in the store's `imports` (its path, SHA-256, the grades
 * held), and each grade names that import and the SHA-256 of the scan's
 * files.jsonl it was graded from: an audit goes from an entry (whose tags
 * name the imports of its grades) to the files the grades came in and the
 * scans they came from. Verified pictures not yet promoted are written to
 * a VICS file in the data directory and imported into the list through the
 * store's ordinary import, which records the provenance (file, its SHA-256,
 * time, counts) in `imports`; each entry's graders, units, times and the
 * imports of their grades are in its tags, and a verified video's good
 * frames become PDQ entries sharing its SHA-256 as media id (as a vPDQ
 * list's do). Conflicts are left out of the list and reported
 * (ward_grade_conflicts).
 */
#include "grade/grade_int.h"
#include "scan/jsonl.h"
#include "util/error.h"
#include "util/escape.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ward/index.h>
#include <ward/store.h>
#include <yajl/yajl_tree.h>

static void lower(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++) dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = 0;
}

#define STR(obj, key) jv_str(obj, key)
#define COPY(dst, s) snprintf(dst, sizeof dst, "%s", (s) ? (s) : "")

/* A Media's "ward:vPDQ" (a video's frames) into v->vpdq, vPDQ's text form.
 * A frame that does not parse is WARD_EFORMAT, named. */
static ward_status take_frames(const char *file, size_t i, yajl_val m, grade_vote *v,
                               ward_error *err)
{
    yajl_val frames = jv_get(m, "ward:vPDQ");
    if (!frames) return WARD_OK;
    ward_vpdq fr = {0};
    long bad = YAJL_IS_ARRAY(frames) ? grade_frames(frames, &fr) : 1;
    ward_status st = WARD_OK;
    size_t len;
    if (bad > 0)
        st = err_fail(err, WARD_EFORMAT, "%s: /value/0/Media/%zu/ward:vPDQ/%ld: no valid pdq "
                       "or quality", file, i, bad - 1);
    else if (bad < 0)
        st = err_fail(err, WARD_ENOMEM, "out of memory");
    else if (fr.count)
        st = ward_vpdq_format(&fr, &v->vpdq, &len, err);
    ward_vpdq_free(&fr);
    return st;
}

/* One contribution's Media into votes. */
static ward_status read_contribution(const char *file, grade_votes *in, ward_error *err)
{
    FILE *f = fopen(file, "rb");
    if (!f) return err_fail_errno(err, errno, "cannot open %s", file);
    strbuf text = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) strbuf_add(&text, buf, n);
    fclose(f);
    if (!text.s) return err_fail(err, WARD_EFORMAT, "%s is empty", file);
    char why[256];
    yajl_val root = yajl_tree_parse(text.s, why, sizeof why);
    strbuf_free(&text);
    const char *mpath[] = {"Media", NULL};
    yajl_val value = root ? jv_get(root, "value") : NULL;
    yajl_val c = value && YAJL_IS_ARRAY(value) && value->u.array.len ? value->u.array.values[0] : NULL;
    yajl_val media = c ? yajl_tree_get(c, mpath, yajl_t_array) : NULL;
    if (!media || !jv_bool(c, "ward:Contribution")) {
        yajl_tree_free(root);
        return err_fail(err, WARD_EFORMAT, "%s: not a ward grade contribution (%s)", file,
                         root ? "no Media or no ward:Contribution" : why);
    }
    const char *scan = STR(c, "ward:ScanFilesSHA256");
    ward_status st = WARD_OK;
    for (size_t i = 0; i < media->u.array.len && st == WARD_OK; i++) {
        yajl_val m = media->u.array.values[i];
        const char *grader = STR(m, "ward:Grader"), *sha = STR(m, "SHA256");
        const char *uk = STR(m, "ward:Grade");
        yajl_val cat = jv_get(m, "Category");
        if (!grader || !sha || strlen(sha) != 64 || (!uk && !(cat && YAJL_IS_NUMBER(cat)))) {
            st = err_fail(err, WARD_EFORMAT, "%s: /value/0/Media/%zu: no SHA256, grader or grade",
                           file, i);
            break;
        }
        grade_vote *v = grade_votes_add(in);
        if (!v) {
            st = err_fail(err, WARD_ENOMEM, "out of memory");
            break;
        }
        lower(v->sha256, sizeof v->sha256, sha);
        COPY(v->grader, grader);
        lower(v->md5, sizeof v->md5, STR(m, "MD5"));
        lower(v->sha1, sizeof v->sha1, STR(m, "SHA1"));
        COPY(v->pdq, STR(m, "PDQ"));
        v->pdq_quality = (int)jv_int(m, "PDQQuality", 0);
        if (uk && !strncmp(uk, "uk-", 3)) {
            COPY(v->scheme, "uk-sentencing");
            COPY(v->category, uk + 3);
        } else {
            COPY(v->scheme, "projectvic");
            snprintf(v->category, sizeof v->category, "%lld", YAJL_GET_INTEGER(cat));
        }
        COPY(v->series, STR(m, "Series"));
        COPY(v->unit, STR(m, "ward:Unit"));
        COPY(v->time, STR(m, "ward:GradedAt"));
        lower(v->scan, sizeof v->scan, scan && strlen(scan) == 64 ? scan : "");
        st = take_frames(file, i, m, v, err);
    }
    yajl_tree_free(root);
    return st;
}

/* One contribution: the file into the store's imports (its path, SHA-256
 * and the grades held), then its grades, each naming that import and the
 * scan it was graded from, into the store's grade_votes. */
static ward_status take_file(ward_store *s, const char *file, const char *list, size_t *nread,
                             ward_error *err)
{
    grade_votes in = {0};
    ward_status st = read_contribution(file, &in, err);
    char msg[160];
    snprintf(msg, sizeof msg, "%zu grades held for the two-person rule (ward grade intake)", in.n);
    uint64_t id = 0;
    if (st == WARD_OK)
        st = ward_store_log_intake(s, file, "ward-grade-contribution", list, in.n, msg, &id, err);
    for (size_t i = 0; i < in.n; i++) in.v[i].import = id;
    if (st == WARD_OK) st = grade_votes_put(s, &in, err);
    if (st == WARD_OK) *nread += in.n;
    grade_votes_free(&in);
    return st;
}

/* The votes [a, b) of one picture: 1 verified (`verifiers` graders agree,
 * nobody disagrees), 0 not (yet). Conflicts are never verified. */
static int verdict(const grade_votes *in, size_t a, size_t b, int verifiers, int *conflict)
{
    const grade_vote *ref = &in->v[a];
    int agree = 0;
    *conflict = 0;
    for (size_t j = a; j < b; j++) {
        if (strcmp(in->v[j].category, ref->category) || strcmp(in->v[j].scheme, ref->scheme))
            *conflict = 1;
        else
            agree++;
    }
    return !*conflict && agree >= verifiers;
}

/* The end of the run of votes of the picture whose first vote is a. */
static size_t run_end(const grade_votes *in, size_t a)
{
    size_t b = a + 1;
    while (b < in->n && !strcmp(in->v[b].sha256, in->v[a].sha256)) b++;
    return b;
}

/* Who verified it, from which contribution: in Tags, which the store
 * keeps with the entry (the store does not read Comments). */
static void verified_tags(strbuf *b, const grade_votes *in, size_t a, size_t e, int frame)
{
    strbuf_addf(b, ",\"Tags\":[%s\"ward-grade-verified\"", frame ? "\"video-frame\"," : "");
    for (size_t j = a; j < e; j++) {
        const grade_vote *v = &in->v[j];
        strbuf b2 = {0};
        strbuf_addf(&b2, "graded by %s (%s, %s, import %llu)", v->grader, v->unit, v->time,
                         (unsigned long long)v->import);
        for (size_t k = 0; k < b2.len; k++)
            if (b2.s[k] == ';') b2.s[k] = ','; /* the store's tag separator */
        strbuf_addf(b, ",");
        if (b2.s) esc_json_string(b, b2.s, b2.len);
        strbuf_free(&b2);
    }
    strbuf_addf(b, "]");
}

static void series_field(strbuf *b, const grade_vote *v)
{
    if (!v->series[0]) return;
    strbuf_addf(b, ",\"Series\":");
    esc_json_string(b, v->series, strlen(v->series));
}

/* A verified video's good frames (quality >= WARD_INDEX_PDQ_MIN_QUALITY,
 * those a scan's frames are searched with), one Media each, as a vPDQ
 * list's import makes them: PDQ entries sharing a media id (the video's
 * SHA-256), so that a later scan matches a re-encoded copy frame by frame
 * and reports the share of its frames matched. */
static ward_status verified_frames(strbuf *b, const grade_votes *in, size_t a, size_t e,
                                   size_t *id, ward_error *err)
{
    const grade_vote *v = NULL;
    for (size_t j = a; j < e && !v; j++)
        if (in->v[j].vpdq) v = &in->v[j];
    if (!v) return WARD_OK;
    ward_vpdq fr = {0};
    ward_status st = ward_vpdq_parse(v->vpdq, strlen(v->vpdq), &fr, err);
    for (size_t f = 0; f < fr.count && st == WARD_OK; f++) {
        const ward_vpdq_frame *x = &fr.frames[f];
        if (x->quality < WARD_INDEX_PDQ_MIN_QUALITY) continue;
        char hex[65];
        ward_pdq_to_hex(&x->hash, hex);
        strbuf_addf(b, ",\n{\"MediaID\":%zu,\"WardMediaID\":\"%s\",\"Category\":\"%s\","
                            "\"PDQ\":\"%s\",\"PDQQuality\":%d,\"Name\":\"video %s frame %lld at "
                            "%.3f s\"",
                         ++*id, v->sha256, in->v[a].category, hex, x->quality, v->sha256,
                         (long long)x->frame_number, x->timestamp);
        series_field(b, &in->v[a]);
        verified_tags(b, in, a, e, 1);
        strbuf_addf(b, "}");
    }
    ward_vpdq_free(&fr);
    return st;
}

static ward_status verified_media(strbuf *b, const grade_votes *in, size_t a, size_t e,
                                  size_t *id, ward_error *err)
{
    const grade_vote *v = &in->v[a];
    strbuf_addf(b, "%s\n{\"MediaID\":%zu,\"Category\":\"%s\",\"SHA256\":\"%s\"",
                     *id ? "," : "", *id + 1, v->category, v->sha256);
    ++*id;
    if (v->md5[0]) strbuf_addf(b, ",\"MD5\":\"%s\"", v->md5);
    if (v->sha1[0]) strbuf_addf(b, ",\"SHA1\":\"%s\"", v->sha1);
    if (v->pdq[0]) strbuf_addf(b, ",\"PDQ\":\"%s\",\"PDQQuality\":%d", v->pdq, v->pdq_quality);
    series_field(b, v);
    verified_tags(b, in, a, e, 0);
    strbuf_addf(b, "}");
    return verified_frames(b, in, a, e, id, err);
}

/* Write the verified VICS file and import it into list. */
static ward_status import_verified(ward_store *s, const char *datadir, const char *list,
                                   const char *scheme, const strbuf *vics,
                                   uint64_t *import_id, ward_error *err)
{
    char vpath[4200], t[32];
    grade_now(t);
    snprintf(vpath, sizeof vpath, "%s/grade-verified-%s.json", datadir, t);
    FILE *f = fopen(vpath, "w");
    ward_status st = WARD_OK;
    if (!f || !vics->s || fwrite(vics->s, 1, vics->len, f) != vics->len)
        st = err_fail_errno(err, errno, "cannot write %s", vpath);
    if (f && fclose(f) != 0 && st == WARD_OK)
        st = err_fail_errno(err, errno, "cannot write %s", vpath);
    if (st != WARD_OK) return st;
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.scheme = scheme;
    o.strict = 1;
    ward_import_summary is;
    st = ward_store_import(s, vpath, WARD_FMT_VICS, list, &o, &is, err);
    *import_id = is.import_id;
    return st;
}

/* Every picture verified and not yet promoted: imported into list, then
 * marked promoted (with the import that made it an entry). Two nodes
 * promoting the same picture at the same moment, or a crash between the
 * import and the mark, import it twice: the store's import takes the
 * second as a duplicate of the entry. */
static ward_status promote(ward_store *s, const char *datadir, const char *list, int verifiers,
                           ward_grade_intake_summary *sum, ward_error *err)
{
    grade_votes all = {0}, done = {0};
    strbuf vics = {0};
    ward_status st = grade_votes_load(s, 1, &all, err);
    strbuf_addf(&vics, "{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/"
                            "DataModels/2.0.xml/CUSTOM/$metadata#Cases\",\n\"value\":[{"
                            "\"SourceApplicationName\":\"ward\",\"Media\":[");
    const char *scheme = NULL;
    size_t media = 0;
    for (size_t a = 0, e; a < all.n && st == WARD_OK; a = e) {
        e = run_end(&all, a);
        int conflict;
        if (!verdict(&all, a, e, verifiers, &conflict)) {
            if (conflict) sum->conflicts++;
            else sum->pending++;
            continue;
        }
        if (scheme && strcmp(scheme, all.v[a].scheme)) {
            st = err_fail(err, WARD_EINVAL, "grades of two schemes; intake one list per scheme");
            break;
        }
        scheme = all.v[a].scheme;
        grade_vote *d = grade_votes_add(&done);
        if (!d) st = err_fail(err, WARD_ENOMEM, "out of memory");
        else st = verified_media(&vics, &all, a, e, &media, err);
        if (d) snprintf(d->sha256, sizeof d->sha256, "%s", all.v[a].sha256), d->promoted = 1;
    }
    strbuf_addf(&vics, "\n]}]}\n");
    uint64_t id = 0;
    if (st == WARD_OK && done.n)
        st = import_verified(s, datadir, list, scheme, &vics, &id, err);
    for (size_t i = 0; i < done.n; i++) done.v[i].import = id;
    if (st == WARD_OK && done.n && (st = grade_votes_put(s, &done, err)) == WARD_OK) {
        sum->promoted = done.n;
        sum->import_id = id;
    }
    grade_votes_free(&all);
    grade_votes_free(&done);
    strbuf_free(&vics);
    return st;
}

ward_status ward_grade_intake(const char *datadir, const char *store_url, const char *list,
                              int verifiers, const char *const *files, size_t nfiles,
                              ward_grade_intake_summary *sum, ward_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (verifiers < 1) verifiers = 1;
    ward_store *s = NULL;
    ward_status st = grade_votes_open(datadir, store_url, 1, &s, err); /* creates datadir */
    for (size_t i = 0; i < nfiles && st == WARD_OK; i++)
        st = take_file(s, files[i], list, &sum->grades, err);
    if (st == WARD_OK) st = promote(s, datadir, list, verifiers, sum, err);
    ward_store_close(s);
    return st;
}

ward_status ward_grade_conflicts(const char *datadir, const char *store_url,
                                 ward_grade_conflict_fn fn, void *ctx, size_t *count,
                                 ward_error *err)
{
    grade_votes in = {0};
    ward_store *s = NULL;
    *count = 0;
    ward_status st = grade_votes_open(datadir, store_url, 0, &s, err);
    if (st == WARD_OK) st = grade_votes_load(s, 0, &in, err);
    for (size_t a = 0, e; a < in.n && st == WARD_OK; a = e) {
        e = run_end(&in, a);
        int conflict;
        verdict(&in, a, e, 1, &conflict);
        if (!conflict) continue;
        ++*count;
        for (size_t j = a; j < e; j++)
            fn(ctx, in.v[j].sha256, in.v[j].scheme, in.v[j].category, in.v[j].grader,
               in.v[j].unit, in.v[j].time, in.v[j].import);
    }
    ward_store_close(s);
    grade_votes_free(&in);
    return st;
}

int ward_grade_is_contribution(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[4097];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, "\"ward:Contribution\":true") != NULL;
}
