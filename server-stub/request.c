/* The request handler (server.h): routing, protocol version, credentials, body decoding, error
 * bodies and response compression. Endpoints live in handlers_*.c. */
#include "srv_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "log.h"

#define LZ4_MIN_RESPONSE 256  /* smaller bodies are sent plain (PROTOCOL.md 1.1) */
#define BUSY_RETRY_AFTER 5    /* seconds, while shutting down or when the database is locked */

/* ---- server object ------------------------------------------------------------------------ */

sync_err_t srv_open(const srv_config_t *cfg, srv_t **out, char *err, size_t errlen)
{
  *out = NULL;
  srv_t *s = calloc(1, sizeof *s);
  if (!s)
    return SYNC_ERR_NOMEM;
  pthread_mutex_init(&s->forms_lock, NULL);
  atomic_init(&s->stopping, 0);
  sync_err_t e = db_pool_open(cfg->db_path, cfg->db_flags | DB_OPEN_CREATE,
                              cfg->pool_size > 0 ? cfg->pool_size : 5, &s->pool, err, errlen);
  if (e != SYNC_OK) {
    pthread_mutex_destroy(&s->forms_lock);
    free(s);
    return e;
  }
  s->silent_days = cfg->silent_days > 0 ? cfg->silent_days : 14;
  s->session_hours = cfg->session_hours > 0 ? cfg->session_hours : 8;
  s->secure_cookies = cfg->secure_cookies;
  s->cfg_auth_fail_limit = cfg->auth_fail_limit > 0 ? cfg->auth_fail_limit : 10;
  ratelimit_cfg_t rl;
  ratelimit_cfg_init(&rl, s->cfg_auth_fail_limit);
  if (!(s->auth_limit = ratelimit_new(&rl))) {
    srv_close(s);
    return SYNC_ERR_NOMEM;
  }
  db_conn_t *c = db_pool_acquire(s->pool);
  e = c ? db_keys_get(c, &s->keys) : SYNC_ERR_DB;
  if (e != SYNC_OK)
    snprintf(err, errlen, "%s: the server keys cannot be read: %s", cfg->db_path,
             c ? db_keys_error(c) : sync_strerror(e));
  if (c)
    snprintf(s->server_id, sizeof s->server_id, "%s", db_server_id(c));
  db_pool_release(s->pool, c);
  if (e != SYNC_OK) {
    srv_close(s);
    return e;
  }
  *out = s;
  return SYNC_OK;
}

void srv_close(srv_t *s)
{
  if (!s)
    return;
  db_pool_close(s->pool);
  forms_cache_free(s);
  ratelimit_free(s->auth_limit);
  db_keys_wipe(&s->keys);
  pthread_mutex_destroy(&s->forms_lock);
  free(s);
}

void srv_set_stopping(srv_t *s, int stopping)
{
  atomic_store(&s->stopping, stopping ? 1 : 0);
}

const char *srv_server_id(const srv_t *s)
{
  return s->server_id;
}

const char *srv_header(const srv_request_t *req, const char *name)
{
  for (size_t i = 0; i < req->n_headers; i++)
    if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value ? req->headers[i].value : "";
  return NULL;
}

void srv_response_clear(srv_response_t *r)
{
  free(r->body);
  memset(r, 0, sizeof *r);
}

/* ---- responses ---------------------------------------------------------------------------- */

void resp_json(srv_response_t *r, int status, char *json, size_t len)
{
  free(r->body);
  r->body = NULL;
  r->body_len = 0;
  if (!json) {
    resp_error(r, PROTO_E_INTERNAL, NULL, NULL);
    snprintf(r->detail, sizeof r->detail, "out of memory");
    return;
  }
  r->status = status;
  r->body = json;
  r->body_len = len;
}

static void resp_error_obj(srv_response_t *r, const proto_error_t *err)
{
  free(r->body);
  r->body = NULL;
  r->body_len = 0;
  r->status = proto_errcode_http_status(err->code);
  if (r->status == 0)
    r->status = 400;
  snprintf(r->code, sizeof r->code, "%s", proto_errcode_text(err->code));
  if (err->retry_after > 0)
    r->retry_after = (int)err->retry_after;
  if (err->code == PROTO_E_UNAUTHORIZED)
    r->www_authenticate = 1;
  if (proto_error_encode(err, &r->body, &r->body_len) != SYNC_OK) {
    static const char fallback[] =
      "{\"error\":{\"code\":\"internal\",\"message\":{\"id\":\"Terjadi kesalahan di server.\","
      "\"en\":\"Internal server error.\"},\"retryable\":true}}";
    r->status = 500;
    r->body = strdup(fallback);
    r->body_len = r->body ? strlen(fallback) : 0;
  }
}

