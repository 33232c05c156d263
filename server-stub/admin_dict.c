/* syncserver form publish: training the sealed form's compression dictionary (admin_dict.h). */
#include "admin_dict.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "form_def.h"
#include "sample.h"
#include "seal_v2.h"

/* `n` canonical payloads (as devices seal them) of generated answers into texts/lens. */
static int canonical_samples(const char *def, size_t len, char **texts, size_t *lens, size_t n,
                             char *err, size_t errlen)
{
  sync_err_t e;
  form_t *f = form_parse(def, len, &e, err, errlen);
  sample_gen_t *g = f ? sample_gen_new(def, len, ADMIN_DICT_SEED, err, errlen) : NULL;
  int32_t today = 0;
  int rc = -1;
  if (!g || expr_parse_date(SAMPLE_ANCHOR_DATE, &today) != 0)
    goto done;
  issue_list_t issues = {0};
  for (size_t i = 0; i < n; i++) {
    char *raw = sample_gen_next(g);
    texts[i] = NULL;
    e = raw ? form_validate(f, raw, strlen(raw), VALIDATE_FINAL, "en", today, &texts[i], &issues)
            : SYNC_ERR_NOMEM;
    free(raw);
    issue_list_clear(&issues);
    if (e != SYNC_OK) {
      snprintf(err, errlen, "a generated sample does not validate (%s)", sync_strerror(e));
      goto done;
    }
    lens[i] = strlen(texts[i]);
  }
  rc = 0;
done:
  sample_gen_free(g);
  form_free(f);
  return rc;
}

int admin_form_dictionary(const cJSON *doc, cJSON *enc)
{
  char *def = cJSON_PrintUnformatted(doc), err[300] = "";
  char **texts = calloc(ADMIN_DICT_SAMPLES, sizeof *texts);
  size_t *lens = calloc(ADMIN_DICT_SAMPLES, sizeof *lens);
  unsigned char *dict = NULL;
  size_t dlen = 0;
  char *b64 = NULL;
  int rc = -1;
  if (!def || !texts || !lens) {
    fprintf(stderr, "syncserver: out of memory\n");
    goto done;
  }
  if (canonical_samples(def, strlen(def), texts, lens, ADMIN_DICT_SAMPLES, err, sizeof err)) {
    fprintf(stderr, "syncserver: no compression dictionary for this form (%s): its sealed answers"
            " are compressed without one\n", err);
    rc = 0;
    goto done;
  }
  if (seal_dict_train((const char *const *)texts, lens, ADMIN_DICT_SAMPLES, ADMIN_DICT_BYTES,
                      &dict, &dlen) != SYNC_OK) {
    fprintf(stderr, "syncserver: the compression dictionary could not be trained\n");
    goto done;
  }
  size_t n = sodium_base64_ENCODED_LEN(dlen, sodium_base64_VARIANT_ORIGINAL);
  if (!(b64 = malloc(n))) {
    fprintf(stderr, "syncserver: out of memory\n");
    goto done;
  }
  sodium_bin2base64(b64, n, dict, dlen, sodium_base64_VARIANT_ORIGINAL);
  seal_dict_t *d = NULL;
  if (seal_dict_new(dict, dlen, &d) != SYNC_OK) {
    fprintf(stderr, "syncserver: the trained dictionary is not usable\n");
    goto done;
  }
  uint32_t id = seal_dict_id(d);
  seal_dict_free(d);
  cJSON_AddStringToObject(enc, "dictionary", b64);
  cJSON_AddNumberToObject(enc, "dictionary_id", (double)id);
  rc = 0;
done:
  for (size_t i = 0; texts && i < ADMIN_DICT_SAMPLES; i++)
    free(texts[i]);
  free(texts);
  free(lens);
  free(dict);
  free(b64);
  free(def);
  return rc;
}
