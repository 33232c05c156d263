/* Enrollment and authentication against the real server (proto/SECURITY.md 2, 7): a revoked
 * device and an expired credential are refused and stop the engine saying which, with nothing
 * lost; an unknown device or a wrong secret is refused; an enrollment code works once; receipts
 * whose signature does not verify against the enrolled key acknowledge nothing. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sync.h"
#include "sync_fixture.h"

typedef fx_world_t world_t;

static int setup(void **state)
{
  return fx_world_setup(state, 12, 31);
}

static int teardown(void **state)
{
  return fx_world_teardown(state);
}

/* One run_once of device d; the status in *st. */
static sync_err_t sync_once(const world_t *w, const fx_device_t *d, const char *lang, sync_status_t *st)
{
  sync_engine_config_t c;
  fx_engine_config(&c, d, &w->srv, NULL);
  c.language = lang;
  sync_engine_t *e = NULL;
  char why[512] = "";
  sync_err_t err = sync_engine_new(&c, &e, why, sizeof why);
  if (err != SYNC_OK)
    fail_msg("engine: %s: %s", sync_errname(err), why);
  err = sync_engine_run_once(e);
  sync_engine_status(e, st);
  sync_engine_free(e);
  return err;
}

static void assert_outbox(const char *path, int64_t pending, int64_t acked)
{
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(path, &ob), 0);
  assert_int_equal(ob.pending, pending);
  assert_int_equal(ob.acked, acked);
  assert_int_equal(ob.failed, 0);
}

static void assert_refused(sync_err_t got, const sync_status_t *st, sync_err_t want, const char *words)
{
  assert_int_equal(got, want);
  assert_int_equal(st->state, SYNC_STATE_ERROR);
  assert_int_equal(st->last_error, want);
  if (!strstr(st->message, words))
    fail_msg("message '%s' lacks '%s'", st->message, words);
  assert_int_equal(st->progress.requests, 1); /* never retried with the same credential */
}

static void test_revoked_device_is_refused_for_push_and_pull_and_loses_nothing(void **state)
{
  world_t *w = *state;
  sync_status_t st;
  assert_int_equal(sync_once(w, &w->dev, "en", &st), SYNC_OK);
  assert_outbox(w->dev.path, 0, 12);
  assert_int_equal(fx_syncserver(NULL, "device", "revoke", "--db", w->srv.db, w->dev.id, NULL), 0);

  /* Nothing to push: the pull is refused. */
  assert_refused(sync_once(w, &w->dev, "en", &st), &st, SYNC_ERR_REVOKED, "revoked");
  /* New records wait; the push is refused; nothing is acknowledged or lost. */
  assert_int_equal(fx_add_records(w->dev.path, 4, 32), 0);
  assert_refused(sync_once(w, &w->dev, "id", &st), &st, SYNC_ERR_REVOKED, "dicabut");
  assert_outbox(w->dev.path, 4, 12);
  assert_int_equal(st.pending, 4);

  /* Re-admitted with a new code: everything goes. */
  char why[512];
  if (fx_enroll(&w->srv, w->dev.path, NULL, NULL, why, sizeof why) != SYNC_OK)
    fail_msg("re-enroll: %s", why);
  assert_int_equal(sync_once(w, &w->dev, "en", &st), SYNC_OK);
  assert_outbox(w->dev.path, 0, 16);
}

