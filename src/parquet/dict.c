/* Column dictionary: open addressing over a half-full power-of-two table. */
#include "parquet/dict.h"

#define MUL1 0x9e3779b97f4a7c15ull /* 2^64 / golden ratio, odd */
#define MUL2 0xff51afd7ed558ccdull

/* Final avalanche: every input bit reaches the low bits (the slot) and the
 * high 32 (the tag). */
static inline uint64_t hash_finish(uint64_t h)
{
    h ^= h >> 32;
    h *= MUL1;
    h ^= h >> 29;
    return h;
}

/* Multiply-xorshift over 8-byte little-endian words, the length folded in
 * first. The last 1..8 bytes become one word (overlapping reads for 4..8,
 * first/middle/last byte for 1..3) that, for a given length, still
 * determines every tail byte. */
static inline uint64_t hash_bytes(const uint8_t *p, size_t len)
{
    uint64_t h = (uint64_t)len * MUL1, w;
    while (len > 8) {
        h = (h ^ floe_get_le64(p)) * MUL2;
        h ^= h >> 31;
        p += 8;
        len -= 8;
    }
    if (len >= 4)
        w = floe_get_le32(p) | ((uint64_t)floe_get_le32(p + len - 4) << 32);
    else if (len > 0)
        w = (uint64_t)p[0] | ((uint64_t)p[len >> 1] << 8) | ((uint64_t)p[len - 1] << 16);
    else
        w = 0;
    return hash_finish((h ^ w) * MUL2);
}

static inline uint64_t hash_fixed(uint64_t v)
{
    return hash_finish(v * MUL2);
}

/* Equality of short byte strings without a libc call: whole words, the last
 * one overlapping (most dictionary values are ids of 8..32 bytes). */
static inline int bytes_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    size_t i;
    if (len >= 8) {
        for (i = 0; i + 8 < len; i += 8)
            if (floe_get_le64(a + i) != floe_get_le64(b + i))
                return 0;
        return floe_get_le64(a + len - 8) == floe_get_le64(b + len - 8);
    }
    if (len >= 4)
        return floe_get_le32(a) == floe_get_le32(b) &&
               floe_get_le32(a + len - 4) == floe_get_le32(b + len - 4);
    for (i = 0; i < len; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* A FIXED slot holds the entry's index + 1: 16 bits while that fits (half
 * the table, and half its cache and RSS, for every dictionary up to 65,535
 * entries), else 32. A BYTES slot also carries 32 bits of the hash. */
static unsigned slot_size(enum floe_dict_kind kind, uint32_t max_entries)
{
    if (kind == FLOE_DICT_BYTES)
        return (unsigned)sizeof(struct floe_dict_slot);
    return max_entries <= 0xffffu ? 2u : 4u;
}

