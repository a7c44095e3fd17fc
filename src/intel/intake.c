/*
 * Intake: a reader (CSV, JSON, XML) parses referrals into wi_referral and
 * hands them here, where every value is stored as received beside its
 * normalised form, file hashes are looked up in the hash-set store, and
 * risk factors the referral states or implies are recorded with their
 * source, date and status. One file is one transaction.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ward/store.h>

/* A referral's values go to the database several to an INSERT: on
 * PostgreSQL each statement is a round trip, and values are most of an
 * ingest's rows. */
#define VALS_PER_INSERT 16

typedef struct pending_val {
    int64_t id, record;
    const char *field, *status;   /* literals */
    int grp;
    char *raw, *norm, *reason;    /* owned; norm and reason may be NULL */
} pending_val;

struct wi_intake {
    ward_intel *in;
    ward_store *store;
    const ward_intel_ingest_opts *opts;
    ward_intel_ingest_summary *sum;
    int64_t batch, next_record, next_val;   /* ids (wi_next_id) */
    char now[32];
    unsigned char card_key[32];   /* keyed hash of card numbers (wi_secret) */
    int has_card_key;
    wsql_stmt *ins_record, *ins_hit, *ins_factor;
    wi_occ_cache *occ_cache;   /* job titles placed so far */
    wsql_stmt *ins_vals[VALS_PER_INSERT + 1];   /* [n]: n rows, prepared when first needed */
    pending_val pending[VALS_PER_INSERT];
    size_t n_pending;
};

static const char *const typologies[] = {"international_victim", "international_abuser",
                                         "physical_movement", "grooming", "incitement",
                                         "image_offences", NULL};
static const char *const urgent_flags[] = {"imminent_risk", "meeting_planned", "threats",
                                           NULL};

static int in_list(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (!strcasecmp(list[i], s))
            return i;
    return -1;
}

ward_intel *wi_intake_intel(wi_intake *ik) { return ik->in; }

void wi_intake_bad(wi_intake *ik, const char *where, const char *fmt, ...)
{
    ik->sum->bad++;
    ik->sum->messages_total++;
    if (ik->sum->n_messages >= WARD_INTEL_MESSAGES)
        return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ik->sum->messages[ik->sum->n_messages++], 256, "%s: %s", where, msg);
}

/* A note that is not a bad record (a quarantined value, a refused factor). */
static void note(wi_intake *ik, const char *where, const char *field, const char *why)
{
    ik->sum->messages_total++;
    if (ik->sum->n_messages < WARD_INTEL_MESSAGES)
        snprintf(ik->sum->messages[ik->sum->n_messages++], 256, "%s: %s: %s", where, field,
                 why);
}

void wi_intake_note(wi_intake *ik, const char *where, const char *what, const char *why)
{
    note(ik, where, what, why);
}

void wi_intake_refuse(wi_intake *ik, const char *where, const char *what)
{
    ik->sum->refused_factors++;
    note(ik, where, what, "refused: not a permitted risk factor");
}

static ward_status step(wi_intake *ik, wsql_stmt *st, ward_error *err)
{
    int r = wsql_step(st);
    wsql_reset(st);
    wsql_clear_bindings(st);
    return r == SQLITE_DONE ? WARD_OK : wi_sqlfail(ik->in, err, "insert");
}

static void drop_pending(wi_intake *ik)
{
    for (size_t i = 0; i < ik->n_pending; i++) {
        pending_val *p = &ik->pending[i];
        free(p->raw), free(p->norm), free(p->reason);
    }
    ik->n_pending = 0;
}

/* INSERT INTO vals ... VALUES (8 parameters) x rows */
static ward_status prepare_vals(wi_intake *ik, size_t rows, ward_error *err)
{
    strbuf sql = {0};
    strbuf_addf(&sql, "INSERT INTO vals(record, field, grp, raw, norm, status, reason, id)"
                           " VALUES");
    for (size_t i = 0; i < rows; i++)
        strbuf_addf(&sql, "%s(?,?,?,?,?,?,?,?)", i ? "," : "");
    ward_status rc = sql.s ? wi_prepare(ik->in, sql.s, &ik->ins_vals[rows], err)
                           : err_fail(err, WARD_ENOMEM, "out of memory");
    strbuf_free(&sql);
    return rc;
}

