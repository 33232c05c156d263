/* Bad answers from the server (a scripted fake on 127.0.0.1): garbage, truncated bodies, corrupt
 * LZ4, another protocol version, receipts that do not match or whose response signature does not
 * verify (altered signature or altered receipt),
 * 500/503/429 with Retry-After, 401, 403 revoked/expired, 413, a batch refused as a whole,
 * rejected changes, a stalled response, cancellation, bad enrollment answers. Each must end in a
 * clear error (or a correct recovery), with nothing lost or wrongly acknowledged locally and the
 * backoff honoured. Also the retention purge after a sync (the fake's receipts are old). */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fake_server.h"
#include "sync_fixture.h"

typedef enum mode {
  GOOD,
  GARBAGE,
  TRUNCATED,
  CORRUPT_LZ4,
  WHOAMI_PROTOCOL_3,
  UNSUPPORTED_PROTOCOL,
  RETRY_AFTER_HEADER,     /* 500 + Retry-After: 1, twice, then good */
  RETRY_AFTER_BODY,       /* 503 with retry_after in the body only, once, then good */
  UNAUTHORIZED,
  REVOKED,                /* 403 device_revoked on push */
  EXPIRED,                /* 403 credential_expired on push */
  RATE_LIMITED,           /* 429 rate_limited + Retry-After: 1, once, then good */
  BAD_SIGNATURE,          /* response signed, then its signature altered */
  TAMPERED_RECEIPT,       /* response signed, then the last receipt's received_at altered */
  WRONG_RECEIPTS,
  POISON,                 /* 400 bad_request for any batch holding `poison` */
  REJECT,                 /* `poison` rejected for good, `retry` rejected retryable (first time) */
  TOO_LARGE,              /* 413 for bodies over limit bytes */
  ENROLL_LIMITED,         /* /v1/enroll: 429 rate_limited, Retry-After: 120 */
  ENROLL_OTHER,           /* /v1/enroll: a credential for another device */
  ENROLL_OK,              /* /v1/enroll: a credential for this device */
  STALL,                  /* the first push answer is held 6 s, longer than the low-speed limit */
  HANG                    /* every push answer is held for 10 s */
} mode_t_;

typedef struct script {
  mode_t_ mode;
  char device_id[40];
  char poison[40], retry[40];
  int retry_rejected;
  size_t limit;
  int push_calls;
  int64_t seq;
  int max_changes_seen;
  char enroll_request[512];     /* the last /v1/enroll body, decoded */
  char enroll_encoding[32];
} script_t;

/* The answer to POST /v1/enroll for `device_id`. */
static void enroll_answer(fake_response_t *r, const char *device_id)
{
  proto_enroll_resp_t e = {.protocol = PROTO_VERSION, .name = (char *)"fake enrolled",
                           .unit = (char *)"fake unit", .credential_expires_at = 4102444800000LL,
                           .server_time = 1};
  snprintf(e.device_id, sizeof e.device_id, "%s", device_id);
  snprintf(e.secret, sizeof e.secret, "%s", "E0E0E0E0E0E0E0E0E0E0E0E0E0E0E0E0E0E0E0E0E0E");
  snprintf(e.server_id, sizeof e.server_id, "%s", FAKE_SERVER_ID);
  fake_receipt_key(e.receipt_key);
  char *json = NULL;
  size_t len = 0;
  proto_enroll_resp_encode(&e, &json, &len);
  fake_respond(r, 200, NULL, json, len);
  free(json);
}

static int reject_fn(void *ctx, const char *uuid, int64_t revision)
{
  (void)revision;
  script_t *s = ctx;
  if (strcmp(uuid, s->poison) == 0)
    return 1;
  if (strcmp(uuid, s->retry) == 0 && !s->retry_rejected) {
    s->retry_rejected = 1;
    return 2;
  }
  return 0;
}

