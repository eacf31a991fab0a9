/* floe convert: NDJSON files to rolled Parquet files in a folder, with a
 * dead-letter file for the records that cannot be rows. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (64u * 1024u)
#define DEFAULT_SORT_WINDOW (512u * 1024u)
#define DEFAULT_LATE_WINDOW (256u * 1024u)
#define FLOE_ROWWIN_MIN_BYTES 4096u /* as src/parquet/rowwin.h */

struct convert {
    struct floe_ndjson dec;
    struct floe_roll roll;
    FILE *dead;
    char dead_path[4096];
    uint64_t files, bytes_out, rows, dead_letters;
    int json;
    int failed; /* a write error stopped the run */
};

static int on_file(void *ctx, const struct floe_file_facts *f)
{
    struct convert *cv = ctx;
    cv->files++;
    cv->bytes_out += f->size;
    if (!cv->json)
        fprintf(stderr, "  %s  %llu records  %llu bytes\n", f->path, (unsigned long long)f->records,
                (unsigned long long)f->size);
    return FLOE_OK;
}

static int on_row(void *ctx, const struct floe_row *row)
{
    struct convert *cv = ctx;
    int err = floe_roll_write(&cv->roll, row);
    if (err == FLOE_ERR_LIMIT) {
        /* A value or row too big for the Parquet writer: a dead letter. */
        snprintf(row->reject_reason, row->reject_reason_size, "%s", floe_parquet_reject_reason(&cv->roll.pq));
        return FLOE_ROW_REJECT;
    }
    if (err == FLOE_OK)
        cv->rows++;
    return err;
}

static int on_dead_letter(void *ctx, const struct floe_dead_letter *dl)
{
    struct convert *cv = ctx;
    cv->dead_letters++;
    if (cv->dead == NULL) {
        cv->dead = fopen(cv->dead_path, "a");
        if (cv->dead == NULL) {
            fprintf(stderr, "floe: cannot write %s: %s\n", cv->dead_path, strerror(errno));
            return FLOE_ERR_IO;
        }
    }
    fprintf(cv->dead, "{\"reason\":\"%s\",\"code\":%d,\"text\":", floe_dl_reason_name(dl->reason), dl->reason);
    cli_json_string(cv->dead, dl->reason_text, strlen(dl->reason_text));
    fputs(",\"source\":", cv->dead);
    cli_json_string(cv->dead, dl->source, strlen(dl->source));
    fprintf(cv->dead, ",\"line\":%llu,\"offset\":%llu,\"length\":%llu,\"raw\":", (unsigned long long)dl->line,
            (unsigned long long)dl->offset, (unsigned long long)dl->line_len);
    if (floe_dead_letter_raw_text_len(dl) != (size_t)-1) {
        cli_json_string_as(cv->dead, dl->raw, floe_dead_letter_raw_text_len(dl), 1);
    } else {
        cli_json_string_as(cv->dead, dl->raw, dl->raw_len, 0);
        fputs(",\"raw_encoding\":\"latin1\"", cv->dead);
    }
    fprintf(cv->dead, ",\"truncated\":%s}\n", dl->truncated ? "true" : "false");
    return ferror(cv->dead) ? FLOE_ERR_IO : FLOE_OK;
}

