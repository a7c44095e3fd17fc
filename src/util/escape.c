#include "util/escape.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_free(strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* Room for n more bytes plus the terminating NUL. */
static int ward_strbuf_reserve(strbuf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return 0;
        }
        b->s = p;
        b->cap = cap;
    }
    return 1;
}

int strbuf_add(strbuf *b, const char *s, size_t n)
{
    if (!ward_strbuf_reserve(b, n))
        return 0;
    if (n) /* s may be NULL then (an empty buffer's) */
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
    return 1;
}

int strbuf_addf(strbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    if ((size_t)n < sizeof tmp)
        return strbuf_add(b, tmp, (size_t)n);
    /* Longer than the stack buffer: format again into the grown buffer. */
    if (!ward_strbuf_reserve(b, (size_t)n))
        return 0;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 1;
}

/* Length of the valid UTF-8 sequence starting at p (1..4), or 0 if invalid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
    else return 0;
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

int esc_utf8_valid(const char *in, size_t n)
{
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

int esc_name_is_plain(const char *in, size_t n)
{
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\') return 0;
        size_t k = utf8_seq(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

int esc_name(strbuf *b, const char *in, size_t n)
{
    const unsigned char *p = (const unsigned char *)in;
    b->len = 0;
    if (!strbuf_add(b, "", 0))
        return 0;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        char esc[5];
        const char *out = esc;
        size_t k = 1;
        if (c == '\\') out = "\\\\";
        else if (c == '\n') out = "\\n";
        else if (c == '\r') out = "\\r";
        else if (c == '\t') out = "\\t";
        else if (c < 0x20 || c == 0x7f) snprintf(esc, sizeof esc, "\\x%02x", c);
        else if ((k = utf8_seq(p + i, n - i)) == 0) { k = 1; snprintf(esc, sizeof esc, "\\x%02x", c); }
        else { if (!strbuf_add(b, in + i, k)) return 0; i += k; continue; }
        if (!strbuf_add(b, out, strlen(out)))
            return 0;
        i += k;
    }
    return 1;
}

int esc_json_string(strbuf *b, const char *s, size_t n)
{
    if (!strbuf_add(b, "\"", 1))
        return 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        char esc[8];
        if (c == '"') strcpy(esc, "\\\"");
        else if (c == '\\') strcpy(esc, "\\\\");
        else if (c == '\n') strcpy(esc, "\\n");
        else if (c == '\t') strcpy(esc, "\\t");
        else if (c == '\r') strcpy(esc, "\\r");
        else snprintf(esc, sizeof esc, "\\u%04x", c);
        if (!strbuf_add(b, s + start, i - start) || !strbuf_add(b, esc, strlen(esc)))
            return 0;
        start = i + 1;
    }
    return strbuf_add(b, s + start, n - start) && strbuf_add(b, "\"", 1);
}

static int fput_escaped(FILE *f, int (*esc)(strbuf *, const char *, size_t),
                        const char *s)
{
    strbuf b = {0};
    int ok = esc(&b, s, strlen(s));
    if (ok)
        fwrite(b.s, 1, b.len, f);
    strbuf_free(&b);
    return ok;
}

int esc_json_fput(FILE *f, const char *s) { return fput_escaped(f, esc_json_string, s); }

/* Whether a spreadsheet would read the cell as a formula: it starts,
 * after any single quotes, with = + - @ tab or CR (OWASP's CSV injection
 * list). The quotes count so that the guard below can be undone exactly. */
static int csv_formula(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == '\'')
        i++;
    return i < n && s[i] && strchr("=+-@\t\r", s[i]) != NULL;
}

int esc_csv_field(strbuf *b, const char *s, size_t n)
{
    int guard = csv_formula(s, n);
    if (!guard && !memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) &&
        !memchr(s, '\r', n))
        return strbuf_add(b, s, n);
    if (!strbuf_add(b, guard ? "\"'" : "\"", guard ? 2 : 1))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strbuf_add(b, s + i, 1) || (s[i] == '"' && !strbuf_add(b, "\"", 1)))
            return 0;
    return strbuf_add(b, "\"", 1);
}

int esc_csv_fput(FILE *f, const char *s) { return fput_escaped(f, esc_csv_field, s); }

size_t esc_csv_unguard(const char *s, size_t n)
{
    return n > 1 && s[0] == '\'' && csv_formula(s + 1, n - 1) ? 1 : 0;
}

int esc_unescape_name(strbuf *b, const char *in, size_t n)
{
    b->len = 0;
    if (!strbuf_add(b, "", 0))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '\\' && i + 1 < n) {
            char e = in[++i];
            if (e == 'n') c = '\n';
            else if (e == 'r') c = '\r';
            else if (e == 't') c = '\t';
            else if (e == 'x' && i + 2 < n) {
                char hex[3] = {in[i + 1], in[i + 2], 0};
                c = (char)strtol(hex, NULL, 16);
                i += 2;
            } else c = e;
        }
        if (!strbuf_add(b, &c, 1))
            return 0;
    }
    return 1;
}

/* Code points a reader cannot see but that change what is read: direction
 * controls (an override makes "gpj.exe" read as "exe.jpg"), zero-width and
 * joiner characters, the soft hyphen, the byte-order mark, invisible tag
 * characters, and C0/C1 control characters other than tab and newline. */
static int invisible_cp(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7f && cp <= 0x9f) ||
           cp == 0xad || cp == 0x34f || cp == 0x61c || cp == 0x180e ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
           (cp >= 0xe0000 && cp <= 0xe007f);
}

size_t esc_invisible_mark(const char *s, size_t n, int in_attr, char mark[WARD_MARK_MAX])
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = n ? utf8_seq(p, n) : 0;
    if (!k)
        return 0;
    uint32_t cp = k == 1 ? p[0] : (uint32_t)(p[0] & (0xff >> (k + 1)));
    for (size_t i = 1; i < k; i++)
        cp = cp << 6 | (p[i] & 0x3f);
    if (!invisible_cp(cp))
        return 0;
    /* Inside an attribute value only text may go: the marker without its span. */
    snprintf(mark, WARD_MARK_MAX, in_attr ? "&lt;U+%04X&gt;"
             : "<span class=\"cp\" title=\"invisible character\">&lt;U+%04X&gt;</span>",
             (unsigned)cp);
    return k;
}

int esc_html_text(strbuf *b, const char *s, size_t n, int in_attr)
{
    size_t start = 0;
    for (size_t i = 0; i < n;) {
        char mark[WARD_MARK_MAX];
        const char *ent = NULL;
        size_t k = 1;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default:
            if ((k = esc_invisible_mark(s + i, n - i, in_attr, mark)) != 0)
                ent = mark;
            else
                k = 1;
        }
        if (!ent) {
            i += k;
            continue;
        }
        if (!strbuf_add(b, s + start, i - start) || !strbuf_add(b, ent, strlen(ent)))
            return 0;
        i += k;
        start = i;
    }
    return strbuf_add(b, s + start, n - start);
}
