/* syncctl record import (JSON lines in, batched transactions, a report of rejected lines by number)
 * and record export (JSON lines out, paged so memory stays flat). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* One import line: either a bare payload (needs --form) or an exported record object. */
static sync_err_t import_line(cli_t *cli, const char *line, const char *form, int draft, char *why, size_t whylen)
{
  cJSON *doc = cJSON_Parse(line);
  if (!cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    snprintf(why, whylen, "not a JSON object");
    return SYNC_ERR_JSON;
  }
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(doc, "payload");
  const cJSON *fid = cJSON_GetObjectItemCaseSensitive(doc, "form_id");
  const char *form_id = form;
  int version = 0;
  sync_record_status_t status = draft ? SYNC_STATUS_DRAFT : SYNC_STATUS_FINAL;
  char *text = NULL;
  sync_err_t err;
  if (cJSON_IsObject(payload) && cJSON_IsString(fid)) {
    form_id = fid->valuestring;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "form_version");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
    version = cJSON_IsNumber(v) ? v->valueint : 0;
    if (cJSON_IsString(st))
      status = strcmp(st->valuestring, "draft") == 0 ? SYNC_STATUS_DRAFT : SYNC_STATUS_FINAL;
    text = cJSON_PrintUnformatted(payload);
  } else if (form_id) {
    text = strdup(line);
  } else {
    cJSON_Delete(doc);
    snprintf(why, whylen, "a bare payload needs --form");
    return SYNC_ERR_INVALID_ARG;
  }
  err = text ? sync_record_create(cli->store, form_id, version, text, status, NULL) : SYNC_ERR_NOMEM;
  if (err != SYNC_OK)
    snprintf(why, whylen, "%s", *sync_store_errmsg(cli->store) ? sync_store_errmsg(cli->store) : sync_strerror(err));
  free(text);
  cJSON_Delete(doc);
  return err;
}

static void report_rejected(cli_t *cli, cJSON *rejected, long lineno, sync_err_t err, const char *why)
{
  if (!cli->json) {
    fprintf(stderr, "line %ld: %s: %s\n", lineno, sync_errname(err), why);
    for (size_t i = 0; i < sync_store_issue_count(cli->store); i++)
      fprintf(stderr, "  %-28s %-14s %s\n", sync_store_issue_field(cli->store, i),
              sync_store_issue_code(cli->store, i), sync_store_issue_message(cli->store, i));
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "line", (double)lineno);
  cJSON_AddStringToObject(o, "error", sync_errname(err));
  cJSON_AddStringToObject(o, "message", why);
  char *issues = NULL;
  if (sync_store_issue_count(cli->store) && sync_store_issues_json(cli->store, &issues) == SYNC_OK)
    cJSON_AddItemToObject(o, "issues", cJSON_Parse(issues));
  sync_free(issues);
  cJSON_AddItemToArray(rejected, o);
}

int cmd_record_import(cli_t *cli, int argc, char **argv)
{
  const char *form = NULL, *batch_opt = NULL, *pos[1];
  int draft = 0;
  cli_opt_t opts[] = {{"form", &form, NULL}, {"batch", &batch_opt, NULL}, {"draft", NULL, &draft}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 1) != 1)
    return cli_usage_error("usage: record import [--form ID] [--draft] [--batch N] FILE.jsonl|-");
  long batch = batch_opt ? strtol(batch_opt, NULL, 10) : 500;
  if (batch < 1)
    return cli_usage_error("--batch takes a positive number");
  FILE *in = strcmp(pos[0], "-") == 0 ? stdin : fopen(pos[0], "r");
  if (!in) {
    fprintf(stderr, "syncctl: cannot read '%s'\n", pos[0]);
    return EXIT_FAIL;
  }
  int rc = cli_open_store(cli, 0);
  cJSON *rejected = cJSON_CreateArray();
  long lineno = 0, imported = 0, nrejected = 0, in_batch = 0;
  char *line = NULL;
  size_t cap = 0;
  sync_err_t err = rc == EXIT_OK ? sync_store_begin(cli->store) : SYNC_OK;
  if (err != SYNC_OK)
    rc = cli_fail(cli, err, "record import");
  while (rc == EXIT_OK) {
    ssize_t n = getline(&line, &cap, in);
    if (n < 0)
      break;
    lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    if (n == 0)
      continue;
    char why[512];
    sync_err_t e = import_line(cli, line, form, draft, why, sizeof why);
    if (e != SYNC_OK) {
      nrejected++;
      report_rejected(cli, rejected, lineno, e, why);
      continue;
    }
    imported++;
    if (++in_batch == batch) {
      in_batch = 0;
      if ((err = sync_store_commit(cli->store)) != SYNC_OK || (err = sync_store_begin(cli->store)) != SYNC_OK)
        rc = cli_fail(cli, err, "record import");
    }
  }
  if (rc == EXIT_OK && (err = sync_store_commit(cli->store)) != SYNC_OK)
    rc = cli_fail(cli, err, "record import");
  if (rc == EXIT_OK) {
    if (cli->json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddBoolToObject(o, "ok", nrejected == 0);
      cJSON_AddNumberToObject(o, "imported", (double)imported);
      cJSON_AddNumberToObject(o, "rejected_count", (double)nrejected);
      cJSON_AddItemToObject(o, "rejected", rejected);
      rejected = NULL;
      cli_print_json_owned(cJSON_PrintUnformatted(o));
      cJSON_Delete(o);
    } else {
      printf("imported %ld record(s); %ld line(s) rejected\n", imported, nrejected);
    }
    rc = nrejected ? EXIT_FAIL : EXIT_OK;
  }
  cJSON_Delete(rejected);
  free(line);
  if (in != stdin)
    fclose(in);
  return rc;
}

int cmd_record_export(cli_t *cli, int argc, char **argv)
{
  const char *form = NULL, *status = NULL, *since = NULL, *until = NULL, *pos[1];
  int deleted = 0;
  cli_opt_t opts[] = {{"form", &form, NULL},   {"status", &status, NULL}, {"since", &since, NULL},
                      {"until", &until, NULL}, {"deleted", NULL, &deleted}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0)
    return EXIT_USAGE;
  sync_query_t q;
  sync_query_init(&q);
  int rc = record_query_from_opts(&q, form, status, since, until);
  if (rc != EXIT_OK || (rc = cli_open_store(cli, 0)) != EXIT_OK)
    return rc;
  q.include_deleted = deleted;
  q.limit = 1000;
  for (;;) {
    sync_record_list_t *list;
    sync_err_t err = sync_record_list(cli->store, &q, &list);
    if (err != SYNC_OK)
      return cli_fail(cli, err, "record export");
    size_t n = sync_record_list_count(list);
    for (size_t i = 0; i < n && err == SYNC_OK; i++) {
      char *json;
      err = sync_record_to_json(sync_record_list_at(list, i), &json);
      if (err == SYNC_OK)
        puts(json);
      sync_free(json);
    }
    sync_record_list_free(list);
    if (err != SYNC_OK)
      return cli_fail(cli, err, "record export");
    if (n < q.limit)
      break;
    q.offset += n;
  }
  return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
