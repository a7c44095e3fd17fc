/*
 * JSON referrals modelled on the CyberTipline report fields:
 *   {"reports": [ {
 *      "report_id": "...",
 *      "reporter": {"name": "...", "type": "ESP", "country": "US"},
 *      "incident": {"type": "...", "time": "...", "zone": "...",
 *                   "typology": ["grooming"], "urgent": ["meeting_planned"]},
 *      "international": false,
 *      "person": {"name", "dob", "emails": [], "screen_names": [], "phones": [],
 *                 "address", "postcode", "occupation", "cards": [],
 *                 "area" (or "force": a force or area, when no postcode says)},
 *      "ip_events": [{"address", "port", "time", "zone", "event"}],
 *      "chat_rooms": ["service:room"],
 *      "files": [{"name", "md5", "sha1", "sha256", "viewed": true}],
 *      "factors": [{"factor", "value", "source", "date", "status"}] } ] }
 * A bare array of reports, or one report, is read too. A report that is not
 * an object is skipped and named by its JSON pointer. The file is streamed
 * (see below): a JSON file of any size is read in bounded memory.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

static const char *text(yajl_val v)
{
    if (!v)
        return NULL;
    if (YAJL_IS_STRING(v))
        return YAJL_GET_STRING(v);
    if (YAJL_IS_NUMBER(v))
        return YAJL_GET_NUMBER(v);   /* the number as written */
    if (YAJL_IS_TRUE(v))
        return "true";
    if (YAJL_IS_FALSE(v))
        return "false";
    return NULL;
}

