/* syncctl sync / conflicts: one sync run against the server the store was enrolled with
 * ('syncctl enroll'), and the conflicts kept for review. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "store_sync.h"

typedef struct progress_ctx {
  int quiet;
  sync_state_t last_state;
  struct timespec last;
} progress_ctx_t;

static double seconds_since(const struct timespec *t)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Progress lines: on every state change and at most once a second while pushing. */
static void on_status(const sync_status_t *st, void *user)
{
  progress_ctx_t *p = user;
  if (p->quiet)
    return;
  int changed = st->state != p->last_state;
  if (!changed && seconds_since(&p->last) < 1.0)
    return;
  p->last_state = st->state;
  clock_gettime(CLOCK_MONOTONIC, &p->last);
  const sync_progress_t *g = &st->progress;
  if (st->state == SYNC_STATE_PUSHING)
    printf("[%s] %lld/%lld records, %lld bytes sent on the wire\n", sync_state_name(st->state),
           (long long)g->records_done, (long long)g->records_total,
           (long long)g->wire_bytes_sent);
  else if (changed && st->message[0])
    printf("[%s] %s\n", sync_state_name(st->state), st->message);
  fflush(stdout);
}

/* A saved setting into buf, "" when absent. */
static void saved(sync_store_t *s, const char *key, char *buf, size_t len)
{
  if (store_state_get(s, key, buf, len) != SYNC_OK)
    buf[0] = '\0';
}

static void print_summary(const cli_t *cli, sync_err_t err, const sync_status_t *st,
                          const char *detail, double secs)
{
  const sync_progress_t *g = &st->progress;
  if (cli->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", err == SYNC_OK);
    if (err != SYNC_OK) {
      cJSON_AddStringToObject(o, "error", sync_errname(err));
      cJSON_AddStringToObject(o, "message", st->message);
      cJSON_AddStringToObject(o, "detail", detail);
    } else if (st->message[0]) {
      cJSON_AddStringToObject(o, "message", st->message);
    }
    cJSON_AddNumberToObject(o, "pushed", (double)g->records_done);
    cJSON_AddNumberToObject(o, "total", (double)g->records_total);
    cJSON_AddNumberToObject(o, "pending", (double)st->pending);
    cJSON_AddNumberToObject(o, "refused", (double)st->refused);
    cJSON_AddNumberToObject(o, "pulled", (double)g->pulled);
    cJSON_AddNumberToObject(o, "conflicts", (double)g->conflicts);
    cJSON_AddNumberToObject(o, "bytes", (double)g->bytes_done);
    cJSON_AddNumberToObject(o, "bytes_sent", (double)g->wire_bytes_sent);
    cJSON_AddNumberToObject(o, "bytes_received", (double)g->wire_bytes_received);
    cJSON_AddNumberToObject(o, "requests", (double)g->requests);
    cJSON_AddNumberToObject(o, "seconds", secs);
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return;
  }
  printf("pushed %lld of %lld, pulled %lld, conflicts %lld, %lld payload bytes "
         "(%lld sent, %lld received on the wire), %lld requests, %.1f s\n",
         (long long)g->records_done, (long long)g->records_total, (long long)g->pulled,
         (long long)g->conflicts, (long long)g->bytes_done, (long long)g->wire_bytes_sent,
         (long long)g->wire_bytes_received, (long long)g->requests, secs);
  if (err != SYNC_OK) {
    fprintf(stderr, "syncctl: sync failed: %s\n", st->message[0] ? st->message : sync_strerror(err));
    if (detail[0])
      fprintf(stderr, "  detail: %s\n", detail);
  } else if (st->message[0]) {
    printf("%s\n", st->message);
  }
  if (err == SYNC_OK && (st->refused > 0 || st->pending > 0))
    fprintf(stderr, "syncctl: not everything was delivered: %lld refused ('syncctl record refused' "
            "says why), %lld still waiting\n", (long long)st->refused, (long long)st->pending);
}

