/*
 * One-pass multi-digest over OpenSSL EVP. The EVP_MD objects are fetched
 * once per digester (fetching is a locked table lookup in OpenSSL 3, far too
 * slow to repeat per file).
 */
#include <ward/digest.h>
#include "util/error.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct ward_digester {
    unsigned which;
    EVP_MD *md[3];       /* md5, sha1, sha256; NULL where not selected */
    EVP_MD_CTX *ctx[3];
};

static const char *const algo_names[3] = {"MD5", "SHA1", "SHA256"};

ward_digester *ward_digester_new(unsigned which)
{
    if ((which & WARD_DIGEST_ALL) == 0)
        return NULL;
    ward_digester *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->which = which & WARD_DIGEST_ALL;
    for (int i = 0; i < 3; i++) {
        if (!(d->which & (1u << i)))
            continue;
        d->md[i] = EVP_MD_fetch(NULL, algo_names[i], NULL);
        d->ctx[i] = EVP_MD_CTX_new();
        if (!d->md[i] || !d->ctx[i]) {
            ward_digester_free(d);
            return NULL;
        }
    }
    ward_digester_reset(d);
    return d;
}

void ward_digester_free(ward_digester *d)
{
    if (!d)
        return;
    for (int i = 0; i < 3; i++) {
        EVP_MD_CTX_free(d->ctx[i]);
        EVP_MD_free(d->md[i]);
    }
    free(d);
}

void ward_digester_reset(ward_digester *d)
{
    for (int i = 0; i < 3; i++)
        if (d->ctx[i])
            EVP_DigestInit_ex(d->ctx[i], d->md[i], NULL);
}

void ward_digester_update(ward_digester *d, const void *data, size_t len)
{
    for (int i = 0; i < 3; i++)
        if (d->ctx[i])
            EVP_DigestUpdate(d->ctx[i], data, len);
}

void ward_digester_final(ward_digester *d, ward_digests *out)
{
    uint8_t *dst[3] = {out->md5, out->sha1, out->sha256};
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 3; i++) {
        if (!d->ctx[i])
            continue;
        unsigned n = 0;
        EVP_DigestFinal_ex(d->ctx[i], dst[i], &n);
        out->present |= 1u << i;
    }
    ward_digester_reset(d);
}

ward_status ward_digest_parse_list(const char *list, unsigned *which,
                                   ward_error *err)
{
    unsigned bits = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 3 && strncasecmp(p, "md5", 3) == 0)
            bits |= WARD_DIGEST_MD5;
        else if ((n == 4 && strncasecmp(p, "sha1", 4) == 0) ||
                 (n == 5 && strncasecmp(p, "sha-1", 5) == 0))
            bits |= WARD_DIGEST_SHA1;
        else if ((n == 6 && strncasecmp(p, "sha256", 6) == 0) ||
                 (n == 7 && strncasecmp(p, "sha-256", 7) == 0))
            bits |= WARD_DIGEST_SHA256;
        else if (n == 3 && strncasecmp(p, "all", 3) == 0)
            bits |= WARD_DIGEST_ALL;
        else
            return err_fail(err, WARD_EINVAL,
                             "unknown digest '%.*s' (expected md5, sha1, sha256)",
                             (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    if (!bits)
        return err_fail(err, WARD_EINVAL, "empty digest list");
    *which = bits;
    return WARD_OK;
}

const unsigned ward_digest_kinds[3] = {WARD_DIGEST_MD5, WARD_DIGEST_SHA1, WARD_DIGEST_SHA256};

const char *ward_digest_hex(const ward_digests *d, unsigned kind, char hex[65])
{
    if (!(d->present & kind))
        return NULL;
    switch (kind) {
    case WARD_DIGEST_MD5: ward_hex(d->md5, sizeof d->md5, hex); return "md5";
    case WARD_DIGEST_SHA1: ward_hex(d->sha1, sizeof d->sha1, hex); return "sha1";
    case WARD_DIGEST_SHA256: ward_hex(d->sha256, sizeof d->sha256, hex); return "sha256";
    default: return NULL;
    }
}

void ward_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = 0;
}

/* Value of a hex digit, 16 for anything else: one load, no branches, for
 * readers that decode millions of stored hashes (retroactive matching). */
static const uint8_t hexval_tab[256] = {
#define X16 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16
    X16, X16, X16,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 16, 16, 16, 16, 16,
    16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, X16,
    16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, X16,
    X16, X16, X16, X16, X16, X16, X16, X16
#undef X16
};

ward_status ward_unhex(const char *hex, size_t hexlen, uint8_t *bytes, size_t n)
{
    if (hexlen != 2 * n)
        return WARD_EFORMAT;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned hi = hexval_tab[(unsigned char)hex[2 * i]];
        unsigned lo = hexval_tab[(unsigned char)hex[2 * i + 1]];
        bad |= hi | lo;
        bytes[i] = (uint8_t)(hi << 4 | (lo & 15));
    }
    if (bad & 16)
        return WARD_EFORMAT;
    return WARD_OK;
}