static void convert_usage(FILE *f)
{
    fprintf(f,
            "usage: floe convert --schema SCHEMA.json -o OUTDIR [options] INPUT...\n"
            "  INPUT is an .ndjson or .ndjson.zst file, or - for standard input\n"
            "  (zstd is recognised by its magic number, whatever the name).\n"
            "options:\n"
            "  --codec snappy|zstd|none   page compression (default snappy; zstd when the\n"
            "                             library is built with FLOE_ZSTD_COMPRESS=1)\n"
            "  --row-group-bytes N        compressed bytes per row group (default 1M)\n"
            "  --page-bytes N             bytes per page and per column buffer, and the longest\n"
            "                             string (default 32K; with --sort-by and many columns,\n"
            "                             as much as leaves the row groups room for a row)\n"
            "  --no-bloom-filters         leave out the Bloom filters (by default each column chunk\n"
            "                             whose pages all use its dictionary gets one, for readers\n"
            "                             that skip row groups on col = value)\n"
            "  --no-page-index            leave out the page index (by default each column chunk\n"
            "                             has one before the footer: its pages' offsets, first\n"
            "                             rows, min, max and nulls, for readers that skip pages)\n"
            "  --file-bytes N             roll files at the first row-group end past this size\n"
            "                             (default 128M)\n"
            "  --file-rows N              roll files at this many rows (default: no limit)\n"
            "  --partition-by COL:day|hour  hive partitions dt=YYYY-MM-DD[/hour=H]/ (UTC) from a timestamp column\n"
            "  --late-window-bytes N      with --partition-by: memory for rows of another partition than\n"
            "                             the open file's (clocks behind or ahead), written to their own\n"
            "                             files when it rolls (default 256K; 0: each such row rolls it)\n"
            "  --sort-by COL              write rows grouped by COL (then in arrival order) within\n"
            "                             each window of rows held in memory: smaller files, row\n"
            "                             groups that prune on COL\n"
            "  --sort-window-bytes N      memory for the rows held by --sort-by (default 512K)\n"
            "  --max-line N               longest line (default 64K); longer lines are dead letters\n"
            "  --zstd-window-log N        largest zstd window accepted, 2^N bytes (default 21)\n"
            "  --json                     print the summary as one JSON object\n"
            "  --spool DIR                write into a crash-safe spool instead of OUTDIR: killed at\n"
            "                             any moment and run again with the same arguments, it resumes\n"
            "                             at the last committed batch (see docs/spool.md)\n"
            "  --spool-quota N            spool byte quota (default: the disk)\n"
            "Bad records go to OUTDIR/dead-letters.ndjson, one JSON object each.\n"
            "Exit status: 0 all went well; 1 an input could not be read, or (with -o) some records\n"
            "were dead letters (with --spool they are spooled with the batch: 0); 2 usage.\n");
}

