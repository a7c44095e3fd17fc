/* ward-test: no-store (not run again on PostgreSQL) */
/* The provider table's range arithmetic (src/intel/isp.c): IPv4 and IPv6
 * CIDR ranges, the prefix boundary bit by bit, typing slips refused. */
#include "testutil.h"

#include "intel/isp_int.h"

static int in_range(const char *range, const char *ip)
{
    wi_ipnet n;
    unsigned char a[16];
    char why[160];
    if (!wi_ipnet_parse(range, &n, why, sizeof why))
        fail_msg("'%s' refused: %s", range, why);
    if (!wi_ip_bytes(ip, a))
        fail_msg("'%s' is not an address", ip);
    return wi_ipnet_has(&n, a);
}

static void refused(const char *range, const char *because)
{
    wi_ipnet n;
    char why[160] = "";
    if (wi_ipnet_parse(range, &n, why, sizeof why))
        fail_msg("'%s' accepted", range);
    if (!strstr(why, because))
        fail_msg("'%s': '%s' does not say '%s'", range, why, because);
}

static void test_ipv4(void **state)
{
    (void)state;
    assert_true(in_range("192.0.2.0/24", "192.0.2.0"));
    assert_true(in_range("192.0.2.0/24", "192.0.2.255"));
    assert_false(in_range("192.0.2.0/24", "192.0.3.0"));
    assert_true(in_range("198.51.100.0/28", "198.51.100.15"));
    assert_false(in_range("198.51.100.0/28", "198.51.100.16"));   /* bit 28 */
    assert_true(in_range("198.51.100.0/31", "198.51.100.1"));
    assert_false(in_range("198.51.100.0/31", "198.51.100.2"));
    assert_true(in_range("203.0.113.7", "203.0.113.7"));           /* a bare address: /32 */
    assert_false(in_range("203.0.113.7", "203.0.113.8"));
    assert_true(in_range("0.0.0.0/0", "203.0.113.8"));
    /* IPv4 ranges never hold IPv6 addresses, and the reverse */
    assert_false(in_range("0.0.0.0/0", "2001:db8::1"));
    assert_false(in_range("2001:db8::/32", "192.0.2.1"));
}

static void test_ipv6(void **state)
{
    (void)state;
    assert_true(in_range("2001:db8::/32", "2001:DB8::0:1"));
    assert_true(in_range("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_false(in_range("2001:db8::/32", "2001:db9::"));
    assert_true(in_range("2001:db8:0:100::/56", "2001:db8:0:1ff::1"));
    assert_false(in_range("2001:db8:0:100::/56", "2001:db8:0:200::1"));
    assert_true(in_range("2001:db8::1/128", "2001:db8::1"));
    assert_false(in_range("2001:db8::1/128", "2001:db8::2"));
}

static void test_refused(void **state)
{
    (void)state;
    refused("192.0.2.5/24", "address bits set past its /24");
    refused("2001:db8::1/32", "address bits set");
    refused("192.0.2.0/33", "0 to 32");
    refused("2001:db8::/129", "0 to 128");
    refused("192.0.2.0/", "0 to 32");
    refused("192.0.2.0/2x", "0 to 32");
    refused("192.0.2/24", "not an IP range");
    refused("example.net/24", "not an IP range");
    refused("", "not an IP range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4), cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
