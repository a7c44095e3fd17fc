/*
 * Imports: every format (from fixtures written here or checked in under
 * tests/data/hashsets), format detection, bad-record reporting with line
 * numbers and JSON pointers, strict mode, idempotent re-import, merging and
 * updates, hex case, dates. All hashes are synthetic; all names are fake.
 */
#include "storetest.h"

#include <sqlite3.h>
#include <unistd.h>

#include "exchange/exchange.h"

/* ---- helpers ------------------------------------------------------------ */

typedef store_fx fx;

static const char *write_file(fx *f, const char *name, const char *text)
{
    const char *p = path_in(f->dir, name);
    write_text(p, text);
    return p;
}

static ward_status import(fx *f, const char *path, ward_hashset_format fmt,
                          const char *list, ward_import_summary *sum, ward_error *err)
{
    return ward_store_import(f->s, path, fmt, list, NULL, sum, err);
}

static int has_message(const ward_import_summary *sum, const char *needle)
{
    for (size_t i = 0; i < sum->n_messages; i++)
        if (strstr(sum->messages[i], needle))
            return 1;
    return 0;
}

/* What an import must report: its format (NULL: not checked), the records
 * added and bad, and a message for each of `messages` (up to a NULL). */
typedef struct expect {
    const char *format;
    uint64_t added, bad;
    const char *messages[8];
} expect;

static void import_expect(fx *f, const char *path, ward_hashset_format fmt, const char *list,
                          const expect *x, ward_import_summary *sum)
{
    import_ok(f->s, path, fmt, list, sum);
    if (x->format)
        assert_string_equal(sum->format, x->format);
    assert_int_equal(sum->added, x->added);
    assert_int_equal(sum->bad, x->bad);
    for (size_t i = 0; i < 8 && x->messages[i]; i++)
        if (!has_message(sum, x->messages[i]))
            fail_msg("no message '%s'", x->messages[i]);
}

/* An import that must fail with `status`, saying `needle` (if not NULL). */
static void import_refused(fx *f, const char *path, ward_hashset_format fmt, const char *list,
                           ward_status status, const char *needle)
{
    ward_error err;
    ward_import_summary sum;
    assert_int_equal(import(f, path, fmt, list, &sum, &err), status);
    print_message("  %s\n", err.message);
    if (needle && !strstr(err.message, needle))
        fail_msg("'%s' does not say '%s'", err.message, needle);
    assert_int_equal(sum.import_id, 0);
}

/* The single live entry carrying `hex`. */
static ward_entries *one(fx *f, const char *hex)
{
    ward_entries *e;
    ward_error err;
    if (ward_store_lookup(f->s, hex, 0, &e, &err))
        fail_msg("lookup %s: %s", hex, err.message);
    if (e->count != 1)
        fail_msg("lookup %s: %zu entries", hex, e->count);
    return e;
}

/* ... and its name (NULL: none). */
static void expect_name(fx *f, const char *hex, const char *name)
{
    ward_entries *e = one(f, hex);
    if (name)
        assert_string_equal(e->v[0].name, name);
    else
        assert_null(e->v[0].name);
    ward_entries_free(e);
}

static const char *data_dir(void)
{
    const char *d = getenv("WARD_TEST_DATA");
    return d ? d : "tests/data";
}

#define CTX2 "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"

/* ---- VICS ------------------------------------------------------------------ */

