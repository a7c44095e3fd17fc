/*
 * Building an index: collect entries, sort, lay out, write atomically.
 *
 * The builder keeps each kind of item in its own flat array, already in the
 * record layout the file uses (see format.h), so writing needs no copy of
 * the data: digest records are sorted in place and streamed out, PDQ records
 * are sorted by entry id and split into the ids and hashes arrays as they
 * are written. The only large temporaries are one sort buffer at a time and
 * the multi-index tables (4 bytes per PDQ hash per chunk, 10..32 chunks).
 *
 * Everything is sorted by value, never by insertion order, so a given set of
 * entries always produces the same bytes: the content digest in the header
 * then names the hash set, whatever order the store handed rows over in.
 */
#include <ward/index.h>
#include "index/index_int.h"
#include "index/mih.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PDQ_REC 40         /* u64 entry id + 32-byte hash */
#define MAX_CSR_THREADS 4  /* the counting sorts are memory bound beyond this */
#define RADIX 65536u       /* 16-bit digits for the entry-id sorts */

typedef struct bvec {
    uint8_t *p;
    size_t len, cap;
} bvec;

struct ward_index_builder {
    bvec ids;               /* u64 per entry: the count and the duplicate check */
    bvec dig[IDX_NDIGEST];  /* digest records, file layout */
    bvec pdq;               /* PDQ_REC-byte records */
    unsigned force_chunks;  /* tests: fixed chunk count, 0 = cost model */
};

/* ---- collecting --------------------------------------------------------- */

static int bvec_push(bvec *v, const void *data, size_t n)
{
    if (v->cap - v->len < n) {
        size_t cap = v->cap ? v->cap : 4096;
        while (cap - v->len < n) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        /* Doubling keeps adds amortised O(1); glibc moves large blocks with
         * mremap, so growth does not copy gigabytes. */
        uint8_t *p = realloc(v->p, cap);
        if (!p)
            return -1;
        v->p = p;
        v->cap = cap;
    }
    memcpy(v->p + v->len, data, n);
    v->len += n;
    return 0;
}

ward_index_builder *ward_index_builder_new(void)
{
    return calloc(1, sizeof(ward_index_builder));
}

void ward_index_builder_free(ward_index_builder *b)
{
    if (!b)
        return;
    free(b->ids.p);
    for (int k = 0; k < IDX_NDIGEST; k++)
        free(b->dig[k].p);
    free(b->pdq.p);
    free(b);
}

static const uint8_t *digest_field(const ward_digests *d, int kind)
{
    return kind == IDX_MD5 ? d->md5 : kind == IDX_SHA1 ? d->sha1 : d->sha256;
}

ward_status ward_index_builder_add(ward_index_builder *b, uint64_t entry_id,
                                   const ward_digests *d, const ward_pdq *pdq,
                                   ward_error *err)
{
    if (!b)
        return err_fail(err, WARD_EINVAL, "index builder is NULL");
    if (b->ids.len / 8 >= IDX_MAX_ROWS)
        return err_fail(err, WARD_ELIMIT, "an index holds at most %u entries",
                         (unsigned)IDX_MAX_ROWS);
    /* Remember the lengths so a failed push leaves no half-added entry. */
    size_t ids0 = b->ids.len, pdq0 = b->pdq.len, dig0[IDX_NDIGEST];
    for (int k = 0; k < IDX_NDIGEST; k++)
        dig0[k] = b->dig[k].len;

    uint8_t rec[PDQ_REC];
    idx_st64(rec, entry_id);
    int bad = bvec_push(&b->ids, rec, 8);
    for (int k = 0; k < IDX_NDIGEST && !bad; k++) {
        if (!d || !(d->present & (1u << k)))
            continue;
        memset(rec + 8, 0, sizeof rec - 8);
        memcpy(rec + 8, digest_field(d, k), idx_digest_len[k]);
        bad = bvec_push(&b->dig[k], rec, idx_record_size[k]);
    }
    if (pdq && !bad) {
        memcpy(rec + 8, pdq->b, 32);
        bad = bvec_push(&b->pdq, rec, PDQ_REC);
    }
    if (bad) {
        b->ids.len = ids0;
        b->pdq.len = pdq0;
        for (int k = 0; k < IDX_NDIGEST; k++)
            b->dig[k].len = dig0[k];
        return err_fail(err, WARD_ENOMEM, "out of memory adding index entry");
    }
    return WARD_OK;
}

