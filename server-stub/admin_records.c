/* Admin commands on records: listing, the stored payload, central status changes and
 * deletions, conflicts, counts (admin.h). */
#include "admin.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_internal.h"
#include "form_def.h"

typedef struct rec_ctx {
  int json;
  cJSON *arr;
} rec_ctx_t;

static int print_record(void *ctx, const db_record_row_t *r)
{
  rec_ctx_t *l = ctx;
  char when[32];
  if (l->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uuid", r->uuid);
    cJSON_AddNumberToObject(o, "revision", (double)r->revision);
    cJSON_AddStringToObject(o, "form_id", r->form_id);
    cJSON_AddNumberToObject(o, "form_version", r->form_version);
    cJSON_AddStringToObject(o, "device_id", r->source);
    cJSON_AddStringToObject(o, "origin", strcmp(r->head_origin, "central") == 0 ? "central" : "device");
    cJSON_AddNumberToObject(o, "server_seq", (double)r->server_seq);
    cJSON_AddNumberToObject(o, "received_at", (double)r->received_at);
    cJSON_AddBoolToObject(o, "deleted", r->deleted);
    cJSON_AddStringToObject(o, "hlc", r->hlc);
    cJSON_AddItemToArray(l->arr, o);
  } else {
    printf("%-36s  %4lld  %-36s  %8lld  %-20s  %s v%d%s%s\n", r->uuid, (long long)r->revision,
           r->source, (long long)r->server_seq, admin_time(r->received_at, when, sizeof when),
           r->form_id, r->form_version, strcmp(r->head_origin, "central") == 0 ? " central" : "",
           r->deleted ? " deleted" : "");
  }
  return 0;
}

