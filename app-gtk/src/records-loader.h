/* records-loader: reads the records list off the main thread (GTask on a worker thread with its
 * own read-only store handle), so listing 10,000 records never blocks the window. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  guint64 counts[4];    /* per FaRecordGroup */
} FaRecordCounts;

void fa_records_load_async (const char *store_path, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);

/* A GPtrArray of FaRecordItem (newest change first); `counts` (may be NULL) receives the number
 * of records per group. */
GPtrArray *fa_records_load_finish (GAsyncResult *result, FaRecordCounts *counts, GError **error);

G_END_DECLS
