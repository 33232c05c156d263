/* Test helpers for test_netproxy (testnet.h). */
#include "testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t tn_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tn_sleep_ms(int ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void tn_fill(void *buf, size_t len, uint64_t seed)
{
  unsigned char *p = buf;
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = (unsigned char)(x >> 24);
  }
}

uint64_t tn_checksum(uint64_t h, const void *buf, size_t len)
{
  const unsigned char *p = buf;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

const char *tn_addr(char *buf, size_t len, int port)
{
  snprintf(buf, len, "127.0.0.1:%d", port);
  return buf;
}

static struct sockaddr_in loopback(int port)
{
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int tn_connect(int port)
{
  struct sockaddr_in a = loopback(port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* ---- server ---- */

typedef struct conn_arg {
  tn_server_t *s;
  int slot;
} conn_arg_t;

static int send_all(int fd, const unsigned char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void *conn_main(void *argp)
{
  conn_arg_t *arg = argp;
  tn_server_t *s = arg->s;
  int slot = arg->slot;
  free(arg);
  int fd = s->fds[slot];
  tn_result_t *res = &s->results[slot];
  unsigned char buf[65536];
  res->checksum = TN_CHECKSUM_INIT;

  if (s->mode == TN_SOURCE) {
    unsigned char *data = malloc(s->source_bytes ? s->source_bytes : 1);
    if (data) {
      tn_fill(data, s->source_bytes, s->source_seed);
      if (send_all(fd, data, s->source_bytes) == 0)
        shutdown(fd, SHUT_WR);
      free(data);
    }
  }
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      res->end_errno = n == 0 ? 0 : errno;
      break;
    }
    res->bytes += (uint64_t)n;
    res->checksum = tn_checksum(res->checksum, buf, (size_t)n);
    if (s->mode == TN_ECHO && send_all(fd, buf, (size_t)n) != 0)
      break;
  }
  shutdown(fd, SHUT_WR); /* every mode answers EOF with EOF */
  atomic_fetch_add(&s->finished, 1);
  return NULL;
}

static void *server_main(void *argp)
{
  tn_server_t *s = argp;
  for (;;) {
    struct pollfd p[2] = { { s->listen_fd, POLLIN, 0 }, { s->stop_pipe[0], POLLIN, 0 } };
    if (poll(p, 2, -1) < 0 && errno != EINTR)
      break;
    if (p[1].revents)
      break;
    if (!p[0].revents)
      continue;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    pthread_mutex_lock(&s->lock);
    int slot = atomic_load(&s->accepted);
    conn_arg_t *arg = slot < TN_MAX_CONNS ? malloc(sizeof *arg) : NULL;
    if (!arg) {
      pthread_mutex_unlock(&s->lock);
      close(fd);
      continue;
    }
    arg->s = s;
    arg->slot = slot;
    s->fds[slot] = fd;
    if (pthread_create(&s->conn_threads[slot], NULL, conn_main, arg) != 0) {
      free(arg);
      close(fd);
      s->fds[slot] = -1;
    } else {
      atomic_fetch_add(&s->accepted, 1);
    }
    pthread_mutex_unlock(&s->lock);
  }
  return NULL;
}

int tn_server_start(tn_server_t *s, tn_mode_t mode)
{
  tn_mode_t m = mode;
  size_t sb = s->source_bytes;
  uint64_t ss = s->source_seed;
  memset(s, 0, sizeof *s);
  s->mode = m;
  s->source_bytes = sb;
  s->source_seed = ss;
  for (int i = 0; i < TN_MAX_CONNS; i++)
    s->fds[i] = -1;
  pthread_mutex_init(&s->lock, NULL);
  struct sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(s->listen_fd, 64) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&a, &len) != 0 || pipe(s->stop_pipe) != 0)
    return -1;
  s->port = ntohs(a.sin_port);
  return pthread_create(&s->thread, NULL, server_main, s) == 0 ? 0 : -1;
}

void tn_server_stop(tn_server_t *s)
{
  ssize_t w = write(s->stop_pipe[1], "x", 1);
  (void)w;
  pthread_join(s->thread, NULL);
  int n = atomic_load(&s->accepted);
  for (int i = 0; i < n; i++)
    shutdown(s->fds[i], SHUT_RDWR); /* unblocks a connection thread still reading */
  for (int i = 0; i < n; i++) {
    pthread_join(s->conn_threads[i], NULL);
    close(s->fds[i]);
  }
  close(s->listen_fd);
  close(s->stop_pipe[0]);
  close(s->stop_pipe[1]);
  pthread_mutex_destroy(&s->lock);
}

int tn_server_wait_finished(tn_server_t *s, int n, int timeout_ms)
{
  int64_t end = tn_now_ms() + timeout_ms;
  while (atomic_load(&s->finished) < n) {
    if (tn_now_ms() >= end)
      return -1;
    tn_sleep_ms(5);
  }
  return 0;
}

/* ---- proxy on a thread ---- */

static void *proxy_main(void *argp)
{
  tn_proxy_t *p = argp;
  p->result = netproxy_run_for(p->np, -1);
  return NULL;
}

netproxy_result_t tn_proxy_start(tn_proxy_t *p, const netproxy_opts_t *opts)
{
  char err[300];
  memset(p, 0, sizeof *p);
  netproxy_result_t r = netproxy_new(opts, &p->np, err, sizeof err);
  if (r != NETPROXY_OK) {
    fprintf(stderr, "netproxy_new: %s\n", err);
    return r;
  }
  if (pthread_create(&p->thread, NULL, proxy_main, p) != 0) {
    netproxy_free(p->np);
    p->np = NULL;
    return NETPROXY_ESYS;
  }
  return NETPROXY_OK;
}

void tn_proxy_stop(tn_proxy_t *p)
{
  if (!p->np)
    return;
  netproxy_stop(p->np);
  pthread_join(p->thread, NULL);
  netproxy_free(p->np);
  p->np = NULL;
}

/* ---- client ---- */

void tn_pump(int fd, const void *send_buf, size_t send_len, int keep_open, void *recv_buf,
             size_t recv_cap, size_t until_bytes, int timeout_ms, tn_pump_t *out)
{
  const unsigned char *sp = send_buf;
  unsigned char *rp = recv_buf;
  unsigned char scratch[65536];
  int64_t end = tn_now_ms() + timeout_ms;
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  memset(out, 0, sizeof *out);
  int shut = 0;
  if (send_len == 0 && !keep_open) {
    shutdown(fd, SHUT_WR);
    shut = 1;
  }
  for (;;) {
    int64_t left = end - tn_now_ms();
    if (left <= 0) {
      out->end_errno = ETIMEDOUT;
      break;
    }
    struct pollfd p = { fd, POLLIN, 0 };
    if (out->sent < send_len)
      p.events |= POLLOUT;
    if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
      out->end_errno = errno;
      break;
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      size_t room = out->received < recv_cap ? recv_cap - out->received : 0;
      unsigned char *dst = room ? rp + out->received : scratch;
      size_t cap = room ? room : sizeof scratch;
      ssize_t n = recv(fd, dst, cap, 0);
      if (n == 0) {
        out->end_errno = 0;
        break;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        out->end_errno = errno;
        break;
      }
      if (n > 0)
        out->received += (size_t)n;
      if (until_bytes && out->received >= until_bytes && out->sent == send_len)
        break;
    }
    if ((p.revents & POLLOUT) && out->sent < send_len) {
      ssize_t w = send(fd, sp + out->sent, send_len - out->sent, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        out->end_errno = errno;
        break;
      }
      if (w > 0)
        out->sent += (size_t)w;
      if (out->sent == send_len && !keep_open && !shut) {
        shutdown(fd, SHUT_WR);
        shut = 1;
      }
    }
  }
  out->end_ms = tn_now_ms();
  fcntl(fd, F_SETFL, fl);
}
