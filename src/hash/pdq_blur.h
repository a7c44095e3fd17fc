/*
 * PDQ's Jarosz blur and 64x64 sampling, vectorised (SSE2 or AVX2, picked at
 * run time). Internal to src/hash: pdq.c calls it, tests/unit/test_pdq_simd.c
 * holds every level to the portable code bit for bit.
 */
#ifndef WARD_HASH_PDQ_BLUR_H
#define WARD_HASH_PDQ_BLUR_H

enum pdq_level {
    PDQ_PORTABLE = 0, /* plain C, the reference's own loop structure */
    PDQ_SSE2 = 1,     /* 4 rows or columns at once */
    PDQ_AVX2 = 2,     /* 8 at once */
    PDQ_BEST = 3      /* whatever this CPU supports */
};

/* The reference's box-filter window for shrinking old_dim to new_dim. */
static inline int pdq_jarosz_window(int old_dim, int new_dim)
{
    return (old_dim + 2 * new_dim - 1) / (2 * new_dim);
}

/* The best level this CPU supports (PDQ_PORTABLE off x86-64). */
int pdq_best_level(void);

/* Two box-filter passes over the rows x cols plane `luma` (window sizes and
 * arithmetic exactly as the reference) and its 64x64 sample points, into
 * `out`. `scratch` holds rows*cols floats; both planes are overwritten.
 * Only what the samples need is computed: the second pass divides only at
 * sampled columns and filters only the 64 sampled columns down.
 * Returns 0 without touching anything when `level` is PDQ_PORTABLE, is not
 * supported here, or the plane is under 64 in either side; the caller then
 * runs the portable code. */
int pdq_blur_sample64(float *luma, float *scratch, int rows, int cols, int level,
                      float out[64][64]);

/* PDQ's whole downsampling (blur, 64x64 samples) at `level`, falling back to
 * the portable code where pdq_blur_sample64 declines (defined in pdq.c). */
void pdq_downsample64(float *luma, float *scratch, int rows, int cols, int level,
                      float out[64][64]);

#endif
