/*
 * Format names and detection from a file's first bytes.
 */
#include "exchange/exchange.h"
#include "util/error.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    ward_hashset_format fmt;
} NAMES[] = {
    {"auto", WARD_FMT_AUTO},         {"vics", WARD_FMT_VICS},
    {"vics1", WARD_FMT_VICS},        {"vics2", WARD_FMT_VICS},
    {"hashdeep", WARD_FMT_HASHDEEP}, {"sums", WARD_FMT_SUMS},
    {"md5sum", WARD_FMT_MD5SUM},     {"sha1sum", WARD_FMT_SHA1SUM},
    {"sha256sum", WARD_FMT_SHA256SUM}, {"csv", WARD_FMT_CSV},
    {"pdq", WARD_FMT_PDQ},           {"nsrl", WARD_FMT_NSRL},
    {"vpdq", WARD_FMT_VPDQ},
    {"rds", WARD_FMT_NSRL},          {"rdsv3", WARD_FMT_NSRL},
};

ward_status ward_hashset_format_parse(const char *name, ward_hashset_format *fmt,
                                      ward_error *err)
{
    for (size_t i = 0; name && i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (strcasecmp(name, NAMES[i].name) == 0) {
            *fmt = NAMES[i].fmt;
            return WARD_OK;
        }
    }
    return err_fail(err, WARD_EINVAL,
                     "unknown hash-set format '%s' (vics, hashdeep, sums, md5sum, "
                     "sha1sum, sha256sum, csv, pdq, nsrl or auto)",
                     name ? name : "");
}

const char *ward_hashset_format_name(ward_hashset_format fmt)
{
    switch (fmt) {
    case WARD_FMT_AUTO: return "auto";
    case WARD_FMT_VICS: return "vics";
    case WARD_FMT_HASHDEEP: return "hashdeep";
    case WARD_FMT_SUMS: return "sums";
    case WARD_FMT_MD5SUM: return "md5sum";
    case WARD_FMT_SHA1SUM: return "sha1sum";
    case WARD_FMT_SHA256SUM: return "sha256sum";
    case WARD_FMT_CSV: return "csv";
    case WARD_FMT_PDQ: return "pdq";
    case WARD_FMT_NSRL: return "nsrl";
    case WARD_FMT_VPDQ: return "vpdq";
    }
    return "unknown";
}

static size_t hex_run(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && isxdigit(p[i]))
        i++;
    return i;
}

static int looks_sums(const uint8_t *p, size_t n)
{
    if (n && p[0] == '\\') {
        p++;
        n--;
    }
    static const char *const tags[] = {"MD5 (", "SHA1 (", "SHA256 ("};
    for (int i = 0; i < 3; i++)
        if (n > strlen(tags[i]) && memcmp(p, tags[i], strlen(tags[i])) == 0)
            return memmem(p, n, ") = ", 4) != NULL;
    size_t h = hex_run(p, n);
    return (h == 32 || h == 40 || h == 64) && n >= h + 2 && p[h] == ' ' &&
           (p[h + 1] == ' ' || p[h + 1] == '*');
}

/* "frame,quality,<64 hex>,seconds": a vPDQ frame line. */
static int looks_vpdq(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (int field = 0; field < 2; field++) {
        size_t start = i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == start || i >= n || p[i++] != ',')
            return 0;
    }
    size_t h = hex_run(p + i, n - i);
    return h == 64 && i + h < n && p[i + h] == ',';
}

static int looks_pdq(const uint8_t *p, size_t n)
{
    size_t h = hex_run(p, n);
    if (h != 64)
        return 0;
    if (h == n)
        return 1;
    if (p[h] != ',')
        return 0;
    size_t i = h + 1;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    return i == n || p[i] == ',';
}

static int looks_csv_header(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != ',' && p[j] != ';' && p[j] != '\t')
            j++;
        const char *f = (const char *)p + i;
        size_t fl = j - i;
        if (fl >= 2 && f[0] == '"' && f[fl - 1] == '"') {
            f++;
            fl -= 2;
        }
        if (wx_kind_from_name(f, fl) >= 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

ward_hashset_format wx_detect(const uint8_t *p, size_t n)
{
    if (n >= 16 && memcmp(p, "SQLite format 3", 16) == 0)
        return WARD_FMT_NSRL;
    size_t bom = wx_bom_len(p, n);
    p += bom;
    n -= bom;
    size_t i = 0;
    while (i < n && isspace(p[i]))
        i++;
    if (i < n && (p[i] == '{' || p[i] == '['))
        return WARD_FMT_VICS;
    if (n - i >= 13 && memcmp(p + i, "%%%% HASHDEEP", 13) == 0)
        return WARD_FMT_HASHDEEP;
    /* The first line that is not blank or a comment. */
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '\n')
            j++;
        size_t len = j - i;
        if (len && p[i + len - 1] == '\r')
            len--;
        const uint8_t *line = p + i;
        size_t k = 0;
        while (k < len && isspace(line[k]))
            k++;
        if (k < len && line[k] != '#') {
            if (looks_sums(line, len))
                return WARD_FMT_SUMS;
            if (looks_pdq(line, len))
                return WARD_FMT_PDQ;
            if (looks_vpdq(line, len))
                return WARD_FMT_VPDQ;
            if (looks_csv_header(line, len))
                return WARD_FMT_CSV;
            return WARD_FMT_AUTO;
        }
        i = j + 1;
    }
    return WARD_FMT_AUTO;
}
