/* i18n: gettext set-up shared by the app and its tests. */
#pragma once

/* setlocale() from the environment, then binds the message catalogue: from the build tree when
 * running uninstalled, else from the installed locale directory; $LIBSYNC_APP_LOCALEDIR wins.
 * When the system lacks the requested locale (e.g. id_ID.UTF-8 not generated), messages still
 * follow $LANG/$LANGUAGE: the C.UTF-8 locale is used for everything else. */
void fa_i18n_init (void);