/* Writes the values add_val collected, in one statement. */
static ward_status flush_vals(wi_intake *ik, ward_error *err)
{
    size_t n = ik->n_pending;
    ward_status rc = n && !ik->ins_vals[n] ? prepare_vals(ik, n, err) : WARD_OK;
    wsql_stmt *st = ik->ins_vals[n];
    for (size_t i = 0; i < n && !rc; i++) {
        const pending_val *p = &ik->pending[i];
        int k = (int)i * 8;
        wsql_bind_int64(st, k + 1, p->record);
        wsql_bind_text(st, k + 2, p->field, -1, SQLITE_STATIC);
        wsql_bind_int(st, k + 3, p->grp);
        wsql_bind_text(st, k + 4, p->raw, -1, SQLITE_STATIC);
        wsql_bind_text(st, k + 5, p->norm, -1, SQLITE_STATIC);
        wsql_bind_text(st, k + 6, p->status, -1, SQLITE_STATIC);
        wsql_bind_text(st, k + 7, p->reason, -1, SQLITE_STATIC);
        wsql_bind_int64(st, k + 8, p->id);
    }
    if (n && !rc)
        rc = step(ik, st, err);
    drop_pending(ik);
    return rc;
}

/* Stores one value (written with the referral's others by flush_vals). */
static ward_status add_val(wi_intake *ik, int64_t rec, const char *field, int grp,
                           const char *raw, const wi_norm *n, const char *where,
                           int64_t *id, ward_error *err)
{
    ward_status rc = ik->n_pending == VALS_PER_INSERT ? flush_vals(ik, err) : WARD_OK;
    if (rc)
        return rc;
    /* Bytes that are not UTF-8 are never stored as text (every reader of
     * the store, JSON and HTML above all, relies on it): the value is kept
     * escaped, reversibly (\xNN, util/escape.h), and a person decides. */
    wi_norm bad;
    char *escaped = NULL;
    if (!esc_utf8_valid(raw, strlen(raw))) {
        if (!(escaped = wi_escaped(raw)))
            return err_fail(err, WARD_ENOMEM, "out of memory");
        bad = (wi_norm){.status = WI_QUARANTINED};
        snprintf(bad.reason, sizeof bad.reason, "%s", WI_REASON_UTF8);
        n = &bad;
        raw = escaped;
    }
    pending_val *p = &ik->pending[ik->n_pending];
    *p = (pending_val){.id = ik->next_val, .record = rec, .field = field, .grp = grp,
                       .status = wi_vstatus_names[n->status],
                       .raw = escaped ? escaped : strdup(raw),
                       .norm = n->status == WI_OK ? strdup(n->value) : NULL,
                       .reason = n->reason[0] ? strdup(n->reason) : NULL};
    ik->n_pending++;
    if (!p->raw || (n->status == WI_OK && !p->norm) || (n->reason[0] && !p->reason))
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (id)
        *id = ik->next_val;
    ik->next_val++;
    ik->sum->values++;
    if (n->status == WI_QUARANTINED) {
        ik->sum->quarantined++;
        note(ik, where, field, n->reason);
    } else if (n->status == WI_INVALID)
        note(ik, where, field, n->reason);
    return rc;
}

typedef void (*norm_fn)(const char *raw, wi_norm *n);

static int blank(const char *s)
{
    return !s || strspn(s, " \t\r\n") == strlen(s);
}

static ward_status add(wi_intake *ik, int64_t rec, const char *field, int grp,
                       const char *raw, norm_fn fn, const char *where, ward_error *err)
{
    if (blank(raw))
        return WARD_OK;
    wi_norm n;
    if (fn)
        fn(raw, &n);
    else {   /* free text: kept; its normal form is the trimmed text */
        char buf[160];
        snprintf(buf, sizeof buf, "%s", raw);
        n.status = WI_OK;
        snprintf(n.value, sizeof n.value, "%s", wi_trim(buf));
        n.reason[0] = 0;
    }
    return add_val(ik, rec, field, grp, raw, &n, where, NULL, err);
}

