/*
 * Fuzz target: release manifests (src/release/manifest.c). A subscriber
 * parses a manifest fetched from a publisher it does not control, so each
 * input is read three ways:
 *   - as sent, checked against a fixed trusted key: the signature line
 *     parser and the verifier (almost every input stops here);
 *   - as sent with no key (how a publisher reads its own tree): the body;
 *   - its first line signed here with the fixed secret key, so odd bodies
 *     that verify reach the body parser as an attacker holding the key (or
 *     a buggy publisher) could send them.
 * A body that parses must survive re-signing: sign(parse(body)) parses to
 * the same fields.
 */
#include "release/rel_int.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed key: the same signatures on every run (Ed25519 is deterministic). */
static ward_seckey key;

static void setup(void)
{
    if (key.pub.id[0])
        return;
    uint8_t seed[32];
    memset(seed, 0x5a, sizeof seed);
    if (sodium_init() < 0 || crypto_sign_seed_keypair(key.pub.pk, key.sk, seed) != 0)
        abort();
    char text[WARD_PUBKEY_TEXT_MAX];
    key.pub.id[0] = 0;
    ward_pubkey_format(&key.pub, text);
    ward_error err;
    if (ward_pubkey_parse(text, &key.pub, &err) != WARD_OK) /* fills in the id */
        abort();
}

static void same(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "manifest round trip changed %s\n", what);
        abort();
    }
}

/* Re-sign a parsed manifest and parse it again: the fields must survive. */
static void round_trip(const rel_manifest *m)
{
    char *text;
    size_t n;
    ward_error err;
    rel_manifest again;
    if (rel_manifest_sign(m, &key, &text, &n, &err) != WARD_OK)
        return;
    ward_status rc = rel_manifest_parse(text, n, &key.pub, &again, &err);
    free(text);
    same(rc == WARD_OK, "whether it parses");
    same(!strcmp(m->list, again.list) && !strcmp(m->created, again.created) &&
         !strcmp(m->scheme, again.scheme) && !strcmp(m->kind, again.kind), "a string");
    same(m->version == again.version && m->parent == again.parent &&
         m->entries == again.entries && m->conflicts == again.conflicts, "a count");
    same(!strcmp(m->full_sha256, again.full_sha256) && m->full_bytes == again.full_bytes,
         "the full file");
    same(m->delta_from == again.delta_from, "the delta");
    same(!strcmp(m->categories_json, again.categories_json) &&
         !strcmp(m->sources_json, again.sources_json), "categories or sources");
    rel_manifest_free(&again);
}

static void parse(const char *text, size_t n, const ward_pubkey *pub, int check)
{
    rel_manifest m;
    ward_error err;
    if (rel_manifest_parse(text, n, pub, &m, &err) != WARD_OK)
        return;
    if (check && !strcmp(m.key_id, key.pub.id))
        round_trip(&m);
    rel_manifest_free(&m);
}

/* The input's first line as a body, signed with the fixed key. */
static void parse_signed(const char *text, size_t size)
{
    const char *nl = memchr(text, '\n', size);
    size_t blen = nl ? (size_t)(nl - text) : size;
    uint8_t sig[WARD_KEY_SIG_BYTES];
    ward_key_sign(&key, text, blen, sig);
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    char *signed_text = rel_fmt("%.*s\ned25519 %s %s\n", (int)blen, text, key.pub.id, b64);
    if (!signed_text)
        return;
    parse(signed_text, strlen(signed_text), &key.pub, 1);
    free(signed_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    /* The parser takes a NUL-terminated buffer (rel_read_file's). */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    parse(text, size, &key.pub, 0);
    parse(text, size, NULL, 0);
    parse_signed(text, size);
    free(text);
    return 0;
}
