/*
 * ward exhibit: the exhibit register, continuity log and examination queue.
 * Each action is a thin call into libward's casework.h; every change is
 * also appended to the service's hash-chained audit log.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/casework.h>
#include <ward/serve.h>

static const char help[] =
"NAME\n"
"    ward exhibit - exhibits and the examination queue\n"
"\n"
"SYNOPSIS\n"
"    ward exhibit register --ref REF --description TEXT --kind KIND --force FORCE\n"
"                          --seized TIME --place PLACE [--unit U] [--lab LAB]\n"
"                          [--seal NO] [--subject ID] [--package N] [--child-at-risk]\n"
"    ward exhibit show REF [--json]       ward exhibit list [--force F] [--lab L]\n"
"                                         [--status S] [--json]\n"
"    ward exhibit status REF STATUS [--note TEXT]\n"
"    ward exhibit move REF --to HOLDER --place PLACE [--note TEXT]\n"
"    ward exhibit acquire REF --image FILE\n"
"    ward exhibit check-image REF --image FILE\n"
"    ward exhibit child-at-risk REF --on|--off --reason TEXT\n"
"    ward exhibit prioritise REF --band B|none --reason TEXT\n"
"    ward exhibit log REF [--json]        ward exhibit verify [REF]\n"
"    ward exhibit attach REF --summary DIR/summary.json\n"
"    ward exhibit scans REF\n"
"    ward exhibit lab NAME --examiners N [--hours H]\n"
"    ward exhibit queue [--lab L] [--force F] [--limit N] [--json]\n"
"    ward exhibit forecast [--lab L] [--force F] [--threshold DAYS]\n"
"                          [--window WEEKS] [--rate R] [--json]\n"
"    ward exhibit alerts [same options as forecast]\n"
"    ward exhibit kpi [--force F] [--json]\n"
"    (every action takes --data DIR, --now TIME and --key-file FILE)\n"
"\n"
"DESCRIPTION\n"
"    Registers seized exhibits, keeps their continuity, and orders the\n"
"    examination queue by risk to children. Exhibits are kept in the\n"
"    intelligence store (intel.db or its PostgreSQL schema), beside the\n"
"    subjects and packages they link to, and encrypted with it when\n"
"    --key-file is given. Every change is one transaction written to the\n"
"    exhibit's continuity log, the linked subject's history and the audit\n"
"    table, then appended to the service's hash-chained audit log ('ward\n"
"    audit verify'). See docs/casework.md for the queue and forecast model.\n"
"\n"
"ACTIONS\n"
"    register        A new exhibit. KIND is phone, computer, storage,\n"
"                    disk-image or cloud-return. TIME is the seizure time\n"
"                    with its zone ('2026-11-02T14:30:00+00:00'), kept as\n"
"                    given beside its UTC form; a time without a zone, an\n"
"                    impossible date or a time in the future is refused. A\n"
"                    duplicate reference, an unknown subject or package is\n"
"                    refused; nothing is written.\n"
"    show, list      One exhibit, or all (filtered), with status and holder.\n"
"    status          Move the status on: seized, awaiting-acquisition,\n"
"                    acquired, triaged, full-examination, reported, returned,\n"
"                    destroyed. A status never moves back.\n"
"    move            A hand-over or movement: who holds it now and where.\n"
"    acquire         Record the acquired image: its MD5, SHA-1 and SHA-256\n"
"                    (the file is opened read-only), size and path; status\n"
"                    acquired. Recorded once.\n"
"    check-image     Recompute an image's digests and compare them with the\n"
"                    acquisition ('ward scan --exhibit' does this first).\n"
"    child-at-risk   Set (--on) or clear (--off) the child-at-risk flag: the\n"
"                    exhibit goes to the head of its lab's queue and is due\n"
"                    for examination 24 hours after the flag was set.\n"
"    prioritise      Queue the exhibit as if its subject were at band B\n"
"                    (very-high, high, medium, low); 'none' removes the\n"
"                    override. A reason is required and shown in the queue.\n"
"    log             The continuity log: when, what, by whom, holder, place.\n"
"    verify          Recompute the continuity log's hash chain of one\n"
"                    exhibit or of all; names the first entry that does not\n"
"                    follow from the one before.\n"
"    attach          Attach a finished scan's summary.json (as 'ward scan\n"
"                    --exhibit' does): counts by class, list, category and\n"
"                    series, store revision, index digest. Known material\n"
"                    becomes an 'examined' image factor on the linked\n"
"                    subject (capped as every image factor; run 'ward intel\n"
"                    score' to re-assess: it says what changed); new\n"
"                    material sets 'needs grading'. Status triaged.\n"
"    scans           The scans attached to an exhibit (JSON lines).\n"
"    lab             Add or change a lab: examiners and examination hours\n"
"                    per examiner-week (default 37.5).\n"
"    queue           Exhibits not yet started, per lab, in order, each with\n"
"                    why it is there and its expected start and finish.\n"
"    forecast        Each lab's examiners, learnt throughput (exhibits and\n"
"                    terabytes per examiner-week) and backlog in weeks, then\n"
"                    the queue with alerts.\n"
"    alerts          Exhibits waiting past the threshold (or forecast to),\n"
"                    and child-at-risk exhibits not started within 24 hours.\n"
"    kpi             Queue by age, median days from seizure to triage and to\n"
"                    report, share of child-at-risk exhibits started within\n"
"                    24 hours.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done; 1 alerts exist (alerts, forecast); 2 usage or a refused value\n"
"    (duplicate reference, bad time, missing reason, status moving back);\n"
"    3 no such exhibit, subject or package, an image whose digests do not\n"
"    match its acquisition, a broken continuity log; 4 I/O.\n"
"\n"
"EXAMPLES\n"
"    ward exhibit register --ref MPS-0001 --description 'Samsung phone' \\\n"
"        --kind phone --force 'Metropolitan Police' --lab 'MPS DFU' \\\n"
"        --seized 2026-11-02T14:30:00+00:00 --place 'home address' \\\n"
"        --seal SEAL123 --subject S000042\n"
"    ward exhibit acquire MPS-0001 --image /evidence/MPS-0001.E01\n"
"    ward scan --exhibit MPS-0001 -o report /evidence/MPS-0001.E01\n"
"    ward exhibit lab 'MPS DFU' --examiners 3\n"
"    ward exhibit queue --lab 'MPS DFU'\n"
"    ward exhibit verify\n";

typedef struct ex_args {
    const char *data, *now, *key_file, *ref, *description, *kind, *force, *unit, *lab, *seized,
        *place, *seal, *subject, *note, *to, *image, *reason, *band, *summary, *status;
    int64_t package;
    uint64_t package_given;
    int child, on, off, json, examiners, threshold, window, limit;
    double hours, rate;
    time_t t;
} ex_args;

#define S(m) CLI_AT_STR(ex_args, m)
#define A(m) CLI_AT_INT(ex_args, m)
static const cli_opt options[] = {
    CLI_OPT_DATA(ex_args, data),
    CLI_OPT_NOW(ex_args, now),
    {"key-file", 0, CLI_STRING, S(key_file), "FILE", .def = "$WARD_INTEL_KEY_FILE",
     .help = "intel.db is encrypted with the key in FILE"},
    {"ref", 0, CLI_STRING, S(ref), "REF", .help = "register: the exhibit's reference"},
    {"description", 0, CLI_STRING, S(description), "TEXT", .help = "register: what it is"},
    {"kind", 0, CLI_STRING, S(kind), "KIND",
     .help = "register: phone, computer, storage, disk-image\nor cloud-return"},
    {"force", 0, CLI_STRING, S(force), "FORCE",
     .help = "register: the force that seized it; list,\nqueue, forecast, alerts, kpi: "
             "that force's only"},
    {"seized", 0, CLI_STRING, S(seized), "TIME",
     .help = "register: the seizure time with its zone"},
    {"place", 0, CLI_STRING, S(place), "PLACE",
     .help = "register, move: where it was seized or is now"},
    {"unit", 0, CLI_STRING, S(unit), "U", .help = "register: the unit in the case"},
    {"lab", 0, CLI_STRING, S(lab), "LAB",
     .help = "register: the lab that will examine it; list,\nqueue, forecast, alerts: that "
             "lab's only"},
    {"seal", 0, CLI_STRING, S(seal), "NO", .help = "register: the evidence bag's seal number"},
    {"subject", 0, CLI_STRING, S(subject), "ID", .help = "register: the linked subject"},
    {"package", 0, CLI_COUNT, CLI_AT_U64(ex_args, package_given), "N", 1, 1e18,
     .help = "register: the linked intelligence package"},
    {"child-at-risk", 0, CLI_FLAG, A(child),
     .help = "register: a child is at risk (head of the queue)"},
    {"status", 0, CLI_STRING, S(status), "S", .help = "list: exhibits in status S only"},
    {"note", 0, CLI_STRING, S(note), "TEXT", .help = "status, move: a note for the log"},
    {"to", 0, CLI_STRING, S(to), "HOLDER", .help = "move: who holds it now"},
    {"image", 0, CLI_STRING, S(image), "FILE",
     .help = "acquire, check-image: the acquired image\n(opened read-only)"},
    {"on", 0, CLI_FLAG, A(on), .help = "child-at-risk: set the flag"},
    {"off", 0, CLI_FLAG, A(off), .help = "child-at-risk: clear the flag"},
    {"reason", 0, CLI_STRING, S(reason), "TEXT",
     .help = "child-at-risk, prioritise: why (required)"},
    {"band", 0, CLI_STRING, S(band), "B",
     .help = "prioritise: very-high, high, medium, low or none"},
    {"summary", 0, CLI_STRING, S(summary), "FILE", .help = "attach: the scan's summary.json"},
    {"examiners", 0, CLI_INT, A(examiners), "N", 1, 10000, .help = "lab: examiners"},
    {"hours", 0, CLI_NUMBER, CLI_AT_SECONDS(ex_args, hours), "H", 0.001, 168, .def = "37.5",
     .help = "lab: examination hours per examiner-week"},
    {"threshold", 0, CLI_INT, A(threshold), "DAYS", 1, 100000, .def = "90",
     .help = "alert when an exhibit waits longer"},
    {"window", 0, CLI_INT, A(window), "WEEKS", 1, 520, .def = "26",
     .help = "history the throughput is learnt from"},
    {"rate", 0, CLI_NUMBER, CLI_AT_SECONDS(ex_args, rate), "R", 1e-6, 1e6, .def = "1",
     .help = "exhibits per examiner-week for a lab without\nenough history (at least 5 "
             "reported exhibits)"},
    {"limit", 0, CLI_INT, A(limit), "N", 1, 1 << 30, .def = "all",
     .help = "queue: at most N entries per lab"},
    {"json", 0, CLI_FLAG, A(json), .help = "JSON output (one object per line for lists)"},
    CLI_OPT_END};
#undef S
#undef A


static int fail(ward_status st, const ward_error *err) { return cli_fail("exhibit", st, err); }

/* The change is in intel.db (its audit table too); the service's chain
 * gets it as well. A failure there is reported, the change stands. */
