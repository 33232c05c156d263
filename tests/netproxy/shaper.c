/* Token bucket and delay queue (shaper.h). */
#include "shaper.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void np_bucket_init(np_bucket_t *b, uint64_t kbps, size_t segment, int64_t now_us)
{
  b->rate = (double)kbps / 8000.0; /* kbit/s = 1000/8 bytes per 1e6 us */
  double burst = b->rate * 20000.0;
  b->burst = burst > (double)segment ? burst : (double)segment;
  b->tokens = b->burst;
  b->last_us = now_us;
}

static void refill(np_bucket_t *b, int64_t now_us)
{
  if (now_us > b->last_us) {
    b->tokens += (double)(now_us - b->last_us) * b->rate;
    if (b->tokens > b->burst)
      b->tokens = b->burst;
    b->last_us = now_us;
  }
}

size_t np_bucket_allow(np_bucket_t *b, int64_t now_us)
{
  if (b->rate <= 0.0)
    return SIZE_MAX;
  refill(b, now_us);
  return b->tokens >= 1.0 ? (size_t)b->tokens : 0;
}

void np_bucket_take(np_bucket_t *b, size_t n)
{
  if (b->rate > 0.0)
    b->tokens -= (double)n;
}

size_t np_bucket_want(const np_bucket_t *b, size_t want)
{
  if (b->rate <= 0.0)
    return want;
  return (double)want < b->burst ? want : (size_t)b->burst;
}

int64_t np_bucket_wait_us(const np_bucket_t *b, size_t want)
{
  if (b->rate <= 0.0)
    return 0;
  double need = (double)np_bucket_want(b, want) - b->tokens;
  if (need <= 0.0)
    return 0;
  return (int64_t)(need / b->rate) + 1;
}

void np_queue_init(np_queue_t *q)
{
  memset(q, 0, sizeof *q);
}

int np_queue_push(np_queue_t *q, const void *data, size_t len, int64_t release_us)
{
  np_chunk_t *c = malloc(sizeof *c + len);
  if (!c)
    return -1;
  if (release_us < q->last_release_us)
    release_us = q->last_release_us;
  q->last_release_us = release_us;
  c->next = NULL;
  c->release_us = release_us;
  c->len = len;
  c->off = 0;
  memcpy(c->data, data, len);
  if (q->tail)
    q->tail->next = c;
  else
    q->head = c;
  q->tail = c;
  q->bytes += len;
  return 0;
}

np_chunk_t *np_queue_ready(const np_queue_t *q, int64_t now_us)
{
  return q->head && q->head->release_us <= now_us ? q->head : NULL;
}

void np_queue_consume(np_queue_t *q, size_t n)
{
  np_chunk_t *c = q->head;
  assert(c && n <= c->len - c->off);
  c->off += n;
  q->bytes -= n;
  if (c->off == c->len) {
    q->head = c->next;
    if (!q->head)
      q->tail = NULL;
    free(c);
  }
}

void np_queue_clear(np_queue_t *q)
{
  np_chunk_t *c = q->head;
  while (c) {
    np_chunk_t *next = c->next;
    free(c);
    c = next;
  }
  int64_t last = q->last_release_us;
  np_queue_init(q);
  q->last_release_us = last;
}
