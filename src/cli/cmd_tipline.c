/*
 * ward tipline: a confirmed match event's report as a CyberTipline report
 * (export), sent to the reporting API (submit), and where each stands.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/tipline.h>

static const char help[] =
"NAME\n"
"    ward tipline - CyberTipline reports of confirmed match events\n"
"\n"
"SYNOPSIS\n"
"    ward tipline export REPORT --reporter-email EMAIL [--reporter-first NAME]\n"
"                        [--reporter-last NAME] [--reporter-phone PHONE]\n"
"                        [--out FILE] [--data DIR] [--key-file FILE]\n"
"    ward tipline export REPORT --file SHA256 [--out FILE] [--data DIR]\n"
"    ward tipline submit (REPORT... | --all) [--endpoint URL] --user NAME\n"
"                        [--password-file FILE] --reporter-email EMAIL [...]\n"
"                        [--retries N] [--retry-delay S] [--timeout S]\n"
"                        [--resend | --ncmec-id ID | --file-id ID]\n"
"    ward tipline status [--data DIR] [--key-file FILE]\n"
"    ward tipline schema\n"
"\n"
"ACTIONS\n"
"    export REPORT   The report's <report> XML (--file: one file's\n"
"                    <fileDetails>), on standard output or --out FILE.\n"
"    submit          Send reports through the API's transactions.\n"
"    status          Every report and where its submission stands.\n"
"    schema          The XSD every document is validated against.\n"
"\n"
"DESCRIPTION\n"
"    When a reviewer confirms a match event (ward serve: POST /v1/reviews, or\n"
"    the web application's review queue) the service writes a report, whose\n"
"    number is REPORT. These commands put that report in the structure of\n"
"    NCMEC's CyberTipline reporting API and send it (docs/tipline.md).\n"
"\n"
"    export prints the report's <report> XML, validated against the schema\n"
"    compiled into ward ('schema' prints it). With --file, the <fileDetails>\n"
"    of one evidence file instead (once submit has uploaded it: its reportId\n"
"    and fileId are NCMEC's). fileViewedByEsp is the reviewer's own answer.\n"
"    Where the API's types cannot carry a value as the platform wrote it (a\n"
"    time without a zone, characters XML cannot hold), the original goes to\n"
"    additionalInfo and a notice names it (exit 1).\n"
"\n"
"    submit runs the API's transactions for each REPORT (or --all: every\n"
"    report not finished): POST /submit, then for each file the platform\n"
"    handed over as evidence POST /upload and /fileinfo, then /finish. Files\n"
"    are only those the platform sent to POST /v1/events/{id}/evidence; a\n"
"    report without one is sent with its hashes in additionalInfo and no\n"
"    file. The state of each report is kept in the service store: a run\n"
"    carries on where the last stopped and a finished report is never sent\n"
"    again. A call that certainly failed (no connection; codes 1000, 1100,\n"
"    1110, 1111, 1300) is tried again up to --retries more times, waiting\n"
"    --retry-delay seconds, doubled each time. A submit or upload that went\n"
"    out without an answer may have arrived: the report is HELD, not sent\n"
"    again, until a person has checked with NCMEC and runs submit --resend.\n"
"    If it did arrive, --ncmec-id ID (NCMEC's reportId of a held submit) or\n"
"    --file-id ID (the fileId of the report's one held upload) tells ward\n"
"    so, and it carries on from there. Every call is in the service's audit\n"
"    log (tipline.call); each transaction made is a line on standard error.\n"
"\n"
"    status lists every report, a line each, tab-separated: the report,\n"
"    its state (new, pending, held, failed or finished), NCMEC's report id\n"
"    (- before there is one), the files described and the last note.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"ENVIRONMENT\n"
"    WARD_TIPLINE_ENDPOINT   --endpoint's default\n"
"    WARD_TIPLINE_PASSWORD   the password when there is no --password-file\n"
"    WARD_INTEL_KEY_FILE     --key-file's default\n"
"    WARD_DATA               --data's default\n"
"\n"
"EXIT STATUS\n"
"    0 done (every report finished); 1 notices (export), or a report is\n"
"    pending, held or failed (submit, status); 2 usage; 3 no such report or\n"
"    file, the endpoint refused the credentials, or --ncmec-id / --file-id\n"
"    name nothing held; 4 the store or a file cannot be read or written;\n"
"    5 internal error.\n"
"\n"
"EXAMPLES\n"
"    ward tipline export 7 --reporter-email reports@platform.example > 7.xml\n"
"    WARD_TIPLINE_PASSWORD=... ward tipline submit --all \\\n"
"        --endpoint https://report.example/ispws --user platform \\\n"
"        --reporter-email reports@platform.example\n"
"    ward tipline status\n"
"    ward tipline submit 7 --resend --user platform --password-file pw \\\n"
"        --reporter-email reports@platform.example\n";

typedef struct tl_args {
    ward_tipline_opts o;
    const char *data, *out, *file, *pwfile;
    int all;
} tl_args;

#define S(m) CLI_AT_STR(tl_args, m)
static const cli_opt options[] = {
    {"reporter-email", 0, CLI_STRING, S(o.reporter.email), "EMAIL",
     .help = "export, submit: the reporting person's email\n(required: the API's "
             "reportingPerson gives one)"},
    {"reporter-first", 0, CLI_STRING, S(o.reporter.first_name), "NAME",
     .help = "the reporting person's first name"},
    {"reporter-last", 0, CLI_STRING, S(o.reporter.last_name), "NAME",
     .help = "the reporting person's last name"},
    {"reporter-phone", 0, CLI_STRING, S(o.reporter.phone), "PHONE",
     .help = "the reporting person's phone"},
    {"file", 0, CLI_STRING, S(file), "SHA256",
     .help = "export: this evidence file's fileDetails instead\n(after submit uploaded it)"},
    {"out", 0, CLI_STRING, S(out), "FILE", .def = "stdout", .help = "export: write here"},
    {"all", 0, CLI_FLAG, CLI_AT_INT(tl_args, all),
     .help = "submit: every report not finished"},
    {"endpoint", 0, CLI_STRING, S(o.endpoint), "URL", .def = "$WARD_TIPLINE_ENDPOINT",
     .help = "submit: the reporting API's base URL"},
    {"user", 0, CLI_STRING, S(o.user), "NAME", .help = "submit: the API's user (HTTP Basic)"},
    {"password-file", 0, CLI_STRING, S(pwfile), "FILE", .def = "$WARD_TIPLINE_PASSWORD",
     .help = "submit: the password, the file's first line"},
    /* Named so that getopt does not take it as an abbreviation of
     * --password-file: refused, never read. */
    {"password", 0, CLI_REFUSED, 0, "TEXT",
     .help = "a password is never taken on the command line\n(ps and shell history show it): "
             "use\n--password-file or $WARD_TIPLINE_PASSWORD"},
    {"retries", 0, CLI_INT, CLI_AT_INT(tl_args, o.retries), "N", 0, 20,
     .def = CLI_NUM(WARD_TIPLINE_RETRIES),
     .help = "submit: further tries of a call that certainly\nfailed"},
    {"retry-delay", 0, CLI_SECONDS, CLI_AT_SECONDS(tl_args, o.retry_delay_s), "S", 0, 3600,
     .def = CLI_NUM(WARD_TIPLINE_RETRY_DELAY_S),
     .help = "submit: the first wait between tries, doubled\neach time"},
    {"timeout", 0, CLI_SECONDS, CLI_AT_SECONDS(tl_args, o.timeout_s), "S", 0.1, 3600,
     .def = CLI_NUM(WARD_TIPLINE_TIMEOUT_S), .help = "submit: one call's limit"},
    {"resend", 0, CLI_FLAG, CLI_AT_INT(tl_args, o.resend),
     .help = "submit: a person checked that the held call did\nnot arrive: make it again "
             "(names reports, not\n--all)"},
    {"ncmec-id", 0, CLI_STRING, S(o.adopt_report_id), "ID",
     .help = "submit: the held submit did arrive, as NCMEC's\nreport ID (one report)"},
    {"file-id", 0, CLI_STRING, S(o.adopt_file_id), "ID",
     .help = "submit: the report's one held upload did arrive,\nas NCMEC's file ID (one "
             "report)"},
    {"key-file", 0, CLI_STRING, S(o.key_file), "FILE", .def = "$WARD_INTEL_KEY_FILE",
     .help = "service.db's key, when it is encrypted"},
    CLI_OPT_DATA(tl_args, data),
    CLI_OPT_END};
