/*
 * The three models behind intel, as plain text a person can read and
 * change: the risk model (factors, weights, bands), the routing rules and
 * the resolution weights. One directive per line, '#' starts a comment.
 * A data directory may hold its own intel-<which>.conf; otherwise the
 * built-in text below is used ('ward intel config' prints it).
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const wi_field_names[WI_NFIELDS] = {"email", "phone", "screen_name", "ip",
                                                "name", "dob", "postcode"};
const char *const wi_band_names[WI_NBANDS] = {"very-high", "high", "medium", "low"};
const char *const wi_band_labels[WI_NBANDS] = {"Very High", "High", "Medium", "Low"};

int wi_band_parse(const char *s)
{
    for (int b = 0; b < WI_NBANDS; b++)
        if (!strcasecmp(s, wi_band_names[b]) || !strcasecmp(s, wi_band_labels[b]))
            return b;
    if (!strcasecmp(s, "very_high") || !strcasecmp(s, "veryhigh"))
        return WI_BAND_VERY_HIGH;
    return -1;
}

static const char default_risk[] =
"# ward intel risk model. Priority is led by ACCESS to children and\n"
"# OPPORTUNITY, then current harm and history; what images were found is a\n"
"# weak, separately capped input.\n"
"#\n"
"# factor NAME GROUP WEIGHT [urgent] DESCRIPTION...\n"
"factor occupation_children  access 30 Occupation with access to children\n"
"factor occupation_contact_children access 15 Occupation whose work serves children among others\n"
"factor children_in_household access 25 Children in the household\n"
"factor volunteering_children access 25 Volunteers with children\n"
"factor fostering            access 30 Foster carer or adopter\n"
"factor travel_vulnerable    access 20 Travel to vulnerable settings\n"
"factor unsupervised_contact opportunity 20 Unsupervised contact with children\n"
"factor online_contact_children opportunity 15 Online contact with children\n"
"factor new_images           harm 25 New (unknown) images\n"
"factor self_produced_images harm 30 Self-produced images of a child\n"
"factor grooming             harm 30 Grooming\n"
"factor incitement           harm 20 Incitement or conspiracy\n"
"factor meeting_planned      harm 40 urgent Meeting with a child planned\n"
"factor imminent_risk        harm 50 urgent Child at imminent risk\n"
"factor threats              harm 30 urgent Threats made\n"
"factor prior_conviction     history 15 Prior relevant conviction\n"
"factor registered_offender  history 20 Registered sex offender\n"
"factor image_known          image 4 File matches a known hash set\n"
"factor image_known_alert    image 6 File matches an alert category\n"
"factor image_viewed         image 2 Reporter viewed the file\n"
"#\n"
"# How much a factor counts by its evidential status.\n"
"status fact 1.0\n"
"status intelligence 0.7\n"
"status assumption 0.4\n"
"# The image group adds at most this much, whatever it holds.\n"
"image_cap 10\n"
"# band NAME MIN_SCORE DEADLINE_HOURS\n"
"band very-high 65 24\n"
"band high 35 168\n"
"band medium 15 336\n"
"band low 0 720\n"
"# Never accepted as factors, whoever supplies them.\n"
"forbid ethnicity nationality immigration_status race religion\n"
"# Which occupations give the two occupation factors is the occupation\n"
"# mapping's (intel-occupations.conf, 'ward intel config occupations').\n"
"# Validation ('ward intel validate'): which recorded outcomes confirm the\n"
"# risk (an offence, or a child who needed protecting) and which do not;\n"
"# an outcome in neither list (referred: its end is not known here) is\n"
"# left out of the figures and counted.\n"
"outcome_positive arrest charge caution safeguarded\n"
"outcome_negative nfa\n";

static const char default_routing[] =
"# ward intel routing rules.\n"
"# The version of these rules: each referral routed by a force or area\n"
"# column names it in its package's routing reason.\n"
"version 2026.12\n"
"# hub ID NAME...: the international hub and the five regional hubs\n"
"hub international International hub\n"
"hub wales Wales regional hub\n"
"hub north North regional hub\n"
"hub east East regional hub\n"
"hub west West regional hub\n"
"hub south South regional hub\n"
"international international\n"
"# Referrals with no known area wait here for a person to route them.\n"
"unassigned triage\n"
"# A list with more records than this is a bulk national operation:\n"
"# its subjects go to the regional hub, not straight to a force.\n"
"bulk_threshold 100\n"
"# area POSTCODE_AREA HUB FORCE...\n"
"area CF wales South Wales Police\n"
"area SA wales Dyfed-Powys Police\n"
"area LL wales North Wales Police\n"
"area NP wales Gwent Police\n"
"area M north Greater Manchester Police\n"
"area L north Merseyside Police\n"
"area LS north West Yorkshire Police\n"
"area NE north Northumbria Police\n"
"area NR east Norfolk Constabulary\n"
"area CB east Cambridgeshire Constabulary\n"
"area IP east Suffolk Constabulary\n"
"area B west West Midlands Police\n"
"area BS west Avon and Somerset Constabulary\n"
"area GL west Gloucestershire Constabulary\n"
"area BN south Sussex Police\n"
"area SO south Hampshire Constabulary\n"
"area CT south Kent Police\n"
"# A referral with no postcode in a known area is routed by its force or\n"
"# area column (CSV 'area', JSON/XML 'area' or 'force'): an area's code\n"
"# (CF), its force's name (\"South Wales Police\", \"South Wales\": the\n"
"# words police, constabulary, service, force, and, the are ignored, as are\n"
"# case and punctuation) or one of these aliases. A name none of them knows\n"
"# goes to triage and is listed by 'ward intel areas --unmapped'.\n"
"# alias AREA NAME[; NAME...]\n"
"alias CF SWP\n"
"alias SA DPP; Dyfed Powys\n"
"alias LL NWP\n"
"alias NP Gwent\n"
"alias M GMP; Manchester\n"
"alias L Merpol\n"
"alias LS WYP\n"
"alias NE Northumberland\n"
"alias B WMP\n"
"alias BS ASP\n"
"alias SO Hampshire and Isle of Wight Constabulary; HIOWC\n"
"alias CT Kent County Constabulary\n";

static const char default_resolve[] =
"# ward intel resolution weights (Fellegi-Sunter).\n"
"# field NAME M U: M = P(agree | same person), U = P(agree | different).\n"
"# Agreement adds log2(M/U), disagreement adds log2((1-M)/(1-U)).\n"
"field email 0.60 0.0001\n"
"field phone 0.60 0.0001\n"
"field screen_name 0.60 0.0005\n"
"field ip 0.50 0.001\n"
"field name 0.95 0.01\n"
"field dob 0.97 0.003\n"
"field postcode 0.85 0.01\n"
"# Records at or above this total are the same subject.\n"
"threshold 8\n"
"# An identifier held by more records than this, or seen under more\n"
"# different names than shared_names (a carrier-grade NAT address, a\n"
"# shared office mailbox), never links anyone.\n"
"frequency_cap 50\n"
"shared_names 3\n"
"# IP events agree only within this many hours of each other.\n"
"ip_window_hours 72\n";

const char *const wi_outcome_names[WI_N_OUTCOMES] = {"arrest", "charge", "caution",
                                                     "safeguarded", "nfa", "referred"};

int wi_outcome_index(const char *outcome)
{
    for (int o = 0; outcome && o < WI_N_OUTCOMES; o++)
        if (!strcmp(outcome, wi_outcome_names[o]))
            return o;
    return -1;
}

static const char default_retention[] =
"# ward intel retention policy. Nothing is ever deleted by a date alone:\n"
"# a date only puts the subject before a person ('ward intel retention\n"
"# --due'), who keeps it (with a reason) or marks it for disposal.\n"
"#\n"
"# An open subject is reviewed this many days after its last change (an\n"
"# assessment, override, merge or split, package step); a 'keep' decision\n"
"# pushes the review on by the same interval.\n"
"review_days 365\n"
"# retain OUTCOME DAYS: a closed subject (every package has an outcome) is\n"
"# kept this long after its latest outcome, the longest of its outcomes'\n"
"# periods. No further action: two years; anything else: six years.\n"
"retain nfa 730\n"
"retain referred 2190\n"
"retain safeguarded 2190\n"
"retain caution 2190\n"
"retain charge 2190\n"
"retain arrest 2190\n";

const char *ward_intel_default_config(const char *which)
{
    if (!which)
        return NULL;
    if (!strcmp(which, "risk"))
        return default_risk;
    if (!strcmp(which, "routing"))
        return default_routing;
    if (!strcmp(which, "resolve"))
        return default_resolve;
    if (!strcmp(which, "retention"))
        return default_retention;
    if (!strcmp(which, "occupations"))
        return wi_default_occupations;
    return NULL;
}

/* ---- a tiny line parser ---------------------------------------------- */

