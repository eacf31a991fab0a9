/* A small Parquet reader for the floe CLI (`floe inspect`) and its fuzz
 * target: the footer (FileMetaData) parsed with floe's Thrift reader, and
 * the values of flat columns decoded page by page.
 *
 * Every byte of the file is untrusted: offsets, sizes and counts are checked
 * against the file and against the limits below before anything is read or
 * allocated, and a failure leaves a message in the handle's err[]. The CLI's
 * own code: it uses malloc, never stdio.
 *
 * Supported for values: flat columns (no repetition), data pages v1 and v2,
 * dictionary pages, codecs UNCOMPRESSED and SNAPPY, encodings PLAIN,
 * PLAIN_DICTIONARY / RLE_DICTIONARY, RLE (booleans), DELTA_BINARY_PACKED,
 * BYTE_STREAM_SPLIT. Anything else is reported, not guessed at. */
#ifndef FLOE_CLI_PQREAD_H
#define FLOE_CLI_PQREAD_H

#include <stddef.h>
#include <stdint.h>

/* parquet.thrift enums (the values the format defines). */
enum pq_type {
    PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3,
    PQ_FLOAT = 4, PQ_DOUBLE = 5, PQ_BYTE_ARRAY = 6, PQ_FIXED_LEN_BYTE_ARRAY = 7
};
enum pq_encoding {
    PQ_ENC_PLAIN = 0, PQ_ENC_PLAIN_DICTIONARY = 2, PQ_ENC_RLE = 3, PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5, PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7, PQ_ENC_RLE_DICTIONARY = 8, PQ_ENC_BYTE_STREAM_SPLIT = 9
};
enum pq_codec {
    PQ_CODEC_UNCOMPRESSED = 0, PQ_CODEC_SNAPPY = 1, PQ_CODEC_GZIP = 2, PQ_CODEC_LZO = 3,
    PQ_CODEC_BROTLI = 4, PQ_CODEC_LZ4 = 5, PQ_CODEC_ZSTD = 6, PQ_CODEC_LZ4_RAW = 7
};
enum pq_page_type { PQ_DATA_PAGE = 0, PQ_INDEX_PAGE = 1, PQ_DICTIONARY_PAGE = 2, PQ_DATA_PAGE_V2 = 3 };
enum pq_repetition { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
/* LogicalType union members (field ids in parquet.thrift). */
enum pq_logical_kind {
    PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5, PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8,
    PQ_LT_INTEGER = 10, PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12, PQ_LT_BSON = 13,
    PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15, PQ_LT_VARIANT = 16, PQ_LT_GEOMETRY = 17,
    PQ_LT_GEOGRAPHY = 18
};
/* ConvertedType values the reader interprets. */
enum {
    PQ_CT_UTF8 = 0, PQ_CT_ENUM = 4, PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6, PQ_CT_TIME_MILLIS = 7,
    PQ_CT_TIME_MICROS = 8, PQ_CT_TIMESTAMP_MILLIS = 9, PQ_CT_TIMESTAMP_MICROS = 10,
    PQ_CT_UINT_8 = 11, PQ_CT_UINT_64 = 14, PQ_CT_INT_8 = 15, PQ_CT_INT_64 = 18, PQ_CT_JSON = 19
};
enum pq_time_unit { PQ_UNIT_NONE = 0, PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

/* Limits on what a file may make the reader allocate or walk. */
#define PQ_MAX_FOOTER (64u << 20)        /* bytes of FileMetaData */
#define PQ_MAX_ELEMENTS (1u << 22)       /* schema elements + column chunks + kv pairs */
#define PQ_MAX_PAGE_BYTES (256u << 20)   /* one page, uncompressed */
#define PQ_MAX_PAGE_VALUES (16u << 20)   /* values (with nulls) in one page */
#define PQ_MAX_CHUNK_BYTES (1u << 30)    /* one column chunk, as stored */

/* Bytes inside a buffer the reader owns (never NUL-terminated). */
struct pq_bytes {
    const uint8_t *p;
    size_t n;
};

struct pq_logical {
    int kind;         /* enum pq_logical_kind; PQ_LT_NONE when absent */
    int unit;         /* TIME/TIMESTAMP: enum pq_time_unit */
    int utc;          /* TIME/TIMESTAMP: isAdjustedToUTC */
    int bit_width;    /* INTEGER */
    int is_signed;    /* INTEGER */
    int32_t scale, precision; /* DECIMAL */
};

struct pq_schema_elem {
    struct pq_bytes name;
    int32_t type;          /* enum pq_type, -1 when absent (a group) */
    int32_t type_length;   /* -1 when absent */
    int32_t repetition;    /* enum pq_repetition, -1 when absent */
    int32_t num_children;  /* -1 when absent */
    int32_t converted;     /* ConvertedType, -1 when absent */
    int32_t scale, precision, field_id; /* -1 when absent */
    struct pq_logical logical;
};

/* A leaf column of the schema, in file order. */
struct pq_leaf {
    char *path;            /* names from the root down, joined with '.' (malloc'd) */
    const struct pq_schema_elem *elem;
    uint32_t schema_index;
    int16_t max_def, max_rep;
};

struct pq_stats {
    struct pq_bytes min, max; /* PLAIN bytes, no length prefix for BYTE_ARRAY */
    int has_min, has_max;
    int legacy;               /* min/max from the deprecated fields 1/2 */
    int min_inexact, max_inexact; /* is_min/max_value_exact = false: bounds, not values */
    int has_null_count, has_distinct;
    int64_t null_count, distinct_count;
};

struct pq_chunk {
    int has_meta;
    int32_t type, codec;
    uint32_t encodings;       /* bit e: encoding e (0..31) listed */
    uint32_t n_encodings;     /* entries in the list, known or not */
    struct pq_bytes path[8];  /* path_in_schema (the first 8 parts) */
    uint32_t path_len;        /* parts in path_in_schema */
    int64_t num_values, total_uncompressed, total_compressed;
    int64_t data_page_offset, dictionary_page_offset, index_page_offset; /* -1: absent */
    int64_t bloom_filter_offset; /* -1: absent */
    int32_t bloom_filter_length; /* -1: absent */
    int64_t offset_index_offset, column_index_offset; /* the page index; -1: absent */
    int32_t offset_index_length, column_index_length;
    int64_t file_offset;
    struct pq_bytes file_path;  /* n == 0: this file */
    int has_stats;
    struct pq_stats stats;
};

struct pq_row_group {
    struct pq_chunk *chunks;
    uint32_t n_chunks;
    int64_t num_rows, total_byte_size;
    int64_t total_compressed_size, file_offset; /* -1: absent */
    int32_t ordinal;                            /* -1: absent */
};

struct pq_kv {
    struct pq_bytes key, value;
    int has_value;
};

/* Where the file's bytes come from. read() fills buf with n bytes at offset
 * off (the reader has checked off + n <= size) and returns 0, or -1. */
struct pq_source {
    void *ctx;
    int (*read)(void *ctx, uint64_t off, void *buf, size_t n);
    uint64_t size;
};

struct pq_file {
    const struct pq_source *src;
    uint8_t *footer;          /* FileMetaData bytes (malloc'd) */
    size_t footer_len;
    size_t footer_used;       /* bytes the FileMetaData struct took */
    int32_t version;
    struct pq_schema_elem *schema;
    uint32_t n_schema;
    struct pq_leaf *leaves;
    uint32_t n_leaves;
    int64_t num_rows;
    struct pq_row_group *row_groups;
    uint32_t n_row_groups;
    struct pq_kv *kv;
    uint32_t n_kv;
    struct pq_bytes created_by;
    int has_created_by;
    uint32_t n_column_orders;
    char err[256];
};

/* Reads and checks the footer. Returns 0, or -1 with f->err set; either
 * way pq_close() releases what was taken. */
int pq_open(struct pq_file *f, const struct pq_source *src);
/* Reads only the footer's bounds and bytes (for a raw dump of a footer that
 * may not parse). Returns 0, or -1 with f->err set. pq_open calls it. */
int pq_read_footer(struct pq_file *f, const struct pq_source *src);
void pq_close(struct pq_file *f);

/* A source over bytes in memory; mem is its context (keep it alive). */
void pq_source_memory(struct pq_source *src, struct pq_bytes *mem, const void *data, size_t size);

/* Values (with nulls) one page may hold, and entries of a dictionary page;
 * PQ_MAX_PAGE_VALUES unless changed (the fuzz target lowers it). */
extern uint32_t pq_max_page_values;

/* ---- values ---------------------------------------------------------- */

struct pq_value {
    union {
        int64_t i;    /* BOOLEAN (0/1), INT32, INT64 */
        double d;     /* FLOAT (widened), DOUBLE */
        struct {
            const uint8_t *p;
            uint32_t n;
        } s;          /* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96 (12 bytes) */
    } v;
    uint8_t is_null;
};

/* Decoded values of one column chunk (a prefix of it), and the buffers they
 * point into. */
struct pq_values {
    struct pq_value *v;
    size_t n, cap;
    void **owned;             /* buffers freed by pq_values_free */
    size_t n_owned, cap_owned;
    uint32_t pages, dict_entries;
    int has_dict;
    char err[256];
};

/* Decodes the first `want` values (nulls included) of column `col` in row
 * group `rg`. Stops early at the end of the chunk. Returns 0, or -1 with
 * out->err set (out still needs pq_values_free). */
int pq_read_column(const struct pq_file *f, uint32_t rg, uint32_t col, size_t want,
                   struct pq_values *out);
/* The same on a column chunk's bytes in memory (they must outlive out), for
 * a column described by leaf, stored with codec. out must start zeroed. */
int pq_decode_chunk(const struct pq_leaf *leaf, int32_t codec, const uint8_t *chunk, size_t len,
                    size_t want, struct pq_values *out);
void pq_values_free(struct pq_values *out);

/* ---- the page index ------------------------------------------------------ */

/* One data page as the OffsetIndex locates it. */
struct pq_page_loc {
    int64_t offset, first_row;
    int32_t size; /* compressed, with its header */
};

/* A column chunk's page index: its OffsetIndex, and its ColumnIndex when
 * the chunk has one (n_ci pages, which must be n_loc when both are there). */
struct pq_page_index {
    struct pq_page_loc *loc;
    uint32_t n_loc;
    int has_oi, has_ci;
    uint32_t n_ci;
    uint8_t *null_pages;      /* n_ci flags */
    struct pq_bytes *min, *max; /* n_ci each, PLAIN bytes (empty for a null page) */
    int64_t *null_counts;     /* n_ci, or NULL when the index has none */
    int32_t boundary_order;   /* 0 unordered, 1 ascending, 2 descending */
    uint8_t *oi_bytes, *ci_bytes; /* what min and max point into (malloc'd) */
    char err[256];
};

/* Reads and checks the page index of column `col` in row group `rg`: where
 * each index lies (inside the file, before the footer), its Thrift, and
 * that its lists agree in length. Returns 0 (has_oi and has_ci say what the
 * chunk has), or -1 with out->err set. out needs pq_page_index_free either
 * way. */
int pq_read_page_index(const struct pq_file *f, uint32_t rg, uint32_t col, struct pq_page_index *out);
void pq_page_index_free(struct pq_page_index *pi);

/* ---- text -------------------------------------------------------------- */

/* A growing string (malloc'd); oom set when it could not grow. */
struct pq_sb {
    char *p;
    size_t len, cap;
    int oom;
};
void pq_sb_putn(struct pq_sb *sb, const char *s, size_t n);
void pq_sb_puts(struct pq_sb *sb, const char *s);
void pq_sb_printf(struct pq_sb *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void pq_sb_free(struct pq_sb *sb);
/* Bytes as a JSON string with quotes; bytes that are not UTF-8 become
 * \u00XX, and at most max characters are shown (then "..." inside the
 * quotes); max 0: all. */
void pq_sb_json_string(struct pq_sb *sb, const uint8_t *p, size_t n, size_t max);

/* A value as a JSON value for its column: numbers, true/false, strings
 * quoted; TIMESTAMP as ISO 8601 ("2025-01-01T00:00:00.004000Z"), DATE as
 * "YYYY-MM-DD", TIME as "HH:MM:SS.fff", binary without a string annotation
 * as hex "0x..". Strings longer than max characters are cut (max 0: never).
 * null for a null. PQ_FMT_BARE_TIME: dates and times without the quotes. */
#define PQ_FMT_BARE_TIME 1
void pq_format_value(struct pq_sb *sb, const struct pq_leaf *leaf, const struct pq_value *v,
                     size_t max, int flags);
/* Decodes a statistics value (PLAIN, no length prefix) of the leaf's type.
 * Returns 0, or -1 when its length does not fit the type. */
int pq_stat_value(const struct pq_leaf *leaf, struct pq_bytes b, struct pq_value *out);

/* Names: "INT64", "SNAPPY", "RLE_DICTIONARY", "OPTIONAL"; "?(n)" written
 * to buf (16 bytes) for values without a name. */
const char *pq_type_name(int32_t t, char *buf);
const char *pq_codec_name(int32_t c, char *buf);
const char *pq_encoding_name(int32_t e, char *buf);
const char *pq_repetition_name(int32_t r, char *buf);
/* "TIMESTAMP(MICROS, UTC)", "STRING", "DECIMAL(10,2)", ... from the logical
 * type or else the converted type; "" when neither is set. */
void pq_logical_text(const struct pq_schema_elem *e, char *buf, size_t cap);

#endif
