/*
 * ward intel: bulk referrals to prioritised intelligence packages. Each
 * action is a thin call into libward's intel.h.
 */
#include "cli/cli.h"
#include "cli/opt.h"
#include "util/escape.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ward/intel.h>
#include <ward/serve.h>
#include <ward/store.h>

static const char help[] =
"NAME\n"
"    ward intel - bulk referral triage: intake, identity, risk, routing\n"
"\n"
"SYNOPSIS\n"
"    ward intel ingest --source NAME [--format csv|json|xml] [--columns MAP]\n"
"                      [--international] [--bulk|--not-bulk] [--received T] FILE...\n"
"    ward intel resolve | score | route | update\n"
"    ward intel subjects [--band B] [--json]      ward intel subject ID [--json]\n"
"    ward intel factor ID NAME --source S --status ST [--date D] [--value V]\n"
"    ward intel override ID --band B --reason TEXT\n"
"    ward intel apart|join RECORD RECORD --reason TEXT\n"
"    ward intel quarantine                        ward intel clarify VALUE_ID TEXT --reason R\n"
"    ward intel packages [--holder H] [--json]\n"
"    ward intel package ID [--format json|html] [-o FILE]\n"
"    ward intel state ID disseminated|accepted|actioned [--note TEXT]\n"
"    ward intel outcome ID arrest|charge|caution|safeguarded|nfa|referred [--reason R]\n"
"    ward intel escalate ID --reason TEXT\n"
"    ward intel query [--list L] [--factor F] [--by force|hub|band] [--json]\n"
"    ward intel kpi [--json] | alerts [--json] | feedback --list L | report\n"
"    ward intel validate [--json]\n"
"    ward intel occupations [--unmapped] [--json] | occupations --evaluate FILE\n"
"    ward intel occupations TITLE...\n"
"    ward intel areas [--unmapped] [--json] | areas NAME...\n"
"    ward intel retention [--due] [--json]\n"
"    ward intel retain ID --keep|--dispose --reason TEXT\n"
"    ward intel dispose ID --dry-run | --confirm --by NAME --reason TEXT\n"
"    ward intel evaluate TRUTH.csv [--id-column C --person-column C]\n"
"    ward intel members [--format csv|json|jsonl]\n"
"    ward intel isp ranges [FILE] | batches [--json] | answers FILE\n"
"    ward intel isp build --legal-basis REF [--due-days N] [--provider P]\n"
"    ward intel isp export BATCH [--format csv|json|html] [-o FILE]\n"
"    ward intel config risk|routing|resolve|retention|occupations\n"
"    ward intel key generate FILE      ward intel encrypt --key-file FILE\n"
"    ward intel check\n"
"    (every action takes --data DIR, --now TIME and --key-file FILE)\n"
"\n"
"DESCRIPTION\n"
"    Turns bulk referral lists (a foreign agency's names, a peer-to-peer\n"
"    operation's IP addresses, platform reports) into prioritised packages\n"
"    routed to hubs and forces. Priority is led by access to children and\n"
"    opportunity, not by what images were found. Bands order the work: a\n"
"    person reviews every subject; every factor shows its source, date and\n"
"    evidential status (fact, intelligence, assumption).\n"
"\n"
"    Intelligence is kept in <datadir>/intel.db, apart from the hash-set\n"
"    store, or on the PostgreSQL server that $WARD_STORE or <datadir>/store.url\n"
"    names (schema ward_intel), which several hubs can share: commands run\n"
"    at the same time take turns to write. File hashes in referrals are\n"
"    looked up in ward.db when present.\n"
"\n"
"ACTIONS\n"
"    ingest FILE...  Read referral lists: CSV with a header row (fields ref,\n"
"                    name, dob, email, phone, screen_name, ip, ip_port,\n"
"                    ip_time, ip_zone, ip_event, postcode, address,\n"
"                    occupation, typology, file_md5/sha1/sha256,\n"
"                    file_viewed, area (a force or area: its code, its\n"
"                    force's name or an alias; routes the referral when\n"
"                    no postcode does), card (payment card number: stored\n"
"                    masked and as a keyed hash, never in full),\n"
"                    chat_room (a chat room or group: links people in\n"
"                    ward graph, never identifies anyone), and\n"
"                    risk-factor columns such as\n"
"                    children_in_household; several values in a cell are\n"
"                    separated by ';'), JSON or XML reports modelled on the\n"
"                    CyberTipline fields (see docs/intel.md). Each value is\n"
"                    kept as received beside its normalised form. Times\n"
"                    without a zone, 12-hour times without AM/PM and dates\n"
"                    whose day and month could be swapped are quarantined,\n"
"                    never guessed, with every reason listed; values that\n"
"                    are not UTF-8 are quarantined and kept escaped (\\xNN);\n"
"                    an IP address without a full timestamp\n"
"                    and zone, or in a CGNAT range without a port, never\n"
"                    identifies anyone. Bad records are named by file:line\n"
"                    or JSON pointer and skipped; the rest land in one\n"
"                    transaction. A file is ingested once (by SHA-256).\n"
"                    A CSV column that feeds no field or factor is named\n"
"                    with a warning; after 50 messages, '... and N more'.\n"
"    resolve         Group records into subjects (Fellegi-Sunter weights,\n"
"                    frequency cap on shared identifiers). Subject ids are\n"
"                    stable; merges and splits are recorded. Each subject\n"
"                    gets an attribution grade A-E with reasons.\n"
"    score           Risk band, deadline, score and factors for each subject;\n"
"                    a new assessment is written only when something changed,\n"
"                    and says what.\n"
"    route           Create or version each subject's package and route it:\n"
"                    international hub, regional hub (bulk), or the force\n"
"                    of the postcode area, else of the area the force or\n"
"                    area column names, else triage. A package still in\n"
"                    triage (not disseminated) goes where the rules now\n"
"                    place it. Raise deconfliction alerts.\n"
"    update          resolve, score and route in turn, then bring the\n"
"                    subjects' retention dates up to date.\n"
"    subjects        Subjects by band (* marks an analyst override).\n"
"    subject ID      One subject: grade, band, factors, history, referrals\n"
"                    with every value as received and normalised.\n"
"    factor          Add a risk factor to a subject (forbidden factors such\n"
"                    as ethnicity, nationality or immigration status are\n"
"                    refused). Run 'score' to re-assess.\n"
"    override        Set a subject's band by hand with a written reason; the\n"
"                    model's band is kept beside it.\n"
"    apart, join     Tell the resolver two records are different people (or\n"
"                    the same); honoured by every later 'resolve'. This is\n"
"                    how a merge or split is reversed.\n"
"    quarantine      Values waiting for a person, with their ids.\n"
"    clarify         Settle a quarantined value (e.g. the time with its\n"
"                    zone); the value as received is kept.\n"
"    packages        Packages with holder, state, band and deadline.\n"
"    package ID      A package as JSON or a printable HTML page.\n"
"    state, outcome  Move a package on: created -> disseminated -> accepted\n"
"                    -> actioned -> outcome. nfa and referred need a reason.\n"
"    escalate        Pass a package from a force to its regional hub.\n"
"    query           Count subjects: e.g. on list X with occupation_children\n"
"                    by force.\n"
"    kpi             Backlog and age by holder and band, time to action by\n"
"                    band and holder, share of each list worked, outcomes,\n"
"                    ISP requests per provider (answered on time, mean\n"
"                    days, no-trace rate) and the risk model's validation\n"
"                    (see validate).\n"
"    validate        Check the risk model against recorded outcomes: per\n"
"                    band (the model's, not an override) the share of\n"
"                    closed packages whose outcome confirmed the risk, with\n"
"                    a Wilson 95% interval; the AUC of the score with its\n"
"                    95% interval; calibration (a logistic fit of outcome\n"
"                    on score, observed against expected by score group,\n"
"                    Hosmer-Lemeshow test, Brier score). Every figure shows\n"
"                    its sample size; fewer than 10 outcomes of either kind\n"
"                    is said to be too few. Which outcomes confirm the risk\n"
"                    is set in the risk model (outcome_positive,\n"
"                    outcome_negative; referred is left out). Also in 'kpi'.\n"
"    occupations     Job titles in the store with where the occupation\n"
"                    mapping places them: an ISCO-08 unit group and its\n"
"                    access to children (direct: teachers, childcare,\n"
"                    paediatric staff, coaches, youth leaders, school\n"
"                    transport; contact: GPs, doctors, nurses, dentists,\n"
"                    police, clergy; none). Titles are read robustly (case,\n"
"                    plurals, 'PE', 'GP', misspellings). --unmapped: only\n"
"                    the titles it cannot place, for a person to map in\n"
"                    <datadir>/intel-occupations.conf (exit 1 if any).\n"
"                    TITLE...: place these titles. --evaluate FILE: precision\n"
"                    and recall against a labelled CSV (title,isco,access).\n"
"                    Direct access gives the factor occupation_children,\n"
"                    contact occupation_contact_children, at ingest; the\n"
"                    factor's value names the group and mapping version.\n"
"    areas           Force and area names of the referrals (the area\n"
"                    column) with the area and force each routes to: by\n"
"                    the area's code, the force's name (case, punctuation\n"
"                    and words like Police or Constabulary ignored) or an\n"
"                    alias from the routing rules (versioned). --unmapped:\n"
"                    only names no rule knows, whose referrals wait in\n"
"                    triage, for a person to add as 'alias' lines in\n"
"                    <datadir>/intel-routing.conf (exit 1 if any).\n"
"                    NAME...: where these names route.\n"
"    alerts          Deconfliction, closed-subject and overdue alerts\n"
"                    (packages past their deadline, ISP request batches\n"
"                    past their due date).\n"
"    feedback        What came of each referral of a list, for its sender.\n"
"    report          A readable triage report.\n"
"    retention       Each subject's review date (open subjects: the last\n"
"                    change plus review_days) and, once every package has\n"
"                    an outcome, its retain-until date (the outcome's\n"
"                    period), with the last decision taken. --due: only\n"
"                    those whose date has passed at --now.\n"
"    retain ID       A person's retention decision, --reason required:\n"
"                    --keep pushes the review date one interval on;\n"
"                    --dispose marks the subject for disposal and prints\n"
"                    what a disposal would remove; it deletes nothing.\n"
"                    Both are kept in the subject's history and the audit\n"
"                    table with who and when.\n"
"    dispose ID      Carry out a standing dispose decision: only when the\n"
"                    subject's latest decision is dispose and nothing about\n"
"                    it (a new referral, assessment, override, merge, package\n"
"                    event) changed since. --dry-run checks that and prints\n"
"                    what would go; --confirm deletes, in one transaction,\n"
"                    its referral records and every value, file-hash hits,\n"
"                    factors, assessments, overrides, packages, alerts and\n"
"                    link decisions (also of subjects merged into it), with\n"
"                    deleted content overwritten in the file. A tombstone\n"
"                    stays: the id (never reused), when, --by whom, --reason\n"
"                    and the counts removed; its history and the audit\n"
"                    trail stay. A later referral about the same person\n"
"                    becomes a new subject.\n"
"    members         Which subject each referral record was grouped into:\n"
"                    record, ref, list, subject, as CSV (--format csv,\n"
"                    the default), a JSON array (--format json or --json)\n"
"                    or JSON lines (--format jsonl or --jsonl). Records\n"
"                    not yet resolved have no subject (exit 1 if any).\n"
"    evaluate        Pairwise precision and recall of the subjects against a\n"
"                    ground truth file of 'ref,entity' lines (the generator's),\n"
"                    or a CSV with a header whose columns --id-column (the\n"
"                    record ref) and --person-column (the true person) name.\n"
"                    A file it cannot read that way (a missing column, a line\n"
"                    of another width, no ref naming a resolved record) is\n"
"                    refused (exit 3), never measured.\n"
"    isp             ISP subscriber requests. 'ranges FILE' imports the\n"
"                    provider table (CSV: provider, range, asn, asn_name;\n"
"                    IPv4 and IPv6 CIDR ranges, longest match wins) in\n"
"                    place of the one in force; 'ranges' lists it.\n"
"                    'build' makes one request batch per provider from\n"
"                    subjects' usable IP events: address, port and time\n"
"                    as received with the UTC time beside them, and the\n"
"                    legal basis. Times quarantined or ambiguous are\n"
"                    never sent; events in no known range are named; the\n"
"                    same address, port and time is asked once; an event\n"
"                    is asked once (again only after a 'wrong-zone'\n"
"                    answer and a person settling its time); exit 1 if\n"
"                    anything was left out. 'batches' lists them with\n"
"                    answers and overdue ones; 'export' writes one for the\n"
"                    provider (CSV, JSON or printable HTML; no subject is\n"
"                    named). 'answers FILE' imports answers (CSV: request,\n"
"                    outcome found|no-trace|not-retained|wrong-zone,\n"
"                    answered, and for found: name, address, postcode,\n"
"                    email, phone, provider_ref): a bad line refuses the\n"
"                    file. A found subscriber becomes a referral (list\n"
"                    isp:PROVIDER, intelligence) joined to the request's\n"
"                    record; subjects are re-resolved and re-scored and\n"
"                    each answer is written in its subject's history with\n"
"                    grade and band before and after. Overdue batches are\n"
"                    alerts; kpi shows timeliness and no-trace rates per\n"
"                    provider.\n"
"    config          Print a built-in model (risk, routing, resolve,\n"
"                    retention, occupations). Copy it to\n"
"                    <datadir>/intel-<name>.conf to change it.\n"
"    key generate FILE\n"
"                    Write a new random encryption key to FILE (mode 0600;\n"
"                    refused inside the data directory). Keep it apart\n"
"                    from the data and its backups: without it an\n"
"                    encrypted intel.db cannot be read by anyone.\n"
"    encrypt         Convert a plaintext intel.db to an encrypted one with\n"
"                    --key-file (copied, integrity-checked, synced, renamed\n"
"                    over it). Stop 'ward serve' first. The old plaintext\n"
"                    blocks may survive on SSDs and in snapshots.\n"
"    check           Integrity check of intel.db; when encrypted, every\n"
"                    page is authenticated (a tampered page is named).\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done (also when the output's reader stops reading, as head does);\n"
"    1 ingest skipped bad records, alerts exist, subjects are due\n"
"    (retention --due), titles or areas are unmapped (--unmapped), or isp\n"
"    build left IP events out;\n"
"    2 usage or a\n"
"    refused value (forbidden factor, missing reason) or disposal (not\n"
"    marked, changed since); 3 unusable input or no such subject; 4 I/O.\n"
"\n"
"EXAMPLES\n"
"    ward intel ingest --source op-willow --bulk willow.csv\n"
"    ward intel update && ward intel report\n"
"    ward intel query --list op-willow --factor occupation_children --by force\n"
"    ward intel override S000042 --band high --reason 'new intel: coaches U11s'\n"
"    ward intel package 17 --format html -o pkg17.html\n"
"    ward intel isp build --legal-basis 'IPA/2026/0042' && ward intel isp batches\n"
"    ward intel retention --due\n"
"    ward intel retain S000042 --keep --reason 'linked to live op-willow case'\n"
"    ward intel dispose S000042 --dry-run\n"
"    ward intel dispose S000042 --confirm --by 'j.smith' --reason 'NFA, period over'\n";

