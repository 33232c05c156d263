/* format: small helpers that turn times into words for people. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "today 10:32", "yesterday 18:05" or "3 Nov 2026 10:32" (local time); "" for 0. */
char *fa_format_when (gint64 ms_since_epoch);

G_END_DECLS
