/*
 * ward serve: run the HTTP match service until SIGINT/SIGTERM; SIGHUP looks
 * for a changed store at once. Everything else is libward's serve.h.
 */
#include "cli/cli.h"

#include <getopt.h>
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
"               [--threads N] [--upload-workers N] [--upload-queue N]\n"
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
"OPTIONS\n"
"    --listen ADDR:PORT   address to listen on (default 127.0.0.1:8077;\n"
"                         [::1]:8077 for IPv6; port 0 picks a free one)\n"
"    --data DIR           data directory (default $WARD_DATA)\n"
"    --tls-cert PEM, --tls-key PEM\n"
"                         serve HTTPS (GnuTLS via libmicrohttpd). Or put\n"
"                         nginx in front (docs/serve.md).\n"
"    --threads N          event-loop threads (default 2 x CPUs, at least 4)\n"
"    --upload-workers N   threads decoding uploads, off the event loops\n"
"                         (default: one per CPU)\n"
"    --upload-queue N     uploads that may wait for a worker; beyond that an\n"
"                         upload is answered 503 with Retry-After: 1 (default\n"
"                         4 x workers; 0: none wait)\n"
"    --max-upload BYTES   largest file body (default 64M)\n"
"    --max-json BYTES     largest JSON body (default 4M)\n"
"    --max-batch N        hashes per batch (default 1000)\n"
"    --timeout S          close connections idle this long (default 30)\n"
"    --max-connections N  open connections at most (default 4096)\n"
"    --per-ip N           open connections per client address (default: no\n"
"                         limit; behind a proxy every client is the proxy)\n"
"    --reload-interval S  how often to look for a changed store (default 5)\n"
"    --flood-keys N       quarantine a hash of an alert entry hit by N distinct\n"
"                         API keys within --flood-hours (default 5; 0: never):\n"
"                         matches are still recorded, alert and blocking pause\n"
"                         until a person decides ('ward series quarantine')\n"
"    --flood-hours H      the flood window in hours (default 24)\n"
"    --radius R           default PDQ radius (default " CLI_NUM(WARD_INDEX_PDQ_RADIUS) ")\n"
"    --max-pixels N       larger uploads are not decoded, only digested\n"
"                         (default 100M pixels)\n"
"    --index-memory BYTES an in-memory copy of the PDQ index takes near\n"
"                         matching to about a third of the CPU; it takes\n"
"                         about 96 bytes per entry (96M at a million, twice\n"
"                         that during a reload) and is made when it fits in\n"
"                         BYTES (default 1G; 0: search the file only)\n"
"    --reporter NAME      organisation named in reports (default ward)\n"
"    --releases DIR       publish this release tree under /v1/releases/\n"
"                         (default: the data directory's releases/)\n"
"    --scans DIR          scan reports for the web application (/scans):\n"
"                         DIR/UNIT/SCAN/ are 'ward scan --out' folders, UNIT a\n"
"                         force or hub; each unit sees its own (docs/web.md)\n"
"    --port-file FILE     write the bound port here once listening\n"
"    --log-format F       text (default) or json: one JSON object per line on\n"
"                         standard error (start, stop, index reloads, and\n"
"                         requests with --access-log), for journald and log\n"
"                         shippers; fields: ts, level, event, and method,\n"
"                         path, status, ms, key for requests\n"
"    --access-log         log every request: method, path (never the query\n"
"                         string), status, time, API key id\n"
"    --key-file FILE      intel.db and service.db are encrypted with the key\n"
"                         in FILE (default $WARD_INTEL_KEY_FILE); a key file\n"
"                         ward would refuse stops it starting\n"
"    --checkpoint-file FILE  signed audit checkpoints are appended here\n"
"                         (default DIR/audit-checkpoints) and to syslog;\n"
"                         ship them elsewhere ('ward audit', docs/security.md)\n"
"    --checkpoint-records N  a checkpoint every N audit records (default\n"
"                         1000), looked at each reload interval\n"
"    --checkpoint-minutes M  or after M minutes when any was added (default 60)\n"
"    --review-deadline H  a match event should be reviewed within H hours of\n"
"                         arrival; the review page shows each event's age\n"
"                         against it and marks it overdue after (default 24)\n"
"    --report-per-hour N  the public form at /report (no login: 'ward report\n"
"                         --help', docs/report.md) takes N reports an hour\n"
"                         from one address (an IPv6 /64), default 5\n"
"    --duty-escalate-minutes M  an urgent report or referral nobody has\n"
"                         acknowledged on /duty within M minutes is escalated\n"
"                         (default 15); the queue is brought up to date every\n"
"                         30 seconds and on every view\n"
"    --duty-escalate-to USER  the second person escalations go to (default\n"
"                         duty-manager)\n"
"\n"
"EXIT STATUS\n"
"    0 stopped by a signal; 2 usage; 3 no store in the data directory or a\n"
"    bad TLS file; 4 cannot listen.\n"
"\n"
"EXAMPLES\n"
"    ward apikey add --name platform-a --scopes match --rate 500\n"
"    ward serve --listen 0.0.0.0:8077\n"
"    curl -H 'Authorization: Bearer wk_...' --data-binary @upload.jpg \\\n"
"         'http://127.0.0.1:8077/v1/match?content_id=c-1&account_id=u-9'\n";

