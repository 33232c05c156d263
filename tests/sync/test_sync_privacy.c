/* What the records' subjects are promised (proto/SECURITY.md 4-9), end to end with the real
 * server: answers of an encrypted form are readable nowhere but in the central export (the marker
 * test), while likely duplicates are still found by hash; answers given without consent never
 * leave the device; every delivered record has a signed receipt that the officer, syncctl and the
 * server can check; retention purges answers while keeping the proof. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sample.h"
#include "store_crypto.h"
#include "sync_fixture.h"
#include "test_support.h"

#define DAY_MS 86400000LL

static int64_t wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef fx_world_t world_t;

static int setup(void **state)
{
  return fx_world_setup(state, 6, 41);
}

static int teardown(void **state)
{
  return fx_world_teardown(state);
}

static sync_err_t sync_once(const fx_device_t *d, const fx_server_t *s, sync_status_t *st)
{
  sync_engine_config_t c;
  fx_engine_config(&c, d, s, NULL);
  sync_engine_t *e = NULL;
  char why[512] = "";
  sync_err_t err = sync_engine_new(&c, &e, why, sizeof why);
  if (err != SYNC_OK)
    fail_msg("engine: %s: %s", sync_errname(err), why);
  err = sync_engine_run_once(e);
  sync_status_t local;
  sync_engine_status(e, st ? st : &local);
  sync_engine_free(e);
  return err;
}

/* A sample of the reference form, given with consent and answering `field` (may be NULL), whose
 * consent answer is then set to `consent`. */
static cJSON *sample_with_consent(uint64_t seed, const char *consent, const char *field)
{
  size_t len = 0;
  char *form = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  char err[256];
  sample_gen_t *g = sample_gen_new(form, len, seed, err, sizeof err);
  assert_non_null(g);
  cJSON *found = NULL;
  for (int i = 0; i < 200 && !found; i++) {
    char *text = sample_gen_next(g);
    cJSON *j = cJSON_Parse(text);
    free(text);
    const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(j, "consent"));
    if (c && strcmp(c, "yes") == 0 && (!field || cJSON_GetObjectItem(j, field)))
      found = j;
    else
      cJSON_Delete(j);
  }
  sample_gen_free(g);
  free(form);
  assert_non_null(found);
  cJSON_ReplaceItemInObject(found, "consent", cJSON_CreateString(consent));
  return found;
}

/* ---- the marker test ------------------------------------------------------------------------- */

/* 1 if the file holds `needle`. */
static int file_holds(const char *path, const char *needle)
{
  return ts_file_holds(path, needle, strlen(needle));
}

/* How many files under dir hold needle; *files (may be NULL) counts the files looked at. */
static int files_holding(const char *dir, const char *needle, int *files)
{
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  int holding = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char *path = ts_path(dir, de->d_name);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      holding += files_holding(path, needle, files);
    } else if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
      if (files)
        ++*files;
      holding += file_holds(path, needle);
    }
    free(path);
  }
  closedir(d);
  return holding;
}

/* No file under dir holds the marker in clear; at least one file was looked at, and the same scan
 * does find what is meant to be clear (the record's uuid), so a miss is not the scan's fault. */
static void assert_marker_absent(const char *dir, const char *marker, const char *uuid)
{
  int files = 0;
  if (files_holding(dir, marker, &files) != 0)
    fail_msg("a file under %s holds the marker in clear", dir);
  assert_true(files >= 1);
  assert_true(files_holding(dir, uuid, NULL) >= 1);
}

/* The export line of record uuid (JSON lines), parsed; NULL if absent. */
static cJSON *export_row(const char *jsonl, const char *uuid)
{
  const char *line = jsonl;
  while (line && *line) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    cJSON *j = cJSON_ParseWithLength(line, n);
    const char *u = cJSON_GetStringValue(cJSON_GetObjectItem(j, "uuid"));
    if (u && strcmp(u, uuid) == 0)
      return j;
    cJSON_Delete(j);
    line = end ? end + 1 : NULL;
  }
  return NULL;
}

/* The dedup key of the device's form (read with the passphrase) and the keyed hash of a person,
 * computed here as SECURITY.md 9 defines it: n() of each answer (here: lower case, `-` dropped). */
