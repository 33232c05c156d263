/* GUI test scenario: the passphrase, locking, a sealed record and the emergency wipe (see
 * test_app_gui.c). No server: everything here happens on the device. */
#include "gui-support.h"

#include <sqlite3.h>

#define NEW_PASSPHRASE "Ganti-Sandi-Baru-99"

/* A small encrypted form: the answers are sealed for the central office when finalized; only
 * `district` stays readable on the device. The public key is made here; nobody keeps the private
 * one, which is the point. */
static char *
sealed_form (void)
{
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];

  if (sync_seal_keypair (pub, sec) != SYNC_OK)
    return NULL;
  return g_strdup_printf (
    "{\"format\":1,\"form_id\":\"gui_sealed\",\"version\":1,\"default_language\":\"id\","
    "\"languages\":[\"id\",\"en\"],\"title\":{\"id\":\"Tersegel\",\"en\":\"Sealed\"},"
    "\"encryption\":{\"public_key\":\"%s\",\"clear_fields\":[\"district\"]},"
    "\"sections\":[{\"name\":\"one\",\"label\":{\"id\":\"Satu\",\"en\":\"One\"},\"fields\":["
    "{\"name\":\"district\",\"type\":\"text\",\"label\":{\"id\":\"Kabupaten\",\"en\":\"District\"}},"
    "{\"name\":\"full_name\",\"type\":\"text\",\"label\":{\"id\":\"Nama\",\"en\":\"Name\"}}]}]}", pub);
}

gboolean
prepare_unlock (void)
{
  /* a store from before, and settings an older version wrote with the device secret in clear */
  return create_test_store () && write_settings (TRUE);
}

static gboolean
settings_keep_no_secret (void)
{
  g_autofree char *file = g_build_filename (config_dir, "settings.ini", NULL);
  g_autofree char *text = NULL;

  CHECK (g_file_get_contents (file, &text, NULL, NULL), "no settings file");
  CHECK (strstr (text, "device-secret") == NULL && strstr (text, "device-id") == NULL,
         "the old device credential is still in settings.ini:\n%s", text);
  CHECK (strstr (text, "Aipda Rahmat") != NULL, "the rest of the settings was lost:\n%s", text);
  return TRUE;
}

static gboolean
unlock_ready (gpointer data)
{
  return gtk_widget_get_sensitive (win_named ("unlock-button"));
}

static gboolean
try_passphrase (const char *passphrase)
{
  CHECK (type_text (win_named ("unlock-passphrase"), passphrase), "type");
  CHECK (click ("unlock-button"), "open");
  return TRUE;
}

/* Only the unlock page before the passphrase: no records, no settings, no sync. */
static gboolean
nothing_reachable (void)
{
  GActionGroup *win = G_ACTION_GROUP (main_window ());

  CHECK (page_is ("unlock"), "page %s is shown while locked", fa_window_get_page (main_window ()));
  CHECK (!fa_app_is_unlocked (app), "the store is open while locked");
  CHECK (!gtk_widget_get_visible (win_named ("sync-status")), "the sync bar shows while locked");
  CHECK (!gtk_widget_get_visible (win_named ("new-record-button")), "the new-record button shows while locked");
  CHECK (!g_action_group_get_action_enabled (win, "settings"), "settings are reachable while locked");
  CHECK (!g_action_group_get_action_enabled (win, "new-record"), "a new record can be started while locked");
  CHECK (!g_action_group_get_action_enabled (win, "sync-now"), "sync can be started while locked");
  CHECK (!g_action_group_get_action_enabled (win, "search"), "the records can be searched while locked");
  return TRUE;
}

