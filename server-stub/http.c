/* libmicrohttpd front end (http.h). A request's first callback runs the header checks of
 * srv_begin() (so an oversized, unauthenticated or misdeclared body is refused before it is
 * read); the body is accumulated up to its route's limit (bodylimit.h); the last callback runs
 * srv_finish. Connections are admitted, capped and held to deadlines by connguard.h. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bodylimit.h"
#include "connguard.h"
#include "log.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define PROTO_VERSION_TEXT STR(PROTO_VERSION)
#define MAX_HEADERS 64
#define MAX_QUERY 16
/* Past the cap, a body without Content-Length is drained up to this much, then dropped. */
#define DRAIN_LIMIT ((size_t)PROTO_MAX_BODY_WIRE * 2)
/* An early answer to a request whose body is at most this is sent after draining the body. */
#define EARLY_DRAIN_MAX 65536ULL

struct http_server {
  struct MHD_Daemon *d;
  srv_t *srv;
  connguard_t *guard;
  bodylimit_t limits;
  atomic_int in_flight;
  int tls;
  char address[80];
};

typedef struct conn_state {
  http_server_t *h;
  srv_call_t call;
  srv_response_t resp;
  int responded;      /* a response was queued */
  int pending;        /* srv_begin answered; send it once the request is read */
  int too_large;
  int counted;        /* holds up graceful shutdown (see http_stop) */
  int unauth;         /* the body is an unauthenticated client's (bodylimit.h) */
  char *body;
  size_t len, cap, drained;
  size_t limit;       /* the most body this request may send */
  size_t reserved;    /* bytes of the unauthenticated budget held for body */
  struct timespec t0;
  char peer[64];
  char addr[INET6_ADDRSTRLEN];
  char method[8];
  char path[128];
} conn_state_t;

typedef struct kv_list {
  srv_kv_t kv[MAX_HEADERS];
  size_t n, max;
} kv_list_t;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
  (void)kind;
  kv_list_t *l = cls;
  if (l->n < l->max) {
    l->kv[l->n].name = key;
    l->kv[l->n].value = value;
    l->n++;
  }
  return MHD_YES;
}

/* "addr:port" for logs into buf, the address alone (the rate limit's key) into host. */
static void peer_text(struct MHD_Connection *conn, char *buf, size_t len,
                      char host[INET6_ADDRSTRLEN])
{
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(buf, len, "-");
  snprintf(host, INET6_ADDRSTRLEN, "-");
  if (!ci || !ci->client_addr)
    return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    inet_ntop(AF_INET, &in->sin_addr, host, INET6_ADDRSTRLEN);
    snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(in->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, INET6_ADDRSTRLEN);
    snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
  }
}

static void fill_request(struct MHD_Connection *conn, const char *url, const char *method,
                         conn_state_t *st, kv_list_t *headers, kv_list_t *query,
                         srv_request_t *req)
{
  headers->n = 0;
  headers->max = MAX_HEADERS;
  query->n = 0;
  query->max = MAX_QUERY;
  MHD_get_connection_values(conn, MHD_HEADER_KIND, collect, headers);
  MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect, query);
  memset(req, 0, sizeof *req);
  req->method = method;
  req->path = url;
  req->headers = headers->kv;
  req->n_headers = headers->n;
  req->query = query->kv;
  req->n_query = query->n;
  req->body = st->body;
  req->body_len = st->len;
  req->peer = st->peer;
  req->addr = st->addr;
}

