/* Openers of stored records for exports (export.h, SECURITY.md 4): the clear answers alone, or
 * the sealed envelope opened with the central secret key and checked against the record. */
#include "export.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal_open.h"

static cJSON *parse_clear(const exp_stored_t *rec, char *why, size_t whylen)
{
  cJSON *doc = cJSON_ParseWithLength(rec->payload ? rec->payload : "", rec->payload_len);
  if (!cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    snprintf(why, whylen, "the stored answers are not a JSON object");
    return NULL;
  }
  return doc;
}

cJSON *export_open_plain(void *ctx, const exp_stored_t *rec, exp_opened_t *st, char *why,
                         size_t whylen)
{
  (void)ctx;
  st->sealed_left = rec->sealed != NULL;
  return parse_clear(rec, why, whylen);
}

/* The envelope's identity must be the record's: a sealed text copied onto another record (or
 * another form) is refused, not exported under the wrong uuid. */
static const char *envelope_mismatch(const cJSON *env, const exp_stored_t *rec)
{
  const cJSON *uuid = cJSON_GetObjectItemCaseSensitive(env, "uuid");
  const cJSON *form = cJSON_GetObjectItemCaseSensitive(env, "form_id");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(env, "form_version");
  if (!cJSON_IsString(uuid) || strcmp(uuid->valuestring, rec->uuid) != 0)
    return "the sealed envelope belongs to another record";
  if (!cJSON_IsString(form) || strcmp(form->valuestring, rec->form_id) != 0 ||
      !cJSON_IsNumber(ver) || ver->valuedouble != (double)rec->form_version)
    return "the sealed envelope names another form or version";
  if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(env, "payload")))
    return "the sealed envelope has no answers";
  return NULL;
}

cJSON *export_open_sealed(void *ctx, const exp_stored_t *rec, exp_opened_t *st, char *why,
                          size_t whylen)
{
  st->sealed_left = 0;
  if (!rec->sealed)
    return parse_clear(rec, why, whylen);
  cJSON *env = NULL;
  sync_err_t e = seal_open_envelope(ctx, rec->sealed, &env);
  if (e != SYNC_OK) {
    snprintf(why, whylen, "the sealed text does not open (%s: altered, or sealed to another"
             " key)", sync_strerror(e));
    return NULL;
  }
  const char *bad = envelope_mismatch(env, rec);
  cJSON *clear = bad ? NULL : parse_clear(rec, why, whylen);
  if (bad || !clear) {
    if (bad)
      snprintf(why, whylen, "%s", bad);
    cJSON_Delete(env);
    return NULL;
  }
  cJSON *answers = cJSON_DetachItemFromObjectCaseSensitive(env, "payload");
  cJSON_Delete(env);
  /* Clear answers are newer (central staff set some of them after the record was sealed). */
  for (cJSON *it = clear->child; it;) {
    cJSON *next = it->next;
    cJSON *v = cJSON_DetachItemViaPointer(clear, it);
    cJSON_DeleteItemFromObjectCaseSensitive(answers, v->string);
    cJSON_AddItemToObject(answers, v->string, v);   /* copies the key before freeing v's own */
    it = next;
  }
  cJSON_Delete(clear);
  return answers;
}