/* ---- sorting ------------------------------------------------------------ */

static int sorted_by_u64(const uint8_t *recs, size_t n, size_t rs)
{
    for (size_t i = 1; i < n; i++)
        if (idx_ld64(recs + (i - 1) * rs) > idx_ld64(recs + i * rs))
            return 0;
    return 1;
}

/* One stable counting-sort pass on 16 bits of the key; 0 if every key has
 * the same digit there (nothing to do, the common case for the high digits
 * of row ids). */
static int radix_pass(const uint8_t *src, uint8_t *dst, size_t n, size_t rs,
                      int shift, size_t *pos)
{
    memset(pos, 0, RADIX * sizeof *pos);
    for (size_t i = 0; i < n; i++)
        pos[(idx_ld64(src + i * rs) >> shift) & 0xffff]++;
    if (pos[(idx_ld64(src) >> shift) & 0xffff] == n)
        return 0;
    size_t sum = 0;
    for (size_t v = 0; v < RADIX; v++) {
        size_t c = pos[v];
        pos[v] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = src + i * rs;
        memcpy(dst + pos[(idx_ld64(r) >> shift) & 0xffff]++ * rs, r, rs);
    }
    return 1;
}

/* Sort n records of rs bytes by the u64 at their start: LSD radix, O(n) per
 * pass and at most 4 passes, where qsort on 10M records takes seconds. */
static ward_status sort_by_u64(uint8_t *recs, size_t n, size_t rs, ward_error *err)
{
    if (n < 2 || sorted_by_u64(recs, n, rs))
        return WARD_OK;
    size_t *pos = malloc(RADIX * sizeof *pos);
    uint8_t *tmp = malloc(n * rs);
    if (!pos || !tmp) {
        free(pos);
        free(tmp);
        return err_fail(err, WARD_ENOMEM, "out of memory sorting index entries");
    }
    uint8_t *src = recs, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 16)
        if (radix_pass(src, dst, n, rs, shift, pos)) {
            uint8_t *t = src;
            src = dst;
            dst = t;
        }
    if (src != recs)
        memcpy(recs, src, n * rs);
    free(pos);
    free(tmp);
    return WARD_OK;
}

static ward_status check_unique_ids(bvec *ids, ward_error *err)
{
    size_t n = ids->len / 8;
    ward_status st = sort_by_u64(ids->p, n, 8, err);
    if (st != WARD_OK)
        return st;
    for (size_t i = 1; i < n; i++)
        if (idx_ld64(ids->p + (i - 1) * 8) == idx_ld64(ids->p + i * 8))
            return err_fail(err, WARD_EINVAL, "entry id %" PRIu64 " added more than once",
                             idx_ld64(ids->p + i * 8));
    return WARD_OK;
}

static int cmp_digest_rec(const void *a, const void *b, void *arg)
{
    unsigned dlen = *(const unsigned *)arg;
    int c = memcmp((const uint8_t *)a + 8, (const uint8_t *)b + 8, dlen);
    if (c)
        return c;
    uint64_t x = idx_ld64(a), y = idx_ld64(b);
    return (x > y) - (x < y);
}

/* Records of one bucket by (digest, id). Buckets hold about two records
 * (insertion sort); qsort only for the rare big one (duplicated digests). */
static void sort_bucket(uint8_t *recs, size_t n, size_t rs, unsigned dlen)
{
    if (n > 16) {
        qsort_r(recs, n, rs, cmp_digest_rec, &dlen);
        return;
    }
    uint8_t tmp[48];
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        memcpy(tmp, recs + i * rs, rs);
        while (j > 0 && cmp_digest_rec(recs + (j - 1) * rs, tmp, &dlen) > 0) {
            memcpy(recs + j * rs, recs + (j - 1) * rs, rs);
            j--;
        }
        memcpy(recs + j * rs, tmp, rs);
    }
}

/* Sort one digest kind's records into directory buckets (a counting sort on
 * the bucket number, then each small bucket by value) and build the
 * directory. The sorted records replace v's buffer. */
