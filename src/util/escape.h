/*
 * Lossless escaping of file names for text output.
 *
 * Evidence file names can hold anything but '/' and NUL: newlines, control
 * bytes, invalid UTF-8. Printing them raw breaks line-based formats and
 * terminals; dropping or replacing bytes loses the identifier. So names are
 * written with C-style escapes that can be reversed exactly:
 *   backslash -> \\      newline -> \n     CR -> \r     tab -> \t
 *   other control bytes, DEL and every byte of invalid UTF-8 -> \xNN
 * Valid UTF-8 (including non-ASCII) passes through unchanged.
 */
#ifndef WARD_UTIL_ESCAPE_H
#define WARD_UTIL_ESCAPE_H
#include <stddef.h>
#include <stdio.h>

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed; /* an append ran out of memory (and was dropped) since the
                   owner last cleared this: what s holds has a hole */
} strbuf;

void strbuf_free(strbuf *b);
/* Append; returns 0 on allocation failure. */
int strbuf_add(strbuf *b, const char *s, size_t n);
/* Append printf-style text (any length); returns 0 when out of memory. */
int strbuf_addf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether n bytes are valid UTF-8 (control characters allowed). */
int esc_utf8_valid(const char *in, size_t n);
/* Replace b's content with the escaped form of the n bytes at in. */
int esc_name(strbuf *b, const char *in, size_t n);
/* Append `s` as a JSON string literal (with quotes). `s` must be valid UTF-8
 * (e.g. the output of esc_name). */
int esc_json_string(strbuf *b, const char *s, size_t n);
/* Append `s` as one CSV field (RFC 4180), quoted when it contains , " CR
 * or LF. Every CSV ward writes goes through here. Against formula
 * injection (OWASP "CSV Injection"), a field that starts with = + - @ tab
 * or CR -- after any run of single quotes -- gets a single quote in front
 * and is quoted: "'=HYPERLINK(...)", "'-5". Digests never start so; a
 * negative number or a name like "-rf" does, and is guarded the same way
 * (docs/reports.md). The guard is reversible: see esc_csv_unguard. */
int esc_csv_field(strbuf *b, const char *s, size_t n);
/* Write NUL-terminated `s` to f as a JSON string literal (esc_json_string)
 * or as one CSV field (esc_csv_field). Return 0 when out of memory, with
 * nothing written; the caller checks ferror(f) for write errors. */
int esc_json_fput(FILE *f, const char *s);
int esc_csv_fput(FILE *f, const char *s);
/* How many bytes of a field read back from CSV are esc_csv_field's guard
 * (0 or 1): skip them to get the value that was written. */
size_t esc_csv_unguard(const char *s, size_t n);
/* The inverse of esc_name. */
int esc_unescape_name(strbuf *b, const char *in, size_t n);
/* Whether n bytes are valid UTF-8 with no control characters. */
int esc_name_is_plain(const char *in, size_t n);

/* Characters that are invisible or reorder text (bidirectional controls
 * U+202A-202E and U+2066-2069, zero-width U+200B-200F, U+2060-2064, U+FEFF,
 * the soft hyphen U+00AD, tag characters, C0/C1 controls but tab, CR, LF)
 * are never put in a page raw: they are shown as a styled marker,
 * <span class="cp" title="invisible character">&lt;U+202E&gt;</span>, or
 * inside an attribute value (in_attr), where no markup may go, as the text
 * &lt;U+202E&gt;. */
#define WARD_MARK_MAX 80
/* If the UTF-8 at s (n bytes) begins with such a character, its length,
 * with its marker in mark; else 0. */
size_t esc_invisible_mark(const char *s, size_t n, int in_attr, char mark[WARD_MARK_MAX]);
/* Append n bytes as HTML text: & < > " ' as entities, invisible
 * characters as markers. Returns 0 when out of memory. */
int esc_html_text(strbuf *b, const char *s, size_t n, int in_attr);
#endif
