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

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROGRESS_EVERY 16384
#define TAGS_MAX (128u * 1024)

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
    sqlite3_stmt *find[WST_NKINDS], *load, *ins, *upd, *hist;
    uint64_t next_progress;
    char *tags;                 /* TAGS_MAX */
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

static void bind_text(sqlite3_stmt *st, int i, const char *s, sqlite3_destructor_type d)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, d);
    else
        sqlite3_bind_null(st, i);
}

static void bind_vals(sqlite3_stmt *st, int base, const vals *v,
                      sqlite3_destructor_type d)
{
    for (int k = 0; k < WST_NKINDS; k++) {
        if (v->dg[k])
            sqlite3_bind_blob(st, base + k, v->dg[k], (int)wst_kind_len[k], d);
        else
            sqlite3_bind_null(st, base + k);
    }
    if (v->quality >= 0 && v->dg[WST_PDQ])
        sqlite3_bind_int(st, base + 4, v->quality);
    else
        sqlite3_bind_null(st, base + 4);
    sqlite3_bind_int(st, base + 5, (int)v->hex_case);
    bind_text(st, base + 6, v->hex_orig[0] ? v->hex_orig : NULL, SQLITE_TRANSIENT);
    if (v->category_id)
        sqlite3_bind_int64(st, base + 7, v->category_id);
    else
        sqlite3_bind_null(st, base + 7);
    bind_text(st, base + 8, v->series, d);
    if (v->victim >= 0)
        sqlite3_bind_int(st, base + 9, v->victim);
    else
        sqlite3_bind_null(st, base + 9);
    bind_text(st, base + 10, v->first_seen, d);
    bind_text(st, base + 11, v->first_seen_utc, SQLITE_TRANSIENT);
    bind_text(st, base + 12, v->updated, d);
    bind_text(st, base + 13, v->updated_utc, SQLITE_TRANSIENT);
    bind_text(st, base + 14, v->tags, d);
    bind_text(st, base + 15, v->name, d);
    bind_text(st, base + 16, v->media_id, d);
    if (v->size >= 0)
        sqlite3_bind_int64(st, base + 17, v->size);
    else
        sqlite3_bind_null(st, base + 17);
}

/* hex_orig holds mixed-case originals as "md5:Ab..,sha1:..". */
static const char *orig_of(const char *orig, int k, char out[65])
{
    size_t kl = strlen(wst_kind_col[k]);
    while (orig && *orig) {
        const char *end = strchr(orig, ',');
        size_t n = end ? (size_t)(end - orig) : strlen(orig);
        if (n == kl + 1 + 2 * wst_kind_len[k] && !strncmp(orig, wst_kind_col[k], kl) &&
            orig[kl] == ':') {
            memcpy(out, orig + kl + 1, n - kl - 1);
            out[n - kl - 1] = 0;
            return out;
        }
        orig = end ? end + 1 : NULL;
    }
    return NULL;
}

static void orig_add(char *dst, size_t cap, int k, const char *text)
{
    size_t o = strlen(dst);
    snprintf(dst + o, cap - o, "%s%s:%s", o ? "," : "", wst_kind_col[k], text);
}

