/* The submitter's state in the service store (state.c). */
#ifndef WARD_TIPLINE_STATE_H
#define WARD_TIPLINE_STATE_H

#include <stdint.h>
#include <ward/ward.h>

typedef struct svc_state svc_state;

typedef struct tls_report {
    char state[16];    /* "" (never sent), submitting, submitted, finished, failed */
    char ncmec_id[64];
    char note[256];
    int attempts;
} tls_report;

typedef struct tls_file {
    char state[16];    /* "" (never sent), uploading, uploaded, described */
    char file_id[64];
    char md5[40];
} tls_file;

ward_status tls_report_get(svc_state *s, int64_t id, tls_report *r, ward_error *err);
/* Insert the 'submitting' row; *claimed 0 when one was there already. */
ward_status tls_report_claim(svc_state *s, int64_t id, const char *endpoint, int *claimed,
                             ward_error *err);
/* ncmec_id NULL: unchanged. */
ward_status tls_report_set(svc_state *s, int64_t id, const char *state, const char *ncmec_id,
                           const char *note, ward_error *err);
/* Drop a claim whose call did not reach NCMEC (its files' claims too). */
ward_status tls_report_forget(svc_state *s, int64_t id, ward_error *err);
ward_status tls_file_get(svc_state *s, int64_t id, const char *sha, tls_file *f,
                         ward_error *err);
ward_status tls_file_claim(svc_state *s, int64_t id, const char *sha, int *claimed,
                           ward_error *err);
ward_status tls_file_set(svc_state *s, int64_t id, const char *sha, const char *state,
                         const char *file_id, const char *md5, ward_error *err);
ward_status tls_file_forget(svc_state *s, int64_t id, const char *sha, ward_error *err);
/* Every service report with its submission row (state "" when none). */
ward_status tls_each(svc_state *s, int (*cb)(void *ctx, int64_t id, const tls_report *r),
                     void *ctx, ward_error *err);
/* How many of the report's files are in state (described, uploading, ...). */
int tls_files_in(svc_state *s, int64_t id, const char *state);

#endif
