/*
 * The reviewer's workspace: platform match events waiting for a person
 * (service.db events, the same decisions as POST /v1/reviews), and the
 * auditor's search of the audit log, with the chain checked on each view.
 *
 * Each event is shown as fields, not JSON: the platform (its API key's
 * name), content and account ids, the upload's time with its zone and its
 * IP as the platform wrote them, every match as list, category, series,
 * distance and transform, and the event's age against the review deadline
 * (ward serve --review-deadline). Filters and sorting are query arguments
 * (a GET form: bookmarkable, no script needed). A decision answers whether a
 * person viewed the file -- required, never defaulted, because it becomes
 * the report's fileViewedByEsp -- one event at a time or, for events whose
 * hashes are identical, all of them at once. /assets/review.js adds keyboard
 * shortcuts; without it every decision is still a plain form.
 */
#include "web/web.h"
#include "scan/jsonl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/pdq.h>
#include <ward/serve.h>

#define MAX_EVENTS 1000 /* one listing's worth (GET /v1/events' limit) */

/* The page's own Content-Security-Policy: the application's, plus its one
 * script from this server. */
#define REVIEW_CSP                                                                         \
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self';"           \
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

typedef struct rv_event {
    long long id;
    size_t index;           /* in the listing's JSON array */
    yajl_val v;             /* the event */
    const char *platform;   /* the key's name, or its id */
    double age_s;
    int best;               /* smallest distance of its matches */
    char *sig;              /* its hashes, sorted: identical events share it */
    int group_size;         /* shown events with the same signature */
    long long group;        /* the first of them shown: its group's anchor */
} rv_event;

typedef struct rv_filter {
    const char *list, *category, *platform, *age, *sort;
} rv_filter;

typedef struct rv_keys {
    char (*id)[24];
    char **name;
    size_t n;
} rv_keys;

/* ---- reading the listing ------------------------------------------------------ */

static int key_one(void *ctx, const ward_apikey *key)
{
    rv_keys *k = ctx;
    void *a = realloc(k->id, (k->n + 1) * sizeof *k->id);
    if (a)
        k->id = a;
    void *b = a ? realloc(k->name, (k->n + 1) * sizeof *k->name) : NULL;
    if (!b)
        return 1;
    k->name = b;
    snprintf(k->id[k->n], sizeof k->id[k->n], "%s", key->id);
    if (!(k->name[k->n] = strdup(key->name ? key->name : "")))
        return 1;
    k->n++;
    return 0;
}

/* API key id -> name: the platform, as the admin named it. */
static void keys_load(web_page *w, rv_keys *k)
{
    memset(k, 0, sizeof *k);
    ward_error err;
    (void)svc_keys_each(w->ctx->state, key_one, k, &err); /* a name missing shows the id */
}

static void keys_free(rv_keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->name[i]);
    free(k->name);
    free(k->id);
}

static const char *key_name(const rv_keys *k, const char *id)
{
    for (size_t i = 0; id && i < k->n; i++)
        if (!strcmp(k->id[i], id))
            return k->name[i];
    return id ? id : "";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The event's hashes (each as the service keyed it), sorted and joined:
 * two events with the same signature are the same file's hashes. */
char *web_hash_signature(yajl_val hashes)
{
    size_t n = YAJL_IS_ARRAY(hashes) ? hashes->u.array.len : 0;
    const char **h = calloc(n + 1, sizeof *h);
    strbuf b = {0};
    if (!h)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (jv_str(hashes->u.array.values[i], "hash"))
            h[k++] = jv_str(hashes->u.array.values[i], "hash");
    qsort(h, k, sizeof *h, cmp_str);
    for (size_t i = 0; i < k; i++)
        strbuf_addf(&b, "%s%s", i ? "," : "", h[i]);
    free(h);
    return b.s ? b.s : strdup("");
}

/* "2026-12-07T07:21:47Z" (the service's own clock, always UTC) -> time. */
static double utc_time(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return NAN;
    return (double)timegm(&tm);
}

/* ---- filters -------------------------------------------------------------------- */

static const char *arg(web_page *w, const char *name)
{
    const char *v = svc_arg(w->req, name);
    return v && strlen(v) < 200 ? v : "";
}

static int has_match(yajl_val matches, const char *key, const char *want)
{
    size_t n = YAJL_IS_ARRAY(matches) ? matches->u.array.len : 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = jv_str(matches->u.array.values[i], key);
        if (v && !strcmp(v, want))
            return 1;
    }
    return 0;
}

