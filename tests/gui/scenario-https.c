/* GUI test scenario: enrolment and sync over HTTPS, with the CA file and the key pin typed in
 * Settings, and the warning before the credential expires (see test_app_gui.c). */
#include "gui-support.h"

static char *record_uuid;
static char *tls_dir;

/* A finalized interview waits in the store; the server speaks only HTTPS, with a certificate
 * from a CA made for this test. */
gboolean
prepare_https (void)
{
  record_uuid = create_store_with_final_record ();
  if (record_uuid == NULL)
    return FALSE;
  tls_dir = g_build_filename (tmpdir, "tls", NULL);
  return start_tls_server (tls_dir) && write_settings (FALSE);
}

static gboolean
not_busy (gpointer data)
{
  return !fa_settings_page_is_busy (FA_SETTINGS_PAGE (win_named ("settings-page")));
}

static const char *
enroll_error (void)
{
  GtkWidget *label = win_named ("settings-enroll-error");
  return gtk_widget_get_visible (label) ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}

/* Enrol pressed; TRUE once it has ended (either way). */
static gboolean
enrol (void)
{
  CHECK (click ("settings-enroll"), "enrol");
  CHECK (wait_for (not_busy, NULL, 15000), "the enrollment never ended");
  return TRUE;
}

static char *
file_text (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

/* Scrolls the settings page so that `row` is near the top, for the picture. */
static gboolean
scroll_to (GtkWidget *row)
{
  GtkWidget *sw = gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  CHECK (sw != NULL, "the settings page does not scroll");
  CHECK (gtk_widget_compute_bounds (row, gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (sw)), &bounds),
         "row bounds");
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw)),
                            bounds.origin.y - 250);
  return TRUE;
}

static gboolean
refused_then_enrolled (const char *code)
{
  g_autofree char *ca = g_build_filename (tls_dir, "ca.pem", NULL);
  g_autofree char *pin = file_text (tls_dir, "pin.txt");
  /* a well-formed pin of some other key: 32 zero bytes */
  const char *other_pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

  CHECK (pin != NULL && g_str_has_prefix (pin, "sha256//"), "no pin from make-test-ca.sh");
  CHECK (click ("sync-banner-button"), "banner button");
  CHECK (wait_for (page_is, "settings", 2000), "the banner did not open Settings");
  CHECK (type_text (win_named ("settings-server-url"), server.url), "url");
  CHECK (type_text (win_named ("settings-enroll-code"), code), "code");

  /* the system's CAs do not know the test CA */
  CHECK (enrol (), "enrol");
  CHECK (enroll_error () != NULL, "a certificate from an unknown CA was trusted");
  CHECK (fa_app_get_enrollment_json (app) == NULL, "enrolled through an untrusted certificate");
  note ("untrusted: %s", enroll_error ());

  /* the CA, but a pin that is not one: refused before any connection */
  CHECK (type_text (win_named ("settings-enroll-code"), code), "code");
  CHECK (type_text (win_named ("settings-ca-file"), ca), "ca file");
  CHECK (type_text (win_named ("settings-pinned-key"), "sha256//not-a-pin"), "bad pin");
  CHECK (enrol (), "enrol");
  CHECK (g_strcmp0 (enroll_error (), _("The key pin must look like sha256//… followed by 44 base64 characters.")) == 0,
         "a malformed pin gave '%s'", enroll_error () ? enroll_error () : "no error");

  /* the CA and the pin of another key: the connection is refused */
  CHECK (type_text (win_named ("settings-pinned-key"), other_pin), "other pin");
  CHECK (enrol (), "enrol");
  CHECK (enroll_error () != NULL, "a server whose key does not match the pin was accepted");
  CHECK (fa_app_get_enrollment_json (app) == NULL, "enrolled through a wrong pin");
  note ("wrong pin: %s", enroll_error ());

  /* the CA and the right pin; the code was never spent, since no request reached the server */
  CHECK (type_text (win_named ("settings-enroll-code"), code), "code");
  CHECK (type_text (win_named ("settings-pinned-key"), pin), "pin");
  CHECK (enrol (), "enrol");
  CHECK (enroll_error () == NULL, "enrolling over HTTPS failed: %s", enroll_error ());
  CHECK (fa_app_get_enrollment_json (app) != NULL, "the store is not enrolled");
  CHECK (scroll_to (win_named ("settings-tls")), "scroll");
  CHECK (screenshot_now ("settings-https", 600), "screenshot");
  return TRUE;
}

/* What the officer typed is kept for every later sync and restart. */
static gboolean
settings_kept (const char *pin)
{
  g_autofree char *file = g_build_filename (config_dir, "settings.ini", NULL);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *ca = g_build_filename (tls_dir, "ca.pem", NULL);
  g_autofree char *kept_ca = NULL, *kept_pin = NULL;

  CHECK (g_key_file_load_from_file (kf, file, G_KEY_FILE_NONE, NULL), "settings.ini");
  kept_ca = g_key_file_get_string (kf, "server", "ca-file", NULL);
  kept_pin = g_key_file_get_string (kf, "server", "pinned-key", NULL);
  CHECK (g_strcmp0 (kept_ca, ca) == 0, "ca-file is '%s'", kept_ca);
  CHECK (g_strcmp0 (kept_pin, pin) == 0, "pinned-key is '%s'", kept_pin);
  return TRUE;
}

/* The code was made for a credential of 10 days: the banner warns, in time for a new code. */
static gboolean
expiry_warned (void)
{
  const char *text = fa_sync_banner_get_message (FA_SYNC_BANNER (win_named ("sync-banner")));
  g_autofree char *expect = g_strdup_printf (ngettext ("This device's credential expires in %d day. Ask the administrator for "
                                                       "a new code and enrol again in Settings before then.",
                                                       "This device's credential expires in %d days. Ask the administrator for "
                                                       "a new code and enrol again in Settings before then.", 10),
                                             10);

  CHECK (g_strcmp0 (text, expect) == 0, "the banner says '%s'", text ? text : "nothing");
  if (strcmp (fa_app_get_language (app), "id") == 0)
    CHECK (strstr (text, "kedaluwarsa dalam 10 hari") != NULL, "expiry warning in Indonesian: %s", text);
  note ("expiry: %s", text);
  return TRUE;
}

gboolean
scenario_https (void)
{
  g_autofree char *code = enrollment_code_valid_for (10);
  g_autofree char *pin = file_text (tls_dir, "pin.txt");
  ServerPoll poll = { record_uuid, NULL };

  CHECK (code != NULL, "no enrollment code");
  CHECK (g_str_has_prefix (server.url, "https://"), "the server is not on HTTPS: %s", server.url);
  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  if (!refused_then_enrolled (code) || !settings_kept (pin))
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (main_window ()), "win.show-records", NULL);
  CHECK (click ("sync-now-button"), "sync now");
  CHECK (wait_for (sync_done, NULL, 30000), "no sync over HTTPS (state %s: %s)",
         sync_state_name (fa_sync_controller_get_status (fa_app_get_sync (app))->state),
         fa_sync_controller_get_status (fa_app_get_sync (app))->message);
  CHECK (wait_for (server_has_record, &poll, 10000), "the record did not reach the server");
  g_free (poll.payload);
  return expiry_warned ();
}
