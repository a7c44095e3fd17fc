/*
 * embed.c -- check uploads against ward's hash sets in-process.
 *
 * What a platform's upload service would do without the HTTP hop: open the
 * data directory once, then for each upload ask ward_match_bytes() whether
 * it is known, and hold the upload for human review if it matched an
 * alert-class entry. Build (after `make`):
 *
 *   cc -Iinclude examples/embed.c -Lbuild -lward -o embed
 *   LD_LIBRARY_PATH=build ./embed DATADIR FILE...
 *
 * The store is where DATADIR/store.url says (`ward migrate` writes it), else
 * the URL in $EMBED_STORE (this program's own setting: libward never reads
 * the environment, the application decides), else SQLite in DATADIR.
 *
 * Exit status: 0 nothing matched, 1 something matched, 2 usage, 3 error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <ward/match.h>

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int check_upload(ward_match *m, const char *path)
{
    size_t len;
    unsigned char *bytes = slurp(path, &len);
    if (!bytes) {
        fprintf(stderr, "embed: cannot read %s\n", path);
        return -1;
    }
    ward_match_result res;
    ward_error err;
    ward_status st = ward_match_bytes(m, bytes, len, NULL, &res, NULL, &err);
    free(bytes);
    if (st != WARD_OK) {
        fprintf(stderr, "embed: %s: %s\n", path, err.message);
        return -1;
    }
    printf("%s: %s\n", path, res.alert ? "HOLD for review" : res.count ? "known, not alert" : "no match");
    for (size_t i = 0; i < res.count; i++) {
        const ward_match_hit *h = &res.hits[i];
        printf("  %s %s distance %d: list %s, category %s (%s)\n", h->kind, h->hash, h->distance,
               h->list, h->category ? h->category : "-",
               h->category_class ? h->category_class : "uncategorised");
    }
    int matched = res.count > 0;
    ward_match_result_free(&res);
    return matched;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: embed DATADIR FILE...\n");
        return 2;
    }
    ward_match *m;
    ward_error err;
    const char *store_url = getenv("EMBED_STORE"); /* NULL: see above */
    if (ward_match_open(argv[1], store_url, NULL, &m, &err) != WARD_OK) {
        fprintf(stderr, "embed: %s\n", err.message);
        return 3;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        int r = check_upload(m, argv[i]);
        if (r < 0)
            rc = 3;
        else if (r > 0 && rc == 0)
            rc = 1;
    }
    ward_match_close(m);
    return rc;
}
