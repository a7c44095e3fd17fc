/* The report room (ward/report.h): the public form's checks and what triage
 * makes of the answers, receipt numbers, the per-address limit's fixed
 * memory, and the duty queue's order, checklist and escalation on a fresh
 * intelligence store with the clock given. */
#include "testutil.h"

#include <unistd.h>
#include <ward/report.h>

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = scratch_dir("ward-report");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scratch_remove(dir);
    dir = NULL;
    return 0;
}

static int has(const ward_report *r, const char *t)
{
    for (size_t i = 0; i < r->n_typology; i++)
        if (!strcmp(r->typology[i], t))
            return 1;
    return 0;
}

static void test_parse_typology_and_urgency(void **state)
{
    (void)state;
    ward_report r;
    char field[32];
    ward_error err;
    ward_report_form f = {.about = "me", .danger = "no", .meeting = "no",
                          .what = {"asked_images", "sexual_chat"},
                          .urls = "  https://chat.example.invalid/u/x \r\n\nhttp://b.example.invalid\n",
                          .description = "They asked for photos.", .age = "13"};
    assert_int_equal(ward_report_parse(&f, &r, field, &err), WARD_OK);
    assert_true(r.about_me);
    assert_false(r.urgent);
    assert_true(has(&r, "grooming") && has(&r, "incitement"));
    assert_false(has(&r, "imminent_risk"));
    assert_int_equal(r.n_urls, 2);
    assert_string_equal(r.urls[0], "https://chat.example.invalid/u/x");   /* trimmed only */
    assert_int_equal(r.age, 13);

    /* in danger now: yes or not sure is urgent at once; a meeting too */
    f.danger = "unsure";
    assert_int_equal(ward_report_parse(&f, &r, field, &err), WARD_OK);
    assert_true(r.urgent && has(&r, "imminent_risk"));
    f.danger = "no", f.meeting = "yes";
    assert_int_equal(ward_report_parse(&f, &r, field, &err), WARD_OK);
    assert_true(r.urgent && has(&r, "meeting_planned"));
    assert_string_equal(r.typology[0], "meeting_planned");   /* urgent flags first */
    f.meeting = "unsure";
    assert_int_equal(ward_report_parse(&f, &r, field, &err), WARD_OK);
    assert_false(r.urgent);
}

static void refused(const ward_report_form *f, const char *want_field)
{
    ward_report r;
    char field[32];
    ward_error err;
    assert_int_equal(ward_report_parse(f, &r, field, &err), WARD_EINVAL);
    assert_string_equal(field, want_field);
    assert_true(strlen(err.message) > 10);
}

