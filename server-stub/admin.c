/* Admin commands: command-line helpers, database set-up, devices and forms (admin.h). */
#include "admin.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "form_def.h"
#include "server.h"
#include "uuid.h"

/* ---- command line ------------------------------------------------------------------------- */

static const char *const FLAGS[] = {"--json", "--force", "--codes", "--bom", "--raw-text", NULL};

static int is_flag(const char *w)
{
  for (int i = 0; FLAGS[i]; i++)
    if (strcmp(w, FLAGS[i]) == 0)
      return 1;
  return 0;
}

const char *cli_opt(const cli_t *c, const char *key)
{
  for (int i = 0; i < c->argc; i++) {
    if (strncmp(c->argv[i], "--", 2) != 0)
      continue;
    if (is_flag(c->argv[i]))
      continue;
    if (strcmp(c->argv[i] + 2, key) == 0)
      return i + 1 < c->argc ? c->argv[i + 1] : NULL;
    i++; /* skip the value */
  }
  return NULL;
}

int cli_flag(const cli_t *c, const char *key)
{
  for (int i = 0; i < c->argc; i++) {
    if (strncmp(c->argv[i], "--", 2) != 0)
      continue;
    if (is_flag(c->argv[i])) {
      if (strcmp(c->argv[i] + 2, key) == 0)
        return 1;
    } else {
      i++;
    }
  }
  return 0;
}

const char *cli_pos(const cli_t *c, int n)
{
  for (int i = 0; i < c->argc; i++) {
    if (strncmp(c->argv[i], "--", 2) == 0) {
      if (!is_flag(c->argv[i]))
        i++;
      continue;
    }
    if (n-- == 0)
      return c->argv[i];
  }
  return NULL;
}

int cli_check(const cli_t *c, const char *const *known)
{
  for (int i = 0; i < c->argc; i++) {
    const char *w = c->argv[i];
    if (strncmp(w, "--", 2) != 0)
      continue;
    int ok = 0;
    for (int k = 0; known[k]; k++) {
      const char *name = known[k];
      int flag = strncmp(name, "flag:", 5) == 0;
      if (flag)
        name += 5;
      if (strcmp(w + 2, name) == 0 && flag == is_flag(w)) {
        ok = 1;
        break;
      }
    }
    if (!ok) {
      fprintf(stderr, "syncserver: unknown option %s\n", w);
      return 2;
    }
    if (!is_flag(w)) {
      if (i + 1 >= c->argc) {
        fprintf(stderr, "syncserver: option %s needs a value\n", w);
        return 2;
      }
      i++;
    }
  }
  return 0;
}

db_conn_t *admin_open(const cli_t *c, int flags)
{
  const char *path = cli_opt(c, "db");
  if (!path) {
    fprintf(stderr, "syncserver: --db PATH is required\n");
    return NULL;
  }
  if (!(flags & DB_OPEN_CREATE) && access(path, F_OK) != 0) {
    fprintf(stderr, "syncserver: %s does not exist (create it with: syncserver init --db %s)\n",
            path, path);
    return NULL;
  }
  db_conn_t *db;
  char err[512];
  if (db_open(path, flags, &db, err, sizeof err) != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", err);
    return NULL;
  }
  return db;
}

