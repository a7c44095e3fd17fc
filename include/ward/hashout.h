/*
 * hashout.h -- write per-file hash records in the formats examiners use.
 *
 *   WARD_OUT_TEXT      human-readable blocks, one per file
 *   WARD_OUT_JSONL     one JSON object per line (all fields)
 *   WARD_OUT_CSV       RFC 4180 with a header row
 *   WARD_OUT_HASHDEEP  hashdeep's "%%%% HASHDEEP-1.0" list (hashdeep -a -k)
 *   WARD_OUT_PDQ_TEXT  "hash,quality,path" as ThreatExchange's PDQ tools print
 *   WARD_OUT_VPDQ      videos only: "frame,quality,hash,seconds" per frame,
 *                      exactly as vpdq-hash-video writes them (with
 *                      vpdq_names, a "# path" line before each video)
 *                      (with dihedral: the 8 hashes, quality, path)
 *
 * File names are escaped losslessly (see docs/cli.md): \\ \n \r \t and \xNN
 * for control bytes and invalid UTF-8; except in hashdeep's format, which
 * has raw bytes as hashdeep writes them (only a line break is escaped).
 * Records that lack what a format needs
 * (unreadable files in hashdeep, non-images in pdq-text) are left out of it;
 * the caller reports them on stderr.
 */
#ifndef WARD_HASHOUT_H
#define WARD_HASHOUT_H

#include <stdio.h>
#include <ward/filehash.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef enum ward_out_format {
    WARD_OUT_TEXT,
    WARD_OUT_JSONL,
    WARD_OUT_CSV,
    WARD_OUT_HASHDEEP,
    WARD_OUT_PDQ_TEXT,
    WARD_OUT_VPDQ
} ward_out_format;

/* Parse "text", "jsonl", "csv", "hashdeep", "pdq-text"; WARD_EINVAL otherwise. */
ward_status ward_out_format_parse(const char *name, ward_out_format *fmt);

typedef struct ward_hashout_opts {
    ward_out_format format;
    unsigned digests;        /* columns to write (WARD_DIGEST_* bits) */
    int pdq;                 /* write PDQ fields */
    int dihedral;            /* write the 8 dihedral hashes */
    int vpdq_names;          /* vpdq: "# path" before each video's frames */
    const char *cwd;         /* hashdeep "Invoked from" line */
    const char *command;     /* hashdeep "$ command" line */
} ward_hashout_opts;

typedef struct ward_hashout ward_hashout;

/* Writes the format's header (CSV columns, hashdeep preamble) at once. */
ward_hashout *ward_hashout_new(FILE *out, const ward_hashout_opts *opts);
/* One record; `path` is raw bytes as found on disk. WARD_EIO if the write
 * failed (disk full, closed pipe). */
ward_status ward_hashout_record(ward_hashout *w, const char *path,
                                const ward_file_hash *r);
/* Flush; WARD_EIO if any write failed. Frees w. */
ward_status ward_hashout_finish(ward_hashout *w);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
