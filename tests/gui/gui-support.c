/* Shared helpers of the GUI tests: see gui-support.h. */
#include "gui-support.h"

#include <sys/prctl.h>

const char *mode;
FaApp *app;
gboolean failed;
char *tmpdir;
char *store_path;
char *config_dir;

/* ---- reporting ----------------------------------------------------------------------------- */


void
note (const char *fmt, ...)
{
  va_list ap;
  gint64 t = g_get_monotonic_time () / 1000;
  static gint64 t0;

  if (t0 == 0)
    t0 = t;
  va_start (ap, fmt);
  fprintf (stderr, "[%6.2fs] ", (double) (t - t0) / 1000.0);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

/* ---- driving the main loop ----------------------------------------------------------------- */

void
pump (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  do
    while (g_main_context_iteration (NULL, FALSE))
      ;
  while (g_get_monotonic_time () < end && (g_usleep (2000), TRUE));
}

gboolean
wait_for (Cond cond, gpointer data, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      pump (10);
    }
  return TRUE;
}

/* ---- finding widgets ----------------------------------------------------------------------- */

GtkWidget *
find_named (GtkWidget *root, const char *name)
{
  if (root == NULL)
    return NULL;
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_named (c, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

FaWindow *
main_window (void)
{
  GtkWindow *w = gtk_application_get_active_window (GTK_APPLICATION (app));
  GList *l = gtk_application_get_windows (GTK_APPLICATION (app));

  for (; l != NULL; l = l->next)
    if (FA_IS_WINDOW (l->data))
      return l->data;
  return w && FA_IS_WINDOW (w) ? FA_WINDOW (w) : NULL;
}

GtkWidget *
win_named (const char *name)
{
  return find_named (GTK_WIDGET (main_window ()), name);
}

/* The top-level dialog named `name` (AdwMessageDialog), once presented. */
AdwMessageDialog *
find_dialog (const char *name)
{
  g_autoptr (GListModel) tops = G_LIST_MODEL (g_object_ref (gtk_window_get_toplevels ()));

  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GtkWidget) w = g_list_model_get_item (tops, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && g_strcmp0 (gtk_widget_get_name (w), name) == 0
          && gtk_widget_get_visible (w))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

gboolean
dialog_shown (gpointer name)
{
  return find_dialog (name) != NULL;
}

/* A click, as far as GTK is concerned: "activate" runs the button's clicked/toggled path. */
/* What a mouse click does: a button emits "clicked" (gtk_widget_activate would first show the
 * button pressed for 250 ms, as for the keyboard); check buttons toggle on activation. */
void
press (GtkWidget *w)
{
  if (GTK_IS_BUTTON (w))
    g_signal_emit_by_name (w, "clicked");
  else
    gtk_widget_activate (w);
}

gboolean
click (const char *name)
{
  GtkWidget *w = win_named (name);

  CHECK (w != NULL, "no widget named %s", name);
  CHECK (gtk_widget_is_sensitive (w), "%s is not sensitive", name);
  press (w);
  pump (20);
  return TRUE;
}

gboolean
type_text (GtkWidget *editable, const char *text)
{
  CHECK (GTK_IS_EDITABLE (editable), "not an editable");
  gtk_widget_grab_focus (editable);
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
  pump (10);
  return TRUE;
}

/* ---- screenshots --------------------------------------------------------------------------- */

gboolean
screenshot_now (const char *what, guint settle_ms)
{
  GtkWidget *win = GTK_WIDGET (main_window ());
  g_autofree char *dir = g_build_filename (FA_BUILD_DIR, "app-gtk", "screenshots", NULL);
  g_autofree char *file = g_strdup_printf ("%s-%s.png", what, fa_app_get_language (app));
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderNode *node;
  int w, h;

  fa_window_dismiss_toasts (main_window ());
  pump (settle_ms);   /* let layout and rendering settle */
  w = gtk_widget_get_width (win);
  h = gtk_widget_get_height (win);
  if (w != 1024 || h != 600)
    {
      /* the frame's margin is outside the content: grow the surface by it, once */
      int dw, dh;
      gtk_window_get_default_size (GTK_WINDOW (win), &dw, &dh);
      note ("window content %dx%d with default size %dx%d: compensating", w, h, dw, dh);
      gtk_window_set_default_size (GTK_WINDOW (win), dw + 1024 - w, dh + 600 - h);
      pump (400);
      w = gtk_widget_get_width (win);
      h = gtk_widget_get_height (win);
    }
  CHECK (w == 1024 && h == 600, "the window is %dx%d, not 1024x600", w, h);
  paintable = gtk_widget_paintable_new (win);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  CHECK (node != NULL, "nothing rendered");
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (win)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);
  g_mkdir_with_parents (dir, 0755);
  CHECK (gdk_texture_save_to_png (texture, path), "cannot write %s", path);
  note ("screenshot %s", path);
  return TRUE;
}

gboolean
screenshot (const char *what)
{
  return screenshot_now (what, 150);
}

/* ---- running programs ---------------------------------------------------------------------- */

gboolean
run (char **out, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err,
                     &status, &error))
    {
      fprintf (stderr, "cannot run %s: %s\n", first, error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      if (out == NULL || g_strcmp0 (mode, "quiet") != 0)
        fprintf (stderr, "%s %s failed: %s\n", first, (char *) argv->pdata[1], err ? err : "");
      return FALSE;
    }
  return TRUE;
}


