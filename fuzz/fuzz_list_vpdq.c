/* Fuzz target: vPDQ frame lists as `ward db import` reads them only (see listfuzz.h). */
#include "listfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return listfuzz_run(listfuzz_vpdq, data, size);
}
