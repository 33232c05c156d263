/* The sync engine's public face (sync/engine.h): config, construction, status, cancel and
 * run_once. The work is in engine_run.c / engine_push.c; the thread in engine_thread.c. */
#include "engine_internal.h"
#include "transport_curl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The engine's store handle needs little page cache: it streams the outbox once. */
#define ENGINE_STORE_CACHE_KIB 2048

void sync_engine_config_init(sync_engine_config_t *c)
{
  if (!c)
    return;
  memset(c, 0, sizeof *c);
  c->language = "id";
  c->connect_timeout_ms = 15000;
  c->low_speed_bytes_per_s = 64;
  c->low_speed_time_s = 60;
  c->batch_initial_bytes = 64 * 1024;
  c->batch_max_bytes = 1024 * 1024;
  c->max_attempts = 5;
  c->backoff_base_ms = 1000;
  c->backoff_max_ms = 300000;
  c->interval_ms = 15 * 60 * 1000;
  c->pull_page_limit = PROTO_PULL_DEFAULT_LIMIT;
}

static sync_err_t bad_config(char *errbuf, size_t errlen, const char *msg)
{
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "%s", msg);
  return SYNC_ERR_INVALID_ARG;
}

/* A copy of s without a trailing '/', or NULL. */
static char *dup_url(const char *s)
{
  char *d = strdup(s);
  size_t n = d ? strlen(d) : 0;
  while (n > 0 && d[n - 1] == '/')
    d[--n] = '\0';
  return d;
}

static sync_err_t copy_config(sync_engine_t *e, const sync_engine_config_t *c)
{
  e->cfg = *c;
  sync_engine_config_t def;
  sync_engine_config_init(&def);
  /* 0 means the default. */
  if (e->cfg.connect_timeout_ms <= 0) e->cfg.connect_timeout_ms = def.connect_timeout_ms;
  if (e->cfg.low_speed_bytes_per_s <= 0) e->cfg.low_speed_bytes_per_s = def.low_speed_bytes_per_s;
  if (e->cfg.low_speed_time_s <= 0) e->cfg.low_speed_time_s = def.low_speed_time_s;
  if (e->cfg.batch_max_bytes == 0) e->cfg.batch_max_bytes = def.batch_max_bytes;
  if (e->cfg.batch_max_bytes > PROTO_MAX_BODY_WIRE) e->cfg.batch_max_bytes = PROTO_MAX_BODY_WIRE;
  if (e->cfg.batch_max_bytes < ENGINE_MIN_BATCH_BYTES) e->cfg.batch_max_bytes = ENGINE_MIN_BATCH_BYTES;
  if (e->cfg.batch_initial_bytes == 0) e->cfg.batch_initial_bytes = def.batch_initial_bytes;
  if (e->cfg.batch_initial_bytes > e->cfg.batch_max_bytes) e->cfg.batch_initial_bytes = e->cfg.batch_max_bytes;
  if (e->cfg.batch_initial_bytes < ENGINE_MIN_BATCH_BYTES) e->cfg.batch_initial_bytes = ENGINE_MIN_BATCH_BYTES;
  if (e->cfg.max_attempts <= 0) e->cfg.max_attempts = def.max_attempts;
  if (e->cfg.backoff_base_ms <= 0) e->cfg.backoff_base_ms = def.backoff_base_ms;
  if (e->cfg.backoff_max_ms <= 0) e->cfg.backoff_max_ms = def.backoff_max_ms;
  if (e->cfg.interval_ms < 0) e->cfg.interval_ms = 0;
  if (e->cfg.pull_page_limit == 0) e->cfg.pull_page_limit = def.pull_page_limit;
  if (e->cfg.pull_page_limit > PROTO_PULL_MAX_LIMIT) e->cfg.pull_page_limit = PROTO_PULL_MAX_LIMIT;
  snprintf(e->language, sizeof e->language, "%s",
           c->language && strcmp(c->language, "en") == 0 ? "en" : "id");

  e->store_path = strdup(c->store_path);
  e->server_url = dup_url(c->server_url);
  e->device_id = strdup(c->device_id);
  e->device_secret = strdup(c->device_secret);
  e->ca_file = c->ca_file ? strdup(c->ca_file) : NULL;
  e->pinned_pubkey = c->pinned_pubkey ? strdup(c->pinned_pubkey) : NULL;
  if (!e->store_path || !e->server_url || !e->device_id || !e->device_secret ||
      (c->ca_file && !e->ca_file) || (c->pinned_pubkey && !e->pinned_pubkey))
    return SYNC_ERR_NOMEM;
  e->cfg.store_path = e->store_path;
  e->cfg.server_url = e->server_url;
  e->cfg.device_id = e->device_id;
  e->cfg.device_secret = e->device_secret;
  e->cfg.ca_file = e->ca_file;
  e->cfg.pinned_pubkey = e->pinned_pubkey;
  e->cfg.language = e->language;
  e->cfg.transport = NULL;
  return SYNC_OK;
}

