/* The v2 sealed envelope (seal_v2.h, proto/SECURITY.md 4): the golden vectors of
 * proto/golden/envelope/sealed-v2.json byte for byte, the record bound as associated data, the
 * choice of compression, decompression bombs and malformed frames refused, and v1 texts that
 * happen to start like v2 still opening.
 *
 * SYNC_GOLDEN_WRITE=1 rewrites the golden file from the fixed keys and answers below (then review
 * the diff: the vectors are a format promise). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zstd.h>

#include "seal_open.h"
#include "seal_v2.h"
#include "sync/record.h"
#include "sync/seal.h"
#include "test_support.h"

#define GOLDEN "proto/golden/envelope/sealed-v2.json"

static const char ANSWERS[] =
  "{\"interview_date\":\"2026-10-14\",\"province\":\"35\",\"regency_code\":\"35.02\","
  "\"consent\":\"yes\",\"full_name\":\"Siti Aminah\",\"dob\":\"1998-03-14\",\"sex\":\"female\","
  "\"amp_recruited_by\":\"agent\",\"amp_promise\":[\"job_abroad\",\"high_pay\"],"
  "\"ilo_debt\":true,\"ilo_documents_withheld\":true,\"destination_country\":\"MY\","
  "\"story\":\"Dijanjikan kerja di pabrik, dipekerjakan di kebun tanpa upah.\"}";
static const seal_ident_t IDENT = { "0190a0b2-7c4e-7d21-9f3a-5b1c2d3e4f60", "tppo_screening", 2 };

typedef struct keys {
  unsigned char pk[32], sk[32], eph_seed[32];
  char sk_b64[SYNC_SEAL_KEY_B64_LEN + 1];
} keys_t;

static void golden_keys(keys_t *k)
{
  unsigned char seed[32];
  crypto_hash_sha256(seed, (const unsigned char *)"libsync golden central key", 26);
  assert_int_equal(crypto_box_seed_keypair(k->pk, k->sk, seed), 0);
  crypto_hash_sha256(k->eph_seed, (const unsigned char *)"libsync golden ephemeral key v2", 31);
  sodium_bin2base64(k->sk_b64, sizeof k->sk_b64, k->sk, 32, sodium_base64_VARIANT_ORIGINAL);
}

/* A small dictionary trained on 300 answer sets made by a fixed recipe (no real person). */
static seal_dict_t *golden_dict(unsigned char **bytes, size_t *len)
{
  enum { N = 300 };
  static const char *const names[] = { "Dewi", "Rina", "Ayu", "Budi", "Sri", "Nur", "Wati" };
  static const char *const sexes[] = { "female", "male" };
  char *texts[N];
  size_t lens[N];
  for (int i = 0; i < N; i++) {
    char buf[600];
    int n = snprintf(buf, sizeof buf,
                     "{\"interview_date\":\"2026-%02d-%02d\",\"province\":\"%d\",\"regency_code\":"
                     "\"%d.%02d\",\"consent\":\"%s\",\"full_name\":\"%s %s\",\"dob\":\"19%02d-%02d-"
                     "%02d\",\"sex\":\"%s\",\"amp_recruited_by\":\"%s\",\"ilo_debt\":%s,"
                     "\"destination_country\":\"%s\",\"story\":\"Dijanjikan kerja %d.\"}",
                     1 + i % 12, 1 + i % 28, 11 + i % 80, 11 + i % 80, i % 40,
                     i % 10 ? "yes" : "no", names[i % 7], names[(i / 7) % 7], 60 + i % 40,
                     1 + i % 12, 1 + i % 28, sexes[i % 2], i % 3 ? "agent" : "family",
                     i % 4 ? "true" : "false", i % 5 ? "MY" : "SA", i);
    texts[i] = strdup(buf);
    lens[i] = (size_t)n;
  }
  assert_int_equal(seal_dict_train((const char *const *)texts, lens, N, 2048, bytes, len),
                   SYNC_OK);
  for (int i = 0; i < N; i++)
    free(texts[i]);
  seal_dict_t *d = NULL;
  assert_int_equal(seal_dict_new(*bytes, *len, &d), SYNC_OK);
  return d;
}

static char *hex(const unsigned char *p, size_t n)
{
  char *s = malloc(n * 2 + 1);
  sodium_bin2hex(s, n * 2 + 1, p, n);
  return s;
}

static char *b64(const unsigned char *p, size_t n)
{
  size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
  char *s = malloc(cap);
  sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
  return s;
}

