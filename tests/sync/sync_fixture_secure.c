/* Sync test fixture (sync_fixture.h): the secure setup a deployment uses (the reference form
 * sealed to a central key made now, HTTPS with a test CA and key pin, the device enrolled with a
 * one-time code and given the form by pull), its plain twin, records made as an officer makes
 * them, and the check that central reads every answer of every record. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sync_fixture.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

const char *fx_setup_name(fx_setup_t how)
{
  return how == FX_SECURE ? "sealed, https" : "plain, http";
}

int fx_server_use_tls(fx_server_t *s)
{
  if (ts_make_test_ca(s->dir, &s->pin) != 0)
    return -1;
  s->ca_file = ts_path(s->dir, "ca.pem");
  s->cert_file = ts_path(s->dir, "srv.pem");
  s->key_file = ts_path(s->dir, "srv.key");
  s->tls_cert = s->cert_file;
  s->tls_key = s->key_file;
  return 0;
}

int fx_server_publish_sealed(fx_server_t *s)
{
  s->seal_key = ts_path(s->dir, "central.key");
  char *pub = ts_path(s->dir, "central.key.pub");
  int rc = fx_syncserver(NULL, "keygen", "--out", s->seal_key, NULL) == 0 &&
                   fx_syncserver(NULL, "form", "publish", "--db", s->db, FX_FORM_PATH, "--seal-to",
                                 pub, "--clear-fields", FX_CLEAR_FIELDS, "--dedup-fields",
                                 FX_DEDUP_FIELDS, NULL) == 0
               ? 0
               : -1;
  free(pub);
  return rc;
}

sync_err_t fx_sync_once(const fx_device_t *d, const fx_server_t *s, sync_status_t *st)
{
  sync_engine_config_t c;
  fx_engine_config(&c, d, s, NULL);
  sync_engine_t *e = NULL;
  char why[512] = "";
  sync_err_t err = sync_engine_new(&c, &e, why, sizeof why);
  if (err != SYNC_OK) {
    fprintf(stderr, "fx_sync_once: engine: %s: %s\n", sync_errname(err), why);
    return err;
  }
  err = sync_engine_run_once(e);
  sync_status_t local;
  sync_engine_status(e, st ? st : &local);
  sync_engine_free(e);
  return err;
}

/* One engine run (the device's first sync: it receives the server's form). */
static int first_sync(const fx_device_t *d, const fx_server_t *s)
{
  sync_status_t st;
  sync_err_t err = fx_sync_once(d, s, &st);
  if (err != SYNC_OK)
    fprintf(stderr, "fx_world_create: first sync: %s: %s\n", sync_errname(err), st.message);
  return err == SYNC_OK ? 0 : -1;
}

/* The device's records are sealed exactly when the setup seals: the device holds the server's
 * form, not one of its own. */
static int check_sealed(const char *store_path, int sealed)
{
  sync_store_t *st = NULL;
  sync_record_list_t *list = NULL;
  int ok = fx_store_open(store_path, &st) == SYNC_OK &&
           sync_record_list(st, NULL, &list) == SYNC_OK && sync_record_list_count(list) > 0;
  for (size_t i = 0; ok && i < sync_record_list_count(list); i++)
    ok = sync_record_sealed(sync_record_list_at(list, i)) == sealed;
  sync_record_list_free(list);
  sync_store_close(st);
  if (!ok)
    fprintf(stderr, "fx_world_create: records are not %s\n", sealed ? "sealed" : "in the clear");
  return ok ? 0 : -1;
}

int fx_world_create(fx_device_t *d, fx_server_t *s, fx_setup_t how, size_t n, uint64_t seed,
                    cJSON *kept)
{
  char why[512] = "";
  if (fx_server_new(s) != 0 || fx_device_new(d) != 0)
    return -1;
  int published = how == FX_SECURE
                      ? fx_server_use_tls(s) == 0 && fx_server_publish_sealed(s) == 0
                      : fx_syncserver(NULL, "form", "publish", "--db", s->db, FX_FORM_PATH, NULL) == 0;
  if (!published || fx_server_start(s) != 0)
    return -1;
  if (fx_enroll(s, d->path, s->ca_file, s->pin, why, sizeof why) != SYNC_OK) {
    fprintf(stderr, "fx_world_create: enroll: %s\n", why);
    return -1;
  }
  if (first_sync(d, s) != 0 || (n && fx_add_records_kept(d->path, n, seed, kept) != 0))
    return -1;
  return n ? check_sealed(d->path, how == FX_SECURE) : 0;
}

