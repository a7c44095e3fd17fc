/*
 * Line-oriented hash lists: hashdeep (%%%% HASHDEEP-1.0), md5sum / sha1sum /
 * sha256sum output (GNU and BSD-tagged forms, with coreutils' backslash
 * escaping of names), and PDQ "hash,quality[,name]" lines.
 */
#include "exchange/exchange.h"
#include "util/error.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/*
 * The next line worth parsing, the same way for every line format: a
 * byte-order mark before line 1 is dropped, blank lines and '#' comments are
 * skipped, and an over-long line is reported bad. Returns 1 with *line and
 * *len set; 0 at the end of the file (*rc WARD_OK), on a read error or when
 * the sink says stop (*rc set).
 */
static int next_line(wx_in *in, const wx_sink *sink, ward_error *err, char **line,
                     size_t *len, ward_status *rc)
{
    int r;
    *rc = WARD_OK;
    while ((r = wx_in_getline(in, line, len)) != 0) {
        if (r < 0) {
            *rc = err && err->status ? err->status : WARD_EIO;
            return 0;
        }
        if (r == 2) {
            if ((*rc = wx_bad_line(sink, in->lineno, "line longer than %u bytes", WX_MAX_LINE)))
                return 0;
            continue;
        }
        if (in->lineno == 1) {
            size_t bom = wx_bom_len((const uint8_t *)*line, *len);
            *line += bom;
            *len -= bom;
        }
        if (!is_blank(*line, *len) && (*line)[0] != '#')
            return 1;
    }
    return 0;
}

/* ---- hashdeep --------------------------------------------------------- */

enum { HD_SKIP = -1, HD_SIZE = -2, HD_NAME = -3 };
#define HD_MAXCOLS 16

typedef struct hd_cols {
    int col[HD_MAXCOLS]; /* WX_* or HD_*, in file order */
    int n;               /* 0: no column line yet */
} hd_cols;

/* "%%%% size,md5,sha256,filename": the columns of the data lines that
 * follow; filename must be last, as the name may hold commas. */