static void handler(void *ctx, const fake_request_t *req, fake_response_t *r)
{
  script_t *s = ctx;
  if (strcmp(req->path, "/v1/whoami") == 0) {
    if (s->mode == UNAUTHORIZED) {
      fake_protocol_error(r, 401, "unauthorized", 0, -1, "WWW-Authenticate: Device realm=\"libsync\"\r\n");
    } else if (s->mode == WHOAMI_PROTOCOL_3) {
      char body[256];
      snprintf(body, sizeof body, "{\"protocol\":3,\"device_id\":\"%s\",\"name\":\"x\",\"unit\":\"\","
               "\"status\":\"active\",\"server_time\":1,\"credential_expires_at\":1}", s->device_id);
      fake_respond(r, 200, NULL, body, strlen(body));
    } else if (s->mode == UNSUPPORTED_PROTOCOL) {
      fake_protocol_error(r, 400, "unsupported_protocol", 0, -1, NULL);
    } else {
      fake_protocol_whoami(r, s->device_id);
    }
    return;
  }
  if (strcmp(req->path, "/v1/enroll") == 0) {
    snprintf(s->enroll_request, sizeof s->enroll_request, "%s", req->json ? req->json : "");
    snprintf(s->enroll_encoding, sizeof s->enroll_encoding, "%s", req->content_encoding);
    if (s->mode == ENROLL_LIMITED)
      fake_protocol_error(r, 429, "rate_limited", 1, -1, "Retry-After: 120\r\n");
    else if (s->mode == ENROLL_OTHER)
      enroll_answer(r, "00000000-0000-4000-8000-000000000000");
    else if (s->mode == ENROLL_OK)
      enroll_answer(r, s->device_id);
    else
      fake_respond(r, 200, NULL, "not JSON", 8);
    return;
  }
  if (strncmp(req->path, "/v1/pull", 8) == 0) {
    fake_protocol_pull_empty(r);
    return;
  }
  if (strcmp(req->path, "/v1/push") != 0) {
    fake_protocol_error(r, 404, "not_found", 0, -1, NULL);
    return;
  }
  int call = s->push_calls++;
  int n = fake_push_count(req);
  if (n > s->max_changes_seen)
    s->max_changes_seen = n;
  static const char garbage[] = "this is not JSON at all";
  switch (s->mode) {
  case GARBAGE:
    fake_respond(r, 200, NULL, garbage, sizeof garbage - 1);
    return;
  case TRUNCATED: {
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 5000\r\n\r\n{\"protocol\":1,\"batch_id\":";
    r->raw = malloc(sizeof head);
    memcpy(r->raw, head, sizeof head - 1);
    r->len = sizeof head - 1;
    r->close_after = 1;
    return;
  }
  case CORRUPT_LZ4: {
    unsigned char junk[64] = {0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7};
    for (size_t i = 7; i < sizeof junk; i++)
      junk[i] = (unsigned char)(i * 37);
    fake_respond(r, 200, "Content-Encoding: lz4\r\n", junk, sizeof junk);
    return;
  }
  case RETRY_AFTER_HEADER:
    if (call < 2) {
      fake_protocol_error(r, 500, "internal", 1, -1, "Retry-After: 1\r\n");
      return;
    }
    break;
  case RETRY_AFTER_BODY:
    if (call < 1) {
      fake_protocol_error(r, 503, "server_busy", 1, 1, NULL);
      return;
    }
    break;
  case REVOKED:
    fake_protocol_error(r, 403, "device_revoked", 0, -1, NULL);
    return;
  case EXPIRED:
    fake_protocol_error(r, 403, "credential_expired", 0, -1, NULL);
    return;
  case RATE_LIMITED:
    if (call < 1) {
      fake_protocol_error(r, 429, "rate_limited", 1, -1, "Retry-After: 1\r\n");
      return;
    }
    break;
  case BAD_SIGNATURE: {
    fake_protocol_push(r, req, &s->seq, NULL, NULL);
    /* One base64 character of the last signature changed (the body is plain JSON). */
    static const char key[] = "\"signature\":\"";
    char *sig = NULL;
    for (size_t i = 0; r->raw && i + sizeof key < r->len; i++)
      if (memcmp(r->raw + i, key, sizeof key - 1) == 0)
        sig = r->raw + i + sizeof key - 1;
    if (sig)
      *sig = *sig == 'A' ? 'B' : 'A';
    return;
  }
  case TAMPERED_RECEIPT: {
    fake_protocol_push(r, req, &s->seq, NULL, NULL);
    /* The fake's receipts are received at 1: the last one now says 2, the signature unchanged. */
    static const char key[] = "\"received_at\":1";
    char *at = NULL;
    for (size_t i = 0; r->raw && i + sizeof key <= r->len; i++)
      if (memcmp(r->raw + i, key, sizeof key - 1) == 0)
        at = r->raw + i + sizeof key - 2;
    if (at)
      *at = '2';
    return;
  }
  case WRONG_RECEIPTS: {
    fake_request_t copy = *req;
    char *json = strdup(req->json);
    /* Receipts for another record: change one hex digit of the first uuid. */
    char *p = strstr(json, "\"uuid\":\"");
    p[8] = p[8] == 'a' ? 'b' : 'a';
    copy.json = json;
    fake_protocol_push(r, &copy, &s->seq, NULL, NULL);
    free(json);
    return;
  }
  case POISON:
    if (fake_push_has(req, s->poison)) {
      fake_protocol_error(r, 400, "bad_request", 0, -1, NULL);
      return;
    }
    break;
  case REJECT:
    fake_protocol_push(r, req, &s->seq, reject_fn, s);
    return;
  case TOO_LARGE:
    if (req->len > s->limit) {
      fake_protocol_error(r, 413, "body_too_large", 0, -1, NULL);
      return;
    }
    break;
  case STALL:
    if (call == 0)
      r->delay_ms = 6000;
    break;
  case HANG:
    r->delay_ms = 10000;
    break;
  default:
    break;
  }
  fake_protocol_push(r, req, &s->seq, NULL, NULL);
}

typedef struct world {
  fx_device_t dev;
  fake_server_t fake;
  script_t script;
  char uuids[3][40];
} world_t;

static int setup(void **state)
{
  world_t *w = calloc(1, sizeof *w);
  if (fx_device_create(&w->dev, 40, 9) != 0)
    return -1;
  snprintf(w->script.device_id, sizeof w->script.device_id, "%s", w->dev.id);
  sync_store_t *s = NULL;
  sync_record_list_t *list = NULL;
  if (fx_store_open(w->dev.path, &s) != SYNC_OK || sync_record_list(s, NULL, &list) != SYNC_OK)
    return -1;
  for (size_t i = 0; i < 3; i++)
    snprintf(w->uuids[i], sizeof w->uuids[i], "%s", sync_record_uuid(sync_record_list_at(list, 10 + i * 7)));
  sync_record_list_free(list);
  sync_store_close(s);
  char key[48];
  fake_receipt_key(key);
  if (fake_start(&w->fake, handler, &w->script) != 0 ||
      fx_enroll_direct(w->dev.path, w->fake.url, "B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B",
                       FAKE_SERVER_ID, key) != 0)
    return -1;
  *state = w;
  return 0;
}

static int teardown(void **state)
{
  world_t *w = *state;
  fake_stop(&w->fake);
  fx_device_destroy(&w->dev);
  free(w);
  return 0;
}

static void config(world_t *w, sync_engine_config_t *c)
{
  sync_engine_config_init(c);
  c->store_path = w->dev.path;
  c->server_url = w->fake.url;
  c->store_passphrase = FX_PASSPHRASE;
  c->allow_plain_http_loopback = 1;
  c->language = "en";
  c->max_attempts = 3;
  c->backoff_base_ms = 5;
  c->backoff_max_ms = 50;
  c->low_speed_time_s = 1;
  c->low_speed_bytes_per_s = 1;
  c->connect_timeout_ms = 2000;
}

static sync_err_t run(world_t *w, sync_engine_config_t *c, sync_status_t *st)
{
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(c, &e, NULL, 0), SYNC_OK);
  sync_err_t err = sync_engine_run_once(e);
  sync_engine_status(e, st);
  sync_engine_free(e);
  return err;
}

