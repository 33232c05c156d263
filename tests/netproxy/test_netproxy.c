/* Behaviour of the bad-link proxy (tests/netproxy): bytes pass unchanged, shaping slows things
 * down by at least what was asked (lower bounds only: machines are noisy), faults are exact and
 * reproducible from the seed, the link can be taken down, and nothing but loopback is accepted.
 * Everything runs on 127.0.0.1: a test server and the proxy on threads, the CLI as a child. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rng.h"
#include "testnet.h"

#define MIB (1024 * 1024)
#define TIMEOUT_MS 15000

extern char **environ;

/* A proxy in front of a fresh server. */
typedef struct fixture {
  tn_server_t server;
  tn_proxy_t proxy;
  netproxy_opts_t opts;
  char upstream[64];
} fixture_t;

static void fixture_server(fixture_t *f, tn_mode_t mode, size_t source_bytes, uint64_t seed)
{
  memset(f, 0, sizeof *f);
  f->server.source_bytes = source_bytes;
  f->server.source_seed = seed;
  assert_int_equal(tn_server_start(&f->server, mode), 0);
  netproxy_opts_init(&f->opts);
  f->opts.upstream = tn_addr(f->upstream, sizeof f->upstream, f->server.port);
}

static void fixture_proxy(fixture_t *f)
{
  assert_int_equal(tn_proxy_start(&f->proxy, &f->opts), NETPROXY_OK);
}

static void fixture_end(fixture_t *f)
{
  tn_proxy_stop(&f->proxy);
  tn_server_stop(&f->server);
}

static int proxy_connect(fixture_t *f)
{
  int fd = tn_connect(netproxy_port(f->proxy.np));
  assert_true(fd >= 0);
  return fd;
}

static netproxy_stats_t stats(fixture_t *f)
{
  netproxy_stats_t st;
  netproxy_get_stats(f->proxy.np, &st);
  return st;
}

/* Waits (bounded) until the proxy has no open connection left. */
static void wait_idle(fixture_t *f)
{
  int64_t end = tn_now_ms() + TIMEOUT_MS;
  while (stats(f).active > 0 && tn_now_ms() < end)
    tn_sleep_ms(5);
  assert_int_equal(stats(f).active, 0);
}

static unsigned char *payload(size_t n, uint64_t seed)
{
  unsigned char *p = malloc(n);
  assert_non_null(p);
  tn_fill(p, n, seed);
  return p;
}

/* Sends `msg` through an echo fixture and returns the round trip in ms. */
static int64_t echo_round_trip_ms(fixture_t *f, size_t n)
{
  unsigned char *out = payload(n, 5), *in = malloc(n);
  int fd = proxy_connect(f);
  tn_pump_t r;
  int64_t t0 = tn_now_ms();
  tn_pump(fd, out, n, 1, in, n, n, TIMEOUT_MS, &r);
  int64_t rtt = r.end_ms - t0;
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(r.received, n);
  assert_memory_equal(in, out, n);
  close(fd);
  free(out);
  free(in);
  return rtt;
}

/* ---- pass-through ---- */

static void test_bytes_pass_unchanged_both_directions(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  fixture_proxy(&f);
  size_t n = MIB;
  unsigned char *out = payload(n, 1), *in = malloc(n);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  int64_t t0 = tn_now_ms();
  tn_pump(fd, out, n, 0, in, n, 0, TIMEOUT_MS, &r);
  double secs = (double)(r.end_ms - t0) / 1000.0;
  assert_int_equal(r.end_errno, 0); /* EOF passed back after the echo's half-close */
  assert_int_equal(r.sent, n);
  assert_int_equal(r.received, n);
  assert_memory_equal(in, out, n);
  close(fd);
  wait_idle(&f);
  netproxy_stats_t st = stats(&f);
  assert_int_equal(st.connections, 1);
  assert_int_equal(st.bytes_up, n);
  assert_int_equal(st.bytes_down, n);
  assert_int_equal(st.cuts + st.resets + st.errors, 0);
  print_message("# 1 MiB echoed through the proxy in %.3f s (%.1f MiB/s each way)\n", secs,
                secs > 0 ? 1.0 / secs : 0.0);
  free(out);
  free(in);
  fixture_end(&f);
}

