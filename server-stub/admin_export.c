/* Admin commands for central staff: exports and their audit, dashboard users (admin.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "admin.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "export.h"
#include "export_verify.h"
#include "sync/seal.h"
#include "staff.h"

#define MAX_OMIT 64

/* ---- export ------------------------------------------------------------------------------- */

/* The secret key of a `syncserver keygen` file into out; -1 with the reason in why. */
static int read_central_key(const char *path, char out[64], char *why, size_t whylen)
{
  size_t len;
  char *text = admin_read_file(path, 4096, &len);
  cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
  if (text)
    sodium_memzero(text, len);
  free(text);
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  const cJSON *sk = cJSON_GetObjectItemCaseSensitive(doc, "secret_key");
  int rc = -1;
  if (!doc)
    snprintf(why, whylen, "cannot read %s as JSON", path);
  else if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "libsync-central-key") != 0 ||
           !cJSON_IsString(sk) || strlen(sk->valuestring) != SYNC_SEAL_KEY_B64_LEN)
    snprintf(why, whylen, "%s is not a central key file (made by syncserver keygen)", path);
  else {
    snprintf(out, 64, "%s", sk->valuestring);
    rc = 0;
  }
  if (cJSON_IsString(sk))
    sodium_memzero(sk->valuestring, strlen(sk->valuestring));
  cJSON_Delete(doc);
  return rc;
}

int admin_export(const cli_t *c)
{
  static const char *const known[] = {"db", "by", "format", "out", "lang", "omit", "form",
                                      "region", "from", "to", "date", "status", "case-status",
                                      "result", "private-key", "flag:codes", "flag:bom",
                                      "flag:raw-text", NULL};
  if (cli_check(c, known))
    return 2;
  const char *by = cli_opt(c, "by"), *format = cli_opt(c, "format"), *out_path = cli_opt(c, "out");
  const char *lang = cli_opt(c, "lang");
  if (!by || !*by || strlen(by) > 128) {
    fprintf(stderr, "syncserver: export needs --by NAME (who exports: written to the audit log)\n");
    return 2;
  }
  exp_options_t o;
  memset(&o, 0, sizeof o);
  rq_filter_init(&o.filter);
  if (admin_filter(c, &o.filter))
    return 2;
  if (!format || strcmp(format, "csv") == 0) {
    o.format = EXP_CSV;
  } else if (strcmp(format, "jsonl") == 0) {
    o.format = EXP_JSONL;
  } else {
    fprintf(stderr, "syncserver: --format csv or jsonl\n");
    return 2;
  }
  if (lang && cli_flag(c, "codes")) {
    fprintf(stderr, "syncserver: --lang and --codes exclude each other\n");
    return 2;
  }
  if (lang && strcmp(lang, "id") != 0 && strcmp(lang, "en") != 0) {
    fprintf(stderr, "syncserver: --lang id or en\n");
    return 2;
  }
  /* CSV is for people (labels, Indonesian by default); JSON lines for programs (codes). */
  o.lang = cli_flag(c, "codes") ? NULL : lang ? lang : o.format == EXP_CSV ? "id" : NULL;
  o.bom = cli_flag(c, "bom");
  o.raw_text = cli_flag(c, "raw-text");
  if ((o.bom || o.raw_text) && o.format != EXP_CSV) {
    fprintf(stderr, "syncserver: --bom and --raw-text are for CSV\n");
    return 2;
  }
  char omit_buf[2048];
  const char *omit[MAX_OMIT];
  const char *omit_arg = cli_opt(c, "omit");
  if (omit_arg) {
    snprintf(omit_buf, sizeof omit_buf, "%s", omit_arg);
    if (strlen(omit_arg) >= sizeof omit_buf || admin_split_list(omit_buf, omit, MAX_OMIT) != 0) {
      fprintf(stderr, "syncserver: --omit: too many fields\n");
      return 2;
    }
    o.omit = omit;
  }

  /* The central secret key opens sealed answers; it is read here, held only by the opener (in
   * guarded memory) and never stored. */
  sync_seal_opener_t *opener = NULL;
  const char *key_path = cli_opt(c, "private-key");
  if (key_path) {
    char central_key[64] = "", why[300] = "";
    if (read_central_key(key_path, central_key, why, sizeof why) == 0 &&
        sync_seal_opener_new(central_key, &opener) != SYNC_OK)
      snprintf(why, sizeof why, "%s holds no usable secret key", key_path);
    sodium_memzero(central_key, sizeof central_key);
    if (!opener) {
      fprintf(stderr, "syncserver: %s\n", why);
      return 1;
    }
  }

  /* A closed pipe (| head) must fail the write and be audited as failed, not kill us. */
  signal(SIGPIPE, SIG_IGN);
  db_conn_t *db = admin_open(c, 0);
  if (!db) {
    sync_seal_opener_free(opener);
    return 1;
  }
  db_no_mmap(db);   /* memory stays flat however large the database is */
  /* Opened sealed answers are written only after the integrity check (export_verify.h). */
  exp_verify_t *verify = NULL;
  if (opener && export_verify_new(db, opener, &verify) != SYNC_OK) {
    fprintf(stderr, "syncserver: the database holds no usable receipt key to check records\n");
    db_close(db);
    sync_seal_opener_free(opener);
    return 1;
  }
  if (verify) {
    o.open_payload = export_open_verified;
    o.open_ctx = verify;
  }
  FILE *out = stdout;
  char output[PATH_MAX + 1] = "stdout";
  if (out_path && strcmp(out_path, "-") != 0) {
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(out = fdopen(fd, "wb"))) {
      fprintf(stderr, "syncserver: cannot write %s: %s\n", out_path, strerror(errno));
      if (fd >= 0)
        close(fd);
      db_close(db);
      export_verify_free(verify);
      sync_seal_opener_free(opener);
      return 1;
    }
    if (!realpath(out_path, output))
      snprintf(output, sizeof output, "%s", out_path);
  }
  static char iobuf[1 << 16];
  setvbuf(out, iobuf, _IOFBF, sizeof iobuf);
  char *audit_path = export_audit_path(cli_opt(c, "db"));
  exp_result_t res;
  char err[1024];
  sync_err_t e = audit_path ? export_audited(db, &o, out, by, output, audit_path, &res, err,
                                             sizeof err)
                            : SYNC_ERR_NOMEM;
  int closed = out == stdout ? fflush(out) : fclose(out);
  long long flagged = verify ? export_verify_report(verify, stderr) : 0;
  export_verify_free(verify);
  db_close(db);
  sync_seal_opener_free(opener);
  free(audit_path);
  if (e == SYNC_OK && closed != 0) {
    snprintf(err, sizeof err, "write failed: %s", strerror(errno));
    e = SYNC_ERR_IO;
  }
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: export failed: %s\n", e == SYNC_ERR_NOMEM ? "out of memory" : err);
    if (out != stdout)
      unlink(out_path);
    return e == SYNC_ERR_INVALID_ARG ? 2 : 1;
  }
  fprintf(stderr, "exported %lld record(s) of form %s to %s (audited)\n", (long long)res.records,
          res.form_id, output);
  if (res.unreadable) {
    fprintf(stderr, "syncserver: %lld record(s) could not be read and were left out (listed"
            " above)\n", (long long)res.unreadable);
    return 3;
  }
  if (flagged)
    return 3;   /* answers were withheld from records named above */
  return 0;
}

