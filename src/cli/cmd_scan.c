/*
 * ward scan: triage of seized media against the hash sets. Parses options,
 * runs ward_scan_run (scan.h), shows progress, prints the human summary.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ward/scan.h>

static const char help[] =
"NAME\n"
"    ward scan - triage seized media against the hash sets\n"
"\n"
"SYNOPSIS\n"
"    ward scan --out DIR [options] SOURCE...\n"
"    ward scan --out DIR --resume [options] SOURCE...\n"
"\n"
"DESCRIPTION\n"
"    Reads every file of every SOURCE once (directories, single files,\n"
"    archives inside them, raw/dd, E01, VMDK and VHD disk images, QCOW2,\n"
"    VHDX and VDI through qemu-img), computes its MD5,\n"
"    SHA-1 and SHA-256, looks them up in the store of the data directory\n"
"    and, for images not known exactly, compares their 8 dihedral PDQ\n"
"    hashes (rotations and mirrors) with every PDQ entry within a Hamming\n"
"    radius. Nobody has to view a file for it to be counted. Each file gets\n"
"    one verdict:\n"
"\n"
"      known      a digest is on an alert list (list, category, series)\n"
"      near       an image within the radius of an alert-list PDQ\n"
"                 (distance, matched entry, which rotation/mirror)\n"
"      ignorable  a digest is only on known-good lists (e.g. NSRL)\n"
"      new-image  an image that matched nothing: a person must review it\n"
"      new-video  a video none of whose sampled frames matched: the same\n"
"      other      not an image, matched nothing\n"
"      error      could not be read or decoded (the reason is kept)\n"
"\n"
"    Videos (MP4, MOV, MKV, WebM, AVI, MPEG-TS/PS, FLV) are sampled at one\n"
"    frame a second through FFmpeg (vPDQ); every frame of good quality is\n"
"    compared with the PDQ lists, so a video made from known images, or\n"
"    holding a known still, is 'near' (with the frame and timestamp). The\n"
"    frame hashes are kept in the file's record.\n"
"\n"
"    Identical files inside the evidence are grouped: each copy names the\n"
"    first one (duplicate_of). Archives\n"
"    (zip, tar, 7z, rar, gz, ... via libarchive) are read as streams, never\n"
"    extracted; disk images are walked through The Sleuth Kit, including\n"
"    deleted files it can still read (marked deleted); a disk image inside\n"
"    an archive is copied to a temporary file to be walked (--max-spool).\n"
"    Partitions are named p<N>@<start sector>, as mmls shows them. An E01's\n"
"    record adds the acquired media's digests, checked against those stored\n"
"    in it (as ewfverify). Evidence is opened read-only. What could not be\n"
"    examined (too deep, a zip bomb, an image too large, an encrypted or\n"
"    damaged container, an unreadable partition, an E01 whose media does\n"
"    not match) is listed with the reason, exit status 1, and the scan\n"
"    goes on.\n"
"\n"
"    Results are written to --out DIR as the scan runs. Ctrl-C (or kill)\n"
"    stops at a checkpoint; the same command with --resume finishes the job\n"
"    without re-hashing what was done, and the reports are the same as\n"
"    those of an uninterrupted run.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"REPORTS (in --out DIR)\n"
"    summary.txt    counts by verdict, list and category; what was not\n"
"                   examined; the store revision and index digest used\n"
"    summary.json   the same for programs\n"
"    files.jsonl    one record per file, in source order (docs/scan.md)\n"
"    files.csv      the same as a spreadsheet\n"
"    report.html    one self-contained page for the officer in the case:\n"
"                   totals, charts, the new images to review; never any\n"
"                   known or near material\n"
"    dfxml.xml      Digital Forensics XML\n"
"    vics.json      Project VIC VICS 2.0 case export\n"
"    case.jsonld    CASE/UCO JSON-LD\n"
"    thumbs/        with --thumbnails only\n"
"    notices.jsonl  everything not examined, with the reason\n"
"    scan-state.json, scan.fingerprint, checkpoint.json  resume state\n"
"\n"
"EXIT STATUS\n"
"    0  done; nothing known or near, everything examined\n"
"    1  done with findings (known or near files), or something was not\n"
"       examined, or interrupted (resume to finish)\n"
"    2  usage error    3  no store, or --resume does not match the DIR\n"
"    4  DIR could not be written    5  internal error\n"
"\n"
"EXAMPLES\n"
"    ward db import --list national national.json\n"
"    ward scan --out case-0042 /mnt/evidence/laptop.E01 /mnt/evidence/usb/\n"
"    ward scan --out case-0042 --resume /mnt/evidence/laptop.E01 /mnt/evidence/usb/\n"
"    ward scan --out quick --no-disk-images -j 2 --progress jsonl phone-dump.zip\n";

/* What the command line sets: the library's options, and the CLI's own. */
typedef struct scan_args {
    ward_scan_opts o;
    const char *data, *progress, *digests, *thumbnails;
    const char *exhibit, *unit, *case_ref, *contact;
    int quiet;
} scan_args;

