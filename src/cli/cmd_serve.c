/*
 * ward serve: run the HTTP match service until SIGINT/SIGTERM; SIGHUP looks
 * for a changed store at once. Everything else is libward's serve.h.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/intel.h>
#include <ward/serve.h>

static const char help[] =
"NAME\n"
"    ward serve - HTTP match service for platforms, with review and reports\n"
"\n"
"SYNOPSIS\n"
"    ward serve [--listen ADDR:PORT] [--data DIR] [--tls-cert PEM --tls-key PEM]\n"
"               [--threads N] [--batch-workers N] [--upload-workers N]\n"
"               [--upload-queue N]\n"
"               [--max-upload BYTES] [--max-json BYTES]\n"
"               [--max-batch N] [--timeout S] [--max-connections N]\n"
"               [--per-ip N] [--reload-interval S] [--radius R] [--max-pixels N]\n"
"               [--index-memory BYTES] [--flood-keys N] [--flood-hours H]\n"
"               [--reporter NAME] [--releases DIR] [--scans DIR] [--port-file FILE]\n"
"               [--log-format text|json] [--access-log]\n"
"               [--checkpoint-file FILE] [--checkpoint-records N]\n"
"               [--checkpoint-minutes M] [--review-deadline H]\n"
"               [--report-per-hour N] [--duty-escalate-minutes M]\n"
"               [--duty-escalate-to USER]\n"
"\n"
"DESCRIPTION\n"
"    Answers platforms that check uploads against the hash sets of the data\n"
"    directory. JSON in and out; errors are {\"error\": {\"code\", \"message\"}}\n"
"    with a fitting HTTP status. Every endpoint but health and metrics needs\n"
"    an API key ('ward apikey add'), sent as 'Authorization: Bearer KEY'.\n"
"\n"
"    GET  /v1/health        status, version, the index in service\n"
"    GET  /v1/metrics       Prometheus text: requests, latencies, matches,\n"
"                           rate limiting, index revision\n"
"    POST /v1/hash          (match) file bytes -> MD5, SHA-1, SHA-256, PDQ\n"
"    POST /v1/match         (match) file bytes, or a JSON batch of up to\n"
"                           --max-batch hashes -> matches with list,\n"
"                           category, class, series, distance\n"
"    GET  /v1/events        (review) match events awaiting review\n"
"    GET  /v1/events/ID     (review) one event\n"
"    POST /v1/events/ID/evidence\n"
"                           (submit) the event's file, kept as evidence\n"
"                           (refused unless its hashes are the event's)\n"
"    POST /v1/reviews       (review) confirm or reject an event; a\n"
"                           confirmation writes a report, a rejection may\n"
"                           allow-list the hashes\n"
"    GET  /v1/reports/ID    (review) the report (CyberTipline-like JSON)\n"
"    POST /v1/admin/reload  (admin) look for a changed store now\n"
"    /login, /queue, ...    the analysts' web application (users from\n"
"                           'ward users'; docs/web.md); /duty, the urgent\n"
"                           queue, and /feedback/SOURCE (docs/report.md)\n"
"    GET, POST /report      the public report form: no login, no JavaScript\n"
"                           (docs/report.md)\n"
"    GET  /v1/releases/...  (match) signed hash-list releases ('ward release'):\n"
"                           LIST/index.json, LIST/V/manifest, LIST/V/full,\n"
"                           LIST/A..B/delta (built on first request)\n"
"\n"
"    A match of an alert-class entry is recorded as a match event: the key,\n"
"    the time, the hashes, and the platform's context (content and account\n"
"    ids, upload IP, port and time) exactly as sent; never the file itself.\n"
"    Reviews, reports, allow-list changes, key changes and reads of events\n"
"    and reports are appended to a hash-chained audit log ('ward audit\n"
"    verify'). See docs/serve.md for the request and reply formats.\n"
"\n"
"    The index is memory-mapped and shared by all threads. When the store\n"
"    changes (an import, a release pulled), a new index is built and swapped\n"
"    in without dropping a request; the server looks every --reload-interval\n"
"    seconds, on SIGHUP, and on POST /v1/admin/reload.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 stopped by a signal; 2 usage; 3 no store in the data directory or a\n"
"    bad TLS file; 4 cannot listen.\n"
"\n"
"EXAMPLES\n"
"    ward apikey add --name platform-a --scopes match --rate 500\n"
"    ward serve --listen 0.0.0.0:8077\n"
"    curl -H 'Authorization: Bearer wk_...' --data-binary @upload.jpg \\\n"
"         'http://127.0.0.1:8077/v1/match?content_id=c-1&account_id=u-9'\n";


/* "ADDR:PORT", "[v6]:PORT" or ":PORT"; the address copied into addr. */
static int parse_listen(const char *s, char *addr, size_t cap, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return -1;
    const char *a = s;
    size_t n = (size_t)(colon - s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        a++;
        n -= 2;
    }
    if (n >= cap)
        return -1;
    memcpy(addr, a, n);
    addr[n] = 0;
    if (n == 0)
        snprintf(addr, cap, "0.0.0.0");
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

typedef struct serve_args {
    ward_serve_opts o;
    char addr[128];
    const char *data, *listen, *port_file, *log_format;
    int json_log;
    int timeout, max_connections, per_ip, checkpoint_records; /* the library's
        unsigned and int64_t fields, parsed as int and copied */
} serve_args;

#define S(m) CLI_AT_STR(serve_args, m)
#define A(m) CLI_AT_INT(serve_args, m)
#define D(m) CLI_AT_SECONDS(serve_args, m)
#define U(m) CLI_AT_U64(serve_args, m)
#define TIB 1099511627776.0
static const cli_opt options[] = {
    {"listen", 0, CLI_STRING, S(listen), "ADDR:PORT", .def = "127.0.0.1:8077",
     .help = "address to listen on ([::1]:8077 for IPv6; port 0\npicks a free one)"},
    CLI_OPT_DATA(serve_args, data),
    {"tls-cert", 0, CLI_STRING, S(o.tls_cert), "PEM",
     .help = "with --tls-key: serve HTTPS (GnuTLS via\nlibmicrohttpd). Or put nginx in front "
             "(docs/serve.md)"},
    {"tls-key", 0, CLI_STRING, S(o.tls_key), "PEM", .help = "the certificate's private key"},
    {"threads", 0, CLI_INT, A(o.threads), "N", 1, 256, .def = "2 x CPUs, at least 4",
     .help = "event-loop threads"},
    {"batch-workers", 0, CLI_INT, A(o.batch_workers), "N", 1, 256, .def = "one per CPU",
     .help = "threads matching JSON batches of about 20\nhashes or more, off the event loops"},
    {"upload-workers", 0, CLI_INT, A(o.upload_workers), "N", 1, 256, .def = "one per CPU",
     .help = "threads decoding uploads, off the event loops"},
    {"upload-queue", 0, CLI_INT, A(o.upload_queue), "N", 0, 100000, .def = "4 x workers",
     .help = "uploads that may wait for a worker; beyond that\nan upload is answered 503 with "
             "Retry-After: 1\n(0: none wait)"},
    {"max-upload", 0, CLI_BYTES, U(o.max_upload), "BYTES", 1, TIB, .def = "64M",
     .help = "largest file body"},
    {"max-json", 0, CLI_BYTES, U(o.max_json), "BYTES", 1, TIB, .def = "4M",
     .help = "largest JSON body"},
    {"max-batch", 0, CLI_INT, A(o.max_batch), "N", 1, 100000, .def = "1000",
     .help = "hashes per batch"},
    {"timeout", 0, CLI_INT, A(timeout), "S", 1, 3600, .def = "30",
     .help = "close connections idle this long"},
    {"max-connections", 0, CLI_INT, A(max_connections), "N", 1, 1000000, .def = "4096",
     .help = "open connections at most"},
    {"per-ip", 0, CLI_INT, A(per_ip), "N", 0, 1000000, .def = "no limit",
     .help = "open connections per client address (behind a\nproxy every client is the proxy)"},
    {"reload-interval", 0, CLI_SECONDS, D(o.reload_interval_s), "S", 0.05, 86400, .def = "5",
     .help = "how often to look for a changed store"},
    {"flood-keys", 0, CLI_INT, A(o.flood_keys), "N", 0, 1000000, .def = "5",
     .help = "quarantine a hash of an alert entry hit by N\ndistinct API keys within "
             "--flood-hours (0: never):\nmatches are still recorded, alert and blocking\n"
             "pause until a person decides ('ward series\nquarantine')"},
    {"flood-hours", 0, CLI_NUMBER, D(o.flood_hours), "H", 0.001, 24 * 365, .def = "24",
     .help = "the flood window in hours"},
    {"radius", 0, CLI_INT, A(o.radius), "R", 0, 64, .def = CLI_NUM(WARD_INDEX_PDQ_RADIUS),
     .help = "default PDQ radius"},
    {"max-pixels", 0, CLI_COUNT, U(o.max_pixels), "N", 1, 1.8e19, .def = "100M",
     .help = "larger uploads are not decoded, only digested\n(k/M/G)"},
    {"index-memory", 0, CLI_BYTES, U(o.index_memory), "BYTES", 0, TIB, .def = "1G",
     .help = "an in-memory copy of the PDQ index takes near\nmatching to about a third of the "
             "CPU; it takes\nabout 96 bytes per entry (96M at a million, twice\nthat during "
             "a reload) and is made when it fits in\nBYTES (0: search the file only)"},
    {"reporter", 0, CLI_STRING, S(o.reporter), "NAME", .def = "ward",
     .help = "organisation named in reports"},
    {"releases", 0, CLI_STRING, S(o.release_root), "DIR", .def = "DIR/releases",
     .help = "publish this release tree under /v1/releases/"},
    {"scans", 0, CLI_STRING, S(o.scans_root), "DIR",
     .help = "scan reports for the web application (/scans):\nDIR/UNIT/SCAN/ are 'ward scan "
             "--out' folders,\nUNIT a force or hub; each unit sees its own\n(docs/web.md)"},
    {"port-file", 0, CLI_STRING, S(port_file), "FILE",
     .help = "write the bound port here once listening"},
    {"log-format", 0, CLI_CHOICE, S(log_format), "F", .choices = "text|json", .def = "text",
     .help = "json: one JSON object per line on standard error\n(start, stop, index reloads, "
             "and requests with\n--access-log), for journald and log shippers;\nfields: ts, "
             "level, event, and method, path,\nstatus, ms, key for requests"},
    {"access-log", 0, CLI_FLAG, A(o.log_requests),
     .help = "log every request: method, path (never the query\nstring), status, time, API "
             "key id"},
    {"key-file", 0, CLI_STRING, S(o.intel_key_file), "FILE", .def = "$WARD_INTEL_KEY_FILE",
     .help = "intel.db and service.db are encrypted with the key\nin FILE; a key file ward "
             "would refuse stops it\nstarting"},
    {"checkpoint-file", 0, CLI_STRING, S(o.checkpoint_file), "FILE",
     .def = "DIR/audit-checkpoints",
     .help = "signed audit checkpoints are appended here and to\nsyslog; ship them elsewhere "
             "('ward audit',\ndocs/security.md)"},
    {"checkpoint-records", 0, CLI_INT, A(checkpoint_records), "N", 1, 1000000000,
     .def = "1000", .help = "a checkpoint every N audit records, looked at\neach reload interval"},
    {"checkpoint-minutes", 0, CLI_NUMBER, D(o.checkpoint_minutes), "M", 0.01, 525600,
     .def = "60", .help = "or after M minutes when any was added"},
    {"review-deadline", 0, CLI_NUMBER, D(o.review_deadline_h), "H", 0.001, 8760, .def = "24",
     .help = "a match event should be reviewed within H hours\nof arrival; the review page "
             "shows each event's\nage against it and marks it overdue after"},
    {"report-per-hour", 0, CLI_INT, A(o.report_per_hour), "N", 1, 100000, .def = "5",
     .help = "the public form at /report (no login: 'ward\nreport --help', docs/report.md) "
             "takes N reports\nan hour from one address (an IPv6 /64)"},
    {"duty-escalate-minutes", 0, CLI_INT, A(o.duty_escalate_minutes), "M", 1, 10080,
     .def = "15",
     .help = "an urgent report or referral nobody has\nacknowledged on /duty within M minutes "
             "is\nescalated; the queue is brought up to date every\n30 seconds and on every view"},
    {"duty-escalate-to", 0, CLI_STRING, S(o.duty_escalate_to), "USER", .def = "duty-manager",
     .help = "the second person escalations go to"},
    CLI_OPT_END};
#undef S
#undef A
#undef D
#undef U

/* What the table cannot check alone; then the fields whose library type
 * is not int. Returns 0 or the usage error's exit code. */
static int finish_args(serve_args *a)
{
    if (a->listen) {
        if (parse_listen(a->listen, a->addr, sizeof a->addr, &a->o.port) != 0)
            return cli_usage("serve", "--listen: expected ADDR:PORT, not '%s'", a->listen);
        a->o.address = a->addr;
    }
    if (a->o.duty_escalate_to && !*a->o.duty_escalate_to)
        return cli_usage("serve", "--duty-escalate-to: a user name");
    a->json_log = a->log_format && !strcmp(a->log_format, "json");
    a->o.timeout_s = (unsigned)a->timeout;
    a->o.max_connections = (unsigned)a->max_connections;
    a->o.per_ip_connections = (unsigned)a->per_ip;
    a->o.checkpoint_records = a->checkpoint_records;
    return 0;
}

/* ---- the log: text for people, JSON lines for journald and shippers ---- */

static void json_str(FILE *f, const char *s)
{
    putc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\u%04x", ch);
        else
            putc(ch, f);
    }
    putc('"', f);
}

