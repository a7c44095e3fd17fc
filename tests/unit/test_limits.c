/* ward-test: no-store (not run again on PostgreSQL) */
/*
 * Resource limits that no CLI option reaches, so the e2e tests cannot hit
 * them at their defaults (4 GiB, 1 GiB): the largest archive member read
 * (ward_source_opts.max_member) and the largest image file decoded
 * (ward_hash_opts.max_image_bytes). Each is lowered here and must give its
 * documented outcome (docs/security.md): a LIMIT item naming the member,
 * or digests without a decode.
 */
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>
#include <ward/filehash.h>
#include <ward/source.h>

static char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = scratch_dir("ward-limits");
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && head -c 5000 /dev/urandom > big.bin && printf small > small.txt && "
             "zip -q0 m.zip big.bin small.txt", tmp);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scratch_remove(tmp);
    tmp = NULL;
    return 0;
}

typedef struct items {
    int limit_big, data_small, data_big;
    char message[256];
} items;

static int collect(void *ctx, ward_item *it)
{
    items *s = ctx;
    int big = strstr(it->path, "big.bin") != NULL;
    if (it->kind == WARD_ITEM_LIMIT && big) {
        s->limit_big++;
        snprintf(s->message, sizeof s->message, "%s", it->message);
    }
    if (it->kind == WARD_ITEM_DATA && big) s->data_big++;
    if (it->kind == WARD_ITEM_DATA && strstr(it->path, "small.txt")) s->data_small++;
    free(it->data);
    return 0;
}

static void test_max_member(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/m.zip", tmp);
    ward_source_opts o;
    ward_source_opts_default(&o);
    o.max_member = 1000;
    items s = {0};
    assert_int_equal(ward_source_read(path, &o, collect, &s, NULL), WARD_OK);
    assert_int_equal(s.limit_big, 1);
    assert_int_equal(s.data_big, 0);
    assert_non_null(strstr(s.message, "member over 1000 bytes"));
    assert_int_equal(s.data_small, 1); /* the rest of the archive is still read */
}

static void test_max_image_bytes(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/pdq/images/wee.jpg", getenv("WARD_TEST_DATA"));
    ward_hash_opts opts;
    ward_hash_opts_default(&opts);
    opts.max_image_bytes = 4096; /* wee.jpg is 13664 bytes */
    ward_hasher *h = ward_hasher_new(&opts);
    assert_non_null(h);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ward_file_hash r;
    assert_int_equal(ward_hasher_fd(h, fd, &r), WARD_OK);
    close(fd);
    assert_int_equal(r.size, 13664);            /* read and digested in full */
    assert_int_equal(r.image_status, WARD_ELIMIT);
    assert_non_null(strstr(r.image_error.message, "over 4096 bytes is not decoded"));
    assert_int_equal(r.has_pdq, 0);
    ward_file_hash_clear(&r);
    ward_hasher_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_member),
        cmocka_unit_test(test_max_image_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
