#include "test.h"
#include "floe/floe.h"
#include "floe_emufs.h"
#include "core/internal.h" /* floe_fs_write_all: the writers' own short-write loop */

/* One emulator and its memory for every test (no heap). */
static struct floe_emufs emu;
static uint8_t emu_mem[1u << 20];
static char fobj[16], fobj2[16];

static int setup(const struct floe_emufs_config *cfg)
{
    if (floe_emufs_size(cfg) > sizeof emu_mem)
        return FLOE_ERR_NOMEM;
    return floe_emufs_init(&emu, emu_mem, sizeof emu_mem, cfg);
}

static int setup_default(void)
{
    struct floe_emufs_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_files = 64;
    cfg.capacity = 64u * 1024u;
    return setup(&cfg);
}

/* Creates or replaces path with data; syncs the file when asked. */
static int put(const char *path, const void *data, size_t n, int flags, int sync)
{
    const struct floe_fs_port *fs = &emu.fs;
    int err = fs->open(fs->ctx, fobj, path, FLOE_FS_WRITE | flags);
    if (err != FLOE_OK)
        return err;
    err = floe_fs_write_all(fs, fobj, data, n);
    if (err == FLOE_OK && sync)
        err = fs->sync(fs->ctx, fobj);
    {
        int cerr = fs->close(fs->ctx, fobj);
        if (err == FLOE_OK)
            err = cerr;
    }
    return err;
}

/* 1: the file holds exactly data; 0: it differs; -1: it does not exist. */
static int holds(const char *path, const void *data, size_t n)
{
    static uint8_t back[8192];
    uint64_t size;
    floe_ssize_t r;
    if (floe_emufs_stat(&emu, path, NULL, &size) != FLOE_OK)
        return -1;
    if (size != n || n > sizeof back)
        return 0;
    r = floe_emufs_read_file(&emu, path, 0, back, sizeof back);
    return r == (floe_ssize_t)n && memcmp(back, data, n) == 0;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131u + seed * 7u + (i >> 8)) ^ seed);
}

struct listing {
    char names[8][32];
    int is_dir[8];
    int n;
};

static int collect(void *arg, const char *name, int is_dir)
{
    struct listing *l = (struct listing *)arg;
    if (l->n < 8) {
        snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
        l->is_dir[l->n] = is_dir;
    }
    l->n++;
    return 0;
}