static yajl_val get(yajl_val obj, const char *key)
{
    if (!obj || !YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

static const char *get_text(yajl_val obj, const char *key) { return text(get(obj, key)); }

/* An array of strings (or one string) into out. */
static size_t strings(yajl_val v, const char **out)
{
    size_t n = 0;
    if (v && YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len && n < WI_MAX_MULTI; i++) {
            yajl_val e = v->u.array.values[i];
            const char *s = YAJL_IS_OBJECT(e) ? get_text(e, "value") : text(e);
            if (s && *s)
                out[n++] = s;
        }
    } else if (text(v) && *text(v))
        out[n++] = text(v);
    return n;
}

static size_t objects(yajl_val v, yajl_val *out)
{
    size_t n = 0;
    if (v && YAJL_IS_ARRAY(v))
        for (size_t i = 0; i < v->u.array.len && n < WI_MAX_MULTI; i++)
            if (YAJL_IS_OBJECT(v->u.array.values[i]))
                out[n++] = v->u.array.values[i];
    return n;
}

static ward_status report(wi_intake *ik, yajl_val rep, const char *where, ward_error *err)
{
    wi_referral r = {0};
    snprintf(r.where, sizeof r.where, "%s", where);
    r.ref = get_text(rep, "report_id") ? get_text(rep, "report_id") : get_text(rep, "id");
    yajl_val reporter = get(rep, "reporter");
    r.reporter = YAJL_IS_OBJECT(reporter) ? get_text(reporter, "name") : text(reporter);
    r.reporter_country = get_text(reporter, "country");
    yajl_val inc = get(rep, "incident");
    r.incident_type = get_text(inc, "type");
    r.incident_time = get_text(inc, "time");
    r.incident_zone = get_text(inc, "zone");
    r.n_typology = strings(get(inc, "typology"), r.typology);
    const char *urgent[WI_MAX_MULTI];
    size_t nu = strings(get(inc, "urgent"), urgent);
    for (size_t i = 0; i < nu && r.n_typology < WI_MAX_MULTI; i++)
        r.typology[r.n_typology++] = urgent[i];
    r.international = get_text(rep, "international");
    yajl_val p = get(rep, "person");
    if (!p)
        p = get(rep, "reported_person");
    r.name = get_text(p, "name"), r.dob = get_text(p, "dob");
    r.address = get_text(p, "address"), r.postcode = get_text(p, "postcode");
    r.occupation = get_text(p, "occupation");
    /* a force or area: the person's, else the report's */
    r.area = get_text(p, "area") ? get_text(p, "area") : get_text(p, "force");
    if (!r.area)
        r.area = get_text(rep, "area") ? get_text(rep, "area") : get_text(rep, "force");
    r.n_emails = strings(get(p, "emails"), r.emails);
    r.n_phones = strings(get(p, "phones"), r.phones);
    r.n_screens = strings(get(p, "screen_names"), r.screens);
    r.n_chats = strings(get(rep, "chat_rooms"), r.chats);
    r.n_cards = strings(get(p, "cards") ? get(p, "cards") : get(p, "card"), r.cards);
    yajl_val o[WI_MAX_MULTI];
    r.n_ips = objects(get(rep, "ip_events"), o);
    for (size_t i = 0; i < r.n_ips; i++)
        r.ips[i] = (wi_ip_event){get_text(o[i], "address"), get_text(o[i], "port"),
                                 get_text(o[i], "time"), get_text(o[i], "zone"),
                                 get_text(o[i], "event")};
    r.n_files = objects(get(rep, "files"), o);
    for (size_t i = 0; i < r.n_files; i++)
        r.files[i] = (wi_file_ref){get_text(o[i], "name"), get_text(o[i], "md5"),
                                   get_text(o[i], "sha1"), get_text(o[i], "sha256"),
                                   get_text(o[i], "viewed")};
    r.n_factors = objects(get(rep, "factors"), o);
    for (size_t i = 0; i < r.n_factors; i++)
        r.factors[i] = (wi_factor_in){get_text(o[i], "factor"), get_text(o[i], "value"),
                                      get_text(o[i], "source"), get_text(o[i], "date"),
                                      get_text(o[i], "status")};
    for (size_t i = 0; i < r.n_factors; i++)
        if (!r.factors[i].factor) {
            wi_intake_bad(ik, where, "/factors/%zu: no \"factor\" name", i);
            return WARD_OK;
        }
    if (!r.name && !r.n_emails && !r.n_phones && !r.n_screens && !r.n_ips && !r.n_cards) {
        wi_intake_bad(ik, where,
                      "no identifying value (name, email, phone, screen name, IP, card)");
        return WARD_OK;
    }
    return wi_intake_referral(ik, &r, err);
}

/* ---- Streaming ---------------------------------------------------------------
 * The file is parsed with yajl's callback parser in chunks, and only one
 * report is held at a time: each element of the report list is built into a
 * yajl_val tree of its own (the shape yajl_tree_parse gives, so report()
 * reads it as before), handed to report() when its closing brace arrives,
 * and freed. Memory follows the largest report, not the file. A syntax error
 * late in the file fails the whole ingest (the caller's transaction is
 * rolled back), so nothing is half-read. Errors name the line and byte. */

#define JSON_CHUNK (64 * 1024)
#define JSON_MAX_DEPTH 256

typedef struct jctx {
    wi_intake *ik;
    ward_error *err;
    const char *path;
    ward_status rc;           /* why a callback stopped the parse */
    int depth;                /* containers open */
    int root;                 /* type of the root value; 0 before it */
    int list_level;           /* level of the report list's elements; 0: none (yet) */
    int list_open;            /* inside the report list now */
    int saw_reports;          /* the root object had a "reports" array */
    size_t index;             /* the current element's index in the list */
    char *key;                /* pending object key for the next value */
    yajl_val stack[JSON_MAX_DEPTH]; /* containers being built, innermost last */
    size_t caps[JSON_MAX_DEPTH];
    int sp;
    unsigned char built[JSON_MAX_DEPTH + 1]; /* container at depth d is on the stack */
    yajl_val root_obj;        /* a root object, built without its report list */
    yajl_val element;         /* the report being built */
} jctx;

static void node_free(yajl_val v)
{
    if (!v)
        return;
    if (v->type == yajl_t_string)
        free(v->u.string);
    else if (v->type == yajl_t_number)
        free(v->u.number.r);
    else if (v->type == yajl_t_object) {
        for (size_t i = 0; i < v->u.object.len; i++) {
            free((char *)v->u.object.keys[i]);
            node_free(v->u.object.values[i]);
        }
        free(v->u.object.keys);
        free(v->u.object.values);
    } else if (v->type == yajl_t_array) {
        for (size_t i = 0; i < v->u.array.len; i++)
            node_free(v->u.array.values[i]);
        free(v->u.array.values);
    }
    free(v);
}

static int oom(jctx *c)
{
    c->rc = err_fail(c->err, WARD_ENOMEM, "%s: out of memory reading JSON", c->path);
    return 0;
}

/* Appends v to the innermost container being built (under the pending key
 * for an object). Takes v in every case. */
static int attach(jctx *c, yajl_val v)
{
    yajl_val p = c->stack[c->sp - 1];
    size_t *cap = &c->caps[c->sp - 1];
    size_t len = p->type == yajl_t_object ? p->u.object.len : p->u.array.len;
    if (len == *cap) {
        size_t n = *cap ? 2 * *cap : 4;
        yajl_val *vals = realloc(p->type == yajl_t_object ? p->u.object.values
                                                          : p->u.array.values,
                                 n * sizeof *vals);
        if (!vals)
            return node_free(v), oom(c);
        if (p->type == yajl_t_object) {
            p->u.object.values = vals;
            const char **keys = realloc(p->u.object.keys, n * sizeof *keys);
            if (!keys)
                return node_free(v), oom(c);
            p->u.object.keys = keys;
        } else {
            p->u.array.values = vals;
        }
        *cap = n;
    }
    if (p->type == yajl_t_object) {
        p->u.object.keys[len] = c->key ? c->key : strdup("");
        c->key = NULL;
        if (!p->u.object.keys[len])
            return node_free(v), oom(c);
        p->u.object.values[len] = v;
        p->u.object.len++;
    } else {
        p->u.array.values[len] = v;
        p->u.array.len++;
    }
    return 1;
}

static void where_of(const jctx *c, char *where, size_t n)
{
    snprintf(where, n, "%s: %s/%zu", c->path, c->root == yajl_t_array ? "" : "/reports",
             c->index);
}

/* A value begins at level c->depth (before a container it opens is
 * counted). Decides whether it is a report element, the report list,
 * part of what is being built, or ignored. `v` is the new node (a
 * container's empty node, or a scalar); returns 0 to stop the parse. */
static int value(jctx *c, yajl_val v)
{
    int level = c->depth, container = v->type == yajl_t_object || v->type == yajl_t_array;
    if (level == 0) {
        c->root = v->type;
        if (v->type == yajl_t_array) {
            c->list_level = 1, c->list_open = 1;
            node_free(v);
            c->built[1] = 0;
            return 1;
        }
        if (v->type != yajl_t_object) {
            node_free(v);
            c->rc = err_fail(c->err, WARD_EFORMAT, "%s: /reports: expected an array of reports",
                              c->path);
            return 0;
        }
        c->root_obj = v;
        c->stack[c->sp] = v, c->caps[c->sp++] = 0;
        c->built[1] = 1;
        return 1;
    }
    if (level == 1 && c->root == yajl_t_object && c->key && !strcmp(c->key, "reports") &&
        !c->saw_reports) {
        free(c->key);
        c->key = NULL;
        c->saw_reports = 1;
        if (v->type != yajl_t_array) {
            node_free(v);
            c->rc = err_fail(c->err, WARD_EFORMAT, "%s: /reports: expected an array of reports",
                              c->path);
            return 0;
        }
        node_free(v);
        c->list_level = 2, c->list_open = 1;
        c->built[2] = 0;
        return 1;
    }
    if (c->list_open && level == c->list_level) {
        if (v->type != yajl_t_object) {
            char where[300];
            where_of(c, where, sizeof where);
            wi_intake_bad(c->ik, where, "a report must be an object");
            node_free(v);
            if (container)
                c->built[level + 1] = 0;
            else
                c->index++;
            return 1;
        }
        c->element = v;
        c->stack[c->sp] = v, c->caps[c->sp++] = 0;
        c->built[level + 1] = 1;
        return 1;
    }
    /* Inside something: kept if its container is being built. */
    if (!c->built[level]) {
        node_free(v);
        free(c->key);
        c->key = NULL;
        if (container)
            c->built[level + 1] = 0;
        return 1;
    }
    if (!attach(c, v))
        return 0;
    if (container) {
        if (c->sp == JSON_MAX_DEPTH) {
            c->rc = err_fail(c->err, WARD_EFORMAT, "%s: JSON nested over %d deep", c->path,
                              JSON_MAX_DEPTH);
            return 0;
        }
        c->stack[c->sp] = v, c->caps[c->sp++] = 0;
        c->built[level + 1] = 1;
    }
    return 1;
}

static yajl_val node_new(yajl_type t)
{
    yajl_val v = calloc(1, sizeof *v);
    if (v)
        v->type = t;
    return v;
}

static int open_container(jctx *c, yajl_type t)
{
    if (c->depth >= JSON_MAX_DEPTH) {
        c->rc = err_fail(c->err, WARD_EFORMAT, "%s: JSON nested over %d deep", c->path,
                          JSON_MAX_DEPTH);
        return 0;
    }
    yajl_val v = node_new(t);
    if (!v || !value(c, v))
        return v ? 0 : oom(c);
    c->depth++;
    return 1;
}

static int cb_end(void *ctx)
{
    jctx *c = ctx;
    int was_built = c->built[c->depth];
    c->depth--;
    if (was_built)
        c->sp--;
    if (c->list_open && c->depth == c->list_level - 1) {
        c->list_open = 0; /* the report list closed */
        return 1;
    }
    if (c->list_open && c->depth == c->list_level) {
        /* An element closed: a report to hand over, or a skipped array. */
        if (c->element) {
            char where[300];
            where_of(c, where, sizeof where);
            yajl_val rep = c->element;
            c->element = NULL;
            c->rc = report(c->ik, rep, where, c->err);
            node_free(rep);
            if (c->rc)
                return 0;
        }
        c->index++;
    }
    return 1;
}

static int scalar(jctx *c, yajl_val v)
{
    if (!v)
        return oom(c);
    return value(c, v);
}

static int cb_null(void *ctx) { return scalar(ctx, node_new(yajl_t_null)); }
static int cb_bool(void *ctx, int b) { return scalar(ctx, node_new(b ? yajl_t_true : yajl_t_false)); }

static int cb_number(void *ctx, const char *s, size_t n)
{
    yajl_val v = node_new(yajl_t_number);
    if (v && !(v->u.number.r = strndup(s, n))) {
        free(v);
        v = NULL;
    }
    return scalar(ctx, v);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    yajl_val v = node_new(yajl_t_string);
    if (v && !(v->u.string = strndup((const char *)s, n))) {
        free(v);
        v = NULL;
    }
    return scalar(ctx, v);
}

static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
    jctx *c = ctx;
    free(c->key);
    c->key = strndup((const char *)s, n);
    return c->key ? 1 : oom(c);
}