enum { OPT_TLS_CERT = 256, OPT_TLS_KEY, OPT_THREADS, OPT_MAX_UPLOAD, OPT_MAX_JSON,
       OPT_MAX_BATCH, OPT_TIMEOUT, OPT_MAX_CONN, OPT_PER_IP, OPT_RELOAD, OPT_RADIUS,
       OPT_REPORTER, OPT_RELEASES, OPT_PORT_FILE, OPT_DATA, OPT_LISTEN, OPT_MAX_PIXELS, OPT_SCANS,
       OPT_KEY_FILE, OPT_LOG_FORMAT, OPT_ACCESS_LOG, OPT_CP_FILE, OPT_CP_RECORDS,
       OPT_CP_MINUTES, OPT_REVIEW_DEADLINE, OPT_UP_WORKERS, OPT_UP_QUEUE, OPT_INDEX_MEM,
       OPT_REPORT_RATE, OPT_DUTY_MIN, OPT_DUTY_TO, OPT_FLOOD_KEYS, OPT_FLOOD_HOURS };

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"data", required_argument, NULL, OPT_DATA},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"upload-workers", required_argument, NULL, OPT_UP_WORKERS},
    {"upload-queue", required_argument, NULL, OPT_UP_QUEUE},
    {"index-memory", required_argument, NULL, OPT_INDEX_MEM},
    {"max-upload", required_argument, NULL, OPT_MAX_UPLOAD},
    {"max-json", required_argument, NULL, OPT_MAX_JSON},
    {"max-batch", required_argument, NULL, OPT_MAX_BATCH},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
    {"per-ip", required_argument, NULL, OPT_PER_IP},
    {"reload-interval", required_argument, NULL, OPT_RELOAD},
    {"flood-keys", required_argument, NULL, OPT_FLOOD_KEYS},
    {"flood-hours", required_argument, NULL, OPT_FLOOD_HOURS},
    {"radius", required_argument, NULL, OPT_RADIUS},
    {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
    {"scans", required_argument, NULL, OPT_SCANS},
    {"reporter", required_argument, NULL, OPT_REPORTER},
    {"releases", required_argument, NULL, OPT_RELEASES},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"access-log", no_argument, NULL, OPT_ACCESS_LOG},
    {"checkpoint-file", required_argument, NULL, OPT_CP_FILE},
    {"checkpoint-records", required_argument, NULL, OPT_CP_RECORDS},
    {"checkpoint-minutes", required_argument, NULL, OPT_CP_MINUTES},
    {"review-deadline", required_argument, NULL, OPT_REVIEW_DEADLINE},
    {"report-per-hour", required_argument, NULL, OPT_REPORT_RATE},
    {"duty-escalate-minutes", required_argument, NULL, OPT_DUTY_MIN},
    {"duty-escalate-to", required_argument, NULL, OPT_DUTY_TO},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

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

static int parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return cli_parse_count(s, out) == 0 && *out >= lo && *out <= hi ? 0 : -1;
}

/* Sizes take k/M/G as powers of 1024 here: they are bytes. */
static int parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = *end == 'k' || *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (shift)
        end++;
    if (end == s || *end || v == 0 || v > (1ull << 40) >> shift) /* at most 1 TiB */
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

typedef struct serve_args {
    ward_serve_opts o;
    char addr[128];
    const char *data;
    const char *port_file;
    int json_log;
} serve_args;