#undef S

static void on_notice(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "ward tipline: notice: %s\n", msg);
}

static void on_progress(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "ward tipline: %s\n", line);
}

static int parse_report_id(const char *s, int64_t *id)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0 || errno)
        return -1;
    *id = v;
    return 0;
}

/* The first line of FILE, without its newline, into buf. */
static int read_password(const char *file, char *buf, size_t cap)
{
    FILE *f = fopen(file, "re");
    if (!f) {
        cli_error("tipline", "cannot read %s: %s", file, strerror(errno));
        return WARD_EXIT_IO;
    }
    if (!fgets(buf, (int)cap, f))
        buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = 0;
    return WARD_EXIT_OK;
}

static int write_out(const char *out, const char *text)
{
    FILE *f = out ? fopen(out, "we") : stdout;
    if (!f || fputs(text, f) == EOF || fflush(f) != 0) {
        cli_error("tipline", "cannot write %s: %s", out ? out : "stdout", strerror(errno));
        if (f && out)
            fclose(f);
        return WARD_EXIT_IO;
    }
    if (out && fclose(f) != 0) {
        cli_error("tipline", "cannot write %s: %s", out, strerror(errno));
        return WARD_EXIT_IO;
    }
    return WARD_EXIT_OK;
}

static int do_export(ward_tipline_opts *o, int64_t id, const char *file, const char *out)
{
    char *xml = NULL;
    int notices = 0;
    ward_error err;
    ward_status st = file ? ward_tipline_file_xml(o, id, file, &xml, &err)
                          : ward_tipline_report_xml(o, id, &xml, &notices, &err);
    if (st != WARD_OK)
        return cli_fail("tipline", st, &err);
    int rc = write_out(out, xml);
    free(xml);
    return rc ? rc : notices ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static const char *state_name(ward_tipline_state s)
{
    static const char *const n[] = {"new", "finished", "pending", "held", "failed"};
    return n[s];
}

/* One report: 0 finished, 1 not yet (printed with why), or the exit code of
 * an error (refused credentials, a broken store), which stops the run. */
static int submit_one(ward_tipline_opts *o, int64_t id)
{
    ward_tipline_status st;
    ward_error err;
    ward_status s = ward_tipline_submit(o, id, &st, &err);
    if (s != WARD_OK) {
        cli_error("tipline", "report %lld: %s", (long long)id, err.message);
        return cli_exit_for(s);
    }
    printf("report %lld: %s%s%s: %s\n", (long long)id, state_name(st.state),
           st.ncmec_id[0] ? " ncmec " : "", st.ncmec_id, st.note);
    return st.state == WARD_TIPLINE_FINISHED ? WARD_EXIT_OK : WARD_EXIT_FINDINGS;
}

/* Each of ids in turn; the worst exit code, stopping at the first error. */
static int submit_ids(ward_tipline_opts *o, const int64_t *ids, size_t n)
{
    int worst = WARD_EXIT_OK;
    for (size_t i = 0; i < n && worst <= WARD_EXIT_FINDINGS; i++) {
        int rc = submit_one(o, ids[i]);
        if (rc > worst)
            worst = rc;
    }
    return worst;
}

/* Collect the list first: submitting writes to the store being listed. */
typedef struct id_list {
    int64_t *v;
    size_t n, cap;
} id_list;

static int collect(void *ctx, const ward_tipline_status *st)
{
    id_list *l = ctx;
    if (st->state == WARD_TIPLINE_FINISHED)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 32;
        int64_t *g = realloc(l->v, l->cap * sizeof *g);
        if (!g)
            return 1;
        l->v = g;
    }
    l->v[l->n++] = st->report_id;
    return 0;
}

