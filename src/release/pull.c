/*
 * The subscriber's side: `ward release pull`.
 *
 * Everything a pull downloads lands in <datadir>/subscriptions/<list>/ and
 * is checked -- manifest signature, file digests, the digest of the full
 * release a delta produces -- before the store is touched. Only then is a
 * journal ("pending") written, and the store brought to the new version
 * from it. Every step of that is idempotent (imports of what is there are
 * duplicates, removals of what is gone are no-ops), so a pull killed at any
 * point is finished by the next one, never half-applied for good.
 *
 *   state          version held, key, url, digest of `full`
 *   full           the release held, byte for byte
 *   pending        journal of the version being applied
 *   series         the series of the version held (optional; the victim
 *                  module applies it, src/victim/release.c)
 *   full.new, manifest.new, reasons.new, series.new    its checked files
 *   dl/NAME.part   downloads in progress (resumed with HTTP Range)
 */
#include "release/fetch.h"
#include "release/rel_int.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define SMALL_MAX (1u << 20) /* index.json and manifests */

typedef struct sub_state {
    char list[128], url[2048], key[17], full_sha256[65], pulled[40];
    char scheme[256], kind[16];
    uint64_t version;
    int have;
} sub_state;

typedef struct pull {
    const char *datadir;
    const char *store_url;
    const ward_release_pull_opts *o;
    char base[2048];   /* release URL, no trailing '/' */
    char list[128];
    char *dir;         /* <datadir>/subscriptions/<list> */
    ward_pubkey key;
    sub_state st;
    rel_reasons reasons;
    ward_release_pull_result *res;
} pull;

static void say(pull *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(pull *p, const char *fmt, ...)
{
    if (!p->o || !p->o->progress)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->o->progress(p->o->progress_ctx, line);
}

static char *sub_path(const pull *p, const char *name)
{
    return rel_fmt("%s/%s", p->dir, name);
}

/* ---- state files: key=value lines ---------------------------------------- */

static ward_status state_read(const char *path, sub_state *s, ward_error *err)
{
    memset(s, 0, sizeof *s);
    char *text;
    ward_status rc = rel_read_file(path, 65536, &text, NULL, err);
    if (rc == WARD_ENOTFOUND)
        return WARD_OK;
    if (rc)
        return rc;
    struct { const char *k; char *v; size_t cap; } f[] = {
        {"list", s->list, sizeof s->list},       {"url", s->url, sizeof s->url},
        {"key", s->key, sizeof s->key},          {"full_sha256", s->full_sha256, sizeof s->full_sha256},
        {"pulled", s->pulled, sizeof s->pulled}, {"scheme", s->scheme, sizeof s->scheme},
        {"kind", s->kind, sizeof s->kind}};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        if (!strcmp(line, "version"))
            s->version = strtoull(eq + 1, NULL, 10);
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (!strcmp(line, f[i].k))
                snprintf(f[i].v, f[i].cap, "%s", eq + 1);
    }
    free(text);
    s->have = s->version > 0 && s->key[0];
    if (!s->have)
        return err_fail(err, WARD_EFORMAT, "%s: damaged subscription state", path);
    return WARD_OK;
}

static ward_status state_write(const char *path, const sub_state *s, ward_error *err)
{
    char *text = rel_fmt("list=%s\nversion=%" PRIu64 "\nkey=%s\nfull_sha256=%s\nurl=%s\n"
                         "pulled=%s\nscheme=%s\nkind=%s\n",
                         s->list, s->version, s->key, s->full_sha256, s->url, s->pulled,
                         s->scheme, s->kind);
    if (!text)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = rel_write_atomic(path, text, strlen(text), 0600, err);
    free(text);
    return rc;
}

/* ---- addresses ------------------------------------------------------------ */

