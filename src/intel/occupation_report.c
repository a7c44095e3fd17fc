/*
 * The occupation mapping as analysts meet it (issue 17 item 2): where each
 * job title in the store was placed, which titles ward could not place
 * (for a person to add to intel-occupations.conf), one title placed on
 * request, and the mapping measured against a labelled list.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define jstr wi_jstr

/* One placing: text "title  ->  ISCO-08 2330 Secondary ... (direct)" or a
 * JSON object. */
static void placing(const void *ctx, const char *title, int64_t count, wi_list *l, FILE *out)
{
    const wi_occupations *o = ctx;
    int json = l->fmt != WARD_INTEL_OUT_TEXT;
    wi_occ_match m;
    int placed = wi_occ_classify(o, title, &m);
    const wi_occ_group_def *g = placed ? &o->groups[m.group] : NULL;
    if (json) {
        wi_list_item(l);
        fputs("{\"title\":", out);
        jstr(out, title);
        if (count >= 0)
            fprintf(out, ",\"records\":%lld", (long long)count);
        if (g) {
            fputs(",\"group\":", out);
            jstr(out, g->code);
            fputs(",\"group_title\":", out);
            jstr(out, g->title);
            fprintf(out, ",\"sector\":\"%s\",\"access\":\"%s\",\"corrected_words\":%d",
                    g->sector, wi_access_names[g->access], m.corrected);
        } else
            fputs(",\"group\":null,\"access\":\"unmapped\"", out);
        fputs(",\"version\":", out);
        jstr(out, o->version);
        fputc('}', out);
        wi_list_item_end(l);
        return;
    }
    if (count >= 0)
        fprintf(out, "%7lld  ", (long long)count);
    fprintf(out, "%-36s ", title);
    if (g)
        fprintf(out, "%s %s %s (%s; access %s)%s\n", o->scheme, g->code, g->title, g->sector,
                wi_access_names[g->access], m.corrected ? " [spelling read]" : "");
    else
        fputs("UNMAPPED: add it to intel-occupations.conf\n", out);
}

static int known(const void *ctx, const char *title)
{
    wi_occ_match m;
    return wi_occ_classify(ctx, title, &m);
}

ward_status ward_intel_occupation_place(ward_intel *in, const char *const *titles, size_t n,
                                        ward_intel_output fmt, FILE *out, ward_error *err)
{
    wi_placer p = {known, placing, &in->occupations};
    return wi_place_names(&p, titles, n, fmt, out, err);
}

ward_status ward_intel_occupations(ward_intel *in, int unmapped_only, ward_intel_output fmt,
                                   FILE *out, uint64_t *unmapped, ward_error *err)
{
    const wi_occupations *o = &in->occupations;
    wi_placer p = {known, placing, o};
    char heading[200];
    snprintf(heading, sizeof heading, "Job titles in the store, placed under %s (occupations %s):\n",
             o->scheme, o->version);
    uint64_t shown;
    ward_status rc = wi_list_values(in, "SELECT raw, count(*) FROM vals WHERE field = 'occupation'"
                                        " AND status IN ('ok','resolved') GROUP BY raw"
                                        " ORDER BY 2 DESC, 1", &p, heading, unmapped_only, fmt,
                                    out, &shown, unmapped, err);
    if (rc)
        return rc;
    if (fmt == WARD_INTEL_OUT_TEXT)
        fprintf(out, "%llu titles shown; %llu not placed%s\n", (unsigned long long)shown,
                (unsigned long long)*unmapped,
                *unmapped ? " (map them in intel-occupations.conf: 'ward intel config"
                            " occupations' prints the built-in mapping)" : "");
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the output") : WARD_OK;
}

/* ---- evaluation against a labelled list --------------------------------------- */

int wi_csv_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            while (*p && !(*p == '"' && p[1] != '"'))
                *w++ = *p == '"' ? (p++, '"') : *p, p++;
            if (*p == '"')
                p++;
            *w = 0;
            while (*p && *p != ',')
                p++;
        } else {
            f[n++] = p;
            p += strcspn(p, ",");
        }
        if (*p != ',') {
            *p = 0;
            break;
        }
        *p++ = 0;
    }
    return n;
}

static void base_code(const char *code, char out[16])
{
    snprintf(out, 16, "%.*s", (int)strcspn(code, "/"), code);
}

static int access_of(const char *s)
{
    return !strcmp(s, "unknown") ? -2 : wi_access_parse(s);
}

