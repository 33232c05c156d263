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
#include "query.h"
#include "review.h"
#include "sbuf.h"

/* Filter options shared by `records` and `export`: --form --region --from --to --date --status
 * --case-status --result. Returns 0, or 2 after printing the problem. */
int admin_filter(const cli_t *c, rq_filter_t *f)
{
  for (size_t i = 0; RQ_KEYS[i]; i++) {
    const char *v = cli_opt(c, RQ_KEYS[i]);
    char err[200];
    if (v && rq_filter_set(f, RQ_KEYS[i], v, err, sizeof err) != 0) {
      fprintf(stderr, "syncserver: %s\n", err);
      return 2;
    }
  }
  return 0;
}

static const char *col_str(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : "";
}

int admin_records(const cli_t *c)
{
  static const char *const known[] = {"db", "form", "limit", "region", "from", "to", "date",
                                      "status", "case-status", "result", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  int limit = 0;
  const char *lim = cli_opt(c, "limit");
  if (lim && (limit = atoi(lim)) <= 0) {
    fprintf(stderr, "syncserver: --limit must be a positive number\n");
    return 2;
  }
  rq_filter_t f;
  rq_filter_init(&f);
  f.status = RQ_STATUS_ALL;   /* the listing shows deletions unless asked otherwise */
  if (admin_filter(c, &f))
    return 2;
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  sbuf_t sql;
  sbuf_init(&sql);
  sbuf_puts(&sql, "SELECT r.uuid, r.revision, r.form_id, r.form_version, r.creator_device,"
                  " r.head_source, r.server_seq, r.received_at, r.deleted, r.hlc,"
                  " json_extract(r.payload, '$.province'), json_extract(r.payload, '$.regency_code'),"
                  " json_extract(r.payload, '$.interview_date'), " RQ_RESULT_SQL ","
                  " json_extract(r.payload, '$.case_status') FROM records r");
  rq_where(&f, &sql);
  sbuf_puts(&sql, " ORDER BY r.server_seq DESC LIMIT :limit");
  sqlite3_stmt *st = NULL;
  if (sbuf_failed(&sql) || sqlite3_prepare_v2(db->h, sql.data, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "syncserver: %s\n", db_errmsg(db));
    sbuf_free(&sql);
    db_close(db);
    return 1;
  }
  sbuf_free(&sql);
  rq_bind(&f, st);
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), limit > 0 ? limit : -1);
  int json = cli_flag(c, "json");
  cJSON *arr = json ? cJSON_CreateArray() : NULL;
  if (!json)
    printf("%-36s  %4s  %-36s  %8s  %-20s  %-18s  %-7s  %-10s  %-17s  %s\n", "UUID", "REV",
           "DEVICE", "SEQ", "RECEIVED", "FORM", "REGION", "INTERVIEW", "RESULT", "CASE STATUS");
  int rc;
  char when[32];
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int central = strcmp(col_str(st, 5), "central") == 0, deleted = sqlite3_column_int(st, 8);
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "uuid", col_str(st, 0));
      cJSON_AddNumberToObject(o, "revision", (double)sqlite3_column_int64(st, 1));
      cJSON_AddStringToObject(o, "form_id", col_str(st, 2));
      cJSON_AddNumberToObject(o, "form_version", sqlite3_column_int(st, 3));
      cJSON_AddStringToObject(o, "device_id", col_str(st, 4));
      cJSON_AddStringToObject(o, "origin", central ? "central" : "device");
      cJSON_AddNumberToObject(o, "server_seq", (double)sqlite3_column_int64(st, 6));
      cJSON_AddNumberToObject(o, "received_at", (double)sqlite3_column_int64(st, 7));
      cJSON_AddBoolToObject(o, "deleted", deleted);
      cJSON_AddStringToObject(o, "hlc", col_str(st, 9));
      const char *keys[] = {"province", "regency_code", "interview_date", "result", "case_status"};
      for (int k = 0; k < 5; k++) {
        if (sqlite3_column_type(st, 10 + k) == SQLITE_TEXT)
          cJSON_AddStringToObject(o, keys[k], col_str(st, 10 + k));
        else
          cJSON_AddNullToObject(o, keys[k]);
      }
      cJSON_AddItemToArray(arr, o);
    } else {
      char form[64];
      snprintf(form, sizeof form, "%s v%d", col_str(st, 2), sqlite3_column_int(st, 3));
      const char *region = *col_str(st, 11) ? col_str(st, 11) : col_str(st, 10);
      printf("%-36s  %4lld  %-36s  %8lld  %-20s  %-18s  %-7s  %-10s  %-17s  %s%s%s\n",
             col_str(st, 0), (long long)sqlite3_column_int64(st, 1), col_str(st, 4),
             (long long)sqlite3_column_int64(st, 6),
             admin_time(sqlite3_column_int64(st, 7), when, sizeof when), form,
             *region ? region : "-", *col_str(st, 12) ? col_str(st, 12) : "-",
             *col_str(st, 13) ? col_str(st, 13) : "-", *col_str(st, 14) ? col_str(st, 14) : "-",
             central ? " central" : "", deleted ? " deleted" : "");
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    fprintf(stderr, "syncserver: %s\n", db_errmsg(db));
    cJSON_Delete(arr);
    db_close(db);
    return 1;
  }
  db_close(db);
  return json ? admin_print_json(arr) : 0;
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
  if (admin_named_result(e, "record", uuid))
    return 1;
  /* Exactly the stored bytes; a newline only for a human at a terminal. */
  fwrite(payload, 1, strlen(payload), stdout);
  if (isatty(STDOUT_FILENO))
    fputc('\n', stdout);
  free(payload);
  return 0;
}

