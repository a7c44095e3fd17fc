/*
 * Field values shared by the readers: digests with their original case,
 * dates, booleans, integers, tags, growable strings; and the reporting every
 * reader does the same way (excerpts, line-numbered bad records).
 */
#include "exchange/exchange.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const wx_kind_label[WX_NKINDS] = {"MD5", "SHA1", "SHA256", "PDQ"};
const size_t wx_kind_bytes[WX_NKINDS] = {16, 20, 32, 32};

void wx_record_clear(wx_record *r)
{
    memset(r, 0, sizeof *r);
    r->quality = -1;
    r->victim_identified = -1;
    r->size = -1;
}

const uint8_t *wx_record_digest(const wx_record *r, int kind)
{
    switch (kind) {
    case WX_MD5: return (r->dg.present & WARD_DIGEST_MD5) ? r->dg.md5 : NULL;
    case WX_SHA1: return (r->dg.present & WARD_DIGEST_SHA1) ? r->dg.sha1 : NULL;
    case WX_SHA256: return (r->dg.present & WARD_DIGEST_SHA256) ? r->dg.sha256 : NULL;
    default: return r->has_pdq ? r->pdq.b : NULL;
    }
}

void wx_trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

int wx_record_set_hex(wx_record *r, int kind, const char *text, size_t len)
{
    wx_trim(&text, &len);
    if (len == 0)
        return 1;
    size_t nb = wx_kind_bytes[kind];
    uint8_t *dst = kind == WX_MD5      ? r->dg.md5
                   : kind == WX_SHA1   ? r->dg.sha1
                   : kind == WX_SHA256 ? r->dg.sha256
                                       : r->pdq.b;
    if (len != 2 * nb || ward_unhex(text, len, dst, nb) != WARD_OK)
        return -1;
    if (kind == WX_PDQ)
        r->has_pdq = 1;
    else
        r->dg.present |= 1u << kind; /* WARD_DIGEST_* bits follow WX_* order */
    int upper = 0, lower = 0;
    for (size_t i = 0; i < len; i++) {
        upper |= text[i] >= 'A' && text[i] <= 'F';
        lower |= text[i] >= 'a' && text[i] <= 'f';
    }
    unsigned bit = 1u << kind;
    r->hex_upper &= ~bit;
    r->hex_mixed &= ~bit;
    if (upper && lower) {
        r->hex_mixed |= bit;
        memcpy(r->mixed[kind], text, len);
        r->mixed[kind][len] = 0;
    } else if (upper) {
        r->hex_upper |= bit;
    }
    return 0;
}

int wx_kind_from_name(const char *name, size_t len)
{
    static const struct { const char *n; int k; } names[] = {
        {"md5", WX_MD5},       {"sha1", WX_SHA1}, {"sha-1", WX_SHA1},
        {"sha256", WX_SHA256}, {"sha-256", WX_SHA256}, {"pdq", WX_PDQ}};
    wx_trim(&name, &len);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].n) == len && strncasecmp(name, names[i].n, len) == 0)
            return names[i].k;
    return -1;
}

int wx_parse_bool(const char *s, size_t n)
{
    wx_trim(&s, &n);
    if (n == 0)
        return -1;
    static const char *const yes[] = {"true", "yes", "y", "1", "t"};
    static const char *const no[] = {"false", "no", "n", "0", "f"};
    for (size_t i = 0; i < 5; i++) {
        if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0)
            return 1;
        if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0)
            return 0;
    }
    return -2;
}

int wx_parse_int(const char *s, size_t n, int64_t *v)
{
    wx_trim(&s, &n);
    if (n == 0 || n > 19)
        return -1;
    int neg = 0;
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        if (++i == n)
            return -1;
    }
    int64_t x = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = neg ? -x : x;
    return 0;
}

size_t wx_tags_normalise(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    out[0] = 0;
    while (in && *in) {
        const char *end = strchr(in, ';');
        size_t n = end ? (size_t)(end - in) : strlen(in);
        const char *t = in;
        wx_trim(&t, &n);
        if (n && o + (o ? 1 : 0) + n < cap) {
            if (o)
                out[o++] = ';';
            memcpy(out + o, t, n);
            o += n;
            out[o] = 0;
        }
        in = end ? end + 1 : NULL;
    }
    return o;
}

/* ---- reporting -------------------------------------------------------- */

ward_status wx_bad_line(const wx_sink *sink, uint64_t line, const char *fmt, ...)
{
    char where[32], msg[256];
    snprintf(where, sizeof where, "%llu", (unsigned long long)line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sink->bad(sink->ctx, where, msg);
}

ward_status wx_emit_line(const wx_sink *sink, wx_record *r, uint64_t line)
{
    char where[32];
    snprintf(where, sizeof where, "%llu", (unsigned long long)line);
    r->where = where; /* borrowed for the call only, as every string is */
    return sink->record(sink->ctx, r);
}

const char *wx_excerpt(const char *s, size_t n, char out[48])
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

size_t wx_bom_len(const uint8_t *p, size_t n)
{
    return n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
}

/* ---- dates ------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

int wx_date_utc(const char *text, char out[40])
{
    if (!text)
        return -1;
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    int y, mo, d, h = 0, mi = 0, s = 0;
    char frac[10] = "";
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    int off = 0; /* seconds east of UTC */
    if (*p == 'T' || *p == 't' || (*p == ' ' && p[1] >= '0' && p[1] <= '9')) {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                size_t n = 0;
                while (*p >= '0' && *p <= '9') {
                    if (n < 9)
                        frac[n++] = *p;
                    p++;
                }
                if (n == 0)
                    return -1;
                frac[n] = 0;
                while (n && frac[n - 1] == '0')
                    frac[--n] = 0;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (*p >= '0' && *p <= '9' && digits(&p, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return -1;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 59)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
                mi * 60 + s - off;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400;
    int64_t yy;
    unsigned mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    if (yy < 0 || yy > 9999)
        return -1;
    snprintf(out, 40, "%04d-%02u-%02uT%02d:%02d:%02d%s%sZ", (int)yy, mm, dd,
             (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60),
             frac[0] ? "." : "", frac);
    return 0;
}

/* ---- strings ---------------------------------------------------------- */

static int str_reserve(wx_str *s, size_t n)
{
    if (n + 1 <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n + 1)
        cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p)
        return -1;
    s->p = p;
    s->cap = cap;
    return 0;
}

int wx_str_set(wx_str *s, const char *p, size_t n)
{
    if (str_reserve(s, n))
        return -1;
    if (n)
        memcpy(s->p, p, n);
    s->p[n] = 0;
    s->len = n;
    s->set = 1;
    return 0;
}

int wx_str_append(wx_str *s, const char *p, size_t n)
{
    if (str_reserve(s, s->len + n))
        return -1;
    if (n)
        memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = 0;
    s->set = 1;
    return 0;
}

void wx_str_free(wx_str *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}
