/*
 * Making a release: store lists exported, merged, sorted into the canonical
 * full file, signed, and published into the tree with atomic renames.
 */
#include "release/rel_int.h"
#include "util/error.h"
#include "util/path.h"
#include "util/escape.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ward/digest.h>

/* ---- building a release from the store ----------------------------------- */

typedef struct rec {
    const char *p;
    uint32_t len, klen, prio;
} rec;

typedef struct source {
    const char *want;
    char name[256], scheme[256];
    ward_list_kind kind;
    int found;
} source;

static int find_list(void *ctx, const ward_list_info *l)
{
    source *s = ctx;
    if (strcasecmp(l->name, s->want) == 0) {
        snprintf(s->name, sizeof s->name, "%s", l->name);
        snprintf(s->scheme, sizeof s->scheme, "%s", l->scheme);
        s->kind = l->kind;
        s->found = 1;
    }
    return 0;
}

/* The list column as ward's CSV writer encodes it, with its comma. */
static char *list_suffix(const char *name)
{
    strbuf b = {0};
    if (!strbuf_add(&b, ",", 1) || !esc_csv_field(&b, name, strlen(name)) ||
        !strbuf_add(&b, "", 1)) {
        strbuf_free(&b);
        return NULL;
    }
    return b.s; /* NUL-terminated above; the caller frees it */
}

typedef struct build {
    rec *v;
    size_t n, cap;
    rel_map *maps;
    size_t n_maps;
} build;

/* Export one list as CSV into `path`, map it and take its records. */
static ward_status take_list(ward_store *s, const source *src, uint32_t prio,
                             const char *path, build *b, ward_error *err)
{
    FILE *f = fopen(path, "w+");
    if (!f)
        return err_fail_errno(err, errno, "cannot create %s", path);
    ward_export_opts o = {.list = src->name};
    ward_status rc = ward_store_export(s, f, WARD_FMT_CSV, &o, NULL, NULL, err);
    if (fclose(f) != 0 && rc == WARD_OK)
        rc = err_fail_errno(err, errno, "cannot write %s", path);
    char *suffix = list_suffix(src->name);
    if (rc == WARD_OK && !suffix)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    rel_map *m = &b->maps[b->n_maps];
    if (rc == WARD_OK && (rc = rel_map_open(m, path, err)) == WARD_OK)
        b->n_maps++;
    const char *r;
    size_t len, sl = suffix ? strlen(suffix) : 0;
    int header = 1;
    while (rc == WARD_OK && rel_map_next(m, &r, &len)) {
        if (len && r[len - 1] == '\r')
            len--;
        if (header) {
            header = 0;
            continue;
        }
        if (len < sl || memcmp(r + len - sl, suffix, sl) != 0 || len - sl > UINT32_MAX) {
            rc = err_fail(err, WARD_EINTERNAL, "export of list %s: unexpected record",
                           src->name);
            break;
        }
        len -= sl;
        if (b->n == b->cap) {
            size_t cap = b->cap ? 2 * b->cap : 4096;
            rec *v = realloc(b->v, cap * sizeof *v);
            if (!v) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            b->v = v;
            b->cap = cap;
        }
        b->v[b->n++] = (rec){r, (uint32_t)len, (uint32_t)rel_key_len(r, len), prio};
    }
    free(suffix);
    return rc;
}

