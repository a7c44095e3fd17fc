/*
 * Force and area names as analysts meet them (issue 17 item 3): where the
 * force or area column of each referral routes it, and which names no rule
 * knows, so that a person can add them as aliases in intel-routing.conf
 * (their referrals wait in triage until then).
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

/* One name: text "  count  SWP  -> CF South Wales Police (wales hub; alias)"
 * or a JSON object. */
static void placing(const void *ctx, const char *name, int64_t count, wi_list *l, FILE *out)
{
    const wi_routing *r = ctx;
    const char *how;
    const wi_area *a = wi_area_resolve(r, name, &how);
    const char *version = r->version[0] ? r->version : "unversioned";
    if (l->fmt != WARD_INTEL_OUT_TEXT) {
        wi_list_item(l);
        fputs("{\"area\":", out);
        wi_jstr(out, name);
        if (count >= 0)
            fprintf(out, ",\"records\":%lld", (long long)count);
        if (a) {
            fputs(",\"code\":", out);
            wi_jstr(out, a->area);
            fputs(",\"force\":", out);
            wi_jstr(out, a->force);
            fputs(",\"hub\":", out);
            wi_jstr(out, a->hub);
            fprintf(out, ",\"matched_by\":\"%s\"", how);
        } else
            fputs(",\"code\":null,\"force\":null,\"hub\":null,\"matched_by\":null", out);
        fputs(",\"version\":", out);
        wi_jstr(out, version);
        fputc('}', out);
        wi_list_item_end(l);
        return;
    }
    if (count >= 0)
        fprintf(out, "%7lld  ", (long long)count);
    fprintf(out, "%-36s ", name);
    if (a)
        fprintf(out, "-> %s %s (%s hub; by %s)\n", a->area, a->force, a->hub, how);
    else
        fprintf(out, "UNMAPPED: waits in %s; add 'alias AREA %s' to intel-routing.conf\n",
                r->unassigned, name);
}

static int known(const void *ctx, const char *name)
{
    const char *how;
    return wi_area_resolve(ctx, name, &how) != NULL;
}

ward_status ward_intel_area_place(ward_intel *in, const char *const *names, size_t n,
                                  ward_intel_output fmt, FILE *out, ward_error *err)
{
    wi_placer p = {known, placing, &in->routing};
    return wi_place_names(&p, names, n, fmt, out, err);
}

ward_status ward_intel_areas(ward_intel *in, int unmapped_only, ward_intel_output fmt,
                             FILE *out, uint64_t *unmapped, ward_error *err)
{
    const wi_routing *r = &in->routing;
    wi_placer p = {known, placing, r};
    char heading[160];
    snprintf(heading, sizeof heading, "Force and area names in the store (routing %s):\n",
             r->version[0] ? r->version : "unversioned");
    uint64_t shown;
    ward_status rc = wi_list_values(in, "SELECT norm, count(*) FROM vals WHERE field = 'area'"
                                        " AND status IN ('ok','resolved') GROUP BY norm"
                                        " ORDER BY 2 DESC, 1", &p, heading, unmapped_only, fmt,
                                    out, &shown, unmapped, err);
    if (rc)
        return rc;
    if (fmt == WARD_INTEL_OUT_TEXT)
        fprintf(out, "%llu names shown; %llu not known%s\n", (unsigned long long)shown,
                (unsigned long long)*unmapped,
                *unmapped ? " (their referrals wait in triage: add aliases to"
                            " intel-routing.conf, 'ward intel config routing' prints the"
                            " built-in rules, then 'ward intel route')" : "");
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the output") : WARD_OK;
}
