/*
 * The hash-set store: creation and migrations, refusing newer or foreign
 * databases, schemes and lists, conflicts between lists, removal with a
 * reason, lookup, iteration, statistics and the revision counter.
 * All hashes are random; all names are fake.
 */
#include "storetest.h"

#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static uint64_t revision(ward_store *s)
{
    uint64_t r = 0;
    assert_int_equal(ward_store_revision(s, &r, NULL), WARD_OK);
    return r;
}

static int count_cat(void *ctx, const char *a, const char *b, const char *c, const char *d)
{
    (void)a; (void)b; (void)c; (void)d;
    ++*(int *)ctx;
    return 0;
}

/* Categories of one scheme (NULL: all); WARD_ENOTFOUND gives -1. */
static int categories(ward_store *s, const char *scheme)
{
    int n = 0;
    ward_error err;
    ward_status rc = ward_store_categories(s, scheme, count_cat, &n, &err);
    if (rc == WARD_ENOTFOUND)
        return -1;
    assert_int_equal(rc, WARD_OK);
    return n;
}

/* Entries a lookup finds (it must succeed); the set is kept in *out when
 * out is not NULL, for the caller to inspect and free. */
static size_t lookup_n(ward_store *s, const char *query, unsigned flags, ward_entries **out)
{
    ward_entries *e;
    ward_error err;
    if (ward_store_lookup(s, query, flags, &e, &err))
        fail_msg("lookup %s: %s", query, err.message);
    size_t n = e->count;
    if (out)
        *out = e;
    else
        ward_entries_free(e);
    return n;
}

static const char *MD5_A = "0123456789abcdef0123456789abcdef";
static const char *MD5_B = "fedcba9876543210fedcba9876543210";

/* ---- tests ----------------------------------------------------------------- */

