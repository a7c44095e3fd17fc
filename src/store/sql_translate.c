/*
 * SQLite's dialect to PostgreSQL's, one statement at a time.
 *
 * ward's statements are written for SQLite and kept to what both servers
 * understand; this file bridges the few places where the two spell the same
 * thing differently. It is a tokenizer, not a parser: it only rewrites
 * tokens outside string literals, quoted identifiers and comments, so a
 * value can never be rewritten. Everything a token rule cannot express
 * (INSERT OR REPLACE, rowid, boolean arithmetic) is kept out of ward's SQL
 * instead; docs/store.md lists the rules.
 */
#include "store/sql.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *p;
    size_t n, cap;
    int nomem;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->nomem)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static int is_word(int c) { return isalnum(c) || c == '_'; }

/* Length of a literal, quoted identifier or comment starting at s, 0 when
 * s does not start one. Unterminated ones run to the end. */
static size_t skip_quoted(const char *s, size_t n)
{
    if (s[0] == '\'' || s[0] == '"' || s[0] == '`') {
        char q = s[0];
        size_t i = 1;
        while (i < n) {
            if (s[i] == q) {
                if (i + 1 < n && s[i + 1] == q) { /* doubled quote */
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return n;
    }
    if (n >= 2 && s[0] == '-' && s[1] == '-') {
        size_t i = 2;
        while (i < n && s[i] != '\n')
            i++;
        return i;
    }
    if (n >= 2 && s[0] == '/' && s[1] == '*') {
        const char *e = NULL;
        for (size_t i = 2; i + 1 < n; i++)
            if (s[i] == '*' && s[i + 1] == '/') {
                e = s + i + 2;
                break;
            }
        return e ? (size_t)(e - s) : n;
    }
    return 0;
}

size_t wsql_statement_len(const char *sql)
{
    size_t n = strlen(sql), i = 0;
    while (i < n) {
        size_t q = skip_quoted(sql + i, n - i);
        if (q) {
            i += q;
            continue;
        }
        if (sql[i] == ';')
            return i + 1;
        i++;
    }
    return n;
}

static int word_eq(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* The i-th word of the statement (skipping spaces and comments), as
 * pointer and length; n = 0 when there is none. */
static const char *nth_word(const char *s, size_t len, int idx, size_t *wn)
{
    size_t i = 0;
    for (int k = 0;; k++) {
        while (i < len) {
            size_t q = (s[i] == '-' || s[i] == '/') ? skip_quoted(s + i, len - i) : 0;
            if (q)
                i += q;
            else if (isspace((unsigned char)s[i]))
                i++;
            else
                break;
        }
        size_t b = i;
        while (i < len && is_word((unsigned char)s[i]))
            i++;
        if (i == b) {
            *wn = 0;
            return s + i;
        }
        if (k == idx) {
            *wn = i - b;
            return s + b;
        }
    }
}

/* PRAGMAs: the two version numbers live in a table on PostgreSQL; every
 * other PRAGMA tunes SQLite and means nothing there. */
static char *translate_pragma(const char *s, size_t len, int *noop)
{
    size_t wn;
    const char *w = nth_word(s, len, 1, &wn);
    const char *key = word_eq(w, wn, "user_version")     ? "user_version"
                      : word_eq(w, wn, "application_id") ? "application_id"
                                                         : NULL;
    if (word_eq(w, wn, "data_version")) /* changes whenever anything commits */
        return strdup("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
    if (!key) {
        *noop = 1;
        return strdup("");
    }
    const char *eq = memchr(w, '=', len - (size_t)(w - s));
    char *out = malloc(256);
    if (!out)
        return NULL;
    if (eq)
        snprintf(out, 256,
                 "INSERT INTO wsql_meta(key, value) VALUES('%s', %" PRId64 ")"
                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 key, (int64_t)strtoll(eq + 1, NULL, 10));
    else
        snprintf(out, 256,
                 "SELECT coalesce((SELECT value FROM wsql_meta WHERE key = '%s'), 0)", key);
    return out;
}

static char *translate_begin(const char *s, size_t len, int64_t lock_key)
{
    size_t wn;
    const char *w = nth_word(s, len, 1, &wn);
    char *out = malloc(160);
    if (!out)
        return NULL;
    if (word_eq(w, wn, "IMMEDIATE") || word_eq(w, wn, "EXCLUSIVE"))
        snprintf(out, 160,
                 "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(%" PRId64
                 ")",
                 lock_key);
    else
        snprintf(out, 160, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    return out;
}

/* Where " ON CONFLICT DO NOTHING" goes: before a top-level RETURNING,
 * else before the closing ';' and trailing space. */
static size_t conflict_clause_at(const char *s, size_t len)
{
    size_t i = 0, end = len;
    while (i < len) {
        size_t q = skip_quoted(s + i, len - i);
        if (q) {
            i += q;
            continue;
        }
        if (is_word((unsigned char)s[i])) {
            size_t b = i;
            while (i < len && is_word((unsigned char)s[i]))
                i++;
            if (word_eq(s + b, i - b, "RETURNING"))
                return b;
            continue;
        }
        i++;
    }
    while (end > 0 && (s[end - 1] == ';' || isspace((unsigned char)s[end - 1])))
        end--;
    return end;
}

static const char *const SCHEMA_VIEW =
    "(SELECT c.relname AS name, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END"
    " AS type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'v'))";

/* Rewrites one word outside quotes. Returns how many input bytes it used
 * (at least the word), having written the replacement. */
static size_t rewrite_word(buf *b, const char *s, size_t len, size_t i, int ddl)
{
    size_t e = i;
    while (e < len && is_word((unsigned char)s[e]))
        e++;
    const char *w = s + i;
    size_t wn = e - i;
    if (ddl && word_eq(w, wn, "INTEGER")) {
        size_t n1, n2;
        const char *a = nth_word(s + e, len - e, 0, &n1);
        const char *c = nth_word(s + e, len - e, 1, &n2);
        if (word_eq(a, n1, "PRIMARY") && word_eq(c, n2, "KEY")) {
            puts_(b, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
            return (size_t)(c + n2 - s) - i;
        }
        puts_(b, "BIGINT");
    } else if (word_eq(w, wn, "INTEGER") || word_eq(w, wn, "INT")) {
        puts_(b, "BIGINT");
    } else if (word_eq(w, wn, "REAL")) {
        puts_(b, "DOUBLE PRECISION");
    } else if (word_eq(w, wn, "BLOB")) {
        puts_(b, "BYTEA");
    } else if (ddl && word_eq(w, wn, "AUTOINCREMENT")) {
        /* identity columns never reuse a value either */
    } else if (ddl && word_eq(w, wn, "WITHOUT")) {
        size_t n1;
        const char *a = nth_word(s + e, len - e, 0, &n1);
        if (word_eq(a, n1, "ROWID"))
            return (size_t)(a + n1 - s) - i;
        put(b, w, wn);
    } else if (word_eq(w, wn, "LIKE")) {
        puts_(b, "ILIKE"); /* SQLite's LIKE ignores ASCII case */
    } else if (word_eq(w, wn, "sqlite_schema") || word_eq(w, wn, "sqlite_master")) {
        puts_(b, SCHEMA_VIEW);
        puts_(b, " AS sqlite_schema");
    } else if ((w[0] == 'x' || w[0] == 'X') && wn == 1 && e < len && s[e] == '\'') {
        size_t q = skip_quoted(s + e, len - e); /* blob literal x'00ff' */
        puts_(b, "'\\x");
        put(b, s + e + 1, q >= 2 ? q - 2 : 0);
        puts_(b, "'::bytea");
        return wn + q;
    } else {
        put(b, w, wn);
    }
    return wn;
}

char *wsql_translate_pg(const char *sql, size_t len, int64_t lock_key, int *noop)
{
    *noop = 0;
    size_t w0n;
    const char *w0 = nth_word(sql, len, 0, &w0n);
    if (word_eq(w0, w0n, "PRAGMA"))
        return translate_pragma(sql, len, noop);
    if (word_eq(w0, w0n, "BEGIN"))
        return translate_begin(sql, len, lock_key);
    int ddl = word_eq(w0, w0n, "CREATE") || word_eq(w0, w0n, "ALTER");

    /* INSERT OR IGNORE: drop "OR IGNORE", add ON CONFLICT DO NOTHING */
    size_t w1n, w2n, skip_from = 0, skip_to = 0, conflict_at = (size_t)-1;
    const char *w1 = nth_word(sql, len, 1, &w1n);
    const char *w2 = nth_word(sql, len, 2, &w2n);
    if (word_eq(w0, w0n, "INSERT") && word_eq(w1, w1n, "OR") && word_eq(w2, w2n, "IGNORE")) {
        skip_from = (size_t)(w1 - sql);
        skip_to = (size_t)(w2 + w2n - sql);
        conflict_at = conflict_clause_at(sql, len);
    }

    buf b = {0};
    int param = 0;
    size_t i = 0;
    while (i < len) {
        if (i == conflict_at)
            puts_(&b, " ON CONFLICT DO NOTHING ");
        if (i == skip_from && skip_to > skip_from) {
            i = skip_to;
            continue;
        }
        size_t q = skip_quoted(sql + i, len - i);
        if (q) {
            put(&b, sql + i, q);
            i += q;
        } else if (sql[i] == '?') {
            char num[16];
            size_t d = i + 1;
            while (d < len && isdigit((unsigned char)sql[d]))
                d++;
            if (d > i + 1) {
                int k = atoi(sql + i + 1);
                param = k > param ? k : param;
                snprintf(num, sizeof num, "$%d", k);
            } else {
                snprintf(num, sizeof num, "$%d", ++param);
            }
            puts_(&b, num);
            i = d;
        } else if (is_word((unsigned char)sql[i]) &&
                   (i == 0 || !is_word((unsigned char)sql[i - 1]))) {
            i += rewrite_word(&b, sql, len, i, ddl);
        } else {
            put(&b, sql + i, 1);
            i++;
        }
    }
    if (conflict_at == len)
        puts_(&b, " ON CONFLICT DO NOTHING");
    if (!b.p && !b.nomem)
        puts_(&b, "");
    if (b.nomem) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
