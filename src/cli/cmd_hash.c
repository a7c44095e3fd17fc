/*
 * ward hash: digests and PDQ of files, in the formats examiners exchange.
 */
#include "cli/cli.h"
#include "cli/opt.h"
#include "util/path.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <ward/filehash.h>
#include <ward/hashout.h>
#include <ward/pool.h>
#include <ward/walk.h>

static const char help[] =
"NAME\n"
"    ward hash - digests and perceptual hashes of files\n"
"\n"
"SYNOPSIS\n"
"    ward hash [options] PATH...\n"
"\n"
"DESCRIPTION\n"
"    Reads every file once and computes its MD5, SHA-1 and SHA-256 digests\n"
"    and, for images, its PDQ perceptual hash and quality (0-100; below " CLI_NUM(WARD_INDEX_PDQ_MIN_QUALITY) " a\n"
"    PDQ is too weak to match on). Directories are walked recursively in byte\n"
"    order of names; output order is the walk order whatever the number of\n"
"    threads, so two runs over the same tree print identical lists.\n"
"    PATH '-' reads standard input.\n"
"\n"
"    Videos (MP4, MOV, MKV, WebM, AVI, MPEG-TS/PS, FLV) get a vPDQ: one PDQ\n"
"    a second of video through FFmpeg, with consecutive near-identical\n"
"    frames dropped (text: one line per frame; jsonl: 'video', 'vpdq').\n"
"\n"
"    Images are recognised from their content, never from their name: JPEG,\n"
"    PNG, GIF (first frame), WebP, BMP, TIFF, HEIC/HEIF and PPM/PGM. PDQ is\n"
"    computed as Meta's reference hasher computes it: images larger than\n"
"    512 px on a side are resampled to 512x512 first, and EXIF orientation is\n"
"    ignored (that is how reference hash lists were built) unless\n"
"    --exif-orient is given.\n"
"\n"
"    Files are opened read-only and without updating their access time where\n"
"    the system allows. A file that cannot be read, or an image that cannot be\n"
"    decoded, gets one line on standard error naming it and the reason; an\n"
"    undecodable image still gets its digests (it is still evidence). The run\n"
"    goes on and exits with status 1.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"OUTPUT FORMATS\n"
"    text      a block per file: path, size, digests, image type and size,\n"
"              PDQ and quality\n"
"    jsonl     one JSON object per file: path, size, md5, sha1, sha256,\n"
"              media, width, height, exif_orientation, pdq, pdq_quality,\n"
"              pdq_dihedral, and error / image_error / pdq_note when relevant\n"
"    csv       RFC 4180 with a header row\n"
"    hashdeep  hashdeep's HASHDEEP-1.0 list: size,<digests>,filename; audit\n"
"              it with 'hashdeep -a -k LIST -r DIR' (paths are absolute\n"
"              with '.' and '..' resolved, bytes raw, as hashdeep writes\n"
"              them; hashdeep follows symlinks, so\n"
"              add --follow for an identical file set). Unreadable files are\n"
"              left out (and reported on standard error)\n"
"    vpdq      videos only: frame,quality,hash,seconds per frame, exactly\n"
"              as vpdq-hash-video writes them (match-hashes-brute reads\n"
"              the file as it is); one video per file, so a second video\n"
"              is reported (exit 1). Names and video metadata: --jsonl, or\n"
"              --vpdq-names for a '# path' line before each video ('ward\n"
"              db import' reads both forms)\n"
"    pdq-text  hash,quality,path per image, as ThreatExchange's PDQ tools\n"
"              print it; with --dihedral the 8 hashes, then quality, path\n"
"\n"
"    File names are written with reversible escapes so that every format\n"
"    stays one record per line and no byte of a name is lost: '\\\\' for a\n"
"    backslash, '\\n' '\\r' '\\t', and '\\xNN' for other control bytes and for\n"
"    each byte of invalid UTF-8. hashdeep's format is the exception: raw\n"
"    bytes, as hashdeep writes them (a line break is escaped and reported).\n"
"\n"
"EXIT STATUS\n"
"    0  every file hashed   1  some file unreadable or image undecodable\n"
"    2  usage error         4  output could not be written   5  internal\n"
"\n"
"EXAMPLES\n"
"    ward hash photo.jpg\n"
"    ward hash --hashdeep -c md5,sha256 /mnt/evidence > evidence.hashdeep\n"
"    ward hash --pdq-text --dihedral -j 4 seized/ > seized.pdq\n"
"    cat upload.bin | ward hash --jsonl -\n";

typedef struct job {
    char *path;           /* as walked; "-" for standard input */
    ward_file_hash result;
    int open_errno;
} job;