/* ---- audit -------------------------------------------------------------------------------- */

typedef struct audit_ctx {
  int json;
  cJSON *arr;
} audit_ctx_t;

static int print_security(void *ctx, const db_sec_event_t *ev)
{
  audit_ctx_t *l = ctx;
  char t1[32];
  if (l->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)ev->id);
    cJSON_AddNumberToObject(o, "at", (double)ev->at);
    cJSON_AddStringToObject(o, "kind", ev->kind ? ev->kind : "");
    cJSON_AddStringToObject(o, "addr", ev->addr ? ev->addr : "");
    cJSON_AddStringToObject(o, "device_id", ev->device_id ? ev->device_id : "");
    cJSON_AddStringToObject(o, "reason", ev->reason ? ev->reason : "");
    cJSON_AddStringToObject(o, "prefix", ev->prefix ? ev->prefix : "");
    cJSON_AddNumberToObject(o, "count", (double)ev->count);
    cJSON_AddNumberToObject(o, "last_at", (double)ev->last_at);
    cJSON_AddItemToArray(l->arr, o);
  } else {
    char t2[32];
    printf("%5lld  %-20s  %-20s  %6lld  %-12s  %-39s  %-36s  %s\n", (long long)ev->id,
           admin_time(ev->at, t1, sizeof t1), admin_time(ev->last_at, t2, sizeof t2),
           (long long)ev->count, ev->kind ? ev->kind : "", ev->addr && *ev->addr ? ev->addr : "-",
           ev->device_id && *ev->device_id ? ev->device_id : "-", ev->reason ? ev->reason : "");
  }
  return 0;
}

