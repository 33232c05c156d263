/* Shared helpers of the GUI tests (test_app_gui.c): driving the main loop, finding and operating
 * widgets, screenshots, the real server and syncctl as child processes, read-only store access.
 * Each scenario lives in scenario-<name>.c. */
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
#include "records-page.h"
#include "window.h"

#define SEED_RECORDS_DEFAULT 10000

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
  char *device_id;
  char *secret;
} Server;

typedef struct {
  const char *uuid;
  char *payload;
} ServerPoll;

extern const char *mode;      /* e2e, fields, conflict, kill-child, kill-verify ("quiet" while polling) */
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
char *line_value (const char *text, const char *key);
gboolean start_server (const char *device_id);
void stop_server (void);
char *store_device_id (void);
cJSON *store_payload (const char *uuid, sync_record_status_t *status);
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
gboolean same_answer (const cJSON *want, const cJSON *got);
gboolean write_settings (void);

/* scenarios */
gboolean prepare_e2e (void);
gboolean scenario_e2e (void);
gboolean scenario_fields (void);
gboolean prepare_conflict (void);
gboolean scenario_conflict (void);
gboolean scenario_kill_child (void);
gboolean scenario_kill_verify (void);
int run_kill_parent (const char *self_exe);
