/* The export's integrity check of sealed records (export_verify.h, SECURITY.md 4). */
#include "export_verify.h"

#include <cJSON.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "device_sig.h"
#include "export.h"
#include "export_sealed.h"
#include "form_def.h"
#include "form_seal.h"

typedef enum integrity {
  IN_OK, IN_UNSIGNED, IN_BAD_SIGNATURE, IN_BAD_CERTIFICATE, IN_CONSENT, IN_N
} integrity_t;

static const char *const NAMES[IN_N] = {"ok", "unsigned", "bad_signature", "bad_certificate",
                                        "consent_violation"};

#define LISTED 10   /* uuids named per class in the summary */

typedef struct form_entry {
  char form_id[PROTO_FORM_ID_MAX + 1];
  int version;
  form_t *form;
  seal_dict_t *dict;          /* its compression dictionary, NULL when it has none */
} form_entry_t;

struct exp_verify {
  db_conn_t *c;
  const sync_seal_opener_t *opener;
  unsigned char server_pk[32];
  pthread_mutex_t lock;       /* the connection, the form cache, the counts */
  form_entry_t *forms;
  size_t n_forms;
  long long count[IN_N];
  char listed[IN_N][LISTED][PROTO_UUID_LEN + 1];
};

sync_err_t export_verify_new(db_conn_t *c, const sync_seal_opener_t *opener, exp_verify_t **out)
{
  *out = NULL;
  exp_verify_t *v = calloc(1, sizeof *v);
  if (!v)
    return SYNC_ERR_NOMEM;
  db_keys_t keys;
  sync_err_t e = db_keys_get(c, &keys);
  size_t n = 0;
  if (e == SYNC_OK &&
      (sodium_base642bin(v->server_pk, sizeof v->server_pk, keys.receipt_pk,
                         strlen(keys.receipt_pk), NULL, &n, NULL,
                         sodium_base64_VARIANT_ORIGINAL) != 0 || n != sizeof v->server_pk))
    e = SYNC_ERR_CORRUPT;
  db_keys_wipe(&keys);
  if (e != SYNC_OK || pthread_mutex_init(&v->lock, NULL) != 0) {
    free(v);
    return e != SYNC_OK ? e : SYNC_ERR_INTERNAL;
  }
  v->c = c;
  v->opener = opener;
  *out = v;
  return SYNC_OK;
}

void export_verify_free(exp_verify_t *v)
{
  if (!v)
    return;
  for (size_t i = 0; i < v->n_forms; i++) {
    form_free(v->forms[i].form);
    seal_dict_free(v->forms[i].dict);
  }
  free(v->forms);
  pthread_mutex_destroy(&v->lock);
  free(v);
}

/* The record's form and its dictionary, read once (lock held). NULL when it cannot be read. */
static const form_entry_t *form_of(exp_verify_t *v, const char *form_id, int version)
{
  for (size_t i = 0; i < v->n_forms; i++)
    if (v->forms[i].version == version && strcmp(v->forms[i].form_id, form_id) == 0)
      return &v->forms[i];
  char *definition = NULL, errbuf[256];
  sync_err_t e = SYNC_OK;
  if (db_form_get(v->c, form_id, version, &definition, NULL) != SYNC_OK)
    return NULL;
  form_t *f = form_parse(definition, strlen(definition), &e, errbuf, sizeof errbuf);
  free(definition);
  seal_dict_t *dict = NULL;
  form_entry_t *grown = f && form_seal_dict(f, &dict) == SYNC_OK
                        ? realloc(v->forms, (v->n_forms + 1) * sizeof *grown) : NULL;
  if (!grown) {
    seal_dict_free(dict);
    form_free(f);
    return NULL;
  }
  v->forms = grown;
  form_entry_t *ent = &v->forms[v->n_forms++];
  snprintf(ent->form_id, sizeof ent->form_id, "%s", form_id);
  ent->version = version;
  ent->form = f;
  ent->dict = dict;
  return ent;
}

/* The device revision whose sealed text the record carries: its seq, source, signature and key
 * (empty when unsigned). 0 found, 1 none, -1 error. Lock held. */
