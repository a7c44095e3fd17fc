/*
 * HTML text for the web application: escaping every value that came from
 * data or a request, and reading form fields. Nothing here knows a page.
 */
#include "web/web.h"

#include <ward/digest.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void html_esc(strbuf *b, const char *s)
{
    if (s) /* the one escaping of pages and reports (util/escape.h) */
        esc_html_text(b, s, strlen(s), 0);
}

/* The format's own text goes out as written (it is ours); of conversions
 * only %s (escaped), %r (raw: markup we built), %d, %lld, %g and %.1f exist,
 * so a page cannot forget to escape a value. */
void html_f(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p;) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            strbuf_add(b, p, strlen(p));
            break;
        }
        strbuf_add(b, p, (size_t)(pct - p));
        p = pct + 1;
        if (*p == 's') {
            /* after =" the value is an attribute's: markers without markup */
            const char *v = va_arg(ap, const char *);
            esc_html_text(b, v ? v : "", v ? strlen(v) : 0,
                           pct - fmt >= 2 && pct[-1] == '"' && pct[-2] == '=');
            p++;
        } else if (*p == 'r') {
            const char *raw = va_arg(ap, const char *);
            if (raw)
                strbuf_add(b, raw, strlen(raw));
            p++;
        } else if (*p == 'd') {
            strbuf_addf(b, "%d", va_arg(ap, int));
            p++;
        } else if (strncmp(p, "lld", 3) == 0) {
            strbuf_addf(b, "%lld", va_arg(ap, long long));
            p += 3;
        } else if (*p == 'g') {
            strbuf_addf(b, "%g", va_arg(ap, double));
            p++;
        } else if (strncmp(p, ".1f", 3) == 0) {
            strbuf_addf(b, "%.1f", va_arg(ap, double));
            p += 3;
        } else {
            strbuf_add(b, "%", 1);   /* "%%" and anything unknown */
            if (*p == '%')
                p++;
        }
    }
    va_end(ap);
}

int form_field(const char *body, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    for (const char *p = body; p && *p;) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t n = 0;
            for (const char *q = p + nlen + 1; q < end && n + 1 < cap; q++) {
                uint8_t byte;
                if (*q == '+')
                    out[n++] = ' ';
                else if (*q == '%' && q + 2 < end && ward_unhex(q + 1, 2, &byte, 1) == WARD_OK) {
                    out[n++] = (char)byte;
                    q += 2;
                } else
                    out[n++] = *q;
            }
            out[n] = 0;
            if (memchr(out, 0, n))   /* an encoded NUL: refuse rather than truncate */
                return -1;
            return 0;
        }
        if ((size_t)(end - p) == nlen && strncmp(p, name, nlen) == 0) {
            if (cap)
                out[0] = 0;
            return 0;
        }
        p = *end ? end + 1 : end;
    }
    return -1;
}
