/* ward-test: no-store (not run again on PostgreSQL) */
/*
 * Evidence sources: nested archives, zip bomb, bare gzip, depth limit, and
 * disk images (FAT via mtools, ext4 via mkfs.ext4 -d and debugfs) with a
 * deleted file, all built by the test without root.
 */
#include "testutil.h"

#include <unistd.h>
#include <ward/source.h>

typedef struct seen {
    char paths[256][512];
    int kinds[256];
    int deleted[256];
    uint64_t lens[256];
    char messages[256][256];
    int n;
} seen;

static int collect(void *ctx, ward_item *it)
{
    seen *s = ctx;
    if (s->n < 256) {
        snprintf(s->paths[s->n], sizeof s->paths[0], "%s", it->path);
        s->kinds[s->n] = it->kind;
        s->deleted[s->n] = it->deleted;
        s->lens[s->n] = it->len;
        snprintf(s->messages[s->n], sizeof s->messages[0], "%s", it->message);
        s->n++;
    }
    free(it->data);
    return 0;
}

static int find(const seen *s, const char *suffix, int kind)
{
    for (int i = 0; i < s->n; i++) {
        size_t a = strlen(s->paths[i]), b = strlen(suffix);
        if (a >= b && strcmp(s->paths[i] + a - b, suffix) == 0 && (kind < 0 || s->kinds[i] == kind))
            return i;
    }
    return -1;
}

static char tmp[256];

static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/ward-source-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    const char *img = getenv("WARD_TEST_DATA");
    sh("cd %s && mkdir -p in/sub && cp %s/pdq/images/q0122.jpg in/sub/photo.jpg && "
       "printf hello > in/note.txt && (cd in && zip -qr ../inner.zip .) && "
       "mkdir t && cp inner.zip t/ && cp %s/pdq/images/wee.jpg t/ && tar cf outer.tar -C t . && "
       "gzip -c %s/pdq/images/small.jpg > small.jpg.gz && "
       "head -c 60000000 /dev/zero > zeros && zip -q bomb.zip zeros && rm zeros", tmp, img, img, img);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("rm -rf %s", tmp);
    return 0;
}

static void test_nested_archives(void **state)
{
    (void)state;
    seen s = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/outer.tar", tmp);
    assert_int_equal(ward_source_read(path, NULL, collect, &s, NULL), WARD_OK);
    assert_true(find(&s, "outer.tar", WARD_ITEM_FILE) >= 0);
    assert_true(find(&s, "outer.tar!/./wee.jpg", WARD_ITEM_DATA) >= 0);
    assert_true(find(&s, "outer.tar!/./inner.zip", WARD_ITEM_DATA) >= 0);
    int i = find(&s, "outer.tar!/./inner.zip!/sub/photo.jpg", WARD_ITEM_DATA);
    assert_true(i >= 0);
    assert_int_equal(s.lens[i], 6928);

    /* depth 1: the zip inside the tar is reported, not opened */
    ward_source_opts o;
    ward_source_opts_default(&o);
    o.max_depth = 1;
    seen d = {0};
    assert_int_equal(ward_source_read(path, &o, collect, &d, NULL), WARD_OK);
    assert_true(find(&d, "inner.zip", WARD_ITEM_LIMIT) >= 0);
    assert_true(find(&d, "photo.jpg", -1) < 0);
}

static void test_zip_bomb_and_gzip(void **state)
{
    (void)state;
    seen s = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/bomb.zip", tmp);
    assert_int_equal(ward_source_read(path, NULL, collect, &s, NULL), WARD_OK);
    int i = find(&s, "bomb.zip", WARD_ITEM_LIMIT);
    assert_true(i >= 0);
    assert_non_null(strstr(s.messages[i], "zip bomb"));
    assert_true(find(&s, "zeros", WARD_ITEM_DATA) < 0);

    seen g = {0};
    snprintf(path, sizeof path, "%s/small.jpg.gz", tmp);
    assert_int_equal(ward_source_read(path, NULL, collect, &g, NULL), WARD_OK);
    i = find(&g, "small.jpg.gz!/small.jpg", WARD_ITEM_DATA);
    assert_true(i >= 0);
    assert_int_equal(g.lens[i], 1756);
}

static void test_fat_image_with_deleted_file(void **state)
{
    (void)state;
    const char *img = getenv("WARD_TEST_DATA");
    sh("cd %s && mkfs.vfat -C fat.img 4096 >/dev/null && "
       "mcopy -i fat.img %s/pdq/images/q0122.jpg ::/photo.jpg && "
       "mcopy -i fat.img %s/pdq/images/wee.jpg ::/gone.jpg && mdel -i fat.img ::/gone.jpg", tmp, img, img);
    seen s = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/fat.img", tmp);
    assert_int_equal(ward_source_read(path, NULL, collect, &s, NULL), WARD_OK);
    int live = find(&s, "fat.img!/photo.jpg", WARD_ITEM_DATA);
    assert_true(live >= 0);
    assert_int_equal(s.lens[live], 6928);
    assert_false(s.deleted[live]);
    /* FAT overwrites the first letter of a deleted name; TSK shows '_' */
    int gone = find(&s, "fat.img!/_one.jpg", WARD_ITEM_DATA);
    assert_true(gone >= 0);
    assert_true(s.deleted[gone]);
    assert_int_equal(s.lens[gone], 13664);
}

