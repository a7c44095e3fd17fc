/*
 * case.jsonld: the scan in CASE/UCO 1.x JSON-LD, for tools that merge
 * findings from several examinations into one graph. The @graph holds, one
 * node per line:
 *   kb:tool-ward          uco-tool:Tool (name, version)
 *   kb:source-N           the sources, uco-observable:ObservableObject with
 *                         a FileFacet (filePath)
 *   kb:file-SEQ           one uco-observable:File per files.jsonl record, with
 *                         FileFacet (fileName, filePath, extension,
 *                         sizeInBytes, times, allocationStatus),
 *                         ContentDataFacet (uco-types:Hash MD5/SHA1/SHA256)
 *                         and for images a RasterPictureFacet
 *   kb:annotation-SEQ     uco-core:Annotation on that file: ward's verdict
 *   kb:action-scan        case-investigation:InvestigativeAction "ward scan"
 *                         (start, end, instrument: the tool, object: the
 *                         sources, result: the files and annotations)
 * Ids are the files.jsonl sequence numbers under a "kb" prefix unique to the
 * scan (urn:ward:scan:<id>:), so writing the reports again gives the same
 * ids and graphs of different scans can be merged without clashes.
 */
#include "scan/jsonl.h"
#include "scan/report_int.h"
#include "util/error.h"

#include <string.h>
#include <ward/ward.h>

typedef struct casew {
    yajl_gen g;
    FILE *f;
    uint64_t n;                  /* nodes written to @graph */
    uint64_t files;              /* records seen (ids of records without seq) */
    strbuf text;
} casew;

/* kb:<kind>-<seq>[-<part>]; stable across runs. */
static void node_id(char *buf, size_t cap, const char *kind, yajl_val v, uint64_t nth,
                    const char *part)
{
    long long seq = jv_int(v, "seq", -1);
    if (seq >= 0)
        snprintf(buf, cap, "kb:%s-%lld%s%s", kind, seq, part ? "-" : "", part ? part : "");
    else
        snprintf(buf, cap, "kb:%s-n%llu%s%s", kind, (unsigned long long)nth, part ? "-" : "",
                 part ? part : "");
}

static void next_node(casew *c)
{
    yajl_gen_reset(c->g, c->n ? ",\n" : "\n");
    c->n++;
}

static void typed(yajl_gen g, const char *key, const char *type, const char *value)
{
    if (!value) return;
    rj_str(g, key);
    yajl_gen_map_open(g);
    rj_kv(g, "@type", type);
    rj_kv(g, "@value", value);
    yajl_gen_map_close(g);
}

static void write_context(FILE *f, const scan_totals *t)
{
    char id[33];
    report_scan_id(t, id);
    fprintf(f,
            "{\"@context\":{\"kb\":\"urn:ward:scan:%s:\",\n"
            "\"case-investigation\":\"https://ontology.caseontology.org/case/investigation/\",\n"
            "\"uco-action\":\"https://ontology.unifiedcyberontology.org/uco/action/\",\n"
            "\"uco-core\":\"https://ontology.unifiedcyberontology.org/uco/core/\",\n"
            "\"uco-observable\":\"https://ontology.unifiedcyberontology.org/uco/observable/\",\n"
            "\"uco-tool\":\"https://ontology.unifiedcyberontology.org/uco/tool/\",\n"
            "\"uco-types\":\"https://ontology.unifiedcyberontology.org/uco/types/\",\n"
            "\"xsd\":\"http://www.w3.org/2001/XMLSchema#\"},\n\"@graph\":[",
            id);
}

static void write_tool(casew *c, const scan_totals *t)
{
    const char *ver = jv_str(t->state, "ward_version");
    next_node(c);
    yajl_gen_map_open(c->g);
    rj_kv(c->g, "@id", "kb:tool-ward");
    rj_kv(c->g, "@type", "uco-tool:Tool");
    rj_kv(c->g, "uco-core:name", "ward");
    rj_kv(c->g, "uco-tool:version", ver ? ver : ward_version());
    rj_kv(c->g, "uco-tool:toolType", "triage");
    yajl_gen_map_close(c->g);
}