static int dict_carve(struct floe_dict *d, struct floe_arena *a, enum floe_dict_kind kind,
                      uint32_t max_entries, size_t max_bytes)
{
    uint32_t slots = 2;
    size_t cap;
    void *p;
    FLOE_FAIL_IF(max_entries == 0 || max_entries > FLOE_DICT_MAX_ENTRIES, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(kind != FLOE_DICT_FIXED4 && kind != FLOE_DICT_FIXED8 && kind != FLOE_DICT_BYTES,
                 FLOE_ERR_INVAL);
    FLOE_FAIL_IF(kind == FLOE_DICT_BYTES && floe_over_u32(max_bytes), FLOE_ERR_INVAL);
    while (slots < 2u * max_entries)
        slots <<= 1;
    floe_memset(d, 0, sizeof *d);
    d->kind = kind;
    d->width = kind == FLOE_DICT_FIXED4 ? 4u : kind == FLOE_DICT_FIXED8 ? 8u : 0u;
    d->max_entries = max_entries;
    d->max_bytes = max_bytes;
    d->slot_mask = slots - 1u;
    d->slot_size = slot_size(kind, max_entries);
    FLOE_FAIL_IF((uint64_t)slots * d->slot_size > SIZE_MAX, FLOE_ERR_NOMEM);
    FLOE_TRY(floe_arena_take(a, (size_t)slots * d->slot_size, 8, &p));
    d->table = p;
    if (kind == FLOE_DICT_BYTES) {
        /* Offsets and values are written before they are read: taken raw,
         * their pages stay untouched until entries come. */
        FLOE_TRY(floe_arena_take_raw(a, ((size_t)max_entries + 1u) * sizeof(uint32_t), 4, &p));
        d->offsets = (uint32_t *)p;
        if (p != NULL)
            d->offsets[0] = 0;
        FLOE_TRY(floe_arena_take_raw(a, max_bytes, 8, &p));
        d->data = p;
        d->cap_entries = max_entries;
    } else {
        cap = max_bytes / d->width;
        d->cap_entries = cap < max_entries ? (uint32_t)cap : max_entries;
        FLOE_TRY(floe_arena_take_raw(a, (size_t)d->cap_entries * d->width, 8, &p));
        d->data = p;
    }
    return FLOE_OK;
}

size_t floe_dict_size(enum floe_dict_kind kind, uint32_t max_entries, size_t max_bytes)
{
    struct floe_arena count;
    struct floe_dict d;
    floe_arena_init_counting(&count);
    if (dict_carve(&d, &count, kind, max_entries, max_bytes) != FLOE_OK)
        return 0;
    return count.used;
}

int floe_dict_init(struct floe_dict *d, struct floe_arena *arena, enum floe_dict_kind kind,
                   uint32_t max_entries, size_t max_bytes)
{
    size_t mark;
    int err;
    FLOE_FAIL_IF(d == NULL || arena == NULL, FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    err = dict_carve(d, arena, kind, max_entries, max_bytes);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        floe_memset(d, 0, sizeof *d);
        return err;
    }
    if (floe_arena_counting(arena)) {
        /* Sizes only: nothing to insert into. */
        d->cap_entries = 0;
    }
    return FLOE_OK;
}

void floe_dict_region(const struct floe_dict *d, uint8_t **start, size_t *len)
{
    const uint8_t *end;
    *start = NULL;
    *len = 0;
    if (d == NULL || d->table == NULL)
        return;
    /* dict_carve takes the table, [offsets,] data in that order. */
    end = (const uint8_t *)d->data + (d->kind == FLOE_DICT_BYTES ? d->max_bytes : (size_t)d->cap_entries * d->width);
    *start = (uint8_t *)d->table;
    *len = (size_t)(end - *start);
}

void floe_dict_moved(struct floe_dict *d, uint8_t *start)
{
    uint8_t *old = (uint8_t *)d->table;
    d->table = start;
    if (d->offsets != NULL)
        d->offsets = (uint32_t *)(void *)(start + ((uint8_t *)d->offsets - old));
    d->data = start + ((uint8_t *)d->data - old);
}

void floe_dict_reset(struct floe_dict *d)
{
    if (d == NULL || d->table == NULL)
        return;
    floe_memset(d->table, 0, ((size_t)d->slot_mask + 1u) * d->slot_size);
    d->count = 0;
    d->bytes = 0;
}

/* Whether one more entry of len bytes would break the budget. */
static int dict_limit(const struct floe_dict *d, size_t len)
{
    return d->count >= d->cap_entries || len > d->max_bytes - d->bytes;
}

/* Inlined into each entry point: a second call per value costs more than
 * the probe. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int insert_fixed(struct floe_dict *d, uint64_t v, uint32_t *index)
{
    uint32_t i = (uint32_t)hash_fixed(v) & d->slot_mask;
    uint16_t *narrow = (uint16_t *)d->table;
    uint32_t *wide = (uint32_t *)d->table;
    int is_narrow = d->slot_size == 2u;
    for (;;) {
        uint32_t e1 = is_narrow ? narrow[i] : wide[i];
        uint64_t got;
        if (e1 == 0)
            break;
        got = d->width == 4 ? ((const uint32_t *)d->data)[e1 - 1u] : ((const uint64_t *)d->data)[e1 - 1u];
        if (got == v) {
            *index = e1 - 1u;
            return FLOE_OK;
        }
        i = (i + 1u) & d->slot_mask;
    }
    if (dict_limit(d, d->width))
        return FLOE_ERR_LIMIT;
    if (d->width == 4)
        ((uint32_t *)d->data)[d->count] = (uint32_t)v;
    else
        ((uint64_t *)d->data)[d->count] = v;
    d->bytes += d->width;
    ++d->count;
    if (is_narrow)
        narrow[i] = (uint16_t)d->count;
    else
        wide[i] = d->count;
    *index = d->count - 1u;
    return FLOE_OK;
}

int floe_dict_insert_u32(struct floe_dict *d, uint32_t v, uint32_t *index)
{
    FLOE_FAIL_IF(d == NULL || index == NULL || d->kind != FLOE_DICT_FIXED4 || d->table == NULL,
                 FLOE_ERR_INVAL);
    return insert_fixed(d, v, index);
}

int floe_dict_insert_u64(struct floe_dict *d, uint64_t v, uint32_t *index)
{
    FLOE_FAIL_IF(d == NULL || index == NULL || d->kind != FLOE_DICT_FIXED8 || d->table == NULL,
                 FLOE_ERR_INVAL);
    return insert_fixed(d, v, index);
}

int floe_dict_insert(struct floe_dict *d, const void *value, size_t len, uint32_t *index)
{
    const uint8_t *v = (const uint8_t *)value;
    struct floe_dict_slot *slots;
    uint8_t *data;
    uint64_t h;
    uint32_t tag, i;
    FLOE_FAIL_IF(d == NULL || index == NULL || d->table == NULL || (v == NULL && len != 0),
                 FLOE_ERR_INVAL);
    if (d->kind != FLOE_DICT_BYTES) {
        FLOE_FAIL_IF(len != d->width, FLOE_ERR_INVAL);
        return insert_fixed(d, d->width == 4 ? floe_get_le32(v) : floe_get_le64(v), index);
    }
    h = hash_bytes(v, len);
    tag = (uint32_t)(h >> 32);
    i = (uint32_t)h & d->slot_mask;
    slots = (struct floe_dict_slot *)d->table;
    data = (uint8_t *)d->data;
    for (;;) {
        uint32_t e1 = slots[i].index1;
        if (e1 == 0)
            break;
        if (slots[i].tag == tag) {
            uint32_t off = d->offsets[e1 - 1u];
            if (d->offsets[e1] - off == len && bytes_equal(data + off, v, len)) {
                *index = e1 - 1u;
                return FLOE_OK;
            }
        }
        i = (i + 1u) & d->slot_mask;
    }
    if (dict_limit(d, len))
        return FLOE_ERR_LIMIT;
    if (len != 0)
        floe_memcpy(data + d->bytes, v, len);
    d->bytes += len;
    d->offsets[d->count + 1u] = (uint32_t)d->bytes;
    slots[i].tag = tag;
    slots[i].index1 = ++d->count;
    *index = d->count - 1u;
    return FLOE_OK;
}

size_t floe_dict_plain_bytes(const struct floe_dict *d)
{
    if (d == NULL)
        return 0;
    if (d->kind == FLOE_DICT_BYTES)
        return d->bytes + 4u * (size_t)d->count;
    return (size_t)d->count * d->width;
}

unsigned floe_dict_index_bit_width(const struct floe_dict *d)
{
    return d == NULL || d->count <= 1 ? 0u : floe_bit_width(d->count - 1u);
}

int floe_dict_get_bytes(const struct floe_dict *d, uint32_t index, const uint8_t **value,
                        size_t *len)
{
    FLOE_FAIL_IF(d == NULL || value == NULL || len == NULL || d->kind != FLOE_DICT_BYTES ||
                     index >= d->count,
                 FLOE_ERR_INVAL);
    *value = (const uint8_t *)d->data + d->offsets[index];
    *len = d->offsets[index + 1u] - d->offsets[index];
    return FLOE_OK;
}

uint64_t floe_dict_get_fixed(const struct floe_dict *d, uint32_t index)
{
    if (d == NULL || d->kind == FLOE_DICT_BYTES || index >= d->count)
        return 0;
    return d->width == 4 ? ((const uint32_t *)d->data)[index] : ((const uint64_t *)d->data)[index];
}

int floe_dict_write_plain(const struct floe_dict *d, struct floe_buf *out)
{
    uint8_t *at;
    uint32_t i;
    FLOE_FAIL_IF(d == NULL || out == NULL, FLOE_ERR_INVAL);
    at = floe_buf_reserve(out, floe_dict_plain_bytes(d));
    if (at == NULL)
        return out->err;
    for (i = 0; i < d->count; i++) {
        if (d->kind == FLOE_DICT_BYTES) {
            uint32_t off = d->offsets[i], len = d->offsets[i + 1u] - off;
            floe_put_le32(at, len);
            if (len != 0)
                floe_memcpy(at + 4, (const uint8_t *)d->data + off, len);
            at += 4u + len;
        } else if (d->width == 4) {
            floe_put_le32(at, ((const uint32_t *)d->data)[i]);
            at += 4;
        } else {
            floe_put_le64(at, ((const uint64_t *)d->data)[i]);
            at += 8;
        }
    }
    return out->err;
}
