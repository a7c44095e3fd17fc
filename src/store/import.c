/*
 * Importing a hash-set file into a list: one write transaction around the
 * whole file, records merged into the list's entries by digest.
 *
 * A record matches an entry of the same list when any digest they both have
 * is equal. No match: a new entry (added). A match: fields the record gives
 * that the entry lacks or has otherwise are written (updated; a category
 * change is logged in history), else it is a duplicate. A record whose
 * digests disagree with the matched entry (same MD5, other SHA-1) is bad.
 * A match on a removed entry leaves it removed (counted as removed).
 * Imports only add and change, never clear a field.
 */
#include "exchange/exchange.h"
#include "store/store_int.h"
#include "util/error.h"
#include "util/escape.h"
#include "util/path.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROGRESS_EVERY 16384
/* PostgreSQL: every statement is a round trip to the server, so new
 * entries go in PG_BATCH rows per INSERT (20 parameters a row; a statement
 * takes at most 65535) and a record is looked up by all its digests in one
 * query. SQLite, in-process, does one row per statement. */
#define PG_BATCH 500
#define PG_ROW_PARAMS 20
#define TAGS_MAX (128u * 1024)
#define MSG_MAX 200 /* a bad record's message */

void ward_import_opts_default(ward_import_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->kind = WARD_LIST_ALERT;
}

typedef struct cat {
    int64_t id;
    char *code, *label;
} cat;

/*
 * Importing into a list that was empty when the import began (the usual
 * first load of a large set), an entry can only match one this import added.
 * A Bloom filter of the digests added so far answers "certainly not there"
 * for almost every new record and saves the index look-ups. Its size is
 * fixed from the file size (1 bit per 4 bytes, 1..16 MiB), so memory stays
 * bounded whatever the file; when it fills up, it only gets less useful.
 */
typedef struct bloom {
    uint64_t *bits;
    uint64_t mask;  /* number of words - 1 (a power of two) */
} bloom;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t digest_hash(const uint8_t *d, size_t n, int kind)
{
    uint64_t h = 0x9e3779b97f4a7c15ull * (uint64_t)(kind + 1), w;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, d + i, 8);
        h = mix64(h ^ w);
    }
    if (n % 8) {
        w = 0;
        memcpy(&w, d + n - n % 8, n % 8);
        h = mix64(h ^ w);
    }
    return h;
}

/* Blocked: the 3 bits of a digest lie in one 64-bit word (one cache miss). */
static void bloom_add(bloom *b, uint64_t h)
{
    b->bits[h & b->mask] |= 1ull << (h >> 40 & 63) | 1ull << (h >> 46 & 63) |
                            1ull << (h >> 52 & 63);
}

static int bloom_has(const bloom *b, uint64_t h)
{
    uint64_t want = 1ull << (h >> 40 & 63) | 1ull << (h >> 46 & 63) | 1ull << (h >> 52 & 63);
    return (b->bits[h & b->mask] & want) == want;
}

typedef struct imp {
    ward_store *s;
    ward_error *err;
    const ward_import_opts *opts;
    ward_import_summary *sum;
    const char *path;           /* as given, for messages */
    wx_in *in;
    int64_t list_id, import_id;
    char scheme[256];
    cat *cats;
    size_t ncats;
    int64_t default_cat;        /* 0: none */
    wsql_stmt *find[WST_NKINDS], *load, *ins, *upd, *hist;
    wsql_stmt *find_any;        /* PostgreSQL: find by every digest at once */
    wsql_stmt *ins_many;        /* PostgreSQL: PG_BATCH new entries at once */
    int pending;                /* rows bound into ins_many, not yet inserted */
    uint64_t next_progress;
    char *tags;                 /* TAGS_MAX */
    strbuf name;           /* a record's name, escaped */
    bloom seen;                 /* digests added; bits NULL when not used */
} imp;

/* The 18 entry columns an import writes, in statement order. */
typedef struct vals {
    const uint8_t *dg[WST_NKINDS];
    int quality;                /* -1: NULL */
    unsigned hex_case;
    char hex_orig[4 * 80];
    int64_t category_id;        /* 0: NULL */
    const char *series, *first_seen, *first_seen_utc, *updated, *updated_utc;
    const char *tags, *name, *media_id;
    int victim;                 /* -1: NULL */
    int64_t size;               /* -1: NULL */
} vals;

#define VALS_COLS                                                                  \
    "md5, sha1, sha256, pdq, pdq_quality, hex_case, hex_orig, category_id, series," \
    " victim_identified, first_seen, first_seen_utc, updated, updated_utc, tags,"   \
    " name, media_id, size"

static void bind_text(wsql_stmt *st, int i, const char *s, sqlite3_destructor_type d)
{
    if (s)
        wsql_bind_text(st, i, s, -1, d);
    else
        wsql_bind_null(st, i);
}

static void bind_vals(wsql_stmt *st, int base, const vals *v,
                      sqlite3_destructor_type d)
{
    for (int k = 0; k < WST_NKINDS; k++) {
        if (v->dg[k])
            wsql_bind_blob(st, base + k, v->dg[k], (int)wst_kind_len[k], d);
        else
            wsql_bind_null(st, base + k);
    }
    if (v->quality >= 0 && v->dg[WST_PDQ])
        wsql_bind_int(st, base + 4, v->quality);
    else
        wsql_bind_null(st, base + 4);
    wsql_bind_int(st, base + 5, (int)v->hex_case);
    bind_text(st, base + 6, v->hex_orig[0] ? v->hex_orig : NULL, SQLITE_TRANSIENT);
    if (v->category_id)
        wsql_bind_int64(st, base + 7, v->category_id);
    else
        wsql_bind_null(st, base + 7);
    bind_text(st, base + 8, v->series, d);
    if (v->victim >= 0)
        wsql_bind_int(st, base + 9, v->victim);
    else
        wsql_bind_null(st, base + 9);
    bind_text(st, base + 10, v->first_seen, d);
    bind_text(st, base + 11, v->first_seen_utc, SQLITE_TRANSIENT);
    bind_text(st, base + 12, v->updated, d);
    bind_text(st, base + 13, v->updated_utc, SQLITE_TRANSIENT);
    bind_text(st, base + 14, v->tags, d);
    bind_text(st, base + 15, v->name, d);
    bind_text(st, base + 16, v->media_id, d);
    if (v->size >= 0)
        wsql_bind_int64(st, base + 17, v->size);
    else
        wsql_bind_null(st, base + 17);
}

