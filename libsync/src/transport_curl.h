/* Internal: the built-in HTTP transport of the sync engine, on libcurl (sync/engine.h,
 * sync_transport_t). One easy handle is reused for every request, so the connection stays open
 * (keep-alive, HTTP/2 over TLS when the server offers it). TLS peer and host verification are on;
 * proxies come from the environment (libcurl's defaults). Request bodies go as given; response
 * bodies are returned undecoded (the engine decodes lz4 itself) and refused beyond
 * PROTO_MAX_BODY_WIRE bytes. Besides the results of sync_transport_t, perform() returns
 * SYNC_ERR_CRYPTO when the server's certificate or pinned key could not be verified.
 *
 * A request with a timeout_ms runs without the low-speed limit: the engine sets that timeout from
 * the upload rate it measured, because while the server is still receiving a body that sits in
 * the socket buffers no byte moves that libcurl can see. Requests without one (timeout_ms 0) keep
 * the low-speed limit.
 *
 * Ownership: transport_curl_new() fills *out; out->destroy(out->ctx) releases it (the engine does).
 * Threads: one request at a time per transport; curl_global_init runs once per process.
 */
#ifndef SYNC_TRANSPORT_CURL_H
#define SYNC_TRANSPORT_CURL_H

#include "sync/engine.h"

typedef struct transport_curl_opts {
  const char *ca_file;          /* NULL: the system trust store */
  const char *pinned_pubkey;    /* NULL: no pinning */
  long connect_timeout_ms;
  long low_speed_bytes_per_s;
  long low_speed_time_s;
} transport_curl_opts_t;

sync_err_t transport_curl_new(const transport_curl_opts_t *opts, sync_transport_t *out,
                              char *errbuf, size_t errlen);

/* What the last request of a built-in transport did, for the engine's accounting of requests that
 * got no response: an upload cut in the middle (some body sent) is not a server that cannot be
 * reached (nothing sent). */
typedef struct transport_curl_last {
  int64_t body_sent;            /* request body bytes handed to the connection */
  int64_t setup_ms;             /* setting up a new connection (TCP, then TLS); 0 when reused */
  int64_t tcp_connect_ms;       /* of that, the TCP handshake (one round trip); 0 when reused */
  int answer_started;           /* a response status line arrived (the upload was complete) */
  int timed_out;                /* ended by req->timeout_ms */
} transport_curl_last_t;

/* 1 and *out filled when t is a built-in transport; 0 (a custom transport) otherwise. Call on the
 * thread that made the request, or after joining it. */
int transport_curl_last(const sync_transport_t *t, transport_curl_last_t *out);

#endif
