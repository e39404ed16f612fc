/* table.h - aligned text tables for stagectl's human output: rows are
 * collected, then printed with each column as wide as its widest cell (cut at
 * TABLE_CELL_MAX bytes), separated by two spaces; the last column is not
 * padded. Used for replies that fit in memory (one page); streams (ls) fix
 * their widths on the first page instead. Single-threaded. */
#ifndef STAGECTL_TABLE_H
#define STAGECTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#define TABLE_COLS_MAX 8
#define TABLE_CELL_MAX 80

struct table;

/* A table with the `ncols` column headers given (1..TABLE_COLS_MAX). Columns
 * whose header starts with '>' are right-aligned (the '>' is not printed).
 * NULL on OOM. */
struct table *table_new(size_t ncols, const char *const *headers);

/* Append a row of `ncols` cells (copied; NULL prints as "-"). 0, or
 * ST_ENOMEM. */
int table_add(struct table *t, const char *const *cells);

/* Print the header and every row on stdout. */
void table_print(const struct table *t);

/* The same, the header only when `header`. */
void table_print_opt(const struct table *t, bool header);

/* NULL-safe; returns NULL. */
struct table *table_free(struct table *t);

#endif
