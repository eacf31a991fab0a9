/* The NDJSON decoder: zstd detection and streaming decompression, line
 * framing across chunk boundaries, strict JSON per line, schema mapping into
 * typed values, and dead letters for every line that cannot be a row. */
#include "floe/ndjson.h"
#include "floe/utc.h"
#include "core/internal.h"
#include "ndjson/json.h"
#include "ndjson/number.h"

#ifndef FLOE_NO_ZSTD
#define ZSTD_STATIC_LINKING_ONLY
#include "zstd.h"
#endif

#define ZSTD_OUT_BYTES 65536u
#define REASON_MAX 200u
#define NO_COLUMN 0xffffu
#define NO_NODE 0xffffu

enum input_mode { MODE_DETECT, MODE_PLAIN, MODE_ZSTD, MODE_FAILED };

/* The schema's JSON paths as a trie: one node per path segment. Siblings are
 * a linked list; `hint` remembers where the last match was, since telemetry
 * fields nearly always arrive in the same order. */
struct path_node {
    const char *key;
    uint16_t key_len;
    uint16_t column;      /* leaf: the column; else NO_COLUMN */
    uint16_t first_child; /* NO_NODE for leaves */
    uint16_t next_sibling;
    uint16_t hint;        /* child to try first */
};

struct walk_frame {
    uint32_t end;  /* token index where this object's members end */
    uint16_t node; /* trie node matched to the object */
    uint32_t key_tok;     /* the key this object is the value of (0 for the record) */
    uint32_t extra_start; /* where its object begins in _extra (its '{'), once open */
    uint8_t extra_open;   /* 1 once _extra holds this object's '{' */
    uint8_t extra_members; /* 1 once it holds a member */
};

/* One step of a record's walk over the schema: the key at token key_tok
 * matched trie node `node`; its value's subtree ends before token `after`. */
struct plan_step {
    uint64_t kw[2];   /* the key's first 16 bytes, zero-padded (key_len <= 16) */
    uint64_t km[2];   /* which of those bytes are the key's */
    const char *key; /* the node's key, key_len bytes */
    uint32_t key_tok;
    uint32_t after;
    uint16_t key_len;
    uint16_t column;  /* NO_COLUMN: an inner node, the value an object walked into */
    uint8_t type;     /* the column's type */
    uint8_t required; /* the column is not nullable */
};

struct floe_ndjson_state {
    const struct floe_ndjson_config *cfg;
    const struct floe_schema *schema;
    uint32_t max_line, dl_raw_max, n_values;
    uint32_t n_required; /* columns that are not nullable */
    const char *source;
    uint32_t source_seq; /* counts floe_ndjson_begin calls */

    /* framing */
    char *line;          /* max_line bytes: a line split across pushes */
    uint32_t line_len;
    int overlong;        /* inside a line past max_line: skipping to LF */
    uint64_t overlong_len;
    uint64_t line_no;
    uint64_t offset;     /* decompressed bytes before the current line */
    uint64_t skip;       /* decompressed bytes still to discard (a resumed source) */
    uint64_t partial;    /* bytes of the current line seen in earlier chunks */
    int at_source_start; /* a UTF-8 BOM here is dropped */

    /* input */
    int mode;
    uint8_t magic[4];
    uint32_t magic_len;
#ifndef FLOE_NO_ZSTD
    ZSTD_DStream *zds;
    uint8_t *zout;
    size_t zret;         /* last ZSTD_decompressStream result: 0 = frame complete */
    uint64_t frame_line; /* the line the current frame's first byte belongs to */
#endif

    /* per line */
    struct floe_json_parser jp;
    struct floe_value *values;
    uint8_t *seen;       /* per column, and per trie node for objects */
    char *scratch;       /* unescaped strings, max_line bytes */
    uint32_t scratch_len;
    char *extra;         /* _extra JSON text */
    uint32_t extra_cap, extra_len;
    struct path_node *nodes;
    uint16_t n_nodes;
    struct plan_step *plan; /* the last clean record's walk, n_nodes steps at most */
    uint32_t plan_len;
    uint16_t *plan_unset;   /* values no step writes (made null), plan_n_unset of them */
    uint32_t plan_n_unset;
    uint32_t plan_required; /* required columns among its steps */
    uint32_t plan_tokens;   /* its token count; 0: no plan */
    struct floe_utc_cache ts_cache; /* the minute of the last timestamp read */
    char reason[REASON_MAX];
};

/* ---- sizing and setup ---------------------------------------------------- */

struct limits {
    uint32_t max_line, max_tokens, max_depth, window_log, dl_raw;
};

static void effective_limits(const struct floe_ndjson_config *cfg, struct limits *l)
{
    l->max_line = cfg->max_line_bytes ? cfg->max_line_bytes : FLOE_NDJSON_DEFAULT_MAX_LINE;
    l->max_tokens = cfg->max_tokens ? cfg->max_tokens : FLOE_NDJSON_DEFAULT_MAX_TOKENS;
    l->max_depth = cfg->max_depth ? cfg->max_depth : FLOE_NDJSON_DEFAULT_MAX_DEPTH;
    l->window_log = cfg->zstd_window_log ? cfg->zstd_window_log : FLOE_NDJSON_DEFAULT_WINDOW_LOG;
    l->dl_raw = cfg->dl_raw_max ? cfg->dl_raw_max : FLOE_NDJSON_DEFAULT_DL_RAW;
}

static int config_ok(const struct floe_ndjson_config *cfg)
{
    struct limits l;
    if (cfg == NULL)
        return 0;
    effective_limits(cfg, &l);
    if (l.max_line < 16 || l.max_line > (1u << 30) || l.max_tokens > (1u << 24) || l.max_depth > 4096)
        return 0;
    if (l.window_log < 10 || l.window_log > 27)
        return 0;
    if (cfg->schema != NULL && floe_schema_check(cfg->schema, NULL) != FLOE_OK)
        return 0;
    return 1;
}

/* Trie nodes a schema needs: one per distinct path prefix (bounded by the
 * total number of segments). */
static size_t max_nodes(const struct floe_schema *s)
{
    size_t i, n = 1;
    if (s == NULL)
        return 1;
    for (i = 0; i < s->n_columns; i++) {
        const char *p = s->columns[i].path ? s->columns[i].path : s->columns[i].name;
        n++;
        for (; *p; p++)
            n += *p == '.';
    }
    return n;
}

