/*
 * ISP subscriber requests, part one: the provider table and the request
 * batches (research report 12.6.3: 20-40% of requests came back "no
 * trace", and units were drowning in them).
 *
 * A request is only as good as its time: a provider looks up who held an
 * address at one instant, and an hour's error in the zone names the wrong
 * household. So only IP events whose time was read with its zone (or
 * settled by a person) are ever sent; the address, port and time go out
 * exactly as received, with the UTC time beside them, never retyped.
 * The same address, port and time is asked once, and an event is not
 * asked twice, which is what keeps the batches to what a provider can
 * answer.
 */
#include "intel/isp_int.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- addresses and ranges ------------------------------------------------ */

int wi_ip_bytes(const char *s, unsigned char out[16])
{
    unsigned char v4[4];
    if (inet_pton(AF_INET, s, v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, v4, 4);
        return 1;
    }
    return inet_pton(AF_INET6, s, out) == 1;
}

int wi_ipnet_parse(const char *s, wi_ipnet *n, char *why, size_t cap)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    if (len == 0 || len >= sizeof addr) {
        snprintf(why, cap, "'%s' is not an IP range (ADDRESS/LENGTH)", s);
        return 0;
    }
    memcpy(addr, s, len);
    addr[len] = 0;
    int v4 = strchr(addr, ':') == NULL;
    if (!wi_ip_bytes(addr, n->a)) {
        snprintf(why, cap, "'%s' is not an IP range (ADDRESS/LENGTH)", s);
        return 0;
    }
    int max = v4 ? 32 : 128;
    long bits = max;
    if (slash) {
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || bits < 0 || bits > max) {
            snprintf(why, cap, "'%s': the prefix length must be 0 to %d", s, max);
            return 0;
        }
    }
    n->bits = (int)bits + (v4 ? 96 : 0);
    /* Bits past the prefix: a typing slip (192.0.2.5/24) is refused
     * rather than read as a range its writer may not have meant. */
    for (int i = n->bits; i < 128; i++)
        if (n->a[i / 8] & (0x80 >> (i % 8))) {
            snprintf(why, cap, "'%s' has address bits set past its /%ld prefix", s, bits);
            return 0;
        }
    return 1;
}

int wi_ipnet_has(const wi_ipnet *n, const unsigned char a[16])
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->a, a, (size_t)full))
        return 0;
    return !rest || ((n->a[full] ^ a[full]) & (0xff00 >> rest) & 0xff) == 0;
}

/* ---- CSV ------------------------------------------------------------------- */

/* The next line that is neither empty nor a # comment, without its line
 * end; NULL at the end of the file. */
static char *csv_line(FILE *f, char **buf, size_t *cap, int *lineno)
{
    ssize_t n;
    while ((n = getline(buf, cap, f)) >= 0) {
        ++*lineno;
        while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
            (*buf)[--n] = 0;
        if (n && (*buf)[0] != '#')
            return *buf;
    }
    return NULL;
}

/* The header's column for each name in names (-1 when absent); an unknown
 * column is refused, naming it, as a required one missing is. */
static ward_status csv_header(const char *path, char **f, int n, const char *const *names,
                              int nnames, const char *const *required, int *col,
                              ward_error *err)
{
    for (int k = 0; k < nnames; k++)
        col[k] = -1;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < nnames && strcasecmp(wi_trim(f[i]), names[k]))
            k++;
        if (k == nnames) {
            char known[256] = "";
            for (int j = 0; j < nnames; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         j ? ", " : "", names[j]);
            return err_fail(err, WARD_EFORMAT, "%s:1: column '%s' is not one ward reads here"
                             " (it reads %s)", path, f[i], known);
        }
        if (col[k] >= 0)
            return err_fail(err, WARD_EFORMAT, "%s:1: column '%s' is named twice", path, f[i]);
        col[k] = i;
    }
    for (int k = 0; required[k]; k++)
        for (int j = 0; j < nnames; j++)
            if (!strcmp(required[k], names[j]) && col[j] < 0)
                return err_fail(err, WARD_EFORMAT, "%s:1: no '%s' column (the header must"
                                 " name it)", path, names[j]);
    return WARD_OK;
}

