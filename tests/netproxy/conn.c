/* One proxied connection: reading into the delay queues, shaped delivery, half-close, seeded
 * cuts/resets/stalls (netproxy_int.h). */
#include "netproxy_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const dir_name[2] = { "up", "down" };

static void close_rst(int fd)
{
  if (fd < 0)
    return;
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
}

static void drop_queues(np_conn_t *c)
{
  np_queue_clear(&c->dir[0].q);
  np_queue_clear(&c->dir[1].q);
}

static void set_dead(netproxy_t *np, np_conn_t *c)
{
  if (c->state != NP_CLOSING && c->state != NP_DEAD)
    atomic_fetch_sub(&np->n_active, 1);
  c->state = NP_DEAD;
}

/* Ends the connection with RST on both sides. */
static void conn_abort(netproxy_t *np, np_conn_t *c)
{
  close_rst(c->fd[0]);
  close_rst(c->fd[1]);
  c->fd[0] = c->fd[1] = -1;
  drop_queues(c);
  set_dead(np, c);
}

static void conn_error(netproxy_t *np, np_conn_t *c, const char *what, int err)
{
  np_log(np, "conn %llu: %s: %s; resetting both sides", (unsigned long long)c->index, what,
         strerror(err));
  atomic_fetch_add(&np->n_errors, 1);
  conn_abort(np, c);
}

void np_conn_cut(netproxy_t *np, np_conn_t *c, int64_t now, const char *why)
{
  if (c->state == NP_CLOSING || c->state == NP_DEAD)
    return;
  atomic_fetch_add(&np->n_cuts, 1);
  np_log(np, "conn %llu: cut (%s) after %llu up, %llu down", (unsigned long long)c->index, why,
         (unsigned long long)c->dir[0].delivered, (unsigned long long)c->dir[1].delivered);
  if (np->o.cut_mode == NETPROXY_CUT_RST || c->state == NP_CONNECTING) {
    conn_abort(np, c);
    return;
  }
  /* FIN after what was already delivered; keep reading (and dropping) until both peers close,
   * so that unread input does not turn our close() into an RST that destroys the delivered
   * bytes still in flight. */
  shutdown(c->fd[0], SHUT_WR);
  shutdown(c->fd[1], SHUT_WR);
  drop_queues(c);
  set_dead(np, c);
  c->state = NP_CLOSING;
  c->closing_deadline_us = now + NP_CLOSING_GRACE_US;
}

static uint64_t fault_point(np_rng_t *r, double p, uint64_t from, uint32_t segment)
{
  uint64_t k = np_rng_geometric(r, p);
  if (k == UINT64_MAX || k > (UINT64_MAX - 1 - from) / segment)
    return UINT64_MAX;
  return from + k * segment;
}

static void init_dir(netproxy_t *np, np_conn_t *c, int d, int64_t now)
{
  np_dir_t *dir = &c->dir[d];
  const netproxy_opts_t *o = &np->o;
  np_queue_init(&dir->q);
  np_bucket_init(&dir->own_bucket, o->bandwidth_kbps, o->segment_bytes, now);
  dir->bucket = o->bandwidth_shared ? &np->shared_bucket[d] : &dir->own_bucket;
  np_rng_init(&dir->jitter_rng, o->seed, c->index, NP_RNG_JITTER + (uint64_t)d);
  np_rng_init(&dir->reset_rng, o->seed, c->index, NP_RNG_RESET + (uint64_t)d);
  np_rng_init(&dir->stall_rng, o->seed, c->index, NP_RNG_STALL + (uint64_t)d);
  dir->reset_at = fault_point(&dir->reset_rng, o->reset_probability, 0, o->segment_bytes);
  dir->stall_at = o->stall_ms ? fault_point(&dir->stall_rng, o->stall_probability, 0,
                                            o->segment_bytes)
                              : UINT64_MAX;
}

static int set_nonblock(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return 0;
}

np_conn_t *np_conn_new(netproxy_t *np, int client_fd, int64_t now)
{
  np_conn_t *c = calloc(1, sizeof *c);
  if (!c)
    goto fail;
  c->fd[0] = client_fd;
  c->fd[1] = -1;
  c->index = np->next_index++;
  c->state = NP_CONNECTING;
  atomic_fetch_add(&np->n_active, 1);

  /* The connection's own stream decides whether and where it is cut. */
  np_rng_t r;
  np_rng_init(&r, np->o.seed, c->index, NP_RNG_CONN);
  int cut = np_rng_chance(&r, np->o.cut_probability);
  uint64_t point = np_rng_between(&r, np->o.cut_min, np->o.cut_max);
  c->cut_at = cut ? point : UINT64_MAX;
  for (int d = 0; d < 2; d++)
    init_dir(np, c, d, now);

  if (set_nonblock(client_fd) != 0)
    goto fail;
  c->fd[1] = socket(np->upstream_addr.ss.ss_family, SOCK_STREAM, 0);
  if (c->fd[1] < 0 || set_nonblock(c->fd[1]) != 0)
    goto fail;
  fcntl(c->fd[1], F_SETFD, FD_CLOEXEC);
  if (connect(c->fd[1], (const struct sockaddr *)&np->upstream_addr.ss, np->upstream_addr.len) == 0)
    c->state = NP_OPEN;
  else if (errno != EINPROGRESS)
    goto fail;
  if (c->cut_at != UINT64_MAX)
    np_log(np, "conn %llu: open, will be cut after %llu bytes", (unsigned long long)c->index,
           (unsigned long long)c->cut_at);
  else
    np_log(np, "conn %llu: open", (unsigned long long)c->index);
  return c;

fail:
  np_log(np, "conn: upstream connect failed: %s", strerror(errno));
  atomic_fetch_add(&np->n_errors, 1);
  if (c) {
    conn_abort(np, c); /* RST to the client, closes the upstream socket if any */
    free(c);
  } else {
    close_rst(client_fd);
  }
  return NULL;
}

