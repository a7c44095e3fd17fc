/*
 * Normalising referral values. Each normaliser reads the value exactly as
 * received and yields a normalised form, or says why it cannot: malformed
 * (invalid), ambiguous (quarantined: a person decides, ward never guesses)
 * or well formed but unable to identify anyone (unusable).
 */
#include "intel/intel_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const wi_vstatus_names[4] = {"ok", "quarantined", "unusable", "invalid"};

static void set(wi_norm *n, wi_vstatus st, const char *value, const char *reason)
{
    n->status = st;
    snprintf(n->value, sizeof n->value, "%s", st == WI_OK ? value : "");
    snprintf(n->reason, sizeof n->reason, "%s", reason ? reason : "");
}

char *wi_trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

char *wi_escaped(const char *s)
{
    strbuf b = {0};
    if (!esc_name(&b, s, strlen(s))) {
        strbuf_free(&b);
        return NULL;
    }
    return b.s;
}

const char *wi_utf8_text(const char *s, char **owned)
{
    *owned = NULL;
    if (!s || esc_utf8_valid(s, strlen(s)))
        return s;
    return *owned = wi_escaped(s);
}

/* A trimmed copy of raw in buf; NULL when it does not fit. */
static char *trimmed(const char *raw, char *buf, size_t cap)
{
    if (strlen(raw) >= cap)
        return NULL;
    strcpy(buf, raw);
    return wi_trim(buf);
}

void wi_norm_email(const char *raw, wi_norm *n)
{
    char buf[160], *s = trimmed(raw, buf, sizeof buf);
    if (!s)
        return set(n, WI_INVALID, "", "too long for an email address");
    char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strpbrk(s, " \t,;<>"))
        return set(n, WI_INVALID, "", "not an email address");
    if (!strchr(at + 1, '.'))
        return set(n, WI_INVALID, "", "email domain has no dot");
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    set(n, WI_OK, s, NULL);
}

void wi_norm_phone(const char *raw, wi_norm *n)
{
    char digits[40];
    size_t k = 0;
    int plus = 0;
    for (const char *p = raw; *p; p++) {
        if (!strncmp(p, "(0)", 3) && plus) {   /* "+44 (0)7700": the trunk 0 is not dialled */
            p += 2;
            continue;
        }
        if (isdigit((unsigned char)*p)) {
            if (k + 1 >= sizeof digits)
                return set(n, WI_INVALID, "", "too many digits for a phone number");
            digits[k++] = *p;
        } else if (*p == '+' && k == 0 && !plus)
            plus = 1;
        else if (!strchr(" -().\t", *p))
            return set(n, WI_INVALID, "", "not a phone number");
    }
    digits[k] = 0;
    if (k < 7)
        return set(n, WI_INVALID, "", "too few digits for a phone number");
    char out[48];
    if (plus)
        snprintf(out, sizeof out, "+%s", digits);
    else if (!strncmp(digits, "00", 2))
        snprintf(out, sizeof out, "+%s", digits + 2);
    else if (digits[0] == '0' && k == 11)   /* UK national form */
        snprintf(out, sizeof out, "+44%s", digits + 1);
    else
        return set(n, WI_QUARANTINED, "", "no country code: which country is not known");
    set(n, WI_OK, out, NULL);
}

void wi_norm_screen(const char *raw, wi_norm *n)
{
    char buf[160], *s = trimmed(raw, buf, sizeof buf);
    if (!s || !*s)
        return set(n, WI_INVALID, "", "empty or too long screen name");
    char *name = strchr(s, ':');
    name = name ? name + 1 : s;
    if (*name == '@')
        memmove(name, name + 1, strlen(name));
    if (!*name)
        return set(n, WI_INVALID, "", "empty screen name");
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    set(n, WI_OK, s, NULL);
}

void wi_norm_chat(const char *raw, wi_norm *n)
{
    char buf[160], *s = trimmed(raw, buf, sizeof buf);
    if (!s || !*s)
        return set(n, WI_INVALID, "", "empty or too long chat room");
    size_t k = 0;
    for (char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 && c != '\t')
            return set(n, WI_INVALID, "", "control character in a chat room");
        if (isspace(c) && (k == 0 || s[k - 1] == ' '))
            continue;   /* runs of white space count once */
        s[k++] = isspace(c) ? ' ' : (char)tolower(c);
    }
    s[k] = 0;
    set(n, WI_OK, s, NULL);
}

