/* A small RFC 4180 reader: the oracle the export tests check the server's CSV writer against.
 * It fails the running cmocka test on anything the writer must never produce (an unterminated
 * quote, a quote inside an unquoted cell, a row not ended by CRLF).
 * Ownership: csv_parse's result is freed with csv_free; cells are borrowed from it.
 * Threads: the test's own thread (it fails the running cmocka test). */
#ifndef TEST_CSV_ORACLE_H
#define TEST_CSV_ORACLE_H

#include <stddef.h>

typedef struct csv {
  char ***rows;        /* rows[0] is the header */
  size_t *n_cells;
  size_t n_rows;
} csv_t;

csv_t csv_parse(const char *text);
void csv_free(csv_t *c);
/* The column named `name` in the header, or -1. */
int csv_col(const csv_t *c, const char *name);
/* Row `row`'s cell of column `name`; fails the test when there is no such column. */
const char *csv_cell(const csv_t *c, size_t row, const char *name);
/* The row whose `uuid` cell is `uuid`; fails the test when there is none. */
size_t csv_row_of(const csv_t *c, const char *uuid);

#endif