const char *admin_time(int64_t ms, char *buf, size_t len)
{
  if (ms <= 0) {
    snprintf(buf, len, "never");
    return buf;
  }
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int admin_print_json(cJSON *doc)
{
  char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
  cJSON_Delete(doc);
  if (!text) {
    fprintf(stderr, "syncserver: out of memory\n");
    return 1;
  }
  puts(text);
  free(text);
  return 0;
}

/* ---- init --------------------------------------------------------------------------------- */

int admin_init(const cli_t *c)
{
  static const char *const known[] = {"db", NULL};
  if (cli_check(c, known))
    return 2;
  db_conn_t *db = admin_open(c, DB_OPEN_CREATE);
  if (!db)
    return 1;
  printf("database %s ready (schema %d, server_id %s)\n", cli_opt(c, "db"), DB_SCHEMA_VERSION,
         db_server_id(db));
  db_close(db);
  return 0;
}

/* ---- devices ------------------------------------------------------------------------------ */

int admin_device_add(const cli_t *c)
{
  static const char *const known[] = {"db", "name", "unit", "id", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  const char *name = cli_opt(c, "name"), *unit = cli_opt(c, "unit"), *id = cli_opt(c, "id");
  if (!name || !*name) {
    fprintf(stderr, "syncserver: device add needs --name NAME\n");
    return 2;
  }
  if (strlen(name) > DB_NAME_MAX || (unit && strlen(unit) > DB_NAME_MAX)) {
    fprintf(stderr, "syncserver: --name and --unit are limited to %d bytes\n", DB_NAME_MAX);
    return 2;
  }
  char device_id[PROTO_UUID_LEN + 1];
  if (id) {
    if (!proto_uuid_valid(id)) {
      fprintf(stderr, "syncserver: --id must be a lower-case UUID (the device's id)\n");
      return 2;
    }
    snprintf(device_id, sizeof device_id, "%s", id);
  } else if (uuid_v4(device_id) != 0) {
    fprintf(stderr, "syncserver: no random source\n");
    return 1;
  }
  char secret[PROTO_SECRET_LEN + 1];
  unsigned char hash[32];
  if (auth_new_secret(secret, hash) != 0) {
    fprintf(stderr, "syncserver: no random source\n");
    return 1;
  }
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  sync_err_t e = db_device_add(db, device_id, name, unit ? unit : "", hash);
  db_close(db);
  if (e == SYNC_ERR_EXISTS) {
    fprintf(stderr, "syncserver: device %s already exists\n", device_id);
    return 1;
  }
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: cannot add the device: %s\n", sync_strerror(e));
    return 1;
  }
  int rc = 0;
  if (cli_flag(c, "json")) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", device_id);
    cJSON_AddStringToObject(o, "secret", secret);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "unit", unit ? unit : "");
    rc = admin_print_json(o);
  } else {
    printf("device_id: %s\nsecret: %s\nauthorization: Device %s:%s\n", device_id, secret,
           device_id, secret);
    fprintf(stderr, "The secret is shown only now; the server keeps only its SHA-256.\n");
  }
  sodium_memzero(secret, sizeof secret);
  fflush(stdout);
  return rc;
}

typedef struct list_ctx {
  int json;
  cJSON *arr;
} list_ctx_t;

static int print_device(void *ctx, const db_device_activity_t *a)
{
  list_ctx_t *l = ctx;
  const db_device_t *d = &a->d;
  char seen[32], push[32];
  if (l->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", d->device_id);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddStringToObject(o, "unit", d->unit);
    cJSON_AddStringToObject(o, "status", d->revoked ? "revoked" : "active");
    cJSON_AddNumberToObject(o, "created_at", (double)d->created_at);
    if (d->last_seen_at)
      cJSON_AddNumberToObject(o, "last_seen_at", (double)d->last_seen_at);
    else
      cJSON_AddNullToObject(o, "last_seen_at");
    if (a->last_push_at)
      cJSON_AddNumberToObject(o, "last_push_at", (double)a->last_push_at);
    else
      cJSON_AddNullToObject(o, "last_push_at");
    cJSON_AddNumberToObject(o, "records_received", (double)d->records_received);
    cJSON_AddNumberToObject(o, "pending_conflicts", (double)a->pending_conflicts);
    cJSON_AddItemToArray(l->arr, o);
  } else {
    printf("%-36s  %-7s  %-20s  %-20s  %8lld  %9lld  %s%s%s\n", d->device_id,
           d->revoked ? "revoked" : "active", admin_time(d->last_seen_at, seen, sizeof seen),
           admin_time(a->last_push_at, push, sizeof push), (long long)d->records_received,
           (long long)a->pending_conflicts, d->name, d->unit[0] ? " / " : "", d->unit);
  }
  return 0;
}