TEST(emufs_basic_operations)
{
    const struct floe_fs_port *fs = &emu.fs;
    struct listing l;
    char buf[32];
    uint64_t size, free_bytes;
    static char long_path[300];
    REQUIRE(setup_default() == FLOE_OK);
    REQUIRE(fs->file_size <= sizeof fobj);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d"), FLOE_OK); /* exists: fine */
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d/sub/x"), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d/a", FLOE_FS_WRITE | FLOE_FS_EXCL), FLOE_OK);
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, "hello world", 11), 11);
    CHECK_EQ_INT(fs->read(fs->ctx, fobj, 0, buf, sizeof buf), FLOE_ERR_INVAL); /* write-only */
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_OK);
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_ERR_INVAL); /* already closed */
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d/a", FLOE_FS_WRITE | FLOE_FS_EXCL), FLOE_ERR_EXIST);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/nope/a", FLOE_FS_WRITE), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d/missing", FLOE_FS_READ), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d", FLOE_FS_READ), FLOE_ERR_IO);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d/a", FLOE_FS_READ | FLOE_FS_WRITE), FLOE_ERR_INVAL);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d/a"), FLOE_ERR_EXIST);
    CHECK_EQ_INT(fs->stat_size(fs->ctx, "/d/a", &size), FLOE_OK);
    CHECK_EQ_U64(size, 11);

    /* Append, pread, overwrite from the start, truncate. */
    CHECK_EQ_INT(put("/d/a", "!!", 2, FLOE_FS_APPEND, 0), FLOE_OK);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d/a", FLOE_FS_READ), FLOE_OK);
    CHECK_EQ_INT(fs->read(fs->ctx, fobj, 6, buf, sizeof buf), 7);
    CHECK(memcmp(buf, "world!!", 7) == 0);
    CHECK_EQ_INT(fs->read(fs->ctx, fobj, 13, buf, sizeof buf), 0);
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, "x", 1), FLOE_ERR_INVAL); /* read-only */
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_OK);
    CHECK_EQ_INT(put("/d/a", "J", 1, 0, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/a", "Jello world!!", 13), 1);
    CHECK_EQ_INT(put("/d/a", "xy", 2, FLOE_FS_TRUNC, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/a", "xy", 2), 1);

    /* Rename: moves, replaces a target atomically, refuses directories. */
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/a", "/d/b"), FLOE_OK);
    CHECK_EQ_INT(fs->stat_size(fs->ctx, "/d/a", &size), FLOE_ERR_NOENT);
    CHECK_EQ_INT(holds("/d/b", "xy", 2), 1);
    CHECK_EQ_INT(put("/d/c", "ccc", 3, FLOE_FS_EXCL, 0), FLOE_OK);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/c", "/d/b"), FLOE_OK);
    CHECK_EQ_INT(holds("/d/b", "ccc", 3), 1);
    CHECK_EQ_INT(holds("/d/c", "", 0), -1);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d", "/e"), FLOE_ERR_UNSUPPORTED);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/missing", "/d/x"), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/b", "/d/b"), FLOE_OK);
    CHECK_EQ_INT(holds("/d/b", "ccc", 3), 1);

    /* list: sorted, with kinds; remove: files and empty directories only. */
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d/sub"), FLOE_OK);
    CHECK_EQ_INT(put("/d/sub/f", "f", 1, 0, 0), FLOE_OK);
    CHECK_EQ_INT(put("/d/aa", "", 0, 0, 0), FLOE_OK);
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(fs->list(fs->ctx, "/d", collect, &l), FLOE_OK);
    REQUIRE(l.n == 3);
    CHECK_EQ_STR(l.names[0], "aa");
    CHECK_EQ_STR(l.names[1], "b");
    CHECK_EQ_STR(l.names[2], "sub");
    CHECK(!l.is_dir[0] && !l.is_dir[1] && l.is_dir[2]);
    CHECK_EQ_INT(fs->list(fs->ctx, "/d/b", collect, &l), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/sub"), FLOE_ERR_IO); /* not empty */
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/sub/f"), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/sub"), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/sub"), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/aa"), FLOE_OK);

    /* Paths: relative, doubled slashes and "." are fine; ".." and overlong are not. */
    CHECK_EQ_INT(fs->stat_size(fs->ctx, "d//b", &size), FLOE_OK);
    CHECK_EQ_U64(size, 3);
    CHECK_EQ_INT(fs->stat_size(fs->ctx, "./d/./b", &size), FLOE_OK);
    CHECK_EQ_INT(fs->stat_size(fs->ctx, "/d/../d/b", &size), FLOE_ERR_INVAL);
    memset(long_path, 'x', sizeof long_path - 1);
    long_path[0] = '/';
    CHECK_EQ_INT(fs->mkdir(fs->ctx, long_path), FLOE_ERR_INVAL);

    /* An open file outlives its name until closed. */
    CHECK_EQ_INT(fs->free_space(fs->ctx, "/d", &free_bytes), FLOE_OK);
    CHECK_EQ_U64(free_bytes, 64u * 1024u - 3u);
    CHECK_EQ_INT(fs->free_space(fs->ctx, "/nope", &free_bytes), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d/b", FLOE_FS_READ), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/b"), FLOE_OK);
    CHECK_EQ_INT(fs->read(fs->ctx, fobj, 0, buf, sizeof buf), 3);
    CHECK_EQ_U64(floe_emufs_used(&emu), 3);
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_OK);
    CHECK_EQ_U64(floe_emufs_used(&emu), 0);
}

TEST(emufs_limits_and_config)
{
    const struct floe_fs_port *fs = &emu.fs;
    struct floe_emufs_config cfg;
    char name[16];
    int i, err = FLOE_OK;
    memset(&cfg, 0, sizeof cfg);
    CHECK(floe_emufs_size(NULL) > 0);
    cfg.max_path = FLOE_EMUFS_PATH_MAX + 1;
    CHECK_EQ_INT(floe_emufs_size(&cfg), 0);
    CHECK_EQ_INT(floe_emufs_init(&emu, emu_mem, sizeof emu_mem, &cfg), FLOE_ERR_INVAL);
    cfg.max_path = 0;
    cfg.max_files = 8;
    cfg.max_open = 2;
    cfg.capacity = 4096;
    CHECK_EQ_INT(floe_emufs_init(&emu, emu_mem, floe_emufs_size(&cfg) - 16, &cfg), FLOE_ERR_NOMEM);
    /* An unaligned buffer of exactly the size asked for is enough. */
    CHECK_EQ_INT(floe_emufs_init(&emu, emu_mem + 3, floe_emufs_size(&cfg), &cfg), FLOE_OK);
    /* max_open files at once. */
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/a", FLOE_FS_WRITE), FLOE_OK);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj2, "/b", FLOE_FS_WRITE), FLOE_OK);
    {
        char third[16];
        CHECK_EQ_INT(fs->open(fs->ctx, third, "/c", FLOE_FS_WRITE), FLOE_ERR_LIMIT);
    }
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_OK);
    CHECK_EQ_INT(fs->close(fs->ctx, fobj2), FLOE_OK);
    /* max_files names: the root and 7 more, then no space. */
    for (i = 0; i < 8 && err == FLOE_OK; i++) {
        snprintf(name, sizeof name, "/f%d", i);
        err = put(name, "x", 1, 0, 0);
    }
    CHECK_EQ_INT(err, FLOE_ERR_NOSPC);
    CHECK_EQ_INT(i, 6); /* /a, /b and /f0../f4 exist: 7 */
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/dir"), FLOE_ERR_NOSPC);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/a"), FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/dir"), FLOE_OK);
}

