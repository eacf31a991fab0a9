/* A window of rows written grouped by one column (see rowwin.h). */
#include "parquet/rowwin.h"
#include "core/internal.h"

#define ROW_HEADER 9u /* u32 length, u32 key id, u8 source index */
#define NULL_KEY 0xffffffffu
#define NO_SOURCE 0xffu
#define MIN_ROW_BYTES 32u /* rows are counted against this too: order[] stays cap/8 */
#define MAX_KEYS 4096u
#define KEY_BYTES_PER_KEY 64u
#define ROWS_AHEAD 8u

static uint32_t max_rows_of(size_t bytes)
{
    return (uint32_t)(bytes / MIN_ROW_BYTES);
}

static uint32_t max_keys_of(size_t bytes, uint32_t keys_cap)
{
    uint32_t rows = max_rows_of(bytes), cap = keys_cap != 0 && keys_cap < MAX_KEYS ? keys_cap : MAX_KEYS;
    return rows < cap ? rows : cap;
}

static int value_type(const struct floe_rowwin *w, uint32_t i)
{
    return i < w->schema->n_columns ? w->schema->columns[i].type : FLOE_TYPE_STRING; /* _extra */
}

/* Takes the window's memory; fills *w unless it is NULL (counting). */
static int carve(struct floe_arena *a, struct floe_rowwin *w, const struct floe_schema *sc, size_t bytes,
                 uint32_t keys_cap)
{
    uint32_t rows = max_rows_of(bytes), keys = max_keys_of(bytes, keys_cap);
    uint32_t n_values = (uint32_t)sc->n_columns + (sc->extra ? 1u : 0u);
    void *buf, *order, *count, *ids, *scratch, *values;
    struct floe_dict counted;
    FLOE_TRY(floe_arena_take_raw(a, bytes, 8, &buf));
    FLOE_TRY(floe_arena_take_raw(a, (size_t)rows * 4u, 4, &order));
    FLOE_TRY(floe_arena_take(a, (size_t)keys * 4u, 4, &count));
    FLOE_TRY(floe_arena_take_raw(a, (size_t)keys * 4u, 4, &ids));
    FLOE_TRY(floe_arena_take_raw(a, (size_t)keys * 4u, 4, &scratch));
    FLOE_TRY(floe_arena_take(a, (size_t)n_values * sizeof(struct floe_value), 8, &values));
    FLOE_TRY(floe_dict_init(w != NULL ? &w->keys : &counted, a, FLOE_DICT_BYTES, keys,
                            (size_t)keys * KEY_BYTES_PER_KEY));
    if (w == NULL)
        return FLOE_OK;
    w->buf = (uint8_t *)buf;
    w->order = (uint32_t *)order;
    w->count = (uint32_t *)count;
    w->ids = (uint32_t *)ids;
    w->scratch = (uint32_t *)scratch;
    w->values = (struct floe_value *)values;
    w->n_values = n_values;
    w->cap = bytes;
    w->max_rows = rows;
    return FLOE_OK;
}

static int request_ok(const struct floe_schema *sc, uint32_t key_col, size_t bytes)
{
    return sc != NULL && key_col < sc->n_columns && bytes >= FLOE_ROWWIN_MIN_BYTES && bytes <= (1u << 30);
}

size_t floe_rowwin_size(const struct floe_schema *schema, uint32_t key_col, size_t bytes)
{
    return floe_rowwin_size_keys(schema, key_col, bytes, 0);
}

size_t floe_rowwin_size_keys(const struct floe_schema *schema, uint32_t key_col, size_t bytes, uint32_t max_keys)
{
    struct floe_arena a;
    if (!request_ok(schema, key_col, bytes))
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, NULL, schema, bytes, max_keys) != FLOE_OK)
        return 0;
    return a.used;
}

int floe_rowwin_init(struct floe_rowwin *w, struct floe_arena *arena, const struct floe_schema *schema,
                     uint32_t key_col, size_t bytes)
{
    return floe_rowwin_init_keys(w, arena, schema, key_col, bytes, 0);
}

