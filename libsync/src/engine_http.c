/* One request of the sync engine (engine_internal.h): URL and headers of PROTOCOL.md 1, progress
 * counters (every body that left, those of requests that got no response too), the round trip,
 * and what a failure means for the engine (retry or stop); bodies and error replies are read by
 * engine_net.c. */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void engine_call_perform(sync_engine_t *e, const sync_transport_t *t, engine_call_t *c)
{
  memset(&c->resp, 0, sizeof c->resp);
  c->resp.retry_after_s = -1;
  c->detail[0] = '\0';
  c->elapsed_ms = 0;
  c->body_sent = -1;
  c->setup_ms = c->tcp_connect_ms = 0;
  c->timed_out = c->answer_started = 0;
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
  headers[nh++] = ENGINE_HDR_PROTOCOL;
  headers[nh++] = "Accept-Encoding: " PROTO_CONTENT_ENCODING;
  if (post) {
    headers[nh++] = "Content-Type: " PROTO_CONTENT_TYPE;
    if (c->lz4)
      headers[nh++] = "Content-Encoding: " PROTO_CONTENT_ENCODING;
  }
  sync_http_request_t req = {c->method, url, headers, nh, c->body, c->body ? c->len : 0,
                             c->timeout_ms};
  int64_t t0 = engine_mono_ms();
  c->terr = t->perform(t->ctx, &req, &c->resp, &e->cancel, c->detail, sizeof c->detail);
  c->elapsed_ms = engine_mono_ms() - t0;
  transport_curl_last_t last;
  if (transport_curl_last(t, &last)) {
    c->body_sent = last.body_sent;
    c->setup_ms = last.setup_ms;
    c->tcp_connect_ms = last.tcp_connect_ms;
    c->answer_started = last.answer_started;
    c->timed_out = last.timed_out;
  }
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
  int64_t body = (int64_t)(c->body ? c->len : 0);
  e->run.progress.requests++;
  if (err == SYNC_OK && r->status == 0)
    err = SYNC_ERR_NETWORK;
  if (err == SYNC_OK) {
    e->run.progress.wire_bytes_sent += body;
    engine_link_request_done(e, c);
  } else {
    /* No response: the body went (all of it, when the transport cannot say how much) for
     * nothing. */
    int64_t sent = c->body_sent >= 0 && c->body_sent < body ? c->body_sent : body;
    e->run.progress.wire_bytes_sent += sent;
    e->run.progress.wire_bytes_abandoned += sent;
    e->run.progress.requests_abandoned++;
  }
  if (err != SYNC_OK) {
    engine_response_clear(r);
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
  sync_err_t derr = engine_decode_body(r, &text, &tlen, why, sizeof why);
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
    engine_classify_error(e->language, r, derr == SYNC_OK ? text : NULL, tlen, fail);
  }
  free(text);
  engine_response_clear(r);
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