typedef struct cfg_line {
    char *tok[24];
    int n;
    char *rest[24];   /* rest of the line from token i (for descriptions) */
} cfg_line;

static void split(char *line, cfg_line *l)
{
    l->n = 0;
    char *p = line;
    while (*p && l->n < 24) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        l->tok[l->n] = p;
        l->rest[l->n] = p;
        l->n++;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = 0;
    }
}

/* The rest of the original line from token i (tokens were NUL-split). */
static void join_rest(cfg_line *l, int i, char *out, size_t cap)
{
    out[0] = 0;
    for (int k = i; k < l->n; k++) {
        if (k > i)
            strncat(out, " ", cap - strlen(out) - 1);
        strncat(out, l->tok[k], cap - strlen(out) - 1);
    }
}

typedef ward_status (*cfg_fn)(ward_intel *in, cfg_line *l, const char *where,
                              ward_error *err);

static int num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno || end == s || *end || !isfinite(*v) ? -1 : 0;
}

static ward_status risk_line(ward_intel *in, cfg_line *l, const char *where, ward_error *err)
{
    wi_risk_model *m = &in->risk;
    const char *k = l->tok[0];
    double v;
    if (!strcmp(k, "factor") && l->n >= 4 && !num(l->tok[3], &v)) {
        wi_factor_def *f = realloc(m->factors, (m->n_factors + 1) * sizeof *f);
        if (!f)
            return err_fail(err, WARD_ENOMEM, "out of memory");
        m->factors = f;
        f = &m->factors[m->n_factors++];
        memset(f, 0, sizeof *f);
        snprintf(f->name, sizeof f->name, "%s", l->tok[1]);
        snprintf(f->group, sizeof f->group, "%s", l->tok[2]);
        f->weight = v;
        int d = 4;
        if (l->n > 4 && !strcmp(l->tok[4], "urgent"))
            f->urgent = 1, d = 5;
        join_rest(l, d, f->description, sizeof f->description);
        return WARD_OK;
    }
    if (!strcmp(k, "status") && l->n == 3 && !num(l->tok[2], &v)) {
        static const char *const st[3] = {"fact", "intelligence", "assumption"};
        for (int i = 0; i < 3; i++)
            if (!strcmp(l->tok[1], st[i])) {
                m->status_mult[i] = v;
                return WARD_OK;
            }
    }
    if (!strcmp(k, "image_cap") && l->n == 2 && !num(l->tok[1], &v)) {
        m->image_cap = v;
        return WARD_OK;
    }
    double h;
    if (!strcmp(k, "band") && l->n == 4 && !num(l->tok[2], &v) && !num(l->tok[3], &h)) {
        int b = wi_band_parse(l->tok[1]);
        if (b >= 0 && h > 0) {
            m->band_min[b] = v;
            m->band_hours[b] = (int)h;
            return WARD_OK;
        }
    }
    if (!strcmp(k, "forbid")) {
        for (int i = 1; i < l->n && m->n_forbidden < 16; i++)
            snprintf(m->forbidden[m->n_forbidden++], 32, "%s", l->tok[i]);
        return WARD_OK;
    }
    if (!strcmp(k, "outcome_positive") || !strcmp(k, "outcome_negative") ||
        !strcmp(k, "outcome_excluded")) {
        int cls = k[8] == 'p' ? 1 : k[8] == 'n' ? -1 : 0;
        for (int i = 1; i < l->n; i++) {
            int o = wi_outcome_index(l->tok[i]);
            if (o < 0)
                return err_fail(err, WARD_EFORMAT, "%s: '%s' is not an outcome (arrest,"
                                 " charge, caution, safeguarded, nfa, referred)", where,
                                 l->tok[i]);
            m->outcome_class[o] = cls;
        }
        return WARD_OK;
    }
    /* The word list before the occupation mapping: its words still mean
     * direct access, as their own group, so an older model keeps its
     * meaning (the mapping is read first). */
    if (!strcmp(k, "access_occupation")) {
        wi_occupations *o = &in->occupations;
        ward_status rc = WARD_OK;
        int have = 0;
        for (size_t i = 0; i < o->n_groups; i++)
            have |= !strcmp(o->groups[i].code, "local");
        if (!have)
            rc = wi_occ_group(o, "local", "direct", "local",
                              "Listed in intel-risk.conf access_occupation", where, err);
        for (int i = 1; i < l->n && !rc; i++)
            rc = wi_occ_titles(o, "local", l->tok[i], where, err);
        return rc;
    }
    return err_fail(err, WARD_EFORMAT, "%s: cannot read '%s' directive", where, k);
}