static int carve(struct floe_arena *a, const struct floe_ndjson_config *cfg, struct floe_ndjson_state **out)
{
    struct limits l;
    struct floe_ndjson_state *st;
    void *p;
    size_t work, n_values = 0, n_nodes = max_nodes(cfg->schema);
    effective_limits(cfg, &l);
    if (cfg->schema != NULL)
        n_values = cfg->schema->n_columns + (cfg->schema->extra ? 1u : 0u);

    FLOE_TRY(floe_arena_take(a, sizeof *st, 8, &p));
    st = (struct floe_ndjson_state *)p;
    FLOE_TRY(floe_arena_take_raw(a, l.max_line, 8, &p));
    if (st)
        st->line = (char *)p;
    work = floe_json_parser_work(l.max_tokens, l.max_depth);
    FLOE_TRY(floe_arena_take_raw(a, work, 8, &p)); /* the parser's init knows what to clear */
    if (st)
        FLOE_TRY(floe_json_parser_init(&st->jp, p, work, l.max_tokens, l.max_depth));
    FLOE_TRY(floe_arena_take(a, (n_values ? n_values : 1) * sizeof(struct floe_value), 8, &p));
    if (st)
        st->values = (struct floe_value *)p;
    FLOE_TRY(floe_arena_take(a, n_values + n_nodes, 1, &p));
    if (st)
        st->seen = (uint8_t *)p;
    FLOE_TRY(floe_arena_take(a, n_nodes * sizeof(struct path_node), 8, &p));
    if (st)
        st->nodes = (struct path_node *)p;
    FLOE_TRY(floe_arena_take(a, n_nodes * sizeof(struct plan_step), 8, &p));
    if (st)
        st->plan = (struct plan_step *)p;
    FLOE_TRY(floe_arena_take(a, (n_values ? n_values : 1) * sizeof(uint16_t), 2, &p));
    if (st)
        st->plan_unset = (uint16_t *)p;
    FLOE_TRY(floe_arena_take_raw(a, l.max_line, 8, &p));
    if (st)
        st->scratch = (char *)p;
    if (cfg->schema != NULL && cfg->schema->extra) {
        /* _extra keeps some of the line's members, compacted, in the
         * line's own nesting: never more than the line. */
        size_t cap = (size_t)l.max_line + 2u;
        FLOE_TRY(floe_arena_take_raw(a, cap, 1, &p));
        if (st) {
            st->extra = (char *)p;
            st->extra_cap = (uint32_t)cap;
        }
    }
#ifndef FLOE_NO_ZSTD
    if (!cfg->no_zstd) {
        size_t zsize = ZSTD_estimateDStreamSize((size_t)1 << l.window_log);
        FLOE_TRY(floe_arena_take_raw(a, zsize, 8, &p));
        if (st) {
            st->zds = ZSTD_initStaticDStream(p, zsize);
            if (st->zds == NULL)
                return FLOE_ERR_NOMEM;
            if (ZSTD_isError(ZSTD_DCtx_setParameter(st->zds, ZSTD_d_windowLogMax, (int)l.window_log)))
                return FLOE_ERR_INVAL;
        }
        FLOE_TRY(floe_arena_take_raw(a, ZSTD_OUT_BYTES, 8, &p));
        if (st)
            st->zout = (uint8_t *)p;
    }
#endif
    if (st) {
        st->cfg = cfg;
        st->schema = cfg->schema;
        st->max_line = l.max_line;
        st->dl_raw_max = l.dl_raw < l.max_line ? l.dl_raw : l.max_line;
        st->n_values = (uint32_t)n_values;
    }
    *out = st;
    return FLOE_OK;
}

size_t floe_ndjson_size(const struct floe_ndjson_config *cfg)
{
    struct floe_arena a;
    struct floe_ndjson_state *st;
    if (!config_ok(cfg))
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, cfg, &st) != FLOE_OK)
        return 0;
    return a.used;
}

void floe_ndjson_init(struct floe_ndjson *dec)
{
    if (dec != NULL)
        floe_memset(dec, 0, sizeof *dec);
}

/* Adds the path of column `col` to the trie. */
static int add_path(struct floe_ndjson_state *st, uint16_t col, const char *path)
{
    uint16_t parent = 0;
    const char *seg = path;
    for (;;) {
        const char *dot = seg;
        uint16_t child, len;
        while (*dot != '\0' && *dot != '.')
            dot++;
        len = (uint16_t)(dot - seg);
        for (child = st->nodes[parent].first_child; child != NO_NODE; child = st->nodes[child].next_sibling)
            if (st->nodes[child].key_len == len && floe_memcmp(st->nodes[child].key, seg, len) == 0)
                break;
        if (child == NO_NODE) {
            struct path_node *n = &st->nodes[st->n_nodes];
            uint16_t *link = &st->nodes[parent].first_child;
            while (*link != NO_NODE)
                link = &st->nodes[*link].next_sibling;
            child = st->n_nodes++;
            *link = child;
            n->key = seg;
            n->key_len = len;
            n->column = NO_COLUMN;
            n->first_child = NO_NODE;
            n->next_sibling = NO_NODE;
            n->hint = NO_NODE;
            if (st->nodes[parent].hint == NO_NODE)
                st->nodes[parent].hint = child;
        }
        if (*dot == '\0') {
            st->nodes[child].column = col;
            return FLOE_OK;
        }
        parent = child;
        seg = dot + 1;
    }
}

