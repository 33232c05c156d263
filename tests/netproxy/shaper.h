/* Link shaping pieces for netproxy: a token bucket (bandwidth cap) and a FIFO of timestamped
 * chunks (latency and jitter without reordering). Times are monotonic microseconds.
 * Chunks belong to their queue; np_queue_clear() frees them. */
#ifndef NETPROXY_SHAPER_H
#define NETPROXY_SHAPER_H

#include <stddef.h>
#include <stdint.h>

/* Token bucket: `rate` bytes per microsecond, at most `burst` bytes saved up. rate 0 = no cap. */
typedef struct np_bucket {
  double rate;
  double burst;
  double tokens;
  int64_t last_us;
} np_bucket_t;

/* Caps to kbps kilobits (1000 bits) per second; 0 leaves the bucket unlimited. The bucket starts
 * full; the burst is the larger of one segment and 20 ms worth of the rate. */
void np_bucket_init(np_bucket_t *b, uint64_t kbps, size_t segment, int64_t now_us);
/* Bytes that may be sent now (SIZE_MAX when unlimited). */
size_t np_bucket_allow(np_bucket_t *b, int64_t now_us);
void np_bucket_take(np_bucket_t *b, size_t n);
/* Bytes worth waiting for before sending: min(want, burst), so a slow link sends whole segments
 * instead of dribbling single bytes. */
size_t np_bucket_want(const np_bucket_t *b, size_t want);
/* Microseconds from the last refill until `want` bytes (see np_bucket_want) are there. */
int64_t np_bucket_wait_us(const np_bucket_t *b, size_t want);

typedef struct np_chunk {
  struct np_chunk *next;
  int64_t release_us; /* the chunk may leave at this time, not before */
  size_t len;
  size_t off; /* bytes already sent */
  unsigned char data[];
} np_chunk_t;

typedef struct np_queue {
  np_chunk_t *head;
  np_chunk_t *tail;
  size_t bytes; /* not yet sent */
  int64_t last_release_us;
} np_queue_t;

void np_queue_init(np_queue_t *q);
/* Appends a copy of data[0..len). It is released at release_us, or at the previous chunk's
 * release time if that is later, so jitter never reorders the stream. -1 when out of memory. */
int np_queue_push(np_queue_t *q, const void *data, size_t len, int64_t release_us);
/* The head chunk if it is due at now_us, else NULL. */
np_chunk_t *np_queue_ready(const np_queue_t *q, int64_t now_us);
/* Marks n bytes of the head chunk as sent; frees it when it is done. */
void np_queue_consume(np_queue_t *q, size_t n);
void np_queue_clear(np_queue_t *q);

#endif
