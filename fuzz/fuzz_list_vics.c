/* Fuzz target: Project VIC VICS 1.x/2.0 JSON only (see listfuzz.h). */
#include "listfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return listfuzz_run(listfuzz_vics, data, size);
}
