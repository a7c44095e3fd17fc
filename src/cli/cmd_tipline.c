/*
 * ward tipline: a confirmed match event's report as a CyberTipline report
 * (export), sent to the reporting API (submit), and where each stands.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/tipline.h>

static const char help[] =
"NAME\n"
"    ward tipline - CyberTipline reports of confirmed match events\n"
"\n"
"SYNOPSIS\n"
"    ward tipline export REPORT [--file SHA256] [--out FILE]\n"
"                        --reporter-email EMAIL [--reporter-first NAME]\n"
"                        [--reporter-last NAME]\n"
"                        [--reporter-phone PHONE] [--data DIR] [--key-file FILE]\n"
"    ward tipline submit (REPORT... | --all) --endpoint URL --user NAME\n"
"                        [--password-file FILE] --reporter-email EMAIL [...]\n"
"                        [--retries N] [--retry-delay S] [--timeout S]\n"
"                        [--resend | --ncmec-id ID | --file-id ID]\n"
"    ward tipline status [--data DIR]\n"
"    ward tipline schema\n"
"\n"
"ACTIONS\n"
"    export REPORT   The report's <report> XML (--file: a file's <fileDetails>).\n"
"    submit          Send reports through the API's transactions.\n"
"    status          Every report and where its submission stands.\n"
"    schema          The XSD every document is validated against.\n"
"\n"
"DESCRIPTION\n"
"    When a reviewer confirms a match event (ward serve: POST /v1/reviews, or\n"
"    the web application's review queue) the service writes a report. These\n"
"    commands put that report in the structure of NCMEC's CyberTipline\n"
"    reporting API and send it (docs/tipline.md).\n"
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
"    1110, 1111, 1300) is tried again up to --retries more times (3), waiting\n"
"    --retry-delay seconds (2), doubled each time. A submit or upload that\n"
"    went out without an answer may have arrived: the report is HELD, not\n"
"    sent again, until a person has checked with NCMEC and runs submit\n"
"    --resend. If it did arrive, --ncmec-id ID (NCMEC's reportId of a held\n"
"    submit) or --file-id ID (the fileId of the report's one held upload)\n"
"    tells ward so, and it carries on from there. The password is read\n"
"    from --password-file or $WARD_TIPLINE_PASSWORD; --endpoint defaults to\n"
"    $WARD_TIPLINE_ENDPOINT.\n"
"    Every call is in the service's audit log (tipline.call).\n"
"\n"
"    status lists every report: new, pending, held, failed or finished,\n"
"    with NCMEC's report id and the last note.\n"
"\n"
"EXIT STATUS\n"
"    0 done (every report finished); 1 notices (export), or a report is\n"
"    pending, held or failed (submit); 2 usage; 3 no such report or file,\n"
"    or the endpoint refused the credentials; 4 the store or a file cannot\n"
"    be read or written; 5 internal error.\n";

enum { O_DATA = 1, O_KEY, O_OUT, O_FILE, O_EMAIL, O_FIRST, O_LAST, O_PHONE, O_ENDPOINT,
       O_USER, O_PWFILE, O_RETRIES, O_DELAY, O_TIMEOUT, O_RESEND, O_ALL, O_ADOPT,
       O_ADOPT_FILE };

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

static int exit_for(ward_status st)
{
    return st == WARD_EIO ? WARD_EXIT_IO
           : st == WARD_ENOMEM || st == WARD_EINTERNAL ? WARD_EXIT_INTERNAL
                                                       : WARD_EXIT_DATA;
}

static int do_export(ward_tipline_opts *o, int64_t id, const char *file, const char *out)
{
    char *xml = NULL;
    int notices = 0;
    ward_error err;
    ward_status st = file ? ward_tipline_file_xml(o, id, file, &xml, &err)
                          : ward_tipline_report_xml(o, id, &xml, &notices, &err);
    if (st != WARD_OK) {
        cli_error("tipline", "%s", err.message);
        return exit_for(st);
    }
    int rc = write_out(out, xml);
    free(xml);
    return rc ? rc : notices ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static const char *state_name(ward_tipline_state s)
{
    static const char *const n[] = {"new", "finished", "pending", "held", "failed"};
    return n[s];
}

typedef struct submit_all {
    ward_tipline_opts *o;
    int rc;
} submit_all;

static int submit_one(ward_tipline_opts *o, int64_t id)
{
    ward_tipline_status st;
    ward_error err;
    ward_status s = ward_tipline_submit(o, id, &st, &err);
    if (s != WARD_OK) {
        cli_error("tipline", "report %lld: %s", (long long)id, err.message);
        return exit_for(s);
    }
    printf("report %lld: %s%s%s: %s\n", (long long)id, state_name(st.state),
           st.ncmec_id[0] ? " ncmec " : "", st.ncmec_id, st.note);
    return st.state == WARD_TIPLINE_FINISHED ? WARD_EXIT_OK : WARD_EXIT_FINDINGS;
}

static int submit_each(void *ctx, const ward_tipline_status *st)
{
    submit_all *a = ctx;
    if (st->state == WARD_TIPLINE_FINISHED)
        return 0;
    int rc = submit_one(a->o, st->report_id);
    if (rc > a->rc)
        a->rc = rc;
    return rc >= WARD_EXIT_DATA; /* refused credentials or a broken store: stop */
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
        cli_error("tipline", "%s", err.message);
        return exit_for(s);
    }
    submit_all a = {.o = o};
    for (size_t i = 0; i < l.n; i++) {
        ward_tipline_status st = {.report_id = l.v[i]};
        if (submit_each(&a, &st))
            break;
    }
    if (!l.n)
        printf("nothing to submit: every report is finished\n");
    free(l.v);
    return a.rc;
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

