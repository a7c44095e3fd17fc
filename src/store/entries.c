/*
 * Reading entries: lookup, get, conflicts, removals, iteration, stats.
 */
#include "store/store_int.h"
#include "util/error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const wst_kind_col[WST_NKINDS] = {"md5", "sha1", "sha256", "pdq"};
const size_t wst_kind_len[WST_NKINDS] = {16, 20, 32, 32};

const char WST_ENTRY_SELECT[] =
    "SELECT e.id, l.name, l.kind, e.md5, e.sha1, e.sha256, e.pdq, e.pdq_quality,"
    " e.hex_case, e.hex_orig, s.name, c.code, c.label, c.class, e.series,"
    " e.victim_identified, e.first_seen, e.first_seen_utc, e.updated, e.updated_utc,"
    " e.tags, e.name, e.media_id, e.size, e.import_id, i.path, i.format, i.finished,"
    " e.updated_import_id, e.removed_id, h.who, h.at, h.reason "
    "FROM entries e JOIN lists l ON l.id = +e.list_id"
    " JOIN schemes s ON s.id = l.scheme_id"
    " LEFT JOIN categories c ON c.id = e.category_id"
    " JOIN imports i ON i.id = e.import_id"
    " LEFT JOIN history h ON h.id = e.removed_id ";

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void blob_to(sqlite3_stmt *st, int i, uint8_t *dst, size_t n, int *present)
{
    if (sqlite3_column_type(st, i) == SQLITE_BLOB &&
        (size_t)sqlite3_column_bytes(st, i) == n) {
        memcpy(dst, sqlite3_column_blob(st, i), n);
        *present = 1;
    } else {
        *present = 0;
    }
}

void wst_entry_from_row(sqlite3_stmt *st, wst_entry_buf *b)
{
    ward_entry *e = &b->e;
    memset(b, 0, sizeof *b);
    e->id = (uint64_t)sqlite3_column_int64(st, 0);
    e->list = col_text(st, 1);
    const char *kind = col_text(st, 2);
    e->list_kind = kind && strcmp(kind, "known-good") == 0 ? WARD_LIST_KNOWN_GOOD
                                                           : WARD_LIST_ALERT;
    int p;
    blob_to(st, 3, e->digests.md5, 16, &p);
    if (p) e->digests.present |= WARD_DIGEST_MD5;
    blob_to(st, 4, e->digests.sha1, 20, &p);
    if (p) e->digests.present |= WARD_DIGEST_SHA1;
    blob_to(st, 5, e->digests.sha256, 32, &p);
    if (p) e->digests.present |= WARD_DIGEST_SHA256;
    blob_to(st, 6, e->pdq.b, 32, &e->has_pdq);
    e->pdq_quality = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1
                                                                : sqlite3_column_int(st, 7);
    /* Original hex text: all upper-case forms are flagged in hex_case;
     * mixed-case forms are kept whole in hex_orig as "kind:text,...". */
    unsigned upper = (unsigned)sqlite3_column_int(st, 8);
    const uint8_t *bytes[4] = {e->digests.md5, e->digests.sha1, e->digests.sha256,
                               e->pdq.b};
    int have[4] = {!!(e->digests.present & WARD_DIGEST_MD5),
                   !!(e->digests.present & WARD_DIGEST_SHA1),
                   !!(e->digests.present & WARD_DIGEST_SHA256), e->has_pdq};
    for (int k = 0; k < 4; k++) {
        if ((upper & (1u << k)) && have[k]) {
            ward_hex(bytes[k], wst_kind_len[k], b->hex[k]);
            for (char *c = b->hex[k]; *c; c++)
                *c = (char)toupper((unsigned char)*c);
            e->hex_text[k] = b->hex[k];
        }
    }
    const char *orig = col_text(st, 9);
    while (orig && *orig) {
        const char *colon = strchr(orig, ':');
        if (!colon)
            break;
        size_t kn = (size_t)(colon - orig);
        const char *end = strchr(colon + 1, ',');
        size_t tn = end ? (size_t)(end - colon - 1) : strlen(colon + 1);
        for (int k = 0; k < 4; k++) {
            if (strlen(wst_kind_col[k]) == kn && !strncmp(orig, wst_kind_col[k], kn) &&
                tn == 2 * wst_kind_len[k]) {
                memcpy(b->hex[k], colon + 1, tn);
                b->hex[k][tn] = 0;
                e->hex_text[k] = b->hex[k];
            }
        }
        orig = end ? end + 1 : NULL;
    }
    e->scheme = col_text(st, 10);
    e->category = col_text(st, 11);
    e->category_label = col_text(st, 12);
    e->category_class = col_text(st, 13);
    e->series = col_text(st, 14);
    e->victim_identified = sqlite3_column_type(st, 15) == SQLITE_NULL
                               ? -1
                               : sqlite3_column_int(st, 15);
    e->first_seen = col_text(st, 16);
    e->first_seen_utc = col_text(st, 17);
    e->updated = col_text(st, 18);
    e->updated_utc = col_text(st, 19);
    e->tags = col_text(st, 20);
    e->name = col_text(st, 21);
    e->media_id = col_text(st, 22);
    e->size = sqlite3_column_type(st, 23) == SQLITE_NULL ? -1
                                                          : sqlite3_column_int64(st, 23);
    e->import_id = (uint64_t)sqlite3_column_int64(st, 24);
    e->import_path = col_text(st, 25);
    e->import_format = col_text(st, 26);
    e->import_finished = col_text(st, 27);
    e->updated_import_id = (uint64_t)sqlite3_column_int64(st, 28);
    e->removed = sqlite3_column_type(st, 29) != SQLITE_NULL;
    e->removed_by = col_text(st, 30);
    e->removed_at = col_text(st, 31);
    e->removed_reason = col_text(st, 32);
}

