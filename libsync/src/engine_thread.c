/* The engine's background thread (sync/engine.h): syncs at start, when woken, when the network
 * comes back, every interval_ms, and after a failure when its backoff is over. One condition
 * variable carries every trigger; stop cancels the request in flight and joins. */
#include "engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Under lock: when the next sync is due after a run that ended with err. */
static void schedule(sync_engine_t *e, sync_err_t err, int64_t retry_in_ms)
{
  int64_t now = engine_mono_ms();
  int64_t delay = -1;
  if (err != SYNC_OK && retry_in_ms >= 0)
    delay = retry_in_ms;                      /* retryable: the backoff */
  else if (e->cfg.interval_ms > 0)
    delay = e->cfg.interval_ms;               /* success, or an error waiting for a trigger */
  e->next_due_ms = delay >= 0 ? now + delay : 0;
  e->status.next_attempt_ms = delay >= 0 ? store_now_ms() + delay : 0;
}

static void *thread_main(void *arg)
{
  sync_engine_t *e = arg;
  pthread_mutex_lock(&e->lock);
  while (!e->stop_requested) {
    if (!e->online) {
      e->wake_requested = 0;
      pthread_cond_wait(&e->cond, &e->lock);
      continue;
    }
    int64_t now = engine_mono_ms();
    if (e->wake_requested || (e->next_due_ms && now >= e->next_due_ms)) {
      e->wake_requested = 0;
      e->next_due_ms = 0;
      e->cancel = 0;
      int reset = e->backoff_reset;
      e->backoff_reset = 0;
      pthread_mutex_unlock(&e->lock);

      int64_t retry_in = -1;
      pthread_mutex_lock(&e->run_lock);
      if (reset)
        e->failures = 0;
      sync_err_t err = engine_sync(e, 0, &retry_in);
      pthread_mutex_unlock(&e->run_lock);

      pthread_mutex_lock(&e->lock);
      schedule(e, err, retry_in);
      continue;
    }
    if (e->next_due_ms) {
      struct timespec ts = {(time_t)(e->next_due_ms / 1000), (long)(e->next_due_ms % 1000) * 1000000L};
      pthread_cond_timedwait(&e->cond, &e->lock, &ts);
    } else {
      pthread_cond_wait(&e->cond, &e->lock);
    }
  }
  pthread_mutex_unlock(&e->lock);
  return NULL;
}

sync_err_t sync_engine_start(sync_engine_t *engine)
{
  if (!engine)
    return SYNC_ERR_INVALID_ARG;
  pthread_mutex_lock(&engine->lock);
  if (engine->thread_running) {
    pthread_mutex_unlock(&engine->lock);
    return SYNC_OK;
  }
  engine->stop_requested = 0;
  engine->wake_requested = 1;
  engine->next_due_ms = 0;
  int rc = pthread_create(&engine->thread, NULL, thread_main, engine);
  engine->thread_running = rc == 0;
  if (rc == 0 && engine->status.state == SYNC_STATE_STOPPED)
    engine->status.state = SYNC_STATE_IDLE;
  pthread_mutex_unlock(&engine->lock);
  return rc == 0 ? SYNC_OK : SYNC_ERR_INTERNAL;
}

void sync_engine_stop(sync_engine_t *engine)
{
  if (!engine)
    return;
  pthread_mutex_lock(&engine->lock);
  if (!engine->thread_running) {
    pthread_mutex_unlock(&engine->lock);
    return;
  }
  engine->stop_requested = 1;
  engine->cancel = 1;
  pthread_cond_broadcast(&engine->cond);
  pthread_mutex_unlock(&engine->lock);
  pthread_join(engine->thread, NULL);
  char msg[256];
  engine_message(engine, MSG_STOPPED, 0, msg, sizeof msg);
  pthread_mutex_lock(&engine->lock);
  engine->thread_running = 0;
  engine->stop_requested = 0;
  engine->cancel = 0;
  engine->next_due_ms = 0;
  engine->status.next_attempt_ms = 0;
  pthread_mutex_unlock(&engine->lock);
  engine_set_state(engine, SYNC_STATE_STOPPED, SYNC_OK, msg);
}

void sync_engine_wake(sync_engine_t *engine)
{
  if (!engine)
    return;
  pthread_mutex_lock(&engine->lock);
  engine->wake_requested = 1;
  pthread_cond_broadcast(&engine->cond);
  pthread_mutex_unlock(&engine->lock);
}

void sync_engine_network_changed(sync_engine_t *engine, int online)
{
  if (!engine)
    return;
  pthread_mutex_lock(&engine->lock);
  engine->online = online != 0;
  if (online) {
    engine->wake_requested = 1;
    engine->backoff_reset = 1; /* back online: the backoff starts over */
  }
  pthread_cond_broadcast(&engine->cond);
  pthread_mutex_unlock(&engine->lock);
  if (!online) {
    char msg[256];
    engine_message(engine, MSG_DEVICE_OFFLINE, 0, msg, sizeof msg);
    pthread_mutex_lock(&engine->lock);
    engine->status.next_attempt_ms = 0;
    pthread_mutex_unlock(&engine->lock);
    engine_set_state(engine, SYNC_STATE_OFFLINE, SYNC_ERR_NETWORK, msg);
  }
}
