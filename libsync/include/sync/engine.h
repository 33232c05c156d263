/* libsync — the sync engine: moves finalized records from a store to the central server and
 * applies what the server sends back (new form versions, central staff's status changes, merged
 * conflicts). Protocol: proto/PROTOCOL.md.
 *
 * Two ways to run it:
 *   - sync_engine_run_once(): one complete push + pull on the caller's thread; returns when the
 *     outbox is empty and the pull is caught up, or on the first error that retries cannot fix.
 *   - sync_engine_start(): a background thread that syncs now, then whenever woken
 *     (sync_engine_wake, sync_engine_network_changed) or every `interval_ms`, retrying with backoff.
 *
 * The engine opens its own store handle on `store_path`, so the caller's handle stays free for the
 * UI; SQLite serialises the writers.
 *
 * Ownership: sync_engine_new() returns a handle that sync_engine_free() releases (stopping the
 * thread first). The config is copied; its strings need not outlive the call. Status structs are
 * caller-owned copies.
 *
 * Threads: every function may be called from any thread. Callbacks run on the thread that runs
 * the sync (the caller's in run_once, the engine's own thread otherwise), except two reports that
 * run on the thread making the call that causes them: SYNC_STATE_STOPPED (from sync_engine_stop /
 * sync_engine_free) and SYNC_STATE_OFFLINE (from sync_engine_network_changed(engine, 0)). Keep
 * callbacks short and hand work to your UI thread (e.g. g_idle_add). Do not call
 * sync_engine_free() or sync_engine_stop() from a callback.
 */
#ifndef SYNC_ENGINE_H
#define SYNC_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sync_engine sync_engine_t;

typedef enum sync_state {
  SYNC_STATE_IDLE = 0,      /* nothing to do, or waiting for the next attempt */
  SYNC_STATE_OFFLINE,       /* the server cannot be reached; retrying with backoff */
  SYNC_STATE_CONNECTING,
  SYNC_STATE_PUSHING,
  SYNC_STATE_PULLING,
  SYNC_STATE_ERROR,         /* a failure retries cannot fix: last_error says which, e.g.
                             * SYNC_ERR_REVOKED (device revoked), SYNC_ERR_AUTH (credential refused
                             * or expired), SYNC_ERR_CRYPTO (a receipt signature did not verify) */
  SYNC_STATE_STOPPED
} sync_state_t;

/* Counts are truthful across interruptions: records_total is what waited in the outbox when the
 * run started plus what was added since; records_done counts changes the server has acknowledged
 * (receipts stored) in this run. Bytes are payload JSON bytes before compression. */
typedef struct sync_progress {
  int64_t records_done, records_total;
  int64_t bytes_done, bytes_total;
  int64_t pulled;               /* server items applied (forms, status changes, merges) */
  int64_t conflicts;            /* conflicts recorded for review in this run */
  int64_t wire_bytes_sent;      /* HTTP bodies as sent (compressed) */
  int64_t wire_bytes_received;
  int64_t requests;             /* HTTP requests made */
  /* Requests that got no response (the link cut them, they timed
   * out, or were cancelled) and the bytes of their bodies that left; both are also counted in
   * requests and wire_bytes_sent. */
  int64_t wire_bytes_abandoned;
  int64_t requests_abandoned;
  int64_t upload_bytes_per_s;   /* the upload rate the engine measured from the server's answers
                                 * (push bodies acknowledged per second of link time), 0 unknown */
} sync_progress_t;

typedef struct sync_status {
  sync_state_t state;
  sync_err_t last_error;        /* SYNC_OK when the last attempt succeeded */
  char message[256];            /* plain words for people, in the engine's language; "" when fine */
  int64_t last_success_ms;      /* end of the last complete sync, 0 if never */
  int64_t next_attempt_ms;      /* when the background thread tries again, 0 if not scheduled */
  int64_t pending;              /* changes still waiting in the outbox (after a run: as stored) */
  sync_progress_t progress;     /* of the current or last run */
  int64_t refused;              /* records refused for good, waiting for the officer (after a run
                                 * and at start; sync_record_resend / sync_record_revise) */
} sync_status_t;

/* Called on every state change and as progress moves (at most every ~100 ms, and always on the
 * final count of a run). */
typedef void (*sync_status_cb)(const sync_status_t *status, void *user_data);

/* ---- HTTP transport interface -------------------------------------------------------------
 * The built-in transport uses libcurl (TLS verification on, HTTP/2 when available, proxy settings
 * from the environment honoured, one connection reused). Embedders on Android/iOS may plug in
 * their platform's HTTP stack instead. */
typedef struct sync_http_request {
  const char *method;           /* "GET" / "POST" */
  const char *url;              /* absolute */
  const char *const *headers;   /* "Name: value" lines */
  size_t header_count;
  const void *body;
  size_t body_len;
  long timeout_ms;              /* whole request; 0: none (low-speed limits still apply) */
} sync_http_request_t;

