/* Releases: request paths (no traversal), deltas that reproduce the full
 * release byte for byte, keys and their file modes, signed manifests. */
#include "storetest.h"

#include <unistd.h>
#include <ward/keys.h>
#include <ward/release.h>

#include "release/rel_int.h"
#include "util/path.h"

static void mkfile(const char *dir, const char *rel, const char *text)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    char *slash = strrchr(p, '/');
    *slash = 0;
    assert_int_equal(path_mkdirs(p, NULL), WARD_OK);
    *slash = '/';
    write_text(p, text);
}

static void test_resolve(void **state)
{
    (void)state;
    char *root = scratch_dir("ward-rel");
    mkfile(root, "national/index.json", "{}\n");
    mkfile(root, "national/1/manifest", "m\n");
    mkfile(root, "national/1/full", REL_FULL_HEADER);
    mkfile(root, "national/2/full", REL_FULL_HEADER);
    mkfile(root, "national/1/removed", "");
    mkfile(root, "national/1/series", "ward-series/1\n");
    char *path = NULL;
    const char *ok[][2] = {{"national", "national/index.json"},
                           {"national/", "national/index.json"},
                           {"national/index.json", "national/index.json"},
                           {"national/1/manifest", "national/1/manifest"},
                           {"national/1/full", "national/1/full"},
                           {"national/1/series", "national/1/series"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(ward_release_resolve(root, ok[i][0], 0, &path, NULL), WARD_OK);
        assert_string_equal(path, path_in(root, ok[i][1]));
        free(path);
    }
    const char *bad[] = {"", "..", "../etc/passwd", "national/../../etc", "national/1/../full",
                         "national/01/full", "national/3..2/delta", "national/1..1/delta",
                         "national/1..2/delta/x", ".hidden", "national/1/removed",
                         "national/..2/delta", "national/1../delta", "nat ional",
                         "national//full", "national/1/full/", "national/1/series/",
                         "national/01/series"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ward_error err;
        if (ward_release_resolve(root, bad[i], 0, &path, &err) != WARD_EINVAL)
            fail_msg("%s was not refused", bad[i]);
        assert_null(path);
    }
    assert_int_equal(ward_release_resolve(root, "national/7/full", 0, &path, NULL),
                     WARD_ENOTFOUND);
    assert_int_equal(ward_release_resolve(root, "other", 0, &path, NULL), WARD_ENOTFOUND);
    /* a version without series (every release before them) has none */
    assert_int_equal(ward_release_resolve(root, "national/2/series", 0, &path, NULL),
                     WARD_ENOTFOUND);
    assert_int_equal(ward_release_resolve(root, "national/1..2/delta", 0, &path, NULL),
                     WARD_ENOTFOUND);
    /* Built on request, then served from the cache. */
    assert_int_equal(ward_release_resolve(root, "national/1..2/delta",
                                          WARD_RELEASE_RESOLVE_BUILD, &path, NULL),
                     WARD_OK);
    assert_string_equal(path, path_in(root, "national/1..2/delta"));
    free(path);
    assert_int_equal(ward_release_resolve(root, "national/1..2/delta", 0, &path, NULL), WARD_OK);
    free(path);
    scratch_remove(root);
}

/* ---- deltas ----------------------------------------------------------- */

typedef struct line {
    char text[200];
    size_t klen;
} line;

static int line_cmp(const void *a, const void *b)
{
    const line *x = a, *y = b;
    return rel_key_cmp(x->text, x->klen, y->text, y->klen);
}

/* A canonical full file of the records with ids in [lo, hi), `salt`
 * changing some names, sorted by key. Some hex upper-case, some names with
 * quotes and line breaks. */
static void write_full(const char *path, unsigned lo, unsigned hi, unsigned salt)
{
    size_t n = hi - lo;
    line *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        unsigned id = lo + (unsigned)i;
        char md5[33];
        snprintf(md5, sizeof md5, "%08x%08x%08x%08x", id * 2654435761u, id, ~id, id ^ 0xabcdu);
        if (id % 7 == 0)
            for (char *c = md5; *c; c++)
                *c = (char)(*c >= 'a' ? *c - 32 : *c);
        const char *name = id % 5 == 0 ? "\"a \"\"quoted\"\"\nname\"" : "plain.jpg";
        snprintf(v[i].text, sizeof v[i].text, "%s,,,,,%u,,,,,,%s%s,,", md5, id % 4,
                 (id + salt) % 3 == 0 ? "v2-" : "", name);
        if (name[0] == '"' && (id + salt) % 3 == 0) /* keep the quoting balanced */
            snprintf(v[i].text, sizeof v[i].text, "%s,,,,,%u,,,,,,\"v2 \"\"q\"\"\nx\",,", md5,
                     id % 4);
        v[i].klen = rel_key_len(v[i].text, strlen(v[i].text));
    }
    qsort(v, n, sizeof *v, line_cmp);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(REL_FULL_HEADER, f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", v[i].text);
    fclose(f);
    free(v);
}

static uint8_t *slurp(const char *path, size_t *n) { return read_file_or_fail(path, n); }

static void test_delta_roundtrip(void **state)
{
    (void)state;
    char *dir = scratch_dir("ward-delta");
    const char *a = path_in(dir, "a"), *b = path_in(dir, "b"), *d = path_in(dir, "d"),
               *out = path_in(dir, "out");
    /* Overlapping ranges: removals at the front, additions at the back,
     * changed names throughout. */
    write_full(a, 0, 3000, 0);
    write_full(b, 400, 3600, 1);
    rel_reasons reasons = {0};
    /* Reasons are free text: an odd quote must not join delta lines. */
    for (unsigned id = 1; id < 4; id++) {
        char key[40];
        snprintf(key, sizeof key, "%08x%08x%08x%08x,,,", id * 2654435761u, id, ~id,
                 id ^ 0xabcdu);
        assert_int_equal(rel_reasons_add(&reasons, key, strlen(key), "a 12\" print", 11, NULL),
                         WARD_OK);
    }
    rel_reasons_sort(&reasons);
    FILE *f = fopen(d, "wb");
    rel_delta_counts c;
    assert_int_equal(rel_delta_write(a, b, &reasons, "t", 1, 2, f, &c, NULL), WARD_OK);
    fclose(f);
    assert_int_equal(c.removed, 400);
    size_t nd;
    char *dt = (char *)slurp(d, &nd);
    assert_non_null(memmem(dt, nd, "\ta 12\" print\n", 13));
    free(dt);
    assert_true(c.added > 600);
    f = fopen(out, "wb");
    assert_int_equal(rel_delta_apply(a, d, f, NULL), WARD_OK);
    fclose(f);
    size_t nb, no;
    uint8_t *bb = slurp(b, &nb), *ob = slurp(out, &no);
    assert_int_equal(nb, no);
    assert_memory_equal(bb, ob, nb);
    free(bb);
    free(ob);
    /* From nothing: the delta is the whole release. */
    f = fopen(d, "wb");
    assert_int_equal(rel_delta_write(NULL, b, NULL, "t", 0, 2, f, &c, NULL), WARD_OK);
    fclose(f);
    assert_int_equal(c.added, 3200);
    /* A delta applied to the wrong release is refused, not merged. */
    f = fopen(d, "wb");
    assert_int_equal(rel_delta_write(a, b, NULL, "t", 1, 2, f, &c, NULL), WARD_OK);
    fclose(f);
    f = fopen(out, "wb");
    ward_error err;
    assert_int_equal(rel_delta_apply(b, d, f, &err), WARD_EFORMAT);
    fclose(f);
    assert_non_null(strstr(err.message, "does not hold"));
    rel_reasons_free(&reasons);
    scratch_remove(dir);
}

/* ---- keys and manifests ------------------------------------------------ */

static void test_keys(void **state)
{
    (void)state;
    char *dir = scratch_dir("ward-keys");
    ward_pubkey pub, again;
    ward_seckey sec;
    ward_error err;
    assert_int_equal(ward_key_generate(dir, 0, &pub, NULL), WARD_OK);
    assert_int_equal(ward_key_generate(dir, 0, NULL, &err), WARD_EINVAL);
    struct stat st;
    assert_int_equal(stat(path_in(dir, "keys/release.key"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(ward_key_load_secret(dir, NULL, &sec, NULL), WARD_OK);
    assert_string_equal(sec.pub.id, pub.id);
    char text[WARD_PUBKEY_TEXT_MAX];
    ward_pubkey_format(&pub, text);
    assert_int_equal(ward_pubkey_parse(text, &again, NULL), WARD_OK);
    assert_memory_equal(again.pk, pub.pk, 32);
    text[strlen(text) - 1] ^= 1; /* the id no longer matches */
    assert_int_equal(ward_pubkey_parse(text, &again, NULL), WARD_EFORMAT);
    uint8_t sig[64];
    ward_key_sign(&sec, "release", 7, sig);
    assert_true(ward_key_verify(&pub, "release", 7, sig));
    assert_false(ward_key_verify(&pub, "releasE", 7, sig));
    /* Trusted by id prefix; unknown ids are not found. */
    assert_int_equal(ward_key_trust(dir, &pub, NULL), WARD_OK);
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%s", pub.id);
    assert_int_equal(ward_key_resolve(dir, prefix, &again, NULL), WARD_OK);
    assert_string_equal(again.id, pub.id);
    assert_int_equal(ward_key_resolve(dir, "0000000000000000", &again, NULL), WARD_ENOTFOUND);
    /* Readable by group or others: refused. */
    for (int mode = 0640; mode <= 0644; mode += 4) {
        chmod(path_in(dir, "keys/release.key"), (mode_t)mode);
        assert_int_equal(ward_key_load_secret(dir, NULL, &sec, &err), WARD_EINVAL);
        assert_non_null(strstr(err.message, "readable by others"));
    }
    ward_key_wipe(&sec);
    scratch_remove(dir);
}

static void test_manifest(void **state)
{
    (void)state;
    char *dir = scratch_dir("ward-man"), *other = scratch_dir("ward-man2");
    ward_seckey sec, sec2;
    assert_int_equal(ward_key_generate(dir, 0, NULL, NULL), WARD_OK);
    assert_int_equal(ward_key_generate(other, 0, NULL, NULL), WARD_OK);
    assert_int_equal(ward_key_load_secret(dir, NULL, &sec, NULL), WARD_OK);
    assert_int_equal(ward_key_load_secret(other, NULL, &sec2, NULL), WARD_OK);
    rel_manifest m = {.version = 3, .parent = 2, .entries = 10, .full_bytes = 99,
                      .delta_from = 2, .delta_bytes = 5, .delta_added = 1};
    strcpy(m.list, "national");
    strcpy(m.created, "2026-11-23T12:00:00Z");
    strcpy(m.scheme, "projectvic");
    strcpy(m.kind, "alert");
    memset(m.full_sha256, 'a', 64);
    memset(m.delta_sha256, 'b', 64);
    char *text;
    size_t n;
    assert_int_equal(rel_manifest_sign(&m, &sec, &text, &n, NULL), WARD_OK);
    rel_manifest got;
    assert_int_equal(rel_manifest_parse(text, n, &sec.pub, &got, NULL), WARD_OK);
    assert_int_equal(got.version, 3);
    assert_int_equal(got.parent, 2);
    assert_int_equal(got.delta_from, 2);
    assert_string_equal(got.full_sha256, m.full_sha256);
    rel_manifest_free(&got);
    ward_error err;
    assert_int_equal(rel_manifest_parse(text, n, &sec2.pub, &got, &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "not by the trusted key"));
    char *v = strstr(text, "\"version\":3");
    v[10] = '4'; /* a replayed manifest renumbered */
    assert_int_equal(rel_manifest_parse(text, n, &sec.pub, &got, &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "does not verify"));
    assert_int_equal(rel_manifest_parse(text, 40, &sec.pub, &got, &err), WARD_EFORMAT);
    free(text);
    ward_key_wipe(&sec);
    ward_key_wipe(&sec2);
    scratch_remove(dir);
    scratch_remove(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_delta_roundtrip),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
