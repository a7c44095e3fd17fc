/*
 * Fuzz target: the image front end (sniffing, every decoder, the luma sink,
 * EXIF orientation) and PDQ on whatever it decodes. Hostile media is the
 * first thing ward meets on a seized device; no input may crash or hang it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <ward/filehash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_hash_opts opts;
    ward_hash_opts_default(&opts);
    opts.digests = 0;
    opts.dihedral = 1;
    opts.video = 0; /* videos have their own decoder; this target is images */
    /* Keep single inputs cheap so the fuzzer explores instead of decoding
     * one huge declared image; the limit path itself is exercised too. */
    opts.decode.max_pixels = 4u << 20;
    opts.decode.apply_orientation = size & 1;
    ward_hasher *h = ward_hasher_new(&opts);
    if (!h)
        return 0;
    ward_file_hash r;
    (void)ward_hasher_buffer(h, data, size, &r);
    ward_hasher_free(h);
    return 0;
}
