/*
 * tipline.h -- a confirmed match event's report in the structure of NCMEC's
 * CyberTipline reporting API, and the submitter that sends it.
 *
 * The match service (serve.h) writes a report (ward-report/1 JSON) when a
 * reviewer confirms a match event. This module turns that report into the
 * API's <report> and <fileDetails> XML, validated against the schema compiled
 * into ward (src/tipline/cybertipline.xsd), and runs the API's transactions
 * against a configured endpoint: submit the report, upload each file the
 * platform handed over as evidence (POST /v1/events/{id}/evidence), send its
 * fileDetails, finish. fileViewedByEsp is the reviewer's own answer, never
 * assumed.
 *
 * Nothing is sent twice and nothing is lost: the state of every submission
 * is kept in the service store (service.db, or its PostgreSQL schema). A call
 * that creates something at NCMEC (submit, upload) is recorded before it is
 * made; a definite failure (no connection, or an answer saying nothing was
 * saved) is retried, an unknown outcome (the request went out, no answer
 * came) is held for a person. docs/tipline.md is the reference.
 */
#ifndef WARD_TIPLINE_H
#define WARD_TIPLINE_H

#include <stddef.h>
#include <stdint.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* Who reports: the API requires the reporting person's email. */
typedef struct ward_tipline_reporter {
    const char *first_name; /* may be NULL */
    const char *last_name;  /* may be NULL */
    const char *email;      /* required */
    const char *phone;      /* may be NULL */
} ward_tipline_reporter;

/* ward_tipline_opts_default's values (the CLI's manual shows the same). */
#define WARD_TIPLINE_RETRIES 3
#define WARD_TIPLINE_RETRY_DELAY_S 2
#define WARD_TIPLINE_TIMEOUT_S 60

typedef struct ward_tipline_opts {
    const char *datadir;
    const char *store_url;         /* the service store when datadir has no
                                      store.url (NULL: SQLite; store.h) */
    const char *key_file;          /* service.db's key (NULL: in clear) */
    ward_tipline_reporter reporter;
    /* Submitting only: */
    const char *endpoint;          /* base URL, e.g. https://host/ispws */
    const char *user, *password;   /* HTTP Basic credentials */
    int retries;                   /* further tries of a call that definitely
                                      failed (WARD_TIPLINE_RETRIES) */
    double retry_delay_s;          /* first wait between tries, doubled each
                                      time (WARD_TIPLINE_RETRY_DELAY_S) */
    double timeout_s;              /* one call's limit (WARD_TIPLINE_TIMEOUT_S) */
    const char *actor;             /* who runs it, for the audit log */
    /* A person checked with NCMEC that a call held as 'unknown outcome'
     * did not arrive: make it again. */
    int resend;
    /* A person checked with NCMEC that a held call did arrive: NCMEC's
     * reportId of the held submit, or the fileId of the report's one held
     * upload; the submitter carries on from there (NULL: none). */
    const char *adopt_report_id, *adopt_file_id;
    /* Each fact the XML cannot carry exactly (a time not in ISO 8601 with a
     * zone, characters XML cannot hold, a port that is not a number): the
     * original is kept in additionalInfo and named here. May be NULL. */
    void (*notice)(void *ctx, const char *message);
    /* One line per transaction made (for the CLI's progress). May be NULL. */
    void (*progress)(void *ctx, const char *line);
    void *ctx;
} ward_tipline_opts;
void ward_tipline_opts_default(ward_tipline_opts *o);

/* The schema (NUL-terminated XSD text). */
const char *ward_tipline_xsd(void);

/* Validate an XML document against the schema: WARD_EFORMAT naming the
 * line and the element that does not conform. */
ward_status ward_tipline_validate(const char *xml, size_t len, ward_error *err);

/* The <report> document of service report report_id (malloc'd, validated).
 * *notices (may be NULL) gets the number of facts not carried exactly. */
ward_status ward_tipline_report_xml(const ward_tipline_opts *o, int64_t report_id, char **xml,
                                    int *notices, ward_error *err);

/* The <fileDetails> of one evidence file (its SHA-256) of a report that
 * has been submitted and whose file was uploaded: the ids are NCMEC's.
 * WARD_ENOTFOUND before that. */
ward_status ward_tipline_file_xml(const ward_tipline_opts *o, int64_t report_id,
                                  const char *sha256, char **xml, ward_error *err);

/* Where a submission stands. */
typedef enum ward_tipline_state {
    WARD_TIPLINE_NEW = 0,    /* never sent */
    WARD_TIPLINE_FINISHED,   /* submitted, files uploaded and described, finished */
    WARD_TIPLINE_PENDING,    /* part done; the next submit carries on */
    WARD_TIPLINE_HELD,       /* a submit or upload went out and no answer came:
                                a person checks with NCMEC, then --resend */
    WARD_TIPLINE_FAILED      /* NCMEC refused the report or its file (4xxx,
                                5xxx): a person reads the note */
} ward_tipline_state;

typedef struct ward_tipline_status {
    int64_t report_id;
    ward_tipline_state state;
    char ncmec_id[64];       /* NCMEC's reportId once given, else "" */
    int files, files_done;   /* evidence files, and those described */
    char note[256];          /* the last answer or failure, one line */
} ward_tipline_status;

/* Send one report (or carry on with it). WARD_OK with st->state FINISHED,
 * or with PENDING/HELD/FAILED and st->note saying why (the state is kept,
 * nothing is lost); an error status only when the store cannot be read or
 * written, or the call is refused (WARD_EREFUSED, nothing changed: the
 * endpoint refused the credentials, or o->adopt_report_id / adopt_file_id
 * name a submit or upload that is not held). */
ward_status ward_tipline_submit(const ward_tipline_opts *o, int64_t report_id,
                                ward_tipline_status *st, ward_error *err);

/* Every report of the service with its submission's state, oldest first;
 * cb returns non-zero to stop. */
ward_status ward_tipline_list(const ward_tipline_opts *o,
                              int (*cb)(void *ctx, const ward_tipline_status *st), void *ctx,
                              ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
