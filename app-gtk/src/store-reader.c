/* store-reader: see store-reader.h. */
#include "store-reader.h"

struct _FaStoreReader
{
  GMutex lock;
  sync_store_t *store;
};

static void
reader_clear (gpointer data)
{
  FaStoreReader *self = data;

  sync_store_close (self->store);
  g_mutex_clear (&self->lock);
}

FaStoreReader *
fa_store_reader_new (sync_store_t *store)
{
  FaStoreReader *self = g_atomic_rc_box_new0 (FaStoreReader);

  g_mutex_init (&self->lock);
  self->store = store;
  return self;
}

FaStoreReader *
fa_store_reader_ref (FaStoreReader *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
fa_store_reader_unref (FaStoreReader *self)
{
  g_atomic_rc_box_release_full (self, reader_clear);
}

sync_store_t *
fa_store_reader_acquire (FaStoreReader *self)
{
  g_mutex_lock (&self->lock);
  return self->store;
}

void
fa_store_reader_release (FaStoreReader *self)
{
  g_mutex_unlock (&self->lock);
}

void
fa_store_reader_close (FaStoreReader *self)
{
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->store, sync_store_close);
  g_mutex_unlock (&self->lock);
}
