/* xoshiro256** (Blackman & Vigna) seeded by splitmix64 (rng.h). */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void np_rng_init(np_rng_t *r, uint64_t seed, uint64_t index, uint64_t purpose)
{
  /* Mix the three inputs through splitmix64 one after another so that nearby
   * (index, purpose) pairs give unrelated streams. */
  uint64_t x = seed;
  uint64_t k = splitmix64(&x);
  x = k ^ index;
  k = splitmix64(&x);
  x = k ^ (purpose * 0xD1B54A32D192ED03ull);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

uint64_t np_rng_next(np_rng_t *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double np_rng_unit(np_rng_t *r)
{
  return (double)(np_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t np_rng_between(np_rng_t *r, uint64_t lo, uint64_t hi)
{
  uint64_t x = np_rng_next(r);
  if (hi <= lo)
    return lo;
  uint64_t span = hi - lo + 1;
  if (span == 0) /* the whole 64-bit range */
    return x;
  /* Rejection keeps the draw unbiased; the expected number of extra draws is below one. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  while (x >= limit)
    x = np_rng_next(r);
  return lo + x % span;
}

int np_rng_chance(np_rng_t *r, double p)
{
  return np_rng_unit(r) < p;
}

uint64_t np_rng_geometric(np_rng_t *r, double p)
{
  double u = np_rng_unit(r);
  if (p >= 1.0)
    return 0;
  if (p <= 0.0)
    return UINT64_MAX;
  /* Inverse CDF: floor(log(1 - u) / log(1 - p)); 1 - u is in (0, 1]. */
  double k = floor(log1p(-u) / log1p(-p));
  if (!(k < 1.8e19))
    return UINT64_MAX;
  return (uint64_t)k;
}
