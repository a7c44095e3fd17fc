/*
 * The reviews and reports tables: a person's decision on a match event
 * (confirmed: a report is written from what the platform sent; rejected:
 * optionally its hashes go to the allow-list), each with its audit record,
 * in one transaction on the writer. Reading a report goes through the
 * reader.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The report: modelled on the fields of NCMEC's CyberTipline reports, all
 * copied from what the platform sent (never re-typed): reporter, incident
 * time with its zone, the uploader's identifiers, IP capture events, and per
 * file its hashes, what it matched and whether a person viewed it.
 */
/* The SHA-256 names of the evidence files kept for an event, as a JSON
 * array (empty when the platform sent none). */
static void emit_evidence(yajl_gen g, const char *datadir, int64_t event_id)
{
    char dir[4096];
    svc_evidence_dir(datadir, event_id, dir, sizeof dir);
    yajl_gen_array_open(g);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strlen(de->d_name) == 64 + 4 && strcmp(de->d_name + 64, ".bin") == 0) {
            char hex[65];
            memcpy(hex, de->d_name, 64);
            hex[64] = 0;
            jw_str(g, hex);
        }
    if (d)
        closedir(d);
    yajl_gen_array_close(g);
}

static char *build_report(const char *datadir, int64_t report_id, int64_t event_id,
                          const event_row *e, const svc_review_in *r, const char *now)
{
    char ebuf[64];
    yajl_val ctx = yajl_tree_parse(e->context, ebuf, sizeof ebuf);
    yajl_val hashes = yajl_tree_parse(e->hashes, ebuf, sizeof ebuf);
    yajl_val matches = yajl_tree_parse(e->matches, ebuf, sizeof ebuf);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        yajl_tree_free(ctx);
        yajl_tree_free(hashes);
        yajl_tree_free(matches);
        return NULL;
    }
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    jw_kv_str(g, "schema", "ward-report/1");
    jw_kv_int(g, "report_id", report_id);
    jw_kv_int(g, "event_id", event_id);
    jw_kv_str(g, "created", now);
    jw_key(g, "reporter");
    yajl_gen_map_open(g);
    jw_kv_str(g, "organisation", r->reporter);
    jw_kv_str(g, "api_key", e->key_id);
    yajl_gen_map_close(g);
    jw_key(g, "incident");
    yajl_gen_map_open(g);
    jw_kv_str(g, "type", "apparent child sexual abuse material");
    yajl_val up = jv_get(ctx, "upload");
    jw_key(g, "time");
    jw_copy_at(g, e->context, strlen(e->context), "/upload/time"); /* as written, zone too */
    jw_kv_str(g, "received", e->created);
    yajl_gen_map_close(g);
    jw_key(g, "reported_person");
    jw_copy_at(g, e->context, strlen(e->context), "/account");
    jw_key(g, "ip_capture_events");
    yajl_val ips = jv_get(ctx, "ip_events");
    if (ips && YAJL_IS_ARRAY(ips)) {
        jw_copy_at(g, e->context, strlen(e->context), "/ip_events");
    } else {
        yajl_gen_array_open(g);
        if (jv_get(up, "ip"))
            jw_copy_at(g, e->context, strlen(e->context), "/upload");
        yajl_gen_array_close(g);
    }
    jw_key(g, "files");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    jw_key(g, "content_id");
    jw_copy_at(g, e->context, strlen(e->context), "/content_id");
    jw_key(g, "hashes");
    jw_value(g, hashes);
    jw_key(g, "matches");
    jw_value(g, matches);
    jw_kv_bool(g, "viewed_by_person", r->viewed);
    jw_key(g, "evidence_sha256"); /* files the platform kept with ward */
    emit_evidence(g, datadir, event_id);
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    jw_key(g, "review");
    yajl_gen_map_open(g);
    jw_kv_str(g, "reviewer", r->reviewer);
    jw_kv_str(g, "decision", "confirmed");
    jw_kv_str(g, "time", now);
    jw_kv_str(g, "notes", r->notes);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    char *out = jw_take(g, NULL);
    yajl_gen_free(g);
    yajl_tree_free(ctx);
    yajl_tree_free(hashes);
    yajl_tree_free(matches);
    return out;
}

static ward_status insert_review(svc_state *s, const svc_review_in *r, const char *now,
                                 int64_t *id, ward_error *err)
{
    wsql_stmt *st;
    if (state_prepare_insert(s->db, "INSERT INTO reviews(event_id,reviewer,key_id,decision,notes,"
                          "viewed,created) VALUES(?,?,?,?,?,?,?)", &st) != SQLITE_OK)
        return state_fail(s->db, err, "recording the review");
    wsql_bind_int64(st, 1, r->event_id);
    wsql_bind_text(st, 2, r->reviewer, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, r->key_id, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, r->confirm ? "confirm" : "reject", -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, r->notes, -1, SQLITE_STATIC);
    wsql_bind_int(st, 6, r->viewed != 0);
    wsql_bind_text(st, 7, now, -1, SQLITE_STATIC);
    int rc = state_step_insert(s->db, st, id);
    wsql_finalize(st);
    if (rc != SQLITE_DONE)
        return state_fail(s->db, err, "recording the review");
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE events SET status='%s' WHERE id=%lld",
             r->confirm ? "confirmed" : "rejected", (long long)r->event_id);
    return wsql_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? WARD_OK : state_fail(s->db, err, "updating the event");
}

