/* The wire codec (libsync/src/codec.h): golden messages of proto/golden/ round trip through the
 * decoders and encoders, LZ4 frames are refused in every hostile shape, strict decoders name the
 * field path, and the writers keep their budgets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <dirent.h>
#include <lz4frame.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "test_support.h"

#define DEVICE "6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"
#define SERVER "0b7e4d2c-1a9f-4e6b-8c3d-5f2a9b1e7c64"
#define BATCH "c1e8f3a2-5b7d-4a6c-9e1b-3d8f2a7c4e05"
#define HLC(ms, n) #ms "-" #n "-" DEVICE

/* ---- helpers ---------------------------------------------------------------------------------- */

static void assert_same_json(const char *got, const char *want, const char *what)
{
  cJSON *a = cJSON_Parse(got), *b = cJSON_Parse(want);
  if (!a || !b || !cJSON_Compare(a, b, 1)) {
    char *pa = a ? cJSON_Print(a) : NULL, *pb = b ? cJSON_Print(b) : NULL;
    print_error("%s differs\n--- got\n%s\n--- want\n%s\n", what, pa ? pa : got, pb ? pb : want);
    free(pa);
    free(pb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    fail();
  }
  cJSON_Delete(a);
  cJSON_Delete(b);
}

/* Each decoder behind one signature: decode, re-encode (into *reenc when non-NULL), free. */
typedef sync_err_t (*roundtrip_fn)(const char *json, size_t len, proto_diag_t *diag, char **reenc);

#define ROUNDTRIP(name, type, dec, enc, fr)                                                        \
  static sync_err_t name(const char *json, size_t len, proto_diag_t *diag, char **reenc)           \
  {                                                                                                \
    type *m = NULL;                                                                                \
    sync_err_t rc = dec(json, len, &m, diag);                                                      \
    if (rc == SYNC_OK) {                                                                           \
      assert_non_null(m);                                                                          \
      if (reenc) {                                                                                 \
        size_t n = 0;                                                                              \
        assert_int_equal(enc(m, reenc, &n), SYNC_OK);                                              \
        assert_int_equal(strlen(*reenc), n);                                                       \
      }                                                                                            \
    } else {                                                                                       \
      assert_null(m);                                                                              \
    }                                                                                              \
    fr(m);                                                                                         \
    return rc;                                                                                     \
  }

ROUNDTRIP(rt_push_req, proto_push_req_t, proto_push_req_decode, proto_push_req_encode,
          proto_push_req_free)
ROUNDTRIP(rt_push_resp, proto_push_resp_t, proto_push_resp_decode, proto_push_resp_encode,
          proto_push_resp_free)
ROUNDTRIP(rt_pull_resp, proto_pull_resp_t, proto_pull_resp_decode, proto_pull_resp_encode,
          proto_pull_resp_free)
ROUNDTRIP(rt_error, proto_error_t, proto_error_decode, proto_error_encode, proto_error_free)
ROUNDTRIP(rt_health, proto_health_t, proto_health_decode, proto_health_encode, proto_health_free)
ROUNDTRIP(rt_whoami, proto_whoami_t, proto_whoami_decode, proto_whoami_encode, proto_whoami_free)
ROUNDTRIP(rt_forms, proto_forms_list_t, proto_forms_list_decode, proto_forms_list_encode,
          proto_forms_list_free)
ROUNDTRIP(rt_enroll_req, proto_enroll_req_t, proto_enroll_req_decode, proto_enroll_req_encode,
          proto_enroll_req_free)
ROUNDTRIP(rt_enroll_resp, proto_enroll_resp_t, proto_enroll_resp_decode, proto_enroll_resp_encode,
          proto_enroll_resp_free)

static const struct {
  const char *prefix;
  roundtrip_fn fn;
} decoders[] = {
  {"push-request-", rt_push_req}, {"push-response-", rt_push_resp}, {"pull-response-", rt_pull_resp},
  {"error-", rt_error},           {"health", rt_health},            {"whoami", rt_whoami},
  {"forms-list", rt_forms},       {"enroll-request", rt_enroll_req}, {"enroll-response", rt_enroll_resp},
};

static roundtrip_fn decoder_for(const char *file)
{
  for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++)
    if (strncmp(file, decoders[i].prefix, strlen(decoders[i].prefix)) == 0)
      return decoders[i].fn;
  return NULL;
}

/* Decoding `json` must fail with rc, the wire code and a message containing `part`. */
static void expect_refused(roundtrip_fn fn, const char *json, sync_err_t rc, proto_errcode_t code,
                           const char *part)
{
  proto_diag_t diag;
  memset(&diag, 0x5a, sizeof diag);
  sync_err_t got = fn(json, strlen(json), &diag, NULL);
  if (got != rc || diag.code != code || !strstr(diag.msg, part)) {
    print_error("input: %.300s\nwant rc %d code %s msg ~ '%s'\ngot  rc %d code %s msg '%s'\n",
                json, rc, proto_errcode_text(code), part, got, proto_errcode_text(diag.code),
                diag.msg);
    fail();
  }
}

static void expect_ok(roundtrip_fn fn, const char *json)
{
  proto_diag_t diag;
  sync_err_t rc = fn(json, strlen(json), &diag, NULL);
  if (rc != SYNC_OK) {
    print_error("input: %.300s\nrefused: %s\n", json, diag.msg);
    fail();
  }
}

/* Parses a golden file, lets `edit` change it, prints it compactly. */
static char *edited(const char *name, void (*edit)(cJSON *root, const void *arg), const void *arg)
{
  char *text = ts_golden(name, NULL);
  cJSON *root = cJSON_Parse(text);
  assert_non_null(root);
  edit(root, arg);
  char *out = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  free(text);
  return out;
}

/* "changes.2.revision"-style path to an item, NULL if absent. */
static cJSON *at(cJSON *root, const char *path)
{
  char buf[256], *save = NULL;
  snprintf(buf, sizeof buf, "%s", path);
  cJSON *cur = root;
  for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
    cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(tok))
                             : cJSON_GetObjectItemCaseSensitive(cur, tok);
  return cur;
}

typedef struct edit {
  const char *path;  /* parent path ("" = root) */
  const char *key;   /* key in the parent */
  const char *value; /* JSON text; NULL = delete the key */
} edit_t;

static void apply_edit(cJSON *root, const void *arg)
{
  const edit_t *e = arg;
  cJSON *parent = e->path[0] ? at(root, e->path) : root;
  assert_non_null(parent);
  if (!e->value) {
    cJSON_DeleteItemFromObjectCaseSensitive(parent, e->key);
    return;
  }
  cJSON *v = cJSON_Parse(e->value);
  assert_non_null(v);
  if (cJSON_GetObjectItemCaseSensitive(parent, e->key))
    cJSON_ReplaceItemInObjectCaseSensitive(parent, e->key, v);
  else
    cJSON_AddItemToObject(parent, e->key, v);
}

static void expect_edit_refused(roundtrip_fn fn, const char *file, edit_t e, sync_err_t rc,
                                proto_errcode_t code, const char *part)
{
  char *json = edited(file, apply_edit, &e);
  expect_refused(fn, json, rc, code, part);
  free(json);
}

/* ---- golden messages -------------------------------------------------------------------------- */

static void test_every_golden_file_decodes_and_round_trips(void **state)
{
  (void)state;
  DIR *d = opendir(SYNC_SOURCE_DIR "/proto/golden");
  struct dirent *de;
  int seen = 0;
  assert_non_null(d);
  while ((de = readdir(d)) != NULL) {
    const char *name = de->d_name;
    size_t n = strlen(name), len;
    if (n < 6 || strcmp(name + n - 5, ".json") != 0)
      continue;
    if (strncmp(name, "form-", 5) == 0)
      continue; /* a form definition, checked by test_pull_golden_embeds_the_form_golden */
    roundtrip_fn fn = decoder_for(name);
    if (!fn)
      fail_msg("golden file %s has no decoder in test_codec.c", name);
    char *text = ts_golden(name, &len), *re = NULL;
    proto_diag_t diag;
    sync_err_t rc = fn(text, len, &diag, &re);
    if (rc != SYNC_OK)
      fail_msg("%s: %s", name, diag.msg);
    assert_same_json(re, text, name);
    /* The re-encoded text is compact and decodes to the same again. */
    assert_null(strchr(re, '\n'));
    char *re2 = NULL;
    assert_int_equal(fn(re, strlen(re), &diag, &re2), SYNC_OK);
    assert_string_equal(re, re2);
    free(re2);
    free(re);
    free(text);
    seen++;
  }
  closedir(d);
  assert_true(seen >= 27);
}

static void test_push_request_golden_round_trips_through_the_writer(void **state)
{
  (void)state;
  const char *files[] = {"push-request-basic.json", "push-request-conflict.json",
                         "push-request-rejected.json"};
  for (size_t f = 0; f < 3; f++) {
    size_t len;
    char *text = ts_golden(files[f], &len), *json = NULL;
    proto_push_req_t *req = NULL;
    proto_push_writer_t *w = NULL;
    assert_int_equal(proto_push_req_decode(text, len, &req, NULL), SYNC_OK);
    assert_int_equal(proto_push_writer_new(req->device_id, req->batch_id, &w), SYNC_OK);
    for (size_t i = 0; i < req->n_changes; i++)
      assert_int_equal(proto_push_writer_add(w, &req->changes[i], 64 * 1024, NULL, 0), SYNC_OK);
    assert_int_equal(proto_push_writer_count(w), req->n_changes);
    size_t expect = proto_push_writer_size(w), got_len = 0;
    assert_int_equal(proto_push_writer_finish(w, &json, &got_len), SYNC_OK);
    assert_int_equal(got_len, expect);
    assert_same_json(json, text, files[f]);
    proto_push_writer_free(w);
    proto_push_req_free(req);
    free(json);
    free(text);
  }
}