static void test_vics2_fields(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "v2.json",
        "\xef\xbb\xbf{\"@odata.context\":\"" CTX2 "\",\"value\":[\n"
        "{\"mediaid\":42,\"CATEGORY\":\"1\",\"Md5\":\"5D41402ABC4B2A76B9719D911017C592\","
        "\"sha1\":\"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\","
        "\"SHA256\":\"2CF24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\","
        "\"MediaSize\":\"2835\",\"DateUpdated\":\"2023-06-07T02:31:49.8300Z\","
        "\"FirstSeen\":\"2020-01-02T03:04:05+05:30\",\"VictimIdentified\":\"true\","
        "\"Series\":\"synthetic-series\",\"Tags\":[\" a \",\"b\"],\"Unknown\":{\"x\":[1,2,{\"MD5\":\"zz\"}]},"
        "\"Exifs\":[{\"PropertyName\":\"Make\",\"PropertyValue\":\"none\"}],"
        "\"MediaFiles\":[{\"FileName\":\"sample-0042.jpg\"},{\"FileName\":\"other.jpg\"}],"
        "\"AlternativeHashes\":[{\"HashName\":\"PDQ\",\"HashValue\":"
        "\"d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22\",\"Quality\":87},"
        "{\"HashName\":\"PhotoDNA\",\"HashValue\":\"AAAA\"}]},\n"
        "{\"MediaID\":\" 43 \",\"Category\":null,\"MD5\":\"7d793037a0760186574b0282f2f435e7\","
        "\"VictimIdentified\":false,\"Name\":\"sample-0043.jpg \",\"Tags\":\"x; y\","
        "\"DateUpdated\":\" 2023-06-07 \"}\n"
        "]}\n");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_VICS, "vics", &(expect){"vics2", 2, 0, {NULL}}, &sum);
    assert_int_equal(sum.records, 2);
    assert_int_equal(strlen(sum.file_sha256), 64);

    ward_entries *e = one(f, "5d41402abc4b2a76b9719d911017c592");
    ward_entry *x = &e->v[0];
    assert_string_equal(x->list, "vics");
    assert_string_equal(x->scheme, WARD_SCHEME_PROJECTVIC);
    assert_string_equal(x->category, "1");
    assert_string_equal(x->category_class, WARD_CLASS_ALERT);
    assert_string_equal(x->media_id, "42");
    assert_int_equal(x->size, 2835);
    assert_string_equal(x->updated, "2023-06-07T02:31:49.8300Z");
    assert_string_equal(x->updated_utc, "2023-06-07T02:31:49.83Z");
    assert_string_equal(x->first_seen, "2020-01-02T03:04:05+05:30");
    assert_string_equal(x->first_seen_utc, "2020-01-01T21:34:05Z");
    assert_int_equal(x->victim_identified, 1);
    assert_string_equal(x->series, "synthetic-series");
    assert_string_equal(x->tags, "a;b");
    assert_string_equal(x->name, "sample-0042.jpg");
    assert_true(x->has_pdq);
    assert_int_equal(x->pdq_quality, 87);
    assert_int_equal(x->digests.present, WARD_DIGEST_ALL);
    /* Hex case: the source's upper-case MD5 and mixed-case SHA-256 kept. */
    assert_string_equal(x->hex_text[WARD_HEX_MD5], "5D41402ABC4B2A76B9719D911017C592");
    assert_null(x->hex_text[WARD_HEX_SHA1]);
    assert_string_equal(x->hex_text[WARD_HEX_SHA256],
                        "2CF24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_null(x->hex_text[WARD_HEX_PDQ]);
    assert_string_equal(x->import_format, "vics2");
    ward_entries_free(e);
    /* Looking up by the upper-case form is the same. */
    expect_name(f, "md5:5D41402ABC4B2A76B9719D911017C592", "sample-0042.jpg");
    expect_name(f, "pdq:d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22",
                "sample-0042.jpg");

    e = one(f, "7d793037a0760186574b0282f2f435e7");
    assert_null(e->v[0].category);
    assert_null(e->v[0].category_class);
    assert_int_equal(e->v[0].victim_identified, 0);
    assert_string_equal(e->v[0].tags, "x;y");
    assert_string_equal(e->v[0].name, "sample-0043.jpg ");
    assert_string_equal(e->v[0].media_id, "43");
    assert_string_equal(e->v[0].updated, " 2023-06-07 ");
    assert_string_equal(e->v[0].updated_utc, "2023-06-07T00:00:00Z");
    assert_int_equal(e->v[0].size, -1);
    assert_int_equal(e->v[0].pdq_quality, -1);
    ward_entries_free(e);
}

static void test_vics1_case_file(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "v1.json",
        "{\"odata.metadata\":\"http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Cases\","
        "\"value\":[{\"CaseID\":\"{00000000-0000-0000-0000-000000000001}\",\"CaseNumber\":\"T-1\","
        "\"Media\":[{\"MediaID\":1,\"Category\":2,\"MD5\":\"A1B2C3D4E5F60718293A4B5C6D7E8F90\","
        "\"MediaFiles\":[{\"FileName\":\"sample-0001.jpg\"}]},"
        "{\"MediaID\":2,\"Category\":1,\"MD5\":\"bad\"}]},"
        "{\"CaseID\":\"2\",\"Media\":[{\"MD5\":\"0F1E2D3C4B5A69788796A5B4C3D2E1F0\"}]}]}");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_AUTO, "cases",
                  &(expect){"vics1", 2, 1, {"v1.json: /value/0/Media/1/MD5: invalid MD5 'bad'"}},
                  &sum);
    assert_int_equal(sum.records, 3);
    ward_entries *e = one(f, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
    assert_string_equal(e->v[0].name, "sample-0001.jpg");
    assert_string_equal(e->v[0].category, "2");
    ward_entries_free(e);

    /* A bare array of Media is accepted too. */
    p = write_file(f, "bare.json", "[{\"MD5\":\"00000000000000000000000000000001\"}]");
    import_expect(f, p, WARD_FMT_AUTO, "bare", &(expect){"vics", 1, 0, {NULL}}, &sum);
}