static void resp_error_after(srv_response_t *r, proto_errcode_t code, const char *msg_id,
                             const char *msg_en, int retry_after)
{
  proto_error_t *err = err_new(code, msg_id, msg_en);
  if (!err) {
    r->status = 500;
    return;
  }
  if (code == PROTO_E_RATE_LIMITED || code == PROTO_E_SERVER_BUSY)
    err->retry_after = retry_after;
  if (code == PROTO_E_UNSUPPORTED_PROTOCOL) {
    err->supported_protocols[0] = PROTO_VERSION;
    err->n_supported_protocols = 1;
  }
  resp_error_obj(r, err);
  err_free(err);
}

void resp_error(srv_response_t *r, proto_errcode_t code, const char *msg_id, const char *msg_en)
{
  resp_error_after(r, code, msg_id, msg_en, BUSY_RETRY_AFTER);
}

void resp_retry(srv_response_t *r, proto_errcode_t code, int seconds)
{
  resp_error_after(r, code, NULL, NULL, seconds > 0 ? seconds : 1);
}

void resp_decode_error(srv_response_t *r, sync_err_t e, const proto_diag_t *diag)
{
  if (e == SYNC_ERR_NOMEM) {
    resp_error(r, PROTO_E_SERVER_BUSY, NULL, NULL);
    return;
  }
  proto_errcode_t code = diag->code;
  if (code == PROTO_E_NONE || code == PROTO_E_UNKNOWN)
    code = PROTO_E_BAD_REQUEST;
  char id[PROTO_ERRMSG_MAX + 128], en[PROTO_ERRMSG_MAX + 128];
  const char *base_id = proto_errcode_message(code, "id");
  if (diag->msg[0]) {
    snprintf(id, sizeof id, "%s (%s)", base_id ? base_id : "", diag->msg);
    snprintf(en, sizeof en, "%s", diag->msg);
  } else {
    snprintf(id, sizeof id, "%s", base_id ? base_id : "");
    snprintf(en, sizeof en, "%s", proto_errcode_message(code, "en"));
  }
  resp_error(r, code, id, en);
  snprintf(r->detail, sizeof r->detail, "%.180s", diag->msg);
}

void resp_db_error(srv_response_t *r, sync_err_t e, const char *what)
{
  if (e == SYNC_ERR_BUSY) {
    resp_error(r, PROTO_E_SERVER_BUSY, NULL, NULL);
  } else {
    resp_error(r, PROTO_E_INTERNAL, NULL, NULL);
  }
  snprintf(r->detail, sizeof r->detail, "%s: %s", what, sync_strerror(e));
}

void srv_too_large(srv_t *s, srv_call_t *call, srv_response_t *resp)
{
  (void)s;
  char id[200], en[200];
  snprintf(id, sizeof id, "Kiriman terlalu besar (maksimum %u byte terkompresi, %u byte JSON).",
           PROTO_MAX_BODY_WIRE, PROTO_MAX_BODY);
  snprintf(en, sizeof en,
           "Request body too large (at most %u compressed bytes, %u bytes of JSON).",
           PROTO_MAX_BODY_WIRE, PROTO_MAX_BODY);
  resp_error(resp, PROTO_E_BODY_TOO_LARGE, id, en);
  resp->close = 1;
  (void)call;
}

/* Compresses the body when the client accepts lz4 and it is worth it. */
static void finish_response(const srv_call_t *call, srv_response_t *r)
{
  if (!call->accept_lz4 || r->lz4 || !r->body || r->body_len < LZ4_MIN_RESPONSE || r->html)
    return;
  char *z = NULL;
  size_t zlen = 0;
  if (codec_lz4_compress(r->body, r->body_len, 0, &z, &zlen) != SYNC_OK)
    return; /* plain is always acceptable */
  free(r->body);
  r->body = z;
  r->body_len = zlen;
  r->lz4 = 1;
}

/* ---- header parsing ----------------------------------------------------------------------- */

