/* syncctl: where the store's passphrase comes from (cli.h). Never from the command line itself,
 * where other users of the machine could read it (ps, shell history): a file, the environment,
 * or the terminal with echo off. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSPHRASE_MAX 1024

/* Wipes and frees a passphrase; NULL is a no-op. */
void cli_passphrase_free(char *p)
{
  if (!p)
    return;
  volatile char *v = p;
  while (*v)
    *v++ = '\0';
  free(p);
}

/* The first line of a file, without its line end. */
static char *from_file(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "syncctl: cannot read the passphrase file '%s': %s\n", path, strerror(errno));
    return NULL;
  }
  char buf[PASSPHRASE_MAX + 2];
  char *line = fgets(buf, sizeof buf, f);
  fclose(f);
  if (!line) {
    fprintf(stderr, "syncctl: the passphrase file '%s' is empty\n", path);
    return NULL;
  }
  buf[strcspn(buf, "\r\n")] = '\0';
  char *p = strdup(buf);
  memset(buf, 0, sizeof buf);
  return p;
}

/* One line from the terminal with echo off; the prompt on stderr. */
static char *prompt(const char *text)
{
  struct termios old, quiet;
  int restore = tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    quiet = old;
    quiet.c_lflag &= (tcflag_t)~ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  fputs(text, stderr);
  fflush(stderr);
  char buf[PASSPHRASE_MAX + 2];
  char *line = fgets(buf, sizeof buf, stdin);
  if (restore)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  fputc('\n', stderr);
  if (!line)
    return NULL;
  buf[strcspn(buf, "\r\n")] = '\0';
  char *p = strdup(buf);
  memset(buf, 0, sizeof buf);
  return p;
}

char *cli_read_passphrase(const char *file, const char *env, const char *what, int confirm)
{
  if (file)
    return from_file(file);
  const char *v = env ? getenv(env) : NULL;
  if (v && *v)
    return strdup(v);
  if (!isatty(STDIN_FILENO)) {
    fprintf(stderr, "syncctl: %s is needed: give --%s FILE%s%s, or run on a terminal\n", what,
            env ? "passphrase-file" : "new-passphrase-file", env ? " or set " : "", env ? env : "");
    return NULL;
  }
  char text[128];
  snprintf(text, sizeof text, "%c%s: ", toupper((unsigned char)what[0]), what + 1);
  char *p = prompt(text);
  if (!p || !confirm)
    return p;
  snprintf(text, sizeof text, "Repeat the %s: ", what);
  char *again = prompt(text);
  int same = again && strcmp(p, again) == 0;
  cli_passphrase_free(again);
  if (!same) {
    fprintf(stderr, "syncctl: the two entries differ\n");
    cli_passphrase_free(p);
    return NULL;
  }
  return p;
}

int cli_parse_kdf(const char *name, sync_kdf_strength_t *out)
{
  if (!name || strcmp(name, "interactive") == 0)
    *out = SYNC_KDF_INTERACTIVE;
  else if (strcmp(name, "moderate") == 0)
    *out = SYNC_KDF_MODERATE;
  else if (strcmp(name, "test") == 0)
    *out = SYNC_KDF_TEST;
  else
    return cli_usage_error("--kdf takes test, interactive or moderate");
  return EXIT_OK;
}
