/* Case status and referral outcome set by central staff (review.h). */
#include "review.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_def.h"
#include "sbuf.h"

typedef struct status_edit {
  const char *status, *referral;
} status_edit_t;

static char *set_fields(void *ctx, const char *payload)
{
  status_edit_t *se = ctx;
  cJSON *doc = cJSON_Parse(payload);
  if (!cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return NULL;
  }
  const char *keys[2] = {REVIEW_STATUS_FIELD, REVIEW_REFERRAL_FIELD};
  const char *vals[2] = {se->status, se->referral};
  for (int i = 0; i < 2; i++) {
    if (!vals[i])
      continue;
    cJSON *v = cJSON_CreateString(vals[i]);
    if (cJSON_GetObjectItemCaseSensitive(doc, keys[i]))
      cJSON_ReplaceItemInObjectCaseSensitive(doc, keys[i], v);
    else
      cJSON_AddItemToObject(doc, keys[i], v);
  }
  char *out = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  return out;
}

sync_err_t review_validate(void *ctx, const char *fid, int version, const char *payload,
                           issue_list_t *issues)
{
  db_conn_t *db = ctx;
  char *definition = NULL;
  sync_err_t e = db_form_get(db, fid, version, &definition, NULL);
  if (e != SYNC_OK)
    return e;
  char err[256];
  form_t *f = form_parse(definition, strlen(definition), &e, err, sizeof err);
  free(definition);
  if (!f)
    return SYNC_ERR_FORM;
  e = form_validate(f, payload, strlen(payload), VALIDATE_DRAFT, "en", 0, NULL, issues);
  form_free(f);
  return e == SYNC_ERR_JSON ? SYNC_ERR_VALIDATION : e;
}

/* 0 if `value` is a choice of select field `name` of the form; else writes why into msg. */
static int check_choice(const form_t *f, const char *name, const char *value, char *msg,
                        size_t msglen)
{
  for (size_t i = 0; i < form_field_count(f); i++) {
    if (strcmp(form_field_name(f, i), name) != 0)
      continue;
    field_type_t t = form_field_type(f, i);
    if (t != FIELD_SELECT_ONE)
      return 0;   /* a text field takes any value; the draft check below still runs */
    size_t n = form_field_choice_count(f, i);
    for (size_t c = 0; c < n; c++)
      if (strcmp(form_field_choice_name(f, i, c), value) == 0)
        return 0;
    sbuf_t b;
    sbuf_init(&b);
    sbuf_printf(&b, "'%s' is not a choice of %s in form %s v%d; choose one of:", value, name,
                form_id(f), form_version(f));
    for (size_t c = 0; c < n; c++)
      sbuf_printf(&b, " %s", form_field_choice_name(f, i, c));
    snprintf(msg, msglen, "%s", b.data ? b.data : "not a choice");
    sbuf_free(&b);
    return -1;
  }
  snprintf(msg, msglen, "form %s v%d has no field %s (publish a version with it, or use --force)",
           form_id(f), form_version(f), name);
  return -1;
}

sync_err_t review_set_status(db_conn_t *c, const char *uuid, const char *status,
                             const char *referral, const char *by, int force, int64_t *revision,
                             int64_t *seq, char *msg, size_t msglen)
{
  if (msglen)
    msg[0] = '\0';
  if (!status && !referral) {
    snprintf(msg, msglen, "nothing to set");
    return SYNC_ERR_INVALID_ARG;
  }
  if (!force) {
    char *payload = NULL, *definition = NULL;
    db_record_row_t row;
    sync_err_t e = db_record_payload(c, uuid, &payload, &row);
    free(payload);
    if (e == SYNC_ERR_NOT_FOUND)
      snprintf(msg, msglen, "no record %s", uuid);
    if (e != SYNC_OK)
      return e;
    if ((e = db_form_get(c, row.form_id, row.form_version, &definition, NULL)) != SYNC_OK) {
      snprintf(msg, msglen, "form %s v%d of the record is not published", row.form_id,
               row.form_version);
      return e;
    }
    char why[256];
    form_t *f = form_parse(definition, strlen(definition), &e, why, sizeof why);
    free(definition);
    if (!f) {
      snprintf(msg, msglen, "stored form %s v%d does not parse: %s", row.form_id,
               row.form_version, why);
      return SYNC_ERR_FORM;
    }
    int bad = (status && check_choice(f, REVIEW_STATUS_FIELD, status, msg, msglen) != 0) ||
              (referral && check_choice(f, REVIEW_REFERRAL_FIELD, referral, msg, msglen) != 0);
    form_free(f);
    if (bad)
      return SYNC_ERR_VALIDATION;
  }
  status_edit_t se = {status, referral};
  issue_list_t issues = {0};
  sync_err_t e = db_central_write(c, uuid, by, set_fields, &se, force ? NULL : review_validate, c,
                                  &issues, revision, seq);
  switch (e) {
  case SYNC_OK:
    break;
  case SYNC_ERR_NOT_FOUND:
    snprintf(msg, msglen, "no record %s", uuid);
    break;
  case SYNC_ERR_STATE:
    snprintf(msg, msglen, "record %s is deleted", uuid);
    break;
  case SYNC_ERR_VALIDATION: {
    sbuf_t b;
    sbuf_init(&b);
    sbuf_puts(&b, "the new answers do not fit the record's form:");
    for (size_t i = 0; i < issues.count; i++)
      sbuf_printf(&b, " %s (%s)", issues.items[i].field, issues.items[i].code);
    snprintf(msg, msglen, "%s", b.data ? b.data : "invalid");
    sbuf_free(&b);
    break;
  }
  default:
    snprintf(msg, msglen, "%s (%s)", sync_strerror(e), db_errmsg(c));
    break;
  }
  issue_list_clear(&issues);
  return e;
}
