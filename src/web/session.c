/*
 * Web sessions. The browser holds a random 256-bit id; service.db holds
 * only its SHA-256, so a copy of the database does not let anyone log in.
 * A session ends after WEB_SESSION_IDLE_S without a request, after
 * WEB_SESSION_MAX_S in all, at logout, or when its user is disabled or
 * changed. Each session has its own CSRF token for the forms it is shown.
 */
#include "web/web.h"
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
        return err_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
    memset(out, 0, sizeof *out);
    random_hex(cookie);
    random_hex(out->csrf);
    sha256_hex(cookie, out->id_sha256);
    ward_status rc = svc_session_add(s, out->id_sha256, user, out->csrf, now,
                                     now - WEB_SESSION_IDLE_S, now - WEB_SESSION_MAX_S, err);
    if (rc != WARD_OK)
        return rc;
    return web_user_get(s, user, &out->user) == 0
               ? WARD_OK : err_fail(err, WARD_ENOTFOUND, "no user '%s'", user);
}

int web_session_get(svc_state *s, const char *cookie, double now, web_session *out)
{
    if (!cookie || strlen(cookie) != 64 || strspn(cookie, "0123456789abcdef") != 64)
        return -1;
    memset(out, 0, sizeof *out);
    sha256_hex(cookie, out->id_sha256);
    char user[WARD_USER_NAME_MAX] = "";
    svc_session_touch(s, out->id_sha256, now - WEB_SESSION_IDLE_S, now - WEB_SESSION_MAX_S, now,
                      user, sizeof user, out->csrf, sizeof out->csrf);
    if (!user[0] || web_user_get(s, user, &out->user) != 0 || out->user.disabled)
        return -1;
    return 0;
}

void web_session_end(svc_state *s, const char *id_sha256)
{
    svc_session_drop(s, id_sha256);
}
