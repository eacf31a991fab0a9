/* The dictionary of one column chunk: distinct values in first-seen order,
 * each with a dense uint32 index for RLE_DICTIONARY data pages.
 *
 * All memory is carved from an arena at init, sized by a budget: at most
 * max_entries values and max_bytes bytes of stored values. An insert that
 * would exceed either returns FLOE_ERR_LIMIT and changes nothing, so the
 * caller can write the dictionary page from what is there and fall back to
 * PLAIN for the rest of the chunk. floe_dict_reset() empties it for the next
 * row group.
 *
 * Lookup is open addressing with linear probing over a power-of-two table
 * kept at most half full. A BYTES slot carries 32 bits of the hash, so a
 * probe only compares strings whose hashes agree; a FIXED slot is just the
 * entry's index (16 bits up to 65,535 entries), the value itself being as
 * cheap to compare as a tag.
 *
 *     struct floe_dict d;
 *     size_t need = floe_dict_size(FLOE_DICT_BYTES, 4096, 64 * 1024);
 *     ... an arena of at least need bytes ...
 *     floe_dict_init(&d, &arena, FLOE_DICT_BYTES, 4096, 64 * 1024);
 *     if (floe_dict_insert(&d, s, len, &idx) == FLOE_ERR_LIMIT) ... PLAIN
 */
#ifndef FLOE_PARQUET_DICT_H
#define FLOE_PARQUET_DICT_H

#include "floe/arena.h"
#include "parquet/encoding.h"

enum floe_dict_kind {
    FLOE_DICT_FIXED4 = 1, /* INT32, FLOAT (by bits), FIXED_LEN_BYTE_ARRAY(4) */
    FLOE_DICT_FIXED8 = 2, /* INT64, DOUBLE (by bits), FIXED_LEN_BYTE_ARRAY(8) */
    FLOE_DICT_BYTES = 3   /* BYTE_ARRAY */
};

/* The largest max_entries accepted (keeps the table size in 32 bits). */
#define FLOE_DICT_MAX_ENTRIES (1u << 28)

struct floe_dict_slot {
    uint32_t tag;    /* high 32 bits of the value's hash */
    uint32_t index1; /* entry index + 1; 0 marks an empty slot */
};

struct floe_dict {
    void *table;         /* BYTES: struct floe_dict_slot[]; FIXED: uint32_t index + 1 */
    uint32_t *offsets;   /* BYTES: entry i is data[offsets[i] .. offsets[i + 1]) */
    void *data;          /* BYTES: the values back to back; FIXED: uint32_t/uint64_t[] */
    size_t max_bytes;    /* budget of stored value bytes */
    size_t bytes;        /* stored value bytes */
    uint32_t slot_mask;  /* slots - 1 */
    uint32_t max_entries;
    uint32_t cap_entries; /* entries that fit both budgets */
    uint32_t count;
    enum floe_dict_kind kind;
    unsigned width;      /* 4 or 8; 0 for BYTES */
    unsigned slot_size;  /* bytes per table slot: 8 for BYTES; FIXED 2 (up to 65,535 entries) or 4 */
};

/**
 * @brief Arena bytes floe_dict_init() takes for this budget, or 0 for an
 * invalid one (max_entries 0 or above FLOE_DICT_MAX_ENTRIES; for BYTES,
 * max_bytes above UINT32_MAX). The table (load <= 0.5, a power of two):
 * 16 to 32 bytes per entry for BYTES (8-byte slots), 4 to 8 for FIXED
 * (2-byte slots; 8 to 16 past 65,535 entries); plus 4 per entry of offsets
 * and max_bytes of values for BYTES, or width per entry for FIXED.
 */
size_t floe_dict_size(enum floe_dict_kind kind, uint32_t max_entries, size_t max_bytes);

/** @brief Carves the dictionary from @p arena. FLOE_ERR_NOMEM when the arena
 *  is short (it is left as it was), FLOE_ERR_INVAL for a bad budget. */
int floe_dict_init(struct floe_dict *d, struct floe_arena *arena, enum floe_dict_kind kind,
                   uint32_t max_entries, size_t max_bytes);

/**
 * @brief Finds @p value or adds it, and sets *index to its entry index.
 * For FIXED4/FIXED8, @p value is the 4/8-byte PLAIN (little-endian) form and
 * @p len must be 4/8. Values compare by bytes (so 0.0 and -0.0 differ, and
 * a NaN equals the same NaN bits).
 * @return FLOE_OK; FLOE_ERR_LIMIT when a new value would exceed max_entries or
 * max_bytes (the dictionary is unchanged); FLOE_ERR_INVAL for bad arguments.
 */
int floe_dict_insert(struct floe_dict *d, const void *value, size_t len, uint32_t *index);

/** @brief FIXED4 / FIXED8 by value (int32 or float bits, int64 or double bits):
 *  no byte-order conversion for the caller. Same results as floe_dict_insert. */
int floe_dict_insert_u32(struct floe_dict *d, uint32_t v, uint32_t *index);
int floe_dict_insert_u64(struct floe_dict *d, uint64_t v, uint32_t *index);

/** @brief Empties the dictionary (the next row group); the budget stays. */
void floe_dict_reset(struct floe_dict *d);

/** @brief Entries so far; indices are 0 .. count - 1 in insertion order. */
static inline uint32_t floe_dict_count(const struct floe_dict *d)
{
    return d != NULL ? d->count : 0;
}

/** @brief Size of the PLAIN dictionary page body: count * width, or for BYTES
 *  the stored bytes plus 4 per entry. */
size_t floe_dict_plain_bytes(const struct floe_dict *d);

/** @brief Bit width of the indices of a data page written now:
 *  floe_bit_width(count - 1), 0 for a dictionary of 0 or 1 entries. */
unsigned floe_dict_index_bit_width(const struct floe_dict *d);

/** @brief BYTES entry @p index: a pointer into the dictionary and its length.
 *  FLOE_ERR_INVAL for an index out of range or another kind. */
int floe_dict_get_bytes(const struct floe_dict *d, uint32_t index, const uint8_t **value,
                        size_t *len);

/** @brief FIXED4/FIXED8 entry @p index as an integer (0 when out of range). */
uint64_t floe_dict_get_fixed(const struct floe_dict *d, uint32_t index);

/** @brief The arena bytes the dictionary's tables occupy, one block from
 *  the first to the end of the last (NULL/0 when it was never carved). */
void floe_dict_region(const struct floe_dict *d, uint8_t **start, size_t *len);

/** @brief Points the dictionary at its tables after the caller moved the
 *  whole region (by a multiple of 8 bytes) to @p start. */
void floe_dict_moved(struct floe_dict *d, uint8_t *start);

/** @brief Appends the PLAIN dictionary page body (floe_dict_plain_bytes()
 *  bytes, entries in index order) to @p out. Returns out->err. */
int floe_dict_write_plain(const struct floe_dict *d, struct floe_buf *out);

#endif