static int passes(const rv_filter *f, const rv_event *e, double deadline_s)
{
    yajl_val m = jv_get(e->v, "matches");
    if (f->list[0] && !has_match(m, "list", f->list))
        return 0;
    if (f->category[0] && !has_match(m, "category", f->category))
        return 0;
    if (f->platform[0] && strcmp(e->platform, f->platform))
        return 0;
    if (!strcmp(f->age, "hour") && !(e->age_s < 3600))
        return 0;
    if (!strcmp(f->age, "day") && !(e->age_s >= 3600 && e->age_s < 86400))
        return 0;
    if (!strcmp(f->age, "older") && !(e->age_s >= 86400))
        return 0;
    if (!strcmp(f->age, "overdue") && !(e->age_s >= deadline_s))
        return 0;
    return 1;
}

/* qsort_r's comparison: the sort key comes as its argument (requests are
 * served by several threads at once, so never through a global). */
static int cmp_event(const void *pa, const void *pb, void *arg)
{
    const rv_event *a = pa, *b = pb;
    const char *sort_by = arg;
    int c = 0;
    if (!strcmp(sort_by, "newest"))
        c = (b->id > a->id) - (b->id < a->id);
    else if (!strcmp(sort_by, "distance"))
        c = a->best - b->best;
    else if (!strcmp(sort_by, "platform"))
        c = strcmp(a->platform, b->platform);
    else if (!strcmp(sort_by, "group"))
        c = b->group_size - a->group_size ? b->group_size - a->group_size
                                          : strcmp(a->sig, b->sig);
    return c ? c : (a->id > b->id) - (a->id < b->id); /* then oldest first */
}

/* A <select> of the distinct values of `key` among the matches (or of the
 * platforms), the current one selected. */
static void select_of(web_page *w, const char *name, const char *label, const char *cur,
                      const char **vals, size_t n)
{
    qsort(vals, n, sizeof *vals, cmp_str);
    html_f(&w->out, "<label>%s<select name=\"%s\"><option value=\"\">any</option>", label, name);
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(vals[i], vals[i - 1]))
            continue;
        html_f(&w->out, "<option value=\"%s\"%r>%s</option>", vals[i],
               !strcmp(vals[i], cur) ? " selected" : "", vals[i]);
    }
    html_f(&w->out, "</select></label>");
}

static void filter_form(web_page *w, const rv_filter *f, const rv_event *ev, size_t n)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) {
        yajl_val m = jv_get(ev[i].v, "matches");
        cap += YAJL_IS_ARRAY(m) ? m->u.array.len : 0;
    }
    const char **lists = calloc(cap, sizeof *lists), **cats = calloc(cap, sizeof *cats);
    const char **plats = calloc(n + 1, sizeof *plats);
    size_t nl = 0, nc = 0;
    for (size_t i = 0; lists && cats && plats && i < n; i++) {
        yajl_val m = jv_get(ev[i].v, "matches");
        for (size_t k = 0; YAJL_IS_ARRAY(m) && k < m->u.array.len; k++) {
            const char *l = jv_str(m->u.array.values[k], "list");
            const char *c = jv_str(m->u.array.values[k], "category");
            if (l)
                lists[nl++] = l;
            if (c)
                cats[nc++] = c;
        }
        plats[i] = ev[i].platform;
    }
    html_f(&w->out, "<form class=\"filters\" method=\"get\" action=\"/reviews\">");
    if (lists && cats && plats) {
        select_of(w, "list", "List", f->list, lists, nl);
        select_of(w, "category", "Category", f->category, cats, nc);
        select_of(w, "platform", "Platform", f->platform, plats, n);
    }
    static const char *const ages[][2] = {{"", "any"}, {"hour", "under an hour"},
                                          {"day", "1 to 24 hours"}, {"older", "over a day"},
                                          {"overdue", "past the deadline"}};
    html_f(&w->out, "<label>Age<select name=\"age\">");
    for (size_t i = 0; i < 5; i++)
        html_f(&w->out, "<option value=\"%s\"%r>%s</option>", ages[i][0],
               !strcmp(f->age, ages[i][0]) ? " selected" : "", ages[i][1]);
    static const char *const sorts[][2] = {{"oldest", "oldest first (deadline)"},
                                           {"newest", "newest first"},
                                           {"distance", "closest match first"},
                                           {"platform", "platform"},
                                           {"group", "identical hashes together"}};
    html_f(&w->out, "</select></label><label>Sort<select name=\"sort\">");
    for (size_t i = 0; i < 5; i++)
        html_f(&w->out, "<option value=\"%s\"%r>%s</option>", sorts[i][0],
               !strcmp(f->sort, sorts[i][0]) ? " selected" : "", sorts[i][1]);
    html_f(&w->out, "</select></label><button>Show</button> <a href=\"/reviews\">clear</a>"
                    "</form>");
    free(lists);
    free(cats);
    free(plats);
}

