/* form-page-private.h: what the three files of FaFormPage share (form-page.c: class, pages,
 * navigation, opening; form-page-evaluate.c: answers and live evaluation; form-page-save.c:
 * autosave and finalizing), the way gnome-text-editor splits EditorPage. */
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

  FaApp *app;                 /* not owned */
  const FaForm *form;         /* owned by the app's cache */
  char uuid[SYNC_UUID_STRLEN + 1];
  gboolean read_only;
  gboolean sealed;            /* only the clear part of the answers is on the device */
  gboolean purged;            /* the answers were removed after delivery */
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

/* form-page.c */
void _fa_form_page_update_navigation (FaFormPage *self);
void _fa_form_page_clear (FaFormPage *self);

G_END_DECLS
