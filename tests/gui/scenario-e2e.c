/* GUI test scenario: end to end with the real server (see test_app_gui.c). */
#include "gui-support.h"

#include "sample.h"

static int
seed_count (void)
{
  const char *env = g_getenv ("FA_GUI_SEED_RECORDS");
  return env ? atoi (env) : SEED_RECORDS_DEFAULT;
}

gboolean
prepare_e2e (void)
{
  /* A fresh device (its store made with the officer's passphrase; the app adds its bundled form
   * at unlock); 10,000 finalized interviews and two drafts come later. The server is the secure
   * setup: HTTPS with a CA the system does not know, the form sealed to central's key. */
  return create_empty_store () && start_secure_server (NULL);
}

/* The first run after the passphrase: not enrolled yet, so the settings page; the officer types
 * the server, the one-time code from central staff, their name and unit, and enrols. */
static gboolean
first_run (void)
{
  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  CHECK (page_is ("settings"), "the first run should show the settings page, not %s",
         fa_window_get_page (main_window ()));
  CHECK (fa_sync_banner_get_message (FA_SYNC_BANNER (win_named ("sync-banner"))) != NULL,
         "no prompt to enrol before the device is enrolled");
  CHECK (type_text (win_named ("settings-officer-name"), "Bripka Sari Wulandari"), "name");
  CHECK (type_text (win_named ("settings-officer-unit"), "Polres Metro Jakarta Utara"), "unit");
  CHECK (enrol_on_settings_page (), "enrol");
  CHECK (fa_app_get_enrollment_json (app) != NULL, "the store is not enrolled");
  CHECK (strstr (fa_app_get_enrollment_json (app), "Laptop Polres 01") != NULL,
         "the enrollment does not carry the device's name: %s", fa_app_get_enrollment_json (app));
  CHECK (gtk_editable_get_text (GTK_EDITABLE (win_named ("settings-enroll-code")))[0] == '\0',
         "the one-time code stayed in its entry");
  CHECK (fa_sync_banner_get_message (FA_SYNC_BANNER (win_named ("sync-banner"))) == NULL,
         "the banner stayed after enrolling: %s",
         fa_sync_banner_get_message (FA_SYNC_BANNER (win_named ("sync-banner"))));
  fa_window_dismiss_toasts (main_window ());
  return TRUE;
}

/* Weeks offline: `count` finalized interviews (sample answers) and two drafts are written by a
 * second handle on the store while the app runs, as another process would. */
static gboolean
seed_store (int count)
{
  g_autofree char *form = NULL;
  g_autofree char *draft1 = NULL, *draft2 = NULL;
  gsize len = 0;
  char err[256] = "";
  sample_gen_t *gen;
  sync_store_t *s;

  CHECK (g_file_get_contents (FA_FORM_PATH, &form, &len, NULL), "cannot read %s", FA_FORM_PATH);
  CHECK (g_file_get_contents (FA_EXAMPLES_DIR "/valid_child_entertainment.json", &draft1, NULL, NULL), "draft 1");
  CHECK (g_file_get_contents (FA_EXAMPLES_DIR "/valid_no_indication.json", &draft2, NULL, NULL), "draft 2");
  gen = sample_gen_new (form, len, 20261101, err, sizeof err);
  CHECK (gen != NULL, "sample generator: %s", err);
  s = open_test_store (FALSE);
  CHECK (s != NULL, "cannot open the store");
  sync_store_begin (s);
  for (int i = 0; i < count; i++)
    {
      char *payload = sample_gen_next (gen);
      sync_err_t e = sync_record_create (s, "tppo_screening", 0, payload, SYNC_STATUS_FINAL, NULL);
      free (payload);
      if (e != SYNC_OK)
        {
          fprintf (stderr, "sample record %d: %s\n", i, sync_store_errmsg (s));
          break;
        }
    }
  sync_store_commit (s);
  sample_gen_free (gen);
  CHECK (sync_record_create (s, "tppo_screening", 0, draft1, SYNC_STATUS_DRAFT, NULL) == SYNC_OK, "draft 1");
  CHECK (sync_record_create (s, "tppo_screening", 0, draft2, SYNC_STATUS_DRAFT, NULL) == SYNC_OK, "draft 2");
  sync_store_close (s);
  return TRUE;
}