int floe_rowwin_init_keys(struct floe_rowwin *w, struct floe_arena *arena, const struct floe_schema *schema,
                          uint32_t key_col, size_t bytes, uint32_t max_keys)
{
    size_t mark;
    int err;
    FLOE_FAIL_IF(w == NULL || arena == NULL || floe_arena_counting(arena), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(!request_ok(schema, key_col, bytes), FLOE_ERR_INVAL);
    floe_memset(w, 0, sizeof *w);
    mark = floe_arena_mark(arena);
    err = carve(arena, w, schema, bytes, max_keys);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        floe_memset(w, 0, sizeof *w);
        return err;
    }
    w->schema = schema;
    w->key_col = key_col;
    return FLOE_OK;
}

/* Bytes a value takes in the window; strings: varint length + bytes. */
static size_t value_bytes(int type, const struct floe_value *v)
{
    switch (type) {
    case FLOE_TYPE_BOOL:
        return 1u;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_FLOAT:
    case FLOE_TYPE_DATE:
        return 4u;
    case FLOE_TYPE_STRING: {
        size_t n = 1u;
        uint32_t len = v->v.str.len;
        while (len >= 0x80u) {
            len >>= 7;
            n++;
        }
        return n + v->v.str.len;
    }
    default:
        return 8u;
    }
}

static uint8_t *put_value(uint8_t *p, int type, const struct floe_value *v)
{
    switch (type) {
    case FLOE_TYPE_BOOL:
        *p = v->v.b ? 1u : 0u;
        return p + 1;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_DATE:
        floe_put_le32(p, (uint32_t)(int32_t)v->v.i64);
        return p + 4;
    case FLOE_TYPE_FLOAT:
        floe_memcpy(p, &v->v.f32, 4);
        return p + 4;
    case FLOE_TYPE_DOUBLE:
        floe_memcpy(p, &v->v.f64, 8);
        return p + 8;
    case FLOE_TYPE_STRING: {
        uint32_t len = v->v.str.len;
        while (len >= 0x80u) {
            *p++ = (uint8_t)(len | 0x80u);
            len >>= 7;
        }
        *p++ = (uint8_t)len;
        if (v->v.str.len > 0)
            floe_memcpy(p, v->v.str.ptr, v->v.str.len);
        return p + v->v.str.len;
    }
    default: /* int64 and timestamps */
        floe_put_le64(p, (uint64_t)v->v.i64);
        return p + 8;
    }
}

static const uint8_t *get_value(const uint8_t *p, int type, struct floe_value *v)
{
    switch (type) {
    case FLOE_TYPE_BOOL:
        v->v.b = *p;
        return p + 1;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_DATE:
        v->v.i64 = (int32_t)floe_get_le32(p);
        return p + 4;
    case FLOE_TYPE_FLOAT:
        floe_memcpy(&v->v.f32, p, 4);
        return p + 4;
    case FLOE_TYPE_DOUBLE:
        floe_memcpy(&v->v.f64, p, 8);
        return p + 8;
    case FLOE_TYPE_STRING: {
        uint32_t len = 0;
        unsigned shift = 0;
        while (*p & 0x80u) {
            len |= (uint32_t)(*p++ & 0x7fu) << shift;
            shift += 7;
        }
        len |= (uint32_t)*p++ << shift;
        v->v.str.ptr = (const char *)p;
        v->v.str.len = len;
        return p + len;
    }
    default:
        v->v.i64 = (int64_t)floe_get_le64(p);
        return p + 8;
    }
}

/* The key as bytes that compare (memcmp, then shorter first) as its value
 * does: numbers big-endian with the sign flipped, a float's bits turned so
 * that negatives order below positives. */
