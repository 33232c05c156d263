/* The real syncserver over HTTP: health, credentials, routing, forms, and every kind of bad
 * input refused with the right status and JSON error, storing nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <lz4frame.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "server_fixture.h"
#include "test_support.h"

static server_t S;
static device_t DEV, REVOKED;

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  /* This file sends bad credentials on purpose, all from 127.0.0.1; the failed-authentication
   * limit itself is tested in test_server_security. */
  if (server_prepare(&S) != 0 || (S.auth_fail_limit = 1000) == 0 || add_device(&S, "Laptop PPA Ponorogo 02", GOLDEN_DEVICE, &DEV) != 0 ||
      add_device(&S, "Stolen tablet", NULL, &REVOKED) != 0 ||
      run_syncserver(NULL, "device", "revoke", "--db", S.db, REVOKED.id, NULL) != 0 ||
      server_start(&S, NULL) != 0)
    return -1;
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  assert_int_equal(server_stop(&S, SIGTERM), 0);
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

static long long stored_rows(void)
{
  return db_scalar(&S, "SELECT (SELECT count(*) FROM record_revisions) * 1000 +"
                       " (SELECT count(*) FROM push_batches)");
}

/* Every error reply: status, JSON error with the code, the protocol headers. */
static void expect_error(const reply_t *r, long status, const char *code)
{
  if (r->status != status || strcmp(reply_error_code(r), code) != 0)
    fprintf(stderr, "got %ld %s\n", r->status, r->body ? r->body : "(no body)");
  assert_int_equal(r->status, status);
  assert_string_equal(reply_error_code(r), code);
  assert_string_equal(r->protocol, "2");
  assert_string_equal(r->cache_control, "no-store");
  assert_true(strncmp(r->content_type, "application/json", 16) == 0);
  cJSON *j = reply_json(r);
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(e, "retryable")));
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
  assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "id")));
  assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "en")));
  proto_error_t *pe = NULL;
  proto_diag_t diag;
  assert_int_equal(proto_error_decode(r->body, r->len, &pe, &diag), SYNC_OK);
  proto_error_free(pe);
  cJSON_Delete(j);
}

/* A push body of one fresh record with this payload. */
static char *one_change_push(const char *device_id, const char *payload)
{
  char uuid[40], batch[40], hlc[64];
  make_uuid(uuid);
  make_uuid(batch);
  make_hlc(hlc, 1732512345678LL, 0, device_id);
  char *ch = make_change(uuid, 1, 0, NULL, hlc, "upsert", payload);
  char *body = make_push(device_id, batch, &ch, 1);
  free(ch);
  return body;
}

/* ---- health, credentials ----------------------------------------------------------------- */

static void test_health_answers_without_credential(void **state)
{
  (void)state;
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  proto_health_t *h = NULL;
  proto_diag_t d;
  assert_int_equal(proto_health_decode(r.body, r.len, &h, &d), SYNC_OK);
  assert_int_equal(h->degraded, 0);
  assert_int_equal(h->n_protocols, 1);
  assert_int_equal(h->protocols[0], 2);
  assert_int_equal(h->limits.max_body_wire, PROTO_MAX_BODY_WIRE);
  assert_int_equal(h->limits.max_changes, PROTO_MAX_CHANGES);
  assert_true(proto_uuid_valid(h->server_id));
  proto_health_free(h);
  assert_string_equal(r.protocol, "2");
  assert_string_equal(r.cache_control, "no-store");
  reply_free(&r);
}

static void test_whoami_names_the_device_of_a_good_credential(void **state)
{
  (void)state;
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/whoami", &DEV, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  proto_whoami_t *w = NULL;
  proto_diag_t d;
  assert_int_equal(proto_whoami_decode(r.body, r.len, &w, &d), SYNC_OK);
  assert_string_equal(w->device_id, GOLDEN_DEVICE);
  assert_string_equal(w->name, "Laptop PPA Ponorogo 02");
  proto_whoami_free(w);
  reply_free(&r);
}

