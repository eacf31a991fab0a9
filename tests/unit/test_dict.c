#include "test.h"
#include "parquet/dict.h"

static uint64_t arena_mem[(1u << 21) / 8]; /* 2 MiB */

static void make_dict(struct floe_dict *d, enum floe_dict_kind kind, uint32_t max_entries,
                      size_t max_bytes)
{
    struct floe_arena a;
    floe_arena_init(&a, arena_mem, sizeof arena_mem);
    CHECK_EQ_INT(floe_dict_init(d, &a, kind, max_entries, max_bytes), FLOE_OK);
}

static int put_str(struct floe_dict *d, const char *s, uint32_t *idx)
{
    return floe_dict_insert(d, s, strlen(s), idx);
}

TEST(dict_bytes_insert_and_lookup)
{
    struct floe_dict d;
    uint32_t i;
    const uint8_t *v;
    size_t len;
    make_dict(&d, FLOE_DICT_BYTES, 16, 256);
    CHECK_EQ_INT(floe_dict_count(&d), 0);
    CHECK_EQ_INT(put_str(&d, "ok", &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
    CHECK_EQ_INT(put_str(&d, "error", &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    CHECK_EQ_INT(put_str(&d, "ok", &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
    CHECK_EQ_INT(put_str(&d, "", &i), FLOE_OK);
    CHECK_EQ_INT(i, 2);
    CHECK_EQ_INT(floe_dict_insert(&d, NULL, 0, &i), FLOE_OK);
    CHECK_EQ_INT(i, 2);
    /* A prefix and an extension are different values. */
    CHECK_EQ_INT(put_str(&d, "o", &i), FLOE_OK);
    CHECK_EQ_INT(i, 3);
    CHECK_EQ_INT(put_str(&d, "okk", &i), FLOE_OK);
    CHECK_EQ_INT(i, 4);
    CHECK_EQ_INT(put_str(&d, "error", &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    CHECK_EQ_INT(floe_dict_count(&d), 5);
    CHECK_EQ_INT(floe_dict_index_bit_width(&d), 3);
    CHECK_EQ_INT(floe_dict_get_bytes(&d, 1, &v, &len), FLOE_OK);
    CHECK_EQ_INT(len, 5);
    CHECK_EQ_MEM(v, "error", 5);
    CHECK_EQ_INT(floe_dict_get_bytes(&d, 2, &v, &len), FLOE_OK);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(floe_dict_get_bytes(&d, 5, &v, &len), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_dict_plain_bytes(&d), 5 * 4 + 2 + 5 + 0 + 1 + 3);
}

TEST(dict_plain_page_in_index_order)
{
    static const char *words[] = {"gw-0001", "b", "", "gw-0001", "ccc", "b"};
    uint8_t page[64];
    struct floe_buf b;
    struct floe_dict d;
    uint32_t i, idx;
    make_dict(&d, FLOE_DICT_BYTES, 8, 64);
    for (i = 0; i < FLOE_ARRAY_LEN(words); i++)
        put_str(&d, words[i], &idx);
    floe_buf_init(&b, page, sizeof page);
    CHECK_EQ_INT(floe_dict_write_plain(&d, &b), FLOE_OK);
    CHECK_EQ_INT(b.len, floe_dict_plain_bytes(&d));
    CHECK_EQ_INT(b.len, 4 * 4 + 7 + 1 + 0 + 3);
    CHECK_EQ_MEM(page, "\x07\x00\x00\x00gw-0001\x01\x00\x00\x00" "b"
                       "\x00\x00\x00\x00\x03\x00\x00\x00" "ccc", 27);
    /* Too small an output: NOMEM and nothing written. */
    floe_buf_init(&b, page, 26);
    CHECK_EQ_INT(floe_dict_write_plain(&d, &b), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(b.len, 0);
}

TEST(dict_limit_on_entries_keeps_content)
{
    struct floe_dict d;
    uint32_t i;
    make_dict(&d, FLOE_DICT_BYTES, 3, 1000);
    CHECK_EQ_INT(put_str(&d, "a", &i), FLOE_OK);
    CHECK_EQ_INT(put_str(&d, "b", &i), FLOE_OK);
    CHECK_EQ_INT(put_str(&d, "c", &i), FLOE_OK);
    i = 99;
    CHECK_EQ_INT(put_str(&d, "d", &i), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(i, 99);
    CHECK_EQ_INT(floe_dict_count(&d), 3);
    /* Existing values are still found after the limit. */
    CHECK_EQ_INT(put_str(&d, "b", &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    CHECK_EQ_INT(floe_dict_plain_bytes(&d), 3 * 5);
}

TEST(dict_limit_on_bytes)
{
    struct floe_dict d;
    uint32_t i;
    make_dict(&d, FLOE_DICT_BYTES, 100, 10);
    CHECK_EQ_INT(put_str(&d, "hello", &i), FLOE_OK);
    CHECK_EQ_INT(put_str(&d, "world!", &i), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(put_str(&d, "world", &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    CHECK_EQ_INT(put_str(&d, "x", &i), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(put_str(&d, "", &i), FLOE_OK); /* takes no bytes */
    CHECK_EQ_INT(i, 2);
    CHECK_EQ_INT(put_str(&d, "hello", &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
    CHECK_EQ_INT(floe_dict_count(&d), 3);
}

TEST(dict_reset_starts_over)
{
    struct floe_dict d;
    uint32_t i;
    make_dict(&d, FLOE_DICT_BYTES, 2, 100);
    put_str(&d, "x", &i);
    put_str(&d, "y", &i);
    CHECK_EQ_INT(put_str(&d, "z", &i), FLOE_ERR_LIMIT);
    floe_dict_reset(&d);
    CHECK_EQ_INT(floe_dict_count(&d), 0);
    CHECK_EQ_INT(floe_dict_plain_bytes(&d), 0);
    CHECK_EQ_INT(floe_dict_index_bit_width(&d), 0);
    CHECK_EQ_INT(put_str(&d, "z", &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
    CHECK_EQ_INT(put_str(&d, "x", &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    CHECK_EQ_INT(put_str(&d, "z", &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
}

TEST(dict_fixed_kinds)
{
    struct floe_dict d4, d8;
    struct floe_arena a;
    uint8_t page[64];
    struct floe_buf b;
    uint32_t i;
    float f = -0.0f;
    uint32_t fb;
    floe_arena_init(&a, arena_mem, sizeof arena_mem);
    REQUIRE(floe_dict_init(&d4, &a, FLOE_DICT_FIXED4, 8, 1024) == FLOE_OK);
    REQUIRE(floe_dict_init(&d8, &a, FLOE_DICT_FIXED8, 8, 1024) == FLOE_OK);
    CHECK_EQ_INT(floe_dict_insert_u32(&d4, 7, &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
    CHECK_EQ_INT(floe_dict_insert_u32(&d4, 0xfffffffeu, &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    /* The generic insert takes PLAIN (little-endian) bytes: the same value. */
    CHECK_EQ_INT(floe_dict_insert(&d4, "\x07\x00\x00\x00", 4, &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
    CHECK_EQ_INT(floe_dict_insert(&d4, "\x07\x00\x00", 3, &i), FLOE_ERR_INVAL);
    /* Floats by bits: -0.0 and 0.0 are different entries. */
    memcpy(&fb, &f, 4);
    CHECK_EQ_INT(floe_dict_insert_u32(&d4, fb, &i), FLOE_OK);
    CHECK_EQ_INT(i, 2);
    CHECK_EQ_INT(floe_dict_insert_u32(&d4, 0, &i), FLOE_OK);
    CHECK_EQ_INT(i, 3);
    CHECK_EQ_U64(floe_dict_get_fixed(&d4, 1), 0xfffffffeu);
    CHECK_EQ_INT(floe_dict_plain_bytes(&d4), 16);
    floe_buf_init(&b, page, sizeof page);
    CHECK_EQ_INT(floe_dict_write_plain(&d4, &b), FLOE_OK);
    CHECK_EQ_MEM(page, "\x07\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x80\x00\x00\x00\x00", 16);

    CHECK_EQ_INT(floe_dict_insert_u64(&d8, 0x0102030405060708ull, &i), FLOE_OK);
    CHECK_EQ_INT(floe_dict_insert(&d8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8, &i), FLOE_OK);
    CHECK_EQ_INT(i, 0);
    CHECK_EQ_INT(floe_dict_insert_u64(&d8, 1, &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    CHECK_EQ_INT(floe_dict_insert_u32(&d8, 1, &i), FLOE_ERR_INVAL); /* wrong kind */
    floe_buf_init(&b, page, sizeof page);
    CHECK_EQ_INT(floe_dict_write_plain(&d8, &b), FLOE_OK);
    CHECK_EQ_INT(b.len, 16);
    CHECK_EQ_MEM(page, "\x08\x07\x06\x05\x04\x03\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00", 16);
}

TEST(dict_fixed_limit_by_bytes)
{
    struct floe_dict d;
    uint32_t i, k;
    make_dict(&d, FLOE_DICT_FIXED8, 100, 20); /* room for 2 values */
    CHECK_EQ_INT(floe_dict_insert_u64(&d, 1, &i), FLOE_OK);
    CHECK_EQ_INT(floe_dict_insert_u64(&d, 2, &i), FLOE_OK);
    CHECK_EQ_INT(floe_dict_insert_u64(&d, 3, &i), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(floe_dict_insert_u64(&d, 2, &i), FLOE_OK);
    CHECK_EQ_INT(i, 1);
    /* Entries limit too. */
    make_dict(&d, FLOE_DICT_FIXED4, 50, 1 << 20);
    for (k = 0; k < 50; k++)
        CHECK_EQ_INT(floe_dict_insert_u32(&d, k * 1000u, &i), FLOE_OK);
    CHECK_EQ_INT(floe_dict_insert_u32(&d, 1, &i), FLOE_ERR_LIMIT);
    for (k = 0; k < 50; k++) {
        CHECK_EQ_INT(floe_dict_insert_u32(&d, k * 1000u, &i), FLOE_OK);
        CHECK_EQ_INT(i, k);
    }
}

TEST(dict_size_matches_init)
{
    static const enum floe_dict_kind kinds[] = {FLOE_DICT_FIXED4, FLOE_DICT_FIXED8, FLOE_DICT_BYTES};
    static const uint32_t entries[] = {1, 3, 100, 4096};
    size_t k, e;
    for (k = 0; k < 3; k++) {
        for (e = 0; e < FLOE_ARRAY_LEN(entries); e++) {
            struct floe_arena a;
            struct floe_dict d;
            size_t need = floe_dict_size(kinds[k], entries[e], 5000);
            REQUIRE(need > 0 && need <= sizeof arena_mem);
            floe_arena_init(&a, arena_mem, need);
            CHECK_EQ_INT(floe_dict_init(&d, &a, kinds[k], entries[e], 5000), FLOE_OK);
            CHECK_EQ_INT(a.used, need);
            floe_arena_init(&a, arena_mem, need - 1);
            CHECK_EQ_INT(floe_dict_init(&d, &a, kinds[k], entries[e], 5000), FLOE_ERR_NOMEM);
            CHECK_EQ_INT(a.used, 0); /* the arena is left as it was */
        }
    }
    /* The table is at most half full: 256 slots for 100 entries, of 2 bytes
     * (an index) for FIXED, 8 (index and hash tag) for BYTES; past 65,535
     * entries a FIXED index takes 4. */
    CHECK_EQ_INT(floe_dict_size(FLOE_DICT_FIXED4, 100, 400), 256 * 2 + 400);
    CHECK_EQ_INT(floe_dict_size(FLOE_DICT_FIXED8, 100, 800), 256 * 2 + 800);
    CHECK_EQ_INT(floe_dict_size(FLOE_DICT_FIXED4, 65535, 4 * 65535), 131072 * 2 + 4 * 65535);
    CHECK_EQ_INT(floe_dict_size(FLOE_DICT_FIXED4, 65536, 4 * 65536), 131072 * 4 + 4 * 65536);
    CHECK(floe_dict_size(FLOE_DICT_BYTES, 100, 400) >= 256 * 8 + 101 * 4 + 400);
    CHECK_EQ_INT(floe_dict_size(FLOE_DICT_BYTES, 0, 10), 0);
    CHECK_EQ_INT(floe_dict_size(FLOE_DICT_BYTES, FLOE_DICT_MAX_ENTRIES + 1, 10), 0);
    CHECK_EQ_INT(floe_dict_size((enum floe_dict_kind)9, 10, 10), 0);
#if SIZE_MAX > UINT32_MAX
    CHECK_EQ_INT(floe_dict_size(FLOE_DICT_BYTES, 10, (size_t)UINT32_MAX + 1), 0);
#endif
}

TEST(dict_rejects_bad_arguments)
{
    struct floe_dict d;
    struct floe_arena a;
    uint32_t i;
    floe_arena_init(&a, arena_mem, sizeof arena_mem);
    CHECK_EQ_INT(floe_dict_init(NULL, &a, FLOE_DICT_BYTES, 1, 1), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_dict_init(&d, NULL, FLOE_DICT_BYTES, 1, 1), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_dict_init(&d, &a, FLOE_DICT_BYTES, 0, 1), FLOE_ERR_INVAL);
    CHECK_EQ_INT(a.used, 0);
    /* A failed init leaves a dictionary that refuses inserts. */
    CHECK_EQ_INT(put_str(&d, "x", &i), FLOE_ERR_INVAL);
    make_dict(&d, FLOE_DICT_BYTES, 4, 4);
    CHECK_EQ_INT(floe_dict_insert(&d, NULL, 3, &i), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_dict_insert(&d, "x", 1, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_dict_insert_u32(&d, 1, &i), FLOE_ERR_INVAL);
    CHECK_EQ_U64(floe_dict_get_fixed(&d, 0), 0);
}

/* Device ids as the pipeline sees them: many repeats of a few thousand. */
TEST(dict_device_ids_round_trip)
{
    static char ids[2000][24];
    static uint32_t first_index[2000];
    struct floe_dict d;
    uint32_t k, idx;
    int n;
    make_dict(&d, FLOE_DICT_BYTES, 4096, 64 * 1024);
    for (k = 0; k < 2000; k++) {
        snprintf(ids[k], sizeof ids[k], "gw-%04u/sensor-%02u", k / 20, k % 20);
        first_index[k] = UINT32_MAX;
    }
    for (n = 0; n < 50000; n++) {
        k = (uint32_t)(test_rand() % 2000);
        REQUIRE(put_str(&d, ids[k], &idx) == FLOE_OK);
        if (first_index[k] == UINT32_MAX)
            first_index[k] = idx;
        else if (first_index[k] != idx)
            test_fail(__FILE__, __LINE__, "%s: %u then %u", ids[k], first_index[k], idx);
    }
    CHECK_EQ_INT(floe_dict_count(&d), 2000);
    CHECK_EQ_INT(floe_dict_index_bit_width(&d), 11);
    for (k = 0; k < 2000; k++) {
        const uint8_t *v;
        size_t len;
        REQUIRE(floe_dict_get_bytes(&d, first_index[k], &v, &len) == FLOE_OK);
        CHECK(len == strlen(ids[k]) && memcmp(v, ids[k], len) == 0);
    }
    /* Reading the PLAIN page back gives the entries in index order. */
    {
        static uint8_t page[64 * 1024 + 4 * 4096];
        struct floe_buf b;
        size_t pos = 0;
        uint32_t e;
        floe_buf_init(&b, page, sizeof page);
        REQUIRE(floe_dict_write_plain(&d, &b) == FLOE_OK);
        for (e = 0; e < 2000; e++) {
            const uint8_t *v, *want;
            uint32_t len;
            size_t wlen;
            REQUIRE(floe_plain_get_byte_array(page, b.len, &pos, &v, &len) == FLOE_OK);
            floe_dict_get_bytes(&d, e, &want, &wlen);
            CHECK(len == wlen && memcmp(v, want, len) == 0);
        }
        CHECK_EQ_INT(pos, b.len);
    }
}

TEST(dict_many_fixed_values)
{
    struct floe_dict d;
    uint32_t k, idx;
    make_dict(&d, FLOE_DICT_FIXED8, 40000, 40000 * 8);
    /* Adversarial-ish: multiples of a power of two. */
    for (k = 0; k < 40000; k++) {
        REQUIRE(floe_dict_insert_u64(&d, (uint64_t)k << 20, &idx) == FLOE_OK);
        CHECK_EQ_INT(idx, k);
    }
    CHECK_EQ_INT(floe_dict_insert_u64(&d, (uint64_t)40000 << 20, &idx), FLOE_ERR_LIMIT);
    for (k = 0; k < 40000; k += 7) {
        REQUIRE(floe_dict_insert_u64(&d, (uint64_t)k << 20, &idx) == FLOE_OK);
        CHECK_EQ_INT(idx, k);
    }
}

/* The writer compacts its dictionary pool by moving whole regions: a moved
 * dictionary finds, returns and extends exactly what it held. */
TEST(dict_region_moves_whole)
{
    struct floe_arena a;
    struct floe_dict d, f;
    uint8_t *start, *fstart;
    size_t len, flen, i;
    uint32_t idx;
    char key[24];
    floe_arena_init(&a, arena_mem, sizeof arena_mem);
    REQUIRE(floe_arena_take_raw(&a, 4096, 8, (void **)&start) == FLOE_OK); /* the hole to move into */
    REQUIRE(floe_dict_init(&d, &a, FLOE_DICT_BYTES, 300, 8192) == FLOE_OK);
    REQUIRE(floe_dict_init(&f, &a, FLOE_DICT_FIXED8, 300, 2400) == FLOE_OK);
    for (i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "gw-%04zu/sensor", i * 7);
        CHECK_EQ_INT(put_str(&d, key, &idx), FLOE_OK);
        CHECK_EQ_INT(floe_dict_insert_u64(&f, (uint64_t)i * 1000003u, &idx), FLOE_OK);
    }
    floe_dict_region(&d, &start, &len);
    floe_dict_region(&f, &fstart, &flen);
    CHECK(start == (uint8_t *)arena_mem + 4096);
    CHECK(fstart >= start + len && fstart < start + len + 8); /* carved back to back */
    CHECK_EQ_U64((uint64_t)(fstart + flen - start), (uint64_t)a.used - 4096);
    /* Move both down by 4096 bytes, as compaction does (in address order). */
    memmove((uint8_t *)arena_mem, start, len);
    floe_dict_moved(&d, (uint8_t *)arena_mem);
    memmove((uint8_t *)arena_mem + (fstart - start), fstart, flen);
    floe_dict_moved(&f, (uint8_t *)arena_mem + (fstart - start));
    memset((uint8_t *)arena_mem + len + flen + 8, 0xAB, 4096); /* the old place is reused */
    for (i = 0; i < 200; i++) {
        const uint8_t *v;
        size_t vl;
        snprintf(key, sizeof key, "gw-%04zu/sensor", i * 7);
        CHECK_EQ_INT(put_str(&d, key, &idx), FLOE_OK);
        CHECK_EQ_INT(idx, i);
        CHECK_EQ_INT(floe_dict_get_bytes(&d, (uint32_t)i, &v, &vl), FLOE_OK);
        CHECK(vl == strlen(key) && memcmp(v, key, vl) == 0);
        CHECK_EQ_INT(floe_dict_insert_u64(&f, (uint64_t)i * 1000003u, &idx), FLOE_OK);
        CHECK_EQ_INT(idx, i);
        CHECK_EQ_U64(floe_dict_get_fixed(&f, (uint32_t)i), (uint64_t)i * 1000003u);
    }
    CHECK_EQ_INT(put_str(&d, "new", &idx), FLOE_OK);
    CHECK_EQ_INT(idx, 200);
    CHECK_EQ_INT(floe_dict_count(&d), 201);
}

/* Both slot widths hold every index: a FIXED dictionary of 65,535 entries
 * (16-bit slots, the last index 65,535 itself) and one of 70,000 (32-bit). */
TEST(dict_fixed_slots_narrow_and_wide)
{
    static uint64_t mem[(1600u * 1024u) / 8];
    static const uint32_t sizes[] = {65535, 70000};
    struct floe_dict d;
    struct floe_arena a;
    size_t k;
    for (k = 0; k < 2; k++) {
        uint32_t n = sizes[k], i, idx;
        int bad = 0;
        REQUIRE(floe_dict_size(FLOE_DICT_FIXED8, n, (size_t)n * 8) <= sizeof mem);
        floe_arena_init(&a, mem, sizeof mem);
        REQUIRE(floe_dict_init(&d, &a, FLOE_DICT_FIXED8, n, (size_t)n * 8) == FLOE_OK);
        CHECK_EQ_INT(d.slot_size, k == 0 ? 2 : 4);
        for (i = 0; i < n && !bad; i++)
            bad = floe_dict_insert_u64(&d, (uint64_t)i * 0x9e3779b97f4a7c15ull, &idx) != FLOE_OK || idx != i;
        CHECK(!bad);
        for (i = 0; i < n && !bad; i++)
            bad = floe_dict_insert_u64(&d, (uint64_t)i * 0x9e3779b97f4a7c15ull, &idx) != FLOE_OK || idx != i;
        CHECK(!bad);
        CHECK_EQ_INT(floe_dict_count(&d), n);
        CHECK_EQ_INT(floe_dict_insert_u64(&d, 12345u, &idx), FLOE_ERR_LIMIT); /* full */
    }
}