static ward_status parse_url(pull *p, const char *url, ward_error *err)
{
    if (strstr(url, "://")) {
        snprintf(p->base, sizeof p->base, "%s", url);
    } else {
        char real[PATH_MAX];
        if (!realpath(url, real))
            return err_fail_errno(err, errno, "%s", url);
        snprintf(p->base, sizeof p->base, "file://%s", real);
    }
    size_t n = strlen(p->base);
    while (n && p->base[n - 1] == '/')
        p->base[--n] = 0;
    const char *slash = strrchr(p->base, '/');
    const char *name = slash ? slash + 1 : p->base;
    if (!rel_valid_name(name, strlen(name)) || strchr(name, '?'))
        return err_fail(err, WARD_EINVAL,
                         "%s: expected a release address ending in the release name, "
                         "e.g. https://host/v1/releases/NAME", url);
    snprintf(p->list, sizeof p->list, "%s", name);
    return WARD_OK;
}

static char *url_of(const pull *p, const char *fmt, uint64_t a, uint64_t b)
{
    char tail[128];
    snprintf(tail, sizeof tail, fmt, (unsigned long long)a, (unsigned long long)b);
    return rel_fmt("%s/%s", p->base, tail);
}

/* ---- what the publisher offers --------------------------------------------- */

static ward_status fetch_latest(pull *p, uint64_t *latest, ward_error *err)
{
    char *url = rel_fmt("%s/index.json", p->base), *text = NULL;
    size_t n;
    if (!url)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = rel_fetch_mem(url, p->o ? p->o->api_key : NULL, SMALL_MAX, &text, &n, err);
    if (rc == WARD_OK) {
        yajl_val v = yajl_tree_parse(text, NULL, 0);
        const char *path[] = {"latest", NULL};
        yajl_val l = v ? yajl_tree_get(v, path, yajl_t_number) : NULL;
        if (!l || !YAJL_IS_INTEGER(l) || YAJL_GET_INTEGER(l) < 1)
            rc = err_fail(err, WARD_EFORMAT, "%s: not a release index", url);
        else
            *latest = (uint64_t)YAJL_GET_INTEGER(l);
        yajl_tree_free(v);
    }
    free(text);
    free(url);
    return rc;
}

/* Manifest of `version`, signature checked, and that it is what we asked
 * for: the right list, the right version. Kept in *text for the journal. */
static ward_status fetch_manifest(pull *p, uint64_t version, rel_manifest *m, char **text,
                                  ward_error *err)
{
    char *url = url_of(p, "%llu/manifest", version, 0);
    size_t n;
    *text = NULL;
    ward_status rc = url ? rel_fetch_mem(url, p->o ? p->o->api_key : NULL, SMALL_MAX, text, &n, err)
                         : err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK && (rc = rel_manifest_parse(*text, n, &p->key, m, err)) == WARD_OK) {
        if (strcmp(m->list, p->list) != 0)
            rc = err_fail(err, WARD_EFORMAT, "%s: manifest is for release '%s', not '%s'",
                           url, m->list, p->list);
        else if (m->version != version)
            rc = err_fail(err, WARD_EFORMAT,
                           "%s: manifest is for version %" PRIu64 ": a replayed or "
                           "misplaced release", url, m->version);
        if (rc)
            rel_manifest_free(m);
    } else if (rc == WARD_EFORMAT || rc == WARD_EUNSUPPORTED) {
        char why[256];
        snprintf(why, sizeof why, "%s", err ? err->message : "");
        rc = err_fail(err, WARD_EFORMAT, "%s: %s", url, why);
    }
    if (rc) {
        free(*text);
        *text = NULL;
    }
    free(url);
    return rc;
}

/* Download url into dl/<name>.part and check size and digest when known.
 * A part that turned out wrong is deleted (the next try starts over); one
 * that is only short is kept to be continued. */
static ward_status download(pull *p, const char *url, const char *name, int64_t size,
                            const char *sha256, char **path, ward_error *err)
{
    char *dl = sub_path(p, "dl"), *part = rel_fmt("%s/dl/%s.part", p->dir, name);
    ward_status rc = dl && part ? path_mkdirs(dl, err) : err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK && size < 0)
        unlink(part); /* nothing to check a resumed part against */
    if (rc == WARD_OK) {
        say(p, "fetching %s", url);
        rc = rel_fetch_file(url, p->o ? p->o->api_key : NULL, part, size, err);
    }
    char hex[65];
    uint64_t got = 0;
    if (rc == WARD_OK && (rc = rel_sha256_file(part, hex, &got, err)) == WARD_OK && size >= 0) {
        if (got != (uint64_t)size)
            rc = err_fail(err, WARD_EFORMAT,
                           "%s: truncated: %" PRIu64 " of %" PRId64 " bytes; refused (the "
                           "next pull continues the download)", url, got, size);
        else if (strcmp(hex, sha256) != 0) {
            unlink(part);
            rc = err_fail(err, WARD_EFORMAT,
                           "%s: SHA-256 %s, but the signed manifest says %s: tampered or "
                           "corrupt; refused", url, hex, sha256);
        }
    }
    if (rc == WARD_EFORMAT && size < 0)
        unlink(part);
    free(dl);
    if (rc == WARD_OK)
        *path = part;
    else
        free(part);
    return rc;
}