static unsigned char *unhex(const char *s, size_t *n)
{
  unsigned char *p = malloc(strlen(s) / 2 + 1);
  assert_int_equal(sodium_hex2bin(p, strlen(s) / 2 + 1, s, strlen(s), NULL, n, NULL), 0);
  return p;
}

static unsigned char *unb64(const char *s, size_t *n)
{
  unsigned char *p = malloc(strlen(s) + 1);
  assert_int_equal(sodium_base642bin(p, strlen(s) + 1, s, strlen(s), NULL, n, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  return p;
}

/* The zstd frame seal_v2_seal makes (magic-less) for `answers`, read back from a sealed text: the
 * plaintext of the vector. Opened with the golden key by a second path (the AEAD alone). */
static unsigned char *plaintext_of(const keys_t *k, const unsigned char *sealed, size_t n,
                                   size_t *plen, unsigned char ad_out[512], size_t *adlen,
                                   unsigned char key_out[32])
{
  unsigned char shared[32];
  assert_int_equal(crypto_scalarmult(shared, k->sk, sealed + 6), 0);
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  crypto_generichash_update(&st, shared, 32);
  crypto_generichash_update(&st, sealed + 6, 32);
  crypto_generichash_update(&st, k->pk, 32);
  crypto_generichash_final(&st, key_out, 32);
  size_t ul = strlen(IDENT.uuid), fl = strlen(IDENT.form_id), a = 0;
  memcpy(ad_out, "libsync-seal-v2\n", 16);
  a = 16;
  memcpy(ad_out + a, sealed, 6);
  a += 6;
  ad_out[a++] = (unsigned char)ul;
  ad_out[a++] = 0;
  memcpy(ad_out + a, IDENT.uuid, ul);
  a += ul;
  ad_out[a++] = (unsigned char)fl;
  ad_out[a++] = 0;
  memcpy(ad_out + a, IDENT.form_id, fl);
  a += fl;
  ad_out[a++] = (unsigned char)IDENT.form_version;
  ad_out[a++] = 0;
  ad_out[a++] = 0;
  ad_out[a++] = 0;
  *adlen = a;
  unsigned char nonce[24] = { 0 };
  unsigned char *p = malloc(n);
  unsigned long long got = 0;
  assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(p, &got, NULL, sealed + 38, n - 38,
                                                              ad_out, a, nonce, key_out), 0);
  *plen = (size_t)got;
  return p;
}

/* Writes the golden file (SYNC_GOLDEN_WRITE=1). */
static void write_golden(void)
{
  keys_t k;
  golden_keys(&k);
  unsigned char *dbytes = NULL;
  size_t dlen = 0;
  seal_dict_t *d = golden_dict(&dbytes, &dlen);
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "description",
                          "Sealed envelope v2 (proto/SECURITY.md 4). recipient: "
                          "crypto_box_seed_keypair(SHA-256('libsync golden central key')); "
                          "ephemeral: crypto_box_seed_keypair(ephemeral_seed). Checked by "
                          "tests/unit/test_seal_v2.c and proto/check_golden.py.");
  char *s;
  cJSON_AddStringToObject(doc, "recipient_public_key", s = b64(k.pk, 32)); free(s);
  cJSON_AddStringToObject(doc, "recipient_secret_key", s = b64(k.sk, 32)); free(s);
  cJSON_AddStringToObject(doc, "ephemeral_seed", s = hex(k.eph_seed, 32)); free(s);
  cJSON_AddStringToObject(doc, "uuid", IDENT.uuid);
  cJSON_AddStringToObject(doc, "form_id", IDENT.form_id);
  cJSON_AddNumberToObject(doc, "form_version", IDENT.form_version);
  cJSON_AddStringToObject(doc, "answers", ANSWERS);
  cJSON_AddStringToObject(doc, "dictionary", s = b64(dbytes, dlen)); free(s);
  cJSON_AddNumberToObject(doc, "dictionary_id", seal_dict_id(d));
  cJSON *vectors = cJSON_AddArrayToObject(doc, "vectors");
  static const char *const names[] = { "zstd with the dictionary", "zstd without a dictionary" };
  for (int i = 0; i < 2; i++) {
    unsigned char *out = NULL, ad[512], key[32];
    size_t n = 0, plen = 0, adlen = 0;
    assert_int_equal(seal_v2_seal(k.pk, &IDENT, i == 0 ? d : NULL, k.eph_seed, ANSWERS,
                                  strlen(ANSWERS), &out, &n), SYNC_OK);
    assert_int_equal(out[1], SEAL_COMP_ZSTD);
    unsigned char *p = plaintext_of(&k, out, n, &plen, ad, &adlen, key);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "name", names[i]);
    cJSON_AddStringToObject(v, "header", s = hex(out, 6)); free(s);
    cJSON_AddStringToObject(v, "ephemeral_public_key", s = b64(out + 6, 32)); free(s);
    cJSON_AddStringToObject(v, "associated_data", s = hex(ad, adlen)); free(s);
    cJSON_AddStringToObject(v, "key", s = hex(key, 32)); free(s);
    cJSON_AddStringToObject(v, "plaintext", s = hex(p, plen)); free(s);
    cJSON_AddStringToObject(v, "sealed", s = b64(out, n)); free(s);
    cJSON_AddItemToArray(vectors, v);
    free(p);
    free(out);
  }
  /* stored: the answers as they are, sealed by the box step alone */
  unsigned char *out = NULL, ad[512], key[32];
  size_t n = 0, plen = 0, adlen = 0;
  assert_int_equal(seal_v2_box(k.pk, &IDENT, SEAL_COMP_NONE, 0, k.eph_seed,
                               (const unsigned char *)ANSWERS, strlen(ANSWERS), &out, &n), SYNC_OK);
  unsigned char *p = plaintext_of(&k, out, n, &plen, ad, &adlen, key);
  cJSON *v = cJSON_CreateObject();
  cJSON_AddStringToObject(v, "name", "stored (no compression)");
  cJSON_AddStringToObject(v, "header", s = hex(out, 6)); free(s);
  cJSON_AddStringToObject(v, "ephemeral_public_key", s = b64(out + 6, 32)); free(s);
  cJSON_AddStringToObject(v, "associated_data", s = hex(ad, adlen)); free(s);
  cJSON_AddStringToObject(v, "key", s = hex(key, 32)); free(s);
  cJSON_AddStringToObject(v, "plaintext", s = hex(p, plen)); free(s);
  cJSON_AddStringToObject(v, "sealed", s = b64(out, n)); free(s);
  cJSON_AddItemToArray(vectors, v);
  free(p);
  free(out);
  char *text = cJSON_Print(doc);
  char *path = ts_path(SYNC_SOURCE_DIR, GOLDEN);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fputc('\n', f);
  fclose(f);
  free(path);
  free(text);
  cJSON_Delete(doc);
  seal_dict_free(d);
  free(dbytes);
}