/* alias AREA NAME[; NAME...]: the area must be declared above it, so that
 * a misspelt code is an error naming its line, not an alias to nowhere. */
static ward_status routing_alias(wi_routing *r, cfg_line *l, const char *where,
                                 ward_error *err)
{
    const wi_area *a = wi_area_find(r, l->tok[1]);
    if (!a)
        return err_fail(err, WARD_EFORMAT, "%s: alias for area '%s', which no 'area' line"
                         " above declares", where, l->tok[1]);
    char rest[1024];
    join_rest(l, 2, rest, sizeof rest);
    for (char *save = NULL, *name = strtok_r(rest, ";", &save); name;
         name = strtok_r(NULL, ";", &save)) {
        char key[64];
        wi_area_key(name, key, sizeof key);
        if (!key[0])
            return err_fail(err, WARD_EFORMAT, "%s: alias '%s' has no letters or digits to"
                             " match", where, wi_trim(name));
        const char *how;
        const wi_area *was = wi_area_resolve(r, name, &how);
        if (was && was != a)
            return err_fail(err, WARD_EFORMAT, "%s: alias '%s' already names area %s (%s)",
                             where, wi_trim(name), was->area, was->force);
        wi_area_alias *al = realloc(r->aliases, (r->n_aliases + 1) * sizeof *al);
        if (!al)
            return err_fail(err, WARD_ENOMEM, "out of memory");
        r->aliases = al;
        al = &r->aliases[r->n_aliases++];
        snprintf(al->key, sizeof al->key, "%s", key);
        al->area = (size_t)(a - r->areas);
    }
    return WARD_OK;
}

