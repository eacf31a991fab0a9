/* Power-loss test of the writer loop and the spool: a small workload runs on
 * the emulated file system, power is cut at every port call N from 1 to the
 * total, unsynced writes are dropped, torn or reordered, and the writer
 * starts again on what the disk holds. Each time, every input record must be
 * in exactly one committed batch (a sealed Parquet file or a dead-letter
 * entry), every sealed file must read back as a whole Parquet file, and the
 * spool must hold nothing else. */
#include "test.h"
#include "floe/floe.h"
#include "floe/writer.h"
#include "floe/uploader.h"
#include "floe_emufs.h"
#include "floe_fault.h"
#include "floe_posix.h"
#include "parquet/thrift.h"
#include "core/internal.h"
#include <stdlib.h>

#define SPOOL "/spool"
#define N_SOURCES 2

static const struct floe_column cols[] = {
    {"ts", NULL, FLOE_TYPE_TIMESTAMP_US, 0, 0},
    {"id", NULL, FLOE_TYPE_STRING, 0, 0},
    {"n", NULL, FLOE_TYPE_INT64, 1, 0},
};
static const struct floe_schema schema = {cols, 3, 0};

static char sources[N_SOURCES][8192];
static size_t source_len[N_SOURCES];
static const char *const source_names[N_SOURCES] = {"a.ndjson", "b.ndjson"};
static uint64_t total_records;
static int jitter; /* 1: rows alternate between two hours in the middle of each source;
                   * 2: each source moves to the next hour after 5 rows (longer ids) */
static int parts_seen; /* files of groups that check_spool last found */

/* The hour of source s's row i: with jitter, rows 10..29 alternate between
 * two hours (device clocks that disagree at the boundary). */
static int hour_of(int s, int i)
{
    if (jitter == 2) /* the stream moves to the next hour after 5 rows */
        return s + (i >= 5);
    return s + (jitter && (i >= 30 || (i >= 10 && i % 2 == 0)) ? 1 : 0);
}

static void make_sources(void)
{
    int s, i;
    total_records = 0;
    for (s = 0; s < N_SOURCES; s++) {
        size_t n = 0;
        for (i = 0; i < 45; i++) {
            if (s == 1 && (i == 7 || i == 30)) {
                n += (size_t)snprintf(sources[s] + n, sizeof sources[s] - n, "{\"ts\":\"bad\",\"id\":\"x%d\"}\n", i);
            } else {
                n += (size_t)snprintf(sources[s] + n, sizeof sources[s] - n,
                                      "{\"ts\":\"2025-01-01T%02d:%02d:%02dZ\",\"id\":\"s%d-%d%s\",\"n\":%d}\n",
                                      hour_of(s, i), jitter ? 59 : s, i, s, i,
                                      jitter == 2 ? "-a-longer-id-so-that-a-small-window-fills-with-these-rows" : "",
                                      s * 1000 + i);
            }
            total_records++;
        }
        source_len[s] = n;
    }
}

/* The first place needle occurs inside p[0..len), or NULL. */
static const char *find_in(const char *p, size_t len, const char *needle)
{
    size_t k, n = strlen(needle);
    for (k = 0; k + n <= len; k++)
        if (memcmp(p + k, needle, n) == 0)
            return p + k;
    return NULL;
}

static int fake_fill(void *ctx, void *buf, size_t n)
{
    uint64_t *state = ctx;
    uint8_t *p = buf;
    size_t i;
    for (i = 0; i < n; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (uint8_t)(*state >> 56);
    }
    return FLOE_OK;
}

static uint64_t emu_mem[(6u << 20) / 8];
static uint64_t writer_mem[(1u << 20) / 8];
static struct floe_emufs emu;
static uint64_t entropy_state = 1;
static struct floe_entropy_port entropy = {&entropy_state, fake_fill};

static uint32_t sort_window; /* writer_config's roll: rows grouped by id when set */
static uint32_t late_window; /* writer_config's roll: hour partitions, late rows held in this */