static ward_status hd_columns(const wx_in *in, const char *spec, hd_cols *c,
                              ward_error *err)
{
    c->n = 0;
    for (const char *p = spec;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (c->n == HD_MAXCOLS)
            return err_fail(err, WARD_EFORMAT, "%s:%llu: too many columns", in->path,
                             (unsigned long long)in->lineno);
        int k = wx_kind_from_name(p, n);
        if (k == WX_PDQ)
            k = HD_SKIP;
        if (k < 0 && n == 4 && strncasecmp(p, "size", 4) == 0)
            k = HD_SIZE;
        else if (k < 0 && n == 8 && strncasecmp(p, "filename", 8) == 0)
            k = HD_NAME;
        else if (k < 0)
            k = HD_SKIP; /* tiger, whirlpool, ... */
        c->col[c->n++] = k;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (c->col[c->n - 1] != HD_NAME)
        return err_fail(err, WARD_EFORMAT,
                         "%s:%llu: hashdeep column line must end with filename", in->path,
                         (unsigned long long)in->lineno);
    return WARD_OK;
}

/* One data line: a record, or a bad line (the sink's answer is returned). */
static ward_status hd_record(const wx_in *in, const wx_sink *sink, const hd_cols *c,
                             char *line, size_t len)
{
    wx_record rec;
    wx_record_clear(&rec);
    char ex[48];
    const char *p = line, *end = line + len;
    for (int i = 0; i < c->n; i++) {
        const char *comma = i < c->n - 1 ? memchr(p, ',', (size_t)(end - p)) : NULL;
        if (i < c->n - 1 && !comma)
            return wx_bad_line(sink, in->lineno, "%d fields, the column line has %d", i + 1,
                               c->n);
        size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
        int64_t v;
        if (c->col[i] >= 0 && wx_record_set_hex(&rec, c->col[i], p, n) < 0)
            return wx_bad_line(sink, in->lineno, "invalid %s '%s'", wx_kind_label[c->col[i]],
                               wx_excerpt(p, n, ex));
        if (c->col[i] == HD_SIZE && n && !is_blank(p, n)) {
            if (wx_parse_int(p, n, &v) || v < 0)
                return wx_bad_line(sink, in->lineno, "invalid size '%s'", wx_excerpt(p, n, ex));
            rec.size = v;
        }
        if (c->col[i] == HD_NAME)
            rec.name = n ? p : NULL; /* line is NUL-terminated at end */
        p = comma ? comma + 1 : end;
    }
    if (!rec.dg.present)
        return wx_bad_line(sink, in->lineno, "no MD5, SHA1 or SHA256");
    return wx_emit_line(sink, &rec, in->lineno);
}

ward_status wx_read_hashdeep(wx_in *in, const wx_sink *sink, ward_error *err)
{
    char *line;
    size_t len;
    int saw_version = 0;
    hd_cols cols = {.n = 0};
    ward_status rc;
    while (next_line(in, sink, err, &line, &len, &rc)) {
        if (len >= 5 && memcmp(line, "%%%% ", 5) == 0) {
            const char *spec = line + 5;
            if (strncmp(spec, "HASHDEEP-", 9) == 0) {
                if (strncmp(spec + 9, "1.", 2) != 0)
                    return err_fail(err, WARD_EUNSUPPORTED,
                                     "%s:%llu: hashdeep file format %s (ward reads 1.x)",
                                     in->path, (unsigned long long)in->lineno, spec);
                saw_version = 1;
                cols.n = 0;
                continue;
            }
            if (!saw_version)
                return err_fail(err, WARD_EFORMAT,
                                 "%s:%llu: column line before %%%%%%%% HASHDEEP-1.0",
                                 in->path, (unsigned long long)in->lineno);
            if ((rc = hd_columns(in, spec, &cols, err)))
                return rc;
            continue;
        }
        if (!saw_version)
            return err_fail(err, WARD_EFORMAT,
                             "%s:%llu: not a hashdeep file (no %%%%%%%% HASHDEEP-1.0 line)",
                             in->path, (unsigned long long)in->lineno);
        if (!cols.n)
            return err_fail(err, WARD_EFORMAT,
                             "%s:%llu: data line before the %%%%%%%% column line",
                             in->path, (unsigned long long)in->lineno);
        if ((rc = hd_record(in, sink, &cols, line, len)))
            return rc;
    }
    if (rc)
        return rc;
    if (!saw_version)
        return err_fail(err, WARD_EFORMAT, "%s: not a hashdeep file (empty)", in->path);
    return WARD_OK;
}

/* ---- md5sum / sha1sum / sha256sum -------------------------------------- */

/* Undo coreutils' escaping of a name (\\ \n \r) in place. */
static size_t unescape(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[i + 1];
            if (c == '\\' || c == 'n' || c == 'r') {
                s[o++] = c == 'n' ? '\n' : c == 'r' ? '\r' : '\\';
                i++;
                continue;
            }
        }
        s[o++] = s[i];
    }
    s[o] = 0;
    return o;
}

static int kind_of_len(size_t n)
{
    return n == 32 ? WX_MD5 : n == 40 ? WX_SHA1 : n == 64 ? WX_SHA256 : -1;
}

/* Where the digest and the name are in a sums line; hex NULL if it is not
 * one. BSD tagged form: "SHA256 (name) = hex"; GNU: "<hex>  <name>" (text
 * mode) or "<hex> *<name>" (binary). *tag: the tagged form's kind, else -1. */
typedef struct sums_parts {
    const char *hex, *name;
    size_t hexlen, namelen;
    int tag;
} sums_parts;

static void sums_split(char *p, char *end, sums_parts *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->tag = -1;
    char *paren = memchr(p, '(', (size_t)(end - p));
    size_t h = 0;
    while (p + h < end && isxdigit((unsigned char)p[h]))
        h++;
    if (kind_of_len(h) >= 0 && (p + h == end || p[h] == ' ')) {
        if (p + h < end && !(p + h + 1 < end && (p[h + 1] == ' ' || p[h + 1] == '*')))
            return;
        sp->hex = p;
        sp->hexlen = h;
        if (p + h < end) {
            sp->name = p + h + 2;
            sp->namelen = (size_t)(end - sp->name);
        }
    } else if (paren && paren > p + 1 && paren[-1] == ' ') {
        char *eq = NULL;
        for (char *q = end - 1; q > paren && !eq; q--)
            if (q + 4 <= end && memcmp(q, ") = ", 4) == 0)
                eq = q;
        int tag = wx_kind_from_name(p, (size_t)(paren - 1 - p));
        if (eq && tag >= 0 && tag != WX_PDQ) {
            sp->tag = tag;
            sp->name = paren + 1;
            sp->namelen = (size_t)(eq - sp->name);
            sp->hex = eq + 4;
            sp->hexlen = (size_t)(end - sp->hex);
        }
    }
}