ward_status wi_isp_read_csv(const char *path, const char *const *names, int nnames,
                            const char *const *required, wi_isp_row_fn fn, void *ctx,
                            ward_error *err)
{
    enum { MAXF = 24 };
    FILE *f = fopen(path, "r");
    if (!f)
        return err_fail_errno(err, errno, "cannot open %s", path);
    char *buf = NULL, *fl[MAXF], *v[MAXF];
    size_t cap = 0;
    int lineno = 0, col[MAXF], width = 0, rows = 0;
    ward_status rc = nnames > MAXF ? err_fail(err, WARD_EINTERNAL, "too many columns") : WARD_OK;
    char *line = rc ? NULL : csv_line(f, &buf, &cap, &lineno);
    if (!rc && !line)
        rc = err_fail(err, WARD_EFORMAT, "%s: empty: no header line", path);
    else if (!rc) {
        width = wi_csv_fields(line, fl, MAXF);
        rc = csv_header(path, fl, width, names, nnames, required, col, err);
    }
    while (!rc && (line = csv_line(f, &buf, &cap, &lineno))) {
        if (!esc_utf8_valid(line, strlen(line))) {
            rc = err_fail(err, WARD_EFORMAT, "%s:%d: not valid UTF-8", path, lineno);
            break;
        }
        int n = wi_csv_fields(line, fl, MAXF);
        if (n != width) {
            rc = err_fail(err, WARD_EFORMAT, "%s:%d: %d fields, but the header has %d", path,
                           lineno, n, width);
            break;
        }
        for (int k = 0; k < nnames; k++)
            v[k] = col[k] >= 0 ? wi_trim(fl[col[k]]) : (char *)"";
        rc = fn(ctx, lineno, v, err);
        rows++;
    }
    if (!rc && ferror(f))
        rc = err_fail_errno(err, errno, "cannot read %s", path);
    free(buf);
    fclose(f);
    if (!rc && !rows)
        rc = err_fail(err, WARD_EFORMAT, "%s: nothing after the header", path);
    return rc;
}

/* ---- the provider table -------------------------------------------------- */

enum { R_PROVIDER, R_RANGE, R_ASN, R_ASN_NAME, R_NCOLS };
static const char *const range_cols[R_NCOLS] = {"provider", "range", "asn", "asn_name"};

typedef struct range_row {
    char *provider, *prefix, *asn, *asn_name;
    int line;
    wi_ipnet net;
} range_row;

typedef struct range_set {
    range_row *r;
    size_t n, cap;
} range_set;

static void ranges_free(range_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->r[i].provider), free(s->r[i].prefix), free(s->r[i].asn), free(s->r[i].asn_name);
    free(s->r);
    memset(s, 0, sizeof *s);
}

static int ranges_push(range_set *s, const char *provider, const char *prefix, const char *asn,
                       const char *asn_name, int line, const wi_ipnet *net)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        range_row *v = realloc(s->r, cap * sizeof *v);
        if (!v)
            return -1;
        s->r = v, s->cap = cap;
    }
    range_row *r = &s->r[s->n];
    *r = (range_row){strdup(provider), strdup(prefix), asn && *asn ? strdup(asn) : NULL,
                     asn_name && *asn_name ? strdup(asn_name) : NULL, line, *net};
    s->n++;
    return !r->provider || !r->prefix || (asn && *asn && !r->asn) ||
                   (asn_name && *asn_name && !r->asn_name) ? -1 : 0;
}

