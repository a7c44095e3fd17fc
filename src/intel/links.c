/*
 * Link material for network analysis (the graph room, include/ward/graph.h):
 * every identifier and file a resolved subject's records carry (payment
 * cards as stored: masked as received, the keyed hash as normal form;
 * chat rooms the referral names), one row at
 * a time, with the record it came from, when, and whether ward refuses to
 * link people through it on its own account (an IP address in a CGNAT range
 * without a port, or without a settled timestamp). Refusals that depend on
 * how many people hold a value (the frequency cap, shared mailboxes) are
 * the caller's to count; ward_intel_link_limits gives the same limits the
 * resolver uses, so the graph refuses what resolve.c refuses.
 *
 * Read-only, one snapshot: the rows are read inside one read transaction.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

/* Values of the fields that can link two people, ordered so that the parts
 * of one IP event (ip, ip_time, ip_port: same record and grp) are
 * adjacent among the ip rows, and a record's name comes before its
 * identifiers (it is stored first). */
static const char links_sql[] =
    "SELECT v.record, sr.subject, v.field, v.grp, coalesce(v.norm, ''), v.raw, v.status,"
    " coalesce(v.reason, ''), b.source, b.received"
    " FROM vals v JOIN subject_records sr ON sr.record = v.record"
    " JOIN records r ON r.id = v.record JOIN batches b ON b.id = r.batch"
    " WHERE v.field IN ('name','email','phone','screen_name','ip','ip_time','ip_port',"
    "  'file_hash','incident_time','card','chat_room')"
    " AND (v.status IN ('ok','resolved') OR (v.field = 'ip' AND v.status = 'unusable'))"
    " ORDER BY v.record, v.grp, v.id";

static const char hits_sql[] =
    "SELECT h.record, sr.subject, h.series, coalesce(h.list, ''), coalesce(v.norm, ''),"
    " b.source, b.received FROM file_hits h JOIN subject_records sr ON sr.record = h.record"
    " JOIN vals v ON v.id = h.val JOIN records r ON r.id = h.record"
    " JOIN batches b ON b.id = r.batch"
    " WHERE h.series IS NOT NULL AND h.series <> '' ORDER BY h.record, h.val, h.series";

typedef struct ipev {
    int open;
    int64_t record, subject;
    int grp;
    char addr[160], raw[160], port[16], time[40], refused[128], source[128], received[40];
    int settled_time;
} ipev;

static int emit_ip(ipev *e, const char *name, ward_intel_link_fn fn, void *ctx)
{
    if (!e->open)
        return 0;
    e->open = 0;
    char value[200];
    const char *refused = e->refused[0] ? e->refused : NULL;
    if (!refused && !e->settled_time)
        refused = "time not settled: cannot identify anyone";
    if (!refused && wi_ip_is_cgnat(e->addr))
        snprintf(value, sizeof value, "%s port %s", e->addr, e->port);   /* resolve.c's key */
    else
        snprintf(value, sizeof value, "%s", e->addr[0] ? e->addr : e->raw);
    ward_intel_link l = {e->record, e->subject, "ip", value, e->raw,
                         e->time[0] ? e->time : e->received, e->source, refused, name, 0};
    return fn(ctx, &l);
}

