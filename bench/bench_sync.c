/* bench_sync: end-to-end push figures of the sync engine against the real server.
 *
 *   (a) loopback, direct: N reference-form records pushed (default 20000): seconds, records/s,
 *       bytes up/down, HTTP requests. Durable at both ends: the device store runs with
 *       SYNC_DURABILITY_FULL (fsync per acknowledged batch), the server commits each push with
 *       synchronous=FULL before answering.
 *   (b) through netproxy at 300 ms one-way latency and 256 kbit/s, 1000 records: seconds and the
 *       ratio to the physical limit (compressed bytes on the wire / bandwidth + one round trip),
 *       for a first sync (with whoami) and a later one.
 *   (c) peak RSS (getrusage ru_maxrss) of a process that only syncs 100000 records: the records
 *       are generated first, then a fresh process (this program, exec'd) runs the sync.
 *
 * Every device store is encrypted (BENCH_PASSPHRASE, the fast test KDF: the figures measure the
 * sync, not the key derivation of the one open per run) and enrolled with a one-time code from
 * `syncserver enroll create`, as a field device is.
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
#define BENCH_PASSPHRASE "bench passphrase"

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
  char dir[PATH_MAX], db[PATH_MAX];
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

/* A server with the reference form, serving, and the device of `store` enrolled with a code. */
static void server_start(server_t *s, const char *name, const char *store)
{
  char sub[64];
  snprintf(sub, sizeof sub, "/%s", name);
  join(s->dir, sizeof s->dir, g_work, sub);
  mkdir(s->dir, 0700);
  join(s->db, sizeof s->db, s->dir, "/server.db");
  char *init[] = {g_server, (char *)"init", (char *)"--db", s->db, NULL};
  char *publish[] = {g_server, (char *)"form", (char *)"publish", (char *)"--db", s->db,
                     (char *)FORM_PATH, NULL};
  char *code_cmd[] = {g_server, (char *)"enroll", (char *)"create", (char *)"--db", s->db,
                      (char *)"--name", (char *)"bench", NULL};
  free(run(init));
  free(run(publish));
  char code[32];
  char *out = run(code_cmd);
  value_after(out, "code:", code, sizeof code);
  free(out);
  char *serve[] = {g_server, (char *)"serve", (char *)"--db", s->db, (char *)"--listen",
                   (char *)"127.0.0.1:0", (char *)"--log-level", (char *)"warn", NULL};
  char line[128];
  s->pid = start_with_line(serve, line, sizeof line);
  const char *colon = strrchr(line, ':');
  if (strncmp(line, "LISTENING ", 10) != 0 || !colon)
    die("syncserver did not start: '%s'", line);
  s->port = atoi(colon + 1);
  snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);

  sync_store_t *st = open_store(store);
  sync_enroll_config_t c;
  sync_enroll_config_init(&c);
  c.server_url = s->url;
  c.code = code;
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  char why[512];
  if (sync_enroll(st, &c, why, sizeof why) != SYNC_OK)
    die("enroll: %s", why);
  snprintf(s->device_id, sizeof s->device_id, "%s", sync_store_device_id(st));
  sync_store_close(st);
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

/* n more final reference-form records, in batches of 5000 (one fsync each). */
static void add_records(const char *path, size_t n, uint64_t seed)
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
      free(payload);
    }
    if (sync_store_commit(s) != SYNC_OK)
      die("commit: %s", sync_store_errmsg(s));
  }
  sync_store_close(s);
  sample_gen_free(g);
  free(form);
}

/* A new store with the reference form and n records. */
static void make_store(const char *path, size_t n, uint64_t seed)
{
  size_t len;
  char *form = read_file(FORM_PATH, &len);
  sync_store_t *s = open_store(path);
  if (sync_form_add(s, form, len, NULL, NULL) != SYNC_OK)
    die("cannot add the form to %s: %s", path, sync_store_errmsg(s));
  sync_store_close(s);
  free(form);
  add_records(path, n, seed);
}

/* The engine finds the credential in the store (enrolled by server_start). */
static void config(sync_engine_config_t *c, const char *store, const char *url)
{
  sync_engine_config_init(c);
  c->store_path = store;
  c->store_passphrase = BENCH_PASSPHRASE;
  c->server_url = url;
  c->allow_plain_http_loopback = 1;
  c->language = "en";
}

typedef struct result {
  double seconds;
  sync_progress_t p;
} result_t;

