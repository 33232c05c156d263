/* syncctl — command-line tool over libsync's public API, for scripts, support staff and tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const char USAGE[] =
  "usage: syncctl [--store PATH] [--passphrase-file FILE] [--json] [--lang id|en] COMMAND [ARGS]\n"
  "\n"
  "  init [--kdf test|interactive|moderate] create the encrypted store (and its device id);\n"
  "                                         --kdf: cost of deriving the key (default interactive;\n"
  "                                         test: only where SYNC_ALLOW_TEST_KDF=1)\n"
  "  status                                 counts of forms, drafts, final records, outbox\n"
  "  passphrase change [--new-passphrase-file FILE] [--kdf K]\n"
  "                                         re-wrap the store key under a new passphrase\n"
  "  wipe --yes                             destroy the store's key and data for good (no\n"
  "                                         passphrase needed)\n"
  "  form add FILE                          add a form definition (JSON)\n"
  "  form list                              list stored form versions\n"
  "  form show ID [VERSION]                 print a stored definition (newest by default)\n"
  "  form check FILE                        check a definition without storing it\n"
  "  record add --form ID [--version N] [--draft] FILE|-\n"
  "                                         save answers; prints the new record's UUID\n"
  "  record update UUID FILE|-              replace a draft's answers\n"
  "  record revise UUID FILE|-              new revision of a final record (not sealed ones)\n"
  "  record get UUID                        print one record (\"sealed\": true when its answers\n"
  "                                         are sealed to the central office)\n"
  "  record receipt UUID                    print the record's signed receipt (proof of delivery)\n"
  "  record list [--form ID] [--status draft|final] [--since DAY] [--until DAY]\n"
  "              [--limit N] [--offset N] [--deleted]\n"
  "  record finalize UUID | discard UUID | delete UUID\n"
  "  record refused                         records the server refused, and why (in --lang)\n"
  "  record resend UUID                     send a refused record again, checked and sealed under\n"
  "                                         the form the device holds now\n"
  "  record import [--form ID] [--draft] [--batch N] FILE.jsonl|-\n"
  "                                         bulk save; reports rejected lines by number\n"
  "  record export [--form ID] [--status draft|final]   records as JSON lines\n"
  "  receipt verify FILE|- [--key B64]      check a receipt against the server key given, else the\n"
  "                                         one the store was enrolled with (never its own key)\n"
  "  sample --form ID [--count N] [--seed S] [--save]\n"
  "                                         realistic answers for demos/tests (JSON lines)\n"
  "  enroll --server URL --code CODE [--ca-file FILE] [--pin sha256//B64] [--allow-http-loopback]\n"
  "                                         enrol this device with a one-time code from central\n"
  "                                         staff; the credential is kept encrypted in the store\n"
  "  enrollment                             what this store is enrolled as (no secret)\n"
  "  sync [--server URL] [--ca-file FILE] [--pin P] [--allow-http-loopback] [--json]\n"
  "                                         push the outbox and pull updates (one run) with the\n"
  "                                         enrolled credential; defaults from 'enroll'. Exit 3\n"
  "                                         when records were refused or are still waiting\n"
  "  retention set DAYS | retention show    purge answers DAYS after their signed receipt (0: never)\n"
  "  purge                                  purge now what the retention allows\n"
  "  conflicts [--all]                      conflicting answers kept for review\n"
  "  conflicts resolve ID accept|take-loser keep the merged value, or send the losing one again\n"
  "  version\n"
  "\n"
  "The store defaults to $SYNC_STORE, else ./libsync-store.db. Its passphrase comes from\n"
  "--passphrase-file FILE (first line; the option may also follow the command), else $SYNC_PASSPHRASE,\n"
  "else a prompt on the terminal; it is never taken from the command line itself.\n"
  "Messages follow --lang (default id).\n"
  "Exit status: 0 success, 1 the operation failed (details on stderr, or in the JSON), 2 usage error,\n"
  "3 (sync) the run went through but records were refused or are still waiting.\n";

typedef struct command {
  const char *name;
  int (*run)(cli_t *, int, char **);
} command_t;

static int cmd_version(cli_t *cli, int argc, char **argv)
{
  (void)argc; (void)argv;
  if (cli->json)
    printf("{\"ok\":true,\"version\":\"%s\"}\n", sync_version());
  else
    printf("syncctl (libsync) %s\n", sync_version());
  return EXIT_OK;
}

static const command_t COMMANDS[] = {
  {"init", cmd_init},           {"status", cmd_status},       {"form", cmd_form},
  {"record", cmd_record},       {"sample", cmd_sample},       {"version", cmd_version},
  {"sync", cmd_sync},           {"conflicts", cmd_conflicts}, {"enroll", cmd_enroll},
  {"enrollment", cmd_enrollment}, {"passphrase", cmd_passphrase}, {"wipe", cmd_wipe},
  {"retention", cmd_retention}, {"purge", cmd_purge},         {"receipt", cmd_receipt},
  {NULL, NULL},
};

/* Takes `--passphrase-file FILE` out of argv wherever it stands (so that every command accepts
 * it); returns the new argc, or -1 after a usage error. */
static int take_passphrase_file(cli_t *cli, int argc, char **argv)
{
  int out = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--passphrase-file") == 0) {
      if (i + 1 >= argc)
        return cli_usage_error("option '--passphrase-file' needs a value"), -1;
      cli->passphrase_file = argv[++i];
      continue;
    }
    argv[out++] = argv[i];
  }
  argv[out] = NULL;
  return out;
}

int main(int argc, char **argv)
{
  const char *env_store = getenv("SYNC_STORE");
  cli_t cli = {
    .store_path = env_store && *env_store ? env_store : "libsync-store.db",
    .lang = "id",
  };
  if ((argc = take_passphrase_file(&cli, argc, argv)) < 0)
    return EXIT_USAGE;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      cli.json = 1;
    } else if (strcmp(argv[i], "--help") == 0) {
      fputs(USAGE, stdout);
      return EXIT_OK;
    } else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
      cli.store_path = argv[++i];
    } else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
      cli.lang = argv[++i];
      if (strcmp(cli.lang, "id") != 0 && strcmp(cli.lang, "en") != 0)
        return cli_usage_error("--lang takes id or en");
    } else {
      return cli_usage_error("unknown or incomplete option '%s'", argv[i]);
    }
  }
  if (i >= argc) {
    fputs(USAGE, stderr);
    return EXIT_USAGE;
  }
  for (const command_t *c = COMMANDS; c->name; c++) {
    if (strcmp(c->name, argv[i]) == 0) {
      int rc = c->run(&cli, argc - i - 1, argv + i + 1);
      sync_store_close(cli.store);
      cli_passphrase_free(cli.passphrase);
      return rc;
    }
  }
  return cli_usage_error("unknown command '%s'", argv[i]);
}
