/* The cortex-m7 example's floe configuration, shared with
 * tests/boards/arena_report.c so the arena it reports is exactly the one
 * example/main.c sets up. These are also floe's "minimal" limits in
 * docs/budgets.md: short lines, small pages, small dictionaries. */
#ifndef FW_CONFIG_H
#define FW_CONFIG_H

#include <stddef.h>
#include <string.h>

#include "floe/floe.h"
#include "floe/http.h"
#include "floe/parquet.h"
#include "floe/roll.h"

#define FW_MAX_LINE 1024u
#define FW_MAX_TOKENS 64u
#define FW_MAX_DEPTH 8u
#define FW_DL_RAW 128u
#define FW_ZSTD_WINDOW_LOG 10u /* 1 KiB windows: `zstd --zstd=wlog=10` on the sender */
#define FW_PAGE_BYTES 4096u
#define FW_ROW_GROUP_BYTES (32u * 1024u)
#define FW_DICT_ENTRIES 256u
#define FW_DICT_BYTES 4096u
#define FW_DICT_POOL (16u * 1024u)
#define FW_MAX_ROW_GROUPS 4u
#define FW_FILE_BYTES (40u * 1024u)
#define FW_HTTP_HEADER_MAX 2048u
#define FW_HTTP_BUF 1024u
#define FW_HTTP_MAX_HEADERS 32u

/* ts, device, temp_c (from a nested object), seq, ok */
static const struct floe_column fw_columns[] = {
    {"ts", NULL, FLOE_TYPE_TIMESTAMP_MS, 0, FLOE_EPOCH_MS},
    {"device", NULL, FLOE_TYPE_STRING, 0, 0},
    {"temp_c", "sensors.temp_c", FLOE_TYPE_FLOAT, 1, 0},
    {"seq", NULL, FLOE_TYPE_INT64, 0, 0},
    {"ok", NULL, FLOE_TYPE_BOOL, 1, 0},
};
static const struct floe_schema fw_schema = {fw_columns, sizeof fw_columns / sizeof fw_columns[0], 0};

/* Fills the three configs with the limits above; callbacks, directories and
 * the schema are the caller's (the schema defaults to fw_schema). */
static void fw_configure(struct floe_ndjson_config *d, struct floe_roll_config *r, struct floe_http_config *h,
                         const struct floe_ports *p)
{
    memset(d, 0, sizeof *d);
    d->schema = &fw_schema;
    d->max_line_bytes = FW_MAX_LINE;
    d->max_tokens = FW_MAX_TOKENS;
    d->max_depth = FW_MAX_DEPTH;
    d->zstd_window_log = FW_ZSTD_WINDOW_LOG;
    d->dl_raw_max = FW_DL_RAW;
    d->log = p->log;

    memset(r, 0, sizeof *r);
    r->parquet.schema = &fw_schema;
    r->parquet.codec = FLOE_PARQUET_SNAPPY;
    r->parquet.page_bytes = FW_PAGE_BYTES;
    r->parquet.row_group_bytes = FW_ROW_GROUP_BYTES;
    r->parquet.dict_entries = FW_DICT_ENTRIES;
    r->parquet.dict_bytes = FW_DICT_BYTES;
    r->parquet.dict_pool_bytes = FW_DICT_POOL;
    r->parquet.max_row_groups = FW_MAX_ROW_GROUPS;
    r->parquet.log = p->log;
    r->dir = "/pq";
    r->tmp_dir = "/tmp";
    r->key_prefix = "telemetry/";
    r->partition_by = FLOE_PARTITION_HOUR;
    r->ts_column = 0;
    r->file_bytes = FW_FILE_BYTES;
    r->fs = p->fs;
    r->clock = p->clock;
    r->entropy = p->entropy;
    r->log = p->log;

    memset(h, 0, sizeof *h);
    h->header_max = FW_HTTP_HEADER_MAX;
    h->send_buf = FW_HTTP_BUF;
    h->recv_buf = FW_HTTP_BUF;
    h->body_max = FW_HTTP_BUF;
    h->max_headers = FW_HTTP_MAX_HEADERS;
    h->clock = p->clock;
    h->log = p->log;
}

/* Arena bytes for the decoder, the rolled Parquet files, a TCP stream and an
 * HTTP client: each module's size rounded up to the arena alignment, since
 * the next module starts on an aligned boundary. 0 if a config is rejected. */
static size_t fw_arena_need(const struct floe_ndjson_config *d, const struct floe_roll_config *r,
                            const struct floe_http_config *h, const struct floe_net_port *net)
{
    size_t nd = floe_ndjson_size(d), ro = floe_roll_size(r), tcp = floe_tcp_stream_size(net),
           ht = floe_http_size(h);
    if (nd == 0 || ro == 0 || tcp == 0 || ht == 0)
        return 0;
    return FLOE_ALIGN_UP(nd, FLOE_ARENA_ALIGN) + FLOE_ALIGN_UP(ro, FLOE_ARENA_ALIGN) +
           FLOE_ALIGN_UP(tcp, FLOE_ARENA_ALIGN) + FLOE_ALIGN_UP(ht, FLOE_ARENA_ALIGN);
}

#endif