static int print_audit(void *ctx, const db_audit_t *a)
{
  audit_ctx_t *l = ctx;
  char t1[32];
  if (l->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)a->id);
    cJSON_AddNumberToObject(o, "started_at", (double)a->started_at);
    if (a->finished_at)
      cJSON_AddNumberToObject(o, "finished_at", (double)a->finished_at);
    else
      cJSON_AddNullToObject(o, "finished_at");
    cJSON_AddStringToObject(o, "by", a->by);
    cJSON_AddStringToObject(o, "format", a->format);
    cJSON *f = cJSON_Parse(a->filter ? a->filter : "{}");
    cJSON_AddItemToObject(o, "filter", f ? f : cJSON_CreateObject());
    cJSON_AddStringToObject(o, "output", a->output ? a->output : "");
    cJSON_AddNumberToObject(o, "records", (double)a->records);
    cJSON_AddStringToObject(o, "outcome", a->outcome);
    cJSON_AddStringToObject(o, "detail", a->detail ? a->detail : "");
    cJSON_AddItemToArray(l->arr, o);
  } else {
    printf("%5lld  %-20s  %-16s  %-9s  %8lld  %-7s  %s  -> %s%s%s\n", (long long)a->id,
           admin_time(a->started_at, t1, sizeof t1), a->by, a->format, (long long)a->records,
           a->outcome, a->filter ? a->filter : "", a->output ? a->output : "",
           a->detail && *a->detail ? "  " : "", a->detail ? a->detail : "");
  }
  return 0;
}

