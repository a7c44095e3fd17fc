/*
 * CSV hash lists (RFC 4180): a header row names the columns; quoted fields
 * may hold the delimiter, "" for a quote, and line breaks. The delimiter is
 * taken from the header: ',' unless the header has more ';' or tabs (Interpol
 * ICSE-style lists use ';'). Column names are matched ignoring case, blanks,
 * '_', '-' and '.'; unknown columns are ignored.
 */
#include "exchange/exchange.h"
#include "util/escape.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum col {
    C_IGNORE = 0, C_MD5, C_SHA1, C_SHA256, C_PDQ, C_QUALITY, C_CATEGORY, C_SERIES,
    C_VICTIM, C_TAGS, C_FIRST_SEEN, C_UPDATED, C_NAME, C_SIZE, C_MEDIA_ID
};

static const struct {
    const char *name;
    enum col col;
} COLS[] = {
    {"md5", C_MD5},           {"sha1", C_SHA1},
    {"sha256", C_SHA256},     {"pdq", C_PDQ},
    {"pdqhash", C_PDQ},       {"quality", C_QUALITY},
    {"pdqquality", C_QUALITY}, {"category", C_CATEGORY},
    {"series", C_SERIES},     {"seriesname", C_SERIES},
    {"seriesid", C_SERIES},   {"victimidentified", C_VICTIM},
    {"tags", C_TAGS},         {"tag", C_TAGS},
    {"firstseen", C_FIRST_SEEN}, {"datefirstseen", C_FIRST_SEEN},
    {"dateadded", C_FIRST_SEEN}, {"updated", C_UPDATED},
    {"dateupdated", C_UPDATED}, {"lastupdated", C_UPDATED},
    {"name", C_NAME},         {"filename", C_NAME},
    {"path", C_NAME},         {"filepath", C_NAME},
    {"size", C_SIZE},         {"filesize", C_SIZE},
    {"mediasize", C_SIZE},    {"mediaid", C_MEDIA_ID},
    {"imageid", C_MEDIA_ID},
};

static enum col column_of(const char *name, size_t n)
{
    char norm[64];
    size_t o = 0;
    for (size_t i = 0; i < n && o < sizeof norm - 1; i++) {
        char c = name[i];
        if (isspace((unsigned char)c) || c == '_' || c == '-' || c == '.')
            continue;
        norm[o++] = (char)tolower((unsigned char)c);
    }
    norm[o] = 0;
    for (size_t i = 0; i < sizeof COLS / sizeof COLS[0]; i++)
        if (strcmp(norm, COLS[i].name) == 0)
            return COLS[i].col;
    return C_IGNORE;
}

#define MAX_FIELDS 256
#define MAX_RECORD (1u << 20)