static int chain(const ex_args *a, const char *action, const char *ref, const char *detail)
{
    ward_error err = {0};
    char what[64];
    snprintf(what, sizeof what, "exhibit.%s", action);
    if (ward_serve_audit_append(a->data, cli_store_url(), cli_intel_key_file(), cli_user(), what,
                                ref, detail, &err)) {
        cli_error("exhibit", "%s is recorded, but not in the service audit log: %s", ref,
                  err.message);
        return WARD_EXIT_IO;
    }
    return WARD_EXIT_OK;
}


static void print_exhibit(const ward_exhibit *e, int json)
{
    if (json) {
        cli_json_field("ref", e->ref, 1);
        cli_json_field("description", e->description, 0);
        cli_json_field("kind", e->kind, 0);
        cli_json_field("force", e->force, 0);
        cli_json_field("unit", e->unit, 0);
        cli_json_field("lab", e->lab, 0);
        cli_json_field("seized", e->seized_raw, 0);
        cli_json_field("seized_utc", e->seized, 0);
        cli_json_field("place", e->place, 0);
        cli_json_field("seal", e->seal, 0);
        cli_json_field("subject", e->subject, 0);
        printf(",\"package\":%" PRId64, e->package);
        cli_json_field("status", ward_exhibit_status_name(e->status), 0);
        printf(",\"child_at_risk\":%s,\"needs_grading\":%s", e->child_at_risk ? "true" : "false",
               e->needs_grading ? "true" : "false");
        cli_json_field("holder", e->holder, 0);
        cli_json_field("registered", e->registered, 0);
        cli_json_field("started", e->started, 0);
        cli_json_field("triaged", e->triaged, 0);
        cli_json_field("reported", e->reported, 0);
        cli_json_field("image", e->image, 0);
        cli_json_field("md5", e->md5, 0);
        cli_json_field("sha1", e->sha1, 0);
        cli_json_field("sha256", e->sha256, 0);
        printf(",\"bytes\":%" PRIu64, e->bytes);
        cli_json_field("override", e->override_band, 0);
        cli_json_field("override_reason", e->override_reason, 0);
        return;
    }
    printf("%s  %s  %s  %s\n", e->ref, ward_exhibit_status_name(e->status), e->kind,
           e->description);
    printf("  force %s%s%s, lab %s; holder %s\n", e->force, e->unit[0] ? " / " : "", e->unit,
           e->lab[0] ? e->lab : "(none)", e->holder);
    printf("  seized %s at %s%s%s\n", e->seized_raw, e->place, e->seal[0] ? ", seal " : "",
           e->seal);
    if (e->package)
        printf("  subject %s, package %" PRId64 "\n", e->subject, e->package);
    else if (e->subject[0])
        printf("  subject %s\n", e->subject);
    if (e->child_at_risk)
        printf("  CHILD AT RISK since %s\n", e->child_flagged);
    if (e->needs_grading)
        printf("  needs grading: the scan found material no list knows\n");
    if (e->sha256[0])
        printf("  image %s (%" PRIu64 " bytes)\n    md5 %s\n    sha1 %s\n    sha256 %s\n",
               e->image, e->bytes, e->md5, e->sha1, e->sha256);
    if (e->override_band[0])
        printf("  queued as %s by %s: %s\n", e->override_band, e->override_by,
               e->override_reason);
}

