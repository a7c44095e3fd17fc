/*
 * Opening an index and answering exact digest lookups.
 *
 * Open maps the file read-only and validates only what every later read
 * depends on: the header (magic, version, checksum, file size) and that each
 * section lies inside the file, aligned, with the size its counts imply. That
 * is O(1), so a multi-gigabyte index opens in well under a millisecond.
 *
 * The contents of sections (directory positions, CSR offsets, row numbers)
 * are not scanned at open; instead every read of one is bounds-checked at
 * use, so a corrupt file gives wrong or empty answers but never a read
 * outside the mapping. ward_index_verify does the full O(file) proof.
 */
#include <ward/index.h>
#include "index/index_int.h"
#include "util/error.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- open and validate -------------------------------------------------- */

/* [off, off+len) inside the sections area of a file of `size` bytes, and
 * 8-byte aligned. Written to be overflow-free for any 64-bit inputs. */
static int section_ok(uint64_t off, uint64_t len, uint64_t size)
{
    return off % 8 == 0 && off >= IDX_HEADER_SIZE && off <= size && len <= size - off;
}

static ward_status bad(ward_error *err, const char *path, const char *what)
{
    return err_fail(err, WARD_EFORMAT, "%s: not a valid ward index (%s)", path, what);
}

static ward_status parse_digest_table(ward_index *ix, int k, const char *path,
                                      ward_error *err)
{
    const uint8_t *t = ix->map + H_DIGEST_TABLES + k * H_DIGEST_TABLE_SIZE;
    idx_digest_table *d = &ix->dig[k];
    d->count = idx_ld64(t);
    d->bits = idx_ld32(t + 8);
    d->rec_size = idx_ld32(t + 12);
    d->dlen = idx_digest_len[k];
    uint64_t dir_off = idx_ld64(t + 16), rec_off = idx_ld64(t + 24);
    if (d->rec_size != idx_record_size[k] || d->bits > IDX_MAX_DIR_BITS)
        return bad(err, path, "digest table parameters");
    if (d->count > IDX_MAX_ROWS || d->count > ix->entries)
        return bad(err, path, "digest count");
    uint64_t dir_len = (((uint64_t)1 << d->bits) + 1) * 4;
    if (!section_ok(dir_off, dir_len, ix->size) ||
        !section_ok(rec_off, d->count * d->rec_size, ix->size))
        return bad(err, path, "digest section outside the file");
    d->dir = (const uint32_t *)(ix->map + dir_off);
    d->recs = ix->map + rec_off;
    return WARD_OK;
}

static ward_status parse_pdq_table(ward_index *ix, const char *path, ward_error *err)
{
    const uint8_t *t = ix->map + H_PDQ;
    idx_pdq_table *q = &ix->pdq;
    q->rows = idx_ld64(t);
    q->m = idx_ld32(t + 8);
    if (q->m < IDX_MIN_CHUNKS || q->m > IDX_MAX_CHUNKS || idx_ld32(t + 12) != 0)
        return bad(err, path, "PDQ table parameters");
    if (q->rows > IDX_MAX_ROWS || q->rows > ix->entries)
        return bad(err, path, "PDQ count");
    uint64_t ids = idx_ld64(t + 16), hashes = idx_ld64(t + 24), chunks = idx_ld64(t + 32);
    uint64_t chunk_bytes = 0;
    for (unsigned c = 0; c < q->m; c++)
        chunk_bytes += idx_chunk_bytes(q->m, c, q->rows);
    if (!section_ok(ids, q->rows * 8, ix->size) ||
        !section_ok(hashes, q->rows * 32, ix->size) ||
        !section_ok(chunks, chunk_bytes, ix->size))
        return bad(err, path, "PDQ section outside the file");
    q->ids = (const uint64_t *)(ix->map + ids);
    q->hashes = ix->map + hashes;
    const uint8_t *at = ix->map + chunks;
    for (unsigned c = 0; c < q->m; c++) {
        q->start[c] = idx_chunk_start(q->m, c);
        q->width[c] = idx_chunk_width(q->m, c);
        q->off[c] = (const uint32_t *)at;
        q->row[c] = (const uint32_t *)(at + idx_offsets_bytes(q->width[c]));
        at += idx_chunk_bytes(q->m, c, q->rows);
    }
    return WARD_OK;
}

