/* Schema checks and the schema file parser. */
#include "floe/schema.h"
#include "core/internal.h"
#include "ndjson/json.h"

static const char *const type_names[FLOE_TYPE__COUNT] = {
    "bool", "int32", "int64", "float", "double", "string", "timestamp_ms", "timestamp_us", "date", "json",
};

const char *floe_type_name(int type)
{
    return type >= 0 && type < FLOE_TYPE__COUNT ? type_names[type] : NULL;
}

int floe_type_from_name(const char *text, size_t n)
{
    int t;
    for (t = 0; t < FLOE_TYPE__COUNT; t++)
        if (floe_strlen(type_names[t]) == n && floe_memcmp(type_names[t], text, n) == 0)
            return t;
    return FLOE_ERR_INVAL;
}

static const char *column_path(const struct floe_column *c)
{
    return c->path != NULL ? c->path : c->name;
}

/* A path is dot-separated non-empty segments, at most MAX_PATH_DEPTH deep. */
static int path_ok(const char *p)
{
    size_t i, seg = 0, depth = 1, n = floe_strlen(p);
    if (n == 0 || n > FLOE_SCHEMA_MAX_NAME)
        return 0;
    for (i = 0; i < n; i++) {
        if (p[i] == '.') {
            if (seg == 0)
                return 0;
            seg = 0;
            depth++;
        } else {
            seg++;
        }
    }
    return seg > 0 && depth <= FLOE_SCHEMA_MAX_PATH_DEPTH;
}

/* Nonzero when path a is b or a dotted prefix of b (a field cannot be both a
 * leaf value and an object holding other columns). */
static int path_prefix(const char *a, const char *b)
{
    size_t na = floe_strlen(a), nb = floe_strlen(b);
    if (na > nb || floe_memcmp(a, b, na) != 0)
        return 0;
    return na == nb || b[na] == '.';
}

int floe_schema_check(const struct floe_schema *s, const char **why)
{
    size_t i, j;
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    if (s == NULL || (s->columns == NULL && s->n_columns > 0)) {
        *why = "no schema";
        return FLOE_ERR_INVAL;
    }
    if (s->n_columns == 0 || s->n_columns + (s->extra ? 1u : 0u) > FLOE_SCHEMA_MAX_COLUMNS) {
        *why = "a schema needs 1 to 255 columns";
        return FLOE_ERR_INVAL;
    }
    for (i = 0; i < s->n_columns; i++) {
        const struct floe_column *c = &s->columns[i];
        size_t name_len = c->name != NULL ? floe_strlen(c->name) : 0;
        if (name_len == 0 || name_len > FLOE_SCHEMA_MAX_NAME) {
            *why = "column name empty or too long";
            return FLOE_ERR_INVAL;
        }
        if (c->type >= FLOE_TYPE__COUNT) {
            *why = "unknown column type";
            return FLOE_ERR_INVAL;
        }
        if (!path_ok(column_path(c))) {
            *why = "bad JSON path (empty segment, too long or too deep)";
            return FLOE_ERR_INVAL;
        }
        if (c->epoch_unit > FLOE_EPOCH_US ||
            (c->epoch_unit != FLOE_EPOCH_NONE && c->type != FLOE_TYPE_TIMESTAMP_MS &&
             c->type != FLOE_TYPE_TIMESTAMP_US)) {
            *why = "epoch_unit is only for timestamp columns";
            return FLOE_ERR_INVAL;
        }
        if (s->extra && floe_strlen(c->name) == 6 && floe_memcmp(c->name, FLOE_EXTRA_COLUMN_NAME, 6) == 0) {
            *why = "column name _extra is reserved when extra is on";
            return FLOE_ERR_INVAL;
        }
        for (j = 0; j < i; j++) {
            const struct floe_column *d = &s->columns[j];
            if (floe_strlen(d->name) == name_len && floe_memcmp(d->name, c->name, name_len) == 0) {
                *why = "duplicate column name";
                return FLOE_ERR_INVAL;
            }
            if (path_prefix(column_path(c), column_path(d)) || path_prefix(column_path(d), column_path(c))) {
                *why = "one column's path is inside another's";
                return FLOE_ERR_INVAL;
            }
        }
    }
    return FLOE_OK;
}

/* ---- schema files -------------------------------------------------------- */

#define SCHEMA_MAX_TOKENS (8u + FLOE_SCHEMA_MAX_COLUMNS * 12u)
#define SCHEMA_MAX_DEPTH 4u

