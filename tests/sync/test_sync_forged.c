/* A forged refusal changes nothing on the device (proto/SECURITY.md 7, issue 10 item 3). Between
 * the device and the real server (sealed form, HTTPS, enrolled device) sits a proxy without the
 * server's signing key, as a TLS-terminating middlebox or an impostor would: it serves the device
 * plain http on loopback, forwards every request to the server over HTTPS (test CA and pin), and
 * rewrites every push response so that each receipt says `rejected` with a plausible error,
 * keeping the server's old signature when the codec lets it and dropping it otherwise. The engine
 * must act on none of it: the sync fails, no record is refused or acknowledged, every one still
 * waits; and when the device then reaches the real server, every record arrives exactly once and
 * central opens every answer. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec.h"
#include "sync_fixture.h"

#define RECORDS 40
#define MAX_CONNS 16
#define MAX_HEADERS 32
#define HEAD_MAX 8192

/* ---- the forging proxy ----------------------------------------------------------------------- */

typedef struct forger {
  const fx_server_t *srv;
  int listen_fd;
  int port;
  pthread_t thread;
  pthread_t conns[MAX_CONNS];
  int conn_fds[MAX_CONNS];
  atomic_int n_conns;
  atomic_int stop;
  atomic_int forged;        /* push responses rewritten */
  atomic_int receipts;      /* receipts turned into refusals */
  atomic_int signatures_kept;
  atomic_int errors;        /* responses it could not rewrite (the test fails on any) */
} forger_t;

typedef struct message {
  char head[HEAD_MAX];
  size_t head_len;
  char *body;
  size_t body_len;
} message_t;

static int write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The value of header `name` in a request head, copied into out; 0 if present. */
static int header_value(const char *head, const char *name, char *out, size_t len)
{
  size_t n = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
    const char *h = line + 2;
    if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
      h += n + 1;
      while (*h == ' ')
        h++;
      size_t v = strcspn(h, "\r\n");
      snprintf(out, len, "%.*s", (int)(v < len ? v : len - 1), h);
      return 0;
    }
  }
  return -1;
}

/* Reads one request (head and Content-Length body) from fd; 0 on success, -1 at EOF or error. */
static int read_request(int fd, message_t *m)
{
  memset(m, 0, sizeof *m);
  char *end = NULL;
  while (!(end = strstr(m->head, "\r\n\r\n"))) {
    if (m->head_len + 1 >= sizeof m->head)
      return -1;
    ssize_t n = recv(fd, m->head + m->head_len, sizeof m->head - 1 - m->head_len, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    m->head_len += (size_t)n;
    m->head[m->head_len] = '\0';
  }
  size_t head_end = (size_t)(end - m->head) + 4;
  char cl[32] = "0";
  header_value(m->head, "Content-Length", cl, sizeof cl);
  m->body_len = strtoul(cl, NULL, 10);
  if (!(m->body = malloc(m->body_len + 1)))
    return -1;
  size_t have = m->head_len - head_end;
  if (have > m->body_len)
    return -1; /* no pipelining from the engine */
  memcpy(m->body, m->head + head_end, have);
  while (have < m->body_len) {
    ssize_t n = recv(fd, m->body + have, m->body_len - have, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    have += (size_t)n;
  }
  m->head[head_end] = '\0';
  return 0;
}

typedef struct upstream_reply {
  long status;
  char headers[2048];       /* "Name: value\r\n" lines to pass on */
  size_t headers_len;
  char encoding[32];
  char *body;
  size_t body_len;
} upstream_reply_t;

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
  upstream_reply_t *r = user;
  char *nb = realloc(r->body, r->body_len + size * n + 1);
  if (!nb)
    return 0;
  memcpy(nb + r->body_len, data, size * n);
  r->body = nb;
  r->body_len += size * n;
  return size * n;
}

/* Keeps the response headers the device reads; the proxy writes its own framing. */
static size_t on_header(char *data, size_t size, size_t n, void *user)
{
  upstream_reply_t *r = user;
  size_t len = size * n;
  static const char *const dropped[] = {"HTTP/", "Content-Length:", "Transfer-Encoding:",
                                        "Connection:", "Keep-Alive:", "\r\n"};
  for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
    if (len >= strlen(dropped[i]) && strncasecmp(data, dropped[i], strlen(dropped[i])) == 0)
      return len;
  if (len > 17 && strncasecmp(data, "Content-Encoding:", 17) == 0)
    snprintf(r->encoding, sizeof r->encoding, "%.*s", (int)strcspn(data + 17 + 1, "\r\n"),
             data + 17 + 1);
  if (r->headers_len + len < sizeof r->headers) {
    memcpy(r->headers + r->headers_len, data, len);
    r->headers_len += len;
  }
  return len;
}

/* Sends the request to the real server over HTTPS with every header of the device's but the
 * framing ones. 0 when a response came. */
static int forward(CURL *h, const fx_server_t *srv, const message_t *req, upstream_reply_t *out)
{
  char method[8] = "", path[256] = "", url[320];
  memset(out, 0, sizeof *out);
  if (sscanf(req->head, "%7s %255s", method, path) != 2)
    return -1;
  snprintf(url, sizeof url, "%s%s", srv->url, path);
  struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
  for (const char *line = strstr(req->head, "\r\n"); line && line[2] != '\r' && line[2];
       line = strstr(line + 2, "\r\n")) {
    const char *hd = line + 2;
    char one[1024];
    snprintf(one, sizeof one, "%.*s", (int)strcspn(hd, "\r\n"), hd);
    if (strncasecmp(one, "Host:", 5) != 0 && strncasecmp(one, "Content-Length:", 15) != 0 &&
        strncasecmp(one, "Connection:", 11) != 0)
      hdrs = curl_slist_append(hdrs, one);
  }
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_CAINFO, srv->ca_file);
  curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, srv->pin);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
  curl_slist_free_all(hdrs);
  if (rc != CURLE_OK)
    fprintf(stderr, "forger: %s %s: %s\n", method, url, curl_easy_strerror(rc));
  return rc == CURLE_OK ? 0 : -1;
}