static void test_vics_bad_records_pointers(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "bad.json",
        "{\"@odata.context\":\"" CTX2 "\",\"value\":[\n"
        "{\"MediaID\":1,\"Category\":1,\"MD5\":\"00000000000000000000000000000001\"},\n"
        "{\"MediaID\":2,\"Category\":1,\"MD5\":\"nothex\"},\n"
        "{\"MediaID\":3,\"Category\":1},\n"
        "{\"MediaID\":4,\"Category\":7,\"MD5\":\"00000000000000000000000000000004\"},\n"
        "\"oops\",\n"
        "{\"MediaID\":6,\"MD5\":\"00000000000000000000000000000006\",\"VictimIdentified\":\"maybe\"},\n"
        "{\"MediaID\":7,\"MD5\":\"00000000000000000000000000000007\",\"AlternativeHashes\":"
        "[{\"HashName\":\"PDQ\",\"HashValue\":\"zz\"}]},\n"
        "{\"MediaID\":8,\"MD5\":[\"00000000000000000000000000000008\"]},\n"
        "{\"MediaID\":9,\"a/b~c\":1,\"MD5\":\"00000000000000000000000000000009\"}\n"
        "]}");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_VICS, "v",
                  &(expect){NULL, 2, 7,
                            {"/value/1/MD5: invalid MD5 'nothex'",
                             "/value/2: no MD5, SHA1, SHA256 or PDQ",
                             "/value/3/Category: unknown category '7' in scheme 'projectvic'",
                             "/value/4: expected a Media object, found a string",
                             "/value/5/VictimIdentified:",
                             "/value/6/AlternativeHashes/0/HashValue: invalid PDQ 'zz'",
                             "/value/7/MD5: MD5: expected a single value"}},
                  &sum);
    assert_int_equal(sum.records, 9);
    assert_int_equal(sum.n_messages, 7);
    assert_int_equal(live_entries(f->s), 2);
}

static void test_vics_syntax_error_rolls_back(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "broken.json",
        "{\"value\":[\n"
        "{\"MD5\":\"00000000000000000000000000000001\"},\n"
        "{\"MD5\":\"00000000000000000000000000000002\" \"SHA1\": 1}\n"
        "]}");
    import_refused(f, p, WARD_FMT_AUTO, "v", WARD_EFORMAT, "broken.json:3:");
    assert_int_equal(live_entries(f->s), 0);
    /* Truncated file. */
    p = write_file(f, "trunc.json", "{\"value\":[{\"MD5\":\"00000000000000000000000000000001\"}");
    import_refused(f, p, WARD_FMT_VICS, "v", WARD_EFORMAT, "trunc.json");
    /* JSON, but not VICS. */
    p = write_file(f, "other.json", "{\"something\":[1,2,3]}");
    import_refused(f, p, WARD_FMT_VICS, "v", WARD_EFORMAT, "value");
    assert_int_equal(live_entries(f->s), 0);
}

/* ---- hashdeep / sums / pdq / csv --------------------------------------- */

static void test_hashdeep(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "hd.txt",
        "%%%% HASHDEEP-1.0\n"
        "%%%% size,md5,sha1,sha256,tiger,filename\n"
        "## Invoked from: /home/examiner\n"
        "## $ hashdeep -r synthetic\n"
        "##\n"
        "5,5d41402abc4b2a76b9719d911017c592,aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d,"
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824,abc,/x/sample,one.jpg\n"
        "6,nothex,,,,/x/bad.jpg\n"
        "7,b1946ac92492d2347c6235b4d2611184\n"
        "x,b1946ac92492d2347c6235b4d2611184,,,,/x/badsize.jpg\n"
        "\r\n"
        ",b1946ac92492d2347c6235b4d2611184,,,,/x/nosize.jpg\r\n");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_AUTO, "hd",
                  &(expect){"hashdeep", 2, 3,
                            {"hd.txt:7: invalid MD5 'nothex'",
                             "hd.txt:8: 2 fields, the column line has 6",
                             "hd.txt:9: invalid size 'x'"}},
                  &sum);
    ward_entries *e = one(f, "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    assert_string_equal(e->v[0].name, "/x/sample,one.jpg");
    assert_int_equal(e->v[0].size, 5);
    assert_int_equal(e->v[0].digests.present, WARD_DIGEST_ALL);
    ward_entries_free(e);
    e = one(f, "b1946ac92492d2347c6235b4d2611184");
    assert_string_equal(e->v[0].name, "/x/nosize.jpg");
    assert_int_equal(e->v[0].size, -1);
    ward_entries_free(e);

    p = write_file(f, "nohd.txt", "5,5d41402abc4b2a76b9719d911017c592,x\n");
    import_refused(f, p, WARD_FMT_HASHDEEP, "hd", WARD_EFORMAT, "nohd.txt:1: not a hashdeep file");
}

static void make_sample_files(fx *f, const char *sub, int n)
{
    char d[4200];
    snprintf(d, sizeof d, "%s/%s", f->dir, sub);
    assert_int_equal(mkdir(d, 0700), 0);
    for (int i = 0; i < n; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/sample-%04d.jpg", d, i);
        FILE *o = fopen(p, "wb");
        assert_non_null(o);
        for (int k = 0; k < 100 + i; k++)
            fputc((i * 31 + k * 7) & 0xff, o);
        fclose(o);
    }
}