static void write_sources(casew *c, yajl_val src)
{
    char id[64], facet[80];
    for (size_t i = 0; YAJL_IS_ARRAY(src) && i < src->u.array.len; i++) {
        const char *path = YAJL_GET_STRING(src->u.array.values[i]);
        snprintf(id, sizeof id, "kb:source-%zu", i + 1);
        snprintf(facet, sizeof facet, "%s-file", id);
        next_node(c);
        yajl_gen_map_open(c->g);
        rj_kv(c->g, "@id", id);
        rj_kv(c->g, "@type", "uco-observable:ObservableObject");
        rj_kv(c->g, "uco-core:name", path);
        rj_str(c->g, "uco-core:hasFacet");
        yajl_gen_array_open(c->g);
        yajl_gen_map_open(c->g);
        rj_kv(c->g, "@id", facet);
        rj_kv(c->g, "@type", "uco-observable:FileFacet");
        rj_kv(c->g, "uco-observable:fileName", report_basename(path));
        rj_kv(c->g, "uco-observable:filePath", path);
        yajl_gen_map_close(c->g);
        yajl_gen_array_close(c->g);
        yajl_gen_map_close(c->g);
    }
}

static const char *extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name && dot[1] ? dot + 1 : NULL;
}

static void file_facet(casew *c, yajl_val v, const char *id)
{
    yajl_gen g = c->g;
    const char *path = jv_str(v, "path");
    yajl_gen_map_open(g);
    rj_kv(g, "@id", id);
    rj_kv(g, "@type", "uco-observable:FileFacet");
    rj_kv(g, "uco-observable:fileName", report_basename(path));
    rj_kv(g, "uco-observable:filePath", path);
    rj_kv(g, "uco-observable:extension", extension(report_basename(path)));
    if (jv_get(v, "size")) rj_ki(g, "uco-observable:sizeInBytes", jv_int(v, "size", 0));
    typed(g, "uco-observable:observableCreatedTime", "xsd:dateTime", jv_str(v, "crtime"));
    typed(g, "uco-observable:modifiedTime", "xsd:dateTime", jv_str(v, "mtime"));
    typed(g, "uco-observable:accessedTime", "xsd:dateTime", jv_str(v, "atime"));
    typed(g, "uco-observable:metadataChangeTime", "xsd:dateTime", jv_str(v, "ctime"));
    if (jv_bool(v, "deleted")) rj_kv(g, "uco-observable:allocationStatus", "Deleted");
    yajl_gen_map_close(g);
}

