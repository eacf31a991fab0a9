/* An in-memory file system behind struct floe_fs_port, for power-loss tests.
 *
 * Every file keeps two versions of its data: the current one (what reads see)
 * and the durable one (what survives power loss); every directory entry keeps
 * a current and a durable target the same way. sync(file) makes that file's
 * data durable and nothing else; sync_dir(dir) makes the entries of that one
 * directory durable (creates, removes, renames into or out of it). A file that
 * was written and synced but whose directory was never synced is lost on power
 * loss, as POSIX allows.
 *
 * Power loss: every port call counts as one operation (reads, stats, lists
 * and closes too, and calls that fail). When the count reaches crash_at, that
 * call and all later ones return FLOE_ERR_IO and do nothing. reboot() then
 * rebuilds the file system from its durable state, treating what was not yet
 * durable according to a loss mode, and starts counting from zero again.
 *
 * All memory comes from the buffer given to init (floe_emufs_size() bytes).
 * Nothing here is thread-safe. */
#ifndef FLOE_EMUFS_H
#define FLOE_EMUFS_H

#include "floe/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Data is stored, torn and reordered in sectors of this many bytes. */
#define FLOE_EMUFS_SECTOR 512u
/** Upper bound for floe_emufs_config.max_path. */
#define FLOE_EMUFS_PATH_MAX 256u

/** What reboot does with changes that were not durable. */
enum floe_emufs_loss {
    /* Every change that was not made durable is lost. */
    FLOE_EMUFS_DROP = 0,
    /* Directory changes as DROP. Each file with data written since its last
     * sync keeps a pseudo-random byte prefix of that data (over the durable
     * data); half the time the kept part of the last sector is garbled. */
    FLOE_EMUFS_TEAR,
    /* A write cache flushed in any order: each unsynced directory operation
     * (a rename counts as one, even across directories) survives or not by a
     * coin flip; each file with unsynced data gets either its old or its new
     * size, and each unsynced sector independently its old or new content
     * (old content of a sector never written reads as zeros). */
    FLOE_EMUFS_REORDER
};

struct floe_emufs_config {
    uint32_t max_files; /* files and directories together, root included; 0: 256 */
    uint32_t max_open;  /* open files at once; 0: 16 */
    uint32_t max_path;  /* bytes of a path including its NUL; 0: 128, at most FLOE_EMUFS_PATH_MAX */
    uint64_t capacity;  /* bytes of file data (see floe_emufs_set_capacity); 0: 1 MiB */
    uint64_t crash_at;  /* lose power at this call (1-based); 0: never */
};

/** The open-file object (the port's file_size is its size). */
struct floe_emufs_file {
    uint32_t handle;
    uint32_t gen;
};

struct floe_emufs_inode;
struct floe_emufs_entry;
struct floe_emufs_handle;

/** The emulator; treat every field but fs as private. */
struct floe_emufs {
    struct floe_fs_port fs; /* hand this to the code under test */
    uint32_t max_files, max_entries, max_open, max_path;
    uint32_t nblocks, free_blocks, free_head, next_gen;
    uint64_t capacity, used;
    uint64_t ops, crash_at, seq;
    int crashed;
    struct floe_emufs_inode *inodes;
    struct floe_emufs_entry *entries;
    struct floe_emufs_handle *handles;
    char *names;
    uint8_t *view, *any;
    uint32_t *prev, *ref;
    uint8_t *data;
};

/** Bytes of memory init needs for @p cfg (NULL: the defaults); 0 for a bad
 *  config. The physical store holds about twice the capacity, so that the
 *  durable and the current version of each file both fit. */
size_t floe_emufs_size(const struct floe_emufs_config *cfg);

/** Makes an empty file system (just the root directory, durable) in mem.
 *  @return FLOE_OK, FLOE_ERR_INVAL for a bad config, FLOE_ERR_NOMEM when
 *  mem_size is below floe_emufs_size(cfg). */
int floe_emufs_init(struct floe_emufs *e, void *mem, size_t mem_size, const struct floe_emufs_config *cfg);

/** Loses power at call number @p n counted since init or the last reboot
 *  (0: never). A value at or below the calls made so far crashes on the next call. */
void floe_emufs_set_crash_at(struct floe_emufs *e, uint64_t n);

/** Nonzero once power was lost (until reboot). */
int floe_emufs_crashed(const struct floe_emufs *e);

/** Port calls counted since init or the last reboot (the crashing call
 *  included; none are counted after it). */
uint64_t floe_emufs_total_ops(const struct floe_emufs *e);

/**
 * Power comes back: open files are forgotten (their file objects become
 * invalid), directory entries and file data are rebuilt from their durable
 * state plus what @p mode lets survive (pseudo-random choices made from
 * @p seed, so the same state, mode and seed give the same result), everything
 * is durable again, the call counter restarts at zero and crash_at is cleared.
 * May be called without a crash (a power cut between two calls).
 * @return FLOE_OK; FLOE_ERR_NOSPC if the physical store ran out while
 * rebuilding (only when capacity was raised far above the configured one);
 * FLOE_ERR_INVAL for a bad mode.
 */
int floe_emufs_reboot(struct floe_emufs *e, enum floe_emufs_loss mode, uint64_t seed);

/** Makes every current entry and all data durable, as a clean shutdown. */
void floe_emufs_sync_all(struct floe_emufs *e);

/** Sets the bytes of file data allowed (free_space = capacity - used; writes
 *  beyond it are short, then FLOE_ERR_NOSPC). Lowering it below the bytes in
 *  use is allowed: the disk is then full. */
void floe_emufs_set_capacity(struct floe_emufs *e, uint64_t bytes);

/** Bytes in the files that currently exist (what capacity is checked against). */
uint64_t floe_emufs_used(const struct floe_emufs *e);

/* ---- inspection for tests: these are not counted and work after a crash
 * (they see the current, not the durable, state) ------------------------- */

/** FLOE_OK with *is_dir and *size (0 for directories; either may be NULL),
 *  or FLOE_ERR_NOENT / FLOE_ERR_INVAL. */
int floe_emufs_stat(struct floe_emufs *e, const char *path, int *is_dir, uint64_t *size);

/** Reads a file's current content at @p offset: the byte count (0 at the
 *  end), FLOE_ERR_NOENT, or FLOE_ERR_INVAL (a directory, a bad path). */
floe_ssize_t floe_emufs_read_file(struct floe_emufs *e, const char *path, uint64_t offset, void *buf,
                                  size_t n);

/** Describes the state, one line per call of @p line (no newline): a summary,
 *  then every directory entry with its current and durable state:
 *      "<state> <f|d> <path> size=<current> durable=<durable size>[ dirty]"
 *  where state is "=" (durable as it is), "+" (new, not durable), "-"
 *  (removed, still durable), "~" (points at another file than the durable). */
void floe_emufs_dump(struct floe_emufs *e, void (*line)(void *arg, const char *text), void *arg);

#ifdef __cplusplus
}
#endif
#endif
