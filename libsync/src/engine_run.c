/* One sync (PROTOCOL.md 7): whoami when needed, push until the outbox is empty, pull until
 * caught up; retries with exponential backoff and full jitter, honouring Retry-After. */
#include "engine_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_AFTER_MAX_MS (24LL * 3600 * 1000)

int64_t engine_mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int engine_cancelled(sync_engine_t *e)
{
  return e->cancel != 0;
}

int engine_sleep(sync_engine_t *e, int64_t ms)
{
  int64_t deadline = engine_mono_ms() + ms;
  struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
  int interrupted = 0;
  pthread_mutex_lock(&e->lock);
  while (!(interrupted = e->cancel || e->stop_requested)) {
    if (pthread_cond_timedwait(&e->cond, &e->lock, &ts) == ETIMEDOUT)
      break;
  }
  pthread_mutex_unlock(&e->lock);
  return interrupted;
}

/* random(0, min(max, base * 2^n)), at least Retry-After. */
static int64_t backoff_ms(sync_engine_t *e, const engine_fail_t *f)
{
  int64_t cap = e->cfg.backoff_base_ms;
  for (int i = 0; i < e->failures && cap < e->cfg.backoff_max_ms; i++)
    cap *= 2;
  if (cap > e->cfg.backoff_max_ms)
    cap = e->cfg.backoff_max_ms;
  int64_t delay = cap > 0 ? (int64_t)((double)cap * ((double)randombytes_random() / 4294967295.0)) : 0;
  if (f->retry_after_ms > delay)
    delay = f->retry_after_ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : f->retry_after_ms;
  return delay;
}

/* ---- whoami and pull ------------------------------------------------------------------------- */

static sync_err_t whoami(sync_engine_t *e, engine_fail_t *fail)
{
  engine_reply_t reply;
  sync_err_t err = engine_http(e, "GET", PROTO_PATH_WHOAMI, NULL, 0, 0, &reply, fail);
  if (err)
    return err;
  proto_whoami_t *w = NULL;
  proto_diag_t diag;
  err = proto_whoami_decode(reply.body, reply.len, &w, &diag);
  engine_reply_free(&reply);
  if (err) {
    return engine_fail_set(fail, err == SYNC_ERR_NOMEM ? err : SYNC_ERR_PROTOCOL, 1,
                           "whoami response: %s", diag.msg);
  }
  int same = strcmp(w->device_id, e->device_id) == 0;
  int64_t expires = w->credential_expires_at;
  proto_whoami_free(w);
  if (!same)
    return engine_fail_set(fail, SYNC_ERR_PROTOCOL, 0, "the server says this credential belongs "
                           "to another device");
  e->whoami_ok = 1;
  (void)store_state_set(e->store, STATE_WHOAMI, e->device_id);
  (void)store_state_set_int(e->store, STATE_CRED_EXPIRES, expires);
  return SYNC_OK;
}

/* GET /v1/forms/{id}/{version} for a form a record item needs but the store lacks. */
static sync_err_t fetch_form(sync_engine_t *e, const char *form_id, int version, char **def,
                             engine_fail_t *fail)
{
  char path[160];
  engine_reply_t reply;
  snprintf(path, sizeof path, "%s/%s/%d", PROTO_PATH_FORMS, form_id, version);
  *def = NULL;
  sync_err_t err = engine_http(e, "GET", path, NULL, 0, 0, &reply, fail);
  if (err)
    return err;
  *def = reply.body;
  return SYNC_OK;
}

typedef struct fetched_form {
  char form_id[PROTO_FORM_ID_MAX + 1];
  int version;
  char *definition;
} fetched_form_t;

/* Forms that record items of the page need and neither the store nor the page has. */
static sync_err_t prefetch_forms(sync_engine_t *e, const proto_pull_resp_t *page,
                                 fetched_form_t **out, size_t *n_out, engine_fail_t *fail)
{
  fetched_form_t *list = NULL;
  size_t n = 0;
  *out = NULL;
  *n_out = 0;
  for (size_t i = 0; i < page->n_items; i++) {
    const proto_pull_item_t *it = &page->items[i];
    if (it->kind != PROTO_ITEM_RECORD)
      continue;
    const proto_change_t *c = &it->record;
    int have = 0;
    for (size_t j = 0; j < page->n_items && !have; j++)
      have = page->items[j].kind == PROTO_ITEM_FORM && page->items[j].form.version == c->form_version &&
             strcmp(page->items[j].form.form_id, c->form_id) == 0;
    for (size_t j = 0; j < n && !have; j++)
      have = list[j].version == c->form_version && strcmp(list[j].form_id, c->form_id) == 0;
    sync_err_t err = SYNC_OK;
    if (!have && (err = store_apply_has_form(e->ss, c->form_id, c->form_version, &have)) != SYNC_OK) {
      engine_fail_store(e, fail, err);
      goto fail;
    }
    if (have)
      continue;
    fetched_form_t *nl = realloc(list, (n + 1) * sizeof *nl);
    if (!nl) {
      err = engine_fail_set(fail, SYNC_ERR_NOMEM, 0, "out of memory");
      goto fail;
    }
    list = nl;
    snprintf(list[n].form_id, sizeof list[n].form_id, "%s", c->form_id);
    list[n].version = c->form_version;
    if ((err = fetch_form(e, c->form_id, c->form_version, &list[n].definition, fail)) != SYNC_OK) {
      if (fail->http_status == 404) {
        list[n].definition = NULL; /* the record item will wait aside */
      } else {
        goto fail;
      }
    }
    n++;
  }
  *out = list;
  *n_out = n;
  return SYNC_OK;
fail:
  for (size_t j = 0; j < n; j++)
    free(list[j].definition);
  free(list);
  return fail->err;
}