static sync_err_t init_sync_objects(sync_engine_t *e)
{
  pthread_condattr_t ca;
  if (pthread_mutex_init(&e->lock, NULL) != 0)
    return SYNC_ERR_INTERNAL;
  if (pthread_mutex_init(&e->run_lock, NULL) != 0) {
    pthread_mutex_destroy(&e->lock);
    return SYNC_ERR_INTERNAL;
  }
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&e->cond, &ca);
  pthread_condattr_destroy(&ca);
  if (rc != 0) {
    pthread_mutex_destroy(&e->run_lock);
    pthread_mutex_destroy(&e->lock);
    return SYNC_ERR_INTERNAL;
  }
  return SYNC_OK;
}

static void free_parts(sync_engine_t *e)
{
  if (e->transport.destroy)
    e->transport.destroy(e->transport.ctx);
  if (e->transport2.destroy)
    e->transport2.destroy(e->transport2.ctx);
  store_sync_free(e->ss);
  sync_store_close(e->store);
  free(e->store_path);
  free(e->server_url);
  if (e->device_secret)
    memset(e->device_secret, 0, strlen(e->device_secret));
  memset(e->auth_header, 0, sizeof e->auth_header);
  free(e->device_id);
  free(e->device_secret);
  free(e->ca_file);
  free(e->pinned_pubkey);
}

/* Opens the engine's own store handle and reads what the status starts with. */
static sync_err_t open_store(sync_engine_t *e, char *errbuf, size_t errlen)
{
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.create = 0;
  o.language = e->language;
  sync_err_t err = sync_store_open(e->store_path, &o, &e->store);
  if (err) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "cannot open the store '%s': %s", e->store_path, sync_strerror(err));
    return err;
  }
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", ENGINE_STORE_CACHE_KIB);
  sqlite3_exec(e->store->db, sql, NULL, NULL, NULL);
  if ((err = store_sync_new(e->store, &e->ss)) != SYNC_OK)
    return err;
  int64_t pending = 0, bytes = 0, last = 0;
  if ((err = store_outbox_pending(e->ss, &pending, &bytes)) != SYNC_OK ||
      (err = store_state_get_int(e->store, STATE_LAST_SYNC, &last)) != SYNC_OK) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s", sync_store_errmsg(e->store));
    return err;
  }
  e->status.pending = pending;
  e->status.last_success_ms = last;
  return SYNC_OK;
}

