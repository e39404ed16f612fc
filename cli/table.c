/* table.c - aligned text tables (see table.h). */
#include "table.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct table {
    size_t ncols, nrows, cap;
    char *head[TABLE_COLS_MAX];
    bool right[TABLE_COLS_MAX];
    int width[TABLE_COLS_MAX];
    char **cells; /* nrows * ncols */
};

static int cell_width(const char *s)
{
    size_t n = strlen(s);
    return (int)(n > TABLE_CELL_MAX ? TABLE_CELL_MAX : n);
}

struct table *table_new(size_t ncols, const char *const *headers)
{
    if (ncols == 0 || ncols > TABLE_COLS_MAX)
        return NULL;
    struct table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++) {
        const char *h = headers[i];
        t->right[i] = h[0] == '>';
        t->head[i] = strdup(h + (t->right[i] ? 1 : 0));
        if (!t->head[i])
            return table_free(t);
        t->width[i] = cell_width(t->head[i]);
    }
    return t;
}

int table_add(struct table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));
        if (!c)
            return ST_ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        row[i] = strdup(cells[i] ? cells[i] : "-");
        if (!row[i]) {
            while (i-- > 0)
                free(row[i]);
            return ST_ENOMEM;
        }
        int w = cell_width(row[i]);
        t->width[i] = w > t->width[i] ? w : t->width[i];
    }
    t->nrows++;
    return 0;
}

/* One line; trailing blanks (an empty last cell) are cut. */
static void print_row(const struct table *t, char *const *row)
{
    char line[TABLE_COLS_MAX * (TABLE_CELL_MAX + 2) + 2];
    size_t k = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        bool last = i + 1 == t->ncols;
        int w = last && !t->right[i] ? 0 : t->width[i];
        k += (size_t)snprintf(line + k, sizeof(line) - k, t->right[i] ? "%*.*s%s" : "%-*.*s%s", w,
                              TABLE_CELL_MAX, row[i], last ? "" : "  ");
    }
    while (k > 0 && line[k - 1] == ' ')
        k--;
    printf("%.*s\n", (int)k, line);
}

void table_print(const struct table *t)
{
    table_print_opt(t, true);
}

void table_print_opt(const struct table *t, bool header)
{
    if (header)
        print_row(t, t->head);
    for (size_t r = 0; r < t->nrows; r++)
        print_row(t, t->cells + r * t->ncols);
    fflush(stdout);
}

struct table *table_free(struct table *t)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    for (size_t i = 0; i < t->ncols; i++)
        free(t->head[i]);
    free(t);
    return NULL;
}