static gboolean
wrong_then_right (void)
{
  GtkWidget *error = win_named ("unlock-error");

  CHECK (wait_for (page_is, "unlock", 3000), "the app did not start on the unlock page");
  CHECK (gtk_widget_get_mapped (win_named ("unlock-passphrase")), "the store exists: the passphrase should be asked");
  if (!nothing_reachable () || !screenshot ("unlock"))
    return FALSE;

  CHECK (try_passphrase ("salah-sekali-123"), "wrong 1");
  CHECK (wait_for (unlock_failed, NULL, 5000), "a wrong passphrase was not refused");
  note ("wrong passphrase: %s", gtk_label_get_text (GTK_LABEL (error)));
  if (strcmp (fa_app_get_language (app), "id") == 0)
    CHECK (strcmp (gtk_label_get_text (GTK_LABEL (error)), "Kata sandi salah") == 0, "says '%s'",
           gtk_label_get_text (GTK_LABEL (error)));
  CHECK (gtk_editable_get_text (GTK_EDITABLE (win_named ("unlock-passphrase")))[0] == '\0',
         "the refused passphrase stayed in the entry");
  if (!nothing_reachable ())
    return FALSE;
  CHECK (wait_for (unlock_ready, NULL, 3000), "no second try allowed");

  /* repeated failures: a pause before the next try */
  CHECK (try_passphrase ("salah-lagi-456"), "wrong 2");
  CHECK (wait_for (unlock_ready, NULL, 5000), "no third try allowed");
  CHECK (try_passphrase ("salah-ketiga-789"), "wrong 3");
  CHECK (wait_for (unlock_failed, NULL, 5000), "the third wrong passphrase was not refused");
  CHECK (fa_unlock_page_get_wait (FA_UNLOCK_PAGE (win_named ("unlock-page"))) > 0, "no pause after three failures");
  CHECK (!gtk_widget_get_sensitive (win_named ("unlock-button")), "a try is allowed during the pause");
  note ("after three failures: %s", gtk_label_get_text (GTK_LABEL (error)));
  CHECK (wait_for (unlock_ready, NULL, 3000), "the pause did not end");

  CHECK (unlock_app (TEST_PASSPHRASE), "the right passphrase");
  /* the settings written before count as set up: straight to the records */
  CHECK (page_is ("records"), "after unlocking the records should show, not %s", fa_window_get_page (main_window ()));
  return settings_keep_no_secret ();
}

/* A sealed record: listed with the lock badge, opened read-only with the clear part only. */
static gboolean
sealed_record (void)
{
  g_autofree char *form = sealed_form ();
  sync_store_t *store = fa_app_get_store (app);
  char uuid[SYNC_UUID_STRLEN + 1];
  const FaRecordInfo *info;
  GtkWidget *name, *district;
  cJSON *v;

  CHECK (form != NULL, "no key pair");
  CHECK (sync_form_add (store, form, strlen (form), NULL, NULL) == SYNC_OK, "form: %s", sync_store_errmsg (store));
  CHECK (sync_record_create (store, "gui_sealed", 1, "{\"district\":\"Kolaka\",\"full_name\":\"Nur Aisyah\"}",
                             SYNC_STATUS_FINAL, uuid) == SYNC_OK, "record: %s", sync_store_errmsg (store));
  fa_app_notify_records_changed (app);
  pump (100);
  CHECK (wait_for (records_loaded, NULL, 10000), "records list did not load");
  info = fa_records_page_find (fa_window_get_records_page (main_window ()), uuid);
  CHECK (info != NULL && info->sealed, "the record is not listed as sealed");
  {
    GtkWidget *row = win_named (uuid);
    CHECK (row != NULL, "no row for the sealed record");
    CHECK (gtk_widget_get_visible (find_named (row, "sealed-badge")), "no lock badge on the sealed record");
  }
  CHECK (fa_form_page_open_record (form_page (), app, uuid, NULL), "open the sealed record");
  CHECK (fa_form_page_is_read_only (form_page ()), "a sealed record opened editable");
  CHECK (fa_form_page_get_banner (form_page ()) != NULL
         && strstr (fa_form_page_get_banner (form_page ()), _("Sealed for the central office")) != NULL,
         "no sealed banner: %s", fa_form_page_get_banner (form_page ()));
  name = fa_form_page_get_field_widget (form_page (), "full_name");
  district = fa_form_page_get_field_widget (form_page (), "district");
  v = fa_field_base_get_value (FA_FIELD_BASE (district));
  CHECK (cJSON_IsString (v) && strcmp (v->valuestring, "Kolaka") == 0, "the clear answer is not shown");
  cJSON_Delete (v);
  v = fa_field_base_get_value (FA_FIELD_BASE (name));
  CHECK (v == NULL || cJSON_IsNull (v), "the sealed answer is shown on the device");
  cJSON_Delete (v);
  note ("sealed record shows only its clear part");
  fa_form_page_close (form_page ());
  return TRUE;
}