/* 1 if the comma-separated list holds `token` with a non-zero q (case-insensitive). */
static int list_has_token(const char *list, const char *token)
{
  size_t tlen = strlen(token);
  const char *p = list;
  while (p && *p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *end = p;
    while (*end && *end != ',')
      end++;
    const char *tok_end = p;
    while (tok_end < end && *tok_end != ';' && *tok_end != ' ' && *tok_end != '\t')
      tok_end++;
    if ((size_t)(tok_end - p) == tlen && strncasecmp(p, token, tlen) == 0) {
      const char *q = tok_end;
      while (q < end && (*q == ' ' || *q == ';' || *q == '\t'))
        q++;
      int zero = 0;
      if (q + 1 < end && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
        double v = strtod(q + 2, NULL);
        zero = v <= 0.0;
      }
      if (!zero)
        return 1;
    }
    p = end;
  }
  return 0;
}

/* application/json with optional parameters (charset=utf-8 only). */
static int content_type_ok(const char *ct)
{
  if (!ct)
    return 0;
  while (*ct == ' ')
    ct++;
  size_t n = strlen(PROTO_CONTENT_TYPE);
  if (strncasecmp(ct, PROTO_CONTENT_TYPE, n) != 0)
    return 0;
  const char *p = ct + n;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0')
    return 1;
  if (*p != ';')
    return 0;
  p++;
  while (*p == ' ' || *p == '\t')
    p++;
  if (strncasecmp(p, "charset=", 8) != 0)
    return 0;
  p += 8;
  if (*p == '"')
    p++;
  return strncasecmp(p, "utf-8", 5) == 0 || strncasecmp(p, "utf8", 4) == 0;
}

static int parse_nonneg(const char *s, long long max, long long *out)
{
  if (!s)
    return -1;
  while (*s == ' ')
    s++;
  if (!isdigit((unsigned char)*s))
    return -1;
  long long v = 0;
  for (; isdigit((unsigned char)*s); s++) {
    v = v * 10 + (*s - '0');
    if (v > max)
      return -2; /* too big */
  }
  while (*s == ' ')
    s++;
  if (*s)
    return -1;
  *out = v;
  return 0;
}

/* ---- routing ------------------------------------------------------------------------------ */

