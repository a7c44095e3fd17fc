/*
 * CSV bulk lists: a header row names the columns; a mapping
 * ("name=Full Name,email=E-mail") says which column holds which field, and
 * fields not mapped are found by their own name. Cells holding several
 * values separate them with ';' (IP events line up by position across the
 * ip, ip_port, ip_time, ip_zone and ip_event columns). A column named after
 * a risk factor states that factor when its cell is set; columns naming a
 * forbidden factor (ethnicity, nationality, ...) are refused whole.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { C_REF, C_REPORTER, C_COUNTRY, C_ITYPE, C_ITIME, C_IZONE, C_INTL, C_NAME, C_DOB,
       C_ADDRESS, C_POSTCODE, C_OCCUPATION, C_TYPOLOGY, C_EMAIL, C_PHONE, C_SCREEN, C_IP,
       C_IP_PORT, C_IP_TIME, C_IP_ZONE, C_IP_EVENT, C_MD5, C_SHA1, C_SHA256, C_VIEWED,
       C_CARD, C_CHAT, C_AREA, C_NFIELDS };
static const char *const csv_fields[C_NFIELDS] = {
    "ref", "reporter", "reporter_country", "incident_type", "incident_time", "incident_zone",
    "international", "name", "dob", "address", "postcode", "occupation", "typology", "email",
    "phone", "screen_name", "ip", "ip_port", "ip_time", "ip_zone", "ip_event", "file_md5",
    "file_sha1", "file_sha256", "file_viewed", "card", "chat_room", "area"};

#define MAX_COLS 128

typedef struct csv_row {
    char *cells[MAX_COLS];
    int n;
    char *buf;        /* the record, unquoted, cells NUL-separated */
    size_t cap;
} csv_row;

/* Read one CSV record (quoted fields may hold newlines). Returns 1, 0 at
 * end, -1 for an unterminated quote, -2 too many columns. *lines: how many
 * physical lines it took. */
static int read_row(FILE *f, csv_row *row, int *lines)
{
    char *line = NULL;
    size_t lcap = 0, k = 0;
    ssize_t len;
    int inq = 0, started = 0;
    row->n = 0;
    *lines = 0;
    while ((len = getline(&line, &lcap, f)) > 0) {
        (*lines)++;
        if (row->cap < k + (size_t)len + 2) {
            row->cap = (k + (size_t)len + 2) * 2;
            char *nb = realloc(row->buf, row->cap);
            if (!nb) {
                free(line);
                return -3;
            }
            /* cells point into buf: re-base them */
            for (int i = 0; i < row->n; i++)
                row->cells[i] = nb + (row->cells[i] - row->buf);
            row->buf = nb;
        }
        if (!started) {
            row->cells[row->n++] = row->buf;
            started = 1;
        }
        for (ssize_t i = 0; i < len; i++) {
            char c = line[i];
            if (inq) {
                if (c == '"' && i + 1 < len && line[i + 1] == '"')
                    row->buf[k++] = '"', i++;
                else if (c == '"')
                    inq = 0;
                else
                    row->buf[k++] = c;
            } else if (c == '"')
                inq = 1;
            else if (c == ',') {
                row->buf[k++] = 0;
                if (row->n >= MAX_COLS) {
                    free(line);
                    return -2;
                }
                row->cells[row->n++] = row->buf + k;
            } else if (c == '\n' || (c == '\r' && i + 1 < len && line[i + 1] == '\n'))
                break;
            else
                row->buf[k++] = c;
        }
        if (!inq)
            break;
        row->buf[k++] = '\n';   /* a newline inside quotes is part of the cell */
    }
    free(line);
    if (!started)
        return 0;
    row->buf[k] = 0;
    return inq ? -1 : 1;
}

typedef struct csv_map {
    int col[C_NFIELDS];            /* column of each field, -1 none */
    int factor_col[MAX_COLS];      /* column -> factor index in the model, -1 none */
    int ncols;
} csv_map;

/* Columns that feed no field and no risk factor are listed, so that a
 * column the list's sender named differently ("E-mail Address") is seen
 * rather than dropped without a word. */