static int run_tipline(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, O_DATA},
        {"key-file", required_argument, NULL, O_KEY},
        {"out", required_argument, NULL, O_OUT},
        {"file", required_argument, NULL, O_FILE},
        {"reporter-email", required_argument, NULL, O_EMAIL},
        {"reporter-first", required_argument, NULL, O_FIRST},
        {"reporter-last", required_argument, NULL, O_LAST},
        {"reporter-phone", required_argument, NULL, O_PHONE},
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"user", required_argument, NULL, O_USER},
        {"password-file", required_argument, NULL, O_PWFILE},
        {"retries", required_argument, NULL, O_RETRIES},
        {"retry-delay", required_argument, NULL, O_DELAY},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"resend", no_argument, NULL, O_RESEND},
        {"all", no_argument, NULL, O_ALL},
        {"ncmec-id", required_argument, NULL, O_ADOPT},
        {"file-id", required_argument, NULL, O_ADOPT_FILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ward_tipline_opts o;
    ward_tipline_opts_default(&o);
    o.notice = on_notice;
    o.progress = on_progress;
    o.endpoint = getenv("WARD_TIPLINE_ENDPOINT");
    o.key_file = cli_intel_key_file();
    const char *data = NULL, *out = NULL, *file = NULL, *pwfile = NULL;
    int all = 0, c;
    uint64_t n;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': cli_print_help(&cli_cmd_tipline); return WARD_EXIT_OK;
        case O_DATA: data = optarg; break;
        case O_KEY: o.key_file = optarg; break;
        case O_OUT: out = optarg; break;
        case O_FILE: file = optarg; break;
        case O_EMAIL: o.reporter.email = optarg; break;
        case O_FIRST: o.reporter.first_name = optarg; break;
        case O_LAST: o.reporter.last_name = optarg; break;
        case O_PHONE: o.reporter.phone = optarg; break;
        case O_ENDPOINT: o.endpoint = optarg; break;
        case O_USER: o.user = optarg; break;
        case O_PWFILE: pwfile = optarg; break;
        case O_RESEND: o.resend = 1; break;
        case O_ALL: all = 1; break;
        case O_ADOPT: o.adopt_report_id = optarg; break;
        case O_ADOPT_FILE: o.adopt_file_id = optarg; break;
        case O_RETRIES:
            if (cli_parse_count(optarg, &n) || n > 20)
                return cli_usage("tipline", "--retries: expected 0..20, not '%s'", optarg);
            o.retries = (int)n;
            break;
        case O_DELAY:
            if (cli_parse_seconds(optarg, 0, 3600, &o.retry_delay_s))
                return cli_usage("tipline", "--retry-delay: expected seconds, not '%s'",
                                 optarg);
            break;
        case O_TIMEOUT:
            if (cli_parse_seconds(optarg, 0.1, 3600, &o.timeout_s))
                return cli_usage("tipline", "--timeout: expected seconds, not '%s'", optarg);
            break;
        default: return cli_usage("tipline", "bad option");
        }
    }
    o.datadir = cli_data_dir(data);
    o.store_url = cli_store_url();
    o.actor = cli_user();
    const char *verb = optind < argc ? argv[optind++] : "";
    if (!strcmp(verb, "schema") && optind == argc)
        return write_out(NULL, ward_tipline_xsd());
    if (!strcmp(verb, "status") && optind == argc) {
        int worst = WARD_EXIT_OK;
        ward_error err;
        ward_status s = ward_tipline_list(&o, print_status, &worst, &err);
        if (s != WARD_OK) {
            cli_error("tipline", "%s", err.message);
            return exit_for(s);
        }
        return worst;
    }
    int64_t id = 0;
    if (!strcmp(verb, "export")) {
        if (optind + 1 != argc || parse_report_id(argv[optind], &id))
            return cli_usage("tipline", "export takes one report id");
        if (!o.reporter.email && !file)
            return cli_usage("tipline", "--reporter-email is required (the API's "
                                        "reportingPerson must give one)");
        return do_export(&o, id, file, out);
    }
    if (strcmp(verb, "submit"))
        return cli_usage("tipline", "expected export, submit, status or schema");
    if (all == (optind < argc))
        return cli_usage("tipline", "submit takes report ids or --all");
    if (all && o.resend) /* each held report is a person's check, one by one */
        return cli_usage("tipline", "--resend names the reports a person checked, not --all");
    if ((o.adopt_report_id || o.adopt_file_id) && (all || o.resend || optind + 1 != argc))
        return cli_usage("tipline", "--ncmec-id and --file-id name one report, without "
                                    "--all or --resend");
    if (!o.endpoint || !o.user || !o.reporter.email)
        return cli_usage("tipline", "submit needs --endpoint, --user and --reporter-email");
    char pw[512] = "";
    if (pwfile) {
        int rc = read_password(pwfile, pw, sizeof pw);
        if (rc)
            return rc;
    } else if (getenv("WARD_TIPLINE_PASSWORD")) {
        snprintf(pw, sizeof pw, "%s", getenv("WARD_TIPLINE_PASSWORD"));
    }
    o.password = pw;
    if (all)
        return do_submit_all(&o);
    int worst = WARD_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        if (parse_report_id(argv[i], &id))
            return cli_usage("tipline", "not a report id: '%s'", argv[i]);
        int rc = submit_one(&o, id);
        if (rc > worst)
            worst = rc;
        if (rc >= WARD_EXIT_DATA)
            break;
    }
    return worst;
}

const cli_command cli_cmd_tipline = {
    .name = "tipline",
    .run = run_tipline,
    .summary = "CyberTipline reports of confirmed match events",
    .help = help,
};