int cmd_sync(cli_t *cli, int argc, char **argv)
{
  const char *server = NULL, *ca = NULL, *pin = NULL, *pos[1];
  int loopback = 0, json = 0;
  cli_opt_t opts[] = {{"server", &server, NULL}, {"ca-file", &ca, NULL}, {"pin", &pin, NULL},
                      {"allow-http-loopback", NULL, &loopback}, {"json", NULL, &json},
                      {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0)
    return EXIT_USAGE;
  if (json)
    cli->json = 1;
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  /* Flags override what 'enroll' saved. */
  char s_loop[4], s_ca[1024], s_pin[1024];
  saved(cli->store, CLI_STATE_PLAIN_LOOPBACK, s_loop, sizeof s_loop);
  saved(cli->store, CLI_STATE_CA_FILE, s_ca, sizeof s_ca);
  saved(cli->store, CLI_STATE_PIN, s_pin, sizeof s_pin);
  loopback = loopback || strcmp(s_loop, "1") == 0;
  if (!ca && s_ca[0])
    ca = s_ca;
  if (!pin && s_pin[0])
    pin = s_pin;
  progress_ctx_t p = {.quiet = cli->json, .last_state = SYNC_STATE_STOPPED};
  sync_engine_config_t c;
  sync_engine_config_init(&c);
  c.store_path = cli->store_path;
  c.store_passphrase = cli->passphrase;
  c.server_url = server;
  c.ca_file = ca;
  c.pinned_pubkey = pin;
  c.allow_plain_http_loopback = loopback;
  c.language = cli->lang;
  c.on_status = on_status;
  c.user_data = &p;
  sync_engine_t *e = NULL;
  char why[512];
  sync_err_t err = sync_engine_new(&c, &e, why, sizeof why);
  if (err != SYNC_OK) {
    if (cli->json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddBoolToObject(o, "ok", 0);
      cJSON_AddStringToObject(o, "error", sync_errname(err));
      cJSON_AddStringToObject(o, "message", why);
      cli_print_json_owned(cJSON_PrintUnformatted(o));
      cJSON_Delete(o);
    }
    fprintf(stderr, "syncctl: sync: %s\n", why);
    return EXIT_FAIL;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  err = sync_engine_run_once(e);
  double secs = seconds_since(&t0);
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);
  char detail[512] = "";
  if (err != SYNC_OK)
    saved(cli->store, STATE_LAST_ERROR, detail, sizeof detail);
  print_summary(cli, err, &st, detail, secs);
  if (err != SYNC_OK)
    return EXIT_FAIL;
  return st.refused > 0 || st.pending > 0 ? EXIT_UNDELIVERED : EXIT_OK;
}

/* ---- conflicts ------------------------------------------------------------------------------- */

static int conflicts_resolve(cli_t *cli, int argc, char **argv)
{
  const char *pos[2];
  cli_opt_t opts[] = {{NULL, NULL, NULL}};
  int n = cli_parse(argc, argv, opts, pos, 2);
  if (n < 0)
    return EXIT_USAGE;
  if (n != 2)
    return cli_usage_error("conflicts resolve needs ID and accept|take-loser");
  char *end;
  long long id = strtoll(pos[0], &end, 10);
  if (*end || id <= 0)
    return cli_usage_error("'%s' is not a conflict id", pos[0]);
  sync_conflict_choice_t choice;
  if (strcmp(pos[1], "accept") == 0)
    choice = SYNC_CONFLICT_ACCEPT_MERGED;
  else if (strcmp(pos[1], "take-loser") == 0)
    choice = SYNC_CONFLICT_TAKE_LOSER;
  else
    return cli_usage_error("choice must be accept or take-loser");
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  sync_err_t err = sync_conflict_resolve(cli->store, id, choice);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "conflicts resolve");
  if (cli->json)
    printf("{\"ok\":true,\"id\":%lld,\"choice\":\"%s\"}\n", id, pos[1]);
  else
    printf("conflict %lld resolved (%s)%s\n", id, pos[1],
           choice == SYNC_CONFLICT_TAKE_LOSER ? "; a new revision waits to be sent" : "");
  return EXIT_OK;
}

int cmd_conflicts(cli_t *cli, int argc, char **argv)
{
  if (argc > 0 && strcmp(argv[0], "resolve") == 0)
    return conflicts_resolve(cli, argc - 1, argv + 1);
  const char *pos[1];
  int all = 0;
  cli_opt_t opts[] = {{"all", NULL, &all}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0)
    return EXIT_USAGE;
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  sync_conflict_list_t *list = NULL;
  sync_err_t err = sync_conflict_list(cli->store, NULL, all, &list);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "conflicts");
  size_t n = sync_conflict_list_count(list);
  if (cli->json) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "id", (double)sync_conflict_id(list, i));
      cJSON_AddStringToObject(o, "uuid", sync_conflict_uuid(list, i));
      cJSON_AddStringToObject(o, "field", sync_conflict_field(list, i));
      cJSON_AddStringToObject(o, "winner", sync_conflict_winner(list, i));
      cJSON_AddRawToObject(o, "device_value", sync_conflict_device_value(list, i));
      cJSON_AddRawToObject(o, "central_value", sync_conflict_central_value(list, i));
      cJSON_AddNumberToObject(o, "merged_revision", (double)sync_conflict_merged_revision(list, i));
      cJSON_AddNumberToObject(o, "detected_at", (double)sync_conflict_detected_at(list, i));
      if (sync_conflict_resolved_at(list, i))
        cJSON_AddNumberToObject(o, "resolved_at", (double)sync_conflict_resolved_at(list, i));
      cJSON_AddItemToArray(arr, o);
    }
    cli_print_json_owned(cJSON_PrintUnformatted(arr));
    cJSON_Delete(arr);
  } else {
    if (n == 0)
      printf("no %sconflicts\n", all ? "" : "open ");
    for (size_t i = 0; i < n; i++) {
      char when[32];
      cli_iso_time(sync_conflict_detected_at(list, i), when, sizeof when);
      printf("%-5lld %s  %-24s winner %-7s device %s  central %s  (merged rev %lld, %s%s)\n",
             (long long)sync_conflict_id(list, i), sync_conflict_uuid(list, i),
             sync_conflict_field(list, i), sync_conflict_winner(list, i),
             sync_conflict_device_value(list, i), sync_conflict_central_value(list, i),
             (long long)sync_conflict_merged_revision(list, i), when,
             sync_conflict_resolved_at(list, i) ? ", resolved" : "");
    }
  }
  sync_conflict_list_free(list);
  return EXIT_OK;
}
