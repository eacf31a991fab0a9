/* floe: the NDJSON decoder. Bytes in (plain or zstd-compressed, in chunks of
 * any size), typed rows out, bad records to a dead-letter callback; in memory
 * fixed at setup.
 *
 *     struct floe_ndjson_config cfg = {0};      zero means defaults
 *     cfg.schema = &schema; cfg.on_row = my_row; cfg.on_dead_letter = my_dl;
 *     size_t need = floe_ndjson_size(&cfg);
 *     floe_ndjson_init(&dec);
 *     floe_ndjson_setup(&dec, &cfg, &arena);    arena holds >= need bytes
 *     floe_ndjson_begin(&dec, "sensors-01.ndjson.zst");
 *     floe_ndjson_push(&dec, buf, n);           as often as bytes arrive
 *     floe_ndjson_end(&dec);                    the last line, truncation check
 */
#ifndef FLOE_NDJSON_H
#define FLOE_NDJSON_H

#include <stddef.h>
#include <stdint.h>
#include "floe/arena.h"
#include "floe/schema.h"
#include "floe/port.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLOE_NDJSON_DEFAULT_MAX_LINE 65536u
#define FLOE_NDJSON_DEFAULT_MAX_TOKENS 1024u /* a 255-column record with room to spare */
#define FLOE_NDJSON_DEFAULT_MAX_DEPTH 32u
#define FLOE_NDJSON_DEFAULT_WINDOW_LOG 21u /* 2 MiB: what `zstd -1..-12` writes */
#define FLOE_NDJSON_DEFAULT_DL_RAW 1024u

/** Why a record went to the dead letters. Values are stable (they are
 *  persisted in dead-letter files). */
enum floe_dl_reason {
    FLOE_DL_MALFORMED_JSON = 1, /* not one RFC 8259 JSON text */
    FLOE_DL_LINE_TOO_LONG,      /* longer than max_line_bytes */
    FLOE_DL_TOO_DEEP,           /* nesting beyond max_depth */
    FLOE_DL_TOO_MANY_TOKENS,    /* more than max_tokens values */
    FLOE_DL_BAD_UTF8,           /* invalid UTF-8 or a lone surrogate */
    FLOE_DL_NOT_OBJECT,         /* the line is valid JSON but not an object */
    FLOE_DL_DUPLICATE_KEY,      /* a key appears twice in one object */
    FLOE_DL_MISSING_FIELD,      /* a required column is missing or null */
    FLOE_DL_WRONG_TYPE,         /* a value does not fit its column's type */
    FLOE_DL_OUT_OF_RANGE,       /* a number too large for its column */
    FLOE_DL_BAD_TIMESTAMP,      /* a timestamp or date that does not parse */
    FLOE_DL_TRUNCATED_INPUT,    /* the input ended inside a zstd frame */
    FLOE_DL_BAD_COMPRESSION,    /* corrupt zstd data, or a window too large */
    FLOE_DL_REJECTED,           /* the row callback refused the row (FLOE_ROW_REJECT) */
    FLOE_DL__COUNT
};

/** One value of a decoded row. Strings point into decoder memory that stays
 *  valid until the row callback returns. */
struct floe_value {
    union {
        int64_t i64; /* int32/int64/timestamps; date in days */
        double f64;
        float f32;
        int b;
        struct {
            const char *ptr;
            uint32_t len;
        } str;
    } v;
    uint8_t is_null;
};

struct floe_row {
    const struct floe_value *values; /* one per column, then _extra if enabled */
    size_t n_values;
    const char *source;
    uint32_t source_seq; /* changes with each source the decoder starts: a name
                          * buffer reused for every source is still told apart */
    uint64_t line;   /* 1-based line number in the (decompressed) source */
    uint64_t offset; /* byte offset of the line in the decompressed source */
    char *reject_reason;        /* a callback returning FLOE_ROW_REJECT may say */
    size_t reject_reason_size;  /* why here (NUL-terminated; empty: a generic text) */
};

struct floe_dead_letter {
    int reason;            /* enum floe_dl_reason */
    const char *reason_text; /* human-readable, names the field where known */
    const char *source;
    uint64_t line;
    uint64_t offset;       /* of the line, in the decompressed source */
    const char *raw;       /* the line, truncated to dl_raw_max bytes */
    size_t raw_len;
    size_t line_len;       /* the line's full length in the source */
    int truncated;         /* raw is cut short of the record (the line without
                            * a leading byte order mark or its CR) */
};

/** Row and dead-letter callbacks return FLOE_OK, or a negative error that
 *  stops the push and is returned from it. A row callback may also return
 *  FLOE_ROW_REJECT: the line then goes to the dead letters (reason
 *  FLOE_DL_REJECTED, with the text it put in row->reject_reason) and the
 *  stream carries on. */
#define FLOE_ROW_REJECT 1
typedef int (*floe_row_cb)(void *ctx, const struct floe_row *row);
typedef int (*floe_dead_letter_cb)(void *ctx, const struct floe_dead_letter *dl);

