/* Thrift compact protocol (doc/specs/thrift-compact-protocol.md in Apache
 * Thrift): zigzag varints for i16/i32/i64, plain varints for lengths and
 * counts, field ids as 4-bit deltas, bools folded into field headers. */
#include "parquet/thrift.h"
#include "core/internal.h"

#define MAX_I32 0x7fffffffu

enum { K_STRUCT = 1, K_LIST = 2, K_MAP = 3 };

/* ---- shared ------------------------------------------------------------- */

const char *floe_thrift_type_name(int type)
{
    static const char *const names[] = {"stop", "bool", "bool", "i8", "i16", "i32", "i64",
                                        "double", "binary", "list", "set", "map", "struct",
                                        "uuid"};
    if (type < 0 || type >= (int)FLOE_ARRAY_LEN(names))
        return "?";
    return names[type];
}

static uint64_t zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static uint32_t zigzag32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (v < 0 ? UINT32_MAX : 0);
}

/* Without relying on implementation-defined unsigned-to-signed conversion. */
static int64_t unzigzag(uint64_t u)
{
    uint64_t x = (u >> 1) ^ (0 - (u & 1));
    if (x <= (uint64_t)INT64_MAX)
        return (int64_t)x;
    return -(int64_t)(~x) - 1;
}

/* ---- writer ------------------------------------------------------------- */

void floe_thrift_writer_init(struct floe_thrift_writer *w, uint8_t *buf, size_t cap)
{
    floe_memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    w->kind[0] = K_STRUCT;
}

void floe_thrift_writer_init_counting(struct floe_thrift_writer *w)
{
    floe_thrift_writer_init(w, NULL, SIZE_MAX);
}

static void set_err(struct floe_thrift_writer *w, int err)
{
    if (w->err == 0)
        w->err = err;
}

