/*
 * The canonical form of a release and the deltas between releases.
 *
 * A full release is CSV (the columns of `ward db export --format csv` less
 * the list), one record per entry, sorted by key -- the four digest fields
 * md5,sha1,sha256,pdq, compared without regard to hex case -- with at most
 * one record per key. One content, one byte sequence: that is what lets a
 * subscriber check a delta by the digest of the full file it produces.
 *
 * A delta is text: a header line, then in key order
 *     -<key>\t<reason>     the entry with this key is gone (and why)
 *     +<record>            the entry is new, or replaces the one with its key
 * Applying it to full N is one merge pass, so it costs O(N + delta) I/O and
 * memory bounded by the longest record.
 */
#include "release/rel_int.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char REL_FULL_HEADER[] =
    "md5,sha1,sha256,pdq,quality,category,series,victim_identified,tags,first_seen,"
    "updated,name,size,media_id\n";

static const char DELTA_MAGIC[] = "ward-delta/1";

ward_status rel_map_open(rel_map *m, const char *path, ward_error *err)
{
    memset(m, 0, sizeof *m);
    m->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->fd < 0)
        return err_fail_errno(err, errno, "cannot open %s", path);
    struct stat st;
    if (fstat(m->fd, &st) != 0) {
        close(m->fd);
        return err_fail_errno(err, errno, "cannot stat %s", path);
    }
    m->n = (size_t)st.st_size;
    if (m->n) {
        void *p = mmap(NULL, m->n, PROT_READ, MAP_PRIVATE, m->fd, 0);
        if (p == MAP_FAILED) {
            close(m->fd);
            return err_fail_errno(err, errno, "cannot map %s", path);
        }
        madvise(p, m->n, MADV_SEQUENTIAL);
        m->p = p;
    }
    return WARD_OK;
}

void rel_map_close(rel_map *m)
{
    if (m->p)
        munmap((void *)m->p, m->n);
    if (m->fd >= 0)
        close(m->fd);
    m->p = NULL;
    m->fd = -1;
}

int rel_map_next(rel_map *m, const char **rec, size_t *len)
{
    if (m->pos >= m->n)
        return 0;
    const char *s = m->p + m->pos, *end = m->p + m->n, *q = s;
    int quoted = 0;
    for (;;) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *stop = nl ? nl : end;
        for (const char *c = memchr(q, '"', (size_t)(stop - q)); c;
             c = memchr(c + 1, '"', (size_t)(stop - c - 1)))
            quoted = !quoted;
        if (!nl || !quoted) {
            *rec = s;
            *len = (size_t)(stop - s);
            m->pos = (size_t)(stop - m->p) + (nl ? 1 : 0);
            return 1;
        }
        q = nl + 1;
    }
}

int rel_map_line(rel_map *m, const char **line, size_t *len)
{
    if (m->pos >= m->n)
        return 0;
    const char *s = m->p + m->pos, *nl = memchr(s, '\n', m->n - m->pos);
    *line = s;
    *len = nl ? (size_t)(nl - s) : m->n - m->pos;
    m->pos += *len + (nl ? 1 : 0);
    return 1;
}

int rel_map_next_delta(rel_map *m, const char **line, size_t *len)
{
    if (m->pos < m->n && m->p[m->pos] == '-')
        return rel_map_line(m, line, len);
    return rel_map_next(m, line, len);
}

size_t rel_key_len(const char *rec, size_t len)
{
    int commas = 0;
    for (size_t i = 0; i < len; i++)
        if (rec[i] == ',' && ++commas == 4)
            return i;
    return len;
}

