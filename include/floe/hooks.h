/* floe: event hooks for firmware and agents. Every member may be NULL. They
 * are called from the loop that saw the event (the writer's or the
 * uploader's), synchronously: keep them short and do not call back into that
 * loop from inside one. */
#ifndef FLOE_HOOKS_H
#define FLOE_HOOKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct floe_file_facts;
struct floe_dead_letter;
struct floe_spool_batch;

struct floe_hooks {
    void *ctx;
    /** A Parquet file was sealed and committed to the spool. A file with
     *  facts->continues is part of a group that is committed only when its
     *  last file is (floe_spool_commit_part): a rewind before then removes it. */
    void (*file_sealed)(void *ctx, const struct floe_file_facts *facts);
    /** A record went to the dead letters (already persisted with its batch). */
    void (*dead_letter)(void *ctx, const struct floe_dead_letter *dl);
    /** A batch is in the bucket and gone from the spool. */
    void (*uploaded)(void *ctx, const struct floe_spool_batch *batch);
    /** The drop-oldest policy deleted a batch of @p records records. */
    void (*dropped)(void *ctx, uint64_t seq, uint64_t records);
    /** A failure worth telling (what never holds a secret). */
    void (*error)(void *ctx, int err, const char *what);
};

#ifdef __cplusplus
}
#endif
#endif
