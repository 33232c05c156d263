/* Sealed envelopes carry the sending device's signature (issue 11 item 9, the consent part of
 * item 4; proto/SECURITY.md 4): a device enrolled with a signing key must sign its sealed
 * changes, the server keeps the signature with the revision and a certificate of the key by its
 * receipt key, and `syncserver export --private-key` names any record whose sealed text, signature
 * or key was changed in the database, or whose sealed part carries answers consent forbids. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "device_sig.h"
#include "form_def.h"
#include "form_seal.h"
#include "server_fixture.h"
#include "test_support.h"

#define MARKER "Penanda-rahasia 91c2: Ibu Wartini, Desa Sukorejo"

static server_t S;
static char KEY[512];             /* the central key file (syncserver keygen) */
static form_t *FORM;              /* the encrypted version 2 as published */

/* A device enrolled over HTTP with its own signing key pair. */
typedef struct signer {
  device_t dev;
  char pk[PROTO_KEY_B64_LEN + 1];
  char sk[DEVSIG_SK_B64_LEN + 1];
} signer_t;

static signer_t A, B;

/* Enrols a new device with a code and a fresh signing key, as sync_enroll does. */
static int enroll_signer(const char *name, signer_t *out)
{
  char code[32], id[40];
  make_uuid(id);
  if (enroll_code(&S, name, NULL, code) != 0 || devsig_keypair(out->pk, out->sk) != SYNC_OK)
    return -1;
  proto_enroll_req_t req = {.protocol = PROTO_VERSION};
  snprintf(req.code, sizeof req.code, "%s", code);
  snprintf(req.device_id, sizeof req.device_id, "%.36s", id);
  snprintf(req.signing_key, sizeof req.signing_key, "%s", out->pk);
  char *body = NULL;
  size_t len = 0;
  reply_t r;
  if (proto_enroll_req_encode(&req, &body, &len) != SYNC_OK ||
      http_call(&S, "POST", "/v1/enroll", NULL, NULL, body, len, 0, &r) != 0) {
    free(body);
    return -1;
  }
  free(body);
  proto_enroll_resp_t *er = NULL;
  proto_diag_t d;
  int rc = r.status == 200 && proto_enroll_resp_decode(r.body, r.len, &er, &d) == SYNC_OK ? 0 : -1;
  if (rc == 0) {
    device_t *dev = &out->dev;
    snprintf(dev->id, sizeof dev->id, "%s", er->device_id);
    snprintf(dev->secret, sizeof dev->secret, "%s", er->secret);
    snprintf(dev->auth, sizeof dev->auth, "Device %s:%s", dev->id, dev->secret);
    snprintf(dev->receipt_key, sizeof dev->receipt_key, "%s", er->receipt_key);
  }
  proto_enroll_resp_free(er);
  reply_free(&r);
  return rc;
}

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (sodium_init() < 0 || server_prepare(&S) != 0)
    return -1;
  if (!(FORM = publish_consent_form_v2(&S, NULL, KEY)) || server_start(&S, NULL) != 0 ||
      enroll_signer("Laptop PPA Ponorogo 07", &A) != 0 ||
      enroll_signer("Tablet Dinsos Kupang 03", &B) != 0)
    return -1;
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  form_free(FORM);
  sodium_memzero(A.sk, sizeof A.sk);
  sodium_memzero(B.sk, sizeof B.sk);
  assert_int_equal(server_stop(&S, SIGTERM), 0);
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

/* ---- helpers --------------------------------------------------------------------------------- */

/* Answers of one person; `notes` goes only into the sealed part. */
static char *answers(const char *consent, const char *notes)
{
  char *out = malloc(1024);
  snprintf(out, 1024,
           "{\"interview_date\":\"2026-11-01\",\"province\":\"35\",\"regency_code\":\"35.02\","
           "\"consent\":\"%s\",\"sex\":\"f\",\"birth_date\":\"2006-03-04\",\"nationality\":\"IDN\","
           "\"officer_notes\":\"%s\"}", consent, notes);
  return out;
}