static const uint8_t *rec_digest(const wx_record *r, int k)
{
    switch (k) {
    case WST_MD5: return (r->dg.present & WARD_DIGEST_MD5) ? r->dg.md5 : NULL;
    case WST_SHA1: return (r->dg.present & WARD_DIGEST_SHA1) ? r->dg.sha1 : NULL;
    case WST_SHA256: return (r->dg.present & WARD_DIGEST_SHA256) ? r->dg.sha256 : NULL;
    default: return r->has_pdq ? r->pdq.b : NULL;
    }
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
        return ward_fail(m->err, WARD_EFORMAT, "%s (strict: import rolled back)", line);
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

static ward_status on_record(void *ctx, const wx_record *r)
{
    imp *m = ctx;
    int sr;
    m->sum->records++;
    progress(m);

    /* Category: the record's own, else the default. */
    int64_t cat_id = m->default_cat;
    if (r->category) {
        const char *c = r->category;
        size_t n = strlen(c);
        while (n && isspace((unsigned char)*c)) {
            c++;
            n--;
        }
        while (n && isspace((unsigned char)c[n - 1]))
            n--;
        if (n) {
            const cat *k = find_cat(m, c, n);
            if (!k) {
                char msg[200];
                snprintf(msg, sizeof msg, "unknown category '%.*s' in scheme '%s'",
                         (int)(n > 60 ? 60 : n), c, m->scheme);
                return report_bad(m, r->where_category ? r->where_category : r->where, msg);
            }
            cat_id = k->id;
        }
    }

    /* The incoming values. */
    vals in;
    memset(&in, 0, sizeof in);
    for (int k = 0; k < WST_NKINDS; k++) {
        in.dg[k] = rec_digest(r, k);
        if (in.dg[k] && (r->hex_mixed & (1u << k)))
            orig_add(in.hex_orig, sizeof in.hex_orig, k, r->mixed[k]);
    }
    in.hex_case = r->hex_upper;
    in.quality = r->has_pdq ? r->quality : -1;
    in.category_id = cat_id;
    in.series = r->series;
    in.victim = r->victim_identified;
    in.name = r->name;
    in.media_id = r->media_id;
    in.size = r->size;
    char fs_utc[40], up_utc[40];
    in.first_seen = r->first_seen;
    in.first_seen_utc = r->first_seen && wx_date_utc(r->first_seen, fs_utc) == 0 ? fs_utc : NULL;
    in.updated = r->updated;
    in.updated_utc = r->updated && wx_date_utc(r->updated, up_utc) == 0 ? up_utc : NULL;
    in.tags = r->tags && wx_tags_normalise(r->tags, m->tags, TAGS_MAX) ? m->tags : NULL;

    /* The entry of this list it matches, if any. */
    int64_t found = 0;
    int removed = 0;
    uint64_t h[WST_NKINDS] = {0};
    int maybe = !m->seen.bits;
    for (int k = 0; k < WST_NKINDS; k++) {
        if (in.dg[k] && m->seen.bits) {
            h[k] = digest_hash(in.dg[k], wst_kind_len[k], k);
            maybe |= bloom_has(&m->seen, h[k]);
        }
    }
    for (int k = 0; k < WST_NKINDS && maybe; k++) {
        if (!in.dg[k])
            continue;
        sqlite3_stmt *st = m->find[k];
        sqlite3_reset(st);
        sqlite3_bind_blob(st, 1, in.dg[k], (int)wst_kind_len[k], SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, m->list_id);
        while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            if (found && id != found) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "matches two entries of this list (%lld and %lld) by different "
                         "digests",
                         (long long)found, (long long)id);
                sqlite3_reset(st);
                return report_bad(m, r->where, msg);
            }
            found = id;
            removed = sqlite3_column_type(st, 1) != SQLITE_NULL;
        }
        sqlite3_reset(st);
        if (sr != SQLITE_DONE)
            return sqlfail(m, sr, "find entry");
    }

    if (!found) {
        sqlite3_stmt *st = m->ins;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, m->list_id);
        bind_vals(st, 2, &in, SQLITE_STATIC);
        sqlite3_bind_int64(st, 20, m->import_id);
        sr = sqlite3_step(st);
        sqlite3_reset(st);
        if (sr != SQLITE_DONE)
            return sqlfail(m, sr, "insert entry");
        if (m->seen.bits)
            for (int k = 0; k < WST_NKINDS; k++)
                if (in.dg[k])
                    bloom_add(&m->seen, h[k]);
        m->sum->added++;
        return WARD_OK;
    }
    if (removed) {
        m->sum->removed++;
        return WARD_OK;
    }

    /* Merge into the existing entry. */
    sqlite3_stmt *ld = m->load;
    sqlite3_reset(ld);
    sqlite3_bind_int64(ld, 1, found);
    if ((sr = sqlite3_step(ld)) != SQLITE_ROW) {
        sqlite3_reset(ld);
        return sqlfail(m, sr == SQLITE_DONE ? SQLITE_INTERNAL : sr, "load entry");
    }
    vals out;
    memset(&out, 0, sizeof out);
    int changed = 0;
    unsigned old_case = (unsigned)sqlite3_column_int(ld, 5);
    const char *old_orig = (const char *)sqlite3_column_text(ld, 6);
    for (int k = 0; k < WST_NKINDS; k++) {
        const uint8_t *old = sqlite3_column_type(ld, k) == SQLITE_BLOB &&
                                     (size_t)sqlite3_column_bytes(ld, k) == wst_kind_len[k]
                                 ? sqlite3_column_blob(ld, k)
                                 : NULL;
        char text[65];
        if (old && in.dg[k] && memcmp(old, in.dg[k], wst_kind_len[k]) != 0) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "%s differs from entry %lld of this list, which shares another digest",
                     wx_kind_label[k], (long long)found);
            sqlite3_reset(ld);
            return report_bad(m, r->where, msg);
        }
        if (old) {
            /* Hex case is not an identifier: the first form seen is kept. */
            out.dg[k] = old;
            out.hex_case |= old_case & (1u << k);
            if (orig_of(old_orig, k, text))
                orig_add(out.hex_orig, sizeof out.hex_orig, k, text);
        } else if (in.dg[k]) {
            out.dg[k] = in.dg[k];
            out.hex_case |= in.hex_case & (1u << k);
            if (r->hex_mixed & (1u << k))
                orig_add(out.hex_orig, sizeof out.hex_orig, k, r->mixed[k]);
            changed = 1;
        }
    }
    int old_quality = sqlite3_column_type(ld, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(ld, 4);
    out.quality = old_quality;
    if (in.quality >= 0 && in.quality != old_quality) {
        out.quality = in.quality;
        changed = 1;
    }
    int64_t old_cat = sqlite3_column_int64(ld, 7);
    out.category_id = old_cat;
    if (in.category_id && in.category_id != old_cat) {
        out.category_id = in.category_id;
        changed = 1;
    }
#define MERGE_TEXT(field, col)                                                   \
    do {                                                                         \
        const char *o_ = (const char *)sqlite3_column_text(ld, col);             \
        out.field = o_;                                                          \
        if (in.field && differs(in.field, o_)) {                                 \
            out.field = in.field;                                                \
            changed = 1;                                                         \
        }                                                                        \
    } while (0)
    MERGE_TEXT(series, 8);
    MERGE_TEXT(tags, 14);
    MERGE_TEXT(name, 15);
    MERGE_TEXT(media_id, 16);
    out.first_seen = (const char *)sqlite3_column_text(ld, 10);
    out.first_seen_utc = (const char *)sqlite3_column_text(ld, 11);
    if (in.first_seen && differs(in.first_seen, out.first_seen)) {
        out.first_seen = in.first_seen;
        out.first_seen_utc = in.first_seen_utc;
        changed = 1;
    }
    out.updated = (const char *)sqlite3_column_text(ld, 12);
    out.updated_utc = (const char *)sqlite3_column_text(ld, 13);
    if (in.updated && differs(in.updated, out.updated)) {
        out.updated = in.updated;
        out.updated_utc = in.updated_utc;
        changed = 1;
    }
#undef MERGE_TEXT
    out.victim = sqlite3_column_type(ld, 9) == SQLITE_NULL ? -1 : sqlite3_column_int(ld, 9);
    if (in.victim >= 0 && in.victim != out.victim) {
        out.victim = in.victim;
        changed = 1;
    }
    out.size = sqlite3_column_type(ld, 17) == SQLITE_NULL ? -1 : sqlite3_column_int64(ld, 17);
    if (in.size >= 0 && in.size != out.size) {
        out.size = in.size;
        changed = 1;
    }
    if (!changed) {
        sqlite3_reset(ld);
        m->sum->duplicate++;
        return WARD_OK;
    }
    /* TRANSIENT: some values point into the row being rewritten. */
    sqlite3_stmt *up = m->upd;
    sqlite3_reset(up);
    bind_vals(up, 1, &out, SQLITE_TRANSIENT);
    sqlite3_bind_int64(up, 19, m->import_id);
    sqlite3_bind_int64(up, 20, found);
    sqlite3_reset(ld);
    sr = sqlite3_step(up);
    sqlite3_reset(up);
    if (sr != SQLITE_DONE)
        return sqlfail(m, sr, "update entry");
    if (m->seen.bits)
        for (int k = 0; k < WST_NKINDS; k++)
            if (in.dg[k])
                bloom_add(&m->seen, digest_hash(in.dg[k], wst_kind_len[k], k));
    if (out.category_id != old_cat) {
        char now[32];
        wst_now(now);
        sqlite3_stmt *hs = m->hist;
        sqlite3_reset(hs);
        sqlite3_bind_text(hs, 1, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(hs, 2, found);
        sqlite3_bind_int64(hs, 3, m->import_id);
        if (old_cat)
            sqlite3_bind_int64(hs, 4, old_cat);
        else
            sqlite3_bind_null(hs, 4);
        sqlite3_bind_int64(hs, 5, out.category_id);
        sr = sqlite3_step(hs);
        sqlite3_reset(hs);
        if (sr != SQLITE_DONE)
            return sqlfail(m, sr, "log category change");
    }
    m->sum->updated++;
    return WARD_OK;
}

/* ---- the import ------------------------------------------------------- */

static ward_status step_done(ward_store *s, sqlite3_stmt *st, ward_error *err,
                             const char *what)
{
    int r = sqlite3_step(st);
    ward_status rc = r == SQLITE_DONE || r == SQLITE_ROW ? WARD_OK : wst_sqlfail(s, err, r, what);
    sqlite3_finalize(st);
    return rc;
}

/* Find or create the list; load its scheme's categories. */
static ward_status setup_list(imp *m, const char *list, ward_hashset_format fmt)
{
    ward_store *s = m->s;
    sqlite3_stmt *st;
    ward_status rc = wst_prepare(
        s,
        "SELECT l.id, s.id, s.name FROM lists l JOIN schemes s ON s.id = l.scheme_id "
        "WHERE l.name = ?1",
        &st, m->err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    int64_t scheme_id = 0;
    if (r == SQLITE_ROW) {
        m->list_id = sqlite3_column_int64(st, 0);
        scheme_id = sqlite3_column_int64(st, 1);
        snprintf(m->scheme, sizeof m->scheme, "%s", sqlite3_column_text(st, 2));
        sqlite3_finalize(st);
        if (m->opts->scheme && strcasecmp(m->opts->scheme, m->scheme) != 0)
            return ward_fail(m->err, WARD_EINVAL,
                             "list '%s' uses category scheme '%s', not '%s'", list,
                             m->scheme, m->opts->scheme);
    } else {
        sqlite3_finalize(st);
        if (r != SQLITE_DONE)
            return wst_sqlfail(s, m->err, r, "find list");
        const char *scheme = m->opts->scheme ? m->opts->scheme
                             : fmt == WARD_FMT_NSRL ? WARD_SCHEME_KNOWN_GOOD
                                                    : WARD_SCHEME_PROJECTVIC;
        ward_list_kind kind = fmt == WARD_FMT_NSRL ? WARD_LIST_KNOWN_GOOD : m->opts->kind;
        if ((rc = wst_prepare(s, "SELECT id, name FROM schemes WHERE name = ?1", &st, m->err)))
            return rc;
        sqlite3_bind_text(st, 1, scheme, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            scheme_id = sqlite3_column_int64(st, 0);
            snprintf(m->scheme, sizeof m->scheme, "%s", sqlite3_column_text(st, 1));
        }
        sqlite3_finalize(st);
        if (r == SQLITE_DONE)
            return ward_fail(m->err, WARD_ENOTFOUND, "no category scheme '%s'", scheme);
        if (r != SQLITE_ROW)
            return wst_sqlfail(s, m->err, r, "find scheme");
        size_t nl = strlen(list);
        if (nl == 0 || nl > 200)
            return ward_fail(m->err, WARD_EINVAL, "bad list name (1-200 characters)");
        for (size_t i = 0; i < nl; i++)
            if ((unsigned char)list[i] < 0x20 || list[i] == 0x7f)
                return ward_fail(m->err, WARD_EINVAL, "bad list name (control character)");
        char now[32];
        wst_now(now);
        if ((rc = wst_prepare(s,
                              "INSERT INTO lists(name, description, scheme_id, kind, created) "
                              "VALUES(?1, ?2, ?3, ?4, ?5)",
                              &st, m->err)))
            return rc;
        sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, m->opts->description ? m->opts->description : "", -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, scheme_id);
        sqlite3_bind_text(st, 4, kind == WARD_LIST_KNOWN_GOOD ? "known-good" : "alert", -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
        if ((rc = step_done(s, st, m->err, "create list")))
            return rc;
        m->list_id = sqlite3_last_insert_rowid(s->db);
    }
    if ((rc = wst_prepare(s, "SELECT id, code, label FROM categories WHERE scheme_id = ?1",
                          &st, m->err)))
        return rc;
    sqlite3_bind_int64(st, 1, scheme_id);
    size_t cap = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (m->ncats == cap) {
            cap = cap ? 2 * cap : 16;
            cat *v = realloc(m->cats, cap * sizeof *v);
            if (!v) {
                sqlite3_finalize(st);
                return ward_fail(m->err, WARD_ENOMEM, "out of memory");
            }
            m->cats = v;
        }
        cat *c = &m->cats[m->ncats];
        c->id = sqlite3_column_int64(st, 0);
        c->code = strdup((const char *)sqlite3_column_text(st, 1));
        c->label = strdup((const char *)sqlite3_column_text(st, 2));
        if (!c->code || !c->label) {
            free(c->code);
            free(c->label);
            sqlite3_finalize(st);
            return ward_fail(m->err, WARD_ENOMEM, "out of memory");
        }
        m->ncats++;
    }
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return wst_sqlfail(s, m->err, r, "load categories");
    const char *def = m->opts->default_category;
    if (!def && fmt == WARD_FMT_NSRL)
        def = "known-good";
    if (def) {
        const cat *c = find_cat(m, def, strlen(def));
        if (!c)
            return ward_fail(m->err, WARD_EINVAL,
                             "default category '%s' is not in scheme '%s' of list '%s'",
                             def, m->scheme, list);
        m->default_cat = c->id;
    }
    return WARD_OK;
}

/* Use the filter if the list has no entry at all (live or removed). */
static ward_status setup_bloom(imp *m, uint64_t file_size)
{
    sqlite3_stmt *st;
    ward_status rc = wst_prepare(m->s, "SELECT 1 FROM entries WHERE list_id = ?1 LIMIT 1",
                                 &st, m->err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, m->list_id);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
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

static ward_status prepare_all(imp *m)
{
    ward_status rc;
    for (int k = 0; k < WST_NKINDS; k++) {
        char sql[256];
        /* INDEXED BY: the digest index, never a scan of the list. */
        snprintf(sql, sizeof sql,
                 "SELECT id, removed_id FROM entries INDEXED BY entries_%s "
                 "WHERE %s = ?1 AND list_id = ?2",
                 wst_kind_col[k], wst_kind_col[k]);
        if ((rc = wst_prepare(m->s, sql, &m->find[k], m->err)))
            return rc;
    }
    if ((rc = wst_prepare(m->s, "SELECT " VALS_COLS " FROM entries WHERE id = ?1", &m->load,
                          m->err)) ||
        (rc = wst_prepare(m->s,
                          "INSERT INTO entries(list_id, " VALS_COLS ", import_id) VALUES("
                          "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                          " ?16, ?17, ?18, ?19, ?20)",
                          &m->ins, m->err)) ||
        (rc = wst_prepare(m->s,
                          "UPDATE entries SET md5 = ?1, sha1 = ?2, sha256 = ?3, pdq = ?4,"
                          " pdq_quality = ?5, hex_case = ?6, hex_orig = ?7, category_id = ?8,"
                          " series = ?9, victim_identified = ?10, first_seen = ?11,"
                          " first_seen_utc = ?12, updated = ?13, updated_utc = ?14,"
                          " tags = ?15, name = ?16, media_id = ?17, size = ?18,"
                          " updated_import_id = ?19 WHERE id = ?20",
                          &m->upd, m->err)) ||
        (rc = wst_prepare(m->s,
                          "INSERT INTO history(at, action, entry_id, import_id,"
                          " old_category_id, new_category_id)"
                          " VALUES(?1, 'recategorise', ?2, ?3, ?4, ?5)",
                          &m->hist, m->err)))
        return rc;
    return WARD_OK;
}

static void finalize_all(imp *m)
{
    for (int k = 0; k < WST_NKINDS; k++) {
        sqlite3_finalize(m->find[k]);
        m->find[k] = NULL;
    }
    sqlite3_finalize(m->load);
    sqlite3_finalize(m->ins);
    sqlite3_finalize(m->upd);
    sqlite3_finalize(m->hist);
    m->load = m->ins = m->upd = m->hist = NULL;
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

/* Record an import that did not commit, in its own small transaction. */
static void log_failed(ward_store *s, const char *list, const char *path,
                       const char *format, const char *started, const char *status,
                       const char *message, const ward_import_summary *sum)
{
    ward_error e2;
    if (wst_begin(s, 1, &e2))
        return;
    sqlite3_stmt *st;
    char now[32];
    wst_now(now);
    if (wst_prepare(s,
                    "INSERT INTO imports(list_id, list_name, path, file_sha256, format,"
                    " started, finished, records, added, updated, duplicate, removed, bad,"
                    " status, message) VALUES((SELECT id FROM lists WHERE name = ?1), ?1,"
                    " ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, 0, 0, ?8, ?9, ?10)",
                    &st, &e2)) {
        wst_rollback(s);
        return;
    }
    sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    if (sum->file_sha256[0])
        sqlite3_bind_text(st, 3, sum->file_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, format, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, started, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)sum->records);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)sum->bad);
    sqlite3_bind_text(st, 9, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, message, -1, SQLITE_STATIC);
    if (step_done(s, st, &e2, "log import") || wst_commit(s, &e2))
        wst_rollback(s);
}

