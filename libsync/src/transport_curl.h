/* Internal: the built-in HTTP transport of the sync engine, on libcurl (sync/engine.h,
 * sync_transport_t). One easy handle is reused for every request, so the connection stays open
 * (keep-alive, HTTP/2 over TLS when the server offers it). TLS peer and host verification are on;
 * proxies come from the environment (libcurl's defaults). Request bodies go as given; response
 * bodies are returned undecoded (the engine decodes lz4 itself) and refused beyond
 * PROTO_MAX_BODY_WIRE bytes. Besides the results of sync_transport_t, perform() returns
 * SYNC_ERR_CRYPTO when the server's certificate or pinned key could not be verified.
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

#endif