/* ---- entry sets ------------------------------------------------------- */

typedef struct arena {
    struct arena *next;
    size_t used, cap;
    char data[];
} arena;

static char *arena_dup(arena **a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    if (!*a || (*a)->cap - (*a)->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        arena *b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = *a;
        b->used = 0;
        b->cap = cap;
        *a = b;
    }
    char *d = (*a)->data + (*a)->used;
    memcpy(d, s, n);
    (*a)->used += n;
    return d;
}

static void arena_free(arena *a)
{
    while (a) {
        arena *n = a->next;
        free(a);
        a = n;
    }
}

void ward_entries_free(ward_entries *e)
{
    if (!e)
        return;
    arena_free(e->priv_);
    free(e->v);
    free(e);
}

/* Append a deep copy of *src. Returns 0 or -1 (out of memory). */
static int entries_add(ward_entries *set, size_t *cap, const ward_entry *src)
{
    if (set->count == *cap) {
        size_t nc = *cap ? 2 * *cap : 8;
        ward_entry *v = realloc(set->v, nc * sizeof *v);
        if (!v)
            return -1;
        set->v = v;
        *cap = nc;
    }
    ward_entry *e = &set->v[set->count];
    *e = *src;
    arena **a = (arena **)&set->priv_;
    const char **fields[] = {
        &e->list,          &e->hex_text[0],    &e->hex_text[1],  &e->hex_text[2],
        &e->hex_text[3],   &e->scheme,         &e->category,     &e->category_label,
        &e->category_class, &e->series,        &e->first_seen,   &e->updated,
        &e->first_seen_utc, &e->updated_utc,   &e->tags,         &e->name,
        &e->media_id,      &e->import_path,    &e->import_format, &e->import_finished,
        &e->removed_by,    &e->removed_at,     &e->removed_reason};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (*fields[i] && !(*fields[i] = arena_dup(a, *fields[i])))
            return -1;
    }
    set->count++;
    return 0;
}