static int find_column(const struct floe_schema *s, const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < s->n_columns; i++)
        if (strlen(s->columns[i].name) == n && memcmp(s->columns[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

/* On a terminal, long conversions show a progress line that the summary
 * replaces; when stderr is not a terminal nothing is printed. */
static void progress(const struct convert *cv, uint64_t bytes_in, double t0, int done)
{
    static double last;
    double now = cli_now();
    if (!isatty(2) || cv->json || (!done && now - last < 0.5))
        return;
    last = now;
    if (done) {
        fputs("\r\033[K", stderr);
        return;
    }
    fprintf(stderr, "\r\033[K  %llu records, %llu dead letters, %.1f MB read, %.1f MB/s, %.0f s",
            (unsigned long long)cv->dec.stats.records_ok, (unsigned long long)cv->dec.stats.dead_letters,
            (double)bytes_in / 1e6, now > t0 ? (double)bytes_in / 1e6 / (now - t0) : 0.0, now - t0);
}

static double convert_t0;

static int push_file(struct convert *cv, const char *path, uint8_t *buf, uint64_t *bytes_in)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
    int err = FLOE_OK;
    if (fd < 0) {
        fprintf(stderr, "floe: cannot open %s: %s\n", path, strerror(errno));
        return FLOE_ERR_NOENT;
    }
    floe_ndjson_begin(&cv->dec, path);
    for (;;) {
        ssize_t n = read(fd, buf, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "floe: reading %s: %s\n", path, strerror(errno));
            err = FLOE_ERR_IO;
            break;
        }
        if (n == 0)
            break;
        *bytes_in += (uint64_t)n;
        err = floe_ndjson_push(&cv->dec, buf, (size_t)n);
        progress(cv, *bytes_in, convert_t0, 0);
        if (err == FLOE_ERR_MALFORMED) {
            /* The source is broken (corrupt zstd): its dead letter is written;
             * go on with the next input. */
            break;
        }
        if (err < 0)
            break;
    }
    if (fd != 0)
        close(fd);
    if (err == FLOE_OK)
        err = floe_ndjson_end(&cv->dec);
    return err;
}

/* Opens input i at a decompressed offset: plain files seek, zstd files are
 * decoded from the start and the committed bytes skipped. */
static int open_at(const char *path, uint64_t offset, int *skip)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
    unsigned char magic[4];
    *skip = 0;
    if (fd < 0 || offset == 0)
        return fd;
    if (fd == 0) {
        *skip = 1; /* a pipe cannot seek */
        return fd;
    }
    if (pread(fd, magic, 4, 0) == 4 &&
        ((magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) ||
         ((magic[0] & 0xf0) == 0x50 && magic[1] == 0x2a && magic[2] == 0x4d && magic[3] == 0x18))) {
        *skip = 1;
        return fd;
    }
    if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int convert_to_spool(const char *dir, uint64_t quota, const struct floe_schema *schema, const char *schema_json,
                            const struct floe_ndjson_config *dcfg, const struct floe_roll_config *rcfg, char **inputs,
                            int n_inputs, int json)
{
    static struct floe_writer_config wcfg;
    static struct floe_writer w;
    struct floe_log_port log = floe_posix_log(FLOE_LOG_WARN);
    struct floe_spool_position pos;
    struct floe_arena arena;
    size_t size;
    void *mem;
    uint8_t *buf;
    int i, err = FLOE_OK, start;
    double t0;
    (void)schema;
    memset(&wcfg, 0, sizeof wcfg);
    wcfg.ndjson = *dcfg;
    wcfg.roll = *rcfg;
    wcfg.roll.parquet.schema_json = schema_json;
    wcfg.spool.dir = dir;
    wcfg.spool.quota_bytes = quota;
    wcfg.spool.full_policy = FLOE_SPOOL_BLOCK;
    wcfg.spool.fs = &floe_posix_fs;
    wcfg.spool.log = &log;
    size = floe_writer_size(&wcfg);
    if (size == 0) {
        fprintf(stderr, "floe convert: invalid settings\n");
        return EXIT_USAGE;
    }
    mem = malloc(size);
    buf = malloc(READ_CHUNK);
    if (mem == NULL || buf == NULL)
        return EXIT_BAD_INPUT;
    floe_arena_init(&arena, mem, size);
    floe_writer_init(&w);
    err = floe_writer_setup(&w, &wcfg, &arena);
    if (err != FLOE_OK) {
        fprintf(stderr, "floe convert: cannot open the spool %s: %s\n", dir, floe_strerror(err));
        return EXIT_BAD_INPUT;
    }
    floe_writer_position(&w, &pos);
    start = pos.seq == 0 ? 0 : (int)pos.source_index + (pos.source_done ? 1 : 0);
    if (pos.seq != 0 && (pos.source_index >= (uint32_t)n_inputs || strcmp(inputs[pos.source_index], pos.source) != 0)) {
        fprintf(stderr, "floe convert: the spool %s was filled from other inputs (input %u was %s)\n", dir,
                (unsigned)pos.source_index, pos.source);
        return EXIT_USAGE;
    }
    if (pos.seq != 0 && !json && start >= n_inputs)
        fprintf(stderr, "floe convert: every input is committed in the spool already: nothing to do\n");
    else if (pos.seq != 0 && !json)
        fprintf(stderr, "floe convert: resuming at input %d (%s), byte %llu, line %llu\n", start, inputs[start],
                (unsigned long long)(pos.source_done ? 0 : pos.offset),
                (unsigned long long)(pos.source_done ? 0 : pos.line));
    t0 = cli_now();
    for (i = start; i < n_inputs && err == FLOE_OK; i++) {
        uint64_t offset = (i == (int)pos.source_index && !pos.source_done && pos.seq != 0) ? pos.offset : 0;
        uint64_t line = offset ? pos.line : 0;
        int skip, fd = open_at(inputs[i], offset, &skip);
        if (fd < 0) {
            fprintf(stderr, "floe convert: cannot open %s: %s\n", inputs[i], strerror(errno));
            err = FLOE_ERR_NOENT;
            break;
        }
        err = floe_writer_begin_source(&w, (uint32_t)i, inputs[i], offset, line, skip);
        while (err == FLOE_OK) {
            ssize_t n = read(fd, buf, READ_CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (n < 0)
                    err = FLOE_ERR_IO;
                break;
            }
            err = floe_writer_push(&w, buf, (size_t)n);
            if (err == FLOE_ERR_MALFORMED) {
                err = FLOE_OK; /* a corrupt zstd source: dead-lettered; go on */
                break;
            }
        }
        if (fd != 0)
            close(fd);
        if (err == FLOE_OK)
            err = floe_writer_end_source(&w);
    }
    if (err == FLOE_OK)
        err = floe_writer_flush(&w);
    if (err != FLOE_OK) {
        fprintf(stderr, "floe convert: %s%s; run again to resume from the last committed batch\n",
                floe_strerror(err), err == FLOE_ERR_AGAIN ? " (spool quota full)" : "");
        floe_writer_rewind(&w);
    }
    if (json)
        printf("{\"records\":%llu,\"dead_letters\":%llu,\"files\":%llu,\"bytes_out\":%llu,\"seconds\":%.6f,"
               "\"batches\":%llu,\"recoveries\":%llu,\"discarded\":%llu,\"quarantined\":%llu,\"arena_bytes\":%zu}\n",
               (unsigned long long)w.stats.records_ok, (unsigned long long)w.stats.dead_letters,
               (unsigned long long)w.stats.files_sealed, (unsigned long long)w.stats.bytes_out, cli_now() - t0,
               (unsigned long long)w.spool.stats.batches_committed, (unsigned long long)w.spool.stats.recoveries,
               (unsigned long long)w.spool.stats.discarded, (unsigned long long)w.spool.stats.quarantined, size);
    else
        fprintf(stderr, "floe convert: spool %s: %llu records, %llu dead letters, %llu files sealed, %llu batches\n",
                dir, (unsigned long long)w.stats.records_ok, (unsigned long long)w.stats.dead_letters,
                (unsigned long long)w.stats.files_sealed, (unsigned long long)w.spool.stats.batches_committed);
    free(mem);
    free(buf);
    return err == FLOE_OK ? EXIT_OK : EXIT_BAD_INPUT;
}

/* The options that take a value (the flags alone are --json, --help and
 * --no-bloom-filters and --no-page-index, which may come last). */
static int takes_value(const char *a)
{
    static const char *const with_value[] = {"--schema", "-o", "--output", "--codec", "--partition-by",
                                             "--sort-by", "--sort-window-bytes", "--late-window-bytes", "--spool", "--spool-quota",
                                             "--row-group-bytes", "--page-bytes", "--file-bytes", "--file-rows",
                                             "--max-line", "--zstd-window-log"};
    size_t i;
    for (i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
        if (strcmp(a, with_value[i]) == 0)
            return 1;
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    static struct convert cv;
    struct floe_ndjson_config dcfg;
    struct floe_roll_config rcfg;
    struct floe_schema schema;
    struct floe_arena arena;
    struct floe_log_port log = floe_posix_log(FLOE_LOG_WARN);
    const char *schema_path = NULL, *outdir = NULL, *partition = NULL, *spool_dir = NULL, *sort_by = NULL;
    uint64_t sort_window = DEFAULT_SORT_WINDOW, late_window = DEFAULT_LATE_WINDOW;
    uint64_t spool_quota = 0;
    char *schema_text = NULL, why[256];
    size_t schema_len, need, arena_size;
    void *arena_buf;
    uint8_t *buf;
    int i, n_inputs = 0, any_zstd = 0, err = FLOE_OK, input_errors = 0;
    uint64_t bytes_in = 0, v;
    double t0, secs;
    char **inputs = calloc((size_t)argc, sizeof *inputs);

    memset(&dcfg, 0, sizeof dcfg);
    memset(&rcfg, 0, sizeof rcfg);
    rcfg.ts_column = -1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            convert_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            cv.json = 1;
        } else if (strcmp(a, "--no-bloom-filters") == 0) {
            rcfg.parquet.no_bloom_filters = 1;
        } else if (strcmp(a, "--no-page-index") == 0) {
            rcfg.parquet.no_page_index = 1;
        } else if (a[0] == '-' && a[1] != '\0' && val == NULL && takes_value(a)) {
            fprintf(stderr, "floe convert: %s needs a value\n", a);
            return EXIT_USAGE;
        } else if (strcmp(a, "--schema") == 0) {
            schema_path = argv[++i];
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            outdir = argv[++i];
        } else if (strcmp(a, "--codec") == 0) {
            i++;
            if (strcmp(val, "snappy") == 0)
                rcfg.parquet.codec = FLOE_PARQUET_SNAPPY;
            else if (strcmp(val, "none") == 0 || strcmp(val, "uncompressed") == 0)
                rcfg.parquet.codec = FLOE_PARQUET_UNCOMPRESSED;
            else if (strcmp(val, "zstd") == 0 && floe_parquet_codec_supported(FLOE_PARQUET_ZSTD))
                rcfg.parquet.codec = FLOE_PARQUET_ZSTD;
            else {
                fprintf(stderr, "floe convert: --codec %s: this build knows snappy, %snone\n", val,
                        floe_parquet_codec_supported(FLOE_PARQUET_ZSTD) ? "zstd and " : "");
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--spool") == 0) {
            spool_dir = argv[++i];
        } else if (strcmp(a, "--spool-quota") == 0) {
            i++;
            if (cli_parse_bytes(val, &spool_quota) != 0) {
                fprintf(stderr, "floe convert: --spool-quota %s: not a byte count\n", val);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--partition-by") == 0) {
            partition = argv[++i];
        } else if (strcmp(a, "--sort-by") == 0) {
            sort_by = argv[++i];
        } else if (strcmp(a, "--row-group-bytes") == 0 || strcmp(a, "--page-bytes") == 0 ||
                   strcmp(a, "--file-bytes") == 0 || strcmp(a, "--file-rows") == 0 ||
                   strcmp(a, "--max-line") == 0 || strcmp(a, "--zstd-window-log") == 0 ||
                   strcmp(a, "--sort-window-bytes") == 0 || strcmp(a, "--late-window-bytes") == 0) {
            i++;
            if (cli_parse_bytes(val, &v) != 0) {
                fprintf(stderr, "floe convert: %s %s: not a number\n", a, val);
                return EXIT_USAGE;
            }
            /* Cut to 32 bits, 4G would be 0, the default: refused instead
             * (the writer's own bounds say the rest). */
            if (v > UINT32_MAX && strcmp(a, "--file-bytes") != 0 && strcmp(a, "--file-rows") != 0 &&
                strcmp(a, "--sort-window-bytes") != 0 && strcmp(a, "--late-window-bytes") != 0) {
                fprintf(stderr, "floe convert: %s %s: want at most %u\n", a, val, (unsigned)UINT32_MAX);
                return EXIT_USAGE;
            }
            if (strcmp(a, "--row-group-bytes") == 0)
                rcfg.parquet.row_group_bytes = (uint32_t)v;
            else if (strcmp(a, "--page-bytes") == 0)
                rcfg.parquet.page_bytes = (uint32_t)v;
            else if (strcmp(a, "--file-bytes") == 0)
                rcfg.file_bytes = v;
            else if (strcmp(a, "--file-rows") == 0)
                rcfg.file_rows = v;
            else if (strcmp(a, "--max-line") == 0)
                dcfg.max_line_bytes = (uint32_t)v;
            else if (strcmp(a, "--sort-window-bytes") == 0)
                sort_window = v;
            else if (strcmp(a, "--late-window-bytes") == 0)
                late_window = v;
            else
                dcfg.zstd_window_log = (uint32_t)v;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "floe convert: unknown option %s (see floe convert --help)\n", a);
            return EXIT_USAGE;
        } else {
            inputs[n_inputs++] = argv[i];
            if (strcmp(a, "-") == 0 || (strlen(a) > 4 && strcmp(a + strlen(a) - 4, ".zst") == 0))
                any_zstd = 1;
        }
    }
    if (spool_dir != NULL && outdir == NULL)
        outdir = spool_dir;
    if (schema_path == NULL || outdir == NULL || n_inputs == 0) {
        convert_usage(stderr);
        return EXIT_USAGE;
    }
    schema_text = cli_read_file(schema_path, 1u << 20, &schema_len);
    if (schema_text == NULL) {
        fprintf(stderr, "floe convert: cannot read schema %s\n", schema_path);
        return EXIT_USAGE;
    }
    {
        static uint64_t schema_arena[(256u * 1024u) / 8];
        struct floe_arena sa;
        floe_arena_init(&sa, schema_arena, sizeof schema_arena);
        if (floe_schema_parse(schema_text, schema_len, &sa, &schema, why, sizeof why) != FLOE_OK) {
            fprintf(stderr, "floe convert: %s: %s\n", schema_path, why);
            return EXIT_USAGE;
        }
    }
    if (partition != NULL) {
        const char *colon = strchr(partition, ':');
        int col = colon ? find_column(&schema, partition, (size_t)(colon - partition)) : -1;
        if (col < 0 || (strcmp(colon + 1, "day") != 0 && strcmp(colon + 1, "hour") != 0)) {
            fprintf(stderr, "floe convert: --partition-by %s: want TIMESTAMP_COLUMN:day|hour\n", partition);
            return EXIT_USAGE;
        }
        rcfg.ts_column = (int16_t)col;
        rcfg.partition_by = strcmp(colon + 1, "day") == 0 ? FLOE_PARTITION_DAY : FLOE_PARTITION_HOUR;
        if (floe_roll_partition_clash(&schema, rcfg.partition_by) != NULL) {
            fprintf(stderr,
                    "floe convert: --partition-by %s: %s has a column %s, the name of a partition folder's key: "
                    "readers would show the folder's value in its place (rename the column)\n",
                    partition, schema_path, floe_roll_partition_clash(&schema, rcfg.partition_by));
            return EXIT_USAGE;
        }
        if (late_window != 0 && (late_window < FLOE_ROWWIN_MIN_BYTES || late_window > (1u << 30))) {
            fprintf(stderr, "floe convert: --late-window-bytes %llu: want 0, or 4K to 1G\n",
                    (unsigned long long)late_window);
            return EXIT_USAGE;
        }
        rcfg.late_window_bytes = (uint32_t)late_window;
    }
    if (sort_by != NULL) {
        int col = find_column(&schema, sort_by, strlen(sort_by));
        if (col < 0 || sort_window < FLOE_ROWWIN_MIN_BYTES || sort_window > (1u << 30)) {
            fprintf(stderr, "floe convert: --sort-by %s --sort-window-bytes %llu: want a schema column and "
                            "4K to 1G\n", sort_by, (unsigned long long)sort_window);
            return EXIT_USAGE;
        }
        rcfg.sort_column = (uint16_t)col;
        rcfg.sort_window_bytes = (uint32_t)sort_window;
    }
    if (spool_dir == NULL && mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "floe convert: cannot create %s: %s\n", outdir, strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(cv.dead_path, sizeof cv.dead_path, "%s/dead-letters.ndjson", outdir);

    dcfg.schema = &schema;
    dcfg.on_row = on_row;
    dcfg.on_dead_letter = on_dead_letter;
    dcfg.cb_ctx = &cv;
    dcfg.no_zstd = !any_zstd;
    dcfg.log = &log;
    rcfg.parquet.schema = &schema;
    rcfg.parquet.schema_json = schema_text;
    rcfg.parquet.log = &log;
    /* A wide schema's default pages can leave its row groups no room for a
     * sort window: smaller ones then (an explicit size is kept). */
    if (sort_by != NULL && rcfg.parquet.page_bytes == 0)
        rcfg.parquet.page_bytes = floe_parquet_roomy_page_bytes(&rcfg.parquet);
    rcfg.dir = outdir;
    rcfg.on_file = on_file;
    rcfg.cb_ctx = &cv;
    rcfg.fs = &floe_posix_fs;
    rcfg.clock = &floe_posix_clock;
    rcfg.entropy = &floe_posix_entropy;
    rcfg.log = &log;
    if (spool_dir != NULL) {
        int rc = convert_to_spool(spool_dir, spool_quota, &schema, schema_text, &dcfg, &rcfg, inputs, n_inputs,
                                  cv.json);
        free(schema_text);
        free(inputs);
        return rc;
    }

    /* One arena for everything, sized by the modules' own size functions. */
    need = floe_ndjson_size(&dcfg);
    arena_size = floe_roll_size(&rcfg);
    if (need == 0 || arena_size == 0) {
        fprintf(stderr, "floe convert: invalid settings (%s)%s\n", need == 0 ? "decoder" : "Parquet writer",
                need == 0 ? ""
                          : ": --page-bytes must be 4K to 64M, and --row-group-bytes at least four pages and 4K per "
                            "column");
        return EXIT_USAGE;
    }
    arena_size += need + 64;
    arena_buf = malloc(arena_size);
    buf = malloc(READ_CHUNK);
    if (arena_buf == NULL || buf == NULL) {
        fprintf(stderr, "floe convert: out of memory\n");
        return EXIT_BAD_INPUT;
    }
    floe_arena_init(&arena, arena_buf, arena_size);
    floe_ndjson_init(&cv.dec);
    floe_roll_init(&cv.roll);
    if ((err = floe_ndjson_setup(&cv.dec, &dcfg, &arena)) != FLOE_OK ||
        (err = floe_roll_setup(&cv.roll, &rcfg, &arena)) != FLOE_OK) {
        fprintf(stderr, "floe convert: setup failed: %s%s\n", floe_strerror(err),
                err == FLOE_ERR_INVAL && sort_by != NULL
                    ? " (with --sort-by, a row group needs room beyond every column's largest page: raise "
                      "--row-group-bytes, 1M or more, or lower --page-bytes)"
                    : "");
        return EXIT_USAGE;
    }

    t0 = cli_now();
    convert_t0 = t0;
    for (i = 0; i < n_inputs && !cv.failed; i++) {
        err = push_file(&cv, inputs[i], buf, &bytes_in);
        if (err == FLOE_ERR_NOENT || err == FLOE_ERR_MALFORMED) {
            input_errors++;
            err = FLOE_OK;
        } else if (err != FLOE_OK) {
            fprintf(stderr, "floe convert: %s: %s\n", inputs[i], floe_strerror(err));
            cv.failed = 1;
        }
    }
    if (!cv.failed) {
        err = floe_roll_seal(&cv.roll);
        if (err != FLOE_OK) {
            fprintf(stderr, "floe convert: sealing the last file: %s\n", floe_strerror(err));
            cv.failed = 1;
        }
    } else {
        floe_roll_abort(&cv.roll);
    }
    secs = cli_now() - t0;
    progress(&cv, bytes_in, t0, 1);
    if (cv.dead != NULL)
        fclose(cv.dead);
    if (cv.json) {
        printf("{\"files\":%llu,\"records\":%llu,\"dead_letters\":%llu,\"bytes_in\":%llu,\"bytes_decoded\":%llu,"
               "\"bytes_out\":%llu,\"seconds\":%.6f,\"mb_per_s\":%.2f,\"arena_bytes\":%zu,\"arena_used\":%zu}\n",
               (unsigned long long)cv.files, (unsigned long long)cv.rows, (unsigned long long)cv.dead_letters,
               (unsigned long long)bytes_in, (unsigned long long)cv.dec.stats.bytes_decoded,
               (unsigned long long)cv.bytes_out, secs, secs > 0 ? (double)bytes_in / 1e6 / secs : 0.0,
               arena_size, arena.high_water);
    } else {
        fprintf(stderr,
                "floe convert: %llu files, %llu records, %llu dead letters%s%s%s; %.1f MB in, %.1f MB out, "
                "%.1f MB/s; arena %zu bytes\n",
                (unsigned long long)cv.files, (unsigned long long)cv.rows, (unsigned long long)cv.dead_letters,
                cv.dead_letters ? " (see " : "", cv.dead_letters ? cv.dead_path : "", cv.dead_letters ? ")" : "",
                (double)bytes_in / 1e6,
                (double)cv.bytes_out / 1e6, secs > 0 ? (double)bytes_in / 1e6 / secs : 0.0, arena.high_water);
    }
    free(arena_buf);
    free(buf);
    free(schema_text);
    free(inputs);
    if (cv.failed)
        return EXIT_BAD_INPUT;
    return input_errors || cv.dead_letters ? EXIT_BAD_INPUT : EXIT_OK;
}
