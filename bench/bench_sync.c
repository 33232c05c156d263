/* bench_sync: what a field device's sync costs on the links it meets, in the deployed setup.
 *
 * For each profile and setup it makes a fresh world (world.h: syncserver on loopback, a device
 * enrolled with a one-time code that received the server's form), saves N reference-form sample
 * records on the device, and syncs them in a child process (sync_child.h) through the profile's
 * link, stopping at the profile's timeout. Setups: sealed (the default deployment: the form
 * published with --seal-to and the README's clear fields, HTTPS with a test CA and key pin) and
 * plain (the form unsealed, http). Profiles (links are the project's netproxy in this process,
 * one bandwidth bucket per direction shared by all connections, as on a phone's radio):
 *   loopback  no proxy; both ends durable (device SYNC_DURABILITY_FULL, server synchronous=FULL)
 *   256k      256 kbit/s, 300 ms one way
 *   2g        64 kbit/s, 600 ms one way
 *   cut20k    256 kbit/s, 300 ms one way, every connection cut after 20,000 bytes (both ways)
 *   rss       (first) peak RSS of one `syncctl status` on a store made with the default KDF (Argon2id
 *             interactive, 64 MiB)
 * The limit of a link profile comes from the content, not from what was sent: the records'
 * answers JSON (one per line) compressed with LZ4 HC level 9 in one block, divided by the link
 * rate, plus one round trip. Printed per profile and setup: seconds and the multiple of the
 * limit, bytes up and down on the link (netproxy: TLS, headers, re-sent and abandoned attempts
 * included) and as the engine counts its HTTP bodies (sync_progress_t), bytes up per record,
 * requests, connections, records the server stored, the engine process's peak RSS, the bytes
 * and requests the engine abandoned (counted in its bytes up too) and its measured upload rate.
 *
 *   bench_sync [--profile P[,P...]] [--setup sealed|plain|both] [--records N] [--timeout-s S]
 *              [--bin-dir DIR] [--keep]
 *
 * Defaults: every profile, both setups, 1,000 records on the links and 20,000 on loopback,
 * timeouts loopback 300 s, 256k 300 s, 2g 600 s, cut20k 300 s. It spawns `syncserver` and
 * `syncctl` from --bin-dir DIR (or $SYNC_BENCH_BIN_DIR), else from the build tree around this
 * executable. */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "netproxy.h"
#include "proc.h"
#include "sync_child.h"
#include "world.h"

typedef struct profile {
  const char *name, *label;
  uint32_t latency_ms, kbps; /* kbps 0: loopback, no proxy */
  uint64_t cut_after_bytes;
  double timeout_s;
  size_t records;            /* default record count */
} profile_t;

static const profile_t PROFILES[] = {
  {"loopback", "loopback, no proxy, durable both ends", 0, 0, 0, 300, 20000},
  {"256k", "256 kbit/s, 300 ms one way, shared link", 300, 256, 0, 300, 1000},
  {"2g", "64 kbit/s, 600 ms one way (2G), shared link", 600, 64, 0, 600, 1000},
  {"cut20k", "256 kbit/s, 300 ms one way, every connection cut after 20,000 bytes", 300, 256,
   20000, 300, 1000},
};
#define N_PROFILES (sizeof PROFILES / sizeof PROFILES[0])

static char g_self[PATH_MAX], g_syncctl[PATH_MAX], g_work[PATH_MAX];

/* One row of the final table. */
typedef struct row {
  const profile_t *prof;
  int sealed;
  size_t n;
  double limit_s;            /* 0 on loopback */
  size_t content_z;
  child_result_t r;
  long long delivered;
  netproxy_stats_t link;     /* zero on loopback */
} row_t;

/* ---- the link -------------------------------------------------------------------------------- */

typedef struct link {
  netproxy_t *np;
  pthread_t thread;
  char url[64];
} link_t;

static void *link_main(void *arg)
{
  netproxy_run_for(((link_t *)arg)->np, -1);
  return NULL;
}

