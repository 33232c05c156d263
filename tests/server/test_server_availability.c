/* The real syncserver stays available under hostile unauthenticated clients (issue 11 item 3,
 * proto/SECURITY.md "Availability under hostile load"): a request head must be complete by a
 * deadline however busy the client keeps the socket; a body must keep a minimum rate; an
 * unauthenticated body (enrollment, dashboard login) is refused past a few KiB before it is
 * buffered, and all of them together share a bounded budget; connections are capped per address
 * and per /24, and a full group makes room by closing what proved nothing. Each test also shows
 * that a legitimate client is still served. The attackers are raw sockets bound to other
 * loopback addresses (127.0.0.2 ...), the server is started with small limits to keep it quick;
 * test_sync_under_attack runs the defaults under a flood while the sync engine delivers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server_fixture.h"
#include "test_support.h"

/* ---- a server with options ---------------------------------------------------------------- */

/* A fresh server on 127.0.0.1:0 with `serve` options (NULL-terminated) added. */
static void start_with(server_t *s, const char *const *opts)
{
  assert_int_equal(server_prepare(s), 0);
  s->serve_args = opts;
  assert_int_equal(server_start(s, NULL), 0);
}

static void stop(server_t *s)
{
  assert_int_equal(server_stop(s, SIGTERM), 0);
  server_cleanup(s);
}

/* ---- raw clients ---------------------------------------------------------------------------- */

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A TCP connection to the server from local address `from` (127.0.0.x). */
static int connect_from(const server_t *s, const char *from)
{
  const char *colon = strrchr(s->base, ':');
  struct sockaddr_in local = {.sin_family = AF_INET}, remote = {.sin_family = AF_INET};
  inet_pton(AF_INET, from, &local.sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  remote.sin_port = htons((uint16_t)atoi(colon + 1));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&local, sizeof local), 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&remote, sizeof remote), 0);
  return fd;
}

static void send_text(int fd, const char *text)
{
  (void)send(fd, text, strlen(text), MSG_NOSIGNAL);
}

/* 1 when the server closed the connection (end of stream or reset) within wait_ms, 0 when it is
 * still open; response bytes are read and dropped. */
static int closed_within(int fd, int wait_ms)
{
  double until = now_s() + wait_ms / 1000.0;
  for (;;) {
    int left = (int)((until - now_s()) * 1000);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, left > 0 ? left : 0) <= 0)
      return 0;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
      return 1;
  }
}

/* The status of the response that arrives on fd within wait_ms (-1: none). */
static int status_within(int fd, int wait_ms)
{
  char buf[256];
  size_t len = 0;
  double until = now_s() + wait_ms / 1000.0;
  while (len < 12) {
    int left = (int)((until - now_s()) * 1000);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, left) <= 0)
      return -1;
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0)
      return -1;
    len += (size_t)n;
  }
  buf[len] = '\0';
  int status = -1;
  return sscanf(buf, "HTTP/1.1 %d", &status) == 1 ? status : -1;
}

/* The status of GET /v1/health sent from `from` on a fresh connection. */
static int health_from(const server_t *s, const char *from)
{
  int fd = connect_from(s, from);
  send_text(fd, "GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n");
  int status = status_within(fd, 5000);
  close(fd);
  return status;
}

/* 1 once the server's log holds `text`, polled for up to wait_ms: the server writes a line after
 * it has closed the connection the test watches, so it may come a moment later. */
static int log_holds_within(const server_t *s, const char *text, int wait_ms)
{
  double until = now_s() + wait_ms / 1000.0;
  for (;;) {
    char *log = ts_read_file(s->log, NULL);
    int found = log && strstr(log, text) != NULL;
    free(log);
    if (found || now_s() >= until)
      return found;
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
  }
}

/* How many of the n sockets the server has not closed. */
static int still_open(const int *fds, int n)
{
  int open_n = 0;
  for (int i = 0; i < n; i++)
    open_n += !closed_within(fds[i], 0);
  return open_n;
}

/* ---- deadlines ------------------------------------------------------------------------------ */

/* The attack of the review: a header line now and then keeps libmicrohttpd's inactivity timeout
 * (120 s) from ever firing. The head deadline closes the connection anyway; others are served. */
static void test_slow_headers_are_cut_at_deadline(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--header-timeout", "2", NULL};
  start_with(&s, opts);
  int fd = connect_from(&s, "127.0.0.2");
  double t0 = now_s();
  send_text(fd, "GET /v1/health HTTP/1.1\r\n");
  int cut = 0;
  while (!cut && now_s() - t0 < 8) {
    send_text(fd, "X-Slow: 1\r\n");
    cut = closed_within(fd, 400);
  }
  double took = now_s() - t0;
  close(fd);
  printf("slow head closed after %.1f s (deadline 2 s)\n", took);
  assert_true(cut);
  assert_true(took >= 1.8 && took < 4.0);
  assert_int_equal(health_from(&s, "127.0.0.2"), 200);
  assert_true(log_holds_within(&s, "event=connections_closed header_deadline=1", 3000));
  stop(&s);
}