Server server;

/* The server goes when the test goes, even if the test crashes (Linux). */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A fresh server database with the reference form, served on `listen` (HOST:PORT); over HTTPS
 * with the srv.pem and srv.key of `tls_dir` unless that is NULL. */
static gboolean
serve_fresh (const char *listen, const char *tls_dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cert = tls_dir ? g_build_filename (tls_dir, "srv.pem", NULL) : NULL;
  g_autofree char *key = tls_dir ? g_build_filename (tls_dir, "srv.key", NULL) : NULL;
  const char *argv[] = { SYNCSERVER_PATH, "serve", "--db", NULL, "--listen", listen,
                         "--log-level", "warn", NULL, NULL, NULL, NULL, NULL };
  int out_fd = -1;
  g_autoptr (GIOChannel) ch = NULL;
  char *line = NULL;

  server.db = g_build_filename (tmpdir, "server.db", NULL);
  CHECK (run (NULL, SYNCSERVER_PATH, "init", "--db", server.db, NULL), "syncserver init");
  if (server.key == NULL)
    CHECK (run (NULL, SYNCSERVER_PATH, "form", "publish", "--db", server.db, FA_FORM_PATH, NULL),
           "syncserver form publish");
  else
    {
      /* sealed, exactly as the README says, with scripts/demo.sh's clear fields (consent among
       * them: the answers allowed without consent must stay readable) */
      g_autofree char *pub = g_strconcat (server.key, ".pub", NULL);
      if (!g_file_test (server.key, G_FILE_TEST_EXISTS))
        CHECK (run (NULL, SYNCSERVER_PATH, "keygen", "--out", server.key, NULL), "syncserver keygen");
      CHECK (run (NULL, SYNCSERVER_PATH, "form", "publish", "--db", server.db,
                  server.form ? server.form : FA_FORM_PATH, "--seal-to", pub, "--clear-fields", SEALED_CLEAR_FIELDS,
                  "--dedup-fields", "full_name,dob,sex", NULL),
             "syncserver form publish --seal-to");
    }

  argv[3] = server.db;
  if (tls_dir != NULL)
    {
      argv[8] = "--tls-cert";
      argv[9] = cert;
      argv[10] = "--tls-key";
      argv[11] = key;
    }
  CHECK (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
                                   NULL, &server.pid, NULL, &out_fd, NULL, &error),
         "cannot start syncserver: %s", error ? error->message : "");
  ch = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (ch, TRUE);
  /* "LISTENING 127.0.0.1:<port>" once ready */
  CHECK (g_io_channel_read_line (ch, &line, NULL, NULL, &error) == G_IO_STATUS_NORMAL,
         "syncserver printed nothing");
  g_strstrip (line);
  CHECK (g_str_has_prefix (line, "LISTENING "), "unexpected syncserver output: %s", line);
  server.url = g_strdup_printf ("%s://%s", tls_dir ? "https" : "http", line + strlen ("LISTENING "));
  g_free (line);
  note ("syncserver at %s", server.url);
  return TRUE;
}