static ward_status add_factor(wi_intake *ik, int64_t rec, const char *factor,
                              const char *value, const char *source, const char *date,
                              const char *status, ward_error *err)
{
    wsql_stmt *st = ik->ins_factor;
    wi_norm d = {0};
    char *own[3];   /* text that is not UTF-8 is kept escaped (add_val) */
    const char *v = wi_utf8_text(value, &own[0]), *src = wi_utf8_text(source, &own[1]),
               *dr = wi_utf8_text(date, &own[2]);
    if ((value && !v) || (source && !src) || (date && !dr)) {
        free(own[0]), free(own[1]), free(own[2]);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (dr && *dr && !own[2])
        wi_norm_date(dr, &d);
    wsql_bind_int64(st, 1, rec);
    wsql_bind_text(st, 2, factor, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, v, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, src && *src ? src : ik->opts->source, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, dr, -1, SQLITE_STATIC);
    if (dr && *dr && d.status == WI_OK)
        wsql_bind_text(st, 6, d.value, -1, SQLITE_STATIC);
    wsql_bind_text(st, 7, status, -1, SQLITE_STATIC);
    wsql_bind_text(st, 8, ik->now, -1, SQLITE_STATIC);
    ward_status rc = step(ik, st, err);
    free(own[0]), free(own[1]), free(own[2]);
    return rc;
}

static ward_status stated_factors(wi_intake *ik, int64_t rec, const wi_referral *r,
                                  ward_error *err)
{
    ward_status rc = WARD_OK;
    for (size_t i = 0; i < r->n_factors && !rc; i++) {
        const wi_factor_in *f = &r->factors[i];
        const char *status = f->status && *f->status ? f->status : "intelligence";
        if (wi_factor_forbidden(&ik->in->risk, f->factor)) {
            ik->sum->refused_factors++;
            note(ik, r->where, f->factor, "refused: not a permitted risk factor");
        } else if (!wi_factor_find(&ik->in->risk, f->factor)) {
            ik->sum->refused_factors++;
            note(ik, r->where, f->factor, "refused: not a factor of the risk model");
        } else if (strcmp(status, "fact") && strcmp(status, "intelligence") &&
                   strcmp(status, "assumption")) {
            ik->sum->refused_factors++;
            note(ik, r->where, f->factor,
                 "refused: status must be fact, intelligence or assumption");
        } else
            rc = add_factor(ik, rec, wi_factor_find(&ik->in->risk, f->factor)->name,
                            f->value, f->source, f->date, status, err);
    }
    return rc;
}

/* A job title with access to children implies a factor: direct access
 * occupation_children, contact occupation_contact_children (or, in a risk
 * model written before that factor, occupation_children: missing a doctor
 * is the failure this guards against). Its value says why: the title as
 * written, the group it was placed in and the mapping's version. A title
 * not placed implies nothing here and waits in 'ward intel occupations
 * --unmapped'. */
static ward_status occupation_factor(wi_intake *ik, int64_t rec, const char *title,
                                     const char *date, ward_error *err)
{
    const wi_occupations *o = &ik->in->occupations;
    wi_occ_match m;
    if (!wi_occ_classify_cached(o, &ik->occ_cache, title, &m) ||
        o->groups[m.group].access == WI_ACCESS_NONE)
        return WARD_OK;
    const char *factor = o->groups[m.group].access == WI_ACCESS_DIRECT ||
                                 !wi_factor_find(&ik->in->risk, "occupation_contact_children")
                             ? "occupation_children" : "occupation_contact_children";
    char why[160], value[300];
    wi_occ_explain(o, &m, why, sizeof why);
    snprintf(value, sizeof value, "%s -> %s", title, why);
    return add_factor(ik, rec, factor, value, NULL, date, "intelligence", err);
}

/* Factors a referral implies: its typology, urgent flags and occupation.
 * They are intelligence from the referring source, dated by the incident. */
static ward_status implied_factors(wi_intake *ik, int64_t rec, const wi_referral *r,
                                   ward_error *err)
{
    ward_status rc = WARD_OK;
    const char *date = r->incident_time;
    char day[16] = "";
    if (date && strlen(date) >= 10 && date[4] == '-') {
        snprintf(day, sizeof day, "%.10s", date);
        date = day;
    } else
        date = NULL;
    for (size_t i = 0; i < r->n_typology && !rc; i++) {
        const char *t = r->typology[i];
        if (in_list(urgent_flags, t) >= 0 || !strcasecmp(t, "grooming") ||
            !strcasecmp(t, "incitement"))
            rc = add_factor(ik, rec, t, "stated in the referral", NULL, date, "intelligence",
                            err);
    }
    if (!rc && !blank(r->occupation))
        rc = occupation_factor(ik, rec, r->occupation, date, err);
    return rc;
}

static ward_status ip_event(wi_intake *ik, int64_t rec, int grp, const wi_ip_event *e,
                            const char *where, ward_error *err)
{
    /* <ip_event time=".."/> or {"time": ..}: no address, nothing to store. */
    if (!e->address) {
        note(ik, where, "ip", "an IP event without an address: skipped");
        return WARD_OK;
    }
    wi_norm ip, t = {0};
    wi_norm_ip(e->address, &ip);
    int has_time = !blank(e->time);
    if (has_time)
        wi_norm_time(e->time, e->zone, &t);
    int has_port = !blank(e->port);
    /* Kept, but marked: without a full timestamp and zone, or behind a
     * carrier-grade NAT without a port, an address cannot identify anyone. */
    if (ip.status == WI_OK && !has_time) {
        ip.status = WI_UNUSABLE;
        snprintf(ip.reason, sizeof ip.reason, "no timestamp: cannot identify anyone");
    } else if (ip.status == WI_OK && !has_port && wi_ip_is_cgnat(ip.value)) {
        ip.status = WI_UNUSABLE;
        snprintf(ip.reason, sizeof ip.reason, "CGNAT range without a port");
    }
    if (ip.status == WI_UNUSABLE)
        ik->sum->unusable++;
    ward_status rc = add_val(ik, rec, "ip", grp, e->address, &ip, where, NULL, err);
    if (!rc && has_time) {
        char raw[160];
        snprintf(raw, sizeof raw, "%s%s%s", e->time, e->zone && *e->zone ? " " : "",
                 e->zone && *e->zone ? e->zone : "");
        rc = add_val(ik, rec, "ip_time", grp, raw, &t, where, NULL, err);
    }
    if (!rc && has_port) {
        wi_norm p = {.status = WI_OK};
        char *end;
        long v = strtol(e->port, &end, 10);
        if (*end || v < 0 || v > 65535)
            p.status = WI_INVALID, snprintf(p.reason, sizeof p.reason, "not a port number");
        else
            snprintf(p.value, sizeof p.value, "%ld", v);
        rc = add_val(ik, rec, "ip_port", grp, e->port, &p, where, NULL, err);
    }
    if (!rc)
        rc = add(ik, rec, "ip_event", grp, e->event, NULL, where, err);
    return rc;
}

/* A payment card number. PCI DSS keeps the full number (PAN) unreadable
 * wherever it is stored and shows at most its first 6 and last 4 digits:
 * ward stores the masked form as the value received, a keyed hash
 * (HMAC-SHA-256 under a key kept in the store) as its normal form, which
 * finds the same card again without holding it, and the BIN for requests
 * to the issuer: its first 8 digits when the number has 16 or more (the
 * 8-digit BINs ISO/IEC 7812-1:2017 brought in; PCI DSS allows first 8 and
 * last 4 for such numbers), else its first 6. The masked form shown
 * everywhere stays first 6 / last 4. The full number is never stored. */
static ward_status card(wi_intake *ik, int64_t rec, int grp, const char *raw,
                        const char *where, ward_error *err)
{
    wi_norm n;
    char digits[24], masked[24], bin[12] = "";
    wi_norm_card(raw, &n, digits);
    snprintf(bin, sizeof bin, "%.*s", strlen(digits) >= 16 ? 8 : 6, digits);
    snprintf(masked, sizeof masked, "%s", n.value);
    ward_status rc = WARD_OK;
    if (n.status == WI_OK) {
        if (!ik->has_card_key && !(rc = wi_secret(ik->in, "card_hmac", ik->card_key, err)))
            ik->has_card_key = 1;
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256(mac, (const unsigned char *)digits, strlen(digits),
                               ik->card_key);
        char hex[2 * sizeof mac + 1];
        sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
        snprintf(n.value, sizeof n.value, "hmac-sha256:%s", hex);
        sodium_memzero(digits, sizeof digits);
    }
    if (!rc)
        rc = add_val(ik, rec, "card", grp, masked, &n, where, NULL, err);
    if (!rc && n.status == WI_OK) {
        wi_norm b = {.status = WI_OK};
        snprintf(b.value, sizeof b.value, "%s", bin);
        rc = add_val(ik, rec, "card_bin", grp, b.value, &b, where, NULL, err);
    }
    return rc;
}

static ward_status lookup_hash(wi_intake *ik, int64_t rec, int64_t val, const char *norm,
                               int viewed, ward_error *err)
{
    if (!ik->store)
        return WARD_OK;
    ward_entries *e = NULL;
    ik->sum->hash_lookups++;
    if (ward_store_lookup(ik->store, norm, 0, &e, NULL) != WARD_OK || !e)
        return WARD_OK;   /* a failed lookup is no match, never a lost referral */
    ward_status rc = WARD_OK;
    if (e->count)
        ik->sum->hash_known++;
    for (size_t i = 0; i < e->count && !rc; i++) {
        wsql_stmt *st = ik->ins_hit;
        wsql_bind_int64(st, 1, rec);
        wsql_bind_int64(st, 2, val);
        wsql_bind_text(st, 3, e->v[i].list, -1, SQLITE_STATIC);
        wsql_bind_text(st, 4, e->v[i].category, -1, SQLITE_STATIC);
        wsql_bind_text(st, 5, e->v[i].category_class, -1, SQLITE_STATIC);
        wsql_bind_text(st, 6, e->v[i].series, -1, SQLITE_STATIC);
        rc = step(ik, st, err);
    }
    int alert = 0;
    for (size_t i = 0; i < e->count; i++)
        alert |= e->v[i].category_class && !strcmp(e->v[i].category_class, WARD_CLASS_ALERT);
    if (!rc && e->count)
        rc = add_factor(ik, rec, alert ? "image_known_alert" : "image_known", norm,
                        "hash-set store", NULL, "fact", err);
    if (!rc && viewed)
        rc = add_factor(ik, rec, "image_viewed", norm, NULL, NULL, "intelligence", err);
    ward_entries_free(e);
    return rc;
}

static ward_status file_ref(wi_intake *ik, int64_t rec, int grp, const wi_file_ref *f,
                            const char *where, ward_error *err)
{
    ward_status rc = add(ik, rec, "file_name", grp, f->name, NULL, where, err);
    int viewed = f->viewed && (!strcasecmp(f->viewed, "true") || !strcasecmp(f->viewed, "yes") ||
                               !strcmp(f->viewed, "1"));
    if (!rc)
        rc = add(ik, rec, "file_viewed", grp, f->viewed, NULL, where, err);
    const char *hashes[3] = {f->md5, f->sha1, f->sha256};
    for (int k = 0; k < 3 && !rc; k++) {
        if (!hashes[k] || !*hashes[k])
            continue;
        wi_norm n;
        int64_t id;
        wi_norm_hash(hashes[k], &n);
        rc = add_val(ik, rec, "file_hash", grp, hashes[k], &n, where, &id, err);
        if (!rc && n.status == WI_OK)
            rc = lookup_hash(ik, rec, id, n.value, viewed, err);
    }
    return rc;
}

/* Split the referral's typology into known typologies and urgent flags;
 * unknown words are kept as values only. */
static void typology(wi_intake *ik, const wi_referral *r, char *typ, char *urg, size_t cap)
{
    typ[0] = urg[0] = 0;
    for (size_t i = 0; i < r->n_typology; i++) {
        const char *t = r->typology[i];
        char *dst = in_list(urgent_flags, t) >= 0 ? urg : in_list(typologies, t) >= 0 ? typ : NULL;
        if (!dst) {
            note(ik, r->where, "typology", "unknown typology (kept as text only)");
            continue;
        }
        if (*dst)
            strncat(dst, ",", cap - strlen(dst) - 1);
        strncat(dst, t, cap - strlen(dst) - 1);
    }
}

static int truthy(const char *s)
{
    return s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"));
}

ward_status wi_intake_referral(wi_intake *ik, const wi_referral *r, ward_error *err)
{
    char typ[256], urg[256];
    typology(ik, r, typ, urg, sizeof typ);
    int international = ik->opts->international || truthy(r->international) ||
                        strstr(typ, "international") != NULL;
    char *ref_esc, *where_esc;   /* not UTF-8: kept escaped (add_val) */
    const char *ref = wi_utf8_text(r->ref, &ref_esc), *where = wi_utf8_text(r->where, &where_esc);
    wsql_stmt *st = ik->ins_record;
    wsql_bind_int64(st, 1, ik->batch);
    wsql_bind_text(st, 2, ref, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, where, -1, SQLITE_STATIC);
    wsql_bind_int(st, 4, international);
    wsql_bind_text(st, 5, typ, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, urg, -1, SQLITE_STATIC);
    int64_t rec = ik->next_record++;
    wsql_bind_int64(st, 7, rec);
    ward_status rc = (r->ref && !ref) || !where
                         ? err_fail(err, WARD_ENOMEM, "out of memory")
                         : step(ik, st, err);
    free(ref_esc), free(where_esc);
    if (rc)
        return rc;
    ik->sum->records++;
    const char *w = r->where;
    struct { const char *field, *raw; norm_fn fn; } simple[] = {
        {"ref", r->ref, NULL}, {"reporter", r->reporter, NULL},
        {"reporter_country", r->reporter_country, NULL},
        {"incident_type", r->incident_type, NULL}, {"name", r->name, wi_norm_name},
        {"dob", r->dob, wi_norm_date}, {"address", r->address, NULL},
        {"postcode", r->postcode, wi_norm_postcode}, {"occupation", r->occupation, NULL},
        {"area", r->area, NULL},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0] && !rc; i++)
        rc = add(ik, rec, simple[i].field, 0, simple[i].raw, simple[i].fn, w, err);
    if (!rc && !blank(r->incident_time)) {
        wi_norm n;
        wi_norm_time(r->incident_time, r->incident_zone, &n);
        rc = add_val(ik, rec, "incident_time", 0, r->incident_time, &n, w, NULL, err);
    }
    for (size_t i = 0; i < r->n_typology && !rc; i++)
        rc = add(ik, rec, "typology", (int)i, r->typology[i], NULL, w, err);
    for (size_t i = 0; i < r->n_emails && !rc; i++)
        rc = add(ik, rec, "email", (int)i, r->emails[i], wi_norm_email, w, err);
    for (size_t i = 0; i < r->n_phones && !rc; i++)
        rc = add(ik, rec, "phone", (int)i, r->phones[i], wi_norm_phone, w, err);
    for (size_t i = 0; i < r->n_screens && !rc; i++)
        rc = add(ik, rec, "screen_name", (int)i, r->screens[i], wi_norm_screen, w, err);
    for (size_t i = 0; i < r->n_chats && !rc; i++)
        rc = add(ik, rec, "chat_room", (int)i, r->chats[i], wi_norm_chat, w, err);
    for (size_t i = 0; i < r->n_cards && !rc; i++)
        if (!blank(r->cards[i]))
            rc = card(ik, rec, (int)i, r->cards[i], w, err);
    for (size_t i = 0; i < r->n_urls && !rc; i++)
        rc = add(ik, rec, "url", (int)i, r->urls[i], NULL, w, err);
    if (!rc)
        rc = add(ik, rec, "description", 0, r->description, NULL, w, err);
    if (!rc)
        rc = add(ik, rec, "reporter_contact", 0, r->reporter_contact, NULL, w, err);
    for (size_t i = 0; i < r->n_ips && !rc; i++)
        rc = ip_event(ik, rec, (int)i, &r->ips[i], w, err);
    for (size_t i = 0; i < r->n_files && !rc; i++)
        rc = file_ref(ik, rec, (int)i, &r->files[i], w, err);
    if (!rc)
        rc = stated_factors(ik, rec, r, err);
    if (!rc)
        rc = implied_factors(ik, rec, r, err);
    if (!rc)
        rc = flush_vals(ik, err);
    return rc;
}

