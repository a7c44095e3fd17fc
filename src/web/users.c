/*
 * Users of the web application: roles, units, Argon2id passwords, TOTP,
 * and the login check with its lockout. Stored in service.db (schema v2);
 * every change goes to the audit log in the same breath.
 */
#include "web/web.h"
#include "store/sql.h"
#include "util/error.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const role_names[WARD_ROLE_COUNT] = {
    "national-analyst", "hub-officer", "force-officer", "reviewer", "auditor", "admin"};

const char *ward_role_name(ward_role r)
{
    return (unsigned)r < WARD_ROLE_COUNT ? role_names[r] : NULL;
}

int ward_role_parse(const char *s)
{
    for (int i = 0; s && i < WARD_ROLE_COUNT; i++)
        if (strcmp(s, role_names[i]) == 0)
            return i;
    return -1;
}

static int name_ok(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len == 0 || len >= WARD_USER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)n[i]) && !strchr("._-", n[i]))
            return 0;
    return 1;
}

/* ---- TOTP (RFC 6238 over RFC 4226) ------------------------------------------ */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int base32_decode(const char *s, unsigned char *out, size_t cap)
{
    size_t n = 0;
    unsigned bits = 0, acc = 0;
    for (; *s && *s != '='; s++) {
        const char *p = strchr(b32, toupper((unsigned char)*s));
        if (!p || !*s)
            return -1;
        acc = (acc << 5) | (unsigned)(p - b32);
        bits += 5;
        if (bits >= 8) {
            if (n == cap)
                return -1;
            out[n++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return (int)n;
}

int ward_totp_code(const char *secret_b32, long long t)
{
    unsigned char key[64], msg[8], mac[EVP_MAX_MD_SIZE];
    int klen = secret_b32 ? base32_decode(secret_b32, key, sizeof key) : -1;
    if (klen <= 0)
        return -1;
    unsigned long long counter = (unsigned long long)(t / 30);
    for (int i = 7; i >= 0; i--, counter >>= 8)
        msg[i] = (unsigned char)(counter & 0xff);
    unsigned mlen = 0;
    if (!HMAC(EVP_sha1(), key, klen, msg, sizeof msg, mac, &mlen) || mlen < 20)
        return -1;
    int off = mac[mlen - 1] & 0x0f;
    unsigned long bin = ((unsigned long)(mac[off] & 0x7f) << 24) | ((unsigned long)mac[off + 1] << 16) |
                        ((unsigned long)mac[off + 2] << 8) | mac[off + 3];
    return (int)(bin % 1000000);
}

/* A code is accepted one step either side, for clocks a little apart. */
static int totp_ok(const char *secret, const char *code, double now)
{
    if (!code || strlen(code) != 6 || strspn(code, "0123456789") != 6)
        return 0;
    int want = atoi(code);
    for (int d = -1; d <= 1; d++)
        if (ward_totp_code(secret, (long long)now + d * 30) == want)
            return 1;
    return 0;
}

/* ---- changes from the CLI --------------------------------------------------- */

typedef ward_status (*user_change)(wsql *db, const void *arg, ward_error *err);

static ward_status sql_fail(wsql *db, ward_error *err, const char *what)
{
    return ward_fail(err, WARD_EIO, "service.db: %s: %s", what, wsql_errmsg(db));
}

/* Run one statement with text arguments (NULL binds NULL); *changes the
 * rows it touched. */
static ward_status exec_text(wsql *db, const char *sql, const char *const *args, int n,
                             int *changes, ward_error *err)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, "preparing");
    for (int i = 0; i < n; i++)
        wsql_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
    int rc = wsql_step(st);
    wsql_finalize(st);
    if (changes)
        *changes = wsql_changes(db);
    if (rc == SQLITE_CONSTRAINT)
        return ward_fail(err, WARD_EINVAL, "that user already exists");
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? WARD_OK : sql_fail(db, err, "writing");
}

/* Open service.db, run one statement, audit it. WARD_ENOTFOUND when it
 * touched no row. */
static ward_status change_user(const char *datadir, const char *sql, const char *const *args,
                               int n, const char *who, const char *action, const char *user,
                               const char *detail, ward_error *err)
{
    svc_state *s;
    ward_status rc = svc_open(datadir, &s, err);
    if (rc != WARD_OK)
        return rc;
    int changes = 0;
    wsql *db = svc_lock(s);
    rc = exec_text(db, sql, args, n, &changes, err);
    if (rc == WARD_OK && changes == 0)
        rc = ward_fail(err, WARD_ENOTFOUND, "no user '%s'", user);
    if (rc == WARD_OK && strcmp(action, "user.add") != 0) {
        const char *end[] = {user};
        /* a disabled user's sessions must end: a failure here is said */
        rc = exec_text(db, "DELETE FROM sessions WHERE \"user\" = ?", end, 1, NULL, err);
    }
    svc_unlock(s);
    if (rc == WARD_OK)
        rc = svc_audit(s, who, action, user, detail, err);
    svc_close(s);
    return rc;
}

static ward_status hash_password(const char *password, char out[crypto_pwhash_STRBYTES],
                                 ward_error *err)
{
    if (!password || strlen(password) < WARD_PASSWORD_MIN)
        return ward_fail(err, WARD_EINVAL, "a password needs at least %d characters",
                         WARD_PASSWORD_MIN);
    if (sodium_init() < 0)
        return ward_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return ward_fail(err, WARD_ENOMEM, "out of memory hashing the password");
    return WARD_OK;
}

static ward_status check_role_unit(ward_role role, const char *unit, ward_error *err)
{
    if (!ward_role_name(role))
        return ward_fail(err, WARD_EINVAL, "unknown role");
    if (!unit || !*unit || strlen(unit) >= 64)
        return ward_fail(err, WARD_EINVAL, "a user needs a unit (a force, a hub id, or "
                                           "'national')");
    return WARD_OK;
}

ward_status ward_user_add(const char *datadir, const char *name, ward_role role,
                          const char *unit, const char *password, const char *who,
                          ward_error *err)
{
    if (!name_ok(name))
        return ward_fail(err, WARD_EINVAL, "a user name is 1 to 63 of A-Z a-z 0-9 . _ -");
    ward_status rc = check_role_unit(role, unit, err);
    char hash[crypto_pwhash_STRBYTES];
    if (rc == WARD_OK)
        rc = hash_password(password, hash, err);
    if (rc != WARD_OK)
        return rc;
    char now[32], detail[160];
    svc_now(now);
    snprintf(detail, sizeof detail, "role=%s unit=%s", ward_role_name(role), unit);
    const char *args[] = {name, ward_role_name(role), unit, hash, now, who};
    rc = change_user(datadir, "INSERT INTO users(name,role,unit,pwhash,created,created_by)"
                              " VALUES(?,?,?,?,?,?)", args, 6, who, "user.add", name, detail, err);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

ward_status ward_user_disable(const char *datadir, const char *name, const char *who,
                              ward_error *err)
{
    const char *args[] = {name};
    return change_user(datadir, "UPDATE users SET disabled = 1 WHERE name = ?", args, 1, who,
                       "user.disable", name, NULL, err);
}

ward_status ward_user_set_role(const char *datadir, const char *name, ward_role role,
                               const char *unit, const char *who, ward_error *err)
{
    ward_status rc = check_role_unit(role, unit ? unit : "-", err);
    if (rc != WARD_OK)
        return rc;
    char detail[160];
    snprintf(detail, sizeof detail, "role=%s%s%s", ward_role_name(role), unit ? " unit=" : "",
             unit ? unit : "");
    const char *args[] = {ward_role_name(role), unit, name};
    return change_user(datadir, "UPDATE users SET role = ?, unit = coalesce(?, unit)"
                                " WHERE name = ?", args, 3, who, "user.role", name, detail, err);
}

ward_status ward_user_set_password(const char *datadir, const char *name, const char *password,
                                   const char *who, ward_error *err)
{
    char hash[crypto_pwhash_STRBYTES];
    ward_status rc = hash_password(password, hash, err);
    if (rc != WARD_OK)
        return rc;
    const char *args[] = {hash, name};
    rc = change_user(datadir, "UPDATE users SET pwhash = ? WHERE name = ?", args, 2, who,
                     "user.password", name, NULL, err);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

ward_status ward_user_totp(const char *datadir, const char *name, int enable,
                           char secret_b32[40], const char *who, ward_error *err)
{
    char secret[40] = "";
    if (enable) {
        unsigned char raw[20];
        if (sodium_init() < 0)
            return ward_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
        randombytes_buf(raw, sizeof raw);
        for (int i = 0; i < 32; i++) {  /* 160 bits -> 32 base32 characters */
            int bit = i * 5, byte = bit / 8, shift = bit % 8;
            unsigned v = ((unsigned)raw[byte] << 8 | (byte + 1 < 20 ? raw[byte + 1] : 0));
            secret[i] = b32[(v >> (11 - shift)) & 31];
        }
        secret[32] = 0;
    }
    const char *args[] = {enable ? secret : NULL, name};
    ward_status rc = change_user(datadir, "UPDATE users SET totp_secret = ? WHERE name = ?", args,
                                 2, who, enable ? "user.totp.enrol" : "user.totp.remove", name,
                                 NULL, err);
    if (rc == WARD_OK && secret_b32)
        memcpy(secret_b32, secret, sizeof secret);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

#define USER_COLS "name, role, unit, disabled, totp_secret IS NOT NULL, created, created_by"

static void user_row(wsql_stmt *st, ward_user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", (const char *)wsql_column_text(st, 0));
    int r = ward_role_parse((const char *)wsql_column_text(st, 1));
    u->role = r < 0 ? WARD_ROLE_COUNT : (ward_role)r;
    snprintf(u->unit, sizeof u->unit, "%s", (const char *)wsql_column_text(st, 2));
    u->disabled = wsql_column_int(st, 3);
    u->totp = wsql_column_int(st, 4);
    snprintf(u->created, sizeof u->created, "%s", (const char *)wsql_column_text(st, 5));
    snprintf(u->created_by, sizeof u->created_by, "%s", (const char *)wsql_column_text(st, 6));
}

ward_status ward_user_list(const char *datadir, int (*cb)(void *ctx, const ward_user *u),
                           void *ctx, ward_error *err)
{
    svc_state *s;
    ward_status rc = svc_open(datadir, &s, err);
    if (rc != WARD_OK)
        return rc;
    wsql *db = svc_lock(s);
    wsql_stmt *st;
    if (wsql_prepare_v2(db, "SELECT " USER_COLS " FROM users ORDER BY name", -1, &st, NULL) !=
        SQLITE_OK)
        rc = sql_fail(db, err, "reading users");
    else {
        ward_user u;
        while (wsql_step(st) == SQLITE_ROW) {
            user_row(st, &u);
            if (cb(ctx, &u))
                break;
        }
        wsql_finalize(st);
    }
    svc_unlock(s);
    svc_close(s);
    return rc;
}

/* Under the lock: the user and their password hash and TOTP secret. */
static int user_load(wsql *db, const char *name, ward_user *u, char *pwhash, size_t pcap,
                     char *totp, size_t tcap)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(db, "SELECT " USER_COLS ", pwhash, coalesce(totp_secret, '')"
                            " FROM users WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int found = wsql_step(st) == SQLITE_ROW;
    if (found) {
        user_row(st, u);
        if (pwhash)
            snprintf(pwhash, pcap, "%s", (const char *)wsql_column_text(st, 7));
        if (totp)
            snprintf(totp, tcap, "%s", (const char *)wsql_column_text(st, 8));
    }
    wsql_finalize(st);
    return found ? 0 : -1;
}

int web_user_get(svc_state *s, const char *name, ward_user *u)
{
    wsql *db = svc_lock(s);
    int rc = user_load(db, name, u, NULL, 0, NULL, 0);
    svc_unlock(s);
    return rc;
}

static int recent_failures(wsql *db, const char *name, double now)
{
    wsql_stmt *st;
    int n = 0;
    if (wsql_prepare_v2(db, "SELECT count(*) FROM login_failures WHERE \"user\" = ? AND at > ?",
                        -1, &st, NULL) != SQLITE_OK)
        return WEB_MAX_FAILURES; /* cannot tell: fail closed */
    wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
    wsql_bind_double(st, 2, now - WEB_LOCKOUT_S);
    if (wsql_step(st) == SQLITE_ROW)
        n = wsql_column_int(st, 0);
    wsql_finalize(st);
    return n;
}

static void note_failure(wsql *db, const char *name, double now)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(db, "DELETE FROM login_failures WHERE at < ?", -1, &st, NULL) ==
        SQLITE_OK) {   /* what no longer counts */
        wsql_bind_double(st, 1, now - WEB_LOCKOUT_S);
        wsql_step(st);
        wsql_finalize(st);
    }
    if (wsql_prepare_v2(db, "INSERT INTO login_failures(\"user\", at) VALUES(?, ?)", -1, &st,
                        NULL) != SQLITE_OK)
        return;
    wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
    wsql_bind_double(st, 2, now);
    wsql_step(st);
    wsql_finalize(st);
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void make_dummy(void)
{
    if (sodium_init() < 0 ||
        crypto_pwhash_str(dummy_hash, "not-a-password", 14, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy_hash[0] = 0;
}

web_login_result web_login(svc_state *s, const char *name, const char *password,
                           const char *totp, double now, ward_user *u)
{
    char pwhash[crypto_pwhash_STRBYTES] = "", secret[64] = "";
    if (!name_ok(name) || !password)
        return LOGIN_BAD;
    wsql *db = svc_lock(s);
    int found = user_load(db, name, u, pwhash, sizeof pwhash, secret, sizeof secret) == 0;
    int locked = recent_failures(db, name, now) >= WEB_MAX_FAILURES;
    svc_unlock(s);
    if (locked)
        return LOGIN_LOCKED;
    /* The Argon2 work is done for unknown users too (against a fixed
     * dummy hash) so that the answer's timing does not reveal names. */
    if (!found || !pwhash[0]) {
        pthread_once(&dummy_once, make_dummy);
        snprintf(pwhash, sizeof pwhash, "%s", dummy_hash);
    }
    int pw_ok = pwhash[0] &&
                crypto_pwhash_str_verify(pwhash, password, strlen(password)) == 0 && found &&
                !u->disabled;
    web_login_result r = LOGIN_OK;
    if (!pw_ok)
        r = LOGIN_BAD;
    else if (secret[0] && !(totp && *totp))
        r = LOGIN_NEED_TOTP;
    else if (secret[0] && !totp_ok(secret, totp, now))
        r = LOGIN_BAD;
    db = svc_lock(s);
    if (r == LOGIN_BAD)
        note_failure(db, name, now);
    else if (r == LOGIN_OK) {
        const char *args[] = {name};
        /* a stale failure count only locks out sooner; the login stands */
        (void)exec_text(db, "DELETE FROM login_failures WHERE \"user\" = ?", args, 1, NULL,
                        NULL);
    }
    svc_unlock(s);
    sodium_memzero(secret, sizeof secret);
    return r;
}