/* "AS64496" or "64496"; empty is allowed. */
static int asn_ok(const char *s)
{
    if (!strncasecmp(s, "AS", 2))
        s += 2;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static ward_status bad_field(ward_error *err, const char *path, int line, const char *field,
                             const char *why)
{
    return err_fail(err, WARD_EFORMAT, "%s:%d: field '%s': %s", path, line, field, why);
}

typedef struct range_read {
    const char *path;
    range_set *s;
} range_read;

static ward_status range_line(void *ctx, int lineno, char **v, ward_error *err)
{
    range_read *rr = ctx;
    wi_ipnet net;
    char why[160];
    if (!*v[R_PROVIDER])
        return bad_field(err, rr->path, lineno, "provider", "empty");
    if (!wi_ipnet_parse(v[R_RANGE], &net, why, sizeof why))
        return bad_field(err, rr->path, lineno, "range", why);
    if (*v[R_ASN] && !asn_ok(v[R_ASN])) {
        snprintf(why, sizeof why, "'%s' is not an AS number (AS64496 or 64496)", v[R_ASN]);
        return bad_field(err, rr->path, lineno, "asn", why);
    }
    if (ranges_push(rr->s, v[R_PROVIDER], v[R_RANGE], v[R_ASN], v[R_ASN_NAME], lineno, &net))
        return err_fail(err, WARD_ENOMEM, "out of memory");
    return WARD_OK;
}

/* Reads and checks the whole file; nothing is written. */
static ward_status ranges_read(const char *path, range_set *s, ward_error *err)
{
    static const char *const required[] = {"provider", "range", NULL};
    range_read rr = {path, s};
    ward_status rc = wi_isp_read_csv(path, range_cols, R_NCOLS, required, range_line, &rr, err);
    /* The same range under two providers: which one holds an address
     * would depend on the file's order. */
    for (size_t i = 0; !rc && i < s->n; i++)
        for (size_t j = i + 1; j < s->n; j++)
            if (s->r[i].net.bits == s->r[j].net.bits &&
                !memcmp(s->r[i].net.a, s->r[j].net.a, 16) &&
                strcmp(s->r[i].provider, s->r[j].provider)) {
                rc = err_fail(err, WARD_EFORMAT, "%s:%d: field 'range': %s is also %s's"
                               " (line %d): one range, one provider", path, s->r[j].line,
                               s->r[j].prefix, s->r[i].provider, s->r[i].line);
                break;
            }
    return rc;
}

ward_status ward_intel_isp_ranges_import(ward_intel *in, const char *path, const char *who,
                                         time_t now, uint64_t *ranges, uint64_t *providers,
                                         ward_error *err)
{
    range_set s = {0};
    ward_status rc = ranges_read(path, &s, err);
    if (rc) {
        ranges_free(&s);
        return rc;
    }
    char at[32];
    wi_time_str(now, at);
    wsql_stmt *st = NULL;
    if (!(rc = wi_begin(in, err)) && !(rc = wi_exec(in, "DELETE FROM isp_ranges", err)))
        rc = wi_prepare(in, "INSERT INTO isp_ranges(provider, prefix, asn, asn_name, file, line,"
                            " imported, imported_by) VALUES(?,?,?,?,?,?,?,?)", &st, err);
    uint64_t np = 0;
    for (size_t i = 0; !rc && i < s.n; i++) {
        const range_row *r = &s.r[i];
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(s.r[j].provider, r->provider);
        np += !seen;
        wsql_bind_text(st, 1, r->provider, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, r->prefix, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, r->asn, -1, SQLITE_STATIC);
        wsql_bind_text(st, 4, r->asn_name, -1, SQLITE_STATIC);
        wsql_bind_text(st, 5, path, -1, SQLITE_STATIC);
        wsql_bind_int(st, 6, r->line);
        wsql_bind_text(st, 7, at, -1, SQLITE_STATIC);
        wsql_bind_text(st, 8, who, -1, SQLITE_STATIC);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "isp range");
        wsql_reset(st);
    }
    wsql_finalize(st);
    if (!rc) {
        char detail[96];
        snprintf(detail, sizeof detail, "%zu ranges, %llu providers", s.n,
                 (unsigned long long)np);
        wi_audit(in, now, who, "isp.ranges", path, detail);
    }
    rc = wi_end(in, rc, err);
    if (ranges)
        *ranges = rc ? 0 : s.n;
    if (providers)
        *providers = rc ? 0 : np;
    ranges_free(&s);
    return rc;
}

static ward_status ranges_load(ward_intel *in, range_set *s, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT provider, prefix, asn, asn_name, line FROM isp_ranges"
                                    " ORDER BY id", &st, err);
    int r;
    while (!rc && (r = wsql_step(st)) == SQLITE_ROW) {
        wi_ipnet net;
        char why[160];
        if (!wi_ipnet_parse(wi_col(st, 1), &net, why, sizeof why))
            continue;   /* checked when imported */
        if (ranges_push(s, wi_col(st, 0), wi_col(st, 1), wi_col(st, 2), wi_col(st, 3),
                        wsql_column_int(st, 4), &net))
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    wsql_finalize(st);
    return rc;
}