/* Nothing acknowledged, nothing failed, every record still waiting. */
static void assert_outbox_untouched(const world_t *w)
{
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.pending, 40);
  assert_int_equal(ob.acked, 0);
  assert_int_equal(ob.failed, 0);
}

/* The outbox's error bookkeeping: rows sent and failed have attempts and last_error. */
static int rows_with_error(const world_t *w)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int n = -1;
  if (sqlite3_open_v2(w->dev.path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox WHERE attempts > 0 AND last_error <> ''",
                         -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static void expect_retried_failure(world_t *w, mode_t_ mode, sync_err_t want, const char *words)
{
  w->script.mode = mode;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  assert_int_equal(run(w, &c, &st), want);
  assert_int_equal(st.last_error, want);
  assert_int_equal(st.state, SYNC_STATE_OFFLINE);
  if (!strstr(st.message, words))
    fail_msg("message '%s' lacks '%s'", st.message, words);
  assert_int_equal(w->script.push_calls, 3); /* max_attempts */
  assert_int_equal(fake_count(&w->fake, "/v1/whoami"), 1);
  assert_outbox_untouched(w);
  assert_true(rows_with_error(w) > 0);
}

static void test_garbage_body_is_a_protocol_error_and_acknowledges_nothing(void **state)
{
  expect_retried_failure(*state, GARBAGE, SYNC_ERR_PROTOCOL, "could not be read");
}

static void test_truncated_body_is_a_network_error_and_acknowledges_nothing(void **state)
{
  expect_retried_failure(*state, TRUNCATED, SYNC_ERR_NETWORK, "No connection to the server");
}

static void test_corrupt_lz4_is_a_protocol_error_and_acknowledges_nothing(void **state)
{
  expect_retried_failure(*state, CORRUPT_LZ4, SYNC_ERR_PROTOCOL, "could not be read");
}

static void test_receipts_that_do_not_echo_the_batch_acknowledge_nothing(void **state)
{
  expect_retried_failure(*state, WRONG_RECEIPTS, SYNC_ERR_PROTOCOL, "could not be read");
}

static void test_another_protocol_version_is_refused_clearly(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  w->script.mode = WHOAMI_PROTOCOL_3;
  assert_int_equal(run(w, &c, &st), SYNC_ERR_PROTOCOL);
  assert_int_equal(w->script.push_calls, 0);
  assert_outbox_untouched(w);
  /* The server saying it does not speak ours: not retried, and its words are shown. */
  w->script.mode = UNSUPPORTED_PROTOCOL;
  int before = fake_count(&w->fake, "/v1/");
  assert_int_equal(run(w, &c, &st), SYNC_ERR_PROTOCOL);
  assert_int_equal(fake_count(&w->fake, "/v1/") - before, 1);
  assert_int_equal(st.state, SYNC_STATE_ERROR);
  assert_non_null(strstr(st.message, "protocol version"));
  assert_non_null(strstr(st.message, "Test error."));
  assert_outbox_untouched(w);
}

static void test_unauthorized_stops_at_once_in_plain_words(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  c.language = "id";
  w->script.mode = UNAUTHORIZED;
  assert_int_equal(run(w, &c, &st), SYNC_ERR_AUTH);
  assert_int_equal(st.state, SYNC_STATE_ERROR);
  assert_string_equal(st.message, "Perangkat ini ditolak server (kredensial tidak dikenal). Daftarkan "
                                  "ulang perangkat dengan kode baru dari admin pusat.");
  assert_int_equal(fake_count(&w->fake, "/v1/"), 1);
  assert_outbox_untouched(w);
}

/* 403 revoked / expired: stopped at once (state ERROR), said which, nothing acknowledged. */
static void expect_refused_device(world_t *w, mode_t_ mode, sync_err_t want, const char *words)
{
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  w->script.mode = mode;
  int before = w->script.push_calls;
  assert_int_equal(run(w, &c, &st), want);
  assert_int_equal(st.state, SYNC_STATE_ERROR);
  assert_int_equal(st.last_error, want);
  if (!strstr(st.message, words))
    fail_msg("message '%s' lacks '%s'", st.message, words);
  assert_int_equal(w->script.push_calls - before, 1);
  assert_outbox_untouched(w);
}

static void test_revoked_or_expired_device_stops_at_once_saying_which(void **state)
{
  world_t *w = *state;
  expect_refused_device(w, REVOKED, SYNC_ERR_REVOKED, "revoked by the central office");
  expect_refused_device(w, EXPIRED, SYNC_ERR_AUTH, "credential has expired");
}

/* A response that does not verify (mode) stops the run with SYNC_ERR_CRYPTO, acknowledges nothing
 * and is not retried at once; a correct one afterwards delivers everything. */
static void expect_untrusted_response(world_t *w, mode_t_ mode)
{
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  w->script.mode = mode;
  assert_int_equal(run(w, &c, &st), SYNC_ERR_CRYPTO);
  assert_int_equal(st.state, SYNC_STATE_ERROR);
  assert_non_null(strstr(st.message, "receipt signature does not verify"));
  assert_int_equal(w->script.push_calls, 1); /* an impostor is not hammered */
  assert_outbox_untouched(w);
  assert_true(rows_with_error(w) > 0);
  /* Correct signatures afterwards: everything goes through. */
  w->script.mode = GOOD;
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 40);
}

static void test_receipts_whose_signature_does_not_verify_acknowledge_nothing(void **state)
{
  expect_untrusted_response(*state, BAD_SIGNATURE);
}

static void test_a_receipt_altered_under_the_signature_acknowledges_nothing(void **state)
{
  expect_untrusted_response(*state, TAMPERED_RECEIPT);
}

static void test_rate_limited_is_retried_after_the_wait(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  w->script.mode = RATE_LIMITED;
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  /* Requests: whoami, push (429), push ...: the second push waited for Retry-After. */
  assert_true(w->script.push_calls >= 2);
  assert_true(w->fake.at_ms[2] - w->fake.at_ms[1] >= 1000);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 40);
}

