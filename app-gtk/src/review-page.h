/* review-page: the summary before finalizing: computed results (child flag, TPPO indication,
 * result category), what is still missing or invalid (each a button to the question), and every
 * answer grouped by part of the form. Also the read-only view of a finalized record. */
#pragma once

#include <adwaita.h>
#include <cjson/cJSON.h>

#include "form-def.h"

G_BEGIN_DECLS

#define FA_TYPE_REVIEW_PAGE (fa_review_page_get_type ())
G_DECLARE_FINAL_TYPE (FaReviewPage, fa_review_page, FA, REVIEW_PAGE, AdwBin)

/* `evaluation` is sync_form_evaluate's result object (payload, relevant, issues, complete).
 * `show_results` is FALSE when the device holds only part of the answers (sealed or purged):
 * results computed from a part would mislead. */
void fa_review_page_update (FaReviewPage *self, const FaForm *form, const cJSON *evaluation,
                            gboolean read_only, gboolean show_results);

G_END_DECLS
