/* Scripted HTTP server for the engine's bad-response tests (fake_server.h). */
#define _DEFAULT_SOURCE 1
#include "fake_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "receipt_leaves.h"

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable; 0 when the stop pipe fired or on error. */
static int wait_readable(fake_server_t *f, int fd)
{
  struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = f->stop_pipe[0], .events = POLLIN}};
  for (;;) {
    int n = poll(p, 2, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || (p[1].revents & POLLIN))
      return 0;
    return 1;
  }
}

/* Header value of `name` in the header block, copied into out ("" when absent). */
static void header(const char *head, const char *name, char *out, size_t len)
{
  size_t n = strlen(name);
  out[0] = '\0';
  for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2;
    if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1;
      while (*v == ' ')
        v++;
      size_t vl = strcspn(v, "\r\n");
      if (vl >= len)
        vl = len - 1;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return;
    }
  }
}

/* Reads one request; 0 on EOF/stop. buf carries bytes past the request over to the next. */
static int read_request(fake_server_t *f, int fd, char **buf, size_t *have, size_t *cap,
                        fake_request_t *req)
{
  char *end;
  for (;;) {
    (*buf)[*have] = '\0';
    if ((end = strstr(*buf, "\r\n\r\n")))
      break;
    if (*have + 4096 > *cap) {
      *cap *= 2;
      *buf = realloc(*buf, *cap + 1);
    }
    if (!wait_readable(f, fd))
      return 0;
    ssize_t n = read(fd, *buf + *have, *cap - *have);
    if (n <= 0)
      return 0;
    *have += (size_t)n;
  }
  size_t head_len = (size_t)(end - *buf) + 4;
  char *head = malloc(head_len + 1);
  memcpy(head, *buf, head_len);
  head[head_len] = '\0';
  memset(req, 0, sizeof *req);
  sscanf(head, "%7s %255s", req->method, req->path);
  char cl[32];
  header(head, "Content-Length", cl, sizeof cl);
  header(head, "Content-Encoding", req->content_encoding, sizeof req->content_encoding);
  header(head, "Authorization", req->authorization, sizeof req->authorization);
  free(head);
  size_t body_len = cl[0] ? (size_t)strtoull(cl, NULL, 10) : 0;
  while (*have < head_len + body_len) {
    if (*have + body_len + 4096 > *cap) {
      *cap = *have + body_len + 4096;
      *buf = realloc(*buf, *cap + 1);
    }
    if (!wait_readable(f, fd))
      return 0;
    ssize_t n = read(fd, *buf + *have, *cap - *have);
    if (n <= 0)
      return 0;
    *have += (size_t)n;
  }
  req->body = malloc(body_len + 1);
  memcpy(req->body, *buf + head_len, body_len);
  req->body[body_len] = '\0';
  req->len = body_len;
  memmove(*buf, *buf + head_len + body_len, *have - head_len - body_len);
  *have -= head_len + body_len;
  if (strcasecmp(req->content_encoding, "lz4") == 0) {
    if (codec_lz4_decompress(req->body, req->len, PROTO_MAX_BODY, &req->json, &req->json_len, NULL,
                             0) != SYNC_OK)
      req->json = NULL;
  } else {
    req->json = malloc(body_len + 1);
    memcpy(req->json, req->body, body_len + 1);
    req->json_len = body_len;
  }
  return 1;
}

static void write_all(int fd, const char *p, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    p += n;
    len -= (size_t)n;
  }
}

