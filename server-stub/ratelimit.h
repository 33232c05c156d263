/* Failed-authentication limits for device requests and enrollment (SECURITY.md 2.4). Each failure
 * counts for the client's address and for its network (netaddr.h: /24, /64). After `per_addr`
 * failures of one address, or `per_prefix` of one network, within one window (counted from the
 * first failure of the window), every request from that address or network is refused until the
 * window has passed. In memory only: a restart forgets it.
 *
 * The table is capped. A full table drops only entries whose window has passed (never a blocked
 * one, never one still counting). When nothing can be dropped, the failure of a network that has
 * no entry goes into one shared overflow bucket with its own limit; once that bucket is full every
 * network without an entry is refused until the bucket's window passes. So a flood of addresses
 * makes the server stricter for strangers, never forgetful of whom it blocked.
 * Threads: every function may be called from any request thread (one mutex).
 */
#ifndef SRV_RATELIMIT_H
#define SRV_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_WINDOW_MS (10 * 60 * 1000)
#define RATELIMIT_MAX_ENTRIES 4096
#define RATELIMIT_PREFIX_FACTOR 3   /* a network may fail 3 times as often as one address */

typedef struct ratelimit_cfg {
  int per_addr;         /* failures of one address in a window before it is refused */
  int per_prefix;       /* of one network */
  int overflow;         /* of the networks that found no room in a full table, together */
  int64_t window_ms;
  size_t max_entries;   /* addresses and networks together */
} ratelimit_cfg_t;

/* What one failure did (ratelimit_fail). */
typedef enum ratelimit_scope {
  RATELIMIT_NONE = 0,   /* counted; nothing newly blocked */
  RATELIMIT_ADDR,       /* this failure blocked the address */
  RATELIMIT_PREFIX,     /* ... the address's network */
  RATELIMIT_OVERFLOW    /* ... every network without an entry (the table is full) */
} ratelimit_scope_t;

typedef struct ratelimit_count {
  int addr, prefix;     /* failures of the address and of its network in their windows (0 when
                         * the table had no room for it) */
  int overflow;         /* failures in the overflow bucket's window */
  ratelimit_scope_t blocked;
} ratelimit_count_t;

typedef struct ratelimit ratelimit_t;

/* Fills per_prefix, overflow, window and size from the per-address limit. */
void ratelimit_cfg_init(ratelimit_cfg_t *cfg, int per_addr);
/* NULL when out of memory. */
ratelimit_t *ratelimit_new(const ratelimit_cfg_t *cfg);
void ratelimit_free(ratelimit_t *r);
/* 0 when `addr` may go on; else the seconds until it may (>= 1). */
int ratelimit_blocked(ratelimit_t *r, const char *addr, int64_t now);
/* Counts one failure of `addr`; `out` (may be NULL) gets the counts. */
void ratelimit_fail(ratelimit_t *r, const char *addr, int64_t now, ratelimit_count_t *out);

#endif
