/* Internal: the sync engine (sync/engine.h) and what its files share.
 *
 *   engine.c         config, new/free, status getters, cancel, run_once
 *   engine_thread.c  the background thread: start/stop/wake/network_changed, scheduling
 *   engine_run.c     one sync: attempts, backoff, whoami, pull
 *   engine_push.c    push: batches sized by link time, receipts, cut and poisoned batches
 *   engine_link.c    the link as the push measures it: upload rate, round trip, batch size,
 *                    timeouts, the cap a cut leaves
 *   engine_http.c    one request of the engine: URL, headers, progress counters
 *   engine_net.c     what the engine and sync_enroll (enroll.c) share: transport, URL check,
 *                    response bodies, error classification
 *   engine_cred.c    the store's enrollment: credential, server identity, receipt signatures
 *   engine_status.c  status, progress throttling, plain-words messages (id/en)
 *
 * Threads: `lock` guards status, the flags and the schedule; the callback runs without it.
 * Everything under "sync thread only" is touched by the one thread running a sync (run_lock
 * makes it one at a time): the store handle, the run state, batch sizing.
 * Ownership: the engine owns its copied config strings, its store handle and its transport.
 */
#ifndef SYNC_ENGINE_INTERNAL_H
#define SYNC_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "store_sync.h"
#include "sync/engine.h"
#include "transport_curl.h"

#define ENGINE_STR_(x) #x
#define ENGINE_STR(x) ENGINE_STR_(x)
/* The protocol header every request carries. */
#define ENGINE_HDR_PROTOCOL PROTO_HDR_PROTOCOL ": " ENGINE_STR(PROTO_VERSION)

#define ENGINE_MIN_BATCH_BYTES (8u * 1024) /* smallest configurable batch (a cut link goes below) */
#define ENGINE_INITIAL_RATIO 0.25        /* first guess of compressed / JSON bytes; each batch is
                                          * compressed and measured before it is sent */
#define ENGINE_NOTIFY_EVERY_MS 100
#define ENGINE_DETAIL_MAX 512

/* Why a request or a step failed, and what to do about it. */
typedef struct engine_fail {
  sync_err_t err;              /* NETWORK, SERVER, PROTOCOL, AUTH, CANCELLED, a store error ... */
  int retryable;               /* backoff and try again */
  int64_t retry_after_ms;      /* Retry-After / retry_after, -1 when not given */
  proto_errcode_t code;        /* the server's error code, PROTO_E_NONE when none */
  long http_status;            /* 0 when no response */
  char server_msg[256];        /* the server's message in the engine's language, "" if none */
  char detail[ENGINE_DETAIL_MAX]; /* technical detail for logs and sync_state */
} engine_fail_t;

/* A 2xx response, decoded. */
typedef struct engine_reply {
  long status;
  char *body;                  /* JSON (or form definition) text, NUL-terminated, malloc'd */
  size_t len;
} engine_reply_t;

/* The state of one sync (run_once, or one background run); sync thread only. */
typedef struct engine_run {
  int64_t start_seq;           /* greatest outbox seq when the run started */
  int64_t pending0, bytes0;    /* pending rows and payload bytes when it started */
  int64_t after_seq;           /* rows up to here were acknowledged or settled in this run */
  int64_t failed;              /* rows marked failed in this run */
  size_t split_limit;          /* poisoned batch: at most this many changes per batch (0: none) */
  int64_t split_end_seq;       /* ... until the rows of the refused batch are settled */
  int64_t warnings;
  int64_t requeued;            /* records the server's form set going again, not yet pushed */
  int cuts_in_row;             /* pushes cut by the link since the last answered one */
  sync_progress_t progress;
} engine_run_t;

/* What the push measured of the link (engine_link.c); sync thread only, kept across runs. */
typedef struct engine_link {
  double acc_bytes, acc_ms;    /* push bodies answered recently, and the link time they took */
  double bps;                  /* their rate, bytes/s; 0 until a push was answered */
  int64_t rtt_ms;              /* the quickest answered request without a body; 0 unknown */
  int64_t last_land_ms;        /* monotonic time the last push landed, answered or not */
  size_t cut_cap;              /* most compressed bytes per batch since a cut; 0 none */
  size_t cut_ceiling;          /* the smallest batch cut lately (it relaxes with answers) */
} engine_link_t;

struct sync_engine {
  /* Config, copied. */
  sync_engine_config_t cfg;    /* strings point at the copies below */
  char *store_path, *server_url, *ca_file, *pinned_pubkey;
  char language[4];

  /* From the store's enrollment (enroll.c), read once by sync_engine_new. */
  char device_id[PROTO_UUID_LEN + 1];
  char server_id[PROTO_UUID_LEN + 1];
  unsigned char receipt_key[32]; /* the server's Ed25519 public key */
  char auth_header[160];       /* "Authorization: Device <id>:<secret>" */
  sync_transport_t transport;
  sync_transport_t transport2; /* a second connection for pipelined pushes (built-in only) */

