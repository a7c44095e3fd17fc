/*
 * ward series: victim identification - image series, the also-seen-
 * elsewhere register, alerts to units and flood quarantine. Each action is a
 * thin call into libward's victim.h.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/casework.h>
#include <ward/release.h>
#include <ward/serve.h>
#include <ward/store.h>
#include <ward/victim.h>

static const char help[] =
"NAME\n"
"    ward series - victim identification: series, sightings across units\n"
"\n"
"SYNOPSIS\n"
"    ward series create NAME --team TEAM [--contact C]\n"
"    ward series list [--json]            ward series show NAME [--json]\n"
"    ward series rename NAME NEW          ward series merge INTO FROM\n"
"    ward series split FROM NEW HASH...\n"
"    ward series status NAME unidentified|identified|safeguarded [--note TEXT]\n"
"    ward series team NAME [--team TEAM] [--contact C]\n"
"    ward series note NAME TEXT\n"
"    ward series add NAME HASH... [--label L]   ward series add NAME --from-store\n"
"    ward series entries NAME             ward series seen NAME\n"
"    ward series log NAME\n"
"    ward series check SCANDIR --unit U --case C --contact X [--exhibit REF]\n"
"                      [--radius R] [--flood-units N] [--flood-hours H]\n"
"                      [--no-register]\n"
"    ward series alerts [--unit U] [--all] [--json]\n"
"    ward series done ID\n"
"    ward series rematch [AFTER-ENTRY-ID]\n"
"    ward series export [NAME] > series.json\n"
"    ward series quarantine [list]\n"
"    ward series quarantine release|remove HASH --reason TEXT\n"
"    (every action takes --data DIR and --now TIME)\n"
"\n"
"DESCRIPTION\n"
"    Identifying the child is the point of the image chain, and two units\n"
"    can hold the same child's images without knowing it. A series is a\n"
"    named set of images of one child or set, with a status (unidentified,\n"
"    identified, safeguarded), the owning victim-identification team, notes\n"
"    and the hashes in it. Series live in the store of the data directory\n"
"    (shared by every unit using it), hashes and metadata only, never an\n"
"    image. See docs/victim.md.\n"
"\n"
"    'check' reads a finished scan (ward scan --out SCANDIR) and tells the\n"
"    unit, for each known, near or new file:\n"
"      series-identified  it is in a series that is identified or\n"
"                         safeguarded: do not re-open the identification\n"
"      series-open        it is in a series still unidentified\n"
"      series-new-image   it is near a series (PDQ within the radius, or a\n"
"                         near match on a list entry of the series) but not\n"
"                         in it: possibly new abuse of a child still at\n"
"                         risk; the series' team gets a high-priority\n"
"                         alert, and with --exhibit the exhibit goes to the\n"
"                         head of the examination queue (very-high)\n"
"      also-seen          another unit registered the same or near\n"
"                         material: 'also seen elsewhere: unit A, contact\n"
"                         X'; unit A is told the same of this unit. Neither\n"
"                         learns the other's case, paths or files\n"
"      quarantined        the hash is held by flood control: alerts pause\n"
"    and registers the scan's known, near and new files (their SHA-256,\n"
"    SHA-1, MD5, PDQ and video frame PDQs) with the unit, case and contact.\n"
"    The same scan checked again is not registered twice.\n"
"\n"
"    Flood control: a listed hash (known or near) seen by --flood-units\n"
"    distinct units within --flood-hours (default 5 within 24) is\n"
"    quarantined: sightings are still recorded, its alerts pause, and a\n"
"    person releases it (alerts resume) or removes it from every list as a\n"
"    false positive (the store's removal, with the reason).\n"
"\n"
"ACTIONS\n"
"    create      A new series; its team is required.\n"
"    list        Every series: status, team, entries, sightings.\n"
"    show        One series with where it was seen and its log.\n"
"    status      Move the status (a note is kept in the log); identified\n"
"                and safeguarded are told to every later check.\n"
"    team        The owning team and its contact.\n"
"    note        A note in the series log.\n"
"    entries     The hashes in a series.\n"
"    log         Every change: who, when, what.\n"
"    check       A finished scan against the series and the register (above).\n"
"    quarantine  Flood control: list, release or remove (above).\n"
"    rename      The old name stays a former name: lists still carrying it\n"
"                find the series.\n"
"    merge       FROM joins INTO (entries, sightings, names); the more\n"
"                advanced status of the two is kept.\n"
"    split       A new series NEW (same team, contact and status) takes the\n"
"                entries of FROM carrying the HASHes.\n"
"    add         Hashes as [sha256:|sha1:|md5:|pdq:]HEX (64 digits alone: a\n"
"                SHA-256); --from-store: every store entry whose series\n"
"                field names the series (current or former name).\n"
"    seen        Where the series has been seen: unit, case, exhibit, files.\n"
"    alerts      A unit's alerts (high priority first); --all includes done.\n"
"    done        Mark alert ID done.\n"
"    rematch     Match the register's earlier new and near sightings against\n"
"                the entries the store gained since the last rematch (or\n"
"                after entry id AFTER-ENTRY-ID): each hit is an alert to its\n"
"                unit ('retro-match'). The match service's recorded platform\n"
"                events (service.db) are re-matched against the same entries:\n"
"                each hit is an alert to unit key:ID of the API key that sent\n"
"                it ('retro-match-platform'). 'ward db import' and 'ward\n"
"                release pull' do this after adding entries. New entries whose series field\n"
"                names a series kept here join it; one whose VictimIdentified\n"
"                is true while the series here is unidentified is a\n"
"                high-priority alert to the series' team (a person confirms\n"
"                it with 'status').\n"
"    export      Series entries as VICS 2.0 JSON on standard output: Series\n"
"                is the series' name, VictimIdentified true when it is\n"
"                identified or safeguarded (for partners and ICSE-like\n"
"                databases; 'ward db import' reads it). Signed releases\n"
"                ('ward release create') carry the series of their entries\n"
"                (status, team, contact), and 'ward release pull' applies\n"
"                them like an import. Analysts see series in 'ward serve's\n"
"                web pages at /series.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done; 1 check found something to tell, or alerts are open; 2 usage or\n"
"    a refused value (a name taken, a hash in another series); 3 no such\n"
"    series, alert or scan folder; 4 I/O.\n"
"\n"
"EXAMPLES\n"
"    ward series create 'Blue Room' --team 'VID Team 1' --contact vid1@example.org\n"
"    ward series add 'Blue Room' --from-store\n"
"    ward scan --out r /evidence/E01\n"
"    ward series check r --unit 'Unit A' --case A-17 --contact a@example.org\n"
"    ward series status 'Blue Room' identified --note 'child safeguarded by Unit C'\n"
"    ward series alerts --unit 'Unit A'\n";

typedef struct sr_args {
    const char *data, *now, *key_file, *team, *contact, *note, *label, *unit, *case_ref, *exhibit,
        *reason;
    int json, all, from_store, no_register, radius, flood_units, flood_hours;
    time_t t;
} sr_args;

#define S(m) CLI_AT_STR(sr_args, m)
#define A(m) CLI_AT_INT(sr_args, m)
static const cli_opt options[] = {
    CLI_OPT_DATA(sr_args, data),
    CLI_OPT_NOW(sr_args, now),
    {"key-file", 0, CLI_STRING, S(key_file), "FILE", .def = "$WARD_INTEL_KEY_FILE",
     .help = "intel.db's key, for --exhibit"},
    {"team", 0, CLI_STRING, S(team), "TEAM",
     .help = "create, team: the owning victim-identification\nteam"},
    {"contact", 0, CLI_STRING, S(contact), "C",
     .help = "create, team: how the team is reached; check: how\nother units reach this "
             "unit's officer"},
    {"note", 0, CLI_STRING, S(note), "TEXT", .help = "status: a note for the series log"},
    {"label", 0, CLI_STRING, S(label), "L", .help = "add: a label for the hashes added"},
    {"from-store", 0, CLI_FLAG, A(from_store),
     .help = "add: the store's entries whose series field\nnames the series"},
    {"unit", 0, CLI_STRING, S(unit), "U",
     .help = "check: the unit registering; alerts: that unit's"},
    {"case", 0, CLI_STRING, S(case_ref), "C", .help = "check: the unit's case reference"},
    {"exhibit", 0, CLI_STRING, S(exhibit), "REF",
     .help = "check: the exhibit scanned (a new image of a\nseries puts it forward in the "
             "examination queue)"},
    {"radius", 0, CLI_INT, A(radius), "R", 0, 256, .def = CLI_NUM(WARD_INDEX_PDQ_RADIUS),
     .help = "PDQ Hamming radius"},
    {"flood-units", 0, CLI_INT, A(flood_units), "N", 2, 100000, .def = "5",
     .help = "check: quarantine a listed hash seen by N units\nwithin --flood-hours"},
    {"flood-hours", 0, CLI_INT, A(flood_hours), "H", 1, 24 * 366, .def = "24",
     .help = "check: the flood window in hours"},
    {"no-register", 0, CLI_FLAG, A(no_register),
     .help = "check: tell, but register nothing"},
    {"all", 0, CLI_FLAG, A(all), .help = "alerts: done ones too"},
    {"reason", 0, CLI_STRING, S(reason), "TEXT",
     .help = "quarantine release|remove: why (required)"},
    {"json", 0, CLI_FLAG, A(json), .help = "JSON lines"},
    CLI_OPT_END};
#undef S
#undef A

static int fail(ward_status st, const ward_error *err) { return cli_fail("series", st, err); }


/* ---- printing ----------------------------------------------------------- */

