/*
 * Intake of grade contributions on the national node, with the two-person
 * rule: a graded picture joins an alert list only when `verifiers` different
 * graders gave it the same category and nobody gave it another.
 *
 * Every grade read is kept in DATADIR/grade-intake.jsonl (one line per
 * SHA-256 and grader; a later grade by the same grader replaces the
 * earlier), so grades from different contributions meet there. Each
 * contribution file is also recorded in the store's `imports` (its path,
 * SHA-256, the grades held), and each grade's line names that import and
 * the SHA-256 of the scan's files.jsonl it was graded from: an audit goes
 * from an entry (whose tags name the imports of its grades) to the
 * files the grades came in and the scans they came from. Verified
 * pictures not yet promoted are written to a VICS file beside it and
 * imported into the list through the store's ordinary import, which
 * records the provenance (file, its SHA-256, time, counts) in `imports`;
 * each entry's graders, units, times and the imports of their grades are in
 * its tags. Conflicts are left
 * out of the list and reported (ward_grade_conflicts).
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
#include <ward/store.h>
#include <yajl/yajl_tree.h>

typedef struct vote {
    char sha256[65], md5[33], sha1[41], pdq[65];
    int pdq_quality;
    char scheme[16], category[16], series[64], grader[64], unit[64], time[32];
    char scan[65];     /* SHA-256 of the files.jsonl it was graded from, "" unknown */
    uint64_t import;   /* the store's imports row of the contribution it came in */
    int promoted;
} vote;

/* A vote read from the contribution being taken in, its import not yet known. */
#define IMPORT_PENDING UINT64_MAX

typedef struct intake {
    vote *v;
    size_t n, cap;
} intake;

static vote *find_vote(intake *in, const char *sha256, const char *grader)
{
    for (size_t i = 0; i < in->n; i++)
        if (!strcmp(in->v[i].sha256, sha256) && !strcmp(in->v[i].grader, grader))
            return &in->v[i];
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 64;
        vote *p = realloc(in->v, cap * sizeof *p);
        if (!p) return NULL;
        in->v = p;
        in->cap = cap;
    }
    vote *x = &in->v[in->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->sha256, sizeof x->sha256, "%s", sha256);
    snprintf(x->grader, sizeof x->grader, "%s", grader);
    return x;
}

static void lower(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++) dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = 0;
}

#define STR(obj, key) jv_str(obj, key)
#define COPY(dst, s) snprintf(dst, sizeof dst, "%s", (s) ? (s) : "")

static int take_line(void *ctx, yajl_val o)
{
    intake *in = ctx;
    const char *sha = STR(o, "sha256"), *grader = STR(o, "grader");
    if (!sha || !grader) return 0;
    vote *v = find_vote(in, sha, grader);
    if (!v) return 1;
    if (jv_bool(o, "promoted")) {
        v->promoted = 1;
        return 0;
    }
    COPY(v->md5, STR(o, "md5"));
    COPY(v->sha1, STR(o, "sha1"));
    COPY(v->pdq, STR(o, "pdq"));
    v->pdq_quality = (int)jv_int(o, "pdq_quality", 0);
    COPY(v->scheme, STR(o, "scheme"));
    COPY(v->category, STR(o, "category"));
    COPY(v->series, STR(o, "series"));
    COPY(v->unit, STR(o, "unit"));
    COPY(v->time, STR(o, "time"));
    COPY(v->scan, STR(o, "scan"));
    long long imp = jv_int(o, "import", 0);
    v->import = imp > 0 ? (uint64_t)imp : 0;
    return 0;
}

static ward_status load(const char *datadir, intake *in, char *path, size_t cap,
                        ward_error *err)
{
    snprintf(path, cap, "%s/grade-intake.jsonl", datadir);
    long bad = 0;
    if (jsonl_each(path, 0, take_line, in, &bad) < 0 && errno != ENOENT)
        return ward_fail_errno(err, errno, "cannot read %s", path);
    if (bad) return ward_fail(err, WARD_EFORMAT, "%s: %ld lines are not JSON", path, bad);
    return WARD_OK;
}