/* A body trickled below the minimum rate is closed once the grace has passed; a device enrols. */
static void test_slow_body_is_cut_below_minimum_rate(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--body-grace", "2", "--body-min-rate", "200", NULL};
  start_with(&s, opts);
  int fd = connect_from(&s, "127.0.0.3");
  send_text(fd, "POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                "Content-Length: 4000\r\n\r\n");
  double t0 = now_s();
  int cut = 0;
  while (!cut && now_s() - t0 < 8) {
    send_text(fd, "{\"aaaaaaaaaaaaaaaaaa");   /* 20 bytes every 0.4 s: 50 bytes/s */
    cut = closed_within(fd, 400);
  }
  double took = now_s() - t0;
  close(fd);
  printf("slow body closed after %.1f s (grace 2 s, at least 200 bytes/s)\n", took);
  assert_true(cut);
  assert_true(took >= 1.8 && took < 4.5);
  device_t dev;
  assert_int_equal(add_device(&s, "Laptop PPA Ponorogo", NULL, &dev), 0);
  stop(&s);
}

/* ---- body limits and the budget ------------------------------------------------------------- */

/* POST with a body that is never sent in full: the answer (or the end of the connection: -1)
 * must come before it; -2 when the connection stays open. */
static int status_of_unsent_body(const server_t *s, const char *head, size_t send_bytes)
{
  int fd = connect_from(s, "127.0.0.4");
  send_text(fd, head);
  char chunk[4096 + 16];
  int n = snprintf(chunk, sizeof chunk, "1000\r\n");
  memset(chunk + n, 'a', 4096);
  memcpy(chunk + n + 4096, "\r\n", 2);
  for (size_t sent = 0; sent < send_bytes; sent += 4096)
    (void)send(fd, chunk, (size_t)n + 4096 + 2, MSG_NOSIGNAL);
  int status = status_within(fd, 3000);
  int closed = closed_within(fd, 3000);
  close(fd);
  return closed ? status : -2;
}

/* The review's 1.9 GB: /v1/enroll took 8 MiB from anyone. A declared length over the limit is
 * answered 413 at once and the connection closed; a chunked body is cut as soon as it passes the
 * limit (20 KiB sent of a body that would go on; libmicrohttpd cannot answer in the middle of a
 * body, the log says 413). A device still enrols. */
static void test_enroll_body_over_limit_refused_before_buffering(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--max-unauth-body", "16384", NULL};
  start_with(&s, opts);
  assert_int_equal(status_of_unsent_body(&s, "POST /v1/enroll HTTP/1.1\r\nHost: t\r\n"
                                             "Content-Type: application/json\r\n"
                                             "Content-Length: 8000000\r\n\r\n", 0), 413);
  assert_int_equal(status_of_unsent_body(&s, "POST /v1/enroll HTTP/1.1\r\nHost: t\r\n"
                                             "Content-Type: application/json\r\n"
                                             "Transfer-Encoding: chunked\r\n\r\n", 20480), -1);
  assert_true(log_holds_within(&s, "path=\"/v1/enroll\" status=413 device=\"-\""
                                   " code=body_too_large bytes_in=20480", 3000));
  device_t dev;
  assert_int_equal(add_device(&s, "Laptop PPA Ponorogo", NULL, &dev), 0);
  stop(&s);
}

/* The dashboard's login form, chunked, is held to the same limit (the review's second case). */
static void test_dashboard_login_body_over_limit_refused_before_buffering(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--max-unauth-body", "16384", NULL};
  start_with(&s, opts);
  assert_int_equal(status_of_unsent_body(&s, "POST /dashboard/login HTTP/1.1\r\nHost: t\r\n"
                                             "Content-Type: application/x-www-form-urlencoded\r\n"
                                             "Transfer-Encoding: chunked\r\n\r\n", 20480), -1);
  assert_int_equal(status_of_unsent_body(&s, "POST /dashboard/login HTTP/1.1\r\nHost: t\r\n"
                                             "Content-Type: application/x-www-form-urlencoded\r\n"
                                             "Content-Length: 1048576\r\n\r\n", 0), 413);
  /* A login form of ordinary size is still read and answered (401: no such user). */
  int fd = connect_from(&s, "127.0.0.4");
  send_text(fd, "POST /dashboard/login HTTP/1.1\r\nHost: t\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\n"
                "name=siti&password=0123456789");
  assert_int_equal(status_within(fd, 5000), 401);
  close(fd);
  stop(&s);
}

/* All unauthenticated bodies together get a bounded budget: four 16 KiB enrollments hold it all,
 * a fifth gets 503 server_busy with Retry-After at once; when they are gone a device enrols. */
static void test_unauthenticated_body_budget_gives_503_when_spent(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--max-unauth-body", "16384", "--unauth-memory", "65536", NULL};
  start_with(&s, opts);
  static const char head[] = "POST /v1/enroll HTTP/1.1\r\nHost: t\r\n"
                             "Content-Type: application/json\r\nContent-Length: 16000\r\n\r\n{";
  int holders[4];
  for (int i = 0; i < 4; i++) {
    holders[i] = connect_from(&s, "127.0.0.5");
    send_text(holders[i], head);
  }
  struct timespec pause = {0, 300 * 1000000L};
  nanosleep(&pause, NULL);
  int fd = connect_from(&s, "127.0.0.6");
  send_text(fd, head);
  char buf[1024] = "";
  struct pollfd p = {.fd = fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 3000), 1);
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  assert_true(n > 0);
  buf[n] = '\0';
  close(fd);
  assert_true(strncmp(buf, "HTTP/1.1 503", 12) == 0);
  assert_non_null(strstr(buf, "Retry-After: 5"));
  assert_non_null(strstr(buf, "server_busy"));
  assert_int_equal(still_open(holders, 4), 4);
  for (int i = 0; i < 4; i++)
    close(holders[i]);
  nanosleep(&pause, NULL);
  device_t dev;
  assert_int_equal(add_device(&s, "Laptop PPA Ponorogo", NULL, &dev), 0);
  stop(&s);
}

