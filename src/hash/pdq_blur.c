/*
 * PDQ's Jarosz blur, vectorised without changing a single rounding.
 *
 * The reference filters each row (then each column) with a running sum:
 * add the value entering the window, subtract the one leaving it, divide by
 * the window's count. Each row's chain of adds and subtracts is serial, so
 * the speed comes from running 4 (SSE2) or 8 (AVX2) rows side by side, one
 * per vector lane, every lane doing exactly the scalar sequence of float
 * operations: add, sub and div are IEEE-exact in every lane, and there is no
 * FMA (the build has -ffp-contract=off; nothing here multiplies). Rows are
 * turned into lanes by transposing 8x8 (4x4) blocks into a strip buffer and
 * back. Columns need no transpose: neighbouring columns already sit in
 * neighbouring floats.
 *
 * What the result does not need is skipped: PDQ keeps only 64x64 samples of
 * the twice-blurred plane. The second row pass still runs every running sum
 * (a sum at column x depends on all of the row before x) but divides and
 * stores only at the 64 sampled columns; the second column pass then runs
 * down those 64 columns alone and divides only at the 64 sampled rows. Every
 * value that is computed is computed by the same operations as before.
 */
#include "hash/pdq_blur.h"

#include <stddef.h>
#include <stdlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PDQ_X86 1
#include <immintrin.h>
#endif

int pdq_best_level(void)
{
#ifdef PDQ_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? PDQ_AVX2 : PDQ_SSE2;
#else
    return PDQ_PORTABLE;
#endif
}

/*
 * BOX_KERNEL defines one box filter along `len` steps, each step nvec
 * vectors of LANES independent lanes side by side (independent chains, so
 * the adds of one do not wait on another's): step i's vectors are at
 * in + i*istride + v*LANES. With want == NULL the output of position i goes
 * to out + i*ostride; otherwise only positions listed in want (ascending)
 * are divided and stored, the k-th to slot k. `sum` holds nvec vectors.
 * Phases exactly as the reference's box1DFloat (grow, full, shrink).
 * Dividing by a power of two is done as multiplying by its exact reciprocal:
 * both are correctly rounded results of the same real number x * 2^-k, so
 * they are the same float, and the common window of 4 (512 -> 64) costs a
 * multiply instead of a divide.
 */
#define BOX_KERNEL(NAME, ATTR, V, LANES, ZERO, LOAD, STORE, ADD, SUB, MUL, DIV, SET1)    \
    ATTR static void NAME(const float *in, size_t istride, float *out, size_t ostride,   \
                          int len, int window, const int *want, int nwant, int nvec,     \
                          float *sum)                                                    \
    {                                                                                    \
        int half = (window + 2) / 2;                                                     \
        int p1 = half - 1, p2 = window - half + 1, p3 = len - window, p4 = half - 1;     \
        int ri = 0, li = 0, oi = 0, n = 0, k = 0;                                        \
        for (int v = 0; v < nvec; v++)                                                   \
            STORE(sum + v * LANES, ZERO);                                                \
        for (int i = 0; i < p1; i++, ri++, n++)                                          \
            for (int v = 0; v < nvec; v++)                                               \
                STORE(sum + v * LANES,                                                   \
                      ADD(LOAD(sum + v * LANES), LOAD(in + ri * istride + v * LANES)));  \
        for (int i = 0; i < p2 + p3 + p4; i++, oi++) {                                   \
            const float *a = in + ri * istride, *b = in + li * istride;                  \
            if (i < p2) {                                                                \
                for (int v = 0; v < nvec; v++)                                           \
                    STORE(sum + v * LANES, ADD(LOAD(sum + v * LANES), LOAD(a + v * LANES))); \
                ri++, n++;                                                               \
            } else if (i < p2 + p3) {                                                    \
                for (int v = 0; v < nvec; v++)                                           \
                    STORE(sum + v * LANES, SUB(ADD(LOAD(sum + v * LANES),                \
                                                   LOAD(a + v * LANES)),                 \
                                               LOAD(b + v * LANES)));                    \
                ri++, li++;                                                              \
            } else {                                                                     \
                for (int v = 0; v < nvec; v++)                                           \
                    STORE(sum + v * LANES, SUB(LOAD(sum + v * LANES), LOAD(b + v * LANES))); \
                li++, n--;                                                               \
            }                                                                            \
            float *o;                                                                    \
            if (!want)                                                                   \
                o = out + oi * ostride;                                                  \
            else if (k < nwant && want[k] == oi)                                         \
                o = out + k++ * ostride;                                                 \
            else                                                                         \
                continue;                                                                \
            if ((n & (n - 1)) == 0) {                                                    \
                V r = SET1(1.0f / (float)n);                                             \
                for (int v = 0; v < nvec; v++)                                           \
                    STORE(o + v * LANES, MUL(LOAD(sum + v * LANES), r));                 \
            } else {                                                                     \
                V d = SET1((float)n);                                                    \
                for (int v = 0; v < nvec; v++)                                           \
                    STORE(o + v * LANES, DIV(LOAD(sum + v * LANES), d));                 \
            }                                                                            \
        }                                                                                \
    }