/* One line per event, written under the stream's lock so that lines from
 * different threads never interleave. */
static void log_line(int json, const char *level, const char *event, const ward_serve_event *ev,
                     const char *text)
{
    flockfile(stderr);
    if (!json) {
        if (ev && !strcmp(ev->kind, "request"))
            fprintf(stderr, "ward serve: %s %s %d %.1f ms%s%s\n", ev->method, ev->path,
                    ev->status, ev->seconds * 1e3, *ev->key_id ? " key " : "", ev->key_id);
        else
            fprintf(stderr, "ward serve: %s\n", text);
        funlockfile(stderr);
        return;
    }
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":\"%s\"", when,
            ts.tv_nsec / 1000000, level, event);
    if (ev && !strcmp(ev->kind, "request")) {
        fputs(",\"method\":", stderr);
        json_str(stderr, ev->method);
        fputs(",\"path\":", stderr);
        json_str(stderr, ev->path);
        fprintf(stderr, ",\"status\":%d,\"ms\":%.3f", ev->status, ev->seconds * 1e3);
        if (*ev->key_id) {
            fputs(",\"key\":", stderr);
            json_str(stderr, ev->key_id);
        }
    } else if (ev && !strcmp(ev->kind, "reload")) {
        fprintf(stderr, ",\"revision\":%llu", (unsigned long long)ev->revision);
    }
    if (text) {
        fputs(",\"message\":", stderr);
        json_str(stderr, text);
    }
    fputs("}\n", stderr);
    funlockfile(stderr);
}

