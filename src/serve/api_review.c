/*
 * The review workflow: GET /v1/events, GET /v1/events/{id},
 * POST /v1/reviews, GET /v1/reports/{id}.
 *
 * Nothing is reported on a machine's word: a match event waits until a
 * person (named in "reviewer") confirms or rejects it. A confirmation
 * writes the report; a rejection may put the hashes on the allow-list.
 */
#include "serve/handlers.h"

#include <stdlib.h>
#include <string.h>

static int parse_id(const char *s, int64_t *id)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0)
        return -1;
    *id = v;
    return 0;
}

static void status_of(svc_reply *rep, ward_status rc, const ward_error *err)
{
    switch (rc) {
    case WARD_ENOTFOUND:
        svc_error(rep, 404, "not_found", "%s", err->message);
        break;
    case WARD_EINVAL:
        svc_error(rep, 409, "conflict", "%s", err->message);
        break;
    case WARD_EIO:
        svc_error(rep, 503, "unavailable", "%s", err->message);
        break;
    default:
        svc_error(rep, 500, "internal", "%s", err->message);
    }
}

void svc_events(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    const char *status = svc_arg(req, "status");
    const char *lim = svc_arg(req, "limit");
    if (status && strcmp(status, "pending") && strcmp(status, "confirmed") &&
        strcmp(status, "rejected") && strcmp(status, "all")) {
        svc_error(rep, 400, "bad_request",
                  "status must be pending, confirmed, rejected or all, not '%s'", status);
        return;
    }
    int limit = lim ? atoi(lim) : 100;
    if (limit < 1 || limit > 1000) {
        svc_error(rep, 400, "bad_request", "limit must be 1..1000");
        return;
    }
    if (!status)
        status = "pending";
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    ward_error err;
    yajl_gen_map_open(g);
    jw_key(g, "events");
    ward_status rc = svc_events_json(ctx->state, strcmp(status, "all") ? status : NULL, limit, g,
                                     &err);
    yajl_gen_map_close(g);
    if (rc == WARD_OK)
        rc = svc_audit(ctx->state, req->key_id, "events.list", NULL, status, &err);
    if (rc == WARD_OK) {
        svc_json_reply(rep, 200, g);
    } else {
        status_of(rep, rc, &err);
    }
    yajl_gen_free(g);
}

void svc_event(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    int64_t id;
    if (parse_id(req->tail, &id) != 0) {
        svc_error(rep, 404, "not_found", "no such event: %s", req->tail);
        return;
    }
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    ward_error err;
    ward_status rc = svc_event_json(ctx->state, id, g, &err);
    char obj[40];
    snprintf(obj, sizeof obj, "event/%lld", (long long)id);
    if (rc == WARD_OK) /* a read that cannot be audited is not served */
        rc = svc_audit(ctx->state, req->key_id, "event.read", obj, NULL, &err);
    if (rc == WARD_OK) {
        svc_json_reply(rep, 200, g);
    } else {
        status_of(rep, rc, &err);
    }
    yajl_gen_free(g);
}

static int review_from_json(yajl_val root, svc_review_in *r, svc_reply *rep)
{
    yajl_val ev = jv_get(root, "event_id");
    const char *decision = jv_str(root, "decision");
    yajl_val viewed = jv_get(root, "viewed");
    yajl_val allow = jv_get(root, "allowlist");
    r->reviewer = jv_str(root, "reviewer");
    r->notes = jv_str(root, "notes");
    if (!ev || !YAJL_IS_INTEGER(ev) || YAJL_GET_INTEGER(ev) <= 0) {
        svc_error(rep, 400, "bad_request", "/event_id: expected the id of a match event");
        return -1;
    }
    r->event_id = YAJL_GET_INTEGER(ev);
    if (!r->reviewer || !*r->reviewer) {
        svc_error(rep, 400, "bad_request", "/reviewer: a review names the person who made it");
        return -1;
    }
    if (!decision || (strcmp(decision, "confirm") && strcmp(decision, "reject"))) {
        svc_error(rep, 400, "bad_request", "/decision: expected \"confirm\" or \"reject\"");
        return -1;
    }
    r->confirm = strcmp(decision, "confirm") == 0;
    if (!viewed || !(YAJL_IS_TRUE(viewed) || YAJL_IS_FALSE(viewed))) {
        svc_error(rep, 400, "bad_request",
                  "/viewed: say whether the reviewer viewed the file (true or false)");
        return -1;
    }
    r->viewed = YAJL_IS_TRUE(viewed);
    r->allowlist = allow && YAJL_IS_TRUE(allow);
    if (r->allowlist && r->confirm) {
        svc_error(rep, 400, "bad_request", "/allowlist: only a rejected match can be allow-listed");
        return -1;
    }
    return 0;
}

void svc_reviews(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    char ebuf[256];
    int shallow = jw_depth_ok(req->body ? req->body : "", req->len, SVC_JSON_MAX_DEPTH);
    yajl_val root = req->json && shallow
                        ? yajl_tree_parse(req->body ? req->body : "", ebuf, sizeof ebuf) : NULL;
    if (root && YAJL_IS_OBJECT(root) && jw_check(req->body, req->len, NULL, ebuf,
                                                 sizeof ebuf) != 0) {
        svc_error(rep, 400, "bad_request", "%s", ebuf);
        yajl_tree_free(root);
        return;
    }
    if (!root || !YAJL_IS_OBJECT(root)) {
        svc_error(rep, 400, "bad_request", "expected a JSON object (Content-Type: "
                  "application/json) with event_id, reviewer, decision and viewed");
        yajl_tree_free(root);
        return;
    }
    svc_review_in r = {.key_id = req->key_id, .reporter = ctx->opts.reporter};
    if (review_from_json(root, &r, rep) == 0) {
        int64_t review_id, report_id;
        ward_error err;
        ward_status rc = svc_review(ctx->state, &r, &review_id, &report_id, &err);
        yajl_gen g = rc == WARD_OK ? yajl_gen_alloc(NULL) : NULL;
        if (g) {
            yajl_gen_map_open(g);
            jw_kv_int(g, "review_id", review_id);
            jw_kv_int(g, "event_id", r.event_id);
            jw_kv_str(g, "decision", r.confirm ? "confirm" : "reject");
            jw_key(g, "report_id");
            if (report_id)
                yajl_gen_integer(g, report_id);
            else
                yajl_gen_null(g);
            jw_kv_bool(g, "allowlisted", r.allowlist);
            yajl_gen_map_close(g);
            svc_json_reply(rep, 201, g);
            yajl_gen_free(g);
        } else if (rc != WARD_OK) {
            status_of(rep, rc, &err);
        }
    }
    yajl_tree_free(root);
}

void svc_report(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    int64_t id;
    if (parse_id(req->tail, &id) != 0) {
        svc_error(rep, 404, "not_found", "no such report: %s", req->tail);
        return;
    }
    char *json;
    ward_error err;
    ward_status rc = svc_report_get(ctx->state, id, &json, &err);
    if (rc != WARD_OK) {
        status_of(rep, rc, &err);
        return;
    }
    char obj[40];
    snprintf(obj, sizeof obj, "report/%lld", (long long)id);
    if (svc_audit(ctx->state, req->key_id, "report.read", obj, NULL, &err) != WARD_OK) {
        free(json);
        svc_error(rep, 503, "unavailable", "cannot audit the read: %s", err.message);
        return;
    }
    rep->status = 200;
    rep->body = json;
}