static void test_jitter_never_reorders_bytes(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.latency_ms = 2;
  f.opts.jitter_ms = 20;
  f.opts.seed = 3;
  fixture_proxy(&f);
  size_t n = MIB;
  unsigned char *out = payload(n, 2), *in = malloc(n);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, out, n, 0, in, n, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(r.received, n);
  assert_memory_equal(in, out, n);
  close(fd);
  free(out);
  free(in);
  fixture_end(&f);
}

/* ---- shaping: lower bounds only ---- */

static void test_latency_adds_to_round_trip(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.latency_ms = 150;
  fixture_proxy(&f);
  int64_t rtt = echo_round_trip_ms(&f, 100);
  print_message("# round trip with 150 ms each way: %lld ms\n", (long long)rtt);
  assert_true(rtt >= 2 * 150);
  fixture_end(&f);
}

static void test_bandwidth_cap_slows_transfer(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_SINK, 0, 0);
  f.opts.bandwidth_kbps = 2048; /* 256000 bytes/s */
  fixture_proxy(&f);
  size_t n = 384 * 1024;
  unsigned char *out = payload(n, 4);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  int64_t t0 = tn_now_ms();
  tn_pump(fd, out, n, 0, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(tn_server_wait_finished(&f.server, 1, TIMEOUT_MS), 0);
  assert_int_equal(f.server.results[0].bytes, n);
  /* The bucket starts full with 20 ms worth (5120 bytes); the rest goes at the rate. */
  int64_t min_ms = (int64_t)(n - 5120) * 1000 / 256000;
  print_message("# 384 KiB at 2048 kbps: %lld ms (at least %lld)\n", (long long)(r.end_ms - t0),
                (long long)min_ms);
  assert_true(r.end_ms - t0 >= min_ms);
  close(fd);
  free(out);
  fixture_end(&f);
}

typedef struct upload {
  int fd;
  const unsigned char *data;
  size_t n;
  tn_pump_t r;
} upload_t;

static void *upload_main(void *arg)
{
  upload_t *u = arg;
  tn_pump(u->fd, u->data, u->n, 0, NULL, 0, 0, TIMEOUT_MS, &u->r);
  return NULL;
}

static void test_shared_bandwidth_is_split_between_connections(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_SINK, 0, 0);
  f.opts.bandwidth_kbps = 4096; /* 512000 bytes/s for all connections together */
  f.opts.bandwidth_shared = 1;
  fixture_proxy(&f);
  size_t n = 256 * 1024;
  unsigned char *out = payload(n, 6);
  upload_t u[2];
  pthread_t th[2];
  int64_t t0 = tn_now_ms();
  for (int i = 0; i < 2; i++) {
    u[i] = (upload_t){ .fd = proxy_connect(&f), .data = out, .n = n };
    assert_int_equal(pthread_create(&th[i], NULL, upload_main, &u[i]), 0);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(u[i].r.end_errno, 0);
    close(u[i].fd);
  }
  int64_t elapsed = tn_now_ms() - t0;
  assert_int_equal(tn_server_wait_finished(&f.server, 2, TIMEOUT_MS), 0);
  assert_int_equal(f.server.results[0].bytes + f.server.results[1].bytes, 2 * n);
  /* 2 x 256 KiB through one 512000 B/s bucket (burst 10240 bytes): at least ~1 s. */
  print_message("# 2 x 256 KiB sharing 4096 kbps: %lld ms\n", (long long)elapsed);
  assert_true(elapsed >= (int64_t)(2 * n - 10240) * 1000 / 512000);
  free(out);
  fixture_end(&f);
}

