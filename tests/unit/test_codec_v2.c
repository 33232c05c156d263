/* Protocol 2 in the wire codec (libsync/src/codec.h, proto/SECURITY.md): sealed and dedup on
 * changes, the receipt leaf text and the one response signature over the receipts' Merkle root
 * (receipt_proof.h), receipt_key in health, credential_expires_at in whoami, the enrollment
 * messages and the enrollment code. The golden signatures and sealed text are real: they verify
 * with the keys proto/golden/README.md names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "receipt_leaves.h"
#include "test_support.h"

#define DEVICE "6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"
#define SERVER "0b7e4d2c-1a9f-4e6b-8c3d-5f2a9b1e7c64"
#define UUID1 "8e2f4a6c-1b3d-4f5e-a7c9-0d2e4f6a8b1c"
#define HLC1 "001732520000000-00000-" DEVICE
#define DEDUP "9c30484c782ccd075572e91784c24390627b126c4ec3f0d75c71b7311c8ec47d"

/* ---- helpers ---------------------------------------------------------------------------------- */

/* The golden `name` with the value at parent path `path` ("changes.0", "" = root) key `key` set
 * to JSON text `value` (NULL: removed), compact. */
static char *golden_edit(const char *name, const char *path, const char *key, const char *value)
{
  char *text = ts_golden(name, NULL), buf[128], *save = NULL;
  cJSON *root = cJSON_Parse(text), *cur = root;
  assert_non_null(root);
  snprintf(buf, sizeof buf, "%s", path);
  for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
    cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(tok))
                             : cJSON_GetObjectItemCaseSensitive(cur, tok);
  assert_non_null(cur);
  cJSON_DeleteItemFromObjectCaseSensitive(cur, key);
  if (value) {
    cJSON *v = cJSON_Parse(value);
    assert_non_null(v);
    cJSON_AddItemToObject(cur, key, v);
  }
  char *out = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  free(text);
  return out;
}

typedef sync_err_t (*decode_fn)(const char *json, size_t len, void **out, proto_diag_t *diag);
typedef void (*free_fn)(void *m);

/* Decoding must fail with rc, the wire code and a message containing `part`. */
static void expect_refused(decode_fn dec, free_fn fr, const char *json, sync_err_t rc,
                           proto_errcode_t code, const char *part)
{
  proto_diag_t diag;
  void *m = (void *)1;
  sync_err_t got = dec(json, strlen(json), &m, &diag);
  fr(m);
  if (got != rc || diag.code != code || !strstr(diag.msg, part)) {
    print_error("input: %.300s\nwant rc %d code %s msg ~ '%s'\ngot  rc %d code %s msg '%s'\n", json,
                rc, proto_errcode_text(code), part, got, proto_errcode_text(diag.code), diag.msg);
    fail();
  }
  assert_null(m);
}

static void expect_edit_refused(decode_fn dec, free_fn fr, const char *file, const char *path,
                                const char *key, const char *value, const char *part)
{
  char *json = golden_edit(file, path, key, value);
  expect_refused(dec, fr, json, SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, part);
  free(json);
}

#define DECODER(name, type, dec, fr)                                                               \
  static sync_err_t name##_dec(const char *json, size_t len, void **out, proto_diag_t *diag)       \
  {                                                                                                \
    type *m = NULL;                                                                                \
    sync_err_t rc = dec(json, len, &m, diag);                                                      \
    *out = m;                                                                                      \
    return rc;                                                                                     \
  }                                                                                                \
  static void name##_free(void *m) { fr(m); }

DECODER(push_req, proto_push_req_t, proto_push_req_decode, proto_push_req_free)
DECODER(push_resp, proto_push_resp_t, proto_push_resp_decode, proto_push_resp_free)
DECODER(pull_resp, proto_pull_resp_t, proto_pull_resp_decode, proto_pull_resp_free)
DECODER(health, proto_health_t, proto_health_decode, proto_health_free)
DECODER(whoami, proto_whoami_t, proto_whoami_decode, proto_whoami_free)
DECODER(enroll_req, proto_enroll_req_t, proto_enroll_req_decode, proto_enroll_req_free)
DECODER(enroll_resp, proto_enroll_resp_t, proto_enroll_resp_decode, proto_enroll_resp_free)