ward_status wst_parse_query(const char *query, unsigned *kinds, uint8_t bytes[32],
                            size_t *n, ward_error *err)
{
    if (!query)
        return ward_fail(err, WARD_EINVAL, "no digest given");
    while (isspace((unsigned char)*query))
        query++;
    size_t len = strlen(query);
    while (len && isspace((unsigned char)query[len - 1]))
        len--;
    unsigned want = (1u << WST_NKINDS) - 1;
    static const struct { const char *p; int kind; } prefixes[] = {
        {"md5:", WST_MD5},       {"sha1:", WST_SHA1},     {"sha-1:", WST_SHA1},
        {"sha256:", WST_SHA256}, {"sha-256:", WST_SHA256}, {"pdq:", WST_PDQ}};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t pl = strlen(prefixes[i].p);
        if (len > pl && strncasecmp(query, prefixes[i].p, pl) == 0) {
            want = 1u << prefixes[i].kind;
            query += pl;
            len -= pl;
            break;
        }
    }
    unsigned k = 0;
    for (int i = 0; i < WST_NKINDS; i++)
        if ((want & (1u << i)) && len == 2 * wst_kind_len[i])
            k |= 1u << i;
    if (!k || ward_unhex(query, len, bytes, len / 2) != WARD_OK)
        return ward_fail(err, WARD_EINVAL,
                         "'%.80s' is not a digest: expected [md5:|sha1:|sha256:|pdq:] "
                         "and 32, 40 or 64 hex digits",
                         query);
    *kinds = k;
    *n = len / 2;
    return WARD_OK;
}

/* Categories of two entries disagree (see ward_store_conflicts). */
static int disagree(const ward_entry *a, const ward_entry *b)
{
    if (a->removed || b->removed || !a->category || !b->category)
        return 0;
    if (strcmp(a->list, b->list) == 0)
        return 0;
    if (strcasecmp(a->scheme, b->scheme) == 0)
        return strcasecmp(a->category, b->category) != 0;
    return strcmp(a->category_class, b->category_class) != 0;
}

static ward_status collect(ward_store *s, sqlite3_stmt *st, ward_entries *set,
                           size_t *cap, ward_error *err)
{
    int r;
    wst_entry_buf b;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        wst_entry_from_row(st, &b);
        int seen = 0;
        for (size_t i = 0; i < set->count && !seen; i++)
            seen = set->v[i].id == b.e.id;
        if (!seen && entries_add(set, cap, &b.e))
            return ward_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (r != SQLITE_DONE)
        return wst_sqlfail(s, err, r, "read entries");
    return WARD_OK;
}

ward_status ward_store_lookup(ward_store *s, const char *query, unsigned flags,
                              ward_entries **out, ward_error *err)
{
    if (!s || !out)
        return ward_fail(err, WARD_EINVAL, "ward_store_lookup: bad argument");
    *out = NULL;
    unsigned kinds;
    uint8_t bytes[32];
    size_t n;
    ward_status rc = wst_parse_query(query, &kinds, bytes, &n, err);
    if (rc)
        return rc;
    ward_entries *set = calloc(1, sizeof *set);
    if (!set)
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    size_t cap = 0;
    int with_removed = (flags & WARD_LOOKUP_REMOVED) != 0;
    for (int k = 0; k < WST_NKINDS && rc == WARD_OK; k++) {
        if (!(kinds & (1u << k)))
            continue;
        sqlite3_stmt **st = &s->lookup[k][with_removed];
        if (!*st) {
            char sql[2048];
            snprintf(sql, sizeof sql, "%sWHERE e.%s = ?1%s ORDER BY e.id", WST_ENTRY_SELECT,
                     wst_kind_col[k], with_removed ? "" : " AND e.removed_id IS NULL");
            if ((rc = wst_prepare(s, sql, st, err)))
                break;
        }
        sqlite3_bind_blob(*st, 1, bytes, (int)n, SQLITE_STATIC);
        rc = collect(s, *st, set, &cap, err);
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
    }
    if (rc) {
        ward_entries_free(set);
        return rc;
    }
    for (size_t i = 0; i < set->count; i++)
        for (size_t j = i + 1; j < set->count; j++)
            if (disagree(&set->v[i], &set->v[j]))
                set->v[i].conflict = set->v[j].conflict = 1;
    *out = set;
    return WARD_OK;
}