typedef struct run {
    ward_hashout *out;
    const char *abs_prefix; /* cwd when paths are written absolute, else NULL */
    int quiet, verbose;
    int hashdeep;         /* writing hashdeep's format */
    int vpdq_bare;        /* writing vPDQ's reference form (no names) */
    uint64_t videos;      /* videos written in it */
    int partial;          /* some input unreadable or undecodable */
    int write_failed;
    uint64_t files, bytes, images, errors;
    ward_pool *pool;
    int stdin_used;
} run;

static void work(void *state, void *item)
{
    ward_hasher *h = state;
    job *j = item;
    int fd = strcmp(j->path, "-") == 0 ? STDIN_FILENO : ward_open_evidence(j->path);
    if (fd < 0) {
        j->open_errno = errno;
        j->result.read_status = WARD_EIO;
        snprintf(j->result.read_error.message, sizeof j->result.read_error.message,
                 "cannot open: %s", strerror(errno));
        return;
    }
    (void)ward_hasher_fd(h, fd, &j->result); /* its status is j->result.read_status */
    if (fd != STDIN_FILENO)
        close(fd);
}

static void emit(void *ctx, void *item)
{
    run *r = ctx;
    job *j = item;
    const ward_file_hash *res = &j->result;
    if (res->read_status != WARD_OK) {
        cli_error("hash", "%s: %s", j->path, res->read_error.message);
        r->partial = 1;
        r->errors++;
    } else {
        r->files++;
        r->bytes += res->size;
        if (res->has_pdq)
            r->images++;
        if (ward_media_is_image(res->media) && res->image_status != WARD_OK) {
            cli_error("hash", "%s: %s", j->path, res->image_error.message);
            r->partial = 1;
            r->errors++;
        }
        if (res->has_video && res->video_status != WARD_OK) {
            cli_error("hash", "%s: video: %s (%zu frames hashed before)", j->path,
                      res->video_error.message, res->video.count);
            r->partial = 1;
            r->errors++;
        }
    }
    const char *shown = j->path;
    char *abs = NULL;
    /* Absolute and normalised as hashdeep writes names ("./a", "../t/a"
     * and "/t//a" all become "/.../t/a"), so that its audit finds them. */
    if (r->abs_prefix && strcmp(j->path, "-") != 0 &&
        (abs = path_absolute(r->abs_prefix, j->path)))
        shown = abs;
    if (r->hashdeep && res->read_status == WARD_OK && strpbrk(j->path, "\n\r")) {
        cli_error("hash", "%s: a line break in the name: written escaped, which "
                  "hashdeep's audit will not match", shown);
        r->partial = 1;
        r->errors++;
    }
    if (r->vpdq_bare && res->has_video && ++r->videos == 2) {
        /* The reference tools read one video per file: frames of a second
         * one would be matched as part of the first. */
        cli_error("hash", "%s: a second video in one vPDQ file; the reference tools read "
                  "one video per file (hash each video to its own file, or give "
                  "--vpdq-names for ward's named form)", shown);
        r->partial = 1;
    }
    if (!r->write_failed && ward_hashout_record(r->out, shown, res) != WARD_OK)
        r->write_failed = 1;
    free(abs);
    ward_file_hash_clear(&j->result);
    free(j->path);
    free(j);
}

static int submit(run *r, const char *path)
{
    job *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return -1;
    }
    ward_pool_submit(r->pool, j);
    return 0;
}

static int on_entry(void *ctx, const char *path, const struct stat *st,
                    ward_walk_event ev, const ward_error *err)
{
    run *r = ctx;
    (void)st;
    switch (ev) {
    case WARD_WALK_FILE:
        return submit(r, path) != 0;
    case WARD_WALK_ERROR:
        cli_error("hash", "%s: %s", path, err->message);
        r->partial = 1;
        r->errors++;
        return 0;
    case WARD_WALK_CYCLE:
        cli_error("hash", "%s: directory cycle, not followed", path);
        return 0;
    case WARD_WALK_SYMLINK:
    case WARD_WALK_SPECIAL:
        if (r->verbose)
            cli_error("hash", "%s: %s, skipped", path,
                      ev == WARD_WALK_SYMLINK ? "symbolic link" : "special file");
        return 0;
    }
    return 0;
}

/* What the command line sets: the library's options, and the CLI's own. */
typedef struct hash_args {
    ward_hash_opts h;
    int follow, threads, vpdq_names, quiet, verbose;
    int absolute, relative;
    const char *digests, *format, *output;
} hash_args;