TEST(emufs_full_disk_short_write_then_nospc)
{
    const struct floe_fs_port *fs = &emu.fs;
    struct floe_emufs_config cfg;
    static uint8_t data[600];
    uint64_t free_bytes;
    memset(&cfg, 0, sizeof cfg);
    cfg.capacity = 1000;
    REQUIRE(setup(&cfg) == FLOE_OK);
    fill(data, sizeof data, 1);
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/f", FLOE_FS_WRITE), FLOE_OK);
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, data, 600), 600);
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, data, 600), 400); /* what fits */
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, data, 600), FLOE_ERR_NOSPC);
    CHECK_EQ_INT(fs->free_space(fs->ctx, "/", &free_bytes), FLOE_OK);
    CHECK_EQ_U64(free_bytes, 0);
    CHECK_EQ_U64(floe_emufs_used(&emu), 1000);
    /* More room appears; then the disk is made smaller than what is used. */
    floe_emufs_set_capacity(&emu, 1100);
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, data, 600), 100);
    floe_emufs_set_capacity(&emu, 500);
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, data, 1), FLOE_ERR_NOSPC);
    CHECK_EQ_INT(fs->free_space(fs->ctx, "/", &free_bytes), FLOE_OK);
    CHECK_EQ_U64(free_bytes, 0);
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_OK);
    /* Overwriting in place needs no new space; removing gives it back. */
    CHECK_EQ_INT(put("/f", "abc", 3, 0, 0), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/f"), FLOE_OK);
    CHECK_EQ_INT(fs->free_space(fs->ctx, "/", &free_bytes), FLOE_OK);
    CHECK_EQ_U64(free_bytes, 500);
    CHECK_EQ_INT(put("/g", data, 500, 0, 0), FLOE_OK);
    CHECK_EQ_INT(put("/h", data, 1, 0, 0), FLOE_ERR_NOSPC);
}

static int stat_in_list(void *arg, const char *name, int is_dir)
{
    uint64_t size;
    (void)name;
    (void)is_dir;
    (void)emu.fs.stat_size(emu.fs.ctx, "/d", &size);
    (*(int *)arg)++;
    return 0;
}

TEST(emufs_crash_at_n_fails_every_later_call)
{
    const struct floe_fs_port *fs = &emu.fs;
    struct floe_emufs_config cfg;
    uint64_t v;
    int calls = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.capacity = 4096;
    cfg.crash_at = 4;
    REQUIRE(setup(&cfg) == FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d"), FLOE_OK);                       /* 1 */
    CHECK_EQ_INT(fs->open(fs->ctx, fobj, "/d/f", FLOE_FS_WRITE), FLOE_OK); /* 2 */
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, "abc", 3), 3);                   /* 3 */
    CHECK(!floe_emufs_crashed(&emu));
    CHECK_EQ_INT(fs->sync(fs->ctx, fobj), FLOE_ERR_IO); /* 4: power is gone */
    CHECK(floe_emufs_crashed(&emu));
    CHECK_EQ_INT(fs->write(fs->ctx, fobj, "abc", 3), FLOE_ERR_IO);
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_ERR_IO);
    CHECK_EQ_INT(fs->stat_size(fs->ctx, "/d/f", &v), FLOE_ERR_IO);
    CHECK_EQ_INT(fs->free_space(fs->ctx, "/", &v), FLOE_ERR_IO);
    CHECK_EQ_INT(fs->list(fs->ctx, "/", collect, NULL), FLOE_ERR_IO);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/e"), FLOE_ERR_IO);
    CHECK_EQ_U64(floe_emufs_total_ops(&emu), 4);
    /* The state the crash left can still be inspected. */
    CHECK_EQ_INT(holds("/d/f", "abc", 3), 1);

    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 1), FLOE_OK);
    CHECK(!floe_emufs_crashed(&emu));
    CHECK_EQ_U64(floe_emufs_total_ops(&emu), 0);
    CHECK_EQ_INT(holds("/d/f", "", 0), -1); /* nothing was durable */
    CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_ERR_INVAL); /* forgotten at reboot */
    CHECK_EQ_INT(fs->stat_size(fs->ctx, "/d", &v), FLOE_ERR_NOENT);

    /* A crash inside a list callback ends the walk. */
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/a"), FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/b"), FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/c"), FLOE_OK);
    CHECK_EQ_U64(floe_emufs_total_ops(&emu), 5); /* close, stat, 3 mkdir */
    floe_emufs_set_crash_at(&emu, 8);              /* list, stat, stat */
    CHECK_EQ_INT(fs->list(fs->ctx, "/", stat_in_list, &calls), FLOE_ERR_IO);
    CHECK_EQ_INT(calls, 2);
    CHECK_EQ_U64(floe_emufs_total_ops(&emu), 8);
}