static void writer_config(struct floe_writer_config *c)
{
    memset(c, 0, sizeof *c);
    c->ndjson.schema = &schema;
    c->ndjson.max_line_bytes = 1024;
    c->ndjson.no_zstd = 1;
    c->roll.parquet.schema = &schema;
    c->roll.parquet.page_bytes = 4096;
    c->roll.parquet.row_group_bytes = 64 * 1024;
    c->roll.parquet.dict_pool_bytes = 32 * 1024;
    c->roll.parquet.dict_entries = 256;
    c->roll.parquet.dict_bytes = 4096;
    c->roll.parquet.max_row_groups = 4;
    c->roll.file_rows = 16;
    c->roll.ts_column = -1;
    c->roll.sort_window_bytes = sort_window;
    c->roll.sort_column = 1;
    c->roll.partition_by = late_window ? FLOE_PARTITION_HOUR : FLOE_PARTITION_NONE;
    c->roll.late_window_bytes = late_window;
    c->roll.fs = &emu.fs;
    c->roll.clock = &floe_posix_clock;
    c->roll.entropy = &entropy;
    c->spool.dir = SPOOL;
    c->spool.fs = &emu.fs;
    c->spool.max_files = 64;
}

static int feed_from_position(struct floe_writer *w);

/* Runs the writer from wherever the spool says, to the end of all sources.
 * Returns FLOE_OK, or the first error (after a power cut: FLOE_ERR_IO). */
static int run_writer(void)
{
    static struct floe_writer_config cfg;
    static struct floe_writer w;
    struct floe_arena a;
    writer_config(&cfg);
    floe_arena_init(&a, writer_mem, sizeof writer_mem);
    floe_writer_init(&w);
    FLOE_TRY(floe_writer_setup(&w, &cfg, &a));
    return feed_from_position(&w);
}

/* Feeds every source from the writer's committed position on, and flushes. */
static int feed_from_position(struct floe_writer *w)
{
    struct floe_spool_position pos;
    int s, err;
    floe_writer_position(w, &pos);
    s = pos.seq == 0 ? 0 : (int)pos.source_index + (pos.source_done ? 1 : 0);
    for (; s < N_SOURCES; s++) {
        uint64_t off = pos.seq != 0 && (uint32_t)s == pos.source_index && !pos.source_done ? pos.offset : 0;
        uint64_t line = off ? pos.line : 0;
        size_t at = (size_t)off;
        FLOE_TRY(floe_writer_begin_source(w, (uint32_t)s, source_names[s], off, line, 0));
        /* Pushed in odd-sized chunks, like a socket would. */
        while (at < source_len[s]) {
            size_t k = source_len[s] - at < 97 ? source_len[s] - at : 97;
            err = floe_writer_push(w, sources[s] + at, k);
            if (err != FLOE_OK)
                return err;
            at += k;
        }
        FLOE_TRY(floe_writer_end_source(w));
    }
    return floe_writer_flush(w);
}

/* Min and max of column 2 ("n") over the row groups of a footer, from the
 * chunks' statistics (min_value/max_value, 8 bytes little-endian). */
static int n_range_of(struct floe_thrift_reader *r, int64_t *mn, int64_t *mx, int *seen)
{
    int et, type;
    uint32_t groups, cols, g, c;
    int16_t id;
    if (floe_thrift_read_list_header(r, &et, &groups) != FLOE_OK)
        return 0;
    for (g = 0; g < groups; g++) {
        floe_thrift_read_struct_begin(r); /* RowGroup */
        while ((type = floe_thrift_read_field_header(r, NULL, &id)) > 0) {
            if (id != 1) {
                floe_thrift_skip(r, type);
                continue;
            }
            floe_thrift_read_list_header(r, &et, &cols);
            for (c = 0; c < cols; c++) {
                floe_thrift_read_struct_begin(r); /* ColumnChunk */
                while ((type = floe_thrift_read_field_header(r, NULL, &id)) > 0) {
                    if (id != 3 || c != 2) {
                        floe_thrift_skip(r, type);
                        continue;
                    }
                    floe_thrift_read_struct_begin(r); /* ColumnMetaData */
                    while ((type = floe_thrift_read_field_header(r, NULL, &id)) > 0) {
                        if (id != 12) {
                            floe_thrift_skip(r, type);
                            continue;
                        }
                        floe_thrift_read_struct_begin(r); /* Statistics */
                        while ((type = floe_thrift_read_field_header(r, NULL, &id)) > 0) {
                            const uint8_t *v;
                            size_t vn;
                            int64_t x;
                            if ((id != 5 && id != 6) || floe_thrift_read_binary(r, &v, &vn) != FLOE_OK || vn != 8) {
                                if (id != 5 && id != 6)
                                    floe_thrift_skip(r, type);
                                continue;
                            }
                            x = (int64_t)floe_get_le64(v);
                            if (id == 6 && (!*seen || x < *mn))
                                *mn = x;
                            if (id == 5 && (!*seen || x > *mx))
                                *mx = x;
                        }
                    }
                }
            }
        }
        *seen = 1;
    }
    return r->err == 0;
}