static void file_md5(const char *path, char hex[33])
{
    size_t len;
    uint8_t *buf = read_file_or_fail(path, &len);
    ward_digester *d = ward_digester_new(WARD_DIGEST_MD5);
    ward_digester_update(d, buf, len);
    ward_digests out;
    ward_digester_final(d, &out);
    ward_digester_free(d);
    free(buf);
    ward_hex(out.md5, 16, hex);
}

static void test_real_hashdeep_output(void **state)
{
    fx *f = *state;
    if (access("/usr/bin/hashdeep", X_OK) != 0) {
        print_message("  hashdeep not installed: skipped\n");
        return;
    }
    make_sample_files(f, "files", 5);
    char cmd[8800];
    snprintf(cmd, sizeof cmd, "cd '%s' && hashdeep -c md5,sha1,sha256 -r files > hd-real.txt",
             f->dir);
    assert_int_equal(system(cmd), 0);
    ward_import_summary sum;
    import_expect(f, path_in(f->dir, "hd-real.txt"), WARD_FMT_AUTO, "real",
                  &(expect){"hashdeep", 5, 0, {NULL}}, &sum);
    char hex[33], p[4400];
    snprintf(p, sizeof p, "%s/files/sample-0003.jpg", f->dir);
    file_md5(p, hex);
    ward_entries *e = one(f, hex);
    assert_non_null(strstr(e->v[0].name, "sample-0003.jpg"));
    assert_int_equal(e->v[0].size, 103);
    assert_int_equal(e->v[0].digests.present, WARD_DIGEST_ALL);
    ward_entries_free(e);
}

static void test_sums(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "sums.txt",
        "5d41402abc4b2a76b9719d911017c592  sample-0001.jpg\n"
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d *sample-0002.jpg\n"
        "\\2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a\\\\b\\nc.jpg\n"
        "# a comment\n"
        "SHA256 (sample 0004.jpg) = 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n"
        "5d41402abc4b2a76b9719d911017c59  short.jpg\n"
        "garbage line\n"
        "B1946AC92492D2347C6235B4D2611184\n");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_AUTO, "sums",
                  &(expect){"sums", 5, 2,
                            {"sums.txt:6: not a checksum line", "sums.txt:7: not a checksum line"}},
                  &sum);
    expect_name(f, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                "a\\b\nc.jpg");
    expect_name(f, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
                "sample 0004.jpg");
    expect_name(f, "b1946ac92492d2347c6235b4d2611184", NULL);
    ward_entries *e = one(f, "b1946ac92492d2347c6235b4d2611184");
    assert_string_equal(e->v[0].hex_text[WARD_HEX_MD5], "B1946AC92492D2347C6235B4D2611184");
    ward_entries_free(e);

    /* md5sum format: other lengths are bad. */
    import_expect(f, p, WARD_FMT_MD5SUM, "md5only",
                  &(expect){NULL, 2, 5, {"sums.txt:2: expected 32 hex digits (MD5), found 40"}},
                  &sum);

    /* Real coreutils output, names with a backslash and a newline. */
    char cmd[8800];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir real && printf one > 'real/back\\slash.jpg' && "
             "printf two > \"$(printf 'real/new\\nline.jpg')\" && printf three > real/plain.jpg "
             "&& sha256sum real/* > real-sha256.txt && sha1sum -b real/* > real-sha1.txt",
             f->dir);
    assert_int_equal(system(cmd), 0);
    import_expect(f, path_in(f->dir, "real-sha256.txt"), WARD_FMT_SHA256SUM, "real",
                  &(expect){NULL, 3, 0, {NULL}}, &sum);
    import_expect(f, path_in(f->dir, "real-sha1.txt"), WARD_FMT_AUTO, "real1",
                  &(expect){NULL, 3, 0, {NULL}}, &sum);
    /* sha256("two") */
    expect_name(f, "3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3",
                "real/new\nline.jpg");
    /* sha1("one") */
    expect_name(f, "fe05bcdcdc4928012781a5f1a2a77cbb5398e106", "real/back\\slash.jpg");
}

static void test_pdq_lines(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "pdq.txt",
        "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,100,sample, one.jpg\n"
        "f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22\n"
        "e8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,101\n"
        "c8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b2,50\n"
        "b8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,,noquality.jpg\n");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_AUTO, "pdq",
                  &(expect){"pdq", 3, 2,
                            {"pdq.txt:3: invalid PDQ quality '101'", "pdq.txt:4: invalid PDQ hash"}},
                  &sum);
    ward_entries *e = one(f, "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22");
    assert_int_equal(e->v[0].pdq_quality, 100);
    assert_string_equal(e->v[0].name, "sample, one.jpg");
    assert_int_equal(e->v[0].digests.present, 0);
    ward_entries_free(e);
    e = one(f, "pdq:b8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22");
    assert_int_equal(e->v[0].pdq_quality, -1);
    assert_string_equal(e->v[0].name, "noquality.jpg");
    ward_entries_free(e);
}

