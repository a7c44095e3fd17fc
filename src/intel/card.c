/*
 * Payment cards after resolution. Operation Ore's names came from card
 * records, many of them stolen cards: a card seen with several different
 * names says more about the card than about the people. Such a card is
 * raised as an alert, "possibly stolen or shared", for a person to look
 * at; it never links anyone (cards are not identifiers the resolver
 * reads), and the alert names the card only in its masked form.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

/* "records 3, 7, 12" (at most the first 20, then "..."). */
static ward_status card_records(ward_intel *in, const char *hash, char *out, size_t cap,
                                ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT DISTINCT record FROM vals WHERE field = 'card'"
                                    " AND norm = ? ORDER BY record", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    size_t k = (size_t)snprintf(out, cap, "records");
    for (int n = 0; wsql_step(st) == SQLITE_ROW && k < cap; n++)
        k += (size_t)snprintf(out + k, cap - k, n == 20 ? " ..." : "%s %lld", n ? "," : "",
                              (long long)wsql_column_int64(st, 0)) * (n <= 20);
    wsql_finalize(st);
    return WARD_OK;
}

ward_status wi_has_cards(ward_intel *in, int *yes, ward_error *err)
{
    int64_t n = 0;
    ward_status rc = wi_query_int(in, "SELECT count(*) FROM secrets WHERE name = 'card_hmac'",
                                  NULL, 0, &n, err);
    *yes = n > 0;
    return rc;
}

ward_status wi_cards_shared(ward_intel *in, const char *at, uint64_t *flagged, ward_error *err)
{
    wsql_stmt *st;
    int any;
    *flagged = 0;
    ward_status rc = wi_has_cards(in, &any, err);
    if (rc || !any)
        return rc;
    /* "|| ''": off the status index, onto vals_card (a list of 300,000
     * records has few cards, and two million values to walk otherwise).
     * In the order of the cards' first records, as every store of the same
     * referrals has them: norm is a hash keyed by each store's own random
     * secret, and ordering by it raised the alerts in another order in
     * each store. */
    rc = wi_prepare(
        in,
        "SELECT c.norm, min(c.raw), count(DISTINCT n.norm) FROM vals c JOIN vals n"
        " ON n.record = c.record AND n.field = 'name' AND n.status || '' IN ('ok','resolved')"
        " WHERE c.field = 'card' AND c.status || '' = 'ok' GROUP BY c.norm"
        " HAVING count(DISTINCT n.norm) > ? ORDER BY min(c.record), 2, 1", &st, err);
    if (rc)
        return rc;
    wsql_bind_int(st, 1, in->resolve.shared_names);
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        char hash[96], recs[200], text[400];
        snprintf(hash, sizeof hash, "%s", wi_col(st, 0));
        rc = card_records(in, hash, recs, sizeof recs, err);
        snprintf(text, sizeof text, "card %s appears with %d different names (%s): possibly"
                 " stolen or shared; it links no one", wi_col(st, 1), wsql_column_int(st, 2),
                 recs);
        int raised = 0;
        if (!rc)
            rc = wi_alert(in, at, "card-shared", 0, 0, "triage", text, &raised, err);
        *flagged += (uint64_t)raised;
    }
    wsql_finalize(st);
    return rc;
}