static int parse_one(int c, const char *arg, serve_args *a)
{
    uint64_t v;
    double d;
    switch (c) {
    case OPT_LISTEN:
        if (parse_listen(arg, a->addr, sizeof a->addr, &a->o.port) != 0)
            return cli_usage("serve", "--listen: expected ADDR:PORT, not '%s'", arg);
        a->o.address = a->addr;
        return 0;
    case OPT_DATA: a->data = arg; return 0;
    case OPT_TLS_CERT: a->o.tls_cert = arg; return 0;
    case OPT_TLS_KEY: a->o.tls_key = arg; return 0;
    case OPT_REPORTER: a->o.reporter = arg; return 0;
    case OPT_RELEASES: a->o.release_root = arg; return 0;
    case OPT_SCANS: a->o.scans_root = arg; return 0;
    case OPT_PORT_FILE: a->port_file = arg; return 0;
    case OPT_KEY_FILE: a->o.intel_key_file = arg; return 0;
    case OPT_ACCESS_LOG: a->o.log_requests = 1; return 0;
    case OPT_LOG_FORMAT:
        if (strcmp(arg, "text") && strcmp(arg, "json"))
            return cli_usage("serve", "--log-format: text or json, not '%s'", arg);
        a->json_log = !strcmp(arg, "json");
        return 0;
    case OPT_CP_FILE: a->o.checkpoint_file = arg; return 0;
    case OPT_REPORT_RATE:
        if (parse_uint(arg, 1, 100000, &v)) return cli_usage("serve", "--report-per-hour: 1..100000");
        a->o.report_per_hour = (int)v; return 0;
    case OPT_DUTY_MIN:
        if (parse_uint(arg, 1, 10080, &v)) return cli_usage("serve", "--duty-escalate-minutes: 1..10080");
        a->o.duty_escalate_minutes = (int)v; return 0;
    case OPT_DUTY_TO:
        if (!*arg) return cli_usage("serve", "--duty-escalate-to: a user name");
        a->o.duty_escalate_to = arg; return 0;
    case OPT_CP_RECORDS:
        if (parse_uint(arg, 1, 1000000000, &v)) return cli_usage("serve", "--checkpoint-records: a count");
        a->o.checkpoint_records = (int64_t)v; return 0;
    case OPT_CP_MINUTES:
        if (cli_parse_seconds(arg, 0.01, 525600, &d)) return cli_usage("serve", "--checkpoint-minutes: minutes");
        a->o.checkpoint_minutes = d; return 0;
    case OPT_REVIEW_DEADLINE:
        if (cli_parse_seconds(arg, 0.001, 8760, &d)) return cli_usage("serve", "--review-deadline: hours, 0.001..8760");
        a->o.review_deadline_h = d; return 0;
    case OPT_THREADS:
        if (parse_uint(arg, 1, 256, &v)) return cli_usage("serve", "--threads: 1..256");
        a->o.threads = (int)v; return 0;
    case OPT_UP_WORKERS:
        if (parse_uint(arg, 1, 256, &v)) return cli_usage("serve", "--upload-workers: 1..256");
        a->o.upload_workers = (int)v; return 0;
    case OPT_UP_QUEUE:
        if (parse_uint(arg, 0, 100000, &v)) return cli_usage("serve", "--upload-queue: 0..100000");
        a->o.upload_queue = (int)v; return 0;
    case OPT_INDEX_MEM:
        if (strcmp(arg, "0") == 0)
            a->o.index_memory = 0;
        else if (parse_bytes(arg, &a->o.index_memory))
            return cli_usage("serve", "--index-memory: bytes (k, M, G), or 0");
        return 0;
    case OPT_MAX_UPLOAD:
        if (parse_bytes(arg, &a->o.max_upload)) return cli_usage("serve", "--max-upload: bytes");
        return 0;
    case OPT_MAX_JSON:
        if (parse_bytes(arg, &a->o.max_json)) return cli_usage("serve", "--max-json: bytes");
        return 0;
    case OPT_MAX_BATCH:
        if (parse_uint(arg, 1, 100000, &v)) return cli_usage("serve", "--max-batch: 1..100000");
        a->o.max_batch = (int)v; return 0;
    case OPT_TIMEOUT:
        if (parse_uint(arg, 1, 3600, &v)) return cli_usage("serve", "--timeout: 1..3600 s");
        a->o.timeout_s = (unsigned)v; return 0;
    case OPT_MAX_CONN:
        if (parse_uint(arg, 1, 1000000, &v)) return cli_usage("serve", "--max-connections: 1..1000000");
        a->o.max_connections = (unsigned)v; return 0;
    case OPT_PER_IP:
        if (parse_uint(arg, 0, 1000000, &v)) return cli_usage("serve", "--per-ip: a count");
        a->o.per_ip_connections = (unsigned)v; return 0;
    case OPT_RELOAD:
        if (cli_parse_seconds(arg, 0.05, 86400, &d)) return cli_usage("serve", "--reload-interval: seconds");
        a->o.reload_interval_s = d; return 0;
    case OPT_FLOOD_KEYS:
        if (parse_uint(arg, 0, 1000000, &v)) return cli_usage("serve", "--flood-keys: a count, 0 for none");
        a->o.flood_keys = (int)v; return 0;
    case OPT_FLOOD_HOURS:
        if (cli_parse_seconds(arg, 0.001, 24 * 365, &d)) return cli_usage("serve", "--flood-hours: hours");
        a->o.flood_hours = d; return 0;
    case OPT_RADIUS:
        if (parse_uint(arg, 0, 64, &v)) return cli_usage("serve", "--radius: 0..64");
        a->o.radius = (int)v; return 0;
    case OPT_MAX_PIXELS:
        if (parse_uint(arg, 1, UINT64_MAX, &v)) return cli_usage("serve", "--max-pixels: a count (k, M, G)");
        a->o.max_pixels = v; return 0;
    }
    return cli_usage("serve", "unknown option");
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
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            cli_print_help(&cli_cmd_serve);
            return WARD_EXIT_OK;
        }
        if (c == '?')
            return cli_usage("serve", "bad option");
        int rc = parse_one(c, optarg, &a);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
    a.o.datadir = cli_data_dir(a.data);
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
    /* the library's calls by data directory (the web audit page's chain
     * check) open service.db with the key the environment names */
    if (a.o.intel_key_file && setenv("WARD_INTEL_KEY_FILE", a.o.intel_key_file, 1) != 0)
        return cli_exit_for(WARD_ENOMEM);
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
};