int admin_audit(const cli_t *c)
{
  static const char *const known[] = {"db", "limit", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  int limit = 0;
  const char *lim = cli_opt(c, "limit");
  if (lim && (limit = atoi(lim)) <= 0) {
    fprintf(stderr, "syncserver: --limit must be a positive number\n");
    return 2;
  }
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  /* Two logs: exports (who took which records where) and security events (failed
   * authentication, rate limiting, enrollments). JSON: {"exports": [...], "security": [...]}. */
  audit_ctx_t ex = {cli_flag(c, "json"), NULL}, sec = ex;
  if (ex.json) {
    ex.arr = cJSON_CreateArray();
    sec.arr = cJSON_CreateArray();
  } else {
    printf("Exports\n%5s  %-20s  %-16s  %-9s  %8s  %-7s  %s\n", "ID", "STARTED", "BY", "FORMAT",
           "RECORDS", "OUTCOME", "FILTER -> OUTPUT");
  }
  sync_err_t e = db_audit_list(db, limit, print_audit, &ex);
  if (e == SYNC_OK && !ex.json)
    printf("\nSecurity events\n%5s  %-20s  %-20s  %6s  %-12s  %-39s  %-36s  %s\n", "ID", "AT",
           "LAST", "COUNT", "KIND", "ADDRESS", "DEVICE", "REASON");
  if (e == SYNC_OK)
    e = db_security_list(db, limit, print_security, &sec);
  db_close(db);
  if (e != SYNC_OK) {
    cJSON_Delete(ex.arr);
    cJSON_Delete(sec.arr);
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  if (!ex.json)
    return 0;
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddItemToObject(doc, "exports", ex.arr);
  cJSON_AddItemToObject(doc, "security", sec.arr);
  return admin_print_json(doc);
}

/* ---- dashboard users ---------------------------------------------------------------------- */

/* One line from f without its line end; -1 at EOF / too long. */
static int read_line(FILE *f, char *buf, size_t len)
{
  if (!fgets(buf, (int)len, f))
    return -1;
  size_t n = strlen(buf);
  if (n == len - 1 && buf[n - 1] != '\n' && !feof(f))
    return -1;
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    buf[--n] = '\0';
  return 0;
}

/* Prompts on the terminal without echo. */
static int prompt_password(const char *prompt, char *buf, size_t len)
{
  struct termios old, quiet;
  if (tcgetattr(STDIN_FILENO, &old) != 0)
    return -1;
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  fprintf(stderr, "%s", prompt);
  fflush(stderr);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  int rc = read_line(stdin, buf, len);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  fputc('\n', stderr);
  return rc;
}

static int get_password(const cli_t *c, char *pw, size_t len)
{
  const char *file = cli_opt(c, "password-file");
  if (file) {
    FILE *f = fopen(file, "r");
    int rc = f ? read_line(f, pw, len) : -1;
    if (f)
      fclose(f);
    if (rc != 0)
      fprintf(stderr, "syncserver: cannot read a password line from %s\n", file);
    return rc;
  }
  if (isatty(STDIN_FILENO)) {
    char again[STAFF_PASSWORD_MAX + 2];
    if (prompt_password("Kata sandi / Password: ", pw, len) != 0 ||
        prompt_password("Ulangi / Repeat: ", again, sizeof again) != 0)
      return -1;
    int same = strcmp(pw, again) == 0;
    sodium_memzero(again, sizeof again);
    if (!same) {
      fprintf(stderr, "syncserver: the passwords differ\n");
      return -1;
    }
    return 0;
  }
  if (read_line(stdin, pw, len) != 0) {
    fprintf(stderr, "syncserver: no password on stdin\n");
    return -1;
  }
  return 0;
}

int admin_user_add(const cli_t *c)
{
  static const char *const known[] = {"db", "name", "password-file", "flag:force", NULL};
  if (cli_check(c, known))
    return 2;
  const char *name = cli_opt(c, "name");
  if (!staff_name_ok(name)) {
    fprintf(stderr, "syncserver: user add needs --name LOGIN (lower-case letters, digits, . _ -;"
            " at most %d)\n", DB_STAFF_NAME_MAX);
    return 2;
  }
  char pw[STAFF_PASSWORD_MAX + 2];
  if (get_password(c, pw, sizeof pw) != 0)
    return 1;
  size_t n = strlen(pw);
  if (n < STAFF_PASSWORD_MIN) {
    sodium_memzero(pw, sizeof pw);
    fprintf(stderr, "syncserver: the password needs at least %d characters\n", STAFF_PASSWORD_MIN);
    return 1;
  }
  char hash[DB_PWHASH_MAX];
  int hashed = staff_hash_password(pw, n, hash);
  sodium_memzero(pw, sizeof pw);
  if (hashed != 0) {
    fprintf(stderr, "syncserver: cannot hash the password (out of memory?)\n");
    return 1;
  }
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  int replace = cli_flag(c, "force");
  sync_err_t e = db_staff_add(db, name, hash, replace);
  db_close(db);
  if (e == SYNC_ERR_EXISTS) {
    fprintf(stderr, "syncserver: user %s exists (--force sets a new password and ends their"
            " sessions)\n", name);
    return 1;
  }
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  printf("user %s %s\n", name, replace ? "saved" : "added");
  return 0;
}

typedef struct user_ctx {
  int json;
  cJSON *arr;
} user_ctx_t;

static int print_user(void *ctx, const db_staff_t *s)
{
  user_ctx_t *l = ctx;
  char t1[32], t2[32];
  if (l->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddNumberToObject(o, "created_at", (double)s->created_at);
    if (s->last_login)
      cJSON_AddNumberToObject(o, "last_login", (double)s->last_login);
    else
      cJSON_AddNullToObject(o, "last_login");
    cJSON_AddNumberToObject(o, "sessions", (double)s->sessions);
    cJSON_AddItemToArray(l->arr, o);
  } else {
    printf("%-24s  %-20s  %-20s  %lld\n", s->name, admin_time(s->created_at, t1, sizeof t1),
           admin_time(s->last_login, t2, sizeof t2), (long long)s->sessions);
  }
  return 0;
}

int admin_user_list(const cli_t *c)
{
  int rc;
  db_conn_t *db = admin_list_open(c, &rc);
  if (!db)
    return rc;
  user_ctx_t l = {cli_flag(c, "json"), NULL};
  if (l.json)
    l.arr = cJSON_CreateArray();
  else
    printf("%-24s  %-20s  %-20s  %s\n", "NAME", "CREATED", "LAST LOGIN", "SESSIONS");
  sync_err_t e = db_staff_list(db, print_user, &l);
  return admin_list_done(db, e, l.arr);
}

int admin_user_remove(const cli_t *c)
{
  static const char *const known[] = {"db", NULL};
  if (cli_check(c, known))
    return 2;
  const char *name = cli_pos(c, 0);
  if (!name) {
    fprintf(stderr, "syncserver: user remove needs the login name\n");
    return 2;
  }
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  sync_err_t e = db_staff_remove(db, name);
  db_close(db);
  if (admin_named_result(e, "user", name))
    return 1;
  printf("user %s removed; their sessions ended\n", name);
  return 0;
}
