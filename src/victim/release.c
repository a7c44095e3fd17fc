/*
 * Series in signed releases (issue 23 item 7). A release carries, beside
 * its full file, a small signed file of the series its entries belong to:
 * each series' name, status, owning team and contact, and the release's
 * entries that are in it (also those a person put in with `ward series add`
 * whose store entry names no series). A subscriber joins those entries to
 * the series it keeps under the same name (current or former), and a
 * series the publisher says is identified or safeguarded while it is still
 * unidentified here is told to the series' team at high priority, exactly
 * like a VICS import (exchange.c): a partner's word never changes a status
 * by itself; a person confirms it with `ward series status`.
 *
 * The file, "ward-series/1", is text, one record a line, fields separated
 * by tabs (series names hold no control characters; team and contact have
 * theirs replaced by spaces):
 *
 *     ward-series/1
 *     S <name> <status> <team> <contact> <status changed at>
 *     E <name> <sha256> <sha1> <md5> <pdq>
 *
 * series by name, each followed by its entries in the order they joined.
 */
#include "victim/victim_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SERIES_MAGIC "ward-series/1"

/* ---- writing (the publisher) -------------------------------------------------- */

typedef struct hashes {
    ward_victim_hash *v;
    size_t n, cap;
    int nomem;
} hashes;

static int keep_entry(void *ctx, const ward_victim_hash *h, const char *label,
                      const char *added, const char *added_by)
{
    (void)label, (void)added, (void)added_by;
    hashes *hs = ctx;
    ward_victim_hash *v = wst_grow(hs->v, &hs->cap, hs->n, sizeof *v);
    if (!v)
        return hs->nomem = 1;
    hs->v = v;
    hs->v[hs->n++] = *h;
    return 0;
}

typedef struct sers {
    ward_series *v;
    size_t n, cap;
    int nomem;
} sers;

static int keep_series(void *ctx, const ward_series *sr)
{
    sers *ss = ctx;
    ward_series *v = wst_grow(ss->v, &ss->cap, ss->n, sizeof *v);
    if (!v)
        return ss->nomem = 1;
    ss->v = v;
    ss->v[ss->n++] = *sr;
    return 0;
}

static int in_lists(const char *list, const char *const *lists, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(list, lists[i]) == 0)
            return 1;
    return 0;
}

/* Is one of h's digests a live entry of the released lists? The strongest
 * digest present decides (a PDQ alone only when there is no digest). */
static ward_status released(ward_store *s, const ward_victim_hash *h, const char *const *lists,
                            size_t n, int *yes, ward_error *err)
{
    char q[80];
    *yes = 0;
    if (*h->sha256)
        snprintf(q, sizeof q, "sha256:%s", h->sha256);
    else if (*h->sha1)
        snprintf(q, sizeof q, "sha1:%s", h->sha1);
    else if (*h->md5)
        snprintf(q, sizeof q, "md5:%s", h->md5);
    else if (strlen(h->pdq) == 64)
        snprintf(q, sizeof q, "pdq:%s", h->pdq);
    else
        return WARD_OK;
    ward_entries *es = NULL;
    ward_status rc = ward_store_lookup(s, q, 0, &es, err);
    for (size_t i = 0; rc == WARD_OK && i < es->count && !*yes; i++)
        *yes = !es->v[i].removed && in_lists(es->v[i].list, lists, n);
    ward_entries_free(es);
    return rc;
}

/* The series that live entries of the released lists name (current or
 * former name): one pass over each list's distinct series names (the
 * release reads the whole list anyway), each resolved once, so a series
 * travels even when no entry was added to it by hand. */
typedef struct ids {
    int64_t *v;
    size_t n, cap;
    int nomem;
} ids;

typedef struct names_ctx {
    ward_store *s;
    ids *named;
} names_ctx;

static int keep_name(void *ctx, wsql_stmt *st)
{
    names_ctx *c = ctx;
    int64_t id = 0;
    ward_error e2 = {0};
    if (vt_series_id(c->s, vt_col(st, 0), &id, &e2) != WARD_OK)
        return 0; /* a name this store keeps no series for */
    for (size_t i = 0; i < c->named->n; i++)
        if (c->named->v[i] == id)
            return 0;
    int64_t *v = wst_grow(c->named->v, &c->named->cap, c->named->n, sizeof *v);
    if (!v)
        return c->named->nomem = 1;
    c->named->v = v;
    v[c->named->n++] = id;
    return 0;
}

