/*
 * POST /v1/hash and POST /v1/match.
 *
 * /v1/match takes either the bytes of an upload (any Content-Type but JSON)
 * or a JSON batch {"hashes": [...], "radius": R, "context": {...}}. Hashes
 * on the service's allow-list (false positives a reviewer rejected) are
 * answered with "allowlisted": true and no matches. A request that matched
 * an alert-class entry is recorded as a match event for human review; the
 * reply carries its id. The platform's context (content and account ids, the
 * upload's IP, port and time with zone) is stored exactly as sent. A batch
 * with "record_event": false is a lookup (a partner node, an analyst): it
 * is audited instead of queued for review.
 */
#include "serve/handlers.h"
#include "scan/record.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/digest.h>

/* ---- JSON of hits and hashes ------------------------------------------------- */

/* A hit is a match record (src/scan/record.h: one serializer, shared with
 * the scan's files.jsonl; docs/schema.md). */
static void emit_hit(svc_ctx *ctx, yajl_gen g, const ward_match_hit *h)
{
    match_record m = {
        .entry_id = h->entry_id, .list = h->list, .category = h->category,
        .category_label = h->category_label, .category_class = h->category_class,
        .series = h->series, .media_id = h->media_id, .victim_identified = -1, .by = h->kind,
        .distance = h->distance,
        .transform = strcmp(h->kind, "pdq") == 0 && h->frame < 0 ? h->dihedral : -1,
        .frame = h->frame, .timestamp = h->timestamp, .hash = h->hash};
    yajl_gen_map_open(g);
    match_record_api_fields(&m, g);
    svc_victim_emit(ctx, g, h); /* series_info, quarantined */
    yajl_gen_map_close(g);
}

static void emit_hits(svc_ctx *ctx, yajl_gen g, const ward_match_result *r)
{
    yajl_gen_array_open(g);
    for (size_t i = 0; i < r->count; i++)
        emit_hit(ctx, g, &r->hits[i]);
    yajl_gen_array_close(g);
}

static void emit_index(yajl_gen g, svc_ctx *ctx, uint64_t revision)
{
    ward_match_info info;
    ward_match_get_info(ctx->match, &info);
    jw_key(g, "index");
    yajl_gen_map_open(g);
    jw_kv_int(g, "store_revision", (long long)revision);
    jw_kv_str(g, "sha256", info.store_revision == revision ? info.index_sha256 : NULL);
    yajl_gen_map_close(g);
}

/* A video's sampled frames as vPDQ (frame, seconds, quality, hash), the
 * form `ward hash -f vpdq` writes. */