typedef struct csv_rec {
    wx_str buf;              /* field texts, each NUL-terminated */
    size_t off[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    unsigned char quoted[MAX_FIELDS]; /* the field was written in quotes */
    int cur_quoted;          /* the field being read opened with a quote */
    int n;                   /* fields */
    int too_many, too_long, unterminated;
    uint64_t line;           /* line the record starts on */
} csv_rec;

/* The next byte without taking it: -1 at the end of the file, -2 on a read
 * error (the error is in in->err). */
static inline int peekch(wx_in *in)
{
    if (in->pos == in->len) {
        if (wx_in_fill(in, 1) != WARD_OK)
            return -2;
        if (in->pos == in->len)
            return -1;
    }
    return in->buf[in->pos];
}

static inline int getch(wx_in *in)
{
    int c = peekch(in);
    if (c >= 0)
        in->pos++;
    return c;
}

static int put(csv_rec *r, char c)
{
    if (r->buf.len >= MAX_RECORD) {
        r->too_long = 1;
        return 0;
    }
    return wx_str_append(&r->buf, &c, 1);
}

static int end_field(csv_rec *r, size_t start)
{
    if (r->n == MAX_FIELDS) {
        r->too_many = 1;
        r->buf.len = start;
        return 0;
    }
    r->off[r->n] = start;
    r->len[r->n] = r->buf.len - start;
    r->quoted[r->n] = (unsigned char)r->cur_quoted;
    r->cur_quoted = 0;
    r->n++;
    return wx_str_append(&r->buf, "", 1); /* NUL after the field */
}

/* Read one record. Returns 1, 0 at end of file, -1 on error (ENOMEM/EIO). */
static int read_record(wx_in *in, int delim, csv_rec *r)
{
    r->buf.len = 0;
    r->n = 0;
    r->too_many = r->too_long = r->unterminated = r->cur_quoted = 0;
    r->line = in->lineno + 1;
    int c = getch(in);
    if (c == -1)
        return 0;
    if (c == -2)
        return -1;
    size_t start = 0;
    int quoted = 0, at_start = 1;
    for (;; c = getch(in)) {
        if (c == -2)
            return -1;
        if (quoted) {
            if (c == -1) {
                r->unterminated = 1;
                in->lineno++;
                return end_field(r, start) ? -1 : 1;
            }
            if (c == '"') {
                if (peekch(in) == '"') {
                    getch(in);
                    if (put(r, '"'))
                        return -1;
                } else {
                    quoted = 0;
                }
                continue;
            }
            if (c == '\n')
                in->lineno++;
            if (put(r, (char)c))
                return -1;
            continue;
        }
        if (c == -1 || c == '\n' || c == '\r') {
            if (c == '\r' && peekch(in) == '\n')
                getch(in);
            in->lineno++;
            return end_field(r, start) ? -1 : 1;
        }
        if (c == delim) {
            if (end_field(r, start))
                return -1;
            start = r->buf.len;
            at_start = 1;
            continue;
        }
        if (c == '"' && at_start) {
            quoted = r->cur_quoted = 1;
            at_start = 0;
            continue;
        }
        at_start = 0;
        if (put(r, (char)c))
            return -1;
    }
}

static int record_blank(const csv_rec *r)
{
    if (r->n != 1)
        return 0;
    const char *f = r->buf.p + r->off[0];
    for (size_t i = 0; i < r->len[0]; i++)
        if (!isspace((unsigned char)f[i]))
            return 0;
    return 1;
}

/* Pick the delimiter from the header line (peeked, not consumed). */
static int guess_delim(wx_in *in)
{
    if (wx_in_fill(in, 65536) != WARD_OK)
        return ',';
    const uint8_t *p = in->buf + in->pos;
    size_t n = in->len - in->pos;
    /* Skip comment lines to the header. */
    size_t i = 0;
    for (;;) {
        while (i < n && (p[i] == '\n' || p[i] == '\r' || p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i < n && p[i] == '#') {
            while (i < n && p[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    int commas = 0, semis = 0, tabs = 0, q = 0;
    for (; i < n && (q || p[i] != '\n'); i++) {
        if (p[i] == '"')
            q = !q;
        else if (!q && p[i] == ',')
            commas++;
        else if (!q && p[i] == ';')
            semis++;
        else if (!q && p[i] == '\t')
            tabs++;
    }
    if (semis > commas && semis >= tabs)
        return ';';
    if (tabs > commas && tabs > semis)
        return '\t';
    return ',';
}

/* The header row: each field's column. Fails if no digest column. */
static ward_status csv_header(const wx_in *in, const csv_rec *r, enum col *cols,
                              ward_error *err)
{
    int digests = 0;
    for (int i = 0; i < r->n; i++) {
        cols[i] = column_of(r->buf.p + r->off[i], r->len[i]);
        digests |= cols[i] >= C_MD5 && cols[i] <= C_PDQ;
    }
    if (!digests)
        return err_fail(err, WARD_EFORMAT,
                         "%s:%llu: CSV header names no md5, sha1, sha256 or pdq column",
                         in->path, (unsigned long long)r->line);
    return WARD_OK;
}

/* Integer field 0..max (max < 0: no upper bound); empty leaves *out. */
static int int_field(const char *f, size_t n, int64_t max, int64_t *out)
{
    int64_t v;
    if (n == 0)
        return 0;
    if (wx_parse_int(f, n, &v) || v < 0 || (max >= 0 && v > max))
        return -1;
    *out = v;
    return 0;
}

/* One field into the record; -1 if its value is bad (msg says why). */
static int csv_field(wx_record *rec, enum col col, const char *f, size_t n,
                     char *msg, size_t cap)
{
    char ex[48];
    int64_t v;
    int k = col - C_MD5;
    switch (col) {
    case C_MD5:
    case C_SHA1:
    case C_SHA256:
    case C_PDQ:
        if (wx_record_set_hex(rec, k, f, n) >= 0)
            return 0;
        snprintf(msg, cap, "invalid %s '%s'", wx_kind_label[k], wx_excerpt(f, n, ex));
        return -1;
    case C_QUALITY:
        v = rec->quality;
        if (int_field(f, n, 100, &v) == 0) {
            rec->quality = (int)v;
            return 0;
        }
        snprintf(msg, cap, "invalid quality '%s' (0..100)", wx_excerpt(f, n, ex));
        return -1;
    case C_SIZE:
        if (int_field(f, n, -1, &rec->size) == 0)
            return 0;
        snprintf(msg, cap, "invalid size '%s'", wx_excerpt(f, n, ex));
        return -1;
    case C_VICTIM:
        if ((v = wx_parse_bool(f, n)) != -2) {
            rec->victim_identified = (int)v;
            return 0;
        }
        snprintf(msg, cap, "invalid victim_identified '%s' (true/false)", wx_excerpt(f, n, ex));
        return -1;
    case C_CATEGORY: rec->category = n ? f : NULL; return 0;
    case C_SERIES: rec->series = n ? f : NULL; return 0;
    case C_TAGS: rec->tags = n ? f : NULL; return 0;
    case C_FIRST_SEEN: rec->first_seen = n ? f : NULL; return 0;
    case C_UPDATED: rec->updated = n ? f : NULL; return 0;
    case C_NAME: rec->name = n ? f : NULL; return 0;
    case C_MEDIA_ID: rec->media_id = n ? f : NULL; return 0;
    case C_IGNORE: return 0;
    }
    return 0;
}

/* One data row: a record, or a bad row (the sink's answer is returned). */
static ward_status csv_row(const csv_rec *r, const enum col *cols, int ncols,
                           const wx_sink *sink)
{
    if (r->unterminated)
        return wx_bad_line(sink, r->line, "quoted field not closed before end of file");
    if (r->too_long || r->too_many)
        return wx_bad_line(sink, r->line, "record too long");
    for (int i = ncols; i < r->n; i++)
        if (r->len[i] != 0)
            return wx_bad_line(sink, r->line, "%d fields, the header has %d", r->n, ncols);
    wx_record rec;
    wx_record_clear(&rec);
    char msg[128];
    for (int i = 0; i < r->n && i < ncols; i++) {
        /* A formula guard ward's writer added ("'-5", always in quotes) is
         * not part of the value; an unquoted "'-5" from another tool is. */
        size_t g = r->quoted[i] ? esc_csv_unguard(r->buf.p + r->off[i], r->len[i]) : 0;
        if (csv_field(&rec, cols[i], r->buf.p + r->off[i] + g, r->len[i] - g, msg, sizeof msg))
            return wx_bad_line(sink, r->line, "%s", msg);
    }
    if (!rec.dg.present && !rec.has_pdq)
        return wx_bad_line(sink, r->line, "no MD5, SHA1, SHA256 or PDQ");
    return wx_emit_line(sink, &rec, r->line);
}

ward_status wx_read_csv(wx_in *in, const wx_sink *sink, ward_error *err)
{
    int delim = guess_delim(in);
    in->pos += wx_bom_len(in->buf + in->pos, in->len - in->pos);
    csv_rec *r = calloc(1, sizeof *r);
    if (!r)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    enum col cols[MAX_FIELDS];
    int ncols = 0;
    ward_status rc = WARD_OK;
    int got = 0;
    while (rc == WARD_OK && (got = read_record(in, delim, r)) == 1) {
        if (record_blank(r))
            continue;
        if (ncols)
            rc = csv_row(r, cols, ncols, sink);
        else if (r->buf.p[r->off[0]] != '#') /* comments only before the header */
            ncols = (rc = csv_header(in, r, cols, err)) ? 0 : r->n;
    }
    if (got < 0 && rc == WARD_OK)
        rc = err && err->status ? err->status
                                : err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK && !ncols)
        rc = err_fail(err, WARD_EFORMAT, "%s: empty CSV file (no header)", in->path);
    wx_str_free(&r->buf);
    free(r);
    return rc;
}