ward_status ward_store_get(ward_store *s, uint64_t id, ward_entries **out,
                           ward_error *err)
{
    if (!s || !out)
        return ward_fail(err, WARD_EINVAL, "ward_store_get: bad argument");
    *out = NULL;
    char sql[2048];
    snprintf(sql, sizeof sql, "%sWHERE e.id = ?1", WST_ENTRY_SELECT);
    sqlite3_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    ward_entries *set = calloc(1, sizeof *set);
    size_t cap = 0;
    if (!set)
        rc = ward_fail(err, WARD_ENOMEM, "out of memory");
    else
        rc = collect(s, st, set, &cap, err);
    sqlite3_finalize(st);
    if (rc == WARD_OK && set->count == 0)
        rc = ward_fail(err, WARD_ENOTFOUND, "no entry %llu", (unsigned long long)id);
    if (rc) {
        ward_entries_free(set);
        return rc;
    }
    *out = set;
    return WARD_OK;
}

ward_status wst_each_entry(ward_store *s, const char *list, const char *category,
                           ward_entry_cb cb, void *ctx, ward_error *err)
{
    sqlite3_stmt *st;
    ward_status rc;
    if (list) {
        if ((rc = wst_prepare(s, "SELECT 1 FROM lists WHERE name = ?1", &st, err)))
            return rc;
        sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        if (r != SQLITE_ROW)
            return r == SQLITE_DONE ? ward_fail(err, WARD_ENOTFOUND, "no list '%s'", list)
                                    : wst_sqlfail(s, err, r, "find list");
    }
    int uncat = category && (!strcasecmp(category, "uncategorised") ||
                             !strcasecmp(category, "uncategorized"));
    if (category && !uncat) {
        if ((rc = wst_prepare(s, "SELECT 1 FROM categories WHERE code = ?1", &st, err)))
            return rc;
        sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        if (r != SQLITE_ROW)
            return r == SQLITE_DONE
                       ? ward_fail(err, WARD_ENOTFOUND, "no category '%s' in any scheme",
                                   category)
                       : wst_sqlfail(s, err, r, "find category");
    }
    char sql[2048];
    snprintf(sql, sizeof sql,
             "%sWHERE e.removed_id IS NULL AND (?1 IS NULL OR l.name = ?1)%s "
             "ORDER BY e.id",
             WST_ENTRY_SELECT,
             uncat ? " AND e.category_id IS NULL"
                   : " AND (?2 IS NULL OR c.code = ?2)");
    if ((rc = wst_prepare(s, sql, &st, err)))
        return rc;
    if (list)
        sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
    if (category && !uncat)
        sqlite3_bind_text(st, 2, category, -1, SQLITE_STATIC);
    wst_entry_buf *b = malloc(sizeof *b);
    if (!b) {
        sqlite3_finalize(st);
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    }
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        wst_entry_from_row(st, b);
        if (cb(ctx, &b->e))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "read entries");
    free(b);
    sqlite3_finalize(st);
    return rc;
}

