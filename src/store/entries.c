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

/* The md5, sha1, sha256 and pdq columns from `col` on: entries and
 * iteration read digests the same way. */
static void digests_from_row(wsql_stmt *st, int col, ward_digests *d, ward_pdq *pdq,
                             int *has_pdq)
{
    uint8_t *dst[3] = {d->md5, d->sha1, d->sha256};
    memset(d, 0, sizeof *d);
    for (int k = 0; k < 3; k++) {
        const void *b = wst_blob(st, col + k, wst_kind_len[k]);
        if (b) {
            memcpy(dst[k], b, wst_kind_len[k]);
            d->present |= 1u << k; /* WARD_DIGEST_* bits follow WST_* order */
        }
    }
    const void *b = wst_blob(st, col + WST_PDQ, 32);
    if (b)
        memcpy(pdq->b, b, 32);
    *has_pdq = b != NULL;
}

const char *wst_hex_orig(const char *orig, int k, char out[65])
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

/* Original hex text: all upper-case forms are flagged in hex_case (bit k);
 * mixed-case forms are kept whole in hex_orig. */
static void hex_text_from_row(wsql_stmt *st, wst_entry_buf *b)
{
    ward_entry *e = &b->e;
    unsigned upper = (unsigned)wsql_column_int(st, 8);
    const char *orig = wst_text(st, 9);
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
        if (wst_hex_orig(orig, k, b->hex[k]))
            e->hex_text[k] = b->hex[k];
    }
}

static int int_or(wsql_stmt *st, int i, int null_value)
{
    return wsql_column_type(st, i) == SQLITE_NULL ? null_value : wsql_column_int(st, i);
}

