/*
 * casework.h -- exhibits and the examination queue: from seizure to
 * examined, ordered by risk to children (docs/casework.md).
 *
 * An exhibit is a seized item (phone, computer, storage, disk image, cloud
 * return) with its reference, owning force and unit, seizure time (kept as
 * given, with its zone, beside its UTC form), place and seal number, and
 * optionally the intelligence subject and package it belongs to. Exhibits
 * live in the intelligence store (intel.db, or the intel schema on
 * PostgreSQL) because they link to subjects and packages and carry the same
 * sensitivity: intel.db's encryption at rest covers them.
 *
 * Every change is one transaction and is written three times: to the
 * exhibit's continuity log (hash-chained per exhibit: who held it, when,
 * every movement and status change; ward_exhibit_verify recomputes it), to
 * the linked subject's history, and to intel.db's audit table. The command
 * line and the web application also append it to the service's hash-chained
 * audit log.
 *
 * The queue orders exhibits not yet started (seized, awaiting acquisition)
 * by: a priority override (reason required), a child-at-risk flag (due 24 h
 * after it was set), the linked subject's band and deadline (access to
 * children first), then age; each position says why. The forecast is a
 * priority-queue simulation per lab: examiners work the queue in order, each
 * exhibit taking the lab's learnt time per exhibit (or per terabyte).
 *
 * All strings in results are copies owned by the result; `now` arguments are
 * Unix seconds from the caller's clock, so queues and alerts are testable.
 */
#ifndef WARD_CASEWORK_H
#define WARD_CASEWORK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <ward/intel.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* Status lifecycle, in order. A status only moves forward; returned and
 * destroyed end it. */
typedef enum ward_exhibit_status {
    WARD_EXHIBIT_SEIZED = 0,
    WARD_EXHIBIT_AWAITING_ACQUISITION,
    WARD_EXHIBIT_ACQUIRED,
    WARD_EXHIBIT_TRIAGED,
    WARD_EXHIBIT_FULL_EXAMINATION,
    WARD_EXHIBIT_REPORTED,
    WARD_EXHIBIT_RETURNED,
    WARD_EXHIBIT_DESTROYED,
    WARD_EXHIBIT_NSTATUS
} ward_exhibit_status;

/* "seized", "awaiting-acquisition", ...; -1 from parse for an unknown name. */
const char *ward_exhibit_status_name(ward_exhibit_status s);
int ward_exhibit_status_parse(const char *name);
/* Whether kind is one of: phone, computer, storage, disk-image, cloud-return. */
int ward_exhibit_kind_valid(const char *kind);

/* What a new exhibit is registered with. ref, description, kind, force,
 * seized (a time with its zone: "2026-11-02T14:30:00+00:00") and place are
 * required; the rest may be NULL/0. */
typedef struct ward_exhibit_new {
    const char *ref, *description, *kind, *force, *unit, *lab, *seized, *place, *seal;
    const char *subject;     /* "S000123" or NULL: a warrant may precede intel */
    int64_t package;         /* 0: none */
    int child_at_risk;       /* a child is at risk: examination due in 24 h */
} ward_exhibit_new;

/* One exhibit as stored. */
typedef struct ward_exhibit {
    int64_t id;
    char ref[64], description[256], kind[16], force[64], unit[64], lab[64];
    char seized_raw[64], seized[32], place[128], seal[64];
    char subject[16];        /* "" when not linked */
    int64_t package;
    ward_exhibit_status status;
    int child_at_risk, needs_grading;
    char child_flagged[32];  /* when the flag was set ("" when not) */
    char registered[32], started[32], triaged[32], reported[32];
    char holder[64];         /* who holds it now (continuity log) */
    /* acquisition: the image and its digests ("" until acquired) */
    char image[512], md5[33], sha1[41], sha256[65];
    uint64_t bytes;
    /* override ("" when none) */
    char override_band[16], override_by[64], override_reason[256];
} ward_exhibit;

/* Register. Refused, nothing written: a duplicate reference (WARD_EINVAL),
 * an unknown subject or package (WARD_ENOTFOUND), an unknown kind, a
 * seizure time without a zone, malformed or in the future, a missing field
 * (WARD_EINVAL naming the field). */
