/* Rolled Parquet files: naming, partitions, sealing (see floe/roll.h). */
#include "floe/roll.h"
#include "floe/crc32c.h"
#include "floe/utc.h"
#include "floe/ndjson.h" /* floe_utf8_prefix */
#include "core/internal.h"
#include "parquet/rowwin.h"

#define SOURCES_BYTES 1024u

/* FLOE_NO_SORT_WINDOW: no row windows, sort or late (a roll config asking
 * for one is refused), and none of their code in a firmware image. */
#ifdef FLOE_NO_SORT_WINDOW
#define SORTING(cfg) 0
#define HOLDS_LATE(cfg) 0
#else
#define SORTING(cfg) ((cfg)->sort_window_bytes != 0)
#define HOLDS_LATE(cfg) ((cfg)->late_window_bytes != 0 && (cfg)->partition_by != FLOE_PARTITION_NONE)
#endif
#define LATE_PARTITIONS 64u /* distinct partitions a late window holds */

struct floe_roll_state {
    const struct floe_roll_config *cfg;
    struct floe_parquet_sink sink;
    void *file;                 /* the fs port's file object */
    int open;
    int sink_err;               /* the first write error: the file is broken */
    int ts_col;                 /* -1: none */
    int ts_is_ms;
    struct floe_uuid7_gen uuids;
    uint8_t uuid[16];
    char partition[64];         /* the longest: both levels of Hive's default partition */
    int64_t part_start;         /* the open file's partition: a day or hour from here (us) */
    int part_null;              /* ... or the one of rows without a timestamp */
    char tmp_path[FLOE_ROLL_PATH_MAX];
    char final_path[FLOE_ROLL_PATH_MAX];
    char final_dir[FLOE_ROLL_PATH_MAX];
    char key[FLOE_ROLL_PATH_MAX];
    char first_source[128];
    char sources[SOURCES_BYTES]; /* JSON array of distinct source names */
    size_t sources_len;
    uint32_t n_sources;
    const char *last_source;    /* the last row's name, as given */
    uint32_t last_source_seq;
    uint32_t crc;
    struct floe_sha256 sha;
    uint64_t size;
    uint64_t rows;
    int64_t min_ts, max_ts;
    int has_ts;
    uint64_t opened_ms, last_row_ms;
    uint64_t rows_since_tick;
    struct floe_rowwin win;     /* with sort_window_bytes: rows held back */
    int64_t win_part_start;     /* the window's partition, as part_start */
    int win_part_null;
    uint64_t win_room;          /* row bounds the open file surely takes */
    uint64_t win_bound;         /* the window's rows' bounds */
    uint64_t win_bound_full;    /* ... when the last full window was written */
    uint64_t win_rows_left;     /* rows the file takes before file_rows */
    struct floe_rowwin *late;   /* with late_window_bytes: rows of other partitions */
    uint64_t current_since_late; /* rows for the open file since the late window's first */
    uint64_t went_on;           /* held rows of the partition the stream moves to (not late) */
};

/* The timestamp column: the configured one, or the schema's first; -1: none. */
static int ts_column_of(const struct floe_roll_config *cfg)
{
    const struct floe_schema *sc = cfg->parquet.schema;
    size_t i;
    if (cfg->ts_column >= 0)
        return cfg->ts_column;
    for (i = 0; i < sc->n_columns; i++)
        if (sc->columns[i].type == FLOE_TYPE_TIMESTAMP_MS || sc->columns[i].type == FLOE_TYPE_TIMESTAMP_US)
            return (int)i;
    return -1;
}

static int carve(struct floe_arena *a, const struct floe_roll_config *cfg, struct floe_roll_state **out,
                 struct floe_parquet *pq)
{
    struct floe_roll_state *st;
    void *p;
    FLOE_TRY(floe_arena_take(a, sizeof *st, 8, &p));
    st = (struct floe_roll_state *)p;
    FLOE_TRY(floe_arena_take(a, cfg->fs->file_size ? cfg->fs->file_size : 1u, 8, &p));
    if (st)
        st->file = p;
    if (st == NULL) {
        size_t n = floe_parquet_size(&cfg->parquet);
        if (n == 0)
            return FLOE_ERR_INVAL;
        FLOE_TRY(floe_arena_take(a, n, 8, &p));
    } else {
        FLOE_TRY(floe_parquet_setup(pq, &cfg->parquet, a));
    }
    if (SORTING(cfg)) {
        if (st == NULL) {
            size_t n = floe_rowwin_size(cfg->parquet.schema, cfg->sort_column, cfg->sort_window_bytes);
            if (n == 0)
                return FLOE_ERR_INVAL;
            FLOE_TRY(floe_arena_take(a, n, 8, &p));
        } else {
            FLOE_TRY(floe_rowwin_init(&st->win, a, cfg->parquet.schema, cfg->sort_column, cfg->sort_window_bytes));
        }
    }
    if (HOLDS_LATE(cfg)) {
        /* Keyed by the partition's start: the timestamp column's type. */
        int ts = ts_column_of(cfg);
        if (ts < 0)
            return FLOE_ERR_INVAL;
        FLOE_TRY(floe_arena_take(a, sizeof(struct floe_rowwin), 8, &p));
        if (st == NULL) {
            size_t n = floe_rowwin_size_keys(cfg->parquet.schema, (uint32_t)ts, cfg->late_window_bytes,
                                             LATE_PARTITIONS);
            if (n == 0)
                return FLOE_ERR_INVAL;
            FLOE_TRY(floe_arena_take(a, n, 8, &p));
        } else {
            st->late = (struct floe_rowwin *)p;
            FLOE_TRY(floe_rowwin_init_keys(st->late, a, cfg->parquet.schema, (uint32_t)ts, cfg->late_window_bytes,
                                           LATE_PARTITIONS));
        }
    }
    *out = st;
    return FLOE_OK;
}