/* The footer of a Parquet file: its row count (or a negative error) and the
 * range of its "n" values. */
static long long parquet_rows(const char *path, int64_t *n_min, int64_t *n_max)
{
    static uint8_t file[256 * 1024];
    floe_ssize_t n = floe_emufs_read_file(&emu, path, 0, file, sizeof file);
    struct floe_thrift_reader r;
    uint32_t flen;
    int type, seen = 0;
    int16_t id;
    long long rows = -5;
    if (n < 12 || memcmp(file, "PAR1", 4) != 0 || memcmp(file + n - 4, "PAR1", 4) != 0)
        return -1;
    flen = (uint32_t)file[n - 8] | ((uint32_t)file[n - 7] << 8) | ((uint32_t)file[n - 6] << 16) |
           ((uint32_t)file[n - 5] << 24);
    if (flen + 12 > (uint64_t)n)
        return -2;
    floe_thrift_reader_init(&r, file + n - 8 - flen, flen);
    while ((type = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id == 3 && type == FLOE_THRIFT_I64) {
            int64_t v;
            if (floe_thrift_read_i64(&r, &v) != FLOE_OK)
                return -3;
            rows = (long long)v;
        } else if (id == 4 && type == FLOE_THRIFT_LIST) {
            if (!n_range_of(&r, n_min, n_max, &seen))
                return -6;
        } else if (floe_thrift_skip(&r, type) != FLOE_OK) {
            return -4;
        }
    }
    return seen ? rows : -7;
}

/* What a batch covering sources [from_src at from_off, to_src at to_off)
 * must hold: its good records (count and the range of their "n"), and its
 * bad lines in order, as "source:line" text. */
struct expected {
    uint64_t good;
    int64_t n_min, n_max;
    char bad[256];
};

static void expect_range(uint64_t from_src, uint64_t from_off, uint64_t to_src, uint64_t to_off,
                         struct expected *e)
{
    uint64_t s;
    size_t bl = 0;
    e->good = 0;
    e->bad[0] = '\0';
    for (s = from_src; s <= to_src && s < N_SOURCES; s++) {
        uint64_t at = s == from_src ? from_off : 0, end = s == to_src ? to_off : source_len[s], line = 1, k;
        for (k = 0; k < at; k++)
            line += sources[s][k] == '\n';
        while (at < end && at < source_len[s]) {
            const char *p = sources[s] + at, *nl = memchr(p, '\n', source_len[s] - at);
            size_t len = nl ? (size_t)(nl - p) + 1 : source_len[s] - at;
            if (find_in(p, len, "\"ts\":\"bad\"") != NULL) {
                bl += (size_t)snprintf(e->bad + bl, sizeof e->bad - bl, "%s:%llu,", source_names[s],
                                       (unsigned long long)line);
            } else {
                const char *q = find_in(p, len, "\"n\":");
                int64_t v = q ? strtoll(q + 4, NULL, 10) : -1;
                if (e->good == 0 || v < e->n_min)
                    e->n_min = v;
                if (e->good == 0 || v > e->n_max)
                    e->n_max = v;
                e->good++;
            }
            at += len;
            line++;
        }
    }
}