static int rec_cmp(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    int c = rel_key_cmp(x->p, x->klen, y->p, y->klen);
    if (c)
        return c;
    if (x->prio != y->prio)
        return x->prio < y->prio ? -1 : 1;
    /* Same key twice in one list: order by content, for one outcome. */
    size_t n = x->len < y->len ? x->len : y->len;
    c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Category counts: field 6 of each record, "uncategorised" when empty. */
typedef struct counts {
    struct { char *code; uint64_t n; } *v;
    size_t n, cap;
} counts;

static int count_category(counts *c, const char *r, size_t len)
{
    const char *f = r, *end = r + len;
    for (int i = 0; i < 5 && f; i++) {
        int quoted = 0;
        while (f < end && (quoted || *f != ',')) {
            if (*f == '"')
                quoted = !quoted;
            f++;
        }
        f = f < end ? f + 1 : NULL;
    }
    char code[128] = "uncategorised";
    if (f && f < end && *f != ',') {
        size_t o = 0;
        int quoted = *f == '"';
        for (const char *q = f + quoted; q < end && o < sizeof code - 1; q++) {
            if (quoted && *q == '"') {
                if (q + 1 < end && q[1] == '"') {
                    code[o++] = '"';
                    q++;
                    continue;
                }
                break;
            }
            if (!quoted && *q == ',')
                break;
            code[o++] = *q;
        }
        code[o] = 0;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].code, code) == 0) {
            c->v[i].n++;
            return 0;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        void *v = realloc(c->v, cap * sizeof *c->v);
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    if (!(c->v[c->n].code = strdup(code)))
        return -1;
    c->v[c->n++].n = 1;
    return 0;
}

static char *counts_json(const counts *c)
{
    size_t cap = 16 + c->n * 160;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t o = (size_t)snprintf(s, cap, "{");
    for (size_t i = 0; i < c->n; i++) {
        o += (size_t)snprintf(s + o, cap - o, "%s\"", i ? "," : "");
        for (const char *q = c->v[i].code; *q; q++)
            if ((unsigned char)*q >= 0x20 && *q != '"' && *q != '\\')
                s[o++] = *q; /* codes are plain names; drop what JSON would escape */
        o += (size_t)snprintf(s + o, cap - o, "\":%llu", (unsigned long long)c->v[i].n);
    }
    snprintf(s + o, cap - o, "}");
    return s;
}

static void counts_free(counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].code);
    free(c->v);
}

/* Sort, drop repeated keys (first list wins), write the full file. */
static ward_status write_full(build *b, const char *path, rel_manifest *m, ward_error *err)
{
    if (b->n)
        qsort(b->v, b->n, sizeof *b->v, rec_cmp);
    FILE *f = fopen(path, "w");
    if (!f)
        return err_fail_errno(err, errno, "cannot create %s", path);
    counts c = {0};
    int nomem = 0;
    fputs(REL_FULL_HEADER, f);
    for (size_t i = 0; i < b->n; i++) {
        const rec *r = &b->v[i];
        if (i && rel_key_cmp(b->v[i - 1].p, b->v[i - 1].klen, r->p, r->klen) == 0) {
            const rec *w = &b->v[i - 1];
            if (w->len != r->len || memcmp(w->p, r->p, r->len))
                m->conflicts++;
            b->v[i] = *w; /* keep the winner as the one to compare with */
            continue;
        }
        fwrite(r->p, 1, r->len, f);
        fputc('\n', f);
        m->entries++;
        nomem |= count_category(&c, r->p, r->len);
    }
    ward_status rc = rel_close_synced(f, path, err);
    if (rc == WARD_OK && (nomem || !(m->categories_json = counts_json(&c))))
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    counts_free(&c);
    return rc;
}

typedef struct removed_ctx {
    const source *src;
    size_t n_src;
    rel_reasons *r;
    ward_status rc;
    ward_error *err;
} removed_ctx;

static int take_removed(void *ctx, const ward_entry *e)
{
    removed_ctx *x = ctx;
    int mine = 0;
    for (size_t i = 0; i < x->n_src && !mine; i++)
        mine = strcasecmp(x->src[i].name, e->list) == 0;
    if (!mine)
        return 0;
    char key[4 * 65 + 4] = "", hex[65];
    const uint8_t *b[4] = {e->digests.md5, e->digests.sha1, e->digests.sha256, e->pdq.b};
    static const size_t len[4] = {16, 20, 32, 32};
    int have[4] = {!!(e->digests.present & WARD_DIGEST_MD5),
                   !!(e->digests.present & WARD_DIGEST_SHA1),
                   !!(e->digests.present & WARD_DIGEST_SHA256), e->has_pdq};
    for (int k = 0; k < 4; k++) {
        if (k)
            strcat(key, ",");
        if (have[k]) {
            ward_hex(b[k], len[k], hex);
            strcat(key, hex);
        }
    }
    char *why = rel_fmt("%s (removed by %s at %s)", e->removed_reason ? e->removed_reason : "",
                        e->removed_by ? e->removed_by : "?", e->removed_at ? e->removed_at : "?");
    x->rc = why ? rel_reasons_add(x->r, key, strlen(key), why, strlen(why), x->err)
                : err_fail(x->err, WARD_ENOMEM, "out of memory");
    free(why);
    return x->rc != WARD_OK;
}

