/*
 * Read APIs for the analysts' web application: a subject's history of
 * changes in one list, and the hub a holder belongs to (compartments).
 */
#include "intel/intel_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ward_intel_hub_of(ward_intel *in, const char *holder)
{
    return holder ? wi_hub_of_holder(&in->routing, holder) : NULL;
}

/* Every change to a subject, oldest first, from the tables that record
 * them: assessments (with what changed), overrides, merges and splits, and
 * its packages' lifecycle. Changes of the same second keep that order, then
 * the order they were written in (the last two columns), so the list reads
 * the same from either store. */
static const char history_sql[] =
    "SELECT at, 'assessment', band, coalesce(changes, ''), NULL, 0, id FROM assessments"
    "  WHERE subject = ?1"
    " UNION ALL SELECT at, 'override', band, reason, by, 1, id FROM overrides WHERE subject = ?1"
    " UNION ALL SELECT at, action, NULL, coalesce(detail, ''), by, 2, id FROM subject_history"
    "  WHERE subject = ?1 OR other = ?1"
    " UNION ALL SELECT e.at, 'package ' || e.package || ': ' || e.state, NULL,"
    "  coalesce(e.note, ''), e.by, 3, e.id FROM package_events e JOIN packages p"
    "  ON p.id = e.package WHERE p.subject = ?1"
    " ORDER BY 1, 6, 7";

static void json_field(FILE *out, const char *key, const char *val, int first)
{
    strbuf b = {0};
    if (val)
        esc_json_string(&b, val, strlen(val));
    fprintf(out, "%s\"%s\":%.*s", first ? "" : ",", key, b.s ? (int)b.len : 4,
            b.s ? b.s : "null");
    strbuf_free(&b);
}

ward_status ward_intel_history_get(ward_intel *in, const char *subject, ward_intel_history *h,
                                   ward_error *err)
{
    memset(h, 0, sizeof *h);
    int64_t id = wi_subject_num(subject);
    if (!id)
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, history_sql, &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    size_t cap = 0;
    int oom = 0;
    while (!oom && wsql_step(st) == SQLITE_ROW) {
        ward_intel_change *c = wi_push((void **)&h->items, &h->n, &cap, sizeof *c);
        if (!c) {
            oom = 1;
            break;
        }
        char what[96];
        snprintf(what, sizeof what, "%s", wi_col(st, 1));
        if (wsql_column_type(st, 2) != SQLITE_NULL)
            snprintf(what + strlen(what), sizeof what - strlen(what), " %s",
                     wi_band_labels[wsql_column_int(st, 2) & 3]);
        c->what = strdup(what);
        oom |= !c->what;
        c->at = wi_col_dup(st, 0, &oom);
        c->detail = wi_col_dup(st, 3, &oom);
        c->by = wi_col_dup(st, 4, &oom);
    }
    rc = wi_query_done(in, st, err);
    if (!rc && oom)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    return rc;
}

void ward_intel_history_free(ward_intel_history *h)
{
    for (size_t i = 0; h && i < h->n; i++) {
        ward_intel_change *c = &h->items[i];
        free(c->at), free(c->what), free(c->detail), free(c->by);
    }
    if (h) {
        free(h->items);
        memset(h, 0, sizeof *h);
    }
}

ward_status ward_intel_subject_history(ward_intel *in, const char *subject, FILE *out,
                                       ward_error *err)
{
    ward_intel_history h;
    ward_status rc = ward_intel_history_get(in, subject, &h, err);
    for (size_t i = 0; !rc && i < h.n; i++) {
        const ward_intel_change *c = &h.items[i];
        fputc('{', out);
        json_field(out, "at", c->at ? c->at : "", 1);
        json_field(out, "what", c->what, 0);
        json_field(out, "detail", c->detail ? c->detail : "", 0);
        json_field(out, "by", c->by, 0);
        fputs("}\n", out);
    }
    ward_intel_history_free(&h);
    if (!rc && ferror(out))
        rc = err_fail(err, WARD_EIO, "cannot write the history");
    return rc;
}