static void emit_frames(yajl_gen g, const ward_vpdq *v)
{
    char hex[65];
    jw_key(g, "frames");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->count; i++) {
        const ward_vpdq_frame *f = &v->frames[i];
        yajl_gen_map_open(g);
        jw_kv_int(g, "frame", (long long)f->frame_number);
        jw_key(g, "timestamp");
        yajl_gen_double(g, f->timestamp);
        jw_kv_int(g, "quality", f->quality);
        ward_pdq_to_hex(&f->hash, hex);
        jw_kv_str(g, "pdq", hex);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

static void emit_file_hash(yajl_gen g, const ward_file_hash *fh, int with_frames)
{
    char hex[65];
    jw_kv_str(g, "media", ward_media_type_name(fh->media));
    jw_kv_int(g, "size", (long long)fh->size);
    for (int k = 0; k < 3; k++) {
        const char *name = ward_digest_hex(&fh->digests, ward_digest_kinds[k], hex);
        if (name)
            jw_kv_str(g, name, hex);
    }
    if (fh->has_pdq) {
        ward_pdq_to_hex(&fh->pdq.hash[0], hex);
        jw_kv_str(g, "pdq", hex);
        jw_kv_int(g, "quality", fh->pdq.quality);
        jw_kv_int(g, "width", fh->width);
        jw_kv_int(g, "height", fh->height);
    } else if (fh->image_status != WARD_OK && fh->image_error.message[0]) {
        jw_kv_str(g, "image_error", fh->image_error.message);
    }
    if (fh->has_video) {
        jw_key(g, "video");
        yajl_gen_map_open(g);
        jw_kv_int(g, "frames_hashed", (long long)fh->video.count);
        jw_kv_bool(g, "complete", fh->video_status == WARD_OK);
        if (fh->video_status != WARD_OK)
            jw_kv_str(g, "error", fh->video_error.message);
        if (with_frames)
            emit_frames(g, &fh->video);
        yajl_gen_map_close(g);
    }
}

/* ---- events --------------------------------------------------------------------- */

/* Record a match event; *id = 0 if it could not be (the match answer still
 * goes out: failing to record must not let a known image through unseen,
 * so the reply says "event_error"). */
static void record_event(svc_ctx *ctx, const svc_request *req, const char *context,
                         const char *hashes, const char *matches, uint64_t rev, int64_t *id,
                         ward_error *err)
{
    svc_event_in ev = {.key_id = req->key_id, .context_json = context ? context : "{}",
                       .hashes_json = hashes, .matches_json = matches, .store_revision = rev};
    *id = 0;
    if (svc_event_add(ctx->state, &ev, id, err) == WARD_OK)
        atomic_fetch_add(&ctx->metrics.events, 1);
    else
        svc_log_internal(ctx, "match event not recorded", err->message);
}

static void emit_event(yajl_gen g, int alert, int64_t id, const ward_error *err)
{
    jw_key(g, "event_id");
    if (alert && id)
        yajl_gen_integer(g, id);
    else
        yajl_gen_null(g);
    if (alert && !id)   /* the reason (store URL, libpq's words) is logged */
        jw_kv_str(g, "event_error", "the event could not be recorded: the service store is "
                                    "unavailable; the server's log says why");
}

/* ---- uploads ------------------------------------------------------------------- */

static int opts_from_args(svc_ctx *ctx, const svc_request *req, ward_match_opts *o,
                          svc_reply *rep)
{
    *o = ctx->match_opts;
    const char *r = svc_arg(req, "radius");
    if (r) {
        char *end;
        long v = strtol(r, &end, 10);
        if (*end || v < 0 || v > ctx->opts.radius) {
            /* above the server's radius a query degrades to a scan of the
             * index: not something any key holder may ask for */
            svc_error(rep, 400, "bad_request", "radius must be 0..%d, not '%s'", ctx->opts.radius, r);
            return -1;
        }
        o->radius = (int)v;
    }
    return 0;
}

static ward_status hash_upload(svc_ctx *ctx, const svc_request *req, ward_match_opts *o,
                               ward_match_result *res, ward_file_hash *fh, svc_reply *rep)
{
    ward_error err;
    if (req->len == 0) {
        svc_error(rep, 400, "bad_request", "empty body: send the file's bytes");
        return WARD_EINVAL;
    }
    ward_status rc = ward_match_bytes(ctx->match, (const uint8_t *)req->body, req->len, o, res,
                                      fh, &err);
    if (rc != WARD_OK)
        svc_error(rep, rc == WARD_ENOMEM ? 503 : 500, "internal", "%s", err.message);
    return rc;
}

void svc_hash(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    ward_match_opts o;
    ward_match_result res;
    ward_file_hash fh;
    if (opts_from_args(ctx, req, &o, rep) != 0)
        return;
    o.radius = -1; /* hashing only */
    if (hash_upload(ctx, req, &o, &res, &fh, rep) != WARD_OK)
        return;
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g) {
        yajl_gen_map_open(g);
        emit_file_hash(g, &fh, 1); /* /v1/hash: the frame hashes too */
        yajl_gen_map_close(g);
        svc_json_reply(rep, 200, g);
        yajl_gen_free(g);
    }
    ward_match_result_free(&res);
    ward_file_hash_clear(&fh);
}

/* The event context of an upload, from its query arguments. */
static char *upload_context(const svc_request *req)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_map_open(g);
    jw_kv_str(g, "content_id", svc_arg(req, "content_id"));
    jw_key(g, "account");
    yajl_gen_map_open(g);
    jw_kv_str(g, "id", svc_arg(req, "account_id"));
    yajl_gen_map_close(g);
    jw_key(g, "upload");
    yajl_gen_map_open(g);
    jw_kv_str(g, "ip", svc_arg(req, "upload_ip"));
    jw_kv_str(g, "port", svc_arg(req, "upload_port"));
    jw_kv_str(g, "time", svc_arg(req, "upload_time"));
    jw_kv_str(g, "event", "upload");
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    char *s = jw_take(g, NULL);
    yajl_gen_free(g);
    return s;
}

static char *upload_hashes(const ward_file_hash *fh)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    char hex[65];
    yajl_gen_array_open(g);
    for (int k = 0; k < 3; k++) {
        const char *name = ward_digest_hex(&fh->digests, ward_digest_kinds[k], hex);
        if (!name)
            continue;
        yajl_gen_map_open(g);
        jw_kv_str(g, "kind", name);
        jw_kv_str(g, "hash", hex);
        yajl_gen_map_close(g);
    }
    if (fh->has_pdq) {
        ward_pdq_to_hex(&fh->pdq.hash[0], hex);
        yajl_gen_map_open(g);
        jw_kv_str(g, "kind", "pdq");
        jw_kv_str(g, "hash", hex);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    char *s = jw_take(g, NULL);
    yajl_gen_free(g);
    return s;
}