static void test_stall_pauses_connection(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.stall_probability = 1.0; /* before every segment, each way */
  f.opts.stall_ms = 200;
  fixture_proxy(&f);
  int64_t rtt = echo_round_trip_ms(&f, 100);
  print_message("# round trip with a 200 ms stall each way: %lld ms\n", (long long)rtt);
  assert_true(rtt >= 2 * 200);
  assert_true(stats(&f).stalls >= 2);
  fixture_end(&f);
}

/* ---- cuts ---- */

static void test_cut_down_delivers_exactly_n_then_eof(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_SOURCE, MIB, 9);
  f.opts.cut_after_bytes = 100000;
  f.opts.cut_direction = NETPROXY_DIR_DOWN;
  fixture_proxy(&f);
  unsigned char *expect = payload(MIB, 9), *in = malloc(MIB);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, NULL, 0, 0, in, MIB, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(r.received, 100000);
  assert_memory_equal(in, expect, 100000);
  close(fd);
  wait_idle(&f);
  assert_int_equal(stats(&f).cuts, 1);
  assert_int_equal(stats(&f).bytes_down, 100000);
  free(expect);
  free(in);
  fixture_end(&f);
}

static void test_cut_up_delivers_exactly_n_to_upstream(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_SINK, 0, 0);
  f.opts.cut_after_bytes = 50000;
  f.opts.cut_direction = NETPROXY_DIR_UP;
  fixture_proxy(&f);
  unsigned char *out = payload(MIB, 10);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, out, MIB, 0, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_true(r.end_errno == 0 || r.end_errno == ECONNRESET || r.end_errno == EPIPE);
  assert_int_equal(tn_server_wait_finished(&f.server, 1, TIMEOUT_MS), 0);
  assert_int_equal(f.server.results[0].bytes, 50000);
  assert_int_equal(f.server.results[0].end_errno, 0); /* FIN, not RST */
  assert_true(f.server.results[0].checksum == tn_checksum(TN_CHECKSUM_INIT, out, 50000));
  close(fd);
  free(out);
  fixture_end(&f);
}

static void test_cut_both_counts_the_two_directions_together(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.cut_after_bytes = 1500; /* 1000 up, then 500 of the echo down */
  fixture_proxy(&f);
  unsigned char *out = payload(1000, 16), in[1000];
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, out, 1000, 1, in, sizeof in, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(r.received, 500);
  assert_memory_equal(in, out, 500);
  close(fd);
  wait_idle(&f);
  assert_int_equal(stats(&f).bytes_up, 1000);
  assert_int_equal(stats(&f).bytes_down, 500);
  free(out);
  fixture_end(&f);
}

static void test_cut_mode_rst_resets_client(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_SOURCE, MIB, 11);
  f.opts.cut_after_bytes = 20000;
  f.opts.cut_direction = NETPROXY_DIR_DOWN;
  f.opts.cut_mode = NETPROXY_CUT_RST;
  fixture_proxy(&f);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, NULL, 0, 1, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, ECONNRESET);
  assert_true(r.received <= 20000);
  close(fd);
  fixture_end(&f);
}

/* What connection i of `conns` received, through a proxy with seeded random cut points. */
static void received_per_connection(uint64_t seed, size_t *got, int conns)
{
  fixture_t f;
  size_t n = 64 * 1024;
  fixture_server(&f, TN_SOURCE, n, 12);
  f.opts.seed = seed;
  f.opts.cut_probability = 0.5;
  f.opts.cut_min = 1000;
  f.opts.cut_max = 60000;
  f.opts.cut_direction = NETPROXY_DIR_DOWN;
  fixture_proxy(&f);
  for (int i = 0; i < conns; i++) {
    int fd = proxy_connect(&f);
    tn_pump_t r;
    tn_pump(fd, NULL, 0, 0, NULL, 0, 0, TIMEOUT_MS, &r);
    assert_int_equal(r.end_errno, 0);
    got[i] = r.received;
    close(fd);
    wait_idle(&f); /* the next connection gets the next index */
  }
  fixture_end(&f);
}