static void link_start(link_t *l, const profile_t *prof, const world_t *w)
{
  char up[32], err[256];
  snprintf(up, sizeof up, "127.0.0.1:%d", w->port);
  netproxy_opts_t o;
  netproxy_opts_init(&o);
  o.upstream = up;
  o.listen = "127.0.0.1:0";
  o.seed = 1;
  o.latency_ms = prof->latency_ms;
  o.bandwidth_kbps = prof->kbps;
  o.bandwidth_shared = 1;
  o.cut_after_bytes = prof->cut_after_bytes;
  o.duration_s = (uint32_t)prof->timeout_s + 600;
  o.control_fd = -1;
  if (getenv("BENCH_VERBOSE"))
    o.log = stderr;
  if (netproxy_new(&o, &l->np, err, sizeof err) != NETPROXY_OK)
    die("netproxy: %s", err);
  snprintf(l->url, sizeof l->url, "%s://127.0.0.1:%d", w->sealed ? "https" : "http",
           netproxy_port(l->np));
  if (pthread_create(&l->thread, NULL, link_main, l) != 0)
    die("cannot start the link's thread");
}

static void link_stop(link_t *l, netproxy_stats_t *st)
{
  netproxy_get_stats(l->np, st);
  netproxy_stop(l->np);
  pthread_join(l->thread, NULL);
  netproxy_free(l->np);
}

/* ---- one profile and setup ------------------------------------------------------------------- */

static row_t measure(const profile_t *prof, int sealed, size_t n, double timeout_s)
{
  row_t row;
  memset(&row, 0, sizeof row);
  row.prof = prof;
  row.sealed = sealed;
  row.n = n;
  world_t w;
  world_start(&w, g_work, prof->name, sealed);
  content_t content = {0};
  world_add_records(&w, n, 1, &content);
  row.content_z = content_lz4hc9(&content);
  free(content.json);
  if (prof->kbps) {
    double rate = prof->kbps * 1000.0 / 8.0, rtt = 2.0 * prof->latency_ms / 1000.0;
    row.limit_s = (double)row.content_z / rate + rtt;
    link_t l;
    link_start(&l, prof, &w);
    row.r = child_sync_run(g_self, &w, l.url, timeout_s);
    link_stop(&l, &row.link);
  } else {
    row.r = child_sync_run(g_self, &w, w.url, timeout_s);
  }
  row.delivered = world_server_count(&w);
  world_stop(&w);
  return row;
}

/* Bytes the link carried up that the engine's count leaves out (TLS, HTTP headers); 0 on
 * loopback, where there is no link to count. Attempts it abandoned are in its count. */
static long long uncounted(const row_t *x)
{
  return x->limit_s > 0 ? (long long)x->link.bytes_up - (long long)x->r.p.wire_bytes_sent : 0;
}

static void print_row(const row_t *x)
{
  const child_result_t *r = &x->r;
  printf("%s, %s, %zu records:\n", x->prof->label, x->sealed ? "sealed, https" : "plain, http",
         x->n);
  if (r->finished)
    printf("  %.2f s", r->seconds);
  else
    printf("  did not finish: %lld of %zu delivered in %.0f s", x->delivered, x->n, r->seconds);
  if (x->limit_s > 0)
    printf(" = %s%.2fx the limit %.2f s (the records' JSON with LZ4 HC 9: %zu B, %.0f B/record)\n",
           r->finished ? "" : "over ", r->seconds / x->limit_s, x->limit_s, x->content_z,
           (double)x->content_z / (double)x->n);
  else
    printf(" = %.0f records/s (records' JSON with LZ4 HC 9: %zu B, %.0f B/record)\n",
           (double)x->delivered / r->seconds, x->content_z, (double)x->content_z / (double)x->n);
  if (x->limit_s > 0)
    printf("  link: %llu B up (%.0f B/record; %lld more than the engine counts: TLS, headers, "
           "attempts it dropped), %llu B down, %llu connections, %llu cut, %llu ended by errors\n",
           (unsigned long long)x->link.bytes_up, (double)x->link.bytes_up / (double)x->n,
           uncounted(x), (unsigned long long)x->link.bytes_down,
           (unsigned long long)x->link.connections, (unsigned long long)x->link.cuts,
           (unsigned long long)x->link.errors);
  printf("  engine: %lld B up (%.0f B/record) of which %lld B in %lld abandoned requests, "
         "%lld B down, %lld requests, %d run(s), %lld acknowledged, measured upload rate "
         "%lld B/s%s\n",
         (long long)r->p.wire_bytes_sent, (double)r->p.wire_bytes_sent / (double)x->n,
         (long long)r->p.wire_bytes_abandoned, (long long)r->p.requests_abandoned,
         (long long)r->p.wire_bytes_received, (long long)r->p.requests, r->runs,
         (long long)r->p.records_done, (long long)r->p.upload_bytes_per_s,
         x->limit_s > 0 ? "" : " (loopback)");
  printf("  server stored %lld records; engine process peak RSS %.1f MiB%s%s\n", x->delivered,
         (double)r->maxrss_kib / 1024.0, r->last_error[0] ? "; last engine error: " : "",
         r->last_error);
}