static void dedup_of(sync_store_t *s, const char *name, const char *dob, const char *sex,
                     char key64[64], char hash[65])
{
  char *def = NULL, msg[160];
  assert_int_equal(sync_form_get_json(s, FX_FORM_ID, 0, &def), SYNC_OK);
  cJSON *form = cJSON_Parse(def);
  sync_free(def);
  const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(form, "duplicate_key"), "key"));
  assert_non_null(k);
  snprintf(key64, 64, "%s", k);
  cJSON_Delete(form);
  unsigned char key[32], h[crypto_generichash_BYTES];
  assert_int_equal(sodium_base642bin(key, sizeof key, key64, strlen(key64), NULL, NULL, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  size_t n = 0;
  for (const char *c = name; *c; c++)
    msg[n++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
  msg[n++] = '\x1f';
  for (const char *c = dob; *c; c++)
    if (*c != '-')
      msg[n++] = *c;
  n += (size_t)snprintf(msg + n, sizeof msg - n, "\x1f%s", sex);
  crypto_generichash(h, sizeof h, (const unsigned char *)msg, n, key, sizeof key);
  sodium_bin2hex(hash, 65, h, sizeof h);
}

static void test_sealed_answers_are_readable_only_in_the_central_export(void **state)
{
  (void)state;
  fx_server_t srv;
  fx_device_t dev;
  assert_int_equal(fx_server_new(&srv), 0);
  char *key = ts_path(srv.dir, "central.key"), *pub = ts_path(srv.dir, "central.key.pub");
  assert_int_equal(fx_syncserver(NULL, "keygen", "--out", key, NULL), 0);
  assert_int_equal(fx_syncserver(NULL, "form", "publish", "--db", srv.db, FX_FORM_PATH, "--seal-to",
                                 pub, "--clear-fields", "province,interview_date,regency_code",
                                 "--dedup-fields", "full_name,dob,sex", NULL), 0);
  assert_int_equal(fx_server_start(&srv), 0);
  assert_int_equal(fx_device_new(&dev), 0);
  char why[512] = "";
  if (fx_enroll(&srv, dev.path, NULL, NULL, why, sizeof why) != SYNC_OK)
    fail_msg("enroll: %s", why);

  /* The device gets the encrypted form by pull. */
  sync_status_t st;
  assert_int_equal(sync_once(&dev, &srv, &st), SYNC_OK);
  assert_true(st.progress.pulled >= 1);

  /* A record whose name is a marker found nowhere else. */
  unsigned char rnd[8];
  char hex[17], marker[40];
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
  snprintf(marker, sizeof marker, "Siti Marker%s", hex);
  cJSON *p = sample_with_consent(51, "yes", "dob");
  cJSON_DeleteItemFromObject(p, "full_name");
  cJSON_AddStringToObject(p, "full_name", marker);
  char *payload = cJSON_PrintUnformatted(p), dob[16], sex[16];
  snprintf(dob, sizeof dob, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(p, "dob")));
  snprintf(sex, sizeof sex, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(p, "sex")));
  cJSON_Delete(p);
  sync_store_t *s = NULL;
  char uuid[SYNC_UUID_STRLEN + 1], twin[SYNC_UUID_STRLEN + 1];
  assert_int_equal(fx_store_open(dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_create(s, FX_FORM_ID, 0, payload, SYNC_STATUS_DRAFT, uuid), SYNC_OK);
  assert_int_equal(sync_record_finalize(s, uuid), SYNC_OK);
  /* The same person interviewed twice: the server sees the pair by hash, never by name. */
  assert_int_equal(sync_record_create(s, FX_FORM_ID, 0, payload, SYNC_STATUS_FINAL, twin), SYNC_OK);
  free(payload);
  assert_int_equal(sync_once(&dev, &srv, &st), SYNC_OK);
  assert_int_equal(st.progress.records_done, 2);
  char *out = NULL;
  assert_int_equal(fx_syncserver(&out, "duplicates", "--db", srv.db, NULL), 0);
  assert_non_null(strstr(out, uuid));
  assert_non_null(strstr(out, twin));
  char key64[64], hash[65];
  dedup_of(s, marker, dob, sex, key64, hash);
  char group[32];
  snprintf(group, sizeof group, "group %.12s", hash);
  assert_non_null(strstr(out, group)); /* the device sent the hash computed here */
  free(out);

  /* The device keeps only the clear part and cannot revise the sealed record. */
  sync_record_t *rec = NULL;
  assert_int_equal(sync_record_get(s, uuid, &rec), SYNC_OK);
  assert_int_equal(sync_record_sealed(rec), 1);
  assert_null(strstr(sync_record_payload(rec), "full_name"));
  assert_non_null(strstr(sync_record_payload(rec), "province"));
  assert_int_equal(sync_record_revise(s, uuid, sync_record_payload(rec)), SYNC_ERR_STATE);
  sync_record_free(rec);
  /* syncctl shows it sealed and passes the library's refusal on. */
  assert_int_equal(fx_syncctl(&out, "--store", dev.path, "record", "get", uuid, NULL), 0);
  cJSON *shown = cJSON_Parse(out);
  free(out);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(shown, "sealed")));
  cJSON_Delete(shown);
  char *clear = ts_path(dev.dir, "clear.json");
  assert_int_equal(fx_write_file(clear, "{}"), 0);
  assert_int_equal(fx_syncctl(&out, "--store", dev.path, "--json", "record", "revise", uuid, clear, NULL), 1);
  assert_non_null(strstr(out, "SYNC_ERR_STATE"));
  free(out);
  free(clear);

  /* Not in any file of the device's store (db, -wal, -shm, -journal) nor of the server, with the
   * device's store still open and after it is closed. */
  assert_marker_absent(dev.dir, marker, uuid);
  assert_marker_absent(srv.dir, marker, uuid);
  sync_store_close(s);
  assert_marker_absent(dev.dir, marker, uuid);
  /* Nor, without the passphrase, the server's dedup key or the person's keyed hash, from which a
   * named person's screening and date of birth could be confirmed (SECURITY.md 5, 9). */
  assert_marker_absent(dev.dir, key64, uuid);
  assert_marker_absent(dev.dir, hash, uuid);
  assert_marker_absent(dev.dir, dob, uuid);
  assert_int_equal(fx_syncserver(&out, "record", "get", "--db", srv.db, uuid, NULL), 0);
  assert_null(strstr(out, marker));
  free(out);

  /* Central staff with the private key read it, exactly. */
  assert_int_equal(fx_syncserver(&out, "export", "--db", srv.db, "--by", "test", "--format", "jsonl",
                                 "--private-key", key, NULL), 0);
  cJSON *row = export_row(out, uuid);
  if (!row)
    fail_msg("record %s not in the export: %s", uuid, out);
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(row, "full_name"));
  if (!name || strcmp(name, marker) != 0)
    fail_msg("the export has full_name '%s', not the marker: %s", name ? name : "(none)", out);
  cJSON_Delete(row);
  free(out);
  /* Without the key: no name. */
  assert_int_equal(fx_syncserver(&out, "export", "--db", srv.db, "--by", "test", "--format", "jsonl",
                                 NULL), 0);
  assert_null(strstr(out, marker));
  free(out);
  free(key);
  free(pub);
  fx_device_destroy(&dev);
  fx_server_destroy(&srv);
}

