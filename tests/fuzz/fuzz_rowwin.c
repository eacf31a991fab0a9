/* libFuzzer target for src/parquet/rowwin.c, the sort window: rows of a
 * schema taken from the input are added until the window says it is full,
 * then must come back bit for bit, grouped by the key column in the order
 * rowwin.h documents, equal keys in arrival order.
 *
 *   make BOARD=host CC=clang SANITIZE=fuzz $PWD/build/fuzz/fuzz_rowwin
 *   build/fuzz/fuzz_rowwin -max_total_time=60 -rss_limit_mb=2048
 *
 * The input is a header (a byte for the column count, _extra and the keys'
 * budget; a byte per column for its type and whether it is nullable; the key
 * column; two bytes of window size), then rows. A row starts with a byte
 * that picks its source name and whether it is grouped by a key of its own
 * (floe_rowwin_add_keyed); each value starts with a byte that picks null, a
 * repeat of an earlier row's value, or a kind of value of its type (NaNs
 * with payloads, -0, subnormals, readings with few decimals, integer
 * extremes, short strings that repeat, strings of a few KB), the rest taken
 * from the bytes after it. The harness keeps its own copy of every row the
 * window holds; a full window is checked, cleared and given the row again,
 * as a writer does. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "floe/floe.h"
#include "parquet/rowwin.h"

#define ASSERT(x)              \
    do {                       \
        if (!(x))              \
            __builtin_trap();  \
    } while (0)

#define MAX_COLUMNS 8
#define MAX_VALUES (MAX_COLUMNS + 1) /* and _extra */
#define WINDOW_MAX (64u << 10)
#define MAX_HELD 8192u   /* more than any window takes (one row per 24 bytes) */
#define MAX_STRING (48u << 10) /* past 32 KB: a row with the long header */
#define N_SOURCES 12

/* A row as the harness saw it go in. */
struct held_row {
    struct floe_value values[MAX_VALUES];
    struct floe_value key; /* what it is grouped by: its key column, or its own key */
    int source;            /* index into source_names; -1: none */
};

static uint64_t arena_mem[(2u << 20) / 8];
static struct floe_column columns[MAX_COLUMNS];
static struct floe_schema schema;
static struct floe_rowwin win;
static uint32_t key_col, n_values;

static struct held_row held[MAX_HELD];
static uint32_t n_held, want_order[MAX_HELD], sort_scratch[MAX_HELD];
static char text_store[4u << 20]; /* the held rows' strings */
static size_t text_used;

/* The row being added: its strings and source name live here and are
 * overwritten by the next row, so a window that kept a pointer to them
 * instead of copying would hand out the wrong bytes. */
static char row_text[(MAX_VALUES + 1) * MAX_STRING];
static size_t row_text_used;
static char source_buf[512];

static char source_names[N_SOURCES][512];
/* Names of one length differ in their bytes; eight of the longer ones do
 * not fit the window's FLOE_ROWWIN_SOURCE_BYTES. */
static const uint16_t source_lens[N_SOURCES] = {9, 0, 1, 3, 40, 120, 200, 300, 500, 9, 9, 64};
static const char *const column_names[MAX_COLUMNS] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"};

static const uint8_t *in;
static size_t in_left;

/* The next bytes of input as a little-endian number (zeros past its end). */
static uint64_t take(unsigned bytes)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < bytes && in_left > 0; i++) {
        v |= (uint64_t)*in++ << (8 * i);
        in_left--;
    }
    return v;
}

