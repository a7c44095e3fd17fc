/*
 * Release signing keys: Ed25519 through libsodium. The secret key never
 * leaves <datadir>/keys/release.key, which must stay private to its owner:
 * a key others could read is refused rather than used, because a signature
 * is only worth as much as the secrecy of the key behind it.
 */
#include "release/rel_int.h"
#include "util/error.h"
#include "util/path.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ward/keys.h>

static const char PUB_TAG[] = "ward-ed25519";
static const char SEC_TAG[] = "ward-ed25519-secret";

static ward_status need_sodium(ward_error *err)
{
    /* sodium_init is idempotent and thread-safe; it keeps libsodium's own
     * state, not ours. */
    return sodium_init() < 0 ? err_fail(err, WARD_EINTERNAL, "libsodium failed to start")
                             : WARD_OK;
}

static void key_id(ward_pubkey *k)
{
    uint8_t h[8];
    crypto_generichash(h, sizeof h, k->pk, sizeof k->pk, NULL, 0);
    for (int i = 0; i < 8; i++)
        snprintf(k->id + 2 * i, 3, "%02x", h[i]);
}

void ward_pubkey_format(const ward_pubkey *key, char out[WARD_PUBKEY_TEXT_MAX])
{
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, key->pk, sizeof key->pk,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, WARD_PUBKEY_TEXT_MAX, "%s %s %s", PUB_TAG, b64, key->id);
}