/* ---- consent --------------------------------------------------------------------------------- */

/* Rewrites the stored answers of (uuid, revision) to `payload`, encrypted as the store writes
 * them: a change the store itself would never make (it minimises every save), as a tampered or
 * older store could hold. */
static void overwrite_revision(const char *store_path, const char *uuid, int64_t revision,
                               const char *payload)
{
  sync_store_t *s = NULL;
  sqlite3_stmt *st = NULL;
  char ad[STORE_AD_MAX];
  assert_int_equal(fx_store_open(store_path, &s), SYNC_OK);
  assert_int_equal(sqlite3_prepare_v2(s->db, "UPDATE record_revisions SET payload = ?1"
                                             " WHERE uuid = ?2 AND revision = ?3", -1, &st, NULL),
                   SQLITE_OK);
  store_value_ad_int(ad, COL_REVISION_PAYLOAD, uuid, revision);
  assert_int_equal(store_value_bind(s, st, 1, ad, payload, (size_t)-1), SYNC_OK);
  sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, revision);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  assert_int_equal(sqlite3_changes(s->db), 1);
  sqlite3_finalize(st);
  sync_store_close(s);
}

static void test_without_consent_only_the_anonymous_context_leaves_the_device(void **state)
{
  world_t *w = *state;
  /* The names of the fields a record without consent may carry. */
  size_t len = 0;
  char *text = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  cJSON *form = cJSON_Parse(text);
  free(text);
  cJSON *allowed = cJSON_CreateObject();
  const cJSON *sec, *f;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItem(form, "sections"))
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(sec, "fields"))
      if (cJSON_IsTrue(cJSON_GetObjectItem(f, "without_consent")))
        cJSON_AddTrueToObject(allowed, cJSON_GetStringValue(cJSON_GetObjectItem(f, "name")));
  cJSON_Delete(form);
  assert_non_null(cJSON_GetObjectItem(allowed, "consent"));

  cJSON *p = sample_with_consent(61, "no", NULL);
  cJSON_DeleteItemFromObject(p, "full_name");
  cJSON_AddStringToObject(p, "full_name", "Nama Tanpa Persetujuan");
  char *payload = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  sync_store_t *s = NULL;
  char uuid[SYNC_UUID_STRLEN + 1], forged[SYNC_UUID_STRLEN + 1];
  sync_record_t *rec = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_create(s, FX_FORM_ID, 1, payload, SYNC_STATUS_FINAL, uuid), SYNC_OK);
  assert_int_equal(sync_record_create(s, FX_FORM_ID, 1, payload, SYNC_STATUS_FINAL, forged), SYNC_OK);
  free(payload);
  assert_int_equal(sync_record_get(s, forged, &rec), SYNC_OK);
  assert_null(strstr(sync_record_payload(rec), "full_name")); /* minimised when saved */
  /* The second one made to carry a name anyway: the engine refuses to send it. */
  cJSON *more = cJSON_Parse(sync_record_payload(rec));
  cJSON_AddStringToObject(more, "full_name", "Nama Tanpa Persetujuan");
  char *named = cJSON_PrintUnformatted(more);
  cJSON_Delete(more);
  int64_t revision = sync_record_revision(rec);
  sync_record_free(rec);
  sync_store_close(s);
  overwrite_revision(w->dev.path, forged, revision, named);
  free(named);
  sync_status_t st;
  assert_int_equal(sync_once(&w->dev, &w->srv, &st), SYNC_OK);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.failed, 1);
  assert_int_equal(ob.pending, 0);
  assert_non_null(strstr(st.message, "1 records were refused"));
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_get(s, forged, &rec), SYNC_OK);
  assert_int_equal(sync_record_delivery(rec), SYNC_DELIVERY_REFUSED);
  /* Refused here, not by the server (which would refuse it too, as invalid_change). */
  if (!strstr(sync_record_refusal(rec), "Tidak dikirim: ada jawaban tanpa persetujuan responden") ||
      !strstr(sync_record_refusal(rec), "Nama lengkap"))
    fail_msg("refusal '%s' is not the device's own", sync_record_refusal(rec));
  sync_record_free(rec);
  sync_store_close(s);
  char *none = NULL;
  assert_true(fx_syncserver(&none, "record", "get", "--db", w->srv.db, forged, NULL) != 0);
  free(none);

  char *out = NULL;
  assert_int_equal(fx_syncserver(&out, "record", "get", "--db", w->srv.db, uuid, NULL), 0);
  cJSON *stored = cJSON_Parse(out);
  free(out);
  assert_non_null(stored);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(stored, "consent")), "no");
  assert_non_null(cJSON_GetObjectItem(stored, "province"));
  const cJSON *a;
  cJSON_ArrayForEach(a, stored)
    if (!cJSON_GetObjectItem(allowed, a->string))
      fail_msg("'%s' reached the server although the respondent did not consent", a->string);
  cJSON_Delete(stored);
  cJSON_Delete(allowed);
}