static void orig_add(char *dst, size_t cap, int k, const char *text)
{
    size_t o = strlen(dst);
    snprintf(dst + o, cap - o, "%s%s:%s", o ? "," : "", wst_kind_col[k], text);
}

static ward_status sqlfail(imp *m, int rc, const char *what)
{
    return wst_sqlfail(m->s, m->err, rc, what);
}

static void progress(imp *m)
{
    if (m->opts->progress && m->sum->records >= m->next_progress) {
        m->next_progress = m->sum->records + PROGRESS_EVERY;
        m->opts->progress(m->opts->progress_ctx, m->sum->records,
                          m->in ? wx_in_offset(m->in) : 0);
    }
}

static ward_status report_bad(imp *m, const char *where, const char *msg)
{
    m->sum->bad++;
    char line[256];
    if (where && isdigit((unsigned char)where[0]))
        snprintf(line, sizeof line, "%s:%s: %s", m->path, where, msg);
    else
        snprintf(line, sizeof line, "%s: %s: %s", m->path, where && *where ? where : "/",
                 msg);
    if (m->sum->n_messages < WARD_IMPORT_MESSAGES)
        memcpy(m->sum->messages[m->sum->n_messages++], line, sizeof line);
    if (m->opts->strict)
        return err_fail(m->err, WARD_EFORMAT, "%s (strict: import rolled back)", line);
    return WARD_OK;
}

static ward_status on_bad(void *ctx, const char *where, const char *msg)
{
    imp *m = ctx;
    m->sum->records++;
    progress(m);
    return report_bad(m, where, msg);
}

static void on_duplicate(void *ctx)
{
    imp *m = ctx;
    m->sum->records++;
    m->sum->duplicate++;
    progress(m);
}

static const cat *find_cat(const imp *m, const char *s, size_t n)
{
    for (size_t i = 0; i < m->ncats; i++)
        if (strlen(m->cats[i].code) == n && strncasecmp(m->cats[i].code, s, n) == 0)
            return &m->cats[i];
    for (size_t i = 0; i < m->ncats; i++)
        if (strlen(m->cats[i].label) == n && strncasecmp(m->cats[i].label, s, n) == 0)
            return &m->cats[i];
    return NULL;
}

static int differs(const char *a, const char *b) { return !b || strcmp(a, b) != 0; }

/* The category a record names (trimmed; a code, else a label), else the
 * default. -1 with msg if the list's scheme has no such category. */
static int category_of(const imp *m, const wx_record *r, int64_t *id, char msg[MSG_MAX])
{
    *id = m->default_cat;
    const char *c = r->category;
    size_t n = c ? strlen(c) : 0;
    wx_trim(&c, &n);
    if (!n)
        return 0;
    const cat *k = find_cat(m, c, n);
    if (!k) {
        snprintf(msg, MSG_MAX, "unknown category '%.*s' in scheme '%s'",
                 (int)(n > 60 ? 60 : n), c, m->scheme);
        return -1;
    }
    *id = k->id;
    return 0;
}

/* The values a record brings; dates are also normalised to UTC (into
 * fs_utc, up_utc) and tags into m->tags. */
static void incoming(imp *m, const wx_record *r, int64_t cat_id, vals *in,
                     char fs_utc[40], char up_utc[40])
{
    memset(in, 0, sizeof *in);
    for (int k = 0; k < WST_NKINDS; k++) {
        in->dg[k] = wx_record_digest(r, k);
        if (in->dg[k] && (r->hex_mixed & (1u << k)))
            orig_add(in->hex_orig, sizeof in->hex_orig, k, r->mixed[k]);
    }
    in->hex_case = r->hex_upper;
    in->quality = r->has_pdq ? r->quality : -1;
    in->category_id = cat_id;
    in->series = r->series;
    in->victim = r->victim_identified;
    in->name = r->name;
    /* PostgreSQL's TEXT holds UTF-8 only, and hashdeep and md5sum lists
     * name files in raw bytes: such a name is kept with ward's reversible
     * escapes (docs/cli.md), the same on both stores. */
    if (r->name && !esc_utf8_valid(r->name, strlen(r->name)) &&
        esc_name(&m->name, r->name, strlen(r->name)))
        in->name = m->name.s;
    in->media_id = r->media_id;
    in->size = r->size;
    in->first_seen = r->first_seen;
    in->first_seen_utc = r->first_seen && wx_date_utc(r->first_seen, fs_utc) == 0 ? fs_utc : NULL;
    in->updated = r->updated;
    in->updated_utc = r->updated && wx_date_utc(r->updated, up_utc) == 0 ? up_utc : NULL;
    in->tags = r->tags && wx_tags_normalise(r->tags, m->tags, TAGS_MAX) ? m->tags : NULL;
}

/* The Bloom filter's hashes of the digests (when it is used); 0 if it
 * rules out every match, so the look-ups can be skipped. */
static int seen_maybe(const imp *m, const vals *in, uint64_t h[WST_NKINDS])
{
    int maybe = !m->seen.bits;
    for (int k = 0; k < WST_NKINDS; k++) {
        h[k] = 0;
        if (in->dg[k] && m->seen.bits) {
            h[k] = digest_hash(in->dg[k], wst_kind_len[k], k);
            maybe |= bloom_has(&m->seen, h[k]);
        }
    }
    return maybe;
}

/* Entries written by this import can be matched by later records. */
static void seen_add(imp *m, const vals *in, const uint64_t h[WST_NKINDS])
{
    if (m->seen.bits)
        for (int k = 0; k < WST_NKINDS; k++)
            if (in->dg[k])
                bloom_add(&m->seen, h[k]);
}

