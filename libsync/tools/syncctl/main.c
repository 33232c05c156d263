/* syncctl — command-line tool over libsync's public API, for scripts, support staff and tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const char USAGE[] =
  "usage: syncctl [--store PATH] [--json] [--lang id|en] COMMAND [ARGS]\n"
  "\n"
  "  init                                   create the store (and its device id)\n"
  "  status                                 counts of forms, drafts, final records, outbox\n"
  "  form add FILE                          add a form definition (JSON)\n"
  "  form list                              list stored form versions\n"
  "  form show ID [VERSION]                 print a stored definition (newest by default)\n"
  "  form check FILE                        check a definition without storing it\n"
  "  record add --form ID [--version N] [--draft] FILE|-\n"
  "                                         save answers; prints the new record's UUID\n"
  "  record update UUID FILE|-              replace a draft's answers\n"
  "  record revise UUID FILE|-              new revision of a final record\n"
  "  record get UUID                        print one record\n"
  "  record list [--form ID] [--status draft|final] [--since DAY] [--until DAY]\n"
  "              [--limit N] [--offset N] [--deleted]\n"
  "  record finalize UUID | discard UUID | delete UUID\n"
  "  record import [--form ID] [--draft] [--batch N] FILE.jsonl|-\n"
  "                                         bulk save; reports rejected lines by number\n"
  "  record export [--form ID] [--status draft|final]   records as JSON lines\n"
  "  sample --form ID [--count N] [--seed S] [--save]\n"
  "                                         realistic answers for demos/tests (JSON lines)\n"
  "  sync [--server URL --device-id ID --secret S] [--ca FILE] [--insecure-loopback] [--json]\n"
  "                                         push the outbox and pull updates (one run)\n"
  "  sync configure --server URL --device-id ID --secret S [--ca FILE] [--insecure-loopback]\n"
  "                                         save the credential in the store so 'sync' needs no\n"
  "                                         flags (the secret is kept unencrypted in the store\n"
  "                                         file until the security milestone)\n"
  "  conflicts [--all]                      conflicting answers kept for review\n"
  "  conflicts resolve ID accept|take-loser keep the merged value, or send the losing one again\n"
  "  version\n"
  "\n"
  "The store defaults to $SYNC_STORE, else ./libsync-store.db. Messages follow --lang (default id).\n"
  "Exit status: 0 success, 1 the operation failed (details on stderr, or in the JSON), 2 usage error.\n";

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
  {"init", cmd_init},     {"status", cmd_status}, {"form", cmd_form},
  {"record", cmd_record}, {"sample", cmd_sample}, {"version", cmd_version},
  {"sync", cmd_sync},     {"conflicts", cmd_conflicts},
  {NULL, NULL},
};

int main(int argc, char **argv)
{
  const char *env_store = getenv("SYNC_STORE");
  cli_t cli = {
    .store_path = env_store && *env_store ? env_store : "libsync-store.db",
    .lang = "id",
  };
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
      return rc;
    }
  }
  return cli_usage_error("unknown command '%s'", argv[i]);
}