typedef struct sync_http_response {
  long status;                  /* HTTP status, 0 when no response arrived */
  char *content_encoding;       /* malloc'd header value or NULL */
  long retry_after_s;           /* Retry-After in seconds, -1 if absent */
  unsigned char *body;          /* malloc'd, body_len bytes (not decoded) */
  size_t body_len;
} sync_http_response_t;

typedef struct sync_transport {
  /* Performs one request. Returns SYNC_OK when a response (any status) arrived, SYNC_ERR_NETWORK
   * when none did, SYNC_ERR_CANCELLED when `cancel` became non-zero. The engine frees the
   * response's malloc'd members with free(). */
  sync_err_t (*perform)(void *ctx, const sync_http_request_t *req, sync_http_response_t *resp,
                        const volatile int *cancel, char *errbuf, size_t errlen);
  void (*destroy)(void *ctx);   /* may be NULL */
  void *ctx;
} sync_transport_t;

typedef struct sync_engine_config {
  const char *store_path;       /* required */
  const char *store_passphrase; /* required: opens the engine's own store handle */
  const char *server_url;       /* e.g. "https://pusat.example.id" ("/v1/..." is appended); NULL:
                                 * the URL the store was enrolled with (sync_enroll). The device
                                 * credential and the server's receipt key always come from the
                                 * store: an unenrolled store gives SYNC_ERR_NOT_ENROLLED */
  const char *ca_file;          /* PEM bundle to trust instead of the system store; NULL: system */
  const char *pinned_pubkey;    /* "sha256//base64[;sha256//...]"; NULL: no pinning */
  int allow_plain_http_loopback;/* permit http:// to 127.0.0.1/::1/localhost (development, tests) */
  const char *language;         /* "id" (default) or "en": status messages */
  long connect_timeout_ms;      /* default 15000 */
  long low_speed_bytes_per_s;   /* abort a request slower than this ... default 64 */
  long low_speed_time_s;        /* ... for this long; default 60. A push is instead given what
                                 * the measured link needs plus this long (PROTOCOL.md 7) */
  size_t batch_initial_bytes;   /* compressed bytes of a batch before the link's rate is known
                                 * (then ~3 s of link time); default 64 KiB */
  size_t batch_max_bytes;       /* default 1 MiB */
  int max_attempts;             /* run_once: consecutive failed attempts before giving up; default 5 */
  long backoff_base_ms;         /* default 1000 */
  long backoff_max_ms;          /* default 300000 */
  long interval_ms;             /* background: sync at least this often; default 15 min, 0 = only when woken */
  size_t pull_page_limit;       /* items per pull page; default 100 */
  sync_status_cb on_status;     /* may be NULL */
  void *user_data;
  const sync_transport_t *transport; /* NULL: the built-in libcurl transport; copied */
} sync_engine_config_t;

/* Fills `config` with the defaults above (required fields NULL). */
SYNC_API void sync_engine_config_init(sync_engine_config_t *config);

/* Checks the config and opens the engine's store handle. *out is NULL on failure; `errbuf` (may
 * be NULL) receives the detail, e.g. "plain http:// is refused except to loopback".
 * SYNC_ERR_PASSPHRASE, SYNC_ERR_NOT_ENROLLED as for the store. */
SYNC_API sync_err_t sync_engine_new(const sync_engine_config_t *config, sync_engine_t **out,
                                    char *errbuf, size_t errlen);

/* Stops the background thread if running, then releases everything. NULL is a no-op. */
SYNC_API void sync_engine_free(sync_engine_t *engine);

/* One full sync on the calling thread: push the whole outbox, then pull until caught up. Retries
 * transient failures with backoff up to `max_attempts`. SYNC_ERR_CANCELLED after sync_engine_cancel(). */
SYNC_API sync_err_t sync_engine_run_once(sync_engine_t *engine);

/* Background thread. start is idempotent; stop cancels any request in flight and joins. */
SYNC_API sync_err_t sync_engine_start(sync_engine_t *engine);
SYNC_API void sync_engine_stop(sync_engine_t *engine);

/* Ask the background thread to sync now (e.g. "Sync now" button, a record was finalized). */
SYNC_API void sync_engine_wake(sync_engine_t *engine);
/* A hint from the platform that connectivity changed: when `online`, the backoff is reset and a
 * sync starts at once; when not, the engine reports SYNC_STATE_OFFLINE without trying. */
SYNC_API void sync_engine_network_changed(sync_engine_t *engine, int online);

/* Cancels the sync in progress (either mode) as soon as possible; nothing acknowledged is lost. */
SYNC_API void sync_engine_cancel(sync_engine_t *engine);

/* A copy of the current status. */
SYNC_API void sync_engine_status(sync_engine_t *engine, sync_status_t *out);

/* A static name for a state ("idle", "offline", ...), for logs. */
SYNC_API const char *sync_state_name(sync_state_t state);

#ifdef __cplusplus
}
#endif
#endif
