/* settings-page-private.h: what settings-page.c (class, loading, saving, enrolling) and
 * settings-page-security.c (passphrase change, emergency wipe) share. */
#pragma once

#include "settings-page.h"

G_BEGIN_DECLS

struct _FaSettingsPage
{
  AdwBin parent_instance;

  GtkWidget *welcome_title;
  GtkWidget *welcome_text;
  GtkWidget *enrollment_group;
  GtkWidget *enrolled_name_row;
  GtkWidget *enrolled_unit_row;
  GtkWidget *enrolled_server_row;
  GtkWidget *enrolled_expiry_row;
  GtkWidget *enroll_group;
  GtkWidget *url_row;
  GtkWidget *code_row;
  GtkWidget *tls_row;
  GtkWidget *ca_row;
  GtkWidget *pin_row;
  GtkWidget *enroll_button;
  GtkWidget *enroll_error;
  GtkWidget *officer_name_row;
  GtkWidget *officer_unit_row;
  GtkWidget *storage_group;
  GtkWidget *store_row;
  GtkWidget *choose_button;
  GtkWidget *retention_spin;
  GtkWidget *current_pass_row;
  GtkWidget *new_pass_row;
  GtkWidget *repeat_pass_row;
  GtkWidget *change_pass_button;
  GtkWidget *passphrase_error;
  GtkWidget *wipe_button;
  GtkWidget *error_label;
  GtkWidget *save_button;

  FaApp *app;
  gboolean first_run;
  gboolean busy;
  GtkFileChooserNative *chooser;
};

enum { FA_SETTINGS_PAGE_SAVED, FA_SETTINGS_PAGE_MESSAGE, FA_SETTINGS_PAGE_N_SIGNALS };
extern guint _fa_settings_page_signals[FA_SETTINGS_PAGE_N_SIGNALS];

/* settings-page.c */
/* Shows `message` in `label` (one of the page's error labels, next to what failed); NULL hides
 * it. */
void _fa_settings_page_show_error (GtkWidget *label, const char *message);
void _fa_settings_page_set_busy (FaSettingsPage *self, gboolean busy);

/* settings-page-security.c: template callbacks */
void _fa_settings_page_on_change_passphrase (FaSettingsPage *self);
void _fa_settings_page_on_wipe (FaSettingsPage *self);

G_END_DECLS
