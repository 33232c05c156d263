/* form-page: fills in one record. The form definition is rendered part by part (a section per
 * page, with a sidebar and a progress bar); after each edit the answers go through
 * sync_form_evaluate, whose result drives skip logic (hidden questions), calculated values and
 * the inline errors; drafts are saved about a second after the last edit, on every page change
 * and when the window closes. A finalized record opens read-only.
 *
 * Answers sealed for the central office show only their clear part, with the reason the record
 * cannot be revised here; purged records say their answers were removed after delivery. A
 * delivered record offers its proof of delivery. A record the server refused shows why, in
 * plain words, with two ways forward: "Send again" (sync_record_resend) and, when its answers
 * are on the device, "Correct" (the answers open editable; sending the correction revises the
 * record and queues it).
 *
 * Signals: "finished" (the record was finalized or closed; the window goes back to the list),
 * "saved" (a draft was written), "show-receipt" (uuid: the officer asked for the receipt).
 */
#pragma once

#include <adwaita.h>

#include "app.h"

G_BEGIN_DECLS

#define FA_TYPE_FORM_PAGE (fa_form_page_get_type ())
G_DECLARE_FINAL_TYPE (FaFormPage, fa_form_page, FA, FORM_PAGE, AdwBin)

gboolean fa_form_page_open_new (FaFormPage *self, FaApp *app, const char *form_id, GError **error);
gboolean fa_form_page_open_record (FaFormPage *self, FaApp *app, const char *uuid, GError **error);

/* Saves any pending change now. TRUE if nothing is left unsaved. */
gboolean fa_form_page_save_now (FaFormPage *self);
/* Saves and forgets the record (the page is empty afterwards). */
void fa_form_page_close (FaFormPage *self);

gboolean fa_form_page_is_open (FaFormPage *self);
gboolean fa_form_page_is_read_only (FaFormPage *self);
/* TRUE while a refused record is open for correction. */
gboolean fa_form_page_is_correcting (FaFormPage *self);
/* The text of the refusal box (the server's reason and what the officer can do), or NULL. */
const char *fa_form_page_get_refusal (FaFormPage *self);
/* The banner text shown over a read-only record, or NULL (tests). */
const char *fa_form_page_get_banner (FaFormPage *self);
gboolean fa_form_page_is_reviewing (FaFormPage *self);
const char *fa_form_page_get_uuid (FaFormPage *self);
const char *fa_form_page_get_title (FaFormPage *self);

gboolean fa_form_page_can_go_previous (FaFormPage *self);
gboolean fa_form_page_can_go_next (FaFormPage *self);
void fa_form_page_previous (FaFormPage *self);
void fa_form_page_next (FaFormPage *self);
void fa_form_page_show_review (FaFormPage *self);
/* Goes to the part holding `field` and focuses its input. */
void fa_form_page_goto_field (FaFormPage *self, const char *field);

/* Asks for confirmation, then finalizes (if the answers are complete; otherwise shows what is
 * missing on the review page). */
void fa_form_page_finalize (FaFormPage *self);

/* For tests: the field widget of `name`, and the id of the dialog waiting for an answer. */
GtkWidget *fa_form_page_get_field_widget (FaFormPage *self, const char *name);
/* Runs any pending evaluation at once (tests, and before review). */
void fa_form_page_evaluate_now (FaFormPage *self);

G_END_DECLS
