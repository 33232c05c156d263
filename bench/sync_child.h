/* One measured sync in its own process, so it can be stopped at a timeout and its peak RSS read:
 * bench_sync execs itself with --child-sync; the child runs the engine (sync_engine_run_once, again
 * after a failed run, as a device's background thread retries) until the outbox is empty, writing
 * its progress summed over runs as lines on stdout; the parent reads them until the child ends or
 * the timeout, then kills it. */
#ifndef BENCH_SYNC_CHILD_H
#define BENCH_SYNC_CHILD_H

#include "sync/sync.h"
#include "world.h"

typedef struct child_result {
  int finished;        /* the outbox emptied before the timeout */
  double seconds;      /* the child's own time from its first request to the end; else the timeout */
  sync_progress_t p;   /* summed over every engine run of the child */
  int runs;            /* engine runs (each with its own retries) */
  long maxrss_kib;     /* peak RSS of the child (its VmHWM at its last progress line) */
  char last_error[200];/* the engine's last message, "" if none */
} child_result_t;

/* Syncs w's device to url (the server's own address or a proxy's) in a child; `self` is this
 * program's path. */
child_result_t child_sync_run(const char *self, const world_t *w, const char *url,
                              double timeout_s);
/* The child: argv = store, url, CA file, pin (the last two "" when plain). Exit 0 when the outbox
 * emptied. */
int child_sync_main(char **argv);

#endif
