/*
 * Fuzz target: the container layer (archive sniffing, libarchive streaming,
 * nesting, the expansion-ratio and path limits, TSK for inputs that look
 * like volumes). Archives on a seized device are hostile input; no member
 * list, header or compressed stream may crash or hang the scan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <ward/source.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_item(void *ctx, ward_item *item)
{
    (void)ctx;
    free(item->data);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The source layer reads paths: hand it an in-memory file. */
    int fd = memfd_create("fuzz-container", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ward_source_opts opts;
    ward_source_opts_default(&opts);
    opts.max_depth = 3;
    opts.max_ratio = 50;
    opts.max_buffer = 1u << 20;
    opts.max_spool = 8u << 20;   /* disk images in archives: small temporary files */
    ward_error err;
    (void)ward_source_read(path, &opts, on_item, NULL, &err);
    close(fd);
    return 0;
}
