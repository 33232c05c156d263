/* record-item: see record-item.h. */
#include "record-item.h"

#include <string.h>

struct _FaRecordItem
{
  GObject parent_instance;
  FaRecordInfo *info;
};

G_DEFINE_FINAL_TYPE (FaRecordItem, fa_record_item, G_TYPE_OBJECT)

static void
fa_record_item_finalize (GObject *object)
{
  FaRecordItem *self = FA_RECORD_ITEM (object);
  FaRecordInfo *info = self->info;

  if (info != NULL)
    {
      g_free (info->uuid);
      g_free (info->form_id);
      g_free (info->name);
      g_free (info->interview_date);
      g_free (info->unit_name);
      g_free (info->refusal);
      g_free (info->search_text);
      g_free (info);
    }
  G_OBJECT_CLASS (fa_record_item_parent_class)->finalize (object);
}

static void
fa_record_item_class_init (FaRecordItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fa_record_item_finalize;
}

static void
fa_record_item_init (FaRecordItem *self)
{
}

FaRecordItem *
fa_record_item_new (FaRecordInfo *info)
{
  FaRecordItem *self = g_object_new (FA_TYPE_RECORD_ITEM, NULL);
  self->info = info;
  return self;
}

const FaRecordInfo *
fa_record_item_get_info (FaRecordItem *self)
{
  g_return_val_if_fail (FA_IS_RECORD_ITEM (self), NULL);
  return self->info;
}

void
fa_record_info_build_search_text (FaRecordInfo *info)
{
  g_autoptr (GString) s = g_string_new (NULL);

  if (info->name)
    g_string_append_printf (s, "%s\n", info->name);
  g_string_append_printf (s, "%s\n", info->uuid);
  if (info->unit_name)
    g_string_append_printf (s, "%s\n", info->unit_name);
  if (info->interview_date && strlen (info->interview_date) == 10)
    {
      const char *d = info->interview_date;
      /* ISO, and the d-m-Y / d/m/Y forms people type in Indonesia */
      g_string_append_printf (s, "%s\n%.2s-%.2s-%.4s\n%.2s/%.2s/%.4s\n", d, d + 8, d + 5, d, d + 8,
                              d + 5, d);
    }
  if (info->updated_ms > 0)
    {
      g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (info->updated_ms / 1000);
      if (dt)
        {
          g_autofree char *day = g_date_time_format (dt, "%Y-%m-%d\n%d-%m-%Y\n%d/%m/%Y");
          g_string_append (s, day);
        }
    }
  g_free (info->search_text);
  info->search_text = g_utf8_strdown (s->str, -1);
}
