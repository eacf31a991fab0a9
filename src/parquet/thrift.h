/* Thrift compact protocol: the encoding of Parquet's page headers and footer.
 *
 * Writer: appends to a caller buffer with a sticky error, so a sequence of
 * calls needs one check at the end (floe_thrift_writer_finish). The implicit
 * top-level struct is open from init until finish, which writes its STOP.
 * A writer with buf NULL only counts bytes (sizing).
 *
 * Reader: parses untrusted bytes with explicit bounds; every failure is
 * FLOE_ERR_MALFORMED (bytes no encoder produces) or FLOE_ERR_LIMIT (nesting
 * deeper than FLOE_THRIFT_MAX_DEPTH) and is sticky too. Skipping and dumping
 * use an explicit bounded stack, never recursion. */
#ifndef FLOE_PARQUET_THRIFT_H
#define FLOE_PARQUET_THRIFT_H

#include <stddef.h>
#include <stdint.h>

/* Open containers at once, counting the top-level struct and each list, set,
 * map and struct inside it. A Parquet footer needs 8. */
#define FLOE_THRIFT_MAX_DEPTH 16

/* Compact type codes, as found in field headers and list headers. */
enum floe_thrift_type {
    FLOE_THRIFT_STOP = 0,
    FLOE_THRIFT_BOOL_TRUE = 1,
    FLOE_THRIFT_BOOL_FALSE = 2,
    FLOE_THRIFT_I8 = 3,
    FLOE_THRIFT_I16 = 4,
    FLOE_THRIFT_I32 = 5,
    FLOE_THRIFT_I64 = 6,
    FLOE_THRIFT_DOUBLE = 7,
    FLOE_THRIFT_BINARY = 8,
    FLOE_THRIFT_LIST = 9,
    FLOE_THRIFT_SET = 10,
    FLOE_THRIFT_MAP = 11,
    FLOE_THRIFT_STRUCT = 12,
    FLOE_THRIFT_UUID = 13
};
/* Element type of list<bool>. The spec allows 1 or 2; 1 is what the C++,
 * Java and Rust libraries write (and all that older arrow-rs accepts). The
 * reader reports either as 1. */
#define FLOE_THRIFT_BOOL FLOE_THRIFT_BOOL_TRUE

/* ---- writer ------------------------------------------------------------- */

struct floe_thrift_writer {
    uint8_t *buf;   /* NULL: count only */
    size_t cap, len;
    int err;        /* first error (sticky), 0 while none */
    int depth;      /* innermost open frame; 0 = top-level struct, -1 = finished */
    int16_t last_id[FLOE_THRIFT_MAX_DEPTH];  /* struct frames: previous field id */
    uint8_t kind[FLOE_THRIFT_MAX_DEPTH];     /* struct or list */
    uint8_t elem[FLOE_THRIFT_MAX_DEPTH];     /* list frames: element type */
    uint32_t left[FLOE_THRIFT_MAX_DEPTH];    /* list frames: elements still due */
};

/* Errors (sticky, also returned by every writer call):
 *   FLOE_ERR_NOMEM  the buffer is full (nothing more is written)
 *   FLOE_ERR_LIMIT  more than FLOE_THRIFT_MAX_DEPTH open containers
 *   FLOE_ERR_STATE  a call out of order: a field inside a list, an element
 *                   of the wrong type or beyond the count, a list ended
 *                   before its count, struct_end with no struct open
 *   FLOE_ERR_RANGE  a binary or list longer than INT32_MAX
 *   FLOE_ERR_INVAL  a bad element type */
void floe_thrift_writer_init(struct floe_thrift_writer *w, uint8_t *buf, size_t cap);
/* Counts the bytes an encoding takes (buf NULL, cap SIZE_MAX). */
void floe_thrift_writer_init_counting(struct floe_thrift_writer *w);

/* Fields of the innermost open struct. Ids are written as a delta from the
 * previous field's id when that is 1..15, as a full i16 otherwise. */
int floe_thrift_write_bool(struct floe_thrift_writer *w, int16_t id, int v);
int floe_thrift_write_i8(struct floe_thrift_writer *w, int16_t id, int8_t v);
int floe_thrift_write_i16(struct floe_thrift_writer *w, int16_t id, int16_t v);
int floe_thrift_write_i32(struct floe_thrift_writer *w, int16_t id, int32_t v);
int floe_thrift_write_i64(struct floe_thrift_writer *w, int16_t id, int64_t v);
/* binary and string fields (p may be NULL when n is 0). */
int floe_thrift_write_binary(struct floe_thrift_writer *w, int16_t id, const void *p, size_t n);
int floe_thrift_write_string(struct floe_thrift_writer *w, int16_t id, const char *s);
/* A struct (or union: a struct with exactly one field) as a field. */
int floe_thrift_write_struct_begin(struct floe_thrift_writer *w, int16_t id);
/* Ends the innermost struct opened by struct_begin or elem_struct_begin. */
int floe_thrift_write_struct_end(struct floe_thrift_writer *w);
/* A list field of count elements of elem_type (FLOE_THRIFT_BOOL, _I32,
 * _I64, _BINARY, _STRUCT...). Exactly count element calls must follow, then
 * list_end. */
