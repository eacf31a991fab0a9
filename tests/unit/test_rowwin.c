/* The sort window: rows held back and handed out grouped by one column. */
#include "test.h"
#include "floe/floe.h"
#include "parquet/rowwin.h"
#include <math.h>

static uint64_t win_mem[(1u << 20) / 8];
static struct floe_rowwin win;
static struct floe_column cols[9];
static struct floe_schema sc;

/* Columns of every type; the key is column `key`. */
static int win_setup(uint32_t key, size_t bytes)
{
    static const uint8_t types[9] = {FLOE_TYPE_BOOL,   FLOE_TYPE_INT32,        FLOE_TYPE_INT64,
                                     FLOE_TYPE_FLOAT,  FLOE_TYPE_DOUBLE,       FLOE_TYPE_STRING,
                                     FLOE_TYPE_TIMESTAMP_MS, FLOE_TYPE_TIMESTAMP_US, FLOE_TYPE_DATE};
    static const char *names[9] = {"b", "i32", "i64", "f32", "f64", "s", "tms", "tus", "d"};
    struct floe_arena a;
    size_t i;
    for (i = 0; i < 9; i++) {
        memset(&cols[i], 0, sizeof cols[i]);
        cols[i].name = names[i];
        cols[i].type = types[i];
        cols[i].nullable = 1;
    }
    sc.columns = cols;
    sc.n_columns = 9;
    sc.extra = 1;
    if (floe_rowwin_size(&sc, key, bytes) == 0 || floe_rowwin_size(&sc, key, bytes) > sizeof win_mem)
        return FLOE_ERR_NOMEM;
    floe_arena_init(&a, win_mem, sizeof win_mem);
    return floe_rowwin_init(&win, &a, &sc, key, bytes);
}