static ward_status write_removed(ward_store *s, const source *src, size_t n_src,
                                 const char *path, rel_reasons *r, ward_error *err)
{
    removed_ctx x = {src, n_src, r, WARD_OK, err};
    ward_status rc = ward_store_removed(s, take_removed, &x, err);
    if (rc == WARD_OK)
        rc = x.rc;
    if (rc)
        return rc;
    rel_reasons_sort(r);
    FILE *f = fopen(path, "w");
    if (!f)
        return err_fail_errno(err, errno, "cannot create %s", path);
    for (size_t i = 0; i < r->n; i++)
        if (!i || strcasecmp(r->v[i - 1].key, r->v[i].key))
            fprintf(f, "%s\t%s\n", r->v[i].key, r->v[i].reason);
    return rel_close_synced(f, path, err);
}

static void now_utc(char out[40])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *sources_json(const source *src, size_t n)
{
    size_t cap = 8;
    for (size_t i = 0; i < n; i++)
        cap += 2 * strlen(src[i].name) + 4;
    char *s = malloc(cap), *o = s;
    if (!s)
        return NULL;
    *o++ = '[';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *c = src[i].name; *c; c++) {
            if (*c == '"' || *c == '\\')
                *o++ = '\\';
            *o++ = (unsigned char)*c < 0x20 ? ' ' : *c;
        }
        *o++ = '"';
    }
    *o++ = ']';
    *o = 0;
    return s;
}

static ward_status publish(const char *root, const char *list, const char *stage,
                           uint64_t parent, uint64_t version, ward_error *err)
{
    char *dst = rel_fmt("%s/%s/%llu", root, list, (unsigned long long)version);
    char *dsrc = rel_fmt("%s/delta", stage);
    char *ddir = rel_fmt("%s/%s/%llu..%llu", root, list, (unsigned long long)parent,
                         (unsigned long long)version);
    char *dtmp = rel_fmt("%s/%s/.delta-%d", root, list, (int)getpid());
    char *dfile = rel_fmt("%s/delta", dtmp);
    ward_status rc = WARD_OK;
    if (!dst || !dsrc || !ddir || !dtmp || !dfile)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    else if (parent) {
        /* The delta waits outside the version directory, which must hold
         * only what a version is. */
        rel_remove_dir(dtmp);
        if (mkdir(dtmp, 0755) != 0 || rename(dsrc, dfile) != 0)
            rc = err_fail_errno(err, errno, "cannot stage the delta in %s", dtmp);
    }
    if (rc == WARD_OK && rename(stage, dst) != 0)
        rc = errno == EEXIST || errno == ENOTEMPTY
                 ? err_fail(err, WARD_EINVAL,
                             "%s: version %llu was published by another process meanwhile",
                             list, (unsigned long long)version)
                 : err_fail_errno(err, errno, "cannot publish %s", dst);
    if (rc == WARD_OK && parent) {
        rel_remove_dir(ddir); /* a stale one from a crashed attempt */
        if (rename(dtmp, ddir) != 0)
            rc = err_fail_errno(err, errno, "cannot publish %s", ddir);
    }
    if (rc == WARD_OK)
        rc = rel_write_index(root, list, err);
    if (dtmp)
        rel_remove_dir(dtmp);
    free(dst);
    free(dsrc);
    free(ddir);
    free(dtmp);
    free(dfile);
    return rc;
}

