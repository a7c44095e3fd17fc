/* Placeholder until the DFXML, VICS, CASE/UCO and HTML writers land. */
#include "scan/report_int.h"

ward_status scan_write_extra_reports(const char *dir, const scan_totals *t, ward_error *err)
{
    (void)dir; (void)t; (void)err;
    return WARD_OK;
}
