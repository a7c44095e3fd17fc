/*
 * dfxml.xml: Digital Forensics XML 1.x, in the shape fiwalk and hashdeep -d
 * write, so DFXML tools (dfxml.py, idifference, ...) read it: <metadata>,
 * <creator>, one <source> per scanned source, one <fileobject> per file.
 * ward's verdict goes in the ward: namespace inside each fileobject, after
 * the DFXML elements (the schema lets other namespaces follow), and what
 * was not examined at all in a closing <ward:not_examined> block.
 * Strings from files.jsonl (paths already escaped to printable form, ISO
 * 8601 times) are written unchanged apart from XML escaping.
 */
#include "scan/jsonl.h"
#include "scan/report_int.h"

#include <string.h>
#include <sys/utsname.h>
#include <ward/ward.h>

#define WARD_NS "urn:ward:dfxml:1.0"

/* GCC's __VERSION__ is the bare number; clang's names itself. */
#if defined(__clang__)
#define COMPILER __VERSION__
#elif defined(__GNUC__)
#define COMPILER "GCC " __VERSION__
#else
#define COMPILER "unknown"
#endif

typedef struct dfx {
    FILE *f;
    uint64_t n;
} dfx;

/* <tag>text</tag> on its own line; nothing when text is NULL. */
static void elem(FILE *f, const char *indent, const char *tag, const char *text)
{
    if (!text) return;
    fprintf(f, "%s<%s>", indent, tag);
    report_markup(f, text);
    fprintf(f, "</%s>\n", tag);
}

static void attr(FILE *f, const char *name, const char *val)
{
    if (!val) return;
    fprintf(f, " %s=\"", name);
    report_markup(f, val);
    fputc('"', f);
}

static void write_creator(FILE *f, const scan_totals *t, const char *start)
{
    struct utsname u;
    int have_u = uname(&u) == 0;
    fputs("  <creator version=\"1.0\">\n", f);
    elem(f, "    ", "program", "ward");
    elem(f, "    ", "version", jv_str(t->state, "ward_version") ? jv_str(t->state, "ward_version")
                                                               : ward_version());
    fputs("    <build_environment>\n", f);
    elem(f, "      ", "compiler", COMPILER);
    fputs("    </build_environment>\n", f);
    fputs("    <execution_environment>\n", f);
    if (have_u) {
        elem(f, "      ", "os_sysname", u.sysname);
        elem(f, "      ", "os_release", u.release);
        elem(f, "      ", "os_version", u.version);
        elem(f, "      ", "host", u.nodename);
        elem(f, "      ", "arch", u.machine);
    }
    elem(f, "      ", "command_line", jv_str(t->state, "command"));
    elem(f, "      ", "start_time", start[0] ? start : NULL);
    fputs("    </execution_environment>\n  </creator>\n", f);
}

static void write_head(FILE *f, const char *dir, const scan_totals *t)
{
    char start[32], end[32];
    report_scan_times(dir, t, start, end);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<dfxml xmlns=\"http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML\"\n"
          "       xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
          "       xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
          "       xmlns:ward=\"" WARD_NS "\"\n"
          "       version=\"1.0\">\n"
          "  <metadata>\n    <dc:type>Hash List</dc:type>\n  </metadata>\n", f);
    write_creator(f, t, start);
    yajl_val src = jv_get(t->state, "sources");
    for (size_t i = 0; YAJL_IS_ARRAY(src) && i < src->u.array.len; i++) {
        fputs("  <source>\n", f);
        elem(f, "    ", "image_filename", YAJL_GET_STRING(src->u.array.values[i]));
        fputs("  </source>\n", f);
    }
}

/* <hashdigest type="md5"> etc., lower-case hex exactly as files.jsonl has it. */
static void write_digests(FILE *f, yajl_val v)
{
    static const char *const kinds[] = {"md5", "sha1", "sha256"};
    for (int i = 0; i < 3; i++) {
        const char *hex = jv_str(v, kinds[i]);
        if (!hex) continue;
        fprintf(f, "    <hashdigest type=\"%s\">", kinds[i]);
        report_markup(f, hex);
        fputs("</hashdigest>\n", f);
    }
}

