/* floe: the writer loop, sources to committed spool batches.
 *
 * It wires the decoder, the rolled Parquet files and the spool: rows go into
 * the open Parquet file, dead letters into the open batch, and each sealed
 * file is committed to the spool with the source position it reaches (files
 * sealed together, late rows' files with the open one, commit as one group:
 * the last carries the position, see floe_spool_commit_part). After
 * a crash, floe_writer_setup() recovers the spool and floe_writer_position()
 * says where to resume: re-open that source there, and no record is lost or
 * written twice.
 *
 *   floe_writer_setup(&w, &cfg, &arena);
 *   floe_writer_position(&w, &pos);            resume point
 *   floe_writer_begin_source(&w, i, name, offset, line, skip);
 *   floe_writer_push(&w, bytes, n);            FLOE_ERR_AGAIN: spool full, see below
 *   floe_writer_end_source(&w);
 *   floe_writer_flush(&w);                     seal and commit what is open
 *
 * On FLOE_ERR_AGAIN (spool full under the block policy) or any port error,
 * call floe_writer_rewind(): the open batch is dropped, and the caller starts
 * again from floe_writer_position() later. For bytes pushed from memory,
 * floe_writer_position() is the durable watermark: what lies before it may
 * be forgotten. */
#ifndef FLOE_WRITER_H
#define FLOE_WRITER_H

#include "floe/ndjson.h"
#include "floe/roll.h"
#include "floe/spool.h"
#include "floe/hooks.h"

#ifdef __cplusplus
extern "C" {
#endif

struct floe_writer_config {
    struct floe_ndjson_config ndjson; /* schema and limits; callbacks are the writer's */
    struct floe_roll_config roll;     /* Parquet, partitions, rolling; dir and commit are the writer's */
    struct floe_spool_config spool;
    const struct floe_hooks *hooks;   /* optional: file_sealed, dead_letter, error */
};

struct floe_writer_stats {
    uint64_t sources_done;
    uint64_t records_ok;
    uint64_t dead_letters;
    uint64_t dead_by_reason[FLOE_DL__COUNT];
    uint64_t files_sealed;
    uint64_t rows_late;  /* records of another partition than the open file's, held */
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint64_t rewinds;
};

struct floe_writer_state;

struct floe_writer {
    struct floe_writer_state *st;
    struct floe_ndjson dec;
    struct floe_roll roll;
    struct floe_spool spool;
    struct floe_writer_stats stats;
};

size_t floe_writer_size(const struct floe_writer_config *cfg);
void floe_writer_init(struct floe_writer *w);
int floe_writer_setup(struct floe_writer *w, struct floe_writer_config *cfg, struct floe_arena *arena);

/** @brief The last committed position: where to resume. */
void floe_writer_position(const struct floe_writer *w, struct floe_spool_position *pos);

/** @brief Starts source @p index (the caller's order) at a decompressed
 *  @p offset / @p line (0, 0 for a new source); see floe_ndjson_begin_at().
 *  The name is copied (at most FLOE_SPOOL_SOURCE_MAX - 1 bytes are kept). */
int floe_writer_begin_source(struct floe_writer *w, uint32_t index, const char *name, uint64_t offset,
                             uint64_t line, int skip);
int floe_writer_push(struct floe_writer *w, const void *data, size_t n);
/** @brief The source's input ended: its last line is decoded. */
int floe_writer_end_source(struct floe_writer *w);
/** @brief Seals the open Parquet file, if any, and commits it with any dead
 *  letters, at the current position. */
int floe_writer_flush(struct floe_writer *w);
/** @brief Time-based rolling (age, idle): call every second or so. */
int floe_writer_tick(struct floe_writer *w);
/** @brief Drops the uncommitted batch after an error; resume from the position. */
void floe_writer_rewind(struct floe_writer *w);

#ifdef __cplusplus
}
#endif
#endif
