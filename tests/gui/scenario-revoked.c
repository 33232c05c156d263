/* GUI test scenario: enrolment from Settings, the signed receipt of a delivered record,
 * retention, a device revoked by the central office, and a credential the server refuses
 * (see test_app_gui.c). */
#include "gui-support.h"

static char *record_uuid;

/* A finalized interview waits in the store, made offline with the form the app bundles (the
 * same file) before the device ever reached the server; the officer had set the app up before.
 * The server is the secure setup: HTTPS, the form sealed to central's key. */
gboolean
prepare_revoked (void)
{
  record_uuid = create_store_with_final_record ();
  if (record_uuid == NULL)
    return FALSE;
  return start_secure_server (NULL) && write_settings (FALSE);
}

static gboolean
not_busy (gpointer data)
{
  return !fa_settings_page_is_busy (FA_SETTINGS_PAGE (win_named ("settings-page")));
}

static const char *
banner (void)
{
  return fa_sync_banner_get_message (FA_SYNC_BANNER (win_named ("sync-banner")));
}

static gboolean
enrol_from_settings (void)
{
  g_autofree char *code = enrollment_code ();
  GtkWidget *row;

  CHECK (code != NULL, "no enrollment code");
  CHECK (banner () != NULL, "no prompt to enrol on an unenrolled device");
  note ("not enrolled: %s", banner ());
  /* the banner's button leads to Settings */
  CHECK (click ("sync-banner-button"), "banner button");
  CHECK (wait_for (page_is, "settings", 2000), "the banner did not open Settings");
  CHECK (!gtk_widget_get_visible (win_named ("settings-enrollment")), "an enrollment is shown before enrolling");
  /* a wrong code is refused, and says so */
  CHECK (type_text (win_named ("settings-server-url"), server.url), "url");
  CHECK (type_text (win_named ("settings-enroll-code"), "AAAA-BBBB-CCCC"), "wrong code");
  CHECK (click ("settings-enroll"), "enrol");
  CHECK (wait_for (not_busy, NULL, 15000), "the enrollment never ended");
  CHECK (gtk_widget_get_visible (win_named ("settings-enroll-error")), "a made-up code was accepted");
  note ("wrong code: %s", gtk_label_get_text (GTK_LABEL (win_named ("settings-enroll-error"))));
  /* the right one */
  CHECK (type_text (win_named ("settings-enroll-code"), code), "code");
  CHECK (click ("settings-enroll"), "enrol");
  CHECK (wait_for (not_busy, NULL, 15000), "the enrollment never ended");
  CHECK (!gtk_widget_get_visible (win_named ("settings-enroll-error")), "enrolling failed: %s",
         gtk_label_get_text (GTK_LABEL (win_named ("settings-enroll-error"))));
  CHECK (gtk_widget_get_visible (win_named ("settings-enrollment")), "the enrollment is not shown");
  row = win_named ("settings-enrolled-name");
  CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Laptop Polres 01") == 0,
         "device name shows '%s'", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  row = win_named ("settings-enrolled-unit");
  CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Polres Metro Jakarta Utara") == 0,
         "unit shows '%s'", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  row = win_named ("settings-enrolled-server");
  CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), server.url) == 0,
         "server shows '%s'", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  row = win_named ("settings-enrolled-expiry");
  CHECK (*adw_action_row_get_subtitle (ADW_ACTION_ROW (row)) != '\0', "no credential expiry shown");
  CHECK (banner () == NULL, "the banner stayed after enrolling: %s", banner ());
  CHECK (fa_sync_controller_is_configured (fa_app_get_sync (app)), "sync did not start after enrolling");
  CHECK (screenshot_now ("settings-enrolled", 600), "screenshot");
  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.show-records", NULL);
  return TRUE;
}