static void note_unread(wi_intake *ik, const csv_map *m, csv_row *hdr, const char *path)
{
    char where[300];
    snprintf(where, sizeof where, "%s:1", path);
    for (int c = 0; c < hdr->n; c++) {
        int used = m->factor_col[c] >= 0;
        for (int f = 0; f < C_NFIELDS && !used; f++)
            used = m->col[f] == c;
        if (!used && *hdr->cells[c]) {
            char what[160];
            snprintf(what, sizeof what, "column '%.120s'", hdr->cells[c]);
            wi_intake_note(ik, where, what, "warning: not read (no field or risk factor of"
                           " that name; --columns FIELD=NAME maps it)");
        }
    }
}

static ward_status map_columns(wi_intake *ik, const ward_intel *in, csv_row *hdr,
                               const char *mapping, const char *path, csv_map *m,
                               ward_error *err)
{
    for (int f = 0; f < C_NFIELDS; f++)
        m->col[f] = -1;
    m->ncols = hdr->n;
    for (int c = 0; c < hdr->n; c++) {
        char *h = wi_trim(hdr->cells[c]);
        if (c == 0 && !strncmp(h, "\xef\xbb\xbf", 3))
            memmove(h, h + 3, strlen(h + 2));
        m->factor_col[c] = -1;
        for (int f = 0; f < C_NFIELDS; f++)
            if (!strcasecmp(h, csv_fields[f]) && m->col[f] < 0)
                m->col[f] = c;
        const wi_factor_def *fd = wi_factor_find(&in->risk, h);
        if (fd)
            m->factor_col[c] = (int)(fd - in->risk.factors);
        else if (wi_factor_forbidden(&in->risk, h)) {
            char where[300];
            snprintf(where, sizeof where, "%s:1", path);
            wi_intake_refuse(ik, where, h);
        }
    }
    if (!mapping) {
        note_unread(ik, m, hdr, path);
        return WARD_OK;
    }
    char *copy = strdup(mapping), *save = NULL;
    if (!copy)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = WARD_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        int f = -1, c = -1;
        if (eq) {
            *eq = 0;
            for (int i = 0; i < C_NFIELDS; i++)
                if (!strcasecmp(wi_trim(tok), csv_fields[i]))
                    f = i;
            for (int i = 0; i < hdr->n; i++)
                if (!strcasecmp(wi_trim(eq + 1), hdr->cells[i]))
                    c = i;
        }
        if (f < 0)
            rc = err_fail(err, WARD_EINVAL, "column mapping: '%s' is not a field", tok);
        else if (c < 0)
            rc = err_fail(err, WARD_EFORMAT, "%s:1: no column '%s' (mapped to %s)", path,
                           eq + 1, csv_fields[f]);
        else
            m->col[f] = c;
    }
    free(copy);
    if (!rc)
        note_unread(ik, m, hdr, path);
    return rc;
}

/* Split a cell on ';' into at most WI_MAX_MULTI trimmed values. */
static size_t split_multi(char *cell, const char **out)
{
    size_t n = 0;
    if (!cell)
        return 0;
    char *save = NULL;
    for (char *t = strtok_r(cell, ";", &save); t && n < WI_MAX_MULTI;
         t = strtok_r(NULL, ";", &save)) {
        t = wi_trim(t);
        if (*t)
            out[n++] = t;
    }
    return n;
}

static int set_cell(const char *s)
{
    return s && *s && strcasecmp(s, "no") && strcasecmp(s, "false") && strcmp(s, "0") &&
           strcasecmp(s, "n");
}

