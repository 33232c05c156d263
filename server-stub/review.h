/* Central review of a record: staff set its case status and referral outcome (the
 * `central_review` fields of the reference form, appearance "central"). The change is a central
 * revision on the record's head (db_central_write): it reaches the device that made the record
 * through pull and takes part in conflicts like any other revision.
 *
 * Both values must be choices of the record's own form version — the version it was made with,
 * not the newest — and the whole new payload must still fit that version (draft rules). `force`
 * skips both checks (for forms without these fields; the device may then refuse the change).
 */
#ifndef SRV_REVIEW_H
#define SRV_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define REVIEW_STATUS_FIELD "case_status"
#define REVIEW_REFERRAL_FIELD "referral_outcome"

/* status or referral may be NULL (left as is), not both. On failure `msg` explains (for a wrong
 * value it lists the allowed choices). SYNC_ERR_NOT_FOUND (no record), SYNC_ERR_STATE (deleted),
 * SYNC_ERR_VALIDATION (a value or the payload does not fit), storage errors. */
sync_err_t review_set_status(db_conn_t *c, const char *uuid, const char *status,
                             const char *referral, const char *by, int force, int64_t *revision,
                             int64_t *seq, char *msg, size_t msglen);

/* db_validate_fn parsing the form version from the database (draft rules). ctx: db_conn_t. */
sync_err_t review_validate(void *ctx, const char *form_id, int version, const char *payload,
                           issue_list_t *issues);

#endif
