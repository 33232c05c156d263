/* Faults between the device and the real server, many seeds: connections cut in the middle of
 * requests and of responses, random resets, the link going down, the server SIGKILLed and
 * restarted in the middle of a push, the syncing process SIGKILLed and started again. After the
 * faults stop and a sync completes: nothing lost, nothing duplicated, every run's progress counts
 * equal what really happened, and central's export has every answer the device saved.
 *
 * By default in the deployed setup (the form sealed to a central key, HTTPS with a test CA and
 * pin, the device enrolled with a code: FX_SECURE), so the export opens every sealed record with
 * the private key; `--plain` runs the same scenarios with the form unsealed over http (ctest runs
 * both). SYNC_TEST_SEEDS sets the number of cut/reset seeds (SYNC_TEST_FIRST_SEED to replay one),
 * SYNC_TEST_KILL_SEEDS those of the kill tests. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_fixture.h"

static uint64_t mix(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static fx_setup_t g_how = FX_SECURE;

static void fault_config(sync_engine_config_t *c, fx_linked_t *w)
{
  fx_engine_config(c, &w->dev, &w->srv, w->proxy.url);
  c->batch_initial_bytes = 8192; /* many small batches: many requests to break */
  c->batch_max_bytes = 32768;
  c->max_attempts = 4;           /* run_once gives up now and then: runs are restarted too */
  c->backoff_base_ms = 2;
  c->backoff_max_ms = 40;
  c->low_speed_time_s = 2;
}

/* fx_linked_verify, naming the fault, the seed and the setup. */
static void verify(const fx_linked_t *w, const char *what, unsigned long long seed)
{
  char label[160];
  snprintf(label, sizeof label, "%s seed %llu (%s)", what, seed, fx_setup_name(g_how));
  fx_linked_verify(w, label);
}

typedef struct offline_seen {
  int offline;
  char message[256];
} offline_seen_t;

static void watch_offline(const sync_status_t *st, void *user)
{
  offline_seen_t *o = user;
  if (st->state == SYNC_STATE_OFFLINE && !o->offline) {
    o->offline = 1;
    snprintf(o->message, sizeof o->message, "%s", st->message);
  }
}

/* Central publishes version 2 of the form, sealed to the same key when the world seals. */
static void publish_v2(const fx_linked_t *w)
{
  char *pub = NULL;
  if (w->srv.seal_key) {
    assert_non_null(pub = malloc(strlen(w->srv.seal_key) + 5));
    sprintf(pub, "%s.pub", w->srv.seal_key);
  }
  assert_int_equal(pub ? fx_syncserver(NULL, "form", "publish", "--db", w->srv.db, FX_FORM_V2_PATH,
                                       "--seal-to", pub, "--clear-fields",
                                       "interview_date,province,regency_code,consent", NULL)
                       : fx_syncserver(NULL, "form", "publish", "--db", w->srv.db, FX_FORM_V2_PATH,
                                       NULL),
                   0);
  free(pub);
}

/* Runs the engine until a run succeeds. Each run's totals must be the rows pending when it
 * started (nothing is added meanwhile) and its done count the rows it settled. */
static int sync_until_done(fx_linked_t *w, sync_engine_config_t *c, int max_runs, unsigned long long seed)
{
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(c, &e, NULL, 0), SYNC_OK);
  int runs = 0;
  for (;;) {
    fx_outbox_t before, after;
    assert_int_equal(fx_outbox(w->dev.path, &before), 0);
    sync_err_t err = sync_engine_run_once(e);
    runs++;
    assert_int_equal(fx_outbox(w->dev.path, &after), 0);
    sync_status_t st;
    sync_engine_status(e, &st);
    if (st.progress.records_total != before.pending ||
        st.progress.records_done != after.acked - before.acked || st.pending != after.pending)
      fail_msg("seed %llu run %d: progress %lld/%lld pending %lld, truth %lld/%lld pending %lld", seed,
               runs, (long long)st.progress.records_done, (long long)st.progress.records_total,
               (long long)st.pending, (long long)(after.acked - before.acked),
               (long long)before.pending, (long long)after.pending);
    if (err == SYNC_OK)
      break;
    if (err != SYNC_ERR_NETWORK && err != SYNC_ERR_PROTOCOL && err != SYNC_ERR_SERVER)
      fail_msg("seed %llu run %d: %s (%s)", seed, runs, sync_errname(err), st.message);
    if (runs >= max_runs)
      fail_msg("seed %llu: still failing after %d runs: %s", seed, runs, st.message);
  }
  sync_engine_free(e);
  return runs;
}