static ward_status routing_line(ward_intel *in, cfg_line *l, const char *where,
                                ward_error *err)
{
    wi_routing *r = &in->routing;
    const char *k = l->tok[0];
    double v;
    if (!strcmp(k, "hub") && l->n >= 3 && r->n_hubs < 16) {
        snprintf(r->hubs[r->n_hubs], 24, "%s", l->tok[1]);
        join_rest(l, 2, r->hub_names[r->n_hubs], 64);
        r->n_hubs++;
        return WARD_OK;
    }
    if (!strcmp(k, "international") && l->n == 2) {
        snprintf(r->international_hub, 24, "%s", l->tok[1]);
        return WARD_OK;
    }
    if (!strcmp(k, "unassigned") && l->n == 2) {
        snprintf(r->unassigned, 24, "%s", l->tok[1]);
        return WARD_OK;
    }
    if (!strcmp(k, "version") && l->n >= 2) {
        join_rest(l, 1, r->version, sizeof r->version);
        return WARD_OK;
    }
    if (!strcmp(k, "alias") && l->n >= 3)
        return routing_alias(r, l, where, err);
    if (!strcmp(k, "bulk_threshold") && l->n == 2 && !num(l->tok[1], &v)) {
        r->bulk_threshold = (int)v;
        return WARD_OK;
    }
    if (!strcmp(k, "area") && l->n >= 4) {
        wi_area *a = realloc(r->areas, (r->n_areas + 1) * sizeof *a);
        if (!a)
            return err_fail(err, WARD_ENOMEM, "out of memory");
        r->areas = a;
        a = &r->areas[r->n_areas++];
        snprintf(a->area, sizeof a->area, "%s", l->tok[1]);
        snprintf(a->hub, sizeof a->hub, "%s", l->tok[2]);
        join_rest(l, 3, a->force, sizeof a->force);
        return WARD_OK;
    }
    return err_fail(err, WARD_EFORMAT, "%s: cannot read '%s' directive", where, k);
}