gboolean
start_server (void)
{
  return serve_fresh ("127.0.0.1:0", NULL);
}

/* The server over HTTPS with a test CA made now (tests/support/make-test-ca.sh) in `dir`: ca.pem,
 * srv.pem, srv.key and pin.txt. */
gboolean
start_tls_server (const char *dir)
{
  g_mkdir_with_parents (dir, 0700);
  CHECK (run (NULL, "/bin/sh", FA_MAKE_TEST_CA, dir, NULL), "make-test-ca.sh (certtool from gnutls-bin)");
  return serve_fresh ("127.0.0.1:0", dir);
}

/* The secure setup (proto/SECURITY.md): the server on HTTPS with a test CA made now (the device
 * trusts the CA and pins the server's key), publishing `form_path` (NULL: the reference form)
 * sealed to a central key made now. */
gboolean
start_secure_server (const char *form_path)
{
  g_autofree char *pin_file = NULL;

  server.tls_dir = g_build_filename (tmpdir, "tls", NULL);
  server.key = g_build_filename (tmpdir, "central.key", NULL);
  server.form = g_strdup (form_path);
  g_mkdir_with_parents (server.tls_dir, 0700);
  CHECK (run (NULL, "/bin/sh", FA_MAKE_TEST_CA, server.tls_dir, NULL), "make-test-ca.sh (certtool from gnutls-bin)");
  server.ca_file = g_build_filename (server.tls_dir, "ca.pem", NULL);
  pin_file = g_build_filename (server.tls_dir, "pin.txt", NULL);
  CHECK (g_file_get_contents (pin_file, &server.pin, NULL, NULL), "no pin.txt");
  g_strstrip (server.pin);
  return serve_fresh ("127.0.0.1:0", server.tls_dir);
}

/* The reference form as central published it in a scenario: the choice `drop` taken out of the
 * list `list` (same form id and version). Its path (caller frees), or NULL. */
char *
sealed_variant_form (const char *list, const char *drop)
{
  g_autofree char *text = NULL;
  char *path = g_build_filename (tmpdir, "central-form.json", NULL);
  cJSON *form, *choices, *item;
  char *out;
  int i = 0;

  if (!g_file_get_contents (FA_FORM_PATH, &text, NULL, NULL) || (form = cJSON_Parse (text)) == NULL)
    {
      g_free (path);
      return NULL;
    }
  choices = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (form, "choice_lists"), list);
  cJSON_ArrayForEach (item, choices)
    {
      if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (item, "name")), drop) == 0)
        break;
      i++;
    }
  cJSON_DeleteItemFromArray (choices, i);
  out = cJSON_Print (form);
  if (!g_file_set_contents (path, out, -1, NULL))
    g_clear_pointer (&path, g_free);
  cJSON_free (out);
  cJSON_Delete (form);
  return path;
}

/* What central staff export for `uuid` with their private key (`syncserver export --format
 * jsonl --private-key`: choice names, yes/no as true/false): the record's object, or NULL. */
cJSON *
central_export (const char *uuid)
{
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  cJSON *found = NULL;

  if (!run (&out, SYNCSERVER_PATH, "export", "--db", server.db, "--by", "Siti Rahma", "--format", "jsonl",
            "--private-key", server.key, NULL))
    return NULL;
  lines = g_strsplit (out, "\n", -1);
  for (char **l = lines; *l != NULL && found == NULL; l++)
    {
      cJSON *row = cJSON_Parse (*l);
      if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (row, "uuid")), uuid) == 0)
        found = g_steal_pointer (&row);
      cJSON_Delete (row);
    }
  return found;
}

