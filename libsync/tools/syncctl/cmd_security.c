/* syncctl passphrase change / wipe / retention / purge / receipt verify / record receipt: the
 * officer's side of proto/SECURITY.md 5, 7 and 8. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static int print_ok(const cli_t *cli, const char *json_fields, const char *text)
{
  if (cli->json)
    printf("{\"ok\":true%s%s}\n", json_fields[0] ? "," : "", json_fields);
  else
    printf("%s\n", text);
  return EXIT_OK;
}

int cmd_passphrase(cli_t *cli, int argc, char **argv)
{
  const char *pos[1], *new_file = NULL, *kdf = NULL;
  cli_opt_t opts[] = {{"new-passphrase-file", &new_file, NULL}, {"kdf", &kdf, NULL},
                      {NULL, NULL, NULL}};
  if (argc < 1 || strcmp(argv[0], "change") != 0)
    return cli_usage_error("passphrase takes 'change'");
  sync_kdf_strength_t strength;
  if (cli_parse(argc - 1, argv + 1, opts, pos, 0) < 0 || cli_parse_kdf(kdf, &strength) != EXIT_OK)
    return EXIT_USAGE;
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  char *fresh = cli_read_passphrase(new_file, NULL, "new store passphrase", 1);
  if (!fresh)
    return EXIT_FAIL;
  sync_err_t err = sync_store_change_passphrase(cli->store, cli->passphrase, fresh, strength);
  cli_passphrase_free(fresh);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "passphrase change");
  return print_ok(cli, "", "passphrase changed");
}

int cmd_wipe(cli_t *cli, int argc, char **argv)
{
  const char *pos[1];
  int yes = 0;
  cli_opt_t opts[] = {{"yes", NULL, &yes}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0)
    return EXIT_USAGE;
  if (!yes)
    return cli_usage_error("wipe destroys the store '%s' for good, sent or not: add --yes",
                           cli->store_path);
  sync_err_t err = sync_store_wipe(cli->store_path);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "wipe");
  return print_ok(cli, "", "store wiped: its data can no longer be decrypted");
}

int cmd_retention(cli_t *cli, int argc, char **argv)
{
  const char *pos[2];
  cli_opt_t opts[] = {{NULL, NULL, NULL}};
  int n = cli_parse(argc, argv, opts, pos, 2);
  if (n < 0)
    return EXIT_USAGE;
  int set = n == 2 && strcmp(pos[0], "set") == 0;
  if (!set && !(n == 1 && strcmp(pos[0], "show") == 0))
    return cli_usage_error("retention takes 'set DAYS' or 'show'");
  long days = 0;
  if (set) {
    char *end;
    days = strtol(pos[1], &end, 10);
    if (*end || end == pos[1] || days < 0 || days > 36500)
      return cli_usage_error("DAYS must be a whole number from 0 (keep forever) to 36500");
  }
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  int current = (int)days;
  sync_err_t err = set ? sync_store_set_retention_days(cli->store, current)
                       : sync_store_retention_days(cli->store, &current);
  if (err != SYNC_OK)
    return cli_fail(cli, err, set ? "retention set" : "retention show");
  char fields[64], text[160];
  snprintf(fields, sizeof fields, "\"retention_days\":%d", current);
  if (current == 0)
    snprintf(text, sizeof text, "retention: keep records forever");
  else
    snprintf(text, sizeof text, "retention: answers are purged %d days after their signed receipt",
             current);
  return print_ok(cli, fields, text);
}

int cmd_purge(cli_t *cli, int argc, char **argv)
{
  int rc = cli_open_store_no_args(cli, argc, argv);
  if (rc != EXIT_OK)
    return rc;
  int64_t purged = 0;
  sync_err_t err = sync_store_purge(cli->store, 0, &purged);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "purge");
  char fields[64], text[96];
  snprintf(fields, sizeof fields, "\"purged\":%lld", (long long)purged);
  snprintf(text, sizeof text, "%lld records purged", (long long)purged);
  return print_ok(cli, fields, text);
}

/* record receipt UUID: the receipt document as is (it is the proof; --json changes nothing). */
int cmd_record_receipt(cli_t *cli, const char *uuid)
{
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  char *json = NULL;
  sync_err_t err = sync_record_receipt(cli->store, uuid, &json);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "record receipt");
  puts(json);
  sync_free(json);
  return EXIT_OK;
}

int cmd_receipt(cli_t *cli, int argc, char **argv)
{
  const char *pos[1], *key = NULL;
  cli_opt_t opts[] = {{"key", &key, NULL}, {NULL, NULL, NULL}};
  if (argc < 1 || strcmp(argv[0], "verify") != 0)
    return cli_usage_error("receipt takes 'verify FILE [--key B64]'");
  int n = cli_parse(argc - 1, argv + 1, opts, pos, 1);
  if (n < 0)
    return EXIT_USAGE;
  if (n != 1)
    return cli_usage_error("receipt verify needs FILE (or - for stdin)");
  char *doc = cli_read_input(pos[0], NULL);
  if (!doc)
    return EXIT_FAIL;
  sync_err_t err = sync_receipt_verify(doc, key);
  free(doc);
  if (err == SYNC_OK)
    return print_ok(cli, "\"valid\":true", "receipt signature is valid");
  const char *why = err == SYNC_ERR_CRYPTO
                      ? (key ? "the signature does not verify, or the key is not the one given"
                             : "the signature does not verify")
                      : "not a receipt document";
  if (cli->json)
    printf("{\"ok\":false,\"valid\":false,\"error\":\"%s\",\"message\":\"%s\"}\n",
           sync_errname(err), why);
  else
    fprintf(stderr, "syncctl: receipt verify: %s (%s)\n", why, sync_strerror(err));
  return EXIT_FAIL;
}
