/* The engine's background thread: it syncs at start, when woken and every interval; holds while
 * the platform says the device is offline and goes at once when it is back; retries after a busy
 * server with backoff; and stop cancels a slow transfer in flight and joins quickly, losing
 * nothing. Driven against the scripted fake server (correct answers, optionally held). */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_server.h"
#include "sync_fixture.h"

typedef struct script {
  char device_id[40];
  atomic_int hold_ms;        /* delay every push answer by this much */
  atomic_int busy_pushes;    /* answer this many pushes with 503 + Retry-After: 1 */
  atomic_int pushes;
  int64_t seq;
} script_t;

static void handler(void *ctx, const fake_request_t *req, fake_response_t *r)
{
  script_t *s = ctx;
  if (strcmp(req->path, "/v1/whoami") == 0) {
    fake_protocol_whoami(r, s->device_id);
  } else if (strncmp(req->path, "/v1/pull", 8) == 0) {
    fake_protocol_pull_empty(r);
  } else {
    atomic_fetch_add(&s->pushes, 1);
    if (atomic_load(&s->busy_pushes) > 0) {
      atomic_fetch_sub(&s->busy_pushes, 1);
      fake_protocol_error(r, 503, "server_busy", 1, 1, "Retry-After: 1\r\n");
      return;
    }
    r->delay_ms = atomic_load(&s->hold_ms);
    fake_protocol_push(r, req, &s->seq, NULL, NULL);
  }
}

typedef struct world {
  fx_device_t dev;
  fake_server_t fake;
  script_t script;
  sync_engine_t *e;
  pthread_mutex_t lock;
  int states_seen[SYNC_STATE_STOPPED + 1];
} world_t;

static void on_status(const sync_status_t *st, void *user)
{
  world_t *w = user;
  pthread_mutex_lock(&w->lock);
  w->states_seen[st->state]++;
  pthread_mutex_unlock(&w->lock);
}

static int setup(void **state)
{
  world_t *w = calloc(1, sizeof *w);
  pthread_mutex_init(&w->lock, NULL);
  if (fx_device_create(&w->dev, 30, 21) != 0)
    return -1;
  snprintf(w->script.device_id, sizeof w->script.device_id, "%s", w->dev.id);
  char key[48];
  fake_receipt_key(key);
  if (fake_start(&w->fake, handler, &w->script) != 0 ||
      fx_enroll_direct(w->dev.path, w->fake.url, "C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C",
                       FAKE_SERVER_ID, key) != 0)
    return -1;
  *state = w;
  return 0;
}

static int teardown(void **state)
{
  world_t *w = *state;
  sync_engine_free(w->e);
  fake_stop(&w->fake);
  fx_device_destroy(&w->dev);
  pthread_mutex_destroy(&w->lock);
  free(w);
  return 0;
}

static void start_engine(world_t *w, long interval_ms, int start)
{
  sync_engine_config_t c;
  sync_engine_config_init(&c);
  c.store_path = w->dev.path;
  c.server_url = w->fake.url;
  c.store_passphrase = FX_PASSPHRASE;
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  c.interval_ms = interval_ms;
  c.backoff_base_ms = 5;
  c.backoff_max_ms = 50;
  c.on_status = on_status;
  c.user_data = w;
  assert_int_equal(sync_engine_new(&c, &w->e, NULL, 0), SYNC_OK);
  if (start)
    assert_int_equal(sync_engine_start(w->e), SYNC_OK);
}

static int64_t pending(const world_t *w)
{
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  return ob.pending;
}

/* Polls until the outbox is empty and the engine idle; 1 when that happened in time. */
static int wait_synced(world_t *w, int timeout_ms)
{
  int64_t end = fx_now_ms() + timeout_ms;
  while (fx_now_ms() < end) {
    sync_status_t st;
    sync_engine_status(w->e, &st);
    if (pending(w) == 0 && st.state == SYNC_STATE_IDLE && st.last_error == SYNC_OK)
      return 1;
    fx_sleep_ms(20);
  }
  return 0;
}

static int wait_state(world_t *w, sync_state_t want, int timeout_ms)
{
  int64_t end = fx_now_ms() + timeout_ms;
  while (fx_now_ms() < end) {
    sync_status_t st;
    sync_engine_status(w->e, &st);
    if (st.state == want)
      return 1;
    fx_sleep_ms(5);
  }
  return 0;
}

