/*
 * Fuzz target: the JSON request bodies of `ward serve` (POST /v1/match
 * batches, src/serve/api_match.c; POST /v1/reviews, api_review.c), called
 * as server.c calls them, without HTTP: a svc_ctx with a real ward_match
 * over a small store (an MD5 and a PDQ hash in an alert category) and a
 * real service.db holding two pending match events to review.
 *
 * The first byte picks the endpoint (even: match, odd: reviews); the rest
 * is the body. The JSON paths never read the connection (only query
 * arguments do, through svc_arg), so conn is NULL. After each input
 * service.db is put back as it was made (events, reviews, reports, the
 * allow-list and the audit log all start over), so every input meets the
 * same state and a run is deterministic.
 */
#include "fuzztmp.h"
#include "serve/handlers.h"

#include <ward/store.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KNOWN_MD5[] = "5d41402abc4b2a76b9719d911017c592  upload1.jpg\n";
static const char KNOWN_PDQ[] =
    "f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,100,sample-1.jpg\n";

static svc_ctx ctx;
static char datadir[160], db_path[192];
static uint8_t *db_template;
static size_t db_template_len;

static void die(const char *what, const ward_error *err)
{
    fprintf(stderr, "fuzz_serve_api: %s: %s\n", what, err ? err->message : "failed");
    abort();
}

static void cleanup(void)
{
    svc_close(ctx.state);
    ward_match_close(ctx.match);
    free(db_template);
}

static void import(ward_store *s, const char *name, const char *text)
{
    char path[192];
    ward_import_opts o;
    ward_import_opts_default(&o);
    o.default_category = "1"; /* alert: a match is recorded for review */
    ward_error err;
    if (fuzztmp_write(fuzztmp_path(path, sizeof path, name), text, strlen(text)) != 0 ||
        ward_store_import(s, path, WARD_FMT_AUTO, "vic", &o, NULL, &err) != WARD_OK)
        die(name, &err);
}

static void make_store(void)
{
    ward_store *s;
    ward_error err;
    if (ward_store_open(datadir, NULL, 0, &s, &err) != WARD_OK)
        die("store", &err);
    import(s, "known.md5", KNOWN_MD5);
    import(s, "known.pdq", KNOWN_PDQ);
    ward_store_close(s);
}

/* Two pending events (ids 1 and 2), as a matching upload leaves them. */
static void add_events(void)
{
    static const svc_event_in ev = {
        .key_id = "fuzz",
        .context_json = "{\"content_id\":\"c-1\",\"upload\":{\"ip\":\"192.0.2.1\"}}",
        .hashes_json = "[{\"hash\":\"5d41402abc4b2a76b9719d911017c592\","
                       "\"as_sent\":\"md5:5d41402abc4b2a76b9719d911017c592\"}]",
        .matches_json = "[]",
        .store_revision = 2};
    ward_error err;
    for (int i = 0; i < 2; i++) {
        int64_t id;
        if (svc_event_add(ctx.state, &ev, &id, &err) != WARD_OK)
            die("event", &err);
    }
}

/* service.db back to its template: closed (the WAL folded in), the file
 * rewritten, reopened. */
static void reset_state(void)
{
    char side[224];
    ward_error err;
    svc_close(ctx.state);
    ctx.state = NULL;
    if (fuzztmp_write(db_path, db_template, db_template_len) != 0)
        die("service.db", NULL);
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    if (svc_open_keyed(datadir, NULL, NULL, &ctx.state, &err) != WARD_OK)
        die("service.db", &err);
}

static void setup(void)
{
    if (ctx.match)
        return;
    fuzztmp_make("serve-api");
    fuzztmp_path(datadir, sizeof datadir, "data");
    snprintf(db_path, sizeof db_path, "%s/service.db", datadir);
    make_store();
    ward_serve_opts_default(&ctx.opts);
    ctx.opts.datadir = datadir;
    ctx.opts.max_batch = 64; /* small, so the limit is reachable */
    ward_match_opts_default(&ctx.match_opts);
    ward_error err;
    if (ward_match_open(datadir, NULL, &ctx.match_opts, &ctx.match, &err) != WARD_OK)
        die("match", &err);
    if (svc_open_keyed(datadir, NULL, NULL, &ctx.state, &err) != WARD_OK)
        die("service.db", &err);
    add_events();
    svc_close(ctx.state);
    ctx.state = NULL;
    if (!(db_template = fuzztmp_read(db_path, &db_template_len)))
        die("service.db", NULL);
    atexit(cleanup);
    reset_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    setup();
    /* Bodies arrive NUL-terminated (server.c adds one). */
    char *body = malloc(size);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = 0;
    svc_request req = {.conn = NULL, .url = data[0] & 1 ? "/v1/reviews" : "/v1/match",
                       .tail = "", .body = body, .len = size - 1, .json = 1,
                       .key_id = "fuzz"};
    svc_reply rep = {0};
    if (data[0] & 1)
        svc_reviews(&ctx, &req, &rep);
    else
        svc_match(&ctx, &req, &rep);
    /* An event that could not be recorded is named with a reason: an empty
     * one means a reply claimed a failure that did not happen. */
    if (rep.body && strstr(rep.body, "\"event_error\":\"\"")) {
        fprintf(stderr, "reply names an empty event_error: %s\n", rep.body);
        abort();
    }
    free(rep.body);
    free(body);
    reset_state();
    return 0;
}
