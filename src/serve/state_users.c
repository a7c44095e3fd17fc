/*
 * The users, sessions and login_failures tables (schema v2): the web
 * application's people. What they mean -- roles, passwords, TOTP, the
 * lockout -- is web/users.c's and web/session.c's; this module only keeps
 * the rows. A change to a user and its audit record are one transaction;
 * reading a user goes through the reader, touching a session (one short
 * UPDATE) through the writer.
 */
#include "serve/state_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bind text arguments (NULL binds NULL) and step once. */
static int run_text(wsql *db, const char *sql, const char *const *args, int n)
{
    wsql_stmt *st;
    int rc = wsql_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    for (int i = 0; i < n; i++)
        wsql_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
    rc = wsql_step(st);
    wsql_finalize(st);
    return rc;
}

/* One statement on a user, their sessions ended unless it added them, and
 * the audit record, in one transaction; WARD_ENOTFOUND when it touched no
 * row. */
static ward_status user_change(svc_state *s, const char *sql, const char *const *args, int n,
                               const char *name, const char *who, const char *action,
                               const char *detail, int add, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    ward_status rc = state_begin(s, err);
    if (rc == WARD_OK) {
        int step = run_text(s->db, sql, args, n);
        if (step == SQLITE_CONSTRAINT)
            rc = err_fail(err, WARD_EINVAL, "that user already exists");
        else if (step != SQLITE_DONE && step != SQLITE_ROW)
            rc = state_fail(s->db, err, "writing");
        else if (wsql_changes(s->db) == 0)
            rc = err_fail(err, WARD_ENOTFOUND, "no user '%s'", name);
        const char *end[] = {name};
        if (rc == WARD_OK && !add &&
            run_text(s->db, "DELETE FROM sessions WHERE \"user\" = ?", end, 1) != SQLITE_DONE)
            rc = state_fail(s->db, err, "ending the user's sessions");
        if (rc == WARD_OK)
            rc = state_audit_append(s, who, action, name, detail, err);
        rc = state_finish(s, rc, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status svc_user_add(svc_state *s, const char *name, const char *role, const char *unit,
                         const char *pwhash, const char *who, const char *detail,
                         ward_error *err)
{
    char now[32];
    svc_now(now);
    const char *args[] = {name, role, unit, pwhash, now, who};
    return user_change(s, "INSERT INTO users(name,role,unit,pwhash,created,created_by)"
                          " VALUES(?,?,?,?,?,?)", args, 6, name, who, "user.add", detail, 1, err);
}

ward_status svc_user_set(svc_state *s, const char *name, svc_user_field field,
                         const char *value, const char *unit, const char *who,
                         const char *detail, ward_error *err)
{
    switch (field) {
    case SVC_USER_DISABLE: {
        const char *args[] = {name};
        return user_change(s, "UPDATE users SET disabled = 1 WHERE name = ?", args, 1, name,
                           who, "user.disable", detail, 0, err);
    }
    case SVC_USER_ROLE: {
        const char *args[] = {value, unit, name};
        return user_change(s, "UPDATE users SET role = ?, unit = coalesce(?, unit)"
                              " WHERE name = ?", args, 3, name, who, "user.role", detail, 0, err);
    }
    case SVC_USER_PASSWORD: {
        const char *args[] = {value, name};
        return user_change(s, "UPDATE users SET pwhash = ? WHERE name = ?", args, 2, name, who,
                           "user.password", detail, 0, err);
    }
    case SVC_USER_TOTP: {
        const char *args[] = {value, name};
        return user_change(s, "UPDATE users SET totp_secret = ? WHERE name = ?", args, 2, name,
                           who, value ? "user.totp.enrol" : "user.totp.remove", detail, 0, err);
    }
    }
    return err_fail(err, WARD_EINVAL, "unknown change to a user");
}

#define USER_COLS "name, role, unit, disabled, totp_secret IS NOT NULL, created, created_by"

static void copy_col(char *dst, size_t cap, wsql_stmt *st, int i)
{
    const char *v = state_col(st, i);
    snprintf(dst, cap, "%s", v ? v : "");
}

static void user_row(wsql_stmt *st, svc_user_row *u)
{
    memset(u, 0, sizeof *u);
    copy_col(u->name, sizeof u->name, st, 0);
    copy_col(u->role, sizeof u->role, st, 1);
    copy_col(u->unit, sizeof u->unit, st, 2);
    u->disabled = wsql_column_int(st, 3);
    u->totp = wsql_column_int(st, 4);
    copy_col(u->created, sizeof u->created, st, 5);
    copy_col(u->created_by, sizeof u->created_by, st, 6);
}

ward_status svc_users_each(svc_state *s, int (*cb)(void *ctx, const svc_user_row *u),
                           void *ctx, ward_error *err)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(db, "SELECT " USER_COLS " FROM users ORDER BY name", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = state_fail(db, err, "reading users");
    } else {
        svc_user_row u;
        while (wsql_step(st) == SQLITE_ROW) {
            user_row(st, &u);
            if (cb(ctx, &u))
                break;
        }
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return rc;
}

int svc_user_get(svc_state *s, const char *name, svc_user_row *u, char *pwhash, size_t pcap,
                 char *totp, size_t tcap)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    int found = 0;
    if (wsql_prepare_v2(db, "SELECT " USER_COLS ", pwhash, coalesce(totp_secret, '')"
                            " FROM users WHERE name = ?", -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = wsql_step(st) == SQLITE_ROW;
        if (found) {
            user_row(st, u);
            if (pwhash)
                copy_col(pwhash, pcap, st, 7);
            if (totp)
                copy_col(totp, tcap, st, 8);
        }
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return found ? 0 : -1;
}

int svc_login_failures(svc_state *s, const char *name, double since)
{
    wsql *db = state_read_lock(s);
    wsql_stmt *st;
    int n = -1;
    if (wsql_prepare_v2(db, "SELECT count(*) FROM login_failures WHERE \"user\" = ? AND at > ?",
                        -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
        wsql_bind_double(st, 2, since);
        if (wsql_step(st) == SQLITE_ROW)
            n = wsql_column_int(st, 0);
        wsql_finalize(st);
    }
    state_read_unlock(s);
    return n;
}

void svc_login_failure_add(svc_state *s, const char *name, double now, double forget_before)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    if (wsql_prepare_v2(s->db, "DELETE FROM login_failures WHERE at < ?", -1, &st, NULL) ==
        SQLITE_OK) { /* what no longer counts */
        wsql_bind_double(st, 1, forget_before);
        wsql_step(st);
        wsql_finalize(st);
    }
    if (wsql_prepare_v2(s->db, "INSERT INTO login_failures(\"user\", at) VALUES(?, ?)", -1, &st,
                        NULL) == SQLITE_OK) {
        wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
        wsql_bind_double(st, 2, now);
        wsql_step(st);
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
}

void svc_login_failures_clear(svc_state *s, const char *name)
{
    const char *args[] = {name};
    pthread_mutex_lock(&s->lock);
    run_text(s->db, "DELETE FROM login_failures WHERE \"user\" = ?", args, 1);
    pthread_mutex_unlock(&s->lock);
}

ward_status svc_session_add(svc_state *s, const char *id_sha256, const char *user,
                            const char *csrf, double now, double idle_before,
                            double created_before, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    int rc = wsql_prepare_v2(s->db, "INSERT INTO sessions(id_sha256, \"user\", csrf, created,"
                                    " seen) VALUES(?,?,?,?,?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        wsql_bind_text(st, 1, id_sha256, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, user, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
        wsql_bind_double(st, 4, now);
        wsql_bind_double(st, 5, now);
        rc = wsql_step(st);
        wsql_finalize(st);
    }
    /* Expired sessions are swept here, at the only place they are made. */
    if (wsql_prepare_v2(s->db, "DELETE FROM sessions WHERE seen < ? OR created < ?", -1, &st,
                        NULL) == SQLITE_OK) {
        wsql_bind_double(st, 1, idle_before);
        wsql_bind_double(st, 2, created_before);
        wsql_step(st);
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_DONE ? WARD_OK
                             : err_fail(err, WARD_EIO, "service.db: cannot store the session");
}

int svc_session_touch(svc_state *s, const char *id_sha256, double idle_before,
                      double created_before, double now, char *user, size_t ucap, char *csrf,
                      size_t ccap)
{
    user[0] = '\0';
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    if (wsql_prepare_v2(s->db, "SELECT \"user\", csrf FROM sessions WHERE id_sha256 = ?"
                               " AND seen >= ? AND created >= ?", -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_text(st, 1, id_sha256, -1, SQLITE_STATIC);
        wsql_bind_double(st, 2, idle_before);
        wsql_bind_double(st, 3, created_before);
        if (wsql_step(st) == SQLITE_ROW) {
            copy_col(user, ucap, st, 0);
            copy_col(csrf, ccap, st, 1);
        }
        wsql_finalize(st);
    }
    if (user[0] && wsql_prepare_v2(s->db, "UPDATE sessions SET seen = ? WHERE id_sha256 = ?",
                                   -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_double(st, 1, now);
        wsql_bind_text(st, 2, id_sha256, -1, SQLITE_STATIC);
        wsql_step(st);
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return user[0] ? 0 : -1;
}

void svc_session_drop(svc_state *s, const char *id_sha256)
{
    const char *args[] = {id_sha256};
    pthread_mutex_lock(&s->lock);
    run_text(s->db, "DELETE FROM sessions WHERE id_sha256 = ?", args, 1);
    pthread_mutex_unlock(&s->lock);
}
