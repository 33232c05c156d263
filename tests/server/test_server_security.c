/* The real syncserver's security (proto/SECURITY.md 2, 4, 7, 9): one-time enrollment codes,
 * refused credentials (unknown, revoked, expired) on push and pull, the failed-authentication
 * limit per address, signed receipts, sealed records of an encrypted form (stored, refused,
 * exported with the central key, tampering reported) and likely duplicates. */
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
#include <sys/stat.h>
#include <time.h>

#include "codec.h"
#include "form_def.h"
#include "form_seal.h"
#include "receipt_leaves.h"
#include "server_fixture.h"
#include "test_support.h"

#define MARKER "Penanda-rahasia 7f3a: Ibu Sulastri, Desa Karangrejo"
/* A receipt document as sync_record_receipt() writes it (receipt.h). */
#define RECEIPT_DOC                                                                                \
  "{\"kind\":\"libsync-receipt\",\"server_id\":\"%s\",\"device_id\":\"%s\",\"uuid\":\"%s\","     \
  "\"revision\":1,\"hlc\":\"%s\",\"server_seq\":%lld,\"received_at\":%lld,"                 \
  "\"leaf_index\":%zu,\"leaf_count\":%zu,\"path\":%s,\"signature\":\"%s\",\"receipt_key\":\"%s\"}"

static server_t S;
static device_t DEV, OTHER;
static char KEY[512];             /* the central key file (syncserver keygen) */
static form_t *FORM;              /* the encrypted version 2 as published */

/* ---- set-up ---------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (sodium_init() < 0 || server_prepare(&S) != 0)
    return -1;
  /* Many refusals below come from 127.0.0.1; the limit has its own server in its test. */
  S.auth_fail_limit = 1000;
  const char *dedup[] = {"--dedup-fields", "sex,birth_date,nationality", NULL};
  if (!(FORM = publish_consent_form_v2(&S, dedup, KEY)) || server_start(&S, NULL) != 0 ||
      add_device(&S, "Laptop PPA Ponorogo 02", GOLDEN_DEVICE, &DEV) != 0 ||
      add_device_in(&S, "Tablet Dinsos Kupang", "Dinas Sosial Kota Kupang", NULL, &OTHER) != 0)
    return -1;
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  form_free(FORM);
  assert_int_equal(server_stop(&S, SIGTERM), 0);
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

/* ---- helpers --------------------------------------------------------------------------------- */

static void expect_error(const reply_t *r, long status, const char *code)
{
  if (r->status != status || strcmp(reply_error_code(r), code) != 0)
    fprintf(stderr, "got %ld %s\n", r->status, r->body ? r->body : "(no body)");
  assert_int_equal(r->status, status);
  assert_string_equal(reply_error_code(r), code);
}

/* A change of form version 2 for `answers`: sealed and clear part as a device makes them. */
static proto_change_t sealed_change(const device_t *dev, const char *uuid, const char *answers,
                                    int seal)
{
  proto_change_t c = v2_change(dev->id, uuid);
  size_t len = strlen(answers);
  if (seal) {
    assert_int_equal(form_clear_part(FORM, answers, len, &c.payload), SYNC_OK);
    assert_int_equal(form_seal(FORM, uuid, answers, len, &c.sealed), SYNC_OK);
  } else {
    c.payload = strdup(answers);
  }
  assert_int_equal(form_dedup_hash(FORM, answers, len, c.dedup), SYNC_OK);
  return c;
}

/* Pushes the changes; the decoded response (caller frees) and the request body in *req_out. */
static proto_push_resp_t *push(const device_t *dev, proto_change_t *changes, size_t n,
                               char **req_out)
{
  char *body = NULL;
  size_t len = 0;
  reply_t r;
  proto_push_resp_t *resp = push_changes(&S, dev, changes, n, &body, &len, &r);
  assert_non_null(resp);
  assert_int_equal(push_response_signed(&S, dev, body, len, r.body, r.len), 1);
  reply_free(&r);
  if (req_out)
    *req_out = body;
  else
    free(body);
  return resp;
}

/* Answers of one person; `notes` goes only into the sealed part. */
static char *answers(const char *birth, const char *notes)
{
  char *out = malloc(1024);
  snprintf(out, 1024,
           "{\"interview_date\":\"2026-11-01\",\"province\":\"35\",\"regency_code\":\"35.02\","
           "\"consent\":\"yes\",\"sex\":\"f\",\"birth_date\":\"%s\",\"nationality\":\"IDN\","
           "\"officer_notes\":\"%s\"}", birth, notes);
  return out;
}

static int file_has(const char *path, const char *needle)
{
  return ts_file_holds(path, needle, strlen(needle));
}

