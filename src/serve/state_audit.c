/*
 * The audit table: an append-only log in which each record carries the
 * hash of the one before (a hash chain), so that an altered or removed
 * record shows. Appends happen inside the other modules' write
 * transactions (state_audit_append); reading (the walk that verifies it,
 * the head a checkpoint signs, the web page's search) goes through the
 * reader, never holding up a match event.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/digest.h>

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static void audit_hash(const char *prev, const char *at, const char *actor, const char *action,
                       const char *object, const char *detail, char out[65])
{
    /* Each field as its length in decimal and ':' before the bytes ("N;"
     * for NULL), so two different records never hash the same text
     * whatever the fields contain (a client's notes may hold anything). */
    const char *f[6] = {prev, at, actor, action, object, detail};
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    for (int i = 0; d && i < 6; i++) {
        char len[24];
        int n = f[i] ? snprintf(len, sizeof len, "%zu:", strlen(f[i])) : snprintf(len, sizeof len, "N;");
        ward_digester_update(d, len, (size_t)n);
        if (f[i])
            ward_digester_update(d, f[i], strlen(f[i]));
    }
    ward_digests dg = {0};
    if (d)
        ward_digester_final(d, &dg);
    ward_digester_free(d);
    ward_hex(dg.sha256, 32, out);
}

/* Inside a write transaction (state_begin(): the store's write lock, so no other
 * process or node appends meanwhile): append one record after the last. */
ward_status state_audit_append(svc_state *s, const char *actor, const char *action,
                                const char *object, const char *detail, ward_error *err)
{
    char prev[65] = ZERO_HASH;
    if (s->head[0]) {
        memcpy(prev, s->head, sizeof prev);
    } else {
        if (state_cached(s->db, &s->st_head, "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1",
                   state_prepare_plain) != SQLITE_OK)
            return state_fail(s->db, err, "reading the audit log");
        int rc = wsql_step(s->st_head);
        if (rc == SQLITE_ROW && state_col(s->st_head, 0))
            snprintf(prev, sizeof prev, "%s", state_col(s->st_head, 0));
        ward_status out = WARD_OK;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) /* never chain onto a head not read */
            out = state_fail(s->db, err, "reading the audit log");
        state_release(s->st_head);
        if (out != WARD_OK)
            return out;
    }
    char at[32], hash[65];
    svc_now(at);
    audit_hash(prev, at, actor, action, object, detail, hash);
    if (state_cached(s->db, &s->st_audit, "INSERT INTO audit(at,actor,action,object,detail,prev,hash)"
                                " VALUES(?,?,?,?,?,?,?)", state_prepare_plain) != SQLITE_OK)
        return state_fail(s->db, err, "writing the audit log");
    const char *v[7] = {at, actor, action, object, detail, prev, hash};
    for (int i = 0; i < 7; i++)
        wsql_bind_text(s->st_audit, i + 1, v[i], -1, SQLITE_STATIC);
    ward_status out = wsql_step(s->st_audit) == SQLITE_DONE
                          ? WARD_OK : state_fail(s->db, err, "writing the audit log");
    state_release(s->st_audit);
    if (out == WARD_OK)
        memcpy(s->head, hash, sizeof s->head);
    return out;
}

ward_status svc_audit(svc_state *s, const char *actor, const char *action, const char *object,
                      const char *detail, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    ward_status rc = state_begin(s, err);
    if (rc == WARD_OK)
        rc = state_finish(s, state_audit_append(s, actor, action, object, detail, err), err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status ward_serve_audit_append(const char *datadir, const char *store_url,
                                    const char *key_file, const char *actor, const char *action,
                                    const char *object, const char *detail, ward_error *err)
{
    svc_state *s = NULL;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc == WARD_OK)
        rc = svc_audit(s, actor, action, object, detail, err);
    svc_close(s);
    return rc;
}

/* The log is read in pages by seq: PostgreSQL hands a statement's whole
 * result over at once, and a busy service's log runs to millions of rows. */
#define AUDIT_PAGE 10000
#define AUDIT_PAGE_SQL "10000"

ward_status ward_serve_audit_verify(const char *datadir, const char *store_url,
                                    const char *key_file, uint64_t *records, char head[65],
                                    ward_error *err)
{
    svc_state *s;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc != WARD_OK)
        return rc;
    rc = svc_audit_walk(s, NULL, NULL, records, head, err);
    svc_close(s);
    return rc;
}

