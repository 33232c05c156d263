/* Internals shared by netproxy.c (listener, loop, control) and conn.c (one proxied connection).
 * Not part of the embeddable API. */
#ifndef NETPROXY_INT_H
#define NETPROXY_INT_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "control.h"
#include "netproxy.h"
#include "rng.h"
#include "shaper.h"

#define NP_NEVER INT64_MAX
#define NP_READ_MAX (64 * 1024)
#define NP_CLOSING_GRACE_US 1000000 /* how long a FIN-cut connection waits for its peers' EOF */

/* Stream purposes for np_rng_init(): one independent stream each. */
enum { NP_RNG_CONN = 0, NP_RNG_JITTER = 1, NP_RNG_RESET = 3, NP_RNG_STALL = 5 };

/* Direction 0 is up (client fd[0] -> upstream fd[1]), 1 is down (fd[1] -> fd[0]). */
typedef struct np_dir {
  np_queue_t q;
  np_bucket_t own_bucket;
  np_bucket_t *bucket; /* own_bucket or the proxy's shared one */
  np_rng_t jitter_rng, reset_rng, stall_rng;
  uint64_t delivered; /* bytes written to the destination */
  uint64_t reset_at;  /* reset before delivering this byte offset; UINT64_MAX = never */
  uint64_t stall_at;  /* stall before delivering this byte offset; UINT64_MAX = never */
  bool src_eof;       /* the source said EOF */
  bool dst_shut;      /* EOF passed on: shutdown(dst, SHUT_WR) done */
  bool want_out;      /* the destination's send buffer was full: wait for POLLOUT */
} np_dir_t;

typedef enum np_state {
  NP_CONNECTING, /* upstream connect() in progress */
  NP_OPEN,
  NP_CLOSING, /* cut with FIN: draining both peers until EOF or the grace time */
  NP_DEAD,    /* sockets closed; freed by the loop */
} np_state_t;

typedef struct np_conn {
  int fd[2];
  np_state_t state;
  uint64_t index;
  np_dir_t dir[2];
  uint64_t cut_at;    /* UINT64_MAX = never */
  uint64_t cut_count; /* bytes delivered in the cut direction(s) */
  int64_t stall_until_us;
  int64_t closing_deadline_us;
} np_conn_t;

struct netproxy {
  netproxy_opts_t o; /* normalised; string pointers cleared */
  np_addr_t listen_addr, upstream_addr;
  int listen_fd;
  int port;
  int wake[2]; /* self-pipe: commands and stop from other threads and signal handlers */
  np_control_t ctl_fd, ctl_fifo;
  np_conn_t **conns;
  size_t nconns, cap;
  size_t rr; /* round-robin start so a shared bucket is shared fairly */
  np_bucket_t shared_bucket[2];
  atomic_bool link_down;
  atomic_bool stop;
  int64_t deadline_us;
  int64_t accept_pause_until_us;
  uint64_t next_index;
  unsigned char buf[NP_READ_MAX]; /* one read at a time */
  struct pollfd *pfd;
  size_t pfd_cap;
  /* statistics */
  atomic_uint_fast64_t n_connections, n_refused, n_active, n_bytes[2], n_cuts, n_resets,
    n_stalls, n_errors, n_peak_queue;
};

int64_t np_now_us(void);
void np_log(const netproxy_t *np, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  ;

/* conn.c */
/* Takes an accepted client socket and starts the upstream connect; NULL when that failed (the
 * client has then been reset and closed). */
np_conn_t *np_conn_new(netproxy_t *np, int client_fd, int64_t now);
/* poll() events wanted on fd[0] and fd[1]; *wake_us gets the earliest timer (or stays). */
void np_conn_events(const netproxy_t *np, const np_conn_t *c, int64_t now, short ev[2],
                    int64_t *wake_us);
/* Handles poll() results and timers; may move the connection to NP_DEAD. */
void np_conn_service(netproxy_t *np, np_conn_t *c, const short rev[2], int64_t now);
/* Cut now (cut_mode: FIN and drain, or RST). */
void np_conn_cut(netproxy_t *np, np_conn_t *c, int64_t now, const char *why);
/* Closes whatever is still open and frees. */
void np_conn_free(np_conn_t *c);

#endif