/* a equals b (all lowercase) ignoring ASCII case. */
static int same_ignoring_case(const char *a, const char *lower)
{
    for (; *a != '\0' && *lower != '\0'; a++, lower++)
        if ((*a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a) != *lower)
            return 0;
    return *a == *lower;
}

const char *floe_roll_partition_clash(const struct floe_schema *sc, int partition_by)
{
    size_t i;
    if (sc == NULL || partition_by == FLOE_PARTITION_NONE)
        return NULL;
    for (i = 0; i < sc->n_columns; i++) {
        const char *name = sc->columns[i].name;
        if (same_ignoring_case(name, "dt") || (partition_by == FLOE_PARTITION_HOUR && same_ignoring_case(name, "hour")))
            return name;
    }
    return NULL;
}

static int config_ok(const struct floe_roll_config *cfg)
{
    const struct floe_schema *sc;
    if (cfg == NULL || cfg->dir == NULL || cfg->fs == NULL || cfg->clock == NULL || cfg->entropy == NULL)
        return 0;
    sc = cfg->parquet.schema;
    if (sc == NULL || cfg->partition_by > FLOE_PARTITION_HOUR || floe_roll_partition_clash(sc, cfg->partition_by))
        return 0;
#ifdef FLOE_NO_SORT_WINDOW
    if (cfg->sort_window_bytes != 0 || (cfg->late_window_bytes != 0 && cfg->partition_by != FLOE_PARTITION_NONE))
        return 0;
#endif
    if (cfg->ts_column >= 0 && ((size_t)cfg->ts_column >= sc->n_columns ||
                                (sc->columns[cfg->ts_column].type != FLOE_TYPE_TIMESTAMP_MS &&
                                 sc->columns[cfg->ts_column].type != FLOE_TYPE_TIMESTAMP_US)))
        return 0;
    return floe_strlen(cfg->dir) + 100 < FLOE_ROLL_PATH_MAX &&
           (cfg->tmp_dir == NULL || floe_strlen(cfg->tmp_dir) + 60 < FLOE_ROLL_PATH_MAX) &&
           (cfg->key_prefix == NULL || floe_strlen(cfg->key_prefix) + 100 < FLOE_ROLL_PATH_MAX);
}

size_t floe_roll_size(const struct floe_roll_config *cfg)
{
    struct floe_arena a;
    struct floe_roll_state *st;
    if (!config_ok(cfg))
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, cfg, &st, NULL) != FLOE_OK)
        return 0;
    return a.used;
}

void floe_roll_init(struct floe_roll *r)
{
    if (r != NULL)
        floe_memset(r, 0, sizeof *r);
}

static int sink_write(void *ctx, const void *data, size_t n)
{
    struct floe_roll *r = (struct floe_roll *)ctx;
    struct floe_roll_state *st = r->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    const uint8_t *p = (const uint8_t *)data;
    size_t left = n;
    if (st->sink_err != FLOE_OK)
        return st->sink_err;
    while (left > 0) {
        floe_ssize_t w = fs->write(fs->ctx, st->file, p, left);
        if (w <= 0) {
            /* Bytes of a short write before the failure are in the file:
             * the file is broken, and only aborting it is right. */
            st->sink_err = w < 0 ? (int)w : FLOE_ERR_IO; /* 0: a port that takes nothing would spin */
            return st->sink_err;
        }
        st->crc = floe_crc32c_update(st->crc, p, (size_t)w);
        floe_sha256_update(&st->sha, p, (size_t)w);
        st->size += (uint64_t)w;
        p += w;
        left -= (size_t)w;
    }
    return FLOE_OK;
}

