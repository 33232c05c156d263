/* The leaves of a push response (receipt_leaves.h, proto/SECURITY.md 7). */
#include "receipt_leaves.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_outcome_leaf(const proto_receipt_t *r)
{
  return r->outcome == PROTO_OUTCOME_REJECTED || r->merged != NULL;
}

/* The outcome leaf of receipt `pos` (receipt_leaves.h). */
static sync_err_t outcome_leaf(const char *server_id, const char *device_id, size_t pos,
                               const char *hlc, const proto_receipt_t *r, receipt_hash_t leaf)
{
  if (!proto_uuid_valid(server_id) || !proto_uuid_valid(device_id) || !proto_hlc_valid(hlc))
    return SYNC_ERR_INVALID_ARG;
  char *json = NULL;
  size_t len = 0;
  sync_err_t err = proto_receipt_encode(r, &json, &len);
  if (err != SYNC_OK)
    return err == SYNC_ERR_NOMEM ? err : SYNC_ERR_INVALID_ARG;
  char head[256];
  int n = snprintf(head, sizeof head, "libsync-outcome-v1\n%s\n%s\n%zu\n%s\n", server_id, device_id,
                   pos, hlc);
  static const unsigned char tag = 0x00; /* a leaf, like receipt_leaf: never a node */
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, RECEIPT_HASH_LEN);
  crypto_generichash_update(&st, &tag, 1);
  crypto_generichash_update(&st, (const unsigned char *)head, (size_t)n);
  crypto_generichash_update(&st, (const unsigned char *)json, len);
  crypto_generichash_final(&st, leaf, RECEIPT_HASH_LEN);
  free(json);
  return SYNC_OK;
}

sync_err_t receipt_leaves_of_response(const char *server_id, const char *device_id,
                                      const proto_receipt_t *receipts, size_t n,
                                      const char *const *hlcs, receipt_hash_t *leaves,
                                      size_t *n_leaves, size_t *delivery_leaf)
{
  size_t k = 0;
  *n_leaves = 0;
  for (size_t i = 0; i < n; i++) {
    const proto_receipt_t *r = &receipts[i];
    if (delivery_leaf)
      delivery_leaf[i] = SIZE_MAX;
    if (r->outcome == PROTO_OUTCOME_REJECTED)
      continue;
    if (receipt_leaf(server_id, device_id, r->uuid, r->revision, hlcs[i], r->server_seq,
                     r->received_at, leaves[k]) != SYNC_OK)
      return SYNC_ERR_INVALID_ARG;
    if (delivery_leaf)
      delivery_leaf[i] = k;
    k++;
  }
  for (size_t i = 0; i < n; i++) {
    if (!has_outcome_leaf(&receipts[i]))
      continue;
    sync_err_t err = outcome_leaf(server_id, device_id, i, hlcs[i], &receipts[i], leaves[k]);
    if (err != SYNC_OK)
      return err;
    k++;
  }
  *n_leaves = k;
  return SYNC_OK;
}