static int cb_start_map(void *ctx) { return open_container(ctx, yajl_t_object); }
static int cb_start_array(void *ctx) { return open_container(ctx, yajl_t_array); }

static const yajl_callbacks JSON_CALLBACKS = {
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

static size_t count_lines(const unsigned char *p, size_t n)
{
    size_t k = 0;
    for (const unsigned char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        k++;
    return k;
}

/* yajl's complaint about chunk p (n bytes, starting at file offset `off`
 * after `lines` lines), with line and byte. */
static ward_status not_json(yajl_handle h, const char *path, const unsigned char *p, size_t n,
                            uint64_t off, uint64_t lines, ward_error *err)
{
    size_t at = yajl_get_bytes_consumed(h);
    if (at > n)
        at = n;
    unsigned char *msg = yajl_get_error(h, 0, p, n);
    char *m = msg ? (char *)msg : "?";
    char *nl = strchr(m, '\n');
    if (nl)
        *nl = 0;
    ward_status rc = err_fail(err, WARD_EFORMAT, "%s:%llu: not JSON (byte %llu): %s", path,
                               (unsigned long long)(lines + count_lines(p, at) + 1),
                               (unsigned long long)(off + at), m);
    yajl_free_error(h, msg);
    return rc;
}

ward_status wi_read_json(wi_intake *ik, const char *path, ward_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_fail_errno(err, errno, "cannot read %s", path);
    jctx *c = calloc(1, sizeof *c);
    unsigned char *buf = malloc(JSON_CHUNK);
    yajl_handle h = c ? yajl_alloc(&JSON_CALLBACKS, NULL, c) : NULL;
    ward_status rc = WARD_OK;
    if (!c || !buf || !h) {
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
        goto out;
    }
    c->ik = ik, c->err = err, c->path = path;
    uint64_t off = 0, lines = 0;
    size_t n;
    while ((n = fread(buf, 1, JSON_CHUNK, f)) > 0) {
        yajl_status st = yajl_parse(h, buf, n);
        if (st != yajl_status_ok) {
            rc = st == yajl_status_client_canceled
                     ? (c->rc ? c->rc : WARD_EINTERNAL)
                     : not_json(h, path, buf, n, off, lines, err);
            goto out;
        }
        off += n;
        lines += count_lines(buf, n);
    }
    if (ferror(f)) {
        rc = err_fail(err, WARD_EIO, "cannot read %s", path);
        goto out;
    }
    yajl_status st = yajl_complete_parse(h);
    if (st == yajl_status_client_canceled) {
        rc = c->rc ? c->rc : WARD_EINTERNAL;
    } else if (st != yajl_status_ok || !c->root) {
        rc = err_fail(err, WARD_EFORMAT, "%s:%llu: not JSON: %s", path,
                       (unsigned long long)lines + 1,
                       off ? "it ends early (truncated file?)" : "the file is empty");
    } else if (c->root == yajl_t_object && !c->saw_reports) {
        char where[300];
        snprintf(where, sizeof where, "%s: /", path);
        rc = report(ik, c->root_obj, where, err);
    }
out:
    if (h)
        yajl_free(h);
    if (c) {
        node_free(c->element);
        node_free(c->root_obj);
        free(c->key);
    }
    free(c);
    free(buf);
    fclose(f);
    return rc;
}