static void put(struct floe_thrift_writer *w, const void *p, size_t n)
{
    if (w->err != 0)
        return;
    if (n > w->cap - w->len) {
        set_err(w, FLOE_ERR_NOMEM);
        return;
    }
    if (w->buf != NULL && n > 0)
        floe_memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_byte(struct floe_thrift_writer *w, unsigned b)
{
    uint8_t c = (uint8_t)b;
    put(w, &c, 1);
}

static void put_varint(struct floe_thrift_writer *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    put(w, tmp, n);
}

/* True (and no error set) when the innermost open frame is of that kind. */
static int top_is(struct floe_thrift_writer *w, int kind)
{
    if (w->err != 0)
        return 0;
    if (w->depth < 0 || w->kind[w->depth] != kind) {
        set_err(w, FLOE_ERR_STATE);
        return 0;
    }
    return 1;
}

static int field_header(struct floe_thrift_writer *w, int type, int16_t id)
{
    int delta;
    if (!top_is(w, K_STRUCT))
        return 0;
    delta = (int)id - (int)w->last_id[w->depth];
    if (delta >= 1 && delta <= 15) {
        put_byte(w, (unsigned)(delta << 4) | (unsigned)type);
    } else {
        put_byte(w, (unsigned)type);
        put_varint(w, zigzag32(id));
    }
    w->last_id[w->depth] = id;
    return w->err == 0;
}

/* Takes the next element slot of the innermost list, of elem_type. */
static int elem_slot(struct floe_thrift_writer *w, int elem_type)
{
    if (!top_is(w, K_LIST))
        return 0;
    if (w->elem[w->depth] != elem_type || w->left[w->depth] == 0) {
        set_err(w, FLOE_ERR_STATE);
        return 0;
    }
    w->left[w->depth]--;
    return 1;
}

static int push(struct floe_thrift_writer *w, int kind)
{
    if (w->err != 0)
        return 0;
    if (w->depth + 1 >= FLOE_THRIFT_MAX_DEPTH) {
        set_err(w, FLOE_ERR_LIMIT);
        return 0;
    }
    w->depth++;
    w->kind[w->depth] = (uint8_t)kind;
    w->last_id[w->depth] = 0;
    w->elem[w->depth] = 0;
    w->left[w->depth] = 0;
    return 1;
}

int floe_thrift_write_bool(struct floe_thrift_writer *w, int16_t id, int v)
{
    field_header(w, v ? FLOE_THRIFT_BOOL_TRUE : FLOE_THRIFT_BOOL_FALSE, id);
    return w->err;
}

int floe_thrift_write_i8(struct floe_thrift_writer *w, int16_t id, int8_t v)
{
    if (field_header(w, FLOE_THRIFT_I8, id))
        put_byte(w, (uint8_t)v);
    return w->err;
}

int floe_thrift_write_i16(struct floe_thrift_writer *w, int16_t id, int16_t v)
{
    if (field_header(w, FLOE_THRIFT_I16, id))
        put_varint(w, zigzag32(v));
    return w->err;
}

int floe_thrift_write_i32(struct floe_thrift_writer *w, int16_t id, int32_t v)
{
    if (field_header(w, FLOE_THRIFT_I32, id))
        put_varint(w, zigzag32(v));
    return w->err;
}

int floe_thrift_write_i64(struct floe_thrift_writer *w, int16_t id, int64_t v)
{
    if (field_header(w, FLOE_THRIFT_I64, id))
        put_varint(w, zigzag64(v));
    return w->err;
}

static void put_binary(struct floe_thrift_writer *w, const void *p, size_t n)
{
    if (n > MAX_I32) {
        set_err(w, FLOE_ERR_RANGE);
        return;
    }
    put_varint(w, n);
    put(w, p, n);
}

int floe_thrift_write_binary(struct floe_thrift_writer *w, int16_t id, const void *p, size_t n)
{
    if (n > 0 && p == NULL && w->buf != NULL)
        set_err(w, FLOE_ERR_INVAL);
    if (field_header(w, FLOE_THRIFT_BINARY, id))
        put_binary(w, p, n);
    return w->err;
}

int floe_thrift_write_string(struct floe_thrift_writer *w, int16_t id, const char *s)
{
    if (s == NULL) {
        set_err(w, FLOE_ERR_INVAL);
        return w->err;
    }
    return floe_thrift_write_binary(w, id, s, floe_strlen(s));
}

int floe_thrift_write_struct_begin(struct floe_thrift_writer *w, int16_t id)
{
    if (field_header(w, FLOE_THRIFT_STRUCT, id))
        push(w, K_STRUCT);
    return w->err;
}

int floe_thrift_write_struct_end(struct floe_thrift_writer *w)
{
    if (!top_is(w, K_STRUCT))
        return w->err;
    if (w->depth == 0) { /* the top-level struct ends in finish */
        set_err(w, FLOE_ERR_STATE);
        return w->err;
    }
    put_byte(w, FLOE_THRIFT_STOP);
    w->depth--;
    return w->err;
}

int floe_thrift_write_list_begin(struct floe_thrift_writer *w, int16_t id, int elem_type,
                                 uint32_t count)
{
    if (elem_type == FLOE_THRIFT_BOOL_FALSE)
        elem_type = FLOE_THRIFT_BOOL;
    if (elem_type < FLOE_THRIFT_BOOL_TRUE || elem_type > FLOE_THRIFT_UUID) {
        set_err(w, FLOE_ERR_INVAL);
        return w->err;
    }
    if (count > MAX_I32) {
        set_err(w, FLOE_ERR_RANGE);
        return w->err;
    }
    if (!field_header(w, FLOE_THRIFT_LIST, id))
        return w->err;
    if (count < 15) {
        put_byte(w, (unsigned)(count << 4) | (unsigned)elem_type);
    } else {
        put_byte(w, 0xf0u | (unsigned)elem_type);
        put_varint(w, count);
    }
    if (push(w, K_LIST)) {
        w->elem[w->depth] = (uint8_t)elem_type;
        w->left[w->depth] = count;
    }
    return w->err;
}

int floe_thrift_write_list_end(struct floe_thrift_writer *w)
{
    if (!top_is(w, K_LIST))
        return w->err;
    if (w->left[w->depth] != 0) {
        set_err(w, FLOE_ERR_STATE);
        return w->err;
    }
    w->depth--;
    return w->err;
}

int floe_thrift_write_elem_bool(struct floe_thrift_writer *w, int v)
{
    /* Element bools are a byte: 1 true, 2 false (what readers expect). */
    if (elem_slot(w, FLOE_THRIFT_BOOL))
        put_byte(w, v ? FLOE_THRIFT_BOOL_TRUE : FLOE_THRIFT_BOOL_FALSE);
    return w->err;
}

int floe_thrift_write_elem_i32(struct floe_thrift_writer *w, int32_t v)
{
    if (elem_slot(w, FLOE_THRIFT_I32))
        put_varint(w, zigzag32(v));
    return w->err;
}

int floe_thrift_write_elem_i64(struct floe_thrift_writer *w, int64_t v)
{
    if (elem_slot(w, FLOE_THRIFT_I64))
        put_varint(w, zigzag64(v));
    return w->err;
}

int floe_thrift_write_elem_binary(struct floe_thrift_writer *w, const void *p, size_t n)
{
    if (n > 0 && p == NULL && w->buf != NULL)
        set_err(w, FLOE_ERR_INVAL);
    if (elem_slot(w, FLOE_THRIFT_BINARY))
        put_binary(w, p, n);
    return w->err;
}

int floe_thrift_write_elem_struct_begin(struct floe_thrift_writer *w)
{
    if (elem_slot(w, FLOE_THRIFT_STRUCT))
        push(w, K_STRUCT);
    return w->err;
}

int floe_thrift_writer_finish(struct floe_thrift_writer *w)
{
    if (w->err != 0)
        return w->err;
    if (w->depth != -1) {
        if (w->depth != 0) {
            set_err(w, FLOE_ERR_STATE);
            return w->err;
        }
        put_byte(w, FLOE_THRIFT_STOP);
        if (w->err != 0)
            return w->err;
        w->depth = -1;
    }
    if (w->len > MAX_I32) {
        set_err(w, FLOE_ERR_RANGE);
        return w->err;
    }
    return (int)w->len;
}

/* ---- reader ------------------------------------------------------------- */

void floe_thrift_reader_init(struct floe_thrift_reader *r, const uint8_t *p, size_t n)
{
    floe_memset(r, 0, sizeof *r);
    r->p = p;
    r->len = p != NULL ? n : 0;
}

/* Records the first error; returns this one (always negative). */
static int rfail(struct floe_thrift_reader *r, int err)
{
    if (r->err == 0)
        r->err = err;
    return err;
}

static size_t rleft(const struct floe_thrift_reader *r)
{
    return r->len - r->pos;
}

static int get_byte(struct floe_thrift_reader *r, uint8_t *b)
{
    if (r->pos >= r->len)
        return rfail(r, FLOE_ERR_MALFORMED);
    *b = r->p[r->pos++];
    return FLOE_OK;
}

/* At most 10 bytes, and the 10th may only carry bit 63. */
static int get_varint(struct floe_thrift_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < 10; i++) {
        uint8_t b = 0;
        FLOE_TRY(get_byte(r, &b));
        if (i == 9 && b > 1)
            return rfail(r, FLOE_ERR_MALFORMED);
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *out = v;
            return FLOE_OK;
        }
    }
    return rfail(r, FLOE_ERR_MALFORMED); /* not reached: the 10th byte stops */
}