typedef struct create_state {
    source *src;
    build b;
    rel_reasons reasons;
    rel_manifest m;
    ward_seckey key;
    char *dir, *stage;
    const char *series_src;   /* the caller's series file, or NULL */
} create_state;

static void create_free(create_state *c, int keep_stage)
{
    for (size_t i = 0; i < c->b.n_maps; i++)
        rel_map_close(&c->b.maps[i]);
    free(c->b.maps);
    free(c->b.v);
    rel_reasons_free(&c->reasons);
    rel_manifest_free(&c->m);
    ward_key_wipe(&c->key);
    if (c->stage && !keep_stage)
        rel_remove_dir(c->stage);
    free(c->stage);
    free(c->dir);
    free(c->src);
}

static ward_status stage_path(create_state *c, const char *name, char **out, ward_error *err)
{
    *out = rel_fmt("%s/%s", c->stage, name);
    return *out ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
}

static ward_status find_sources(ward_store *s, const ward_release_create_opts *o,
                                create_state *c, ward_error *err)
{
    if (!(c->src = calloc(o->n_lists, sizeof *c->src)) ||
        !(c->b.maps = calloc(o->n_lists, sizeof *c->b.maps)))
        return err_fail(err, WARD_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->n_lists; i++) {
        c->src[i].want = o->lists[i];
        ward_status rc = ward_store_lists(s, find_list, &c->src[i], err);
        if (rc)
            return rc;
        if (!c->src[i].found)
            return err_fail(err, WARD_ENOTFOUND, "no list '%s' in the store", o->lists[i]);
    }
    return WARD_OK;
}

/* The caller's series file copied into the version as `series`, its digest
 * in the manifest: the signature covers it like the full file. */
static ward_status stage_series(create_state *c, ward_error *err)
{
    char *dst = NULL, *text = NULL;
    size_t n = 0;
    ward_status rc = stage_path(c, "series", &dst, err);
    if (rc == WARD_OK)
        rc = rel_read_file(c->series_src, (size_t)1 << 30, &text, &n, err);
    if (rc == WARD_OK)
        rc = rel_write_atomic(dst, text, n, 0644, err);
    if (rc == WARD_OK)
        rc = rel_sha256_file(dst, c->m.series_sha256, &c->m.series_bytes, err);
    free(text);
    free(dst);
    return rc;
}

/* Build the staged files; *parent gets the version the delta starts from. */
static ward_status stage_release(ward_store *s, const char *root, const char *name,
                                 create_state *c, size_t n_src, ward_error *err)
{
    uint64_t *v;
    size_t nv;
    ward_status rc = rel_versions(root, name, &v, &nv, err);
    if (rc)
        return rc;
    c->m.parent = nv ? v[nv - 1] : 0;
    c->m.version = c->m.parent + 1;
    free(v);
    char *p = NULL;
    for (size_t i = 0; i < n_src && rc == WARD_OK; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "export-%zu", i);
        if ((rc = stage_path(c, tmp, &p, err)) == WARD_OK)
            rc = take_list(s, &c->src[i], (uint32_t)i, p, &c->b, err);
        if (p)
            unlink(p); /* the mapping stays valid */
        free(p);
        p = NULL;
    }
    char *full = NULL, *removed = NULL, *delta = NULL, *prev = NULL;
    if (rc == WARD_OK && (rc = stage_path(c, "full", &full, err)) == WARD_OK)
        rc = write_full(&c->b, full, &c->m, err);
    if (rc == WARD_OK)
        rc = rel_sha256_file(full, c->m.full_sha256, &c->m.full_bytes, err);
    if (rc == WARD_OK && c->series_src)
        rc = stage_series(c, err);
    if (rc == WARD_OK && (rc = stage_path(c, "removed", &removed, err)) == WARD_OK)
        rc = write_removed(s, c->src, n_src, removed, &c->reasons, err);
    if (rc == WARD_OK && c->m.parent) {
        prev = rel_fmt("%s/%s/%llu/full", root, name, (unsigned long long)c->m.parent);
        FILE *f = NULL;
        rel_delta_counts dc;
        if (!prev || (rc = stage_path(c, "delta", &delta, err)))
            rc = rc ? rc : err_fail(err, WARD_ENOMEM, "out of memory");
        else if (!(f = fopen(delta, "w")))
            rc = err_fail_errno(err, errno, "cannot create %s", delta);
        else {
            rc = rel_delta_write(prev, full, &c->reasons, name, c->m.parent, c->m.version, f,
                                 &dc, err);
            ward_status rc2 = rel_close_synced(f, delta, err);
            rc = rc ? rc : rc2;
        }
        if (rc == WARD_OK) {
            c->m.delta_from = c->m.parent;
            c->m.delta_added = dc.added;
            c->m.delta_removed = dc.removed;
            rc = rel_sha256_file(delta, c->m.delta_sha256, &c->m.delta_bytes, err);
        }
    }
    free(full);
    free(removed);
    free(delta);
    free(prev);
    return rc;
}