/* ---- connection caps ------------------------------------------------------------------------ */

/* Opens n idle connections, from[i % n_from], a little apart so that their order is their age. */
static void open_idle(const server_t *s, const char *const *from, int n_from, int *fds, int n)
{
  struct timespec gap = {0, 20 * 1000000L};
  for (int i = 0; i < n; i++) {
    fds[i] = connect_from(s, from[i % n_from]);
    nanosleep(&gap, NULL);
  }
  struct timespec settle = {0, 300 * 1000000L};
  nanosleep(&settle, NULL);
}

/* One address holds at most its cap; a new connection from it closes its oldest idle one, so a
 * real request from the same address (a device behind the same NAT) is still served. */
static void test_per_address_connection_cap(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--max-conns-per-address", "4", NULL};
  start_with(&s, opts);
  const char *from[] = {"127.0.0.2"};
  int fds[10];
  open_idle(&s, from, 1, fds, 10);
  int open_n = still_open(fds, 10);
  printf("127.0.0.2 holds %d of 10 connections (cap 4)\n", open_n);
  assert_true(open_n >= 1 && open_n <= 4);
  assert_true(closed_within(fds[0], 0));   /* the oldest went first */
  assert_false(closed_within(fds[9], 0));  /* the newest stays */
  assert_int_equal(health_from(&s, "127.0.0.2"), 200);
  assert_int_equal(health_from(&s, "127.0.0.3"), 200);
  for (int i = 0; i < 10; i++)
    close(fds[i]);
  stop(&s);
}

/* Addresses of one /24 count together: four addresses cannot hold more than the prefix's cap,
 * though each is far under the per-address cap; a request from the same /24 is still served. */
static void test_per_prefix_connection_cap(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--max-conns-per-prefix", "6", NULL};
  start_with(&s, opts);
  const char *from[] = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
  int fds[16];
  open_idle(&s, from, 4, fds, 16);
  int open_n = still_open(fds, 16);
  printf("127.0.0.0/24 holds %d of 16 connections from 4 addresses (cap 6)\n", open_n);
  assert_true(open_n >= 1 && open_n <= 6);
  assert_int_equal(health_from(&s, "127.0.0.9"), 200);
  for (int i = 0; i < 16; i++)
    close(fds[i]);
  stop(&s);
}

/* The server full of connections that proved nothing: an enrolled device's request still gets a
 * connection (the oldest idle one is closed for it) and is answered. */
static void test_full_server_makes_room_for_a_device(void **state)
{
  (void)state;
  server_t s;
  const char *opts[] = {"--max-connections", "8", NULL};
  start_with(&s, opts);
  device_t dev;
  assert_int_equal(add_device(&s, "Laptop PPA Ponorogo", NULL, &dev), 0);
  const char *from[] = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
  int fds[20];
  open_idle(&s, from, 4, fds, 20);
  int open_n = still_open(fds, 20);
  printf("the server holds %d of 20 idle connections (cap 8)\n", open_n);
  assert_true(open_n <= 8);
  reply_t r;
  assert_int_equal(http_call(&s, "GET", "/v1/whoami", &dev, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  for (int i = 0; i < 20; i++)
    close(fds[i]);
  stop(&s);
}

int main(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_slow_headers_are_cut_at_deadline),
    cmocka_unit_test(test_slow_body_is_cut_below_minimum_rate),
    cmocka_unit_test(test_enroll_body_over_limit_refused_before_buffering),
    cmocka_unit_test(test_dashboard_login_body_over_limit_refused_before_buffering),
    cmocka_unit_test(test_unauthenticated_body_budget_gives_503_when_spent),
    cmocka_unit_test(test_per_address_connection_cap),
    cmocka_unit_test(test_per_prefix_connection_cap),
    cmocka_unit_test(test_full_server_makes_room_for_a_device),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