/* The refusal a forger would make up: the record's answers do not fit the form. */
static proto_error_t *made_up_refusal(void)
{
  proto_error_t *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->code = PROTO_E_INVALID_CHANGE;
  e->message_id = strdup(proto_errcode_message(PROTO_E_INVALID_CHANGE, "id"));
  e->message_en = strdup(proto_errcode_message(PROTO_E_INVALID_CHANGE, "en"));
  e->retry_after = -1;
  e->issues = calloc(1, sizeof *e->issues);
  if (!e->message_id || !e->message_en || !e->issues) {
    proto_error_free(e);
    return NULL;
  }
  snprintf(e->issues[0].field, sizeof e->issues[0].field, "unit_name");
  snprintf(e->issues[0].code, sizeof e->issues[0].code, "not_clear");
  e->n_issues = 1;
  return e;
}

/* Rewrites a push response body in place: every receipt rejected, the signature kept if the codec
 * encodes it so, else dropped; compressed again as it came. 0 on success. */
static int forge(forger_t *f, upstream_reply_t *r)
{
  int lz4 = strcasecmp(r->encoding, PROTO_CONTENT_ENCODING) == 0;
  char *json = NULL, *out = NULL, *z = NULL, err[128];
  size_t len = r->body_len, out_len = 0, zlen = 0;
  proto_push_resp_t *resp = NULL;
  proto_diag_t diag;
  int rc = -1;
  if (lz4 && codec_lz4_decompress(r->body, r->body_len, PROTO_MAX_BODY, &json, &len, err,
                                  sizeof err) != SYNC_OK)
    goto done;
  if (proto_push_resp_decode(lz4 ? json : r->body, len, &resp, &diag) != SYNC_OK)
    goto done;
  for (size_t i = 0; i < resp->n_receipts; i++) {
    proto_receipt_t *rc_ = &resp->receipts[i];
    if (rc_->merged || !(rc_->error = rc_->error ? rc_->error : made_up_refusal()))
      goto done; /* no merges in this test; a refusal that cannot be made fails it */
    rc_->outcome = PROTO_OUTCOME_REJECTED;
    rc_->server_seq = 0;
    rc_->received_at = 0;
  }
  sync_err_t e = proto_push_resp_encode(resp, &out, &out_len);
  if (e == SYNC_ERR_INVALID_ARG) { /* a signature where the codec allows none: drop it */
    resp->signature[0] = '\0';
    e = proto_push_resp_encode(resp, &out, &out_len);
  } else if (e == SYNC_OK) {
    atomic_fetch_add(&f->signatures_kept, 1);
  }
  if (e != SYNC_OK || (lz4 && codec_lz4_compress(out, out_len, 0, &z, &zlen) != SYNC_OK))
    goto done;
  free(r->body);
  if (lz4) {
    r->body = z;
    r->body_len = zlen;
    z = NULL;
  } else {
    r->body = out;
    r->body_len = out_len;
    out = NULL;
  }
  atomic_fetch_add(&f->forged, 1);
  atomic_fetch_add(&f->receipts, (int)resp->n_receipts);
  rc = 0;
done:
  proto_push_resp_free(resp);
  free(json);
  free(out);
  free(z);
  return rc;
}

