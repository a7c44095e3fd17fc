/*
 * Exports: VICS 2.0, hashdeep, CSV and PDQ. Round trips (import -> export ->
 * import gives identical entries), valid JSON, filters, and the real
 * hashdeep accepting what ward writes. Records are generated: random hashes,
 * fake names, awkward characters.
 */
#include "storetest.h"

#include <unistd.h>
#include <yajl/yajl_tree.h>

/* The scratch directory is the group's state, handed to every test. */
static int group_setup(void **state)
{
    *state = scratch_dir("ward-export");
    return 0;
}

static int group_teardown(void **state)
{
    scratch_remove(*state);
    return 0;
}

static ward_store *new_store(const char *dir, const char *name)
{
    return store_open_ok(path_in(dir, name));
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

/* VICS writes MD5 and SHA1 in upper case (issue 18.3): their original
 * text does not survive that round trip, their bytes do. */
static int fold_md5_sha1;

static int dump_entry(void *ctx, const ward_entry *e)
{
    FILE *f = ctx;
    static const char *const kinds[4] = {"md5", "sha1", "sha256", "pdq"};
    const uint8_t *bytes[4] = {e->digests.md5, e->digests.sha1, e->digests.sha256, e->pdq.b};
    const size_t len[4] = {16, 20, 32, 32};
    const int have[4] = {e->digests.present & WARD_DIGEST_MD5,
                         e->digests.present & WARD_DIGEST_SHA1,
                         e->digests.present & WARD_DIGEST_SHA256, e->has_pdq};
    char hex[65];
    fprintf(f, "list=%s kind=%d", e->list, e->list_kind);
    for (int k = 0; k < 4; k++)
        if (have[k]) {
            ward_hex(bytes[k], len[k], hex);
            put_s(f, kinds[k], hex);
        }
    fprintf(f, " q=%d", e->pdq_quality);
    for (int k = 0; k < 4; k++)
        put_s(f, "text", fold_md5_sha1 && k < 2 ? NULL : e->hex_text[k]);
    const char *const fields[][2] = {
        {"scheme", e->scheme}, {"cat", e->category}, {"label", e->category_label},
        {"class", e->category_class}, {"series", e->series}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        put_s(f, fields[i][0], fields[i][1]);
    fprintf(f, " victim=%d", e->victim_identified);
    const char *const more[][2] = {
        {"first", e->first_seen}, {"first_utc", e->first_seen_utc}, {"upd", e->updated},
        {"upd_utc", e->updated_utc}, {"tags", e->tags}, {"name", e->name},
        {"media", e->media_id}};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        put_s(f, more[i][0], more[i][1]);
    fprintf(f, " size=%lld removed=%d\n", (long long)e->size, e->removed);
    return 0;
}

static void assert_same_dump(ward_store *a, ward_store *b)
{
    char *da = dump_store_with(a, NULL, dump_entry), *db = dump_store_with(b, NULL, dump_entry);
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

#define SEED 88172645463325252ull

/* casing: 0 lower, 1 upper, 2 mixed. */
static void rand_hex(xrng *r, char *out, size_t digits, int casing)
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    for (size_t i = 0; i < digits; i++) {
        unsigned v = xrng_next(r) & 15;
        int upper = casing == 1 || (casing == 2 && (i % 3 == 0));
        out[i] = upper ? up[v] : lo[v];
    }
    out[digits] = 0;
}

/* Some of the digests (at least one) in random case; mask of which. */
static int rand_digests(xrng *r, int kinds, char md5[33], char sha1[41], char sha256[65],
                        char pdq[65])
{
    char *out[4] = {md5, sha1, sha256, pdq};
    static const size_t digits[4] = {32, 40, 64, 64};
    int mask = 0;
    while (!mask)
        mask = (int)(xrng_next(r) & ((1u << kinds) - 1));
    for (int k = 0; k < kinds; k++) {
        out[k][0] = 0;
        if (mask & (1 << k))
            rand_hex(r, out[k], digits[k], (int)(xrng_next(r) % 3));
    }
    return mask;
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
static const char *gen_rich_csv(xrng *r, const char *dir, const char *name, int n)
{
    const char *p = path_in(dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs("md5,sha1,sha256,pdq,quality,category,series,victim_identified,tags,first_seen,"
          "updated,name,size,media_id\n", f);
    static const char *const cats[] = {"", "0", "1", "2", "3"};
    static const char *const dates[] = {"", "2023-06-07T02:31:49.8300Z", "2020-01-02 03:04:05+05:30",
                                        "2019-12-31", "not a date", "2024-02-29T23:59:59-00:30"};
    static const char *const names[] = {"", "sample-%04d.jpg", "dir, with comma/sample-%04d.jpg",
                                        "quote \"%04d\".png", "multi\nline-%04d.gif",
                                        "caf\xc3\xa9-%04d.jpg", "back\\slash-%04d.jpg",
                                        /* formula-looking: guarded by the writer, unguarded
                                         * by the reader (docs/reports.md) */
                                        "=cmd-%04d.jpg", "-%04d", "'=quoted-%04d.jpg"};
    static const char *const vi[] = {"", "true", "false"};
    static const char *const tags[] = {"", "synthetic", "a;b;c", "x y;z", "@t;+u", "\tlead"};
    static const char *const ids[] = {"", "%d", "id-%d", "007"};
    for (int i = 0; i < n; i++) {
        char md5[33], sha1[41], sha256[65], pdq[65], buf[128];
        rand_digests(r, 4, md5, sha1, sha256, pdq);
        csv_put(f, md5, 0);
        csv_put(f, sha1, 0);
        csv_put(f, sha256, 0);
        csv_put(f, pdq, 0);
        snprintf(buf, sizeof buf, "%d", (int)(xrng_next(r) % 101));
        csv_put(f, pdq[0] && xrng_next(r) % 2 ? buf : "", 0);
        csv_put(f, cats[xrng_next(r) % 5], 0);
        snprintf(buf, sizeof buf, "series-%d", (int)(xrng_next(r) % 7));
        csv_put(f, xrng_next(r) % 2 ? buf : "", 0);
        csv_put(f, vi[xrng_next(r) % 3], 0);
        csv_put(f, tags[xrng_next(r) % 6], 0);
        csv_put(f, dates[xrng_next(r) % 6], 0);
        csv_put(f, dates[xrng_next(r) % 6], 0);
        snprintf(buf, sizeof buf, names[xrng_next(r) % 10], i);
        csv_put(f, buf, 0);
        snprintf(buf, sizeof buf, "%d", (int)(xrng_next(r) % 100000));
        csv_put(f, xrng_next(r) % 2 ? buf : "", 0);
        snprintf(buf, sizeof buf, ids[xrng_next(r) % 4], i);
        csv_put(f, buf, 1);
    }
    fclose(f);
    return p;
}

/* Length of the "value" array of a VICS export, which must be JSON. */
static size_t vics_values(const char *path, int check_context)
{
    size_t len;
    uint8_t *buf = read_file_or_fail(path, &len);
    char *text = realloc(buf, len + 1);
    assert_non_null(text);
    text[len] = 0;
    char errbuf[256];
    yajl_val root = yajl_tree_parse(text, errbuf, sizeof errbuf);
    if (!root)
        fail_msg("export is not JSON: %s", errbuf);
    if (check_context) {
        const char *ctx_path[] = {"@odata.context", NULL};
        yajl_val ctx = yajl_tree_get(root, ctx_path, yajl_t_string);
        assert_non_null(ctx);
        assert_non_null(strstr(YAJL_IS_STRING(ctx) ? ctx->u.string : "", "DataModels/2.0.xml"));
    }
    const char *value_path[] = {"value", NULL};
    yajl_val value = yajl_tree_get(root, value_path, yajl_t_array);
    assert_non_null(value);
    size_t n = YAJL_GET_ARRAY(value)->len;
    yajl_tree_free(root);
    free(text);
    return n;
}

/* Whether the file holds `needle`. */
static int file_has(const char *path, const char *needle)
{
    size_t len;
    uint8_t *t = read_file_or_fail(path, &len);
    int found = memmem(t, len, needle, strlen(needle)) != NULL;
    free(t);
    return found;
}

/* Export a as fmt to `out` and import that into b: the same entries. */
static void export_reimport(ward_store *a, ward_store *b, const char *out,
                            ward_hashset_format fmt, const char *list, uint64_t n)
{
    assert_int_equal(export_ok(a, out, fmt, NULL, NULL), n);
    ward_import_summary sum;
    import_clean(b, out, WARD_FMT_AUTO, list, &sum);
    assert_int_equal(sum.added, n);
    assert_same_dump(a, b);
}

/* ---- tests ---------------------------------------------------------------- */

/* Import src into a new store <name>-a and check the export round trip
 * through <name>-b. Returns store a for more checks. */
static ward_store *roundtrip_file(const char *dir, const char *src, const char *name,
                                  ward_hashset_format fmt, uint64_t n)
{
    char sa[64], sb[64], out[64];
    snprintf(sa, sizeof sa, "%s-a", name);
    snprintf(sb, sizeof sb, "%s-b", name);
    snprintf(out, sizeof out, "%s-out.txt", name);
    ward_store *a = new_store(dir, sa), *b = new_store(dir, sb);
    import_clean(a, src, WARD_FMT_AUTO, name, NULL);
    export_reimport(a, b, path_in(dir, out), fmt, name, n);
    ward_store_close(b);
    return a;
}

static void roundtrip(const char *dir, ward_hashset_format fmt, const char *ext)
{
    xrng r = {SEED};
    char out1[64], out2[64], sb[64];
    snprintf(out1, sizeof out1, "export1.%s", ext);
    snprintf(out2, sizeof out2, "export2.%s", ext);
    snprintf(sb, sizeof sb, "%s-b", ext);
    ward_store *a = new_store(dir, ext), *b = new_store(dir, sb);
    import_clean(a, gen_rich_csv(&r, dir, "rich.csv", 400), WARD_FMT_CSV, "rich", NULL);
    export_reimport(a, b, path_in(dir, out1), fmt, "rich", 400);
    /* And exporting again gives the same bytes. */
    assert_int_equal(export_ok(b, path_in(dir, out2), fmt, NULL, NULL), 400);
    size_t l1, l2;
    uint8_t *d1 = read_file_or_fail(path_in(dir, out1), &l1);
    uint8_t *d2 = read_file_or_fail(path_in(dir, out2), &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(d1, d2, l1);
    free(d1);
    free(d2);
    ward_store_close(a);
    ward_store_close(b);
}

static void test_roundtrip_vics2(void **state)
{
    fold_md5_sha1 = 1;
    roundtrip(*state, WARD_FMT_VICS, "json");
    fold_md5_sha1 = 0;
}

/* What VICS consumers check (issue 18.3): an integer MediaID on every
 * Media (the source's own id, when not one, as WardMediaID), MD5 and SHA1
 * in upper case. */
static void test_vics_consumer_shape(void **state)
{
    const char *dir = *state;
    ward_store *s = new_store(dir, "vics-shape");
    import_clean(s,
                 write_in(dir, "shape.csv",
                          "md5,sha1,sha256,media_id\n"
                          "0000000000000000000000000000abcd,,,17\n"
                          "0000000000000000000000000000abce,000000000000000000000000000000000000abcd,,id-x\n"
                          ",,00000000000000000000000000000000000000000000000000000000000000ab,\n"),
                 WARD_FMT_CSV, "shape", NULL);
    assert_int_equal(export_ok(s, path_in(dir, "shape.json"), WARD_FMT_VICS, NULL, NULL), 3);
    size_t len;
    uint8_t *buf = read_file_or_fail(path_in(dir, "shape.json"), &len);
    char *text = realloc(buf, len + 1);
    assert_non_null(text);
    text[len] = 0;
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    assert_non_null(root);
    const char *value_path[] = {"value", NULL}, *id[] = {"MediaID", NULL},
               *wid[] = {"WardMediaID", NULL}, *md5[] = {"MD5", NULL}, *sha1[] = {"SHA1", NULL};
    yajl_val value = yajl_tree_get(root, value_path, yajl_t_array);
    assert_non_null(value);
    int saw17 = 0, sawx = 0, sawnull = 0;
    for (size_t i = 0; i < value->u.array.len; i++) {
        yajl_val m = value->u.array.values[i];
        yajl_val v = yajl_tree_get(m, id, yajl_t_number);
        assert_true(v && YAJL_IS_INTEGER(v));
        yajl_val w = yajl_tree_get(m, wid, yajl_t_any);
        saw17 += YAJL_GET_INTEGER(v) == 17 && !w;
        sawx += w && YAJL_IS_STRING(w) && strcmp(w->u.string, "id-x") == 0;
        sawnull += w && YAJL_IS_NULL(w);
        yajl_val h = yajl_tree_get(m, md5, yajl_t_string);
        if (h) assert_null(strpbrk(h->u.string, "abcdef"));
        h = yajl_tree_get(m, sha1, yajl_t_string);
        if (h) assert_string_equal(h->u.string + 36, "ABCD");
    }
    assert_int_equal(saw17 + sawx + sawnull, 3);
    assert_true(saw17 && sawx && sawnull);
    yajl_tree_free(root);
    free(text);

    /* and back: the ids as they were */
    ward_store *b = new_store(dir, "vics-shape-b");
    import_clean(b, path_in(dir, "shape.json"), WARD_FMT_AUTO, "shape", NULL);
    fold_md5_sha1 = 1;
    assert_same_dump(s, b);
    fold_md5_sha1 = 0;
    ward_store_close(b);
    ward_store_close(s);
}
static void test_roundtrip_csv(void **state) { roundtrip(*state, WARD_FMT_CSV, "csv"); }

static void test_vics_export_is_valid_json(void **state)
{
    const char *dir = *state;
    xrng r = {SEED + 1};
    ward_store *s = new_store(dir, "json-valid");
    import_clean(s, gen_rich_csv(&r, dir, "rich2.csv", 50), WARD_FMT_CSV, "rich", NULL);
    assert_int_equal(export_ok(s, path_in(dir, "valid.json"), WARD_FMT_VICS, NULL, NULL), 50);
    assert_int_equal(vics_values(path_in(dir, "valid.json"), 1), 50);

    /* An empty export is valid too. */
    ward_error err;
    assert_int_equal(ward_store_create_list(s, "empty", NULL, WARD_LIST_ALERT, NULL, &err),
                     WARD_OK);
    assert_int_equal(export_ok(s, path_in(dir, "empty.json"), WARD_FMT_VICS, "empty", NULL), 0);
    assert_int_equal(vics_values(path_in(dir, "empty.json"), 0), 0);
    ward_store_close(s);
}

static void test_empty_vics_and_filters(void **state)
{
    const char *dir = *state;
    ward_store *s = new_store(dir, "filters");
    import_clean(s,
                 write_in(dir, "fa.csv",
                          "md5,category\n00000000000000000000000000000001,1\n"
                          "00000000000000000000000000000002,2\n"
                          "00000000000000000000000000000003,\n"),
                 WARD_FMT_CSV, "vic", NULL);
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.scheme = WARD_SCHEME_UK;
    ward_error err;
    assert_int_equal(ward_store_import(s,
                                       write_in(dir, "fb.csv", "md5,category\n"
                                                               "00000000000000000000000000000001,A\n"),
                                       WARD_FMT_CSV, "uk", &o, NULL, &err),
                     WARD_OK);

    static const struct {
        const char *file, *list, *category;
        ward_hashset_format fmt;
        uint64_t written;
    } filters[] = {
        {"f1.csv", NULL, NULL, WARD_FMT_CSV, 4},
        {"f2.csv", "vic", NULL, WARD_FMT_CSV, 3},
        {"f3.csv", "uk", NULL, WARD_FMT_CSV, 1},
        {"f4.csv", NULL, "1", WARD_FMT_CSV, 1},
        {"f5.csv", NULL, "a", WARD_FMT_CSV, 1},
        {"f6.csv", "vic", "uncategorised", WARD_FMT_CSV, 1},
        {"f7.json", "vic", "2", WARD_FMT_VICS, 1},
    };
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
        assert_int_equal(export_ok(s, path_in(dir, filters[i].file), filters[i].fmt,
                                   filters[i].list, filters[i].category),
                         filters[i].written);
    assert_true(file_has(path_in(dir, "f7.json"), "\"Category\":2"));
    assert_true(file_has(path_in(dir, "f3.csv"), ",A,"));

    FILE *o2 = fopen(path_in(dir, "x.csv"), "w");
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
    assert_int_equal(export_ok(s, path_in(dir, "f8.csv"), WARD_FMT_CSV, NULL, NULL), 2);
    ward_store_close(s);
}

static void test_roundtrip_hashdeep(void **state)
{
    const char *dir = *state;
    xrng r = {SEED + 2};
    const char *p = path_in(dir, "src-hd.txt");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,sha256,filename\n## synthetic\n##\n", f);
    for (int i = 0; i < 300; i++) {
        char md5[33], sha1[41], sha256[65];
        rand_digests(&r, 3, md5, sha1, sha256, NULL);
        if (xrng_next(&r) % 4)
            fprintf(f, "%d", (int)(xrng_next(&r) % 100000));
        fprintf(f, ",%s,%s,%s,/evidence/dir, %d/sample-%04d.jpg\n", md5, sha1, sha256, i % 5, i);
    }
    fclose(f);
    ward_store *a = roundtrip_file(dir, p, "hd", WARD_FMT_HASHDEEP, 300);

    /* PDQ-only entries are skipped (counted). */
    import_clean(a,
                 write_in(dir, "only.pdq",
                          "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,90\n"),
                 WARD_FMT_PDQ, "pdq", NULL);
    FILE *o = fopen(path_in(dir, "hd-out2.txt"), "w");
    uint64_t written, skipped;
    ward_error err;
    assert_int_equal(ward_store_export(a, o, WARD_FMT_HASHDEEP, NULL, &written, &skipped, &err),
                     WARD_OK);
    fclose(o);
    assert_int_equal(written, 300);
    assert_int_equal(skipped, 1);
    ward_store_close(a);
}

static void test_roundtrip_pdq(void **state)
{
    const char *dir = *state;
    xrng r = {SEED + 3};
    const char *p = path_in(dir, "src.pdq");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++) {
        char h[65];
        rand_hex(&r, h, 64, (int)(xrng_next(&r) % 3));
        switch (i % 4) {
        case 0: fprintf(f, "%s\n", h); break;
        case 1: fprintf(f, "%s,%d\n", h, (int)(xrng_next(&r) % 101)); break;
        case 2: fprintf(f, "%s,%d,sample, %04d.jpg\n", h, (int)(xrng_next(&r) % 101), i); break;
        default: fprintf(f, "%s,,sample-%04d.jpg\n", h, i); break;
        }
    }
    fclose(f);
    ward_store_close(roundtrip_file(dir, p, "pdq", WARD_FMT_PDQ, 200));
}

static void test_real_hashdeep_reads_export(void **state)
{
    const char *dir = *state;
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
             dir);
    assert_int_equal(system(cmd), 0);
    ward_store *s = new_store(dir, "hd-real");
    import_clean(s, path_in(dir, "known-hd.txt"), WARD_FMT_HASHDEEP, "known", NULL);
    assert_int_equal(export_ok(s, path_in(dir, "ward-hd.txt"), WARD_FMT_HASHDEEP, NULL, NULL), 4);
    /* hashdeep positive matching against ward's export: the 4 known files. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && hashdeep -c md5,sha1,sha256 -k ward-hd.txt -m -r known unknown "
             "> matched.txt",
             dir);
    assert_int_equal(system(cmd), 0);
    size_t len;
    uint8_t *t = read_file_or_fail(path_in(dir, "matched.txt"), &len);
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
        cmocka_unit_test(test_vics_consumer_shape),
        cmocka_unit_test(test_roundtrip_csv),
        cmocka_unit_test(test_vics_export_is_valid_json),
        cmocka_unit_test(test_empty_vics_and_filters),
        cmocka_unit_test(test_roundtrip_hashdeep),
        cmocka_unit_test(test_roundtrip_pdq),
        cmocka_unit_test(test_real_hashdeep_reads_export),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
