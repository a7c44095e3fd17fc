/*
 * POST /v1/events/{id}/evidence (scope submit): the platform hands over the
 * file of a match event, for the report and for law enforcement.
 *
 * ward never keeps an upload on its own initiative; this is the one way a
 * file enters its data directory. The bytes must be the event's file: one
 * of their digests must equal a hash the event recorded, or their PDQ be
 * within the radius of a recorded PDQ, so a wrong attachment is refused
 * (422) rather than filed as evidence. The file is written once, 0600,
 * under <data>/evidence/<event>/<sha256>.bin, synced before the answer, and
 * the submission is audited.
 */
#include "serve/handlers.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ward/digest.h>

/* Does the upload's hash set include one the event recorded? */
static int belongs_to_event(const ward_file_hash *fh, const char *hashes_json, int radius)
{
    char ebuf[64];
    yajl_val v = yajl_tree_parse(hashes_json, ebuf, sizeof ebuf);
    int yes = 0;
    for (size_t i = 0; !yes && v && YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
        const char *h = jv_str(v->u.array.values[i], "hash");
        if (!h)
            continue;
        char hex[65];
        for (int k = 0; k < 3 && !yes; k++)
            yes = ward_digest_hex(&fh->digests, ward_digest_kinds[k], hex) && !strcmp(hex, h);
        ward_pdq p;
        if (!yes && fh->has_pdq && strlen(h) == 64 && ward_pdq_from_hex(h, &p) == WARD_OK)
            for (int d = 0; d < fh->pdq.count && !yes; d++)
                yes = ward_pdq_distance(&fh->pdq.hash[d], &p) <= radius;
    }
    yajl_tree_free(v);
    return yes;
}

static ward_status write_evidence(const char *dir, const char *sha, const char *buf, size_t len,
                                  ward_error *err)
{
    char parent[4096], path[4200], tmp[4300];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash) {
        *slash = 0;
        mkdir(parent, 0700); /* <data>/evidence */
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return err_fail_errno(err, errno, "cannot create %s", dir);
    snprintf(path, sizeof path, "%s/%s.bin", dir, sha);
    if (access(path, F_OK) == 0)
        return WARD_OK; /* the same bytes again: already kept */
    /* Several threads may file the same bytes at once: each writes its own
     * temporary file (mkstemp, 0600) and renames a complete one in. */
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return err_fail_errno(err, errno, "cannot write %s", tmp);
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return err_fail_errno(err, e, "cannot write %s", tmp);
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return err_fail_errno(err, e, "cannot store %s", path);
    }
    return WARD_OK;
}

static int parse_event_tail(const char *tail, int64_t *id)
{
    char *end;
    long long v = strtoll(tail, &end, 10);
    if (v <= 0 || end == tail || strcmp(end, "/evidence") != 0)
        return -1;
    *id = v;
    return 0;
}

void svc_evidence(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    int64_t id;
    if (parse_event_tail(req->tail, &id) != 0) {
        svc_error(rep, 404, "not_found", "no such endpoint: %s (POST /v1/events/ID/evidence)",
                  req->url);
        return;
    }
    if (req->len == 0) {
        svc_error(rep, 400, "bad_request", "empty body: send the file's bytes");
        return;
    }
    char *hashes = NULL;
    ward_error err;
    ward_status rc = svc_event_hashes(ctx->state, id, &hashes, &err);
    if (rc != WARD_OK) {
        svc_error(rep, rc == WARD_ENOTFOUND ? 404 : 500, rc == WARD_ENOTFOUND ? "not_found"
                  : "internal", "%s", err.message);
        return;
    }
    ward_match_opts o = ctx->match_opts;
    o.radius = -1; /* hashing only */
    ward_match_result res;
    ward_file_hash fh;
    rc = ward_match_bytes(ctx->match, (const uint8_t *)req->body, req->len, &o, &res, &fh, &err);
    if (rc != WARD_OK) {
        free(hashes);
        svc_error(rep, 500, "internal", "%s", err.message);
        return;
    }
    ward_match_result_free(&res);
    char sha[65], dir[4096];
    ward_digest_hex(&fh.digests, WARD_DIGEST_SHA256, sha);
    if (!belongs_to_event(&fh, hashes, ctx->match_opts.radius)) {
        svc_error(rep, 422, "unprocessable", "these bytes (sha256 %s) match none of the hashes "
                  "of match event %lld: not filed as its evidence", sha, (long long)id);
    } else {
        svc_evidence_dir(svc_datadir(ctx->state), id, dir, sizeof dir);
        rc = write_evidence(dir, sha, req->body, req->len, &err);
        char obj[40];
        snprintf(obj, sizeof obj, "event/%lld", (long long)id);
        if (rc == WARD_OK)
            rc = svc_audit(ctx->state, req->key_id, "evidence.add", obj, sha, &err);
        yajl_gen g = rc == WARD_OK ? yajl_gen_alloc(NULL) : NULL;
        if (g) {
            yajl_gen_map_open(g);
            jw_kv_int(g, "event_id", id);
            jw_kv_str(g, "sha256", sha);
            jw_kv_int(g, "size", (long long)req->len);
            jw_kv_bool(g, "stored", 1);
            yajl_gen_map_close(g);
            svc_json_reply(rep, 201, g);
            yajl_gen_free(g);
        } else if (rc != WARD_OK) {
            svc_error(rep, 500, "internal", "%s", err.message);
        }
    }
    ward_file_hash_clear(&fh);
    free(hashes);
}