static int list_one(void *ctx, const ward_exhibit *e)
{
    int json = *(int *)ctx;
    if (json) {
        putchar('{');
        print_exhibit(e, 1);
        puts("}");
    } else {
        printf("%-16s %-20s %-12s %-8s %-20s %s\n", e->ref, ward_exhibit_status_name(e->status),
               e->kind, e->subject[0] ? e->subject : "-", e->lab[0] ? e->lab : "-",
               e->description);
    }
    return 0;
}

static void day(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d", &tm);
}

static const char *alert_text(int a)
{
    return a & 4 ? (a & 1 ? "CHILD AT RISK NOT STARTED; WAITING PAST THRESHOLD"
                          : "CHILD AT RISK NOT STARTED")
           : a & 1 ? "WAITING PAST THRESHOLD"
           : a & 2 ? "WILL WAIT PAST THRESHOLD"
                   : "";
}

static void print_entry(const ward_queue_entry *q, int json)
{
    char s[32] = "-", f[32] = "-";
    if (q->start)
        day(q->start, s), day(q->finish, f);
    if (json) {
        printf("{\"lab\":\"%s\",\"position\":%zu", "", q->position);
        cli_json_field("ref", q->ex.ref, 0);
        cli_json_field("lab_name", q->ex.lab, 0);
        cli_json_field("why", q->why, 0);
        cli_json_field("start", q->start ? s : "", 0);
        cli_json_field("finish", q->start ? f : "", 0);
        printf(",\"alert\":%d", q->alert);
        cli_json_field("alert_text", alert_text(q->alert), 0);
        puts("}");
        return;
    }
    printf("%4zu  %-16s start %s  finish %s  %s%s%s\n", q->position, q->ex.ref, s, f, q->why,
           q->alert ? "  !! " : "", alert_text(q->alert));
}

