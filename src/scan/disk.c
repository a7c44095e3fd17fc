/*
 * Disk images through The Sleuth Kit: raw/dd, split raw and E01 (TSK uses
 * libewf), any volume system (DOS/GPT/...), every file system TSK reads (FAT,
 * exFAT, NTFS, ext2/3/4, HFS+, ISO9660, ...). Allocated and deleted names
 * are both walked; a deleted file whose inode has since been reused is
 * reported, not read (its blocks belong to another file now). Everything
 * runs in the one reader thread: TSK handles are not shared.
 */
#include "scan/source_int.h"
#include "util/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tsk/libtsk.h>
#include <ward/media.h>
#include <ward/walk.h>

typedef struct fs_walk {
    src_ctx *s;
    const char *image_path;   /* display path of the image */
    const char *volume;       /* "" or "p2/" */
    int depth;
    uint64_t files;
} fs_walk;

typedef struct tsk_reader {
    TSK_FS_FILE *file;
    TSK_OFF_T off, size;
} tsk_reader;

static ssize_t read_tsk(void *rctx, uint8_t *buf, size_t n, const char **why)
{
    tsk_reader *r = rctx;
    if (r->off >= r->size)
        return 0;
    if ((TSK_OFF_T)n > r->size - r->off)
        n = (size_t)(r->size - r->off);
    ssize_t got = tsk_fs_file_read(r->file, r->off, (char *)buf, n, TSK_FS_FILE_READ_FLAG_NONE);
    if (got < 0) {
        *why = tsk_error_get();
        return -1;
    }
    r->off += got;
    return got;
}

/* TSK lists a FAT volume label as a regular empty file named "LABEL
 * (Volume Label Entry)" (the 8.3 fields of the label entry, no long name,
 * so no short name beside it). It is file-system metadata, not a file: a
 * real file with that long name has its 8.3 alias in shrt_name. */
static int fat_volume_label(const TSK_FS_FILE *f)
{
    static const char tag[] = " (Volume Label Entry)";
    size_t n = strlen(f->name->name), k = sizeof tag - 1;
    return f->fs_info && TSK_FS_TYPE_ISFAT(f->fs_info->ftype) && f->meta->size == 0 &&
           n > k && strcmp(f->name->name + n - k, tag) == 0 &&
           (!f->name->shrt_name || !f->name->shrt_name[0]);
}

static TSK_WALK_RET_ENUM on_file(TSK_FS_FILE *f, const char *dir, void *ptr)
{
    fs_walk *w = ptr;
    src_ctx *s = w->s;
    if (s->stop)
        return TSK_WALK_STOP;
    if (!f->name || !f->meta || f->meta->type != TSK_FS_META_TYPE_REG)
        return TSK_WALK_CONT;
    if (fat_volume_label(f))
        return TSK_WALK_CONT;
    if (strcmp(f->name->name, ".") == 0 || strcmp(f->name->name, "..") == 0)
        return TSK_WALK_CONT;
    char inner[4096];
    snprintf(inner, sizeof inner, "%s%s%s", w->volume, dir, f->name->name);
    char *path = src_member_path(s, w->image_path, inner, w->depth + 1);
    if (!path)
        return s->stop ? TSK_WALK_STOP : TSK_WALK_CONT;
    int deleted = (f->name->flags & TSK_FS_NAME_FLAG_UNALLOC) != 0;
    if (deleted && (f->meta->flags & TSK_FS_META_FLAG_ALLOC)) {
        src_notice(s, WARD_ITEM_ERROR, path, w->depth + 1,
                   "deleted file whose inode was reused; content not recoverable");
    } else {
        ward_item proto = {.mtime = f->meta->mtime, .atime = f->meta->atime,
                           .ctime = f->meta->ctime, .crtime = f->meta->crtime,
                           .deleted = deleted, .has_inode = 1, .inode = f->meta->addr};
        tsk_reader r = {f, 0, f->meta->size};
        src_member(s, path, (uint64_t)f->meta->size, read_tsk, &r, w->depth + 1, &proto, NULL);
        w->files++;
    }
    free(path);
    return s->stop ? TSK_WALK_STOP : TSK_WALK_CONT;
}

static void walk_fs(src_ctx *s, TSK_FS_INFO *fs, const char *path, const char *volume, int depth)
{
    fs_walk w = {s, path, volume, depth, 0};
    if (tsk_fs_dir_walk(fs, fs->root_inum,
                        TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_UNALLOC |
                            TSK_FS_DIR_WALK_FLAG_RECURSE,
                        on_file, &w) != 0 && !s->stop)
        src_notice(s, WARD_ITEM_ERROR, path, depth, "file system walk stopped early: %s",
                   tsk_error_get());
}