static void write_match(FILE *f, yajl_val m)
{
    static const char *const keys[] = {"list", "list_kind", "scheme", "category",
                                       "category_label", "category_class", "series", "by",
                                       "transform"};
    char num[32];
    fputs("    <ward:match", f);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) attr(f, keys[i], jv_str(m, keys[i]));
    snprintf(num, sizeof num, "%lld", jv_int(m, "distance", 0));
    attr(f, "distance", num);
    attr(f, "entry_pdq", jv_str(m, "entry_pdq"));
    fputs("/>\n", f);
}

static void write_ward(FILE *f, yajl_val v)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%lld", jv_int(v, "seq", -1));
    elem(f, "    ", "ward:seq", a);
    elem(f, "    ", "ward:class", jv_str(v, "class"));
    if (jv_str(v, "media")) {
        fputs("    <ward:media", f);
        snprintf(a, sizeof a, "%lld", jv_int(v, "width", 0));
        snprintf(b, sizeof b, "%lld", jv_int(v, "height", 0));
        attr(f, "width", jv_get(v, "width") ? a : NULL);
        attr(f, "height", jv_get(v, "height") ? b : NULL);
        fputc('>', f);
        report_markup(f, jv_str(v, "media"));
        fputs("</ward:media>\n", f);
    }
    if (jv_str(v, "pdq")) {
        snprintf(a, sizeof a, "%lld", jv_int(v, "pdq_quality", 0));
        fprintf(f, "    <ward:pdq quality=\"%s\">", a);
        report_markup(f, jv_str(v, "pdq"));
        fputs("</ward:pdq>\n", f);
    }
    yajl_val m = jv_get(v, "matches");
    for (size_t i = 0; YAJL_IS_ARRAY(m) && i < m->u.array.len; i++)
        write_match(f, m->u.array.values[i]);
    elem(f, "    ", "ward:duplicate_of", jv_str(v, "duplicate_of"));
    elem(f, "    ", "ward:in_container", jv_bool(v, "in_container") ? "1" : NULL);
    elem(f, "    ", "ward:image_warning", jv_str(v, "image_warning"));
    elem(f, "    ", "ward:pdq_note", jv_str(v, "pdq_note"));
}

/* DFXML's own elements first, in the order of the DFXML schema. */
static int write_fileobject(void *ctx, yajl_val v)
{
    dfx *c = ctx;
    FILE *f = c->f;
    char num[32];
    fputs("  <fileobject>\n", f);
    elem(f, "    ", "filename", jv_str(v, "path"));
    elem(f, "    ", "error", jv_str(v, "error"));
    snprintf(num, sizeof num, "%lld", jv_int(v, "size", 0));
    elem(f, "    ", "filesize", jv_get(v, "size") ? num : NULL);
    elem(f, "    ", jv_bool(v, "deleted") ? "unalloc" : "alloc", "1");
    static const char *const times[] = {"mtime", "ctime", "atime", "crtime"};
    for (int i = 0; i < 4; i++) elem(f, "    ", times[i], jv_str(v, times[i]));
    write_digests(f, v);
    write_ward(f, v);
    fputs("  </fileobject>\n", f);
    c->n++;
    return 0;
}

static int write_notice(void *ctx, yajl_val v)
{
    FILE *f = ((dfx *)ctx)->f;
    fputs("    <ward:notice", f);
    attr(f, "kind", jv_str(v, "kind"));
    fputs(">\n", f);
    elem(f, "      ", "ward:path", jv_str(v, "path"));
    elem(f, "      ", "ward:reason", jv_str(v, "reason"));
    fputs("    </ward:notice>\n", f);
    return 0;
}

ward_status report_dfxml(const char *dir, const scan_totals *t, ward_error *err)
{
    report_out o;
    ward_status st = report_open(&o, dir, "dfxml.xml", err);
    if (st != WARD_OK) return st;
    dfx c = {o.f, 0};
    write_head(o.f, dir, t);
    report_each_file(dir, write_fileobject, &c);
    fputs("  <ward:not_examined>\n", o.f);
    report_each_notice(dir, write_notice, &c);
    fputs("  </ward:not_examined>\n</dfxml>\n", o.f);
    return report_close(&o, st, err);
}
