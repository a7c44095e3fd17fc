/*
 * Project VIC VICS JSON (1.x "odata.metadata", 2.0 "@odata.context"), read
 * with yajl's callback parser: only the Media record being read is held in
 * memory, whatever the size of the file.
 *
 * Accepted shapes (keys are matched without regard to case, unknown keys are
 * skipped):
 *   {"@odata.context": ".../$metadata#Media", "value": [ Media, ... ]}
 *   {"odata.metadata": "...#Cases", "value": [ {"CaseID": ..., "Media": [ Media ]} ]}
 *   [ Media, ... ]                       (a bare array)
 * A Media object gives MD5, SHA1, SHA256, PDQ (also in AlternativeHashes
 * [{HashName, HashValue}]), Category, Series, VictimIdentified, MediaID,
 * Name / FileName (else the first MediaFiles[].FileName), MediaSize,
 * DateUpdated, FirstSeen, Tags (string or array). Bad records are reported
 * with the JSON pointer of the offending value, e.g. /value/1234/MD5.
 */
#include "exchange/exchange.h"
#include "util/error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>

#define MAXD 64
#define MAX_FIELD (64u * 1024)

enum role {
    R_IGNORE = 0, R_ROOT_OBJ, R_ROOT_ARR, R_VALUE_ARR, R_REC, R_MEDIA_ARR,
    R_ALT_ARR, R_ALT, R_FILES_ARR, R_FILE, R_TAGS_ARR
};

enum vtype { T_NULL, T_BOOL, T_NUM, T_STR };

typedef struct frame {
    unsigned char role, is_array;
    signed char slot;          /* record this frame belongs to, -1 none */
    long long index;           /* arrays: index of the current element */
    char key[96];              /* objects: the current key (truncated) */
    size_t keylen;             /* its full length */
} frame;

typedef struct vrec {
    wx_record r;
    wx_str category, series, first_seen, updated, tags, name, media_id, file_name;
    wx_str alt_name, alt_value;
    int alt_quality;
    char alt_ptr[320];
    char ptr[256];             /* pointer of the record itself */
    char cat_ptr[320];
    int is_case, bad;
    int ward_mid;              /* WardMediaID seen: it is the media_id */
    int case_export;           /* a Case that says it is a scan's (WardExport) */
    char verdict[24];          /* WardClass: the scan's verdict on a Media */
    char bad_where[320], bad_msg[200];
} vrec;

typedef struct vctx {
    const wx_sink *sink;
    ward_error *err;
    const char *path;
    frame f[MAXD];
    int depth;                 /* open containers (may exceed MAXD) */
    vrec rec[2];
    char version[16];
    int saw_value;             /* a "value" array or a bare array */
    const char *case_verdicts; /* of a case export, the verdicts taken */
    uint64_t *excluded;        /* Media of a case export not taken */
    uint64_t records;
    ward_status stop;          /* set when a callback cancels the parse */
} vctx;

static frame *top(vctx *c) { return c->depth > 0 && c->depth <= MAXD ? &c->f[c->depth - 1] : NULL; }

static int key_is(const frame *f, const char *name)
{
    size_t n = strlen(name);
    return f->keylen == n && strncasecmp(f->key, name, n) == 0;
}

/* JSON pointer (RFC 6901) of the value being read. */
static void pointer(vctx *c, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    int d = c->depth < MAXD ? c->depth : MAXD;
    for (int i = 0; i < d && o + 24 < cap; i++) {
        const frame *f = &c->f[i];
        if (f->is_array) {
            o += (size_t)snprintf(out + o, cap - o, "/%lld", f->index);
        } else {
            out[o++] = '/';
            for (size_t k = 0; k < strlen(f->key) && o + 3 < cap; k++) {
                if (f->key[k] == '~') {
                    out[o++] = '~';
                    out[o++] = '0';
                } else if (f->key[k] == '/') {
                    out[o++] = '~';
                    out[o++] = '1';
                } else {
                    out[o++] = f->key[k];
                }
            }
            out[o] = 0;
        }
    }
    if (o == 0 && cap > 1) {
        out[0] = 0; /* the whole document: "" */
    }
}

/* Every string of a record, for resetting and for freeing them all. */
#define VREC_STRS 10
static void rec_strs(vrec *v, wx_str *s[VREC_STRS])
{
    wx_str *all[VREC_STRS] = {&v->category, &v->series,   &v->first_seen, &v->updated,
                              &v->tags,     &v->name,     &v->media_id,   &v->file_name,
                              &v->alt_name, &v->alt_value};
    memcpy(s, all, sizeof all);
}

