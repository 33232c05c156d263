/* netproxy core: options, listener, the poll() loop and control commands (netproxy.h). */
#include "netproxy_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SEGMENT 1460u
#define DEFAULT_QUEUE (1024u * 1024u)
#define DEFAULT_MAX_CONN 256u
#define DEFAULT_DURATION_S 600u
#define DEFAULT_CUT_MAX (1024u * 1024u)
#define MAX_WAIT_US 1000000 /* poll() wakes at least once a second */

int64_t np_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void np_log(const netproxy_t *np, const char *fmt, ...)
{
  if (!np->o.log)
    return;
  va_list ap;
  va_start(ap, fmt);
  fputs("netproxy: ", np->o.log);
  vfprintf(np->o.log, fmt, ap);
  fputc('\n', np->o.log);
  fflush(np->o.log);
  va_end(ap);
}

void netproxy_opts_init(netproxy_opts_t *opts)
{
  memset(opts, 0, sizeof *opts);
  opts->listen = "127.0.0.1:0";
  opts->cut_direction = NETPROXY_DIR_BOTH;
  opts->segment_bytes = DEFAULT_SEGMENT;
  opts->queue_bytes = DEFAULT_QUEUE;
  opts->max_connections = DEFAULT_MAX_CONN;
  opts->duration_s = DEFAULT_DURATION_S;
  opts->control_fd = -1;
}

const char *netproxy_strerror(netproxy_result_t r)
{
  switch (r) {
  case NETPROXY_OK: return "ok";
  case NETPROXY_STOPPED: return "stopped";
  case NETPROXY_EINVAL: return "invalid option";
  case NETPROXY_ENOTLOOPBACK: return "address is not loopback";
  case NETPROXY_ESYS: return "system call failed";
  case NETPROXY_ENOMEM: return "out of memory";
  }
  return "unknown result";
}

static bool bad_probability(double p)
{
  return !(p >= 0.0 && p <= 1.0); /* also catches NaN */
}

/* Copies opts with defaults filled in and the cut options made consistent. */
static netproxy_result_t normalise(const netproxy_opts_t *in, netproxy_opts_t *o, char *err,
                                   size_t errlen)
{
  *o = *in;
  if (!o->listen)
    o->listen = "127.0.0.1:0";
  if (!o->upstream) {
    snprintf(err, errlen, "an upstream address is required (e.g. 127.0.0.1:8080)");
    return NETPROXY_EINVAL;
  }
  if (!o->segment_bytes)
    o->segment_bytes = DEFAULT_SEGMENT;
  if (!o->queue_bytes)
    o->queue_bytes = DEFAULT_QUEUE;
  if (!o->max_connections)
    o->max_connections = DEFAULT_MAX_CONN;
  if (!o->duration_s)
    o->duration_s = DEFAULT_DURATION_S;
  if (!o->cut_direction)
    o->cut_direction = NETPROXY_DIR_BOTH;
  if (bad_probability(o->cut_probability) || bad_probability(o->reset_probability) ||
      bad_probability(o->stall_probability)) {
    snprintf(err, errlen, "probabilities must be between 0 and 1");
    return NETPROXY_EINVAL;
  }
  if (o->cut_direction < NETPROXY_DIR_UP || o->cut_direction > NETPROXY_DIR_BOTH ||
      (o->cut_mode != NETPROXY_CUT_FIN && o->cut_mode != NETPROXY_CUT_RST)) {
    snprintf(err, errlen, "bad cut direction or cut mode");
    return NETPROXY_EINVAL;
  }
  if (o->cut_after_bytes) {
    if (o->cut_probability == 0.0)
      o->cut_probability = 1.0;
    if (!o->cut_min && !o->cut_max)
      o->cut_min = o->cut_max = o->cut_after_bytes;
  }
  if (!o->cut_max)
    o->cut_max = o->cut_min > DEFAULT_CUT_MAX ? o->cut_min : DEFAULT_CUT_MAX;
  if (o->cut_min > o->cut_max) {
    snprintf(err, errlen, "cut-min (%llu) is above cut-max (%llu)",
             (unsigned long long)o->cut_min, (unsigned long long)o->cut_max);
    return NETPROXY_EINVAL;
  }
  return NETPROXY_OK;
}

static netproxy_result_t parse_addr(const char *what, const char *text, np_addr_t *out,
                                    char *err, size_t errlen)
{
  char why[200];
  np_addr_status_t st = np_addr_parse(text, out, why, sizeof why);
  if (st == NP_ADDR_OK)
    return NETPROXY_OK;
  snprintf(err, errlen, "%s %s", what, why);
  return st == NP_ADDR_NOT_LOOPBACK ? NETPROXY_ENOTLOOPBACK : NETPROXY_EINVAL;
}