static ward_status row_to_referral(wi_intake *ik, const ward_intel *in, csv_map *m,
                                   csv_row *row, const char *where, ward_error *err)
{
    if (row->n != m->ncols) {
        wi_intake_bad(ik, where, "%d columns where the header has %d", row->n, m->ncols);
        return WARD_OK;
    }
    int empty = 1;
    for (int c = 0; c < row->n; c++)
        empty &= strspn(row->cells[c], " \t\r\n") == strlen(row->cells[c]);
    if (empty)
        return WARD_OK;   /* blank line */
    /* Cells are kept as received, blanks included: the normalisers trim. */
    char *v[C_NFIELDS];
    for (int f = 0; f < C_NFIELDS; f++)
        v[f] = m->col[f] >= 0 ? row->cells[m->col[f]] : NULL;
    wi_referral r = {0};
    snprintf(r.where, sizeof r.where, "%s", where);
    r.ref = v[C_REF], r.reporter = v[C_REPORTER], r.reporter_country = v[C_COUNTRY];
    r.incident_type = v[C_ITYPE], r.incident_time = v[C_ITIME], r.incident_zone = v[C_IZONE];
    r.international = v[C_INTL], r.name = v[C_NAME], r.dob = v[C_DOB];
    r.address = v[C_ADDRESS], r.postcode = v[C_POSTCODE], r.occupation = v[C_OCCUPATION];
    r.area = v[C_AREA];
    r.n_typology = split_multi(v[C_TYPOLOGY], r.typology);
    r.n_emails = split_multi(v[C_EMAIL], r.emails);
    r.n_phones = split_multi(v[C_PHONE], r.phones);
    r.n_screens = split_multi(v[C_SCREEN], r.screens);
    r.n_cards = split_multi(v[C_CARD], r.cards);
    r.n_chats = split_multi(v[C_CHAT], r.chats);
    const char *ip[WI_MAX_MULTI], *port[WI_MAX_MULTI], *tm[WI_MAX_MULTI], *zone[WI_MAX_MULTI],
        *ev[WI_MAX_MULTI];
    r.n_ips = split_multi(v[C_IP], ip);
    size_t np = split_multi(v[C_IP_PORT], port), nt = split_multi(v[C_IP_TIME], tm),
           nz = split_multi(v[C_IP_ZONE], zone), ne = split_multi(v[C_IP_EVENT], ev);
    for (size_t i = 0; i < r.n_ips; i++) {
        r.ips[i].address = ip[i];
        r.ips[i].port = i < np ? port[i] : NULL;
        r.ips[i].time = i < nt ? tm[i] : NULL;
        r.ips[i].zone = i < nz ? zone[i] : NULL;
        r.ips[i].event = i < ne ? ev[i] : NULL;
    }
    const char *md5[WI_MAX_MULTI], *sha1[WI_MAX_MULTI], *sha256[WI_MAX_MULTI];
    size_t n5 = split_multi(v[C_MD5], md5), n1 = split_multi(v[C_SHA1], sha1),
           n2 = split_multi(v[C_SHA256], sha256);
    r.n_files = n5 > n1 ? n5 : n1;
    r.n_files = r.n_files > n2 ? r.n_files : n2;
    for (size_t i = 0; i < r.n_files; i++) {
        r.files[i].md5 = i < n5 ? md5[i] : NULL;
        r.files[i].sha1 = i < n1 ? sha1[i] : NULL;
        r.files[i].sha256 = i < n2 ? sha256[i] : NULL;
        r.files[i].viewed = v[C_VIEWED];
    }
    for (int c = 0; c < row->n && r.n_factors < WI_MAX_MULTI; c++) {
        char *cell = wi_trim(row->cells[c]);
        if (m->factor_col[c] >= 0 && set_cell(cell)) {
            wi_factor_in *f = &r.factors[r.n_factors++];
            f->factor = in->risk.factors[m->factor_col[c]].name;
            f->value = cell;
        }
    }
    return wi_intake_referral(ik, &r, err);
}

ward_status wi_read_csv(wi_intake *ik, const char *path, const char *columns, ward_error *err)
{
    ward_intel *in = wi_intake_intel(ik);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_fail_errno(err, errno, "cannot read %s", path);
    csv_row row = {0};
    csv_map m = {.ncols = 0};
    int lines, r = read_row(f, &row, &lines);
    ward_status rc = WARD_OK;
    uint64_t lineno = (uint64_t)lines;
    if (r != 1)
        rc = err_fail(err, WARD_EFORMAT, "%s:1: no header row", path);
    else
        rc = map_columns(ik, in, &row, columns, path, &m, err);
    if (!rc && m.col[C_NAME] < 0 && m.col[C_EMAIL] < 0 && m.col[C_IP] < 0 &&
        m.col[C_PHONE] < 0 && m.col[C_SCREEN] < 0 && m.col[C_CARD] < 0)
        rc = err_fail(err, WARD_EFORMAT,
                       "%s:1: no identifying column (name, email, phone, screen_name, ip or card);"
                       " map one with --columns", path);
    while (!rc) {
        uint64_t first = lineno + 1;
        r = read_row(f, &row, &lines);
        lineno += (uint64_t)lines;
        if (r == 0)
            break;
        char where[300];
        snprintf(where, sizeof where, "%s:%llu", path, (unsigned long long)first);
        if (r == -3)
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
        else if (r < 0)
            wi_intake_bad(ik, where, r == -1 ? "quote not closed" : "too many columns");
        else
            rc = row_to_referral(ik, in, &m, &row, where, err);
    }
    if (!rc && ferror(f))
        rc = err_fail(err, WARD_EIO, "cannot read %s", path);
    free(row.buf);
    fclose(f);
    return rc;
}