#define REFUSED(kind, file, path, key, value, part)                                                \
  expect_edit_refused(kind##_dec, kind##_free, file, path, key, value, part)

static void make_change(proto_change_t *c, proto_op_t op)
{
  memset(c, 0, sizeof *c);
  snprintf(c->uuid, sizeof c->uuid, "%s", UUID1);
  c->revision = 1;
  c->op = op;
  snprintf(c->form_id, sizeof c->form_id, "tppo_screening");
  c->form_version = 3;
  snprintf(c->hlc, sizeof c->hlc, "%s", HLC1);
  c->created_at = 1732519000000;
  c->updated_at = 1732520000000;
  c->payload = op == PROTO_OP_DELETE ? "{}" : "{\"province\":\"35\"}";
  c->origin = PROTO_ORIGIN_DEVICE;
}

/* ---- sealed and dedup ------------------------------------------------------------------------- */

static void test_sealed_golden_round_trips_and_opens_with_the_central_key(void **state)
{
  (void)state;
  size_t len;
  char *text = ts_golden("push-request-sealed.json", &len), *json = NULL;
  proto_push_req_t *req = NULL;
  assert_int_equal(proto_push_req_decode(text, len, &req, NULL), SYNC_OK);
  assert_int_equal(req->n_changes, 2);
  proto_change_t *c = &req->changes[0];
  assert_non_null(c->sealed);
  assert_string_equal(c->dedup, DEDUP);
  assert_string_equal(c->payload, "{\"interview_date\":\"2024-11-25\",\"province\":\"35\","
                                  "\"regency_code\":\"35.02\"}");
  assert_null(req->changes[1].sealed); /* the tombstone */
  assert_string_equal(req->changes[1].dedup, "");

  /* Real crypto_box_seal text: the golden central key opens it to the SECURITY.md 4 envelope. */
  unsigned char seed[32], pk[32], sk[32], *bin = malloc(strlen(c->sealed));
  size_t blen = 0;
  crypto_hash_sha256(seed, (const unsigned char *)"libsync golden central key", 26);
  crypto_box_seed_keypair(pk, sk, seed);
  assert_int_equal(sodium_base642bin(bin, strlen(c->sealed), c->sealed, strlen(c->sealed), NULL,
                                     &blen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
  char *env = calloc(1, blen);
  assert_int_equal(crypto_box_seal_open((unsigned char *)env, bin, blen, pk, sk), 0);
  cJSON *e = cJSON_Parse(env);
  assert_non_null(e);
  assert_string_equal(cJSON_GetObjectItem(e, "uuid")->valuestring, c->uuid);
  assert_string_equal(cJSON_GetObjectItem(e, "hlc")->valuestring, c->hlc);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "payload"), "full_name")->valuestring,
                      "Siti Aminah");
  cJSON_Delete(e);
  free(env);
  free(bin);

  /* The writer carries both; a change without them has neither key. */
  assert_int_equal(proto_push_req_encode(req, &json, NULL), SYNC_OK);
  assert_non_null(strstr(json, "\"sealed\":\""));
  assert_non_null(strstr(json, ",\"dedup\":\"" DEDUP "\""));
  assert_int_equal(strstr(strstr(json, "\"op\":\"delete\""), "sealed") == NULL, 1);
  proto_push_req_t *again = NULL;
  assert_int_equal(proto_push_req_decode(json, strlen(json), &again, NULL), SYNC_OK);
  assert_string_equal(again->changes[0].sealed, c->sealed);
  assert_string_equal(again->changes[0].dedup, DEDUP);
  proto_push_req_free(again);
  free(json);
  proto_push_req_free(req);
  free(text);
}

static void test_sealed_and_dedup_ride_on_pull_items_and_merged_revisions(void **state)
{
  (void)state;
  proto_pull_item_t item;
  memset(&item, 0, sizeof item);
  item.kind = PROTO_ITEM_RECORD;
  item.seq = 7;
  make_change(&item.record, PROTO_OP_UPSERT);
  item.record.origin = PROTO_ORIGIN_CENTRAL;
  item.record.author = "staff:ani";
  item.record.sealed = "AAECAw==";
  snprintf(item.record.dedup, sizeof item.record.dedup, "%s", DEDUP);
  proto_pull_writer_t *w = NULL;
  char err[256], *json = NULL;
  assert_int_equal(proto_pull_writer_new(&w), SYNC_OK);
  assert_int_equal(proto_pull_writer_add(w, &item, 0, err, sizeof err), SYNC_OK);
  assert_int_equal(proto_pull_writer_finish(w, "7", 0, &json, NULL), SYNC_OK);
  proto_pull_writer_free(w);
  proto_pull_resp_t *pr = NULL;
  assert_int_equal(proto_pull_resp_decode(json, strlen(json), &pr, NULL), SYNC_OK);
  assert_string_equal(pr->items[0].record.sealed, "AAECAw==");
  assert_string_equal(pr->items[0].record.dedup, DEDUP);
  proto_pull_resp_free(pr);
  free(json);

  /* A conflict receipt's merged revision carries the head's sealed along (SECURITY.md 4). */
  char *text = golden_edit("push-response-conflict.json", "receipts.0.merged", "sealed",
                           "\"AAECAw==\"");
  proto_push_resp_t *resp = NULL;
  assert_int_equal(proto_push_resp_decode(text, strlen(text), &resp, NULL), SYNC_OK);
  assert_string_equal(resp->receipts[0].merged->sealed, "AAECAw==");
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_OK);
  assert_non_null(strstr(json, "\"sealed\":\"AAECAw==\""));
  free(json);
  proto_push_resp_free(resp);
  free(text);
}