/* Every vector: the box step reproduces the bytes from the plaintext, and the opener gives the
 * answers back exactly. */
static void test_golden_vectors_seal_and_open_byte_for_byte(void **state)
{
  (void)state;
  size_t len = 0;
  char *text = ts_golden("envelope/sealed-v2.json", &len);
  cJSON *doc = cJSON_Parse(text);
  assert_non_null(doc);
  keys_t k;
  golden_keys(&k);
  char *pk = b64(k.pk, 32);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "recipient_public_key")), pk);
  free(pk);
  const char *answers = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "answers"));
  assert_string_equal(answers, ANSWERS);
  seal_ident_t id = { cJSON_GetStringValue(cJSON_GetObjectItem(doc, "uuid")),
                      cJSON_GetStringValue(cJSON_GetObjectItem(doc, "form_id")),
                      (int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "form_version")) };
  seal_dict_t *d = NULL;
  assert_int_equal(seal_dict_from_b64(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "dictionary")),
                                      &d), SYNC_OK);
  assert_int_equal(seal_dict_id(d),
                   (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "dictionary_id")));
  int n_vectors = 0;
  for (const cJSON *v = cJSON_GetObjectItem(doc, "vectors")->child; v; v = v->next, n_vectors++) {
    size_t hlen = 0, plen = 0, slen = 0;
    unsigned char *header = unhex(cJSON_GetStringValue(cJSON_GetObjectItem(v, "header")), &hlen);
    unsigned char *plain = unhex(cJSON_GetStringValue(cJSON_GetObjectItem(v, "plaintext")), &plen);
    unsigned char *sealed = unb64(cJSON_GetStringValue(cJSON_GetObjectItem(v, "sealed")), &slen);
    assert_int_equal(hlen, SEAL_V2_HEADER);
    uint32_t dict_id = (uint32_t)header[2] | (uint32_t)header[3] << 8 |
                       (uint32_t)header[4] << 16 | (uint32_t)header[5] << 24;
    unsigned char *again = NULL;
    size_t alen = 0;
    assert_int_equal(seal_v2_box(k.pk, &id, header[1], dict_id, k.eph_seed, plain, plen, &again,
                                 &alen), SYNC_OK);
    assert_int_equal(alen, slen);
    assert_memory_equal(again, sealed, slen);
    char *opened = NULL;
    size_t olen = 0;
    assert_int_equal(seal_v2_open(k.sk, k.pk, &id, d, sealed, slen, &opened, &olen), SYNC_OK);
    assert_string_equal(opened, ANSWERS);
    assert_int_equal(olen, strlen(ANSWERS));
    free(opened);
    free(again);
    free(header);
    free(plain);
    free(sealed);
  }
  assert_int_equal(n_vectors, 3);
  seal_dict_free(d);
  cJSON_Delete(doc);
  free(text);
}

