/* Sealing benchmark (proto/SECURITY.md 4): bytes per record sealed and seal/open time per record,
 * for N reference-form records (default 1,000; sample generator seed 99, canonical payloads as a
 * device seals them at finalize):
 *   v1        crypto_box_seal of the JSON envelope {uuid, form_id, ..., payload} (before 2026-12)
 *   v2 plain  answers only, zstd without a dictionary
 *   v2 dict   answers only, zstd with a dictionary of 16, 32 and 64 KiB trained (as `syncserver
 *             form publish --seal-to` trains it: 2,000 generated answers, its fixed seed) on
 *             samples that are NOT the measured records
 * Each row: raw and base64 bytes per record, all N base64 texts compressed together with LZ4 HC
 * (what a push body's LZ4 then makes of them), the definition's growth, the time per record to
 * seal (form_seal: the device's path, its dictionary loaded once per process) and to open (the
 * export's path: the dictionary made once per form version). The measured records come from the same
 * generator as the training samples: real answers compress somewhat worse.
 *
 *   bench_seal [N]
 */
#include <lz4hc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "expr.h"
#include "form_def.h"
#include "form_seal.h"
#include "sample.h"
#include "seal_open.h"
#include "seal_v2.h"
#include "sync/seal.h"

#define MEASURED_SEED 99u
#define TRAIN_SEED    0x5ea1d1c7u   /* syncserver's ADMIN_DICT_SEED */
#define TRAIN_N       2000u

static const char *const CLEAR[] = {"interview_date", "province", "regency_code", "unit_type",
                                    "unit_type_other", "unit_name", "interpreter_used",
                                    "interpreter_language", "safe_to_talk", "consent"};

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
  fprintf(stderr, "bench_seal: %s\n", what);
  exit(1);
}