static void test_enrollment_failures_are_said_plainly_and_save_nothing(void **state)
{
  world_t *w = *state;
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  char *before = NULL, *after = NULL, why[512];
  assert_int_equal(sync_store_enrollment(s, &before), SYNC_OK);
  sync_enroll_config_t c;
  sync_enroll_config_init(&c);
  c.server_url = w->fake.url;
  c.code = "abcd-efgh-jkmn";
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  w->script.mode = ENROLL_LIMITED;
  assert_int_equal(sync_enroll(s, &c, why, sizeof why), SYNC_ERR_SERVER);
  assert_non_null(strstr(why, "Try again in 2 minutes"));
  /* The request: lz4, protocol 2, the code as typed and this store's device id. */
  assert_string_equal(w->script.enroll_encoding, "lz4");
  assert_non_null(strstr(w->script.enroll_request, "\"protocol\":2"));
  assert_non_null(strstr(w->script.enroll_request, "abcd-efgh-jkmn"));
  assert_non_null(strstr(w->script.enroll_request, w->dev.id));
  w->script.mode = ENROLL_OTHER;
  assert_int_equal(sync_enroll(s, &c, why, sizeof why), SYNC_ERR_PROTOCOL);
  assert_non_null(strstr(why, "another device"));
  w->script.mode = GARBAGE;
  assert_int_equal(sync_enroll(s, &c, why, sizeof why), SYNC_ERR_PROTOCOL);
  assert_non_null(strstr(why, "could not be read"));
  c.server_url = "http://127.0.0.1:1"; /* nobody listens */
  assert_int_equal(sync_enroll(s, &c, why, sizeof why), SYNC_ERR_NETWORK);
  assert_int_equal(sync_store_enrollment(s, &after), SYNC_OK);
  assert_string_equal(after, before);
  sync_free(after);
  /* A good answer replaces the enrollment. */
  c.server_url = w->fake.url;
  w->script.mode = ENROLL_OK;
  assert_int_equal(sync_enroll(s, &c, why, sizeof why), SYNC_OK);
  assert_int_equal(sync_store_enrollment(s, &after), SYNC_OK);
  assert_non_null(strstr(after, "fake unit"));
  sync_free(after);
  sync_free(before);
  sync_store_close(s);
}

