/*
 * The public report form's answers: checked, parsed and turned into what
 * triage reads (typology words and urgent flags of intel's intake). Pure:
 * no store, no clock, so every rule is a unit test.
 *
 * The form is written for a child: a refusal says in plain words which
 * answer to change. Nothing is cut or cleaned silently; text is kept as
 * given (valid UTF-8) and escaped wherever it is shown.
 */
#include "util/error.h"
#include "util/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ward/report.h>

static int empty(const char *s)
{
    return !s || !*s;
}

static ward_status bad(ward_error *err, char field[32], const char *name, const char *msg)
{
    snprintf(field, 32, "%s", name);
    return err_fail(err, WARD_EINVAL, "%s", msg);
}

/* A short text answer: within `cap` bytes, UTF-8, no control characters
 * but tab (a name or a contact is one line). */
static ward_status short_text(const char *v, const char *name, char *out, size_t cap,
                              char field[32], ward_error *err)
{
    out[0] = 0;
    if (empty(v))
        return WARD_OK;
    size_t n = strlen(v);
    if (n > cap - 1)
        return bad(err, field, name, "This answer is too long. Please make it shorter.");
    if (!esc_utf8_valid(v, n))
        return bad(err, field, name, "This answer has characters we cannot read. "
                                     "Please type it again.");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return bad(err, field, name, "This answer must be on one line.");
    memcpy(out, v, n + 1);
    return WARD_OK;
}

/* yes / no / unsure (absent: no). */
static ward_status three_way(const char *v, const char *name, int *out, char field[32],
                             ward_error *err)
{
    *out = 0;
    if (empty(v) || !strcmp(v, "no"))
        return WARD_OK;
    if (!strcmp(v, "yes"))
        return *out = 1, WARD_OK;
    if (!strcmp(v, "unsure"))
        return *out = 2, WARD_OK;
    return bad(err, field, name, "Please choose yes, no or not sure.");
}

/* One address a line: http(s)://host..., no spaces or control bytes. */
static int url_ok(const char *u, size_t n)
{
    size_t scheme = !strncasecmp(u, "https://", 8) ? 8 : !strncasecmp(u, "http://", 7) ? 7 : 0;
    if (!scheme || n <= scheme)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f)
            return 0;
    return 1;
}

static ward_status urls(const char *v, ward_report *r, char field[32], ward_error *err)
{
    r->n_urls = 0;
    if (empty(v))
        return WARD_OK;
    if (!esc_utf8_valid(v, strlen(v)))
        return bad(err, field, "urls", "The web addresses have characters we cannot read. "
                                       "Please copy them again.");
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, "\r\n");
        const char *s = p;
        size_t n = len;
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        p += len;
        p += strspn(p, "\r\n");
        if (!n)
            continue;
        if (r->n_urls == WARD_REPORT_MAX_URLS)
            return bad(err, field, "urls", "Please give at most 8 web addresses. "
                                           "You can tell us about more in your own words.");
        if (n > WARD_REPORT_MAX_URL)
            return bad(err, field, "urls", "One of the web addresses is too long.");
        if (!url_ok(s, n))
            return bad(err, field, "urls",
                       "Each web address should start with http:// or https:// and have no "
                       "spaces, one on each line.");
        memcpy(r->urls[r->n_urls], s, n);
        r->urls[r->n_urls++][n] = 0;
    }
    return WARD_OK;
}

static const struct { const char *name; unsigned bit; } boxes[] = {
    {"asked_images", WARD_REPORT_ASKED_IMAGES}, {"sexual_chat", WARD_REPORT_SEXUAL_CHAT},
    {"shared_images", WARD_REPORT_SHARED_IMAGES}, {"abroad", WARD_REPORT_ABROAD},
    {"other", WARD_REPORT_OTHER}};

/*
 * What triage makes of the answers. In danger now ("yes" or "not sure": a
 * child who cannot tell is treated as one who is) is imminent_risk; a
 * meeting arranged is meeting_planned; both make the report urgent at once.
 * Being asked for pictures is incitement, sexual talk grooming, pictures
 * shared or threatened image_offences, a person abroad
 * international_abuser.
 */
