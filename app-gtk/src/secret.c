/* secret: see secret.h. */
#include "secret.h"

#include <sodium.h>
#include <string.h>

char *
fa_secret_dup (const char *text)
{
  size_t len;
  char *copy;

  if (text == NULL)
    return NULL;
  if (sodium_init () < 0)
    g_error ("libsodium cannot start");
  len = strlen (text);
  copy = sodium_malloc (len + 1);
  if (copy == NULL)
    g_error ("out of memory for a secret of %zu bytes", len);
  memcpy (copy, text, len + 1);
  return copy;
}

void
fa_secret_free (char *secret)
{
  if (secret != NULL)
    sodium_free (secret);   /* zeroes before it frees */
}

char *
fa_secret_take_text (GtkEditable *editable)
{
  char *copy = fa_secret_dup (gtk_editable_get_text (editable));

  gtk_editable_set_text (editable, "");
  return copy;
}
