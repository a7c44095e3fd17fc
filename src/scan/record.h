/*
 * record.h -- one serializer per record kind that ward writes in more than
 * one place (issue 19): today a match, written in a scan's files.jsonl
 * ("matches" of a file record) and in the platform API's /v1/match and
 * /v1/hash replies ("matches" of a result).
 *
 * The two outputs predate this file and consumers read both, so their key
 * names stay as they were (a match's class is "category_class" in
 * files.jsonl and "class" in the API; the entry id "entry" and "entry_id"):
 * each is a table below that names every field once, with its key and
 * whether an absent value is omitted or null. docs/schema.md is the same
 * tables in prose, with the schema version (MATCH_RECORD_SCHEMA).
 */
#ifndef WARD_SCAN_RECORD_H
#define WARD_SCAN_RECORD_H

#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "util/escape.h"

/* Bumped when a field of either form changes meaning or goes away; adding
 * a field does not bump it (readers ignore keys they do not know). */
#define MATCH_RECORD_SCHEMA 1

/* A known entry that a file or a query matched. Strings may be NULL
 * (absent). */
typedef struct match_record {
    uint64_t entry_id;
    const char *list;
    const char *list_kind;      /* "alert" or "known-good"; NULL unknown */
    const char *scheme;
    const char *category;
    const char *category_label;
    const char *category_class; /* "alert", "ignorable", "unknown" */
    const char *series;
    const char *media_id;
    int victim_identified;      /* 1 yes, 0 no, -1 not said */
    const char *by;             /* "md5", "sha1", "sha256" or "pdq" */
    int distance;               /* 0 for digests, Hamming distance for PDQ */
    int transform;              /* PDQ of a still: the dihedral that matched
                                   (ward_dihedral_name); -1 none */
    int64_t frame;              /* video: the frame that matched; -1 none */
    double timestamp;           /* video: its time in seconds */
    const char *hash;           /* the entry's hash that matched, lower hex */
} match_record;

/* The files.jsonl form, one JSON object appended to b. Returns 0 when out
 * of memory (b then holds part of it). */
int match_record_jsonl(const match_record *m, strbuf *b);

/* The API form, one JSON object generated on g; _fields: its members only,
 * inside a map the caller opened (to add its own after them). */
void match_record_api(const match_record *m, yajl_gen g);
void match_record_api_fields(const match_record *m, yajl_gen g);

#endif
