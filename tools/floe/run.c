/* floe run --config FILE: the agent. Two threads share only the spool: the
 * writer turns the watched folder's files into committed batches, the
 * uploader sends them to the target. SIGTERM/SIGINT: stop taking input, seal
 * and commit what is open, give uploads a grace period, write the final
 * metrics, exit 0 (1 if uploads were in the max_failures error state). A
 * second signal exits at once (the next start recovers). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "cli.h"
#include "config.h"
#include "settle.h"
#include "sources.h"
#include "floe/uploader.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (128u * 1024u)
#define MAX_PENDING 256
#define GRACE_MS 10000u

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_requested) {
        static const char msg[] = "floe: second signal, exiting now (the next start recovers)\n";
        if (write(2, msg, sizeof msg - 1) < 0) {
        }
        _exit(1);
    }
    stop_requested = 1;
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000u;
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    nanosleep(&ts, NULL);
}

struct agent {
    struct agent_config cfg;
    struct floe_schema schema;
    char *schema_text;
    struct floe_log_port log;
    pthread_mutex_t lock;
    /* snapshots for the metrics, taken under lock */
    struct floe_writer_stats wstats;
    struct floe_spool_stats spool_stats;
    int spool_counted; /* the uploader thread has counted the spool folder */
    struct floe_uploader_stats ustats;
    size_t writer_arena, writer_high_water, uploader_arena, uploader_high_water;
    int writer_done, uploader_done;
    int spool_recovered; /* the writer's spool open (its recovery) is over */
    int upload_fatal;   /* uploads stopped on an error retrying cannot heal */
    int upload_failing; /* max_failures reached: still probing, not yet healed */
    uint64_t files_done;
    uint64_t files_failed;
    struct agent_credentials cred; /* resolved by agent_config_check before the threads start */
    struct settle_table settle;     /* the writer thread's */
    /* Sources that could not be opened (permissions, say), passed over for
     * a while so that the files after them are read: the writer thread's. */
    struct {
        char name[256];
        uint64_t until_ms;
    } unreadable[64];
    char bucket[64], prefix[512], endpoint[2048], target_dir[1024];
};

/* ---- metrics ------------------------------------------------------------- */

static void write_metrics(struct agent *a, int final)
{
    char tmp[1100];
    FILE *f;
    int r;
    if (a->cfg.metrics_file[0] == '\0')
        return;
    snprintf(tmp, sizeof tmp, "%s.tmp", a->cfg.metrics_file);
    f = fopen(tmp, "w");
    if (f == NULL)
        return;
    pthread_mutex_lock(&a->lock);
    fprintf(f, "# HELP floe_up 1 while the agent runs, 0 in the final file it writes on exit.\n# TYPE floe_up gauge\n"
               "floe_up %d\n", final ? 0 : 1);
    fprintf(f, "# HELP floe_records_total Records decoded, by outcome.\n# TYPE floe_records_total counter\n"
               "floe_records_total{outcome=\"ok\"} %llu\nfloe_records_total{outcome=\"dead_letter\"} %llu\n",
            (unsigned long long)a->wstats.records_ok, (unsigned long long)a->wstats.dead_letters);
    fprintf(f, "# HELP floe_dead_letters_total Dead letters by reason.\n# TYPE floe_dead_letters_total counter\n");
    for (r = 1; r < FLOE_DL__COUNT; r++)
        fprintf(f, "floe_dead_letters_total{reason=\"%s\"} %llu\n", floe_dl_reason_name(r),
                (unsigned long long)a->wstats.dead_by_reason[r]);
    fprintf(f, "# HELP floe_files_sealed_total Parquet files sealed into the spool.\n# TYPE floe_files_sealed_total counter\n"
               "floe_files_sealed_total %llu\n", (unsigned long long)a->wstats.files_sealed);
    fprintf(f, "# HELP floe_rows_late_total Records of another partition than the open file's (late data, "
               "a device clock behind or ahead), held and written to their own partition's files.\n"
               "# TYPE floe_rows_late_total counter\nfloe_rows_late_total %llu\n",
            (unsigned long long)a->wstats.rows_late);
    fprintf(f, "# HELP floe_source_files_total Source files fully committed.\n# TYPE floe_source_files_total counter\n"
               "floe_source_files_total %llu\n", (unsigned long long)a->files_done);
    fprintf(f, "# HELP floe_source_files_failed_total Source files not taken whole (corrupt zstd, or written to after they were read), kept in failed/.\n"
               "# TYPE floe_source_files_failed_total counter\nfloe_source_files_failed_total %llu\n",
            (unsigned long long)a->files_failed);
    fprintf(f, "# HELP floe_bytes_in_total Source bytes read.\n# TYPE floe_bytes_in_total counter\n"
               "floe_bytes_in_total %llu\n", (unsigned long long)a->wstats.bytes_in);
    fprintf(f, "# HELP floe_bytes_written_total Parquet bytes written.\n# TYPE floe_bytes_written_total counter\n"
               "floe_bytes_written_total %llu\n", (unsigned long long)a->wstats.bytes_out);
    fprintf(f, "# HELP floe_uploads_total Uploads by outcome (failed: attempts retried later).\n"
               "# TYPE floe_uploads_total counter\nfloe_uploads_total{outcome=\"ok\"} %llu\n"
               "floe_uploads_total{outcome=\"failed\"} %llu\n",
            (unsigned long long)a->ustats.uploads_ok, (unsigned long long)a->ustats.uploads_failed);
    fprintf(f, "# HELP floe_upload_retries_total Upload retries.\n# TYPE floe_upload_retries_total counter\n"
               "floe_upload_retries_total %llu\n", (unsigned long long)a->ustats.retries);
    fprintf(f, "# HELP floe_upload_bytes_total Bytes uploaded.\n# TYPE floe_upload_bytes_total counter\n"
               "floe_upload_bytes_total %llu\n", (unsigned long long)a->ustats.bytes_sent);
    fprintf(f, "# HELP floe_upload_breaker_trips_total Times uploads paused after repeated failures.\n"
               "# TYPE floe_upload_breaker_trips_total counter\nfloe_upload_breaker_trips_total %llu\n",
            (unsigned long long)a->ustats.breaker_trips);
    fprintf(f, "# HELP floe_upload_error 1 when uploads stopped on an error retrying cannot heal, or failed "
               "max_failures times in a row (still probing).\n"
               "# TYPE floe_upload_error gauge\nfloe_upload_error %d\n", a->upload_fatal || a->upload_failing);
    fprintf(f, "# HELP floe_spool_bytes Bytes of committed files in the spool.\n# TYPE floe_spool_bytes gauge\n"
               "floe_spool_bytes %llu\n", (unsigned long long)a->spool_stats.bytes_used);
    fprintf(f, "# HELP floe_spool_files Committed Parquet files waiting for upload.\n# TYPE floe_spool_files gauge\n"
               "floe_spool_files %llu\n", (unsigned long long)a->spool_stats.files_ready);
    fprintf(f, "# HELP floe_dropped_files_total Files dropped by the drop_oldest policy.\n"
               "# TYPE floe_dropped_files_total counter\nfloe_dropped_files_total %llu\n",
            (unsigned long long)a->spool_stats.batches_dropped);
    fprintf(f, "# HELP floe_dropped_records_total Records (rows and dead letters) in files dropped by the "
               "drop_oldest policy.\n# TYPE floe_dropped_records_total counter\nfloe_dropped_records_total %llu\n",
            (unsigned long long)a->spool_stats.records_dropped);
    /* Separate counters, not a difference: the two threads' snapshots lag
     * each other, and a difference could step back (a counter reset). */
    fprintf(f, "# HELP floe_dropped_landed_files_total Dropped files whose upload finished anyway (they landed; "
               "lost = dropped - dropped_landed).\n"
               "# TYPE floe_dropped_landed_files_total counter\nfloe_dropped_landed_files_total %llu\n",
            (unsigned long long)a->ustats.landed_after_drop);
    fprintf(f, "# HELP floe_dropped_landed_records_total Records in dropped files whose upload finished anyway.\n"
               "# TYPE floe_dropped_landed_records_total counter\nfloe_dropped_landed_records_total %llu\n",
            (unsigned long long)a->ustats.records_landed_after_drop);
    fprintf(f, "# HELP floe_spool_recoveries_total Starts that found interrupted work.\n"
               "# TYPE floe_spool_recoveries_total counter\nfloe_spool_recoveries_total %llu\n",
            (unsigned long long)a->spool_stats.recoveries);
    fprintf(f, "# HELP floe_spool_quarantined_total Files that failed verification.\n"
               "# TYPE floe_spool_quarantined_total counter\nfloe_spool_quarantined_total %llu\n",
            (unsigned long long)a->spool_stats.quarantined);
    fprintf(f, "# HELP floe_last_upload_success_timestamp_seconds Wall time of the last successful upload of this run (0 until one: alert on it together with floe_spool_files).\n"
               "# TYPE floe_last_upload_success_timestamp_seconds gauge\n"
               "floe_last_upload_success_timestamp_seconds %.3f\n", (double)a->ustats.last_success_ms / 1000.0);
    fprintf(f, "# HELP floe_arena_bytes Fixed memory of each loop.\n# TYPE floe_arena_bytes gauge\n"
               "floe_arena_bytes{loop=\"writer\"} %zu\nfloe_arena_bytes{loop=\"uploader\"} %zu\n",
            a->writer_arena, a->uploader_arena);
    fprintf(f, "# HELP floe_arena_high_water_bytes Most of each arena ever used.\n"
               "# TYPE floe_arena_high_water_bytes gauge\nfloe_arena_high_water_bytes{loop=\"writer\"} %zu\n"
               "floe_arena_high_water_bytes{loop=\"uploader\"} %zu\n",
            a->writer_high_water, a->uploader_high_water);
    pthread_mutex_unlock(&a->lock);
    if (fclose(f) == 0)
        rename(tmp, a->cfg.metrics_file); /* atomic for the textfile collector */
}