/* The summary table, one line per profile and setup. */
static void print_table(const row_t *rows, size_t n)
{
  printf("\n| profile | setup | seconds | x limit | link B up | B up/record | link B down | engine B up "
         "| link B up not in engine count | requests | connections | delivered | abandoned B (engine) "
         "| peak RSS MiB |\n"
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < n; i++) {
    const row_t *x = &rows[i];
    char secs[64], ratio[32], conns[32], up[32], down[32];
    snprintf(secs, sizeof secs, x->r.finished ? "%.2f" : "did not finish (%.0f)", x->r.seconds);
    if (x->limit_s > 0) {
      snprintf(ratio, sizeof ratio, "%s%.2f", x->r.finished ? "" : "> ", x->r.seconds / x->limit_s);
      snprintf(conns, sizeof conns, "%llu", (unsigned long long)x->link.connections);
      snprintf(up, sizeof up, "%llu", (unsigned long long)x->link.bytes_up);
      snprintf(down, sizeof down, "%llu", (unsigned long long)x->link.bytes_down);
    } else {
      snprintf(ratio, sizeof ratio, "%.0f rec/s", (double)x->delivered / x->r.seconds);
      snprintf(conns, sizeof conns, "-");
      snprintf(up, sizeof up, "%lld", (long long)x->r.p.wire_bytes_sent);
      snprintf(down, sizeof down, "%lld", (long long)x->r.p.wire_bytes_received);
    }
    printf("| %s | %s | %s | %s | %s | %.0f | %s | %lld | %lld | %lld | %s | %lld of %zu | %lld "
           "| %.1f |\n",
           x->prof->name, x->sealed ? "sealed" : "plain", secs, ratio, up,
           atof(up) / (double)x->n, down, (long long)x->r.p.wire_bytes_sent, uncounted(x),
           (long long)x->r.p.requests, conns, x->delivered, x->n,
           (long long)x->r.p.wire_bytes_abandoned, x->r.maxrss_kib / 1024.0);
  }
}

/* ---- peak RSS of syncctl with the default KDF ------------------------------------------------ */

/* Runs first, while this process is small: a forked child's ru_maxrss starts from its parent's
 * peak at the fork. The store is made by `syncctl init` (the default KDF) in another child. */
