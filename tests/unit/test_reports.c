/*
 * Scan reports beyond the summaries: dfxml.xml, vics.json, case.jsonld and
 * report.html, written by ward_scan_write_reports from a hand-made scan
 * output folder whose records look like the engine's (awkward names with
 * quotes, <, &, \xNN escapes of invalid UTF-8, non-ASCII). Checks: every
 * file is well-formed (yajl for JSON; python3's xml.dom.minidom for XML and
 * the XHTML-compatible page, skipped without /usr/bin/python3), counts
 * agree, known and near paths never reach report.html, thumbnails are
 * embedded only for new images that have one, vics.json imports back, the
 * new-image table is capped, and an empty scan still gives valid reports.
 * Digests are made up; thumbnails are a few bytes with a JPEG header.
 */
#include "testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <sodium.h>
#include <unistd.h>
#include <ward/scan.h>
#include <ward/store.h>
#include <yajl/yajl_tree.h>

#define PY "/usr/bin/python3"

typedef struct fx {
    char *root;
} fx;

/* ---- helpers ------------------------------------------------------------ */

static void path_in(char *buf, size_t cap, const char *dir, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

/* Whole file, NUL-terminated. */
static char *slurp(const char *dir, const char *name)
{
    char path[512];
    size_t len;
    path_in(path, sizeof path, dir, name);
    uint8_t *raw = read_file_or_fail(path, &len);
    char *s = realloc(raw, len + 1);
    assert_non_null(s);
    s[len] = 0;
    return s;
}

static void write_text(const char *dir, const char *name, const char *text, size_t len)
{
    char path[512];
    path_in(path, sizeof path, dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

static yajl_val parse_json(const char *dir, const char *name)
{
    char *text = slurp(dir, name), errbuf[256];
    yajl_val v = yajl_tree_parse(text, errbuf, sizeof errbuf);
    if (!v) fail_msg("%s is not JSON: %s", name, errbuf);
    free(text);
    return v;
}

static yajl_val get(yajl_val v, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(v, path, yajl_t_any);
}

static const char *get_str(yajl_val v, const char *key)
{
    yajl_val x = get(v, key);
    return YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
}

/* ---- XML via python3 ------------------------------------------------------ */

static const char XML_CHECK[] =
    "import sys, xml.dom.minidom as m\n"
    "d = m.parse(sys.argv[1])\n"
    "es = d.getElementsByTagName(sys.argv[2])\n"
    "out = [str(len(es))] + [''.join(c.data for c in e.childNodes\n"
    "                                if c.nodeType == c.TEXT_NODE) for e in es]\n"
    "sys.stdout.buffer.write(('\\n'.join(out) + '\\n').encode('utf-8'))\n";

/* Parses dir/name as XML and returns the text of every `tag` element, one a
 * line after their count ("3\na\nb\nc\n"); NULL when python3 is absent. The
 * parse failing fails the test. */
static char *xml_texts(const char *dir, const char *name, const char *tag)
{
    char cmd[1024];
    if (access(PY, X_OK) != 0) return NULL;
    write_text(dir, "check.py.txt", XML_CHECK, sizeof XML_CHECK - 1);
    snprintf(cmd, sizeof cmd, PY " '%s/check.py.txt' '%s/%s' '%s' > '%s/check.out.txt'", dir, dir,
             name, tag, dir);
    if (system(cmd) != 0) fail_msg("%s is not well-formed XML", name);
    char *out = slurp(dir, "check.out.txt");
    char path[512];
    path_in(path, sizeof path, dir, "check.py.txt");
    unlink(path);
    path_in(path, sizeof path, dir, "check.out.txt");
    unlink(path);
    return out;
}

/* ---- a scan output folder ------------------------------------------------- */

/* One files.jsonl record like the engine's. Content k > 0 gives made-up
 * digests and a size (equal k: equal content); extra is appended as is. */
static void file_rec(FILE *f, int seq, const char *path_json, int k, const char *cls,
                     const char *extra)
{
    fprintf(f, "{\"seq\":%d,\"path\":\"%s\",\"source\":\"/ev\"", seq, path_json);
    if (k)
        fprintf(f, ",\"size\":%d,\"mtime\":\"2024-01-02T03:04:05Z\",\"atime\":\"2024-01-02T03:04:06Z\""
                   ",\"ctime\":\"2024-01-02T03:04:07Z\",\"md5\":\"%032x\",\"sha1\":\"%040x\""
                   ",\"sha256\":\"%064x\"",
                100 + k, k, k + 0x10000, k + 0x20000);
    fprintf(f, ",\"class\":\"%s\"%s}\n", cls, extra ? extra : "");
}

#define KNOWN_MATCH                                                                          \
    ",\"media\":\"jpeg\",\"matches\":[{\"entry\":1,\"list\":\"alerts <&>\",\"list_kind\":"   \
    "\"alert\",\"scheme\":\"projectvic\",\"category\":\"1\",\"category_label\":\"Child abuse " \
    "material\",\"category_class\":\"alert\",\"by\":\"sha256\",\"distance\":0}]"
#define NEAR_MATCH                                                                           \
    ",\"media\":\"jpeg\",\"width\":256,\"height\":256,\"pdq\":\"d8f8f0cec4f4a84f0637022a078f67f0" \
    "b36e2ee5b6621e1d33e6239c4e9c9b22\",\"pdq_quality\":100,\"matches\":[{\"entry\":2,\"list\":" \
    "\"pdqlist\",\"list_kind\":\"alert\",\"scheme\":\"projectvic\",\"category\":\"2\","       \
    "\"category_label\":\"Child exploitive (age difficult)\",\"category_class\":\"alert\","   \
    "\"by\":\"pdq\",\"distance\":8,\"transform\":\"orig\",\"entry_pdq\":\"f8f8f0cee0f4a84f0637" \
    "0222078f67f0b36e2ed596621e1d33e6339c4e9c9b22\"}],\"thumbnail\":\"thumbs/000002.jpg\""
#define GOOD_MATCH                                                                           \
    ",\"matches\":[{\"entry\":3,\"list\":\"nsrl\",\"list_kind\":\"known-good\",\"scheme\":"   \
    "\"known-good\",\"category\":\"known-good\",\"category_label\":\"Known good\","          \
    "\"category_class\":\"ignorable\",\"by\":\"sha1\",\"distance\":0}]"
#define NEW_IMAGE(w, q) ",\"media\":\"jpeg\",\"width\":" #w ",\"height\":" #w ",\"pdq\":\"" \
    "54a9f7c321d1443c43ba566e21d4a13989a3553f1472611cbbc5fda59e03b677\",\"pdq_quality\":" #q

/* 11 files (known 2, near 1, ignorable 1, new-image 4, other 1, error 2)
 * and 2 notices; seq 3 and 11 are the notices, as the engine numbers them. */
static void write_files(const char *dir)
{
    char path[512];
    path_in(path, sizeof path, dir, "files.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    file_rec(f, 0, "/ev/a\\\"<&'b>.txt", 1, "other", NULL);
    file_rec(f, 1, "/ev/KNOWNFILE <&>.jpg", 2, "known", KNOWN_MATCH);
    file_rec(f, 2, "/ev/sub/NEARFILE\\\\x01.jpg", 3, "near", NEAR_MATCH);
    file_rec(f, 4, "/ev/new &amp; <one> caf\xc3\xa9.jpg", 4, "new-image",
             NEW_IMAGE(640, 90) ",\"thumbnail\":\"thumbs/000004.jpg\"");
    file_rec(f, 5, "/ev/bad\\\\xffname.jpg", 5, "new-image", NEW_IMAGE(32, 40));
    file_rec(f, 6, "/ev/copy-of-new.jpg", 4, "new-image",
             NEW_IMAGE(640, 90) ",\"thumbnail\":\"thumbs/000006.jpg\",\"duplicate_of\":"
                                "\"/ev/new &amp; <one> caf\xc3\xa9.jpg\"");
    file_rec(f, 7, "/ev/trunc \\\"q\\\".jpg", 6, "error",
             ",\"media\":\"jpeg\",\"error\":\"JPEG: <bad> & broken\"");
    file_rec(f, 8, "/ev/disk.img!/KNOWNFILE-copy.jpg", 2, "known",
             ",\"in_container\":true,\"deleted\":true" KNOWN_MATCH
             ",\"duplicate_of\":\"/ev/KNOWNFILE <&>.jpg\"");
    file_rec(f, 9, "/ev/trav.jpg", 7, "new-image",
             NEW_IMAGE(64, 80) ",\"thumbnail\":\"thumbs/../../escape.jpg\"");
    file_rec(f, 10, "/ev/nsrl.dll", 8, "ignorable", GOOD_MATCH);
    file_rec(f, 12, "/ev/unreadable.bin", 0, "error",
             ",\"in_container\":true,\"error\":\"Permission denied\"");
    fclose(f);
}

static const char NOTICES[] =
    "{\"seq\":3,\"path\":\"/ev/we\\\\x01ird <link>\",\"kind\":\"skipped\","
    "\"reason\":\"symbolic link, not followed\"}\n"
    "{\"seq\":11,\"path\":\"/ev/big.zip!/huge\",\"kind\":\"limit\","
    "\"reason\":\"member larger than --max-member & <limit> \xe2\x80\xae" "gpj.exe\"}\n";

static void write_state_for(const char *dir, int complete, const char *sources)
{
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "{\"ward_version\":\"0.1.0\",\"command\":\"ward scan --out \\\"x<y>\\\" /ev\","
                     "\"sources\":[%s],\"data_dir\":\"/data\",\"store_revision\":2,"
                     "\"index_entries\":3,\"index_sha256\":\"%064x\",\"radius\":31,"
                     "\"min_quality\":50,\"threads\":2,\"limits\":{\"max_pixels\":100000000},"
                     "\"complete\":%s,\"files\":11,\"bytes\":1000,\"elapsed_s\":12.5,"
                     "\"resumed\":false}\n",
                     sources, 0xabc, complete ? "true" : "false");
    write_text(dir, "scan-state.json", text, (size_t)n);
}

static void write_state(const char *dir, int complete) { write_state_for(dir, complete, "\"/ev\""); }

static const char THUMB[] = "\xff\xd8\xff\xe0ward-test-thumb\xff\xd9";

static void write_thumbs(const char *dir)
{
    char path[512];
    path_in(path, sizeof path, dir, "thumbs");
    assert_int_equal(mkdir(path, 0700), 0);
    write_text(dir, "thumbs/000002.jpg", THUMB, sizeof THUMB - 1);
    write_text(dir, "thumbs/000004.jpg", THUMB, sizeof THUMB - 1);
    write_text(dir, "thumbs/000006.jpg", THUMB, sizeof THUMB - 1);
    write_text(dir, "escape.jpg", THUMB, sizeof THUMB - 1);
}

static void make_dir(fx *x, const char *name, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s", x->root, name);
    assert_int_equal(mkdir(dir, 0700), 0);
}

static void write_reports(const char *dir)
{
    ward_error err;
    if (ward_scan_write_reports(dir, &err) != WARD_OK)
        fail_msg("ward_scan_write_reports: %s", err.message);
}

/* The full example, reports written. */
static void full_scan(fx *x, const char *name, char *dir, size_t cap)
{
    make_dir(x, name, dir, cap);
    write_files(dir);
    write_text(dir, "notices.jsonl", NOTICES, sizeof NOTICES - 1);
    write_state(dir, 1);
    write_thumbs(dir);
    write_reports(dir);
}

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    x->root = scratch_dir("ward-reports");
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    scratch_remove(x->root);
    free(x);
    return 0;
}

/* ---- dfxml.xml ------------------------------------------------------------ */

static void test_dfxml(void **state)
{
    char dir[256];
    full_scan(*state, "dfxml", dir, sizeof dir);
    char *xml = slurp(dir, "dfxml.xml");
    assert_non_null(strstr(xml, "<dfxml xmlns=\"http://www.forensicswiki.org/wiki/Category:"
                                "Digital_Forensics_XML\""));
    assert_int_equal(count_of(xml, "<fileobject>"), 11);
    assert_int_equal(count_of(xml, "<ward:notice "), 2);
    assert_int_equal(count_of(xml, "<hashdigest type=\"md5\">"), 10);
    assert_non_null(strstr(xml, "<mtime>2024-01-02T03:04:05Z</mtime>"));
    assert_non_null(strstr(xml, "<unalloc>1</unalloc>"));
    assert_non_null(strstr(xml, "<filename>/ev/a&quot;&lt;&amp;&#39;b&gt;.txt</filename>"));
    assert_non_null(strstr(xml, "<filename>/ev/bad\\xffname.jpg</filename>"));
    assert_non_null(strstr(xml, "list=\"alerts &lt;&amp;&gt;\""));
    assert_non_null(strstr(xml, "<command_line>ward scan --out &quot;x&lt;y&gt;&quot; /ev"));
    free(xml);
    char *names = xml_texts(dir, "dfxml.xml", "filename");
    if (!names) return; /* no python3: the string checks above must do */
    /* Escaping round-trips: the parser gives back files.jsonl's strings. */
    const char *head = "11\n/ev/a\"<&'b>.txt\n/ev/KNOWNFILE <&>.jpg\n";
    assert_true(!strncmp(names, head, strlen(head)));
    assert_non_null(strstr(names, "\n/ev/new &amp; <one> caf\xc3\xa9.jpg\n"));
    assert_non_null(strstr(names, "\n/ev/bad\\xffname.jpg\n"));
    free(names);
}

/* ---- vics.json ------------------------------------------------------------ */

static yajl_val media_by_id(yajl_val media, long long id)
{
    for (size_t i = 0; i < media->u.array.len; i++) {
        yajl_val m = media->u.array.values[i];
        if (YAJL_IS_INTEGER(get(m, "MediaID")) && YAJL_GET_INTEGER(get(m, "MediaID")) == id)
            return m;
    }
    fail_msg("no Media %lld", id);
    return NULL;
}

static void check_vics_media(yajl_val media)
{
    yajl_val known = media_by_id(media, 2), near = media_by_id(media, 3);
    yajl_val fresh = media_by_id(media, 5), good = media_by_id(media, 11);
    assert_true(YAJL_IS_INTEGER(get(known, "Category")));
    assert_int_equal(YAJL_GET_INTEGER(get(known, "Category")), 1);
    assert_string_equal(get_str(known, "IsPrecategorized"), "true");
    assert_string_equal(get_str(known, "MD5"), "00000000000000000000000000000002");
    assert_string_equal(get_str(known, "SHA1"), "0000000000000000000000000000000000010002");
    assert_string_equal(get_str(known, "PrecategorizationSource"), "alerts <&>");
    /* A near match keeps the category it was matched as (issue 16.6). */
    assert_true(YAJL_IS_INTEGER(get(near, "Category")));
    assert_int_equal(YAJL_GET_INTEGER(get(near, "Category")), 2);
    assert_string_equal(get_str(near, "IsPrecategorized"), "true");
    assert_string_equal(get_str(near, "WardClass"), "near");
    assert_true(YAJL_IS_NULL(get(fresh, "Category")));
    assert_string_equal(get_str(fresh, "IsPrecategorized"), "false");
    assert_string_equal(get_str(fresh, "RelativeFilePath"), "new &amp; <one> caf\xc3\xa9.jpg");
    assert_string_equal(get_str(fresh, "FileName"), "new &amp; <one> caf\xc3\xa9.jpg");
    assert_true(YAJL_IS_NULL(get(good, "Category")));
    assert_null(get(fresh, "PhotoDNA"));
    /* PDQ as AlternativeHashes (issue 16.6) */
    yajl_val alt = get(fresh, "AlternativeHashes");
    assert_true(YAJL_IS_ARRAY(alt) && alt->u.array.len == 1);
    assert_string_equal(get_str(alt->u.array.values[0], "HashName"), "PDQ");
    assert_string_equal(get_str(alt->u.array.values[0], "HashValue"),
                        "54a9f7c321d1443c43ba566e21d4a13989a3553f1472611cbbc5fda59e03b677");
    assert_int_equal(YAJL_GET_INTEGER(get(alt->u.array.values[0], "Quality")), 90);
    assert_string_equal(get_str(fresh, "WardClass"), "new-image");
    /* Deleted and Unallocated side by side (issue 18.3) */
    yajl_val del = get(media_by_id(media, 9), "MediaFiles"), live = get(fresh, "MediaFiles");
    assert_string_equal(get_str(del->u.array.values[0], "Deleted"), "true");
    assert_string_equal(get_str(del->u.array.values[0], "Unallocated"), "true");
    assert_string_equal(get_str(live->u.array.values[0], "Deleted"), "false");
    assert_string_equal(get_str(live->u.array.values[0], "Unallocated"), "false");
}

static void check_vics_import(const char *dir)
{
    char vics[512], store[512];
    ward_store *s;
    ward_error err;
    ward_import_summary sum;
    path_in(vics, sizeof vics, dir, "vics.json");
    path_in(store, sizeof store, dir, "store");
    if (ward_store_open(store, test_store_url(), 0, &s, &err))
        fail_msg("open: %s", err.message);
    /* A case export is not an alert list: every file in it would become
     * known (issue 16.6). Refused unless the verdicts to take are named. */
    assert_int_equal(ward_store_import(s, vics, WARD_FMT_VICS, "case", NULL, &sum, &err),
                     WARD_EINVAL);
    assert_non_null(strstr(err.message, "case export"));
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.case_verdicts = "new-image,graded"; /* none graded in this case */
    if (ward_store_import(s, vics, WARD_FMT_VICS, "case", &o, &sum, &err))
        fail_msg("import: %s", err.message);
    assert_int_equal(sum.added, 0);
    assert_int_equal(sum.excluded, 10);
    o.case_verdicts = "known,near,new-image";
    if (ward_store_import(s, vics, WARD_FMT_VICS, "case", &o, &sum, &err))
        fail_msg("import: %s", err.message);
    for (size_t i = 0; i < sum.n_messages; i++) print_message("  %s\n", sum.messages[i]);
    assert_string_equal(sum.format, "vics2");
    assert_int_equal(sum.records, 7);    /* every file with a digest, but */
    assert_int_equal(sum.excluded, 3);   /* other, error, ignorable */
    /* The new images of this case share one PDQ with different digests:
     * the store keys an entry on every hash, so two are reported, by Media. */
    assert_int_equal(sum.bad, 2);
    assert_non_null(strstr(sum.messages[0], "/value/0/Media/4: MD5 differs"));
    o.case_verdicts = "bogus";
    assert_int_equal(ward_store_import(s, vics, WARD_FMT_VICS, "case", &o, &sum, &err),
                     WARD_EINVAL);
    ward_store_close(s);
}

static void test_vics(void **state)
{
    char dir[256];
    full_scan(*state, "vics", dir, sizeof dir);
    char *before = slurp(dir, "files.jsonl");
    yajl_val doc = parse_json(dir, "vics.json");
    const char *ctx = get_str(doc, "@odata.context");
    assert_non_null(ctx);
    assert_non_null(strstr(ctx, "DataModels/2.0.xml/"));
    assert_non_null(strstr(ctx, "$metadata#Cases"));
    yajl_val cases = get(doc, "value");
    assert_true(YAJL_IS_ARRAY(cases) && cases->u.array.len == 1);
    yajl_val c = cases->u.array.values[0], media = get(c, "Media");
    assert_string_equal(get_str(c, "SourceApplicationName"), "ward");
    assert_string_equal(get_str(c, "WardExport"), "case");
    assert_true(YAJL_IS_ARRAY(media));
    assert_int_equal(media->u.array.len, 10);
    assert_int_equal(YAJL_GET_INTEGER(get(c, "TotalMediaFiles")), 10);
    assert_int_equal(YAJL_GET_INTEGER(get(c, "TotalPrecategorized")), 3); /* near included */
    check_vics_media(media);
    yajl_tree_free(doc);
    check_vics_import(dir);
    char *after = slurp(dir, "files.jsonl");
    assert_string_equal(before, after); /* upper-case hex is for the export only */
    free(before);
    free(after);
}

/* ---- case.jsonld ---------------------------------------------------------- */

typedef struct ids {
    const char *v[512];
    size_t n;
    size_t files, annotations, hashes;
} ids;

/* Every node definition (an object with @id and @type), at any depth. */
static void collect_ids(yajl_val v, ids *out)
{
    if (YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len; i++) collect_ids(v->u.array.values[i], out);
        return;
    }
    if (!YAJL_IS_OBJECT(v)) return;
    const char *id = get_str(v, "@id"), *type = get_str(v, "@type");
    if (id && type && out->n < 512) out->v[out->n++] = id;
    if (type && !strcmp(type, "uco-observable:File")) out->files++;
    if (type && !strcmp(type, "uco-core:Annotation")) out->annotations++;
    if (type && !strcmp(type, "uco-types:Hash")) out->hashes++;
    for (size_t i = 0; i < v->u.object.len; i++) collect_ids(v->u.object.values[i], out);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static yajl_val node(yajl_val graph, const char *id)
{
    for (size_t i = 0; i < graph->u.array.len; i++)
        if (get_str(graph->u.array.values[i], "@id") &&
            !strcmp(get_str(graph->u.array.values[i], "@id"), id))
            return graph->u.array.values[i];
    fail_msg("no node %s", id);
    return NULL;
}

static void check_action(yajl_val graph)
{
    yajl_val act = node(graph, "kb:action-scan");
    assert_string_equal(get_str(act, "@type"), "case-investigation:InvestigativeAction");
    assert_non_null(get(act, "uco-action:startTime"));
    assert_non_null(get(act, "uco-action:endTime"));
    assert_int_equal(get(act, "uco-action:result")->u.array.len, 22); /* files, annotations */
    assert_int_equal(get(act, "uco-action:object")->u.array.len, 1);
    yajl_val tool = node(graph, "kb:tool-ward");
    assert_string_equal(get_str(tool, "uco-tool:version"), "0.1.0");
    assert_non_null(strstr(get_str(node(graph, "kb:annotation-1"), "uco-core:statement"),
                           "known; list alerts <&>, category 1"));
}

static void test_case(void **state)
{
    char dir[256];
    full_scan(*state, "case", dir, sizeof dir);
    yajl_val doc = parse_json(dir, "case.jsonld");
    yajl_val ctx = get(doc, "@context"), graph = get(doc, "@graph");
    assert_non_null(get_str(ctx, "uco-observable"));
    assert_non_null(get_str(ctx, "case-investigation"));
    assert_true(YAJL_IS_ARRAY(graph));
    ids found = {0};
    collect_ids(graph, &found);
    assert_int_equal(found.files, 11);
    assert_int_equal(found.annotations, 11);
    assert_int_equal(found.hashes, 30);
    qsort(found.v, found.n, sizeof *found.v, cmp_str);
    for (size_t i = 1; i < found.n; i++)
        if (!strcmp(found.v[i - 1], found.v[i])) fail_msg("@id %s used twice", found.v[i]);
    for (size_t i = 0; i < found.n; i++) assert_true(!strncmp(found.v[i], "kb:", 3));
    check_action(graph);
    yajl_tree_free(doc);
}

/* ---- report.html ---------------------------------------------------------- */

static void check_html_text(const char *html)
{
    /* Known and near material: not a path, not a name, not a picture. */
    assert_null(strstr(html, "KNOWNFILE"));
    assert_null(strstr(html, "NEARFILE"));
    assert_null(strstr(html, "disk.img"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<a "));
    /* Counts by list and category are there, escaped. */
    assert_non_null(strstr(html, "known, list alerts &lt;&amp;&gt;, category 1"));
    assert_non_null(strstr(html, "near, list pdqlist, category 2"));
    /* Not examined: both notices and both file errors. */
    assert_non_null(strstr(html, "/ev/we\\x01ird &lt;link&gt;"));
    assert_non_null(strstr(html, "member larger than --max-member &amp; &lt;limit&gt;"));
    /* A right-to-left override is shown, never applied (issue 16 item 10). */
    assert_non_null(strstr(html, "&lt;limit&gt; <span class=\"cp\" title=\"invisible character\">&lt;U+202E&gt;"
                                 "</span>gpj.exe"));
    assert_null(strstr(html, "\xe2\x80\xae"));
    assert_non_null(strstr(html, "/ev/trunc &quot;q&quot;.jpg"));
    assert_non_null(strstr(html, "/ev/unreadable.bin"));
    /* New images: three different pictures, the first with its copy. */
    assert_non_null(strstr(html, "/ev/new &amp;amp; &lt;one&gt; caf\xc3\xa9.jpg"));
    assert_non_null(strstr(html, "/ev/bad\\xffname.jpg"));
    assert_non_null(strstr(html, "/ev/trav.jpg"));
    assert_null(strstr(html, "copy-of-new"));
    assert_int_equal(count_of(html, "<tr><td class=\"n\">"), 3);
    assert_non_null(strstr(html, "640 &#215; 640"));
}

static void check_thumbs(const char *html)
{
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)THUMB, sizeof THUMB - 1,
                      sodium_base64_VARIANT_ORIGINAL);
    /* Only the new image's own thumbnail: not the near file's, not the
     * copy's (not a row), not one outside thumbs/. */
    assert_int_equal(count_of(html, "<img "), 1);
    assert_int_equal(count_of(html, "data:image/jpeg;base64,"), 1);
    assert_non_null(strstr(html, b64));
}

static void test_html(void **state)
{
    char dir[256];
    full_scan(*state, "html", dir, sizeof dir);
    char *html = slurp(dir, "report.html");
    check_html_text(html);
    check_thumbs(html);
    assert_null(strstr(html, "incomplete"));
    free(html);
    char *imgs = xml_texts(dir, "report.html", "img");
    if (imgs) assert_true(!strncmp(imgs, "1\n", 2));
    free(imgs);
}

static void test_no_thumbnails_no_images(void **state)
{
    char dir[256];
    make_dir(*state, "nothumbs", dir, sizeof dir);
    write_files(dir);
    write_state(dir, 0);
    write_reports(dir); /* no thumbs/ at all, no notices.jsonl */
    char *html = slurp(dir, "report.html");
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "data:image"));
    assert_non_null(strstr(html, "incomplete"));
    free(html);
}