static void warn(sync_engine_t *e, const char *text)
{
  if (!text[0])
    return;
  e->run.warnings++;
  (void)store_state_set(e->store, STATE_WARNING, text);
}

/* Applies one page and its cursor in one transaction. */
static sync_err_t apply_page(sync_engine_t *e, const proto_pull_resp_t *page,
                             const fetched_form_t *forms, size_t n_forms, engine_fail_t *fail)
{
  int64_t pulled = 0, applied = 0, requeued = 0;
  char warning[400];
  sync_err_t err = store_sync_begin(e->ss);
  form_applied_t fa;
  for (size_t i = 0; err == SYNC_OK && i < n_forms; i++) {
    if (forms[i].definition &&
        (err = store_apply_form(e->ss, forms[i].form_id, forms[i].version, NULL,
                                forms[i].definition, &fa, warning, sizeof warning)) == SYNC_OK) {
      requeued += fa.requeued;
      warn(e, warning);
    }
  }
  for (size_t i = 0; err == SYNC_OK && i < page->n_items; i++) {
    const proto_pull_item_t *it = &page->items[i];
    warning[0] = '\0';
    if (it->kind == PROTO_ITEM_FORM) {
      err = store_apply_form(e->ss, it->form.form_id, it->form.version, it->form.sha256,
                             it->form.definition, &fa, warning, sizeof warning);
      pulled += fa.added || fa.replaced;
      requeued += fa.requeued;
    } else {
      apply_result_t res;
      err = store_apply_remote(e->ss, &it->record, &res, warning, sizeof warning);
      pulled += res == APPLY_HEAD;
    }
    if (err == SYNC_OK)
      warn(e, warning);
  }
  if (err == SYNC_OK)
    err = store_apply_recheck_aside(e->ss, &applied);
  if (err == SYNC_OK)
    err = store_state_set(e->store, STATE_CURSOR, page->next_cursor);
  if (err == SYNC_OK)
    err = store_sync_commit(e->ss);
  else
    store_sync_rollback(e->ss);
  if (err)
    return engine_fail_store(e, fail, err);
  e->run.progress.pulled += pulled + applied;
  e->run.requeued += requeued;
  return SYNC_OK;
}

static sync_err_t pull(sync_engine_t *e, engine_fail_t *fail)
{
  char msg[256];
  engine_message(e, MSG_PULLING, 0, msg, sizeof msg);
  engine_set_state(e, SYNC_STATE_PULLING, SYNC_OK, msg);
  for (int pages = 0;; pages++) {
    if (engine_cancelled(e))
      return engine_fail_set(fail, SYNC_ERR_CANCELLED, 0, "cancelled");
    char cursor[PROTO_CURSOR_MAX + 1] = "", path[PROTO_CURSOR_MAX + 64];
    sync_err_t err = store_state_get(e->store, STATE_CURSOR, cursor, sizeof cursor);
    if (err != SYNC_OK && err != SYNC_ERR_NOT_FOUND)
      return engine_fail_store(e, fail, err);
    if (cursor[0] && !proto_cursor_valid(cursor))
      cursor[0] = '\0';
    snprintf(path, sizeof path, "%s?limit=%zu%s%s", PROTO_PATH_PULL, e->cfg.pull_page_limit,
             cursor[0] ? "&cursor=" : "", cursor);
    engine_reply_t reply;
    if ((err = engine_http(e, "GET", path, NULL, 0, 0, &reply, fail)) != SYNC_OK)
      return err;
    proto_pull_resp_t *page = NULL;
    proto_diag_t diag;
    err = proto_pull_resp_decode(reply.body, reply.len, &page, &diag);
    engine_reply_free(&reply);
    if (err)
      return engine_fail_set(fail, err == SYNC_ERR_NOMEM ? err : SYNC_ERR_PROTOCOL,
                             err != SYNC_ERR_NOMEM, "pull response: %s", diag.msg);
    fetched_form_t *forms = NULL;
    size_t n_forms = 0;
    err = prefetch_forms(e, page, &forms, &n_forms, fail);
    if (err == SYNC_OK)
      err = apply_page(e, page, forms, n_forms, fail);
    for (size_t i = 0; i < n_forms; i++)
      free(forms[i].definition);
    free(forms);
    int more = page->more;
    proto_pull_resp_free(page);
    if (err)
      return err;
    e->failures = 0;
    engine_progress(e, 0);
    if (!more)
      return SYNC_OK;
  }
}