/* ---- receipts -------------------------------------------------------------------------------- */

static char *first_uuid(const char *store_path)
{
  sync_store_t *s = NULL;
  sync_record_list_t *list = NULL;
  assert_int_equal(fx_store_open(store_path, &s), SYNC_OK);
  assert_int_equal(sync_record_list(s, NULL, &list), SYNC_OK);
  assert_true(sync_record_list_count(list) > 0);
  char *uuid = strdup(sync_record_uuid(sync_record_list_at(list, 0)));
  sync_record_list_free(list);
  sync_store_close(s);
  return uuid;
}

static void test_every_delivered_record_has_a_receipt_that_verifies(void **state)
{
  world_t *w = *state;
  char *uuid = first_uuid(w->dev.path);
  sync_store_t *s = NULL;
  char *receipt = NULL, *enrollment = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_receipt(s, uuid, &receipt), SYNC_ERR_NOT_FOUND);
  sync_store_close(s);
  assert_int_equal(sync_once(&w->dev, &w->srv, NULL), SYNC_OK);
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_receipt(s, uuid, &receipt), SYNC_OK);
  assert_int_equal(sync_store_enrollment(s, &enrollment), SYNC_OK);
  sync_store_close(s);

  cJSON *doc = cJSON_Parse(receipt), *en = cJSON_Parse(enrollment);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "uuid")), uuid);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "device_id")), w->dev.id);
  const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(en, "receipt_key"));
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "receipt_key")), key);
  /* The library, against its own key and the enrolled one; not against another. */
  assert_int_equal(sync_receipt_verify(receipt, NULL), SYNC_OK);
  assert_int_equal(sync_receipt_verify(receipt, key), SYNC_OK);
  assert_int_equal(sync_receipt_verify(receipt, "7DmXO9h/t7Bj7gc+5NrQw5qOXVUECiIhatIpPpVol8g="),
                   SYNC_ERR_CRYPTO);

  /* A copy that claims another revision. */
  cJSON_ReplaceItemInObject(doc, "revision", cJSON_CreateNumber(7));
  char *tampered = cJSON_PrintUnformatted(doc);
  assert_int_equal(sync_receipt_verify(tampered, NULL), SYNC_ERR_CRYPTO);

  /* The server and syncctl agree. */
  char *good_path = ts_path(w->dev.dir, "receipt.json"), *bad_path = ts_path(w->dev.dir, "bad.json");
  assert_int_equal(fx_write_file(good_path, receipt), 0);
  assert_int_equal(fx_write_file(bad_path, tampered), 0);
  assert_int_equal(fx_syncserver(NULL, "verify-receipt", "--db", w->srv.db, good_path, NULL), 0);
  assert_true(fx_syncserver(NULL, "verify-receipt", "--db", w->srv.db, bad_path, NULL) != 0);
  char *out = NULL;
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "record", "receipt", uuid, NULL), 0);
  out[strcspn(out, "\n")] = '\0';
  assert_string_equal(out, receipt);
  free(out);
  assert_int_equal(fx_syncctl(NULL, "receipt", "verify", good_path, "--key", key, NULL), 0);
  /* against the key the store was enrolled with: the real one passes, the tampered one fails */
  assert_int_equal(fx_syncctl(NULL, "--store", w->dev.path, "receipt", "verify", good_path, NULL), 0);
  assert_int_equal(fx_syncctl(NULL, "--store", w->dev.path, "receipt", "verify", bad_path, NULL), 1);

  cJSON_Delete(doc);
  cJSON_Delete(en);
  free(tampered);
  free(good_path);
  free(bad_path);
  sync_free(receipt);
  sync_free(enrollment);
  free(uuid);
}