struct schema_parse {
    const char *text;
    const struct floe_json_tok *tok;
    char *why;
    size_t why_cap;
};

static int say(struct schema_parse *sp, int err, const char *what, const struct floe_json_tok *near)
{
    if (sp->why != NULL && sp->why_cap > 0) {
        if (near != NULL && near->type == FLOE_JSON_STRING)
            floe_format(sp->why, sp->why_cap, "%s (at \"%.*s\")", what, (int)(near->end - near->start),
                        sp->text + near->start);
        else
            floe_format(sp->why, sp->why_cap, "%s", what);
    }
    return err;
}

static int key_is(const struct schema_parse *sp, const struct floe_json_tok *k, const char *name)
{
    size_t n = floe_strlen(name);
    return k->end - k->start == n && floe_memcmp(sp->text + k->start, name, n) == 0;
}

/* Copies a string token (unescaped) into the arena as a C string. */
static int take_string(struct schema_parse *sp, struct floe_arena *a, const struct floe_json_tok *t,
                       const char **out)
{
    void *p;
    size_t n = t->end - t->start;
    if (t->type != FLOE_JSON_STRING)
        return say(sp, FLOE_ERR_INVAL, "expected a string", NULL);
    FLOE_TRY(floe_arena_take(a, n + 1, 1, &p));
    n = floe_json_unescape(sp->text + t->start, n, (char *)p);
    ((char *)p)[n] = '\0';
    *out = (const char *)p;
    return FLOE_OK;
}

static int parse_column(struct schema_parse *sp, struct floe_arena *a, uint32_t obj, struct floe_column *c)
{
    const struct floe_json_tok *tok = sp->tok;
    uint32_t i = obj + 1;
    int have_type = 0;
    if (tok[obj].type != FLOE_JSON_OBJECT)
        return say(sp, FLOE_ERR_MALFORMED, "each column must be an object", NULL);
    c->nullable = 1;
    while (i < tok[obj].next) {
        const struct floe_json_tok *k = &tok[i], *v = &tok[i + 1];
        if (key_is(sp, k, "name")) {
            FLOE_TRY(take_string(sp, a, v, &c->name));
        } else if (key_is(sp, k, "path")) {
            FLOE_TRY(take_string(sp, a, v, &c->path));
        } else if (key_is(sp, k, "type")) {
            int t = v->type == FLOE_JSON_STRING ? floe_type_from_name(sp->text + v->start, v->end - v->start)
                                                : FLOE_ERR_INVAL;
            if (t < 0)
                return say(sp, FLOE_ERR_INVAL, "unknown type (bool, int32, int64, float, double, string, "
                                               "timestamp_ms, timestamp_us, date)", v);
            c->type = (uint8_t)t;
            have_type = 1;
        } else if (key_is(sp, k, "nullable")) {
            if (v->type != FLOE_JSON_TRUE && v->type != FLOE_JSON_FALSE)
                return say(sp, FLOE_ERR_INVAL, "nullable must be true or false", k);
            c->nullable = v->type == FLOE_JSON_TRUE;
        } else if (key_is(sp, k, "epoch_unit")) {
            if (v->type == FLOE_JSON_STRING && key_is(sp, v, "s"))
                c->epoch_unit = FLOE_EPOCH_S;
            else if (v->type == FLOE_JSON_STRING && key_is(sp, v, "ms"))
                c->epoch_unit = FLOE_EPOCH_MS;
            else if (v->type == FLOE_JSON_STRING && key_is(sp, v, "us"))
                c->epoch_unit = FLOE_EPOCH_US;
            else
                return say(sp, FLOE_ERR_INVAL, "epoch_unit must be \"s\", \"ms\" or \"us\"", v);
        } else {
            return say(sp, FLOE_ERR_INVAL, "unknown key in column", k);
        }
        i = tok[i + 1].next;
    }
    if (c->name == NULL || !have_type)
        return say(sp, FLOE_ERR_INVAL, "a column needs \"name\" and \"type\"", NULL);
    return FLOE_OK;
}