/* ---- a run ----------------------------------------------------------------------------------- */

static sync_err_t begin_run(sync_engine_t *e, engine_fail_t *fail)
{
  memset(&e->run, 0, sizeof e->run);
  sync_err_t err = store_outbox_max_seq(e->ss, &e->run.start_seq);
  if (err == SYNC_OK)
    err = store_outbox_pending(e->ss, &e->run.pending0, &e->run.bytes0);
  if (err)
    return engine_fail_store(e, fail, err);
  e->run.progress.records_total = e->run.pending0;
  e->run.progress.bytes_total = e->run.bytes0;
  e->run.progress.upload_bytes_per_s = (int64_t)e->link.bps; /* what earlier runs measured */
  (void)store_state_set_int(e->store, STATE_LAST_ATTEMPT, store_now_ms());
  return SYNC_OK;
}

static sync_err_t attempt(sync_engine_t *e, engine_fail_t *fail)
{
  char msg[256];
  engine_message(e, MSG_CONNECTING, 0, msg, sizeof msg);
  engine_set_state(e, SYNC_STATE_CONNECTING, SYNC_OK, msg);
  sync_err_t err;
  if (!e->whoami_ok && (err = whoami(e, fail)) != SYNC_OK)
    return err;
  if ((err = engine_push(e, fail)) != SYNC_OK || (err = pull(e, fail)) != SYNC_OK)
    return err;
  /* The server's form set records going again (store_records_fit_form): send them now rather
   * than at the next sync. */
  if (e->run.requeued > 0 && (err = engine_push(e, fail)) == SYNC_OK)
    e->run.requeued = 0;
  return err;
}

/* What people read about a failure, and the state it leaves. */
static sync_state_t describe_failure(sync_engine_t *e, const engine_fail_t *f, int will_retry,
                                     int64_t delay_ms, char *msg, size_t len)
{
  long long secs = (delay_ms + 999) / 1000;
  if (f->err == SYNC_ERR_CANCELLED) {
    engine_message(e, MSG_CANCELLED, 0, msg, len);
    return SYNC_STATE_IDLE;
  }
  if (f->retryable) {
    engine_msg_t m;
    if (f->err == SYNC_ERR_NETWORK)
      m = will_retry ? MSG_RETRY_OFFLINE : MSG_GAVE_UP_OFFLINE;
    else if (f->err == SYNC_ERR_CRYPTO)
      m = will_retry ? MSG_RETRY_TLS : MSG_GAVE_UP_TLS;
    else if (f->err == SYNC_ERR_PROTOCOL)
      m = will_retry ? MSG_RETRY_BAD_REPLY : MSG_GAVE_UP_BAD_REPLY;
    else if (f->http_status == 429 || f->http_status == 503)
      m = will_retry ? MSG_RETRY_BUSY : MSG_GAVE_UP_SERVER;
    else
      m = will_retry ? MSG_RETRY_SERVER : MSG_GAVE_UP_SERVER;
    engine_message(e, m, secs, msg, len);
    return SYNC_STATE_OFFLINE;
  }
  engine_msg_t m = MSG_PROTOCOL;
  if (f->err == SYNC_ERR_REVOKED || f->code == PROTO_E_DEVICE_REVOKED)
    m = MSG_REVOKED;
  else if (f->code == PROTO_E_CREDENTIAL_EXPIRED)
    m = MSG_EXPIRED;
  else if (f->code == PROTO_E_FORBIDDEN)
    m = MSG_FORBIDDEN;
  else if (f->err == SYNC_ERR_AUTH)
    m = MSG_AUTH;
  else if (f->err == SYNC_ERR_CRYPTO)
    m = MSG_RECEIPT_SIGNATURE;
  else if (f->code == PROTO_E_NONE && f->http_status == 0 && f->err != SYNC_ERR_PROTOCOL)
    m = MSG_STORE;
  engine_message(e, m, 0, msg, len);
  /* The server's own words add what we cannot know (e.g. which versions it speaks). */
  if ((m == MSG_PROTOCOL || m == MSG_FORBIDDEN) && f->server_msg[0]) {
    size_t n = strlen(msg);
    snprintf(msg + n, len - n, " (%s)", f->server_msg);
  }
  return SYNC_STATE_ERROR;
}