/* The central server replaced by one that never heard of this device, at the same address (the
 * device keeps the enrolled URL), set up as the old one was (HTTPS, sealed). */
gboolean
replace_server (void)
{
  g_autofree char *listen = g_strdup (strstr (server.url, "://") + 3);
  g_autofree char *dir = g_build_filename (tmpdir, "old-server", NULL);
  g_autofree char *moved = g_build_filename (dir, "server.db", NULL);

  stop_server ();
  g_mkdir_with_parents (dir, 0700);
  CHECK (g_rename (server.db, moved) == 0, "cannot move the old server database");
  g_clear_pointer (&server.db, g_free);
  g_clear_pointer (&server.url, g_free);
  return serve_fresh (listen, server.tls_dir);
}

/* A one-time enrollment code from central staff (`syncserver enroll create`), or NULL. */
char *
enrollment_code (void)
{
  return enrollment_code_valid_for (365);
}

/* The same for a credential valid for `days` days. */
char *
enrollment_code_valid_for (int days)
{
  g_autofree char *out = NULL;
  g_autofree char *valid = g_strdup_printf ("%d", days);
  g_autoptr (GRegex) re = g_regex_new ("\\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\\b", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  if (!run (&out, SYNCSERVER_PATH, "enroll", "create", "--db", server.db, "--name", "Laptop Polres 01",
            "--unit", "Polres Metro Jakarta Utara", "--valid-days", valid, NULL))
    return NULL;
  if (!g_regex_match (re, out, 0, &match))
    {
      fprintf (stderr, "enroll create printed no code: %s\n", out);
      return NULL;
    }
  return g_match_info_fetch (match, 0);
}

void
stop_server (void)
{
  if (server.pid > 0)
    {
      kill (server.pid, SIGTERM);
      waitpid (server.pid, NULL, 0);
      g_spawn_close_pid (server.pid);
      server.pid = 0;
    }
}

/* ---- store helpers (a second handle, like any other process) ------------------------------- */

sync_store_t *
open_test_store (gboolean read_only)
{
  sync_store_t *s = NULL;
  sync_store_opts_t opts;
  sync_err_t err;

  sync_store_opts_init (&opts);
  opts.create = !read_only;
  opts.read_only = read_only;
  opts.passphrase = TEST_PASSPHRASE;
  opts.kdf = SYNC_KDF_TEST;
  err = sync_store_open (store_path, &opts, &s);
  if (err != SYNC_OK)
    fprintf (stderr, "cannot open %s: %s\n", store_path, sync_strerror (err));
  return s;
}

/* The device's store before the app first runs, with the reference form. */
gboolean
create_test_store (void)
{
  g_autofree char *form = NULL;
  gsize len = 0;
  sync_store_t *s;
  sync_err_t err;

  CHECK (g_file_get_contents (FA_FORM_PATH, &form, &len, NULL), "cannot read %s", FA_FORM_PATH);
  s = open_test_store (FALSE);
  CHECK (s != NULL, "cannot create the store");
  err = sync_form_add (s, form, len, NULL, NULL);
  sync_store_close (s);
  CHECK (err == SYNC_OK, "form add: %s", sync_strerror (err));
  return TRUE;
}

/* The device's store before the app first runs, without any form: the app adds its bundled
 * form when it is unlocked. */
gboolean
create_empty_store (void)
{
  sync_store_t *s = open_test_store (FALSE);

  CHECK (s != NULL, "cannot create the store");
  sync_store_close (s);
  return TRUE;
}

/* create_test_store() with one finalized interview waiting to be sent; its uuid (caller frees)
 * or NULL. */
char *
create_store_with_final_record (void)
{
  g_autofree char *example = NULL;
  char uuid[SYNC_UUID_STRLEN + 1];
  sync_store_t *s;
  sync_err_t err;

  CHECK (g_file_get_contents (FA_EXAMPLES_DIR "/valid_no_indication.json", &example, NULL, NULL), "example");
  if (!create_test_store ())
    return NULL;
  s = open_test_store (FALSE);
  CHECK (s != NULL, "store");
  err = sync_record_create (s, "tppo_screening", 0, example, SYNC_STATUS_FINAL, uuid);
  sync_store_close (s);
  CHECK (err == SYNC_OK, "record: %s", sync_strerror (err));
  return g_strdup (uuid);
}

/* Enrolls the store with a fresh code, as syncctl or another embedder would. */
gboolean
enroll_test_store (void)
{
  g_autofree char *code = enrollment_code ();
  sync_enroll_config_t config;
  sync_store_t *s;
  char errbuf[256] = "";
  sync_err_t err;

  CHECK (code != NULL, "no enrollment code");
  s = open_test_store (FALSE);
  CHECK (s != NULL, "cannot open the store");
  sync_enroll_config_init (&config);
  config.server_url = server.url;
  config.code = code;
  config.ca_file = server.ca_file;
  config.pinned_pubkey = server.pin;
  config.allow_plain_http_loopback = 1;
  err = sync_enroll (s, &config, errbuf, sizeof errbuf);
  sync_store_close (s);
  CHECK (err == SYNC_OK, "enroll: %s %s", sync_strerror (err), errbuf);
  return TRUE;
}

/* One complete sync of the store outside the app. */
gboolean
sync_test_store (void)
{
  sync_engine_config_t config;
  sync_engine_t *engine = NULL;
  char errbuf[256] = "";
  sync_err_t err;

  sync_engine_config_init (&config);
  config.store_path = store_path;
  config.store_passphrase = TEST_PASSPHRASE;
  config.ca_file = server.ca_file;
  config.pinned_pubkey = server.pin;
  config.allow_plain_http_loopback = 1;
  err = sync_engine_new (&config, &engine, errbuf, sizeof errbuf);
  CHECK (err == SYNC_OK, "engine: %s %s", sync_strerror (err), errbuf);
  err = sync_engine_run_once (engine);
  sync_engine_free (engine);
  CHECK (err == SYNC_OK, "sync: %s", sync_strerror (err));
  return TRUE;
}

char *
store_device_id (void)
{
  sync_store_t *s = open_test_store (TRUE);
  char *id;

  if (s == NULL)
    return NULL;
  id = g_strdup (sync_store_device_id (s));
  sync_store_close (s);
  return id;
}

cJSON *
store_payload (const char *uuid, sync_record_status_t *status)
{
  sync_store_t *s = open_test_store (TRUE);
  sync_record_t *rec = NULL;
  cJSON *payload = NULL;

  if (s == NULL)
    return NULL;
  if (sync_record_get (s, uuid, &rec) == SYNC_OK)
    {
      payload = cJSON_Parse (sync_record_payload (rec));
      if (status)
        *status = sync_record_status (rec);
      sync_record_free (rec);
    }
  sync_store_close (s);
  return payload;
}

/* The store file and its companions are all gone. */
gboolean
store_files_gone (void)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (store_path, suffixes[i], NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          note ("%s still exists", path);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- unlocking ----------------------------------------------------------------------------- */

static gboolean
unlock_settled (gpointer data)
{
  GtkWidget *button = win_named ("unlock-button");
  return !page_is ("unlock") || (button != NULL && gtk_widget_get_sensitive (button)
                                 && gtk_widget_get_sensitive (win_named ("unlock-create")));
}

/* The unlock page said the passphrase was wrong (its error is showing and the page stayed). */
gboolean
unlock_failed (gpointer data)
{
  GtkWidget *error = win_named ("unlock-error");
  return page_is ("unlock") && gtk_widget_get_visible (error)
         && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (error)), _("Wrong passphrase"));
}

