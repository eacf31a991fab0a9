/* Arena bytes each module's setup takes, from the public size functions, for
 * the default limits and for a minimal configuration (the cortex-m7
 * example's limits, boards/cortex-m7/example/fw_config.h), with the schema
 * given (default: tools/schemas/telemetry.json). Then the cortex-m7
 * example's own total, with its own 5-column schema.
 *
 * Usage: arena_report [SCHEMA.json]        (make arena; make BOARD=linux-armhf arena
 *                                            for 32-bit numbers, under qemu)
 * Sizes depend on pointer width: a 32-bit build (linux-armhf, cortex-m7)
 * needs somewhat less than the 64-bit host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_config.h"
#include "floe/s3.h"
#include "floe/spool.h"
#include "floe/tls.h"
#include "floe/uploader.h"
#include "floe/writer.h"

/* Ports the size functions look at; nothing here is ever called. */
static int fs_open(void *c, void *f, const char *p, int fl) { (void)c; (void)f; (void)p; (void)fl; return FLOE_ERR_IO; }
static floe_ssize_t fs_read(void *c, void *f, uint64_t o, void *b, size_t n) { (void)c; (void)f; (void)o; (void)b; (void)n; return FLOE_ERR_IO; }
static floe_ssize_t fs_write(void *c, void *f, const void *b, size_t n) { (void)c; (void)f; (void)b; (void)n; return FLOE_ERR_IO; }
static int fs_file(void *c, void *f) { (void)c; (void)f; return FLOE_ERR_IO; }
static int fs_2path(void *c, const char *a, const char *b) { (void)c; (void)a; (void)b; return FLOE_ERR_IO; }
static int fs_path(void *c, const char *a) { (void)c; (void)a; return FLOE_ERR_IO; }
static int fs_list(void *c, const char *d, floe_fs_list_cb cb, void *a) { (void)c; (void)d; (void)cb; (void)a; return FLOE_ERR_IO; }
static int fs_u64(void *c, const char *p, uint64_t *v) { (void)c; (void)p; *v = 0; return FLOE_ERR_IO; }
/* The file object of port/posix is an int (a descriptor); 16 bytes covers a
 * typical firmware file system's handle pointer plus position. */
static const struct floe_fs_port fs = {NULL, 16, fs_open, fs_read, fs_write, fs_file, fs_file, fs_2path,
                                       fs_path, fs_path, fs_path, fs_list, fs_u64, fs_u64};

static int net_connect(void *c, void *s, const char *h, uint16_t p, uint32_t t) { (void)c; (void)s; (void)h; (void)p; (void)t; return FLOE_ERR_NET; }
static floe_ssize_t net_send(void *c, void *s, const void *b, size_t n, uint32_t t) { (void)c; (void)s; (void)b; (void)n; (void)t; return FLOE_ERR_NET; }
static floe_ssize_t net_recv(void *c, void *s, void *b, size_t n, uint32_t t) { (void)c; (void)s; (void)b; (void)n; (void)t; return FLOE_ERR_NET; }
static int net_close(void *c, void *s) { (void)c; (void)s; return FLOE_OK; }
static const struct floe_net_port net = {NULL, sizeof(int), net_connect, net_send, net_recv, net_close};

static uint64_t mono(void *c) { (void)c; return 0; }
static int64_t utc(void *c) { (void)c; return 0; }
static const struct floe_clock_port clk = {NULL, mono, utc};
static int fill(void *c, void *b, size_t n) { (void)c; memset(b, 0, n); return FLOE_OK; }
static const struct floe_entropy_port ent = {NULL, fill};
static const struct floe_ports ports = {&fs, &net, &clk, &ent, NULL};

struct configs {
    struct floe_ndjson_config nd;
    struct floe_ndjson_config nd_zstd; /* the same with zstd input */
    struct floe_parquet_config pq;
    struct floe_roll_config roll;
    struct floe_spool_config spool;
    struct floe_writer_config writer;
    struct floe_http_config http;
    struct floe_tls_config tls;
    struct floe_s3_config s3;
    struct floe_uploader_config up;
};

static void common(struct configs *c, const struct floe_schema *schema)
{
    c->nd.schema = schema;
    c->nd_zstd = c->nd;
    c->nd.no_zstd = 1;
    c->pq.schema = schema;
    c->roll.parquet = c->pq;
    c->roll.dir = "/data/out";
    c->roll.fs = &fs;
    c->roll.clock = &clk;
    c->roll.entropy = &ent;
    c->spool.dir = "/data/spool";
    c->spool.fs = &fs;
    c->writer.ndjson = c->nd;
    c->writer.roll = c->roll;
    c->writer.spool = c->spool;
    c->http.clock = &clk;
    c->tls.clock = &clk;
    c->tls.entropy = &ent;
    c->tls.fs = &fs; /* defaults: the system CA bundle, read through fs */
    c->s3.endpoint = "https://s3.eu-west-1.amazonaws.com";
    c->s3.region = "eu-west-1";
    c->s3.bucket = "telemetry";
    c->s3.credentials.access_key_id = "AKIDEXAMPLE";
    c->s3.credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    c->s3.http = c->http;
    c->s3.tls = c->tls;
    c->s3.net = &net;
    c->s3.fs = &fs;
    c->s3.clock = &clk;
    c->up.spool = c->spool;
    c->up.target = FLOE_TARGET_S3;
    c->up.s3 = c->s3;
    c->up.fs = &fs;
    c->up.clock = &clk;
    c->up.entropy = &ent;
}

