/*
 * The CyberTipline export's pure parts (src/tipline/): times converted to
 * ISO 8601 only when the value names its zone, the compiled-in schema and
 * validation against it. The export and the submitter end to end are
 * tests/e2e/tipline.sh. ward-test: no-store
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tipline/tipline_int.h"

static void iso_time(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"2026-11-23 09:14:05 -0500", "2026-11-23T09:14:05-05:00"},
        {"2026-11-23T09:14:05Z", "2026-11-23T09:14:05Z"},
        {"2026-11-23T09:14:05+01:00", "2026-11-23T09:14:05+01:00"},
        {"2026-11-23 09:14:05.250+0530", "2026-11-23T09:14:05.250+05:30"},
        {"2026-11-23 09:14:05 UTC", "2026-11-23T09:14:05Z"},
        {"2026-11-23T09:14:05+0000", "2026-11-23T09:14:05+00:00"}};
    char out[40];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(tl_iso_time(ok[i][0], out), 1);
        assert_string_equal(out, ok[i][1]);
    }
    /* no zone, another order, junk after: never guessed */
    static const char *const bad[] = {"2026-11-23 09:14:05", "23/11/2026 09:14:05 +0100",
                                      "2026-11-23T09:14:05+01", "2026-11-23T09:14:05Zjunk",
                                      "2026-11-23T09:14:05.+01:00", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tl_iso_time(bad[i], out), 0);
}

static void schema_validates(void **state)
{
    (void)state;
    const char *xsd = ward_tipline_xsd();
    assert_non_null(strstr(xsd, "name=\"fileViewedByEsp\""));
    const char *good = "<report><incidentSummary><incidentType>Child Sex Tourism</incidentType>"
                       "<incidentDateTime>2026-11-23T09:14:05-05:00</incidentDateTime>"
                       "</incidentSummary><reporter><reportingPerson><email><email>a@example"
                       ".invalid</email></email></reportingPerson></reporter></report>";
    ward_error err;
    assert_int_equal(ward_tipline_validate(good, strlen(good), &err), WARD_OK);
    /* a time without its zone, an incident type not in the list, no email */
    const char *bad[] = {
        "<report><incidentSummary><incidentType>Child Sex Tourism</incidentType>"
        "<incidentDateTime>2026-11-23T09:14:05</incidentDateTime></incidentSummary><reporter>"
        "<reportingPerson><email><email>a@x</email></email></reportingPerson></reporter></report>",
        "<report><incidentSummary><incidentType>Other</incidentType></incidentSummary>"
        "<reporter><reportingPerson><email><email>a@x</email></email></reportingPerson>"
        "</reporter></report>",
        "<report><incidentSummary><incidentType>Child Sex Tourism</incidentType>"
        "</incidentSummary><reporter><reportingPerson/></reporter></report>",
        "<fileDetails><reportId>1</reportId><fileId>2</fileId></fileDetails>",
        "<report>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ward_tipline_validate(bad[i], strlen(bad[i]), &err), WARD_EFORMAT);
        assert_true(strlen(err.message) > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(iso_time),
                                       cmocka_unit_test(schema_validates)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
