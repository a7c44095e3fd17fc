/*
 * Counters for /v1/metrics in the Prometheus text exposition format. Plain
 * atomics: observing a request is a handful of relaxed increments, no lock.
 */
#include "serve/serve_int.h"
#include "util/escape.h"

#include <stdio.h>
#include <stdlib.h>

static const double lat_bounds[SVC_LAT_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static const char *const ep_names[EP_COUNT] = {
    "hash", "match", "health", "metrics", "events", "reviews", "reports",
    "releases", "admin", "other"};

const char *svc_endpoint_name(int ep)
{
    return ep >= 0 && ep < EP_COUNT ? ep_names[ep] : "other";
}

void svc_metrics_observe(svc_metrics *m, int ep, int status, double seconds)
{
    int cls = status / 100;
    if (cls < 0 || cls > 5)
        cls = 0;
    atomic_fetch_add_explicit(&m->requests[ep][cls], 1, memory_order_relaxed);
    int b = 0;
    while (b < SVC_LAT_BUCKETS && seconds > lat_bounds[b])
        b++;
    atomic_fetch_add_explicit(&m->lat_bucket[ep][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->lat_sum_us[ep], (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

static unsigned long long ld(const atomic_ullong *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static void counter(strbuf *b, const char *name, const char *help, unsigned long long v)
{
    strbuf_addf(b, "# HELP ward_%s %s\n# TYPE ward_%s counter\nward_%s %llu\n", name, help,
                     name, name, v);
}

static void requests(strbuf *b, const svc_metrics *m)
{
    strbuf_addf(b, "# HELP ward_http_requests_total HTTP requests by endpoint and status "
                        "class.\n# TYPE ward_http_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 1; c <= 5; c++)
            if (ld(&m->requests[e][c]))
                strbuf_addf(b, "ward_http_requests_total{endpoint=\"%s\",code=\"%dxx\"} %llu\n",
                                 ep_names[e], c, ld(&m->requests[e][c]));
}

static void latency(strbuf *b, const svc_metrics *m)
{
    strbuf_addf(b, "# HELP ward_http_request_duration_seconds Time to answer a request "
                        "(body received to response queued).\n"
                        "# TYPE ward_http_request_duration_seconds histogram\n");
    for (int e = 0; e < EP_COUNT; e++) {
        unsigned long long cum = 0;
        for (int i = 0; i <= SVC_LAT_BUCKETS; i++)
            cum += ld(&m->lat_bucket[e][i]);
        if (!cum)
            continue;
        unsigned long long total = cum;
        cum = 0;
        for (int i = 0; i < SVC_LAT_BUCKETS; i++) {
            cum += ld(&m->lat_bucket[e][i]);
            strbuf_addf(b, "ward_http_request_duration_seconds_bucket{endpoint=\"%s\","
                                "le=\"%g\"} %llu\n", ep_names[e], lat_bounds[i], cum);
        }
        strbuf_addf(b, "ward_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"}"
                            " %llu\n", ep_names[e], total);
        strbuf_addf(b, "ward_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n",
                         ep_names[e], ld(&m->lat_sum_us[e]) / 1e6);
        strbuf_addf(b, "ward_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
                         ep_names[e], total);
    }
}

char *svc_metrics_render(const svc_metrics *m, const ward_match_info *info, double uptime_s,
                         const int uploads[2])
{
    strbuf b = {0};
    requests(&b, m);
    latency(&b, m);
    counter(&b, "hashes_checked_total", "Hashes matched against the index.", ld(&m->hashes_checked));
    counter(&b, "matches_total", "Index entries returned as matches.", ld(&m->matches));
    counter(&b, "alert_matches_total", "Queries that matched an alert-class entry.",
            ld(&m->alert_matches));
    counter(&b, "match_events_total", "Match events recorded for review.", ld(&m->events));
    counter(&b, "rate_limited_total", "Requests refused by a key's rate limit.", ld(&m->rate_limited));
    counter(&b, "upload_busy_total", "Uploads refused 503: every upload worker busy and the "
            "queue full.", ld(&m->uploads_busy));
    counter(&b, "auth_failures_total", "Requests with a missing, unknown or wrong key.",
            ld(&m->auth_failures));
    counter(&b, "index_reloads_total", "Index snapshots swapped in after a store change.",
            ld(&m->reloads));
    counter(&b, "index_reload_failures_total", "Reloads that failed (old index kept).",
            ld(&m->reload_failures));
    strbuf_addf(&b, "# HELP ward_index_entries Entries in the index in service.\n"
                         "# TYPE ward_index_entries gauge\nward_index_entries %llu\n"
                         "# HELP ward_store_revision Store revision the index was built from.\n"
                         "# TYPE ward_store_revision gauge\nward_store_revision %llu\n"
                         "# HELP ward_index_info The index in service, by content digest.\n"
                         "# TYPE ward_index_info gauge\nward_index_info{sha256=\"%s\"} 1\n"
                         "# HELP ward_upload_jobs_running Uploads being decoded now.\n"
                         "# TYPE ward_upload_jobs_running gauge\nward_upload_jobs_running %d\n"
                         "# HELP ward_upload_jobs_waiting Uploads waiting for a worker.\n"
                         "# TYPE ward_upload_jobs_waiting gauge\nward_upload_jobs_waiting %d\n"
                         "# HELP ward_uptime_seconds Seconds since the server started.\n"
                         "# TYPE ward_uptime_seconds gauge\nward_uptime_seconds %.0f\n",
                     (unsigned long long)info->index_entries,
                     (unsigned long long)info->store_revision, info->index_sha256, uploads[0],
                     uploads[1], uptime_s);
    return b.s; /* NULL only if even the first append failed */
}
