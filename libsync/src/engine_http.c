/* One request of the sync engine (engine_internal.h): URL and headers of PROTOCOL.md 1, the lz4
 * content coding, error bodies, and what a failure means for the engine (retry or stop). */
#include "engine_internal.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

sync_err_t engine_fail_set(engine_fail_t *f, sync_err_t err, int retryable, const char *fmt, ...)
{
  memset(f, 0, sizeof *f);
  f->err = err;
  f->retryable = retryable;
  f->retry_after_ms = -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->detail, sizeof f->detail, fmt, ap);
  va_end(ap);
  return err;
}

sync_err_t engine_fail_store(sync_engine_t *e, engine_fail_t *f, sync_err_t err)
{
  engine_fail_set(f, err, err == SYNC_ERR_BUSY, "store: %s", sync_store_errmsg(e->store));
  if (!f->detail[7])
    snprintf(f->detail, sizeof f->detail, "store: %s", sync_strerror(err));
  return err;
}

void engine_reply_free(engine_reply_t *r)
{
  if (!r)
    return;
  free(r->body);
  memset(r, 0, sizeof *r);
}

sync_err_t engine_check_url(const char *url, int allow_plain_loopback, char *errbuf, size_t errlen)
{
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL;
  sync_err_t err = SYNC_ERR_INVALID_ARG;
  if (!u)
    return SYNC_ERR_NOMEM;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    snprintf(errbuf, errlen, "'%.200s' is not a server URL (expected https://host[:port])", url);
    goto done;
  }
  if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
      curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
    snprintf(errbuf, errlen, "the server URL may not carry a user name or a query");
    goto done;
  }
  if (strcasecmp(scheme, "https") == 0) {
    err = SYNC_OK;
  } else if (strcasecmp(scheme, "http") == 0) {
    int loopback = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
                   strcasecmp(host, "localhost") == 0;
    if (allow_plain_loopback && loopback)
      err = SYNC_OK;
    else
      snprintf(errbuf, errlen, "plain http:// is refused except to loopback (127.0.0.1, ::1, "
               "localhost) with allow_plain_http_loopback; use https://");
  } else {
    snprintf(errbuf, errlen, "unsupported URL scheme '%.20s' (use https://)", scheme);
  }
done:
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  curl_free(query);
  curl_url_cleanup(u);
  return err;
}

/* 1 if a Content-Encoding value names lz4 (one coding, case-insensitive, spaces trimmed). */
static int coding_is(const char *value, const char *name)
{
  while (*value == ' ' || *value == '\t')
    value++;
  size_t n = strlen(value);
  while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
    n--;
  return n == strlen(name) && strncasecmp(value, name, n) == 0;
}

/* The body as text: lz4 decoded, or a NUL-terminated copy. */
static sync_err_t decode_body(const sync_http_response_t *r, char **out, size_t *len, char *why,
                              size_t whylen)
{
  *out = NULL;
  *len = 0;
  if (r->content_encoding && coding_is(r->content_encoding, PROTO_CONTENT_ENCODING))
    return codec_lz4_decompress(r->body, r->body_len, PROTO_MAX_BODY, out, len, why, whylen);
  if (r->content_encoding && r->content_encoding[0] && !coding_is(r->content_encoding, "identity")) {
    snprintf(why, whylen, "unknown Content-Encoding '%.40s'", r->content_encoding);
    return SYNC_ERR_PROTOCOL;
  }
  if (r->body_len > PROTO_MAX_BODY) {
    snprintf(why, whylen, "response body of %zu bytes is over the cap", r->body_len);
    return SYNC_ERR_TOO_LARGE;
  }
  char *copy = malloc(r->body_len + 1);
  if (!copy)
    return SYNC_ERR_NOMEM;
  if (r->body_len)
    memcpy(copy, r->body, r->body_len);
  copy[r->body_len] = '\0';
  *out = copy;
  *len = r->body_len;
  return SYNC_OK;
}

/* The sync_err_t of an error reply whose code this library may not know. */
static sync_err_t map_status(const proto_error_t *pe, long status)
{
  if (pe->code != PROTO_E_UNKNOWN)
    return proto_errcode_sync_err(pe->code);
  if (status == 401 || status == 403)
    return SYNC_ERR_AUTH;
  if (status == 413)
    return SYNC_ERR_TOO_LARGE;
  return status >= 500 || status == 429 ? SYNC_ERR_SERVER : SYNC_ERR_PROTOCOL;
}

/* A non-2xx reply: its error body decides, else it is a transport problem (PROTOCOL.md 6). */
static sync_err_t classify_error(sync_engine_t *e, const sync_http_response_t *r, const char *body,
                                 size_t len, engine_fail_t *fail)
{
  proto_error_t *pe = NULL;
  proto_diag_t diag;
  if (!body || proto_error_decode(body, len, &pe, &diag) != SYNC_OK) {
    engine_fail_set(fail, SYNC_ERR_NETWORK, 1, "HTTP %ld without a protocol error body", r->status);
    fail->http_status = r->status;
    fail->retry_after_ms = r->retry_after_s >= 0 ? r->retry_after_s * 1000 : -1;
    return fail->err;
  }
  sync_err_t err = map_status(pe, r->status);
  int retryable = pe->retryable || (pe->code == PROTO_E_UNKNOWN && (r->status >= 500 || r->status == 429));
  engine_fail_set(fail, err, retryable, "HTTP %ld %s: %s", r->status, pe->code_text,
                  pe->message_en ? pe->message_en : "");
  fail->http_status = r->status;
  fail->code = pe->code;
  const char *msg = strcmp(e->language, "en") == 0 ? pe->message_en : pe->message_id;
  snprintf(fail->server_msg, sizeof fail->server_msg, "%s", msg ? msg : "");
  int64_t ra = r->retry_after_s >= 0 ? r->retry_after_s : pe->retry_after;
  fail->retry_after_ms = ra >= 0 ? ra * 1000 : -1;
  proto_error_free(pe);
  return err;
}

