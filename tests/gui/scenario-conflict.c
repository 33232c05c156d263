/* GUI test scenario: conflict review (see test_app_gui.c). */
#include "gui-support.h"

static char *conflict_uuid;

static gboolean
syncctl_sync (void)
{
  g_autofree char *out = NULL;
  CHECK (run (&out, SYNCCTL_PATH, "--store", store_path, "sync", "--server", server.url, "--device-id",
              server.device_id, "--secret", server.secret, "--insecure-loopback", NULL), "syncctl sync");
  return TRUE;
}

/* A record the device sent; central staff then set its case status while the device (here with
 * syncctl, as another embedder would) revised the same answer: the server merges, and the next
 * sync brings back a conflict for the officer to review. */
gboolean
prepare_conflict (void)
{
  g_autofree char *uuid = NULL, *json = NULL, *device_id = NULL;
  g_autofree char *file = g_build_filename (tmpdir, "revised.json", NULL);
  g_autofree char *settings = NULL, *settings_file = NULL;
  cJSON *rec, *payload;
  char *text;

  CHECK (run (NULL, SYNCCTL_PATH, "--store", store_path, "init", NULL), "syncctl init");
  CHECK (run (NULL, SYNCCTL_PATH, "--store", store_path, "form", "add", FA_FORM_PATH, NULL), "form add");
  CHECK (run (&uuid, SYNCCTL_PATH, "--store", store_path, "record", "add", "--form", "tppo_screening",
              FA_EXAMPLES_DIR "/valid_no_indication.json", NULL), "record add");
  g_strstrip (uuid);
  conflict_uuid = g_strdup (uuid);
  device_id = store_device_id ();
  if (!start_server (device_id) || !syncctl_sync ())
    return FALSE;
  CHECK (run (NULL, SYNCSERVER_PATH, "record", "set-status", "--db", server.db, uuid, "--status", "referred",
              "--by", "Gugus Tugas TPPO", NULL), "central status change");
  CHECK (run (&json, SYNCCTL_PATH, "--store", store_path, "record", "get", uuid, NULL), "record get");
  rec = cJSON_Parse (json);
  payload = cJSON_GetObjectItemCaseSensitive (rec, "payload");
  CHECK (payload != NULL, "record get: %s", json);
  cJSON_DeleteItemFromObjectCaseSensitive (payload, "case_status");
  cJSON_AddStringToObject (payload, "case_status", "closed");
  text = cJSON_PrintUnformatted (payload);
  CHECK (g_file_set_contents (file, text, -1, NULL), "write %s", file);
  cJSON_free (text);
  cJSON_Delete (rec);
  CHECK (run (NULL, SYNCCTL_PATH, "--store", store_path, "record", "revise", uuid, file, NULL), "revise");
  if (!syncctl_sync ())
    return FALSE;

  settings_file = g_build_filename (config_dir, "settings.ini", NULL);
  settings = g_strdup_printf ("[server]\nurl=%s\ndevice-id=%s\ndevice-secret=%s\n"
                              "[officer]\nname=Sari\nunit=Polres Kolaka\n", server.url, server.device_id,
                              server.secret);
  g_mkdir_with_parents (config_dir, 0700);
  CHECK (g_file_set_contents (settings_file, settings, -1, NULL), "settings");
  return TRUE;
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
  sync_store_t *store = fa_app_get_store (app);
  sync_conflict_list_t *list = NULL;

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