/* The connection's entry in the guard's table (NULL when it is not guarded). */
static connguard_conn_t *guard_entry(struct MHD_Connection *conn)
{
  const union MHD_ConnectionInfo *ci =
    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

/* Frees the body and returns its share of the unauthenticated budget. */
static void release_body(conn_state_t *st)
{
  free(st->body);
  st->body = NULL;
  st->len = st->cap = 0;
  if (st->reserved)
    bodylimit_give(&st->h->limits, st->reserved);
  st->reserved = 0;
}

/* Makes room for n more body bytes, an unauthenticated body's from the budget. 0, or -1 when the
 * budget is spent or memory is out. */
static int grow_body(conn_state_t *st, size_t n)
{
  if (st->len + n + 1 <= st->cap)
    return 0;
  size_t ncap = st->cap ? st->cap : 4096;
  while (ncap < st->len + n + 1)
    ncap *= 2;
  if (ncap > st->limit + 1)
    ncap = st->limit + 1;
  if (st->unauth && ncap > st->reserved) {
    if (bodylimit_take(&st->h->limits, ncap - st->reserved) != 0)
      return -1;
    st->reserved = ncap;
  }
  char *nb = realloc(st->body, ncap);
  if (!nb)
    return -1;
  st->body = nb;
  st->cap = ncap;
  return 0;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, conn_state_t *st)
{
  connguard_busy(st->h->guard, guard_entry(conn));
  srv_response_t *r = &st->resp;
  struct MHD_Response *mr = MHD_create_response_from_buffer(
    r->body_len, r->body ? r->body : (void *)"", r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!mr)
    return MHD_NO;
  r->body = NULL; /* MHD owns it now */
  if (r->status != 304)
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : PROTO_CONTENT_TYPE);
  MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (r->html) {
    /* The dashboard: no script, no outside resource, no framing; inline styles and data: images
     * only. */
    MHD_add_response_header(mr, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
                            " form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    /* same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on the
     * login form's POST, which the origin check (dash.c) must refuse. */
    MHD_add_response_header(mr, "Referrer-Policy", "same-origin");
  } else {
    MHD_add_response_header(mr, PROTO_HDR_PROTOCOL, PROTO_VERSION_TEXT);
  }
  if (r->set_cookie[0])
    MHD_add_response_header(mr, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
  if (r->location[0])
    MHD_add_response_header(mr, MHD_HTTP_HEADER_LOCATION, r->location);
  if (r->lz4)
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_ENCODING, PROTO_CONTENT_ENCODING);
  if (r->allow)
    MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, r->allow);
  if (r->www_authenticate)
    MHD_add_response_header(mr, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Device realm=\"libsync\"");
  if (r->retry_after > 0) {
    char v[16];
    snprintf(v, sizeof v, "%d", r->retry_after);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, v);
  }
  if (r->etag[0])
    MHD_add_response_header(mr, MHD_HTTP_HEADER_ETAG, r->etag);
  if (r->close)
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, mr);
  MHD_destroy_response(mr);
  st->responded = 1;
  return ret;
}

/* After srv_begin asked for the body: its route's limit applies before any byte is read. A
 * declared length over it is refused at once, and an unauthenticated body's declared length is
 * taken from the budget at once (503 when spent). */
static enum MHD_Result begin_body(struct MHD_Connection *conn, conn_state_t *st)
{
  http_server_t *h = st->h;
  st->unauth = bodylimit_unauthenticated(&st->call);
  st->limit = bodylimit_of(&h->limits, &st->call);
  connguard_head_done(h->guard, guard_entry(conn), !st->unauth);
  const char *cl =
    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
  if (declared > st->limit) {
    bodylimit_too_large(&st->call, st->limit, &st->resp);
    return send_response(conn, st);
  }
  if (declared > 0 && grow_body(st, (size_t)declared) != 0) {
    bodylimit_busy(&st->call, &st->resp);
    return send_response(conn, st);
  }
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
  (void)version;
  http_server_t *h = cls;
  conn_state_t *st = *con_cls;
  kv_list_t headers, query;
  srv_request_t req;

