/* The built-in HTTP transport on libcurl (transport_curl.h). */
#include "transport_curl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "sync/version.h"

typedef struct curl_tr {
  CURL *h;
  CURLM *m;               /* drives h, so that a cancel is seen within CANCEL_POLL_MS */
  char *ca_file, *pinned;
  long low_speed_time_s;
  transport_curl_last_t last;   /* of the last request */
} curl_tr_t;

/* What one transfer collects. */
typedef struct xfer {
  sync_http_response_t *resp;
  size_t cap;
  int too_large;
  int oom;
  const volatile int *cancel;
} xfer_t;

/* How long a transfer waits for its sockets before looking at the cancel flag again. */
#define CANCEL_POLL_MS 50

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
  global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
  xfer_t *x = arg;
  size_t len = size * n;
  sync_http_response_t *r = x->resp;
  if (len > PROTO_MAX_BODY_WIRE - r->body_len) {
    x->too_large = 1;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  if (r->body_len + len + 1 > x->cap) {
    size_t cap = x->cap ? x->cap : 16384;
    while (cap < r->body_len + len + 1)
      cap *= 2;
    unsigned char *nb = realloc(r->body, cap);
    if (!nb) {
      x->oom = 1;
      return 0;
    }
    r->body = nb;
    x->cap = cap;
  }
  memcpy(r->body + r->body_len, data, len);
  r->body_len += len;
  r->body[r->body_len] = '\0';
  return len;
}

/* Trims a header value in place (the part after "Name:"), returns its start. */
static char *header_value(char *line, size_t len, size_t name_len)
{
  char *v = line + name_len;
  char *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
    end--;
  *end = '\0';
  return v;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
  xfer_t *x = arg;
  size_t len = size * n;
  sync_http_response_t *r = x->resp;
  static const char ce[] = "content-encoding:", ra[] = "retry-after:";
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new response (after a 100 Continue or a redirect): forget the previous headers. */
    free(r->content_encoding);
    r->content_encoding = NULL;
    r->retry_after_s = -1;
    return len;
  }
  char line[256];
  if (len >= sizeof line)
    return len;
  memcpy(line, data, len);
  line[len] = '\0';
  if (len > sizeof ce - 1 && strncasecmp(line, ce, sizeof ce - 1) == 0) {
    free(r->content_encoding);
    r->content_encoding = strdup(header_value(line, len, sizeof ce - 1));
  } else if (len > sizeof ra - 1 && strncasecmp(line, ra, sizeof ra - 1) == 0) {
    const char *v = header_value(line, len, sizeof ra - 1);
    char *end;
    long s = strtol(v, &end, 10);
    /* Seconds only; an HTTP date (never sent by our server) is ignored. */
    if (end != v && *end == '\0' && s >= 0)
      r->retry_after_s = s;
  }
  return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
  (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
  xfer_t *x = arg;
  return x->cancel && *x->cancel ? 1 : 0;
}

static sync_err_t fail(char *errbuf, size_t errlen, sync_err_t err, const char *a, const char *b)
{
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "%s%s", a, b);
  return err;
}

/* curl_easy_perform, but through the multi handle: the loop wakes every CANCEL_POLL_MS to look
 * at the cancel flag (the progress callback alone may wait up to a second on an idle link). */
static CURLcode run_transfer(curl_tr_t *t, const volatile int *cancel)
{
  if (curl_multi_add_handle(t->m, t->h) != CURLM_OK)
    return CURLE_FAILED_INIT;
  CURLcode rc = CURLE_OK;
  int running = 1;
  while (running) {
    if (curl_multi_perform(t->m, &running) != CURLM_OK) {
      rc = CURLE_FAILED_INIT;
      break;
    }
    if (!running)
      break;
    if (cancel && *cancel) {
      rc = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    if (curl_multi_poll(t->m, NULL, 0, CANCEL_POLL_MS, NULL) != CURLM_OK) {
      rc = CURLE_FAILED_INIT;
      break;
    }
  }
  if (!running && rc == CURLE_OK) {
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(t->m, &left)))
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == t->h)
        rc = msg->data.result;
  }
  curl_multi_remove_handle(t->m, t->h);
  return rc;
}