/* ---- enrollment ------------------------------------------------------------------------------ */

static void test_an_enrollment_code_works_once(void **state)
{
  (void)state;
  char code[32], a[40], b[40];
  make_uuid(a);
  make_uuid(b);
  assert_int_equal(enroll_code(&S, "Laptop Polres Batu", NULL, code), 0);
  assert_int_equal(strlen(code), 14);
  assert_true(code[4] == '-' && code[9] == '-');
  device_t d;
  assert_int_equal(enroll_device(&S, code, a, &d), 200);
  assert_int_equal(strlen(d.secret), 43);
  long long year = 365LL * 86400000;
  assert_true(d.credential_expires_at > (long long)time(NULL) * 1000 + year - 60000);
  /* the credential works; whoami tells when it expires */
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/whoami", &d, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  proto_whoami_t *w = NULL;
  proto_diag_t diag;
  assert_int_equal(proto_whoami_decode(r.body, r.len, &w, &diag), SYNC_OK);
  assert_string_equal(w->name, "Laptop Polres Batu");
  assert_int_equal(w->credential_expires_at, d.credential_expires_at);
  proto_whoami_free(w);
  reply_free(&r);
  /* a second use is refused, from the same device and from another, lower case and dashes
   * dropped changing nothing */
  device_t again;
  assert_int_equal(enroll_device(&S, code, a, &again), 401);
  char typed[32];
  snprintf(typed, sizeof typed, "%.4s %.4s%.4s", code, code + 5, code + 10);
  for (char *p = typed; *p; p++)
    *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
  assert_int_equal(enroll_device(&S, typed, b, &again), 401);
  assert_int_equal(enroll_device(&S, "ABCD-EFGH-JKMN", b, &again), 401);
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM devices WHERE device_id = '%s'", b);
  assert_int_equal(db_scalar(&S, sql), 0);
  /* the refusal says nothing about which check failed */
  proto_enroll_req_t req = {.protocol = PROTO_VERSION};
  snprintf(req.code, sizeof req.code, "%s", code);
  snprintf(req.device_id, sizeof req.device_id, "%.36s", b);
  char *body = NULL;
  size_t len = 0;
  assert_int_equal(proto_enroll_req_encode(&req, &body, &len), SYNC_OK);
  assert_int_equal(http_call(&S, "POST", "/v1/enroll", NULL, NULL, body, len, 0, &r), 0);
  expect_error(&r, 401, "invalid_enrollment_code");
  free(body);
  reply_free(&r);
  /* only hashes are stored; the listing never shows a code */
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM enroll_codes"
                                 " WHERE length(code_sha256) <> 32"), 0);
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "enroll", "list", "--db", S.db, "--json", NULL), 0);
  assert_null(strstr(out, code));
  assert_null(strstr(out, "\"code\""));
  cJSON *list = cJSON_Parse(out);
  free(out);
  int used = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, list) {
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(it, "used_by");
    used += cJSON_IsString(by) && strcmp(by->valuestring, a) == 0 &&
            strcmp(cJSON_GetObjectItemCaseSensitive(it, "status")->valuestring, "used") == 0;
  }
  cJSON_Delete(list);
  assert_int_equal(used, 1);
}

static void test_an_expired_code_is_refused(void **state)
{
  (void)state;
  char code[32], id[40];
  const char *now[] = {"--ttl-hours", "0", NULL};
  assert_int_equal(enroll_code(&S, "Too late", now, code), 0);
  make_uuid(id);
  device_t d;
  assert_int_equal(enroll_device(&S, code, id, &d), 401);
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "enroll", "list", "--db", S.db, NULL), 0);
  assert_non_null(strstr(out, "expired"));
  free(out);
}

/* ---- refused credentials --------------------------------------------------------------------- */