int rel_key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int x = tolower((unsigned char)a[i]), y = tolower((unsigned char)b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

/* ---- removal reasons --------------------------------------------------- */

ward_status rel_reasons_add(rel_reasons *r, const char *key, size_t kn, const char *reason,
                            size_t rn, ward_error *err)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        void *v = realloc(r->v, cap * sizeof *r->v);
        if (!v)
            return err_fail(err, WARD_ENOMEM, "out of memory");
        r->v = v;
        r->cap = cap;
    }
    struct rel_reason *e = &r->v[r->n];
    e->key = strndup(key, kn);
    e->reason = strndup(reason, rn);
    if (!e->key || !e->reason) {
        free(e->key);
        free(e->reason);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    /* One line per reason in the files that carry them. */
    for (char *c = e->reason; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    r->n++;
    return WARD_OK;
}

static int reason_cmp(const void *a, const void *b)
{
    const struct rel_reason *x = a, *y = b;
    return rel_key_cmp(x->key, strlen(x->key), y->key, strlen(y->key));
}

void rel_reasons_sort(rel_reasons *r)
{
    if (r->n)
        qsort(r->v, r->n, sizeof *r->v, reason_cmp);
}

const char *rel_reasons_find(const rel_reasons *r, const char *key, size_t kn)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = rel_key_cmp(r->v[mid].key, strlen(r->v[mid].key), key, kn);
        if (c == 0)
            return r->v[mid].reason;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void rel_reasons_free(rel_reasons *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].key);
        free(r->v[i].reason);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

ward_status rel_reasons_load(rel_reasons *r, const char *path, int from_delta,
                             ward_error *err)
{
    rel_map m;
    ward_status rc = rel_map_open(&m, path, err);
    const char *rec;
    size_t len;
    while (rc == WARD_OK && (from_delta ? rel_map_next_delta(&m, &rec, &len)
                                        : rel_map_line(&m, &rec, &len))) {
        if (from_delta) {
            if (len == 0 || rec[0] != '-')
                continue;
            rec++;
            len--;
        }
        const char *tab = memchr(rec, '\t', len);
        if (tab)
            rc = rel_reasons_add(r, rec, (size_t)(tab - rec), tab + 1,
                                 len - (size_t)(tab - rec) - 1, err);
    }
    rel_map_close(&m);
    rel_reasons_sort(r);
    return rc;
}

/* ---- deltas ------------------------------------------------------------ */

/* The next record of a full file (its header skipped): 1, or 0 at the end. */
static int next_entry(rel_map *m, const char **rec, size_t *len, size_t *klen)
{
    if (!m->p)
        return 0;
    if (m->pos == 0) {
        const char *h;
        size_t hn;
        if (!rel_map_next(m, &h, &hn))
            return 0;
    }
    if (!rel_map_next(m, rec, len))
        return 0;
    *klen = rel_key_len(*rec, *len);
    return 1;
}

static ward_status open_full(rel_map *m, const char *path, ward_error *err)
{
    if (!path) {
        memset(m, 0, sizeof *m);
        m->fd = -1;
        return WARD_OK;
    }
    ward_status rc = rel_map_open(m, path, err);
    if (rc == WARD_OK && (m->n < sizeof REL_FULL_HEADER - 1 ||
                          memcmp(m->p, REL_FULL_HEADER, sizeof REL_FULL_HEADER - 1))) {
        rel_map_close(m);
        return err_fail(err, WARD_EFORMAT, "%s: not a ward release (bad header)", path);
    }
    return rc;
}

static void put_removal(FILE *out, const char *key, size_t kn, const rel_reasons *reasons,
                        uint64_t to)
{
    const char *why = reasons ? rel_reasons_find(reasons, key, kn) : NULL;
    fputc('-', out);
    fwrite(key, 1, kn, out);
    if (why)
        fprintf(out, "\t%s\n", why);
    else
        fprintf(out, "\tnot in version %llu\n", (unsigned long long)to);
}

