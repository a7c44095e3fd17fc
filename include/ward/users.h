/*
 * users.h -- the people of the web application that `ward serve` offers
 * analysts, and what each may see.
 *
 * A user has a role and a unit. The role says what they may do; the unit
 * (a force name as the routing rules spell it, or a hub id) says which
 * compartment of the intelligence they may see:
 *
 *   national-analyst  every package and subject
 *   hub-officer       packages held by their hub and by its region's forces
 *   force-officer     packages held by their force
 *   reviewer          the match review queue (platform matches)
 *   auditor           the audit log (search), nothing of the intelligence
 *   admin             users; the audit log
 *
 * Passwords are kept only as libsodium Argon2id strings (crypto_pwhash_str,
 * interactive limits). Users live in the service store (<datadir>/service.db,
 * or its PostgreSQL schema) beside the API keys; every change is written to
 * its hash-chained audit log.
 */
#ifndef WARD_USERS_H
#define WARD_USERS_H

#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef enum ward_role {
    WARD_ROLE_NATIONAL = 0, WARD_ROLE_HUB, WARD_ROLE_FORCE, WARD_ROLE_REVIEWER,
    WARD_ROLE_AUDITOR, WARD_ROLE_ADMIN, WARD_ROLE_COUNT
} ward_role;

/* "national-analyst", ... ; NULL for no role. */
const char *ward_role_name(ward_role r);
/* The role named `s`, or -1. */
int ward_role_parse(const char *s);

#define WARD_USER_NAME_MAX 64
#define WARD_PASSWORD_MIN 12

typedef struct ward_user {
    char name[WARD_USER_NAME_MAX];
    ward_role role;
    char unit[64];
    int disabled;
    int totp;           /* a second factor is enrolled */
    char created[32];
    char created_by[64];
} ward_user;

/* Add a user. Names are [A-Za-z0-9._-]{1,63}; the password must have at
 * least WARD_PASSWORD_MIN bytes. WARD_EINVAL for a bad name, role, unit or
 * password, or a name already taken. */
ward_status ward_user_add(const char *datadir, const char *store_url, const char *key_file,
                          const char *name, ward_role role, const char *unit, const char *password,
                          const char *who, ward_error *err);
/* Disable a user: they cannot log in and their sessions end at once. */
ward_status ward_user_disable(const char *datadir, const char *store_url, const char *key_file,
                              const char *name, const char *who, ward_error *err);
/* Change a user's role and, unless unit is NULL, unit. */
ward_status ward_user_set_role(const char *datadir, const char *store_url, const char *key_file,
                               const char *name, ward_role role, const char *unit, const char *who,
                               ward_error *err);
/* Set a new password (and end the user's sessions). */
ward_status ward_user_set_password(const char *datadir, const char *store_url, const char *key_file,
                                   const char *name, const char *password, const char *who,
                                   ward_error *err);
/* Enrol a TOTP second factor (RFC 6238, SHA-1, 6 digits, 30 s): a fresh
 * random secret, written as base32 into secret_b32 (at least 33 bytes) for
 * the user's authenticator; disable with enable = 0. */
ward_status ward_user_totp(const char *datadir, const char *store_url, const char *key_file,
                           const char *name, int enable, char secret_b32[40], const char *who,
                           ward_error *err);
/* Every user, by name; a non-zero return from cb stops. */
ward_status ward_user_list(const char *datadir, const char *store_url, const char *key_file,
                           int (*cb)(void *ctx, const ward_user *u), void *ctx, ward_error *err);

/* The RFC 6238 code of a base32 secret for Unix time t (-1 if the secret
 * is not base32). */
int ward_totp_code(const char *secret_b32, long long t);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