TEST(emufs_drop_keeps_only_what_was_made_durable)
{
    const struct floe_fs_port *fs = &emu.fs;
    /* Renamed, file synced, directory not: the rename is lost. */
    REQUIRE(setup_default() == FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/"), FLOE_OK);
    CHECK_EQ_INT(put("/d/tmp", "data", 4, FLOE_FS_EXCL, 1), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/tmp", "/d/final"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/final", "", 0), -1);
    CHECK_EQ_INT(holds("/d/tmp", "data", 4), 1);
    /* With the directory synced it survives. */
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/tmp", "/d/final"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/final", "data", 4), 1);
    CHECK_EQ_INT(holds("/d/tmp", "", 0), -1);

    /* Created, written and synced, but its directory never synced: gone. */
    CHECK_EQ_INT(put("/d/new", "new", 3, 0, 1), FLOE_OK);
    /* A directory whose own entry was never made durable takes its synced
     * entries with it. */
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/e"), FLOE_OK);
    CHECK_EQ_INT(put("/e/x", "x", 1, 0, 1), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/e"), FLOE_OK);
    /* Data appended after a sync is lost; so is a rewrite. */
    CHECK_EQ_INT(put("/d/final", "-more", 5, FLOE_FS_APPEND, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/final", "data-more", 9), 1);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/new", "", 0), -1);
    CHECK_EQ_INT(holds("/e/x", "", 0), -1);
    CHECK_EQ_INT(floe_emufs_stat(&emu, "/e", NULL, NULL), FLOE_ERR_NOENT);
    CHECK_EQ_INT(holds("/d/final", "data", 4), 1);

    /* Created in a synced directory, data never synced: there, but empty. */
    CHECK_EQ_INT(put("/d/empty", "lost", 4, 0, 0), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/empty", "", 0), 1);

    /* A removal not made durable is undone; a made durable one is not. */
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/final"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/final", "data", 4), 1);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/final"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/final", "", 0), -1);

    /* Across directories each half is durable with its own directory: with
     * only the target synced the file comes back under both names (one file),
     * with only the source synced under neither. */
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/x"), FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/y"), FLOE_OK);
    CHECK_EQ_INT(put("/x/f", "xf", 2, 0, 1), FLOE_OK);
    floe_emufs_sync_all(&emu);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/x/f", "/y/f"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/y"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/x/f", "xf", 2), 1);
    CHECK_EQ_INT(holds("/y/f", "xf", 2), 1);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/y/f"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/y"), FLOE_OK);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/x/f", "/y/f"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/x"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/x/f", "xf", 2), -1);
    CHECK_EQ_INT(holds("/y/f", "xf", 2), -1);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/x"), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/y"), FLOE_OK);

    /* A truncate and rewrite not synced: the old data is back. */
    CHECK_EQ_INT(put("/d/empty", "old!", 4, FLOE_FS_TRUNC, 1), FLOE_OK);
    CHECK_EQ_INT(put("/d/empty", "n", 1, FLOE_FS_TRUNC, 0), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_INT(holds("/d/empty", "old!", 4), 1);

    /* After removing everything, every sector is free again (no leak). */
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/empty"), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/"), FLOE_OK);
    CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0), FLOE_OK);
    CHECK_EQ_U64(emu.free_blocks, emu.nblocks);
}

/* Whether got[0, n) is want[0, n) except, possibly, the bytes from from_garble on. */
static int prefix_ok(const uint8_t *got, const uint8_t *want, size_t n, size_t from_garble, int *garbled)
{
    size_t i;
    *garbled = 0;
    for (i = 0; i < n; i++) {
        if (got[i] == want[i])
            continue;
        if (i < from_garble)
            return 0;
        *garbled = 1;
    }
    return 1;
}