/* Any change of uuid, form id or version (bound as associated data) and the text does not open. */
static void test_the_record_is_bound_as_associated_data(void **state)
{
  (void)state;
  keys_t k;
  golden_keys(&k);
  unsigned char *out = NULL;
  size_t n = 0;
  assert_int_equal(seal_v2_seal(k.pk, &IDENT, NULL, NULL, ANSWERS, strlen(ANSWERS), &out, &n),
                   SYNC_OK);
  const seal_ident_t others[] = {
    { "0190a0b2-7c4e-7d21-9f3a-5b1c2d3e4f61", IDENT.form_id, IDENT.form_version },
    { IDENT.uuid, "tppo_screeninG", IDENT.form_version },
    { IDENT.uuid, IDENT.form_id, IDENT.form_version + 1 },
    { IDENT.uuid, "", IDENT.form_version },
  };
  char *opened = NULL;
  size_t olen = 0;
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    assert_int_equal(seal_v2_open(k.sk, k.pk, &others[i], NULL, out, n, &opened, &olen),
                     SYNC_ERR_CRYPTO);
    assert_null(opened);
  }
  assert_int_equal(seal_v2_open(k.sk, k.pk, &IDENT, NULL, out, n, &opened, &olen), SYNC_OK);
  free(opened);
  /* the header is bound too: claiming "stored" for a compressed text fails */
  out[1] = SEAL_COMP_NONE;
  assert_int_equal(seal_v2_open(k.sk, k.pk, &IDENT, NULL, out, n, &opened, &olen),
                   SYNC_ERR_CRYPTO);
  free(out);
}

static void test_compression_is_used_only_when_it_pays(void **state)
{
  (void)state;
  keys_t k;
  golden_keys(&k);
  unsigned char *out = NULL;
  size_t n = 0;
  assert_int_equal(seal_v2_seal(k.pk, &IDENT, NULL, NULL, "{}", 2, &out, &n), SYNC_OK);
  assert_int_equal(out[1], SEAL_COMP_NONE);
  assert_int_equal(n, SEAL_V2_OVERHEAD + 2);
  free(out);
  assert_int_equal(seal_v2_seal(k.pk, &IDENT, NULL, NULL, ANSWERS, strlen(ANSWERS), &out, &n),
                   SYNC_OK);
  assert_int_equal(out[1], SEAL_COMP_ZSTD);
  assert_true(n < SEAL_V2_OVERHEAD + strlen(ANSWERS));
  free(out);
}

/* A zstd frame of `src` (magic stripped, no content size) with the given window log; streamed,
 * so zstd does not shrink the window to the input. Caller frees. */
static unsigned char *frame_of(const void *src, size_t len, int window_log, size_t *n)
{
  size_t cap = ZSTD_compressBound(len);
  unsigned char *buf = malloc(cap);
  ZSTD_CCtx *cc = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
  ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, window_log);
  ZSTD_outBuffer out = { buf, cap, 0 };
  ZSTD_inBuffer in = { src, len, 0 };
  assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &out, &in, ZSTD_e_continue)));
  ZSTD_inBuffer none = { NULL, 0, 0 };
  size_t left;
  do {
    left = ZSTD_compressStream2(cc, &out, &none, ZSTD_e_end);
    assert_false(ZSTD_isError(left));
  } while (left);
  size_t got = out.pos;
  ZSTD_freeCCtx(cc);
  memmove(buf, buf + 4, got - 4);
  *n = got - 4;
  return buf;
}