static void test_ext4_image(void **state)
{
    (void)state;
    const char *img = getenv("WARD_TEST_DATA");
    sh("cd %s && mkdir -p e/d && cp %s/pdq/images/q0291.jpg e/d/x.jpg && cp inner.zip e/ && "
       "cp %s/pdq/images/wee.jpg e/del.jpg && mkfs.ext4 -q -F -d e ext4.img 8M && "
       "debugfs -w -R 'rm /del.jpg' ext4.img >/dev/null 2>&1", tmp, img, img);
    seen s = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/ext4.img", tmp);
    assert_int_equal(ward_source_read(path, NULL, collect, &s, NULL), WARD_OK);
    assert_true(find(&s, "ext4.img!/d/x.jpg", WARD_ITEM_DATA) >= 0);
    assert_true(find(&s, "ext4.img!/inner.zip!/sub/photo.jpg", WARD_ITEM_DATA) >= 0);
    int del = find(&s, "ext4.img!/del.jpg", WARD_ITEM_DATA);
    assert_true(del >= 0);
    assert_true(s.deleted[del]);
    assert_int_equal(s.lens[del], 13664);
}

/* A disk image inside an archive larger than max_buffer streams past: it
 * is spooled as it streams, walked, and its temporary file removed; a
 * spool limit below its size names it instead, and still digests it. */
static void test_streamed_disk_image_in_zip(void **state)
{
    (void)state;
    const char *img = getenv("WARD_TEST_DATA");
    sh("cd %s && rm -rf sp && mkdir sp && mkfs.vfat -C big.raw 2048 >/dev/null && "
       "mcopy -i big.raw %s/pdq/images/wee.jpg ::/IN.jpg && zip -q big.zip big.raw", tmp, img);
    char path[512], spool[512];
    snprintf(path, sizeof path, "%s/big.zip", tmp);
    snprintf(spool, sizeof spool, "%s/sp", tmp);
    ward_source_opts o;
    ward_source_opts_default(&o);
    o.max_buffer = 256 * 1024;   /* the 2 MiB image streams */
    o.max_ratio = 100000;        /* an empty FAT compresses like a bomb */
    o.spool_dir = spool;
    seen s = {0};
    assert_int_equal(ward_source_read(path, &o, collect, &s, NULL), WARD_OK);
    int in = find(&s, "big.zip!/big.raw!/IN.jpg", WARD_ITEM_DATA);
    assert_true(in >= 0);
    assert_int_equal(s.lens[in], 13664);
    int raw = find(&s, "big.zip!/big.raw", WARD_ITEM_DIGESTED);
    assert_true(raw > in);       /* the container's record follows its files */
    assert_int_equal(s.lens[raw], 2048 * 1024);
    sh("test -z \"$(ls -A %s)\"", spool); /* the spool is empty again */

    o.max_spool = 1024 * 1024;
    seen l = {0};
    assert_int_equal(ward_source_read(path, &o, collect, &l, NULL), WARD_OK);
    int lim = find(&l, "big.zip!/big.raw", WARD_ITEM_LIMIT);
    assert_true(lim >= 0);
    assert_non_null(strstr(l.messages[lim], "spool limit"));
    assert_true(find(&l, "big.zip!/big.raw", WARD_ITEM_DIGESTED) >= 0);
    assert_true(find(&l, "IN.jpg", -1) < 0);
    sh("test -z \"$(ls -A %s)\"", spool);
}

/* A VHD is known by its footer, cookie and checksum both: a tar whose first
 * member's name begins "conectix" was taken for one (and handed to TSK,
 * which leaked; found by fuzz_container). */
static void test_vhd_needs_footer_checksum(void **state)
{
    (void)state;
    uint8_t f[512] = {0};
    memcpy(f, "conectix", 8);
    assert_int_not_equal(ward_container_sniff(f, sizeof f), WARD_CONTAINER_VDISK);
    f[63] = 3; /* dynamic */
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof f; i++)
        sum += f[i];
    sum = ~sum;
    f[64] = (uint8_t)(sum >> 24), f[65] = (uint8_t)(sum >> 16);
    f[66] = (uint8_t)(sum >> 8), f[67] = (uint8_t)sum;
    assert_int_equal(ward_container_sniff(f, sizeof f), WARD_CONTAINER_VDISK);
    assert_int_not_equal(ward_container_sniff(f, 511), WARD_CONTAINER_VDISK);
    f[100] ^= 1;
    assert_int_not_equal(ward_container_sniff(f, sizeof f), WARD_CONTAINER_VDISK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vhd_needs_footer_checksum),
        cmocka_unit_test(test_nested_archives),
        cmocka_unit_test(test_zip_bomb_and_gzip),
        cmocka_unit_test(test_fat_image_with_deleted_file),
        cmocka_unit_test(test_ext4_image),
        cmocka_unit_test(test_streamed_disk_image_in_zip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
