/* RFC 4180 reader for the export tests (csv_oracle.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "csv_oracle.h"

#include <stdlib.h>
#include <string.h>

/* One cell from s[*i]; moves *i past it. */
static char *read_cell(const char *s, size_t n, size_t *i)
{
  char *cell = malloc(n - *i + 1);
  assert_non_null(cell);
  size_t o = 0;
  if (s[*i] == '"') {
    for ((*i)++;;) {
      assert_true(*i < n);   /* an unterminated quote is a writer bug */
      if (s[*i] == '"' && s[*i + 1] == '"') {
        cell[o++] = '"';
        *i += 2;
      } else if (s[*i] == '"') {
        (*i)++;
        break;
      } else {
        cell[o++] = s[(*i)++];
      }
    }
  } else {
    while (*i < n && s[*i] != ',' && s[*i] != '\r' && s[*i] != '\n') {
      assert_true(s[*i] != '"');
      cell[o++] = s[(*i)++];
    }
  }
  cell[o] = '\0';
  return cell;
}

csv_t csv_parse(const char *s)
{
  csv_t c = {0};
  size_t i = 0, n = strlen(s);
  while (i < n) {
    c.rows = realloc(c.rows, (c.n_rows + 1) * sizeof *c.rows);
    c.n_cells = realloc(c.n_cells, (c.n_rows + 1) * sizeof *c.n_cells);
    assert_true(c.rows && c.n_cells);
    char **cells = NULL;
    size_t nc = 0;
    for (;;) {
      char *cell = read_cell(s, n, &i);
      cells = realloc(cells, (nc + 1) * sizeof *cells);
      assert_non_null(cells);
      cells[nc++] = cell;
      if (i < n && s[i] == ',') {
        i++;
        continue;
      }
      assert_true(i + 1 < n && s[i] == '\r' && s[i + 1] == '\n');   /* CRLF ends a row */
      i += 2;
      break;
    }
    c.rows[c.n_rows] = cells;
    c.n_cells[c.n_rows++] = nc;
  }
  return c;
}

void csv_free(csv_t *c)
{
  for (size_t r = 0; r < c->n_rows; r++) {
    for (size_t k = 0; k < c->n_cells[r]; k++)
      free(c->rows[r][k]);
    free(c->rows[r]);
  }
  free(c->rows);
  free(c->n_cells);
}

int csv_col(const csv_t *c, const char *name)
{
  for (size_t k = 0; c->n_rows && k < c->n_cells[0]; k++)
    if (strcmp(c->rows[0][k], name) == 0)
      return (int)k;
  return -1;
}

const char *csv_cell(const csv_t *c, size_t row, const char *name)
{
  int k = csv_col(c, name);
  if (k < 0)
    fail_msg("no column %s", name);
  assert_true(row < c->n_rows && (size_t)k < c->n_cells[row]);
  return c->rows[row][k];
}

size_t csv_row_of(const csv_t *c, const char *uuid)
{
  for (size_t r = 1; r < c->n_rows; r++)
    if (strcmp(csv_cell(c, r, "uuid"), uuid) == 0)
      return r;
  fail_msg("record %s not exported", uuid);
  return 0;
}