static gboolean
delivered (gpointer data)
{
  const FaRecordInfo *info;

  if (!sync_done (NULL) || !records_loaded (NULL))
    return FALSE;
  info = fa_records_page_find (fa_window_get_records_page (main_window ()), record_uuid);
  return info != NULL && info->group == FA_GROUP_SENT && info->received_ms > 0;
}

static gboolean
receipt (void)
{
  FaReceiptPage *page;
  const char *json;
  GtkWidget *verdict, *seq;

  /* refused at first as unsealed, then sealed under the server's form once pulled and sent
   * again by the engine */
  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (delivered, NULL, 60000), "the record was not delivered (state %s: %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         fa_sync_controller_get_status (fa_app_get_sync (app))->message);

  /* opened from the list: read-only, with its proof of delivery */
  g_signal_emit_by_name (fa_window_get_records_page (main_window ()), "record-activated", record_uuid,
                         (int) FA_GROUP_SENT);
  CHECK (wait_for (page_is, "form", 2000), "the record did not open");
  CHECK (gtk_widget_get_visible (win_named ("receipt-button")), "no proof of delivery offered for a delivered record");
  CHECK (click ("receipt-button"), "receipt");
  CHECK (wait_for (page_is, "receipt", 2000), "the receipt did not open");
  page = FA_RECEIPT_PAGE (win_named ("receipt-page"));
  json = fa_receipt_page_get_json (page);
  CHECK (json != NULL && strstr (json, "\"signature\"") != NULL && strstr (json, record_uuid) != NULL,
         "not the record's receipt: %s", json);
  CHECK (sync_receipt_verify (json, NULL) == SYNC_OK, "the receipt does not verify on its own");
  verdict = win_named ("receipt-verdict");
  CHECK (strcmp (gtk_label_get_text (GTK_LABEL (verdict)), _("Valid signature")) == 0,
         "the verdict says '%s'", gtk_label_get_text (GTK_LABEL (verdict)));
  if (strcmp (fa_app_get_language (app), "id") == 0)
    CHECK (strcmp (gtk_label_get_text (GTK_LABEL (verdict)), "Tanda tangan sah") == 0, "verdict in Indonesian");
  seq = win_named ("receipt-seq");
  CHECK (g_ascii_strtoll (adw_action_row_get_subtitle (ADW_ACTION_ROW (seq)), NULL, 10) > 0,
         "no sequence number: '%s'", adw_action_row_get_subtitle (ADW_ACTION_ROW (seq)));
  CHECK (strlen (adw_action_row_get_subtitle (ADW_ACTION_ROW (win_named ("receipt-signature")))) == 19,
         "signature fingerprint '%s'", adw_action_row_get_subtitle (ADW_ACTION_ROW (win_named ("receipt-signature"))));
  CHECK (*adw_action_row_get_subtitle (ADW_ACTION_ROW (win_named ("receipt-time"))) != '\0', "no server time");
  CHECK (screenshot_now ("receipt", 600), "screenshot");
  CHECK (click ("receipt-copy"), "copy");
  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.show-records", NULL);
  CHECK (wait_for (page_is, "records", 2000), "back to the records");
  return TRUE;
}

/* Retention: with 1 day, a purge "two days later" removes the answers; the receipt stays. */
static gboolean
retention (void)
{
  sync_store_t *store = fa_app_get_store (app);
  int64_t purged = 0;
  char *json = NULL;

  CHECK (sync_store_set_retention_days (store, 1) == SYNC_OK, "retention");
  CHECK (sync_store_purge (store, g_get_real_time () / 1000 + 2 * 86400 * 1000LL, &purged) == SYNC_OK
         && purged == 1, "purged %lld records", (long long) purged);
  CHECK (fa_form_page_open_record (form_page (), app, record_uuid, NULL), "reopen");
  CHECK (fa_form_page_get_banner (form_page ()) != NULL
         && strstr (fa_form_page_get_banner (form_page ()),
                    _("Removed from the device after the central office received it")) != NULL,
         "no purged banner: %s", fa_form_page_get_banner (form_page ()));
  CHECK (gtk_widget_get_visible (win_named ("receipt-button")), "the purged record lost its proof of delivery");
  fa_form_page_close (form_page ());
  CHECK (sync_record_receipt (store, record_uuid, &json) == SYNC_OK, "no receipt after the purge");
  sync_free (json);
  if (strcmp (fa_app_get_language (app), "id") == 0)
    CHECK (strcmp (_("Removed from the device after the central office received it"),
                   "Dihapus dari perangkat setelah diterima pusat") == 0, "purged wording");
  return TRUE;
}

