/* Shared helpers of the GUI tests (test_app_gui.c): driving the main loop, finding and operating
 * widgets, screenshots, the real server as a child process and its enrollment codes, the store
 * through a second handle (with the test passphrase), unlocking the app. Each scenario lives in
 * scenario-<name>.c. */
#pragma once

#include <adwaita.h>
#include <cjson/cJSON.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sync/sync.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "field-base.h"
#include "form-page.h"
#include "i18n.h"
#include "receipt-page.h"
#include "records-page.h"
#include "settings-page.h"
#include "sync-banner.h"
#include "unlock-page.h"
#include "window.h"

#define SEED_RECORDS_DEFAULT 10000
/* The clear part of the sealed reference form: scripts/demo.sh's list (consent included). */
#define SEALED_CLEAR_FIELDS \
  "interview_date,province,regency_code,unit_type,consent,is_child,result_category,sector,destination_country"
/* The officer's passphrase in every test store (created with SYNC_KDF_TEST: LIBSYNC_APP_KDF=test). */
#define TEST_PASSPHRASE "sandi-lapangan-2026"

/* Logs the failed condition and returns FALSE from the calling step. */
#define CHECK(cond, ...)                                                                         \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      {                                                                                          \
        fprintf (stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                         \
        fprintf (stderr, __VA_ARGS__);                                                           \
        fputc ('\n', stderr);                                                                    \
        failed = TRUE;                                                                           \
        return FALSE;                                                                            \
      }                                                                                          \
  } while (0)

typedef struct {
  GPid pid;
  char *db;
  char *url;
  char *tls_dir;    /* HTTPS: ca.pem, srv.pem, srv.key, pin.txt (make-test-ca.sh); NULL: plain */
  char *ca_file;    /* HTTPS: the test CA the device trusts */
  char *pin;        /* HTTPS: the server key's pin, sha256//... */
  char *form;       /* the form file published (NULL: the reference form) */
  char *key;        /* sealed: central's private key file (its .pub sealed the form); NULL: plain */
} Server;

typedef struct {
  const char *uuid;
  char *payload;
} ServerPoll;

extern const char *mode;      /* e2e, fields, conflict, kill-child, kill-verify, unlock, revoked
                               * ("quiet" while polling) */
extern FaApp *app;
extern gboolean failed;
extern char *tmpdir;
extern char *store_path;
extern char *config_dir;
extern Server server;
extern gint64 max_gap_us;
extern gint64 last_tick_us;

typedef gboolean (*Cond) (gpointer data);

void note (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
void pump (guint ms);
gboolean wait_for (Cond cond, gpointer data, guint timeout_ms);
GtkWidget *find_named (GtkWidget *root, const char *name);
FaWindow *main_window (void);
GtkWidget *win_named (const char *name);
AdwMessageDialog *find_dialog (const char *name);
gboolean dialog_shown (gpointer name);
void press (GtkWidget *w);
gboolean click (const char *name);
gboolean type_text (GtkWidget *editable, const char *text);
gboolean screenshot_now (const char *what, guint settle_ms);
gboolean screenshot (const char *what);
gboolean run (char **out, const char *first, ...) G_GNUC_NULL_TERMINATED;
gboolean start_server (void);
gboolean start_tls_server (const char *dir);
gboolean start_secure_server (const char *form_path);
char *sealed_variant_form (const char *list, const char *drop);
cJSON *central_export (const char *uuid);
gboolean create_empty_store (void);
gboolean type_tls_settings (void);
gboolean enrol_on_settings_page (void);
gboolean fill_section (const FaForm *form, guint s, const cJSON *answers, const char **skipped);
gboolean replace_server (void);
void stop_server (void);
char *enrollment_code (void);
char *enrollment_code_valid_for (int days);
sync_store_t *open_test_store (gboolean read_only);
gboolean create_test_store (void);
char *create_store_with_final_record (void);
gboolean enroll_test_store (void);
gboolean sync_test_store (void);
char *store_device_id (void);
cJSON *store_payload (const char *uuid, sync_record_status_t *status);
gboolean unlock_app (const char *passphrase);
gboolean unlock_failed (gpointer data);
gboolean store_files_gone (void);
FaFormPage *form_page (void);
gboolean fill_field (const char *name, const cJSON *value);
void settle (void);
void settle_fast (void);
gboolean field_error_is (const char *name, gboolean expect_error);
gboolean current_section_is (gpointer name);
gboolean responsiveness_tick (gpointer data);
gboolean sync_moving (gpointer data);
gboolean sync_done (gpointer data);
gboolean records_loaded (gpointer data);
gboolean page_is (gpointer name);
gboolean server_has_record (gpointer data);
gboolean central_has_record (gpointer data);
gboolean same_answer (const cJSON *want, const cJSON *got);
gboolean write_settings (gboolean legacy_secret);

/* scenarios */
gboolean prepare_e2e (void);
gboolean scenario_e2e (void);
gboolean scenario_fields (void);
gboolean prepare_conflict (void);
gboolean scenario_conflict (void);
gboolean scenario_kill_child (void);
gboolean scenario_kill_verify (void);
int run_kill_parent (const char *self_exe);
gboolean prepare_unlock (void);
gboolean scenario_unlock (void);
gboolean prepare_revoked (void);
gboolean scenario_revoked (void);
gboolean prepare_https (void);
gboolean scenario_https (void);
gboolean prepare_sealed (void);
gboolean scenario_sealed (void);
gboolean prepare_refused (void);
gboolean scenario_refused (void);
