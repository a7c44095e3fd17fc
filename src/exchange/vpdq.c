/*
 * vPDQ text form: what ThreatExchange's vpdq-hash-video writes and its
 * matchers read (vpdq/cpp io/vpdqio.cpp), one frame per line:
 *
 *     frame_number,quality,pdq_hex,timestamp      e.g. 0,100,e271...055c,0.000
 *
 * with the timestamp in seconds, 3 decimals. python-threatexchange's compact
 * features ("pdq_hex,quality,timestamp") are read as well, numbered by their
 * position. The reference reader takes whatever atoi/atof make of a field;
 * this one checks each (quality 0..100, 64 hex digits, a finite timestamp
 * >= 0) so that a damaged list is reported by line rather than matched
 * against silently.
 */
#include <ward/vpdq.h>
#include "exchange/exchange.h"
#include "util/error.h"
#include "util/path.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 5
#define MAX_FILE_BYTES (1u << 30) /* far beyond 6 hours of frames */

/* A field trimmed of surrounding blanks, as a NUL-terminated copy. */
typedef struct field {
    char s[80];
    int too_long;
} field;

static int split(const char *line, size_t len, field *f, int max)
{
    int n = 0;
    size_t i = 0;
    while (n < max) {
        size_t start = i;
        while (i < len && line[i] != ',')
            i++;
        size_t a = start, b = i;
        while (a < b && isspace((unsigned char)line[a]))
            a++;
        while (b > a && isspace((unsigned char)line[b - 1]))
            b--;
        f[n].too_long = b - a >= sizeof f[n].s;
        size_t k = f[n].too_long ? sizeof f[n].s - 1 : b - a;
        memcpy(f[n].s, line + a, k);
        f[n].s[k] = 0;
        n++;
        if (i >= len)
            return n;
        i++; /* past the comma */
    }
    return n + 1; /* more fields than max */
}

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
    if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && isdigit((unsigned char)s[1])))
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static int parse_time(const char *s, double *out)
{
    /* Plain decimals only: strtod would also take "inf", "nan" and hex. */
    if (!isdigit((unsigned char)s[0]) && s[0] != '.')
        return 0;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.' && *p != 'e' && *p != 'E' &&
            *p != '+' && *p != '-')
            return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0)
        return 0;
    *out = v;
    return 1;
}

static ward_status bad(ward_error *err, size_t lineno, const char *what, const char *val)
{
    return err_fail(err, WARD_EFORMAT, "line %zu: %s '%.70s'", lineno, what, val);
}

static ward_status parse_line(const char *line, size_t len, size_t lineno,
                              size_t position, ward_vpdq_frame *out, ward_error *err)
{
    field f[MAX_FIELDS];
    int n = split(line, len, f, MAX_FIELDS);
    if (n != 4 && n != 3)
        return err_fail(err, WARD_EFORMAT,
                         "line %zu: expected frame,quality,pdq_hash,timestamp (%d field%s)",
                         lineno, n > MAX_FIELDS ? MAX_FIELDS : n, n == 1 ? "" : "s");
    /* 4 fields: frame,quality,hash,time; 3: hash,quality,time. */
    const field *fr = n == 4 ? &f[0] : NULL, *q = &f[1],
                *h = &f[n == 4 ? 2 : 0], *t = &f[n == 4 ? 3 : 2];
    long long frame = (long long)position, quality;
    if (fr && (fr->too_long || !parse_int(fr->s, 0, INT64_MAX, &frame)))
        return bad(err, lineno, "bad frame number", fr->s);
    if (q->too_long || !parse_int(q->s, 0, 100, &quality))
        return bad(err, lineno, "bad quality (0..100)", q->s);
    if (h->too_long || strlen(h->s) != 64 || ward_pdq_from_hex(h->s, &out->hash))
        return bad(err, lineno, "bad PDQ hash (64 hex digits)", h->s);
    if (t->too_long || !parse_time(t->s, &out->timestamp))
        return bad(err, lineno, "bad timestamp (seconds >= 0)", t->s);
    out->frame_number = frame;
    out->quality = (int)quality;
    return WARD_OK;
}

static int skippable(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)line[i]))
        i++;
    return i == len || line[i] == '#';
}

ward_status ward_vpdq_parse(const char *text, size_t len, ward_vpdq *out,
                            ward_error *err)
{
    err_clear(err);
    size_t pos = 0, lineno = 0, first = out->count;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3; /* UTF-8 byte-order mark */
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        if (n && line[n - 1] == '\r')
            n--;
        if (memchr(line, '\0', n))
            return err_fail(err, WARD_EFORMAT, "line %zu: NUL byte (not a text file?)",
                             lineno);
        if (skippable(line, n))
            continue;
        ward_vpdq_frame f;
        ward_status s = parse_line(line, n, lineno, out->count - first, &f, err);
        if (!s)
            s = ward_vpdq_append(out, &f, err);
        if (s)
            return s;
    }
    return WARD_OK;
}

