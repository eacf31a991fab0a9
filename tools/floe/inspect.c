/* floe inspect FILE.parquet [--values N] [--pages] [--raw]: what a Parquet file holds
 * (schema, row groups, column chunks, statistics, key-value metadata), its
 * first rows as NDJSON, its footer as Thrift. The reading is pqread.c's. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64 /* files over 2 GiB on 32-bit hosts */
#include "cli.h"
#include "pqread.h"
#include "parquet/thrift.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KV_SHOW_CHARS 200u   /* key-value values are cut here */
#define STAT_SHOW_CHARS 64u  /* string statistics likewise */

static void inspect_usage(FILE *f)
{
    fprintf(f,
            "usage: floe inspect FILE.parquet [--values N] [--pages] [--raw]\n"
            "  Prints the file's size, writer, rows, schema (name, physical type, logical\n"
            "  type, repetition), each row group's column chunks (codec, encodings,\n"
            "  compressed and uncompressed bytes, values, nulls, min/max, dictionary page)\n"
            "  and the key-value metadata (values cut at %u characters).\n"
            "options:\n"
            "  --values N   also print the first N rows, one JSON object per line (the only\n"
            "               output lines that start with '{'), keyed by column name\n"
            "  --pages      also print each column chunk's page index: every data page's\n"
            "               offset, size, first row and rows (OffsetIndex), nulls, min\n"
            "               and max (ColumnIndex)\n"
            "  --raw        also dump the footer (FileMetaData) as Thrift fields\n"
            "exit codes: 0 ok; 1 unreadable or corrupt file; 2 usage\n",
            KV_SHOW_CHARS);
}

/* ---- the file ------------------------------------------------------------ */

struct fd_src {
    int fd;
};

