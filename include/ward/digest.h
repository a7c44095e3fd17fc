/*
 * digest.h -- MD5, SHA-1 and SHA-256 of a byte stream in one pass.
 *
 * A ward_digester feeds every chunk it is given to each selected algorithm
 * (OpenSSL EVP underneath), so a file is read once whatever the number of
 * digests wanted. One digester per thread; it is reusable after _final.
 */
#ifndef WARD_DIGEST_H
#define WARD_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

enum {
    WARD_DIGEST_MD5 = 1u << 0,
    WARD_DIGEST_SHA1 = 1u << 1,
    WARD_DIGEST_SHA256 = 1u << 2,
    WARD_DIGEST_ALL = 7u
};

typedef struct ward_digests {
    unsigned present; /* WARD_DIGEST_* bits of the fields that are set */
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
} ward_digests;

typedef struct ward_digester ward_digester;

/* New digester for the algorithms in `which` (WARD_DIGEST_* bits). NULL on
 * allocation failure or if `which` has no known bit. */
ward_digester *ward_digester_new(unsigned which);
void ward_digester_free(ward_digester *d);

/* Start a new message (implied after _new and after _final). */
void ward_digester_reset(ward_digester *d);
void ward_digester_update(ward_digester *d, const void *data, size_t len);
/* Write the digests of everything since the last reset and reset. */
void ward_digester_final(ward_digester *d, ward_digests *out);

/* Parse "md5,sha1,sha256" (any subset, any order; "all") into bits.
 * Returns WARD_OK or WARD_EINVAL naming the bad word in err. */
ward_status ward_digest_parse_list(const char *list, unsigned *which,
                                   ward_error *err);

/* Lower-case hex of n bytes into out, which must hold 2n+1 chars. */
void ward_hex(const uint8_t *bytes, size_t n, char *out);

/* The digest kinds in the order ward writes them: MD5, SHA-1, SHA-256. */
extern const unsigned ward_digest_kinds[3];
/* Lower-case hex of digest `kind` (one WARD_DIGEST_* bit) into hex (65
 * bytes) and its name ("md5", "sha1", "sha256"); NULL if d lacks it. */
const char *ward_digest_hex(const ward_digests *d, unsigned kind, char hex[65]);

/* Parse exactly 2n hex digits (either case) into bytes; WARD_OK or
 * WARD_EFORMAT. */
ward_status ward_unhex(const char *hex, size_t hexlen, uint8_t *bytes, size_t n);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