static void test_csv(void **state)
{
    fx *f = *state;
    const char *p = write_file(f, "l.csv",
        "MD5,Name,Category,Victim_Identified,\"First Seen\",Extra,Tags,pdq,quality\r\n"
        "5d41402abc4b2a76b9719d911017c592,\"multi\r\nline, name\",1,yes,"
        "2021-03-04 10:00:00+02:00,ignored,\"a; b ;\",,\r\n"
        "nothex,x,1,,,,,,\r\n"
        "7d793037a0760186574b0282f2f435e7,\"a \"\"quoted\"\" name\",2,no,yesterday,,,"
        "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,75\r\n"
        "b1946ac92492d2347c6235b4d2611184,y,9,,,,,,\r\n"
        "\r\n"
        "00000000000000000000000000000005,z,,maybe,,,,,\r\n"
        "00000000000000000000000000000006,z,,,,,,,,,surplus\r\n"
        "00000000000000000000000000000007,\"never closed\r\n");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_AUTO, "csv",
                  &(expect){"csv", 2, 5,
                            {"l.csv:4: invalid MD5 'nothex'", "l.csv:6: unknown category '9'",
                             "l.csv:8: invalid victim_identified 'maybe'",
                             "l.csv:9: 11 fields, the header has 9",
                             "l.csv:10: quoted field not closed"}},
                  &sum);
    ward_entries *e = one(f, "5d41402abc4b2a76b9719d911017c592");
    assert_string_equal(e->v[0].name, "multi\r\nline, name");
    assert_string_equal(e->v[0].category, "1");
    assert_int_equal(e->v[0].victim_identified, 1);
    assert_string_equal(e->v[0].first_seen_utc, "2021-03-04T08:00:00Z");
    assert_string_equal(e->v[0].tags, "a;b");
    ward_entries_free(e);
    e = one(f, "7d793037a0760186574b0282f2f435e7");
    assert_string_equal(e->v[0].name, "a \"quoted\" name");
    assert_string_equal(e->v[0].first_seen, "yesterday");
    assert_null(e->v[0].first_seen_utc);
    assert_int_equal(e->v[0].pdq_quality, 75);
    ward_entries_free(e);

    /* ';'-separated, ICSE-style column names. */
    p = write_file(f, "icse.csv",
                   "MD5;SHA1;PhotoDNA;Image ID;Victim identified;Series name\n"
                   "b1946ac92492d2347c6235b4d2611184;;xyz;77;true;synthetic-series\n");
    import_expect(f, p, WARD_FMT_CSV, "icse", &(expect){NULL, 1, 0, {NULL}}, &sum);
    e = one(f, "b1946ac92492d2347c6235b4d2611184");
    assert_string_equal(e->v[0].media_id, "77");
    assert_string_equal(e->v[0].series, "synthetic-series");
    ward_entries_free(e);

    p = write_file(f, "nodigest.csv", "name,category\nx,1\n");
    import_refused(f, p, WARD_FMT_CSV, "x", WARD_EFORMAT, "nodigest.csv:1: CSV header names no md5");
}

/* ---- NSRL ------------------------------------------------------------------ */

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql: %s", msg);
}

static const char *make_rds(fx *f, const char *name)
{
    const char *p = path_in(f->dir, name);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    /* The RDSv3 minimal schema (NIST schema.sql). */
    exec_sql(db,
        "CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,"
        " crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,"
        " package_id INTEGER NOT NULL, CONSTRAINT PK_FILE__FILE PRIMARY KEY (sha256, sha1, md5,"
        " crc32, file_name, file_size, package_id));"
        "CREATE TABLE MFG (manufacturer_id INTEGER NOT NULL, name VARCHAR NOT NULL,"
        " CONSTRAINT PK_MFG__MFG_ID PRIMARY KEY (manufacturer_id));"
        "CREATE TABLE OS (operating_system_id INTEGER NOT NULL, name VARCHAR NOT NULL,"
        " version VARCHAR NOT NULL, manufacturer_id INTEGER NOT NULL,"
        " CONSTRAINT PK_OS__OS_ID PRIMARY KEY (operating_system_id, manufacturer_id));"
        "CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL,"
        " operating_system_id INTEGER NOT NULL, manufacturer_id INTEGER NOT NULL,"
        " language VARCHAR NOT NULL, application_type VARCHAR NOT NULL,"
        " CONSTRAINT PK_PGK__PKG_ID PRIMARY KEY (package_id, operating_system_id,"
        " manufacturer_id, language, application_type));"
        "CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL,"
        " build_date TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL,"
        " description VARCHAR NOT NULL, CONSTRAINT PK_VERSION__VERSION PRIMARY KEY (version));"
        "CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;"
        "INSERT INTO VERSION(version, build_set, release_date, description) VALUES"
        " ('2024.03.1', 'modern minimal', '2024-03-01', 'synthetic test set');"
        "INSERT INTO FILE VALUES"
        " ('2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824',"
        "  'AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D', '5D41402ABC4B2A76B9719D911017C592',"
        "  '3610A686', 'hello.txt', 5, 1),"
        " ('2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824',"
        "  'AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D', '5D41402ABC4B2A76B9719D911017C592',"
        "  '3610A686', 'HELLO.TXT', 5, 2),"
        " ('2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824',"
        "  'AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D', '5D41402ABC4B2A76B9719D911017C592',"
        "  '3610A686', 'hello.txt', 5, 3),"
        " ('5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03',"
        "  'F572D396FAE9206628714FB2CE00F72E94F2258F', 'B1946AC92492D2347C6235B4D2611184',"
        "  '363A3020', 'hello-nl.txt', 6, 1),"
        " ('E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',"
        "  'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'D41D8CD98F00B204E9800998ECF8427E',"
        "  '00000000', 'empty', 0, 1),"
        " ('ZZ', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'D41D8CD98F00B204E9800998ECF8427E',"
        "  '00000000', 'broken', 0, 9);");
    sqlite3_close(db);
    return p;
}

