/* The web application's small pieces that must be exactly right: TOTP
 * codes (RFC 6238 appendix B vectors), HTML escaping, form decoding, the
 * lockout (also from two nodes at once) and sessions against a scratch
 * service store. */
#include "testutil.h"

#include "web/web.h"
#include "store/sql.h"

#include <pthread.h>
#include <unistd.h>

/* "12345678901234567890" in base32: the RFC's SHA-1 key. */
#define RFC_KEY "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void test_totp_rfc6238(void **state)
{
    (void)state;
    /* The RFC prints 8 digits; ward uses the last 6. */
    assert_int_equal(ward_totp_code(RFC_KEY, 59), 287082);
    assert_int_equal(ward_totp_code(RFC_KEY, 1111111109), 81804);
    assert_int_equal(ward_totp_code(RFC_KEY, 1111111111), 50471);
    assert_int_equal(ward_totp_code(RFC_KEY, 1234567890), 5924);
    assert_int_equal(ward_totp_code(RFC_KEY, 2000000000), 279037);
    assert_int_equal(ward_totp_code("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", 59), 287082);
    assert_int_equal(ward_totp_code("not base32!", 59), -1);
    assert_int_equal(ward_totp_code("", 59), -1);
}

static void test_html_escaping(void **state)
{
    (void)state;
    strbuf b = {0};
    html_f(&b, "<p title=\"%s\">%s %d %lld %.1f %r 100%%</p>", "a\"b'c", "<script>&", -3,
           (long long)1 << 40, 2.25, "<b>ours</b>");
    assert_string_equal(b.s, "<p title=\"a&quot;b&#39;c\">&lt;script&gt;&amp; -3 1099511627776 "
                             "2.2 <b>ours</b> 100%</p>");
    strbuf_free(&b);
    /* Invisible and direction characters are shown as markers, never raw
     * (in an attribute value, as text without markup). */
    html_f(&b, "<p title=\"%s\">%s</p>", "a\xe2\x80\x8b" "b",
           "x\xe2\x80\xae" "exe.jpg \xe2\x81\xa6y\xe2\x81\xa9 \xef\xbb\xbf\xc2\xad\x01\tz \xc3\xa9");
    assert_string_equal(b.s, "<p title=\"a&lt;U+200B&gt;b\">"
                             "x<span class=\"cp\" title=\"invisible character\">&lt;U+202E&gt;</span>exe.jpg "
                             "<span class=\"cp\" title=\"invisible character\">&lt;U+2066&gt;</span>y"
                             "<span class=\"cp\" title=\"invisible character\">&lt;U+2069&gt;</span> "
                             "<span class=\"cp\" title=\"invisible character\">&lt;U+FEFF&gt;</span>"
                             "<span class=\"cp\" title=\"invisible character\">&lt;U+00AD&gt;</span>"
                             "<span class=\"cp\" title=\"invisible character\">&lt;U+0001&gt;</span>\tz \xc3\xa9</p>");
    strbuf_free(&b);
}

static void test_form_fields(void **state)
{
    (void)state;
    char v[32];
    const char *body = "user=jo.bloggs&password=a+b%26c%3D%25&empty=&flag&reason=%3Cx%3E";
    assert_int_equal(form_field(body, "user", v, sizeof v), 0);
    assert_string_equal(v, "jo.bloggs");
    assert_int_equal(form_field(body, "password", v, sizeof v), 0);
    assert_string_equal(v, "a b&c=%");
    assert_int_equal(form_field(body, "empty", v, sizeof v), 0);
    assert_string_equal(v, "");
    assert_int_equal(form_field(body, "flag", v, sizeof v), 0);
    assert_string_equal(v, "");
    assert_int_equal(form_field(body, "reason", v, sizeof v), 0);
    assert_string_equal(v, "<x>");
    assert_int_equal(form_field(body, "use", v, sizeof v), -1);     /* no prefix match */
    assert_int_equal(form_field(body, "nope", v, sizeof v), -1);
    assert_int_equal(form_field("a=%00b", "a", v, sizeof v), -1);   /* no hidden NUL */
    assert_int_equal(form_field("a=%4", "a", v, sizeof v), 0);      /* broken escape: as is */
    assert_string_equal(v, "%4");
    assert_int_equal(form_field("a=0123456789", "a", v, 5), 0);     /* bounded */
    assert_string_equal(v, "0123");
}

