/*
 * Fuzz target: release deltas (rel_delta_apply and rel_reasons_load in
 * src/release/canon.c), as a subscriber applies a downloaded delta before
 * its digest can be checked against the manifest: the input is the delta,
 * applied to a small fixed full release, the new release written to
 * /dev/null, then its removal reasons read as `ward release pull` does.
 */
#include "fuzztmp.h"
#include "release/rel_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Version 1 of a synthetic release made by `ward release create`, plus a
 * record with every key field and a quoted name that spans lines. */
static const char FULL[] =
    "md5,sha1,sha256,pdq,quality,category,series,victim_identified,tags,first_seen,"
    "updated,name,size,media_id\n"
    "00bff326d76c7adb838299768712ff8c,,,,,,,,,,,file-1.jpg,,\n"
    "4b89b2bf5e7cdd67af019466effef848,,,,,,,,,,,file-2.jpg,,\n"
    "83b13d5512ca5f4c182003f5aead3a56,,,,,,,,,,,file-4.jpg,,\n"
    "9e107d9d372bb6826bd81d3542a419d6,2fd4e1c67a2d28fced849ee1bb76e7391b93eb12,"
    "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592,"
    "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,1,"
    "Series A,1,tag,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,\"a \"\"quoted\"\"\nname.jpg\",1234,m1\n"
    "c82db0803b988c12b7245ed55dfd4b37,,,,,,,,,,,file-3.jpg,,\n"
    "e81afb1cbac11220a5c080334eab28f0,,,,,,,,,,,file-6.jpg,,\n"
    "fdf9f14698110c77b4247805d0f43c77,,,,,,,,,,,file-5.jpg,,\n";

static char full_path[160], delta_path[160];
static FILE *sink;

static void setup(void)
{
    if (sink)
        return;
    fuzztmp_make("release-delta");
    fuzztmp_path(full_path, sizeof full_path, "full");
    fuzztmp_path(delta_path, sizeof delta_path, "delta");
    if (fuzztmp_write(full_path, FULL, sizeof FULL - 1) != 0 ||
        !(sink = fopen("/dev/null", "w")))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (fuzztmp_write(delta_path, data, size) != 0)
        return 0;
    ward_error err;
    if (rel_delta_apply(full_path, delta_path, sink, &err) == WARD_OK) {
        rel_reasons r = {0};
        if (rel_reasons_load(&r, delta_path, 1, &err) == WARD_OK)
            rel_reasons_sort(&r);
        rel_reasons_free(&r);
    }
    return 0;
}