/* Saves one sample as a draft, keeps its answers as saved (in the cJSON object ctx, may be
 * NULL), finalizes it. */
static sync_err_t add_one(sync_store_t *st, const char *payload, void *ctx)
{
  cJSON *kept = ctx;
  char uuid[SYNC_UUID_STRLEN + 1];
  sync_record_t *r = NULL;
  sync_err_t err = sync_record_create(st, FX_FORM_ID, 1, payload, SYNC_STATUS_DRAFT, uuid);
  if (err == SYNC_OK && kept && (err = sync_record_get(st, uuid, &r)) == SYNC_OK) {
    cJSON *answers = cJSON_Parse(sync_record_payload(r));
    err = answers && cJSON_AddItemToObject(kept, uuid, answers) ? SYNC_OK : SYNC_ERR_NOMEM;
    if (err != SYNC_OK)
      cJSON_Delete(answers);
  }
  sync_record_free(r);
  return err == SYNC_OK ? sync_record_finalize(st, uuid) : err;
}

int fx_add_records_kept(const char *store_path, size_t n, uint64_t seed, cJSON *kept)
{
  return fx_add_samples(store_path, n, seed, add_one, kept);
}

/* The first answer of `saved` that `row` lacks or has otherwise; NULL when all are there. */
static const char *answer_differing(const cJSON *saved, const cJSON *row)
{
  for (const cJSON *a = saved->child; a; a = a->next) {
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(row, a->string);
    if (!b || !cJSON_Compare(a, b, 1))
      return a->string;
  }
  return NULL;
}

int fx_verify_export(const fx_server_t *s, const cJSON *kept, char *why, size_t len)
{
  char *out = NULL;
  int rc = s->seal_key ? fx_syncserver(&out, "export", "--db", s->db, "--by", "fixture", "--format",
                                       "jsonl", "--private-key", s->seal_key, NULL)
                       : fx_syncserver(&out, "export", "--db", s->db, "--by", "fixture", "--format",
                                       "jsonl", NULL);
  int rows = 0, result = -1;
  if (rc != 0) {
    snprintf(why, len, "syncserver export exited %d", rc);
    goto done;
  }
  for (char *line = out, *end; line && *line; line = end ? end + 1 : NULL) {
    end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    if (n == 0)
      continue;
    cJSON *row = cJSON_ParseWithLength(line, n);
    const char *uuid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "uuid"));
    const cJSON *saved = uuid ? cJSON_GetObjectItemCaseSensitive(kept, uuid) : NULL;
    const char *field = saved ? answer_differing(saved, row) : NULL;
    if (!saved || field) {
      snprintf(why, len, "export row %d (%s): %s", rows, uuid ? uuid : "no uuid",
               !saved ? "not a record the device saved" : "an answer differs from the device's: ");
      if (field)
        snprintf(why + strlen(why), len - strlen(why), "%s", field);
      cJSON_Delete(row);
      goto done;
    }
    cJSON_Delete(row);
    rows++;
  }
  if (rows != cJSON_GetArraySize(kept)) {
    snprintf(why, len, "the export has %d records, the device saved %d", rows,
             cJSON_GetArraySize(kept));
    goto done;
  }
  result = 0;
done:
  free(out);
  return result;
}

void fx_linked_open(fx_linked_t *w, fx_setup_t how, size_t n, uint64_t seed, netproxy_opts_t *po)
{
  memset(w, 0, sizeof *w);
  assert_non_null(w->kept = cJSON_CreateObject());
  assert_int_equal(fx_world_create(&w->dev, &w->srv, how, n, seed, w->kept), 0);
  assert_int_equal(fx_proxy_start_to(&w->proxy, po, &w->srv), 0);
}

void fx_linked_close(fx_linked_t *w)
{
  fx_proxy_stop(&w->proxy);
  fx_server_destroy(&w->srv);
  fx_device_destroy(&w->dev);
  cJSON_Delete(w->kept);
}

void fx_linked_verify(const fx_linked_t *w, const char *what)
{
  char why[512] = "";
  if (fx_verify_exactly_once(w->dev.path, w->srv.db, w->dev.id, why, sizeof why) != 0)
    fail_msg("%s: %s", what, why);
  if (fx_verify_export(&w->srv, w->kept, why, sizeof why) != 0)
    fail_msg("%s: central cannot read every answer: %s", what, why);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.pending, 0);
  assert_int_equal(ob.failed, 0);
}