static void test_same_seed_reproduces_cut_points(void **state)
{
  (void)state;
  enum { N = 10 };
  size_t a[N], b[N], c[N];
  received_per_connection(7, a, N);
  received_per_connection(7, b, N);
  received_per_connection(8, c, N);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_not_equal(a, c, sizeof a);
  int cut = 0, whole = 0;
  for (int i = 0; i < N; i++) {
    if (a[i] == 64 * 1024) {
      whole++;
    } else {
      cut++;
      assert_true(a[i] >= 1000 && a[i] <= 60000);
    }
  }
  assert_true(cut > 0 && whole > 0);
}

static void test_rng_streams_are_seeded_and_independent(void **state)
{
  (void)state;
  np_rng_t a, b, c, d;
  np_rng_init(&a, 42, 0, 0);
  np_rng_init(&b, 42, 0, 0);
  np_rng_init(&c, 42, 1, 0);
  np_rng_init(&d, 42, 0, 1);
  uint64_t x = np_rng_next(&a);
  assert_true(x == np_rng_next(&b));
  assert_true(x != np_rng_next(&c));
  assert_true(x != np_rng_next(&d));
  for (int i = 0; i < 1000; i++) {
    uint64_t v = np_rng_between(&a, 10, 20);
    assert_true(v >= 10 && v <= 20);
    double u = np_rng_unit(&a);
    assert_true(u >= 0.0 && u < 1.0);
  }
  assert_true(np_rng_geometric(&a, 1.0) == 0);
  assert_true(np_rng_geometric(&a, 0.0) == UINT64_MAX);
}

/* ---- resets ---- */

static void test_reset_probability_one_resets_client(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.reset_probability = 1.0; /* before the first segment */
  fixture_proxy(&f);
  unsigned char *out = payload(1000, 13);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, out, 1000, 1, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_true(r.end_errno == ECONNRESET || r.end_errno == EPIPE);
  assert_int_equal(r.received, 0);
  assert_int_equal(stats(&f).resets, 1);
  assert_int_equal(stats(&f).bytes_up, 0);
  close(fd);
  free(out);
  fixture_end(&f);
}

/* ---- link control ---- */

static void wait_link(fixture_t *f, int down)
{
  int64_t end = tn_now_ms() + TIMEOUT_MS;
  while (stats(f).link_down != down && tn_now_ms() < end)
    tn_sleep_ms(2);
  assert_int_equal(stats(f).link_down, down);
}