static size_t key_bytes(int type, const struct floe_value *v, uint8_t out[8], const uint8_t **key)
{
    uint64_t u;
    int i;
    switch (type) {
    case FLOE_TYPE_STRING:
        *key = (const uint8_t *)v->v.str.ptr;
        return v->v.str.len;
    case FLOE_TYPE_BOOL:
        out[0] = v->v.b ? 1u : 0u;
        *key = out;
        return 1u;
    case FLOE_TYPE_FLOAT:
    case FLOE_TYPE_DOUBLE: {
        double d = type == FLOE_TYPE_FLOAT ? (double)v->v.f32 : v->v.f64;
        floe_memcpy(&u, &d, 8);
        if (d != d)
            u = 0x7ff8000000000000ull; /* every NaN alike, after +inf */
        u = (u >> 63) ? ~u : (u | (1ull << 63));
        break;
    }
    default:
        u = (uint64_t)v->v.i64 ^ (1ull << 63);
        break;
    }
    for (i = 7; i >= 0; i--) {
        out[i] = (uint8_t)u;
        u >>= 8;
    }
    *key = out;
    return 8u;
}

/* The index of the row's source name in the window, adding it if new;
 * NO_SOURCE for none; -1 when the names are full. */
static int source_index(struct floe_rowwin *w, const char *src)
{
    uint32_t i;
    size_t n;
    if (src == NULL)
        return NO_SOURCE;
    /* By name, not pointer: a caller may reuse one buffer for each source. */
    n = floe_strlen(src);
    for (i = 0; i < w->n_sources; i++) {
        uint32_t at = (w->last_source_index + i) % w->n_sources; /* the last one first */
        const char *have = w->sources + w->source_at[at];
        if (floe_strlen(have) == n && floe_memcmp(have, src, n) == 0) {
            w->last_source_index = at;
            return (int)at;
        }
    }
    if (w->n_sources == FLOE_ROWWIN_SOURCES || w->sources_len + n + 1u > sizeof w->sources)
        return -1;
    i = w->n_sources++;
    w->source_at[i] = (uint16_t)w->sources_len;
    floe_memcpy(w->sources + w->sources_len, src, n + 1u);
    w->sources_len += n + 1u;
    w->last_source_index = i;
    return (int)i;
}

int floe_rowwin_add(struct floe_rowwin *w, const struct floe_row *row)
{
    FLOE_FAIL_IF(row == NULL || row->values == NULL || row->n_values < w->n_values, FLOE_ERR_INVAL);
    return floe_rowwin_add_keyed(w, row, &row->values[w->key_col]);
}

int floe_rowwin_add_keyed(struct floe_rowwin *w, const struct floe_row *row, const struct floe_value *keyv)
{
    size_t need = ROW_HEADER + (w->n_values + 7u) / 8u, klen;
    uint32_t i, id = NULL_KEY;
    uint8_t *p, kbuf[8];
    const uint8_t *key;
    int src;
    FLOE_FAIL_IF(row == NULL || row->values == NULL || row->n_values < w->n_values || keyv == NULL, FLOE_ERR_INVAL);
    for (i = 0; i < w->n_values; i++)
        if (!row->values[i].is_null)
            need += value_bytes(value_type(w, i), &row->values[i]);
    if (need > w->cap || need > UINT32_MAX)
        return FLOE_ERR_LIMIT; /* no window takes it */
    if (need > w->cap - w->used || w->rows == w->max_rows)
        return FLOE_ROWWIN_FULL;
    src = source_index(w, row->source);
    if (src < 0)
        return FLOE_ROWWIN_FULL;
    if (!keyv->is_null) {
        klen = key_bytes(value_type(w, w->key_col), keyv, kbuf, &key);
        if (floe_dict_insert(&w->keys, key, klen, &id) != FLOE_OK)
            return w->rows == 0 ? FLOE_ERR_LIMIT : FLOE_ROWWIN_FULL; /* the keys' budget is spent */
        w->count[id]++;
    }
    p = w->buf + w->used;
    floe_put_le32(p, (uint32_t)need);
    floe_put_le32(p + 4, id);
    p[8] = (uint8_t)src;
    p += ROW_HEADER;
    floe_memset(p, 0, (w->n_values + 7u) / 8u);
    for (i = 0; i < w->n_values; i++)
        if (row->values[i].is_null)
            p[i / 8u] |= (uint8_t)(1u << (i % 8u));
    p += (w->n_values + 7u) / 8u;
    for (i = 0; i < w->n_values; i++)
        if (!row->values[i].is_null)
            p = put_value(p, value_type(w, i), &row->values[i]);
    w->used += need;
    w->rows++;
    w->sorted = 0;
    return FLOE_OK;
}