/* ---- --columns auto --------------------------------------------------------- */

/* Header names seen in lists, by field: a column whose name, lowercased
 * with everything but letters and digits dropped, is one of these. A
 * proposal only: a person confirms it by passing it as --columns. */
static const struct { int field; const char *names; } aliases[] = {
    {C_REF, "|ref|reference|referenceno|refno|reportid|report|id|caseref|recordid|"},
    {C_NAME, "|name|fullname|subjectname|personname|suspectname|customername|cardholder|"
             "cardholdername|"},
    {C_DOB, "|dob|dateofbirth|birthdate|born|"},
    {C_EMAIL, "|email|emailaddress|mail|e_mail|"},
    {C_PHONE, "|phone|phonenumber|telephone|tel|mobile|mobilenumber|msisdn|"},
    {C_SCREEN, "|screenname|username|handle|nickname|accountname|"},
    {C_IP, "|ip|ipaddress|sourceip|uploadip|"},
    {C_IP_PORT, "|port|ipport|sourceport|"},
    {C_IP_TIME, "|iptime|timestamp|datetime|eventtime|uploadtime|accesstime|"},
    {C_IP_ZONE, "|zone|timezone|tz|ipzone|"},
    {C_POSTCODE, "|postcode|postalcode|zip|zipcode|post_code|"},
    {C_ADDRESS, "|address|billingaddress|homeaddress|street|"},
    {C_OCCUPATION, "|occupation|job|jobtitle|profession|employment|"},
    {C_AREA, "|area|force|policeforce|forcename|forcecode|forcearea|policearea|constabulary|"
             "region|policeregion|"},
    {C_CARD, "|card|pan|cardnumber|cardno|creditcard|ccnumber|"},
    {C_MD5, "|md5|filemd5|"},
    {C_SHA1, "|sha1|filesha1|"},
    {C_SHA256, "|sha256|filesha256|"},
};

ward_status ward_intel_propose_columns(const char *path, FILE *out, ward_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return err_fail_errno(err, errno, "cannot read %s", path);
    csv_row row = {0};
    int lines, r = read_row(f, &row, &lines);
    fclose(f);
    if (r != 1) {
        free(row.buf);
        return err_fail(err, WARD_EFORMAT, "%s:1: no header row", path);
    }
    strbuf map = {0};
    int taken[C_NFIELDS] = {0};
    for (int c = 0; c < row.n; c++) {
        char key[96] = "|";
        size_t k = 1;
        for (const char *p = row.cells[c]; *p && k < sizeof key - 2; p++)
            if (isalnum((unsigned char)*p))
                key[k++] = (char)tolower((unsigned char)*p);
        key[k++] = '|', key[k] = 0;
        int field = -1;
        for (size_t a = 0; a < sizeof aliases / sizeof *aliases && field < 0; a++)
            if (k > 2 && strstr(aliases[a].names, key) && !taken[aliases[a].field])
                field = aliases[a].field;
        const char *h = wi_trim(row.cells[c]);
        if (field < 0) {
            fprintf(out, "  %-28s -> (not read)\n", h);
            continue;
        }
        taken[field] = 1;
        fprintf(out, "  %-28s -> %s\n", h, csv_fields[field]);
        strbuf_addf(&map, "%s%s=%s", map.len ? "," : "", csv_fields[field], h);
    }
    fprintf(out, "Proposed mapping (check it, then ingest with it):\n  --columns '%s'\n",
            map.s ? map.s : "");
    strbuf_free(&map);
    free(row.buf);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the output") : WARD_OK;
}