/* Cut points and resets drawn per connection from the seed; four kinds of damage. */
static void cut_options(netproxy_opts_t *po, uint64_t seed)
{
  netproxy_opts_init(po);
  po->seed = seed;
  po->latency_ms = (uint32_t)(mix(seed) % 4);
  switch (seed % 4) {
  case 0: /* uploads die in the middle of a push body */
    po->cut_probability = 0.7;
    po->cut_direction = NETPROXY_DIR_UP;
    po->cut_min = 200;
    po->cut_max = 20000;
    break;
  case 1: /* responses die half-way: the server stored the batch, the device never hears */
    po->cut_probability = 0.7;
    po->cut_direction = NETPROXY_DIR_DOWN;
    po->cut_min = 1;
    po->cut_max = 4000;
    break;
  case 2: /* random resets anywhere */
    po->reset_probability = 0.04;
    break;
  default: /* both ways, aborted with RST */
    po->cut_probability = 0.6;
    po->cut_direction = NETPROXY_DIR_BOTH;
    po->cut_mode = NETPROXY_CUT_RST;
    po->cut_min = 1;
    po->cut_max = 30000;
    break;
  }
}

static void test_cut_and_reset_connections_lose_and_duplicate_nothing(void **state)
{
  (void)state;
  long seeds = fx_env_long("SYNC_TEST_SEEDS", fx_sanitized() ? 12 : 32);
  int64_t t0 = fx_now_ms();
  long total_runs = 0;
  netproxy_stats_t sum = {0};
  for (long i = fx_env_long("SYNC_TEST_FIRST_SEED", 0); i < seeds; i++) {
    uint64_t seed = (uint64_t)i;
    netproxy_opts_t po;
    cut_options(&po, seed);
    fx_linked_t w;
    size_t n = 60 + mix(seed ^ 0x55) % 140;
    fx_linked_open(&w, g_how, n, seed, &po);
    sync_engine_config_t c;
    fault_config(&c, &w);
    total_runs += sync_until_done(&w, &c, 400, (unsigned long long)seed);
    verify(&w, "push", (unsigned long long)seed);

    /* Central changes come back through the same bad link. */
    sync_store_t *s = NULL;
    sync_record_list_t *list = NULL;
    assert_int_equal(fx_store_open(w.dev.path, &s), SYNC_OK);
    assert_int_equal(sync_record_list(s, NULL, &list), SYNC_OK);
    for (size_t k = 0; k < 3; k++)
      assert_int_equal(fx_syncserver(NULL, "record", "set-status", "--db", w.srv.db,
                                     sync_record_uuid(sync_record_list_at(list, k)), "--status",
                                     "in_review", "--by", "fault.test", NULL), 0);
    publish_v2(&w);
    total_runs += sync_until_done(&w, &c, 400, (unsigned long long)seed);
    for (size_t k = 0; k < 3; k++) {
      sync_record_t *r = NULL;
      assert_int_equal(sync_record_get(s, sync_record_uuid(sync_record_list_at(list, k)), &r), SYNC_OK);
      assert_non_null(strstr(sync_record_payload(r), "\"case_status\":\"in_review\""));
      assert_int_equal(sync_record_revision(r),
                       sync_record_revision(sync_record_list_at(list, k)) + 1);
      sync_record_free(r);
    }
    sync_form_list_t *forms = NULL;
    assert_int_equal(sync_form_list(s, &forms), SYNC_OK);
    for (size_t k = 0; sync_form_list_count(forms) != 2 && k < sync_form_list_count(forms); k++)
      print_message("form %zu: %s v%d\n", k, sync_form_list_id(forms, k),
                    sync_form_list_version(forms, k));
    assert_int_equal(sync_form_list_count(forms), 2);
    sync_form_list_free(forms);
    sync_record_list_free(list);
    sync_store_close(s);
    verify(&w, "pull", (unsigned long long)seed);

    netproxy_stats_t ps;
    netproxy_get_stats(w.proxy.np, &ps);
    sum.connections += ps.connections;
    sum.cuts += ps.cuts;
    sum.resets += ps.resets;
    fx_linked_close(&w);
  }
  print_message("%s: %ld seeds in %lld ms: %ld runs, %llu connections, %llu cut, %llu reset\n",
                fx_setup_name(g_how), seeds, (long long)(fx_now_ms() - t0), total_runs,
                (unsigned long long)sum.connections, (unsigned long long)sum.cuts,
                (unsigned long long)sum.resets);
  assert_true(sum.cuts + sum.resets >= (uint64_t)seeds); /* the faults really happened */
}

