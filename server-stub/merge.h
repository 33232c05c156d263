/* The deterministic field-level merge of PROTOCOL.md section 5: a device revision D made from a
 * base B meets a central head C. Pure: no database, no clock.
 *
 * Ownership: the result's payload and fields (and their value texts) are malloc'd; release with
 * merge_result_free(). Threads: no shared state. */
#ifndef SRV_MERGE_H
#define SRV_MERGE_H

#include <stddef.h>

#include "codec.h"
#include "issues.h"

typedef struct merge_side {
  const char *payload;   /* JSON object text ("{}" for a tombstone) */
  int deleted;
  const char *hlc;
} merge_side_t;

typedef struct merge_result {
  char *payload;                    /* compact JSON object text; "{}" when deleted */
  int deleted;
  int central_form;                 /* 1: M takes C's form_id/form_version (C's hlc is greater) */
  proto_conflict_field_t *fields;   /* the conflicting fields, n_fields entries */
  size_t n_fields;
} merge_result_t;

/* Validates a merged payload against the form version M takes (draft mode); issues appended. */
typedef int (*merge_check_fn)(void *ctx, const char *payload, issue_list_t *issues);

/* base NULL: B is not on the server (every field where D and C differ counts as changed on both
 * sides). check may be NULL. SYNC_ERR_JSON for a payload that is not a JSON object. */
sync_err_t merge_revisions(const merge_side_t *base, const merge_side_t *device,
                           const merge_side_t *central, merge_check_fn check, void *ctx,
                           merge_result_t *out);
void merge_result_free(merge_result_t *r);

#endif
