/*
 * Writing XML: elements with their text escaped, and the few conversions
 * the API's types force (times in ISO 8601 with an offset).
 *
 * XML 1.0 cannot hold most control characters at all, and a platform's
 * context is whatever the platform sent. Rather than drop or replace a
 * byte of an identifier, such a text is written with ward's reversible
 * escapes (\xNN, as file names are) and a notice names the field.
 */
#include "tipline/tipline_int.h"
#include "serve/serve_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tl_notice(tl_xml *x, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    x->notices++;
    if (x->o && x->o->notice)
        x->o->notice(x->o->ctx, line);
}

static void add(tl_xml *x, const char *s, size_t n)
{
    if (!strbuf_add(&x->b, s, n))
        x->oom = 1;
}

static void adds(tl_xml *x, const char *s)
{
    add(x, s, strlen(s));
}

/* Characters XML 1.0 can carry: valid UTF-8 without C0 controls other
 * than tab, LF and CR (esc_name_is_plain refuses those three too). */
static int xml_plain(const char *s, size_t n)
{
    if (!esc_utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return 0;
    }
    return 1;
}

static void text(tl_xml *x, const char *s, size_t n, int attr)
{
    for (size_t i = 0; i < n; i++) {
        const char *e = NULL;
        switch (s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = attr ? "&quot;" : NULL; break;
        case '\r': e = "&#13;"; break; /* a parser would fold a raw CR into LF */
        }
        if (e)
            adds(x, e);
        else
            add(x, s + i, 1);
    }
}

static void escaped_n(tl_xml *x, const char *s, size_t n, const char *what, int attr)
{
    if (xml_plain(s, n) && !memchr(s, 0, n)) {
        text(x, s, n, attr);
        return;
    }
    strbuf e = {0};
    if (!esc_name(&e, s, n)) {
        x->oom = 1;
        return;
    }
    text(x, e.s, e.len, attr);
    tl_notice(x, "%s holds characters XML cannot carry: written with \\xNN escapes (%.*s)",
              what ? what : "a field", (int)(e.len > 80 ? 80 : e.len), e.s);
    strbuf_free(&e);
}

static void escaped(tl_xml *x, const char *s, const char *what, int attr)
{
    escaped_n(x, s, strlen(s), what, attr);
}

void tl_open(tl_xml *x, const char *name)
{
    add(x, "<", 1);
    adds(x, name);
    add(x, ">", 1);
}

void tl_close(tl_xml *x, const char *name)
{
    add(x, "</", 2);
    adds(x, name);
    add(x, ">", 1);
}

void tl_elem(tl_xml *x, const char *name, const char *value, const char *what)
{
    if (!value)
        return;
    tl_open(x, name);
    escaped(x, value, what ? what : name, 0);
    tl_close(x, name);
}

void tl_elem_s(tl_xml *x, const char *name, tl_str v, const char *what)
{
    if (!v.s)
        return;
    tl_open(x, name);
    escaped_n(x, v.s, v.n, what ? what : name, 0);
    tl_close(x, name);
}