/* The dead letters of a batch as "source:line," text, from its file. */
static int dead_letters_of(uint64_t seq, char *out, size_t cap, uint64_t *count)
{
    static char file[16384];
    char path[128];
    floe_ssize_t n;
    const char *p;
    size_t o = 0;
    snprintf(path, sizeof path, SPOOL "/dead/%016llx.ndjson", (unsigned long long)seq);
    n = floe_emufs_read_file(&emu, path, 0, file, sizeof file - 1);
    out[0] = '\0';
    *count = 0;
    if (n < 0)
        return 0;
    file[n] = '\0';
    if (n > 0 && file[n - 1] != '\n')
        return 0; /* torn */
    for (p = file; *p != '\0'; p = strchr(p, '\n') + 1) {
        const char *src = strstr(p, "\"source\":\""), *line = strstr(p, "\"line\":");
        const char *end = strchr(p, '\n');
        if (src == NULL || line == NULL || src > end || line > end)
            return 0;
        src += 10;
        o += (size_t)snprintf(out + o, cap - o, "%.*s:%llu,", (int)(strchr(src, '"') - src), src,
                              strtoull(line + 7, NULL, 10));
        ++*count;
    }
    return 1;
}

struct batch_list {
    uint64_t seqs[64];
    int n;
};

static int collect(void *arg, const char *name, int is_dir)
{
    struct batch_list *b = arg;
    size_t len = strlen(name);
    if (!is_dir && len == 21 && strcmp(name + 16, ".meta") == 0 && b->n < 64)
        b->seqs[b->n++] = strtoull(name, NULL, 16);
    return 0;
}

static int collect_dead(void *arg, const char *name, int is_dir)
{
    struct batch_list *b = arg;
    if (!is_dir && b->n < 64)
        b->seqs[b->n++] = strtoull(name, NULL, 16);
    return 0;
}

