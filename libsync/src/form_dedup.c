/* form_dedup_hash() (proto/SECURITY.md 9): a keyed BLAKE2b-256 over the normalised answers of
 * the duplicate_key fields, so that the server can group likely duplicates without names
 * travelling in clear. */
#include "form_seal.h"
#include "form_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static int is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* n(): ASCII lower case, `.` `,` `'` `-` dropped, white-space runs as one space, trimmed. `out`
 * holds strlen(s) + 1 bytes. Returns the length. */
static size_t normalise(const char *s, char *out)
{
  size_t n = 0;
  int space = 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '.' || c == ',' || c == '\'' || c == '-')
      continue;
    if (is_space(c)) {
      space = n > 0;   /* leading white space is dropped, inner runs become one space */
      continue;
    }
    if (space)
      out[n++] = ' ';
    space = 0;
    out[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  out[n] = '\0';
  return n;
}

/* One answer as hashed into *text (malloc'd, length *n): n() of a string, the decimal text of an
 * integer. *text NULL when unanswered; -1 for an answer of the wrong JSON type, -2 no memory. */
static int answer_text(const form_field_t *fd, const cJSON *v, char **text, size_t *n)
{
  *text = NULL;
  *n = 0;
  if (!v || cJSON_IsNull(v))
    return 0;
  if (fd->type == FIELD_INTEGER) {
    if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble ||
        fabs(v->valuedouble) > FORM_MAX_INT)
      return -1;
    if (!(*text = malloc(32)))
      return -2;
    *n = (size_t)snprintf(*text, 32, "%" PRId64, (int64_t)v->valuedouble);
    return 0;
  }
  if (!cJSON_IsString(v))
    return -1;
  if (!(*text = malloc(strlen(v->valuestring) + 1)))
    return -2;
  *n = normalise(v->valuestring, *text);
  return 0;
}

sync_err_t form_dedup_hash(const form_t *f, const char *payload_json, size_t len, char out[65])
{
  if (!out)
    return SYNC_ERR_INVALID_ARG;
  out[0] = '\0';
  if (!f)
    return SYNC_ERR_INVALID_ARG;
  sync_err_t rc;
  cJSON *root = form_payload_tree(f, payload_json, len, &rc);
  if (!root)
    return rc;
  if (sodium_init() < 0) {
    cJSON_Delete(root);
    return SYNC_ERR_CRYPTO;
  }
  crypto_generichash_state st;
  crypto_generichash_init(&st, f->dedup_key, sizeof f->dedup_key, crypto_generichash_BYTES);
  int complete = f->n_dedup > 0;
  for (size_t k = 0; k < f->n_dedup && complete; k++) {
    const form_field_t *fd = &f->fields[f->dedup_fields[k]];
    char *text;
    size_t n;
    int t = answer_text(fd, cJSON_GetObjectItemCaseSensitive(root, fd->name), &text, &n);
    if (t) {
      rc = t == -1 ? SYNC_ERR_JSON : SYNC_ERR_NOMEM;
      break;
    }
    complete = n > 0;   /* an answer that normalises to nothing identifies no one */
    if (complete) {
      if (k)
        crypto_generichash_update(&st, (const unsigned char *)"\x1f", 1);
      crypto_generichash_update(&st, (const unsigned char *)text, n);
      sodium_memzero(text, n);
    }
    free(text);
  }
  unsigned char h[crypto_generichash_BYTES];
  crypto_generichash_final(&st, h, sizeof h);
  if (rc == SYNC_OK && complete)
    sodium_bin2hex(out, 65, h, sizeof h);
  cJSON_Delete(root);
  return rc;
}
