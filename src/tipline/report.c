/*
 * The service's report (ward-report/1 JSON, written by serve when a
 * reviewer confirms a match event) in the CyberTipline API's structure:
 * <report> for POST /submit, <fileDetails> for POST /fileinfo.
 *
 * Every value is the platform's or the reviewer's, copied. Where the API's
 * type forces another form (incidentDateTime and ipCaptureEvent/dateTime
 * are ISO 8601 with an offset) the original is written too, in the nearest
 * description or additionalInfo, and a time that cannot be converted is left
 * out of the typed element (a notice says so) rather than guessed.
 */
#include "tipline/tipline_int.h"
#include "scan/jsonl.h"
#include "serve/serve_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/pdq.h>

#define INCIDENT_TYPE "Child Pornography (possession, manufacture, and distribution)"

static const char *event_name(tl_str e)
{
    static const char *const names[][2] = {{"login", "Login"}, {"registration", "Registration"},
                                           {"purchase", "Purchase"}, {"upload", "Upload"},
                                           {"other", "Other"}, {"unknown", "Unknown"}};
    for (size_t i = 0; e.s && i < sizeof names / sizeof names[0]; i++)
        if (strlen(e.s) == e.n && !strcasecmp(e.s, names[i][0]))
            return names[i][1];
    return e.s ? "Other" : NULL;
}

static int is_port(tl_str p)
{
    if (!p.s || !p.n || p.n > 5)
        return 0;
    for (size_t i = 0; i < p.n; i++)
        if (p.s[i] < '0' || p.s[i] > '9')
            return 0;
    return atol(p.s) <= 65535;
}

/* A time in ISO 8601 with a zone, when the whole value is one. */
static int iso(tl_str t, char out[40])
{
    return t.s && strlen(t.s) == t.n && tl_iso_time(t.s, out);
}

/* Append a value as the platform sent it (bytes, NUL included: the
 * element it ends up in escapes what XML cannot hold). */
static void add_value(strbuf *b, const char *label, tl_str v)
{
    if (!v.s)
        return;
    strbuf_addf(b, "%s", label);
    strbuf_add(b, v.s, v.n);
}

/* One <ipCaptureEvent> of ip_capture_events[i]; what did not fit its types
 * goes to `orig`. */
static void ip_event(tl_xml *x, size_t i, strbuf *orig)
{
    const char *base = "/ip_capture_events";
    tl_str ip = tl_at(x, "%s/%zu/ip", base, i), port = tl_at(x, "%s/%zu/port", base, i);
    tl_str t = tl_at(x, "%s/%zu/time", base, i), ev = tl_at(x, "%s/%zu/event", base, i);
    const char *name = event_name(ev);
    char when[40];
    if (!ip.s || !ip.n)
        return;
    tl_open(x, "ipCaptureEvent");
    tl_elem_s(x, "ipAddress", ip, "an IP capture event's address");
    tl_elem(x, "eventName", name, NULL);
    int zoned = iso(t, when);
    if (zoned)
        tl_elem(x, "dateTime", when, NULL);
    if (is_port(port))
        tl_elem_s(x, "port", port, NULL);
    tl_close(x, "ipCaptureEvent");
    strbuf_addf(orig, "%sIP capture event %zu as the platform logged it: ",
                     orig->len ? "; " : "", i + 1);
    add_value(orig, "ip ", ip);
    add_value(orig, ", time ", t);
    add_value(orig, ", port ", port);
    add_value(orig, ", event ", ev);
    if (t.s && !zoned)
        tl_notice(x, "IP capture event %zu: time '%s' has no zone or is not a time: left out "
                     "of dateTime, kept in additionalInfo", i + 1, t.s);
    if (port.s && !is_port(port))
        tl_notice(x, "IP capture event %zu: port '%s' is not a port number: kept in "
                     "additionalInfo", i + 1, port.s);
}