void wi_norm_name(const char *raw, wi_norm *n)
{
    char buf[160], *s = trimmed(raw, buf, sizeof buf);
    if (!s || !*s)
        return set(n, WI_INVALID, "", "empty or too long name");
    /* "SURNAME, Forename" -> "Forename SURNAME" */
    char ordered[160];
    char *comma = strchr(s, ',');
    if (comma) {
        *comma = 0;
        snprintf(ordered, sizeof ordered, "%s %s", comma + 1, s);
    } else
        snprintf(ordered, sizeof ordered, "%s", s);
    char out[160];
    size_t k = 0;
    int space = 1;
    for (const char *p = ordered; *p && k + 1 < sizeof out; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\'' || c == '-' || c == '.')
            continue;               /* O'Brien = OBrien; hyphens and dots vary */
        if (c == ' ' || c == '\t') {
            if (!space)
                out[k++] = ' ';
            space = 1;
            continue;
        }
        out[k++] = (char)toupper(c);
        space = 0;
    }
    while (k && out[k - 1] == ' ')
        k--;
    out[k] = 0;
    if (!k)
        return set(n, WI_INVALID, "", "name has no letters");
    set(n, WI_OK, out, NULL);
}

void wi_norm_postcode(const char *raw, wi_norm *n)
{
    char s[16];
    size_t k = 0;
    for (const char *p = raw; *p; p++) {
        if (*p == ' ' || *p == '\t')
            continue;
        if (!isalnum((unsigned char)*p) || k + 1 >= sizeof s)
            return set(n, WI_INVALID, "", "not a UK postcode");
        s[k++] = (char)toupper((unsigned char)*p);
    }
    s[k] = 0;
    /* Outward code (2-4) + inward code (digit, two letters). */
    if (k < 5 || k > 7 || !isalpha((unsigned char)s[0]) || !isdigit((unsigned char)s[k - 3]) ||
        !isalpha((unsigned char)s[k - 2]) || !isalpha((unsigned char)s[k - 1]))
        return set(n, WI_INVALID, "", "not a UK postcode");
    char out[20];
    snprintf(out, sizeof out, "%.*s %s", (int)(k - 3), s, s + k - 3);
    set(n, WI_OK, out, NULL);
}

void wi_postcode_area(const char *postcode, char out[8])
{
    size_t k = 0;
    while (k < 2 && isalpha((unsigned char)postcode[k])) {
        out[k] = postcode[k];
        k++;
    }
    out[k] = 0;
}

void wi_norm_ip(const char *raw, wi_norm *n)
{
    char buf[80], *s = trimmed(raw, buf, sizeof buf);
    if (!s)
        return set(n, WI_INVALID, "", "not an IP address");
    if (*s == '[') {
        s++;
        char *e = strchr(s, ']');
        if (e)
            *e = 0;
    }
    unsigned char bin[16];
    char out[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, s, bin) == 1)
        inet_ntop(AF_INET, bin, out, sizeof out);
    else if (inet_pton(AF_INET6, s, bin) == 1)
        inet_ntop(AF_INET6, bin, out, sizeof out);
    else
        return set(n, WI_INVALID, "", "not an IP address");
    set(n, WI_OK, out, NULL);
}

int wi_ip_is_cgnat(const char *ip)
{
    unsigned char b[4];
    return inet_pton(AF_INET, ip, b) == 1 && b[0] == 100 && (b[1] & 0xc0) == 64;
}

void wi_norm_hash(const char *raw, wi_norm *n)
{
    char buf[80], *s = trimmed(raw, buf, sizeof buf);
    if (!s)
        return set(n, WI_INVALID, "", "not a hex digest");
    char *colon = strchr(s, ':');
    if (colon)
        s = colon + 1;
    size_t k = strlen(s);
    for (size_t i = 0; i < k; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return set(n, WI_INVALID, "", "not a hex digest");
        s[i] = (char)tolower((unsigned char)s[i]);
    }
    const char *kind = k == 32 ? "md5" : k == 40 ? "sha1" : k == 64 ? "sha256" : NULL;
    if (!kind)
        return set(n, WI_INVALID, "", "digest is not 32, 40 or 64 hex digits");
    char out[80];
    snprintf(out, sizeof out, "%s:%s", kind, s);
    set(n, WI_OK, out, NULL);
}

void wi_card_mask(const char *digits, char out[24])
{
    size_t k = strlen(digits);
    if (k > 19)
        k = 19;
    for (size_t i = 0; i < k; i++)
        out[i] = i < 6 || i + 4 >= k ? digits[i] : '*';
    out[k] = 0;
}

static int luhn_ok(const char *d, size_t k)
{
    int sum = 0;
    for (size_t i = 0; i < k; i++) {
        int v = d[k - 1 - i] - '0';
        if (i % 2 && (v *= 2) > 9)
            v -= 9;
        sum += v;
    }
    return sum % 10 == 0;
}