/* ---- the file ------------------------------------------------------- */

static ward_status file_sha256(const char *path, char hex[65], ward_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_fail_errno(err, errno, "cannot read %s", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[65536], md[32];
    unsigned int len = 0;
    size_t n;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    int bad = ferror(f);
    fclose(f);
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    if (bad)
        return err_fail(err, WARD_EIO, "cannot read %s", path);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    return WARD_OK;
}

static ward_intel_format detect(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return WARD_INTEL_CSV;   /* the reader reports the open failure */
    int c;
    while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
                                     c == 0xef || c == 0xbb || c == 0xbf))
        ;
    fclose(f);
    return c == '{' || c == '[' ? WARD_INTEL_JSON : c == '<' ? WARD_INTEL_XML : WARD_INTEL_CSV;
}

static const char *const format_names[] = {"auto", "csv", "json", "xml"};

static ward_status prepare_all(wi_intake *ik, ward_error *err)
{
    ward_intel *in = ik->in;
    ward_status rc = wi_prepare(in, "INSERT INTO records(batch, ref, locator, international,"
                                    " typology, urgent, id) VALUES(?,?,?,?,?,?,?)",
                                &ik->ins_record, err);
    if (!rc)
        rc = wi_prepare(in, "INSERT INTO file_hits(record, val, list, category, class, series)"
                            " VALUES(?,?,?,?,?,?)", &ik->ins_hit, err);
    if (!rc)
        rc = wi_prepare(in, "INSERT INTO factors(record, factor, value, source, date_raw, date,"
                            " status, added_at) VALUES(?,?,?,?,?,?,?,?)", &ik->ins_factor, err);
    return rc;
}