int floe_ndjson_setup(struct floe_ndjson *dec, const struct floe_ndjson_config *cfg, struct floe_arena *arena)
{
    struct floe_ndjson_state *st = NULL;
    size_t i, mark;
    int err;
    FLOE_FAIL_IF(dec == NULL || arena == NULL || floe_arena_counting(arena), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(!config_ok(cfg), FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    err = carve(arena, cfg, &st);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        return err;
    }
    st->nodes[0].first_child = NO_NODE;
    st->nodes[0].next_sibling = NO_NODE;
    st->nodes[0].column = NO_COLUMN;
    st->nodes[0].hint = NO_NODE;
    st->n_nodes = 1;
    st->n_required = 0;
    st->plan_len = 0;
    st->plan_required = 0;
    st->plan_tokens = 0;
    floe_memset(&st->ts_cache, 0, sizeof st->ts_cache);
    for (i = 0; cfg->schema != NULL && i < cfg->schema->n_columns; i++) {
        const struct floe_column *c = &cfg->schema->columns[i];
        add_path(st, (uint16_t)i, c->path != NULL ? c->path : c->name);
        st->n_required += !c->nullable;
    }
    floe_memset(&dec->stats, 0, sizeof dec->stats);
    dec->st = st;
    return floe_ndjson_begin(dec, "");
}

int floe_ndjson_begin(struct floe_ndjson *dec, const char *name)
{
    struct floe_ndjson_state *st;
    FLOE_FAIL_IF(dec == NULL || dec->st == NULL, FLOE_ERR_INVAL);
    st = dec->st;
    st->source = name != NULL ? name : "";
    st->source_seq++;
    st->line_len = 0;
    st->overlong = 0;
    st->overlong_len = 0;
    st->line_no = 0;
    st->offset = 0;
    st->skip = 0;
    st->partial = 0;
    st->at_source_start = 1;
    st->mode = MODE_DETECT;
    st->magic_len = 0;
#ifndef FLOE_NO_ZSTD
    st->zret = 0;
    if (st->zds != NULL)
        ZSTD_DCtx_reset(st->zds, ZSTD_reset_session_only);
#endif
    return FLOE_OK;
}

int floe_ndjson_begin_at(struct floe_ndjson *dec, const char *name, uint64_t offset, uint64_t line, int skip)
{
    struct floe_ndjson_state *st;
    FLOE_TRY(floe_ndjson_begin(dec, name));
    st = dec->st;
    st->line_no = line;
    st->at_source_start = offset == 0;
    if (skip) {
        st->skip = offset; /* offset advances as the skipped bytes go by */
    } else {
        st->offset = offset;
        if (offset > 0)
            st->mode = MODE_PLAIN; /* mid-file: no magic number to look for */
    }
    return FLOE_OK;
}

void floe_ndjson_tell(const struct floe_ndjson *dec, uint64_t *offset, uint64_t *line)
{
    int set_up = dec != NULL && dec->st != NULL; /* not set up: the start */
    if (offset != NULL)
        *offset = set_up ? dec->st->offset : 0;
    if (line != NULL)
        *line = set_up ? dec->st->line_no : 0;
}

void floe_ndjson_free(struct floe_ndjson *dec)
{
    if (dec != NULL)
        floe_memset(dec, 0, sizeof *dec);
}

/* ---- dead letters -------------------------------------------------------- */

static const char *const reason_names[FLOE_DL__COUNT] = {
    "none", "malformed_json", "line_too_long", "too_deep", "too_many_tokens", "bad_utf8",
    "not_object", "duplicate_key", "missing_field", "wrong_type", "out_of_range",
    "bad_timestamp", "truncated_input", "bad_compression", "rejected",
};

size_t floe_dead_letter_raw_text_len(const struct floe_dead_letter *dl)
{
    size_t v;
    if (dl == NULL || dl->raw == NULL)
        return 0;
    v = floe_utf8_prefix(dl->raw, dl->raw_len);
    if (v == dl->raw_len)
        return v;
    /* A cut at raw's limit may split one character: the bytes after v are
     * then a lead byte and fewer continuation bytes than it needs. */
    if (dl->truncated && dl->raw_len - v < 4u) {
        const uint8_t *t = (const uint8_t *)dl->raw + v;
        size_t k, rest = dl->raw_len - v, need = t[0] >= 0xf0 ? 4u : t[0] >= 0xe0 ? 3u : 2u;
        int partial = t[0] >= 0xc2 && t[0] <= 0xf4 && rest < need;
        for (k = 1; partial && k < rest; k++)
            partial = (t[k] & 0xc0) == 0x80;
        if (partial)
            return v;
    }
    return (size_t)-1;
}

const char *floe_dl_reason_name(int reason)
{
    return reason > 0 && reason < FLOE_DL__COUNT ? reason_names[reason] : "unknown";
}

/* line[0..len) is what is held of the record (the line without a byte
 * order mark or CR), record_len the record's whole length (more than len
 * when only the start of a long line was kept), full_len the line's bytes
 * in the source. */
static int dead_letter(struct floe_ndjson *dec, int reason, const char *line, size_t len, size_t record_len,
                       size_t full_len)
{
    struct floe_ndjson_state *st = dec->st;
    struct floe_dead_letter dl;
    dec->stats.dead_letters++;
    dec->stats.dead_by_reason[reason]++;
    if (st->cfg->on_dead_letter == NULL)
        return FLOE_OK;
    dl.reason = reason;
    dl.reason_text = st->reason;
    dl.source = st->source;
    dl.line = st->line_no;
    dl.offset = st->offset;
    dl.raw = line;
    dl.raw_len = len < st->dl_raw_max ? len : st->dl_raw_max;
    dl.line_len = full_len;
    dl.truncated = dl.raw_len < record_len;
    return st->cfg->on_dead_letter(st->cfg->cb_ctx, &dl);
}

/* A record-level problem: the reason text names the field. */
struct record_fault {
    int reason;
};

static int field_fault(struct floe_ndjson_state *st, int reason, uint16_t col, const char *what)
{
    floe_format(st->reason, sizeof st->reason, "field '%s': %s",
                st->schema->columns[col].path ? st->schema->columns[col].path : st->schema->columns[col].name,
                what);
    return reason;
}

/* ---- values -------------------------------------------------------------- */

/* digit i (0-based) of a scanned number's significant digits. */
static int sig_digit(const struct floe_json_number *num, size_t i)
{
    size_t j;
    if (i >= num->n_sig)
        return 0;
    j = num->sig_first + i;
    return (j < num->int_len ? num->int_digits[j] : num->frac_digits[j - num->int_len]) - '0';
}

/* The decimal text times 10^k, rounded half away from zero, exactly: epoch
 * numbers like 1735689600.123456 must not pass through a double. */
static int scale_exact(const char *s, size_t n, int k, int64_t *out)
{
    struct floe_json_number num;
    int64_t p;
    uint64_t v = 0;
    int64_t i;
    if (floe_json_number_scan(s, n, &num) != FLOE_OK)
        return FLOE_ERR_MALFORMED;
    if (num.n_sig == 0) {
        *out = 0;
        return FLOE_OK;
    }
    p = (int64_t)num.dp + k; /* integer digits of the scaled value */
    if (p > 19)
        return FLOE_ERR_RANGE;
    for (i = 0; i < p; i++) {
        uint64_t d = (uint64_t)sig_digit(&num, (size_t)i);
        if (v > (UINT64_MAX - d) / 10u)
            return FLOE_ERR_RANGE;
        v = v * 10u + d;
    }
    if (p >= 0 && sig_digit(&num, (size_t)p) >= 5)
        v++; /* half away from zero, as SQL's round() */
    if (num.negative ? v > (uint64_t)INT64_MAX + 1u : v > (uint64_t)INT64_MAX)
        return FLOE_ERR_RANGE;
    *out = num.negative ? (v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return FLOE_OK;
}

#define EPOCH_S_MIN (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define EPOCH_S_MAX 253402300799LL    /* 9999-12-31T23:59:59Z */

/* An epoch number in the column's own unit (us, or ms for TIMESTAMP_MS),
 * rounded once: through us first, 1.0019995 s rounded up to 1,002,000 us
 * and then down to 1,001 ms, a ms away from 1.0016 s. */
static int epoch_to_unit(struct floe_ndjson_state *st, uint16_t col, const char *s, size_t n, int64_t *out)
{
    const struct floe_column *c = &st->schema->columns[col];
    int k;
    switch (c->epoch_unit) {
    case FLOE_EPOCH_S:
        k = 6;
        break;
    case FLOE_EPOCH_MS:
        k = 3;
        break;
    case FLOE_EPOCH_US:
        k = 0;
        break;
    default:
        return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected an RFC 3339 timestamp string");
    }
    if (c->type == FLOE_TYPE_TIMESTAMP_MS)
        k -= 3;
    /* Only the instants of years 0000..9999 UTC, as the string form: a
     * nanosecond epoch sent to an ms column would otherwise be stored as a
     * year no reader converts (DuckDB fails the whole column), and its
     * microseconds would overflow where the writer computes partitions. */
    if (scale_exact(s, n, k, out) != FLOE_OK ||
        *out < EPOCH_S_MIN * (c->type == FLOE_TYPE_TIMESTAMP_MS ? 1000 : 1000000) ||
        *out > (EPOCH_S_MAX + 1) * (c->type == FLOE_TYPE_TIMESTAMP_MS ? 1000 : 1000000) - 1)
        return field_fault(st, FLOE_DL_OUT_OF_RANGE, col, "epoch number out of range (years 0000 to 9999)");
    return 0;
}

/* Floor division, so instants before 1970 truncate toward the past. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int json_text(struct floe_ndjson_state *st, const char *line, uint16_t col, const struct floe_json_tok *t,
                     struct floe_value *out);

/* Every value into its column: all types, all faults (kept out of line:
 * the common cases are in convert below). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int convert_any(struct floe_ndjson_state *st, const char *line, uint16_t col, const struct floe_json_tok *t,
                       struct floe_value *out)
{
    const struct floe_column *c = &st->schema->columns[col];
    const char *s = line + t->start;
    size_t n = t->end - t->start;
    int err;
    out->is_null = 0;
    if (t->type == FLOE_JSON_NULL) {
        out->is_null = 1;
        return 0;
    }
    switch (c->type) {
    case FLOE_TYPE_BOOL:
        if (t->type != FLOE_JSON_TRUE && t->type != FLOE_JSON_FALSE)
            return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected true or false");
        out->v.b = t->type == FLOE_JSON_TRUE;
        return 0;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_INT64:
        if (t->type != FLOE_JSON_NUMBER)
            return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected an integer");
        if (t->flags & FLOE_JSON_SHORT) {
            /* The digits the validator read: no second scan. */
            uint64_t m = st->jp.nums[t - st->jp.tokens];
            int32_t v32;
            if (c->type == FLOE_TYPE_INT32 ? floe_json_short_i32(m, t->frac, s[0] == '-', &v32)
                                           : floe_json_short_i64(m, t->frac, s[0] == '-', &out->v.i64)) {
                if (c->type == FLOE_TYPE_INT32)
                    out->v.i64 = v32;
                return 0;
            }
        }
        if (c->type == FLOE_TYPE_INT32) {
            int32_t v32;
            err = floe_json_to_i32(s, n, &v32);
            out->v.i64 = v32;
        } else {
            err = floe_json_to_i64(s, n, &out->v.i64);
        }
        if (err == FLOE_ERR_TYPE)
            return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected an integer, got a fraction");
        if (err != FLOE_OK)
            return field_fault(st, FLOE_DL_OUT_OF_RANGE, col,
                               c->type == FLOE_TYPE_INT32 ? "integer out of int32 range" : "integer out of int64 range");
        return 0;
    case FLOE_TYPE_FLOAT:
    case FLOE_TYPE_DOUBLE:
        if (t->type != FLOE_JSON_NUMBER)
            return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected a number");
        if (c->type == FLOE_TYPE_DOUBLE && (t->flags & FLOE_JSON_SHORT) &&
            floe_json_short_f64(st->jp.nums[t - st->jp.tokens], t->frac, s[0] == '-', &out->v.f64))
            return 0;
        err = c->type == FLOE_TYPE_FLOAT ? floe_json_to_f32(s, n, &out->v.f32) : floe_json_to_f64(s, n, &out->v.f64);
        if (err != FLOE_OK)
            return field_fault(st, FLOE_DL_OUT_OF_RANGE, col,
                               c->type == FLOE_TYPE_FLOAT ? "number out of float range" : "number out of double range");
        return 0;
    case FLOE_TYPE_STRING:
        if (t->type != FLOE_JSON_STRING)
            return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected a string");
        if (t->flags & FLOE_JSON_ESCAPED) {
            char *dst = st->scratch + st->scratch_len;
            size_t len = floe_json_unescape(s, n, dst);
            st->scratch_len += (uint32_t)len;
            out->v.str.ptr = dst;
            out->v.str.len = (uint32_t)len;
        } else {
            out->v.str.ptr = s;
            out->v.str.len = (uint32_t)n;
        }
        return 0;
    case FLOE_TYPE_TIMESTAMP_MS:
    case FLOE_TYPE_TIMESTAMP_US: {
        int64_t us;
        if (t->type == FLOE_JSON_NUMBER) {
            err = epoch_to_unit(st, col, s, n, &out->v.i64);
            return err;
        } else if (t->type == FLOE_JSON_STRING) {
            /* Timestamps never need escapes; an escaped one is not RFC 3339. */
            err = (t->flags & FLOE_JSON_ESCAPED) ? FLOE_ERR_MALFORMED
                                                 : floe_utc_parse_rfc3339_cached(s, n, &st->ts_cache, &us);
            if (err != FLOE_OK)
                return field_fault(st, FLOE_DL_BAD_TIMESTAMP, col,
                                   err == FLOE_ERR_RANGE ? "timestamp field out of range"
                                                         : "not an RFC 3339 timestamp");
        } else {
            return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected a timestamp");
        }
        out->v.i64 = c->type == FLOE_TYPE_TIMESTAMP_MS ? floor_div(us, 1000) : us;
        return 0;
    }
    case FLOE_TYPE_DATE: {
        int32_t days;
        if (t->type != FLOE_JSON_STRING)
            return field_fault(st, FLOE_DL_WRONG_TYPE, col, "expected a date string");
        err = (t->flags & FLOE_JSON_ESCAPED) ? FLOE_ERR_MALFORMED : floe_utc_parse_date(s, n, &days);
        if (err != FLOE_OK)
            return field_fault(st, FLOE_DL_BAD_TIMESTAMP, col, "not a YYYY-MM-DD date");
        out->v.i64 = days;
        return 0;
    }
    case FLOE_TYPE_JSON:
        return json_text(st, line, col, t, out);
    default:
        return field_fault(st, FLOE_DL_WRONG_TYPE, col, "unsupported type");
    }
}