static int valid_form_id(const char *s, size_t n)
{
  if (n < 1 || n > PROTO_FORM_ID_MAX || s[0] < 'a' || s[0] > 'z')
    return 0;
  for (size_t i = 1; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return 0;
  return 1;
}

/* Returns the route, or ROUTE_NONE with *bad_form set for /v1/forms/x/y with a bad id/version. */
static srv_route_t route_of(const char *path, srv_call_t *call, int *bad_form)
{
  *bad_form = 0;
  if (!path)
    return ROUTE_NONE;
  if (strcmp(path, PROTO_PATH_HEALTH) == 0)
    return ROUTE_HEALTH;
  if (strcmp(path, PROTO_PATH_WHOAMI) == 0)
    return ROUTE_WHOAMI;
  if (strcmp(path, PROTO_PATH_PUSH) == 0)
    return ROUTE_PUSH;
  if (strcmp(path, PROTO_PATH_PULL) == 0)
    return ROUTE_PULL;
  if (strcmp(path, PROTO_PATH_ENROLL) == 0)
    return ROUTE_ENROLL;
  if (strcmp(path, PROTO_PATH_FORMS) == 0)
    return ROUTE_FORMS;
  if (strcmp(path, "/dashboard") == 0 || strncmp(path, "/dashboard/", 11) == 0)
    return ROUTE_DASHBOARD;
  size_t plen = strlen(PROTO_PATH_FORMS);
  if (strncmp(path, PROTO_PATH_FORMS "/", plen + 1) != 0)
    return ROUTE_NONE;
  const char *id = path + plen + 1;
  const char *slash = strchr(id, '/');
  if (!slash || strchr(slash + 1, '/'))
    return ROUTE_NONE;
  long long v;
  if (!valid_form_id(id, (size_t)(slash - id)) || slash[1] == '0' ||
      parse_nonneg(slash + 1, 2147483647LL, &v) != 0 || v < 1) {
    *bad_form = 1;
    return ROUTE_FORM_GET;
  }
  memcpy(call->form_id, id, (size_t)(slash - id));
  call->form_id[slash - id] = '\0';
  call->form_version = (int)v;
  return ROUTE_FORM_GET;
}

static int check_protocol_header(const srv_request_t *req, srv_response_t *r)
{
  const char *v = srv_header(req, PROTO_HDR_PROTOCOL);
  if (!v)
    return 0;
  long long n;
  int rc = parse_nonneg(v, 1000000000LL, &n);
  if (rc == 0 && n == PROTO_VERSION)
    return 0;
  if (rc == -1) {
    resp_error(r, PROTO_E_BAD_REQUEST, "Tajuk X-Sync-Protocol tidak sah.",
               "Invalid X-Sync-Protocol header.");
    return 1;
  }
  char id[200], en[200];
  snprintf(id, sizeof id,
           "Versi protokol %.20s tidak didukung server ini. Perbarui aplikasi atau hubungi admin pusat.", v);
  snprintf(en, sizeof en,
           "Protocol version %.20s is not supported by this server. Update the app or contact central admin.", v);
  resp_error(r, PROTO_E_UNSUPPORTED_PROTOCOL, id, en);
  return 1;
}

static int authenticate(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  db_conn_t *c = db_pool_acquire(s->pool);
  if (!c) {
    resp_db_error(r, SYNC_ERR_DB, "no database connection");
    return 1;
  }
  char why[160];
  int64_t now = db_now_ms();
  auth_result_t a = auth_check(c, srv_header(req, "Authorization"), now, &call->device, why,
                               sizeof why);
  if (a == AUTH_OK && call->route != ROUTE_PUSH && now - call->device.last_seen_at > 60000)
    db_device_touch(c, call->device.device_id, now); /* best effort */
  if (a == AUTH_UNAUTHORIZED || a == AUTH_REVOKED || a == AUTH_EXPIRED)
    auth_failure(s, c, req, call->device.device_id, why, a == AUTH_UNAUTHORIZED);
  db_pool_release(s->pool, c);
  snprintf(r->device_id, sizeof r->device_id, "%s", call->device.device_id);
  switch (a) {
  case AUTH_OK: return 0;
  case AUTH_REVOKED: resp_error(r, PROTO_E_DEVICE_REVOKED, NULL, NULL); break;
  case AUTH_EXPIRED: resp_error(r, PROTO_E_CREDENTIAL_EXPIRED, NULL, NULL); break;
  case AUTH_UNAUTHORIZED: resp_error(r, PROTO_E_UNAUTHORIZED, NULL, NULL); break;
  default: resp_db_error(r, SYNC_ERR_DB, "credential lookup"); break;
  }
  return 1;
}

static int check_body_headers(const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  if (!content_type_ok(srv_header(req, "Content-Type"))) {
    resp_error(r, PROTO_E_UNSUPPORTED_MEDIA_TYPE, "Jenis isi harus application/json.",
               "Content-Type must be application/json.");
    return 1;
  }
  const char *ce = srv_header(req, "Content-Encoding");
  if (ce) {
    while (*ce == ' ')
      ce++;
    size_t n = strlen(ce);
    while (n && (ce[n - 1] == ' ' || ce[n - 1] == '\t'))
      n--;
    if (n == strlen(PROTO_CONTENT_ENCODING) && strncasecmp(ce, PROTO_CONTENT_ENCODING, n) == 0) {
      call->body_lz4 = 1;
    } else if (!(n == 8 && strncasecmp(ce, "identity", 8) == 0)) {
      resp_error(r, PROTO_E_UNSUPPORTED_MEDIA_TYPE, "Kompresi isi tidak didukung (hanya lz4).",
                 "Unsupported Content-Encoding (only lz4).");
      return 1;
    }
  }
  const char *cl = srv_header(req, "Content-Length");
  long long len;
  if (cl) {
    int rc = parse_nonneg(cl, (long long)1 << 50, &len);
    if (rc == -2 || (rc == 0 && len > (long long)PROTO_MAX_BODY_WIRE)) {
      srv_too_large(NULL, call, r);
      return 1;
    }
  }
  return 0;
}

int srv_begin(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  memset(call, 0, sizeof *call);
  const char *ae = srv_header(req, "Accept-Encoding");
  call->accept_lz4 = ae && list_has_token(ae, PROTO_CONTENT_ENCODING);

  int bad_form;
  call->route = route_of(req->path, call, &bad_form);
  if (atomic_load(&s->stopping)) {
    resp_error(r, PROTO_E_SERVER_BUSY, "Server sedang dihentikan. Coba lagi nanti.",
               "The server is shutting down. Try again later.");
    r->close = 1;
    goto done;
  }
  if (call->route == ROUTE_NONE) {
    resp_error(r, PROTO_E_NOT_FOUND, NULL, NULL);
    goto done;
  }
  if (call->route == ROUTE_DASHBOARD) {
    if (dash_begin(s, req, r))
      goto done;
    return 0;
  }
  int has_body = call->route == ROUTE_PUSH || call->route == ROUTE_ENROLL;
  const char *want = has_body ? "POST" : "GET";
  if (!req->method || strcmp(req->method, want) != 0) {
    resp_error(r, PROTO_E_METHOD_NOT_ALLOWED, NULL, NULL);
    r->allow = want;
    goto done;
  }
  if (call->route == ROUTE_HEALTH) {
    handle_health(s, req, call, r);
    goto done;
  }
  /* A blocked address is refused before its credential is looked at, a good one included:
   * otherwise a guesser would learn from the status which guess was right. */
  if (auth_rate_limited(s, req, r) || check_protocol_header(req, r))
    goto done;
  if (call->route == ROUTE_ENROLL) {
    if (check_body_headers(req, call, r))
      goto done;
    return 0;
  }
  if (authenticate(s, req, call, r))
    goto done;
  if (call->route == ROUTE_PUSH) {
    if (check_body_headers(req, call, r))
      goto done;
    return 0;
  }
  if (call->route == ROUTE_FORM_GET && bad_form) {
    resp_error(r, PROTO_E_UNKNOWN_FORM, NULL, NULL);
    goto done;
  }
  switch (call->route) {
  case ROUTE_WHOAMI: handle_whoami(s, req, call, r); break;
  case ROUTE_PULL: handle_pull(s, req, call, r); break;
  case ROUTE_FORMS: handle_forms_list(s, req, call, r); break;
  case ROUTE_FORM_GET: handle_form_get(s, req, call, r); break;
  default: resp_error(r, PROTO_E_INTERNAL, NULL, NULL); break;
  }
done:
  finish_response(call, r);
  return 1;
}

static void dispatch_body(srv_t *s, const srv_request_t *req, srv_call_t *call, const char *json,
                          size_t len, srv_response_t *r)
{
  if (call->route == ROUTE_ENROLL)
    handle_enroll(s, req, json, len, r);
  else
    handle_push(s, json, len, call, r);
}

void srv_finish(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  if (call->route == ROUTE_DASHBOARD) {
    dash_finish(s, req, r);
    return;
  }
  if (call->route != ROUTE_PUSH && call->route != ROUTE_ENROLL) {
    resp_error(r, PROTO_E_INTERNAL, NULL, NULL);
    return;
  }
  if (req->body_len > PROTO_MAX_BODY_WIRE) {
    srv_too_large(s, call, r);
    goto done;
  }
  if (call->body_lz4) {
    char *json = NULL, errbuf[160] = "";
    size_t len = 0;
    sync_err_t e = codec_lz4_decompress(req->body ? req->body : "", req->body_len,
                                        PROTO_MAX_BODY, &json, &len, errbuf, sizeof errbuf);
    if (e == SYNC_ERR_TOO_LARGE) {
      srv_too_large(s, call, r);
    } else if (e == SYNC_ERR_NOMEM) {
      resp_error(r, PROTO_E_SERVER_BUSY, NULL, NULL);
    } else if (e != SYNC_OK) {
      resp_error(r, PROTO_E_BAD_COMPRESSION, NULL, NULL);
      snprintf(r->detail, sizeof r->detail, "%s", errbuf);
    } else {
      dispatch_body(s, req, call, json, len, r);
    }
    free(json);
  } else {
    dispatch_body(s, req, call, req->body ? req->body : "", req->body_len, r);
  }
done:
  finish_response(call, r);
}

void srv_handle(srv_t *s, const srv_request_t *req, srv_response_t *resp)
{
  srv_call_t call;
  memset(resp, 0, sizeof *resp);
  if (!srv_begin(s, req, &call, resp))
    srv_finish(s, req, &call, resp);
}
