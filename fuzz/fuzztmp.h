/*
 * A scratch folder for the whole run of a fuzz target whose code under test
 * reads and writes files (a data directory, a release tree): made once,
 * under /dev/shm when there is one (no disk I/O per input), and removed at
 * exit, so a run leaves nothing behind. Inputs are written over the same
 * names each time.
 */
#ifndef WARD_FUZZ_FUZZTMP_H
#define WARD_FUZZ_FUZZTMP_H

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzztmp_dir[96];

static inline int fuzztmp_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st; (void)type; (void)ftw;
    remove(path);
    return 0;
}

static inline void fuzztmp_cleanup(void)
{
    if (fuzztmp_dir[0])
        nftw(fuzztmp_dir, fuzztmp_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Make the folder (once) for target `name`; aborts if it cannot: a fuzz
 * run without its scratch space would only report false crashes. */
static inline const char *fuzztmp_make(const char *name)
{
    if (fuzztmp_dir[0])
        return fuzztmp_dir;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
                               access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzztmp_dir, sizeof fuzztmp_dir, "%s/fuzz-%s-XXXXXX", base, name);
    if (!mkdtemp(fuzztmp_dir)) {
        perror(fuzztmp_dir);
        abort();
    }
    atexit(fuzztmp_cleanup);
    return fuzztmp_dir;
}

/* <scratch>/<rel> into out. */
static inline const char *fuzztmp_path(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", fuzztmp_dir, rel);
    return out;
}

/* Write n bytes to path (replacing it); 0 or -1. */
static inline int fuzztmp_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = n ? fwrite(data, 1, n, f) : 0;
    return fclose(f) == 0 && put == n ? 0 : -1;
}

/* Whole file into a malloc'd buffer; NULL on failure. */
static inline uint8_t *fuzztmp_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *n = buf ? (size_t)len : 0;
    return buf;
}

#endif