void wi_norm_card(const char *raw, wi_norm *n, char *digits)
{
    char d[24], masked[24];
    size_t k = 0;
    int other = 0;
    if (digits)
        digits[0] = 0;
    for (const char *p = raw; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (k + 1 < sizeof d)
                d[k] = *p;
            k++;
        } else if (!strchr(" -.\t", *p))
            other = 1;
    }
    d[k < sizeof d ? k : sizeof d - 1] = 0;
    wi_card_mask(d, masked);
    n->status = WI_OK;
    n->reason[0] = 0;
    snprintf(n->value, sizeof n->value, "%s", masked);
    if (other || k < 12 || k > 19) {
        n->status = WI_INVALID;
        snprintf(n->reason, sizeof n->reason, "not a card number (12-19 digits)");
        return;
    }
    if (!luhn_ok(d, k)) {
        n->status = WI_QUARANTINED;
        snprintf(n->reason, sizeof n->reason, "card number fails its Luhn check digit");
        return;
    }
    if (digits)
        snprintf(digits, 20, "%s", d);
}

/* ---- dates and times -------------------------------------------------- */

static int read_int(const char **p, int min_digits, int max_digits, int *v)
{
    int k = 0;
    *v = 0;
    while (k < max_digits && isdigit((unsigned char)(*p)[0])) {
        *v = *v * 10 + (**p - '0');
        (*p)++;
        k++;
    }
    return k >= min_digits ? k : -1;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

typedef struct dt {
    int y, mo, d, h, mi, s;
    int has_time, has_zone, zone_min, zone_given;
    int ampm;            /* 0 none, 1 am, 2 pm */
    int hour_digits;
} dt;

/* One more reason a value is quarantined: every reason is listed, not only
 * the first, so that the person who settles it sees all that is wrong. */
static void quarantine(wi_norm *n, const char *why)
{
    size_t k = strlen(n->reason);
    n->status = WI_QUARANTINED;
    snprintf(n->reason + k, sizeof n->reason - k, "%s%s", k ? "; " : "", why);
}

/* Date part: ISO YYYY-MM-DD, or A/B/YYYY (also '.' '-'). Returns NULL (n
 * invalid), or the rest of the text; what is ambiguous is quarantined
 * (n) and reading goes on, to find every other reason. */
static const char *parse_date(const char *p, dt *t, wi_norm *n)
{
    int a, b, c;
    const char *q = p;
    if (read_int(&q, 4, 4, &a) == 4 && *q == '-') {
        q++;
        if (read_int(&q, 1, 2, &b) < 0 || *q != '-')
            return set(n, WI_INVALID, "", "not a date"), NULL;
        q++;
        if (read_int(&q, 1, 2, &c) < 0)
            return set(n, WI_INVALID, "", "not a date"), NULL;
        t->y = a, t->mo = b, t->d = c;
    } else {
        q = p;
        if (read_int(&q, 1, 2, &a) < 0 || !strchr("/.-", *q))
            return set(n, WI_INVALID, "", "not a date"), NULL;
        char sep = *q++;
        if (read_int(&q, 1, 2, &b) < 0 || *q != sep)
            return set(n, WI_INVALID, "", "not a date"), NULL;
        q++;
        int yd = read_int(&q, 1, 4, &c);
        if (yd < 0)
            return set(n, WI_INVALID, "", "not a date"), NULL;
        if (yd != 4) {
            quarantine(n, "year not written in full");
            c = 2000;   /* a leap year: only the day and month are checked */
        }
        if (a > 12 && b <= 12)
            t->d = a, t->mo = b;
        else if (b > 12 && a <= 12)
            t->d = b, t->mo = a;
        else {
            if (a != b)
                quarantine(n, "day and month could be either way round");
            t->d = a, t->mo = b;
        }
        t->y = c;
    }
    if (t->mo < 1 || t->mo > 12 || t->d < 1 || t->d > days_in_month(t->y, t->mo) ||
        t->y < 1900 || t->y > 2100)
        return set(n, WI_INVALID, "", "no such date"), NULL;
    return q;
}

/* A zone: Z, UTC, GMT, +hh, +hhmm, +hh:mm. Returns the rest or NULL. */
static const char *parse_zone(const char *p, dt *t)
{
    while (*p == ' ')
        p++;
    if (*p == 'Z' || *p == 'z') {
        t->has_zone = 1, t->zone_min = 0;
        return p + 1;
    }
    if (!strncasecmp(p, "UTC", 3) || !strncasecmp(p, "GMT", 3)) {
        t->has_zone = 1, t->zone_min = 0;
        p += 3;
        if (*p != '+' && *p != '-')
            return p;
    }
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, h, m = 0;
        p++;
        int k = read_int(&p, 2, 4, &h);
        if (k == 4)
            m = h % 100, h /= 100;
        else if (k == 2 && *p == ':') {
            p++;
            if (read_int(&p, 2, 2, &m) != 2)
                return NULL;
        } else if (k != 2)
            return NULL;
        if (h > 14 || m > 59)
            return NULL;
        t->has_zone = 1, t->zone_min = sign * (h * 60 + m);
        return p;
    }
    return p;
}