#define S_LOAD(p) (*(p))
#define S_STORE(p, v) (*(p) = (v))
#define S_ADD(a, b) ((a) + (b))
#define S_SUB(a, b) ((a) - (b))
#define S_MUL(a, b) ((a) * (b))
#define S_DIV(a, b) ((a) / (b))
#define S_SET1(x) (x)
BOX_KERNEL(box_scalar, , float, 1, 0.0f, S_LOAD, S_STORE, S_ADD, S_SUB, S_MUL, S_DIV, S_SET1)

/* Most rows filtered side by side: up to STRIP_VECS vectors of LANES rows. */
#define STRIP_VECS 4

/* Rows x cols plane, filtered along each row, up to STRIP_VECS*LANES rows at
 * a time through the strip buffers g and o (cols*STRIP_VECS*LANES floats
 * each): the rows are transposed into g (row r of the plane becomes lane r),
 * filtered, and transposed back out of o. `out` has one row of
 * (want ? nwant : cols) floats per input row. Leftover rows go through the
 * scalar kernel. */
#define ROWS_FILTER(NAME, ATTR, LANES, BOX, TRANSPOSE)                                   \
    ATTR static void NAME(const float *in, float *out, int rows, int cols, int window,   \
                          const int *want, int nwant, float *g, float *o, float *sum)    \
    {                                                                                    \
        int ocols = want ? nwant : cols, r0 = 0;                                         \
        while (rows - r0 >= LANES) {                                                     \
            int nv = (rows - r0) / LANES;                                                \
            if (nv > STRIP_VECS)                                                         \
                nv = STRIP_VECS;                                                         \
            size_t S = (size_t)nv * LANES;                                               \
            for (int v = 0; v < nv; v++) {                                               \
                const float *src = in + (size_t)(r0 + v * LANES) * cols;                 \
                int c = 0;                                                               \
                for (; c + LANES <= cols; c += LANES)                                    \
                    TRANSPOSE(src + c, (size_t)cols, g + c * S + v * LANES, S);          \
                for (; c < cols; c++)                                                    \
                    for (int r = 0; r < LANES; r++)                                      \
                        g[c * S + v * LANES + r] = src[(size_t)r * cols + c];            \
            }                                                                            \
            BOX(g, S, o, S, cols, window, want, nwant, nv, sum);                         \
            for (int v = 0; v < nv; v++) {                                               \
                float *dst = out + (size_t)(r0 + v * LANES) * ocols;                     \
                int c = 0;                                                               \
                for (; c + LANES <= ocols; c += LANES)                                   \
                    TRANSPOSE(o + c * S + v * LANES, S, dst + c, (size_t)ocols);         \
                for (; c < ocols; c++)                                                   \
                    for (int r = 0; r < LANES; r++)                                      \
                        dst[(size_t)r * ocols + c] = o[c * S + v * LANES + r];           \
            }                                                                            \
            r0 += (int)S;                                                                \
        }                                                                                \
        for (; r0 < rows; r0++)                                                          \
            box_scalar(in + (size_t)r0 * cols, 1, out + (size_t)r0 * ocols, 1, cols,     \
                       window, want, nwant, 1, sum);                                     \
    }

/* Filtered down each column, every whole vector of columns side by side
 * (rows outer, columns inner); `out` has (want ? nwant : rows) rows of cols
 * floats. Leftover columns go through the scalar kernel. */
#define COLS_FILTER(NAME, ATTR, LANES, BOX)                                              \
    ATTR static void NAME(const float *in, float *out, int rows, int cols, int window,   \
                          const int *want, int nwant, float *sum)                        \
    {                                                                                    \
        int nv = cols / LANES;                                                           \
        if (nv > 0)                                                                      \
            BOX(in, (size_t)cols, out, (size_t)cols, rows, window, want, nwant, nv, sum); \
        for (int c = nv * LANES; c < cols; c++)                                          \
            box_scalar(in + c, (size_t)cols, out + c, (size_t)cols, rows, window, want,  \
                       nwant, 1, sum);                                                   \
    }

#ifdef PDQ_X86
/* ---- SSE2: 4 lanes ---------------------------------------------------------- */
#define SSE_ATTR
#define SSE_ZERO _mm_setzero_ps()

static inline void transpose4(const float *src, size_t sstride, float *dst, size_t dstride)
{
    __m128 a = _mm_loadu_ps(src), b = _mm_loadu_ps(src + sstride);
    __m128 c = _mm_loadu_ps(src + 2 * sstride), d = _mm_loadu_ps(src + 3 * sstride);
    _MM_TRANSPOSE4_PS(a, b, c, d);
    _mm_storeu_ps(dst, a);
    _mm_storeu_ps(dst + dstride, b);
    _mm_storeu_ps(dst + 2 * dstride, c);
    _mm_storeu_ps(dst + 3 * dstride, d);
}