static void test_link_down_cuts_and_refuses_until_up(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  fixture_proxy(&f);
  int a = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(a, "hello", 5, 1, NULL, 0, 5, TIMEOUT_MS, &r);
  assert_int_equal(r.received, 5);

  netproxy_command(f.proxy.np, NETPROXY_CMD_DOWN);
  wait_link(&f, 1);
  tn_pump(a, NULL, 0, 1, NULL, 0, 0, TIMEOUT_MS, &r); /* the open connection is cut */
  assert_true(r.end_errno == 0 || r.end_errno == ECONNRESET);
  close(a);

  int b = proxy_connect(&f); /* the kernel completes the handshake; the proxy resets it */
  tn_pump(b, "x", 1, 1, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_true(r.end_errno == ECONNRESET || r.end_errno == EPIPE || r.end_errno == 0);
  assert_int_equal(r.received, 0);
  close(b);
  assert_int_equal(atomic_load(&f.server.accepted), 1);
  assert_true(stats(&f).refused >= 1);

  netproxy_command(f.proxy.np, NETPROXY_CMD_UP);
  wait_link(&f, 0);
  assert_true(echo_round_trip_ms(&f, 1000) >= 0);
  assert_int_equal(atomic_load(&f.server.accepted), 2);
  fixture_end(&f);
}

static void test_cut_command_cuts_open_connections(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  fixture_proxy(&f);
  int fd[3];
  tn_pump_t r;
  for (int i = 0; i < 3; i++) {
    fd[i] = proxy_connect(&f);
    tn_pump(fd[i], "ping", 4, 1, NULL, 0, 4, TIMEOUT_MS, &r);
    assert_int_equal(r.received, 4);
  }
  netproxy_command(f.proxy.np, NETPROXY_CMD_CUT);
  for (int i = 0; i < 3; i++) {
    tn_pump(fd[i], NULL, 0, 1, NULL, 0, 0, TIMEOUT_MS, &r);
    assert_int_equal(r.end_errno, 0);
    close(fd[i]);
  }
  wait_idle(&f);
  assert_int_equal(stats(&f).cuts, 3);
  assert_int_equal(stats(&f).link_down, 0);
  fixture_end(&f);
}

static void test_control_fifo_commands_and_reopen(void **state)
{
  (void)state;
  char dir[] = "/tmp/netproxy-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/ctl", dir);
  assert_int_equal(mkfifo(path, 0600), 0);

  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.control_fifo = path;
  fixture_proxy(&f);
  for (int round = 0; round < 2; round++) { /* the second writer needs the FIFO reopened */
    int w = open(path, O_WRONLY);
    assert_true(w >= 0);
    const char *cmd = round == 0 ? "down\n" : "  up \n";
    assert_int_equal(write(w, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
    close(w);
    wait_link(&f, round == 0);
  }
  int w = open(path, O_WRONLY);
  assert_int_equal(write(w, "quit\n", 5), 5);
  close(w);
  pthread_join(f.proxy.thread, NULL);
  assert_int_equal(f.proxy.result, NETPROXY_STOPPED);
  netproxy_free(f.proxy.np);
  f.proxy.np = NULL;
  tn_server_stop(&f.server);
  unlink(path);
  rmdir(dir);
}

/* ---- limits and robustness ---- */

static void test_backpressure_bounds_queue(void **state)
{
  (void)state;
  fixture_t f;
  /* More than the kernel's socket buffers on both hops can hold (a few MiB each), so the proxy
   * must end up with a full queue and stop reading from upstream. */
  size_t n = 32 * MIB, limit = 256 * 1024;
  fixture_server(&f, TN_SOURCE, n, 14);
  f.opts.queue_bytes = (uint32_t)limit;
  fixture_proxy(&f);
  int fd = proxy_connect(&f); /* and do not read yet */
  int64_t end = tn_now_ms() + TIMEOUT_MS;
  while (stats(&f).peak_queue < limit && tn_now_ms() < end)
    tn_sleep_ms(5);
  tn_sleep_ms(100);
  netproxy_stats_t st = stats(&f);
  assert_int_equal(st.peak_queue, limit); /* reached, never passed */
  assert_true(st.bytes_down < n);
  unsigned char *in = malloc(n), *expect = payload(n, 14);
  tn_pump_t r;
  tn_pump(fd, NULL, 0, 0, in, n, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(r.received, n);
  assert_memory_equal(in, expect, n);
  assert_int_equal(stats(&f).peak_queue, limit);
  close(fd);
  free(in);
  free(expect);
  fixture_end(&f);
}

static void test_max_connections_holds_extra_in_backlog(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.max_connections = 1;
  fixture_proxy(&f);
  tn_pump_t r;
  int a = proxy_connect(&f);
  tn_pump(a, "a", 1, 1, NULL, 0, 1, TIMEOUT_MS, &r);
  assert_int_equal(r.received, 1);
  int b = proxy_connect(&f);
  assert_int_equal(send(b, "b", 1, 0), 1);
  tn_sleep_ms(200);
  assert_int_equal(atomic_load(&f.server.accepted), 1); /* b waits */
  tn_pump(a, NULL, 0, 0, NULL, 0, 0, TIMEOUT_MS, &r);  /* a ends */
  close(a);
  char c = 0;
  tn_pump(b, NULL, 0, 1, &c, 1, 1, TIMEOUT_MS, &r);
  assert_int_equal(r.received, 1);
  assert_int_equal(c, 'b');
  assert_int_equal(atomic_load(&f.server.accepted), 2);
  close(b);
  fixture_end(&f);
}

static void test_vanishing_client_is_harmless(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_SOURCE, 4 * MIB, 15);
  fixture_proxy(&f);
  for (int i = 0; i < 5; i++) {
    int fd = proxy_connect(&f);
    char buf[1000];
    assert_true(recv(fd, buf, sizeof buf, MSG_WAITALL) > 0);
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd); /* RST in the middle of a download */
  }
  wait_idle(&f);
  unsigned char *in = malloc(4 * MIB);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, NULL, 0, 0, in, 4 * MIB, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(r.received, 4 * MIB);
  close(fd);
  free(in);
  fixture_end(&f);
}

static void test_duration_stops_the_loop(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.duration_s = 1;
  netproxy_t *np;
  assert_int_equal(netproxy_new(&f.opts, &np, NULL, 0), NETPROXY_OK);
  int64_t t0 = tn_now_ms();
  assert_int_equal(netproxy_run_for(np, 50), NETPROXY_OK);
  assert_true(tn_now_ms() - t0 >= 50);
  assert_int_equal(netproxy_run_for(np, -1), NETPROXY_STOPPED);
  assert_true(tn_now_ms() - t0 >= 1000);
  netproxy_free(np);
  tn_server_stop(&f.server);
}

static void test_upstream_refusing_resets_client(void **state)
{
  (void)state;
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  tn_server_stop(&f.server); /* nothing listens there any more */
  fixture_proxy(&f);
  int fd = proxy_connect(&f);
  tn_pump_t r;
  tn_pump(fd, "x", 1, 1, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_true(r.end_errno == ECONNRESET || r.end_errno == EPIPE);
  assert_int_equal(r.received, 0);
  close(fd);
  wait_idle(&f);
  assert_int_equal(stats(&f).errors, 1);
  tn_proxy_stop(&f.proxy);
}

static void test_ipv6_loopback_listen(void **state)
{
  (void)state;
  int probe = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof a) != 0) {
    if (probe >= 0)
      close(probe);
    skip(); /* no IPv6 on this machine */
  }
  close(probe);
  fixture_t f;
  fixture_server(&f, TN_ECHO, 0, 0);
  f.opts.listen = "[::1]:0";
  fixture_proxy(&f);
  a.sin6_port = htons((uint16_t)netproxy_port(f.proxy.np));
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  char buf[8] = "";
  tn_pump_t r;
  tn_pump(fd, "over v6", 7, 0, buf, sizeof buf, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.end_errno, 0);
  assert_int_equal(r.received, 7);
  assert_memory_equal(buf, "over v6", 7);
  close(fd);
  fixture_end(&f);
}