static int signed_revision(exp_verify_t *v, const exp_stored_t *rec, int64_t *seq, char *source,
                           char *sig, char *key, int64_t *received_at)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(v->c->h, "SELECT r.server_seq, r.source, coalesce(r.device_sig, ''),"
                                   " coalesce(r.sig_key, ''), r.received_at"
                                   " FROM record_keys k JOIN record_revisions r"
                                   " ON r.server_seq = k.server_seq WHERE k.uuid = ?1"
                                   " AND k.source <> 'central' AND r.sealed = ?2"
                                   " ORDER BY k.hlc DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, rec->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, rec->sealed, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st), found = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
  if (found == 0) {
    *seq = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, source, PROTO_UUID_LEN + 1);
    db_col_text(st, 2, sig, PROTO_SIG_B64_LEN + 1);
    db_col_text(st, 3, key, PROTO_KEY_B64_LEN + 1);
    *received_at = sqlite3_column_int64(st, 4);
  }
  sqlite3_finalize(st);
  return found;
}

/* 1 when `device` holds a certified key registered at or before `at` (so it signed what it sent
 * then), 0 when not, -1 on error. Lock held. */
static int had_key(exp_verify_t *v, const char *device, int64_t at)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(v->c->h, "SELECT signing_key, enrolled_at, cert FROM device_keys"
                                   " WHERE device_id = ?1 AND enrolled_at <= ?2", -1, &st,
                         NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, at);
  int rc, had = 0;
  while (!had && (rc = sqlite3_step(st)) == SQLITE_ROW)
    had = devsig_cert_verify(v->server_pk, device, (const char *)sqlite3_column_text(st, 0),
                             sqlite3_column_int64(st, 1),
                             (const char *)sqlite3_column_text(st, 2)) == SYNC_OK;
  sqlite3_finalize(st);
  return had;
}