BOX_KERNEL(box_sse2, SSE_ATTR, __m128, 4, SSE_ZERO, _mm_loadu_ps, _mm_storeu_ps, _mm_add_ps,
           _mm_sub_ps, _mm_mul_ps, _mm_div_ps, _mm_set1_ps)
ROWS_FILTER(rows_sse2, SSE_ATTR, 4, box_sse2, transpose4)
COLS_FILTER(cols_sse2, SSE_ATTR, 4, box_sse2)

/* ---- AVX2: 8 lanes ---------------------------------------------------------- */
#define AVX_ATTR __attribute__((target("avx2")))
#define AVX_ZERO _mm256_setzero_ps()

AVX_ATTR static inline __attribute__((always_inline)) void
transpose8(const float *src, size_t sstride, float *dst, size_t dstride)
{
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + sstride);
    __m256 r2 = _mm256_loadu_ps(src + 2 * sstride), r3 = _mm256_loadu_ps(src + 3 * sstride);
    __m256 r4 = _mm256_loadu_ps(src + 4 * sstride), r5 = _mm256_loadu_ps(src + 5 * sstride);
    __m256 r6 = _mm256_loadu_ps(src + 6 * sstride), r7 = _mm256_loadu_ps(src + 7 * sstride);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    r0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    r1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    r2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    r3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    r4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    r5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    r6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    r7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(r0, r4, 0x20));
    _mm256_storeu_ps(dst + dstride, _mm256_permute2f128_ps(r1, r5, 0x20));
    _mm256_storeu_ps(dst + 2 * dstride, _mm256_permute2f128_ps(r2, r6, 0x20));
    _mm256_storeu_ps(dst + 3 * dstride, _mm256_permute2f128_ps(r3, r7, 0x20));
    _mm256_storeu_ps(dst + 4 * dstride, _mm256_permute2f128_ps(r0, r4, 0x31));
    _mm256_storeu_ps(dst + 5 * dstride, _mm256_permute2f128_ps(r1, r5, 0x31));
    _mm256_storeu_ps(dst + 6 * dstride, _mm256_permute2f128_ps(r2, r6, 0x31));
    _mm256_storeu_ps(dst + 7 * dstride, _mm256_permute2f128_ps(r3, r7, 0x31));
}

BOX_KERNEL(box_avx2, AVX_ATTR, __m256, 8, AVX_ZERO, _mm256_loadu_ps, _mm256_storeu_ps,
           _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_set1_ps)
ROWS_FILTER(rows_avx2, AVX_ATTR, 8, box_avx2, transpose8)
COLS_FILTER(cols_avx2, AVX_ATTR, 8, box_avx2)
#endif

/* Sample points: the reference's (int)(((i + 0.5) * dim) / 64), in double. */
static void sample_points(int dim, int at[64])
{
    for (int i = 0; i < 64; i++)
        at[i] = (int)(((i + 0.5) * dim) / 64);
}

int pdq_blur_sample64(float *luma, float *scratch, int rows, int cols, int level,
                      float out[64][64])
{
#ifdef PDQ_X86
    int best = pdq_best_level();
    if (level == PDQ_BEST)
        level = best;
    if (level <= PDQ_PORTABLE || level > best || rows < 64 || cols < 64)
        return 0;
    size_t S = (size_t)STRIP_VECS * (level == PDQ_AVX2 ? 8 : 4);
    float *strip = malloc(sizeof(float) * (2 * S + 1) * (size_t)cols);
    if (!strip)
        return 0; /* the portable code needs no buffer of its own */
    float *g = strip, *o = strip + S * cols, *sum = strip + 2 * S * cols;
    int wr = pdq_jarosz_window(cols, 64), wc = pdq_jarosz_window(rows, 64);
    int si[64], sj[64];
    sample_points(rows, si);
    sample_points(cols, sj);
    /* Pass 1 in full; pass 2 only towards the samples (scratch then holds
     * rows x 64: the second row pass at the sampled columns). */
    if (level == PDQ_AVX2) {
        rows_avx2(luma, scratch, rows, cols, wr, NULL, 0, g, o, sum);
        cols_avx2(scratch, luma, rows, cols, wc, NULL, 0, sum);
        rows_avx2(luma, scratch, rows, cols, wr, sj, 64, g, o, sum);
        cols_avx2(scratch, &out[0][0], rows, 64, wc, si, 64, sum);
    } else {
        rows_sse2(luma, scratch, rows, cols, wr, NULL, 0, g, o, sum);
        cols_sse2(scratch, luma, rows, cols, wc, NULL, 0, sum);
        rows_sse2(luma, scratch, rows, cols, wr, sj, 64, g, o, sum);
        cols_sse2(scratch, &out[0][0], rows, 64, wc, si, 64, sum);
    }
    free(strip);
    return 1;
#else
    (void)luma, (void)scratch, (void)rows, (void)cols, (void)level, (void)out;
    (void)box_scalar, (void)sample_points;
    return 0;
#endif
}