static ward_status build_digest_table(bvec *v, int kind, uint32_t **dir_out,
                                      unsigned *bits_out, ward_error *err)
{
    size_t rs = idx_record_size[kind], n = v->len / rs;
    unsigned dlen = idx_digest_len[kind], bits = idx_dir_bits(n);
    size_t nb = (size_t)1 << bits;
    uint32_t *dir = calloc(nb + 1, sizeof *dir);
    uint8_t *tmp = n ? malloc(n * rs) : NULL;
    if (!dir || (n && !tmp)) {
        free(dir);
        free(tmp);
        return err_fail(err, WARD_ENOMEM, "out of memory building digest table");
    }
    for (size_t i = 0; i < n; i++)
        dir[idx_digest_bucket(v->p + i * rs + 8, bits) + 1]++;
    for (size_t k = 0; k < nb; k++)
        dir[k + 1] += dir[k];
    /* Scatter using dir[k] as bucket k's cursor: afterwards dir[k] is the end
     * of bucket k, i.e. the start of k+1, so shift it back by one. */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = v->p + i * rs;
        memcpy(tmp + (size_t)dir[idx_digest_bucket(r + 8, bits)]++ * rs, r, rs);
    }
    memmove(dir + 1, dir, nb * sizeof *dir);
    dir[0] = 0;
    /* No records: tmp is NULL, and even NULL + 0 is undefined. */
    for (size_t k = 0; n && k < nb; k++)
        sort_bucket(tmp + (size_t)dir[k] * rs, dir[k + 1] - dir[k], rs, dlen);
    if (n) {
        free(v->p);
        v->p = tmp;
        v->cap = n * rs;
    }
    *dir_out = dir;
    *bits_out = bits;
    return WARD_OK;
}

/* ---- multi-index rows --------------------------------------------------- */

/*
 * How many chunks. Multi-index hashing is fastest when a chunk has about as
 * many values as there are rows (Norouzi et al.: chunk width ~ log2 n), so
 * that buckets hold about one row: 16-bit chunks at 10M rows put 150 rows in
 * every bucket and a radius-31 query reads ~42k random hashes, where 12
 * chunks of 21-22 bits read ~11k. The cost model (mih.h) picks the count
 * with the fewest expected random reads at the design radius, among those
 * whose offset tables are no bigger than their row lists. That keeps the
 * file compact: at 10M the unconstrained favourite, 11 chunks of 23-24 bits,
 * measured ~25% faster but makes the file 1249 MB instead of 967 MB.
 */
static unsigned choose_chunks(uint64_t rows)
{
    unsigned best = IDX_MAX_CHUNKS;
    double best_cost = 0;
    for (unsigned m = IDX_MIN_CHUNKS; m <= IDX_MAX_CHUNKS; m++) {
        uint64_t offsets = 0;
        for (unsigned c = 0; c < m; c++)
            offsets += idx_offsets_bytes(idx_chunk_width(m, c));
        if (offsets > (uint64_t)m * rows * 4 && offsets > (1u << 20))
            continue;
        double cost = idx_mih_cost(m, (double)rows, IDX_DESIGN_RADIUS);
        if (best_cost == 0 || cost < best_cost) {
            best = m;
            best_cost = cost;
        }
    }
    return best;
}

typedef struct csr_job {
    const uint8_t *recs;  /* PDQ records, row order */
    uint32_t rows;
    unsigned m;
    uint32_t **off;       /* per chunk: 2^width + 1 */
    uint32_t **row;       /* per chunk: rows */
    unsigned first, step;
    int ok;
} csr_job;

static uint32_t rec_chunk(const uint8_t *rec, unsigned start, unsigned width)
{
    uint64_t w[4];
    idx_hash_words(rec + 8, w);
    return idx_bits(w, start, width);
}

/* Chunk c's CSR: count rows per chunk value, prefix-sum into offsets, then
 * scatter row numbers. Scanning rows in order leaves each bucket ascending. */
static void csr_chunk(const csr_job *j, unsigned c, uint32_t *cursor)
{
    unsigned start = idx_chunk_start(j->m, c), width = idx_chunk_width(j->m, c);
    size_t nb = (size_t)1 << width;
    uint32_t *off = j->off[c], *row = j->row[c];
    memset(off, 0, (nb + 1) * sizeof *off);
    for (uint32_t r = 0; r < j->rows; r++)
        off[rec_chunk(j->recs + (size_t)r * PDQ_REC, start, width) + 1]++;
    for (size_t v = 0; v < nb; v++)
        off[v + 1] += off[v];
    memcpy(cursor, off, nb * sizeof *cursor);
    for (uint32_t r = 0; r < j->rows; r++)
        row[cursor[rec_chunk(j->recs + (size_t)r * PDQ_REC, start, width)]++] = r;
}

