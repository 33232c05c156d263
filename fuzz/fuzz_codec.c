/* libFuzzer target for the wire codec (libsync/src/codec.h). The first byte picks the path:
 *   LZ4 magic 04 22 4D 18  -> codec_lz4_decompress with a 1 MiB cap, then every decoder on the
 *                             output;
 *   '{', '[' or whitespace -> every decoder on the input;
 *   anything else          -> (byte % 4) on the rest: 0 the Authorization header, pull query
 *                             and enrollment code parsers, 1 an LZ4 compress/decompress round
 *                             trip, 2 the push writer with the rest as a payload and as a sealed
 *                             text, 3 LZ4 decompression with a 4 KiB cap.
 * Whatever a decoder accepts must re-encode, decode again and re-encode to the same bytes (the
 * server can always send back what it accepted, and encoding is a fixed point). And the strict
 * scanner differs from cJSON only by refusing more: what it accepts cJSON parses, its compact
 * form parses to the same value, and cJSON's own output passes it.
 * Seeds: fuzz/corpus/codec/ (the golden messages, LZ4 frames of some of them, and
 * push-response-all-rejected.json: a response with nothing to sign, hence no signature). */
#include <cJSON.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      abort();                                                                                     \
  } while (0)

/* Decode, and when accepted: encode, decode the encoding, encode again, compare. */
#define ROUNDTRIP(type, dec, enc, fr, fix)                                                         \
  do {                                                                                             \
    type *m = NULL, *m2 = NULL;                                                                    \
    proto_diag_t diag;                                                                             \
    char *j1 = NULL, *j2 = NULL;                                                                   \
    size_t l1 = 0, l2 = 0;                                                                         \
    sync_err_t rc = dec(text, len, &m, &diag);                                                     \
    if (rc != SYNC_OK) {                                                                           \
      CHECK(m == NULL && diag.msg[0] != '\0' && diag.code != PROTO_E_NONE);                        \
      break;                                                                                       \
    }                                                                                              \
    fix(m);                                                                                        \
    CHECK(enc(m, &j1, &l1) == SYNC_OK && strlen(j1) == l1);                                        \
    CHECK(dec(j1, l1, &m2, &diag) == SYNC_OK);                                                     \
    CHECK(enc(m2, &j2, &l2) == SYNC_OK && l1 == l2 && memcmp(j1, j2, l1) == 0);                    \
    free(j1);                                                                                      \
    free(j2);                                                                                      \
    fr(m);                                                                                         \
    fr(m2);                                                                                        \
  } while (0)

#define NO_FIX(m) (void)(m)

/* A server re-hashes definitions it embeds; do the same so the pull encoder accepts them. */
static void fix_pull(proto_pull_resp_t *r)
{
  for (size_t i = 0; i < r->n_items; i++)
    if (r->items[i].kind == PROTO_ITEM_FORM) {
      unsigned char h[crypto_hash_sha256_BYTES];
      const char *d = r->items[i].form.definition;
      crypto_hash_sha256(h, (const unsigned char *)d, strlen(d));
      sodium_bin2hex(r->items[i].form.sha256, sizeof r->items[i].form.sha256, h, sizeof h);
    }
}

static void scanner_vs_cjson(const char *text, size_t len)
{
  json_scan_t res;
  char *compact = malloc(len + 1);
  if (json_scan(text, len, PROTO_MAX_JSON_DEPTH, compact, &res) == 0) {
    cJSON *a = cJSON_ParseWithLength(text, len), *b = cJSON_ParseWithLength(compact, res.out_len);
    CHECK(a && b);
    /* Printed rather than cJSON_Compare'd: that one is wrong for repeated keys. */
    char *pa = cJSON_PrintUnformatted(a), *pb = cJSON_PrintUnformatted(b);
    CHECK(pa && pb && strcmp(pa, pb) == 0);
    CHECK(json_scan(pa, strlen(pa), PROTO_MAX_JSON_DEPTH, NULL, &res) == 0);
    free(pa);
    free(pb);
    cJSON_Delete(a);
    cJSON_Delete(b);
  }
  free(compact);
}

