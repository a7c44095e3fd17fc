/*
 * ward release: signed, versioned hash-list releases (release.h) -- making
 * them, comparing them, exporting them for partners, and pulling them.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <ward/store.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ward/release.h>

static const char help[] =
"NAME\n"
"    ward release - signed, versioned hash-list releases\n"
"\n"
"SYNOPSIS\n"
"    ward release create --list L [--list L2 ...] [--name NAME] [--key FILE]\n"
"    ward release list [NAME]\n"
"    ward release diff --name NAME A B\n"
"    ward release export --name NAME [--version V] --format F [-o FILE]\n"
"    ward release pull URL [--trust KEY] [--api-key TOKEN]\n"
"    ward release status\n"
"    (every action takes --data DIR)\n"
"\n"
"DESCRIPTION\n"
"    A release is an immutable, numbered snapshot of one or more store lists,\n"
"    merged and de-duplicated, with a manifest (version, time, entry counts\n"
"    by category, parent version, SHA-256 of the content) signed with the\n"
"    publisher's Ed25519 key (see 'ward keys'). Each new version also gets a\n"
"    delta from the one before: entries added and entries removed, each\n"
"    removal with its reason (e.g. the false-positive reason given to 'ward\n"
"    db remove'). A subscriber at version N reaches M by deltas, and the\n"
"    result is byte for byte the full release M.\n"
"\n"
"    Releases are kept in DATA/releases/NAME/, laid out as the URLs that\n"
"    serve them under /v1/releases/: NAME/index.json, NAME/V/manifest,\n"
"    NAME/V/full, NAME/A..B/delta. 'ward serve' or any static web server\n"
"    (nginx, python3 -m http.server) publishes that directory as it is.\n"
"\n"
"ACTIONS\n"
"    create      Snapshot the lists (--list, repeatable; where two lists\n"
"                hold the same digests with different data the first list\n"
"                given wins, and the manifest counts the conflicts) as the\n"
"                next version of release NAME (default: the first list).\n"
"                The victim-identification series of its entries go with\n"
"                it, signed (NAME/V/series: status, team, contact and the\n"
"                released hashes in each; see 'ward series').\n"
"    list        Releases, or the versions of one, with counts and digests.\n"
"    diff A B    The delta from version A to B: lines '+record' (added or\n"
"                changed) and '-digests<TAB>reason' (removed). Deltas not\n"
"                made at release time are made and kept on first use.\n"
"    export      A release in a partner format: vics2, hashdeep, csv, pdq.\n"
"    pull URL    Fetch the newest version from a publisher\n"
"                (http(s)://host/v1/releases/NAME, file:///dir/NAME or a\n"
"                directory) into the local list NAME. One small request\n"
"                says whether there is anything new. Signatures and digests\n"
"                are checked before the store is touched; a tampered,\n"
"                truncated, replayed (older) or wrongly signed release is\n"
"                refused and the local list stays as it was. Downloads\n"
"                resume after an interruption, and a pull killed while\n"
"                applying is finished by the next one. The release's series\n"
"                are applied after: entries join the series kept here, and\n"
"                a series identified there but not here alerts its team\n"
"                (exit 1); a local status never changes by itself.\n"
"    status      Subscriptions: version held, publisher key, address.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done (pull: updated or already current); 2 usage, or a refused key\n"
"    or list; 3 release refused (bad signature, digest, replay) or\n"
"    unusable; 4 I/O (network, disk).\n"
"\n"
"EXAMPLES\n"
"    ward release create --list national --list partner-a --name uk-alert\n"
"    ward release diff --name uk-alert 6 7\n"
"    ward release pull https://hashes.example.invalid/v1/releases/uk-alert \\\n"
"        --trust 3f2a9c0d41b7e855\n"
"    ward release export --name uk-alert --format vics2 -o uk-alert.json\n";

#define MAX_LISTS 64

typedef struct rel_args {
    const char *data, *name, *key, *format, *output, *trust, *api_key;
    cli_strings lists;
    uint64_t version;
} rel_args;

#define S(m) CLI_AT_STR(rel_args, m)
static const cli_opt options[] = {
    CLI_OPT_DATA(rel_args, data),
    {"list", 'l', CLI_REPEAT, CLI_AT_STRINGS(rel_args, lists), "L", 0, MAX_LISTS,
     .help = "a store list to release (create; repeatable)"},
    {"name", 0, CLI_STRING, S(name), "NAME",
     .help = "the release: 1-100 of A-Z a-z 0-9 . _ -"},
    {"key", 0, CLI_STRING, S(key), "FILE", .def = "DATA/keys/release.key",
     .help = "secret key"},
    {"version", 0, CLI_COUNT, CLI_AT_U64(rel_args, version), "V", 1, 1e18,
     .def = "the latest", .help = "export: the version"},
    {"format", 'f', CLI_STRING, S(format), "F", .help = "export: vics2, hashdeep, csv or pdq"},
    {"output", 'o', CLI_STRING, S(output), "FILE", .def = "standard output",
     .help = "export: write to FILE"},
    {"trust", 0, CLI_STRING, S(trust), "KEY",
     .help = "pull: the publisher key, as a trusted key id, a\npublic key file or its text; "
             "needed on the first\npull, and later pulls must be signed by the same\nkey"},
    {"api-key", 0, CLI_STRING, S(api_key), "TOKEN", .def = "$WARD_REMOTE_KEY",
     .help = "pull: the publisher is 'ward serve': an API key\nof scope match it issued"},
    CLI_OPT_END};
#undef S

static int fail(ward_status st, const ward_error *err) { return cli_fail("release", st, err); }

static int parse_version(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end || !*s || x == 0) return -1;
    *v = x;
    return 0;
}

static int do_create(rel_args *a)
{
    if (!a->lists.n) return cli_usage("release", "create needs --list");
    ward_store *s;
    ward_error err = {0};
    ward_status st = ward_store_open(a->data, cli_store_url(), 0, &s, &err);
    if (st) return fail(st, &err);
    /* the series of the released entries travel with it, signed */
    char series[4096];
    snprintf(series, sizeof series, "%s/.release-series-%d", cli_data_dir(a->data), (int)getpid());
    int any = 0, r = cli_series_release_write(s, a->lists.v, a->lists.n, series, &any);
    if (r) {
        unlink(series);
        ward_store_close(s);
        return r;
    }
    ward_release_create_opts o = {a->lists.v, a->lists.n, a->name, a->key, NULL,
                                  any ? series : NULL};
    ward_release_info info;
    st = ward_release_create(s, a->data, &o, &info, &err);
    unlink(series);
    ward_store_close(s);
    if (st) return fail(st, &err);
    printf("release %s version %" PRIu64 ": %" PRIu64 " entries", info.list, info.version,
           info.entries);
    if (info.parent)
        printf(", %" PRIu64 " added/changed and %" PRIu64 " removed since version %" PRIu64,
               info.added, info.removed, info.parent);
    printf("; sha256 %s; signed by key %s\n", info.full_sha256, info.key_id);
    if (info.conflicts)
        printf("  %" PRIu64 " digests had different data in different lists: the first "
               "list given was kept\n", info.conflicts);
    return WARD_EXIT_OK;
}