static void finalize_all(wi_intake *ik)
{
    wsql_finalize(ik->ins_record);
    for (size_t n = 1; n <= VALS_PER_INSERT; n++)
        wsql_finalize(ik->ins_vals[n]);
    drop_pending(ik);
    wsql_finalize(ik->ins_hit);
    wsql_finalize(ik->ins_factor);
    wi_occ_cache_free(ik->occ_cache);
    ik->occ_cache = NULL;
}

static ward_status insert_batch(wi_intake *ik, const char *path, const char *fmt,
                                ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(ik->in,
                                "INSERT INTO batches(source, path, file_sha256, format, received,"
                                " ingested, international, bulk, id) VALUES(?,?,?,?,?,?,?,?,?)",
                                &st, err);
    if (rc)
        return rc;
    const ward_intel_ingest_opts *o = ik->opts;
    wsql_bind_text(st, 1, o->source, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, path, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, ik->sum->file_sha256, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, fmt, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, o->received ? o->received : ik->now, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, ik->now, -1, SQLITE_STATIC);
    wsql_bind_int(st, 7, o->international);
    wsql_bind_int(st, 8, o->bulk);
    wsql_bind_int64(st, 9, ik->batch);
    rc = step(ik, st, err);
    wsql_finalize(st);
    ik->sum->batch_id = ik->batch;
    return rc;
}