static gboolean
left_unlock_page (gpointer data)
{
  return !page_is ("unlock");
}

/* Opens the app the way the officer does: creates the passphrase when the store is new, else
 * types it. */
gboolean
unlock_app (const char *passphrase)
{
  GtkWidget *create = win_named ("unlock-new");

  CHECK (wait_for (page_is, "unlock", 3000), "the app did not start on the unlock page");
  CHECK (wait_for (unlock_settled, NULL, 10000), "the unlock page stays busy");
  if (gtk_widget_get_mapped (create))
    {
      CHECK (type_text (create, passphrase), "new passphrase");
      CHECK (type_text (win_named ("unlock-repeat"), passphrase), "repeat");
      CHECK (click ("unlock-create"), "create");
    }
  else
    {
      CHECK (type_text (win_named ("unlock-passphrase"), passphrase), "passphrase");
      CHECK (click ("unlock-button"), "open");
    }
  CHECK (wait_for (left_unlock_page, NULL, 10000), "the store did not open: %s",
         gtk_label_get_text (GTK_LABEL (win_named ("unlock-error"))));
  CHECK (fa_app_is_unlocked (app), "left the unlock page but the store is not open");
  return TRUE;
}

/* On the settings page: the test CA and the server's pin, as the officer types them for a server
 * whose certificate the system does not trust. */