/* The fake's receipts are dated 1 ms after the epoch: with any retention, old enough to purge. */
static void test_a_complete_sync_purges_by_retention_and_says_so(void **state)
{
  world_t *w = *state;
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_store_set_retention_days(s, 30), SYNC_OK);
  sync_store_close(s);
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  w->script.mode = GOOD;
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  assert_string_equal(st.message, "40 old records were purged from this device by the retention "
                                  "rule (their receipts are kept).");
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  sync_record_t *rec = NULL;
  assert_int_equal(sync_record_get(s, w->uuids[0], &rec), SYNC_OK);
  assert_int_equal(sync_record_purged(rec), 1);
  sync_record_free(rec);
  sync_store_close(s);
  /* Nothing left to purge: nothing said. */
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  assert_string_equal(st.message, "");
}

static void test_retry_after_is_honoured_then_everything_is_acknowledged(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  c.max_attempts = 5;
  w->script.mode = RETRY_AFTER_HEADER;
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  assert_true(w->script.push_calls >= 3);
  /* Requests: whoami, push (500), push (500), push ... Backoff base is 5 ms, yet each retry
   * waited for the server's Retry-After of one second. */
  assert_true(w->fake.at_ms[2] - w->fake.at_ms[1] >= 1000);
  assert_true(w->fake.at_ms[3] - w->fake.at_ms[2] >= 1000);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 40);
  assert_int_equal(st.progress.records_done, 40);
}

