/*
 * ward report: the duty queue of urgent reports and referrals, and feedback
 * to referrers (ward/report.h). The public form itself is served by
 * `ward serve` at /report.
 */
#include "cli/cli.h"

#include <getopt.h>
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
"OPTIONS\n"
"    --data DIR            data directory (default $WARD_DATA, else\n"
"                          ~/.local/share/ward)\n"
"    --now TIME            the time to act as now (UTC, YYYY-MM-DDTHH:MM:SSZ)\n"
"    --key-file FILE       intel.db is encrypted with the key in FILE\n"
"                          (default $WARD_INTEL_KEY_FILE)\n"
"    --closed              duty: the last 50 closed entries too\n"
"    --escalate-minutes M  duty: escalate after M minutes (default 15)\n"
"    --escalate-to USER    duty: the second person (default duty-manager)\n"
"    --detail TEXT         step: what was done\n"
"    --format F            letter: json (default) or html\n"
"    --silent-days D       a package is silent after D days (default 28)\n"
"    --overdue-days D      feedback is overdue after D days (default 7)\n"
"    --json                kpi: JSON lines\n"
"\n"
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

enum { OPT_DATA = 256, OPT_NOW, OPT_KEY, OPT_CLOSED, OPT_ESC_MIN, OPT_ESC_TO, OPT_DETAIL,
       OPT_FORMAT, OPT_SILENT, OPT_OVERDUE, OPT_JSON };

static const struct option long_opts[] = {
    {"data", required_argument, NULL, OPT_DATA},
    {"now", required_argument, NULL, OPT_NOW},
    {"key-file", required_argument, NULL, OPT_KEY},
    {"closed", no_argument, NULL, OPT_CLOSED},
    {"escalate-minutes", required_argument, NULL, OPT_ESC_MIN},
    {"escalate-to", required_argument, NULL, OPT_ESC_TO},
    {"detail", required_argument, NULL, OPT_DETAIL},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"silent-days", required_argument, NULL, OPT_SILENT},
    {"overdue-days", required_argument, NULL, OPT_OVERDUE},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* The change is in intel.db (its audit table too); the service's chain
 * gets it as well. A failure there is reported, the change stands. */
static int chain(const char *data, const char *action, const char *object, const char *detail)
{
    ward_error err = {0};
    if (ward_serve_audit_append(data, cli_user(), action, object, detail, &err)) {
        cli_error("report", "%s is recorded, but not in the service audit log: %s", object,
                  err.message);
        return WARD_EXIT_IO;
    }
    return WARD_EXIT_OK;
}

static int run_report(int argc, char **argv)
{
    const char *data = NULL, *now_s = NULL, *key = NULL, *detail = NULL, *format = NULL;
    ward_duty_opts d;
    ward_duty_opts_default(&d);
    int closed = 0, silent = 28, overdue = 7, json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_DATA: data = optarg; break;
        case OPT_NOW: now_s = optarg; break;
        case OPT_KEY: key = optarg; break;
        case OPT_CLOSED: closed = 1; break;
        case OPT_ESC_MIN:
            if (cli_parse_int(optarg, 1, 10080, &d.escalate_minutes))
                return cli_usage("report", "--escalate-minutes: 1 to 10080");
            break;
        case OPT_ESC_TO: d.escalate_to = optarg; break;
        case OPT_DETAIL: detail = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case OPT_SILENT:
            if (cli_parse_int(optarg, 1, 3650, &silent))
                return cli_usage("report", "--silent-days: 1 to 3650");
            break;
        case OPT_OVERDUE:
            if (cli_parse_int(optarg, 0, 3650, &overdue))
                return cli_usage("report", "--overdue-days: 0 to 3650");
            break;
        case OPT_JSON: json = 1; break;
        case 'h': printf("%s", help); return WARD_EXIT_OK;
        default: return cli_usage("report", "unknown option");
        }
    }
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
    if (format && strcmp(format, "json") && strcmp(format, "html"))
        return cli_usage("report", "--format is json or html");
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
    ward_status st = ward_intel_open_keyed(data, key ? key : cli_intel_key_file(), &in, &err);
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
};