static void expect_push_and_pull_refused(const device_t *d, long status, const char *code)
{
  char uuid[40];
  make_uuid(uuid);
  char *a = answers("2001-02-03", "x");
  proto_change_t c = sealed_change(d, uuid, a, 1);
  proto_push_req_t req = {.protocol = PROTO_VERSION, .changes = &c, .n_changes = 1};
  snprintf(req.device_id, sizeof req.device_id, "%.36s", d->id);
  char batch[40];
  make_uuid(batch);
  snprintf(req.batch_id, sizeof req.batch_id, "%.36s", batch);
  char *body = NULL;
  size_t len = 0;
  assert_int_equal(proto_push_req_encode(&req, &body, &len), SYNC_OK);
  reply_t r;
  assert_int_equal(http_call(&S, "POST", "/v1/push", d, NULL, body, len, 0, &r), 0);
  expect_error(&r, status, code);
  reply_free(&r);
  assert_int_equal(http_call(&S, "GET", "/v1/pull", d, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, status, code);
  reply_free(&r);
  free(body);
  free(a);
  v2_change_clear(&c);
}

static void test_unknown_revoked_and_expired_devices_can_neither_push_nor_pull(void **state)
{
  (void)state;
  long long before = db_scalar(&S, "SELECT count(*) FROM record_revisions");
  device_t unknown;
  memset(&unknown, 0, sizeof unknown);
  make_uuid(unknown.id);
  snprintf(unknown.auth, sizeof unknown.auth, "Device %s:%s", unknown.id, DEV.secret);
  expect_push_and_pull_refused(&unknown, 401, "unauthorized");

  device_t rev, exp;
  assert_int_equal(add_device(&S, "Stolen tablet", NULL, &rev), 0);
  assert_int_equal(run_syncserver(NULL, "device", "revoke", "--db", S.db, rev.id, NULL), 0);
  expect_push_and_pull_refused(&rev, 403, "device_revoked");

  assert_int_equal(add_device(&S, "Old laptop", NULL, &exp), 0);
  char sql[200];
  snprintf(sql, sizeof sql, "UPDATE devices SET credential_expires_at = %lld"
                            " WHERE device_id = '%s'", (long long)time(NULL) * 1000 - 1000, exp.id);
  sqlite3 *h;
  assert_int_equal(sqlite3_open(S.db, &h), SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(h);
  expect_push_and_pull_refused(&exp, 403, "credential_expired");
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM record_revisions"), before);

  /* the listing shows the expiry; a code made for it brings the revoked device back with a new
   * secret */
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "device", "list", "--db", S.db, NULL), 0);
  assert_non_null(strstr(out, "CREDENTIAL EXPIRES"));
  assert_non_null(strstr(out, "expired"));
  free(out);
  char code[32];
  device_t back;
  const char *rekey[] = {"--device", rev.id, "--by", "test", NULL};
  assert_int_equal(enroll_code(&S, "Stolen tablet, found", rekey, code), 0);
  assert_int_equal(enroll_device(&S, code, rev.id, &back), 200);
  assert_string_not_equal(back.secret, rev.secret);
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/pull", &back, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  assert_int_equal(http_call(&S, "GET", "/v1/pull", &rev, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, 401, "unauthorized");
  reply_free(&r);
  /* every refusal is in the security log (repeats from one network add to one row's count) */
  assert_true(db_scalar(&S, "SELECT sum(count) FROM security_events WHERE kind = 'auth_failure'"
                            " AND reason LIKE '%revoked%'") >= 2);
  assert_true(db_scalar(&S, "SELECT sum(count) FROM security_events WHERE kind = 'auth_failure'"
                            " AND reason LIKE '%expired%'") >= 2);
}

static void test_failed_authentication_is_limited_per_address(void **state)
{
  (void)state;
  server_t L;
  device_t good, bad;
  assert_int_equal(server_prepare(&L), 0);
  L.auth_fail_limit = 3;
  assert_int_equal(server_start(&L, NULL), 0);
  assert_int_equal(add_device(&L, "Laptop", NULL, &good), 0);
  bad = good;
  snprintf(bad.auth, sizeof bad.auth, "Device %s:%s", good.id,
           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  reply_t r;
  /* two wrong secrets and one wrong enrollment code: three failures */
  for (int i = 0; i < 2; i++) {
    assert_int_equal(http_call(&L, "GET", "/v1/whoami", &bad, NULL, NULL, 0, 0, &r), 0);
    expect_error(&r, 401, "unauthorized");
    reply_free(&r);
  }
  device_t none;
  assert_int_equal(enroll_device(&L, "ZZZZ-ZZZZ-ZZZZ", good.id, &none), 401);
  /* from now on 127.0.0.1 is refused, a good credential too (a guesser must not learn from the
   * status which guess was right), until the 10-minute window has passed */
  assert_int_equal(http_call(&L, "GET", "/v1/whoami", &bad, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, 429, "rate_limited");
  assert_true(atoi(r.retry_after) > 590 && atoi(r.retry_after) <= 600);
  reply_free(&r);
  assert_int_equal(http_call(&L, "GET", "/v1/pull", &good, NULL, NULL, 0, 0, &r), 0);
  expect_error(&r, 429, "rate_limited");
  reply_free(&r);
  assert_int_equal(enroll_device(&L, "ABCD-EFGH-JKMN", good.id, &none), 429);
  assert_int_equal(http_call(&L, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  /* the failures are in the log and in the security log: one row per network, target and
   * reason, with a count (the audit listing shows the rows) */
  assert_int_equal(db_scalar(&L, "SELECT sum(count) FROM security_events WHERE kind ="
                                 " 'auth_failure' AND prefix = '127.0.0.0/24'"), 3);
  assert_int_equal(db_scalar(&L, "SELECT count(*) FROM security_events WHERE kind ="
                                 " 'auth_failure'"), 2);
  char *log = ts_read_file(L.log, NULL);
  assert_non_null(strstr(log, "event=auth_failure addr=\"127.0.0.1\" device="));
  assert_non_null(strstr(log, "reason=\"wrong secret"));
  assert_null(strstr(log, good.secret));
  free(log);
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "audit", "--db", L.db, "--json", NULL), 0);
  cJSON *doc = cJSON_Parse(out);
  free(out);
  int failures = 0, limited = 0;
  const cJSON *ev;
  cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(doc, "security")) {
    const char *kind = cJSON_GetObjectItemCaseSensitive(ev, "kind")->valuestring;
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ev, "addr")->valuestring, "127.0.0.1");
    failures += strcmp(kind, "auth_failure") == 0;
    limited += strcmp(kind, "rate_limited") == 0;
  }
  cJSON_Delete(doc);
  assert_int_equal(failures, 2);   /* wrong secret (twice), wrong code */
  assert_int_equal(limited, 1);
  assert_int_equal(server_stop(&L, SIGTERM), 0);
  server_cleanup(&L);
}

