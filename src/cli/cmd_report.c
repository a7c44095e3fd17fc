/*
 * ward report: the duty queue of urgent reports and referrals, and feedback
 * to referrers (ward/report.h). The public form itself is served by
 * `ward serve` at /report.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/report.h>
#include <ward/serve.h>

static const char help[] =
"NAME\n"
"    ward report - public reports, the duty queue and feedback to referrers\n"
"\n"
"SYNOPSIS\n"
"    ward report duty [--closed] [--escalate-minutes M] [--escalate-to USER]\n"
"    ward report step ID STEP [--detail TEXT]\n"
"    ward report letter SOURCE [--format json|html]\n"
"    ward report sent SOURCE\n"
"    ward report reminders [--silent-days D]\n"
"    ward report kpi [--overdue-days D] [--silent-days D] [--json]\n"
"    (every action takes --data DIR, --now TIME and --key-file FILE)\n"
"\n"
"DESCRIPTION\n"
"    `ward serve` shows a public report form at /report: no login, no\n"
"    JavaScript, written for a child. A report becomes a referral of\n"
"    source \"public\" in the intelligence store (run 'ward intel update'\n"
"    to resolve, score and route it like any other); answering that someone\n"
"    is in danger now (yes or not sure) or that a meeting is arranged makes\n"
"    it urgent at once. Urgent reports, and urgent referrals from any list\n"
"    (imminent_risk, meeting_planned, threats), go on the duty queue, shown\n"
"    to national analysts at /duty. See docs/report.md.\n"
"\n"
"ACTIONS\n"
"    duty        Bring the queue up to date (urgent referrals without an\n"
"                entry get one; entries not acknowledged in time are\n"
"                escalated) and print it, one JSON object a line, open\n"
"                entries first (unacknowledged, newest at the top).\n"
"    step        Record a checklist step on entry ID as $WARD_USER:\n"
"                acknowledged, control_room (which force's control room,\n"
"                their reference), told (who was told, and when),\n"
"                crime_report (reference, force), note, closed (result).\n"
"                Every step but acknowledged needs --detail.\n"
"    letter      The feedback owed to a source (the --source its lists were\n"
"                ingested under): a receipt per list, progress per package\n"
"                made from its referrals, outcomes. JSON, or a printable\n"
"                HTML letter. Names no person.\n"
"    sent        Record that the feedback up to now went to SOURCE.\n"
"    reminders   Open packages with nothing recorded for D days: a 'silent'\n"
"                alert to each holder (raised once per silence), listed.\n"
"    kpi         Per source: feedback items owed, sent and overdue (unsent\n"
"                longer than the overdue days); then silent packages and\n"
"                open and escalated duty entries.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done; 1 reminders raised, or feedback overdue (kpi), or an entry was\n"
"    escalated (duty); 2 usage or a refused step (unknown, no detail, the\n"
"    entry closed or acknowledged already); 3 no such entry or source;\n"
"    4 I/O.\n"
"\n"
"EXAMPLES\n"
"    ward report duty\n"
"    ward report step 3 control_room --detail 'Kent Police control room, ref CR-118'\n"
"    ward report letter interpol-vgt --format html > letter.html\n"
"    ward report reminders --silent-days 28\n";

typedef struct report_args {
    ward_duty_opts d;
    const char *data, *now, *key_file, *detail, *format;
    int closed, silent, overdue, json;
} report_args;

#define A(m) CLI_AT_INT(report_args, m)
static const cli_opt options[] = {
    CLI_OPT_DATA(report_args, data),
    CLI_OPT_NOW(report_args, now),
    {"key-file", 0, CLI_STRING, CLI_AT_STR(report_args, key_file), "FILE",
     .def = "$WARD_INTEL_KEY_FILE", .help = "intel.db is encrypted with the key in FILE"},
    {"closed", 0, CLI_FLAG, A(closed), .help = "duty: the last 50 closed entries too"},
    {"escalate-minutes", 0, CLI_INT, A(d.escalate_minutes), "M", 1, 10080, .def = "15",
     .help = "duty: escalate after M minutes"},
    {"escalate-to", 0, CLI_STRING, CLI_AT_STR(report_args, d.escalate_to), "USER",
     .def = "duty-manager", .help = "duty: the second person"},
    {"detail", 0, CLI_STRING, CLI_AT_STR(report_args, detail), "TEXT",
     .help = "step: what was done"},
    {"format", 0, CLI_CHOICE, CLI_AT_STR(report_args, format), "F", .choices = "json|html",
     .def = "json", .help = "letter: json or html"},
    {"silent-days", 0, CLI_INT, A(silent), "D", 1, 3650, .def = "28",
     .help = "a package is silent after D days"},
    {"overdue-days", 0, CLI_INT, A(overdue), "D", 0, 3650, .def = "7",
     .help = "feedback is overdue after D days"},
    {"json", 0, CLI_FLAG, A(json), .help = "kpi: JSON lines"},
    CLI_OPT_END};
#undef A

/* The change is in intel.db (its audit table too); the service's chain
 * gets it as well. A failure there is reported, the change stands. */