/* ---- one event -------------------------------------------------------------------- */

/* A value of the event's context as the platform sent it, read from the
 * listing's text rather than the tree (so a "\u0000" is not an end): a
 * string with its quotes off and only \" \\ \/ undone -- control characters
 * stay visible as their escapes; anything else as its JSON text. NULL when
 * absent or null. */
#define ONE_EVENT ((size_t)-1) /* text is one event's, not the listing's */

static char *ctx_value(const char *text, size_t index, const char *path)
{
    char ptr[300];
    if (index == ONE_EVENT)
        snprintf(ptr, sizeof ptr, "/context%s", path);
    else
        snprintf(ptr, sizeof ptr, "/%zu/context%s", index, path);
    char *j = jw_text_at(text, strlen(text), ptr);
    if (!j || !strcmp(j, "null")) {
        free(j);
        return NULL;
    }
    size_t n = strlen(j);
    if (n >= 2 && j[0] == '"') {
        size_t o = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            if (j[i] == '\\' && (j[i + 1] == '"' || j[i + 1] == '\\' || j[i + 1] == '/'))
                i++;
            j[o++] = j[i];
        }
        j[o] = 0;
    }
    return j;
}

static void field(web_page *w, const char *label, const char *text, size_t index,
                  const char *path)
{
    char *v = ctx_value(text, index, path);
    if (v)
        html_f(&w->out, "<dt>%s</dt><dd>%s</dd>", label, v);
    free(v);
}

/* "upload 198.51.100.23 port 40022 at 2026-11-23 09:14:05 -0500" */
static void ip_line(web_page *w, const char *text, size_t index, const char *base)
{
    static const char *const parts[][2] = {{"/event", ""}, {"/ip", " "}, {"/port", " port "},
                                           {"/time", " at "}};
    for (size_t i = 0; i < 4; i++) {
        char p[200];
        snprintf(p, sizeof p, "%s%s", base, parts[i][0]);
        char *v = ctx_value(text, index, p);
        if (v)
            html_f(&w->out, "%s%s", parts[i][1], v);
        free(v);
    }
}

/* Members of the context this page does not know: shown as sent, never
 * dropped (the platform may have put something there that matters). */
static void other_context(web_page *w, yajl_val ctx, const char *text, size_t index)
{
    static const char *const known[] = {"content_id", "account", "upload", "ip_events"};
    for (size_t i = 0; YAJL_IS_OBJECT(ctx) && i < ctx->u.object.len; i++) {
        const char *k = ctx->u.object.keys[i];
        int seen = 0;
        for (size_t j = 0; j < 4; j++)
            seen |= !strcmp(k, known[j]);
        if (seen || strchr(k, '/') || strchr(k, '~'))
            continue;
        char p[260];
        snprintf(p, sizeof p, "/%s", k);
        field(w, k, text, index, p);
    }
}

static void account_fields(web_page *w, yajl_val acc, const char *text, size_t index)
{
    static const char *const known[][2] = {{"id", "Account id"},
                                           {"screen_name", "Screen name"},
                                           {"display_name", "Display name"},
                                           {"email", "Account email"}};
    for (size_t i = 0; i < 4; i++) {
        char p[64];
        snprintf(p, sizeof p, "/account/%s", known[i][0]);
        field(w, known[i][1], text, index, p);
    }
    for (size_t i = 0; YAJL_IS_OBJECT(acc) && i < acc->u.object.len; i++) {
        const char *k = acc->u.object.keys[i];
        int seen = 0;
        for (size_t j = 0; j < 4; j++)
            seen |= !strcmp(k, known[j][0]);
        if (seen || strchr(k, '/') || strchr(k, '~'))
            continue;
        char p[260], label[260];
        snprintf(p, sizeof p, "/account/%s", k);
        snprintf(label, sizeof label, "Account %s", k);
        field(w, label, text, index, p);
    }
}