static void vote_json(ward_strbuf *b, const vote *v, int promoted)
{
    ward_strbuf_addf(b, "{\"sha256\":\"%s\",\"grader\":", v->sha256);
    ward_json_string(b, v->grader, strlen(v->grader));
    if (promoted) {
        ward_strbuf_addf(b, ",\"promoted\":true}\n");
        return;
    }
    ward_strbuf_addf(b, ",\"md5\":\"%s\",\"sha1\":\"%s\",\"pdq\":\"%s\",\"pdq_quality\":%d,"
                        "\"scheme\":\"%s\",\"category\":",
                     v->md5, v->sha1, v->pdq, v->pdq_quality, v->scheme);
    ward_json_string(b, v->category, strlen(v->category));
    ward_strbuf_addf(b, ",\"series\":");
    ward_json_string(b, v->series, strlen(v->series));
    ward_strbuf_addf(b, ",\"unit\":");
    ward_json_string(b, v->unit, strlen(v->unit));
    ward_strbuf_addf(b, ",\"time\":");
    ward_json_string(b, v->time, strlen(v->time));
    ward_strbuf_addf(b, ",\"scan\":\"%s\",\"import\":%llu}\n", v->scan,
                     (unsigned long long)v->import);
}

static ward_status append_file(const char *path, ward_strbuf *b, ward_error *err)
{
    if (!b->len) return WARD_OK;
    if (!b->s) return ward_fail(err, WARD_ENOMEM, "out of memory");
    FILE *f = fopen(path, "a");
    if (!f) return ward_fail_errno(err, errno, "cannot open %s", path);
    int ok = fwrite(b->s, 1, b->len, f) == b->len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0) ok = 0;
    return ok ? WARD_OK : ward_fail_errno(err, errno, "cannot write %s", path);
}

/* One contribution's Media into votes (and their lines into b). */
static ward_status read_contribution(const char *file, intake *in, size_t *nread,
                                     ward_error *err)
{
    FILE *f = fopen(file, "rb");
    if (!f) return ward_fail_errno(err, errno, "cannot open %s", file);
    ward_strbuf text = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) ward_strbuf_add(&text, buf, n);
    fclose(f);
    if (!text.s) return ward_fail(err, WARD_EFORMAT, "%s is empty", file);
    char why[256];
    yajl_val root = yajl_tree_parse(text.s, why, sizeof why);
    ward_strbuf_free(&text);
    const char *mpath[] = {"Media", NULL};
    yajl_val value = root ? jv_get(root, "value") : NULL;
    yajl_val c = value && YAJL_IS_ARRAY(value) && value->u.array.len ? value->u.array.values[0] : NULL;
    yajl_val media = c ? yajl_tree_get(c, mpath, yajl_t_array) : NULL;
    if (!media || !jv_bool(c, "ward:Contribution")) {
        yajl_tree_free(root);
        return ward_fail(err, WARD_EFORMAT, "%s: not a ward grade contribution (%s)", file,
                         root ? "no Media or no ward:Contribution" : why);
    }
    const char *scan = STR(c, "ward:ScanFilesSHA256");
    for (size_t i = 0; i < media->u.array.len; i++) {
        yajl_val m = media->u.array.values[i];
        const char *grader = STR(m, "ward:Grader"), *sha = STR(m, "SHA256");
        const char *uk = STR(m, "ward:Grade");
        yajl_val cat = jv_get(m, "Category");
        if (!grader || !sha || strlen(sha) != 64 || (!uk && !(cat && YAJL_IS_NUMBER(cat)))) {
            yajl_tree_free(root);
            return ward_fail(err, WARD_EFORMAT, "%s: /value/0/Media/%zu: no SHA256, grader or grade",
                             file, i);
        }
        char lsha[65];
        lower(lsha, sizeof lsha, sha);
        vote *v = find_vote(in, lsha, grader);
        if (!v) {
            yajl_tree_free(root);
            return ward_fail(err, WARD_ENOMEM, "out of memory");
        }
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
        v->import = IMPORT_PENDING;
        ++*nread;
    }
    yajl_tree_free(root);
    return WARD_OK;
}