static void reporting_person(tl_xml *x)
{
    const ward_tipline_reporter *r = &x->o->reporter;
    tl_open(x, "reporter");
    tl_open(x, "reportingPerson");
    tl_elem(x, "firstName", r->first_name, NULL);
    tl_elem(x, "lastName", r->last_name, NULL);
    if (r->phone) {
        tl_open(x, "phone");
        tl_elem(x, "number", r->phone, NULL);
        tl_close(x, "phone");
    }
    tl_open(x, "email");
    tl_elem(x, "email", r->email, NULL);
    tl_close(x, "email");
    tl_close(x, "reportingPerson");
    tl_close(x, "reporter");
}

static void person_reported(tl_xml *x, yajl_val rep)
{
    yajl_val ips = jv_get(rep, "ip_capture_events");
    tl_str id = tl_at(x, "/reported_person/id"), email = tl_at(x, "/reported_person/email");
    tl_str screen = tl_at(x, "/reported_person/screen_name");
    tl_str display = tl_at(x, "/reported_person/display_name");
    size_t nip = YAJL_IS_ARRAY(ips) ? ips->u.array.len : 0;
    if (!id.s && !email.s && !screen.s && !display.s && !nip)
        return;
    tl_open(x, "personOrUserReported");
    if (email.s) {
        tl_open(x, "personOrUserReportedPerson");
        tl_open(x, "email");
        tl_elem_s(x, "email", email, "the account's email");
        tl_close(x, "email");
        tl_close(x, "personOrUserReportedPerson");
    }
    tl_elem_s(x, "espIdentifier", id, "the account id");
    tl_elem_s(x, "screenName", screen, "the account's screen name");
    tl_elem_s(x, "displayName", display, "the account's display name");
    strbuf orig = {0};
    for (size_t i = 0; i < nip; i++)
        ip_event(x, i, &orig);
    if (orig.len)
        tl_elem_s(x, "additionalInfo", (tl_str){orig.s, orig.len}, "IP capture events");
    strbuf_free(&orig);
    tl_close(x, "personOrUserReported");
}

/* "list national, category 1 (Child abuse material), series S, md5 distance
 * 0, transform rot90" for each match, as the service recorded it. */
static void describe_matches(strbuf *b, yajl_val matches)
{
    size_t n = YAJL_IS_ARRAY(matches) ? matches->u.array.len : 0;
    for (size_t i = 0; i < n; i++) {
        yajl_val m = matches->u.array.values[i];
        const char *label = jv_str(m, "category_label"), *series = jv_str(m, "series");
        yajl_val dih = jv_get(m, "dihedral");
        strbuf_addf(b, "%smatch %zu: list %s, category %s%s%s%s, series %s, %s %s "
                            "distance %lld", i ? "; " : "", i + 1,
                         jv_str(m, "list") ? jv_str(m, "list") : "?",
                         jv_str(m, "category") ? jv_str(m, "category") : "?",
                         label ? " (" : "", label ? label : "", label ? ")" : "",
                         series ? series : "none", jv_str(m, "kind") ? jv_str(m, "kind") : "?",
                         jv_str(m, "hash") ? jv_str(m, "hash") : "?",
                         jv_int(m, "distance", 0));
        if (dih && YAJL_IS_INTEGER(dih))
            strbuf_addf(b, ", transform %s", ward_dihedral_name((int)YAJL_GET_INTEGER(dih)));
    }
}

static void describe_hashes(strbuf *b, yajl_val hashes)
{
    size_t n = YAJL_IS_ARRAY(hashes) ? hashes->u.array.len : 0;
    for (size_t i = 0; i < n; i++) {
        yajl_val h = hashes->u.array.values[i];
        const char *kind = jv_str(h, "kind"), *as_sent = jv_str(h, "as_sent");
        strbuf_addf(b, "%s%s%s%s", i ? ", " : "", kind ? kind : "",
                         kind ? ":" : "", as_sent ? as_sent : jv_str(h, "hash"));
    }
}

/* The first (and, for a match event, only) file of the report. */
static yajl_val first_file(yajl_val rep)
{
    yajl_val files = jv_get(rep, "files");
    return YAJL_IS_ARRAY(files) && files->u.array.len ? files->u.array.values[0] : NULL;
}

