/* Internal helpers shared by the report module's files. Like casework, the
 * report room keeps its tables in the intelligence store (migration 6 -> 7
 * of intel.db) and writes through intel's transaction and audit helpers,
 * so that a public report's referral, its answers, its duty entry and the
 * audit row are one transaction. */
#ifndef WARD_REPORT_INT_H
#define WARD_REPORT_INT_H

#include <ward/report.h>

#include "intel/intel_int.h"

/* One row INSERT/UPDATE with text parameters (NULL binds NULL), inside the
 * caller's transaction; `what` names it in an error. */
ward_status rp_exec(ward_intel *in, const char *sql, const char *what, ward_error *err,
                    int n, const char *const *params);

#endif
