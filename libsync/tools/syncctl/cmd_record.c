/* syncctl record add | update | revise | get | receipt | list | finalize | discard | delete
 * (import and export live in cmd_transfer.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "computed.h"

static const char *status_name(sync_record_status_t s)
{
  return s == SYNC_STATUS_FINAL ? "final" : "draft";
}

static int print_ok_uuid(const cli_t *cli, const char *verb, const char *uuid)
{
  if (cli->json)
    printf("{\"ok\":true,\"uuid\":\"%s\"}\n", uuid);
  else if (verb)
    printf("%s %s\n", uuid, verb);
  else
    printf("%s\n", uuid);
  return EXIT_OK;
}

static int record_add(cli_t *cli, int argc, char **argv)
{
  const char *form = NULL, *version = "0", *pos[1];
  int draft = 0;
  cli_opt_t opts[] = {{"form", &form, NULL}, {"version", &version, NULL}, {"draft", NULL, &draft}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 1) != 1 || !form)
    return cli_usage_error("usage: record add --form ID [--version N] [--draft] FILE|-");
  char *json = cli_read_input(pos[0], NULL);
  if (!json)
    return EXIT_FAIL;
  int rc = cli_open_store(cli, 0);
  if (rc == EXIT_OK) {
    char uuid[SYNC_UUID_STRLEN + 1];
    sync_err_t err = sync_record_create(cli->store, form, atoi(version), json,
                                        draft ? SYNC_STATUS_DRAFT : SYNC_STATUS_FINAL, uuid);
    rc = err == SYNC_OK ? print_ok_uuid(cli, NULL, uuid) : cli_fail(cli, err, "record add");
  }
  free(json);
  return rc;
}

typedef sync_err_t (*payload_op_fn)(sync_store_t *, const char *, const char *);

static int record_payload_op(cli_t *cli, const char *uuid, const char *path, payload_op_fn op,
                             const char *what, const char *verb)
{
  char *json = cli_read_input(path, NULL);
  if (!json)
    return EXIT_FAIL;
  int rc = cli_open_store(cli, 0);
  if (rc == EXIT_OK) {
    sync_err_t err = op(cli->store, uuid, json);
    rc = err == SYNC_OK ? print_ok_uuid(cli, verb, uuid) : cli_fail(cli, err, what);
  }
  free(json);
  return rc;
}

typedef sync_err_t (*uuid_op_fn)(sync_store_t *, const char *);

static int record_uuid_op(cli_t *cli, const char *uuid, uuid_op_fn op, const char *what, const char *verb)
{
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  sync_err_t err = op(cli->store, uuid);
  return err == SYNC_OK ? print_ok_uuid(cli, verb, uuid) : cli_fail(cli, err, what);
}

static int record_get(cli_t *cli, const char *uuid)
{
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  sync_record_t *rec;
  sync_err_t err = sync_record_get(cli->store, uuid, &rec);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "record get");
  char *json;
  err = sync_record_to_json(rec, &json);
  sync_record_free(rec);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "record get");
  puts(json);
  sync_free(json);
  return EXIT_OK;
}

int record_query_from_opts(sync_query_t *q, const char *form, const char *status, const char *since,
                           const char *until)
{
  q->form_id = form;
  if (status) {
    if (strcmp(status, "draft") == 0)
      q->status_mask = SYNC_STATUS_DRAFT;
    else if (strcmp(status, "final") == 0)
      q->status_mask = SYNC_STATUS_FINAL;
    else
      return cli_usage_error("--status takes draft or final");
  }
  if (since && (q->updated_from_ms = cli_parse_day_ms(since)) < 0)
    return cli_usage_error("--since takes a date YYYY-MM-DD");
  if (until && (q->updated_to_ms = cli_parse_day_ms(until)) < 0)
    return cli_usage_error("--until takes a date YYYY-MM-DD");
  if (until)
    q->updated_to_ms += 86400000LL; /* the whole day */
  return EXIT_OK;
}

