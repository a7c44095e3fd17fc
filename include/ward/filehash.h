/*
 * filehash.h -- everything ward computes about one file, from one read.
 *
 * A ward_hasher reads a file (or takes a buffer), feeds each block to the
 * selected digests, and if the content is an image, decodes it from the same
 * bytes and computes its PDQ hash. Evidence rule: a file whose image cannot be
 * decoded still gets its digests, and the two outcomes are reported apart.
 *
 * A hasher owns its buffers and is not thread-safe: use one per thread.
 */
#ifndef WARD_FILEHASH_H
#define WARD_FILEHASH_H

#include <stdint.h>
#include <ward/digest.h>
#include <ward/media.h>
#include <ward/pdq.h>
#include <ward/vpdq.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_hash_opts {
    unsigned digests;          /* WARD_DIGEST_* bits; 0 for none */
    int pdq;                   /* PDQ-hash images */
    int dihedral;              /* all 8 dihedral PDQ hashes */
    ward_decode_opts decode;
    uint64_t max_image_bytes;  /* larger files are not decoded (default 1 GiB) */
    int video;                 /* vPDQ of videos (default 1; needs pdq) */
    ward_vpdq_opts vpdq;       /* sampling rate, limits, pruning */
    /* Optional: asked once the digests are final, before an image is
     * decoded; return 0 to skip PDQ (e.g. the file is already known by an
     * exact digest). Called on the hashing thread. */
    int (*want_pdq)(void *ctx, const ward_digests *digests);
    void *want_pdq_ctx;
    /* Optional: shown each decoded image's luma plane (valid only during
     * the call) before it is freed, e.g. to make a thumbnail. */
    void (*on_image)(void *ctx, const ward_luma *luma);
    void *on_image_ctx;
} ward_hash_opts;

void ward_hash_opts_default(ward_hash_opts *opts);

typedef struct ward_file_hash {
    uint64_t size;               /* bytes read */
    ward_status read_status;     /* WARD_OK: digests are valid */
    ward_error read_error;
    ward_digests digests;
    ward_media_type media;       /* sniffed from content */
    int width, height;           /* image size as stored (0 if not decoded) */
    int orientation;             /* EXIF orientation seen, 0 if none */
    ward_status image_status;    /* for images: WARD_OK if decoded */
    ward_error image_error;      /* why not, or (status OK, has_pdq 0) why no PDQ */
    char image_warning[96];      /* decoded from damaged data (ward_luma.warning) */
    int has_pdq;
    int pdq_skipped;             /* want_pdq declined */
    ward_pdq_result pdq;
    /* Videos (media ward_media_is_video): frame hashes, owned; release with
     * ward_file_hash_clear. video_status is WARD_OK when the whole video was
     * sampled; on an error or a limit, video keeps the frames hashed before. */
    int has_video;
    ward_status video_status;
    ward_error video_error;
    ward_video_info video_info;
    ward_vpdq video;
} ward_file_hash;

/* Free what a result owns (video frames); the struct may be reused. */
void ward_file_hash_clear(ward_file_hash *r);

typedef struct ward_hasher ward_hasher;

/* NULL on allocation failure. The options are copied. */
ward_hasher *ward_hasher_new(const ward_hash_opts *opts);
void ward_hasher_free(ward_hasher *h);

/* Hash an open file descriptor from its current position to EOF. Returns
 * read_status (the digest outcome); image problems are in out->image_*. */
ward_status ward_hasher_fd(ward_hasher *h, int fd, ward_file_hash *out);

/* The same for bytes already in memory. */
ward_status ward_hasher_buffer(ward_hasher *h, const uint8_t *buf, size_t len,
                               ward_file_hash *out);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
