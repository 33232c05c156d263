/* The security rules of a form, form_seal.h (proto/SECURITY.md 4 and 6): which fields stay clear,
 * the clear part of a payload, sealing the full answers to the central key, and the checks the
 * engine and the server run on outgoing / incoming changes. These run once per finalize or push,
 * so payloads are read with cJSON rather than the validation reader. */
#include "form_seal.h"
#include "form_internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "seal_v2.h"
#include "sync/record.h"

int form_is_encrypted(const form_t *f)
{
  return f && f->encrypted;
}

static int index_is_clear(const form_t *f, long i)
{
  const form_field_t *fd = &f->fields[i];
  return !f->encrypted || fd->clear || (fd->appearance && strcmp(fd->appearance, "central") == 0);
}

int form_field_is_clear(const form_t *f, const char *name)
{
  long i = f && name ? form_field_index(f, name) : -1;
  return i >= 0 && index_is_clear(f, i);
}

int form_has_dedup(const form_t *f)
{
  return f && f->n_dedup > 0;
}

cJSON *form_payload_tree(const form_t *f, const char *json, size_t len, sync_err_t *err)
{
  *err = SYNC_ERR_JSON;
  if (!json || len > SYNC_MAX_PAYLOAD || memchr(json, '\0', len))
    return NULL;
  size_t off;
  int trailing;
  cJSON *root = form_json_parse(json, len, &off, &trailing);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return NULL;
  }
  /* a field named twice could read one way here and another way in a different parser */
  unsigned char *seen = calloc(f->n_fields ? f->n_fields : 1, 1);
  if (!seen) {
    cJSON_Delete(root);
    *err = SYNC_ERR_NOMEM;
    return NULL;
  }
  for (const cJSON *m = root->child; m; m = m->next) {
    long i = form_field_index(f, m->string);
    if (i >= 0 && seen[i]++) {
      cJSON_Delete(root);
      root = NULL;
      break;
    }
  }
  free(seen);
  if (root)
    *err = SYNC_OK;
  return root;
}

/* Writes a parsed value the way form_validate writes canonical payloads. -1 for a number that
 * JSON cannot hold. */
static int put_value(form_buf_t *b, const cJSON *v)
{
  if (cJSON_IsString(v)) {
    form_buf_json_str(b, v->valuestring);
  } else if (cJSON_IsNumber(v)) {
    if (!isfinite(v->valuedouble))
      return -1;
    form_buf_json_num(b, v->valuedouble);
  } else if (cJSON_IsBool(v)) {
    form_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
  } else if (cJSON_IsNull(v)) {
    form_buf_puts(b, "null");
  } else {
    int obj = cJSON_IsObject(v);
    form_buf_putc(b, obj ? '{' : '[');
    for (const cJSON *c = v->child; c; c = c->next) {
      if (c != v->child)
        form_buf_putc(b, ',');
      if (obj) {
        form_buf_json_str(b, c->string);
        form_buf_putc(b, ':');
      }
      if (put_value(b, c))
        return -1;
    }
    form_buf_putc(b, obj ? '}' : ']');
  }
  return 0;
}

sync_err_t form_clear_part(const form_t *f, const char *payload_json, size_t len, char **out_json)
{
  if (!out_json)
    return SYNC_ERR_INVALID_ARG;
  *out_json = NULL;
  if (!f)
    return SYNC_ERR_INVALID_ARG;
  sync_err_t rc;
  cJSON *root = form_payload_tree(f, payload_json, len, &rc);
  if (!root)
    return rc;
  form_buf_t b;
  form_buf_init(&b, len + 2);
  form_buf_putc(&b, '{');
  int first = 1;
  for (const cJSON *m = root->child; m && rc == SYNC_OK; m = m->next) {
    long i = form_field_index(f, m->string);
    if (i < 0 || !index_is_clear(f, i))
      continue;
    if (!first)
      form_buf_putc(&b, ',');
    first = 0;
    form_buf_put(&b, f->fields[i].json_key, f->fields[i].json_key_len);
    if (put_value(&b, m))
      rc = SYNC_ERR_JSON;
  }
  form_buf_putc(&b, '}');
  cJSON_Delete(root);
  if (rc != SYNC_OK) {
    form_buf_free(&b);
    return rc;
  }
  return (*out_json = form_buf_take(&b)) ? SYNC_OK : SYNC_ERR_NOMEM;
}

static void name_field(char *field, size_t field_len, const char *name)
{
  if (field && field_len)
    snprintf(field, field_len, "%s", name);
}