ward_status ward_vpdq_read_file(const char *path, ward_vpdq *out, ward_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_fail_errno(err, errno, "cannot open %s", path);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ward_status s = buf ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
    while (!s) {
        if (len == cap) {
            char *p = cap < MAX_FILE_BYTES ? realloc(buf, 2 * cap) : NULL;
            if (!p) {
                s = cap < MAX_FILE_BYTES ? err_fail(err, WARD_ENOMEM, "out of memory")
                                         : err_fail(err, WARD_ELIMIT,
                                                     "%s is over 1 GiB", path);
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t k = fread(buf + len, 1, cap - len, fp);
        len += k;
        if (k == 0) {
            if (ferror(fp))
                s = err_fail_errno(err, errno ? errno : EIO, "cannot read %s", path);
            break;
        }
    }
    fclose(fp);
    if (!s)
        s = ward_vpdq_parse(buf, len, out, err);
    free(buf);
    return s;
}

/* One line, as vpdq-hash-video prints it (%.3f: std::fixed, precision 3). */
static int format_line(const ward_vpdq_frame *f, char *dst, size_t cap)
{
    char hex[65];
    ward_pdq_to_hex(&f->hash, hex);
    return snprintf(dst, cap, "%" PRId64 ",%d,%s,%.3f\n", f->frame_number, f->quality,
                    hex, f->timestamp);
}

ward_status ward_vpdq_format(const ward_vpdq *v, char **text, size_t *len,
                             ward_error *err)
{
    *text = NULL;
    *len = 0;
    size_t cap = 128 * (v->count + 1), n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return err_fail(err, WARD_ENOMEM, "out of memory formatting %zu frames", v->count);
    for (size_t i = 0; i < v->count; i++) {
        int k = format_line(&v->frames[i], buf + n, cap - n);
        if (k < 0 || (size_t)k >= cap - n) { /* a timestamp of absurd size */
            free(buf);
            return err_fail(err, WARD_EINVAL, "frame %zu cannot be formatted", i);
        }
        n += (size_t)k;
    }
    buf[n] = 0;
    *text = buf;
    *len = n;
    return WARD_OK;
}

ward_status ward_vpdq_write(FILE *f, const ward_vpdq *v, ward_error *err)
{
    char line[512];
    for (size_t i = 0; i < v->count; i++) {
        int k = format_line(&v->frames[i], line, sizeof line);
        if (k < 0 || (size_t)k >= sizeof line)
            return err_fail(err, WARD_EINVAL, "frame %zu cannot be formatted", i);
        if (fwrite(line, 1, (size_t)k, f) != (size_t)k)
            return err_fail_errno(err, errno ? errno : EIO, "cannot write vPDQ text");
    }
    if (fflush(f) != 0)
        return err_fail_errno(err, errno ? errno : EIO, "cannot write vPDQ text");
    return WARD_OK;
}

/* ---- as a hash-list format for 'ward db import' ------------------------ */

/* "# name" before a video's frames (ward hash -f vpdq, ward db export)
 * names the video that follows: its base name without extension. */
static void comment_video(const char *line, size_t len, char video[256])
{
    size_t i = 0;
    while (i < len && (line[i] == '#' || isspace((unsigned char)line[i])))
        i++;
    const char *start = line + i, *end = line + len;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    char stem[256];
    if (*path_stem(start, (size_t)(end - start), stem, sizeof stem))
        memcpy(video, stem, sizeof stem); /* a comment with no name keeps the old one */
}

ward_status wx_read_vpdq(wx_in *in, const wx_sink *sink, const char *file_video,
                         ward_error *err)
{
    char *line, name[512], video[256];
    snprintf(video, sizeof video, "%s", file_video);
    size_t len, position = 0;
    int got;
    while ((got = wx_in_getline(in, &line, &len)) != 0) {
        ward_status st = WARD_OK;
        ward_vpdq_frame fr;
        ward_error le;
        if (got < 0)
            return err->status ? err->status : WARD_EIO;
        if (got == 2)
            st = wx_bad_line(sink, in->lineno, "line over %u bytes", WX_MAX_LINE);
        else if (skippable(line, len)) {
            if (memchr(line, '#', len))
                comment_video(line, len, video);
            continue;
        }
        else if (parse_line(line, len, in->lineno, position, &fr, &le) != WARD_OK)
            st = wx_bad_line(sink, in->lineno, "%s", le.message);
        else {
            position++;
            wx_record r;
            wx_record_clear(&r);
            r.has_pdq = 1;
            r.pdq = fr.hash;
            r.quality = fr.quality;
            snprintf(name, sizeof name, "%s frame %" PRId64 " at %.3f s", video,
                     fr.frame_number, fr.timestamp);
            r.name = name;
            r.media_id = video;
            r.tags = "video-frame";
            st = wx_emit_line(sink, &r, in->lineno);
        }
        if (st != WARD_OK)
            return st;
    }
    return WARD_OK;
}