static void test_nsrl_rdsv3(void **state)
{
    fx *f = *state;
    const char *p = make_rds(f, "rds.db");
    ward_import_summary sum;
    import_expect(f, p, WARD_FMT_AUTO, "nsrl",
                  &(expect){"nsrl", 3, 1, {"rds.db: FILE row 6: invalid SHA256 'ZZ'"}}, &sum);
    assert_int_equal(sum.records, 6);
    assert_int_equal(sum.duplicate, 2);
    ward_entries *e = one(f, "5d41402abc4b2a76b9719d911017c592");
    assert_int_equal(e->v[0].list_kind, WARD_LIST_KNOWN_GOOD);
    assert_string_equal(e->v[0].scheme, WARD_SCHEME_KNOWN_GOOD);
    assert_string_equal(e->v[0].category, "known-good");
    assert_string_equal(e->v[0].category_class, WARD_CLASS_IGNORABLE);
    assert_string_equal(e->v[0].name, "HELLO.TXT");
    assert_int_equal(e->v[0].size, 5);
    assert_string_equal(e->v[0].hex_text[WARD_HEX_SHA1], "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D");
    ward_entries_free(e);

    /* Source version logged; idempotent re-import; the file stays untouched. */
    struct stat before, after;
    assert_int_equal(stat(p, &before), 0);
    import_expect(f, p, WARD_FMT_NSRL, "nsrl", &(expect){NULL, 0, 1, {NULL}}, &sum);
    assert_int_equal(sum.duplicate, 5);
    assert_int_equal(stat(p, &after), 0);
    assert_int_equal(before.st_mtime, after.st_mtime);
    assert_int_equal(before.st_size, after.st_size);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT source_version FROM imports WHERE id = %llu",
             (unsigned long long)sum.import_id);
    sql_text_is(f->s->db, sql, "2024.03.1 modern minimal");

    /* Not an RDS database. */
    sqlite3 *db;
    const char *other = path_in(f->dir, "other.db");
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE t(x)");
    sqlite3_close(db);
    import_refused(f, other, WARD_FMT_AUTO, "nsrl", WARD_EFORMAT, "not an NSRL RDSv3 database");
}

/* ---- transaction behaviour ------------------------------------------- */

static void test_strict_rolls_back(void **state)
{
    fx *f = *state;
    const char *ok = write_file(f, "ok.txt", "00000000000000000000000000000001  a.jpg\n");
    import_ok(f->s, ok, WARD_FMT_AUTO, "l", NULL);
    uint64_t before = live_entries(f->s);
    const char *p = write_file(f, "strict.txt",
                               "00000000000000000000000000000002  b.jpg\n"
                               "00000000000000000000000000000003  c.jpg\n"
                               "0000000000000000000000000000000Z  d.jpg\n"
                               "00000000000000000000000000000004  e.jpg\n");
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.strict = 1;
    ward_import_summary sum;
    ward_error err;
    assert_int_equal(ward_store_import(f->s, p, WARD_FMT_SUMS, "l", &o, &sum, &err),
                     WARD_EFORMAT);
    print_message("  %s\n", err.message);
    assert_non_null(strstr(err.message, "strict.txt:3:"));
    assert_non_null(strstr(err.message, "rolled back"));
    assert_int_equal(sum.import_id, 0);
    assert_int_equal(sum.added, 0);
    assert_int_equal(live_entries(f->s), before);
    ward_entries *e;
    assert_int_equal(ward_store_lookup(f->s, "00000000000000000000000000000002", 0, &e, &err),
                     WARD_OK);
    assert_int_equal(e->count, 0);
    ward_entries_free(e);

    /* Strict in JSON names the pointer; and a strict import into a new list
     * does not leave the list behind. */
    p = write_file(f, "strict.json",
                   "{\"value\":[{\"MD5\":\"00000000000000000000000000000009\"},"
                   "{\"MD5\":\"00000000000000000000000000000010\",\"SHA1\":\"12\"}]}");
    assert_int_equal(ward_store_import(f->s, p, WARD_FMT_AUTO, "new-list", &o, &sum, &err),
                     WARD_EFORMAT);
    assert_non_null(strstr(err.message, "/value/1/SHA1"));
    assert_int_equal(live_entries(f->s), before);
    assert_int_equal(sql_int(f->s->db, "SELECT count(*) FROM lists"), 1);
    assert_int_equal(sql_int(f->s->db, "SELECT count(*) FROM imports WHERE status = 'aborted'"), 2);
}

