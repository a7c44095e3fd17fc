/* ward-test: no-store (not run again on PostgreSQL) */
/* Referral value normalisation: ambiguous dates and times are quarantined,
 * never guessed; identifiers normalise without losing what they say. */
#include "testutil.h"

#include "intel/intel_int.h"

static void expect_norm(void (*fn)(const char *, wi_norm *), const char *raw, wi_vstatus st,
                        const char *value)
{
    wi_norm n;
    fn(raw, &n);
    if (n.status != st)
        fail_msg("'%s': status %s (%s), expected %s", raw, wi_vstatus_names[n.status], n.reason,
                 wi_vstatus_names[st]);
    if (value && strcmp(n.value, value))
        fail_msg("'%s': '%s', expected '%s'", raw, n.value, value);
}

static void time_only(const char *raw, wi_norm *n) { wi_norm_time(raw, NULL, n); }

static void test_times(void **state)
{
    (void)state;
    expect_norm(time_only, "2026-03-03T09:30:00-05:00", WI_OK, "2026-03-03T14:30:00Z");
    expect_norm(time_only, "2026-03-03 09:30:00 +0100", WI_OK, "2026-03-03T08:30:00Z");
    expect_norm(time_only, "2026-03-03T09:30Z", WI_OK, "2026-03-03T09:30:00Z");
    expect_norm(time_only, "2026-03-03T09:30:00.123Z", WI_OK, "2026-03-03T09:30:00Z");
    expect_norm(time_only, "25/12/2026 1:15:00 PM UTC", WI_OK, "2026-12-25T13:15:00Z");
    expect_norm(time_only, "25/12/2026 12:05 AM Z", WI_OK, "2026-12-25T00:05:00Z");
    expect_norm(time_only, "25/12/2026 14:05 GMT", WI_OK, "2026-12-25T14:05:00Z");
    /* quarantined: no zone, 12-hour without AM/PM, day/month either way */
    expect_norm(time_only, "2026-03-03T09:30:00", WI_QUARANTINED, NULL);
    expect_norm(time_only, "25/12/2026 1:15:00 UTC", WI_QUARANTINED, NULL);
    expect_norm(time_only, "03/04/2026 13:15:00 UTC", WI_QUARANTINED, NULL);
    expect_norm(time_only, "2026-03-03", WI_QUARANTINED, NULL);
    expect_norm(time_only, "25/12/26 13:15 UTC", WI_QUARANTINED, NULL);
    expect_norm(time_only, "2026-03-03T09:30:00 EST", WI_INVALID, NULL);
    expect_norm(time_only, "2026-02-30T09:30:00Z", WI_INVALID, NULL);
    expect_norm(time_only, "yesterday", WI_INVALID, NULL);
    /* issue 17: a one-digit hour is a 12-hour clock whatever the other
     * columns say: after an ISO date, with a zone in the text or beside it */
    expect_norm(time_only, "2026-03-03 9:30:00Z", WI_QUARANTINED, NULL);
    expect_norm(time_only, "2026-03-03T9:30+01:00", WI_QUARANTINED, NULL);
    wi_norm n;
    wi_norm_time("2026-03-03 9:30:00", "UTC", &n);
    assert_int_equal(n.status, WI_QUARANTINED);
    assert_string_equal(n.reason, "12-hour time without AM/PM");
    /* every reason is listed, not only the first */
    wi_norm_time("03/04/26 3:15", NULL, &n);
    assert_int_equal(n.status, WI_QUARANTINED);
    assert_string_equal(n.reason, "year not written in full; day and month could be either way "
                                  "round; 12-hour time without AM/PM; time without a zone");
    wi_norm_time("03/04/2026 3:15", "BST", &n);
    assert_string_equal(n.reason, "day and month could be either way round; zone is not a UTC "
                                  "offset; 12-hour time without AM/PM");
    wi_norm_time("2026-03-03", NULL, &n);
    assert_string_equal(n.reason, "date without a time of day; time without a zone");
    wi_norm_date("03/04/75", &n);
    assert_string_equal(n.reason, "year not written in full; day and month could be either way "
                                  "round");
    wi_norm_time("03/04/2026 25:15 UTC", NULL, &n);   /* malformed beats ambiguous */
    assert_int_equal(n.status, WI_INVALID);
    wi_norm_time("2026-03-03 09:30:00", "+01:00", &n);
    assert_int_equal(n.status, WI_OK);
    assert_string_equal(n.value, "2026-03-03T08:30:00Z");
    wi_norm_time("2026-03-03 09:30:00", "BST", &n);
    assert_int_equal(n.status, WI_QUARANTINED);
}

/* Payment cards (issue 17): digits only, Luhn, masked first 6 / last 4
 * whatever the outcome; the digits only for a well-formed number. */