ward_status ward_intel_isp_ranges(ward_intel *in, ward_intel_output fmt, FILE *out,
                                  ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT provider, prefix, coalesce(asn, ''),"
                                    " coalesce(asn_name, ''), file, line, imported FROM isp_ranges"
                                    " ORDER BY provider, id", &st, err);
    if (rc)
        return rc;
    wi_list l; /* --json one array, --jsonl a line each, as every list */
    if (fmt != WARD_INTEL_OUT_TEXT)
        wi_list_begin(&l, out, fmt);
    while (wsql_step(st) == SQLITE_ROW) {
        if (fmt != WARD_INTEL_OUT_TEXT) {
            static const char *const keys[] = {"provider", "range", "asn", "asn_name", "file"};
            wi_list_item(&l);
            for (int k = 0; k < 5; k++) {
                fprintf(out, "%s\"%s\":", k ? "," : "{", keys[k]);
                wi_jstr(out, wi_col(st, k));
            }
            fprintf(out, ",\"line\":%d,\"imported\":\"%s\"}", wsql_column_int(st, 5),
                    wi_col(st, 6));
            wi_list_item_end(&l);
        } else
            fprintf(out, "%-24s %-22s %-10s %s\n", wi_col(st, 0), wi_col(st, 1), wi_col(st, 2),
                    wi_col(st, 3));
    }
    if (fmt != WARD_INTEL_OUT_TEXT)
        wi_list_end(&l);
    return wi_done(in, st, out, err);
}

/* The range holding an address: the longest prefix; NULL if none. */
static const range_row *ranges_find(const range_set *s, const char *ip)
{
    unsigned char a[16];
    if (!wi_ip_bytes(ip, a))
        return NULL;
    const range_row *best = NULL;
    for (size_t i = 0; i < s->n; i++)
        if ((!best || s->r[i].net.bits > best->net.bits) && wi_ipnet_has(&s->r[i].net, a))
            best = &s->r[i];
    return best;
}

/* ---- building batches ------------------------------------------------------- */

typedef struct cand {
    int64_t subject, record, ipval;
    const range_row *range;
    char *ip_raw, *ip, *port_raw, *port, *time_raw, *time_utc, *settled_by;
} cand;

typedef struct build {
    ward_intel *in;
    const ward_intel_isp_build_opts *o;
    ward_intel_isp_build_summary *sum;
    range_set ranges;
    cand *c;
    size_t n, cap;
} build;