static void context_fields(web_page *w, const rv_event *e, const char *text)
{
    yajl_val ctx = jv_get(e->v, "context");
    html_f(&w->out, "<dl class=\"fields\"><dt>Platform</dt><dd>%s <span class=\"muted\">"
                    "(key %s)</span></dd>", e->platform, jv_str(e->v, "key_id"));
    field(w, "Content id", text, e->index, "/content_id");
    account_fields(w, jv_get(ctx, "account"), text, e->index);
    field(w, "Uploaded", text, e->index, "/upload/time");
    char *ip = ctx_value(text, e->index, "/upload/ip");
    if (ip) {
        char *port = ctx_value(text, e->index, "/upload/port");
        html_f(&w->out, "<dt>Upload IP</dt><dd>%s%s%s</dd>", ip, port ? " port " : "",
               port ? port : "");
        free(port);
    }
    free(ip);
    yajl_val ips = jv_get(ctx, "ip_events");
    for (size_t i = 0; YAJL_IS_ARRAY(ips) && i < ips->u.array.len; i++) {
        char base[40];
        snprintf(base, sizeof base, "/ip_events/%zu", i);
        html_f(&w->out, "<dt>IP event %d</dt><dd>", (int)i + 1);
        ip_line(w, text, e->index, base);
        html_f(&w->out, "</dd>");
    }
    other_context(w, ctx, text, e->index);
    html_f(&w->out, "<dt>Received</dt><dd>%s <span class=\"muted\">(ward's clock, UTC)</span>"
                    "</dd></dl>", jv_str(e->v, "created"));
}

static void match_table(web_page *w, yajl_val matches)
{
    html_f(&w->out, "<table class=\"matches\"><tr><th>List</th><th>Category</th>"
                    "<th>Series</th><th>Distance</th><th>Transform</th></tr>");
    size_t n = YAJL_IS_ARRAY(matches) ? matches->u.array.len : 0;
    for (size_t i = 0; i < n; i++) {
        yajl_val m = matches->u.array.values[i];
        yajl_val dih = jv_get(m, "dihedral"), frame = jv_get(m, "frame");
        const char *label = jv_str(m, "category_label"), *kind = jv_str(m, "kind");
        char tf[64];
        if (dih && YAJL_IS_INTEGER(dih))
            snprintf(tf, sizeof tf, "%s", ward_dihedral_name((int)YAJL_GET_INTEGER(dih)));
        else if (frame && YAJL_IS_INTEGER(frame))
            snprintf(tf, sizeof tf, "video frame %lld", (long long)YAJL_GET_INTEGER(frame));
        else
            snprintf(tf, sizeof tf, "%s", kind && strcmp(kind, "pdq") ? "exact digest" : "-");
        html_f(&w->out, "<tr><td>%s</td><td>%s%s%s%s</td><td>%s</td><td>%s %lld</td>"
                        "<td>%s</td></tr>", web_jstr(m, "list"), label ? label : "",
               label ? " (" : "", web_jstr(m, "category"), label ? ")" : "",
               jv_str(m, "series") ? jv_str(m, "series") : "-", kind ? kind : "",
               jv_int(m, "distance", 0), tf);
    }
    if (!n)
        html_f(&w->out, "<tr><td colspan=\"5\" class=\"muted\">no match recorded</td></tr>");
    html_f(&w->out, "</table>");
}

