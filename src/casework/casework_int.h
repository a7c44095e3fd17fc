/* Internal helpers shared by the casework module's files. Casework keeps
 * its tables in the intelligence store (migration 4 -> 5 of intel.db) and
 * writes through intel's transaction and audit helpers, so that an
 * exhibit's change, the subject's history and the audit row are one
 * transaction. */
#ifndef WARD_CASEWORK_INT_H
#define WARD_CASEWORK_INT_H

#include <ward/casework.h>

#include "intel/intel_int.h"

/* The columns cw_row reads, in order (SELECT CW_COLUMNS FROM exhibits). */
#define CW_COLUMNS                                                                         \
    "id, ref, description, kind, force, coalesce(unit,''), coalesce(lab,''), seized_raw,"  \
    " seized, place, coalesce(seal,''), coalesce(subject,0), coalesce(package,0), status," \
    " child_at_risk, coalesce(child_flagged,''), needs_grading, registered,"                \
    " coalesce(started,''), coalesce(triaged,''), coalesce(reported,''),"                   \
    " coalesce(holder,''), coalesce(image,''), coalesce(md5,''), coalesce(sha1,''),"        \
    " coalesce(sha256,''), coalesce(bytes,0), coalesce(override_band,-1),"                  \
    " coalesce(override_by,''), coalesce(override_reason,'')"

void cw_row(wsql_stmt *st, ward_exhibit *ex);
/* Read one exhibit by reference (WARD_ENOTFOUND naming it). */
ward_status cw_load(ward_intel *in, const char *ref, ward_exhibit *ex, ward_error *err);
/* Inside a transaction: append to the exhibit's continuity log (chained
 * onto its last entry), the linked subject's history and the audit table. */
ward_status cw_record(ward_intel *in, const ward_exhibit *ex, time_t now, const char *who,
                      const char *action, const char *holder, const char *place,
                      const char *detail, ward_error *err);
/* Inside a transaction: move the status on to `to` if it is behind it. */
ward_status cw_advance(ward_intel *in, ward_exhibit *ex, int to, const char *who,
                       const char *note, time_t now, ward_error *err);
/* The chain hash of one continuity entry. */
void cw_log_hash(const char *prev, const char *ref, const char *at, const char *by,
                 const char *action, const char *holder, const char *place,
                 const char *detail, char out[65]);
/* A required text argument: WARD_EINVAL naming it when missing. */
ward_status cw_need(const char *what, const char *v, ward_error *err);

#endif