static int value_of(const char *rec, const char *key, uint64_t *v)
{
    char pat[40];
    const char *p;
    snprintf(pat, sizeof pat, "\n%s ", key);
    p = strstr(rec, pat);
    if (p == NULL)
        return 0;
    *v = strtoull(p + strlen(pat), NULL, 10);
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The invariant, on the spool as it stands after a complete run. */
static int check_spool(char *why, size_t why_cap)
{
    struct batch_list b;
    uint64_t covered = 0, prev_src = 0, prev_off = 0;
    uint64_t group_rows = 0; /* rows of the parts before a group's last batch */
    int64_t group_min = 0, group_max = 0;
    int i, tmp_files = 0, with_dead = 0;
    parts_seen = 0;
    b.n = 0;
    emu.fs.list(emu.fs.ctx, SPOOL "/ready", collect, &b);
    qsort(b.seqs, (size_t)b.n, sizeof b.seqs[0], cmp_u64);
    for (i = 0; i < b.n; i++) {
        static char rec[2048];
        char path[128];
        uint64_t src, off, done, rows = 0, dead = 0, has_pq = 0, expect;
        floe_ssize_t n;
        snprintf(path, sizeof path, SPOOL "/ready/%016llx.meta", (unsigned long long)b.seqs[i]);
        n = floe_emufs_read_file(&emu, path, 0, rec + 1, sizeof rec - 2);
        if (n <= 0) {
            snprintf(why, why_cap, "unreadable meta %s", path);
            return 0;
        }
        rec[0] = '\n';
        rec[n + 1] = '\0';
        if (!value_of(rec, "source_index", &src) || !value_of(rec, "offset", &off) ||
            !value_of(rec, "source_done", &done) || !value_of(rec, "dead_records", &dead) ||
            !value_of(rec, "has_parquet", &has_pq)) {
            snprintf(why, why_cap, "meta %s misses fields", path);
            return 0;
        }
        if (done)
            off = source_len[src];
        {
            uint64_t part = 0;
            if (value_of(rec, "continues", &part) && part) {
                /* A file of a group: its records count with the group's last batch. */
                long long pr;
                int64_t n_min = 0, n_max = 0;
                value_of(rec, "rows", &rows);
                snprintf(path, sizeof path, SPOOL "/ready/%016llx.parquet", (unsigned long long)b.seqs[i]);
                pr = parquet_rows(path, &n_min, &n_max);
                if (!has_pq || dead != 0 || pr != (long long)rows || rows == 0) {
                    snprintf(why, why_cap, "part %llu: %lld rows in its file, meta says %llu, %llu dead",
                             (unsigned long long)b.seqs[i], pr, (unsigned long long)rows, (unsigned long long)dead);
                    return 0;
                }
                if (group_rows == 0 || n_min < group_min)
                    group_min = n_min;
                if (group_rows == 0 || n_max > group_max)
                    group_max = n_max;
                group_rows += rows;
                parts_seen++;
                continue;
            }
        }
        /* Records between the previous batch's end and this one's. */
        {
            struct expected e;
            char got[256];
            uint64_t got_dead = 0;
            expect_range(prev_src, prev_off, src, off, &e);
            expect = e.good;
            {
                const char *c;
                for (c = e.bad; *c; c++)
                    expect += *c == ','; /* one per bad line */
            }
            if (has_pq) {
                long long pr;
                int64_t n_min = 0, n_max = 0;
                value_of(rec, "rows", &rows);
                snprintf(path, sizeof path, SPOOL "/ready/%016llx.parquet", (unsigned long long)b.seqs[i]);
                pr = parquet_rows(path, &n_min, &n_max);
                if (pr != (long long)rows) {
                    snprintf(why, why_cap, "batch %llu: Parquet file reads %lld rows, meta says %llu",
                             (unsigned long long)b.seqs[i], pr, (unsigned long long)rows);
                    return 0;
                }
                /* Identity: the rows of the batch's range, not just as many
                 * (with its group's parts: together they hold the range). */
                if (group_rows != 0) {
                    n_min = group_min < n_min ? group_min : n_min;
                    n_max = group_max > n_max ? group_max : n_max;
                    rows += group_rows;
                    group_rows = 0;
                }
                if (rows != e.good || n_min != e.n_min || n_max != e.n_max) {
                    snprintf(why, why_cap, "batch %llu: rows %llu with n in [%lld, %lld], its range has %llu in [%lld, %lld]",
                             (unsigned long long)b.seqs[i], (unsigned long long)rows, (long long)n_min,
                             (long long)n_max, (unsigned long long)e.good, (long long)e.n_min, (long long)e.n_max);
                    return 0;
                }
            } else if (e.good != 0 || group_rows != 0) {
                snprintf(why, why_cap, "batch %llu: no Parquet file for %llu good records",
                         (unsigned long long)b.seqs[i], (unsigned long long)e.good);
                return 0;
            }
            /* Dead letters by identity: exactly the bad lines of the range. */
            if ((dead > 0 || e.bad[0] != '\0') &&
                (!dead_letters_of(b.seqs[i], got, sizeof got, &got_dead) || got_dead != dead ||
                 strcmp(got, e.bad) != 0)) {
                snprintf(why, why_cap, "batch %llu: dead letters [%s] (meta: %llu), its range's bad lines [%s]",
                         (unsigned long long)b.seqs[i], got, (unsigned long long)dead, e.bad);
                return 0;
            }
        }
        if (rows + dead != expect) {
            snprintf(why, why_cap, "batch %llu holds %llu records for %llu lines of its range",
                     (unsigned long long)b.seqs[i], (unsigned long long)(rows + dead), (unsigned long long)expect);
            return 0;
        }
        covered += rows + dead;
        with_dead += dead > 0;
        prev_src = src;
        prev_off = off;
    }
    if (group_rows != 0) {
        snprintf(why, why_cap, "a group of %llu rows never ended", (unsigned long long)group_rows);
        return 0;
    }
    if (covered != total_records) {
        snprintf(why, why_cap, "%llu of %llu records in the spool", (unsigned long long)covered,
                 (unsigned long long)total_records);
        return 0;
    }
    {
        struct batch_list t;
        t.n = 0;
        emu.fs.list(emu.fs.ctx, SPOOL "/tmp", collect, &t);
        tmp_files = t.n;
    }
    if (tmp_files != 0) {
        snprintf(why, why_cap, "tmp/ not empty after a clean run");
        return 0;
    }
    {
        struct batch_list d;
        d.n = 0;
        emu.fs.list(emu.fs.ctx, SPOOL "/dead", collect_dead, &d);
        if (d.n != with_dead) {
            snprintf(why, why_cap, "%d dead-letter files for %d batches with dead letters", d.n, with_dead);
            return 0;
        }
    }
    return 1;
}

static void power_cuts(enum floe_emufs_loss mode, int stride)
{
    struct floe_emufs_config ecfg;
    uint64_t total, n;
    char why[200];
    int failures = 0;
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.capacity = 2u << 20;
    make_sources();
    REQUIRE(floe_emufs_init(&emu, emu_mem, sizeof emu_mem, &ecfg) == FLOE_OK);
    REQUIRE(run_writer() == FLOE_OK);
    REQUIRE(check_spool(why, sizeof why));
    if (late_window)
        REQUIRE(parts_seen >= 2); /* the workload makes groups */
    total = floe_emufs_total_ops(&emu);
    REQUIRE(total > 100);
    for (n = 1; n <= total; n += (uint64_t)stride) {
        int err;
        REQUIRE(floe_emufs_init(&emu, emu_mem, sizeof emu_mem, &ecfg) == FLOE_OK);
        floe_emufs_set_crash_at(&emu, n);
        err = run_writer();
        if (!floe_emufs_crashed(&emu)) {
            if (err != FLOE_OK && failures++ < 3)
                test_fail(__FILE__, __LINE__, "cut at %llu: the run failed without a crash (%d)",
                          (unsigned long long)n, err);
            continue;
        }
        REQUIRE(floe_emufs_reboot(&emu, mode, n) == FLOE_OK);
        err = run_writer();
        if (err != FLOE_OK || !check_spool(why, sizeof why)) {
            if (err != FLOE_OK)
                snprintf(why, sizeof why, "restart failed: %s", floe_strerror(err));
            if (failures++ < 3)
                test_fail(__FILE__, __LINE__, "mode %d, power cut at call %llu of %llu: %s", (int)mode,
                          (unsigned long long)n, (unsigned long long)total, why);
        }
    }
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "power loss mode %d: %llu cut points\n", (int)mode, (unsigned long long)total);
}

