/* Failed-authentication rate limit per client address (SECURITY.md 2.4): after `limit` failures
 * within one window (counted from the first failure of the window), every request from that
 * address is refused until the window has passed. In memory only: a restart forgets it.
 *
 * A small table with a cap on entries; when it is full the entry whose window started first is
 * evicted, so a flood of spoofed-looking addresses cannot grow memory.
 * Threads: every function may be called from any request thread (one mutex).
 */
#ifndef SRV_RATELIMIT_H
#define SRV_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_WINDOW_MS (10 * 60 * 1000)
#define RATELIMIT_MAX_ENTRIES 4096

typedef struct ratelimit ratelimit_t;

/* NULL when out of memory. */
ratelimit_t *ratelimit_new(int limit, int64_t window_ms, size_t max_entries);
void ratelimit_free(ratelimit_t *r);
/* 0 when `addr` may go on; else the seconds until its window passes (>= 1). */
int ratelimit_blocked(ratelimit_t *r, const char *addr, int64_t now);
/* Counts one failure; returns the failures of the current window. */
int ratelimit_fail(ratelimit_t *r, const char *addr, int64_t now);

#endif
