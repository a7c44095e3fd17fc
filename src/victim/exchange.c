/*
 * Series in VICS 2.0, both ways (issue 23 item 7). Out: every series'
 * entries as VICS 2.0 Media whose Series is the series' name and whose
 * VictimIdentified says whether its child is identified (identified or
 * safeguarded), so a partner or an ICSE-like database can take them with
 * `ward db import` or their own VICS reader. In: entries a list brought
 * (VICS Series, CSV series column) that name a series of this store join it,
 * and one whose VictimIdentified is true while the series here is still
 * unidentified is told to the series' team at high priority: a person
 * confirms it with `ward series status` (a partner's file never changes a
 * status by itself).
 */
#include "victim/victim_int.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VICS2_CONTEXT \
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"

static void json_text(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    fputc('"', out);
}

static void upper(const char *in, char *out)
{
    for (; *in; in++)
        *out++ = (char)toupper((unsigned char)*in);
    *out = 0;
}

typedef struct vx {
    FILE *out;
    uint64_t n;
} vx;

static int media_row(void *ctx, wsql_stmt *st)
{
    vx *x = ctx;
    const char *name = vt_col(st, 0), *status = vt_col(st, 1);
    const char *sha256 = vt_col(st, 2), *sha1 = vt_col(st, 3), *md5 = vt_col(st, 4);
    const char *pdq = vt_col(st, 5);
    char up[65];
    fprintf(x->out, "%s\n{\"MediaID\":%llu,\"Category\":null", x->n ? "," : "",
            (unsigned long long)(x->n + 1));
    if (*md5)
        upper(md5, up), fprintf(x->out, ",\"MD5\":\"%s\"", up);
    if (*sha1)
        upper(sha1, up), fprintf(x->out, ",\"SHA1\":\"%s\"", up);
    if (*sha256)
        fprintf(x->out, ",\"SHA256\":\"%s\"", sha256);
    if (strlen(pdq) == 64)
        fprintf(x->out, ",\"AlternativeHashes\":[{\"HashName\":\"PDQ\",\"HashValue\":\"%s\"}]",
                pdq);
    fputs(",\"Series\":", x->out);
    json_text(x->out, name);
    fprintf(x->out, ",\"VictimIdentified\":\"%s\",\"IsPrecategorized\":\"false\"}",
            strcmp(status, "unidentified") ? "true" : "false");
    x->n++;
    return ferror(x->out) != 0;
}

ward_status ward_series_export_vics(ward_store *s, const char *name, FILE *out,
                                    uint64_t *written, ward_error *err)
{
    int64_t id = 0;
    ward_status rc = name ? vt_series_id(s, name, &id, err) : WARD_OK;
    wsql_stmt *st;
    if (rc || (rc = wst_prepare(s,
                                "SELECT s.name, s.status, coalesce(e.sha256, ''),"
                                " coalesce(e.sha1, ''), coalesce(e.md5, ''), coalesce(e.pdq, '')"
                                " FROM series_entries e JOIN series s ON s.id = e.series_id"
                                " WHERE (CAST(?1 AS INTEGER) = 0 OR s.id = ?1)"
                                " ORDER BY s.name, s.id, e.id",
                                &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    vx x = {out, 0};
    fputs("{\"@odata.context\":\"" VICS2_CONTEXT "\",\"value\":[", out);
    rc = wst_each_row(s, st, media_row, &x, "reading series entries", err);
    fputs(x.n ? "\n]}\n" : "]}\n", out);
    if (written)
        *written = x.n;
    if (rc == WARD_OK && (fflush(out) || ferror(out)))
        rc = err_fail(err, WARD_EIO, "writing the VICS export failed");
    return rc;
}

/* ---- in: entries naming a series of this store ------------------------------ */

typedef struct named {
    int64_t entry;
    char series[201];
    int identified;
    char list[201];
    ward_victim_hash h;
} named;

typedef struct nameds {
    named *v;
    size_t n, cap;
    int nomem;
} nameds;

static int keep_named(void *ctx, wsql_stmt *st)
{
    nameds *ns = ctx;
    named *v = wst_grow(ns->v, &ns->cap, ns->n, sizeof *v);
    if (!v)
        return ns->nomem = 1;
    ns->v = v;
    named *e = &v[ns->n++];
    memset(e, 0, sizeof *e);
    e->entry = wsql_column_int64(st, 0);
    vt_copy(e->series, sizeof e->series, st, 1);
    e->identified = wsql_column_type(st, 2) != SQLITE_NULL && wsql_column_int(st, 2) == 1;
    vt_copy(e->list, sizeof e->list, st, 3);
    static const size_t len[4] = {32, 20, 16, 32};
    char *dst[4] = {e->h.sha256, e->h.sha1, e->h.md5, e->h.pdq};
    for (int i = 0; i < 4; i++) {
        const void *b = wst_blob(st, 4 + i, len[i]);
        if (b)
            ward_hex(b, len[i], dst[i]);
    }
    return 0;
}

ward_status vt_adopt(ward_store *s, int64_t after, const char *at, uint64_t *adopted,
                     uint64_t *told, ward_error *err)
{
    *adopted = *told = 0;
    wsql_stmt *st;
    nameds ns = {0};
    ward_status rc = wst_prepare(s,
                                 "SELECT e.id, e.series, e.victim_identified, l.name, e.sha256,"
                                 " e.sha1, e.md5, e.pdq FROM entries e JOIN lists l"
                                 " ON l.id = e.list_id WHERE e.id > ? AND e.removed_id IS NULL"
                                 " AND e.series IS NOT NULL ORDER BY e.id",
                                 &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, after);
    rc = wst_each_row(s, st, keep_named, &ns, "reading new entries", err);
    if (rc == WARD_OK && ns.nomem)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc || !ns.n) {
        free(ns.v);
        return rc;
    }
    int64_t told_ids[64];
    int ntold = 0;
    if ((rc = vt_begin(s, err))) {
        free(ns.v);
        return rc;
    }
    for (size_t i = 0; rc == WARD_OK && i < ns.n; i++) {
        named *e = &ns.v[i];
        int64_t id = 0;
        ward_error e2 = {0};
        if (vt_series_id(s, e->series, &id, &e2))
            continue;   /* a series this store does not keep */
        char sname[201];
        int added = 0;
        if ((rc = vt_series_name(s, id, sname, sizeof sname, err)))
            break;
        /* a hash kept in another series here stays there */
        if (vt_add_entry(s, id, sname, &e->h, e->list, "import", &added, &e2) == WARD_OK)
            *adopted += (uint64_t)added;
        if (!e->identified)
            continue;
        ward_series sr;
        if ((rc = ward_series_get(s, sname, &sr, err)))
            break;
        int dup = 0;
        for (int k = 0; k < ntold; k++)
            dup |= told_ids[k] == id;
        if (sr.status != WARD_SERIES_UNIDENTIFIED || dup || ntold == 64)
            continue;
        told_ids[ntold++] = id;
        char msg[768];
        snprintf(msg, sizeof msg,
                 "list '%s' says the victim of series '%s' is identified (VictimIdentified): "
                 "confirm with the list's source and 'ward series status'",
                 e->list, sname);
        char key[128];
        vt_hash_key(&e->h, key, sizeof key);
        rc = vt_alert(s, at, sr.team, "high", "series-identified-elsewhere", id, key, msg, "open",
                      err);
        ++*told;
    }
    free(ns.v);
    return vt_end(s, rc, err);
}