typedef struct intel_args {
    const char *data, *source, *format, *columns, *received, *band, *reason, *note, *holder,
        *list, *factor, *by, *output, *status, *date, *value, *now, *key_file;
    const char *evaluate, *id_column, *person_column;
    const char *legal_basis, *provider;   /* isp */
    int due_days;
    ward_intel_output json;   /* --json (one array for lists), --jsonl (a line each) */
    const char *json_given;   /* "json" or "jsonl", as the command line said */
    int international, bulk, due, keep, dispose, dry_run, confirm, unmapped;
    time_t t;
} intel_args;

#define S(m) CLI_AT_STR(intel_args, m)
#define A(m) CLI_AT_INT(intel_args, m)
static const cli_opt options[] = {
    CLI_OPT_DATA(intel_args, data),
    {"source", 0, CLI_STRING, S(source), "NAME", .help = "ingest: the list's name (required)"},
    {"format", 'f', CLI_STRING, S(format), "F",
     .help = "ingest: csv, json or xml (default: by the file);\npackage: json or html; members: "
             "csv, json or\njsonl"},
    {"columns", 0, CLI_STRING, S(columns), "MAP",
     .help = "ingest: CSV column mapping, e.g.\n'name=Full Name,email=E-mail Address'; 'auto'\n"
             "proposes one from the header names and prints\nit to confirm (nothing is ingested)"},
    {"international", 0, CLI_FLAG, A(international),
     .help = "ingest: every record came from abroad"},
    {"bulk", 0, CLI_FLAG, A(bulk), .def = "by size: bulk_threshold, routing model",
     .help = "ingest: a bulk national operation"},
    {"not-bulk", 0, CLI_UNSET, A(bulk), .help = "ingest: not a bulk national operation"},
    {"received", 0, CLI_STRING, S(received), "T", .help = "ingest: when the list was received"},
    CLI_OPT_NOW(intel_args, now),
    {"key-file", 0, CLI_STRING, S(key_file), "FILE", .def = "$WARD_INTEL_KEY_FILE",
     .help = "intel.db is encrypted with the key in FILE; a\nnew intel.db is created encrypted. "
             "See\ndocs/security.md"},
    {"band", 0, CLI_STRING, S(band), "B", .help = "subjects: that band only; override: the band"},
    {"reason", 0, CLI_STRING, S(reason), "TEXT",
     .help = "override, apart, join, clarify, escalate,\noutcome, retain, dispose: why"},
    {"note", 0, CLI_STRING, S(note), "TEXT", .help = "state: a note"},
    {"holder", 0, CLI_STRING, S(holder), "H", .help = "packages: that holder's only"},
    {"list", 0, CLI_STRING, S(list), "L", .help = "query, feedback: that list's subjects"},
    {"factor", 0, CLI_STRING, S(factor), "F", .help = "query: subjects with that factor"},
    {"status", 0, CLI_STRING, S(status), "ST", .help = "factor: its evidential status"},
    {"date", 0, CLI_STRING, S(date), "D", .help = "factor: its date"},
    {"value", 0, CLI_STRING, S(value), "V", .help = "factor: its value"},
    {"due", 0, CLI_FLAG, A(due), .help = "retention: only subjects due for a decision"},
    {"unmapped", 0, CLI_FLAG, A(unmapped),
     .help = "occupations, areas: only what the mapping cannot\nplace"},
    {"evaluate", 0, CLI_STRING, S(evaluate), "FILE",
     .help = "occupations: precision and recall on a labelled\nlist"},
    {"id-column", 0, CLI_STRING, S(id_column), "NAME",
     .help = "evaluate: the truth file's record column"},
    {"person-column", 0, CLI_STRING, S(person_column), "NAME",
     .help = "evaluate: the truth file's person column"},
    {"keep", 0, CLI_FLAG, A(keep), .help = "retain: keep the subject"},
    {"dispose", 0, CLI_FLAG, A(dispose), .help = "retain: mark it for disposal"},
    {"dry-run", 0, CLI_FLAG, A(dry_run), .help = "dispose: preview only"},
    {"confirm", 0, CLI_FLAG, A(confirm), .help = "dispose: delete"},
    {"by", 0, CLI_STRING, S(by), "NAME",
     .help = "dispose: the person carrying it out (query: the\ngrouping, force|hub|band)"},
    {"legal-basis", 0, CLI_STRING, S(legal_basis), "REF",
     .help = "isp build: the authorisation the requests rest on"},
    {"due-days", 0, CLI_INT, A(due_days), "N", 1, 365, .def = "14",
     .help = "isp build: answers due N days on"},
    {"provider", 0, CLI_STRING, S(provider), "P", .help = "isp build: only provider P's batch"},
    {"output", 'o', CLI_STRING, S(output), "FILE", .help = "package, isp export: write to FILE"},
    {"json", 0, CLI_SET, S(json_given), .choices = "json",
     .help = "JSON output: one JSON array for the commands that\nlist records (subjects, "
             "packages, alerts,\nretention, occupations, areas, members, isp ranges\nand "
             "batches), one object for the others (subject,\nquery, kpi, validate)"},
    {"jsonl", 0, CLI_SET, S(json_given), .choices = "jsonl",
     .help = "as --json, but a list is one object per line\n(JSON lines, to stream or to read "
             "line by line)"},
    CLI_OPT_END};
