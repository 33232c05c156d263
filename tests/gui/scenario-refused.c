/* GUI test scenario: a record the central server refuses is shown with a readable reason,
 * corrected in the app and delivered (see test_app_gui.c).
 *
 * The refusal is one a deployment really meets: an interview finalized offline, before the
 * device ever reached the server, with the form the app bundles; central published its own
 * tppo_screening v1, sealed, whose list of interviewing units has no "Other" (every unit must
 * be one the referral system knows). The record answers unit_type "other": unsealed and with a
 * unit central's form does not list, the server refuses it; once the device holds the server's
 * form, sending it again still fails on the unit type, so only the officer can put it right —
 * "Correct", pick the unit, "Send correction" — and central then reads every answer. */
#include "gui-support.h"

static char *record_uuid;
static cJSON *answers;

gboolean
prepare_refused (void)
{
  g_autofree char *form = NULL;
  g_autofree char *example = NULL;

  CHECK (g_file_get_contents (FA_EXAMPLES_DIR "/valid_no_indication.json", &example, NULL, NULL), "example");
  answers = cJSON_Parse (example);
  cJSON_ReplaceItemInObjectCaseSensitive (answers, "unit_type", cJSON_CreateString ("other"));
  cJSON_AddStringToObject (answers, "unit_type_other", "Satgas TPPO Kabupaten Indramayu");
  form = sealed_variant_form ("unit_types", "other");
  CHECK (form != NULL, "cannot write central's form");
  return create_empty_store () && start_secure_server (form);
}

/* Offline, after the app added its bundled form: the interview is finalized (a second handle, as
 * another process would). */
static gboolean
finalized_offline (void)
{
  char uuid[SYNC_UUID_STRLEN + 1];
  char *text = cJSON_PrintUnformatted (answers);
  sync_store_t *s = open_test_store (FALSE);
  sync_err_t err;

  CHECK (s != NULL, "store");
  err = sync_record_create (s, "tppo_screening", 0, text, SYNC_STATUS_FINAL, uuid);
  cJSON_free (text);
  sync_store_close (s);
  CHECK (err == SYNC_OK, "record: %s", sync_strerror (err));
  record_uuid = g_strdup (uuid);
  fa_app_notify_records_changed (app);
  return TRUE;
}

static gboolean
enrolled (void)
{
  CHECK (page_is ("settings"), "the first run should show the settings page");
  return enrol_on_settings_page ();
}

static const FaRecordInfo *
record_info (void)
{
  return fa_records_page_find (fa_window_get_records_page (main_window ()), record_uuid);
}

/* The label of the unit-type question in the UI language (the reason must name the question,
 * not a field name or an issue code). */
static const char *
unit_type_label (void)
{
  const FaForm *form = fa_app_get_form (app, "tppo_screening", 0, NULL);
  const FaField *f = form ? fa_form_lookup (form, "unit_type") : NULL;
  return f ? f->label : "unit_type";
}

/* Refused, settled, and the reason names the unit type in words. */
static gboolean
refused_with_reason (gpointer data)
{
  const FaRecordInfo *info;

  if (fa_sync_controller_is_busy (fa_app_get_sync (app)) || !records_loaded (NULL))
    return FALSE;
  info = record_info ();
  if (info == NULL || info->group != FA_GROUP_REFUSED || info->refusal == NULL)
    {
      fa_app_notify_records_changed (app);
      return FALSE;
    }
  return strstr (info->refusal, unit_type_label ()) != NULL;
}

/* No issue code or field name (snake_case) in text meant for the officer. */
static gboolean
plain_words (const char *text)
{
  g_autoptr (GRegex) re = g_regex_new ("\\b[a-z]+_[a-z_]+\\b", 0, 0, NULL);
  return text != NULL && !g_regex_match (re, text, 0, NULL);
}

static gboolean
status_says (gpointer text)
{
  return strstr (gtk_label_get_text (GTK_LABEL (win_named ("sync-detail-label"))), text) != NULL;
}

static gboolean
shown_in_list (void)
{
  FaRecordsPage *records = fa_window_get_records_page (main_window ());
  const FaRecordCounts *counts = fa_records_page_get_counts (records);
  g_autofree char *reason = g_strdup (record_info ()->refusal);   /* the list reloads below */
  g_autofree char *status = g_strdup_printf (ngettext ("%lld refused by the server (see Refused)",
                                                       "%lld refused by the server (see Refused)", 1), 1LL);
  GtkWidget *row, *label;

  note ("refused: %s", reason);
  CHECK (plain_words (reason), "the reason shows codes or field names: %s", reason);
  if (strcmp (fa_app_get_language (app), "id") == 0)
    CHECK (strstr (reason, "Jenis unit") != NULL, "the reason is not in Indonesian: %s", reason);
  /* the counts agree: refused, not waiting; the status bar says so */
  CHECK (counts->counts[FA_GROUP_REFUSED] == 1 && counts->counts[FA_GROUP_WAITING] == 0,
         "the list counts %llu refused, %llu waiting", (unsigned long long) counts->counts[FA_GROUP_REFUSED],
         (unsigned long long) counts->counts[FA_GROUP_WAITING]);
  CHECK (fa_sync_controller_get_status (fa_app_get_sync (app))->pending == 0, "the engine counts it as waiting");
  CHECK (wait_for (status_says, status, 2000), "the status bar says '%s'",
         gtk_label_get_text (GTK_LABEL (win_named ("sync-detail-label"))));
  /* the place the toast's button leads to; the reason on the row itself */
  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.show-refused", NULL);
  pump (100);
  CHECK (gtk_widget_get_visible (win_named ("group-refused")), "no Refused place in the tabs");
  CHECK (fa_records_page_get_n_visible (records) == 1, "the Refused place shows %u records",
         fa_records_page_get_n_visible (records));
  row = win_named (record_uuid);
  CHECK (row != NULL, "the refused record has no row");
  label = find_named (row, "record-reason");
  CHECK (label != NULL && gtk_widget_get_visible (label) && strstr (gtk_label_get_text (GTK_LABEL (label)), reason),
         "the row does not show the reason");
  return screenshot_now ("refused-list", 300);
}

