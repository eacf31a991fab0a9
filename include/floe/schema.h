/* floe: the schema that maps JSON records to typed columns.
 *
 * A column names a JSON path (nested objects addressed with dots, e.g.
 * "tags.site"), a type and whether null/missing is allowed. The schema is given
 * in code or parsed from a JSON file:
 *
 *   {"columns":[{"name":"ts","type":"timestamp_us","path":"ts","nullable":false},
 *               {"name":"seq","type":"int64"}, ...],
 *    "extra": true}
 *
 * "path" defaults to "name"; "nullable" defaults to true; "epoch_unit" ("s",
 * "ms", "us") lets a timestamp column take epoch numbers as well as RFC 3339
 * strings: a number is rounded once to the column's unit, half away from
 * zero (as SQL's round()); a string's extra fraction digits are cut off, as
 * RFC 3339 readers do. Either form must name an instant of years 0000 to
 * 9999 UTC (else the record is an out_of_range or bad_timestamp dead
 * letter). With "extra": true, fields the schema does not name are kept as
 * compact JSON text in a trailing string column "_extra", nested as in the
 * input ({"tags":{"zone":1}} for an unknown field beside "tags.site").
 * A "json" column takes whatever value its path holds (object, array,
 * string, number, boolean) as that value's text with the whitespace
 * between tokens taken out, all else as written; JSON null is NULL. */
#ifndef FLOE_SCHEMA_H
#define FLOE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include "floe/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

enum floe_type {
    FLOE_TYPE_BOOL = 0,
    FLOE_TYPE_INT32,
    FLOE_TYPE_INT64,
    FLOE_TYPE_FLOAT,
    FLOE_TYPE_DOUBLE,
    FLOE_TYPE_STRING,
    FLOE_TYPE_TIMESTAMP_MS, /* stored as int64 milliseconds since the epoch, UTC */
    FLOE_TYPE_TIMESTAMP_US, /* stored as int64 microseconds since the epoch, UTC */
    FLOE_TYPE_DATE,         /* stored as int32 days since the epoch */
    FLOE_TYPE_JSON,         /* any JSON value, as its compact text (Parquet JSON) */
    FLOE_TYPE__COUNT
};

enum floe_epoch_unit {
    FLOE_EPOCH_NONE = 0, /* timestamps must be RFC 3339 strings */
    FLOE_EPOCH_S,
    FLOE_EPOCH_MS,
    FLOE_EPOCH_US
};

/* Limits that keep a schema's memory and the footer bounded. */
#define FLOE_SCHEMA_MAX_COLUMNS 256
#define FLOE_SCHEMA_MAX_NAME 128 /* bytes of a column name or path */
#define FLOE_SCHEMA_MAX_PATH_DEPTH 8
#define FLOE_EXTRA_COLUMN_NAME "_extra"

struct floe_column {
    const char *name; /* Parquet column name (UTF-8) */
    const char *path; /* JSON path, dot-separated; NULL means name */
    uint8_t type;     /* enum floe_type */
    uint8_t nullable; /* nonzero: missing or null becomes NULL */
    uint8_t epoch_unit; /* enum floe_epoch_unit, timestamp columns only */
};

struct floe_schema {
    const struct floe_column *columns;
    size_t n_columns;
    int extra; /* keep unnamed fields as JSON text in "_extra" */
};

/** @brief "bool", "int32", ... ; NULL for an unknown type. */
const char *floe_type_name(int type);
/** @brief The type named by text[0..n), or a negative error. */
int floe_type_from_name(const char *text, size_t n);

/**
 * @brief Checks a schema: names non-empty and unique, paths well-formed and
 * not prefixes of one another ("tags" and "tags.site" conflict), types known,
 * limits kept. @return FLOE_OK or FLOE_ERR_INVAL (see @p why).
 */
int floe_schema_check(const struct floe_schema *schema, const char **why);

/**
 * @brief Parses a schema file's text (strict JSON) into @p out, with columns
 * and strings carved from @p arena. On error, @p why (if not NULL) gets a
 * message that names the column or key at fault.
 * @return FLOE_OK, FLOE_ERR_MALFORMED (not JSON / wrong shape), FLOE_ERR_INVAL
 *         (bad values), FLOE_ERR_NOMEM (arena short).
 */
int floe_schema_parse(const char *text, size_t n, struct floe_arena *arena,
                      struct floe_schema *out, char *why, size_t why_cap);

#ifdef __cplusplus
}
#endif
#endif
