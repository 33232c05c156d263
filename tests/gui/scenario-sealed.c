/* GUI test scenario: the secure setup as a new deployment meets it (see test_app_gui.c). The app
 * starts with only its bundled form; central published tppo_screening v1 sealed to its key with
 * the README's command and serves HTTPS with a CA the system does not know. The officer enrols
 * from the first-run page (CA file and key pin typed in), fills in an interview, finalizes and
 * syncs; central staff export it with their private key and every answer is there. */
#include "gui-support.h"

gboolean
prepare_sealed (void)
{
  return create_empty_store () && start_secure_server (NULL);
}

static gboolean
enrolled_from_first_run (void)
{
  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  CHECK (page_is ("settings"), "the first run should show the settings page, not %s",
         fa_window_get_page (main_window ()));
  CHECK (enrol_on_settings_page (), "enrol");
  fa_window_dismiss_toasts (main_window ());
  return TRUE;
}

/* The interview, part by part, reviewed and finalized with confirmation; its uuid or NULL. */
static char *
interview (const cJSON *answers)
{
  const char *none[] = { NULL };
  const FaForm *form;
  char *uuid;

  CHECK (click ("new-record-button"), "new record");
  CHECK (wait_for (page_is, "form", 2000), "the form did not open");
  form = fa_app_get_form (app, "tppo_screening", 0, NULL);
  CHECK (form != NULL, "no reference form on the device");
  for (guint s = 0; s < form->sections->len; s++)
    {
      if (s > 0)
        CHECK (click ("next-button"), "next");
      if (!fill_section (form, s, answers, none))
        return NULL;
    }
  CHECK (click ("next-button"), "to review");
  CHECK (gtk_widget_get_visible (win_named ("complete-label")), "the review says answers are missing");
  uuid = g_strdup (fa_form_page_get_uuid (form_page ()));
  CHECK (uuid != NULL, "the draft was never autosaved");
  CHECK (click ("finalize-button"), "finalize");
  CHECK (wait_for (dialog_shown, "finalize-dialog", 2000), "no confirmation dialog");
  adw_message_dialog_response (find_dialog ("finalize-dialog"), "finalize");
  pump (50);
  CHECK (wait_for (page_is, "records", 2000), "finalizing did not return to the records");
  return uuid;
}

static gboolean
listed_as_sent (gpointer uuid)
{
  const FaRecordInfo *info;

  if (!sync_done (NULL) || !records_loaded (NULL))
    return FALSE;
  info = fa_records_page_find (fa_window_get_records_page (main_window ()), uuid);
  return info != NULL && info->group == FA_GROUP_SENT && info->received_ms > 0;
}

gboolean
scenario_sealed (void)
{
  g_autofree char *example = NULL;
  g_autofree char *uuid = NULL;
  ServerPoll poll = { 0 };
  cJSON *answers, *remote, *item;
  sync_store_t *store;
  sync_record_t *rec = NULL;

  CHECK (g_str_has_prefix (server.url, "https://"), "the server is not on HTTPS: %s", server.url);
  CHECK (g_file_get_contents (FA_EXAMPLE_PATH, &example, NULL, NULL), "cannot read %s", FA_EXAMPLE_PATH);
  answers = cJSON_Parse (example);
  if (!enrolled_from_first_run () || (uuid = interview (answers)) == NULL)
    return FALSE;

  /* sealed on the device when finalized, under the server's definition of the form */
  store = fa_app_get_store (app);
  CHECK (sync_record_get (store, uuid, &rec) == SYNC_OK, "the record is not in the store");
  CHECK (sync_record_sealed (rec), "the finalized record is not sealed for the central office");
  sync_record_free (rec);

  CHECK (click ("sync-now-button"), "sync now");
  fa_app_notify_records_changed (app);
  CHECK (wait_for (listed_as_sent, uuid, 30000), "the record was not delivered (state %s: %s; refused: %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         fa_sync_controller_get_status (fa_app_get_sync (app))->message,
         fa_records_page_find (fa_window_get_records_page (main_window ()), uuid)
           && fa_records_page_find (fa_window_get_records_page (main_window ()), uuid)->refusal
           ? fa_records_page_find (fa_window_get_records_page (main_window ()), uuid)->refusal : "no");

  /* central staff open it with their private key: every answer the officer gave is there */
  poll.uuid = uuid;
  CHECK (wait_for (central_has_record, &poll, 10000), "central's export does not open record %s", uuid);
  remote = cJSON_Parse (poll.payload);
  cJSON_ArrayForEach (item, answers)
    CHECK (same_answer (item, cJSON_GetObjectItemCaseSensitive (remote, item->string)),
           "central's export has %s = %s, the officer entered %s", item->string,
           cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (remote, item->string)),
           cJSON_PrintUnformatted (item));
  note ("record %s delivered sealed over HTTPS; all %d answers in central's export", uuid,
        cJSON_GetArraySize (answers));
  g_free (poll.payload);
  cJSON_Delete (remote);
  cJSON_Delete (answers);
  return TRUE;
}