/* Apply delta d to `from` into `to` and check the result's digest. */
static ward_status apply_checked(pull *p, const char *from, const char *d, const char *to,
                                 const char *want, const char *what, ward_error *err)
{
    FILE *f = fopen(to, "w");
    if (!f)
        return err_fail_errno(err, errno, "cannot create %s", to);
    ward_status rc = rel_delta_apply(from, d, f, err);
    ward_status rc2 = rel_close_synced(f, to, err);
    rc = rc ? rc : rc2;
    char hex[65];
    if (rc == WARD_OK && (rc = rel_sha256_file(to, hex, NULL, err)) == WARD_OK &&
        strcmp(hex, want) != 0)
        rc = err_fail(err, WARD_EFORMAT,
                       "%s does not produce the signed release (SHA-256 %s, manifest %s): "
                       "tampered or corrupt; refused", what, hex, want);
    if (rc == WARD_EFORMAT && !strstr(err ? err->message : "", "refused")) {
        char why[256];
        snprintf(why, sizeof why, "%s", err ? err->message : "");
        rc = err_fail(err, WARD_EFORMAT, "%s: %s; refused", what, why);
    }
    if (rc == WARD_OK)
        rc = rel_reasons_load(&p->reasons, d, 1, err);
    if (rc)
        unlink(to);
    return rc;
}

/* One delta step from..to into `out`, its removal reasons kept. */
static ward_status delta_step(pull *p, const char *cur, uint64_t from, uint64_t to,
                              const rel_manifest *m, const char *out, ward_error *err)
{
    char *url = url_of(p, "%llu..%llu/delta", from, to), *d = NULL, name[64], what[96];
    snprintf(name, sizeof name, "delta-%" PRIu64 "-%" PRIu64, from, to);
    snprintf(what, sizeof what, "delta %" PRIu64 "..%" PRIu64, from, to);
    int signed_delta = m->delta_from == from;
    ward_status rc = url ? download(p, url, name, signed_delta ? (int64_t)m->delta_bytes : -1,
                                    signed_delta ? m->delta_sha256 : NULL, &d, err)
                         : err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK)
        rc = apply_checked(p, cur, d, out, m->full_sha256, what, err);
    if (d && rc != WARD_EIO)
        unlink(d);
    free(d);
    free(url);
    return rc;
}

/* From the full release held to version m->version by deltas: one direct
 * delta if the publisher has it, else each consecutive one in turn, each
 * manifest checked. WARD_ENOTFOUND: no delta path; take the full file. */
static ward_status via_deltas(pull *p, const rel_manifest *m, const char *out,
                              ward_error *err)
{
    char *cur = sub_path(p, "full"), *step = sub_path(p, "full.step");
    if (!cur || !step) {
        free(cur);
        free(step);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ward_status rc = delta_step(p, cur, p->st.version, m->version, m, out, err);
    if (rc == WARD_ENOTFOUND && m->version > p->st.version + 1) {
        say(p, "no delta %" PRIu64 "..%" PRIu64 "; following each version",
            p->st.version, m->version);
        rel_reasons_free(&p->reasons);
        rc = WARD_OK;
        for (uint64_t v = p->st.version + 1; rc == WARD_OK && v <= m->version; v++) {
            rel_manifest mv;
            char *text = NULL;
            if ((rc = fetch_manifest(p, v, &mv, &text, err)))
                break;
            free(text);
            const char *from = v == p->st.version + 1 ? cur : out;
            rc = delta_step(p, from, v - 1, v, &mv, step, err);
            rel_manifest_free(&mv);
            if (rc == WARD_OK && rename(step, out) != 0)
                rc = err_fail_errno(err, errno, "cannot rename %s", step);
        }
    }
    free(cur);
    free(step);
    return rc;
}

static ward_status via_full(pull *p, const rel_manifest *m, const char *out, ward_error *err)
{
    char *url = url_of(p, "%llu/full", m->version, 0), *part = NULL, name[40];
    snprintf(name, sizeof name, "full-%" PRIu64, m->version);
    ward_status rc = url ? download(p, url, name, (int64_t)m->full_bytes, m->full_sha256,
                                    &part, err)
                         : err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK && rename(part, out) != 0)
        rc = err_fail_errno(err, errno, "cannot rename %s", part);
    free(part);
    free(url);
    return rc;
}