static gboolean
sync_seeded_records (void)
{
  gint64 t0;
  gint64 pending;

  CHECK (wait_for (sync_done, NULL, 20000), "the first sync (nothing to send) did not finish");
  /* weeks offline: the records wait in the outbox; the app is told to look again */
  if (!seed_store (seed_count ()))
    return FALSE;
  fa_app_notify_records_changed (app);
  pump (300);
  CHECK (wait_for (records_loaded, NULL, 20000), "records list did not load");
  CHECK (fa_records_page_get_counts (fa_window_get_records_page (main_window ()))->counts[FA_GROUP_WAITING]
         == (guint64) seed_count (), "the list does not show the records waiting");
  if (seed_count () == 0)
    return TRUE;

  /* Sync now, and watch the main loop while they go */
  last_tick_us = 0;
  max_gap_us = 0;
  g_timeout_add (20, responsiveness_tick, NULL);
  t0 = g_get_monotonic_time ();
  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (sync_moving, NULL, 20000), "the sync of the seeded records did not start");
  /* the picture while records are on their way */
  CHECK (gtk_widget_get_visible (win_named ("sync-progress")), "no progress bar during the sync");
  CHECK (screenshot_now ("sync-in-progress", 40), "screenshot");
  pending = fa_sync_controller_get_status (fa_app_get_sync (app))->pending;
  note ("syncing: %lld waiting", (long long) pending);
  CHECK (wait_for (sync_done, NULL, 120000), "the seeded records were not all sent (state %s, pending %lld, %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         (long long) fa_sync_controller_get_status (fa_app_get_sync (app))->pending,
         fa_sync_controller_get_status (fa_app_get_sync (app))->message);
  note ("%d records synced in %.1f s; longest main-loop stall %.0f ms", seed_count (),
        (double) (g_get_monotonic_time () - t0) / 1e6, (double) max_gap_us / 1000.0);
  {
    const char *limit = g_getenv ("FA_GUI_MAX_STALL_MS");
    double max_ms = limit ? g_ascii_strtod (limit, NULL) : 500.0;
    CHECK ((double) max_gap_us / 1000.0 < max_ms,
           "the window froze for %.0f ms during the sync (limit %.0f ms)", (double) max_gap_us / 1000.0, max_ms);
  }
  return TRUE;
}

static gboolean
records_list_screenshot (void)
{
  FaRecordsPage *records = fa_window_get_records_page (main_window ());
  const FaRecordCounts *counts;

  CHECK (wait_for (records_loaded, NULL, 20000), "records list did not load");
  pump (300);
  CHECK (wait_for (records_loaded, NULL, 20000), "records list did not load");
  counts = fa_records_page_get_counts (records);
  note ("records list: %llu drafts, %llu waiting, %llu sent, %llu conflicts",
        (unsigned long long) counts->counts[FA_GROUP_DRAFT], (unsigned long long) counts->counts[FA_GROUP_WAITING],
        (unsigned long long) counts->counts[FA_GROUP_SENT], (unsigned long long) counts->counts[FA_GROUP_CONFLICT]);
  CHECK (counts->counts[FA_GROUP_SENT] == (guint64) seed_count (), "expected %d sent records, the list has %llu",
         seed_count (), (unsigned long long) counts->counts[FA_GROUP_SENT]);
  CHECK (counts->counts[FA_GROUP_DRAFT] == 2, "expected the 2 seeded drafts, the list has %llu",
         (unsigned long long) counts->counts[FA_GROUP_DRAFT]);
  CHECK (fa_records_page_get_n_visible (records) == (guint) seed_count () + 2, "the list does not show every record");
  return screenshot ("records-list");
}