/* PostgreSQL: the new entries bound into ins_many so far, inserted. Every
 * look-up runs after it, so a record always sees the entries before it. */
static ward_status flush_pending(imp *m)
{
    if (!m->pending)
        return WARD_OK;
    int sr = wsql_step(m->ins_many);
    wsql_reset(m->ins_many);
    wsql_clear_bindings(m->ins_many); /* the rows of a short last batch stay NULL */
    m->pending = 0;
    return sr == SQLITE_DONE ? WARD_OK : sqlfail(m, sr, "insert entries");
}

/* The entry of this list the record matches by any digest (*found 0:
 * none), and whether it was removed. Matching two entries is bad (msg). */
static ward_status find_entry(imp *m, const vals *in, int64_t *found, int *removed,
                              char msg[MSG_MAX])
{
    ward_status rc = flush_pending(m);
    if (rc)
        return rc;
    for (int k = 0; k < WST_NKINDS; k++) {
        if (!in->dg[k] && !m->find_any)
            continue;
        wsql_stmt *st = m->find_any ? m->find_any : m->find[k];
        wsql_reset(st);
        if (m->find_any) { /* ?1..?4 the digests (NULL: none), ?5 the list */
            for (int j = 0; j < WST_NKINDS; j++)
                if (in->dg[j])
                    wsql_bind_blob(st, j + 1, in->dg[j], (int)wst_kind_len[j], SQLITE_STATIC);
                else
                    wsql_bind_null(st, j + 1);
            wsql_bind_int64(st, WST_NKINDS + 1, m->list_id);
        } else {
            wsql_bind_blob(st, 1, in->dg[k], (int)wst_kind_len[k], SQLITE_STATIC);
            wsql_bind_int64(st, 2, m->list_id);
        }
        int sr;
        while ((sr = wsql_step(st)) == SQLITE_ROW) {
            int64_t id = wsql_column_int64(st, 0);
            if (*found && id != *found) {
                snprintf(msg, MSG_MAX,
                         "matches two entries of this list (%lld and %lld) by different "
                         "digests",
                         (long long)*found, (long long)id);
                wsql_reset(st);
                return WARD_OK;
            }
            *found = id;
            *removed = wsql_column_type(st, 1) != SQLITE_NULL;
        }
        wsql_reset(st);
        if (sr != SQLITE_DONE)
            return sqlfail(m, sr, "find entry");
        if (m->find_any)
            break;
    }
    return WARD_OK;
}

static ward_status insert_entry(imp *m, const vals *in, const uint64_t h[WST_NKINDS])
{
    /* Batched only while the Bloom filter spares the look-ups (a first load):
     * otherwise every record is looked up first, which flushes, and a batch
     * of one through the PG_BATCH-row statement costs more than one row. */
    if (m->ins_many && m->seen.bits) { /* values copied now, inserted by flush_pending */
        int base = m->pending * PG_ROW_PARAMS;
        wsql_bind_int64(m->ins_many, base + 1, m->list_id);
        bind_vals(m->ins_many, base + 2, in, SQLITE_TRANSIENT);
        wsql_bind_int64(m->ins_many, base + 20, m->import_id);
        seen_add(m, in, h);
        m->sum->added++;
        return ++m->pending == PG_BATCH ? flush_pending(m) : WARD_OK;
    }
    wsql_stmt *st = m->ins;
    wsql_reset(st);
    wsql_bind_int64(st, 1, m->list_id);
    bind_vals(st, 2, in, SQLITE_STATIC);
    wsql_bind_int64(st, 20, m->import_id);
    int sr = wsql_step(st);
    wsql_reset(st);
    if (sr != SQLITE_DONE)
        return sqlfail(m, sr, "insert entry");
    seen_add(m, in, h);
    m->sum->added++;
    return WARD_OK;
}

/* Digests of the entry (a row of m->load) merged with the record's into
 * out. Hex case is not an identifier: the first form seen is kept. Returns
 * 1 if the record adds a digest, 0 if not, -1 if a digest of a kind both
 * have differs (msg). */
static int merge_digests(wsql_stmt *ld, const wx_record *r, const vals *in,
                         int64_t found, vals *out, char msg[MSG_MAX])
{
    int changed = 0;
    unsigned old_case = (unsigned)wsql_column_int(ld, 5);
    const char *old_orig = wst_text(ld, 6);
    for (int k = 0; k < WST_NKINDS; k++) {
        const uint8_t *old = wst_blob(ld, k, wst_kind_len[k]);
        char text[65];
        if (old && in->dg[k] && memcmp(old, in->dg[k], wst_kind_len[k]) != 0) {
            snprintf(msg, MSG_MAX,
                     "%s differs from entry %lld of this list, which shares another digest",
                     wx_kind_label[k], (long long)found);
            return -1;
        }
        if (old) {
            out->dg[k] = old;
            out->hex_case |= old_case & (1u << k);
            if (wst_hex_orig(old_orig, k, text))
                orig_add(out->hex_orig, sizeof out->hex_orig, k, text);
        } else if (in->dg[k]) {
            out->dg[k] = in->dg[k];
            out->hex_case |= in->hex_case & (1u << k);
            if (r->hex_mixed & (1u << k))
                orig_add(out->hex_orig, sizeof out->hex_orig, k, r->mixed[k]);
            changed = 1;
        }
    }
    return changed;
}

/* Imports only add and change: the record's value where it gives one
 * (`given`) that differs from the entry's; 1 if it did. */
static int merge_int(int given, int64_t value, int64_t old, int64_t *out)
{
    int change = given && value != old;
    *out = change ? value : old;
    return change;
}

static int merge_text(const char *value, const char *old, const char **out)
{
    int change = value && differs(value, old);
    *out = change ? value : old;
    return change;
}