  /* Sync thread only. */
  sync_store_t *store;
  store_sync_t *ss;
  engine_run_t run;
  int failures;                /* consecutive failed attempts (reset by any success) */
  size_t budget;               /* compressed bytes of a batch before the link's rate is known */
  double ratio;                /* last observed compressed / JSON bytes */
  engine_link_t link;
  int whoami_ok;

  /* Shared, under lock. */
  pthread_mutex_t lock;
  pthread_cond_t cond;         /* CLOCK_MONOTONIC */
  pthread_mutex_t run_lock;    /* one sync at a time */
  sync_status_t status;
  int64_t last_notify_ms;      /* monotonic */
  int thread_running;
  int stop_requested;
  int wake_requested;
  int online;
  int backoff_reset;           /* network_changed(online): failures start from 0 */
  int64_t next_due_ms;         /* monotonic; 0 = none */
  pthread_t thread;
  volatile int cancel;
};

/* ---- engine_run.c ---------------------------------------------------------------------------- */

/* One sync: push everything, then pull until caught up. With `retry_inline` (run_once) retryable
 * failures are retried here with backoff up to max_attempts; without (background), the first
 * retryable failure returns its error and *retry_in_ms (else -1) says when to try again. */
sync_err_t engine_sync(sync_engine_t *e, int retry_inline, int64_t *retry_in_ms);
/* Sleeps up to ms unless cancelled or stopped; 1 if interrupted. */
int engine_sleep(sync_engine_t *e, int64_t ms);
int engine_cancelled(sync_engine_t *e);
int64_t engine_mono_ms(void);

/* ---- engine_push.c --------------------------------------------------------------------------- */

/* Pushes the outbox (rows after run.after_seq) until it is empty; SYNC_OK or a failure. */
sync_err_t engine_push(sync_engine_t *e, engine_fail_t *fail);

/* ---- engine_http.c --------------------------------------------------------------------------- */

/* One request in two halves, so that it can run on another thread: perform touches only the
 * call and the transport (thread-safe for different transports); finish runs on the sync thread
 * (progress counters, decoding, failure classification) and frees the raw response. */
typedef struct engine_call {
  const char *method;
  char path[PROTO_CURSOR_MAX + 96];
  const void *body;
  size_t len;
  int lz4;
  long timeout_ms;             /* whole request, 0: none (the transport's low-speed limit) */
  sync_http_response_t resp;   /* filled by perform */
  sync_err_t terr;             /* the transport's result */
  int64_t elapsed_ms;          /* how long perform took */
  int64_t body_sent;           /* body bytes that left (the built-in transport knows), else -1 */
  int64_t setup_ms;            /* of elapsed_ms, setting up a new connection (built-in), else 0 */
  int64_t tcp_connect_ms;      /* of that, the TCP handshake: one round trip (built-in), else 0 */
  int answer_started;          /* the response began, then broke (built-in transport), else 0 */
  int timed_out;               /* ended by timeout_ms (the built-in transport knows) */
  char detail[ENGINE_DETAIL_MAX];
} engine_call_t;

/* A request that gets no response counts as abandoned with the body bytes that left. */
void engine_call_perform(sync_engine_t *e, const sync_transport_t *t, engine_call_t *c);
sync_err_t engine_call_finish(sync_engine_t *e, engine_call_t *c, engine_reply_t *reply,
                              engine_fail_t *fail);

/* One request to server_url + path. body (may be NULL) is sent as is, with Content-Encoding: lz4
 * when `lz4`. SYNC_OK with a decoded 2xx body in *reply (free with engine_reply_free), else the
 * failure in *fail. Counts requests and wire bytes in the run's progress. */
sync_err_t engine_http(sync_engine_t *e, const char *method, const char *path, const void *body,
                       size_t len, int lz4, engine_reply_t *reply, engine_fail_t *fail);
void engine_reply_free(engine_reply_t *r);
/* A store error as a failure (not retryable; the store's errmsg as detail). */
sync_err_t engine_fail_store(sync_engine_t *e, engine_fail_t *f, sync_err_t err);

/* ---- engine_link.c --------------------------------------------------------------------------- */

/* An answered request: one without a body, or a TCP handshake, tells the round trip. */
void engine_link_request_done(sync_engine_t *e, const engine_call_t *c);
/* Compressed bytes of the next batch: BATCH_LINK_MS of link time at the measured rate (e->budget
 * before one is known), half when it is the first of two launched onto an idle link, within the
 * cut cap and batch_max_bytes. A batch always holds at least one change whatever this says. */
size_t engine_link_batch_bytes(const sync_engine_t *e, int first_of_two);
/* How long a push may take when `bytes_ahead` body bytes (its own and those of the batch in
 * flight before it) must cross the link first: three times what they need at the measured rate
 * (once, at 32 kbit/s, before a rate is known), four round trips, and low_speed_time_s. */