void np_conn_free(np_conn_t *c)
{
  if (!c)
    return;
  for (int i = 0; i < 2; i++)
    if (c->fd[i] >= 0)
      close(c->fd[i]);
  drop_queues(c);
  free(c);
}

static bool cut_counts(const netproxy_t *np, int d)
{
  return (np->o.cut_direction & (d == 0 ? NETPROXY_DIR_UP : NETPROXY_DIR_DOWN)) != 0;
}

static bool can_read(const netproxy_t *np, const np_conn_t *c, int d)
{
  if (c->state == NP_CONNECTING && d == 1)
    return false;
  return !c->dir[d].src_eof && c->dir[d].q.bytes < np->o.queue_bytes;
}

/* One read from the source of direction d into its queue. */
static void read_side(netproxy_t *np, np_conn_t *c, int d, int64_t now)
{
  unsigned char *buf = np->buf;
  np_dir_t *dir = &c->dir[d];
  size_t room = np->o.queue_bytes - dir->q.bytes;
  ssize_t n = recv(c->fd[d], buf, room < NP_READ_MAX ? room : NP_READ_MAX, 0);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      conn_error(np, c, d == 0 ? "client read" : "upstream read", errno);
    return;
  }
  if (n == 0) {
    dir->src_eof = true;
    return;
  }
  int64_t delay = (int64_t)np->o.latency_ms * 1000;
  if (np->o.jitter_ms)
    delay += (int64_t)np_rng_between(&dir->jitter_rng, 0, (uint64_t)np->o.jitter_ms * 1000);
  if (np_queue_push(&dir->q, buf, (size_t)n, now + delay) != 0) {
    conn_error(np, c, "queue", ENOMEM);
    return;
  }
  uint_fast64_t peak = atomic_load(&np->n_peak_queue);
  while (dir->q.bytes > peak && !atomic_compare_exchange_weak(&np->n_peak_queue, &peak,
                                                              dir->q.bytes)) {
  }
}

static size_t min_size(size_t a, uint64_t b)
{
  return b < a ? (size_t)b : a;
}

/* Delivers what is due in direction d. Faults fire before the byte offset they were drawn
 * for, cuts right after the cut point's last byte. */
static void flush_side(netproxy_t *np, np_conn_t *c, int d, int64_t now)
{
  np_dir_t *dir = &c->dir[d];
  int dst = c->fd[1 - d];
  bool counts = c->cut_at != UINT64_MAX && cut_counts(np, d);

  while (c->state == NP_OPEN && !dir->want_out && c->stall_until_us <= now) {
    np_chunk_t *ch = np_queue_ready(&dir->q, now);
    if (!ch)
      return;
    if (dir->delivered == dir->reset_at) {
      np_log(np, "conn %llu: injected reset after %llu bytes %s", (unsigned long long)c->index,
             (unsigned long long)dir->delivered, dir_name[d]);
      atomic_fetch_add(&np->n_resets, 1);
      conn_abort(np, c);
      return;
    }
    if (dir->delivered == dir->stall_at) {
      c->stall_until_us = now + (int64_t)np->o.stall_ms * 1000;
      dir->stall_at = fault_point(&dir->stall_rng, np->o.stall_probability,
                                  dir->stall_at + np->o.segment_bytes, np->o.segment_bytes);
      atomic_fetch_add(&np->n_stalls, 1);
      return;
    }
    if (counts && c->cut_count >= c->cut_at) {
      np_conn_cut(np, c, now, "cut point");
      return;
    }
    size_t n = ch->len - ch->off;
    if (counts)
      n = min_size(n, c->cut_at - c->cut_count);
    n = min_size(n, dir->reset_at - dir->delivered);
    n = min_size(n, dir->stall_at - dir->delivered);
    size_t allow = np_bucket_allow(dir->bucket, now);
    if (allow < np_bucket_want(dir->bucket, n))
      return; /* np_conn_events() sets the timer */
    n = min_size(n, allow);

    ssize_t w = send(dst, ch->data + ch->off, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        dir->want_out = true;
      else if (errno != EINTR)
        conn_error(np, c, d == 0 ? "upstream write" : "client write", errno);
      if (errno != EINTR)
        return;
      continue;
    }
    np_bucket_take(dir->bucket, (size_t)w);
    np_queue_consume(&dir->q, (size_t)w);
    dir->delivered += (uint64_t)w;
    atomic_fetch_add(&np->n_bytes[d], (uint64_t)w);
    if (counts) {
      c->cut_count += (uint64_t)w;
      if (c->cut_count >= c->cut_at) {
        np_conn_cut(np, c, now, "cut point");
        return;
      }
    }
  }
}

