/* libsync — error codes.
 *
 * Every function that can fail returns a sync_err_t. SYNC_OK is 0; every error is a positive code
 * from the single table below, so names, numbers and messages never drift apart. A handle-bound call
 * also leaves a detailed message (with the SQLite/JSON/form detail) in sync_store_errmsg().
 * Codes are stable: new ones are only ever appended.
 */
#ifndef SYNC_ERROR_H
#define SYNC_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, code, message) */
#define SYNC_ERROR_TABLE(X)                                                          \
  X(SYNC_OK,                0, "success")                                            \
  X(SYNC_ERR_INVALID_ARG,   1, "invalid argument")                                   \
  X(SYNC_ERR_NOMEM,         2, "out of memory")                                      \
  X(SYNC_ERR_IO,            3, "file or I/O error")                                  \
  X(SYNC_ERR_DB,            4, "database error")                                     \
  X(SYNC_ERR_CORRUPT,       5, "store is damaged or is not a libsync store")        \
  X(SYNC_ERR_TOO_NEW,       6, "store was written by a newer libsync")               \
  X(SYNC_ERR_BUSY,          7, "store is locked by another writer")                  \
  X(SYNC_ERR_READ_ONLY,     8, "store is open read-only")                            \
  X(SYNC_ERR_NOT_FOUND,     9, "not found")                                          \
  X(SYNC_ERR_EXISTS,       10, "already exists with different content")             \
  X(SYNC_ERR_JSON,         11, "malformed JSON")                                     \
  X(SYNC_ERR_FORM,         12, "invalid form definition")                            \
  X(SYNC_ERR_EXPR,         13, "invalid expression")                                 \
  X(SYNC_ERR_VALIDATION,   14, "record failed validation")                           \
  X(SYNC_ERR_STATE,        15, "not allowed in the record's current state")          \
  X(SYNC_ERR_TOO_LARGE,    16, "input exceeds a size limit")                         \
  X(SYNC_ERR_NETWORK,      17, "network error")                                      \
  X(SYNC_ERR_PROTOCOL,     18, "unexpected or malformed reply from the server")      \
  X(SYNC_ERR_AUTH,         19, "the server refused this device's credential")        \
  X(SYNC_ERR_SERVER,       20, "the server reported an error")                       \
  X(SYNC_ERR_CANCELLED,    21, "cancelled")                                          \
  X(SYNC_ERR_CRYPTO,       22, "cryptographic check failed")                         \
  X(SYNC_ERR_INTERNAL,     23, "internal error")                                    \
  X(SYNC_ERR_PASSPHRASE,   24, "wrong passphrase, or the store needs one")          \
  X(SYNC_ERR_REVOKED,      25, "this device was revoked by the central office")    \
  X(SYNC_ERR_NOT_ENROLLED, 26, "this device is not enrolled with a server")

typedef enum sync_err {
#define SYNC_ERR_ENUM_ENTRY_(name, code, msg) name = code,
  SYNC_ERROR_TABLE(SYNC_ERR_ENUM_ENTRY_)
#undef SYNC_ERR_ENUM_ENTRY_
} sync_err_t;

/* A static English description of `err`; never NULL ("unknown error" for codes not in the table). */
SYNC_API const char *sync_strerror(sync_err_t err);

/* The symbolic name, e.g. "SYNC_ERR_VALIDATION"; never NULL. */
SYNC_API const char *sync_errname(sync_err_t err);

#ifdef __cplusplus
}
#endif
#endif
