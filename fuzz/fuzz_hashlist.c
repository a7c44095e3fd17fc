/*
 * Fuzz target: the hash-list readers (VICS JSON, hashdeep, md5sum-style
 * sums, CSV, PDQ text, vPDQ text). Partner lists come from many tools and
 * some from people who wish ward harm; no file may crash an import. The
 * first byte picks the reader, the rest is the file.
 */
#include "exchange/exchange.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <ward/vpdq.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ward_status on_record(void *ctx, const wx_record *r)
{
    (void)r;
    ++*(size_t *)ctx;
    return WARD_OK;
}

static ward_status on_bad(void *ctx, const char *where, const char *msg)
{
    (void)ctx; (void)where; (void)msg;
    return WARD_OK; /* keep going, as a lenient import does */
}

static void read_list(int reader, const char *path)
{
    size_t n = 0;
    wx_sink sink = {.ctx = &n, .record = on_record, .bad = on_bad};
    ward_error err;
    wx_in in;
    if (wx_in_open(&in, path, &err) != WARD_OK)
        return;
    char version[16];
    switch (reader % 5) {
    case 0: wx_read_vics(&in, &sink, version, &err); break;
    case 1: wx_read_hashdeep(&in, &sink, &err); break;
    case 2: wx_read_sums(&in, &sink, -1, &err); break;
    case 3: wx_read_csv(&in, &sink, &err); break;
    default: wx_read_pdq(&in, &sink, &err); break;
    }
    wx_in_close(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int reader = data[0] % 6;
    data++, size--;
    if (reader == 5) {
        ward_vpdq v = {0};
        ward_error err;
        ward_vpdq_parse((const char *)data, size, &v, &err);
        ward_vpdq_free(&v);
        return 0;
    }
    int fd = memfd_create("fuzz-hashlist", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        read_list(reader, path);
    }
    close(fd);
    return 0;
}