TEST(emufs_tear_keeps_a_prefix_of_unsynced_data)
{
    const struct floe_fs_port *fs = &emu.fs;
    static uint8_t a[1000], b[2000], want[3000], got[3000];
    uint64_t seed;
    int partial = 0, garbled_seen = 0, none = 0, all = 0, trunc_partial = 0;
    fill(a, sizeof a, 1);
    fill(b, sizeof b, 2);
    memcpy(want, a, sizeof a);
    memcpy(want + sizeof a, b, sizeof b);
    for (seed = 1; seed <= 64; seed++) {
        uint64_t size, garble_from;
        int garbled;
        REQUIRE(setup_default() == FLOE_OK);
        CHECK_EQ_INT(put("/f", a, sizeof a, 0, 1), FLOE_OK);
        CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/"), FLOE_OK);
        CHECK_EQ_INT(put("/f", b, sizeof b, FLOE_FS_APPEND, 0), FLOE_OK);
        CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_TEAR, seed), FLOE_OK);
        REQUIRE(floe_emufs_stat(&emu, "/f", NULL, &size) == FLOE_OK);
        CHECK(size >= sizeof a && size <= sizeof want);
        CHECK_EQ_INT(floe_emufs_read_file(&emu, "/f", 0, got, sizeof got), size);
        garble_from = size > 0 ? (size - 1) / 512 * 512 : 0;
        if (garble_from < sizeof a)
            garble_from = sizeof a;
        CHECK(prefix_ok(got, want, (size_t)size, (size_t)garble_from, &garbled));
        garbled_seen += garbled;
        partial += size > sizeof a && size < sizeof want;
        none += size == sizeof a;
        all += size == sizeof want && !garbled;

        /* Truncated and rewritten since the sync: a prefix of the new data. */
        CHECK_EQ_INT(put("/f", b, 300, FLOE_FS_TRUNC, 0), FLOE_OK);
        CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_TEAR, seed), FLOE_OK);
        REQUIRE(floe_emufs_stat(&emu, "/f", NULL, &size) == FLOE_OK);
        CHECK(size <= 300);
        CHECK_EQ_INT(floe_emufs_read_file(&emu, "/f", 0, got, sizeof got), size);
        CHECK(prefix_ok(got, b, (size_t)size, size > 0 ? (size_t)((size - 1) / 512 * 512) : 0, &garbled));
        trunc_partial += size > 0 && size < 300;
    }
    CHECK(partial > 20);
    CHECK(garbled_seen > 5);
    CHECK(trunc_partial > 10);
    (void)none;
    (void)all;
}

/* A fingerprint of the whole visible state: the dump plus file contents. */
struct sig {
    uint64_t h;
};

static void sig_add(struct sig *s, const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    size_t i;
    for (i = 0; i < n; i++)
        s->h = (s->h ^ b[i]) * 0x100000001b3ull;
}

static void sig_line(void *arg, const char *text)
{
    /* The first line counts sectors, which depend on sharing, not on state. */
    if (strncmp(text, "emufs:", 6) != 0)
        sig_add((struct sig *)arg, text, strlen(text) + 1);
}

static uint64_t state_sig(void)
{
    static const char *const paths[] = {"/d/a", "/d/b", "/d/c", "/d/d", "/d/e", "/d/f", "/d/tmp"};
    static uint8_t buf[8192];
    struct sig s = {0xcbf29ce484222325ull};
    size_t i;
    floe_emufs_dump(&emu, sig_line, &s);
    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        floe_ssize_t r = floe_emufs_read_file(&emu, paths[i], 0, buf, sizeof buf);
        sig_add(&s, &r, sizeof r);
        if (r > 0)
            sig_add(&s, buf, (size_t)r);
    }
    return s.h;
}

/* Durable a, b, d, e; then unsynced: a appended, b replaced by a renamed
 * unsynced tmp, c created, d removed, e renamed to f. */
