/*
 * One transaction of the CyberTipline API over HTTP (libcurl), and what its
 * answer means for the submitter: done, safe to try again, unknown, refused.
 *
 * The line between "safe to try again" and "unknown" is what keeps a report
 * from being sent twice: only a call that certainly did not reach the
 * server (no connection) or that the server answered with a code saying it
 * saved nothing (1000, 1100, 1110, 1111, 1300) is safe. A call that went out
 * and got no answer, or an answer that is not a reportResponse, may have
 * been acted on.
 */
#include "tipline/tipline_http.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER (1 << 20)

typedef struct body {
    char *s;
    size_t len;
    int over;
} body;

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    body *b = ctx;
    size_t add = size * n;
    if (b->len + add > MAX_ANSWER) {
        b->over = 1;
        return 0;
    }
    char *g = realloc(b->s, b->len + add + 1);
    if (!g)
        return 0;
    memcpy(g + b->len, p, add);
    b->s = g;
    b->len += add;
    b->s[b->len] = 0;
    return add;
}

static void child_text(xmlNodePtr root, const char *name, char *out, size_t cap)
{
    for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) {
            xmlChar *t = xmlNodeGetContent(c);
            snprintf(out, cap, "%s", t ? (const char *)t : "");
            xmlFree(t);
            return;
        }
}

/* The reportResponse's members; 0 when the body is not one. */
static int parse_answer(const body *b, tl_answer *a)
{
    if (!b->s || !b->len)
        return 0;
    xmlDocPtr doc = xmlReadMemory(b->s, (int)b->len, "answer.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    int ok = 0;
    char code[16] = "";
    if (root && !strcmp((const char *)root->name, "reportResponse")) {
        child_text(root, "responseCode", code, sizeof code);
        child_text(root, "responseDescription", a->desc, sizeof a->desc);
        child_text(root, "reportId", a->report_id, sizeof a->report_id);
        child_text(root, "fileId", a->file_id, sizeof a->file_id);
        child_text(root, "hash", a->hash, sizeof a->hash);
        char *end;
        long v = strtol(code, &end, 10);
        if (code[0] && !*end) {
            a->code = (int)v;
            ok = 1;
        }
    }
    xmlFreeDoc(doc);
    return ok;
}

static tl_outcome classify(const tl_request *rq, tl_answer *a)
{
    if (a->http == 401 || a->http == 403)
        return TL_AUTH;
    if (a->code < 0)
        return TL_UNKNOWN;
    switch (a->code) {
    case 0:
        return TL_OK;
    case 1000: case 1100: case 1110: case 1111: case 1300:
        return TL_RETRY;
    case 2000: case 3000: case 3100: case 3300:
        return TL_AUTH;
    case 5102: /* already finished: what finish wanted */
        return rq->kind == TL_FINISH ? TL_OK : TL_REFUSED;
    default: /* 1210, 4xxx, 5001, 5002, 5101 and codes the map does not name */
        return TL_REFUSED;
    }
}

static const char *path_of(tl_kind k)
{
    static const char *const p[] = {"/status", "/submit", "/upload", "/fileinfo", "/finish"};
    return p[k];
}

tl_outcome tl_call(const ward_tipline_opts *o, const tl_request *rq, tl_answer *a)
{
    memset(a, 0, sizeof *a);
    a->code = -1;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(a->desc, sizeof a->desc, "libcurl did not start");
        return TL_RETRY;
    }
    char url[2048];
    size_t el = strlen(o->endpoint);
    snprintf(url, sizeof url, "%.*s%s", (int)(el && o->endpoint[el - 1] == '/' ? el - 1 : el),
             o->endpoint, path_of(rq->kind));
    body b = {0};
    struct curl_slist *h = NULL;
    curl_mime *mime = NULL;
    char form[128];
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, o->user ? o->user : "");
    curl_easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ward/" WARD_VERSION_STRING " tipline");
    if (rq->kind == TL_SUBMIT || rq->kind == TL_FILEINFO) {
        h = curl_slist_append(h, "Content-Type: text/xml; charset=utf-8");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->xml);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->xml));
    } else if (rq->kind == TL_UPLOAD) {
        mime = curl_mime_init(c);
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, "id");
        curl_mime_data(part, rq->id, CURL_ZERO_TERMINATED);
        part = curl_mime_addpart(mime);
        curl_mime_name(part, "file");
        curl_mime_filedata(part, rq->file_path);
        curl_mime_filename(part, rq->file_name);
        curl_mime_type(part, "application/octet-stream");
        curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    } else if (rq->kind == TL_FINISH) {
        char *id = curl_easy_escape(c, rq->id, 0);
        snprintf(form, sizeof form, "id=%s", id ? id : "");
        curl_free(id);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode cr = curl_easy_perform(c);
    long http = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
    a->http = http;
    tl_outcome out;
    if (cr != CURLE_OK) {
        snprintf(a->desc, sizeof a->desc, "%s: %s", url, curl_easy_strerror(cr));
        /* Not connected: nothing went out. Anything later may have. */
        out = (cr == CURLE_COULDNT_CONNECT || cr == CURLE_COULDNT_RESOLVE_HOST ||
               cr == CURLE_COULDNT_RESOLVE_PROXY) ? TL_RETRY : TL_UNKNOWN;
        if (cr == CURLE_READ_ERROR)  /* the file could not be read here */
            out = TL_RETRY;
    } else {
        int parsed = parse_answer(&b, a);
        out = classify(rq, a);
        if (!parsed && !a->desc[0])
            snprintf(a->desc, sizeof a->desc, "HTTP %ld without a reportResponse", http);
    }
    curl_mime_free(mime);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(b.s);
    return out;
}
