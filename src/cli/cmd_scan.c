/*
 * ward scan: triage of seized media against the hash sets. Parses options,
 * runs ward_scan_run (scan.h), shows progress, prints the human summary.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
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
"OPTIONS\n"
"    -o, --out DIR          report folder (created; required)\n"
"        --resume           continue the interrupted scan in DIR (same\n"
"                           SOURCEs and options)\n"
"        --checkpoint S     seconds between checkpoints (default 2): what\n"
"                           a kill -9 can lose, at most\n"
"        --data DIR         data directory with the store (default\n"
"                           $WARD_DATA, else ~/.local/share/ward)\n"
"    -j, --threads N        worker threads (default: all cores)\n"
"    -r, --radius R         PDQ Hamming radius for 'near' (default " CLI_NUM(WARD_INDEX_PDQ_RADIUS) ", 0-64)\n"
"        --min-quality Q    no near-matching of images whose PDQ quality is\n"
"                           below Q (default 50, as PDQ's authors advise)\n"
"    -c, --digests LIST     md5,sha1,sha256 or all (default); MD5 is\n"
"                           computed whatever LIST says (vics.json keys on it)\n"
"        --max-depth N      archive/disk-image nesting (default 5)\n"
"        --max-ratio N      expansion ratio that marks a bomb (default 100)\n"
"        --max-pixels N     largest image decoded (default 100M)\n"
"        --video-interval S sample a video frame every S seconds (default 1)\n"
"        --max-video-duration S  longest video sampled (default 6 h; longer\n"
"                           ones keep their digests and are listed as errors)\n"
"        --max-path N       longest path inside a source (default 4096)\n"
"        --max-spool SIZE   disk space for disk images found inside archives,\n"
"                           copied to a temporary file to be walked\n"
"                           (default 4 GiB; 0: list them as not examined)\n"
"        --spool-dir DIR    where those copies go (default $TMPDIR or /tmp)\n"
"        --no-archives      do not open archives (hash them as files)\n"
"        --no-disk-images   do not open disk images (hash them as files)\n"
"    -L, --follow           follow symbolic links inside directories\n"
"        --full-decode      decode JPEGs at full size (slower)\n"
"        --no-pdq           digests only: no image is decoded, so nothing\n"
"                           is 'near'; images not known by digest are\n"
"                           'new-image' (recognised from their first bytes)\n"
"        --thumbnails[=blur|clear]\n"
"                           write small greyscale thumbnails of NEW images\n"
"                           only (thumbs/, shown in report.html), blurred in\n"
"                           the pixels unless 'clear'. Known and near files\n"
"                           never get one\n"
"        --progress MODE    tty (default when standard error is a\n"
"                           terminal), jsonl (one JSON object per second\n"
"                           on standard error, for other tools) or none\n"
"    -q, --quiet            no progress, no summary on standard output\n"
"        --exhibit REF      SOURCE is exhibit REF's acquired image: its\n"
"                           digests are checked first (a mismatch is refused,\n"
"                           exit 3) and the summary is attached to the\n"
"                           exhibit afterwards (ward exhibit --help)\n"
"        --unit U --case C --contact X\n"
"                           after the scan, check it against the image series\n"
"                           and the register of other units' sightings and\n"
"                           register its files for unit U's case C (as 'ward\n"
"                           series check'; see ward series --help)\n"
"    -h, --help             this manual\n"
"\n"
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

enum {
    OPT_RESUME = 256, OPT_DATA, OPT_MINQ, OPT_DEPTH, OPT_RATIO, OPT_MAXPX, OPT_MAXPATH,
    OPT_NOARCH, OPT_NODISK, OPT_FULL, OPT_PROGRESS, OPT_NOPDQ, OPT_THUMBS, OPT_CHECKPOINT,
    OPT_VINTERVAL, OPT_VMAXDUR, OPT_MAXSPOOL, OPT_SPOOLDIR, OPT_EXHIBIT, OPT_UNIT, OPT_CASE,
    OPT_CONTACT
};

static const struct option long_opts[] = {
    {"out", required_argument, NULL, 'o'},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"data", required_argument, NULL, OPT_DATA},
    {"threads", required_argument, NULL, 'j'},
    {"radius", required_argument, NULL, 'r'},
    {"min-quality", required_argument, NULL, OPT_MINQ},
    {"digests", required_argument, NULL, 'c'},
    {"max-depth", required_argument, NULL, OPT_DEPTH},
    {"max-ratio", required_argument, NULL, OPT_RATIO},
    {"max-pixels", required_argument, NULL, OPT_MAXPX},
    {"max-path", required_argument, NULL, OPT_MAXPATH},
    {"max-spool", required_argument, NULL, OPT_MAXSPOOL},
    {"spool-dir", required_argument, NULL, OPT_SPOOLDIR},
    {"no-archives", no_argument, NULL, OPT_NOARCH},
    {"no-disk-images", no_argument, NULL, OPT_NODISK},
    {"follow", no_argument, NULL, 'L'},
    {"full-decode", no_argument, NULL, OPT_FULL},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"no-pdq", no_argument, NULL, OPT_NOPDQ},
    {"video-interval", required_argument, NULL, OPT_VINTERVAL},
    {"max-video-duration", required_argument, NULL, OPT_VMAXDUR},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"thumbnails", optional_argument, NULL, OPT_THUMBS},
    {"quiet", no_argument, NULL, 'q'},
    {"exhibit", required_argument, NULL, OPT_EXHIBIT},
    {"unit", required_argument, NULL, OPT_UNIT},
    {"case", required_argument, NULL, OPT_CASE},
    {"contact", required_argument, NULL, OPT_CONTACT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

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

static int parse_int(const char *s, int lo, int hi, int *out)
{
    uint64_t v;
    if (cli_parse_count(s, &v) != 0 || v < (uint64_t)lo || v > (uint64_t)hi) return -1;
    *out = (int)v;
    return 0;
}

static int exit_for(ward_status st)
{
    switch (st) {
    case WARD_ENOTFOUND:
    case WARD_EINVAL:
    case WARD_EFORMAT: return WARD_EXIT_DATA;
    case WARD_EIO: return WARD_EXIT_IO;
    case WARD_EBUSY: return WARD_EXIT_BUSY;
    default: return WARD_EXIT_INTERNAL;
    }
}

static int run_scan(int argc, char **argv)
{
    ward_scan_opts o;
    ward_scan_opts_default(&o);
    const char *data = NULL, *progress = NULL;
    int quiet = 0, c;
    const char *exhibit = NULL, *unit = NULL, *case_ref = NULL, *contact = NULL;
    uint64_t n;
    ward_error err;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:j:r:c:Lqh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case OPT_RESUME: o.resume = 1; break;
        case OPT_DATA: data = optarg; break;
        case 'j':
            if (parse_int(optarg, 1, 1024, &o.threads))
                return cli_usage("scan", "bad --threads '%s' (1..1024)", optarg);
            break;
        case 'r':
            if (parse_int(optarg, 0, 64, &o.radius))
                return cli_usage("scan", "bad --radius '%s' (0..64)", optarg);
            break;
        case OPT_MINQ:
            if (parse_int(optarg, 0, 100, &o.min_quality))
                return cli_usage("scan", "bad --min-quality '%s' (0..100)", optarg);
            break;
        case 'c':
            if (ward_digest_parse_list(optarg, &o.hash.digests, &err) != WARD_OK)
                return cli_usage("scan", "%s", err.message);
            o.source.digests = o.hash.digests;
            break;
        case OPT_DEPTH:
            if (parse_int(optarg, 0, 64, &o.source.max_depth))
                return cli_usage("scan", "bad --max-depth '%s' (0..64)", optarg);
            break;
        case OPT_RATIO:
            if (cli_parse_count(optarg, &n) || n < 2)
                return cli_usage("scan", "bad --max-ratio '%s' (at least 2)", optarg);
            o.source.max_ratio = n;
            break;
        case OPT_MAXPX:
            if (cli_parse_count(optarg, &n) || n == 0)
                return cli_usage("scan", "bad --max-pixels '%s'", optarg);
            o.hash.decode.max_pixels = n;
            break;
        case OPT_MAXPATH:
            if (parse_int(optarg, 64, 1 << 20, &o.source.max_path))
                return cli_usage("scan", "bad --max-path '%s' (64..1M)", optarg);
            break;
        case OPT_MAXSPOOL:
            if (cli_parse_count(optarg, &n))
                return cli_usage("scan", "bad --max-spool '%s' (bytes, e.g. 4G; 0: never)", optarg);
            o.source.max_spool = n;
            break;
        case OPT_SPOOLDIR: o.source.spool_dir = optarg; break;
        case OPT_NOARCH: o.source.open_archives = 0; break;
        case OPT_NODISK: o.source.open_disk_images = 0; break;
        case 'L': o.source.follow_symlinks = 1; break;
        case OPT_FULL: o.hash.decode.jpeg_fast = 0; break;
        case OPT_PROGRESS: progress = optarg; break;
        case OPT_NOPDQ: o.pdq = 0; break;
        case OPT_VINTERVAL:
            if (cli_parse_seconds(optarg, 0.01, 3600, &o.hash.vpdq.video.interval))
                return cli_usage("scan", "bad --video-interval '%s' (0.01..3600 s)", optarg);
            break;
        case OPT_VMAXDUR:
            if (cli_parse_seconds(optarg, 1, 1e7, &o.hash.vpdq.video.max_duration))
                return cli_usage("scan", "bad --max-video-duration '%s' (seconds)", optarg);
            break;
        case OPT_CHECKPOINT: {
            char *end;
            o.checkpoint_s = strtod(optarg, &end);
            if (*end || !(o.checkpoint_s >= 0.05 && o.checkpoint_s <= 3600))
                return cli_usage("scan", "bad --checkpoint '%s' (0.05..3600 seconds)", optarg);
            break;
        }
        case OPT_THUMBS:
            if (!optarg || strcmp(optarg, "blur") == 0) o.thumbnails = WARD_THUMBS_BLURRED;
            else if (strcmp(optarg, "clear") == 0) o.thumbnails = WARD_THUMBS_CLEAR;
            else return cli_usage("scan", "bad --thumbnails '%s' (blur, clear)", optarg);
            break;
        case 'q': quiet = 1; break;
        case OPT_EXHIBIT: exhibit = optarg; break;
        case OPT_UNIT: unit = optarg; break;
        case OPT_CASE: case_ref = optarg; break;
        case OPT_CONTACT: contact = optarg; break;
        case 'h': cli_print_help(&cli_cmd_scan); return WARD_EXIT_OK;
        default: return cli_usage("scan", "unknown option");
        }
    }
    if (!o.out_dir)
        return cli_usage("scan", "--out DIR is required (the report folder)");
    if (optind >= argc)
        return cli_usage("scan", "no SOURCE given");
    if ((unit || case_ref || contact) && !(unit && case_ref && contact))
        return cli_usage("scan", "--unit, --case and --contact go together");
    if (o.thumbnails && !o.pdq)
        return cli_usage("scan", "--thumbnails needs images decoded (drop --no-pdq)");
    if (!o.hash.digests)
        return cli_usage("scan", "at least one digest is needed to look files up");
    /* vics.json keys each Media on MD5 (VICS consumers recognise a set by
     * MD5 and MediaID): computed whatever -c names (0 means all). */
    o.hash.digests |= WARD_DIGEST_MD5;
    if (o.source.digests) o.source.digests |= WARD_DIGEST_MD5;
    progress_state ps = {.mode = PROGRESS_NONE, .last_jsonl = -1};
    if (progress && strcmp(progress, "jsonl") == 0) ps.mode = PROGRESS_JSONL;
    else if (progress && strcmp(progress, "tty") == 0) ps.mode = PROGRESS_TTY;
    else if (progress && strcmp(progress, "none") != 0)
        return cli_usage("scan", "bad --progress '%s' (tty, jsonl, none)", progress);
    else if (!progress && !quiet && isatty(STDERR_FILENO)) ps.mode = PROGRESS_TTY;

    o.data_dir = cli_data_dir(data);
    if (exhibit && argc - optind != 1)
        return cli_usage("scan", "--exhibit: give the exhibit's one image as SOURCE");
    if (exhibit && (c = cli_exhibit_scan_check(o.data_dir, exhibit, argv[optind])))
        return c;
    char *command = cli_join_argv(argc + 1, argv - 1);
    o.command = command;
    o.progress = show_progress;
    o.progress_ctx = &ps;
    o.interrupt = &interrupted;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    ward_scan_result res;
    ward_status st = ward_scan_run((const char *const *)argv + optind, argc - optind, &o, &res,
                                   &err);
    free(command);
    if (ps.drew) fputc('\n', stderr);
    if (st != WARD_OK) {
        if (st == WARD_ENOTFOUND)
            cli_error("scan", "%s\n  (import a hash list first: ward db import --data %s FILE)",
                      err.message, o.data_dir);
        else
            cli_error("scan", "%s", err.message);
        return exit_for(st);
    }
    if (res.interrupted) {
        cli_error("scan", "interrupted after %" PRIu64 " files; the checkpoint is in %s.\n"
                  "  Finish with the same command and --resume.", res.totals.files, o.out_dir);
        return WARD_EXIT_FINDINGS;
    }
    if (!quiet && print_file(o.out_dir, "summary.txt") != 0)
        cli_error("scan", "cannot read %s/summary.txt", o.out_dir);
    if (exhibit && (c = cli_exhibit_scan_attach(o.data_dir, exhibit, o.out_dir)))
        return c;
    const uint64_t *k = res.totals.counts;
    int findings = k[WARD_VERDICT_KNOWN] || k[WARD_VERDICT_NEAR] || k[WARD_VERDICT_ERROR] ||
                   res.totals.notices;
    if (unit && (c = cli_series_scan_check(o.data_dir, o.out_dir, unit, case_ref, contact,
                                           exhibit)) > WARD_EXIT_FINDINGS)
        return c;
    findings |= unit && c == WARD_EXIT_FINDINGS;
    return findings ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

const cli_command cli_cmd_scan = {"scan", run_scan,
                                  "Triage seized media against the hash sets", help};