/* A date and its UTC form change together. */
static int merge_date(const char *value, const char *value_utc, wsql_stmt *ld, int col,
                      const char **out, const char **out_utc)
{
    int changed = merge_text(value, wst_text(ld, col), out);
    *out_utc = changed ? value_utc : wst_text(ld, col + 1);
    return changed;
}

static int64_t int_or_none(wsql_stmt *ld, int col)
{
    return wsql_column_type(ld, col) == SQLITE_NULL ? -1 : wsql_column_int64(ld, col);
}

/* Every field but the digests merged into out; 1 if any changed. */
static int merge_fields(wsql_stmt *ld, const vals *in, vals *out)
{
    int64_t quality, victim;
    int changed = merge_int(in->quality >= 0, in->quality, int_or_none(ld, 4), &quality);
    changed |= merge_int(in->category_id != 0, in->category_id, wsql_column_int64(ld, 7),
                         &out->category_id);
    changed |= merge_int(in->victim >= 0, in->victim, int_or_none(ld, 9), &victim);
    changed |= merge_int(in->size >= 0, in->size, int_or_none(ld, 17), &out->size);
    out->quality = (int)quality;
    out->victim = (int)victim;
    changed |= merge_text(in->series, wst_text(ld, 8), &out->series);
    changed |= merge_text(in->tags, wst_text(ld, 14), &out->tags);
    changed |= merge_text(in->name, wst_text(ld, 15), &out->name);
    changed |= merge_text(in->media_id, wst_text(ld, 16), &out->media_id);
    changed |= merge_date(in->first_seen, in->first_seen_utc, ld, 10, &out->first_seen,
                          &out->first_seen_utc);
    changed |= merge_date(in->updated, in->updated_utc, ld, 12, &out->updated,
                          &out->updated_utc);
    return changed;
}

/* A category change is kept in the history, with the import that made it. */
static ward_status log_recategorise(imp *m, int64_t entry, int64_t old_cat, int64_t new_cat)
{
    char now[32];
    wst_now(now);
    wsql_stmt *hs = m->hist;
    wsql_reset(hs);
    wsql_bind_text(hs, 1, now, -1, SQLITE_TRANSIENT);
    wsql_bind_int64(hs, 2, entry);
    wsql_bind_int64(hs, 3, m->import_id);
    if (old_cat)
        wsql_bind_int64(hs, 4, old_cat);
    else
        wsql_bind_null(hs, 4);
    wsql_bind_int64(hs, 5, new_cat);
    int sr = wsql_step(hs);
    wsql_reset(hs);
    return sr == SQLITE_DONE ? WARD_OK : sqlfail(m, sr, "log category change");
}

/* Merge the record into entry `found`: updated, a duplicate, or bad (msg). */
static ward_status merge_entry(imp *m, const wx_record *r, const vals *in, int64_t found,
                               const uint64_t h[WST_NKINDS], char msg[MSG_MAX])
{
    wsql_stmt *ld = m->load;
    wsql_reset(ld);
    wsql_bind_int64(ld, 1, found);
    int sr = wsql_step(ld);
    if (sr != SQLITE_ROW) {
        wsql_reset(ld);
        return sqlfail(m, sr == SQLITE_DONE ? SQLITE_INTERNAL : sr, "load entry");
    }
    vals out;
    memset(&out, 0, sizeof out);
    int changed = merge_digests(ld, r, in, found, &out, msg);
    if (changed < 0) {
        wsql_reset(ld);
        return WARD_OK; /* bad: msg says why */
    }
    changed |= merge_fields(ld, in, &out);
    int64_t old_cat = wsql_column_int64(ld, 7);
    if (!changed) {
        wsql_reset(ld);
        m->sum->duplicate++;
        return WARD_OK;
    }
    /* TRANSIENT: some values point into the loaded row, which the reset of
     * ld releases before the update runs. */
    wsql_stmt *up = m->upd;
    wsql_reset(up);
    bind_vals(up, 1, &out, SQLITE_TRANSIENT);
    wsql_bind_int64(up, 19, m->import_id);
    wsql_bind_int64(up, 20, found);
    wsql_reset(ld);
    sr = wsql_step(up);
    wsql_reset(up);
    if (sr != SQLITE_DONE)
        return sqlfail(m, sr, "update entry");
    seen_add(m, in, h);
    ward_status rc;
    if (out.category_id != old_cat && (rc = log_recategorise(m, found, old_cat, out.category_id)))
        return rc;
    m->sum->updated++;
    return WARD_OK;
}

static ward_status on_record(void *ctx, const wx_record *r)
{
    imp *m = ctx;
    m->sum->records++;
    progress(m);
    char msg[MSG_MAX] = "";
    int64_t cat_id;
    if (category_of(m, r, &cat_id, msg))
        return report_bad(m, r->where_category ? r->where_category : r->where, msg);
    vals in;
    char fs_utc[40], up_utc[40];
    incoming(m, r, cat_id, &in, fs_utc, up_utc);
    uint64_t h[WST_NKINDS];
    int64_t found = 0;
    int removed = 0;
    ward_status rc = WARD_OK;
    if (seen_maybe(m, &in, h))
        rc = find_entry(m, &in, &found, &removed, msg);
    if (rc == WARD_OK && !msg[0]) {
        if (!found)
            return insert_entry(m, &in, h);
        if (removed) {
            m->sum->removed++;
            return WARD_OK;
        }
        rc = merge_entry(m, r, &in, found, h, msg);
    }
    return rc == WARD_OK && msg[0] ? report_bad(m, r->where, msg) : rc;
}

/* ---- the import ------------------------------------------------------- */

static ward_status step_done(ward_store *s, wsql_stmt *st, ward_error *err,
                             const char *what)
{
    int r = wsql_step(st);
    ward_status rc = r == SQLITE_DONE || r == SQLITE_ROW ? WARD_OK : wst_sqlfail(s, err, r, what);
    wsql_finalize(st);
    return rc;
}