static void span_text(char *out, size_t cap, double s)
{
    s = fabs(s);
    if (s < 3600)
        snprintf(out, cap, "%d min", (int)(s / 60));
    else if (s < 86400 * 2)
        snprintf(out, cap, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        snprintf(out, cap, "%d days %d h", (int)(s / 86400), (int)fmod(s / 3600, 24));
}

static void age_badge(web_page *w, const rv_event *e, double deadline_s)
{
    char age[48], left[48];
    if (isnan(e->age_s)) {
        html_f(&w->out, "<span class=\"age\">age unknown</span>");
        return;
    }
    span_text(age, sizeof age, e->age_s);
    span_text(left, sizeof left, deadline_s - e->age_s);
    int late = e->age_s >= deadline_s;
    html_f(&w->out, "<span class=\"age%r\">%s old &middot; %r %s</span>",
           late ? " overdue" : "", age, late ? "overdue by" : "due in", left);
    /* green, then amber past half the time, red past three quarters */
    html_f(&w->out, "<meter min=\"0\" max=\"%g\" low=\"%g\" high=\"%g\" optimum=\"0\" "
                    "value=\"%g\" title=\"age against the review deadline\"></meter>",
           deadline_s, deadline_s * 0.5, deadline_s * 0.75,
           e->age_s < deadline_s ? e->age_s : deadline_s);
}

/* The decision's form fields: the viewed question (no default), notes,
 * allow-list, the buttons. */
static void decision_fields(web_page *w, const char *back, const char *what)
{
    html_f(&w->out, "<fieldset class=\"viewed\"><legend>Did a person view %s?</legend>"
                    "<label><input type=\"radio\" name=\"viewed\" value=\"1\" required> yes, "
                    "viewed</label><label><input type=\"radio\" name=\"viewed\" value=\"0\">"
                    " no, not viewed</label></fieldset>"
                    "<input name=\"notes\" placeholder=\"notes\" size=\"22\" aria-label=\"notes\">"
                    "<label class=\"check\"><input type=\"checkbox\" name=\"allowlist\" "
                    "value=\"1\"> on reject: allow-list the hashes</label>"
                    "<input type=\"hidden\" name=\"back\" value=\"%s\">", what, back);
    page_csrf(w);
    html_f(&w->out, "<button name=\"decision\" value=\"confirm\">Confirm</button>"
                    "<button name=\"decision\" value=\"reject\" class=\"reject\">Reject</button>");
}

static void event_card(web_page *w, const rv_event *e, const char *text, double deadline_s,
                       const char *back)
{
    int late = !isnan(e->age_s) && e->age_s >= deadline_s;
    html_f(&w->out, "<article class=\"ev%r\" id=\"ev-%lld\" tabindex=\"-1\" data-id=\"%lld\">"
                    "<header><strong>Event %lld</strong><span>%s</span>",
           late ? " late" : "", e->id, e->id, e->id, e->platform);
    age_badge(w, e, deadline_s);
    if (e->group_size > 1)
        html_f(&w->out, "<a href=\"#group-%lld\">one of %d events with identical hashes</a>",
               e->group, e->group_size);
    html_f(&w->out, "</header><div class=\"evbody\">");
    /* The fields are read from this event's own text: each read walks the
     * text it is given, and the whole listing's would make the page
     * quadratic in the number of events. */
    yajl_gen g = yajl_gen_alloc(NULL);
    ward_error err;
    char *etext = g && svc_event_json(w->ctx->state, e->id, g, &err) == WARD_OK
                      ? jw_take(g, NULL) : NULL;
    if (g)
        yajl_gen_free(g);
    rv_event one = *e;
    one.index = ONE_EVENT;
    if (etext)
        context_fields(w, &one, etext);
    else
        context_fields(w, e, text);
    free(etext);
    html_f(&w->out, "<div>");
    match_table(w, jv_get(e->v, "matches"));
    html_f(&w->out, "</div></div><form class=\"decide\" method=\"post\" "
                    "action=\"/reviews/%lld\">", e->id);
    decision_fields(w, back, "this file");
    html_f(&w->out, "</form></article>\n");
}

/* ---- bulk: events with identical hashes ------------------------------------------ */

static void group_forms(web_page *w, rv_event *ev, size_t n, const char *back)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].group_size < 2)
            continue;
        size_t first = i;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ev[j].sig, ev[i].sig)) {
                first = j;
                break;
            }
        if (first != i)
            continue;
        if (!any)
            html_f(&w->out, "<h2>Identical hashes</h2><p class=\"muted\">These events "
                            "carry exactly the same hashes: the same file, uploaded more "
                            "than once. One decision can be applied to all of them; each is "
                            "recorded as its own review.</p>");
        any = 1;
        strbuf ids = {0};
        for (size_t j = i; j < n; j++)
            if (!strcmp(ev[j].sig, ev[i].sig))
                strbuf_addf(&ids, "%s%lld", ids.len ? "," : "", ev[j].id);
        html_f(&w->out, "<div class=\"group\" id=\"group-%lld\"><p><strong>%d events</strong>"
                        " (%s) &middot; hashes <span class=\"raw\">%s</span></p>"
                        "<form class=\"decide bulk\" method=\"post\" action=\"/reviews/bulk\">"
                        "<input type=\"hidden\" name=\"ids\" value=\"%s\">",
               ev[i].id, ev[i].group_size, ids.s ? ids.s : "", ev[i].sig, ids.s ? ids.s : "");
        decision_fields(w, back, "this file (the same in every one)");
        html_f(&w->out, "</form></div>");
        strbuf_free(&ids);
    }
}

/* ---- the page ------------------------------------------------------------------------ */

/* The filters as a query string, for the way back after a decision. */
static void back_query(const rv_filter *f, char *out, size_t cap)
{
    strbuf b = {0};
    const char *names[] = {"list", "category", "platform", "age", "sort"};
    const char *vals[] = {f->list, f->category, f->platform, f->age, f->sort};
    for (size_t i = 0; i < 5; i++) {
        if (!vals[i][0])
            continue;
        strbuf_addf(&b, "%s%s=", b.len ? "&" : "", names[i]);
        for (const unsigned char *p = (const unsigned char *)vals[i]; *p; p++)
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
                strbuf_add(&b, (const char *)p, 1);
            else
                strbuf_addf(&b, "%%%02X", *p);
    }
    snprintf(out, cap, "%s", b.s ? b.s : "");
    strbuf_free(&b);
}

