/* form-page-private.h: what the files of FaFormPage share (form-page.c: class, pages,
 * navigation, opening; form-page-evaluate.c: answers and live evaluation; form-page-save.c:
 * autosave and finalizing; form-page-refusal.c: a record the server refused, sent again or
 * corrected), the way gnome-text-editor splits EditorPage. */
#pragma once

#include "form-page.h"

#include <cjson/cJSON.h>

#include "field-base.h"
#include "review-page.h"

G_BEGIN_DECLS

#define EVALUATE_DELAY_MS 200
#define AUTOSAVE_DELAY_MS 1000

struct _FaFormPage
{
  AdwBin parent_instance;

  /* template */
  GtkWidget *sections_list;
  GtkWidget *readonly_banner;
  GtkWidget *section_title;
  GtkWidget *page_label;
  GtkWidget *progress;
  GtkWidget *content_stack;
  GtkWidget *sections_stack;
  GtkWidget *review;
  GtkWidget *prev_button;
  GtkWidget *next_button;
  GtkWidget *finalize_button;
  GtkWidget *save_label;
  GtkWidget *receipt_button;
  GtkWidget *refusal_box;
  GtkWidget *refusal_label;
  GtkWidget *fix_button;
  GtkWidget *resend_button;

  FaApp *app;                 /* not owned */
  const FaForm *form;         /* owned by the app's cache */
  char uuid[SYNC_UUID_STRLEN + 1];
  gboolean read_only;
  gboolean sealed;            /* only the clear part of the answers is on the device */
  gboolean purged;            /* the answers were removed after delivery */
  char *refusal;              /* the server refused the record: why (plain words), else NULL */
  gboolean correcting;        /* a refused final record opened editable: saving revises it */
  gboolean reviewing;
  guint current;              /* section index */
  gboolean *visited;          /* per section: the officer has left it once */
  gboolean show_all_errors;   /* after a finalize attempt */
  gboolean dirty;

  GHashTable *widgets;        /* field name -> FaFieldBase* */
  GPtrArray *section_rows;    /* GtkListBoxRow* per section */
  GPtrArray *section_badges;  /* GtkLabel* per section */
  GtkWidget *review_row;
  cJSON *evaluation;          /* last sync_form_evaluate result */

  guint evaluate_source;
  guint autosave_source;
};

enum {
  FA_FORM_PAGE_FINISHED,
  FA_FORM_PAGE_SAVED,
  FA_FORM_PAGE_STATE_CHANGED,
  FA_FORM_PAGE_MESSAGE,
  FA_FORM_PAGE_SHOW_RECEIPT,
  FA_FORM_PAGE_N_SIGNALS
};
extern guint _fa_form_page_signals[FA_FORM_PAGE_N_SIGNALS];

/* form-page-evaluate.c */
cJSON *_fa_form_page_collect_answers (FaFormPage *self);
gboolean _fa_form_page_is_relevant (FaFormPage *self, const char *name);
gboolean _fa_form_page_section_relevant (FaFormPage *self, guint section);
void _fa_form_page_apply_evaluation (FaFormPage *self);
void _fa_form_page_evaluate (FaFormPage *self);

/* form-page-save.c */
gboolean _fa_form_page_save (FaFormPage *self, gboolean force);
void _fa_form_page_on_field_changed (FaFieldBase *field, FaFormPage *self);

/* form-page-refusal.c */
void _fa_form_page_show_refusal (FaFormPage *self, const char *note);
void _fa_form_page_on_fix_clicked (FaFormPage *self);
void _fa_form_page_on_resend_clicked (FaFormPage *self);
/* Writes the corrected answers as a new revision and queues it; FALSE (the review shows why)
 * when they still fail. */
gboolean _fa_form_page_send_correction (FaFormPage *self);

/* form-page.c */
void _fa_form_page_update_navigation (FaFormPage *self);
void _fa_form_page_clear (FaFormPage *self);
void _fa_form_page_set_editable (FaFormPage *self, gboolean editable);

G_END_DECLS
