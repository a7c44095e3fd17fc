/*
 * The index file format, shared by the writer (builder.c) and the readers
 * (reader.c, pdq_query.c). docs/index.md has the same layout in prose.
 *
 * All integers are little-endian; every section starts 64-byte aligned, so a
 * reader on a little-endian host can use the mapped bytes in place as
 * uint32_t / uint64_t arrays (the mapping itself is page aligned), and no
 * 32-byte hash straddles two cache lines (a query reads thousands of them
 * at random: a straddling one costs a second cache miss that the prefetch
 * did not ask for). Readers require only 8-byte alignment. Big-endian
 * hosts are refused (WARD_EUNSUPPORTED) rather than byte-swapping every read
 * on the hot path; no deployment of ward runs on one.
 *
 *   header (256 bytes)
 *       0  magic "WARDIDX1"
 *       8  u32 format version (1)      12  u32 header size (256)
 *      16  u64 file size               24  u64 entry count
 *      32  SHA-256 of bytes [256, file size)  -- the content digest
 *      64  3 digest tables (MD5, SHA-1, SHA-256), 32 bytes each:
 *            +0 u64 records  +8 u32 directory bits  +12 u32 record size
 *            +16 u64 directory offset  +24 u64 records offset
 *     160  PDQ table, 40 bytes:
 *            +0 u64 rows  +8 u32 chunks m (10..32)  +12 u32 zero
 *            +16 u64 ids offset  +24 u64 hashes offset  +32 u64 chunks offset
 *     200  zero
 *     248  u64 FNV-1a 64 of bytes [0, 248)
 *
 *   digest table: directory u32[2^bits + 1], then records sorted by
 *     (digest, entry id): u64 entry id, digest, zero pad to a multiple of 8
 *     (MD5 24 bytes, SHA-1 32, SHA-256 40). Records of directory bucket k
 *     (top `bits` bits of the digest) are [dir[k], dir[k+1]).
 *   PDQ table: ids u64[rows] (row order = ascending entry id), hashes
 *     32 bytes[rows] (ward_pdq bytes as is), then per chunk c = 0..m-1 of
 *     width w_c bits: offsets u32[2^w_c + 1] and rows u32[rows]; the rows whose chunk c equals v are rows[offsets[v] ..
 *     offsets[v+1]), ascending. The m chunks split the 256 bits in order,
 *     the first (256 mod m) one bit wider (idx_chunk_width/start below).
 */
#ifndef WARD_INDEX_FORMAT_H
#define WARD_INDEX_FORMAT_H

#include <stdint.h>
#include <string.h>

#define IDX_MAGIC "WARDIDX1"
#define IDX_VERSION 1u
#define IDX_HEADER_SIZE 256u
/* Chunk counts a file may use: 10 keeps a chunk at most 26 bits wide (a
 * 256 MiB offsets table), 32 makes it 8. */
#define IDX_MIN_CHUNKS 10
#define IDX_MAX_CHUNKS 32
/* Row numbers and directory positions are u32 (half the size of u64 in the
 * biggest sections); one value is kept free so "count + 1" never wraps. */
#define IDX_MAX_ROWS 0xfffffffeu
#define IDX_MAX_DIR_BITS 30u

/* Header field offsets. */
enum {
    H_MAGIC = 0, H_VERSION = 8, H_HDRSIZE = 12, H_FILESIZE = 16, H_ENTRIES = 24,
    H_CONTENT = 32, H_DIGEST_TABLES = 64, H_DIGEST_TABLE_SIZE = 32,
    H_PDQ = 160, H_CHECKSUM = 248
};

/* Digest kinds in table order; index i is WARD_DIGEST_* bit 1 << i. */
enum { IDX_MD5 = 0, IDX_SHA1 = 1, IDX_SHA256 = 2, IDX_NDIGEST = 3 };
static const unsigned idx_digest_len[IDX_NDIGEST] = {16, 20, 32};
static const unsigned idx_record_size[IDX_NDIGEST] = {24, 32, 40};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IDX_HOST_LE 1
#else
#define IDX_HOST_LE 0
#endif

static inline uint64_t idx_pad8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }
static inline uint64_t idx_pad64(uint64_t n) { return (n + 63) & ~(uint64_t)63; }

static inline uint32_t idx_ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t idx_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline void idx_st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void idx_st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Digests are uniformly distributed, so their leading bits are already a
 * good hash: the directory bucket is the top `bits` bits of the first 8
 * bytes read big-endian, which also makes bucket order equal memcmp order. */
static inline uint64_t idx_digest_bucket(const uint8_t *digest, unsigned bits)
{
    if (bits == 0)
        return 0;
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | digest[i];
    return k >> (64 - bits);
}

/* About two records per bucket: the directory costs at most 4 bytes per
 * record (against 24..40 for the record) and a lookup reads one bucket. */
static inline unsigned idx_dir_bits(uint64_t count)
{
    unsigned bits = 0;
    while (bits < IDX_MAX_DIR_BITS && (count >> (bits + 2)) != 0)
        bits++;
    return bits;
}

static inline unsigned idx_chunk_width(unsigned m, unsigned c)
{
    return 256 / m + (c < 256 % m);
}

static inline unsigned idx_chunk_start(unsigned m, unsigned c)
{
    return c * (256 / m) + (c < 256 % m ? c : 256 % m);
}

/* Bytes of one chunk's offsets array, and of its offsets + rows, each
 * padded to 64 so that the next array starts on a cache line. */
static inline uint64_t idx_offsets_bytes(unsigned width)
{
    return idx_pad64((((uint64_t)1 << width) + 1) * 4);
}

static inline uint64_t idx_chunk_bytes(unsigned m, unsigned c, uint64_t rows)
{
    return idx_offsets_bytes(idx_chunk_width(m, c)) + idx_pad64(rows * 4);
}

/* A hash as four little-endian words: bit i of the hash is bit i%64 of word
 * i/64, and byte k of ward_pdq.b holds bits 8k..8k+7. */
static inline void idx_hash_words(const uint8_t *hash, uint64_t w[4])
{
    for (int i = 0; i < 4; i++)
        w[i] = idx_ld64(hash + 8 * i);
}

/* Bits [start, start+width) of the words (width <= 32). */
static inline uint32_t idx_bits(const uint64_t w[4], unsigned start, unsigned width)
{
    unsigned i = start >> 6, s = start & 63;
    uint64_t v = w[i] >> s;
    if (s + width > 64)
        v |= w[i + 1] << (64 - s);
    return (uint32_t)(v & ((1ull << width) - 1));
}

/* FNV-1a 64: guards the header against corruption (not an adversary: the
 * content digest and ward_index_verify are for that). */
static inline uint64_t idx_fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#endif