/* Worth asking TSK, and as what? Small files and images are not disk
 * images; an E01 or a virtual machine's disk announces itself, anything
 * else is tried as raw (dd). The type is named rather than left to
 * TSK_IMG_TYPE_DETECT, whose probes of VMDK and VHD leak memory on every
 * file they reject. *fmt names a format TSK does not read ("QCOW", ...),
 * returned as TSK_IMG_TYPE_UNSUPP. */
static TSK_IMG_TYPE_ENUM plausible(const char *path, const char **fmt)
{
    struct stat st;
    *fmt = NULL;
    if (stat(path, &st) != 0 || st.st_size < 512)
        return TSK_IMG_TYPE_UNSUPP;
    int fd = ward_open_evidence(path); /* O_NOATIME: looking is not touching */
    if (fd < 0) return TSK_IMG_TYPE_UNSUPP;
    uint8_t head[512];
    ssize_t got = pread(fd, head, sizeof head, 0);
    close(fd);
    size_t n = got > 0 ? (size_t)got : 0;
    if (ward_media_is_image(ward_media_sniff(head, n)))
        return TSK_IMG_TYPE_UNSUPP;
    const char *v = src_vdisk_format(head, n);
    if (!v && ward_container_sniff(head, n) == WARD_CONTAINER_EWF)
        return TSK_IMG_TYPE_EWF_EWF;
    if (!v) /* raw: under 64 KiB no file system worth the probe */
        return st.st_size < 64 * 1024 ? TSK_IMG_TYPE_UNSUPP : TSK_IMG_TYPE_RAW;
    /* a differencing VHD names its parent, which TSK cannot follow (and
     * leaks on): qemu-img's look at it says which file it needs */
    if (strcmp(v, "VHD") == 0 && src_vhd_differencing(head, n)) {
        *fmt = v;
        return TSK_IMG_TYPE_UNSUPP;
    }
    TSK_IMG_TYPE_ENUM t = strcmp(v, "VMDK") == 0  ? TSK_IMG_TYPE_VMDK_VMDK
                          : strcmp(v, "VHD") == 0 ? TSK_IMG_TYPE_VHD_VHD
                                                  : TSK_IMG_TYPE_UNSUPP;
    if (t != TSK_IMG_TYPE_UNSUPP && !(tsk_img_type_supported() & t))
        t = TSK_IMG_TYPE_UNSUPP;
    if (t == TSK_IMG_TYPE_UNSUPP)
        *fmt = v;
    return t;
}

/* "p1@2048/": the partition's number as fdisk and Linux give it (a DOS
 * primary is its slot in the MBR plus one, a logical partition 5, 6, ...
 * down the chain of extended tables; a GPT partition its entry number plus
 * one) and its first sector, the Start column of mmls. TSK's own p->addr
 * counts the table and unallocated rows of mmls too, so the first two
 * partitions used to be p2 and p4. */
static void partition_name(const TSK_VS_INFO *vs, const TSK_VS_PART_INFO *p, char *out, size_t cap)
{
    int num = p->slot_num + 1;
    if (vs->vstype == TSK_VS_TYPE_DOS && p->table_num > 0)
        num = 4 + p->table_num;
    snprintf(out, cap, "p%d@%" PRIuDADDR "/", num, p->start);
}

int src_disk_image(src_ctx *s, const char *open_path, const char *path, int depth, int claimed)
{
    const char *fmt;
    TSK_IMG_TYPE_ENUM type = plausible(open_path, &fmt);
    if (fmt) {
        if (src_vdisk_convert(s, open_path, fmt, path, depth))
            return 1;
        return 0;
    }
    if (type == TSK_IMG_TYPE_UNSUPP)
        return 0;
    claimed |= type != TSK_IMG_TYPE_RAW;
    TSK_IMG_INFO *img = tsk_img_open_utf8_sing(open_path, type, 0);
    if (!img) {
        if (claimed)
            src_notice(s, WARD_ITEM_ERROR, path, depth, "disk image unreadable: %s",
                       tsk_error_get());
        tsk_error_reset();
        return 0;
    }
    int found = 0;
    TSK_VS_INFO *vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT);
    if (vs) {
        for (TSK_PNUM_T i = 0; i < vs->part_count && !s->stop; i++) {
            const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, i);
            if (!p || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
                continue;
            TSK_FS_INFO *fs = tsk_fs_open_img(img, (TSK_OFF_T)p->start * vs->block_size,
                                              TSK_FS_TYPE_DETECT);
            char vol[64];
            partition_name(vs, p, vol, sizeof vol);
            if (!fs) {
                src_notice(s, WARD_ITEM_ERROR, path, depth,
                           "partition %.*s (%s): no file system TSK can read",
                           (int)strlen(vol) - 1, vol, p->desc ? p->desc : "?");
                tsk_error_reset();
                continue;
            }
            walk_fs(s, fs, path, vol, depth);
            tsk_fs_close(fs);
            found = 1;
        }
        tsk_vs_close(vs);
    } else {
        tsk_error_reset();
        TSK_FS_INFO *fs = tsk_fs_open_img(img, 0, TSK_FS_TYPE_DETECT);
        if (fs) {
            walk_fs(s, fs, path, "", depth);
            tsk_fs_close(fs);
            found = 1;
        } else {
            tsk_error_reset();
        }
    }
    if (!found && claimed)
        src_notice(s, WARD_ITEM_ERROR, path, depth,
                   "%s with no partition or file system TSK can read; not examined",
                   img->itype == TSK_IMG_TYPE_EWF_EWF ? "E01 image" : "disk image");
    tsk_img_close(img);
    return found;
}