/* One contribution: its grades into votes, the file into the store's
 * imports (its path, SHA-256 and the grades held), and each grade's line,
 * naming that import and the scan it was graded from, into b. */
static ward_status take_file(ward_store *s, const char *file, const char *list, intake *in,
                             ward_strbuf *b, size_t *nread, ward_error *err)
{
    size_t n = 0;
    ward_status st = read_contribution(file, in, &n, err);
    if (st != WARD_OK) return st;
    char msg[160];
    snprintf(msg, sizeof msg, "%zu grades held for the two-person rule (ward grade intake)", n);
    uint64_t id = 0;
    st = ward_store_log_intake(s, file, "ward-grade-contribution", list, n, msg, &id, err);
    for (size_t i = 0; i < in->n; i++)
        if (in->v[i].import == IMPORT_PENDING) {
            in->v[i].import = id;
            if (st == WARD_OK) vote_json(b, &in->v[i], 0);
        }
    *nread += n;
    return st;
}

/* The state of the picture whose first vote is i: -1 when i is not the
 * first vote of its SHA-256; else 1 verified (verifiers graders agree,
 * nobody disagrees), 0 not (yet). Conflicts are never verified. */
static int verdict(const intake *in, size_t i, int verifiers, int *conflict, int *promoted)
{
    *conflict = *promoted = 0;
    for (size_t j = 0; j < i; j++)
        if (!strcmp(in->v[j].sha256, in->v[i].sha256)) return -1;
    int agree = 0;
    for (size_t j = i; j < in->n; j++) {
        const vote *v = &in->v[j];
        if (strcmp(v->sha256, in->v[i].sha256)) continue;
        if (v->promoted) *promoted = 1;
        if (!v->category[0]) continue;
        if (strcmp(v->category, in->v[i].category) || strcmp(v->scheme, in->v[i].scheme))
            *conflict = 1;
        else
            agree++;
    }
    return !*conflict && agree >= verifiers;
}

static void verified_media(ward_strbuf *b, const intake *in, size_t i, size_t id)
{
    const vote *v = &in->v[i];
    ward_strbuf_addf(b, "%s\n{\"MediaID\":%zu,\"Category\":\"%s\",\"SHA256\":\"%s\"",
                     id > 1 ? "," : "", id, v->category, v->sha256);
    if (v->md5[0]) ward_strbuf_addf(b, ",\"MD5\":\"%s\"", v->md5);
    if (v->sha1[0]) ward_strbuf_addf(b, ",\"SHA1\":\"%s\"", v->sha1);
    if (v->pdq[0]) ward_strbuf_addf(b, ",\"PDQ\":\"%s\",\"PDQQuality\":%d", v->pdq, v->pdq_quality);
    if (v->series[0]) {
        ward_strbuf_addf(b, ",\"Series\":");
        ward_json_string(b, v->series, strlen(v->series));
    }
    /* Who verified it, from which contribution: in Tags, which the store
     * keeps with the entry (the store does not read Comments). */
    ward_strbuf_addf(b, ",\"Tags\":[\"ward-grade-verified\"");
    for (size_t j = i; j < in->n; j++)
        if (!strcmp(in->v[j].sha256, v->sha256) && in->v[j].category[0]) {
            ward_strbuf b2 = {0};
            ward_strbuf_addf(&b2, "graded by %s (%s, %s, import %llu)", in->v[j].grader,
                             in->v[j].unit, in->v[j].time, (unsigned long long)in->v[j].import);
            for (size_t k = 0; k < b2.len; k++)
                if (b2.s[k] == ';') b2.s[k] = ','; /* the store's tag separator */
            ward_strbuf_addf(b, ",");
            if (b2.s) ward_json_string(b, b2.s, b2.len);
            ward_strbuf_free(&b2);
        }
    ward_strbuf_addf(b, "]}");
}