/* ---- signed receipts ------------------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* What one receipt claims, and where it sits in its response's tree of `count` leaves. */
typedef struct claim {
  size_t index, count;
  const char *signature, *server_id, *device_id, *uuid;
  int64_t revision;
  const char *hlc;
  int64_t server_seq, received_at;
} claim_t;

/* receipt_verify_parts with the server's published key. */
static sync_err_t verify_claim(const claim_t *c, const receipt_hash_t *path, size_t depth)
{
  unsigned char pk[32];
  assert_int_equal(receipt_key_decode(DEV.receipt_key, pk), 0);
  return receipt_verify_parts(c->index, c->count, path, depth, c->signature, c->server_id,
                              c->device_id, c->uuid, c->revision, c->hlc, c->server_seq,
                              c->received_at, pk);
}

/* `syncserver verify-receipt` on the document of a claim (revision 1): its exit code, after
 * checking VALID on stdout (0) or INVALID on stderr (else). */
static int verify_receipt(const claim_t *c, const char *path_json)
{
  char doc[2048], *file = ts_path(S.dir, "receipt.json");
  snprintf(doc, sizeof doc, RECEIPT_DOC, c->server_id, c->device_id, c->uuid, c->hlc,
           (long long)c->server_seq, (long long)c->received_at, c->index, c->count, path_json,
           c->signature, DEV.receipt_key);
  write_text(file, doc);
  char *out = NULL, *err = NULL;
  const char *args[] = {"verify-receipt", "--db", S.db, file, NULL};
  int rc = run_syncserver_capture(&out, &err, args);
  if (rc == 0)
    assert_non_null(strstr(out, "VALID"));
  else
    assert_non_null(strstr(err, "INVALID"));
  free(out);
  free(err);
  free(file);
  return rc;
}

