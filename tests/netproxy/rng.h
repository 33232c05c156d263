/* Seeded pseudo-random streams for netproxy: xoshiro256** seeded through splitmix64.
 * One independent stream per (seed, connection index, purpose), so a connection's fate does not
 * depend on how the kernel happened to split its bytes into reads, nor on other connections. */
#ifndef NETPROXY_RNG_H
#define NETPROXY_RNG_H

#include <stdint.h>

typedef struct np_rng {
  uint64_t s[4];
} np_rng_t;

/* Seeds the stream for (seed, index, purpose). */
void np_rng_init(np_rng_t *r, uint64_t seed, uint64_t index, uint64_t purpose);
uint64_t np_rng_next(np_rng_t *r);
/* Uniform in [0, 1). */
double np_rng_unit(np_rng_t *r);
/* Uniform in [lo, hi], both included; lo when hi <= lo. */
uint64_t np_rng_between(np_rng_t *r, uint64_t lo, uint64_t hi);
/* 1 with probability p (always draws, so the stream advances the same way whatever p is). */
int np_rng_chance(np_rng_t *r, double p);
/* Failures before the first success of Bernoulli(p) trials: 0 when p >= 1, UINT64_MAX when
 * p <= 0. Always draws once. */
uint64_t np_rng_geometric(np_rng_t *r, double p);

#endif