static void classify(ward_report *r)
{
    r->n_typology = 0;
    if (r->danger)
        r->typology[r->n_typology++] = "imminent_risk";
    if (r->meeting == 1)
        r->typology[r->n_typology++] = "meeting_planned";
    r->urgent = r->n_typology > 0;
    if (r->what & WARD_REPORT_SEXUAL_CHAT)
        r->typology[r->n_typology++] = "grooming";
    if (r->what & WARD_REPORT_ASKED_IMAGES)
        r->typology[r->n_typology++] = "incitement";
    if (r->what & WARD_REPORT_SHARED_IMAGES)
        r->typology[r->n_typology++] = "image_offences";
    if (r->what & WARD_REPORT_ABROAD)
        r->typology[r->n_typology++] = "international_abuser";
}

ward_status ward_report_parse(const ward_report_form *f, ward_report *r, char field[32],
                              ward_error *err)
{
    memset(r, 0, sizeof *r);
    field[0] = 0;
    if (!empty(f->honeypot))
        return err_fail(err, WARD_ELIMIT, "the hidden field was filled in");
    if (!empty(f->about) && strcmp(f->about, "me") && strcmp(f->about, "someone"))
        return bad(err, field, "about", "Please choose whether this is about you or someone else.");
    r->about_me = !empty(f->about) && !strcmp(f->about, "me");
    ward_status rc = three_way(f->danger, "danger", &r->danger, field, err);
    if (!rc)
        rc = three_way(f->meeting, "meeting", &r->meeting, field, err);
    for (size_t i = 0; i < sizeof f->what / sizeof *f->what && !rc; i++) {
        if (empty(f->what[i]))
            continue;
        size_t k = 0;
        while (k < sizeof boxes / sizeof *boxes && strcmp(boxes[k].name, f->what[i]))
            k++;
        if (k == sizeof boxes / sizeof *boxes)
            rc = bad(err, field, "what", "One of the ticked boxes is not one of ours.");
        else
            r->what |= boxes[k].bit;
    }
    if (!rc)
        rc = urls(f->urls, r, field, err);
    if (!rc)
        rc = short_text(f->who, "who", r->who, sizeof r->who, field, err);
    if (!rc)
        rc = short_text(f->contact, "contact", r->contact, sizeof r->contact, field, err);
    if (!rc && !empty(f->description)) {
        size_t n = strlen(f->description);
        if (n > WARD_REPORT_MAX_DESCRIPTION)
            rc = bad(err, field, "description",
                     "What you wrote is too long for one report (6000 characters). Please "
                     "make it shorter, or send the rest in a second report.");
        else if (!esc_utf8_valid(f->description, n))
            rc = bad(err, field, "description",
                     "What you wrote has characters we cannot read. Please type it again.");
        else
            memcpy(r->description, f->description, n + 1);
    }
    if (!rc && !empty(f->age)) {
        char *end;
        long a = strtol(f->age, &end, 10);
        if (*end || end == f->age || a < 1 || a > 120)
            rc = bad(err, field, "age", "Please give the age as a number, or leave it empty.");
        else
            r->age = (int)a;
    }
    if (!rc && !r->n_urls && !r->who[0] && !r->description[0] && !r->danger && !r->meeting)
        rc = bad(err, field, "description",
                 "Please tell us what happened, or give a web address or the person's name.");
    if (!rc)
        classify(r);
    return rc;
}

/* ---- receipt numbers ---------------------------------------------------- */

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";   /* 37 for the check */

static int crockford_value(char c)
{
    const char *p = c ? strchr(crockford, c) : NULL;
    return p ? (int)(p - crockford) : -1;
}

void ward_report_receipt(const uint8_t b[6], char out[WARD_REPORT_RECEIPT_MAX])
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | b[i];
    char d[10];
    unsigned check = 0;
    for (int i = 9; i >= 0; i--, v >>= 5)
        d[i] = crockford[v & 31];
    /* mod 37 over the 50-bit value, as Crockford's check symbol */
    uint64_t w = 0;
    for (int i = 0; i < 10; i++)
        w = w * 32 + (uint64_t)crockford_value(d[i]);
    check = (unsigned)(w % 37);
    snprintf(out, WARD_REPORT_RECEIPT_MAX, "R-%.5s-%.5s-%c", d, d + 5, crockford[check]);
}

int ward_report_receipt_ok(const char *s)
{
    if (!s || strlen(s) != 15 || strncmp(s, "R-", 2) || s[7] != '-' || s[13] != '-')
        return 0;
    uint64_t w = 0;
    for (int i = 2; i < 13; i++) {
        if (i == 7)
            continue;
        int v = crockford_value(s[i]);
        if (v < 0 || v > 31)
            return 0;
        w = w * 32 + (uint64_t)v;
    }
    int c = crockford_value(s[14]);
    return c >= 0 && (uint64_t)c == w % 37;
}
