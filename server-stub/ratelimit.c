/* The failed-authentication table (ratelimit.h). A linear scan: the table is small and each
 * request does two lookups (address, network), far cheaper than the SQLite work around it. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

#define KEY_MAX 72   /* "a:" or "p:" + an address or a network */

typedef struct rl_entry {
  char key[KEY_MAX];
  int64_t window_start;
  int failures;
  int limit;
} rl_entry_t;

struct ratelimit {
  pthread_mutex_t lock;
  ratelimit_cfg_t cfg;
  size_t n;
  rl_entry_t *e;
  rl_entry_t overflow;   /* the shared bucket (its key is unused) */
};

void ratelimit_cfg_init(ratelimit_cfg_t *cfg, int per_addr)
{
  cfg->per_addr = per_addr < 1 ? 1 : per_addr;
  cfg->per_prefix = cfg->per_addr * RATELIMIT_PREFIX_FACTOR;
  cfg->overflow = cfg->per_prefix;
  cfg->window_ms = RATELIMIT_WINDOW_MS;
  cfg->max_entries = RATELIMIT_MAX_ENTRIES;
}

ratelimit_t *ratelimit_new(const ratelimit_cfg_t *cfg)
{
  ratelimit_t *r = calloc(1, sizeof *r);
  size_t cap = cfg->max_entries ? cfg->max_entries : 1;
  if (!r || !(r->e = calloc(cap, sizeof *r->e))) {
    free(r);
    return NULL;
  }
  pthread_mutex_init(&r->lock, NULL);
  r->cfg = *cfg;
  r->cfg.max_entries = cap;
  r->cfg.per_addr = cfg->per_addr < 1 ? 1 : cfg->per_addr;
  r->cfg.per_prefix = cfg->per_prefix < 1 ? 1 : cfg->per_prefix;
  r->cfg.overflow = cfg->overflow < 1 ? 1 : cfg->overflow;
  r->overflow.limit = r->cfg.overflow;
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

static int expired(const ratelimit_t *r, const rl_entry_t *e, int64_t now)
{
  return now - e->window_start >= r->cfg.window_ms;
}

/* The live entry of key, or NULL; an entry whose window passed is dropped on the way. */
static rl_entry_t *find(ratelimit_t *r, const char *key, int64_t now)
{
  for (size_t i = 0; i < r->n; i++) {
    rl_entry_t *e = &r->e[i];
    if (strcmp(e->key, key) != 0)
      continue;
    if (expired(r, e, now)) {
      r->e[i] = r->e[--r->n];
      return NULL;
    }
    return e;
  }
  return NULL;
}

/* A new entry for key, or NULL when the table is full of entries still counting: only entries
 * whose window has passed make room (a blocked entry's window has not). */
static rl_entry_t *add(ratelimit_t *r, const char *key, int limit, int64_t now)
{
  if (r->n == r->cfg.max_entries)
    for (size_t i = r->n; i-- > 0;)
      if (expired(r, &r->e[i], now))
        r->e[i] = r->e[--r->n];
  if (r->n == r->cfg.max_entries)
    return NULL;
  rl_entry_t *e = &r->e[r->n++];
  snprintf(e->key, sizeof e->key, "%s", key);
  e->window_start = now;
  e->failures = 0;
  e->limit = limit;
  return e;
}

/* Seconds until e's window passes when it is blocked, else 0. */
static int wait_of(const ratelimit_t *r, const rl_entry_t *e, int64_t now)
{
  if (!e || e->failures < e->limit || expired(r, e, now))
    return 0;
  int64_t wait = (e->window_start + r->cfg.window_ms - now + 999) / 1000;
  return wait < 1 ? 1 : (int)wait;
}

static void keys_of(const char *addr, char akey[KEY_MAX], char pkey[KEY_MAX])
{
  char prefix[NETADDR_PREFIX_MAX];
  addr = addr ? addr : "-";
  netaddr_prefix(addr, prefix);
  snprintf(akey, KEY_MAX, "a:%s", addr);
  snprintf(pkey, KEY_MAX, "p:%s", prefix);
}

int ratelimit_blocked(ratelimit_t *r, const char *addr, int64_t now)
{
  char akey[KEY_MAX], pkey[KEY_MAX];
  keys_of(addr, akey, pkey);
  pthread_mutex_lock(&r->lock);
  rl_entry_t *p = find(r, pkey, now);
  int wait = wait_of(r, find(r, akey, now), now);
  int pw = p ? wait_of(r, p, now) : wait_of(r, &r->overflow, now);
  pthread_mutex_unlock(&r->lock);
  return pw > wait ? pw : wait;
}

void ratelimit_fail(ratelimit_t *r, const char *addr, int64_t now, ratelimit_count_t *out)
{
  char akey[KEY_MAX], pkey[KEY_MAX];
  keys_of(addr, akey, pkey);
  ratelimit_count_t n = {0};
  pthread_mutex_lock(&r->lock);
  /* The network first: it is what must never be forgotten. */
  rl_entry_t *p = find(r, pkey, now);
  if (!p)
    p = add(r, pkey, r->cfg.per_prefix, now);
  if (p) {
    n.prefix = ++p->failures;
    if (n.prefix == p->limit)
      n.blocked = RATELIMIT_PREFIX;
  } else {
    rl_entry_t *o = &r->overflow;
    if (o->failures == 0 || expired(r, o, now)) {
      o->window_start = now;
      o->failures = 0;
    }
    n.overflow = ++o->failures;
    if (n.overflow == o->limit)
      n.blocked = RATELIMIT_OVERFLOW;
  }
  /* The address: without room its network's entry (or the overflow) still counts it. */
  rl_entry_t *a = find(r, akey, now);
  if (!a && p)
    a = add(r, akey, r->cfg.per_addr, now);
  if (a) {
    n.addr = ++a->failures;
    if (n.addr == a->limit && n.blocked == RATELIMIT_NONE)
      n.blocked = RATELIMIT_ADDR;
  }
  pthread_mutex_unlock(&r->lock);
  if (out)
    *out = n;
}
