/* libFuzzer target: arbitrary bytes as a form definition. A definition is either refused with a
 * code and a terminated message, or parsed; a parsed one is then evaluated against a payload
 * that answers every field, so that fuzzed expressions also run, and its security rules
 * (form_seal.h) are applied to the canonical payload: it respects consent, its clear part holds
 * only clear fields, its duplicate hash is empty or 64 hex digits, and it can be sealed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_def.h"
#include "form_seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* {"field": <a plausible answer for its type>, ...} */
static char *answers_for(const form_t *f)
{
  size_t cap = 64 + form_field_count(f) * 160, len = 0;
  char *p = malloc(cap);
  if (!p)
    return NULL;
  len += (size_t)snprintf(p + len, cap - len, "{");
  for (size_t i = 0; i < form_field_count(f); i++) {
    const char *v = NULL;
    char buf[100];
    switch (form_field_type(f, i)) {
    case FIELD_TEXT: v = "\"teks 1\""; break;
    case FIELD_INTEGER: v = "42"; break;
    case FIELD_DECIMAL: v = "-1.5"; break;
    case FIELD_DATE: v = "\"2024-02-29\""; break;
    case FIELD_YES_NO: v = "true"; break;
    case FIELD_CALCULATE: v = "\"replaced\""; break;
    case FIELD_NOTE: break;
    case FIELD_SELECT_ONE:
      snprintf(buf, sizeof buf, "\"%s\"", form_field_choice_name(f, i, 0));
      v = buf;
      break;
    case FIELD_SELECT_MULTIPLE:
      snprintf(buf, sizeof buf, "[\"%s\"]", form_field_choice_name(f, i, 0));
      v = buf;
      break;
    }
    if (v)
      len += (size_t)snprintf(p + len, cap - len, "%s\"%s\":%s", len > 1 ? "," : "",
                              form_field_name(f, i), v);
  }
  snprintf(p + len, cap - len, "}");
  return p;
}

static void check_security(const form_t *f, const char *canonical)
{
  size_t n = strlen(canonical);
  if (form_check_consent(f, canonical, n, NULL, 0) != SYNC_OK)
    abort();
  char *clear = NULL;
  if (form_clear_part(f, canonical, n, &clear) != SYNC_OK ||
      form_check_clear(f, clear, strlen(clear), NULL, 0) != SYNC_OK)
    abort();
  if (!form_is_encrypted(f) && strcmp(clear, canonical) != 0)
    abort();   /* nothing is sealed, so everything is clear */
  free(clear);
  char hash[65];
  if (form_dedup_hash(f, canonical, n, hash) != SYNC_OK ||
      (strlen(hash) != 0 && strlen(hash) != 64) || (strlen(hash) && !form_has_dedup(f)))
    abort();
  char *sealed = NULL;
  sync_err_t rc = form_seal(f, "u", canonical, n, &sealed);
  if (form_is_encrypted(f) ? rc != SYNC_OK || !sealed : rc != SYNC_ERR_STATE || sealed)
    abort();
  free(sealed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sync_err_t err = SYNC_OK;
  char msg[256];
  memset(msg, 'x', sizeof msg);
  form_t *f = form_parse((const char *)data, size, &err, msg, sizeof msg);
  if (!f) {
    if (err == SYNC_OK || !memchr(msg, '\0', sizeof msg))
      abort();
    return 0;
  }
  if (err != SYNC_OK || !form_id(f) || form_version(f) < 1 || !form_title(f, "en"))
    abort();
  for (size_t i = 0; i < form_field_count(f); i++)
    if (!form_field_name(f, i) || !form_field_section(f, i) ||
        (!form_is_encrypted(f) && !form_field_is_clear(f, form_field_name(f, i))))
      abort();
  char *payload = answers_for(f);
  if (payload) {
    for (int mode = 0; mode < 2; mode++) {
      issue_list_t issues = { NULL, 0, 0 };
      char *out = NULL;
      if (form_validate(f, payload, strlen(payload), mode ? VALIDATE_FINAL : VALIDATE_DRAFT, "en",
                        19723, &out, &issues) == SYNC_OK)
        check_security(f, out);
      free(out);
      issue_list_clear(&issues);
    }
    char *ev = NULL;
    if (form_evaluate(f, payload, strlen(payload), "id", 19723, &ev, NULL) == SYNC_OK && !ev)
      abort();
    free(ev);
    free(payload);
  }
  form_free(f);
  return 0;
}
