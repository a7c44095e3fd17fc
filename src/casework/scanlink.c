/*
 * Integrity at acquisition and the scan results that attach to an exhibit.
 *
 * ACPO principle 1: the image examined must be the image acquired. Its
 * digests are recorded once, at acquisition; before every scan
 * ward_exhibit_verify_image recomputes them from the file (opened
 * read-only) and refuses one that differs. A finished scan's summary.json
 * then attaches to the exhibit, and what it found reaches the subject:
 * known material as an "examined" image factor (capped as the image group
 * always is, so that what was found never outranks access to children),
 * new material as "needs grading" for a person.
 */
#include "casework/casework_int.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ward/digest.h>
#include <yajl/yajl_tree.h>

static ward_status hash_file(const char *path, char md5[33], char sha1[41], char sha256[65],
                             uint64_t *bytes, ward_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_fail_errno(err, errno, "cannot open %s", path);
    ward_digester *d = ward_digester_new(WARD_DIGEST_ALL);
    char *buf = malloc(1 << 16);
    if (!d || !buf) {
        close(fd);
        ward_digester_free(d);
        free(buf);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ssize_t n;
    *bytes = 0;
    while ((n = read(fd, buf, 1 << 16)) > 0)
        ward_digester_update(d, buf, (size_t)n), *bytes += (uint64_t)n;
    int e = errno;
    close(fd);
    free(buf);
    ward_digests dg = {0};
    ward_digester_final(d, &dg);
    ward_digester_free(d);
    if (n < 0)
        return err_fail_errno(err, e, "cannot read %s", path);
    ward_hex(dg.md5, 16, md5);
    ward_hex(dg.sha1, 20, sha1);
    ward_hex(dg.sha256, 32, sha256);
    return WARD_OK;
}

ward_status ward_exhibit_acquire(ward_intel *in, const char *ref, const char *image,
                                 const char *who, time_t now, ward_error *err)
{
    char md5[33], sha1[41], sha256[65];
    uint64_t bytes;
    ward_status rc;
    if ((rc = cw_need("--image", image, err)) || (rc = cw_need("the person", who, err)) ||
        (rc = hash_file(image, md5, sha1, sha256, &bytes, err)) || (rc = wi_begin(in, err)))
        return rc;
    ward_exhibit ex;
    wsql_stmt *st = NULL;
    if (!(rc = cw_load(in, ref, &ex, err)) && ex.sha256[0])
        rc = err_fail(err, WARD_EINVAL,
                       "exhibit '%s' was acquired already (sha256 %s): an acquisition is "
                       "recorded once", ref, ex.sha256);
    if (!rc && ex.status > WARD_EXHIBIT_ACQUIRED)
        rc = err_fail(err, WARD_EINVAL, "exhibit '%s' is %s: too late to acquire", ref,
                       ward_exhibit_status_name(ex.status));
    if (!rc && !(rc = wi_prepare(in, "UPDATE exhibits SET image = ?, md5 = ?, sha1 = ?,"
                                     " sha256 = ?, bytes = ? WHERE id = ?", &st, err))) {
        const char *v[4] = {image, md5, sha1, sha256};
        for (int i = 0; i < 4; i++)
            wsql_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
        wsql_bind_int64(st, 5, (int64_t)bytes);
        wsql_bind_int64(st, 6, ex.id);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "recording the acquisition");
    }
    wsql_finalize(st);
    char detail[1024];
    snprintf(detail, sizeof detail, "image %s, %llu bytes, md5 %s, sha1 %s, sha256 %s", image,
             (unsigned long long)bytes, md5, sha1, sha256);
    if (!rc)
        rc = cw_record(in, &ex, now, who, "acquired", ex.holder, NULL, detail, err);
    if (!rc)
        rc = cw_advance(in, &ex, WARD_EXHIBIT_ACQUIRED, who, "image acquired", now, err);
    return wi_end(in, rc, err);
}

ward_status ward_exhibit_verify_image(ward_intel *in, const char *ref, const char *image,
                                      ward_error *err)
{
    ward_exhibit ex;
    ward_status rc = cw_load(in, ref, &ex, err);
    if (rc)
        return rc;
    if (!ex.sha256[0])
        return err_fail(err, WARD_EINVAL,
                         "exhibit '%s' has no acquisition recorded: ward exhibit acquire %s "
                         "--image FILE first", ref, ref);
    char md5[33], sha1[41], sha256[65];
    uint64_t bytes;
    if ((rc = hash_file(image, md5, sha1, sha256, &bytes, err)))
        return rc;
    const char *which = strcmp(sha256, ex.sha256) ? "sha256"
                        : strcmp(sha1, ex.sha1)   ? "sha1"
                        : strcmp(md5, ex.md5)     ? "md5"
                                                  : NULL;
    if (which)
        return err_fail(err, WARD_EFORMAT,
                         "%s: does not match exhibit %s as acquired (%s %s now, %s at "
                         "acquisition; %llu bytes now, %llu then): not scanned",
                         image, ref, which,
                         !strcmp(which, "sha256") ? sha256 : !strcmp(which, "sha1") ? sha1 : md5,
                         !strcmp(which, "sha256") ? ex.sha256
                         : !strcmp(which, "sha1") ? ex.sha1 : ex.md5,
                         (unsigned long long)bytes, (unsigned long long)ex.bytes);
    return WARD_OK;
}