sync_err_t form_check_clear(const form_t *f, const char *payload_json, size_t len, char *field,
                            size_t field_len)
{
  name_field(field, field_len, "");
  if (!f)
    return SYNC_ERR_INVALID_ARG;
  sync_err_t rc;
  cJSON *root = form_payload_tree(f, payload_json, len, &rc);
  if (!root)
    return rc;
  for (const cJSON *m = root->child; m; m = m->next) {
    long i = form_field_index(f, m->string);
    if (i < 0 || !index_is_clear(f, i)) {
      name_field(field, field_len, m->string);
      rc = SYNC_ERR_VALIDATION;
      break;
    }
  }
  cJSON_Delete(root);
  return rc;
}

sync_err_t form_check_consent(const form_t *f, const char *payload_json, size_t len, char *field,
                              size_t field_len)
{
  name_field(field, field_len, "");
  if (!f)
    return SYNC_ERR_INVALID_ARG;
  sync_err_t rc;
  cJSON *root = form_payload_tree(f, payload_json, len, &rc);
  if (!root || f->consent_field < 0) {
    cJSON_Delete(root);
    return rc;
  }
  const form_field_t *cf = &f->fields[f->consent_field];
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, cf->name);
  int given = cf->type == FIELD_YES_NO ? cJSON_IsTrue(c)
                                       : cJSON_IsString(c) && strcmp(c->valuestring, "yes") == 0;
  for (const cJSON *m = root->child; m && !given; m = m->next) {
    long i = form_field_index(f, m->string);
    if (i < 0 || (i != f->consent_field && !f->fields[i].without_consent)) {
      name_field(field, field_len, m->string);
      rc = SYNC_ERR_VALIDATION;
      break;
    }
  }
  cJSON_Delete(root);
  return rc;
}

sync_err_t form_seal_dict(const form_t *f, seal_dict_t **out)
{
  *out = NULL;
  const cJSON *enc = cJSON_GetObjectItemCaseSensitive(f->root, "encryption");
  const cJSON *dict = cJSON_GetObjectItemCaseSensitive(enc, "dictionary");
  return cJSON_IsString(dict) ? seal_dict_from_b64(dict->valuestring, out) : SYNC_OK;
}

/* The form's dictionary made ready for sealing, made on the first seal (form_internal.h); NULL
 * with *err when it cannot be made. The form is shared and const to callers; only this lazily
 * made, then read-only member changes, under its own lock. */
static const seal_dict_t *sealing_dict(const form_t *f, const char *b64, sync_err_t *err)
{
  form_t *mf = (form_t *)f;
  pthread_mutex_lock(&mf->seal_lock);
  if (!mf->seal_dict) {
    seal_dict_t *d = NULL;
    *err = seal_dict_from_b64(b64, &d);
    if (*err == SYNC_OK)
      *err = seal_dict_for_sealing(d);
    if (*err == SYNC_OK)
      mf->seal_dict = d;
    else
      seal_dict_free(d);
  }
  const seal_dict_t *d = mf->seal_dict;
  pthread_mutex_unlock(&mf->seal_lock);
  return d;
}

/* seal_v2_seal with the form's dictionary, if it has one. */
static sync_err_t seal_with_form_dict(const form_t *f, const seal_ident_t *id,
                                      const char *payload_json, size_t len, unsigned char **c,
                                      size_t *clen)
{
  const cJSON *enc = cJSON_GetObjectItemCaseSensitive(f->root, "encryption");
  const cJSON *dict = cJSON_GetObjectItemCaseSensitive(enc, "dictionary");
  if (!cJSON_IsString(dict))
    return seal_v2_seal(f->seal_key, id, NULL, NULL, payload_json, len, c, clen);
  sync_err_t rc = SYNC_OK;
  const seal_dict_t *d = sealing_dict(f, dict->valuestring, &rc);
  return d ? seal_v2_seal(f->seal_key, id, d, NULL, payload_json, len, c, clen) : rc;
}

sync_err_t form_seal(const form_t *f, const char *uuid, const char *payload_json, size_t len,
                     char **out_sealed)
{
  if (!out_sealed)
    return SYNC_ERR_INVALID_ARG;
  *out_sealed = NULL;
  if (!f || !uuid)
    return SYNC_ERR_INVALID_ARG;
  if (!f->encrypted)
    return SYNC_ERR_STATE;
  sync_err_t rc;
  cJSON *root = form_payload_tree(f, payload_json, len, &rc);
  if (!root)
    return rc;
  cJSON_Delete(root);
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  unsigned char *c = NULL;
  size_t clen = 0;
  seal_ident_t id = { uuid, f->id, f->version };
  if ((rc = seal_with_form_dict(f, &id, payload_json, len, &c, &clen)) != SYNC_OK)
    goto done;
  size_t n = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
  char *out = malloc(n);
  rc = SYNC_ERR_NOMEM;
  if (!out)
    goto done;
  sodium_bin2base64(out, n, c, clen, sodium_base64_VARIANT_ORIGINAL);
  *out_sealed = out;
  rc = SYNC_OK;
done:
  free(c);
  return rc;
}