static int upload_allowlisted(svc_ctx *ctx, const ward_file_hash *fh)
{
    char hex[65];
    for (int k = 0; k < 3; k++)
        if (ward_digest_hex(&fh->digests, ward_digest_kinds[k], hex) &&
            svc_allowlisted(ctx->state, hex))
            return 1;
    return 0;
}

static char *hits_json(svc_ctx *ctx, const ward_match_result *r)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    emit_hits(ctx, g, r);
    char *s = jw_take(g, NULL);
    yajl_gen_free(g);
    return s;
}

static void match_upload(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    ward_match_opts o;
    ward_match_result res;
    ward_file_hash fh;
    if (opts_from_args(ctx, req, &o, rep) != 0)
        return;
    if (hash_upload(ctx, req, &o, &res, &fh, rep) != WARD_OK)
        return;
    int allowed = res.count && upload_allowlisted(ctx, &fh);
    if (allowed) {
        ward_match_result_free(&res);
        res.alert = 0;
    }
    atomic_fetch_add(&ctx->metrics.hashes_checked, 1);
    atomic_fetch_add(&ctx->metrics.matches, res.count);
    /* Quarantined (flood control): recorded all the same, alert paused. */
    int paused = svc_victim_screen(ctx, req->key_id, 1, &res);
    int64_t event = 0;
    ward_error err = {0};
    if (res.alert || paused) {
        atomic_fetch_add(&ctx->metrics.alert_matches, 1);
        char *c = upload_context(req), *h = upload_hashes(&fh), *m = hits_json(ctx, &res);
        if (c && h && m)
            record_event(ctx, req, c, h, m, res.store_revision, &event, &err);
        else
            snprintf(err.message, sizeof err.message, "out of memory");
        free(c);
        free(h);
        free(m);
    }
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g) {
        yajl_gen_map_open(g);
        emit_file_hash(g, &fh, 0);
        jw_kv_bool(g, "allowlisted", allowed);
        jw_kv_bool(g, "alert", res.alert);
        if (paused)
            jw_kv_int(g, "quarantined", paused);
        jw_key(g, "matches");
        emit_hits(ctx, g, &res);
        emit_event(g, res.alert || paused, event, &err);
        emit_index(g, ctx, res.store_revision);
        yajl_gen_map_close(g);
        svc_json_reply(rep, 200, g);
        yajl_gen_free(g);
    }
    ward_match_result_free(&res);
    ward_file_hash_clear(&fh);
}

/* ---- batches --------------------------------------------------------------------- */

/* Lower-case hex of a hash value without its "kind:" prefix, for the
 * allow-list (the value as sent is what the reply and the event keep). */
static void allowlist_key(const char *hash, char out[72])
{
    const char *colon = strchr(hash, ':');
    const char *hex = colon ? colon + 1 : hash;
    size_t i = 0;
    for (; hex[i] && i < 71; i++)
        out[i] = (char)tolower((unsigned char)hex[i]);
    out[i] = 0;
}

typedef struct batch_item {
    const char *hash;   /* as sent */
    yajl_val id;        /* the client's own reference, or NULL */
} batch_item;

static int parse_batch(svc_ctx *ctx, yajl_val root, batch_item **items, size_t *n,
                       svc_reply *rep)
{
    yajl_val hashes = jv_get(root, "hashes");
    if (!hashes || !YAJL_IS_ARRAY(hashes)) {
        svc_error(rep, 400, "bad_request", "/hashes: expected an array of hashes");
        return -1;
    }
    *n = hashes->u.array.len;
    if (*n == 0 || *n > (size_t)ctx->opts.max_batch) {
        svc_error(rep, *n ? 413 : 400, *n ? "payload_too_large" : "bad_request",
                  "/hashes: %zu hashes; a batch holds 1 to %d", *n, ctx->opts.max_batch);
        return -1;
    }
    *items = calloc(*n, sizeof **items);
    if (!*items) {
        svc_error(rep, 503, "unavailable", "out of memory");
        return -1;
    }
    for (size_t i = 0; i < *n; i++) {
        yajl_val v = hashes->u.array.values[i];
        const char *h = YAJL_IS_STRING(v) ? v->u.string : jv_str(v, "hash");
        if (!h) {
            svc_error(rep, 400, "bad_request", "/hashes/%zu: expected a string or "
                      "{\"hash\": ..., \"id\": ...}", i);
            free(*items);
            *items = NULL; /* the caller frees it too */
            return -1;
        }
        (*items)[i].hash = h;
        (*items)[i].id = YAJL_IS_OBJECT(v) ? jv_get(v, "id") : NULL;
    }
    return 0;
}