/* ---- retention ------------------------------------------------------------------------------- */

static void test_retention_purges_answers_and_keeps_the_receipts(void **state)
{
  world_t *w = *state;
  char *uuid = first_uuid(w->dev.path);
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_store_set_retention_days(s, 1), SYNC_OK);
  sync_store_close(s);
  sync_status_t st;
  assert_int_equal(sync_once(&w->dev, &w->srv, &st), SYNC_OK);
  assert_null(strstr(st.message, "purged")); /* fresh receipts: nothing yet */

  int64_t purged = -1;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_store_purge(s, 0, &purged), SYNC_OK);
  assert_int_equal(purged, 0);
  assert_int_equal(sync_store_purge(s, wall_ms() + 2 * DAY_MS, &purged), SYNC_OK);
  assert_int_equal(purged, 6);
  sync_record_t *rec = NULL;
  assert_int_equal(sync_record_get(s, uuid, &rec), SYNC_OK);
  assert_int_equal(sync_record_purged(rec), 1);
  assert_string_equal(sync_record_payload(rec), "{}");
  sync_record_free(rec);
  char *receipt = NULL;
  assert_int_equal(sync_record_receipt(s, uuid, &receipt), SYNC_OK);
  assert_int_equal(sync_receipt_verify(receipt, NULL), SYNC_OK);
  sync_free(receipt);
  sync_store_close(s);
  /* (The engine's own purge after a sync, with receipts old enough: test_sync_bad_server.) */
  free(uuid);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sealed_answers_are_readable_only_in_the_central_export),
    T(test_without_consent_only_the_anonymous_context_leaves_the_device),
    T(test_every_delivered_record_has_a_receipt_that_verifies),
    T(test_retention_purges_answers_and_keeps_the_receipts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
