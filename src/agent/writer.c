/* The writer loop: decoder -> rolled Parquet files -> spool batches. */
#include "floe/writer.h"
#include "core/internal.h"

struct floe_writer_state {
    struct floe_writer_config *cfg;
    struct floe_writer *w;
    struct floe_spool_position pending; /* what a commit made now would cover */
    uint32_t source_index;
    char source[FLOE_SPOOL_SOURCE_MAX]; /* a copy: the caller's name may not outlive the source */
    int in_source;
    int source_done;
    int failed;          /* a port error: only rewind helps */
    uint64_t uncommitted; /* records (rows, dead letters) since the last commit */
    struct floe_writer_stats at_commit; /* the stats as the last commit left them */
    uint64_t last_file_bytes; /* what the next file is expected to take */
    uint64_t part_files, part_bytes; /* parts of the open group: counted when it ends */
    uint64_t part_max;               /* ... and the largest of them */
    uint64_t late_seen; /* the roll's rows_late, as far as stats.rows_late has it */
};

/* stats.rows_late follows the roll's count, which grows as a group is
 * sealed, inside a row's call: synced before each commit's snapshot too. */
static void sync_rows_late(struct floe_writer_state *st)
{
    struct floe_writer *w = st->w;
    w->stats.rows_late += w->roll.rows_late - st->late_seen;
    st->late_seen = w->roll.rows_late;
}

static void set_pending(struct floe_writer_state *st, uint64_t offset, uint64_t line, int done)
{
    struct floe_spool_position *p = &st->pending;
    p->source_index = st->source_index;
    floe_format(p->source, sizeof p->source, "%s", st->source);
    p->offset = offset;
    p->line = line;
    p->source_done = done;
    {
        struct floe_spool_position committed;
        floe_spool_position(&st->w->spool, &committed);
        p->records = committed.records + st->uncommitted;
    }
}

/* A commit took every record so far: none of them is read again. */
static void note_commit(struct floe_writer_state *st)
{
    sync_rows_late(st);
    st->uncommitted = 0;
    st->at_commit = st->w->stats;
}

/* The roll sealed a file: commit it with the dead letters before it. */
static int commit_file(void *ctx, const struct floe_file_facts *facts)
{
    struct floe_writer_state *st = (struct floe_writer_state *)ctx;
    struct floe_writer *w = st->w;
    int err;
    /* A file of a group that more follow commits without a position: the
     * group's last file carries it, and the dead letters. */
    err = facts->continues ? floe_spool_commit_part(&w->spool, facts) : floe_spool_commit(&w->spool, facts, &st->pending);
    if (err == FLOE_OK) {
        const struct floe_hooks *h = st->cfg->hooks;
        if (h != NULL && h->file_sealed != NULL)
            h->file_sealed(h->ctx, facts);
        st->part_files++;
        st->part_bytes += facts->size;
        if (facts->size > st->part_max)
            st->part_max = facts->size;
        if (!facts->continues) {
            /* The next file is expected as big as the group's largest (its
             * last file holds late rows, usually the smallest). */
            st->last_file_bytes = st->part_max;
            st->part_max = 0;
            /* A rewind removes a group's parts: its files count once it ends. */
            w->stats.files_sealed += st->part_files;
            w->stats.bytes_out += st->part_bytes;
            st->part_files = 0;
            st->part_bytes = 0;
            note_commit(st);
        }
    }
    return err;
}

/* A new Parquet file is about to start: the spool must have room for one as
 * big as the last (the row-group budget before the first). */
static int before_open(void *ctx)
{
    struct floe_writer_state *st = (struct floe_writer_state *)ctx;
    uint64_t expect = st->last_file_bytes;
    if (expect == 0)
        expect = st->cfg->roll.parquet.row_group_bytes ? st->cfg->roll.parquet.row_group_bytes
                                                       : FLOE_PARQUET_DEFAULT_ROW_GROUP_BYTES;
    return floe_spool_reserve(&st->w->spool, expect);
}

static int on_row(void *ctx, const struct floe_row *row)
{
    struct floe_writer_state *st = (struct floe_writer_state *)ctx;
    struct floe_writer *w = st->w;
    int err;
    /* If the roll seals a file before this row, the batch ends just before it. */
    set_pending(st, row->offset, row->line - 1u, 0);
    err = floe_roll_write(&w->roll, row);
    sync_rows_late(st);
    if (err == FLOE_ERR_LIMIT) {
        /* A value or row too big for the Parquet writer: a dead letter. */
        floe_format(row->reject_reason, row->reject_reason_size, "%s", floe_parquet_reject_reason(&w->roll.pq));
        return FLOE_ROW_REJECT;
    }
    if (err == FLOE_OK) {
        w->stats.records_ok++;
        st->uncommitted++;
    }
    return err;
}