/* A zigzag varint that must fit in bits (16, 32 or 64). */
static int get_zigzag(struct floe_thrift_reader *r, unsigned bits, int64_t *v)
{
    uint64_t u = 0;
    FLOE_TRY(get_varint(r, &u));
    if (bits < 64 && (u >> bits) != 0)
        return rfail(r, FLOE_ERR_MALFORMED);
    *v = unzigzag(u);
    return FLOE_OK;
}

/* A length or count: a plain varint of at most INT32_MAX. */
static int get_size(struct floe_thrift_reader *r, uint32_t *n)
{
    uint64_t u = 0;
    FLOE_TRY(get_varint(r, &u));
    if (u > MAX_I32)
        return rfail(r, FLOE_ERR_MALFORMED);
    *n = (uint32_t)u;
    return FLOE_OK;
}

static int get_bytes(struct floe_thrift_reader *r, size_t n, const uint8_t **p)
{
    if (n > rleft(r))
        return rfail(r, FLOE_ERR_MALFORMED);
    *p = r->p + r->pos;
    r->pos += n;
    return FLOE_OK;
}

/* Bytes an element of this type takes at least; 0 for no valid element type. */
static size_t elem_min_size(int t)
{
    switch (t) {
    case FLOE_THRIFT_DOUBLE:
        return 8;
    case FLOE_THRIFT_UUID:
        return 16;
    default:
        return t >= FLOE_THRIFT_BOOL_TRUE && t <= FLOE_THRIFT_UUID ? 1 : 0;
    }
}