static void test_push_request_golden_decodes_to_the_expected_fields(void **state)
{
  (void)state;
  size_t len;
  char *text = ts_golden("push-request-basic.json", &len);
  proto_push_req_t *req = NULL;
  assert_int_equal(proto_push_req_decode(text, len, &req, NULL), SYNC_OK);
  assert_int_equal(req->protocol, 2);
  assert_string_equal(req->device_id, DEVICE);
  assert_string_equal(req->batch_id, BATCH);
  assert_int_equal(req->n_changes, 3);
  proto_change_t *c0 = &req->changes[0], *c2 = &req->changes[2];
  assert_string_equal(c0->uuid, "3f6b9c1e-2d4a-4b8f-9e7c-1a5d3c8b2f90");
  assert_int_equal(c0->revision, 4);
  assert_int_equal(c0->base_revision, 0);
  assert_string_equal(c0->base_hlc, "");
  assert_int_equal(c0->op, PROTO_OP_UPSERT);
  assert_string_equal(c0->form_id, "tppo_screening");
  assert_int_equal(c0->form_version, 1);
  assert_int_equal(c0->created_at, 1732511000000LL);
  assert_int_equal(c0->origin, PROTO_ORIGIN_DEVICE);
  assert_null(c0->author);
  assert_non_null(strstr(c0->payload, "\"province\":\"35\""));
  assert_null(strchr(c0->payload, '\n'));
  assert_int_equal(c2->op, PROTO_OP_DELETE);
  assert_string_equal(c2->payload, "{}");
  assert_string_equal(c2->base_hlc, "001732300000000-00004-" DEVICE);
  assert_int_equal(proto_change_check(c0, NULL, 0), SYNC_OK);
  proto_push_req_free(req);
  free(text);
}

static void test_push_response_golden_round_trips(void **state)
{
  (void)state;
  size_t len;
  char *text = ts_golden("push-response-conflict.json", &len), *json = NULL;
  proto_push_resp_t *resp = NULL;
  assert_int_equal(proto_push_resp_decode(text, len, &resp, NULL), SYNC_OK);
  assert_int_equal(resp->n_receipts, 1);
  proto_receipt_t *r = &resp->receipts[0];
  assert_int_equal(r->outcome, PROTO_OUTCOME_CONFLICT);
  assert_int_equal(r->server_seq, 11007);
  assert_non_null(r->merged);
  assert_int_equal(r->merged->origin, PROTO_ORIGIN_CENTRAL);
  assert_string_equal(r->merged->author, "system:merge");
  assert_int_equal(r->merged->base_revision, 3);
  assert_non_null(r->conflict);
  assert_int_equal(r->conflict->n_fields, 1);
  assert_string_equal(r->conflict->fields[0].field, "follow_up_date");
  assert_int_equal(r->conflict->fields[0].winner, PROTO_SIDE_CENTRAL);
  assert_string_equal(r->conflict->fields[0].device_value, "\"2024-12-03\"");
  assert_string_equal(r->conflict->fields[0].central_value, "\"2024-12-05\"");
  assert_null(r->error);
  assert_int_equal(strlen(resp->signature), PROTO_SIG_B64_LEN); /* one per response */
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_OK);
  assert_same_json(json, text, "push-response-conflict.json");
  proto_push_resp_free(resp);
  free(json);
  free(text);

  text = ts_golden("push-response-rejected.json", &len);
  assert_int_equal(proto_push_resp_decode(text, len, &resp, NULL), SYNC_OK);
  assert_int_equal(resp->n_receipts, 3);
  r = &resp->receipts[0];
  assert_int_equal(r->outcome, PROTO_OUTCOME_REJECTED);
  assert_int_equal(r->server_seq, 0);
  assert_non_null(r->error);
  assert_int_equal(r->error->code, PROTO_E_INVALID_CHANGE);
  assert_int_equal(r->error->retry_after, -1);
  assert_int_equal(r->error->n_issues, 2);
  assert_string_equal(r->error->issues[1].field, "amp_act_recruitment");
  assert_string_equal(r->error->issues[1].code, "choice");
  assert_int_equal(resp->receipts[1].error->code, PROTO_E_UNKNOWN_FORM);
  assert_null(resp->receipts[1].error->issues);
  assert_int_equal(resp->receipts[2].outcome, PROTO_OUTCOME_STORED);
  assert_int_equal(strlen(resp->signature), PROTO_SIG_B64_LEN); /* signs the stored receipt */
  proto_push_resp_free(resp);
  free(text);

  text = ts_golden("push-response-duplicate.json", &len);
  assert_int_equal(proto_push_resp_decode(text, len, &resp, NULL), SYNC_OK);
  assert_int_equal(resp->receipts[2].outcome, PROTO_OUTCOME_DUPLICATE);
  assert_int_equal(resp->receipts[2].received_at, 1732512399101LL);
  assert_null(resp->receipts[2].merged);
  proto_push_resp_free(resp);
  free(text);
}

static void test_pull_golden_embeds_the_form_golden(void **state)
{
  (void)state;
  size_t len;
  char *text = ts_golden("pull-response-forms-and-status.json", &len);
  char *form = ts_golden("form-tppo_screening-v2.json", NULL);
  proto_pull_resp_t *resp = NULL;
  assert_int_equal(proto_pull_resp_decode(text, len, &resp, NULL), SYNC_OK);
  assert_int_equal(resp->n_items, 3);
  assert_int_equal(resp->more, 0);
  assert_string_equal(resp->next_cursor, "10433");
  proto_pull_item_t *f = &resp->items[0], *rec = &resp->items[1], *del = &resp->items[2];
  assert_int_equal(f->kind, PROTO_ITEM_FORM);
  assert_int_equal(f->seq, 10430);
  assert_int_equal(f->form.version, 2);
  /* The definition comes out as the compact text of the form golden, whose SHA-256 is sha256. */
  cJSON *doc = cJSON_Parse(form);
  char *compact = cJSON_PrintUnformatted(doc);
  assert_string_equal(f->form.definition, compact);
  unsigned char hash[crypto_hash_sha256_BYTES];
  char hex[65];
  assert_true(sodium_init() >= 0);
  crypto_hash_sha256(hash, (const unsigned char *)compact, strlen(compact));
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  assert_string_equal(f->form.sha256, hex);
  assert_int_equal(rec->kind, PROTO_ITEM_RECORD);
  assert_int_equal(rec->seq, 10431);
  assert_int_equal(rec->record.origin, PROTO_ORIGIN_CENTRAL);
  assert_string_equal(rec->record.author, "siti.rahma");
  assert_int_equal(del->record.op, PROTO_OP_DELETE);
  assert_string_equal(del->record.payload, "{}");
  /* The pull writer re-embeds that definition byte for byte and accepts its hash. */
  proto_pull_writer_t *w = NULL;
  char *json = NULL, err[256];
  assert_int_equal(proto_pull_writer_new(&w), SYNC_OK);
  for (size_t i = 0; i < resp->n_items; i++)
    assert_int_equal(proto_pull_writer_add(w, &resp->items[i], 0, err, sizeof err), SYNC_OK);
  assert_true(proto_pull_writer_size(w) <= PROTO_PULL_PAGE_BYTES);
  assert_int_equal(proto_pull_writer_finish(w, "10433", 0, &json, NULL), SYNC_OK);
  assert_non_null(strstr(json, compact));
  assert_same_json(json, text, "pull-response-forms-and-status.json");
  proto_pull_writer_free(w);
  free(json);
  free(compact);
  cJSON_Delete(doc);
  proto_pull_resp_free(resp);
  free(form);
  free(text);
}

static void test_error_goldens_decode_to_the_table(void **state)
{
  (void)state;
  size_t len;
  proto_error_t *e = NULL;
  char *text = ts_golden("error-unsupported_protocol.json", &len);
  assert_int_equal(proto_error_decode(text, len, &e, NULL), SYNC_OK);
  assert_int_equal(e->code, PROTO_E_UNSUPPORTED_PROTOCOL);
  assert_string_equal(e->code_text, "unsupported_protocol");
  assert_int_equal(e->n_supported_protocols, 1);
  assert_int_equal(e->supported_protocols[0], 2);
  assert_int_equal(e->retryable, 0);
  assert_int_equal(e->retry_after, -1);
  proto_error_free(e);
  free(text);
  text = ts_golden("error-server_busy.json", &len);
  assert_int_equal(proto_error_decode(text, len, &e, NULL), SYNC_OK);
  assert_int_equal(e->code, PROTO_E_SERVER_BUSY);
  assert_int_equal(e->retryable, 1);
  assert_int_equal(e->retry_after, 120);
  assert_int_equal(proto_errcode_sync_err(e->code), SYNC_ERR_SERVER);
  proto_error_free(e);
  free(text);
}

static void test_health_whoami_and_forms_goldens_decode(void **state)
{
  (void)state;
  size_t len;
  char *text = ts_golden("health.json", &len);
  proto_health_t *h = NULL;
  assert_int_equal(proto_health_decode(text, len, &h, NULL), SYNC_OK);
  assert_int_equal(h->degraded, 0);
  assert_string_equal(h->server_id, SERVER);
  assert_int_equal(h->n_protocols, 1);
  assert_int_equal(h->protocols[0], 2);
  assert_string_equal(h->receipt_key, "7DmXO9h/t7Bj7gc+5NrQw5qOXVUECiIhatIpPpVol8g=");
  assert_int_equal(h->limits.max_body, PROTO_MAX_BODY);
  assert_int_equal(h->limits.max_pull_limit, PROTO_PULL_MAX_LIMIT);
  proto_health_free(h);
  free(text);
  text = ts_golden("whoami.json", &len);
  proto_whoami_t *w = NULL;
  assert_int_equal(proto_whoami_decode(text, len, &w, NULL), SYNC_OK);
  assert_string_equal(w->unit, "UPTD PPA Kabupaten Ponorogo");
  assert_int_equal(w->credential_expires_at, 1764048301250LL);
  proto_whoami_free(w);
  free(text);
  text = ts_golden("forms-list.json", &len);
  proto_forms_list_t *l = NULL;
  assert_int_equal(proto_forms_list_decode(text, len, &l, NULL), SYNC_OK);
  assert_int_equal(l->n_forms, 2);
  assert_string_equal(l->forms[1].title, "{\"id\":\"Skrining Korban TPPO\",\"en\":\"TPPO Victim Screening\"}");
  proto_forms_list_free(l);
  free(text);
}

/* ---- LZ4 -------------------------------------------------------------------------------------- */