static void test_create_empty_dir_and_reopen(void **state)
{
    (void)state;
    char *tmp = scratch_dir("ward-store");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/not/yet/there", tmp);
    ward_store *s = store_open_ok(dir);
    struct stat st;
    if (!skip_on_postgres("the mode of ward.db")) {
        assert_int_equal(stat(path_in(dir, "ward.db"), &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    ward_store_stats *stats;
    assert_int_equal(ward_store_stats_get(s, &stats, NULL), WARD_OK);
    assert_int_equal(stats->schema_version, ward_store_schema_version());
    assert_int_equal(stats->entries, 0);
    assert_int_equal(strlen(stats->store_id), 32);
    char id[33];
    strcpy(id, stats->store_id);
    ward_store_stats_free(stats);

    assert_int_equal(categories(s, NULL), 8); /* A B C, 0 1 2 3, known-good */
    assert_int_equal(categories(s, WARD_SCHEME_UK), 3);
    assert_int_equal(categories(s, "nope"), -1);

    /* WAL, foreign keys */
    if (!skip_on_postgres("journal_mode and foreign_keys are SQLite's")) {
        sql_text_is(s->db, "PRAGMA journal_mode", "wal");
        assert_int_equal(sql_int(s->db, "PRAGMA foreign_keys"), 1);
    }
    ward_store_close(s);

    /* Re-open: same store, nothing migrated twice. */
    s = store_open_ok(dir);
    assert_int_equal(ward_store_stats_get(s, &stats, NULL), WARD_OK);
    assert_string_equal(stats->store_id, id);
    ward_store_stats_free(stats);
    assert_int_equal(categories(s, NULL), 8);
    ward_store_close(s);

    /* Read-only open works and refuses writes. */
    ward_error err;
    assert_int_equal(ward_store_open(dir, test_store_url(), WARD_STORE_READONLY, &s, &err),
                     WARD_OK);
    assert_int_equal(ward_store_create_list(s, "x", NULL, WARD_LIST_ALERT, NULL, &err),
                     WARD_EINVAL);
    ward_store_close(s);
    scratch_remove(tmp);
}

static void test_migration_from_version_1(void **state)
{
    (void)state;
    char *tmp = scratch_dir("ward-store");
    /* A store left at schema 1 by an older ward. */
    ward_store old = {0};
    old.path = (char *)path_in(tmp, "ward.db");
    old.db = store_db_open(tmp);
    ward_error err;
    assert_int_equal(wst_migrate(&old, 1, &err), WARD_OK);
    assert_int_equal(sql_int(old.db, "SELECT count(*) FROM schemes"), 0);
    wsql_close(old.db);

    ward_store *s = store_open_ok(tmp);
    assert_int_equal(categories(s, NULL), 8);
    ward_store_close(s);
    scratch_remove(tmp);
}

static void set_user_version(const char *dir, int v)
{
    wsql *h = store_db_open(dir);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
    assert_int_equal(wsql_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    wsql_close(h);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char *tmp = scratch_dir("ward-store");
    ward_store *s = store_open_ok(tmp);
    ward_store_close(s);
    set_user_version(tmp, 99);
    ward_error err;
    s = (ward_store *)1;
    assert_int_equal(ward_store_open(tmp, test_store_url(), 0, &s, &err), WARD_EUNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err.message, "newer"));
    assert_non_null(strstr(err.message, "99"));
    /* Untouched. */
    wsql *h = store_db_open(tmp);
    assert_int_equal(sql_int(h, "PRAGMA user_version"), 99);
    wsql_close(h);
    scratch_remove(tmp);
}

static void test_foreign_database_refused(void **state)
{
    (void)state;
    char *tmp = scratch_dir("ward-store");
    const char *db = path_in(tmp, "ward.db");
    wsql *h = store_db_open(tmp);
    assert_int_equal(wsql_exec(h, "CREATE TABLE t(x INTEGER)", NULL, NULL, NULL), SQLITE_OK);
    wsql_close(h);
    ward_store *s;
    ward_error err;
    assert_int_equal(ward_store_open(tmp, test_store_url(), 0, &s, &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "not a ward store"));
    if (!skip_on_postgres("a file that is not an SQLite database")) {
        write_text(db, "this is not a database at all, just some text long enough.....\n");
        assert_int_equal(ward_store_open(tmp, test_store_url(), 0, &s, &err), WARD_EFORMAT);
    }
    scratch_remove(tmp);
}

static void test_schemes_and_lists(void **state)
{
    store_fx *f = *state;
    ward_store *s = f->s;
    const char *tmp = f->dir;
    ward_error err;
    uint64_t r0 = revision(s);
    assert_int_equal(ward_store_add_scheme(s, "caid-numeric", "CAID codes", &err), WARD_OK);
    assert_true(revision(s) > r0);
    assert_int_equal(ward_store_add_scheme(s, "CAID-numeric", "", &err), WARD_EINVAL);
    assert_int_equal(ward_store_add_category(s, "caid-numeric", "1", "Category A",
                                             WARD_CLASS_ALERT, &err), WARD_OK);
    assert_int_equal(ward_store_add_category(s, "caid-numeric", "9", "Not relevant",
                                             WARD_CLASS_IGNORABLE, &err), WARD_OK);
    assert_int_equal(ward_store_add_category(s, "caid-numeric", "1", "dup",
                                             WARD_CLASS_ALERT, &err), WARD_EINVAL);
    assert_int_equal(ward_store_add_category(s, "caid-numeric", "2", "x", "severe", &err),
                     WARD_EINVAL);
    assert_int_equal(ward_store_add_category(s, "nope", "2", "x", WARD_CLASS_ALERT, &err),
                     WARD_ENOTFOUND);
    assert_int_equal(ward_store_add_category(s, "caid-numeric", "uncategorised", "x",
                                             WARD_CLASS_ALERT, &err), WARD_EINVAL);

    assert_int_equal(ward_store_create_list(s, "caid", "caid-numeric", WARD_LIST_ALERT,
                                            "fake CAID-style list", &err), WARD_OK);
    assert_int_equal(ward_store_create_list(s, "caid", NULL, WARD_LIST_ALERT, NULL, &err),
                     WARD_EINVAL);
    assert_int_equal(ward_store_create_list(s, "x", "nope", WARD_LIST_ALERT, NULL, &err),
                     WARD_ENOTFOUND);

    /* An import into the list uses its scheme: codes and labels. */
    char path[4200];
    snprintf(path, sizeof path, "%s",
             write_in(tmp, "l.csv", "md5,category\n%s,1\n%s,not relevant\n", MD5_A, MD5_B));
    ward_import_summary sum;
    import_ok(s, path, WARD_FMT_CSV, "caid", &sum);
    assert_int_equal(sum.added, 2);
    ward_entries *e;
    assert_int_equal(lookup_n(s, MD5_B, 0, &e), 1);
    assert_string_equal(e->v[0].scheme, "caid-numeric");
    assert_string_equal(e->v[0].category, "9");
    assert_string_equal(e->v[0].category_class, WARD_CLASS_IGNORABLE);
    ward_entries_free(e);

    /* Importing into an existing list with another scheme is refused. */
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.scheme = WARD_SCHEME_UK;
    assert_int_equal(ward_store_import(s, path, WARD_FMT_CSV, "caid", &o, NULL, &err),
                     WARD_EINVAL);
    assert_non_null(strstr(err.message, "caid-numeric"));
}

typedef struct pairs {
    int n;
    char desc[8][128];
} pairs;

static int on_conflict(void *ctx, const ward_entry *a, const ward_entry *b)
{
    pairs *p = ctx;
    if (p->n < 8)
        snprintf(p->desc[p->n], sizeof p->desc[0], "%s:%s/%s:%s", a->list,
                 a->category ? a->category : "-", b->list, b->category ? b->category : "-");
    p->n++;
    return 0;
}

static void test_conflicting_categories_kept(void **state)
{
    store_fx *f = *state;
    ward_store *s = f->s;
    const char *tmp = f->dir;
    import_ok(s, write_in(tmp, "a.csv", "md5,category,series\n%s,1,series-one\n%s,,\n",
                          MD5_A, MD5_B),
              WARD_FMT_CSV, "list-a", NULL);
    import_ok(s, write_in(tmp, "b.csv", "md5,category\n%s,2\n%s,0\n", MD5_A, MD5_B),
              WARD_FMT_CSV, "list-b", NULL);
    import_ok(s, write_in(tmp, "c.csv", "md5,category\n%s,1\n", MD5_A), WARD_FMT_CSV,
              "list-c", NULL);
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.default_category = "known-good";
    o.scheme = WARD_SCHEME_KNOWN_GOOD;
    o.kind = WARD_LIST_KNOWN_GOOD;
    ward_error err;
    assert_int_equal(ward_store_import(s, write_in(tmp, "d.csv", "md5\n%s\n", MD5_A),
                                       WARD_FMT_CSV, "good", &o, NULL, &err),
                     WARD_OK);

    /* Both verdicts kept. */
    ward_entries *e;
    assert_int_equal(lookup_n(s, MD5_A, 0, &e), 4);
    int n_conflict = 0;
    for (size_t i = 0; i < e->count; i++) {
        n_conflict += e->v[i].conflict;
        if (!strcmp(e->v[i].list, "list-a")) {
            assert_string_equal(e->v[i].category, "1");
            assert_string_equal(e->v[i].series, "series-one");
        }
        if (!strcmp(e->v[i].list, "list-b"))
            assert_string_equal(e->v[i].category, "2");
        if (!strcmp(e->v[i].list, "good")) {
            assert_int_equal(e->v[i].list_kind, WARD_LIST_KNOWN_GOOD);
            assert_string_equal(e->v[i].category, "known-good");
        }
    }
    assert_int_equal(n_conflict, 4);
    ward_entries_free(e);

    /* MD5_B: uncategorised in list-a, 0 (non-pertinent) in list-b: no conflict. */
    assert_int_equal(lookup_n(s, MD5_B, 0, &e), 2);
    assert_false(e->v[0].conflict || e->v[1].conflict);
    ward_entries_free(e);

    /* a:1 vs b:2 (same scheme), a:1 vs good (alert vs ignorable), b:2 vs c:1,
     * b vs good, c vs good; a:1 vs c:1 agree. */
    pairs p = {0};
    assert_int_equal(ward_store_conflicts(s, on_conflict, &p, &err), WARD_OK);
    assert_int_equal(p.n, 5);
    assert_string_equal(p.desc[0], "list-a:1/list-b:2");
}

typedef struct removed_seen {
    int n;
    char who[64], why[128], list[64];
} removed_seen;

static int on_removed(void *ctx, const ward_entry *e)
{
    removed_seen *r = ctx;
    r->n++;
    snprintf(r->who, sizeof r->who, "%s", e->removed_by);
    snprintf(r->why, sizeof r->why, "%s", e->removed_reason);
    snprintf(r->list, sizeof r->list, "%s", e->list);
    assert_true(e->removed);
    assert_non_null(e->removed_at);
    return 0;
}

static void test_remove_with_reason(void **state)
{
    store_fx *f = *state;
    ward_store *s = f->s;
    const char *tmp = f->dir;
    char p1[4200];
    snprintf(p1, sizeof p1, "%s", write_in(tmp, "a.csv", "md5,category\n%s,1\n%s,2\n", MD5_A, MD5_B));
    import_ok(s, p1, WARD_FMT_CSV, "list-a", NULL);
    import_ok(s, p1, WARD_FMT_CSV, "list-b", NULL);
    assert_int_equal(live_entries(s), 4);

    ward_error err;
    uint64_t n = 0;
    assert_int_equal(ward_store_remove(s, MD5_A, "list-a", "analyst-7", NULL, &n, &err),
                     WARD_EINVAL);
    assert_int_equal(ward_store_remove(s, MD5_A, "list-a", NULL, "why", &n, &err), WARD_EINVAL);
    assert_int_equal(ward_store_remove(s, MD5_A, "nope", "a", "why", &n, &err), WARD_ENOTFOUND);
    uint64_t r0 = revision(s);
    assert_int_equal(ward_store_remove(s, MD5_A, "list-a", "analyst-7",
                                       "false positive: a stock wallpaper", &n, &err),
                     WARD_OK);
    assert_int_equal(n, 1);
    assert_true(revision(s) > r0);
    assert_int_equal(live_entries(s), 3);
    assert_int_equal(ward_store_remove(s, MD5_A, "list-a", "x", "again", &n, &err),
                     WARD_ENOTFOUND);

    ward_entries *e;
    assert_int_equal(lookup_n(s, MD5_A, 0, &e), 1);
    assert_string_equal(e->v[0].list, "list-b");
    ward_entries_free(e);
    assert_int_equal(lookup_n(s, MD5_A, WARD_LOOKUP_REMOVED, &e), 2);
    uint64_t removed_id = 0;
    for (size_t i = 0; i < e->count; i++)
        if (e->v[i].removed) {
            removed_id = e->v[i].id;
            assert_string_equal(e->v[i].removed_by, "analyst-7");
            assert_string_equal(e->v[i].list, "list-a");
        }
    assert_true(removed_id != 0);
    ward_entries_free(e);

    removed_seen rs = {0};
    assert_int_equal(ward_store_removed(s, on_removed, &rs, &err), WARD_OK);
    assert_int_equal(rs.n, 1);
    assert_string_equal(rs.who, "analyst-7");
    assert_string_equal(rs.why, "false positive: a stock wallpaper");

    /* Re-importing the list does not bring it back. */
    ward_import_summary sum;
    import_ok(s, p1, WARD_FMT_CSV, "list-a", &sum);
    assert_int_equal(sum.removed, 1);
    assert_int_equal(sum.duplicate, 1);
    assert_int_equal(sum.added, 0);
    assert_int_equal(live_entries(s), 3);

    /* Remove by id, and from all lists at once. */
    assert_int_equal(ward_store_get(s, removed_id, &e, &err), WARD_OK);
    assert_true(e->v[0].removed);
    ward_entries_free(e);
    assert_int_equal(ward_store_remove_id(s, removed_id, "a", "b", &err), WARD_ENOTFOUND);
    assert_int_equal(ward_store_remove(s, MD5_B, NULL, "analyst-8", "duplicate listing", &n,
                                       &err), WARD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(live_entries(s), 1);
    rs.n = 0;
    assert_int_equal(ward_store_removed(s, on_removed, &rs, &err), WARD_OK);
    assert_int_equal(rs.n, 3);

    ward_store_stats *st;
    assert_int_equal(ward_store_stats_get(s, &st, &err), WARD_OK);
    assert_int_equal(st->removed, 3);
    ward_store_stats_free(st);
}

typedef struct iter {
    int n, with_pdq, with_md5;
    uint64_t last;
} iter;

static int on_item(void *ctx, uint64_t id, const ward_digests *d, const ward_pdq *pdq)
{
    iter *it = ctx;
    assert_true(id > it->last);
    it->last = id;
    it->n++;
    it->with_pdq += pdq != NULL;
    it->with_md5 += (d->present & WARD_DIGEST_MD5) != 0;
    return 0;
}

static int stop_at_two(void *ctx, uint64_t id, const ward_digests *d, const ward_pdq *pdq)
{
    (void)id; (void)d; (void)pdq;
    return ++*(int *)ctx == 2 ? 42 : 0;
}

static void test_iterate_lookup_stats(void **state)
{
    store_fx *f = *state;
    ward_store *s = f->s;
    const char *tmp = f->dir;
    const char *pdq = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    const char *sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    import_ok(s,
              write_in(tmp, "x.csv",
                       "md5,sha1,sha256,pdq,quality,category\n"
                       "%s,,,,,1\n"
                       ",a94a8fe5ccb19ba61c4c0873d391e987982fbbd3,%s,,,2\n"
                       ",,,%s,90,3\n",
                       MD5_A, sha256, pdq),
              WARD_FMT_CSV, "mixed", NULL);

    iter it = {0};
    uint64_t rev = 0;
    ward_error err;
    assert_int_equal(ward_store_iterate(s, on_item, &it, &rev, &err), WARD_OK);
    assert_int_equal(it.n, 3);
    assert_int_equal(it.with_pdq, 1);
    assert_int_equal(it.with_md5, 1);
    assert_int_equal(rev, revision(s));
    int calls = 0;
    assert_int_equal(ward_store_iterate(s, stop_at_two, &calls, NULL, &err), WARD_OK);
    assert_int_equal(calls, 2);

    /* 64 hex digits: a SHA-256 or a PDQ; a prefix picks one. */
    ward_entries *e;
    assert_int_equal(lookup_n(s, pdq, 0, &e), 1);
    assert_int_equal(e->v[0].pdq_quality, 90);
    assert_true(e->v[0].has_pdq);
    ward_entries_free(e);
    char q[100];
    snprintf(q, sizeof q, "sha256:%s", pdq);
    assert_int_equal(lookup_n(s, q, 0, NULL), 0);
    snprintf(q, sizeof q, "  SHA256:%s\n", sha256);
    for (char *c = q; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 32);
    assert_int_equal(lookup_n(s, q, 0, &e), 1);
    assert_string_equal(e->v[0].category, "2");
    assert_string_equal(e->v[0].category_label, "Child exploitive (age difficult)");
    assert_string_equal(e->v[0].list, "mixed");
    assert_string_equal(e->v[0].import_format, "csv");
    assert_non_null(strstr(e->v[0].import_path, "x.csv"));
    assert_true(e->v[0].import_id > 0);
    ward_entries_free(e);
    assert_int_equal(ward_store_lookup(s, "xyz", 0, &e, &err), WARD_EINVAL);
    assert_int_equal(ward_store_lookup(s, "md5:0123", 0, &e, &err), WARD_EINVAL);
    assert_int_equal(ward_store_get(s, 999999, &e, &err), WARD_ENOTFOUND);

    ward_store_stats *st;
    assert_int_equal(ward_store_stats_get(s, &st, &err), WARD_OK);
    assert_int_equal(st->entries, 3);
    assert_int_equal(st->with_md5, 1);
    assert_int_equal(st->with_sha1, 1);
    assert_int_equal(st->with_sha256, 1);
    assert_int_equal(st->with_pdq, 1);
    assert_int_equal(st->imports, 1);
    assert_int_equal(st->n_lists, 1);
    assert_string_equal(st->lists[0].name, "mixed");
    assert_int_equal(st->lists[0].entries, 3);
    assert_int_equal(st->n_categories, 3);
    assert_string_equal(st->categories[0].category, "1");
    assert_int_equal(st->categories[0].entries, 1);
    ward_store_stats_free(st);
}

typedef struct li {
    int n;
    uint64_t entries;
    ward_list_kind kind;
} li;

static int on_list(void *ctx, const ward_list_info *l)
{
    li *x = ctx;
    x->n++;
    x->entries = l->entries;
    x->kind = l->kind;
    return 0;
}

typedef struct ii {
    int n, ok, failed;
} ii;

static int on_import(void *ctx, const ward_import_info *i)
{
    ii *x = ctx;
    x->n++;
    x->ok += !strcmp(i->status, "ok");
    x->failed += strcmp(i->status, "ok") != 0;
    if (!strcmp(i->status, "ok")) {
        assert_non_null(i->file_sha256);
        assert_int_equal(strlen(i->file_sha256), 64);
        assert_non_null(i->finished);
    } else {
        assert_non_null(i->message);
    }
    return 0;
}

static void test_revision_lists_imports(void **state)
{
    store_fx *f = *state;
    ward_store *s = f->s;
    const char *tmp = f->dir;
    char p[4200], bad[4200];
    snprintf(p, sizeof p, "%s", write_in(tmp, "x.txt", "%s  sample-0001.jpg\n", MD5_A));
    snprintf(bad, sizeof bad, "%s", write_in(tmp, "bad.json", "{\"value\": [ {\"MD5\": \"x\"} \n"));
    uint64_t r0 = revision(s);
    import_ok(s, p, WARD_FMT_AUTO, "sums", NULL);
    uint64_t r1 = revision(s);
    assert_true(r1 > r0);
    import_ok(s, p, WARD_FMT_AUTO, "sums", NULL); /* nothing new, still a commit */
    assert_true(revision(s) > r1);
    ward_error err;
    assert_int_equal(ward_store_import(s, bad, WARD_FMT_AUTO, "sums", NULL, NULL, &err),
                     WARD_EFORMAT);
    li l = {0};
    assert_int_equal(ward_store_lists(s, on_list, &l, &err), WARD_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.entries, 1);
    assert_int_equal(l.kind, WARD_LIST_ALERT);
    ii x = {0};
    assert_int_equal(ward_store_imports(s, on_import, &x, &err), WARD_OK);
    assert_int_equal(x.n, 3);
    assert_int_equal(x.ok, 2);
    assert_int_equal(x.failed, 1);
}

#define WITH_STORE(test) cmocka_unit_test_setup_teardown(test, store_setup, store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_empty_dir_and_reopen),
        cmocka_unit_test(test_migration_from_version_1),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_foreign_database_refused),
        WITH_STORE(test_schemes_and_lists),
        WITH_STORE(test_conflicting_categories_kept),
        WITH_STORE(test_remove_with_reason),
        WITH_STORE(test_iterate_lookup_stats),
        WITH_STORE(test_revision_lists_imports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