/* An existing list, which must use the scheme the options name (if any). */
static ward_status find_list(imp *m, const char *list, int64_t *scheme_id)
{
    wsql_stmt *st;
    ward_status rc = wst_find_row(
        m->s,
        "SELECT l.id, s.id, s.name FROM lists l JOIN schemes s ON s.id = l.scheme_id "
        "WHERE l.name = ?1",
        list, &st, "find list", m->err);
    if (rc)
        return rc;
    m->list_id = wsql_column_int64(st, 0);
    *scheme_id = wsql_column_int64(st, 1);
    snprintf(m->scheme, sizeof m->scheme, "%s", wst_text(st, 2));
    wsql_finalize(st);
    if (m->opts->scheme && strcasecmp(m->opts->scheme, m->scheme) != 0)
        return err_fail(m->err, WARD_EINVAL, "list '%s' uses category scheme '%s', not '%s'",
                         list, m->scheme, m->opts->scheme);
    return WARD_OK;
}

/* A new list: the scheme the options name, else the format's (NSRL lists
 * are known-good ones). */
static ward_status new_list(imp *m, const char *list, ward_hashset_format fmt,
                            int64_t *scheme_id)
{
    int nsrl = fmt == WARD_FMT_NSRL;
    const char *scheme = m->opts->scheme ? m->opts->scheme
                         : nsrl          ? WARD_SCHEME_KNOWN_GOOD
                                         : WARD_SCHEME_PROJECTVIC;
    ward_status rc = wst_scheme(m->s, scheme, scheme_id, m->scheme, sizeof m->scheme, m->err);
    if (rc)
        return rc;
    if (!wst_valid_name(list))
        return err_fail(m->err, WARD_EINVAL, "bad list name (1-200 printable characters)");
    if ((rc = wst_insert_list(m->s, list, m->opts->description, *scheme_id,
                              nsrl ? WARD_LIST_KNOWN_GOOD : m->opts->kind, m->err)))
        return rc;
    m->list_id = wsql_last_insert_rowid(m->s->db);
    return WARD_OK;
}

static int cat_fill(void *ctx, wsql_stmt *st, void *elem)
{
    (void)ctx;
    cat *c = elem;
    c->id = wsql_column_int64(st, 0);
    c->code = strdup(wst_text(st, 1));
    c->label = strdup(wst_text(st, 2));
    if (c->code && c->label)
        return 0;
    free(c->code);
    free(c->label);
    return -1;
}

/* The scheme's categories, and the default category (NSRL: known-good). */
static ward_status load_categories(imp *m, const char *list, ward_hashset_format fmt,
                                   int64_t scheme_id)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(m->s, "SELECT id, code, label FROM categories WHERE scheme_id = ?1",
                                 &st, m->err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, scheme_id);
    wst_rows rows = {.size = sizeof(cat)};
    rc = wst_keep_rows(m->s, st, &rows, cat_fill, NULL, "load categories", m->err);
    m->cats = rows.v;
    m->ncats = rows.n;
    if (rc)
        return rc;
    const char *def = m->opts->default_category;
    if (!def && fmt == WARD_FMT_NSRL)
        def = "known-good";
    if (!def)
        return WARD_OK;
    const cat *c = find_cat(m, def, strlen(def));
    if (!c)
        return err_fail(m->err, WARD_EINVAL,
                         "default category '%s' is not in scheme '%s' of list '%s'", def,
                         m->scheme, list);
    m->default_cat = c->id;
    return WARD_OK;
}

/* Find or create the list; load its scheme's categories. */
static ward_status setup_list(imp *m, const char *list, ward_hashset_format fmt)
{
    int64_t scheme_id = 0;
    ward_status rc = find_list(m, list, &scheme_id);
    if (rc == WARD_ENOTFOUND)
        rc = new_list(m, list, fmt, &scheme_id);
    return rc ? rc : load_categories(m, list, fmt, scheme_id);
}

/* Use the filter if the list has no entry at all (live or removed). */
static ward_status setup_bloom(imp *m, uint64_t file_size)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(m->s, "SELECT 1 FROM entries WHERE list_id = ?1 LIMIT 1",
                                 &st, m->err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, m->list_id);
    int r = wsql_step(st);
    wsql_finalize(st);
    if (r == SQLITE_ROW)
        return WARD_OK;
    if (r != SQLITE_DONE)
        return wst_sqlfail(m->s, m->err, r, "count entries");
    uint64_t bits = 1ull << 23; /* 1 MiB */
    while (bits < file_size / 4 && bits < (1ull << 27)) /* .. 16 MiB */
        bits <<= 1;
    m->seen.bits = calloc(bits / 64, sizeof(uint64_t));
    m->seen.mask = bits / 64 - 1; /* without memory, just no filter */
    return WARD_OK;
}

/* The entry columns of one row of ins_many, typed: a row left unbound is
 * all NULL, and the server must not have to guess its types. */
static const char *const PG_ROW_TYPES[PG_ROW_PARAMS] = {
    "INTEGER", "BLOB", "BLOB", "BLOB", "BLOB", "INTEGER", "INTEGER", "TEXT", "INTEGER", "TEXT",
    "INTEGER", "TEXT", "TEXT",  "TEXT", "TEXT", "TEXT",    "TEXT",    "TEXT", "INTEGER", "INTEGER"};

/* PostgreSQL's two statements (see PG_BATCH). The look-up's plan is made
 * once, maybe while the table is small: `list_id + 0` leaves it only the
 * digest indexes, never a walk of the list's index (a list of millions).
 * The multi-row INSERT keeps the rows whose list_id is bound: one statement
 * also for a short batch. */