gboolean
type_tls_settings (void)
{
  CHECK (server.ca_file != NULL, "the server is not on HTTPS");
  CHECK (type_text (win_named ("settings-ca-file"), server.ca_file), "ca file");
  CHECK (type_text (win_named ("settings-pinned-key"), server.pin), "pin");
  return TRUE;
}

/* On the settings page: the server's URL, a fresh one-time code, the CA file and the pin typed in,
 * Enrol pressed; TRUE once the records page opens. */
gboolean
enrol_on_settings_page (void)
{
  g_autofree char *code = enrollment_code ();

  CHECK (code != NULL, "no enrollment code");
  CHECK (type_text (win_named ("settings-server-url"), server.url), "url");
  CHECK (type_text (win_named ("settings-enroll-code"), code), "code");
  CHECK (type_tls_settings (), "ca and pin");
  CHECK (click ("settings-enroll"), "enrol");
  CHECK (wait_for (page_is, "records", 15000), "the records page did not open after enrolling: %s",
         gtk_label_get_text (GTK_LABEL (win_named ("settings-enroll-error"))));
  return TRUE;
}

/* ---- filling in fields like an officer ---------------------------------------------------- */

FaFormPage *
form_page (void)
{
  return fa_window_get_form_page (main_window ());
}

gboolean
fill_field (const char *name, const cJSON *value)
{
  GtkWidget *w = fa_form_page_get_field_widget (form_page (), name);
  const FaField *f;

  CHECK (w != NULL, "no widget for field %s", name);
  f = fa_field_base_get_field (FA_FIELD_BASE (w));
  CHECK (gtk_widget_get_visible (w) && gtk_widget_get_mapped (w),
         "field %s is not shown on its page (skip logic or navigation wrong)", name);

  switch (f->type)
    {
    case FA_KIND_TEXT:
    case FA_KIND_DATE:
    case FA_KIND_INTEGER:
    case FA_KIND_DECIMAL:
      {
        GtkWidget *input = find_named (w, "input");
        g_autofree char *text = NULL;

        if (cJSON_IsString (value))
          text = g_strdup (value->valuestring);
        else
          text = g_strdup_printf ("%g", value->valuedouble);
        CHECK (input != NULL, "field %s has no input", name);
        if (GTK_IS_TEXT_VIEW (input))
          {
            gtk_widget_grab_focus (input);
            gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (input)), text, -1);
          }
        else if (!type_text (input, text))
          return FALSE;
        break;
      }
    case FA_KIND_SELECT_ONE:
      {
        g_autofree char *choice = g_strdup_printf ("choice-%s", value->valuestring);
        GtkWidget *button = find_named (w, choice);
        GtkWidget *dropdown = find_named (w, "input");

        if (button != NULL)
          gtk_widget_activate (button);
        else
          {
            guint pos = 0;
            CHECK (GTK_IS_DROP_DOWN (dropdown), "field %s: no choice %s", name, value->valuestring);
            for (guint i = 0; i < f->list->choices->len; i++)
              if (strcmp (((FaChoice *) g_ptr_array_index (f->list->choices, i))->name, value->valuestring) == 0)
                pos = i + 1;
            CHECK (pos > 0, "field %s: %s is not in its list", name, value->valuestring);
            gtk_widget_grab_focus (dropdown);
            gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), pos);
          }
        break;
      }
    case FA_KIND_SELECT_MULTIPLE:
      {
        const cJSON *item;
        cJSON_ArrayForEach (item, value)
          {
            g_autofree char *choice = g_strdup_printf ("choice-%s", item->valuestring);
            GtkWidget *button = find_named (w, choice);
            CHECK (button != NULL, "field %s: no check button %s", name, choice);
            gtk_widget_activate (button);
          }
        break;
      }
    case FA_KIND_YES_NO:
      {
        GtkWidget *button = find_named (w, cJSON_IsTrue (value) ? "yes" : "no");
        CHECK (button != NULL, "field %s: no yes/no buttons", name);
        press (button);
        break;
      }
    default:
      CHECK (FALSE, "field %s cannot be answered", name);
    }
  pump (5);
  return TRUE;
}