static ward_status parse_header(ward_index *ix, const char *path, ward_error *err)
{
    const uint8_t *h = ix->map;
    if (memcmp(h + H_MAGIC, IDX_MAGIC, 8) != 0)
        return bad(err, path, "bad magic");
    if (idx_ld64(h + H_CHECKSUM) != idx_fnv1a64(h, H_CHECKSUM))
        return bad(err, path, "header checksum mismatch");
    ix->version = idx_ld32(h + H_VERSION);
    if (ix->version != IDX_VERSION)
        return err_fail(err, WARD_EUNSUPPORTED, "%s: index format version %u, this ward reads %u",
                         path, ix->version, IDX_VERSION);
    if (idx_ld32(h + H_HDRSIZE) != IDX_HEADER_SIZE)
        return bad(err, path, "header size");
    if (idx_ld64(h + H_FILESIZE) != ix->size)
        return bad(err, path, "file size differs from header: truncated or extended");
    ix->entries = idx_ld64(h + H_ENTRIES);
    if (ix->entries > IDX_MAX_ROWS)
        return bad(err, path, "entry count");
    memcpy(ix->content_sha256, h + H_CONTENT, 32);
    ward_status st = WARD_OK;
    for (int k = 0; k < IDX_NDIGEST && st == WARD_OK; k++)
        st = parse_digest_table(ix, k, path, err);
    return st == WARD_OK ? parse_pdq_table(ix, path, err) : st;
}

ward_status ward_index_open(const char *path, ward_index **out, ward_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return err_fail(err, WARD_EINVAL, "index path or output missing");
    if (!IDX_HOST_LE)
        return err_fail(err, WARD_EUNSUPPORTED, "index files need a little-endian host");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_fail_errno(err, errno, "opening %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return err_fail_errno(err, e, "stat %s", path);
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < IDX_HEADER_SIZE) {
        close(fd);
        return bad(err, path, S_ISREG(st.st_mode) ? "truncated header" : "not a file");
    }
    ward_index *ix = calloc(1, sizeof *ix);
    if (!ix) {
        close(fd);
        return err_fail(err, WARD_ENOMEM, "out of memory opening %s", path);
    }
    ix->size = (size_t)st.st_size;
    void *m = mmap(NULL, ix->size, PROT_READ, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd); /* the mapping keeps the file */
    if (m == MAP_FAILED) {
        free(ix);
        return err_fail_errno(err, e, "mapping %s", path);
    }
    ix->map = m;
    ward_status s = parse_header(ix, path, err);
    if (s != WARD_OK) {
        ward_index_close(ix);
        return s;
    }
    *out = ix;
    return WARD_OK;
}

void ward_index_close(ward_index *ix)
{
    if (!ix)
        return;
    munmap((void *)ix->map, ix->size);
    idx_fast_free(ix->fast);
    free(ix);
}

uint64_t ward_index_count(const ward_index *ix) { return ix ? ix->entries : 0; }

void ward_index_get_info(const ward_index *ix, ward_index_info *out)
{
    memset(out, 0, sizeof *out);
    if (!ix)
        return;
    out->version = ix->version;
    out->file_size = ix->size;
    out->entries = ix->entries;
    out->md5 = ix->dig[IDX_MD5].count;
    out->sha1 = ix->dig[IDX_SHA1].count;
    out->sha256 = ix->dig[IDX_SHA256].count;
    out->pdq = ix->pdq.rows;
    out->pdq_chunks = ix->pdq.m;
    memcpy(out->content_sha256, ix->content_sha256, 32);
}

/* ---- digest lookups ----------------------------------------------------- */

static int digest_kind(unsigned algo)
{
    switch (algo) {
    case WARD_DIGEST_MD5: return IDX_MD5;
    case WARD_DIGEST_SHA1: return IDX_SHA1;
    case WARD_DIGEST_SHA256: return IDX_SHA256;
    default: return -1;
    }
}

/* Records sorted by (digest, id), so all entries sharing a digest are one
 * run: directory read, binary search inside the (about two record) bucket
 * for its start, then walk. A bucket made huge on purpose by a crafted set
 * still costs only O(log n). */