static int do_submit_all(ward_tipline_opts *o)
{
    id_list l = {0};
    ward_error err;
    ward_status s = ward_tipline_list(o, collect, &l, &err);
    if (s != WARD_OK) {
        free(l.v);
        return cli_fail("tipline", s, &err);
    }
    int rc = submit_ids(o, l.v, l.n);
    if (!l.n)
        printf("nothing to submit: every report is finished\n");
    free(l.v);
    return rc;
}

static int print_status(void *ctx, const ward_tipline_status *st)
{
    int *worst = ctx;
    printf("report %lld\t%s\t%s\tfiles described %d\t%s\n", (long long)st->report_id,
           state_name(st->state), st->ncmec_id[0] ? st->ncmec_id : "-", st->files_done,
           st->note);
    if (st->state == WARD_TIPLINE_HELD || st->state == WARD_TIPLINE_FAILED)
        *worst = WARD_EXIT_FINDINGS;
    return 0;
}

static int do_status(ward_tipline_opts *o)
{
    int worst = WARD_EXIT_OK;
    ward_error err;
    ward_status s = ward_tipline_list(o, print_status, &worst, &err);
    return s != WARD_OK ? cli_fail("tipline", s, &err) : worst;
}

/* submit's operands and options, checked before anything is read. */
static int do_submit(tl_args *a, int nids, char **ids)
{
    ward_tipline_opts *o = &a->o;
    if (a->all == (nids > 0))
        return cli_usage("tipline", "submit takes report ids or --all");
    if (a->all && o->resend) /* each held report is a person's check, one by one */
        return cli_usage("tipline", "--resend names the reports a person checked, not --all");
    if ((o->adopt_report_id || o->adopt_file_id) && (a->all || o->resend || nids != 1))
        return cli_usage("tipline", "--ncmec-id and --file-id name one report, without "
                                    "--all or --resend");
    if (!o->endpoint || !o->user || !o->reporter.email)
        return cli_usage("tipline", "submit needs --endpoint, --user and --reporter-email");
    int64_t *v = calloc((size_t)nids + 1, sizeof *v);
    if (!v)
        return cli_fail("tipline", WARD_ENOMEM, NULL);
    for (int i = 0; i < nids; i++)
        if (parse_report_id(ids[i], &v[i])) {
            free(v);
            return cli_usage("tipline", "not a report id: '%s'", ids[i]);
        }
    char pw[512] = "";
    int rc = WARD_EXIT_OK;
    if (a->pwfile)
        rc = read_password(a->pwfile, pw, sizeof pw);
    else if (getenv("WARD_TIPLINE_PASSWORD"))
        snprintf(pw, sizeof pw, "%s", getenv("WARD_TIPLINE_PASSWORD"));
    o->password = pw;
    if (rc == WARD_EXIT_OK)
        rc = a->all ? do_submit_all(o) : submit_ids(o, v, (size_t)nids);
    free(v);
    return rc;
}

