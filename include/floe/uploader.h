/* floe: the uploader loop, spool batches to the bucket.
 *
 * It takes the oldest committed batch, uploads its Parquet file (PutObject
 * below the multipart threshold, else a multipart upload journaled in the
 * spool so a reboot resumes it), checks the answer, and only then removes the
 * batch from the spool. The object key was fixed when the file was created,
 * so a retry after any failure (even after a PUT that succeeded but was not
 * yet recorded) overwrites the same object and never duplicates it.
 *
 * Failures are retried with exponential backoff and full jitter, honouring
 * Retry-After (up to backoff_max_ms) and SlowDown, and clock-skew answers
 * (RequestTimeTooSkewed: our clock heals once NTP syncs); errors that will not heal (bad credentials, no
 * such bucket) stop with a clear message; a circuit breaker pauses after
 * repeated failures and probes again later.
 *
 *   floe_uploader_setup(&u, &cfg, &arena);
 *   for (;;) {
 *       int r = floe_uploader_step(&u);     FLOE_OK: one batch uploaded
 *       if (r == FLOE_ERR_NOENT) idle;      the spool is empty
 *       if (r == FLOE_ERR_AGAIN) wait floe_uploader_wait_ms(&u);
 *       else if (r < 0) stop: u.stats.last_error says why
 *   }
 */
#ifndef FLOE_UPLOADER_H
#define FLOE_UPLOADER_H

#include "floe/s3.h"
#include "floe/spool.h"

#ifdef __cplusplus
extern "C" {
#endif

enum floe_target_kind {
    FLOE_TARGET_S3 = 0,  /* s3://bucket/prefix through floe_s3 */
    FLOE_TARGET_DIR = 1  /* file:///path: copies into a local folder (trying it out, tests) */
};

struct floe_uploader_config {
    struct floe_spool_config spool;   /* the uploader opens its own handle (role set here) */
    uint8_t target;                   /* enum floe_target_kind */
    struct floe_s3_config s3;         /* FLOE_TARGET_S3 */
    const char *dir;                  /* FLOE_TARGET_DIR */
    const char *key_prefix;           /* before every object key; NULL: "" */
    uint64_t multipart_threshold;     /* 0: FLOE_S3_DEFAULT_THRESHOLD */
    uint64_t part_size;               /* 0: FLOE_S3_DEFAULT_PART (>= 5 MiB) */
    uint32_t backoff_base_ms;         /* 0: 500 */
    uint32_t backoff_max_ms;          /* 0: 60000 */
    uint32_t breaker_failures;        /* consecutive failures that open the breaker; 0: 5 */
    uint32_t breaker_open_ms;         /* how long it stays open; 0: 30000 */
    uint32_t max_failures;            /* consecutive failures that raise the error state; 0: never */
    int upload_dead_letters;          /* also upload dead letters under <prefix>_dead_letters/ */
    int write_manifests;              /* after each Parquet object, a JSON manifest (key, size,
                                       * records, min/max ts, partition, checksums) at the same
                                       * path under <prefix>_manifests/, .json for .parquet */
    uint32_t lanes;                   /* uploaders side by side on one spool (one per
                                       * process: TLS is process-wide); 0 or 1: this one
                                       * takes every batch */
    uint32_t lane;                    /* < lanes: this one takes the batches whose
                                       * sequence number is lane modulo lanes */
    const struct floe_fs_port *fs;
    const struct floe_clock_port *clock;
    const struct floe_entropy_port *entropy;
    const struct floe_log_port *log;
    const struct floe_hooks *hooks;   /* optional: uploaded, error */
};

struct floe_uploader_stats {
    uint64_t uploads_ok;
    uint64_t uploads_failed;       /* attempts that failed (each retried later) */
    uint64_t retries;
    uint64_t bytes_sent;
    uint64_t parts;
    uint64_t resumed;              /* multipart uploads continued from a journal */
    uint64_t breaker_trips;
    /* Batches (and their rows + dead letters) that landed although the
     * writer's drop_oldest policy dropped them during the upload: the
     * writer's spool counted them as dropped, yet none of it was lost. */
    uint64_t landed_after_drop;
    uint64_t records_landed_after_drop;
    uint32_t consecutive_failures;
    int64_t last_success_ms;       /* wall clock, 0: never */
    int fatal;                     /* a failure that retrying will not heal */
    char last_error[200];          /* never holds a secret */
};

struct floe_uploader_state;

struct floe_uploader {
    struct floe_uploader_state *st;
    struct floe_spool spool;
    struct floe_s3 s3;
    struct floe_uploader_stats stats;
};

size_t floe_uploader_size(const struct floe_uploader_config *cfg);
void floe_uploader_init(struct floe_uploader *u);
int floe_uploader_setup(struct floe_uploader *u, struct floe_uploader_config *cfg, struct floe_arena *arena);

/**
 * @brief Does one unit of work.
 * @return FLOE_OK (a batch is in the bucket and gone from the spool);
 *         FLOE_ERR_NOENT (nothing to upload); FLOE_ERR_AGAIN (backing off or
 *         breaker open: see floe_uploader_wait_ms); a fatal error (stats.fatal
 *         set, stats.last_error says why), or FLOE_ERR_TIMEOUT while
 *         max_failures or more consecutive failures have happened: an error
 *         state to surface. The handle stays usable: calling step again
 *         probes once per breaker interval, and a success clears it
 *         (stats.consecutive_failures back to 0).
 */
int floe_uploader_step(struct floe_uploader *u);

/** @brief Milliseconds until the next attempt is due (0: now). */
uint32_t floe_uploader_wait_ms(const struct floe_uploader *u);

void floe_uploader_free(struct floe_uploader *u);

#ifdef __cplusplus
}
#endif
#endif
