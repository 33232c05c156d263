#define _XOPEN_SOURCE 700 /* nftw */
#include "test_support.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *ts_tempdir(void)
{
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/libsync-test-XXXXXX", base && *base ? base : "/tmp");
  return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st; (void)flag; (void)ftw;
  remove(path);
  return 0;
}

void ts_rmtree(const char *path)
{
  if (path)
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *ts_path(const char *dir, const char *name)
{
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

char *ts_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t n = 0, cap = 0, got;
  do {
    if (cap - n < 65536) {
      char *nb = realloc(buf, cap + 65536 + 1);
      if (!nb) { free(buf); fclose(f); return NULL; }
      buf = nb;
      cap += 65536;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  fclose(f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

int ts_bytes_hold(const void *data, size_t len, const void *needle, size_t n)
{
  const unsigned char *d = data;
  for (size_t i = 0; d && len >= n && i <= len - n; i++)
    if (memcmp(d + i, needle, n) == 0)
      return 1;
  return 0;
}

int ts_file_holds(const char *path, const void *needle, size_t n)
{
  size_t len = 0;
  char *data = ts_read_file(path, &len);
  int found = ts_bytes_hold(data, len, needle, n);
  free(data);
  return found;
}

char *ts_source_file(const char *relpath, size_t *len)
{
  char *p = ts_path(SYNC_SOURCE_DIR, relpath);
  char *data = p ? ts_read_file(p, len) : NULL;
  free(p);
  return data;
}

char *ts_golden(const char *name, size_t *len)
{
  char rel[256];
  snprintf(rel, sizeof rel, "proto/golden/%s", name);
  char *text = ts_source_file(rel, len);
  if (!text) {
    fprintf(stderr, "cannot read %s/%s\n", SYNC_SOURCE_DIR, rel);
    abort();
  }
  return text;
}

int ts_make_test_ca(const char *dir, char **pin)
{
  if (pin)
    *pin = NULL;
  if (system("command -v certtool > /dev/null 2>&1") != 0)
    return -1;
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "sh '%s/tests/support/make-test-ca.sh' '%s'", SYNC_SOURCE_DIR, dir);
  if (system(cmd) != 0)
    return -1;
  if (!pin)
    return 0;
  char *path = ts_path(dir, "pin.txt");
  char *text = path ? ts_read_file(path, NULL) : NULL;
  free(path);
  if (!text)
    return -1;
  text[strcspn(text, "\r\n")] = '\0';
  *pin = text;
  return 0;
}