static uint32_t rng_next(uint32_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

/* JSON-like text: the push golden repeated with a counter, cut to n bytes. */
static char *realistic(size_t n)
{
  size_t glen;
  char *g = ts_golden("push-request-basic.json", &glen), *out = malloc(n + 1);
  assert_non_null(out);
  for (size_t i = 0; i < n; i++)
    out[i] = g[i % glen] == '7' ? (char)('0' + (i / glen) % 10) : g[i % glen];
  out[n] = '\0';
  free(g);
  return out;
}

static void roundtrip_lz4(const char *data, size_t n, int level)
{
  char *frame = NULL, *back = NULL, err[256];
  size_t flen = 0, blen = 0;
  assert_int_equal(codec_lz4_compress(data, n, level, &frame, &flen), SYNC_OK);
  assert_true(codec_lz4_is_frame(frame, flen));
  /* FLG: version 01, content size (when not empty) and content checksum on, block checksum off. */
  assert_int_equal((unsigned char)frame[4] & 0xDC, n > 0 ? 0x4C : 0x44);
  assert_int_equal(codec_lz4_decompress(frame, flen, n, &back, &blen, err, sizeof err), SYNC_OK);
  assert_int_equal(blen, n);
  assert_memory_equal(back, data, n);
  assert_int_equal(back[n], '\0');
  free(back);
  if (n > 0) { /* one byte under the cap: refused */
    assert_int_equal(codec_lz4_decompress(frame, flen, n - 1, &back, &blen, err, sizeof err),
                     SYNC_ERR_TOO_LARGE);
    assert_null(back);
  }
  free(frame);
}

static void test_lz4_round_trips_random_and_realistic_data(void **state)
{
  (void)state;
  const size_t sizes[] = {0, 1, 255, 4096, 65536, 65537, 300000, 1 << 20};
  uint32_t seed = 12345;
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k];
    char *rnd = malloc(n + 1), *txt = realistic(n);
    for (size_t i = 0; i < n; i++)
      rnd[i] = (char)rng_next(&seed);
    roundtrip_lz4(rnd, n, 0);
    roundtrip_lz4(txt, n, 0);
    if (n <= 65537) {
      roundtrip_lz4(rnd, n, 9);
      roundtrip_lz4(txt, n, 9);
    }
    free(rnd);
    free(txt);
  }
  char *big = realistic(1 << 20), *frame = NULL;
  size_t flen;
  assert_int_equal(codec_lz4_compress(big, 1 << 20, 9, &frame, &flen), SYNC_OK);
  assert_true(flen < (1 << 20) / 4); /* JSON compresses well */
  free(frame);
  free(big);
  assert_int_equal(codec_lz4_compress("x", PROTO_MAX_BODY + 1u, 0, &frame, &flen), SYNC_ERR_TOO_LARGE);
  assert_null(frame);
}

static void small_frame(char **frame, size_t *flen, char **data, size_t *dlen)
{
  *dlen = 3000;
  *data = realistic(*dlen);
  assert_int_equal(codec_lz4_compress(*data, *dlen, 0, frame, flen), SYNC_OK);
}

static void test_truncated_frame_is_refused_at_every_length(void **state)
{
  (void)state;
  char *frame, *data, *out = (char *)1, err[256];
  size_t flen, dlen, olen;
  small_frame(&frame, &flen, &data, &dlen);
  for (size_t n = 0; n < flen; n++) {
    char *copy = malloc(n ? n : 1); /* exactly n bytes, so ASan sees any overread */
    memcpy(copy, frame, n);
    sync_err_t rc = codec_lz4_decompress(copy, n, 1 << 20, &out, &olen, err, sizeof err);
    if (rc != SYNC_ERR_PROTOCOL)
      fail_msg("prefix of %zu/%zu bytes: rc %d (%s)", n, flen, rc, err);
    assert_null(out);
    assert_true(err[0] != '\0');
    free(copy);
  }
  assert_int_equal(codec_lz4_decompress(frame, flen - 1, 1 << 20, &out, &olen, err, sizeof err),
                   SYNC_ERR_PROTOCOL);
  assert_non_null(strstr(err, "truncated"));
  free(frame);
  free(data);
}

static void test_corrupt_frame_is_refused(void **state)
{
  (void)state;
  char *frame, *data, *out, err[256];
  size_t flen, dlen, olen;
  small_frame(&frame, &flen, &data, &dlen);
  for (size_t i = 0; i < flen; i++)
    for (int bit = 0; bit < 8; bit += 3) {
      char *copy = malloc(flen);
      memcpy(copy, frame, flen);
      copy[i] = (char)(copy[i] ^ (1 << bit));
      sync_err_t rc = codec_lz4_decompress(copy, flen, 1 << 20, &out, &olen, err, sizeof err);
      if (rc == SYNC_OK) {
        /* Repetitive text: a flipped match offset may point at equal bytes. Then the content
         * checksum holds and the output must be exactly the original. */
        assert_int_equal(olen, dlen);
        assert_memory_equal(out, data, dlen);
        free(out);
      } else if (rc != SYNC_ERR_PROTOCOL && rc != SYNC_ERR_TOO_LARGE) {
        fail_msg("flip of bit %d at byte %zu: rc %d", bit, i, rc);
      } else {
        assert_null(out);
      }
      free(copy);
    }
  free(frame);
  free(data);
}

static void test_trailing_bytes_second_and_skippable_frames_are_refused(void **state)
{
  (void)state;
  char *frame, *data, *out, err[256];
  size_t flen, dlen, olen;
  small_frame(&frame, &flen, &data, &dlen);
  char *two = malloc(2 * flen + 8);
  memcpy(two, frame, flen);
  memcpy(two + flen, frame, flen);
  assert_int_equal(codec_lz4_decompress(two, 2 * flen, 1 << 20, &out, &olen, err, sizeof err),
                   SYNC_ERR_PROTOCOL);
  assert_non_null(strstr(err, "second frame"));
  memcpy(two + flen, "\n", 1);
  assert_int_equal(codec_lz4_decompress(two, flen + 1, 1 << 20, &out, &olen, err, sizeof err),
                   SYNC_ERR_PROTOCOL);
  assert_non_null(strstr(err, "after the end"));
  /* A skippable frame, alone or in front of a good one. */
  const unsigned char skip[8] = {0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0};
  memcpy(two, skip, 8);
  memcpy(two + 8, frame, flen);
  assert_int_equal(codec_lz4_decompress(two, flen + 8, 1 << 20, &out, &olen, err, sizeof err),
                   SYNC_ERR_PROTOCOL);
  assert_non_null(strstr(err, "skippable"));
  assert_int_equal(codec_lz4_decompress("{\"a\":1}", 7, 1 << 20, &out, &olen, err, sizeof err),
                   SYNC_ERR_PROTOCOL);
  assert_false(codec_lz4_is_frame("{\"a\":1}", 7));
  assert_false(codec_lz4_is_frame(frame, 3));
  free(two);
  free(frame);
  free(data);
}

/* A frame through the streaming API: header with `claim` as content size (0: none), the data,
 * the end mark, no content checksum. Lets a test make a frame whose header lies. */
static size_t lying_frame(const char *data, size_t n, unsigned long long claim, char **out)
{
  LZ4F_cctx *cctx = NULL;
  LZ4F_preferences_t p;
  memset(&p, 0, sizeof p);
  p.frameInfo.contentSize = claim;
  size_t cap = LZ4F_HEADER_SIZE_MAX, pos, r;
  char *dst = malloc(cap);
  assert_false(LZ4F_isError(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION)));
  pos = LZ4F_compressBegin(cctx, dst, cap, &p);
  assert_false(LZ4F_isError(pos));
  for (size_t off = 0; off < n; off += 65536) {
    size_t chunk = n - off < 65536 ? n - off : 65536, need = LZ4F_compressBound(chunk, &p);
    if (cap - pos < need) {
      cap = pos + need + cap / 2;
      dst = realloc(dst, cap);
    }
    r = LZ4F_compressUpdate(cctx, dst + pos, cap - pos, data + off, chunk, NULL);
    assert_false(LZ4F_isError(r));
    pos += r;
  }
  cap = pos + LZ4F_compressBound(0, &p) + 8;
  dst = realloc(dst, cap);
  r = LZ4F_flush(cctx, dst + pos, cap - pos, NULL);
  assert_false(LZ4F_isError(r));
  pos += r;
  memset(dst + pos, 0, 4);
  pos += 4;
  LZ4F_freeCompressionContext(cctx);
  *out = dst;
  return pos;
}

static void test_frame_claiming_a_huge_content_size_is_refused_early(void **state)
{
  (void)state;
  char *data = realistic(5000), *frame, *out, err[256];
  size_t olen, flen = lying_frame(data, 5000, 1ULL << 40, &frame);
  assert_int_equal(codec_lz4_decompress(frame, flen, PROTO_MAX_BODY, &out, &olen, err, sizeof err),
                   SYNC_ERR_TOO_LARGE);
  assert_non_null(strstr(err, "declares"));
  assert_null(out);
  free(frame);
  /* A header that claims less than the frame holds never overflows the buffer. */
  flen = lying_frame(data, 5000, 100, &frame);
  sync_err_t rc = codec_lz4_decompress(frame, flen, PROTO_MAX_BODY, &out, &olen, err, sizeof err);
  assert_true(rc == SYNC_ERR_PROTOCOL);
  assert_null(out);
  free(frame);
  /* Without a declared size and without a content checksum, the frame decodes. */
  flen = lying_frame(data, 5000, 0, &frame);
  assert_int_equal(codec_lz4_decompress(frame, flen, 5000, &out, &olen, err, sizeof err), SYNC_OK);
  assert_int_equal(olen, 5000);
  assert_memory_equal(out, data, 5000);
  free(out);
  free(frame);
  free(data);
}

static void test_decompression_bomb_over_max_out_is_refused(void **state)
{
  (void)state;
  size_t n = 40u << 20; /* 40 MiB of zeros: a few hundred KiB of frame, no declared size */
  char *zeros = calloc(1, n), *frame, *out, err[256];
  size_t olen, flen = lying_frame(zeros, n, 0, &frame);
  free(zeros);
  assert_true(flen < n / 100);
  assert_int_equal(codec_lz4_decompress(frame, flen, PROTO_MAX_BODY, &out, &olen, err, sizeof err),
                   SYNC_ERR_TOO_LARGE);
  assert_null(out);
  assert_int_equal(codec_lz4_decompress(frame, flen, 1000, &out, &olen, err, sizeof err),
                   SYNC_ERR_TOO_LARGE);
  assert_int_equal(codec_lz4_decompress(frame, flen, 0, &out, &olen, err, sizeof err),
                   SYNC_ERR_TOO_LARGE);
  free(frame);
}

/* ---- strict decoders -------------------------------------------------------------------------- */

