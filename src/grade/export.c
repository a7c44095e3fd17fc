/*
 * A VICS 2.0 contribution of the grades: one Media per different content
 * of every graded group that is relevant. The envelope is the one of the
 * scan's vics.json (docs/reports.md), so `ward db import --format vics`
 * reads it; the grader, unit and time ride in "ward:" keys that VICS tools
 * ignore and in Comments, which they show. Hashes only: no path, no
 * thumbnail, nothing of the picture leaves the workstation.
 */
#include "grade/grade_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ward/digest.h>
#include <ward/ward.h>

static void upper_hex(strbuf *b, const char *key, const char *hex)
{
    if (!hex[0]) return;
    char up[65];
    size_t n = strlen(hex);
    for (size_t i = 0; i <= n && i < sizeof up; i++) up[i] = (char)toupper((unsigned char)hex[i]);
    strbuf_addf(b, ",\"%s\":\"%s\"", key, up);
}

static void media(strbuf *b, const ward_grade_item *it, const ward_grade_decision *d,
                  const char *scheme, const char *unit, size_t id)
{
    strbuf_addf(b, "%s\n{\"MediaID\":%zu", id > 1 ? "," : "", id);
    if (!strcmp(scheme, "projectvic")) strbuf_addf(b, ",\"Category\":%s", d->category);
    else strbuf_addf(b, ",\"Category\":null,\"ward:Grade\":\"uk-%s\"", d->category);
    strbuf_addf(b, ",\"IsPrecategorized\":false");
    upper_hex(b, "MD5", it->md5);
    upper_hex(b, "SHA1", it->sha1);
    upper_hex(b, "SHA256", it->sha256);
    if (it->npdq) {
        char hex[65];
        ward_pdq_to_hex(&it->pdq[0], hex);
        strbuf_addf(b, ",\"PDQ\":\"%s\",\"PDQQuality\":%d", hex, it->pdq_quality);
    }
    if (it->vpdq.count) { /* the frames as `ward scan` wrote them */
        strbuf_addf(b, ",\"ward:vPDQ\":[");
        for (size_t f = 0; f < it->vpdq.count; f++) {
            const ward_vpdq_frame *fr = &it->vpdq.frames[f];
            char hex[65];
            ward_pdq_to_hex(&fr->hash, hex);
            strbuf_addf(b, "%s{\"frame\":%lld,\"timestamp\":%.3f,\"pdq\":\"%s\",\"quality\":%d}",
                             f ? "," : "", (long long)fr->frame_number, fr->timestamp, hex,
                             fr->quality);
        }
        strbuf_addf(b, "]");
    }
    if (d->series[0]) {
        strbuf_add(b, ",\"Series\":", strlen(",\"Series\":"));
        esc_json_string(b, d->series, strlen(d->series));
    }
    strbuf_addf(b, ",\"MediaSize\":%llu", (unsigned long long)it->size);
    strbuf_addf(b, ",\"ward:VictimMayBeIdentifiable\":%s",
                     d->identifiable ? "true" : "false");
    strbuf_add(b, ",\"ward:Grader\":", strlen(",\"ward:Grader\":"));
    esc_json_string(b, d->grader, strlen(d->grader));
    strbuf_add(b, ",\"ward:Unit\":", strlen(",\"ward:Unit\":"));
    esc_json_string(b, unit, strlen(unit));
    strbuf_addf(b, ",\"ward:GradedAt\":\"%s\",\"ward:Group\":%llu", d->time,
                     (unsigned long long)d->group);
    strbuf b2 = {0};
    strbuf_addf(&b2, "ward grade: %s %s by %s (%s) at %s; not yet verified by a second grader",
                     scheme, d->category, d->grader, unit, d->time);
    strbuf_add(b, ",\"Comments\":", strlen(",\"Comments\":"));
    if (b2.s) esc_json_string(b, b2.s, b2.len);
    strbuf_free(&b2);
    strbuf_add(b, "}", strlen("}"));
}

/* SHA-256 of the scan's files.jsonl: names the scan without a path. */
static void scan_id(const char *report_dir, char hex[65])
{
    hex[0] = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/files.jsonl", report_dir);
    FILE *f = fopen(path, "rb");
    ward_digester *d = f ? ward_digester_new(WARD_DIGEST_SHA256) : NULL;
    if (d) {
        uint8_t buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) ward_digester_update(d, buf, n);
        ward_digests got;
        ward_digester_final(d, &got);
        if (!ferror(f)) ward_digest_hex(&got, WARD_DIGEST_SHA256, hex);
        ward_digester_free(d);
    }
    if (f) fclose(f);
}

/* Whether an earlier member of the group has the same content. */
static int seen_before(const ward_grade_queue *q, const ward_grade_group *g, size_t k)
{
    const ward_grade_item *it = &q->items[q->members[g->first + k]];
    for (size_t j = 0; j < k; j++)
        if (it->sha256[0] && !strcmp(q->items[q->members[g->first + j]].sha256, it->sha256))
            return 1;
    return 0;
}

ward_status ward_grade_export_vics(const ward_grade_queue *q, const ward_grade_log *g,
                                   const char *unit, const char *path, size_t *count,
                                   ward_error *err)
{
    *count = 0;
    const char *scheme = ward_grade_log_scheme(g);
    strbuf b = {0};
    char scan[65];
    scan_id(q->report_dir, scan);
    strbuf_addf(&b, "{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/"
                         "DataModels/2.0.xml/CUSTOM/$metadata#Cases\",\n\"value\":[{"
                         "\"SourceApplicationName\":\"ward\",\"SourceApplicationVersion\":\"%s\","
                         "\"ward:Contribution\":true,\"ward:ScanFilesSHA256\":\"%s\",\"Media\":[",
                     ward_version(), scan);
    size_t n = 0;
    for (size_t gi = 0; gi < q->ngroups; gi++) {
        const ward_grade_group *grp = &q->groups[gi];
        const ward_grade_decision *d = ward_grade_log_get(g, grp->id);
        if (!d || !strcmp(d->category, "not-relevant")) continue;
        for (size_t k = 0; k < grp->count; k++)
            if (!seen_before(q, grp, k))
                media(&b, &q->items[q->members[grp->first + k]], d, scheme, unit, ++n);
    }
    strbuf_addf(&b, "\n],\"TotalMediaFiles\":%zu}]}\n", n);
    if (!b.s) return err_fail(err, WARD_ENOMEM, "out of memory");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    ward_status st = WARD_OK;
    if (!f) st = err_fail_errno(err, errno, "cannot write %s", tmp);
    else if (fwrite(b.s, 1, b.len, f) != b.len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        st = err_fail_errno(err, errno, "cannot write %s", tmp);
        fclose(f);
    } else if (fclose(f) != 0 || rename(tmp, path) != 0)
        st = err_fail_errno(err, errno, "cannot write %s", path);
    if (st != WARD_OK) unlink(tmp);
    strbuf_free(&b);
    if (st == WARD_OK) *count = n;
    return st;
}