/* ---- reading one file again by its address ------------------------------ */

/* "p1@2048/..." -> 2048; -1 when the path names no partition. */
static long long partition_start(const char *inner)
{
    unsigned long long num, start;
    int used = 0;
    if (sscanf(inner, "p%llu@%llu/%n", &num, &start, &used) != 2 || used == 0) return -1;
    return (long long)start;
}

static ward_status read_meta(TSK_FS_INFO *fs, uint64_t inode, uint64_t max_len, uint8_t **buf,
                             size_t *len, const char *image, ward_error *err)
{
    TSK_FS_FILE *f = tsk_fs_file_open_meta(fs, NULL, (TSK_INUM_T)inode);
    if (!f || !f->meta || f->meta->type != TSK_FS_META_TYPE_REG) {
        if (f) tsk_fs_file_close(f);
        tsk_error_reset();
        return err_fail(err, WARD_ENOTFOUND, "missing: %s has no file at inode %" PRIu64, image,
                         inode);
    }
    TSK_OFF_T size = f->meta->size;
    if (size < 0 || (uint64_t)size > max_len) {
        tsk_fs_file_close(f);
        return err_fail(err, WARD_ELIMIT, "%s inode %" PRIu64 " is too large to show", image, inode);
    }
    uint8_t *p = malloc(size ? (size_t)size : 1);
    if (!p) {
        tsk_fs_file_close(f);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    tsk_reader r = {f, 0, size};
    size_t got = 0;
    const char *why = NULL;
    for (ssize_t n; got < (size_t)size; got += (size_t)n)
        if ((n = read_tsk(&r, p + got, (size_t)size - got, &why)) <= 0) break;
    tsk_fs_file_close(f);
    if (got < (size_t)size) { /* the digest check would say "changed"; say why */
        free(p);
        ward_status st = err_fail(err, WARD_EIO, "%s inode %" PRIu64 ": read stopped at byte %zu: %s",
                                   image, inode, got, why ? why : "end of data");
        tsk_error_reset();
        return st;
    }
    *buf = p;
    *len = got;
    return WARD_OK;
}

ward_status ward_source_read_inode(const char *image, const char *inner, uint64_t inode,
                                   uint64_t max_len, uint8_t **buf, size_t *len,
                                   ward_error *err)
{
    *buf = NULL;
    *len = 0;
    struct stat st;
    if (stat(image, &st) != 0) return err_fail(err, WARD_ENOTFOUND, "missing: %s is gone", image);
    const char *fmt;
    TSK_IMG_TYPE_ENUM type = plausible(image, &fmt);
    if (type == TSK_IMG_TYPE_UNSUPP)
        return err_fail(err, WARD_EUNSUPPORTED, "%s is not a disk image The Sleuth Kit opens itself",
                         image);
    TSK_IMG_INFO *img = tsk_img_open_utf8_sing(image, type, 0);
    if (!img) {
        ward_status s = err_fail(err, WARD_EFORMAT, "disk image unreadable: %s: %s", image,
                                  tsk_error_get());
        tsk_error_reset();
        return s;
    }
    TSK_OFF_T off = 0;
    long long start = partition_start(inner);
    if (start >= 0) { /* the scan named a partition: it had a volume system */
        TSK_VS_INFO *vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT);
        if (vs) {
            off = (TSK_OFF_T)start * vs->block_size;
            tsk_vs_close(vs);
        } else {
            tsk_error_reset();
            start = -1; /* a top-level folder named like a partition */
        }
    }
    TSK_FS_INFO *fs = tsk_fs_open_img(img, off, TSK_FS_TYPE_DETECT);
    ward_status s;
    if (!fs) {
        s = err_fail(err, WARD_ENOTFOUND, "missing: %s: no file system at byte %lld any more",
                      image, (long long)off);
        tsk_error_reset();
    } else {
        s = read_meta(fs, inode, max_len, buf, len, image, err);
        tsk_fs_close(fs);
    }
    tsk_img_close(img);
    return s;
}