static void *csr_worker(void *arg)
{
    csr_job *j = arg;
    /* chunk 0 is the widest */
    uint32_t *cursor = malloc(((size_t)1 << idx_chunk_width(j->m, 0)) * sizeof *cursor);
    if (!cursor)
        return NULL;
    for (unsigned c = j->first; c < j->m; c += j->step)
        csr_chunk(j, c, cursor);
    free(cursor);
    j->ok = 1;
    return NULL;
}

/* The chunks are independent: split them over a few threads. If a thread
 * cannot be started its share runs here instead. */
static ward_status build_csr(const uint8_t *recs, uint32_t rows, unsigned m, uint32_t **off,
                             uint32_t **row, ward_error *err)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned nt = ncpu < 1 ? 1 : ncpu > MAX_CSR_THREADS ? MAX_CSR_THREADS : (unsigned)ncpu;
    csr_job jobs[MAX_CSR_THREADS];
    pthread_t th[MAX_CSR_THREADS];
    int started[MAX_CSR_THREADS] = {0};
    for (unsigned t = 0; t < nt; t++)
        jobs[t] = (csr_job){recs, rows, m, off, row, t, nt, 0};
    for (unsigned t = 1; t < nt; t++)
        started[t] = pthread_create(&th[t], NULL, csr_worker, &jobs[t]) == 0;
    csr_worker(&jobs[0]);
    int ok = 1;
    for (unsigned t = 0; t < nt; t++) {
        if (t > 0 && started[t])
            pthread_join(th[t], NULL);
        else if (t > 0)
            csr_worker(&jobs[t]);
        ok &= jobs[t].ok;
    }
    return ok ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory building PDQ index");
}

/* ---- layout and writing ------------------------------------------------- */

/* Everything write_file needs: the sorted data and where each part goes. */
typedef struct plan {
    uint64_t entries;
    const uint8_t *recs[IDX_NDIGEST];
    uint64_t count[IDX_NDIGEST];
    unsigned bits[IDX_NDIGEST];
    uint32_t *dir[IDX_NDIGEST];
    const uint8_t *pdq;  /* PDQ_REC-byte records, row order */
    uint64_t rows;
    unsigned m;
    uint32_t *csr_off[IDX_MAX_CHUNKS], *csr_row[IDX_MAX_CHUNKS];
    uint64_t dir_off[IDX_NDIGEST], rec_off[IDX_NDIGEST];
    uint64_t ids_off, hashes_off, chunks_off, file_size;
} plan;

/* Sections in file order, each on a 64-byte boundary (format.h). */
static void plan_layout(plan *p)
{
    uint64_t at = IDX_HEADER_SIZE;
    for (int k = 0; k < IDX_NDIGEST; k++) {
        p->dir_off[k] = at;
        at = idx_pad64(at + (((uint64_t)1 << p->bits[k]) + 1) * 4);
        p->rec_off[k] = at;
        at = idx_pad64(at + p->count[k] * idx_record_size[k]);
    }
    p->ids_off = at;
    at = idx_pad64(at + p->rows * 8);
    p->hashes_off = at;
    at = idx_pad64(at + p->rows * 32);
    p->chunks_off = at;
    for (unsigned c = 0; c < p->m; c++)
        at += idx_chunk_bytes(p->m, c, p->rows);
    p->file_size = at;
}

static void make_header(const plan *p, const uint8_t content[32], uint8_t h[IDX_HEADER_SIZE])
{
    memset(h, 0, IDX_HEADER_SIZE);
    memcpy(h + H_MAGIC, IDX_MAGIC, 8);
    idx_st32(h + H_VERSION, IDX_VERSION);
    idx_st32(h + H_HDRSIZE, IDX_HEADER_SIZE);
    idx_st64(h + H_FILESIZE, p->file_size);
    idx_st64(h + H_ENTRIES, p->entries);
    memcpy(h + H_CONTENT, content, 32);
    for (int k = 0; k < IDX_NDIGEST; k++) {
        uint8_t *t = h + H_DIGEST_TABLES + k * H_DIGEST_TABLE_SIZE;
        idx_st64(t, p->count[k]);
        idx_st32(t + 8, p->bits[k]);
        idx_st32(t + 12, idx_record_size[k]);
        idx_st64(t + 16, p->dir_off[k]);
        idx_st64(t + 24, p->rec_off[k]);
    }
    uint8_t *q = h + H_PDQ;
    idx_st64(q, p->rows);
    idx_st32(q + 8, p->m);
    idx_st64(q + 16, p->ids_off);
    idx_st64(q + 24, p->hashes_off);
    idx_st64(q + 32, p->chunks_off);
    idx_st64(h + H_CHECKSUM, idx_fnv1a64(h, H_CHECKSUM));
}