static ward_status prepare_pg(imp *m)
{
    ward_status rc = wst_prepare(
        m->s,
        "SELECT id, removed_id FROM entries WHERE list_id + 0 = ?5 AND"
        " (md5 = ?1 OR sha1 = ?2 OR sha256 = ?3 OR pdq = ?4) ORDER BY"
        " CASE WHEN md5 = ?1 THEN 0 WHEN sha1 = ?2 THEN 1 WHEN sha256 = ?3 THEN 2 ELSE 3 END, id",
        &m->find_any, m->err);
    if (rc)
        return rc;
    size_t cap = 256 + (size_t)PG_BATCH * PG_ROW_PARAMS * 32, n = 0;
    char *sql = malloc(cap);
    if (!sql)
        return err_fail(m->err, WARD_ENOMEM, "out of memory");
    n += (size_t)snprintf(sql + n, cap - n,
                          "INSERT INTO entries(list_id, " VALS_COLS ", import_id) "
                          "SELECT * FROM (VALUES ");
    for (int r = 0; r < PG_BATCH; r++)
        for (int c = 0; c < PG_ROW_PARAMS; c++)
            n += (size_t)snprintf(sql + n, cap - n, "%sCAST(?%d AS %s)%s",
                                  c ? "" : r ? ", (" : "(", r * PG_ROW_PARAMS + c + 1,
                                  PG_ROW_TYPES[c], c + 1 < PG_ROW_PARAMS ? ", " : ")");
    snprintf(sql + n, cap - n, ") AS v WHERE v.column1 IS NOT NULL");
    rc = wst_prepare(m->s, sql, &m->ins_many, m->err);
    free(sql);
    return rc;
}

