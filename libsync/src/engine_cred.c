/* The enrollment the sync engine works with (engine_internal.h, SECURITY.md 2 and 7): the device
 * credential, the server's identity and its receipt-signing key, all read from the store where
 * sync_enroll() put them, and the check of a push response's signature over its receipts. */
#include "engine_internal.h"
#include "receipt_leaves.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sync_err_t not_enrolled(char *errbuf, size_t errlen, const char *why)
{
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "this store is not enrolled with a server (%s): enrol it first "
             "with an enrollment code (sync_enroll, 'syncctl enroll')", why);
  return SYNC_ERR_NOT_ENROLLED;
}

/* A plain sync_state value; NOT_FOUND when absent or empty. */
static sync_err_t state(sync_store_t *s, const char *key, char *buf, size_t len)
{
  sync_err_t err = store_state_get(s, key, buf, len);
  return err == SYNC_OK && !buf[0] ? SYNC_ERR_NOT_FOUND : err;
}

sync_err_t engine_load_credential(sync_engine_t *e, char **server_url, char *errbuf, size_t errlen)
{
  char id[PROTO_UUID_LEN + 2], secret[PROTO_SECRET_LEN + 2], key[PROTO_KEY_B64_LEN + 2];
  char url[1024], auth[128];
  sync_err_t err;
  *server_url = NULL;
  if ((err = state(e->store, STATE_DEVICE_ID, id, sizeof id)) != SYNC_OK ||
      (err = store_state_get_secret(e->store, STATE_SECRET, secret, sizeof secret)) != SYNC_OK ||
      (err = state(e->store, STATE_SERVER_ID, e->server_id, sizeof e->server_id)) != SYNC_OK ||
      (err = state(e->store, STATE_RECEIPT_KEY, key, sizeof key)) != SYNC_OK ||
      (err = state(e->store, STATE_SERVER_URL, url, sizeof url)) != SYNC_OK) {
    sodium_memzero(secret, sizeof secret);
    if (err != SYNC_ERR_NOT_FOUND) {
      if (errbuf && errlen)
        snprintf(errbuf, errlen, "cannot read the enrollment: %s", sync_store_errmsg(e->store));
      return err;
    }
    return not_enrolled(errbuf, errlen, "no credential");
  }
  /* The credential is bound to this store's device: one copied from another store is refused. */
  if (strcmp(id, sync_store_device_id(e->store)) != 0) {
    sodium_memzero(secret, sizeof secret);
    return not_enrolled(errbuf, errlen, "the credential belongs to another device");
  }
  size_t klen = 0;
  if (sodium_base642bin(e->receipt_key, sizeof e->receipt_key, key, strlen(key), NULL, &klen, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || klen != sizeof e->receipt_key) {
    sodium_memzero(secret, sizeof secret);
    return not_enrolled(errbuf, errlen, "the stored receipt key is not an Ed25519 public key");
  }
  err = proto_auth_format(id, secret, auth, sizeof auth);
  sodium_memzero(secret, sizeof secret);
  if (err != SYNC_OK) {
    sodium_memzero(auth, sizeof auth);
    return not_enrolled(errbuf, errlen, "the stored credential is malformed");
  }
  memcpy(e->device_id, id, sizeof e->device_id); /* equal to the store's: PROTO_UUID_LEN + NUL */
  snprintf(e->auth_header, sizeof e->auth_header, "Authorization: %s", auth);
  sodium_memzero(auth, sizeof auth);
  if (!(*server_url = strdup(url)))
    return SYNC_ERR_NOMEM;
  return SYNC_OK;
}

void engine_proofs_free(char **proofs, size_t n)
{
  for (size_t i = 0; proofs && i < n; i++)
    free(proofs[i]);
  free(proofs);
}

sync_err_t engine_receipt_proofs(const sync_engine_t *e, const proto_push_resp_t *resp,
                                 const char *const *hlcs, char ***out)
{
  size_t n = 0, max = resp->n_receipts ? resp->n_receipts : 1;
  *out = NULL;
  if (RECEIPT_LEAVES_MAX(max) > ((size_t)1 << RECEIPT_MAX_DEPTH))
    return SYNC_ERR_CRYPTO; /* more than a proof can hold; far above PROTO_MAX_CHANGES */
  receipt_hash_t *leaves = malloc(RECEIPT_LEAVES_MAX(max) * sizeof *leaves);
  size_t *leaf_of = malloc(max * sizeof *leaf_of);
  char **proofs = calloc(max, sizeof *proofs);
  receipt_tree_t tree = {0};
  sync_err_t err = leaves && leaf_of && proofs ? SYNC_OK : SYNC_ERR_NOMEM;
  /* Every outcome is a leaf (receipt_leaves.h): nothing of the response is acted on, a refusal
   * included, unless the one signature over them all verifies. */
  if (err == SYNC_OK) {
    err = receipt_leaves_of_response(e->server_id, e->device_id, resp->receipts, resp->n_receipts,
                                     hlcs, leaves, &n, leaf_of);
    if (err == SYNC_ERR_INVALID_ARG)
      err = SYNC_ERR_CRYPTO; /* values no signed leaf can hold: not a receipt of ours */
  }
  /* One tree for the batch: its root is what the signature covers, and every row's path is read
   * from it (a receipt_tree_path walk per row would cost n^2 hashes). */
  if (err == SYNC_OK && (err = receipt_tree_build(leaves, n, &tree)) == SYNC_OK &&
      receipt_verify_root(e->server_id, e->device_id, n, receipt_tree_top(&tree), resp->signature,
                          e->receipt_key) != SYNC_OK)
    err = SYNC_ERR_CRYPTO;
  /* Each acknowledged row keeps its own proof: index, count, sibling path, signature. */
  receipt_hash_t path[RECEIPT_MAX_DEPTH];
  for (size_t i = 0; err == SYNC_OK && i < resp->n_receipts; i++)
    if (leaf_of[i] != SIZE_MAX)
      err = receipt_proof_format(leaf_of[i], n, path, receipt_tree_leaf_path(&tree, leaf_of[i], path),
                                 resp->signature, &proofs[i]);
  receipt_tree_free(&tree);
  free(leaves);
  free(leaf_of);
  if (err != SYNC_OK) {
    engine_proofs_free(proofs, resp->n_receipts);
    return err;
  }
  *out = proofs;
  return SYNC_OK;
}
