/* netproxy core: a seeded bad-link TCP proxy on loopback, for libsync's sync tests.
 *
 * One thread, one poll() loop, non-blocking sockets. Every accepted connection is forwarded to
 * one upstream address; each direction goes through a queue of timestamped chunks (latency,
 * jitter without reordering), a token bucket (bandwidth) and seeded fault injection (cuts,
 * resets, stalls). What happens to connection number i depends only on the seed, i and the bytes
 * it carries, not on timing.
 *
 * Ownership: netproxy_new() gives the caller a proxy to free with netproxy_free(); it keeps no
 * pointer into the options (strings are copied). Threads: every function runs on the thread
 * that owns the proxy, except netproxy_command() and netproxy_stop(), which may be called from
 * any thread or from a signal handler while netproxy_run_for() runs, and netproxy_get_stats(),
 * which may be called from any thread (counters are atomic, the snapshot is not one instant). */
#ifndef NETPROXY_H
#define NETPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct netproxy netproxy_t;

typedef enum netproxy_result {
  NETPROXY_OK = 0,
  NETPROXY_STOPPED,      /* run_for: quit/stop was asked or the duration is over */
  NETPROXY_EINVAL,       /* a bad option */
  NETPROXY_ENOTLOOPBACK, /* listen or upstream address is not 127.0.0.0/8 or ::1 */
  NETPROXY_ESYS,         /* a system call failed (errno detail in the message) */
  NETPROXY_ENOMEM,
} netproxy_result_t;

/* Which bytes count towards a cut point: client->upstream, upstream->client, or both added up. */
typedef enum netproxy_dir {
  NETPROXY_DIR_UP = 1,
  NETPROXY_DIR_DOWN = 2,
  NETPROXY_DIR_BOTH = 3,
} netproxy_dir_t;

/* How a cut ends a connection: FIN to both peers after what was already delivered (the peer
 * reads exactly the bytes before the cut, then EOF), or RST (SO_LINGER 0). */
typedef enum netproxy_cut_mode {
  NETPROXY_CUT_FIN = 0,
  NETPROXY_CUT_RST = 1,
} netproxy_cut_mode_t;

/* Control commands; the same words are accepted one per line on the control fd/FIFO. */
typedef enum netproxy_cmd {
  NETPROXY_CMD_DOWN = 'd',  /* "down": cut every connection, reset new ones at once */
  NETPROXY_CMD_UP = 'u',    /* "up": forward again */
  NETPROXY_CMD_CUT = 'c',   /* "cut": cut every current connection now */
  NETPROXY_CMD_STATS = 's', /* "stats": print a STATS line to opts.stats_out */
  NETPROXY_CMD_QUIT = 'q',  /* "quit": netproxy_run_for() returns NETPROXY_STOPPED */
} netproxy_cmd_t;

/* 0 means "default" unless said otherwise; fill with netproxy_opts_init(). */
typedef struct netproxy_opts {
  const char *listen;   /* default "127.0.0.1:0" (ephemeral port) */
  const char *upstream; /* required, loopback only */
  uint64_t seed;
  uint32_t latency_ms;     /* one-way delay added in each direction */
  uint32_t jitter_ms;      /* plus uniform [0, jitter_ms] per chunk, order kept */
  uint32_t bandwidth_kbps; /* cap per direction; 0 = none */
  int bandwidth_shared;    /* 1: one bucket per direction for all connections */
  /* Cut points. cut_after_bytes N: connections are cut after exactly N bytes (with
   * cut_probability 0 it becomes 1, and cut_min/cut_max become N). Otherwise each connection is
   * cut with cut_probability at a point uniform in [cut_min, cut_max] (cut_max 0 = 1 MiB). */
  uint64_t cut_after_bytes;
  double cut_probability;
  uint64_t cut_min;
  uint64_t cut_max;
  netproxy_dir_t cut_direction; /* 0 = both */
  netproxy_cut_mode_t cut_mode;
  /* Per-segment faults: before each segment of segment_bytes in a direction, the connection is
   * reset with reset_probability, or paused for stall_ms with stall_probability. */
  double reset_probability;
  double stall_probability;
  uint32_t stall_ms;
  uint32_t segment_bytes;   /* default 1460 (one Ethernet MSS) */
  uint32_t queue_bytes;     /* backpressure: stop reading a side above this; default 1 MiB */
  uint32_t max_connections; /* open at once; more wait in the listen backlog; default 256 */
  uint32_t duration_s;      /* run_for returns NETPROXY_STOPPED after this; default 600 */
  int control_fd;           /* read command lines from this fd (not closed); -1 = none */
  const char *control_fifo; /* read command lines from this FIFO (reopened after EOF) */
  FILE *stats_out;          /* where "stats" prints; NULL = nowhere */
  FILE *log;                /* per-connection events; NULL = silent */
} netproxy_opts_t;

typedef struct netproxy_stats {
  uint64_t connections; /* forwarded (accepted while the link was up) */
  uint64_t refused;     /* accepted while down, reset at once */
  uint64_t active;      /* open now */
  uint64_t bytes_up;    /* delivered to upstream */
  uint64_t bytes_down;  /* delivered to clients */
  uint64_t cuts;        /* connections cut (cut points, "cut", link down) */
  uint64_t resets;      /* injected resets */
  uint64_t stalls;
  uint64_t errors;      /* connections ended by a peer's error or a failed upstream connect */
  uint64_t peak_queue;  /* most bytes queued in one direction of one connection */
  int link_down;        /* 1 between "down" and "up" */
} netproxy_stats_t;

void netproxy_opts_init(netproxy_opts_t *opts);
/* Validates opts, binds the listening socket. *out is NULL on failure; err (may be NULL) gets a
 * one-line reason. */
netproxy_result_t netproxy_new(const netproxy_opts_t *opts, netproxy_t **out, char *err,
                               size_t errlen);
/* NULL is a no-op. Closes every socket. */
void netproxy_free(netproxy_t *np);
/* The port actually listened on. */
int netproxy_port(const netproxy_t *np);
/* Runs the event loop for timeout_ms (< 0: until stopped). NETPROXY_OK when the time is up,
 * NETPROXY_STOPPED after quit/netproxy_stop()/the duration, NETPROXY_ESYS if poll() fails. */
netproxy_result_t netproxy_run_for(netproxy_t *np, int64_t timeout_ms);
/* Makes netproxy_run_for() return NETPROXY_STOPPED. Async-signal-safe and thread-safe. */
void netproxy_stop(netproxy_t *np);
/* Queues a command for the loop. Async-signal-safe and thread-safe. */
void netproxy_command(netproxy_t *np, netproxy_cmd_t cmd);
void netproxy_get_stats(const netproxy_t *np, netproxy_stats_t *out);
/* "STATS connections=.. bytes_up=.. ..." without a newline. */
void netproxy_format_stats(const netproxy_stats_t *st, char *buf, size_t len);
const char *netproxy_strerror(netproxy_result_t r);

#endif
