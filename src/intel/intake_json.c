/*
 * JSON referrals modelled on the CyberTipline report fields:
 *   {"reports": [ {
 *      "report_id": "...",
 *      "reporter": {"name": "...", "type": "ESP", "country": "US"},
 *      "incident": {"type": "...", "time": "...", "zone": "...",
 *                   "typology": ["grooming"], "urgent": ["meeting_planned"]},
 *      "international": false,
 *      "person": {"name", "dob", "emails": [], "screen_names": [], "phones": [],
 *                 "address", "postcode", "occupation"},
 *      "ip_events": [{"address", "port", "time", "zone", "event"}],
 *      "files": [{"name", "md5", "sha1", "sha256", "viewed": true}],
 *      "factors": [{"factor", "value", "source", "date", "status"}] } ] }
 * A bare array of reports, or one report, is read too. A report that is not
 * an object is skipped and named by its JSON pointer.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char *text(yajl_val v)
{
    if (!v)
        return NULL;
    if (YAJL_IS_STRING(v))
        return YAJL_GET_STRING(v);
    if (YAJL_IS_NUMBER(v))
        return YAJL_GET_NUMBER(v);   /* the number as written */
    if (YAJL_IS_TRUE(v))
        return "true";
    if (YAJL_IS_FALSE(v))
        return "false";
    return NULL;
}

static yajl_val get(yajl_val obj, const char *key)
{
    if (!obj || !YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

static const char *get_text(yajl_val obj, const char *key) { return text(get(obj, key)); }

/* An array of strings (or one string) into out. */
static size_t strings(yajl_val v, const char **out)
{
    size_t n = 0;
    if (v && YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len && n < WI_MAX_MULTI; i++) {
            yajl_val e = v->u.array.values[i];
            const char *s = YAJL_IS_OBJECT(e) ? get_text(e, "value") : text(e);
            if (s && *s)
                out[n++] = s;
        }
    } else if (text(v) && *text(v))
        out[n++] = text(v);
    return n;
}

static size_t objects(yajl_val v, yajl_val *out)
{
    size_t n = 0;
    if (v && YAJL_IS_ARRAY(v))
        for (size_t i = 0; i < v->u.array.len && n < WI_MAX_MULTI; i++)
            if (YAJL_IS_OBJECT(v->u.array.values[i]))
                out[n++] = v->u.array.values[i];
    return n;
}

static ward_status report(wi_intake *ik, yajl_val rep, const char *where, ward_error *err)
{
    wi_referral r = {0};
    snprintf(r.where, sizeof r.where, "%s", where);
    r.ref = get_text(rep, "report_id") ? get_text(rep, "report_id") : get_text(rep, "id");
    yajl_val reporter = get(rep, "reporter");
    r.reporter = YAJL_IS_OBJECT(reporter) ? get_text(reporter, "name") : text(reporter);
    r.reporter_country = get_text(reporter, "country");
    yajl_val inc = get(rep, "incident");
    r.incident_type = get_text(inc, "type");
    r.incident_time = get_text(inc, "time");
    r.incident_zone = get_text(inc, "zone");
    r.n_typology = strings(get(inc, "typology"), r.typology);
    const char *urgent[WI_MAX_MULTI];
    size_t nu = strings(get(inc, "urgent"), urgent);
    for (size_t i = 0; i < nu && r.n_typology < WI_MAX_MULTI; i++)
        r.typology[r.n_typology++] = urgent[i];
    r.international = get_text(rep, "international");
    yajl_val p = get(rep, "person");
    if (!p)
        p = get(rep, "reported_person");
    r.name = get_text(p, "name"), r.dob = get_text(p, "dob");
    r.address = get_text(p, "address"), r.postcode = get_text(p, "postcode");
    r.occupation = get_text(p, "occupation");
    r.n_emails = strings(get(p, "emails"), r.emails);
    r.n_phones = strings(get(p, "phones"), r.phones);
    r.n_screens = strings(get(p, "screen_names"), r.screens);
    yajl_val o[WI_MAX_MULTI];
    r.n_ips = objects(get(rep, "ip_events"), o);
    for (size_t i = 0; i < r.n_ips; i++)
        r.ips[i] = (wi_ip_event){get_text(o[i], "address"), get_text(o[i], "port"),
                                 get_text(o[i], "time"), get_text(o[i], "zone"),
                                 get_text(o[i], "event")};
    r.n_files = objects(get(rep, "files"), o);
    for (size_t i = 0; i < r.n_files; i++)
        r.files[i] = (wi_file_ref){get_text(o[i], "name"), get_text(o[i], "md5"),
                                   get_text(o[i], "sha1"), get_text(o[i], "sha256"),
                                   get_text(o[i], "viewed")};
    r.n_factors = objects(get(rep, "factors"), o);
    for (size_t i = 0; i < r.n_factors; i++)
        r.factors[i] = (wi_factor_in){get_text(o[i], "factor"), get_text(o[i], "value"),
                                      get_text(o[i], "source"), get_text(o[i], "date"),
                                      get_text(o[i], "status")};
    for (size_t i = 0; i < r.n_factors; i++)
        if (!r.factors[i].factor) {
            wi_intake_bad(ik, where, "/factors/%zu: no \"factor\" name", i);
            return WARD_OK;
        }
    if (!r.name && !r.n_emails && !r.n_phones && !r.n_screens && !r.n_ips) {
        wi_intake_bad(ik, where, "no identifying value (name, email, phone, screen name, IP)");
        return WARD_OK;
    }
    return wi_intake_referral(ik, &r, err);
}

static ward_status slurp(const char *path, char **out, ward_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ward_fail_errno(err, errno, "cannot read %s", path);
    size_t cap = 0;
    *out = NULL;
    ssize_t n = getdelim(out, &cap, 0, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return ward_fail(err, WARD_EIO, "cannot read %s", path);
    if (n < 0) {
        free(*out);
        *out = strdup("");
    }
    return *out ? WARD_OK : ward_fail(err, WARD_ENOMEM, "out of memory");
}

ward_status wi_read_json(wi_intake *ik, const char *path, ward_error *err)
{
    char *data, ebuf[256];
    ward_status rc = slurp(path, &data, err);
    if (rc)
        return rc;
    yajl_val root = yajl_tree_parse(data, ebuf, sizeof ebuf);
    free(data);
    if (!root) {
        char *nl = strchr(ebuf, '\n');
        if (nl)
            *nl = 0;
        return ward_fail(err, WARD_EFORMAT, "%s: not JSON: %s", path, ebuf);
    }
    yajl_val list = YAJL_IS_ARRAY(root) ? root : get(root, "reports");
    const char *prefix = YAJL_IS_ARRAY(root) ? "" : "/reports";
    char where[300];
    if (!list && YAJL_IS_OBJECT(root)) {
        snprintf(where, sizeof where, "%s: /", path);
        rc = report(ik, root, where, err);
    } else if (!list || !YAJL_IS_ARRAY(list))
        rc = ward_fail(err, WARD_EFORMAT, "%s: /reports: expected an array of reports", path);
    for (size_t i = 0; list && YAJL_IS_ARRAY(list) && i < list->u.array.len && !rc; i++) {
        snprintf(where, sizeof where, "%s: %s/%zu", path, prefix, i);
        yajl_val rep = list->u.array.values[i];
        if (!YAJL_IS_OBJECT(rep))
            wi_intake_bad(ik, where, "a report must be an object");
        else
            rc = report(ik, rep, where, err);
    }
    yajl_tree_free(root);
    return rc;
}