struct floe_ndjson_config {
    const struct floe_schema *schema; /* NULL: validate only, rows have no values */
    floe_row_cb on_row;
    floe_dead_letter_cb on_dead_letter;
    void *cb_ctx;
    uint32_t max_line_bytes; /* 0: FLOE_NDJSON_DEFAULT_MAX_LINE */
    uint32_t max_tokens;     /* 0: FLOE_NDJSON_DEFAULT_MAX_TOKENS */
    uint32_t max_depth;      /* 0: FLOE_NDJSON_DEFAULT_MAX_DEPTH */
    uint32_t zstd_window_log; /* 0: default; 10..27; larger frames are rejected */
    uint32_t dl_raw_max;     /* 0: FLOE_NDJSON_DEFAULT_DL_RAW */
    int no_zstd;             /* nonzero: no zstd context (saves its memory) */
    const struct floe_log_port *log;
};

struct floe_ndjson_stats {
    uint64_t bytes_in;       /* as pushed (compressed, if zstd) */
    uint64_t bytes_decoded;  /* NDJSON bytes after decompression */
    uint64_t lines;          /* non-blank lines seen */
    uint64_t records_ok;
    uint64_t dead_letters;
    uint64_t dead_by_reason[FLOE_DL__COUNT];
};

struct floe_ndjson_state; /* internals, carved from the arena */

struct floe_ndjson {
    struct floe_ndjson_state *st;
    struct floe_ndjson_stats stats;
};

/** @brief Arena bytes setup() takes for @p cfg (0 if cfg is invalid). */
size_t floe_ndjson_size(const struct floe_ndjson_config *cfg);

/** @brief Zeroes the handle (never fails). */
void floe_ndjson_init(struct floe_ndjson *dec);

/**
 * @brief Carves the decoder from @p arena. The config (and its schema) must
 * outlive the decoder.
 * @return FLOE_OK; FLOE_ERR_INVAL for a bad config or schema; FLOE_ERR_NOMEM.
 */
int floe_ndjson_setup(struct floe_ndjson *dec, const struct floe_ndjson_config *cfg,
                      struct floe_arena *arena);

/** @brief Starts a new source (line numbers restart; zstd is detected anew).
 *  @p name is kept by reference for rows and dead letters. */
int floe_ndjson_begin(struct floe_ndjson *dec, const char *name);

/**
 * @brief Starts a source part-way: its first @p offset decompressed bytes
 * (@p line lines) were already consumed. With @p skip nonzero the input is
 * given from its start and those bytes are decoded but not parsed (zstd
 * sources cannot seek); with @p skip zero the input given starts at @p offset.
 */
int floe_ndjson_begin_at(struct floe_ndjson *dec, const char *name, uint64_t offset, uint64_t line, int skip);

/** @brief Where the next complete line starts (decompressed offset) and how
 *  many lines are complete; inside a callback, the line given is counted.
 *  Before setup both are 0. */
void floe_ndjson_tell(const struct floe_ndjson *dec, uint64_t *offset, uint64_t *line);

/**
 * @brief Feeds bytes of the current source. Complete lines are decoded and
 * delivered through the callbacks before it returns.
 * @return FLOE_OK, or the first negative value a callback returned (the
 *         line that callback was given counts as delivered).
 */
int floe_ndjson_push(struct floe_ndjson *dec, const void *data, size_t n);

/** @brief Ends the source: a final line without a newline is a record; a
 *  truncated zstd frame is a dead letter. */
int floe_ndjson_end(struct floe_ndjson *dec);

/** @brief Frees nothing (there is no heap); zeroes the handle. */
void floe_ndjson_free(struct floe_ndjson *dec);

/** @brief A short stable name of a reason: "malformed_json", ... */
const char *floe_dl_reason_name(int reason);

/** @brief The length of the longest prefix of s[0..n) made of whole, valid
 *  UTF-8 characters (RFC 3629: no overlong forms, surrogates or code points
 *  past U+10FFFF), as the decoder checks strings. n when all of it is. */
size_t floe_utf8_prefix(const char *s, size_t n);

/** @brief How to put dl->raw in a JSON dead-letter record without changing
 *  it. Returns how many bytes of raw to write as text (JSON strings are
 *  UTF-8): all of them, or all but a character that the raw_max cut split.
 *  Returns (size_t)-1 when raw is not UTF-8: write each byte as the code
 *  point of the same value (\u0080..\u00ff above 0x7f) and say
 *  "raw_encoding":"latin1", so the exact bytes can be recovered. */
size_t floe_dead_letter_raw_text_len(const struct floe_dead_letter *dl);

/* ---- one JSON text, for `floe json-validate` and config files ---------- */

/**
 * @brief Checks that text[0..n) is exactly one RFC 8259 JSON text, using
 * @p work bytes of scratch for tokens (floe_json_validate_work(max_tokens,
 * max_depth) bytes). On rejection, @p why gets a reason.
 * @return FLOE_OK; FLOE_ERR_MALFORMED, FLOE_ERR_LIMIT (too deep / too many
 *         tokens) with @p why set.
 */
int floe_json_validate_text(const char *text, size_t n, void *work, size_t work_size,
                            uint32_t max_tokens, uint32_t max_depth, const char **why,
                            size_t *where);
size_t floe_json_validate_work(uint32_t max_tokens, uint32_t max_depth);

#ifdef __cplusplus
}
#endif
#endif
