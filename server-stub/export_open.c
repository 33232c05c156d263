/* Openers of stored records for exports (export.h, SECURITY.md 4): the clear answers alone, or
 * the sealed text opened with the central secret key for its record (export_sealed.h). */
#include "export.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_sealed.h"
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

cJSON *export_open_sealed_dict(const sync_seal_opener_t *opener, const seal_dict_t *dict,
                               const exp_stored_t *rec, exp_opened_t *st, char *why,
                               size_t whylen)
{
  st->sealed_left = 0;
  if (!rec->sealed)
    return parse_clear(rec, why, whylen);
  /* The text opens only for the record's uuid, form and version (bound in v2, named in v1): one
   * copied onto another record or form is refused, not exported under the wrong uuid. */
  seal_ident_t id = { rec->uuid, rec->form_id, rec->form_version };
  cJSON *answers = NULL;
  sync_err_t e = seal_open_answers(opener, &id, dict, rec->sealed, &answers);
  if (e != SYNC_OK) {
    if (e == SYNC_ERR_STATE)
      snprintf(why, whylen, "the sealed text names a compression dictionary its form version"
               " does not carry");
    else if (e == SYNC_ERR_TOO_LARGE)
      snprintf(why, whylen, "the sealed text opens to more than the largest payload (refused)");
    else
      snprintf(why, whylen, "the sealed text does not open (%s: altered, sealed to another key,"
               " or copied from another record)", sync_strerror(e));
    return NULL;
  }
  cJSON *clear = parse_clear(rec, why, whylen);
  if (!clear) {
    cJSON_Delete(answers);
    return NULL;
  }
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

cJSON *export_open_sealed(void *ctx, const exp_stored_t *rec, exp_opened_t *st, char *why,
                          size_t whylen)
{
  return export_open_sealed_dict(ctx, NULL, rec, st, why, whylen);
}
