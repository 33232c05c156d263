/* xoshiro256** (Blackman & Vigna), seeded through splitmix64, plus the helpers the generator
 * draws with. Deterministic on every platform: no floating point, no rand(). */
#include "sample_internal.h"

#include <assert.h>

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

void srng_seed(srng_t *r, uint64_t seed)
{
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

uint64_t srng_next(srng_t *r)
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

uint32_t srng_below(srng_t *r, uint32_t n)
{
  assert(n > 0);
  /* Lemire's multiply-shift with rejection: unbiased. */
  uint64_t m = (srng_next(r) >> 32) * (uint64_t)n;
  uint32_t low = (uint32_t)m;
  if (low < n) {
    uint32_t threshold = (uint32_t)(-n) % n;
    while (low < threshold) {
      m = (srng_next(r) >> 32) * (uint64_t)n;
      low = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

int srng_range(srng_t *r, int lo, int hi)
{
  assert(hi >= lo);
  return lo + (int)srng_below(r, (uint32_t)(hi - lo + 1));
}

int srng_pct(srng_t *r, int pct)
{
  return (int)srng_below(r, 100) < pct;
}

size_t srng_weighted(srng_t *r, const int *weights, size_t n)
{
  uint32_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += (uint32_t)weights[i];
  assert(total > 0);
  uint32_t x = srng_below(r, total);
  for (size_t i = 0; i < n; i++) {
    if (x < (uint32_t)weights[i])
      return i;
    x -= (uint32_t)weights[i];
  }
  return n - 1;
}

const char *srng_pick(srng_t *r, const char *const *items, size_t n)
{
  return items[srng_below(r, (uint32_t)n)];
}

void srng_distinct(srng_t *r, size_t n, size_t k, size_t *idx)
{
  assert(k <= n && n <= 64);
  size_t pool[64];
  for (size_t i = 0; i < n; i++)
    pool[i] = i;
  for (size_t i = 0; i < k; i++) {   /* partial Fisher-Yates */
    size_t j = i + srng_below(r, (uint32_t)(n - i));
    size_t t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
    idx[i] = pool[i];
  }
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int32_t sdate_from_ymd(int y, int m, int d)
{
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + doe - 719468);
}

void sdate_to_ymd(int32_t days, int *y, int *m, int *d)
{
  int z = (int)days + 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = z - era * 146097;
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

void sdate_format(int32_t days, char out[11])
{
  int y, m, d;
  sdate_to_ymd(days, &y, &m, &d);
  /* 0 <= y <= 9999 for every date the generator makes. */
  out[0] = (char)('0' + y / 1000 % 10);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + m / 10);
  out[6] = (char)('0' + m % 10);
  out[7] = '-';
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '\0';
}