static int print_series(void *ctx, const ward_series *s)
{
    int json = *(const int *)ctx;
    if (json) {
        putchar('{');
        cli_json_field("name", s->name, 1);
        cli_json_field("status", ward_series_status_name(s->status), 0);
        cli_json_field("team", s->team, 0);
        cli_json_field("contact", s->contact, 0);
        cli_json_field("created", s->created, 0);
        cli_json_field("created_by", s->created_by, 0);
        cli_json_field("status_at", s->status_at, 0);
        cli_json_field("status_by", s->status_by, 0);
        printf(",\"entries\":%" PRIu64 ",\"sightings\":%" PRIu64 "}\n", s->entries, s->sightings);
    } else {
        printf("%-24s %-13s %-20s %6" PRIu64 " entries %6" PRIu64 " sightings\n", s->name,
               ward_series_status_name(s->status), s->team, s->entries, s->sightings);
    }
    return 0;
}

static void hash_text(const ward_victim_hash *h, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s%s%s%s%s%s", *h->sha256 ? "sha256:" : "", h->sha256,
             *h->sha256 && (*h->md5 || *h->pdq) ? " " : "", *h->md5 ? "md5:" : "", h->md5,
             *h->md5 && *h->pdq ? " " : "", *h->pdq ? "pdq:" : "", h->pdq);
}