static void bench_syncctl_rss(void)
{
  char store[PATH_MAX];
  join(store, sizeof store, g_work, "/default-kdf.db");
  setenv("SYNC_STORE", store, 1);
  setenv("SYNC_PASSPHRASE", BENCH_PASSPHRASE, 1);
  char *init[] = {g_syncctl, (char *)"init", NULL};
  char *status[] = {g_syncctl, (char *)"status", NULL};
  free(run(init));
  struct rusage self, ru;
  getrusage(RUSAGE_SELF, &self);
  double t0 = now_s();
  int rc = wait_pid(spawn(status, -1), &ru);
  if (rc != 0)
    die("syncctl status exited %d", rc);
  printf("rss: one `syncctl status` on a store made with the default KDF (Argon2id interactive, "
         "64 MiB): peak RSS %.1f MiB, %.2f s (this program's own peak then: %.1f MiB)\n",
         ru.ru_maxrss / 1024.0, now_s() - t0, self.ru_maxrss / 1024.0);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void find_binaries(const char *bin_dir)
{
  ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
  if (n < 0)
    die("cannot find myself");
  g_self[n] = '\0';
  if (bin_dir) {
    join(g_syncserver, sizeof g_syncserver, bin_dir, "/syncserver");
    join(g_syncctl, sizeof g_syncctl, bin_dir, "/syncctl");
  } else {
    char root[PATH_MAX];
    join(root, sizeof root, g_self, "");
    for (int i = 0; i < 2; i++) {
      char *slash = strrchr(root, '/');
      if (slash)
        *slash = '\0';
    }
    join(g_syncserver, sizeof g_syncserver, root, "/server-stub/syncserver");
    join(g_syncctl, sizeof g_syncctl, root, "/libsync/tools/syncctl");
  }
  if (access(g_syncserver, X_OK) != 0)
    die("no syncserver at %s (use --bin-dir)", g_syncserver);
}

static void usage(void)
{
  die("usage: bench_sync [--profile loopback,256k,2g,cut20k,rss] [--setup sealed|plain|both]\n"
      "       [--records N] [--timeout-s S] [--bin-dir DIR] [--keep]");
}

/* 1 when `name` is in the comma-separated list (NULL: every name). */
static int listed(const char *list, const char *name)
{
  if (!list)
    return 1;
  size_t len = strlen(name);
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, ",");
    if (n == len && strncmp(p, name, n) == 0)
      return 1;
    p += n + (p[n] == ',');
  }
  return 0;
}

int main(int argc, char **argv)
{
  /* The bench measures sync, not key derivation: its device stores use the test cost
   * (SECURITY.md 5); the rss profile measures the default KDF. */
  setenv(SYNC_ALLOW_TEST_KDF_ENV, "1", 1);
  if (argc == 6 && strcmp(argv[1], "--child-sync") == 0)
    return child_sync_main(argv + 2);
  const char *bin_dir = getenv("SYNC_BENCH_BIN_DIR"), *profiles = NULL, *setup = "both";
  size_t records = 0;
  double timeout_s = 0;
  int keep = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--bin-dir") == 0 && i + 1 < argc)
      bin_dir = argv[++i];
    else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
      profiles = argv[++i];
    else if (strcmp(argv[i], "--setup") == 0 && i + 1 < argc)
      setup = argv[++i];
    else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
      records = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--timeout-s") == 0 && i + 1 < argc)
      timeout_s = atof(argv[++i]);
    else if (strcmp(argv[i], "--keep") == 0)
      keep = 1;
    else
      usage();
  }
  int setups[2], n_setups = 0;
  if (strcmp(setup, "sealed") == 0 || strcmp(setup, "both") == 0)
    setups[n_setups++] = 1;
  if (strcmp(setup, "plain") == 0 || strcmp(setup, "both") == 0)
    setups[n_setups++] = 0;
  if (n_setups == 0)
    usage();
  for (const char *p = profiles; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
    size_t len = strcspn(p, ",");
    int known = len == 3 && strncmp(p, "rss", 3) == 0;
    for (size_t k = 0; k < N_PROFILES; k++)
      known |= strlen(PROFILES[k].name) == len && strncmp(p, PROFILES[k].name, len) == 0;
    if (!known)
      usage();
  }
  find_binaries(bin_dir);
  const char *tmp = getenv("TMPDIR");
  snprintf(g_work, sizeof g_work, "%s/bench-sync-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g_work))
    die("mkdtemp: %s", strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0); /* figures appear as each run ends, also into a file */
  printf("bench_sync: libsync %s, work dir %s\n", sync_version(), g_work);
  if (listed(profiles, "rss"))
    bench_syncctl_rss();
  row_t rows[N_PROFILES * 2];
  size_t n_rows = 0;
  for (size_t k = 0; k < N_PROFILES; k++) {
    if (!listed(profiles, PROFILES[k].name))
      continue;
    for (int s = 0; s < n_setups; s++) {
      rows[n_rows] = measure(&PROFILES[k], setups[s], records ? records : PROFILES[k].records,
                             timeout_s > 0 ? timeout_s : PROFILES[k].timeout_s);
      print_row(&rows[n_rows++]);
    }
  }
  if (n_rows)
    print_table(rows, n_rows);
  if (!keep)
    rmtree(g_work);
  return 0;
}