#define A(m) CLI_AT_INT(scan_args, m)
static const cli_opt options[] = {
    {"out", 'o', CLI_STRING, CLI_AT_STR(scan_args, o.out_dir), "DIR",
     .help = "report folder (created; required)"},
    {"resume", 0, CLI_FLAG, A(o.resume),
     .help = "continue the interrupted scan in DIR (same\nSOURCEs and options)"},
    {"checkpoint", 0, CLI_SECONDS, CLI_AT_SECONDS(scan_args, o.checkpoint_s), "S", 0.05, 3600,
     .def = "2", .help = "seconds between checkpoints: what a kill -9\ncan lose, at most"},
    {"data", 0, CLI_STRING, CLI_AT_STR(scan_args, data), "DIR",
     .def = "$WARD_DATA, else ~/.local/share/ward",
     .help = "data directory with the store"},
    {"threads", 'j', CLI_INT, A(o.threads), "N", 1, 1024, .def = "all cores",
     .help = "worker threads"},
    {"radius", 'r', CLI_INT, A(o.radius), "R", 0, 64, .def = CLI_NUM(WARD_INDEX_PDQ_RADIUS),
     .help = "PDQ Hamming radius for 'near'"},
    {"min-quality", 0, CLI_INT, A(o.min_quality), "Q", 0, 100,
     .def = CLI_NUM(WARD_INDEX_PDQ_MIN_QUALITY),
     .help = "no near-matching of images whose PDQ quality is\nbelow Q (as PDQ's authors advise)"},
    {"digests", 'c', CLI_STRING, CLI_AT_STR(scan_args, digests), "LIST", .def = "all",
     .help = "md5,sha1,sha256 or all; MD5 is computed\nwhatever LIST says (vics.json keys on it)"},
    {"max-depth", 0, CLI_INT, A(o.source.max_depth), "N", 0, 64, .def = "5",
     .help = "archive/disk-image nesting"},
    {"max-ratio", 0, CLI_COUNT, CLI_AT_U64(scan_args, o.source.max_ratio), "N", 2, 1e18,
     .def = "100", .help = "expansion ratio that marks a bomb"},
    {"max-pixels", 0, CLI_COUNT, CLI_AT_U64(scan_args, o.hash.decode.max_pixels), "N", 1,
     1e18, .def = "100M", .help = "largest image decoded (k/M/G suffixes)"},
    {"video-interval", 0, CLI_SECONDS, CLI_AT_SECONDS(scan_args, o.hash.vpdq.video.interval),
     "S", 0.01, 3600, .def = "1", .help = "sample a video frame every S seconds"},
    {"max-video-duration", 0, CLI_SECONDS,
     CLI_AT_SECONDS(scan_args, o.hash.vpdq.video.max_duration), "S", 1, 1e7, .def = "6 h",
     .help = "longest video sampled (longer ones keep their\ndigests and are listed as errors)"},
    {"max-path", 0, CLI_INT, A(o.source.max_path), "N", 64, 1 << 20, .def = "4096",
     .help = "longest path inside a source"},
    {"max-spool", 0, CLI_COUNT, CLI_AT_U64(scan_args, o.source.max_spool), "SIZE", 0, 1e18,
     .def = "4G", .help = "disk space for disk images found inside archives,\n"
                         "copied to a temporary file to be walked\n"
                         "(bytes, k/M/G; 0: list them as not examined)"},
    {"spool-dir", 0, CLI_STRING, CLI_AT_STR(scan_args, o.source.spool_dir), "DIR",
     .def = "$TMPDIR or /tmp", .help = "where those copies go"},
    {"no-archives", 0, CLI_UNSET, A(o.source.open_archives),
     .help = "do not open archives (hash them as files)"},
    {"no-disk-images", 0, CLI_UNSET, A(o.source.open_disk_images),
     .help = "do not open disk images (hash them as files)"},
    {"follow", 'L', CLI_FLAG, A(o.source.follow_symlinks),
     .help = "follow symbolic links inside directories"},
    {"full-decode", 0, CLI_UNSET, A(o.hash.decode.jpeg_fast),
     .help = "decode JPEGs at full size (slower)"},
    {"no-pdq", 0, CLI_UNSET, A(o.pdq),
     .help = "digests only: no image is decoded, so nothing\nis 'near'; images not known by "
             "digest are\n'new-image' (recognised from their first bytes)"},
    {"thumbnails", 0, CLI_CHOICE, CLI_AT_STR(scan_args, thumbnails), "blur|clear",
     .choices = "blur|clear", .implied = "blur",
     .help = "write small greyscale thumbnails of NEW images\nonly (thumbs/, shown in "
             "report.html), blurred in\nthe pixels unless 'clear'. Known and near files\n"
             "never get one"},
    {"progress", 0, CLI_CHOICE, CLI_AT_STR(scan_args, progress), "MODE",
     .choices = "tty|jsonl|none", .def = "tty on a terminal, else none",
     .help = "tty, jsonl (one JSON object per second on\nstandard error, for other tools) "
             "or none"},
    {"quiet", 'q', CLI_FLAG, A(quiet), .help = "no progress, no summary on standard output"},
    {"exhibit", 0, CLI_STRING, CLI_AT_STR(scan_args, exhibit), "REF",
     .help = "SOURCE is exhibit REF's acquired image: its\ndigests are checked first (a "
             "mismatch is refused,\nexit 3) and the summary is attached to the\nexhibit "
             "afterwards (ward exhibit --help)"},
    {"unit", 0, CLI_STRING, CLI_AT_STR(scan_args, unit), "U",
     .help = "with --case and --contact: after the scan,\ncheck it against the image "
             "series and the\nregister of other units' sightings and register\nits files "
             "for unit U's case C (as 'ward series\ncheck'; see ward series --help)"},
    {"case", 0, CLI_STRING, CLI_AT_STR(scan_args, case_ref), "C",
     .help = "the case reference for --unit"},
    {"contact", 0, CLI_STRING, CLI_AT_STR(scan_args, contact), "X",
     .help = "how another unit reaches the case's officer"},
    CLI_OPT_END};
