/*
 * Shared body of the one-format hash-list targets (fuzz_list_*.c): the
 * input becomes an in-memory file that one reader parses leniently, as
 * `ward db import --format X` does. fuzz_hashlist.c spreads its inputs over
 * every reader (through listfuzz_run too); these give each format the
 * fuzzer's whole attention.
 */
#ifndef WARD_FUZZ_LISTFUZZ_H
#define WARD_FUZZ_LISTFUZZ_H

#include "exchange/exchange.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

typedef ward_status (*listfuzz_reader)(wx_in *in, const wx_sink *sink, ward_error *err);

/* Readers whose signature differs, adapted to listfuzz_reader. */
static inline ward_status listfuzz_vics(wx_in *in, const wx_sink *sink, ward_error *err)
{
    char version[16];
    return wx_read_vics(in, sink, version, NULL, NULL, err);
}

static inline ward_status listfuzz_sums(wx_in *in, const wx_sink *sink, ward_error *err)
{
    return wx_read_sums(in, sink, -1, err);
}

static inline ward_status listfuzz_vpdq(wx_in *in, const wx_sink *sink, ward_error *err)
{
    return wx_read_vpdq(in, sink, "fuzz.mp4", err);
}

static ward_status listfuzz_record(void *ctx, const wx_record *r)
{
    (void)r;
    ++*(size_t *)ctx;
    return WARD_OK;
}

static ward_status listfuzz_bad(void *ctx, const char *where, const char *msg)
{
    (void)ctx; (void)where; (void)msg;
    return WARD_OK; /* keep going, as a lenient import does */
}

static void listfuzz_count(void *ctx) { ++*(size_t *)ctx; }

static inline int listfuzz_run(listfuzz_reader read, const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-list", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        size_t n = 0;
        wx_sink sink = {.ctx = &n, .record = listfuzz_record, .bad = listfuzz_bad,
                        .duplicate = listfuzz_count};
        ward_error err;
        wx_in in;
        if (wx_in_open(&in, path, &err) == WARD_OK) {
            (void)read(&in, &sink, &err);
            char sha[65];
            (void)wx_in_finish(&in, sha);
            wx_in_close(&in);
        }
    }
    close(fd);
    return 0;
}

#endif
