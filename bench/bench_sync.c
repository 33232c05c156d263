/* bench_sync: end-to-end push figures of the sync engine against the real server.
 *
 *   (a) loopback, direct: N reference-form records pushed (default 20000): seconds, records/s,
 *       bytes up/down, HTTP requests. Durable at both ends: the device store runs with
 *       SYNC_DURABILITY_FULL (fsync per acknowledged batch), the server commits each push with
 *       synchronous=FULL before answering.
 *   (b) through netproxy at 300 ms one-way latency and 256 kbit/s, 1000 records: seconds and the
 *       ratio to the physical limit (bytes up on the wire / bandwidth + one round trip) and to
 *       the content limit (the records' JSON compressed with lz4 -9 / bandwidth + one round
 *       trip), for a sync and a later one.
 *   (c) peak RSS (getrusage ru_maxrss) of a process that only syncs 100000 records: the records
 *       are generated first, then a fresh process (this program, exec'd) runs the sync.
 *
 * Each part runs twice, so the figures compare: first in the deployed setup (the reference form
 * published sealed to a central key made now, served over HTTPS with a test CA and key pin made
 * now by tests/support/make-test-ca.sh), then plain (the form unsealed, plain http to loopback).
 * Every device store is encrypted (BENCH_PASSPHRASE, the fast test KDF: the figures measure the
 * sync, not the key derivation of the one open per run), enrolled with a one-time code from
 * `syncserver enroll create`, and receives the form from the server by a first sync (not timed)
 * before the officer's records are saved, as a field device does.
 *
 * It spawns `syncserver` and `netproxy` from --bin-dir DIR (or $SYNC_BENCH_BIN_DIR), else from
 * the build tree around this executable (<build>/server-stub, <build>/tests/netproxy).
 *
 *   bench_sync [--bin-dir DIR] [--n N] [--proxy-n N] [--rss-n N] [--only a|b|c] [--keep]
 */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lz4frame.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sample.h"
#include "sync/sync.h"

#define FORM_PATH SYNC_SOURCE_DIR "/proto/forms/tppo_screening.v1.json"
#define MAKE_TEST_CA SYNC_SOURCE_DIR "/tests/support/make-test-ca.sh"
#define BENCH_PASSPHRASE "bench passphrase"
/* The sealed form's clear part, as the sync tests publish it (tests/sync/sync_fixture.h). */
#define CLEAR_FIELDS                                                                               \
  "interview_date,province,regency_code,unit_type,unit_type_other,unit_name,interpreter_used,"     \
  "interpreter_language,safe_to_talk,consent,case_status,referral_outcome,is_child,"               \
  "result_category,sector,destination_country"

/* The two setups every part runs in. */
typedef struct setup {
  const char *name;
  int sealed;   /* form sealed to a central key, HTTPS; else unsealed over http */
} setup_t;
static const setup_t SETUPS[] = {{"sealed, https", 1}, {"plain, http", 0}};
#define N_SETUPS (sizeof SETUPS / sizeof SETUPS[0])

