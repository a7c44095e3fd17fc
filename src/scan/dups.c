/* Open-addressing set of content keys (the SHA-256, or the MD5/SHA-1 when
 * that is all a scan computes) with the first path seen for each. */
#include "scan/scan_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct dup_slot {
    uint8_t key[32];
    char *path;      /* NULL: empty slot */
} dup_slot;

struct dup_table {
    dup_slot *slots;
    size_t cap, n;
};

dup_table *dup_new(void)
{
    dup_table *t = calloc(1, sizeof *t);
    if (t && !(t->slots = calloc(t->cap = 1024, sizeof *t->slots))) {
        free(t);
        return NULL;
    }
    return t;
}

void dup_free(dup_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->cap; i++) free(t->slots[i].path);
    free(t->slots);
    free(t);
}

static size_t slot_of(const dup_table *t, const uint8_t key[32])
{
    uint64_t h;
    memcpy(&h, key, 8); /* digests are uniformly random already */
    size_t i = (size_t)h & (t->cap - 1);
    while (t->slots[i].path && memcmp(t->slots[i].key, key, 32) != 0)
        i = (i + 1) & (t->cap - 1);
    return i;
}

static int grow(dup_table *t)
{
    dup_table bigger = {calloc(t->cap * 2, sizeof(dup_slot)), t->cap * 2, t->n};
    if (!bigger.slots) return 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].path)
            bigger.slots[slot_of(&bigger, t->slots[i].key)] = t->slots[i];
    free(t->slots);
    *t = bigger;
    return 1;
}

const char *dup_check(dup_table *t, const uint8_t key[32], const char *path)
{
    size_t i = slot_of(t, key);
    if (t->slots[i].path)
        return t->slots[i].path;
    if ((t->n + 1) * 2 > t->cap) {
        if (!grow(t)) return NULL; /* out of memory: treat as unique */
        i = slot_of(t, key);
    }
    memcpy(t->slots[i].key, key, 32);
    t->slots[i].path = strdup(path);
    if (t->slots[i].path) t->n++;
    return NULL;
}