ward_status ward_exhibit_register(ward_intel *in, const ward_exhibit_new *ex, const char *who,
                                  time_t now, ward_error *err);
ward_status ward_exhibit_get(ward_intel *in, const char *ref, ward_exhibit *out,
                             ward_error *err);
/* Move the status on (forward only; WARD_EINVAL otherwise). note may be NULL. */
ward_status ward_exhibit_set_status(ward_intel *in, const char *ref, const char *status,
                                    const char *who, const char *note, time_t now,
                                    ward_error *err);
/* A movement or hand-over: the exhibit goes to `holder` at `place`. */
ward_status ward_exhibit_move(ward_intel *in, const char *ref, const char *holder,
                              const char *place, const char *who, const char *note, time_t now,
                              ward_error *err);
/* Set or clear the child-at-risk flag, reason required. */
ward_status ward_exhibit_child_at_risk(ward_intel *in, const char *ref, int on, const char *who,
                                       const char *reason, time_t now, ward_error *err);
/* Queue the exhibit as if its subject's band were `band` ("very-high" ..
 * "low"); "none" removes the override. Reason required. */
ward_status ward_exhibit_prioritise(ward_intel *in, const char *ref, const char *band,
                                    const char *who, const char *reason, time_t now,
                                    ward_error *err);

/* ---- integrity -------------------------------------------------------- */

/* Acquisition: hash the image file (MD5, SHA-1, SHA-256, read-only), record
 * path, size and digests, status "acquired". */
ward_status ward_exhibit_acquire(ward_intel *in, const char *ref, const char *image,
                                 const char *who, time_t now, ward_error *err);
/* Recompute the digests of `image` and compare them with those recorded at
 * acquisition: WARD_EFORMAT naming the digest that differs; WARD_EINVAL if
 * the exhibit was never acquired. */
ward_status ward_exhibit_verify_image(ward_intel *in, const char *ref, const char *image,
                                      ward_error *err);
/* Recompute the continuity log's hash chain of one exhibit (ref) or of all
 * (ref NULL): WARD_EFORMAT naming the first entry that does not follow.
 * *entries: how many were checked. */
ward_status ward_exhibit_verify(ward_intel *in, const char *ref, uint64_t *entries,
                                ward_error *err);
/* The continuity log, oldest first, as text lines or JSON lines. */
ward_status ward_exhibit_log(ward_intel *in, const char *ref, int json, FILE *out,
                             ward_error *err);

/* ---- scan results ------------------------------------------------------- */

typedef struct ward_exhibit_scan_effect {
    uint64_t files, known, near, new_images, new_videos;
    int examined_factor;    /* an "examined" image factor went onto the subject */
    int needs_grading;      /* new material: a person must grade it */
    int64_t store_revision;
    char index_sha256[65];
} ward_exhibit_scan_effect;

/* Attach a finished scan's summary.json (ward scan --out DIR) to the
 * exhibit: counts by class, list, category and series, store revision and
 * index digest. Known material on a linked subject becomes an image factor
 * (image_known, or image_known_alert for category 1 / A) with status
 * "examined" (capped with the image group as every image factor); new
 * material sets "needs grading". Status moves to "triaged" if before it. */
ward_status ward_exhibit_attach_scan(ward_intel *in, const char *ref, const char *summary_json,
                                     const char *who, time_t now,
                                     ward_exhibit_scan_effect *eff, ward_error *err);
/* The scans attached to an exhibit, newest first, JSON lines:
 * {"at","by","summary":{...}}. */
ward_status ward_exhibit_scans(ward_intel *in, const char *ref, FILE *out, ward_error *err);

/* Every scan attached to any exhibit, by exhibit reference then as
 * attached: the exhibit, when, by whom and the stored summary.json text;
 * cb non-zero stops. For link analysis (src/graph). */
ward_status ward_exhibit_scan_each(ward_intel *in,
                                   int (*cb)(void *ctx, const ward_exhibit *ex, const char *at,
                                             const char *by, const char *summary),
                                   void *ctx, ward_error *err);

/* ---- listing ------------------------------------------------------------ */

typedef struct ward_exhibit_filter {
    const char *force;       /* only this owning force (compartments); NULL: all */
    const char *lab;         /* only this lab; NULL: all */
    int status;              /* a ward_exhibit_status, or -1 for all */
} ward_exhibit_filter;