static void test_malformed_json_is_refused_with_its_position(void **state)
{
  (void)state;
  const char *bad[] = {
    "", "   ", "{", "{\"protocol\":2", "{\"protocol\":2,}", "{\"protocol\":2} x", "[1,2]x",
    "{\"a\":tru}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":.5}", "{\"a\":+1}",
    "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\udc00x\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
    "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":1e999}", "{\"a\":-2e308}",
    "{\"a\":1234567890123456789012345678901234567890123456789012345678901234}", "\xef\xbb\xbf{}",
    "{'a':1}", "{\"a\" 1}", "{\"a\":[1 2]}", "{a:1}", "nul",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_refused(rt_push_req, bad[i], SYNC_ERR_PROTOCOL, PROTO_E_MALFORMED_JSON, "line 1, column");
  expect_refused(rt_whoami, "{\n  \"protocol\": 2,\n  x", SYNC_ERR_PROTOCOL, PROTO_E_MALFORMED_JSON,
                 "line 3, column 3");
  /* Embedded NUL: the length counts, not the C string. */
  proto_diag_t diag;
  assert_int_equal(rt_whoami("{}\0{}", 5, &diag, NULL), SYNC_ERR_PROTOCOL);
  assert_int_equal(diag.code, PROTO_E_MALFORMED_JSON);
  /* Valid JSON of the wrong shape is a schema error, not malformed. */
  expect_refused(rt_push_req, "[]", SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "expected a JSON object");
  expect_refused(rt_push_req, "1.7976931348623157e308", SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                 "object");
}

static char *nested(size_t depth, const char *prefix, const char *suffix)
{
  size_t pl = strlen(prefix), sl = strlen(suffix);
  char *s = malloc(pl + 2 * depth + sl + 1), *p = s;
  memcpy(p, prefix, pl);
  p += pl;
  memset(p, '[', depth);
  p += depth;
  memset(p, ']', depth);
  p += depth;
  memcpy(p, suffix, sl + 1);
  return s;
}

static void test_nesting_depth_is_limited_to_64(void **state)
{
  (void)state;
  /* whoami: root (1) + "name": 63 arrays = 64 is well-formed JSON (wrong type), 64 arrays is not. */
  char *ok = nested(63, "{\"protocol\":2,\"name\":", "}");
  char *deep = nested(64, "{\"protocol\":2,\"name\":", "}");
  char *huge = nested(1000, "{\"protocol\":2,\"name\":", "}");
  char *huge2 = nested(100000, "", "");
  expect_refused(rt_whoami, ok, SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "");
  expect_refused(rt_whoami, deep, SYNC_ERR_PROTOCOL, PROTO_E_MALFORMED_JSON, "nested too deeply");
  expect_refused(rt_whoami, huge, SYNC_ERR_PROTOCOL, PROTO_E_MALFORMED_JSON, "nested too deeply");
  expect_refused(rt_pull_resp, huge2, SYNC_ERR_PROTOCOL, PROTO_E_MALFORMED_JSON, "column 65");
  free(ok);
  free(deep);
  free(huge);
  free(huge2);
  /* A payload may nest 61 levels in a push request (body depth 64), not 62. */
  char *p61 = nested(60, "{\"a\":", "}"), *p62 = nested(61, "{\"a\":", "}");
  edit_t e = {"changes.0", "payload", p61};
  char *json = edited("push-request-basic.json", apply_edit, &e);
  expect_ok(rt_push_req, json);
  free(json);
  e.value = p62;
  json = edited("push-request-basic.json", apply_edit, &e);
  expect_refused(rt_push_req, json, SYNC_ERR_PROTOCOL, PROTO_E_MALFORMED_JSON, "nested too deeply");
  free(json);
  /* The writer applies the same budget to a payload it embeds. */
  proto_change_t c;
  memset(&c, 0, sizeof c);
  snprintf(c.uuid, sizeof c.uuid, "%s", "3f6b9c1e-2d4a-4b8f-9e7c-1a5d3c8b2f90");
  c.revision = 1;
  c.op = PROTO_OP_UPSERT;
  snprintf(c.form_id, sizeof c.form_id, "tppo_screening");
  c.form_version = 1;
  snprintf(c.hlc, sizeof c.hlc, "%s", HLC(001732512345678, 00000));
  c.origin = PROTO_ORIGIN_DEVICE;
  c.payload = p61;
  assert_int_equal(proto_change_check(&c, NULL, 0), SYNC_OK);
  c.payload = p62;
  char err[256];
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "nested too deeply"));
  free(p61);
  free(p62);
}