/* The open batch's dead letters reached their limit: the batch ends before
 * this line (with the Parquet file, if one is open), so an all-bad stream
 * makes bounded batches that the quota sees, like any other. */
static int end_batch_before(struct floe_writer_state *st, const struct floe_dead_letter *dl)
{
    struct floe_writer *w = st->w;
    int err;
    set_pending(st, dl->offset, dl->line - 1u, 0);
    if (floe_roll_is_open(&w->roll))
        return floe_roll_seal(&w->roll); /* commits through commit_file */
    err = floe_spool_commit(&w->spool, NULL, &st->pending);
    if (err == FLOE_OK)
        note_commit(st);
    return err;
}

static int on_dead_letter(void *ctx, const struct floe_dead_letter *dl)
{
    struct floe_writer_state *st = (struct floe_writer_state *)ctx;
    struct floe_writer *w = st->w;
    int err;
    if (floe_spool_dead_pending(&w->spool) >= floe_spool_dead_limit(&w->spool))
        FLOE_TRY(end_batch_before(st, dl));
    /* A new dead-letter file takes room like a Parquet file does. */
    if (floe_spool_dead_pending(&w->spool) == 0)
        FLOE_TRY(floe_spool_reserve(&w->spool, floe_spool_dead_limit(&w->spool)));
    err = floe_spool_dead_letter(&w->spool, dl);
    if (err == FLOE_OK) {
        const struct floe_hooks *h = st->cfg->hooks;
        if (h != NULL && h->dead_letter != NULL)
            h->dead_letter(h->ctx, dl);
        st->uncommitted++;
        w->stats.dead_letters++;
        if (dl->reason > 0 && dl->reason < FLOE_DL__COUNT)
            w->stats.dead_by_reason[dl->reason]++;
    }
    return err;
}

static int carve(struct floe_arena *a, struct floe_writer_state **out)
{
    void *p;
    FLOE_TRY(floe_arena_take(a, sizeof(struct floe_writer_state), 8, &p));
    *out = (struct floe_writer_state *)p;
    return FLOE_OK;
}

size_t floe_writer_size(const struct floe_writer_config *cfg)
{
    struct floe_arena a;
    struct floe_writer_state *st;
    size_t d, r, s;
    struct floe_roll_config rc;
    if (cfg == NULL)
        return 0;
    rc = cfg->roll;
    rc.dir = cfg->spool.dir; /* as setup will set it */
    d = floe_ndjson_size(&cfg->ndjson);
    r = floe_roll_size(&rc);
    s = floe_spool_size(&cfg->spool);
    if (d == 0 || r == 0 || s == 0)
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, &st) != FLOE_OK)
        return 0;
    /* Each module's piece starts 8-aligned: allow the padding. */
    return a.used + d + r + s + 32u;
}

void floe_writer_init(struct floe_writer *w)
{
    if (w != NULL)
        floe_memset(w, 0, sizeof *w);
}

int floe_writer_setup(struct floe_writer *w, struct floe_writer_config *cfg, struct floe_arena *arena)
{
    struct floe_writer_state *st;
    size_t mark;
    int err;
    FLOE_FAIL_IF(w == NULL || cfg == NULL || arena == NULL || floe_arena_counting(arena), FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    FLOE_TRY(carve(arena, &st));
    floe_memset(st, 0, sizeof *st);
    st->cfg = cfg;
    st->w = w;
    w->st = st;
    cfg->ndjson.on_row = on_row;
    cfg->ndjson.on_dead_letter = on_dead_letter;
    cfg->ndjson.cb_ctx = st;
    cfg->spool.role = FLOE_SPOOL_WRITER;
    if (cfg->spool.hooks == NULL)
        cfg->spool.hooks = cfg->hooks;
    if (cfg->spool.clock == NULL)
        cfg->spool.clock = cfg->roll.clock; /* dead-letter object keys */
    if (cfg->spool.entropy == NULL)
        cfg->spool.entropy = cfg->roll.entropy;
    floe_spool_init(&w->spool);
    err = floe_spool_open(&w->spool, &cfg->spool, arena);
    if (err == FLOE_OK) {
        cfg->roll.dir = cfg->spool.dir;
        cfg->roll.tmp_dir = floe_spool_tmp_dir(&w->spool);
        cfg->roll.commit = commit_file;
        cfg->roll.before_open = before_open;
        cfg->roll.on_file = NULL;
        cfg->roll.cb_ctx = st;
        floe_ndjson_init(&w->dec);
        err = floe_ndjson_setup(&w->dec, &cfg->ndjson, arena);
    }
    if (err == FLOE_OK) {
        floe_roll_init(&w->roll);
        err = floe_roll_setup(&w->roll, &cfg->roll, arena);
    }
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        w->st = NULL;
        return err;
    }
    floe_spool_position(&w->spool, &st->pending);
    return FLOE_OK;
}