/* Both bool element-type codes are in use: report them as FLOE_THRIFT_BOOL. */
static int elem_type_of(int t)
{
    return t == FLOE_THRIFT_BOOL_FALSE ? FLOE_THRIFT_BOOL : t;
}

static int get_field_header(struct floe_thrift_reader *r, int16_t *last_id, int *type,
                            int16_t *id)
{
    uint8_t b = 0;
    int t;
    FLOE_TRY(get_byte(r, &b));
    if (b == 0) {
        *type = FLOE_THRIFT_STOP;
        *id = 0;
        return FLOE_OK;
    }
    t = b & 0x0f;
    if (t < FLOE_THRIFT_BOOL_TRUE || t > FLOE_THRIFT_UUID)
        return rfail(r, FLOE_ERR_MALFORMED);
    if ((b >> 4) != 0) {
        int full = (int)*last_id + (b >> 4);
        if (full > INT16_MAX)
            return rfail(r, FLOE_ERR_MALFORMED);
        *id = (int16_t)full;
    } else {
        int64_t v = 0;
        FLOE_TRY(get_zigzag(r, 16, &v));
        *id = (int16_t)v;
    }
    *last_id = *id;
    *type = t;
    return FLOE_OK;
}

static int get_list_header(struct floe_thrift_reader *r, int *elem_type, uint32_t *count)
{
    uint8_t b = 0;
    uint32_t n = 0;
    size_t min;
    int t;
    FLOE_TRY(get_byte(r, &b));
    t = b & 0x0f;
    n = b >> 4;
    if (n == 15)
        FLOE_TRY(get_size(r, &n));
    min = elem_min_size(t);
    if (min == 0 || n > rleft(r) / min)
        return rfail(r, FLOE_ERR_MALFORMED);
    *elem_type = elem_type_of(t);
    *count = n;
    return FLOE_OK;
}

static int get_map_header(struct floe_thrift_reader *r, int *kt, int *vt, uint32_t *count)
{
    uint32_t n = 0;
    uint8_t b = 0;
    size_t kmin, vmin;
    FLOE_TRY(get_size(r, &n));
    if (n == 0) {
        *kt = *vt = FLOE_THRIFT_STOP;
        *count = 0;
        return FLOE_OK;
    }
    FLOE_TRY(get_byte(r, &b));
    *kt = b >> 4;
    *vt = b & 0x0f;
    kmin = elem_min_size(*kt);
    vmin = elem_min_size(*vt);
    if (kmin == 0 || vmin == 0 || n > rleft(r) / (kmin + vmin))
        return rfail(r, FLOE_ERR_MALFORMED);
    *kt = elem_type_of(*kt);
    *vt = elem_type_of(*vt);
    *count = n;
    return FLOE_OK;
}

int floe_thrift_read_field_header(struct floe_thrift_reader *r, int *type, int16_t *id)
{
    int t = FLOE_THRIFT_STOP;
    int16_t fid = 0;
    if (r->err != 0)
        return r->err;
    FLOE_TRY(get_field_header(r, &r->last_id[r->depth], &t, &fid));
    if (t == FLOE_THRIFT_STOP && r->depth > 0)
        r->depth--;
    if (type != NULL)
        *type = t;
    if (id != NULL)
        *id = fid;
    return t;
}

int floe_thrift_read_bool(struct floe_thrift_reader *r, int type, int *v)
{
    if (r->err != 0)
        return r->err;
    if (type != FLOE_THRIFT_BOOL_TRUE && type != FLOE_THRIFT_BOOL_FALSE)
        return rfail(r, FLOE_ERR_MALFORMED);
    *v = type == FLOE_THRIFT_BOOL_TRUE;
    return FLOE_OK;
}

