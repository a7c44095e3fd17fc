/*
 * The continuity log: who held an exhibit when, every movement and every
 * status change (ACPO principle 3: an audit trail another examiner could
 * follow). Entries are hash-chained per exhibit - each carries the SHA-256
 * of its fields and of the entry before - so an entry altered, removed or
 * inserted afterwards breaks the chain, and ward_exhibit_verify finds it.
 * Each entry is also written to the linked subject's history and to the
 * audit table, in the same transaction.
 */
#include "casework/casework_int.h"
#include "util/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <ward/digest.h>

static const char genesis[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

void cw_log_hash(const char *prev, const char *ref, const char *at, const char *by,
                 const char *action, const char *holder, const char *place,
                 const char *detail, char out[65])
{
    /* Each field as its length and ':' before the bytes ("N;" for NULL),
     * so that no two different entries hash the same text. */
    const char *f[8] = {prev, ref, at, by, action, holder, place, detail};
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    for (int i = 0; d && i < 8; i++) {
        char len[24];
        int n = f[i] && *f[i] ? snprintf(len, sizeof len, "%zu:", strlen(f[i]))
                              : snprintf(len, sizeof len, "N;");
        ward_digester_update(d, len, (size_t)n);
        if (f[i] && *f[i])
            ward_digester_update(d, f[i], strlen(f[i]));
    }
    ward_digests dg = {0};
    if (d)
        ward_digester_final(d, &dg);
    ward_digester_free(d);
    ward_hex(dg.sha256, 32, out);
}

static ward_status log_head(ward_intel *in, int64_t exhibit, char prev[65], ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT hash FROM exhibit_log WHERE exhibit = ?"
                                   " ORDER BY id DESC LIMIT 1", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, exhibit);
    int r = wsql_step(st);
    memcpy(prev, genesis, 65);
    if (r == SQLITE_ROW)
        snprintf(prev, 65, "%s", wi_col(st, 0));
    else if (r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading the continuity log");   /* never chain onto a head not read */
    wsql_reset(st);
    return rc;
}

static ward_status history(ward_intel *in, const ward_exhibit *ex, const char *at,
                           const char *who, const char *action, const char *detail,
                           ward_error *err)
{
    int64_t subject = wi_subject_num(ex->subject);
    char what[96], text[768];
    snprintf(what, sizeof what, "exhibit %s", action);
    snprintf(text, sizeof text, "%s: %s", ex->ref, detail ? detail : "");
    wsql_stmt *st;
    ward_status rc;
    if (subject) {
        if ((rc = wi_cached(in, "INSERT INTO subject_history(at, action, subject, detail, by)"
                                " VALUES(?,?,?,?,?)", &st, err)))
            return rc;
        wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, what, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 3, subject);
        wsql_bind_text(st, 4, text, -1, SQLITE_STATIC);
        wsql_bind_text(st, 5, who, -1, SQLITE_STATIC);
        int r = wsql_step(st);
        wsql_reset(st);
        if (r != SQLITE_DONE)
            return wi_sqlfail(in, err, "writing the subject's history");
    }
    char obj[96];
    snprintf(obj, sizeof obj, "exhibit %s", ex->ref);
    snprintf(what, sizeof what, "exhibit.%s", action);
    wi_audit(in, wi_time_parse(at), who, what, obj, detail);
    return WARD_OK;
}

