/* The push on links that cannot carry a big request (PROTOCOL.md 7): in the deployed setup
 * (the form sealed to a central key, HTTPS with a test CA and pin, the device enrolled with a
 * code), through netproxy,
 *   - a link that cuts every connection after 20 KB still delivers every sealed record exactly
 *     once: a cut batch is sent again smaller, one record at a time if it must, and the bytes
 *     of the cut attempts are counted;
 *   - a slow, late link (256 kbit/s and 300 ms each way, one rate shared by all connections)
 *     delivers everything without abandoning a single request, although the fixture's low-speed
 *     limit (no byte for 3 s) is far shorter than what a batch sized by bytes takes there.
 * Each case prints its time and bytes (figures, not assertions). SYNC_TEST_N sets the records. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_fixture.h"

/* The sum of every run's progress, and how many runs it took. */
typedef struct tally {
  sync_progress_t p;
  int runs;
  int64_t ms;
} tally_t;

static void add_progress(tally_t *t, const sync_progress_t *p)
{
  t->p.records_done += p->records_done;
  t->p.wire_bytes_sent += p->wire_bytes_sent;
  t->p.wire_bytes_received += p->wire_bytes_received;
  t->p.requests += p->requests;
  t->p.wire_bytes_abandoned += p->wire_bytes_abandoned;
  t->p.requests_abandoned += p->requests_abandoned;
  t->p.upload_bytes_per_s = p->upload_bytes_per_s;
}

static void print_figures(const char *what, size_t n, const tally_t *t, const fx_linked_t *w)
{
  netproxy_stats_t ps;
  netproxy_get_stats(w->proxy.np, &ps);
  printf("  %s, %zu sealed records: %.2f s in %d run(s); engine: %lld bytes up in %lld requests"
         " (%lld bytes in %lld abandoned), %lld down, link rate %lld B/s; proxy: %llu connections,"
         " %llu cut, %llu bytes up, %llu down\n",
         what, n, (double)t->ms / 1000.0, t->runs, (long long)t->p.wire_bytes_sent,
         (long long)t->p.requests, (long long)t->p.wire_bytes_abandoned,
         (long long)t->p.requests_abandoned, (long long)t->p.wire_bytes_received,
         (long long)t->p.upload_bytes_per_s, (unsigned long long)ps.connections,
         (unsigned long long)ps.cuts, (unsigned long long)ps.bytes_up,
         (unsigned long long)ps.bytes_down);
  fflush(stdout);
}

/* Runs the engine until a run succeeds (at most max_runs runs; a run that fails must fail as a
 * network failure does), then prints the figures of `what`. */
static void sync_until_done(fx_linked_t *w, sync_engine_config_t *c, int max_runs, tally_t *t,
                            const char *what, size_t n)
{
  memset(t, 0, sizeof *t);
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(c, &e, NULL, 0), SYNC_OK);
  int64_t t0 = fx_now_ms();
  for (;;) {
    sync_err_t err = sync_engine_run_once(e);
    t->runs++;
    sync_status_t st;
    sync_engine_status(e, &st);
    add_progress(t, &st.progress);
    t->ms = fx_now_ms() - t0;
    if (err == SYNC_OK)
      break;
    if (err != SYNC_ERR_NETWORK || t->runs >= max_runs)
      print_figures(what, n, t, w);
    if (err != SYNC_ERR_NETWORK)
      fail_msg("run %d: %s (%s)", t->runs, sync_errname(err), st.message);
    if (t->runs >= max_runs)
      fail_msg("still failing after %d runs (%lld records acknowledged): %s", t->runs,
               (long long)t->p.records_done, st.message);
  }
  print_figures(what, n, t, w);
  sync_engine_free(e);
}

static void test_link_cutting_every_connection_after_20kb_delivers_everything_once(void **state)
{
  (void)state;
  size_t n = (size_t)fx_env_long("SYNC_TEST_N", 60);
  netproxy_opts_t po;
  netproxy_opts_init(&po);
  po.latency_ms = 5;
  po.cut_after_bytes = 20000; /* both directions counted: the TLS handshake too */
  fx_linked_t w;
  fx_linked_open(&w, FX_SECURE, n, 12, &po);
  sync_engine_config_t c;
  fx_engine_config(&c, &w.dev, &w.srv, w.proxy.url);
  c.max_attempts = 8;
  tally_t t;
  sync_until_done(&w, &c, 10, &t, "cut every 20 KB", n);
  fx_linked_verify(&w, "cut every 20 KB");
  assert_int_equal(t.p.records_done, (int64_t)n);
  /* The link cut attempts, and the engine counted them and their bytes. */
  netproxy_stats_t ps;
  netproxy_get_stats(w.proxy.np, &ps);
  assert_true(ps.cuts > 0);
  assert_true(t.p.requests_abandoned > 0);
  assert_true(t.p.wire_bytes_abandoned > 0);
  assert_true(t.p.wire_bytes_sent > t.p.wire_bytes_abandoned);
  fx_linked_close(&w);
}

static void test_slow_late_link_delivers_without_abandoning_a_request(void **state)
{
  (void)state;
  size_t n = (size_t)fx_env_long("SYNC_TEST_N", 100);
  netproxy_opts_t po;
  netproxy_opts_init(&po);
  po.latency_ms = 300;
  po.bandwidth_kbps = 256;
  po.bandwidth_shared = 1;
  fx_linked_t w;
  fx_linked_open(&w, FX_SECURE, n, 12, &po);
  sync_engine_config_t c;
  fx_engine_config(&c, &w.dev, &w.srv, w.proxy.url);
  tally_t t;
  sync_until_done(&w, &c, 1, &t, "256 kbit/s + 300 ms, shared", n);
  fx_linked_verify(&w, "256 kbit/s + 300 ms");
  assert_int_equal(t.p.records_done, (int64_t)n);
  assert_int_equal(t.p.requests_abandoned, 0);
  assert_int_equal(t.p.wire_bytes_abandoned, 0);
  assert_true(t.p.upload_bytes_per_s > 0);
  netproxy_stats_t ps;
  netproxy_get_stats(w.proxy.np, &ps);
  assert_int_equal(ps.errors, 0);
  fx_linked_close(&w);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_link_cutting_every_connection_after_20kb_delivers_everything_once),
    cmocka_unit_test(test_slow_late_link_delivers_without_abandoning_a_request),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