static gboolean
not_busy (gpointer data)
{
  return !fa_settings_page_is_busy (FA_SETTINGS_PAGE (win_named ("settings-page")));
}

static gboolean
change_passphrase_and_lock (void)
{
  GtkWidget *error = win_named ("settings-passphrase-error");

  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.settings", NULL);
  CHECK (wait_for (page_is, "settings", 2000), "settings did not open");
  /* a wrong current passphrase is refused */
  CHECK (type_text (win_named ("settings-current-passphrase"), "bukan-sandi-ini"), "current");
  CHECK (type_text (win_named ("settings-new-passphrase"), NEW_PASSPHRASE), "new");
  CHECK (type_text (win_named ("settings-repeat-passphrase"), NEW_PASSPHRASE), "repeat");
  CHECK (click ("settings-change-passphrase"), "change");
  CHECK (wait_for (not_busy, NULL, 10000), "the change never ended");
  CHECK (gtk_widget_get_visible (error), "a wrong current passphrase was accepted");
  note ("wrong current passphrase: %s", gtk_label_get_text (GTK_LABEL (error)));
  /* the right one changes it */
  CHECK (type_text (win_named ("settings-current-passphrase"), TEST_PASSPHRASE), "current");
  CHECK (type_text (win_named ("settings-new-passphrase"), NEW_PASSPHRASE), "new");
  CHECK (type_text (win_named ("settings-repeat-passphrase"), NEW_PASSPHRASE), "repeat");
  CHECK (click ("settings-change-passphrase"), "change");
  CHECK (wait_for (not_busy, NULL, 10000), "the change never ended");
  CHECK (!gtk_widget_get_visible (error), "the change failed: %s", gtk_label_get_text (GTK_LABEL (error)));

  /* retention: kept in the store */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (win_named ("settings-retention")), 30);
  CHECK (click ("settings-save"), "save");
  CHECK (wait_for (page_is, "records", 2000), "saving did not return to the records");
  {
    int days = 0;
    CHECK (sync_store_retention_days (fa_app_get_store (app), &days) == SYNC_OK && days == 30,
           "retention is %d days, not 30", days);
  }

  /* lock in the middle of an interview: the draft is saved before the store closes */
  CHECK (fa_window_new_record (main_window (), "gui_sealed", NULL), "new record");
  CHECK (type_text (find_named (fa_form_page_get_field_widget (form_page (), "district"), "input"), "Konawe"),
         "district");

  /* lock: the old passphrase no longer opens, the new one does */
  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.lock", NULL);
  CHECK (wait_for (page_is, "unlock", 2000), "locking did not return to the unlock page");
  if (!nothing_reachable ())
    return FALSE;
  CHECK (fa_records_page_get_n_visible (fa_window_get_records_page (main_window ())) == 0,
         "the records list kept its rows after locking");
  CHECK (try_passphrase (TEST_PASSPHRASE), "old");
  CHECK (wait_for (unlock_failed, NULL, 5000), "the old passphrase still opens the store");
  CHECK (wait_for (unlock_ready, NULL, 3000), "no second try allowed");
  CHECK (unlock_app (NEW_PASSPHRASE), "the new passphrase");
  CHECK (wait_for (records_loaded, NULL, 10000), "records list did not load");
  CHECK (fa_records_page_get_counts (fa_window_get_records_page (main_window ()))->counts[FA_GROUP_DRAFT] == 1,
         "the draft open when the app was locked was not saved");
  return TRUE;
}