long engine_link_timeout_ms(const sync_engine_t *e, size_t bytes_ahead);
/* A push of `bytes` launched at t0 was answered at t1 (monotonic ms), after `setup_ms` setting up
 * its connection; `alone`: nothing else was in flight at its launch. Updates the rate and lets
 * the cut cap grow. */
void engine_link_landed(sync_engine_t *e, int64_t t0, int64_t t1, int64_t setup_ms, int alone,
                        size_t bytes);
/* A push of `bytes` got no answer at t1: when `cut` (the link ended it in the middle) batches are
 * capped at half of it; when `timed_out`, the rate is believed to be half. */
void engine_link_lost(sync_engine_t *e, int64_t t1, size_t bytes, int cut, int timed_out);

/* ---- engine_net.c (also used by enroll.c) ---------------------------------------------------- */

/* Fills a failure; returns err. */
sync_err_t engine_fail_set(engine_fail_t *f, sync_err_t err, int retryable, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
/* Checks a server URL: https, or http to loopback when allowed. */
sync_err_t engine_check_url(const char *url, int allow_plain_loopback, char *errbuf, size_t errlen);
/* A copy of `custom` when not NULL (its perform must be set), else a new libcurl transport with
 * `o`. Release with engine_transport_close. */
sync_err_t engine_transport_open(const sync_transport_t *custom, const transport_curl_opts_t *o,
                                 sync_transport_t *out, char *errbuf, size_t errlen);
void engine_transport_close(sync_transport_t *t);
/* Frees the malloc'd members of a response and clears it. */
void engine_response_clear(sync_http_response_t *r);
/* The body as NUL-terminated text: lz4 decoded per Content-Encoding, or a copy; capped. */
sync_err_t engine_decode_body(const sync_http_response_t *r, char **out, size_t *len, char *why,
                              size_t whylen);
/* A non-2xx reply: its error body (`body`, NULL when unreadable) decides, else it is a transport
 * problem (PROTOCOL.md 6). server_msg in `language` ("id"/"en"). Returns fail->err. */
sync_err_t engine_classify_error(const char *language, const sync_http_response_t *r,
                                 const char *body, size_t len, engine_fail_t *fail);

/* ---- engine_cred.c --------------------------------------------------------------------------- */

/* Reads the enrollment of the engine's store into e (device id, auth header, server id, receipt
 * key, and the server URL when the config gave none). SYNC_ERR_NOT_ENROLLED with errbuf. */
sync_err_t engine_load_credential(sync_engine_t *e, char **server_url, char *errbuf, size_t errlen);
/* Verifies the response signature over the Merkle root of its receipts that are not rejected
 * (SECURITY.md 7; the leaf of receipt i is built with hlcs[i], the hlc of the change sent) and
 * gives each such receipt its proof text: *proofs has resp->n_receipts entries, NULL for the
 * rejected ones; free with engine_proofs_free. SYNC_ERR_CRYPTO when the signature is missing or
 * does not verify (nothing may be acknowledged), SYNC_ERR_NOMEM. */
sync_err_t engine_receipt_proofs(const sync_engine_t *e, const proto_push_resp_t *resp,
                                 const char *const *hlcs, char ***proofs);
void engine_proofs_free(char **proofs, size_t n);

/* ---- engine_status.c ------------------------------------------------------------------------- */

typedef enum engine_msg {
  MSG_NONE,
  MSG_CONNECTING,
  MSG_PUSHING,
  MSG_PULLING,
  MSG_RETRY_OFFLINE,      /* %d seconds */
  MSG_RETRY_BUSY,
  MSG_RETRY_SERVER,
  MSG_RETRY_BAD_REPLY,
  MSG_RETRY_TLS,
  MSG_GAVE_UP_OFFLINE,
  MSG_GAVE_UP_SERVER,
  MSG_GAVE_UP_BAD_REPLY,
  MSG_GAVE_UP_TLS,
  MSG_AUTH,
  MSG_EXPIRED,
  MSG_REVOKED,
  MSG_RECEIPT_SIGNATURE,
  MSG_FORBIDDEN,
  MSG_PROTOCOL,
  MSG_STORE,
  MSG_CANCELLED,
  MSG_DEVICE_OFFLINE,
  MSG_REJECTED,           /* %lld rows */
  MSG_PURGED,             /* %lld records */
  MSG_STOPPED
} engine_msg_t;

/* The plain-words text of `msg` in the engine's language; `n` fills its number. */
void engine_message(const sync_engine_t *e, engine_msg_t msg, long long n, char *buf, size_t len);
/* Sets state, error and message (NULL: keep the message) and reports at once. */
void engine_set_state(sync_engine_t *e, sync_state_t state, sync_err_t err, const char *message);
/* Copies the run's progress and pending count into the status; reports when `force` or when
 * ENGINE_NOTIFY_EVERY_MS passed since the last report. */
void engine_progress(sync_engine_t *e, int force);
/* Calls the status callback with a snapshot (never under the lock). */
void engine_notify(sync_engine_t *e);

#endif
