/* GUI test scenario: conflict review (see test_app_gui.c). */
#include "gui-support.h"

static char *conflict_uuid;

/* A record the device sent; central staff then set its case status while the device (here
 * through a second store handle, as another embedder would) revised the same answer: the server
 * merges, and the next sync brings back a conflict for the officer to review. */
gboolean
prepare_conflict (void)
{
  const char *uuid;
  sync_store_t *s;
  sync_record_t *rec = NULL;
  cJSON *payload;
  char *text;
  sync_err_t err;

  conflict_uuid = create_store_with_final_record ();
  if (conflict_uuid == NULL)
    return FALSE;
  uuid = conflict_uuid;
  if (!start_server () || !enroll_test_store () || !sync_test_store ())
    return FALSE;
  CHECK (run (NULL, SYNCSERVER_PATH, "record", "set-status", "--db", server.db, uuid, "--status", "referred",
              "--by", "Gugus Tugas TPPO", NULL), "central status change");

  s = open_test_store (FALSE);
  CHECK (s != NULL && sync_record_get (s, uuid, &rec) == SYNC_OK, "record get");
  payload = cJSON_Parse (sync_record_payload (rec));
  sync_record_free (rec);
  cJSON_DeleteItemFromObjectCaseSensitive (payload, "case_status");
  cJSON_AddStringToObject (payload, "case_status", "closed");
  text = cJSON_PrintUnformatted (payload);
  err = sync_record_revise (s, uuid, text);
  cJSON_free (text);
  cJSON_Delete (payload);
  sync_store_close (s);
  CHECK (err == SYNC_OK, "revise: %s", sync_strerror (err));
  return sync_test_store () && write_settings (FALSE);
}

static gboolean
server_took_central_value (gpointer data)
{
  ServerPoll *p = data;
  cJSON *payload;
  gboolean ok;

  if (!server_has_record (p))
    return FALSE;
  payload = cJSON_Parse (p->payload);
  ok = g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (payload, "case_status")), "referred") == 0;
  cJSON_Delete (payload);
  return ok;
}

gboolean
scenario_conflict (void)
{
  FaRecordsPage *records = fa_window_get_records_page (main_window ());
  const FaRecordInfo *info;
  g_autofree char *prefix = g_strndup (conflict_uuid, 8);
  ServerPoll poll = { 0 };
  sync_store_t *store;
  sync_conflict_list_t *list = NULL;

  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  store = fa_app_get_store (app);
  CHECK (page_is ("records"), "after unlocking the records should show, not %s", fa_window_get_page (main_window ()));
  CHECK (wait_for (records_loaded, NULL, 10000), "records list did not load");
  CHECK (fa_records_page_get_counts (records)->counts[FA_GROUP_CONFLICT] == 1, "the conflict is not counted");
  info = fa_records_page_find (records, conflict_uuid);
  CHECK (info != NULL && info->group == FA_GROUP_CONFLICT, "the record is not in the conflicts group");

  /* find it by its id and open it with Enter, as by keyboard */
  CHECK (type_text (win_named ("search-entry"), prefix), "search");
  pump (300);
  CHECK (fa_records_page_get_n_visible (records) == 1, "the search by id shows %u rows",
         fa_records_page_get_n_visible (records));
  g_signal_emit_by_name (win_named ("records-list"), "activate", 0u);
  CHECK (wait_for (page_is, "conflict", 2000), "the conflict review did not open");
  CHECK (win_named ("keep-case_status") != NULL, "no choice for case_status");
  CHECK (screenshot ("conflict-review"), "screenshot");

  /* the officer takes the central office's value back; it goes out with the next sync */
  CHECK (click ("take-case_status"), "take the other value");
  CHECK (wait_for (page_is, "records", 2000), "did not return to the list after the last choice");
  CHECK (sync_conflict_list (store, conflict_uuid, 0, &list) == SYNC_OK, "conflict list");
  CHECK (sync_conflict_list_count (list) == 0, "the conflict is still open");
  sync_conflict_list_free (list);
  CHECK (click ("sync-now-button"), "sync now");
  poll.uuid = conflict_uuid;
  CHECK (wait_for (server_took_central_value, &poll, 20000), "the server never got the chosen value");
  note ("conflict resolved on the device and the choice reached the server");
  g_free (poll.payload);
  return TRUE;
}