#undef S
#undef A



/* Whether stdout is a pipe whose reader has gone (`ward intel subjects |
 * head`): SIGPIPE is ignored, so a write fails with EPIPE. */
static int stdout_closed(void)
{
    if (!ferror(stdout))
        return 0;
    errno = 0;
    fputc('\n', stdout);
    return fflush(stdout) == EOF && errno == EPIPE;
}

/* A reader that stopped reading is not an error: the command ends quietly
 * with 0, as `head` expects. */
static int fail(ward_status st, const ward_error *err)
{
    if (st == WARD_EIO && stdout_closed())
        return WARD_EXIT_OK;
    return cli_fail("intel", st, err);
}

static int parse_id(const char *s, int64_t *v)
{
    char *end;
    long long n = s ? strtoll(s, &end, 10) : 0;
    if (!s || *end || n <= 0)
        return -1;
    *v = n;
    return 0;
}

/* The first text argument that is not UTF-8 (named), or NULL. File names
 * (ingest, evaluate, key, encrypt) may be any bytes. */
static const char *not_utf8(const intel_args *a, const char *action, int n, char **rest)
{
    const struct { const char *name, *v; } opts[] = {
        {"--source", a->source}, {"--reason", a->reason}, {"--note", a->note},
        {"--value", a->value}, {"--date", a->date}, {"--holder", a->holder},
        {"--list", a->list}, {"--factor", a->factor}, {"--status", a->status},
        {"--band", a->band}, {"--received", a->received},
        {"--legal-basis", a->legal_basis}, {"--provider", a->provider}};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (opts[i].v && !esc_utf8_valid(opts[i].v, strlen(opts[i].v)))
            return opts[i].name;
    int paths = !strcmp(action, "ingest") || !strcmp(action, "evaluate") ||
                !strcmp(action, "key") || !strcmp(action, "encrypt");
    for (int i = 0; i < n && !paths; i++)
        if (!esc_utf8_valid(rest[i], strlen(rest[i])))
            return "an argument";
    return NULL;
}

