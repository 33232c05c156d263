/* The sync engine's public face (sync/engine.h): config, construction, status, cancel and
 * run_once. The work is in engine_run.c / engine_push.c; the thread in engine_thread.c. */
#include "engine_internal.h"

#include <sodium.h>
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
  e->server_url = c->server_url && *c->server_url ? dup_url(c->server_url) : NULL;
  e->ca_file = c->ca_file ? strdup(c->ca_file) : NULL;
  e->pinned_pubkey = c->pinned_pubkey ? strdup(c->pinned_pubkey) : NULL;
  if (!e->store_path || (c->server_url && *c->server_url && !e->server_url) ||
      (c->ca_file && !e->ca_file) || (c->pinned_pubkey && !e->pinned_pubkey))
    return SYNC_ERR_NOMEM;
  e->cfg.store_path = e->store_path;
  e->cfg.store_passphrase = NULL; /* used once, by open_store; never kept */
  e->cfg.server_url = e->server_url;
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
  engine_transport_close(&e->transport);
  engine_transport_close(&e->transport2);
  store_sync_free(e->ss);
  sync_store_close(e->store);
  free(e->store_path);
  free(e->server_url);
  sodium_memzero(e->auth_header, sizeof e->auth_header);
  free(e->ca_file);
  free(e->pinned_pubkey);
}

/* Opens the engine's own store handle and reads what the status starts with. */
static sync_err_t open_store(sync_engine_t *e, const char *passphrase, char *errbuf, size_t errlen)
{
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.create = 0;
  o.language = e->language;
  o.passphrase = passphrase;
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
  int64_t pending = 0, bytes = 0, last = 0, refused = 0;
  if ((err = store_outbox_pending(e->ss, &pending, &bytes)) != SYNC_OK ||
      (err = store_outbox_failed_count(e->ss, &refused)) != SYNC_OK ||
      (err = store_state_get_int(e->store, STATE_LAST_SYNC, &last)) != SYNC_OK) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s", sync_store_errmsg(e->store));
    return err;
  }
  e->status.pending = pending;
  e->status.refused = refused;
  e->status.last_success_ms = last;
  return SYNC_OK;
}

/* The credential from the store, and the server URL: the config's (checked by sync_engine_new
 * before the store was opened), else the one the store was enrolled with, checked here. */
static sync_err_t load_enrollment(sync_engine_t *e, char *errbuf, size_t errlen)
{
  char *enrolled = NULL;
  sync_err_t err = engine_load_credential(e, &enrolled, errbuf, errlen);
  if (err || e->server_url) {
    free(enrolled);
    return err;
  }
  e->server_url = dup_url(enrolled);
  e->cfg.server_url = e->server_url;
  free(enrolled);
  if (!e->server_url)
    return SYNC_ERR_NOMEM;
  char why[256] = "";
  if (engine_check_url(e->server_url, e->cfg.allow_plain_http_loopback, why, sizeof why) != SYNC_OK)
    return bad_config(errbuf, errlen, why[0] ? why : "invalid server_url");
  return SYNC_OK;
}

static sync_err_t open_transports(sync_engine_t *e, const sync_transport_t *custom, char *errbuf,
                                  size_t errlen)
{
  transport_curl_opts_t to = {e->ca_file, e->pinned_pubkey, e->cfg.connect_timeout_ms,
                              e->cfg.low_speed_bytes_per_s, e->cfg.low_speed_time_s};
  sync_err_t err = engine_transport_open(custom, &to, &e->transport, errbuf, errlen);
  /* A second connection for pipelined pushes: only with the built-in transport. */
  if (err == SYNC_OK && !custom)
    err = engine_transport_open(NULL, &to, &e->transport2, errbuf, errlen);
  return err;
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
  if (!config->store_passphrase)
    return bad_config(errbuf, errlen, "store_passphrase is required");
  if (config->language && strcmp(config->language, "id") != 0 && strcmp(config->language, "en") != 0)
    return bad_config(errbuf, errlen, "language must be \"id\" or \"en\"");
  char why[256] = "";
  /* A bad URL is refused before the store's key is derived. */
  if (config->server_url && *config->server_url &&
      engine_check_url(config->server_url, config->allow_plain_http_loopback, why, sizeof why))
    return bad_config(errbuf, errlen, why[0] ? why : "invalid server_url");
  if (config->transport && !config->transport->perform)
    return bad_config(errbuf, errlen, "transport->perform is NULL");

  sync_engine_t *e = calloc(1, sizeof *e);
  if (!e)
    return SYNC_ERR_NOMEM;
  sync_err_t err = init_sync_objects(e);
  if (err != SYNC_OK) {
    free(e);
    return err;
  }
  if ((err = copy_config(e, config)) != SYNC_OK)
    goto fail;
  e->budget = e->cfg.batch_initial_bytes;
  e->ratio = ENGINE_INITIAL_RATIO;
  e->online = 1;
  e->status.state = SYNC_STATE_IDLE;
  if ((err = open_store(e, config->store_passphrase, errbuf, errlen)) != SYNC_OK ||
      (err = load_enrollment(e, errbuf, errlen)) != SYNC_OK ||
      (err = open_transports(e, config->transport, errbuf, errlen)) != SYNC_OK)
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
