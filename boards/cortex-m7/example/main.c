/* A minimal firmware main for boards/cortex-m7: floe on bare metal.
 *
 * It shows the whole shape of an integration with nothing but floe and the
 * C library's string functions:
 *   - the ports a firmware supplies (include/floe/port.h): a RAM file system,
 *     a network port with no network behind it, a clock and an entropy
 *     source. Each is marked with what a real board puts there;
 *   - one static arena, checked against the modules' size functions before
 *     anything is set up;
 *   - NDJSON bytes pushed in arbitrary chunks, rows rolled into a Parquet
 *     file on the file-system port, one bad line going to the dead letters.
 *
 * It links with newlib's nosys stubs (make BOARD=cortex-m7 firmware) but is
 * not a bootable image: a real one adds the part's startup code, vector table
 * and linker script. The configuration is in fw_config.h, which
 * tests/boards/arena_report.c shares, so docs/budgets.md has its arena. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_config.h"

/* ---- a RAM file system (replace with littlefs/FatFs glue) ------------- */

#define MEMFS_FILES 2 /* the file being written, and one sealed file */
#define MEMFS_FILE_BYTES (48u * 1024u)

struct memfs_node {
    char name[FLOE_ROLL_PATH_MAX];
    uint32_t len;
    uint8_t used;
    uint8_t data[MEMFS_FILE_BYTES];
};

struct memfs {
    struct memfs_node node[MEMFS_FILES];
};

/* The open-file object; floe takes fs_port.file_size bytes for it from the arena. */
struct memfs_file {
    struct memfs_node *node;
    uint32_t pos;
};

static struct memfs g_fs;

static struct memfs_node *memfs_find(struct memfs *fs, const char *path)
{
    size_t i;
    for (i = 0; i < MEMFS_FILES; i++)
        if (fs->node[i].used && strcmp(fs->node[i].name, path) == 0)
            return &fs->node[i];
    return NULL;
}

static int memfs_open(void *ctx, void *file, const char *path, int flags)
{
    struct memfs *fs = (struct memfs *)ctx;
    struct memfs_file *f = (struct memfs_file *)file;
    struct memfs_node *n;
    size_t i;
    if (strlen(path) >= FLOE_ROLL_PATH_MAX)
        return FLOE_ERR_INVAL;
    n = memfs_find(fs, path);
    if (flags & FLOE_FS_READ) {
        if (n == NULL)
            return FLOE_ERR_NOENT;
        f->node = n;
        f->pos = 0;
        return FLOE_OK;
    }
    if (n != NULL && (flags & FLOE_FS_EXCL))
        return FLOE_ERR_EXIST;
    for (i = 0; n == NULL && i < MEMFS_FILES; i++) {
        if (!fs->node[i].used) {
            n = &fs->node[i];
            n->used = 1;
            n->len = 0;
            strcpy(n->name, path);
        }
    }
    if (n == NULL)
        return FLOE_ERR_NOSPC;
    if (flags & FLOE_FS_TRUNC)
        n->len = 0;
    f->node = n;
    f->pos = (flags & FLOE_FS_APPEND) ? n->len : 0;
    return FLOE_OK;
}

static floe_ssize_t memfs_read(void *ctx, void *file, uint64_t offset, void *buf, size_t n)
{
    struct memfs_file *f = (struct memfs_file *)file;
    (void)ctx;
    if (offset >= f->node->len)
        return 0;
    if (n > f->node->len - offset)
        n = (size_t)(f->node->len - offset);
    memcpy(buf, f->node->data + offset, n);
    return (floe_ssize_t)n;
}

static floe_ssize_t memfs_write(void *ctx, void *file, const void *buf, size_t n)
{
    struct memfs_file *f = (struct memfs_file *)file;
    size_t room = MEMFS_FILE_BYTES - f->pos;
    (void)ctx;
    if (n > room)
        n = room;
    if (n == 0)
        return room == 0 ? FLOE_ERR_NOSPC : 0;
    memcpy(f->node->data + f->pos, buf, n);
    f->pos += (uint32_t)n;
    if (f->pos > f->node->len)
        f->node->len = f->pos;
    return (floe_ssize_t)n;
}

