/* ward-test: no-store (not run again on PostgreSQL) */
/*
 * End to end against the reference command-line hasher: every file it could
 * read must hash within 16 bits of what it printed, with the median distance
 * within 4 bits; every image in the folder must hash, including the modes the
 * reference could not read (CMYK JPEG, some PNG modes). Run twice: with the
 * fast JPEG path (DCT scaling, luma only) and with full RGB decoding.
 */
#include "testutil.h"

#include <dirent.h>
#include <ward/filehash.h>

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static int hash_file(const char *path, int fast, ward_file_hash *out)
{
    ward_hash_opts opts;
    ward_hash_opts_default(&opts);
    opts.digests = 0;
    opts.decode.jpeg_fast = fast;
    ward_hasher *h = ward_hasher_new(&opts);
    assert_non_null(h);
    size_t len;
    uint8_t *buf = read_file_or_fail(path, &len);
    (void)ward_hasher_buffer(h, buf, len, out); /* the outcome is in *out */
    free(buf);
    ward_hasher_free(h);
    return out->has_pdq;
}

static void check_reference(int fast)
{
    const char *dir = pdq_data_dir();
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/expected-reference.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    int dist[256], n = 0, worst = 0;
    while (fgets(line, sizeof line, f) && n < 256) {
        char *fld[4];
        if (split_csv(line, fld, 4) != 3)
            continue;
        snprintf(path, sizeof path, "%s/images/%s", dir, fld[0]);
        ward_file_hash r;
        if (!hash_file(path, fast, &r))
            fail_msg("%s: no PDQ: %s", fld[0], r.image_error.message);
        ward_pdq ref;
        assert_int_equal(ward_pdq_from_hex(fld[1], &ref), WARD_OK);
        int d = ward_pdq_distance(&ref, &r.pdq.hash[0]);
        if (d > 16)
            fail_msg("%s: %d bits from the reference (fast=%d)", fld[0], d, fast);
        if (d > worst) worst = d;
        dist[n++] = d;
    }
    fclose(f);
    qsort(dist, (size_t)n, sizeof *dist, cmp_int);
    int median = dist[n / 2];
    print_message("fast=%d: %d files, median %d bits, worst %d bits\n", fast, n, median, worst);
    assert_true(n >= 10);
    assert_true(median <= 4);
}

static void test_reference_fast(void **state) { (void)state; check_reference(1); }
static void test_reference_full(void **state) { (void)state; check_reference(0); }

static void test_every_image_hashes(void **state)
{
    (void)state;
    char dirpath[4096], path[8192];
    snprintf(dirpath, sizeof dirpath, "%s/images", pdq_data_dir());
    DIR *d = opendir(dirpath);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
        ward_file_hash r;
        if (!hash_file(path, 1, &r))
            fail_msg("%s (%s): %s", e->d_name, ward_media_type_name(r.media), r.image_error.message);
        n++;
    }
    closedir(d);
    print_message("%d images hashed\n", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_fast),
        cmocka_unit_test(test_reference_full),
        cmocka_unit_test(test_every_image_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