static void on_event(void *ctx, const ward_serve_event *ev)
{
    const serve_args *a = ctx;
    char text[400];
    const char *level = "info";
    if (!strcmp(ev->kind, "reload")) {
        snprintf(text, sizeof text, "index swapped in: store revision %llu",
                 (unsigned long long)ev->revision);
    } else if (!strcmp(ev->kind, "reload_failed")) {
        snprintf(text, sizeof text, "index reload failed, the old one stays in service: %s",
                 ev->message);
        level = "error";
    } else if (!strcmp(ev->kind, "warning") || !strcmp(ev->kind, "error")) {
        log_line(a->json_log, ev->kind, ev->kind, ev, ev->message);
        return;
    } else if (!strcmp(ev->kind, "info")) {
        log_line(a->json_log, "info", "info", ev, ev->message);
        return;
    } else {
        log_line(a->json_log, ev->status >= 500 ? "error" : "info", "request", ev, NULL);
        return;
    }
    log_line(a->json_log, level, ev->kind, ev, text);
}

static int write_port_file(const char *path, int port)
{
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0) {
        cli_error("serve", "cannot write %s", path);
        return -1;
    }
    return 0;
}

/* Serve until SIGINT or SIGTERM; SIGHUP asks for a reload. The signals are
 * blocked in every thread and taken here with sigwait, so no handler runs
 * inside the library. */
