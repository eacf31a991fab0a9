/* A window of rows held back so they can be written grouped by one column.
 *
 * Rows are copied in, compactly (varints, doubles with a few decimals in
 * two or three bytes, a string key held once in the key dictionary: a
 * telemetry row in about 40 bytes), up to a byte budget fixed at init.
 * floe_rowwin_sort() orders them by the key column, stably: rows with equal
 * keys keep their arrival order, so per-device series stay in time order.
 * Grouping runs in O(rows + keys log keys): each distinct key gets an id
 * from a small dictionary as rows arrive, the keys alone are sorted, and a
 * counting pass places the rows.
 *
 * Keys order as DuckDB's ORDER BY does: strings byte-wise, numbers by value
 * (negative zero before zero, NaN after every number), false before true,
 * nulls last.
 *
 *     floe_rowwin_init(&w, &arena, schema, key_column, 2 << 20);
 *     while (rows) {
 *         if (floe_rowwin_add(&w, row) == FLOE_ROWWIN_FULL) { write out; add again }
 *     }
 *     floe_rowwin_sort(&w);
 *     for (i = 0; i < floe_rowwin_rows(&w); i++) floe_rowwin_get(&w, i, &row) ...
 *     floe_rowwin_clear(&w);
 */
#ifndef FLOE_PARQUET_ROWWIN_H
#define FLOE_PARQUET_ROWWIN_H

#include "floe/arena.h"
#include "floe/ndjson.h"
#include "floe/schema.h"
#include "parquet/dict.h"

/** Returned (> 0) by floe_rowwin_add when the row does not fit beside the
 *  rows already held: write them out, clear, and add the row again. */
#define FLOE_ROWWIN_FULL 1

#define FLOE_ROWWIN_MIN_BYTES 4096u
#define FLOE_ROWWIN_SOURCES 8u        /* distinct source names in one window */
#define FLOE_ROWWIN_SOURCE_BYTES 1024u

struct floe_rowwin {
    const struct floe_schema *schema;
    uint32_t n_values; /* columns, then _extra when the schema keeps it */
    uint32_t key_col;
    uint8_t *buf;      /* the rows, back to back */
    size_t cap, used;
    uint32_t rows, max_rows;
    uint32_t *order;   /* after sort: row offsets in key order */
    uint32_t *count;   /* per key id: rows; after sort, each key's first slot */
    uint32_t *ids, *scratch; /* key ids being sorted */
    struct floe_dict keys;
    struct floe_dict strings;  /* short string values, held once a window */
    int strings_full;          /* its budget ran out: the window's other strings go as they are */
    int no_strings;            /* no string but the key: no string dictionary */
    int sorted;
    struct floe_value *values; /* the row floe_rowwin_get() hands out */
    int64_t *bases;            /* per column: what int64 values are held as differences from */
    uint8_t *decimals;         /* per column: the decimals its last double was held with */
    char sources[FLOE_ROWWIN_SOURCE_BYTES];
    uint16_t source_at[FLOE_ROWWIN_SOURCES];
    uint32_t n_sources;
    size_t sources_len;
    uint32_t last_source_index; /* the name rows came from last */
};

/** @brief Arena bytes floe_rowwin_init() takes (0 for an invalid request:
 *  key_col not a schema column, or bytes below FLOE_ROWWIN_MIN_BYTES or
 *  above 1 GiB). */
size_t floe_rowwin_size(const struct floe_schema *schema, uint32_t key_col, size_t bytes);

int floe_rowwin_init(struct floe_rowwin *w, struct floe_arena *arena, const struct floe_schema *schema,
                     uint32_t key_col, size_t bytes);

/** As floe_rowwin_size/init, with at most @p max_keys distinct keys in a
 *  window (0: as many as it has rows, up to 4096); each key costs 64 bytes. */
size_t floe_rowwin_size_keys(const struct floe_schema *schema, uint32_t key_col, size_t bytes, uint32_t max_keys);
int floe_rowwin_init_keys(struct floe_rowwin *w, struct floe_arena *arena, const struct floe_schema *schema,
                          uint32_t key_col, size_t bytes, uint32_t max_keys);

/**
 * @brief Copies the row in (its values and source name; not its line).
 * @return FLOE_OK; FLOE_ROWWIN_FULL when it does not fit beside the rows
 * held (nothing changes); FLOE_ERR_LIMIT when it would not fit even an
 * empty window (write it on its own).
 */
int floe_rowwin_add(struct floe_rowwin *w, const struct floe_row *row);

/** @brief As floe_rowwin_add, grouped by @p key (of the key column's type)
 *  instead of the row's own key column value: the roller groups late rows by
 *  their partition's start. */
int floe_rowwin_add_keyed(struct floe_rowwin *w, const struct floe_row *row, const struct floe_value *key);

static inline uint32_t floe_rowwin_rows(const struct floe_rowwin *w)
{
    return w->rows;
}

/** @brief Orders the rows by (key, arrival). */
void floe_rowwin_sort(struct floe_rowwin *w);

/** @brief The i-th row in sorted order (sorting first if needed). Its values and source point into
 *  the window, valid until the next get or clear. */
void floe_rowwin_get(struct floe_rowwin *w, uint32_t i, struct floe_row *row);

/** @brief Empties the window. */
void floe_rowwin_clear(struct floe_rowwin *w);

#endif
