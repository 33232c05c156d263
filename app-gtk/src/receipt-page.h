/* receipt-page: the proof of delivery of one record: the central server's signed receipt
 * (sync_record_receipt) with the time the server stored the record, its sequence number, the
 * fingerprints of the signature and of the server's key, and whether the signature verifies
 * against the key received at enrollment (sync_receipt_verify). The receipt JSON can be copied
 * or saved to a file, to show anyone that the record reached the centre.
 *
 * Signal "message" (string) for a toast. */
#pragma once

#include <adwaita.h>

#include "app.h"

G_BEGIN_DECLS

#define FA_TYPE_RECEIPT_PAGE (fa_receipt_page_get_type ())
G_DECLARE_FINAL_TYPE (FaReceiptPage, fa_receipt_page, FA, RECEIPT_PAGE, AdwBin)

gboolean fa_receipt_page_open (FaReceiptPage *self, FaApp *app, const char *uuid, GError **error);
/* Forgets the receipt shown. */
void fa_receipt_page_clear (FaReceiptPage *self);
/* The receipt JSON shown, or NULL. */
const char *fa_receipt_page_get_json (FaReceiptPage *self);

G_END_DECLS
