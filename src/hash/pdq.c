/*
 * PDQ, following the published algorithm and the reference C++ code's
 * arithmetic exactly: every float operation below happens in the same order
 * as in the reference, because a single rounding difference can move a DCT
 * coefficient across the median and flip a bit. The build disables FMA
 * contraction (-ffp-contract=off) for the same reason.
 *
 * What is ours: the column pass of the box filter runs across all columns at
 * once (one running sum per column, rows in the outer loop). Each column sees
 * the same sequence of adds, subtracts and divides as the reference's
 * column-at-a-time loop, so results are identical, but memory is walked
 * row-wise and the inner loop vectorises. On x86-64 the blur runs in
 * pdq_blur.c instead (SSE2 or AVX2, same operations lane by lane, and only
 * what the 64x64 samples need); the code here is the portable fallback and
 * the yardstick tests hold the vector code to.
 */
#include <ward/pdq.h>
#include <ward/digest.h>

#include "hash/pdq_blur.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define JAROSZ_PASSES 2

/* D[i][j] = sqrt(2/64) * cos(pi/128 * (i+1) * (2j+1)), as float; computed the
 * way the reference does (float scale times double cosine, rounded to float),
 * once per process (1024 cosines cost more than the DCT itself), with its
 * transpose for the second product. Written once, read-only after. */
static struct {
    float D[16][64];
    float Dt[64][16];
} dct_tab;
static pthread_once_t dct_once = PTHREAD_ONCE_INIT;

static void dct_init(void)
{
    const float scale = (float)sqrt(2.0 / 64.0);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++) {
            dct_tab.D[i][j] = (float)(scale * cos((M_PI / 2.0 / 64.0) * (i + 1) * (2 * j + 1)));
            dct_tab.Dt[j][i] = dct_tab.D[i][j];
        }
}

/* The reference's 1-D box filter in four phases (grow, full, shrink). */
static void box_row(const float *in, float *out, int len, int window)
{
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = len - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, n = 0;
    float sum = 0.0f;
    for (int i = 0; i < p1; i++) { sum += in[ri++]; n++; }
    for (int i = 0; i < p2; i++) { sum += in[ri++]; n++; out[oi++] = sum / n; }
    for (int i = 0; i < p3; i++) {
        sum += in[ri++];
        sum -= in[li++];
        out[oi++] = sum / n;
    }
    for (int i = 0; i < p4; i++) { sum -= in[li++]; n--; out[oi++] = sum / n; }
}

static void box_rows(const float *in, float *out, int rows, int cols, int window)
{
    for (int r = 0; r < rows; r++)
        box_row(in + (size_t)r * cols, out + (size_t)r * cols, cols, window);
}

/* Same phases as box_row, down `width` columns at once (a strip of a plane
 * whose rows are `stride` floats apart); `sum` holds `width` floats. */
static void box_cols_strip(const float *in, float *out, int rows, int width,
                           size_t stride, int window, float *sum)
{
    int half = (window + 2) / 2;
    int p1 = half - 1, p2 = window - half + 1, p3 = rows - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, n = 0;
    memset(sum, 0, sizeof(float) * (size_t)width);
    for (int i = 0; i < p1; i++, ri++, n++) {
        const float *a = in + ri * stride;
        for (int c = 0; c < width; c++) sum[c] += a[c];
    }
    for (int i = 0; i < p2; i++, ri++, oi++) {
        const float *a = in + ri * stride;
        float *o = out + oi * stride;
        float fn = (float)++n;
        for (int c = 0; c < width; c++) { sum[c] += a[c]; o[c] = sum[c] / fn; }
    }
    for (int i = 0; i < p3; i++, ri++, li++, oi++) {
        const float *a = in + ri * stride, *s = in + li * stride;
        float *o = out + oi * stride;
        float fn = (float)n;
        for (int c = 0; c < width; c++) {
            sum[c] += a[c];
            sum[c] -= s[c];
            o[c] = sum[c] / fn;
        }
    }
    for (int i = 0; i < p4; i++, li++, oi++) {
        const float *s = in + li * stride;
        float *o = out + oi * stride;
        float fn = (float)--n;
        for (int c = 0; c < width; c++) { sum[c] -= s[c]; o[c] = sum[c] / fn; }
    }
}

#define STRIP 1024

static void box_cols(const float *in, float *out, int rows, int cols, int window)
{
    float sum[STRIP];
    for (int c0 = 0; c0 < cols; c0 += STRIP) {
        int width = cols - c0 < STRIP ? cols - c0 : STRIP;
        box_cols_strip(in + c0, out + c0, rows, width, (size_t)cols, window, sum);
    }
}

/* Blur (two x/y passes, result back in `buf`) and sample the 64x64 centres. */
void pdq_downsample64(float *buf, float *tmp, int rows, int cols, int level,
                      float out[64][64])
{
    if (pdq_blur_sample64(buf, tmp, rows, cols, level, out))
        return;
    int wr = pdq_jarosz_window(cols, 64), wc = pdq_jarosz_window(rows, 64);
    for (int pass = 0; pass < JAROSZ_PASSES; pass++) {
        box_rows(buf, tmp, rows, cols, wr);
        box_cols(tmp, buf, rows, cols, wc);
    }
    for (int i = 0; i < 64; i++) {
        int si = (int)(((i + 0.5) * rows) / 64);
        for (int j = 0; j < 64; j++) {
            int sj = (int)(((j + 0.5) * cols) / 64);
            out[i][j] = buf[(size_t)si * cols + sj];
        }
    }
}

