/*
 * Occupations: free-text job titles placed in a standard classification,
 * and each unit group's access to children (issue 17 item 2).
 *
 * Operation Ore's first question was "which of these 7,200 people have
 * access to children?", and the Slade review names a teacher, a doctor and
 * a sports coach missed. A word list ("teacher", "coach") misses the
 * doctor and the GP, and calls a plant nursery worker a nursery worker.
 * So a title is placed in an ISCO-08 unit group (or a named part of one,
 * "2212/paed": paediatricians within specialist medical practitioners),
 * and the group says the access:
 *   direct   the work is with children (teachers, childcare, paediatric
 *            staff, youth and sports coaching, school transport);
 *   contact  children are among the people the work serves (GPs, doctors,
 *            nurses, dentists, police, clergy);
 *   none     no access by the work itself.
 * A title ward cannot place is "unmapped", listed for a person to map
 * ('ward intel occupations --unmapped'), never guessed.
 *
 * Matching is on words, not bytes: the text is lowercased, punctuation
 * dropped, abbreviations expanded from the table ("gp" -> "general
 * practitioner", "pe" -> "physical education"), plurals made singular,
 * and a word that is not in the table's vocabulary but is one edit (two
 * for long words) from exactly one word that is, is read as that word
 * (misspellings: "teahcer", "paediatrc"). Then the longest title phrase
 * found as consecutive words wins: "paediatric nurse" (direct) over
 * "nurse" (contact), "school bus driver" over "bus driver", "plant
 * nursery worker" over "nursery worker". Equal lengths: the phrase defined
 * first.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const wi_access_names[WI_NACCESS] = {"none", "contact", "direct"};

int wi_access_parse(const char *s)
{
    for (int i = 0; i < WI_NACCESS; i++)
        if (!strcmp(s, wi_access_names[i]))
            return i;
    return -1;
}

void wi_occupations_free(wi_occupations *o)
{
    free(o->groups);
    free(o->phrases);
    free(o->abbrevs);
    for (size_t i = 0; i < o->n_vocab; i++)
        free(o->vocab[i]);
    free(o->vocab);
    memset(o, 0, sizeof *o);
}

static int grow(void **p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q, *cap = c;
    return 0;
}

/* ---- words ------------------------------------------------------------------- */

/* "teachers" -> "teacher", "nannies" -> "nanny", "coaches" -> "coach";
 * short words and -ss/-us/-is endings ("bus", "class") stay. */
static void singular(char *w)
{
    size_t n = strlen(w);
    if (n <= 3 || w[n - 1] != 's')
        return;
    if (n > 4 && !strcmp(w + n - 3, "ies")) {
        strcpy(w + n - 3, "y");
        return;
    }
    if (n > 4 && (!strcmp(w + n - 4, "ches") || !strcmp(w + n - 4, "shes") ||
                  !strcmp(w + n - 3, "xes") || !strcmp(w + n - 4, "sses"))) {
        w[n - 2] = 0;
        return;
    }
    if (w[n - 2] == 's' || w[n - 2] == 'u' || w[n - 2] == 'i' || w[n - 2] == '\'')
        return;
    w[n - 1] = 0;
}

/* Optimal string alignment distance, giving up above `most`. */
static int distance(const char *a, const char *b, int most)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 31 || m > 31 || (n > m ? n - m : m - n) > (size_t)most)
        return most + 1;
    int d[32][32];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int row_min = most + 1;
        for (size_t j = 1; j <= m; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1;
            d[i][j] = c;
            row_min = c < row_min ? c : row_min;
        }
        if (row_min > most)
            return most + 1;
    }
    return d[n][m];
}

static int in_vocab(const wi_occupations *o, const char *w)
{
    for (size_t i = 0; i < o->n_vocab; i++)
        if (!strcmp(o->vocab[i], w))
            return 1;
    return 0;
}

/* The vocabulary word a misspelt word stands for, or NULL: one edit away
 * (two from a word of nine letters or more), and no other word as close. */
static const char *correct(const wi_occupations *o, const char *w)
{
    size_t n = strlen(w);
    if (n < 5)
        return NULL;
    int most = n >= 9 ? 2 : 1, best = most + 1, ties = 0;
    const char *hit = NULL;
    for (size_t i = 0; i < o->n_vocab; i++) {
        int d = distance(w, o->vocab[i], most);
        if (d < best)
            best = d, hit = o->vocab[i], ties = 0;
        else if (d == best)
            ties++;
    }
    return best <= most && !ties ? hit : NULL;
}

/* Lowercase words of `text`, '&' as "and", everything else not a letter or
 * digit a break; at most WI_OCC_WORDS words. */
