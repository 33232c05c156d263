/* libsync — offline-first store and sync of screening records. The one header an embedder includes.
 * Each included header states ownership and threading for its part of the API. */
#ifndef SYNC_SYNC_H
#define SYNC_SYNC_H

#include "export.h"
#include "sync/version.h" /* generated into the build tree */
#include "error.h"
#include "store.h"
#include "form.h"
#include "record.h"
#include "conflict.h"
#include "engine.h"
#include "enroll.h"
#include "receipt.h"
#include "seal.h"

#endif
