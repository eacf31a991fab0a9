/* floe: the spool, sealed files on local storage between the writer and the
 * uploader (see docs/spool.md for the layout and its guarantees).
 *
 * The writer and the uploader each open their own handle on the same folder
 * and share nothing else: the file system is the only shared state.
 *
 * The writer commits batches: a sealed Parquet file and/or the dead letters
 * decoded with it, together with the source position they reach. The meta
 * record's rename is the commit point, so after a power cut a batch is either
 * wholly there or wholly absent, and the position to resume from is the one
 * of the last committed batch. The uploader lists committed batches oldest
 * first and removes them once the bucket has acknowledged them. */
#ifndef FLOE_SPOOL_H
#define FLOE_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include "floe/arena.h"
#include "floe/ndjson.h"
#include "floe/port.h"
#include "floe/roll.h"
#include "floe/hooks.h"
#include "floe/uuid.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLOE_SPOOL_PATH_MAX 256
#define FLOE_SPOOL_SOURCE_MAX 200  /* bytes of a source name kept in positions */
#define FLOE_SPOOL_KEY_MAX 256
#define FLOE_SPOOL_DEFAULT_MAX_FILES 4096u
#define FLOE_SPOOL_DEFAULT_DEAD_BYTES (1024u * 1024u)

enum floe_spool_full_policy {
    FLOE_SPOOL_BLOCK = 0,      /* the writer waits (FLOE_ERR_AGAIN) until uploads free space */
    FLOE_SPOOL_DROP_OLDEST = 1 /* the oldest committed batch is deleted and counted */
};

/** How far the writer has turned its sources into committed batches. */
struct floe_spool_position {
    uint64_t seq;        /* the last committed batch (0: none yet) */
    uint32_t source_index; /* which source, in the writer's order */
    char source[FLOE_SPOOL_SOURCE_MAX];
    uint64_t offset;     /* decompressed bytes of that source fully committed */
    uint64_t line;       /* lines of that source fully committed */
    uint64_t records;    /* records (rows and dead letters) committed, all sources */
    int source_done;     /* the whole source is committed */
};

/** A committed batch, as the uploader sees it. */
struct floe_spool_batch {
    uint64_t seq;
    char parquet_path[FLOE_SPOOL_PATH_MAX]; /* empty when the batch has only dead letters */
    char dead_path[FLOE_SPOOL_PATH_MAX];    /* empty when it has none */
    char object_key[FLOE_SPOOL_KEY_MAX];
    char dead_key[FLOE_SPOOL_KEY_MAX];      /* the dead letters' object key (empty: none,
                                             * or a meta older than these keys) */
    uint64_t size, records, dead_records;
    int64_t min_ts, max_ts; /* the timestamp column's range (microseconds)... */
    int has_ts;             /* ...when the file has one with a value */
    uint32_t crc32c;
    uint8_t sha256[32];
};

enum floe_spool_role {
    FLOE_SPOOL_WRITER = 0,  /* recovers the spool at open; commits batches */
    FLOE_SPOOL_UPLOADER = 1 /* a second handle on the same folder: lists and removes */
};

struct floe_spool_config {
    const char *dir;
    uint8_t role;           /* enum floe_spool_role */
    uint64_t quota_bytes;   /* 0: limited by the disk only */
    uint8_t full_policy;    /* enum floe_spool_full_policy */
    uint32_t max_files;     /* committed batches the spool tracks; 0: default */
    uint32_t dead_bytes;    /* a batch's dead letters end at about this size; 0: 1 MiB.
                             * Never more than a quarter of a quota. */
    const struct floe_fs_port *fs;
    const struct floe_log_port *log;
    const struct floe_hooks *hooks; /* optional: dropped */
    /* The writer's: each dead-letter file gets a UUIDv7 object key from these. */
    const struct floe_clock_port *clock;
    const struct floe_entropy_port *entropy;
};

struct floe_spool_stats {
    uint64_t batches_committed;
    uint64_t bytes_used;        /* Parquet and dead-letter bytes in the spool */
    uint64_t files_ready;       /* committed batches not yet uploaded */
    uint64_t batches_dropped;   /* deleted by the drop-oldest policy */
    uint64_t records_dropped;
    uint64_t recoveries;        /* opens that found interrupted work */
    uint64_t discarded;         /* uncommitted files removed at open */
    uint64_t quarantined;       /* committed files that failed verification */
    uint64_t uploaded;
};

