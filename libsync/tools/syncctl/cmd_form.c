/* syncctl form add | list | show | check. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static int form_add(cli_t *cli, const char *path)
{
  size_t len;
  char *json = cli_read_input(path, &len);
  if (!json)
    return EXIT_FAIL;
  int rc = cli_open_store(cli, 0);
  if (rc == EXIT_OK) {
    char id[SYNC_FORM_ID_MAX + 1];
    int version;
    sync_err_t err = sync_form_add(cli->store, json, len, id, &version);
    if (err != SYNC_OK)
      rc = cli_fail(cli, err, "form add");
    else if (cli->json)
      printf("{\"ok\":true,\"form_id\":\"%s\",\"version\":%d}\n", id, version);
    else
      printf("form %s version %d stored\n", id, version);
  }
  free(json);
  return rc;
}

static int form_check(cli_t *cli, const char *path)
{
  size_t len;
  char *json = cli_read_input(path, &len);
  if (!json)
    return EXIT_FAIL;
  char *msg = NULL;
  sync_err_t err = sync_form_check(json, len, &msg);
  free(json);
  if (cli->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", err == SYNC_OK);
    if (err != SYNC_OK) {
      cJSON_AddStringToObject(o, "error", sync_errname(err));
      cJSON_AddStringToObject(o, "message", msg ? msg : sync_strerror(err));
    }
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
  } else if (err == SYNC_OK) {
    printf("%s: definition is valid\n", path);
  } else {
    fprintf(stderr, "syncctl: %s: %s: %s\n", path, sync_strerror(err), msg ? msg : "");
  }
  sync_free(msg);
  return err == SYNC_OK ? EXIT_OK : EXIT_FAIL;
}

static int form_list(cli_t *cli)
{
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  sync_form_list_t *list;
  sync_err_t err = sync_form_list(cli->store, &list);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "form list");
  size_t n = sync_form_list_count(list);
  cJSON *arr = cli->json ? cJSON_CreateArray() : NULL;
  for (size_t i = 0; i < n; i++) {
    const char *id = sync_form_list_id(list, i);
    int v = sync_form_list_version(list, i);
    const char *title = sync_form_list_title(list, i, cli->lang);
    if (arr) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "form_id", id);
      cJSON_AddNumberToObject(o, "version", v);
      cJSON_AddStringToObject(o, "title", title ? title : "");
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%-24s v%-4d %s\n", id, v, title ? title : "");
    }
  }
  if (arr) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddItemToObject(o, "forms", arr);
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
  } else if (n == 0) {
    printf("no forms stored (add one with 'syncctl form add FILE')\n");
  }
  sync_form_list_free(list);
  return EXIT_OK;
}

static int form_show(cli_t *cli, const char *id, const char *version)
{
  int v = version ? atoi(version) : 0;
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  char *json;
  sync_err_t err = sync_form_get_json(cli->store, id, v, &json);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "form show");
  puts(json);
  sync_free(json);
  return EXIT_OK;
}

int cmd_form(cli_t *cli, int argc, char **argv)
{
  const char *pos[3];
  cli_opt_t opts[] = {{NULL, NULL, NULL}};
  int n = cli_parse(argc, argv, opts, pos, 3);
  if (n < 1)
    return n < 0 ? EXIT_USAGE : cli_usage_error("form needs a subcommand: add, list, show, check");
  if (strcmp(pos[0], "add") == 0 && n == 2)
    return form_add(cli, pos[1]);
  if (strcmp(pos[0], "check") == 0 && n == 2)
    return form_check(cli, pos[1]);
  if (strcmp(pos[0], "list") == 0 && n == 1)
    return form_list(cli);
  if (strcmp(pos[0], "show") == 0 && (n == 2 || n == 3))
    return form_show(cli, pos[1], n == 3 ? pos[2] : NULL);
  return cli_usage_error("bad 'form %s' arguments", pos[0]);
}
