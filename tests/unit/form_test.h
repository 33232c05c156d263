/* Helpers of the form tests that write their fixture form inline (test_form_validate.c,
 * test_form_values.c): JSON written with ' for " and ^ for ' to stay readable, and a cmocka set-up
 * that parses such a form into *state. Include after cmocka. Static functions: each test program
 * uses what it needs. Threads: the test program's one thread. */
#ifndef SYNC_FORM_TEST_H
#define SYNC_FORM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_def.h"

#define TODAY 19723 /* 2024-01-01 */

/* `s` with ' turned into " and ^ into '; caller frees. */
static inline char *ft_unquote(const char *s)
{
  char *out = strdup(s);
  assert_non_null(out);
  for (char *p = out; *p; p++)
    *p = *p == '\'' ? '"' : *p == '^' ? '\'' : *p;
  return out;
}

/* Parses the form `quoted` (written as ft_unquote reads it) into *state; -1 (and why, on stderr)
 * when the form is refused. */
static inline int ft_form_setup(void **state, const char *quoted)
{
  char *json = ft_unquote(quoted);
  sync_err_t err;
  char msg[300];
  form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
  free(json);
  if (!f) {
    fprintf(stderr, "fixture form refused: %s\n", msg);
    return -1;
  }
  *state = f;
  return 0;
}

static inline int ft_form_teardown(void **state)
{
  form_free(*state);
  return 0;
}

#endif