static void serve_conn(fake_server_t *f, int fd)
{
  /* Requests of all connections are handled one at a time (scripts keep simple state); only the
   * held answers wait outside the lock. */
  size_t cap = 65536, have = 0;
  char *buf = malloc(cap + 1);
  fake_request_t req;
  while (read_request(f, fd, &buf, &have, &cap, &req)) {
    pthread_mutex_lock(&f->lock);
    req.index = f->n_requests;
    if (f->n_requests < FAKE_MAX_REQUESTS) {
      f->at_ms[f->n_requests] = mono_ms();
      snprintf(f->paths[f->n_requests], sizeof f->paths[0], "%.47s", req.path);
      f->n_requests++;
    }
    pthread_mutex_unlock(&f->lock);
    fake_response_t resp = {0};
    pthread_mutex_lock(&f->handler_lock);
    f->fn(f->ctx, &req, &resp);
    pthread_mutex_unlock(&f->handler_lock);
    free(req.body);
    free(req.json);
    if (resp.delay_ms > 0) {
      /* Held, unless the client hangs up (or the server stops) meanwhile. */
      struct pollfd p[2] = {{.fd = f->stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
      if (poll(p, 2, resp.delay_ms) > 0) {
        free(resp.raw);
        break;
      }
    }
    if (resp.raw)
      write_all(fd, resp.raw, resp.len);
    free(resp.raw);
    if (resp.close_after)
      break;
  }
  free(buf);
  close(fd);
}

typedef struct conn_arg {
  fake_server_t *f;
  int fd;
} conn_arg_t;

static void *conn_main(void *arg)
{
  conn_arg_t *c = arg;
  serve_conn(c->f, c->fd);
  free(c);
  return NULL;
}

static void *fake_main(void *arg)
{
  fake_server_t *f = arg;
  for (;;) {
    if (!wait_readable(f, f->listen_fd))
      break;
    int fd = accept(f->listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    conn_arg_t *c = malloc(sizeof *c);
    c->f = f;
    c->fd = fd;
    if (f->n_conns == FAKE_MAX_CONNS || pthread_create(&f->conns[f->n_conns], NULL, conn_main, c) != 0) {
      free(c);
      close(fd);
      continue;
    }
    f->n_conns++;
  }
  for (int i = 0; i < f->n_conns; i++)
    pthread_join(f->conns[i], NULL);
  return NULL;
}

int fake_start(fake_server_t *f, fake_handler_fn fn, void *ctx)
{
  memset(f, 0, sizeof *f);
  f->fn = fn;
  f->ctx = ctx;
  pthread_mutex_init(&f->lock, NULL);
  pthread_mutex_init(&f->handler_lock, NULL);
  if (pipe(f->stop_pipe) != 0)
    return -1;
  f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (f->listen_fd < 0 || bind(f->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(f->listen_fd, 16) != 0 || getsockname(f->listen_fd, (struct sockaddr *)&a, &alen) != 0)
    return -1;
  f->port = ntohs(a.sin_port);
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
  return pthread_create(&f->thread, NULL, fake_main, f) == 0 ? 0 : -1;
}

void fake_stop(fake_server_t *f)
{
  if (write(f->stop_pipe[1], "x", 1) != 1)
    return;
  pthread_join(f->thread, NULL);
  close(f->listen_fd);
  close(f->stop_pipe[0]);
  close(f->stop_pipe[1]);
  pthread_mutex_destroy(&f->lock);
  pthread_mutex_destroy(&f->handler_lock);
}

int fake_count(fake_server_t *f, const char *prefix)
{
  int n = 0;
  pthread_mutex_lock(&f->lock);
  for (int i = 0; i < f->n_requests; i++)
    n += strncmp(f->paths[i], prefix, strlen(prefix)) == 0;
  pthread_mutex_unlock(&f->lock);
  return n;
}

void fake_respond(fake_response_t *r, int status, const char *extra, const void *body, size_t len)
{
  char head[1024];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nX-Sync-Protocol: 2\r\n"
                   "Content-Length: %zu\r\n%s\r\n", status, len, extra ? extra : "");
  r->raw = malloc((size_t)n + len);
  memcpy(r->raw, head, (size_t)n);
  if (len)
    memcpy(r->raw + n, body, len);
  r->len = (size_t)n + len;
}

static void respond_owned(fake_response_t *r, int status, char *json, size_t len)
{
  fake_respond(r, status, NULL, json, len);
  free(json);
}

void fake_protocol_whoami(fake_response_t *r, const char *device_id)
{
  proto_whoami_t w = {.protocol = PROTO_VERSION, .name = (char *)"fake", .unit = (char *)"",
                      .server_time = 1, .credential_expires_at = 4102444800000LL};
  snprintf(w.device_id, sizeof w.device_id, "%s", device_id);
  char *json = NULL;
  size_t len = 0;
  proto_whoami_encode(&w, &json, &len);
  respond_owned(r, 200, json, len);
}

void fake_protocol_pull_empty(fake_response_t *r)
{
  proto_pull_writer_t *w = NULL;
  char *json = NULL;
  size_t len = 0;
  proto_pull_writer_new(&w);
  proto_pull_writer_finish(w, "0", 0, &json, &len);
  proto_pull_writer_free(w);
  respond_owned(r, 200, json, len);
}

/* The fake's fixed Ed25519 key pair (from a fixed seed: every test run signs alike). */
static void receipt_keypair(unsigned char pk[crypto_sign_PUBLICKEYBYTES],
                            unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
  unsigned char seed[crypto_sign_SEEDBYTES];
  crypto_generichash(seed, sizeof seed, (const unsigned char *)"libsync fake server", 19, NULL, 0);
  crypto_sign_seed_keypair(pk, sk, seed);
}

void fake_receipt_key(char out[PROTO_KEY_B64_LEN + 1])
{
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  receipt_keypair(pk, sk);
  sodium_bin2base64(out, PROTO_KEY_B64_LEN + 1, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
}

/* Signs the response as the real server does (SECURITY.md 7): one signature over the Merkle root
 * of every receipt's leaves (receipt_leaves.h), built with the hlc of each change sent. */
static void sign_response(proto_push_resp_t *resp, const proto_push_req_t *p,
                          const unsigned char *sk)
{
  size_t n = p->n_changes, count = 0;
  receipt_hash_t *leaves = calloc(RECEIPT_LEAVES_MAX(n ? n : 1), sizeof *leaves), root;
  const char **hlcs = calloc(n ? n : 1, sizeof *hlcs);
  for (size_t i = 0; hlcs && i < n; i++)
    hlcs[i] = p->changes[i].hlc;
  if (leaves && hlcs &&
      receipt_leaves_of_response(FAKE_SERVER_ID, p->device_id, resp->receipts, n, hlcs, leaves,
                                 &count, NULL) == SYNC_OK &&
      receipt_tree_root(leaves, count, root) == SYNC_OK)
    receipt_sign_root(FAKE_SERVER_ID, p->device_id, count, root, sk, resp->signature);
  free(hlcs);
  free(leaves);
}

int fake_push_count(const fake_request_t *req)
{
  proto_push_req_t *p = NULL;
  proto_diag_t d;
  if (!req->json || proto_push_req_decode(req->json, req->json_len, &p, &d) != SYNC_OK)
    return -1;
  int n = (int)p->n_changes;
  proto_push_req_free(p);
  return n;
}

int fake_push_has(const fake_request_t *req, const char *uuid)
{
  return req->json && strstr(req->json, uuid) != NULL;
}

int fake_protocol_push(fake_response_t *r, const fake_request_t *req, int64_t *seq,
                       fake_reject_fn reject, void *ctx)
{
  proto_push_req_t *p = NULL;
  proto_diag_t d;
  if (!req->json || proto_push_req_decode(req->json, req->json_len, &p, &d) != SYNC_OK) {
    fake_protocol_error(r, 400, "bad_request", 0, -1, NULL);
    return -1;
  }
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  receipt_keypair(pk, sk);
  proto_push_resp_t resp = {.protocol = PROTO_VERSION, .server_time = 1, .n_receipts = p->n_changes};
  snprintf(resp.batch_id, sizeof resp.batch_id, "%s", p->batch_id);
  resp.receipts = calloc(p->n_changes, sizeof *resp.receipts);
  proto_error_t errs[2] = {
    {.code = PROTO_E_INVALID_CHANGE, .message_id = (char *)"Jawaban tidak sesuai.",
     .message_en = (char *)"Answers do not fit.", .retryable = 0, .retry_after = -1},
    {.code = PROTO_E_UNKNOWN, .message_id = (char *)"Coba lagi.", .message_en = (char *)"Try again.",
     .retryable = 1, .retry_after = -1}};
  snprintf(errs[1].code_text, sizeof errs[1].code_text, "temporarily_unavailable");
  for (size_t i = 0; i < p->n_changes; i++) {
    proto_receipt_t *rc = &resp.receipts[i];
    snprintf(rc->uuid, sizeof rc->uuid, "%s", p->changes[i].uuid);
    rc->revision = p->changes[i].revision;
    int rej = reject ? reject(ctx, rc->uuid, rc->revision) : 0;
    if (rej) {
      rc->outcome = PROTO_OUTCOME_REJECTED;
      rc->error = &errs[rej == 2];
    } else {
      rc->outcome = PROTO_OUTCOME_STORED;
      rc->server_seq = ++*seq;
      rc->received_at = 1;
    }
  }
  sign_response(&resp, p, sk);
  char *json = NULL;
  size_t len = 0;
  sync_err_t e = proto_push_resp_encode(&resp, &json, &len);
  free(resp.receipts);
  int n = (int)p->n_changes;
  proto_push_req_free(p);
  if (e != SYNC_OK) {
    fake_protocol_error(r, 500, "internal", 1, -1, NULL);
    return -1;
  }
  respond_owned(r, 200, json, len);
  return n;
}

void fake_protocol_error(fake_response_t *r, int status, const char *code, int retryable,
                         int retry_after, const char *extra)
{
  proto_error_t e = {.code = proto_errcode_parse(code), .message_id = (char *)"Galat uji.",
                     .message_en = (char *)"Test error.", .retryable = retryable,
                     .retry_after = retry_after};
  snprintf(e.code_text, sizeof e.code_text, "%s", code);
  char *json = NULL;
  size_t len = 0;
  proto_error_encode(&e, &json, &len);
  fake_respond(r, status, extra, json, len);
  free(json);
}
