/* The real syncserver's enrollment codes are bound to a device when they are made (issue 11,
 * proto/SECURITY.md 2): a code creates a new device, or re-keys only the device named with
 * `enroll create --device`. A code holder who names another device's id gets the same 401 as
 * for an unknown code, the device keeps working, and the attempt is in the security log; a
 * re-key revokes the old secret at once and is audited with the code's creator. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "server_fixture.h"
#include "test_support.h"

static server_t S;

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (sodium_init() < 0 || server_prepare(&S) != 0)
    return -1;
  S.auth_fail_limit = 1000;   /* the refusals below all come from 127.0.0.1 */
  return server_start(&S, NULL) != 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
  (void)state;
  assert_int_equal(server_stop(&S, SIGTERM), 0);
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

/* ---- helpers --------------------------------------------------------------------------------- */

/* The status of GET /v1/pull with dev's credential. */
static long pull_status(const device_t *dev)
{
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/pull", dev, NULL, NULL, 0, 0, &r), 0);
  long status = r.status;
  reply_free(&r);
  return status;
}

/* POST /v1/enroll {code, device_id}; the reply (caller frees). */
static void enroll_raw(const char *code, const char *device_id, reply_t *r)
{
  proto_enroll_req_t req = {.protocol = PROTO_VERSION};
  snprintf(req.code, sizeof req.code, "%s", code);
  snprintf(req.device_id, sizeof req.device_id, "%s", device_id);
  char *body = NULL;
  size_t len = 0;
  assert_int_equal(proto_enroll_req_encode(&req, &body, &len), SYNC_OK);
  assert_int_equal(http_call(&S, "POST", "/v1/enroll", NULL, NULL, body, len, 0, r), 0);
  free(body);
}

/* A code for device `id` (enroll create --device ID --by BY). */
static void rekey_code(const char *id, const char *by, char code[32])
{
  const char *extra[] = {"--device", id, "--by", by, NULL};
  assert_int_equal(enroll_code(&S, "", extra, code), 0);
}

/* Security events of `kind` for `device_id` whose reason contains `words` (repeats from one
 * network are one row with a count). */
static long long events(const char *kind, const char *device_id, const char *words)
{
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT coalesce(sum(count), 0) FROM security_events WHERE"
                            " kind = '%s' AND"
                            " device_id = '%s' AND instr(reason, '%s') > 0", kind, device_id,
           words);
  return db_scalar(&S, sql);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_enroll_code_cannot_rekey_other_device(void **state)
{
  (void)state;
  device_t victim, bound_to, got;
  assert_int_equal(add_device(&S, "Laptop PPA Ponorogo 02", NULL, &victim), 0);
  assert_int_equal(add_device(&S, "Tablet Dinsos Kupang", NULL, &bound_to), 0);
  long long devices = db_scalar(&S, "SELECT count(*) FROM devices");

  /* What an unknown code gets, to compare the refusals with. */
  reply_t unknown;
  enroll_raw("ZZZZ-ZZZZ-ZZZZ", victim.id, &unknown);
  assert_int_equal(unknown.status, 401);
  assert_string_equal(reply_error_code(&unknown), "invalid_enrollment_code");

  /* A code for a new device, naming the victim's id: refused like an unknown code. */
  char fresh[32];
  assert_int_equal(enroll_code(&S, "Laptop of the attacker", NULL, fresh), 0);
  reply_t r;
  enroll_raw(fresh, victim.id, &r);
  assert_int_equal(r.status, 401);
  assert_int_equal(r.len, unknown.len);
  assert_memory_equal(r.body, unknown.body, r.len);
  assert_string_equal(r.www_authenticate, unknown.www_authenticate);
  reply_free(&r);

  /* A code made for another device, naming the victim's id (or a new id): refused the same. */
  char other[32], fresh_id[40];
  rekey_code(bound_to.id, "Admin Siti", other);
  enroll_raw(other, victim.id, &r);
  assert_int_equal(r.status, 401);
  assert_int_equal(r.len, unknown.len);
  assert_memory_equal(r.body, unknown.body, r.len);
  reply_free(&r);
  make_uuid(fresh_id);
  assert_int_equal(enroll_device(&S, other, fresh_id, &got), 401);
  reply_free(&unknown);

  /* The victim was not touched: its secret works, its name is its own, nothing was added; each
   * attempt is a security event naming the device it aimed at. */
  assert_int_equal(pull_status(&victim), 200);
  assert_int_equal(pull_status(&bound_to), 200);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM devices"), devices);
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM devices WHERE device_id = '%s' AND"
                            " name = 'Laptop PPA Ponorogo 02'", victim.id);
  assert_int_equal(db_scalar(&S, sql), 1);
  assert_int_equal(events("auth_failure", victim.id, "not made for this device"), 2);
  assert_int_equal(events("auth_failure", fresh_id, "not made for this device"), 1);
  assert_int_equal(events("rekeyed", victim.id, ""), 0);

  /* Legitimate use of the same codes still works: the new-device code enrols a new device, the
   * bound code re-keys its own device. */
  make_uuid(fresh_id);
  assert_int_equal(enroll_device(&S, fresh, fresh_id, &got), 200);
  assert_int_equal(pull_status(&got), 200);
  assert_int_equal(enroll_device(&S, other, bound_to.id, &got), 200);
  assert_int_equal(pull_status(&got), 200);
  assert_int_equal(pull_status(&victim), 200);
}