  if (!st) {
    st = calloc(1, sizeof *st);
    if (!st)
      return MHD_NO;
    *con_cls = st;
    st->h = h;
    connguard_head_done(h->guard, guard_entry(conn), 0);
    clock_gettime(CLOCK_MONOTONIC, &st->t0);
    peer_text(conn, st->peer, sizeof st->peer, st->addr);
    snprintf(st->method, sizeof st->method, "%s", method);
    snprintf(st->path, sizeof st->path, "%s", url);
    fill_request(conn, url, method, st, &headers, &query, &req);
    if (srv_begin(h->srv, &req, &st->call, &st->resp)) {
      /* Answered from the headers alone. MHD closes the connection when a response is queued
       * before the request was read to its end, so only a large (or unsized) body is refused
       * at once; anything else is drained and answered on the keep-alive connection. */
      const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_LENGTH);
      const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_TRANSFER_ENCODING);
      int small = te == NULL && (cl == NULL || strtoull(cl, NULL, 10) <= EARLY_DRAIN_MAX);
      if (!small || st->resp.close)
        return send_response(conn, st);
      st->pending = 1;
      return MHD_YES;
    }
    return begin_body(conn, st);
  }
  if (st->responded) {
    *upload_data_size = 0;  /* should not happen: MHD does not call after a response */
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    connguard_body(h->guard, guard_entry(conn), n);
    if (st->pending) {
      st->drained += n;
      return MHD_YES;
    }
    if (st->too_large || n > st->limit - st->len) {
      /* Over the limit while arriving (a chunked body). libmicrohttpd cannot answer in the
       * middle of a body, so an unauthenticated one is cut at once (the log says 413); a
       * device's is dropped and answered 413 at the end (drained up to a bound), so that the
       * device reads the answer rather than a reset. */
      st->drained += st->len + n;
      release_body(st);
      if (st->unauth) {
        bodylimit_too_large(&st->call, st->limit, &st->resp);
        return MHD_NO;
      }
      st->too_large = 1;
      return st->drained > DRAIN_LIMIT ? MHD_NO : MHD_YES;
    }
    if (grow_body(st, n) != 0) {
      /* The budget is spent (or memory is out) in the middle of a body: cut, as above. */
      st->drained += st->len + n;
      release_body(st);
      bodylimit_busy(&st->call, &st->resp);
      return MHD_NO;
    }
    memcpy(st->body + st->len, upload_data, n);
    st->len += n;
    return MHD_YES;
  }
  /* The whole body is here. */
  if (st->pending)
    return send_response(conn, st);
  /* From here the request may commit, so shutdown waits for its answer. A request still
   * uploading cannot have been acknowledged and must not hold shutdown up: a client that
   * vanished mid-body would otherwise keep the server waiting for the whole grace period. */
  st->counted = 1;
  atomic_fetch_add(&h->in_flight, 1);
  connguard_busy(h->guard, guard_entry(conn));
  fill_request(conn, url, method, st, &headers, &query, &req);
  if (st->too_large)
    srv_too_large(h->srv, &st->call, &st->resp);
  else
    srv_finish(h->srv, &req, &st->call, &st->resp);
  size_t got = st->len;
  release_body(st);
  st->len = got;   /* for the log line */
  return send_response(conn, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  http_server_t *h = cls;
  conn_state_t *st = *con_cls;
  connguard_idle(h->guard, guard_entry(conn));
  if (!st)
    return;
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - st->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - st->t0.tv_nsec) / 1e6;
  srv_response_t *r = &st->resp;
  /* Method, path and device id are the client's words: quoted, so that "%0A" or a space in a
   * path cannot start a forged line or add a key=value pair. */
  char q[200], qm[24], qp[280], qd[80];
  log_event(r->status >= 500 ? LOG_ERROR : LOG_INFO, "request",
            "peer=%s method=%s path=%s status=%d device=%s code=%s bytes_in=%zu bytes_out=%zu"
            " ms=%.1f completed=%s detail=%s",
            st->peer, log_quote(st->method, qm, sizeof qm), log_quote(st->path, qp, sizeof qp),
            r->status, log_quote(r->device_id[0] ? r->device_id : "-", qd, sizeof qd),
            r->code[0] ? r->code : "-", st->len + st->drained, r->body_len, ms,
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "yes" : "no",
            log_quote(r->detail, q, sizeof q));
  int st_counted = st->counted;
  release_body(st);
  free(st->resp.body);
  free(st);
  *con_cls = NULL;
  if (st_counted)
    atomic_fetch_sub(&h->in_flight, 1);
}

/* Connections enter and leave the guard's table; its entry is the MHD socket context. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
  http_server_t *h = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *fd =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ad =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    *socket_context = fd && ad ? connguard_opened(h->guard, fd->connect_fd, ad->client_addr) : NULL;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    connguard_closed(h->guard, *socket_context);
    *socket_context = NULL;
  }
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
  (void)addrlen;
  http_server_t *h = cls;
  return connguard_admit(h->guard, addr) ? MHD_YES : MHD_NO;
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  char msg[512], q[540];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
    msg[--n] = '\0';
  log_event(LOG_WARN, "mhd", "detail=%s", log_quote(msg, q, sizeof q));
}

/* "host:port" or "[v6]:port" into a socket address. */
static int parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *sslen, int *v6,
                        char *err, size_t errlen)
{
  char host[INET6_ADDRSTRLEN + 2];
  const char *port_text;
  memset(ss, 0, sizeof *ss);
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof host)
      goto bad;
    memcpy(host, text + 1, (size_t)(end - text - 1));
    host[end - text - 1] = '\0';
    port_text = end + 2;
    *v6 = 1;
  } else {
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host)
      goto bad;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    port_text = colon + 1;
    *v6 = 0;
  }
  char *endp;
  errno = 0;
  long port = strtol(port_text, &endp, 10);
  if (!*port_text || *endp || errno || port < 0 || port > 65535)
    goto bad;
  if (*v6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
      goto bad;
    *sslen = sizeof *in6;
  } else {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
      goto bad;
    *sslen = sizeof *in;
  }
  return 0;