/* Answers the questions of part `s` that `answers` holds (except `skipped`), as an officer
 * would, once the part is shown. */
gboolean
fill_section (const FaForm *form, guint s, const cJSON *answers, const char **skipped)
{
  const FaSection *sec = g_ptr_array_index (form->sections, s);

  CHECK (wait_for (current_section_is, sec->name, 3000), "part %s is not shown", sec->name);
  for (guint i = 0; i < sec->fields->len; i++)
    {
      const FaField *f = g_ptr_array_index (sec->fields, i);
      const cJSON *v = cJSON_GetObjectItemCaseSensitive (answers, f->name);
      gboolean skip = FALSE;

      for (const char **k = skipped; *k; k++)
        skip |= strcmp (*k, f->name) == 0;
      if (v == NULL || !fa_field_is_answerable (f) || skip)
        continue;
      if (!fill_field (f->name, v))
        return FALSE;
      settle_fast ();
    }
  return TRUE;
}

/* Lets the debounced evaluation run (the live path: timer, sync_form_evaluate, relevance). */
void
settle (void)
{
  pump (260);
}

/* The same result without waiting for the debounce timer, for the long stretches of answers. */
void
settle_fast (void)
{
  fa_form_page_evaluate_now (form_page ());
  pump (5);
}

gboolean
field_error_is (const char *name, gboolean expect_error)
{
  GtkWidget *w = fa_form_page_get_field_widget (form_page (), name);
  const char *err = fa_field_base_get_error (FA_FIELD_BASE (w));
  return expect_error ? (err != NULL && *err != '\0') : err == NULL;
}

gboolean
current_section_is (gpointer name)
{
  GtkWidget *title = win_named ("section-title");
  const FaForm *form = fa_app_get_form (app, "tppo_screening", 0, NULL);

  for (guint s = 0; s < form->sections->len; s++)
    {
      const FaSection *sec = g_ptr_array_index (form->sections, s);
      if (strcmp (sec->name, name) == 0)
        return g_strcmp0 (gtk_label_get_text (GTK_LABEL (title)), sec->label) == 0
               && !fa_form_page_is_reviewing (form_page ());
    }
  return FALSE;
}

/* ---- sync helpers -------------------------------------------------------------------------- */

gint64 max_gap_us;      /* longest gap between two responsiveness ticks */
gint64 last_tick_us;

gboolean
responsiveness_tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  if (last_tick_us != 0 && now - last_tick_us > max_gap_us)
    max_gap_us = now - last_tick_us;
  last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