sync_err_t sync_engine_new(const sync_engine_config_t *config, sync_engine_t **out, char *errbuf,
                           size_t errlen)
{
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!out)
    return bad_config(errbuf, errlen, "out is NULL");
  *out = NULL;
  if (!config)
    return bad_config(errbuf, errlen, "config is NULL");
  if (!config->store_path || !*config->store_path)
    return bad_config(errbuf, errlen, "store_path is required");
  if (!config->server_url || !*config->server_url)
    return bad_config(errbuf, errlen, "server_url is required");
  if (!config->device_id || !config->device_secret)
    return bad_config(errbuf, errlen, "device_id and device_secret are required");
  if (config->language && strcmp(config->language, "id") != 0 && strcmp(config->language, "en") != 0)
    return bad_config(errbuf, errlen, "language must be \"id\" or \"en\"");
  char why[256] = "";
  sync_err_t err = engine_check_url(config->server_url, config->allow_plain_http_loopback, why, sizeof why);
  if (err)
    return bad_config(errbuf, errlen, why[0] ? why : "invalid server_url");
  char auth[128];
  if (proto_auth_format(config->device_id, config->device_secret, auth, sizeof auth) != SYNC_OK)
    return bad_config(errbuf, errlen, "device_id must be a lower-case UUID and device_secret 43 "
                      "characters of base64url (as printed by the server)");

  sync_engine_t *e = calloc(1, sizeof *e);
  if (!e)
    return SYNC_ERR_NOMEM;
  if ((err = init_sync_objects(e)) != SYNC_OK) {
    free(e);
    return err;
  }
  snprintf(e->auth_header, sizeof e->auth_header, "Authorization: %s", auth);
  memset(auth, 0, sizeof auth);
  if ((err = copy_config(e, config)) != SYNC_OK)
    goto fail;
  e->budget = e->cfg.batch_initial_bytes;
  e->ratio = ENGINE_INITIAL_RATIO;
  e->online = 1;
  e->status.state = SYNC_STATE_IDLE;
  if (config->transport) {
    if (!config->transport->perform) {
      err = bad_config(errbuf, errlen, "transport->perform is NULL");
      goto fail;
    }
    e->transport = *config->transport;
  } else {
    transport_curl_opts_t to = {e->ca_file, e->pinned_pubkey, e->cfg.connect_timeout_ms,
                                e->cfg.low_speed_bytes_per_s, e->cfg.low_speed_time_s};
    if ((err = transport_curl_new(&to, &e->transport, errbuf, errlen)) != SYNC_OK ||
        (err = transport_curl_new(&to, &e->transport2, errbuf, errlen)) != SYNC_OK)
      goto fail;
  }
  if ((err = open_store(e, errbuf, errlen)) != SYNC_OK)
    goto fail;
  *out = e;
  return SYNC_OK;
fail:
  free_parts(e);
  pthread_cond_destroy(&e->cond);
  pthread_mutex_destroy(&e->run_lock);
  pthread_mutex_destroy(&e->lock);
  free(e);
  return err;
}

void sync_engine_free(sync_engine_t *engine)
{
  if (!engine)
    return;
  sync_engine_stop(engine);
  /* A run_once on another thread must end before the handle goes. */
  sync_engine_cancel(engine);
  pthread_mutex_lock(&engine->run_lock);
  pthread_mutex_unlock(&engine->run_lock);
  free_parts(engine);
  pthread_cond_destroy(&engine->cond);
  pthread_mutex_destroy(&engine->run_lock);
  pthread_mutex_destroy(&engine->lock);
  free(engine);
}

sync_err_t sync_engine_run_once(sync_engine_t *engine)
{
  if (!engine)
    return SYNC_ERR_INVALID_ARG;
  pthread_mutex_lock(&engine->run_lock);
  pthread_mutex_lock(&engine->lock);
  engine->cancel = 0;
  pthread_mutex_unlock(&engine->lock);
  sync_err_t err = engine_sync(engine, 1, NULL);
  pthread_mutex_unlock(&engine->run_lock);
  return err;
}

void sync_engine_cancel(sync_engine_t *engine)
{
  if (!engine)
    return;
  pthread_mutex_lock(&engine->lock);
  engine->cancel = 1;
  pthread_cond_broadcast(&engine->cond);
  pthread_mutex_unlock(&engine->lock);
}

void sync_engine_status(sync_engine_t *engine, sync_status_t *out)
{
  if (!out)
    return;
  if (!engine) {
    memset(out, 0, sizeof *out);
    out->state = SYNC_STATE_STOPPED;
    return;
  }
  pthread_mutex_lock(&engine->lock);
  *out = engine->status;
  pthread_mutex_unlock(&engine->lock);
}

const char *sync_state_name(sync_state_t state)
{
  switch (state) {
  case SYNC_STATE_IDLE: return "idle";
  case SYNC_STATE_OFFLINE: return "offline";
  case SYNC_STATE_CONNECTING: return "connecting";
  case SYNC_STATE_PUSHING: return "pushing";
  case SYNC_STATE_PULLING: return "pulling";
  case SYNC_STATE_ERROR: return "error";
  case SYNC_STATE_STOPPED: return "stopped";
  }
  return "unknown";
}
