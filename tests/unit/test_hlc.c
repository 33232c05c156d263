/* Hybrid logical clock (libsync/src/hlc.h) and its use by the store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hlc.h"

#define DEVICE "6f1c2b9e-8d3a-4c1e-9f00-1234567890ab"

static void format(hlc_t ts, char *buf)
{
  assert_int_equal(hlc_format(ts, DEVICE, buf, HLC_TEXT_MAX), 0);
}

static void test_tick_follows_the_wall_clock(void **state)
{
  (void)state;
  hlc_t clock = { 0, 0 };
  hlc_t a = hlc_tick(&clock, 1732512345678LL);
  assert_int_equal(a.pt, 1732512345678LL);
  assert_int_equal(a.counter, 0);
  hlc_t b = hlc_tick(&clock, 1732512345900LL);
  assert_int_equal(b.pt, 1732512345900LL);
  assert_int_equal(b.counter, 0);
  assert_true(hlc_compare(a, b) < 0);
}

static void test_counter_orders_writes_within_one_millisecond(void **state)
{
  (void)state;
  hlc_t clock = { 0, 0 };
  hlc_t prev = hlc_tick(&clock, 5000);
  for (unsigned i = 1; i <= 100; i++) {
    hlc_t ts = hlc_tick(&clock, 5000);
    assert_int_equal(ts.pt, 5000);
    assert_int_equal(ts.counter, i);
    assert_true(hlc_compare(prev, ts) < 0);
    prev = ts;
  }
}

static void test_monotonic_when_the_wall_clock_goes_backwards(void **state)
{
  (void)state;
  hlc_t clock = { 0, 0 };
  hlc_t a = hlc_tick(&clock, 1732512345678LL);
  /* The officer's laptop clock is set back by an hour. */
  hlc_t b = hlc_tick(&clock, 1732512345678LL - 3600 * 1000);
  hlc_t c = hlc_tick(&clock, 1732512345678LL - 3600 * 1000 + 5);
  assert_int_equal(b.pt, a.pt);
  assert_int_equal(c.pt, a.pt);
  assert_true(hlc_compare(a, b) < 0);
  assert_true(hlc_compare(b, c) < 0);
  /* Once the wall clock passes the old time again it takes over. */
  hlc_t d = hlc_tick(&clock, 1732512345678LL + 1);
  assert_int_equal(d.pt, 1732512345678LL + 1);
  assert_int_equal(d.counter, 0);
  /* A clock before 1970 cannot drag it backwards either. */
  hlc_t e = hlc_tick(&clock, -50);
  assert_true(hlc_compare(d, e) < 0);
}

static void test_counter_overflow_moves_to_the_next_millisecond(void **state)
{
  (void)state;
  hlc_t clock = { 7000, HLC_COUNTER_MAX - 1 };
  hlc_t a = hlc_tick(&clock, 7000);
  assert_int_equal(a.counter, HLC_COUNTER_MAX);
  hlc_t b = hlc_tick(&clock, 7000);
  assert_int_equal(b.pt, 7001);
  assert_int_equal(b.counter, 0);
  assert_true(hlc_compare(a, b) < 0);
}

static void test_text_sorts_in_time_order(void **state)
{
  (void)state;
  hlc_t clock = { 0, 0 };
  char prev[HLC_TEXT_MAX], cur[HLC_TEXT_MAX];
  int64_t walls[] = { 999, 1000, 1000, 1000, 999, 10000, 9999999, 9999999, 10000000, 1732512345678LL };
  format(hlc_tick(&clock, walls[0]), prev);
  for (size_t i = 1; i < sizeof walls / sizeof walls[0]; i++) {
    format(hlc_tick(&clock, walls[i]), cur);
    assert_true(strcmp(prev, cur) < 0);
    strcpy(prev, cur);
  }
  /* Fixed layout from proto/FORMS.md. */
  hlc_t ts = { 1732512345678LL, 42 };
  format(ts, cur);
  assert_string_equal(cur, "001732512345678-00042-" DEVICE);
}

static void test_text_round_trips(void **state)
{
  (void)state;
  char buf[HLC_TEXT_MAX];
  hlc_t ts = { 1732512345678LL, 99999 }, back;
  const char *node;
  format(ts, buf);
  assert_int_equal(hlc_parse(buf, &back, &node), 0);
  assert_int_equal(hlc_compare(ts, back), 0);
  assert_string_equal(node, DEVICE);

  assert_int_equal(hlc_format_state(ts, buf, sizeof buf), 0);
  assert_string_equal(buf, "001732512345678-99999");
  assert_int_equal(hlc_parse(buf, &back, &node), 0);
  assert_int_equal(hlc_compare(ts, back), 0);
  assert_string_equal(node, "");

  assert_int_equal(hlc_parse("", &back, NULL), -1);
  assert_int_equal(hlc_parse("01732512345678-00000", &back, NULL), -1);
  assert_int_equal(hlc_parse("0017325123456x8-00000", &back, NULL), -1);
  assert_int_equal(hlc_parse("001732512345678:00000", &back, NULL), -1);
  assert_int_equal(hlc_parse("001732512345678-00000x", &back, NULL), -1);
  /* A buffer that is too small is refused, not overrun. */
  assert_int_equal(hlc_format(ts, DEVICE, buf, 30), -1);
}

static void test_receive_moves_past_a_remote_clock(void **state)
{
  (void)state;
  hlc_t clock = { 1000, 3 }, out;
  /* Remote ahead of us and of the wall clock. */
  hlc_t remote = { 2000, 7 };
  assert_int_equal(hlc_receive(&clock, remote, 1500, 0, &out), 0);
  assert_int_equal(out.pt, 2000);
  assert_int_equal(out.counter, 8);
  /* The next local event is after the received one, although the wall clock is behind. */
  hlc_t next = hlc_tick(&clock, 1600);
  assert_true(hlc_compare(out, next) < 0);
  /* Remote behind the wall clock: the wall clock wins. */
  assert_int_equal(hlc_receive(&clock, (hlc_t){ 100, 0 }, 5000, 0, &out), 0);
  assert_int_equal(out.pt, 5000);
  assert_int_equal(out.counter, 0);
}

static void test_receive_refuses_a_clock_far_in_the_future(void **state)
{
  (void)state;
  hlc_t clock = { 1000, 0 }, out = { 0, 0 };
  hlc_t remote = { 1000 + 24LL * 3600 * 1000, 0 };
  assert_int_equal(hlc_receive(&clock, remote, 1000, 60 * 1000, &out), -1);
  assert_int_equal(clock.pt, 1000);
  assert_int_equal(hlc_receive(&clock, (hlc_t){ 0, HLC_COUNTER_MAX + 1 }, 1000, 0, &out), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_tick_follows_the_wall_clock),
    cmocka_unit_test(test_counter_orders_writes_within_one_millisecond),
    cmocka_unit_test(test_monotonic_when_the_wall_clock_goes_backwards),
    cmocka_unit_test(test_counter_overflow_moves_to_the_next_millisecond),
    cmocka_unit_test(test_text_sorts_in_time_order),
    cmocka_unit_test(test_text_round_trips),
    cmocka_unit_test(test_receive_moves_past_a_remote_clock),
    cmocka_unit_test(test_receive_refuses_a_clock_far_in_the_future),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