/* The common cases of convert_any, inline, with the same results: a plain
 * string, a short number into an integer or double column, a boolean. */
#if defined(__GNUC__)
__attribute__((always_inline)) /* a call here costs more than the work */
#endif
static inline int convert_typed(struct floe_ndjson_state *st, const char *line, uint16_t col, uint8_t type,
                                const struct floe_json_tok *t, struct floe_value *out)
{
    int32_t v32;
    if (t->type == FLOE_JSON_STRING) {
        if (type == FLOE_TYPE_STRING && !(t->flags & FLOE_JSON_ESCAPED)) {
            out->is_null = 0;
            out->v.str.ptr = line + t->start;
            out->v.str.len = t->end - t->start;
            return 0;
        }
        if (type == FLOE_TYPE_TIMESTAMP_US && !(t->flags & FLOE_JSON_ESCAPED) &&
            floe_utc_parse_rfc3339_cached(line + t->start, t->end - t->start, &st->ts_cache, &out->v.i64) ==
                FLOE_OK) {
            out->is_null = 0;
            return 0;
        }
    } else if (t->type == FLOE_JSON_NUMBER) {
        if (t->flags & FLOE_JSON_SHORT) {
            uint64_t m = st->jp.nums[t - st->jp.tokens];
            int negative = line[t->start] == '-';
            if (type == FLOE_TYPE_DOUBLE && floe_json_short_f64(m, t->frac, negative, &out->v.f64)) {
                out->is_null = 0;
                return 0;
            }
            if (type == FLOE_TYPE_INT64 && floe_json_short_i64(m, t->frac, negative, &out->v.i64)) {
                out->is_null = 0;
                return 0;
            }
            if (type == FLOE_TYPE_INT32 && floe_json_short_i32(m, t->frac, negative, &v32)) {
                out->is_null = 0;
                out->v.i64 = v32;
                return 0;
            }
        }
    } else if (t->type == FLOE_JSON_TRUE || t->type == FLOE_JSON_FALSE) {
        if (type == FLOE_TYPE_BOOL) {
            out->is_null = 0;
            out->v.b = t->type == FLOE_JSON_TRUE;
            return 0;
        }
    }
    return convert_any(st, line, col, t, out);
}

static inline int convert(struct floe_ndjson_state *st, const char *line, uint16_t col,
                          const struct floe_json_tok *t, struct floe_value *out)
{
    return convert_typed(st, line, col, st->schema->columns[col].type, t, out);
}

/* ---- mapping a record onto the schema ------------------------------------ */

/* Keys are short: compare them a word at a time inline, with two
 * overlapping loads for the first and last bytes, never reading past
 * either key (memcpy of a constant size compiles to one load). */
static uint64_t load64(const char *p)
{
    uint64_t v;
    floe_memcpy(&v, p, 8);
    return v;
}

static uint32_t load32(const char *p)
{
    uint32_t v;
    floe_memcpy(&v, p, 4);
    return v;
}

static uint16_t load16(const char *p)
{
    uint16_t v;
    floe_memcpy(&v, p, 2);
    return v;
}

static inline int same_key(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        size_t i;
        for (i = 0; n - i > 8; i += 8)
            if (load64(a + i) != load64(b + i))
                return 0;
        return load64(a + n - 8) == load64(b + n - 8);
    }
    if (n >= 4)
        return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
    if (n >= 2)
        return load16(a) == load16(b) && load16(a + n - 2) == load16(b + n - 2);
    return n == 0 || a[0] == b[0];
}

static uint16_t find_child(struct path_node *nodes, uint16_t parent, const char *key, size_t len)
{
    struct path_node *p = &nodes[parent];
    uint16_t c = p->hint, start;
    if (c == NO_NODE)
        return NO_NODE;
    start = c;
    do {
        const struct path_node *n = &nodes[c];
        uint16_t after = n->next_sibling != NO_NODE ? n->next_sibling : p->first_child;
        if (n->key_len == len && same_key(n->key, key, len)) {
            p->hint = after; /* next time, try the field after this one first */
            return c;
        }
        c = after;
    } while (c != start);
    return NO_NODE;
}

static int extra_put(struct floe_ndjson_state *st, const char *s, size_t n)
{
    if (st->extra_cap - st->extra_len < n)
        return 0;
    floe_memcpy(st->extra + st->extra_len, s, n);
    st->extra_len += (uint32_t)n;
    return 1;
}