/* Seals `plain` as a zstd plaintext and opens it: the opener's verdict. */
static sync_err_t open_crafted(const keys_t *k, const unsigned char *plain, size_t plen,
                               uint32_t dict_id, const seal_dict_t *d)
{
  unsigned char *sealed = NULL;
  size_t n = 0;
  assert_int_equal(seal_v2_box(k->pk, &IDENT, SEAL_COMP_ZSTD, dict_id, NULL, plain, plen, &sealed,
                               &n), SYNC_OK);
  char *out = (char *)1;
  size_t olen = 0;
  sync_err_t rc = seal_v2_open(k->sk, k->pk, &IDENT, d, sealed, n, &out, &olen);
  if (rc != SYNC_OK)
    assert_null(out);
  free(out == (char *)1 ? NULL : out);
  free(sealed);
  return rc;
}

/* Decompression bombs and broken frames, authentic (sealed to the key) but hostile. */
static void test_the_opener_bounds_decompression(void **state)
{
  (void)state;
  keys_t k;
  golden_keys(&k);
  size_t big = 64u * SYNC_MAX_PAYLOAD;   /* 64 MiB of zeros: a few KiB compressed */
  unsigned char *zeros = calloc(1, big);
  size_t n = 0;
  unsigned char *bomb = frame_of(zeros, big, 20, &n);   /* in a window the opener accepts */
  assert_true(n < 8192);
  assert_int_equal(open_crafted(&k, bomb, n, 0, NULL), SYNC_ERR_TOO_LARGE);
  free(bomb);
  bomb = frame_of(zeros, big, 21, &n);   /* a window of 2 MiB: wider than the opener allows */
  assert_int_equal(open_crafted(&k, bomb, n, 0, NULL), SYNC_ERR_CORRUPT);
  free(bomb);
  /* exactly the payload limit opens, one byte more does not */
  memset(zeros, ' ', SYNC_MAX_PAYLOAD + 1);
  unsigned char *limit = frame_of(zeros, SYNC_MAX_PAYLOAD, 20, &n);
  assert_int_equal(open_crafted(&k, limit, n, 0, NULL), SYNC_OK);
  free(limit);
  limit = frame_of(zeros, SYNC_MAX_PAYLOAD + 1, 20, &n);
  assert_int_equal(open_crafted(&k, limit, n, 0, NULL), SYNC_ERR_TOO_LARGE);
  free(limit);
  /* a window the opener will not allocate (128 MiB) */
  unsigned char *wide = frame_of(ANSWERS, strlen(ANSWERS), 27, &n);
  assert_int_equal(open_crafted(&k, wide, n, 0, NULL), SYNC_ERR_CORRUPT);
  free(wide);
  /* truncated, trailing bytes, two frames */
  unsigned char *ok = frame_of(ANSWERS, strlen(ANSWERS), 20, &n);
  assert_int_equal(open_crafted(&k, ok, n, 0, NULL), SYNC_OK);
  assert_int_equal(open_crafted(&k, ok, n - 1, 0, NULL), SYNC_ERR_CORRUPT);
  unsigned char *twice = malloc(2 * n + 4);
  memcpy(twice, ok, n);
  memcpy(twice + n, "\x28\xb5\x2f\xfd", 4);
  memcpy(twice + n + 4, ok, n);
  assert_int_equal(open_crafted(&k, twice, 2 * n + 4, 0, NULL), SYNC_ERR_CORRUPT);
  twice[n] = 'x';
  assert_int_equal(open_crafted(&k, twice, n + 1, 0, NULL), SYNC_ERR_CORRUPT);
  free(twice);
  /* not a frame at all */
  assert_int_equal(open_crafted(&k, (const unsigned char *)"{}", 2, 0, NULL), SYNC_ERR_CORRUPT);
  /* a dictionary the opener does not have */
  assert_int_equal(open_crafted(&k, ok, n, 12345, NULL), SYNC_ERR_STATE);
  free(ok);
  free(zeros);
}

