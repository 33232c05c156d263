/* Admin commands: command-line helpers, database set-up, devices and forms (admin.h). */
#include "admin.h"
#include "admin_dict.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "form_def.h"
#include "form_internal.h"
#include "server.h"

/* ---- command line ------------------------------------------------------------------------- */

static const char *const FLAGS[] = {"--json", "--force", "--codes", "--bom", "--raw-text",
                                    "--behind-tls-proxy", "--allow-insecure-http", NULL};

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

/* Splits "a,b,c" into `out` (pointers into `buf`). -1 when there are too many. */
int admin_split_list(char *buf, const char **out, size_t max)
{
  size_t n = 0;
  for (char *p = buf; p && *p;) {
    char *comma = strchr(p, ',');
    if (comma)
      *comma = '\0';
    if (*p) {
      if (n + 1 >= max)
        return -1;
      out[n++] = p;
    }
    p = comma ? comma + 1 : NULL;
  }
  out[n] = NULL;
  return 0;
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

db_conn_t *admin_list_open(const cli_t *c, int *rc)
{
  static const char *const known[] = {"db", "flag:json", NULL};
  *rc = 2;
  if (cli_check(c, known))
    return NULL;
  *rc = 1;
  return admin_open(c, DB_OPEN_READONLY);
}

int admin_list_done(db_conn_t *db, sync_err_t e, cJSON *json_list)
{
  db_close(db);
  if (e != SYNC_OK) {
    cJSON_Delete(json_list);
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    return 1;
  }
  return json_list ? admin_print_json(json_list) : 0;
}

int admin_named_result(sync_err_t e, const char *what, const char *name)
{
  if (e == SYNC_ERR_NOT_FOUND)
    fprintf(stderr, "syncserver: no %s %s\n", what, name);
  else if (e != SYNC_OK)
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
  return e == SYNC_OK ? 0 : 1;
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

typedef struct list_ctx {
  int json;
  cJSON *arr;
} list_ctx_t;

static int print_device(void *ctx, const db_device_activity_t *a)
{
  list_ctx_t *l = ctx;
  const db_device_t *d = &a->d;
  char seen[32], push[32], expires[32];
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
    if (d->credential_expires_at)
      cJSON_AddNumberToObject(o, "credential_expires_at", (double)d->credential_expires_at);
    else
      cJSON_AddNullToObject(o, "credential_expires_at");
    cJSON_AddNumberToObject(o, "pending_conflicts", (double)a->pending_conflicts);
    cJSON_AddItemToArray(l->arr, o);
  } else {
    int expired = d->credential_expires_at && d->credential_expires_at <= db_now_ms();
    printf("%-36s  %-7s  %-20s  %-20s  %-20s  %8lld  %9lld  %s%s%s\n", d->device_id,
           d->revoked ? "revoked" : expired ? "expired" : "active",
           admin_time(d->last_seen_at, seen, sizeof seen),
           admin_time(a->last_push_at, push, sizeof push),
           admin_time(d->credential_expires_at, expires, sizeof expires),
           (long long)d->records_received,
           (long long)a->pending_conflicts, d->name, d->unit[0] ? " / " : "", d->unit);
  }
  return 0;
}

int admin_device_list(const cli_t *c)
{
  int rc;
  db_conn_t *db = admin_list_open(c, &rc);
  if (!db)
    return rc;
  list_ctx_t l = {cli_flag(c, "json"), NULL};
  if (l.json)
    l.arr = cJSON_CreateArray();
  else
    printf("%-36s  %-7s  %-20s  %-20s  %-20s  %8s  %9s  %s\n", "DEVICE", "STATUS", "LAST SEEN",
           "LAST PUSH", "CREDENTIAL EXPIRES", "RECORDS", "CONFLICTS", "NAME / UNIT");
  sync_err_t e = db_device_activity(db, print_device, &l);
  return admin_list_done(db, e, l.arr);
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
  if (admin_named_result(e, "device", id))
    return 1;
  printf("device %s revoked\n", id);
  return 0;
}

/* ---- forms -------------------------------------------------------------------------------- */

char *admin_read_file(const char *path, size_t max, size_t *len)
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

/* A JSON array of the names in "a,b,c"; NULL for an empty or too long list. */
static cJSON *name_array(const char *list)
{
  char buf[2048];
  const char *names[128];
  if (strlen(list) >= sizeof buf)
    return NULL;
  snprintf(buf, sizeof buf, "%s", list);
  if (admin_split_list(buf, names, 128) != 0 || !names[0])
    return NULL;
  int n = 0;
  while (names[n])
    n++;
  return cJSON_CreateStringArray(names, n);
}

static int name_listed(const cJSON *names, const char *name)
{
  const cJSON *it;
  cJSON_ArrayForEach(it, names)
    if (cJSON_IsString(it) && strcmp(it->valuestring, name) == 0)
      return 1;
  return 0;
}

/* Adds to `fields` (the --clear-fields names) the fields a sealed form must keep readable (the
 * consent field and the fields kept without consent, FORMS.md "Encryption") and says on stderr
 * which it added. `doc` has no `encryption` block yet; when it does not parse, nothing is added
 * and the publish reports the definition's error. */
static int complete_clear_fields(const cJSON *doc, cJSON *fields)
{
  char *text = cJSON_PrintUnformatted(doc);
  if (!text)
    return -1;
  sync_err_t e;
  form_t *f = form_parse(text, strlen(text), &e, NULL, 0);
  free(text);
  if (!f)
    return 0;
  int added = 0;
  for (size_t i = 0; i < form_field_count(f); i++) {
    const char *name = form_field_name(f, i);
    if (!form_field_needs_clear(f, i) || name_listed(fields, name))
      continue;
    cJSON_AddItemToArray(fields, cJSON_CreateString(name));
    fprintf(stderr, "%s%s", added++ ? ", " : "syncserver: --clear-fields: added ", name);
  }
  if (added)
    fprintf(stderr, " (the consent field and the fields kept without consent stay readable:"
            " consent is checked on the clear part; proto/FORMS.md \"Encryption\")\n");
  form_free(f);
  return 0;
}

/* --seal-to / --clear-fields / --dedup-fields: the `encryption` and `duplicate_key` blocks
 * (SECURITY.md 4, 9) added to the definition before it is checked and published. */
static int form_add_security(const cli_t *c, db_conn_t *db, cJSON *doc)
{
  const char *seal_to = cli_opt(c, "seal-to"), *clear = cli_opt(c, "clear-fields");
  const char *dedup = cli_opt(c, "dedup-fields");
  if (clear && !seal_to) {
    fprintf(stderr, "syncserver: --clear-fields goes with --seal-to PUBFILE\n");
    return -1;
  }
  if (seal_to) {
    size_t len;
    char *pub = admin_read_file(seal_to, 4096, &len);
    unsigned char key[32];
    size_t got = 0;
    char *end = pub ? pub + strlen(pub) : NULL;
    while (end && end > pub && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
      *--end = '\0';
    if (!pub || sodium_base642bin(key, sizeof key, pub, strlen(pub), NULL, &got, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 || got != sizeof key) {
      fprintf(stderr, "syncserver: %s is not a central public key (base64 of 32 bytes; made by"
              " syncserver keygen)\n", seal_to);
      free(pub);
      return -1;
    }
    cJSON *enc = cJSON_CreateObject();
    cJSON *fields = clear ? name_array(clear) : cJSON_CreateArray();
    cJSON_AddStringToObject(enc, "public_key", pub);
    free(pub);
    if (!fields) {
      fprintf(stderr, "syncserver: --clear-fields: a comma-separated list of field names\n");
      cJSON_Delete(enc);
      return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "encryption");
    if (complete_clear_fields(doc, fields) != 0) {
      fprintf(stderr, "syncserver: out of memory\n");
      cJSON_Delete(fields);
      cJSON_Delete(enc);
      return -1;
    }
    cJSON_AddItemToObject(enc, "clear_fields", fields);
    cJSON_AddItemToObject(doc, "encryption", enc);
    if (admin_form_dictionary(doc, enc) != 0)
      return -1;
  }
  if (dedup) {
    cJSON *fields = name_array(dedup);
    db_keys_t keys;
    if (!fields) {
      fprintf(stderr, "syncserver: --dedup-fields: a comma-separated list of field names\n");
      return -1;
    }
    if (db_keys_get(db, &keys) != SYNC_OK) {
      fprintf(stderr, "syncserver: the server's duplicate-detection key cannot be read: %s\n",
              db_keys_error(db));
      cJSON_Delete(fields);
      return -1;
    }
    cJSON *dk = cJSON_CreateObject();
    cJSON_AddItemToObject(dk, "fields", fields);
    cJSON_AddStringToObject(dk, "key", keys.dedup_key_b64);
    db_keys_wipe(&keys);
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "duplicate_key");
    cJSON_AddItemToObject(doc, "duplicate_key", dk);
  }
  return 0;
}

int admin_form_publish(const cli_t *c)
{
  static const char *const known[] = {"db", "seal-to", "clear-fields", "dedup-fields", "flag:json",
                                      NULL};
  if (cli_check(c, known))
    return 2;
  const char *file = cli_pos(c, 0);
  if (!file) {
    fprintf(stderr, "syncserver: form publish needs a definition file\n");
    return 2;
  }
  size_t len;
  char *text = admin_read_file(file, PROTO_MAX_FORM_DEF, &len);
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
  if (!(db = admin_open(c, 0)) || form_add_security(c, db, doc) != 0)
    goto done;
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
  int rc;
  db_conn_t *db = admin_list_open(c, &rc);
  if (!db)
    return rc;
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
