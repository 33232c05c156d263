/* Internal: the proof of delivery behind signed receipts (proto/SECURITY.md 7), shared by the
 * server (signs), the sync engine (verifies a push response), the store (keeps each record's
 * proof, verifies before a purge) and the receipt document checkers.
 *
 * The server signs once per push response, not once per receipt: the receipts that are not
 * rejected, in response order, are the leaves of a binary Merkle tree, and one Ed25519 signature
 * covers the root. The device can rebuild every leaf from the receipt and the change it sent, so
 * the wire carries 88 bytes of signature per response instead of per record, and the device
 * verifies one signature per batch. Each record keeps its own proof: its leaf index, the leaf
 * count and the sibling hashes on its path (at most 9 for 500 receipts) with the signature.
 *
 *   leaf  = BLAKE2b-256(0x00 || proto_receipt_signed_text(...))
 *   node  = BLAKE2b-256(0x01 || left || right); an odd last node is carried up unchanged
 *   signed text = "libsync-receipts-v2\n<server_id>\n<device_id>\n<leaf count>\n<root hex>"
 *
 * Ownership: everything is caller-owned buffers. No state; thread-safe.
 */
#ifndef SYNC_RECEIPT_PROOF_H
#define SYNC_RECEIPT_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include "sync/error.h"

#define RECEIPT_HASH_LEN 32
#define RECEIPT_MAX_DEPTH 16          /* 2^16 leaves, far above PROTO_MAX_CHANGES */
#define RECEIPT_ROOT_TEXT_MAX 256

typedef unsigned char receipt_hash_t[RECEIPT_HASH_LEN];

/* The leaf of one receipt. SYNC_ERR_INVALID_ARG for values proto_receipt_signed_text refuses. */
sync_err_t receipt_leaf(const char *server_id, const char *device_id, const char *uuid,
                        int64_t revision, const char *hlc, int64_t server_seq, int64_t received_at,
                        receipt_hash_t leaf);

/* The root over n >= 1 leaves. SYNC_ERR_INVALID_ARG for n == 0 or n > 2^RECEIPT_MAX_DEPTH,
 * SYNC_ERR_NOMEM. */
sync_err_t receipt_tree_root(const receipt_hash_t *leaves, size_t n, receipt_hash_t root);

/* The sibling path of leaf `index` (< n) into path[0..*depth), lowest level first. Builds the
 * tree each call: for every path of a batch use receipt_tree_build once. */
sync_err_t receipt_tree_path(const receipt_hash_t *leaves, size_t n, size_t index,
                             receipt_hash_t path[RECEIPT_MAX_DEPTH], size_t *depth);

/* Every level of the tree, built once (n paths in O(n) instead of O(n^2)): the nodes, bottom-up,
 * each level after the one below. Ownership: receipt_tree_free releases the nodes. */
typedef struct receipt_tree {
  receipt_hash_t *nodes;
  size_t n;                     /* leaves */
} receipt_tree_t;

sync_err_t receipt_tree_build(const receipt_hash_t *leaves, size_t n, receipt_tree_t *out);
/* The root (borrowed from the tree). */
const unsigned char *receipt_tree_top(const receipt_tree_t *t);
/* The sibling path of leaf `index` (< t->n); returns its depth. */
size_t receipt_tree_leaf_path(const receipt_tree_t *t, size_t index,
                              receipt_hash_t path[RECEIPT_MAX_DEPTH]);
void receipt_tree_free(receipt_tree_t *t);

/* The root a leaf and its path lead to; SYNC_ERR_CRYPTO when depth does not fit (index, n). */
sync_err_t receipt_root_from_path(const receipt_hash_t leaf, size_t index, size_t n,
                                  const receipt_hash_t *path, size_t depth, receipt_hash_t root);

/* The text the response signature covers. */
sync_err_t receipt_root_text(const char *server_id, const char *device_id, size_t n,
                             const receipt_hash_t root, char *buf, size_t len);

/* Signs the root (secret key: libsodium's 64-byte Ed25519 secret key) into sig_b64 (base64,
 * padded, 88 characters + NUL). */
sync_err_t receipt_sign_root(const char *server_id, const char *device_id, size_t n,
                             const receipt_hash_t root, const unsigned char *secret_key,
                             char sig_b64[89]);

/* Checks sig_b64 over the root with the 32-byte public key. SYNC_OK or SYNC_ERR_CRYPTO. */
sync_err_t receipt_verify_root(const char *server_id, const char *device_id, size_t n,
                               const receipt_hash_t root, const char *sig_b64,
                               const unsigned char *public_key);

/* One record's proof as stored and as carried in the receipt document:
 * "<index>/<n>/<hex path, ',' separated, may be empty>/<signature base64>". */
sync_err_t receipt_proof_format(size_t index, size_t n, const receipt_hash_t *path, size_t depth,
                                const char *sig_b64, char **out);
/* The parts of a proof text; SYNC_ERR_INVALID_ARG when malformed (index >= n, depth too large,
 * bad hex or signature). */
sync_err_t receipt_proof_parse(const char *proof, size_t *index, size_t *n,
                               receipt_hash_t path[RECEIPT_MAX_DEPTH], size_t *depth,
                               char sig_b64[89]);

/* Checks one record's receipt: rebuilds the leaf, walks the path, verifies the signature.
 * SYNC_OK, SYNC_ERR_CRYPTO (does not verify), SYNC_ERR_INVALID_ARG (malformed values). */
sync_err_t receipt_verify_parts(size_t index, size_t n, const receipt_hash_t *path, size_t depth,
                                const char *sig_b64, const char *server_id, const char *device_id,
                                const char *uuid, int64_t revision, const char *hlc,
                                int64_t server_seq, int64_t received_at,
                                const unsigned char *public_key);
/* The same from a proof text. */
sync_err_t receipt_proof_verify(const char *proof, const char *server_id, const char *device_id,
                                const char *uuid, int64_t revision, const char *hlc,
                                int64_t server_seq, int64_t received_at,
                                const unsigned char *public_key);

#endif
