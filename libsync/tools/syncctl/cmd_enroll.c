/* syncctl enroll / enrollment: enrolling this store's device with a one-time code from central
 * staff (`syncserver enroll create`), and what it was enrolled as (proto/SECURITY.md 2). There is
 * no way to type a raw credential: it only ever comes from the server, into the encrypted store. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "store_sync.h"

/* How to reach the server again, for 'sync' (one transaction with nothing else: the enrollment
 * itself is already saved). */
static sync_err_t save_settings(sync_store_t *s, const char *ca, const char *pin, int loopback)
{
  sync_err_t err = sync_store_begin(s);
  if (err)
    return err;
  if ((err = store_state_set(s, CLI_STATE_PLAIN_LOOPBACK, loopback ? "1" : "0")) == SYNC_OK &&
      (err = ca ? store_state_set(s, CLI_STATE_CA_FILE, ca)
                : store_state_delete(s, CLI_STATE_CA_FILE)) == SYNC_OK)
    err = pin ? store_state_set(s, CLI_STATE_PIN, pin) : store_state_delete(s, CLI_STATE_PIN);
  if (err) {
    sync_store_rollback(s);
    return err;
  }
  return sync_store_commit(s);
}

/* Prints the enrollment document (JSON) or its text form. */
static int print_enrollment(const cli_t *cli, const char *json, int just_enrolled)
{
  cJSON *o = cJSON_Parse(json);
  if (!o)
    return cli_fail(cli, SYNC_ERR_NOMEM, "enrollment");
  if (cli->json) {
    cJSON_AddBoolToObject(o, "ok", 1);
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return EXIT_OK;
  }
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(o, "name"));
  const char *unit = cJSON_GetStringValue(cJSON_GetObjectItem(o, "unit"));
  double expires = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "credential_expires_at"));
  char when[32] = "never";
  if (expires > 0)
    cli_iso_time((int64_t)expires, when, sizeof when);
  printf("%s device %s (%s%s%s) with %s\n", just_enrolled ? "enrolled" : "enrolled:",
         cJSON_GetStringValue(cJSON_GetObjectItem(o, "device_id")), name ? name : "",
         unit && unit[0] ? ", " : "", unit ? unit : "",
         cJSON_GetStringValue(cJSON_GetObjectItem(o, "server_url")));
  printf("server id %s, receipt key %s\ncredential expires %s\n",
         cJSON_GetStringValue(cJSON_GetObjectItem(o, "server_id")),
         cJSON_GetStringValue(cJSON_GetObjectItem(o, "receipt_key")), when);
  cJSON_Delete(o);
  return EXIT_OK;
}

int cmd_enroll(cli_t *cli, int argc, char **argv)
{
  const char *server = NULL, *code = NULL, *ca = NULL, *pin = NULL, *pos[1];
  int loopback = 0;
  cli_opt_t opts[] = {{"server", &server, NULL}, {"code", &code, NULL}, {"ca-file", &ca, NULL},
                      {"pin", &pin, NULL}, {"allow-http-loopback", NULL, &loopback},
                      {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0)
    return EXIT_USAGE;
  if (!server || !code)
    return cli_usage_error("enroll needs --server URL --code CODE");
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  sync_enroll_config_t c;
  sync_enroll_config_init(&c);
  c.server_url = server;
  c.code = code;
  c.ca_file = ca;
  c.pinned_pubkey = pin;
  c.allow_plain_http_loopback = loopback;
  c.language = cli->lang;
  char why[512] = "";
  sync_err_t err = sync_enroll(cli->store, &c, why, sizeof why);
  if (err == SYNC_OK)
    err = save_settings(cli->store, ca, pin, loopback);
  if (err != SYNC_OK) {
    if (cli->json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddBoolToObject(o, "ok", 0);
      cJSON_AddStringToObject(o, "error", sync_errname(err));
      cJSON_AddStringToObject(o, "message", why[0] ? why : sync_store_errmsg(cli->store));
      cli_print_json_owned(cJSON_PrintUnformatted(o));
      cJSON_Delete(o);
    } else {
      fprintf(stderr, "syncctl: enroll failed: %s\n", why[0] ? why : sync_store_errmsg(cli->store));
    }
    return EXIT_FAIL;
  }
  char *json = NULL;
  if ((err = sync_store_enrollment(cli->store, &json)) != SYNC_OK)
    return cli_fail(cli, err, "enroll");
  rc = print_enrollment(cli, json, 1);
  sync_free(json);
  return rc;
}

int cmd_enrollment(cli_t *cli, int argc, char **argv)
{
  int rc = cli_open_store_no_args(cli, argc, argv);
  if (rc != EXIT_OK)
    return rc;
  char *json = NULL;
  sync_err_t err = sync_store_enrollment(cli->store, &json);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "enrollment");
  rc = print_enrollment(cli, json, 0);
  sync_free(json);
  return rc;
}