/* Remembers what the transfer did (transport_curl_last). */
static void note_last(curl_tr_t *t, CURLcode rc)
{
  curl_off_t up = 0, tcp_us = 0, setup_us = 0;
  curl_easy_getinfo(t->h, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo(t->h, CURLINFO_CONNECT_TIME_T, &tcp_us);
  curl_easy_getinfo(t->h, CURLINFO_APPCONNECT_TIME_T, &setup_us);
  t->last.body_sent = (int64_t)up;
  t->last.tcp_connect_ms = (int64_t)tcp_us / 1000;
  t->last.setup_ms = (int64_t)(setup_us > tcp_us ? setup_us : tcp_us) / 1000;
  long status = 0;
  curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
  t->last.answer_started = status != 0;
  t->last.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
}

static sync_err_t perform(void *ctx, const sync_http_request_t *req, sync_http_response_t *resp,
                          const volatile int *cancel, char *errbuf, size_t errlen)
{
  curl_tr_t *t = ctx;
  CURL *h = t->h;
  memset(resp, 0, sizeof *resp);
  resp->retry_after_s = -1;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (cancel && *cancel)
    return SYNC_ERR_CANCELLED;

  struct curl_slist *hdrs = NULL, *tmp;
  for (size_t i = 0; i < req->header_count; i++) {
    if (!(tmp = curl_slist_append(hdrs, req->headers[i])))
      goto nomem;
    hdrs = tmp;
  }
  /* No "Expect: 100-continue": on a one-second round trip it costs a whole round trip. */
  if (!(tmp = curl_slist_append(hdrs, "Expect:")))
    goto nomem;
  hdrs = tmp;

  xfer_t x = {.resp = resp, .cancel = cancel};
  char curl_err[CURL_ERROR_SIZE] = "";
  int post = strcmp(req->method, "POST") == 0;
  curl_easy_setopt(h, CURLOPT_URL, req->url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  if (post) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 0L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, req->timeout_ms > 0 ? 0L : t->low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);

  CURLcode rc = run_transfer(t, cancel);
  note_last(t, rc);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all(hdrs);

  if (rc == CURLE_ABORTED_BY_CALLBACK || (cancel && *cancel && rc != CURLE_OK)) {
    free(resp->body);
    free(resp->content_encoding);
    memset(resp, 0, sizeof *resp);
    resp->retry_after_s = -1;
    return fail(errbuf, errlen, SYNC_ERR_CANCELLED, "cancelled", "");
  }
  if (rc != CURLE_OK) {
    sync_err_t err = SYNC_ERR_NETWORK;
    /* The server's identity could not be verified (untrusted certificate, a captive portal, a
     * pin that does not match): the engine says so instead of "no connection". */
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
        rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM)
      err = SYNC_ERR_CRYPTO;
    if (x.too_large)
      snprintf(curl_err, sizeof curl_err, "response body larger than %u bytes", PROTO_MAX_BODY_WIRE);
    else if (x.oom)
      err = SYNC_ERR_NOMEM;
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s (curl %d: %s)", curl_err[0] ? curl_err : curl_easy_strerror(rc),
               (int)rc, curl_easy_strerror(rc));
    free(resp->body);
    free(resp->content_encoding);
    memset(resp, 0, sizeof *resp);
    resp->retry_after_s = -1;
    return err;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  resp->status = status;
  return SYNC_OK;
nomem:
  curl_slist_free_all(hdrs);
  return fail(errbuf, errlen, SYNC_ERR_NOMEM, "out of memory", "");
}

static void destroy(void *ctx)
{
  curl_tr_t *t = ctx;
  if (!t)
    return;
  if (t->m)
    curl_multi_cleanup(t->m);
  if (t->h)
    curl_easy_cleanup(t->h);
  free(t->ca_file);
  free(t->pinned);
  free(t);
}

sync_err_t transport_curl_new(const transport_curl_opts_t *o, sync_transport_t *out, char *errbuf,
                              size_t errlen)
{
  memset(out, 0, sizeof *out);
  pthread_once(&global_once, global_init);
  if (global_rc != CURLE_OK)
    return fail(errbuf, errlen, SYNC_ERR_INTERNAL, "curl_global_init failed: ",
                curl_easy_strerror(global_rc));
  curl_tr_t *t = calloc(1, sizeof *t);
  if (!t)
    return SYNC_ERR_NOMEM;
  t->h = curl_easy_init();
  t->m = curl_multi_init();
  if (!t->h || !t->m || (o->ca_file && !(t->ca_file = strdup(o->ca_file))) ||
      (o->pinned_pubkey && !(t->pinned = strdup(o->pinned_pubkey)))) {
    destroy(t);
    return SYNC_ERR_NOMEM;
  }
  CURL *h = t->h;
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes_per_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "libsync/" SYNC_VERSION_STRING);
  if (t->ca_file)
    curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_file);
  if (t->pinned && curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, t->pinned) != CURLE_OK) {
    destroy(t);
    return fail(errbuf, errlen, SYNC_ERR_INVALID_ARG, "this libcurl cannot pin public keys",
                " (CURLOPT_PINNEDPUBLICKEY)");
  }
  t->low_speed_time_s = o->low_speed_time_s;
  out->perform = perform;
  out->destroy = destroy;
  out->ctx = t;
  return SYNC_OK;
}

int transport_curl_last(const sync_transport_t *t, transport_curl_last_t *out)
{
  if (!t || t->perform != perform || !t->ctx)
    return 0;
  *out = ((const curl_tr_t *)t->ctx)->last;
  return 1;
}
