/*
 * report.h -- reporting in and reporting back (docs/report.md).
 *
 *   public reports   a form anyone can fill in (a child above all) on
 *                    `ward serve` at /report: checked here, stored as a
 *                    referral of source "public" in the intelligence store
 *                    (intel.h), with a receipt number for the reporter.
 *   duty queue       every urgent report or referral (a child in danger
 *                    now, a meeting arranged, threats) with its timed
 *                    checklist; one not acknowledged in time is escalated
 *                    to a second person. Every step is audited.
 *   feedback         what each referring source (an agency, a platform, a
 *                    list) has been told: a receipt per list, progress as
 *                    packages are created and actioned, the outcome; as
 *                    JSON or a printable letter. Packages silent too long
 *                    raise a reminder to their holder; KPIs count feedback
 *                    sent and overdue.
 *
 * Public reports, the duty queue and the feedback record live in intel.db
 * (its schema 7), under its encryption at rest when a key is configured.
 * `now` arguments are Unix seconds (the caller's clock), so deadlines are
 * testable. Report functions write to a caller's FILE, nowhere else.
 */
#ifndef WARD_REPORT_H
#define WARD_REPORT_H

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

/* ---- the public form (pure: form.c) ------------------------------------ */

/* Limits of what a form may carry: each is a clear refusal naming the
 * field, never a silent cut. */
#define WARD_REPORT_MAX_DESCRIPTION 6000   /* bytes of the reporter's words */
#define WARD_REPORT_MAX_URLS 8              /* addresses (one a line) */
#define WARD_REPORT_MAX_URL 2000            /* bytes of one address */
#define WARD_REPORT_MAX_SHORT 200           /* bytes of a short answer */

/* What happened: the boxes a reporter may tick (bits of `what`). */
enum {
    WARD_REPORT_ASKED_IMAGES = 1u << 0,  /* asked me for pictures or videos */
    WARD_REPORT_SEXUAL_CHAT = 1u << 1,   /* talked about sex / sent sexual things */
    WARD_REPORT_SHARED_IMAGES = 1u << 2, /* shared or threatened to share pictures */
    WARD_REPORT_ABROAD = 1u << 3,        /* the person is in another country */
    WARD_REPORT_OTHER = 1u << 4,
};

/* The form's fields as sent (strings borrowed; NULL or "" when absent). */
typedef struct ward_report_form {
    const char *about;        /* "me" or "someone" */
    const char *danger;       /* in danger now: "yes", "no", "unsure" */
    const char *meeting;      /* meeting arranged: "yes", "no", "unsure" */
    const char *what[5];      /* ticked boxes: "asked_images", "sexual_chat",
                               * "shared_images", "abroad", "other" */
    const char *urls;         /* one address a line */
    const char *who;          /* the other person's name on the site */
    const char *description;
    const char *age;          /* the child's age, optional */
    const char *contact;      /* how to reach the reporter, optional */
    const char *honeypot;     /* a field people never see: filled means a robot */
} ward_report_form;

/* A form checked and parsed. */
typedef struct ward_report {
    int about_me;
    int danger, meeting;                       /* 1: "yes"; 2: "unsure"; 0: "no" */
    unsigned what;                             /* WARD_REPORT_* bits */
    char urls[WARD_REPORT_MAX_URLS][WARD_REPORT_MAX_URL + 1];
    size_t n_urls;
    char who[WARD_REPORT_MAX_SHORT + 1];
    char description[WARD_REPORT_MAX_DESCRIPTION + 1];
    int age;                                   /* 0: not given */
    char contact[WARD_REPORT_MAX_SHORT + 1];
    /* What triage makes of it: intel typology words, urgent flags first. */
    const char *typology[8];
    size_t n_typology;
    int urgent;                                /* in danger now or meeting arranged */
} ward_report;

/* Check a form: every field within its limit and valid UTF-8, each address
 * an http(s) URL without spaces or control characters, something to go
 * on (an address, a name or a description). WARD_EINVAL with the field's
 * name in *field and a plain-language reason in err; WARD_ELIMIT when the
 * honeypot was filled (a robot: the caller answers as if all went well
 * and stores nothing). Text is kept as given: escaping is for output. */
ward_status ward_report_parse(const ward_report_form *f, ward_report *r, char field[32],
                              ward_error *err);

/* Receipt numbers: "R-" and 10 characters of Crockford base32 from 48
 * random bits and a check character (mod 37), grouped "R-XXXXX-XXXXX-C":
 * short enough to read out on the telephone, and a mistyped one is told
 * apart. */
#define WARD_REPORT_RECEIPT_MAX 20
void ward_report_receipt(const uint8_t random6[6], char out[WARD_REPORT_RECEIPT_MAX]);
/* Whether s is a well-formed receipt number (its check character right). */
int ward_report_receipt_ok(const char *s);

/* ---- per-address rate limit (limit.c) ----------------------------------- */