gboolean
scenario_e2e (void)
{
  g_autofree char *example = NULL;
  cJSON *answers = NULL;
  const FaForm *form;
  const char *none[] = { NULL };
  const char *later[] = { "regency_code", NULL };
  g_autofree char *uuid = NULL;
  sync_record_status_t status = 0;
  cJSON *local = NULL, *remote = NULL, *item;
  ServerPoll poll = { 0 };
  const FaRecordInfo *info;

  CHECK (g_file_get_contents (FA_EXAMPLE_PATH, &example, NULL, NULL), "cannot read %s", FA_EXAMPLE_PATH);
  answers = cJSON_Parse (example);
  CHECK (answers != NULL, "bad example");

  if (!first_run () || !sync_seeded_records () || !records_list_screenshot ())
    return FALSE;

  /* a new record, through the header's button */
  CHECK (click ("new-record-button"), "new record");
  CHECK (wait_for (page_is, "form", 2000), "the form did not open");
  {
    g_autoptr (GError) error = NULL;
    form = fa_app_get_form (app, "tppo_screening", 0, &error);
    CHECK (form != NULL && form->sections->len >= 7, "reference form not loaded: %s",
           error ? error->message : "wrong number of parts");
  }

  /* part 1, with a constraint error on the way: a regency code outside the chosen province */
  if (!fill_section (form, 0, answers, later))
    return FALSE;
  {
    GtkWidget *regency = find_named (fa_form_page_get_field_widget (form_page (), "regency_code"), "input");
    CHECK (type_text (regency, "35.02"), "regency");
    settle ();
    CHECK (field_error_is ("regency_code", TRUE), "no inline error for regency 35.02 in province 31");
    note ("constraint error shown: %s",
          fa_field_base_get_error (FA_FIELD_BASE (fa_form_page_get_field_widget (form_page (), "regency_code"))));
    /* the part from its top, for the picture (the question is the third one) */
    gtk_widget_grab_focus (regency);
    pump (50);
    gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (
      GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (regency, GTK_TYPE_SCROLLED_WINDOW))), 0);
    pump (100);
    CHECK (screenshot ("form-constraint-error"), "screenshot");
    CHECK (type_text (regency, cJSON_GetObjectItemCaseSensitive (answers, "regency_code")->valuestring), "fix");
    settle ();
    CHECK (field_error_is ("regency_code", FALSE), "the error did not go away after the fix");
  }
  /* skip logic, live: no interpreter, so no interpreter language */
  CHECK (!gtk_widget_get_visible (fa_form_page_get_field_widget (form_page (), "interpreter_language")),
         "interpreter_language is shown although no interpreter was used");

  for (guint s = 1; s < form->sections->len; s++)
    {
      CHECK (click ("next-button"), "next");
      if (!fill_section (form, s, answers, none))
        return FALSE;
      if (s == 1)
        /* a date of birth was given: the estimated age is not asked */
        CHECK (!gtk_widget_get_visible (fa_form_page_get_field_widget (form_page (), "estimated_age")),
               "estimated_age is asked although the date of birth is known");
    }
  /* calculated values are shown, read-only, from the library */
  {
    GtkWidget *calc = fa_form_page_get_field_widget (form_page (), "tppo_indicated");
    GtkWidget *value = find_named (calc, "value");
    CHECK (gtk_widget_get_visible (calc), "calculated TPPO indication not shown");
    CHECK (g_strcmp0 (gtk_label_get_text (GTK_LABEL (value)), _("Yes")) == 0,
           "TPPO indication shows '%s'", gtk_label_get_text (GTK_LABEL (value)));
  }

  /* review, then finalize with confirmation */
  CHECK (click ("next-button"), "to review");
  CHECK (fa_form_page_is_reviewing (form_page ()), "the review page is not shown");
  CHECK (gtk_widget_get_visible (win_named ("complete-label")), "the review says answers are missing");
  CHECK (screenshot ("review"), "screenshot");
  uuid = g_strdup (fa_form_page_get_uuid (form_page ()));
  CHECK (uuid != NULL, "the draft was never autosaved");
  CHECK (click ("finalize-button"), "finalize");
  CHECK (wait_for (dialog_shown, "finalize-dialog", 2000), "no confirmation dialog");
  adw_message_dialog_response (find_dialog ("finalize-dialog"), "finalize");
  pump (50);
  CHECK (wait_for (page_is, "records", 2000), "finalizing did not return to the records");

  /* sealed for central at finalizing: the device keeps the clear part only */
  local = store_payload (uuid, &status);
  CHECK (local != NULL && status == SYNC_STATUS_FINAL, "the record is not final in the store");
  CHECK (cJSON_GetObjectItemCaseSensitive (local, "full_name") == NULL,
         "the finalized record was not sealed: its name is still readable on the device");
  cJSON_ArrayForEach (item, local)
    if (cJSON_GetObjectItemCaseSensitive (answers, item->string) != NULL)
      CHECK (same_answer (cJSON_GetObjectItemCaseSensitive (answers, item->string), item),
             "clear answer %s was not stored as entered", item->string);

  /* a finalized record opens read-only */
  {
    FaRecordsPage *records = fa_window_get_records_page (main_window ());
    CHECK (wait_for (records_loaded, NULL, 20000), "records list did not reload");
    info = fa_records_page_find (records, uuid);
    CHECK (info != NULL && info->final, "the finalized record is not in the list");
    CHECK (fa_form_page_open_record (form_page (), app, uuid, NULL), "cannot open the final record");
    CHECK (fa_form_page_is_read_only (form_page ()), "a finalized record opened editable");
    fa_form_page_close (form_page ());
  }

  /* Sync now, and central staff read every answer with their private key */
  CHECK (click ("sync-now-button"), "sync now");
  poll.uuid = uuid;
  CHECK (wait_for (central_has_record, &poll, 30000), "the server never received record %s", uuid);
  remote = cJSON_Parse (poll.payload);
  CHECK (remote != NULL, "export row is not JSON: %s", poll.payload);
  cJSON_ArrayForEach (item, answers)
    CHECK (same_answer (item, cJSON_GetObjectItemCaseSensitive (remote, item->string)),
           "central's export has %s = %s, the officer entered %s", item->string,
           cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (remote, item->string)),
           cJSON_PrintUnformatted (item));
  CHECK (cJSON_GetNumberValue (cJSON_GetObjectItemCaseSensitive (remote, "tppo_indicated")) == 1,
         "central's export lacks the computed TPPO indication");
  note ("record %s: all %d answers in central's export", uuid, cJSON_GetArraySize (answers));

  /* ...and the list shows it sent, with the server's receipt time */
  CHECK (wait_for (sync_done, NULL, 30000), "sync did not settle");
  fa_app_notify_records_changed (app);
  pump (100);
  CHECK (wait_for (records_loaded, NULL, 20000), "records list did not reload");
  info = fa_records_page_find (fa_window_get_records_page (main_window ()), uuid);
  CHECK (info != NULL && info->group == FA_GROUP_SENT && info->received_ms > 0,
         "the record is not listed as sent with a receipt time");

  g_free (poll.payload);
  cJSON_Delete (local);
  cJSON_Delete (remote);
  cJSON_Delete (answers);
  return TRUE;
}