/* Buffered sequential writer that also feeds the content digest. The first
 * error sticks and later calls do nothing, so callers check once at the end. */
typedef struct writer {
    int fd;
    uint64_t pos;
    ward_digester *sha;
    uint8_t *buf;
    size_t used, cap;
    ward_status st;
    ward_error *err;
    const char *path;
} writer;

static void write_all(writer *w, const uint8_t *p, size_t n)
{
    while (n && w->st == WARD_OK) {
        ssize_t k = write(w->fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->st = err_fail_errno(w->err, k < 0 ? errno : EIO, "writing %s", w->path);
            return;
        }
        p += k;
        n -= (size_t)k;
    }
}

static void w_flush(writer *w)
{
    write_all(w, w->buf, w->used);
    w->used = 0;
}

static void w_put(writer *w, const void *p, size_t n)
{
    if (w->st != WARD_OK || n == 0)
        return;
    ward_digester_update(w->sha, p, n);
    w->pos += n;
    if (n >= w->cap) {
        w_flush(w);
        write_all(w, p, n);
        return;
    }
    if (w->cap - w->used < n)
        w_flush(w);
    memcpy(w->buf + w->used, p, n);
    w->used += n;
}

static void w_pad64(writer *w)
{
    static const uint8_t zero[64];
    w_put(w, zero, (size_t)(idx_pad64(w->pos) - w->pos));
}

/* Pad to where plan_layout put the next section. Being anywhere else is a
 * bug here, and writing on would produce a file that fails to open. */
static void w_expect(writer *w, uint64_t at)
{
    w_pad64(w);
    if (w->st == WARD_OK && w->pos != at)
        w->st = err_fail(w->err, WARD_EINTERNAL, "index layout mismatch at %" PRIu64, at);
}

static void write_sections(writer *w, const plan *p)
{
    for (int k = 0; k < IDX_NDIGEST; k++) {
        w_expect(w, p->dir_off[k]);
        w_put(w, p->dir[k], (((size_t)1 << p->bits[k]) + 1) * 4);
        w_expect(w, p->rec_off[k]);
        w_put(w, p->recs[k], p->count[k] * idx_record_size[k]);
    }
    w_expect(w, p->ids_off);
    for (uint64_t r = 0; r < p->rows; r++)
        w_put(w, p->pdq + r * PDQ_REC, 8);
    w_expect(w, p->hashes_off);
    for (uint64_t r = 0; r < p->rows; r++)
        w_put(w, p->pdq + r * PDQ_REC + 8, 32);
    w_expect(w, p->chunks_off);
    for (unsigned c = 0; c < p->m; c++) {
        w_put(w, p->csr_off[c], (((size_t)1 << idx_chunk_width(p->m, c)) + 1) * 4);
        w_pad64(w);
        w_put(w, p->csr_row[c], p->rows * 4);
        w_pad64(w);
    }
    w_expect(w, p->file_size);
    w_flush(w);
}

/* A fresh file beside `path`. O_EXCL with a per-process, per-attempt name
 * (rather than mkstemp) so the kernel applies the umask to mode 0644 as it
 * would for any file the user creates. */