static void all_decoders(const char *text, size_t len)
{
  scanner_vs_cjson(text, len);
  ROUNDTRIP(proto_push_req_t, proto_push_req_decode, proto_push_req_encode, proto_push_req_free,
            NO_FIX);
  ROUNDTRIP(proto_push_resp_t, proto_push_resp_decode, proto_push_resp_encode,
            proto_push_resp_free, NO_FIX);
  ROUNDTRIP(proto_pull_resp_t, proto_pull_resp_decode, proto_pull_resp_encode,
            proto_pull_resp_free, fix_pull);
  ROUNDTRIP(proto_error_t, proto_error_decode, proto_error_encode, proto_error_free, NO_FIX);
  ROUNDTRIP(proto_health_t, proto_health_decode, proto_health_encode, proto_health_free, NO_FIX);
  ROUNDTRIP(proto_whoami_t, proto_whoami_decode, proto_whoami_encode, proto_whoami_free, NO_FIX);
  ROUNDTRIP(proto_forms_list_t, proto_forms_list_decode, proto_forms_list_encode,
            proto_forms_list_free, NO_FIX);
  ROUNDTRIP(proto_enroll_req_t, proto_enroll_req_decode, proto_enroll_req_encode,
            proto_enroll_req_free, NO_FIX);
  ROUNDTRIP(proto_enroll_resp_t, proto_enroll_resp_decode, proto_enroll_resp_encode,
            proto_enroll_resp_free, NO_FIX);
}

/* A normalised code is 12 characters of Crockford's alphabet and normalises to itself. */
static void enroll_code(const char *s)
{
  char out[13], again[13];
  if (proto_enroll_code_normalise(s, out) != SYNC_OK) {
    CHECK(out[0] == '\0');
    return;
  }
  CHECK(strlen(out) == 12 && strpbrk(out, "ILOU") == NULL);
  for (size_t i = 0; i < 12; i++)
    CHECK((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'A' && out[i] <= 'Z'));
  CHECK(proto_enroll_code_normalise(out, again) == SYNC_OK && strcmp(out, again) == 0);
}

static void headers(const uint8_t *d, size_t n)
{
  char *s = malloc(n + 1), id[PROTO_UUID_LEN + 1], secret[PROTO_SECRET_LEN + 1];
  char cursor[PROTO_CURSOR_MAX + 1], buf[128];
  int limit;
  proto_diag_t diag;
  memcpy(s, d, n);
  s[n] = '\0';
  enroll_code(s);
  if (proto_auth_parse(s, id, secret) == SYNC_OK) {
    CHECK(proto_auth_format(id, secret, buf, sizeof buf) == SYNC_OK);
    CHECK(strncmp(buf + 6, s + 6, strlen(buf) - 6) == 0);
  }
  char *amp = strchr(s, '&');
  if (amp)
    *amp = '\0';
  if (proto_pull_params_parse(s, amp ? amp + 1 : NULL, cursor, &limit, &diag) == SYNC_OK)
    CHECK(strcmp(cursor, s) == 0 && limit >= 1 && limit <= PROTO_PULL_MAX_LIMIT);
  free(s);
}

static void lz4_roundtrip(const uint8_t *d, size_t n)
{
  char *frame = NULL, *back = NULL;
  size_t flen = 0, blen = 0;
  int level = n > 0 ? d[0] % 13 : 0;
  CHECK(codec_lz4_compress(d, n, level, &frame, &flen) == SYNC_OK);
  CHECK(codec_lz4_decompress(frame, flen, n, &back, &blen, NULL, 0) == SYNC_OK);
  CHECK(blen == n && memcmp(back, d, n) == 0 && back[n] == '\0');
  free(back);
  if (n > 0)
    CHECK(codec_lz4_decompress(frame, flen, n - 1, &back, &blen, NULL, 0) == SYNC_ERR_TOO_LARGE);
  free(frame);
}

/* The same change with `text` as its sealed text: the writer accepts exactly what
 * proto_change_check accepts, and the decoder gives the text back unchanged. */
static void sealed_change(proto_change_t *c, char *text)
{
  proto_push_writer_t *w = NULL;
  char *json = NULL;
  size_t len = 0;
  c->payload = "{}";
  c->sealed = text;
  CHECK(proto_push_writer_new("6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30",
                              "c1e8f3a2-5b7d-4a6c-9e1b-3d8f2a7c4e05", &w) == SYNC_OK);
  sync_err_t rc = proto_push_writer_add(w, c, 0, NULL, 0);
  CHECK((rc == SYNC_OK) == (proto_change_check(c, NULL, 0) == SYNC_OK));
  if (rc == SYNC_OK) {
    proto_push_req_t *req = NULL;
    CHECK(proto_push_writer_finish(w, &json, &len) == SYNC_OK);
    CHECK(proto_push_req_decode(json, len, &req, NULL) == SYNC_OK);
    CHECK(text[0] ? strcmp(req->changes[0].sealed, text) == 0 : req->changes[0].sealed == NULL);
    proto_push_req_free(req);
    free(json);
  }
  proto_push_writer_free(w);
}

