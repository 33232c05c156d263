/* syncctl: the calculated fields of stored forms, to show a record's computed values in listings.
 * Ownership: computed_t caches parsed definitions; free with computed_free(). */
#ifndef SYNCCTL_COMPUTED_H
#define SYNCCTL_COMPUTED_H

#include <cjson/cJSON.h>

#include "sync/sync.h"

typedef struct computed computed_t;

computed_t *computed_new(sync_store_t *store);
void computed_free(computed_t *c);

/* Returns a new object {"name": value, ...} with the calculated fields of `rec`'s payload (empty
 * when the form is unknown); the caller deletes it. */
cJSON *computed_values(computed_t *c, const sync_record_t *rec);

/* The same as "name=value name=value" text, into out. */
void computed_text(computed_t *c, const sync_record_t *rec, char *out, size_t outlen);

#endif