static gboolean
still_refused_after_send_again (void)
{
  const char *text;

  g_signal_emit_by_name (fa_window_get_records_page (main_window ()), "record-activated", record_uuid,
                         (int) FA_GROUP_REFUSED);
  CHECK (wait_for (page_is, "form", 2000), "the record did not open");
  text = fa_form_page_get_refusal (form_page ());
  CHECK (text != NULL && strstr (text, record_info ()->refusal) != NULL, "the record page does not say why: %s",
         text ? text : "nothing");
  CHECK (gtk_widget_get_visible (win_named ("refusal-fix")) && gtk_widget_get_visible (win_named ("refusal-resend")),
         "no way forward on the record page");
  CHECK (screenshot_now ("refused-record", 300), "screenshot");
  /* the answers still fail under central's form: Send again says so and changes nothing */
  CHECK (click ("refusal-resend"), "send again");
  CHECK (page_is ("form"), "Send again left the page although the answers still fail");
  text = fa_form_page_get_refusal (form_page ());
  CHECK (text != NULL && strstr (text, unit_type_label ()) != NULL, "Send again did not say what fails: %s", text);
  note ("send again: %s", text);
  return TRUE;
}

static gboolean
corrected (void)
{
  cJSON *polres = cJSON_CreateString ("polres");

  CHECK (click ("refusal-fix"), "correct");
  CHECK (fa_form_page_is_correcting (form_page ()) && !fa_form_page_is_read_only (form_page ()),
         "the answers did not open for correction");
  fa_form_page_goto_field (form_page (), "unit_type");
  pump (50);
  if (!fill_field ("unit_type", polres))
    return FALSE;
  cJSON_Delete (polres);
  settle ();
  CHECK (field_error_is ("unit_type", FALSE), "the corrected unit type still shows an error");
  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.finalize", NULL);
  CHECK (wait_for (dialog_shown, "finalize-dialog", 2000), "no confirmation before sending the correction");
  adw_message_dialog_response (find_dialog ("finalize-dialog"), "finalize");
  pump (50);
  CHECK (wait_for (page_is, "records", 2000), "sending the correction did not return to the records: %s",
         fa_form_page_get_refusal (form_page ()) ? fa_form_page_get_refusal (form_page ()) : "");
  return TRUE;
}

static gboolean
delivered (gpointer data)
{
  const FaRecordInfo *info;

  if (!sync_done (NULL) || !records_loaded (NULL))
    return FALSE;
  info = record_info ();
  if (info == NULL || info->group != FA_GROUP_SENT)
    fa_app_notify_records_changed (app);
  return info != NULL && info->group == FA_GROUP_SENT && info->received_ms > 0;
}

gboolean
scenario_refused (void)
{
  ServerPoll poll = { 0 };
  cJSON *remote, *item;

  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  if (!finalized_offline () || !enrolled ())
    return FALSE;
  CHECK (wait_for (refused_with_reason, NULL, 30000), "the record was not shown refused with its reason "
         "(group %d, reason: %s)", record_info () ? (int) record_info ()->group : -1,
         record_info () && record_info ()->refusal ? record_info ()->refusal : "none");
  if (!shown_in_list () || !still_refused_after_send_again () || !corrected ())
    return FALSE;

  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (delivered, NULL, 30000), "the corrected record was not delivered (state %s: %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         fa_sync_controller_get_status (fa_app_get_sync (app))->message);
  poll.uuid = record_uuid;
  CHECK (wait_for (central_has_record, &poll, 10000), "central's export does not open the record");
  remote = cJSON_Parse (poll.payload);
  /* the unit is a Polres now; the "other unit" answer went with the choice that asked it */
  cJSON_ReplaceItemInObjectCaseSensitive (answers, "unit_type", cJSON_CreateString ("polres"));
  cJSON_DeleteItemFromObjectCaseSensitive (answers, "unit_type_other");
  CHECK (cJSON_GetObjectItemCaseSensitive (remote, "unit_type_other") == NULL
         || cJSON_IsNull (cJSON_GetObjectItemCaseSensitive (remote, "unit_type_other")),
         "the answer to a question no longer asked reached central");
  cJSON_ArrayForEach (item, answers)
    CHECK (same_answer (item, cJSON_GetObjectItemCaseSensitive (remote, item->string)),
           "central's export has %s = %s, expected %s", item->string,
           cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (remote, item->string)),
           cJSON_PrintUnformatted (item));
  note ("corrected record delivered; central reads every answer, unit type polres");
  g_free (poll.payload);
  cJSON_Delete (remote);
  cJSON_Delete (answers);
  return TRUE;
}