/* EOF travels on once everything before it has been delivered. */
static void pass_eof(np_conn_t *c, int d)
{
  np_dir_t *dir = &c->dir[d];
  if (dir->src_eof && dir->q.bytes == 0 && !dir->dst_shut) {
    shutdown(c->fd[1 - d], SHUT_WR);
    dir->dst_shut = true;
  }
}

static void finish_connect(netproxy_t *np, np_conn_t *c)
{
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    err = errno;
  if (err) {
    conn_error(np, c, "upstream connect", err);
    return;
  }
  c->state = NP_OPEN;
}

/* A FIN-cut connection: drop whatever the peers still send, close each side at its EOF. */
static void service_closing(netproxy_t *np, np_conn_t *c, const short rev[2], int64_t now)
{
  for (int i = 0; i < 2; i++) {
    if (c->fd[i] < 0 || !(rev[i] & (POLLIN | POLLHUP | POLLERR)))
      continue;
    ssize_t n = recv(c->fd[i], np->buf, NP_READ_MAX, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      close(c->fd[i]);
      c->fd[i] = -1;
    }
  }
  if ((c->fd[0] < 0 && c->fd[1] < 0) || now >= c->closing_deadline_us) {
    close_rst(c->fd[0]);
    close_rst(c->fd[1]);
    c->fd[0] = c->fd[1] = -1;
    c->state = NP_DEAD;
  }
}

void np_conn_service(netproxy_t *np, np_conn_t *c, const short rev[2], int64_t now)
{
  const short readable = POLLIN | POLLHUP | POLLERR;
  if (c->state == NP_DEAD)
    return;
  if (c->state == NP_CLOSING) {
    service_closing(np, c, rev, now);
    return;
  }
  if (c->state == NP_CONNECTING && (rev[1] & (POLLOUT | POLLHUP | POLLERR)))
    finish_connect(np, c);
  for (int d = 0; d < 2 && c->state != NP_DEAD; d++) {
    if ((rev[d] & readable) && can_read(np, c, d))
      read_side(np, c, d, now);
  }
  for (int d = 0; d < 2 && c->state == NP_OPEN; d++) {
    if (rev[1 - d] & (POLLOUT | POLLHUP | POLLERR))
      c->dir[d].want_out = false;
    flush_side(np, c, d, now);
    if (c->state == NP_OPEN)
      pass_eof(c, d);
  }
  if (c->state == NP_OPEN && c->dir[0].dst_shut && c->dir[1].dst_shut) {
    np_log(np, "conn %llu: closed after %llu up, %llu down", (unsigned long long)c->index,
           (unsigned long long)c->dir[0].delivered, (unsigned long long)c->dir[1].delivered);
    close(c->fd[0]);
    close(c->fd[1]);
    c->fd[0] = c->fd[1] = -1;
    set_dead(np, c);
  }
}

static void earliest(int64_t *wake, int64_t t)
{
  if (t < *wake)
    *wake = t;
}

void np_conn_events(const netproxy_t *np, const np_conn_t *c, int64_t now, short ev[2],
                    int64_t *wake_us)
{
  ev[0] = ev[1] = 0;
  if (c->state == NP_DEAD)
    return;
  if (c->state == NP_CLOSING) {
    for (int i = 0; i < 2; i++)
      ev[i] = c->fd[i] >= 0 ? POLLIN : 0;
    earliest(wake_us, c->closing_deadline_us);
    return;
  }
  if (c->state == NP_CONNECTING)
    ev[1] |= POLLOUT;
  for (int d = 0; d < 2; d++) {
    const np_dir_t *dir = &c->dir[d];
    if (can_read(np, c, d))
      ev[d] |= POLLIN;
    if (c->state != NP_OPEN || !dir->q.head)
      continue;
    if (dir->want_out) {
      ev[1 - d] |= POLLOUT;
    } else if (c->stall_until_us > now) {
      earliest(wake_us, c->stall_until_us);
    } else if (dir->q.head->release_us > now) {
      earliest(wake_us, dir->q.head->release_us);
    } else {
      /* Due but held back by the bucket (or something to do right away). */
      const np_chunk_t *ch = dir->q.head;
      earliest(wake_us, dir->bucket->last_us +
                          np_bucket_wait_us(dir->bucket, ch->len - ch->off));
    }
  }
}
