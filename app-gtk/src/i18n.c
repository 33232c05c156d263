/* i18n: see i18n.h. */
#include "i18n.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <string.h>

static char *
pick_localedir (void)
{
  const char *env = g_getenv ("LIBSYNC_APP_LOCALEDIR");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *bindir = NULL;
  g_autofree char *relative = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  /* an uninstalled binary (the build tree, the tests) uses the freshly compiled catalogues */
  if (exe != NULL && g_str_has_prefix (exe, FA_BUILD_DIR "/"))
    return g_strdup (FA_BUILD_LOCALEDIR);
  /* installed: <prefix>/bin/libsync-app finds <prefix>/share/locale, wherever the prefix went */
  if (exe != NULL)
    {
      bindir = g_path_get_dirname (exe);
      relative = g_build_filename (bindir, "..", "share", "locale", "id", "LC_MESSAGES",
                                   GETTEXT_PACKAGE ".mo", NULL);
      if (g_file_test (relative, G_FILE_TEST_EXISTS))
        return g_build_filename (bindir, "..", "share", "locale", NULL);
    }
  return g_strdup (FA_LOCALEDIR);
}

void
fa_i18n_init (void)
{
  if (setlocale (LC_ALL, "") == NULL)
    {
      /* The locale named by LANG is not installed. gettext ignores LANGUAGE in the "C" locale,
       * but not in C.UTF-8: keep the officer's language for messages. */
      const char *lang = g_getenv ("LC_ALL");
      if (lang == NULL || *lang == '\0')
        lang = g_getenv ("LC_MESSAGES");
      if (lang == NULL || *lang == '\0')
        lang = g_getenv ("LANG");
      setlocale (LC_ALL, "C.UTF-8");
      if (lang != NULL && *lang != '\0' && g_getenv ("LANGUAGE") == NULL)
        {
          g_autofree char *code = g_strndup (lang, strcspn (lang, ".@"));
          g_setenv ("LANGUAGE", code, TRUE);
        }
    }
  g_autofree char *localedir = pick_localedir ();

  gtk_disable_setlocale ();   /* done above; GTK would only repeat it (and warn) */
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
