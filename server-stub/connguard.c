/* Connection caps and deadlines (connguard.h): a list of open connections under one mutex, and
 * a watchdog thread that shuts down the ones past a deadline. A few hundred entries at most (the
 * daemon's connection limit), so every lookup is a scan. */
#include "connguard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netaddr.h"

#define WATCH_INTERVAL_MS 250

typedef enum phase { PHASE_HEAD, PHASE_BODY, PHASE_BUSY } phase_t;

struct connguard_conn {
  connguard_conn_t *prev, *next;
  int fd;
  int closing;               /* shut down by this module: no longer counted */
  int proven;                /* its request is authenticated: never closed to make room */
  phase_t phase;
  int64_t since_ms;          /* start of the current phase */
  size_t body_bytes;
  char addr[INET6_ADDRSTRLEN];
  char prefix[NETADDR_PREFIX_MAX];
};

struct connguard {
  connguard_config_t cfg;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  int stop;
  connguard_conn_t *head;
  /* closed since the watchdog's last report */
  unsigned evicted, refused, header_late, body_slow;
};

static int64_t now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The address as text and its network; 0, or -1 for a family other than IPv4/IPv6. */
static int addr_keys(const struct sockaddr *sa, char addr[INET6_ADDRSTRLEN],
                     char prefix[NETADDR_PREFIX_MAX])
{
  if (!sa)
    return -1;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
              INET6_ADDRSTRLEN);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
              INET6_ADDRSTRLEN);
  else
    return -1;
  netaddr_prefix(addr, prefix);
  return 0;
}

/* Must hold the lock. Stops counting c and makes its worker close it. */
static void cut(connguard_conn_t *c)
{
  c->closing = 1;
  shutdown(c->fd, SHUT_RDWR);
}

typedef enum group { G_ADDRESS, G_PREFIX, G_ALL } group_t;

static int in_group(const connguard_conn_t *c, group_t g, const char *addr, const char *prefix)
{
  if (c->closing)
    return 0;
  return g == G_ALL || (g == G_ADDRESS && strcmp(c->addr, addr) == 0) ||
         (g == G_PREFIX && strcmp(c->prefix, prefix) == 0);
}

/* Must hold the lock. When the group holds `cap` connections or more, closes its oldest one that
 * has proven nothing and returns 1, or returns -1 when it has none; 0 when there is room. */
static int make_room(connguard_t *g, group_t grp, int cap, const char *addr, const char *prefix)
{
  int n = 0;
  connguard_conn_t *oldest = NULL;
  for (connguard_conn_t *c = g->head; c; c = c->next) {
    if (!in_group(c, grp, addr, prefix))
      continue;
    n++;
    int unproven = c->phase == PHASE_HEAD || (c->phase == PHASE_BODY && !c->proven);
    if (unproven && (!oldest || c->since_ms < oldest->since_ms))
      oldest = c;
  }
  if (n < cap)
    return 0;
  if (!oldest)
    return -1;
  cut(oldest);
  return 1;
}

int connguard_admit(connguard_t *g, const struct sockaddr *sa)
{
  char addr[INET6_ADDRSTRLEN], prefix[NETADDR_PREFIX_MAX];
  if (addr_keys(sa, addr, prefix) != 0)
    return 0;
  pthread_mutex_lock(&g->lock);
  static const group_t order[] = {G_ADDRESS, G_PREFIX, G_ALL};
  int caps[] = {g->cfg.per_address, g->cfg.per_prefix, g->cfg.max_connections};
  int ok = 1;
  for (size_t i = 0; ok && i < sizeof order / sizeof order[0]; i++) {
    int r = make_room(g, order[i], caps[i], addr, prefix);
    if (r > 0)
      g->evicted++;
    ok = r >= 0;
  }
  if (!ok)
    g->refused++;
  pthread_mutex_unlock(&g->lock);
  return ok;
}

connguard_conn_t *connguard_opened(connguard_t *g, int fd, const struct sockaddr *sa)
{
  connguard_conn_t *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  if (addr_keys(sa, c->addr, c->prefix) != 0) {
    free(c);
    return NULL;
  }
  c->fd = fd;
  c->phase = PHASE_HEAD;
  c->since_ms = now_ms();
  pthread_mutex_lock(&g->lock);
  c->next = g->head;
  if (g->head)
    g->head->prev = c;
  g->head = c;
  pthread_mutex_unlock(&g->lock);
  return c;
}