static ward_status named_series(ward_store *s, const char *const *lists, size_t n, ids *named,
                                ward_error *err)
{
    names_ctx c = {s, named};
    for (size_t i = 0; i < n; i++) {
        wsql_stmt *st;
        ward_status rc = wst_prepare(
            s,
            "SELECT DISTINCT e.series FROM entries e JOIN lists l ON l.id = e.list_id"
            " WHERE lower(l.name) = lower(?1) AND e.removed_id IS NULL"
            " AND e.series IS NOT NULL",
            &st, err);
        if (rc)
            return rc;
        wsql_bind_text(st, 1, lists[i], -1, SQLITE_TRANSIENT);
        if ((rc = wst_each_row(s, st, keep_name, &c, "reading the lists' series names", err)))
            return rc;
        if (named->nomem)
            return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    return WARD_OK;
}

static int is_named(const ids *named, int64_t id)
{
    for (size_t i = 0; i < named->n; i++)
        if (named->v[i] == id)
            return 1;
    return 0;
}

/* Text without tabs or line breaks, for one field. */
static void field(FILE *out, const char *v)
{
    fputc('\t', out);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
}

ward_status ward_series_release_write(ward_store *s, const char *const *lists, size_t n_lists,
                                      FILE *out, uint64_t *n_series, uint64_t *n_entries,
                                      ward_error *err)
{
    *n_series = *n_entries = 0;
    sers ss = {0};
    ids named = {0};
    ward_status rc = ward_series_each(s, keep_series, &ss, err);
    if (rc == WARD_OK && ss.nomem)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK && ss.n)
        rc = named_series(s, lists, n_lists, &named, err);
    fputs(SERIES_MAGIC "\n", out);
    for (size_t i = 0; rc == WARD_OK && i < ss.n; i++) {
        const ward_series *sr = &ss.v[i];
        hashes hs = {0};
        rc = ward_series_entries(s, sr->name, keep_entry, &hs, err);
        if (rc == WARD_OK && hs.nomem)
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
        size_t keep = 0;
        for (size_t k = 0; rc == WARD_OK && k < hs.n; k++) {
            int yes = 0;
            if ((rc = released(s, &hs.v[k], lists, n_lists, &yes, err)) == WARD_OK && yes)
                hs.v[keep++] = hs.v[k];
        }
        if (rc == WARD_OK && (keep > 0 || is_named(&named, sr->id))) {
            fputc('S', out);
            field(out, sr->name);
            field(out, ward_series_status_name(sr->status));
            field(out, sr->team);
            field(out, sr->contact);
            field(out, sr->status_at);
            fputc('\n', out);
            for (size_t k = 0; k < keep; k++) {
                const ward_victim_hash *h = &hs.v[k];
                fputc('E', out);
                field(out, sr->name);
                field(out, h->sha256);
                field(out, h->sha1);
                field(out, h->md5);
                field(out, h->pdq);
                fputc('\n', out);
            }
            ++*n_series;
            *n_entries += keep;
        }
        free(hs.v);
    }
    free(ss.v);
    free(named.v);
    if (rc == WARD_OK && (fflush(out) || ferror(out)))
        rc = err_fail(err, WARD_EIO, "writing the release's series failed");
    return rc;
}

/* ---- applying (the subscriber) -------------------------------------------------- */

/* Split a line into at most max tab-separated fields (in place). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

static ward_status open_alert(ward_store *s, int64_t id, int *yes, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s,
                                 "SELECT count(*) FROM victim_alerts WHERE series_id = ?"
                                 " AND kind = 'series-identified-elsewhere' AND state <> 'done'",
                                 &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    int r = wsql_step(st);
    *yes = r == SQLITE_ROW && wsql_column_int64(st, 0) > 0;
    wsql_finalize(st);
    return r == SQLITE_ROW ? WARD_OK : wst_sqlfail(s, err, r, "reading alerts");
}

typedef struct apply {
    ward_store *s;
    const char *path, *source, *who, *at;
    ward_series_release_cb cb;
    void *ctx;
    ward_series_release_summary *sum;
    /* the series of the last S line: id 0 when not kept here */
    int64_t id;
    char name[201], local[201];
    uint64_t joined;
} apply;

static void tell(apply *a, const char *kind, const char *series, const char *message)
{
    if (a->cb)
        a->cb(a->ctx, kind, series, message);
}

/* The entries joined to the series before: one log line for them. */
static ward_status close_series(apply *a, ward_error *err)
{
    ward_status rc = WARD_OK;
    if (a->id && a->joined) {
        char detail[512];
        snprintf(detail, sizeof detail, "%llu entries from %s", (unsigned long long)a->joined,
                 a->source);
        rc = vt_log(a->s, a->id, a->who, "added", detail, err);
        char msg[768];
        snprintf(msg, sizeof msg, "%s: %llu entries joined series '%s'", a->source,
                 (unsigned long long)a->joined, a->local);
        tell(a, "joined", a->local, msg);
    }
    a->id = 0;
    a->joined = 0;
    return rc;
}