/* ---- the scan summary ----------------------------------------------------- */

static const char *jstr(yajl_val o, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val v = yajl_tree_get(o, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static long long jint(yajl_val o, const char *k1, const char *k2)
{
    const char *path[] = {k1, k2, NULL};
    yajl_val v = yajl_tree_get(o, path, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static ward_status read_summary(const char *path, char **text, yajl_val *tree, ward_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_fail_errno(err, errno, "cannot open %s", path);
    strbuf b = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (!strbuf_add(&b, buf, n)) {
            fclose(f);
            strbuf_free(&b);
            return err_fail(err, WARD_ENOMEM, "out of memory");
        }
    fclose(f);
    char msg[256] = "";
    *tree = b.s ? yajl_tree_parse(b.s, msg, sizeof msg) : NULL;
    if (!*tree || !YAJL_IS_OBJECT(*tree) || !yajl_tree_get(*tree, (const char *[]){"classes", NULL},
                                                           yajl_t_object)) {
        strbuf_free(&b);
        if (*tree)
            yajl_tree_free(*tree);
        return err_fail(err, WARD_EFORMAT, "%s: not a ward scan summary%s%s", path,
                         msg[0] ? ": " : "", msg);
    }
    *text = b.s;
    return WARD_OK;
}

/* The strongest image factor the known matches support: a category 1 or A
 * hit is an alert category (image_known_alert), any other known hit
 * image_known. NULL when nothing known was found. */
static const char *known_factor(yajl_val sum, uint64_t known)
{
    yajl_val cats = yajl_tree_get(sum, (const char *[]){"categories", NULL}, yajl_t_array);
    for (size_t i = 0; cats && i < cats->u.array.len; i++) {
        yajl_val c = cats->u.array.values[i];
        const char *cls = jstr(c, "class"), *cat = jstr(c, "category");
        if (cls && !strcmp(cls, "known") && cat && (!strcmp(cat, "1") || !strcmp(cat, "A")))
            return "image_known_alert";
    }
    return known ? "image_known" : NULL;
}

static ward_status insert_factor(ward_intel *in, const ward_exhibit *ex, const char *factor,
                                 uint64_t known, const char *at, const char *who,
                                 ward_error *err)
{
    char value[96], source[96];
    snprintf(value, sizeof value, "%llu known files", (unsigned long long)known);
    snprintf(source, sizeof source, "exhibit %s scan", ex->ref);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "INSERT INTO factors(subject, factor, value, source,"
                                    " date_raw, date, status, added_by, added_at)"
                                    " VALUES(?,?,?,?,?,?,'examined',?,?)", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, wi_subject_num(ex->subject));
    wsql_bind_text(st, 2, factor, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, value, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, source, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, at, -1, SQLITE_STATIC);
    char day[11];
    snprintf(day, sizeof day, "%.10s", at);
    wsql_bind_text(st, 6, day, -1, SQLITE_STATIC);
    wsql_bind_text(st, 7, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 8, at, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "adding the examined factor");
    wsql_finalize(st);
    return rc;
}

static ward_status store_scan(ward_intel *in, ward_exhibit *ex, const char *text,
                              ward_exhibit_scan_effect *e, const char *who, time_t now,
                              ward_error *err)
{
    char at[32];
    wi_time_str(now, at);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "INSERT INTO exhibit_scans(exhibit, at, by, summary)"
                                    " VALUES(?,?,?,?)", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, ex->id);
    wsql_bind_text(st, 2, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, text, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "attaching the scan");
    wsql_finalize(st);
    if (!rc && e->needs_grading &&
        !(rc = wi_prepare(in, "UPDATE exhibits SET needs_grading = 1 WHERE id = ?", &st, err))) {
        wsql_bind_int64(st, 1, ex->id);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "setting needs grading");
        wsql_finalize(st);
    }
    char detail[512];
    snprintf(detail, sizeof detail,
             "%llu files: %llu known, %llu near, %llu new images, %llu new videos; store "
             "revision %lld, index sha256 %.16s%s%s",
             (unsigned long long)e->files, (unsigned long long)e->known,
             (unsigned long long)e->near, (unsigned long long)e->new_images,
             (unsigned long long)e->new_videos, (long long)e->store_revision, e->index_sha256,
             e->examined_factor ? "; examined image factor on the subject" : "",
             e->needs_grading ? "; needs grading" : "");
    if (!rc)
        rc = cw_record(in, ex, now, who, "scanned", ex->holder, NULL, detail, err);
    if (!rc)
        rc = cw_advance(in, ex, WARD_EXHIBIT_TRIAGED, who, "scan attached", now, err);
    return rc;
}

ward_status ward_exhibit_attach_scan(ward_intel *in, const char *ref, const char *summary_json,
                                     const char *who, time_t now,
                                     ward_exhibit_scan_effect *eff, ward_error *err)
{
    ward_exhibit_scan_effect e = {0};
    char *text = NULL;
    yajl_val sum = NULL;
    ward_status rc = cw_need("the person", who, err);
    if (rc || (rc = read_summary(summary_json, &text, &sum, err)))
        return rc;
    e.files = (uint64_t)jint(sum, "totals", "files");
    e.known = (uint64_t)jint(sum, "classes", "known");
    e.near = (uint64_t)jint(sum, "classes", "near");
    e.new_images = (uint64_t)jint(sum, "classes", "new-image");
    e.new_videos = (uint64_t)jint(sum, "classes", "new-video");
    e.store_revision = jint(sum, "store_revision", NULL);
    const char *idx = jstr(sum, "index_sha256");
    snprintf(e.index_sha256, sizeof e.index_sha256, "%s", idx ? idx : "");
    e.needs_grading = e.new_images + e.new_videos + e.near > 0;
    const char *factor = known_factor(sum, e.known);
    ward_exhibit ex;
    if (!(rc = wi_begin(in, err)) && !(rc = cw_load(in, ref, &ex, err))) {
        char at[32];
        wi_time_str(now, at);
        e.examined_factor = factor && ex.subject[0];
        if (e.examined_factor)
            rc = insert_factor(in, &ex, factor, e.known, at, who, err);
        if (!rc)
            rc = store_scan(in, &ex, text, &e, who, now, err);
    }
    rc = wi_end(in, rc, err);
    yajl_tree_free(sum);
    free(text);
    if (!rc && eff)
        *eff = e;
    return rc;
}

ward_status ward_exhibit_scan_each(ward_intel *in,
                                   int (*cb)(void *ctx, const ward_exhibit *ex, const char *at,
                                             const char *by, const char *summary),
                                   void *ctx, ward_error *err)
{
    wsql_stmt *st;
    /* the scans' own columns renamed apart, so CW_COLUMNS reads the exhibit's */
    ward_status rc = wi_prepare(in, "SELECT " CW_COLUMNS ", s.at, s.by, s.summary FROM exhibits"
                                " JOIN (SELECT exhibit, id AS sid, at, by, summary FROM"
                                " exhibit_scans) s ON s.exhibit = exhibits.id"
                                " ORDER BY ref, s.sid", &st, err);
    if (rc)
        return rc;
    int r, stop = 0;
    while (!stop && (r = wsql_step(st)) == SQLITE_ROW) {
        ward_exhibit ex;
        cw_row(st, &ex);
        stop = cb(ctx, &ex, wi_col(st, 30), wi_col(st, 31), wi_col(st, 32));
    }
    if (!stop && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading exhibit scans");
    wsql_finalize(st);
    return rc;
}

ward_status ward_exhibit_scans(ward_intel *in, const char *ref, FILE *out, ward_error *err)
{
    ward_exhibit ex;
    wsql_stmt *st;
    ward_status rc = cw_load(in, ref, &ex, err);
    if (rc || (rc = wi_prepare(in, "SELECT at, by, summary FROM exhibit_scans WHERE exhibit = ?"
                                   " ORDER BY id DESC", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, ex.id);
    while (wsql_step(st) == SQLITE_ROW) {
        strbuf a = {0}, b = {0};
        esc_json_string(&a, wi_col(st, 0), strlen(wi_col(st, 0)));
        esc_json_string(&b, wi_col(st, 1), strlen(wi_col(st, 1)));
        /* the summary is JSON already; one line of it */
        fprintf(out, "{\"at\":%s,\"by\":%s,\"summary\":", a.s ? a.s : "\"\"", b.s ? b.s : "\"\"");
        for (const char *p = wi_col(st, 2); *p; p++)
            fputc(*p == '\n' ? ' ' : *p, out);
        fputs("}\n", out);
        strbuf_free(&a);
        strbuf_free(&b);
    }
    wsql_finalize(st);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the scans") : WARD_OK;
}