static void content_facet(casew *c, yajl_val v, uint64_t nth)
{
    static const char *const keys[] = {"md5", "sha1", "sha256"};
    static const char *const names[] = {"MD5", "SHA1", "SHA256"};
    yajl_gen g = c->g;
    char id[96];
    node_id(id, sizeof id, "file", v, nth, "content");
    yajl_gen_map_open(g);
    rj_kv(g, "@id", id);
    rj_kv(g, "@type", "uco-observable:ContentDataFacet");
    if (jv_get(v, "size")) rj_ki(g, "uco-observable:sizeInBytes", jv_int(v, "size", 0));
    rj_kv(g, "uco-observable:mimeType", report_mime(jv_str(v, "media")));
    rj_str(g, "uco-observable:hash");
    yajl_gen_array_open(g);
    for (int i = 0; i < 3; i++) {
        if (!jv_str(v, keys[i])) continue;
        node_id(id, sizeof id, "file", v, nth, keys[i]);
        yajl_gen_map_open(g);
        rj_kv(g, "@id", id);
        rj_kv(g, "@type", "uco-types:Hash");
        rj_kv(g, "uco-types:hashMethod", names[i]);
        typed(g, "uco-types:hashValue", "xsd:hexBinary", jv_str(v, keys[i]));
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

static void raster_facet(casew *c, yajl_val v, uint64_t nth)
{
    char id[96];
    node_id(id, sizeof id, "file", v, nth, "raster");
    yajl_gen_map_open(c->g);
    rj_kv(c->g, "@id", id);
    rj_kv(c->g, "@type", "uco-observable:RasterPictureFacet");
    rj_ki(c->g, "uco-observable:pictureWidth", jv_int(v, "width", 0));
    rj_ki(c->g, "uco-observable:pictureHeight", jv_int(v, "height", 0));
    yajl_gen_map_close(c->g);
}

static void write_file_node(casew *c, yajl_val v, uint64_t nth)
{
    char id[96], facet[112];
    node_id(id, sizeof id, "file", v, nth, NULL);
    snprintf(facet, sizeof facet, "%s-file", id);
    next_node(c);
    yajl_gen_map_open(c->g);
    rj_kv(c->g, "@id", id);
    rj_kv(c->g, "@type", "uco-observable:File");
    rj_str(c->g, "uco-core:hasFacet");
    yajl_gen_array_open(c->g);
    file_facet(c, v, facet);
    if (jv_str(v, "md5") || jv_str(v, "sha1") || jv_str(v, "sha256")) content_facet(c, v, nth);
    if (jv_get(v, "width") && jv_get(v, "height")) raster_facet(c, v, nth);
    yajl_gen_array_close(c->g);
    yajl_gen_map_close(c->g);
}

static void write_annotation(casew *c, yajl_val v, uint64_t nth)
{
    char id[96], file[96], tag[80];
    const char *cls = jv_str(v, "class");
    node_id(id, sizeof id, "annotation", v, nth, NULL);
    node_id(file, sizeof file, "file", v, nth, NULL);
    snprintf(tag, sizeof tag, "ward:%s", cls ? cls : "unknown");
    report_describe(&c->text, v);
    next_node(c);
    yajl_gen_map_open(c->g);
    rj_kv(c->g, "@id", id);
    rj_kv(c->g, "@type", "uco-core:Annotation");
    rj_str(c->g, "uco-core:object");
    yajl_gen_array_open(c->g);
    rj_ref(c->g, file);
    yajl_gen_array_close(c->g);
    rj_kv(c->g, "uco-core:statement", c->text.s);
    rj_str(c->g, "uco-core:tag");
    yajl_gen_array_open(c->g);
    rj_str(c->g, tag);
    yajl_gen_array_close(c->g);
    yajl_gen_map_close(c->g);
}

static int write_file(void *ctx, yajl_val v)
{
    casew *c = ctx;
    if (!jv_str(v, "path")) return 0;
    write_file_node(c, v, c->files);
    write_annotation(c, v, c->files);
    c->files++;
    return 0;
}

/* The files found and the verdict on each, one reference per line: yajl
 * writes the separating comma before the next element, so a newline
 * printed before each keeps the JSON valid. */
static int write_result_ref(void *ctx, yajl_val v)
{
    casew *c = ctx;
    char id[96];
    if (!jv_str(v, "path")) return 0;
    node_id(id, sizeof id, "file", v, c->files, NULL);
    fputc('\n', c->f);
    rj_ref(c->g, id);
    node_id(id, sizeof id, "annotation", v, c->files++, NULL);
    rj_ref(c->g, id);
    return 0;
}

static void write_action_head(casew *c, const char *dir, const scan_totals *t)
{
    yajl_gen g = c->g;
    char start[32], end[32];
    report_scan_times(dir, t, start, end);
    next_node(c);
    yajl_gen_map_open(g);
    rj_kv(g, "@id", "kb:action-scan");
    rj_kv(g, "@type", "case-investigation:InvestigativeAction");
    rj_kv(g, "uco-core:name", "ward scan");
    rj_kv(g, "uco-core:description", jv_str(t->state, "command"));
    rj_kv(g, "uco-action:actionStatus",
          jv_bool(t->state, "complete") ? "Complete/Finish" : "Ongoing");
    typed(g, "uco-action:startTime", "xsd:dateTime", start[0] ? start : NULL);
    typed(g, "uco-action:endTime", "xsd:dateTime", end[0] ? end : NULL);
    rj_str(g, "uco-action:instrument");
    rj_ref(g, "kb:tool-ward");
}

static void write_action(casew *c, const char *dir, const scan_totals *t)
{
    char id[64];
    yajl_val src = jv_get(t->state, "sources");
    write_action_head(c, dir, t);
    rj_str(c->g, "uco-action:object");
    yajl_gen_array_open(c->g);
    for (size_t i = 0; YAJL_IS_ARRAY(src) && i < src->u.array.len; i++) {
        snprintf(id, sizeof id, "kb:source-%zu", i + 1);
        rj_ref(c->g, id);
    }
    yajl_gen_array_close(c->g);
    rj_str(c->g, "uco-action:result");
    yajl_gen_array_open(c->g);
    c->files = 0;
    report_each_file(dir, write_result_ref, c);
    yajl_gen_array_close(c->g);
    yajl_gen_map_close(c->g);
}

ward_status report_case(const char *dir, const scan_totals *t, ward_error *err)
{
    report_out o;
    ward_status st = report_open(&o, dir, "case.jsonld", err);
    if (st != WARD_OK) return st;
    casew c = {.g = report_gen_new(o.f), .f = o.f};
    if (!c.g) return report_close(&o, err_fail(err, WARD_ENOMEM, "out of memory"), err);
    write_context(o.f, t);
    write_tool(&c, t);
    write_sources(&c, jv_get(t->state, "sources"));
    report_each_file(dir, write_file, &c);
    write_action(&c, dir, t);
    fputs("\n]}\n", o.f);
    yajl_gen_free(c.g);
    strbuf_free(&c.text);
    return report_close(&o, st, err);
}
