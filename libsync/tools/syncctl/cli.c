/* syncctl: option parsing, error printing and small helpers shared by the commands. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_parse(int argc, char **argv, const cli_opt_t *opts, const char **pos, int max_pos)
{
  int npos = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0 || strcmp(a, "-") == 0) {
      if (npos == max_pos)
        return cli_usage_error("unexpected argument '%s'", a), -1;
      pos[npos++] = a;
      continue;
    }
    const cli_opt_t *o = opts;
    while (o->name && strcmp(o->name, a + 2) != 0)
      o++;
    if (!o->name)
      return cli_usage_error("unknown option '%s'", a), -1;
    if (o->flag) {
      *o->flag = 1;
    } else {
      if (i + 1 >= argc)
        return cli_usage_error("option '%s' needs a value", a), -1;
      *o->value = argv[++i];
    }
  }
  return npos;
}

int cli_open_store(cli_t *cli, int create)
{
  if (!cli->passphrase &&
      !(cli->passphrase = cli_read_passphrase(cli->passphrase_file, CLI_PASSPHRASE_ENV,
                                              "store passphrase", create)))
    return EXIT_FAIL;
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.create = create;
  o.language = cli->lang;
  o.passphrase = cli->passphrase;
  o.kdf = cli->kdf;
  sync_err_t err = sync_store_open(cli->store_path, &o, &cli->store);
  if (err == SYNC_OK)
    return EXIT_OK;
  if (cli->json) {
    printf("{\"ok\":false,\"error\":\"%s\",\"message\":\"cannot open store\"}\n", sync_errname(err));
  } else if (err == SYNC_ERR_INVALID_ARG && create) {
    fprintf(stderr, "syncctl: cannot create store '%s': the passphrase must be at least %d bytes\n",
            cli->store_path, SYNC_PASSPHRASE_MIN);
  } else {
    fprintf(stderr, "syncctl: cannot open store '%s': %s%s\n", cli->store_path, sync_strerror(err),
            (err == SYNC_ERR_IO || err == SYNC_ERR_NOT_FOUND) && !create
                ? " (run 'syncctl init' first)" : "");
  }
  return EXIT_FAIL;
}

int cli_open_store_no_args(cli_t *cli, int argc, char **argv)
{
  const char *pos[1];
  cli_opt_t opts[] = {{NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0)
    return EXIT_USAGE;
  return cli_open_store(cli, 0);
}

int cli_fail(const cli_t *cli, sync_err_t err, const char *what)
{
  const char *detail = cli->store ? sync_store_errmsg(cli->store) : "";
  size_t n = cli->store ? sync_store_issue_count(cli->store) : 0;
  if (cli->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 0);
    cJSON_AddStringToObject(o, "error", sync_errname(err));
    cJSON_AddStringToObject(o, "message", *detail ? detail : sync_strerror(err));
    if (n) {
      cJSON *arr = cJSON_AddArrayToObject(o, "issues");
      for (size_t i = 0; i < n; i++) {
        cJSON *it = cJSON_CreateObject();
        cJSON_AddStringToObject(it, "field", sync_store_issue_field(cli->store, i));
        cJSON_AddStringToObject(it, "code", sync_store_issue_code(cli->store, i));
        cJSON_AddStringToObject(it, "message", sync_store_issue_message(cli->store, i));
        cJSON_AddItemToArray(arr, it);
      }
    }
    cli_print_json_owned(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return EXIT_FAIL;
  }
  fprintf(stderr, "syncctl: %s failed: %s", what, sync_strerror(err));
  if (*detail)
    fprintf(stderr, ": %s", detail);
  fputc('\n', stderr);
  for (size_t i = 0; i < n; i++)
    fprintf(stderr, "  %-28s %-14s %s\n", sync_store_issue_field(cli->store, i),
            sync_store_issue_code(cli->store, i), sync_store_issue_message(cli->store, i));
  return EXIT_FAIL;
}

int cli_usage_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("syncctl: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs(" (see 'syncctl --help')\n", stderr);
  va_end(ap);
  return EXIT_USAGE;
}

char *cli_read_input(const char *path, size_t *len)
{
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "syncctl: cannot read '%s'\n", path);
    return NULL;
  }
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap)
      break;
    char *nb = realloc(buf, cap * 2 + 1);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  int bad = ferror(f);
  if (f != stdin)
    fclose(f);
  if (!buf || bad) {
    free(buf);
    fprintf(stderr, "syncctl: cannot read '%s'\n", path);
    return NULL;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int64_t cli_parse_day_ms(const char *text)
{
  int y, m, d;
  char tail;
  if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
    return -1;
  return days_from_civil(y, (unsigned)m, (unsigned)d) * 86400000LL;
}

void cli_iso_time(int64_t ms, char *out, size_t outlen)
{
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  if (!gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, outlen, "%lld", (long long)ms);
}

void cli_print_json_owned(char *json)
{
  if (json)
    puts(json);
  free(json);
}
