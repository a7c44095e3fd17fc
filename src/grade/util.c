/* Small helpers shared by the grade room's files. */
#include "grade/grade_int.h"
#include "scan/jsonl.h"
#include "util/error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static size_t slot_of(const grade_strset *s, const char *key, size_t len)
{
    size_t i = (size_t)fnv(key, len) & (s->cap - 1);
    while (s->keys[i] && !(s->lens[i] == len && !memcmp(s->keys[i], key, len)))
        i = (i + 1) & (s->cap - 1);
    return i;
}

static int grow(grade_strset *s)
{
    grade_strset n = {.cap = s->cap ? s->cap * 2 : 64};
    n.keys = calloc(n.cap, sizeof *n.keys);
    n.lens = calloc(n.cap, sizeof *n.lens);
    if (!n.keys || !n.lens) {
        free(n.keys);
        free(n.lens);
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++)
        if (s->keys[i]) {
            size_t j = slot_of(&n, s->keys[i], s->lens[i]);
            n.keys[j] = s->keys[i];
            n.lens[j] = s->lens[i];
        }
    n.count = s->count;
    free(s->keys);
    free(s->lens);
    *s = n;
    return 0;
}

int grade_strset_add(grade_strset *s, const char *key, size_t len)
{
    if ((s->count + 1) * 2 > s->cap && grow(s) < 0) return -1;
    size_t i = slot_of(s, key, len);
    if (s->keys[i]) return 0;
    if (!(s->keys[i] = malloc(len + 1))) return -1;
    memcpy(s->keys[i], key, len);
    s->keys[i][len] = 0;
    s->lens[i] = len;
    s->count++;
    return 1;
}

int grade_strset_has(const grade_strset *s, const char *key, size_t len)
{
    return s->cap && s->keys[slot_of(s, key, len)] != NULL;
}

void grade_strset_free(grade_strset *s)
{
    for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
    free(s->keys);
    free(s->lens);
    memset(s, 0, sizeof *s);
}

ward_status grade_mkdir(const char *report_dir, ward_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/grade", report_dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return err_fail_errno(err, errno, "cannot create %s", path);
    return WARD_OK;
}

void grade_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long grade_frames(yajl_val frames, ward_vpdq *out)
{
    if (!frames || !YAJL_IS_ARRAY(frames)) return 0;
    for (size_t i = 0; i < frames->u.array.len; i++) {
        yajl_val f = frames->u.array.values[i];
        const char *hex = jv_str(f, "pdq");
        ward_vpdq_frame fr = {.quality = (int)jv_int(f, "quality", -1),
                              .frame_number = jv_int(f, "frame", (long long)i)};
        yajl_val ts = jv_get(f, "timestamp");
        if (ts && YAJL_IS_NUMBER(ts)) fr.timestamp = YAJL_GET_DOUBLE(ts);
        if (!hex || ward_pdq_from_hex(hex, &fr.hash) != WARD_OK || fr.quality < 0 ||
            fr.quality > 100)
            return (long)i + 1;
        if (ward_vpdq_append(out, &fr, NULL) != WARD_OK) return -1;
    }
    return 0;
}
