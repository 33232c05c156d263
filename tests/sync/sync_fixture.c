/* Sync test fixture (sync_fixture.h): child processes, the server, device stores, the proxy.
 * Enrollment is in sync_fixture_enroll.c, the checks in sync_fixture_check.c. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sync_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sample.h"
#include "test_support.h"

#define MAX_ARGS 32

int64_t fx_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fx_sleep_ms(int ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

long fx_env_long(const char *name, long def)
{
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : def;
}

int fx_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
  return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return 1;
#else
  return 0;
#endif
#else
  return 0;
#endif
}

/* ---- child processes ------------------------------------------------------------------------- */

static int verbose(void)
{
  return getenv("FX_VERBOSE") != NULL;
}

/* fork + exec; only async-signal-safe calls in the child (the parent may run threads). */
static pid_t spawn_fds(char *const argv[], int out_fd, int err_fd, int null_fd)
{
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  if (null_fd >= 0)
    dup2(null_fd, STDIN_FILENO);
  if (out_fd >= 0)
    dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0)
    dup2(err_fd, STDERR_FILENO);
  execv(argv[0], argv);
  _exit(127);
}

pid_t fx_spawn(char *const argv[])
{
  int null_fd = open("/dev/null", O_RDWR);
  pid_t pid = spawn_fds(argv, verbose() ? -1 : null_fd, verbose() ? -1 : null_fd, null_fd);
  if (null_fd >= 0)
    close(null_fd);
  return pid;
}

static char *read_all(int fd)
{
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1024 > cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb)
        break;
      buf = nb;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  return buf;
}