static void test_retry_after_in_the_error_body_is_honoured(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  w->script.mode = RETRY_AFTER_BODY;
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  assert_true(w->fake.at_ms[2] - w->fake.at_ms[1] >= 1000);
}

static void test_batch_refused_as_a_whole_is_split_to_find_the_one_bad_change(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  snprintf(w->script.poison, sizeof w->script.poison, "%s", w->uuids[1]);
  w->script.mode = POISON;
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 39);
  assert_int_equal(ob.failed, 1);
  assert_int_equal(st.progress.records_done, 39);
  assert_true(w->script.push_calls <= 16); /* a binary search, not one request per record */
  assert_non_null(strstr(st.message, "1 records were refused"));
}

static void test_rejected_changes_are_kept_failed_or_resent(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  snprintf(w->script.poison, sizeof w->script.poison, "%s", w->uuids[0]);
  snprintf(w->script.retry, sizeof w->script.retry, "%s", w->uuids[2]);
  w->script.mode = REJECT;
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 38);
  assert_int_equal(ob.failed, 1);
  assert_int_equal(ob.pending, 1); /* retryable: waits for the next run */
  assert_int_equal(st.pending, 1);
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 39);
  assert_int_equal(ob.failed, 1);
  assert_int_equal(st.progress.records_total, 1);
  /* The refusal is kept with the row for the officer. */
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  assert_int_equal(sqlite3_open_v2(w->dev.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT uuid, last_error FROM outbox WHERE failed_at IS NOT NULL",
                                      -1, &q, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(q, 0), w->uuids[0]);
  assert_non_null(strstr((const char *)sqlite3_column_text(q, 1), "invalid_change"));
  sqlite3_finalize(q);
  sqlite3_close(db);
  /* ... and through the API: the record says refused and why, the counts keep it apart. */
  sync_store_t *s = NULL;
  sync_record_t *rec = NULL;
  sync_store_stats_t stats;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_get(s, w->uuids[0], &rec), SYNC_OK);
  assert_int_equal(sync_record_delivery(rec), SYNC_DELIVERY_REFUSED);
  /* in the store's language, with the server's own words in it, no wire code */
  if (!strstr(sync_record_refusal(rec), "Ditolak server") ||
      !strstr(sync_record_refusal(rec), "Jawaban tidak sesuai") ||
      strstr(sync_record_refusal(rec), "invalid_change"))
    fail_msg("refusal not in plain Indonesian: %s", sync_record_refusal(rec));
  sync_record_free(rec);
  assert_int_equal(sync_store_stats(s, &stats), SYNC_OK);
  assert_int_equal(stats.outbox_refused, 1);
  assert_int_equal(stats.outbox_pending, 0);
  sync_store_close(s);
}

