/* syncctl: one entry point per command group; argv starts after the command word. */
#ifndef SYNCCTL_COMMANDS_H
#define SYNCCTL_COMMANDS_H

#include "cli.h"

int cmd_init(cli_t *cli, int argc, char **argv);
int cmd_status(cli_t *cli, int argc, char **argv);
int cmd_form(cli_t *cli, int argc, char **argv);
int cmd_record(cli_t *cli, int argc, char **argv);
int cmd_record_import(cli_t *cli, int argc, char **argv);
int cmd_record_export(cli_t *cli, int argc, char **argv);
/* Fills a query from the --form/--status/--since/--until options shared by list and export;
 * returns EXIT_OK or a usage error. */
int record_query_from_opts(sync_query_t *q, const char *form, const char *status, const char *since,
                           const char *until);

int cmd_sample(cli_t *cli, int argc, char **argv);
int cmd_sync(cli_t *cli, int argc, char **argv);
int cmd_conflicts(cli_t *cli, int argc, char **argv);

#endif