int admin_device_list(const cli_t *c)
{
  static const char *const known[] = {"db", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  list_ctx_t l = {cli_flag(c, "json"), NULL};
  if (l.json)
    l.arr = cJSON_CreateArray();
  else
    printf("%-36s  %-7s  %-20s  %-20s  %8s  %9s  %s\n", "DEVICE", "STATUS", "LAST SEEN",
           "LAST PUSH", "RECORDS", "CONFLICTS", "NAME / UNIT");
  sync_err_t e = db_device_activity(db, print_device, &l);
  db_close(db);
  if (e != SYNC_OK) {
    cJSON_Delete(l.arr);
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  return l.json ? admin_print_json(l.arr) : 0;
}

int admin_device_revoke(const cli_t *c)
{
  static const char *const known[] = {"db", NULL};
  if (cli_check(c, known))
    return 2;
  const char *id = cli_pos(c, 0);
  if (!id) {
    fprintf(stderr, "syncserver: device revoke needs the device id\n");
    return 2;
  }
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  sync_err_t e = db_device_revoke(db, id);
  db_close(db);
  if (e == SYNC_ERR_NOT_FOUND) {
    fprintf(stderr, "syncserver: no device %s\n", id);
    return 1;
  }
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  printf("device %s revoked\n", id);
  return 0;
}

/* ---- forms -------------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t max, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(max + 1);
  size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
  fclose(f);
  if (!buf || n > max) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

int admin_form_publish(const cli_t *c)
{
  static const char *const known[] = {"db", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  const char *file = cli_pos(c, 0);
  if (!file) {
    fprintf(stderr, "syncserver: form publish needs a definition file\n");
    return 2;
  }
  size_t len;
  char *text = read_file(file, PROTO_MAX_FORM_DEF, &len);
  if (!text) {
    fprintf(stderr, "syncserver: cannot read %s (or larger than %u bytes)\n", file,
            PROTO_MAX_FORM_DEF);
    return 1;
  }
  int rc = 1;
  char *compact = NULL, *title = NULL;
  form_t *form = NULL;
  db_conn_t *db = NULL;
  cJSON *doc = cJSON_ParseWithLength(text, len);
  if (!cJSON_IsObject(doc)) {
    fprintf(stderr, "syncserver: %s is not a JSON object\n", file);
    goto done;
  }
  compact = cJSON_PrintUnformatted(doc);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "title");
  title = cJSON_IsObject(t) ? cJSON_PrintUnformatted(t) : strdup("{}");
  if (!compact || !title)
    goto done;
  sync_err_t e;
  char err[512];
  if (!(form = form_parse(compact, strlen(compact), &e, err, sizeof err))) {
    fprintf(stderr, "syncserver: %s: invalid form definition: %s\n", file, err);
    goto done;
  }
  unsigned char digest[32];
  char sha[PROTO_SHA256_LEN + 1];
  crypto_hash_sha256(digest, (const unsigned char *)compact, strlen(compact));
  sodium_bin2hex(sha, sizeof sha, digest, sizeof digest);
  if (!(db = admin_open(c, 0)))
    goto done;
  int added = 0;
  int64_t seq = 0;
  e = db_form_publish(db, form_id(form), form_version(form), compact, sha, title, &added, &seq);
  if (e == SYNC_ERR_EXISTS) {
    fprintf(stderr, "syncserver: form %s v%d is already published with other content; versions"
            " are immutable, publish a new version\n", form_id(form), form_version(form));
    goto done;
  }
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: cannot publish: %s (%s)\n", sync_strerror(e), db_errmsg(db));
    goto done;
  }
  if (cli_flag(c, "json")) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "form_id", form_id(form));
    cJSON_AddNumberToObject(o, "version", form_version(form));
    cJSON_AddStringToObject(o, "sha256", sha);
    cJSON_AddBoolToObject(o, "added", added);
    if (added)
      cJSON_AddNumberToObject(o, "seq", (double)seq);
    rc = admin_print_json(o);
  } else {
    if (added)
      printf("published %s v%d sha256 %s (seq %lld)\n", form_id(form), form_version(form), sha,
             (long long)seq);
    else
      printf("%s v%d is already published with the same content\n", form_id(form),
             form_version(form));
    rc = 0;
  }
done:
  db_close(db);
  form_free(form);
  free(compact);
  free(title);
  cJSON_Delete(doc);
  free(text);
  return rc;
}

int admin_form_list(const cli_t *c)
{
  static const char *const known[] = {"db", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  db_conn_t *db = admin_open(c, DB_OPEN_READONLY);
  if (!db)
    return 1;
  proto_forms_list_t l;
  sync_err_t e = db_forms_list(db, &l);
  db_close(db);
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  int json = cli_flag(c, "json");
  cJSON *arr = json ? cJSON_CreateArray() : NULL;
  char when[32];
  for (size_t i = 0; i < l.n_forms; i++) {
    const proto_form_info_t *f = &l.forms[i];
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "form_id", f->form_id);
      cJSON_AddNumberToObject(o, "version", f->version);
      cJSON_AddStringToObject(o, "sha256", f->sha256);
      cJSON_AddItemToObject(o, "title", cJSON_Parse(f->title));
      cJSON_AddNumberToObject(o, "published_at", (double)f->published_at);
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%-24s v%-4d %s  %s  %s\n", f->form_id, f->version,
             admin_time(f->published_at, when, sizeof when), f->sha256, f->title);
    }
  }
  db_forms_list_free(&l);
  return json ? admin_print_json(arr) : 0;
}