static result_t sync_run(const char *store, const char *url)
{
  sync_engine_config_t c;
  config(&c, store, url);
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

/* ---- (a) loopback ---------------------------------------------------------------------------- */

static void bench_loopback(size_t n)
{
  char store[PATH_MAX];
  join(store, sizeof store, g_work, "/a-device.db");
  double t0 = now_s();
  make_store(store, n, 1);
  double gen = now_s() - t0;
  server_t s;
  server_start(&s, "a-server", store);
  result_t r = sync_run(store, s.url);
  long long stored = server_count(&s);
  server_stop(&s);
  if (stored != (long long)n || r.p.records_done != (int64_t)n)
    die("(a) %lld records on the server, %lld acknowledged, %zu expected", stored,
        (long long)r.p.records_done, n);
  printf("(a) loopback, direct: %zu records in %.2f s = %.0f records/s (target >= 12000)\n", n,
         r.seconds, (double)n / r.seconds);
  printf("    %lld JSON bytes; wire %lld up, %lld down; %lld HTTP requests; "
         "generating the records took %.2f s\n", (long long)r.p.bytes_done,
         (long long)r.p.wire_bytes_sent, (long long)r.p.wire_bytes_received,
         (long long)r.p.requests, gen);
}

/* ---- (b) slow link --------------------------------------------------------------------------- */

static void bench_slow_link(size_t n)
{
  const int latency_ms = 300, kbps = 256;
  char store[PATH_MAX];
  join(store, sizeof store, g_work, "/b-device.db");
  make_store(store, n, 2);
  server_t s;
  server_start(&s, "b-server", store);
  char upstream[32], lat[16], bw[16];
  snprintf(upstream, sizeof upstream, "127.0.0.1:%d", s.port);
  snprintf(lat, sizeof lat, "%d", latency_ms);
  snprintf(bw, sizeof bw, "%d", kbps);
  /* One bandwidth for all connections (the engine pipelines pushes on two): the link is the
   * bottleneck, as on a phone. */
  char *argv[] = {g_netproxy, (char *)"--upstream", upstream, (char *)"--latency-ms", lat,
                  (char *)"--bandwidth-kbps", bw, (char *)"--bandwidth-shared", (char *)"--no-stdin",
                  (char *)"--duration-s", (char *)"900", NULL};
  char line[64];
  pid_t proxy = start_with_line(argv, line, sizeof line);
  if (strncmp(line, "PORT ", 5) != 0)
    die("netproxy did not start: '%s'", line);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", atoi(line + 5));

  double rtt = 2.0 * latency_ms / 1000.0, rate = kbps * 1000.0 / 8.0;
  /* First sync of a device: whoami, pushes, pull. */
  result_t r = sync_run(store, url);
  double limit = (double)r.p.wire_bytes_sent / rate + rtt;
  printf("(b) 300 ms one way, 256 kbit/s: %zu records in %.2f s; %lld bytes up, %lld down, %lld "
         "requests;\n    physical limit %.2f s (bytes up / bandwidth + one round trip): %.2fx "
         "(target <= 1.5x)\n", n, r.seconds, (long long)r.p.wire_bytes_sent,
         (long long)r.p.wire_bytes_received, (long long)r.p.requests, limit, r.seconds / limit);
  /* A later sync (credential already confirmed): the same number of new records. */
  add_records(store, n, 3);
  r = sync_run(store, url);
  limit = (double)r.p.wire_bytes_sent / rate + rtt;
  printf("    later sync of %zu more: %.2f s; %lld bytes up, %lld down, %lld requests; limit %.2f s: "
         "%.2fx\n", n, r.seconds, (long long)r.p.wire_bytes_sent, (long long)r.p.wire_bytes_received,
         (long long)r.p.requests, limit, r.seconds / limit);
  kill(proxy, SIGTERM);
  wait_pid(proxy);
  long long stored = server_count(&s);
  server_stop(&s);
  if (stored != 2 * (long long)n)
    die("(b) %lld records on the server, %zu expected", stored, 2 * n);
}

/* ---- (c) peak RSS ---------------------------------------------------------------------------- */

/* The exec'd child (argv: store, server URL): syncs and prints its peak RSS in KiB. */
static int child_sync(char **argv)
{
  result_t r = sync_run(argv[0], argv[1]);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%ld %.3f %lld %lld\n", ru.ru_maxrss, r.seconds, (long long)r.p.records_done,
         (long long)r.p.requests);
  return 0;
}

static void bench_rss(size_t n)
{
  char store[PATH_MAX];
  join(store, sizeof store, g_work, "/c-device.db");
  double t0 = now_s();
  make_store(store, n, 4);
  double gen = now_s() - t0;
  server_t s;
  server_start(&s, "c-server", store);
  char *argv[] = {g_self, (char *)"--child-sync", store, s.url, NULL};
  char *out = run(argv);
  long rss_kib = 0, done = 0, requests = 0;
  double secs = 0;
  if (sscanf(out, "%ld %lf %ld %ld", &rss_kib, &secs, &done, &requests) != 4)
    die("child said: %s", out);
  free(out);
  long long stored = server_count(&s);
  server_stop(&s);
  if (stored != (long long)n || done != (long)n)
    die("(c) %lld on the server, %ld acknowledged, %zu expected", stored, done, n);
  printf("(c) peak RSS of the syncing process, %zu records: %.1f MiB (target < 32 MiB); "
         "sync %.1f s = %.0f records/s, %ld requests; generating took %.1f s\n", n,
         (double)rss_kib / 1024.0, secs, (double)n / secs, requests, gen);
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
  if (argc == 4 && strcmp(argv[1], "--child-sync") == 0)
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
  printf("bench_sync: libsync %s, work dir %s\n", sync_version(), g_work);
  if (!only || strchr(only, 'a'))
    bench_loopback(n);
  if (!only || strchr(only, 'b')) {
    if (access(g_netproxy, X_OK) != 0)
      die("no netproxy at %s (use --bin-dir)", g_netproxy);
    bench_slow_link(proxy_n);
  }
  if (!only || strchr(only, 'c'))
    bench_rss(rss_n);
  if (!g_keep)
    rmtree(g_work);
  return 0;
}