/* One line of md5sum & co.: a record, or a bad line (the sink's answer). */
static ward_status sums_line(const wx_in *in, const wx_sink *sink, int want_kind,
                             char *line, size_t len)
{
    char ex[48];
    int escaped = line[0] == '\\';
    sums_parts sp;
    sums_split(line + escaped, line + len, &sp);
    if (sp.tag >= 0 && kind_of_len(sp.hexlen) != sp.tag)
        return wx_bad_line(sink, in->lineno, "invalid %s '%s'", wx_kind_label[sp.tag],
                           wx_excerpt(sp.hex, sp.hexlen, ex));
    if (!sp.hex)
        return wx_bad_line(sink, in->lineno,
                           "not a checksum line (expected '<hex>  <name>' or "
                           "'<hex> *<name>'): '%s'",
                           wx_excerpt(line, len, ex));
    int kind = kind_of_len(sp.hexlen);
    if (want_kind >= 0 && kind != want_kind)
        return wx_bad_line(sink, in->lineno, "expected %zu hex digits (%s), found %zu",
                           2 * wx_kind_bytes[want_kind], wx_kind_label[want_kind], sp.hexlen);
    wx_record rec;
    wx_record_clear(&rec);
    if (wx_record_set_hex(&rec, kind, sp.hex, sp.hexlen) != 0)
        return wx_bad_line(sink, in->lineno, "invalid %s '%s'", wx_kind_label[kind],
                           wx_excerpt(sp.hex, sp.hexlen, ex));
    if (sp.name && sp.namelen) {
        char *nm = (char *)sp.name; /* points into our own line buffer */
        if (escaped)
            unescape(nm, sp.namelen);
        else
            nm[sp.namelen] = 0;
        rec.name = nm;
    }
    return wx_emit_line(sink, &rec, in->lineno);
}

ward_status wx_read_sums(wx_in *in, const wx_sink *sink, int want_kind,
                         ward_error *err)
{
    char *line;
    size_t len;
    ward_status rc;
    while (next_line(in, sink, err, &line, &len, &rc))
        if ((rc = sums_line(in, sink, want_kind, line, len)))
            return rc;
    return rc;
}

/* ---- PDQ lines --------------------------------------------------------- */

/* "hash[,quality[,name]]": a record, or a bad line (the sink's answer). */
static ward_status pdq_line(const wx_in *in, const wx_sink *sink, char *line, size_t len)
{
    char ex[48];
    char *end = line + len;
    char *c1 = memchr(line, ',', len);
    size_t hn = c1 ? (size_t)(c1 - line) : len;
    wx_record rec;
    wx_record_clear(&rec);
    if (wx_record_set_hex(&rec, WX_PDQ, line, hn) != 0)
        return wx_bad_line(sink, in->lineno, "invalid PDQ hash '%s' (expected 64 hex digits)",
                           wx_excerpt(line, hn, ex));
    if (c1) {
        char *q = c1 + 1;
        char *c2 = memchr(q, ',', (size_t)(end - q));
        size_t qn = c2 ? (size_t)(c2 - q) : (size_t)(end - q);
        int64_t v;
        if (!is_blank(q, qn)) {
            if (wx_parse_int(q, qn, &v) || v < 0 || v > 100)
                return wx_bad_line(sink, in->lineno, "invalid PDQ quality '%s' (0..100)",
                                   wx_excerpt(q, qn, ex));
            rec.quality = (int)v;
        }
        if (c2 && c2 + 1 < end)
            rec.name = c2 + 1;
    }
    return wx_emit_line(sink, &rec, in->lineno);
}

ward_status wx_read_pdq(wx_in *in, const wx_sink *sink, ward_error *err)
{
    char *line;
    size_t len;
    ward_status rc;
    while (next_line(in, sink, err, &line, &len, &rc))
        if ((rc = pdq_line(in, sink, line, len)))
            return rc;
    return rc;
}
