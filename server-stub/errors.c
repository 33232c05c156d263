/* Protocol error objects (errors.h). */
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

proto_error_t *err_new(proto_errcode_t code, const char *msg_id, const char *msg_en)
{
  proto_error_t *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->code = code;
  snprintf(e->code_text, sizeof e->code_text, "%s", proto_errcode_text(code));
  e->retryable = proto_errcode_retryable(code);
  e->retry_after = -1;
  const char *id = msg_id ? msg_id : proto_errcode_message(code, "id");
  const char *en = msg_en ? msg_en : proto_errcode_message(code, "en");
  e->message_id = strdup(id ? id : "Kesalahan.");
  e->message_en = strdup(en ? en : "Error.");
  if (!e->message_id || !e->message_en) {
    err_free(e);
    return NULL;
  }
  return e;
}

void err_free(proto_error_t *e)
{
  if (!e)
    return;
  free(e->message_id);
  free(e->message_en);
  free(e->issues);
  free(e);
}

int err_add_issue(proto_error_t *e, const char *field, const char *code)
{
  if (e->n_issues >= PROTO_MAX_ISSUES)
    return 0;
  size_t n = e->n_issues;
  if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) { /* capacity 4, 8, 16, ... */
    size_t ncap = e->n_issues ? e->n_issues * 2 : 4;
    proto_issue_t *ni = realloc(e->issues, ncap * sizeof *ni);
    if (!ni)
      return -1;
    e->issues = ni;
  }
  proto_issue_t *is = &e->issues[e->n_issues++];
  snprintf(is->field, sizeof is->field, "%s", field ? field : "");
  snprintf(is->code, sizeof is->code, "%s", code && *code ? code : "invalid");
  return 0;
}
