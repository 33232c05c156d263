/* Helpers for test_netproxy: a loopback test server (echo, sink, source) on its own threads, a
 * netproxy running on a thread, and a client that sends and receives at the same time.
 * Everything listens on and connects to 127.0.0.1 only. */
#ifndef NETPROXY_TESTNET_H
#define NETPROXY_TESTNET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "netproxy.h"

#define TN_MAX_CONNS 32

typedef enum tn_mode {
  TN_ECHO,   /* sends back what it reads; EOF after the peer's EOF */
  TN_SINK,   /* reads to EOF, records count and checksum */
  TN_SOURCE, /* sends source_bytes of tn_fill(source_seed) then EOF; drains input */
} tn_mode_t;

typedef struct tn_result {
  uint64_t bytes;    /* read from the peer */
  uint64_t checksum; /* tn_checksum of what was read */
  int end_errno;     /* 0: EOF, else the read error */
} tn_result_t;

typedef struct tn_server {
  tn_mode_t mode;
  size_t source_bytes;
  uint64_t source_seed;
  int port;
  int listen_fd;
  int stop_pipe[2];
  pthread_t thread;
  pthread_mutex_t lock;
  atomic_int accepted;
  atomic_int finished;
  int fds[TN_MAX_CONNS];
  pthread_t conn_threads[TN_MAX_CONNS];
  tn_result_t results[TN_MAX_CONNS];
} tn_server_t;

int tn_server_start(tn_server_t *s, tn_mode_t mode);
void tn_server_stop(tn_server_t *s);
/* Waits (bounded by timeout_ms) until n connections have finished; 0 when they have. */
int tn_server_wait_finished(tn_server_t *s, int n, int timeout_ms);

typedef struct tn_proxy {
  netproxy_t *np;
  pthread_t thread;
  netproxy_result_t result;
} tn_proxy_t;

/* netproxy_new + a thread running netproxy_run_for(-1). Returns the netproxy_new result. */
netproxy_result_t tn_proxy_start(tn_proxy_t *p, const netproxy_opts_t *opts);
void tn_proxy_stop(tn_proxy_t *p);

/* "127.0.0.1:<port>" in a static buffer per call site (buf given). */
const char *tn_addr(char *buf, size_t len, int port);
/* A connected blocking socket to 127.0.0.1:port, or -1. */
int tn_connect(int port);

typedef struct tn_pump {
  size_t sent;
  size_t received;
  int end_errno;  /* 0: clean EOF; ECONNRESET, EPIPE, ETIMEDOUT ... */
  int64_t end_ms; /* when the pump ended (tn_now_ms clock) */
} tn_pump_t;

/* Sends send[0..send_len) (then shutdown(SHUT_WR) unless keep_open) while reading into
 * recv_buf (bytes past recv_cap are counted and dropped) until EOF, an error, timeout_ms, or,
 * when until_bytes > 0, until that many bytes have arrived (end_errno 0). */
void tn_pump(int fd, const void *send_buf, size_t send_len, int keep_open, void *recv_buf,
             size_t recv_cap, size_t until_bytes, int timeout_ms, tn_pump_t *out);

int64_t tn_now_ms(void);
void tn_sleep_ms(int ms);
/* Deterministic pseudo-random bytes. */
void tn_fill(void *buf, size_t len, uint64_t seed);
/* FNV-1a, continued from h (start with TN_CHECKSUM_INIT). */
#define TN_CHECKSUM_INIT 1469598103934665603ull
uint64_t tn_checksum(uint64_t h, const void *buf, size_t len);

#endif