void engine_call_perform(sync_engine_t *e, const sync_transport_t *t, engine_call_t *c)
{
  memset(&c->resp, 0, sizeof c->resp);
  c->resp.retry_after_s = -1;
  c->detail[0] = '\0';
  size_t ulen = strlen(e->server_url) + strlen(c->path) + 1;
  char *url = malloc(ulen);
  if (!url) {
    c->terr = SYNC_ERR_NOMEM;
    return;
  }
  snprintf(url, ulen, "%s%s", e->server_url, c->path);
  int post = strcmp(c->method, "POST") == 0;
  const char *headers[6];
  size_t nh = 0;
  headers[nh++] = e->auth_header;
  headers[nh++] = PROTO_HDR_PROTOCOL ": 1";
  headers[nh++] = "Accept-Encoding: " PROTO_CONTENT_ENCODING;
  if (post) {
    headers[nh++] = "Content-Type: " PROTO_CONTENT_TYPE;
    if (c->lz4)
      headers[nh++] = "Content-Encoding: " PROTO_CONTENT_ENCODING;
  }
  sync_http_request_t req = {c->method, url, headers, nh, c->body, c->body ? c->len : 0, 0};
  c->terr = t->perform(t->ctx, &req, &c->resp, &e->cancel, c->detail, sizeof c->detail);
  free(url);
}

sync_err_t engine_call_finish(sync_engine_t *e, engine_call_t *c, engine_reply_t *reply,
                              engine_fail_t *fail)
{
  memset(reply, 0, sizeof *reply);
  memset(fail, 0, sizeof *fail);
  fail->retry_after_ms = -1;
  sync_http_response_t *r = &c->resp;
  sync_err_t err = c->terr;
  e->run.progress.requests++;
  if (err == SYNC_OK)
    e->run.progress.wire_bytes_sent += (int64_t)(c->body ? c->len : 0);
  if (err == SYNC_OK && r->status == 0)
    err = SYNC_ERR_NETWORK;
  if (err != SYNC_OK) {
    free(r->body);
    free(r->content_encoding);
    memset(r, 0, sizeof *r);
    if (err == SYNC_ERR_CANCELLED || engine_cancelled(e))
      return engine_fail_set(fail, SYNC_ERR_CANCELLED, 0, "cancelled");
    if (err == SYNC_ERR_NOMEM)
      return engine_fail_set(fail, err, 0, "out of memory");
    if (err == SYNC_ERR_CRYPTO) /* may be a captive portal: worth trying again later */
      return engine_fail_set(fail, SYNC_ERR_CRYPTO, 1, "%s %s: %s", c->method, c->path,
                             c->detail[0] ? c->detail : "server identity not verified");
    return engine_fail_set(fail, SYNC_ERR_NETWORK, 1, "%s %s: %s", c->method, c->path,
                           c->detail[0] ? c->detail : "no response");
  }
  e->run.progress.wire_bytes_received += (int64_t)r->body_len;

  char *text = NULL, why[256] = "";
  size_t tlen = 0;
  sync_err_t derr = decode_body(r, &text, &tlen, why, sizeof why);
  if (r->status >= 200 && r->status < 300) {
    if (derr != SYNC_OK) {
      engine_fail_set(fail, derr == SYNC_ERR_NOMEM ? SYNC_ERR_NOMEM : SYNC_ERR_PROTOCOL,
                      derr != SYNC_ERR_NOMEM, "%s %s: unreadable response body: %s", c->method,
                      c->path, why[0] ? why : sync_strerror(derr));
      fail->http_status = r->status;
    } else {
      reply->status = r->status;
      reply->body = text;
      reply->len = tlen;
      text = NULL;
    }
  } else {
    classify_error(e, r, derr == SYNC_OK ? text : NULL, tlen, fail);
  }
  free(text);
  free(r->body);
  free(r->content_encoding);
  memset(r, 0, sizeof *r);
  return reply->body ? SYNC_OK : fail->err;
}

sync_err_t engine_http(sync_engine_t *e, const char *method, const char *path, const void *body,
                       size_t len, int lz4, engine_reply_t *reply, engine_fail_t *fail)
{
  engine_call_t c;
  memset(&c, 0, sizeof c);
  c.method = method;
  snprintf(c.path, sizeof c.path, "%s", path);
  c.body = body;
  c.len = len;
  c.lz4 = lz4;
  engine_call_perform(e, &e->transport, &c);
  return engine_call_finish(e, &c, reply, fail);
}
