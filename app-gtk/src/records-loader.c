/* records-loader: see records-loader.h. */
#include "records-loader.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <sync/sync.h>

#include "record-item.h"

typedef struct {
  GPtrArray *items;
  FaRecordCounts counts;
} LoadResult;

static void
load_result_free (gpointer data)
{
  LoadResult *r = data;
  g_ptr_array_unref (r->items);
  g_free (r);
}

static GHashTable *
load_conflicts (sync_store_t *store)
{
  GHashTable *map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sync_conflict_list_t *list = NULL;

  if (sync_conflict_list (store, NULL, 0, &list) != SYNC_OK)
    return map;
  for (size_t i = 0; i < sync_conflict_list_count (list); i++)
    {
      const char *uuid = sync_conflict_uuid (list, i);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (map, uuid));
      g_hash_table_replace (map, g_strdup (uuid), GUINT_TO_POINTER (n + 1));
    }
  sync_conflict_list_free (list);
  return map;
}

static char *
payload_string (const cJSON *payload, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (payload, key);
  return cJSON_IsString (v) && v->valuestring[0] ? g_strdup (v->valuestring) : NULL;
}

static FaRecordInfo *
info_from_record (const sync_record_t *rec, GHashTable *conflicts)
{
  FaRecordInfo *info = g_new0 (FaRecordInfo, 1);
  sync_delivery_t delivery = sync_record_delivery (rec);
  cJSON *payload;

  info->uuid = g_strdup (sync_record_uuid (rec));
  info->form_id = g_strdup (sync_record_form_id (rec));
  info->form_version = sync_record_form_version (rec);
  info->revision = sync_record_revision (rec);
  info->final = sync_record_status (rec) == SYNC_STATUS_FINAL;
  info->created_ms = sync_record_created_at (rec);
  info->updated_ms = sync_record_updated_at (rec);
  payload = cJSON_Parse (sync_record_payload (rec));
  if (payload != NULL)
    {
      info->name = payload_string (payload, "full_name");
      info->interview_date = payload_string (payload, "interview_date");
      info->unit_name = payload_string (payload, "unit_name");
      cJSON_Delete (payload);
    }
  info->received_ms = sync_record_receipt_time (rec);
  info->sealed = sync_record_sealed (rec);
  info->purged = sync_record_purged (rec);
  info->open_conflicts = GPOINTER_TO_UINT (g_hash_table_lookup (conflicts, info->uuid));
  info->refused = delivery == SYNC_DELIVERY_REFUSED;
  info->refusal = info->refused && *sync_record_refusal (rec) ? g_strdup (sync_record_refusal (rec)) : NULL;
  if (!info->final)
    info->group = FA_GROUP_DRAFT;
  else if (info->open_conflicts > 0)
    info->group = FA_GROUP_CONFLICT;
  else if (info->refused)
    info->group = FA_GROUP_REFUSED;   /* not waiting: nothing goes out until the officer acts */
  else if (delivery == SYNC_DELIVERY_PENDING)
    info->group = FA_GROUP_WAITING;
  else
    info->group = FA_GROUP_SENT;      /* acknowledged, or pulled from the server */
  fa_record_info_build_search_text (info);
  return info;
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  FaStoreReader *reader = task_data;
  LoadResult *result = g_new0 (LoadResult, 1);
  sync_store_t *store = fa_store_reader_acquire (reader);
  g_autoptr (GHashTable) conflicts = NULL;
  sync_query_t query;
  sync_err_t err = SYNC_OK;

  result->items = g_ptr_array_new_with_free_func (g_object_unref);
  if (store == NULL)
    {
      /* locked (or wiped) since the load was asked for */
      fa_store_reader_release (reader);
      load_result_free (result);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the store is locked");
      return;
    }

  conflicts = load_conflicts (store);
  sync_query_init (&query);
  query.limit = 10000;
  for (;;)
    {
      sync_record_list_t *list = NULL;
      size_t n;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      err = sync_record_list (store, &query, &list);
      if (err != SYNC_OK)
        break;
      n = sync_record_list_count (list);
      for (size_t i = 0; i < n; i++)
        {
          FaRecordInfo *info = info_from_record (sync_record_list_at (list, i), conflicts);
          result->counts.counts[info->group]++;
          g_ptr_array_add (result->items, fa_record_item_new (info));
        }
      sync_record_list_free (list);
      if (n < query.limit)
        break;
      query.offset += n;
    }
  fa_store_reader_release (reader);
  if (err != SYNC_OK)
    {
      load_result_free (result);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", sync_strerror (err));
      return;
    }
  g_task_return_pointer (task, result, load_result_free);
}

void
fa_records_load_async (FaStoreReader *reader, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, fa_records_load_async);
  g_task_set_task_data (task, fa_store_reader_ref (reader), (GDestroyNotify) fa_store_reader_unref);
  g_task_run_in_thread (task, load_thread);
}

GPtrArray *
fa_records_load_finish (GAsyncResult *result, FaRecordCounts *counts, GError **error)
{
  LoadResult *r = g_task_propagate_pointer (G_TASK (result), error);
  GPtrArray *items;

  if (r == NULL)
    return NULL;
  if (counts)
    *counts = r->counts;
  items = g_ptr_array_ref (r->items);
  load_result_free (r);
  return items;
}