static void test_receipts_are_signed_with_the_published_key(void **state)
{
  (void)state;
  /* the key: from receipt-key, health and enrollment alike */
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "receipt-key", "--db", S.db, NULL), 0);
  out[strcspn(out, "\n")] = '\0';
  assert_string_equal(out, DEV.receipt_key);
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  proto_health_t *h = NULL;
  proto_diag_t d;
  assert_int_equal(proto_health_decode(r.body, r.len, &h, &d), SYNC_OK);
  assert_string_equal(h->receipt_key, out);
  char server_id[40];
  server_id_of(&S, server_id);
  assert_string_equal(h->server_id, server_id);
  proto_health_free(h);
  reply_free(&r);
  free(out);

  /* one signature per response over the Merkle root of the receipts that are not rejected */
  char uuid[40], u2[40], u3[40];
  make_uuid(uuid);
  make_uuid(u2);
  make_uuid(u3);
  char *a = answers("1990-01-01", "receipt");
  proto_change_t c = sealed_change(&DEV, uuid, a, 1);
  proto_push_resp_t *first = push(&DEV, &c, 1, NULL);
  /* c again (a duplicate), a new record and a rejected change (not sealed) */
  proto_change_t batch[3] = {c, sealed_change(&DEV, u2, a, 1), sealed_change(&DEV, u3, a, 0)};
  proto_push_resp_t *again = push(&DEV, batch, 3, NULL);
  const proto_receipt_t *r1 = &first->receipts[0], *rd = &again->receipts[0],
                        *rn = &again->receipts[1];
  assert_int_equal(r1->outcome, PROTO_OUTCOME_STORED);
  assert_int_equal(rd->outcome, PROTO_OUTCOME_DUPLICATE);
  assert_int_equal(rn->outcome, PROTO_OUTCOME_STORED);
  assert_int_equal(again->receipts[2].outcome, PROTO_OUTCOME_REJECTED);
  assert_int_equal(rd->server_seq, r1->server_seq);
  assert_int_equal(rd->received_at, r1->received_at);

  /* the first response: one leaf, no path */
  claim_t one = {0, 1, first->signature, server_id, DEV.id, uuid, 1, c.hlc, r1->server_seq,
                 r1->received_at};
  assert_int_equal(verify_claim(&one, NULL, 0), SYNC_OK);
  /* the second: the duplicate (with the first receipt's values) and the new record are delivery
   * leaves 0 and 1; the refusal is covered too, by an outcome leaf after them */
  receipt_hash_t leaves[RECEIPT_LEAVES_MAX(3)], want[2], path[RECEIPT_MAX_DEPTH];
  const char *hlcs[3] = {c.hlc, batch[1].hlc, batch[2].hlc};
  size_t depth = 0, count = 0, at[3];
  assert_int_equal(receipt_leaves_of_response(server_id, DEV.id, again->receipts, 3, hlcs, leaves,
                                              &count, at), SYNC_OK);
  assert_int_equal(count, 3);
  assert_int_equal(at[0], 0);
  assert_int_equal(at[1], 1);
  assert_int_equal(at[2], SIZE_MAX);
  assert_int_equal(receipt_leaf(server_id, DEV.id, uuid, 1, c.hlc, r1->server_seq,
                                r1->received_at, want[0]), SYNC_OK);
  assert_int_equal(receipt_leaf(server_id, DEV.id, u2, 1, batch[1].hlc, rn->server_seq,
                                rn->received_at, want[1]), SYNC_OK);
  assert_memory_equal(leaves[0], want[0], RECEIPT_HASH_LEN);
  assert_memory_equal(leaves[1], want[1], RECEIPT_HASH_LEN);
  assert_int_equal(receipt_tree_path(leaves, 3, 1, path, &depth), SYNC_OK);
  assert_int_equal(depth, 2);
  claim_t good = {1, 3, again->signature, server_id, DEV.id, u2, 1, batch[1].hlc,
                  rn->server_seq, rn->received_at};
  assert_int_equal(verify_claim(&good, path, depth), SYNC_OK);
  claim_t dup = {0, 3, again->signature, server_id, DEV.id, uuid, 1, c.hlc, r1->server_seq,
                 r1->received_at};
  receipt_hash_t dup_path[RECEIPT_MAX_DEPTH];
  assert_int_equal(receipt_tree_path(leaves, 3, 0, dup_path, &depth), SYNC_OK);
  assert_int_equal(verify_claim(&dup, dup_path, depth), SYNC_OK);

  /* any altered value, another place in the tree or another signature breaks it */
  claim_t bad = good;
  bad.revision = 2;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);
  bad = good;
  bad.received_at++;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);
  bad = good;
  bad.server_seq++;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);
  bad = good;
  bad.hlc = c.hlc;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);
  bad = good;
  bad.device_id = OTHER.id;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);
  bad = good;
  bad.index = 0;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);
  bad = good;
  bad.signature = first->signature;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);
  char flipped[PROTO_SIG_B64_LEN + 1];
  snprintf(flipped, sizeof flipped, "%s", again->signature);
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  bad = good;
  bad.signature = flipped;
  assert_int_equal(verify_claim(&bad, path, 2), SYNC_ERR_CRYPTO);

  /* verify-receipt checks a device's receipt document against this server */
  char hex[2][2 * RECEIPT_HASH_LEN + 1], path_json[4 * RECEIPT_HASH_LEN + 16];
  sodium_bin2hex(hex[0], sizeof hex[0], path[0], RECEIPT_HASH_LEN);
  sodium_bin2hex(hex[1], sizeof hex[1], path[1], RECEIPT_HASH_LEN);
  snprintf(path_json, sizeof path_json, "[\"%s\",\"%s\"]", hex[0], hex[1]);
  assert_int_equal(verify_receipt(&good, path_json), 0);
  bad = good;
  bad.received_at -= 1000;
  assert_int_equal(verify_receipt(&bad, path_json), 1);
  bad = good;
  bad.index = 0;
  assert_int_equal(verify_receipt(&bad, path_json), 1);
  bad = good;
  bad.signature = first->signature;
  assert_int_equal(verify_receipt(&bad, path_json), 1);
  assert_int_equal(verify_receipt(&good, "[]"), 1);
  path_json[5] = path_json[5] == 'a' ? 'b' : 'a';
  assert_int_equal(verify_receipt(&good, path_json), 1);
  proto_push_resp_free(first);
  proto_push_resp_free(again);
  v2_change_clear(&c);
  v2_change_clear(&batch[1]);
  v2_change_clear(&batch[2]);
  free(a);
}

