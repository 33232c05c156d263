/* Client addresses grouped by network (server-stub/netaddr.h): the key of connection caps and
 * failure limits, so an attacker's neighbouring addresses count together. */
#include "netaddr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void expect_prefix(const char *addr, int rc, const char *want)
{
  char out[NETADDR_PREFIX_MAX];
  assert_int_equal(netaddr_prefix(addr, out), rc);
  assert_string_equal(out, want);
}

static void test_ipv4_addresses_of_one_slash24_share_a_prefix(void **state)
{
  (void)state;
  expect_prefix("203.0.113.7", 0, "203.0.113.0/24");
  expect_prefix("203.0.113.250", 0, "203.0.113.0/24");
  expect_prefix("127.0.0.9", 0, "127.0.0.0/24");
  expect_prefix("203.0.114.7", 0, "203.0.114.0/24");
}

static void test_ipv6_addresses_of_one_slash64_share_a_prefix(void **state)
{
  (void)state;
  expect_prefix("2001:db8:1:2::1", 0, "2001:db8:1:2::/64");
  expect_prefix("2001:db8:1:2:ffff:1:2:3", 0, "2001:db8:1:2::/64");
  expect_prefix("::1", 0, "0:0:0:0::/64");
}

static void test_ipv4_mapped_ipv6_counts_as_its_ipv4_network(void **state)
{
  (void)state;
  expect_prefix("::ffff:203.0.113.7", 0, "203.0.113.0/24");
}

static void test_text_that_is_no_address_is_its_own_key(void **state)
{
  (void)state;
  expect_prefix("-", -1, "-");
  expect_prefix("unix:/run/x", -1, "unix:/run/x");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ipv4_addresses_of_one_slash24_share_a_prefix),
    cmocka_unit_test(test_ipv6_addresses_of_one_slash64_share_a_prefix),
    cmocka_unit_test(test_ipv4_mapped_ipv6_counts_as_its_ipv4_network),
    cmocka_unit_test(test_text_that_is_no_address_is_its_own_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
