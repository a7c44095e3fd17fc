/* Victim identification (src/victim): the series lifecycle and its refusals,
 * checks of synthetic scans by two units (also seen elsewhere without the
 * other's case, identified means told, flood quarantine and release), and
 * retroactive matching of the register against new entries only. The store
 * revision (the state of the hash sets) never moves for any of it. */
#include "testutil.h"

#include <unistd.h>
#include <ward/victim.h>

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = scratch_dir("ward-victim");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scratch_remove(dir);
    dir = NULL;
    return 0;
}

static ward_victim_hash H(const char *text)
{
    ward_victim_hash h;
    ward_error err;
    assert_int_equal(ward_victim_hash_parse(text, &h, &err), WARD_OK);
    return h;
}

static void hash_parse(void **state)
{
    (void)state;
    ward_victim_hash h;
    ward_error err;
    char hex[65];
    memset(hex, 'A', 64), hex[64] = 0;
    assert_int_equal(ward_victim_hash_parse(hex, &h, &err), WARD_OK);   /* a SHA-256 */
    assert_int_equal(h.sha256[0], 'a');
    assert_string_equal(h.md5, "");
    char pdq[70];
    snprintf(pdq, sizeof pdq, "pdq:%s", hex);
    assert_int_equal(ward_victim_hash_parse(pdq, &h, &err), WARD_OK);
    assert_string_equal(h.sha256, "");
    assert_int_equal(strlen(h.pdq), 64);
    assert_int_equal(ward_victim_hash_parse("md5:abc", &h, &err), WARD_EINVAL);
    assert_non_null(strstr(err.message, "md5:abc"));
    assert_int_equal(ward_victim_hash_parse("sha1:" "zz", &h, &err), WARD_EINVAL);
}

static uint64_t revision(ward_store *s)
{
    uint64_t r;
    ward_error err;
    assert_int_equal(ward_store_revision(s, &r, &err), WARD_OK);
    return r;
}

static void lifecycle(void **state)
{
    (void)state;
    ward_store *s;
    ward_error err;
    ward_series sr;
    assert_int_equal(ward_store_open(dir, test_store_url(), 0, &s, &err), WARD_OK);
    uint64_t rev = revision(s);
    assert_int_equal(ward_series_create(s, "Attic", "VID 1", "v1@example.org", "t", &err), WARD_OK);
    assert_int_equal(ward_series_create(s, "attic", "VID 1", NULL, "t", &err), WARD_EINVAL);
    assert_int_equal(ward_series_create(s, "Nobody", "", NULL, "t", &err), WARD_EINVAL);
    assert_int_equal(ward_series_rename(s, "Attic", "Loft", "t", &err), WARD_OK);
    /* the former name finds it and cannot be taken by another */
    assert_int_equal(ward_series_get(s, "attic", &sr, &err), WARD_OK);
    assert_string_equal(sr.name, "Loft");
    assert_int_equal(ward_series_create(s, "Attic", "VID 2", NULL, "t", &err), WARD_EINVAL);

    ward_victim_hash a = H("sha256:" "1111111111111111111111111111111111111111111111111111111111111111");
    ward_victim_hash b = H("md5:22222222222222222222222222222222");
    int added = 0;
    assert_int_equal(ward_series_add(s, "Loft", &a, NULL, "t", &added, &err), WARD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(ward_series_add(s, "Loft", &a, NULL, "t", &added, &err), WARD_OK);
    assert_int_equal(added, 0);                               /* there already */
    assert_int_equal(ward_series_create(s, "Garden", "VID 2", NULL, "t", &err), WARD_OK);
    assert_int_equal(ward_series_add(s, "Garden", &a, NULL, "t", &added, &err), WARD_EINVAL);
    assert_non_null(strstr(err.message, "Loft"));
    assert_int_equal(ward_series_add(s, "Garden", &b, NULL, "t", &added, &err), WARD_OK);
    assert_int_equal(ward_series_set_status(s, "Garden", WARD_SERIES_SAFEGUARDED, "t", "safe",
                                            &err), WARD_OK);
    /* a merge keeps the more advanced status: it never un-identifies */
    assert_int_equal(ward_series_merge(s, "Loft", "Garden", "t", &err), WARD_OK);
    assert_int_equal(ward_series_get(s, "Garden", &sr, &err), WARD_OK);
    assert_string_equal(sr.name, "Loft");
    assert_int_equal(sr.status, WARD_SERIES_SAFEGUARDED);
    assert_int_equal(sr.entries, 2);
    assert_int_equal(ward_series_merge(s, "Loft", "Garden", "t", &err), WARD_EINVAL);  /* same */
    /* a split naming a hash not in the series changes nothing */
    ward_victim_hash two[2] = {b, H("md5:33333333333333333333333333333333")};
    uint64_t moved = 0;
    assert_int_equal(ward_series_split(s, "Loft", "Shed", two, 2, "t", &moved, &err),
                     WARD_ENOTFOUND);
    assert_int_equal(ward_series_get(s, "Shed", &sr, &err), WARD_ENOTFOUND);
    assert_int_equal(ward_series_split(s, "Loft", "Shed", two, 1, "t", &moved, &err), WARD_OK);
    assert_int_equal(moved, 1);
    assert_int_equal(ward_series_get(s, "Shed", &sr, &err), WARD_OK);
    assert_int_equal(sr.entries, 1);
    assert_int_equal(sr.status, WARD_SERIES_SAFEGUARDED);
    assert_int_equal(revision(s), rev);   /* the hash sets did not change */
    ward_store_close(s);
}

/* files.jsonl of a scan with one file per (class, sha256[, pdq]). */
static void write_scan(const char *name, int n, const char *const *cls,
                       const char *const *sha)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/files.jsonl", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++)
        fprintf(f, "{\"seq\":%d,\"path\":\"ev/%s/f%d.jpg\",\"class\":\"%s\",\"sha256\":\"%s\"}\n",
                i, name, i, cls[i], sha[i]);
    fclose(f);
}

