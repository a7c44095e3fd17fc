/*
 * Users of the web application: roles, units, Argon2id passwords, TOTP,
 * and the login check with its lockout. Stored in service.db (schema v2);
 * every change goes to the audit log in the same breath.
 */
#include "web/web.h"
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

/* Open service.db, make one change (with its audit record). */
static ward_status change_user(const char *datadir, const char *store_url, const char *key_file,
                               const char *name, svc_user_field field, const char *value,
                               const char *unit, const char *who, const char *detail,
                               ward_error *err)
{
    svc_state *s;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc != WARD_OK)
        return rc;
    rc = svc_user_set(s, name, field, value, unit, who, detail, err);
    svc_close(s);
    return rc;
}

static ward_status hash_password(const char *password, char out[crypto_pwhash_STRBYTES],
                                 ward_error *err)
{
    if (!password || strlen(password) < WARD_PASSWORD_MIN)
        return err_fail(err, WARD_EINVAL, "a password needs at least %d characters",
                         WARD_PASSWORD_MIN);
    if (sodium_init() < 0)
        return err_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return err_fail(err, WARD_ENOMEM, "out of memory hashing the password");
    return WARD_OK;
}

static ward_status check_role_unit(ward_role role, const char *unit, ward_error *err)
{
    if (!ward_role_name(role))
        return err_fail(err, WARD_EINVAL, "unknown role");
    if (!unit || !*unit || strlen(unit) >= 64)
        return err_fail(err, WARD_EINVAL, "a user needs a unit (a force, a hub id, or "
                                           "'national')");
    return WARD_OK;
}

ward_status ward_user_add(const char *datadir, const char *store_url, const char *key_file,
                          const char *name, ward_role role, const char *unit, const char *password,
                          const char *who, ward_error *err)
{
    if (!name_ok(name))
        return err_fail(err, WARD_EINVAL, "a user name is 1 to 63 of A-Z a-z 0-9 . _ -");
    ward_status rc = check_role_unit(role, unit, err);
    char hash[crypto_pwhash_STRBYTES];
    if (rc == WARD_OK)
        rc = hash_password(password, hash, err);
    if (rc != WARD_OK)
        return rc;
    char detail[160];
    snprintf(detail, sizeof detail, "role=%s unit=%s", ward_role_name(role), unit);
    svc_state *s;
    rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc == WARD_OK)
        rc = svc_user_add(s, name, ward_role_name(role), unit, hash, who, detail, err);
    svc_close(s);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

ward_status ward_user_disable(const char *datadir, const char *store_url, const char *key_file,
                              const char *name, const char *who, ward_error *err)
{
    return change_user(datadir, store_url, key_file, name, SVC_USER_DISABLE, NULL, NULL, who, NULL,
                       err);
}

ward_status ward_user_set_role(const char *datadir, const char *store_url, const char *key_file,
                               const char *name, ward_role role, const char *unit, const char *who,
                               ward_error *err)
{
    ward_status rc = check_role_unit(role, unit ? unit : "-", err);
    if (rc != WARD_OK)
        return rc;
    char detail[160];
    snprintf(detail, sizeof detail, "role=%s%s%s", ward_role_name(role), unit ? " unit=" : "",
             unit ? unit : "");
    return change_user(datadir, store_url, key_file, name, SVC_USER_ROLE, ward_role_name(role),
                       unit, who, detail, err);
}

ward_status ward_user_set_password(const char *datadir, const char *store_url, const char *key_file,
                                   const char *name, const char *password, const char *who,
                                   ward_error *err)
{
    char hash[crypto_pwhash_STRBYTES];
    ward_status rc = hash_password(password, hash, err);
    if (rc != WARD_OK)
        return rc;
    rc = change_user(datadir, store_url, key_file, name, SVC_USER_PASSWORD, hash, NULL, who, NULL,
                     err);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

ward_status ward_user_totp(const char *datadir, const char *store_url, const char *key_file,
                           const char *name, int enable, char secret_b32[40], const char *who,
                           ward_error *err)
{
    char secret[40] = "";
    if (enable) {
        unsigned char raw[20];
        if (sodium_init() < 0)
            return err_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
        randombytes_buf(raw, sizeof raw);
        for (int i = 0; i < 32; i++) {  /* 160 bits -> 32 base32 characters */
            int bit = i * 5, byte = bit / 8, shift = bit % 8;
            unsigned v = ((unsigned)raw[byte] << 8 | (byte + 1 < 20 ? raw[byte + 1] : 0));
            secret[i] = b32[(v >> (11 - shift)) & 31];
        }
        secret[32] = 0;
    }
    ward_status rc = change_user(datadir, store_url, key_file, name, SVC_USER_TOTP,
                                 enable ? secret : NULL, NULL, who, NULL, err);
    if (rc == WARD_OK && secret_b32)
        memcpy(secret_b32, secret, sizeof secret);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

static void user_from_row(const svc_user_row *r, ward_user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", r->name);
    int role = ward_role_parse(r->role);
    u->role = role < 0 ? WARD_ROLE_COUNT : (ward_role)role;
    snprintf(u->unit, sizeof u->unit, "%s", r->unit);
    u->disabled = r->disabled;
    u->totp = r->totp;
    snprintf(u->created, sizeof u->created, "%s", r->created);
    snprintf(u->created_by, sizeof u->created_by, "%s", r->created_by);
}

typedef struct list_ctx {
    int (*cb)(void *ctx, const ward_user *u);
    void *ctx;
} list_ctx;

static int list_one(void *ctx, const svc_user_row *r)
{
    list_ctx *l = ctx;
    ward_user u;
    user_from_row(r, &u);
    return l->cb(l->ctx, &u);
}

ward_status ward_user_list(const char *datadir, const char *store_url, const char *key_file,
                           int (*cb)(void *ctx, const ward_user *u), void *ctx, ward_error *err)
{
    svc_state *s;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc != WARD_OK)
        return rc;
    list_ctx l = {cb, ctx};
    rc = svc_users_each(s, list_one, &l, err);
    svc_close(s);
    return rc;
}

/* The user and their password hash and TOTP secret. */
static int user_load(svc_state *s, const char *name, ward_user *u, char *pwhash, size_t pcap,
                     char *totp, size_t tcap)
{
    svc_user_row r;
    if (svc_user_get(s, name, &r, pwhash, pcap, totp, tcap) != 0)
        return -1;
    user_from_row(&r, u);
    sodium_memzero(&r, sizeof r);
    return 0;
}

int web_user_get(svc_state *s, const char *name, ward_user *u)
{
    return user_load(s, name, u, NULL, 0, NULL, 0);
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
    int found = user_load(s, name, u, pwhash, sizeof pwhash, secret, sizeof secret) == 0;
    int failures = svc_login_failures(s, name, now - WEB_LOCKOUT_S);
    int locked = failures < 0 || failures >= WEB_MAX_FAILURES; /* cannot tell: fail closed */
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
    if (r == LOGIN_BAD)
        svc_login_failure_add(s, name, now, now - WEB_LOCKOUT_S);
    else if (r == LOGIN_OK)
        svc_login_failures_clear(s, name);
    sodium_memzero(secret, sizeof secret);
    return r;
}
