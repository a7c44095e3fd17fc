/* Shared by the ISP request files (isp.c, isp_report.c, isp_answer.c). */
#ifndef WARD_INTEL_ISP_INT_H
#define WARD_INTEL_ISP_INT_H

#include "intel/intel_int.h"

/* A CIDR range: IPv4 held as IPv4-mapped IPv6 (::ffff:a.b.c.d), its
 * prefix length counted over the 128 bits. */
typedef struct wi_ipnet {
    unsigned char a[16];
    int bits;
} wi_ipnet;

/* An address in the 128-bit form; 0 when it is not one. */
int wi_ip_bytes(const char *s, unsigned char out[16]);
/* "ADDR/LEN" (a bare address is its own /32 or /128); 0 and why when not
 * one, or when bits are set beyond the prefix. */
int wi_ipnet_parse(const char *s, wi_ipnet *n, char *why, size_t cap);
int wi_ipnet_has(const wi_ipnet *n, const unsigned char a[16]);

/* Each line of a CSV file after its header, as the values of the named
 * columns in names' order (trimmed; "" for a column the header lacks), to
 * fn, which returns non-OK to stop with its own error. Refused here, with
 * file:line: no header, an unknown or missing column, a line that is not
 * UTF-8 or of another width than the header, nothing after the header.
 * '#' lines and empty lines are skipped. */
typedef ward_status (*wi_isp_row_fn)(void *ctx, int line, char **v, ward_error *err);
ward_status wi_isp_read_csv(const char *path, const char *const *names, int nnames,
                            const char *const *required, wi_isp_row_fn fn, void *ctx,
                            ward_error *err);

/* ISP request batches past their due date, each given to add as an alert
 * of kind isp-overdue (ward_intel_alerts_get). */
typedef ward_status (*wi_alert_fn)(void *ctx, const char *at, const char *kind, const char *to,
                                   const char *text, ward_error *err);
ward_status wi_isp_alerts(ward_intel *in, const char *at, wi_alert_fn add, void *ctx,
                          ward_error *err);
/* The KPI rows by provider into k->isp (ward_intel_kpis_get), and their
 * text or JSON array items (the KPI report). */
ward_status wi_isp_kpi_read(ward_intel *in, const char *at, ward_intel_kpis *k,
                           ward_error *err);
void wi_isp_kpi_render(const ward_intel_kpis *k, int json, FILE *out);

#endif