/* Zero means defaults everywhere. */
static void defaults(struct configs *c, const struct floe_schema *schema)
{
    memset(c, 0, sizeof *c);
    common(c, schema);
}

/* The size of one root certificate in PEM (a 2048-bit RSA root is ~1.2 KB);
 * only its length matters for sizing. */
static const char one_ca_pem[1200] = "-----BEGIN CERTIFICATE-----";

/* The cortex-m7 example's limits; the row group is raised to the least the
 * Parquet writer accepts for this many columns (2 x 2 KiB per column + 1). */
static void minimal(struct configs *c, const struct floe_schema *schema)
{
    struct floe_ndjson_config d;
    struct floe_roll_config r;
    struct floe_http_config h;
    uint32_t least = (uint32_t)((schema->n_columns + (schema->extra ? 1u : 0u) + 1u) * 4096u);
    memset(c, 0, sizeof *c);
    fw_configure(&d, &r, &h, &ports);
    d.schema = schema;
    r.parquet.schema = schema;
    if (r.parquet.row_group_bytes < least)
        r.parquet.row_group_bytes = least;
    c->nd = d;
    c->pq = r.parquet;
    c->http = h;
    c->tls.ca_pem = one_ca_pem; /* one root CA in memory, no CA file */
    c->tls.ca_pem_len = sizeof one_ca_pem;
    c->spool.max_files = 64;
    common(c, schema);
    c->nd_zstd.zstd_window_log = FW_ZSTD_WINDOW_LOG;
}

struct row {
    const char *name;
    size_t def, min;
    const char *note;
};

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tools/schemas/telemetry.json";
    static char text[1 << 16];
    static unsigned char schema_mem[1 << 18]; /* token scratch for 256 columns, then the schema */
    struct floe_arena a;
    struct floe_schema schema;
    char why[200];
    struct configs d, m;
    struct floe_ndjson_config fd;
    struct floe_roll_config fr;
    struct floe_http_config fh;
    size_t n, i, fw;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 2;
    }
    n = fread(text, 1, sizeof text, f);
    fclose(f);
    floe_arena_init(&a, schema_mem, sizeof schema_mem);
    if (floe_schema_parse(text, n, &a, &schema, why, sizeof why) != FLOE_OK) {
        fprintf(stderr, "arena_report: %s: %s\n", path, why);
        return 2;
    }
    defaults(&d, &schema);
    minimal(&m, &schema);
    {
        struct row rows[] = {
            {"ndjson", floe_ndjson_size(&d.nd), floe_ndjson_size(&m.nd), "decoder, plain input (no_zstd)"},
            {"ndjson+zstd", floe_ndjson_size(&d.nd_zstd), floe_ndjson_size(&m.nd_zstd),
             "decoder with zstd input (window 2^21 / 2^10)"},
            {"parquet", floe_parquet_size(&d.pq), floe_parquet_size(&m.pq), "Parquet writer"},
            {"roll", floe_roll_size(&d.roll), floe_roll_size(&m.roll), "rolled files (includes parquet)"},
            {"spool", floe_spool_size(&d.spool), floe_spool_size(&m.spool), "spool (4096 / 64 batches)"},
            {"writer", floe_writer_size(&d.writer), floe_writer_size(&m.writer),
             "writer loop (ndjson + roll + spool)"},
            {"http", floe_http_size(&d.http), floe_http_size(&m.http), "HTTP/1.1 client"},
            {"tls", floe_tls_size(&d.tls), floe_tls_size(&m.tls),
             "TLS incl. the mbedTLS heap (system CA file / one 1.2 KB CA)"},
            {"s3", floe_s3_size(&d.s3), floe_s3_size(&m.s3), "S3 client over https (includes http, tls)"},
            {"uploader", floe_uploader_size(&d.up), floe_uploader_size(&m.up),
             "uploader loop (s3 + spool)"},
        };
        int bad = 0;
        printf("arena bytes per module (%u-bit build; schema %s: %u columns%s)\n",
               (unsigned)(sizeof(void *) * 8u), path, (unsigned)schema.n_columns, schema.extra ? " + _extra" : "");
        printf("%-12s %10s %10s  %s\n", "module", "default", "minimal", "what");
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            printf("%-12s %10zu %10zu  %s\n", rows[i].name, rows[i].def, rows[i].min, rows[i].note);
            if (rows[i].def == 0 || rows[i].min == 0)
                bad = 1;
        }
        if (bad) {
            fprintf(stderr, "arena_report: a size function rejected its config (0 above)\n");
            return 1;
        }
    }
    fw_configure(&fd, &fr, &fh, &ports);
    fw = fw_arena_need(&fd, &fr, &fh, &net);
    printf("cortex-m7 example (fw_config.h, 5 columns): ndjson+zstd %zu + roll %zu + tcp %zu + http %zu "
           "= %zu bytes\n",
           floe_ndjson_size(&fd), floe_roll_size(&fr), floe_tcp_stream_size(&net), floe_http_size(&fh), fw);
    return fw == 0;
}