static void test_whoami_refuses_missing_wrong_unknown_and_malformed_credentials(void **state)
{
  (void)state;
  device_t wrong = DEV, unknown = DEV, malformed;
  wrong.secret[0] = wrong.secret[0] == 'A' ? 'B' : 'A';
  snprintf(wrong.auth, sizeof wrong.auth, "Device %s:%s", wrong.id, wrong.secret);
  snprintf(unknown.auth, sizeof unknown.auth, "Device %s:%s",
           "00000000-0000-4000-8000-000000000000", DEV.secret);
  snprintf(malformed.auth, sizeof malformed.auth, "Basic dXNlcjpwYXNz");
  const device_t *cases[] = {NULL, &wrong, &unknown, &malformed};
  for (size_t i = 0; i < 4; i++) {
    reply_t r;
    assert_int_equal(http_call(&S, "GET", "/v1/whoami", cases[i], NULL, NULL, 0, 0, &r), 0);
    expect_error(&r, 401, "unauthorized");
    assert_string_equal(r.www_authenticate, "Device realm=\"libsync\"");
    reply_free(&r);
  }
}

static void test_revoked_device_gets_403_device_revoked(void **state)
{
  (void)state;
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/whoami", &REVOKED, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, 403, "device_revoked");
  reply_free(&r);
  long long before = stored_rows();
  char *body = one_change_push(REVOKED.id, "{\"province\":\"35\"}");
  assert_int_equal(http_call(&S, "POST", "/v1/push", &REVOKED, NULL, body, strlen(body), 0, &r), 0);
  expect_error(&r, 403, "device_revoked");
  reply_free(&r);
  free(body);
  assert_int_equal(stored_rows(), before);
}

static void test_failed_credentials_are_logged_without_the_secret(void **state)
{
  (void)state;
  char *log = ts_read_file(S.log, NULL);
  assert_non_null(log);
  assert_non_null(strstr(log, "event=auth_failure"));
  assert_null(strstr(log, DEV.secret));
  free(log);
}

/* ---- routing, protocol version ------------------------------------------------------------ */

