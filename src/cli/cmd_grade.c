/*
 * ward grade: grade a scan's new images once (src/grade, grade.h).
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/grade.h>

static const char help[] =
"NAME\n"
"    ward grade - grade a scan's new images once, with little exposure\n"
"\n"
"SYNOPSIS\n"
"    ward grade [serve] --scan DIR [--scheme uk|projectvic] [--grader NAME]\n"
"               [--port N] [--break MINUTES] [--data DIR] [--radius N]\n"
"    ward grade list --scan DIR [--data DIR] [--radius N]\n"
"    ward grade set --scan DIR --group ID --category C [--series S]\n"
"               [--identifiable] [--grader NAME] [--scheme S]\n"
"    ward grade undo --scan DIR [--grader NAME]\n"
"    ward grade thumb --scan DIR --item SEQ --output FILE\n"
"    ward grade exposure --scan DIR [--grader NAME]\n"
"    ward grade export --scan DIR --unit NAME --output FILE\n"
"    ward grade intake --data DIR --list NAME [--verifiers N] FILE...\n"
"    ward grade conflicts [--data DIR]\n"
"\n"
"DESCRIPTION\n"
"    DIR is the report directory of a finished 'ward scan --out DIR'. Its\n"
"    records of class new-image and new-video are what a person must still\n"
"    look at. ward groups them before anyone looks: the same SHA-256, or a\n"
"    PDQ within --radius bits (default " CLI_NUM(WARD_INDEX_PDQ_RADIUS) ", at most 47) of any of the\n"
"    other's 8 dihedral\n"
"    hashes, so a re-encoded, mirrored or resized copy joins its original\n"
"    and one decision grades the whole group. Videos group by vPDQ when at\n"
"    least 80% of each one's good frames match a frame of the other (the\n"
"    same video re-encoded or resized; a clip of a longer video does not\n"
"    group with it). (Scans made before ward recorded 'pdq_dihedral' group\n"
"    mirrored copies only by SHA-256 and unmirrored PDQ.)\n"
"\n"
"    Groups are ordered without any classifier, each with its reason:\n"
"    first those whose PDQ (or a video frame's) is 32 to 60 bits from an\n"
"    alert-list entry of the store in --data (near, but outside the match\n"
"    radius), nearest first;\n"
"    then those in the same folder or container as known or near material;\n"
"    then the rest, in source order.\n"
"\n"
"    serve (the default) serves the grading page on 127.0.0.1 only and\n"
"    prints its URL, which carries a random one-time token; open it in a\n"
"    browser on the same workstation. Ctrl-C ends the session. Each picture\n"
"    is re-read from the evidence through its record (the file, the member\n"
"    of its archive, or the file of its disk image by inode) and its\n"
"    SHA-256 verified first; a missing or changed item is shown as such,\n"
"    never as a picture.\n"
"    Pictures arrive greyscale and downscaled (a video as a strip of 6\n"
"    frames sampled across it), and are blurred until revealed. Keys:\n"
"        a b c       UK category A, B, C (--scheme uk, the default)\n"
"        0 1 2 3 4   Project VIC category (--scheme projectvic)\n"
"        n           not relevant\n"
"        s           series (asks for its name)\n"
"        i           the victim may be identifiable (toggle)\n"
"        r, space    reveal the pictures of this group (logged)\n"
"        u           undo your last grade\n"
"        j k         next, previous group\n"
"    The page shows progress and items per minute, and your exposure\n"
"    (pictures revealed, minutes spent); after --break minutes (default 20,\n"
"    0 never) it reminds you to take a break.\n"
"\n"
"    Every decision is appended to DIR/grade/grades.jsonl as it is made, so\n"
"    grading resumes where it stopped, by the same or another grader.\n"
"\n"
"    list prints the groups in review order: one line per group (id, items,\n"
"    grade, reason, and a grade given elsewhere: an entry of the store of\n"
"    --data, or a grade in its intake awaiting a second grader) and an\n"
"    indented line per item (seq,\n"
"    path).\n"
"    set and undo grade without the page (scripts, tests). thumb writes the\n"
"    greyscale thumbnail of one item after verifying it. exposure prints a\n"
"    grader's exposure. export writes the graded, relevant groups as a\n"
"    VICS 2.0 contribution (MD5, SHA1, SHA256, PDQ, category, series,\n"
"    grader, unit, time, a video's vPDQ, the SHA-256 of the scan's\n"
"    files.jsonl; no paths, no pictures) for 'ward db import\n"
"    --format vics' or 'ward grade intake' on the national node.\n"
"\n"
"    intake, on the national node, reads contributions into the store's\n"
"    grade intake (a table: nodes sharing one store compare their grades)\n"
"    and applies the two-person rule:\n"
"    a picture becomes an entry of the alert list NAME only when --verifiers\n"
"    (default 2) different graders gave it the same grade and nobody gave\n"
"    it another. Each contribution file is recorded in 'ward db imports'\n"
"    (path, SHA-256, grades held) and each grade names that import. A\n"
"    verified picture is imported through the ordinary import, which\n"
"    records the provenance; the entry's tags name the graders, their units,\n"
"    times and imports; a verified video's good vPDQ frames become entries\n"
"    too, so a later scan matches another encoding of it. conflicts (also 'ward db conflicts') lists the\n"
"    pictures graded differently, each grade with its grader and import,\n"
"    for review; they are never promoted.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done (intake: nothing in conflict); 1 intake or conflicts: pictures\n"
"    graded differently; 2 usage; 3 DIR or grades.jsonl unusable, or an item missing or\n"
"    changed (thumb); 4 I/O error; 5 internal error.\n";

static volatile int stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void print_url(void *ctx, const char *url)
{
    (void)ctx;
    printf("grading view: %s\n(Ctrl-C ends the session)\n", url);
    fflush(stdout);
}

typedef struct gargs {
    const char *verb, *scan, *scheme, *grader, *data, *category, *series, *unit, *output;
    const char *list;
    uint64_t group, item;
    int verifiers;
    int identifiable, radius, port, brk, has_group, has_item;
} gargs;

#define S(m) CLI_AT_STR(gargs, m)
#define A(m) CLI_AT_INT(gargs, m)
static const cli_opt options[] = {
    {"scan", 0, CLI_STRING, S(scan), "DIR", .help = "the scan's report directory (required)"},
    {"scheme", 0, CLI_CHOICE, S(scheme), "S", .choices = "uk|projectvic", .def = "uk",
     .help = "uk (A/B/C) or projectvic (0-4); fixed by the\nfirst decision of a directory"},
    {"grader", 0, CLI_STRING, S(grader), "NAME", .def = "$WARD_USER, else $USER",
     .help = "who grades"},
    {"data", 0, CLI_STRING, S(data), "DIR", .def = "$WARD_DATA, else ~/.local/share/ward",
     .help = "the store searched for near alert entries"},
    {"radius", 0, CLI_INT, A(radius), "N", 0, 64, .def = CLI_NUM(WARD_GRADE_GROUP_RADIUS),
     .help = "PDQ bits within which images group (32 to 47\nfind more at about 8 times the "
             "cost)"},
    {"port", 0, CLI_INT, A(port), "N", 0, 65535, .def = "any free one",
     .help = "loopback port"},
    {"break", 0, CLI_INT, A(brk), "MINUTES", 0, 65535, .def = "20",
     .help = "break reminder (0 never)"},
    {"group", 0, CLI_COUNT, CLI_AT_U64(gargs, group), "ID", 0, 1e18,
     .help = "set: the group the decision is for"},
    {"category", 0, CLI_STRING, S(category), "C", .help = "set: the category of the scheme"},
    {"series", 0, CLI_STRING, S(series), "NAME", .help = "set: the group is of series NAME"},
    {"identifiable", 0, CLI_FLAG, A(identifiable),
     .help = "set: the victim may be identifiable"},
    {"item", 0, CLI_COUNT, CLI_AT_U64(gargs, item), "ID", 0, 1e18,
     .help = "thumb: the item whose thumbnail is written"},
    {"output", 'o', CLI_STRING, S(output), "FILE", .help = "thumb, export: where to write"},
    {"unit", 0, CLI_STRING, S(unit), "UNIT", .help = "export: the grading unit"},
    {"list", 0, CLI_STRING, S(list), "NAME",
     .help = "intake: the alert list verified grades join"},
    {"verifiers", 0, CLI_INT, A(verifiers), "N", 1, 100, .def = CLI_NUM(WARD_GRADE_VERIFIERS),
     .help = "intake: graders who must agree"},
    CLI_OPT_END};
#undef S
#undef A

static int list(const ward_grade_queue *q, const ward_grade_log *g)
{
    for (size_t i = 0; i < q->ngroups; i++) {
        const ward_grade_group *grp = &q->groups[i];
        const ward_grade_decision *d = ward_grade_log_get(g, grp->id);
        printf("%" PRIu64 "\t%zu\t%s\t%s%s%s\n", grp->id, grp->count, d ? d->category : "-",
               grp->why, grp->prior[0] ? "; graded elsewhere: " : "", grp->prior);
        for (size_t k = 0; k < grp->count; k++) {
            const ward_grade_item *it = &q->items[q->members[grp->first + k]];
            printf("  %" PRIu64 "\t%s\n", it->seq, it->path);
        }
    }
    return fflush(stdout) == 0 ? WARD_EXIT_OK : WARD_EXIT_IO;
}

static int thumb(const ward_grade_queue *q, const gargs *a)
{
    const ward_grade_item *it = NULL;
    for (size_t i = 0; i < q->nitems && !it; i++)
        if (q->items[i].seq == a->item) it = &q->items[i];
    if (!it) return cli_usage("grade", "item %" PRIu64 " is not a new image of this scan", a->item);
    uint8_t *jpeg;
    size_t len;
    ward_error err;
    ward_status st = ward_grade_item_thumb(it, 256, cli_tmp_dir(), &jpeg, &len, &err);
    if (st != WARD_OK) return cli_fail("grade", st, &err);
    FILE *f = fopen(a->output, "wb");
    int ok = f && fwrite(jpeg, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    free(jpeg);
    if (!ok) cli_error("grade", "cannot write %s", a->output);
    return ok ? WARD_EXIT_OK : WARD_EXIT_IO;
}

static void print_conflict(void *ctx, const char *sha256, const char *scheme,
                           const char *category, const char *grader, const char *unit,
                           const char *time, uint64_t import_id)
{
    (void)ctx;
    printf("graded-differently\t%s\t%s\t%s\t%s\t%s\t%s\timport %" PRIu64 "\n", sha256, scheme,
           category, grader, unit, time, import_id);
}

int cli_grade_conflicts(const char *datadir)
{
    size_t n;
    ward_error err;
    ward_status st = ward_grade_conflicts(datadir, cli_store_url(), print_conflict, NULL, &n, &err);
    if (st != WARD_OK) return cli_fail("grade", st, &err);
    if (n) fprintf(stderr, "%zu pictures graded differently\n", n);
    return n ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

int cli_grade_intake(const char *datadir, const char *list, int verifiers, int nfiles,
                     char **files)
{
    ward_grade_intake_summary sum;
    ward_error err;
    ward_status st = ward_grade_intake(datadir, cli_store_url(), list, verifiers,
                                       (const char *const *)files, (size_t)nfiles, &sum, &err);
    if (st != WARD_OK) return cli_fail("grade", st, &err);
    printf("%zu grades read; %zu pictures verified and added to %s (import %llu); "
           "%zu waiting for another grader; %zu in conflict\n",
           sum.grades, sum.promoted, list, (unsigned long long)sum.import_id, sum.pending,
           sum.conflicts);
    return sum.conflicts ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int run_verb(const gargs *a, ward_grade_queue *q, ward_grade_log *g)
{
    ward_error err;
    ward_status st = WARD_OK;
    const char *v = a->verb;
    if (!strcmp(v, "list")) return list(q, g);
    if (!strcmp(v, "thumb")) return thumb(q, a);
    if (!strcmp(v, "set")) {
        if (!ward_grade_queue_find(q, a->group))
            return cli_usage("grade", "no group %" PRIu64 " (see 'ward grade list')", a->group);
        ward_grade_decision d;
        memset(&d, 0, sizeof d);
        d.group = a->group;
        snprintf(d.category, sizeof d.category, "%s", a->category);
        snprintf(d.series, sizeof d.series, "%s", a->series ? a->series : "");
        snprintf(d.grader, sizeof d.grader, "%s", a->grader);
        d.identifiable = a->identifiable;
        st = ward_grade_log_set(g, &d, &err);
    } else if (!strcmp(v, "undo")) {
        uint64_t group;
        st = ward_grade_log_undo(g, a->grader, &group, &err);
        if (st == WARD_OK) printf(group ? "undone: group %" PRIu64 "\n" : "nothing to undo\n", group);
    } else if (!strcmp(v, "exposure")) {
        ward_grade_exposure e;
        ward_grade_log_exposure(g, a->grader, &e);
        printf("%s: %" PRIu64 " revealed, %.1f minutes\n", a->grader, e.revealed, e.minutes);
    } else if (!strcmp(v, "export")) {
        size_t n;
        st = ward_grade_export_vics(q, g, a->unit, a->output, &n, &err);
        if (st == WARD_OK) printf("%zu media written to %s\n", n, a->output);
    } else {
        ward_grade_serve_opts o = {.port = a->port, .grader = a->grader, .break_minutes = a->brk,
                                   .max_side = 256, .spool_dir = cli_tmp_dir(),
                                   .on_ready = print_url, .stop = &stop_flag};
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        st = ward_grade_serve(q, g, &o, &err);
    }
    return st == WARD_OK ? WARD_EXIT_OK : cli_fail("grade", st, &err);
}

static int check_args(const gargs *a)
{
    static const char *const verbs[] = {"serve", "list",   "set",    "undo",     "thumb",
                                        "exposure", "export", "intake", "conflicts"};
    int known = 0;
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) known |= !strcmp(a->verb, verbs[i]);
    if (!known) return cli_usage("grade", "unknown verb '%s'", a->verb);
    if (!strcmp(a->verb, "intake") && !a->list)
        return cli_usage("grade", "intake needs --list NAME");
    if (!strcmp(a->verb, "intake") || !strcmp(a->verb, "conflicts")) return 0;
    if (!a->scan) return cli_usage("grade", "--scan DIR is required");
    if (!strcmp(a->verb, "set") && (!a->has_group || !a->category))
        return cli_usage("grade", "set needs --group and --category");
    if (!strcmp(a->verb, "thumb") && (!a->has_item || !a->output))
        return cli_usage("grade", "thumb needs --item and --output");
    if (!strcmp(a->verb, "export") && (!a->unit || !a->output))
        return cli_usage("grade", "export needs --unit and --output");
    return 0;
}

static int run_grade(int argc, char **argv)
{
    gargs a = {.verb = "serve", .scheme = NULL, .grader = cli_user(),
               .radius = WARD_GRADE_GROUP_RADIUS, .brk = 20, .verifiers = WARD_GRADE_VERIFIERS,
               .group = UINT64_MAX, .item = UINT64_MAX};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_grade, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    a.has_group = a.group != UINT64_MAX;
    a.has_item = a.item != UINT64_MAX;
    if (optind < argc) a.verb = argv[optind++];
    int rc = check_args(&a);
    if (rc) return rc;
    if (!strcmp(a.verb, "conflicts")) return cli_grade_conflicts(cli_data_dir(a.data));
    if (!strcmp(a.verb, "intake")) {
        if (optind == argc) return cli_usage("grade", "intake needs contribution files");
        return cli_grade_intake(cli_data_dir(a.data), a.list, a.verifiers, argc - optind,
                                argv + optind);
    }
    if (optind < argc) return cli_usage("grade", "unexpected '%s'", argv[optind]);
    ward_grade_opts go;
    ward_grade_opts_default(&go);
    go.radius = a.radius;
    go.datadir = cli_data_dir(a.data);
    go.store_url = cli_store_url();
    ward_grade_queue *q = NULL;
    ward_grade_log *g = NULL;
    ward_error err;
    ward_status st = ward_grade_queue_load(a.scan, &go, &q, &err);
    if (st == WARD_OK) st = ward_grade_log_open(a.scan, a.scheme, &g, &err);
    rc = st == WARD_OK ? run_verb(&a, q, g) : cli_fail("grade", st, &err);
    ward_grade_log_close(g);
    ward_grade_queue_free(q);
    return rc;
}

const cli_command cli_cmd_grade = {
    .name = "grade",
    .run = run_grade,
    .summary = "Grade a scan's new images once, with little exposure",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
