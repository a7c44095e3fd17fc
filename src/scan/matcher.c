#include <ward/matcher.h>
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ward_matcher {
    ward_store *store;
    ward_index *index;
    ward_matcher_info info;
};

static void data_path(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

typedef struct build_ctx {
    ward_index_builder *b;
    ward_error *err;
    ward_status st;
    uint64_t n;
} build_ctx;

static int add_entry(void *ctx, uint64_t id, const ward_digests *d, const ward_pdq *pdq)
{
    build_ctx *c = ctx;
    c->st = ward_index_builder_add(c->b, id, d, pdq, c->err);
    c->n++;
    return c->st != WARD_OK;
}

/* index.rev holds the store revision the index was built from; written
 * after the index itself, both by rename, so a crash leaves either the old
 * pair or a new index with an old revision (rebuilt next time). */
static ward_status write_revision(const char *dir, uint64_t rev, ward_error *err)
{
    char path[4096], tmp[4200];
    data_path(path, sizeof path, dir, "index.rev");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return err_fail_errno(err, errno, "cannot write %s", tmp);
    fprintf(f, "%" PRIu64 "\n", rev);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int e = errno;
        fclose(f);
        return err_fail_errno(err, e, "cannot write %s", tmp);
    }
    fclose(f);
    if (rename(tmp, path) != 0)
        return err_fail_errno(err, errno, "cannot rename %s", tmp);
    return WARD_OK;
}

static int read_revision(const char *dir, uint64_t *rev)
{
    char path[4096];
    data_path(path, sizeof path, dir, "index.rev");
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fscanf(f, "%" SCNu64, rev) == 1;
    fclose(f);
    return ok;
}

/* The index and index.rev of the store as it is now; *rev gets the
 * revision it was built from (the store may have moved on since the
 * caller last read its revision). */
static ward_status build_index(ward_store *store, const char *datadir, uint64_t *entries,
                               uint64_t *built_rev, ward_error *err)
{
    build_ctx c = {.b = ward_index_builder_new(), .err = err};
    if (!c.b)
        return err_fail(err, WARD_ENOMEM, "out of memory building the index");
    uint64_t rev = 0;
    ward_status st = ward_store_iterate(store, add_entry, &c, &rev, err);
    if (st == WARD_OK && c.st != WARD_OK)
        st = c.st;
    char path[4096];
    data_path(path, sizeof path, datadir, "index.wdx");
    if (st == WARD_OK)
        st = ward_index_builder_write(c.b, path, err);
    ward_index_builder_free(c.b);
    if (st == WARD_OK)
        st = write_revision(datadir, rev, err);
    if (st == WARD_OK && entries)
        *entries = c.n;
    if (st == WARD_OK && built_rev)
        *built_rev = rev;
    return st;
}

ward_status ward_matcher_build_index(ward_store *store, const char *datadir,
                                     uint64_t *entries, ward_error *err)
{
    return build_index(store, datadir, entries, NULL, err);
}

ward_status ward_matcher_open(const char *datadir, const char *store_url, ward_matcher **out,
                              ward_error *err)
{
    char path[4096];
    struct stat st;
    int exists = 0;
    ward_status rc = ward_store_exists(datadir, store_url, &exists, err);
    if (rc)
        return rc;
    if (!exists)
        return err_fail(err, WARD_ENOTFOUND,
                         "no hash-set store in %s (import a list with 'ward db import')", datadir);
    ward_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    rc = ward_store_open(datadir, store_url, 0, &m->store, err);
    if (rc == WARD_OK)
        rc = ward_store_revision(m->store, &m->info.store_revision, err);
    uint64_t built = 0;
    data_path(path, sizeof path, datadir, "index.wdx");
    /* A rebuild reads the store as it is then, perhaps a revision or two
     * past the one just read: the matcher says the revision its index
     * holds, not the older one (a node would otherwise report, and record
     * in its events, revision N for an index of N + 1 until its next
     * reload). */
    if (rc == WARD_OK && (!read_revision(datadir, &built) || built != m->info.store_revision ||
                          stat(path, &st) != 0))
        rc = build_index(m->store, datadir, NULL, &m->info.store_revision, err);
    if (rc == WARD_OK)
        rc = ward_index_open(path, &m->index, err);
    if (rc != WARD_OK) {
        ward_matcher_close(m);
        return rc;
    }
    m->info.index_entries = ward_index_count(m->index);
    /* The content digest recorded when the index was built names the hash
     * set exactly (same entries, same bytes) without reading a file that
     * may be a gigabyte: opening stays instant. */
    ward_index_info ii;
    ward_index_get_info(m->index, &ii);
    ward_hex(ii.content_sha256, 32, m->info.index_sha256);
    *out = m;
    return WARD_OK;
}

void ward_matcher_close(ward_matcher *m)
{
    if (!m)
        return;
    ward_index_close(m->index);
    ward_store_close(m->store);
    free(m);
}

ward_status ward_matcher_exact(const ward_matcher *m, const ward_digests *d, uint64_t *ids,
                               size_t max, size_t *found_n)
{
    static const unsigned algos[3] = {WARD_DIGEST_MD5, WARD_DIGEST_SHA1, WARD_DIGEST_SHA256};
    if (!found_n)
        return WARD_EINVAL;
    *found_n = 0;
    if (!m || !d || (!ids && max))
        return WARD_EINVAL;
    const uint8_t *bytes[3] = {d->md5, d->sha1, d->sha256};
    size_t n = 0;
    uint64_t found[64];
    for (int a = 0; a < 3; a++) {
        if (!(d->present & algos[a]))
            continue;
        size_t k = 0;
        ward_status rc = ward_index_lookup_digest(m->index, algos[a], bytes[a], found, 64, &k);
        if (rc)
            return rc;
        if (k > 64) k = 64;
        for (size_t i = 0; i < k; i++) {
            int dup = 0;
            for (size_t j = 0; j < n && j < max; j++)
                dup |= ids[j] == found[i];
            if (!dup) {
                if (n < max) ids[n] = found[i];
                n++;
            }
        }
    }
    *found_n = n;
    return WARD_OK;
}

ward_status ward_matcher_accelerate(ward_matcher *m, uint64_t max_bytes, ward_error *err)
{
    return ward_index_accelerate(m->index, max_bytes, err);
}

ward_status ward_matcher_near(const ward_matcher *m, const ward_pdq *q, int nq, int radius,
                              ward_pdq_match *out, size_t max, size_t *found)
{
    if (!m) {
        if (found)
            *found = 0;
        return WARD_EINVAL;
    }
    return ward_index_query_pdq(m->index, q, nq, radius, out, max, found);
}

ward_status ward_matcher_entry(ward_matcher *m, uint64_t id, ward_entries **out, ward_error *err)
{
    if (!m || !out)
        return err_fail(err, WARD_EINVAL, "ward_matcher_entry: bad argument");
    return ward_store_get(m->store, id, out, err);
}

ward_status ward_matcher_video_frames(ward_matcher *m, const char *list, const char *media_id,
                                      uint64_t *frames, ward_error *err)
{
    if (!m)
        return err_fail(err, WARD_EINVAL, "ward_matcher_video_frames: no matcher");
    return ward_store_video_frames(m->store, list, media_id, frames, err);
}

void ward_matcher_get_info(const ward_matcher *m, ward_matcher_info *out) { *out = m->info; }
ward_store *ward_matcher_store(ward_matcher *m) { return m->store; }
