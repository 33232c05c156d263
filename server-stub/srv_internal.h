/* Internal to the request handler (request.c, handlers_*.c, forms_cache.c, auth.c). */
#ifndef SRV_INTERNAL_H
#define SRV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "form_def.h"
#include "ratelimit.h"
#include "server.h"

typedef struct form_entry form_entry_t;

struct srv {
  db_pool_t *pool;
  int silent_days;             /* dashboard settings (srv_config_t) */
  int session_hours;
  int secure_cookies;
  char server_id[PROTO_UUID_LEN + 1];
  db_keys_t keys;              /* receipt signing, duplicate key (read at open, wiped at close) */
  ratelimit_t *auth_limit;     /* failed authentication per client address */
  int cfg_auth_fail_limit;
  atomic_int stopping;
  pthread_mutex_t forms_lock;
  form_entry_t *forms;         /* parsed form versions (immutable once published) */
};

/* ---- responses (request.c) ---- */

/* A 2xx/3xx JSON response; takes ownership of json (NULL = out of memory → 500). */
void resp_json(srv_response_t *r, int status, char *json, size_t len);
/* An error response with the table's messages, or the given ones (both or neither). */
void resp_error(srv_response_t *r, proto_errcode_t code, const char *msg_id, const char *msg_en);
/* A retryable error (rate_limited, server_busy) with Retry-After and retry_after = seconds. */
void resp_retry(srv_response_t *r, proto_errcode_t code, int seconds);
/* An error response from a decoder's result: server_busy when it ran out of memory (the body
 * may be fine), else its diagnosis. */
void resp_decode_error(srv_response_t *r, sync_err_t e, const proto_diag_t *diag);
/* 500/503 from a storage failure (SYNC_ERR_BUSY → 503 with Retry-After). */
void resp_db_error(srv_response_t *r, sync_err_t e, const char *what);

/* ---- endpoints (handlers_*.c) ---- */

void handle_health(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r);
void handle_whoami(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r);
void handle_push(srv_t *s, const char *json, size_t len, srv_call_t *call, srv_response_t *r);
void handle_enroll(srv_t *s, const srv_request_t *req, const char *json, size_t len,
                   srv_response_t *r);
void handle_pull(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r);
void handle_forms_list(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r);
void handle_form_get(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r);

/* ---- the dashboard for central staff (dash.c) ---- */

/* Like srv_begin for /dashboard...: 1 when `r` is final (GET pages, refusals), 0 when a POST's
 * form body must be read and given to dash_finish. */
int dash_begin(srv_t *s, const srv_request_t *req, srv_response_t *r);
void dash_finish(srv_t *s, const srv_request_t *req, srv_response_t *r);

/* ---- forms (forms_cache.c) ---- */

/* The parsed form version, cached for the life of the server. SYNC_ERR_NOT_FOUND when it is not
 * published. The form stays valid until srv_close. */
sync_err_t forms_lookup(srv_t *s, db_conn_t *c, const char *form_id, int version,
                        const form_t **out);
void forms_cache_free(srv_t *s);
/* db_validate_fn over the cache; ctx is a forms_vctx_t. */
typedef struct forms_vctx {
  srv_t *s;
  db_conn_t *c;
} forms_vctx_t;
sync_err_t forms_validate(void *ctx, const char *form_id, int version, const char *payload,
                          issue_list_t *issues);
int32_t forms_today(void);

/* ---- credentials (auth.c) ---- */

typedef enum auth_result {
  AUTH_OK, AUTH_UNAUTHORIZED, AUTH_REVOKED, AUTH_EXPIRED, AUTH_FAILED
} auth_result_t;
/* Checks an Authorization header value at time `now`; fills dev on AUTH_OK/AUTH_REVOKED/
 * AUTH_EXPIRED (dev->device_id also for AUTH_UNAUTHORIZED when the header named one). `why` gets
 * the reason for the log (never for the client). */
auth_result_t auth_check(db_conn_t *c, const char *header, int64_t now, db_device_t *dev,
                         char *why, size_t whylen);
/* A refused credential or enrollment code: the log line `auth_failure addr= device= reason=`, a
 * security log row, and, when `counted` (a 401), one failure for the client's rate limit. */
void auth_failure(srv_t *s, db_conn_t *c, const srv_request_t *req, const char *device_id,
                  const char *reason, int counted);
/* 1 (and `r` is a 429 rate_limited with Retry-After) when the client's address is blocked. */
int auth_rate_limited(srv_t *s, const srv_request_t *req, srv_response_t *r);

/* ---- receipts (handlers_push.c) ---- */

/* The response signature (SECURITY.md 7, receipt_leaves.h): one Ed25519 signature over the Merkle
 * root of every receipt's leaves, refusals and conflicts included; changes[i].hlc is receipt i's
 * change's. */
sync_err_t receipts_sign(const srv_t *s, const char *device_id, const proto_receipt_t *receipts,
                         const proto_change_t *changes, size_t n,
                         char sig_b64[PROTO_SIG_B64_LEN + 1]);

#endif
