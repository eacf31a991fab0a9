/* A window of rows written grouped by one column (see rowwin.h). */
#include "parquet/rowwin.h"
#include "core/internal.h"

#define NULL_KEY 0xffffffffu
#define NO_SOURCE 0xffu
#define MIN_ROW_BYTES 24u /* rows are counted against this too: order[] is cap/6 */
#define MAX_KEYS 4096u
#define KEY_BYTES_PER_KEY 64u
#define ROWS_AHEAD 8u
#define INTERN_MAX_LEN 32u      /* longer strings are held as they are */
#define INTERN_MAX_ENTRIES 1024u /* distinct short strings a window interns: */
#define INTERN_MIN_ENTRIES 16u   /* one per 256 bytes of window, within these */
#define INTERN_BYTES_PER_ENTRY 16u

static uint32_t max_rows_of(size_t bytes)
{
    return (uint32_t)(bytes / MIN_ROW_BYTES);
}

static uint32_t max_keys_of(size_t bytes, uint32_t keys_cap)
{
    uint32_t rows = max_rows_of(bytes), cap = keys_cap != 0 && keys_cap < MAX_KEYS ? keys_cap : MAX_KEYS;
    return rows < cap ? rows : cap;
}

/* How the window holds a column's values: json text as a string. */
static int held_type(int type)
{
    return type == FLOE_TYPE_JSON ? FLOE_TYPE_STRING : type;
}

static int value_type(const struct floe_rowwin *w, uint32_t i)
{
    return i < w->schema->n_columns ? held_type(w->schema->columns[i].type) : FLOE_TYPE_STRING; /* _extra */
}

/* Entries of the window's short-string dictionary: none when no string but
 * the key (held in the key dictionary) could use it. */
static uint32_t intern_entries_of(const struct floe_schema *sc, uint32_t key_col, size_t bytes)
{
    uint32_t i, strings = sc->extra ? 1u : 0u;
    size_t n = bytes / 256u;
    for (i = 0; i < sc->n_columns; i++)
        strings += (uint32_t)(i != key_col && held_type(sc->columns[i].type) == FLOE_TYPE_STRING);
    if (strings == 0)
        return 0;
    return n < INTERN_MIN_ENTRIES ? INTERN_MIN_ENTRIES : n > INTERN_MAX_ENTRIES ? INTERN_MAX_ENTRIES : (uint32_t)n;
}

/* Takes the window's memory; fills *w unless it is NULL (counting). */
static int carve(struct floe_arena *a, struct floe_rowwin *w, const struct floe_schema *sc, uint32_t key_col,
                 size_t bytes, uint32_t keys_cap)
{
    uint32_t rows = max_rows_of(bytes), keys = max_keys_of(bytes, keys_cap), interned;
    uint32_t n_values = (uint32_t)sc->n_columns + (sc->extra ? 1u : 0u);
    void *buf, *order, *count, *ids, *scratch, *values, *bases, *decimals;
    struct floe_dict counted;
    FLOE_TRY(floe_arena_take_raw(a, bytes, 8, &buf));
    FLOE_TRY(floe_arena_take_raw(a, (size_t)rows * 4u, 4, &order));
    FLOE_TRY(floe_arena_take(a, (size_t)keys * 4u, 4, &count));
    FLOE_TRY(floe_arena_take_raw(a, (size_t)keys * 4u, 4, &ids));
    FLOE_TRY(floe_arena_take_raw(a, (size_t)keys * 4u, 4, &scratch));
    FLOE_TRY(floe_arena_take(a, (size_t)n_values * sizeof(struct floe_value), 8, &values));
    FLOE_TRY(floe_arena_take(a, (size_t)n_values * sizeof(int64_t), 8, &bases));
    FLOE_TRY(floe_arena_take(a, n_values, 1, &decimals));
    FLOE_TRY(floe_dict_init(w != NULL ? &w->keys : &counted, a, FLOE_DICT_BYTES, keys,
                            (size_t)keys * KEY_BYTES_PER_KEY));
    interned = intern_entries_of(sc, key_col, bytes);
    if (interned > 0)
        FLOE_TRY(floe_dict_init(w != NULL ? &w->strings : &counted, a, FLOE_DICT_BYTES, interned,
                                (size_t)interned * INTERN_BYTES_PER_ENTRY));
    if (w == NULL)
        return FLOE_OK;
    w->buf = (uint8_t *)buf;
    w->order = (uint32_t *)order;
    w->count = (uint32_t *)count;
    w->ids = (uint32_t *)ids;
    w->scratch = (uint32_t *)scratch;
    w->values = (struct floe_value *)values;
    w->bases = (int64_t *)bases;
    w->decimals = (uint8_t *)decimals;
    w->n_values = n_values;
    w->cap = bytes;
    w->max_rows = rows;
    w->no_strings = interned == 0;
    w->strings_full = w->no_strings;
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
    if (carve(&a, NULL, schema, key_col, bytes, max_keys) != FLOE_OK)
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
    err = carve(arena, w, schema, key_col, bytes, max_keys);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        floe_memset(w, 0, sizeof *w);
        return err;
    }
    w->schema = schema;
    w->key_col = key_col;
    return FLOE_OK;
}

