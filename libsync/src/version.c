#include "sync/version.h"

const char *sync_version(void) { return SYNC_VERSION_STRING; }