TEST(powerloss_drop_unsynced_at_every_call)
{
    power_cuts(FLOE_EMUFS_DROP, 1);
}

TEST(powerloss_tear_unsynced_at_every_call)
{
    power_cuts(FLOE_EMUFS_TEAR, 1);
}

TEST(powerloss_reorder_unsynced_at_every_call)
{
    power_cuts(FLOE_EMUFS_REORDER, 1);
}

/* Rows held in a sort window are past the position a commit records: the
 * roller seals files only between windows, so every batch still holds
 * exactly the rows of its input range (grouped by id: "s0-10" before
 * "s0-9"), across 16-row files and 4-row-group files. */
TEST(powerloss_sorted_rows_at_every_call)
{
    sort_window = 4096;
    power_cuts(FLOE_EMUFS_REORDER, 1);
    power_cuts(FLOE_EMUFS_TEAR, 3);
    sort_window = 0;
}

/* Sources of the given jitter kind, with a late window, cut at every port
 * call: reordered, torn, and dropped with a sort window too. */
static void late_rows_power_cuts(int kind)
{
    jitter = kind;
    late_window = 4096;
    power_cuts(FLOE_EMUFS_REORDER, 1);
    power_cuts(FLOE_EMUFS_TEAR, 2);
    sort_window = 4096;
    power_cuts(FLOE_EMUFS_DROP, 2);
    sort_window = 0;
    late_window = 0;
    jitter = 0;
}

/* Rows alternating between two hours, with late rows held: the open file
 * and the late rows' files commit as one group, so a cut anywhere in a
 * group loses none of its rows and repeats none. */
TEST(powerloss_late_rows_commit_as_one_group_at_every_call)
{
    late_rows_power_cuts(1);
}

/* Each source moves to the next hour after 5 rows: the rows of the new
 * hour fill the late window with hardly a row for the open file, so the
 * stream moves. The open file commits as a part, and the held rows in a
 * file of their own end the group: a cut anywhere in it redoes the whole
 * group, losing and repeating nothing. */
