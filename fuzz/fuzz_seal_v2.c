/* libFuzzer target: the record opener of sealed answers, v2 and v1 (seal_open_answers, which
 * sync_seal_opener_open_record and the export use), with a fixed test key and a dictionary
 * trained at start-up on recipe-made answers. The first input byte picks the mode:
 *   'z'  the rest is a zstd frame (magic-less, as the envelope carries it) sealed to the test key
 *        for the record, naming the dictionary: decompression bombs, bad windows, broken frames;
 *   'p'  the rest is the plaintext answers, sealed stored (compression 0): the JSON check;
 *   else the input is the sealed bytes themselves (header parsing, the v1 fallback).
 * Invariants: one of the documented codes; what opens is one JSON object whose text is at most
 * SYNC_MAX_PAYLOAD bytes; an authentic stored plaintext that opens is the input itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "seal_open.h"
#include "seal_v2.h"
#include "sync/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same test key as fuzz_seal: bytes 0x42..0x61. */
static const char SECRET[] = "QkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGE=";
static const seal_ident_t ID = { "0190a0b2-7c4e-7d21-9f3a-5b1c2d3e4f60", "tppo_screening", 1 };

static sync_seal_opener_t *opener;
static seal_dict_t *dict;
static unsigned char pk[32];

static void init_once(void)
{
  if (opener)
    return;
  unsigned char sk[32];
  enum { N = 200 };
  char *texts[N];
  size_t lens[N];
  unsigned char *bytes = NULL;
  size_t len = 0;
  for (int i = 0; i < N; i++) {
    char buf[300];
    lens[i] = (size_t)snprintf(buf, sizeof buf, "{\"interview_date\":\"2026-%02d-%02d\","
                               "\"province\":\"%d\",\"consent\":\"%s\",\"age\":%d,\"story\":"
                               "\"cerita %d\"}", 1 + i % 12, 1 + i % 28, 11 + i % 80,
                               i % 9 ? "yes" : "no", 10 + i % 60, i * 7);
    texts[i] = strdup(buf);
  }
  if (sodium_init() < 0 ||
      sodium_base642bin(sk, sizeof sk, SECRET, sizeof SECRET - 1, NULL, NULL, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      crypto_scalarmult_base(pk, sk) != 0 ||
      seal_dict_train((const char *const *)texts, lens, N, 2048, &bytes, &len) != SYNC_OK ||
      seal_dict_new(bytes, len, &dict) != SYNC_OK || sync_seal_opener_new(SECRET, &opener) != SYNC_OK)
    abort();
  for (int i = 0; i < N; i++)
    free(texts[i]);
  free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  init_once();
  int mode = size ? data[0] : 0;
  unsigned char *sealed = NULL;
  size_t n = 0;
  if (mode == 'z' || mode == 'p') {
    if (seal_v2_box(pk, &ID, mode == 'z' ? SEAL_COMP_ZSTD : SEAL_COMP_NONE,
                    mode == 'z' ? seal_dict_id(dict) : 0, NULL, data + 1, size - 1, &sealed,
                    &n) != SYNC_OK)
      abort();
  } else if ((sealed = malloc(size ? size : 1))) {
    memcpy(sealed, data, size);
    n = size;
  }
  size_t blen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
  char *text = sealed ? malloc(blen) : NULL;
  if (!text) {
    free(sealed);
    return 0;
  }
  sodium_bin2base64(text, blen, sealed, n, sodium_base64_VARIANT_ORIGINAL);
  cJSON *out = (cJSON *)1;
  sync_err_t rc = seal_open_answers(opener, &ID, dict, text, &out);
  switch (rc) {
  case SYNC_OK: {
    char *printed = cJSON_IsObject(out) ? cJSON_PrintUnformatted(out) : NULL;
    if (!printed)
      abort();
    /* Authentic stored answers open to themselves. Compared as printed text: cJSON_Compare
     * looks members up by name, so an object with a repeated name never equals its own copy. */
    cJSON *again = mode == 'p' ? cJSON_ParseWithLength((const char *)data + 1, size - 1) : NULL;
    char *expected = again ? cJSON_PrintUnformatted(again) : NULL;
    if (mode == 'p' && (!expected || strcmp(expected, printed) != 0))
      abort();
    free(expected);
    cJSON_Delete(again);
    free(printed);
    cJSON_Delete(out);
    break;
  }
  case SYNC_ERR_TOO_LARGE:
  case SYNC_ERR_CORRUPT:
    if (out || mode == 'p')
      abort();   /* stored answers are never decompressed */
    break;
  case SYNC_ERR_CRYPTO:
  case SYNC_ERR_STATE:
  case SYNC_ERR_INVALID_ARG:
    if (out || mode == 'z' || mode == 'p')
      abort();   /* sealed to the right key, for the record, with its dictionary: it opens */
    break;
  case SYNC_ERR_JSON:
  case SYNC_ERR_NOMEM:
    if (out)
      abort();
    break;
  default:
    abort();
  }
  free(text);
  free(sealed);
  return 0;
}