/* ---- sealed records -------------------------------------------------------------------------- */

static void test_a_sealed_record_is_stored_closed_and_exported_with_the_key(void **state)
{
  (void)state;
  char uuid[40];
  make_uuid(uuid);
  char *a = answers("2007-05-06", MARKER);
  proto_change_t c = sealed_change(&DEV, uuid, a, 1);
  assert_null(strstr(c.payload, MARKER));
  proto_push_resp_t *resp = push(&DEV, &c, 1, NULL);
  assert_int_equal(resp->receipts[0].outcome, PROTO_OUTCOME_STORED);
  proto_push_resp_free(resp);
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s' AND"
                            " sealed IS NOT NULL AND dedup = '%s'", uuid, c.dedup);
  assert_int_equal(db_scalar(&S, sql), 1);

  /* a central revision keeps the sealed answers along */
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "in_review", "--by", "siti.rahma", "--force", NULL), 0);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE uuid = '%s' AND"
                            " head_source = 'central' AND sealed = (SELECT sealed FROM"
                            " record_revisions WHERE uuid = '%s' AND source <> 'central')",
           uuid, uuid);
  assert_int_equal(db_scalar(&S, sql), 1);
  /* ... and reaches the device through pull with the sealed text and the hash */
  reply_t r;
  assert_int_equal(http_call(&S, "GET", "/v1/pull", &DEV, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  proto_pull_resp_t *pull = NULL;
  proto_diag_t d;
  assert_int_equal(proto_pull_resp_decode(r.body, r.len, &pull, &d), SYNC_OK);
  int seen = 0;
  for (size_t i = 0; i < pull->n_items; i++) {
    const proto_change_t *it = &pull->items[i].record;
    if (pull->items[i].kind == PROTO_ITEM_RECORD && strcmp(it->uuid, uuid) == 0) {
      assert_non_null(it->sealed);
      assert_string_equal(it->sealed, c.sealed);
      assert_string_equal(it->dedup, c.dedup);
      seen++;
    }
  }
  assert_int_equal(seen, 1);
  proto_pull_resp_free(pull);
  reply_free(&r);

  /* the central key opens it: the marker comes back exactly, the central field too */
  char *out = NULL;
  const char *with_key[] = {"export", "--db", S.db, "--by", "siti.rahma", "--format", "jsonl",
                            "--form", "tppo_screening", "--private-key", KEY, NULL};
  assert_int_equal(run_syncserver_argv(&out, with_key, NULL), 0);
  char *line = strstr(out, uuid);
  assert_non_null(line);
  assert_non_null(strstr(out, "\"officer_notes\":\"" MARKER "\""));
  assert_non_null(strstr(out, "\"case_status\":\"in_review\""));
  assert_non_null(strstr(out, "\"sealed\":0"));
  free(out);
  /* without it: the clear part, marked sealed */
  const char *no_key[] = {"export", "--db", S.db, "--by", "siti.rahma", "--format", "csv",
                          "--form", "tppo_screening", "--codes", NULL};
  assert_int_equal(run_syncserver_argv(&out, no_key, NULL), 0);
  assert_null(strstr(out, "Sulastri"));
  assert_non_null(strstr(out, ",sealed,"));
  free(out);

  /* the marker is nowhere in the server's files */
  static const char *const files[] = {"", "-wal", "-shm", ".export-audit.log"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char p[600];
    snprintf(p, sizeof p, "%s%s", S.db, files[i]);
    assert_false(file_has(p, "Sulastri"));
  }
  assert_false(file_has(S.log, "Sulastri"));

  /* a revision the device made without seeing the central one: merged, and the merged head
   * carries the newest sealed text, the device's second one */
  proto_change_t c2 = sealed_change(&DEV, uuid, a, 1);
  c2.revision = 2;
  c2.base_revision = 1;
  snprintf(c2.base_hlc, sizeof c2.base_hlc, "%s", c.hlc);
  free(c2.sealed);
  assert_int_equal(form_seal(FORM, uuid, a, strlen(a), &c2.sealed), SYNC_OK);
  resp = push(&DEV, &c2, 1, NULL);
  assert_int_equal(resp->receipts[0].outcome, PROTO_OUTCOME_CONFLICT);
  assert_non_null(resp->receipts[0].merged->sealed);
  assert_string_equal(resp->receipts[0].merged->sealed, c2.sealed);
  proto_push_resp_free(resp);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE uuid = '%s' AND"
                            " head_source = 'central' AND sealed = (SELECT sealed FROM"
                            " record_revisions WHERE uuid = '%s' AND revision = 2"
                            " AND source <> 'central')", uuid, uuid);
  assert_int_equal(db_scalar(&S, sql), 1);
  v2_change_clear(&c2);
  v2_change_clear(&c);
  free(a);
}