static int memfs_nop_file(void *ctx, void *file)
{
    (void)ctx;
    (void)file;
    return FLOE_OK; /* RAM is as durable as it gets */
}

static int memfs_rename(void *ctx, const char *from, const char *to)
{
    struct memfs *fs = (struct memfs *)ctx;
    struct memfs_node *src = memfs_find(fs, from), *dst;
    if (src == NULL)
        return FLOE_ERR_NOENT;
    if (strlen(to) >= FLOE_ROLL_PATH_MAX)
        return FLOE_ERR_INVAL;
    dst = memfs_find(fs, to);
    if (dst != NULL && dst != src)
        dst->used = 0;
    strcpy(src->name, to);
    return FLOE_OK;
}

static int memfs_remove(void *ctx, const char *path)
{
    struct memfs_node *n = memfs_find((struct memfs *)ctx, path);
    if (n == NULL)
        return FLOE_ERR_NOENT;
    n->used = 0;
    return FLOE_OK;
}

static int memfs_nop_dir(void *ctx, const char *path)
{
    (void)ctx;
    (void)path;
    return FLOE_OK; /* flat: directories exist implicitly in the names */
}

static int memfs_list(void *ctx, const char *dir, floe_fs_list_cb cb, void *arg)
{
    struct memfs *fs = (struct memfs *)ctx;
    size_t i, dl = strlen(dir);
    for (i = 0; i < MEMFS_FILES; i++) {
        const char *name = fs->node[i].name;
        int r;
        if (!fs->node[i].used || strncmp(name, dir, dl) != 0 || name[dl] != '/' ||
            strchr(name + dl + 1, '/') != NULL)
            continue;
        r = cb(arg, name + dl + 1, 0);
        if (r != 0)
            return r;
    }
    return FLOE_OK;
}

static int memfs_stat_size(void *ctx, const char *path, uint64_t *size)
{
    struct memfs_node *n = memfs_find((struct memfs *)ctx, path);
    if (n == NULL)
        return FLOE_ERR_NOENT;
    *size = n->len;
    return FLOE_OK;
}

static int memfs_free_space(void *ctx, const char *path, uint64_t *bytes)
{
    struct memfs *fs = (struct memfs *)ctx;
    size_t i;
    (void)path;
    *bytes = 0;
    for (i = 0; i < MEMFS_FILES; i++)
        if (!fs->node[i].used)
            *bytes += MEMFS_FILE_BYTES;
    return FLOE_OK;
}

static const struct floe_fs_port fs_port = {
    &g_fs, sizeof(struct memfs_file),
    memfs_open, memfs_read, memfs_write, memfs_nop_file, memfs_nop_file,
    memfs_rename, memfs_remove, memfs_nop_dir, memfs_nop_dir, memfs_list,
    memfs_stat_size, memfs_free_space,
};

/* ---- a network port with no network (replace with lwIP sockets) ------- */

static int net_connect(void *ctx, void *sock, const char *host, uint16_t port, uint32_t timeout_ms)
{
    (void)ctx;
    (void)sock;
    (void)host;
    (void)port;
    (void)timeout_ms;
    return FLOE_ERR_NET;
}

static floe_ssize_t net_send(void *ctx, void *sock, const void *buf, size_t n, uint32_t timeout_ms)
{
    (void)ctx;
    (void)sock;
    (void)buf;
    (void)n;
    (void)timeout_ms;
    return FLOE_ERR_NET;
}

static floe_ssize_t net_recv(void *ctx, void *sock, void *buf, size_t n, uint32_t timeout_ms)
{
    (void)ctx;
    (void)sock;
    (void)buf;
    (void)n;
    (void)timeout_ms;
    return FLOE_ERR_NET;
}