/* Bulk unknown (-1): decided by size against the routing threshold. */
static ward_status finish_batch(wi_intake *ik, ward_error *err)
{
    char sql[256];
    int bulk = ik->opts->bulk >= 0 ? ik->opts->bulk
                                   : ik->sum->records > (uint64_t)ik->in->routing.bulk_threshold;
    snprintf(sql, sizeof sql,
             "UPDATE batches SET records=%llu, quarantined=%llu, bad=%llu, bulk=%d WHERE id=%lld",
             (unsigned long long)ik->sum->records, (unsigned long long)ik->sum->quarantined,
             (unsigned long long)ik->sum->bad, bulk, (long long)ik->batch);
    return wi_exec(ik->in, sql, err);
}

ward_status ward_intel_ingest(ward_intel *in, const char *path,
                              const ward_intel_ingest_opts *opts, struct ward_store *store,
                              ward_intel_ingest_summary *sum, ward_error *err)
{
    ward_intel_ingest_summary local;
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    if (!opts || !opts->source || !*opts->source)
        return err_fail(err, WARD_EINVAL, "a referral list needs a source name");
    wi_intake ik = {.in = in, .store = store, .opts = opts, .sum = sum};
    wi_time_str(opts->now, ik.now);
    ward_intel_format fmt = opts->format ? opts->format : detect(path);
    ward_status rc = file_sha256(path, sum->file_sha256, err);
    if (rc)
        return rc;
    if ((rc = wi_begin(in, err)))
        return rc;
    /* under the write lock: two ingests of one file at once land it once */
    int64_t seen;
    rc = wi_query_int(in, "SELECT count(*) FROM batches WHERE file_sha256 = ?",
                      sum->file_sha256, 0, &seen, err);
    if (!rc && seen)
        rc = err_fail(err, WARD_EINVAL, "%s: this file (sha256 %.16s...) was already ingested",
                       path, sum->file_sha256);
    if (!rc && !(rc = wi_next_id(in, "batches", &ik.batch, err)) &&
        !(rc = wi_next_id(in, "records", &ik.next_record, err)))
        rc = wi_next_id(in, "vals", &ik.next_val, err);
    if (!rc)
        rc = prepare_all(&ik, err);
    if (!rc)
        rc = insert_batch(&ik, path, format_names[fmt], err);
    if (!rc)
        rc = fmt == WARD_INTEL_JSON  ? wi_read_json(&ik, path, err)
             : fmt == WARD_INTEL_XML ? wi_read_xml(&ik, path, err)
                                     : wi_read_csv(&ik, path, opts->columns, err);
    if (!rc)
        rc = finish_batch(&ik, err);
    finalize_all(&ik);
    if (!rc) {
        wi_audit(in, opts->now, NULL, "ingest", opts->source, path);
        rc = wi_commit(in, err);
    }
    if (rc) {
        wi_rollback(in);
        sum->batch_id = 0;
    } else
        wi_analyze(in, "batches, records, vals, file_hits, factors");
    return rc;
}