/* The version's series file, when its manifest names one, checked against
 * the signed size and digest into series.new; a version without one
 * leaves none behind (the held one's is dropped with the journal). */
static ward_status fetch_series(pull *p, const rel_manifest *m, ward_error *err)
{
    char *neu = sub_path(p, "series.new"), *held = sub_path(p, "series");
    char *url = url_of(p, "%llu/series", m->version, 0), *part = NULL, name[40];
    ward_status rc = neu && held && url ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
    snprintf(name, sizeof name, "series-%" PRIu64, m->version);
    if (rc == WARD_OK && !m->series_sha256[0]) {
        unlink(neu);
        unlink(held);
    } else if (rc == WARD_OK &&
               (rc = download(p, url, name, (int64_t)m->series_bytes, m->series_sha256, &part,
                              err)) == WARD_OK &&
               rename(part, neu) != 0)
        rc = err_fail_errno(err, errno, "cannot rename %s", part);
    free(part);
    free(url);
    free(neu);
    free(held);
    return rc;
}

/* ---- applying to the store ------------------------------------------------- */

/* Parse one digest field of a key into bytes; 0 absent, 1 present. */
static int key_field(const char **k, const char *end, uint8_t *bytes, size_t n)
{
    const char *c = memchr(*k, ',', (size_t)(end - *k));
    const char *stop = c ? c : end;
    size_t len = (size_t)(stop - *k);
    int have = len == 2 * n && ward_unhex(*k, len, bytes, n) == WARD_OK;
    *k = c ? c + 1 : end;
    return have;
}

typedef struct exact_key {
    ward_digests d;
    int has_pdq;
    ward_pdq pdq;
} exact_key;

static int entry_is(const ward_entry *e, const exact_key *k)
{
    if ((e->digests.present & WARD_DIGEST_ALL) != (k->d.present & WARD_DIGEST_ALL) ||
        e->has_pdq != k->has_pdq)
        return 0;
    return (!(k->d.present & WARD_DIGEST_MD5) || !memcmp(e->digests.md5, k->d.md5, 16)) &&
           (!(k->d.present & WARD_DIGEST_SHA1) || !memcmp(e->digests.sha1, k->d.sha1, 20)) &&
           (!(k->d.present & WARD_DIGEST_SHA256) ||
            !memcmp(e->digests.sha256, k->d.sha256, 32)) &&
           (!k->has_pdq || !memcmp(e->pdq.b, k->pdq.b, 32));
}

/* Remove from the list the entry with exactly these digests (an entry the
 * release changed rather than dropped was updated by the import and no
 * longer matches, so it stays). */