/* Each exhibit matching the filter, by reference; cb non-zero stops. */
ward_status ward_exhibit_each(ward_intel *in, const ward_exhibit_filter *f,
                              int (*cb)(void *ctx, const ward_exhibit *ex), void *ctx,
                              ward_error *err);

/* ---- labs, queue, forecast ---------------------------------------------- */

typedef struct ward_lab {
    char name[64];
    int examiners;
    double hours;            /* examination hours per examiner-week (default 37.5) */
    /* learnt from history (the last `window` weeks of reported exhibits);
     * the configured default when there is none */
    double exhibits_per_week;    /* per examiner-week */
    double tb_per_week;          /* per examiner-week, 0: unknown */
    int learnt;                  /* the rates came from history */
    /* forecast */
    size_t queued;
    double backlog_weeks;
} ward_lab;

/* Add or change a lab. examiners >= 1; hours in (0, 168]. */
ward_status ward_lab_set(ward_intel *in, const char *name, int examiners, double hours,
                         const char *who, time_t now, ward_error *err);

/* What the queue keeps of an exhibit (a whole ward_exhibit per entry
 * would make a force's queue of 100,000 a quarter of a gigabyte). */
typedef struct ward_queue_exhibit {
    char ref[64], force[64], lab[64], subject[16], seized[32], child_flagged[32];
    char override_band[16];
    int child_at_risk;
    uint64_t bytes;
} ward_queue_exhibit;

typedef struct ward_queue_entry {
    size_t position;          /* 1-based, within its lab */
    ward_queue_exhibit ex;
    int band;                 /* 0 very high .. 3 low; 4 no subject */
    char deadline[32];        /* subject's or child-at-risk deadline, "" none */
    char why[384];            /* why it is at this position */
    time_t start, finish;     /* forecast */
    int alert;                /* WARD_QUEUE_ALERT_* bits */
} ward_queue_entry;

enum {
    WARD_QUEUE_ALERT_WAITING = 1,     /* waited past the threshold */
    WARD_QUEUE_ALERT_WILL_WAIT = 2,   /* forecast to start past the threshold */
    WARD_QUEUE_ALERT_CHILD = 4        /* child at risk, not started within 24 h */
};

typedef struct ward_forecast_opts {
    int threshold_days;          /* default 90 */
    int window_weeks;            /* history learnt from, default 26 */
    double default_rate;         /* exhibits per examiner-week without history, default 1 */
    const char *lab;             /* only this lab; NULL: all */
    const char *force;           /* only this owning force; NULL: all */
} ward_forecast_opts;

void ward_forecast_opts_default(ward_forecast_opts *o);

typedef struct ward_forecast {
    ward_queue_entry *queue;     /* every lab's queue, lab by lab, in order */
    size_t n_queue;
    ward_lab *labs;
    size_t n_labs;
    size_t n_alerts;
} ward_forecast;

/* The ordered queue of every lab with expected start and finish, backlog
 * per lab, alerts. Exhibits with no lab are queued under "unassigned" (no
 * examiners: no forecast, start and finish 0). */
ward_status ward_exhibit_forecast(ward_intel *in, time_t now, const ward_forecast_opts *o,
                                  ward_forecast *out, ward_error *err);
void ward_forecast_free(ward_forecast *f);

/* The model's core, pure: `examiners` work n jobs in the given order, each
 * to the first examiner free; service[i] in weeks. start/finish in weeks
 * from now. Returns the backlog (sum of service / examiners). */
double ward_casework_schedule(int examiners, const double *service, size_t n, double *start,
                              double *finish);

/* ---- KPIs ---------------------------------------------------------------- */

typedef struct ward_exhibit_kpis {
    uint64_t exhibits, queued, in_examination, reported;
    /* queued exhibits by age since seizure: < 30, 30-90, 90-180, 180-365, > 365 days */
    uint64_t age_buckets[5];
    double median_days_to_triage, median_days_to_report;  /* from seizure; -1: none */
    uint64_t child_total, child_started_24h;               /* flagged exhibits started */
} ward_exhibit_kpis;

ward_status ward_exhibit_kpis_get(ward_intel *in, time_t now, const char *force,
                                  ward_exhibit_kpis *out, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif

#endif