/* One spelling per key in _extra, so that equal keys compare equal as bytes
 * ("q" and "\u0071" are the same key): the decoded text with only '"', '\\'
 * and control characters escaped. Never longer than the raw token (out holds
 * n bytes); re-escaped in place from the back. */
static size_t canonical_key(const char *raw, size_t n, char *out)
{
    size_t u = floe_json_unescape(raw, n, out), len = u, r, w;
    for (r = 0; r < u; r++) {
        unsigned char c = (unsigned char)out[r];
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
            len += 1;
        else if (c < 0x20)
            len += 5;
    }
    for (r = u, w = len; r > 0;) {
        unsigned char c = (unsigned char)out[--r];
        const char *short_form = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
                                 : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (short_form != NULL) {
            out[--w] = short_form[1];
            out[--w] = '\\';
        } else if (c < 0x20) {
            out[--w] = "0123456789abcdef"[c & 15];
            out[--w] = (char)('0' + (c >> 4));
            out[--w] = '0';
            out[--w] = '0';
            out[--w] = 'u';
            out[--w] = '\\';
        } else {
            out[--w] = (char)c;
        }
    }
    return len;
}

/* The key of token k as _extra spells it: canonical when escaped (in
 * scratch past its end, free: this record's strings use less than the
 * line), else as written. */
static const char *extra_key(struct floe_ndjson_state *st, const char *line, const struct floe_json_tok *k,
                             size_t *len)
{
    *len = k->end - k->start;
    if (!(k->flags & FLOE_JSON_ESCAPED))
        return line + k->start;
    *len = canonical_key(line + k->start, *len, st->scratch + st->scratch_len);
    return st->scratch + st->scratch_len;
}

/* Opens the objects of stack[0..depth] in _extra that are not yet open:
 * an unknown field inside a schema object (say tags.x) keeps the input's
 * shape, {"tags":{"x":...}}. */
static int extra_open(struct floe_ndjson_state *st, const char *line, struct walk_frame *stack, int depth)
{
    int d;
    for (d = 0; d <= depth; d++) {
        struct walk_frame *f = &stack[d];
        if (f->extra_open)
            continue;
        if (d > 0) {
            size_t klen;
            const char *key = extra_key(st, line, &st->jp.tokens[f->key_tok], &klen);
            if (!extra_put(st, stack[d - 1].extra_members ? ",\"" : "\"", stack[d - 1].extra_members ? 2 : 1) ||
                !extra_put(st, key, klen) || !extra_put(st, "\":", 2))
                return FLOE_DL_LINE_TOO_LONG;
            stack[d - 1].extra_members = 1;
        }
        f->extra_start = st->extra_len;
        f->extra_open = 1;
        f->extra_members = 0;
        if (!extra_put(st, "{", 1))
            return FLOE_DL_LINE_TOO_LONG;
    }
    return 0;
}

/* Closes the object of frame f in _extra if it was opened. */
static int extra_close(struct floe_ndjson_state *st, const struct walk_frame *f)
{
    return f->extra_open && !extra_put(st, "}", 1) ? FLOE_DL_LINE_TOO_LONG : 0;
}

/* Whether the key of token k appears again among the members that follow
 * it in its object (the members end at token end). */
static int repeated_key(struct floe_ndjson_state *st, const char *line, uint32_t k, uint32_t end)
{
    const struct floe_json_tok *tok = st->jp.tokens;
    size_t alen, blen;
    uint32_t j;
    const char *a = line + tok[k].start;
    alen = tok[k].end - tok[k].start;
    for (j = tok[k + 1].next; j < end; j = tok[j + 1].next) {
        const char *b = line + tok[j].start;
        blen = tok[j].end - tok[j].start;
        if (!((tok[k].flags | tok[j].flags) & FLOE_JSON_ESCAPED)) {
            if (alen == blen && floe_memcmp(a, b, alen) == 0)
                return 1;
        } else {
            /* Decoded, both: scratch past its end holds the two. */
            char *da = st->scratch + st->scratch_len, *db;
            size_t na = floe_json_unescape(a, alen, da), nb;
            db = da + na;
            nb = floe_json_unescape(b, blen, db);
            if (na == nb && floe_memcmp(da, db, na) == 0)
                return 1;
        }
    }
    return 0;
}

/* The first key that an object anywhere in the value at token v has twice
 * (its token), or 0. The record's own keys are checked as they are walked;
 * a value kept whole in _extra is checked here, or readers of _extra would
 * disagree on it. */
static uint32_t repeated_key_in_value(struct floe_ndjson_state *st, const char *line, uint32_t v)
{
    const struct floe_json_tok *tok = st->jp.tokens;
    uint32_t i, end = tok[v].next;
    for (i = v; i < end; i++) {
        if (tok[i].type == FLOE_JSON_OBJECT) {
            uint32_t k;
            for (k = i + 1; k < tok[i].next; k = tok[k + 1].next)
                if (repeated_key(st, line, k, tok[i].next))
                    return k;
        }
    }
    return 0;
}

/* A json column's value: the token's text less the whitespace between
 * tokens (a string keeps its quotes), in scratch when there was any to
 * take out. Like a value kept in _extra, it must not repeat a key. */
static int json_text(struct floe_ndjson_state *st, const char *line, uint16_t col, const struct floe_json_tok *t,
                     struct floe_value *out)
{
    const char *s = line + t->start;
    size_t n = t->end - t->start;
    if (t->type == FLOE_JSON_STRING) {
        out->v.str.ptr = s - 1; /* string tokens exclude their quotes */
        out->v.str.len = (uint32_t)n + 2u;
    } else if (t->type == FLOE_JSON_OBJECT || t->type == FLOE_JSON_ARRAY) {
        uint32_t dup = repeated_key_in_value(st, line, (uint32_t)(t - st->jp.tokens));
        char *dst = st->scratch + st->scratch_len;
        if (dup != 0) {
            const struct floe_json_tok *k = &st->jp.tokens[dup];
            const struct floe_column *c = &st->schema->columns[col];
            floe_format(st->reason, sizeof st->reason, "duplicate key '%.*s' inside '%s'",
                        (int)(k->end - k->start), line + k->start, c->path ? c->path : c->name);
            return FLOE_DL_DUPLICATE_KEY;
        }
        out->v.str.len = (uint32_t)floe_json_compact(s, n, dst);
        if (out->v.str.len == n) {
            out->v.str.ptr = s; /* nothing was taken out: the line's own bytes */
        } else {
            out->v.str.ptr = dst;
            st->scratch_len += out->v.str.len;
        }
    } else {
        out->v.str.ptr = s; /* a number, true or false */
        out->v.str.len = (uint32_t)n;
    }
    return 0;
}

/* Appends "key":value to the object of stack[depth] in _extra, after
 * checking that the key is not there yet (unknown duplicates are errors
 * too) and that the value has no repeated key of its own. A duplicate's
 * reason names the key as written (extra_key's canonical copy may have
 * overwritten a decoded one in scratch). */