static void test_wrong_types_and_patterns_name_the_field_path(void **state)
{
  (void)state;
  const char *req = "push-request-basic.json";
  struct {
    edit_t e;
    const char *msg;
  } cases[] = {
    {{"changes.2", "revision", "\"3\""}, "changes[2].revision: expected integer"},
    {{"changes.2", "revision", "3.5"}, "changes[2].revision: expected integer"},
    {{"changes.2", "revision", "9007199254740994"}, "changes[2].revision: expected integer"},
    {{"changes.2", "revision", "0"}, "changes[2].revision: must be at least 1"},
    {{"changes.1", "base_revision", "2"}, "changes[1].base_revision: must be less than revision"},
    {{"changes.0", "base_hlc", "\"" HLC(001732512345678, 00000) "\""},
     "changes[0].base_hlc: must be null when base_revision is 0"},
    {{"changes.1", "base_hlc", "null"}, "changes[1].base_hlc: expected string"},
    {{"changes.1", "hlc", "\"001732512345678-0000-" DEVICE "\""}, "changes[1].hlc: not a valid hlc"},
    {{"changes.1", "hlc", "\"001732512345678-00000-6F1C2A4E-8B3D-4C71-9A0E-2D5B7C9E1F30\""},
     "changes[1].hlc: not a valid hlc"},
    {{"changes.0", "uuid", "\"3F6B9C1E-2D4A-4B8F-9E7C-1A5D3C8B2F90\""},
     "changes[0].uuid: not a lower-case uuid"},
    {{"", "device_id", "\"6f1c2a4e8b3d4c719a0e2d5b7c9e1f30\""}, "device_id: not a lower-case uuid"},
    {{"changes.0", "op", "\"insert\""}, "changes[0].op: expected one of \"upsert\", \"delete\""},
    {{"changes.0", "status", "\"draft\""}, "changes[0].status: must be \"final\""},
    {{"changes.0", "form_id", "\"TPPO\""}, "changes[0].form_id: not a form id"},
    {{"changes.0", "form_version", "0"}, "changes[0].form_version: must be at least 1"},
    {{"changes.0", "created_at", "-1"}, "changes[0].created_at: must be at least 0"},
    {{"changes.0", "payload", "[]"}, "changes[0].payload: expected object"},
    {{"changes.0", "payload", "\"{}\""}, "changes[0].payload: expected object"},
    {{"changes.2", "payload", "{\"a\":1}"}, "changes[2].payload: must be {} for a delete"},
    {{"changes.0", "hlc", NULL}, "changes[0].hlc: missing"},
    {{"changes.0", "base_hlc", NULL}, "changes[0].base_hlc: missing"},
    {{"", "batch_id", NULL}, "batch_id: missing"},
    {{"", "protocol", NULL}, "protocol: missing"},
    {{"", "protocol", "\"1\""}, "protocol: expected integer"},
    {{"", "changes", "[]"}, "changes: must hold at least 1 element"},
    {{"", "changes", "{}"}, "changes: expected array"},
    {{"", "extra", "1"}, "extra: unknown key"},
    {{"changes.1", "origin", "\"central\""}, "changes[1].origin: unknown key"},
    {{"changes.1.payload", "x", "1"}, NULL}, /* payload keys are the form's business */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *json = edited(req, apply_edit, &cases[i].e);
    if (cases[i].msg)
      expect_refused(rt_push_req, json, SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, cases[i].msg);
    else
      expect_ok(rt_push_req, json);
    free(json);
  }
  /* Deeper paths: a receipt's merged revision and conflict, a pull item, an error. */
  expect_edit_refused(rt_push_resp, "push-response-conflict.json",
                      (edit_t){"receipts.0.merged", "author", "\"\""}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "receipts[0].merged.author: must not be empty");
  expect_edit_refused(rt_push_resp, "push-response-conflict.json",
                      (edit_t){"receipts.0.merged", "origin", NULL}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "receipts[0].merged.origin: missing");
  expect_edit_refused(rt_push_resp, "push-response-conflict.json",
                      (edit_t){"receipts.0.conflict.fields.0", "winner", "\"server\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                      "receipts[0].conflict.fields[0].winner: expected one of");
  expect_edit_refused(rt_push_resp, "push-response-conflict.json",
                      (edit_t){"receipts.0.conflict.fields.0", "central_value", NULL},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                      "receipts[0].conflict.fields[0].central_value: missing");
  expect_edit_refused(rt_push_resp, "push-response-rejected.json",
                      (edit_t){"receipts.0.error.issues.1", "code", "\"Choice\""}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "receipts[0].error.issues[1].code: not a snake_case code");
  expect_edit_refused(rt_pull_resp, "pull-response-forms-and-status.json",
                      (edit_t){"items.1", "seq", "\"10431\""}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "items[1].seq: expected integer");
  expect_edit_refused(rt_pull_resp, "pull-response-forms-and-status.json",
                      (edit_t){"items.0.definition", "format", NULL}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "items[0].definition.format: missing");
  expect_edit_refused(rt_pull_resp, "pull-response-forms-and-status.json",
                      (edit_t){"items.0", "sha256", "\"ABC\""}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "items[0].sha256: not a lower-case SHA-256");
  expect_edit_refused(rt_pull_resp, "pull-response-empty.json",
                      (edit_t){"", "next_cursor", "\"a b\""}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "next_cursor: not a cursor");
  expect_edit_refused(rt_error, "error-rate_limited.json",
                      (edit_t){"error", "retry_after", "86401"}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "error.retry_after: must be at most 86400");
  expect_edit_refused(rt_error, "error-rate_limited.json",
                      (edit_t){"error.message", "fr", "\"x\""}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "error.message.fr: unknown key");
  expect_edit_refused(rt_error, "error-unsupported_protocol.json",
                      (edit_t){"error", "supported_protocols", "[1,1]"}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "error.supported_protocols[1]: repeated version 1");
  expect_edit_refused(rt_health, "health.json", (edit_t){"limits", "max_body", "0"},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "limits.max_body: must be at least 1");
  expect_edit_refused(rt_health, "health.json", (edit_t){"", "server_version", "\"v1\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "server_version: not a version");
  expect_edit_refused(rt_whoami, "whoami.json", (edit_t){"", "status", "\"revoked\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "status: must be \"active\"");
  expect_edit_refused(rt_forms, "forms-list.json", (edit_t){"forms.0.title", "EN", "\"x\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "forms[0].title.EN: not a language tag");
  expect_edit_refused(rt_forms, "forms-list.json", (edit_t){"forms.1", "title", "{}"},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "forms[1].title: must hold at least");
}

static void test_duplicate_keys_are_refused(void **state)
{
  (void)state;
  expect_refused(rt_whoami,
                 "{\"protocol\":2,\"device_id\":\"" DEVICE "\",\"device_id\":\"" DEVICE "\"}",
                 SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "device_id: duplicate key");
  expect_refused(rt_whoami, "{\"protocol\":2,\"protocol\":2}", SYNC_ERR_PROTOCOL,
                 PROTO_E_BAD_REQUEST, "protocol: duplicate key");
}

static void test_another_protocol_version_is_unsupported_protocol(void **state)
{
  (void)state;
  /* Checked before unknown keys, so a newer body with new fields still says which version. */
  expect_edit_refused(rt_push_req, "push-request-basic.json", (edit_t){"", "protocol", "1"},
                      SYNC_ERR_PROTOCOL, PROTO_E_UNSUPPORTED_PROTOCOL, "protocol: version 1");
  char *json = edited("push-request-basic.json", apply_edit, &(edit_t){"", "attachments", "true"});
  char *json2 = NULL;
  cJSON *root = cJSON_Parse(json);
  cJSON_ReplaceItemInObject(root, "protocol", cJSON_CreateNumber(3));
  json2 = cJSON_PrintUnformatted(root);
  expect_refused(rt_push_req, json2, SYNC_ERR_PROTOCOL, PROTO_E_UNSUPPORTED_PROTOCOL,
                 "version 3 is not supported (supported: 2)");
  cJSON_Delete(root);
  free(json);
  free(json2);
  expect_edit_refused(rt_push_resp, "push-response-basic.json", (edit_t){"", "protocol", "1"},
                      SYNC_ERR_PROTOCOL, PROTO_E_UNSUPPORTED_PROTOCOL, "protocol");
  expect_edit_refused(rt_pull_resp, "pull-response-empty.json", (edit_t){"", "protocol", "0"},
                      SYNC_ERR_PROTOCOL, PROTO_E_UNSUPPORTED_PROTOCOL, "protocol");
  expect_edit_refused(rt_whoami, "whoami.json", (edit_t){"", "protocol", "1"}, SYNC_ERR_PROTOCOL,
                      PROTO_E_UNSUPPORTED_PROTOCOL, "protocol");
  expect_edit_refused(rt_forms, "forms-list.json", (edit_t){"", "protocol", "1"}, SYNC_ERR_PROTOCOL,
                      PROTO_E_UNSUPPORTED_PROTOCOL, "protocol");
  expect_edit_refused(rt_enroll_req, "enroll-request.json", (edit_t){"", "protocol", "1"},
                      SYNC_ERR_PROTOCOL, PROTO_E_UNSUPPORTED_PROTOCOL, "protocol");
  expect_edit_refused(rt_enroll_resp, "enroll-response.json", (edit_t){"", "protocol", "3"},
                      SYNC_ERR_PROTOCOL, PROTO_E_UNSUPPORTED_PROTOCOL, "protocol");
}

static void test_push_request_batch_rules_are_checked(void **state)
{
  (void)state;
  /* The same (uuid, revision) twice, and revisions of one record out of order. */
  char *text = ts_golden("push-request-basic.json", NULL);
  cJSON *root = cJSON_Parse(text), *changes = cJSON_GetObjectItem(root, "changes");
  cJSON_AddItemToArray(changes, cJSON_Duplicate(cJSON_GetArrayItem(changes, 1), 1));
  char *json = cJSON_PrintUnformatted(root);
  expect_refused(rt_push_req, json, SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                 "changes[3].revision: record a7d2e5f1-6c3b-4e9a-8d1f-0b4c7e2a9d56 revision 2 "
                 "appears twice (also changes[1])");
  free(json);
  cJSON *last = cJSON_GetArrayItem(changes, 3);
  cJSON_ReplaceItemInObject(last, "revision", cJSON_CreateNumber(1));
  cJSON_ReplaceItemInObject(last, "base_revision", cJSON_CreateNumber(0));
  cJSON_ReplaceItemInObject(last, "base_hlc", cJSON_CreateNull());
  json = cJSON_PrintUnformatted(root);
  expect_refused(rt_push_req, json, SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                 "changes[3].revision: record a7d2e5f1-6c3b-4e9a-8d1f-0b4c7e2a9d56 revision 1 "
                 "comes after revision 2");
  free(json);
  cJSON_ReplaceItemInObject(last, "revision", cJSON_CreateNumber(3));
  cJSON_ReplaceItemInObject(last, "base_revision", cJSON_CreateNumber(2));
  cJSON_ReplaceItemInObject(last, "base_hlc", cJSON_CreateString(HLC(001732512345678, 00001)));
  json = cJSON_PrintUnformatted(root);
  expect_ok(rt_push_req, json);
  free(json);
  /* 501 changes: over the cap is body_too_large. */
  cJSON *one = cJSON_GetArrayItem(changes, 0);
  while (cJSON_GetArraySize(changes) < PROTO_MAX_CHANGES + 1) {
    cJSON *dup = cJSON_Duplicate(one, 1);
    char uuid[40];
    snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", cJSON_GetArraySize(changes));
    cJSON_ReplaceItemInObject(dup, "uuid", cJSON_CreateString(uuid));
    cJSON_AddItemToArray(changes, dup);
  }
  json = cJSON_PrintUnformatted(root);
  expect_refused(rt_push_req, json, SYNC_ERR_TOO_LARGE, PROTO_E_BODY_TOO_LARGE,
                 "changes: more than 500");
  free(json);
  cJSON_Delete(root);
  free(text);
}

static void test_oversized_bodies_and_payloads_are_too_large(void **state)
{
  (void)state;
  proto_diag_t diag;
  size_t n = PROTO_MAX_BODY + 1u;
  char *big = malloc(n);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  assert_int_equal(rt_push_req(big, n, &diag, NULL), SYNC_ERR_TOO_LARGE);
  assert_int_equal(diag.code, PROTO_E_BODY_TOO_LARGE);
  free(big);
  /* A payload over 1 MiB as compact text. */
  size_t plen = PROTO_MAX_PAYLOAD + 16;
  char *payload = malloc(plen + 1);
  memset(payload, 'x', plen);
  memcpy(payload, "{\"a\":\"", 6);
  memcpy(payload + plen - 2, "\"}", 3);
  char *json = edited("push-request-basic.json", apply_edit, &(edit_t){"changes.1", "payload", payload});
  expect_refused(rt_push_req, json, SYNC_ERR_TOO_LARGE, PROTO_E_BODY_TOO_LARGE,
                 "changes[1].payload: 1048592 bytes");
  free(json);
  free(payload);
}

static void test_push_response_outcome_rules_are_checked(void **state)
{
  (void)state;
  const char *basic = "push-response-basic.json";
  expect_edit_refused(rt_push_resp, basic, (edit_t){"receipts.0", "server_seq", NULL},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                      "receipts[0].server_seq: missing (outcome stored)");
  expect_edit_refused(rt_push_resp, basic,
                      (edit_t){"receipts.1", "error", "{\"code\":\"forbidden\",\"message\":{\"id\":\"a\","
                               "\"en\":\"b\"},\"retryable\":false}"},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                      "receipts[1].error: not allowed with outcome stored");
  expect_edit_refused(rt_push_resp, basic, (edit_t){"receipts.2", "outcome", "\"conflict\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "receipts[2].merged: missing");
  expect_edit_refused(rt_push_resp, basic, (edit_t){"receipts.2", "outcome", "\"lost\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "receipts[2].outcome: expected one of");
  const char *rej = "push-response-rejected.json";
  expect_edit_refused(rt_push_resp, rej, (edit_t){"receipts.1", "server_seq", "5"},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                      "receipts[1].server_seq: not allowed with outcome rejected");
  expect_edit_refused(rt_push_resp, rej, (edit_t){"receipts.1.error", "code", "\"bad_request\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "receipts[1].error.code: must be");
  /* A code this library does not know is accepted (a newer server): go by retryable. */
  char *json = edited(rej, apply_edit, &(edit_t){"receipts.1.error", "code", "\"quota_exceeded\""});
  proto_push_resp_t *resp = NULL;
  assert_int_equal(proto_push_resp_decode(json, strlen(json), &resp, NULL), SYNC_OK);
  assert_int_equal(resp->receipts[1].error->code, PROTO_E_UNKNOWN);
  assert_string_equal(resp->receipts[1].error->code_text, "quota_exceeded");
  proto_push_resp_free(resp);
  free(json);
  /* Duplicate of a conflict carries merged and conflict again, both or neither. */
  const char *conf = "push-response-conflict.json";
  json = edited(conf, apply_edit, &(edit_t){"receipts.0", "outcome", "\"duplicate\""});
  expect_ok(rt_push_resp, json);
  free(json);
  char *text = ts_golden(conf, NULL);
  cJSON *root = cJSON_Parse(text);
  cJSON *r0 = at(root, "receipts.0");
  cJSON_ReplaceItemInObject(r0, "outcome", cJSON_CreateString("duplicate"));
  cJSON_DeleteItemFromObject(r0, "conflict");
  json = cJSON_PrintUnformatted(root);
  expect_refused(rt_push_resp, json, SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                 "receipts[0].conflict: missing (outcome duplicate)");
  free(json);
  cJSON_Delete(root);
  free(text);
}

static void test_pull_items_must_be_in_seq_order_and_of_known_kind(void **state)
{
  (void)state;
  const char *f = "pull-response-forms-and-status.json";
  expect_edit_refused(rt_pull_resp, f, (edit_t){"items.2", "seq", "10431"}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "items[2].seq: 10431 is not after");
  expect_edit_refused(rt_pull_resp, f, (edit_t){"items.1", "kind", "\"attachment\""},
                      SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                      "items[1].kind: expected one of \"form\", \"record\"");
  expect_edit_refused(rt_pull_resp, f, (edit_t){"items.1", "kind", NULL}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "items[1].kind: missing");
  expect_edit_refused(rt_pull_resp, f, (edit_t){"items.1", "author", NULL}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "items[1].author: missing");
  expect_edit_refused(rt_pull_resp, f, (edit_t){"items.0", "payload", "{}"}, SYNC_ERR_PROTOCOL,
                      PROTO_E_BAD_REQUEST, "items[0].payload: unknown key");
  expect_refused(rt_pull_resp, "{\"protocol\":2,\"items\":[1],\"next_cursor\":\"1\",\"more\":true}",
                 SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST, "items[0]: expected object");
}

static void test_payloads_come_out_compact_whatever_their_spelling(void **state)
{
  (void)state;
  const char *pretty = "{ \"a\" : [ 1 , 2.50 , \"x y\" ] ,\n \"payload\" : { \"payload\" : {} } }";
  const char *compact = "{\"a\":[1,2.50,\"x y\"],\"payload\":{\"payload\":{}}}";
  char *json = edited("push-request-basic.json", apply_edit, &(edit_t){"changes.0", "payload", "{}"});
  /* Put the pretty text in by hand: cJSON would re-print it. */
  char *slot = strstr(json, "\"payload\":{}");
  assert_non_null(slot);
  size_t head = (size_t)(slot - json) + strlen("\"payload\":");
  char *body = malloc(strlen(json) + strlen(pretty) + 1);
  memcpy(body, json, head);
  strcpy(body + head, pretty);
  strcat(body, slot + strlen("\"payload\":{}"));
  proto_push_req_t *req = NULL;
  proto_diag_t diag;
  assert_int_equal(proto_push_req_decode(body, strlen(body), &req, &diag), SYNC_OK);
  assert_string_equal(req->changes[0].payload, compact);
  proto_push_req_free(req);
  /* The key spelled with an escape takes cJSON's path: same value. */
  char *esc = malloc(strlen(body) + 8);
  memcpy(esc, body, head - strlen("\"payload\":"));
  strcpy(esc + head - strlen("\"payload\":"), "\"pay\\u006coad\":");
  strcat(esc, body + head);
  assert_int_equal(proto_push_req_decode(esc, strlen(esc), &req, &diag), SYNC_OK);
  assert_same_json(req->changes[0].payload, compact, "escaped key payload");
  proto_push_req_free(req);
  free(esc);
  free(body);
  free(json);
  /* A conflict value that holds a "payload" key is not mistaken for a payload. */
  json = edited("push-response-conflict.json", apply_edit,
                &(edit_t){"receipts.0.conflict.fields.0", "device_value", "{\"payload\":{\"x\":1}}"});
  proto_push_resp_t *resp = NULL;
  assert_int_equal(proto_push_resp_decode(json, strlen(json), &resp, &diag), SYNC_OK);
  assert_string_equal(resp->receipts[0].conflict->fields[0].device_value, "{\"payload\":{\"x\":1}}");
  assert_non_null(strstr(resp->receipts[0].merged->payload, "\"case_status\":\"referred\""));
  proto_push_resp_free(resp);
  free(json);
}

static void test_unknown_error_codes_decode_as_unknown(void **state)
{
  (void)state;
  const char *json = "{\"error\":{\"code\":\"maintenance_window\",\"message\":{\"id\":\"a\","
                     "\"en\":\"b\"},\"retryable\":true,\"retry_after\":0}}";
  proto_error_t *e = NULL;
  assert_int_equal(proto_error_decode(json, strlen(json), &e, NULL), SYNC_OK);
  assert_int_equal(e->code, PROTO_E_UNKNOWN);
  assert_string_equal(e->code_text, "maintenance_window");
  assert_int_equal(e->retryable, 1);
  assert_int_equal(e->retry_after, 0);
  assert_int_equal(proto_errcode_sync_err(e->code), SYNC_ERR_SERVER);
  char *re = NULL;
  assert_int_equal(proto_error_encode(e, &re, NULL), SYNC_OK);
  assert_same_json(re, json, "unknown error code");
  free(re);
  proto_error_free(e);
  expect_refused(rt_error, "{\"error\":{\"code\":\"Bad Code\",\"message\":{\"id\":\"a\",\"en\":\"b\"},"
                 "\"retryable\":true}}", SYNC_ERR_PROTOCOL, PROTO_E_BAD_REQUEST,
                 "error.code: not a snake_case code");
}

/* ---- writers and encoders --------------------------------------------------------------------- */

static void make_change(proto_change_t *c, unsigned i, const char *payload)
{
  memset(c, 0, sizeof *c);
  snprintf(c->uuid, sizeof c->uuid, "3f6b9c1e-2d4a-4b8f-9e7c-%012u", i);
  c->revision = 1;
  c->op = PROTO_OP_UPSERT;
  snprintf(c->form_id, sizeof c->form_id, "tppo_screening");
  c->form_version = 1;
  snprintf(c->hlc, sizeof c->hlc, "%015u-00000-%s", 1732512345u + i, DEVICE);
  c->created_at = 1732511000000LL;
  c->updated_at = 1732512345678LL;
  c->payload = (char *)payload;
  c->origin = PROTO_ORIGIN_DEVICE;
}

static void test_push_writer_respects_its_byte_budget(void **state)
{
  (void)state;
  const char *payload = "{ \"interview_date\" : \"2024-11-25\", \"province\": \"35\",\n"
                        "  \"needs\": [\"shelter\", \"legal_aid\"], \"age_years\": 26 }";
  const size_t budgets[] = {1, 600, 4096, 64 * 1024};
  for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
    proto_push_writer_t *w = NULL;
    proto_change_t c;
    char err[256], *json = NULL;
    size_t len = 0;
    unsigned i = 0;
    sync_err_t rc;
    assert_int_equal(proto_push_writer_new(DEVICE, BATCH, &w), SYNC_OK);
    assert_int_equal(proto_push_writer_finish(w, &json, &len), SYNC_ERR_STATE);
    for (;; i++) {
      make_change(&c, i, payload);
      size_t before = proto_push_writer_size(w);
      rc = proto_push_writer_add(w, &c, budgets[b], err, sizeof err);
      if (rc != SYNC_OK) {
        assert_int_equal(rc, SYNC_ERR_TOO_LARGE);
        assert_int_equal(proto_push_writer_size(w), before); /* unchanged */
        break;
      }
      assert_true(proto_push_writer_size(w) <= budgets[b] || proto_push_writer_count(w) == 1);
    }
    assert_true(i >= 1); /* the first change always goes, whatever the budget */
    assert_int_equal(proto_push_writer_count(w), i);
    size_t expect = proto_push_writer_size(w);
    assert_int_equal(proto_push_writer_finish(w, &json, &len), SYNC_OK);
    assert_int_equal(len, expect);
    assert_int_equal(strlen(json), len);
    if (i > 1)
      assert_true(len <= budgets[b]);
    assert_true(len + 1000 > budgets[b] || i == PROTO_MAX_CHANGES); /* filled to the budget */
    assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_STATE);
    proto_push_req_t *req = NULL;
    proto_diag_t diag;
    assert_int_equal(proto_push_req_decode(json, len, &req, &diag), SYNC_OK);
    assert_int_equal(req->n_changes, i);
    /* The payload went out compact. */
    assert_string_equal(req->changes[0].payload,
                        "{\"interview_date\":\"2024-11-25\",\"province\":\"35\",\"needs\":"
                        "[\"shelter\",\"legal_aid\"],\"age_years\":26}");
    assert_non_null(strstr(json, "\"needs\":[\"shelter\",\"legal_aid\"]"));
    proto_push_req_free(req);
    proto_push_writer_free(w);
    free(json);
  }
  /* No budget: stops at PROTO_MAX_CHANGES. */
  proto_push_writer_t *w = NULL;
  proto_change_t c;
  assert_int_equal(proto_push_writer_new(DEVICE, BATCH, &w), SYNC_OK);
  for (unsigned i = 0; i < PROTO_MAX_CHANGES; i++) {
    make_change(&c, i, "{}");
    assert_int_equal(proto_push_writer_add(w, &c, 0, NULL, 0), SYNC_OK);
  }
  make_change(&c, 9999, "{}");
  assert_int_equal(proto_push_writer_add(w, &c, 0, NULL, 0), SYNC_ERR_TOO_LARGE);
  proto_push_writer_free(w);
  proto_push_writer_free(NULL);
}

static void test_push_writer_refuses_an_unsendable_change(void **state)
{
  (void)state;
  proto_push_writer_t *w = NULL;
  proto_change_t c;
  char err[256];
  assert_int_equal(proto_push_writer_new(DEVICE, "not-a-uuid", &w), SYNC_ERR_INVALID_ARG);
  assert_null(w);
  assert_int_equal(proto_push_writer_new(DEVICE, BATCH, &w), SYNC_OK);
  make_change(&c, 1, "{\"a\":1}");
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_OK);
  size_t size = proto_push_writer_size(w);
  struct {
    const char *payload;
    const char *msg;
  } bad[] = {
    {"[1]", "payload: not a JSON object"},
    {"{\"a\":", "payload: invalid JSON"},
    {"{\"a\":\"\xff\"}", "invalid UTF-8"},
    {NULL, "payload: missing"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    make_change(&c, 2, bad[k].payload);
    assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
    assert_non_null(strstr(err, bad[k].msg));
    assert_int_equal(proto_push_writer_size(w), size);
  }
  make_change(&c, 2, "{\"a\":1}");
  c.op = PROTO_OP_DELETE;
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "must be {} for a delete"));
  make_change(&c, 2, "{}");
  c.base_revision = 1;
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "base_revision"));
  make_change(&c, 2, "{}");
  c.origin = PROTO_ORIGIN_CENTRAL;
  c.author = "siti.rahma";
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  make_change(&c, 2, "{}");
  c.hlc[3] = 'x';
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "hlc"));
  /* A payload over 1 MiB can never be sent: INVALID_ARG, not TOO_LARGE (which means "batch full"). */
  size_t plen = PROTO_MAX_PAYLOAD + 10;
  char *huge = malloc(plen + 1);
  memset(huge, 'x', plen);
  memcpy(huge, "{\"a\":\"", 6);
  memcpy(huge + plen - 2, "\"}", 3);
  make_change(&c, 2, huge);
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_change_check(&c, err, sizeof err), SYNC_ERR_TOO_LARGE);
  /* Pretty text shrinks to its compact form before the cap applies. */
  memset(huge, ' ', plen);
  memcpy(huge, "{\"a\":\"x\"", 8);
  memcpy(huge + plen - 1, "}", 2);
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_OK);
  free(huge);
  assert_int_equal(proto_push_writer_count(w), 2);
  proto_push_writer_free(w);
}

static void test_encoders_refuse_what_decoders_would_refuse(void **state)
{
  (void)state;
  size_t len;
  char *text = ts_golden("push-response-conflict.json", &len), *json = NULL;
  proto_push_resp_t *resp = NULL;
  assert_int_equal(proto_push_resp_decode(text, len, &resp, NULL), SYNC_OK);
  proto_receipt_t *r = &resp->receipts[0];
  proto_conflict_t *cf = r->conflict;
  r->conflict = NULL; /* conflict without its conflict record */
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_ERR_INVALID_ARG);
  assert_null(json);
  r->conflict = cf;
  r->outcome = PROTO_OUTCOME_STORED; /* stored with a merge */
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_ERR_INVALID_ARG);
  r->outcome = PROTO_OUTCOME_DUPLICATE;
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_OK);
  free(json);
  char *author = r->merged->author;
  r->merged->author = NULL; /* a merged revision has an author */
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_ERR_INVALID_ARG);
  r->merged->author = author;
  char *dv = cf->fields[0].device_value;
  cf->fields[0].device_value = "{\"unclosed\":";
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_ERR_INVALID_ARG);
  cf->fields[0].device_value = NULL; /* NULL is "no answer" */
  assert_int_equal(proto_push_resp_encode(resp, &json, NULL), SYNC_OK);
  assert_non_null(strstr(json, "\"device_value\":null"));
  free(json);
  cf->fields[0].device_value = dv;
  proto_push_resp_free(resp);
  free(text);

  /* A rejected receipt only carries the three per-change codes. */
  proto_error_t e;
  memset(&e, 0, sizeof e);
  e.code = PROTO_E_BAD_REQUEST;
  e.retry_after = -1;
  proto_receipt_t rr;
  memset(&rr, 0, sizeof rr);
  snprintf(rr.uuid, sizeof rr.uuid, "%s", DEVICE);
  rr.revision = 1;
  rr.outcome = PROTO_OUTCOME_REJECTED;
  rr.error = &e;
  proto_push_resp_t pr;
  memset(&pr, 0, sizeof pr);
  snprintf(pr.batch_id, sizeof pr.batch_id, "%s", BATCH);
  pr.receipts = &rr;
  pr.n_receipts = 1;
  snprintf(pr.signature, sizeof pr.signature, "%s", TS_SIG88);
  assert_int_equal(proto_push_resp_encode(&pr, &json, NULL), SYNC_ERR_INVALID_ARG);
  e.code = PROTO_E_INVALID_CHANGE; /* messages default to the table's */
  assert_int_equal(proto_push_resp_encode(&pr, &json, &len), SYNC_OK);
  expect_ok(rt_push_resp, json);
  assert_non_null(strstr(json, "Change rejected: answers do not fit the form."));
  free(json);

  /* Error bodies: no code, a bad unknown code, a message that is not UTF-8. */
  memset(&e, 0, sizeof e);
  e.retry_after = -1;
  assert_int_equal(proto_error_encode(&e, &json, NULL), SYNC_ERR_INVALID_ARG);
  e.code = PROTO_E_UNKNOWN;
  snprintf(e.code_text, sizeof e.code_text, "Not Snake");
  assert_int_equal(proto_error_encode(&e, &json, NULL), SYNC_ERR_INVALID_ARG);
  e.code = PROTO_E_RATE_LIMITED;
  e.message_en = "bad \xff text";
  assert_int_equal(proto_error_encode(&e, &json, NULL), SYNC_ERR_INVALID_ARG);
  e.message_en = "Tab\there, quote \" and \x01 escaped";
  e.retryable = 1;
  e.retry_after = 30;
  assert_int_equal(proto_error_encode(&e, &json, NULL), SYNC_OK);
  assert_non_null(strstr(json, "Tab\\there, quote \\\" and \\u0001 escaped"));
  expect_ok(rt_error, json);
  free(json);

  /* Health, whoami, forms list: zero limits mean the protocol's own. */
  proto_health_t h;
  memset(&h, 0, sizeof h);
  snprintf(h.server_version, sizeof h.server_version, "0.1.0-dev.3");
  snprintf(h.server_id, sizeof h.server_id, "%s", SERVER);
  assert_int_equal(proto_health_encode(&h, &json, NULL), SYNC_ERR_INVALID_ARG); /* no receipt_key */
  snprintf(h.receipt_key, sizeof h.receipt_key, "7DmXO9h/t7Bj7gc+5NrQw5qOXVUECiIhatIpPpVol8g=");
  assert_int_equal(proto_health_encode(&h, &json, NULL), SYNC_OK);
  proto_health_t *hd = NULL;
  assert_int_equal(proto_health_decode(json, strlen(json), &hd, NULL), SYNC_OK);
  assert_int_equal(hd->limits.max_changes, PROTO_MAX_CHANGES);
  assert_int_equal(hd->protocols[0], 2);
  proto_health_free(hd);
  free(json);
  snprintf(h.server_version, sizeof h.server_version, "1.0");
  assert_int_equal(proto_health_encode(&h, &json, NULL), SYNC_ERR_INVALID_ARG);
  proto_whoami_t wh;
  memset(&wh, 0, sizeof wh);
  snprintf(wh.device_id, sizeof wh.device_id, "%s", DEVICE);
  assert_int_equal(proto_whoami_encode(&wh, &json, NULL), SYNC_OK);
  assert_same_json(json, "{\"protocol\":2,\"device_id\":\"" DEVICE "\",\"name\":\"\",\"unit\":\"\","
                   "\"status\":\"active\",\"server_time\":0,\"credential_expires_at\":0}", "whoami");
  free(json);
  proto_form_info_t fi;
  memset(&fi, 0, sizeof fi);
  snprintf(fi.form_id, sizeof fi.form_id, "tppo_screening");
  fi.version = 1;
  memset(fi.sha256, 'a', PROTO_SHA256_LEN);
  fi.title = "{\"id\": \"Skrining\"}";
  proto_forms_list_t fl = {.protocol = 2, .forms = &fi, .n_forms = 1};
  assert_int_equal(proto_forms_list_encode(&fl, &json, NULL), SYNC_OK);
  assert_non_null(strstr(json, "\"title\":{\"id\":\"Skrining\"}"));
  free(json);
  fi.title = "{\"Indonesian\": \"Skrining\"}";
  assert_int_equal(proto_forms_list_encode(&fl, &json, NULL), SYNC_ERR_INVALID_ARG);
}

