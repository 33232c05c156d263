/* The measured world of bench_sync (world.h): server, enrolled device, sample records, and the
 * content limit. */
#define _DEFAULT_SOURCE 1
#include "world.h"

#include <lz4hc.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc.h"
#include "sample.h"
#include "sync/sync.h"

#define FORM_PATH SYNC_SOURCE_DIR "/proto/forms/tppo_screening.v1.json"
#define MAKE_TEST_CA SYNC_SOURCE_DIR "/tests/support/make-test-ca.sh"
/* The sealed form's clear part, as README.md and scripts/demo.sh publish it. */
#define CLEAR_FIELDS                                                                               \
  "interview_date,province,regency_code,unit_type,unit_type_other,unit_name,interpreter_used,"     \
  "interpreter_language,safe_to_talk,consent,case_status,referral_outcome,is_child,"               \
  "result_category,sector,destination_country"
#define DEDUP_FIELDS "full_name,dob,sex"

char g_syncserver[PATH_MAX];

static void value_after(const char *text, const char *key, char *out, size_t len)
{
  const char *p = strstr(text, key);
  if (!p)
    die("no '%s' in: %s", key, text);
  p += strlen(key);
  while (*p == ' ')
    p++;
  size_t n = strcspn(p, "\r\n");
  if (n >= len)
    die("value too long after '%s'", key);
  memcpy(out, p, n);
  out[n] = '\0';
}

static sync_store_t *open_store(const char *path, sync_kdf_strength_t kdf)
{
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.passphrase = BENCH_PASSPHRASE;
  o.kdf = kdf;
  sync_store_t *s = NULL;
  sync_err_t err = sync_store_open(path, &o, &s);
  if (err != SYNC_OK)
    die("cannot open the store %s: %s", path, sync_strerror(err));
  return s;
}

/* A TLS certificate for 127.0.0.1, its CA and the key's pin (make-test-ca.sh) in w->dir. */
static void make_tls(world_t *w)
{
  char *ca_cmd[] = {(char *)"/bin/sh", (char *)MAKE_TEST_CA, w->dir, NULL};
  free(run(ca_cmd));
  char pin_path[PATH_MAX];
  join(pin_path, sizeof pin_path, w->dir, "/pin.txt");
  FILE *f = fopen(pin_path, "r");
  if (!f || !fgets(w->pin, sizeof w->pin, f))
    die("no pin from %s", MAKE_TEST_CA);
  fclose(f);
  w->pin[strcspn(w->pin, "\r\n")] = '\0';
  join(w->ca, sizeof w->ca, w->dir, "/ca.pem");
}

/* The reference form published: sealed to a central key made now with the README's clear and
 * dedup fields, or plain. */
static void publish(const world_t *w)
{
  char key[PATH_MAX], pub[PATH_MAX];
  join(key, sizeof key, w->dir, "/central.key");
  join(pub, sizeof pub, w->dir, "/central.key.pub");
  char *keygen[] = {g_syncserver, (char *)"keygen", (char *)"--out", key, NULL};
  char *sealed_cmd[] = {g_syncserver, (char *)"form", (char *)"publish", (char *)"--db",
                        (char *)w->db, (char *)FORM_PATH, (char *)"--seal-to", pub,
                        (char *)"--clear-fields", (char *)CLEAR_FIELDS, (char *)"--dedup-fields",
                        (char *)DEDUP_FIELDS, NULL};
  char *plain_cmd[] = {g_syncserver, (char *)"form", (char *)"publish", (char *)"--db",
                       (char *)w->db, (char *)FORM_PATH, NULL};
  if (w->sealed)
    free(run(keygen));
  free(run(w->sealed ? sealed_cmd : plain_cmd));
}

static void serve(world_t *w)
{
  char cert[PATH_MAX], key[PATH_MAX];
  join(cert, sizeof cert, w->dir, "/srv.pem");
  join(key, sizeof key, w->dir, "/srv.key");
  char *argv[] = {g_syncserver, (char *)"serve", (char *)"--db", w->db, (char *)"--listen",
                  (char *)"127.0.0.1:0", (char *)"--log-level", (char *)"warn",
                  w->sealed ? (char *)"--tls-cert" : NULL, cert, (char *)"--tls-key", key, NULL};
  char line[128];
  w->pid = start_with_line(argv, line, sizeof line);
  const char *colon = strrchr(line, ':');
  if (strncmp(line, "LISTENING ", 10) != 0 || !colon)
    die("syncserver did not start: '%s'", line);
  w->port = atoi(colon + 1);
  snprintf(w->url, sizeof w->url, "%s://127.0.0.1:%d", w->sealed ? "https" : "http", w->port);
}

/* The device enrolled with a one-time code from `syncserver enroll create`. */
static void enroll(world_t *w, const char *code)
{
  sync_store_t *st = open_store(w->store, SYNC_KDF_TEST);
  sync_enroll_config_t c;
  sync_enroll_config_init(&c);
  c.server_url = w->url;
  c.code = code;
  c.ca_file = w->ca[0] ? w->ca : NULL;
  c.pinned_pubkey = w->pin[0] ? w->pin : NULL;
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  char why[512];
  if (sync_enroll(st, &c, why, sizeof why) != SYNC_OK)
    die("enroll: %s", why);
  snprintf(w->device_id, sizeof w->device_id, "%s", sync_store_device_id(st));
  sync_store_close(st);
}