ward_status rel_delta_write(const char *a, const char *b, const rel_reasons *reasons,
                            const char *list, uint64_t from, uint64_t to, FILE *out,
                            rel_delta_counts *counts, ward_error *err)
{
    rel_map ma, mb;
    ward_status rc = open_full(&ma, a, err);
    if (rc)
        return rc;
    if ((rc = open_full(&mb, b, err))) {
        rel_map_close(&ma);
        return rc;
    }
    rel_delta_counts c = {0};
    fprintf(out, "%s %s %llu %llu\n", DELTA_MAGIC, list, (unsigned long long)from,
            (unsigned long long)to);
    const char *ra = NULL, *rb = NULL;
    size_t la = 0, lb = 0, ka = 0, kb = 0;
    int ha = next_entry(&ma, &ra, &la, &ka), hb = next_entry(&mb, &rb, &lb, &kb);
    while (ha || hb) {
        int cmp = !ha ? 1 : !hb ? -1 : rel_key_cmp(ra, ka, rb, kb);
        if (cmp < 0) {
            put_removal(out, ra, ka, reasons, to);
            c.removed++;
        } else if (cmp > 0 || la != lb || memcmp(ra, rb, la) != 0) {
            fputc('+', out);
            fwrite(rb, 1, lb, out);
            fputc('\n', out);
            c.added++;
        }
        if (cmp <= 0)
            ha = next_entry(&ma, &ra, &la, &ka);
        if (cmp >= 0)
            hb = next_entry(&mb, &rb, &lb, &kb);
    }
    rel_map_close(&ma);
    rel_map_close(&mb);
    if (fflush(out) != 0 || ferror(out))
        return err_fail_errno(err, errno ? errno : EIO, "cannot write the delta");
    if (counts)
        *counts = c;
    return WARD_OK;
}

/* Length of a removal line's key: up to its tab. */
static size_t tab_or_end(const char *s, size_t n)
{
    const char *t = memchr(s, '\t', n);
    return t ? (size_t)(t - s) : n;
}

ward_status rel_delta_apply(const char *a, const char *d, FILE *b, ward_error *err)
{
    rel_map ma, md;
    ward_status rc = open_full(&ma, a, err);
    if (rc)
        return rc;
    if ((rc = rel_map_open(&md, d, err))) {
        rel_map_close(&ma);
        return rc;
    }
    const char *hd;
    size_t hn;
    if (!rel_map_line(&md, &hd, &hn) || hn < sizeof DELTA_MAGIC ||
        memcmp(hd, DELTA_MAGIC, sizeof DELTA_MAGIC - 1)) {
        rc = err_fail(err, WARD_EFORMAT, "%s: not a ward delta", d);
        goto out;
    }
    fputs(REL_FULL_HEADER, b);
    const char *ra = NULL, *rd, *prev = NULL;
    size_t la = 0, ka = 0, ld, kd, kprev = 0;
    int ha = next_entry(&ma, &ra, &la, &ka);
    uint64_t line = 1;
    while (rel_map_next_delta(&md, &rd, &ld)) {
        line++;
        if (ld < 2 || (rd[0] != '-' && rd[0] != '+')) {
            rc = err_fail(err, WARD_EFORMAT, "%s:%llu: not a delta line", d,
                           (unsigned long long)line);
            goto out;
        }
        const char *body = rd + 1;
        kd = rd[0] == '-' ? tab_or_end(body, ld - 1)
                          : rel_key_len(body, ld - 1);
        if (prev && rel_key_cmp(prev, kprev, body, kd) >= 0) {
            rc = err_fail(err, WARD_EFORMAT, "%s:%llu: delta out of key order", d,
                           (unsigned long long)line);
            goto out;
        }
        prev = body;
        kprev = kd;
        int cmp = -1;
        while (ha && (cmp = rel_key_cmp(ra, ka, body, kd)) < 0) {
            fwrite(ra, 1, la, b);
            fputc('\n', b);
            ha = next_entry(&ma, &ra, &la, &ka);
        }
        int present = ha && cmp == 0;
        if (rd[0] == '-' && !present) {
            rc = err_fail(err, WARD_EFORMAT,
                           "%s:%llu: delta removes an entry the release does not hold "
                           "(a delta for another version?)", d, (unsigned long long)line);
            goto out;
        }
        if (present)
            ha = next_entry(&ma, &ra, &la, &ka);
        if (rd[0] == '+') {
            fwrite(body, 1, ld - 1, b);
            fputc('\n', b);
        }
    }
    for (; ha; ha = next_entry(&ma, &ra, &la, &ka)) {
        fwrite(ra, 1, la, b);
        fputc('\n', b);
    }
    if (fflush(b) != 0 || ferror(b))
        rc = err_fail_errno(err, errno ? errno : EIO, "cannot write the new release");
out:
    rel_map_close(&ma);
    rel_map_close(&md);
    return rc;
}