typedef struct link_flip {
  netproxy_t *np;
  int after_ms;
} link_flip_t;

static void *link_up_later(void *arg)
{
  link_flip_t *f = arg;
  fx_sleep_ms(f->after_ms);
  netproxy_command(f->np, NETPROXY_CMD_UP);
  return NULL;
}

static void test_link_down_then_up_reports_offline_and_resumes(void **state)
{
  (void)state;
  netproxy_opts_t po;
  netproxy_opts_init(&po);
  po.bandwidth_kbps = 2000;
  fx_linked_t w;
  fx_linked_open(&w, g_how, fx_sanitized() ? 150 : 400, 99, &po);
  sync_engine_config_t c;
  fault_config(&c, &w);
  offline_seen_t seen = {0};
  c.on_status = watch_offline;
  c.user_data = &seen;
  c.max_attempts = 1000;
  c.backoff_max_ms = 100;
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
  netproxy_command(w.proxy.np, NETPROXY_CMD_DOWN);
  link_flip_t flip = {w.proxy.np, 700};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, link_up_later, &flip), 0);
  int64_t t0 = fx_now_ms();
  assert_int_equal(sync_engine_run_once(e), SYNC_OK);
  int64_t ms = fx_now_ms() - t0;
  pthread_join(t, NULL);
  sync_engine_free(e);
  assert_true(ms >= 700);
  assert_true(seen.offline);
  assert_non_null(strstr(seen.message, "No connection to the server. Retrying in"));
  verify(&w, "link down", 0);
  fx_linked_close(&w);
}

/* ---- server SIGKILLed in the middle of a push ------------------------------------------------ */


typedef struct killer {
  fx_server_t *srv;
  const char *store_path;
  int delay_ms;
  int restarted;
  fx_outbox_t at_kill;   /* the device's outbox when the server died */
} killer_t;

static void *kill_and_restart(void *arg)
{
  killer_t *k = arg;
  fx_sleep_ms(k->delay_ms);
  fx_outbox(k->store_path, &k->at_kill);
  fx_server_kill(k->srv, SIGKILL);
  fx_sleep_ms(150);
  k->restarted = fx_server_start(k->srv) == 0;
  return NULL;
}