/* Inside an archive that is itself known, even a new image's path names
 * the known file: such rows are withheld, and so is a known source. */
static void write_known_containers(const char *dir)
{
    char path[512];
    path_in(path, sizeof path, dir, "files.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    file_rec(f, 0, "/ev/KNOWNARCH.zip!/inner/new.jpg", 1, "new-image", NEW_IMAGE(8, 60));
    file_rec(f, 1, "/ev/KNOWNARCH.zip!/bad.jpg", 2, "error", ",\"error\":\"truncated\"");
    file_rec(f, 2, "/ev/KNOWNARCH.zip", 3, "known", KNOWN_MATCH);
    file_rec(f, 3, "/ev/ok.zip", 4, "other", NULL);
    file_rec(f, 4, "/ev/ok.zip!/fine.jpg", 5, "new-image", NEW_IMAGE(8, 60));
    file_rec(f, 5, "/ev2/KNOWNSRC.zip", 6, "near", NEAR_MATCH);
    file_rec(f, 6, "/ev2/KNOWNSRC.zip!/x.jpg", 7, "new-image", NEW_IMAGE(8, 60));
    fclose(f);
}

static void test_html_known_containers(void **state)
{
    char dir[256];
    make_dir(*state, "containers", dir, sizeof dir);
    write_known_containers(dir);
    write_state_for(dir, 1, "\"/ev\",\"/ev2/KNOWNSRC.zip\"");
    write_reports(dir);
    char *html = slurp(dir, "report.html");
    assert_null(strstr(html, "KNOWNARCH"));
    assert_null(strstr(html, "KNOWNSRC"));
    assert_null(strstr(html, "ward scan --out")); /* the command names the known source */
    assert_non_null(strstr(html, "/ev/ok.zip!/fine.jpg"));
    assert_non_null(strstr(html, "(not named: a known or near file)"));
    assert_non_null(strstr(html, "2 not listed because they are inside"));
    assert_non_null(strstr(html, "1 not listed because they are inside"));
    assert_int_equal(count_of(html, "<tr><td class=\"n\">"), 1);
    free(html);
}

/* ---- limits and edges ----------------------------------------------------- */

static void write_many(const char *dir, int n)
{
    char path[512], name[64], extra[256];
    path_in(path, sizeof path, dir, "files.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "/ev/img-%05d.jpg", i);
        file_rec(f, i, name, i + 1, "new-image", NEW_IMAGE(8, 60));
    }
    /* Two copies of the first image, one of the last (past the cap). */
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "/ev/copy-%d.jpg", i);
        snprintf(extra, sizeof extra, NEW_IMAGE(8, 60) ",\"duplicate_of\":\"/ev/img-%05d.jpg\"",
                 i < 2 ? 0 : n - 1);
        file_rec(f, n + i, name, i < 2 ? 1 : n, "new-image", extra);
    }
    fclose(f);
}