static void list_page(web_page *w)
{
    rv_filter f = {arg(w, "list"), arg(w, "category"), arg(w, "platform"), arg(w, "age"),
                   arg(w, "sort")};
    if (!f.sort[0])
        f.sort = "oldest";
    yajl_gen g = yajl_gen_alloc(NULL);
    ward_error err;
    char *text = NULL;
    if (g && svc_events_json_ordered(w->ctx->state, "pending", MAX_EVENTS + 1, 1, g, &err) ==
                 WARD_OK)
        text = jw_take(g, NULL);
    if (g)
        yajl_gen_free(g);
    yajl_val all = text ? yajl_tree_parse(text, NULL, 0) : NULL;
    size_t total = YAJL_IS_ARRAY(all) ? all->u.array.len : 0, n = 0;
    rv_event *ev = calloc(total + 1, sizeof *ev);
    rv_keys keys;
    keys_load(w, &keys);
    double deadline_s = w->ctx->opts.review_deadline_h * 3600;
    int more = total > MAX_EVENTS; /* asked for one more than shown, to know */
    if (more)
        total = MAX_EVENTS;
    for (size_t i = 0; ev && i < total; i++) {
        yajl_val v = all->u.array.values[i];
        rv_event *e = &ev[n++];
        e->id = jv_int(v, "id", 0);
        e->index = i;
        e->v = v;
        e->platform = key_name(&keys, jv_str(v, "key_id"));
        e->age_s = w->now - utc_time(jv_str(v, "created"));
        e->sig = web_hash_signature(jv_get(v, "hashes"));
        e->best = 1 << 20;
        yajl_val m = jv_get(v, "matches");
        for (size_t k = 0; YAJL_IS_ARRAY(m) && k < m->u.array.len; k++) {
            int d = (int)jv_int(m->u.array.values[k], "distance", 0);
            e->best = d < e->best ? d : e->best;
        }
    }
    page_audit(w, "web.reviews.view", "events", NULL);
    page_begin(w, "Match review");
    w->rep->csp = REVIEW_CSP;
    char back[600];
    back_query(&f, back, sizeof back);
    html_f(&w->out, "<p class=\"muted\">Platform uploads that matched a hash list, waiting "
                    "for a person. A confirmation writes the report (and its CyberTipline "
                    "form, whose fileViewedByEsp is your answer to the viewed question); a "
                    "rejection can put the hashes on the allow-list. Review deadline: "
                    "%g hours from arrival.</p>", w->ctx->opts.review_deadline_h);
    filter_form(w, &f, ev, n);
    html_f(&w->out, "<details id=\"keys\"><summary>Keyboard shortcuts (<kbd>?</kbd>)</summary>"
                    "<p><kbd>j</kbd>/<kbd>k</kbd> next/previous event &middot; <kbd>y</kbd> "
                    "viewed, <kbd>n</kbd> not viewed &middot; <kbd>c</kbd> confirm &middot; "
                    "<kbd>r</kbd> reject &middot; <kbd>a</kbd> allow-list on reject &middot; "
                    "<kbd>o</kbd> notes &middot; <kbd>f</kbd> filters &middot; <kbd>Esc</kbd> "
                    "leave a field</p></details>");
    rv_event *shown = calloc(n + 1, sizeof *shown);
    size_t ns = 0;
    for (size_t i = 0; shown && i < n; i++)
        if (passes(&f, &ev[i], deadline_s))
            shown[ns++] = ev[i];
    if (shown)
        qsort_r(shown, ns, sizeof *shown, cmp_event, (void *)f.sort);
    size_t late = 0;
    for (size_t i = 0; i < ns; i++) {
        late += shown[i].age_s >= deadline_s;
        for (size_t j = 0; j < ns; j++) { /* identical hashes, among those shown */
            int same = shown[i].sig && shown[j].sig && !strcmp(shown[i].sig, shown[j].sig);
            if (same && !shown[i].group_size++)
                shown[i].group = shown[j].id;
        }
    }
    html_f(&w->out, "<p><strong>%d</strong> of %d waiting events shown.</p>", (int)ns, (int)n);
    if (more)
        html_f(&w->out, "<p class=\"msg\">More than %d events are waiting: this page holds "
                        "the oldest %d. Decide these and the next ones appear.</p>",
               MAX_EVENTS, MAX_EVENTS);
    if (late)
        html_f(&w->out, "<p class=\"msg\">%d shown %r past the review deadline.</p>",
               (int)late, late == 1 ? "is" : "are");
    group_forms(w, shown, ns, back);
    if (ns)
        html_f(&w->out, "<h2>Events</h2>");
    for (size_t i = 0; i < ns; i++)
        event_card(w, &shown[i], text, deadline_s, back);
    if (!ns)
        html_f(&w->out, "<p class=\"muted\">%r</p>",
               n ? "No waiting event passes these filters." : "Nothing waiting.");
    html_f(&w->out, "<script src=\"/assets/review.js\"></script>");
    for (size_t i = 0; i < n; i++)
        free(ev[i].sig);
    free(shown);
    free(ev);
    keys_free(&keys);
    if (all)
        yajl_tree_free(all);
    free(text);
    page_end(w, 200);
}