static int wait_status(pid_t pid)
{
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int fx_run(char **out, char *const argv[])
{
  int pfd[2];
  if (pipe(pfd) != 0)
    return -1;
  int null_fd = open("/dev/null", O_RDWR);
  pid_t pid = spawn_fds(argv, pfd[1], verbose() ? -1 : null_fd, null_fd);
  close(pfd[1]);
  if (null_fd >= 0)
    close(null_fd);
  char *text = read_all(pfd[0]);
  close(pfd[0]);
  int rc = pid > 0 ? wait_status(pid) : -1;
  if (out)
    *out = text;
  else
    free(text);
  return rc;
}

static int run_va(char **out, const char *program, const char *arg0, va_list ap)
{
  char *argv[MAX_ARGS + 2];
  int n = 0;
  argv[n++] = (char *)program;
  for (const char *a = arg0; a && n < MAX_ARGS; a = va_arg(ap, const char *))
    argv[n++] = (char *)a;
  argv[n] = NULL;
  return fx_run(out, argv);
}

int fx_syncserver(char **out, const char *arg0, ...)
{
  va_list ap;
  va_start(ap, arg0);
  int rc = run_va(out, SYNCSERVER_PATH, arg0, ap);
  va_end(ap);
  return rc;
}

int fx_syncctl(char **out, const char *arg0, ...)
{
  va_list ap;
  va_start(ap, arg0);
  int rc = run_va(out, SYNCCTL_PATH, arg0, ap);
  va_end(ap);
  return rc;
}

int fx_write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* ---- server ---------------------------------------------------------------------------------- */

int fx_server_new(fx_server_t *s)
{
  memset(s, 0, sizeof *s);
  if (!(s->dir = ts_tempdir()))
    return -1;
  s->db = ts_path(s->dir, "server.db");
  s->log = ts_path(s->dir, "server.log");
  return fx_syncserver(NULL, "init", "--db", s->db, NULL) == 0 ? 0 : -1;
}

int fx_server_create(fx_server_t *s, const fx_device_t *d)
{
  char why[512] = "";
  if (fx_server_new(s) != 0 ||
      fx_syncserver(NULL, "form", "publish", "--db", s->db, FX_FORM_PATH, NULL) != 0 ||
      fx_server_start(s) != 0)
    return -1;
  if (d && fx_enroll(s, d->path, NULL, NULL, why, sizeof why) != SYNC_OK) {
    fprintf(stderr, "fx_server_create: enroll: %s\n", why);
    return -1;
  }
  return 0;
}

/* One start attempt; 0 when LISTENING came. */
static int start_once(fx_server_t *s)
{
  int pfd[2];
  if (pipe(pfd) != 0)
    return -1;
  char listen[32];
  snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
  int log_fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  int null_fd = open("/dev/null", O_RDWR);
  char *argv[] = {(char *)SYNCSERVER_PATH, (char *)"serve", (char *)"--db", s->db,
                  (char *)"--listen", listen, (char *)"--log-level", (char *)"warn", NULL, NULL,
                  NULL, NULL, NULL};
  if (s->tls_cert && s->tls_key) {
    argv[8] = (char *)"--tls-cert";
    argv[9] = (char *)s->tls_cert;
    argv[10] = (char *)"--tls-key";
    argv[11] = (char *)s->tls_key;
  }
  s->pid = spawn_fds(argv, pfd[1], verbose() ? -1 : log_fd, null_fd);
  close(pfd[1]);
  if (log_fd >= 0)
    close(log_fd);
  if (null_fd >= 0)
    close(null_fd);
  char line[128];
  size_t len = 0;
  struct pollfd p = {.fd = pfd[0], .events = POLLIN};
  while (len < sizeof line - 1 && poll(&p, 1, 10000) > 0) {
    ssize_t n = read(pfd[0], line + len, 1);
    if (n <= 0 || line[len] == '\n')
      break;
    len++;
  }
  line[len] = '\0';
  close(pfd[0]);
  const char *colon = strrchr(line, ':');
  if (strncmp(line, "LISTENING ", 10) != 0 || !colon) {
    fx_server_kill(s, SIGKILL);
    return -1;
  }
  s->port = atoi(colon + 1);
  snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d", s->tls_cert ? "https" : "http", s->port);
  return 0;
}

int fx_server_start(fx_server_t *s)
{
  /* A restarted server wants its old port back; the kernel may hold it for a moment. */
  for (int i = 0; i < 100; i++) {
    if (start_once(s) == 0)
      return 0;
    fx_sleep_ms(50);
  }
  return -1;
}

void fx_server_kill(fx_server_t *s, int sig)
{
  if (s->pid <= 0)
    return;
  kill(s->pid, sig);
  wait_status(s->pid);
  s->pid = 0;
}

void fx_server_destroy(fx_server_t *s)
{
  /* SIGKILL: a graceful stop waits up to 30 s for a request whose body a cut left half sent. */
  fx_server_kill(s, SIGKILL);
  if (s->dir && !getenv("FX_KEEP"))
    ts_rmtree(s->dir);
  free(s->dir);
  free(s->db);
  free(s->log);
  free(s->cert_file);
  free(s->key_file);
  free(s->ca_file);
  free(s->pin);
  free(s->seal_key);
  memset(s, 0, sizeof *s);
}

/* ---- device stores --------------------------------------------------------------------------- */

int fx_add_samples(const char *store_path, size_t n, uint64_t seed, fx_add_fn add, void *ctx)
{
  size_t len = 0;
  char *form = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  char err[256];
  sample_gen_t *g = form ? sample_gen_new(form, len, seed, err, sizeof err) : NULL;
  sync_store_t *st = NULL;
  int rc = -1;
  if (!g || fx_store_open(store_path, &st) != SYNC_OK || sync_store_begin(st) != SYNC_OK)
    goto done;
  for (size_t i = 0; i < n; i++) {
    char *payload = sample_gen_next(g);
    sync_err_t e = payload ? add(st, payload, ctx) : SYNC_ERR_NOMEM;
    free(payload);
    if (e != SYNC_OK) {
      fprintf(stderr, "fx_add_samples: %s: %s\n", sync_strerror(e), sync_store_errmsg(st));
      sync_store_rollback(st);
      goto done;
    }
  }
  rc = sync_store_commit(st) == SYNC_OK ? 0 : -1;
done:
  sync_store_close(st);
  sample_gen_free(g);
  free(form);
  return rc;
}

static sync_err_t add_final(sync_store_t *st, const char *payload, void *ctx)
{
  (void)ctx;
  return sync_record_create(st, FX_FORM_ID, 1, payload, SYNC_STATUS_FINAL, NULL);
}

int fx_add_records(const char *store_path, size_t n, uint64_t seed)
{
  return fx_add_samples(store_path, n, seed, add_final, NULL);
}

sync_err_t fx_store_open(const char *path, sync_store_t **out)
{
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.passphrase = FX_PASSPHRASE;
  o.kdf = SYNC_KDF_TEST;
  return sync_store_open(path, &o, out);
}

int fx_device_new(fx_device_t *d)
{
  memset(d, 0, sizeof *d);
  /* syncctl run by the tests finds the passphrase here. */
  setenv("SYNC_PASSPHRASE", FX_PASSPHRASE, 1);
  if (!(d->dir = ts_tempdir()))
    return -1;
  d->path = ts_path(d->dir, "device.db");
  sync_store_t *st = NULL;
  if (fx_store_open(d->path, &st) != SYNC_OK)
    return -1;
  snprintf(d->id, sizeof d->id, "%s", sync_store_device_id(st));
  sync_store_close(st);
  return 0;
}

int fx_device_create(fx_device_t *d, size_t n, uint64_t seed)
{
  if (fx_device_new(d) != 0)
    return -1;
  size_t len = 0;
  char *form = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  sync_store_t *st = NULL;
  int ok = form && fx_store_open(d->path, &st) == SYNC_OK &&
           sync_form_add(st, form, len, NULL, NULL) == SYNC_OK;
  sync_store_close(st);
  free(form);
  if (!ok)
    return -1;
  return n ? fx_add_records(d->path, n, seed) : 0;
}

void fx_device_destroy(fx_device_t *d)
{
  if (d->dir && !getenv("FX_KEEP"))
    ts_rmtree(d->dir);
  free(d->dir);
  free(d->path);
  memset(d, 0, sizeof *d);
}

void fx_engine_config(sync_engine_config_t *c, const fx_device_t *d, const fx_server_t *s,
                      const char *url)
{
  sync_engine_config_init(c);
  c->store_path = d->path;
  c->store_passphrase = FX_PASSPHRASE;
  c->server_url = url ? url : s->url;
  c->ca_file = s->ca_file;
  c->pinned_pubkey = s->pin;
  c->allow_plain_http_loopback = 1;
  c->language = "en";
  c->backoff_base_ms = 5;
  c->backoff_max_ms = 200;
  c->connect_timeout_ms = 2000;
  c->low_speed_time_s = 3;
  c->low_speed_bytes_per_s = 1;
}

/* ---- proxy ----------------------------------------------------------------------------------- */

static void *proxy_main(void *arg)
{
  fx_proxy_t *p = arg;
  netproxy_run_for(p->np, -1);
  return NULL;
}

int fx_proxy_start(fx_proxy_t *p, netproxy_opts_t *o, int upstream_port)
{
  char up[32], err[256];
  memset(p, 0, sizeof *p);
  snprintf(up, sizeof up, "127.0.0.1:%d", upstream_port);
  o->upstream = up;
  o->listen = "127.0.0.1:0";
  o->control_fd = -1;
  if (verbose())
    o->log = stderr;
  if (netproxy_new(o, &p->np, err, sizeof err) != NETPROXY_OK) {
    fprintf(stderr, "netproxy: %s\n", err);
    return -1;
  }
  snprintf(p->url, sizeof p->url, "http://127.0.0.1:%d", netproxy_port(p->np));
  if (pthread_create(&p->thread, NULL, proxy_main, p) != 0) {
    netproxy_free(p->np);
    p->np = NULL;
    return -1;
  }
  return 0;
}

int fx_proxy_start_to(fx_proxy_t *p, netproxy_opts_t *o, const fx_server_t *s)
{
  if (fx_proxy_start(p, o, s->port) != 0)
    return -1;
  if (s->tls_cert)
    snprintf(p->url, sizeof p->url, "https://127.0.0.1:%d", netproxy_port(p->np));
  return 0;
}

void fx_proxy_stop(fx_proxy_t *p)
{
  if (!p->np)
    return;
  netproxy_stop(p->np);
  pthread_join(p->thread, NULL);
  netproxy_free(p->np);
  p->np = NULL;
}

int fx_world_setup(void **state, size_t n, uint64_t seed)
{
  fx_world_t *w = calloc(1, sizeof *w);
  if (!w || fx_device_create(&w->dev, n, seed) != 0 || fx_server_create(&w->srv, &w->dev) != 0)
    return -1;
  *state = w;
  return 0;
}

int fx_world_teardown(void **state)
{
  fx_world_t *w = *state;
  fx_server_destroy(&w->srv);
  fx_device_destroy(&w->dev);
  free(w);
  return 0;
}