static void test_new_image_cap(void **state)
{
    char dir[256];
    make_dir(*state, "many", dir, sizeof dir);
    write_many(dir, 5003);
    write_state(dir, 1);
    write_reports(dir);
    char *html = slurp(dir, "report.html");
    assert_int_equal(count_of(html, "<tr><td class=\"n\">"), 5000);
    assert_non_null(strstr(html, "3 more new images not listed here"));
    assert_null(strstr(html, "img-05000.jpg"));
    /* Row 1 ends with its duplicate count, 2. */
    const char *row = strstr(html, "<tr><td class=\"n\">1</td>");
    assert_non_null(row);
    const char *end = strstr(row, "</tr>");
    assert_true(end - row > 20 && !strncmp(end - 20, "<td class=\"n\">2</td>", 20));
    free(html);
    yajl_val doc = parse_json(dir, "vics.json");
    yajl_val c = get(doc, "value")->u.array.values[0];
    assert_int_equal(get(c, "Media")->u.array.len, 5006);
    yajl_tree_free(doc);
}

static void test_empty_scan(void **state)
{
    char dir[256];
    make_dir(*state, "empty", dir, sizeof dir);
    write_text(dir, "files.jsonl", "", 0);
    write_state(dir, 1);
    write_reports(dir);
    yajl_val doc = parse_json(dir, "vics.json");
    assert_int_equal(get(get(doc, "value")->u.array.values[0], "Media")->u.array.len, 0);
    yajl_tree_free(doc);
    doc = parse_json(dir, "case.jsonld");
    assert_int_equal(get(doc, "@graph")->u.array.len, 3); /* tool, source, action */
    yajl_tree_free(doc);
    char *html = slurp(dir, "report.html");
    assert_non_null(strstr(html, "No new images."));
    assert_non_null(strstr(html, "Everything was examined."));
    free(html);
    char *fo = xml_texts(dir, "dfxml.xml", "fileobject");
    if (fo) assert_string_equal(fo, "0\n");
    free(fo);
    /* Nothing half-written is left behind. */
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp")) fail_msg("left behind: %s", e->d_name);
    closedir(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dfxml),
        cmocka_unit_test(test_vics),
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_no_thumbnails_no_images),
        cmocka_unit_test(test_html_known_containers),
        cmocka_unit_test(test_new_image_cap),
        cmocka_unit_test(test_empty_scan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