static int batch_radius(svc_ctx *ctx, yajl_val root, ward_match_opts *o, svc_reply *rep)
{
    *o = ctx->match_opts;
    yajl_val r = jv_get(root, "radius");
    if (!r)
        return 0;
    if (!YAJL_IS_INTEGER(r) || YAJL_GET_INTEGER(r) < 0 ||
        YAJL_GET_INTEGER(r) > ctx->opts.radius) {
        svc_error(rep, 400, "bad_request", "/radius: expected an integer 0..%d", ctx->opts.radius);
        return -1;
    }
    o->radius = (int)YAJL_GET_INTEGER(r);
    return 0;
}

typedef struct batch_out {
    yajl_gen reply;      /* the results array being written */
    yajl_gen hashes;     /* event: hashes that matched an alert entry */
    yajl_gen matches;    /* event: their hits */
    int alert;
    int lookup;          /* no events, no flood counts */
    const char *key_id;  /* the caller's key */
    size_t paused;       /* alert hits quarantined: recorded, alert paused */
    size_t matched;
    uint64_t revision;
} batch_out;

/* Match one item; 0, or -1 with rep filled (a malformed hash). */
static int match_item(svc_ctx *ctx, const batch_item *it, size_t i, const ward_match_opts *o,
                      batch_out *b, svc_reply *rep)
{
    char key[72];
    allowlist_key(it->hash, key);
    int allowed = svc_allowlisted(ctx->state, key);
    ward_match_result res = {0};
    ward_error err;
    if (!allowed) {
        ward_status rc = ward_match_text(ctx->match, it->hash, o, &res, &err);
        if (rc == WARD_EFORMAT) {
            svc_error(rep, 422, "unprocessable", "/hashes/%zu: %s", i, err.message);
            return -1;
        }
        if (rc != WARD_OK) {
            svc_log_internal(ctx, "match", err.message);
            svc_error(rep, 500, "internal", "the match failed; the server's log says why");
            return -1;
        }
        if (res.store_error[0])
            svc_log_internal(ctx, "hash-set store unreadable, matched from the index alone",
                             res.store_error);
    }
    b->revision = res.store_revision ? res.store_revision : b->revision;
    int paused = svc_victim_screen(ctx, b->key_id, !b->lookup, &res);
    yajl_gen g = b->reply;
    yajl_gen_map_open(g);
    jw_kv_str(g, "hash", it->hash);
    if (it->id) {
        jw_key(g, "id");
        jw_value(g, it->id);
    }
    if (allowed)
        jw_kv_bool(g, "allowlisted", 1);
    if (paused)
        jw_kv_bool(g, "quarantined", 1);
    jw_key(g, "matches");
    emit_hits(ctx, g, &res);
    if (res.store_error[0])
        jw_kv_str(g, "details_error", "the hash-set store is unavailable: matched from the "
                                      "index alone, list and category unknown");
    yajl_gen_map_close(g);
    if (res.count)
        b->matched++;
    atomic_fetch_add(&ctx->metrics.matches, res.count);
    b->paused += (size_t)paused;
    if (res.alert || paused) {
        b->alert |= res.alert;
        yajl_gen_map_open(b->hashes);
        jw_kv_str(b->hashes, "hash", key);
        jw_kv_str(b->hashes, "as_sent", it->hash);
        yajl_gen_map_close(b->hashes);
        for (size_t k = 0; k < res.count; k++)
            emit_hit(ctx, b->matches, &res.hits[k]);
    }
    ward_match_result_free(&res);
    return 0;
}

/* The context as sent: from the text, not the tree, so a string holding
 * "\u0000" is kept whole (and written back escaped). */
static char *context_json(yajl_val root, const svc_request *req)
{
    yajl_val c = jv_get(root, "context");
    return c && YAJL_IS_OBJECT(c) ? jw_text_at(req->body, req->len, "/context") : NULL;
}