#undef A

typedef enum { PROGRESS_NONE, PROGRESS_TTY, PROGRESS_JSONL } progress_mode;

typedef struct progress_state {
    progress_mode mode;
    double last_jsonl;
    int drew;             /* a TTY line is on screen */
} progress_state;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void human_bytes(uint64_t b, char *buf, size_t cap)
{
    const char *unit[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1000 && u < 4) v /= 1000, u++;
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void show_progress(void *ctx, const ward_scan_progress *p)
{
    progress_state *ps = ctx;
    const uint64_t *c = p->counts;
    double t = p->elapsed > 0 ? p->elapsed : 1e-9;
    if (ps->mode == PROGRESS_JSONL) {
        if (p->elapsed - ps->last_jsonl < 1.0 && p->elapsed > 0 && ps->last_jsonl >= 0)
            return;
        ps->last_jsonl = p->elapsed;
        fprintf(stderr,
                "{\"elapsed_s\":%.1f,\"files\":%" PRIu64 ",\"bytes\":%" PRIu64
                ",\"host_bytes_done\":%" PRIu64 ",\"host_bytes_total\":%" PRIu64
                ",\"known\":%" PRIu64 ",\"near\":%" PRIu64 ",\"ignorable\":%" PRIu64
                ",\"new_image\":%" PRIu64 ",\"other\":%" PRIu64 ",\"error\":%" PRIu64
                ",\"notices\":%" PRIu64 "}\n",
                p->elapsed, p->files, p->bytes, p->host_bytes_done, p->host_bytes_total,
                c[WARD_VERDICT_KNOWN], c[WARD_VERDICT_NEAR], c[WARD_VERDICT_IGNORABLE],
                c[WARD_VERDICT_NEW_IMAGE], c[WARD_VERDICT_OTHER], c[WARD_VERDICT_ERROR],
                p->notices);
        fflush(stderr);
        return;
    }
    if (ps->mode != PROGRESS_TTY)
        return;
    char bytes[32], eta[32] = "";
    human_bytes(p->bytes, bytes, sizeof bytes);
    double rate = (double)p->host_bytes_done / t;
    if (p->host_bytes_total > p->host_bytes_done && rate > 0) {
        double left = (double)(p->host_bytes_total - p->host_bytes_done) / rate;
        snprintf(eta, sizeof eta, " ETA %dm%02ds", (int)(left / 60), (int)left % 60);
    }
    fprintf(stderr,
            "\r\033[K%" PRIu64 " files, %s, %.0f files/s, %.1f MB/s%s | known %" PRIu64
            " near %" PRIu64 " ignorable %" PRIu64 " new %" PRIu64 " other %" PRIu64
            " error %" PRIu64,
            p->files, bytes, (double)p->files / t, (double)p->bytes / t / 1e6, eta,
            c[WARD_VERDICT_KNOWN], c[WARD_VERDICT_NEAR], c[WARD_VERDICT_IGNORABLE],
            c[WARD_VERDICT_NEW_IMAGE], c[WARD_VERDICT_OTHER], c[WARD_VERDICT_ERROR]);
    ps->drew = 1;
}

static int print_file(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int run_scan(int argc, char **argv)
{
    scan_args a = {0};
    ward_scan_opts_default(&a.o);
    ward_error err;
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_scan, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    if (a.digests) {
        if (ward_digest_parse_list(a.digests, &a.o.hash.digests, &err) != WARD_OK)
            return cli_usage("scan", "%s", err.message);
        a.o.source.digests = a.o.hash.digests;
    }
    if (a.thumbnails)
        a.o.thumbnails = strcmp(a.thumbnails, "clear") ? WARD_THUMBS_BLURRED : WARD_THUMBS_CLEAR;
    const char *data = a.data, *progress = a.progress, *exhibit = a.exhibit, *unit = a.unit,
               *case_ref = a.case_ref, *contact = a.contact;
    int quiet = a.quiet;
    if (!a.o.out_dir)
        return cli_usage("scan", "--out DIR is required (the report folder)");
    if (optind >= argc)
        return cli_usage("scan", "no SOURCE given");
    if ((unit || case_ref || contact) && !(unit && case_ref && contact))
        return cli_usage("scan", "--unit, --case and --contact go together");
    if (a.o.thumbnails && !a.o.pdq)
        return cli_usage("scan", "--thumbnails needs images decoded (drop --no-pdq)");
    if (!a.o.hash.digests)
        return cli_usage("scan", "at least one digest is needed to look files up");
    /* vics.json keys each Media on MD5 (VICS consumers recognise a set by
     * MD5 and MediaID): computed whatever -c names (0 means all). */
    a.o.hash.digests |= WARD_DIGEST_MD5;
    if (a.o.source.digests) a.o.source.digests |= WARD_DIGEST_MD5;
    progress_state ps = {.mode = PROGRESS_NONE, .last_jsonl = -1};
    if (progress && strcmp(progress, "jsonl") == 0) ps.mode = PROGRESS_JSONL;
    else if (progress && strcmp(progress, "tty") == 0) ps.mode = PROGRESS_TTY;
    else if (!progress && !quiet && isatty(STDERR_FILENO)) ps.mode = PROGRESS_TTY;

    a.o.data_dir = cli_data_dir(data);
    a.o.store_url = cli_store_url();
    if (!a.o.source.spool_dir)
        a.o.source.spool_dir = cli_tmp_dir();
    if (exhibit && argc - optind != 1)
        return cli_usage("scan", "--exhibit: give the exhibit's one image as SOURCE");
    if (exhibit && (c = cli_exhibit_scan_check(a.o.data_dir, exhibit, argv[optind])))
        return c;
    char *command = cli_join_argv(argc + 1, argv - 1);
    a.o.command = command;
    a.o.progress = show_progress;
    a.o.progress_ctx = &ps;
    a.o.interrupt = &interrupted;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    ward_scan_result res;
    ward_status st = ward_scan_run((const char *const *)argv + optind, argc - optind, &a.o, &res,
                                   &err);
    free(command);
    if (ps.drew) fputc('\n', stderr);
    if (st != WARD_OK) {
        cli_error("scan", "%s", err.message); /* a missing store's says to import */
        return cli_exit_for(st);
    }
    if (res.interrupted) {
        cli_error("scan", "interrupted after %" PRIu64 " files; the checkpoint is in %s.\n"
                  "  Finish with the same command and --resume.", res.totals.files, a.o.out_dir);
        return WARD_EXIT_FINDINGS;
    }
    if (!quiet && print_file(a.o.out_dir, "summary.txt") != 0)
        cli_error("scan", "cannot read %s/summary.txt", a.o.out_dir);
    if (exhibit && (c = cli_exhibit_scan_attach(a.o.data_dir, exhibit, a.o.out_dir)))
        return c;
    const uint64_t *k = res.totals.counts;
    int findings = k[WARD_VERDICT_KNOWN] || k[WARD_VERDICT_NEAR] || k[WARD_VERDICT_ERROR] ||
                   res.totals.notices;
    if (unit && (c = cli_series_scan_check(a.o.data_dir, a.o.out_dir, unit, case_ref, contact,
                                           exhibit)) > WARD_EXIT_FINDINGS)
        return c;
    findings |= unit && c == WARD_EXIT_FINDINGS;
    return findings ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

const cli_command cli_cmd_scan = {
    .name = "scan",
    .run = run_scan,
    .summary = "Triage seized media against the hash sets",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