static void record_failure(sync_engine_t *e, const engine_fail_t *f)
{
  (void)store_state_set(e->store, STATE_LAST_ERROR, f->detail);
  (void)store_state_set(e->store, STATE_LAST_ERROR_CODE, sync_errname(f->err));
  if (f->err == SYNC_ERR_AUTH || f->err == SYNC_ERR_REVOKED) {
    e->whoami_ok = 0;
    (void)store_state_delete(e->store, STATE_WHOAMI);
  }
}

/* After a complete sync: records past the retention lose their answers (SECURITY.md 8). A purge
 * that fails leaves the records as they were and is tried again after the next sync. */
static int64_t purge(sync_engine_t *e)
{
  int64_t purged = 0;
  if (sync_store_purge(e->store, 0, &purged) != SYNC_OK) {
    char text[400];
    snprintf(text, sizeof text, "retention purge failed: %s", sync_store_errmsg(e->store));
    (void)store_state_set(e->store, STATE_WARNING, text);
    return 0;
  }
  return purged;
}

static void finish_success(sync_engine_t *e)
{
  int64_t now = store_now_ms(), failed = 0, purged = purge(e), pending = 0, bytes = 0;
  (void)store_state_set_int(e->store, STATE_LAST_SYNC, now);
  (void)store_state_set(e->store, STATE_LAST_ERROR, "");
  (void)store_state_delete(e->store, STATE_LAST_ERROR_CODE);
  (void)store_outbox_failed_count(e->ss, &failed);
  (void)store_outbox_pending(e->ss, &pending, &bytes);
  char msg[256] = "";
  if (failed > 0)
    engine_message(e, MSG_REJECTED, failed, msg, sizeof msg);
  if (purged > 0) {
    size_t n = strlen(msg);
    if (n && n + 1 < sizeof msg)
      msg[n++] = ' ';
    engine_message(e, MSG_PURGED, purged, msg + n, sizeof msg - n);
  }
  engine_progress(e, 0);
  /* The run's own count cannot see what others queued or superseded meanwhile: the store's. */
  pthread_mutex_lock(&e->lock);
  e->status.last_success_ms = now;
  e->status.next_attempt_ms = 0;
  e->status.pending = pending;
  e->status.refused = failed;
  pthread_mutex_unlock(&e->lock);
  engine_set_state(e, SYNC_STATE_IDLE, SYNC_OK, msg);
}

sync_err_t engine_sync(sync_engine_t *e, int retry_inline, int64_t *retry_in_ms)
{
  engine_fail_t fail;
  char msg[256];
  if (retry_in_ms)
    *retry_in_ms = -1;
  sync_err_t err = begin_run(e, &fail);
  if (err == SYNC_OK) {
    engine_progress(e, 1);
    if (!e->whoami_ok) {
      char who[PROTO_UUID_LEN + 1] = "";
      e->whoami_ok = store_state_get(e->store, STATE_WHOAMI, who, sizeof who) == SYNC_OK &&
                     strcmp(who, e->device_id) == 0;
    }
  }
  while (err == SYNC_OK) {
    if ((err = attempt(e, &fail)) == SYNC_OK) {
      e->failures = 0;
      finish_success(e);
      return SYNC_OK;
    }
    if (fail.err == SYNC_ERR_CANCELLED || !fail.retryable)
      break;
    e->failures++;
    int64_t delay = backoff_ms(e, &fail);
    int again = retry_inline && e->failures < e->cfg.max_attempts;
    record_failure(e, &fail);
    sync_state_t st = describe_failure(e, &fail, again || !retry_inline, delay, msg, sizeof msg);
    pthread_mutex_lock(&e->lock);
    e->status.next_attempt_ms = again || !retry_inline ? store_now_ms() + delay : 0;
    pthread_mutex_unlock(&e->lock);
    engine_progress(e, 0);
    engine_set_state(e, st, fail.err, msg);
    if (!again) {
      if (retry_in_ms && !retry_inline)
        *retry_in_ms = delay;
      return fail.err;
    }
    if (engine_sleep(e, delay)) {
      engine_fail_set(&fail, SYNC_ERR_CANCELLED, 0, "cancelled");
      break;
    }
    err = SYNC_OK;
  }
  if (fail.err != SYNC_ERR_CANCELLED)
    record_failure(e, &fail);
  sync_state_t st = describe_failure(e, &fail, 0, 0, msg, sizeof msg);
  pthread_mutex_lock(&e->lock);
  e->status.next_attempt_ms = 0;
  pthread_mutex_unlock(&e->lock);
  engine_progress(e, 0);
  engine_set_state(e, st, fail.err, msg);
  return fail.err;
}