static const char *parse_clock(const char *p, dt *t, wi_norm *n)
{
    t->hour_digits = read_int(&p, 1, 2, &t->h);
    if (t->hour_digits < 0 || *p != ':' )
        return set(n, WI_INVALID, "", "not a time"), NULL;
    p++;
    if (read_int(&p, 2, 2, &t->mi) != 2)
        return set(n, WI_INVALID, "", "not a time"), NULL;
    if (*p == ':') {
        p++;
        if (read_int(&p, 2, 2, &t->s) != 2)
            return set(n, WI_INVALID, "", "not a time"), NULL;
        if (*p == '.' || *p == ',') {   /* fraction: kept in raw, not needed here */
            p++;
            while (isdigit((unsigned char)*p))
                p++;
        }
    }
    t->has_time = 1;
    while (*p == ' ')
        p++;
    if (!strncasecmp(p, "AM", 2) || !strncasecmp(p, "PM", 2)) {
        t->ampm = toupper((unsigned char)*p) == 'A' ? 1 : 2;
        p += 2;
    }
    return p;
}

/* -1: invalid (n says why). 0: read; n is WI_OK or quarantined with every
 * reason found. */
static int parse_dt(const char *raw, const char *zone, dt *t, wi_norm *n)
{
    memset(t, 0, sizeof *t);
    set(n, WI_OK, "", NULL);
    char buf[96], *s = trimmed(raw, buf, sizeof buf);
    if (!s || !*s)
        return set(n, WI_INVALID, "", "empty or too long date"), -1;
    const char *p = parse_date(s, t, n);
    if (!p)
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        const char *q = p + 1;
        while (*q == ' ')
            q++;
        if (isdigit((unsigned char)*q) && !(p = parse_clock(q, t, n)))
            return -1;
        if (!t->has_time)
            p = q;
    }
    if (!(p = parse_zone(p, t)) || *p)
        return set(n, WI_INVALID, "", "unreadable time or zone"), -1;
    t->zone_given = zone && *zone && strspn(zone, " \t") < strlen(zone);
    if (t->zone_given && !t->has_zone) {
        char zb[32], *z = trimmed(zone, zb, sizeof zb);
        const char *r = z ? parse_zone(z, t) : NULL;
        if (!r || *r || !t->has_zone)
            quarantine(n, "zone is not a UTC offset");
    }
    if (t->ampm) {
        if (t->h < 1 || t->h > 12)
            return set(n, WI_INVALID, "", "AM/PM with an hour outside 1-12"), -1;
        t->h = t->h % 12 + (t->ampm == 2 ? 12 : 0);
    } else if (t->has_time && t->hour_digits == 1)
        /* "3:15" is how a 12-hour clock writes a time (a 24-hour one, and
         * ISO 8601, write 03:15): morning or afternoon is not known, with
         * or without a zone, after an ISO date or any other. */
        quarantine(n, "12-hour time without AM/PM");
    if (t->h > 23 || t->mi > 59 || t->s > 60)
        return set(n, WI_INVALID, "", "no such time"), -1;
    return 0;
}

void wi_norm_date(const char *raw, wi_norm *n)
{
    dt t;
    if (parse_dt(raw, NULL, &t, n))
        return;
    if (t.has_time)
        return set(n, WI_INVALID, "", "a date was expected, not a time");
    if (n->status != WI_OK)
        return;
    char out[16];
    snprintf(out, sizeof out, "%04d-%02d-%02d", t.y, t.mo, t.d);
    set(n, WI_OK, out, NULL);
}

void wi_norm_time(const char *raw, const char *zone, wi_norm *n)
{
    dt t;
    if (parse_dt(raw, zone, &t, n))
        return;
    if (!t.has_time)
        quarantine(n, "date without a time of day");
    if (!t.has_zone && !t.zone_given)   /* a zone given but unread is already named */
        quarantine(n, "time without a zone");
    if (n->status != WI_OK)
        return;
    struct tm tm = {.tm_year = t.y - 1900, .tm_mon = t.mo - 1, .tm_mday = t.d,
                    .tm_hour = t.h, .tm_min = t.mi, .tm_sec = t.s};
    time_t utc = timegm(&tm) - (time_t)t.zone_min * 60;
    char out[32];
    wi_time_str(utc, out);
    set(n, WI_OK, out, NULL);
}

time_t wi_norm_time_t(const char *norm) { return wi_time_parse(norm); }
