/* floe: the Parquet writer. Typed rows in (struct floe_value, as the NDJSON
 * decoder makes them), a standard Parquet file out, streamed to a sink, in
 * memory fixed at setup.
 *
 * Each column encodes its values into a page buffer as they arrive; a full
 * page is compressed at once into the row-group store, so the row-group
 * budget counts compressed bytes. When the store is full the row group is
 * written out column by column and the buffers are reused. Encodings are
 * chosen per column: dictionary while the values repeat (falling back when
 * the dictionary outgrows its budget), DELTA_BINARY_PACKED for integers and
 * timestamps, BYTE_STREAM_SPLIT for floats, the RLE/bit-packed hybrid for
 * booleans, PLAIN otherwise.
 *
 *     floe_parquet_setup(&pq, &cfg, &arena);
 *     floe_parquet_open(&pq, &sink);          writes "PAR1"
 *     floe_parquet_write_row(&pq, values);    per row
 *     floe_parquet_close(&pq, &info);         last row group and the footer
 */
#ifndef FLOE_PARQUET_H
#define FLOE_PARQUET_H

#include <stddef.h>
#include <stdint.h>
#include "floe/arena.h"
#include "floe/schema.h"
#include "floe/ndjson.h"
#include "floe/port.h"

#ifdef __cplusplus
extern "C" {
#endif

enum floe_parquet_codec {
    FLOE_PARQUET_SNAPPY = 0, /* the default */
    FLOE_PARQUET_UNCOMPRESSED = 1,
    FLOE_PARQUET_ZSTD = 2    /* only when built with FLOE_ZSTD_COMPRESS (make
                              * FLOE_ZSTD_COMPRESS=1; the Linux boards' default) */
};

/* The zstd level of ZSTD pages: zstd's (and DuckDB's) default. Levels above
 * 4 need zstd's lazy/optimal parsers, which src/parquet/zstd_enc.c leaves out
 * unless built with -DFLOE_ZSTD_ALL_STRATEGIES. */
#ifndef FLOE_PARQUET_ZSTD_LEVEL
#define FLOE_PARQUET_ZSTD_LEVEL 3
#endif

#define FLOE_PARQUET_DEFAULT_PAGE_BYTES (32u * 1024u)
#define FLOE_PARQUET_DEFAULT_ROW_GROUP_BYTES (1024u * 1024u)
#define FLOE_PARQUET_DEFAULT_DICT_ENTRIES 16384u      /* most entries of one column's dictionary */
#define FLOE_PARQUET_DEFAULT_DICT_BYTES (64u * 1024u)   /* most value bytes of one string dictionary */
#define FLOE_PARQUET_DEFAULT_DICT_POOL (1024u * 1024u)  /* all dictionaries of a row group share this */
#define FLOE_PARQUET_DEFAULT_MAX_ROW_GROUPS 64u
#define FLOE_PARQUET_PAGE_MAX_VALUES 20000u /* rows per page, whatever their size */
/* The page index's default room: this share of the pages a file may hold
 * (max_row_groups x row_group_bytes). The bench's telemetry takes a 390th
 * of its bytes (OffsetIndexes alone, a 980th); chunks of long strings in
 * many small pages up to a 44th, and then only some keep a ColumnIndex. */
#define FLOE_PARQUET_PAGE_INDEX_SHARE 128u
#define FLOE_PARQUET_STAT_MAX 32u           /* longest string min/max; longer values give truncated
                                             * bounds (is_min/max_value_exact = false) */

struct floe_parquet_config {
    const struct floe_schema *schema; /* columns, plus "_extra" when schema->extra */
    uint8_t codec;                    /* enum floe_parquet_codec */
    uint32_t page_bytes;              /* 0: default; also the longest string value */
    uint32_t row_group_bytes;         /* compressed bytes a row group holds; 0: default */
    uint32_t dict_entries;            /* per column, at most 2^28; 0: default */
    uint32_t dict_bytes;              /* value bytes of one string column, at most 1 GiB;
                                       * 0: default */
    uint32_t dict_pool_bytes;         /* shared by every column's dictionary; 0: default.
                                       * Dictionaries start small and grow from the pool,
                                       * so columns that repeat little cost little. */
    uint16_t max_row_groups;          /* per file (bounds the footer); 0: default */
    uint8_t no_bloom_filters;         /* 1: no Bloom filters. By default every column chunk
                                       * whose pages all use the dictionary gets a split
                                       * block Bloom filter (1% false positives, after the
                                       * row group's chunks), built from the dictionary. */
    uint8_t no_page_index;            /* 1: no page index. By default each column chunk gets
                                       * an OffsetIndex (where its data pages start, and
                                       * their first rows) and a ColumnIndex (each page's
                                       * min, max and nulls), written before the footer,
                                       * so readers can skip pages. */
    uint32_t page_index_bytes;        /* room for the file's page index, held until the
                                       * file is closed. ColumnIndexes past it are left
                                       * out; if even the OffsetIndexes do not fit, the
                                       * file has no page index. 0: a 128th of
                                       * max_row_groups x row_group_bytes */
    const char *schema_json;          /* stored in the footer as "floe.schema"; may be NULL */
    const struct floe_log_port *log;
};

/** Where the file's bytes go. write() takes all n bytes or fails. */
struct floe_parquet_sink {
    void *ctx;
    int (*write)(void *ctx, const void *data, size_t n);
};

struct floe_parquet_stats {
    uint64_t rows;          /* in the current file */
    uint64_t bytes;         /* written to the current file so far */
    uint32_t row_groups;    /* completed in the current file */
    uint64_t rows_total;    /* over all files */
    uint64_t files_total;
};

struct floe_parquet_state;

struct floe_parquet {
    struct floe_parquet_state *st;
    struct floe_parquet_stats stats;
};

/** @brief 1 if this build of the library writes @p codec (enum
 *  floe_parquet_codec): snappy and uncompressed always, ZSTD only when built
 *  with FLOE_ZSTD_COMPRESS. Configs with another codec are invalid. */
int floe_parquet_codec_supported(int codec);

/** @brief Arena bytes setup() takes for @p cfg (0 for an invalid config). */
size_t floe_parquet_size(const struct floe_parquet_config *cfg);
void floe_parquet_init(struct floe_parquet *pq);
int floe_parquet_setup(struct floe_parquet *pq, const struct floe_parquet_config *cfg, struct floe_arena *arena);

/** Returned (> 0) by floe_parquet_write_row when the file has used all its
 *  row groups. Not an error code, so a full disk (FLOE_ERR_NOSPC from the
 *  sink) can never be mistaken for it. */
#define FLOE_PARQUET_FILE_FULL 1

/** @brief Starts a file on @p sink (kept by reference until close). */
int floe_parquet_open(struct floe_parquet *pq, const struct floe_parquet_sink *sink);

/**
 * @brief Adds one row: values[i] for column i, then "_extra" if enabled.
 * A row is written whole or not at all.
 * @return FLOE_OK; FLOE_ERR_LIMIT when a string is longer than page_bytes
 *         allows, or the row alone needs more than row_group_bytes
 *         (dead-letter the row; floe_parquet_reject_reason() says which);
 *         FLOE_PARQUET_FILE_FULL (positive,
 *         the row was not taken) when the file has used all its row groups
 *         (close it and write the row to the next file); FLOE_ERR_MISSING
 *         for a null in a required column; a sink error (FLOE_ERR_NOSPC for
 *         a full disk: the file is broken, abort it); FLOE_ERR_STATE when
 *         no file is open.
 */
int floe_parquet_write_row(struct floe_parquet *pq, const struct floe_value *values);

/**
 * @brief Whether floe_parquet_write_row() would refuse @p values for what
 * they hold, without writing anything: FLOE_ERR_MISSING for a null in a
 * REQUIRED column, FLOE_ERR_LIMIT (with floe_parquet_reject_reason()) for a
 * string longer than a page; FLOE_OK otherwise. floe_roll_write() asks
 * before it closes or opens a file for a row, so a refused row never splits
 * a file or leaves an empty one.
 */
int floe_parquet_check_row(struct floe_parquet *pq, const struct floe_value *values);

/**
 * @brief The most the row's values can add to the file's stored pages (an
 * overestimate, counting dictionary entries, levels, headers and the
 * codec's worst case), in the units of floe_parquet_sure_room().
 */
size_t floe_parquet_row_bound(const struct floe_parquet *pq, const struct floe_value *values);

/**
 * @brief Rows whose floe_parquet_row_bound() values add up to at most this
 * are all taken by the open file, whatever they hold: none of them gets
 * FLOE_PARQUET_FILE_FULL (with no file open: what a new file takes). 0
 * when the page and row-group sizes leave no such guarantee (pages nearly
 * as big as a row group) or the file has fewer than three row groups left.
 * floe_roll_write() keeps a sort window within it, so a file is never
 * sealed partway through one.
 */
uint64_t floe_parquet_sure_room(const struct floe_parquet *pq);

/**
 * @brief cfg's page size (page_bytes, or the default), halved down to 4 KiB
 * while one row's worst case over every column (its open pages at their
 * longest) would take more than 7/8 of a row group: the largest page that
 * leaves each row group room a row surely fits in, which a sort window
 * (floe_roll's sort_column) needs. Wide schemas need it: with 32 KiB pages,
 * 20 columns of which 4 strings leave a 1 MiB row group none. Note that
 * page_bytes also bounds a string's length. @return 0 for a bad schema.
 */
uint32_t floe_parquet_roomy_page_bytes(const struct floe_parquet_config *cfg);

/** Bytes of floe_parquet_reject_reason()'s text, its NUL included. *//** Bytes of floe_parquet_reject_reason()'s text, its NUL included. */
#define FLOE_PARQUET_REJECT_MAX 128

/** @brief Why the last row refused with FLOE_ERR_LIMIT was, naming the column
 *  and the limit; "" before any. Valid until the next write. */
const char *floe_parquet_reject_reason(const struct floe_parquet *pq);

/** @brief Compressed bytes of the open row group not yet written to the sink,
 *  its Bloom filters included (stats.bytes + this is the file's size so far,
 *  give or take a page). */
uint64_t floe_parquet_pending_bytes(const struct floe_parquet *pq);

/** @brief Adds a key-value pair to the footer of the current file (copied;
 *  at most 8 pairs and 4 KiB in all per file). */
int floe_parquet_add_kv(struct floe_parquet *pq, const char *key, const char *value);

/** @brief Writes the last row group and the footer. The sink has received
 *  the whole file when it returns FLOE_OK. */
int floe_parquet_close(struct floe_parquet *pq);

/** @brief Forgets the open file (its sink has a partial file: discard it). */
void floe_parquet_abort(struct floe_parquet *pq);

void floe_parquet_free(struct floe_parquet *pq);

#ifdef __cplusplus
}
#endif
#endif