ward_status wi_ingest_one(ward_intel *in, const wi_referral *r,
                          const ward_intel_ingest_opts *opts, int64_t *record, int *urgent,
                          ward_intel_ingest_summary *sum, ward_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (!opts || !opts->source || !*opts->source)
        return err_fail(err, WARD_EINVAL, "a referral needs a source name");
    wi_intake ik = {.in = in, .opts = opts, .sum = sum};
    wi_time_str(opts->now, ik.now);
    /* a batch's file_sha256 is what keeps a file from landing twice; a
     * referral of its own is told apart by where it came from */
    unsigned char md[32];
    EVP_Digest(r->where, strlen(r->where), md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        sprintf(sum->file_sha256 + 2 * i, "%02x", md[i]);
    ward_status rc = wi_next_id(in, "batches", &ik.batch, err);
    if (!rc && !(rc = wi_next_id(in, "records", &ik.next_record, err)))
        rc = wi_next_id(in, "vals", &ik.next_val, err);
    if (!rc)
        rc = prepare_all(&ik, err);
    if (!rc)
        rc = insert_batch(&ik, r->where, "form", err);
    *record = ik.next_record;
    if (!rc)
        rc = wi_intake_referral(&ik, r, err);
    if (!rc)
        rc = finish_batch(&ik, err);
    finalize_all(&ik);
    char typ[256], urg[256];
    typology(&ik, r, typ, urg, sizeof typ);
    *urgent = urg[0] != 0;
    if (!rc)
        wi_audit(in, opts->now, NULL, "ingest", opts->source, r->where);
    return rc;
}