ward_status ward_grade_intake(const char *datadir, const char *list, int verifiers,
                              const char *const *files, size_t nfiles,
                              ward_grade_intake_summary *sum, ward_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (verifiers < 1) verifiers = 1;
    intake in = {0};
    char path[4096];
    ward_strbuf lines = {0}, vics = {0};
    ward_status st = load(datadir, &in, path, sizeof path, err);
    ward_store *s = NULL;
    if (st == WARD_OK) st = ward_store_open(datadir, 0, &s, err); /* creates datadir */
    for (size_t i = 0; i < nfiles && st == WARD_OK; i++)
        st = take_file(s, files[i], list, &in, &lines, &sum->grades, err);
    if (st == WARD_OK) st = append_file(path, &lines, err);
    ward_strbuf_free(&lines);
    size_t n = 0;
    ward_strbuf_addf(&vics, "{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/"
                            "DataModels/2.0.xml/CUSTOM/$metadata#Cases\",\n\"value\":[{"
                            "\"SourceApplicationName\":\"ward\",\"Media\":[");
    const char *scheme = NULL;
    for (size_t i = 0; i < in.n && st == WARD_OK; i++) {
        int conflict, promoted, ok = verdict(&in, i, verifiers, &conflict, &promoted);
        if (ok < 0 || promoted) continue;
        if (conflict) sum->conflicts++;
        else if (!ok) sum->pending++;
        else {
            if (scheme && strcmp(scheme, in.v[i].scheme)) {
                st = ward_fail(err, WARD_EINVAL, "grades of two schemes; intake one list per scheme");
                break;
            }
            scheme = in.v[i].scheme;
            verified_media(&vics, &in, i, ++n);
            vote_json(&lines, &in.v[i], 1);
        }
    }
    ward_strbuf_addf(&vics, "\n]}]}\n");
    if (st == WARD_OK && n) {
        char vpath[4200];
        char t[32];
        grade_now(t);
        snprintf(vpath, sizeof vpath, "%s/grade-verified-%s.json", datadir, t);
        FILE *f = fopen(vpath, "w");
        if (!f || !vics.s || fwrite(vics.s, 1, vics.len, f) != vics.len)
            st = ward_fail_errno(err, errno, "cannot write %s", vpath);
        if (f && fclose(f) != 0 && st == WARD_OK)
            st = ward_fail_errno(err, errno, "cannot write %s", vpath);
        if (st == WARD_OK) {
            ward_import_opts o;
            ward_import_opts_default(&o);
            o.scheme = scheme;
            o.strict = 1;
            ward_import_summary is;
            st = ward_store_import(s, vpath, WARD_FMT_VICS, list, &o, &is, err);
            sum->import_id = is.import_id;
        }
        if (st == WARD_OK) st = append_file(path, &lines, err);
        if (st == WARD_OK) sum->promoted = n;
    }
    ward_store_close(s);
    ward_strbuf_free(&vics);
    ward_strbuf_free(&lines);
    free(in.v);
    return st;
}

ward_status ward_grade_conflicts(const char *datadir, ward_grade_conflict_fn fn, void *ctx,
                                 size_t *count, ward_error *err)
{
    intake in = {0};
    char path[4096];
    *count = 0;
    ward_status st = load(datadir, &in, path, sizeof path, err);
    for (size_t i = 0; i < in.n && st == WARD_OK; i++) {
        int conflict, promoted;
        if (verdict(&in, i, 1, &conflict, &promoted) < 0 || !conflict) continue;
        ++*count;
        for (size_t j = i; j < in.n; j++)
            if (!strcmp(in.v[j].sha256, in.v[i].sha256) && in.v[j].category[0])
                fn(ctx, in.v[j].sha256, in.v[j].scheme, in.v[j].category, in.v[j].grader,
                   in.v[j].unit, in.v[j].time, in.v[j].import);
    }
    free(in.v);
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