/* A sealed change of `answers` as a device makes it (clear part, envelope), signed by `by`
 * (NULL: unsigned). */
static proto_change_t sealed_change(const signer_t *by, const char *dev_id, const char *uuid,
                                    const char *full, const char *clear)
{
  proto_change_t c = v2_change(dev_id, uuid);
  if (clear)
    c.payload = strdup(clear);
  else
    assert_int_equal(form_clear_part(FORM, full, strlen(full), &c.payload), SYNC_OK);
  assert_int_equal(form_seal(FORM, uuid, full, strlen(full), &c.sealed), SYNC_OK);
  if (by)
    assert_int_equal(devsig_sign(by->sk, dev_id, &c, c.device_sig), SYNC_OK);
  return c;
}

/* Pushes one change as `dev`; the receipt's outcome (and its error code in *code). */
static proto_outcome_t push_one(const device_t *dev, proto_change_t *c, char *code, size_t clen)
{
  proto_push_resp_t *resp = push_changes(&S, dev, c, 1, NULL, NULL, NULL);
  assert_non_null(resp);
  proto_outcome_t out = resp->receipts[0].outcome;
  if (code && clen)
    snprintf(code, clen, "%s", resp->receipts[0].error
                                 ? proto_errcode_text(resp->receipts[0].error->code) : "");
  proto_push_resp_free(resp);
  return out;
}

static void db_exec(const char *sql)
{
  sqlite3 *h;
  assert_int_equal(sqlite3_open(S.db, &h), SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char *err = NULL;
  if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
    fprintf(stderr, "sql: %s\n", err ? err : "?");
  assert_null(err);
  sqlite3_close(h);
}

/* export --private-key as JSON lines: exit code, stdout and stderr (caller frees). */
static int export_with_key(char **out, char **err)
{
  const char *args[] = {"export", "--db", S.db, "--by", "siti.rahma", "--format", "jsonl",
                        "--form", "tppo_screening", "--private-key", KEY, NULL};
  return run_syncserver_capture(out, err, args);
}

/* The uuid's line of an export, or NULL. */
static int exported(const char *out, const char *uuid)
{
  return out && strstr(out, uuid) != NULL;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_signed_envelopes_export_ok(void **state)
{
  (void)state;
  char uuid[40], code[64];
  make_uuid(uuid);
  char *a = answers("yes", MARKER);
  proto_change_t c = sealed_change(&A, A.dev.id, uuid, a, NULL);
  assert_int_equal(push_one(&A.dev, &c, code, sizeof code), PROTO_OUTCOME_STORED);
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s' AND"
                            " device_sig = '%s' AND sig_key = '%s'", uuid, c.device_sig, A.pk);
  assert_int_equal(db_scalar(&S, sql), 1);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM devices d JOIN device_keys k USING (device_id)"
                            " WHERE d.device_id = '%s' AND d.signing_key = '%s' AND"
                            " k.signing_key = '%s'", A.dev.id, A.pk, A.pk);
  assert_int_equal(db_scalar(&S, sql), 1);

  /* the attack's legitimate neighbours: unsigned, or signed over something else, is refused */
  char u2[40], u3[40];
  make_uuid(u2);
  make_uuid(u3);
  proto_change_t bare = sealed_change(NULL, A.dev.id, u2, a, NULL);
  assert_int_equal(push_one(&A.dev, &bare, code, sizeof code), PROTO_OUTCOME_REJECTED);
  assert_string_equal(code, "invalid_change");
  proto_change_t other = sealed_change(&B, A.dev.id, u3, a, NULL);   /* B's key, A's name */
  assert_int_equal(push_one(&A.dev, &other, code, sizeof code), PROTO_OUTCOME_REJECTED);
  assert_string_equal(code, "invalid_change");

  char *out = NULL, *err = NULL;
  int rc = export_with_key(&out, &err);
  if (rc != 0)
    fprintf(stderr, "%s", err);
  assert_int_equal(rc, 0);
  assert_true(exported(out, uuid));
  assert_non_null(strstr(out, "\"officer_notes\":\"" MARKER "\""));
  assert_non_null(strstr(out, "\"integrity\":\"ok\""));   /* the row says it was checked */
  assert_null(strstr(err, "integrity"));
  free(out);
  free(err);
  v2_change_clear(&c);
  v2_change_clear(&bare);
  v2_change_clear(&other);
  free(a);
}

