/* The API's transactions over HTTP (http.c). */
#ifndef WARD_TIPLINE_HTTP_H
#define WARD_TIPLINE_HTTP_H

#include <ward/tipline.h>

typedef enum tl_kind { TL_STATUS, TL_SUBMIT, TL_UPLOAD, TL_FILEINFO, TL_FINISH } tl_kind;

typedef enum tl_outcome {
    TL_OK,      /* responseCode 0 (or 5102 to finish) */
    TL_RETRY,   /* certainly nothing saved: not connected, or 1000/1100/1110/1111/1300 */
    TL_UNKNOWN, /* the request went out, no reportResponse came back */
    TL_REFUSED, /* NCMEC refused it (4xxx, 5xxx, 1210): a person reads why */
    TL_AUTH     /* the credentials are refused (401, 403, 2000, 3xxx) */
} tl_outcome;

typedef struct tl_request {
    tl_kind kind;
    const char *xml;        /* submit, fileinfo */
    const char *id;         /* upload, finish: NCMEC's reportId */
    const char *file_path;  /* upload */
    const char *file_name;  /* upload: the name sent */
} tl_request;

typedef struct tl_answer {
    long http;
    int code;               /* responseCode, -1 when none */
    char desc[160];         /* responseDescription, or what went wrong */
    char report_id[64], file_id[64], hash[64];
} tl_answer;

tl_outcome tl_call(const ward_tipline_opts *o, const tl_request *rq, tl_answer *a);

#endif