static void finish_batch(svc_ctx *ctx, const svc_request *req, const char *context, int lookup,
                         batch_out *b, svc_reply *rep)
{
    int64_t event = 0;
    ward_error err = {0};
    yajl_gen_array_close(b->reply);
    yajl_gen_array_close(b->hashes);
    yajl_gen_array_close(b->matches);
    if (lookup) {
        /* A lookup by a partner node or an analyst, not an upload: nothing
         * to review, but who asked about known material is audited, and
         * an answer that could not be audited is not given. */
        char detail[64];
        snprintf(detail, sizeof detail, "%zu of the hashes matched", b->matched);
        if (svc_audit(ctx->state, req->key_id, "match.lookup", NULL, detail, &err) != WARD_OK) {
            svc_error(rep, 503, "unavailable", "cannot audit the lookup: %s", err.message);
            return;
        }
    } else if (b->alert || b->paused) {
        atomic_fetch_add(&ctx->metrics.alert_matches, 1);
        char *h = jw_take(b->hashes, NULL), *m = jw_take(b->matches, NULL);
        if (h && m)
            record_event(ctx, req, context, h, m, b->revision, &event, &err);
        free(h);
        free(m);
    }
    jw_kv_int(b->reply, "matched", (long long)b->matched);
    jw_kv_bool(b->reply, "alert", b->alert);
    if (b->paused)
        jw_kv_int(b->reply, "quarantined", (long long)b->paused);
    /* A lookup records no event, so it has none to name and no error. */
    emit_event(b->reply, (b->alert || b->paused) && !lookup, event, &err);
    emit_index(b->reply, ctx, b->revision);
    yajl_gen_map_close(b->reply);
    svc_json_reply(rep, 200, b->reply);
}

static void match_batch(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    char ebuf[256];
    if (!jw_depth_ok(req->body ? req->body : "", req->len, SVC_JSON_MAX_DEPTH)) {
        svc_error(rep, 400, "bad_request", "JSON nested deeper than %d levels", SVC_JSON_MAX_DEPTH);
        return;
    }
    yajl_val root = yajl_tree_parse(req->body ? req->body : "", ebuf, sizeof ebuf);
    if (root && YAJL_IS_OBJECT(root) && jw_check(req->body, req->len, "/context", ebuf,
                                                 sizeof ebuf) != 0) {
        svc_error(rep, 400, "bad_request", "%s", ebuf);
        yajl_tree_free(root);
        return;
    }
    if (!root || !YAJL_IS_OBJECT(root)) {
        char *nl = strchr(ebuf, '\n');
        if (nl)
            *nl = 0;
        svc_error(rep, 400, "bad_request", "body is not a JSON object: %s",
                  root ? "expected {\"hashes\": [...]}" : ebuf);
        yajl_tree_free(root);
        return;
    }
    batch_item *items = NULL;
    size_t n = 0;
    ward_match_opts o;
    batch_out b = {0};
    yajl_val rec = jv_get(root, "record_event");
    int lookup = rec && YAJL_IS_FALSE(rec);
    char *context = context_json(root, req);
    if (rec && !YAJL_IS_TRUE(rec) && !lookup) /* "false" or 0 must not pass for true */
        svc_error(rep, 400, "bad_request", "/record_event: expected true or false");
    else if (lookup && !(req->scopes & WARD_SCOPE_LOOKUP))
        svc_error(rep, 403, "forbidden", "\"record_event\": false needs a key with the "
                  "'lookup' scope (federated lookups are audited, not reviewed)");
    else if (context && strlen(context) > SVC_MAX_CONTEXT)
        svc_error(rep, 413, "payload_too_large", "/context: over %d bytes", SVC_MAX_CONTEXT);
    else if (batch_radius(ctx, root, &o, rep) == 0 && parse_batch(ctx, root, &items, &n, rep) == 0) {
        b.lookup = lookup;
        b.key_id = req->key_id;
        b.reply = yajl_gen_alloc(NULL);
        b.hashes = yajl_gen_alloc(NULL);
        b.matches = yajl_gen_alloc(NULL);
        if (b.reply && b.hashes && b.matches) {
            yajl_gen_map_open(b.reply);
            jw_key(b.reply, "results");
            yajl_gen_array_open(b.reply);
            yajl_gen_array_open(b.hashes);
            yajl_gen_array_open(b.matches);
            size_t i = 0;
            while (i < n && match_item(ctx, &items[i], i, &o, &b, rep) == 0)
                i++;
            atomic_fetch_add(&ctx->metrics.hashes_checked, i);
            if (i == n)
                finish_batch(ctx, req, context, lookup, &b, rep);
        } else {
            svc_error(rep, 503, "unavailable", "out of memory");
        }
    }
    if (b.reply)
        yajl_gen_free(b.reply);
    if (b.hashes)
        yajl_gen_free(b.hashes);
    if (b.matches)
        yajl_gen_free(b.matches);
    free(items);
    free(context);
    yajl_tree_free(root);
}

void svc_match(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    if (req->json)
        match_batch(ctx, req, rep);
    else
        match_upload(ctx, req, rep);
}
