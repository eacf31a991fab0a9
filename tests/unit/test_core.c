#include "test.h"
#include "floe/floe.h"
#include "core/internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- arena ---- */

TEST(arena_takes_aligned_zeroed_memory)
{
    static uint64_t buf[64];
    struct floe_arena a;
    void *p, *q;
    memset(buf, 0xaa, sizeof buf);
    CHECK_EQ_INT(floe_arena_init(&a, buf, sizeof buf), FLOE_OK);
    CHECK_EQ_INT(floe_arena_take(&a, 3, 1, &p), FLOE_OK);
    CHECK_EQ_INT(floe_arena_take(&a, 16, 16, &q), FLOE_OK);
    REQUIRE(p != NULL && q != NULL);
    CHECK_EQ_INT((uintptr_t)q % 16, 0);
    CHECK(((uint8_t *)p)[0] == 0 && ((uint8_t *)q)[15] == 0);
    CHECK((uint8_t *)q >= (uint8_t *)p + 3);
}

TEST(arena_reports_nomem_and_takes_nothing)
{
    static uint64_t buf[4];
    struct floe_arena a;
    void *p;
    floe_arena_init(&a, buf, sizeof buf);
    CHECK_EQ_INT(floe_arena_take(&a, 24, 8, &p), FLOE_OK);
    CHECK_EQ_INT(floe_arena_take(&a, 9, 8, &p), FLOE_ERR_NOMEM);
    CHECK(p == NULL);
    CHECK_EQ_INT(a.used, 24);
    CHECK_EQ_INT(floe_arena_take(&a, 8, 8, &p), FLOE_OK);
    CHECK_EQ_INT(floe_arena_left(&a, 1), 0);
    CHECK_EQ_INT(floe_arena_take(&a, SIZE_MAX, 8, &p), FLOE_ERR_NOMEM);
}

TEST(arena_rejects_bad_alignment_and_arguments)
{
    static uint64_t buf[4];
    struct floe_arena a;
    void *p;
    CHECK_EQ_INT(floe_arena_init(NULL, buf, 8), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_arena_init(&a, NULL, 8), FLOE_ERR_INVAL);
    floe_arena_init(&a, buf, sizeof buf);
    CHECK_EQ_INT(floe_arena_take(&a, 1, 3, &p), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_arena_take(&a, 1, 0, &p), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_arena_take(&a, 1, 128, &p), FLOE_ERR_INVAL);
}

TEST(arena_misaligned_buffer_loses_only_the_head)
{
    static uint64_t buf[8];
    struct floe_arena a;
    void *p;
    floe_arena_init(&a, (uint8_t *)buf + 3, sizeof buf - 3);
    CHECK_EQ_INT(a.size, sizeof buf - 8);
    CHECK_EQ_INT(floe_arena_take(&a, 8, 8, &p), FLOE_OK);
    CHECK_EQ_INT((uintptr_t)p % 8, 0);
    /* Too small to reach an aligned byte: an empty arena, not a crash. */
    floe_arena_init(&a, (uint8_t *)buf + 1, 5);
    CHECK_EQ_INT(floe_arena_take(&a, 1, 1, &p), FLOE_ERR_NOMEM);
}

TEST(arena_counting_matches_real_carving)
{
    static uint64_t buf[128];
    struct floe_arena count, real;
    void *p;
    size_t sizes[] = {1, 7, 64, 3, 100};
    size_t aligns[] = {1, 8, 32, 2, 16};
    size_t i;
    floe_arena_init_counting(&count);
    CHECK(floe_arena_counting(&count));
    for (i = 0; i < FLOE_ARRAY_LEN(sizes); i++) {
        CHECK_EQ_INT(floe_arena_take(&count, sizes[i], aligns[i], &p), FLOE_OK);
        CHECK(p == NULL);
    }
    /* A real arena of exactly the counted size (plus worst-case alignment
     * slack for 32-byte alignment) holds the same carving. */
    floe_arena_init(&real, buf, count.used + 32);
    for (i = 0; i < FLOE_ARRAY_LEN(sizes); i++)
        CHECK_EQ_INT(floe_arena_take(&real, sizes[i], aligns[i], &p), FLOE_OK);
}