int admin_records(const cli_t *c)
{
  static const char *const known[] = {"db", "form", "limit", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  int limit = 0;
  const char *lim = cli_opt(c, "limit");
  if (lim && (limit = atoi(lim)) <= 0) {
    fprintf(stderr, "syncserver: --limit must be a positive number\n");
    return 2;
  }
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  rec_ctx_t l = {cli_flag(c, "json"), NULL};
  if (l.json)
    l.arr = cJSON_CreateArray();
  else
    printf("%-36s  %4s  %-36s  %8s  %-20s  %s\n", "UUID", "REV", "DEVICE", "SEQ", "RECEIVED",
           "FORM");
  sync_err_t e = db_records_list(db, cli_opt(c, "form"), limit, print_record, &l);
  db_close(db);
  if (e != SYNC_OK) {
    cJSON_Delete(l.arr);
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  return l.json ? admin_print_json(l.arr) : 0;
}

int admin_record_get(const cli_t *c)
{
  static const char *const known[] = {"db", NULL};
  if (cli_check(c, known))
    return 2;
  const char *uuid = cli_pos(c, 0);
  if (!uuid) {
    fprintf(stderr, "syncserver: record get needs the record uuid\n");
    return 2;
  }
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  char *payload = NULL;
  sync_err_t e = db_record_payload(db, uuid, &payload, NULL);
  db_close(db);
  if (e == SYNC_ERR_NOT_FOUND) {
    fprintf(stderr, "syncserver: no record %s\n", uuid);
    return 1;
  }
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  /* Exactly the stored bytes; a newline only for a human at a terminal. */
  fwrite(payload, 1, strlen(payload), stdout);
  if (isatty(STDOUT_FILENO))
    fputc('\n', stdout);
  free(payload);
  return 0;
}

/* ---- central writes ---------------------------------------------------------------------- */

typedef struct status_edit {
  const char *status, *referral;
} status_edit_t;

static char *set_status(void *ctx, const char *payload)
{
  status_edit_t *se = ctx;
  cJSON *doc = cJSON_Parse(payload);
  if (!cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return NULL;
  }
  const char *keys[2] = {"case_status", "referral_outcome"};
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

/* db_validate_fn for the admin process: parses the form version from the database. */
static sync_err_t admin_validate(void *ctx, const char *fid, int version, const char *payload,
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

static int central_write(const cli_t *c, const char *uuid, const char *by, db_edit_fn edit,
                         void *ectx, int force)
{
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  issue_list_t issues = {0};
  int64_t revision = 0, seq = 0;
  sync_err_t e = db_central_write(db, uuid, by, edit, ectx, force ? NULL : admin_validate, db,
                                  &issues, &revision, &seq);
  db_close(db);
  int rc = 1;
  switch (e) {
  case SYNC_OK:
    printf("record %s revision %lld written by %s (server_seq %lld)\n", uuid, (long long)revision,
           by, (long long)seq);
    rc = 0;
    break;
  case SYNC_ERR_NOT_FOUND:
    fprintf(stderr, "syncserver: no record %s\n", uuid);
    break;
  case SYNC_ERR_STATE:
    fprintf(stderr, "syncserver: record %s is deleted\n", uuid);
    break;
  case SYNC_ERR_VALIDATION:
    fprintf(stderr, "syncserver: the new answers do not fit the record's form:\n");
    for (size_t i = 0; i < issues.count; i++)
      fprintf(stderr, "  %s: %s (%s)\n", issues.items[i].field, issues.items[i].code,
              issues.items[i].message ? issues.items[i].message : "");
    fprintf(stderr, "(publish a form version with these fields, or use --force)\n");
    break;
  default:
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    break;
  }
  issue_list_clear(&issues);
  return rc;
}

int admin_record_set_status(const cli_t *c)
{
  static const char *const known[] = {"db", "status", "referral", "by", "flag:force", NULL};
  if (cli_check(c, known))
    return 2;
  const char *uuid = cli_pos(c, 0), *status = cli_opt(c, "status"), *by = cli_opt(c, "by");
  if (!uuid || !status || !*status || !by || !*by) {
    fprintf(stderr, "syncserver: record set-status UUID --status S [--referral R] --by NAME\n");
    return 2;
  }
  if (strlen(by) > 128) {
    fprintf(stderr, "syncserver: --by is limited to 128 characters\n");
    return 2;
  }
  status_edit_t se = {status, cli_opt(c, "referral")};
  return central_write(c, uuid, by, set_status, &se, cli_flag(c, "force"));
}

int admin_record_delete(const cli_t *c)
{
  static const char *const known[] = {"db", "by", NULL};
  if (cli_check(c, known))
    return 2;
  const char *uuid = cli_pos(c, 0), *by = cli_opt(c, "by");
  if (!uuid || !by || !*by || strlen(by) > 128) {
    fprintf(stderr, "syncserver: record delete UUID --by NAME\n");
    return 2;
  }
  return central_write(c, uuid, by, NULL, NULL, 1);
}

/* ---- conflicts, stats --------------------------------------------------------------------- */

int admin_conflicts(const cli_t *c)
{
  static const char *const known[] = {"db", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  sqlite3_stmt *st;
  const char *sql = "SELECT conflict_id, uuid, device_seq, central_seq, merged_seq, fields,"
                    " created_at FROM conflicts ORDER BY created_at, conflict_id";
  if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "syncserver: %s\n", db_errmsg(db));
    db_close(db);
    return 1;
  }
  int json = cli_flag(c, "json");
  cJSON *arr = json ? cJSON_CreateArray() : NULL;
  char when[32];
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *fields = (const char *)sqlite3_column_text(st, 5);
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "conflict_id", (const char *)sqlite3_column_text(st, 0));
      cJSON_AddStringToObject(o, "uuid", (const char *)sqlite3_column_text(st, 1));
      cJSON_AddNumberToObject(o, "device_seq", (double)sqlite3_column_int64(st, 2));
      cJSON_AddNumberToObject(o, "central_seq", (double)sqlite3_column_int64(st, 3));
      cJSON_AddNumberToObject(o, "merged_seq", (double)sqlite3_column_int64(st, 4));
      cJSON_AddItemToObject(o, "fields", cJSON_Parse(fields));
      cJSON_AddNumberToObject(o, "created_at", (double)sqlite3_column_int64(st, 6));
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%s  %s  %s  %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
             admin_time(sqlite3_column_int64(st, 6), when, sizeof when), fields);
    }
  }
  sqlite3_finalize(st);
  db_close(db);
  return json ? admin_print_json(arr) : 0;
}

int admin_stats(const cli_t *c)
{
  static const char *const known[] = {"db", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  db_counts_t n;
  sync_err_t e = db_counts(db, &n);
  char sid[PROTO_UUID_LEN + 1];
  snprintf(sid, sizeof sid, "%s", db_server_id(db));
  db_close(db);
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  if (cli_flag(c, "json")) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "server_id", sid);
    cJSON_AddNumberToObject(o, "devices", (double)n.devices);
    cJSON_AddNumberToObject(o, "forms", (double)n.forms);
    cJSON_AddNumberToObject(o, "records", (double)n.records);
    cJSON_AddNumberToObject(o, "revisions", (double)n.revisions);
    cJSON_AddNumberToObject(o, "conflicts", (double)n.conflicts);
    cJSON_AddNumberToObject(o, "last_seq", (double)n.last_seq);
    return admin_print_json(o);
  }
  printf("server_id %s\ndevices %lld\nforms %lld\nrecords %lld\nrevisions %lld\nconflicts %lld\n"
         "last_seq %lld\n", sid, (long long)n.devices, (long long)n.forms, (long long)n.records,
         (long long)n.revisions, (long long)n.conflicts, (long long)n.last_seq);
  return 0;
}