void tl_elem_attr(tl_xml *x, const char *name, const char *attr, const char *value,
                  const char *body)
{
    add(x, "<", 1);
    adds(x, name);
    add(x, " ", 1);
    adds(x, attr);
    add(x, "=\"", 2);
    escaped(x, value, attr, 1);
    add(x, "\">", 2);
    escaped(x, body, name, 0);
    tl_close(x, name);
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int tl_iso_time(const char *in, char out[40])
{
    /* YYYY-MM-DD, then T or one space, then HH:MM:SS */
    if (!in || strlen(in) < 20 || !digits(in, 4) || in[4] != '-' || !digits(in + 5, 2) ||
        in[7] != '-' || !digits(in + 8, 2) || (in[10] != 'T' && in[10] != ' ') ||
        !digits(in + 11, 2) || in[13] != ':' || !digits(in + 14, 2) || in[16] != ':' ||
        !digits(in + 17, 2))
        return 0;
    const char *p = in + 19;
    char frac[16] = "";
    if (*p == '.') { /* a fraction is kept as written */
        size_t n = 1;
        while (isdigit((unsigned char)p[n]) && n < sizeof frac - 1)
            n++;
        if (n == 1 || isdigit((unsigned char)p[n]))
            return 0;
        memcpy(frac, p, n);
        frac[n] = 0;
        p += n;
    }
    if (*p == ' ')
        p++;
    char zone[8];
    if (!strcmp(p, "Z") || !strcmp(p, "UTC") || !strcmp(p, "+00:00") || !strcmp(p, "+0000")) {
        snprintf(zone, sizeof zone, "%s", p[0] == '+' ? "+00:00" : "Z");
    } else if ((p[0] == '+' || p[0] == '-') && digits(p + 1, 2) &&
               ((p[3] == ':' && digits(p + 4, 2) && !p[6]) || (digits(p + 3, 2) && !p[5]))) {
        snprintf(zone, sizeof zone, "%c%.2s:%.2s", p[0], p + 1, p + (p[3] == ':' ? 4 : 3));
    } else {
        return 0;
    }
    snprintf(out, 40, "%.10sT%.8s%s%s", in, in + 11, frac, zone);
    return 1;
}

/* Append the UTF-8 of code point c. */
static void put_utf8(strbuf *b, unsigned c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c, n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | (c >> 6 & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | (c >> 12 & 0x3F));
        u[2] = (char)(0x80 | (c >> 6 & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), n = 4;
    }
    strbuf_add(b, u, n);
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v << 4 | (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return v;
}

/* A JSON string literal (as yajl wrote it: well formed) decoded to bytes. */
static void decode_string(strbuf *b, const char *j, size_t n)
{
    for (size_t i = 1; i + 1 < n; i++) {
        if (j[i] != '\\') {
            strbuf_add(b, j + i, 1);
            continue;
        }
        char c = j[++i];
        const char *simple = c ? strchr("\"\"\\\\//b\bf\fn\nr\rt\t", c) : NULL;
        if (c != 'u' && simple) {
            strbuf_add(b, simple + 1, 1);
        } else if (c == 'u' && i + 4 < n) {
            unsigned cp = hex4(j + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n && j[i + 1] == '\\' && j[i + 2] == 'u') {
                unsigned lo = hex4(j + i + 3);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            put_utf8(b, cp);
        }
    }
}

tl_str tl_at(tl_xml *x, const char *fmt, ...)
{
    char ptr[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ptr, sizeof ptr, fmt, ap);
    va_end(ap);
    tl_str v = {NULL, 0};
    char *j = x->json ? jw_text_at(x->json, strlen(x->json), ptr) : NULL;
    size_t n = j ? strlen(j) : 0;
    char **grown = j ? realloc(x->pool, (x->npool + 1) * sizeof *x->pool) : NULL;
    if (!j || !n || !grown || j[0] == '{' || j[0] == '[' || !strcmp(j, "null") ||
        !strcmp(j, "true") || !strcmp(j, "false")) {
        if (grown)
            x->pool = grown;
        free(j);
        return v;
    }
    x->pool = grown;
    if (j[0] != '"') { /* a number: its text */
        x->pool[x->npool++] = j;
        v.s = j, v.n = n;
        return v;
    }
    strbuf b = {0};
    decode_string(&b, j, n);
    free(j);
    if (!b.s && !(b.s = strdup(""))) {
        x->oom = 1;
        return v;
    }
    x->pool[x->npool++] = b.s;
    v.s = b.s, v.n = b.len;
    return v;
}

void tl_xml_free(tl_xml *x)
{
    for (size_t i = 0; i < x->npool; i++)
        free(x->pool[i]);
    free(x->pool);
    x->pool = NULL;
    x->npool = 0;
}