static void test_idempotent_and_updates(void **state)
{
    fx *f = *state;
    const char *a = write_file(f, "a.json",
        "{\"value\":[{\"MD5\":\"00000000000000000000000000000001\",\"Category\":1},"
        "{\"MD5\":\"00000000000000000000000000000002\",\"Category\":2,\"Name\":\"n.jpg\"},"
        "{\"MD5\":\"00000000000000000000000000000001\",\"Category\":1}]}");
    ward_import_summary sum;
    import_expect(f, a, WARD_FMT_AUTO, "l", &(expect){NULL, 2, 0, {NULL}}, &sum);
    assert_int_equal(sum.duplicate, 1); /* repeated within the file */
    import_expect(f, a, WARD_FMT_AUTO, "l", &(expect){NULL, 0, 0, {NULL}}, &sum);
    assert_int_equal(sum.updated, 0);
    assert_int_equal(sum.duplicate, 3);
    assert_int_equal(live_entries(f->s), 2);

    /* A newer version of the list: a category change, an added SHA-1, an
     * added series; a record whose SHA-1 disagrees with the entry's. */
    const char *b = write_file(f, "b.json",
        "{\"value\":[{\"MD5\":\"00000000000000000000000000000001\",\"Category\":3,"
        "\"SHA1\":\"0000000000000000000000000000000000000001\"},"
        "{\"MD5\":\"00000000000000000000000000000002\",\"Series\":\"s-2\"},"
        "{\"SHA1\":\"0000000000000000000000000000000000000001\","
        "\"MD5\":\"00000000000000000000000000000003\"}]}");
    import_expect(f, b, WARD_FMT_AUTO, "l",
                  &(expect){NULL, 0, 1, {"/value/2: MD5 differs from entry"}}, &sum);
    assert_int_equal(sum.updated, 2);
    ward_entries *e = one(f, "sha1:0000000000000000000000000000000000000001");
    assert_string_equal(e->v[0].category, "3");
    assert_true(e->v[0].updated_import_id > e->v[0].import_id);
    ward_entries_free(e);
    e = one(f, "00000000000000000000000000000002");
    assert_string_equal(e->v[0].series, "s-2");
    assert_string_equal(e->v[0].name, "n.jpg"); /* never cleared */
    assert_string_equal(e->v[0].category, "2");
    ward_entries_free(e);
    assert_int_equal(
        sql_int(f->s->db, "SELECT count(*) FROM history WHERE action = 'recategorise'"), 1);
    assert_int_equal(live_entries(f->s), 2);
}

static void test_message_cap_and_default_category(void **state)
{
    fx *f = *state;
    const char *p = path_in(f->dir, "many.txt");
    FILE *o = fopen(p, "w");
    assert_non_null(o);
    fprintf(o, "00000000000000000000000000000001  a.jpg\n");
    for (int i = 0; i < 150; i++)
        fprintf(o, "bad line %d\n", i);
    for (int i = 0; i < 40000; i++)
        fprintf(o, "%032x  sample-%05d.jpg\n", i + 2, i);
    fclose(o);
    ward_import_opts opts;
    ward_import_opts_default(&opts);
    opts.default_category = "b"; /* code, any case */
    opts.scheme = WARD_SCHEME_UK;
    ward_import_summary sum;
    ward_error err;
    assert_int_equal(ward_store_import(f->s, p, WARD_FMT_AUTO, "uk", &opts, &sum, &err), WARD_OK);
    assert_int_equal(sum.bad, 150);
    assert_int_equal(sum.n_messages, WARD_IMPORT_MESSAGES);
    assert_non_null(strstr(sum.messages[0], "many.txt:2:"));
    assert_non_null(strstr(sum.messages[99], "many.txt:101:"));
    assert_int_equal(sum.added, 40001);
    ward_entries *e = one(f, "00000000000000000000000000000001");
    assert_string_equal(e->v[0].category, "B");
    assert_string_equal(e->v[0].scheme, WARD_SCHEME_UK);
    ward_entries_free(e);

    /* A default category not in the scheme is refused before anything. */
    opts.default_category = "1";
    assert_int_equal(ward_store_import(f->s, p, WARD_FMT_AUTO, "uk", &opts, &sum, &err),
                     WARD_EINVAL);
    assert_non_null(strstr(err.message, "default category '1'"));
}

static void on_progress(void *ctx, uint64_t records, uint64_t bytes)
{
    (void)bytes;
    uint64_t *last = ctx;
    assert_true(records > *last);
    *last = records;
}

