/* libFuzzer target: spool records found on disk after a crash (outside bytes:
 * whatever a power cut, a bad flash block or another program left there).
 * The input is split on "\n--\n" into a checkpoint, a ready/ meta, a done/
 * meta and a Parquet body; each record's trailing "crc" line is recomputed
 * half of the time, so the fuzzer gets past the CRC into the field parser.
 * Opening must either succeed with batches it can hand out or fail cleanly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/floe.h"
#include "floe/spool.h"
#include "floe_emufs.h"

static uint64_t emu_mem[(4u << 20) / 8];
static uint64_t arena_mem[(256u << 10) / 8];
static uint64_t file_obj[1024];
static struct floe_emufs emu;
static char rec[8192];

static void put(const char *path, const uint8_t *data, size_t n, int fix_crc)
{
    const struct floe_fs_port *fs = &emu.fs;
    size_t len = n;
    if (n > sizeof rec - 16)
        n = len = sizeof rec - 16;
    memcpy(rec, data, n);
    if (fix_crc) {
        /* Drop a last "crc" line if any, then sign what is left. */
        size_t cut = n;
        while (cut > 0 && rec[cut - 1] == '\n')
            cut--;
        while (cut > 0 && rec[cut - 1] != '\n')
            cut--;
        if (n - cut >= 4 && memcmp(rec + cut, "crc ", 4) == 0)
            n = cut;
        len = n + (size_t)snprintf(rec + n, sizeof rec - n, "crc %08x\n", (unsigned)floe_crc32c(rec, n));
    }
    if (fs->open(fs->ctx, file_obj, path, FLOE_FS_WRITE | FLOE_FS_TRUNC) != FLOE_OK)
        return;
    fs->write(fs->ctx, file_obj, rec, len);
    fs->close(fs->ctx, file_obj);
}

static const uint8_t *next_part(const uint8_t **p, const uint8_t *end, size_t *n)
{
    const uint8_t *start = *p, *q;
    for (q = start; q + 4 <= end; q++)
        if (memcmp(q, "\n--\n", 4) == 0)
            break;
    if (q + 4 > end)
        q = end;
    *n = (size_t)(q - start);
    *p = q + 4 <= end ? q + 4 : end;
    return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"/sp/checkpoint", "/sp/ready/00000000000000000001.meta",
                                        "/sp/done/00000000000000000002.meta",
                                        "/sp/ready/00000000000000000001.parquet"};
    const uint8_t *p, *end = data + size;
    struct floe_spool_config cfg;
    struct floe_spool sp;
    struct floe_spool_batch b;
    struct floe_arena a;
    uint8_t flags;
    size_t i, n;
    int role;
    if (size < 1)
        return 0;
    flags = data[0];
    p = data + 1;
    if (floe_emufs_init(&emu, emu_mem, sizeof emu_mem, NULL) != FLOE_OK)
        abort();
    if (emu.fs.file_size > sizeof file_obj)
        abort();
    emu.fs.mkdir(emu.fs.ctx, "/sp");
    emu.fs.mkdir(emu.fs.ctx, "/sp/ready");
    emu.fs.mkdir(emu.fs.ctx, "/sp/done");
    emu.fs.mkdir(emu.fs.ctx, "/sp/tmp");
    for (i = 0; i < 4 && p < end; i++) {
        const uint8_t *part = next_part(&p, end, &n);
        put(paths[i], part, n, i < 3 && (flags >> i & 1u));
    }
    for (role = 0; role < 2; role++) {
        memset(&cfg, 0, sizeof cfg);
        cfg.dir = "/sp";
        cfg.fs = &emu.fs;
        cfg.role = role == 0 ? FLOE_SPOOL_WRITER : FLOE_SPOOL_UPLOADER;
        floe_arena_init(&a, arena_mem, sizeof arena_mem);
        floe_spool_init(&sp);
        if (floe_spool_open(&sp, &cfg, &a) != FLOE_OK)
            continue;
        if (role == 1) {
            int handed = 0;
            while (floe_spool_oldest(&sp, &b) == FLOE_OK && handed < 8) {
                /* A batch handed out names its files inside the spool. */
                if (strncmp(b.parquet_path, "/sp/", 4) != 0 && b.parquet_path[0] != '\0')
                    abort();
                if (floe_spool_remove(&sp, b.seq) != FLOE_OK)
                    break;
                handed++;
            }
        }
        floe_spool_free(&sp);
    }
    return 0;
}