static ward_status prepare_all(imp *m)
{
    ward_status rc;
    for (int k = 0; k < WST_NKINDS; k++) {
        char sql[256];
        /* INDEXED BY: the digest index, never a scan of the list (SQLite's
         * syntax; PostgreSQL's planner has the statistics to choose it). */
        char indexed[64] = "";
        if (!wst_pg(m->s))
            snprintf(indexed, sizeof indexed, "INDEXED BY entries_%s ", wst_kind_col[k]);
        snprintf(sql, sizeof sql,
                 "SELECT id, removed_id FROM entries %sWHERE %s = ?1 AND list_id = ?2",
                 indexed, wst_kind_col[k]);
        if ((rc = wst_prepare(m->s, sql, &m->find[k], m->err)))
            return rc;
    }
    const struct {
        const char *sql;
        wsql_stmt **st;
    } q[] = {
        {"SELECT " VALS_COLS " FROM entries WHERE id = ?1", &m->load},
        {"INSERT INTO entries(list_id, " VALS_COLS ", import_id) VALUES("
         "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
         " ?16, ?17, ?18, ?19, ?20)",
         &m->ins},
        {"UPDATE entries SET md5 = ?1, sha1 = ?2, sha256 = ?3, pdq = ?4,"
         " pdq_quality = ?5, hex_case = ?6, hex_orig = ?7, category_id = ?8,"
         " series = ?9, victim_identified = ?10, first_seen = ?11,"
         " first_seen_utc = ?12, updated = ?13, updated_utc = ?14,"
         " tags = ?15, name = ?16, media_id = ?17, size = ?18,"
         " updated_import_id = ?19 WHERE id = ?20",
         &m->upd},
        {"INSERT INTO history(at, action, entry_id, import_id,"
         " old_category_id, new_category_id)"
         " VALUES(?1, 'recategorise', ?2, ?3, ?4, ?5)",
         &m->hist},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
        if ((rc = wst_prepare(m->s, q[i].sql, q[i].st, m->err)))
            return rc;
    return wst_pg(m->s) ? prepare_pg(m) : WARD_OK;
}

static void finalize_all(imp *m)
{
    for (int k = 0; k < WST_NKINDS; k++) {
        wsql_finalize(m->find[k]);
        m->find[k] = NULL;
    }
    wsql_finalize(m->load);
    wsql_finalize(m->ins);
    wsql_finalize(m->upd);
    wsql_finalize(m->hist);
    wsql_finalize(m->find_any);
    wsql_finalize(m->ins_many);
    m->load = m->ins = m->upd = m->hist = m->find_any = m->ins_many = NULL;
    m->pending = 0;
}

/* SHA-256 of a whole file (for NSRL, read by SQLite rather than by us). */
static ward_status hash_file(const char *path, char hex[65], uint64_t *size,
                             ward_error *err)
{
    wx_in in;
    ward_status rc = wx_in_open(&in, path, err);
    if (rc)
        return rc;
    rc = wx_in_finish(&in, hex);
    *size = in.consumed + in.len;
    wx_in_close(&in);
    return rc;
}

ward_status ward_store_log_intake(ward_store *s, const char *path, const char *format,
                                  const char *list, uint64_t records, const char *message,
                                  uint64_t *import_id, ward_error *err)
{
    *import_id = 0;
    if (!s || !path || !format || !list)
        return err_fail(err, WARD_EINVAL, "ward_store_log_intake: bad argument");
    char hex[65], now[32];
    uint64_t size = 0;
    ward_status rc = hash_file(path, hex, &size, err);
    if (rc)
        return rc;
    char *abs = realpath(path, NULL);
    wst_now(now);
    wsql_stmt *st = NULL;
    if (!(rc = wst_begin(s, 1, err)) &&
        !(rc = wst_prepare(s,
                           "INSERT INTO imports(list_id, list_name, path, file_sha256, file_size,"
                           " format, started, finished, records, status, message)"
                           " VALUES((SELECT id FROM lists WHERE name = ?1), ?1, ?2, ?3, ?4, ?5,"
                           " ?6, ?6, ?7, 'ok', ?8)",
                           &st, err))) {
        wsql_bind_text(st, 1, list, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, abs ? abs : path, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, hex, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 4, (wsql_int64)size);
        wsql_bind_text(st, 5, format, -1, SQLITE_STATIC);
        wsql_bind_text(st, 6, now, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 7, (wsql_int64)records);
        if (message)
            wsql_bind_text(st, 8, message, -1, SQLITE_STATIC);
        else
            wsql_bind_null(st, 8);
        if (!(rc = step_done(s, st, err, "log intake"))) {
            *import_id = (uint64_t)wsql_last_insert_rowid(s->db);
            rc = wst_commit(s, err);
        }
    }
    if (rc && s->in_tx)
        wst_rollback(s);
    free(abs);
    return rc;
}

/* Record an import that did not commit, in its own small transaction;
 * 0, or -1 (e2 says why) when the store cannot take even that row. */
static int log_failed(ward_store *s, const char *list, const char *path,
                      const char *format, const char *started, const char *status,
                      const char *message, const ward_import_summary *sum, ward_error *e2)
{
    if (wst_begin(s, 1, e2))
        return -1;
    wsql_stmt *st;
    char now[32];
    wst_now(now);
    if (wst_prepare(s,
                    "INSERT INTO imports(list_id, list_name, path, file_sha256, format,"
                    " started, finished, records, added, updated, duplicate, removed, bad,"
                    " status, message) VALUES((SELECT id FROM lists WHERE name = ?1), ?1,"
                    " ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, 0, 0, ?8, ?9, ?10)",
                    &st, e2)) {
        wst_rollback(s);
        return -1;
    }
    wsql_bind_text(st, 1, list, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, path, -1, SQLITE_STATIC);
    if (sum->file_sha256[0])
        wsql_bind_text(st, 3, sum->file_sha256, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, format, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, started, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, now, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 7, (wsql_int64)sum->records);
    wsql_bind_int64(st, 8, (wsql_int64)sum->bad);
    wsql_bind_text(st, 9, status, -1, SQLITE_STATIC);
    wsql_bind_text(st, 10, message, -1, SQLITE_STATIC);
    if (step_done(s, st, e2, "log import") || wst_commit(s, e2)) {
        wst_rollback(s);
        return -1;
    }
    return 0;
}

static void set_cache(ward_store *s, int kib)
{
    if (wst_pg(s))
        return;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", kib);
    wsql_exec(s->db, sql, NULL, NULL, NULL);
}

/* The file being imported. */
typedef struct source {
    const char *path;
    ward_hashset_format format;
    wx_in in;
    int open;              /* in is open: every format but NSRL */
    uint64_t size;         /* bytes: when opened, then as read */
    char version[128];     /* NSRL: the set's version */
} source;

/* Name the format from the first bytes. An NSRL database is read by
 * SQLite itself, not through in. */
static ward_status detect(source *src, ward_error *err)
{
    ward_status rc = wx_in_fill(&src->in, 65536);
    if (rc)
        return rc;
    src->format = wx_detect(src->in.buf + src->in.pos, src->in.len - src->in.pos);
    if (src->format == WARD_FMT_AUTO)
        return err_fail(err, WARD_EFORMAT,
                         "%s: cannot tell the hash-set format; name it (vics, "
                         "hashdeep, sums, csv, pdq, vpdq, nsrl)",
                         src->path);
    if (src->format == WARD_FMT_NSRL) {
        wx_in_close(&src->in);
        src->open = 0;
    }
    return WARD_OK;
}

static ward_status open_source(source *src, ward_import_summary *sum, ward_error *err)
{
    ward_status rc;
    if (src->format != WARD_FMT_NSRL) {
        if ((rc = wx_in_open(&src->in, src->path, err)))
            return rc;
        src->open = 1;
        src->size = src->in.st_size;
        if (src->format == WARD_FMT_AUTO && (rc = detect(src, err)))
            return rc;
    }
    snprintf(sum->format, sizeof sum->format, "%s", ward_hashset_format_name(src->format));
    if (src->format == WARD_FMT_NSRL)
        return hash_file(src->path, sum->file_sha256, &src->size, err);
    return WARD_OK;
}

/* Every record of the file through the sink; then the rest of the file,
 * so that its digest covers all of it. */
static ward_status read_source(imp *m, source *src, ward_error *err)
{
    wx_sink sink = {.ctx = m, .record = on_record, .bad = on_bad, .duplicate = on_duplicate};
    wx_in *in = &src->in;
    char vics_version[16], vname[256];
    ward_status rc;
    switch (src->format) {
    case WARD_FMT_VICS:
        rc = wx_read_vics(in, &sink, vics_version, m->opts->case_verdicts, &m->sum->excluded,
                          err);
        snprintf(m->sum->format, sizeof m->sum->format, "%s", vics_version);
        break;
    case WARD_FMT_HASHDEEP: rc = wx_read_hashdeep(in, &sink, err); break;
    case WARD_FMT_SUMS: rc = wx_read_sums(in, &sink, -1, err); break;
    case WARD_FMT_MD5SUM: rc = wx_read_sums(in, &sink, WX_MD5, err); break;
    case WARD_FMT_SHA1SUM: rc = wx_read_sums(in, &sink, WX_SHA1, err); break;
    case WARD_FMT_SHA256SUM: rc = wx_read_sums(in, &sink, WX_SHA256, err); break;
    case WARD_FMT_CSV: rc = wx_read_csv(in, &sink, err); break;
    case WARD_FMT_PDQ: rc = wx_read_pdq(in, &sink, err); break;
    case WARD_FMT_VPDQ: rc = wx_read_vpdq(in, &sink, path_stem(src->path, strlen(src->path), vname, sizeof vname), err); break;
    case WARD_FMT_NSRL: rc = wx_read_nsrl(src->path, &sink, src->version, err); break;
    default: rc = err_fail(err, WARD_EINVAL, "bad format %d", (int)src->format);
    }
    if (rc || !src->open)
        return rc;
    if ((rc = wx_in_finish(in, m->sum->file_sha256)))
        return rc;
    src->size = in->consumed + in->len;
    return WARD_OK;
}

/* The import's row, 'running' until log_done: a crash leaves none (the
 * transaction), a failure gets one from log_failed. */
static ward_status log_start(imp *m, const char *list, const char *path, const char *started)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(m->s,
                                 "INSERT INTO imports(list_id, list_name, path, format, started,"
                                 " status) VALUES(?1, ?2, ?3, ?4, ?5, 'running')",
                                 &st, m->err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, m->list_id);
    wsql_bind_text(st, 2, list, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, path, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, m->sum->format, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, started, -1, SQLITE_STATIC);
    if ((rc = step_done(m->s, st, m->err, "log import")))
        return rc;
    m->import_id = wsql_last_insert_rowid(m->s->db);
    return WARD_OK;
}

