/* receipt-page: see receipt-page.h. */
#include "receipt-page.h"

#include <cjson/cJSON.h>
#include <glib/gi18n.h>
#include <string.h>

struct _FaReceiptPage
{
  AdwBin parent_instance;

  GtkWidget *verdict_icon;
  GtkWidget *verdict_label;
  GtkWidget *record_row;
  GtkWidget *time_row;
  GtkWidget *seq_row;
  GtkWidget *server_row;
  GtkWidget *signature_row;
  GtkWidget *key_row;

  char *json;
  char *uuid;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (FaReceiptPage, fa_receipt_page, ADW_TYPE_BIN)

enum { MESSAGE, N_SIGNALS };
static guint signals[N_SIGNALS];

/* "1a2b 3c4d 5e6f 7a8b": the first 8 bytes of SHA-256 over the decoded base64 `b64`, enough for
 * people to compare two receipts or keys by eye. */
static char *
fingerprint (const char *b64)
{
  g_autofree guchar *raw = NULL;
  g_autofree char *hex = NULL;
  GString *out = g_string_new (NULL);
  gsize len = 0;

  if (b64 == NULL || *b64 == '\0')
    return g_string_free (out, FALSE);
  raw = g_base64_decode (b64, &len);
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, raw, len);
  for (int i = 0; i < 16; i += 4)
    g_string_append_printf (out, "%s%.4s", i ? " " : "", hex + i);
  return g_string_free (out, FALSE);
}

static void
set_value (GtkWidget *row, const char *value)
{
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value ? value : "");
}

static char *
number_text (const cJSON *v)
{
  return cJSON_IsNumber (v) ? g_strdup_printf ("%.0f", v->valuedouble) : g_strdup ("");
}

static char *
received_text (const cJSON *v)
{
  g_autoptr (GDateTime) dt = NULL;

  if (!cJSON_IsNumber (v) || (dt = g_date_time_new_from_unix_local ((gint64) (v->valuedouble / 1000))) == NULL)
    return g_strdup ("");
  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S %Z");
}

static void
show_verdict (FaReceiptPage *self, gboolean valid, const char *why)
{
  g_autofree char *text = NULL;

  gtk_image_set_from_icon_name (GTK_IMAGE (self->verdict_icon),
                                valid ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  gtk_widget_remove_css_class (self->verdict_label, valid ? "receipt-invalid" : "receipt-valid");
  gtk_widget_add_css_class (self->verdict_label, valid ? "receipt-valid" : "receipt-invalid");
  if (valid)
    text = g_strdup (_("Valid signature"));
  else
    /* Translators: %s says why, e.g. "cryptographic check failed" */
    text = g_strdup_printf (_("Signature NOT valid: %s"), why);
  gtk_label_set_text (GTK_LABEL (self->verdict_label), text);
}

gboolean
fa_receipt_page_open (FaReceiptPage *self, FaApp *app, const char *uuid, GError **error)
{
  sync_store_t *store = fa_app_get_store (app);
  cJSON *receipt;
  g_autofree char *seq = NULL, *when = NULL, *sig = NULL, *key = NULL, *record = NULL;
  char *json = NULL;
  sync_err_t err;

  fa_receipt_page_clear (self);
  if (store == NULL || sync_record_receipt (store, uuid, &json) != SYNC_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The central server has not sent a receipt for this record yet."));
      return FALSE;
    }
  self->json = g_strdup (json);
  self->uuid = g_strdup (uuid);
  sync_free (json);

  /* against the key received at enrollment, never the one the receipt names */
  err = sync_store_receipt_verify (store, self->json);
  show_verdict (self, err == SYNC_OK, sync_strerror (err));

  receipt = cJSON_Parse (self->json);
  seq = number_text (cJSON_GetObjectItemCaseSensitive (receipt, "server_seq"));
  when = received_text (cJSON_GetObjectItemCaseSensitive (receipt, "received_at"));
  sig = fingerprint (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (receipt, "signature")));
  key = fingerprint (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (receipt, "receipt_key")));
  /* Translators: the record's id and its revision number */
  record = g_strdup_printf (_("%s, revision %.0f"), uuid,
                            cJSON_GetNumberValue (cJSON_GetObjectItemCaseSensitive (receipt, "revision")));
  set_value (self->record_row, record);
  set_value (self->time_row, when);
  set_value (self->seq_row, seq);
  set_value (self->server_row, cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (receipt, "server_id")));
  set_value (self->signature_row, sig);
  set_value (self->key_row, key);
  cJSON_Delete (receipt);
  return TRUE;
}

void
fa_receipt_page_clear (FaReceiptPage *self)
{
  GtkWidget *rows[] = { self->record_row, self->time_row, self->seq_row, self->server_row,
                        self->signature_row, self->key_row };

  g_clear_pointer (&self->json, g_free);
  g_clear_pointer (&self->uuid, g_free);
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    set_value (rows[i], "");
  gtk_label_set_text (GTK_LABEL (self->verdict_label), "");
}

const char *
fa_receipt_page_get_json (FaReceiptPage *self)
{
  return self->json;
}

static void
on_copy_clicked (FaReceiptPage *self)
{
  if (self->json == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->json);
  g_signal_emit (self, signals[MESSAGE], 0, _("The receipt was copied."));
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, FaReceiptPage *self)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->json != NULL
      && (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL)
    {
      if (g_file_replace_contents (file, self->json, strlen (self->json), NULL, FALSE,
                                   G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, &error))
        g_signal_emit (self, signals[MESSAGE], 0, _("The receipt was saved."));
      else
        g_signal_emit (self, signals[MESSAGE], 0, error->message);
    }
  g_clear_object (&self->chooser);
}

static void
on_save_clicked (FaReceiptPage *self)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  g_autofree char *name = NULL;

  if (self->json == NULL)
    return;
  /* Translators: file name of a saved receipt; %.8s is the start of the record id */
  name = g_strdup_printf (_("receipt-%.8s.json"), self->uuid);
  self->chooser = gtk_file_chooser_native_new (_("Save the receipt"), parent, GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
fa_receipt_page_dispose (GObject *object)
{
  FaReceiptPage *self = FA_RECEIPT_PAGE (object);

  g_clear_object (&self->chooser);
  g_clear_pointer (&self->json, g_free);
  g_clear_pointer (&self->uuid, g_free);
  G_OBJECT_CLASS (fa_receipt_page_parent_class)->dispose (object);
}

static void
fa_receipt_page_class_init (FaReceiptPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_receipt_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/receipt-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, record_row);
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, time_row);
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, seq_row);
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, signature_row);
  gtk_widget_class_bind_template_child (widget_class, FaReceiptPage, key_row);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);

  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                   NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
fa_receipt_page_init (FaReceiptPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
