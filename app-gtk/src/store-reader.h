/* store-reader: the read-only store handle the records list uses on a worker thread, shared
 * between the app (which opens it once at unlock, so the key is derived once, not at every
 * reload) and the load in flight (which holds a reference).
 *
 * A handle serves one thread at a time: fa_store_reader_acquire() locks it for the caller.
 * fa_store_reader_close() (main thread, at lock or wipe) waits for a load in flight to finish
 * and closes the handle; later acquires get NULL. Any thread.
 */
#pragma once

#include <glib.h>
#include <sync/sync.h>

G_BEGIN_DECLS

typedef struct _FaStoreReader FaStoreReader;

/* Takes ownership of `store`. */
FaStoreReader *fa_store_reader_new (sync_store_t *store);
FaStoreReader *fa_store_reader_ref (FaStoreReader *self);
void fa_store_reader_unref (FaStoreReader *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaStoreReader, fa_store_reader_unref)

/* The handle, locked for the caller until fa_store_reader_release (NULL once closed: release
 * anyway). */
sync_store_t *fa_store_reader_acquire (FaStoreReader *self);
void fa_store_reader_release (FaStoreReader *self);

/* Closes the handle (waiting for the current holder). */
void fa_store_reader_close (FaStoreReader *self);

G_END_DECLS
