/*
 * The schema, compiled in (CMakeLists.txt writes src/tipline/cybertipline.xsd
 * as bytes into gen/tipline_xsd.inc), and validation against it with
 * libxml2. Every body the submitter sends passes through here first.
 */
#include "tipline/tipline_int.h"
#include "util/error.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <string.h>

static const unsigned char xsd[] = {
#include "tipline_xsd.inc"
};

const char *ward_tipline_xsd(void)
{
    return (const char *)xsd;
}

typedef struct first_error {
    char text[200];
    int line;
} first_error;

static void on_error(void *ctx, const xmlError *e)
{
    first_error *f = ctx;
    if (f->text[0] || !e || !e->message)
        return;
    f->line = e->line;
    snprintf(f->text, sizeof f->text, "%s", e->message);
    size_t n = strlen(f->text);
    while (n && (f->text[n - 1] == '\n' || f->text[n - 1] == ' '))
        f->text[--n] = 0;
}

ward_status ward_tipline_validate(const char *xml, size_t len, ward_error *err)
{
    first_error fe = {0};
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt((const char *)xsd, sizeof xsd - 1);
    xmlSchemaPtr schema = pc ? xmlSchemaParse(pc) : NULL;
    xmlSchemaValidCtxtPtr vc = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
    ward_status rc = WARD_OK;
    if (!vc) {
        rc = err_fail(err, WARD_EINTERNAL, "the compiled-in CyberTipline schema does not load");
    } else {
        xmlSchemaSetValidStructuredErrors(vc, (xmlStructuredErrorFunc)on_error, &fe);
        /* No network, no entities expanded: the document is only read. */
        xmlDocPtr doc = xmlReadMemory(xml, (int)len, "report.xml", "UTF-8",
                                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                                          XML_PARSE_NOWARNING);
        if (!doc) {
            const xmlError *e = xmlGetLastError();
            rc = err_fail(err, WARD_EFORMAT, "not well-formed XML (line %d): %s",
                           e ? e->line : 0, e && e->message ? e->message : "?");
        } else if (xmlSchemaValidateDoc(vc, doc) != 0) {
            rc = err_fail(err, WARD_EFORMAT, "line %d: %s", fe.line,
                           fe.text[0] ? fe.text : "does not conform to the schema");
        }
        xmlFreeDoc(doc);
    }
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    return rc;
}