static void test_envelope_swapped_in_database_is_named_by_exporter(void **state)
{
  (void)state;
  char ua[40], ub[40], uc[40], code[64];
  make_uuid(ua);
  make_uuid(ub);
  make_uuid(uc);
  char *a = answers("yes", "asli A"), *b = answers("yes", "asli B"), *c3 = answers("yes", "asli C");
  proto_change_t ca = sealed_change(&A, A.dev.id, ua, a, NULL);
  proto_change_t cb = sealed_change(&B, B.dev.id, ub, b, NULL);
  proto_change_t cc = sealed_change(&A, A.dev.id, uc, c3, NULL);
  assert_int_equal(push_one(&A.dev, &ca, code, sizeof code), PROTO_OUTCOME_STORED);
  assert_int_equal(push_one(&B.dev, &cb, code, sizeof code), PROTO_OUTCOME_STORED);
  assert_int_equal(push_one(&A.dev, &cc, code, sizeof code), PROTO_OUTCOME_STORED);

  /* Whoever can write the database: record A gets an envelope anyone can seal to the central
   * public key, naming A's uuid, form and version (the envelope check alone accepts it), and
   * record C gets B's sealed text together with B's signature and key. */
  char *forged = answers("yes", "PALSU");
  char *forged_sealed = NULL;
  assert_int_equal(form_seal(FORM, ua, forged, strlen(forged), &forged_sealed), SYNC_OK);
  char *sql = malloc(strlen(forged_sealed) + 1024);
  sprintf(sql, "UPDATE record_revisions SET sealed = '%s' WHERE uuid = '%s';"
               "UPDATE record_revisions SET (sealed, device_sig, sig_key) = (SELECT sealed,"
               " device_sig, sig_key FROM record_revisions WHERE uuid = '%s') WHERE uuid = '%s';",
          forged_sealed, ua, ub, uc);
  db_exec(sql);
  free(sql);

  char *out = NULL, *err = NULL;
  assert_int_equal(export_with_key(&out, &err), 3);
  assert_false(exported(out, ua));
  assert_false(exported(out, uc));
  assert_true(exported(out, ub));           /* the untouched record is written */
  assert_null(strstr(out, "PALSU"));
  assert_non_null(strstr(err, ua));
  assert_non_null(strstr(err, uc));
  assert_non_null(strstr(err, "integrity bad_signature"));
  free(out);
  free(err);
  v2_change_clear(&ca);
  v2_change_clear(&cb);
  v2_change_clear(&cc);
  free(forged_sealed);
  free(forged);
  free(a);
  free(b);
  free(c3);
}

