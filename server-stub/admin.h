/* Admin commands for central staff (README.md): database set-up, devices, forms, records. Each
 * returns the process exit code: 0 ok, 1 failure (message on stderr), 2 usage. */
#ifndef SRV_ADMIN_H
#define SRV_ADMIN_H

/* Parsed command line: "--key value" options, flags and positional words. */
typedef struct cli {
  int argc;
  char **argv;        /* the words after the command name(s) */
} cli_t;

/* Value of --key (NULL if absent); `flag` options take no value. */
const char *cli_opt(const cli_t *c, const char *key);
int cli_flag(const cli_t *c, const char *key);
/* The n-th positional word (0-based), NULL if absent. */
const char *cli_pos(const cli_t *c, int n);
/* 0 if every --option is one of `known` (NULL-terminated, "flag:" prefix for flags); else
 * prints the offender and returns 2. */
int cli_check(const cli_t *c, const char *const *known);

int admin_init(const cli_t *c);
int admin_enroll_create(const cli_t *c);
int admin_enroll_list(const cli_t *c);
int admin_receipt_key(const cli_t *c);
int admin_verify_receipt(const cli_t *c);
int admin_keygen(const cli_t *c);
int admin_duplicates(const cli_t *c);
int admin_device_list(const cli_t *c);
int admin_device_revoke(const cli_t *c);
int admin_form_publish(const cli_t *c);
int admin_form_list(const cli_t *c);
int admin_records(const cli_t *c);
int admin_record_get(const cli_t *c);
int admin_record_set_status(const cli_t *c);
int admin_record_delete(const cli_t *c);
int admin_conflicts(const cli_t *c);
int admin_stats(const cli_t *c);
int admin_export(const cli_t *c);
int admin_audit(const cli_t *c);
int admin_user_add(const cli_t *c);
int admin_user_list(const cli_t *c);
int admin_user_remove(const cli_t *c);


/* ---- shared by admin*.c ---- */
#include <stddef.h>
#include <stdint.h>
#include "db.h"
#include "query.h"

/* Prints a cJSON document (compact) and a newline to stdout, then frees it; 1 if it is NULL. */
struct cJSON;
int admin_print_json(struct cJSON *doc);
/* The start of a list command (options --db and --json only): --db opened read-only, or NULL
 * after printing why, with the exit code in *rc (2 usage, 1 failure). */
db_conn_t *admin_list_open(const cli_t *c, int *rc);
/* The end of a list command: closes `db`; on an error prints it and frees `json_list`, else
 * prints `json_list` (the --json output; NULL for the table, already printed). 0 or 1. */
int admin_list_done(db_conn_t *db, sync_err_t e, struct cJSON *json_list);
/* The outcome of a command on one thing (`what` "device", "user", "record" named `name`): 0 for
 * SYNC_OK, else 1 after printing "no <what> <name>" (SYNC_ERR_NOT_FOUND) or the error. */
int admin_named_result(sync_err_t e, const char *what, const char *name);

/* Opens --db (must exist unless `flags` has DB_OPEN_CREATE); prints the error and returns NULL. */
db_conn_t *admin_open(const cli_t *c, int flags);
/* The record filter options (--form --region --from --to --date --status --case-status
 * --result) into f; 0, or 2 after printing the problem. */
int admin_filter(const cli_t *c, rq_filter_t *f);
/* Splits "a,b,c" in place into `out` (pointers into `buf`, NULL-terminated). -1 when there are
 * more than max - 1. */
int admin_split_list(char *buf, const char **out, size_t max);
/* A whole file (NUL-terminated, *len bytes); NULL if unreadable or larger than `max`. */
char *admin_read_file(const char *path, size_t max, size_t *len);
/* "2024-11-25T10:30:00Z" (UTC) or "never" for 0. */
const char *admin_time(int64_t ms, char *buf, size_t len);
#endif