static int print_entry(void *ctx, const ward_victim_hash *h, const char *label, const char *added,
                       const char *by)
{
    char t[1200];
    hash_text(h, t, sizeof t);
    printf("%s\t%s\t%s\t%s\n", t, *label ? label : "-", added, by);
    return 0;
}

static int print_log(void *ctx, const char *at, const char *who, const char *action,
                     const char *detail)
{
    printf("  %s  %-9s %s: %s\n", at, action, who, detail);
    return 0;
}

static int print_seen(void *ctx, const char *unit, const char *case_ref, const char *exhibit,
                      const char *contact, uint64_t files, const char *first, const char *last)
{
    (void)contact;
    printf("  %s\tcase %s%s%s\t%" PRIu64 " file(s)\t%s .. %s\n", unit, case_ref,
           *exhibit ? "\texhibit " : "", exhibit, files, first, last);
    return 0;
}

static int print_alert(void *ctx, const ward_victim_alert *a)
{
    int *c = ctx;
    c[1] += strcmp(a->state, "done") != 0;
    if (c[0]) {
        printf("{\"id\":%" PRId64, a->id);
        cli_json_field("at", a->at, 0), cli_json_field("unit", a->unit, 0);
        cli_json_field("priority", a->priority, 0), cli_json_field("kind", a->kind, 0);
        cli_json_field("series", a->series, 0), cli_json_field("hash", a->hash, 0);
        cli_json_field("message", a->message, 0), cli_json_field("state", a->state, 0);
        puts("}");
    } else {
        printf("%" PRId64 "\t%s\t%s\t%s\t%s\t%s\t%s\n", a->id, a->at, a->unit,
               !strcmp(a->priority, "high") ? "HIGH" : "normal", a->state, a->kind, a->message);
    }
    return 0;
}

