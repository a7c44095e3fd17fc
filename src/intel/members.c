/*
 * Record-to-subject membership as a file (issue 17 item 6): which subject
 * each referral record was grouped into, for checking the resolver
 * against a list's own truth outside ward, or for joining back to the
 * sender's rows. CSV (RFC 4180, guarded against formula injection), a JSON
 * array, or one JSON object a line.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

static void csv_cell(FILE *out, const char *s, int last)
{
    strbuf b = {0};
    esc_csv_field(&b, s, strlen(s));
    if (b.s)
        fwrite(b.s, 1, b.len, out);
    fputc(last ? '\n' : ',', out);
    strbuf_free(&b);
}

ward_status ward_intel_members(ward_intel *in, ward_intel_output fmt, FILE *out,
                               uint64_t *unresolved, ward_error *err)
{
    wsql_stmt *st;
    *unresolved = 0;
    ward_status rc = wi_prepare(in, "SELECT r.id, coalesce(r.ref, ''), b.source, sr.subject"
                                    " FROM records r JOIN batches b ON b.id = r.batch"
                                    " LEFT JOIN subject_records sr ON sr.record = r.id"
                                    " ORDER BY r.id", &st, err);
    if (rc)
        return rc;
    int csv = fmt == WARD_INTEL_OUT_TEXT;
    wi_list l;
    wi_list_begin(&l, out, fmt);
    if (csv)
        fputs("record,ref,list,subject\n", out);
    while (wsql_step(st) == SQLITE_ROW) {
        char rec[24], sid[16] = "";
        snprintf(rec, sizeof rec, "%lld", (long long)wsql_column_int64(st, 0));
        if (wsql_column_type(st, 3) == SQLITE_NULL)
            (*unresolved)++;
        else
            wi_subject_id(wsql_column_int64(st, 3), sid);
        if (csv) {
            csv_cell(out, rec, 0);
            csv_cell(out, wi_col(st, 1), 0);
            csv_cell(out, wi_col(st, 2), 0);
            csv_cell(out, sid, 1);
        } else {
            wi_list_item(&l);
            fprintf(out, "{\"record\":%s,\"ref\":", rec);
            wi_jstr(out, wi_col(st, 1));
            fputs(",\"list\":", out);
            wi_jstr(out, wi_col(st, 2));
            fputs(",\"subject\":", out);
            if (*sid)
                fprintf(out, "\"%s\"}", sid);
            else
                fputs("null}", out);
            wi_list_item_end(&l);
        }
    }
    wi_list_end(&l);
    return wi_done(in, st, out, err);
}