ward_status ward_store_conflicts(ward_store *s, ward_conflict_cb cb, void *ctx,
                                 ward_error *err)
{
    if (!s || !cb)
        return ward_fail(err, WARD_EINVAL, "ward_store_conflicts: bad argument");
    char pairs[4096];
    size_t off = 0;
    for (int k = 0; k < WST_NKINDS; k++) {
        const char *c = wst_kind_col[k];
        off += (size_t)snprintf(
            pairs + off, sizeof pairs - off,
            "%sSELECT x.id AS a, y.id AS b FROM entries x JOIN entries y"
            " ON y.%s = x.%s AND y.id > x.id"
            " WHERE x.%s IS NOT NULL AND x.removed_id IS NULL AND y.removed_id IS NULL"
            " AND x.list_id <> y.list_id AND x.category_id <> y.category_id",
            k ? " UNION " : "", c, c, c);
    }
    char sql[6144];
    snprintf(sql, sizeof sql,
             "WITH pairs(a, b) AS (%s) "
             "SELECT p.a, p.b FROM pairs p"
             " JOIN entries x ON x.id = p.a JOIN entries y ON y.id = p.b"
             " JOIN categories cx ON cx.id = x.category_id"
             " JOIN categories cy ON cy.id = y.category_id"
             " WHERE cx.scheme_id = cy.scheme_id OR cx.class <> cy.class"
             " ORDER BY p.a, p.b",
             pairs);
    sqlite3_stmt *st = NULL, *ga = NULL, *gb = NULL;
    char one[2048];
    snprintf(one, sizeof one, "%sWHERE e.id = ?1", WST_ENTRY_SELECT);
    ward_status rc;
    if ((rc = wst_begin(s, 0, err)))
        return rc;
    if ((rc = wst_prepare(s, sql, &st, err)) || (rc = wst_prepare(s, one, &ga, err)) ||
        (rc = wst_prepare(s, one, &gb, err)))
        goto out;
    wst_entry_buf *ba = malloc(2 * sizeof *ba);
    if (!ba) {
        rc = ward_fail(err, WARD_ENOMEM, "out of memory");
        goto out;
    }
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_reset(ga);
        sqlite3_reset(gb);
        sqlite3_bind_int64(ga, 1, sqlite3_column_int64(st, 0));
        sqlite3_bind_int64(gb, 1, sqlite3_column_int64(st, 1));
        if (sqlite3_step(ga) != SQLITE_ROW || sqlite3_step(gb) != SQLITE_ROW)
            continue;
        wst_entry_from_row(ga, &ba[0]);
        wst_entry_from_row(gb, &ba[1]);
        ba[0].e.conflict = ba[1].e.conflict = 1;
        if (cb(ctx, &ba[0].e, &ba[1].e)) {
            r = SQLITE_DONE;
            break;
        }
    }
    if (r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "find conflicts");
    free(ba);
out:
    sqlite3_finalize(st);
    sqlite3_finalize(ga);
    sqlite3_finalize(gb);
    wst_rollback(s);
    return rc;
}

/* ---- removal --------------------------------------------------------- */