static void test_enroll_code_for_a_device_rekeys_only_that_device(void **state)
{
  (void)state;
  device_t lost, bystander, back;
  assert_int_equal(add_device_in(&S, "Laptop PPA Ponorogo 03", "PPA Ponorogo", NULL, &lost), 0);
  assert_int_equal(add_device(&S, "Laptop PPA Ponorogo 04", NULL, &bystander), 0);

  /* Usage: --device needs --by, and names an enrolled device. */
  char missing[40];
  make_uuid(missing);
  assert_int_equal(run_syncserver(NULL, "enroll", "create", "--db", S.db, "--device", lost.id,
                                  NULL), 2);
  assert_int_equal(run_syncserver(NULL, "enroll", "create", "--db", S.db, "--device", missing,
                                  "--by", "Admin Siti", NULL), 1);

  char code[32];
  rekey_code(lost.id, "Admin Siti", code);
  /* The listing says which device the code is for, and who made it. */
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "enroll", "list", "--db", S.db, "--json", NULL), 0);
  cJSON *list = cJSON_Parse(out);
  free(out);
  int for_lost = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, list) {
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(it, "device_id");
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(it, "created_by");
    for_lost += cJSON_IsString(dev) && strcmp(dev->valuestring, lost.id) == 0 &&
                cJSON_IsString(by) && strcmp(by->valuestring, "Admin Siti") == 0 &&
                strcmp(cJSON_GetObjectItemCaseSensitive(it, "status")->valuestring,
                       "pending") == 0 &&
                strcmp(cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring,
                       "Laptop PPA Ponorogo 03") == 0;
  }
  cJSON_Delete(list);
  assert_int_equal(for_lost, 1);
  assert_int_equal(run_syncserver(&out, "enroll", "list", "--db", S.db, NULL), 0);
  assert_non_null(strstr(out, lost.id));
  assert_non_null(strstr(out, "new device"));
  free(out);

  /* Re-keyed: a new secret, the old one refused at once, the other device untouched. */
  assert_int_equal(enroll_device(&S, code, lost.id, &back), 200);
  assert_string_equal(back.id, lost.id);
  assert_string_not_equal(back.secret, lost.secret);
  assert_int_equal(pull_status(&lost), 401);
  assert_int_equal(pull_status(&back), 200);
  assert_int_equal(pull_status(&bystander), 200);
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM devices WHERE device_id = '%s' AND"
                            " unit = 'PPA Ponorogo' AND status = 'active'", lost.id);
  assert_int_equal(db_scalar(&S, sql), 1);

  /* The audit has the re-key, naming the device and the code's creator. */
  assert_int_equal(events("rekeyed", lost.id, "Admin Siti"), 1);
  assert_int_equal(events("rekeyed", bystander.id, ""), 0);
  assert_int_equal(run_syncserver(&out, "audit", "--db", S.db, NULL), 0);
  char *line = strstr(out, "rekeyed");
  assert_non_null(line);
  char *end = strchr(line, '\n');
  if (end)
    *end = '\0';
  assert_non_null(strstr(line, lost.id));
  assert_non_null(strstr(line, "Admin Siti"));
  free(out);
  char *log = ts_read_file(S.log, NULL);
  assert_non_null(log);
  assert_non_null(strstr(log, "rekeyed"));
  free(log);

  /* The code worked once. */
  device_t again;
  assert_int_equal(enroll_device(&S, code, lost.id, &again), 401);
  assert_int_equal(pull_status(&back), 200);

  /* A revoked device comes back only through a code made for it. */
  assert_int_equal(run_syncserver(NULL, "device", "revoke", "--db", S.db, back.id, NULL), 0);
  char fresh[32];
  assert_int_equal(enroll_code(&S, "Stolen laptop, found", NULL, fresh), 0);
  assert_int_equal(enroll_device(&S, fresh, back.id, &again), 401);
  assert_int_equal(pull_status(&back), 403);   /* still revoked */
  rekey_code(back.id, "Admin Siti", code);
  assert_int_equal(enroll_device(&S, code, back.id, &again), 200);
  assert_int_equal(pull_status(&again), 200);
}

static void test_new_device_code_still_enrolls_a_new_device(void **state)
{
  (void)state;
  long long devices = db_scalar(&S, "SELECT count(*) FROM devices");
  char code[32], id[40];
  const char *extra[] = {"--unit", "Dinas Sosial Kota Kupang", "--by", "Admin Budi", NULL};
  assert_int_equal(enroll_code(&S, "Tablet Dinsos Kupang 07", extra, code), 0);
  make_uuid(id);
  device_t d, again;
  assert_int_equal(enroll_device(&S, code, id, &d), 200);
  assert_string_equal(d.id, id);
  assert_int_equal(strlen(d.secret), 43);
  assert_int_equal(pull_status(&d), 200);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM devices"), devices + 1);
  assert_int_equal(events("enrolled", id, "Admin Budi"), 1);
  /* once only, even for yet another new id */
  char other[40];
  make_uuid(other);
  assert_int_equal(enroll_device(&S, code, other, &again), 401);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM devices"), devices + 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_enroll_code_cannot_rekey_other_device),
    cmocka_unit_test(test_enroll_code_for_a_device_rekeys_only_that_device),
    cmocka_unit_test(test_new_device_code_still_enrolls_a_new_device),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