/* SYNC_OK when `key` of `device` has a certificate under the server's receipt key. Lock held. */
static sync_err_t key_certified(exp_verify_t *v, const char *device, const char *key)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(v->c->h, "SELECT enrolled_at, cert FROM device_keys"
                                   " WHERE device_id = ?1 AND signing_key = ?2", -1, &st,
                         NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
  sync_err_t e = SYNC_ERR_CRYPTO;
  if (sqlite3_step(st) == SQLITE_ROW)
    e = devsig_cert_verify(v->server_pk, device, key, sqlite3_column_int64(st, 0),
                           (const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  return e;
}

/* The signature and certificate checks of a sealed record (lock held); why says what failed. */
static integrity_t check_signed(exp_verify_t *v, const exp_stored_t *rec, char *why, size_t wl)
{
  int64_t seq = 0, received_at = 0;
  char source[PROTO_UUID_LEN + 1] = "", sig[PROTO_SIG_B64_LEN + 1] = "";
  char key[PROTO_KEY_B64_LEN + 1] = "";
  int found = signed_revision(v, rec, &seq, source, sig, key, &received_at);
  if (found != 0) {
    snprintf(why, wl, found < 0 ? "cannot read its revisions: %s"
                                : "the sealed text is not one its device sent%s",
             found < 0 ? db_errmsg(v->c) : "");
    return IN_BAD_SIGNATURE;
  }
  if (!sig[0] || !key[0]) {
    int had = had_key(v, source, received_at);
    if (had == 0)
      return IN_UNSIGNED;
    snprintf(why, wl, "its device signs sealed answers, this revision carries no signature");
    return IN_BAD_SIGNATURE;
  }
  proto_change_t *ch = NULL;
  sync_err_t e = db_revision_load(v->c, seq, &ch);
  if (e == SYNC_OK) {
    snprintf(ch->device_sig, sizeof ch->device_sig, "%s", sig);
    e = devsig_verify(key, source, ch);
  }
  db_change_free(ch);
  if (e != SYNC_OK) {
    snprintf(why, wl, "the device's signature does not match the stored revision");
    return IN_BAD_SIGNATURE;
  }
  if (key_certified(v, source, key) != SYNC_OK) {
    snprintf(why, wl, "the device's signing key has no valid certificate by the receipt key");
    return IN_BAD_CERTIFICATE;
  }
  return IN_OK;
}

/* Drops every answer the consent rule forbids; 1 when one was dropped. */
static int drop_unconsented(const form_t *f, cJSON *answers)
{
  int dropped = 0;
  for (int guard = 0; guard < 10000; guard++) {
    char *text = cJSON_PrintUnformatted(answers), field[160] = "";
    sync_err_t e = text ? form_check_consent(f, text, strlen(text), field, sizeof field)
                        : SYNC_ERR_NOMEM;
    free(text);
    if (e != SYNC_ERR_VALIDATION || !field[0] ||
        !cJSON_GetObjectItemCaseSensitive(answers, field))
      break;
    cJSON_DeleteItemFromObjectCaseSensitive(answers, field);
    dropped = 1;
  }
  return dropped;
}

/* Counts a record that is not ok and names it on stderr unless `why` is NULL (the export names a
 * record it leaves out itself). Lock held. */
static void note(exp_verify_t *v, integrity_t in, const char *uuid, const char *why)
{
  if (v->count[in] < LISTED)
    snprintf(v->listed[in][v->count[in]], PROTO_UUID_LEN + 1, "%s", uuid);
  v->count[in]++;
  if (why)
    fprintf(stderr, "syncserver: record %s integrity %s: %s\n", uuid, NAMES[in], why);
}

cJSON *export_open_verified(void *ctx, const exp_stored_t *rec, exp_opened_t *st, char *why,
                            size_t whylen)
{
  exp_verify_t *v = ctx;
  if (!rec->sealed)
    return export_open_sealed((void *)v->opener, rec, st, why, whylen);
  char detail[200] = "";
  pthread_mutex_lock(&v->lock);
  integrity_t in = check_signed(v, rec, detail, sizeof detail);
  const form_entry_t *fe = form_of(v, rec->form_id, rec->form_version);
  /* the entry's form and dictionary stay put: the cache only grows, by realloc of the array,
   * so take the pointers now, under the lock */
  const form_t *f = fe ? fe->form : NULL;
  const seal_dict_t *dict = fe ? fe->dict : NULL;
  if (in == IN_BAD_SIGNATURE || in == IN_BAD_CERTIFICATE) {
    note(v, in, rec->uuid, NULL);
    pthread_mutex_unlock(&v->lock);
    snprintf(why, whylen, "integrity %s: %s; its sealed answers are not written", NAMES[in],
             detail);
    return NULL;
  }
  pthread_mutex_unlock(&v->lock);
  if (!f) {
    snprintf(why, whylen, "its form %s version %d cannot be read", rec->form_id,
             rec->form_version);
    return NULL;
  }
  /* The clear part is not checked against the split here: central staff write central fields
   * into it by design, and the device's own clear part was checked at push and is covered by
   * its signature (the payload hash). */
  cJSON *answers = export_open_sealed_dict(v->opener, dict, rec, st, why, whylen);
  if (!answers)
    return NULL;
  integrity_t after = drop_unconsented(f, answers) ? IN_CONSENT : IN_OK;
  st->integrity = NAMES[after != IN_OK ? after : in];
  pthread_mutex_lock(&v->lock);
  if (after != IN_OK)
    note(v, after, rec->uuid, "answers given without consent are not written");
  else if (in == IN_UNSIGNED)
    note(v, in, rec->uuid, "its device was enrolled before device signatures");
  else
    v->count[IN_OK]++;
  pthread_mutex_unlock(&v->lock);
  return answers;
}

long long export_verify_report(const exp_verify_t *v, FILE *f)
{
  long long failed = 0;
  for (int in = IN_UNSIGNED; in < IN_N; in++) {
    if (!v->count[in])
      continue;
    if (in != IN_UNSIGNED)
      failed += v->count[in];
    fprintf(f, "syncserver: integrity %s: %lld record(s):", NAMES[in], v->count[in]);
    for (long long i = 0; i < v->count[in] && i < LISTED; i++)
      if (v->listed[in][i][0])
        fprintf(f, " %s", v->listed[in][i]);
    fprintf(f, "%s\n", v->count[in] > LISTED ? " ..." : "");
  }
  return failed;
}