static int print_quarantine(void *ctx, const ward_quarantine *q)
{
    printf("%s\t%s\tsince %s\t%" PRIu64 " units, %" PRIu64 " hits", q->hash, q->state, q->at,
           q->units, q->hits);
    if (*q->decided_by)
        printf("\t%s by %s: %s", q->decided_at, q->decided_by, q->reason);
    putchar('\n');
    return 0;
}

/* ---- check ----------------------------------------------------------------- */

typedef struct check_out {
    int json, new_image;
} check_out;

static int print_finding(void *ctx, const ward_victim_finding *f)
{
    check_out *o = ctx;
    o->new_image |= f->kind == WARD_VF_SERIES_NEW;
    if (o->json) {
        putchar('{');
        cli_json_field("kind", ward_victim_finding_name(f->kind), 1);
        cli_json_field("path", f->path, 0);
        cli_json_field("hash", f->hash, 0);
        printf(",\"distance\":%d", f->distance);
        if (f->series) {
            cli_json_field("series", f->series, 0);
            cli_json_field("status", ward_series_status_name(f->status), 0);
            cli_json_field("team", f->team, 0), cli_json_field("contact", f->contact, 0);
        }
        if (f->unit)
            cli_json_field("unit", f->unit, 0);
        cli_json_field("message", f->message, 0);
        puts("}");
    } else {
        printf("%s: %s\n", ward_victim_finding_name(f->kind), f->message);
    }
    return 0;
}

/* A possible new image of a known series: its exhibit goes to the head of
 * the examination queue (casework), recorded in the audit chain. */
static int put_forward(const sr_args *a)
{
    ward_intel *in = NULL;
    ward_error err = {0};
    ward_status st =
        ward_intel_open_keyed(cli_data_dir(a->data), cli_store_url(),
                              a->key_file ? a->key_file : cli_intel_key_file(), &in, &err);
    const char *why = "possibly a new image of a known series: a child may still be at risk";
    if (!st)
        st = ward_exhibit_prioritise(in, a->exhibit, "very-high", cli_user(), why, a->t, &err);
    ward_intel_close(in);
    if (st) {
        cli_error("series", "exhibit %s not put forward in the examination queue: %s", a->exhibit,
                  err.message);
        return cli_exit_for(st);
    }
    printf("exhibit %s put forward in the examination queue (very-high): %s\n", a->exhibit, why);
    /* as ward exhibit does: the change stands, the chain must say so */
    if (ward_serve_audit_append(cli_data_dir(a->data), cli_store_url(), cli_intel_key_file(),
                                cli_user(), "exhibit.prioritise", a->exhibit, why, &err)) {
        cli_error("series", "%s is put forward, but not in the service audit log: %s",
                  a->exhibit, err.message);
        return WARD_EXIT_IO;
    }
    return WARD_EXIT_OK;
}

static int do_check(ward_store *s, sr_args *a, int n, char **rest)
{
    if (n != 1)
        return cli_usage("series", "check: give the scan folder");
    ward_victim_check_opts o;
    ward_victim_check_opts_default(&o);
    o.unit = a->unit, o.case_ref = a->case_ref, o.contact = a->contact, o.exhibit = a->exhibit;
    o.who = cli_user();
    o.now = a->t;
    if (a->radius >= 0)
        o.radius = a->radius;
    if (a->flood_units)
        o.flood_units = a->flood_units;
    if (a->flood_hours)
        o.flood_hours = a->flood_hours;
    o.register_new = !a->no_register;
    ward_victim_check_summary sum;
    ward_error err = {0};
    check_out out = {a->json, 0};
    ward_status st = ward_victim_check_scan(s, rest[0], &o, print_finding, &out, &sum, &err);
    if (st)
        return fail(st, &err);
    uint64_t told = 0;
    for (int k = 0; k < WARD_VF_NKINDS; k++)
        told += sum.counts[k];
    fprintf(stderr,
            "ward series: %" PRIu64 " files read, %" PRIu64 " registered, %" PRIu64
            " findings, %" PRIu64 " alerts written%s\n",
            sum.files, sum.registered, told, sum.alerts,
            sum.bad ? " (some lines of files.jsonl did not parse)" : "");
    int rc = told || sum.bad ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
    int e = out.new_image && a->exhibit ? put_forward(a) : WARD_EXIT_OK;
    return e > rc ? e : rc;
}