TEST(powerloss_moved_stream_commits_its_group_at_every_call)
{
    late_rows_power_cuts(2);
}

TEST(powerloss_twice_in_a_row)
{
    /* A cut during recovery itself: the second run is cut too. */
    struct floe_emufs_config ecfg;
    uint64_t n;
    char why[200];
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.capacity = 2u << 20;
    make_sources();
    for (n = 3; n < 400; n += 37) {
        REQUIRE(floe_emufs_init(&emu, emu_mem, sizeof emu_mem, &ecfg) == FLOE_OK);
        floe_emufs_set_crash_at(&emu, n);
        run_writer();
        floe_emufs_reboot(&emu, FLOE_EMUFS_REORDER, n);
        floe_emufs_set_crash_at(&emu, n / 2 + 1);
        run_writer();
        floe_emufs_reboot(&emu, FLOE_EMUFS_TEAR, n + 1);
        if (run_writer() != FLOE_OK || !check_spool(why, sizeof why)) {
            test_fail(__FILE__, __LINE__, "cuts at %llu and %llu: %s", (unsigned long long)n,
                      (unsigned long long)(n / 2 + 1), why);
            break;
        }
    }
}

static int count_parquet(void *arg, const char *name, int is_dir)
{
    size_t n = strlen(name);
    if (!is_dir && n > 8 && strcmp(name + n - 8, ".parquet") == 0)
        (*(int *)arg)++;
    return FLOE_OK;
}

/* The folder target (file://): an object it reports uploaded, and the spool
 * then lets go, is still there after a power cut. Its rename must be synced
 * in the key's folder first (it was not: the batch was gone from both). */
/* The sources written to the spool of a fresh 2 MiB emulated disk that
 * also has the folder target /lake. */
static int spool_on_a_fresh_disk(void)
{
    struct floe_emufs_config ecfg;
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.capacity = 2u << 20;
    make_sources();
    FLOE_TRY(floe_emufs_init(&emu, emu_mem, sizeof emu_mem, &ecfg));
    FLOE_TRY(emu.fs.mkdir(emu.fs.ctx, "/lake"));
    return run_writer();
}

/* An uploader of that spool into /lake; its spool side goes through
 * spool_fs (the disk itself, or a fault port around it). */
static int folder_uploader(struct floe_uploader *u, const struct floe_fs_port *spool_fs)
{
    static uint64_t up_mem[(4u << 20) / 8];
    static struct floe_uploader_config ucfg;
    struct floe_arena a;
    memset(&ucfg, 0, sizeof ucfg);
    ucfg.spool.dir = SPOOL;
    ucfg.spool.fs = spool_fs;
    ucfg.spool.max_files = 64;
    ucfg.target = FLOE_TARGET_DIR;
    ucfg.dir = "/lake";
    ucfg.fs = &emu.fs;
    ucfg.clock = &floe_posix_clock;
    ucfg.entropy = &entropy;
    floe_arena_init(&a, up_mem, sizeof up_mem);
    floe_uploader_init(u);
    return floe_uploader_setup(u, &ucfg, &a);
}

TEST(powerloss_folder_target_keeps_what_it_uploaded)
{
    static struct floe_uploader u;
    int before = 0, landed = 0, spooled = 0, steps = 0;
    REQUIRE(spool_on_a_fresh_disk() == FLOE_OK);
    floe_emufs_sync_all(&emu);
    REQUIRE(emu.fs.list(emu.fs.ctx, SPOOL "/ready", count_parquet, &before) == FLOE_OK);
    REQUIRE(before >= 2);
    REQUIRE(folder_uploader(&u, &emu.fs) == FLOE_OK);
    while (floe_uploader_step(&u) == FLOE_OK && steps < 100)
        steps++;
    CHECK_EQ_INT(steps, before);

    REQUIRE(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 1) == FLOE_OK);
    REQUIRE(emu.fs.list(emu.fs.ctx, "/lake", count_parquet, &landed) == FLOE_OK);
    REQUIRE(emu.fs.list(emu.fs.ctx, SPOOL "/ready", count_parquet, &spooled) == FLOE_OK);
    CHECK(landed + spooled >= before);
    CHECK_EQ_INT(landed, before);
}