static int extra_add(struct floe_ndjson_state *st, const char *line, uint32_t k_tok, struct walk_frame *stack,
                     int depth)
{
    const struct floe_json_tok *k = &st->jp.tokens[k_tok], *v = k + 1;
    struct walk_frame *f = &stack[depth];
    size_t klen;
    const char *key;
    char *vdst;
    uint32_t i, inner;
    int r;
    inner = repeated_key_in_value(st, line, k_tok + 1);
    if (inner != 0) {
        const struct floe_json_tok *ik = &st->jp.tokens[inner];
        floe_format(st->reason, sizeof st->reason, "duplicate key '%.*s' inside '%.*s'", (int)(ik->end - ik->start),
                    line + ik->start, (int)(k->end - k->start), line + k->start);
        return FLOE_DL_DUPLICATE_KEY;
    }
    r = extra_open(st, line, stack, depth);
    if (r != 0)
        return r;
    key = extra_key(st, line, k, &klen);
    /* Duplicate check: the keys already written in this object, each
     * entry ,"key":value or {"key":value from its '{' on. */
    for (i = f->extra_start; f->extra_members && i < st->extra_len;) {
        uint32_t ks = i + 2, ke = ks;
        int esc = 0;
        while (ke < st->extra_len && (esc || st->extra[ke] != '"')) {
            esc = !esc && st->extra[ke] == '\\';
            ke++;
        }
        if (ke - ks == klen && floe_memcmp(st->extra + ks, key, klen) == 0) {
            floe_format(st->reason, sizeof st->reason, "duplicate key '%.*s'", (int)(k->end - k->start),
                        line + k->start);
            return FLOE_DL_DUPLICATE_KEY;
        }
        /* skip ":value" to the next entry start (a ',' at depth 0 outside strings) */
        {
            int level = 0, in_str = 0;
            esc = 0;
            for (i = ke + 2; i < st->extra_len; i++) {
                char c = st->extra[i];
                if (in_str) {
                    if (esc)
                        esc = 0;
                    else if (c == '\\')
                        esc = 1;
                    else if (c == '"')
                        in_str = 0;
                } else if (c == '"') {
                    in_str = 1;
                } else if (c == '{' || c == '[') {
                    level++;
                } else if (c == '}' || c == ']') {
                    level--;
                } else if (c == ',' && level == 0) {
                    break;
                }
            }
        }
    }
    if (!extra_put(st, f->extra_members ? ",\"" : "\"", f->extra_members ? 2 : 1) || !extra_put(st, key, klen) ||
        !extra_put(st, "\":", 2))
        return FLOE_DL_LINE_TOO_LONG;
    f->extra_members = 1;
    if (st->extra_cap - st->extra_len < v->end - v->start + (v->type == FLOE_JSON_STRING ? 2u : 0u))
        return FLOE_DL_LINE_TOO_LONG;
    vdst = st->extra + st->extra_len;
    if (v->type == FLOE_JSON_STRING) {
        /* String tokens exclude their quotes. */
        floe_memcpy(vdst, line + v->start - 1, v->end - v->start + 2);
        st->extra_len += v->end - v->start + 2;
    } else {
        st->extra_len += (uint32_t)floe_json_compact(line + v->start, v->end - v->start, vdst);
    }
    return 0;
}

/* Walks the top-level object's members (and nested objects the schema
 * reaches into) with an explicit stack; returns 0 or a dead-letter reason.
 * A record whose every key is a schema path (no unknown, escaped or null
 * object keys) leaves its walk in st->plan for map_planned. */
static int map_walk(struct floe_ndjson_state *st, const char *line)
{
    /* The arrays in locals: stores to the byte flags below may alias any
     * st-> field, and would make the compiler reload them each time. */
    const struct floe_json_tok *tok = st->jp.tokens;
    const struct floe_schema *sc = st->schema;
    const struct floe_column *columns = sc->columns;
    struct path_node *nodes = st->nodes;
    struct floe_value *values = st->values;
    uint8_t *seen = st->seen;
    uint8_t *node_seen = seen + sc->n_columns;
    struct walk_frame stack[FLOE_SCHEMA_MAX_PATH_DEPTH + 1];
    int depth = 0, r;
    uint32_t i = 1, c, end = tok[0].next, n_values = st->n_values, required_present = 0;
    struct plan_step *plan = st->plan;
    uint32_t plan_len = 0, plan_required = 0;
    int planning = 1;

    floe_memset(seen, 0, sc->n_columns + st->n_nodes);
    for (c = 0; c < n_values; c++)
        values[c].is_null = 1;
    st->scratch_len = 0;
    st->extra_len = 0;
    stack[0].end = end;
    stack[0].node = 0;
    stack[0].key_tok = 0;
    stack[0].extra_open = 0;

    for (;;) {
        const struct floe_json_tok *k, *v;
        const char *key;
        size_t key_len;
        uint16_t child;
        if (i >= end) {
            if (sc->extra && extra_close(st, &stack[depth]) != 0)
                return FLOE_DL_LINE_TOO_LONG;
            if (depth == 0)
                break;
            depth--;
            end = stack[depth].end;
            continue;
        }
        k = &tok[i];
        v = &tok[i + 1];
        key = line + k->start;
        key_len = k->end - k->start;
        if (k->flags & FLOE_JSON_ESCAPED) {
            /* Rare: compare the unescaped key (scratch is free past its end). */
            char *dst = st->scratch + st->scratch_len;
            planning = 0;
            key_len = floe_json_unescape(key, key_len, dst);
            key = dst;
        }
        child = find_child(nodes, stack[depth].node, key, key_len);
        if (child != NO_NODE) {
            uint16_t col = nodes[child].column;
            if (node_seen[child]) {
                floe_format(st->reason, sizeof st->reason, "duplicate key '%.*s'", (int)key_len, key);
                return FLOE_DL_DUPLICATE_KEY;
            }
            node_seen[child] = 1;
            if (planning) {
                struct plan_step *step = &plan[plan_len++];
                unsigned char kb[16], mb[16];
                size_t kl = nodes[child].key_len < 16 ? nodes[child].key_len : 16;
                floe_memset(kb, 0, sizeof kb);
                floe_memset(mb, 0, sizeof mb);
                floe_memcpy(kb, nodes[child].key, kl);
                floe_memset(mb, 0xff, kl);
                floe_memcpy(step->kw, kb, 16);
                floe_memcpy(step->km, mb, 16);
                step->key = nodes[child].key;
                step->key_len = nodes[child].key_len;
                step->key_tok = i;
                step->after = v->next;
                step->column = col;
                step->type = col != NO_COLUMN ? columns[col].type : 0;
                step->required = col != NO_COLUMN && !columns[col].nullable;
                plan_required += step->required;
            }
            if (col != NO_COLUMN) {
                seen[col] = 1;
                r = convert(st, line, col, v, &values[col]);
                if (r != 0)
                    return r;
                required_present += !columns[col].nullable && !values[col].is_null;
                i = v->next;
                continue;
            }
            /* An inner path node: the value must be an object (or null). */
            if (v->type == FLOE_JSON_OBJECT) {
                struct walk_frame *nf = &stack[depth + 1];
                nf->key_tok = i;
                i = i + 2;
                end = v->next;
                nf->end = end;
                nf->node = child;
                nf->extra_open = 0;
                depth++;
                continue;
            }
            if (v->type != FLOE_JSON_NULL) {
                floe_format(st->reason, sizeof st->reason, "field '%.*s': expected an object", (int)key_len, key);
                return FLOE_DL_WRONG_TYPE;
            }
            planning = 0;
            i = v->next;
            continue;
        }
        planning = 0;
        if (sc->extra) {
            r = extra_add(st, line, i, stack, depth);
            if (r != 0) {
                if (r != FLOE_DL_DUPLICATE_KEY) /* extra_add named the duplicate */
                    floe_format(st->reason, sizeof st->reason, "unnamed fields too long at '%.*s'",
                                (int)(k->end - k->start), line + k->start);
                return r;
            }
        }
        i = v->next;
    }
    /* Each required column counted once (duplicates are faults): all there
     * unless the count is short, and then the first one missing is named. */
    if (required_present != st->n_required) {
        for (c = 0; c < sc->n_columns; c++) {
            if (values[c].is_null && !columns[c].nullable)
                return field_fault(st, FLOE_DL_MISSING_FIELD, (uint16_t)c,
                                   seen[c] ? "required field is null" : "required field is missing");
        }
    }
    if (planning) {
        /* The values no step writes: made null for each replayed record. */
        uint32_t j, n_unset = 0;
        for (c = 0; c < n_values; c++) {
            for (j = 0; j < plan_len && plan[j].column != c; j++)
                ;
            if (j == plan_len)
                st->plan_unset[n_unset++] = (uint16_t)c;
        }
        st->plan_n_unset = n_unset;
        st->plan_len = plan_len;
        st->plan_required = plan_required;
        st->plan_tokens = st->jp.n_tokens;
    }
    if (sc->extra && st->extra_len > 0) {
        /* (the walk closed every object it opened in _extra) */
        struct floe_value *x = &values[sc->n_columns];
        x->is_null = 0;
        x->v.str.ptr = st->extra;
        x->v.str.len = st->extra_len;
    }
    return 0;
}


