/* syncctl passphrase change / wipe / retention / purge / receipt verify / record receipt: the
 * officer's side of proto/SECURITY.md 5, 7 and 8. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The trusted key for `receipt verify` when --key is not given: the server receipt key enrolled in
 * the store (opened with its passphrase) into key. EXIT_OK or EXIT_FAIL after a message. */
static int enrolled_receipt_key(cli_t *cli, char *key, size_t len)
{
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  char *json = NULL;
  sync_err_t err = sync_store_enrollment(cli->store, &json);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "receipt verify (the store holds no server receipt key; give --key)");
  cJSON *o = cJSON_Parse(json);
  const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(o, "receipt_key"));
  snprintf(key, len, "%s", k ? k : "");
  cJSON_Delete(o);
  sync_free(json);
  return k ? EXIT_OK : cli_fail(cli, SYNC_ERR_NOT_ENROLLED, "receipt verify");
}

/* The outcome; `source` says in words where `key` came from (JSON: key_source "store" with the
 * store's path, or "option"). */
static int print_verdict(const cli_t *cli, sync_err_t err, const char *key, const char *source)
{
  int from_store = cli->store != NULL;
  char why[PATH_MAX + 320];
  if (err == SYNC_OK)
    snprintf(why, sizeof why, "receipt signature is valid: signed by %s (%s)", source, key);
  else if (err == SYNC_ERR_CRYPTO)
    snprintf(why, sizeof why, "the signature does not verify with %s (%s)", source, key);
  else
    snprintf(why, sizeof why, "not a receipt document");
  if (cli->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", err == SYNC_OK);
    cJSON_AddBoolToObject(o, "valid", err == SYNC_OK);
    cJSON_AddStringToObject(o, "key", key);
    cJSON_AddStringToObject(o, "key_source", from_store ? "store" : "option");
    if (from_store)
      cJSON_AddStringToObject(o, "store", cli->store_path);
    if (err != SYNC_OK) {
      cJSON_AddStringToObject(o, "error", sync_errname(err));
      cJSON_AddStringToObject(o, "message", why);
    }
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
  } else if (err == SYNC_OK) {
    printf("%s\n", why);
  } else {
    fprintf(stderr, "syncctl: receipt verify: %s (%s)\n", why, sync_strerror(err));
  }
  return err == SYNC_OK ? EXIT_OK : EXIT_FAIL;
}

/* receipt verify FILE [--key B64]: against the key given, else the store's enrolled server key;
 * never against the key the document carries (anyone can sign a document with a key of their
 * own), so with neither a key nor a store it refuses (SECURITY.md 7). */
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
  if (!key && access(cli->store_path, F_OK) != 0) {
    const char *msg = "tidak ada kunci server tepercaya: kunci di dalam tanda terima tidak membuktikan "
                      "apa pun; jalankan dengan penyimpanan yang terdaftar (--store PATH) atau beri "
                      "--key / no trusted server key: the key inside a receipt proves nothing; run "
                      "it with the enrolled store (--store PATH) or give the server's receipt key "
                      "with --key B64";
    if (cli->json)
      printf("{\"ok\":false,\"valid\":false,\"error\":\"%s\",\"message\":\"%s\"}\n",
             sync_errname(SYNC_ERR_NOT_ENROLLED), msg);
    else
      fprintf(stderr, "syncctl: receipt verify: %s\n", msg);
    return EXIT_FAIL;
  }
  char enrolled[128], source[PATH_MAX + 64];
  if (!key) {
    int rc = enrolled_receipt_key(cli, enrolled, sizeof enrolled);
    if (rc != EXIT_OK)
      return rc;
    snprintf(source, sizeof source, "the server receipt key enrolled in store %s", cli->store_path);
  } else {
    snprintf(source, sizeof source, "the key given with --key");
  }
  char *doc = cli_read_input(pos[0], NULL);
  if (!doc)
    return EXIT_FAIL;
  sync_err_t err = key ? sync_receipt_verify(doc, key) : sync_store_receipt_verify(cli->store, doc);
  free(doc);
  return print_verdict(cli, err, key ? key : enrolled, source);
}