static ward_status resolve_line(ward_intel *in, cfg_line *l, const char *where,
                                ward_error *err)
{
    wi_resolve_model *m = &in->resolve;
    const char *k = l->tok[0];
    double v, u;
    if (!strcmp(k, "field") && l->n == 4 && !num(l->tok[2], &v) && !num(l->tok[3], &u)) {
        for (int f = 0; f < WI_NFIELDS; f++)
            if (!strcmp(l->tok[1], wi_field_names[f])) {
                if (!(v > 0 && v < 1 && u > 0 && u < 1))
                    return err_fail(err, WARD_EFORMAT,
                                     "%s: m and u must lie strictly between 0 and 1", where);
                m->m[f] = v;
                m->u[f] = u;
                return WARD_OK;
            }
    }
    if (l->n == 2 && !num(l->tok[1], &v)) {
        if (!strcmp(k, "threshold")) {
            m->threshold = v;
            return WARD_OK;
        }
        if (!strcmp(k, "frequency_cap") && v >= 2) {
            m->frequency_cap = (int)v;
            return WARD_OK;
        }
        if (!strcmp(k, "shared_names") && v >= 1) {
            m->shared_names = (int)v;
            return WARD_OK;
        }
        if (!strcmp(k, "ip_window_hours") && v >= 0) {
            m->ip_window_hours = (int)v;
            return WARD_OK;
        }
    }
    return err_fail(err, WARD_EFORMAT, "%s: cannot read '%s' directive", where, k);
}

static ward_status occupations_line(ward_intel *in, cfg_line *l, const char *where,
                                    ward_error *err)
{
    wi_occupations *o = &in->occupations;
    const char *k = l->tok[0];
    char rest[1024];
    if ((!strcmp(k, "scheme") || !strcmp(k, "version") || !strcmp(k, "classification")) &&
        l->n >= 2) {
        join_rest(l, 1, rest, sizeof rest);
        snprintf(!strcmp(k, "scheme") ? o->scheme : !strcmp(k, "version") ? o->version
                                                                          : o->classification,
                 !strcmp(k, "scheme") ? sizeof o->scheme : !strcmp(k, "version")
                                                              ? sizeof o->version
                                                              : sizeof o->classification,
                 "%s", rest);
        return WARD_OK;
    }
    if (!strcmp(k, "group") && l->n >= 5) {
        join_rest(l, 4, rest, sizeof rest);
        return wi_occ_group(o, l->tok[1], l->tok[2], l->tok[3], rest, where, err);
    }
    if (!strcmp(k, "title") && l->n >= 3) {
        join_rest(l, 2, rest, sizeof rest);
        return wi_occ_titles(o, l->tok[1], rest, where, err);
    }
    if (!strcmp(k, "abbrev") && l->n >= 3) {
        join_rest(l, 2, rest, sizeof rest);
        return wi_occ_abbrev(o, l->tok[1], rest, where, err);
    }
    return err_fail(err, WARD_EFORMAT, "%s: cannot read '%s' directive (scheme, classification,"
                     " version, group CODE ACCESS SECTOR TITLE, title CODE PHRASE; ..., abbrev"
                     " WORD EXPANSION)", where, k);
}

