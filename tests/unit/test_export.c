/*
 * Exports: VICS 2.0, hashdeep, CSV and PDQ. Round trips (import -> export ->
 * import gives identical entries), valid JSON, filters, and the real
 * hashdeep accepting what ward writes. Records are generated: random hashes,
 * fake names, awkward characters.
 */
#include "testutil.h"

#include <ftw.h>
#include <unistd.h>
#include <ward/store.h>
#include <yajl/yajl_tree.h>

#include "store/store_int.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static char *tmpdir;

static int group_setup(void **state)
{
    (void)state;
    tmpdir = strdup("/tmp/ward-export-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(tmpdir);
    return 0;
}

static const char *tpath(const char *name)
{
    static char buf[4][4200];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static ward_store *new_store(const char *name)
{
    ward_store *s;
    ward_error err;
    if (ward_store_open(tpath(name), 0, &s, &err))
        fail_msg("open: %s", err.message);
    return s;
}

static void import_ok(ward_store *s, const char *path, ward_hashset_format fmt,
                      const char *list, ward_import_summary *sum)
{
    ward_error err;
    ward_import_summary local;
    if (!sum)
        sum = &local;
    if (ward_store_import(s, path, fmt, list, NULL, sum, &err))
        fail_msg("import %s: %s", path, err.message);
    for (size_t i = 0; i < sum->n_messages; i++)
        print_message("  %s\n", sum->messages[i]);
    assert_int_equal(sum->bad, 0);
}

static uint64_t export_ok(ward_store *s, const char *path, ward_hashset_format fmt,
                          const char *list, const char *category)
{
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    ward_export_opts opts = {.list = list, .category = category};
    uint64_t written = 0;
    ward_error err;
    if (ward_store_export(s, o, fmt, &opts, &written, NULL, &err))
        fail_msg("export: %s", err.message);
    fclose(o);
    return written;
}

/* ---- a canonical dump of every entry field (not ids or provenance) ---- */

typedef struct dump {
    char *buf;
    size_t len;
    FILE *f;
} dump;

static void put_s(FILE *f, const char *k, const char *v)
{
    fprintf(f, " %s=", k);
    if (!v) {
        fputs("(null)", f);
        return;
    }
    for (; *v; v++)
        fprintf(f, (unsigned char)*v < 0x20 || *v == '\\' ? "\\x%02x" : "%c", (unsigned char)*v);
}

static int dump_entry(void *ctx, const ward_entry *e)
{
    FILE *f = ctx;
    char hex[65];
    fprintf(f, "list=%s kind=%d", e->list, e->list_kind);
    if (e->digests.present & WARD_DIGEST_MD5) { ward_hex(e->digests.md5, 16, hex); put_s(f, "md5", hex); }
    if (e->digests.present & WARD_DIGEST_SHA1) { ward_hex(e->digests.sha1, 20, hex); put_s(f, "sha1", hex); }
    if (e->digests.present & WARD_DIGEST_SHA256) { ward_hex(e->digests.sha256, 32, hex); put_s(f, "sha256", hex); }
    if (e->has_pdq) { ward_hex(e->pdq.b, 32, hex); put_s(f, "pdq", hex); }
    fprintf(f, " q=%d", e->pdq_quality);
    for (int k = 0; k < 4; k++)
        put_s(f, "text", e->hex_text[k]);
    put_s(f, "scheme", e->scheme);
    put_s(f, "cat", e->category);
    put_s(f, "label", e->category_label);
    put_s(f, "class", e->category_class);
    put_s(f, "series", e->series);
    fprintf(f, " victim=%d", e->victim_identified);
    put_s(f, "first", e->first_seen);
    put_s(f, "first_utc", e->first_seen_utc);
    put_s(f, "upd", e->updated);
    put_s(f, "upd_utc", e->updated_utc);
    put_s(f, "tags", e->tags);
    put_s(f, "name", e->name);
    put_s(f, "media", e->media_id);
    fprintf(f, " size=%lld removed=%d\n", (long long)e->size, e->removed);
    return 0;
}

static char *dump_store(ward_store *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ward_error err;
    assert_int_equal(wst_each_entry(s, NULL, NULL, dump_entry, f, &err), WARD_OK);
    fclose(f);
    return buf;
}

static void assert_same_dump(ward_store *a, ward_store *b)
{
    char *da = dump_store(a), *db = dump_store(b);
    if (strcmp(da, db) != 0) {
        /* Show the first differing line. */
        char *pa = da, *pb = db;
        while (*pa && *pa == *pb) { pa++; pb++; }
        while (pa > da && pa[-1] != '\n') { pa--; pb--; }
        fail_msg("entries differ:\n  %.400s\n  %.400s", pa, pb);
    }
    assert_true(strlen(da) > 0);
    free(da);
    free(db);
}

/* ---- generated inputs --------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void rand_hex(char *out, size_t digits, int casing)
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    for (size_t i = 0; i < digits; i++) {
        unsigned v = next() & 15;
        int upper = casing == 1 || (casing == 2 && (i % 3 == 0));
        out[i] = upper ? up[v] : lo[v];
    }
    out[digits] = 0;
}

/* A CSV field: quoted when needed. */
static void csv_put(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(last ? "\n" : ",", f);
}

/* n rich records as CSV: every field, present or not, awkward names. */
static const char *gen_rich_csv(const char *name, int n)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs("md5,sha1,sha256,pdq,quality,category,series,victim_identified,tags,first_seen,"
          "updated,name,size,media_id\n", f);
    static const char *const cats[] = {"", "0", "1", "2", "3"};
    static const char *const dates[] = {"", "2023-06-07T02:31:49.8300Z", "2020-01-02 03:04:05+05:30",
                                        "2019-12-31", "not a date", "2024-02-29T23:59:59-00:30"};
    static const char *const names[] = {"", "sample-%04d.jpg", "dir, with comma/sample-%04d.jpg",
                                        "quote \"%04d\".png", "multi\nline-%04d.gif",
                                        "caf\xc3\xa9-%04d.jpg", "back\\slash-%04d.jpg"};
    for (int i = 0; i < n; i++) {
        char md5[33] = "", sha1[41] = "", sha256[65] = "", pdq[65] = "", buf[128];
        int mask = 0;
        while (!mask)
            mask = (int)(next() & 15);
        if (mask & 1) rand_hex(md5, 32, (int)(next() % 3));
        if (mask & 2) rand_hex(sha1, 40, (int)(next() % 3));
        if (mask & 4) rand_hex(sha256, 64, (int)(next() % 3));
        if (mask & 8) rand_hex(pdq, 64, (int)(next() % 3));
        csv_put(f, md5, 0);
        csv_put(f, sha1, 0);
        csv_put(f, sha256, 0);
        csv_put(f, pdq, 0);
        snprintf(buf, sizeof buf, "%d", (int)(next() % 101));
        csv_put(f, pdq[0] && next() % 2 ? buf : "", 0);
        csv_put(f, cats[next() % 5], 0);
        snprintf(buf, sizeof buf, "series-%d", (int)(next() % 7));
        csv_put(f, next() % 2 ? buf : "", 0);
        static const char *const vi[] = {"", "true", "false"};
        csv_put(f, vi[next() % 3], 0);
        static const char *const tags[] = {"", "synthetic", "a;b;c", "x y;z"};
        csv_put(f, tags[next() % 4], 0);
        csv_put(f, dates[next() % 6], 0);
        csv_put(f, dates[next() % 6], 0);
        snprintf(buf, sizeof buf, names[next() % 7], i);
        csv_put(f, buf, 0);
        snprintf(buf, sizeof buf, "%d", (int)(next() % 100000));
        csv_put(f, next() % 2 ? buf : "", 0);
        static const char *const ids[] = {"", "%d", "id-%d", "007"};
        snprintf(buf, sizeof buf, ids[next() % 4], i);
        csv_put(f, buf, 1);
    }
    fclose(f);
    return p;
}

/* ---- tests ---------------------------------------------------------------- */

static void roundtrip(ward_hashset_format fmt, const char *ext)
{
    ward_store *a = new_store(ext), *b;
    const char *src = gen_rich_csv("rich.csv", 400);
    import_ok(a, src, WARD_FMT_CSV, "rich", NULL);
    char out1[64], out2[64], sb[64];
    snprintf(out1, sizeof out1, "export1.%s", ext);
    snprintf(out2, sizeof out2, "export2.%s", ext);
    snprintf(sb, sizeof sb, "%s-b", ext);
    assert_int_equal(export_ok(a, tpath(out1), fmt, NULL, NULL), 400);
    b = new_store(sb);
    ward_import_summary sum;
    import_ok(b, tpath(out1), WARD_FMT_AUTO, "rich", &sum);
    assert_int_equal(sum.added, 400);
    assert_same_dump(a, b);
    /* And exporting again gives the same bytes. */
    assert_int_equal(export_ok(b, tpath(out2), fmt, NULL, NULL), 400);
    size_t l1, l2;
    uint8_t *d1 = read_file_or_fail(tpath(out1), &l1), *d2 = read_file_or_fail(tpath(out2), &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(d1, d2, l1);
    free(d1);
    free(d2);
    ward_store_close(a);
    ward_store_close(b);
}

static void test_roundtrip_vics2(void **state) { (void)state; roundtrip(WARD_FMT_VICS, "json"); }
static void test_roundtrip_csv(void **state) { (void)state; roundtrip(WARD_FMT_CSV, "csv"); }

static void test_vics_export_is_valid_json(void **state)
{
    (void)state;
    ward_store *s = new_store("json-valid");
    import_ok(s, gen_rich_csv("rich2.csv", 50), WARD_FMT_CSV, "rich", NULL);
    const char *p = tpath("valid.json");
    assert_int_equal(export_ok(s, p, WARD_FMT_VICS, NULL, NULL), 50);
    size_t len;
    uint8_t *buf = read_file_or_fail(p, &len);
    char *text = realloc(buf, len + 1);
    text[len] = 0;
    char errbuf[256];
    yajl_val root = yajl_tree_parse(text, errbuf, sizeof errbuf);
    if (!root)
        fail_msg("export is not JSON: %s", errbuf);
    const char *ctx_path[] = {"@odata.context", NULL};
    yajl_val ctx = yajl_tree_get(root, ctx_path, yajl_t_string);
    assert_non_null(ctx);
    const char *ctx_text = YAJL_IS_STRING(ctx) ? ctx->u.string : "";
    assert_non_null(strstr(ctx_text, "DataModels/2.0.xml"));
    const char *value_path[] = {"value", NULL};
    yajl_val value = yajl_tree_get(root, value_path, yajl_t_array);
    assert_non_null(value);
    assert_int_equal(YAJL_GET_ARRAY(value)->len, 50);
    yajl_tree_free(root);
    free(text);

    /* An empty export is valid too. */
    ward_error err;
    assert_int_equal(ward_store_create_list(s, "empty", NULL, WARD_LIST_ALERT, NULL, &err),
                     WARD_OK);
    p = tpath("empty.json");
    assert_int_equal(export_ok(s, p, WARD_FMT_VICS, "empty", NULL), 0);
    buf = read_file_or_fail(p, &len);
    text = realloc(buf, len + 1);
    text[len] = 0;
    root = yajl_tree_parse(text, errbuf, sizeof errbuf);
    assert_non_null(root);
    value = yajl_tree_get(root, value_path, yajl_t_array);
    assert_non_null(value);
    assert_int_equal(YAJL_GET_ARRAY(value)->len, 0);
    yajl_tree_free(root);
    free(text);
    ward_store_close(s);
}

static void test_empty_vics_and_filters(void **state)
{
    (void)state;
    ward_store *s = new_store("filters");
    const char *a = tpath("fa.csv"), *b = tpath("fb.csv");
    FILE *f = fopen(a, "w");
    fputs("md5,category\n00000000000000000000000000000001,1\n"
          "00000000000000000000000000000002,2\n00000000000000000000000000000003,\n", f);
    fclose(f);
    f = fopen(b, "w");
    fputs("md5,category\n00000000000000000000000000000001,A\n", f);
    fclose(f);
    import_ok(s, a, WARD_FMT_CSV, "vic", NULL);
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.scheme = WARD_SCHEME_UK;
    ward_error err;
    assert_int_equal(ward_store_import(s, b, WARD_FMT_CSV, "uk", &o, NULL, &err), WARD_OK);

    assert_int_equal(export_ok(s, tpath("f1.csv"), WARD_FMT_CSV, NULL, NULL), 4);
    assert_int_equal(export_ok(s, tpath("f2.csv"), WARD_FMT_CSV, "vic", NULL), 3);
    assert_int_equal(export_ok(s, tpath("f3.csv"), WARD_FMT_CSV, "uk", NULL), 1);
    assert_int_equal(export_ok(s, tpath("f4.csv"), WARD_FMT_CSV, NULL, "1"), 1);
    assert_int_equal(export_ok(s, tpath("f5.csv"), WARD_FMT_CSV, NULL, "a"), 1);
    assert_int_equal(export_ok(s, tpath("f6.csv"), WARD_FMT_CSV, "vic", "uncategorised"), 1);
    assert_int_equal(export_ok(s, tpath("f7.json"), WARD_FMT_VICS, "vic", "2"), 1);
    size_t len;
    uint8_t *t = read_file_or_fail(tpath("f7.json"), &len);
    assert_non_null(memmem(t, len, "\"Category\":2", 12));
    free(t);
    t = read_file_or_fail(tpath("f3.csv"), &len);
    assert_non_null(memmem(t, len, ",A,", 3));
    free(t);

    FILE *o2 = fopen(tpath("x.csv"), "w");
    ward_export_opts bad_list = {.list = "nope"}, bad_cat = {.category = "Z"};
    assert_int_equal(ward_store_export(s, o2, WARD_FMT_CSV, &bad_list, NULL, NULL, &err),
                     WARD_ENOTFOUND);
    assert_int_equal(ward_store_export(s, o2, WARD_FMT_CSV, &bad_cat, NULL, NULL, &err),
                     WARD_ENOTFOUND);
    assert_int_equal(ward_store_export(s, o2, WARD_FMT_NSRL, NULL, NULL, NULL, &err),
                     WARD_EUNSUPPORTED);
    assert_int_equal(ward_store_export(s, o2, WARD_FMT_SUMS, NULL, NULL, NULL, &err),
                     WARD_EUNSUPPORTED);
    fclose(o2);

    /* Removed entries are not exported. */
    uint64_t n;
    assert_int_equal(ward_store_remove(s, "00000000000000000000000000000001", NULL, "t", "test",
                                       &n, &err), WARD_OK);
    assert_int_equal(export_ok(s, tpath("f8.csv"), WARD_FMT_CSV, NULL, NULL), 2);
    ward_store_close(s);
}

static void test_roundtrip_hashdeep(void **state)
{
    (void)state;
    const char *p = tpath("src-hd.txt");
    FILE *f = fopen(p, "w");
    fputs("%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,sha256,filename\n## synthetic\n##\n", f);
    for (int i = 0; i < 300; i++) {
        char md5[33] = "", sha1[41] = "", sha256[65] = "";
        int mask = 0;
        while (!mask)
            mask = (int)(next() & 7);
        if (mask & 1) rand_hex(md5, 32, (int)(next() % 3));
        if (mask & 2) rand_hex(sha1, 40, (int)(next() % 3));
        if (mask & 4) rand_hex(sha256, 64, (int)(next() % 3));
        if (next() % 4)
            fprintf(f, "%d", (int)(next() % 100000));
        fprintf(f, ",%s,%s,%s,/evidence/dir, %d/sample-%04d.jpg\n", md5, sha1, sha256, i % 5, i);
    }
    fclose(f);
    ward_store *a = new_store("hd-a"), *b = new_store("hd-b");
    import_ok(a, p, WARD_FMT_AUTO, "hd", NULL);
    assert_int_equal(export_ok(a, tpath("hd-out.txt"), WARD_FMT_HASHDEEP, NULL, NULL), 300);
    import_ok(b, tpath("hd-out.txt"), WARD_FMT_AUTO, "hd", NULL);
    assert_same_dump(a, b);

    /* PDQ-only entries are skipped (counted). */
    const char *q = tpath("only.pdq");
    f = fopen(q, "w");
    fputs("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,90\n", f);
    fclose(f);
    import_ok(a, q, WARD_FMT_PDQ, "pdq", NULL);
    FILE *o = fopen(tpath("hd-out2.txt"), "w");
    uint64_t written, skipped;
    ward_error err;
    assert_int_equal(ward_store_export(a, o, WARD_FMT_HASHDEEP, NULL, &written, &skipped, &err),
                     WARD_OK);
    fclose(o);
    assert_int_equal(written, 300);
    assert_int_equal(skipped, 1);
    ward_store_close(a);
    ward_store_close(b);
}

static void test_roundtrip_pdq(void **state)
{
    (void)state;
    const char *p = tpath("src.pdq");
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 200; i++) {
        char h[65];
        rand_hex(h, 64, (int)(next() % 3));
        switch (i % 4) {
        case 0: fprintf(f, "%s\n", h); break;
        case 1: fprintf(f, "%s,%d\n", h, (int)(next() % 101)); break;
        case 2: fprintf(f, "%s,%d,sample, %04d.jpg\n", h, (int)(next() % 101), i); break;
        default: fprintf(f, "%s,,sample-%04d.jpg\n", h, i); break;
        }
    }
    fclose(f);
    ward_store *a = new_store("pdq-a"), *b = new_store("pdq-b");
    import_ok(a, p, WARD_FMT_AUTO, "pdq", NULL);
    assert_int_equal(export_ok(a, tpath("pdq-out.txt"), WARD_FMT_PDQ, NULL, NULL), 200);
    import_ok(b, tpath("pdq-out.txt"), WARD_FMT_AUTO, "pdq", NULL);
    assert_same_dump(a, b);
    ward_store_close(a);
    ward_store_close(b);
}

static void test_real_hashdeep_reads_export(void **state)
{
    (void)state;
    if (access("/usr/bin/hashdeep", X_OK) != 0) {
        print_message("  hashdeep not installed: skipped\n");
        return;
    }
    char cmd[8800];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p known unknown && for i in 1 2 3 4; do "
             "printf 'synthetic %%s' $i > known/sample-000$i.jpg; done && "
             "printf other > unknown/sample-0099.jpg && "
             "hashdeep -c md5,sha1,sha256 -r known > known-hd.txt",
             tmpdir);
    assert_int_equal(system(cmd), 0);
    ward_store *s = new_store("hd-real");
    import_ok(s, tpath("known-hd.txt"), WARD_FMT_HASHDEEP, "known", NULL);
    assert_int_equal(export_ok(s, tpath("ward-hd.txt"), WARD_FMT_HASHDEEP, NULL, NULL), 4);
    /* hashdeep positive matching against ward's export: the 4 known files. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && hashdeep -c md5,sha1,sha256 -k ward-hd.txt -m -r known unknown "
             "> matched.txt",
             tmpdir);
    assert_int_equal(system(cmd), 0);
    size_t len;
    uint8_t *t = read_file_or_fail(tpath("matched.txt"), &len);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += t[i] == '\n';
    assert_int_equal(lines, 4);
    assert_null(memmem(t, len, "sample-0099", 11));
    free(t);
    ward_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_vics2),
        cmocka_unit_test(test_roundtrip_csv),
        cmocka_unit_test(test_vics_export_is_valid_json),
        cmocka_unit_test(test_empty_vics_and_filters),
        cmocka_unit_test(test_roundtrip_hashdeep),
        cmocka_unit_test(test_roundtrip_pdq),
        cmocka_unit_test(test_real_hashdeep_reads_export),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