static int record_list(cli_t *cli, int argc, char **argv)
{
  const char *form = NULL, *status = NULL, *since = NULL, *until = NULL, *limit = NULL, *offset = NULL, *pos[1];
  int deleted = 0;
  cli_opt_t opts[] = {{"form", &form, NULL},   {"status", &status, NULL}, {"since", &since, NULL},
                      {"until", &until, NULL}, {"limit", &limit, NULL},   {"offset", &offset, NULL},
                      {"deleted", NULL, &deleted}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0)
    return EXIT_USAGE;
  sync_query_t q;
  sync_query_init(&q);
  int rc = record_query_from_opts(&q, form, status, since, until);
  if (rc != EXIT_OK)
    return rc;
  q.include_deleted = deleted;
  q.limit = limit ? (size_t)strtoul(limit, NULL, 10) : 100;
  q.offset = offset ? (size_t)strtoul(offset, NULL, 10) : 0;
  if ((rc = cli_open_store(cli, 0)) != EXIT_OK)
    return rc;
  sync_record_list_t *list;
  sync_err_t err = sync_record_list(cli->store, &q, &list);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "record list");
  computed_t *calc = computed_new(cli->store);
  size_t n = sync_record_list_count(list);
  cJSON *arr = cli->json ? cJSON_CreateArray() : NULL;
  for (size_t i = 0; i < n; i++) {
    const sync_record_t *r = sync_record_list_at(list, i);
    char when[32];
    cli_iso_time(sync_record_updated_at(r), when, sizeof when);
    if (arr) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "uuid", sync_record_uuid(r));
      cJSON_AddStringToObject(o, "form_id", sync_record_form_id(r));
      cJSON_AddNumberToObject(o, "form_version", sync_record_form_version(r));
      cJSON_AddStringToObject(o, "status", status_name(sync_record_status(r)));
      cJSON_AddNumberToObject(o, "revision", (double)sync_record_revision(r));
      cJSON_AddBoolToObject(o, "deleted", sync_record_deleted(r));
      cJSON_AddStringToObject(o, "delivery", sync_delivery_name(sync_record_delivery(r)));
      cJSON_AddStringToObject(o, "updated", when);
      cJSON_AddItemToObject(o, "computed", computed_values(calc, r));
      cJSON_AddItemToArray(arr, o);
    } else {
      char vals[512];
      computed_text(calc, r, vals, sizeof vals);
      printf("%s  %s v%d  %-5s r%-3lld %s %-9s%s  %s\n", sync_record_uuid(r), sync_record_form_id(r),
             sync_record_form_version(r), status_name(sync_record_status(r)),
             (long long)sync_record_revision(r), when, sync_delivery_name(sync_record_delivery(r)),
             sync_record_deleted(r) ? " deleted" : "", vals);
    }
  }
  if (arr) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddNumberToObject(o, "total", (double)sync_record_list_total(list));
    cJSON_AddNumberToObject(o, "offset", (double)q.offset);
    cJSON_AddItemToObject(o, "records", arr);
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
  } else {
    printf("%zu of %lld record(s)\n", n, (long long)sync_record_list_total(list));
  }
  computed_free(calc);
  sync_record_list_free(list);
  return EXIT_OK;
}

/* Every record refused for good, with why in --lang: what waits for the officer. */
static int record_refused(cli_t *cli)
{
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  sync_query_t q;
  sync_query_init(&q);
  q.status_mask = SYNC_STATUS_FINAL;
  q.limit = 1000;
  cJSON *arr = cli->json ? cJSON_CreateArray() : NULL;
  long long found = 0;
  for (;; q.offset += q.limit) {
    sync_record_list_t *list;
    sync_err_t err = sync_record_list(cli->store, &q, &list);
    if (err != SYNC_OK) {
      cJSON_Delete(arr);
      return cli_fail(cli, err, "record refused");
    }
    size_t n = sync_record_list_count(list);
    for (size_t i = 0; i < n; i++) {
      const sync_record_t *r = sync_record_list_at(list, i);
      if (sync_record_delivery(r) != SYNC_DELIVERY_REFUSED)
        continue;
      found++;
      if (arr) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "uuid", sync_record_uuid(r));
        cJSON_AddBoolToObject(o, "sealed", sync_record_sealed(r));
        cJSON_AddStringToObject(o, "refusal", sync_record_refusal(r));
        cJSON_AddItemToArray(arr, o);
      } else {
        printf("%s%s\n  %s\n", sync_record_uuid(r), sync_record_sealed(r) ? " (sealed)" : "",
               sync_record_refusal(r));
      }
    }
    sync_record_list_free(list);
    if (n < q.limit)
      break;
  }
  if (arr) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddNumberToObject(o, "total", (double)found);
    cJSON_AddItemToObject(o, "records", arr);
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
  } else {
    printf("%lld record(s) refused: correct one with 'record revise UUID FILE', or send it again "
           "with 'record resend UUID'\n", found);
  }
  return EXIT_OK;
}

int cmd_record(cli_t *cli, int argc, char **argv)
{
  if (argc < 1)
    return cli_usage_error("record needs a subcommand");
  const char *sub = argv[0];
  argc--;
  argv++;
  if (strcmp(sub, "add") == 0)
    return record_add(cli, argc, argv);
  if (strcmp(sub, "list") == 0)
    return record_list(cli, argc, argv);
  if (strcmp(sub, "import") == 0)
    return cmd_record_import(cli, argc, argv);
  if (strcmp(sub, "export") == 0)
    return cmd_record_export(cli, argc, argv);
  if (argc == 2 && strcmp(sub, "update") == 0)
    return record_payload_op(cli, argv[0], argv[1], sync_record_update, "record update", "updated");
  if (argc == 2 && strcmp(sub, "revise") == 0)
    return record_payload_op(cli, argv[0], argv[1], sync_record_revise, "record revise", "revised");
  if (argc == 1 && strcmp(sub, "get") == 0)
    return record_get(cli, argv[0]);
  if (argc == 1 && strcmp(sub, "receipt") == 0)
    return cmd_record_receipt(cli, argv[0]);
  if (argc == 1 && strcmp(sub, "finalize") == 0)
    return record_uuid_op(cli, argv[0], sync_record_finalize, "record finalize", "finalized");
  if (argc == 1 && strcmp(sub, "discard") == 0)
    return record_uuid_op(cli, argv[0], sync_record_discard, "record discard", "discarded");
  if (argc == 1 && strcmp(sub, "delete") == 0)
    return record_uuid_op(cli, argv[0], sync_record_delete, "record delete", "deleted");
  if (argc == 1 && strcmp(sub, "resend") == 0)
    return record_uuid_op(cli, argv[0], sync_record_resend, "record resend", "queued again");
  if (argc == 0 && strcmp(sub, "refused") == 0)
    return record_refused(cli);
  return cli_usage_error("bad 'record %s' arguments", sub);
}
