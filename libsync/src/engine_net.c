/* What the sync engine and sync_enroll() share (engine_internal.h): the transport, the server URL
 * rules of SECURITY.md 3, response bodies (lz4 content coding, size caps) and what an error reply
 * means (PROTOCOL.md 6). */
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
      snprintf(errbuf, errlen, "plain http:// is refused; use https:// (http is allowed only to "
               "this machine, 127.0.0.1, ::1 or localhost, when asked for: syncctl "
               "--allow-http-loopback, or the engine's allow_plain_http_loopback)");
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

sync_err_t engine_transport_open(const sync_transport_t *custom, const transport_curl_opts_t *o,
                                 sync_transport_t *out, char *errbuf, size_t errlen)
{
  memset(out, 0, sizeof *out);
  if (!custom)
    return transport_curl_new(o, out, errbuf, errlen);
  if (!custom->perform) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "transport->perform is NULL");
    return SYNC_ERR_INVALID_ARG;
  }
  *out = *custom;
  return SYNC_OK;
}

void engine_transport_close(sync_transport_t *t)
{
  if (t->destroy)
    t->destroy(t->ctx);
  memset(t, 0, sizeof *t);
}

void engine_response_clear(sync_http_response_t *r)
{
  free(r->body);
  free(r->content_encoding);
  memset(r, 0, sizeof *r);
  r->retry_after_s = -1;
}

/* 1 if a Content-Encoding value names `name` (one coding, case-insensitive, spaces trimmed). */
static int coding_is(const char *value, const char *name)
{
  while (*value == ' ' || *value == '\t')
    value++;
  size_t n = strlen(value);
  while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
    n--;
  return n == strlen(name) && strncasecmp(value, name, n) == 0;
}

sync_err_t engine_decode_body(const sync_http_response_t *r, char **out, size_t *len, char *why,
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

sync_err_t engine_classify_error(const char *language, const sync_http_response_t *r,
                                 const char *body, size_t len, engine_fail_t *fail)
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
  /* Authentication failures never get better by retrying with the same credential. */
  int auth = err == SYNC_ERR_AUTH || err == SYNC_ERR_REVOKED;
  int retryable = !auth && (pe->retryable || (pe->code == PROTO_E_UNKNOWN &&
                                              (r->status >= 500 || r->status == 429)));
  engine_fail_set(fail, err, retryable, "HTTP %ld %s: %s", r->status, pe->code_text,
                  pe->message_en ? pe->message_en : "");
  fail->http_status = r->status;
  fail->code = pe->code;
  const char *msg = strcmp(language, "en") == 0 ? pe->message_en : pe->message_id;
  snprintf(fail->server_msg, sizeof fail->server_msg, "%s", msg ? msg : "");
  int64_t ra = r->retry_after_s >= 0 ? r->retry_after_s : pe->retry_after;
  fail->retry_after_ms = ra >= 0 ? ra * 1000 : -1;
  proto_error_free(pe);
  return err;
}
