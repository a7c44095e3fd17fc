/* Fuzz target: hashdeep lists only (see listfuzz.h). */
#include "listfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return listfuzz_run(wx_read_hashdeep, data, size);
}