bad:
  snprintf(err, errlen, "bad listen address '%s' (expected 127.0.0.1:PORT or [::1]:PORT)", text);
  return -1;
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: reachable from this machine only. */
static int is_loopback(const struct sockaddr_storage *ss)
{
  if (ss->ss_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
  const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

int http_start(srv_t *s, const http_config_t *cfg, http_server_t **out, char *err, size_t errlen)
{
  *out = NULL;
  struct sockaddr_storage ss;
  socklen_t sslen;
  int v6;
  if (parse_listen(cfg->listen, &ss, &sslen, &v6, err, errlen) != 0)
    return -1;
  int tls = cfg->tls_cert_pem && cfg->tls_key_pem;
  if (!tls && !cfg->allow_insecure_http && !is_loopback(&ss)) {
    snprintf(err, errlen,
             "HTTP tanpa TLS hanya di alamat loopback (127.0.0.1, [::1]); pakai --tls-cert/--tls-key,"
             " atau --allow-insecure-http bila jaringan di antaranya tepercaya / plain HTTP only on"
             " a loopback address (127.0.0.1, [::1]): serve HTTPS with --tls-cert/--tls-key, or add"
             " --allow-insecure-http if the network in between is trusted (%s)", cfg->listen);
    return -1;
  }
  http_server_t *h = calloc(1, sizeof *h);
  if (!h) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  h->srv = s;
  atomic_init(&h->in_flight, 0);
  int max_conn = cfg->connection_limit > 0 ? cfg->connection_limit : 256;
  connguard_config_t gc = {
    .max_connections = max_conn,
    .per_address = cfg->per_ip_limit > 0 ? cfg->per_ip_limit : 64,
    .per_prefix = cfg->per_prefix_limit > 0 ? cfg->per_prefix_limit : 128,
    .header_timeout_s = cfg->header_timeout_s > 0 ? cfg->header_timeout_s : 20,
    .body_min_rate = cfg->body_min_rate > 0 ? cfg->body_min_rate : 256,
    .body_grace_s = cfg->body_grace_s > 0 ? cfg->body_grace_s : 20,
  };
  bodylimit_init(&h->limits, cfg->unauth_body_max > 0 ? cfg->unauth_body_max : 16384,
                 cfg->unauth_budget > 0 ? cfg->unauth_budget : (size_t)2 << 20);
  if (!(h->guard = connguard_new(&gc))) {
    snprintf(err, errlen, "out of memory");
    free(h);
    return -1;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_USE_ITC;
  if (v6)
    flags |= MHD_USE_IPv6;
  if (tls) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      snprintf(err, errlen, "this libmicrohttpd has no TLS support");
      connguard_free(h->guard);
      free(h);
      return -1;
    }
    flags |= MHD_USE_TLS;
  }
  /* The guard's caps (connguard.h) decide admission and make room by closing connections that
   * proved nothing; that closing is asynchronous, so the daemon's own hard limit sits above the
   * guard's. The daemon's per-address limit is off: it would refuse before the guard could make
   * room. Options after MHD_OPTION_END are ignored, so the TLS pair goes last or not at all. */
  unsigned hard_limit = (unsigned)(max_conn + max_conn / 4 + 16);
  h->d = MHD_start_daemon(
    flags, 0, on_accept, h, on_request, h,
    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 4),
    MHD_OPTION_CONNECTION_LIMIT, hard_limit,
    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s > 0 ? cfg->timeout_s : 120),
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
    tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, cfg->tls_key_pem,
    MHD_OPTION_HTTPS_MEM_CERT, cfg->tls_cert_pem,
    MHD_OPTION_END);
  if (!h->d) {
    snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen, strerror(errno ? errno : EADDRINUSE));
    connguard_free(h->guard);
    free(h);
    return -1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  unsigned port = di ? di->port : 0;
  char host[INET6_ADDRSTRLEN] = "";
  if (v6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
  else
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
  snprintf(h->address, sizeof h->address, v6 ? "[%s]:%u" : "%s:%u", host, port);
  h->tls = tls;
  *out = h;
  return 0;
}

const char *http_address(const http_server_t *h)
{
  return h->address;
}

int http_is_tls(const http_server_t *h)
{
  return h->tls;
}

void http_stop(http_server_t *h, int grace_s)
{
  if (!h)
    return;
  srv_set_stopping(h->srv, 1);
  /* The worker threads drop the quiesced socket from their epoll sets some time later; closing
   * it before MHD_stop_daemon races with that and MHD aborts ("Failed to remove listen FD from
   * epoll set"). Until then new connections wait in the backlog, unanswered. */
  MHD_socket ls = MHD_quiesce_daemon(h->d);
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    int n = atomic_load(&h->in_flight);
    if (n <= 0)
      break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec >= grace_s) {
      log_event(LOG_WARN, "shutdown_timeout", "in_flight=%d", n);
      break;
    }
    struct timespec pause = {0, 20 * 1000000L};
    nanosleep(&pause, NULL);
  }
  MHD_stop_daemon(h->d);
  if (ls != MHD_INVALID_SOCKET)
    close(ls);
  connguard_free(h->guard);
  free(h);
}