/* Sets the device's credential expiry on the server (ms). */
static void expire_on_server(const world_t *w, int64_t at_ms)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open(w->srv.db, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  assert_int_equal(sqlite3_prepare_v2(db, "UPDATE devices SET credential_expires_at = ?1"
                                          " WHERE device_id = ?2", -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_int64(st, 1, at_ms);
  sqlite3_bind_text(st, 2, w->dev.id, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  assert_int_equal(sqlite3_changes(db), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void test_expired_credential_is_refused_saying_so(void **state)
{
  world_t *w = *state;
  sync_status_t st;
  expire_on_server(w, 1000);
  assert_refused(sync_once(w, &w->dev, "id", &st), &st, SYNC_ERR_AUTH, "kedaluwarsa");
  assert_refused(sync_once(w, &w->dev, "en", &st), &st, SYNC_ERR_AUTH, "expired");
  assert_outbox(w->dev.path, 12, 0);
  char why[512];
  if (fx_enroll(&w->srv, w->dev.path, NULL, NULL, why, sizeof why) != SYNC_OK)
    fail_msg("re-enroll: %s", why);
  assert_int_equal(sync_once(w, &w->dev, "en", &st), SYNC_OK);
  assert_outbox(w->dev.path, 0, 12);
}

/* Copies one sync_state value (secret or not) from store a to store b. */
static void copy_state(sync_store_t *a, sync_store_t *b, const char *key, int secret)
{
  char buf[512];
  if (secret) {
    assert_int_equal(store_state_get_secret(a, key, buf, sizeof buf), SYNC_OK);
    assert_int_equal(store_state_set_secret(b, key, buf), SYNC_OK);
  } else {
    assert_int_equal(store_state_get(a, key, buf, sizeof buf), SYNC_OK);
    assert_int_equal(store_state_set(b, key, buf), SYNC_OK);
  }
}

static void test_unknown_device_or_wrong_secret_is_refused(void **state)
{
  world_t *w = *state;
  fx_device_t other;
  assert_int_equal(fx_device_create(&other, 3, 33), 0);
  sync_store_t *a = NULL, *b = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &a), SYNC_OK);
  assert_int_equal(fx_store_open(other.path, &b), SYNC_OK);
  static const char *const plain[] = {STATE_SERVER_URL, STATE_DEVICE_ID, STATE_SERVER_ID,
                                      STATE_RECEIPT_KEY};
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
    copy_state(a, b, plain[i], 0);
  copy_state(a, b, STATE_SECRET, 1);
  sync_store_close(b);

  /* Another device's credential copied into this store: refused before anything is sent. */
  sync_engine_config_t c;
  fx_engine_config(&c, &other, &w->srv, NULL);
  sync_engine_t *e = NULL;
  char why[512] = "";
  assert_int_equal(sync_engine_new(&c, &e, why, sizeof why), SYNC_ERR_NOT_ENROLLED);
  assert_non_null(strstr(why, "another device"));

  /* This store's own id with the other's secret: the server does not know the device. */
  assert_int_equal(fx_store_open(other.path, &b), SYNC_OK);
  assert_int_equal(store_state_set(b, STATE_DEVICE_ID, other.id), SYNC_OK);
  sync_store_close(b);
  sync_status_t st;
  assert_refused(sync_once(w, &other, "en", &st), &st, SYNC_ERR_AUTH, "unknown credential");
  assert_outbox(other.path, 3, 0);

  /* The enrolled device with a wrong secret: the same. */
  assert_int_equal(store_state_set_secret(a, STATE_SECRET, "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"),
                   SYNC_OK);
  sync_store_close(a);
  assert_refused(sync_once(w, &w->dev, "en", &st), &st, SYNC_ERR_AUTH, "unknown credential");
  assert_outbox(w->dev.path, 12, 0);
  fx_device_destroy(&other);
}

static void test_an_enrollment_code_works_once(void **state)
{
  world_t *w = *state;
  fx_device_t a, b;
  assert_int_equal(fx_device_new(&a), 0);
  assert_int_equal(fx_device_new(&b), 0);
  char code[16], why[512] = "";
  assert_int_equal(fx_enroll_code(&w->srv, code, sizeof code), 0);
  sync_store_t *sa = NULL, *sb = NULL;
  assert_int_equal(fx_store_open(a.path, &sa), SYNC_OK);
  assert_int_equal(fx_store_open(b.path, &sb), SYNC_OK);
  sync_enroll_config_t c;
  sync_enroll_config_init(&c);
  c.server_url = w->srv.url;
  c.allow_plain_http_loopback = 1;
  c.language = "en";

  /* Typed loosely (lower case, spaces): still the same code. */
  char typed[32];
  snprintf(typed, sizeof typed, " %.4s %.4s-%.4s ", code, code + 5, code + 10);
  for (char *p = typed; *p; p++)
    *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  c.code = typed;
  if (sync_enroll(sa, &c, why, sizeof why) != SYNC_OK)
    fail_msg("enroll: %s", why);
  char *json = NULL;
  assert_int_equal(sync_store_enrollment(sa, &json), SYNC_OK);
  assert_non_null(strstr(json, a.id));
  assert_non_null(strstr(json, "Polres Ponorogo"));
  assert_null(strstr(json, "secret"));
  sync_free(json);

  /* The same code on another device: refused in plain words, nothing saved. */
  c.code = code;
  assert_int_equal(sync_enroll(sb, &c, why, sizeof why), SYNC_ERR_AUTH);
  assert_non_null(strstr(why, "unknown, already used, or expired"));
  c.language = "id";
  assert_int_equal(sync_enroll(sb, &c, why, sizeof why), SYNC_ERR_AUTH);
  assert_non_null(strstr(why, "sudah dipakai"));
  assert_int_equal(sync_store_enrollment(sb, &json), SYNC_ERR_NOT_ENROLLED);
  /* Nor again on the first. */
  assert_int_equal(sync_enroll(sa, &c, why, sizeof why), SYNC_ERR_AUTH);
  /* Not a code at all: refused without asking the server. */
  c.code = "12345";
  assert_int_equal(sync_enroll(sb, &c, why, sizeof why), SYNC_ERR_INVALID_ARG);
  sync_store_close(sa);
  sync_store_close(sb);
  fx_device_destroy(&a);
  fx_device_destroy(&b);
}

static void set_receipt_key(const char *path, const char *b64)
{
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(path, &s), SYNC_OK);
  assert_int_equal(store_state_set(s, STATE_RECEIPT_KEY, b64), SYNC_OK);
  sync_store_close(s);
}

static void test_receipts_not_signed_by_the_enrolled_key_acknowledge_nothing(void **state)
{
  world_t *w = *state;
  char real[64], other[64];
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(store_state_get(s, STATE_RECEIPT_KEY, real, sizeof real), SYNC_OK);
  sync_store_close(s);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  sodium_bin2base64(other, sizeof other, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);

  set_receipt_key(w->dev.path, other);
  sync_status_t st;
  assert_int_equal(sync_once(w, &w->dev, "en", &st), SYNC_ERR_CRYPTO);
  assert_int_equal(st.state, SYNC_STATE_ERROR);
  assert_non_null(strstr(st.message, "receipt signature does not verify"));
  assert_int_equal(st.progress.records_done, 0);
  assert_outbox(w->dev.path, 12, 0);
  assert_int_equal(sync_once(w, &w->dev, "id", &st), SYNC_ERR_CRYPTO);
  assert_non_null(strstr(st.message, "tanda terima server tidak sah"));

  /* The right key: the server answers "duplicate" with the same signed receipts; all acknowledged,
   * exactly once. */
  set_receipt_key(w->dev.path, real);
  assert_int_equal(sync_once(w, &w->dev, "en", &st), SYNC_OK);
  assert_outbox(w->dev.path, 0, 12);
  char why[512] = "";
  if (fx_verify_exactly_once(w->dev.path, w->srv.db, w->dev.id, why, sizeof why) != 0)
    fail_msg("not exactly once: %s", why);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_revoked_device_is_refused_for_push_and_pull_and_loses_nothing),
    T(test_expired_credential_is_refused_saying_so),
    T(test_unknown_device_or_wrong_secret_is_refused),
    T(test_an_enrollment_code_works_once),
    T(test_receipts_not_signed_by_the_enrolled_key_acknowledge_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