static void test_parse_refusals(void **state)
{
    (void)state;
    char big[WARD_REPORT_MAX_DESCRIPTION + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    refused(&(ward_report_form){.description = big}, "description");
    refused(&(ward_report_form){.description = "caf\xff"}, "description");
    refused(&(ward_report_form){.urls = "javascript:alert(1)"}, "urls");
    refused(&(ward_report_form){.urls = "https://a.example.invalid/x y"}, "urls");
    refused(&(ward_report_form){.urls = "https://"}, "urls");
    refused(&(ward_report_form){.description = "x", .danger = "maybe"}, "danger");
    refused(&(ward_report_form){.description = "x", .what = {"bananas"}}, "what");
    refused(&(ward_report_form){.description = "x", .who = "two\nlines"}, "who");
    refused(&(ward_report_form){.description = "x", .age = "13abc"}, "age");
    refused(&(ward_report_form){.about = "me"}, "description");   /* nothing to go on */
    char many[9 * 40] = "";
    for (int i = 0; i < 9; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "https://%d.example.invalid\n", i);
    refused(&(ward_report_form){.urls = many}, "urls");
    /* exactly at the limits: accepted */
    ward_report r;
    char field[32];
    ward_error err;
    big[WARD_REPORT_MAX_DESCRIPTION] = 0;
    assert_int_equal(ward_report_parse(&(ward_report_form){.description = big}, &r, field, &err),
                     WARD_OK);
    /* a script is text like any other: kept as given (escaped on output) */
    assert_int_equal(ward_report_parse(&(ward_report_form){.description = "<script>x</script>"},
                                       &r, field, &err), WARD_OK);
    assert_string_equal(r.description, "<script>x</script>");
    /* the honeypot: a robot */
    assert_int_equal(ward_report_parse(&(ward_report_form){.description = "x", .honeypot = "y"},
                                       &r, field, &err), WARD_ELIMIT);
}

static void test_receipt(void **state)
{
    (void)state;
    char a[WARD_REPORT_RECEIPT_MAX], b[WARD_REPORT_RECEIPT_MAX];
    ward_report_receipt((const uint8_t *)"\0\0\0\0\0\0", a);
    assert_string_equal(a, "R-00000-00000-0");
    ward_report_receipt((const uint8_t *)"\xff\xff\xff\xff\xff\xff", b);
    assert_true(ward_report_receipt_ok(a) && ward_report_receipt_ok(b));
    assert_int_equal(strlen(b), 15);
    /* one character changed, or two swapped, is told apart */
    for (int i = 2; i < 13; i++) {
        if (i == 7)
            continue;
        char c[WARD_REPORT_RECEIPT_MAX];
        memcpy(c, b, sizeof c);
        c[i] = c[i] == 'A' ? 'B' : 'A';
        assert_false(ward_report_receipt_ok(c));
    }
    assert_false(ward_report_receipt_ok("R-00000-00000-1"));
    assert_false(ward_report_receipt_ok("R-0000-00000-0"));
    assert_false(ward_report_receipt_ok(NULL));
}

static void test_limit(void **state)
{
    (void)state;
    ward_report_limit *l = ward_report_limit_new(64, 3, 3600);
    assert_non_null(l);
    double retry;
    for (int i = 0; i < 3; i++)
        assert_true(ward_report_limit_take(l, "192.0.2.7", 1000 + i, &retry));
    assert_false(ward_report_limit_take(l, "192.0.2.7", 1010, &retry));
    assert_true(retry > 3500 && retry <= 3600);
    assert_true(ward_report_limit_take(l, "192.0.2.8", 1010, NULL));   /* another address */
    /* an IPv6 /64 is one address; IPv4-mapped is the IPv4 */
    for (int i = 0; i < 3; i++) {
        char a[64];
        snprintf(a, sizeof a, "2001:db8:1:2::%x", i + 1);
        assert_true(ward_report_limit_take(l, a, 1000, NULL));
    }
    assert_false(ward_report_limit_take(l, "2001:db8:1:2:ffff::9", 1000, NULL));
    assert_false(ward_report_limit_take(l, "::ffff:192.0.2.7", 1010, NULL));
    /* the window ends */
    assert_true(ward_report_limit_take(l, "192.0.2.7", 1000 + 3600, NULL));
    ward_report_limit_free(l);
    /* A flood of fresh addresses never grows the table, and cannot push
     * out an address over its limit while its window is young: fresh ones
     * give way to each other first. Where an address lands in the table
     * depends on the key drawn at start, so this is tried under many keys
     * (one key in 256 once put the limited address in a full probe run,
     * where it was the oldest and was reused). */
    for (int round = 0; round < 300; round++) {
        l = ward_report_limit_new(64, 3, 3600);
        assert_non_null(l);
        for (int i = 0; i < 3; i++)
            assert_true(ward_report_limit_take(l, "2001:db8:1:2::1", 1000, NULL));
        assert_false(ward_report_limit_take(l, "2001:db8:1:2::1", 1020, NULL));
        for (int i = 0; i < 40; i++) {
            char a[32];
            snprintf(a, sizeof a, "198.51.100.%d", i);
            ward_report_limit_take(l, a, 1030, NULL);
        }
        assert_false(ward_report_limit_take(l, "2001:db8:1:2::1", 1040, NULL));
        for (int i = 0; i < (round ? 1000 : 100000); i++) {   /* more than the table */
            char a[32];
            snprintf(a, sizeof a, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
            ward_report_limit_take(l, a, 2000, NULL);
        }
        assert_false(ward_report_limit_take(l, "2001:db8:1:2::1", 2010, NULL));
        /* its window ends: room for others again, and it is let in */
        assert_true(ward_report_limit_take(l, "2001:db8:1:2::1", 4600, NULL));
        ward_report_limit_free(l);
    }
    assert_null(ward_report_limit_new(0, 3, 60));
}

static ward_report parsed(const char *danger, const char *desc)
{
    ward_report r;
    char field[32];
    ward_error err;
    ward_report_form f = {.danger = danger, .description = desc, .who = "chatapp:someone"};
    assert_int_equal(ward_report_parse(&f, &r, field, &err), WARD_OK);
    return r;
}

static void test_duty(void **state)
{
    (void)state;
    ward_intel *in;
    ward_error err;
    assert_int_equal(ward_intel_open(dir, test_store_url(), &in, &err), WARD_OK);
    time_t t = 1800000000;
    char calm[WARD_REPORT_RECEIPT_MAX], r1[WARD_REPORT_RECEIPT_MAX], r2[WARD_REPORT_RECEIPT_MAX];
    ward_report r = parsed("no", "worried");
    assert_int_equal(ward_report_submit(in, &r, t, calm, &err), WARD_OK);
    r = parsed("yes", "first");
    assert_int_equal(ward_report_submit(in, &r, t + 10, r1, &err), WARD_OK);
    r = parsed("unsure", "second");
    assert_int_equal(ward_report_submit(in, &r, t + 20, r2, &err), WARD_OK);
    assert_true(ward_report_receipt_ok(r1) && strcmp(r1, r2));

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(ward_duty_list(in, t + 30, 0, f, &err), WARD_OK);
    fclose(f);
    /* newest unacknowledged first; the calm report is not on the queue */
    char *a = strstr(text, r2), *b = strstr(text, r1);
    assert_true(a && b && a < b);
    assert_null(strstr(text, calm));
    assert_non_null(strstr(text, "\"age_s\":10"));
    free(text);

    /* steps: a detail where one is needed; acknowledged once; closed is closed */
    assert_int_equal(ward_duty_step(in, 1, "control_room", "officer-a", "", t + 40, &err),
                     WARD_EINVAL);
    assert_int_equal(ward_duty_step(in, 1, "frobnicate", "officer-a", "x", t + 40, &err),
                     WARD_EINVAL);
    assert_int_equal(ward_duty_step(in, 1, "control_room", "officer-a",
                                    "Testshire control room, ref 1", t + 40, &err), WARD_OK);
    assert_int_equal(ward_duty_step(in, 1, "acknowledged", "officer-b", NULL, t + 50, &err),
                     WARD_EINVAL);   /* the control-room step acknowledged it */
    assert_non_null(strstr(err.message, "officer-a"));
    assert_int_equal(ward_duty_step(in, 1, "closed", "officer-a", "safe", t + 60, &err),
                     WARD_OK);
    assert_int_equal(ward_duty_step(in, 1, "note", "officer-a", "late", t + 70, &err),
                     WARD_EINVAL);
    assert_int_equal(ward_duty_step(in, 99, "note", "officer-a", "x", t + 70, &err),
                     WARD_ENOTFOUND);

    /* escalation: entry 2 is not acknowledged; at 14 minutes nothing, at
     * 15 escalated once */
    ward_duty_opts o;
    ward_duty_opts_default(&o);
    assert_int_equal(o.escalate_minutes, 15);
    uint64_t n = 9;
    assert_int_equal(ward_duty_sync(in, &o, t + 20 + 14 * 60, &n, &err), WARD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ward_duty_sync(in, &o, t + 20 + 15 * 60, &n, &err), WARD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ward_duty_sync(in, &o, t + 20 + 30 * 60, &n, &err), WARD_OK);
    assert_int_equal(n, 0);

    /* KPIs see it */
    ward_feedback_kpi k;
    assert_int_equal(ward_feedback_kpi_get(in, t + 3600, 7, 28, 0, NULL, &k, &err), WARD_OK);
    assert_int_equal(k.duty_open, 1);
    assert_int_equal(k.duty_escalated, 1);
    assert_int_equal(k.sources, 1);   /* "public": three receipts */
    assert_int_equal(k.items, 3);
    ward_intel_close(in);
}

/* Disposing of the subject a public report became removes the reporter's
 * answers and its duty entry with its checklist, not just the referral. */
static void test_dispose(void **state)
{
    (void)state;
    ward_intel *in;
    ward_error err;
    assert_int_equal(ward_intel_open(dir, test_store_url(), &in, &err), WARD_OK);
    time_t t = 1800000000;
    char rc1[WARD_REPORT_RECEIPT_MAX];
    ward_report r = parsed("yes", "a secret only this report holds");
    assert_int_equal(ward_report_submit(in, &r, t, rc1, &err), WARD_OK);
    assert_int_equal(ward_duty_step(in, 1, "told", "officer-a", "Testshire duty inspector",
                                    t + 60, &err), WARD_OK);
    assert_int_equal(ward_intel_resolve(in, t, "t", NULL, &err), WARD_OK);
    assert_int_equal(ward_intel_score(in, t, NULL, &err), WARD_OK);
    assert_int_equal(ward_intel_route(in, t, NULL, &err), WARD_OK);
    assert_int_equal(ward_intel_retain(in, "S000001", 0, "t", "spent", t + 120, &err), WARD_OK);
    ward_intel_disposal d;
    assert_int_equal(ward_intel_dispose(in, "S000001", "admin", "spent", t + 120, &d, &err),
                     WARD_OK);
    assert_non_null(strstr(d.removed, "1 public-form answers"));
    assert_non_null(strstr(d.removed, "2 duty steps"));   /* acknowledged + told */
    assert_non_null(strstr(d.removed, "1 duty entries"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(ward_duty_list(in, t + 200, 1, f, &err), WARD_OK);
    fclose(f);
    assert_null(strstr(text, rc1));
    free(text);
    ward_intel_close(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_typology_and_urgency),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_receipt),
        cmocka_unit_test(test_limit),
        cmocka_unit_test_setup_teardown(test_duty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispose, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