static ward_status remove_exact(ward_store *s, const char *list, const char *key, size_t kn,
                                const char *who, const char *reason, uint64_t *removed,
                                ward_error *err)
{
    exact_key k = {0};
    const char *c = key, *end = key + kn;
    static const unsigned bit[3] = {WARD_DIGEST_MD5, WARD_DIGEST_SHA1, WARD_DIGEST_SHA256};
    uint8_t *dst[3] = {k.d.md5, k.d.sha1, k.d.sha256};
    static const size_t len[3] = {16, 20, 32};
    static const char *const prefix[3] = {"md5", "sha1", "sha256"};
    for (int i = 0; i < 3; i++)
        if (key_field(&c, end, dst[i], len[i]))
            k.d.present |= bit[i];
    k.has_pdq = key_field(&c, end, k.pdq.b, 32);
    char query[80], hex[65];
    if (k.d.present & WARD_DIGEST_SHA256)
        snprintf(query, sizeof query, "%s:%s", prefix[2], (ward_hex(k.d.sha256, 32, hex), hex));
    else if (k.d.present & WARD_DIGEST_SHA1)
        snprintf(query, sizeof query, "%s:%s", prefix[1], (ward_hex(k.d.sha1, 20, hex), hex));
    else if (k.d.present & WARD_DIGEST_MD5)
        snprintf(query, sizeof query, "%s:%s", prefix[0], (ward_hex(k.d.md5, 16, hex), hex));
    else if (k.has_pdq)
        snprintf(query, sizeof query, "pdq:%s", (ward_hex(k.pdq.b, 32, hex), hex));
    else
        return WARD_OK;
    ward_entries *es = NULL;
    ward_status rc = ward_store_lookup(s, query, 0, &es, err);
    for (size_t i = 0; rc == WARD_OK && i < es->count; i++) {
        const ward_entry *e = &es->v[i];
        if (strcasecmp(e->list, list) != 0 || !entry_is(e, &k))
            continue;
        rc = ward_store_remove_id(s, e->id, who, reason, err);
        if (rc == WARD_OK)
            (*removed)++;
    }
    ward_entries_free(es);
    return rc;
}

/* Bring the store's list from `full` (NULL: nothing) to `full.new`. */
static ward_status apply_to_store(pull *p, const sub_state *next, ward_error *err)
{
    char *old = p->st.have ? sub_path(p, "full") : NULL;
    char *neu = sub_path(p, "full.new"), *dpath = sub_path(p, "apply.delta"),
         *csv = sub_path(p, "apply.csv");
    ward_store *s = NULL;
    FILE *f = NULL, *adds = NULL;
    rel_map m = {.fd = -1};
    ward_status rc = (p->st.have && !old) || !neu || !dpath || !csv
                         ? err_fail(err, WARD_ENOMEM, "out of memory")
                         : WARD_OK;
    if (rc == WARD_OK && !(f = fopen(dpath, "w")))
        rc = err_fail_errno(err, errno, "cannot create %s", dpath);
    if (rc == WARD_OK) {
        rc = rel_delta_write(old, neu, &p->reasons, p->list, p->st.version, next->version, f,
                             NULL, err);
        ward_status rc2 = rel_close_synced(f, dpath, err);
        rc = rc ? rc : rc2;
    }
    /* Additions and changes go in by one import (one transaction)... */
    if (rc == WARD_OK && !(adds = fopen(csv, "w")))
        rc = err_fail_errno(err, errno, "cannot create %s", csv);
    if (rc == WARD_OK && (rc = rel_map_open(&m, dpath, err)) == WARD_OK) {
        const char *r;
        size_t len;
        fputs(REL_FULL_HEADER, adds);
        while (rel_map_next_delta(&m, &r, &len))
            if (len && r[0] == '+') {
                fwrite(r + 1, 1, len - 1, adds);
                fputc('\n', adds);
            }
    }
    if (adds) {
        ward_status rc2 = rel_close_synced(adds, csv, err);
        rc = rc ? rc : rc2;
    }
    if (rc == WARD_OK)
        rc = ward_store_open(p->datadir, p->store_url, 0, &s, err);
    if (rc == WARD_OK) {
        ward_import_opts io;
        ward_import_opts_default(&io);
        io.strict = 1;
        io.scheme = next->scheme;
        io.kind = strcmp(next->kind, "known-good") == 0 ? WARD_LIST_KNOWN_GOOD : WARD_LIST_ALERT;
        io.description = "pulled release";
        ward_import_summary *sum = calloc(1, sizeof *sum);
        rc = sum ? ward_store_import(s, csv, WARD_FMT_CSV, p->list, &io, sum, err)
                 : err_fail(err, WARD_ENOMEM, "out of memory");
        if (rc == WARD_OK)
            p->res->added = sum->added + sum->updated;
        free(sum);
    }
    /* ...then removals, each with the publisher's reason. */
    char who[256];
    snprintf(who, sizeof who, "%s (release %s v%" PRIu64 ", key %s)",
             p->o && p->o->who ? p->o->who : "ward release", p->list, next->version,
             next->key);
    m.pos = 0;
    const char *r;
    size_t len;
    while (rc == WARD_OK && m.p && rel_map_next_delta(&m, &r, &len)) {
        if (!len || r[0] != '-')
            continue;
        const char *tab = memchr(r, '\t', len);
        size_t kn = tab ? (size_t)(tab - r - 1) : len - 1;
        char *why = tab ? strndup(tab + 1, len - (size_t)(tab - r) - 1) : strdup("removed");
        rc = why ? remove_exact(s, p->list, r + 1, kn, who, why, &p->res->removed, err)
                 : err_fail(err, WARD_ENOMEM, "out of memory");
        free(why);
    }
    rel_map_close(&m);
    ward_store_close(s);
    if (rc == WARD_OK) {
        unlink(dpath);
        unlink(csv);
    }
    free(old);
    free(neu);
    free(dpath);
    free(csv);
    return rc;
}