TEST(arena_mark_rewind_and_high_water)
{
    static uint64_t buf[32];
    struct floe_arena a, child;
    void *p;
    size_t mark;
    floe_arena_init(&a, buf, sizeof buf);
    floe_arena_take(&a, 16, 8, &p);
    mark = floe_arena_mark(&a);
    floe_arena_take(&a, 100, 8, &p);
    floe_arena_rewind(&a, mark);
    CHECK_EQ_INT(a.used, 16);
    CHECK_EQ_INT(a.high_water, 116);
    CHECK_EQ_INT(floe_arena_slice(&a, 64, &child), FLOE_OK);
    CHECK_EQ_INT(child.size, 64);
    CHECK_EQ_INT(floe_arena_take(&child, 65, 1, &p), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(floe_arena_slice(&a, 1024, &child), FLOE_ERR_NOMEM);
}

/* ---- errors ---- */

TEST(every_error_code_has_a_name_and_text)
{
    int e;
    for (e = 0; e >= FLOE_ERR__LAST; e--) {
        CHECK(strcmp(floe_errname(e), "UNKNOWN") != 0);
        CHECK(strcmp(floe_strerror(e), "unknown error") != 0);
    }
    CHECK_EQ_STR(floe_errname(FLOE_ERR_NOMEM), "NOMEM");
    CHECK_EQ_STR(floe_strerror(1), "unknown error");
    CHECK_EQ_STR(floe_errname(FLOE_ERR__LAST - 1), "UNKNOWN");
}

/* ---- CRC-32C ---- */

TEST(crc32c_known_vectors)
{
    static uint8_t zeros[32], ones[32], inc[32];
    int i;
    for (i = 0; i < 32; i++) {
        ones[i] = 0xff;
        inc[i] = (uint8_t)i;
    }
    CHECK_EQ_U64(floe_crc32c("123456789", 9), 0xe3069283u);
    CHECK_EQ_U64(floe_crc32c("", 0), 0);
    /* RFC 3720 (iSCSI) appendix B.4 test vectors. */
    CHECK_EQ_U64(floe_crc32c(zeros, 32), 0x8a9136aau);
    CHECK_EQ_U64(floe_crc32c(ones, 32), 0x62a8ab43u);
    CHECK_EQ_U64(floe_crc32c(inc, 32), 0x46dd794eu);
}

TEST(crc32c_incremental_equals_whole)
{
    static uint8_t data[1000];
    size_t i, split;
    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)test_rand();
    for (split = 0; split <= sizeof data; split += 37) {
        uint32_t c = floe_crc32c_update(floe_crc32c(data, split), data + split, sizeof data - split);
        CHECK_EQ_U64(c, floe_crc32c(data, sizeof data));
    }
    /* Unaligned starts reach the byte-wise tail of the word loop. */
    CHECK_EQ_U64(floe_crc32c(data + 1, 9), floe_crc32c_update(floe_crc32c(data + 1, 4), data + 5, 5));
}

/* ---- UUIDv7 ---- */

static int fake_entropy_fill(void *ctx, void *buf, size_t n)
{
    uint8_t *p = buf;
    unsigned *counter = ctx;
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(0x5a ^ (*counter)++);
    return FLOE_OK;
}

static int failing_entropy_fill(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    (void)buf;
    (void)n;
    return FLOE_ERR_IO;
}

