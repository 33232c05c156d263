/* libsync-app: the field app's entry point. Sets up gettext (the language follows the locale:
 * Indonesian with LANG=id_ID.UTF-8) and runs FaApp. */
#include <glib/gi18n.h>
#include <locale.h>

#include "app.h"
#include "i18n.h"

int
main (int argc, char *argv[])
{
  g_autoptr (FaApp) app = NULL;

  fa_i18n_init ();
  app = fa_app_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