static void reorder_scenario(void)
{
    const struct floe_fs_port *fs = &emu.fs;
    static uint8_t data[4000];
    fill(data, sizeof data, 3);
    CHECK_EQ_INT(setup_default(), FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(put("/d/a", data, 1500, 0, 1), FLOE_OK);
    CHECK_EQ_INT(put("/d/b", data + 7, 700, 0, 1), FLOE_OK);
    CHECK_EQ_INT(put("/d/d", "d", 1, 0, 1), FLOE_OK);
    CHECK_EQ_INT(put("/d/e", "eee", 3, 0, 1), FLOE_OK);
    floe_emufs_sync_all(&emu);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/e", "/d/f"), FLOE_OK);
    CHECK_EQ_INT(put("/d/a", data + 100, 1800, FLOE_FS_APPEND, 0), FLOE_OK);
    CHECK_EQ_INT(put("/d/tmp", data + 300, 2000, 0, 0), FLOE_OK);
    CHECK_EQ_INT(fs->rename(fs->ctx, "/d/tmp", "/d/b"), FLOE_OK);
    CHECK_EQ_INT(put("/d/c", "c", 1, 0, 1), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/d"), FLOE_OK);
}

static void print_line(void *arg, const char *text)
{
    (void)arg;
    fprintf(stderr, "    %s\n", text);
}

TEST(emufs_reorder_is_deterministic_per_seed)
{
    static uint64_t sigs[32];
    static uint8_t data[4000];
    uint64_t seed;
    int distinct = 0, renamed_without_data = 0, rename_lost = 0;
    size_t i;
    fill(data, sizeof data, 3);
    for (seed = 0; seed < 32; seed++) {
        uint64_t again, size;
        reorder_scenario();
        CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_REORDER, seed), FLOE_OK);
        sigs[seed] = state_sig();
        if (floe_emufs_stat(&emu, "/d/b", NULL, &size) == FLOE_OK && size != 700 &&
            holds("/d/b", data + 300, 2000) != 1)
            renamed_without_data++;
        rename_lost += holds("/d/b", data + 7, 700) == 1;
        /* A rename is one operation: the file is under exactly one name. */
        CHECK_EQ_INT((holds("/d/e", "eee", 3) == 1) + (holds("/d/f", "eee", 3) == 1), 1);
        /* The durable a keeps its synced part whatever happens. */
        {
            static uint8_t got[4000];
            CHECK(floe_emufs_read_file(&emu, "/d/a", 0, got, sizeof got) >= 1500);
            CHECK_EQ_MEM(got, data, 1500);
        }
        reorder_scenario();
        CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_REORDER, seed), FLOE_OK);
        again = state_sig();
        CHECK_EQ_U64(again, sigs[seed]);
        if (again != sigs[seed])
            floe_emufs_dump(&emu, print_line, NULL);
    }
    for (seed = 0; seed < 32; seed++) {
        for (i = 0; i < seed && sigs[i] != sigs[seed]; i++)
            ;
        distinct += i == seed;
    }
    CHECK(distinct >= 8);
    /* The rename reached the disk while the data written before it did not. */
    CHECK(renamed_without_data > 0);
    CHECK(rename_lost > 0);
}

/* The protocol floe's spool and roll rely on to replace a file. */
static int replace_file(const char *dir, const char *tmp, const char *dst, const void *data, size_t n, int fsync)
{
    const struct floe_fs_port *fs = &emu.fs;
    int err = fs->open(fs->ctx, fobj, tmp, FLOE_FS_WRITE | FLOE_FS_TRUNC);
    if (err != FLOE_OK)
        return err;
    err = floe_fs_write_all(fs, fobj, data, n);
    if (err == FLOE_OK && fsync)
        err = fs->sync(fs->ctx, fobj);
    {
        int cerr = fs->close(fs->ctx, fobj);
        if (err == FLOE_OK)
            err = cerr;
    }
    if (err == FLOE_OK)
        err = fs->rename(fs->ctx, tmp, dst);
    if (err == FLOE_OK)
        err = fs->sync_dir(fs->ctx, dir);
    return err;
}

static uint8_t old_data[700], new_data[1300];

/* Runs the protocol with power lost at call crash_at (0: never), reboots
 * with mode and seed, and classifies /d/dst: 0 absent, 1 old, 2 new, -1 torn.
 * *done says whether the protocol reported success. */
static int crash_once(int with_old, int fsync, uint64_t crash_at, enum floe_emufs_loss mode, uint64_t seed,
                      int *done, uint64_t *ops)
{
    const struct floe_fs_port *fs = &emu.fs;
    struct floe_emufs_config cfg;
    int h;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_files = 16;
    cfg.capacity = 16384;
    if (setup(&cfg) != FLOE_OK || fs->mkdir(fs->ctx, "/d") != FLOE_OK)
        return -2;
    if (with_old && put("/d/dst", old_data, sizeof old_data, 0, 1) != FLOE_OK)
        return -2;
    floe_emufs_sync_all(&emu);
    /* Count from here: the protocol's calls only. */
    if (floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, 0) != FLOE_OK)
        return -2;
    floe_emufs_set_crash_at(&emu, crash_at);
    *done = replace_file("/d", "/d/tmp", "/d/dst", new_data, sizeof new_data, fsync) == FLOE_OK;
    *ops = floe_emufs_total_ops(&emu);
    if (floe_emufs_reboot(&emu, mode, seed) != FLOE_OK)
        return -2;
    h = holds("/d/dst", new_data, sizeof new_data);
    if (h == 1)
        return 2;
    if (h == -1)
        return 0;
    return holds("/d/dst", old_data, sizeof old_data) == 1 ? 1 : -1;
}