static netproxy_result_t sys_fail(const char *what, char *err, size_t errlen)
{
  snprintf(err, errlen, "%s: %s", what, strerror(errno));
  return NETPROXY_ESYS;
}

static int set_flags(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return -1;
  return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static netproxy_result_t open_listener(netproxy_t *np, char *err, size_t errlen)
{
  np->listen_fd = socket(np->listen_addr.ss.ss_family, SOCK_STREAM, 0);
  if (np->listen_fd < 0)
    return sys_fail("socket", err, errlen);
  int one = 1;
  setsockopt(np->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (set_flags(np->listen_fd) != 0)
    return sys_fail("fcntl", err, errlen);
  if (bind(np->listen_fd, (const struct sockaddr *)&np->listen_addr.ss, np->listen_addr.len) != 0)
    return sys_fail("bind", err, errlen);
  if (listen(np->listen_fd, 128) != 0)
    return sys_fail("listen", err, errlen);
  np_addr_t bound;
  bound.len = sizeof bound.ss;
  if (getsockname(np->listen_fd, (struct sockaddr *)&bound.ss, &bound.len) != 0)
    return sys_fail("getsockname", err, errlen);
  np->port = np_addr_port(&bound);
  return NETPROXY_OK;
}

netproxy_result_t netproxy_new(const netproxy_opts_t *opts, netproxy_t **out, char *err,
                               size_t errlen)
{
  char scratch[8];
  netproxy_result_t r;
  if (!err || !errlen) {
    err = scratch;
    errlen = sizeof scratch;
  }
  err[0] = '\0';
  *out = NULL;

  netproxy_t *np = calloc(1, sizeof *np);
  if (!np) {
    snprintf(err, errlen, "out of memory");
    return NETPROXY_ENOMEM;
  }
  np->listen_fd = -1;
  np->wake[0] = np->wake[1] = -1;
  np_control_init_fd(&np->ctl_fd, -1);
  np_control_init_fd(&np->ctl_fifo, -1);
  atomic_init(&np->stop, false);
  atomic_init(&np->link_down, false);

  if ((r = normalise(opts, &np->o, err, errlen)) != NETPROXY_OK)
    goto fail;
  if ((r = parse_addr("listen address", np->o.listen, &np->listen_addr, err, errlen)) != 0 ||
      (r = parse_addr("upstream address", np->o.upstream, &np->upstream_addr, err, errlen)) != 0)
    goto fail;
  np->o.listen = np->o.upstream = NULL; /* not kept: the caller owns the strings */
  if ((r = open_listener(np, err, errlen)) != NETPROXY_OK)
    goto fail;
  if (pipe(np->wake) != 0 || set_flags(np->wake[0]) != 0 || set_flags(np->wake[1]) != 0) {
    r = sys_fail("pipe", err, errlen);
    goto fail;
  }
  np_control_init_fd(&np->ctl_fd, np->o.control_fd);
  if (np->o.control_fifo && np_control_init_fifo(&np->ctl_fifo, np->o.control_fifo) != 0) {
    snprintf(err, errlen, "control FIFO %s: %s", np->o.control_fifo, strerror(errno));
    r = NETPROXY_ESYS;
    goto fail;
  }
  np->o.control_fifo = NULL;

  int64_t now = np_now_us();
  np->deadline_us = now + (int64_t)np->o.duration_s * 1000000;
  for (int d = 0; d < 2; d++)
    np_bucket_init(&np->shared_bucket[d], np->o.bandwidth_kbps, np->o.segment_bytes, now);
  *out = np;
  return NETPROXY_OK;

fail:
  netproxy_free(np);
  return r;
}

void netproxy_free(netproxy_t *np)
{
  if (!np)
    return;
  for (size_t i = 0; i < np->nconns; i++)
    np_conn_free(np->conns[i]);
  free(np->conns);
  free(np->pfd);
  np_control_close(&np->ctl_fd);
  np_control_close(&np->ctl_fifo);
  if (np->listen_fd >= 0)
    close(np->listen_fd);
  for (int i = 0; i < 2; i++)
    if (np->wake[i] >= 0)
      close(np->wake[i]);
  free(np);
}

int netproxy_port(const netproxy_t *np)
{
  return np->port;
}

void netproxy_stop(netproxy_t *np)
{
  netproxy_command(np, NETPROXY_CMD_QUIT);
}

void netproxy_command(netproxy_t *np, netproxy_cmd_t cmd)
{
  int saved = errno;
  if (cmd == NETPROXY_CMD_QUIT)
    atomic_store(&np->stop, true);
  unsigned char b = (unsigned char)cmd;
  ssize_t n = write(np->wake[1], &b, 1); /* a full pipe already has a wake-up in it */
  (void)n;
  errno = saved;
}

void netproxy_get_stats(const netproxy_t *np, netproxy_stats_t *out)
{
  out->connections = atomic_load(&np->n_connections);
  out->refused = atomic_load(&np->n_refused);
  out->active = atomic_load(&np->n_active);
  out->bytes_up = atomic_load(&np->n_bytes[0]);
  out->bytes_down = atomic_load(&np->n_bytes[1]);
  out->cuts = atomic_load(&np->n_cuts);
  out->resets = atomic_load(&np->n_resets);
  out->stalls = atomic_load(&np->n_stalls);
  out->errors = atomic_load(&np->n_errors);
  out->peak_queue = atomic_load(&np->n_peak_queue);
  out->link_down = atomic_load(&np->link_down);
}

void netproxy_format_stats(const netproxy_stats_t *st, char *buf, size_t len)
{
  snprintf(buf, len,
           "STATS connections=%llu refused=%llu active=%llu bytes_up=%llu bytes_down=%llu "
           "cuts=%llu resets=%llu stalls=%llu errors=%llu peak_queue=%llu link=%s",
           (unsigned long long)st->connections, (unsigned long long)st->refused,
           (unsigned long long)st->active, (unsigned long long)st->bytes_up,
           (unsigned long long)st->bytes_down, (unsigned long long)st->cuts,
           (unsigned long long)st->resets, (unsigned long long)st->stalls,
           (unsigned long long)st->errors, (unsigned long long)st->peak_queue,
           st->link_down ? "down" : "up");
}

static void cut_all(netproxy_t *np, const char *why)
{
  int64_t now = np_now_us();
  for (size_t i = 0; i < np->nconns; i++)
    np_conn_cut(np, np->conns[i], now, why);
}

static void run_command(void *ctx, netproxy_cmd_t cmd)
{
  netproxy_t *np = ctx;
  switch (cmd) {
  case NETPROXY_CMD_DOWN:
    if (!atomic_exchange(&np->link_down, true))
      np_log(np, "link down");
    cut_all(np, "link down");
    break;
  case NETPROXY_CMD_UP:
    if (atomic_exchange(&np->link_down, false))
      np_log(np, "link up");
    break;
  case NETPROXY_CMD_CUT:
    cut_all(np, "cut command");
    break;
  case NETPROXY_CMD_STATS:
    if (np->o.stats_out) {
      char line[400];
      netproxy_stats_t st;
      netproxy_get_stats(np, &st);
      netproxy_format_stats(&st, line, sizeof line);
      fprintf(np->o.stats_out, "%s\n", line);
      fflush(np->o.stats_out);
    }
    break;
  case NETPROXY_CMD_QUIT:
    atomic_store(&np->stop, true);
    break;
  }
}

static void drain_wake(netproxy_t *np)
{
  unsigned char buf[64];
  ssize_t n;
  while ((n = read(np->wake[0], buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++)
      run_command(np, (netproxy_cmd_t)buf[i]);
}

static size_t open_count(const netproxy_t *np)
{
  size_t n = 0;
  for (size_t i = 0; i < np->nconns; i++)
    n += np->conns[i]->state == NP_CONNECTING || np->conns[i]->state == NP_OPEN;
  return n;
}

static void accept_new(netproxy_t *np, int64_t now)
{
  while (open_count(np) < np->o.max_connections) {
    int fd = accept(np->listen_fd, NULL, NULL);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        np_log(np, "accept: %s; pausing accepts for 100 ms", strerror(errno));
        np->accept_pause_until_us = now + 100000;
      }
      return;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (atomic_load(&np->link_down)) {
      struct linger lg = { .l_onoff = 1, .l_linger = 0 };
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(fd);
      atomic_fetch_add(&np->n_refused, 1);
      continue;
    }
    if (np->nconns == np->cap) {
      size_t cap = np->cap ? np->cap * 2 : 16;
      np_conn_t **grown = realloc(np->conns, cap * sizeof *grown);
      if (!grown) {
        close(fd);
        return;
      }
      np->conns = grown;
      np->cap = cap;
    }
    atomic_fetch_add(&np->n_connections, 1);
    np_conn_t *c = np_conn_new(np, fd, now);
    if (c)
      np->conns[np->nconns++] = c;
  }
}

/* pollfd layout: wake pipe, listener, control fd, control FIFO, then two per connection. */
enum { PFD_WAKE, PFD_LISTEN, PFD_CTL, PFD_FIFO, PFD_CONN0 };

static int ensure_pfd(netproxy_t *np)
{
  size_t need = PFD_CONN0 + 2 * np->nconns;
  if (need <= np->pfd_cap)
    return 0;
  struct pollfd *p = realloc(np->pfd, need * 2 * sizeof *p);
  if (!p)
    return -1;
  np->pfd = p;
  np->pfd_cap = need * 2;
  return 0;
}

static void set_pfd(struct pollfd *p, int fd, short events)
{
  p->fd = events ? fd : -1; /* fd -1: not even POLLHUP is reported */
  p->events = events;
  p->revents = 0;
}

/* Fills the pollfd array; returns the poll() timeout in ms. */
static int prepare_poll(netproxy_t *np, int64_t now, int64_t until)
{
  int64_t wake = until < np->deadline_us ? until : np->deadline_us;
  if (wake > now + MAX_WAIT_US)
    wake = now + MAX_WAIT_US;
  bool accepting = open_count(np) < np->o.max_connections;
  if (np->accept_pause_until_us > now) {
    accepting = false;
    if (np->accept_pause_until_us < wake)
      wake = np->accept_pause_until_us;
  }
  set_pfd(&np->pfd[PFD_WAKE], np->wake[0], POLLIN);
  set_pfd(&np->pfd[PFD_LISTEN], np->listen_fd, accepting ? POLLIN : 0);
  set_pfd(&np->pfd[PFD_CTL], np->ctl_fd.fd, np->ctl_fd.fd >= 0 ? POLLIN : 0);
  set_pfd(&np->pfd[PFD_FIFO], np->ctl_fifo.fd, np->ctl_fifo.fd >= 0 ? POLLIN : 0);
  for (size_t i = 0; i < np->nconns; i++) {
    short ev[2];
    np_conn_events(np, np->conns[i], now, ev, &wake);
    set_pfd(&np->pfd[PFD_CONN0 + 2 * i], np->conns[i]->fd[0], ev[0]);
    set_pfd(&np->pfd[PFD_CONN0 + 2 * i + 1], np->conns[i]->fd[1], ev[1]);
  }
  if (wake <= now)
    return 0;
  return (int)((wake - now + 999) / 1000);
}

static void reap(netproxy_t *np)
{
  size_t j = 0;
  for (size_t i = 0; i < np->nconns; i++) {
    if (np->conns[i]->state == NP_DEAD)
      np_conn_free(np->conns[i]);
    else
      np->conns[j++] = np->conns[i];
  }
  np->nconns = j;
  if (np->rr >= j)
    np->rr = 0;
}

static netproxy_result_t step(netproxy_t *np, int64_t until)
{
  if (ensure_pfd(np) != 0)
    return NETPROXY_ENOMEM;
  int timeout = prepare_poll(np, np_now_us(), until);
  size_t n = PFD_CONN0 + 2 * np->nconns;
  if (poll(np->pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
    return NETPROXY_ESYS;
  int64_t now = np_now_us();

  if (np->pfd[PFD_WAKE].revents)
    drain_wake(np);
  if (np->pfd[PFD_CTL].revents)
    np_control_read(&np->ctl_fd, run_command, np, np->o.log ? np->o.log : stderr);
  if (np->pfd[PFD_FIFO].revents)
    np_control_read(&np->ctl_fifo, run_command, np, np->o.log ? np->o.log : stderr);

  /* Every connection is serviced on every pass (timers have no fd); the start rotates. */
  size_t count = np->nconns;
  for (size_t k = 0; k < count; k++) {
    size_t i = (np->rr + k) % count;
    np_conn_t *c = np->conns[i];
    short rev[2] = { np->pfd[PFD_CONN0 + 2 * i].revents, np->pfd[PFD_CONN0 + 2 * i + 1].revents };
    np_conn_service(np, c, rev, now);
  }
  if (count)
    np->rr = (np->rr + 1) % count;
  reap(np);
  if (np->pfd[PFD_LISTEN].revents)
    accept_new(np, now);
  return NETPROXY_OK;
}

netproxy_result_t netproxy_run_for(netproxy_t *np, int64_t timeout_ms)
{
  int64_t until = timeout_ms < 0 ? NP_NEVER : np_now_us() + timeout_ms * 1000;
  for (;;) {
    if (atomic_load(&np->stop))
      return NETPROXY_STOPPED;
    int64_t now = np_now_us();
    if (now >= np->deadline_us) {
      np_log(np, "duration over");
      return NETPROXY_STOPPED;
    }
    if (now >= until)
      return NETPROXY_OK;
    netproxy_result_t r = step(np, until);
    if (r != NETPROXY_OK)
      return r;
  }
}