static void message(ward_intel_isp_build_summary *sum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void message(ward_intel_isp_build_summary *sum, const char *fmt, ...)
{
    sum->messages_total++;
    if (sum->n_messages >= WARD_INTEL_MESSAGES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sum->messages[sum->n_messages++], sizeof sum->messages[0], fmt, ap);
    va_end(ap);
}

static char *dup_or_null(wsql_stmt *st, int i)
{
    return wsql_column_type(st, i) == SQLITE_NULL ? NULL : strdup(wi_col(st, i));
}

static void cands_free(build *b)
{
    for (size_t i = 0; i < b->n; i++) {
        cand *c = &b->c[i];
        free(c->ip_raw), free(c->ip), free(c->port_raw), free(c->port), free(c->time_raw);
        free(c->time_utc), free(c->settled_by);
    }
    free(b->c);
}

/* Every IP event of an active subject not already asked about, with what
 * decides whether it may be sent. A previous request stands unless its
 * answer suspected the wrong time zone and a person settled the time
 * after that answer arrived. */
static const char events_sql[] =
    "SELECT sr.subject, v.record, v.id, v.raw, v.norm, t.raw, t.norm, t.status,"
    " coalesce(t.reason, ''), t.resolved_by, p.raw, p.norm, p.status"
    " FROM vals v JOIN subject_records sr ON sr.record = v.record"
    " JOIN subjects s ON s.id = sr.subject AND s.active = 1"
    " JOIN vals t ON t.record = v.record AND t.grp = v.grp AND t.field = 'ip_time'"
    " LEFT JOIN vals p ON p.record = v.record AND p.grp = v.grp AND p.field = 'ip_port'"
    " WHERE v.field = 'ip' AND v.status IN ('ok', 'resolved')"
    "  AND NOT EXISTS (SELECT 1 FROM isp_requests q WHERE q.ip_val = v.id"
    "   AND NOT EXISTS (SELECT 1 FROM isp_answers a WHERE a.request = coalesce(q.same_as, q.id)"
    "    AND a.outcome = 'wrong-zone' AND coalesce(t.resolved_at, '') > a.received))"
    " ORDER BY v.id";

static ward_status collect(build *b, ward_error *err)
{
    ward_intel_isp_build_summary *sum = b->sum;
    int64_t already;
    ward_status rc = wi_query_int(b->in, "SELECT count(DISTINCT ip_val) FROM isp_requests", NULL,
                                  0, &already, err);
    if (rc)
        return rc;
    sum->requested = (uint64_t)already;
    wsql_stmt *st;
    if ((rc = wi_prepare(b->in, events_sql, &st, err)))
        return rc;
    int r;
    while (!rc && (r = wsql_step(st)) == SQLITE_ROW) {
        char sid[16];
        wi_subject_id(wsql_column_int64(st, 0), sid);
        const char *ip_raw = wi_col(st, 3), *tstatus = wi_col(st, 7);
        const range_row *rg = ranges_find(&b->ranges, wi_col(st, 4));
        if (b->o->provider && (!rg || strcmp(rg->provider, b->o->provider)))
            continue;   /* another provider's: not this build's to count */
        if (strcmp(tstatus, "ok") && strcmp(tstatus, "resolved")) {
            sum->time_doubtful++;
            message(sum, "%s record %lld: %s at '%s' not sent: time %s (%s)", sid,
                    (long long)wsql_column_int64(st, 1), ip_raw, wi_col(st, 5), tstatus,
                    wi_col(st, 8));
            continue;
        }
        if (wsql_column_type(st, 12) != SQLITE_NULL && strcmp(wi_col(st, 12), "ok")) {
            sum->port_bad++;
            message(sum, "%s record %lld: %s port '%s' not sent: not a port number", sid,
                    (long long)wsql_column_int64(st, 1), ip_raw, wi_col(st, 10));
            continue;
        }
        if (!rg) {
            sum->no_provider++;
            message(sum, "%s record %lld: %s is in no provider's range: not sent (add its"
                    " range with 'ward intel isp ranges FILE')", sid,
                    (long long)wsql_column_int64(st, 1), ip_raw);
            continue;
        }
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 256;
            cand *v = realloc(b->c, cap * sizeof *v);
            if (!v) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            b->c = v, b->cap = cap;
        }
        cand *c = &b->c[b->n++];
        *c = (cand){wsql_column_int64(st, 0), wsql_column_int64(st, 1), wsql_column_int64(st, 2),
                    rg, strdup(ip_raw), strdup(wi_col(st, 4)), dup_or_null(st, 10),
                    dup_or_null(st, 11), strdup(wi_col(st, 5)), strdup(wi_col(st, 6)),
                    dup_or_null(st, 9)};
        if (!c->ip_raw || !c->ip || !c->time_raw || !c->time_utc)
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (!rc && r != SQLITE_DONE)
        rc = wi_sqlfail(b->in, err, "IP events");
    wsql_finalize(st);
    return rc;
}

static int cmp_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

/* By provider, then what a provider looks up (address, port, instant),
 * then the event: duplicates sit together, the earliest event first. */
static int cmp_cand(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    int c = strcmp(a->range->provider, b->range->provider);
    if (!c)
        c = strcmp(a->ip, b->ip);
    if (!c)
        c = cmp_str(a->port, b->port);
    if (!c)
        c = strcmp(a->time_utc, b->time_utc);
    return c ? c : (a->ipval > b->ipval) - (a->ipval < b->ipval);
}

static int same_lookup(const cand *a, const cand *b)
{
    return !strcmp(a->range->provider, b->range->provider) && !strcmp(a->ip, b->ip) &&
           !cmp_str(a->port, b->port) && !strcmp(a->time_utc, b->time_utc);
}

static ward_status write_batch(build *b, size_t from, size_t to, FILE *out, ward_error *err)
{
    ward_intel *in = b->in;
    int64_t id, req;
    ward_status rc = wi_next_id(in, "isp_batches", &id, err);
    if (!rc)
        rc = wi_next_id(in, "isp_requests", &req, err);
    if (rc)
        return rc;
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += i == from || !same_lookup(&b->c[i - 1], &b->c[i]);
    char at[32], due[32];
    wi_time_str(b->o->now, at);
    wi_time_str(b->o->now + (time_t)(b->o->due_days > 0 ? b->o->due_days : 14) * 86400, due);
    const char *provider = b->c[from].range->provider;
    wsql_stmt *st;
    if ((rc = wi_prepare(in, "INSERT INTO isp_batches(id, provider, created, created_by,"
                             " legal_basis, due, requests) VALUES(?,?,?,?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    wsql_bind_text(st, 2, provider, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, b->o->who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, b->o->legal_basis, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, due, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 7, (int64_t)n);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "isp batch");
    wsql_finalize(st);
    if (!rc && (rc = wi_cached(in, "INSERT INTO isp_requests(id, batch, subject, record, ip_val,"
                                   " ip_raw, ip, port_raw, port, time_raw, time_utc,"
                                   " time_settled_by, prefix, asn, same_as)"
                                   " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st, err)))
        return rc;
    int64_t first = 0;
    for (size_t i = from; i < to && !rc; i++) {
        const cand *c = &b->c[i];
        int dup = i > from && same_lookup(&b->c[i - 1], c);
        if (dup)
            b->sum->duplicates++;
        else
            first = req;
        wsql_clear_bindings(st);   /* same_as: NULL unless bound */
        if (dup)
            wsql_bind_int64(st, 15, first);
        wsql_bind_int64(st, 1, req++);
        wsql_bind_int64(st, 2, id);
        wsql_bind_int64(st, 3, c->subject);
        wsql_bind_int64(st, 4, c->record);
        wsql_bind_int64(st, 5, c->ipval);
        wsql_bind_text(st, 6, c->ip_raw, -1, SQLITE_STATIC);
        wsql_bind_text(st, 7, c->ip, -1, SQLITE_STATIC);
        wsql_bind_text(st, 8, c->port_raw, -1, SQLITE_STATIC);
        wsql_bind_text(st, 9, c->port, -1, SQLITE_STATIC);
        wsql_bind_text(st, 10, c->time_raw, -1, SQLITE_STATIC);
        wsql_bind_text(st, 11, c->time_utc, -1, SQLITE_STATIC);
        wsql_bind_text(st, 12, c->settled_by, -1, SQLITE_STATIC);
        wsql_bind_text(st, 13, c->range->prefix, -1, SQLITE_STATIC);
        wsql_bind_text(st, 14, c->range->asn, -1, SQLITE_STATIC);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "isp request");
        wsql_reset(st);
    }
    b->sum->batches++;
    b->sum->requests += n;
    if (!rc && out)
        fprintf(out, "batch %lld: %s, %zu request%s, due %s\n", (long long)id, provider, n,
                n == 1 ? "" : "s", due);
    return rc;
}

ward_status ward_intel_isp_build(ward_intel *in, const ward_intel_isp_build_opts *o,
                                 ward_intel_isp_build_summary *sum, FILE *out,
                                 ward_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (!o->legal_basis || !*o->legal_basis)
        return err_fail(err, WARD_EINVAL, "a request needs its legal basis: give the"
                                           " authorisation's reference (--legal-basis)");
    if (o->due_days < 0 || o->due_days > 365)
        return err_fail(err, WARD_EINVAL, "the days to answer must be 1 to 365");
    build b = {.in = in, .o = o, .sum = sum};
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = ranges_load(in, &b.ranges, err);
    if (!rc && !b.ranges.n)
        rc = err_fail(err, WARD_ENOTFOUND, "no provider ranges: import them first ('ward"
                                            " intel isp ranges FILE')");
    int known = !o->provider;
    for (size_t i = 0; !rc && i < b.ranges.n && !known; i++)
        known = !strcmp(b.ranges.r[i].provider, o->provider);
    if (!rc && !known)
        rc = err_fail(err, WARD_ENOTFOUND, "no provider '%s' in the provider table ('ward intel"
                                            " isp ranges' lists it)", o->provider);
    if (!rc)
        rc = collect(&b, err);
    wi_sort(b.c, b.n, sizeof *b.c, cmp_cand);
    for (size_t i = 0, j; !rc && i < b.n; i = j) {
        for (j = i + 1; j < b.n && !strcmp(b.c[j].range->provider, b.c[i].range->provider); j++)
            ;
        rc = write_batch(&b, i, j, out, err);
    }
    if (!rc) {
        char detail[160];
        snprintf(detail, sizeof detail, "%llu batches, %llu requests; legal basis %s",
                 (unsigned long long)sum->batches, (unsigned long long)sum->requests,
                 o->legal_basis);
        wi_audit(in, o->now, o->who, "isp.build", NULL, detail);
    }
    rc = wi_end(in, rc, err);
    cands_free(&b);
    ranges_free(&b.ranges);
    return rc;
}
