/* The HTTP front end on libmicrohttpd: a thread pool, connection caps and deadlines
 * (connguard.h), per-route body limits and the unauthenticated memory budget (bodylimit.h),
 * bodies capped while they arrive, and graceful shutdown. */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include "server.h"

typedef struct http_server http_server_t;

typedef struct http_config {
  const char *listen;        /* "127.0.0.1:8080", "[::1]:0", "0.0.0.0:443"; port 0 = ephemeral */
  int threads;               /* 0 = 4 */
  int connection_limit;      /* 0 = 256 */
  int per_ip_limit;          /* connections per client address; 0 = 64 */
  int timeout_s;             /* idle connection timeout; 0 = 120 */
  const char *tls_cert_pem;  /* PEM contents (not file names); both set = HTTPS via GnuTLS */
  const char *tls_key_pem;
  int allow_insecure_http;   /* plain HTTP on a non-loopback address (refused otherwise) */
  /* Availability under hostile load (connguard.h, bodylimit.h); 0 = the default */
  int per_prefix_limit;      /* connections per /24 or /64; 0 = 128 */
  int header_timeout_s;      /* a request head complete within this; 0 = 20 */
  int body_min_rate;         /* bytes/s a body must average ...; 0 = 256 */
  int body_grace_s;          /* ... after this many seconds; 0 = 20 */
  size_t unauth_body_max;    /* an enrollment or dashboard form body; 0 = 16384 */
  size_t unauth_budget;      /* all unauthenticated bodies together; 0 = 2 MiB */
} http_config_t;

/* Starts listening. err gets the reason on failure. */
int http_start(srv_t *s, const http_config_t *cfg, http_server_t **out, char *err, size_t errlen);
/* The bound address as "host:port" ("[::1]:port" for IPv6). */
const char *http_address(const http_server_t *h);
int http_is_tls(const http_server_t *h);
/* Stops accepting, answers new requests on open connections with 503, waits up to `grace_s`
 * for requests in progress to finish, then stops the daemon. */
void http_stop(http_server_t *h, int grace_s);

#endif