static void test_encrypted_form_changes_that_break_the_rules_are_rejected(void **state)
{
  (void)state;
  char u1[40], u2[40], u3[40];
  make_uuid(u1);
  make_uuid(u2);
  make_uuid(u3);
  char *full = answers("1999-09-09", "in clear?");
  proto_change_t c[3];
  c[0] = sealed_change(&DEV, u1, full, 0);   /* everything in clear, no sealed */
  c[1] = sealed_change(&DEV, u2, full, 1);
  free(c[1].payload);                         /* sealed, but a private answer in clear too */
  c[1].payload = strdup("{\"province\":\"35\",\"officer_notes\":\"x\"}");
  c[2] = sealed_change(&DEV, u3, full, 1);   /* consent refused, yet more than allowed kept */
  free(c[2].payload);
  c[2].payload = strdup("{\"province\":\"35\",\"consent\":\"no\",\"sex\":\"f\"}");
  proto_push_resp_t *resp = push(&DEV, c, 3, NULL);
  /* the refusals are signed like receipts (push() checked the signature covers them) */
  assert_int_not_equal(resp->signature[0], '\0');
  const char *want[3][2] = {{"sealed", "sealed_required"}, {"officer_notes", "not_clear"},
                            {"sex", "consent"}};
  for (int i = 0; i < 3; i++) {
    const proto_receipt_t *r = &resp->receipts[i];
    assert_int_equal(r->outcome, PROTO_OUTCOME_REJECTED);
    assert_int_equal(r->error->code, PROTO_E_INVALID_CHANGE);
    int found = 0;
    for (size_t k = 0; k < r->error->n_issues; k++)
      found += strcmp(r->error->issues[k].field, want[i][0]) == 0 &&
               strcmp(r->error->issues[k].code, want[i][1]) == 0;
    if (!found)
      fprintf(stderr, "change %d: no issue %s/%s\n", i, want[i][0], want[i][1]);
    assert_int_equal(found, 1);
    v2_change_clear(&c[i]);
  }
  proto_push_resp_free(resp);
  free(full);
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_keys WHERE uuid IN ('%s', '%s', '%s')",
           u1, u2, u3);
  assert_int_equal(db_scalar(&S, sql), 0);
}