static void rec_reset(vrec *v)
{
    wx_str *s[VREC_STRS];
    rec_strs(v, s);
    wx_record_clear(&v->r);
    for (size_t i = 0; i < VREC_STRS; i++)
        wx_str_reset(s[i]);
    v->is_case = v->bad = v->ward_mid = v->case_export = 0;
    v->cat_ptr[0] = v->ptr[0] = v->verdict[0] = 0;
}

/* Mark the record bad at `where` (a JSON pointer); the first reason is the
 * one reported. */
static void vbad_at(vrec *v, const char *where, const char *fmt, va_list ap)
{
    if (v->bad)
        return;
    v->bad = 1;
    snprintf(v->bad_where, sizeof v->bad_where, "%s", where);
    vsnprintf(v->bad_msg, sizeof v->bad_msg, fmt, ap);
}

/* ... at the value being read. */
static void rec_bad(vctx *c, vrec *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void rec_bad(vctx *c, vrec *v, const char *fmt, ...)
{
    char where[320];
    pointer(c, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vbad_at(v, where, fmt, ap);
    va_end(ap);
}

static int nomem(vctx *c)
{
    c->stop = err_fail(c->err, WARD_ENOMEM, "out of memory");
    return 0;
}

/* Something other than a Media object where one belongs: a bad record of
 * its own. Returns what a yajl callback returns (0: stop the parse). */
static int not_media(vctx *c, const char *found)
{
    char where[320], msg[96];
    pointer(c, where, sizeof where);
    snprintf(msg, sizeof msg, "expected a Media object, found %s", found);
    c->records++;
    ward_status rc = c->sink->bad(c->sink->ctx, where, msg);
    if (rc) {
        c->stop = rc;
        return 0;
    }
    return 1;
}

/* A text-ish value (string or number) into a field. Dates, names and series
 * are kept exactly as written; identifiers (trim) lose surrounding blanks. */
static int set_text_as(vctx *c, vrec *v, wx_str *dst, const frame *f, enum vtype t,
                       const char *s, size_t n, int trim_it)
{
    if (t == T_NULL)
        return 1;
    if (t == T_BOOL) {
        rec_bad(c, v, "%.60s: expected a string or number", f->key);
        return 1;
    }
    if (n > MAX_FIELD) {
        rec_bad(c, v, "%.60s: value longer than %u bytes", f->key, MAX_FIELD);
        return 1;
    }
    if (trim_it)
        wx_trim(&s, &n);
    if (n == 0)
        return 1;
    return wx_str_set(dst, s, n) == 0 ? 1 : nomem(c);
}

#define set_text(c, v, dst, f, t, s, n) set_text_as(c, v, dst, f, t, s, n, 0)
#define set_id(c, v, dst, f, t, s, n) set_text_as(c, v, dst, f, t, s, n, 1)

static int digest_key(const frame *f)
{
    if (f->keylen > 8)
        return -1;
    return wx_kind_from_name(f->key, f->keylen);
}

/* A scalar member of a Media object. */
static int rec_field(vctx *c, vrec *v, const frame *f, enum vtype t, const char *s,
                     size_t n, int b)
{
    char ex[48];
    int k = digest_key(f);
    if (k >= 0) {
        if (t == T_NULL)
            return 1;
        if (t != T_STR) {
            rec_bad(c, v, "%s must be a hex string", wx_kind_label[k]);
            return 1;
        }
        if (wx_record_set_hex(&v->r, k, s, n) < 0)
            rec_bad(c, v, "invalid %s '%s' (expected %zu hex digits)", wx_kind_label[k],
                    wx_excerpt(s, n, ex), 2 * wx_kind_bytes[k]);
        return 1;
    }
    if (key_is(f, "Category")) {
        if (t != T_NULL)
            pointer(c, v->cat_ptr, sizeof v->cat_ptr);
        return set_id(c, v, &v->category, f, t, s, n);
    }
    if (key_is(f, "Series"))
        return set_text(c, v, &v->series, f, t, s, n);
    /* ward's VICS export writes MediaID as an integer, as consumers expect,
     * and the source's own id (any text, or null) as WardMediaID. */
    if (key_is(f, "WardMediaID")) {
        v->ward_mid = 1;
        wx_str_reset(&v->media_id);
        return set_id(c, v, &v->media_id, f, t, s, n);
    }
    if (key_is(f, "MediaID"))
        return v->ward_mid ? 1 : set_id(c, v, &v->media_id, f, t, s, n);
    if (key_is(f, "WardExport")) {
        v->case_export = t == T_STR && n == 4 && memcmp(s, "case", 4) == 0;
        return 1;
    }
    if (key_is(f, "WardClass") && t == T_STR) {
        snprintf(v->verdict, sizeof v->verdict, "%.*s", (int)(n < 23 ? n : 23), s);
        return 1;
    }
    if (key_is(f, "Name") || key_is(f, "FileName"))
        return set_text(c, v, &v->name, f, t, s, n);
    if (key_is(f, "DateUpdated"))
        return set_text(c, v, &v->updated, f, t, s, n);
    if (key_is(f, "FirstSeen") || key_is(f, "DateFirstSeen") || key_is(f, "DateAdded"))
        return set_text(c, v, &v->first_seen, f, t, s, n);
    if (key_is(f, "Tags"))
        return set_text(c, v, &v->tags, f, t, s, n);
    if (key_is(f, "VictimIdentified")) {
        if (t == T_BOOL)
            v->r.victim_identified = b;
        else if (t != T_NULL) {
            int x = wx_parse_bool(s, n);
            if (x == -2)
                rec_bad(c, v, "VictimIdentified must be true or false, not '%s'",
                        wx_excerpt(s, n, ex));
            else
                v->r.victim_identified = x;
        }
        return 1;
    }
    if (key_is(f, "MediaSize") || key_is(f, "PDQQuality")) {
        int64_t x;
        if (t == T_NULL)
            return 1;
        int q = key_is(f, "PDQQuality");
        if (t == T_BOOL || wx_parse_int(s, n, &x) || x < 0 || (q && x > 100)) {
            rec_bad(c, v, "%s must be %s", q ? "PDQQuality" : "MediaSize",
                    q ? "an integer 0..100" : "a non-negative integer");
            return 1;
        }
        if (q)
            v->r.quality = (int)x;
        else
            v->r.size = x;
        return 1;
    }
    return 1;
}

static int scalar(vctx *c, enum vtype t, const char *s, size_t n, int b)
{
    frame *f = top(c);
    if (c->depth == 0) {
        c->stop = err_fail(c->err, WARD_EFORMAT,
                            "%s: not VICS JSON (the top level is not an object or array)",
                            c->path);
        return 0;
    }
    if (!f)
        return 1; /* deeper than we track: ignored */
    if (f->is_array)
        f->index++;
    switch (f->role) {
    case R_ROOT_OBJ:
        if (t == T_STR && (key_is(f, "@odata.context") || key_is(f, "odata.context") ||
                           key_is(f, "odata.metadata"))) {
            int v2 = key_is(f, "@odata.context");
            if (memmem(s, n, "DataModels/1.", 13))
                v2 = 0;
            else if (memmem(s, n, "DataModels/2.", 13))
                v2 = 1;
            snprintf(c->version, sizeof c->version, "%s", v2 ? "vics2" : "vics1");
        }
        return 1;
    case R_ROOT_ARR:
    case R_VALUE_ARR:
    case R_MEDIA_ARR:
        return not_media(c, t == T_STR   ? "a string"
                            : t == T_NUM  ? "a number"
                            : t == T_BOOL ? "a boolean"
                                          : "a null");
    case R_REC:
        return rec_field(c, &c->rec[f->slot], f, t, s, n, b);
    case R_ALT: {
        vrec *v = &c->rec[f->slot];
        if (key_is(f, "HashName"))
            return set_id(c, v, &v->alt_name, f, t, s, n);
        if (key_is(f, "HashValue")) {
            pointer(c, v->alt_ptr, sizeof v->alt_ptr);
            return set_text(c, v, &v->alt_value, f, t, s, n);
        }
        if (key_is(f, "Quality") && t != T_NULL) {
            int64_t x;
            if (t == T_BOOL || wx_parse_int(s, n, &x) || x < 0 || x > 100)
                rec_bad(c, v, "Quality must be an integer 0..100");
            else
                v->alt_quality = (int)x;
        }
        return 1;
    }
    case R_FILE: {
        vrec *v = &c->rec[f->slot];
        if ((key_is(f, "FileName") || key_is(f, "Name")) && !v->file_name.set)
            return set_text(c, v, &v->file_name, f, t, s, n);
        return 1;
    }
    case R_TAGS_ARR: {
        vrec *v = &c->rec[f->slot];
        if (t == T_STR || t == T_NUM) {
            wx_trim(&s, &n);
            if (v->tags.len + n > MAX_FIELD) {
                rec_bad(c, v, "Tags longer than %u bytes", MAX_FIELD);
                return 1;
            }
            if ((v->tags.len && wx_str_append(&v->tags, ";", 1)) ||
                wx_str_append(&v->tags, s, n))
                return nomem(c);
        }
        return 1;
    }
    default:
        return 1;
    }
}

static int open_container(vctx *c, int is_array)
{
    frame *p = top(c);
    if (p && p->is_array)
        p->index++;
    frame nf = {.role = R_IGNORE, .is_array = (unsigned char)is_array, .slot = -1,
                .index = -1};
    if (c->depth == 0) {
        nf.role = is_array ? R_ROOT_ARR : R_ROOT_OBJ;
        if (is_array)
            c->saw_value = 1;
    } else if (p) {
        nf.slot = p->slot;
        switch (p->role) {
        case R_ROOT_OBJ:
            if (is_array && key_is(p, "value")) {
                nf.role = R_VALUE_ARR;
                c->saw_value = 1;
            }
            break;
        case R_ROOT_ARR:
        case R_VALUE_ARR:
        case R_MEDIA_ARR: {
            int slot = p->role == R_MEDIA_ARR ? 1 : 0;
            if (is_array) {
                if (!not_media(c, "an array"))
                    return 0;
                break;
            }
            nf.role = R_REC;
            nf.slot = (signed char)slot;
            rec_reset(&c->rec[slot]);
            pointer(c, c->rec[slot].ptr, sizeof c->rec[slot].ptr);
            break;
        }
        case R_REC: {
            vrec *v = &c->rec[p->slot];
            if (is_array && p->slot == 0 && key_is(p, "Media")) {
                nf.role = R_MEDIA_ARR;
                v->is_case = 1;
                if (v->case_export && !c->case_verdicts) {
                    c->stop = err_fail(
                        c->err, WARD_EINVAL,
                        "%s is a scan's case export (ward scan vics.json): as a list it "
                        "would make every file of the case known, system files included; "
                        "name the verdicts to take with --case-verdicts (e.g. "
                        "new-image,graded)", c->path);
                    return 0;
                }
            } else if (is_array && key_is(p, "AlternativeHashes")) {
                nf.role = R_ALT_ARR;
            } else if (is_array && key_is(p, "MediaFiles")) {
                nf.role = R_FILES_ARR;
            } else if (is_array && key_is(p, "Tags")) {
                nf.role = R_TAGS_ARR;
                wx_str_set(&v->tags, "", 0);
                v->tags.len = 0;
            } else if (digest_key(p) >= 0 || key_is(p, "Category") ||
                       key_is(p, "VictimIdentified") || key_is(p, "MediaSize")) {
                rec_bad(c, v, "%.60s: expected a single value, found %s", p->key,
                        is_array ? "an array" : "an object");
            }
            break;
        }
        case R_ALT_ARR:
            if (!is_array) {
                nf.role = R_ALT;
                vrec *v = &c->rec[p->slot];
                wx_str_reset(&v->alt_name);
                wx_str_reset(&v->alt_value);
                v->alt_quality = -1;
                v->alt_ptr[0] = 0;
            }
            break;
        case R_FILES_ARR:
            if (!is_array)
                nf.role = R_FILE;
            break;
        default:
            break;
        }
    }
    if (c->depth < MAXD)
        c->f[c->depth] = nf;
    c->depth++;
    return 1;
}

/* ... at an AlternativeHashes element's HashValue, read before. */
static void alt_bad(vrec *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void alt_bad(vrec *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vbad_at(v, v->alt_ptr, fmt, ap);
    va_end(ap);
}

/* An AlternativeHashes element is complete: its digest joins the record's,
 * and must agree with the same kind given as a plain member. */
static void alt_done(vrec *v)
{
    if (!v->alt_name.set || !v->alt_value.set)
        return;
    int k = wx_kind_from_name(v->alt_name.p, v->alt_name.len);
    if (k < 0)
        return; /* PhotoDNA and others: not kept */
    wx_record tmp;
    wx_record_clear(&tmp);
    char ex[48];
    if (wx_record_set_hex(&tmp, k, v->alt_value.p, v->alt_value.len) < 0) {
        alt_bad(v, "invalid %s '%s'", wx_kind_label[k],
                wx_excerpt(v->alt_value.p, v->alt_value.len, ex));
        return;
    }
    const uint8_t *have = wx_record_digest(&v->r, k);
    if (!have)
        wx_record_set_hex(&v->r, k, v->alt_value.p, v->alt_value.len);
    else if (memcmp(wx_record_digest(&tmp, k), have, wx_kind_bytes[k]) != 0)
        alt_bad(v, "%s in AlternativeHashes differs from the record's %s", wx_kind_label[k],
                wx_kind_label[k]);
    if (k == WX_PDQ && v->alt_quality >= 0)
        v->r.quality = v->alt_quality;
}

/* Whether tok is one of the comma-separated words of list. */
static int in_list(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && n && strncmp(p, tok, n) == 0)
            return 1;
        p += k + (e != NULL);
    }
    return 0;
}

/* A Media of a case export is taken when its verdict is one the examiner
 * named, and, with "graded", only when it carries a Category. */
static int case_takes(const vctx *c, const vrec *v)
{
    if (!in_list(c->case_verdicts, v->verdict))
        return 0;
    return !in_list(c->case_verdicts, "graded") || wx_str_get(&v->category) != NULL;
}

static ward_status rec_done(vctx *c, vrec *v)
{
    if (v->is_case)
        return WARD_OK;
    c->records++;
    if (v == &c->rec[1] && c->rec[0].case_export && !case_takes(c, v)) {
        if (c->excluded)
            (*c->excluded)++;
        return WARD_OK;
    }
    const wx_sink *sink = c->sink;
    if (v->bad)
        return sink->bad(sink->ctx, v->bad_where, v->bad_msg);
    if (!v->r.dg.present && !v->r.has_pdq)
        return sink->bad(sink->ctx, v->ptr[0] ? v->ptr : "/",
                         "no MD5, SHA1, SHA256 or PDQ");
    wx_record *r = &v->r;
    r->category = wx_str_get(&v->category);
    r->series = wx_str_get(&v->series);
    r->first_seen = wx_str_get(&v->first_seen);
    r->updated = wx_str_get(&v->updated);
    r->tags = v->tags.set && v->tags.len ? v->tags.p : NULL;
    r->name = wx_str_get(&v->name) ? wx_str_get(&v->name) : wx_str_get(&v->file_name);
    r->media_id = wx_str_get(&v->media_id);
    r->where = v->ptr[0] ? v->ptr : "/";
    r->where_category = v->cat_ptr[0] ? v->cat_ptr : NULL;
    return sink->record(sink->ctx, r);
}

static int close_container(vctx *c)
{
    frame *f = top(c);
    int role = f ? f->role : R_IGNORE, slot = f ? f->slot : -1;
    c->depth--;
    if (role == R_REC) {
        ward_status rc = rec_done(c, &c->rec[slot]);
        if (rc) {
            c->stop = rc;
            return 0;
        }
    } else if (role == R_ALT) {
        alt_done(&c->rec[slot]);
    }
    return 1;
}

static int cb_null(void *ctx) { return scalar(ctx, T_NULL, NULL, 0, 0); }
static int cb_bool(void *ctx, int b) { return scalar(ctx, T_BOOL, NULL, 0, b); }
static int cb_number(void *ctx, const char *s, size_t n) { return scalar(ctx, T_NUM, s, n, 0); }
static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    return scalar(ctx, T_STR, (const char *)s, n, 0);
}
static int cb_start_map(void *ctx) { return open_container(ctx, 0); }
static int cb_start_array(void *ctx) { return open_container(ctx, 1); }
static int cb_end(void *ctx) { return close_container(ctx); }
static int cb_key(void *ctx, const unsigned char *k, size_t n)
{
    vctx *c = ctx;
    frame *f = top(c);
    if (f) {
        size_t m = n < sizeof f->key - 1 ? n : sizeof f->key - 1;
        memcpy(f->key, k, m);
        f->key[m] = 0;
        f->keylen = n;
    }
    return 1;
}

