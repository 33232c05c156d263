/* unlock-page: see unlock-page.h. */
#include "unlock-page.h"

#include <glib/gi18n.h>

#include "secret.h"

#define FREE_TRIES 2          /* failures before the pause starts */
#define MAX_WAIT_S 30

struct _FaUnlockPage
{
  AdwBin parent_instance;

  GtkWidget *status_page;
  GtkWidget *mode_stack;
  GtkWidget *passphrase_row;
  GtkWidget *unlock_button;
  GtkWidget *new_row;
  GtkWidget *repeat_row;
  GtkWidget *strength_bar;
  GtkWidget *strength_label;
  GtkWidget *create_button;
  GtkWidget *error_label;

  FaApp *app;
  gboolean busy;
  guint failures;
  guint wait_s;
  guint wait_source;
};

G_DEFINE_FINAL_TYPE (FaUnlockPage, fa_unlock_page, ADW_TYPE_BIN)

static void
show_error (FaUnlockPage *self, const char *message)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), message ? message : "");
  gtk_widget_set_visible (self->error_label, message != NULL);
}

static void
update_buttons (FaUnlockPage *self)
{
  gboolean ready = !self->busy && self->wait_s == 0;

  gtk_widget_set_sensitive (self->unlock_button, ready);
  gtk_widget_set_sensitive (self->create_button, ready);
}

guint
fa_unlock_page_get_wait (FaUnlockPage *self)
{
  return self->wait_s;
}

void
fa_unlock_page_load (FaUnlockPage *self, FaApp *app)
{
  FaStoreState state = fa_app_get_store_state (app);
  gboolean create = state != FA_STORE_ENCRYPTED;

  self->app = app;
  gtk_stack_set_visible_child_name (GTK_STACK (self->mode_stack), create ? "create" : "enter");
  adw_status_page_set_title (ADW_STATUS_PAGE (self->status_page),
                             create ? _("Create a passphrase") : _("Enter the passphrase"));
  adw_status_page_set_description (
    ADW_STATUS_PAGE (self->status_page),
    state == FA_STORE_NEW
      ? _("The records on this device are encrypted with a passphrase that only you know. "
          "It cannot be recovered: if it is forgotten, the records that were not sent are lost.")
    : state == FA_STORE_PLAIN
      ? _("The records on this device were kept without encryption by an earlier version. Create a "
          "passphrase that only you know: they are encrypted with it now. It cannot be recovered.")
      : _("The records on this device are encrypted. Enter your passphrase to open them."));
  gtk_editable_set_text (GTK_EDITABLE (self->passphrase_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->new_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->repeat_row), "");
  show_error (self, NULL);
  update_buttons (self);
  gtk_widget_grab_focus (create ? self->new_row : self->passphrase_row);
}

/* ---- strength hint ------------------------------------------------------------------------- */

/* 0 too short, 1 weak, 2 fair, 3 strong: length and the kinds of characters used. */
static int
strength (const char *text)
{
  glong len = g_utf8_strlen (text, -1);
  gboolean lower = FALSE, upper = FALSE, digit = FALSE, other = FALSE;
  int kinds;

  if (len < SYNC_PASSPHRASE_MIN)
    return 0;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_islower (c))
        lower = TRUE;
      else if (g_unichar_isupper (c))
        upper = TRUE;
      else if (g_unichar_isdigit (c))
        digit = TRUE;
      else
        other = TRUE;
    }
  kinds = lower + upper + digit + other;
  if (len >= 16 || (len >= 12 && kinds >= 3))
    return 3;
  if (len >= 10 || kinds >= 2)
    return 2;
  return 1;
}

static void
on_new_changed (FaUnlockPage *self)
{
  int s = strength (gtk_editable_get_text (GTK_EDITABLE (self->new_row)));
  const char *words[] = {
    N_("Strength: too short"), N_("Strength: weak"), N_("Strength: fair"), N_("Strength: strong"),
  };

  gtk_level_bar_set_value (GTK_LEVEL_BAR (self->strength_bar), s);
  gtk_label_set_text (GTK_LABEL (self->strength_label), _(words[s]));
  show_error (self, NULL);
}

/* ---- waiting after failures ---------------------------------------------------------------- */

