/* pfor: see pfor.h. */
#include "pfor.h"

#include <pthread.h>

typedef struct share {
  void (*work)(void *ctx, size_t t, size_t i);
  void *ctx;
  size_t n, t, step;   /* this share's items: t, t + step, ... */
} share_t;

static void *run_share(void *arg)
{
  const share_t *s = arg;
  for (size_t i = s->t; i < s->n; i += s->step)
    s->work(s->ctx, s->t, i);
  return NULL;
}

void pfor_run(void (*work)(void *ctx, size_t t, size_t i), void *ctx, size_t n, size_t threads)
{
  size_t k = threads < 1 ? 1 : threads > PFOR_MAX_THREADS ? PFOR_MAX_THREADS : threads;
  if (k > n)
    k = n ? n : 1;
  share_t shares[PFOR_MAX_THREADS];
  pthread_t ids[PFOR_MAX_THREADS];
  int started[PFOR_MAX_THREADS] = {0};
  for (size_t t = 0; t < k; t++)
    shares[t] = (share_t){work, ctx, n, t, k};
  for (size_t t = 1; t < k; t++)
    if (pthread_create(&ids[t], NULL, run_share, &shares[t]) == 0)
      started[t] = 1;
    else
      run_share(&shares[t]);
  run_share(&shares[0]);
  for (size_t t = 1; t < k; t++)
    if (started[t])
      pthread_join(ids[t], NULL);
}