int cli_series_scan_check(const char *data, const char *out_dir, const char *unit,
                          const char *case_ref, const char *contact, const char *exhibit)
{
    sr_args a = {.data = data, .unit = unit, .case_ref = case_ref, .contact = contact,
                 .exhibit = exhibit, .radius = -1, .t = time(NULL)};
    ward_store *s = NULL;
    ward_error err = {0};
    ward_status st = ward_store_open(data, cli_store_url(), 0, &s, &err);
    if (st) {
        cli_error("scan", "the scan is done but not checked against the series: %s",
                  err.message);
        return cli_exit_for(st);
    }
    char *rest[] = {(char *)out_dir};
    int r = do_check(s, &a, 1, rest);
    ward_store_close(s);
    return r;
}

static int print_retro(void *ctx, const ward_victim_retro_hit *h)
{
    printf("retro-match: unit %s: %s\n", h->unit, h->message);
    return 0;
}

static int rematch(ward_store *s, const char *data, int64_t since, int radius, const char *cmd)
{
    ward_victim_rematch_opts o;
    ward_victim_rematch_opts_default(&o);
    o.tmp_dir = cli_tmp_dir();
    o.since_entry = since;
    if (radius >= 0)
        o.radius = radius;
    ward_victim_rematch_summary sum;
    ward_error err = {0};
    ward_status st = ward_victim_rematch(s, &o, print_retro, NULL, &sum, &err);
    if (st) {
        cli_error(cmd, "earlier scans not re-matched against the new entries: %s", err.message);
        return cli_exit_for(st) > WARD_EXIT_FINDINGS ? cli_exit_for(st) : WARD_EXIT_FINDINGS;
    }
    if (sum.adopted || sum.told)
        fprintf(stderr,
                "ward %s: %" PRIu64 " new entries joined the series they name; %" PRIu64
                " series said identified by a list: their teams alerted\n",
                cmd, sum.adopted, sum.told);
    if (sum.new_entries || sum.hits)
        fprintf(stderr,
                "ward %s: %" PRIu64 " new entries (ids %" PRIu64 "..%" PRIu64 "] re-matched with %"
                PRIu64 " earlier sightings: %" PRIu64 " hits, alerts to their units\n",
                cmd, sum.new_entries, sum.from_entry, sum.to_entry, sum.sightings, sum.hits);
    /* the match service's recorded platform events, against the same new
     * entries (ids from..to]) */
    uint64_t events = 0, hits = 0;
    if (sum.to_entry > sum.from_entry &&
        (st = ward_serve_rematch_events(data, cli_store_url(), cli_intel_key_file(), s,
                                        (int64_t)sum.from_entry, (int64_t)sum.to_entry, radius,
                                        &events, &hits, &err)) != WARD_OK) {
        /* the import itself is done: a partial result (exit 1), not a
         * usage error, whatever kept service.db closed (an encrypted one
         * without WARD_INTEL_KEY_FILE, a server away) */
        cli_error(cmd, "platform match events not re-matched against the new entries "
                  "(ids %" PRIu64 "..%" PRIu64 "]): %s", sum.from_entry, sum.to_entry,
                  err.message);
        return WARD_EXIT_FINDINGS;
    }
    if (hits)
        fprintf(stderr,
                "ward %s: %" PRIu64 " recorded platform match events re-matched: %" PRIu64
                " hits, alerts to their API keys (unit key:ID)\n", cmd, events, hits);
    return sum.hits || sum.told || hits ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

int cli_series_rematch(ward_store *s, const char *data)
{
    return rematch(s, data, -1, -1, "db");
}

/* ---- signed releases (ward release create / pull) ---------------------------- */

int cli_series_release_write(ward_store *s, const char *const *lists, size_t n,
                             const char *path, int *any)
{
    *any = 0;
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("release", "cannot create %s: %s", path, strerror(errno));
        return WARD_EXIT_IO;
    }
    uint64_t ns = 0, ne = 0;
    ward_error err = {0};
    ward_status st = ward_series_release_write(s, lists, n, f, &ns, &ne, &err);
    int bad_close = fclose(f) != 0;
    if (st)
        return cli_fail("release", st, &err);
    if (bad_close) {
        cli_error("release", "cannot write %s: %s", path, strerror(errno));
        return WARD_EXIT_IO;
    }
    *any = ns > 0;
    if (ns)
        fprintf(stderr, "ward release: %" PRIu64 " series (status, team, contact) and %" PRIu64
                " of their entries go with the release\n", ns, ne);
    return WARD_EXIT_OK;
}

