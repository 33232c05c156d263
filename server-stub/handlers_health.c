/* GET /v1/health (no credential) and GET /v1/whoami (PROTOCOL.md 2.1, 2.2). */
#include "srv_internal.h"

#include <stdio.h>
#include <string.h>

#include "sync/version.h"

void handle_health(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  (void)req;
  (void)call;
  proto_health_t h;
  memset(&h, 0, sizeof h);
  h.degraded = 0;
  snprintf(h.server_version, sizeof h.server_version, "%s", SYNC_VERSION_STRING);
  snprintf(h.server_id, sizeof h.server_id, "%s", s->server_id);
  h.protocols[0] = PROTO_VERSION;
  h.n_protocols = 1;
  h.server_time = db_now_ms();
  h.limits.max_body_wire = PROTO_MAX_BODY_WIRE;
  h.limits.max_body = PROTO_MAX_BODY;
  h.limits.max_changes = PROTO_MAX_CHANGES;
  h.limits.max_payload = PROTO_MAX_PAYLOAD;
  h.limits.max_pull_limit = PROTO_PULL_MAX_LIMIT;
  snprintf(h.receipt_key, sizeof h.receipt_key, "%s", s->keys.receipt_pk);
  char *json = NULL;
  size_t len = 0;
  if (proto_health_encode(&h, &json, &len) != SYNC_OK)
    json = NULL;
  resp_json(r, 200, json, len);
}

void handle_whoami(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  (void)s;
  (void)req;
  proto_whoami_t w;
  memset(&w, 0, sizeof w);
  w.protocol = PROTO_VERSION;
  snprintf(w.device_id, sizeof w.device_id, "%s", call->device.device_id);
  w.name = call->device.name;
  w.unit = call->device.unit;
  w.server_time = db_now_ms();
  w.credential_expires_at = call->device.credential_expires_at;
  char *json = NULL;
  size_t len = 0;
  if (proto_whoami_encode(&w, &json, &len) != SYNC_OK)
    json = NULL;
  resp_json(r, 200, json, len);
}