static void set_cache(ward_store *s, int kib)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", kib);
    sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

ward_status ward_store_import(ward_store *s, const char *path,
                              ward_hashset_format format, const char *list,
                              const ward_import_opts *opts,
                              ward_import_summary *summary, ward_error *err)
{
    ward_error_clear(err);
    ward_import_opts defaults;
    if (!opts) {
        ward_import_opts_default(&defaults);
        opts = &defaults;
    }
    ward_import_summary *sum = summary ? summary : calloc(1, sizeof *sum);
    if (!sum)
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    memset(sum, 0, sizeof *sum);
    ward_status rc = WARD_OK;
    wx_in in;
    int in_open = 0, tx = 0, cache_set = 0;
    char *abs = NULL;
    char started[32], version[128] = "";
    uint64_t file_size = 0;
    imp m;
    memset(&m, 0, sizeof m);

    if (!s || !path || !*path || !list || !*list) {
        rc = ward_fail(err, WARD_EINVAL, "ward_store_import: store, path and list are required");
        goto done;
    }
    if (s->readonly) {
        rc = ward_fail(err, WARD_EINVAL, "%s: store is open read-only", s->path);
        goto done;
    }
    if (format != WARD_FMT_NSRL) {
        if ((rc = wx_in_open(&in, path, err)))
            goto done;
        in_open = 1;
        if (format == WARD_FMT_AUTO) {
            if ((rc = wx_in_fill(&in, 65536)))
                goto done;
            format = wx_detect(in.buf + in.pos, in.len - in.pos);
            if (format == WARD_FMT_AUTO) {
                rc = ward_fail(err, WARD_EFORMAT,
                               "%s: cannot tell the hash-set format; name it (vics, "
                               "hashdeep, sums, csv, pdq, nsrl)",
                               path);
                goto done;
            }
            if (format == WARD_FMT_NSRL) {
                wx_in_close(&in);
                in_open = 0;
            }
        }
    }
    snprintf(sum->format, sizeof sum->format, "%s", ward_hashset_format_name(format));
    if (format == WARD_FMT_NSRL &&
        (rc = hash_file(path, sum->file_sha256, &file_size, err)))
        goto done;
    abs = realpath(path, NULL);
    wst_now(started);

    m.s = s;
    m.err = err;
    m.opts = opts;
    m.sum = sum;
    m.path = path;
    m.in = in_open ? &in : NULL;
    m.next_progress = PROGRESS_EVERY;
    if (!(m.tags = malloc(TAGS_MAX))) {
        rc = ward_fail(err, WARD_ENOMEM, "out of memory");
        goto done;
    }
    set_cache(s, s->import_cache_kib);
    /* The import only writes list, category and import ids it has just
     * looked up or created in this transaction: skip SQLite's per-row
     * foreign-key probes (the pragma cannot change inside a transaction). */
    sqlite3_exec(s->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
    cache_set = 1;
    if ((rc = wst_begin(s, 1, err)))
        goto done;
    tx = 1;
    if ((rc = setup_list(&m, list, format)))
        goto done;
    if ((rc = setup_bloom(&m, file_size ? file_size : (in_open ? (uint64_t)in.st_size : 0))))
        goto done;
    sqlite3_stmt *st;
    if ((rc = wst_prepare(s,
                          "INSERT INTO imports(list_id, list_name, path, format, started,"
                          " status) VALUES(?1, ?2, ?3, ?4, ?5, 'running')",
                          &st, err)))
        goto done;
    sqlite3_bind_int64(st, 1, m.list_id);
    sqlite3_bind_text(st, 2, list, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, abs ? abs : path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sum->format, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, started, -1, SQLITE_STATIC);
    if ((rc = step_done(s, st, err, "log import")))
        goto done;
    m.import_id = sqlite3_last_insert_rowid(s->db);
    if ((rc = prepare_all(&m)))
        goto done;

    wx_sink sink = {.ctx = &m, .record = on_record, .bad = on_bad, .duplicate = on_duplicate};
    char vics_version[16];
    switch (format) {
    case WARD_FMT_VICS:
        rc = wx_read_vics(&in, &sink, vics_version, err);
        snprintf(sum->format, sizeof sum->format, "%s", vics_version);
        break;
    case WARD_FMT_HASHDEEP: rc = wx_read_hashdeep(&in, &sink, err); break;
    case WARD_FMT_SUMS: rc = wx_read_sums(&in, &sink, -1, err); break;
    case WARD_FMT_MD5SUM: rc = wx_read_sums(&in, &sink, WX_MD5, err); break;
    case WARD_FMT_SHA1SUM: rc = wx_read_sums(&in, &sink, WX_SHA1, err); break;
    case WARD_FMT_SHA256SUM: rc = wx_read_sums(&in, &sink, WX_SHA256, err); break;
    case WARD_FMT_CSV: rc = wx_read_csv(&in, &sink, err); break;
    case WARD_FMT_PDQ: rc = wx_read_pdq(&in, &sink, err); break;
    case WARD_FMT_NSRL: rc = wx_read_nsrl(path, &sink, version, err); break;
    default: rc = ward_fail(err, WARD_EINVAL, "bad format %d", (int)format);
    }
    finalize_all(&m);
    if (rc)
        goto done;
    if (in_open) {
        if ((rc = wx_in_finish(&in, sum->file_sha256)))
            goto done;
        file_size = in.consumed + in.len;
    }
    char now[32];
    wst_now(now);
    if ((rc = wst_prepare(s,
                          "UPDATE imports SET finished = ?1, records = ?2, added = ?3,"
                          " updated = ?4, duplicate = ?5, removed = ?6, bad = ?7,"
                          " status = 'ok', file_sha256 = ?8, file_size = ?9, format = ?10,"
                          " source_version = ?11 WHERE id = ?12",
                          &st, err)))
        goto done;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)sum->records);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)sum->added);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)sum->updated);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)sum->duplicate);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)sum->removed);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)sum->bad);
    sqlite3_bind_text(st, 8, sum->file_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)file_size);
    sqlite3_bind_text(st, 10, sum->format, -1, SQLITE_STATIC);
    if (version[0])
        sqlite3_bind_text(st, 11, version, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 11);
    sqlite3_bind_int64(st, 12, m.import_id);
    if ((rc = step_done(s, st, err, "log import")))
        goto done;
    tx = 0;
    if ((rc = wst_commit(s, err)))
        goto done;
    sum->import_id = (uint64_t)m.import_id;
    ward_store_revision(s, &sum->revision, NULL);

done:
    finalize_all(&m);
    if (tx)
        wst_rollback(s);
    if (cache_set) {
        set_cache(s, WST_CACHE_KIB);
        sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    }
    if (rc && s && path && list && !s->readonly && tx) {
        /* Keep a trace of the attempt: the rollback took the running row. */
        sum->added = sum->updated = sum->duplicate = sum->removed = 0;
        log_failed(s, list, abs ? abs : path, sum->format, started,
                   opts->strict && rc == WARD_EFORMAT && sum->bad ? "aborted" : "failed",
                   err ? err->message : ward_status_str(rc), sum);
    }
    if (rc)
        sum->import_id = 0;
    if (in_open)
        wx_in_close(&in);
    for (size_t i = 0; i < m.ncats; i++) {
        free(m.cats[i].code);
        free(m.cats[i].label);
    }
    free(m.cats);
    free(m.tags);
    free(m.seen.bits);
    free(abs);
    if (!summary)
        free(sum);
    return rc;
}