typedef struct seen {
    int kinds[WARD_VF_NKINDS];
    char last[WARD_VF_NKINDS][1024];   /* the last message of each kind */
} seen;

static int on_finding(void *ctx, const ward_victim_finding *f)
{
    seen *s = ctx;
    s->kinds[f->kind]++;
    snprintf(s->last[f->kind], sizeof s->last[0], "%s", f->message);
    return 0;
}

static ward_status check(ward_store *s, const char *scan, const char *unit, const char *cs,
                         seen *out, int flood_units)
{
    ward_victim_check_opts o;
    ward_victim_check_opts_default(&o);
    o.unit = unit, o.case_ref = cs, o.contact = "desk@example.org", o.who = "t";
    o.now = 1796083200;   /* 2026-12-01T00:00:00Z */
    o.flood_units = flood_units;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, scan);
    memset(out, 0, sizeof *out);
    ward_error err;
    return ward_victim_check_scan(s, path, &o, on_finding, out, NULL, &err);
}

#define SHA_X "aaaa000000000000000000000000000000000000000000000000000000000001"
#define SHA_Y "bbbb000000000000000000000000000000000000000000000000000000000002"
#define SHA_M "cccc000000000000000000000000000000000000000000000000000000000003"

static int count_alerts(void *ctx, const ward_victim_alert *a)
{
    int *n = ctx;
    n[0]++;
    n[1] += strstr(a->message, "CASE-A") != NULL;    /* the other unit's case */
    return 0;
}

