/* GUI tests of the field app (app-gtk), run under Xvfb by ctest (tests/gui/run-gui-test.sh).
 *
 * The test drives the REAL app in-process: it links app_core, runs FaApp with g_application_run
 * and, from an idle callback, operates the widgets the way an officer does (typing into entries,
 * toggling radio and check buttons, choosing drop-down items, pressing buttons), iterating the
 * main loop between steps so skip logic, validation, autosave and sync all run as they do live.
 *
 *   Every run unlocks the app with the test passphrase first (stores are made with libsync's
 *   test-only key derivation cost: LIBSYNC_APP_KDF=test).
 *
 *   test_app_gui e2e     starts the real syncserver on 127.0.0.1:0 with a fresh database, enrols
 *                        the device through the first-run settings page with a one-time code
 *                        (`syncserver enroll create`), seeds the device's store with 10,000
 *                        finalized sample records, watches the window stay responsive
 *                        while they sync, fills in the reference form from
 *                        proto/forms/examples/valid_adult_fishing.json section by section,
 *                        shows a constraint error, reviews, finalizes with confirmation, presses
 *                        Sync now and checks that the server stored the record byte for byte as
 *                        the device did. Writes screenshots (records list, constraint error,
 *                        sync in progress) in the UI language to <build>/app-gtk/screenshots/.
 *   test_app_gui fields  every field type on a small form: typed values, inline type and
 *                        constraint errors, skip logic of fields and parts, calculated values,
 *                        the autosaved payload and reopening the draft.
 *   test_app_gui conflict  a record changed both centrally and on the device comes back as a
 *                        conflict: listed under Conflicts, found by id, reviewed side by side;
 *                        the officer takes the central value, and Sync now brings it to the server.
 *   test_app_gui kill    runs "kill-child" as a child process, which fills in part of a record
 *                        and waits after the autosave; SIGKILLs it; starts the app again and
 *                        checks that it offers the draft and shows every answer.
 *   test_app_gui unlock  the store's passphrase: nothing but the unlock page before it, a wrong
 *                        one refused (and a growing pause after repeated failures), the right
 *                        one opens; an old device secret deleted from settings.ini; a sealed
 *                        record shown as such; changing the passphrase; lock; retention; the
 *                        emergency wipe (typed confirmation) removes the store files and the app
 *                        asks for a new passphrase.
 *   test_app_gui revoked enrolment through the settings page, Sync now, the signed receipt of a
 *                        delivered record verified ("Valid signature"), retention purging it,
 *                        then `syncserver device revoke` and the revoked banner after Sync now.
 *   test_app_gui https   enrolment over HTTPS from Settings: a certificate from an unknown CA
 *                        refused, then a malformed and a wrong key pin; the test CA and the right
 *                        pin enrol, are kept in settings.ini, and a record syncs over HTTPS.
 *   test_app_gui sealed  the secure setup from scratch: the app with its bundled form enrols with
 *                        a server that published tppo_screening v1 sealed (README's command) over
 *                        HTTPS; an interview finalized and synced; central's export with the
 *                        private key holds every answer.
 *   test_app_gui refused a record refused by the server shown with its reason in plain words
 *                        (list, tabs, status bar, record page), Send again, Correct, delivered.
 *
 *   e2e, kill, revoked, sealed and refused run against the secure setup: the server on HTTPS with
 *   a CA made at test time, the form published sealed to a central key made at test time (with
 *   scripts/demo.sh's clear fields), the app started with only its bundled form.
 *
 * Exit status: 0 pass, 1 fail, 77 skip (only when a required program is missing).
 */
#include "gui-support.h"

/* ---- main ---------------------------------------------------------------------------------- */

