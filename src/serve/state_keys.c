/*
 * The api_keys table: the platforms' keys (only the SHA-256 of a secret is
 * kept), created and revoked with an audit record in the same transaction.
 * Reading them (auth.c's cache, `ward apikey list`, the review page's
 * platform names) goes through the reader.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ward_status svc_keys_load(svc_state *s, svc_key **keys, size_t *n, ward_error *err)
{
    *keys = NULL;
    *n = 0;
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT id,secret_sha256,scopes,rate,burst FROM api_keys"
                               " WHERE revoked IS NULL", -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "reading API keys");
        state_read_unlock(s);
        return rc;
    }
    size_t cap = 0;
    int step = SQLITE_DONE;
    while (rc == WARD_OK && (step = wsql_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            svc_key *v = realloc(*keys, cap * sizeof *v);
            if (!v) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            *keys = v;
        }
        svc_key *k = &(*keys)[(*n)++];
        memset(k, 0, sizeof *k);
        snprintf(k->id, sizeof k->id, "%s", state_col(st, 0));
        if (wsql_column_bytes(st, 1) == 32)
            memcpy(k->secret_sha256, wsql_column_blob(st, 1), 32);
        k->scopes = (unsigned)wsql_column_int(st, 2);
        k->rate = wsql_column_double(st, 3);
        k->burst = wsql_column_double(st, 4);
    }
    if (rc == WARD_OK && step != SQLITE_DONE) /* not "no keys" when unreadable */
        rc = state_fail(db, err, "reading API keys");
    wsql_finalize(st);
    state_read_unlock(s);
    if (rc != WARD_OK) {
        free(*keys);
        *keys = NULL;
        *n = 0;
    }
    return rc;
}

static ward_status key_insert(svc_state *s, const char *id, const char *name,
                              const uint8_t sha[32], unsigned scopes, double rate, double burst,
                              const char *who, ward_error *err)
{
    wsql *db = s->db;
    wsql_stmt *st;
    char now[32];
    svc_now(now);
    if (wsql_prepare_v2(db, "INSERT INTO api_keys(id,name,secret_sha256,scopes,rate,burst,"
                               "created,created_by) VALUES(?,?,?,?,?,?,?,?)", -1, &st,
                        NULL) != SQLITE_OK)
        return state_fail(db, err, "adding the key");
    wsql_bind_text(st, 1, id, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, name, -1, SQLITE_STATIC);
    wsql_bind_blob(st, 3, sha, 32, SQLITE_STATIC);
    wsql_bind_int(st, 4, (int)scopes);
    wsql_bind_double(st, 5, rate);
    wsql_bind_double(st, 6, burst);
    wsql_bind_text(st, 7, now, -1, SQLITE_STATIC);
    wsql_bind_text(st, 8, who, -1, SQLITE_STATIC);
    int rc = wsql_step(st);
    wsql_finalize(st);
    return rc == SQLITE_DONE ? WARD_OK : state_fail(db, err, "adding the key");
}

ward_status svc_key_create(svc_state *s, const char *id, const char *name, const uint8_t sha[32],
                           unsigned scopes, double rate, double burst, const char *who,
                           ward_error *err)
{
    char detail[160];
    char sc[64];
    snprintf(detail, sizeof detail, "name=%.60s scopes=%s rate=%g burst=%g", name,
             ward_scopes_format(scopes, sc, sizeof sc), rate, burst);
    pthread_mutex_lock(&s->lock);
    ward_status rc = state_begin(s, err);
    if (rc == WARD_OK) {
        rc = key_insert(s, id, name, sha, scopes, rate, burst, who, err);
        if (rc == WARD_OK)
            rc = state_audit_append(s, who, "apikey.create", id, detail, err);
        rc = state_finish(s, rc, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status svc_key_revoke(svc_state *s, const char *id, const char *who, const char *reason,
                           ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    ward_status rc = state_begin(s, err);
    if (rc == WARD_OK) {
        wsql *db = s->db;
        wsql_stmt *st;
        char now[32];
        svc_now(now);
        if (wsql_prepare_v2(db, "UPDATE api_keys SET revoked=?,revoked_by=?,"
                                   "revoked_reason=? WHERE id=? AND revoked IS NULL", -1,
                            &st, NULL) != SQLITE_OK) {
            rc = state_fail(db, err, "revoking the key");
        } else {
            wsql_bind_text(st, 1, now, -1, SQLITE_STATIC);
            wsql_bind_text(st, 2, who, -1, SQLITE_STATIC);
            wsql_bind_text(st, 3, reason, -1, SQLITE_STATIC);
            wsql_bind_text(st, 4, id, -1, SQLITE_STATIC);
            if (wsql_step(st) != SQLITE_DONE)
                rc = state_fail(db, err, "revoking the key");
            else if (wsql_changes(db) == 0)
                rc = err_fail(err, WARD_ENOTFOUND, "no live API key with id '%s'", id);
            wsql_finalize(st);
        }
        if (rc == WARD_OK)
            rc = state_audit_append(s, who, "apikey.revoke", id, reason, err);
        rc = state_finish(s, rc, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status svc_keys_each(svc_state *s, int (*cb)(void *ctx, const ward_apikey *key), void *ctx,
                          ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT id,name,scopes,rate,burst,created,created_by,revoked,"
                               "revoked_by,revoked_reason FROM api_keys ORDER BY created, id",
                        -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "reading API keys");
    } else {
        int step;
        while ((step = wsql_step(st)) == SQLITE_ROW) {
            ward_apikey k = {0};
            snprintf(k.id, sizeof k.id, "%s", state_col(st, 0));
            k.name = state_col(st, 1);
            k.scopes = (unsigned)wsql_column_int(st, 2);
            k.rate = wsql_column_double(st, 3);
            k.burst = wsql_column_double(st, 4);
            k.created = state_col(st, 5);
            k.created_by = state_col(st, 6);
            k.revoked = state_col(st, 7);
            k.revoked_by = state_col(st, 8);
            k.revoked_reason = state_col(st, 9);
            if (cb(ctx, &k)) {
                step = SQLITE_DONE;
                break;
            }
        }
        if (step != SQLITE_DONE)
            rc = state_fail(db, err, "reading API keys");
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return rc;
}
