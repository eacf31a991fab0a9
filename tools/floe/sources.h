/* The agent's ledger of source files: which file got which source index.
 *
 * The writer's checkpoint says how far source index N is committed; this
 * ledger says which file N was, by identity (device, inode, size, mtime and a
 * fingerprint of its first bytes), not by name. A file is retired only when
 * its identity matches a committed entry, so a file named before the last one
 * read, or one that reuses a finished name, is read and never deleted unread.
 * It lives in the spool folder beside the checkpoint it explains. */
#ifndef FLOE_CLI_SOURCES_H
#define FLOE_CLI_SOURCES_H

#include <stdint.h>

#define SOURCE_LEDGER_MAX 600 /* more than the agent's pending files (256) plus one */

struct source_id {
    uint64_t dev, ino, size;
    int64_t mtime_ns;
    uint64_t fingerprint; /* FNV-1a of the first SOURCE_FINGERPRINT_BYTES */
};

struct source_entry {
    uint32_t index;
    struct source_id id;
    char name[256];
};

struct source_ledger {
    char dir[1024];  /* the watched folder: entries whose file is gone are pruned */
    char path[1100]; /* the ledger file */
    int n;
    struct source_entry e[SOURCE_LEDGER_MAX];
};

/* Identity of an open file. Returns 0, or -1 if it cannot be read. */
int source_id_of_fd(int fd, struct source_id *out);
/* Identity of the file at path. Returns 0, or -1. */
int source_id_of_path(const char *path, struct source_id *out);
int source_id_equal(const struct source_id *a, const struct source_id *b);
/* The file read then, possibly grown since (same device, inode and first
 * bytes, no shorter): an appended file is not mistaken for a new one. */
int source_id_same_file(const struct source_id *now, const struct source_id *then);

/* Reads the ledger of spool_dir (none yet: empty). Returns 0, or -1 when the
 * file exists but cannot be read. */
int source_ledger_load(struct source_ledger *l, const char *spool_dir, const char *source_dir);
/* The entry with this identity, or NULL. */
const struct source_entry *source_ledger_find(const struct source_ledger *l, const struct source_id *id);
/* Records that the file (name, id) is source index, durably, before any of
 * it is committed. Entries at index or later are dropped (indexes are handed
 * out again after a rewind), as are those whose file is gone. Returns 0 or -1. */
int source_ledger_record(struct source_ledger *l, uint32_t index, const char *name, const struct source_id *id);
/* Before source index goes to something that is not a file (stdin): drops
 * the entries at index or later, durably. Returns 0 or -1. */
int source_ledger_reserve(struct source_ledger *l, uint32_t index);
/* Forgets the entry with this identity (its file was retired). */
void source_ledger_forget(struct source_ledger *l, const struct source_id *id);

#endif
