/* sync_strerror / sync_errname from the one error table in sync/error.h. */
#include "sync/error.h"

const char *sync_strerror(sync_err_t err)
{
  switch (err) {
#define SYNC_ERR_MSG_CASE_(name, code, msg) case name: return msg;
    SYNC_ERROR_TABLE(SYNC_ERR_MSG_CASE_)
#undef SYNC_ERR_MSG_CASE_
  }
  return "unknown error";
}

const char *sync_errname(sync_err_t err)
{
  switch (err) {
#define SYNC_ERR_NAME_CASE_(name, code, msg) case name: return #name;
    SYNC_ERROR_TABLE(SYNC_ERR_NAME_CASE_)
#undef SYNC_ERR_NAME_CASE_
  }
  return "SYNC_ERR_UNKNOWN";
}