/* A fixed table of `slots` addresses (IPv6 by their /64), each allowed
 * `per_window` reports in `window_s` seconds. Memory never grows: when the
 * table is full, the entry whose window ended longest ago is reused, and if
 * none has ended, the one that started longest ago (a flood of fresh
 * addresses can then let one address in early; it can never make the
 * table grow). Addresses are kept only as a keyed hash. Thread-safe. */
typedef struct ward_report_limit ward_report_limit;
ward_report_limit *ward_report_limit_new(size_t slots, int per_window, double window_s);
void ward_report_limit_free(ward_report_limit *l);
/* 1: allowed (and counted); 0: over the limit, *retry_s (may be NULL)
 * seconds until the address may send again. */
int ward_report_limit_take(ward_report_limit *l, const char *address, double now,
                           double *retry_s);

/* ---- storing a report (public.c) ---------------------------------------- */

/* Store a parsed report: a referral of source "public" (intel intake, its
 * typology and urgent flags from the answers), the answers as given, and
 * for an urgent one a duty-queue entry, in one transaction. `receipt`
 * gets its receipt number. */
ward_status ward_report_submit(ward_intel *in, const ward_report *r, time_t now,
                               char receipt[WARD_REPORT_RECEIPT_MAX], ward_error *err);

/* ---- the duty queue (duty.c) --------------------------------------------- */

/* Checklist steps, in the order the duty page shows them. */
#define WARD_DUTY_STEPS "acknowledged, control_room, told, crime_report, closed"

typedef struct ward_duty_opts {
    int escalate_minutes;      /* escalate when not acknowledged (default 15) */
    const char *escalate_to;   /* the second person (default "duty-manager") */
} ward_duty_opts;
void ward_duty_opts_default(ward_duty_opts *o);

/* Bring the queue up to date at `now`: an entry for every urgent referral
 * that has none yet (whatever way it arrived), and escalation of every open
 * entry not acknowledged within escalate_minutes (audited 'duty.escalated').
 * *escalated (may be NULL): how many were escalated by this call. */
ward_status ward_duty_sync(ward_intel *in, const ward_duty_opts *o, time_t now,
                           uint64_t *escalated, ward_error *err);
/* The queue, open entries first (unacknowledged, then by arrival), then
 * the last closed ones; one JSON object a line: {"id","kind","ref",
 * "arrived","age_s","flags","acknowledged_at","acknowledged_by",
 * "escalated_at","escalated_to","closed_at","answers" (a public report's
 * answers as given, else null),"subject" (once resolved, else null),
 * "steps":[{"at","step","by","detail"}]}. */
ward_status ward_duty_list(ward_intel *in, time_t now, int include_closed, FILE *out,
                           ward_error *err);
/* A checklist step on entry `id` by `who`: "acknowledged", "control_room"
 * (detail: which force's control room, their reference), "told" (detail:
 * who was told and when), "crime_report", "closed" (detail: the result),
 * or "note". Audited 'duty.STEP'. WARD_EINVAL for an unknown step, a
 * missing detail where one is needed, or a closed entry. */
ward_status ward_duty_step(ward_intel *in, int64_t id, const char *step, const char *who,
                           const char *detail, time_t now, ward_error *err);

/* ---- feedback to referrers (feedback.c) ----------------------------------- */

/* The feedback due to one source at `now`: a receipt for each list it sent,
 * progress for each package made from its referrals (created, disseminated,
 * accepted, actioned), the outcome of each closed one. Identities are not
 * named: packages by number, referrals by the source's own reference.
 * format "json" (one object) or "html" (a printable letter). */
ward_status ward_feedback_letter(ward_intel *in, const char *source, time_t now,
                                 const char *format, FILE *out, ward_error *err);
/* Record that the feedback up to now went to `source` (audited). */
ward_status ward_feedback_mark_sent(ward_intel *in, const char *source, const char *who,
                                    time_t now, ward_error *err);
/* Open packages with no event for silent_days: one 'silent' alert each to
 * its holder (raised once per package and silence). *count: how many
 * packages are silent; text lines to out (may be NULL). */
ward_status ward_feedback_reminders(ward_intel *in, time_t now, int silent_days, FILE *out,
                                    uint64_t *count, ward_error *err);

typedef struct ward_feedback_kpi {
    uint64_t sources;        /* sources with anything to be told */
    uint64_t items;          /* receipts, progress and outcomes due in all */
    uint64_t sent;           /* of which sent */
    uint64_t overdue;        /* unsent and older than overdue_days */
    uint64_t silent;         /* open packages silent past silent_days */
    uint64_t duty_open, duty_escalated;
} ward_feedback_kpi;
/* The figures, and one line per source to out (JSON when json) if out. */
ward_status ward_feedback_kpi_get(ward_intel *in, time_t now, int overdue_days,
                                  int silent_days, int json, FILE *out,
                                  ward_feedback_kpi *k, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
