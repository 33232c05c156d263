/* Internal: a parsed, checked form definition (proto/FORMS.md) and validation of answers
 * against it. Parsing compiles every expression once, checks every ${reference}, and orders the
 * fields so that relevance and calculations can be evaluated in one pass (a cycle is an error).
 *
 * Ownership: form_parse() returns a form the caller frees with form_free(); accessors borrow.
 * Threads: a parsed form is immutable; validation may run on several threads at once.
 */
#ifndef SYNC_FORM_DEF_H
#define SYNC_FORM_DEF_H

#include <stddef.h>
#include <stdint.h>
#include "sync/error.h"
#include "issues.h"

typedef struct form form_t;

typedef enum field_type {
  FIELD_TEXT, FIELD_INTEGER, FIELD_DECIMAL, FIELD_DATE, FIELD_SELECT_ONE,
  FIELD_SELECT_MULTIPLE, FIELD_YES_NO, FIELD_NOTE, FIELD_CALCULATE
} field_type_t;

/* Parses and checks a definition. On failure returns NULL, sets *err to SYNC_ERR_JSON,
 * SYNC_ERR_FORM or SYNC_ERR_EXPR (or SYNC_ERR_TOO_LARGE / SYNC_ERR_NOMEM) and writes a message that
 * names where into errbuf, e.g. "form 'tppo_screening' v1, field 'age', constraint at 7: expected
 * ')'" or "line 12, column 3: malformed JSON". */
form_t *form_parse(const char *json, size_t len, sync_err_t *err, char *errbuf, size_t errlen);
void form_free(form_t *f);

const char *form_id(const form_t *f);
int form_version(const form_t *f);
/* Title in `lang`, else in the form's default language. */
const char *form_title(const form_t *f, const char *lang);

/* Fields in document order (sections flattened). */
size_t form_field_count(const form_t *f);
const char *form_field_name(const form_t *f, size_t i);
field_type_t form_field_type(const form_t *f, size_t i);
const char *form_field_section(const form_t *f, size_t i);
/* Choice names of a select field (NULL/0 for other types). */
size_t form_field_choice_count(const form_t *f, size_t i);
const char *form_field_choice_name(const form_t *f, size_t i, size_t c);

typedef enum validate_mode {
  VALIDATE_DRAFT,   /* structure only: unknown fields, types, choices */
  VALIDATE_FINAL,   /* also required answers and constraints */
  /* The server's check of what a device sent (a final record's readable part, SECURITY.md
   * "Exports and clear values"): every answer present is judged, relevant or not (types,
   * choices); constraints and calculated values are judged when everything they read is in the
   * payload and their outcome does not depend on the day; a calculated value that cannot be
   * recomputed must be a plain scalar. Required answers are not checked (sealed answers are
   * absent). */
  VALIDATE_VALUES
} validate_mode_t;

/* Validates `payload_json` (must be a JSON object) against the form.
 * `lang` picks the language of messages ("id"/"en"); `today` is today() in days since the epoch.
 * On success returns SYNC_OK and, if canonical_json is not NULL, a malloc'd canonical payload:
 * keys in form order, non-relevant answers removed, calculated fields computed, empty answers
 * omitted. On failure returns SYNC_ERR_JSON (not an object / malformed; one issue with field "")
 * or SYNC_ERR_VALIDATION, with every failing field in `issues` (appended; the caller clears). */
sync_err_t form_validate(const form_t *f, const char *payload_json, size_t len,
                         validate_mode_t mode, const char *lang, int32_t today,
                         char **canonical_json, issue_list_t *issues);

/* For live form UIs: like form_validate in VALIDATE_FINAL mode but never fails on issues: returns
 * SYNC_OK with a malloc'd {"payload":{..},"relevant":{..},"issues":[..],"complete":bool} (see
 * sync_form_evaluate in sync/form.h), or SYNC_ERR_JSON for a payload that is not a JSON object. */
sync_err_t form_evaluate(const form_t *f, const char *payload_json, size_t len, const char *lang,
                         int32_t today, char **out_json, issue_list_t *issues);

#endif