#define A(m) CLI_AT_INT(hash_args, m)
#define FORMATS "text|jsonl|csv|hashdeep|pdq-text|pdq|vpdq"
static const cli_opt options[] = {
    {"digests", 'c', CLI_STRING, CLI_AT_STR(hash_args, digests), "LIST", .def = "all",
     .help = "digests to compute: any of md5,sha1,sha256, or\n'all', or 'none'"},
    {"no-pdq", 0, CLI_UNSET, A(h.pdq), .help = "do not decode images or compute PDQ"},
    {"dihedral", 0, CLI_FLAG, A(h.dihedral),
     .help = "also print the 8 dihedral PDQ hashes (rotations\nand mirrors; one DCT, no extra "
             "decoding)"},
    {"exif-orient", 0, CLI_FLAG, A(h.decode.apply_orientation),
     .help = "apply EXIF orientation (and HEIF rotation) first"},
    {"full-decode", 0, CLI_UNSET, A(h.decode.jpeg_fast),
     .help = "decode JPEGs at full size in RGB, exactly as the\nreference does, instead of "
             "the DCT-scaled luma\nfast path (slower; PDQ within a few bits)"},
    {"video-interval", 0, CLI_SECONDS, CLI_AT_SECONDS(hash_args, h.vpdq.video.interval), "S",
     0.01, 3600, .def = "1", .help = "sample a video frame every S seconds"},
    {"max-video-duration", 0, CLI_SECONDS, CLI_AT_SECONDS(hash_args, h.vpdq.video.max_duration),
     "S", 1, 1e7, .def = "6 h", .help = "refuse videos longer than S seconds"},
    {"no-video", 0, CLI_UNSET, A(h.video), .help = "do not sample videos (digests only)"},
    {"vpdq-names", 0, CLI_FLAG, A(vpdq_names),
     .help = "vpdq format: a '# path' line before each video's\nframes (ward's named form, "
             "for several videos in\none file; the reference tools refuse it)"},
    {"max-pixels", 0, CLI_COUNT, CLI_AT_U64(hash_args, h.decode.max_pixels), "N", 1, 1e18,
     .def = "100M", .help = "refuse to decode images over N pixels\n(k/M/G suffixes)"},
    {"follow", 'L', CLI_FLAG, A(follow),
     .help = "follow symbolic links inside directories (cycles\nare detected); by default "
             "they are skipped"},
    {"threads", 'j', CLI_INT, A(threads), "N", 1, 1024, .def = "all cores",
     .help = "worker threads"},
    {"format", 'f', CLI_CHOICE, CLI_AT_STR(hash_args, format), "FMT", .choices = FORMATS,
     .def = "text on a terminal, else jsonl",
     .help = "text, jsonl, csv, hashdeep, pdq-text (or pdq),\nvpdq"},
    {"jsonl", 0, CLI_SET, CLI_AT_STR(hash_args, format), .choices = "jsonl",
     .help = "--format jsonl"},
    {"csv", 0, CLI_SET, CLI_AT_STR(hash_args, format), .choices = "csv", .help = "--format csv"},
    {"hashdeep", 0, CLI_SET, CLI_AT_STR(hash_args, format), .choices = "hashdeep",
     .help = "--format hashdeep"},
    {"pdq-text", 0, CLI_SET, CLI_AT_STR(hash_args, format), .choices = "pdq-text",
     .help = "--format pdq-text"},
    {"text", 0, CLI_SET, CLI_AT_STR(hash_args, format), .choices = "text",
     .help = "--format text"},
    {"output", 'o', CLI_STRING, CLI_AT_STR(hash_args, output), "FILE",
     .help = "write to FILE instead of standard output"},
    {"absolute", 0, CLI_FLAG, A(absolute),
     .help = "write paths absolute, '.' and '..' resolved (the\ndefault with --hashdeep, "
             "whose audit needs them)"},
    {"relative", 0, CLI_FLAG, A(relative),
     .help = "write paths as walked (the default, except with\n--hashdeep)"},
    {"quiet", 'q', CLI_FLAG, A(quiet), .help = "no summary line on standard error"},
    {"verbose", 'v', CLI_FLAG, A(verbose),
     .help = "also report skipped symlinks and special files"},
    CLI_OPT_END};
#undef A