/* Rows are held compactly, so a window of a given size holds about three
 * times the rows it would as plain values (a gateway's window is small):
 *   a 2-byte length (4 bytes, bit 0 of the first set, for a row past 32 KB),
 *   varint (key id + 1) * 2 + elided (0: null key; elided: a string key is
 *   not stored again, the key dictionary has it), a source index byte,
 *   the null bitmap, then each value that is not null:
 *   bool 1 byte; int32 and date zigzag varint; int64 and timestamps zigzag
 *   varint of the difference from the window's first row (a base per
 *   column); float 4 bytes; double a varint (zigzag(m) << 3 | e) when m / 10^e
 *   is exactly it (e <= 6: readings with a few decimals), else 7 and its 8
 *   bytes; a string as put_string() says. */
#define DOUBLE_LITERAL 7u
#define LONG_ROW 0x8000u

static const double pow10_of[DOUBLE_LITERAL] = {1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6};

/* Zigzag of a wrapping difference, and back, all unsigned: no
 * out-of-range conversion to a signed type. */
static uint64_t zigzag_diff(int64_t v, int64_t base)
{
    uint64_t d = (uint64_t)v - (uint64_t)base;
    return (d << 1) ^ (0u - (d >> 63));
}

static int64_t unzigzag_add(uint64_t z, int64_t base)
{
    uint64_t r = (uint64_t)base + ((z >> 1) ^ (0u - (z & 1u)));
    return r <= (uint64_t)INT64_MAX ? (int64_t)r : -(int64_t)(~r) - 1;
}

/* The window's own bytes: no bound check needed. */
static const uint8_t *get_uvarint(const uint8_t *p, uint64_t *v)
{
    uint64_t x = 0;
    unsigned shift = 0;
    while (*p & 0x80u) {
        x |= (uint64_t)(*p++ & 0x7fu) << shift;
        shift += 7;
    }
    *v = x | ((uint64_t)*p++ << shift);
    return p;
}