TEST(emufs_replace_survives_power_loss_at_every_call)
{
    static const enum floe_emufs_loss modes[] = {FLOE_EMUFS_DROP, FLOE_EMUFS_TEAR, FLOE_EMUFS_REORDER};
    uint64_t total = 0, n, seed;
    size_t m;
    int with_old, done, runs = 0, saw_new = 0, saw_before = 0;
    fill(old_data, sizeof old_data, 4);
    fill(new_data, sizeof new_data, 5);
    /* How many calls the protocol makes without a crash. */
    REQUIRE(crash_once(0, 1, 0, FLOE_EMUFS_DROP, 0, &done, &total) == 2);
    REQUIRE(done);
    REQUIRE(total >= 6);
    for (with_old = 0; with_old <= 1; with_old++)
        for (m = 0; m < sizeof modes / sizeof modes[0]; m++)
            for (seed = 1; seed <= (modes[m] == FLOE_EMUFS_DROP ? 1u : 16u); seed++)
                for (n = 1; n <= total + 1; n++) {
                    uint64_t ops;
                    int r = crash_once(with_old, 1, n, modes[m], seed, &done, &ops);
                    runs++;
                    /* Absent or the old version before the switch, the new one
                     * after; never a torn file. */
                    if (r < 0 || (r == 0 && with_old) || (r == 1 && !with_old) || (done && r != 2))
                        test_fail(__FILE__, __LINE__, "old=%d mode=%d seed=%llu crash at %llu: result %d done %d",
                                  with_old, (int)modes[m], (unsigned long long)seed, (unsigned long long)n, r,
                                  done);
                    CHECK(n > total || ops == n);
                    saw_new += r == 2;
                    saw_before += r == 0 || r == 1;
                }
    CHECK(runs > 100);
    CHECK(saw_new > 0 && saw_before > 0);
}

TEST(emufs_replace_without_fsync_is_caught)
{
    static const enum floe_emufs_loss modes[] = {FLOE_EMUFS_DROP, FLOE_EMUFS_TEAR, FLOE_EMUFS_REORDER};
    uint64_t total = 0, n, seed, ops;
    size_t m;
    int done, torn[3] = {0, 0, 0};
    fill(old_data, sizeof old_data, 4);
    fill(new_data, sizeof new_data, 5);
    /* Even with no crash at all the data is not durable: DROP leaves dst empty. */
    CHECK_EQ_INT(crash_once(1, 0, 0, FLOE_EMUFS_DROP, 0, &done, &total), -1);
    REQUIRE(done);
    /* Skipping the fsync before the rename: some crash leaves a torn file. */
    for (m = 0; m < 3; m++)
        for (seed = 1; seed <= 16; seed++)
            for (n = 1; n <= total + 1; n++)
                torn[m] += crash_once(1, 0, n, modes[m], seed, &done, &ops) < 0;
    CHECK(torn[0] > 0);
    CHECK(torn[1] > 0);
    CHECK(torn[2] > 0);
}

/* Random writes, syncs and DROP reboots on two files against a plain model
 * of current and durable bytes: exercises the sector sharing. */