/* Split "tag base64 [id]" and decode the base64 into n bytes. */
static ward_status parse_key_line(const char *text, const char *tag, uint8_t *bytes, size_t n,
                                  char id[17], ward_error *err)
{
    char t[32], b64[128], given[40] = "";
    int got = sscanf(text, "%31s %127s %39s", t, b64, given);
    size_t len = 0;
    if (got < 2 || strcmp(t, tag) != 0 ||
        sodium_base642bin(bytes, n, b64, strlen(b64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != n)
        return err_fail(err, WARD_EFORMAT, "not a ward %s key: expected '%s BASE64%s'",
                         tag == PUB_TAG ? "public" : "secret", tag, tag == PUB_TAG ? " ID" : "");
    snprintf(id, 17, "%s", given);
    return WARD_OK;
}

ward_status ward_pubkey_parse(const char *text, ward_pubkey *out, ward_error *err)
{
    ward_status rc = need_sodium(err);
    char given[17];
    if (rc || (rc = parse_key_line(text, PUB_TAG, out->pk, sizeof out->pk, given, err)))
        return rc;
    key_id(out);
    if (given[0] && strcmp(given, out->id) != 0)
        return err_fail(err, WARD_EFORMAT,
                         "public key text says id %s but the key's id is %s", given, out->id);
    return WARD_OK;
}

static char *key_path(const char *datadir, const char *name)
{
    return rel_fmt("%s/keys/%s", datadir, name);
}

ward_status ward_key_generate(const char *datadir, int force, ward_pubkey *pub,
                              ward_error *err)
{
    ward_status rc = need_sodium(err);
    if (rc)
        return rc;
    char *dir = rel_fmt("%s/keys", datadir), *sec = key_path(datadir, "release.key"),
         *pubp = key_path(datadir, "release.pub");
    ward_seckey k;
    if (!dir || !sec || !pubp) {
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
        goto out;
    }
    if (!force && rel_exists(sec)) {
        rc = err_fail(err, WARD_EINVAL,
                       "%s exists: a new key would orphan every subscriber that trusts "
                       "the old one (use --force to replace it)", sec);
        goto out;
    }
    if ((rc = path_mkdirs(dir, err)))
        goto out;
    crypto_sign_keypair(k.pub.pk, k.sk);
    key_id(&k.pub);
    char text[256], b64[128];
    sodium_bin2base64(b64, sizeof b64, k.sk, sizeof k.sk, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(text, sizeof text, "%s %s\n", SEC_TAG, b64);
    rc = rel_write_atomic(sec, text, (size_t)n, 0600, err);
    sodium_memzero(text, sizeof text);
    sodium_memzero(b64, sizeof b64);
    if (rc == WARD_OK) {
        ward_pubkey_format(&k.pub, text);
        strcat(text, "\n");
        rc = rel_write_atomic(pubp, text, strlen(text), 0644, err);
    }
    if (rc == WARD_OK && pub)
        *pub = k.pub;
    ward_key_wipe(&k);
out:
    free(dir);
    free(sec);
    free(pubp);
    return rc;
}

ward_status ward_key_load_secret(const char *datadir, const char *path, ward_seckey *out,
                                 ward_error *err)
{
    ward_status rc = need_sodium(err);
    if (rc)
        return rc;
    char *own = path ? NULL : key_path(datadir, "release.key");
    const char *p = path ? path : own;
    if (!p)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    struct stat st;
    char *text = NULL;
    if (stat(p, &st) != 0) {
        rc = errno == ENOENT ? err_fail(err, WARD_ENOTFOUND,
                                         "%s: no signing key (run 'ward keys generate')", p)
                             : err_fail_errno(err, errno, "cannot read %s", p);
    } else if (st.st_mode & 077) {
        rc = err_fail(err, WARD_EINVAL,
                       "%s: secret key is readable by others (mode %04o); refusing to use "
                       "it: chmod 600 it, and consider it compromised if others did read it",
                       p, (unsigned)(st.st_mode & 07777));
    } else if ((rc = rel_read_file(p, 4096, &text, NULL, err)) == WARD_OK) {
        char unused[17];
        rc = parse_key_line(text, SEC_TAG, out->sk, sizeof out->sk, unused, err);
        if (rc)
            err_fail(err, rc, "%s: not a ward secret key", p);
        sodium_memzero(text, strlen(text));
    }
    if (rc == WARD_OK) {
        crypto_sign_ed25519_sk_to_pk(out->pub.pk, out->sk);
        key_id(&out->pub);
    }
    free(text);
    free(own);
    return rc;
}

void ward_key_wipe(ward_seckey *key)
{
    if (key)
        sodium_memzero(key, sizeof *key);
}

static ward_status load_pub_file(const char *path, ward_pubkey *out, ward_error *err)
{
    char *text;
    ward_status rc = rel_read_file(path, 4096, &text, NULL, err);
    if (rc)
        return rc;
    rc = ward_pubkey_parse(text, out, err);
    if (rc)
        err_fail(err, rc, "%s: not a ward public key", path);
    free(text);
    return rc;
}

ward_status ward_key_load_public(const char *datadir, ward_pubkey *out, ward_error *err)
{
    char *p = key_path(datadir, "release.pub");
    if (!p)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = load_pub_file(p, out, err);
    if (rc == WARD_ENOTFOUND)
        err_fail(err, rc, "%s: no signing key (run 'ward keys generate')", p);
    free(p);
    return rc;
}

ward_status ward_key_trust(const char *datadir, const ward_pubkey *key, ward_error *err)
{
    char *dir = rel_fmt("%s/trusted-keys", datadir);
    char *p = rel_fmt("%s/trusted-keys/%s.pub", datadir, key->id);
    ward_status rc = !dir || !p ? err_fail(err, WARD_ENOMEM, "out of memory")
                                : path_mkdirs(dir, err);
    if (rc == WARD_OK) {
        char text[WARD_PUBKEY_TEXT_MAX + 1];
        ward_pubkey_format(key, text);
        strcat(text, "\n");
        rc = rel_write_atomic(p, text, strlen(text), 0644, err);
    }
    free(dir);
    free(p);
    return rc;
}

typedef struct trusted_walk {
    ward_key_cb cb;
    void *ctx;
    ward_status rc;
    ward_error *err;
} trusted_walk;

static int trusted_file(void *ctx, const char *dir, const char *name)
{
    trusted_walk *w = ctx;
    size_t len = strlen(name);
    if (len != 20 || strcmp(name + 16, ".pub") != 0)
        return 0;
    char *p = rel_fmt("%s/%s", dir, name);
    ward_pubkey k;
    w->rc = p ? load_pub_file(p, &k, w->err) : err_fail(w->err, WARD_ENOMEM, "out of memory");
    free(p);
    return w->rc != WARD_OK || w->cb(w->ctx, &k);
}

ward_status ward_keys_trusted(const char *datadir, ward_key_cb cb, void *ctx,
                              ward_error *err)
{
    char *dir = rel_fmt("%s/trusted-keys", datadir);
    if (!dir)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    trusted_walk w = {cb, ctx, WARD_OK, err};
    rel_each_name(dir, trusted_file, &w);
    free(dir);
    return w.rc;
}

typedef struct prefix_find {
    const char *prefix;
    ward_pubkey found;
    int matches;
} prefix_find;

static int match_prefix(void *ctx, const ward_pubkey *key)
{
    prefix_find *f = ctx;
    if (strncasecmp(key->id, f->prefix, strlen(f->prefix)) == 0) {
        f->found = *key;
        f->matches++;
    }
    return 0;
}

static int looks_like_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 16)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

ward_status ward_key_resolve(const char *datadir, const char *spec, ward_pubkey *out,
                             ward_error *err)
{
    if (!spec || !*spec)
        return err_fail(err, WARD_EINVAL, "no key given");
    if (!strncmp(spec, PUB_TAG, sizeof PUB_TAG - 1) && spec[sizeof PUB_TAG - 1] == ' ')
        return ward_pubkey_parse(spec, out, err);
    if (looks_like_id(spec) && !rel_exists(spec)) {
        prefix_find f = {.prefix = spec};
        ward_status rc = ward_keys_trusted(datadir, match_prefix, &f, err);
        if (rc)
            return rc;
        if (f.matches == 1) {
            *out = f.found;
            return WARD_OK;
        }
        return err_fail(err, WARD_ENOTFOUND,
                         f.matches ? "key id %s is ambiguous among the trusted keys"
                                   : "no trusted key %s (add it with 'ward keys trust FILE')",
                         spec);
    }
    return load_pub_file(spec, out, err);
}

void ward_key_sign(const ward_seckey *key, const void *msg, size_t n,
                   uint8_t sig[WARD_KEY_SIG_BYTES])
{
    crypto_sign_detached(sig, NULL, msg, n, key->sk);
}

int ward_key_verify(const ward_pubkey *key, const void *msg, size_t n,
                    const uint8_t sig[WARD_KEY_SIG_BYTES])
{
    if (sodium_init() < 0)
        return 0;
    return crypto_sign_verify_detached(sig, msg, n, key->pk) == 0;
}