static int chain(const char *data, const char *action, const char *object, const char *detail)
{
    ward_error err = {0};
    if (ward_serve_audit_append(data, cli_store_url(), cli_intel_key_file(), cli_user(), action,
                                object, detail, &err)) {
        cli_error("report", "%s is recorded, but not in the service audit log: %s", object,
                  err.message);
        return WARD_EXIT_IO;
    }
    return WARD_EXIT_OK;
}

static int run_report(int argc, char **argv)
{
    report_args a = {.silent = 28, .overdue = 7};
    ward_duty_opts_default(&a.d);
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_report, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    const char *data = a.data, *now_s = a.now, *key = a.key_file, *detail = a.detail,
               *format = a.format;
    ward_duty_opts d = a.d;
    int closed = a.closed, silent = a.silent, overdue = a.overdue, json = a.json;
    static const char *const actions[] = {"duty", "step", "letter", "sent", "reminders", "kpi"};
    static const int nargs[] = {0, 2, 1, 1, 0, 0};
    if (optind >= argc)
        return cli_usage("report", "which action? (duty, step, letter, sent, reminders, kpi)");
    const char *action = argv[optind++];
    size_t k = 0;
    while (k < 6 && strcmp(actions[k], action))
        k++;
    if (k == 6)   /* before opening anything: a typo creates no data directory */
        return cli_usage("report", "unknown action '%s'", action);
    if (argc - optind != nargs[k])
        return cli_usage("report", "%s takes %d argument%s", action, nargs[k],
                         nargs[k] == 1 ? "" : "s");
    time_t now = time(NULL);
    if (now_s && cli_parse_now(now_s, &now))
        return cli_usage("report", "--now must be YYYY-MM-DDTHH:MM:SSZ");
    int64_t id = 0;
    if (k == 1) {
        char *end;
        id = strtoll(argv[optind], &end, 10);
        if (*end || id < 1)
            return cli_usage("report", "step: ID is a duty entry's number");
    }
    data = cli_data_dir(data);
    ward_intel *in = NULL;
    ward_error err;
    ward_status st =
        ward_intel_open_keyed(data, cli_store_url(), key ? key : cli_intel_key_file(), &in, &err);
    if (st)
        return cli_fail("report", st, &err);
    int rc = WARD_EXIT_OK;
    uint64_t n = 0;
    ward_feedback_kpi kpi;
    switch (k) {
    case 0:
        if (!(st = ward_duty_sync(in, &d, now, &n, &err)))
            st = ward_duty_list(in, now, closed, stdout, &err);
        if (!st && n) {
            fprintf(stderr, "ward report: %llu entr%s escalated to %s\n",
                    (unsigned long long)n, n == 1 ? "y" : "ies", d.escalate_to);
            rc = WARD_EXIT_FINDINGS;
        }
        break;
    case 1:
        st = ward_duty_step(in, id, argv[optind + 1], cli_user(), detail, now, &err);
        if (!st)
            rc = chain(data, "duty.step", argv[optind + 1], detail);
        break;
    case 2:
        st = ward_feedback_letter(in, argv[optind], now, format ? format : "json", stdout, &err);
        break;
    case 3:
        st = ward_feedback_mark_sent(in, argv[optind], cli_user(), now, &err);
        if (!st)
            rc = chain(data, "feedback.sent", argv[optind], NULL);
        break;
    case 4:
        st = ward_feedback_reminders(in, now, silent, stdout, &n, &err);
        if (!st && n)
            rc = WARD_EXIT_FINDINGS;
        break;
    case 5:
        st = ward_feedback_kpi_get(in, now, overdue, silent, json, stdout, &kpi, &err);
        if (!st && json)
            printf("{\"sources\":%llu,\"items\":%llu,\"sent\":%llu,\"overdue\":%llu,"
                   "\"silent_packages\":%llu,\"duty_open\":%llu,\"duty_escalated\":%llu}\n",
                   (unsigned long long)kpi.sources, (unsigned long long)kpi.items,
                   (unsigned long long)kpi.sent, (unsigned long long)kpi.overdue,
                   (unsigned long long)kpi.silent, (unsigned long long)kpi.duty_open,
                   (unsigned long long)kpi.duty_escalated);
        else if (!st)
            printf("feedback: %llu items owed to %llu sources, %llu sent, %llu overdue\n"
                   "packages silent over %d days: %llu\nduty queue: %llu open, %llu escalated"
                   " in all\n",
                   (unsigned long long)kpi.items, (unsigned long long)kpi.sources,
                   (unsigned long long)kpi.sent, (unsigned long long)kpi.overdue, silent,
                   (unsigned long long)kpi.silent, (unsigned long long)kpi.duty_open,
                   (unsigned long long)kpi.duty_escalated);
        if (!st && kpi.overdue)
            rc = WARD_EXIT_FINDINGS;
        break;
    }
    ward_intel_close(in);
    if (st)
        return cli_fail("report", st, &err);
    if (fflush(stdout) != 0) {
        cli_error("report", "cannot write the output");
        return WARD_EXIT_IO;
    }
    return rc;
}

const cli_command cli_cmd_report = {
    .name = "report",
    .run = run_report,
    .summary = "Public reports, the duty queue, feedback to referrers",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
