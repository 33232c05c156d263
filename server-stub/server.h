/* The request handler of syncserver, independent of the HTTP library: a request from memory
 * (method, path, headers, query, body) in, a response (status, headers, body) out. http.c feeds
 * it from libmicrohttpd; the fuzz target and unit tests call it directly.
 *
 * Two steps so that the HTTP layer can refuse a request before reading its body:
 *   srv_begin()  routing, protocol header, credential, Content-Type/-Encoding/-Length (no body)
 *   srv_finish() decompression and the endpoint itself (body)
 * srv_handle() does both.
 *
 * Ownership: the request is borrowed; the response's body is malloc'd and released by
 * srv_response_clear(). Threads: any number of threads may call into one srv_t at once.
 */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "db.h"

typedef struct srv srv_t;

typedef struct srv_config {
  const char *db_path;
  int db_flags;        /* DB_OPEN_* (DB_OPEN_CREATE is implied) */
  int pool_size;       /* database connections; 0 = 5 */
  int silent_days;     /* dashboard: devices silent longer are highlighted; 0 = 14 */
  int session_hours;   /* dashboard session lifetime; 0 = 8 */
  int secure_cookies;  /* served over TLS: the session cookie gets Secure */
  int auth_fail_limit; /* failed authentications per client address in 10 minutes before 429;
                        * 0 = 10; a network (/24, /64) gets 3x this */
} srv_config_t;

sync_err_t srv_open(const srv_config_t *cfg, srv_t **out, char *err, size_t errlen);
void srv_close(srv_t *s);
/* While set, every new request is answered 503 server_busy with Connection: close. */
void srv_set_stopping(srv_t *s, int stopping);
const char *srv_server_id(const srv_t *s);

typedef struct srv_kv {
  const char *name;
  const char *value;
} srv_kv_t;

typedef struct srv_request {
  const char *method;
  const char *path;             /* without the query string */
  const srv_kv_t *headers;
  size_t n_headers;
  const srv_kv_t *query;        /* decoded query arguments */
  size_t n_query;
  const char *body;
  size_t body_len;
  const char *peer;             /* for logs ("addr:port"); may be NULL */
  const char *addr;             /* client address without port: the rate limit's key; NULL = "-" */
} srv_request_t;

typedef struct srv_response {
  int status;
  char *body;                   /* NULL for no body */
  size_t body_len;
  int lz4;                      /* body is an LZ4 frame: Content-Encoding: lz4 */
  const char *allow;            /* Allow header (405) */
  int www_authenticate;         /* WWW-Authenticate: Device realm="libsync" (401) */
  int retry_after;              /* Retry-After seconds; 0 = none */
  char etag[PROTO_SHA256_LEN + 3];
  int close;                    /* Connection: close */
  /* dashboard (browser) responses */
  const char *content_type;     /* NULL: application/json */
  int html;                     /* add the browser security headers (CSP, nosniff, ...) */
  char set_cookie[256];         /* Set-Cookie value; "" = none */
  char location[512];           /* Location (redirects); "" = none */
  /* for the request log line */
  char device_id[PROTO_UUID_LEN + 1];
  char code[PROTO_CODE_MAX + 1];
  char detail[192];
} srv_response_t;

typedef enum srv_route {
  ROUTE_NONE = 0, ROUTE_HEALTH, ROUTE_WHOAMI, ROUTE_PUSH, ROUTE_PULL, ROUTE_FORMS, ROUTE_FORM_GET,
  ROUTE_ENROLL,                 /* POST /v1/enroll: no credential, a body */
  ROUTE_DASHBOARD               /* /dashboard and below: central staff's web page (dash.c) */
} srv_route_t;

/* State carried from srv_begin to srv_finish. */
typedef struct srv_call {
  srv_route_t route;
  int accept_lz4;
  int body_lz4;
  db_device_t device;
  char form_id[PROTO_FORM_ID_MAX + 1];
  int form_version;
} srv_call_t;

/* 1: `resp` is final (an error, or an endpoint that needs no body); 0: read the body and call
 * srv_finish. `resp` must be zeroed by the caller. */
int srv_begin(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *resp);
void srv_finish(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *resp);
void srv_handle(srv_t *s, const srv_request_t *req, srv_response_t *resp);
/* An error response for a body over PROTO_MAX_BODY_WIRE (the HTTP layer's running check). */
void srv_too_large(srv_t *s, srv_call_t *call, srv_response_t *resp);
void srv_response_clear(srv_response_t *r);

/* Case-insensitive header lookup; NULL when absent. */
const char *srv_header(const srv_request_t *req, const char *name);

/* ---- credentials (auth.c) ---- */

/* A new device secret (43 characters of base64url, 32 random bytes) and its SHA-256. */
int auth_new_secret(char secret[PROTO_SECRET_LEN + 1], unsigned char sha256[32]);
void auth_hash_secret(const char *secret, unsigned char sha256[32]);

#endif
