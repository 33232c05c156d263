/* The export's integrity check of sealed records (SECURITY.md 4): the opener `syncserver export
 * --private-key` uses. Before a sealed record's answers are written it checks, against what the
 * database holds and the server's receipt public key:
 *   - the sealed text is one its device sent, and that revision carries the device's signature
 *     over it (device_sig.h) — a text swapped in from another record or device, or altered, fails;
 *   - the key the signature was checked with is certified by the receipt key for that device —
 *     a key written into the database by someone without the receipt key fails;
 * and after opening it re-applies the form's consent rule to the answers.
 *
 * Integrity of a record: ok | unsigned (its device was enrolled before device signatures) |
 * bad_signature | bad_certificate (its sealed answers are not written: the record is named on
 * stderr and left out, like an envelope that does not open) | consent_violation (answers given
 * without consent are dropped; the rest is written).
 * Every record not ok is named on stderr; export_verify_report prints the summary. The word is
 * also the record's `integrity` column in the export.
 *
 * Threads: the opener runs on the export's worker threads; it serialises its database reads on
 * the export's own connection (whose read snapshot it shares) with a mutex. Ownership: the
 * verifier borrows the connection and the seal opener, which must outlive it.
 */
#ifndef SRV_EXPORT_VERIFY_H
#define SRV_EXPORT_VERIFY_H

#include <stdio.h>

#include "db.h"
#include "sync/seal.h"

struct cJSON;
struct exp_opened;
struct exp_stored;

typedef struct exp_verify exp_verify_t;

/* SYNC_ERR_CORRUPT when the database holds no usable receipt key, SYNC_ERR_NOMEM. */
sync_err_t export_verify_new(db_conn_t *c, const sync_seal_opener_t *opener, exp_verify_t **out);
void export_verify_free(exp_verify_t *v);

/* An exp_open_fn (export.h) whose ctx is an exp_verify_t. */
struct cJSON *export_open_verified(void *ctx, const struct exp_stored *rec,
                                   struct exp_opened *st, char *why, size_t whylen);

/* Writes one summary line per integrity class other than ok (count and the first uuids) to `f`;
 * returns the number of records that were not ok and not merely unsigned. */
long long export_verify_report(const exp_verify_t *v, FILE *f);

#endif
