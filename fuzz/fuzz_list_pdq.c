/* Fuzz target: PDQ text lists (hash,quality[,name]) only (see listfuzz.h). */
#include "listfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return listfuzz_run(wx_read_pdq, data, size);
}
