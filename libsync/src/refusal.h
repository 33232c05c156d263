/* Internal: a refusal as the store keeps it and as people read it (proto/PROTOCOL.md 3.2,
 * sync/record.h "refused").
 *
 * A change that the server refused for good (a `rejected` receipt, under the response signature),
 * or that the device will not send, keeps its reason in outbox.last_error as JSON:
 *   {"code": "invalid_change" | "unknown_form" | "forbidden" | "consent" | "not_sendable" |
 *            "form_changed" | ..., "message": "<the server's English text>",
 *    "issues": [{"field": "...", "code": "required" | "constraint" | "not_clear" | ...}]}
 * The officer reads it rendered in the store's language, with the form's labels and messages:
 * what is wrong with which answer and what to do next (refusal_render). Text that is not such
 * JSON (rows refused before this format) is shown as it is.
 *
 * Ownership: malloc'd results belong to the caller. No state; thread-safe.
 */
#ifndef SYNC_REFUSAL_H
#define SYNC_REFUSAL_H

#include <stddef.h>
#include "codec.h"
#include "form_def.h"
#include "issues.h"

/* The stored JSON of a rejected receipt's error; NULL when out of memory. */
char *refusal_from_error(const proto_error_t *pe);
/* The stored JSON of a refusal with one issue (field may be NULL: no issue); NULL on OOM. */
char *refusal_make(const char *code, const char *message, const char *field, const char *issue);
/* The stored JSON of a refusal listing `issues` (their codes only; messages are made again in
 * the reader's language). NULL on OOM. */
char *refusal_from_issues(const char *code, const issue_list_t *issues);

/* The refusal for people, in `lang` ("id" or "en"), into out (truncated to fit). `f` (may be NULL)
 * gives the labels and the form's own messages. */
void refusal_render(const form_t *f, const char *stored, const char *lang, char *out, size_t len);
/* Its issues (field, code, message in `lang`) appended to out; 0, or -1 when out of memory. */
int refusal_issues(const form_t *f, const char *stored, const char *lang, issue_list_t *out);
/* 1 when the refusal comes from a difference between this device's form and the server's (the
 * server lacks the form, wants it sealed, or does not know an answer's question), so that holding
 * the server's form and sending again can resolve it. */
int refusal_is_form_mismatch(const char *stored);

#endif
