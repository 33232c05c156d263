/* settings: see settings.h. */
#include "settings.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

static char *
get_string (GKeyFile *kf, const char *group, const char *key)
{
  char *v = g_key_file_get_string (kf, group, key, NULL);
  if (v != NULL && *v == '\0')
    g_clear_pointer (&v, g_free);
  return v;
}

FaSettings *
fa_settings_load (const char *config_dir_override, const char *store_override)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  FaSettings *s = g_new0 (FaSettings, 1);
  const char *env_dir = g_getenv ("LIBSYNC_APP_CONFIG_DIR");
  const char *env_store = g_getenv ("LIBSYNC_APP_STORE");

  if (config_dir_override && *config_dir_override)
    s->config_dir = g_strdup (config_dir_override);
  else if (env_dir && *env_dir)
    s->config_dir = g_strdup (env_dir);
  else
    s->config_dir = g_build_filename (g_get_user_config_dir (), "libsync-app", NULL);
  s->file = g_build_filename (s->config_dir, "settings.ini", NULL);

  if (store_override && *store_override)
    s->store_override = g_strdup (store_override);
  else if (env_store && *env_store)
    s->store_override = g_strdup (env_store);

  if (g_key_file_load_from_file (kf, s->file, G_KEY_FILE_NONE, NULL))
    {
      gboolean legacy = g_key_file_has_key (kf, "server", "device-secret", NULL)
                        || g_key_file_has_key (kf, "server", "device-id", NULL);

      s->server_url = get_string (kf, "server", "url");
      s->ca_file = get_string (kf, "server", "ca-file");
      s->pinned_key = get_string (kf, "server", "pinned-key");
      s->officer_name = get_string (kf, "officer", "name");
      s->officer_unit = get_string (kf, "officer", "unit");
      s->store_path = get_string (kf, "store", "path");
      s->open_draft = get_string (kf, "state", "open-draft");
      /* an older version kept the credential here: the officer had set up the app, and the
       * secret must not stay on disk in clear (the store now holds the credential) */
      s->setup_done = g_key_file_get_boolean (kf, "state", "setup-done", NULL) || legacy;
      if (legacy)
        {
          g_autoptr (GError) error = NULL;
          if (!fa_settings_save (s, &error))
            g_warning ("cannot remove the old device secret from %s: %s", s->file, error->message);
        }
    }
  return s;
}

void
fa_settings_free (FaSettings *s)
{
  if (s == NULL)
    return;
  g_free (s->config_dir);
  g_free (s->file);
  g_free (s->store_override);
  g_free (s->server_url);
  g_free (s->ca_file);
  g_free (s->pinned_key);
  g_free (s->officer_name);
  g_free (s->officer_unit);
  g_free (s->store_path);
  g_free (s->open_draft);
  g_free (s);
}

gboolean
fa_settings_pin_valid (const char *pin)
{
  g_auto (GStrv) parts = g_strsplit (pin, ";", -1);

  for (int i = 0; parts[i] != NULL; i++)
    {
      const char *b64 = parts[i];
      gsize len = 0;
      g_autofree guchar *raw = NULL;

      if (!g_str_has_prefix (b64, "sha256//"))
        return FALSE;
      b64 += strlen ("sha256//");
      /* g_base64_decode skips what is not base64; the exact length keeps a typo from passing */
      if (strlen (b64) != 44 || strspn (b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != 44)
        return FALSE;
      raw = g_base64_decode (b64, &len);
      if (len != 32)
        return FALSE;
    }
  return parts[0] != NULL;
}

static void
put (GKeyFile *kf, const char *group, const char *key, const char *value)
{
  if (value != NULL && *value != '\0')
    g_key_file_set_string (kf, group, key, value);
}

gboolean
fa_settings_save (FaSettings *s, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len = 0;

  if (g_mkdir_with_parents (s->config_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", s->config_dir,
                   g_strerror (saved));
      return FALSE;
    }
  put (kf, "server", "url", s->server_url);
  put (kf, "server", "ca-file", s->ca_file);
  put (kf, "server", "pinned-key", s->pinned_key);
  put (kf, "officer", "name", s->officer_name);
  put (kf, "officer", "unit", s->officer_unit);
  put (kf, "store", "path", s->store_path);
  put (kf, "state", "open-draft", s->open_draft);
  if (s->setup_done)
    g_key_file_set_boolean (kf, "state", "setup-done", TRUE);
  data = g_key_file_to_data (kf, &len, NULL);
  /* g_file_set_contents_full writes a temporary file, fsyncs and renames: never half a file. */
  return g_file_set_contents_full (s->file, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

char *
fa_settings_effective_store_path (const FaSettings *s)
{
  if (s->store_override != NULL)
    return g_strdup (s->store_override);
  if (s->store_path != NULL)
    return g_strdup (s->store_path);
  return g_build_filename (g_get_user_data_dir (), "libsync-app", "records.db", NULL);
}

void
fa_settings_set (char **member, const char *value)
{
  g_free (*member);
  *member = (value != NULL && *value != '\0') ? g_strdup (value) : NULL;
}