static int list_versions(const char *root, const char *name)
{
    uint64_t *v;
    size_t n;
    ward_error err = {0};
    ward_status st = ward_release_versions(root, name, &v, &n, &err);
    if (st) return fail(st, &err);
    if (!n) {
        free(v);
        cli_error("release", "no release '%s'", name);
        return WARD_EXIT_DATA;
    }
    for (size_t i = 0; i < n && st == WARD_OK; i++) {
        ward_release_info in;
        if ((st = ward_release_info_get(root, name, v[i], &in, &err))) break;
        printf("%s %" PRIu64 "  %s  %" PRIu64 " entries  +%" PRIu64 " -%" PRIu64
               "  sha256 %s  key %s\n",
               name, in.version, in.created, in.entries, in.added, in.removed, in.full_sha256,
               in.key_id);
    }
    free(v);
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

static int do_list(const char *root, int n, char **rest)
{
    if (n > 1) return cli_usage("release", "list takes at most one NAME");
    if (n == 1) return list_versions(root, rest[0]);
    /* Every release in the tree: the directories that hold versions. */
    struct dirent **names = NULL;
    int count = scandir(root, &names, NULL, alphasort), rc = WARD_EXIT_OK;
    for (int i = 0; i < count; i++) {
        uint64_t *v = NULL;
        size_t nv = 0;
        ward_error err = {0};
        if (names[i]->d_name[0] != '.' &&
            ward_release_versions(root, names[i]->d_name, &v, &nv, &err) == WARD_OK && nv) {
            int r = list_versions(root, names[i]->d_name);
            if (r > rc) rc = r;
        }
        free(v);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int do_diff(rel_args *a, const char *root, int n, char **rest)
{
    uint64_t from, to;
    if (!a->name) return cli_usage("release", "diff needs --name");
    if (n != 2 || parse_version(rest[0], &from) || parse_version(rest[1], &to) || from >= to)
        return cli_usage("release", "diff needs two versions A < B");
    char *path = NULL;
    ward_error err = {0};
    ward_status st = ward_release_make_delta(root, a->name, from, to, &path, &err);
    if (st) return fail(st, &err);
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("release", "cannot read %s: %s", path, strerror(errno));
        free(path);
        return WARD_EXIT_IO;
    }
    char buf[65536];
    size_t got;
    uint64_t added = 0, removed = 0;
    int at_line = 1;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got; i++) {
            if (at_line) { added += buf[i] == '+'; removed += buf[i] == '-'; }
            at_line = buf[i] == '\n';
        }
        fwrite(buf, 1, got, stdout);
    }
    fclose(f);
    free(path);
    fprintf(stderr, "ward release: %s %" PRIu64 "..%" PRIu64 ": %" PRIu64 " added or changed, %"
            PRIu64 " removed\n", a->name, from, to, added, removed);
    return fflush(stdout) != 0 ? WARD_EXIT_IO : WARD_EXIT_OK;
}