typedef struct conn_arg {
  forger_t *f;
  int fd;
} conn_arg_t;

static void *serve_conn(void *arg)
{
  conn_arg_t *c = arg;
  CURL *h = curl_easy_init();
  message_t req;
  upstream_reply_t rep;
  while (h && read_request(c->fd, &req) == 0) {
    int ok = forward(h, c->f->srv, &req, &rep) == 0;
    int push = strstr(req.head, " " PROTO_PATH_PUSH " ") != NULL;
    if (ok && push && rep.status == 200 && forge(c->f, &rep) != 0) {
      atomic_fetch_add(&c->f->errors, 1);
      ok = 0;
    }
    char status[64];
    snprintf(status, sizeof status, "HTTP/1.1 %ld Forged\r\n", rep.status);
    char length[64];
    snprintf(length, sizeof length, "Content-Length: %zu\r\n\r\n", rep.body_len);
    if (ok)
      ok = write_all(c->fd, status, strlen(status)) == 0 &&
           write_all(c->fd, rep.headers, rep.headers_len) == 0 &&
           write_all(c->fd, length, strlen(length)) == 0 &&
           write_all(c->fd, rep.body ? rep.body : "", rep.body_len) == 0;
    free(req.body);
    free(rep.body);
    if (!ok)
      break;
  }
  curl_easy_cleanup(h);
  shutdown(c->fd, SHUT_RDWR);
  free(c);
  return NULL;
}

static void *accept_loop(void *arg)
{
  forger_t *f = arg;
  struct pollfd p = {.fd = f->listen_fd, .events = POLLIN};
  while (!atomic_load(&f->stop)) {
    if (poll(&p, 1, 50) <= 0)
      continue;
    int fd = accept(f->listen_fd, NULL, NULL);
    int i = atomic_load(&f->n_conns);
    conn_arg_t *c = fd >= 0 && i < MAX_CONNS ? malloc(sizeof *c) : NULL;
    if (!c) {
      if (fd >= 0)
        close(fd);
      atomic_fetch_add(&f->errors, fd >= 0);
      continue;
    }
    c->f = f;
    c->fd = fd;
    f->conn_fds[i] = fd;
    if (pthread_create(&f->conns[i], NULL, serve_conn, c) != 0) {
      close(fd);
      free(c);
      continue;
    }
    atomic_store(&f->n_conns, i + 1);
  }
  return NULL;
}

static void forger_start(forger_t *f, const fx_server_t *srv)
{
  memset(f, 0, sizeof *f);
  f->srv = srv;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  assert_true((f->listen_fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
  assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(f->listen_fd, 16), 0);
  assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&a, &alen), 0);
  f->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&f->thread, NULL, accept_loop, f), 0);
}

static void forger_stop(forger_t *f)
{
  atomic_store(&f->stop, 1);
  pthread_join(f->thread, NULL);
  for (int i = 0; i < atomic_load(&f->n_conns); i++) {
    shutdown(f->conn_fds[i], SHUT_RDWR);
    pthread_join(f->conns[i], NULL);
    close(f->conn_fds[i]);
  }
  close(f->listen_fd);
}

