/*
 * Fuzz target: a publisher's index.json as `ward release pull` reads it
 * (fetch_latest in src/release/pull.c, static, so reached through
 * ward_release_pull). The input is <tree>/fuzzlist/index.json of a release
 * tree that holds no manifests: a pull parses the index, then finds no
 * manifest for the version it names and stops before the store is
 * touched, so every input meets the same data directory.
 */
#include "fuzztmp.h"

#include <sodium.h>
#include <ward/keys.h>
#include <ward/release.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char datadir[160], tree[160], index_path[192];
static char trust[WARD_PUBKEY_TEXT_MAX];

static void setup(void)
{
    if (trust[0])
        return;
    fuzztmp_make("release-index");
    fuzztmp_path(datadir, sizeof datadir, "data");
    fuzztmp_path(tree, sizeof tree, "tree/fuzzlist");
    snprintf(index_path, sizeof index_path, "%s/index.json", tree);
    char parent[160];
    if (mkdir(fuzztmp_path(parent, sizeof parent, "tree"), 0700) != 0 ||
        mkdir(tree, 0700) != 0 || sodium_init() < 0)
        abort();
    ward_pubkey pub;
    uint8_t seed[32], sk[64];
    memset(seed, 0x5a, sizeof seed);
    crypto_sign_seed_keypair(pub.pk, sk, seed);
    memset(pub.id, 0, sizeof pub.id);
    ward_pubkey_format(&pub, trust);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (fuzztmp_write(index_path, data, size) != 0)
        return 0;
    ward_release_pull_opts o = {.trust = trust};
    ward_release_pull_result res;
    ward_error err;
    (void)ward_release_pull(datadir, NULL, tree, &o, &res, &err);
    return 0;
}