/* Finish the version the journal names: store, then `full`, then state. */
static ward_status finish_pending(pull *p, ward_error *err)
{
    char *pend = sub_path(p, "pending"), *state = sub_path(p, "state"),
         *neu = sub_path(p, "full.new"), *full = sub_path(p, "full"),
         *rs = sub_path(p, "reasons.new"), *mn = sub_path(p, "manifest.new"),
         *mf = sub_path(p, "manifest"), *sn = sub_path(p, "series.new"),
         *sh = sub_path(p, "series");
    sub_state next;
    ward_status rc = !pend || !state || !neu || !full || !rs || !mn || !mf || !sn || !sh
                         ? err_fail(err, WARD_ENOMEM, "out of memory")
                         : state_read(pend, &next, err);
    if (rc == WARD_OK && next.have && !rel_exists(neu)) {
        /* Killed after `full` was replaced: the store has the version. */
        char hex[65];
        if ((rc = rel_sha256_file(full, hex, NULL, err)) == WARD_OK &&
            strcmp(hex, next.full_sha256) != 0)
            rc = err_fail(err, WARD_EFORMAT, "%s: journal names a release that is not "
                           "there; remove the subscription directory and pull again", pend);
    } else if (rc == WARD_OK && next.have) {
        say(p, "applying version %" PRIu64 " to the store", next.version);
        rel_reasons_free(&p->reasons);
        if (rel_exists(rs))
            rc = rel_reasons_load(&p->reasons, rs, 0, err);
        if (rc == WARD_OK)
            rc = apply_to_store(p, &next, err);
        if (rc == WARD_OK && rename(neu, full) != 0)
            rc = err_fail_errno(err, errno, "cannot rename %s", neu);
    }
    if (rc == WARD_OK && next.have) {
        if (rel_exists(sn) && rename(sn, sh) != 0)
            rc = err_fail_errno(err, errno, "cannot rename %s", sn);
        if (rc == WARD_OK && rel_exists(mn) && rename(mn, mf) != 0)
            rc = err_fail_errno(err, errno, "cannot rename %s", mn);
        if (rc == WARD_OK && (rc = state_write(state, &next, err)) == WARD_OK) {
            unlink(pend);
            unlink(rs);
            p->st = next;
        }
    }
    free(pend);
    free(state);
    free(neu);
    free(full);
    free(rs);
    free(mn);
    free(mf);
    free(sn);
    free(sh);
    return rc;
}