static size_t split_words(const char *text, char w[][WI_OCC_WORD], size_t max)
{
    size_t n = 0, k = 0;
    for (const char *p = text;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\'')   /* "children's" is "childrens": its plural rule reads it */
            continue;
        if (!strncmp(p, "\xe2\x80\x99", 3)) {   /* the same with U+2019 */
            p += 2;
            continue;
        }
        int letter = isalnum(c) || c >= 0x80;
        if (letter && k < WI_OCC_WORD - 1 && n < max) {
            w[n][k++] = (char)tolower(c);
            continue;
        }
        if (k && n < max)
            w[n][k] = 0, n++, k = 0;
        if (c == '&' && n < max)
            snprintf(w[n++], WI_OCC_WORD, "and");
        if (!c)
            break;
    }
    return n;
}

/* Words of `text` as the matcher reads them: abbreviations expanded,
 * plurals singular, and (fix non-zero) misspellings corrected; *fixed
 * counts the corrections. */
static size_t read_words(const wi_occupations *o, const char *text, int fix,
                         char out[][WI_OCC_WORD], int *fixed)
{
    char raw[WI_OCC_WORDS][WI_OCC_WORD];
    size_t n = split_words(text, raw, WI_OCC_WORDS), m = 0;
    for (size_t i = 0; i < n && m < WI_OCC_WORDS; i++) {
        /* an abbreviation as written or in the singular ("GPs", "childminders") */
        char one[WI_OCC_WORD];
        snprintf(one, sizeof one, "%s", raw[i]);
        singular(one);
        const char *exp = NULL;
        for (size_t a = 0; a < o->n_abbrevs && !exp; a++)
            if (!strcmp(o->abbrevs[a].word, raw[i]) || !strcmp(o->abbrevs[a].word, one))
                exp = o->abbrevs[a].expansion;
        if (exp) {   /* its words read as any other: singular */
            char e[WI_OCC_WORDS][WI_OCC_WORD];
            size_t k = split_words(exp, e, WI_OCC_WORDS);
            for (size_t j = 0; j < k && m < WI_OCC_WORDS; j++) {
                snprintf(out[m], WI_OCC_WORD, "%s", e[j]);
                singular(out[m++]);
            }
            continue;
        }
        snprintf(out[m], WI_OCC_WORD, "%s", one);
        if (fix && !in_vocab(o, out[m])) {
            const char *c = correct(o, out[m]);
            if (!c && strcmp(out[m], raw[i]))   /* the plural form may be the known one */
                c = in_vocab(o, raw[i]) ? raw[i] : correct(o, raw[i]);
            if (c) {
                snprintf(out[m], WI_OCC_WORD, "%s", c);
                (*fixed)++;
            }
        }
        m++;
    }
    return m;
}

/* ---- the table -------------------------------------------------------------- */

ward_status wi_occ_group(wi_occupations *o, const char *code, const char *access,
                         const char *sector, const char *title, const char *where,
                         ward_error *err)
{
    int a = wi_access_parse(access);
    if (a < 0)
        return err_fail(err, WARD_EFORMAT, "%s: access must be direct, contact or none, not"
                         " '%s'", where, access);
    for (size_t i = 0; i < o->n_groups; i++)
        if (!strcmp(o->groups[i].code, code))
            return err_fail(err, WARD_EFORMAT, "%s: group %s defined twice", where, code);
    if (grow((void **)&o->groups, o->n_groups, &o->cap_groups, sizeof *o->groups))
        return err_fail(err, WARD_ENOMEM, "out of memory");
    wi_occ_group_def *g = &o->groups[o->n_groups++];
    snprintf(g->code, sizeof g->code, "%s", code);
    snprintf(g->sector, sizeof g->sector, "%s", sector);
    snprintf(g->title, sizeof g->title, "%s", title);
    g->access = a;
    return WARD_OK;
}

static ward_status add_vocab(wi_occupations *o, const char *w, ward_error *err)
{
    if (in_vocab(o, w))
        return WARD_OK;
    if (grow((void **)&o->vocab, o->n_vocab, &o->cap_vocab, sizeof *o->vocab) ||
        !(o->vocab[o->n_vocab] = strdup(w)))
        return err_fail(err, WARD_ENOMEM, "out of memory");
    o->n_vocab++;
    return WARD_OK;
}