ward_status cw_record(ward_intel *in, const ward_exhibit *ex, time_t now, const char *who,
                      const char *action, const char *holder, const char *place,
                      const char *detail, ward_error *err)
{
    char prev[65], hash[65], at[32];
    wi_time_str(now, at);
    ward_status rc = log_head(in, ex->id, prev, err);
    if (rc)
        return rc;
    cw_log_hash(prev, ex->ref, at, who, action, holder, place, detail, hash);
    wsql_stmt *st;
    if ((rc = wi_cached(in, "INSERT INTO exhibit_log(exhibit, at, by, action, holder, place,"
                            " detail, prev, hash) VALUES(?,?,?,?,?,?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, ex->id);
    const char *v[8] = {at, who, action, holder, place, detail, prev, hash};
    for (int i = 0; i < 8; i++)
        if (v[i] && *v[i])
            wsql_bind_text(st, i + 2, v[i], -1, SQLITE_STATIC);
        else
            wsql_bind_null(st, i + 2);
    int r = wsql_step(st);
    wsql_reset(st);
    if (r != SQLITE_DONE)
        return wi_sqlfail(in, err, "writing the continuity log");
    return history(in, ex, at, who, action, detail, err);
}

static const char log_sql[] =
    "SELECT e.ref, l.id, l.at, l.by, l.action, coalesce(l.holder,''), coalesce(l.place,''),"
    " coalesce(l.detail,''), l.prev, l.hash, l.exhibit FROM exhibit_log l"
    " JOIN exhibits e ON e.id = l.exhibit WHERE (CAST(?1 AS TEXT) IS NULL OR e.ref = ?1)"
    " ORDER BY l.exhibit, l.id";

ward_status ward_exhibit_verify(ward_intel *in, const char *ref, uint64_t *entries,
                                ward_error *err)
{
    *entries = 0;
    ward_exhibit ex;
    ward_status rc = ref ? cw_load(in, ref, &ex, err) : WARD_OK;
    wsql_stmt *st;
    if (rc || (rc = wi_prepare(in, log_sql, &st, err)))
        return rc;
    if (ref)
        wsql_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    else
        wsql_bind_null(st, 1);
    char prev[65];
    int64_t last = -1;
    int r;
    while (!rc && (r = wsql_step(st)) == SQLITE_ROW) {
        if (wsql_column_int64(st, 10) != last)
            memcpy(prev, genesis, 65), last = wsql_column_int64(st, 10);
        char hash[65];
        cw_log_hash(prev, wi_col(st, 0), wi_col(st, 2), wi_col(st, 3), wi_col(st, 4),
                    wi_col(st, 5), wi_col(st, 6), wi_col(st, 7), hash);
        if (strcmp(prev, wi_col(st, 8)) || strcmp(hash, wi_col(st, 9)))
            rc = err_fail(err, WARD_EFORMAT,
                           "exhibit %s: continuity entry %lld (%s, %s) does not follow from "
                           "the one before: the log was altered",
                           wi_col(st, 0), (long long)wsql_column_int64(st, 1), wi_col(st, 2),
                           wi_col(st, 4));
        memcpy(prev, hash, 65);
        ++*entries;
    }
    if (!rc && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading the continuity log");
    wsql_finalize(st);
    return rc;
}

static void json_kv(FILE *out, const char *k, const char *v, int first)
{
    strbuf b = {0};
    esc_json_string(&b, v, strlen(v));
    fprintf(out, "%s\"%s\":%.*s", first ? "" : ",", k, (int)b.len, b.s ? b.s : "\"\"");
    strbuf_free(&b);
}

ward_status ward_exhibit_log(ward_intel *in, const char *ref, int json, FILE *out,
                             ward_error *err)
{
    ward_exhibit ex;
    ward_status rc = cw_load(in, ref, &ex, err);
    wsql_stmt *st;
    if (rc || (rc = wi_prepare(in, log_sql, &st, err)))
        return rc;
    wsql_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    static const char *const keys[] = {"at", "by", "action", "holder", "place", "detail", "hash"};
    static const int cols[] = {2, 3, 4, 5, 6, 7, 9};
    while (wsql_step(st) == SQLITE_ROW) {
        if (json) {
            fputc('{', out);
            for (int i = 0; i < 7; i++)
                json_kv(out, keys[i], wi_col(st, cols[i]), i == 0);
            fputs("}\n", out);
        } else {
            fprintf(out, "%s  %-14s %-16s %-20s %s%s%s\n", wi_col(st, 2), wi_col(st, 4),
                    wi_col(st, 3), wi_col(st, 5), wi_col(st, 7), *wi_col(st, 6) ? " @ " : "",
                    wi_col(st, 6));
        }
    }
    wsql_finalize(st);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the log") : WARD_OK;
}
