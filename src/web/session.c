/*
 * Web sessions. The browser holds a random 256-bit id; service.db holds
 * only its SHA-256, so a copy of the database does not let anyone log in.
 * A session ends after WEB_SESSION_IDLE_S without a request, after
 * WEB_SESSION_MAX_S in all, at logout, or when its user is disabled or
 * changed. Each session has its own CSRF token for the forms it is shown.
 */
#include "web/web.h"
#include "store/sql.h"
#include "util/error.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void sha256_hex(const char *s, char out[65])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, 65, h, sizeof h);
}

static void random_hex(char out[65])
{
    uint8_t r[32];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(out, 65, r, sizeof r);
}

ward_status web_session_new(svc_state *s, const char *user, double now, char cookie[65],
                            web_session *out, ward_error *err)
{
    if (sodium_init() < 0)
        return ward_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
    memset(out, 0, sizeof *out);
    random_hex(cookie);
    random_hex(out->csrf);
    sha256_hex(cookie, out->id_sha256);
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    int rc = wsql_prepare_v2(db, "INSERT INTO sessions(id_sha256, \"user\", csrf, created, seen)"
                                 " VALUES(?,?,?,?,?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        wsql_bind_text(st, 1, out->id_sha256, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, user, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, out->csrf, -1, SQLITE_STATIC);
        wsql_bind_double(st, 4, now);
        wsql_bind_double(st, 5, now);
        rc = wsql_step(st);
        wsql_finalize(st);
    }
    /* Expired sessions are swept here, at the only place they are made. */
    if (wsql_prepare_v2(db, "DELETE FROM sessions WHERE seen < ? OR created < ?", -1, &st,
                        NULL) == SQLITE_OK) {
        wsql_bind_double(st, 1, now - WEB_SESSION_IDLE_S);
        wsql_bind_double(st, 2, now - WEB_SESSION_MAX_S);
        wsql_step(st);
        wsql_finalize(st);
    }
    svc_unlock(s);
    if (rc != SQLITE_DONE)
        return ward_fail(err, WARD_EIO, "service.db: cannot store the session");
    return web_user_get(s, user, &out->user) == 0
               ? WARD_OK : ward_fail(err, WARD_ENOTFOUND, "no user '%s'", user);
}

int web_session_get(svc_state *s, const char *cookie, double now, web_session *out)
{
    if (!cookie || strlen(cookie) != 64 || strspn(cookie, "0123456789abcdef") != 64)
        return -1;
    memset(out, 0, sizeof *out);
    sha256_hex(cookie, out->id_sha256);
    char user[WARD_USER_NAME_MAX] = "";
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    if (wsql_prepare_v2(db, "SELECT \"user\", csrf FROM sessions WHERE id_sha256 = ?"
                            " AND seen >= ? AND created >= ?", -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_text(st, 1, out->id_sha256, -1, SQLITE_STATIC);
        wsql_bind_double(st, 2, now - WEB_SESSION_IDLE_S);
        wsql_bind_double(st, 3, now - WEB_SESSION_MAX_S);
        if (wsql_step(st) == SQLITE_ROW) {
            snprintf(user, sizeof user, "%s", (const char *)wsql_column_text(st, 0));
            snprintf(out->csrf, sizeof out->csrf, "%s", (const char *)wsql_column_text(st, 1));
        }
        wsql_finalize(st);
    }
    if (user[0] && wsql_prepare_v2(db, "UPDATE sessions SET seen = ? WHERE id_sha256 = ?", -1,
                                   &st, NULL) == SQLITE_OK) {
        wsql_bind_double(st, 1, now);
        wsql_bind_text(st, 2, out->id_sha256, -1, SQLITE_STATIC);
        wsql_step(st);
        wsql_finalize(st);
    }
    svc_unlock(s);
    if (!user[0] || web_user_get(s, user, &out->user) != 0 || out->user.disabled)
        return -1;
    return 0;
}

void web_session_end(svc_state *s, const char *id_sha256)
{
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    if (wsql_prepare_v2(db, "DELETE FROM sessions WHERE id_sha256 = ?", -1, &st, NULL) ==
        SQLITE_OK) {
        wsql_bind_text(st, 1, id_sha256, -1, SQLITE_STATIC);
        wsql_step(st);
        wsql_finalize(st);
    }
    svc_unlock(s);
}