static void test_bad_sealed_and_dedup_are_refused_both_ways(void **state)
{
  (void)state;
  static const struct {
    const char *value, *part;
  } bad_sealed[] = {
    {"\"\"", "changes[0].sealed: not padded standard base64"},
    {"\"AAECAw\"", "not padded standard base64"},          /* padding missing */
    {"\"AAEC Aw==\"", "not padded standard base64"},       /* space */
    {"\"AAECAw-_\"", "not padded standard base64"},        /* base64url alphabet */
    {"\"AA==AAAA\"", "not padded standard base64"},        /* padding inside */
    {"\"AAECAx==\"", "not padded standard base64"},        /* unused bits set */
    {"\"====\"", "not padded standard base64"},
    {"true", "changes[0].sealed: expected string"},
  };
  for (size_t i = 0; i < sizeof bad_sealed / sizeof bad_sealed[0]; i++)
    REFUSED(push_req, "push-request-sealed.json", "changes.0", "sealed", bad_sealed[i].value,
            bad_sealed[i].part);
  REFUSED(push_req, "push-request-sealed.json", "changes.1", "sealed", "\"AAECAw==\"",
          "changes[1].sealed: not allowed on a delete");
  REFUSED(push_req, "push-request-sealed.json", "changes.0", "dedup", "\"" DEDUP "0\"",
          "changes[0].dedup: not a 64-digit lower-case hex hash");
  REFUSED(push_req, "push-request-sealed.json", "changes.0", "dedup",
          "\"9C30484C782CCD075572E91784C24390627B126C4EC3F0D75C71B7311C8EC47D\"",
          "changes[0].dedup: not a 64-digit lower-case hex hash");
  REFUSED(pull_resp, "pull-response-forms-and-status.json", "items.1", "dedup", "\"\"",
          "items[1].dedup: not a 64-digit lower-case hex hash");

  /* Over PROTO_MAX_SEALED characters: too large, whatever the content. */
  size_t n = PROTO_MAX_SEALED + 4;
  char *big = malloc(n + 3);
  big[0] = '"';
  memset(big + 1, 'A', n);
  big[n + 1] = '"';
  big[n + 2] = '\0';
  char *json = golden_edit("push-request-sealed.json", "changes.0", "sealed", big);
  expect_refused(push_req_dec, push_req_free, json, SYNC_ERR_TOO_LARGE, PROTO_E_BODY_TOO_LARGE,
                 "changes[0].sealed: longer than");
  free(json);

  /* proto_change_check and the writer refuse the same. */
  proto_change_t c;
  char err[256];
  make_change(&c, PROTO_OP_UPSERT);
  c.sealed = "AAECAw==";
  snprintf(c.dedup, sizeof c.dedup, "%s", DEDUP);
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_OK);
  c.sealed = "";            /* "" is absent */
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_OK);
  c.sealed = "AAECAw";
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "sealed"));
  big[n + 1] = '\0';
  c.sealed = big + 1;
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_ERR_TOO_LARGE);
  c.sealed = NULL;
  c.dedup[3] = 'G';
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "dedup"));
  make_change(&c, PROTO_OP_DELETE);
  c.sealed = "AAECAw==";
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_string_equal(err, "sealed: not allowed on a delete");
  proto_push_writer_t *w = NULL;
  assert_int_equal(proto_push_writer_new(DEVICE, UUID1, &w), SYNC_OK);
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_push_writer_count(w), 0);
  proto_push_writer_free(w);
  free(big);
}

/* ---- signed receipts: leaf text, response signature ------------------------------------------ */

static void test_signed_text_is_exactly_the_security_md_text(void **state)
{
  (void)state;
  char buf[512];
  assert_int_equal(proto_receipt_signed_text(SERVER, DEVICE, UUID1, 4, HLC1, 10421, 1732512399101,
                                             buf, sizeof buf),
                   SYNC_OK);
  assert_string_equal(buf, "libsync-receipt-v2\n" SERVER "\n" DEVICE "\n" UUID1 "\n4\n" HLC1
                           "\n10421\n1732512399101");
  size_t need = strlen(buf) + 1;
  assert_int_equal(proto_receipt_signed_text(SERVER, DEVICE, UUID1, 4, HLC1, 10421, 1732512399101,
                                             buf, need),
                   SYNC_OK);
  assert_int_equal(proto_receipt_signed_text(SERVER, DEVICE, UUID1, 4, HLC1, 10421, 1732512399101,
                                             buf, need - 1),
                   SYNC_ERR_TOO_LARGE);
  assert_string_equal(buf, "");
  assert_int_equal(proto_receipt_signed_text(SERVER, DEVICE, "not-a-uuid", 4, HLC1, 1, 0, buf,
                                             sizeof buf),
                   SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_receipt_signed_text(SERVER, DEVICE, UUID1, 0, HLC1, 1, 0, buf, sizeof buf),
                   SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_receipt_signed_text(SERVER, DEVICE, UUID1, 1, HLC1, 0, 0, buf, sizeof buf),
                   SYNC_ERR_INVALID_ARG);
}