static void test_cards(void **state)
{
    (void)state;
    wi_norm n;
    char d[24];
    wi_norm_card(" 4539 1488-0343 6467 ", &n, d);
    assert_int_equal(n.status, WI_OK);
    assert_string_equal(n.value, "453914******6467");
    assert_string_equal(d, "4539148803436467");
    wi_norm_card("4539148803436468", &n, d);   /* one digit off */
    assert_int_equal(n.status, WI_QUARANTINED);
    assert_string_equal(n.value, "453914******6468");
    assert_string_equal(n.reason, "card number fails its Luhn check digit");
    assert_string_equal(d, "");
    wi_norm_card("378282246310005", &n, NULL);   /* 15 digits, a test number */
    assert_int_equal(n.status, WI_OK);
    assert_string_equal(n.value, "378282*****0005");
    wi_norm_card("4539 1488 0343 646x", &n, d);
    assert_int_equal(n.status, WI_INVALID);
    wi_norm_card("12345678903", &n, d);          /* too short */
    assert_int_equal(n.status, WI_INVALID);
    assert_null(strstr(n.value, "5678"));
}

static void test_dates(void **state)
{
    (void)state;
    expect_norm(wi_norm_date, "1980-02-15", WI_OK, "1980-02-15");
    expect_norm(wi_norm_date, "15/02/1980", WI_OK, "1980-02-15");
    expect_norm(wi_norm_date, "02/15/1980", WI_OK, "1980-02-15");
    expect_norm(wi_norm_date, "05.05.1980", WI_OK, "1980-05-05");
    expect_norm(wi_norm_date, "03/04/1975", WI_QUARANTINED, NULL);
    expect_norm(wi_norm_date, "03/04/75", WI_QUARANTINED, NULL);
    expect_norm(wi_norm_date, "31/02/1980", WI_INVALID, NULL);
    expect_norm(wi_norm_date, "1980-02-15T10:00:00Z", WI_INVALID, NULL);
}

static void test_identifiers(void **state)
{
    (void)state;
    expect_norm(wi_norm_email, " Testy@Example.INVALID ", WI_OK, "testy@example.invalid");
    expect_norm(wi_norm_email, "testy@localhost", WI_INVALID, NULL);
    expect_norm(wi_norm_email, "a@b@example.invalid", WI_INVALID, NULL);
    expect_norm(wi_norm_phone, "07700 900123", WI_OK, "+447700900123");
    expect_norm(wi_norm_phone, "+44 (0)7700-900123", WI_OK, "+447700900123");
    expect_norm(wi_norm_phone, "0044 7700 900123", WI_OK, "+447700900123");
    expect_norm(wi_norm_phone, "7700900123", WI_QUARANTINED, NULL);
    expect_norm(wi_norm_phone, "call me", WI_INVALID, NULL);
    expect_norm(wi_norm_ip, "2001:DB8::0:1", WI_OK, "2001:db8::1");
    expect_norm(wi_norm_ip, "[2001:db8::1]", WI_OK, "2001:db8::1");
    expect_norm(wi_norm_ip, "192.0.2.1", WI_OK, "192.0.2.1");
    expect_norm(wi_norm_ip, "192.0.2.256", WI_INVALID, NULL);
    assert_true(wi_ip_is_cgnat("100.64.1.1"));
    assert_true(wi_ip_is_cgnat("100.127.255.1"));
    assert_false(wi_ip_is_cgnat("100.128.0.1"));
    expect_norm(wi_norm_name, "McTESTFACE, Testy", WI_OK, "TESTY MCTESTFACE");
    expect_norm(wi_norm_name, "  testy   O'Test-face ", WI_OK, "TESTY OTESTFACE");
    expect_norm(wi_norm_postcode, "cf101aa", WI_OK, "CF10 1AA");
    expect_norm(wi_norm_postcode, "M1 1AA", WI_OK, "M1 1AA");
    expect_norm(wi_norm_postcode, "12345", WI_INVALID, NULL);
    char area[8];
    wi_postcode_area("CF10 1AA", area);
    assert_string_equal(area, "CF");
    wi_postcode_area("M1 1AA", area);
    assert_string_equal(area, "M");
    expect_norm(wi_norm_hash, "5D41402ABC4B2A76B9719D911017C592", WI_OK,
                "md5:5d41402abc4b2a76b9719d911017c592");
    expect_norm(wi_norm_hash, "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", WI_OK,
                "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    expect_norm(wi_norm_hash, "xyz", WI_INVALID, NULL);
    expect_norm(wi_norm_screen, "ChatApp:@Testy_T", WI_OK, "chatapp:testy_t");
    /* chat rooms: trimmed, white space runs as one, case-folded */
    expect_norm(wi_norm_chat, "  Kik:#Teen   Lounge\t", WI_OK, "kik:#teen lounge");
    expect_norm(wi_norm_chat, "   ", WI_INVALID, NULL);
    expect_norm(wi_norm_chat, "tg:room\x01", WI_INVALID, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_dates), cmocka_unit_test(test_cards),
        cmocka_unit_test(test_identifiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