/* The device's first sync, straight to the server: it receives the form. */
static void first_sync(const world_t *w)
{
  sync_engine_config_t c;
  sync_engine_config_init(&c);
  c.store_path = w->store;
  c.store_passphrase = BENCH_PASSPHRASE;
  c.server_url = w->url;
  c.ca_file = w->ca[0] ? w->ca : NULL;
  c.pinned_pubkey = w->pin[0] ? w->pin : NULL;
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  sync_engine_t *e = NULL;
  char err[256];
  if (sync_engine_new(&c, &e, err, sizeof err) != SYNC_OK)
    die("engine: %s", err);
  sync_err_t rc = sync_engine_run_once(e);
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);
  if (rc != SYNC_OK)
    die("first sync: %s (%s)", sync_errname(rc), st.message);
}

void world_start(world_t *w, const char *work, const char *name, int sealed)
{
  memset(w, 0, sizeof *w);
  w->sealed = sealed;
  char sub[96];
  snprintf(sub, sizeof sub, "/%s-%s", name, sealed ? "sealed" : "plain");
  join(w->dir, sizeof w->dir, work, sub);
  if (mkdir(w->dir, 0700) != 0)
    die("mkdir %s failed", w->dir);
  join(w->db, sizeof w->db, w->dir, "/server.db");
  join(w->store, sizeof w->store, w->dir, "/device.db");
  char *init[] = {g_syncserver, (char *)"init", (char *)"--db", w->db, NULL};
  char *code_cmd[] = {g_syncserver, (char *)"enroll", (char *)"create", (char *)"--db", w->db,
                      (char *)"--name", (char *)"bench", NULL};
  free(run(init));
  publish(w);
  char code[32];
  char *out = run(code_cmd);
  value_after(out, "code:", code, sizeof code);
  free(out);
  if (sealed)
    make_tls(w);
  serve(w);
  enroll(w, code);
  first_sync(w);
}

void world_stop(world_t *w)
{
  if (w->pid > 0) {
    kill(w->pid, SIGTERM);
    wait_pid(w->pid, NULL);
    w->pid = 0;
  }
}

long long world_server_count(const world_t *w)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  long long n = -1;
  if (sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT count(*) FROM record_revisions WHERE source = ?1", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, w->device_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static void content_add(content_t *c, const char *payload)
{
  size_t n = strlen(payload);
  if (c->len + n + 2 > c->cap) {
    c->cap = (c->len + n + 2) * 2;
    if (!(c->json = realloc(c->json, c->cap)))
      die("out of memory");
  }
  memcpy(c->json + c->len, payload, n);
  c->len += n;
  c->json[c->len++] = '\n';
  c->json[c->len] = '\0';
}

size_t content_lz4hc9(const content_t *c)
{
  if (c->len > (size_t)LZ4_MAX_INPUT_SIZE)
    die("%zu bytes of content is more than one LZ4 block", c->len);
  int cap = LZ4_compressBound((int)c->len);
  char *z = malloc((size_t)cap);
  int zlen = z ? LZ4_compress_HC(c->json, z, (int)c->len, cap, 9) : 0;
  free(z);
  if (zlen <= 0)
    die("LZ4 HC of %zu bytes failed", c->len);
  return (size_t)zlen;
}

/* Every record of the store is sealed exactly when the setup seals: the device holds the
 * server's form, not one of its own. */
static void check_sealed(sync_store_t *s, int sealed)
{
  sync_record_list_t *list = NULL;
  if (sync_record_list(s, NULL, &list) != SYNC_OK || sync_record_list_count(list) == 0)
    die("cannot list the device's records");
  for (size_t i = 0; i < sync_record_list_count(list); i++)
    if (sync_record_sealed(sync_record_list_at(list, i)) != sealed)
      die("a record is %s, the setup is %s", sealed ? "in the clear" : "sealed",
          sealed ? "sealed" : "plain");
  sync_record_list_free(list);
}

void world_add_records(world_t *w, size_t n, uint64_t seed, content_t *c)
{
  size_t len;
  char *form = read_all(FORM_PATH, &len);
  char err[256];
  sample_gen_t *g = sample_gen_new(form, len, seed, err, sizeof err);
  if (!g)
    die("sample generator: %s", err);
  sync_store_t *s = open_store(w->store, SYNC_KDF_TEST);
  for (size_t done = 0; done < n;) {
    if (sync_store_begin(s) != SYNC_OK)
      die("begin: %s", sync_store_errmsg(s));
    for (size_t k = 0; k < 5000 && done < n; k++, done++) {
      char *payload = sample_gen_next(g);
      if (!payload || sync_record_create(s, "tppo_screening", 1, payload, SYNC_STATUS_FINAL,
                                         NULL) != SYNC_OK)
        die("record: %s", sync_store_errmsg(s));
      content_add(c, payload);
      free(payload);
    }
    if (sync_store_commit(s) != SYNC_OK)
      die("commit: %s", sync_store_errmsg(s));
  }
  check_sealed(s, w->sealed);
  sync_store_close(s);
  sample_gen_free(g);
  free(form);
}