static void test_pull_writer_keeps_its_page_budget_and_order(void **state)
{
  (void)state;
  proto_pull_writer_t *w = NULL;
  proto_pull_item_t it;
  char err[256], *json = NULL;
  size_t len;
  assert_int_equal(proto_pull_writer_new(&w), SYNC_OK);
  unsigned i = 0;
  for (;; i++) {
    memset(&it, 0, sizeof it);
    it.kind = PROTO_ITEM_RECORD;
    it.seq = 100 + i;
    make_change(&it.record, i, "{\"case_status\":\"referred\"}");
    it.record.revision = 2;
    it.record.base_revision = 1;
    snprintf(it.record.base_hlc, sizeof it.record.base_hlc, "%s", HLC(001732512345678, 00000));
    it.record.origin = PROTO_ORIGIN_CENTRAL;
    it.record.author = "siti.rahma";
    sync_err_t rc = proto_pull_writer_add(w, &it, 8192, err, sizeof err);
    if (rc == SYNC_ERR_TOO_LARGE)
      break;
    assert_int_equal(rc, SYNC_OK);
    assert_true(proto_pull_writer_size(w) <= 8192);
  }
  assert_true(i > 5);
  it.seq = 100; /* not after the last one */
  assert_int_equal(proto_pull_writer_add(w, &it, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_pull_writer_finish(w, "bad cursor", 1, &json, &len), SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_pull_writer_finish(w, "10433", 1, &json, &len), SYNC_OK);
  assert_true(len <= 8192);
  proto_pull_resp_t *resp = NULL;
  assert_int_equal(proto_pull_resp_decode(json, len, &resp, NULL), SYNC_OK);
  assert_int_equal(resp->n_items, i);
  assert_int_equal(resp->more, 1);
  assert_string_equal(resp->items[0].record.author, "siti.rahma");
  proto_pull_resp_free(resp);
  proto_pull_writer_free(w);
  free(json);

  /* A form item whose sha256 is not the hash of its definition's compact text is refused. */
  assert_int_equal(proto_pull_writer_new(&w), SYNC_OK);
  memset(&it, 0, sizeof it);
  it.kind = PROTO_ITEM_FORM;
  it.seq = 1;
  snprintf(it.form.form_id, sizeof it.form.form_id, "tppo_screening");
  it.form.version = 3;
  memset(it.form.sha256, '0', PROTO_SHA256_LEN);
  it.form.definition = "{\"format\": 1, \"form_id\": \"tppo_screening\", \"version\": 3}";
  assert_int_equal(proto_pull_writer_add(w, &it, 0, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "sha256"));
  const char *compact = "{\"format\":1,\"form_id\":\"tppo_screening\",\"version\":3}";
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, (const unsigned char *)compact, strlen(compact));
  sodium_bin2hex(it.form.sha256, sizeof it.form.sha256, hash, sizeof hash);
  assert_int_equal(proto_pull_writer_add(w, &it, 0, err, sizeof err), SYNC_OK);
  assert_int_equal(proto_pull_writer_finish(w, "1", 0, &json, &len), SYNC_OK);
  assert_non_null(strstr(json, compact));
  expect_ok(rt_pull_resp, json);
  proto_pull_writer_free(w);
  free(json);
  /* An empty page. */
  proto_pull_resp_t empty = {.protocol = 2, .next_cursor = "0"};
  assert_int_equal(proto_pull_resp_encode(&empty, &json, NULL), SYNC_OK);
  assert_string_equal(json, "{\"protocol\":2,\"items\":[],\"next_cursor\":\"0\",\"more\":false}");
  free(json);
}