static int64_t as_int64(uint64_t u)
{
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int64_t take_signed(unsigned bytes)
{
    uint64_t sign = (uint64_t)1 << (8 * bytes - 1);
    return as_int64((take(bytes) ^ sign) - sign); /* sign-extended */
}

static double double_of_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static float float_of_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int value_type(uint32_t i)
{
    if (i < schema.n_columns && columns[i].type != FLOE_TYPE_JSON)
        return columns[i].type;
    return FLOE_TYPE_STRING; /* _extra, and json: text, held as strings */
}

static int value_nullable(uint32_t i)
{
    return i < schema.n_columns ? columns[i].nullable : 1;
}

static double make_double(unsigned kind)
{
    static const double pow10[10] = {1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    static const double edges[10] = {DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324, 9007199254740992.0,
                                     9007199254740994.0, -9007199254740992.0, 0.1 + 0.2, 1e22, 999999.9999995};
    uint64_t sign = (take(1) & 1) ? (uint64_t)1 << 63 : 0, payload;
    switch (kind % 10) {
    case 0: /* any bits */
        return double_of_bits(take(8));
    case 1: /* a reading with a few decimals (12.34); 7 and more are held as 8 bytes */
        return (double)take_signed(3) / pow10[take(1) % 10];
    case 2: /* mantissas about 2^53, where m / 10^e stops being exact */
        return (double)take_signed(7) / pow10[take(1) % 7];
    case 3: /* NaN, quiet or signalling, with a payload */
        payload = take(7) & 0x000fffffffffffffull;
        return double_of_bits(sign | 0x7ff0000000000000ull | (payload != 0 ? payload : 1));
    case 4:
        return sign ? -0.0 : 0.0;
    case 5:
        return sign ? -INFINITY : INFINITY;
    case 6: /* subnormal */
        payload = take(7) & 0x000fffffffffffffull;
        return double_of_bits(sign | (payload != 0 ? payload : 1));
    case 7:
        return edges[take(1) % 10];
    case 8: /* arithmetic: rarely an exact decimal */
        return (double)take_signed(2) * 0.01;
    default:
        return (double)take_signed(1);
    }
}

static float make_float(unsigned kind)
{
    static const float pow10[7] = {1.0f, 10.0f, 100.0f, 1e3f, 1e4f, 1e5f, 1e6f};
    static const float edges[4] = {FLT_MAX, -FLT_MAX, FLT_MIN, 1.4e-45f};
    uint32_t sign = (take(1) & 1) ? 0x80000000u : 0, payload;
    switch (kind % 8) {
    case 0:
        return float_of_bits((uint32_t)take(4));
    case 1:
        return (float)take_signed(3) / pow10[take(1) % 7];
    case 2: /* NaN with a payload */
        payload = (uint32_t)take(3) & 0x7fffffu;
        return float_of_bits(sign | 0x7f800000u | (payload != 0 ? payload : 1));
    case 3:
        return sign ? -0.0f : 0.0f;
    case 4:
        return sign ? -INFINITY : INFINITY;
    case 5: /* subnormal */
        payload = (uint32_t)take(3) & 0x7fffffu;
        return float_of_bits(sign | (payload != 0 ? payload : 1));
    case 6:
        return edges[take(1) % 4];
    default:
        return (float)take_signed(1);
    }
}

static int64_t make_int32(unsigned kind)
{
    switch (kind % 4) {
    case 0:
        return take_signed(4);
    case 1:
        return (take(1) & 1) ? INT32_MAX : INT32_MIN;
    case 2:
        return take_signed(1);
    default:
        return take_signed(2);
    }
}

static int64_t make_int64(unsigned kind)
{
    switch (kind % 6) {
    case 0:
        return take_signed(8);
    case 1:
        return INT64_MIN + (int64_t)(take(1) % 3);
    case 2:
        return INT64_MAX - (int64_t)(take(1) % 3);
    case 3: /* timestamps of one device: small differences from the first row's */
        return 1764700000000000 + take_signed(3);
    case 4:
        return take_signed(1);
    default:
        return take_signed(2);
    }
}

/* len bytes: what the input has left (up to `from_input`), then a pattern. */
static void fill(char *dst, size_t len, size_t from_input)
{
    size_t i, n = len < from_input ? len : from_input;
    unsigned seed;
    if (n > in_left)
        n = in_left;
    memcpy(dst, in, n);
    in += n;
    in_left -= n;
    seed = (unsigned)take(1);
    for (i = n; i < len; i++)
        dst[i] = (char)('a' + (i + seed) % 26);
}

static void make_string(unsigned kind, struct floe_value *v)
{
    /* Words that recur (the window interns strings of up to 32 bytes). */
    static const struct {
        const char *text;
        uint32_t len;
    } words[8] = {{"ok", 2}, {"warn", 4}, {"error", 5}, {"a", 1}, {"A", 1},
                  {"sensor-0001", 11}, {"\xc3\xa9t\xc3\xa9", 6}, {"x\0y", 3}};
    char *text = row_text + row_text_used;
    uint32_t len;
    switch (kind % 8) {
    case 0:
        len = 0;
        break;
    case 1: {
        unsigned w = (unsigned)take(1) % 8;
        len = words[w].len;
        memcpy(text, words[w].text, len);
        break;
    }
    case 2: /* 1..32: interned */
        len = 1 + (uint32_t)take(1) % 32;
        fill(text, len, len);
        break;
    case 3: /* 33..64: held as they are */
        len = 33 + (uint32_t)take(1) % 32;
        fill(text, len, len);
        break;
    case 4: /* up to 4 KB: a few bytes of input, then a pattern */
        len = (uint32_t)(take(2) % 4097);
        fill(text, len, 8);
        break;
    case 5: /* 32 KB and more: the row takes the long header */
        len = (32u << 10) + (uint32_t)(take(2) % (MAX_STRING - (32u << 10) + 1));
        fill(text, len, 8);
        break;
    default: /* either side of the longest interned string */
        len = 32 + (uint32_t)(take(1) & 1);
        fill(text, len, 0);
        break;
    }
    v->v.str.ptr = text;
    v->v.str.len = len;
    row_text_used += len;
}

/* The value at `slot` (a column, or KEY_SLOT for a row's own key) of a row
 * held earlier, its string copied to the row being added. */
#define KEY_SLOT MAX_VALUES

static void repeat_value(uint32_t slot, struct floe_value *v)
{
    const struct held_row *h = &held[n_held - 1u - (uint32_t)(take(1) % n_held)];
    *v = slot == KEY_SLOT ? h->key : h->values[slot];
    if (value_type(slot == KEY_SLOT ? key_col : slot) == FLOE_TYPE_STRING && !v->is_null) {
        memcpy(row_text + row_text_used, v->v.str.ptr, v->v.str.len);
        v->v.str.ptr = row_text + row_text_used;
        row_text_used += v->v.str.len;
    }
}

static void make_value(uint32_t slot, struct floe_value *v)
{
    uint32_t col = slot == KEY_SLOT ? key_col : slot;
    unsigned pick = (unsigned)take(1), kind = pick >> 4;
    memset(v, 0, sizeof *v);
    if (pick % 16 == 0 && value_nullable(col)) {
        v->is_null = 1;
        return;
    }
    if (pick % 16 <= 2 && n_held > 0) { /* equal keys, recurring strings */
        repeat_value(slot, v);
        return;
    }
    switch (value_type(col)) {
    case FLOE_TYPE_BOOL:
        v->v.b = (int)(kind & 1);
        break;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_DATE:
        v->v.i64 = make_int32(kind);
        break;
    case FLOE_TYPE_FLOAT:
        v->v.f32 = make_float(kind);
        break;
    case FLOE_TYPE_DOUBLE:
        v->v.f64 = make_double(kind);
        break;
    case FLOE_TYPE_STRING:
        make_string(kind, v);
        break;
    default:
        v->v.i64 = make_int64(kind);
        break;
    }
}

/* Takes the header; the window is made anew for each input. */
static void setup_window(void)
{
    struct floe_arena arena;
    unsigned head = (unsigned)take(1), max_keys, i;
    size_t bytes, need;
    schema.columns = columns;
    schema.n_columns = 1 + head % MAX_COLUMNS;
    schema.extra = (int)((head >> 3) & 1);
    max_keys = (head >> 4) * (head >> 4); /* 0: the default (up to 4096) */
    for (i = 0; i < schema.n_columns; i++) {
        unsigned c = (unsigned)take(1);
        memset(&columns[i], 0, sizeof columns[i]);
        columns[i].name = column_names[i];
        columns[i].type = (uint8_t)((c & 15) % FLOE_TYPE__COUNT);
        columns[i].nullable = (uint8_t)(c >> 7);
    }
    key_col = (uint32_t)(take(1) % schema.n_columns);
    bytes = FLOE_ROWWIN_MIN_BYTES + (size_t)(take(2) % (WINDOW_MAX - FLOE_ROWWIN_MIN_BYTES + 1));
    n_values = (uint32_t)schema.n_columns + (schema.extra ? 1u : 0u);
    need = max_keys == 0 ? floe_rowwin_size(&schema, key_col, bytes)
                         : floe_rowwin_size_keys(&schema, key_col, bytes, max_keys);
    ASSERT(need > 0 && need <= sizeof arena_mem);
    /* A byte short, init fails and gives back what it took. */
    floe_arena_init(&arena, arena_mem, need - 1);
    ASSERT(floe_rowwin_init_keys(&win, &arena, &schema, key_col, bytes, max_keys) == FLOE_ERR_NOMEM);
    ASSERT(arena.used == 0);
    floe_arena_init(&arena, arena_mem, sizeof arena_mem);
    if (max_keys == 0)
        ASSERT(floe_rowwin_init(&win, &arena, &schema, key_col, bytes) == FLOE_OK);
    else
        ASSERT(floe_rowwin_init_keys(&win, &arena, &schema, key_col, bytes, max_keys) == FLOE_OK);
    ASSERT(arena.used == need); /* the size it reports is what init takes */
    n_held = 0;
    text_used = 0;
}

/* Makes the next row from the input; *key is what it is grouped by. */
static void make_row(struct floe_value *values, struct floe_value *key, int *keyed, int *source)
{
    unsigned head = (unsigned)take(1);
    uint32_t i;
    row_text_used = 0;
    *source = head % 16 < N_SOURCES ? (int)(head % 16) : -1;
    *keyed = (head >> 4) % 4 == 0; /* a quarter: grouped by a key of their own, as the roller does */
    for (i = 0; i < n_values; i++)
        make_value(i, &values[i]);
    if (*keyed)
        make_value(KEY_SLOT, key);
    else
        *key = values[key_col];
}

/* Adds the row and checks what the window says against what it did. */
static int add_row(const struct floe_value *values, const struct floe_value *key, int keyed, int source)
{
    struct floe_row row;
    size_t used = win.used;
    uint32_t rows = floe_rowwin_rows(&win);
    int err;
    memset(&row, 0, sizeof row);
    row.values = values;
    row.n_values = n_values;
    if (source >= 0) {
        memcpy(source_buf, source_names[source], strlen(source_names[source]) + 1);
        row.source = source_buf;
    }
    err = keyed ? floe_rowwin_add_keyed(&win, &row, key) : floe_rowwin_add(&win, &row);
    ASSERT(win.used <= win.cap);
    if (err == FLOE_OK) {
        ASSERT(floe_rowwin_rows(&win) == rows + 1 && win.used > used);
    } else {
        ASSERT(err == FLOE_ROWWIN_FULL || err == FLOE_ERR_LIMIT);
        ASSERT(floe_rowwin_rows(&win) == rows && win.used == used); /* a refused row changes nothing */
        ASSERT(err != FLOE_ROWWIN_FULL || rows > 0); /* an empty window full: a writer would loop */
    }
    memset(source_buf, 0xa5, sizeof source_buf);
    return err;
}

static void stash_string(struct floe_value *v)
{
    memcpy(text_store + text_used, v->v.str.ptr, v->v.str.len);
    v->v.str.ptr = text_store + text_used;
    text_used += v->v.str.len;
}

/* The harness's copy of a row the window took. */
static void keep_row(const struct floe_value *values, const struct floe_value *key, int source)
{
    struct held_row *h;
    uint32_t i;
    ASSERT(n_held < MAX_HELD);
    h = &held[n_held++];
    memcpy(h->values, values, n_values * sizeof values[0]);
    h->key = *key;
    h->source = source;
    for (i = 0; i < n_values; i++)
        if (value_type(i) == FLOE_TYPE_STRING && !h->values[i].is_null)
            stash_string(&h->values[i]);
    if (value_type(key_col) == FLOE_TYPE_STRING && !h->key.is_null)
        stash_string(&h->key);
    memset(row_text, 0x5a, row_text_used);
}

/* rowwin.h's order: strings byte-wise (a prefix first), numbers by value
 * with -0 before 0 and every NaN alike after +inf, false before true,
 * nulls last. */
static int compare_numbers(double a, double b)
{
    if (a != a || b != b)
        return (a != a) - (b != b);
    if (a != b)
        return a < b ? -1 : 1;
    return (signbit(b) != 0) - (signbit(a) != 0);
}

static int compare_keys(const struct floe_value *a, const struct floe_value *b)
{
    if (a->is_null || b->is_null)
        return (int)a->is_null - (int)b->is_null;
    switch (value_type(key_col)) {
    case FLOE_TYPE_BOOL:
        return (a->v.b != 0) - (b->v.b != 0);
    case FLOE_TYPE_FLOAT:
        return compare_numbers(a->v.f32, b->v.f32);
    case FLOE_TYPE_DOUBLE:
        return compare_numbers(a->v.f64, b->v.f64);
    case FLOE_TYPE_STRING: {
        uint32_t n = a->v.str.len < b->v.str.len ? a->v.str.len : b->v.str.len;
        int c = n > 0 ? memcmp(a->v.str.ptr, b->v.str.ptr, n) : 0;
        if (c != 0)
            return c < 0 ? -1 : 1;
        return (a->v.str.len > b->v.str.len) - (a->v.str.len < b->v.str.len);
    }
    default:
        return (a->v.i64 > b->v.i64) - (a->v.i64 < b->v.i64);
    }
}

/* A merge sort of arrival indices by key: stable, so equal keys stay in arrival order. */
static void sort_by_key(uint32_t *idx, uint32_t n)
{
    uint32_t mid = n / 2, a = 0, b = mid, k = 0;
    if (n < 2)
        return;
    sort_by_key(idx, mid);
    sort_by_key(idx + mid, n - mid);
    while (a < mid && b < n)
        sort_scratch[k++] = compare_keys(&held[idx[b]].key, &held[idx[a]].key) < 0 ? idx[b++] : idx[a++];
    while (a < mid)
        sort_scratch[k++] = idx[a++];
    while (b < n)
        sort_scratch[k++] = idx[b++];
    memcpy(idx, sort_scratch, n * sizeof idx[0]);
}

static int same_value(int type, const struct floe_value *got, const struct floe_value *want)
{
    if (got->is_null || want->is_null)
        return got->is_null == want->is_null;
    switch (type) {
    case FLOE_TYPE_BOOL:
        return got->v.b == want->v.b;
    case FLOE_TYPE_FLOAT:
        return memcmp(&got->v.f32, &want->v.f32, sizeof got->v.f32) == 0;
    case FLOE_TYPE_DOUBLE:
        return memcmp(&got->v.f64, &want->v.f64, sizeof got->v.f64) == 0;
    case FLOE_TYPE_STRING:
        return got->v.str.len == want->v.str.len &&
               (got->v.str.len == 0 || memcmp(got->v.str.ptr, want->v.str.ptr, got->v.str.len) == 0);
    default:
        return got->v.i64 == want->v.i64;
    }
}

/* Every row held comes back once, whole, in (key, arrival) order. */
static void check_window(void)
{
    static unsigned windows;
    struct floe_row row;
    uint32_t i, k;
    ASSERT(floe_rowwin_rows(&win) == n_held);
    for (i = 0; i < n_held; i++)
        want_order[i] = i;
    sort_by_key(want_order, n_held);
    if (windows++ % 2 == 0) { /* else floe_rowwin_get sorts; a second sort changes nothing */
        floe_rowwin_sort(&win);
        floe_rowwin_sort(&win);
    }
    for (i = 0; i < n_held; i++) {
        const struct held_row *want = &held[want_order[i]];
        floe_rowwin_get(&win, i, &row);
        ASSERT(row.n_values == n_values);
        for (k = 0; k < n_values; k++)
            ASSERT(same_value(value_type(k), &row.values[k], &want->values[k]));
        if (want->source < 0)
            ASSERT(row.source == NULL);
        else
            ASSERT(row.source != NULL && strcmp(row.source, source_names[want->source]) == 0);
    }
}

static void clear_window(void)
{
    floe_rowwin_clear(&win);
    ASSERT(floe_rowwin_rows(&win) == 0 && win.used == 0);
    n_held = 0;
    text_used = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct floe_value values[MAX_VALUES], key;
    static int named;
    uint32_t i, j;
    for (i = 0; i < N_SOURCES && !named; i++) {
        for (j = 0; j < source_lens[i]; j++)
            source_names[i][j] = (char)('a' + (i + j) % 26);
        source_names[i][j] = '\0';
    }
    named = 1;
    in = data;
    in_left = size;
    setup_window();
    while (in_left > 0) {
        int keyed, source, err;
        make_row(values, &key, &keyed, &source);
        if (sizeof text_store - text_used < 2 * row_text_used) {
            /* The harness's copy is full: write out early, as a writer may. */
            check_window();
            clear_window();
        }
        err = add_row(values, &key, keyed, source);
        if (err == FLOE_ROWWIN_FULL) { /* write the rows out, clear, add it again */
            check_window();
            clear_window();
            err = add_row(values, &key, keyed, source);
            ASSERT(err != FLOE_ROWWIN_FULL);
        }
        if (err == FLOE_OK)
            keep_row(values, &key, source);
        /* else FLOE_ERR_LIMIT: no window holds it; a writer writes it on its own */
    }
    check_window();
    clear_window();
    return 0;
}