static int do_ingest(ward_intel *in, intel_args *a, int n, char **files)
{
    if (!n)
        return cli_usage("intel", "ingest: no FILE given");
    if (a->columns && !strcmp(a->columns, "auto")) {   /* propose, ingest nothing */
        ward_error err = {0};
        for (int i = 0; i < n; i++) {
            printf("%s:\n", files[i]);
            ward_status st = ward_intel_propose_columns(files[i], stdout, &err);
            if (st)
                return fail(st, &err);
        }
        printf("nothing ingested\n");
        return WARD_EXIT_OK;
    }
    if (!a->source)
        return cli_usage("intel", "ingest: --source NAME is required");
    ward_intel_ingest_opts o = {.source = a->source, .columns = a->columns,
                                .international = a->international, .bulk = a->bulk,
                                .received = a->received, .now = a->t};
    if (a->format) {
        o.format = !strcmp(a->format, "csv") ? WARD_INTEL_CSV : !strcmp(a->format, "json")
                   ? WARD_INTEL_JSON : !strcmp(a->format, "xml") ? WARD_INTEL_XML : -1;
        if ((int)o.format < 0)
            return cli_usage("intel", "--format must be csv, json or xml");
    }
    /* The hash-set store, if there is one, for file-hash lookups. */
    ward_store *store = NULL;
    ward_error serr = {0};
    int have_store = 0;
    if ((ward_store_exists(a->data, cli_store_url(), &have_store, &serr) != WARD_OK ||
         (have_store && ward_store_open(a->data, cli_store_url(), WARD_STORE_READONLY, &store,
                                        &serr) != WARD_OK))) {
        cli_error("intel", "warning: file hashes not looked up: %s", serr.message);
        store = NULL;
    }
    int rc = WARD_EXIT_OK;
    ward_intel_ingest_summary *s = malloc(sizeof *s);
    if (!s) {
        ward_store_close(store);
        return WARD_EXIT_INTERNAL;
    }
    for (int i = 0; i < n; i++) {
        ward_error err = {0};
        ward_status st = ward_intel_ingest(in, files[i], &o, store, s, &err);
        for (size_t k = 0; k < s->n_messages; k++)
            fprintf(stderr, "ward intel: %s\n", s->messages[k]);
        if (s->messages_total > s->n_messages)
            fprintf(stderr, "ward intel: ... and %" PRIu64 " more ('ward intel quarantine'"
                            " lists every quarantined value)\n",
                    s->messages_total - (uint64_t)s->n_messages);
        if (st) {
            int r = fail(st, &err);
            rc = r > rc ? r : rc;
            continue;
        }
        printf("%s: %" PRIu64 " records, %" PRIu64 " values, %" PRIu64 " quarantined, %" PRIu64
               " unusable, %" PRIu64 " bad, %" PRIu64 " factors refused; %" PRIu64
               " file hashes looked up, %" PRIu64 " known\n", files[i], s->records, s->values,
               s->quarantined, s->unusable, s->bad, s->refused_factors, s->hash_lookups,
               s->hash_known);
        if ((s->bad || s->refused_factors) && rc == WARD_EXIT_OK)
            rc = WARD_EXIT_FINDINGS;
    }
    free(s);
    ward_store_close(store);
    return rc;
}