static void test_tampered_sealed_text_is_reported_and_the_rest_exported(void **state)
{
  (void)state;
  char good[40], moved[40], flipped[40];
  make_uuid(good);
  make_uuid(moved);
  make_uuid(flipped);
  char *a1 = answers("1980-01-01", "good"), *a2 = answers("1981-01-01", "moved"),
       *a3 = answers("1982-01-01", "flipped");
  proto_change_t c[3] = {sealed_change(&DEV, good, a1, 1), sealed_change(&DEV, moved, a2, 1),
                         sealed_change(&DEV, flipped, a3, 1)};
  proto_push_resp_t *resp = push(&DEV, c, 3, NULL);
  proto_push_resp_free(resp);
  /* someone with write access to the database: another record's sealed text copied over, and
   * one character of a third changed */
  char sql[600];
  snprintf(sql, sizeof sql,
           "UPDATE record_revisions SET sealed = (SELECT sealed FROM record_revisions WHERE uuid ="
           " '%s') WHERE uuid = '%s';"
           "UPDATE record_revisions SET sealed = substr(sealed, 1, 40) ||"
           " CASE substr(sealed, 41, 1) WHEN 'A' THEN 'B' ELSE 'A' END || substr(sealed, 42)"
           " WHERE uuid = '%s';",
           good, moved, flipped);
  sqlite3 *h;
  assert_int_equal(sqlite3_open(S.db, &h), SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(h);

  char *out = NULL, *err = NULL;
  const char *args[] = {"export", "--db", S.db, "--by", "siti.rahma", "--format", "jsonl",
                        "--form", "tppo_screening", "--private-key", KEY, NULL};
  assert_int_equal(run_syncserver_capture(&out, &err, args), 3);
  assert_non_null(strstr(out, good));
  assert_null(strstr(out, moved));
  assert_null(strstr(out, flipped));
  assert_non_null(strstr(err, moved));
  assert_non_null(strstr(err, flipped));
  free(out);
  free(err);
  /* the audit notes it */
  assert_int_equal(run_syncserver(&out, "audit", "--db", S.db, "--json", "--limit", "1", NULL), 0);
  cJSON *doc = cJSON_Parse(out);
  free(out);
  const cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "exports"), 0);
  const char *detail = cJSON_GetObjectItemCaseSensitive(last, "detail")->valuestring;
  assert_non_null(strstr(detail, moved));
  assert_non_null(strstr(detail, "2 record(s)"));
  cJSON_Delete(doc);
  /* a wrong key opens nothing */
  char *wrong = ts_path(S.dir, "wrong.key");
  assert_int_equal(run_syncserver(NULL, "keygen", "--out", wrong, NULL), 0);
  assert_int_equal(run_syncserver(NULL, "keygen", "--out", wrong, NULL), 1);  /* no overwrite */
  struct stat st;
  assert_int_equal(stat(wrong, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  const char *wrong_args[] = {"export", "--db", S.db, "--by", "x", "--format", "jsonl", "--form",
                              "tppo_screening", "--private-key", wrong, NULL};
  assert_int_equal(run_syncserver_capture(&out, &err, wrong_args), 3);
  assert_non_null(strstr(err, good));
  free(out);
  free(err);
  free(wrong);
  for (int i = 0; i < 3; i++)
    v2_change_clear(&c[i]);
  free(a1);
  free(a2);
  free(a3);
  /* central deletions take the damaged records out of the exports that follow */
  assert_int_equal(run_syncserver(NULL, "record", "delete", "--db", S.db, moved, "--by", "siti",
                                  NULL), 0);
  assert_int_equal(run_syncserver(NULL, "record", "delete", "--db", S.db, flipped, "--by", "siti",
                                  NULL), 0);
}

/* ---- likely duplicates ----------------------------------------------------------------------- */

static void test_the_same_person_from_two_districts_is_a_likely_duplicate(void **state)
{
  (void)state;
  char u1[40], u2[40];
  make_uuid(u1);
  make_uuid(u2);
  /* the same identity (spacing and case do not matter), different notes */
  char *a1 = answers("2010-10-10", "Ponorogo");
  char *a2 = answers("2010-10-10", "Kupang");
  proto_change_t c1 = sealed_change(&DEV, u1, a1, 1), c2 = sealed_change(&OTHER, u2, a2, 1);
  assert_string_equal(c1.dedup, c2.dedup);
  proto_push_resp_free(push(&DEV, &c1, 1, NULL));
  proto_push_resp_free(push(&OTHER, &c2, 1, NULL));
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "duplicates", "--db", S.db, "--json", NULL), 0);
  cJSON *groups = cJSON_Parse(out);
  free(out);
  const cJSON *mine = NULL, *g;
  cJSON_ArrayForEach(g, groups)
    if (strcmp(cJSON_GetObjectItemCaseSensitive(g, "dedup")->valuestring, c1.dedup) == 0)
      mine = g;
  assert_non_null(mine);
  const cJSON *recs = cJSON_GetObjectItemCaseSensitive(mine, "records");
  assert_int_equal(cJSON_GetArraySize(recs), 2);
  const cJSON *r0 = cJSON_GetArrayItem(recs, 0), *r1 = cJSON_GetArrayItem(recs, 1);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r0, "uuid")->valuestring, u1);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r1, "uuid")->valuestring, u2);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r1, "device_unit")->valuestring,
                      "Dinas Sosial Kota Kupang");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r0, "province")->valuestring, "35");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r0, "interview_date")->valuestring,
                      "2026-11-01");
  cJSON_Delete(groups);
  /* a deleted record leaves its group (and a group of one is no group) */
  assert_int_equal(run_syncserver(NULL, "record", "delete", "--db", S.db, u2, "--by", "siti",
                                  NULL), 0);
  assert_int_equal(run_syncserver(&out, "duplicates", "--db", S.db, "--json", NULL), 0);
  assert_null(strstr(out, c1.dedup));
  free(out);
  v2_change_clear(&c1);
  v2_change_clear(&c2);
  free(a1);
  free(a2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_an_enrollment_code_works_once),
    cmocka_unit_test(test_an_expired_code_is_refused),
    cmocka_unit_test(test_unknown_revoked_and_expired_devices_can_neither_push_nor_pull),
    cmocka_unit_test(test_failed_authentication_is_limited_per_address),
    cmocka_unit_test(test_receipts_are_signed_with_the_published_key),
    cmocka_unit_test(test_a_sealed_record_is_stored_closed_and_exported_with_the_key),
    cmocka_unit_test(test_encrypted_form_changes_that_break_the_rules_are_rejected),
    cmocka_unit_test(test_tampered_sealed_text_is_reported_and_the_rest_exported),
    cmocka_unit_test(test_the_same_person_from_two_districts_is_a_likely_duplicate),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