static void units_and_flood(void **state)
{
    (void)state;
    ward_store *s;
    ward_error err;
    seen f;
    assert_int_equal(ward_store_open(dir, test_store_url(), 0, &s, &err), WARD_OK);
    uint64_t rev = revision(s);
    const char *cls[] = {"new-image", "known", "other"};
    const char *sha[] = {SHA_X, SHA_M, SHA_Y};
    write_scan("a", 3, cls, sha);
    assert_int_equal(check(s, "a", "Unit A", "CASE-A", &f, 3), WARD_OK);
    assert_int_equal(f.kinds[WARD_VF_ALSO_SEEN], 0);
    /* unit B has the same new image: told, without unit A's case */
    write_scan("b", 3, cls, sha);
    assert_int_equal(check(s, "b", "Unit B", "CASE-B", &f, 3), WARD_OK);
    assert_int_equal(f.kinds[WARD_VF_ALSO_SEEN], 1);
    assert_non_null(strstr(f.last[WARD_VF_ALSO_SEEN], "Unit A"));
    assert_null(strstr(f.last[WARD_VF_ALSO_SEEN], "CASE-A"));
    int n[2] = {0, 0};
    assert_int_equal(ward_victim_alerts(s, "Unit B", 1, count_alerts, n, &err), WARD_OK);
    assert_int_equal(n[0], 1);
    assert_int_equal(n[1], 0);
    n[0] = n[1] = 0;
    assert_int_equal(ward_victim_alerts(s, "Unit A", 1, count_alerts, n, &err), WARD_OK);
    assert_int_equal(n[0], 1);     /* unit A is told too (its own case named) */
    /* the same scan again: told again, registered once */
    assert_int_equal(check(s, "b", "Unit B", "CASE-B", &f, 3), WARD_OK);
    assert_int_equal(f.kinds[WARD_VF_ALSO_SEEN], 0);

    /* identified means told */
    assert_int_equal(ward_series_create(s, "Porch", "VID 3", NULL, "t", &err), WARD_OK);
    ward_victim_hash x = H("sha256:" SHA_X);
    assert_int_equal(ward_series_add(s, "Porch", &x, NULL, "t", NULL, &err), WARD_OK);
    assert_int_equal(ward_series_set_status(s, "Porch", WARD_SERIES_IDENTIFIED, "t", NULL, &err),
                     WARD_OK);
    write_scan("c", 1, cls, sha);
    assert_int_equal(check(s, "c", "Unit C", "CASE-C", &f, 3), WARD_OK);
    assert_int_equal(f.kinds[WARD_VF_SERIES_DONE], 1);
    assert_non_null(strstr(f.last[WARD_VF_SERIES_DONE], "do not re-open"));

    /* the known meme (SHA_M): units A, B, C -> quarantined at the third */
    const char *mc[] = {"known"};
    const char *ms[] = {SHA_M};
    write_scan("m", 1, mc, ms);
    assert_int_equal(check(s, "m", "Unit C", "CASE-C2", &f, 3), WARD_OK);
    assert_int_equal(f.kinds[WARD_VF_FLOODED], 1);
    assert_int_equal(check(s, "m", "Unit D", "CASE-D", &f, 3), WARD_OK);
    assert_int_equal(f.kinds[WARD_VF_QUARANTINED], 1);
    assert_int_equal(ward_quarantine_release(s, "sha256:" SHA_M, "t", "", &err), WARD_EINVAL);
    assert_int_equal(ward_quarantine_release(s, "sha256:" SHA_M, "t", "a meme", &err), WARD_OK);
    assert_int_equal(ward_quarantine_release(s, "sha256:" SHA_M, "t", "again", &err),
                     WARD_ENOTFOUND);
    /* released: a later spike does not quarantine it again */
    assert_int_equal(check(s, "m", "Unit E", "CASE-E", &f, 3), WARD_OK);
    assert_int_equal(f.kinds[WARD_VF_FLOODED] + f.kinds[WARD_VF_QUARANTINED], 0);
    assert_int_equal(revision(s), rev);
    ward_store_close(s);
}

static void rematch(void **state)
{
    (void)state;
    ward_store *s;
    ward_error err;
    seen f;
    assert_int_equal(ward_store_open(dir, test_store_url(), 0, &s, &err), WARD_OK);
    const char *cls[] = {"new-image", "new-image"};
    const char *sha[] = {SHA_X, SHA_Y};
    write_scan("r", 2, cls, sha);
    assert_int_equal(check(s, "r", "Unit R", "CASE-R", &f, 5), WARD_OK);
    char csv[512];
    snprintf(csv, sizeof csv, "%s/later.csv", dir);
    FILE *fp = fopen(csv, "w");
    fprintf(fp, "sha256,category\n%s,1\n", SHA_Y);
    fclose(fp);
    ward_victim_rematch_summary sum;
    /* nothing new yet */
    assert_int_equal(ward_victim_rematch(s, NULL, NULL, NULL, &sum, &err), WARD_OK);
    assert_int_equal(sum.hits, 0);
    assert_int_equal(ward_store_import(s, csv, WARD_FMT_CSV, "later", NULL, NULL, &err), WARD_OK);
    assert_int_equal(ward_victim_rematch(s, NULL, NULL, NULL, &sum, &err), WARD_OK);
    assert_int_equal(sum.new_entries, 1);
    assert_int_equal(sum.hits, 1);
    /* the watermark moved: the same entries are not matched twice */
    assert_int_equal(ward_victim_rematch(s, NULL, NULL, NULL, &sum, &err), WARD_OK);
    assert_int_equal(sum.hits, 0);
    ward_store_close(s);
}

