/* Internal: a growable list of validation issues (field, code, message), owned by whoever holds
 * the list. Codes are stable strings documented in proto/FORMS.md ("Validation"). */
#ifndef SYNC_ISSUES_H
#define SYNC_ISSUES_H

#include <stddef.h>

typedef struct issue {
  char *field;     /* "" for record-level issues */
  char *code;      /* "required", "constraint", "type", "choice", "unknown_field", ... */
  char *message;   /* in the requested language */
} issue_t;

typedef struct issue_list {
  issue_t *items;
  size_t count, cap;
} issue_list_t;

/* Appends a copy of the three strings; returns 0, or -1 when out of memory. */
int issue_list_add(issue_list_t *l, const char *field, const char *code, const char *message);
/* Frees every item and leaves an empty, reusable list. */
void issue_list_clear(issue_list_t *l);

#endif
