/* ward-test: no-store (not run again on PostgreSQL) */
/*
 * PDQ must reproduce Meta's reference bit for bit on the reference's own
 * decoded pixel buffers: hash, quality and all 8 dihedral hashes.
 */
#include "testutil.h"

#include <ward/media.h>
#include <ward/pdq.h>

static void hash_vector(const char *dir, char **f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors/%s", dir, f[0]);
    size_t len;
    uint8_t *buf = read_file_or_fail(path, &len);
    ward_decode_opts opts;
    ward_decode_opts_default(&opts);
    ward_luma luma;
    ward_error err;
    assert_int_equal(ward_image_decode_luma(buf, len, &opts, &luma, &err), WARD_OK);
    float *scratch = malloc(sizeof(float) * (size_t)luma.rows * luma.cols);
    ward_pdq_result r;
    assert_int_equal(ward_pdq_from_luma(luma.px, scratch, luma.rows, luma.cols, 1, &r), WARD_OK);
    char hex[65];
    ward_pdq_to_hex(&r.hash[0], hex);
    if (strcmp(hex, f[1]) != 0)
        fail_msg("%s: pdq %s, reference %s", f[0], hex, f[1]);
    if (r.quality != atoi(f[2]))
        fail_msg("%s: quality %d, reference %s", f[0], r.quality, f[2]);
    for (int d = 0; d < WARD_DIH_COUNT; d++) {
        ward_pdq_to_hex(&r.hash[d], hex);
        if (strcmp(hex, f[3 + d]) != 0)
            fail_msg("%s: dihedral %s %s, reference %s", f[0], ward_dihedral_name(d), hex, f[3 + d]);
    }
    free(scratch);
    ward_luma_free(&luma);
    free(buf);
}

static void test_vectors_bit_exact(void **state)
{
    (void)state;
    const char *dir = pdq_data_dir();
    char path[4096], line[2048];
    snprintf(path, sizeof path, "%s/vectors/vectors.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        char *fields[16];
        if (split_csv(line, fields, 16) != 11)
            continue;
        hash_vector(dir, fields);
        n++;
    }
    fclose(f);
    print_message("%d vectors reproduced bit for bit from %s\n", n, dir);
    assert_true(n >= 7);
}

static void test_hex_roundtrip_and_distance(void **state)
{
    (void)state;
    const char *a = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    ward_pdq h, g;
    char hex[65];
    assert_int_equal(ward_pdq_from_hex(a, &h), WARD_OK);
    ward_pdq_to_hex(&h, hex);
    assert_string_equal(hex, a);
    g = h;
    g.b[0] ^= 0x81;
    g.b[31] ^= 0x01;
    assert_int_equal(ward_pdq_distance(&h, &g), 3);
    assert_int_equal(ward_pdq_from_hex("zz", &g), WARD_EFORMAT);
}

static void test_too_small(void **state)
{
    (void)state;
    float px[16] = {0}, tmp[16];
    ward_pdq_result r;
    assert_int_equal(ward_pdq_from_luma(px, tmp, 4, 4, 0, &r), WARD_EUNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_bit_exact),
        cmocka_unit_test(test_hex_roundtrip_and_distance),
        cmocka_unit_test(test_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