/* A row whose every column derives from n (column k null when n % 7 == k). */
static void make_row(int64_t n, struct floe_value v[10], char *text, size_t cap)
{
    int i;
    memset(v, 0, 10 * sizeof v[0]);
    snprintf(text, cap, "s-%lld%s", (long long)n, n % 3 == 0 ? "-with-a-longer-tail-past-one-hundred-and-twenty-eight-bytes-"
                                                               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" : "");
    v[0].v.b = (int)(n & 1);
    v[1].v.i64 = (int32_t)(n * -7919);
    v[2].v.i64 = n * 1000003 - 5000000;
    v[3].v.f32 = (float)n / 8.0f;
    v[4].v.f64 = (double)n * -0.25;
    v[5].v.str.ptr = text;
    v[5].v.str.len = (uint32_t)strlen(text);
    v[6].v.i64 = 1764700000000 + n;
    v[7].v.i64 = -n * 1000;
    v[8].v.i64 = 20000 - n;
    v[9].v.str.ptr = "{\"x\":1}";
    v[9].v.str.len = 7;
    for (i = 0; i < 10; i++)
        if (n % 7 == i)
            v[i].is_null = 1;
}

static int same_value(int type, const struct floe_value *a, const struct floe_value *b)
{
    if (a->is_null || b->is_null)
        return a->is_null == b->is_null;
    switch (type) {
    case FLOE_TYPE_BOOL:
        return !a->v.b == !b->v.b;
    case FLOE_TYPE_FLOAT:
        return memcmp(&a->v.f32, &b->v.f32, 4) == 0;
    case FLOE_TYPE_DOUBLE:
        return memcmp(&a->v.f64, &b->v.f64, 8) == 0;
    case FLOE_TYPE_STRING:
        return a->v.str.len == b->v.str.len && memcmp(a->v.str.ptr, b->v.str.ptr, a->v.str.len) == 0;
    default:
        return a->v.i64 == b->v.i64;
    }
}

/* Every value of every type comes back as it went in, nulls included, and
 * equal keys keep their arrival order. */
TEST(rowwin_rows_come_back_whole_grouped_and_stable)
{
    struct floe_value v[10], want[10];
    struct floe_row row;
    char text[256], want_text[256];
    int64_t n, last_n[4] = {-1, -1, -1, -1};
    uint32_t i, k;
    REQUIRE(win_setup(1, 256u << 10) == FLOE_OK); /* key: i32 (n * -7919) */
    for (n = 0; n < 600; n++) {
        make_row(n, v, text, sizeof text);
        v[1].v.i64 = n % 4; /* four keys, arriving interleaved */
        v[1].is_null = 0;
        memset(&row, 0, sizeof row);
        row.values = v;
        row.n_values = 10;
        row.source = "in.ndjson";
        REQUIRE(floe_rowwin_add(&win, &row) == FLOE_OK);
    }
    CHECK_EQ_INT(floe_rowwin_rows(&win), 600);
    floe_rowwin_sort(&win);
    for (i = 0; i < 600; i++) {
        int64_t key;
        floe_rowwin_get(&win, i, &row);
        REQUIRE(row.n_values == 10);
        key = row.values[1].v.i64;
        CHECK_EQ_INT(key, i / 150); /* grouped, keys ascending */
        /* the row's own n is in column tms (never null when n % 7 != 6) */
        n = row.values[6].is_null ? (int64_t)(row.values[7].v.i64 / -1000) : row.values[6].v.i64 - 1764700000000;
        CHECK(n > last_n[key]); /* arrival order within a key */
        CHECK_EQ_INT(n % 4, key);
        last_n[key] = n;
        make_row(n, want, want_text, sizeof want_text);
        want[1].v.i64 = n % 4;
        want[1].is_null = 0;
        for (k = 0; k < 10; k++)
            CHECK(same_value(k < 9 ? cols[k].type : FLOE_TYPE_STRING, &row.values[k], &want[k]));
        CHECK(row.source != NULL && strcmp(row.source, "in.ndjson") == 0);
    }
    floe_rowwin_clear(&win);
    CHECK_EQ_INT(floe_rowwin_rows(&win), 0);
}

static int add_key(int column, const struct floe_value *key, int64_t id)
{
    struct floe_value v[10];
    struct floe_row row;
    char text[256];
    make_row(id, v, text, sizeof text);
    v[column] = *key;
    v[2].v.i64 = id; /* the row's id, never null here */
    v[2].is_null = 0;
    memset(&row, 0, sizeof row);
    row.values = v;
    row.n_values = 10;
    return floe_rowwin_add(&win, &row);
}

static int64_t id_at(uint32_t i)
{
    struct floe_row row;
    floe_rowwin_get(&win, i, &row);
    return row.values[2].v.i64;
}

/* Keys order as DuckDB's ORDER BY: numbers by value (-0 before 0, NaN
 * last of the numbers), strings byte-wise with a prefix first, nulls last. */
TEST(rowwin_keys_order_as_sql_does)
{
    static const double d[] = {NAN, 1.5, -INFINITY, 0.0, -0.0, -2.0, INFINITY, -1e-300};
    static const int order_d[] = {2, 5, 7, 4, 3, 1, 6, 0};
    static const int64_t ints[] = {5, INT64_MIN, -1, INT64_MAX, 0};
    static const int order_i[] = {1, 2, 4, 0, 3};
    static const char *strs[] = {"b", "", "ab", "a", "\xc3\xa9", "a\x01"};
    static const int order_s[] = {1, 3, 5, 2, 0, 4};
    struct floe_value k;
    uint32_t i;

    REQUIRE(win_setup(4, 64u << 10) == FLOE_OK);
    for (i = 0; i < 8; i++) {
        memset(&k, 0, sizeof k);
        k.v.f64 = d[i];
        REQUIRE(add_key(4, &k, i) == FLOE_OK);
    }
    memset(&k, 0, sizeof k);
    k.is_null = 1;
    REQUIRE(add_key(4, &k, 8) == FLOE_OK);
    for (i = 0; i < 8; i++)
        CHECK_EQ_INT(id_at(i), order_d[i]);
    CHECK_EQ_INT(id_at(8), 8);

    REQUIRE(win_setup(7, 64u << 10) == FLOE_OK);
    for (i = 0; i < 5; i++) {
        memset(&k, 0, sizeof k);
        k.v.i64 = ints[i];
        REQUIRE(add_key(7, &k, i) == FLOE_OK);
    }
    for (i = 0; i < 5; i++)
        CHECK_EQ_INT(id_at(i), order_i[i]);

    REQUIRE(win_setup(5, 64u << 10) == FLOE_OK);
    for (i = 0; i < 6; i++) {
        memset(&k, 0, sizeof k);
        k.v.str.ptr = strs[i];
        k.v.str.len = (uint32_t)strlen(strs[i]);
        REQUIRE(add_key(5, &k, i) == FLOE_OK);
    }
    for (i = 0; i < 6; i++)
        CHECK_EQ_INT(id_at(i), order_s[i]);

    REQUIRE(win_setup(3, 64u << 10) == FLOE_OK); /* float keys */
    for (i = 0; i < 3; i++) {
        memset(&k, 0, sizeof k);
        k.v.f32 = (float)(2 - (int)i) * 0.5f;
        REQUIRE(add_key(3, &k, i) == FLOE_OK);
    }
    CHECK_EQ_INT(id_at(0), 2);
    CHECK_EQ_INT(id_at(2), 0);

    REQUIRE(win_setup(0, 64u << 10) == FLOE_OK); /* bool keys */
    for (i = 0; i < 4; i++) {
        memset(&k, 0, sizeof k);
        k.v.b = (int)(i % 2 == 0);
        REQUIRE(add_key(0, &k, i) == FLOE_OK);
    }
    CHECK_EQ_INT(id_at(0), 1);
    CHECK_EQ_INT(id_at(1), 3);
    CHECK_EQ_INT(id_at(2), 0);
}

/* A full window says so and changes nothing; a row no window could hold
 * says that instead; the names of many sources fill the window too. */
TEST(rowwin_says_full_and_too_big)
{
    static char big[20000]; /* past any 4 KiB window's keys */
    struct floe_value v[10];
    struct floe_row row;
    char text[256], name[16];
    uint32_t n = 0, i;
    int err;
    REQUIRE(win_setup(5, FLOE_ROWWIN_MIN_BYTES) == FLOE_OK);
    for (;;) {
        make_row(n, v, text, sizeof text);
        memset(&row, 0, sizeof row);
        row.values = v;
        row.n_values = 10;
        err = floe_rowwin_add(&win, &row);
        if (err != FLOE_OK)
            break;
        n++;
    }
    CHECK_EQ_INT(err, FLOE_ROWWIN_FULL);
    CHECK(n > 10);
    CHECK_EQ_INT(floe_rowwin_rows(&win), n);
    floe_rowwin_clear(&win);
    REQUIRE(floe_rowwin_add(&win, &row) == FLOE_OK);

    memset(big, 'x', sizeof big);
    v[9].is_null = 0;
    v[9].v.str.ptr = big;
    v[9].v.str.len = sizeof big;
    CHECK_EQ_INT(floe_rowwin_add(&win, &row), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(floe_rowwin_rows(&win), 1);

    /* A string key is held once, in the keys' own budget (64 bytes a key):
     * past what is left of it the window is full, past all of it no window
     * takes the row; a long key within it comes back whole. */
    v[9].v.str.len = 7;
    v[5].is_null = 0;
    v[5].v.str.ptr = big;
    v[5].v.str.len = sizeof big;
    CHECK_EQ_INT(floe_rowwin_add(&win, &row), FLOE_ROWWIN_FULL);
    CHECK_EQ_INT(floe_rowwin_rows(&win), 1);
    floe_rowwin_clear(&win);
    CHECK_EQ_INT(floe_rowwin_add(&win, &row), FLOE_ERR_LIMIT);
    v[5].v.str.len = 2000;
    REQUIRE(floe_rowwin_add(&win, &row) == FLOE_OK);
    floe_rowwin_get(&win, 0, &row);
    CHECK(row.values[5].v.str.len == 2000 && memcmp(row.values[5].v.str.ptr, big, 2000) == 0);

    REQUIRE(win_setup(1, 64u << 10) == FLOE_OK);
    for (i = 0; i <= FLOE_ROWWIN_SOURCES; i++) {
        make_row(i, v, text, sizeof text);
        snprintf(name, sizeof name, "src-%u", i);
        memset(&row, 0, sizeof row);
        row.values = v;
        row.n_values = 10;
        row.source = name; /* one buffer: names are compared, not pointers */
        err = floe_rowwin_add(&win, &row);
        if (i < FLOE_ROWWIN_SOURCES)
            REQUIRE(err == FLOE_OK);
    }
    CHECK_EQ_INT(err, FLOE_ROWWIN_FULL);
    for (i = 0; i < FLOE_ROWWIN_SOURCES; i++) {
        char want[32];
        floe_rowwin_get(&win, i, &row);
        snprintf(want, sizeof want, "src-%lld", (long long)(row.values[6].is_null ? 6 : row.values[6].v.i64 - 1764700000000));
        CHECK(row.source != NULL && strcmp(row.source, want) == 0);
    }
}

/* Values are held compactly (varints, differences, decimals): every bit
 * pattern still comes back as it went in. */
TEST(rowwin_holds_every_value_exactly)
{
    static char long_text[40000];
    static const double doubles[] = {0.0, -0.0, 21.37, -21.37, 0.1 + 0.2, 1e300, -1e-300, 4.9e-324,
                                     9007199254740992.0, 9007199254740993.0 / 3.0, 123456.789012, 0.5,
                                     1.0 / 3.0, 45.5, 3.999, -0.001, 1e22, 12.345678};
    static const int64_t ints[] = {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MIN + 1, 1764700000000000, -1764700000000000};
    static const int32_t int32s[] = {0, -1, INT32_MAX, INT32_MIN, 300};
    struct floe_value v[10], want[40][10];
    struct floe_row row;
    char text[256];
    uint64_t nan_bits = 0x7ff4000000000001ull, inf_bits = 0xfff0000000000000ull;
    uint32_t n = 0, i, k;
    memset(long_text, 'y', sizeof long_text);
    REQUIRE(win_setup(2, 256u << 10) == FLOE_OK); /* keyed by the int64 column */
    for (n = 0; n < 40; n++) {
        make_row(n, v, text, sizeof text);
        for (k = 0; k < 10; k++)
            v[k].is_null = 0;
        v[1].v.i64 = int32s[n % 5];
        v[2].v.i64 = ints[n % 8];
        v[6].v.i64 = ints[(n + 3) % 8];
        v[7].v.i64 = ints[(n * 5) % 8];
        v[4].v.f64 = doubles[n % 18];
        if (n == 18)
            memcpy(&v[4].v.f64, &nan_bits, 8);
        if (n == 19)
            memcpy(&v[4].v.f64, &inf_bits, 8);
        v[5].v.str.ptr = long_text;
        v[5].v.str.len = n == 7 ? (uint32_t)sizeof long_text : n % 300; /* row 7 is past 32 KB */
        memset(&row, 0, sizeof row);
        row.values = v;
        row.n_values = 10;
        REQUIRE(floe_rowwin_add(&win, &row) == FLOE_OK);
        memcpy(want[n], v, sizeof v);
    }
    floe_rowwin_sort(&win);
    for (i = 0; i < 40; i++) { /* each row once, found by its position in arrival order (column 8) */
        floe_rowwin_get(&win, i, &row);
        n = (uint32_t)(20000 - row.values[8].v.i64);
        REQUIRE(n < 40);
        for (k = 0; k < 10; k++)
            CHECK(same_value(k < 9 ? cols[k].type : FLOE_TYPE_STRING, &row.values[k], &want[n][k]));
    }
}

/* Short strings are held once a window until their budget runs out
 * (1,024 of them); the rest are held as they are, and all come back. */
TEST(rowwin_short_strings_past_the_intern_budget)
{
    struct floe_value v[10];
    struct floe_row row;
    char text[256], extra[3000][12];
    uint32_t n, i;
    REQUIRE(win_setup(0, 512u << 10) == FLOE_OK); /* keyed by the bool: two big groups */
    for (n = 0; n < 3000; n++) {
        make_row(n, v, text, sizeof text);
        snprintf(extra[n], sizeof extra[n], "x%u", n % 1500u); /* each twice, past the budget */
        v[9].is_null = 0;
        v[9].v.str.ptr = extra[n];
        v[9].v.str.len = (uint32_t)strlen(extra[n]);
        v[8].is_null = 0;
        v[8].v.i64 = n;
        memset(&row, 0, sizeof row);
        row.values = v;
        row.n_values = 10;
        REQUIRE(floe_rowwin_add(&win, &row) == FLOE_OK);
    }
    for (i = 0; i < 3000; i++) {
        floe_rowwin_get(&win, i, &row);
        n = (uint32_t)row.values[8].v.i64;
        REQUIRE(n < 3000);
        CHECK(row.values[9].v.str.len == strlen(extra[n]) && memcmp(row.values[9].v.str.ptr, extra[n], strlen(extra[n])) == 0);
    }
}

static uint64_t rand_state = 0x9e3779b97f4a7c15ull;
static uint64_t rand64(void)
{
    rand_state ^= rand_state << 13;
    rand_state ^= rand_state >> 7;
    rand_state ^= rand_state << 17;
    return rand_state;
}

/* Random rows of every type (empty, short, interned and long strings,
 * doubles of every kind, int64 extremes) fill windows of many sizes: no
 * add takes the window past its bytes, a full window changes nothing,
 * every row comes back, and a clear empties the string dictionary. */
TEST(rowwin_random_rows_fill_windows_to_the_byte)
{
    static struct floe_value want[1200][10];
    static char texts[1200][2][64];
    struct floe_value v[10];
    struct floe_row row;
    uint32_t iter, n, i, k, adds = 0;
    for (iter = 0; iter < 300; iter++) {
        size_t bytes = 4096u + (size_t)(rand64() % 20000u), used;
        int err;
        REQUIRE(win_setup((uint32_t)(rand64() % 9u), bytes) == FLOE_OK);
        for (n = 0; n < 1200; n++) {
            for (k = 0; k < 10; k++) {
                uint64_t r = rand64();
                int t = k < 9 ? cols[k].type : FLOE_TYPE_STRING;
                memset(&v[k], 0, sizeof v[k]);
                v[k].is_null = (uint8_t)(k != 8 && r % 7 == 0);
                r >>= 3;
                if (t == FLOE_TYPE_BOOL) {
                    v[k].v.b = (int)(r & 1u);
                } else if (t == FLOE_TYPE_FLOAT) {
                    uint32_t b = (uint32_t)r;
                    memcpy(&v[k].v.f32, &b, 4);
                } else if (t == FLOE_TYPE_DOUBLE) {
                    uint64_t b = rand64();
                    switch (r % 5u) {
                    case 0: memcpy(&v[k].v.f64, &b, 8); break; /* any bits: NaNs, subnormals */
                    case 1: v[k].v.f64 = (double)(int64_t)(b % 2000001u - 1000000) / 1000.0; break;
                    case 2: v[k].v.f64 = (double)(int64_t)(b >> 11) / 1e6; break;
                    case 3: v[k].v.f64 = (b & 1u) ? -0.0 : 1e300; break;
                    default: v[k].v.f64 = (double)(int64_t)(b % 20001u) / 100.0; break;
                    }
                } else if (t == FLOE_TYPE_STRING) {
                    char *text = texts[n][k == 5 ? 0 : 1];
                    uint32_t len = (uint32_t)(r % 8u == 0 ? 0 : r % 8u == 1 ? 33u + r % 14u : 1u + r % 12u);
                    snprintf(text, 64, "%llu-abcdefghijklmnopqrstuvwxyz0123456789abcdefghij",
                             (unsigned long long)(rand64() % 300u)); /* more distinct than a small window interns */
                    v[k].v.str.ptr = text;
                    v[k].v.str.len = len;
                } else if (k == 8) {
                    v[k].v.i64 = n; /* which row it is */
                } else if (t == FLOE_TYPE_INT32 || t == FLOE_TYPE_DATE) {
                    v[k].v.i64 = (int32_t)(uint32_t)(r % 4u == 0 ? r >> 9 : r % 100u);
                } else {
                    uint64_t b = rand64();
                    v[k].v.i64 = r % 4u == 0 ? (int64_t)(b >> 1) : r % 4u == 1 ? INT64_MIN + (int64_t)(b % 3u)
                                 : r % 4u == 2 ? INT64_MAX - (int64_t)(b % 3u) : 1764700000000 + (int64_t)(b % 100000u);
                }
            }
            memset(&row, 0, sizeof row);
            row.values = v;
            row.n_values = 10;
            used = win.used;
            err = floe_rowwin_add(&win, &row);
            adds++;
            REQUIRE(win.used <= win.cap);
            if (err != FLOE_OK) {
                CHECK_EQ_INT(err, FLOE_ROWWIN_FULL);
                CHECK(win.used == used && floe_rowwin_rows(&win) == n);
                break;
            }
            memcpy(want[n], v, sizeof v);
        }
        for (i = 0; i < n; i++) {
            uint32_t at;
            floe_rowwin_get(&win, i, &row);
            at = (uint32_t)row.values[8].v.i64;
            REQUIRE(at < n);
            for (k = 0; k < 10; k++)
                CHECK(same_value(k < 9 ? cols[k].type : FLOE_TYPE_STRING, &row.values[k], &want[at][k]));
        }
        floe_rowwin_clear(&win);
        CHECK_EQ_INT(floe_dict_count(&win.strings), 0);
        CHECK(win.strings_full == win.no_strings && win.used == 0);
    }
    CHECK(adds > 10000);
}

/* "" after the string dictionary's ids pass one byte: each is still
 * counted right, and no window is written past its bytes (the prefix of
 * 101 rows moves the room left by 101 bytes a turn, through every
 * remainder of the later rows' size). */
TEST(rowwin_empty_strings_after_many_interned)
{
    static char longs[128];
    static struct floe_column c3[3];
    static struct floe_schema s3;
    struct floe_value v[3];
    struct floe_row row;
    struct floe_arena a;
    char name[16];
    uint32_t len, n;
    memset(longs, 'z', sizeof longs);
    memset(c3, 0, sizeof c3);
    c3[0].name = "k";
    c3[0].type = FLOE_TYPE_INT32;
    c3[1].name = "s";
    c3[1].type = FLOE_TYPE_STRING;
    c3[2].name = "t";
    c3[2].type = FLOE_TYPE_STRING;
    s3.columns = c3;
    s3.n_columns = 3;
    for (len = 40; len < 100; len++) {
        int err = FLOE_OK;
        REQUIRE(floe_rowwin_size(&s3, 0, 64u << 10) <= sizeof win_mem); /* a string dictionary of 256 */
        floe_arena_init(&a, win_mem, sizeof win_mem);
        REQUIRE(floe_rowwin_init(&win, &a, &s3, 0, 64u << 10) == FLOE_OK);
        memset(v, 0, sizeof v);
        memset(&row, 0, sizeof row);
        row.values = v;
        row.n_values = 3;
        for (n = 0; n < 101; n++) {
            snprintf(name, sizeof name, "a%u", n);
            v[1].v.str.ptr = name;
            v[1].v.str.len = (uint32_t)strlen(name);
            v[2].v.str.ptr = longs;
            v[2].v.str.len = len;
            REQUIRE(floe_rowwin_add(&win, &row) == FLOE_OK);
        }
        v[1].v.str.ptr = "";
        v[1].v.str.len = 0;
        v[2].v.str.len = 40;
        while (err == FLOE_OK) {
            err = floe_rowwin_add(&win, &row);
            REQUIRE(win.used <= win.cap);
        }
        CHECK_EQ_INT(err, FLOE_ROWWIN_FULL);
    }
}

TEST(rowwin_refuses_what_it_cannot_hold)
{
    REQUIRE(win_setup(0, 64u << 10) == FLOE_OK);
    CHECK_EQ_U64(floe_rowwin_size(&sc, 9, 64u << 10), 0); /* _extra is no key */
    CHECK_EQ_U64(floe_rowwin_size(&sc, 0, FLOE_ROWWIN_MIN_BYTES - 1), 0);
    CHECK(floe_rowwin_size(&sc, 0, FLOE_ROWWIN_MIN_BYTES) > FLOE_ROWWIN_MIN_BYTES);
}

/* A row refused for its key (past the keys' budget) leaves no source name
 * behind: found by fuzz_rowwin, where eight refused rows from eight sources
 * filled the names and an empty window then said FULL to a ninth. */
TEST(rowwin_refused_rows_leave_no_source)
{
    static uint64_t mem[(1u << 20) / 8];
    struct floe_column col = {"k", NULL, FLOE_TYPE_STRING, 1, 0};
    struct floe_schema one = {&col, 1, 0};
    struct floe_rowwin w;
    struct floe_arena a;
    struct floe_value v;
    struct floe_row row;
    static char big[200];
    char name[16];
    unsigned i;
    floe_arena_init(&a, mem, sizeof mem);
    REQUIRE(floe_rowwin_init_keys(&w, &a, &one, 0, 4096, 1) == FLOE_OK); /* one key: 64 bytes of key text */
    memset(big, 'x', sizeof big);
    memset(&row, 0, sizeof row);
    row.values = &v;
    row.n_values = 1;
    row.source = name;
    for (i = 0; i < FLOE_ROWWIN_SOURCES + 1; i++) {
        memset(&v, 0, sizeof v);
        v.v.str.ptr = big;
        v.v.str.len = i < FLOE_ROWWIN_SOURCES ? 100u : 1u; /* past the keys' budget, until the last */
        snprintf(name, sizeof name, "src-%u", i);
        CHECK_EQ_INT(floe_rowwin_add(&w, &row), i < FLOE_ROWWIN_SOURCES ? FLOE_ERR_LIMIT : FLOE_OK);
    }
    CHECK_EQ_INT(floe_rowwin_rows(&w), 1);
    floe_rowwin_sort(&w);
    {
        struct floe_row back;
        floe_rowwin_get(&w, 0, &back);
        REQUIRE(back.source != NULL);
        CHECK_EQ_STR(back.source, "src-8");
    }
}