static int net_close(void *ctx, void *sock)
{
    (void)ctx;
    (void)sock;
    return FLOE_OK;
}

static const struct floe_net_port net_port = {
    NULL, sizeof(int), net_connect, net_send, net_recv, net_close,
};

/* ---- a fake clock (replace with SysTick and an RTC synced by SNTP) ---- */

static uint64_t g_ticks;

static uint64_t clock_monotonic(void *ctx)
{
    (void)ctx;
    return g_ticks += 10u;
}

static int64_t clock_utc(void *ctx)
{
    (void)ctx;
    return INT64_C(1795255200000) + (int64_t)g_ticks; /* 2026-11-21T10:00:00Z */
}

static const struct floe_clock_port clock_port = {NULL, clock_monotonic, clock_utc};

/* ---- fake entropy: NOT random (replace with the part's TRNG) ---------- */

static uint32_t g_xs = 0x9e3779b9u;

static int entropy_fill(void *ctx, void *buf, size_t n)
{
    uint8_t *p = (uint8_t *)buf;
    (void)ctx;
    while (n--) {
        g_xs ^= g_xs << 13;
        g_xs ^= g_xs >> 17;
        g_xs ^= g_xs << 5;
        *p++ = (uint8_t)g_xs;
    }
    return FLOE_OK;
}

static const struct floe_entropy_port entropy_port = {NULL, entropy_fill};

/* ---- log: keep the last line for the debugger (or send it to a UART) -- */

static char g_last_log[FLOE_LOG_LINE_MAX];

static void log_write(void *ctx, int level, const char *line)
{
    (void)ctx;
    (void)level;
    strncpy(g_last_log, line, sizeof g_last_log - 1u);
}

static const struct floe_log_port log_port = {NULL, log_write, FLOE_LOG_WARN};

/* ---- the pipeline ------------------------------------------------------- */

static const char ndjson[] =
    "{\"ts\":\"2026-11-21T10:00:00.000Z\",\"device\":\"m7-01\",\"sensors\":{\"temp_c\":21.5},\"seq\":1,\"ok\":true}\n"
    "{\"ts\":1795255201000,\"device\":\"m7-01\",\"sensors\":{\"temp_c\":21.75},\"seq\":2,\"ok\":true}\n"
    "{\"ts\":1795255202000,\"device\":\"m7-01\",\"sensors\":{},\"seq\":3}\n"
    "{\"ts\":1795255203000,\"device\":\"m7-01\",\"seq\":\"four\"}\n" /* a dead letter */
    "{\"ts\":1795255204000,\"device\":\"m7-02\",\"sensors\":{\"temp_c\":-4.25},\"seq\":5,\"ok\":false}";

/* One arena for everything floe uses. This config needs 333,200 bytes on a
 * 32-bit target and 334,152 on a 64-bit host (docs/budgets.md; 170 KB of it
 * is zstd's decoder: set no_zstd in fw_config.h for plain input only, or
 * shrink the Parquet limits). run() checks the need before any setup. */
#ifndef FW_ARENA_BYTES
#define FW_ARENA_BYTES (336u * 1024u)
#endif
static union {
    uint64_t align;
    uint8_t bytes[FW_ARENA_BYTES];
} g_arena;

struct app {
    struct floe_ndjson dec;
    struct floe_roll roll;
    struct floe_tcp_stream tcp;
    struct floe_http_client http;
    uint32_t rows, dead_letters, files;
    uint64_t file_size;
};

static struct app g_app;

static int on_row(void *ctx, const struct floe_row *row)
{
    struct app *app = (struct app *)ctx;
    int err = floe_roll_write(&app->roll, row);
    if (err == FLOE_ERR_LIMIT)
        return FLOE_ROW_REJECT; /* too big for a page: a dead letter, go on */
    if (err == FLOE_OK)
        app->rows++;
    return err;
}