static void test_progress_and_detection(void **state)
{
    fx *f = *state;
    const char *p = path_in(f->dir, "prog.txt");
    FILE *o = fopen(p, "w");
    for (int i = 0; i < 50000; i++)
        fprintf(o, "%040x *s-%d.jpg\n", i + 1, i);
    fclose(o);
    ward_import_opts opts;
    ward_import_opts_default(&opts);
    uint64_t last = 0;
    opts.progress = on_progress;
    opts.progress_ctx = &last;
    ward_import_summary sum;
    ward_error err;
    assert_int_equal(ward_store_import(f->s, p, WARD_FMT_AUTO, "p", &opts, &sum, &err), WARD_OK);
    assert_true(last >= 3 * 16384);
    assert_int_equal(sum.added, 50000);

    p = write_file(f, "what.txt", "hello there\nthis is not a hash list\n");
    import_refused(f, p, WARD_FMT_AUTO, "x", WARD_EFORMAT, "cannot tell");
    import_refused(f, path_in(f->dir, "missing.txt"), WARD_FMT_AUTO, "x", WARD_EIO, NULL);
    import_refused(f, f->dir, WARD_FMT_AUTO, "x", WARD_EINVAL, NULL);

    ward_hashset_format fmt;
    assert_int_equal(ward_hashset_format_parse("VICS2", &fmt, &err), WARD_OK);
    assert_int_equal(fmt, WARD_FMT_VICS);
    assert_int_equal(ward_hashset_format_parse("rds", &fmt, &err), WARD_OK);
    assert_int_equal(fmt, WARD_FMT_NSRL);
    assert_int_equal(ward_hashset_format_parse("xml", &fmt, &err), WARD_EINVAL);
    assert_string_equal(ward_hashset_format_name(WARD_FMT_SHA256SUM), "sha256sum");
}

static void test_checked_in_fixtures(void **state)
{
    fx *f = *state;
    static const struct {
        const char *file, *format;
        int added;
    } fixtures[] = {
        {"vics2-media.json", "vics2", 3}, {"vics1-cases.json", "vics1", 2},
        {"hashdeep.txt", "hashdeep", 2},  {"md5sum.txt", "sums", 3},
        {"list.csv", "csv", 2},           {"pdq.txt", "pdq", 2},
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/hashsets/%s", data_dir(), fixtures[i].file);
        ward_import_summary sum;
        import_expect(f, p, WARD_FMT_AUTO, fixtures[i].file,
                      &(expect){fixtures[i].format, fixtures[i].added, 0, {NULL}}, &sum);
    }
    ward_entries *e;
    ward_error err;
    assert_int_equal(ward_store_lookup(f->s, "5d41402abc4b2a76b9719d911017c592", 0, &e, &err),
                     WARD_OK);
    assert_int_equal(e->count, 4); /* vics2, hashdeep, md5sum, csv */
    ward_entries_free(e);
    expect_name(f, "d41d8cd98f00b204e9800998ecf8427e", "sample\\with\nnewline.jpg");
}

static void test_dates(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } ok[] = {
        {"2023-06-07T02:31:49.8300Z", "2023-06-07T02:31:49.83Z"},
        {"2023-06-07", "2023-06-07T00:00:00Z"},
        {" 2023-06-07 23:30 ", "2023-06-07T23:30:00Z"},
        {"2023-12-31T23:30:00-01:00", "2024-01-01T00:30:00Z"},
        {"2024-03-01T00:15:00+0100", "2024-02-29T23:15:00Z"},
        {"2024-02-29T12:00:00+05", "2024-02-29T07:00:00Z"},
        {"2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00Z"},
        {"2020-01-01t00:00:00,5z", "2020-01-01T00:00:00.5Z"},
    };
    char out[40];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (wx_date_utc(ok[i].in, out))
            fail_msg("'%s' not parsed", ok[i].in);
        assert_string_equal(out, ok[i].out);
    }
    static const char *const bad[] = {"2023-02-29", "2023-13-01", "2023-06-07T24:00",
                                      "07/06/2023", "yesterday", "2023-06-07T10:00:00 UTC",
                                      "2023-06-07T10:00:00.Z", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (wx_date_utc(bad[i], out) == 0)
            fail_msg("'%s' parsed as %s", bad[i], out);
}

#define WITH_STORE(test) cmocka_unit_test_setup_teardown(test, store_setup, store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        WITH_STORE(test_vics2_fields),
        WITH_STORE(test_vics1_case_file),
        WITH_STORE(test_vics_bad_records_pointers),
        WITH_STORE(test_vics_syntax_error_rolls_back),
        WITH_STORE(test_hashdeep),
        WITH_STORE(test_real_hashdeep_output),
        WITH_STORE(test_sums),
        WITH_STORE(test_pdq_lines),
        WITH_STORE(test_csv),
        WITH_STORE(test_nsrl_rdsv3),
        WITH_STORE(test_strict_rolls_back),
        WITH_STORE(test_idempotent_and_updates),
        WITH_STORE(test_message_cap_and_default_category),
        WITH_STORE(test_progress_and_detection),
        WITH_STORE(test_checked_in_fixtures),
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
