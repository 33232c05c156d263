/* format: see format.h. */
#include "format.h"

#include <glib/gi18n.h>

char *
fa_format_when (gint64 ms)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = NULL;
  int days;

  if (ms <= 0 || (dt = g_date_time_new_from_unix_local (ms / 1000)) == NULL)
    return g_strdup ("");
  time = g_date_time_format (dt, "%H:%M");
  days = g_date_time_get_day_of_year (now) - g_date_time_get_day_of_year (dt);
  if (g_date_time_get_year (now) == g_date_time_get_year (dt) && days == 0)
    /* Translators: %s is a time of day */
    return g_strdup_printf (_("today %s"), time);
  if (g_date_time_get_year (now) == g_date_time_get_year (dt) && days == 1)
    /* Translators: %s is a time of day */
    return g_strdup_printf (_("yesterday %s"), time);
  return g_date_time_format (dt, "%e %b %Y %H:%M");
}