static ward_status log_done(imp *m, const source *src)
{
    const ward_import_summary *sum = m->sum;
    wsql_stmt *st;
    ward_status rc = wst_prepare(m->s,
                                 "UPDATE imports SET finished = ?1, records = ?2, added = ?3,"
                                 " updated = ?4, duplicate = ?5, removed = ?6, bad = ?7,"
                                 " status = 'ok', file_sha256 = ?8, file_size = ?9, format = ?10,"
                                 " source_version = ?11 WHERE id = ?12",
                                 &st, m->err);
    if (rc)
        return rc;
    char now[32];
    wst_now(now);
    wsql_bind_text(st, 1, now, -1, SQLITE_STATIC);
    const uint64_t counts[] = {sum->records, sum->added,   sum->updated,
                               sum->duplicate, sum->removed, sum->bad};
    for (int i = 0; i < 6; i++)
        wsql_bind_int64(st, 2 + i, (wsql_int64)counts[i]);
    wsql_bind_text(st, 8, sum->file_sha256, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 9, (wsql_int64)src->size);
    wsql_bind_text(st, 10, sum->format, -1, SQLITE_STATIC);
    if (src->version[0])
        wsql_bind_text(st, 11, src->version, -1, SQLITE_STATIC);
    else
        wsql_bind_null(st, 11);
    wsql_bind_int64(st, 12, m->import_id);
    return step_done(m->s, st, m->err, "log import");
}

ward_status ward_store_import(ward_store *s, const char *path,
                              ward_hashset_format format, const char *list,
                              const ward_import_opts *opts,
                              ward_import_summary *summary, ward_error *err)
{
    err_clear(err);
    ward_import_opts defaults;
    if (!opts) {
        ward_import_opts_default(&defaults);
        opts = &defaults;
    }
    ward_import_summary *sum = summary ? summary : calloc(1, sizeof *sum);
    if (!sum)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    memset(sum, 0, sizeof *sum);
    ward_status rc = WARD_OK;
    source src = {.path = path, .format = format};
    int tx = 0, cache_set = 0;
    char *abs = NULL;
    char started[32] = "";
    imp m;
    memset(&m, 0, sizeof m);

    if (!s || !path || !*path || !list || !*list) {
        rc = err_fail(err, WARD_EINVAL, "ward_store_import: store, path and list are required");
        goto done;
    }
    if (s->readonly) {
        rc = err_fail(err, WARD_EINVAL, "%s: store is open read-only", s->path);
        goto done;
    }
    if ((rc = open_source(&src, sum, err)))
        goto done;
    abs = realpath(path, NULL);
    wst_now(started);

    m.s = s;
    m.err = err;
    m.opts = opts;
    m.sum = sum;
    m.path = path;
    m.in = src.open ? &src.in : NULL;
    m.next_progress = PROGRESS_EVERY;
    if (!(m.tags = malloc(TAGS_MAX))) {
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
        goto done;
    }
    set_cache(s, s->import_cache_kib);
    /* The import only writes list, category and import ids it has just
     * looked up or created in this transaction: skip SQLite's per-row
     * foreign-key probes (the pragma cannot change inside a transaction). */
    if (!wst_pg(s))
        wsql_exec(s->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
    cache_set = 1;
    if ((rc = wst_begin(s, 1, err)))
        goto done;
    tx = 1;
    /* PostgreSQL's equivalent of INDEXED BY (prepare_all): a look-up's
     * plan is made once, maybe while the list is small enough for a scan to
     * look cheaper, and kept while the import grows the list to millions. */
    if (wst_pg(s) && (rc = wst_exec(s, "SET LOCAL enable_seqscan = off", err)))
        goto done;
    if ((rc = setup_list(&m, list, src.format)) || (rc = setup_bloom(&m, src.size)) ||
        (rc = log_start(&m, list, abs ? abs : path, started)) || (rc = prepare_all(&m)))
        goto done;
    rc = read_source(&m, &src, err);
    if (rc == WARD_OK)
        rc = flush_pending(&m);
    finalize_all(&m);
    if (rc || (rc = log_done(&m, &src)))
        goto done;
    /* a commit that fails (disk full, connection lost) leaves tx set: the
     * rollback below, then the failure's row */
    if ((rc = wst_commit(s, err)))
        goto done;
    tx = 0;
    sum->import_id = (uint64_t)m.import_id;
    /* The import is committed; a revision that cannot be read back is
     * still said (the caller prints the summary's revision). */
    if ((rc = ward_store_revision(s, &sum->revision, err)))
        goto done;

done:
    finalize_all(&m);
    if (tx)
        wst_rollback(s);
    if (cache_set) {
        set_cache(s, WST_CACHE_KIB);
        if (!wst_pg(s))
            wsql_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    }
    if (rc && s && path && list && !s->readonly && started[0]) {
        /* Keep a trace of the attempt (the rollback took the running row),
         * also when it never got the write lock or could not commit; when
         * the store cannot take even that, the message says so. */
        ward_error e2;
        sum->added = sum->updated = sum->duplicate = sum->removed = 0;
        if (log_failed(s, list, abs ? abs : path, sum->format, started,
                       opts->strict && rc == WARD_EFORMAT && sum->bad ? "aborted" : "failed",
                       err ? err->message : ward_status_str(rc), sum, &e2) && err) {
            size_t n = strlen(err->message);
            snprintf(err->message + n, sizeof err->message - n,
                     " (not recorded in 'ward db imports': %s)", e2.message);
        }
    }
    if (rc)
        sum->import_id = 0;
    if (src.open)
        wx_in_close(&src.in);
    for (size_t i = 0; i < m.ncats; i++) {
        free(m.cats[i].code);
        free(m.cats[i].label);
    }
    free(m.cats);
    free(m.tags);
    strbuf_free(&m.name);
    free(m.seen.bits);
    free(abs);
    if (!summary)
        free(sum);
    return rc;
}