static void test_login_lockout_sessions(void **state)
{
    (void)state;
    char *dir = scratch_dir("ward-test-web");
    ward_error err;
    const char *pw = "correct horse battery";
    assert_int_equal(ward_user_add(dir, test_store_url(), NULL, "jo", WARD_ROLE_FORCE,
                                   "Kent Police", pw, "t", &err),
                     WARD_OK);
    assert_int_equal(
        ward_user_add(dir, test_store_url(), NULL, "jo", WARD_ROLE_FORCE, "x", pw, "t", &err),
        WARD_EINVAL);
    assert_int_equal(
        ward_user_add(dir, test_store_url(), NULL, "al", WARD_ROLE_ADMIN, "x", "short", "t", &err),
        WARD_EINVAL);
    svc_state *s;
    assert_int_equal(svc_open_keyed(dir, test_store_url(), NULL, &s, &err), WARD_OK);
    ward_user u;
    double now = 1e9;
    assert_int_equal(web_login(s, "jo", pw, NULL, now, &u), LOGIN_OK);
    assert_string_equal(u.unit, "Kent Police");
    assert_int_equal(web_login(s, "nobody", pw, NULL, now, &u), LOGIN_BAD);
    for (int i = 0; i < WEB_MAX_FAILURES; i++)
        assert_int_equal(web_login(s, "jo", "wrong password", NULL, now + i, &u), LOGIN_BAD);
    assert_int_equal(web_login(s, "jo", pw, NULL, now + 10, &u), LOGIN_LOCKED);
    /* the failures age out of the window */
    assert_int_equal(web_login(s, "jo", pw, NULL, now + WEB_LOCKOUT_S + 10, &u), LOGIN_OK);

    char cookie[65];
    web_session ws, got;
    assert_int_equal(web_session_new(s, "jo", now, cookie, &ws, &err), WARD_OK);
    assert_int_equal(web_session_get(s, cookie, now + 60, &got), 0);
    assert_string_equal(got.csrf, ws.csrf);
    assert_string_not_equal(got.id_sha256, cookie);                 /* only the digest kept */
    assert_int_equal(web_session_get(s, cookie, now + 60 + WEB_SESSION_IDLE_S + 1, &got), -1);
    assert_int_equal(web_session_new(s, "jo", now, cookie, &ws, &err), WARD_OK);
    for (double t = now; t < now + WEB_SESSION_MAX_S; t += WEB_SESSION_IDLE_S / 2)
        assert_int_equal(web_session_get(s, cookie, t, &got), 0);   /* kept alive ... */
    assert_int_equal(web_session_get(s, cookie, now + WEB_SESSION_MAX_S + 1, &got), -1);
    assert_int_equal(web_session_new(s, "jo", now, cookie, &ws, &err), WARD_OK);
    web_session_end(s, ws.id_sha256);
    assert_int_equal(web_session_get(s, cookie, now, &got), -1);
    assert_int_equal(web_session_new(s, "jo", now, cookie, &ws, &err), WARD_OK);
    assert_int_equal(ward_user_disable(dir, test_store_url(), NULL, "jo", "t", &err), WARD_OK);
    assert_int_equal(web_session_get(s, cookie, now, &got), -1);    /* ends at once */
    assert_int_equal(web_login(s, "jo", pw, NULL, now + 2 * WEB_LOCKOUT_S, &u), LOGIN_BAD);
    svc_close(s);
    uint64_t records;
    assert_int_equal(ward_serve_audit_verify(dir, test_store_url(), NULL, &records, NULL, &err),
                     WARD_OK);
    assert_true(records >= 2);
    scratch_remove(dir);
}