static int serve_until_signal(ward_server *srv)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            break;
        if (sig != SIGHUP)
            break;
        ward_server_reload(srv);
    }
    return WARD_EXIT_OK;
}

static int run_serve(int argc, char **argv)
{
    serve_args a;
    memset(&a, 0, sizeof a);
    ward_serve_opts_default(&a.o);
    a.o.log = on_event;
    a.o.log_ctx = &a;
    a.timeout = (int)a.o.timeout_s;
    a.max_connections = (int)a.o.max_connections;
    a.per_ip = (int)a.o.per_ip_connections;
    a.checkpoint_records = (int)a.o.checkpoint_records;
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_serve, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    if ((c = finish_args(&a)))
        return c;
    if (optind < argc)
        return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
    a.o.datadir = cli_data_dir(a.data);
    a.o.store_url = cli_store_url();
    if (!a.o.intel_key_file)
        a.o.intel_key_file = cli_intel_key_file();
    ward_error kerr;
    ward_status kst = a.o.intel_key_file
                          ? ward_intel_key_check(a.o.intel_key_file, a.o.datadir, &kerr)
                          : WARD_OK;
    if (kst != WARD_OK) {
        cli_error("serve", "%s", kerr.message);
        return cli_exit_for(kst);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */
    ward_server *srv;
    ward_error err;
    ward_status st = ward_server_start(&a.o, &srv, &err);
    if (st != WARD_OK) {
        cli_error("serve", "%s", err.message);
        return cli_exit_for(st);
    }
    char started[1200];
    snprintf(started, sizeof started, "listening on %s%s%s:%d (%s), data %s",
             strchr(a.o.address, ':') ? "[" : "", a.o.address,
             strchr(a.o.address, ':') ? "]" : "", ward_server_port(srv),
             a.o.tls_cert ? "https" : "http", a.o.datadir);
    log_line(a.json_log, "info", "start", NULL, started);
    int rc = WARD_EXIT_OK;
    if (a.port_file && write_port_file(a.port_file, ward_server_port(srv)) != 0)
        rc = WARD_EXIT_IO;
    else
        rc = serve_until_signal(srv);
    ward_server_stop(srv);
    log_line(a.json_log, "info", "stop", NULL, "stopped");
    return rc;
}

const cli_command cli_cmd_serve = {
    .name = "serve",
    .run = run_serve,
    .summary = "HTTP match service for platforms, with review and reports",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