/* ---- the test -------------------------------------------------------------------------------- */

static sync_err_t sync_via(const fx_device_t *d, const fx_server_t *s, const char *url,
                           sync_status_t *st)
{
  sync_engine_config_t c;
  fx_engine_config(&c, d, s, url);
  c.batch_initial_bytes = 16384; /* several batches: every push response is forged */
  c.batch_max_bytes = 32768;
  c.max_attempts = 2;
  sync_engine_t *e = NULL;
  char why[512] = "";
  if (sync_engine_new(&c, &e, why, sizeof why) != SYNC_OK)
    fail_msg("engine: %s", why);
  sync_err_t err = sync_engine_run_once(e);
  sync_engine_status(e, st);
  sync_engine_free(e);
  return err;
}

/* Every record of the device is still waiting for the server: none refused, none delivered. */
static void assert_all_waiting(const char *store_path)
{
  sync_store_t *s = NULL;
  sync_record_list_t *list = NULL;
  assert_int_equal(fx_store_open(store_path, &s), SYNC_OK);
  assert_int_equal(sync_record_list(s, NULL, &list), SYNC_OK);
  assert_int_equal(sync_record_list_count(list), RECORDS);
  for (size_t i = 0; i < sync_record_list_count(list); i++) {
    const sync_record_t *r = sync_record_list_at(list, i);
    if (sync_record_delivery(r) != SYNC_DELIVERY_PENDING || sync_record_refusal(r)[0])
      fail_msg("record %s is %s after forged refusals (refusal: '%s')", sync_record_uuid(r),
               sync_delivery_name(sync_record_delivery(r)), sync_record_refusal(r));
  }
  sync_record_list_free(list);
  sync_store_close(s);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(store_path, &ob), 0);
  if (ob.pending != RECORDS || ob.failed != 0 || ob.acked != 0)
    fail_msg("outbox after forged refusals: %lld pending, %lld refused, %lld acknowledged",
             (long long)ob.pending, (long long)ob.failed, (long long)ob.acked);
}

static void test_forged_refusals_change_nothing_and_the_real_server_gets_everything(void **state)
{
  (void)state;
  fx_device_t dev;
  fx_server_t srv;
  cJSON *kept = cJSON_CreateObject();
  assert_int_equal(fx_world_create(&dev, &srv, FX_SECURE, RECORDS, 77, kept), 0);
  forger_t f;
  forger_start(&f, &srv);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", f.port);

  sync_status_t st;
  sync_err_t err = sync_via(&dev, &srv, url, &st);
  forger_stop(&f);
  print_message("through the forger: %s (%s); %d push responses forged (%d receipts), signature "
                "kept in %d\n", sync_errname(err), st.message, atomic_load(&f.forged),
                atomic_load(&f.receipts), atomic_load(&f.signatures_kept));
  assert_int_equal(atomic_load(&f.errors), 0);
  assert_true(atomic_load(&f.forged) >= 1);
  assert_all_waiting(dev.path);
  if (err != SYNC_ERR_CRYPTO && err != SYNC_ERR_PROTOCOL)
    fail_msg("the sync through the forger ended %s, not refused as unverifiable", sync_errname(err));
  assert_int_equal(st.progress.records_done, 0);
  assert_int_equal(st.pending, RECORDS);

  /* The real server, directly: everything arrives, once, and central reads every answer. */
  assert_int_equal(sync_via(&dev, &srv, NULL, &st), SYNC_OK);
  assert_int_equal(st.pending, 0);
  char why[512] = "";
  if (fx_verify_exactly_once(dev.path, srv.db, dev.id, why, sizeof why) != 0)
    fail_msg("after the real server: %s", why);
  if (fx_verify_export(&srv, kept, why, sizeof why) != 0)
    fail_msg("central cannot read every answer: %s", why);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(dev.path, &ob), 0);
  assert_int_equal(ob.acked, RECORDS);
  assert_int_equal(ob.failed, 0);

  cJSON_Delete(kept);
  fx_server_destroy(&srv);
  fx_device_destroy(&dev);
}

int main(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_forged_refusals_change_nothing_and_the_real_server_gets_everything),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