static void summary(tl_xml *x, yajl_val rep)
{
    tl_str t = tl_at(x, "/incident/time");
    const char *received = jv_str(jv_get(rep, "incident"), "received");
    char when[40];
    tl_open(x, "incidentSummary");
    tl_elem(x, "incidentType", INCIDENT_TYPE, NULL);
    int zoned = iso(t, when);
    if (zoned)
        tl_elem(x, "incidentDateTime", when, NULL);
    strbuf d = {0};
    if (t.s) {
        add_value(&d, "Upload time as the platform logged it: ", t);
        strbuf_addf(&d, ". ");
    } else {
        strbuf_addf(&d, "The platform gave no upload time. ");
    }
    strbuf_addf(&d, "Match recorded by ward at %s.", received ? received : "?");
    tl_elem_s(x, "incidentDateTimeDescription", (tl_str){d.s, d.len}, "the upload time");
    strbuf_free(&d);
    tl_close(x, "incidentSummary");
    if (t.s && !zoned)
        tl_notice(x, "the upload time '%s' has no zone or is not a time: left out of "
                     "incidentDateTime, kept in incidentDateTimeDescription", t.s);
}

static void report_info(tl_xml *x, yajl_val rep)
{
    yajl_val f = first_file(rep), ev = jv_get(f, "evidence_sha256");
    yajl_val review = jv_get(rep, "review");
    size_t nev = YAJL_IS_ARRAY(ev) ? ev->u.array.len : 0;
    tl_str content = tl_at(x, "/files/0/content_id");
    strbuf s = {0};
    strbuf_addf(&s, "Report %lld of the ward match service, match event %lld, on behalf "
                         "of %s. Content id ", jv_int(rep, "report_id", 0),
                     jv_int(rep, "event_id", 0),
                     jv_str(jv_get(rep, "reporter"), "organisation")
                         ? jv_str(jv_get(rep, "reporter"), "organisation") : "the platform");
    if (content.s)
        add_value(&s, "", content);
    else
        strbuf_addf(&s, "not given");
    strbuf_addf(&s, ". Hashes as the platform sent them: ");
    describe_hashes(&s, jv_get(f, "hashes"));
    strbuf_addf(&s, ". Known-list matches: ");
    describe_matches(&s, jv_get(f, "matches"));
    strbuf_addf(&s, ". Confirmed by a person at %s; that person %s the file.",
                     jv_str(review, "time") ? jv_str(review, "time") : "?",
                     jv_bool(f, "viewed_by_person") ? "viewed" : "did not view");
    if (nev)
        strbuf_addf(&s, " %zu file%s uploaded with this report (fileDetails).", nev,
                         nev == 1 ? "" : "s");
    else
        strbuf_addf(&s, " No file uploaded: the platform did not hand the file to ward, "
                             "which holds hashes only.");
    tl_elem_s(x, "additionalInfo", (tl_str){s.s, s.len}, "the report's summary");
    strbuf_free(&s);
}

