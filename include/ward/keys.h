/*
 * keys.h -- Ed25519 keys that sign hash-list releases (libsodium).
 *
 * A publisher has one signing key in its data directory:
 *   <datadir>/keys/release.key   secret key, mode 0600 (refused if group or
 *                                others may read it)
 *   <datadir>/keys/release.pub   public key, to hand to subscribers
 * A subscriber keeps the public keys it trusts in <datadir>/trusted-keys/,
 * one <id>.pub file each.
 *
 * Public key text (one line, what `ward keys export` prints):
 *   ward-ed25519 <base64 of the 32-byte key> <id>
 * The id is the first 8 bytes of the BLAKE2b digest of the key as 16 hex
 * digits: short enough to type, long enough to name one key.
 */
#ifndef WARD_KEYS_H
#define WARD_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

#define WARD_KEY_SIG_BYTES 64
#define WARD_PUBKEY_TEXT_MAX 128

typedef struct ward_pubkey {
    uint8_t pk[32];
    char id[17];           /* 16 lower-case hex digits */
} ward_pubkey;

typedef struct ward_seckey {
    uint8_t sk[64];        /* libsodium's seed || public key */
    ward_pubkey pub;
} ward_seckey;

/* Create a new key pair in <datadir>/keys. An existing key is kept
 * (WARD_EINVAL) unless `force`. *pub (may be NULL) gets the public key. */
ward_status ward_key_generate(const char *datadir, int force, ward_pubkey *pub,
                              ward_error *err);

/* Path of the secret key: `path` if not NULL, else <datadir>/keys/release.key.
 * Loading refuses (WARD_EINVAL) a file that group or others may read. */
ward_status ward_key_load_secret(const char *datadir, const char *path, ward_seckey *out,
                                 ward_error *err);
/* Forget a secret key (zeroes it). */
void ward_key_wipe(ward_seckey *key);

/* One-line text of a public key (see above), NUL-terminated. */
void ward_pubkey_format(const ward_pubkey *key, char out[WARD_PUBKEY_TEXT_MAX]);
/* Parse that text (trailing blanks and newline allowed; an id given must
 * match the key). WARD_EFORMAT if it is not a ward public key. */
ward_status ward_pubkey_parse(const char *text, ward_pubkey *out, ward_error *err);

/* The publisher's own public key (<datadir>/keys/release.pub). */
ward_status ward_key_load_public(const char *datadir, ward_pubkey *out, ward_error *err);

/* Trust a public key: written to <datadir>/trusted-keys/<id>.pub. */
ward_status ward_key_trust(const char *datadir, const ward_pubkey *key, ward_error *err);

/*
 * A key named by `spec`: the id of a trusted key (or a unique prefix of at
 * least 8 digits), a file holding public key text, or the text itself.
 * WARD_ENOTFOUND if it names no key.
 */
ward_status ward_key_resolve(const char *datadir, const char *spec, ward_pubkey *out,
                             ward_error *err);

typedef int (*ward_key_cb)(void *ctx, const ward_pubkey *key);
/* Every trusted key, by id. */
ward_status ward_keys_trusted(const char *datadir, ward_key_cb cb, void *ctx,
                              ward_error *err);

/* Detached Ed25519 signature of n bytes. */
void ward_key_sign(const ward_seckey *key, const void *msg, size_t n,
                   uint8_t sig[WARD_KEY_SIG_BYTES]);
/* 1 if sig is key's signature of the n bytes, else 0. */
int ward_key_verify(const ward_pubkey *key, const void *msg, size_t n,
                    const uint8_t sig[WARD_KEY_SIG_BYTES]);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