void connguard_closed(connguard_t *g, connguard_conn_t *c)
{
  if (!c)
    return;
  pthread_mutex_lock(&g->lock);
  if (c->prev)
    c->prev->next = c->next;
  else
    g->head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  pthread_mutex_unlock(&g->lock);
  free(c);
}

static void set_phase(connguard_t *g, connguard_conn_t *c, phase_t p, int proven)
{
  if (!c)
    return;
  pthread_mutex_lock(&g->lock);
  c->phase = p;
  c->proven = proven;
  c->since_ms = now_ms();
  c->body_bytes = 0;
  pthread_mutex_unlock(&g->lock);
}

void connguard_head_done(connguard_t *g, connguard_conn_t *c, int authenticated)
{
  set_phase(g, c, PHASE_BODY, authenticated);
}

void connguard_busy(connguard_t *g, connguard_conn_t *c)
{
  set_phase(g, c, PHASE_BUSY, 1);
}

void connguard_idle(connguard_t *g, connguard_conn_t *c)
{
  set_phase(g, c, PHASE_HEAD, 0);
}

void connguard_body(connguard_t *g, connguard_conn_t *c, size_t n)
{
  if (!c)
    return;
  pthread_mutex_lock(&g->lock);
  c->body_bytes += n;
  pthread_mutex_unlock(&g->lock);
}

/* Must hold the lock. Shuts down every connection past its deadline. */
static void sweep(connguard_t *g, int64_t now)
{
  int64_t head_ms = (int64_t)g->cfg.header_timeout_s * 1000;
  int64_t grace_ms = (int64_t)g->cfg.body_grace_s * 1000;
  for (connguard_conn_t *c = g->head; c; c = c->next) {
    if (c->closing)
      continue;
    int64_t age = now - c->since_ms;
    if (c->phase == PHASE_HEAD && age > head_ms) {
      cut(c);
      g->header_late++;
    } else if (c->phase == PHASE_BODY && age > grace_ms &&
               (double)c->body_bytes < (double)g->cfg.body_min_rate * (double)age / 1000.0) {
      cut(c);
      g->body_slow++;
    }
  }
}

static void *watchdog(void *arg)
{
  connguard_t *g = arg;
  pthread_mutex_lock(&g->lock);
  while (!g->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += WATCH_INTERVAL_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    int rc = pthread_cond_timedwait(&g->wake, &g->lock, &until);
    if (g->stop)
      break;
    if (rc != ETIMEDOUT && rc != 0)
      continue;
    sweep(g, now_ms());
    unsigned ev = g->evicted, rf = g->refused, hl = g->header_late, bs = g->body_slow;
    g->evicted = g->refused = g->header_late = g->body_slow = 0;
    if (ev || rf || hl || bs) {
      /* One line per sweep, not per connection: a flood must not flood the log as well. */
      pthread_mutex_unlock(&g->lock);
      log_event(LOG_WARN, "connections_closed",
                "header_deadline=%u body_too_slow=%u evicted=%u refused=%u", hl, bs, ev, rf);
      pthread_mutex_lock(&g->lock);
    }
  }
  pthread_mutex_unlock(&g->lock);
  return NULL;
}

connguard_t *connguard_new(const connguard_config_t *cfg)
{
  connguard_t *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->cfg = *cfg;
  pthread_mutex_init(&g->lock, NULL);
  pthread_cond_init(&g->wake, NULL);
  if (pthread_create(&g->thread, NULL, watchdog, g) != 0) {
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
    return NULL;
  }
  return g;
}

void connguard_free(connguard_t *g)
{
  if (!g)
    return;
  pthread_mutex_lock(&g->lock);
  g->stop = 1;
  pthread_cond_signal(&g->wake);
  pthread_mutex_unlock(&g->lock);
  pthread_join(g->thread, NULL);
  while (g->head) {
    connguard_conn_t *c = g->head;
    g->head = c->next;
    free(c);
  }
  pthread_cond_destroy(&g->wake);
  pthread_mutex_destroy(&g->lock);
  free(g);
}