static void writer(const uint8_t *d, size_t n)
{
  proto_push_writer_t *w = NULL;
  proto_change_t c;
  char err[256], *payload = malloc(n + 1), *json = NULL;
  size_t len = 0;
  memcpy(payload, d, n);
  payload[n] = '\0';
  memset(&c, 0, sizeof c);
  memcpy(c.uuid, "3f6b9c1e-2d4a-4b8f-9e7c-1a5d3c8b2f90", PROTO_UUID_LEN + 1);
  c.revision = 2;
  c.base_revision = 1;
  memcpy(c.base_hlc, "001732512345678-00000-6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30", PROTO_HLC_LEN + 1);
  c.op = PROTO_OP_UPSERT;
  memcpy(c.form_id, "tppo_screening", 15);
  c.form_version = 1;
  memcpy(c.hlc, "001732512345679-00000-6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30", PROTO_HLC_LEN + 1);
  c.payload = payload;
  c.origin = PROTO_ORIGIN_DEVICE;
  CHECK(proto_push_writer_new("6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30",
                              "c1e8f3a2-5b7d-4a6c-9e1b-3d8f2a7c4e05", &w) == SYNC_OK);
  sync_err_t rc = proto_push_writer_add(w, &c, 1, err, sizeof err);
  CHECK(rc == SYNC_OK || rc == SYNC_ERR_INVALID_ARG);
  CHECK((rc == SYNC_OK) == (proto_change_check(&c, NULL, 0) == SYNC_OK));
  if (rc == SYNC_OK) {
    c.revision = 3; /* a second change never fits a budget of 1 byte */
    CHECK(proto_push_writer_add(w, &c, 1, err, sizeof err) == SYNC_ERR_TOO_LARGE);
    size_t size = proto_push_writer_size(w);
    CHECK(proto_push_writer_finish(w, &json, &len) == SYNC_OK && len == size);
    proto_push_req_t *req = NULL;
    CHECK(proto_push_req_decode(json, len, &req, NULL) == SYNC_OK && req->n_changes == 1);
    CHECK(strlen(req->changes[0].payload) <= n);
    proto_push_req_free(req);
    free(json);
  }
  proto_push_writer_free(w);
  sealed_change(&c, payload);
  free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  if (codec_lz4_is_frame(data, size)) {
    char *out = NULL;
    size_t olen = 0;
    char err[256];
    sync_err_t rc = codec_lz4_decompress(data, size, 1u << 20, &out, &olen, err, sizeof err);
    CHECK(rc == SYNC_OK || rc == SYNC_ERR_PROTOCOL || rc == SYNC_ERR_TOO_LARGE);
    CHECK((rc == SYNC_OK) == (out != NULL));
    if (rc == SYNC_OK) {
      CHECK(olen <= (1u << 20) && out[olen] == '\0');
      all_decoders(out, olen);
      free(out);
    }
    return 0;
  }
  uint8_t first = data[0];
  if (first == '{' || first == '[' || first == ' ' || first == '\n' || first == '\t' ||
      first == '\r') {
    /* Through an exact-size copy, so reading one byte too far is caught. */
    char *text = malloc(size);
    memcpy(text, data, size);
    all_decoders(text, size);
    free(text);
    return 0;
  }
  switch (first % 4) {
  case 0: headers(data + 1, size - 1); break;
  case 1: lz4_roundtrip(data + 1, size - 1); break;
  case 2: writer(data + 1, size - 1); break;
  default: {
    char *out = NULL;
    size_t olen;
    sync_err_t rc = codec_lz4_decompress(data + 1, size - 1, 4096, &out, &olen, NULL, 0);
    CHECK(rc == SYNC_OK || rc == SYNC_ERR_PROTOCOL || rc == SYNC_ERR_TOO_LARGE);
    free(out);
  }
  }
  return 0;
}