/* ---- small helpers ---------------------------------------------------------------------------- */

static void test_validators_follow_the_schema_patterns(void **state)
{
  (void)state;
  assert_true(proto_uuid_valid(DEVICE));
  assert_false(proto_uuid_valid("6F1C2A4E-8B3D-4C71-9A0E-2D5B7C9E1F30"));
  assert_false(proto_uuid_valid(DEVICE "0"));
  assert_false(proto_uuid_valid("6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f3"));
  assert_false(proto_uuid_valid(NULL));
  assert_true(proto_hlc_valid(HLC(001732512345678, 00000)));
  assert_false(proto_hlc_valid("01732512345678-00000-" DEVICE));
  assert_false(proto_hlc_valid(HLC(001732512345678, 00000) "x"));
  assert_true(proto_cursor_valid("10433"));
  assert_true(proto_cursor_valid("a.B_c:d-9"));
  assert_false(proto_cursor_valid(""));
  assert_false(proto_cursor_valid("a b"));
  char c128[130];
  memset(c128, 'a', 129);
  c128[129] = '\0';
  assert_false(proto_cursor_valid(c128));
  c128[128] = '\0';
  assert_true(proto_cursor_valid(c128));
  assert_true(proto_sha256_valid("9e3f878a2aa811c9430e7f3babc59ca7c19c934e4eb65d467327712fa8ba6973"));
  assert_false(proto_sha256_valid("9E3F878A2AA811C9430E7F3BABC59CA7C19C934E4EB65D467327712FA8BA6973"));
}