struct floe_spool_state;

struct floe_spool {
    struct floe_spool_state *st;
    struct floe_spool_stats stats;
};

size_t floe_spool_size(const struct floe_spool_config *cfg);
void floe_spool_init(struct floe_spool *sp);

/**
 * @brief Opens (creating if needed) the spool at cfg->dir and recovers it:
 * uncommitted files are removed, committed ones are verified (size and
 * CRC-32C) and quarantined when they do not match, the position of the last
 * committed batch is restored. Never refuses to start because of a torn file.
 * @return FLOE_OK; FLOE_ERR_CORRUPT when the spool was written by a newer
 *         disk format; port errors.
 */
int floe_spool_open(struct floe_spool *sp, const struct floe_spool_config *cfg, struct floe_arena *arena);

/** @brief The position of the last committed batch (all zero for a new spool,
 *  or one not open). */
void floe_spool_position(const struct floe_spool *sp, struct floe_spool_position *pos);

/** @brief The folder where the writer creates its temporary files. */
const char *floe_spool_tmp_dir(const struct floe_spool *sp);

/** @brief Appends a dead letter to the open batch (made durable at commit). */
int floe_spool_dead_letter(struct floe_spool *sp, const struct floe_dead_letter *dl);

/** @brief The open batch's dead-letter bytes, 0 when it has none yet. */
uint64_t floe_spool_dead_pending(const struct floe_spool *sp);

/** @brief The size at which the open batch's dead letters should be
 *  committed (cfg->dead_bytes, bounded by the quota; 0 when not open). */
uint64_t floe_spool_dead_limit(const struct floe_spool *sp);

/**
 * @brief Commits a batch: the sealed Parquet file @p facts (its path is the
 * fsynced temporary file; NULL for none) and the dead letters appended since
 * the last commit, with the position they reach.
 * @return FLOE_OK; port errors (the batch is then not committed: resume from
 *         floe_spool_position()).
 */
int floe_spool_commit(struct floe_spool *sp, const struct floe_file_facts *facts,
                      const struct floe_spool_position *pos);

/**
 * @brief Commits a sealed Parquet file as a part of a group: a file that
 * more files of the same records follow (rows of several partitions sealed
 * together, see floe_file_facts.continues). A part moves no position and
 * takes no dead letters; it counts as committed only once the group's last
 * batch is committed with floe_spool_commit(). Until then the uploader does
 * not see it, recovery removes it, and floe_spool_rollback() removes it.
 */
int floe_spool_commit_part(struct floe_spool *sp, const struct floe_file_facts *facts);

/** @brief Drops the open batch's dead letters and the parts of an unended
 *  group (after a failure: the records will be decoded again from the last
 *  position). */
void floe_spool_rollback(struct floe_spool *sp);

/**
 * @brief Makes room for @p bytes more before a batch starts.
 * @return FLOE_OK; FLOE_ERR_AGAIN when the quota is full and the policy is to
 *         block; port errors.
 */
int floe_spool_reserve(struct floe_spool *sp, uint64_t bytes);

/** @brief The oldest committed batch. FLOE_ERR_NOENT when there is none. */
int floe_spool_oldest(struct floe_spool *sp, struct floe_spool_batch *batch);

/** @brief The oldest committed batch whose sequence number is @p lane modulo
 *  @p lanes: uploaders that run side by side (one per process, each with
 *  its own lane) share the spool without claiming anything on disk. */
int floe_spool_oldest_lane(struct floe_spool *sp, uint32_t lanes, uint32_t lane,
                           struct floe_spool_batch *batch);

/** @brief Removes a batch once the bucket has acknowledged it.
 *  @return FLOE_ERR_NOENT when the batch is gone already: the writer's
 *  FLOE_SPOOL_DROP_OLDEST policy dropped it while it was being uploaded. */
int floe_spool_remove(struct floe_spool *sp, uint64_t seq);

/** Recounts stats.bytes_used and stats.files_ready from the folder, as they
 *  are now: either handle may call it (the other may have changed them). */
int floe_spool_refresh(struct floe_spool *sp);

void floe_spool_free(struct floe_spool *sp);

#ifdef __cplusplus
}
#endif
#endif
