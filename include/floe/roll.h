/* floe: rolled Parquet files on a file-system port.
 *
 * Rows go into the open Parquet file; the file is sealed (footer, fsync,
 * rename into place, directory fsync) before a row that would take it past
 * its size or row limit,
 * when a row belongs to another partition (unless such rows are held:
 * late_window_bytes), when it has been open too long or
 * idle too long (floe_roll_tick), or on floe_roll_seal. Each file is named by
 * a UUIDv7 under an optional hive-style partition path, fixed when the file is
 * created, and is described on sealing by its facts: path, object key, size,
 * records, timestamp range, CRC-32C and SHA-256 (computed while writing). */
#ifndef FLOE_ROLL_H
#define FLOE_ROLL_H

#include "floe/parquet.h"
#include "floe/sha256.h"
#include "floe/uuid.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLOE_ROLL_PATH_MAX 256
#define FLOE_ROLL_DEFAULT_FILE_BYTES (128ull * 1024u * 1024u)

enum floe_partition_by {
    FLOE_PARTITION_NONE = 0,
    FLOE_PARTITION_DAY,  /* dt=YYYY-MM-DD/ */
    FLOE_PARTITION_HOUR  /* dt=YYYY-MM-DD/hour=H/ (0 to 23: no leading zero) */
};

struct floe_file_facts {
    const char *path;       /* the sealed file on the file-system port */
    const char *object_key; /* key_prefix + partition + name */
    const char *partition;  /* "dt=2026-11-21/hour=10" or "" */
    const char *source;     /* the first source whose rows are in the file */
    uint8_t uuid[16];
    uint64_t size;
    uint64_t records;
    int64_t min_ts, max_ts; /* the timestamp column's range, in microseconds; 0 if none */
    int has_ts;
    uint32_t crc32c;
    uint8_t sha256[FLOE_SHA256_LEN];
    /* More files sealed at the same moment follow (late rows, below): this
     * file and the next ones hold the rows given so far together, so they
     * commit together (floe_spool_commit_part), and only the last one,
     * continues == 0, moves a position. */
    int continues;
};

/** Called once a file is sealed and renamed into place. A negative return is
 *  passed back to the caller of the call that sealed the file. */
typedef int (*floe_file_cb)(void *ctx, const struct floe_file_facts *facts);

/** Makes a sealed file visible instead of the default rename into `dir`:
 *  facts->path is the fsynced temporary file. The spool uses this to commit
 *  the file together with its checkpoint. */
typedef int (*floe_commit_cb)(void *ctx, const struct floe_file_facts *facts);

struct floe_roll_config {
    struct floe_parquet_config parquet;
    const char *dir;        /* sealed files go here (partition folders inside) */
    const char *tmp_dir;    /* files are written here first; NULL: dir */
    const char *key_prefix; /* object key prefix, e.g. "telemetry/"; NULL: "" */
    uint8_t partition_by;   /* enum floe_partition_by */
    int16_t ts_column;      /* timestamp column for partitions and facts; -1: the first one */
    uint64_t file_bytes;    /* 0: FLOE_ROLL_DEFAULT_FILE_BYTES */
    uint64_t file_rows;     /* 0: no limit */
    uint32_t max_age_ms;    /* 0: no limit */
    uint32_t idle_ms;       /* 0: no limit */
    /* Rows grouped by one column: with sort_window_bytes, rows are held in
     * a window of that many bytes and written ordered by (sort_column,
     * arrival) when it fills, a partition changes, or the file is sealed.
     * Runs of one device compress far better (seq steps by 1, the readings
     * move slowly) and row groups prune by that column. Files are sealed
     * only between windows (a window starts where its file surely takes it
     * whole: floe_parquet_sure_room), so when a file is sealed every row
     * given before is in a file, as without a window: the agent's commits
     * stay exact. file_rows still holds exactly; file_bytes may be passed
     * by up to one window's output. */
    uint32_t sort_window_bytes; /* 0: rows go to the file as they come */
    uint16_t sort_column;
    /* Late rows, with partition_by: a row of another partition than the
     * open file's (late data, a device clock behind or ahead of the others;
     * a row without a timestamp beside rows with one) is held in a window
     * of this many bytes rather than sealing the file for it. When the file
     * is sealed (or the window fills), the held rows go to files of their
     * own partitions, sealed with it as one commit group
     * (floe_file_facts.continues). Rows that alternate between partitions
     * then make a few files, not one per switch. A window that fills with
     * hardly a row for the open file means the stream moved (the next hour,
     * a backlog): the group is sealed and the filling row opens the next
     * file. 0: none (each such row seals the open file). */
    uint32_t late_window_bytes;
    floe_file_cb on_file;
    floe_commit_cb commit; /* NULL: rename into dir (with partition folders) */
    int (*before_open)(void *ctx); /* optional: a new file is about to start (quota check);
                                    * a negative return fails the write that needed it */
    void *cb_ctx;
    const struct floe_fs_port *fs;
    const struct floe_clock_port *clock;
    const struct floe_entropy_port *entropy;
    const struct floe_log_port *log;
};

struct floe_roll_state;

struct floe_roll {
    struct floe_roll_state *st;
    struct floe_parquet pq;
    uint64_t files_sealed;
    uint64_t bytes_sealed;
    uint64_t rows_written;
    uint64_t rows_late;     /* rows held in the late window (late_window_bytes) and written to
                             * files of their own partitions (not those of a partition the
                             * stream then moved to: they were early, not late) */
};

/** @brief The schema column whose name is a partition folder's key ("dt",
 *  or "hour" with hours; compared ignoring ASCII case, as SQL does), or
 *  NULL. Readers that apply hive partitioning show the folder's value in
 *  such a column's place, so setup refuses a config that has one. */
const char *floe_roll_partition_clash(const struct floe_schema *sc, int partition_by);

size_t floe_roll_size(const struct floe_roll_config *cfg);
void floe_roll_init(struct floe_roll *r);
int floe_roll_setup(struct floe_roll *r, const struct floe_roll_config *cfg, struct floe_arena *arena);

/**
 * @brief Writes one decoded row (rolling files as needed). A file is only
 * ever sealed before the row, never after it: the row given is always in the
 * file that is open when this returns FLOE_OK.
 * @return FLOE_OK; FLOE_ERR_LIMIT for a row the Parquet writer cannot take
 *         (dead-letter it; floe_parquet_reject_reason(&r->pq) says why);
 *         file-system errors (FLOE_ERR_NOSPC when the disk
 *         is full): the open file is then aborted, never sealed.
 */
int floe_roll_write(struct floe_roll *r, const struct floe_row *row);

/** @brief Seals the open file if it has been open or idle too long. */
int floe_roll_tick(struct floe_roll *r);

/** @brief Seals the open file now, after writing out rows a sort window
 *  holds (no-op when there are none and no file is open). */
int floe_roll_seal(struct floe_roll *r);

/** @brief Abandons the open file (removes its temporary file). */
void floe_roll_abort(struct floe_roll *r);

/** @brief Nonzero while a file is open or a sort window holds rows. */
int floe_roll_is_open(const struct floe_roll *r);

#ifdef __cplusplus
}
#endif
#endif
