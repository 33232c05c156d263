/* Building protocol errors (PROTOCOL.md 6): the heap proto_error_t of a rejected receipt, and the
 * JSON body of an error response. */
#ifndef SRV_ERRORS_H
#define SRV_ERRORS_H

#include "codec.h"

/* A heap error with the given messages (NULL: the table's default message). NULL if out of
 * memory. Free with err_free(). */
proto_error_t *err_new(proto_errcode_t code, const char *msg_id, const char *msg_en);
void err_free(proto_error_t *e);
/* Appends an issue; 0 or -1 (out of memory). At most PROTO_MAX_ISSUES are kept. */
int err_add_issue(proto_error_t *e, const char *field, const char *code);

#endif