static ward_status remove_where(ward_store *s, const char *where_sql,
                                void (*bind)(sqlite3_stmt *, const void *),
                                const void *bind_ctx, const char *what,
                                const char *who, const char *reason,
                                uint64_t *removed, ward_error *err)
{
    if (!who || !*who)
        return ward_fail(err, WARD_EINVAL, "a removal must say who removes");
    if (!reason || !*reason)
        return ward_fail(err, WARD_EINVAL, "a removal needs a reason");
    ward_status rc = wst_begin(s, 1, err);
    if (rc)
        return rc;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT e.id FROM entries e WHERE e.removed_id IS NULL AND (%s) "
             "ORDER BY e.id",
             where_sql);
    sqlite3_stmt *sel = NULL, *hist = NULL, *upd = NULL;
    char now[32];
    wst_now(now);
    uint64_t count = 0;
    if ((rc = wst_prepare(s, sql, &sel, err)) ||
        (rc = wst_prepare(s,
                          "INSERT INTO history(at, action, entry_id, who, reason) "
                          "VALUES(?1, 'remove', ?2, ?3, ?4)",
                          &hist, err)) ||
        (rc = wst_prepare(s, "UPDATE entries SET removed_id = ?1 WHERE id = ?2", &upd,
                          err)))
        goto out;
    bind(sel, bind_ctx);
    int r;
    while ((r = sqlite3_step(sel)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(sel, 0);
        sqlite3_reset(hist);
        sqlite3_bind_text(hist, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_int64(hist, 2, id);
        sqlite3_bind_text(hist, 3, who, -1, SQLITE_STATIC);
        sqlite3_bind_text(hist, 4, reason, -1, SQLITE_STATIC);
        if ((r = sqlite3_step(hist)) != SQLITE_DONE)
            break;
        sqlite3_reset(upd);
        sqlite3_bind_int64(upd, 1, sqlite3_last_insert_rowid(s->db));
        sqlite3_bind_int64(upd, 2, id);
        if ((r = sqlite3_step(upd)) != SQLITE_DONE)
            break;
        count++;
    }
    if (r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "remove");
    else if (count == 0)
        rc = ward_fail(err, WARD_ENOTFOUND, "no live entry matches %s", what);
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(hist);
    sqlite3_finalize(upd);
    if (rc) {
        wst_rollback(s);
        return rc;
    }
    if ((rc = wst_commit(s, err)))
        return rc;
    if (removed)
        *removed = count;
    return WARD_OK;
}

typedef struct remove_q {
    uint8_t bytes[32];
    size_t n;
    const char *list;
    uint64_t id;
} remove_q;

static void bind_digest(sqlite3_stmt *st, const void *p)
{
    const remove_q *q = p;
    sqlite3_bind_blob(st, 1, q->bytes, (int)q->n, SQLITE_STATIC);
    if (q->list)
        sqlite3_bind_text(st, 2, q->list, -1, SQLITE_STATIC);
}

static void bind_id(sqlite3_stmt *st, const void *p)
{
    sqlite3_bind_int64(st, 1, (sqlite3_int64)((const remove_q *)p)->id);
}

ward_status ward_store_remove(ward_store *s, const char *query, const char *list,
                              const char *who, const char *reason,
                              uint64_t *removed, ward_error *err)
{
    if (!s)
        return ward_fail(err, WARD_EINVAL, "no store");
    remove_q q = {.list = list};
    unsigned kinds;
    ward_status rc = wst_parse_query(query, &kinds, q.bytes, &q.n, err);
    if (rc)
        return rc;
    if (list) {
        sqlite3_stmt *st;
        if ((rc = wst_prepare(s, "SELECT 1 FROM lists WHERE name = ?1", &st, err)))
            return rc;
        sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        if (r != SQLITE_ROW)
            return r == SQLITE_DONE ? ward_fail(err, WARD_ENOTFOUND, "no list '%s'", list)
                                    : wst_sqlfail(s, err, r, "find list");
    }
    char where[512];
    size_t off = 0;
    where[0] = 0;
    for (int k = 0; k < WST_NKINDS; k++)
        if (kinds & (1u << k))
            off += (size_t)snprintf(where + off, sizeof where - off, "%se.%s = ?1",
                                    off ? " OR " : "", wst_kind_col[k]);
    if (list)
        snprintf(where + off, sizeof where - off,
                 ") AND e.list_id = (SELECT id FROM lists WHERE name = ?2");
    char what[128];
    snprintf(what, sizeof what, "%.70s%s%.40s", query, list ? " in list " : "",
             list ? list : "");
    return remove_where(s, where, bind_digest, &q, what, who, reason, removed, err);
}

ward_status ward_store_remove_id(ward_store *s, uint64_t id, const char *who,
                                 const char *reason, ward_error *err)
{
    if (!s)
        return ward_fail(err, WARD_EINVAL, "no store");
    remove_q q = {.id = id};
    char what[64];
    snprintf(what, sizeof what, "id %llu", (unsigned long long)id);
    return remove_where(s, "e.id = ?1", bind_id, &q, what, who, reason, NULL, err);
}

ward_status ward_store_removed(ward_store *s, ward_entry_cb cb, void *ctx,
                               ward_error *err)
{
    if (!s || !cb)
        return ward_fail(err, WARD_EINVAL, "ward_store_removed: bad argument");
    char sql[2048];
    snprintf(sql, sizeof sql, "%sWHERE e.removed_id IS NOT NULL ORDER BY e.removed_id",
             WST_ENTRY_SELECT);
    sqlite3_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    wst_entry_buf *b = malloc(sizeof *b);
    if (!b) {
        sqlite3_finalize(st);
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    }
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        wst_entry_from_row(st, b);
        if (cb(ctx, &b->e))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "read removed entries");
    free(b);
    sqlite3_finalize(st);
    return rc;
}