/* ---- central writes ---------------------------------------------------------------------- */

int admin_record_set_status(const cli_t *c)
{
  static const char *const known[] = {"db", "status", "referral", "by", "flag:force", NULL};
  if (cli_check(c, known))
    return 2;
  const char *uuid = cli_pos(c, 0), *status = cli_opt(c, "status"), *by = cli_opt(c, "by");
  const char *referral = cli_opt(c, "referral");
  if (!uuid || (!status && !referral) || (status && !*status) || (referral && !*referral) ||
      !by || !*by) {
    fprintf(stderr, "syncserver: record set-status UUID --status S [--referral R] --by NAME\n");
    return 2;
  }
  if (strlen(by) > 128) {
    fprintf(stderr, "syncserver: --by is limited to 128 characters\n");
    return 2;
  }
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  int64_t revision = 0, seq = 0;
  char msg[1024];
  sync_err_t e = review_set_status(db, uuid, status, referral, by, cli_flag(c, "force"),
                                   &revision, &seq, msg, sizeof msg);
  db_close(db);
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", msg);
    if (e == SYNC_ERR_VALIDATION)
      fprintf(stderr, "(publish a form version with these fields, or use --force)\n");
    return 1;
  }
  printf("record %s revision %lld written by %s (server_seq %lld)\n", uuid, (long long)revision,
         by, (long long)seq);
  return 0;
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
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  int64_t revision = 0, seq = 0;
  sync_err_t e = db_central_write(db, uuid, by, NULL, NULL, NULL, NULL, NULL, &revision, &seq);
  db_close(db);
  switch (e) {
  case SYNC_OK:
    printf("record %s revision %lld written by %s (server_seq %lld)\n", uuid,
           (long long)revision, by, (long long)seq);
    return 0;
  case SYNC_ERR_NOT_FOUND:
    fprintf(stderr, "syncserver: no record %s\n", uuid);
    return 1;
  case SYNC_ERR_STATE:
    fprintf(stderr, "syncserver: record %s is deleted\n", uuid);
    return 1;
  default:
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
}

/* ---- conflicts, stats --------------------------------------------------------------------- */

int admin_conflicts(const cli_t *c)
{
  int rc;
  db_conn_t *db = admin_list_open(c, &rc);
  if (!db)
    return rc;
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
  int rc;
  db_conn_t *db = admin_list_open(c, &rc);
  if (!db)
    return rc;
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
