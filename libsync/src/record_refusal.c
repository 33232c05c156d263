/* Refused records and their way forward (sync/record.h: sync_record_refusal_issues, and the
 * records the server's form sets going again, store_internal.h: store_records_fit_form). */
#include "refusal.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sync_err_t sync_record_refusal_issues(sync_store_t *store, const char *uuid)
{
  if (!store || !uuid)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "uuid is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 1);
  sync_record_t *rec = NULL;
  sync_err_t err = sync_record_get(store, uuid, &rec);
  if (err)
    return err;
  sqlite3_stmt *st;
  if ((err = store_stmt(store, STMT_REC_REFUSAL, &st)) != SYNC_OK)
    goto done;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  char *stored = rc == SQLITE_ROW && sqlite3_column_text(st, 0)
                     ? strdup((const char *)sqlite3_column_text(st, 0))
                     : NULL;
  int rrc = sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    err = store_fail_sqlite(store, rrc != SQLITE_OK ? rrc : rc, "cannot read the refusal");
  } else if (stored) {
    const form_t *f = NULL;
    (void)store_form_get(store, rec->form_id, rec->form_version, &f, NULL);
    store_reset_error(store, 1);
    if (refusal_issues(f, stored, store->language, &store->issues) != 0)
      err = store_fail(store, SYNC_ERR_NOMEM, "out of memory reading the refusal");
  }
  free(stored);
done:
  sync_record_free(rec);
  return err;
}

/* A waiting record of the form, as found before any of them is written. */
typedef struct waiting {
  char uuid[UUID_TEXT_LEN + 1];
} waiting_t;

static sync_err_t list_waiting(sync_store_t *s, const char *form_id, int version, int replaced,
                               waiting_t **out, size_t *n)
{
  sqlite3_stmt *st;
  size_t cap = 0;
  *out = NULL;
  *n = 0;
  sync_err_t err = store_stmt(s, STMT_REC_WAITING_OF_FORM, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, version);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int refused = sqlite3_column_int(st, 1);
    const char *why = (const char *)sqlite3_column_text(st, 2);
    if (!replaced && !(refused && refusal_is_form_mismatch(why)))
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      waiting_t *w = realloc(*out, cap * sizeof *w);
      if (!w) {
        sqlite3_reset(st);
        return store_fail(s, SYNC_ERR_NOMEM, "out of memory listing the waiting records");
      }
      *out = w;
    }
    snprintf((*out)[(*n)++].uuid, UUID_TEXT_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
  }
  int rrc = sqlite3_reset(st);
  return rc == SQLITE_DONE ? SYNC_OK
                           : store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc,
                                               "cannot list the waiting records");
}

/* The record's answers do not fit the form it must be sent with: its newest revision is refused
 * on the device (form_changed, with the issues of the check), and earlier ones are not sent. */
static sync_err_t refuse_on_device(sync_store_t *s, const char *uuid)
{
  char *why = refusal_from_issues("form_changed", &s->issues);
  if (!why)
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory");
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_OUTBOX_REFUSE_HEAD, &st);
  if (err == SYNC_OK) {
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, store_now_ms());
    sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
    int rc = store_step_done(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
      err = store_fail_sqlite(s, rc, "cannot mark the record refused");
  }
  if (err == SYNC_OK && (err = store_stmt(s, STMT_OUTBOX_DROP_WAITING, &st)) == SYNC_OK) {
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    int rc = store_step_done(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
      err = store_fail_sqlite(s, rc, "cannot set aside the earlier revisions");
  }
  free(why);
  return err;
}

sync_err_t store_records_fit_form(sync_store_t *s, const char *form_id, int version, int replaced,
                                  int64_t *requeued, int64_t *to_fix)
{
  waiting_t *w = NULL;
  size_t n = 0;
  *requeued = *to_fix = 0;
  sync_err_t err = list_waiting(s, form_id, version, replaced, &w, &n);
  for (size_t i = 0; err == SYNC_OK && i < n; i++) {
    err = record_reseal(s, w[i].uuid);
    if (err == SYNC_OK) {
      (*requeued)++;
    } else if (err == SYNC_ERR_VALIDATION) {
      if ((err = refuse_on_device(s, w[i].uuid)) == SYNC_OK)
        (*to_fix)++;
    }
  }
  issue_list_clear(&s->issues);
  free(w);
  return err;
}