static ward_status retention_line(ward_intel *in, cfg_line *l, const char *where,
                                  ward_error *err)
{
    wi_retention_policy *p = &in->retention;
    const char *k = l->tok[0];
    double v;
    /* A day count of zero would make every subject due at once: refused. */
    if (!strcmp(k, "review_days") && l->n == 2 && !num(l->tok[1], &v) && v >= 1 && v <= 36500) {
        p->review_days = (int)v;
        return WARD_OK;
    }
    if (!strcmp(k, "retain") && l->n == 3 && !num(l->tok[2], &v) && v >= 1 && v <= 36500)
        for (int o = 0; o < WI_N_OUTCOMES; o++)
            if (!strcmp(l->tok[1], wi_outcome_names[o])) {
                p->retain_days[o] = (int)v;
                return WARD_OK;
            }
    return err_fail(err, WARD_EFORMAT, "%s: cannot read '%s' directive (review_days DAYS,"
                     " retain OUTCOME DAYS; 1 to 36500 days)", where, k);
}

static ward_status parse_text(ward_intel *in, const char *text, const char *name, cfg_fn fn,
                              ward_error *err)
{
    char *copy = strdup(text);
    if (!copy)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = WARD_OK;
    int lineno = 0;
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line && !rc;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;   /* strtok_r skips empty lines; numbers count non-empty ones */
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        cfg_line l;
        split(line, &l);
        if (l.n == 0)
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%d", name, lineno);
        rc = fn(in, &l, where, err);
    }
    free(copy);
    return rc;
}

/* Read <datadir>/intel-<which>.conf if present, else the default text. */
static ward_status load_one(ward_intel *in, const char *datadir, const char *which, cfg_fn fn,
                            ward_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/intel-%s.conf", datadir, which);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT)
            return err_fail_errno(err, errno, "cannot read %s", path);
        return parse_text(in, ward_intel_default_config(which), which, fn, err);
    }
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, 0, f);
    fclose(f);
    ward_status rc = parse_text(in, n > 0 ? text : "", path, fn, err);
    free(text);
    return rc;
}

ward_status wi_config_load(ward_intel *in, const char *datadir, ward_error *err)
{
    in->risk.status_mult[0] = 1, in->risk.status_mult[1] = 0.7, in->risk.status_mult[2] = 0.4;
    in->risk.image_cap = 10;
    /* A risk file written before validation existed keeps these. */
    static const int outcome_class[WI_N_OUTCOMES] = {1, 1, 1, 1, -1, 0};
    memcpy(in->risk.outcome_class, outcome_class, sizeof outcome_class);
    in->routing.bulk_threshold = 100;
    snprintf(in->routing.unassigned, 24, "triage");
    in->resolve.threshold = 8;
    in->resolve.frequency_cap = 50;
    in->resolve.shared_names = 3;
    in->resolve.ip_window_hours = 72;
    ward_status rc = load_one(in, datadir, "occupations", occupations_line, err);
    if (!rc && !in->occupations.version[0])
        rc = err_fail(err, WARD_EFORMAT, "occupation mapping: no 'version' line (every"
                       " placing records the version it was made under)");
    if (!rc && !in->occupations.scheme[0])
        snprintf(in->occupations.scheme, sizeof in->occupations.scheme, "occupation group");
    if (!rc)
        rc = load_one(in, datadir, "risk", risk_line, err);
    if (!rc)
        rc = load_one(in, datadir, "routing", routing_line, err);
    if (!rc && in->routing.n_aliases && !in->routing.version[0])
        rc = err_fail(err, WARD_EFORMAT, "routing rules: area aliases but no 'version' line"
                       " (every referral routed by an alias names the version)");
    if (!rc)
        rc = load_one(in, datadir, "resolve", resolve_line, err);
    /* A retention file that leaves an outcome out keeps the built-in period
     * for it: parse the default first, then the file over it. */
    if (!rc)
        rc = parse_text(in, default_retention, "retention", retention_line, err);
    if (!rc)
        rc = load_one(in, datadir, "retention", retention_line, err);
    for (size_t i = 0; !rc && i < in->risk.n_factors; i++)
        if (wi_factor_forbidden(&in->risk, in->risk.factors[i].name))
            return err_fail(err, WARD_EFORMAT, "risk model: factor '%s' is forbidden",
                             in->risk.factors[i].name);
    if (!rc)
        for (int f = 0; f < WI_NFIELDS; f++)
            if (in->resolve.m[f] == 0)
                return err_fail(err, WARD_EFORMAT, "resolution model: no weights for '%s'",
                                 wi_field_names[f]);
    return rc;
}