int floe_schema_parse(const char *text, size_t n, struct floe_arena *arena, struct floe_schema *out,
                      char *why, size_t why_cap)
{
    struct floe_json_parser jp;
    struct schema_parse sp;
    struct floe_column *cols = NULL;
    size_t mark, work_size = floe_json_parser_work(SCHEMA_MAX_TOKENS, SCHEMA_MAX_DEPTH);
    void *work;
    uint32_t i, n_cols = 0, cols_tok = 0;
    int err, extra = 0;
    const char *check_why;

    FLOE_FAIL_IF(text == NULL || arena == NULL || out == NULL, FLOE_ERR_INVAL);
    sp.text = text;
    sp.why = why;
    sp.why_cap = why_cap;
    if (why != NULL && why_cap > 0)
        why[0] = '\0';
    /* The token scratch is only needed while parsing: give it back after. */
    mark = floe_arena_mark(arena);
    FLOE_TRY(floe_arena_take_raw(arena, work_size, 8, &work));
    FLOE_TRY(floe_json_parser_init(&jp, work, work_size, SCHEMA_MAX_TOKENS, SCHEMA_MAX_DEPTH));
    if (floe_json_parse(&jp, text, n) != FLOE_JSON_OK) {
        if (why != NULL && why_cap > 0)
            floe_format(why, why_cap, "schema is not valid JSON: %s at byte %u", jp.why, (unsigned)jp.where);
        floe_arena_rewind(arena, mark);
        return FLOE_ERR_MALFORMED;
    }
    sp.tok = jp.tokens;
    if (jp.tokens[0].type != FLOE_JSON_OBJECT) {
        floe_arena_rewind(arena, mark);
        return say(&sp, FLOE_ERR_MALFORMED, "schema must be an object with \"columns\"", NULL);
    }
    for (i = 1; i < jp.tokens[0].next; i = jp.tokens[i + 1].next) {
        const struct floe_json_tok *k = &jp.tokens[i], *v = &jp.tokens[i + 1];
        if (key_is(&sp, k, "columns") && v->type == FLOE_JSON_ARRAY) {
            cols_tok = i + 1;
        } else if (key_is(&sp, k, "extra") && (v->type == FLOE_JSON_TRUE || v->type == FLOE_JSON_FALSE)) {
            extra = v->type == FLOE_JSON_TRUE;
        } else {
            err = say(&sp, FLOE_ERR_INVAL, "unknown or mistyped key (expected \"columns\": [...], \"extra\": bool)", k);
            floe_arena_rewind(arena, mark);
            return err;
        }
    }
    if (cols_tok == 0) {
        floe_arena_rewind(arena, mark);
        return say(&sp, FLOE_ERR_MALFORMED, "schema has no \"columns\" array", NULL);
    }
    for (i = cols_tok + 1; i < jp.tokens[cols_tok].next; i = jp.tokens[i].next)
        n_cols++;
    if (n_cols == 0 || n_cols > FLOE_SCHEMA_MAX_COLUMNS) {
        floe_arena_rewind(arena, mark);
        return say(&sp, FLOE_ERR_INVAL, "a schema needs 1 to 255 columns", NULL);
    }
    /* Columns and their strings go below the scratch, so rewinding the
     * scratch keeps them: carve them first by moving the scratch up. */
    floe_arena_rewind(arena, mark);
    err = floe_arena_take(arena, n_cols * sizeof *cols, 8, (void **)&cols);
    if (err == FLOE_OK) {
        size_t col_mark = floe_arena_mark(arena);
        /* Strings are at most n bytes in all; keep them below the scratch. */
        void *strings;
        err = floe_arena_take(arena, n + n_cols, 1, &strings);
        if (err == FLOE_OK) {
            struct floe_arena str_arena;
            floe_arena_init(&str_arena, strings, n + n_cols);
            err = floe_arena_take_raw(arena, work_size, 8, &work);
            if (err == FLOE_OK)
                err = floe_json_parser_init(&jp, work, work_size, SCHEMA_MAX_TOKENS, SCHEMA_MAX_DEPTH);
            if (err == FLOE_OK && floe_json_parse(&jp, text, n) != FLOE_JSON_OK)
                err = FLOE_ERR_MALFORMED;
            sp.tok = jp.tokens;
            n_cols = 0;
            for (i = cols_tok + 1; err == FLOE_OK && i < jp.tokens[cols_tok].next; i = jp.tokens[i].next)
                err = parse_column(&sp, &str_arena, i, &cols[n_cols++]);
            /* Give back the scratch and the unused string space. */
            floe_arena_rewind(arena, col_mark + str_arena.used);
        }
    }
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        if (err == FLOE_ERR_NOMEM)
            say(&sp, err, "arena too small for the schema", NULL);
        return err;
    }
    out->columns = cols;
    out->n_columns = n_cols;
    out->extra = extra;
    if (floe_schema_check(out, &check_why) != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        return say(&sp, FLOE_ERR_INVAL, check_why, NULL);
    }
    return FLOE_OK;
}