/* Whether m / 10^e gives back d's exact bits; sets *m. */
static int decimal_fits(double d, unsigned e, int64_t *m)
{
    double x = d * pow10_of[e], back;
    if (!(x > -9007199254740992.0 && x < 9007199254740992.0))
        return 0; /* |m| >= 2^53 (or NaN): m / 10^e would not be exact */
    *m = (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
    back = (double)*m / pow10_of[e]; /* one correctly rounded division */
    return floe_memcmp(&back, &d, sizeof d) == 0;
}

/* The varint a double is held as, or DOUBLE_LITERAL when none gives back
 * its exact bits (NaN, -0, most results of arithmetic). *hint, the
 * decimals that fitted the column's last value, is tried first: a column's
 * readings mostly have the same number (and 2130 / 100 is 21.3 as well). */
static uint64_t double_code(double d, uint8_t *hint)
{
    unsigned e = *hint;
    int64_t m;
    if (e < DOUBLE_LITERAL && decimal_fits(d, e, &m))
        return floe_zigzag64(m) << 3 | e;
    for (e = 0; e < DOUBLE_LITERAL; e++)
        if (decimal_fits(d, e, &m)) {
            *hint = (uint8_t)e;
            return floe_zigzag64(m) << 3 | e;
        }
    return DOUBLE_LITERAL;
}

static int is_int64_like(int type)
{
    return type == FLOE_TYPE_INT64 || type == FLOE_TYPE_TIMESTAMP_MS || type == FLOE_TYPE_TIMESTAMP_US;
}

/* Bytes a value takes at most, strings counted as not interned (an id is
 * never longer than a non-empty string's literal form): whether a row fits. */
static size_t value_bound(int type, const struct floe_value *v)
{
    switch (type) {
    case FLOE_TYPE_BOOL:
        return 1u;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_DATE:
        return 5u;
    case FLOE_TYPE_FLOAT:
        return 4u;
    case FLOE_TYPE_DOUBLE:
        return 9u;
    case FLOE_TYPE_STRING:
        return floe_uvarint_bytes((uint64_t)v->v.str.len * 2u) + v->v.str.len;
    default:
        return FLOE_UVARINT_MAX;
    }
}

/* A short string is held as an id into the window's string dictionary
 * (status words, firmware versions, sites: a byte or two instead of their
 * text): varint id * 2 + 1; else varint length * 2 and the bytes. */
static uint8_t *put_string(struct floe_rowwin *w, uint8_t *p, const struct floe_value *v)
{
    uint32_t id;
    /* Not "": its one literal byte is the least an id takes, and sizes are
     * bounded by the literal form. */
    if (v->v.str.len > 0 && v->v.str.len <= INTERN_MAX_LEN && !w->strings_full) {
        int err = floe_dict_insert(&w->strings, v->v.str.ptr, v->v.str.len, &id);
        if (err == FLOE_OK)
            return floe_put_uvarint(p, (uint64_t)id * 2u + 1u);
        w->strings_full = 1; /* the rest of this window's strings go as they are */
    }
    p = floe_put_uvarint(p, (uint64_t)v->v.str.len * 2u);
    if (v->v.str.len > 0)
        floe_memcpy(p, v->v.str.ptr, v->v.str.len);
    return p + v->v.str.len;
}

static uint8_t *put_value(struct floe_rowwin *w, uint8_t *p, uint32_t col, const struct floe_value *v)
{
    int64_t base = w->bases[col];
    uint8_t *hint = &w->decimals[col];
    switch (value_type(w, col)) {
    case FLOE_TYPE_BOOL:
        *p = v->v.b ? 1u : 0u;
        return p + 1;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_DATE:
        return floe_put_uvarint(p, floe_zigzag64((int32_t)v->v.i64));
    case FLOE_TYPE_FLOAT:
        floe_memcpy(p, &v->v.f32, 4);
        return p + 4;
    case FLOE_TYPE_DOUBLE: {
        uint64_t code = double_code(v->v.f64, hint);
        p = floe_put_uvarint(p, code);
        if (code == DOUBLE_LITERAL) {
            floe_memcpy(p, &v->v.f64, 8);
            p += 8;
        }
        return p;
    }
    case FLOE_TYPE_STRING:
        return put_string(w, p, v);
    default: /* int64 and timestamps: wrapping difference from the base */
        return floe_put_uvarint(p, zigzag_diff(v->v.i64, base));
    }
}

static const uint8_t *get_value(const struct floe_rowwin *w, const uint8_t *p, int type, struct floe_value *v,
                                int64_t base)
{
    uint64_t u;
    switch (type) {
    case FLOE_TYPE_BOOL:
        v->v.b = *p;
        return p + 1;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_DATE:
        p = get_uvarint(p, &u);
        v->v.i64 = floe_unzigzag64(u);
        return p;
    case FLOE_TYPE_FLOAT:
        floe_memcpy(&v->v.f32, p, 4);
        return p + 4;
    case FLOE_TYPE_DOUBLE:
        p = get_uvarint(p, &u);
        if (u == DOUBLE_LITERAL) {
            floe_memcpy(&v->v.f64, p, 8);
            return p + 8;
        }
        v->v.f64 = (double)floe_unzigzag64(u >> 3) / pow10_of[u & 7u];
        return p;
    case FLOE_TYPE_STRING:
        p = get_uvarint(p, &u);
        if (u & 1u) {
            const uint8_t *s;
            size_t n;
            (void)floe_dict_get_bytes(&w->strings, (uint32_t)(u >> 1), &s, &n);
            v->v.str.ptr = (const char *)s;
            v->v.str.len = (uint32_t)n;
            return p;
        }
        v->v.str.ptr = (const char *)p;
        v->v.str.len = (uint32_t)(u >> 1);
        return p + (u >> 1);
    default:
        p = get_uvarint(p, &u);
        v->v.i64 = unzigzag_add(u, base);
        return p;
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

#define NEW_SOURCE (-2)

/* The index of the row's source name in the window; NO_SOURCE for none;
 * NEW_SOURCE when it is not held yet and there is room for it (add_source
 * adds it once the row is sure to go in); -1 when the names are full. */
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
    return NEW_SOURCE;
}

static int add_source(struct floe_rowwin *w, const char *src)
{
    size_t n = floe_strlen(src);
    uint32_t i = w->n_sources++;
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

/* Whether the row's key column is a string equal to the key: then the key
 * dictionary holds it, and the row need not. */
static int key_elided(const struct floe_rowwin *w, const struct floe_row *row, const struct floe_value *keyv)
{
    const struct floe_value *v = &row->values[w->key_col];
    return value_type(w, w->key_col) == FLOE_TYPE_STRING && !v->is_null && !keyv->is_null &&
           v->v.str.len == keyv->v.str.len && (v->v.str.len == 0 || floe_memcmp(v->v.str.ptr, keyv->v.str.ptr, v->v.str.len) == 0);
}

/* The row's values as held: their bytes when out is NULL (exact but for
 * strings, counted as not interned), else written to out. */
static size_t put_values(struct floe_rowwin *w, const struct floe_row *row, int elided, uint8_t *out)
{
    uint8_t tmp[16], *p = out;
    size_t n = 0;
    uint32_t i;
    for (i = 0; i < w->n_values; i++) {
        const struct floe_value *v = &row->values[i];
        int type = value_type(w, i);
        if (v->is_null || (elided && i == w->key_col))
            continue;
        if (out != NULL)
            p = put_value(w, p, i, v);
        else if (type == FLOE_TYPE_STRING)
            n += value_bound(type, v); /* counted as not interned: nothing changes */
        else { /* counting changes nothing: not even the decimals hint */
            uint8_t hint = w->decimals[i];
            n += (size_t)(put_value(w, tmp, i, v) - tmp);
            w->decimals[i] = hint;
        }
    }
    return out != NULL ? (size_t)(p - out) : n;
}

static size_t header_bytes(size_t rest)
{
    return rest + 2u < LONG_ROW ? 2u : 4u;
}

int floe_rowwin_add_keyed(struct floe_rowwin *w, const struct floe_row *row, const struct floe_value *keyv)
{
    size_t bitmap = (w->n_values + 7u) / 8u, rest, header, room, len, key_varint;
    uint32_t i, id = NULL_KEY;
    uint8_t *start, *p, kbuf[8];
    const uint8_t *key;
    int src, elided;
    FLOE_FAIL_IF(row == NULL || row->values == NULL || row->n_values < w->n_values || keyv == NULL, FLOE_ERR_INVAL);
    elided = key_elided(w, row, keyv);
    if (w->rows == 0) /* the first row sets the bases its followers differ from */
        for (i = 0; i < w->n_values; i++)
            w->bases[i] = is_int64_like(value_type(w, i)) && !row->values[i].is_null ? row->values[i].v.i64 : 0;
    /* The key id's varint, the source byte, the bitmap, then the values. */
    key_varint = floe_uvarint_bytes(((uint64_t)floe_dict_count(&w->keys) + 1u) * 2u + 1u); /* a new key's, at most */
    rest = key_varint + 1u + bitmap;
    len = rest;
    for (i = 0; i < w->n_values; i++)
        if (!row->values[i].is_null && !(elided && i == w->key_col))
            rest += value_bound(value_type(w, i), &row->values[i]);
    room = w->cap - w->used;
    header = header_bytes(rest);
    if (rest + header > room) { /* near the end: the exact size decides */
        size_t alone;
        rest = len + put_values(w, row, elided, NULL);
        header = header_bytes(rest);
        alone = rest - key_varint + 1u; /* as the first row: key id 0, numbers that differ from themselves */
        for (i = 0; i < w->n_values; i++)
            if (!row->values[i].is_null && is_int64_like(value_type(w, i)))
                alone -= floe_uvarint_bytes(zigzag_diff(row->values[i].v.i64, w->bases[i])) - 1u;
        if (alone + header_bytes(alone) > w->cap || rest > UINT32_MAX / 2u)
            return FLOE_ERR_LIMIT; /* no window takes it */
        if (rest + header > room)
            return FLOE_ROWWIN_FULL;
    }
    if (w->rows == w->max_rows)
        return FLOE_ROWWIN_FULL;
    src = source_index(w, row->source);
    if (src == -1)
        return FLOE_ROWWIN_FULL; /* the names are full */
    if (!keyv->is_null) {
        size_t klen = key_bytes(value_type(w, w->key_col), keyv, kbuf, &key);
        if (floe_dict_insert(&w->keys, key, klen, &id) != FLOE_OK)
            return w->rows == 0 ? FLOE_ERR_LIMIT : FLOE_ROWWIN_FULL; /* the keys' budget is spent */
        w->count[id]++;
    }
    if (src == NEW_SOURCE) /* only now: a refused row leaves no name behind */
        src = add_source(w, row->source);
    start = w->buf + w->used;
    p = floe_put_uvarint(start + header, id == NULL_KEY ? 0u : ((uint64_t)id + 1u) * 2u + (uint64_t)elided);
    *p++ = (uint8_t)src;
    floe_memset(p, 0, bitmap);
    for (i = 0; i < w->n_values; i++)
        if (row->values[i].is_null)
            p[i / 8u] |= (uint8_t)(1u << (i % 8u));
    p += bitmap;
    p += put_values(w, row, elided, p);
    len = (size_t)(p - start);
    if (header == 2u) {
        start[0] = (uint8_t)(len << 1); /* bit 0 clear: the short form */
        start[1] = (uint8_t)(len >> 7);
    } else {
        floe_put_le32(start, (uint32_t)len << 1 | 1u);
    }
    w->used += len;
    w->rows++;
    w->sorted = 0;
    return FLOE_OK;
}

/* The row at p: its length, and where its key varint starts. */
static const uint8_t *row_at(const uint8_t *p, size_t *len)
{
    if (p[0] & 1u) {
        *len = floe_get_le32(p) >> 1;
        return p + 4;
    }
    *len = (size_t)p[1] << 7 | p[0] >> 1;
    return p + 2;
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
        size_t len;
        uint64_t key;
        (void)get_uvarint(row_at(w->buf + off, &len), &key);
        w->order[key == 0 ? null_slot++ : w->count[(key >> 1) - 1u]++] = (uint32_t)off;
        off += len;
    }
    w->sorted = 1;
}

void floe_rowwin_get(struct floe_rowwin *w, uint32_t i, struct floe_row *row)
{
    const uint8_t *p, *bitmap;
    uint32_t k, src;
    uint64_t key;
    size_t len;
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
    p = get_uvarint(row_at(w->buf + w->order[i], &len), &key);
    src = *p++;
    bitmap = p;
    p = bitmap + (w->n_values + 7u) / 8u;
    for (k = 0; k < w->n_values; k++) {
        struct floe_value *v = &w->values[k];
        v->is_null = (uint8_t)((bitmap[k / 8u] >> (k % 8u)) & 1u);
        if (v->is_null)
            continue;
        if (k == w->key_col && (key & 1u)) { /* the key dictionary holds it */
            const uint8_t *s;
            size_t n;
            (void)floe_dict_get_bytes(&w->keys, (uint32_t)(key >> 1) - 1u, &s, &n);
            v->v.str.ptr = (const char *)s;
            v->v.str.len = (uint32_t)n;
        } else {
            p = get_value(w, p, value_type(w, k), v, w->bases[k]);
        }
    }
    floe_memset(row, 0, sizeof *row);
    row->values = w->values;
    row->n_values = w->n_values;
    row->source = src == NO_SOURCE ? NULL : w->sources + w->source_at[src];
}

void floe_rowwin_clear(struct floe_rowwin *w)
{
    uint32_t n = floe_dict_count(&w->keys);
    floe_memset(w->count, 0, (size_t)n * 4u);
    floe_dict_reset(&w->keys);
    floe_dict_reset(&w->strings);
    w->strings_full = w->no_strings;
    w->used = 0;
    w->rows = 0;
    w->sorted = 0;
    w->n_sources = 0;
    w->sources_len = 0;
    w->last_source_index = 0;
}