static void
show_wait (FaUnlockPage *self)
{
  g_autofree char *text = NULL;

  /* Translators: after a wrong passphrase; %u is a number of seconds */
  text = g_strdup_printf (ngettext ("Wrong passphrase. Try again in %u second.",
                                    "Wrong passphrase. Try again in %u seconds.", self->wait_s),
                          self->wait_s);
  show_error (self, text);
}

static gboolean
on_wait_tick (gpointer data)
{
  FaUnlockPage *self = data;

  if (--self->wait_s > 0)
    {
      show_wait (self);
      return G_SOURCE_CONTINUE;
    }
  self->wait_source = 0;
  show_error (self, _("Wrong passphrase"));
  update_buttons (self);
  return G_SOURCE_REMOVE;
}

static void
count_failure (FaUnlockPage *self)
{
  self->failures++;
  if (self->failures <= FREE_TRIES)
    {
      show_error (self, _("Wrong passphrase"));
      return;
    }
  self->wait_s = MIN (1u << MIN (self->failures - FREE_TRIES - 1, 5u), MAX_WAIT_S);
  show_wait (self);
  g_clear_handle_id (&self->wait_source, g_source_remove);
  self->wait_source = g_timeout_add_seconds (1, on_wait_tick, self);
}

/* ---- opening ------------------------------------------------------------------------------- */

static void
on_unlocked (GObject *source, GAsyncResult *result, gpointer data)
{
  FaUnlockPage *self = data;
  g_autoptr (GError) error = NULL;

  self->busy = FALSE;
  if (fa_app_unlock_finish (FA_APP (source), result, &error))
    self->failures = 0;
  else if (g_error_matches (error, FA_SYNC_ERROR, SYNC_ERR_PASSPHRASE))
    count_failure (self);
  else
    show_error (self, error->message);
  update_buttons (self);
  if (error != NULL)
    gtk_widget_grab_focus (g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (self->mode_stack)),
                                      "create") == 0 ? self->new_row : self->passphrase_row);
  g_object_unref (self);
}

static void
unlock_with (FaUnlockPage *self, char *passphrase)
{
  self->busy = TRUE;
  show_error (self, NULL);
  update_buttons (self);
  fa_app_unlock_async (self->app, passphrase, on_unlocked, g_object_ref (self));
  fa_secret_free (passphrase);
}

static void
on_unlock_clicked (FaUnlockPage *self)
{
  if (self->busy || self->wait_s > 0)
    return;
  unlock_with (self, fa_secret_take_text (GTK_EDITABLE (self->passphrase_row)));
}

static void
on_create_clicked (FaUnlockPage *self)
{
  const char *first = gtk_editable_get_text (GTK_EDITABLE (self->new_row));
  const char *second = gtk_editable_get_text (GTK_EDITABLE (self->repeat_row));

  if (self->busy)
    return;
  if (g_utf8_strlen (first, -1) < SYNC_PASSPHRASE_MIN)
    {
      g_autofree char *msg = g_strdup_printf (_("The passphrase must have at least %d characters."),
                                              SYNC_PASSPHRASE_MIN);
      show_error (self, msg);
      gtk_widget_grab_focus (self->new_row);
      return;
    }
  if (g_strcmp0 (first, second) != 0)
    {
      show_error (self, _("The two passphrases differ."));
      gtk_editable_set_text (GTK_EDITABLE (self->repeat_row), "");
      gtk_widget_grab_focus (self->repeat_row);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->repeat_row), "");
  unlock_with (self, fa_secret_take_text (GTK_EDITABLE (self->new_row)));
}

/* ---- class --------------------------------------------------------------------------------- */

static void
fa_unlock_page_dispose (GObject *object)
{
  FaUnlockPage *self = FA_UNLOCK_PAGE (object);

  g_clear_handle_id (&self->wait_source, g_source_remove);
  G_OBJECT_CLASS (fa_unlock_page_parent_class)->dispose (object);
}

static void
fa_unlock_page_class_init (FaUnlockPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_unlock_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/unlock-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, mode_stack);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, new_row);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, repeat_row);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, strength_bar);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, strength_label);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, create_button);
  gtk_widget_class_bind_template_child (widget_class, FaUnlockPage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_new_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_unlock_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
}

static void
fa_unlock_page_init (FaUnlockPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  on_new_changed (self);
}