/* A record laid out like the last planned one (same token count, the same
 * keys at the same token indices, values spanning the same tokens) takes
 * the same walk: replay it, checking each step, without the trie search.
 * Returns 0, a dead-letter reason (the same the walk would give), or -1
 * when the record differs from the plan. */
static int map_planned(struct floe_ndjson_state *st, const char *line, size_t line_len)
{
    const struct floe_json_tok *tok = st->jp.tokens;
    const struct plan_step *step = st->plan, *last = st->plan + st->plan_len;
    struct floe_value *values = st->values;
    uint32_t c;
    int r;

    /* Every required column is among the steps (else the walk names the
     * missing one). */
    if (st->plan_required != st->n_required)
        return -1;
    /* Each step writes its value (null included); the rest are null. */
    for (c = 0; c < st->plan_n_unset; c++)
        values[st->plan_unset[c]].is_null = 1;
    st->scratch_len = 0;
    st->extra_len = 0;
    for (; step < last; step++) {
        const struct floe_json_tok *k = &tok[step->key_tok], *v = k + 1;
        const char *key = line + k->start;
        if ((k->flags & FLOE_JSON_ESCAPED) || k->end - k->start != step->key_len || v->next != step->after)
            return -1;
        if (line_len - k->start >= 16 && step->key_len <= 16) {
            /* Both words at once, without a branch on the key's length
             * (the line has the 16 bytes; the mask keeps the key's). */
            uint64_t a, b;
            floe_memcpy(&a, key, 8);
            floe_memcpy(&b, key + 8, 8);
            if (((a & step->km[0]) ^ step->kw[0]) | ((b & step->km[1]) ^ step->kw[1]))
                return -1;
        } else if (!same_key(step->key, key, step->key_len)) {
            return -1;
        }
        if (step->column == NO_COLUMN) {
            if (v->type != FLOE_JSON_OBJECT)
                return -1;
            continue;
        }
        if (step->required && v->type == FLOE_JSON_NULL)
            return -1; /* the walk says which */
        r = convert_typed(st, line, step->column, step->type, v, &values[step->column]);
        if (r != 0)
            return r;
    }
    return 0;
}

static int map_record(struct floe_ndjson_state *st, const char *line, size_t line_len)
{
    if (st->plan_tokens != 0 && st->plan_tokens == st->jp.n_tokens) {
        int r = map_planned(st, line, line_len);
        if (r >= 0)
            return r;
    }
    st->plan_tokens = 0;
    return map_walk(st, line);
}

/* ---- lines --------------------------------------------------------------- */

static int json_fault_reason(int fault)
{
    switch (fault) {
    case FLOE_JSON_UTF8:
        return FLOE_DL_BAD_UTF8;
    case FLOE_JSON_DEPTH:
        return FLOE_DL_TOO_DEEP;
    case FLOE_JSON_TOKENS:
        return FLOE_DL_TOO_MANY_TOKENS;
    default:
        return FLOE_DL_MALFORMED_JSON;
    }
}

