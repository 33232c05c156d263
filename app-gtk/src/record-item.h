/* record-item: one row of the records list (a GObject for GListModel), a snapshot taken by the
 * records loader on a worker thread. Immutable. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  FA_GROUP_DRAFT,       /* being filled in; never leaves the device */
  FA_GROUP_WAITING,     /* final, waiting to be sent */
  FA_GROUP_SENT,        /* acknowledged by the server */
  FA_GROUP_CONFLICT,    /* the server merged it with central changes: needs review */
  FA_GROUP_REFUSED,     /* the server refused it: the officer sends it again or corrects it */
  FA_N_GROUPS
} FaRecordGroup;

typedef struct {
  char *uuid;
  char *form_id;
  int form_version;
  gint64 revision;
  gboolean final;
  FaRecordGroup group;
  gint64 created_ms;
  gint64 updated_ms;
  gint64 received_ms;   /* server's receipt time of the newest acknowledged revision; 0 if none */
  guint open_conflicts;
  gboolean refused;     /* the server refused it for good (invalid for the server's rules) */
  char *refusal;        /* why, in the store's language (sync_record_refusal), or NULL */
  gboolean sealed;      /* answers sealed for the central office: only the clear part is here */
  gboolean purged;      /* answers removed from the device after delivery (retention) */
  char *name;           /* full_name answer, or NULL */
  char *interview_date; /* YYYY-MM-DD or NULL */
  char *unit_name;      /* or NULL */
  char *search_text;    /* lower-cased haystack for the search entry */
} FaRecordInfo;

#define FA_TYPE_RECORD_ITEM (fa_record_item_get_type ())
G_DECLARE_FINAL_TYPE (FaRecordItem, fa_record_item, FA, RECORD_ITEM, GObject)

/* Takes ownership of `info` (a g_new0'd struct with g_strdup'd strings). */
FaRecordItem *fa_record_item_new (FaRecordInfo *info);
const FaRecordInfo *fa_record_item_get_info (FaRecordItem *self);

/* Lower-cased text the search entry matches: name, uuid, interview date (ISO and d-m-Y) and the
 * day of the last change. */
void fa_record_info_build_search_text (FaRecordInfo *info);

G_END_DECLS