ward_status ward_release_create(ward_store *s, const char *datadir,
                                const ward_release_create_opts *o, ward_release_info *info,
                                ward_error *err)
{
    if (!s || !datadir || !o || !o->lists || o->n_lists == 0)
        return err_fail(err, WARD_EINVAL, "ward_release_create: no list given");
    const char *name = o->name ? o->name : o->lists[0];
    if (!rel_valid_name(name, strlen(name)))
        return err_fail(err, WARD_EINVAL,
                         "'%s' cannot name a release: use 1-100 letters, digits, '.', '_' "
                         "or '-' (give one with --name)", name);
    create_state c = {0};
    c.series_src = o->series_path;
    char *own_root = o->root ? NULL : ward_release_root(datadir);
    const char *root = o->root ? o->root : own_root;
    ward_status rc = root ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK)
        rc = ward_key_load_secret(datadir, o->key_path, &c.key, err);
    if (rc == WARD_OK)
        rc = find_sources(s, o, &c, err);
    if (rc == WARD_OK) {
        c.dir = rel_fmt("%s/%s", root, name);
        c.stage = rel_fmt("%s/%s/.stage-%d", root, name, (int)getpid());
        if (!c.dir || !c.stage)
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (rc == WARD_OK && (rc = path_mkdirs(c.dir, err)) == WARD_OK) {
        chmod(root, 0755);
        chmod(c.dir, 0755);
        rel_remove_dir(c.stage);
        if (mkdir(c.stage, 0755) != 0)
            rc = err_fail_errno(err, errno, "cannot create %s", c.stage);
    }
    if (rc == WARD_OK)
        rc = stage_release(s, root, name, &c, o->n_lists, err);
    if (rc == WARD_OK) {
        snprintf(c.m.list, sizeof c.m.list, "%s", name);
        now_utc(c.m.created);
        snprintf(c.m.scheme, sizeof c.m.scheme, "%s", c.src[0].scheme);
        snprintf(c.m.kind, sizeof c.m.kind, "%s",
                 c.src[0].kind == WARD_LIST_KNOWN_GOOD ? "known-good" : "alert");
        c.m.sources_json = sources_json(c.src, o->n_lists);
        char *text = NULL, *mp = NULL;
        size_t n = 0;
        if (!c.m.sources_json)
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
        if (rc == WARD_OK && (rc = rel_manifest_sign(&c.m, &c.key, &text, &n, err)) == WARD_OK &&
            (rc = stage_path(&c, "manifest", &mp, err)) == WARD_OK)
            rc = rel_write_atomic(mp, text, n, 0644, err);
        free(text);
        free(mp);
    }
    if (rc == WARD_OK)
        rc = publish(root, name, c.stage, c.m.parent, c.m.version, err);
    if (rc == WARD_OK && info) {
        rel_info_from_manifest(&c.m, info);
        memcpy(info->key_id, c.key.pub.id, sizeof info->key_id);
    }
    create_free(&c, 0);
    free(own_root);
    return rc;
}

