/*
 * The values of one referral field as analysts meet them, each placed by
 * a resolver: force and area names through the routing (area_report.c),
 * job titles through the occupation mapping (occupation_report.c). The
 * listing (counts from the store, the unplaced ones counted and, on
 * request, shown alone) is the same for both; what placing means and how a
 * placing reads is the resolver's.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>

ward_status wi_place_names(const wi_placer *p, const char *const *names, size_t n,
                           ward_intel_output fmt, FILE *out, ward_error *err)
{
    wi_list l;
    wi_list_begin(&l, out, fmt);
    for (size_t i = 0; i < n; i++)
        p->write(p->ctx, names[i], -1, &l, out);
    wi_list_end(&l);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the output") : WARD_OK;
}

ward_status wi_list_values(ward_intel *in, const char *sql, const wi_placer *p,
                           const char *heading, int unmapped_only, ward_intel_output fmt,
                           FILE *out, uint64_t *shown, uint64_t *unmapped, ward_error *err)
{
    wsql_stmt *st;
    *shown = *unmapped = 0;
    ward_status rc = wi_prepare(in, sql, &st, err);
    if (rc)
        return rc;
    wi_list l;
    wi_list_begin(&l, out, fmt);
    if (fmt == WARD_INTEL_OUT_TEXT)
        fputs(heading, out);
    while (wsql_step(st) == SQLITE_ROW) {
        int known = p->known(p->ctx, wi_col(st, 0));
        *unmapped += !known;
        if (unmapped_only && known)
            continue;
        p->write(p->ctx, wi_col(st, 0), wsql_column_int64(st, 1), &l, out);
        ++*shown;
    }
    wi_list_end(&l);
    return wi_done(in, st, out, err); /* the query's end, then the output's */
}