/* Pushing, with some records acknowledged already (so the bar shows a real fraction). */
gboolean
sync_moving (gpointer data)
{
  const sync_status_t *st = fa_sync_controller_get_status (fa_app_get_sync (app));
  return st->state == SYNC_STATE_PUSHING && st->progress.records_done > 0;
}

gboolean
sync_done (gpointer data)
{
  const sync_status_t *st = fa_sync_controller_get_status (fa_app_get_sync (app));
  return !fa_sync_controller_is_busy (fa_app_get_sync (app)) && st->pending == 0
         && st->state == SYNC_STATE_IDLE && st->last_success_ms > 0;
}

gboolean
records_loaded (gpointer data)
{
  return !fa_records_page_is_loading (fa_window_get_records_page (main_window ()));
}

gboolean
page_is (gpointer name)
{
  return g_strcmp0 (fa_window_get_page (main_window ()), name) == 0;
}


gboolean
server_has_record (gpointer data)
{
  ServerPoll *p = data;
  static gint64 next;
  gint64 now = g_get_monotonic_time ();

  if (now < next)
    return FALSE;
  next = now + 300 * 1000;
  g_clear_pointer (&p->payload, g_free);
  mode = "quiet";
  if (!run (&p->payload, SYNCSERVER_PATH, "record", "get", "--db", server.db, p->uuid, NULL))
    g_clear_pointer (&p->payload, g_free);
  return p->payload != NULL && *p->payload != '\0';
}

/* The record `p->uuid` is in central's export with its answers opened (p->payload: its JSON). */
gboolean
central_has_record (gpointer data)
{
  ServerPoll *p = data;
  static gint64 next;
  gint64 now = g_get_monotonic_time ();
  cJSON *row;

  if (now < next)
    return FALSE;
  next = now + 300 * 1000;
  g_clear_pointer (&p->payload, g_free);
  mode = "quiet";
  row = central_export (p->uuid);
  if (row != NULL && !cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (row, "sealed")))
    p->payload = cJSON_PrintUnformatted (row);
  cJSON_Delete (row);
  return p->payload != NULL;
}

/* Equal answers; select_multiple answers are sets (the app lists them in the form's order). */
gboolean
same_answer (const cJSON *want, const cJSON *got)
{
  const cJSON *item;

  if (!cJSON_IsArray (want) || !cJSON_IsArray (got))
    return cJSON_Compare (want, got, TRUE);
  if (cJSON_GetArraySize (want) != cJSON_GetArraySize (got))
    return FALSE;
  cJSON_ArrayForEach (item, want)
    {
      gboolean found = FALSE;
      const cJSON *other;
      cJSON_ArrayForEach (other, got)
        found |= cJSON_Compare (item, other, TRUE);
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* Settings of an officer who set the app up before; with `legacy_secret` as an older version
 * wrote them (the device id and secret in clear), which the app must delete. */
gboolean
write_settings (gboolean legacy_secret)
{
  g_autofree char *file = g_build_filename (config_dir, "settings.ini", NULL);
  g_autofree char *tls = server.ca_file ? g_strdup_printf ("ca-file=%s\npinned-key=%s\n", server.ca_file, server.pin)
                                         : g_strdup ("");
  g_autofree char *text = g_strdup_printf (
    "[server]\nurl=%s\n%s%s"
    "[officer]\nname=Aipda Rahmat\nunit=UPTD PPA Kabupaten Kolaka\n%s",
    server.url ? server.url : "http://127.0.0.1:9", tls,
    legacy_secret ? "device-id=00000000-0000-4000-8000-000000000000\n"
                    "device-secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n" : "",
    legacy_secret ? "" : "[state]\nsetup-done=true\n");

  g_mkdir_with_parents (config_dir, 0700);
  CHECK (g_file_set_contents (file, text, -1, NULL), "cannot write %s", file);
  return TRUE;
}