/* 1 true, 2 false; 0 false too (an older revision of the spec). */
static int get_elem_bool(struct floe_thrift_reader *r, int *v)
{
    uint8_t b = 0;
    FLOE_TRY(get_byte(r, &b));
    if (b > 2)
        return rfail(r, FLOE_ERR_MALFORMED);
    *v = b == 1;
    return FLOE_OK;
}

int floe_thrift_read_elem_bool(struct floe_thrift_reader *r, int *v)
{
    if (r->err != 0)
        return r->err;
    return get_elem_bool(r, v);
}

int floe_thrift_read_i8(struct floe_thrift_reader *r, int8_t *v)
{
    uint8_t b = 0;
    if (r->err != 0)
        return r->err;
    FLOE_TRY(get_byte(r, &b));
    *v = (int8_t)(b < 0x80 ? (int)b : (int)b - 256);
    return FLOE_OK;
}

int floe_thrift_read_i16(struct floe_thrift_reader *r, int16_t *v)
{
    int64_t x = 0;
    if (r->err != 0)
        return r->err;
    FLOE_TRY(get_zigzag(r, 16, &x));
    *v = (int16_t)x;
    return FLOE_OK;
}

int floe_thrift_read_i32(struct floe_thrift_reader *r, int32_t *v)
{
    int64_t x = 0;
    if (r->err != 0)
        return r->err;
    FLOE_TRY(get_zigzag(r, 32, &x));
    *v = (int32_t)x;
    return FLOE_OK;
}

int floe_thrift_read_i64(struct floe_thrift_reader *r, int64_t *v)
{
    if (r->err != 0)
        return r->err;
    return get_zigzag(r, 64, v);
}

int floe_thrift_read_binary(struct floe_thrift_reader *r, const uint8_t **p, size_t *n)
{
    uint32_t len = 0;
    if (r->err != 0)
        return r->err;
    FLOE_TRY(get_size(r, &len));
    FLOE_TRY(get_bytes(r, len, p));
    *n = len;
    return FLOE_OK;
}

int floe_thrift_read_list_header(struct floe_thrift_reader *r, int *elem_type, uint32_t *count)
{
    if (r->err != 0)
        return r->err;
    return get_list_header(r, elem_type, count);
}

int floe_thrift_read_struct_begin(struct floe_thrift_reader *r)
{
    if (r->err != 0)
        return r->err;
    if (r->depth + 1 >= FLOE_THRIFT_MAX_DEPTH)
        return rfail(r, FLOE_ERR_LIMIT);
    r->depth++;
    r->last_id[r->depth] = 0;
    return FLOE_OK;
}

/* ---- walker: skip and dump ---------------------------------------------- */

/* One open container while walking. */
struct wframe {
    uint8_t kind;
    uint8_t t1, t2;   /* list/set: element type in t1; map: key t1, value t2 */
    int16_t last_id;  /* struct: previous field id */
    uint32_t count;   /* list: elements; map: entries */
    uint32_t done;    /* list: elements visited; map: keys and values visited */
};

/* Where a value sits, for the dump's line prefix. */
enum { L_FIELD, L_ELEM, L_KEY, L_VALUE };

#define DUMP_LINE 192
#define DUMP_PREVIEW 24

struct walker {
    struct floe_thrift_reader *r;
    struct wframe st[FLOE_THRIFT_MAX_DEPTH];
    int sp;  /* frames in use */
    int max; /* frames allowed */
    void (*emit)(void *ctx, const char *line);
    void *ctx;
    int label;
    long label_n; /* field id or element index */
};

