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

/* cmd_enroll.c. How syncctl reaches the enrolled server is kept beside the enrollment (sync_state,
 * plain), so that 'sync' needs no flags: */
#define CLI_STATE_CA_FILE "syncctl_ca_file"
#define CLI_STATE_PIN "syncctl_pinned_pubkey"
#define CLI_STATE_PLAIN_LOOPBACK "syncctl_allow_plain_http_loopback"
int cmd_enroll(cli_t *cli, int argc, char **argv);
int cmd_enrollment(cli_t *cli, int argc, char **argv);

/* cmd_security.c */
int cmd_passphrase(cli_t *cli, int argc, char **argv);
int cmd_wipe(cli_t *cli, int argc, char **argv);
int cmd_retention(cli_t *cli, int argc, char **argv);
int cmd_purge(cli_t *cli, int argc, char **argv);
int cmd_receipt(cli_t *cli, int argc, char **argv);
int cmd_record_receipt(cli_t *cli, const char *uuid);

#endif
