/*
 * pdq.h -- PDQ perceptual image hash, compatible bit for bit with Meta's
 * reference implementation (ThreatExchange pdq/cpp).
 *
 * Input is a luminance plane in float (0..255), already decoded; see
 * media.h for turning file bytes into one. PDQ blurs and decimates it to
 * 64x64 (Jarosz tent filter), takes a 16x16 DCT and sets each of the 256 bits
 * where the coefficient exceeds the median. Quality (0..100) counts strong
 * gradients in the 64x64 image; below ~50 a hash is not worth matching on.
 */
#ifndef WARD_PDQ_H
#define WARD_PDQ_H

#include <stdint.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* A PDQ hash as 32 bytes in the order of its hex form: b[0] holds the first
 * two hex digits. memcmp order equals the order of the hex strings. */
typedef struct ward_pdq {
    uint8_t b[32];
} ward_pdq;

/* The 8 dihedral transforms, in the order of the reference's output. */
enum ward_dihedral {
    WARD_DIH_ORIGINAL = 0,
    WARD_DIH_ROT90,
    WARD_DIH_ROT180,
    WARD_DIH_ROT270,
    WARD_DIH_FLIPX,
    WARD_DIH_FLIPY,
    WARD_DIH_FLIP_PLUS1,
    WARD_DIH_FLIP_MINUS1,
    WARD_DIH_COUNT
};

typedef struct ward_pdq_result {
    ward_pdq hash[WARD_DIH_COUNT]; /* [0] always; [1..7] if dihedral asked */
    int count;                     /* 1 or 8 */
    int quality;                   /* 0..100 */
} ward_pdq_result;

/* Smallest side the reference will hash; smaller images have no PDQ. */
#define WARD_PDQ_MIN_DIM 5

/*
 * Hash a rows x cols luminance plane (row-major). `luma` is used as working
 * space and overwritten; `scratch` must hold rows*cols floats. With
 * `dihedral` non-zero all 8 transforms are produced (for the cost of one).
 * Returns WARD_OK, or WARD_EUNSUPPORTED for images under 5x5 pixels.
 */
ward_status ward_pdq_from_luma(float *luma, float *scratch, int rows, int cols,
                               int dihedral, ward_pdq_result *out);

/* 64 lower-case hex digits plus NUL into out[65]. */
void ward_pdq_to_hex(const ward_pdq *h, char out[65]);
/* Parse 64 hex digits; WARD_OK or WARD_EFORMAT. */
ward_status ward_pdq_from_hex(const char *hex, ward_pdq *out);
/* Number of differing bits, 0..256. */
int ward_pdq_distance(const ward_pdq *a, const ward_pdq *b);
/* Name of a dihedral transform, e.g. "rot90". */
const char *ward_dihedral_name(int which);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