/* ---- loopback only ---- */

static void test_non_loopback_addresses_are_refused(void **state)
{
  (void)state;
  static const char *const upstreams[] = {
    "10.0.0.1:80", "192.168.1.1:8080", "8.8.8.8:53", "0.0.0.0:80",
    "[2001:db8::1]:80", "[::ffff:10.0.0.1]:80", "[::]:80",
  };
  netproxy_opts_t o;
  char err[300];
  for (size_t i = 0; i < sizeof upstreams / sizeof upstreams[0]; i++) {
    netproxy_opts_init(&o);
    o.upstream = upstreams[i];
    netproxy_t *np = (netproxy_t *)&o; /* must be reset to NULL */
    assert_int_equal(netproxy_new(&o, &np, err, sizeof err), NETPROXY_ENOTLOOPBACK);
    assert_null(np);
    assert_non_null(strstr(err, "not a loopback address"));
  }
  netproxy_opts_init(&o);
  o.upstream = "127.0.0.1:80";
  o.listen = "0.0.0.0:0";
  netproxy_t *np;
  assert_int_equal(netproxy_new(&o, &np, err, sizeof err), NETPROXY_ENOTLOOPBACK);
  o.listen = NULL;
  o.upstream = "example.com:80"; /* no DNS */
  assert_int_equal(netproxy_new(&o, &np, err, sizeof err), NETPROXY_EINVAL);
  o.upstream = "127.0.0.1";
  assert_int_equal(netproxy_new(&o, &np, err, sizeof err), NETPROXY_EINVAL);
  o.upstream = "127.0.0.1:70000";
  assert_int_equal(netproxy_new(&o, &np, err, sizeof err), NETPROXY_EINVAL);
  /* Loopback is fine, in both families and anywhere in 127/8. */
  o.upstream = "127.1.2.3:9";
  assert_int_equal(netproxy_new(&o, &np, err, sizeof err), NETPROXY_OK);
  netproxy_free(np);
  o.upstream = "[::1]:9";
  assert_int_equal(netproxy_new(&o, &np, err, sizeof err), NETPROXY_OK);
  netproxy_free(np);
}