static ward_status do_resolve(ward_intel *in, intel_args *a, ward_error *err)
{
    ward_intel_resolve_summary s;
    ward_status st = ward_intel_resolve(in, a->t, cli_user(), &s, err);
    if (!st)
        printf("resolve: %" PRIu64 " records -> %" PRIu64 " subjects (%" PRIu64 " new, %" PRIu64
               " merged, %" PRIu64 " split); %" PRIu64 " shared identifiers not used to link\n",
               s.records, s.subjects, s.created, s.merged, s.split, s.links_refused_by_cap);
    return st;
}

static ward_status do_score(ward_intel *in, intel_args *a, ward_error *err)
{
    ward_intel_score_summary s;
    ward_status st = ward_intel_score(in, a->t, &s, err);
    if (!st)
        printf("score: %" PRIu64 " subjects, %" PRIu64 " re-assessed; Very High %" PRIu64
               ", High %" PRIu64 ", Medium %" PRIu64 ", Low %" PRIu64 "\n", s.subjects, s.changed,
               s.band_count[0], s.band_count[1], s.band_count[2], s.band_count[3]);
    return st;
}

static ward_status do_route(ward_intel *in, intel_args *a, ward_error *err)
{
    ward_intel_route_summary s;
    ward_status st = ward_intel_route(in, a->t, &s, err);
    if (!st)
        printf("route: %" PRIu64 " packages created, %" PRIu64 " new versions, %" PRIu64
               " alerts raised", s.packages_created, s.packages_versioned, s.alerts);
    if (!st && s.packages_rerouted)
        printf("; %" PRIu64 " routed from triage", s.packages_rerouted);
    if (!st)
        putchar('\n');
    return st;
}

static int do_package(ward_intel *in, intel_args *a, int n, char **rest, ward_error *err)
{
    int64_t id;
    if (n != 1 || parse_id(rest[0], &id))
        return cli_usage("intel", "package: give one package number");
    FILE *out = stdout;
    if (a->output && !(out = fopen(a->output, "w"))) {
        cli_error("intel", "cannot write %s", a->output);
        return WARD_EXIT_IO;
    }
    ward_status st = ward_intel_package_export(in, id, a->format ? a->format : "json", out, err);
    if (out != stdout && fclose(out) && !st) {
        cli_error("intel", "cannot write %s", a->output);
        return WARD_EXIT_IO;
    }
    return st ? fail(st, err) : WARD_EXIT_OK;
}

static int two_records(ward_intel *in, intel_args *a, int n, char **rest, int join,
                       ward_error *err)
{
    int64_t x, y;
    if (n != 2 || parse_id(rest[0], &x) || parse_id(rest[1], &y))
        return cli_usage("intel", "give two record numbers");
    ward_status st = (join ? ward_intel_join : ward_intel_keep_apart)(in, x, y, cli_user(),
                                                                     a->reason, a->t, err);
    if (!st)
        printf("recorded; run 'ward intel update' to apply\n");
    return st ? fail(st, err) : WARD_EXIT_OK;
}

static int do_lifecycle(ward_intel *in, intel_args *a, const char *action, int n, char **rest,
                        ward_error *err)
{
    int64_t id;
    if (n < 1 || parse_id(rest[0], &id))
        return cli_usage("intel", "%s: give a package number", action);
    ward_status st;
    if (!strcmp(action, "escalate")) {
        if (n != 1)
            return cli_usage("intel", "escalate: one package");
        st = ward_intel_escalate(in, id, cli_user(), a->reason, a->t, err);
    } else {
        if (n != 2)
            return cli_usage("intel", "%s: give a package number and a %s", action,
                             !strcmp(action, "state") ? "state" : "outcome");
        st = !strcmp(action, "state")
                 ? ward_intel_package_state(in, id, rest[1], cli_user(), a->note, a->t, err)
                 : ward_intel_outcome(in, id, rest[1], cli_user(), a->reason, a->t, err);
    }
    return st ? fail(st, err) : WARD_EXIT_OK;
}

static int do_config(int n, char **rest)
{
    const char *text = n == 1 ? ward_intel_default_config(rest[0]) : NULL;
    if (!text)
        return cli_usage("intel", "config: name risk, routing, resolve, retention or"
                                  " occupations");
    fputs(text, stdout);
    return WARD_EXIT_OK;
}