void wst_entry_from_row(wsql_stmt *st, wst_entry_buf *b)
{
    ward_entry *e = &b->e;
    memset(b, 0, sizeof *b);
    e->id = (uint64_t)wsql_column_int64(st, 0);
    e->list = wst_text(st, 1);
    e->list_kind = wst_list_kind(wst_text(st, 2));
    digests_from_row(st, 3, &e->digests, &e->pdq, &e->has_pdq);
    e->pdq_quality = int_or(st, 7, -1);
    hex_text_from_row(st, b);
    e->scheme = wst_text(st, 10);
    e->category = wst_text(st, 11);
    e->category_label = wst_text(st, 12);
    e->category_class = wst_text(st, 13);
    e->series = wst_text(st, 14);
    e->victim_identified = int_or(st, 15, -1);
    e->first_seen = wst_text(st, 16);
    e->first_seen_utc = wst_text(st, 17);
    e->updated = wst_text(st, 18);
    e->updated_utc = wst_text(st, 19);
    e->tags = wst_text(st, 20);
    e->name = wst_text(st, 21);
    e->media_id = wst_text(st, 22);
    e->size = wsql_column_type(st, 23) == SQLITE_NULL ? -1
                                                          : wsql_column_int64(st, 23);
    e->import_id = (uint64_t)wsql_column_int64(st, 24);
    e->import_path = wst_text(st, 25);
    e->import_format = wst_text(st, 26);
    e->import_finished = wst_text(st, 27);
    e->updated_import_id = (uint64_t)wsql_column_int64(st, 28);
    e->removed = wsql_column_type(st, 29) != SQLITE_NULL;
    e->removed_by = wst_text(st, 30);
    e->removed_at = wst_text(st, 31);
    e->removed_reason = wst_text(st, 32);
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
    ward_entry *v = wst_grow(set->v, cap, set->count, sizeof *v);
    if (!v)
        return -1;
    set->v = v;
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
        return err_fail(err, WARD_EINVAL, "no digest given");
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
        return err_fail(err, WARD_EINVAL,
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

static ward_status collect(ward_store *s, wsql_stmt *st, ward_entries *set,
                           size_t *cap, ward_error *err)
{
    int r;
    wst_entry_buf b;
    while ((r = wsql_step(st)) == SQLITE_ROW) {
        wst_entry_from_row(st, &b);
        int seen = 0;
        for (size_t i = 0; i < set->count && !seen; i++)
            seen = set->v[i].id == b.e.id;
        if (!seen && entries_add(set, cap, &b.e))
            return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (r != SQLITE_DONE)
        return wst_sqlfail(s, err, r, "read entries");
    return WARD_OK;
}

ward_status ward_store_lookup(ward_store *s, const char *query, unsigned flags,
                              ward_entries **out, ward_error *err)
{
    if (!s || !out)
        return err_fail(err, WARD_EINVAL, "ward_store_lookup: bad argument");
    *out = NULL;
    unsigned kinds;
    uint8_t bytes[32];
    size_t n;
    ward_status rc = wst_parse_query(query, &kinds, bytes, &n, err);
    if (rc)
        return rc;
    ward_entries *set = calloc(1, sizeof *set);
    if (!set)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    size_t cap = 0;
    int with_removed = (flags & WARD_LOOKUP_REMOVED) != 0;
    for (int k = 0; k < WST_NKINDS && rc == WARD_OK; k++) {
        if (!(kinds & (1u << k)))
            continue;
        wsql_stmt **st = &s->lookup[k][with_removed];
        if (!*st) {
            char sql[2048];
            snprintf(sql, sizeof sql, "%sWHERE e.%s = ?1%s ORDER BY e.id", WST_ENTRY_SELECT,
                     wst_kind_col[k], with_removed ? "" : " AND e.removed_id IS NULL");
            if ((rc = wst_prepare(s, sql, st, err)))
                break;
        }
        wsql_bind_blob(*st, 1, bytes, (int)n, SQLITE_STATIC);
        rc = collect(s, *st, set, &cap, err);
        wsql_reset(*st);
        wsql_clear_bindings(*st);
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
        return err_fail(err, WARD_EINVAL, "ward_store_get: bad argument");
    *out = NULL;
    ward_status rc = WARD_OK;
    if (!s->get_by_id) { /* kept prepared: parsing the join costs more than running it */
        char sql[2048];
        snprintf(sql, sizeof sql, "%sWHERE e.id = ?1", WST_ENTRY_SELECT);
        if ((rc = wst_prepare(s, sql, &s->get_by_id, err)))
            return rc;
    }
    wsql_stmt *st = s->get_by_id;
    wsql_bind_int64(st, 1, (wsql_int64)id);
    ward_entries *set = calloc(1, sizeof *set);
    size_t cap = 0;
    if (!set)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    else
        rc = collect(s, st, set, &cap, err);
    wsql_reset(st);
    if (rc == WARD_OK && set->count == 0)
        rc = err_fail(err, WARD_ENOTFOUND, "no entry %llu", (unsigned long long)id);
    if (rc) {
        ward_entries_free(set);
        return rc;
    }
    *out = set;
    return WARD_OK;
}

/* A list must exist to be named in a filter or a removal. */
static ward_status check_list(ward_store *s, const char *list, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc =
        wst_find_row(s, "SELECT 1 FROM lists WHERE name = ?1", list, &st, "find list", err);
    if (rc == WARD_ENOTFOUND)
        return err_fail(err, WARD_ENOTFOUND, "no list '%s'", list);
    wsql_finalize(st);
    return rc;
}

/* Entries handed to a ward_entry_cb, one row at a time, through one buffer
 * (malloc'd: a wst_entry_buf is large for the stack of a callback chain). */
typedef struct entry_walk {
    ward_entry_cb cb;
    void *ctx;
    wst_entry_buf *b;
} entry_walk;

static int entry_row(void *ctx, wsql_stmt *st)
{
    entry_walk *w = ctx;
    wst_entry_from_row(st, w->b);
    return w->cb(w->ctx, &w->b->e);
}

/* Hand every row of `st` (a WST_ENTRY_SELECT) to cb; finalizes `st`.
 * after > 0: `st` is paged by e.id, ?after (wst_each_page). */
static ward_status walk_entries(ward_store *s, wsql_stmt *st, int after, ward_entry_cb cb,
                                void *ctx, const char *what, ward_error *err)
{
    entry_walk w = {cb, ctx, malloc(sizeof *w.b)};
    if (!w.b) {
        wsql_finalize(st);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ward_status rc = after ? wst_each_page(s, st, after, entry_row, &w, what, err)
                           : wst_each_row(s, st, entry_row, &w, what, err);
    free(w.b);
    return rc;
}

static int uncategorised(const char *category)
{
    return category && (!strcasecmp(category, "uncategorised") ||
                        !strcasecmp(category, "uncategorized"));
}

ward_status wst_each_entry(ward_store *s, const char *list, const char *category,
                           ward_entry_cb cb, void *ctx, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc;
    if (list && (rc = check_list(s, list, err)))
        return rc;
    int uncat = uncategorised(category);
    if (category && !uncat) {
        rc = wst_find_row(s, "SELECT 1 FROM categories WHERE code = ?1", category, &st,
                          "find category", err);
        if (rc == WARD_ENOTFOUND)
            return err_fail(err, WARD_ENOTFOUND, "no category '%s' in any scheme", category);
        if (rc)
            return rc;
        wsql_finalize(st);
    }
    char sql[2048];
    snprintf(sql, sizeof sql,
             "%sWHERE e.removed_id IS NULL AND e.id > ?1"
             " AND (CAST(?2 AS TEXT) IS NULL OR l.name = ?2)%s ORDER BY e.id%s",
             WST_ENTRY_SELECT,
             uncat ? " AND e.category_id IS NULL"
                   : " AND (CAST(?3 AS TEXT) IS NULL OR c.code = ?3)",
             wst_page_limit(s));
    /* The pages are of one snapshot: the caller's read transaction, else
     * one of our own. */
    int own = !s->in_tx;
    if (own && (rc = wst_begin(s, 0, err)))
        return rc;
    if ((rc = wst_prepare(s, sql, &st, err)) == WARD_OK) {
        if (list)
            wsql_bind_text(st, 2, list, -1, SQLITE_STATIC);
        if (category && !uncat)
            wsql_bind_text(st, 3, category, -1, SQLITE_STATIC);
        rc = walk_entries(s, st, 1, cb, ctx, "read entries", err);
    }
    if (own)
        wst_rollback(s);
    return rc;
}

ward_status ward_store_conflicts(ward_store *s, ward_conflict_cb cb, void *ctx,
                                 ward_error *err)
{
    if (!s || !cb)
        return err_fail(err, WARD_EINVAL, "ward_store_conflicts: bad argument");
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
    wsql_stmt *st = NULL, *ga = NULL, *gb = NULL;
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
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
        goto out;
    }
    int r;
    while ((r = wsql_step(st)) == SQLITE_ROW) {
        wsql_reset(ga);
        wsql_reset(gb);
        wsql_bind_int64(ga, 1, wsql_column_int64(st, 0));
        wsql_bind_int64(gb, 1, wsql_column_int64(st, 1));
        if (wsql_step(ga) != SQLITE_ROW || wsql_step(gb) != SQLITE_ROW)
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
    wsql_finalize(st);
    wsql_finalize(ga);
    wsql_finalize(gb);
    wst_rollback(s);
    return rc;
}

/* ---- removal --------------------------------------------------------- */

static ward_status remove_where(ward_store *s, const char *where_sql,
                                void (*bind)(wsql_stmt *, const void *),
                                const void *bind_ctx, const char *what,
                                const char *who, const char *reason,
                                uint64_t *removed, ward_error *err)
{
    if (!who || !*who)
        return err_fail(err, WARD_EINVAL, "a removal must say who removes");
    if (!reason || !*reason)
        return err_fail(err, WARD_EINVAL, "a removal needs a reason");
    ward_status rc = wst_begin(s, 1, err);
    if (rc)
        return rc;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT e.id FROM entries e WHERE e.removed_id IS NULL AND (%s) "
             "ORDER BY e.id",
             where_sql);
    wsql_stmt *sel = NULL, *hist = NULL, *upd = NULL;
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
    while ((r = wsql_step(sel)) == SQLITE_ROW) {
        wsql_int64 id = wsql_column_int64(sel, 0);
        wsql_reset(hist);
        wsql_bind_text(hist, 1, now, -1, SQLITE_STATIC);
        wsql_bind_int64(hist, 2, id);
        wsql_bind_text(hist, 3, who, -1, SQLITE_STATIC);
        wsql_bind_text(hist, 4, reason, -1, SQLITE_STATIC);
        if ((r = wsql_step(hist)) != SQLITE_DONE)
            break;
        wsql_reset(upd);
        wsql_bind_int64(upd, 1, wsql_last_insert_rowid(s->db));
        wsql_bind_int64(upd, 2, id);
        if ((r = wsql_step(upd)) != SQLITE_DONE)
            break;
        count++;
    }
    if (r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "remove");
    else if (count == 0)
        rc = err_fail(err, WARD_ENOTFOUND, "no live entry matches %s", what);
out:
    wsql_finalize(sel);
    wsql_finalize(hist);
    wsql_finalize(upd);
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

static void bind_digest(wsql_stmt *st, const void *p)
{
    const remove_q *q = p;
    wsql_bind_blob(st, 1, q->bytes, (int)q->n, SQLITE_STATIC);
    if (q->list)
        wsql_bind_text(st, 2, q->list, -1, SQLITE_STATIC);
}

static void bind_id(wsql_stmt *st, const void *p)
{
    wsql_bind_int64(st, 1, (wsql_int64)((const remove_q *)p)->id);
}

ward_status ward_store_remove(ward_store *s, const char *query, const char *list,
                              const char *who, const char *reason,
                              uint64_t *removed, ward_error *err)
{
    if (!s)
        return err_fail(err, WARD_EINVAL, "no store");
    remove_q q = {.list = list};
    unsigned kinds;
    ward_status rc = wst_parse_query(query, &kinds, q.bytes, &q.n, err);
    if (rc)
        return rc;
    if (list && (rc = check_list(s, list, err)))
        return rc;
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
        return err_fail(err, WARD_EINVAL, "no store");
    remove_q q = {.id = id};
    char what[64];
    snprintf(what, sizeof what, "id %llu", (unsigned long long)id);
    return remove_where(s, "e.id = ?1", bind_id, &q, what, who, reason, NULL, err);
}

ward_status ward_store_removed(ward_store *s, ward_entry_cb cb, void *ctx,
                               ward_error *err)
{
    if (!s || !cb)
        return err_fail(err, WARD_EINVAL, "ward_store_removed: bad argument");
    char sql[2048];
    snprintf(sql, sizeof sql, "%sWHERE e.removed_id IS NOT NULL ORDER BY e.removed_id",
             WST_ENTRY_SELECT);
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    return walk_entries(s, st, 0, cb, ctx, "read removed entries", err);
}

/* ---- iteration -------------------------------------------------------- */

typedef struct iter_walk {
    ward_store_iter_cb cb;
    void *ctx;
} iter_walk;

static int iter_row(void *ctx, wsql_stmt *st)
{
    const iter_walk *w = ctx;
    ward_digests d;
    ward_pdq pdq;
    int has_pdq;
    digests_from_row(st, 1, &d, &pdq, &has_pdq);
    return w->cb(w->ctx, (uint64_t)wsql_column_int64(st, 0), &d, has_pdq ? &pdq : NULL);
}

ward_status ward_store_iterate(ward_store *s, ward_store_iter_cb cb, void *ctx,
                               uint64_t *revision, ward_error *err)
{
    if (!s || !cb)
        return err_fail(err, WARD_EINVAL, "ward_store_iterate: bad argument");
    ward_status rc = wst_begin(s, 0, err);
    if (rc)
        return rc;
    wsql_stmt *st;
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT id, md5, sha1, sha256, pdq FROM entries "
             "WHERE removed_id IS NULL AND id > ?1 ORDER BY id%s",
             wst_page_limit(s));
    /* The first read fixes the snapshot: revision and entries agree. */
    uint64_t rev = 0;
    if ((rc = ward_store_revision(s, &rev, err)) == WARD_OK &&
        (rc = wst_prepare(s, sql, &st, err)) == WARD_OK) {
        if (revision)
            *revision = rev;
        iter_walk w = {cb, ctx};
        rc = wst_each_page(s, st, 1, iter_row, &w, "read entries", err);
    }
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

/* Rows of the per-list and per-category queries; strings are copied into
 * the statistics' arena (ctx). Non-zero: out of memory. */
static int stats_list_fill(void *ctx, wsql_stmt *st, void *elem)
{
    arena **a = ctx;
    ward_stats_list *l = elem;
    l->name = arena_dup(a, wst_text(st, 0));
    l->scheme = arena_dup(a, wst_text(st, 1));
    l->kind = wst_list_kind(wst_text(st, 2));
    l->entries = (uint64_t)wsql_column_int64(st, 3);
    l->removed = (uint64_t)wsql_column_int64(st, 4);
    return !l->name || !l->scheme;
}

static int stats_category_fill(void *ctx, wsql_stmt *st, void *elem)
{
    arena **a = ctx;
    ward_stats_category *c = elem;
    c->list = arena_dup(a, wst_text(st, 0));
    c->scheme = arena_dup(a, wst_text(st, 1));
    c->category = arena_dup(a, wst_text(st, 2));
    c->label = arena_dup(a, wst_text(st, 3));
    c->klass = arena_dup(a, wst_text(st, 4));
    c->entries = (uint64_t)wsql_column_int64(st, 5);
    return !c->list || !c->scheme || (wst_text(st, 2) && !c->category);
}

/* Run `sql` and keep its rows in *rows. */
static ward_status stats_rows(ward_store *s, ward_store_stats *o, const char *sql,
                              wst_fill_fn fill, wst_rows *rows, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    return wst_keep_rows(s, st, rows, fill, (arena **)&o->priv_, "statistics", err);
}

/* The store-wide counts, from one row. */
static ward_status stats_totals(ward_store *s, ward_store_stats *o, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s,
                                 "SELECT (SELECT value FROM meta WHERE key = 'store_id'),"
                                 " (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'revision'),"
                                 " (SELECT count(*) FROM imports WHERE status = 'ok'),"
                                 " (SELECT count(*) FROM entries WHERE removed_id IS NOT NULL),"
                                 " count(*), count(md5), count(sha1), count(sha256), count(pdq) "
                                 "FROM entries WHERE removed_id IS NULL",
                                 &st, err);
    if (rc)
        return rc;
    int r = wsql_step(st);
    if (r == SQLITE_ROW) {
        snprintf(o->store_id, sizeof o->store_id, "%s",
                 wst_text(st, 0) ? wst_text(st, 0) : "");
        uint64_t *counts[] = {&o->revision,  &o->imports,   &o->removed,
                              &o->entries,   &o->with_md5,  &o->with_sha1,
                              &o->with_sha256, &o->with_pdq};
        for (int i = 0; i < 8; i++)
            *counts[i] = (uint64_t)wsql_column_int64(st, i + 1);
    } else {
        rc = wst_sqlfail(s, err, r, "statistics");
    }
    wsql_finalize(st);
    return rc;
}

ward_status ward_store_stats_get(ward_store *s, ward_store_stats **out,
                                 ward_error *err)
{
    if (!s || !out)
        return err_fail(err, WARD_EINVAL, "ward_store_stats_get: bad argument");
    *out = NULL;
    ward_store_stats *o = calloc(1, sizeof *o);
    if (!o)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    o->schema_version = wst_schema_latest();
    ward_status rc = wst_begin(s, 0, err);
    if (rc) {
        free(o);
        return rc;
    }
    /* One read transaction: every number is of the same store state. */
    wst_rows lists = {.size = sizeof *o->lists}, cats = {.size = sizeof *o->categories};
    if ((rc = stats_totals(s, o, err)) == WARD_OK &&
        (rc = stats_rows(
             s, o,
             "SELECT l.name, s.name, l.kind,"
             " (SELECT count(*) FROM entries e WHERE e.list_id = l.id AND e.removed_id IS NULL),"
             " (SELECT count(*) FROM entries e WHERE e.list_id = l.id AND e.removed_id IS NOT NULL) "
             "FROM lists l JOIN schemes s ON s.id = l.scheme_id ORDER BY l.name",
             stats_list_fill, &lists, err)) == WARD_OK)
        /* min(): one value per (list, category) group; PostgreSQL accepts
         * no bare column beside the GROUP BY ones. The sort names the
         * columns' collation, which min() does not pass on in SQLite. */
        rc = stats_rows(s, o,
                        "SELECT lname, sname, code, label, class, n FROM ("
                        "SELECT min(l.name) AS lname, min(s.name) AS sname, min(c.code) AS code,"
                        " min(c.label) AS label, min(c.class) AS class, count(*) AS n "
                        "FROM entries e JOIN lists l ON l.id = +e.list_id"
                        " JOIN schemes s ON s.id = l.scheme_id"
                        " LEFT JOIN categories c ON c.id = e.category_id "
                        "WHERE e.removed_id IS NULL GROUP BY e.list_id, e.category_id) g "
                        "ORDER BY lname COLLATE NOCASE, code IS NULL, code COLLATE NOCASE",
                        stats_category_fill, &cats, err);
    o->lists = lists.v;
    o->n_lists = lists.n;
    o->categories = cats.v;
    o->n_categories = cats.n;
    wst_rollback(s);
    if (rc) {
        ward_store_stats_free(o);
        return rc;
    }
    *out = o;
    return WARD_OK;
}