static void test_server_killed_and_restarted_mid_push_loses_nothing(void **state)
{
  (void)state;
  long seeds = fx_env_long("SYNC_TEST_KILL_SEEDS", 6);
  int mid_push = 0;
  for (long i = 0; i < seeds; i++) {
    uint64_t seed = 1000 + (uint64_t)i;
    netproxy_opts_t po;
    netproxy_opts_init(&po);
    po.bandwidth_kbps = 400; /* over a second of upload */
    fx_linked_t w;
    fx_linked_open(&w, g_how, 300, seed, &po);
    sync_engine_config_t c;
    fault_config(&c, &w);
    c.max_attempts = 1000;
    c.backoff_max_ms = 100;
    killer_t k = {&w.srv, w.dev.path, (int)(50 + mix(seed) % 1000), 0, {0, 0, 0}};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, kill_and_restart, &k), 0);
    sync_engine_t *e = NULL;
    assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
    sync_err_t err = sync_engine_run_once(e);
    pthread_join(t, NULL);
    assert_true(k.restarted);
    if (err != SYNC_OK) /* the kill may land after the run: then one more */
      assert_int_equal(sync_engine_run_once(e), SYNC_OK);
    /* A run after the restart settles anything the kill left in flight. */
    assert_int_equal(sync_engine_run_once(e), SYNC_OK);
    sync_engine_free(e);
    verify(&w, "server kill", (unsigned long long)seed);
    mid_push += k.at_kill.pending > 0;
    fx_linked_close(&w);
  }
  print_message("%d of %ld server kills landed before the push was over\n", mid_push, seeds);
  assert_true(seeds == 0 || mid_push > 0);
}

/* ---- the syncing process SIGKILLed ----------------------------------------------------------- */

static void test_client_killed_mid_sync_and_restarted_loses_nothing(void **state)
{
  (void)state;
  long seeds = fx_env_long("SYNC_TEST_KILL_SEEDS", 6);
  int killed_mid_push = 0;
  for (long i = 0; i < seeds; i++) {
    uint64_t seed = 2000 + (uint64_t)i;
    netproxy_opts_t po;
    netproxy_opts_init(&po);
    po.bandwidth_kbps = 400; /* about a second of upload */
    po.latency_ms = 10;
    fx_linked_t w;
    /* Records compress about 10:1 (sealed ones too, with the form's dictionary): 200 of them
     * fit in one measured first batch, acknowledged all at once; 1,000 leave a middle to kill
     * in. */
    fx_linked_open(&w, g_how, 1000, seed, &po);
    char *argv[] = {(char *)SYNCCTL_PATH, (char *)"--store", w.dev.path, (char *)"sync",
                    (char *)"--server", w.proxy.url, (char *)"--allow-http-loopback", NULL, NULL,
                    NULL, NULL, NULL};
    if (w.srv.ca_file) {
      argv[7] = (char *)"--ca-file";
      argv[8] = w.srv.ca_file;
      argv[9] = (char *)"--pin";
      argv[10] = w.srv.pin;
    }
    pid_t child = fx_spawn(argv);
    assert_true(child > 0);
    /* On this link the push takes about 2-3 s in several batches, two in flight, the first
     * acknowledged well before the last: kill anywhere in between. */
    fx_sleep_ms((int)(150 + mix(seed) % 2000));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    fx_outbox_t mid;
    assert_int_equal(fx_outbox(w.dev.path, &mid), 0);
    killed_mid_push += WIFSIGNALED(status) && mid.acked > 0 && mid.pending > 0;

    sync_engine_config_t c;
    fault_config(&c, &w);
    sync_until_done(&w, &c, 50, (unsigned long long)seed);
    verify(&w, "client kill", (unsigned long long)seed);
    fx_linked_close(&w);
  }
  print_message("%d of %ld client kills landed in the middle of the push\n", killed_mid_push, seeds);
  assert_true(seeds == 0 || killed_mid_push > 0);
}

int main(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], "--plain") == 0)
    g_how = FX_PLAIN;
  else if (argc != 1)
    return fprintf(stderr, "usage: test_sync_faults [--plain]\n"), 2;
  print_message("setup: %s\n", fx_setup_name(g_how));
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_cut_and_reset_connections_lose_and_duplicate_nothing),
    cmocka_unit_test(test_link_down_then_up_reports_offline_and_resumes),
    cmocka_unit_test(test_server_killed_and_restarted_mid_push_loses_nothing),
    cmocka_unit_test(test_client_killed_mid_sync_and_restarted_loses_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