static int do_evaluate(ward_intel *in, intel_args *a, int n, char **rest, ward_error *err)
{
    double p, r;
    if (n != 1)
        return cli_usage("intel", "evaluate: give one truth file");
    ward_status st = ward_intel_evaluate_columns(in, rest[0], a->id_column, a->person_column,
                                                 &p, &r, err);
    if (st)
        return fail(st, err);
    printf("precision %.4f recall %.4f\n", p, r);
    return WARD_EXIT_OK;
}

static int do_occupations(ward_intel *in, intel_args *a, int n, char **rest, ward_error *err)
{
    ward_status st = WARD_OK;
    if ((a->evaluate != NULL) + (n > 0) + a->unmapped > 1)
        return cli_usage("intel", "occupations: give titles, --unmapped or --evaluate FILE,"
                                  " not several");
    if (a->evaluate) {
        ward_intel_occ_eval ev;
        st = ward_intel_occupation_evaluate(in, a->evaluate, stdout, &ev, err);
        return st ? fail(st, err) : WARD_EXIT_OK;
    }
    if (n) {
        st = ward_intel_occupation_place(in, (const char *const *)rest, (size_t)n, a->json,
                                         stdout, err);
        return st ? fail(st, err) : WARD_EXIT_OK;
    }
    uint64_t unmapped = 0;
    st = ward_intel_occupations(in, a->unmapped, a->json, stdout, &unmapped, err);
    if (st)
        return fail(st, err);
    return a->unmapped && unmapped ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int do_areas(ward_intel *in, intel_args *a, int n, char **rest, ward_error *err)
{
    ward_status st = WARD_OK;
    if (n && a->unmapped)
        return cli_usage("intel", "areas: give names or --unmapped, not both");
    if (n) {
        st = ward_intel_area_place(in, (const char *const *)rest, (size_t)n, a->json, stdout,
                                   err);
        return st ? fail(st, err) : WARD_EXIT_OK;
    }
    uint64_t unmapped = 0;
    if ((st = ward_intel_areas(in, a->unmapped, a->json, stdout, &unmapped, err)))
        return fail(st, err);
    return a->unmapped && unmapped ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int do_members(ward_intel *in, intel_args *a, ward_error *err)
{
    const char *f = a->format ? a->format : a->json == WARD_INTEL_OUT_JSON ? "json"
                                          : a->json == WARD_INTEL_OUT_JSONL ? "jsonl" : "csv";
    ward_intel_output fmt = !strcmp(f, "json") ? WARD_INTEL_OUT_JSON
                            : !strcmp(f, "jsonl") ? WARD_INTEL_OUT_JSONL : WARD_INTEL_OUT_TEXT;
    if (strcmp(f, "csv") && !fmt)
        return cli_usage("intel", "members: --format must be csv, json or jsonl");
    uint64_t unresolved = 0;
    ward_status st = ward_intel_members(in, fmt, stdout, &unresolved, err);
    if (st)
        return fail(st, err);
    if (unresolved)
        cli_error("intel", "%" PRIu64 " records not yet grouped into subjects (run 'ward intel"
                           " update')", unresolved);
    return unresolved ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int do_retention(ward_intel *in, intel_args *a, ward_error *err)
{
    uint64_t count = 0;
    ward_status st = ward_intel_retention_list(in, a->t, a->due, a->json, stdout, &count, err);
    if (st)
        return fail(st, err);
    return a->due && count ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int do_retain(ward_intel *in, intel_args *a, int n, char **rest, ward_error *err)
{
    if (n != 1 || a->keep == a->dispose)
        return cli_usage("intel", "retain: give a subject id and one of --keep or --dispose");
    ward_status st = ward_intel_retain(in, rest[0], a->keep, cli_user(), a->reason, a->t, err);
    if (!st && a->dispose) {
        printf("%s marked for disposal; nothing has been deleted\n", rest[0]);
        st = ward_intel_disposal_preview(in, rest[0], stdout, err);
    } else if (!st) {
        ward_intel_retention r;
        if (!(st = ward_intel_retention_get(in, rest[0], a->t, &r, err)))
            printf("%s kept; next review by %s\n", rest[0], r.review_by);
    }
    return st ? fail(st, err) : WARD_EXIT_OK;
}

/* --dry-run checks and previews; --confirm deletes. Neither: usage, so
 * that a deletion is never what a bare command does. */
static int do_dispose(ward_intel *in, intel_args *a, int n, char **rest, ward_error *err)
{
    if (n != 1 || a->dry_run == a->confirm)
        return cli_usage("intel", "dispose: give a subject id and one of --dry-run or --confirm");
    if (a->confirm && (!a->by || !*a->by))
        return cli_usage("intel", "dispose --confirm: --by NAME (who carries it out) is required");
    if (a->confirm && (!a->reason || !*a->reason))
        return cli_usage("intel", "dispose --confirm: --reason TEXT is required");
    ward_status st;
    if (a->dry_run) {
        if (!(st = ward_intel_disposal_check(in, rest[0], err)))
            st = ward_intel_disposal_preview(in, rest[0], stdout, err);
        return st ? fail(st, err) : WARD_EXIT_OK;
    }
    ward_intel_disposal d;
    if ((st = ward_intel_dispose(in, rest[0], a->by, a->reason, a->t, &d, err)))
        return fail(st, err);
    printf("%s disposed of at %s by %s; removed %s\n", d.subject, d.at, d.by, d.removed);
    if (!d.file_cleared)
        cli_error("intel", "warning: another process holds intel.db open, so its WAL could not"
                           " be truncated yet; old pages go at its next checkpoint");
    return WARD_EXIT_OK;
}

/* ISP subscriber requests: ranges, build, batches, export, answers. What
 * could not be sent (a doubtful time, no provider) or read fully (a value
 * of an answer quarantined) is named and makes the exit status 1. */
static int isp_build(ward_intel *in, intel_args *a, ward_error *err)
{
    ward_intel_isp_build_opts o = {.legal_basis = a->legal_basis, .who = cli_user(),
                                   .provider = a->provider, .due_days = a->due_days,
                                   .now = a->t};
    if (!o.legal_basis)
        return cli_usage("intel", "isp build: --legal-basis REF (the authorisation) is"
                                  " required");
    ward_intel_isp_build_summary *s = malloc(sizeof *s);
    if (!s)
        return WARD_EXIT_INTERNAL;
    ward_status st = ward_intel_isp_build(in, &o, s, stdout, err);
    for (size_t k = 0; !st && k < s->n_messages; k++)
        fprintf(stderr, "ward intel: %s\n", s->messages[k]);
    if (!st && s->messages_total > s->n_messages)
        fprintf(stderr, "ward intel: ... and %" PRIu64 " more\n",
                s->messages_total - (uint64_t)s->n_messages);
    uint64_t unsent = s->time_doubtful + s->port_bad + s->no_provider;
    if (!st)
        printf("isp build: %" PRIu64 " batches, %" PRIu64 " requests (%" PRIu64 " duplicates"
               " asked once); not sent: %" PRIu64 " with a quarantined or ambiguous time, %"
               PRIu64 " with a bad port, %" PRIu64 " in no provider's range\n", s->batches,
               s->requests, s->duplicates, s->time_doubtful, s->port_bad, s->no_provider);
    free(s);
    return st ? fail(st, err) : unsent ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int isp_answers(ward_intel *in, const char *path, intel_args *a, ward_error *err)
{
    ward_intel_isp_answer_summary *s = malloc(sizeof *s);
    if (!s)
        return WARD_EXIT_INTERNAL;
    ward_status st = ward_intel_isp_answers_import(in, path, cli_user(), a->t, s, stdout, err);
    for (size_t k = 0; k < s->n_messages; k++)
        fprintf(stderr, "ward intel: %s\n", s->messages[k]);
    if (!st)
        printf("isp answers: %" PRIu64 " (%" PRIu64 " found, %" PRIu64 " no trace, %" PRIu64
               " not retained, %" PRIu64 " wrong time zone suspected)\n", s->answers, s->found,
               s->no_trace, s->not_retained, s->wrong_zone);
    int notices = s->n_messages > 0;
    free(s);
    return st ? fail(st, err) : notices ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int do_isp(ward_intel *in, intel_args *a, int n, char **rest, ward_error *err)
{
    const char *what = n ? rest[0] : "";
    ward_status st;
    int64_t id;
    if (!strcmp(what, "ranges") && n == 2) {
        uint64_t ranges, providers;
        st = ward_intel_isp_ranges_import(in, rest[1], cli_user(), a->t, &ranges, &providers,
                                          err);
        if (!st)
            printf("isp ranges: %" PRIu64 " ranges of %" PRIu64 " providers in force\n", ranges,
                   providers);
    } else if (!strcmp(what, "ranges") && n == 1)
        st = ward_intel_isp_ranges(in, a->json, stdout, err);
    else if (!strcmp(what, "build") && n == 1)
        return isp_build(in, a, err);
    else if (!strcmp(what, "batches") && n == 1)
        st = ward_intel_isp_batches(in, a->t, a->json, stdout, err);
    else if (!strcmp(what, "answers") && n == 2)
        return isp_answers(in, rest[1], a, err);
    else if (!strcmp(what, "export") && n == 2 && !parse_id(rest[1], &id)) {
        FILE *out = stdout;
        if (a->output && !(out = fopen(a->output, "w"))) {
            cli_error("intel", "cannot write %s", a->output);
            return WARD_EXIT_IO;
        }
        st = ward_intel_isp_export(in, id, a->format ? a->format : "csv", out, err);
        if (out != stdout && fclose(out) && !st) {
            cli_error("intel", "cannot write %s", a->output);
            return WARD_EXIT_IO;
        }
    } else
        return cli_usage("intel", "isp: give ranges [FILE], build, batches, export BATCH or"
                                  " answers FILE");
    return st ? fail(st, err) : WARD_EXIT_OK;
}

static int dispatch(ward_intel *in, intel_args *a, const char *action, int n, char **rest)
{
    ward_error err = {0};
    ward_status st = WARD_OK;
    int64_t id;
    if (!strcmp(action, "ingest"))
        return do_ingest(in, a, n, rest);
    if (!strcmp(action, "package"))
        return do_package(in, a, n, rest, &err);
    if (!strcmp(action, "apart") || !strcmp(action, "join"))
        return two_records(in, a, n, rest, !strcmp(action, "join"), &err);
    if (!strcmp(action, "state") || !strcmp(action, "outcome") || !strcmp(action, "escalate"))
        return do_lifecycle(in, a, action, n, rest, &err);
    if (!strcmp(action, "evaluate"))
        return do_evaluate(in, a, n, rest, &err);
    if (!strcmp(action, "retention"))
        return do_retention(in, a, &err);
    if (!strcmp(action, "occupations"))
        return do_occupations(in, a, n, rest, &err);
    if (!strcmp(action, "members"))
        return do_members(in, a, &err);
    if (!strcmp(action, "areas"))
        return do_areas(in, a, n, rest, &err);
    if (!strcmp(action, "retain"))
        return do_retain(in, a, n, rest, &err);
    if (!strcmp(action, "dispose"))
        return do_dispose(in, a, n, rest, &err);
    if (!strcmp(action, "isp"))
        return do_isp(in, a, n, rest, &err);
    if (!strcmp(action, "resolve"))
        st = do_resolve(in, a, &err);
    else if (!strcmp(action, "score"))
        st = do_score(in, a, &err);
    else if (!strcmp(action, "route"))
        st = do_route(in, a, &err);
    else if (!strcmp(action, "update")) {
        st = do_resolve(in, a, &err);
        if (!st)
            st = do_score(in, a, &err);
        if (!st)
            st = do_route(in, a, &err);
        if (!st)
            st = ward_intel_retention_refresh(in, &err);
    } else if (!strcmp(action, "subjects"))
        st = ward_intel_subjects(in, a->band, a->json, stdout, &err);
    else if (!strcmp(action, "subject")) {
        if (n != 1)
            return cli_usage("intel", "subject: give one subject id (S000123)");
        st = ward_intel_subject_show(in, rest[0], a->json, stdout, &err);
    } else if (!strcmp(action, "factor")) {
        if (n != 2)
            return cli_usage("intel", "factor: give a subject id and a factor name");
        st = ward_intel_add_factor(in, rest[0], rest[1], a->value, a->source, a->date,
                                   a->status, a->t, &err);
    } else if (!strcmp(action, "override")) {
        if (n != 1 || !a->band)
            return cli_usage("intel", "override: give a subject id and --band");
        st = ward_intel_override(in, rest[0], a->band, cli_user(), a->reason, a->t, &err);
    } else if (!strcmp(action, "quarantine"))
        st = ward_intel_quarantine_list(in, stdout, &err);
    else if (!strcmp(action, "clarify")) {
        if (n != 2 || parse_id(rest[0], &id))
            return cli_usage("intel", "clarify: give a value id and the settled value");
        st = ward_intel_clarify(in, id, rest[1], cli_user(), a->reason, a->t, &err);
    } else if (!strcmp(action, "packages"))
        st = ward_intel_packages(in, a->holder, a->json, stdout, &err);
    else if (!strcmp(action, "query"))
        st = ward_intel_query(in, a->list, a->factor, a->by, a->json, stdout, &err);
    else if (!strcmp(action, "kpi"))
        st = ward_intel_kpi(in, a->t, a->json, stdout, &err);
    else if (!strcmp(action, "validate"))
        st = ward_intel_validate(in, a->json, stdout, &err);
    else if (!strcmp(action, "alerts")) {
        uint64_t count = 0;
        st = ward_intel_alerts(in, a->t, a->json, stdout, &count, &err);
        if (!st && count)
            return WARD_EXIT_FINDINGS;
    } else if (!strcmp(action, "feedback")) {
        if (!a->list)
            return cli_usage("intel", "feedback: give --list NAME");
        st = ward_intel_feedback(in, a->list, stdout, &err);
    } else if (!strcmp(action, "report"))
        st = ward_intel_report(in, a->t, stdout, &err);
    else if (!strcmp(action, "check"))
        st = ward_intel_check(in, &err);
    else
        return cli_usage("intel", "unknown action '%s'", action);
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

/* Encryption actions: they work on files, not on an open intel.db. */
static int do_crypt(const intel_args *a, const char *action, int n, char **rest)
{
    ward_error err = {0};
    ward_status st;
    if (!strcmp(action, "key")) {
        if (n != 2 || strcmp(rest[0], "generate"))
            return cli_usage("intel", "key: give 'generate FILE'");
        st = ward_intel_key_generate(rest[1], a->data, &err);
        if (!st)
            fprintf(stderr, "ward intel: new key in %s: keep it outside the data directory "
                            "and its backups\n", rest[1]);
    } else {
        if (n != 0 || !a->key_file)
            return cli_usage("intel", "encrypt: give --key-file FILE and nothing else");
        st = ward_intel_encrypt(a->data, a->key_file, &err);
        if (!st)   /* the service store is encrypted with the same key */
            st = ward_serve_encrypt(a->data, a->key_file, &err);
        if (!st)
            fprintf(stderr, "ward intel: %s/intel.db and service.db are encrypted; blocks of "
                            "the old plaintext files may survive on SSDs and in snapshots\n",
                    a->data);
    }
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

static int run_intel(int argc, char **argv)
{
    intel_args a = {.bulk = -1};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_intel, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    a.json = !a.json_given ? WARD_INTEL_OUT_TEXT
             : !strcmp(a.json_given, "jsonl") ? WARD_INTEL_OUT_JSONL : WARD_INTEL_OUT_JSON;
    if (optind >= argc)
        return cli_usage("intel", "no action given");
    const char *action = argv[optind++];
    int n = argc - optind;
    char **rest = argv + optind;
    if (!strcmp(action, "config"))
        return do_config(n, rest);
    static const char *const actions[] = {
        "ingest", "resolve", "score", "route", "update", "subjects", "subject", "factor",
        "override", "apart", "join", "quarantine", "clarify", "packages", "package", "state",
        "outcome", "escalate", "query", "kpi", "alerts", "feedback", "report", "evaluate",
        "retention", "retain", "dispose", "check", "validate", "occupations", "members",
        "areas", "isp"};
    int known = 0;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        known |= !strcmp(action, actions[i]);
    known |= !strcmp(action, "key") || !strcmp(action, "encrypt");
    if (!known)   /* before opening anything: a typo creates no data directory */
        return cli_usage("intel", "unknown action '%s'", action);
    const char *bad = not_utf8(&a, action, n, rest);
    if (bad)   /* it would be stored, and every page and JSON reader relies on UTF-8 */
        return cli_usage("intel", "%s is not valid UTF-8", bad);
    a.t = time(NULL);
    if (a.now && cli_parse_now(a.now, &a.t))
        return cli_usage("intel", "--now must be YYYY-MM-DDTHH:MM:SSZ");
    a.data = cli_data_dir(a.data);
    if (!a.key_file)
        a.key_file = cli_intel_key_file();
    if (!strcmp(action, "key") || !strcmp(action, "encrypt"))
        return do_crypt(&a, action, n, rest);
    ward_intel *in = NULL;
    ward_error err = {0};
    ward_status st = ward_intel_open_keyed(a.data, cli_store_url(), a.key_file, &in, &err);
    if (st)
        return fail(st, &err);
    int rc = dispatch(in, &a, action, n, rest);
    ward_intel_close(in);
    errno = 0;
    if (fflush(stdout) != 0 || stdout_closed())
        return errno == EPIPE ? rc : WARD_EXIT_IO;
    return rc;
}

const cli_command cli_cmd_intel = {
    .name = "intel",
    .run = run_intel,
    .summary = "Bulk referral triage: intake, identity, risk, routing, packages",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