/* What opens must be one JSON object: the record opener refuses anything else. */
static void test_opened_answers_must_be_one_json_object(void **state)
{
  (void)state;
  keys_t k;
  golden_keys(&k);
  sync_seal_opener_t *opener = NULL;
  assert_int_equal(sync_seal_opener_new(k.sk_b64, &opener), SYNC_OK);
  static const char *const bad[] = { "[1]", "{\"a\":1} x", "{\"a\":1", "nul\0l", "" };
  static const size_t lens[] = { 3, 9, 6, 5, 0 };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    unsigned char *sealed = NULL;
    size_t n = 0;
    assert_int_equal(seal_v2_box(k.pk, &IDENT, SEAL_COMP_NONE, 0, NULL,
                                 (const unsigned char *)bad[i], lens[i], &sealed, &n), SYNC_OK);
    char *text = b64(sealed, n);
    cJSON *out = NULL;
    assert_int_equal(seal_open_answers(opener, &IDENT, NULL, text, &out), SYNC_ERR_JSON);
    assert_null(out);
    free(text);
    free(sealed);
  }
  sync_seal_opener_free(opener);
}

/* A v1 text (crypto_box_seal of a JSON envelope) whose random first bytes read as a v2 header
 * still opens: the ephemeral key is drawn until it starts with 0x02 0x00 or 0x02 0x01. */
static void test_a_v1_text_that_looks_like_v2_still_opens(void **state)
{
  (void)state;
  keys_t k;
  golden_keys(&k);
  unsigned char eph_pk[32], eph_sk[32];
  do {
    crypto_box_keypair(eph_pk, eph_sk);
  } while (eph_pk[0] != SEAL_V2_VERSION || eph_pk[1] > SEAL_COMP_ZSTD);
  char env[1024];
  snprintf(env, sizeof env, "{\"uuid\":\"%s\",\"form_id\":\"%s\",\"form_version\":%d,"
           "\"revision\":1,\"hlc\":\"h\",\"payload\":%s}", IDENT.uuid, IDENT.form_id,
           IDENT.form_version, ANSWERS);
  /* crypto_box_seal with a chosen ephemeral key: eph_pk || box(m, nonce = H(eph_pk || pk)) */
  size_t mlen = strlen(env), n = crypto_box_SEALBYTES + mlen;
  unsigned char *c = malloc(n), nonce[crypto_box_NONCEBYTES];
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, sizeof nonce);
  crypto_generichash_update(&st, eph_pk, 32);
  crypto_generichash_update(&st, k.pk, 32);
  crypto_generichash_final(&st, nonce, sizeof nonce);
  memcpy(c, eph_pk, 32);
  assert_int_equal(crypto_box_easy(c + 32, (const unsigned char *)env, mlen, nonce, k.pk, eph_sk),
                   0);
  unsigned char check[1024];
  assert_int_equal(crypto_box_seal_open(check, c, n, k.pk, k.sk), 0);   /* a real v1 text */
  assert_true(seal_v2_looks(c, n));
  char *text = b64(c, n);
  sync_seal_opener_t *opener = NULL;
  assert_int_equal(sync_seal_opener_new(k.sk_b64, &opener), SYNC_OK);
  cJSON *out = NULL;
  assert_int_equal(seal_open_answers(opener, &IDENT, NULL, text, &out), SYNC_OK);
  char *printed = cJSON_PrintUnformatted(out);
  cJSON *want = cJSON_Parse(ANSWERS);
  char *want_text = cJSON_PrintUnformatted(want);
  assert_string_equal(printed, want_text);
  free(printed);
  free(want_text);
  cJSON_Delete(want);
  cJSON_Delete(out);
  char *envelope = NULL;   /* the v1 opener too */
  assert_int_equal(sync_seal_opener_open(opener, text, &envelope), SYNC_OK);
  assert_string_equal(envelope, env);
  free(envelope);
  /* ... and still only for its record */
  seal_ident_t other = { "0190a0b2-7c4e-7d21-9f3a-5b1c2d3e4f61", IDENT.form_id, IDENT.form_version };
  assert_int_equal(seal_open_answers(opener, &other, NULL, text, &out), SYNC_ERR_CRYPTO);
  sync_seal_opener_free(opener);
  free(text);
  free(c);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const char *w = getenv("SYNC_GOLDEN_WRITE");
  if (w && strcmp(w, "1") == 0) {
    write_golden();
    return 0;
  }
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_golden_vectors_seal_and_open_byte_for_byte),
    cmocka_unit_test(test_the_record_is_bound_as_associated_data),
    cmocka_unit_test(test_compression_is_used_only_when_it_pays),
    cmocka_unit_test(test_the_opener_bounds_decompression),
    cmocka_unit_test(test_opened_answers_must_be_one_json_object),
    cmocka_unit_test(test_a_v1_text_that_looks_like_v2_still_opens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
