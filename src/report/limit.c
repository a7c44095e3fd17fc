/*
 * Per-address rate limit of the public form, in place of a CAPTCHA (which
 * a child, or a screen reader, may not get past). A fixed table: memory is
 * set when the server starts and a flood of addresses cannot grow it.
 * Addresses are held as a keyed hash (SipHash under a key drawn at start),
 * so the table says nothing of who sent what and cannot be steered into
 * collisions from outside. IPv6 addresses count by their /64: one
 * household or phone gets one prefix, and a sender could otherwise walk
 * through 2^64 addresses.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <ward/report.h>

typedef struct slot {
    uint64_t key;       /* 0: free */
    double start;       /* when this address's window began */
    int count;
} slot;

struct ward_report_limit {
    pthread_mutex_t lock;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    slot *slots;
    size_t n;
    int per_window;
    double window_s;
};

ward_report_limit *ward_report_limit_new(size_t slots, int per_window, double window_s)
{
    if (!slots || per_window < 1 || !(window_s > 0) || sodium_init() < 0)
        return NULL;
    ward_report_limit *l = calloc(1, sizeof *l);
    if (!l || !(l->slots = calloc(slots, sizeof *l->slots))) {
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    randombytes_buf(l->hash_key, sizeof l->hash_key);
    l->n = slots, l->per_window = per_window, l->window_s = window_s;
    return l;
}

void ward_report_limit_free(ward_report_limit *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l->slots);
    free(l);
}

static uint64_t address_key(const ward_report_limit *l, const char *address)
{
    unsigned char bin[16], out[crypto_shorthash_BYTES];
    size_t n;
    if (inet_pton(AF_INET6, address, bin) == 1) {
        n = 8;   /* the /64 */
        if (!memcmp(bin, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))   /* IPv4-mapped: the IPv4 */
            memmove(bin, bin + 12, 4), n = 4;
    } else if (inet_pton(AF_INET, address, bin) == 1)
        n = 4;
    else {   /* not an address (a test, a socket): the text itself */
        n = strlen(address);
        crypto_shorthash(out, (const unsigned char *)address, n, l->hash_key);
        goto done;
    }
    crypto_shorthash(out, bin, n, l->hash_key);
done:;
    uint64_t k;
    memcpy(&k, out, sizeof k);
    return k ? k : 1;
}

/* Whether the slot's window is over (or lies ahead: the clock went back):
 * its count no longer limits anyone. */
static int window_over(const ward_report_limit *l, const slot *s, double now)
{
    return now - s->start >= l->window_s || now < s->start;
}

/* How much a slot is worth keeping when another address needs room:
 * 0 its window is over (nothing to lose), 1 live and under its limit
 * (losing it only restarts a count), 2 live and over its limit (losing it
 * would let a limited sender straight back in). A flood of fresh addresses
 * arrives at count 1, so it only ever pushes out other fresh or
 * under-limit ones. */
static int keep_rank(const ward_report_limit *l, const slot *s, double now)
{
    if (window_over(l, s, now))
        return 0;
    return s->count >= l->per_window ? 2 : 1;
}

/* The address's slot: its own, a free one, or the one to reuse (lowest
 * keep_rank, then oldest). The table is searched linearly from the hash's
 * position over a short run (16), so a lookup costs the same whatever the
 * table's size. */
#define PROBE 16

static slot *find(ward_report_limit *l, uint64_t key, double now)
{
    size_t at = (size_t)(key % l->n);
    slot *victim = NULL;
    int victim_rank = 3;
    for (size_t i = 0; i < PROBE && i < l->n; i++) {
        slot *s = &l->slots[(at + i) % l->n];
        if (s->key == key)
            return s;
        int rank = s->key ? keep_rank(l, s, now) : -1;
        if (rank < victim_rank || (rank == victim_rank && s->start < victim->start))
            victim = s, victim_rank = rank;
    }
    *victim = (slot){.key = key, .start = now, .count = 0};
    return victim;
}

int ward_report_limit_take(ward_report_limit *l, const char *address, double now,
                           double *retry_s)
{
    uint64_t key = address_key(l, address ? address : "");
    pthread_mutex_lock(&l->lock);
    slot *s = find(l, key, now);
    if (window_over(l, s, now))
        s->start = now, s->count = 0;
    int ok = s->count < l->per_window;
    if (ok)
        s->count++;
    if (retry_s)
        *retry_s = ok ? 0 : s->start + l->window_s - now;
    pthread_mutex_unlock(&l->lock);
    return ok;
}