static gboolean
run_scenario (gpointer data)
{
  gboolean ok;

  if (strcmp (mode, "e2e") == 0)
    ok = scenario_e2e ();
  else if (strcmp (mode, "kill-child") == 0)
    ok = scenario_kill_child ();
  else if (strcmp (mode, "fields") == 0)
    ok = scenario_fields ();
  else if (strcmp (mode, "conflict") == 0)
    ok = scenario_conflict ();
  else if (strcmp (mode, "unlock") == 0)
    ok = scenario_unlock ();
  else if (strcmp (mode, "revoked") == 0)
    ok = scenario_revoked ();
  else if (strcmp (mode, "https") == 0)
    ok = scenario_https ();
  else if (strcmp (mode, "sealed") == 0)
    ok = scenario_sealed ();
  else if (strcmp (mode, "refused") == 0)
    ok = scenario_refused ();
  else
    ok = scenario_kill_verify ();
  if (!ok)
    failed = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

/* A maximized window on a 1024x600 screen: no window manager runs under Xvfb, so instead of
 * maximizing, the test makes the window larger by its client-side frame (the margin GTK keeps
 * around the content for the border); the window's content is then exactly 1024x600. */
static void
on_window_added (GtkApplication *application, GtkWindow *window)
{
  if (FA_IS_WINDOW (window))
    {
      const char *env = g_getenv ("FA_GUI_FRAME");   /* the frame's width on each side */
      int frame = env ? atoi (env) : 5;
      gtk_window_set_default_size (window, 1024 + 2 * frame, 600 + 2 * frame);
      note ("window added: default size %dx%d", 1024 + 2 * frame, 600 + 2 * frame);
    }
}

static void
on_activate (GApplication *application)
{
  g_timeout_add (300, run_scenario, NULL);
}

static gboolean
have_program (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_EXECUTABLE);
}

int
main (int argc, char **argv)
{
  const char *run_mode = argc > 1 ? argv[1] : "e2e";
  int status;
  gboolean keep;

  const char *const modes[] = { "e2e", "kill", "kill-child", "fields", "conflict", "unlock", "revoked", "https",
                                "sealed", "refused", NULL };
  const char *const with_server[] = { "e2e", "kill", "conflict", "revoked", "https", "sealed", "refused", NULL };

  if (!g_strv_contains (modes, run_mode))
    {
      fprintf (stderr, "usage: %s e2e|kill|fields|conflict|unlock|revoked|https|sealed|refused\n", argv[0]);
      return 2;
    }
  if (g_strv_contains (with_server, run_mode) && !have_program (SYNCSERVER_PATH))
    {
      printf ("SKIP: needs the central server (SYNC_BUILD_SERVER=ON)\n");
      return 77;
    }
  mode = run_mode;
  g_setenv ("LIBSYNC_APP_KDF", "test", TRUE);   /* fast key derivation: test stores only */
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);  /* deterministic pictures on Xvfb */
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);

  if (strcmp (run_mode, "kill-child") == 0)
    tmpdir = g_strdup (g_getenv ("FA_GUI_TMP"));
  else
    {
      tmpdir = g_dir_make_tmp ("libsync-gui-XXXXXX", NULL);
      g_setenv ("FA_GUI_TMP", tmpdir, TRUE);
    }
  config_dir = g_build_filename (tmpdir, "config", NULL);
  store_path = g_build_filename (tmpdir, "store.db", NULL);
  g_setenv ("LIBSYNC_APP_CONFIG_DIR", config_dir, TRUE);
  g_setenv ("LIBSYNC_APP_STORE", store_path, TRUE);
  g_setenv ("XDG_CONFIG_HOME", tmpdir, TRUE);
  g_setenv ("XDG_DATA_HOME", tmpdir, TRUE);

  if (strcmp (run_mode, "fields") == 0 && !write_settings (TRUE))
    return 1;
  if (strcmp (run_mode, "kill") == 0)
    {
      int rc = run_kill_parent (argv[0]);
      if (rc >= 0)
        return rc;
      mode = "kill-verify";
    }
  else if ((strcmp (run_mode, "e2e") == 0 && !prepare_e2e ())
           || (strcmp (run_mode, "conflict") == 0 && !prepare_conflict ())
           || (strcmp (run_mode, "unlock") == 0 && !prepare_unlock ())
           || (strcmp (run_mode, "revoked") == 0 && !prepare_revoked ())
           || (strcmp (run_mode, "https") == 0 && !prepare_https ())
           || (strcmp (run_mode, "sealed") == 0 && !prepare_sealed ())
           || (strcmp (run_mode, "refused") == 0 && !prepare_refused ()))
    {
      stop_server ();
      return 1;
    }

  fa_i18n_init ();
  app = fa_app_new ();
  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate), NULL);
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);
  {
    char *app_argv[] = { argv[0], NULL };
    status = g_application_run (G_APPLICATION (app), 1, app_argv);
  }
  g_clear_object (&app);
  stop_server ();

  keep = failed && g_getenv ("FA_GUI_KEEP") != NULL;
  if (!keep && strcmp (run_mode, "kill-child") != 0)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);
      if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", tmpdir);
    }
  else if (keep)
    fprintf (stderr, "kept %s\n", tmpdir);
  if (failed || status != 0)
    {
      printf ("%s: 0 passed, 1 failed\n", run_mode);
      return 1;
    }
  printf ("%s: 1 passed, 0 failed\n", run_mode);
  return 0;
}