void wi_config_free(ward_intel *in)
{
    free(in->risk.factors);
    free(in->routing.areas);
    free(in->routing.aliases);
    wi_occupations_free(&in->occupations);
}

const wi_factor_def *wi_factor_find(const wi_risk_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_factors; i++)
        if (!strcasecmp(m->factors[i].name, name))
            return &m->factors[i];
    return NULL;
}

int wi_factor_forbidden(const wi_risk_model *m, const char *name)
{
    /* Never factors, whatever a model file says: the hard rule. */
    static const char *const always[] = {"ethnic", "nationality", "immigration", NULL};
    for (int i = 0; always[i]; i++)
        if (strcasestr(name, always[i]))
            return 1;
    if (!strcasecmp(name, "race"))
        return 1;
    for (size_t i = 0; i < m->n_forbidden; i++)
        if (!strcasecmp(name, m->forbidden[i]))
            return 1;
    return 0;
}


const wi_area *wi_area_find(const wi_routing *r, const char *area)
{
    for (size_t i = 0; i < r->n_areas; i++)
        if (!strcasecmp(r->areas[i].area, area))
            return &r->areas[i];
    return NULL;
}

void wi_area_key(const char *text, char *out, size_t cap)
{
    static const char *const noise[] = {"police", "constabulary", "service", "force", "and",
                                        "the", NULL};
    size_t k = 0;
    const char *p = text;
    assert(cap > 0);
    while (*p) {
        char word[64];
        size_t w = 0;
        while (*p && !isalnum((unsigned char)*p) && *p != '&')
            p++;
        if (*p == '&') {   /* a word of its own: "and", dropped */
            p++;
            continue;
        }
        while (isalnum((unsigned char)*p)) {
            if (w < sizeof word - 1)
                word[w++] = (char)tolower((unsigned char)*p);
            p++;
        }
        word[w] = 0;
        int skip = !w;
        for (int i = 0; noise[i] && !skip; i++)
            skip = !strcmp(word, noise[i]);
        for (size_t i = 0; !skip && i < w && k + 1 < cap; i++)
            out[k++] = word[i];
    }
    out[k] = 0;
}

const wi_area *wi_area_resolve(const wi_routing *r, const char *text, const char **how)
{
    char code[16], key[64], fkey[64];
    *how = NULL;
    if (!text)
        return NULL;
    snprintf(code, sizeof code, "%s", text);
    const wi_area *a = wi_area_find(r, wi_trim(code));
    if (a) {
        *how = "code";
        return a;
    }
    wi_area_key(text, key, sizeof key);
    if (!key[0])
        return NULL;
    for (size_t i = 0; i < r->n_aliases; i++)
        if (!strcmp(r->aliases[i].key, key)) {
            *how = "alias";
            return &r->areas[r->aliases[i].area];
        }
    for (size_t i = 0; i < r->n_areas; i++) {
        wi_area_key(r->areas[i].force, fkey, sizeof fkey);
        if (!strcmp(fkey, key)) {
            *how = "force";
            return &r->areas[i];
        }
    }
    return NULL;
}

/* The hub above a holder: a hub is its own; a force's is its area's hub. */
const char *wi_hub_of_holder(const wi_routing *r, const char *holder)
{
    for (size_t i = 0; i < r->n_hubs; i++)
        if (!strcmp(r->hubs[i], holder))
            return r->hubs[i];
    for (size_t i = 0; i < r->n_areas; i++)
        if (!strcmp(r->areas[i].force, holder))
            return r->areas[i].hub;
    return NULL;
}