static char *read_all(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    die("cannot read the reference form");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  if (!text || fread(text, 1, (size_t)n, f) != (size_t)n)
    die("cannot read the reference form");
  text[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return text;
}

/* n canonical payloads of generated answers (seed). */
static char **samples(const char *def, size_t len, size_t n, uint64_t seed, size_t *lens)
{
  sync_err_t e;
  char err[256];
  form_t *f = form_parse(def, len, &e, err, sizeof err);
  sample_gen_t *g = f ? sample_gen_new(def, len, seed, err, sizeof err) : NULL;
  int32_t today;
  if (!g || expr_parse_date(SAMPLE_ANCHOR_DATE, &today) != 0)
    die("sample generator");
  char **out = calloc(n, sizeof *out);
  issue_list_t issues = {0};
  for (size_t i = 0; i < n; i++) {
    char *raw = sample_gen_next(g);
    if (!raw || form_validate(f, raw, strlen(raw), VALIDATE_FINAL, "en", today, &out[i],
                              &issues) != SYNC_OK)
      die("a sample does not validate");
    issue_list_clear(&issues);
    free(raw);
    lens[i] = strlen(out[i]);
  }
  sample_gen_free(g);
  form_free(f);
  return out;
}

/* The reference form sealed to `pub`, with `dict` (may be NULL) as its dictionary. */
static form_t *sealed_form(const char *def, const char *pub, const unsigned char *dict,
                           size_t dlen, size_t *def_len)
{
  cJSON *doc = cJSON_Parse(def);
  cJSON *enc = cJSON_AddObjectToObject(doc, "encryption");
  cJSON_AddStringToObject(enc, "public_key", pub);
  cJSON *clear = cJSON_AddArrayToObject(enc, "clear_fields");
  for (size_t i = 0; i < sizeof CLEAR / sizeof CLEAR[0]; i++)
    cJSON_AddItemToArray(clear, cJSON_CreateString(CLEAR[i]));
  if (dict) {
    size_t n = sodium_base64_ENCODED_LEN(dlen, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(n);
    sodium_bin2base64(b64, n, dict, dlen, sodium_base64_VARIANT_ORIGINAL);
    cJSON_AddStringToObject(enc, "dictionary", b64);
    seal_dict_t *d = NULL;
    if (seal_dict_new(dict, dlen, &d) != SYNC_OK)
      die("dictionary");
    cJSON_AddNumberToObject(enc, "dictionary_id", seal_dict_id(d));
    seal_dict_free(d);
    free(b64);
  }
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  sync_err_t e;
  char err[256];
  form_t *f = form_parse(text, strlen(text), &e, err, sizeof err);
  if (!f)
    die(err);
  *def_len = strlen(text);
  free(text);
  return f;
}

static size_t lz4hc_all(char **texts, size_t n)
{
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += strlen(texts[i]);
  char *all = malloc(total + 1), *p = all;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(texts[i]);
    memcpy(p, texts[i], l);
    p += l;
  }
  int cap = LZ4_compressBound((int)total);
  char *dst = malloc((size_t)cap);
  int got = LZ4_compress_HC(all, dst, (int)total, cap, LZ4HC_CLEVEL_MAX);
  free(all);
  free(dst);
  return (size_t)got;
}

static void row(const char *name, char **b64, size_t n, size_t raw_total, size_t def_growth,
                double seal_s, double open_s)
{
  size_t b64_total = 0;
  for (size_t i = 0; i < n; i++)
    b64_total += strlen(b64[i]);
  printf("%-22s %9.0f %9.0f %11zu %10zu %9.1f %9.1f\n", name, (double)raw_total / n,
         (double)b64_total / n, lz4hc_all(b64, n), def_growth, seal_s / n * 1e6, open_s / n * 1e6);
}

/* v1: crypto_box_seal of the envelope form_seal wrote before v2. */
static void bench_v1(char **answers, const size_t *lens, size_t n, const unsigned char pk[32],
                     const sync_seal_opener_t *opener)
{
  char **b64 = calloc(n, sizeof *b64);
  size_t raw_total = 0;
  double t0 = now_s();
  for (size_t i = 0; i < n; i++) {
    size_t cap = lens[i] + 256;
    char *env = malloc(cap);
    int m = snprintf(env, cap, "{\"uuid\":\"0190a0b2-7c4e-7d21-9f3a-%012zx\",\"form_id\":"
                     "\"tppo_screening\",\"form_version\":1,\"revision\":1,\"hlc\":"
                     "\"0000001764547200000:0000:6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30\","
                     "\"payload\":%s}", i, answers[i]);
    size_t clen = (size_t)m + crypto_box_SEALBYTES;
    unsigned char *c = malloc(clen);
    crypto_box_seal(c, (const unsigned char *)env, (size_t)m, pk);
    size_t bl = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
    b64[i] = malloc(bl);
    sodium_bin2base64(b64[i], bl, c, clen, sodium_base64_VARIANT_ORIGINAL);
    raw_total += clen;
    free(c);
    free(env);
  }
  double t1 = now_s();
  for (size_t i = 0; i < n; i++) {
    char *env = NULL;
    if (sync_seal_opener_open(opener, b64[i], &env) != SYNC_OK)
      die("v1 does not open");
    free(env);
  }
  double t2 = now_s();
  row("v1 (crypto_box_seal)", b64, n, raw_total, 0, t1 - t0, t2 - t1);
  for (size_t i = 0; i < n; i++)
    free(b64[i]);
  free(b64);
}

/* v2 through form_seal (the device) and seal_open_answers (the export), checked to round-trip. */
static void bench_v2(const char *name, const form_t *f, size_t def_growth, char **answers,
                     size_t n, const sync_seal_opener_t *opener)
{
  char **b64 = calloc(n, sizeof *b64);
  char uuid[64];
  size_t raw_total = 0;
  double t0 = now_s();
  for (size_t i = 0; i < n; i++) {
    snprintf(uuid, sizeof uuid, "0190a0b2-7c4e-7d21-9f3a-%012zx", i % 1000000000000u);
    if (form_seal(f, uuid, answers[i], strlen(answers[i]), &b64[i]) != SYNC_OK)
      die("form_seal");
  }
  double t1 = now_s();
  seal_dict_t *d = NULL;
  if (form_seal_dict(f, &d) != SYNC_OK)
    die("dictionary");
  double t2 = now_s();
  for (size_t i = 0; i < n; i++) {
    snprintf(uuid, sizeof uuid, "0190a0b2-7c4e-7d21-9f3a-%012zx", i % 1000000000000u);
    seal_ident_t id = { uuid, form_id(f), form_version(f) };
    cJSON *out = NULL;
    if (seal_open_answers(opener, &id, d, b64[i], &out) != SYNC_OK)
      die("v2 does not open");
    cJSON_Delete(out);
  }
  double t3 = now_s();
  for (size_t i = 0; i < n; i++)
    raw_total += strlen(b64[i]) / 4 * 3 - (b64[i][strlen(b64[i]) - 1] == '=') -
                 (b64[i][strlen(b64[i]) - 2] == '=');
  row(name, b64, n, raw_total, def_growth, t1 - t0, t3 - t2);
  seal_dict_free(d);
  for (size_t i = 0; i < n; i++)
    free(b64[i]);
  free(b64);
}

int main(int argc, char **argv)
{
  size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1000;
  if (!n || sodium_init() < 0)
    die("usage: bench_seal [N]");
  size_t def_len = 0;
  char *def = read_all(SYNC_SOURCE_DIR "/proto/forms/tppo_screening.v1.json", &def_len);
  size_t *lens = calloc(n, sizeof *lens), *tlens = calloc(TRAIN_N, sizeof *tlens);
  char **answers = samples(def, def_len, n, MEASURED_SEED, lens);
  char **train = samples(def, def_len, TRAIN_N, TRAIN_SEED, tlens);
  size_t json_total = 0;
  for (size_t i = 0; i < n; i++)
    json_total += lens[i];
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  unsigned char pk[32];
  sync_seal_opener_t *opener = NULL;
  if (sync_seal_keypair(pub, sec) != SYNC_OK || sync_seal_opener_new(sec, &opener) != SYNC_OK ||
      sodium_base642bin(pk, 32, pub, strlen(pub), NULL, NULL, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    die("keys");
  printf("bench_seal: %zu reference-form records (seed %u), canonical answers JSON %.0f B/record;"
         " all N JSON texts with LZ4 HC together: %zu B\n", n, MEASURED_SEED,
         (double)json_total / n, lz4hc_all(answers, n));
  printf("%-22s %9s %9s %11s %10s %9s %9s\n", "envelope", "raw B/rec", "b64 B/rec",
         "all b64 LZ4", "def +B", "seal us", "open us");
  bench_v1(answers, lens, n, pk, opener);
  size_t plain_len = 0;
  form_t *plain = sealed_form(def, pub, NULL, 0, &plain_len);
  bench_v2("v2, no dictionary", plain, 0, answers, n, opener);
  static const size_t sizes[] = { 16384, 32768, 65536 };
  for (size_t s = 0; s < 3; s++) {
    unsigned char *dict = NULL;
    size_t dlen = 0, flen = 0;
    double t0 = now_s();
    if (seal_dict_train((const char *const *)train, tlens, TRAIN_N, sizes[s], &dict, &dlen) !=
        SYNC_OK)
      die("training");
    double trained = now_s() - t0;
    form_t *f = sealed_form(def, pub, dict, dlen, &flen);
    char name[40];
    snprintf(name, sizeof name, "v2, %zu KiB dictionary", sizes[s] / 1024);
    bench_v2(name, f, flen - plain_len, answers, n, opener);
    printf("%-22s (trained in %.2f s on %u samples)\n", "", trained, TRAIN_N);
    form_free(f);
    free(dict);
  }
  form_free(plain);
  sync_seal_opener_free(opener);
  for (size_t i = 0; i < n; i++)
    free(answers[i]);
  for (size_t i = 0; i < TRAIN_N; i++)
    free(train[i]);
  free(answers);
  free(train);
  free(lens);
  free(tlens);
  free(def);
  return 0;
}