/* Two nodes (two connections to one service store) failing logins for one
 * user at once: every failure counts, so the lockout holds on both. */
typedef struct {
    svc_state *node;
    const char *user;
    double now;
} failing_logins;

static void *fail_twice(void *arg)
{
    failing_logins *f = arg;
    ward_user u;
    for (int i = 0; i < 2; i++)
        if (web_login(f->node, f->user, "wrong password", NULL, f->now, &u) != LOGIN_BAD)
            return f; /* not refused */
    return NULL;
}

static void test_lockout_two_nodes(void **state)
{
    (void)state;
    char *dir = scratch_dir("ward-test-web2");
    ward_error err;
    const char *pw = "correct horse battery";
    assert_int_equal(ward_user_add(dir, test_store_url(), NULL, "kim", WARD_ROLE_REVIEWER,
                                   "national", pw, "t", &err),
                     WARD_OK);
    svc_state *a, *b;
    assert_int_equal(svc_open_keyed(dir, test_store_url(), NULL, &a, &err), WARD_OK);
    assert_int_equal(svc_open_keyed(dir, test_store_url(), NULL, &b, &err), WARD_OK);
    double now = 2e9;
    failing_logins fa = {a, "kim", now}, fb = {b, "kim", now};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, fail_twice, &fa), 0);
    assert_int_equal(pthread_create(&tb, NULL, fail_twice, &fb), 0);
    void *ra, *rb;
    pthread_join(ta, &ra);
    pthread_join(tb, &rb);
    assert_null(ra);
    assert_null(rb);
    ward_user u;
    assert_int_equal(WEB_MAX_FAILURES, 5); /* 2 + 2 above, 1 below */
    assert_int_equal(web_login(a, "kim", "wrong again", NULL, now + 1, &u), LOGIN_BAD);
    assert_int_equal(web_login(b, "kim", pw, NULL, now + 2, &u), LOGIN_LOCKED);
    assert_int_equal(web_login(a, "kim", pw, NULL, now + 2, &u), LOGIN_LOCKED);
    svc_close(a);
    svc_close(b);
    scratch_remove(dir);
}

/* ward audit verify reads the log in pages of 10,000: a chain that spans
 * a page boundary verifies, and a record altered after it is found. */
static void test_audit_verify_pages(void **state)
{
    (void)state;
    char *dir = scratch_dir("ward-test-audit");
    ward_error err;
    svc_state *s;
    assert_int_equal(svc_open_keyed(dir, test_store_url(), NULL, &s, &err), WARD_OK);
    enum { N = 10000 + 5 };
    for (int i = 0; i < N; i++) {
        char obj[32];
        snprintf(obj, sizeof obj, "event/%d", i);
        assert_int_equal(svc_audit(s, "t", "event.read", obj, NULL, &err), WARD_OK);
    }
    uint64_t records;
    char head[65];
    assert_int_equal(ward_serve_audit_verify(dir, test_store_url(), NULL, &records, head, &err),
                     WARD_OK);
    assert_int_equal(records, N);
    svc_close(s);
    /* Altered from outside, as by someone with the file (or the schema). */
    wsql_target t;
    wsql *db = NULL;
    assert_int_equal(wsql_resolve(dir, test_store_url(), "service", "service.db", &t, &err),
                     WARD_OK);
    assert_int_equal(wsql_open(&t, SQLITE_OPEN_READWRITE, NULL, &db), SQLITE_OK);
    assert_int_equal(wsql_exec(db, "UPDATE audit SET actor = 'x' WHERE seq = (SELECT max(seq)"
                                   " FROM audit)", NULL, NULL, NULL), SQLITE_OK);
    wsql_close(db);
    assert_int_equal(ward_serve_audit_verify(dir, test_store_url(), NULL, &records, head, &err),
                     WARD_EFORMAT);
    scratch_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totp_rfc6238),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_form_fields),
        cmocka_unit_test(test_login_lockout_sessions),
        cmocka_unit_test(test_lockout_two_nodes),
        cmocka_unit_test(test_audit_verify_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