static int fd_read(void *ctx, uint64_t off, void *buf, size_t n)
{
    struct fd_src *s = ctx;
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = pread(s->fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* ---- printing -------------------------------------------------------------- */

static void put_sb(struct pq_sb *sb)
{
    if (sb->p != NULL)
        fwrite(sb->p, 1, sb->len, stdout);
    sb->len = 0;
    if (sb->p != NULL)
        sb->p[0] = '\0';
}

static void put_bytes_json(const struct pq_bytes *b, size_t max)
{
    struct pq_sb sb = {NULL, 0, 0, 0};
    pq_sb_json_string(&sb, b->p, b->n, max);
    put_sb(&sb);
    pq_sb_free(&sb);
}

static void print_schema(const struct pq_file *f)
{
    /* Depth of each element from num_children (pq_open checked the tree). */
    int64_t *left = calloc((size_t)f->n_schema + 1, sizeof *left);
    char tb[16], rb[16], lt[64];
    uint32_t i, sp = 0;
    size_t w = 4;
    if (left == NULL)
        return;
    for (i = 1; i < f->n_schema; i++)
        if (f->schema[i].name.n > w)
            w = f->schema[i].name.n;
    w += 2; /* the quotes */
    if (w > 40)
        w = 40;
    printf("schema: %lu columns, %lu elements\n", (unsigned long)f->n_leaves, (unsigned long)f->n_schema);
    left[0] = f->schema[0].num_children;
    for (i = 1; i < f->n_schema; i++) {
        const struct pq_schema_elem *e = &f->schema[i];
        struct pq_sb sb = {NULL, 0, 0, 0};
        size_t pad;
        while (sp > 0 && left[sp] == 0)
            sp--;
        left[sp]--;
        pq_sb_printf(&sb, "  %*s", (int)(2 * sp), "");
        pq_sb_json_string(&sb, e->name.p, e->name.n, 0);
        pad = sb.len < w + 4 + 2 * sp ? w + 4 + 2 * sp - sb.len : 1;
        pq_sb_printf(&sb, "%*s", (int)pad, "");
        pq_logical_text(e, lt, sizeof lt);
        if (e->type >= 0) {
            pq_sb_printf(&sb, " %-20s %-24s %s", pq_type_name(e->type, tb), lt[0] ? lt : "-",
                         pq_repetition_name(e->repetition, rb));
            if (e->type == PQ_FIXED_LEN_BYTE_ARRAY)
                pq_sb_printf(&sb, " (length %ld)", (long)e->type_length);
        } else {
            pq_sb_printf(&sb, " %-20s %-24s %s", "group", lt[0] ? lt : "-", pq_repetition_name(e->repetition, rb));
            if (sp + 1 <= f->n_schema)
                left[++sp] = e->num_children;
        }
        if (e->field_id >= 0)
            pq_sb_printf(&sb, " field_id=%ld", (long)e->field_id);
        pq_sb_puts(&sb, "\n");
        put_sb(&sb);
        pq_sb_free(&sb);
    }
    free(left);
}

static void print_stat(struct pq_sb *sb, const struct pq_leaf *leaf, const char *label, struct pq_bytes b,
                       int legacy)
{
    struct pq_value v;
    pq_sb_printf(sb, " %s%s=", label, legacy ? "(legacy)" : "");
    if (pq_stat_value(leaf, b, &v) != 0) {
        pq_sb_printf(sb, "(invalid: %zu bytes)", b.n);
        return;
    }
    pq_format_value(sb, leaf, &v, STAT_SHOW_CHARS, PQ_FMT_BARE_TIME);
}

static void print_chunk(const struct pq_chunk *c, const struct pq_leaf *leaf)
{
    struct pq_sb sb = {NULL, 0, 0, 0};
    char nb[16];
    int e, first = 1;
    pq_sb_puts(&sb, "  ");
    pq_sb_json_string(&sb, (const uint8_t *)leaf->path, strlen(leaf->path), 0);
    pq_sb_printf(&sb, ": codec=%s encodings=", pq_codec_name(c->codec, nb));
    for (e = 0; e < 32; e++) {
        if (c->encodings & (1u << e)) {
            pq_sb_printf(&sb, "%s%s", first ? "" : ",", pq_encoding_name(e, nb));
            first = 0;
        }
    }
    if (first)
        pq_sb_puts(&sb, "-");
    pq_sb_printf(&sb, " compressed=%lld uncompressed=%lld values=%lld", (long long)c->total_compressed,
                 (long long)c->total_uncompressed, (long long)c->num_values);
    if (c->has_stats && c->stats.has_null_count)
        pq_sb_printf(&sb, " nulls=%lld", (long long)c->stats.null_count);
    else
        pq_sb_puts(&sb, " nulls=?");
    if (c->has_stats && c->stats.has_min)
        print_stat(&sb, leaf, "min", c->stats.min, c->stats.legacy);
    if (c->has_stats && c->stats.has_max)
        print_stat(&sb, leaf, "max", c->stats.max, c->stats.legacy);
    if (c->has_stats && c->stats.has_min && c->stats.min_inexact)
        pq_sb_puts(&sb, " min_exact=false");
    if (c->has_stats && c->stats.has_max && c->stats.max_inexact)
        pq_sb_puts(&sb, " max_exact=false");
    if (c->has_stats && c->stats.has_distinct)
        pq_sb_printf(&sb, " distinct=%lld", (long long)c->stats.distinct_count);
    if (c->dictionary_page_offset >= 0)
        pq_sb_printf(&sb, " dictionary=yes@%lld", (long long)c->dictionary_page_offset);
    else if (c->encodings & ((1u << PQ_ENC_PLAIN_DICTIONARY) | (1u << PQ_ENC_RLE_DICTIONARY)))
        pq_sb_puts(&sb, " dictionary=yes(no offset)");
    else
        pq_sb_puts(&sb, " dictionary=no");
    pq_sb_printf(&sb, " data@%lld", (long long)c->data_page_offset);
    if (c->bloom_filter_offset >= 0 && c->bloom_filter_length >= 0)
        pq_sb_printf(&sb, " bloom=%ld bytes@%lld", (long)c->bloom_filter_length, (long long)c->bloom_filter_offset);
    else if (c->bloom_filter_offset >= 0)
        pq_sb_printf(&sb, " bloom=yes@%lld", (long long)c->bloom_filter_offset);
    if (c->offset_index_offset >= 0)
        pq_sb_printf(&sb, " offset_index=%ld bytes@%lld", (long)c->offset_index_length,
                     (long long)c->offset_index_offset);
    if (c->column_index_offset >= 0)
        pq_sb_printf(&sb, " column_index=%ld bytes@%lld", (long)c->column_index_length,
                     (long long)c->column_index_offset);
    if (c->file_path.n != 0) {
        pq_sb_puts(&sb, " file_path=");
        pq_sb_json_string(&sb, c->file_path.p, c->file_path.n, KV_SHOW_CHARS);
    }
    pq_sb_puts(&sb, "\n");
    put_sb(&sb);
    pq_sb_free(&sb);
}

/* The chunk's page index, a line per page; -1 when it does not parse. */
static int print_pages(const struct pq_file *f, uint32_t rg, uint32_t col)
{
    static const char *const orders[] = {"UNORDERED", "ASCENDING", "DESCENDING"};
    const struct pq_leaf *leaf = &f->leaves[col];
    struct pq_page_index pi;
    uint32_t i, n;
    int rc = pq_read_page_index(f, rg, col, &pi);
    if (rc != 0) {
        printf("    page index: %s\n", pi.err);
    } else if (!pi.has_oi && !pi.has_ci) {
        printf("    page index: none\n");
    } else {
        n = pi.has_oi ? pi.n_loc : pi.n_ci;
        printf("    page index: %lu pages, %s", (unsigned long)n, pi.has_oi ? "offset index" : "no offset index");
        if (pi.has_ci)
            printf(", column index (%s)\n", pi.boundary_order >= 0 && pi.boundary_order <= 2
                                               ? orders[pi.boundary_order] : "boundary order?");
        else
            printf(", no column index\n");
        for (i = 0; i < n; i++) {
            struct pq_sb sb = {NULL, 0, 0, 0};
            pq_sb_printf(&sb, "    page %lu:", (unsigned long)i);
            if (pi.has_oi) {
                int64_t end = i + 1 < n ? pi.loc[i + 1].first_row : f->row_groups[rg].num_rows;
                pq_sb_printf(&sb, " offset=%lld size=%ld first_row=%lld rows=%lld", (long long)pi.loc[i].offset,
                             (long)pi.loc[i].size, (long long)pi.loc[i].first_row,
                             (long long)(end - pi.loc[i].first_row));
            }
            if (pi.has_ci && pi.null_counts != NULL)
                pq_sb_printf(&sb, " nulls=%lld", (long long)pi.null_counts[i]);
            if (pi.has_ci && pi.null_pages[i]) {
                pq_sb_puts(&sb, " null page");
            } else if (pi.has_ci) {
                print_stat(&sb, leaf, "min", pi.min[i], 0);
                print_stat(&sb, leaf, "max", pi.max[i], 0);
            }
            pq_sb_puts(&sb, "\n");
            put_sb(&sb);
            pq_sb_free(&sb);
        }
    }
    pq_page_index_free(&pi);
    return rc;
}

/* Prints the file's facts (with --pages, each chunk's page index);
 * EXIT_BAD_INPUT when a page index does not parse. */
static int print_summary(const char *path, const struct pq_file *f, int pages)
{
    int rc = EXIT_OK;
    uint32_t r, c;
    int64_t rows = 0;
    printf("file: %s\n", path);
    printf("size: %llu bytes (footer %zu bytes)\n", (unsigned long long)f->src->size, f->footer_len);
    printf("format version: %ld\n", (long)f->version);
    fputs("created_by: ", stdout);
    if (f->has_created_by)
        put_bytes_json(&f->created_by, KV_SHOW_CHARS);
    else
        fputs("-", stdout);
    fputs("\n", stdout);
    printf("rows: %lld\n", (long long)f->num_rows);
    printf("row groups: %lu\n", (unsigned long)f->n_row_groups);
    print_schema(f);
    for (r = 0; r < f->n_row_groups; r++) {
        const struct pq_row_group *g = &f->row_groups[r];
        int64_t comp = 0;
        rows += g->num_rows;
        for (c = 0; c < g->n_chunks; c++)
            comp += g->chunks[c].total_compressed;
        printf("row group %lu: rows=%lld compressed=%lld uncompressed=%lld", (unsigned long)r,
               (long long)g->num_rows, (long long)(g->total_compressed_size >= 0 ? g->total_compressed_size : comp),
               (long long)g->total_byte_size);
        if (g->file_offset >= 0)
            printf(" offset=%lld", (long long)g->file_offset);
        fputs("\n", stdout);
        for (c = 0; c < g->n_chunks; c++) {
            print_chunk(&g->chunks[c], &f->leaves[c]);
            if (pages && print_pages(f, r, c) != 0)
                rc = EXIT_BAD_INPUT;
        }
    }
    if (rows != f->num_rows)
        printf("warning: the row groups hold %lld rows, the footer says %lld\n", (long long)rows,
               (long long)f->num_rows);
    printf("key-value metadata: %lu\n", (unsigned long)f->n_kv);
    for (r = 0; r < f->n_kv; r++) {
        fputs("  ", stdout);
        put_bytes_json(&f->kv[r].key, KV_SHOW_CHARS);
        fputs(" = ", stdout);
        if (f->kv[r].has_value)
            put_bytes_json(&f->kv[r].value, KV_SHOW_CHARS);
        else
            fputs("(no value)", stdout);
        fputs("\n", stdout);
    }
    return rc;
}

/* ---- rows ------------------------------------------------------------------- */

static int print_rows(const char *path, const struct pq_file *f, uint64_t n)
{
    struct pq_values *cols = calloc(f->n_leaves ? f->n_leaves : 1, sizeof *cols);
    struct pq_sb sb = {NULL, 0, 0, 0};
    uint64_t done = 0;
    uint32_t r, c;
    int rc = 0;
    if (cols == NULL) {
        fprintf(stderr, "floe inspect: out of memory\n");
        return EXIT_BAD_INPUT;
    }
    printf("values: the first %llu rows, one JSON object per line\n", (unsigned long long)n);
    for (r = 0; r < f->n_row_groups && done < n && rc == 0; r++) {
        const struct pq_row_group *g = &f->row_groups[r];
        uint64_t want = (uint64_t)g->num_rows < n - done ? (uint64_t)g->num_rows : n - done;
        size_t i;
        if (want == 0)
            continue;
        if (want > (uint64_t)(SIZE_MAX / sizeof(struct pq_value) / 2)) {
            fprintf(stderr, "floe inspect: %s: too many rows asked for\n", path);
            rc = EXIT_USAGE;
            break;
        }
        for (c = 0; c < f->n_leaves && rc == 0; c++) {
            if (pq_read_column(f, r, c, (size_t)want, &cols[c]) != 0) {
                fprintf(stderr, "floe inspect: %s: row group %lu: %s\n", path, (unsigned long)r, cols[c].err);
                rc = EXIT_BAD_INPUT;
            } else if (cols[c].n < want) {
                fprintf(stderr, "floe inspect: %s: row group %lu: column %s has %zu values, the row group %llu rows\n",
                        path, (unsigned long)r, f->leaves[c].path, cols[c].n, (unsigned long long)want);
                rc = EXIT_BAD_INPUT;
            }
        }
        for (i = 0; rc == 0 && i < (size_t)want; i++) {
            pq_sb_puts(&sb, "{");
            for (c = 0; c < f->n_leaves; c++) {
                if (c)
                    pq_sb_puts(&sb, ",");
                pq_sb_json_string(&sb, (const uint8_t *)f->leaves[c].path, strlen(f->leaves[c].path), 0);
                pq_sb_puts(&sb, ":");
                pq_format_value(&sb, &f->leaves[c], &cols[c].v[i], 0, 0);
            }
            pq_sb_puts(&sb, "}\n");
            if (sb.oom) {
                fprintf(stderr, "floe inspect: out of memory\n");
                rc = EXIT_BAD_INPUT;
            }
            put_sb(&sb);
        }
        done += want;
        for (c = 0; c < f->n_leaves; c++)
            pq_values_free(&cols[c]);
    }
    for (c = 0; c < f->n_leaves; c++)
        pq_values_free(&cols[c]);
    pq_sb_free(&sb);
    free(cols);
    return rc;
}

/* ---- raw footer ----------------------------------------------------------- */

static void emit_line(void *ctx, const char *line)
{
    FILE *out = ctx;
    fputs("  ", out);
    fputs(line, out);
    fputc('\n', out);
}

static int dump_footer(const struct pq_file *f)
{
    int n;
    printf("footer: %zu bytes of Thrift (FileMetaData)\n", f->footer_len);
    n = floe_thrift_dump(f->footer, f->footer_len, emit_line, stdout);
    if (n < 0) {
        printf("footer: the dump stops: %s\n", floe_strerror(n));
        return -1;
    }
    if ((size_t)n != f->footer_len)
        printf("footer: %zu bytes after the FileMetaData struct\n", f->footer_len - (size_t)n);
    return 0;
}

/* ---- command -------------------------------------------------------------- */

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL, *values_arg = NULL;
    int i, raw = 0, pages = 0, rc = EXIT_OK, fd;
    uint64_t n_values = 0;
    struct stat stt;
    struct fd_src fs;
    struct pq_source src;
    struct pq_file f;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            inspect_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--raw") == 0) {
            raw = 1;
        } else if (strcmp(a, "--pages") == 0) {
            pages = 1;
        } else if (strcmp(a, "--values") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "floe inspect: --values needs a number\n");
                return EXIT_USAGE;
            }
            values_arg = argv[++i];
        } else if (strncmp(a, "--values=", 9) == 0) {
            values_arg = a + 9;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "floe inspect: unknown option %s (see floe inspect --help)\n", a);
            return EXIT_USAGE;
        } else if (path != NULL) {
            fprintf(stderr, "floe inspect: one file at a time (%s and %s)\n", path, a);
            return EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (values_arg != NULL) {
        char *end;
        unsigned long long v;
        errno = 0;
        v = strtoull(values_arg, &end, 10);
        if (values_arg[0] < '0' || values_arg[0] > '9' || *end != '\0' || errno != 0) {
            fprintf(stderr, "floe inspect: --values %s: not a count\n", values_arg);
            return EXIT_USAGE;
        }
        n_values = v;
    }
    if (path == NULL) {
        inspect_usage(stderr);
        return EXIT_USAGE;
    }
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "floe inspect: cannot open %s: %s\n", path, strerror(errno));
        return EXIT_BAD_INPUT;
    }
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        fprintf(stderr, "floe inspect: %s: not a regular file\n", path);
        close(fd);
        return EXIT_BAD_INPUT;
    }
    fs.fd = fd;
    src.ctx = &fs;
    src.read = fd_read;
    src.size = (uint64_t)stt.st_size;

    if (pq_open(&f, &src) != 0) {
        if (raw && f.footer != NULL)
            dump_footer(&f);
        fprintf(stderr, "floe inspect: %s: %s\n", path, f.err);
        pq_close(&f);
        close(fd);
        return EXIT_BAD_INPUT;
    }
    rc = print_summary(path, &f, pages);
    if (values_arg != NULL && print_rows(path, &f, n_values) != EXIT_OK)
        rc = EXIT_BAD_INPUT;
    if (raw && rc == EXIT_OK && dump_footer(&f) != 0)
        rc = EXIT_BAD_INPUT;
    pq_close(&f);
    close(fd);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "floe inspect: writing the output failed\n");
        return EXIT_BAD_INPUT;
    }
    return rc;
}