static void test_unknown_path_is_404_and_wrong_method_405_with_allow(void **state)
{
  (void)state;
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/nothing", &DEV, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, 404, "not_found");
  reply_free(&r);
  assert_int_equal(http_call(&S, "GET", "/v1/push", &DEV, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, 405, "method_not_allowed");
  assert_string_equal(r.allow, "POST");
  reply_free(&r);
  assert_int_equal(http_call(&S, "DELETE", "/v1/pull", &DEV, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, 405, "method_not_allowed");
  assert_string_equal(r.allow, "GET");
  reply_free(&r);
}

static void test_unsupported_protocol_header_lists_supported_versions(void **state)
{
  (void)state;
  const char *hdr[] = {"X-Sync-Protocol: 1", NULL};   /* never deployed: refused */
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/whoami", &DEV, hdr, NULL, 0, 0, &r), 0);
  expect_error(&r, 400, "unsupported_protocol");
  cJSON *j = reply_json(&r);
  const cJSON *sp = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"),
                                                     "supported_protocols");
  assert_int_equal(cJSON_GetArraySize(sp), 1);
  assert_int_equal(cJSON_GetArrayItem(sp, 0)->valueint, 2);
  cJSON_Delete(j);
  reply_free(&r);
  const char *one[] = {"X-Sync-Protocol: 2", NULL};
  assert_int_equal(http_call(&S, "GET", "/v1/whoami", &DEV, one, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
}

/* ---- forms -------------------------------------------------------------------------------- */

static void test_forms_list_and_fetch_agree_on_the_hash(void **state)
{
  (void)state;
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/forms", &DEV, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  proto_forms_list_t *l = NULL;
  proto_diag_t d;
  assert_int_equal(proto_forms_list_decode(r.body, r.len, &l, &d), SYNC_OK);
  assert_int_equal(l->n_forms, 1);
  assert_string_equal(l->forms[0].form_id, "tppo_screening");
  char sha[PROTO_SHA256_LEN + 1];
  snprintf(sha, sizeof sha, "%s", l->forms[0].sha256);
  proto_forms_list_free(l);
  reply_free(&r);

  assert_int_equal(http_call(&S, "GET", "/v1/forms/tppo_screening/1", &DEV, NULL, NULL, 0,
                             REQ_ACCEPT_LZ4, &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.content_encoding, "lz4"); /* a large body, and the client accepts lz4 */
  unsigned char digest[32];
  char hex[65];
  crypto_hash_sha256(digest, (const unsigned char *)r.body, r.len);
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  assert_string_equal(hex, sha);
  char etag[80];
  snprintf(etag, sizeof etag, "\"%s\"", sha);
  assert_string_equal(r.etag, etag);
  reply_free(&r);

  char inm[120];
  snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
  const char *hdr[] = {inm, NULL};
  assert_int_equal(http_call(&S, "GET", "/v1/forms/tppo_screening/1", &DEV, hdr, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 304);
  reply_free(&r);
}

static void test_unknown_form_version_is_404_unknown_form(void **state)
{
  (void)state;
  const char *paths[] = {"/v1/forms/tppo_screening/9", "/v1/forms/nope/1", "/v1/forms/Bad!/1",
                         "/v1/forms/tppo_screening/0"};
  for (size_t i = 0; i < 4; i++) {
    reply_t r;
    assert_int_equal(http_call(&S, "GET", paths[i], &DEV, NULL, NULL, 0, 0, &r), 0);
    expect_error(&r, 404, "unknown_form");
    reply_free(&r);
  }
}

/* ---- bad push bodies: 4xx, nothing stored -------------------------------------------------- */

static void push_expect(const char *body, size_t len, int flags, const char *const *hdr,
                        long status, const char *code)
{
  long long before = stored_rows();
  reply_t r;
  assert_int_equal(http_call(&S, "POST", "/v1/push", &DEV, hdr, body, len, flags, &r), 0);
  expect_error(&r, status, code);
  reply_free(&r);
  assert_int_equal(stored_rows(), before);
}

static void test_malformed_json_is_400_and_stores_nothing(void **state)
{
  (void)state;
  const char *bad = "{\"protocol\": 2, \"device_id\": ";
  push_expect(bad, strlen(bad), 0, NULL, 400, "malformed_json");
  push_expect(bad, strlen(bad), REQ_LZ4, NULL, 400, "malformed_json");
  char deep[300];
  memcpy(deep, "{\"a\":", 5);
  memset(deep + 5, '[', 100);
  memset(deep + 105, ']', 100);
  memcpy(deep + 205, "}", 2);
  push_expect(deep, strlen(deep), 0, NULL, 400, "malformed_json"); /* nesting deeper than 64 */
}

static void test_corrupt_truncated_or_trailing_lz4_is_bad_compression(void **state)
{
  (void)state;
  size_t len;
  char *body = ts_golden("push-request-basic.json", &len);
  char *z = NULL;
  size_t zlen = 0;
  assert_int_equal(codec_lz4_compress(body, len, 0, &z, &zlen), SYNC_OK);
  const char *hdr[] = {"Content-Encoding: lz4", NULL};
  /* truncated */
  push_expect(z, zlen / 2, 0, hdr, 400, "bad_compression");
  /* corrupt: flip bytes in the middle */
  char *bad = malloc(zlen + 8);
  memcpy(bad, z, zlen);
  for (size_t i = zlen / 3; i < zlen / 3 + 16 && i < zlen; i++)
    bad[i] ^= 0x5a;
  push_expect(bad, zlen, 0, hdr, 400, "bad_compression");
  /* trailing garbage after a valid frame */
  memcpy(bad, z, zlen);
  memcpy(bad + zlen, "garbage!", 8);
  push_expect(bad, zlen + 8, 0, hdr, 400, "bad_compression");
  /* plain JSON declared as lz4 */
  push_expect(body, len, 0, hdr, 400, "bad_compression");
  free(bad);
  free(z);
  free(body);
}

static void test_unsupported_content_type_or_encoding_is_415(void **state)
{
  (void)state;
  size_t len;
  char *body = ts_golden("push-request-basic.json", &len);
  const char *text[] = {"Content-Type: text/plain", NULL};
  push_expect(body, len, REQ_NO_TYPE, text, 415, "unsupported_media_type");
  const char *gzip[] = {"Content-Encoding: gzip", NULL};
  push_expect(body, len, 0, gzip, 415, "unsupported_media_type");
  free(body);
}

static void test_body_over_the_wire_cap_is_413(void **state)
{
  (void)state;
  size_t len = PROTO_MAX_BODY_WIRE + 1;
  char *big = malloc(len);
  memset(big, ' ', len);
  big[0] = '{';
  push_expect(big, len, 0, NULL, 413, "body_too_large");          /* Content-Length, refused early */
  push_expect(big, len, REQ_CHUNKED, NULL, 413, "body_too_large"); /* counted while arriving */
  free(big);
}

static void test_body_over_the_decompressed_cap_is_413(void **state)
{
  (void)state;
  size_t len = PROTO_MAX_BODY + 1024;
  char *big = malloc(len);
  memset(big, ' ', len);
  big[0] = '{';
  big[len - 1] = '}';
  /* codec_lz4_compress refuses inputs over the cap, so build the frames with liblz4 itself:
   * one declaring its content size (refused early), one without (refused while inflating). */
  const char *hdr[] = {"Content-Encoding: lz4", NULL};
  for (int declared = 0; declared < 2; declared++) {
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.contentSize = declared ? len : 0;
    size_t cap = LZ4F_compressFrameBound(len, &prefs);
    char *z = malloc(cap);
    size_t zlen = LZ4F_compressFrame(z, cap, big, len, &prefs);
    assert_false(LZ4F_isError(zlen));
    assert_true(zlen < PROTO_MAX_BODY_WIRE);
    push_expect(z, zlen, 0, hdr, 413, "body_too_large");
    free(z);
  }
  free(big);
}

static void test_too_many_changes_or_a_huge_payload_is_413(void **state)
{
  (void)state;
  size_t n = PROTO_MAX_CHANGES + 1;
  char **changes = calloc(n, sizeof *changes);
  for (size_t i = 0; i < n; i++) {
    char uuid[40], hlc[64];
    make_uuid(uuid);
    make_hlc(hlc, 1732512345678LL, (int)i, GOLDEN_DEVICE);
    changes[i] = make_change(uuid, 1, 0, NULL, hlc, "upsert", "{\"province\":\"35\"}");
  }
  char batch[40];
  make_uuid(batch);
  char *body = make_push(GOLDEN_DEVICE, batch, changes, n);
  push_expect(body, strlen(body), REQ_LZ4, NULL, 413, "body_too_large");
  free(body);
  for (size_t i = 0; i < n; i++)
    free(changes[i]);
  free(changes);

  size_t plen = PROTO_MAX_PAYLOAD + 100;
  char *payload = malloc(plen + 64);
  int off = snprintf(payload, plen + 64, "{\"officer_notes\":\"");
  memset(payload + off, 'x', plen);
  snprintf(payload + off + plen, 64, "\"}");
  body = one_change_push(GOLDEN_DEVICE, payload);
  push_expect(body, strlen(body), REQ_LZ4, NULL, 413, "body_too_large");
  free(body);
  free(payload);
}

static void test_schema_violations_are_400_bad_request(void **state)
{
  (void)state;
  size_t len;
  char *basic = ts_golden("push-request-basic.json", &len);
  const char *edits[][2] = {
    {"\"revision\": 4", "\"revision\": \"4\""},      /* wrong type */
    {"\"op\": \"upsert\"", "\"op\": \"replace\""},   /* unknown enum */
    {"\"status\": \"final\"", "\"status\": \"draft\""},
    {"\"payload\": {}", "\"payload\": {\"a\": 1}"},  /* delete with answers */
    {"\"batch_id\": \"c1e8", "\"batch_id\": \"C1E8"}, /* upper-case uuid */
    {"\"protocol\": 2,", ""},                         /* missing protocol */
    {"\"protocol\": 2,", "\"protocol\": 2, \"extra\": true,"}, /* unknown key */
  };
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    const char *at = strstr(basic, edits[i][0]);
    assert_non_null(at);
    size_t pre = (size_t)(at - basic), old = strlen(edits[i][0]), add = strlen(edits[i][1]);
    char *b = malloc(len + add + 1);
    memcpy(b, basic, pre);
    memcpy(b + pre, edits[i][1], add);
    memcpy(b + pre + add, at + old, len - pre - old + 1);
    push_expect(b, strlen(b), 0, NULL, 400, "bad_request");
    free(b);
  }
  /* another protocol version in the body */
  const char *at = strstr(basic, "\"protocol\": 2");
  basic[at - basic + strlen("\"protocol\": ")] = '3';
  push_expect(basic, len, 0, NULL, 400, "unsupported_protocol");
  free(basic);

  /* the same (uuid, revision) twice in one batch */
  char uuid[40], batch[40], hlc[64];
  make_uuid(uuid);
  make_uuid(batch);
  make_hlc(hlc, 1732512345678LL, 0, GOLDEN_DEVICE);
  char *two[2] = {make_change(uuid, 1, 0, NULL, hlc, "upsert", NULL),
                  make_change(uuid, 1, 0, NULL, hlc, "upsert", NULL)};
  char *body = make_push(GOLDEN_DEVICE, batch, two, 2);
  push_expect(body, strlen(body), 0, NULL, 400, "bad_request");
  free(body);
  free(two[0]);
  free(two[1]);
}

static void test_push_for_another_device_id_is_403_forbidden(void **state)
{
  (void)state;
  char *body = one_change_push(REVOKED.id, "{\"province\":\"35\"}");
  push_expect(body, strlen(body), 0, NULL, 403, "forbidden");
  free(body);
}

static void test_bad_pull_parameters_are_400(void **state)
{
  (void)state;
  const char *paths[] = {"/v1/pull?limit=0", "/v1/pull?limit=501", "/v1/pull?limit=abc",
                         "/v1/pull?cursor=not%20valid", "/v1/pull?cursor=abc"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    reply_t r;
    assert_int_equal(http_call(&S, "GET", paths[i], &DEV, NULL, NULL, 0, 0, &r), 0);
    expect_error(&r, 400, "bad_request");
    reply_free(&r);
  }
}

static void test_pull_bodies_follow_accept_encoding(void **state)
{
  (void)state;
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/pull", &DEV, NULL, NULL, 0, REQ_ACCEPT_LZ4, &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.content_encoding, "lz4");   /* the page embeds the form definition */
  proto_pull_resp_t *p = NULL;
  proto_diag_t d;
  assert_int_equal(proto_pull_resp_decode(r.body, r.len, &p, &d), SYNC_OK);
  proto_pull_resp_free(p);
  reply_free(&r);
  assert_int_equal(http_call(&S, "GET", "/v1/pull", &DEV, NULL, NULL, 0, 0, &r), 0);
  assert_string_equal(r.content_encoding, "");
  reply_free(&r);
}

static void test_server_listens_on_ipv6_loopback(void **state)
{
  (void)state;
  FILE *f = fopen("/proc/net/if_inet6", "r");
  if (!f) {
    skip();
    return;
  }
  fclose(f);
  server_t s6;
  assert_int_equal(server_prepare(&s6), 0);
  if (server_start(&s6, "[::1]:0") != 0) {
    server_cleanup(&s6);
    skip();
    return;
  }
  assert_non_null(strstr(s6.base, "[::1]:"));
  reply_t r;
  assert_int_equal(http_call(&s6, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  assert_int_equal(server_stop(&s6, SIGTERM), 0);
  server_cleanup(&s6);
}

static void test_server_speaks_https_with_the_given_certificate(void **state)
{
  (void)state;
  server_t st;
  assert_int_equal(server_prepare(&st), 0);
  /* certtool comes with gnutls-bin, which scripts/setup-deps.sh installs */
  assert_int_equal(ts_make_test_ca(st.dir, NULL), 0);
  char *cert = ts_path(st.dir, "srv.pem"), *key = ts_path(st.dir, "srv.key");
  char *ca = ts_path(st.dir, "ca.pem");
  st.tls_cert = cert;
  st.tls_key = key;
  st.cainfo = ca;
  assert_int_equal(server_start(&st, NULL), 0);
  assert_true(strncmp(st.base, "https://", 8) == 0);
  reply_t r;
  assert_int_equal(http_call(&st, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  assert_int_equal(server_stop(&st, SIGTERM), 0);
  server_cleanup(&st);
  free(cert);
  free(key);
  free(ca);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_health_answers_without_credential),
    cmocka_unit_test(test_whoami_names_the_device_of_a_good_credential),
    cmocka_unit_test(test_whoami_refuses_missing_wrong_unknown_and_malformed_credentials),
    cmocka_unit_test(test_revoked_device_gets_403_device_revoked),
    cmocka_unit_test(test_failed_credentials_are_logged_without_the_secret),
    cmocka_unit_test(test_unknown_path_is_404_and_wrong_method_405_with_allow),
    cmocka_unit_test(test_unsupported_protocol_header_lists_supported_versions),
    cmocka_unit_test(test_forms_list_and_fetch_agree_on_the_hash),
    cmocka_unit_test(test_unknown_form_version_is_404_unknown_form),
    cmocka_unit_test(test_malformed_json_is_400_and_stores_nothing),
    cmocka_unit_test(test_corrupt_truncated_or_trailing_lz4_is_bad_compression),
    cmocka_unit_test(test_unsupported_content_type_or_encoding_is_415),
    cmocka_unit_test(test_body_over_the_wire_cap_is_413),
    cmocka_unit_test(test_body_over_the_decompressed_cap_is_413),
    cmocka_unit_test(test_too_many_changes_or_a_huge_payload_is_413),
    cmocka_unit_test(test_schema_violations_are_400_bad_request),
    cmocka_unit_test(test_push_for_another_device_id_is_403_forbidden),
    cmocka_unit_test(test_bad_pull_parameters_are_400),
    cmocka_unit_test(test_pull_bodies_follow_accept_encoding),
    cmocka_unit_test(test_server_listens_on_ipv6_loopback),
    cmocka_unit_test(test_server_speaks_https_with_the_given_certificate),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