int floe_roll_setup(struct floe_roll *r, const struct floe_roll_config *cfg, struct floe_arena *arena)
{
    struct floe_roll_state *st = NULL;
    size_t mark;
    int err;
    const struct floe_schema *sc;
    FLOE_FAIL_IF(r == NULL || arena == NULL || floe_arena_counting(arena), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(!config_ok(cfg), FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    floe_parquet_init(&r->pq);
    err = carve(arena, cfg, &st, &r->pq);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        return err;
    }
    st->cfg = cfg;
    st->sink.ctx = r;
    st->sink.write = sink_write;
    floe_uuid7_init(&st->uuids);
    sc = cfg->parquet.schema;
    st->ts_col = ts_column_of(cfg);
    if (st->ts_col < 0 && cfg->partition_by != FLOE_PARTITION_NONE) {
        floe_arena_rewind(arena, mark);
        return FLOE_ERR_INVAL; /* partitions need a timestamp column */
    }
    if (st->ts_col >= 0)
        st->ts_is_ms = sc->columns[st->ts_col].type == FLOE_TYPE_TIMESTAMP_MS;
    if (SORTING(cfg) && floe_parquet_sure_room(&r->pq) == 0) {
        /* Pages too big for the row groups: no window could be kept whole. */
        floe_arena_rewind(arena, mark);
        return FLOE_ERR_INVAL;
    }
    r->st = st;
    return FLOE_OK;
}

int floe_roll_is_open(const struct floe_roll *r)
{
    return r != NULL && r->st != NULL &&
           (r->st->open || (SORTING(r->st->cfg) && floe_rowwin_rows(&r->st->win) > 0) ||
            (HOLDS_LATE(r->st->cfg) && floe_rowwin_rows(r->st->late) > 0));
}

/* Milliseconds as microseconds, held within +-2^62 (a day's span still
 * adds to it without overflow): the decoder keeps epochs to years
 * 0000..9999, but rows may come from elsewhere. */
static int64_t ms_to_us(int64_t ms)
{
    const int64_t limit = (int64_t)1 << 62;
    if (ms > limit / 1000)
        return limit;
    if (ms < -(limit / 1000))
        return -limit;
    return ms * 1000;
}

/* The row's timestamp in microseconds; 0 when it has none. */
static int row_us(const struct floe_roll_state *st, const struct floe_row *row, int64_t *us)
{
    const struct floe_value *v = &row->values[st->ts_col];
    if (v->is_null)
        return 0;
    *us = st->ts_is_ms ? ms_to_us(v->v.i64) : v->v.i64;
    return 1;
}

/* A day or an hour of Unix time, which has no leap seconds: every
 * timestamp in [start, start + span) has the same partition name. */
static int64_t partition_span(const struct floe_roll_state *st)
{
    return st->cfg->partition_by == FLOE_PARTITION_DAY ? 86400000000LL : 3600000000LL;
}

/* The row's partition as a span, so that later rows are placed by two
 * comparisons instead of formatting their partition name. */
static void span_of(const struct floe_roll_state *st, const struct floe_row *row, int64_t *start, int *null)
{
    int64_t us = 0, span, rem;
    *start = 0;
    *null = 0;
    if (st->cfg->partition_by == FLOE_PARTITION_NONE)
        return;
    *null = !row_us(st, row, &us);
    span = partition_span(st);
    rem = us % span;
    *start = us - (rem < 0 ? rem + span : rem);
}

static int in_span(const struct floe_roll_state *st, const struct floe_row *row, int64_t start, int null)
{
    int64_t us;
    if (st->cfg->partition_by == FLOE_PARTITION_NONE)
        return 1;
    if (!row_us(st, row, &us))
        return null;
    return !null && us >= start && us - start < partition_span(st);
}

/* The row's partition, e.g. "dt=2026-11-21/hour=9" (empty when none), in
 * UTC. A row without a timestamp goes to Hive's default partition, at every
 * level, so a reader finds the same keys in every path. Years 0 to 9999 have
 * four digits, so dt reads as a DATE; the hour has no leading zero, so it
 * reads as an integer (DuckDB types "09" as text: it casts only values
 * whose text comes back the same). */
static void partition_of(const struct floe_roll_state *st, const struct floe_row *row, char *out, size_t cap)
{
    struct floe_civil c;
    char year[16];
    size_t n;
    int64_t us;
    out[0] = '\0';
    if (st->cfg->partition_by == FLOE_PARTITION_NONE)
        return;
    if (!row_us(st, row, &us)) {
        floe_format(out, cap, st->cfg->partition_by == FLOE_PARTITION_DAY
                                  ? "dt=__HIVE_DEFAULT_PARTITION__"
                                  : "dt=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__");
        return;
    }
    floe_utc_civil(us, &c);
    if (c.year >= 0 && c.year <= 9999)
        floe_format(year, sizeof year, "%c%c%c%c", '0' + c.year / 1000, '0' + c.year / 100 % 10,
                    '0' + c.year / 10 % 10, '0' + c.year % 10);
    else
        floe_format(year, sizeof year, "%d", c.year);
    n = floe_format(out, cap, "dt=%s-%c%c-%c%c", year, '0' + c.month / 10, '0' + c.month % 10, '0' + c.day / 10,
                    '0' + c.day % 10);
    if (st->cfg->partition_by == FLOE_PARTITION_HOUR)
        floe_format(out + n, cap - n, "/hour=%d", c.hour);
}

/* Whether the JSON string at list[at] (its opening quote) is src escaped. */
static int listed_as(const char *list, size_t at, size_t end, const char *src, size_t n, int utf8)
{
    size_t i, pos = at + 1u;
    for (i = 0; i < n; i++) {
        char e[6];
        size_t k = floe_json_escape_byte((unsigned char)src[i], utf8, e);
        if (k == 0) {
            e[0] = src[i];
            k = 1;
        }
        if (pos + k > end || floe_memcmp(list + pos, e, k) != 0)
            return 0;
        pos += k;
    }
    return pos < end && list[pos] == '"' && (pos + 1u == end || list[pos + 1u] == ',');
}

static void note_source(struct floe_roll_state *st, const struct floe_row *row)
{
    const char *src = row->source;
    size_t n, i, len;
    int utf8;
    if (src == NULL || (src == st->last_source && row->source_seq == st->last_source_seq))
        return;
    st->last_source = src;
    st->last_source_seq = row->source_seq;
    n = floe_strlen(src);
    if (st->n_sources == 0)
        floe_format(st->first_source, sizeof st->first_source, "%s", src);
    /* Distinct names as JSON strings (any bytes: a file name need not be
     * UTF-8, and the footer's text must be), as long as they fit: the
     * footer stays bounded. */
    utf8 = floe_utf8_prefix(src, n) == n;
    /* Names escape with no bare quote or comma, so a quote after '[' or ','
     * starts a name: sorted rows may come back to one already listed. */
    for (i = 1; i < st->sources_len; i++)
        if (st->sources[i] == '"' && (st->sources[i - 1u] == '[' || st->sources[i - 1u] == ',') &&
            listed_as(st->sources, i, st->sources_len, src, n, utf8))
            return;
    len = st->sources_len + 1u; /* '[' or ',' */
    for (i = 0; i < n && len < SOURCES_BYTES; i++) {
        char e[6];
        size_t k = floe_json_escape_byte((unsigned char)src[i], utf8, e);
        len += k ? k : 1u;
    }
    if (len + 4u > SOURCES_BYTES) /* the quotes, "]" and the NUL */
        return;
    st->sources[st->sources_len++] = st->n_sources ? ',' : '[';
    st->sources[st->sources_len++] = '"';
    for (i = 0; i < n; i++) {
        size_t k = floe_json_escape_byte((unsigned char)src[i], utf8, st->sources + st->sources_len);
        if (k == 0)
            st->sources[st->sources_len++] = src[i];
        st->sources_len += k;
    }
    st->sources[st->sources_len++] = '"';
    st->sources[st->sources_len] = '\0';
    st->n_sources++;
}

static int open_file(struct floe_roll *r, const char *partition)
{
    struct floe_roll_state *st = r->st;
    const struct floe_roll_config *cfg = st->cfg;
    const struct floe_fs_port *fs = cfg->fs;
    char name[FLOE_UUID_STR_LEN + 1];
    int64_t now = cfg->clock->utc_ms(cfg->clock->ctx);
    const char *tmp_dir = cfg->tmp_dir ? cfg->tmp_dir : cfg->dir;
    int err;
    if (cfg->before_open != NULL)
        FLOE_TRY(cfg->before_open(cfg->cb_ctx));
    FLOE_TRY(floe_uuid7_next(&st->uuids, now < 0 ? 0 : now, cfg->entropy, st->uuid));
    floe_uuid_format(st->uuid, name);
    floe_format(st->partition, sizeof st->partition, "%s", partition);
    floe_format(st->tmp_path, sizeof st->tmp_path, "%s/%s.parquet.tmp", tmp_dir, name);
    if (partition[0] != '\0') {
        floe_format(st->final_dir, sizeof st->final_dir, "%s/%s", cfg->dir, partition);
        floe_format(st->key, sizeof st->key, "%s%s/%s.parquet", cfg->key_prefix ? cfg->key_prefix : "", partition,
                    name);
    } else {
        floe_format(st->final_dir, sizeof st->final_dir, "%s", cfg->dir);
        floe_format(st->key, sizeof st->key, "%s%s.parquet", cfg->key_prefix ? cfg->key_prefix : "", name);
    }
    floe_format(st->final_path, sizeof st->final_path, "%s/%s.parquet", st->final_dir, name);
    FLOE_TRY(fs->open(fs->ctx, st->file, st->tmp_path, FLOE_FS_WRITE | FLOE_FS_TRUNC | FLOE_FS_EXCL));
    st->open = 1;
    st->sink_err = FLOE_OK;
    st->crc = 0;
    floe_sha256_init(&st->sha);
    st->size = 0;
    st->rows = 0;
    st->has_ts = 0;
    st->sources_len = 0;
    st->n_sources = 0;
    st->last_source = NULL;
    st->first_source[0] = '\0';
    /* A late row held since before the file keeps its age: the file is
     * sealed (and the row with it) as old as the row. */
    if (!(HOLDS_LATE(cfg) && floe_rowwin_rows(st->late) > 0))
        st->opened_ms = cfg->clock->monotonic_ms(cfg->clock->ctx);
    st->last_row_ms = cfg->clock->monotonic_ms(cfg->clock->ctx);
    st->rows_since_tick = 0;
    err = floe_parquet_open(&r->pq, &st->sink);
    if (err != FLOE_OK)
        floe_roll_abort(r);
    return err;
}

/* Removes the open file, if any; rows held in windows stay. */
static void abort_file(struct floe_roll *r)
{
    struct floe_roll_state *st = r->st;
    if (!st->open)
        return;
    st->cfg->fs->close(st->cfg->fs->ctx, st->file);
    st->cfg->fs->remove(st->cfg->fs->ctx, st->tmp_path);
    floe_parquet_abort(&r->pq);
    st->open = 0;
}

void floe_roll_abort(struct floe_roll *r)
{
    struct floe_roll_state *st;
    if (r == NULL || r->st == NULL)
        return;
    st = r->st;
    if (SORTING(st->cfg))
        floe_rowwin_clear(&st->win);
    if (HOLDS_LATE(st->cfg))
        floe_rowwin_clear(st->late);
    abort_file(r);
}

static void fill_facts(struct floe_roll_state *st, struct floe_file_facts *facts);

/* Seals the open file; with continues, more files of its commit group
 * follow (floe_file_facts.continues). */
static int seal_one(struct floe_roll *r, int continues)
{
    struct floe_roll_state *st = r->st;
    const struct floe_fs_port *fs;
    struct floe_file_facts facts;
    int err;
    if (!st->open)
        return FLOE_OK;
    fs = st->cfg->fs;
    if (st->sink_err != FLOE_OK) {
        err = st->sink_err;
        floe_roll_abort(r); /* never seal a file a write failed in */
        return err;
    }
    if (st->rows == 0) {
        abort_file(r); /* its only row was refused: nothing to publish (late rows held stay) */
        return FLOE_OK;
    }
    if (st->n_sources > 0 && st->sources_len + 2 <= SOURCES_BYTES) {
        st->sources[st->sources_len] = ']';
        st->sources[st->sources_len + 1] = '\0';
        floe_parquet_add_kv(&r->pq, "floe.sources", st->sources);
    }
    err = floe_parquet_close(&r->pq);
    /* Durable before visible: the data reaches the disk, then the name. */
    if (err == FLOE_OK)
        err = fs->sync(fs->ctx, st->file);
    {
        int cerr = fs->close(fs->ctx, st->file);
        if (err == FLOE_OK)
            err = cerr;
    }
    st->open = 0;
    fill_facts(st, &facts);
    facts.continues = continues;
    if (err == FLOE_OK && st->cfg->commit != NULL) {
        facts.path = st->tmp_path;
        err = st->cfg->commit(st->cfg->cb_ctx, &facts);
    } else if (err == FLOE_OK) {
        err = floe_fs_make_dirs(fs, st->final_dir, floe_strlen(st->cfg->dir));
        if (err == FLOE_OK)
            err = fs->rename(fs->ctx, st->tmp_path, st->final_path);
        if (err == FLOE_OK)
            err = fs->sync_dir(fs->ctx, st->final_dir);
    }
    if (err != FLOE_OK) {
        fs->remove(fs->ctx, st->tmp_path);
        FLOE_LOG_ERROR(st->cfg->log, "sealing %s failed: %s", st->tmp_path, floe_strerror(err));
        return err;
    }
    r->files_sealed++;
    r->bytes_sealed += st->size;
    FLOE_LOG_INFO(st->cfg->log, "sealed %s (%llu records, %llu bytes)", st->final_path,
                  (unsigned long long)st->rows, (unsigned long long)st->size);
    if (st->cfg->on_file != NULL)
        return st->cfg->on_file(st->cfg->cb_ctx, &facts);
    return FLOE_OK;
}

static void fill_facts(struct floe_roll_state *st, struct floe_file_facts *facts)
{
    facts->path = st->final_path;
    facts->object_key = st->key;
    facts->partition = st->partition;
    facts->source = st->first_source;
    floe_memcpy(facts->uuid, st->uuid, 16);
    facts->size = st->size;
    facts->records = st->rows;
    facts->has_ts = st->has_ts;
    facts->min_ts = st->has_ts ? (st->ts_is_ms ? ms_to_us(st->min_ts) : st->min_ts) : 0;
    facts->max_ts = st->has_ts ? (st->ts_is_ms ? ms_to_us(st->max_ts) : st->max_ts) : 0;
    facts->crc32c = st->crc;
    floe_sha256_final(&st->sha, facts->sha256);
}

static int file_is_full(const struct floe_roll *r)
{
    const struct floe_roll_state *st = r->st;
    uint64_t limit = st->cfg->file_bytes ? st->cfg->file_bytes : FLOE_ROLL_DEFAULT_FILE_BYTES;
    if (st->cfg->file_rows != 0 && st->rows >= st->cfg->file_rows)
        return 1;
    return r->pq.stats.bytes + floe_parquet_pending_bytes(&r->pq) >= limit;
}

/* Counts a row the open file took. */
static void took_row(struct floe_roll *r, const struct floe_row *row)
{
    struct floe_roll_state *st = r->st;
    st->rows++;
    r->rows_written++;
    note_source(st, row);
    if (st->ts_col >= 0 && !row->values[st->ts_col].is_null) {
        int64_t ts = row->values[st->ts_col].v.i64;
        if (!st->has_ts || ts < st->min_ts)
            st->min_ts = ts;
        if (!st->has_ts || ts > st->max_ts)
            st->max_ts = ts;
        st->has_ts = 1;
    }
    st->rows_since_tick++;
}

/* A write failed (a full disk, an I/O error): the file is torn. The
 * caller rewinds to its last commit and tries again later. */
static int torn(struct floe_roll *r)
{
    int err = r->st->sink_err;
    floe_roll_abort(r);
    return err;
}

#ifndef FLOE_NO_SORT_WINDOW
/* One held late row into its partition's file, sealing the one before as a
 * part of the group when the partition changes or it is full. The row was
 * checked when it came: a refusal now is the roller's fault, not the row's. */
static int write_late_row(struct floe_roll *r, const struct floe_row *row)
{
    struct floe_roll_state *st = r->st;
    char partition[sizeof st->partition];
    int err;
    if (st->open && (!in_span(st, row, st->part_start, st->part_null) || file_is_full(r)))
        FLOE_TRY(seal_one(r, 1));
    if (!st->open) {
        partition_of(st, row, partition, sizeof partition);
        FLOE_TRY(open_file(r, partition));
        span_of(st, row, &st->part_start, &st->part_null);
    }
    err = floe_parquet_write_row(&r->pq, row->values);
    if (err == FLOE_PARQUET_FILE_FULL) {
        floe_memcpy(partition, st->partition, sizeof partition);
        FLOE_TRY(seal_one(r, 1));
        FLOE_TRY(open_file(r, partition));
        err = floe_parquet_write_row(&r->pq, row->values);
    }
    if (st->sink_err != FLOE_OK)
        return torn(r);
    if (err != FLOE_OK)
        return err == FLOE_ERR_LIMIT || err == FLOE_PARQUET_FILE_FULL ? FLOE_ERR_STATE : err;
    took_row(r, row);
    return FLOE_OK;
}

/* The held rows, a file per partition, oldest partition first; the last
 * file ends the commit group. */
static int write_late(struct floe_roll *r)
{
    struct floe_roll_state *st = r->st;
    uint32_t i, n = floe_rowwin_rows(st->late);
    int err = FLOE_OK;
    floe_rowwin_sort(st->late);
    st->last_source = NULL; /* the window's names are its own */
    for (i = 0; i < n && err == FLOE_OK; i++) {
        struct floe_row row;
        floe_rowwin_get(st->late, i, &row);
        err = write_late_row(r, &row);
    }
    floe_rowwin_clear(st->late);
    if (err == FLOE_OK) {
        /* Counted before the group's commit, so that its snapshot has them
         * (the counter never goes down); rows of the partition the stream
         * moved to waited for it to move, and were not late. */
        r->rows_late += n - (st->went_on < n ? st->went_on : n);
        err = seal_one(r, 0);
    }
    if (err != FLOE_OK) {
        floe_roll_abort(r); /* the caller rewinds: these rows are given again */
        if (err != FLOE_ERR_AGAIN) /* a full spool under the block policy: back-pressure, not a fault */
            FLOE_LOG_ERROR(st->cfg->log, "writing late rows failed: %s", floe_strerror(err));
    }
    return err;
}
#endif

/* Seals the open file. Rows held as late are written then, to files of
 * their own partitions, and all of them form one commit group: the open
 * file and all but the last late file go with continues set, so that a
 * spool commits every row given so far at once, or none of them. */
static int seal_file(struct floe_roll *r)
{
#ifndef FLOE_NO_SORT_WINDOW
    if (HOLDS_LATE(r->st->cfg) && floe_rowwin_rows(r->st->late) > 0) {
        FLOE_TRY(seal_one(r, 1));
        return write_late(r);
    }
#endif
    return seal_one(r, 0);
}

/* Seals the open file if the row cannot go into it (another partition, the
 * file big enough), then opens one for the row if none is open. */
static int file_for(struct floe_roll *r, const struct floe_row *row, int more)
{
    struct floe_roll_state *st = r->st;
    char partition[sizeof st->partition];
    if (!st->open || !in_span(st, row, st->part_start, st->part_null) || file_is_full(r) || more) {
        /* A row the writer would refuse neither closes nor opens a file. */
        FLOE_TRY(floe_parquet_check_row(&r->pq, row->values));
        if (st->open) /* with none open, late rows held stay held */
            FLOE_TRY(seal_file(r));
    }
    if (!st->open) {
        partition_of(st, row, partition, sizeof partition);
        FLOE_TRY(open_file(r, partition));
        span_of(st, row, &st->part_start, &st->part_null);
    }
    return FLOE_OK;
}

/* The row into the open file, sealing and opening files as needed. */
static int write_now(struct floe_roll *r, const struct floe_row *row)
{
    struct floe_roll_state *st = r->st;
    char partition[sizeof st->partition];
    int err;
    FLOE_TRY(file_for(r, row, 0));
    err = floe_parquet_write_row(&r->pq, row->values);
    if (err == FLOE_PARQUET_FILE_FULL) {
        /* The file used all its row groups: the row opens the next one, in
         * the same partition (late rows sealed with it moved the span). */
        int64_t start = st->part_start;
        int null = st->part_null;
        floe_memcpy(partition, st->partition, sizeof partition);
        FLOE_TRY(seal_file(r));
        FLOE_TRY(open_file(r, partition));
        st->part_start = start;
        st->part_null = null;
        err = floe_parquet_write_row(&r->pq, row->values);
        if (err == FLOE_PARQUET_FILE_FULL)
            err = FLOE_ERR_LIMIT; /* not even a fresh file takes it */
    }
    if (st->sink_err != FLOE_OK)
        return torn(r);
    if (err != FLOE_OK)
        return err;
    took_row(r, row);
    return FLOE_OK;
}

/* Writes the window's rows, grouped, into the open file. It never seals:
 * the window began where the file had room for all of it (same partition,
 * rows and row groups to spare), so that every seal falls between windows,
 * where each row given so far is in a file, as without a window. A row
 * the window holds was checked when it came; were one refused now, the
 * file is aborted (the caller rewinds) rather than the caller told to
 * dead-letter the row it is giving. */
static int flush_window(struct floe_roll *r)
{
    struct floe_roll_state *st = r->st;
    uint32_t i, n;
    int err = FLOE_OK;
    if (!SORTING(st->cfg) || floe_rowwin_rows(&st->win) == 0)
        return FLOE_OK;
    n = floe_rowwin_rows(&st->win);
    floe_rowwin_sort(&st->win);
    st->last_source = NULL; /* the window's names are its own */
    for (i = 0; i < n && err == FLOE_OK; i++) {
        struct floe_row row;
        floe_rowwin_get(&st->win, i, &row);
        err = st->open ? floe_parquet_write_row(&r->pq, row.values) : FLOE_ERR_STATE;
        if (err == FLOE_PARQUET_FILE_FULL)
            err = FLOE_ERR_STATE; /* floe_parquet_sure_room() rules it out */
        if (st->open && st->sink_err != FLOE_OK)
            err = st->sink_err;
        if (err == FLOE_OK)
            took_row(r, &row);
    }
    floe_rowwin_clear(&st->win);
    st->win_bound = 0;
    if (err != FLOE_OK) {
        int torn_file = st->open && st->sink_err != FLOE_OK; /* a full disk: the caller's retry says so */
        floe_roll_abort(r);
        if (torn_file)
            return err;
        FLOE_LOG_ERROR(st->cfg->log, "writing a sort window failed: %s", floe_strerror(err));
        return FLOE_ERR_STATE;
    }
    return FLOE_OK;
}

/* A window begins with this row: every row given before it is in the open
 * file, so a seal here is a seal before the row, as without a window. The
 * file is sealed first if it could not take a window about as big as the
 * last full one; the window then ends before it outgrows what the file
 * surely takes (floe_parquet_sure_room) or the rows it has left. */
static int start_window(struct floe_roll *r, const struct floe_row *row, size_t bound)
{
    struct floe_roll_state *st = r->st;
    uint64_t room = st->open ? floe_parquet_sure_room(&r->pq) : 0;
    int err;
    FLOE_TRY(file_for(r, row, st->open && room < st->win_bound_full / 2u));
    room = floe_parquet_sure_room(&r->pq);
    if (bound > room)
        return write_now(r, row); /* no guarantee for it: on its own */
    err = floe_rowwin_add(&st->win, row);
    if (err == FLOE_ERR_LIMIT)
        return write_now(r, row); /* bigger than the window: on its own */
    if (err != FLOE_OK)
        return err == FLOE_ROWWIN_FULL ? FLOE_ERR_STATE : err; /* an empty window takes any row that fits it */
    span_of(st, row, &st->win_part_start, &st->win_part_null);
    st->rows_since_tick++;
    st->win_room = room;
    st->win_bound = bound;
    st->win_rows_left = st->cfg->file_rows != 0 ? st->cfg->file_rows - st->rows - 1u : UINT64_MAX;
    return FLOE_OK;
}

#ifndef FLOE_NO_SORT_WINDOW
/* A row of another partition than the open file's: data that arrives
 * late, from a device whose clock is behind or ahead, or without a
 * timestamp beside rows with one. Following such a row (a file for it)
 * would make a file per switch while devices disagree; the stream moves
 * to another partition only when the rows say so (hold_late). */
static int is_late(const struct floe_roll_state *st, const struct floe_row *row)
{
    return HOLDS_LATE(st->cfg) && st->open && !in_span(st, row, st->part_start, st->part_null);
}

static int write_current(struct floe_roll *r, const struct floe_row *row);

/* Held rows of row's partition. */
static uint64_t held_in_span_of(const struct floe_roll_state *st, const struct floe_row *row)
{
    uint32_t i, n = floe_rowwin_rows(st->late);
    uint64_t count = 0;
    int64_t start;
    int null;
    span_of(st, row, &start, &null);
    for (i = 0; i < n; i++) {
        struct floe_row held;
        floe_rowwin_get(st->late, i, &held);
        count += (uint64_t)in_span(st, &held, start, null);
    }
    return count;
}

/* Holds a late row until the open file is sealed, instead of sealing it for
 * the row (rows alternating between partitions would make a file each). */
static int hold_late(struct floe_roll *r, const struct floe_row *row)
{
    struct floe_roll_state *st = r->st;
    struct floe_value key;
    int err;
    FLOE_TRY(floe_parquet_check_row(&r->pq, row->values));
    floe_memset(&key, 0, sizeof key);
    span_of(st, row, &key.v.i64, &err);
    key.is_null = (uint8_t)err;
    if (floe_rowwin_rows(st->late) == 0)
        st->current_since_late = 0;
    err = floe_rowwin_add_keyed(st->late, row, &key);
    if (err == FLOE_ROWWIN_FULL) {
        /* Sealed together with the open file. When the window filled with
         * hardly a row for the open file meanwhile, the stream has moved
         * (the next hour began, a backlog is read after live data): the row
         * then opens the next file, which the rows after it fill (held, it
         * would end up a file of one row), and the held rows of its
         * partition, which waited for the stream to move, are not counted
         * as late. Otherwise the row starts the next window. (Carrying the
         * held rows into that next file would save a file per move, but the
         * commit group would then stay open, and the sealed file unuploaded,
         * until that file is sealed in turn.) */
        if (st->current_since_late < floe_rowwin_rows(st->late) / 8u) {
            st->went_on = held_in_span_of(st, row);
            err = floe_roll_seal(r);
            st->went_on = 0;
            FLOE_TRY(err);
            return write_current(r, row);
        }
        FLOE_TRY(floe_roll_seal(r));
        err = floe_rowwin_add_keyed(st->late, row, &key);
    }
    if (err == FLOE_ERR_LIMIT) {
        FLOE_TRY(floe_roll_seal(r)); /* bigger than the window: on its own */
        return write_now(r, row);
    }
    if (err != FLOE_OK)
        return err == FLOE_ROWWIN_FULL ? FLOE_ERR_STATE : err; /* an empty window takes any row that fits it */
    if (!st->open && floe_rowwin_rows(st->late) == 1u) {
        /* Held with no file open: the age and idle limits count from here. */
        st->opened_ms = st->cfg->clock->monotonic_ms(st->cfg->clock->ctx);
        st->last_row_ms = st->opened_ms;
    }
    st->rows_since_tick++;
    return FLOE_OK;
}
#endif

/* A row for the open file (or one it opens): through the sort window, if
 * there is one. */
static int write_current(struct floe_roll *r, const struct floe_row *row)
{
    struct floe_roll_state *st = r->st;
    size_t bound;
    int err;
    if (!SORTING(st->cfg))
        return write_now(r, row);
    FLOE_TRY(floe_parquet_check_row(&r->pq, row->values));
    bound = floe_parquet_row_bound(&r->pq, row->values);
    if (floe_rowwin_rows(&st->win) > 0) {
        /* A window holds one partition, and what its file surely takes. */
        err = FLOE_ROWWIN_FULL;
        if (in_span(st, row, st->win_part_start, st->win_part_null) && st->win_rows_left > 0 &&
            st->win_bound + bound <= st->win_room)
            err = floe_rowwin_add(&st->win, row);
        if (err == FLOE_OK) {
            st->win_bound += bound;
            st->win_rows_left--;
            st->rows_since_tick++; /* a row held is not idleness */
            return FLOE_OK;
        }
        if (err != FLOE_ROWWIN_FULL && err != FLOE_ERR_LIMIT)
            return err;
        if (in_span(st, row, st->win_part_start, st->win_part_null))
            st->win_bound_full = st->win_bound; /* full, not cut by a new partition */
        FLOE_TRY(flush_window(r));
    }
    return start_window(r, row, bound);
}

int floe_roll_write(struct floe_roll *r, const struct floe_row *row)
{
    FLOE_FAIL_IF(r == NULL || r->st == NULL || row == NULL, FLOE_ERR_INVAL);
#ifndef FLOE_NO_SORT_WINDOW
    if (HOLDS_LATE(r->st->cfg)) {
        struct floe_roll_state *st = r->st;
        if (is_late(st, row))
            return hold_late(r, row);
        if (floe_rowwin_rows(st->late) > 0)
            st->current_since_late++;
    }
#endif
    return write_current(r, row);
}

int floe_roll_seal(struct floe_roll *r)
{
    FLOE_FAIL_IF(r == NULL || r->st == NULL, FLOE_ERR_INVAL);
    FLOE_TRY(flush_window(r));
    return seal_file(r);
}

int floe_roll_tick(struct floe_roll *r)
{
    struct floe_roll_state *st;
    uint64_t now;
    FLOE_FAIL_IF(r == NULL || r->st == NULL, FLOE_ERR_INVAL);
    st = r->st;
    if (!floe_roll_is_open(r))
        return FLOE_OK;
    now = st->cfg->clock->monotonic_ms(st->cfg->clock->ctx);
    /* Rows arrived since the last tick: the file is not idle. Reading the
     * clock here instead of per row keeps the clock off the hot path. */
    if (st->rows_since_tick != 0) {
        st->last_row_ms = now;
        st->rows_since_tick = 0;
    }
    if ((st->cfg->max_age_ms != 0 && now - st->opened_ms >= st->cfg->max_age_ms) ||
        (st->cfg->idle_ms != 0 && now - st->last_row_ms >= st->cfg->idle_ms))
        return floe_roll_seal(r);
    return FLOE_OK;
}