static size_t fmt_into(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static size_t fmt_into(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    n = floe_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

static void emitf(struct walker *wk, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* One dump line: indentation by nesting, the value's label, then fmt. */
static void emitf(struct walker *wk, const char *fmt, ...)
{
    char line[DUMP_LINE];
    size_t n = 0;
    int indent = wk->sp > 0 ? (wk->sp - 1) * 2 : 0;
    va_list ap;
    if (wk->emit == NULL)
        return;
    while (indent-- > 0)
        line[n++] = ' '; /* at most 2 * FLOE_THRIFT_MAX_DEPTH */
    switch (wk->label) {
    case L_FIELD:
        n += fmt_into(line + n, sizeof line - n, "%ld: ", wk->label_n);
        break;
    case L_ELEM:
        n += fmt_into(line + n, sizeof line - n, "[%ld] ", wk->label_n);
        break;
    case L_KEY:
        n += fmt_into(line + n, sizeof line - n, "[%ld] key ", wk->label_n);
        break;
    default:
        n += fmt_into(line + n, sizeof line - n, "[%ld] value ", wk->label_n);
        break;
    }
    va_start(ap, fmt);
    floe_vformat(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    wk->emit(wk->ctx, line);
}

/* Printable ASCII as is, other bytes (and the quote and backslash) as \xNN. */
static void preview(char *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, k = 0;
    for (i = 0; i < n && i < DUMP_PREVIEW; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[k++] = (char)c;
        } else {
            out[k++] = '\\';
            out[k++] = 'x';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
    }
    out[k] = '\0';
}

static int wpush(struct walker *wk, int kind, int t1, int t2, uint32_t count)
{
    struct wframe *f;
    if (wk->sp >= wk->max)
        return rfail(wk->r, FLOE_ERR_LIMIT);
    f = &wk->st[wk->sp++];
    f->kind = (uint8_t)kind;
    f->t1 = (uint8_t)t1;
    f->t2 = (uint8_t)t2;
    f->last_id = 0;
    f->count = count;
    f->done = 0;
    return FLOE_OK;
}

/* Reads one value of type: a scalar whole, a container's header (its
 * contents follow through walk). in_field: a bool is in the field header. */
static int visit(struct walker *wk, int type, int in_field)
{
    struct floe_thrift_reader *r = wk->r;
    const uint8_t *p = NULL;
    int64_t v = 0;
    uint32_t n = 0;
    int t1 = 0, t2 = 0;
    switch (type) {
    case FLOE_THRIFT_BOOL_TRUE:
    case FLOE_THRIFT_BOOL_FALSE: {
        int b = type == FLOE_THRIFT_BOOL_TRUE;
        if (!in_field)
            FLOE_TRY(get_elem_bool(r, &b));
        emitf(wk, "bool = %s", b ? "true" : "false");
        return FLOE_OK;
    }
    case FLOE_THRIFT_I8:
        FLOE_TRY(get_bytes(r, 1, &p));
        emitf(wk, "i8 = %d", p[0] < 0x80 ? (int)p[0] : (int)p[0] - 256);
        return FLOE_OK;
    case FLOE_THRIFT_I16:
    case FLOE_THRIFT_I32:
    case FLOE_THRIFT_I64:
        FLOE_TRY(get_zigzag(r, type == FLOE_THRIFT_I16 ? 16u : type == FLOE_THRIFT_I32 ? 32u : 64u,
                            &v));
        emitf(wk, "%s = %lld", floe_thrift_type_name(type), (long long)v);
        return FLOE_OK;
    case FLOE_THRIFT_DOUBLE:
        FLOE_TRY(get_bytes(r, 8, &p));
        emitf(wk, "double = 0x%llx", (unsigned long long)floe_get_le64(p));
        return FLOE_OK;
    case FLOE_THRIFT_BINARY: {
        char pv[DUMP_PREVIEW * 4 + 1];
        FLOE_TRY(get_size(r, &n));
        FLOE_TRY(get_bytes(r, n, &p));
        if (wk->emit != NULL) {
            preview(pv, p, n);
            emitf(wk, "binary(%lu) \"%s\"%s", (unsigned long)n, pv,
                  n > DUMP_PREVIEW ? "..." : "");
        }
        return FLOE_OK;
    }
    case FLOE_THRIFT_UUID: {
        static const char hex[] = "0123456789abcdef";
        char s[33];
        unsigned i;
        FLOE_TRY(get_bytes(r, 16, &p));
        for (i = 0; i < 16; i++) {
            s[2 * i] = hex[p[i] >> 4];
            s[2 * i + 1] = hex[p[i] & 15];
        }
        s[32] = '\0';
        emitf(wk, "uuid = %s", s);
        return FLOE_OK;
    }
    case FLOE_THRIFT_LIST:
    case FLOE_THRIFT_SET:
        FLOE_TRY(get_list_header(r, &t1, &n));
        emitf(wk, "%s<%s>[%lu]", floe_thrift_type_name(type), floe_thrift_type_name(t1),
              (unsigned long)n);
        return wpush(wk, K_LIST, t1, 0, n);
    case FLOE_THRIFT_MAP:
        FLOE_TRY(get_map_header(r, &t1, &t2, &n));
        emitf(wk, "map<%s,%s>[%lu]", floe_thrift_type_name(t1), floe_thrift_type_name(t2),
              (unsigned long)n);
        return wpush(wk, K_MAP, t1, t2, n);
    case FLOE_THRIFT_STRUCT:
        emitf(wk, "struct");
        return wpush(wk, K_STRUCT, 0, 0, 0);
    default:
        return rfail(r, FLOE_ERR_MALFORMED);
    }
}

/* Walks the open containers until the stack is empty again. Every step
 * takes at least one byte or closes a container, so the time is linear in
 * the input. */
static int walk(struct walker *wk)
{
    while (wk->sp > 0) {
        struct wframe *f = &wk->st[wk->sp - 1];
        if (f->kind == K_STRUCT) {
            int t;
            int16_t id;
            FLOE_TRY(get_field_header(wk->r, &f->last_id, &t, &id));
            if (t == FLOE_THRIFT_STOP) {
                wk->sp--;
                continue;
            }
            wk->label = L_FIELD;
            wk->label_n = id;
            FLOE_TRY(visit(wk, t, 1));
        } else if (f->kind == K_LIST) {
            if (f->done == f->count) {
                wk->sp--;
                continue;
            }
            wk->label = L_ELEM;
            wk->label_n = (long)f->done++;
            FLOE_TRY(visit(wk, f->t1, 0));
        } else {
            int key;
            if (f->done / 2 == f->count) {
                wk->sp--;
                continue;
            }
            key = f->done % 2 == 0;
            wk->label = key ? L_KEY : L_VALUE;
            wk->label_n = (long)(f->done / 2);
            f->done++;
            FLOE_TRY(visit(wk, key ? f->t1 : f->t2, 0));
        }
    }
    return FLOE_OK;
}

static int skip_value(struct floe_thrift_reader *r, int type, int in_field)
{
    struct walker wk;
    if (r->err != 0)
        return r->err;
    wk.r = r;
    wk.sp = 0;
    /* The reader's open structs count against the same depth limit. */
    wk.max = FLOE_THRIFT_MAX_DEPTH - (r->depth + 1);
    wk.emit = NULL;
    wk.ctx = NULL;
    wk.label = L_FIELD;
    wk.label_n = 0;
    FLOE_TRY(visit(&wk, type, in_field));
    return walk(&wk);
}

int floe_thrift_skip(struct floe_thrift_reader *r, int type)
{
    return skip_value(r, type, 1);
}

int floe_thrift_skip_elem(struct floe_thrift_reader *r, int elem_type)
{
    return skip_value(r, elem_type, 0);
}

int floe_thrift_dump(const uint8_t *p, size_t n, void (*emit)(void *ctx, const char *line),
                     void *ctx)
{
    struct floe_thrift_reader r;
    struct walker wk;
    FLOE_FAIL_IF(p == NULL && n > 0, FLOE_ERR_INVAL);
    floe_thrift_reader_init(&r, p, n);
    wk.r = &r;
    wk.sp = 0;
    wk.max = FLOE_THRIFT_MAX_DEPTH;
    wk.emit = emit;
    wk.ctx = ctx;
    wk.label = L_FIELD;
    wk.label_n = 0;
    FLOE_TRY(wpush(&wk, K_STRUCT, 0, 0, 0));
    FLOE_TRY(walk(&wk));
    FLOE_FAIL_IF(r.pos > MAX_I32, FLOE_ERR_LIMIT);
    return (int)r.pos;
}