ward_status ward_intel_occupation_evaluate(ward_intel *in, const char *path, FILE *out,
                                           ward_intel_occ_eval *ev, ward_error *err)
{
    memset(ev, 0, sizeof *ev);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_fail_errno(err, errno, "cannot read %s", path);
    const wi_occupations *o = &in->occupations;
    char *line = NULL;
    size_t cap = 0;
    int col[3] = {-1, -1, -1}, lineno = 0;
    ward_status rc = WARD_OK;
    strbuf misses = {0};
    size_t n_misses = 0;
    while (!rc && getline(&line, &cap, f) > 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || !line[0])
            continue;
        char *fl[16];
        int n = wi_csv_fields(line, fl, 16);
        if (col[0] < 0) {   /* the header names the columns */
            static const char *const names[3] = {"title", "isco", "access"};
            for (int i = 0; i < n; i++)
                for (int k = 0; k < 3; k++)
                    if (!strcmp(fl[i], names[k]))
                        col[k] = i;
            if (col[0] < 0 || col[1] < 0 || col[2] < 0)
                rc = err_fail(err, WARD_EFORMAT, "%s:%d: the header must name the columns"
                               " title, isco and access", path, lineno);
            continue;
        }
        int need = col[0] > col[1] ? col[0] : col[1];
        need = need > col[2] ? need : col[2];
        int want = n > need ? access_of(fl[col[2]]) : -1;
        if (want == -1) {
            rc = err_fail(err, WARD_EFORMAT, "%s:%d: %s", path, lineno,
                           n > need ? "access must be direct, contact, none or unknown"
                                    : "too few columns");
            break;
        }
        wi_occ_match m;
        int placed = wi_occ_classify(o, fl[col[0]], &m);
        int got = placed ? o->groups[m.group].access : -2;
        char gc[16] = "", wc[16];
        if (placed)
            base_code(o->groups[m.group].code, gc);
        base_code(fl[col[1]], wc);
        ev->titles++;
        ev->placed += placed;
        /* access to children (direct or contact) as the positive class; a
         * title not placed counts as not found */
        int pos = want > 0, said = got > 0;
        ev->tp += pos && said, ev->fp += !pos && said, ev->fn += pos && !said;
        ev->direct_tp += want == 2 && got == 2, ev->direct_fp += want != 2 && got == 2;
        ev->direct_fn += want == 2 && got != 2;
        ev->level_right += want == got;
        if (*wc) {
            ev->coded++;
            ev->group_right += placed && !strcmp(gc, wc);
        } else
            ev->unplaceable++, ev->unplaceable_left += !placed;
        if (want != got && n_misses++ < 40)
            strbuf_addf(&misses, "  %s:%d: '%s': labelled %s, mapped %s%s%s\n", path,
                             lineno, fl[col[0]], want == -2 ? "unknown" : wi_access_names[want],
                             got == -2 ? "unmapped" : wi_access_names[got], placed ? " " : "",
                             gc);
    }
    free(line);
    fclose(f);
    if (!rc && col[0] < 0)
        rc = err_fail(err, WARD_EFORMAT, "%s: no header line (title,isco,access)", path);
    if (!rc && !ev->titles)
        rc = err_fail(err, WARD_EFORMAT, "%s: no labelled titles", path);
    if (rc) {
        strbuf_free(&misses);
        return rc;
    }
    ev->precision = ev->tp + ev->fp ? (double)ev->tp / (double)(ev->tp + ev->fp) : 0;
    ev->recall = ev->tp + ev->fn ? (double)ev->tp / (double)(ev->tp + ev->fn) : 0;
    double dp = ev->direct_tp + ev->direct_fp
                    ? (double)ev->direct_tp / (double)(ev->direct_tp + ev->direct_fp) : 0;
    double dr = ev->direct_tp + ev->direct_fn
                    ? (double)ev->direct_tp / (double)(ev->direct_tp + ev->direct_fn) : 0;
    fprintf(out, "Occupation mapping %s (%s) against %s: %llu titles\n", o->version, o->scheme,
            path, (unsigned long long)ev->titles);
    fprintf(out, "  access to children (direct or contact): precision %.3f recall %.3f"
                 " (%llu found, %llu wrongly, %llu missed)\n", ev->precision, ev->recall,
            (unsigned long long)ev->tp, (unsigned long long)ev->fp, (unsigned long long)ev->fn);
    fprintf(out, "  direct access: precision %.3f recall %.3f\n", dp, dr);
    fprintf(out, "  access level right (direct/contact/none/unknown): %llu of %llu (%.1f%%)\n",
            (unsigned long long)ev->level_right, (unsigned long long)ev->titles,
            100.0 * (double)ev->level_right / (double)ev->titles);
    fprintf(out, "  unit group right: %llu of %llu coded titles (%.1f%%); placed %llu of %llu;"
                 " %llu of %llu unplaceable titles left unmapped\n",
            (unsigned long long)ev->group_right, (unsigned long long)ev->coded,
            ev->coded ? 100.0 * (double)ev->group_right / (double)ev->coded : 0.0,
            (unsigned long long)ev->placed, (unsigned long long)ev->titles,
            (unsigned long long)ev->unplaceable_left, (unsigned long long)ev->unplaceable);
    if (n_misses) {
        fprintf(out, "Access level differs:\n%s", misses.s);
        if (n_misses > 40)
            fprintf(out, "  ... and %zu more\n", n_misses - 40);
    }
    strbuf_free(&misses);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the output") : WARD_OK;
}