/* ---- iteration -------------------------------------------------------- */

ward_status ward_store_iterate(ward_store *s, ward_store_iter_cb cb, void *ctx,
                               uint64_t *revision, ward_error *err)
{
    if (!s || !cb)
        return ward_fail(err, WARD_EINVAL, "ward_store_iterate: bad argument");
    ward_status rc = wst_begin(s, 0, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    /* The first read fixes the snapshot: revision and entries agree. */
    uint64_t rev = 0;
    if ((rc = ward_store_revision(s, &rev, err)) ||
        (rc = wst_prepare(s,
                          "SELECT id, md5, sha1, sha256, pdq FROM entries "
                          "WHERE removed_id IS NULL ORDER BY id",
                          &st, err))) {
        wst_rollback(s);
        return rc;
    }
    if (revision)
        *revision = rev;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        ward_digests d;
        ward_pdq pdq;
        int p, has_pdq;
        memset(&d, 0, sizeof d);
        blob_to(st, 1, d.md5, 16, &p);
        if (p) d.present |= WARD_DIGEST_MD5;
        blob_to(st, 2, d.sha1, 20, &p);
        if (p) d.present |= WARD_DIGEST_SHA1;
        blob_to(st, 3, d.sha256, 32, &p);
        if (p) d.present |= WARD_DIGEST_SHA256;
        blob_to(st, 4, pdq.b, 32, &has_pdq);
        int stop = cb(ctx, (uint64_t)sqlite3_column_int64(st, 0), &d,
                      has_pdq ? &pdq : NULL);
        if (stop) {
            r = SQLITE_DONE;
            break;
        }
    }
    if (r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "read entries");
    sqlite3_finalize(st);
    wst_rollback(s);
    return rc;
}

/* ---- statistics ------------------------------------------------------- */

void ward_store_stats_free(ward_store_stats *st)
{
    if (!st)
        return;
    arena_free(st->priv_);
    free(st->lists);
    free(st->categories);
    free(st);
}