ward_status wi_occ_titles(wi_occupations *o, const char *code, const char *phrases,
                          const char *where, ward_error *err)
{
    int g = -1;
    for (size_t i = 0; i < o->n_groups; i++)
        if (!strcmp(o->groups[i].code, code))
            g = (int)i;
    if (g < 0)
        return err_fail(err, WARD_EFORMAT, "%s: no group %s defined above", where, code);
    const char *p = phrases;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        char one[160];
        snprintf(one, sizeof one, "%.*s", (int)len, p);
        p += len + (semi != NULL);
        if (grow((void **)&o->phrases, o->n_phrases, &o->cap_phrases, sizeof *o->phrases))
            return err_fail(err, WARD_ENOMEM, "out of memory");
        wi_occ_phrase *ph = &o->phrases[o->n_phrases];
        int fixed = 0;
        ph->n = read_words(o, one, 0, ph->w, &fixed);
        if (!ph->n)
            continue;
        ph->group = g;
        o->n_phrases++;
        ward_status rc = WARD_OK;
        for (size_t i = 0; i < ph->n && !rc; i++)
            rc = add_vocab(o, ph->w[i], err);
        if (rc)
            return rc;
    }
    return WARD_OK;
}

ward_status wi_occ_abbrev(wi_occupations *o, const char *word, const char *expansion,
                          const char *where, ward_error *err)
{
    (void)where;
    if (grow((void **)&o->abbrevs, o->n_abbrevs, &o->cap_abbrevs, sizeof *o->abbrevs))
        return err_fail(err, WARD_ENOMEM, "out of memory");
    wi_occ_abbrev_def *a = &o->abbrevs[o->n_abbrevs++];
    char w[1][WI_OCC_WORD];
    snprintf(a->word, sizeof a->word, "%s", split_words(word, w, 1) ? w[0] : word);
    snprintf(a->expansion, sizeof a->expansion, "%s", expansion);
    return WARD_OK;
}

/* ---- placing a title ---------------------------------------------------------- */

int wi_occ_classify(const wi_occupations *o, const char *text, wi_occ_match *m)
{
    memset(m, 0, sizeof *m);
    m->group = -1;
    if (!text)
        return 0;
    char w[WI_OCC_WORDS][WI_OCC_WORD];
    size_t n = read_words(o, text, 1, w, &m->corrected);
    size_t best = 0;
    for (size_t p = 0; p < o->n_phrases; p++) {
        const wi_occ_phrase *ph = &o->phrases[p];
        if (ph->n <= best || ph->n > n)
            continue;
        for (size_t i = 0; i + ph->n <= n; i++) {
            size_t k = 0;
            while (k < ph->n && !strcmp(w[i + k], ph->w[k]))
                k++;
            if (k == ph->n) {
                best = ph->n, m->group = ph->group, m->phrase = (int)p;
                break;
            }
        }
    }
    return m->group >= 0;
}

void wi_occ_explain(const wi_occupations *o, const wi_occ_match *m, char *out, size_t cap)
{
    if (m->group < 0) {
        snprintf(out, cap, "not placed (%s)", o->version);
        return;
    }
    const wi_occ_group_def *g = &o->groups[m->group];
    snprintf(out, cap, "%s %s (%s, %s access; occupations %s)", o->scheme, g->code, g->sector,
             wi_access_names[g->access], o->version);
}

/* ---- a cache for intake ------------------------------------------------------ */

/* Lists repeat their job titles: a list of 300,000 records may hold a few
 * thousand different ones. Each is placed once per ingest. */
#define OCC_CACHE_SLOTS 8192

struct wi_occ_cache {
    struct {
        char *text;
        wi_occ_match m;
    } slot[OCC_CACHE_SLOTS];
    size_t used;
};

int wi_occ_classify_cached(const wi_occupations *o, wi_occ_cache **cache, const char *text,
                           wi_occ_match *m)
{
    if (!*cache)
        *cache = calloc(1, sizeof **cache);
    wi_occ_cache *c = *cache;
    if (!c || !text)
        return wi_occ_classify(o, text, m);
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    for (size_t i = 0, k = h % OCC_CACHE_SLOTS; i < 16; i++, k = (k + 1) % OCC_CACHE_SLOTS) {
        if (c->slot[k].text && !strcmp(c->slot[k].text, text)) {
            *m = c->slot[k].m;
            return m->group >= 0;
        }
        if (!c->slot[k].text) {
            int placed = wi_occ_classify(o, text, m);
            if (c->used < OCC_CACHE_SLOTS / 2 && (c->slot[k].text = strdup(text)))
                c->slot[k].m = *m, c->used++;
            return placed;
        }
    }
    return wi_occ_classify(o, text, m);
}

void wi_occ_cache_free(wi_occ_cache *c)
{
    for (size_t k = 0; c && k < OCC_CACHE_SLOTS; k++)
        free(c->slot[k].text);
    free(c);
}