static int on_dead_letter(void *ctx, const struct floe_dead_letter *dl)
{
    struct app *app = (struct app *)ctx;
    (void)dl; /* dl->reason_text, dl->line, dl->raw: log or keep them */
    app->dead_letters++;
    return FLOE_OK;
}

static int on_file(void *ctx, const struct floe_file_facts *facts)
{
    struct app *app = (struct app *)ctx;
    app->files++;
    app->file_size = facts->size; /* facts->path, object_key, crc32c, sha256 */
    return FLOE_OK;
}

/* Returns 0 when a Parquet file with every good row is in the RAM fs. */
static int run(void)
{
    struct app *app = &g_app;
    struct floe_ndjson_config dcfg;
    struct floe_roll_config rcfg;
    struct floe_http_config hcfg;
    struct floe_arena arena;
    struct floe_stream stream;
    static const struct floe_ports ports = {&fs_port, &net_port, &clock_port, &entropy_port, &log_port};
    size_t need, i;
    int err;

    fw_configure(&dcfg, &rcfg, &hcfg, &ports);
    dcfg.on_row = on_row;
    dcfg.on_dead_letter = on_dead_letter;
    dcfg.cb_ctx = app;
    rcfg.on_file = on_file;
    rcfg.cb_ctx = app;

    need = fw_arena_need(&dcfg, &rcfg, &hcfg, &net_port);
    if (need == 0)
        return 1; /* a config the library rejects */
    if (need > sizeof g_arena.bytes)
        return 2; /* FW_ARENA_BYTES too small for this config */

    floe_arena_init(&arena, g_arena.bytes, sizeof g_arena.bytes);
    floe_ndjson_init(&app->dec);
    floe_roll_init(&app->roll);
    floe_http_init(&app->http);
    if ((err = floe_ndjson_setup(&app->dec, &dcfg, &arena)) != FLOE_OK ||
        (err = floe_roll_setup(&app->roll, &rcfg, &arena)) != FLOE_OK ||
        (err = floe_tcp_stream_setup(&app->tcp, &net_port, &arena)) != FLOE_OK ||
        (err = floe_http_setup(&app->http, &hcfg, &arena)) != FLOE_OK)
        return 3;

    /* Bytes arrive in whatever pieces the UART/USB/socket hands over. */
    err = floe_ndjson_begin(&app->dec, "uart0");
    for (i = 0; err == FLOE_OK && i < sizeof ndjson - 1u; i += 17u) {
        size_t n = sizeof ndjson - 1u - i < 17u ? sizeof ndjson - 1u - i : 17u;
        err = floe_ndjson_push(&app->dec, ndjson + i, n);
    }
    if (err == FLOE_OK)
        err = floe_ndjson_end(&app->dec);
    if (err == FLOE_OK)
        err = floe_roll_seal(&app->roll);
    if (err != FLOE_OK) {
        floe_roll_abort(&app->roll);
        return 4;
    }
    if (app->rows != 4 || app->dead_letters != 1 || app->files != 1 || app->file_size < 12u)
        return 5;
    for (i = 0; i < MEMFS_FILES; i++) {
        const struct memfs_node *n = &g_fs.node[i];
        if (n->used && strncmp(n->name, "/pq/", 4) == 0 && n->len == app->file_size &&
            memcmp(n->data, "PAR1", 4) == 0 && memcmp(n->data + n->len - 4u, "PAR1", 4) == 0)
            break;
    }
    if (i == MEMFS_FILES)
        return 7; /* no sealed Parquet file under /pq/ */

    /* The uploader side would start here; with no network, connect fails. */
    err = floe_tcp_stream_open(&app->tcp, "s3.example.com", 80, 1000u, &stream);
    if (err != FLOE_ERR_NET)
        return 6;
    floe_http_set_stream(&app->http, NULL);
    return 0;
}

int main(void)
{
    int rc = run();
    floe_ndjson_free(&g_app.dec);
    return rc;
}