static const yajl_callbacks CALLBACKS = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

static uint64_t count_lines(const uint8_t *p, size_t n)
{
    uint64_t lines = 0;
    const uint8_t *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    return lines;
}

/* yajl's complaint about the chunk p (n bytes, from in's buffer, after
 * `lines` lines), located by line and file offset. */
static ward_status syntax_error(yajl_handle h, const wx_in *in, const uint8_t *p, size_t n,
                                uint64_t lines, ward_error *err)
{
    size_t at = yajl_get_bytes_consumed(h);
    unsigned char *msg = yajl_get_error(h, 0, p, n);
    for (size_t k = msg ? strlen((char *)msg) : 0; k && isspace(msg[k - 1]); k--)
        msg[k - 1] = 0;
    ward_status rc =
        err_fail(err, WARD_EFORMAT, "%s:%llu: JSON syntax error at byte %llu: %s", in->path,
                  (unsigned long long)(lines + count_lines(p, at < n ? at : n) + 1),
                  (unsigned long long)(wx_in_offset(in) + (size_t)(p - (in->buf + in->pos)) + at),
                  msg ? (const char *)msg : "?");
    yajl_free_error(h, msg);
    return rc;
}

ward_status wx_read_vics(wx_in *in, const wx_sink *sink, char version[16],
                         const char *case_verdicts, uint64_t *excluded, ward_error *err)
{
    static const char *const verdicts[] = {"known", "near", "ignorable", "new-image",
                                           "new-video", "other", "error", "graded"};
    for (const char *p = case_verdicts; p && *p;) {
        size_t k = strcspn(p, ","), ok = 0;
        for (size_t i = 0; i < sizeof verdicts / sizeof *verdicts; i++)
            ok |= strlen(verdicts[i]) == k && strncmp(p, verdicts[i], k) == 0;
        if (!ok)
            return err_fail(err, WARD_EINVAL,
                             "case verdict '%.*s' (known, near, ignorable, new-image, "
                             "new-video, other, error, graded)", (int)(k > 40 ? 40 : k), p);
        p += k + (p[k] == ',');
    }
    vctx *c = calloc(1, sizeof *c);
    if (!c)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    c->case_verdicts = case_verdicts;
    c->excluded = excluded;
    c->sink = sink;
    c->err = err;
    c->path = in->path;
    snprintf(c->version, sizeof c->version, "vics");
    yajl_handle h = yajl_alloc(&CALLBACKS, NULL, c);
    if (!h) {
        free(c);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    /* Names are kept as bytes; a stray non-UTF-8 byte is not a reason to
     * refuse a hash set. */
    yajl_config(h, yajl_dont_validate_strings, 1);
    ward_status rc = WARD_OK;
    uint64_t lines = 0;
    int first = 1;
    for (;;) {
        if ((rc = wx_in_fill(in, 1)))
            break;
        size_t n = in->len - in->pos;
        if (n == 0)
            break;
        const uint8_t *p = in->buf + in->pos;
        if (first) {
            size_t bom = wx_bom_len(p, n);
            p += bom;
            n -= bom;
            first = 0;
        }
        yajl_status st = yajl_parse(h, p, n);
        if (st != yajl_status_ok) {
            rc = st == yajl_status_client_canceled ? (c->stop ? c->stop : WARD_EINTERNAL)
                                                   : syntax_error(h, in, p, n, lines, err);
            break;
        }
        lines += count_lines(p, n);
        in->pos = in->len;
    }
    if (rc == WARD_OK) {
        yajl_status st = yajl_complete_parse(h);
        if (st == yajl_status_client_canceled) {
            rc = c->stop ? c->stop : WARD_EINTERNAL;
        } else if (st != yajl_status_ok) {
            rc = err_fail(err, WARD_EFORMAT,
                           "%s:%llu: JSON ends early (truncated file?)", in->path,
                           (unsigned long long)lines + 1);
        } else if (!c->saw_value) {
            rc = err_fail(err, WARD_EFORMAT,
                           "%s: not VICS JSON (no \"value\" array of Media)", in->path);
        }
    }
    snprintf(version, 16, "%s", c->version);
    yajl_free(h);
    for (int i = 0; i < 2; i++) {
        wx_str *s[VREC_STRS];
        rec_strs(&c->rec[i], s);
        for (size_t k = 0; k < VREC_STRS; k++)
            wx_str_free(s[k]);
    }
    free(c);
    return rc;
}