/* ---- decisions ------------------------------------------------------------------------ */

/* Back to the listing with the filters the form came from ("back" is only
 * ever the query string back_query wrote; anything else is dropped). */
static void redirect_back(web_page *w)
{
    char back[620], to[700];
    page_field(w, "back", back, sizeof back);
    int ok = strlen(back) < 600;
    for (const char *p = back; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr("=&%-_.", *p);
    snprintf(to, sizeof to, "/reviews%s%s", ok && back[0] ? "?" : "", ok ? back : "");
    page_redirect(w, to);
}

typedef struct decision {
    char decision[16], notes[1000], viewed[4], allow[4];
    int confirm;
} decision;

/* The form's decision; -1 after answering 400 when it is not one. */
static int decision_read(web_page *w, decision *d)
{
    page_field(w, "decision", d->decision, sizeof d->decision);
    page_field(w, "notes", d->notes, sizeof d->notes);
    page_field(w, "viewed", d->viewed, sizeof d->viewed);
    page_field(w, "allowlist", d->allow, sizeof d->allow);
    d->confirm = !strcmp(d->decision, "confirm");
    if (!d->confirm && strcmp(d->decision, "reject")) {
        page_message(w, 400, "Review refused", "a review is a confirm or a reject");
        return -1;
    }
    if (strcmp(d->viewed, "1") && strcmp(d->viewed, "0")) {
        page_message(w, 400, "Review refused",
                     "Say whether a person viewed the file (yes or no). The answer goes into "
                     "the report as it is (CyberTipline's fileViewedByEsp); it is never "
                     "assumed. Nothing was recorded.");
        return -1;
    }
    return 0;
}

static ward_status decide(web_page *w, const decision *d, long long id, ward_error *err)
{
    svc_review_in r = {.event_id = id, .reviewer = w->sess.user.name, .confirm = d->confirm,
                       .notes = d->notes, .viewed = d->viewed[0] == '1',
                       .allowlist = !d->confirm && d->allow[0] == '1',
                       .reporter = w->ctx->opts.reporter};
    int64_t review_id, report_id = 0;
    return svc_review(w->ctx->state, &r, &review_id, &report_id, err);
}

/* The ids of a bulk form: "12,15,19"; 0 after answering 400. */
static size_t bulk_ids(web_page *w, long long *ids, size_t cap)
{
    char text[MAX_EVENTS * 21], *p = text, *end; /* 1000 ids of up to 20 digits */
    page_field(w, "ids", text, sizeof text);
    size_t n = 0;
    while (*p && n < cap) {
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || (*end && *end != ','))
            break;
        ids[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (*p || n < 1) {
        page_message(w, 400, "Review refused", "a bulk review names the events, e.g. 12,15");
        return 0;
    }
    return n;
}

/* Every event of a bulk decision must carry the same hashes: the server
 * checks (the form could have been edited). */
static int same_hashes(web_page *w, const long long *ids, size_t n, char *why, size_t cap)
{
    char *first = NULL;
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) {
        char *json = NULL;
        ward_error err;
        if (svc_event_hashes(w->ctx->state, ids[i], &json, &err) != WARD_OK) {
            snprintf(why, cap, "%s", err.message);
            ok = 0;
            break;
        }
        yajl_val v = yajl_tree_parse(json, NULL, 0);
        char *sig = web_hash_signature(v);
        yajl_tree_free(v);
        free(json);
        if (!sig || (first && strcmp(sig, first))) {
            snprintf(why, cap, "event %lld's hashes differ from event %lld's: decide them one "
                               "at a time", ids[i], ids[0]);
            ok = 0;
        }
        if (!first)
            first = sig;
        else
            free(sig);
    }
    free(first);
    return ok;
}

static void bulk_post(web_page *w)
{
    long long ids[MAX_EVENTS];
    decision d;
    size_t n = bulk_ids(w, ids, MAX_EVENTS);
    if (!n || decision_read(w, &d) != 0)
        return;
    char why[300];
    if (!same_hashes(w, ids, n, why, sizeof why)) {
        page_message(w, 400, "Review refused", why);
        return;
    }
    strbuf done = {0}, refused = {0};
    for (size_t i = 0; i < n; i++) {
        ward_error err;
        if (decide(w, &d, ids[i], &err) == WARD_OK)
            strbuf_addf(&done, "%s%lld", done.len ? "," : "", ids[i]);
        else
            strbuf_addf(&refused, "%sevent %lld: %s", refused.len ? "; " : "", ids[i],
                             err.message);
    }
    char detail[200];
    snprintf(detail, sizeof detail, "%s %zu events with identical hashes: %.120s", d.decision,
             n, done.s ? done.s : "none");
    page_audit(w, "web.reviews.bulk", "events", detail);
    if (!refused.len) {
        redirect_back(w);
    } else {
        char msg[1200];
        snprintf(msg, sizeof msg, "Recorded: %s. Not recorded: %s.", done.s ? done.s : "none",
                 refused.s);
        page_message(w, 409, "Some reviews refused", msg);
    }
    strbuf_free(&done);
    strbuf_free(&refused);
}

static void review_post(web_page *w)
{
    if (!strcmp(w->req->url, "/reviews/bulk")) {
        bulk_post(w);
        return;
    }
    char *end;
    long long id = strtoll(w->req->url + strlen("/reviews/"), &end, 10);
    decision d;
    if (id <= 0 || *end) {
        page_message(w, 404, "Review refused", "no such match event");
        return;
    }
    if (decision_read(w, &d) != 0)
        return;
    ward_error err;
    if (decide(w, &d, id, &err) != WARD_OK) {
        page_message(w, err.status == WARD_ENOTFOUND ? 404 : 400, "Review refused", err.message);
        return;
    }
    redirect_back(w);
}

void web_reviews(web_page *w)
{
    if (!strcmp(w->req->method, "POST"))
        review_post(w);
    else
        list_page(w);
}

/* ---- the audit log ------------------------------------------------------------------ */

/* The rows are copied out of service.db first: rendering them holds no
 * lock of the service's. */
static void audit_rows(web_page *w, const char *q, const char *actor)
{
    svc_audit_row *rows = NULL;
    size_t n = 0;
    ward_error err;
    if (svc_audit_search(w->ctx->state, q, actor, 500, &rows, &n, &err) != WARD_OK)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        const svc_audit_row *r = &rows[i];
        char hash[13];
        snprintf(hash, sizeof hash, "%s", r->hash);
        html_f(&w->out, "<tr><td>%lld</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                        "<td>%s</td><td class=\"raw\">%s</td></tr>", (long long)r->seq, r->at,
               r->actor, r->action, r->object, r->detail, hash);
    }
    svc_audit_rows_free(rows, n);
    if (!n)
        html_f(&w->out, "<tr><td colspan=\"7\" class=\"muted\">No record matches.</td></tr>");
}