/* A batch that lands while the writer's drop_oldest policy drops it: the
 * spool's removal finds its meta gone (here a rename that says so). The
 * upload counts as done, not as a failure to retry with a backoff, and as
 * landed after a drop (the writer counted it dropped). */
TEST(uploader_takes_a_batch_dropped_during_its_upload_as_landed)
{
    static struct floe_uploader u;
    static struct floe_fault fault;
    static struct floe_spool_batch first;
    REQUIRE(spool_on_a_fresh_disk() == FLOE_OK);
    floe_fault_init(&fault, &emu.fs, NULL, NULL);
    REQUIRE(folder_uploader(&u, &fault.fs) == FLOE_OK); /* the target's renames are not counted */
    REQUIRE(floe_spool_oldest(&u.spool, &first) == FLOE_OK);
    REQUIRE(first.records > 0);
    floe_fault_set(&fault, FLOE_FAULT_FS_RENAME, fault.calls[FLOE_FAULT_FS_RENAME] + 1u, FLOE_FAULT_FAIL,
                   FLOE_ERR_NOENT, 0);
    CHECK_EQ_INT(floe_uploader_step(&u), FLOE_OK);
    CHECK_EQ_INT(fault.injected, 1);
    CHECK_EQ_INT(u.stats.uploads_ok, 1);
    CHECK_EQ_INT(u.stats.uploads_failed, 0);
    CHECK_EQ_INT(floe_uploader_wait_ms(&u), 0);
    CHECK_EQ_INT(u.stats.landed_after_drop, 1);
    CHECK_EQ_U64(u.stats.records_landed_after_drop, first.records + first.dead_records);
}

/* A batch dropped by a rewind (the disk filled) is read again from the last
 * commit: its records are counted once, not once per attempt. With a sort
 * window, the rows it held are dropped with the batch and read again. */
static void rewound_batch_counted_once(void);

TEST(writer_counts_a_rewound_batch_once)
{
    rewound_batch_counted_once();
}

TEST(writer_rewinds_a_sort_window_with_its_batch)
{
    char why[200];
    sort_window = 4096;
    rewound_batch_counted_once();
    sort_window = 0;
    CHECK(check_spool(why, sizeof why));
}

static void rewound_batch_counted_once(void)
{
    static struct floe_writer_config cfg;
    static struct floe_writer w;
    struct floe_emufs_config ecfg;
    struct floe_arena a;
    size_t at = 0;
    int err = FLOE_OK;
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.capacity = 2u << 20;
    make_sources();
    REQUIRE(floe_emufs_init(&emu, emu_mem, sizeof emu_mem, &ecfg) == FLOE_OK);
    writer_config(&cfg);
    floe_arena_init(&a, writer_mem, sizeof writer_mem);
    floe_writer_init(&w);
    REQUIRE(floe_writer_setup(&w, &cfg, &a) == FLOE_OK);
    REQUIRE(floe_writer_begin_source(&w, 0, source_names[0], 0, 0, 0) == FLOE_OK);
    REQUIRE(floe_writer_push(&w, sources[0], source_len[0] / 2) == FLOE_OK);
    floe_emufs_set_capacity(&emu, floe_emufs_used(&emu)); /* the disk is full */
    for (at = source_len[0] / 2; at < source_len[0] && err == FLOE_OK; at += 50)
        err = floe_writer_push(&w, sources[0] + at, source_len[0] - at < 50 ? source_len[0] - at : 50);
    if (err == FLOE_OK)
        err = floe_writer_flush(&w);
    REQUIRE(err != FLOE_OK);
    CHECK(w.stats.records_ok > 0);
    floe_writer_rewind(&w);
    floe_emufs_set_capacity(&emu, 2u << 20);
    REQUIRE(feed_from_position(&w) == FLOE_OK);
    CHECK_EQ_U64(w.stats.records_ok + w.stats.dead_letters, total_records);
    CHECK_EQ_U64(w.stats.dead_letters, 2);
    CHECK(w.stats.rewinds == 1);
}