static ward_status insert_report(svc_state *s, int64_t event_id, const event_row *e,
                                 const svc_review_in *r, const char *now, int64_t *id,
                                 ward_error *err)
{
    wsql_stmt *st;
    if (state_prepare_insert(s->db, "INSERT INTO reports(event_id,created,body) VALUES(?,?,'')", &st) !=
        SQLITE_OK)
        return state_fail(s->db, err, "writing the report");
    wsql_bind_int64(st, 1, event_id);
    wsql_bind_text(st, 2, now, -1, SQLITE_STATIC);
    int rc = state_step_insert(s->db, st, id);
    wsql_finalize(st);
    if (rc != SQLITE_DONE)
        return state_fail(s->db, err, "writing the report");
    char *body = build_report(s->datadir, *id, event_id, e, r, now);
    if (!body)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status out = WARD_OK;
    if (wsql_prepare_v2(s->db, "UPDATE reports SET body=? WHERE id=?", -1, &st, NULL) !=
        SQLITE_OK) {
        out = state_fail(s->db, err, "writing the report");
    } else {
        wsql_bind_text(st, 1, body, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 2, *id);
        if (wsql_step(st) != SQLITE_DONE)
            out = state_fail(s->db, err, "writing the report");
        wsql_finalize(st);
    }
    free(body);
    return out;
}

/* Over the API the reviewer is only what the client wrote: the chain names
 * the key that authenticated (the actor) and keeps the claim beside it, as
 * {"claimed_reviewer": ..., "notes": ...} in the detail. A web review's
 * reviewer is the logged-in user: the actor itself, with the notes. */
static char *review_detail(const svc_review_in *r)
{
    if (!r->key_id || !r->key_id[0])
        return r->notes ? strdup(r->notes) : NULL;
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_map_open(g);
    jw_kv_str(g, "claimed_reviewer", r->reviewer);
    jw_kv_str(g, "notes", r->notes);
    yajl_gen_map_close(g);
    char *out = jw_take(g, NULL);
    yajl_gen_free(g);
    return out;
}

static ward_status review_locked(svc_state *s, const svc_review_in *r, int64_t *review_id,
                                 int64_t *report_id, ward_error *err)
{
    int api = r->key_id && r->key_id[0];
    const char *actor = api ? r->key_id : r->reviewer;
    char *detail = review_detail(r);
    event_row e;
    ward_status rc = state_event_load(s->db, r->event_id, &e, err);
    if (rc == WARD_OK && strcmp(e.status, "pending") != 0)
        rc = err_fail(err, WARD_EINVAL, "match event %lld was already reviewed (%s)",
                       (long long)r->event_id, e.status);
    char now[32], obj[48];
    svc_now(now);
    snprintf(obj, sizeof obj, "event/%lld", (long long)r->event_id);
    if (rc == WARD_OK)
        rc = insert_review(s, r, now, review_id, err);
    if (rc == WARD_OK)
        rc = (detail || (!api && !r->notes))
                 ? state_audit_append(s, actor, r->confirm ? "review.confirm" : "review.reject", obj,
                                detail, err)
                 : err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK && r->confirm) {
        rc = insert_report(s, r->event_id, &e, r, now, report_id, err);
        snprintf(obj, sizeof obj, "report/%lld", (long long)*report_id);
        if (rc == WARD_OK)
            rc = state_audit_append(s, actor, "report.create", obj, NULL, err);
    }
    if (rc == WARD_OK && !r->confirm && r->allowlist)
        rc = state_allow_event(s, r->event_id, e.hashes, actor,
                             r->notes ? r->notes : "rejected on review", err);

    free(detail);
    state_event_row_free(&e);
    return rc;
}

ward_status svc_review(svc_state *s, const svc_review_in *r, int64_t *review_id,
                       int64_t *report_id, ward_error *err)
{
    *review_id = *report_id = 0;
    pthread_mutex_lock(&s->lock);
    ward_status rc = state_begin(s, err);
    if (rc == WARD_OK)
        rc = state_finish(s, review_locked(s, r, review_id, report_id, err), err);
    pthread_mutex_unlock(&s->lock);
    /* After the writer is let go: the copy is read on the reader. */
    if (rc == WARD_OK && !r->confirm && r->allowlist)
        rc = state_allow_load(s, err);
    return rc;
}

ward_status svc_report_get(svc_state *s, int64_t id, char **json, ward_error *err)
{
    *json = NULL;
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT body FROM reports WHERE id=?", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = state_fail(db, err, "reading the report");
    } else {
        wsql_bind_int64(st, 1, id);
        if (wsql_step(st) == SQLITE_ROW) {
            if (!(*json = strdup(state_col(st, 0))))
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
        } else {
            rc = err_fail(err, WARD_ENOTFOUND, "no report %lld", (long long)id);
        }
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return rc;
}