static size_t lookup_digest(const ward_index *ix, int k, const uint8_t *digest, uint64_t *ids,
                            size_t max)
{
    const idx_digest_table *t = &ix->dig[k];
    if (t->count == 0)
        return 0;
    uint64_t b = idx_digest_bucket(digest, t->bits);
    /* the directory has 2^bits + 1 entries (checked when opened) */
    assert(b < ((uint64_t)1 << t->bits));
    uint64_t lo = t->dir[b], hi = t->dir[b + 1];
    if (hi > t->count || lo > hi)
        return 0; /* corrupt directory */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (memcmp(t->recs + mid * t->rec_size + 8, digest, t->dlen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (uint64_t i = lo; i < t->count; i++, n++) {
        const uint8_t *r = t->recs + i * t->rec_size;
        if (memcmp(r + 8, digest, t->dlen) != 0)
            break;
        if (n < max)
            ids[n] = idx_ld64(r);
    }
    return n;
}

ward_status ward_index_lookup_digest(const ward_index *ix, unsigned algo, const uint8_t *digest,
                                     uint64_t *ids, size_t max, size_t *found)
{
    int k = digest_kind(algo);
    if (!found)
        return WARD_EINVAL;
    *found = 0;
    if (!ix || k < 0 || !digest || (!ids && max))
        return WARD_EINVAL; /* not "no match": a caller's mistake must show */
    *found = lookup_digest(ix, k, digest, ids, max);
    return WARD_OK;
}

/* ---- full verification -------------------------------------------------- */

static ward_status verify_digest_table(const idx_digest_table *t, int k, ward_error *err)
{
    static const char *const names[] = {"MD5", "SHA-1", "SHA-256"};
    uint64_t nb = (uint64_t)1 << t->bits;
    if (t->dir[0] != 0 || t->dir[nb] != t->count)
        return err_fail(err, WARD_EFORMAT, "%s directory does not span its records", names[k]);
    for (uint64_t b = 0; b < nb; b++) {
        if (t->dir[b] > t->dir[b + 1])
            return err_fail(err, WARD_EFORMAT, "%s directory not ascending at %" PRIu64,
                             names[k], b);
        for (uint64_t i = t->dir[b]; i < t->dir[b + 1]; i++) {
            const uint8_t *r = t->recs + i * t->rec_size;
            if (idx_digest_bucket(r + 8, t->bits) != b)
                return err_fail(err, WARD_EFORMAT, "%s record %" PRIu64 " in the wrong bucket",
                                 names[k], i);
            if (i > 0 && memcmp(r - t->rec_size + 8, r + 8, t->dlen) > 0)
                return err_fail(err, WARD_EFORMAT, "%s records not sorted at %" PRIu64,
                                 names[k], i);
        }
    }
    return WARD_OK;
}

static ward_status verify_chunk(const idx_pdq_table *q, unsigned c, ward_error *err)
{
    const uint32_t *off = q->off[c], *row = q->row[c];
    uint64_t nb = (uint64_t)1 << q->width[c];
    if (off[0] != 0 || off[nb] != q->rows)
        return err_fail(err, WARD_EFORMAT, "PDQ chunk %u offsets do not span its rows", c);
    for (uint64_t v = 0; v < nb; v++) {
        if (off[v] > off[v + 1])
            return err_fail(err, WARD_EFORMAT, "PDQ chunk %u offsets not ascending", c);
        for (uint32_t i = off[v]; i < off[v + 1]; i++) {
            uint64_t w[4];
            if (row[i] >= q->rows)
                return err_fail(err, WARD_EFORMAT, "PDQ chunk %u row %u out of range", c, i);
            idx_hash_words(q->hashes + (size_t)row[i] * 32, w);
            if (idx_bits(w, q->start[c], q->width[c]) != v)
                return err_fail(err, WARD_EFORMAT, "PDQ chunk %u row %u misfiled", c, i);
            if (i > off[v] && row[i - 1] >= row[i])
                return err_fail(err, WARD_EFORMAT, "PDQ chunk %u bucket not ascending", c);
        }
    }
    return WARD_OK;
}

ward_status ward_index_verify(const ward_index *ix, ward_error *err)
{
    if (!ix)
        return err_fail(err, WARD_EINVAL, "index is NULL");
    ward_digester *sha = ward_digester_new(WARD_DIGEST_SHA256);
    if (!sha)
        return err_fail(err, WARD_ENOMEM, "out of memory verifying index");
    ward_digests d;
    ward_digester_update(sha, ix->map + IDX_HEADER_SIZE, ix->size - IDX_HEADER_SIZE);
    ward_digester_final(sha, &d);
    ward_digester_free(sha);
    if (memcmp(d.sha256, ix->content_sha256, 32) != 0)
        return err_fail(err, WARD_EFORMAT, "index content does not match its digest");
    ward_status st = WARD_OK;
    for (int k = 0; k < IDX_NDIGEST && st == WARD_OK; k++)
        if (ix->dig[k].count)
            st = verify_digest_table(&ix->dig[k], k, err);
    for (unsigned c = 0; c < ix->pdq.m && st == WARD_OK; c++)
        st = verify_chunk(&ix->pdq, c, err);
    for (uint64_t r = 1; r < ix->pdq.rows && st == WARD_OK; r++)
        if (ix->pdq.ids[r - 1] >= ix->pdq.ids[r])
            st = err_fail(err, WARD_EFORMAT, "PDQ entry ids not ascending at row %" PRIu64, r);
    return st;
}