static int open_temp(const char *path, char *tmp, size_t cap)
{
    for (unsigned attempt = 0; attempt < 64; attempt++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned salt = (unsigned)ts.tv_nsec ^ attempt * 2654435761u;
        snprintf(tmp, cap, "%s.tmp.%ld.%08x", path, (long)getpid(), salt);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Make the rename itself durable. Some filesystems cannot fsync a
 * directory (EINVAL); that is not an error of ours. */
static ward_status sync_parent_dir(const char *path, ward_error *err)
{
    size_t n = strlen(path);
    char *dir = malloc(n + 2);
    if (!dir)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    ward_status st = WARD_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
        st = err_fail_errno(err, errno, "syncing directory %s", dir);
    if (fd >= 0)
        close(fd);
    free(dir);
    return st;
}

static ward_status write_file(const plan *p, const char *path, ward_error *err)
{
    size_t tcap = strlen(path) + 64;
    char *tmp = malloc(tcap);
    writer w = {.fd = -1, .cap = 1u << 20, .st = WARD_OK, .err = err, .path = path};
    uint8_t h[IDX_HEADER_SIZE] = {0};
    ward_digests content;
    w.buf = malloc(w.cap);
    w.sha = ward_digester_new(WARD_DIGEST_SHA256);
    if (!tmp || !w.buf || !w.sha) {
        w.st = err_fail(err, WARD_ENOMEM, "out of memory writing index");
        goto out;
    }
    w.fd = open_temp(path, tmp, tcap);
    if (w.fd < 0) {
        w.st = err_fail_errno(err, errno, "creating temporary file for %s", path);
        goto out;
    }
    /* Header last: its content digest covers the sections. Until then the
     * file has no magic, so a crash mid-write leaves nothing that opens. */
    write_all(&w, h, sizeof h);
    w.pos = IDX_HEADER_SIZE;
    write_sections(&w, p);
    if (w.st == WARD_OK) {
        ward_digester_final(w.sha, &content);
        make_header(p, content.sha256, h);
        if (pwrite(w.fd, h, sizeof h, 0) != (ssize_t)sizeof h)
            w.st = err_fail_errno(err, errno ? errno : EIO, "writing %s", path);
        else if (fsync(w.fd) != 0)
            w.st = err_fail_errno(err, errno, "syncing %s", path);
    }
    int closed = close(w.fd);
    w.fd = -1;
    if (w.st == WARD_OK && closed != 0)
        w.st = err_fail_errno(err, errno, "closing %s", path);
    if (w.st == WARD_OK && rename(tmp, path) != 0)
        w.st = err_fail_errno(err, errno, "renaming %s to %s", tmp, path);
    if (w.st == WARD_OK)
        w.st = sync_parent_dir(path, err);
    else
        unlink(tmp);
out:
    ward_digester_free(w.sha);
    free(w.buf);
    free(tmp);
    return w.st;
}

ward_status ward_index_builder_write(ward_index_builder *b, const char *path,
                                     ward_error *err)
{
    if (!b || !path || !*path)
        return err_fail(err, WARD_EINVAL, "index builder or path missing");
    if (!IDX_HOST_LE)
        return err_fail(err, WARD_EUNSUPPORTED, "index files need a little-endian host");
    plan p = {.entries = b->ids.len / 8, .rows = b->pdq.len / PDQ_REC};
    ward_status st = check_unique_ids(&b->ids, err);
    if (st == WARD_OK)
        st = sort_by_u64(b->pdq.p, p.rows, PDQ_REC, err);
    for (int k = 0; k < IDX_NDIGEST && st == WARD_OK; k++) {
        st = build_digest_table(&b->dig[k], k, &p.dir[k], &p.bits[k], err);
        p.recs[k] = b->dig[k].p;
        p.count[k] = b->dig[k].len / idx_record_size[k];
    }
    p.pdq = b->pdq.p;
    p.m = b->force_chunks ? b->force_chunks : choose_chunks(p.rows);
    for (unsigned c = 0; c < p.m && st == WARD_OK; c++) {
        p.csr_off[c] = malloc((((size_t)1 << idx_chunk_width(p.m, c)) + 1) * sizeof(uint32_t));
        p.csr_row[c] = malloc((p.rows ? p.rows : 1) * sizeof(uint32_t));
        if (!p.csr_off[c] || !p.csr_row[c])
            st = err_fail(err, WARD_ENOMEM, "out of memory building PDQ index");
    }
    if (st == WARD_OK)
        st = build_csr(p.pdq, (uint32_t)p.rows, p.m, p.csr_off, p.csr_row, err);
    if (st == WARD_OK) {
        plan_layout(&p);
        st = write_file(&p, path, err);
    }
    for (int k = 0; k < IDX_NDIGEST; k++)
        free(p.dir[k]);
    for (unsigned c = 0; c < IDX_MAX_CHUNKS; c++) {
        free(p.csr_off[c]);
        free(p.csr_row[c]);
    }
    return st;
}

void idx_builder_set_chunks(ward_index_builder *b, unsigned m)
{
    b->force_chunks = m >= IDX_MIN_CHUNKS && m <= IDX_MAX_CHUNKS ? m : 0;
}
