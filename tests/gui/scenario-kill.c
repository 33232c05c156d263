/* GUI test scenario: kill -9 mid-form and restart (see test_app_gui.c). */
#include "gui-support.h"

/* What the child enters (several field types; all in parts 1 and 2). */
static const char KILL_ANSWERS[] =
  "{\"interview_date\":\"2026-11-20\",\"province\":\"74\",\"regency_code\":\"74.04\","
  "\"unit_type\":\"uptd_ppa\",\"unit_name\":\"UPTD PPA Kabupaten Kolaka\",\"interpreter_used\":true,"
  "\"interpreter_language\":\"Bahasa Tolaki\",\"safe_to_talk\":true,\"consent\":\"yes\","
  "\"full_name\":\"Nur Aisyah\",\"sex\":\"female\",\"estimated_age\":16,\"nationality\":\"indonesia\","
  "\"origin_province\":\"74\",\"languages\":[\"indonesian\",\"other\"],\"languages_other\":\"Tolaki\"}";


gboolean
scenario_kill_child (void)
{
  cJSON *answers = cJSON_Parse (KILL_ANSWERS), *item;
  const FaForm *form;
  const char *uuid;

  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  CHECK (click ("new-record-button"), "new record");
  form = fa_app_get_form (app, "tppo_screening", 0, NULL);
  CHECK (form != NULL, "no form");
  cJSON_ArrayForEach (item, answers)
    {
      const FaField *f = fa_form_lookup (form, item->string);
      if (f->section == 1 && !current_section_is ("person"))
        CHECK (click ("next-button"), "next");
      if (!fill_field (item->string, item))
        return FALSE;
      settle ();
    }
  /* wait for the autosave (about a second after the last edit) to hold every answer */
  {
    gint64 end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
    gboolean all = FALSE;

    while (!all && g_get_monotonic_time () < end)
      {
        cJSON *saved;

        pump (200);
        uuid = fa_form_page_get_uuid (form_page ());
        saved = uuid ? store_payload (uuid, NULL) : NULL;
        all = saved != NULL;
        cJSON_ArrayForEach (item, answers)
          all = all && same_answer (item, cJSON_GetObjectItemCaseSensitive (saved, item->string));
        cJSON_Delete (saved);
      }
    CHECK (all, "the autosave never held every answer");
  }
  printf ("READY %s\n", uuid);
  fflush (stdout);
  for (;;)
    pump (1000);   /* the parent kills us here */
  return TRUE;
}

gboolean
scenario_kill_verify (void)
{
  cJSON *answers = cJSON_Parse (KILL_ANSWERS), *item;
  const char *uuid;

  /* the store exists now: the passphrase is asked for, and only then the draft is offered */
  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  CHECK (wait_for (dialog_shown, "resume-dialog", 5000), "no offer to continue the draft after the crash");
  adw_message_dialog_response (find_dialog ("resume-dialog"), "continue");
  pump (50);
  CHECK (wait_for (page_is, "form", 3000), "the draft did not open");
  uuid = fa_form_page_get_uuid (form_page ());
  CHECK (uuid != NULL && strcmp (uuid, g_getenv ("FA_KILL_UUID")) == 0, "another record opened");
  CHECK (!fa_form_page_is_read_only (form_page ()), "the draft opened read-only");
  cJSON_ArrayForEach (item, answers)
    {
      GtkWidget *w = fa_form_page_get_field_widget (form_page (), item->string);
      cJSON *v = fa_field_base_get_value (FA_FIELD_BASE (w));
      CHECK (same_answer (item, v), "answer %s was lost: shows %s", item->string,
             v ? cJSON_PrintUnformatted (v) : "nothing");
      cJSON_Delete (v);
    }
  note ("all %d answers are back after kill -9", cJSON_GetArraySize (answers));
  cJSON_Delete (answers);
  /* the draft is also in the list */
  fa_window_get_form_page (main_window ());
  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.show-records", NULL);
  CHECK (wait_for (page_is, "records", 2000), "back to records");
  pump (100);
  CHECK (wait_for (records_loaded, NULL, 10000), "records list did not load");
  CHECK (fa_records_page_get_counts (fa_window_get_records_page (main_window ()))->counts[FA_GROUP_DRAFT] == 1,
         "the draft is not listed");
  /* and the restarted app syncs with the sealed server without an error */
  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (sync_done, NULL, 30000), "no sync after the restart (state %s: %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         fa_sync_controller_get_status (fa_app_get_sync (app))->message);
  CHECK (fa_sync_controller_get_status (fa_app_get_sync (app))->last_error == SYNC_OK, "sync failed: %s",
         fa_sync_controller_get_status (fa_app_get_sync (app))->message);
  return TRUE;
}

int
run_kill_parent (const char *self_exe)
{
  const char *argv[] = { self_exe, "kill-child", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOChannel) ch = NULL;
  char *line = NULL;
  GPid pid;
  int out_fd, status;

  /* the secure setup: the device enrolled with a server on HTTPS that publishes the form sealed;
   * the app adds its bundled form at unlock and its engine syncs while the officer types */
  if (!start_secure_server (NULL) || !create_empty_store () || !enroll_test_store () || !write_settings (FALSE))
    return 1;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                 NULL, &out_fd, NULL, &error))
    {
      fprintf (stderr, "FAIL: cannot start the child: %s\n", error->message);
      return 1;
    }
  ch = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (ch, TRUE);
  while (g_io_channel_read_line (ch, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL)
    {
      if (g_str_has_prefix (line, "READY "))
        break;
      g_clear_pointer (&line, g_free);
    }
  if (line == NULL)
    {
      fprintf (stderr, "FAIL: the child never reported READY\n");
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return 1;
    }
  g_strstrip (line);
  note ("child %d filled a draft %s; kill -9", (int) pid, line + 6);
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL)
    {
      fprintf (stderr, "FAIL: the child ended on its own (status %d)\n", status);
      return 1;
    }
  g_setenv ("FA_KILL_UUID", line + 6, TRUE);
  g_free (line);
  return -1;  /* go on: verify in-process */
}