static void test_too_large_halves_the_batch_until_it_fits(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  c.batch_initial_bytes = 64 * 1024;
  w->script.mode = TOO_LARGE;
  w->script.limit = 3000; /* below the smallest budget: batches are split too */
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 40);
  assert_int_equal(ob.failed, 0);
}

static void test_stalled_response_times_out_and_is_retried(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  sync_status_t st;
  config(w, &c);
  w->script.mode = STALL;
  int64_t t0 = fx_now_ms();
  assert_int_equal(run(w, &c, &st), SYNC_OK);
  int64_t ms = fx_now_ms() - t0;
  assert_true(ms >= 1000);
  /* The stalled request was given up (low-speed limit) and its batch sent again. */
  assert_true(w->script.push_calls >= 2);
  assert_true(rows_with_error(w) == 0); /* acknowledged rows carry no error */
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.acked, 40);
}

typedef struct canceller {
  sync_engine_t *e;
  int after_ms;
} canceller_t;

static void *cancel_later(void *arg)
{
  canceller_t *k = arg;
  fx_sleep_ms(k->after_ms);
  sync_engine_cancel(k->e);
  return NULL;
}

static void test_cancel_interrupts_a_request_in_flight(void **state)
{
  world_t *w = *state;
  sync_engine_config_t c;
  config(w, &c);
  c.low_speed_time_s = 60;
  w->script.mode = HANG;
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
  canceller_t k = {e, 300};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, cancel_later, &k), 0);
  int64_t t0 = fx_now_ms();
  assert_int_equal(sync_engine_run_once(e), SYNC_ERR_CANCELLED);
  int64_t ms = fx_now_ms() - t0;
  pthread_join(t, NULL);
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);
  assert_true(ms < 300 + 500); /* cancelled after 300 ms; the request ends within a poll */
  assert_int_equal(st.last_error, SYNC_ERR_CANCELLED);
  assert_string_equal(st.message, "Sync cancelled.");
  assert_outbox_untouched(w);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_garbage_body_is_a_protocol_error_and_acknowledges_nothing),
    T(test_truncated_body_is_a_network_error_and_acknowledges_nothing),
    T(test_corrupt_lz4_is_a_protocol_error_and_acknowledges_nothing),
    T(test_receipts_that_do_not_echo_the_batch_acknowledge_nothing),
    T(test_another_protocol_version_is_refused_clearly),
    T(test_unauthorized_stops_at_once_in_plain_words),
    T(test_revoked_or_expired_device_stops_at_once_saying_which),
    T(test_receipts_whose_signature_does_not_verify_acknowledge_nothing),
    T(test_a_receipt_altered_under_the_signature_acknowledges_nothing),
    T(test_rate_limited_is_retried_after_the_wait),
    T(test_a_complete_sync_purges_by_retention_and_says_so),
    T(test_enrollment_failures_are_said_plainly_and_save_nothing),
    T(test_retry_after_is_honoured_then_everything_is_acknowledged),
    T(test_retry_after_in_the_error_body_is_honoured),
    T(test_batch_refused_as_a_whole_is_split_to_find_the_one_bad_change),
    T(test_rejected_changes_are_kept_failed_or_resent),
    T(test_too_large_halves_the_batch_until_it_fits),
    T(test_stalled_response_times_out_and_is_retried),
    T(test_cancel_interrupts_a_request_in_flight),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
