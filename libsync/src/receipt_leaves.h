/* Internal: the Merkle leaves of one push response (proto/SECURITY.md 7), built the same way by the
 * server that signs and the engine that verifies, so that every outcome the device may act on is
 * covered by the one response signature.
 *
 *   leaves[0 .. d)   one delivery leaf per receipt that is not rejected, in response order
 *                    (receipt_leaf: what a record's own proof of delivery rebuilds);
 *   leaves[d .. n)   one outcome leaf per receipt that is rejected or carries a merged revision,
 *                    in response order: BLAKE2b-256(0x00 || "libsync-outcome-v1\n<server_id>\n
 *                    <device_id>\n<position>\n<hlc sent>\n" || the receipt's canonical JSON), the
 *                    JSON being what proto_receipt_encode writes (outcome, error with its issues,
 *                    merged revision and conflict).
 *
 * A forged refusal, a forged conflict or a merged revision altered on the way changes an outcome
 * leaf, so the root no longer matches the signature and the engine acts on nothing.
 *
 * Ownership: caller-owned arrays. No state; thread-safe.
 */
#ifndef SYNC_RECEIPT_LEAVES_H
#define SYNC_RECEIPT_LEAVES_H

#include <stddef.h>
#include "codec.h"
#include "receipt_proof.h"

/* Most leaves a response of n receipts has. */
#define RECEIPT_LEAVES_MAX(n) (2 * (n))

/* Fills leaves (RECEIPT_LEAVES_MAX(n) entries) and *n_leaves; delivery_leaf[i] (n entries, may be
 * NULL) gets receipt i's delivery leaf index, or SIZE_MAX for a rejected receipt. hlcs[i] is the
 * hlc of the change receipt i answers. SYNC_ERR_INVALID_ARG when a receipt holds values no leaf
 * can (not a receipt of ours), SYNC_ERR_NOMEM. */
sync_err_t receipt_leaves_of_response(const char *server_id, const char *device_id,
                                      const proto_receipt_t *receipts, size_t n,
                                      const char *const *hlcs, receipt_hash_t *leaves,
                                      size_t *n_leaves, size_t *delivery_leaf);

#endif