/* The public receipt key of the goldens, from health.json, equal in enroll-response.json. */
static void golden_receipt_key(unsigned char pk[32])
{
  size_t len, n = 0;
  char *text = ts_golden("health.json", &len);
  proto_health_t *h = NULL;
  assert_int_equal(proto_health_decode(text, len, &h, NULL), SYNC_OK);
  free(text);
  text = ts_golden("enroll-response.json", &len);
  proto_enroll_resp_t *er = NULL;
  assert_int_equal(proto_enroll_resp_decode(text, len, &er, NULL), SYNC_OK);
  free(text);
  assert_string_equal(er->receipt_key, h->receipt_key);
  assert_int_equal(sodium_base642bin(pk, 32, h->receipt_key, strlen(h->receipt_key), NULL, &n, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  assert_int_equal(n, 32);
  proto_health_free(h);
  proto_enroll_resp_free(er);
}

/* The leaves of a response (receipt_leaves.h: a delivery leaf per receipt that is not rejected,
 * then an outcome leaf per refusal or conflict, with the hlc of the change each answers), as the
 * engine rebuilds them; at[k] gets the receipt of delivery leaf k. Returns the leaf count and
 * *n_delivery the delivery leaves. */
static size_t response_leaves(const proto_push_resp_t *resp, const proto_push_req_t *req,
                              receipt_hash_t *leaves, size_t *at, size_t *n_delivery)
{
  const char *hlcs[8];
  size_t leaf_of[8], n = 0;
  assert_true(resp->n_receipts <= 8);
  for (size_t i = 0; i < resp->n_receipts; i++)
    hlcs[i] = req->changes[i].hlc;
  assert_int_equal(receipt_leaves_of_response(SERVER, DEVICE, resp->receipts, resp->n_receipts,
                                              hlcs, leaves, &n, leaf_of),
                   SYNC_OK);
  *n_delivery = 0;
  for (size_t i = 0; i < resp->n_receipts; i++)
    if (leaf_of[i] != SIZE_MAX)
      at[(*n_delivery)++] = i;
  return n;
}

/* Every golden push response's signature verifies over the Merkle root of the leaves rebuilt from
 * its receipts and its request, with the receipt_key of health.json and enroll-response.json; each
 * record's own proof (path + signature) verifies; a changed byte anywhere does not. */
static void test_golden_response_signatures_verify_over_the_merkle_root(void **state)
{
  (void)state;
  static const char *const pairs[][2] = {
    {"push-response-basic.json", "push-request-basic.json"},
    {"push-response-duplicate.json", "push-request-basic.json"},
    {"push-response-conflict.json", "push-request-conflict.json"},
    {"push-response-rejected.json", "push-request-rejected.json"},
    {"push-response-sealed.json", "push-request-sealed.json"},
  };
  unsigned char pk[32];
  golden_receipt_key(pk);
  size_t len, verified = 0;
  char first_sig[PROTO_SIG_B64_LEN + 1] = "";
  for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
    char *rt = ts_golden(pairs[p][0], &len), *qt;
    proto_push_resp_t *resp = NULL;
    proto_push_req_t *req = NULL;
    assert_int_equal(proto_push_resp_decode(rt, len, &resp, NULL), SYNC_OK);
    qt = ts_golden(pairs[p][1], &len);
    assert_int_equal(proto_push_req_decode(qt, len, &req, NULL), SYNC_OK);
    assert_int_equal(resp->n_receipts, req->n_changes);
    receipt_hash_t leaves[RECEIPT_LEAVES_MAX(8)], root, bad;
    size_t at[8], n_delivery;
    size_t n = response_leaves(resp, req, leaves, at, &n_delivery);
    assert_true(n >= 1);
    assert_int_equal(strlen(resp->signature), PROTO_SIG_B64_LEN);
    assert_int_equal(receipt_tree_root(leaves, n, root), SYNC_OK);
    if (receipt_verify_root(SERVER, DEVICE, n, root, resp->signature, pk) != SYNC_OK)
      fail_msg("%s: response signature does not verify", pairs[p][0]);
    /* The same batch answered again: same leaves, same signature (Ed25519 is deterministic). */
    if (p == 0)
      snprintf(first_sig, sizeof first_sig, "%s", resp->signature);
    if (p == 1)
      assert_string_equal(resp->signature, first_sig);
    /* One bit of the root, the leaf count, the ids or the signature changed: no longer verifies. */
    memcpy(bad, root, sizeof bad);
    bad[RECEIPT_HASH_LEN - 1] ^= 1;
    assert_int_equal(receipt_verify_root(SERVER, DEVICE, n, bad, resp->signature, pk),
                     SYNC_ERR_CRYPTO);
    assert_int_equal(receipt_verify_root(SERVER, DEVICE, n + 1, root, resp->signature, pk),
                     SYNC_ERR_CRYPTO);
    assert_int_equal(receipt_verify_root(SERVER, UUID1, n, root, resp->signature, pk),
                     SYNC_ERR_CRYPTO);
    char sig[PROTO_SIG_B64_LEN + 1];
    snprintf(sig, sizeof sig, "%s", resp->signature);
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_int_equal(receipt_verify_root(SERVER, DEVICE, n, root, sig, pk), SYNC_ERR_CRYPTO);
    /* Each record's proof on its own, and with one of its values changed. */
    for (size_t k = 0; k < n_delivery; k++) {
      const proto_receipt_t *r = &resp->receipts[at[k]];
      const char *hlc = req->changes[at[k]].hlc;
      receipt_hash_t path[RECEIPT_MAX_DEPTH];
      size_t depth;
      assert_int_equal(receipt_tree_path(leaves, n, k, path, &depth), SYNC_OK);
      assert_int_equal(receipt_verify_parts(k, n, path, depth, resp->signature, SERVER, DEVICE,
                                            r->uuid, r->revision, hlc, r->server_seq,
                                            r->received_at, pk),
                       SYNC_OK);
      assert_int_equal(receipt_verify_parts(k, n, path, depth, resp->signature, SERVER, DEVICE,
                                            r->uuid, r->revision, hlc, r->server_seq,
                                            r->received_at + 1, pk),
                       SYNC_ERR_CRYPTO);
      verified++;
    }
    proto_push_req_free(req);
    proto_push_resp_free(resp);
    free(rt);
    free(qt);
  }
  assert_int_equal(verified, 10);
}

/* The golden push-response-rejected.json with only its rejected receipts; `signed_` keeps the
 * response signature. Compact JSON, caller frees. */
static char *all_rejected_response(int signed_)
{
  char *text = ts_golden("push-response-rejected.json", NULL);
  cJSON *root = cJSON_Parse(text);
  assert_non_null(root);
  cJSON *receipts = cJSON_GetObjectItemCaseSensitive(root, "receipts");
  assert_int_equal(cJSON_GetArraySize(receipts), 3);
  cJSON_DeleteItemFromArray(receipts, 2); /* the stored one */
  if (!signed_)
    cJSON_DeleteItemFromObjectCaseSensitive(root, "signature");
  char *out = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  free(text);
  return out;
}

static void test_every_push_response_is_signed(void **state)
{
  (void)state;
  REFUSED(push_resp, "push-response-basic.json", "", "signature", NULL,
          "signature: missing (every receipt is signed, SECURITY.md 7)");
  REFUSED(push_resp, "push-response-conflict.json", "", "signature", NULL,
          "signature: missing (every receipt is signed, SECURITY.md 7)");
  REFUSED(push_resp, "push-response-rejected.json", "", "signature", NULL,
          "signature: missing (every receipt is signed, SECURITY.md 7)");
  /* Receipts carry no signature any more: an unknown key like any other. */
  REFUSED(push_resp, "push-response-basic.json", "receipts.0", "signature", "\"" TS_SIG88 "\"",
          "receipts[0].signature: unknown key");
  REFUSED(push_resp, "push-response-rejected.json", "receipts.0", "signature", "\"" TS_SIG88 "\"",
          "receipts[0].signature: unknown key");
  /* 64 bytes exactly, padded canonical standard base64. */
  REFUSED(push_resp, "push-response-basic.json", "", "signature",
          "\"7DmXO9h/t7Bj7gc+5NrQw5qOXVUECiIhatIpPpVol8g=\"", "signature: not a base64");
  char sig[PROTO_SIG_B64_LEN + 8];
  snprintf(sig, sizeof sig, "\"%.86s\"", TS_SIG88);
  REFUSED(push_resp, "push-response-sealed.json", "", "signature", sig, "signature: not a base64");
  snprintf(sig, sizeof sig, "\"%.85s-==\"", TS_SIG88);
  REFUSED(push_resp, "push-response-sealed.json", "", "signature", sig, "signature: not a base64");
  REFUSED(push_resp, "push-response-sealed.json", "", "signature", "88", "signature: ");

  /* Every receipt rejected: the refusals are signed like receipts (SECURITY.md 7), so a
   * response without a signature is refused, and the encoder will not write one. */
  char *json = all_rejected_response(0);
  expect_refused(push_resp_dec, push_resp_free, json, SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                 "signature: missing (every receipt is signed, SECURITY.md 7)");
  free(json);
  json = all_rejected_response(1);
  proto_push_resp_t *resp = NULL;
  assert_int_equal(proto_push_resp_decode(json, strlen(json), &resp, NULL), SYNC_OK);
  char *out = NULL;
  assert_int_equal(proto_push_resp_encode(resp, &out, NULL), SYNC_OK);
  assert_non_null(strstr(out, "\"signature\":\""));
  free(out);
  resp->signature[0] = '\0';
  assert_int_equal(proto_push_resp_encode(resp, &out, NULL), SYNC_ERR_INVALID_ARG);
  assert_null(out);
  proto_push_resp_free(resp);
  free(json);

  /* ... and none, or a malformed one, when a receipt is not rejected. */
  size_t len;
  char *text = ts_golden("push-response-rejected.json", &len);
  assert_int_equal(proto_push_resp_decode(text, len, &resp, NULL), SYNC_OK);
  assert_int_equal(proto_push_resp_encode(resp, &out, NULL), SYNC_OK);
  assert_non_null(strstr(out, "\"signature\":\""));
  free(out);
  char saved[PROTO_SIG_B64_LEN + 1];
  snprintf(saved, sizeof saved, "%s", resp->signature);
  resp->signature[0] = '\0';
  assert_int_equal(proto_push_resp_encode(resp, &out, NULL), SYNC_ERR_INVALID_ARG);
  assert_null(out);
  snprintf(resp->signature, sizeof resp->signature, "%.86s==", &saved[1]); /* unused bits set */
  assert_int_equal(proto_push_resp_encode(resp, &out, NULL), SYNC_ERR_INVALID_ARG);
  snprintf(resp->signature, sizeof resp->signature, "%.87s", saved);
  assert_int_equal(proto_push_resp_encode(resp, &out, NULL), SYNC_ERR_INVALID_ARG);
  proto_push_resp_free(resp);
  free(text);
}

/* ---- health, whoami, errors ------------------------------------------------------------------- */

static void test_health_needs_receipt_key_and_whoami_credential_expiry(void **state)
{
  (void)state;
  REFUSED(health, "health.json", "", "receipt_key", NULL, "receipt_key: missing");
  REFUSED(health, "health.json", "", "receipt_key", "\"" TS_SIG88 "\"",
          "receipt_key: not a base64 Ed25519 public key");
  REFUSED(health, "health.json", "", "receipt_key", "\"7DmXO9h/t7Bj7gc+5NrQw5qOXVUECiIhatIpPpVol8g\"",
          "receipt_key: not a base64 Ed25519 public key");
  REFUSED(whoami, "whoami.json", "", "credential_expires_at", NULL, "credential_expires_at: missing");
  REFUSED(whoami, "whoami.json", "", "credential_expires_at", "1.5",
          "credential_expires_at: expected integer");
  REFUSED(whoami, "whoami.json", "", "credential_expires_at", "-1",
          "credential_expires_at: must be at least 0");
  proto_whoami_t w;
  char *json = NULL;
  memset(&w, 0, sizeof w);
  snprintf(w.device_id, sizeof w.device_id, "%s", DEVICE);
  w.credential_expires_at = -1;
  assert_int_equal(proto_whoami_encode(&w, &json, NULL), SYNC_ERR_INVALID_ARG);
  assert_null(json);
}

static void test_new_error_codes_decode_to_the_table(void **state)
{
  (void)state;
  static const struct {
    const char *file;
    proto_errcode_t code;
    int http;
    sync_err_t err;
  } cases[] = {
    {"error-credential_expired.json", PROTO_E_CREDENTIAL_EXPIRED, 403, SYNC_ERR_AUTH},
    {"error-invalid_enrollment_code.json", PROTO_E_INVALID_ENROLLMENT_CODE, 401, SYNC_ERR_AUTH},
    {"error-device_revoked.json", PROTO_E_DEVICE_REVOKED, 403, SYNC_ERR_REVOKED},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    char *text = ts_golden(cases[i].file, &len), *json = NULL;
    proto_error_t *e = NULL;
    assert_int_equal(proto_error_decode(text, len, &e, NULL), SYNC_OK);
    assert_int_equal(e->code, cases[i].code);
    assert_int_equal(proto_errcode_http_status(e->code), cases[i].http);
    assert_int_equal(proto_errcode_sync_err(e->code), cases[i].err);
    assert_int_equal(e->retryable, 0);
    assert_string_equal(e->message_en, proto_errcode_message(e->code, "en"));
    assert_string_equal(e->message_id, proto_errcode_message(e->code, "id"));
    /* Encoding from the code alone gives the golden body (messages from the table). */
    proto_error_t bare;
    memset(&bare, 0, sizeof bare);
    bare.code = cases[i].code;
    bare.retry_after = -1;
    assert_int_equal(proto_error_encode(&bare, &json, NULL), SYNC_OK);
    cJSON *a = cJSON_Parse(json), *b = cJSON_Parse(text);
    assert_true(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(json);
    proto_error_free(e);
    free(text);
  }
}

/* ---- enrollment ------------------------------------------------------------------------------- */

static void test_enroll_goldens_decode_to_their_fields(void **state)
{
  (void)state;
  size_t len;
  char *text = ts_golden("enroll-request.json", &len);
  proto_enroll_req_t *rq = NULL;
  assert_int_equal(proto_enroll_req_decode(text, len, &rq, NULL), SYNC_OK);
  assert_int_equal(rq->protocol, 2);
  assert_string_equal(rq->code, "7K3M-Q9TX-4HWD");
  assert_string_equal(rq->device_id, DEVICE);
  proto_enroll_req_free(rq);
  free(text);
  text = ts_golden("enroll-response.json", &len);
  proto_enroll_resp_t *rs = NULL;
  assert_int_equal(proto_enroll_resp_decode(text, len, &rs, NULL), SYNC_OK);
  assert_string_equal(rs->device_id, DEVICE);
  assert_int_equal(strlen(rs->secret), PROTO_SECRET_LEN);
  assert_string_equal(rs->name, "Laptop PPA Ponorogo 02");
  assert_string_equal(rs->server_id, SERVER);
  assert_int_equal(rs->credential_expires_at, 1764048301250LL);
  assert_int_equal(rs->server_time, 1732512301250LL);
  /* The secret it hands out is usable as a credential. */
  char auth[128];
  assert_int_equal(proto_auth_format(rs->device_id, rs->secret, auth, sizeof auth), SYNC_OK);
  proto_enroll_resp_free(rs);
  proto_enroll_resp_free(NULL);
  proto_enroll_req_free(NULL);
  free(text);
}

static void test_enroll_messages_are_strict(void **state)
{
  (void)state;
  const char *rq = "enroll-request.json", *rs = "enroll-response.json";
  REFUSED(enroll_req, rq, "", "name", "\"x\"", "name: unknown key");
  REFUSED(enroll_req, rq, "", "code", NULL, "code: missing");
  REFUSED(enroll_req, rq, "", "device_id", NULL, "device_id: missing");
  REFUSED(enroll_req, rq, "", "device_id", "\"6F1C2A4E-8B3D-4C71-9A0E-2D5B7C9E1F30\"",
          "device_id: not a lower-case uuid");
  REFUSED(enroll_req, rq, "", "code", "\"7K3M_Q9TX\"", "code: not a code of 1..32");
  REFUSED(enroll_req, rq, "", "code", "\"\"", "code: not a code of 1..32");
  REFUSED(enroll_req, rq, "", "code", "\"7K3M-Q9TX-4HWD-7K3M-Q9TX-4HWD-ABC\"", "code: not a code");
  REFUSED(enroll_req, rq, "", "code", "12", "code: expected string");
  REFUSED(enroll_resp, rs, "", "extra", "1", "extra: unknown key");
  static const char *const required[] = {"device_id", "secret", "name", "unit", "server_id",
                                         "receipt_key", "credential_expires_at", "server_time"};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    char part[64];
    snprintf(part, sizeof part, "%s: missing", required[i]);
    REFUSED(enroll_resp, rs, "", required[i], NULL, part);
  }
  REFUSED(enroll_resp, rs, "", "server_id", "\"0b7e4d2c1a9f4e6b8c3d5f2a9b1e7c64\"",
          "server_id: not a lower-case uuid");
  REFUSED(enroll_resp, rs, "", "secret", "\"q8Xr2Vb0nLm4Tz7Yc1Kd9Hf3Jw6Ps5Ga0Ue8Ri2Oo4M=\"",
          "secret: not a base64url secret");
  REFUSED(enroll_resp, rs, "", "secret", "\"q8Xr2Vb0nLm4Tz7Yc1Kd9Hf3Jw6Ps5Ga0Ue8Ri2Oo4+\"",
          "secret: not a base64url secret");
  REFUSED(enroll_resp, rs, "", "receipt_key", "\"" TS_SIG88 "\"", "receipt_key: not a base64");
  REFUSED(enroll_resp, rs, "", "credential_expires_at", "\"soon\"",
          "credential_expires_at: expected integer");
  char *name = malloc(300);
  memset(name, 'a', 299);
  name[0] = '"';
  name[258] = '"';
  name[259] = '\0';
  REFUSED(enroll_resp, rs, "", "name", name, "name: longer than 256 characters");
  free(name);

  /* The encoders refuse what the decoders refuse. */
  proto_enroll_req_t q;
  char *json = NULL;
  memset(&q, 0, sizeof q);
  snprintf(q.device_id, sizeof q.device_id, "%s", DEVICE);
  assert_int_equal(proto_enroll_req_encode(&q, &json, NULL), SYNC_ERR_INVALID_ARG); /* no code */
  snprintf(q.code, sizeof q.code, "abcd efgh-jkmn");
  assert_int_equal(proto_enroll_req_encode(&q, &json, NULL), SYNC_OK);
  assert_string_equal(json, "{\"protocol\":2,\"code\":\"abcd efgh-jkmn\",\"device_id\":\"" DEVICE "\"}");
  free(json);
  q.protocol = 1;
  assert_int_equal(proto_enroll_req_encode(&q, &json, NULL), SYNC_ERR_INVALID_ARG);
  proto_enroll_resp_t r;
  memset(&r, 0, sizeof r);
  snprintf(r.device_id, sizeof r.device_id, "%s", DEVICE);
  snprintf(r.server_id, sizeof r.server_id, "%s", SERVER);
  snprintf(r.secret, sizeof r.secret, "q8Xr2Vb0nLm4Tz7Yc1Kd9Hf3Jw6Ps5Ga0Ue8Ri2Oo4M");
  assert_int_equal(proto_enroll_resp_encode(&r, &json, NULL), SYNC_ERR_INVALID_ARG); /* no key */
  snprintf(r.receipt_key, sizeof r.receipt_key, "7DmXO9h/t7Bj7gc+5NrQw5qOXVUECiIhatIpPpVol8g=");
  assert_int_equal(proto_enroll_resp_encode(&r, &json, NULL), SYNC_OK);
  assert_non_null(strstr(json, "\"name\":\"\",\"unit\":\"\""));
  free(json);
  r.secret[5] = '/';
  assert_int_equal(proto_enroll_resp_encode(&r, &json, NULL), SYNC_ERR_INVALID_ARG);
  assert_null(json);
}

static void test_enrollment_codes_normalise_to_crockford_base32(void **state)
{
  (void)state;
  static const struct {
    const char *typed, *want; /* want NULL: refused */
  } cases[] = {
    {"7K3M-Q9TX-4HWD", "7K3MQ9TX4HWD"},
    {"7k3m q9tx 4hwd", "7K3MQ9TX4HWD"},
    {" 7k3m-Q9tx--4hwd ", "7K3MQ9TX4HWD"},
    {"ABCD-EFGH-JKMN", "ABCDEFGHJKMN"},
    {"oOiI-lL01-PQRS", "00111101PQRS"}, /* look-alikes: O->0, I/L->1 */
    {"VWXY-Z012-3456", "VWXYZ0123456"},
    {"7K3M-Q9TX-4HW", NULL},        /* 11 */
    {"7K3M-Q9TX-4HWDX", NULL},      /* 13 */
    {"7K3M-Q9TU-4HWD", NULL},       /* U is not in the alphabet */
    {"7K3M_Q9TX_4HWD", NULL},
    {"7K3M.Q9TX.4HWD", NULL},
    {"", NULL},
    {"------------", NULL},
    {"7K3M-Q9TX-4HW\xc3\x90", NULL}, /* non-ASCII */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[13];
    memset(out, 'x', sizeof out);
    sync_err_t rc = proto_enroll_code_normalise(cases[i].typed, out);
    if (cases[i].want) {
      if (rc != SYNC_OK || strcmp(out, cases[i].want) != 0)
        fail_msg("'%s': rc %d out '%s', want '%s'", cases[i].typed, rc, rc ? "" : out,
                 cases[i].want);
    } else {
      if (rc != SYNC_ERR_INVALID_ARG || out[0] != '\0')
        fail_msg("'%s': rc %d, want refused", cases[i].typed, rc);
    }
  }
  char out[13];
  assert_int_equal(proto_enroll_code_normalise(NULL, out), SYNC_ERR_INVALID_ARG);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sealed_golden_round_trips_and_opens_with_the_central_key),
    cmocka_unit_test(test_sealed_and_dedup_ride_on_pull_items_and_merged_revisions),
    cmocka_unit_test(test_bad_sealed_and_dedup_are_refused_both_ways),
    cmocka_unit_test(test_signed_text_is_exactly_the_security_md_text),
    cmocka_unit_test(test_golden_response_signatures_verify_over_the_merkle_root),
    cmocka_unit_test(test_every_push_response_is_signed),
    cmocka_unit_test(test_health_needs_receipt_key_and_whoami_credential_expiry),
    cmocka_unit_test(test_new_error_codes_decode_to_the_table),
    cmocka_unit_test(test_enroll_goldens_decode_to_their_fields),
    cmocka_unit_test(test_enroll_messages_are_strict),
    cmocka_unit_test(test_enrollment_codes_normalise_to_crockford_base32),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