static void test_auth_header_round_trips_and_refuses_other_forms(void **state)
{
  (void)state;
  const char *secret = "Ab3_-xYz0123456789abcdefghijklmnopqrstuvwxy";
  char buf[128], id[PROTO_UUID_LEN + 1], sec[PROTO_SECRET_LEN + 1];
  assert_int_equal(strlen(secret), PROTO_SECRET_LEN);
  assert_int_equal(proto_auth_format(DEVICE, secret, buf, sizeof buf), SYNC_OK);
  assert_string_equal(buf, "Device " DEVICE ":Ab3_-xYz0123456789abcdefghijklmnopqrstuvwxy");
  assert_int_equal(proto_auth_format(DEVICE, secret, buf, 20), SYNC_ERR_TOO_LARGE);
  assert_int_equal(proto_auth_format(DEVICE, "short", buf, sizeof buf), SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_auth_format("nope", secret, buf, sizeof buf), SYNC_ERR_INVALID_ARG);
  assert_int_equal(proto_auth_format(DEVICE, secret, buf, sizeof buf), SYNC_OK);
  assert_int_equal(proto_auth_parse(buf, id, sec), SYNC_OK);
  assert_string_equal(id, DEVICE);
  assert_string_equal(sec, secret);
  buf[0] = 'd';
  buf[3] = 'I';
  assert_int_equal(proto_auth_parse(buf, id, sec), SYNC_OK); /* scheme is case-insensitive */
  const char *bad[] = {
    "", "Device", "Device ", "Basic " DEVICE ":Ab3_-xYz0123456789abcdefghijklmnopqrstuvwxy",
    "Device  " DEVICE ":Ab3_-xYz0123456789abcdefghijklmnopqrstuvwxy",
    "Device " DEVICE ":Ab3_-xYz0123456789abcdefghijklmnopqrstuvwx",
    "Device " DEVICE ":Ab3_-xYz0123456789abcdefghijklmnopqrstuvwxyz",
    "Device " DEVICE ":Ab3_-xYz0123456789abcdefghijklmnopqrstuvwx=",
    "Device " DEVICE " Ab3_-xYz0123456789abcdefghijklmnopqrstuvwxy",
    "Device 6F1C2A4E-8B3D-4C71-9A0E-2D5B7C9E1F30:Ab3_-xYz0123456789abcdefghijklmnopqrstuvwxy",
    "DeviceSig keyId=1", NULL,
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(proto_auth_parse(bad[i], id, sec), SYNC_ERR_AUTH);
    assert_string_equal(id, "");
  }
}

static void test_pull_params_are_checked(void **state)
{
  (void)state;
  char cursor[PROTO_CURSOR_MAX + 1];
  int limit;
  proto_diag_t diag;
  assert_int_equal(proto_pull_params_parse(NULL, NULL, cursor, &limit, &diag), SYNC_OK);
  assert_string_equal(cursor, "");
  assert_int_equal(limit, PROTO_PULL_DEFAULT_LIMIT);
  assert_int_equal(proto_pull_params_parse("10433", "500", cursor, &limit, &diag), SYNC_OK);
  assert_string_equal(cursor, "10433");
  assert_int_equal(limit, 500);
  const char *bad_limits[] = {"0", "501", "-1", "+5", "5x", "", "99999999999", " 5"};
  for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++) {
    assert_int_equal(proto_pull_params_parse(NULL, bad_limits[i], cursor, &limit, &diag),
                     SYNC_ERR_PROTOCOL);
    assert_int_equal(diag.code, PROTO_E_BAD_REQUEST);
    assert_non_null(strstr(diag.msg, "limit: must be an integer from 1 to 500"));
  }
  assert_int_equal(proto_pull_params_parse("", NULL, cursor, &limit, &diag), SYNC_ERR_PROTOCOL);
  assert_int_equal(proto_pull_params_parse("a/b", NULL, cursor, &limit, NULL), SYNC_ERR_PROTOCOL);
}

static void test_error_table_maps_codes(void **state)
{
  (void)state;
  assert_int_equal(proto_errcode_parse("server_busy"), PROTO_E_SERVER_BUSY);
  assert_int_equal(proto_errcode_parse("nope"), PROTO_E_UNKNOWN);
  assert_int_equal(proto_errcode_parse(""), PROTO_E_UNKNOWN);
  assert_int_equal(proto_errcode_parse(NULL), PROTO_E_UNKNOWN);
  assert_string_equal(proto_errcode_text(PROTO_E_NONE), "");
  assert_string_equal(proto_errcode_text(PROTO_E_UNKNOWN), "unknown");
  assert_string_equal(proto_errcode_text(PROTO_E_BODY_TOO_LARGE), "body_too_large");
  assert_int_equal(proto_errcode_http_status(PROTO_E_BODY_TOO_LARGE), 413);
  assert_int_equal(proto_errcode_http_status(PROTO_E_INVALID_CHANGE), 0);
  assert_int_equal(proto_errcode_http_status(PROTO_E_RATE_LIMITED), 429);
  assert_int_equal(proto_errcode_retryable(PROTO_E_INTERNAL), 1);
  assert_int_equal(proto_errcode_retryable(PROTO_E_UNAUTHORIZED), 0);
  assert_int_equal(proto_errcode_sync_err(PROTO_E_DEVICE_REVOKED), SYNC_ERR_REVOKED);
  assert_int_equal(proto_errcode_sync_err(PROTO_E_CREDENTIAL_EXPIRED), SYNC_ERR_AUTH);
  assert_int_equal(proto_errcode_http_status(PROTO_E_CREDENTIAL_EXPIRED), 403);
  assert_int_equal(proto_errcode_sync_err(PROTO_E_INVALID_ENROLLMENT_CODE), SYNC_ERR_AUTH);
  assert_int_equal(proto_errcode_http_status(PROTO_E_INVALID_ENROLLMENT_CODE), 401);
  assert_int_equal(proto_errcode_parse("credential_expired"), PROTO_E_CREDENTIAL_EXPIRED);
  assert_int_equal(proto_errcode_parse("invalid_enrollment_code"), PROTO_E_INVALID_ENROLLMENT_CODE);
  assert_int_equal(proto_errcode_sync_err(PROTO_E_UNKNOWN_FORM), SYNC_ERR_NOT_FOUND);
  assert_int_equal(proto_errcode_sync_err(PROTO_E_UNKNOWN), SYNC_ERR_SERVER);
  assert_string_equal(proto_errcode_message(PROTO_E_SERVER_BUSY, "id"),
                      "Server sedang sibuk. Coba lagi nanti.");
  assert_string_equal(proto_errcode_message(PROTO_E_SERVER_BUSY, "en"),
                      "The server is busy. Try again later.");
  for (int c = PROTO_E_BAD_REQUEST; c < PROTO_E_UNKNOWN; c++)
    assert_int_equal(proto_errcode_parse(proto_errcode_text((proto_errcode_t)c)), c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_golden_file_decodes_and_round_trips),
    cmocka_unit_test(test_push_request_golden_round_trips_through_the_writer),
    cmocka_unit_test(test_push_request_golden_decodes_to_the_expected_fields),
    cmocka_unit_test(test_push_response_golden_round_trips),
    cmocka_unit_test(test_pull_golden_embeds_the_form_golden),
    cmocka_unit_test(test_error_goldens_decode_to_the_table),
    cmocka_unit_test(test_health_whoami_and_forms_goldens_decode),
    cmocka_unit_test(test_lz4_round_trips_random_and_realistic_data),
    cmocka_unit_test(test_truncated_frame_is_refused_at_every_length),
    cmocka_unit_test(test_corrupt_frame_is_refused),
    cmocka_unit_test(test_trailing_bytes_second_and_skippable_frames_are_refused),
    cmocka_unit_test(test_frame_claiming_a_huge_content_size_is_refused_early),
    cmocka_unit_test(test_decompression_bomb_over_max_out_is_refused),
    cmocka_unit_test(test_malformed_json_is_refused_with_its_position),
    cmocka_unit_test(test_nesting_depth_is_limited_to_64),
    cmocka_unit_test(test_wrong_types_and_patterns_name_the_field_path),
    cmocka_unit_test(test_duplicate_keys_are_refused),
    cmocka_unit_test(test_another_protocol_version_is_unsupported_protocol),
    cmocka_unit_test(test_push_request_batch_rules_are_checked),
    cmocka_unit_test(test_oversized_bodies_and_payloads_are_too_large),
    cmocka_unit_test(test_push_response_outcome_rules_are_checked),
    cmocka_unit_test(test_pull_items_must_be_in_seq_order_and_of_known_kind),
    cmocka_unit_test(test_payloads_come_out_compact_whatever_their_spelling),
    cmocka_unit_test(test_unknown_error_codes_decode_as_unknown),
    cmocka_unit_test(test_push_writer_respects_its_byte_budget),
    cmocka_unit_test(test_push_writer_refuses_an_unsendable_change),
    cmocka_unit_test(test_encoders_refuse_what_decoders_would_refuse),
    cmocka_unit_test(test_pull_writer_keeps_its_page_budget_and_order),
    cmocka_unit_test(test_validators_follow_the_schema_patterns),
    cmocka_unit_test(test_auth_header_round_trips_and_refuses_other_forms),
    cmocka_unit_test(test_pull_params_are_checked),
    cmocka_unit_test(test_error_table_maps_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
