/* The security blocks of a definition (proto/FORMS.md "Encryption" and "Duplicate key";
 * proto/SECURITY.md 4 and 9): `encryption` {public_key, clear_fields, dictionary, dictionary_id}
 * and `duplicate_key`
 * {fields, key}. Read after the fields and the consent field, since both name fields and
 * `encryption` must keep the consent field and the fields kept without consent readable. */
#include "form_internal.h"

#include <string.h>
#include <sodium.h>

#include "seal_v2.h"

static const char *const ENCRYPTION_KEYS[] = { "public_key", "clear_fields", "dictionary",
                                                "dictionary_id", NULL };
static const char *const DEDUP_KEYS[] = { "fields", "key", NULL };

/* base64 (standard alphabet, padded) of exactly FORM_KEY_BYTES bytes. */
static int parse_key(form_pctx_t *p, const cJSON *v, const char *key, const char *where,
                     unsigned char out[FORM_KEY_BYTES])
{
  if (!v)
    return form_fail(p, SYNC_ERR_FORM, where, "'%s' is missing", key);
  size_t n = 0;
  const char *end = NULL;
  if (!cJSON_IsString(v) ||
      sodium_base642bin(out, FORM_KEY_BYTES, v->valuestring, strlen(v->valuestring), NULL, &n,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      *end != '\0' || n != FORM_KEY_BYTES)
    return form_fail(p, SYNC_ERR_FORM, where,
                     "'%s' must be base64 (standard, padded) of exactly %d bytes", key,
                     FORM_KEY_BYTES);
  return 0;
}

/* One element of a field-name list: the index of an existing field, else an error. */
static long list_field(form_pctx_t *p, const cJSON *v, const char *list, const char *where)
{
  if (!cJSON_IsString(v))
    return form_fail(p, SYNC_ERR_FORM, where, "'%s' must hold field names (strings)", list);
  long i = form_field_index(p->f, v->valuestring);
  if (i < 0) {
    char q[80];
    form_excerpt(q, sizeof q, v->valuestring);
    return form_fail(p, SYNC_ERR_FORM, where, "%s: '%s' is not a field of this form", list, q);
  }
  return i;
}

int form_field_needs_clear(const form_t *f, size_t i)
{
  const form_field_t *fd = &f->fields[i];
  if (fd->type == FIELD_NOTE || (fd->appearance && strcmp(fd->appearance, "central") == 0))
    return 0;
  return fd->without_consent || (f->consent_field >= 0 && (size_t)f->consent_field == i);
}

/* Refuses a split that cannot work: consent is checked on the clear part (by the device before
 * sending and by the server on receipt), and a record without consent is only its clear part. */
static int check_needed_clear(form_pctx_t *p, const char *where)
{
  const form_t *f = p->f;
  char names[512] = "";
  size_t used = 0, missing = 0;
  for (size_t i = 0; i < f->n_fields; i++) {
    if (!form_field_needs_clear(f, i) || f->fields[i].clear)
      continue;
    int n = snprintf(names + used, sizeof names - used, "%s%s", missing ? ", " : "",
                     f->fields[i].name);
    if (n > 0 && used + (size_t)n < sizeof names)
      used += (size_t)n;
    missing++;
  }
  if (!missing)
    return 0;
  return form_fail(p, SYNC_ERR_FORM, where,
                   "clear_fields must list the consent field and every field kept without consent"
                   " (they must stay readable); missing: %s", names);
}

/* `dictionary` (base64 of a zstd dictionary) and `dictionary_id` (its id) go together, and the id
 * must be the dictionary's own: a sealed text names its dictionary by that id. */
static int parse_dictionary(form_pctx_t *p, const cJSON *enc, const char *where)
{
  const cJSON *dict = cJSON_GetObjectItemCaseSensitive(enc, "dictionary");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(enc, "dictionary_id");
  if (!dict && !id)
    return 0;
  if (!cJSON_IsString(dict) || !cJSON_IsNumber(id))
    return form_fail(p, SYNC_ERR_FORM, where,
                     "'dictionary' (base64 of a zstd dictionary) and 'dictionary_id' (an integer)"
                     " go together");
  seal_dict_t *d = NULL;
  sync_err_t e = seal_dict_from_b64(dict->valuestring, &d);
  uint32_t got = seal_dict_id(d);
  seal_dict_free(d);
  if (e == SYNC_ERR_NOMEM)
    return form_fail(p, e, where, "out of memory");
  if (e != SYNC_OK)
    return form_fail(p, SYNC_ERR_FORM, where,
                     "'dictionary' must be base64 (standard, padded) of a zstd dictionary of at"
                     " most %u bytes", SEAL_DICT_MAX);
  if (id->valuedouble != (double)got)
    return form_fail(p, SYNC_ERR_FORM, where,
                     "'dictionary_id' %.0f is not the dictionary's id (%u)", id->valuedouble,
                     (unsigned)got);
  return 0;
}

static int parse_encryption(form_pctx_t *p, const cJSON *enc)
{
  static const char where[] = ", encryption";
  form_t *f = p->f;
  if (!cJSON_IsObject(enc))
    return form_fail(p, SYNC_ERR_FORM, "",
                     "'encryption' must be an object {\"public_key\": ..., \"clear_fields\": [...]}");
  if (form_check_keys(p, enc, ENCRYPTION_KEYS, where) ||
      parse_key(p, cJSON_GetObjectItemCaseSensitive(enc, "public_key"), "public_key", where,
                f->seal_key))
    return -1;
  const cJSON *clear = cJSON_GetObjectItemCaseSensitive(enc, "clear_fields");
  if (!cJSON_IsArray(clear))
    return form_fail(p, SYNC_ERR_FORM, where,
                     "'clear_fields' must be an array of field names (it may be empty)");
  for (const cJSON *c = clear->child; c; c = c->next) {
    long i = list_field(p, c, "clear_fields", where);
    if (i < 0)
      return -1;
    form_field_t *fd = &f->fields[i];
    if (fd->type == FIELD_NOTE)
      return form_fail(p, SYNC_ERR_FORM, where, "clear_fields: '%s' is a note (it has no answer)",
                       fd->name);
    if (fd->clear)
      return form_fail(p, SYNC_ERR_FORM, where, "clear_fields: '%s' is listed twice", fd->name);
    fd->clear = 1;
  }
  if (check_needed_clear(p, where) || parse_dictionary(p, enc, where))
    return -1;
  f->encrypted = 1;
  return 0;
}

static int parse_dedup(form_pctx_t *p, const cJSON *dk)
{
  static const char where[] = ", duplicate_key";
  form_t *f = p->f;
  if (!cJSON_IsObject(dk))
    return form_fail(p, SYNC_ERR_FORM, "",
                     "'duplicate_key' must be an object {\"fields\": [...], \"key\": ...}");
  if (form_check_keys(p, dk, DEDUP_KEYS, where))
    return -1;
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(dk, "fields");
  if (!cJSON_IsArray(fields) || !fields->child)
    return form_fail(p, SYNC_ERR_FORM, where, "'fields' must be an array of 1 to %d field names",
                     FORM_MAX_DEDUP_FIELDS);
  if (cJSON_GetArraySize(fields) > FORM_MAX_DEDUP_FIELDS)
    return form_fail(p, SYNC_ERR_FORM, where, "'fields' lists more than %d fields",
                     FORM_MAX_DEDUP_FIELDS);
  size_t n = 0;
  for (const cJSON *c = fields->child; c; c = c->next) {
    long i = list_field(p, c, "fields", where);
    if (i < 0)
      return -1;
    const form_field_t *fd = &f->fields[i];
    if (fd->type != FIELD_TEXT && fd->type != FIELD_DATE && fd->type != FIELD_SELECT_ONE &&
        fd->type != FIELD_INTEGER)
      return form_fail(p, SYNC_ERR_FORM, where,
                       "fields: '%s' must be a text, date, select_one or integer field", fd->name);
    for (size_t k = 0; k < n; k++)
      if (f->dedup_fields[k] == (uint32_t)i)
        return form_fail(p, SYNC_ERR_FORM, where, "fields: '%s' is listed twice", fd->name);
    f->dedup_fields[n++] = (uint32_t)i;
  }
  if (parse_key(p, cJSON_GetObjectItemCaseSensitive(dk, "key"), "key", where, f->dedup_key))
    return -1;
  f->n_dedup = n;
  return 0;
}

int form_parse_security(form_pctx_t *p, const cJSON *root)
{
  const cJSON *enc = cJSON_GetObjectItemCaseSensitive(root, "encryption");
  const cJSON *dk = cJSON_GetObjectItemCaseSensitive(root, "duplicate_key");
  return (enc && parse_encryption(p, enc)) || (dk && parse_dedup(p, dk)) ? -1 : 0;
}