/* The checked files are in place: write the journal, then apply it. */
static ward_status journal(pull *p, const rel_manifest *m, const char *mtext, ward_error *err)
{
    sub_state next = p->st;
    snprintf(next.list, sizeof next.list, "%s", p->list);
    snprintf(next.url, sizeof next.url, "%s", p->base);
    snprintf(next.key, sizeof next.key, "%s", p->key.id);
    memcpy(next.full_sha256, m->full_sha256, sizeof next.full_sha256);
    snprintf(next.scheme, sizeof next.scheme, "%s", m->scheme);
    snprintf(next.kind, sizeof next.kind, "%s", m->kind);
    next.version = m->version;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(next.pulled, sizeof next.pulled, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *mn = sub_path(p, "manifest.new"), *rs = sub_path(p, "reasons.new"),
         *pend = sub_path(p, "pending");
    ward_status rc = mn && rs && pend ? rel_write_atomic(mn, mtext, strlen(mtext), 0600, err)
                                      : err_fail(err, WARD_ENOMEM, "out of memory");
    FILE *f = rc == WARD_OK ? fopen(rs, "w") : NULL;
    if (rc == WARD_OK && !f)
        rc = err_fail_errno(err, errno, "cannot create %s", rs);
    if (f) {
        for (size_t i = 0; i < p->reasons.n; i++)
            fprintf(f, "%s\t%s\n", p->reasons.v[i].key, p->reasons.v[i].reason);
        rc = rel_close_synced(f, rs, err);
    }
    if (rc == WARD_OK)
        rc = state_write(pend, &next, err);
    free(mn);
    free(rs);
    free(pend);
    return rc == WARD_OK ? finish_pending(p, err) : rc;
}

/* ---- the key -------------------------------------------------------------- */

static ward_status choose_key(pull *p, ward_error *err)
{
    const char *spec = p->o ? p->o->trust : NULL;
    if (!spec && !p->st.have)
        return err_fail(err, WARD_EINVAL,
                         "first pull of '%s': say which publisher key to trust (--trust KEY)",
                         p->list);
    ward_status rc = ward_key_resolve(p->datadir, spec ? spec : p->st.key, &p->key, err);
    if (rc)
        return rc;
    if (p->st.have && strcmp(p->key.id, p->st.key) != 0)
        return err_fail(err, WARD_EINVAL,
                         "'%s' was pulled with key %s, not %s: a publisher key change needs "
                         "a new subscription", p->list, p->st.key, p->key.id);
    return WARD_OK;
}

/* A first pull must not take over a list the examiner made by hand. */
static ward_status check_list_free(pull *p, ward_error *err)
{
    ward_store *s;
    ward_status rc = ward_store_open(p->datadir, p->store_url, 0, &s, err);
    if (rc)
        return rc;
    ward_store_stats *st = NULL;
    rc = ward_store_stats_get(s, &st, err);
    for (size_t i = 0; rc == WARD_OK && i < st->n_lists; i++)
        if (strcasecmp(st->lists[i].name, p->list) == 0)
            rc = err_fail(err, WARD_EINVAL,
                           "list '%s' already exists in this store and is not a pulled "
                           "release: it is left alone", p->list);
    ward_store_stats_free(st);
    ward_store_close(s);
    return rc;
}

/* ---- the pull ------------------------------------------------------------ */

static ward_status pull_latest(pull *p, ward_error *err)
{
    uint64_t latest = 0;
    ward_status rc = fetch_latest(p, &latest, err);
    if (rc)
        return rc;
    p->res->to = p->st.version;
    if (latest < p->st.version)
        return err_fail(err, WARD_EFORMAT,
                         "%s offers version %" PRIu64 " but this node holds %" PRIu64
                         ": a replayed (older) release; refused", p->base, latest,
                         p->st.version);
    if (latest == p->st.version)
        return WARD_OK;
    rel_manifest m;
    char *mtext = NULL, *out = sub_path(p, "full.new");
    if (!out)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    if ((rc = fetch_manifest(p, latest, &m, &mtext, err))) {
        free(out);
        return rc;
    }
    rel_reasons_free(&p->reasons);
    if (p->st.have) {
        rc = via_deltas(p, &m, out, err);
        p->res->used_delta = rc == WARD_OK;
    }
    if (!p->st.have || rc == WARD_ENOTFOUND) {
        if (p->st.have)
            say(p, "no delta path; fetching the full release");
        rel_reasons_free(&p->reasons);
        rc = via_full(p, &m, out, err);
    }
    if (rc == WARD_OK && !p->st.have)
        rc = check_list_free(p, err);
    if (rc == WARD_OK)
        rc = fetch_series(p, &m, err);
    if (rc == WARD_OK) {
        rc = journal(p, &m, mtext, err);
        p->res->to = m.version;
    } else if (rc != WARD_EIO) {
        unlink(out);
    }
    rel_manifest_free(&m);
    free(mtext);
    free(out);
    return rc;
}

ward_status ward_release_pull(const char *datadir, const char *store_url, const char *url,
                              const ward_release_pull_opts *opts, ward_release_pull_result *result,
                              ward_error *err)
{
    ward_release_pull_result dummy;
    pull p = {
        .datadir = datadir, .store_url = store_url, .o = opts, .res = result ? result : &dummy};
    memset(p.res, 0, sizeof *p.res);
    if (!datadir || !url)
        return err_fail(err, WARD_EINVAL, "ward_release_pull: no data directory or URL");
    ward_status rc = parse_url(&p, url, err);
    if (rc)
        return rc;
    snprintf(p.res->list, sizeof p.res->list, "%s", p.list);
    char *state = NULL, *pend = NULL;
    if (!(p.dir = rel_fmt("%s/subscriptions/%s", datadir, p.list)) ||
        !(state = sub_path(&p, "state")) || !(pend = sub_path(&p, "pending")))
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK)
        rc = path_mkdirs(p.dir, err);
    if (rc == WARD_OK)
        rc = state_read(state, &p.st, err);
    if (rc == WARD_OK)
        rc = choose_key(&p, err);
    p.res->from = p.st.version;
    if (rc == WARD_OK && rel_exists(pend)) {
        p.res->resumed = 1;
        rc = finish_pending(&p, err);
    }
    if (rc == WARD_OK)
        rc = pull_latest(&p, err);
    /* A key given as text or a file is remembered for the next pulls. */
    if (rc == WARD_OK && opts && opts->trust)
        rc = ward_key_trust(datadir, &p.key, err);
    memcpy(p.res->key_id, p.key.id, sizeof p.res->key_id);
    if (rc == WARD_OK) {
        char *sh = sub_path(&p, "series");
        p.res->series = sh && rel_exists(sh);
        free(sh);
    }
    rel_reasons_free(&p.reasons);
    free(state);
    free(pend);
    free(p.dir);
    return rc;
}