static gboolean
revoked_banner (gpointer data)
{
  const char *text = banner ();
  return text != NULL && strstr (text, data) != NULL;
}

static gboolean
revoked (void)
{
  g_autofree char *device_id = store_device_id ();
  const char *expect = _("This device was revoked by the central office. Records not yet sent stay on this "
                         "device; contact the administrator.");

  CHECK (device_id != NULL, "no device id");
  CHECK (run (NULL, SYNCSERVER_PATH, "device", "revoke", "--db", server.db, device_id, NULL), "revoke");
  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (revoked_banner, (gpointer) expect, 20000), "no revoked banner (state %s, %s; banner %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         fa_sync_controller_get_status (fa_app_get_sync (app))->message, banner () ? banner () : "none");
  CHECK (fa_sync_controller_get_status (fa_app_get_sync (app))->last_error == SYNC_ERR_REVOKED, "not SYNC_ERR_REVOKED");
  if (strcmp (fa_app_get_language (app), "id") == 0)
    CHECK (strcmp (banner (), "Perangkat ini telah dicabut oleh pusat. Data yang belum terkirim tetap "
                              "tersimpan; hubungi admin.") == 0, "banner says '%s'", banner ());
  note ("revoked: %s", banner ());
  return screenshot_now ("revoked", 600);
}

/* A server that does not know the credential (here: a new central database) refuses it; the
 * banner asks to enrol again, and a new code puts things right. */
static gboolean
refused_then_enrolled_again (void)
{
  const char *expect = _("The central server no longer accepts this device's credential (refused or expired). "
                         "Enrol the device again in Settings with a new code from the administrator.");
  g_autofree char *code = NULL;

  CHECK (replace_server (), "a new server");
  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (revoked_banner, (gpointer) expect, 20000), "no re-enrol banner (state %s, %s; banner %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         fa_sync_controller_get_status (fa_app_get_sync (app))->message, banner () ? banner () : "none");
  CHECK (fa_sync_controller_get_status (fa_app_get_sync (app))->last_error == SYNC_ERR_AUTH, "not SYNC_ERR_AUTH");
  note ("refused: %s", banner ());

  code = enrollment_code ();
  CHECK (code != NULL, "no enrollment code");
  CHECK (click ("sync-banner-button"), "banner button");
  CHECK (wait_for (page_is, "settings", 2000), "the banner did not open Settings");
  CHECK (type_text (win_named ("settings-enroll-code"), code), "code");
  CHECK (click ("settings-enroll"), "enrol again");
  CHECK (wait_for (not_busy, NULL, 15000), "the enrollment never ended");
  CHECK (!gtk_widget_get_visible (win_named ("settings-enroll-error")), "enrolling again failed: %s",
         gtk_label_get_text (GTK_LABEL (win_named ("settings-enroll-error"))));
  CHECK (banner () == NULL, "the banner stayed after enrolling again: %s", banner ());
  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (sync_done, NULL, 20000), "sync does not work after enrolling again (%s)",
         fa_sync_controller_get_status (fa_app_get_sync (app))->message);
  return TRUE;
}

gboolean
scenario_revoked (void)
{
  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  CHECK (page_is ("records"), "after unlocking the records should show, not %s", fa_window_get_page (main_window ()));
  return enrol_from_settings () && receipt () && retention () && revoked () && refused_then_enrolled_again ();
}