static int do_queue(ward_intel *in, const ex_args *a, const char *action)
{
    ward_forecast_opts o;
    ward_forecast_opts_default(&o);
    o.lab = a->lab, o.force = a->force;
    if (a->threshold)
        o.threshold_days = a->threshold;
    if (a->window)
        o.window_weeks = a->window;
    if (a->rate > 0)
        o.default_rate = a->rate;
    ward_forecast f;
    ward_error err = {0};
    ward_status st = ward_exhibit_forecast(in, a->t, &o, &f, &err);
    if (st)
        return fail(st, &err);
    int labs = !strcmp(action, "forecast"), alerts = !strcmp(action, "alerts");
    for (size_t i = 0; labs && i < f.n_labs; i++) {
        const ward_lab *l = &f.labs[i];
        if (a->json)
            printf("{\"lab\":\"%s\",\"examiners\":%d,\"hours\":%g,\"exhibits_per_week\":%.3f,"
                   "\"tb_per_week\":%.3f,\"learnt\":%s,\"queued\":%zu,\"backlog_weeks\":%.2f}\n",
                   l->name, l->examiners, l->hours, l->exhibits_per_week, l->tb_per_week,
                   l->learnt ? "true" : "false", l->queued, l->backlog_weeks);
        else
            printf("lab %s: %d examiners x %g h; %.2f exhibits%s per examiner-week (%s); %zu "
                   "queued, backlog %.1f weeks\n", l->name, l->examiners, l->hours,
                   l->exhibits_per_week, "", l->learnt ? "learnt" : "default", l->queued,
                   l->backlog_weeks);
    }
    const char *lab = NULL;
    for (size_t i = 0; i < f.n_queue; i++) {
        const ward_queue_entry *q = &f.queue[i];
        if ((alerts && !q->alert) || (a->limit && q->position > (size_t)a->limit))
            continue;
        if (!a->json && (!lab || strcmp(lab, q->ex.lab)))
            printf("%s%s:\n", lab ? "\n" : "", q->ex.lab[0] ? q->ex.lab : "(no lab)");
        lab = q->ex.lab;
        print_entry(q, a->json);
    }
    size_t n_alerts = f.n_alerts;
    if (!a->json && (labs || alerts))
        printf("%zu alert%s\n", n_alerts, n_alerts == 1 ? "" : "s");
    ward_forecast_free(&f);
    return (labs || alerts) && n_alerts ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int do_kpi(ward_intel *in, const ex_args *a)
{
    ward_exhibit_kpis k;
    ward_error err = {0};
    ward_status st = ward_exhibit_kpis_get(in, a->t, a->force, &k, &err);
    if (st)
        return fail(st, &err);
    double share = k.child_total ? 100.0 * (double)k.child_started_24h / (double)k.child_total : -1;
    if (a->json) {
        printf("{\"exhibits\":%" PRIu64 ",\"queued\":%" PRIu64 ",\"in_examination\":%" PRIu64
               ",\"reported\":%" PRIu64 ",\"queued_by_age_days\":{\"<30\":%" PRIu64
               ",\"30-90\":%" PRIu64 ",\"90-180\":%" PRIu64 ",\"180-365\":%" PRIu64
               ",\">365\":%" PRIu64 "},\"median_days_to_triage\":%.1f,"
               "\"median_days_to_report\":%.1f,\"child_at_risk\":%" PRIu64
               ",\"child_started_24h\":%" PRIu64 "}\n",
               k.exhibits, k.queued, k.in_examination, k.reported, k.age_buckets[0],
               k.age_buckets[1], k.age_buckets[2], k.age_buckets[3], k.age_buckets[4],
               k.median_days_to_triage, k.median_days_to_report, k.child_total,
               k.child_started_24h);
        return WARD_EXIT_OK;
    }
    printf("exhibits %" PRIu64 ": %" PRIu64 " queued, %" PRIu64 " in examination, %" PRIu64
           " reported\n", k.exhibits, k.queued, k.in_examination, k.reported);
    printf("queued by age (days): <30 %" PRIu64 ", 30-90 %" PRIu64 ", 90-180 %" PRIu64
           ", 180-365 %" PRIu64 ", >365 %" PRIu64 "\n", k.age_buckets[0], k.age_buckets[1],
           k.age_buckets[2], k.age_buckets[3], k.age_buckets[4]);
    printf("median days seizure -> triage %.1f, seizure -> report %.1f (-1: none yet)\n",
           k.median_days_to_triage, k.median_days_to_report);
    if (share >= 0)
        printf("child at risk: %" PRIu64 " of %" PRIu64 " started within 24 h (%.0f%%)\n",
               k.child_started_24h, k.child_total, share);
    else
        printf("child at risk: none flagged\n");
    return WARD_EXIT_OK;
}

static int need_ref(int n, char **rest, const char *action)
{
    if (n != 1)
        return cli_usage("exhibit", "%s: give one exhibit REF", action);
    return 0;
}

/* Actions that change something: the call, then the service audit chain. */
static int do_change(ward_intel *in, ex_args *a, const char *action, int n, char **rest)
{
    ward_error err = {0};
    ward_status st;
    const char *who = cli_user(), *ref = n ? rest[0] : a->ref;
    char detail[512] = "";
    if (!strcmp(action, "register")) {
        if (n)
            return cli_usage("exhibit", "register: give the reference as --ref REF");
        ward_exhibit_new x = {a->ref, a->description, a->kind, a->force, a->unit, a->lab,
                              a->seized, a->place, a->seal, a->subject, a->package, a->child};
        st = ward_exhibit_register(in, &x, who, a->t, &err);
        snprintf(detail, sizeof detail, "registered%s%s", a->subject ? " for " : "",
                 a->subject ? a->subject : "");
    } else if (need_ref(n, rest, action)) {
        return WARD_EXIT_USAGE;
    } else if (!strcmp(action, "move")) {
        st = ward_exhibit_move(in, ref, a->to, a->place, who, a->note, a->t, &err);
        snprintf(detail, sizeof detail, "to %s at %s", a->to ? a->to : "", a->place ? a->place : "");
    } else if (!strcmp(action, "acquire")) {
        st = ward_exhibit_acquire(in, ref, a->image, who, a->t, &err);
        snprintf(detail, sizeof detail, "image %s", a->image ? a->image : "");
    } else if (!strcmp(action, "child-at-risk")) {
        if (a->on == a->off)
            return cli_usage("exhibit", "child-at-risk: give --on or --off");
        st = ward_exhibit_child_at_risk(in, ref, a->on, who, a->reason, a->t, &err);
        snprintf(detail, sizeof detail, "%s: %s", a->on ? "on" : "off", a->reason ? a->reason : "");
    } else if (!strcmp(action, "prioritise")) {
        st = ward_exhibit_prioritise(in, ref, a->band, who, a->reason, a->t, &err);
        snprintf(detail, sizeof detail, "%s: %s", a->band ? a->band : "", a->reason ? a->reason : "");
    } else if (!strcmp(action, "attach")) {
        ward_exhibit_scan_effect e;
        if (!a->summary)
            return cli_usage("exhibit", "attach: give --summary DIR/summary.json");
        st = ward_exhibit_attach_scan(in, ref, a->summary, who, a->t, &e, &err);
        if (!st)
            printf("%s: scan attached: %" PRIu64 " files, %" PRIu64 " known, %" PRIu64
                   " near, %" PRIu64 " new images%s%s\n", ref, e.files, e.known, e.near,
                   e.new_images, e.examined_factor ? "; examined image factor on the subject"
                                                   : "",
                   e.needs_grading ? "; needs grading" : "");
        snprintf(detail, sizeof detail, "scan %s", a->summary);
    } else {
        return cli_usage("exhibit", "unknown action '%s'", action);
    }
    if (st)
        return fail(st, &err);
    return chain(a, action, ref, detail);
}

static int do_status(ward_intel *in, ex_args *a, int n, char **rest)
{
    if (n != 2)
        return cli_usage("exhibit", "status: give REF STATUS");
    ward_error err = {0};
    ward_status st = ward_exhibit_set_status(in, rest[0], rest[1], cli_user(), a->note, a->t,
                                             &err);
    if (st)
        return fail(st, &err);
    return chain(a, "status", rest[0], rest[1]);
}

static int dispatch(ward_intel *in, ex_args *a, const char *action, int n, char **rest)
{
    ward_error err = {0};
    ward_status st = WARD_OK;
    if (!strcmp(action, "status"))
        return do_status(in, a, n, rest);
    if (!strcmp(action, "queue") || !strcmp(action, "forecast") || !strcmp(action, "alerts"))
        return n ? cli_usage("exhibit", "%s takes no arguments", action) : do_queue(in, a, action);
    if (!strcmp(action, "kpi"))
        return do_kpi(in, a);
    if (!strcmp(action, "list")) {
        int s = a->status ? ward_exhibit_status_parse(a->status) : -1;
        if (a->status && s < 0)
            return cli_usage("exhibit", "--status '%s' is not a status", a->status);
        ward_exhibit_filter f = {a->force, a->lab, s};
        st = ward_exhibit_each(in, &f, list_one, &a->json, &err);
    } else if (!strcmp(action, "verify")) {
        uint64_t count = 0;
        if (n > 1)
            return cli_usage("exhibit", "verify: at most one REF");
        st = ward_exhibit_verify(in, n ? rest[0] : NULL, &count, &err);
        if (!st)
            printf("continuity log intact: %" PRIu64 " entries%s%s\n", count, n ? " of " : "",
                   n ? rest[0] : "");
    } else if (!strcmp(action, "lab")) {
        if (n != 1 || !a->examiners)
            return cli_usage("exhibit", "lab: give NAME --examiners N");
        st = ward_lab_set(in, rest[0], a->examiners, a->hours > 0 ? a->hours : 37.5, cli_user(),
                          a->t, &err);
        if (!st)
            return chain(a, "lab", rest[0], "examiners and hours");
    } else if (!strcmp(action, "show") || !strcmp(action, "log") || !strcmp(action, "scans") ||
               !strcmp(action, "check-image")) {
        if (need_ref(n, rest, action))
            return WARD_EXIT_USAGE;
        ward_exhibit e;
        if (!strcmp(action, "show") && !(st = ward_exhibit_get(in, rest[0], &e, &err))) {
            if (a->json)
                putchar('{');
            print_exhibit(&e, a->json);
            puts(a->json ? "}" : "");
            if (!a->json)
                st = ward_exhibit_log(in, rest[0], 0, stdout, &err);
        } else if (!strcmp(action, "log")) {
            st = ward_exhibit_log(in, rest[0], a->json, stdout, &err);
        } else if (!strcmp(action, "scans")) {
            st = ward_exhibit_scans(in, rest[0], stdout, &err);
        } else if (!strcmp(action, "check-image")) {
            if (!a->image)
                return cli_usage("exhibit", "check-image: give --image FILE");
            if (!(st = ward_exhibit_verify_image(in, rest[0], a->image, &err)))
                printf("%s: matches exhibit %s as acquired\n", a->image, rest[0]);
        }
    } else {
        return do_change(in, a, action, n, rest);
    }
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

static const char *const actions[] = {
    "register", "show", "list", "status", "move", "acquire", "check-image", "child-at-risk",
    "prioritise", "log", "verify", "attach", "scans", "lab", "queue", "forecast", "alerts",
    "kpi"};

static int run_exhibit(int argc, char **argv)
{
    ex_args a = {0};
    int r, optind;
    if ((r = cli_parse_opts(&cli_cmd_exhibit, &a, argc, argv, &optind)) != CLI_GO_ON)
        return r;
    a.package = (int64_t)a.package_given;
    if (optind >= argc)
        return cli_usage("exhibit", "no action given");
    const char *action = argv[optind++];
    int known = 0;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        known |= !strcmp(action, actions[i]);
    if (!known)   /* before opening anything: a typo creates no data directory */
        return cli_usage("exhibit", "unknown action '%s'", action);
    a.t = time(NULL);
    if (a.now && cli_parse_now(a.now, &a.t))
        return cli_usage("exhibit", "--now must be YYYY-MM-DDTHH:MM:SSZ");
    a.data = cli_data_dir(a.data);
    if (!a.key_file)
        a.key_file = cli_intel_key_file();
    ward_intel *in = NULL;
    ward_error err = {0};
    ward_status st = ward_intel_open_keyed(a.data, cli_store_url(), a.key_file, &in, &err);
    if (st)
        return fail(st, &err);
    r = dispatch(in, &a, action, argc - optind, argv + optind);
    ward_intel_close(in);
    if (fflush(stdout) != 0)
        return WARD_EXIT_IO;
    return r;
}

/* ---- the hook in 'ward scan --exhibit REF' ---------------------------------- */

int cli_exhibit_scan_check(const char *data, const char *ref, const char *image)
{
    ward_intel *in = NULL;
    ward_error err = {0};
    ward_status st = ward_intel_open_keyed(data, cli_store_url(), cli_intel_key_file(), &in, &err);
    if (!st)
        st = ward_exhibit_verify_image(in, ref, image, &err);
    ward_intel_close(in);
    if (st) {
        cli_error("scan", "--exhibit %s: %s", ref, err.message);
        return st == WARD_EINVAL ? WARD_EXIT_USAGE : cli_exit_for(st);
    }
    return WARD_EXIT_OK;
}

int cli_exhibit_scan_attach(const char *data, const char *ref, const char *out_dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", out_dir);
    ward_intel *in = NULL;
    ward_error err = {0};
    ward_exhibit_scan_effect e;
    ward_status st = ward_intel_open_keyed(data, cli_store_url(), cli_intel_key_file(), &in, &err);
    if (!st)
        st = ward_exhibit_attach_scan(in, ref, path, cli_user(), time(NULL), &e, &err);
    ward_intel_close(in);
    if (st) {
        cli_error("scan", "--exhibit %s: the scan is done but not attached: %s", ref,
                  err.message);
        return cli_exit_for(st);
    }
    fprintf(stderr, "ward scan: attached to exhibit %s%s%s\n", ref,
            e.examined_factor ? "; known material is now an examined image factor on its subject"
                              : "",
            e.needs_grading ? "; new material: needs grading" : "");
    ex_args a = {.data = data};
    return chain(&a, "scan", ref, path);
}

const cli_command cli_cmd_exhibit = {
    .name = "exhibit",
    .run = run_exhibit,
    .summary = "Exhibits, continuity and the examination queue",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
