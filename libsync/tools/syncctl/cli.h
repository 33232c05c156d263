/* syncctl internals: the command context and helpers shared by the command files.
 * Ownership: cli_read_input() and cli_iso_time() results belong to the caller (free()). The store in
 * a cli_t is opened by cli_open_store() and closed by main(), which also wipes the passphrase. */
#ifndef SYNCCTL_CLI_H
#define SYNCCTL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sync/sync.h"

/* Exit codes: documented in `syncctl --help`. */
/* EXIT_UNDELIVERED: `sync` ran, but some records were refused or are still waiting. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNDELIVERED = 3 };

/* The environment variable that may hold the store's passphrase. */
#define CLI_PASSPHRASE_ENV "SYNC_PASSPHRASE"

typedef struct cli {
  const char *store_path;
  const char *lang;      /* "id" or "en" */
  int json;              /* --json: machine-readable output */
  const char *passphrase_file; /* --passphrase-file */
  char *passphrase;      /* read by cli_open_store, kept for the sync engine; wiped by main */
  sync_kdf_strength_t kdf; /* when creating (init --kdf) */
  sync_store_t *store;
} cli_t;

/* One command-line option of a command: `--name VALUE` (value != NULL) or a flag `--name`. */
typedef struct cli_opt {
  const char *name;
  const char **value;    /* for options with a value */
  int *flag;             /* for flags */
} cli_opt_t;

/* Parses argv[0..argc) against `opts` (terminated by {NULL, NULL, NULL}); positionals go to pos[] (up to
 * max_pos). Returns the number of positionals, or -1 after printing a usage error. */
int cli_parse(int argc, char **argv, const cli_opt_t *opts, const char **pos, int max_pos);

/* Opens cli->store (creating it only if `create`, with cli->kdf) with the passphrase from
 * --passphrase-file, $SYNC_PASSPHRASE or the terminal. Returns EXIT_OK or prints the error. */
int cli_open_store(cli_t *cli, int create);
/* For a command that takes no arguments or options: refuses any (EXIT_USAGE), then
 * cli_open_store(cli, 0). */
int cli_open_store_no_args(cli_t *cli, int argc, char **argv);

/* A passphrase from `file` if given, else the environment variable `env` (may be NULL), else the
 * terminal without echo (asked twice when `confirm`); NULL after a message on stderr. `what` names
 * it in prompts ("store passphrase"). Free with cli_passphrase_free. */
char *cli_read_passphrase(const char *file, const char *env, const char *what, int confirm);
/* Wipes and frees; NULL is a no-op. */
void cli_passphrase_free(char *p);
/* "test" | "interactive" | "moderate" (NULL: interactive) -> *out; EXIT_OK or a usage error. */
int cli_parse_kdf(const char *name, sync_kdf_strength_t *out);

/* Prints a failed call: the code, the handle's detail and, for validation errors, every issue.
 * `what` says what was attempted ("record add"). Returns EXIT_FAIL. */
int cli_fail(const cli_t *cli, sync_err_t err, const char *what);

/* Prints a usage error to stderr and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file, or stdin for "-". NULL (and a message on stderr) on failure. */
char *cli_read_input(const char *path, size_t *len);

/* "YYYY-MM-DD" -> ms since epoch at 00:00 UTC; -1 if not a date. */
int64_t cli_parse_day_ms(const char *text);
/* ms since epoch -> "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void cli_iso_time(int64_t ms, char *out, size_t outlen);

/* Prints a JSON document (compact) followed by a newline, then frees it. */
void cli_print_json_owned(char *json);

#endif