/* ---- the writer thread ----------------------------------------------------- */

struct source_file {
    char name[256];
    char path[1400];
};

static int is_source_name(const char *n)
{
    size_t l = strlen(n);
    return n[0] != '.' && ((l > 7 && strcmp(n + l - 7, ".ndjson") == 0) ||
                           (l > 11 && strcmp(n + l - 11, ".ndjson.zst") == 0) ||
                           (l > 6 && strcmp(n + l - 6, ".jsonl") == 0));
}

#define UNREADABLE_RETRY_MS 15000u

static int passed_over(const struct agent *a, const char *name, uint64_t now_ms)
{
    size_t i;
    for (i = 0; i < sizeof a->unreadable / sizeof a->unreadable[0]; i++)
        if (a->unreadable[i].until_ms > now_ms && strcmp(a->unreadable[i].name, name) == 0)
            return 1;
    return 0;
}

/* A source that did not open is passed over for 15 s, with a warning each
 * time, instead of holding up every file after it, silently, as it did.
 * (The file a commit stops part-way through is still waited for: no other
 * may be read before it.) A full table (64 unreadable files at once) reuses
 * the slot that frees soonest. */
static void pass_over(struct agent *a, const char *name, int err, uint64_t now_ms)
{
    size_t i, slot = 0;
    if (passed_over(a, name, now_ms))
        return;
    for (i = 0; i < sizeof a->unreadable / sizeof a->unreadable[0]; i++)
        if (a->unreadable[i].until_ms < a->unreadable[slot].until_ms)
            slot = i;
    snprintf(a->unreadable[slot].name, sizeof a->unreadable[slot].name, "%s", name);
    a->unreadable[slot].until_ms = now_ms + UNREADABLE_RETRY_MS;
    cli_log(FLOE_LOG_WARN, &a->log, "writer: cannot read %s/%s (%s); reading the files after it, and it again in %u s",
            a->cfg.source_dir, name, strerror(err), UNREADABLE_RETRY_MS / 1000u);
}

/* The first settled source file whose name sorts after @p after (by name),
 * and is not passed over, or 0 if none. */
