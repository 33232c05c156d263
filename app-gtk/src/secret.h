/* secret: the officer's passphrase in memory. Copies live in libsodium's guarded allocations
 * (locked out of swap, zeroed when freed), and text typed into GTK entries is cleared from the
 * entry as soon as it has been copied. Main thread or the worker that owns the copy.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A guarded copy of `text` (NULL for NULL); free with fa_secret_free. Aborts when out of memory,
 * like g_strdup. */
char *fa_secret_dup (const char *text);

/* Zeroes and frees a copy made by fa_secret_dup; NULL is a no-op. */
void fa_secret_free (char *secret);

/* Copies the text of `editable` into a guarded string and clears the entry (GTK zeroes the text
 * it drops). */
char *fa_secret_take_text (GtkEditable *editable);

G_END_DECLS