static const char *query_arg(web_page *w, const char *name)
{
    const char *v = svc_arg(w->req, name);
    return v && strlen(v) < 200 ? v : "";
}

void web_audit_page(web_page *w)
{
    const char *q = query_arg(w, "q"), *actor = query_arg(w, "actor");
    char detail[420];
    snprintf(detail, sizeof detail, "q=%s actor=%s", q, actor);
    page_audit(w, "web.audit.search", "audit", detail);
    uint64_t records = 0;
    ward_error err;
    int intact =
        ward_serve_audit_verify(w->ctx->opts.datadir, w->ctx->opts.store_url,
                                w->ctx->opts.intel_key_file, &records, NULL, &err) == WARD_OK;
    page_begin(w, "Audit log");
    if (intact)
        html_f(&w->out, "<p class=\"msg\">Hash chain verified: %lld records follow one from "
                        "another.</p>", (long long)records);
    else
        html_f(&w->out, "<p class=\"msg\">Hash chain BROKEN: %s</p>", err.message);
    html_f(&w->out, "<form class=\"action\" method=\"get\" action=\"/audit\"><input name=\"q\" "
                    "value=\"%s\" placeholder=\"action, object or detail contains\" size=\"40\">"
                    " <input name=\"actor\" value=\"%s\" placeholder=\"actor\"> "
                    "<button>Search</button></form><table><tr><th>#</th><th>When</th>"
                    "<th>Who</th><th>Action</th><th>Object</th><th>Detail</th><th>Hash</th></tr>",
           q, actor);
    audit_rows(w, q, actor);
    html_f(&w->out, "</table>");
    page_end(w, 200);
}