static int next_source_after(struct agent *a, const char *after, struct source_file *out)
{
    DIR *d = opendir(a->cfg.source_dir);
    struct dirent *e;
    char best[256] = "";
    struct timespec wall, mono;
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char p[1400];
        struct stat sb;
        if (!is_source_name(e->d_name) || strlen(e->d_name) >= sizeof best || strcmp(e->d_name, after) <= 0 ||
            passed_over(a, e->d_name, (uint64_t)mono.tv_sec * 1000u + (uint64_t)mono.tv_nsec / 1000000u))
            continue;
        snprintf(p, sizeof p, "%s/%s", a->cfg.source_dir, e->d_name);
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        /* Still being written: wait for it to settle. */
        if (!settle_check(&a->settle, &sb, (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec,
                          (uint64_t)mono.tv_sec * 1000u + (uint64_t)mono.tv_nsec / 1000000u))
            continue;
        if (best[0] == '\0' || strcmp(e->d_name, best) < 0)
            snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    if (best[0] == '\0')
        return 0;
    snprintf(out->name, sizeof out->name, "%s", best);
    snprintf(out->path, sizeof out->path, "%s/%s", a->cfg.source_dir, best);
    return 1;
}

/* The source the committed position stops part-way through, if its file is
 * still there: it is read on before any other. A file taken first would get
 * a later index, and committing it would count this one's unread rest as
 * done (the position is one index and offset). */
static int part_way_source(const struct agent *a, const struct source_ledger *ledger,
                           const struct floe_spool_position *pos, struct source_file *out)
{
    struct source_id now;
    int i;
    if (pos->seq == 0 || pos->source_done)
        return 0;
    for (i = 0; i < ledger->n; i++) {
        const struct source_entry *e = &ledger->e[i];
        if (e->index != pos->source_index)
            continue;
        snprintf(out->name, sizeof out->name, "%s", e->name);
        snprintf(out->path, sizeof out->path, "%s/%s", a->cfg.source_dir, e->name);
        return source_id_of_path(out->path, &now) == 0 && source_id_same_file(&now, &e->id);
    }
    return 0;
}

/* Keeps a source the writer could not take whole in failed/ (a hard link,
 * whatever the done policy), for the operator; says why. */
static void keep_failed_source(struct agent *a, const char *name, const char *why)
{
    char from[1400], to[1400];
    snprintf(from, sizeof from, "%s/%s", a->cfg.source_dir, name);
    snprintf(to, sizeof to, "%s/failed", a->cfg.source_dir);
    mkdir(to, 0750);
    snprintf(to, sizeof to, "%s/failed/%s", a->cfg.source_dir, name);
    if (link(from, to) != 0 && errno != EEXIST)
        cli_log(FLOE_LOG_ERROR, &a->log, "writer: %s %s, and it could not be kept in failed/: %s", name, why,
                strerror(errno));
    else
        cli_log(FLOE_LOG_ERROR, &a->log, "writer: %s %s; a copy is kept in failed/", name, why);
    pthread_mutex_lock(&a->lock);
    a->files_failed++;
    pthread_mutex_unlock(&a->lock);
}

static void sync_source_dirs(struct agent *a)
{
    char done[1400];
    if (floe_posix_fs.sync_dir(floe_posix_fs.ctx, a->cfg.source_dir) != FLOE_OK)
        cli_log(FLOE_LOG_WARN, &a->log, "writer: cannot sync %s", a->cfg.source_dir);
    if (strcmp(a->cfg.done_policy, "keep") == 0) {
        snprintf(done, sizeof done, "%s/done", a->cfg.source_dir);
        (void)floe_posix_fs.sync_dir(floe_posix_fs.ctx, done);
    }
}

/* A source whose records are all committed leaves the source folder (done/
 * or deleted), and only then the ledger: a file that cannot leave stays
 * known as committed, or the next listing would read it again as new.
 * Returns -1 when it could not leave (logged). */
static int retire(struct agent *a, struct source_ledger *ledger, const char *name, const struct source_id *id)
{
    char from[1400], to[1400];
    struct source_id now;
    int gone;
    snprintf(from, sizeof from, "%s/%s", a->cfg.source_dir, name);
    if (source_id_of_path(from, &now) != 0 || !source_id_same_file(&now, id)) {
        source_ledger_forget(ledger, id);
        return 0; /* a new file has taken the name: it is read in its turn */
    }
    if (!source_id_equal(&now, id)) {
        /* Written to after it was read: what was read is committed; what
         * came later is not read (it would start mid-record). Keep it. */
        char why[160];
        snprintf(why, sizeof why, "changed after it was read (%llu -> %llu bytes; files must arrive complete, "
                 "renamed in): the part read is committed, the rest is not read",
                 (unsigned long long)id->size, (unsigned long long)now.size);
        keep_failed_source(a, name, why);
    } else if (strcmp(a->cfg.done_policy, "keep") == 0) {
        snprintf(to, sizeof to, "%s/done", a->cfg.source_dir);
        mkdir(to, 0750);
        snprintf(to, sizeof to, "%s/done/%s", a->cfg.source_dir, name);
        gone = rename(from, to) == 0;
        if (!gone) {
            cli_log(FLOE_LOG_ERROR, &a->log, "writer: %s is committed but cannot move to done/: %s (reading stops "
                    "until it can)", name, strerror(errno));
            return -1;
        }
        goto done;
    }
    gone = unlink(from) == 0 || errno == ENOENT;
    if (!gone) {
        cli_log(FLOE_LOG_ERROR, &a->log, "writer: %s is committed but cannot be deleted: %s (reading stops until it "
                "can)", name, strerror(errno));
        return -1;
    }
    /* Gone for good before the ledger forgets it: after a power cut a file
     * that came back with no ledger entry would be read again as new. */
    sync_source_dirs(a);
    if (!source_id_equal(&now, id)) {
        source_ledger_forget(ledger, id);
        return 0;
    }
done:
    sync_source_dirs(a);
    source_ledger_forget(ledger, id);
    pthread_mutex_lock(&a->lock);
    a->files_done++;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

struct pending {
    uint32_t index;
    char name[256];
    struct source_id id;
};

/* Source index is wholly in committed batches. */
static int is_committed(const struct floe_spool_position *pos, uint32_t index)
{
    return pos->seq != 0 && (pos->source_index > index || (pos->source_index == index && pos->source_done));
}

/* Sources whose records are all committed can go. */
static void retire_committed(struct agent *a, struct floe_writer *w, struct source_ledger *ledger, struct pending *p,
                             int *n)
{
    struct floe_spool_position pos;
    int i, k = 0;
    floe_writer_position(w, &pos);
    for (i = 0; i < *n; i++) {
        if (is_committed(&pos, p[i].index))
            (void)retire(a, ledger, p[i].name, &p[i].id); /* if it stays, the listing retries it */
        else
            p[k++] = p[i];
    }
    *n = k;
}

static void snapshot_writer(struct agent *a, struct floe_writer *w, const struct floe_arena *arena)
{
    pthread_mutex_lock(&a->lock);
    a->wstats = w->stats;
    {
        /* The spool's size is the uploader thread's to report: it recounts
         * the folder after uploads, which the writer's handle cannot see. */
        uint64_t used = a->spool_stats.bytes_used, ready = a->spool_stats.files_ready;
        a->spool_stats = w->spool.stats;
        if (a->spool_counted) {
            a->spool_stats.bytes_used = used;
            a->spool_stats.files_ready = ready;
        }
    }
    a->writer_high_water = arena->high_water;
    pthread_mutex_unlock(&a->lock);
}

/* A failed push, seal or commit dropped the uncommitted batch: every
 * source read since the last commit is read again from the spool's
 * position, so none of them may count as pending (retire_committed would
 * delete a file whose rows were dropped once a later one commits). */
static void resume_from_commit(struct agent *a, struct floe_writer *w, int err, int *n_pending,
                               uint32_t *next_index, uint32_t *backoff)
{
    struct floe_spool_position pos;
    cli_log(FLOE_LOG_WARN, &a->log, "writer: %s; resuming from the last committed batch in %u ms",
            floe_strerror(err), (unsigned)*backoff);
    floe_writer_rewind(w);
    *n_pending = 0;
    floe_writer_position(w, &pos);
    *next_index = pos.seq != 0 ? pos.source_index + 1u : 0u;
    sleep_ms(*backoff);
    *backoff = *backoff < 8000 ? *backoff * 2 : *backoff;
}

static void *writer_thread(void *arg)
{
    struct agent *a = arg;
    static struct floe_writer_config wcfg;
    static struct floe_writer w;
    static struct pending pending[MAX_PENDING];
    static struct source_ledger ledger;
    struct floe_arena arena;
    struct floe_spool_position pos;
    uint8_t *buf = malloc(READ_CHUNK);
    void *mem;
    size_t size;
    int n_pending = 0, err, from_stdin = strcmp(a->cfg.source_dir, "-") == 0, gave_up = 0;
    uint32_t backoff = 500, next_index = 0;

    memset(&wcfg, 0, sizeof wcfg);
    wcfg.ndjson.schema = &a->schema;
    wcfg.ndjson.max_line_bytes = (uint32_t)a->cfg.max_line;
    wcfg.ndjson.log = &a->log;
    wcfg.roll.parquet.schema = &a->schema;
    wcfg.roll.parquet.schema_json = a->schema_text;
    wcfg.roll.parquet.codec = strcmp(a->cfg.codec, "none") == 0   ? FLOE_PARQUET_UNCOMPRESSED
                              : strcmp(a->cfg.codec, "zstd") == 0 ? FLOE_PARQUET_ZSTD
                                                                  : FLOE_PARQUET_SNAPPY;
    wcfg.roll.parquet.row_group_bytes = (uint32_t)a->cfg.row_group_bytes;
    wcfg.roll.parquet.page_bytes = (uint32_t)a->cfg.page_bytes;
    wcfg.roll.parquet.no_bloom_filters = !a->cfg.bloom_filters;
    wcfg.roll.parquet.no_page_index = !a->cfg.page_index;
    wcfg.roll.parquet.log = &a->log;
    wcfg.roll.file_bytes = a->cfg.file_bytes;
    wcfg.roll.file_rows = a->cfg.file_rows;
    wcfg.roll.max_age_ms = (uint32_t)(a->cfg.max_age_s * 1000u);
    wcfg.roll.idle_ms = (uint32_t)(a->cfg.idle_s * 1000u);
    wcfg.roll.ts_column = -1;
    wcfg.roll.fs = &floe_posix_fs;
    wcfg.roll.clock = &floe_posix_clock;
    wcfg.roll.entropy = &floe_posix_entropy;
    wcfg.roll.log = &a->log;
    if (a->cfg.partition_by[0] != '\0') {
        const char *colon = strchr(a->cfg.partition_by, ':');
        size_t i;
        for (i = 0; colon != NULL && i < a->schema.n_columns; i++)
            if (strlen(a->schema.columns[i].name) == (size_t)(colon - a->cfg.partition_by) &&
                strncmp(a->schema.columns[i].name, a->cfg.partition_by, (size_t)(colon - a->cfg.partition_by)) == 0)
                wcfg.roll.ts_column = (int16_t)i;
        wcfg.roll.partition_by = colon && strcmp(colon + 1, "day") == 0 ? FLOE_PARTITION_DAY : FLOE_PARTITION_HOUR;
        wcfg.roll.late_window_bytes = (uint32_t)a->cfg.late_window_bytes; /* late_window_check bounds it */
    }
    if (a->cfg.sort_by[0] != '\0') { /* sort_column_check found it */
        size_t i;
        for (i = 0; i < a->schema.n_columns; i++)
            if (strcmp(a->schema.columns[i].name, a->cfg.sort_by) == 0)
                wcfg.roll.sort_column = (uint16_t)i;
        wcfg.roll.sort_window_bytes = (uint32_t)a->cfg.sort_window_bytes;
        /* A wide schema's pages can leave its row groups no room for a sort
         * window: smaller ones then, said at start (they bound strings too). */
        {
            uint32_t roomy = floe_parquet_roomy_page_bytes(&wcfg.roll.parquet);
            if (roomy != 0 && roomy < wcfg.roll.parquet.page_bytes) {
                fprintf(stderr,
                        "floe run: [parquet] page_bytes %lu leaves %zu columns no room for sort_by in row groups of "
                        "%lu bytes: pages of %lu bytes instead (also the longest string)\n",
                        (unsigned long)wcfg.roll.parquet.page_bytes, a->schema.n_columns,
                        (unsigned long)wcfg.roll.parquet.row_group_bytes, (unsigned long)roomy);
                wcfg.roll.parquet.page_bytes = roomy;
            }
        }
    }
    wcfg.spool.dir = a->cfg.spool_dir;
    wcfg.spool.quota_bytes = a->cfg.quota;
    wcfg.spool.dead_bytes = a->cfg.dead_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)a->cfg.dead_bytes;
    wcfg.spool.full_policy = strcmp(a->cfg.full_policy, "drop_oldest") == 0 ? FLOE_SPOOL_DROP_OLDEST : FLOE_SPOOL_BLOCK;
    wcfg.spool.fs = &floe_posix_fs;
    wcfg.spool.log = &a->log;
    size = floe_writer_size(&wcfg);
    mem = size ? malloc(size) : NULL;
    if (mem == NULL || buf == NULL) {
        cli_log(FLOE_LOG_ERROR, &a->log, "writer: invalid settings or no memory");
        a->writer_done = -1;
        return NULL;
    }
    floe_arena_init(&arena, mem, size);
    floe_writer_init(&w);
    err = floe_writer_setup(&w, &wcfg, &arena);
    if (err != FLOE_OK) {
        cli_log(FLOE_LOG_ERROR, &a->log, "writer: cannot open the spool %s: %s", a->cfg.spool_dir, floe_strerror(err));
        a->writer_done = -1;
        return NULL;
    }
    pthread_mutex_lock(&a->lock);
    a->writer_arena = size;
    a->spool_recovered = 1;
    pthread_mutex_unlock(&a->lock);
    if (source_ledger_load(&ledger, a->cfg.spool_dir, from_stdin ? "" : a->cfg.source_dir) != 0) {
        cli_log(FLOE_LOG_ERROR, &a->log, "writer: cannot read %s", ledger.path);
        a->writer_done = -1;
        return NULL;
    }
    floe_writer_position(&w, &pos);
    next_index = pos.seq != 0 ? pos.source_index + 1u : 0u;

    while (!stop_requested) {
        struct source_file src;
        struct source_id id;
        uint32_t index;
        uint64_t offset = 0, line = 0;
        int fd, skip = 0;
        floe_writer_position(&w, &pos);
        if (from_stdin) {
            /* Each run's stdin is a new source: it cannot be read again, so
             * the spool's position (an earlier run's) does not apply. */
            snprintf(src.name, sizeof src.name, "-");
            index = next_index;
            fd = 0;
            /* A file an earlier run began under this index but never
             * committed must not pass for committed once stdin commits it. */
            if (source_ledger_reserve(&ledger, index) != 0) {
                cli_log(FLOE_LOG_ERROR, &a->log, "writer: cannot update %s", ledger.path);
                gave_up = 1;
                break;
            }
        } else {
            if (!(n_pending == 0 && part_way_source(a, &ledger, &pos, &src)) &&
                !next_source_after(a, n_pending ? pending[n_pending - 1].name : "", &src)) {
                err = floe_writer_tick(&w);
                if (err != FLOE_OK) {
                    resume_from_commit(a, &w, err, &n_pending, &next_index, &backoff);
                    continue;
                }
                retire_committed(a, &w, &ledger, pending, &n_pending);
                snapshot_writer(a, &w, &arena);
                sleep_ms(200);
                continue;
            }
            fd = open(src.path, O_RDONLY);
            if (fd < 0 || source_id_of_fd(fd, &id) != 0) {
                int why = errno;
                if (fd >= 0)
                    close(fd);
                if (why != ENOENT) /* gone since the listing: nothing to say */
                    pass_over(a, src.name, why, floe_posix_clock.monotonic_ms(NULL));
                sleep_ms(200);
                continue;
            }
            /* Where this file stands, by what it is (the ledger), not by its
             * name: fully committed (retire it), part-way (resume at the
             * committed offset), or new (read it, whatever its name). */
            {
                const struct source_entry *known = source_ledger_find(&ledger, &id);
                if (known != NULL && is_committed(&pos, known->index)) {
                    close(fd);
                    if (retire(a, &ledger, src.name, &id) != 0)
                        sleep_ms(5000); /* it stays first in the listing: no busy loop */
                    continue;
                }
                if (known != NULL && pos.seq != 0 && known->index == pos.source_index) {
                    index = pos.source_index;
                    offset = pos.offset;
                    line = pos.line;
                } else {
                    index = next_index;
                    if (source_ledger_record(&ledger, index, src.name, &id) != 0) {
                        cli_log(FLOE_LOG_WARN, &a->log, "writer: cannot record %s in %s; retrying", src.name,
                                ledger.path);
                        close(fd);
                        sleep_ms(1000);
                        continue;
                    }
                }
            }
            next_index = index + 1u;
            if (offset > 0) {
                unsigned char m[4];
                if (pread(fd, m, 4, 0) == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                    skip = 1;
                else
                    lseek(fd, (off_t)offset, SEEK_SET);
            }
        }
        err = floe_writer_begin_source(&w, index, src.name, offset, line, skip);
        while (err == FLOE_OK && !stop_requested) {
            ssize_t n;
            if (from_stdin) {
                /* A quiet pipe still ages the open file (max_age_s, idle_s):
                 * without ticks while read() waits, its rows (which cannot
                 * be read again) would stay uncommitted until more came. */
                struct pollfd in = {0, POLLIN, 0};
                int ready = poll(&in, 1, 200);
                if (ready < 0 && errno != EINTR) {
                    cli_log(FLOE_LOG_ERROR, &a->log, "writer: waiting for standard input: %s", strerror(errno));
                    err = FLOE_ERR_IO;
                    break;
                }
                if (ready <= 0) {
                    err = floe_writer_tick(&w);
                    retire_committed(a, &w, &ledger, pending, &n_pending);
                    snapshot_writer(a, &w, &arena);
                    continue;
                }
            }
            n = read(fd, buf, READ_CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                /* Not the end of the file: it must not be committed as read
                 * in full (and then retired). */
                cli_log(FLOE_LOG_ERROR, &a->log, "writer: reading %s: %s", src.name, strerror(errno));
                err = FLOE_ERR_IO;
                break;
            }
            if (n == 0)
                break;
            err = floe_writer_push(&w, buf, (size_t)n);
            if (err == FLOE_ERR_MALFORMED) {
                /* A corrupt zstd source: its dead letter says where, and the
                 * rest of it cannot be read. Whatever the done policy, a
                 * hard link keeps the file for the operator; the original
                 * is retired with its batch as usual. */
                keep_failed_source(a, src.name, "is corrupt (see its dead letter); the rest of it is not read");
                err = FLOE_OK;
                break;
            }
            if (err == FLOE_OK && from_stdin)
                err = floe_writer_tick(&w); /* a pipe that never pauses ages its files too */
            retire_committed(a, &w, &ledger, pending, &n_pending);
            snapshot_writer(a, &w, &arena);
        }
        if (fd > 0)
            close(fd);
        if (err == FLOE_OK && !stop_requested) {
            uint64_t truncated = w.dec.stats.dead_by_reason[FLOE_DL_TRUNCATED_INPUT];
            err = floe_writer_end_source(&w);
            /* A .zst that ends inside a frame lost its rest, as a corrupt
             * one does: kept for the operator the same way. */
            if (err == FLOE_OK && !from_stdin && w.dec.stats.dead_by_reason[FLOE_DL_TRUNCATED_INPUT] > truncated)
                keep_failed_source(a, src.name, "is truncated inside a zstd frame (see its dead letter); what came "
                                                "before the cut is committed");
            if (err == FLOE_OK && !from_stdin && n_pending < MAX_PENDING) {
                pending[n_pending].index = index;
                pending[n_pending].id = id;
                snprintf(pending[n_pending].name, sizeof pending[n_pending].name, "%s", src.name);
                n_pending++;
                /* Out of the way of next_source until it is committed. */
                if (n_pending == MAX_PENDING)
                    err = floe_writer_flush(&w);
            }
            if (from_stdin && err == FLOE_OK)
                err = floe_writer_flush(&w);
        }
        if (err != FLOE_OK) {
            /* Spool full (block policy), disk full or an I/O error: drop the
             * uncommitted batch and start again from the committed position. */
            resume_from_commit(a, &w, err, &n_pending, &next_index, &backoff);
            continue;
        }
        backoff = 500;
        retire_committed(a, &w, &ledger, pending, &n_pending);
        /* Pending files that the open Parquet file still holds stay out of
         * the listing by name order: the next one sorts after them. */
        if (!from_stdin && n_pending > 0) {
            /* Seal soon if no other file follows (idle rolling also does). */
            struct source_file nxt;
            if (!next_source_after(a, pending[n_pending - 1].name, &nxt)) {
                err = floe_writer_tick(&w);
                if (err != FLOE_OK) {
                    resume_from_commit(a, &w, err, &n_pending, &next_index, &backoff);
                    continue;
                }
            }
        }
        if (from_stdin)
            break;
    }
    /* Shutting down (or stdin ended): seal and commit what is open. */
    err = floe_writer_flush(&w);
    if (err != FLOE_OK) {
        cli_log(FLOE_LOG_ERROR, &a->log, "writer: final commit failed: %s (the next start resumes)", floe_strerror(err));
        floe_writer_rewind(&w);
    }
    retire_committed(a, &w, &ledger, pending, &n_pending);
    snapshot_writer(a, &w, &arena);
    a->writer_done = gave_up ? -1 : 1;
    free(buf);
    free(mem);
    return NULL;
}

/* ---- the uploader thread ----------------------------------------------------- */

static void publish_spool_size(struct agent *a, struct floe_spool *sp)
{
    if (floe_spool_refresh(sp) != FLOE_OK)
        return;
    pthread_mutex_lock(&a->lock);
    a->spool_stats.bytes_used = sp->stats.bytes_used;
    a->spool_stats.files_ready = sp->stats.files_ready;
    a->spool_counted = 1;
    pthread_mutex_unlock(&a->lock);
}

static void *uploader_thread(void *arg)
{
    struct agent *a = arg;
    static struct floe_uploader_config ucfg;
    static struct floe_uploader u;
    struct floe_arena arena;
    uint64_t grace_until = 0, last_count = 0;
    int failing = 0;
    size_t size;
    void *mem;
    int err;

    /* Recovery reads every ready batch: an upload removing one meanwhile
     * would look like a torn batch and be quarantined. Wait for it. */
    for (;;) {
        int go;
        pthread_mutex_lock(&a->lock);
        go = a->spool_recovered || a->writer_done || stop_requested;
        pthread_mutex_unlock(&a->lock);
        if (go)
            break;
        sleep_ms(10);
    }
    memset(&ucfg, 0, sizeof ucfg);
    ucfg.spool.dir = a->cfg.spool_dir;
    ucfg.spool.fs = &floe_posix_fs;
    ucfg.spool.log = &a->log;
    ucfg.fs = &floe_posix_fs;
    ucfg.clock = &floe_posix_clock;
    ucfg.entropy = &floe_posix_entropy;
    ucfg.log = &a->log;
    ucfg.part_size = a->cfg.part_size;
    ucfg.multipart_threshold = a->cfg.multipart_threshold;
    ucfg.backoff_base_ms = (uint32_t)a->cfg.backoff_base_ms;
    ucfg.backoff_max_ms = (uint32_t)a->cfg.backoff_max_ms;
    ucfg.breaker_failures = (uint32_t)a->cfg.breaker_failures;
    ucfg.breaker_open_ms = (uint32_t)(a->cfg.breaker_open_s * 1000u);
    ucfg.max_failures = (uint32_t)a->cfg.max_failures;
    ucfg.upload_dead_letters = a->cfg.dead_letters;
    ucfg.write_manifests = a->cfg.manifests;
    if (strncmp(a->cfg.url, "file://", 7) == 0) {
        ucfg.target = FLOE_TARGET_DIR;
        snprintf(a->target_dir, sizeof a->target_dir, "%s", a->cfg.url + 7);
        mkdir(a->target_dir, 0755);
        ucfg.dir = a->target_dir;
    } else {
        const char *b = a->cfg.url + 5, *slash = strchr(b, '/');
        size_t bl = slash ? (size_t)(slash - b) : strlen(b);
        snprintf(a->bucket, sizeof a->bucket, "%.*s", (int)bl, b);
        if (slash != NULL && slash[1] != '\0') {
            snprintf(a->prefix, sizeof a->prefix, "%s%s", slash + 1, slash[strlen(slash) - 1] == '/' ? "" : "/");
            ucfg.key_prefix = a->prefix;
        }
        if (a->cfg.endpoint[0] == '\0')
            snprintf(a->endpoint, sizeof a->endpoint, "https://s3.%s.amazonaws.com", a->cfg.region);
        else
            snprintf(a->endpoint, sizeof a->endpoint, "%s", a->cfg.endpoint);
        if (strncmp(a->cfg.url, "s3://", 5) != 0) {
            /* Plain HTTPS PUT: the URL is the endpoint, "{key}" its slot. */
            const char *slot = strstr(a->cfg.url, "{key}");
            ucfg.key_prefix = NULL;
            if (slot != NULL)
                snprintf(a->endpoint, sizeof a->endpoint, "%.*s%%7Bkey%%7D%s", (int)(slot - a->cfg.url), a->cfg.url,
                         slot + 5);
            else
                snprintf(a->endpoint, sizeof a->endpoint, "%s", a->cfg.url);
            ucfg.s3.plain_put = 1;
            ucfg.s3.bearer_token = getenv("FLOE_BEARER_TOKEN");
        }
        ucfg.target = FLOE_TARGET_S3;
        ucfg.s3.endpoint = a->endpoint;
        ucfg.s3.region = a->cfg.region;
        ucfg.s3.bucket = a->bucket;
        ucfg.s3.path_style = a->cfg.path_style;
        ucfg.s3.credentials.access_key_id = a->cred.akid;
        ucfg.s3.credentials.secret_access_key = a->cred.secret;
        ucfg.s3.credentials.session_token = a->cred.token[0] ? a->cred.token : NULL;
        ucfg.s3.http.clock = &floe_posix_clock;
        ucfg.s3.http.log = &a->log;
        ucfg.s3.tls.ca_file = a->cfg.ca_file[0] ? a->cfg.ca_file : NULL;
        ucfg.s3.proxy = a->cfg.proxy[0] ? a->cfg.proxy : NULL;
        ucfg.s3.tls.client_cert_file = a->cfg.client_cert[0] ? a->cfg.client_cert : NULL;
        ucfg.s3.tls.client_key_file = a->cfg.client_key[0] ? a->cfg.client_key : NULL;
        ucfg.s3.tls.flags = a->cfg.insecure ? FLOE_TLS_NO_VERIFY : 0u;
        ucfg.s3.tls.fs = &floe_posix_fs;
        ucfg.s3.tls.clock = &floe_posix_clock;
        ucfg.s3.tls.entropy = &floe_posix_entropy;
        ucfg.s3.tls.log = &a->log;
        ucfg.s3.net = &floe_posix_net;
        ucfg.s3.fs = &floe_posix_fs;
        ucfg.s3.clock = &floe_posix_clock;
        ucfg.s3.log = &a->log;
    }
    size = floe_uploader_size(&ucfg);
    mem = size ? malloc(size) : NULL;
    if (mem == NULL) {
        /* A presigned URL's query is a credential: not logged. */
        cli_log(FLOE_LOG_ERROR, &a->log, "uploader: invalid target settings (%.*s%s)", (int)strcspn(a->cfg.url, "?"),
                a->cfg.url, strchr(a->cfg.url, '?') ? "?(query not logged)" : "");
        a->uploader_done = -1;
        return NULL;
    }
    floe_arena_init(&arena, mem, size);
    floe_uploader_init(&u);
    err = floe_uploader_setup(&u, &ucfg, &arena);
    if (err != FLOE_OK) {
        cli_log(FLOE_LOG_ERROR, &a->log, "uploader: cannot start: %s", floe_strerror(err));
        a->uploader_done = -1;
        free(mem);
        return NULL;
    }
    pthread_mutex_lock(&a->lock);
    a->uploader_arena = size;
    pthread_mutex_unlock(&a->lock);
    for (;;) {
        uint64_t ok_before = u.stats.uploads_ok, now;
        err = floe_uploader_step(&u);
        now = floe_posix_clock.monotonic_ms(NULL);
        /* The writer fills the spool whatever the uploads do (a target that
         * is down included): recount it at least once a second. */
        if (u.stats.uploads_ok != ok_before || err == FLOE_ERR_NOENT || now - last_count >= 1000u) {
            publish_spool_size(a, &u.spool);
            last_count = now;
        }
        if (err == FLOE_ERR_TIMEOUT) {
            /* max_failures in a row: an error state for the operator (metric,
             * exit status), but the spool keeps the data and probing goes on,
             * at least the breaker interval apart, so the uplink heals on
             * its own. */
            if (!failing)
                cli_log(FLOE_LOG_ERROR, &a->log, "uploads failing: %u failures in a row; probing at least %u s apart: %s",
                        (unsigned)u.stats.consecutive_failures, (unsigned)(a->cfg.breaker_open_s ? a->cfg.breaker_open_s : 30u), u.stats.last_error);
            failing = 1;
            err = FLOE_ERR_AGAIN;
        } else if (failing && u.stats.consecutive_failures == 0) {
            cli_log(FLOE_LOG_INFO, &a->log, "uploads work again");
            failing = 0;
        }
        pthread_mutex_lock(&a->lock);
        a->ustats = u.stats;
        a->uploader_high_water = arena.high_water;
        a->upload_fatal = u.stats.fatal;
        a->upload_failing = failing;
        pthread_mutex_unlock(&a->lock);
        if (stop_requested && grace_until == 0)
            grace_until = floe_posix_clock.monotonic_ms(NULL) + GRACE_MS;
        if (err == FLOE_OK)
            continue;
        if (err != FLOE_ERR_NOENT && err != FLOE_ERR_AGAIN) {
            cli_log(FLOE_LOG_ERROR, &a->log, "uploads stopped: %s (ingest goes on into the spool)", u.stats.last_error);
            break;
        }
        /* After a stop request: drain until the writer is done and the spool
         * is empty, within the grace period. */
        if (stop_requested && ((err == FLOE_ERR_NOENT && a->writer_done) ||
                               floe_posix_clock.monotonic_ms(NULL) >= grace_until))
            break;
        sleep_ms(err == FLOE_ERR_AGAIN ? (floe_uploader_wait_ms(&u) < 1000u ? floe_uploader_wait_ms(&u) + 1u : 1000u)
                                       : 250u);
    }
    while (u.stats.fatal && !stop_requested) {
        publish_spool_size(a, &u.spool);
        sleep_ms(250); /* keep the error visible in the metrics until asked to stop */
    }
    publish_spool_size(a, &u.spool); /* for the final metrics and stats line */
    floe_uploader_free(&u);
    free(mem);
    a->uploader_done = 1;
    return NULL;
}

/* ---- floe run / floe stats ----------------------------------------------------- */

/* partition_by names a timestamp column of the schema (the rolled files
 * would refuse anything else, too late to say which key is wrong). */
static int partition_column_check(const struct agent *a)
{
    const char *colon = strchr(a->cfg.partition_by, ':');
    size_t i, n;
    if (colon == NULL)
        return 0; /* none, or agent_config_check said so */
    n = (size_t)(colon - a->cfg.partition_by);
    for (i = 0; i < a->schema.n_columns; i++) {
        const struct floe_column *col = &a->schema.columns[i];
        if (strlen(col->name) == n && strncmp(col->name, a->cfg.partition_by, n) == 0) {
            const char *clash =
                floe_roll_partition_clash(&a->schema, strcmp(colon + 1, "day") == 0 ? FLOE_PARTITION_DAY
                                                                                    : FLOE_PARTITION_HOUR);
            if (clash != NULL) {
                agent_config_complain(&a->cfg, stderr, "parquet", "partition_by",
                                      "%s has a column %s, the name of a partition folder's key: readers would "
                                      "show the folder's value in its place (rename the column)",
                                      a->cfg.schema_file, clash);
                return -1;
            }
            if (col->type == FLOE_TYPE_TIMESTAMP_MS || col->type == FLOE_TYPE_TIMESTAMP_US)
                return 0;
            agent_config_complain(&a->cfg, stderr, "parquet", "partition_by", "column %.*s of %s is not a timestamp",
                                  (int)n, a->cfg.partition_by, a->cfg.schema_file);
            return -1;
        }
    }
    agent_config_complain(&a->cfg, stderr, "parquet", "partition_by", "no column %.*s in %s", (int)n,
                          a->cfg.partition_by, a->cfg.schema_file);
    return -1;
}

/* late_window_bytes is 0 or 4K to 1G. */
static int late_window_check(const struct agent *a)
{
    if (a->cfg.late_window_bytes == 0 || (a->cfg.late_window_bytes >= 4096 && a->cfg.late_window_bytes <= (1u << 30)))
        return 0;
    agent_config_complain(&a->cfg, stderr, "parquet", "late_window_bytes", "want 0, or 4K to 1G, not %llu",
                          (unsigned long long)a->cfg.late_window_bytes);
    return -1;
}

/* sort_by names a column of the schema, and the window is 4K to 1G. */
static int sort_column_check(const struct agent *a)
{
    size_t i;
    if (a->cfg.sort_by[0] == '\0')
        return 0;
    if (a->cfg.sort_window_bytes < 4096 || a->cfg.sort_window_bytes > (1u << 30)) {
        agent_config_complain(&a->cfg, stderr, "parquet", "sort_window_bytes", "want 4K to 1G, not %llu",
                              (unsigned long long)a->cfg.sort_window_bytes);
        return -1;
    }
    for (i = 0; i < a->schema.n_columns; i++)
        if (strcmp(a->schema.columns[i].name, a->cfg.sort_by) == 0)
            return 0;
    agent_config_complain(&a->cfg, stderr, "parquet", "sort_by", "no column %s in %s", a->cfg.sort_by,
                          a->cfg.schema_file);
    return -1;
}

static int log_level_of(const char *name)
{
    if (strcmp(name, "error") == 0)
        return FLOE_LOG_ERROR;
    if (strcmp(name, "warn") == 0)
        return FLOE_LOG_WARN;
    if (strcmp(name, "debug") == 0)
        return FLOE_LOG_DEBUG;
    return FLOE_LOG_INFO;
}

int cmd_run(int argc, char **argv)
{
    static struct agent a;
    static uint64_t schema_arena[(256u * 1024u) / 8];
    const char *config = NULL;
    struct floe_arena sa;
    struct sigaction sig;
    pthread_t wt, ut;
    size_t len;
    char why[256];
    int i;
    uint64_t last_metrics = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: floe run --config FILE\n"
                   "  Runs the agent: the [source] folder's NDJSON files go into Parquet files in the\n"
                   "  [spool], and from there to the [target]. SIGTERM/SIGINT stop it cleanly.\n"
                   "  floe run --help-config lists every option with its default.\n"
                   "  Exit: 0 after a clean stop; 1 a loop failed, or uploads were in the error state\n"
                   "  (floe_upload_error 1) when it stopped; 2 a bad config.\n");
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--help-config") == 0) {
            agent_config_describe(stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else {
            fprintf(stderr, "floe run: unknown argument %s (see floe run --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (config == NULL) {
        fprintf(stderr, "floe run: --config FILE is required\n");
        return EXIT_USAGE;
    }
    if (agent_config_load(config, &a.cfg, stderr) != 0)
        return EXIT_USAGE;
    a.schema_text = cli_read_file(a.cfg.schema_file, 1u << 20, &len);
    if (a.schema_text == NULL) {
        fprintf(stderr, "floe run: cannot read the schema %s\n", a.cfg.schema_file);
        return EXIT_USAGE;
    }
    floe_arena_init(&sa, schema_arena, sizeof schema_arena);
    if (floe_schema_parse(a.schema_text, len, &sa, &a.schema, why, sizeof why) != FLOE_OK) {
        fprintf(stderr, "floe run: %s: %s\n", a.cfg.schema_file, why);
        return EXIT_USAGE;
    }
    if (agent_config_check(&a.cfg, &a.cred, stderr) != 0 || partition_column_check(&a) != 0 ||
        sort_column_check(&a) != 0 || late_window_check(&a) != 0)
        return EXIT_USAGE;
    if (strcmp(a.cfg.source_dir, "-") != 0) {
        struct stat sb;
        if (stat(a.cfg.source_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "floe run: [source] dir %s is not a folder\n", a.cfg.source_dir);
            return EXIT_USAGE;
        }
        /* A source is retired (deleted or moved to done/) once committed;
         * one that could not be would have to be read again. */
        if (access(a.cfg.source_dir, W_OK | X_OK) != 0) {
            fprintf(stderr, "floe run: [source] dir %s: %s (floe moves or deletes each file once it is committed)\n",
                    a.cfg.source_dir, strerror(errno));
            return EXIT_USAGE;
        }
    }
    if (strcmp(a.cfg.log_output, "syslog") == 0)
        a.log = floe_posix_syslog(log_level_of(a.cfg.log_level), "floe");
    else
        a.log = floe_posix_log(log_level_of(a.cfg.log_level));
    pthread_mutex_init(&a.lock, NULL);
    settle_init(&a.settle, a.cfg.settle_ms);
    memset(&sig, 0, sizeof sig);
    sig.sa_handler = on_signal;
    sigaction(SIGTERM, &sig, NULL);
    sigaction(SIGINT, &sig, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A presigned URL's query is a credential: log the URL without it. */
    cli_log(FLOE_LOG_INFO, &a.log, "floe %s: %s -> %.*s%s (spool %s)", FLOE_VERSION_STRING, a.cfg.source_dir,
            (int)strcspn(a.cfg.url, "?"), a.cfg.url, strchr(a.cfg.url, '?') ? "?(query not logged)" : "",
                  a.cfg.spool_dir);
    if (sizeof(time_t) < 8)
        cli_log(FLOE_LOG_WARN, &a.log,
                "built with a 32-bit time_t (the C library is older than glibc 2.34, or the build left out the "
                "Makefile's -D_TIME_BITS=64): after 2038-01-19 the clock fails, and with it object names and "
                "request signatures");
    if (pthread_create(&wt, NULL, writer_thread, &a) != 0 || pthread_create(&ut, NULL, uploader_thread, &a) != 0) {
        fprintf(stderr, "floe run: cannot start threads\n");
        return EXIT_BAD_INPUT;
    }
    while (!(a.writer_done && a.uploader_done)) {
        uint64_t now = floe_posix_clock.monotonic_ms(NULL);
        if (now - last_metrics >= a.cfg.metrics_interval_s * 1000u) {
            write_metrics(&a, 0);
            last_metrics = now;
        }
        if (a.writer_done < 0 || a.uploader_done < 0)
            stop_requested = 1;
        if (strcmp(a.cfg.source_dir, "-") == 0 && a.writer_done)
            stop_requested = 1; /* stdin ended: drain the uploads and stop */
        sleep_ms(100);
    }
    pthread_join(wt, NULL);
    pthread_join(ut, NULL);
    write_metrics(&a, 1);
    fprintf(stderr,
            "floe: stopped: %llu records, %llu dead letters, %llu files sealed, %llu uploaded (%llu retries), "
            "spool %llu bytes in %llu files\n",
            (unsigned long long)a.wstats.records_ok, (unsigned long long)a.wstats.dead_letters,
            (unsigned long long)a.wstats.files_sealed, (unsigned long long)a.ustats.uploads_ok,
            (unsigned long long)a.ustats.retries, (unsigned long long)a.spool_stats.bytes_used,
            (unsigned long long)a.spool_stats.files_ready);
    free(a.schema_text);
    if (a.upload_fatal || a.upload_failing)
        fprintf(stderr, "floe: uploads were failing at exit: %s\n", a.ustats.last_error);
    return a.writer_done < 0 || a.uploader_done < 0 || a.upload_fatal || a.upload_failing ? EXIT_BAD_INPUT : EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
    struct agent_config c;
    char *text;
    size_t len;
    static const char usage[] = "usage: floe stats --config FILE   (prints the agent's metrics file)\n";
    if ((argc >= 2 && strcmp(argv[1], "--help") == 0) || (argc >= 4 && strcmp(argv[3], "--help") == 0)) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc < 3 || strcmp(argv[1], "--config") != 0) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (agent_config_load(argv[2], &c, stderr) != 0)
        return EXIT_USAGE;
    if (c.metrics_file[0] == '\0') {
        fprintf(stderr, "floe stats: [metrics] file is not set in %s\n", argv[2]);
        return EXIT_USAGE;
    }
    text = cli_read_file(c.metrics_file, 1u << 20, &len);
    if (text == NULL) {
        fprintf(stderr, "floe stats: no metrics yet at %s (is the agent running?)\n", c.metrics_file);
        return EXIT_BAD_INPUT;
    }
    fwrite(text, 1, len, stdout);
    free(text);
    return EXIT_OK;
}
