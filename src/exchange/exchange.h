/*
 * Exchange formats: readers turn a hash-set file into records handed to a
 * sink (the store's import), writers turn entries into a file. Readers are
 * streaming: memory is bounded by the longest record, not the file.
 */
#ifndef WARD_EXCHANGE_H
#define WARD_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>
#include <ward/digest.h>
#include <ward/pdq.h>
#include <ward/store.h>

/* Digest kinds, in the order of ward_entry.hex_text. */
enum { WX_MD5 = 0, WX_SHA1, WX_SHA256, WX_PDQ, WX_NKINDS };

/* One record as a reader parsed it. Strings are borrowed for the duration
 * of the sink call; NULL means absent. */
typedef struct wx_record {
    ward_digests dg;
    int has_pdq;
    ward_pdq pdq;
    int quality;                  /* -1 unknown */
    unsigned hex_upper;           /* bit k: kind k was written all upper-case */
    unsigned hex_mixed;           /* bit k: mixed case, text in mixed[k] */
    char mixed[WX_NKINDS][65];
    const char *category;
    const char *series, *first_seen, *updated, *tags, *name, *media_id;
    int victim_identified;        /* -1 unknown */
    int64_t size;                 /* -1 unknown */
    const char *where;            /* location of the record: "12" or "/value/3" */
    const char *where_category;   /* location of its category, NULL: where */
} wx_record;

void wx_record_clear(wx_record *r);

/* The bytes of r's digest of kind k (WX_*), or NULL when r has none. */
const uint8_t *wx_record_digest(const wx_record *r, int kind);

/* Parse hex text (surrounding blanks trimmed) of digest kind k into r.
 * Returns 0, or -1 if it is not 2*len hex digits. Empty text sets nothing
 * and returns 1. */
int wx_record_set_hex(wx_record *r, int kind, const char *text, size_t len);

/* The kind of a digest column/key name ("md5", "SHA-1", "sha256", "pdq"),
 * or -1. */
int wx_kind_from_name(const char *name, size_t len);
extern const char *const wx_kind_label[WX_NKINDS]; /* "MD5", "SHA1", ... */
extern const size_t wx_kind_bytes[WX_NKINDS];

/* What a reader calls. `where` is a line number ("12") or a location such
 * as a JSON pointer ("/value/3/MD5"). A non-OK return means stop now: the
 * sink has already filled the error; the reader returns that status. */
typedef struct wx_sink {
    void *ctx;
    ward_status (*record)(void *ctx, const wx_record *r);
    ward_status (*bad)(void *ctx, const char *where, const char *msg);
    /* A record the reader knows repeats the previous one (NSRL). */
    void (*duplicate)(void *ctx);
} wx_sink;

/* ---- reporting, shared by the readers -------------------------------- */

/* Line-oriented readers locate a record by its line number: these pass
 * "<line>" as `where` to the sink's bad() and record(). */