ward_status svc_audit_walk(svc_state *s, svc_audit_fn each, void *ctx, uint64_t *records,
                           char head[65], ward_error *err)
{
    ward_status rc = WARD_OK;
    wsql_stmt *st;
    char prev[65] = ZERO_HASH;
    uint64_t n = 0;
    wsql *db = state_read_lock(s);
    if (wsql_prepare_v2(db, "SELECT seq,at,actor,action,object,detail,prev,hash FROM audit"
                               " WHERE seq > ? ORDER BY seq LIMIT " AUDIT_PAGE_SQL,
                        -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "reading the audit log");
        state_read_unlock(s);
        return rc;
    }
    int64_t after = INT64_MIN;
    int page;
    do {
        page = 0;
        wsql_reset(st);
        wsql_bind_int64(st, 1, after);
        int step = SQLITE_DONE;
        while (rc == WARD_OK && (step = wsql_step(st)) == SQLITE_ROW) {
            char h[65];
            after = wsql_column_int64(st, 0);
            audit_hash(prev, state_col(st, 1), state_col(st, 2), state_col(st, 3),
                       state_col(st, 4), state_col(st, 5), h);
            const char *stored_prev = state_col(st, 6), *stored = state_col(st, 7);
            if (!stored_prev || strcmp(stored_prev, prev) != 0 || !stored ||
                strcmp(stored, h) != 0)
                rc = err_fail(err, WARD_EFORMAT,
                               "audit record %lld does not follow from the one before: the "
                               "log was altered", (long long)after);
            memcpy(prev, h, sizeof prev);
            n++;
            page++;
            if (rc == WARD_OK && each)
                rc = each(ctx, after, n, h, err);
        }
        if (rc == WARD_OK && step != SQLITE_DONE) /* not "intact" after reading half */
            rc = state_fail(db, err, "reading the audit log");
    } while (rc == WARD_OK && page == AUDIT_PAGE);
    wsql_finalize(st);
    state_read_unlock(s);
    if (records)
        *records = n;
    if (head)
        memcpy(head, prev, 65);
    return rc;
}


ward_status svc_audit_head(svc_state *s, int64_t *seq, uint64_t *records, char head[65],
                           ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st = NULL;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT count(*), max(seq), (SELECT hash FROM audit ORDER BY seq"
                            " DESC LIMIT 1) FROM audit", -1, &st, NULL) != SQLITE_OK ||
        wsql_step(st) != SQLITE_ROW) {
        rc = state_fail(db, err, "reading the audit log's head");
    } else {
        const char *h = state_col(st, 2);
        if (records)
            *records = (uint64_t)wsql_column_int64(st, 0);
        if (seq)
            *seq = wsql_column_int64(st, 1);
        if (head)
            snprintf(head, 65, "%s", h ? h : ZERO_HASH);
    }
    wsql_finalize(st);
    state_read_unlock(s);
    return rc;
}

void svc_audit_rows_free(svc_audit_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].actor);
        free(rows[i].action);
        free(rows[i].object);
        free(rows[i].detail);
    }
    free(rows);
}

/* The rows are copied out and the reader let go before anyone renders
 * them. */
ward_status svc_audit_search(svc_state *s, const char *q, const char *actor, int limit,
                             svc_audit_row **rows, size_t *n, ward_error *err)
{
    char like[300];
    snprintf(like, sizeof like, "%%%s%%", q ? q : "");
    *rows = NULL;
    *n = 0;
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT seq, at, actor, action, coalesce(object, ''),"
                            " coalesce(detail, ''), hash FROM audit"
                            " WHERE (?1 = '' OR actor = ?1) AND (?2 = '%%' OR action LIKE ?2"
                            " OR object LIKE ?2 OR detail LIKE ?2)"
                            " ORDER BY seq DESC LIMIT ?3", -1, &st, NULL) != SQLITE_OK) {
        rc = state_fail(db, err, "searching the audit log");
        state_read_unlock(s);
        return rc;
    }
    wsql_bind_text(st, 1, actor ? actor : "", -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, like, -1, SQLITE_STATIC);
    wsql_bind_int(st, 3, limit);
    svc_audit_row *v = limit > 0 ? calloc((size_t)limit, sizeof *v) : NULL;
    size_t k = 0;
    int step = SQLITE_DONE;
    while (v && (int)k < limit && (step = wsql_step(st)) == SQLITE_ROW) {
        svc_audit_row *r = &v[k++];
        r->seq = wsql_column_int64(st, 0);
        snprintf(r->at, sizeof r->at, "%s", state_col(st, 1) ? state_col(st, 1) : "");
        r->actor = strdup(state_col(st, 2) ? state_col(st, 2) : "");
        r->action = strdup(state_col(st, 3) ? state_col(st, 3) : "");
        r->object = strdup(state_col(st, 4) ? state_col(st, 4) : "");
        r->detail = strdup(state_col(st, 5) ? state_col(st, 5) : "");
        snprintf(r->hash, sizeof r->hash, "%s", state_col(st, 6) ? state_col(st, 6) : "");
        if (!r->actor || !r->action || !r->object || !r->detail) {
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
            break;
        }
    }
    if (limit > 0 && !v)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    else if (rc == WARD_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = state_fail(db, err, "searching the audit log");
    wsql_finalize(st);
    state_read_unlock(s);
    if (rc != WARD_OK) {
        svc_audit_rows_free(v, k);
        return rc;
    }
    *rows = v;
    *n = k;
    return WARD_OK;
}