ward_status ward_store_stats_get(ward_store *s, ward_store_stats **out,
                                 ward_error *err)
{
    if (!s || !out)
        return ward_fail(err, WARD_EINVAL, "ward_store_stats_get: bad argument");
    *out = NULL;
    ward_store_stats *o = calloc(1, sizeof *o);
    if (!o)
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    arena **a = (arena **)&o->priv_;
    ward_status rc = wst_begin(s, 0, err);
    if (rc) {
        free(o);
        return rc;
    }
    sqlite3_stmt *st = NULL;
    int r = SQLITE_DONE;
    o->schema_version = wst_schema_latest();
#define Q(sql)                                          \
    do {                                                \
        sqlite3_finalize(st);                           \
        if ((rc = wst_prepare(s, sql, &st, err)))       \
            goto out;                                   \
    } while (0)
    Q("SELECT (SELECT value FROM meta WHERE key = 'store_id'),"
      " (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'revision'),"
      " (SELECT count(*) FROM imports WHERE status = 'ok'),"
      " (SELECT count(*) FROM entries WHERE removed_id IS NOT NULL)");
    if ((r = sqlite3_step(st)) != SQLITE_ROW)
        goto sqlerr;
    snprintf(o->store_id, sizeof o->store_id, "%s",
             sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    o->revision = (uint64_t)sqlite3_column_int64(st, 1);
    o->imports = (uint64_t)sqlite3_column_int64(st, 2);
    o->removed = (uint64_t)sqlite3_column_int64(st, 3);
    Q("SELECT count(*), count(md5), count(sha1), count(sha256), count(pdq) "
      "FROM entries WHERE removed_id IS NULL");
    if ((r = sqlite3_step(st)) != SQLITE_ROW)
        goto sqlerr;
    o->entries = (uint64_t)sqlite3_column_int64(st, 0);
    o->with_md5 = (uint64_t)sqlite3_column_int64(st, 1);
    o->with_sha1 = (uint64_t)sqlite3_column_int64(st, 2);
    o->with_sha256 = (uint64_t)sqlite3_column_int64(st, 3);
    o->with_pdq = (uint64_t)sqlite3_column_int64(st, 4);

    Q("SELECT l.name, s.name, l.kind,"
      " (SELECT count(*) FROM entries e WHERE e.list_id = l.id AND e.removed_id IS NULL),"
      " (SELECT count(*) FROM entries e WHERE e.list_id = l.id AND e.removed_id IS NOT NULL) "
      "FROM lists l JOIN schemes s ON s.id = l.scheme_id ORDER BY l.name");
    size_t cap = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->n_lists == cap) {
            cap = cap ? 2 * cap : 8;
            void *v = realloc(o->lists, cap * sizeof *o->lists);
            if (!v)
                goto nomem;
            o->lists = v;
        }
        ward_stats_list *l = &o->lists[o->n_lists];
        l->name = arena_dup(a, col_text(st, 0));
        l->scheme = arena_dup(a, col_text(st, 1));
        l->kind = strcmp(col_text(st, 2), "known-good") == 0 ? WARD_LIST_KNOWN_GOOD
                                                             : WARD_LIST_ALERT;
        l->entries = (uint64_t)sqlite3_column_int64(st, 3);
        l->removed = (uint64_t)sqlite3_column_int64(st, 4);
        if (!l->name || !l->scheme)
            goto nomem;
        o->n_lists++;
    }
    if (r != SQLITE_DONE)
        goto sqlerr;

    Q("SELECT l.name, s.name, c.code, c.label, c.class, count(*) "
      "FROM entries e JOIN lists l ON l.id = +e.list_id"
      " JOIN schemes s ON s.id = l.scheme_id"
      " LEFT JOIN categories c ON c.id = e.category_id "
      "WHERE e.removed_id IS NULL GROUP BY e.list_id, e.category_id "
      "ORDER BY l.name, c.code IS NULL, c.code");
    cap = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->n_categories == cap) {
            cap = cap ? 2 * cap : 8;
            void *v = realloc(o->categories, cap * sizeof *o->categories);
            if (!v)
                goto nomem;
            o->categories = v;
        }
        ward_stats_category *c = &o->categories[o->n_categories];
        c->list = arena_dup(a, col_text(st, 0));
        c->scheme = arena_dup(a, col_text(st, 1));
        c->category = arena_dup(a, col_text(st, 2));
        c->label = arena_dup(a, col_text(st, 3));
        c->klass = arena_dup(a, col_text(st, 4));
        c->entries = (uint64_t)sqlite3_column_int64(st, 5);
        if (!c->list || !c->scheme || (col_text(st, 2) && !c->category))
            goto nomem;
        o->n_categories++;
    }
    if (r != SQLITE_DONE)
        goto sqlerr;
#undef Q
out:
    sqlite3_finalize(st);
    wst_rollback(s);
    if (rc) {
        ward_store_stats_free(o);
        return rc;
    }
    *out = o;
    return WARD_OK;
sqlerr:
    rc = wst_sqlfail(s, err, r, "statistics");
    goto out;
nomem:
    rc = ward_fail(err, WARD_ENOMEM, "out of memory");
    goto out;
}