static char g_server[PATH_MAX], g_netproxy[PATH_MAX], g_self[PATH_MAX], g_work[PATH_MAX];
static int g_keep;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("bench_sync: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* out = a + b, or die when it does not fit. */
static void join(char *out, size_t len, const char *a, const char *b)
{
  int n = snprintf(out, len, "%s%s", a, b);
  if (n < 0 || (size_t)n >= len)
    die("path too long: %s%s", a, b);
}

/* ---- processes ------------------------------------------------------------------------------- */

static pid_t spawn(char *const argv[], int out_fd)
{
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
    if (!getenv("BENCH_VERBOSE"))
      dup2(null_fd, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

static int wait_pid(pid_t pid)
{
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs argv, returns its stdout (malloc'd) or dies. */
static char *run(char *const argv[])
{
  int p[2];
  if (pipe(p) != 0)
    die("pipe");
  pid_t pid = spawn(argv, p[1]);
  close(p[1]);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  ssize_t n;
  while ((n = read(p[0], buf + len, cap - len - 1)) > 0) {
    len += (size_t)n;
    if (cap - len < 2048)
      buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  close(p[0]);
  if (wait_pid(pid) != 0)
    die("%s %s failed", argv[0], argv[1]);
  return buf;
}

/* Starts a long-running program and reads its first line ("LISTENING ..." / "PORT n"). */
static pid_t start_with_line(char *const argv[], char *line, size_t len)
{
  int p[2];
  if (pipe(p) != 0)
    die("pipe");
  pid_t pid = spawn(argv, p[1]);
  close(p[1]);
  size_t n = 0;
  struct pollfd pf = {.fd = p[0], .events = POLLIN};
  while (n < len - 1 && poll(&pf, 1, 10000) > 0 && read(p[0], line + n, 1) == 1 && line[n] != '\n')
    n++;
  line[n] = '\0';
  close(p[0]);
  return pid;
}

/* ---- server and store ------------------------------------------------------------------------ */

typedef struct server {
  char dir[PATH_MAX], db[PATH_MAX], ca[PATH_MAX];
  char pin[128];          /* "" when plain */
  pid_t pid;
  int port;
  char url[64], device_id[40];
} server_t;

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
    die("value too long");
  memcpy(out, p, n);
  out[n] = '\0';
}

static sync_store_t *open_store(const char *path)
{
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.passphrase = BENCH_PASSPHRASE;
  o.kdf = SYNC_KDF_TEST;
  sync_store_t *s = NULL;
  sync_err_t err = sync_store_open(path, &o, &s);
  if (err != SYNC_OK)
    die("cannot open the store %s: %s", path, sync_strerror(err));
  return s;
}

/* The engine finds the credential in the store (enrolled by server_start); the server's CA and
 * pin when it serves https. */
static void config(sync_engine_config_t *c, const char *store, const char *url, const char *ca,
                   const char *pin)
{
  sync_engine_config_init(c);
  c->store_path = store;
  c->store_passphrase = BENCH_PASSPHRASE;
  c->server_url = url;
  c->ca_file = ca && *ca ? ca : NULL;
  c->pinned_pubkey = pin && *pin ? pin : NULL;
  c->allow_plain_http_loopback = 1;
  c->language = "en";
}

typedef struct result {
  double seconds;
  sync_progress_t p;
} result_t;

static result_t sync_run(const char *store, const char *url, const char *ca, const char *pin)
{
  sync_engine_config_t c;
  config(&c, store, url, ca, pin);
  sync_engine_t *e = NULL;
  char err[256];
  if (sync_engine_new(&c, &e, err, sizeof err) != SYNC_OK)
    die("engine: %s", err);
  double t0 = now_s();
  sync_err_t rc = sync_engine_run_once(e);
  result_t r;
  r.seconds = now_s() - t0;
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);
  if (rc != SYNC_OK)
    die("sync failed: %s (%s)", sync_errname(rc), st.message);
  r.p = st.progress;
  return r;
}

/* A TLS certificate for 127.0.0.1 and its pin (make-test-ca.sh) in s->dir. */
static void make_tls(server_t *s)
{
  char *ca_cmd[] = {(char *)"/bin/sh", (char *)MAKE_TEST_CA, s->dir, NULL};
  free(run(ca_cmd));
  char pin_path[PATH_MAX];
  join(pin_path, sizeof pin_path, s->dir, "/pin.txt");
  FILE *f = fopen(pin_path, "r");
  if (!f || !fgets(s->pin, sizeof s->pin, f))
    die("no pin from %s", MAKE_TEST_CA);
  fclose(f);
  s->pin[strcspn(s->pin, "\r\n")] = '\0';
  join(s->ca, sizeof s->ca, s->dir, "/ca.pem");
}

/* The reference form published: sealed to a central key made now, or plain. */
static void publish(const server_t *s, int sealed)
{
  char key[PATH_MAX], pub[PATH_MAX];
  join(key, sizeof key, s->dir, "/central.key");
  join(pub, sizeof pub, s->dir, "/central.key.pub");
  char *keygen[] = {g_server, (char *)"keygen", (char *)"--out", key, NULL};
  char *sealed_cmd[] = {g_server, (char *)"form", (char *)"publish", (char *)"--db", (char *)s->db,
                        (char *)FORM_PATH, (char *)"--seal-to", pub, (char *)"--clear-fields",
                        (char *)CLEAR_FIELDS, (char *)"--dedup-fields",
                        (char *)"full_name,dob,sex", NULL};
  char *plain_cmd[] = {g_server, (char *)"form", (char *)"publish", (char *)"--db", (char *)s->db,
                       (char *)FORM_PATH, NULL};
  if (sealed)
    free(run(keygen));
  free(run(sealed ? sealed_cmd : plain_cmd));
}

/* A server in setup `how` serving, the device of `store` (a new empty store) enrolled with a
 * code, and the device's first sync, which gives it the server's form. */
static void server_start(server_t *s, const char *name, const char *store, const setup_t *how)
{
  memset(s, 0, sizeof *s);
  char sub[64];
  snprintf(sub, sizeof sub, "/%s-%s", name, how->sealed ? "sealed" : "plain");
  join(s->dir, sizeof s->dir, g_work, sub);
  mkdir(s->dir, 0700);
  join(s->db, sizeof s->db, s->dir, "/server.db");
  char *init[] = {g_server, (char *)"init", (char *)"--db", s->db, NULL};
  char *code_cmd[] = {g_server, (char *)"enroll", (char *)"create", (char *)"--db", s->db,
                      (char *)"--name", (char *)"bench", NULL};
  free(run(init));
  publish(s, how->sealed);
  char code[32];
  char *out = run(code_cmd);
  value_after(out, "code:", code, sizeof code);
  free(out);
  char cert[PATH_MAX], key[PATH_MAX];
  join(cert, sizeof cert, s->dir, "/srv.pem");
  join(key, sizeof key, s->dir, "/srv.key");
  if (how->sealed)
    make_tls(s);
  char *serve[] = {g_server, (char *)"serve", (char *)"--db", s->db, (char *)"--listen",
                   (char *)"127.0.0.1:0", (char *)"--log-level", (char *)"warn",
                   how->sealed ? (char *)"--tls-cert" : NULL, cert, (char *)"--tls-key", key, NULL};
  char line[128];
  s->pid = start_with_line(serve, line, sizeof line);
  const char *colon = strrchr(line, ':');
  if (strncmp(line, "LISTENING ", 10) != 0 || !colon)
    die("syncserver did not start: '%s'", line);
  s->port = atoi(colon + 1);
  snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d", how->sealed ? "https" : "http", s->port);

  sync_store_t *st = open_store(store);
  sync_enroll_config_t c;
  sync_enroll_config_init(&c);
  c.server_url = s->url;
  c.code = code;
  c.ca_file = s->ca[0] ? s->ca : NULL;
  c.pinned_pubkey = s->pin[0] ? s->pin : NULL;
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  char why[512];
  if (sync_enroll(st, &c, why, sizeof why) != SYNC_OK)
    die("enroll: %s", why);
  snprintf(s->device_id, sizeof s->device_id, "%s", sync_store_device_id(st));
  sync_store_close(st);
  sync_run(store, s->url, s->ca, s->pin);
}

static void server_stop(server_t *s)
{
  if (s->pid > 0) {
    kill(s->pid, SIGTERM);
    wait_pid(s->pid);
    s->pid = 0;
  }
}

static long long server_count(const server_t *s)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  long long n = -1;
  if (sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT count(*) FROM record_revisions WHERE source = ?1", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, s->device_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    die("cannot read %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (fread(buf, 1, (size_t)n, f) != (size_t)n)
    die("cannot read %s", path);
  buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* The records' content: their answers' JSON, one per line, and its size compressed with lz4 -9
 * (one LZ4 frame, LZ4HC level 9): what no encoding of these records could send much less of. */
typedef struct content {
  char *json;
  size_t len, cap;
} content_t;

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

static size_t content_lz4_9(const content_t *c)
{
  LZ4F_preferences_t prefs;
  memset(&prefs, 0, sizeof prefs);
  prefs.compressionLevel = 9;
  size_t cap = LZ4F_compressFrameBound(c->len, &prefs);
  char *z = malloc(cap);
  size_t zlen = z ? LZ4F_compressFrame(z, cap, c->json, c->len, &prefs) : 0;
  if (!z || LZ4F_isError(zlen))
    die("lz4 of %zu bytes failed", c->len);
  free(z);
  return zlen;
}

/* n more final reference-form records, in batches of 5000 (one fsync each); their answers are
 * added to `content` (may be NULL). */
static void add_records(const char *path, size_t n, uint64_t seed, content_t *content)
{
  size_t len;
  char *form = read_file(FORM_PATH, &len);
  char err[256];
  sample_gen_t *g = sample_gen_new(form, len, seed, err, sizeof err);
  if (!g)
    die("sample generator: %s", err);
  sync_store_t *s = open_store(path);
  for (size_t done = 0; done < n;) {
    if (sync_store_begin(s) != SYNC_OK)
      die("begin: %s", sync_store_errmsg(s));
    for (size_t k = 0; k < 5000 && done < n; k++, done++) {
      char *payload = sample_gen_next(g);
      if (sync_record_create(s, "tppo_screening", 1, payload, SYNC_STATUS_FINAL, NULL) != SYNC_OK)
        die("record: %s", sync_store_errmsg(s));
      if (content)
        content_add(content, payload);
      free(payload);
    }
    if (sync_store_commit(s) != SYNC_OK)
      die("commit: %s", sync_store_errmsg(s));
  }
  sync_store_close(s);
  sample_gen_free(g);
  free(form);
}

/* A device store at <work>/<name>-<setup>.db (not created yet). */
static void store_path(char *out, size_t len, const char *name, const setup_t *how)
{
  char sub[64];
  snprintf(sub, sizeof sub, "/%s-%s.db", name, how->sealed ? "sealed" : "plain");
  join(out, len, g_work, sub);
  sync_store_close(open_store(out));
}

/* ---- (a) loopback ---------------------------------------------------------------------------- */

static void bench_loopback(size_t n, const setup_t *how)
{
  char store[PATH_MAX];
  store_path(store, sizeof store, "a-device", how);
  server_t s;
  server_start(&s, "a-server", store, how);
  content_t content = {0};
  double t0 = now_s();
  add_records(store, n, 1, &content);
  double gen = now_s() - t0;
  result_t r = sync_run(store, s.url, s.ca, s.pin);
  long long stored = server_count(&s);
  server_stop(&s);
  if (stored != (long long)n || r.p.records_done != (int64_t)n)
    die("(a) %lld records on the server, %lld acknowledged, %zu expected", stored,
        (long long)r.p.records_done, n);
  printf("(a) loopback, direct, %s: %zu records in %.2f s = %.0f records/s (target >= 12000)\n",
         how->name, n, r.seconds, (double)n / r.seconds);
  printf("    %lld JSON bytes; wire %lld up (%.0f per record), %lld down; %lld HTTP requests;\n"
         "    the records' JSON %zu bytes, %zu with lz4 -9; saving the records took %.2f s\n",
         (long long)r.p.bytes_done, (long long)r.p.wire_bytes_sent,
         (double)r.p.wire_bytes_sent / (double)n, (long long)r.p.wire_bytes_received,
         (long long)r.p.requests, content.len, content_lz4_9(&content), gen);
  free(content.json);
}

/* ---- (b) slow link --------------------------------------------------------------------------- */

/* One line of (b): the sync's figures against the physical and the content limit. */
static void print_link_run(const char *what, size_t n, const result_t *r, const content_t *c,
                           double rate, double rtt)
{
  size_t z = content_lz4_9(c);
  double physical = (double)r->p.wire_bytes_sent / rate + rtt, content = (double)z / rate + rtt;
  printf("    %s %zu records: %.2f s; %lld bytes up, %lld down, %lld requests;\n"
         "      physical limit %.2f s (bytes up / bandwidth + one round trip): %.2fx (target <= 1.5x);\n"
         "      content limit %.2f s (the records' JSON with lz4 -9, %zu bytes / bandwidth + one "
         "round trip): %.2fx\n", what, n, r->seconds, (long long)r->p.wire_bytes_sent,
         (long long)r->p.wire_bytes_received, (long long)r->p.requests, physical,
         r->seconds / physical, content, z, r->seconds / content);
}

static void bench_slow_link(size_t n, const setup_t *how)
{
  const int latency_ms = 300, kbps = 256;
  char store[PATH_MAX];
  store_path(store, sizeof store, "b-device", how);
  server_t s;
  server_start(&s, "b-server", store, how);
  content_t first = {0}, later = {0};
  add_records(store, n, 2, &first);
  char upstream[32], lat[16], bw[16];
  snprintf(upstream, sizeof upstream, "127.0.0.1:%d", s.port);
  snprintf(lat, sizeof lat, "%d", latency_ms);
  snprintf(bw, sizeof bw, "%d", kbps);
  /* One bandwidth for all connections (the engine pipelines pushes on two): the link is the
   * bottleneck, as on a phone. TLS passes through the proxy untouched. */
  char *argv[] = {g_netproxy, (char *)"--upstream", upstream, (char *)"--latency-ms", lat,
                  (char *)"--bandwidth-kbps", bw, (char *)"--bandwidth-shared", (char *)"--no-stdin",
                  (char *)"--duration-s", (char *)"900", NULL};
  char line[64];
  pid_t proxy = start_with_line(argv, line, sizeof line);
  if (strncmp(line, "PORT ", 5) != 0)
    die("netproxy did not start: '%s'", line);
  char url[64];
  snprintf(url, sizeof url, "%s://127.0.0.1:%d", how->sealed ? "https" : "http", atoi(line + 5));

  double rtt = 2.0 * latency_ms / 1000.0, rate = kbps * 1000.0 / 8.0;
  printf("(b) 300 ms one way, 256 kbit/s, %s:\n", how->name);
  result_t r = sync_run(store, url, s.ca, s.pin);
  print_link_run("sync of", n, &r, &first, rate, rtt);
  /* A later sync: the same number of new records. */
  add_records(store, n, 3, &later);
  r = sync_run(store, url, s.ca, s.pin);
  print_link_run("later sync of", n, &r, &later, rate, rtt);
  kill(proxy, SIGTERM);
  wait_pid(proxy);
  long long stored = server_count(&s);
  server_stop(&s);
  free(first.json);
  free(later.json);
  if (stored != 2 * (long long)n)
    die("(b) %lld records on the server, %zu expected", stored, 2 * n);
}

/* ---- (c) peak RSS ---------------------------------------------------------------------------- */

/* The exec'd child (argv: store, server URL, CA file, pin; the last two "" when plain): syncs and
 * prints its peak RSS in KiB. */
static int child_sync(char **argv)
{
  result_t r = sync_run(argv[0], argv[1], argv[2], argv[3]);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%ld %.3f %lld %lld %lld\n", ru.ru_maxrss, r.seconds, (long long)r.p.records_done,
         (long long)r.p.requests, (long long)r.p.wire_bytes_sent);
  return 0;
}

static void bench_rss(size_t n, const setup_t *how)
{
  char store[PATH_MAX];
  store_path(store, sizeof store, "c-device", how);
  server_t s;
  server_start(&s, "c-server", store, how);
  double t0 = now_s();
  add_records(store, n, 4, NULL);
  double gen = now_s() - t0;
  char *argv[] = {g_self, (char *)"--child-sync", store, s.url, s.ca, s.pin, NULL};
  char *out = run(argv);
  long rss_kib = 0, done = 0, requests = 0;
  long long up = 0;
  double secs = 0;
  if (sscanf(out, "%ld %lf %ld %ld %lld", &rss_kib, &secs, &done, &requests, &up) != 5)
    die("child said: %s", out);
  free(out);
  long long stored = server_count(&s);
  server_stop(&s);
  if (stored != (long long)n || done != (long)n)
    die("(c) %lld on the server, %ld acknowledged, %zu expected", stored, done, n);
  printf("(c) peak RSS of the syncing process, %s, %zu records: %.1f MiB (target < 32 MiB); "
         "sync %.1f s = %.0f records/s, %lld bytes up, %ld requests; saving took %.1f s\n",
         how->name, n, (double)rss_kib / 1024.0, secs, (double)n / secs, up, requests, gen);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void find_binaries(const char *bin_dir)
{
  if (readlink("/proc/self/exe", g_self, sizeof g_self - 1) < 0)
    die("cannot find myself");
  if (bin_dir) {
    join(g_server, sizeof g_server, bin_dir, "/syncserver");
    join(g_netproxy, sizeof g_netproxy, bin_dir, "/netproxy");
  } else {
    char root[PATH_MAX];
    join(root, sizeof root, g_self, "");
    for (int i = 0; i < 2; i++) {
      char *slash = strrchr(root, '/');
      if (slash)
        *slash = '\0';
    }
    join(g_server, sizeof g_server, root, "/server-stub/syncserver");
    join(g_netproxy, sizeof g_netproxy, root, "/tests/netproxy/netproxy");
  }
  if (access(g_server, X_OK) != 0)
    die("no syncserver at %s (use --bin-dir)", g_server);
}

static void rmtree(const char *dir)
{
  char *argv[] = {(char *)"/bin/rm", (char *)"-rf", (char *)dir, NULL};
  pid_t pid = spawn(argv, -1);
  wait_pid(pid);
}

int main(int argc, char **argv)
{
  /* The bench measures sync, not key derivation: its stores use the test cost (SECURITY.md 5). */
  setenv(SYNC_ALLOW_TEST_KDF_ENV, "1", 1);
  if (argc == 6 && strcmp(argv[1], "--child-sync") == 0)
    return child_sync(argv + 2);
  const char *bin_dir = getenv("SYNC_BENCH_BIN_DIR"), *only = NULL;
  size_t n = 20000, proxy_n = 1000, rss_n = 100000;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--bin-dir") == 0 && i + 1 < argc)
      bin_dir = argv[++i];
    else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
      n = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--proxy-n") == 0 && i + 1 < argc)
      proxy_n = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--rss-n") == 0 && i + 1 < argc)
      rss_n = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else if (strcmp(argv[i], "--keep") == 0)
      g_keep = 1;
    else
      die("usage: bench_sync [--bin-dir DIR] [--n N] [--proxy-n N] [--rss-n N] [--only a|b|c] [--keep]");
  }
  find_binaries(bin_dir);
  const char *tmp = getenv("TMPDIR");
  snprintf(g_work, sizeof g_work, "%s/bench-sync-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g_work))
    die("mkdtemp: %s", strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0); /* figures appear as each part ends, also into a file */
  printf("bench_sync: libsync %s, work dir %s\n", sync_version(), g_work);
  for (size_t i = 0; i < N_SETUPS && (!only || strchr(only, 'a')); i++)
    bench_loopback(n, &SETUPS[i]);
  if (!only || strchr(only, 'b')) {
    if (access(g_netproxy, X_OK) != 0)
      die("no netproxy at %s (use --bin-dir)", g_netproxy);
    for (size_t i = 0; i < N_SETUPS; i++)
      bench_slow_link(proxy_n, &SETUPS[i]);
  }
  for (size_t i = 0; i < N_SETUPS && (!only || strchr(only, 'c')); i++)
    bench_rss(rss_n, &SETUPS[i]);
  if (!g_keep)
    rmtree(g_work);
  return 0;
}
