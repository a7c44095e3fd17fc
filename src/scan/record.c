/*
 * record.c -- the match record's two forms from one field table each.
 *
 * A field is written in the order of its table; whether it is written at
 * all depends on the value (absent strings, transform/frame -1) and on the
 * row's flag. The tables reproduce what files.jsonl and the API wrote
 * before they shared this code, byte for byte: tests and consumers compare
 * whole lines.
 */
#include "scan/record.h"

#include <inttypes.h>
#include <string.h>
#include <ward/pdq.h>

typedef enum field {
    F_ENTRY, F_LIST, F_LIST_KIND, F_SCHEME, F_CATEGORY, F_LABEL, F_CLASS, F_SERIES,
    F_MEDIA_ID, F_VICTIM, F_BY, F_DISTANCE, F_FRAME, F_TRANSFORM_NAME, F_DIHEDRAL, F_HASH
} field;

enum {
    OMIT = 0, /* absent: the key is left out */
    NULLED = 1 /* absent: the key is written with null */
};

typedef struct row {
    field f;
    const char *key;
    int absent;
} row;

/* files.jsonl, "matches":[{...}] of a file record (docs/schema.md). */
static const row jsonl_rows[] = {
    {F_ENTRY, "entry", OMIT},          {F_LIST, "list", OMIT},
    {F_LIST_KIND, "list_kind", OMIT},  {F_SCHEME, "scheme", OMIT},
    {F_CATEGORY, "category", OMIT},    {F_LABEL, "category_label", OMIT},
    {F_CLASS, "category_class", OMIT}, {F_SERIES, "series", OMIT},
    {F_MEDIA_ID, "media_id", OMIT},    {F_VICTIM, "victim_identified", OMIT},
    {F_BY, "by", OMIT},                {F_DISTANCE, "distance", OMIT},
    {F_FRAME, "frame", OMIT},          {F_TRANSFORM_NAME, "transform", OMIT},
    {F_HASH, "entry_pdq", OMIT},
};

/* The API, "matches":[{...}] of /v1/match and /v1/hash (docs/serve.md). */
static const row api_rows[] = {
    {F_LIST, "list", NULLED},      {F_CATEGORY, "category", NULLED},
    {F_LABEL, "category_label", NULLED}, {F_CLASS, "class", NULLED},
    {F_SERIES, "series", NULLED},  {F_BY, "kind", NULLED},
    {F_HASH, "hash", NULLED},      {F_DISTANCE, "distance", OMIT},
    {F_ENTRY, "entry_id", OMIT},   {F_DIHEDRAL, "dihedral", OMIT},
    {F_FRAME, "frame", OMIT},      {F_MEDIA_ID, "media_id", OMIT},
};

static const char *str_of(const match_record *m, field f)
{
    switch (f) {
    case F_LIST: return m->list;
    case F_LIST_KIND: return m->list_kind;
    case F_SCHEME: return m->scheme;
    case F_CATEGORY: return m->category;
    case F_LABEL: return m->category_label;
    case F_CLASS: return m->category_class;
    case F_SERIES: return m->series;
    case F_MEDIA_ID: return m->media_id;
    case F_BY: return m->by;
    case F_HASH: return m->hash;
    default: return NULL;
    }
}

static int is_str(field f)
{
    return f != F_ENTRY && f != F_VICTIM && f != F_DISTANCE && f != F_FRAME &&
           f != F_TRANSFORM_NAME && f != F_DIHEDRAL;
}

int match_record_jsonl(const match_record *m, strbuf *b)
{
    int ok = 1;
    for (size_t i = 0; i < sizeof jsonl_rows / sizeof *jsonl_rows; i++) {
        const row *r = &jsonl_rows[i];
        const char *sep = i ? "," : "{";
        if (is_str(r->f)) {
            const char *v = str_of(m, r->f);
            if (!v) continue;
            ok &= strbuf_addf(b, "%s\"%s\":", sep, r->key);
            ok &= esc_json_string(b, v, strlen(v));
            continue;
        }
        switch (r->f) {
        case F_ENTRY:
            ok &= strbuf_addf(b, "%s\"%s\":%" PRIu64, sep, r->key, m->entry_id);
            break;
        case F_VICTIM:
            if (m->victim_identified >= 0)
                ok &= strbuf_addf(b, "%s\"%s\":%s", sep, r->key,
                                       m->victim_identified ? "true" : "false");
            break;
        case F_DISTANCE:
            ok &= strbuf_addf(b, "%s\"%s\":%d", sep, r->key, m->distance);
            break;
        case F_FRAME:
            if (m->frame >= 0)
                ok &= strbuf_addf(b, "%s\"%s\":%" PRId64 ",\"timestamp\":%.3f", sep, r->key,
                                       m->frame, m->timestamp);
            break;
        case F_TRANSFORM_NAME:
            if (m->transform >= 0 && m->frame < 0) {
                const char *name = ward_dihedral_name(m->transform);
                ok &= strbuf_addf(b, "%s\"%s\":", sep, r->key);
                ok &= esc_json_string(b, name, strlen(name));
            }
            break;
        default:
            break;
        }
    }
    return ok && strbuf_add(b, "}", 1);
}

static void gen_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void match_record_api_fields(const match_record *m, yajl_gen g)
{
    for (size_t i = 0; i < sizeof api_rows / sizeof *api_rows; i++) {
        const row *r = &api_rows[i];
        if (is_str(r->f)) {
            const char *v = str_of(m, r->f);
            if (!v && r->absent == OMIT) continue;
            gen_key(g, r->key);
            if (v) yajl_gen_string(g, (const unsigned char *)v, strlen(v));
            else yajl_gen_null(g);
            continue;
        }
        switch (r->f) {
        case F_ENTRY:
            gen_key(g, r->key);
            yajl_gen_integer(g, (long long)m->entry_id);
            break;
        case F_DISTANCE:
            gen_key(g, r->key);
            yajl_gen_integer(g, m->distance);
            break;
        case F_DIHEDRAL:
            if (m->transform >= 0 && m->frame < 0) {
                gen_key(g, r->key);
                yajl_gen_integer(g, m->transform);
            }
            break;
        case F_FRAME:
            if (m->frame >= 0) {
                gen_key(g, r->key);
                yajl_gen_integer(g, m->frame);
                gen_key(g, "timestamp");
                yajl_gen_double(g, m->timestamp);
            }
            break;
        default:
            break;
        }
    }
}

void match_record_api(const match_record *m, yajl_gen g)
{
    yajl_gen_map_open(g);
    match_record_api_fields(m, g);
    yajl_gen_map_close(g);
}