ward_status wx_bad_line(const wx_sink *sink, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ward_status wx_emit_line(const wx_sink *sink, wx_record *r, uint64_t line);

/* Printable excerpt of a field for a message: the first 40 bytes, others
 * shown as '?', "..." when cut. Returns out. */
const char *wx_excerpt(const char *s, size_t n, char out[48]);

/* ---- buffered input that also SHA-256s every byte it reads ---------- */

typedef struct wx_in {
    int fd;
    const char *path;
    uint8_t *buf;
    size_t cap, pos, len;
    int eof;
    uint64_t consumed;      /* file offset of buf[0] */
    ward_digester *sha;
    char *line;             /* wx_in_getline buffer */
    size_t line_cap;
    uint64_t lineno;        /* number of the line last returned */
    uint64_t st_size;       /* size when opened (0 for pipes) */
    ward_error *err;
} wx_in;

ward_status wx_in_open(wx_in *in, const char *path, ward_error *err);
void wx_in_close(wx_in *in);
/* Make at least `want` bytes available from pos (or all that remain).
 * Returns WARD_OK or WARD_EIO. */
ward_status wx_in_fill(wx_in *in, size_t want);
static inline uint64_t wx_in_offset(const wx_in *in) { return in->consumed + in->pos; }

#define WX_MAX_LINE (1u << 20)
/* Next line without its "\n" / "\r\n", NUL-terminated (may hold NULs).
 * Returns 1 with *line and *len set, 0 at end of file, -1 on a read error (err set),
 * 2 for a line over WX_MAX_LINE (skipped to its end; *len = 0). */
int wx_in_getline(wx_in *in, char **line, size_t *len);
/* Read the rest of the file (so the digest covers all of it) and write
 * the lower-case SHA-256 hex. */
ward_status wx_in_finish(wx_in *in, char sha256_hex[65]);

/* Length of a UTF-8 byte-order mark at p (3), or 0: every reader skips
 * one at the start of the file. */
size_t wx_bom_len(const uint8_t *p, size_t n);

/* ---- readers ---------------------------------------------------------- */

/* Which format the first bytes of a file look like; WARD_FMT_AUTO if none. */
ward_hashset_format wx_detect(const uint8_t *p, size_t n);

/* version: out "vics1", "vics2" or "vics" (no envelope seen). A case that
 * ward scan exported ("WardExport": "case") is refused unless case_verdicts
 * names the verdicts (WardClass) to take, comma-separated, "graded" for
 * only those with a Category; the Media not taken are counted in
 * *excluded. */
ward_status wx_read_vics(wx_in *in, const wx_sink *sink, char version[16],
                         const char *case_verdicts, uint64_t *excluded, ward_error *err);
ward_status wx_read_hashdeep(wx_in *in, const wx_sink *sink, ward_error *err);
/* want_kind: WX_MD5.. to accept one digest length only, -1 for any. */
ward_status wx_read_sums(wx_in *in, const wx_sink *sink, int want_kind,
                         ward_error *err);
ward_status wx_read_csv(wx_in *in, const wx_sink *sink, ward_error *err);
ward_status wx_read_pdq(wx_in *in, const wx_sink *sink, ward_error *err);
/* Video frame hashes (vpdq.c): each frame becomes a PDQ record named
 * "<video> frame N at T s", media_id <video>, tag video-frame. <video> is
 * the file's base name, or that of the last "# name" comment line (ward
 * writes one before each video's frames). */
ward_status wx_read_vpdq(wx_in *in, const wx_sink *sink, const char *video,
                         ward_error *err);
/* An RDSv3 database, opened read-only. version: "2024.03.1 modern minimal". */
ward_status wx_read_nsrl(const char *path, const wx_sink *sink, char version[128],
                         ward_error *err);

/* ---- values ----------------------------------------------------------- */

/* Normalise a date to UTC "YYYY-MM-DDTHH:MM:SS[.fraction]Z". Accepts
 * ISO 8601 / RFC 3339 forms: date alone, 'T' or ' ' before the time,
 * optional seconds and fraction, "Z" or +hh:mm / +hhmm / +hh offset (no
 * offset: UTC). Returns 0, or -1 if the text is not such a date. */
int wx_date_utc(const char *text, char out[40]);

/* Drop blanks (isspace) at both ends of the text (*s, *n). */
void wx_trim(const char **s, size_t *n);

/* "true"/"false"/"yes"/"no"/"1"/"0"/"y"/"n" (any case, blanks trimmed):
 * 1 / 0; -1 if empty, -2 if not a boolean. */
int wx_parse_bool(const char *s, size_t n);

/* Decimal integer, blanks trimmed: 0 and *v, or -1. */
int wx_parse_int(const char *s, size_t n, int64_t *v);

/* Tags as ward keeps them: split on ';', each trimmed, empties dropped,
 * joined with ';'. Writes into out (size cap); returns its length. */
size_t wx_tags_normalise(const char *in, char *out, size_t cap);

/* A growable string. */
typedef struct wx_str {
    char *p;
    size_t len, cap;
    int set;               /* value present (may be empty) */
} wx_str;
int wx_str_set(wx_str *s, const char *p, size_t n);    /* 0 or -1 (ENOMEM) */
int wx_str_append(wx_str *s, const char *p, size_t n);
static inline void wx_str_reset(wx_str *s) { s->len = 0; s->set = 0; if (s->p) s->p[0] = 0; }
void wx_str_free(wx_str *s);
static inline const char *wx_str_get(const wx_str *s) { return s->set ? (s->p ? s->p : "") : NULL; }

/* ---- writers (export.c) ---------------------------------------------- */

/* Lower-case hex of an entry's digest, or its original text. */
const char *wx_entry_hex(const ward_entry *e, int kind, char buf[65]);

#endif