static void test_thread_syncs_at_start_and_when_woken(void **state)
{
  world_t *w = *state;
  start_engine(w, 0, 1);
  assert_true(wait_synced(w, 5000));
  assert_int_equal(sync_engine_start(w->e), SYNC_OK); /* idempotent */
  sync_status_t st;
  sync_engine_status(w->e, &st);
  assert_true(st.last_success_ms > 0);
  assert_int_equal(st.next_attempt_ms, 0); /* interval 0: only when woken */

  assert_int_equal(fx_add_records(w->dev.path, 5, 22), 0);
  fx_sleep_ms(300);
  assert_int_equal(pending(w), 5); /* nobody asked */
  sync_engine_wake(w->e);
  assert_true(wait_synced(w, 5000));
  sync_engine_stop(w->e);
  sync_engine_status(w->e, &st);
  assert_int_equal(st.state, SYNC_STATE_STOPPED);
  assert_true(w->states_seen[SYNC_STATE_PUSHING] > 0);
}

static void test_thread_syncs_every_interval(void **state)
{
  world_t *w = *state;
  start_engine(w, 250, 1);
  assert_true(wait_synced(w, 5000));
  sync_status_t st;
  sync_engine_status(w->e, &st);
  assert_true(st.next_attempt_ms > 0);
  assert_int_equal(fx_add_records(w->dev.path, 4, 23), 0);
  assert_true(wait_synced(w, 2000)); /* without a wake */
}

static void test_offline_hint_holds_the_thread_until_back_online(void **state)
{
  world_t *w = *state;
  start_engine(w, 0, 1);
  assert_true(wait_synced(w, 5000));
  sync_engine_network_changed(w->e, 0);
  sync_status_t st;
  sync_engine_status(w->e, &st);
  assert_int_equal(st.state, SYNC_STATE_OFFLINE);
  assert_non_null(strstr(st.message, "offline"));
  int before = atomic_load(&w->script.pushes);
  assert_int_equal(fx_add_records(w->dev.path, 6, 24), 0);
  sync_engine_wake(w->e);
  fx_sleep_ms(300);
  assert_int_equal(atomic_load(&w->script.pushes), before); /* nothing tried while offline */
  assert_int_equal(pending(w), 6);
  sync_engine_network_changed(w->e, 1);
  assert_true(wait_synced(w, 5000));
}

static void test_busy_server_is_retried_with_backoff_in_the_background(void **state)
{
  world_t *w = *state;
  atomic_store(&w->script.busy_pushes, 1);
  start_engine(w, 0, 1);
  assert_true(wait_state(w, SYNC_STATE_OFFLINE, 3000));
  sync_status_t st;
  sync_engine_status(w->e, &st);
  assert_int_equal(st.last_error, SYNC_ERR_SERVER);
  assert_true(st.next_attempt_ms > 0);
  assert_non_null(strstr(st.message, "The server is busy. Retrying in 1 s."));
  int64_t t0 = fx_now_ms();
  assert_true(wait_synced(w, 5000));
  assert_true(fx_now_ms() - t0 >= 700); /* waited for Retry-After, not the 5 ms backoff */
}

static void test_stop_cancels_a_slow_transfer_and_joins(void **state)
{
  world_t *w = *state;
  atomic_store(&w->script.hold_ms, 8000);
  start_engine(w, 0, 1);
  assert_true(wait_state(w, SYNC_STATE_PUSHING, 3000));
  fx_sleep_ms(100); /* the request is on its way */
  int64_t t0 = fx_now_ms();
  sync_engine_stop(w->e);
  int64_t ms = fx_now_ms() - t0;
  assert_true(ms < 500);
  sync_status_t st;
  sync_engine_status(w->e, &st);
  assert_int_equal(st.state, SYNC_STATE_STOPPED);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.pending + ob.acked, 30); /* nothing lost */
  assert_int_equal(ob.failed, 0);

  /* Restarted later, it finishes the job. */
  atomic_store(&w->script.hold_ms, 0);
  assert_int_equal(sync_engine_start(w->e), SYNC_OK);
  assert_true(wait_synced(w, 8000));
  /* Freeing a running engine stops it first. */
  sync_engine_free(w->e);
  w->e = NULL;
}

static void test_run_once_waits_for_the_background_run(void **state)
{
  world_t *w = *state;
  start_engine(w, 0, 1);
  /* Both on the same engine: one sync at a time, both succeed. */
  assert_int_equal(sync_engine_run_once(w->e), SYNC_OK);
  assert_true(wait_synced(w, 5000));
  assert_int_equal(pending(w), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_thread_syncs_at_start_and_when_woken),
    T(test_thread_syncs_every_interval),
    T(test_offline_hint_holds_the_thread_until_back_online),
    T(test_busy_server_is_retried_with_backoff_in_the_background),
    T(test_stop_cancels_a_slow_transfer_and_joins),
    T(test_run_once_waits_for_the_background_run),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