static int is_blank(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* One complete line (without its LF). */
static int process_line(struct floe_ndjson *dec, const char *s, size_t n)
{
    struct floe_ndjson_state *st = dec->st;
    size_t full = n;
    int fault, reason;
    if (st->at_source_start) {
        st->at_source_start = 0;
        if (n >= 3 && (uint8_t)s[0] == 0xef && (uint8_t)s[1] == 0xbb && (uint8_t)s[2] == 0xbf) {
            s += 3; /* a UTF-8 byte order mark from a Windows tool */
            n -= 3;
        }
    }
    st->line_no++;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (is_blank(s, n))
        return FLOE_OK;
    dec->stats.lines++;
    fault = floe_json_parse(&st->jp, s, n);
    if (fault != FLOE_JSON_OK) {
        floe_format(st->reason, sizeof st->reason, "%s at byte %u", st->jp.why, (unsigned)st->jp.where);
        return dead_letter(dec, json_fault_reason(fault), s, n, n, full);
    }
    if (st->jp.tokens[0].type != FLOE_JSON_OBJECT) {
        floe_format(st->reason, sizeof st->reason, "record is not a JSON object");
        return dead_letter(dec, FLOE_DL_NOT_OBJECT, s, n, n, full);
    }
    if (st->schema != NULL) {
        reason = map_record(st, s, n);
        if (reason != 0)
            return dead_letter(dec, reason, s, n, n, full);
    }
    if (st->cfg->on_row != NULL) {
        struct floe_row row;
        int r;
        row.values = st->values;
        row.n_values = st->n_values;
        row.source = st->source;
        row.source_seq = st->source_seq;
        row.line = st->line_no;
        row.offset = st->offset;
        row.reject_reason = st->reason;
        row.reject_reason_size = sizeof st->reason;
        st->reason[0] = '\0';
        r = st->cfg->on_row(st->cfg->cb_ctx, &row);
        if (r == FLOE_ROW_REJECT) {
            if (st->reason[0] == '\0')
                floe_format(st->reason, sizeof st->reason, "row rejected by the row callback");
            return dead_letter(dec, FLOE_DL_REJECTED, s, n, n, full);
        }
        if (r < 0)
            return r;
    }
    dec->stats.records_ok++;
    return FLOE_OK;
}

static int finish_overlong(struct floe_ndjson *dec)
{
    struct floe_ndjson_state *st = dec->st;
    st->line_no++;
    dec->stats.lines++;
    floe_format(st->reason, sizeof st->reason, "line longer than %u bytes", (unsigned)st->max_line);
    return dead_letter(dec, FLOE_DL_LINE_TOO_LONG, st->line, st->line_len, (size_t)st->overlong_len,
                       (size_t)st->overlong_len);
}

/* Line framing over decompressed bytes. */
static int feed_lines(struct floe_ndjson *dec, const char *p, size_t n)
{
    struct floe_ndjson_state *st = dec->st;
    int err = FLOE_OK;
    dec->stats.bytes_decoded += n;
    if (st->skip > 0) {
        /* A resumed source: these bytes were committed before. */
        size_t k = st->skip < n ? (size_t)st->skip : n;
        st->skip -= k;
        st->offset += k;
        p += k;
        n -= k;
        if (n > 0)
            st->at_source_start = 0;
    }
    while (n > 0) {
        const char *nl = (const char *)floe_memchr(p, '\n', n);
        size_t take = nl != NULL ? (size_t)(nl - p) : n;
        if (nl != NULL && st->line_len == 0 && !st->overlong) {
            /* Common case: the whole line is in this chunk, parse in place. */
            if (take > st->max_line) {
                st->overlong_len = take;
                floe_memcpy(st->line, p, st->dl_raw_max);
                st->line_len = st->dl_raw_max;
                err = finish_overlong(dec);
                st->line_len = 0;
                st->overlong_len = 0;
            } else {
                err = process_line(dec, p, take);
            }
        } else {
            if (!st->overlong && st->line_len + take > st->max_line) {
                st->overlong = 1;
                st->overlong_len = st->line_len;
                /* Keep what the dead letter shows; drop the rest. */
                if (st->line_len < st->dl_raw_max) {
                    size_t keep = st->dl_raw_max - st->line_len;
                    keep = keep < take ? keep : take;
                    floe_memcpy(st->line + st->line_len, p, keep);
                    st->line_len += (uint32_t)keep;
                } else if (st->line_len > st->dl_raw_max) {
                    st->line_len = st->dl_raw_max;
                }
            } else if (!st->overlong) {
                floe_memcpy(st->line + st->line_len, p, take);
                st->line_len += (uint32_t)take;
            }
            if (st->overlong)
                st->overlong_len += take;
            if (nl == NULL) {
                st->partial += take;
                break;
            }
            if (st->overlong)
                err = finish_overlong(dec);
            else
                err = process_line(dec, st->line, st->line_len);
            st->line_len = 0;
            st->overlong = 0;
            st->overlong_len = 0;
            st->offset += st->partial; /* the line's bytes from earlier chunks */
            st->partial = 0;
        }
        st->offset += take + 1;
        p += take + 1;
        n -= take + 1;
        if (err < 0)
            return err;
    }
    return err;
}

#ifndef FLOE_NO_ZSTD
static int zstd_fail(struct floe_ndjson *dec, int reason, const char *what)
{
    struct floe_ndjson_state *st = dec->st;
    int err;
    st->mode = MODE_FAILED;
    floe_format(st->reason, sizeof st->reason, "%s", what);
    st->line_no++;
    err = dead_letter(dec, reason, "", 0, 0, 0);
    return err < 0 ? err : FLOE_ERR_MALFORMED;
}

static int feed_zstd(struct floe_ndjson *dec, const void *data, size_t n)
{
    struct floe_ndjson_state *st = dec->st;
    ZSTD_inBuffer in;
    in.src = data;
    in.size = n;
    in.pos = 0;
    for (;;) {
        ZSTD_outBuffer out;
        size_t r;
        out.dst = st->zout;
        out.size = ZSTD_OUT_BYTES;
        out.pos = 0;
        if (st->zret == 0) /* a call stops at a frame's end: this one starts the next */
            st->frame_line = st->line_no + 1u;
        r = ZSTD_decompressStream(st->zds, &out, &in);
        if (ZSTD_isError(r)) {
            char what[REASON_MAX];
            if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
                floe_format(what, sizeof what, "zstd: %s (window limit %u KiB)", ZSTD_getErrorName(r),
                            (unsigned)(1u << (st->cfg->zstd_window_log ? st->cfg->zstd_window_log
                                                                       : FLOE_NDJSON_DEFAULT_WINDOW_LOG)) / 1024u);
            else if (st->frame_line <= st->line_no)
                /* Found late (a checksum is checked at the frame's end):
                 * the frame's complete lines have been decoded already. */
                floe_format(what, sizeof what, "zstd: %s, in the frame from line %llu (its lines %llu to %llu were decoded before the check)",
                            ZSTD_getErrorName(r), (unsigned long long)st->frame_line,
                            (unsigned long long)st->frame_line, (unsigned long long)st->line_no);
            else
                floe_format(what, sizeof what, "zstd: %s", ZSTD_getErrorName(r));
            return zstd_fail(dec, FLOE_DL_BAD_COMPRESSION, what);
        }
        st->zret = r;
        if (out.pos > 0)
            FLOE_TRY(feed_lines(dec, (const char *)st->zout, out.pos));
        if (in.pos == in.size && out.pos < out.size)
            return FLOE_OK;
    }
}
#endif

static int is_zstd_magic(const uint8_t *m)
{
    uint32_t v = floe_get_le32(m);
    return v == 0xfd2fb528u || (v & 0xfffffff0u) == 0x184d2a50u;
}

static int feed(struct floe_ndjson *dec, const uint8_t *p, size_t n)
{
    struct floe_ndjson_state *st = dec->st;
    if (st->mode == MODE_DETECT) {
        while (n > 0 && st->magic_len < 4) {
            st->magic[st->magic_len++] = *p++;
            n--;
        }
        if (st->magic_len < 4)
            return FLOE_OK;
        if (is_zstd_magic(st->magic)) {
#ifndef FLOE_NO_ZSTD
            if (st->zds == NULL)
                return zstd_fail(dec, FLOE_DL_BAD_COMPRESSION, "zstd input, but the decoder was set up without zstd");
            st->mode = MODE_ZSTD;
            FLOE_TRY(feed_zstd(dec, st->magic, 4));
#else
            st->mode = MODE_FAILED;
            return FLOE_ERR_UNSUPPORTED;
#endif
        } else {
            st->mode = MODE_PLAIN;
            FLOE_TRY(feed_lines(dec, (const char *)st->magic, 4));
        }
    }
    if (n == 0)
        return FLOE_OK;
    switch (st->mode) {
    case MODE_PLAIN:
        return feed_lines(dec, (const char *)p, n);
#ifndef FLOE_NO_ZSTD
    case MODE_ZSTD:
        return feed_zstd(dec, p, n);
#endif
    default:
        return FLOE_ERR_MALFORMED; /* the source already failed */
    }
}

int floe_ndjson_push(struct floe_ndjson *dec, const void *data, size_t n)
{
    FLOE_FAIL_IF(dec == NULL || dec->st == NULL || (data == NULL && n > 0), FLOE_ERR_INVAL);
    dec->stats.bytes_in += n;
    return feed(dec, (const uint8_t *)data, n);
}

int floe_ndjson_end(struct floe_ndjson *dec)
{
    struct floe_ndjson_state *st;
    int err = FLOE_OK;
    FLOE_FAIL_IF(dec == NULL || dec->st == NULL, FLOE_ERR_INVAL);
    st = dec->st;
    if (st->mode == MODE_DETECT && st->magic_len > 0) {
        /* Fewer than 4 bytes in all: plain text. */
        st->mode = MODE_PLAIN;
        err = feed_lines(dec, (const char *)st->magic, st->magic_len);
    }
#ifndef FLOE_NO_ZSTD
    if (err >= 0 && st->mode == MODE_ZSTD && st->zret != 0) {
        /* The input stopped inside a frame: whatever line was in progress
         * is incomplete, and the rest of the data is gone. */
        /* An overlong line holds only its start: its length is counted apart. */
        size_t whole = st->overlong ? (size_t)st->overlong_len : st->line_len;
        int r;
        floe_format(st->reason, sizeof st->reason, "input ends inside a zstd frame (truncated file)");
        st->line_no++;
        r = dead_letter(dec, FLOE_DL_TRUNCATED_INPUT, st->line, st->line_len, whole, whole);
        st->line_len = 0;
        st->overlong = 0;
        st->mode = MODE_FAILED;
        if (r < 0)
            return r;
    }
#endif
    if (err >= 0 && st->overlong)
        err = finish_overlong(dec);
    else if (err >= 0 && st->line_len > 0)
        err = process_line(dec, st->line, st->line_len);
    st->line_len = 0;
    st->overlong = 0;
    return err;
}

/* ---- standalone validation ----------------------------------------------- */

size_t floe_json_validate_work(uint32_t max_tokens, uint32_t max_depth)
{
    return floe_json_parser_work(max_tokens, max_depth);
}

int floe_json_validate_text(const char *text, size_t n, void *work, size_t work_size, uint32_t max_tokens,
                            uint32_t max_depth, const char **why, size_t *where)
{
    struct floe_json_parser jp;
    int fault;
    FLOE_FAIL_IF(text == NULL && n > 0, FLOE_ERR_INVAL);
    FLOE_TRY(floe_json_parser_init(&jp, work, work_size, max_tokens, max_depth));
    fault = floe_json_parse(&jp, text, n);
    if (why != NULL)
        *why = jp.why;
    if (where != NULL)
        *where = jp.where;
    if (fault == FLOE_JSON_OK)
        return FLOE_OK;
    return fault == FLOE_JSON_DEPTH || fault == FLOE_JSON_TOKENS ? FLOE_ERR_LIMIT : FLOE_ERR_MALFORMED;
}