TEST(uuid7_layout_version_variant_and_time)
{
    unsigned counter = 0;
    struct floe_entropy_port e = {&counter, fake_entropy_fill};
    struct floe_uuid7_gen g;
    uint8_t u[16], back[16];
    char text[FLOE_UUID_STR_LEN + 1];
    floe_uuid7_init(&g);
    CHECK_EQ_INT(floe_uuid7_next(&g, 1735689600123LL, &e, u), FLOE_OK);
    CHECK_EQ_INT(u[6] >> 4, 7);
    CHECK_EQ_INT(u[8] >> 6, 2);
    CHECK_EQ_U64(floe_uuid7_ms(u), 1735689600123ULL);
    floe_uuid_format(u, text);
    CHECK_EQ_INT(strlen(text), 36);
    CHECK(text[8] == '-' && text[13] == '-' && text[14] == '7' && text[18] == '-' && text[23] == '-');
    CHECK(strncmp(text, "01941f29", 8) == 0); /* 1735689600123 = 0x01941f297c7b */
    CHECK_EQ_INT(floe_uuid_parse(text, back), FLOE_OK);
    CHECK_EQ_MEM(u, back, 16);
    CHECK_EQ_INT(floe_uuid_parse("01941f29-7c7b-7000-8000-00000000000", back), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_uuid_parse("01941f29-7c7b-7000-8000-0000000000000", back), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_uuid_parse("01941f29x7c7b-7000-8000-000000000000", back), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_uuid_parse("01941f29-7c7b-7000-8000-00000000000g", back), FLOE_ERR_MALFORMED);
}

TEST(uuid7_strictly_increasing_even_when_clock_steps_back)
{
    unsigned counter = 0;
    struct floe_entropy_port e = {&counter, fake_entropy_fill};
    struct floe_uuid7_gen g;
    uint8_t prev[16], cur[16];
    int i;
    floe_uuid7_init(&g);
    CHECK_EQ_INT(floe_uuid7_next(&g, 1000, &e, prev), FLOE_OK);
    /* 10000 ids in the same millisecond exhaust the 12-bit counter several
     * times, and a clock that goes back must not reorder them. */
    for (i = 0; i < 10000; i++) {
        int64_t ms = i == 5000 ? 10 : 1000;
        CHECK_EQ_INT(floe_uuid7_next(&g, ms, &e, cur), FLOE_OK);
        if (memcmp(prev, cur, 16) >= 0) {
            CHECK(memcmp(prev, cur, 16) < 0);
            break;
        }
        memcpy(prev, cur, 16);
    }
    CHECK(floe_uuid7_ms(cur) > 1000);
}

TEST(uuid7_reports_entropy_failure_and_bad_time)
{
    struct floe_entropy_port bad = {NULL, failing_entropy_fill};
    unsigned counter = 0;
    struct floe_entropy_port good = {&counter, fake_entropy_fill};
    struct floe_uuid7_gen g;
    uint8_t u[16];
    floe_uuid7_init(&g);
    CHECK_EQ_INT(floe_uuid7_next(&g, 1000, &bad, u), FLOE_ERR_IO);
    CHECK_EQ_INT(floe_uuid7_next(&g, -1, &good, u), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_uuid7_next(&g, 1LL << 48, &good, u), FLOE_ERR_INVAL);
}

/* ---- UTC ---- */

