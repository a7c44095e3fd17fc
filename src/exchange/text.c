/*
 * Line-oriented hash lists: hashdeep (%%%% HASHDEEP-1.0), md5sum / sha1sum /
 * sha256sum output (GNU and BSD-tagged forms, with coreutils' backslash
 * escaping of names), and PDQ "hash,quality[,name]" lines.
 */
#include "exchange/exchange.h"
#include "util/error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static ward_status bad(const wx_sink *sink, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ward_status bad(const wx_sink *sink, uint64_t line, const char *fmt, ...)
{
    char where[32], msg[256];
    snprintf(where, sizeof where, "%llu", (unsigned long long)line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sink->bad(sink->ctx, where, msg);
}

static ward_status emit(const wx_sink *sink, wx_record *r, uint64_t line)
{
    char where[32];
    snprintf(where, sizeof where, "%llu", (unsigned long long)line);
    r->where = where;
    return sink->record(sink->ctx, r);
}

/* Printable excerpt of a field for a message. */
static const char *excerpt(const char *s, size_t n, char out[48])
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < 40; i++)
        out[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
    if (n > 40) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
    return out;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static ward_status read_fail(wx_in *in, ward_error *err)
{
    (void)in;
    return err && err->status ? err->status : WARD_EIO;
}

/* ---- hashdeep --------------------------------------------------------- */

enum { HD_SKIP = -1, HD_SIZE = -2, HD_NAME = -3 };
#define HD_MAXCOLS 16

ward_status wx_read_hashdeep(wx_in *in, const wx_sink *sink, ward_error *err)
{
    char *line;
    size_t len;
    int r, ncols = 0, saw_version = 0;
    int cols[HD_MAXCOLS];
    char ex[48];
    while ((r = wx_in_getline(in, &line, &len)) != 0) {
        if (r < 0)
            return read_fail(in, err);
        if (r == 2) {
            ward_status rc = bad(sink, in->lineno, "line longer than %u bytes", WX_MAX_LINE);
            if (rc)
                return rc;
            continue;
        }
        if (in->lineno == 1 && len >= 3 && (uint8_t)line[0] == 0xef &&
            (uint8_t)line[1] == 0xbb && (uint8_t)line[2] == 0xbf) {
            line += 3;
            len -= 3;
        }
        if (is_blank(line, len))
            continue;
        if (len >= 5 && memcmp(line, "%%%% ", 5) == 0) {
            const char *spec = line + 5;
            if (strncmp(spec, "HASHDEEP-", 9) == 0) {
                if (strncmp(spec + 9, "1.", 2) != 0)
                    return ward_fail(err, WARD_EUNSUPPORTED,
                                     "%s:%llu: hashdeep file format %s (ward reads 1.x)",
                                     in->path, (unsigned long long)in->lineno, spec);
                saw_version = 1;
                ncols = 0;
                continue;
            }
            if (!saw_version)
                return ward_fail(err, WARD_EFORMAT,
                                 "%s:%llu: column line before %%%%%%%% HASHDEEP-1.0",
                                 in->path, (unsigned long long)in->lineno);
            /* "%%%% size,md5,sha256,filename": filename must be last. */
            ncols = 0;
            const char *p = spec;
            for (;;) {
                const char *c = strchr(p, ',');
                size_t n = c ? (size_t)(c - p) : strlen(p);
                if (ncols == HD_MAXCOLS)
                    return ward_fail(err, WARD_EFORMAT, "%s:%llu: too many columns",
                                     in->path, (unsigned long long)in->lineno);
                int k = wx_kind_from_name(p, n);
                if (k == WX_PDQ)
                    k = HD_SKIP;
                if (k < 0 && n == 4 && strncasecmp(p, "size", 4) == 0)
                    k = HD_SIZE;
                else if (k < 0 && n == 8 && strncasecmp(p, "filename", 8) == 0)
                    k = HD_NAME;
                else if (k < 0)
                    k = HD_SKIP; /* tiger, whirlpool, ... */
                cols[ncols++] = k;
                if (!c)
                    break;
                p = c + 1;
            }
            if (cols[ncols - 1] != HD_NAME)
                return ward_fail(err, WARD_EFORMAT,
                                 "%s:%llu: hashdeep column line must end with filename",
                                 in->path, (unsigned long long)in->lineno);
            continue;
        }
        if (line[0] == '#')
            continue;
        if (!saw_version)
            return ward_fail(err, WARD_EFORMAT,
                             "%s:%llu: not a hashdeep file (no %%%%%%%% HASHDEEP-1.0 line)",
                             in->path, (unsigned long long)in->lineno);
        if (!ncols)
            return ward_fail(err, WARD_EFORMAT,
                             "%s:%llu: data line before the %%%%%%%% column line",
                             in->path, (unsigned long long)in->lineno);
        wx_record rec;
        wx_record_clear(&rec);
        const char *p = line, *end = line + len;
        ward_status rc = WARD_OK;
        int is_bad = 0;
        for (int i = 0; i < ncols && !is_bad; i++) {
            const char *c = i < ncols - 1 ? memchr(p, ',', (size_t)(end - p)) : NULL;
            if (i < ncols - 1 && !c) {
                rc = bad(sink, in->lineno, "%d fields, the column line has %d", i + 1, ncols);
                is_bad = 1;
                break;
            }
            size_t n = c ? (size_t)(c - p) : (size_t)(end - p);
            if (cols[i] >= 0) {
                if (wx_record_set_hex(&rec, cols[i], p, n) < 0) {
                    rc = bad(sink, in->lineno, "invalid %s '%s'", wx_kind_label[cols[i]],
                             excerpt(p, n, ex));
                    is_bad = 1;
                }
            } else if (cols[i] == HD_SIZE) {
                int64_t v;
                if (n && !is_blank(p, n)) {
                    if (wx_parse_int(p, n, &v) || v < 0) {
                        rc = bad(sink, in->lineno, "invalid size '%s'", excerpt(p, n, ex));
                        is_bad = 1;
                    } else {
                        rec.size = v;
                    }
                }
            } else if (cols[i] == HD_NAME) {
                rec.name = n ? p : NULL; /* line is NUL-terminated at end */
            }
            p = c ? c + 1 : end;
        }
        if (is_bad) {
            if (rc)
                return rc;
            continue;
        }
        if (!rec.dg.present) {
            if ((rc = bad(sink, in->lineno, "no MD5, SHA1 or SHA256")))
                return rc;
            continue;
        }
        if ((rc = emit(sink, &rec, in->lineno)))
            return rc;
    }
    if (!saw_version)
        return ward_fail(err, WARD_EFORMAT, "%s: not a hashdeep file (empty)", in->path);
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

ward_status wx_read_sums(wx_in *in, const wx_sink *sink, int want_kind,
                         ward_error *err)
{
    char *line;
    size_t len;
    int r;
    char ex[48];
    while ((r = wx_in_getline(in, &line, &len)) != 0) {
        ward_status rc;
        if (r < 0)
            return read_fail(in, err);
        if (r == 2) {
            if ((rc = bad(sink, in->lineno, "line longer than %u bytes", WX_MAX_LINE)))
                return rc;
            continue;
        }
        if (in->lineno == 1 && len >= 3 && (uint8_t)line[0] == 0xef &&
            (uint8_t)line[1] == 0xbb && (uint8_t)line[2] == 0xbf) {
            line += 3;
            len -= 3;
        }
        if (is_blank(line, len) || line[0] == '#')
            continue;
        int escaped = line[0] == '\\';
        char *p = line + escaped, *end = line + len;
        const char *hex = NULL, *name = NULL;
        size_t hexlen = 0, namelen = 0;
        /* BSD tagged form: "SHA256 (name) = hex". */
        char *paren = memchr(p, '(', (size_t)(end - p));
        size_t h = 0;
        while (p + h < end && isxdigit((unsigned char)p[h]))
            h++;
        if (kind_of_len(h) >= 0 && (p + h == end || p[h] == ' ')) {
            hex = p;
            hexlen = h;
            if (p + h < end) {
                /* "<hex>  <name>" (text mode) or "<hex> *<name>" (binary). */
                if (p + h + 1 < end && (p[h + 1] == ' ' || p[h + 1] == '*')) {
                    name = p + h + 2;
                    namelen = (size_t)(end - name);
                } else {
                    hex = NULL;
                }
            }
        } else if (paren && paren > p + 1 && paren[-1] == ' ') {
            char *eq = NULL;
            for (char *q = end - 1; q > paren; q--) {
                if (q + 4 <= end && memcmp(q, ") = ", 4) == 0) {
                    eq = q;
                    break;
                }
            }
            int tag = wx_kind_from_name(p, (size_t)(paren - 1 - p));
            if (eq && tag >= 0 && tag != WX_PDQ) {
                name = paren + 1;
                namelen = (size_t)(eq - name);
                hex = eq + 4;
                hexlen = (size_t)(end - hex);
                if (kind_of_len(hexlen) != tag) {
                    if ((rc = bad(sink, in->lineno, "invalid %s '%s'", wx_kind_label[tag],
                                  excerpt(hex, hexlen, ex))))
                        return rc;
                    continue;
                }
            }
        }
        if (!hex) {
            if ((rc = bad(sink, in->lineno,
                          "not a checksum line (expected '<hex>  <name>' or "
                          "'<hex> *<name>'): '%s'",
                          excerpt(line, len, ex))))
                return rc;
            continue;
        }
        int kind = kind_of_len(hexlen);
        if (want_kind >= 0 && kind != want_kind) {
            if ((rc = bad(sink, in->lineno, "expected %zu hex digits (%s), found %zu",
                          2 * wx_kind_bytes[want_kind], wx_kind_label[want_kind], hexlen)))
                return rc;
            continue;
        }
        wx_record rec;
        wx_record_clear(&rec);
        if (wx_record_set_hex(&rec, kind, hex, hexlen) != 0) {
            if ((rc = bad(sink, in->lineno, "invalid %s '%s'", wx_kind_label[kind],
                          excerpt(hex, hexlen, ex))))
                return rc;
            continue;
        }
        if (name && namelen) {
            char *nm = (char *)name;
            if (escaped)
                namelen = unescape(nm, namelen);
            else
                nm[namelen] = 0;
            rec.name = nm;
        }
        if ((rc = emit(sink, &rec, in->lineno)))
            return rc;
    }
    return WARD_OK;
}

/* ---- PDQ lines --------------------------------------------------------- */

ward_status wx_read_pdq(wx_in *in, const wx_sink *sink, ward_error *err)
{
    char *line;
    size_t len;
    int r;
    char ex[48];
    while ((r = wx_in_getline(in, &line, &len)) != 0) {
        ward_status rc;
        if (r < 0)
            return read_fail(in, err);
        if (r == 2) {
            if ((rc = bad(sink, in->lineno, "line longer than %u bytes", WX_MAX_LINE)))
                return rc;
            continue;
        }
        if (in->lineno == 1 && len >= 3 && (uint8_t)line[0] == 0xef &&
            (uint8_t)line[1] == 0xbb && (uint8_t)line[2] == 0xbf) {
            line += 3;
            len -= 3;
        }
        if (is_blank(line, len) || line[0] == '#')
            continue;
        char *end = line + len;
        char *c1 = memchr(line, ',', len);
        size_t hn = c1 ? (size_t)(c1 - line) : len;
        wx_record rec;
        wx_record_clear(&rec);
        if (wx_record_set_hex(&rec, WX_PDQ, line, hn) != 0) {
            if ((rc = bad(sink, in->lineno, "invalid PDQ hash '%s' (expected 64 hex digits)",
                          excerpt(line, hn, ex))))
                return rc;
            continue;
        }
        if (c1) {
            char *q = c1 + 1;
            char *c2 = memchr(q, ',', (size_t)(end - q));
            size_t qn = c2 ? (size_t)(c2 - q) : (size_t)(end - q);
            int64_t v;
            if (!is_blank(q, qn)) {
                if (wx_parse_int(q, qn, &v) || v < 0 || v > 100) {
                    if ((rc = bad(sink, in->lineno, "invalid PDQ quality '%s' (0..100)",
                                  excerpt(q, qn, ex))))
                        return rc;
                    continue;
                }
                rec.quality = (int)v;
            }
            if (c2 && c2 + 1 < end)
                rec.name = c2 + 1;
        }
        if ((rc = emit(sink, &rec, in->lineno)))
            return rc;
    }
    return WARD_OK;
}