ward_status ward_release_series_path(const char *datadir, const char *list, char **path,
                                     ward_error *err)
{
    *path = NULL;
    if (!rel_valid_name(list, strlen(list)))
        return err_fail(err, WARD_EINVAL, "not a release name: %.100s", list);
    char *sh = rel_fmt("%s/subscriptions/%s/series", datadir, list);
    if (!sh)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    if (!rel_exists(sh)) {
        free(sh);
        return err_fail(err, WARD_ENOTFOUND, "release %s: the version held carries no series",
                         list);
    }
    *path = sh;
    return WARD_OK;
}

/* ---- status ---------------------------------------------------------------- */

typedef struct sub_walk {
    ward_subscription_cb cb;
    void *ctx;
    ward_status rc;
    ward_error *err;
} sub_walk;

static int sub_dir(void *ctx, const char *dir, const char *name)
{
    sub_walk *w = ctx;
    if (!rel_valid_name(name, strlen(name)))
        return 0;
    char *sp = rel_fmt("%s/%s/state", dir, name), *pp = rel_fmt("%s/%s/pending", dir, name);
    sub_state st;
    int stop = 0;
    w->rc = sp && pp ? state_read(sp, &st, w->err)
                     : err_fail(w->err, WARD_ENOMEM, "out of memory");
    if (w->rc == WARD_OK && (st.have || rel_exists(pp))) {
        ward_subscription s = {st.have ? st.list : name, st.url, st.key, st.full_sha256,
                               st.pulled, st.version, rel_exists(pp)};
        stop = w->cb(w->ctx, &s);
    }
    free(sp);
    free(pp);
    return stop || w->rc != WARD_OK;
}

ward_status ward_release_subscriptions(const char *datadir, ward_subscription_cb cb,
                                       void *ctx, ward_error *err)
{
    char *dir = rel_fmt("%s/subscriptions", datadir);
    if (!dir)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    sub_walk w = {cb, ctx, WARD_OK, err};
    rel_each_name(dir, sub_dir, &w);
    free(dir);
    return w.rc;
}