static void test_device_key_swap_in_database_is_detected(void **state)
{
  (void)state;
  char uuid[40], code[64];
  make_uuid(uuid);
  char *a = answers("yes", "asli");
  proto_change_t c = sealed_change(&A, A.dev.id, uuid, a, NULL);
  assert_int_equal(push_one(&A.dev, &c, code, sizeof code), PROTO_OUTCOME_STORED);

  /* The database writer makes their own key, signs forged answers as device A with it and
   * installs it everywhere the database names A's key; the certificate they cannot make. */
  signer_t evil;
  assert_int_equal(devsig_keypair(evil.pk, evil.sk), SYNC_OK);
  char *forged = answers("yes", "PALSU");
  proto_change_t f = sealed_change(&evil, A.dev.id, uuid, forged, NULL);
  memcpy(f.hlc, c.hlc, sizeof f.hlc);
  free(f.sealed);
  assert_int_equal(form_seal(FORM, uuid, forged, strlen(forged), &f.sealed), SYNC_OK);
  assert_int_equal(devsig_sign(evil.sk, A.dev.id, &f, f.device_sig), SYNC_OK);
  char *sql = malloc(strlen(f.sealed) + 2048);
  sprintf(sql, "UPDATE record_revisions SET sealed = '%s', device_sig = '%s', sig_key = '%s'"
               " WHERE uuid = '%s';"
               "UPDATE devices SET signing_key = '%s' WHERE device_id = '%s';"
               "INSERT INTO device_keys(device_id, signing_key, enrolled_at, cert) SELECT"
               " device_id, '%s', enrolled_at, cert FROM device_keys WHERE device_id = '%s';",
          f.sealed, f.device_sig, evil.pk, uuid, evil.pk, A.dev.id, evil.pk, A.dev.id);
  db_exec(sql);
  free(sql);

  char *out = NULL, *err = NULL;
  assert_int_equal(export_with_key(&out, &err), 3);
  assert_false(exported(out, uuid));
  assert_null(strstr(out, "PALSU"));
  assert_non_null(strstr(err, uuid));
  assert_non_null(strstr(err, "integrity bad_certificate"));
  free(out);
  free(err);
  /* restored, A's real key and record export again (the check is not a blanket refusal) */
  sql = malloc(strlen(c.sealed) + 1024);
  sprintf(sql, "UPDATE record_revisions SET sealed = '%s', device_sig = '%s', sig_key = '%s'"
               " WHERE uuid = '%s'; UPDATE devices SET signing_key = '%s' WHERE device_id = '%s';"
               "DELETE FROM device_keys WHERE signing_key = '%s';",
          c.sealed, c.device_sig, A.pk, uuid, A.pk, A.dev.id, evil.pk);
  db_exec(sql);
  free(sql);
  export_with_key(&out, &err);   /* (records tampered with by the test before stay named) */
  assert_true(exported(out, uuid));
  assert_null(strstr(err, uuid));
  free(out);
  free(err);
  sodium_memzero(evil.sk, sizeof evil.sk);
  v2_change_clear(&f);
  v2_change_clear(&c);
  free(forged);
  free(a);
}

static void test_unconsented_sealed_answers_not_exported(void **state)
{
  (void)state;
  char uuid[40], code[64];
  make_uuid(uuid);
  /* A modified client: consent refused, the clear part holds only what may be kept without
   * consent (so the server accepts it), but the sealed envelope carries everything. */
  char *full = answers("no", "Tanpa-izin 5d0e");
  proto_change_t c = sealed_change(&A, A.dev.id, uuid, full,
                                   "{\"interview_date\":\"2026-11-01\",\"province\":\"35\","
                                   "\"regency_code\":\"35.02\",\"consent\":\"no\"}");
  assert_int_equal(push_one(&A.dev, &c, code, sizeof code), PROTO_OUTCOME_STORED);

  char *out = NULL, *err = NULL;
  assert_int_equal(export_with_key(&out, &err), 3);
  assert_true(exported(out, uuid));         /* what consent allows is still written */
  char *line = strstr(out, uuid), *end = strchr(line, '\n');
  assert_non_null(end);
  *end = '\0';
  assert_null(strstr(out, "Tanpa-izin 5d0e"));
  assert_null(strstr(line, "2006-03-04"));
  assert_non_null(strstr(line, "\"province\":\"35\""));
  assert_non_null(strstr(line, "\"integrity\":\"consent_violation\""));
  assert_non_null(strstr(err, uuid));
  assert_non_null(strstr(err, "consent_violation"));
  free(out);
  free(err);
  v2_change_clear(&c);
  free(full);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_signed_envelopes_export_ok),
    cmocka_unit_test(test_envelope_swapped_in_database_is_named_by_exporter),
    cmocka_unit_test(test_device_key_swap_in_database_is_detected),
    cmocka_unit_test(test_unconsented_sealed_answers_not_exported),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