/* What the match service reads (issue 23, platform side): the series of an
 * entry by hash or by its series field (former and merged names resolve),
 * quarantine by a count (a release holds), and hashes kept elsewhere
 * re-matched against new entries only. */
static int count_hit(void *ctx, const ward_victim_hash_hit *h)
{
    size_t *n = ctx;
    assert_int_equal(h->index, 0);
    assert_string_equal(h->kind, "sha256");
    assert_int_equal(h->distance, 0);
    (*n)++;
    return 0;
}

static void platform_view(void **state)
{
    (void)state;
    ward_store *s;
    ward_error err;
    int added = 0;
    assert_int_equal(ward_store_open(dir, test_store_url(), 0, &s, &err), WARD_OK);
    assert_int_equal(ward_series_create(s, "Attic", "VID 1", "v1@example.org", "t", &err), WARD_OK);
    ward_victim_hash hx = H(SHA_X);
    assert_int_equal(ward_series_add(s, "Attic", &hx, NULL, "t", &added, &err), WARD_OK);
    assert_int_equal(ward_series_rename(s, "Attic", "Loft", "t", &err), WARD_OK);
    assert_int_equal(ward_series_create(s, "Garden", "VID 2", NULL, "t", &err), WARD_OK);
    assert_int_equal(ward_series_set_status(s, "Garden", WARD_SERIES_SAFEGUARDED, "t", NULL, &err),
                     WARD_OK);
    assert_int_equal(ward_series_merge(s, "Loft", "Garden", "t", &err), WARD_OK);
    char stamp[128], stamp2[128];
    assert_int_equal(ward_victim_view_stamp(s, stamp, &err), WARD_OK);
    ward_victim_view *v;
    assert_int_equal(ward_victim_view_load(s, &v, &err), WARD_OK);
    const ward_series *a = ward_victim_view_series(v, "sha256", SHA_X, NULL);
    const ward_series *b = ward_victim_view_series(v, "md5", "00", "ATTIC");
    const ward_series *c = ward_victim_view_series(v, NULL, NULL, "garden");
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, c);
    assert_string_equal(a->name, "Loft");
    assert_int_equal(a->status, WARD_SERIES_SAFEGUARDED); /* a merge never un-identifies */
    assert_null(ward_victim_view_series(v, "sha256", SHA_Y, "Nowhere"));
    char key[80];
    snprintf(key, sizeof key, "sha256:%s", SHA_Y);
    assert_false(ward_victim_view_quarantined(v, key));
    ward_victim_view_free(v);
    /* quarantine by a count; once released it is not quarantined again */
    assert_int_equal(ward_quarantine_add(s, key, 3, 4, NULL, NULL, &added, &err), WARD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(ward_victim_view_stamp(s, stamp2, &err), WARD_OK);
    assert_string_not_equal(stamp, stamp2);
    assert_int_equal(ward_victim_view_load(s, &v, &err), WARD_OK);
    assert_true(ward_victim_view_quarantined(v, key));
    ward_victim_view_free(v);
    assert_int_equal(ward_quarantine_release(s, key, "t", "a real listing", &err), WARD_OK);
    assert_int_equal(ward_quarantine_add(s, key, 9, 9, NULL, NULL, &added, &err), WARD_OK);
    assert_int_equal(added, 0);
    /* hashes kept elsewhere against the new entries only */
    int64_t before = 0; /* a fresh store: the import's entry is id 1 */
    char csv[512];
    snprintf(csv, sizeof csv, "%s/later.csv", dir);
    FILE *fp = fopen(csv, "w");
    fprintf(fp, "sha256,category\n%s,1\n", SHA_Y);
    fclose(fp);
    assert_int_equal(ward_store_import(s, csv, WARD_FMT_CSV, "later", NULL, NULL, &err), WARD_OK);
    const char *hashes[] = {key, "md5:not-hex", "pdq:00"};
    size_t n = 0;
    uint64_t hits = 0;
    assert_int_equal(ward_victim_rematch_hashes(s, before, 0, -1, hashes, 3, count_hit, &n,
                                                &hits, &err), WARD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(hits, 1);
    n = 0;
    assert_int_equal(ward_victim_rematch_hashes(s, before + 1, 0, -1, hashes, 3, count_hit, &n,
                                                &hits, &err), WARD_OK);
    assert_int_equal(n, 0);
    ward_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_parse),
        cmocka_unit_test_setup_teardown(lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(units_and_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(rematch, setup, teardown),
        cmocka_unit_test_setup_teardown(platform_view, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
