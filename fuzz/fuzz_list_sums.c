/* Fuzz target: md5sum/sha1sum/sha256sum-style lists, any mix only (see listfuzz.h). */
#include "listfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return listfuzz_run(listfuzz_sums, data, size);
}
