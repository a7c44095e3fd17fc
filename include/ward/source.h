/*
 * source.h -- evidence sources for a triage scan.
 *
 * A source is what an examiner points ward at: a directory, a single file, an
 * archive (zip, tar, 7z, rar, gz, ...) or a disk image (raw/dd or E01, any
 * partition table and file system The Sleuth Kit reads). Reading a source
 * yields items, one per file found, in a deterministic order:
 *
 *   - files on the host file system are yielded by path (the scan's workers
 *     open them, read-only);
 *   - members of archives and files inside disk images are read here, by one
 *     sequential reader per source (no seek thrash on spinning evidence
 *     media), and yielded with their bytes in memory. Members larger than
 *     opts.max_buffer are digested as they stream past and yielded with their
 *     digests only.
 *
 * Containers found inside containers are opened too, to opts.max_depth.
 * Nothing is extracted to disk, with one exception: a disk image found
 * inside an archive (fat.raw in a zip, disk.raw.gz, an E01 in a tar) is
 * copied to a temporary file in opts.spool_dir, because The Sleuth Kit
 * needs random access; the copy is deleted as soon as it has been walked,
 * and opts.max_spool bounds the disk space used. Limits against hostile input (nesting
 * depth, expansion ratio of compressed members, member size, path length)
 * each produce a WARD_ITEM_LIMIT notice naming the container and the limit,
 * and the scan goes on with the next thing it can read.
 */
#ifndef WARD_SOURCE_H
#define WARD_SOURCE_H

#include <stdint.h>
#include <ward/digest.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef enum ward_item_kind {
    WARD_ITEM_FILE,     /* a host file: open `fs_path` */
    WARD_ITEM_DATA,     /* a member: `data`/`len` hold its bytes (ownership passes) */
    WARD_ITEM_DIGESTED, /* a member too large to buffer: `digests` are filled */
    WARD_ITEM_ERROR,    /* something could not be read: `message` says why */
    WARD_ITEM_LIMIT,    /* a limit stopped reading something: `message` says which */
    WARD_ITEM_SKIPPED   /* symlink, special file, directory cycle: `message` */
} ward_item_kind;

/* The acquired media of an E01 (the disk inside the container file): its
 * digests as read through libewf, and the MD5/SHA-1 the acquiring tool
 * stored in the EWF ("" when none was stored). */
typedef struct ward_acquired {
    int present;
    uint64_t size;
    ward_digests digests;
    char stored_md5[33], stored_sha1[41];
} ward_acquired;

typedef struct ward_item {
    ward_item_kind kind;
    char *path;          /* display path; members: "outer.zip!/dir/inner.jpg" */
    char *fs_path;       /* WARD_ITEM_FILE: path to open */
    uint8_t *data;       /* WARD_ITEM_DATA: malloc'd content, caller frees */
    uint64_t len;        /* size in bytes (all kinds where known) */
    ward_digests digests;/* WARD_ITEM_DIGESTED */
    int64_t mtime, atime, ctime, crtime; /* seconds since the epoch, UTC; 0 unknown */
    int deleted;         /* a deleted file recovered from a file system */
    int has_inode;       /* a file in a disk image: `inode` is set */
    uint64_t inode;      /* its file-system metadata address (TSK's meta addr,
                            istat's inode: an NTFS MFT entry, a FAT directory
                            entry's address, an ext inode) */
    int depth;           /* 0 on the host; +1 per container */
    char message[256];   /* ERROR / LIMIT / SKIPPED reason */
    ward_acquired acquired; /* an E01 container: its media, checked */
} ward_item;

typedef struct ward_source_opts {
    int follow_symlinks;
    int max_depth;            /* container nesting (default 5) */
    uint64_t max_ratio;       /* uncompressed/compressed per container (default 100) */
    uint64_t max_member;      /* members larger are not fully read (default 4 GiB) */
    uint64_t max_buffer;      /* members larger are digested in the reader (64 MiB) */
    int max_path;             /* longest display path (default 4096) */
    int open_archives;        /* expand archives (default 1) */
    int open_disk_images;     /* walk disk images (default 1): a file named as the
                                 root is always tried; inside folders, E01 and
                                 files that look like a volume (boot sector,
                                 partition table, superblock) */
    unsigned digests;         /* for WARD_ITEM_DIGESTED members */
    uint64_t max_spool;       /* disk images inside archives are copied to a
                                 temporary file for The Sleuth Kit, up to this
                                 many bytes in all at once (default 4 GiB; 0:
                                 not walked, a notice instead) */
    const char *spool_dir;    /* where (NULL: P_tmpdir, /tmp; the ward
                                 command line passes $TMPDIR) */
} ward_source_opts;

void ward_source_opts_default(ward_source_opts *opts);

/* The callback takes ownership of item->data (free() it) and of nothing
 * else: path strings are valid only during the call. Return non-zero to
 * stop reading. */
typedef int (*ward_item_fn)(void *ctx, ward_item *item);

/* Read one source (a path given by the user). Returns WARD_OK when read to
 * the end or stopped by the callback; per-item problems are items. */
ward_status ward_source_read(const char *root, const ward_source_opts *opts,
                             ward_item_fn fn, void *ctx, ward_error *err);

/*
 * Read one file of a disk image again by its metadata address, as a scan
 * recorded it ("inode" in files.jsonl): `image` is the disk image on the host
 * (raw, E01, VMDK, VHD: what The Sleuth Kit opens itself), `inner` the
 * file's path inside it as the scan wrote it after "!/" (its first part,
 * "p1@2048/", names the partition by its first sector), `inode` the
 * address. The path's name is not used to find the file, so a deleted file
 * and a live one of the same name, or two files of one name, are each read
 * as themselves. *buf (malloc'd, *len bytes) gets its content.
 * WARD_ENOTFOUND: the image or the address is gone, or is not a regular
 * file now; WARD_EUNSUPPORTED: the image is not one The Sleuth Kit opens
 * directly (a QCOW or VDI, which a scan converts first): read it by path;
 * WARD_ELIMIT: larger than max_len.
 */
ward_status ward_source_read_inode(const char *image, const char *inner, uint64_t inode,
                                   uint64_t max_len, uint8_t **buf, size_t *len,
                                   ward_error *err);

/* What a buffer or file start looks like to the source layer. */
typedef enum ward_container_type {
    WARD_CONTAINER_NONE = 0,
    WARD_CONTAINER_ARCHIVE,   /* zip, tar, 7z, rar, cpio, iso9660, ... */
    WARD_CONTAINER_COMPRESSED,/* gzip, bzip2, xz, zstd, lz4 single stream */
    WARD_CONTAINER_EWF,       /* Expert Witness (E01) disk image */
    WARD_CONTAINER_VDISK      /* a virtual machine's disk: VMDK, VHD, VHDX,
                                 QCOW, VDI */
} ward_container_type;
ward_container_type ward_container_sniff(const uint8_t *buf, size_t len);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