static int quality_metric(float a[64][64])
{
    int sum = 0;
    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j++) {
            int d = (int)(((a[i][j] - a[i + 1][j]) * 100) / 255);
            sum += d < 0 ? -d : d;
        }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 63; j++) {
            int d = (int)(((a[i][j] - a[i][j + 1]) * 100) / 255);
            sum += d < 0 ? -d : d;
        }
    int q = sum / 90;
    return q > 100 ? 100 : q;
}

/* B = D A D^T with the reference's summation order (k ascending). Both
 * products keep one accumulator per output and walk k in the outer loop, so
 * the inner loop runs across outputs and vectorises without reordering any
 * output's sum. */
static void dct64to16(float A[64][64], float B[16][16])
{
    float T[16][64];
    pthread_once(&dct_once, dct_init);
    for (int i = 0; i < 16; i++) {
        float acc[64] = {0};
        for (int k = 0; k < 64; k++) {
            float d = dct_tab.D[i][k];
            for (int j = 0; j < 64; j++)
                acc[j] += d * A[k][j];
        }
        memcpy(T[i], acc, sizeof acc);
    }
    for (int i = 0; i < 16; i++) {
        float acc[16] = {0};
        for (int k = 0; k < 64; k++) {
            float t = T[i][k];
            for (int j = 0; j < 16; j++)
                acc[j] += t * dct_tab.Dt[k][j];
        }
        memcpy(B[i], acc, sizeof acc);
    }
}

/* The 128th smallest of 256 values (what the reference's Torben median
 * returns for an even count), by quickselect on a copy. */
static float median256(const float v[256])
{
    float a[256];
    memcpy(a, v, sizeof a);
    int lo = 0, hi = 255, k = 127;
    while (lo < hi) {
        float pivot = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { float t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else break;
    }
    return a[k];
}

/* Bit k = 16*i + j of the reference lives in 16-bit word i, bit j; the hex
 * form prints word 15 first, high byte first. */
static void bits_from_dct(float B[16][16], ward_pdq *h)
{
    float med = median256(&B[0][0]);
    memset(h, 0, sizeof *h);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            if (B[i][j] > med) {
                int byte = 2 * (15 - i) + (j >= 8 ? 0 : 1);
                h->b[byte] |= (uint8_t)(1u << (j & 7));
            }
}

/* Dihedral variants straight from the DCT: a transpose for the four that swap
 * axes, and sign flips on odd frequencies (index parity is of i+1, j+1). */
static void dihedral(float A[16][16], int which, float B[16][16])
{
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            float v = A[i][j];
            switch (which) {
            case WARD_DIH_ROT90:       B[j][i] = (j & 1) ? v : -v; break;
            case WARD_DIH_ROT180:      B[i][j] = ((i + j) & 1) ? -v : v; break;
            case WARD_DIH_ROT270:      B[j][i] = (i & 1) ? v : -v; break;
            case WARD_DIH_FLIPX:       B[i][j] = (i & 1) ? v : -v; break;
            case WARD_DIH_FLIPY:       B[i][j] = (j & 1) ? v : -v; break;
            case WARD_DIH_FLIP_PLUS1:  B[j][i] = v; break;
            case WARD_DIH_FLIP_MINUS1: B[j][i] = ((i + j) & 1) ? -v : v; break;
            default:                   B[i][j] = v; break;
            }
        }
}

ward_status ward_pdq_from_luma(float *luma, float *scratch, int rows, int cols,
                               int want_dihedral, ward_pdq_result *out)
{
    memset(out, 0, sizeof *out);
    if (rows < WARD_PDQ_MIN_DIM || cols < WARD_PDQ_MIN_DIM)
        return WARD_EUNSUPPORTED;

    float a64[64][64], dct[16][16], aux[16][16];
    if (rows == 64 && cols == 64)
        memcpy(a64, luma, sizeof a64);
    else
        pdq_downsample64(luma, scratch, rows, cols, PDQ_BEST, a64);
    out->quality = quality_metric(a64);
    dct64to16(a64, dct);
    bits_from_dct(dct, &out->hash[0]);
    out->count = 1;
    if (want_dihedral) {
        for (int w = 1; w < WARD_DIH_COUNT; w++) {
            dihedral(dct, w, aux);
            bits_from_dct(aux, &out->hash[w]);
        }
        out->count = WARD_DIH_COUNT;
    }
    return WARD_OK;
}

void ward_pdq_to_hex(const ward_pdq *h, char out[65]) { ward_hex(h->b, 32, out); }

ward_status ward_pdq_from_hex(const char *hex, ward_pdq *out)
{
    return ward_unhex(hex, strlen(hex), out->b, 32);
}

int ward_pdq_distance(const ward_pdq *a, const ward_pdq *b)
{
    uint64_t x[4], y[4];
    memcpy(x, a->b, 32);
    memcpy(y, b->b, 32);
    return __builtin_popcountll(x[0] ^ y[0]) + __builtin_popcountll(x[1] ^ y[1]) +
           __builtin_popcountll(x[2] ^ y[2]) + __builtin_popcountll(x[3] ^ y[3]);
}

const char *ward_dihedral_name(int which)
{
    static const char *const names[] = {"orig", "rot90", "rot180", "rot270",
                                        "flipx", "flipy", "flipplus1", "flipminus1"};
    return which >= 0 && which < WARD_DIH_COUNT ? names[which] : "?";
}