/* ---- the command-line tool ---- */

typedef struct child {
  pid_t pid;
  int in, out, err;
  FILE *outf;
} child_t;

static void spawn_netproxy(child_t *c, const char *const *args)
{
  int pin[2], pout[2], perr[2];
  assert_int_equal(pipe(pin), 0);
  assert_int_equal(pipe(pout), 0);
  assert_int_equal(pipe(perr), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
  posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
  posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
  int fds[] = { pin[0], pin[1], pout[0], pout[1], perr[0], perr[1] };
  for (int i = 0; i < 6; i++)
    posix_spawn_file_actions_addclose(&fa, fds[i]);
  char *argv[32];
  int n = 0;
  argv[n++] = (char *)NETPROXY_EXE;
  for (; args[n - 1]; n++)
    argv[n] = (char *)args[n - 1];
  argv[n] = NULL;
  assert_int_equal(posix_spawn(&c->pid, NETPROXY_EXE, &fa, NULL, argv, environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  c->in = pin[1];
  c->out = pout[0];
  c->err = perr[0];
  c->outf = fdopen(c->out, "r");
  assert_non_null(c->outf);
}

/* Next stdout line of the child (bounded wait). */
static void child_line(child_t *c, char *buf, size_t len)
{
  struct pollfd p = { c->out, POLLIN, 0 };
  assert_true(poll(&p, 1, TIMEOUT_MS) > 0);
  assert_non_null(fgets(buf, (int)len, c->outf));
}

static void child_say(child_t *c, const char *cmd)
{
  assert_int_equal(write(c->in, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
}

static int child_end(child_t *c)
{
  int status = 0;
  int64_t end = tn_now_ms() + TIMEOUT_MS;
  pid_t got;
  while ((got = waitpid(c->pid, &status, WNOHANG)) == 0 && tn_now_ms() < end)
    tn_sleep_ms(5);
  if (got == 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, &status, 0);
    fail_msg("netproxy did not exit");
  }
  fclose(c->outf);
  close(c->in);
  close(c->err);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void stats_until(child_t *c, const char *needle, char *line, size_t len)
{
  int64_t end = tn_now_ms() + TIMEOUT_MS;
  do {
    child_say(c, "stats\n");
    child_line(c, line, len);
    assert_non_null(strstr(line, "STATS "));
  } while (!strstr(line, needle) && tn_now_ms() < end);
  assert_non_null(strstr(line, needle));
}

static void test_cli_port_stats_signals_and_quit(void **state)
{
  (void)state;
  tn_server_t s;
  memset(&s, 0, sizeof s);
  assert_int_equal(tn_server_start(&s, TN_ECHO), 0);
  char up[64];
  const char *args[] = { "--upstream", tn_addr(up, sizeof up, s.port), "--seed=5",
                         "--latency-ms", "1", NULL };
  child_t c;
  spawn_netproxy(&c, args);
  char line[512];
  child_line(&c, line, sizeof line);
  int port = 0;
  assert_int_equal(sscanf(line, "PORT %d", &port), 1);
  assert_true(port > 0);

  int fd = tn_connect(port);
  assert_true(fd >= 0);
  tn_pump_t r;
  tn_pump(fd, "hello", 5, 0, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.received, 5);
  close(fd);
  stats_until(&c, "active=0", line, sizeof line);
  assert_non_null(strstr(line, "connections=1 "));
  assert_non_null(strstr(line, "bytes_up=5 bytes_down=5 "));

  kill(c.pid, SIGUSR1);
  stats_until(&c, "link=down", line, sizeof line);
  fd = tn_connect(port);
  tn_pump(fd, NULL, 0, 1, NULL, 0, 0, TIMEOUT_MS, &r);
  assert_int_equal(r.received, 0);
  close(fd);
  kill(c.pid, SIGUSR2);
  stats_until(&c, "link=up", line, sizeof line);
  assert_non_null(strstr(line, "refused=1 "));

  child_say(&c, "bogus\nquit\n");
  child_line(&c, line, sizeof line);
  assert_true(strncmp(line, "STATS connections=1 ", 20) == 0);
  assert_int_equal(child_end(&c), 0);
  tn_server_stop(&s);
}

static void test_cli_refuses_non_loopback_upstream(void **state)
{
  (void)state;
  const char *args[] = { "--upstream", "192.168.1.10:80", NULL };
  child_t c;
  spawn_netproxy(&c, args);
  char err[512] = "";
  struct pollfd p = { c.err, POLLIN, 0 };
  assert_true(poll(&p, 1, TIMEOUT_MS) > 0);
  ssize_t n = read(c.err, err, sizeof err - 1);
  assert_true(n > 0);
  err[n] = '\0';
  assert_non_null(strstr(err, "not a loopback address"));
  assert_int_equal(child_end(&c), 2);

  const char *bad[] = { "--upstream", "127.0.0.1:1", "--cut-probability", "1.5", NULL };
  spawn_netproxy(&c, bad);
  assert_int_equal(child_end(&c), 2);
}

/* Open descriptors of this process, or -1 where /proc/self/fd is not there. */
static int count_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  int n = 0;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

static int fds_at_start;

static int group_setup(void **state)
{
  (void)state;
  fds_at_start = count_fds();
  return 0;
}

/* Every test closes what it opened, and so does the proxy. */
static int group_teardown(void **state)
{
  (void)state;
  int now = count_fds();
  if (now != fds_at_start) {
    print_error("descriptor leak: %d open at start, %d at the end\n", fds_at_start, now);
    return -1;
  }
  return 0;
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bytes_pass_unchanged_both_directions),
    cmocka_unit_test(test_jitter_never_reorders_bytes),
    cmocka_unit_test(test_latency_adds_to_round_trip),
    cmocka_unit_test(test_bandwidth_cap_slows_transfer),
    cmocka_unit_test(test_shared_bandwidth_is_split_between_connections),
    cmocka_unit_test(test_stall_pauses_connection),
    cmocka_unit_test(test_cut_down_delivers_exactly_n_then_eof),
    cmocka_unit_test(test_cut_up_delivers_exactly_n_to_upstream),
    cmocka_unit_test(test_cut_both_counts_the_two_directions_together),
    cmocka_unit_test(test_cut_mode_rst_resets_client),
    cmocka_unit_test(test_same_seed_reproduces_cut_points),
    cmocka_unit_test(test_rng_streams_are_seeded_and_independent),
    cmocka_unit_test(test_reset_probability_one_resets_client),
    cmocka_unit_test(test_link_down_cuts_and_refuses_until_up),
    cmocka_unit_test(test_cut_command_cuts_open_connections),
    cmocka_unit_test(test_control_fifo_commands_and_reopen),
    cmocka_unit_test(test_backpressure_bounds_queue),
    cmocka_unit_test(test_max_connections_holds_extra_in_backlog),
    cmocka_unit_test(test_vanishing_client_is_harmless),
    cmocka_unit_test(test_duration_stops_the_loop),
    cmocka_unit_test(test_upstream_refusing_resets_client),
    cmocka_unit_test(test_ipv6_loopback_listen),
    cmocka_unit_test(test_non_loopback_addresses_are_refused),
    cmocka_unit_test(test_cli_port_stats_signals_and_quit),
    cmocka_unit_test(test_cli_refuses_non_loopback_upstream),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