static ward_status series_line(apply *a, char **f, ward_error *err)
{
    ward_status rc = close_series(a, err);
    snprintf(a->name, sizeof a->name, "%s", f[1]);
    int theirs = ward_series_status_parse(f[2]);
    if (rc || theirs < 0)
        return rc ? rc : err_fail(err, WARD_EFORMAT, "status '%s'", f[2]);
    a->sum->series++;
    ward_error e2 = {0};
    if (vt_series_id(a->s, f[1], &a->id, &e2) != WARD_OK) {
        a->id = 0;
        a->sum->not_kept++;
        return WARD_OK; /* a series this store does not keep: a person creates it */
    }
    a->sum->kept++;
    ward_series sr;
    if ((rc = vt_series_name(a->s, a->id, a->local, sizeof a->local, err)) ||
        (rc = ward_series_get(a->s, a->local, &sr, err)))
        return rc;
    if (theirs == WARD_SERIES_UNIDENTIFIED || sr.status != WARD_SERIES_UNIDENTIFIED)
        return WARD_OK;
    int dup = 0;
    if ((rc = open_alert(a->s, a->id, &dup, err)) || dup)
        return rc;
    char msg[1024];
    snprintf(msg, sizeof msg,
             "%s says the victim of series '%s' is %s (team %s, contact %s): confirm with "
             "them and 'ward series status'",
             a->source, a->local, f[2], *f[3] ? f[3] : "not given", *f[4] ? f[4] : "not given");
    if ((rc = vt_alert(a->s, a->at, sr.team, "high", "series-identified-elsewhere", a->id, "",
                       msg, "open", err)) ||
        (rc = vt_log(a->s, a->id, a->who, "told", msg, err)))
        return rc;
    a->sum->told++;
    tell(a, "series-identified-elsewhere", a->local, msg);
    return WARD_OK;
}

static ward_status entry_line(apply *a, char **f, ward_error *err)
{
    if (strcmp(f[1], a->name) != 0)
        return err_fail(err, WARD_EFORMAT, "entry of series '%s' outside its series", f[1]);
    ward_victim_hash h;
    memset(&h, 0, sizeof h);
    const char *src[4] = {f[2], f[3], f[4], f[5]};
    char *dst[4] = {h.sha256, h.sha1, h.md5, h.pdq};
    static const size_t len[4] = {64, 40, 32, 64};
    int any = 0;
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(src[i]);
        if (n && (n != len[i] || strspn(src[i], "0123456789abcdefABCDEF") != n))
            return err_fail(err, WARD_EFORMAT, "bad hash '%.80s'", src[i]);
        for (size_t k = 0; k <= n; k++)
            dst[i][k] = (char)(src[i][k] >= 'A' && src[i][k] <= 'F' ? src[i][k] + 32 : src[i][k]);
        any |= n > 0;
    }
    if (!any)
        return err_fail(err, WARD_EFORMAT, "an entry without a hash");
    a->sum->entries++;
    if (!a->id)
        return WARD_OK;
    int added = 0;
    ward_error e2 = {0};
    if (vt_add_entry(a->s, a->id, a->local, &h, a->source, a->who, &added, &e2) != WARD_OK) {
        a->sum->elsewhere++; /* a hash kept in another series here stays there */
        return WARD_OK;
    }
    a->joined += (uint64_t)added;
    a->sum->joined += (uint64_t)added;
    return WARD_OK;
}

static ward_status apply_lines(apply *a, char *text, ward_error *err)
{
    ward_status rc = WARD_OK;
    int lineno = 0;
    char *next = text;
    while (rc == WARD_OK && next && *next) {
        char *line = next, *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, SERIES_MAGIC) != 0)
                return err_fail(err, WARD_EFORMAT, "%s: line 1: not a %s file", a->path,
                                 SERIES_MAGIC);
            continue;
        }
        char *f[7];
        int n = split(line, f, 7);
        ward_error e2 = {0};
        ward_status r2 = WARD_OK;
        if (n == 6 && !strcmp(f[0], "S"))
            r2 = series_line(a, f, &e2);
        else if (n == 6 && !strcmp(f[0], "E"))
            r2 = entry_line(a, f, &e2);
        else
            r2 = err_fail(&e2, WARD_EFORMAT, "not a series or entry record");
        if (r2 == WARD_EFORMAT) {
            /* a line not understood is a notice, never silently passed over */
            char msg[512];
            snprintf(msg, sizeof msg, "%s: line %d: %s; not applied", a->path, lineno,
                     e2.message);
            a->sum->bad++;
            tell(a, "bad", "", msg);
        } else if (r2) {
            if (err)
                *err = e2;
            rc = r2;
        }
    }
    return rc ? rc : close_series(a, err);
}

ward_status ward_series_release_apply(ward_store *s, const char *path, const char *source,
                                      const char *who, time_t now, ward_series_release_cb cb,
                                      void *ctx, ward_series_release_summary *sum,
                                      ward_error *err)
{
    ward_series_release_summary dummy;
    if (!sum)
        sum = &dummy;
    memset(sum, 0, sizeof *sum);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_fail_errno(err, errno, "%s", path);
    strbuf b = {0};
    char buf[65536];
    size_t got;
    int nomem = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        nomem |= !strbuf_add(&b, buf, got);
    int bad = ferror(f);
    fclose(f);
    nomem |= !strbuf_add(&b, "", 1);
    if (bad || nomem) {
        strbuf_free(&b);
        return bad ? err_fail(err, WARD_EIO, "cannot read %s", path)
                   : err_fail(err, WARD_ENOMEM, "out of memory");
    }
    char at[32];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    apply a = {s, path, source, who ? who : "ward release", at, cb, ctx, sum, 0, "", "", 0};
    ward_status rc = vt_begin(s, err);
    if (rc == WARD_OK)
        rc = vt_end(s, apply_lines(&a, b.s, err), err);
    strbuf_free(&b);
    return rc;
}