static ward_status finish_xml(tl_xml *x, char **xml, int *notices, ward_error *err)
{
    tl_xml_free(x);
    if (x->oom || !strbuf_add(&x->b, "\n", 1)) {
        strbuf_free(&x->b);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ward_status rc = ward_tipline_validate(x->b.s, x->b.len, err);
    if (rc != WARD_OK) { /* ward wrote something its own schema refuses: a bug */
        strbuf_free(&x->b);
        return err_fail(err, WARD_EINTERNAL, "the XML ward wrote does not validate: %s",
                         err ? err->message : "");
    }
    *xml = x->b.s;
    if (notices)
        *notices = x->notices;
    return WARD_OK;
}

static yajl_val parse_report(const char *json, ward_error *err)
{
    char ebuf[128];
    yajl_val rep = yajl_tree_parse(json, ebuf, sizeof ebuf);
    if (!rep || !YAJL_IS_OBJECT(rep) || !jv_str(rep, "schema") ||
        strcmp(jv_str(rep, "schema"), "ward-report/1")) {
        yajl_tree_free(rep);
        err_fail(err, WARD_EFORMAT, "the stored report is not a ward-report/1 document");
        return NULL;
    }
    return rep;
}

ward_status tl_report_xml(const ward_tipline_opts *o, const char *json, char **xml,
                          int *notices, ward_error *err)
{
    *xml = NULL;
    if (!o->reporter.email || !*o->reporter.email)
        return err_fail(err, WARD_EINVAL, "the reporting person's email is required "
                                           "(the API's reportingPerson/email)");
    yajl_val rep = parse_report(json, err);
    if (!rep)
        return WARD_EFORMAT;
    tl_xml x = {.o = o, .json = json};
    strbuf_addf(&x.b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    tl_open(&x, "report");
    summary(&x, rep);
    reporting_person(&x);
    person_reported(&x, rep);
    report_info(&x, rep);
    tl_close(&x, "report");
    yajl_tree_free(rep);
    return finish_xml(&x, xml, notices, err);
}

ward_status tl_file_xml(const ward_tipline_opts *o, const char *json, const tl_file *f,
                        char **xml, ward_error *err)
{
    *xml = NULL;
    yajl_val rep = parse_report(json, err);
    if (!rep)
        return WARD_EFORMAT;
    yajl_val file = first_file(rep), viewed = jv_get(file, "viewed_by_person");
    if (!viewed || !(YAJL_IS_TRUE(viewed) || YAJL_IS_FALSE(viewed))) {
        yajl_tree_free(rep);
        return err_fail(err, WARD_EFORMAT, "the report does not record whether a person "
                                            "viewed the file: fileViewedByEsp is not assumed");
    }
    tl_xml x = {.o = o, .json = json};
    strbuf_addf(&x.b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    tl_open(&x, "fileDetails");
    tl_elem(&x, "reportId", f->ncmec_report, NULL);
    tl_elem(&x, "fileId", f->ncmec_file, NULL);
    char name[80];
    snprintf(name, sizeof name, "%s.bin", f->sha256);
    tl_elem(&x, "fileName", name, NULL);
    /* the reviewer's own answer (POST /v1/reviews "viewed", the web form's
     * question), never inferred */
    tl_elem(&x, "fileViewedByEsp", YAJL_IS_TRUE(viewed) ? "true" : "false", NULL);
    tl_elem(&x, "fileRelevance", "Reported", NULL);
    tl_elem_attr(&x, "originalFileHash", "hashType", "MD5", f->md5);
    tl_elem_attr(&x, "originalFileHash", "hashType", "SHA1", f->sha1);
    tl_elem_attr(&x, "originalFileHash", "hashType", "SHA256", f->sha256);
    yajl_val ips = jv_get(rep, "ip_capture_events");
    strbuf orig = {0};
    for (size_t i = 0; YAJL_IS_ARRAY(ips) && i < ips->u.array.len; i++) {
        tl_str ev = tl_at(&x, "/ip_capture_events/%zu/event", i);
        if (ev.s && !strcmp(event_name(ev), "Upload")) { /* the file's own upload */
            ip_event(&x, i, &orig);
            break;
        }
    }
    yajl_val hashes = jv_get(file, "hashes");
    for (size_t i = 0; YAJL_IS_ARRAY(hashes) && i < hashes->u.array.len; i++) {
        yajl_val h = hashes->u.array.values[i];
        const char *kind = jv_str(h, "kind"), *v = jv_str(h, "as_sent");
        char nm[64];
        snprintf(nm, sizeof nm, "platform %s", kind ? kind : "hash");
        tl_open(&x, "details type=\"HASH\"");
        tl_elem(&x, "name", nm, NULL);
        tl_elem(&x, "value", v ? v : (jv_str(h, "hash") ? jv_str(h, "hash") : ""), "a hash");
        tl_close(&x, "details");
    }
    strbuf info = {0};
    describe_matches(&info, jv_get(file, "matches"));
    if (orig.len) {
        strbuf_addf(&info, "%s", info.len ? ". " : "");
        strbuf_add(&info, orig.s, orig.len);
    }
    if (info.len)
        tl_elem_s(&x, "additionalInfo", (tl_str){info.s, info.len}, "the file's matches");
    strbuf_free(&info);
    strbuf_free(&orig);
    tl_close(&x, "fileDetails");
    yajl_tree_free(rep);
    return finish_xml(&x, xml, NULL, err);
}