static int print_release_series(void *ctx, const char *kind, const char *series,
                                const char *message)
{
    (void)series;
    int *notices = ctx;
    if (!strcmp(kind, "bad")) {
        cli_error("release", "notice: %s", message);
        ++*notices;
    } else
        printf("%s: %s\n", kind, message);
    return 0;
}

int cli_series_release_apply(const char *data, const char *list, uint64_t version,
                             const char *key_id)
{
    char *path = NULL;
    ward_error err = {0};
    ward_status st = ward_release_series_path(cli_data_dir(data), list, &path, &err);
    if (st == WARD_ENOTFOUND)
        return WARD_EXIT_OK;
    ward_store *s = NULL;
    if (st == WARD_OK)
        st = ward_store_open(data, cli_store_url(), 0, &s, &err);
    char source[256];
    snprintf(source, sizeof source, "release %s v%" PRIu64 " (key %s)", list, version, key_id);
    ward_series_release_summary sum;
    int notices = 0;
    if (st == WARD_OK)
        st = ward_series_release_apply(s, path, source, cli_user(), time(NULL),
                                       print_release_series, &notices, &sum, &err);
    ward_store_close(s);
    free(path);
    if (st) {
        cli_error("release", "the release's series not applied: %s", err.message);
        return cli_exit_for(st) > WARD_EXIT_FINDINGS ? cli_exit_for(st) : WARD_EXIT_FINDINGS;
    }
    fprintf(stderr,
            "ward release: %" PRIu64 " series in the release, %" PRIu64 " kept here (%" PRIu64
            " entries joined, %" PRIu64 " in another series here left there), %" PRIu64
            " not kept here; %" PRIu64 " said identified there: their teams alerted\n",
            sum.series, sum.kept, sum.joined, sum.elsewhere, sum.not_kept, sum.told);
    return sum.told || sum.bad ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

/* ---- dispatch ---------------------------------------------------------------- */

static int need_n(int n, int want, const char *action, const char *what)
{
    return n == want ? 0 : cli_usage("series", "%s: give %s", action, what);
}

static int parse_hashes(int n, char **v, ward_victim_hash **out)
{
    ward_victim_hash *h = calloc((size_t)n, sizeof *h);
    if (!h)
        return WARD_EXIT_INTERNAL;
    for (int i = 0; i < n; i++) {
        ward_error err = {0};
        if (ward_victim_hash_parse(v[i], &h[i], &err)) {
            free(h);
            return cli_usage("series", "%s", err.message);
        }
    }
    *out = h;
    return 0;
}

static int do_add(ward_store *s, sr_args *a, int n, char **rest)
{
    ward_error err = {0};
    if (n < 1 || (a->from_store ? n != 1 : n < 2))
        return cli_usage("series", "add: give NAME HASH... or NAME --from-store");
    if (a->from_store) {
        uint64_t added = 0;
        ward_status st = ward_series_add_from_store(s, rest[0], cli_user(), &added, &err);
        if (st)
            return fail(st, &err);
        printf("%s: %" PRIu64 " entries added from the store\n", rest[0], added);
        return WARD_EXIT_OK;
    }
    ward_victim_hash *h = NULL;
    int r = parse_hashes(n - 1, rest + 1, &h);
    if (r)
        return r;
    int total = 0;
    ward_status st = WARD_OK;
    for (int i = 0; !st && i < n - 1; i++) {
        int added = 0;
        st = ward_series_add(s, rest[0], &h[i], a->label, cli_user(), &added, &err);
        total += added;
    }
    free(h);
    if (st)
        return fail(st, &err);
    printf("%s: %d entries added\n", rest[0], total);
    return WARD_EXIT_OK;
}

static int do_show(ward_store *s, sr_args *a, const char *name)
{
    ward_series sr;
    ward_error err = {0};
    ward_status st = ward_series_get(s, name, &sr, &err);
    if (st)
        return fail(st, &err);
    print_series(&a->json, &sr);
    if (a->json)
        return WARD_EXIT_OK;
    printf("  contact %s; created %s by %s", *sr.contact ? sr.contact : "(none)", sr.created,
           sr.created_by);
    if (*sr.status_at)
        printf("; %s since %s by %s", ward_series_status_name(sr.status), sr.status_at,
               sr.status_by);
    puts("\nseen:");
    if (!(st = ward_series_seen(s, name, print_seen, NULL, &err)))
        puts("log:");
    if (!st)
        st = ward_series_log(s, name, print_log, NULL, &err);
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

static int do_quarantine(ward_store *s, sr_args *a, int n, char **rest)
{
    ward_error err = {0};
    ward_status st;
    if (n == 0 || (n == 1 && !strcmp(rest[0], "list")))
        st = ward_quarantine_each(s, print_quarantine, NULL, &err);
    else if (n == 2 && (!strcmp(rest[0], "release") || !strcmp(rest[0], "remove"))) {
        if (!a->reason)
            return cli_usage("series", "quarantine %s: give --reason TEXT", rest[0]);
        uint64_t removed = 0;
        st = !strcmp(rest[0], "release")
                 ? ward_quarantine_release(s, rest[1], cli_user(), a->reason, &err)
                 : ward_quarantine_remove(s, rest[1], cli_user(), a->reason, &removed, &err);
        if (!st)
            printf("%s %s%s", rest[1], !strcmp(rest[0], "release") ? "released" : "removed",
                   !strcmp(rest[0], "remove") ? "" : ": alerts resume\n");
        if (!st && !strcmp(rest[0], "remove"))
            printf(": %" PRIu64 " list entries removed as false positives\n", removed);
    } else
        return cli_usage("series", "quarantine [list] | release|remove HASH --reason TEXT");
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

static int dispatch(ward_store *s, sr_args *a, const char *action, int n, char **rest)
{
    ward_error err = {0};
    ward_status st = WARD_OK;
    const char *who = cli_user();
    int r;
    if (!strcmp(action, "check"))
        return do_check(s, a, n, rest);
    if (!strcmp(action, "add"))
        return do_add(s, a, n, rest);
    if (!strcmp(action, "quarantine"))
        return do_quarantine(s, a, n, rest);
    if (!strcmp(action, "export")) {
        if (n > 1)
            return cli_usage("series", "export: at most one series name");
        uint64_t written = 0;
        ward_status e = ward_series_export_vics(s, n ? rest[0] : NULL, stdout, &written, &err);
        if (e)
            return fail(e, &err);
        fprintf(stderr, "ward series: exported %" PRIu64 " entries as VICS 2.0\n", written);
        return WARD_EXIT_OK;
    }
    if (!strcmp(action, "rematch")) {
        char *end;
        long long since = n == 1 ? strtoll(rest[0], &end, 10) : -1;
        if (n > 1 || (n == 1 && (*end || since < 0)))
            return cli_usage("series", "rematch: at most one entry id to rematch after");
        return rematch(s, a->data, since, a->radius, "series");
    }
    if (!strcmp(action, "list")) {
        st = ward_series_each(s, print_series, &a->json, &err);
    } else if (!strcmp(action, "alerts")) {
        int c[2] = {a->json, 0};
        st = ward_victim_alerts(s, a->unit, !a->all, print_alert, c, &err);
        if (!st)
            return c[1] ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
    } else if (!strcmp(action, "done")) {
        char *end;
        long long id = n == 1 ? strtoll(rest[0], &end, 10) : 0;
        if (n != 1 || *end || id <= 0)
            return cli_usage("series", "done: give the alert's id");
        st = ward_victim_alert_done(s, id, who, &err);
    } else if (!strcmp(action, "create")) {
        if ((r = need_n(n, 1, action, "NAME --team TEAM")))
            return r;
        st = ward_series_create(s, rest[0], a->team, a->contact, who, &err);
    } else if (!strcmp(action, "show")) {
        return need_n(n, 1, action, "NAME") ?: do_show(s, a, rest[0]);
    } else if (!strcmp(action, "rename")) {
        if ((r = need_n(n, 2, action, "NAME NEW")))
            return r;
        st = ward_series_rename(s, rest[0], rest[1], who, &err);
    } else if (!strcmp(action, "merge")) {
        if ((r = need_n(n, 2, action, "INTO FROM")))
            return r;
        st = ward_series_merge(s, rest[0], rest[1], who, &err);
    } else if (!strcmp(action, "split")) {
        if (n < 3)
            return cli_usage("series", "split: give FROM NEW HASH...");
        ward_victim_hash *h = NULL;
        if ((r = parse_hashes(n - 2, rest + 2, &h)))
            return r;
        uint64_t moved = 0;
        st = ward_series_split(s, rest[0], rest[1], h, (size_t)(n - 2), who, &moved, &err);
        free(h);
        if (!st)
            printf("%s: %" PRIu64 " entries split off from %s\n", rest[1], moved, rest[0]);
    } else if (!strcmp(action, "status")) {
        if ((r = need_n(n, 2, action, "NAME STATUS")))
            return r;
        int k = ward_series_status_parse(rest[1]);
        if (k < 0)
            return cli_usage("series", "status '%s': unidentified, identified or safeguarded",
                             rest[1]);
        st = ward_series_set_status(s, rest[0], (ward_series_status)k, who, a->note, &err);
    } else if (!strcmp(action, "team")) {
        if ((r = need_n(n, 1, action, "NAME [--team TEAM] [--contact C]")))
            return r;
        st = ward_series_set_team(s, rest[0], a->team, a->contact, who, &err);
    } else if (!strcmp(action, "note")) {
        if ((r = need_n(n, 2, action, "NAME TEXT")))
            return r;
        st = ward_series_note(s, rest[0], rest[1], who, &err);
    } else if (!strcmp(action, "entries")) {
        if ((r = need_n(n, 1, action, "NAME")))
            return r;
        st = ward_series_entries(s, rest[0], print_entry, NULL, &err);
    } else if (!strcmp(action, "seen")) {
        if ((r = need_n(n, 1, action, "NAME")))
            return r;
        st = ward_series_seen(s, rest[0], print_seen, NULL, &err);
    } else if (!strcmp(action, "log")) {
        if ((r = need_n(n, 1, action, "NAME")))
            return r;
        st = ward_series_log(s, rest[0], print_log, NULL, &err);
    } else {
        return cli_usage("series", "unknown action '%s'", action);
    }
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

static int run_series(int argc, char **argv)
{
    sr_args a = {.radius = -1};
    int r, optind;
    if ((r = cli_parse_opts(&cli_cmd_series, &a, argc, argv, &optind)) != CLI_GO_ON)
        return r;
    if (optind >= argc)
        return cli_usage("series", "no action given");
    a.t = time(NULL);
    if (a.now && cli_parse_now(a.now, &a.t))
        return cli_usage("series", "bad --now '%s' (YYYY-MM-DDTHH:MM:SSZ)", a.now);
    const char *action = argv[optind++];
    ward_store *s = NULL;
    ward_error err = {0};
    ward_status st = ward_store_open(cli_data_dir(a.data), cli_store_url(), 0, &s, &err);
    if (st)
        return fail(st, &err);
    r = dispatch(s, &a, action, argc - optind, argv + optind);
    ward_store_close(s);
    return r;
}

const cli_command cli_cmd_series = {
    .name = "series",
    .run = run_series,
    .summary = "Victim identification: series, sightings across units",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