ward_status ward_intel_links(ward_intel *in, ward_intel_link_fn fn, void *ctx,
                             uint64_t *unresolved, ward_error *err)
{
    ward_status rc = wi_exec(in, "BEGIN", err);
    if (rc)
        return rc;
    int64_t n = 0;
    rc = wi_query_int(in,
                      "SELECT count(*) FROM records r WHERE NOT EXISTS"
                      " (SELECT 1 FROM subject_records s WHERE s.record = r.id)",
                      NULL, 0, &n, err);
    if (unresolved)
        *unresolved = (uint64_t)n;
    wsql_stmt *st = NULL;
    if (!rc)
        rc = wi_prepare(in, links_sql, &st, err);
    ipev ev = {0};
    int64_t cur = -1;
    char name[160] = "", itime[40] = "";
    int r = SQLITE_DONE, stop = 0;
    while (!rc && !stop && (r = wsql_step(st)) == SQLITE_ROW) {
        int64_t rec = wsql_column_int64(st, 0), subj = wsql_column_int64(st, 1);
        const char *field = wi_col(st, 2), *norm = wi_col(st, 4), *raw = wi_col(st, 5);
        const char *status = wi_col(st, 6), *source = wi_col(st, 8), *recv = wi_col(st, 9);
        int grp = wsql_column_int(st, 3);
        if (rec != cur) {
            stop = emit_ip(&ev, name, fn, ctx);
            cur = rec, name[0] = itime[0] = 0;
        }
        if (!strcmp(field, "name")) {
            snprintf(name, sizeof name, "%s", norm);
            continue;
        }
        if (!strcmp(field, "incident_time")) {
            snprintf(itime, sizeof itime, "%s", norm);
            continue;
        }
        if (!strcmp(field, "ip")) {
            stop = stop || emit_ip(&ev, name, fn, ctx);
            ev = (ipev){.open = 1, .record = rec, .subject = subj, .grp = grp};
            snprintf(ev.addr, sizeof ev.addr, "%s", norm);
            snprintf(ev.raw, sizeof ev.raw, "%s", raw);
            snprintf(ev.source, sizeof ev.source, "%s", source);
            snprintf(ev.received, sizeof ev.received, "%s", itime[0] ? itime : recv);
            if (!strcmp(status, "unusable"))
                snprintf(ev.refused, sizeof ev.refused, "%s", wi_col(st, 7));
            continue;
        }
        if (!strcmp(field, "ip_time") || !strcmp(field, "ip_port")) {
            if (ev.open && ev.record == rec && ev.grp == grp) {
                if (field[3] == 't')
                    snprintf(ev.time, sizeof ev.time, "%s", norm), ev.settled_time = 1;
                else
                    snprintf(ev.port, sizeof ev.port, "%s", norm);
            }
            continue;
        }
        ward_intel_link l = {rec, subj, field, norm, raw, itime[0] ? itime : recv, source,
                             NULL, name, !strcmp(status, "resolved")};
        stop = fn(ctx, &l);
    }
    if (!rc && !stop)
        stop = emit_ip(&ev, name, fn, ctx);
    if (!rc && r != SQLITE_DONE && r != SQLITE_ROW)
        rc = wi_sqlfail(in, err, "reading link values");
    wsql_finalize(st);
    st = NULL;
    if (!rc && !stop)
        rc = wi_prepare(in, hits_sql, &st, err);
    while (!rc && !stop && (r = wsql_step(st)) == SQLITE_ROW) {
        ward_intel_link l = {wsql_column_int64(st, 0), wsql_column_int64(st, 1), "series",
                             wi_col(st, 2), wi_col(st, 4), wi_col(st, 6), wi_col(st, 5),
                             NULL, "", 0};
        stop = fn(ctx, &l);
    }
    if (!rc && !stop && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading file-hash hits");
    wsql_finalize(st);
    if (!rc && stop)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    wi_rollback(in);   /* a read: nothing to keep */
    return rc;
}

ward_status ward_intel_link_subjects(ward_intel *in, ward_intel_subject_fn fn, void *ctx,
                                     ward_error *err)
{
    /* A subject's compartment is its newest live package's holder. */
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT s.id, coalesce((SELECT p.holder FROM packages p WHERE p.subject = s.id"
        "  AND p.state <> 'merged' ORDER BY p.id DESC LIMIT 1), ''), s.created"
        " FROM subjects s WHERE s.active = 1 ORDER BY s.id",
        &st, err);
    int r = SQLITE_DONE, stop = 0;
    while (!rc && !stop && (r = wsql_step(st)) == SQLITE_ROW) {
        char id[16];
        wi_subject_id(wsql_column_int64(st, 0), id);
        stop = fn(ctx, wsql_column_int64(st, 0), id, wi_col(st, 1), wi_col(st, 2));
    }
    if (!rc && !stop && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading subjects");
    wsql_finalize(st);
    if (!rc && stop)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    return rc;
}

/* Each part changes when something the link reader reads does: new
 * lists and values (batches, vals), grouping (subject_records, subjects,
 * subject_history: resolve's merges and splits, which also retire or
 * revive subjects, and disposals), values a
 * person settled (vals resolved_at), compartments (packages: routing
 * writes version and updated; state changes write package_events),
 * exhibits (every change appends to exhibit_log) and their scans. Each is
 * a max over a primary key or an index, or a count over one (not a
 * count of active subjects: a scan of the subjects table, 30 ms of CPU at
 * 150,000): a few milliseconds at 300,000 records, against seconds for a
 * build. */
static const char stamp_sql[] =
    "SELECT coalesce((SELECT max(id) FROM batches), 0), coalesce((SELECT max(id) FROM vals), 0),"
    " (SELECT count(*) FROM subject_records), coalesce((SELECT max(id) FROM subjects), 0),"
    " coalesce((SELECT max(id) FROM subject_history), 0),"
    " (SELECT count(*) FROM vals WHERE status = 'resolved'),"
    " coalesce((SELECT max(resolved_at) FROM vals WHERE status = 'resolved'), ''),"
    " coalesce((SELECT max(id) FROM packages), 0), coalesce((SELECT max(updated) FROM packages), ''),"
    " coalesce((SELECT sum(version) FROM packages), 0),"
    " coalesce((SELECT max(id) FROM package_events), 0),"
    " coalesce((SELECT max(id) FROM exhibit_log), 0),"
    " coalesce((SELECT max(id) FROM exhibit_scans), 0),"
    " coalesce((SELECT max(id) FROM records), 0)";

ward_status ward_intel_link_stamp(ward_intel *in, char *out, size_t cap, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, stamp_sql, &st, err);
    if (rc)
        return rc;
    size_t k = (size_t)snprintf(out, cap, "limits %d %d %d", in->resolve.frequency_cap,
                                in->resolve.shared_names, in->resolve.ip_window_hours);
    if (wsql_step(st) != SQLITE_ROW)
        rc = wi_sqlfail(in, err, "reading the store's state");
    for (int i = 0; !rc && i < 14 && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "|%s", wi_col(st, i));
    wsql_finalize(st);
    if (!rc && k >= cap)
        rc = err_fail(err, WARD_EINVAL, "store state stamp longer than %zu bytes", cap);
    return rc;
}

void ward_intel_link_limits(ward_intel *in, int *frequency_cap, int *shared_names,
                            int *ip_window_hours)
{
    *frequency_cap = in->resolve.frequency_cap;
    *shared_names = in->resolve.shared_names;
    *ip_window_hours = in->resolve.ip_window_hours;
}