void floe_writer_position(const struct floe_writer *w, struct floe_spool_position *pos)
{
    floe_spool_position(&w->spool, pos);
}

int floe_writer_begin_source(struct floe_writer *w, uint32_t index, const char *name, uint64_t offset,
                             uint64_t line, int skip)
{
    struct floe_writer_state *st;
    FLOE_FAIL_IF(w == NULL || w->st == NULL || name == NULL, FLOE_ERR_INVAL);
    st = w->st;
    FLOE_FAIL_IF(st->failed, FLOE_ERR_STATE);
    st->source_index = index;
    floe_format(st->source, sizeof st->source, "%s", name);
    st->in_source = 1;
    set_pending(st, offset, line, 0);
    return floe_ndjson_begin_at(&w->dec, st->source, offset, line, skip);
}

static int note_error(struct floe_writer_state *st, int err)
{
    if (err < 0 && err != FLOE_ERR_MALFORMED) {
        const struct floe_hooks *h = st->cfg->hooks;
        st->failed = 1; /* the open batch may be half-written: rewind before going on */
        if (h != NULL && h->error != NULL)
            h->error(h->ctx, err, "writer: the batch in progress failed; rewind to the last commit");
    }
    return err;
}

int floe_writer_push(struct floe_writer *w, const void *data, size_t n)
{
    int err;
    FLOE_FAIL_IF(w == NULL || w->st == NULL || !w->st->in_source, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(w->st->failed, FLOE_ERR_STATE);
    w->stats.bytes_in += n;
    err = floe_ndjson_push(&w->dec, data, n);
    return note_error(w->st, err);
}

int floe_writer_end_source(struct floe_writer *w)
{
    struct floe_writer_state *st;
    uint64_t off, line;
    int err;
    FLOE_FAIL_IF(w == NULL || w->st == NULL || !w->st->in_source, FLOE_ERR_INVAL);
    st = w->st;
    FLOE_FAIL_IF(st->failed, FLOE_ERR_STATE);
    err = floe_ndjson_end(&w->dec);
    if (err < 0 && err != FLOE_ERR_MALFORMED)
        return note_error(st, err);
    floe_ndjson_tell(&w->dec, &off, &line);
    set_pending(st, off, line, 1);
    st->in_source = 0;
    w->stats.sources_done++;
    return FLOE_OK;
}

int floe_writer_flush(struct floe_writer *w)
{
    struct floe_writer_state *st;
    int err;
    FLOE_FAIL_IF(w == NULL || w->st == NULL, FLOE_ERR_INVAL);
    st = w->st;
    FLOE_FAIL_IF(st->failed, FLOE_ERR_STATE);
    if (st->in_source) {
        uint64_t off, line;
        floe_ndjson_tell(&w->dec, &off, &line);
        set_pending(st, off, line, 0);
    }
    if (floe_roll_is_open(&w->roll)) {
        err = floe_roll_seal(&w->roll); /* commits through commit_file */
        return note_error(st, err);
    }
    /* No Parquet file, but dead letters or a finished source to record. */
    {
        struct floe_spool_position committed;
        floe_spool_position(&w->spool, &committed);
        if (w->spool.st != NULL && (committed.source_index != st->pending.source_index ||
                                    committed.offset != st->pending.offset ||
                                    committed.source_done != st->pending.source_done)) {
            err = floe_spool_commit(&w->spool, NULL, &st->pending);
            if (err == FLOE_OK)
                note_commit(st);
            return note_error(st, err);
        }
    }
    return FLOE_OK;
}

int floe_writer_tick(struct floe_writer *w)
{
    FLOE_FAIL_IF(w == NULL || w->st == NULL, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(w->st->failed, FLOE_ERR_STATE);
    if (w->st->in_source) {
        uint64_t off, line;
        floe_ndjson_tell(&w->dec, &off, &line);
        set_pending(w->st, off, line, 0);
    }
    return note_error(w->st, floe_roll_tick(&w->roll));
}

void floe_writer_rewind(struct floe_writer *w)
{
    if (w == NULL || w->st == NULL)
        return;
    floe_roll_abort(&w->roll);
    floe_spool_rollback(&w->spool);
    w->st->failed = 0;
    w->st->in_source = 0;
    w->st->uncommitted = 0;
    w->st->part_files = 0;
    w->st->part_bytes = 0;
    w->st->part_max = 0;
    floe_spool_position(&w->spool, &w->st->pending);
    /* The dropped records are read again: count them once. */
    w->stats.records_ok = w->st->at_commit.records_ok;
    w->stats.dead_letters = w->st->at_commit.dead_letters;
    w->stats.rows_late = w->st->at_commit.rows_late;
    w->st->late_seen = w->roll.rows_late; /* the rows read again count again */
    floe_memcpy(w->stats.dead_by_reason, w->st->at_commit.dead_by_reason, sizeof w->stats.dead_by_reason);
    w->stats.rewinds++;
}
