/* A tiny scripted HTTP/1.1 server on 127.0.0.1 for the engine's bad-response tests: a thread per
 * connection (keep-alive), every request handed to a callback (one at a time) that writes the raw
 * response bytes (so it can answer garbage, truncate, or hang up). fake_protocol_* build correct
 * protocol answers with the codec, for the requests a test does not want to break. */
#ifndef SYNC_FAKE_SERVER_H
#define SYNC_FAKE_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_MAX_REQUESTS 1024
#define FAKE_MAX_CONNS 256

typedef struct fake_request {
  char method[8];
  char path[256];
  char content_encoding[32];
  char authorization[160];
  char *body;               /* as received; decoded copy in json (lz4 undone), both NUL-terminated */
  size_t len;
  char *json;
  size_t json_len;
  int index;                /* 0-based request number */
} fake_request_t;

typedef struct fake_response {
  char *raw;                /* malloc'd bytes to write */
  size_t len;
  int close_after;          /* hang up after writing */
  int delay_ms;             /* wait before writing */
} fake_response_t;

typedef void (*fake_handler_fn)(void *ctx, const fake_request_t *req, fake_response_t *resp);

typedef struct fake_server {
  int port;
  char url[64];
  int listen_fd;
  int stop_pipe[2];
  pthread_t thread;
  fake_handler_fn fn;
  void *ctx;
  pthread_mutex_t lock;
  pthread_mutex_t handler_lock;
  pthread_t conns[FAKE_MAX_CONNS];
  int n_conns;
  int n_requests;
  int64_t at_ms[FAKE_MAX_REQUESTS];   /* monotonic time each request arrived */
  char paths[FAKE_MAX_REQUESTS][48];
} fake_server_t;

int fake_start(fake_server_t *f, fake_handler_fn fn, void *ctx);
void fake_stop(fake_server_t *f);
int fake_count(fake_server_t *f, const char *path_prefix);

/* A whole response: status line, Content-Type, Content-Length, extra header lines ("Name: v\r\n"
 * each, may be NULL) and the body. */
void fake_respond(fake_response_t *r, int status, const char *extra_headers, const void *body,
                  size_t len);

/* The fake's identity: receipts are signed by FAKE_SERVER_ID with a fixed Ed25519 key, whose
 * public half (base64) fake_receipt_key() gives, for the store's enrollment (fx_enroll_direct). */
#define FAKE_SERVER_ID "5e1f0000-0000-4000-8000-00000000fa4e"
void fake_receipt_key(char out[45]);

/* Correct protocol answers for device `device_id`. */
void fake_protocol_whoami(fake_response_t *r, const char *device_id);
void fake_protocol_pull_empty(fake_response_t *r);
/* Signed receipts "stored" for every change of the push in req (server_seq from *seq on); `reject`
 * (may be NULL) decides per change: 0 stored, 1 rejected for good, 2 rejected retryable. */
typedef int (*fake_reject_fn)(void *ctx, const char *uuid, int64_t revision);
int fake_protocol_push(fake_response_t *r, const fake_request_t *req, int64_t *seq,
                       fake_reject_fn reject, void *ctx);
/* The number of changes in a push request, -1 if it does not decode. */
int fake_push_count(const fake_request_t *req);
/* 1 if the push holds a change of record `uuid`. */
int fake_push_has(const fake_request_t *req, const char *uuid);
/* An error body {"error": {...}} with `code`, retryable and (>= 0) retry_after. */
void fake_protocol_error(fake_response_t *r, int status, const char *code, int retryable,
                         int retry_after, const char *extra_headers);

#endif