int floe_thrift_write_list_begin(struct floe_thrift_writer *w, int16_t id, int elem_type,
                                 uint32_t count);
int floe_thrift_write_list_end(struct floe_thrift_writer *w);
/* Elements of the innermost open list. */
int floe_thrift_write_elem_bool(struct floe_thrift_writer *w, int v);
int floe_thrift_write_elem_i32(struct floe_thrift_writer *w, int32_t v);
int floe_thrift_write_elem_i64(struct floe_thrift_writer *w, int64_t v);
int floe_thrift_write_elem_binary(struct floe_thrift_writer *w, const void *p, size_t n);
/* A struct element of a list<struct>: its fields follow, then struct_end. */
int floe_thrift_write_elem_struct_begin(struct floe_thrift_writer *w);
/* Writes the top-level STOP. Returns the encoding's length (bytes written,
 * or counted), or the sticky error; FLOE_ERR_STATE if a container is still
 * open. Calling it again returns the same. */
int floe_thrift_writer_finish(struct floe_thrift_writer *w);

/* ---- reader ------------------------------------------------------------- */

struct floe_thrift_reader {
    const uint8_t *p;
    size_t len, pos;
    int err;        /* first error (sticky), 0 while none */
    int depth;      /* innermost open struct; 0 = top-level struct */
    int16_t last_id[FLOE_THRIFT_MAX_DEPTH];
};

/* Reads the top-level struct of p[0..n). */
void floe_thrift_reader_init(struct floe_thrift_reader *r, const uint8_t *p, size_t n);
/* The next field of the innermost open struct: returns its type (and sets
 * *type when not NULL) and *id, or a negative error. FLOE_THRIFT_STOP (0)
 * ends the struct: the reader is back in the enclosing one. The caller then
 * reads the value with the function for that type, or skips it. */
int floe_thrift_read_field_header(struct floe_thrift_reader *r, int *type, int16_t *id);
/* A bool field's value is its header's type: no bytes are read.
 * FLOE_ERR_MALFORMED if type is not FLOE_THRIFT_BOOL_TRUE/_FALSE. */
int floe_thrift_read_bool(struct floe_thrift_reader *r, int type, int *v);
/* The value of a list<bool> element (one byte). */
int floe_thrift_read_elem_bool(struct floe_thrift_reader *r, int *v);
/* Integers, as fields or as list elements (the same encoding). */
int floe_thrift_read_i8(struct floe_thrift_reader *r, int8_t *v);
int floe_thrift_read_i16(struct floe_thrift_reader *r, int16_t *v);
int floe_thrift_read_i32(struct floe_thrift_reader *r, int32_t *v);
int floe_thrift_read_i64(struct floe_thrift_reader *r, int64_t *v);
/* A binary or string: *p points into the reader's buffer, *n <= bytes left. */
int floe_thrift_read_binary(struct floe_thrift_reader *r, const uint8_t **p, size_t *n);
/* The header of a list or set; the caller then reads *count elements.
 * *count is bounded by the bytes left (an element takes at least one). */
int floe_thrift_read_list_header(struct floe_thrift_reader *r, int *elem_type, uint32_t *count);
/* Enters a struct: after a FLOE_THRIFT_STRUCT field header, or for each
 * element of a list<struct>. Its fields are read until STOP. */
int floe_thrift_read_struct_begin(struct floe_thrift_reader *r);
/* Skips a field's value of the given type (from its field header), however
 * deeply nested. */
int floe_thrift_skip(struct floe_thrift_reader *r, int type);
/* Skips one list element of elem_type (a bool element is one byte). */
int floe_thrift_skip_elem(struct floe_thrift_reader *r, int elem_type);

/* ---- dump --------------------------------------------------------------- */

/* Prints the struct encoded at p[0..n) as indented lines (no newline), one
 * per value, e.g. "1: i32 = 2", "2: list<struct>[3]", "  [0] struct",
 * "    4: binary(6) \"schema\"". Long binaries are cut after 24 bytes with
 * "..."; other bytes than printable ASCII show as \xNN. emit may be NULL
 * (validate only). Returns the bytes the struct takes (trailing bytes are
 * not read) or a negative error; lines up to the error have been emitted. */
int floe_thrift_dump(const uint8_t *p, size_t n, void (*emit)(void *ctx, const char *line),
                     void *ctx);

/* The name of a type code ("i32", "list", ...; "?" if none). */
const char *floe_thrift_type_name(int type);

#endif
