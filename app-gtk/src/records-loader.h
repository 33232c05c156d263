/* records-loader: reads the records list off the main thread (GTask on a worker thread with the
 * app's read-only store handle, see store-reader.h), so listing 10,000 records never blocks the
 * window. */
#pragma once

#include <gio/gio.h>

#include "record-item.h"
#include "store-reader.h"

G_BEGIN_DECLS

typedef struct {
  guint64 counts[FA_N_GROUPS];   /* per FaRecordGroup */
} FaRecordCounts;

void fa_records_load_async (FaStoreReader *reader, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);

/* A GPtrArray of FaRecordItem (newest change first); `counts` (may be NULL) receives the number
 * of records per group. */
GPtrArray *fa_records_load_finish (GAsyncResult *result, FaRecordCounts *counts, GError **error);

G_END_DECLS
