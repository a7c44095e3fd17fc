/* Internal helpers shared by the tipline module's files. */
#ifndef WARD_TIPLINE_INT_H
#define WARD_TIPLINE_INT_H

#include <ward/tipline.h>

#include "util/escape.h"

/* An XML document being written: the text, and the notices of facts it
 * could not carry exactly (o->notice is told each one). */
typedef struct tl_xml {
    strbuf b;
    const ward_tipline_opts *o;
    const char *json;       /* the report's text, where values are read from */
    char **pool;            /* values read (tl_at), freed with the document */
    size_t npool;
    int notices;
    int oom;
} tl_xml;

/* A value as bytes: a string may hold U+0000, which the JSON tree would
 * end a C string at (a platform's context is kept byte for byte). */
typedef struct tl_str {
    const char *s;          /* NULL: absent or null */
    size_t n;
} tl_str;

/* The string or number at a JSON pointer (printf-style) of x->json,
 * decoded; kept until tl_xml_free. */
tl_str tl_at(tl_xml *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tl_xml_free(tl_xml *x);
/* tl_elem for a value read with tl_at. */
void tl_elem_s(tl_xml *x, const char *name, tl_str v, const char *what);

void tl_open(tl_xml *x, const char *name);
void tl_close(tl_xml *x, const char *name);
/* <name>text</name>, escaped; nothing when text is NULL. `what` names the
 * fact in a notice when the text holds what XML cannot (written then with
 * ward's reversible \xNN escapes). */
void tl_elem(tl_xml *x, const char *name, const char *text, const char *what);
/* <name attr="value">text</name>. */
void tl_elem_attr(tl_xml *x, const char *name, const char *attr, const char *value,
                  const char *text);
void tl_notice(tl_xml *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A platform's time in ISO 8601 with its own offset ("2026-11-23 09:14:05
 * -0500" -> "2026-11-23T09:14:05-05:00"); the same instant and zone, only
 * the punctuation changed. 0 when it has no zone or is not a time. */
int tl_iso_time(const char *in, char out[40]);

/* The service report's JSON (ward-report/1), malloc'd. */
ward_status tl_report_json(const ward_tipline_opts *o, int64_t report_id, char **json,
                           ward_error *err);

/* The report's XML from its JSON. */
ward_status tl_report_xml(const ward_tipline_opts *o, const char *json, char **xml,
                          int *notices, ward_error *err);
/* One file's <fileDetails>: the evidence file's own digests (hex) beside
 * the report's hashes and matches. */
typedef struct tl_file {
    const char *sha256, *md5, *sha1;
    const char *ncmec_report, *ncmec_file;
} tl_file;
ward_status tl_file_xml(const ward_tipline_opts *o, const char *json, const tl_file *f,
                        char **xml, ward_error *err);

#endif