TEST(utc_days_round_trip_over_ten_millennia)
{
    int64_t d;
    struct floe_civil c;
    CHECK_EQ_INT(floe_utc_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(floe_utc_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(floe_utc_days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(floe_utc_days_from_civil(0, 1, 1), -719528);
    for (d = -719528; d < 2932897; d += 13) {
        floe_utc_civil(d * 86400000000LL, &c);
        if (floe_utc_days_from_civil(c.year, c.month, c.day) != d) {
            CHECK_EQ_INT(floe_utc_days_from_civil(c.year, c.month, c.day), d);
            break;
        }
    }
}

TEST(utc_formats)
{
    char buf[32];
    CHECK_EQ_INT(floe_utc_format_iso(1735689600123456LL, buf), 27);
    CHECK_EQ_STR(buf, "2025-01-01T00:00:00.123456Z");
    floe_utc_format_iso(-1, buf);
    CHECK_EQ_STR(buf, "1969-12-31T23:59:59.999999Z");
    floe_utc_format_iso(951782400000000LL, buf); /* leap day 2000 */
    CHECK_EQ_STR(buf, "2000-02-29T00:00:00.000000Z");
    floe_utc_format_date(1763719200000000LL, buf);
    CHECK_EQ_STR(buf, "2025-11-21");
    floe_utc_format_amz(1440938160000000LL, buf);
    CHECK_EQ_STR(buf, "20150830T123600Z");
}

/* Sizes of arrays never wrap on a 32-bit target: they come out whole or
 * refused (0), never small (the JSON parser's 2^30 tokens gave 72 bytes). */
TEST(sizes_of_huge_limits_are_whole_or_refused)
{
    struct floe_arena a;
    void *p;
    uint64_t tokens = 1u << 30, w;
    CHECK_EQ_U64(floe_size_mul(SIZE_MAX / 2u + 1u, 2), SIZE_MAX);
    CHECK_EQ_U64(floe_size_mul(SIZE_MAX, 0), 0);
    CHECK_EQ_U64(floe_size_mul(12, 10), 120);
    floe_arena_init_counting(&a);
    CHECK_EQ_INT(floe_arena_take_raw(&a, SIZE_MAX, 8, &p), FLOE_ERR_NOMEM);
    w = floe_json_validate_work((uint32_t)tokens, 8);
    CHECK(w == 0 || w >= tokens * 16u);
    w = floe_json_validate_work(0x7fffffffu, 8);
    CHECK(w == 0 || w >= (uint64_t)0x7fffffffu * 16u);
}

TEST(utc_parses_rfc3339_with_offsets_and_fractions)
{
    int64_t us;
    int32_t days;
#define PARSE(str) floe_utc_parse_rfc3339((str), strlen(str), &us)
    CHECK_EQ_INT(PARSE("2025-01-01T00:00:00.123Z"), FLOE_OK);
    CHECK_EQ_INT(us, 1735689600123000LL);
    CHECK_EQ_INT(PARSE("2025-01-01T01:30:00+01:30"), FLOE_OK);
    CHECK_EQ_INT(us, 1735689600000000LL);
    CHECK_EQ_INT(PARSE("2024-12-31t19:00:00.5-05:00"), FLOE_OK);
    CHECK_EQ_INT(us, 1735689600500000LL);
    CHECK_EQ_INT(PARSE("2025-01-01 00:00:00.123456789z"), FLOE_OK);
    CHECK_EQ_INT(us, 1735689600123456LL);
    CHECK_EQ_INT(PARSE("1960-06-15T12:00:00Z"), FLOE_OK);
    CHECK_EQ_INT(us, -301233600000000LL);
    CHECK_EQ_INT(PARSE("2024-02-29T00:00:00Z"), FLOE_OK);
    CHECK_EQ_INT(PARSE("2023-02-29T00:00:00Z"), FLOE_ERR_RANGE);
    CHECK_EQ_INT(PARSE("2025-13-01T00:00:00Z"), FLOE_ERR_RANGE);
    CHECK_EQ_INT(PARSE("2025-01-01T24:00:00Z"), FLOE_ERR_RANGE);
    CHECK_EQ_INT(PARSE("2025-01-01T23:59:60Z"), FLOE_ERR_RANGE);
    CHECK_EQ_INT(PARSE("2025-01-01T00:00:00"), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(PARSE("2025-01-01T00:00:00.Z"), FLOE_ERR_MALFORMED);
    /* RFC 3339 sets no limit on fraction digits: past the 6th they are cut. */
    CHECK_EQ_INT(PARSE("2025-01-01T00:00:00.1234569999999999999Z"), FLOE_OK);
    CHECK_EQ_INT(us, 1735689600123456LL);
    /* Years 0000 to 9999 UTC, after the offset too (the partition names and
     * the printed forms have four digits). */
    CHECK_EQ_INT(PARSE("0000-01-01T00:00:00Z"), FLOE_OK);
    CHECK_EQ_INT(us, -62167219200000000LL);
    CHECK_EQ_INT(PARSE("9999-12-31T23:59:59.999999Z"), FLOE_OK);
    CHECK_EQ_INT(us, 253402300799999999LL);
    CHECK_EQ_INT(PARSE("9999-12-31T23:30:00-01:00"), FLOE_ERR_RANGE);
    CHECK_EQ_INT(PARSE("0000-01-01T00:30:00+01:00"), FLOE_ERR_RANGE);
    CHECK_EQ_INT(PARSE("0000-01-01T00:30:00-01:00"), FLOE_OK);
    CHECK_EQ_INT(PARSE("2025-01-01T00:00:00Zjunk"), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(PARSE("2025-1-01T00:00:00Z"), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(PARSE("2025-01-01T00:00:00+0100"), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(PARSE(""), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_utc_parse_rfc3339("2025-01-01T00:00:00Z", 10, &us), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_utc_parse_date("2025-11-21", 10, &days), FLOE_OK);
    CHECK_EQ_INT(days, 20413);
    CHECK_EQ_INT(floe_utc_parse_date("2025-11-31", 10, &days), FLOE_ERR_RANGE);
#undef PARSE
}

/* Random timestamps in the usual layout, against a field-by-field sum done
 * here (days counted by walking the years and months); then the same text
 * with one byte replaced, which must fail or give what the layout says. */
static int64_t ref_days(int y, int m, int d)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    int k;
    for (k = 1970; k < y; k++)
        days += (k % 4 == 0 && k % 100 != 0) || k % 400 == 0 ? 366 : 365;
    for (k = y; k < 1970; k++)
        days -= (k % 4 == 0 && k % 100 != 0) || k % 400 == 0 ? 366 : 365;
    for (k = 1; k < m; k++)
        days += len[k - 1] + (k == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return days + d - 1;
}

TEST(utc_rfc3339_random_timestamps)
{
    static const char *const zones[] = {"Z", "z", "+00:00", "-05:30", "+14:00", "+23:59"};
    static const int zone_min[] = {0, 0, 0, -330, 840, 1439};
    char buf[64];
    int i;
    for (i = 0; i < 20000; i++) {
        int y = 1900 + (int)(test_rand() % 300), mo = 1 + (int)(test_rand() % 12), d = 1 + (int)(test_rand() % 28);
        int h = (int)(test_rand() % 24), mi = (int)(test_rand() % 60), sec = (int)(test_rand() % 60);
        int fd = (int)(test_rand() % 8), z = (int)(test_rand() % 6), k, rc;
        char sep = "Tt "[test_rand() % 3];
        int64_t frac = 0, us = 0, want;
        size_t n = (size_t)snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d", y, mo, d, sep, h, mi, sec);
        if (fd > 0) {
            buf[n++] = '.';
            for (k = 0; k < fd; k++) {
                int dig = (int)(test_rand() % 10);
                buf[n++] = (char)('0' + dig);
                if (k < 6)
                    frac = frac * 10 + dig;
            }
            for (k = fd; k < 6; k++)
                frac *= 10;
        }
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", zones[z]);
        want = (ref_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - zone_min[z] * 60) * 1000000LL + frac;
        rc = floe_utc_parse_rfc3339(buf, n, &us);
        if (rc != FLOE_OK || us != want) {
            test_fail(__FILE__, __LINE__, "\"%s\": rc %d got %lld want %lld", buf, rc, (long long)us, (long long)want);
            break;
        }
        /* One byte of the first 19 replaced: a digit by a digit parses to
         * the changed fields or is out of range; anything else fails. */
        k = (int)(test_rand() % 19);
        buf[k] = "0123456789-:T x/"[test_rand() % 16];
        rc = floe_utc_parse_rfc3339(buf, n, &us);
        if (rc == FLOE_OK) {
            int yy = atoi(buf), mm = atoi(buf + 5), dd = atoi(buf + 8), hh = atoi(buf + 11), mn = atoi(buf + 14),
                ss = atoi(buf + 17);
            int ok_layout = buf[4] == '-' && buf[7] == '-' && buf[13] == ':' && buf[16] == ':' &&
                            (buf[10] == 'T' || buf[10] == 't' || buf[10] == ' ');
            for (k = 0; k < 19; k++)
                if (k != 4 && k != 7 && k != 10 && k != 13 && k != 16 && (buf[k] < '0' || buf[k] > '9'))
                    ok_layout = 0;
            want = (ref_days(yy, mm, dd) * 86400 + hh * 3600 + mn * 60 + ss - zone_min[z] * 60) * 1000000LL + frac;
            if (!ok_layout || us != want) {
                test_fail(__FILE__, __LINE__, "\"%s\": accepted as %lld", buf, (long long)us);
                break;
            }
        } else if (rc != FLOE_ERR_MALFORMED && rc != FLOE_ERR_RANGE) {
            test_fail(__FILE__, __LINE__, "\"%s\": rc %d", buf, rc);
            break;
        }
    }
    /* Range errors come before a malformed tail, as field order says. */
    CHECK_EQ_INT(floe_utc_parse_rfc3339("2025-02-30T00:00:00junk", 23, &(int64_t){0}), FLOE_ERR_RANGE);
}

/* The minute cache gives exactly what the plain parse gives, for runs of
 * timestamps in the same minute and for every one-byte change to them. */
TEST(utc_rfc3339_cache_matches_plain_parse)
{
    static const char *const tails[] = {"Z",      ".5Z",      ".123456789z", "+01:30", "-05:00", ".1+23:59",
                                        "Zx",     "+24:00",   ".123Z",       ".000z",  ".45xZ",  ".999Z"};
    struct floe_utc_cache cache;
    char buf[64], minute[32] = "";
    int i, hits = 0;
    memset(&cache, 0, sizeof cache);
    for (i = 0; i < 20000; i++) {
        int64_t a = 0, b = 0;
        int ra, rb;
        size_t n;
        if (i % 50 == 0 || cache.valid == 0) {
            /* a new minute, sometimes an impossible one */
            snprintf(minute, sizeof minute, "%04d-%02d-%02dT%02d:%02d:", 1990 + (int)(test_rand() % 60),
                     1 + (int)(test_rand() % 13), 1 + (int)(test_rand() % 31), (int)(test_rand() % 25),
                     (int)(test_rand() % 61));
        }
        memcpy(buf, minute, 17);
        n = 17 + (size_t)snprintf(buf + 17, sizeof buf - 17, "%02d%s", (int)(test_rand() % 61),
                                  tails[test_rand() % 12]);
        if (test_rand() % 4 == 0)
            buf[test_rand() % n] = "0123456789:-T.Z+"[test_rand() % 16];
        hits += cache.valid && memcmp(buf, cache.key, 16) == 0;
        ra = floe_utc_parse_rfc3339(buf, n, &a);
        rb = floe_utc_parse_rfc3339_cached(buf, n, &cache, &b);
        if (ra != rb || (ra == FLOE_OK && a != b)) {
            test_fail(__FILE__, __LINE__, "\"%.*s\": plain rc %d %lld, cached rc %d %lld", (int)n, buf, ra,
                      (long long)a, rb, (long long)b);
            break;
        }
    }
    if (hits < 5000)
        test_fail(__FILE__, __LINE__, "cache used %d times", hits); /* the cache was used */
}

/* ---- log ---- */

static char last_line[256];
static int last_level;
static void capture(void *ctx, int level, const char *line)
{
    (void)ctx;
    last_level = level;
    snprintf(last_line, sizeof last_line, "%s", line);
}

static size_t fmt(char *buf, size_t cap, const char *f, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, f);
    n = floe_vformat(buf, cap, f, ap);
    va_end(ap);
    return n;
}

TEST(log_formats_and_filters_by_level)
{
    struct floe_log_port lp = {NULL, capture, FLOE_LOG_WARN};
    char buf[16];
    last_line[0] = 0;
    FLOE_LOG_INFO(&lp, "not shown %d", 1);
    CHECK_EQ_STR(last_line, "");
    FLOE_LOG_ERROR(&lp, "e=%d u=%u z=%zu ll=%lld x=%x s=%s p=%.*s c=%c %%", -42, 7u, (size_t)9,
                   -9000000000LL, 255u, "str", 2, "abc", 'q');
    CHECK_EQ_STR(last_line, "e=-42 u=7 z=9 ll=-9000000000 x=ff s=str p=ab c=q %");
    CHECK_EQ_INT(last_level, FLOE_LOG_ERROR);
    CHECK_EQ_INT(fmt(buf, sizeof buf, "%s", "0123456789abcdefXYZ"), 15);
    CHECK_EQ_STR(buf, "0123456789abcde");
    fmt(buf, sizeof buf, "%lld", (long long)INT64_MIN);
    CHECK_EQ_STR(buf, "-92233720368547");
    CHECK_EQ_STR(floe_log_level_name(FLOE_LOG_DEBUG), "debug");
}

/* ---- SHA-256 ---- */

static void sha_hex(const void *p, size_t n, char *out)
{
    uint8_t d[FLOE_SHA256_LEN];
    floe_sha256(p, n, d);
    floe_hex(d, sizeof d, out);
}

TEST(sha256_nist_vectors_and_streaming)
{
    static char million[1000000];
    char hex[65];
    uint8_t d1[32], d2[32];
    struct floe_sha256 s;
    size_t i;
    sha_hex("", 0, hex);
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_hex("abc", 3, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    CHECK_EQ_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    memset(million, 'a', sizeof million);
    sha_hex(million, sizeof million, hex);
    CHECK_EQ_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* Any split of the input gives the same digest. */
    floe_sha256(million, 1000, d1);
    for (i = 0; i <= 130; i += 13) {
        floe_sha256_init(&s);
        floe_sha256_update(&s, million, i);
        floe_sha256_update(&s, million + i, 1000 - i);
        floe_sha256_final(&s, d2);
        CHECK_EQ_MEM(d1, d2, 32);
    }
}

/* The compression floe_sha256_update() uses (SHA-NI where the CPU has it)
 * equals the portable one, block for block, on random states and blocks;
 * and whole digests agree with the portable path for every length 0..300. */
TEST(sha256_accelerated_equals_portable)
{
    static uint8_t blocks[64 * 37];
    size_t i, n;
    int round;
    test_seed(1234);
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "sha256: accelerated %d\n", floe_sha256_accelerated());
    for (round = 0; round < 200; round++) {
        struct floe_sha256 s;
        uint32_t want[8];
        n = 1 + (size_t)(test_rand() % 37);
        for (i = 0; i < 64 * n; i++)
            blocks[i] = (uint8_t)test_rand();
        floe_sha256_init(&s);
        for (i = 0; i < 8; i++)
            s.h[i] = want[i] = (uint32_t)test_rand();
        floe_sha256_portable_blocks(want, blocks, n);
        floe_sha256_update(&s, blocks, 64 * n); /* whole blocks: compressed at once */
        CHECK_EQ_MEM(s.h, want, sizeof want);
    }
    for (n = 0; n <= 300; n++) {
        struct floe_sha256 s;
        uint32_t h[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                         0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
        uint8_t last[128], d1[32], d2[32];
        uint64_t bits = (uint64_t)n * 8u;
        size_t full = n / 64u * 64u, rest = n - full, pad;
        for (i = 0; i < n; i++)
            blocks[i] = (uint8_t)(i * 7u + 3u);
        /* The digest by hand from the portable compression (FIPS 180-4 padding). */
        floe_sha256_portable_blocks(h, blocks, n / 64u);
        memset(last, 0, sizeof last);
        memcpy(last, blocks + full, rest);
        last[rest] = 0x80;
        pad = rest + 1u + 8u <= 64u ? 64u : 128u;
        for (i = 0; i < 8; i++)
            last[pad - 1u - i] = (uint8_t)(bits >> (8 * i));
        floe_sha256_portable_blocks(h, last, pad / 64u);
        for (i = 0; i < 8; i++) {
            d1[4 * i] = (uint8_t)(h[i] >> 24);
            d1[4 * i + 1] = (uint8_t)(h[i] >> 16);
            d1[4 * i + 2] = (uint8_t)(h[i] >> 8);
            d1[4 * i + 3] = (uint8_t)h[i];
        }
        floe_sha256_init(&s);
        floe_sha256_update(&s, blocks, n);
        floe_sha256_final(&s, d2);
        CHECK_EQ_MEM(d1, d2, 32);
    }
}

TEST(hmac_sha256_rfc4231)
{
    uint8_t key[131], d[32];
    char hex[65];
    memset(key, 0x0b, 20);
    floe_hmac_sha256(key, 20, "Hi There", 8, d);
    floe_hex(d, 32, hex);
    CHECK_EQ_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    floe_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
    floe_hex(d, 32, hex);
    CHECK_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 6: a key longer than the block is hashed first. */
    memset(key, 0xaa, sizeof key);
    floe_hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
    floe_hex(d, 32, hex);
    CHECK_EQ_STR(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