static gboolean
wipe (void)
{
  AdwMessageDialog *dialog;
  GtkWidget *confirm;
  const char *word = C_("wipe-confirmation", "DELETE");

  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.settings", NULL);
  CHECK (wait_for (page_is, "settings", 2000), "settings did not open");
  CHECK (click ("settings-wipe"), "wipe");
  CHECK (wait_for (dialog_shown, "wipe-dialog", 2000), "no confirmation for the wipe");
  dialog = find_dialog ("wipe-dialog");
  confirm = find_named (GTK_WIDGET (dialog), "wipe-confirm");
  CHECK (confirm != NULL, "no confirmation entry");
  CHECK (!adw_message_dialog_get_response_enabled (dialog, "wipe"), "wipe allowed without the word");
  CHECK (type_text (confirm, "hapus"), "type");
  CHECK (!adw_message_dialog_get_response_enabled (dialog, "wipe"), "wipe allowed with a wrong word");
  if (strcmp (fa_app_get_language (app), "id") == 0)
    CHECK (strcmp (word, "HAPUS") == 0, "the confirmation word is %s", word);
  CHECK (type_text (confirm, word), "type");
  CHECK (adw_message_dialog_get_response_enabled (dialog, "wipe"), "the word does not allow the wipe");
  adw_message_dialog_response (dialog, "wipe");
  pump (50);

  CHECK (wait_for (page_is, "unlock", 3000), "the wipe did not return to the unlock page");
  CHECK (store_files_gone (), "the store files are still there");
  CHECK (gtk_widget_get_mapped (win_named ("unlock-new")), "after the wipe a new passphrase should be asked");
  if (!nothing_reachable ())
    return FALSE;
  note ("wiped: the store files are gone");

  /* a store an older version kept in clear: its first passphrase encrypts it, so it is created
   * (typed twice), not "entered" */
  {
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (store_path, &db) == SQLITE_OK
           && sqlite3_exec (db, "CREATE TABLE meta(key TEXT); PRAGMA user_version = 2;", NULL, NULL, NULL) == SQLITE_OK,
           "cannot write a schema-2 file");
    sqlite3_close (db);
    fa_unlock_page_load (FA_UNLOCK_PAGE (win_named ("unlock-page")), app);
    pump (50);
    CHECK (gtk_widget_get_mapped (win_named ("unlock-new")), "a store in clear is not given a new passphrase");
    CHECK (g_unlink (store_path) == 0, "cannot remove the schema-2 file");
    fa_unlock_page_load (FA_UNLOCK_PAGE (win_named ("unlock-page")), app);
  }

  /* a new store: too short and mismatched passphrases are refused */
  CHECK (type_text (win_named ("unlock-new"), "pendek"), "short");
  CHECK (type_text (win_named ("unlock-repeat"), "pendek"), "short");
  CHECK (click ("unlock-create"), "create");
  CHECK (gtk_widget_get_visible (win_named ("unlock-error")) && page_is ("unlock"), "a short passphrase was accepted");
  CHECK (type_text (win_named ("unlock-new"), NEW_PASSPHRASE), "new");
  CHECK (type_text (win_named ("unlock-repeat"), "Sesuatu-Yang-Lain-1"), "different");
  CHECK (click ("unlock-create"), "create");
  CHECK (gtk_widget_get_visible (win_named ("unlock-error")) && page_is ("unlock"), "different passphrases were accepted");
  CHECK (unlock_app (NEW_PASSPHRASE), "a new store");
  CHECK (g_file_test (store_path, G_FILE_TEST_EXISTS), "no new store file");
  CHECK (wait_for (records_loaded, NULL, 10000), "records list did not load");
  CHECK (fa_records_page_get_counts (fa_window_get_records_page (main_window ()))->counts[FA_GROUP_SENT]
           + fa_records_page_get_counts (fa_window_get_records_page (main_window ()))->counts[FA_GROUP_WAITING] == 0,
         "records survived the wipe");
  return TRUE;
}

gboolean
scenario_unlock (void)
{
  return wrong_then_right () && sealed_record () && change_passphrase_and_lock () && wipe ();
}