static int key_less(const struct floe_dict *d, uint32_t a, uint32_t b)
{
    const uint8_t *pa, *pb;
    size_t la, lb;
    int c;
    (void)floe_dict_get_bytes(d, a, &pa, &la);
    (void)floe_dict_get_bytes(d, b, &pb, &lb);
    c = floe_memcmp(pa, pb, la < lb ? la : lb);
    return c < 0 || (c == 0 && la < lb);
}

/* Bottom-up merge sort of the distinct keys' ids (at most MAX_KEYS). */
static void sort_keys(struct floe_rowwin *w, uint32_t n)
{
    uint32_t *src = w->ids, *dst = w->scratch, width, i;
    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            uint32_t lo = i, mid = i + width < n ? i + width : n, hi = i + 2 * width < n ? i + 2 * width : n;
            uint32_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                dst[k++] = key_less(&w->keys, src[b], src[a]) ? src[b++] : src[a++];
            while (a < mid)
                dst[k++] = src[a++];
            while (b < hi)
                dst[k++] = src[b++];
        }
        {
            uint32_t *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != w->ids)
        floe_memcpy(w->ids, src, (size_t)n * 4u);
}

void floe_rowwin_sort(struct floe_rowwin *w)
{
    uint32_t n = floe_dict_count(&w->keys), i, slot = 0, null_slot, r;
    size_t off = 0;
    if (w->sorted)
        return;
    for (i = 0; i < n; i++)
        w->ids[i] = i;
    sort_keys(w, n);
    for (i = 0; i < n; i++) { /* each key's first slot, in key order */
        uint32_t id = w->ids[i], c = w->count[id];
        w->count[id] = slot;
        slot += c;
    }
    null_slot = slot;
    for (r = 0; r < w->rows; r++) { /* arrival order: equal keys stay in it */
        uint32_t id = floe_get_le32(w->buf + off + 4);
        w->order[id == NULL_KEY ? null_slot++ : w->count[id]++] = (uint32_t)off;
        off += floe_get_le32(w->buf + off);
    }
    w->sorted = 1;
}

void floe_rowwin_get(struct floe_rowwin *w, uint32_t i, struct floe_row *row)
{
    const uint8_t *p, *bitmap;
    uint32_t k;
    if (!w->sorted)
        floe_rowwin_sort(w);
#if defined(__GNUC__)
    /* Rows come back in key order, scattered over the window: fetch a few
     * ahead, or each waits on memory (a seventh of convert's time). */
    if (i + ROWS_AHEAD < w->rows) {
        const uint8_t *ahead = w->buf + w->order[i + ROWS_AHEAD];
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + 64);
    }
#endif
    p = w->buf + w->order[i];
    bitmap = p + ROW_HEADER;
    p = bitmap + (w->n_values + 7u) / 8u;
    for (k = 0; k < w->n_values; k++) {
        struct floe_value *v = &w->values[k];
        v->is_null = (uint8_t)((bitmap[k / 8u] >> (k % 8u)) & 1u);
        if (!v->is_null)
            p = get_value(p, value_type(w, k), v);
    }
    floe_memset(row, 0, sizeof *row);
    row->values = w->values;
    row->n_values = w->n_values;
    k = bitmap[-1];
    row->source = k == NO_SOURCE ? NULL : w->sources + w->source_at[k];
}

void floe_rowwin_clear(struct floe_rowwin *w)
{
    uint32_t n = floe_dict_count(&w->keys);
    floe_memset(w->count, 0, (size_t)n * 4u);
    floe_dict_reset(&w->keys);
    w->used = 0;
    w->rows = 0;
    w->sorted = 0;
    w->n_sources = 0;
    w->sources_len = 0;
    w->last_source_index = 0;
}