TEST(emufs_random_operations_match_a_model)
{
    const struct floe_fs_port *fs = &emu.fs;
    static uint8_t cur[2][6000], dur[2][6000], chunk[1500], back[6000];
    static const char *const names[2] = {"/m0", "/m1"};
    size_t cur_n[2] = {0, 0}, dur_n[2] = {0, 0};
    int step, i;
    REQUIRE(setup_default() == FLOE_OK);
    CHECK_EQ_INT(put(names[0], "", 0, 0, 1), FLOE_OK);
    CHECK_EQ_INT(put(names[1], "", 0, 0, 1), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/"), FLOE_OK);
    for (step = 0; step < 3000; step++) {
        uint64_t r = test_rand();
        int f = (int)(r & 1), op = (int)((r >> 1) % 10);
        if (op < 6) {
            /* A session of 1-3 writes: append, overwrite from 0, or truncate. */
            int kind = (int)((r >> 8) % 3), writes = 1 + (int)((r >> 12) % 3), w;
            int flags = kind == 0 ? FLOE_FS_APPEND : kind == 1 ? 0 : FLOE_FS_TRUNC;
            size_t pos = 0;
            if (kind == 2)
                cur_n[f] = 0;
            REQUIRE(fs->open(fs->ctx, fobj, names[f], FLOE_FS_WRITE | flags) == FLOE_OK);
            for (w = 0; w < writes; w++) {
                size_t len = (size_t)(test_rand() % sizeof chunk) + 1;
                size_t at = kind == 0 ? cur_n[f] : pos;
                if (at + len > sizeof cur[0])
                    len = sizeof cur[0] - at;
                if (len == 0)
                    break;
                fill(chunk, len, (uint32_t)step * 4u + (uint32_t)w);
                CHECK_EQ_INT(fs->write(fs->ctx, fobj, chunk, len), len);
                memcpy(cur[f] + at, chunk, len);
                if (at + len > cur_n[f])
                    cur_n[f] = at + len;
                pos = at + len;
            }
            if ((r >> 20) & 1) {
                CHECK_EQ_INT(fs->sync(fs->ctx, fobj), FLOE_OK);
                memcpy(dur[f], cur[f], cur_n[f]);
                dur_n[f] = cur_n[f];
            }
            CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_OK);
        } else if (op < 9) {
            /* Read back a random range through the port. */
            size_t off = cur_n[f] ? (size_t)(test_rand() % (cur_n[f] + 1)) : 0;
            size_t want = cur_n[f] - off;
            REQUIRE(fs->open(fs->ctx, fobj, names[f], FLOE_FS_READ) == FLOE_OK);
            CHECK_EQ_INT(fs->read(fs->ctx, fobj, off, back, sizeof back), want);
            CHECK_EQ_MEM(back, cur[f] + off, want);
            CHECK_EQ_INT(fs->close(fs->ctx, fobj), FLOE_OK);
        } else {
            CHECK_EQ_INT(floe_emufs_reboot(&emu, FLOE_EMUFS_DROP, r), FLOE_OK);
            for (i = 0; i < 2; i++) {
                memcpy(cur[i], dur[i], dur_n[i]);
                cur_n[i] = dur_n[i];
            }
        }
        for (i = 0; i < 2; i++)
            if (holds(names[i], cur[i], cur_n[i]) != 1) {
                test_fail(__FILE__, __LINE__, "step %d: %s differs from the model", step, names[i]);
                return;
            }
    }
    /* Nothing leaks: with the files gone every sector is free. */
    CHECK_EQ_INT(fs->remove(fs->ctx, names[0]), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, names[1]), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/"), FLOE_OK);
    CHECK_EQ_U64(emu.free_blocks, emu.nblocks);
}

struct dump_text {
    char text[1024];
    int lines;
};

static void dump_collect(void *arg, const char *line)
{
    struct dump_text *d = (struct dump_text *)arg;
    size_t n = strlen(d->text);
    snprintf(d->text + n, sizeof d->text - n, "%s\n", line);
    d->lines++;
}

static int remove_each(void *arg, const char *name, int is_dir)
{
    char path[64];
    (void)is_dir;
    snprintf(path, sizeof path, "/d/%s", name);
    (*(int *)arg)++;
    return emu.fs.remove(emu.fs.ctx, path);
}

TEST(emufs_dump_and_list_while_removing)
{
    const struct floe_fs_port *fs = &emu.fs;
    static struct dump_text d;
    int seen = 0;
    REQUIRE(setup_default() == FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/"), FLOE_OK);
    CHECK_EQ_INT(put("/d/old", "12345", 5, 0, 1), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, "/d"), FLOE_OK);
    CHECK_EQ_INT(put("/d/old", "67", 2, FLOE_FS_APPEND, 0), FLOE_OK);
    CHECK_EQ_INT(put("/d/new", "n", 1, 0, 0), FLOE_OK);
    memset(&d, 0, sizeof d);
    floe_emufs_dump(&emu, dump_collect, &d);
    CHECK_EQ_INT(d.lines, 4);
    CHECK(strstr(d.text, "= d /d\n") != NULL);
    CHECK(strstr(d.text, "= f /d/old size=7 durable=5 dirty\n") != NULL);
    CHECK(strstr(d.text, "+ f /d/new size=1 durable=0 dirty\n") != NULL);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d/old"), FLOE_OK);
    memset(&d, 0, sizeof d);
    floe_emufs_dump(&emu, dump_collect, &d);
    CHECK(strstr(d.text, "- f /d/old size=0 durable=5") != NULL);
    /* Removing each entry from inside the walk visits each once. */
    CHECK_EQ_INT(put("/d/a", "a", 1, 0, 0), FLOE_OK);
    CHECK_EQ_INT(put("/d/z", "z", 1, 0, 0), FLOE_OK);
    CHECK_EQ_INT(fs->list(fs->ctx, "/d", remove_each, &seen), FLOE_OK);
    CHECK_EQ_INT(seen, 3);
    CHECK_EQ_INT(fs->remove(fs->ctx, "/d"), FLOE_OK);
}