static int run_tipline(int argc, char **argv)
{
    tl_args a = {0};
    ward_tipline_opts_default(&a.o);
    a.o.notice = on_notice;
    a.o.progress = on_progress;
    a.o.endpoint = getenv("WARD_TIPLINE_ENDPOINT");
    a.o.key_file = cli_intel_key_file();
    int rc, optind;
    if ((rc = cli_parse_opts(&cli_cmd_tipline, &a, argc, argv, &optind)) != CLI_GO_ON)
        return rc;
    a.o.datadir = cli_data_dir(a.data);
    a.o.store_url = cli_store_url();
    a.o.actor = cli_user();
    const char *verb = optind < argc ? argv[optind++] : "";
    int n = argc - optind;
    if (!strcmp(verb, "schema") && n == 0)
        return write_out(NULL, ward_tipline_xsd());
    if (!strcmp(verb, "status") && n == 0)
        return do_status(&a.o);
    if (!strcmp(verb, "export")) {
        int64_t id = 0;
        if (n != 1 || parse_report_id(argv[optind], &id))
            return cli_usage("tipline", "export takes one report id");
        if (!a.o.reporter.email && !a.file)
            return cli_usage("tipline", "--reporter-email is required (the API's "
                                        "reportingPerson must give one)");
        return do_export(&a.o, id, a.file, a.out);
    }
    if (!strcmp(verb, "submit"))
        return do_submit(&a, n, argv + optind);
    return cli_usage("tipline", "expected export, submit, status or schema");
}

const cli_command cli_cmd_tipline = {
    .name = "tipline",
    .run = run_tipline,
    .summary = "CyberTipline reports of confirmed match events",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
