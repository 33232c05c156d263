/* The failed-authentication table (ratelimit.h). A linear scan: the table is small and each
 * request does one lookup, far cheaper than the SQLite work around it. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR_MAX 64

typedef struct rl_entry {
  char addr[ADDR_MAX];
  int64_t window_start;
  int failures;
} rl_entry_t;

struct ratelimit {
  pthread_mutex_t lock;
  int limit;
  int64_t window_ms;
  size_t n, cap;
  rl_entry_t *e;
};

ratelimit_t *ratelimit_new(int limit, int64_t window_ms, size_t max_entries)
{
  ratelimit_t *r = calloc(1, sizeof *r);
  if (!r || !(r->e = calloc(max_entries ? max_entries : 1, sizeof *r->e))) {
    free(r);
    return NULL;
  }
  pthread_mutex_init(&r->lock, NULL);
  r->limit = limit < 1 ? 1 : limit;
  r->window_ms = window_ms;
  r->cap = max_entries ? max_entries : 1;
  return r;
}

void ratelimit_free(ratelimit_t *r)
{
  if (!r)
    return;
  pthread_mutex_destroy(&r->lock);
  free(r->e);
  free(r);
}

/* The live entry of addr, or NULL; an entry whose window passed is dropped on the way. */
static rl_entry_t *find(ratelimit_t *r, const char *addr, int64_t now)
{
  for (size_t i = 0; i < r->n; i++) {
    rl_entry_t *e = &r->e[i];
    if (strcmp(e->addr, addr) != 0)
      continue;
    if (now - e->window_start >= r->window_ms) {
      r->e[i] = r->e[--r->n];
      return NULL;
    }
    return e;
  }
  return NULL;
}

int ratelimit_blocked(ratelimit_t *r, const char *addr, int64_t now)
{
  int wait = 0;
  pthread_mutex_lock(&r->lock);
  rl_entry_t *e = find(r, addr ? addr : "-", now);
  if (e && e->failures >= r->limit) {
    wait = (int)((e->window_start + r->window_ms - now + 999) / 1000);
    if (wait < 1)
      wait = 1;
  }
  pthread_mutex_unlock(&r->lock);
  return wait;
}

int ratelimit_fail(ratelimit_t *r, const char *addr, int64_t now)
{
  pthread_mutex_lock(&r->lock);
  rl_entry_t *e = find(r, addr ? addr : "-", now);
  if (!e) {
    if (r->n == r->cap) {
      size_t oldest = 0;
      for (size_t i = 1; i < r->n; i++)
        if (r->e[i].window_start < r->e[oldest].window_start)
          oldest = i;
      r->e[oldest] = r->e[--r->n];
    }
    e = &r->e[r->n++];
    snprintf(e->addr, sizeof e->addr, "%s", addr ? addr : "-");
    e->window_start = now;
    e->failures = 0;
  }
  int n = ++e->failures;
  pthread_mutex_unlock(&r->lock);
  return n;
}
