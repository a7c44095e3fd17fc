/* ward-test: no-store (not run again on PostgreSQL) */
/*
 * The vectorised blur (src/hash/pdq_blur.c) must give the portable code's
 * 64x64 samples bit for bit at every level this CPU has: on planes of odd
 * sizes (leftover rows and columns go through the scalar kernel), on the
 * 512x512 planes the JPEG path delivers, on planes with large and tiny
 * values (where a reordered add would round differently), and on planes
 * too small for the vector path (it must decline, not differ).
 */
#include "testutil.h"

#include "hash/pdq_blur.h"

#include <ward/pdq.h>

/* A reproducible plane: a smooth gradient plus xorshift noise, with a band
 * of large values and a few tiny ones so that running sums lose bits. */
static void fill_plane(float *p, int rows, int cols, uint32_t seed)
{
    uint32_t x = seed | 1;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            float v = (float)(r * 255 / rows) * 0.5f + (float)(x % 1000) * 0.1273f;
            if (r % 37 == 5)
                v *= 3001.7f;
            if (c % 53 == 7)
                v = (float)(x % 7) * 1e-3f;
            p[(size_t)r * cols + c] = v;
        }
}

static void check_size(int rows, int cols)
{
    size_t n = (size_t)rows * cols;
    float *orig = malloc(n * sizeof(float)), *plane = malloc(n * sizeof(float));
    float *scratch = malloc(n * sizeof(float));
    assert_non_null(orig);
    assert_non_null(plane);
    assert_non_null(scratch);
    fill_plane(orig, rows, cols, (uint32_t)(rows * 7919 + cols));
    float want[64][64], got[64][64];
    memcpy(plane, orig, n * sizeof(float));
    pdq_downsample64(plane, scratch, rows, cols, PDQ_PORTABLE, want);
    for (int level = PDQ_SSE2; level <= pdq_best_level(); level++) {
        memcpy(plane, orig, n * sizeof(float));
        pdq_downsample64(plane, scratch, rows, cols, level, got);
        for (int i = 0; i < 64; i++)
            for (int j = 0; j < 64; j++)
                if (memcmp(&want[i][j], &got[i][j], sizeof(float)) != 0)
                    fail_msg("%dx%d level %d: sample [%d][%d] is %.9g, portable %.9g", rows,
                             cols, level, i, j, got[i][j], want[i][j]);
    }
    /* And the whole hash through the public entry point (a 64x64 plane is
     * hashed as it is, without the blur). */
    ward_pdq_result a, b;
    memcpy(plane, orig, n * sizeof(float));
    assert_int_equal(ward_pdq_from_luma(plane, scratch, rows, cols, 1, &a), WARD_OK);
    memcpy(plane, orig, n * sizeof(float));
    float a64[64][64];
    pdq_downsample64(plane, scratch, rows, cols, PDQ_PORTABLE, a64);
    assert_int_equal(ward_pdq_from_luma(&a64[0][0], scratch, 64, 64, 1, &b), WARD_OK);
    if (rows != 64 || cols != 64)
        assert_memory_equal(&a, &b, sizeof a);
    free(orig);
    free(plane);
    free(scratch);
}

static void test_levels_agree(void **state)
{
    (void)state;
    static const int sizes[][2] = {
        {512, 512}, {64, 64}, {65, 67}, {71, 129}, {129, 71}, {300, 200},
        {200, 1000}, {1000, 77}, {513, 511}, {100, 700},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_size(sizes[i][0], sizes[i][1]);
}

static void test_small_planes_decline(void **state)
{
    (void)state;
    float plane[63 * 100], scratch[63 * 100], out[64][64];
    fill_plane(plane, 63, 100, 1);
    for (int level = PDQ_PORTABLE; level <= PDQ_BEST; level++)
        assert_int_equal(pdq_blur_sample64(plane, scratch, 63, 100, level, out), 0);
    check_size(63, 100);
    check_size(100, 40);
    check_size(5, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_agree),
        cmocka_unit_test(test_small_planes_decline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