static double now_seconds(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static int run_hash(int argc, char **argv)
{
    hash_args a = {.threads = ward_cpu_count()};
    ward_hash_opts_default(&a.h);
    ward_error err;
    int optind, rc;
    if ((rc = cli_parse_opts(&cli_cmd_hash, &a, argc, argv, &optind)) != CLI_GO_ON)
        return rc;
    ward_hash_opts hopts = a.h;
    ward_walk_opts wopts = {.follow_symlinks = a.follow};
    int threads = a.threads, quiet = a.quiet, verbose = a.verbose, vpdq_names = a.vpdq_names;
    if (a.absolute && a.relative)
        return cli_usage("hash", "--absolute and --relative exclude each other");
    int absolute = a.absolute ? 1 : a.relative ? 0 : -1; /* -1: the format's default */
    const char *output = a.output;
    ward_out_format format = WARD_OUT_TEXT;
    if (a.format && ward_out_format_parse(a.format, &format) != WARD_OK)
        return cli_usage("hash", "unknown format '%s'", a.format);
    if (a.digests && strcmp(a.digests, "none") == 0)
        hopts.digests = 0;
    else if (a.digests && ward_digest_parse_list(a.digests, &hopts.digests, &err) != WARD_OK)
        return cli_usage("hash", "%s", err.message);
    if (optind >= argc)
        return cli_usage("hash", "no PATH given");
    if (format == WARD_OUT_HASHDEEP && !hopts.digests)
        return cli_usage("hash", "--hashdeep needs at least one digest");
    if (format == WARD_OUT_PDQ_TEXT && !hopts.pdq)
        return cli_usage("hash", "--pdq-text needs PDQ (drop --no-pdq)");
    int stdin_args = 0;
    for (int i = optind; i < argc; i++)
        stdin_args += strcmp(argv[i], "-") == 0;
    if (stdin_args > 1)
        return cli_usage("hash", "'-' (standard input) given more than once");

    FILE *out = stdout;
    if (output && !(out = fopen(output, "w"))) {
        cli_error("hash", "cannot write %s: %s", output, strerror(errno));
        return WARD_EXIT_IO;
    }
    if (!a.format)
        format = isatty(fileno(out)) ? WARD_OUT_TEXT : WARD_OUT_JSONL;

    char cwd[4096];
    char *command = cli_join_argv(argc + 1, argv - 1);
    ward_hashout_opts oopts = {.format = format, .digests = hopts.digests, .pdq = hopts.pdq,
                               .dihedral = hopts.dihedral, .vpdq_names = vpdq_names,
                               .cwd = getcwd(cwd, sizeof cwd) ? cwd : "",
                               .command = command};
    run r = {.quiet = quiet, .verbose = verbose, .hashdeep = format == WARD_OUT_HASHDEEP,
             .vpdq_bare = format == WARD_OUT_VPDQ && !vpdq_names};
    if (absolute == 1 || (absolute == -1 && format == WARD_OUT_HASHDEEP))
        r.abs_prefix = oopts.cwd;
    r.out = ward_hashout_new(out, &oopts);
    ward_hasher **hashers = calloc((size_t)threads, sizeof *hashers);
    rc = WARD_EXIT_OK;
    for (int i = 0; hashers && i < threads; i++)
        if (!(hashers[i] = ward_hasher_new(&hopts))) {
            rc = WARD_EXIT_INTERNAL;
            break;
        }
    if (r.out && hashers && rc == WARD_EXIT_OK)
        r.pool = ward_pool_new(threads, (void **)hashers, work, emit, &r);
    if (!r.out || !hashers || !r.pool) {
        cli_error("hash", "out of memory");
        rc = WARD_EXIT_INTERNAL;
    }

    double t0 = now_seconds();
    for (int i = optind; rc == WARD_EXIT_OK && i < argc; i++) {
        int stopped = 0;
        if (strcmp(argv[i], "-") == 0)
            stopped = submit(&r, "-") != 0;
        else if (ward_walk(argv[i], &wopts, on_entry, &r, &stopped) != WARD_OK)
            stopped = 1;
        if (stopped) {
            cli_error("hash", "out of memory");
            rc = WARD_EXIT_INTERNAL;
        }
    }
    ward_pool_finish(r.pool);
    double secs = now_seconds() - t0;
    if (r.out && ward_hashout_finish(r.out) != WARD_OK)
        r.write_failed = 1;
    if (output && fclose(out) != 0)
        r.write_failed = 1;
    for (int i = 0; hashers && i < threads; i++)
        ward_hasher_free(hashers[i]);
    free(hashers);
    free(command);

    if (r.write_failed) {
        if (errno != EPIPE)
            cli_error("hash", "cannot write output%s%s: %s", output ? " to " : "",
                      output ? output : "", strerror(errno));
        return WARD_EXIT_IO;
    }
    if (!quiet && isatty(STDERR_FILENO))
        fprintf(stderr, "ward hash: %" PRIu64 " files, %.1f MB, %" PRIu64
                " images hashed in %.2f s (%.0f MB/s)%s%" PRIu64 " problems\n",
                r.files, r.bytes / 1e6, r.images, secs, secs > 0 ? r.bytes / 1e6 / secs : 0,
                r.errors ? "; " : "; ", r.errors);
    if (rc != WARD_EXIT_OK)
        return rc;
    return r.partial ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

const cli_command cli_cmd_hash = {
    .name = "hash",
    .run = run_hash,
    .summary = "Digests (MD5, SHA-1, SHA-256) and PDQ hashes of files",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
