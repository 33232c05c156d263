/* A parallel for: the items of a batch shared among a few threads.
 *
 * Threads: work() runs on up to `threads` threads at once, this one included; `t` names the
 * thread (0 .. threads-1) so that work can keep per-thread state. Every item is done once the call
 * returns.
 */
#ifndef SRV_PFOR_H
#define SRV_PFOR_H

#include <stddef.h>

#define PFOR_MAX_THREADS 16

/* work(ctx, t, i) for every i in [0, n), item i on thread i % threads (threads is capped at
 * PFOR_MAX_THREADS and n). A thread that cannot start has its items done by this one. */
void pfor_run(void (*work)(void *ctx, size_t t, size_t i), void *ctx, size_t n, size_t threads);

#endif
