/*
 * Fuzz target: the hash-list readers (VICS JSON, hashdeep, md5sum-style
 * sums, CSV, PDQ text, vPDQ text). Partner lists come from many tools and
 * some from people who wish ward harm; no file may crash an import. The
 * first byte picks the reader, the rest is the file. (fuzz_list_*.c fuzz
 * one reader each.)
 */
#include "listfuzz.h"

#include <ward/vpdq.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const listfuzz_reader readers[5] = {listfuzz_vics, wx_read_hashdeep, listfuzz_sums,
                                               wx_read_csv, wx_read_pdq};
    if (size < 1)
        return 0;
    int reader = data[0] % 6;
    data++, size--;
    if (reader == 5) {
        ward_vpdq v = {0};
        ward_error err;
        (void)ward_vpdq_parse((const char *)data, size, &v, &err);
        ward_vpdq_free(&v);
        return 0;
    }
    return listfuzz_run(readers[reader], data, size);
}