static int do_export(rel_args *a, const char *root)
{
    if (!a->name) return cli_usage("release", "export needs --name");
    if (!a->format) return cli_usage("release", "export needs --format vics2|hashdeep|csv|pdq");
    ward_hashset_format fmt;
    ward_error err = {0};
    if (ward_hashset_format_parse(a->format, &fmt, &err) != WARD_OK)
        return cli_usage("release", "%s", err.message);
    FILE *out = stdout;
    if (a->output && !(out = fopen(a->output, "w"))) {
        cli_error("release", "cannot write %s: %s", a->output, strerror(errno));
        return WARD_EXIT_IO;
    }
    uint64_t written = 0, skipped = 0;
    ward_status st = ward_release_export(root, a->data, a->name, a->version, fmt, out, &written,
                                         &skipped, &err);
    int bad_close = a->output ? fclose(out) != 0 : fflush(out) != 0;
    if (st) return fail(st, &err);
    if (bad_close) {
        cli_error("release", "cannot write output: %s", strerror(errno));
        return WARD_EXIT_IO;
    }
    fprintf(stderr, "ward release: exported %" PRIu64 " entries", written);
    if (skipped) fprintf(stderr, " (%" PRIu64 " left out: the format cannot hold them)", skipped);
    fputc('\n', stderr);
    return WARD_EXIT_OK;
}

static void progress(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "ward release: %s\n", line);
}

static int do_pull(rel_args *a, int n, char **rest)
{
    if (n != 1) return cli_usage("release", "pull needs one URL");
    ward_release_pull_opts o = {a->trust, cli_user(), progress, NULL,
                                a->api_key ? a->api_key : getenv("WARD_REMOTE_KEY")};
    ward_release_pull_result r;
    ward_error err = {0};
    ward_status st = ward_release_pull(a->data, cli_store_url(), rest[0], &o, &r, &err);
    if (st) {
        cli_error("release", "pull %s: %s", rest[0], err.message);
        if (r.list[0]) cli_error("release", "the local list '%s' is unchanged", r.list);
        return cli_exit_for(st);
    }
    if (r.resumed)
        printf("%s: finished applying the version an interrupted pull had checked\n", r.list);
    if (r.from == r.to)
        printf("%s: up to date at version %" PRIu64 " (key %s)\n", r.list, r.to, r.key_id);
    else
        printf("%s: version %" PRIu64 " -> %" PRIu64 " by %s: %" PRIu64 " added or changed, %"
               PRIu64 " removed (key %s)\n", r.list, r.from, r.to,
               r.used_delta ? "delta" : r.resumed ? "resumed apply" : "full download", r.added, r.removed, r.key_id);
    int rc = WARD_EXIT_OK;
    if (r.added) {  /* earlier scans' sightings against the new entries */
        ward_store *s = NULL;
        if ((st = ward_store_open(cli_data_dir(a->data), cli_store_url(), 0, &s, &err)) == WARD_OK)
            rc = cli_series_rematch(s, cli_data_dir(a->data));
        else
            rc = cli_fail("release", st, &err) > WARD_EXIT_FINDINGS ? cli_exit_for(st)
                                                                     : WARD_EXIT_FINDINGS;
        ward_store_close(s);
    }
    if (r.series && (r.from != r.to || r.resumed)) {  /* series status, team, entries */
        int e = cli_series_release_apply(a->data, r.list, r.to, r.key_id);
        if (e > rc) rc = e;
    }
    return fflush(stdout) != 0 ? WARD_EXIT_IO : rc;
}

static int print_sub(void *ctx, const ward_subscription *s)
{
    (void)ctx;
    printf("%s  version %" PRIu64 "  key %s  pulled %s  from %s%s\n", s->list, s->version,
           s->key_id, s->pulled, s->url, s->pending ? "  (apply interrupted: pull again)" : "");
    return 0;
}

static int run_release(int argc, char **argv)
{
    rel_args a = {0};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_release, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    if (optind >= argc) return cli_usage("release", "no action given");
    const char *action = argv[optind++];
    int n = argc - optind;
    char **rest = argv + optind;
    a.data = cli_data_dir(a.data);
    char *root = ward_release_root(a.data);
    if (!root) return WARD_EXIT_INTERNAL;
    int rc;
    if (!strcmp(action, "create")) rc = n ? cli_usage("release", "create takes no arguments") : do_create(&a);
    else if (!strcmp(action, "list")) rc = do_list(root, n, rest);
    else if (!strcmp(action, "diff")) rc = do_diff(&a, root, n, rest);
    else if (!strcmp(action, "export")) rc = n ? cli_usage("release", "export takes no arguments") : do_export(&a, root);
    else if (!strcmp(action, "pull")) rc = do_pull(&a, n, rest);
    else if (!strcmp(action, "status")) {
        ward_error err = {0};
        ward_status st = ward_release_subscriptions(a.data, print_sub, NULL, &err);
        rc = st ? fail(st, &err) : WARD_EXIT_OK;
    } else rc = cli_usage("release", "unknown action '%s'", action);
    free(root);
    return rc;
}

const cli_command cli_cmd_release = {
    .name = "release",
    .run = run_release,
    .summary = "Signed, versioned hash-list releases and deltas",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
