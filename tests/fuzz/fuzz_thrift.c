/* Fuzz target for the Thrift compact codec (src/parquet/thrift.c).
 *
 * 1. The input as untrusted bytes: floe_thrift_dump and a reader walking the
 *    top-level fields with floe_thrift_skip must agree, stay in bounds and
 *    emit NUL-terminated lines.
 * 2. The input as a script of writer calls: a real and a counting writer run
 *    it side by side (same length), then the reader must read back exactly
 *    the values written, and dump must walk the encoding.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     tests/fuzz/fuzz_thrift.c src/parquet/thrift.c src/core/log.c -o /tmp/fuzz_thrift
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "floe/error.h"
#include "parquet/thrift.h"

#define CHECK(x)                  \
    do {                          \
        if (!(x))                 \
            __builtin_trap();     \
    } while (0)

/* ---- 1. untrusted bytes -------------------------------------------------- */

static size_t sink_lines;

static void sink(void *ctx, const char *line)
{
    size_t n = strlen(line); /* the line must be terminated within its buffer */
    (void)ctx;
    CHECK(n < 200);
    sink_lines++;
}

static void parse_bytes(const uint8_t *data, size_t size)
{
    struct floe_thrift_reader r;
    int dumped, t, rc = FLOE_OK;
    int16_t id;
    dumped = floe_thrift_dump(data, size, sink, NULL);
    CHECK(dumped == FLOE_ERR_MALFORMED || dumped == FLOE_ERR_LIMIT ||
          (dumped > 0 && (size_t)dumped <= size));
    CHECK(floe_thrift_dump(data, size, NULL, NULL) == dumped);

    floe_thrift_reader_init(&r, data, size);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        rc = floe_thrift_skip(&r, t);
        if (rc < 0)
            break;
        CHECK(r.pos <= size);
    }
    if (t < 0)
        rc = t;
    CHECK(r.pos <= size);
    if (rc == FLOE_OK) {
        CHECK(dumped >= 0 && (size_t)dumped == r.pos);
    } else {
        CHECK(rc == dumped && r.err == rc);
        /* Sticky: nothing more is read. */
        CHECK(floe_thrift_read_field_header(&r, NULL, &id) == rc);
    }
}

/* ---- 2. writer script ----------------------------------------------------- */

enum ev_kind {
    EV_I8, EV_I16, EV_I32, EV_I64, EV_BOOL, EV_BINARY, EV_STRUCT_BEGIN, EV_STRUCT_END,
    EV_LIST_BEGIN, EV_LIST_END, EV_ELEM_BOOL, EV_ELEM_I32, EV_ELEM_I64, EV_ELEM_BINARY,
    EV_ELEM_STRUCT
};

struct ev {
    uint8_t kind;
    uint8_t et;    /* list element type */
    int16_t id;
    int64_t v;     /* value, or list count */
    const uint8_t *p;
    size_t n;
};

#define MAX_EVENTS 4096

static struct ev evs[MAX_EVENTS];
static size_t nev;

/* The harness's own model of the open containers. */
struct mframe {
    int is_list;
    int et;
    uint32_t left;
    int16_t last_id;
};

static struct mframe model[FLOE_THRIFT_MAX_DEPTH];
static int msp; /* innermost open frame, 0 = top-level struct */

static const int elem_types[] = {FLOE_THRIFT_I32, FLOE_THRIFT_I64, FLOE_THRIFT_BINARY,
                                 FLOE_THRIFT_STRUCT, FLOE_THRIFT_BOOL};

static void apply(struct floe_thrift_writer *w, const struct ev *e)
{
    switch (e->kind) {
    case EV_I8:
        floe_thrift_write_i8(w, e->id, (int8_t)e->v);
        break;
    case EV_I16:
        floe_thrift_write_i16(w, e->id, (int16_t)e->v);
        break;
    case EV_I32:
        floe_thrift_write_i32(w, e->id, (int32_t)e->v);
        break;
    case EV_I64:
        floe_thrift_write_i64(w, e->id, e->v);
        break;
    case EV_BOOL:
        floe_thrift_write_bool(w, e->id, (int)e->v);
        break;
    case EV_BINARY:
        floe_thrift_write_binary(w, e->id, e->p, e->n);
        break;
    case EV_STRUCT_BEGIN:
        floe_thrift_write_struct_begin(w, e->id);
        break;
    case EV_STRUCT_END:
        floe_thrift_write_struct_end(w);
        break;
    case EV_LIST_BEGIN:
        floe_thrift_write_list_begin(w, e->id, e->et, (uint32_t)e->v);
        break;
    case EV_LIST_END:
        floe_thrift_write_list_end(w);
        break;
    case EV_ELEM_BOOL:
        floe_thrift_write_elem_bool(w, (int)e->v);
        break;
    case EV_ELEM_I32:
        floe_thrift_write_elem_i32(w, (int32_t)e->v);
        break;
    case EV_ELEM_I64:
        floe_thrift_write_elem_i64(w, e->v);
        break;
    case EV_ELEM_BINARY:
        floe_thrift_write_elem_binary(w, e->p, e->n);
        break;
    default:
        floe_thrift_write_elem_struct_begin(w);
        break;
    }
}

struct script {
    const uint8_t *d;
    size_t n, pos;
};

static unsigned next(struct script *s)
{
    return s->pos < s->n ? s->d[s->pos++] : 0;
}

static uint64_t next_u64(struct script *s, unsigned bytes)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < bytes; i++)
        v = v << 8 | next(s);
    return v;
}

static int64_t as_signed(uint64_t u)
{
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int16_t next_id(struct script *s)
{
    unsigned b = next(s);
    int id;
    if (b & 0x80) { /* any id, positive or not */
        unsigned u = (unsigned)next_u64(s, 2);
        return (int16_t)((int)u - (u >= 0x8000u ? 0x10000 : 0));
    }
    id = model[msp].last_id + (int)(b & 0x1f) - 4;
    if (id > INT16_MAX)
        id = INT16_MAX;
    return (int16_t)id;
}

/* The element event of the innermost list, with a value from the script. */
static struct ev elem_event(struct script *s)
{
    struct ev e;
    memset(&e, 0, sizeof e);
    switch (model[msp].et) {
    case FLOE_THRIFT_BOOL:
        e.kind = EV_ELEM_BOOL;
        e.v = next(s) & 1;
        break;
    case FLOE_THRIFT_I32:
        e.kind = EV_ELEM_I32;
        e.v = (int32_t)(uint32_t)next_u64(s, 4);
        break;
    case FLOE_THRIFT_I64:
        e.kind = EV_ELEM_I64;
        e.v = as_signed(next_u64(s, 8));
        break;
    case FLOE_THRIFT_BINARY:
        e.kind = EV_ELEM_BINARY;
        e.n = next(s) % 40;
        if (e.n > s->n - s->pos)
            e.n = s->n - s->pos;
        e.p = s->d + s->pos;
        s->pos += e.n;
        break;
    default:
        e.kind = EV_ELEM_STRUCT;
        break;
    }
    return e;
}

/* Updates the model for an event known to be valid. */
static void model_apply(const struct ev *e)
{
    switch (e->kind) {
    case EV_STRUCT_BEGIN:
        model[msp].last_id = e->id;
        msp++;
        memset(&model[msp], 0, sizeof model[msp]);
        break;
    case EV_ELEM_STRUCT:
        model[msp].left--;
        msp++;
        memset(&model[msp], 0, sizeof model[msp]);
        break;
    case EV_STRUCT_END:
    case EV_LIST_END:
        msp--;
        break;
    case EV_LIST_BEGIN:
        model[msp].last_id = e->id;
        msp++;
        memset(&model[msp], 0, sizeof model[msp]);
        model[msp].is_list = 1;
        model[msp].et = e->et;
        model[msp].left = (uint32_t)e->v;
        break;
    case EV_ELEM_BOOL:
    case EV_ELEM_I32:
    case EV_ELEM_I64:
    case EV_ELEM_BINARY:
        model[msp].left--;
        break;
    default:
        model[msp].last_id = e->id;
        break;
    }
}

static int push_event(const struct ev *e, struct floe_thrift_writer *w, struct floe_thrift_writer *c)
{
    if (nev >= MAX_EVENTS)
        return 0;
    evs[nev++] = *e;
    apply(w, e);
    apply(c, e);
    model_apply(e);
    return 1;
}

/* Closes what is open with valid calls (filling lists to their count). */
static void close_all(struct floe_thrift_writer *w, struct floe_thrift_writer *c,
                      struct script *s)
{
    struct ev e;
    while (msp > 0) {
        memset(&e, 0, sizeof e);
        if (model[msp].is_list && model[msp].left > 0) {
            e = elem_event(s);
        } else {
            e.kind = model[msp].is_list ? EV_LIST_END : EV_STRUCT_END;
        }
        if (nev >= MAX_EVENTS) { /* no room to record: stop recording, keep writing */
            apply(w, &e);
            apply(c, &e);
            model_apply(&e);
            nev = MAX_EVENTS + 1;
            continue;
        }
        push_event(&e, w, c);
    }
}

static void check_read_back(const uint8_t *buf, size_t len)
{
    struct floe_thrift_reader r;
    size_t i;
    int t, b;
    int16_t id;
    uint32_t count;
    floe_thrift_reader_init(&r, buf, len);
    for (i = 0; i < nev; i++) {
        const struct ev *e = &evs[i];
        const uint8_t *p;
        size_t n;
        int8_t i8;
        int16_t i16;
        int32_t i32;
        int64_t i64;
        switch (e->kind) {
        case EV_I8:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_I8 && id == e->id);
            CHECK(floe_thrift_read_i8(&r, &i8) == 0 && i8 == (int8_t)e->v);
            break;
        case EV_I16:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_I16 && id == e->id);
            CHECK(floe_thrift_read_i16(&r, &i16) == 0 && i16 == (int16_t)e->v);
            break;
        case EV_I32:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_I32 && id == e->id);
            CHECK(floe_thrift_read_i32(&r, &i32) == 0 && i32 == (int32_t)e->v);
            break;
        case EV_I64:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_I64 && id == e->id);
            CHECK(floe_thrift_read_i64(&r, &i64) == 0 && i64 == e->v);
            break;
        case EV_BOOL:
            t = floe_thrift_read_field_header(&r, NULL, &id);
            CHECK(id == e->id);
            CHECK(floe_thrift_read_bool(&r, t, &b) == 0 && b == (e->v != 0));
            break;
        case EV_BINARY:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_BINARY &&
                  id == e->id);
            CHECK(floe_thrift_read_binary(&r, &p, &n) == 0 && n == e->n);
            CHECK(n == 0 || memcmp(p, e->p, n) == 0);
            break;
        case EV_STRUCT_BEGIN:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_STRUCT &&
                  id == e->id);
            CHECK(floe_thrift_read_struct_begin(&r) == 0);
            break;
        case EV_STRUCT_END:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_STOP);
            break;
        case EV_LIST_BEGIN:
            CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_LIST && id == e->id);
            CHECK(floe_thrift_read_list_header(&r, &t, &count) == 0);
            CHECK(t == e->et && count == (uint32_t)e->v);
            break;
        case EV_LIST_END:
            break;
        case EV_ELEM_BOOL:
            CHECK(floe_thrift_read_elem_bool(&r, &b) == 0 && b == (e->v != 0));
            break;
        case EV_ELEM_I32:
            CHECK(floe_thrift_read_i32(&r, &i32) == 0 && i32 == (int32_t)e->v);
            break;
        case EV_ELEM_I64:
            CHECK(floe_thrift_read_i64(&r, &i64) == 0 && i64 == e->v);
            break;
        case EV_ELEM_BINARY:
            CHECK(floe_thrift_read_binary(&r, &p, &n) == 0 && n == e->n);
            CHECK(n == 0 || memcmp(p, e->p, n) == 0);
            break;
        default:
            CHECK(floe_thrift_read_struct_begin(&r) == 0);
            break;
        }
    }
    CHECK(floe_thrift_read_field_header(&r, &t, &id) == FLOE_THRIFT_STOP);
    CHECK(r.pos == len && r.err == 0);
}

static uint8_t out[1 << 16];

static void run_script(const uint8_t *data, size_t size)
{
    struct floe_thrift_writer w, c;
    struct script s;
    size_t cap;
    int n, nc, invalid = 0;
    s.d = data;
    s.n = size;
    s.pos = 0;
    nev = 0;
    msp = 0;
    memset(&model[0], 0, sizeof model[0]);
    /* Mostly a roomy buffer; sometimes a tight one to hit NOMEM. */
    cap = next(&s);
    cap = cap < 16 ? cap * 8 : sizeof out;
    floe_thrift_writer_init(&w, out, cap);
    floe_thrift_writer_init_counting(&c);

    while (s.pos < s.n && !invalid) {
        struct ev e;
        unsigned op = next(&s) % 12;
        memset(&e, 0, sizeof e);
        if (op <= 5) {
            if (model[msp].is_list) { /* a field where an element is due */
                invalid = 1;
                e.kind = EV_I32;
                apply(&w, &e);
                CHECK(w.err == FLOE_ERR_STATE || w.err == FLOE_ERR_NOMEM);
                break;
            }
            e.id = next_id(&s);
            switch (op) {
            case 0:
                e.kind = EV_I32;
                e.v = (int32_t)(uint32_t)next_u64(&s, 4);
                break;
            case 1:
                e.kind = EV_I64;
                e.v = as_signed(next_u64(&s, 8));
                break;
            case 2:
                e.kind = EV_BOOL;
                e.v = next(&s) & 1;
                break;
            case 3:
                e.kind = EV_BINARY;
                e.n = next(&s) % 64;
                if (e.n > s.n - s.pos)
                    e.n = s.n - s.pos;
                e.p = data + s.pos;
                s.pos += e.n;
                break;
            case 4:
                e.kind = next(&s) & 1 ? EV_I8 : EV_I16;
                e.v = as_signed(next_u64(&s, 2) << 48) >> 48;
                break;
            default:
                e.kind = EV_STRUCT_BEGIN;
                if (msp + 1 >= FLOE_THRIFT_MAX_DEPTH) {
                    apply(&w, &e);
                    CHECK(w.err == FLOE_ERR_LIMIT || w.err == FLOE_ERR_NOMEM);
                    invalid = 1;
                }
                break;
            }
        } else if (op == 6) {
            if (model[msp].is_list) {
                invalid = 1;
                floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_I32, 0);
                CHECK(w.err == FLOE_ERR_STATE || w.err == FLOE_ERR_NOMEM);
                break;
            }
            e.kind = EV_LIST_BEGIN;
            e.id = next_id(&s);
            e.et = (uint8_t)elem_types[next(&s) % 5];
            e.v = next(&s) % 20;
            /* Room for struct elements, which close_all may have to write. */
            if (e.et == FLOE_THRIFT_STRUCT && msp + 2 >= FLOE_THRIFT_MAX_DEPTH)
                e.v = 0;
            if (msp + 1 >= FLOE_THRIFT_MAX_DEPTH) {
                apply(&w, &e);
                CHECK(w.err == FLOE_ERR_LIMIT || w.err == FLOE_ERR_NOMEM);
                invalid = 1;
            }
        } else if (op <= 8) { /* an element, or a deliberate misuse */
            if (!model[msp].is_list || model[msp].left == 0) {
                invalid = 1;
                floe_thrift_write_elem_i32(&w, 1);
                CHECK(w.err == FLOE_ERR_STATE || w.err == FLOE_ERR_NOMEM);
                break;
            }
            e = elem_event(&s);
            if (e.kind == EV_ELEM_STRUCT && msp + 1 >= FLOE_THRIFT_MAX_DEPTH) {
                apply(&w, &e);
                CHECK(w.err == FLOE_ERR_LIMIT || w.err == FLOE_ERR_NOMEM);
                invalid = 1;
            }
        } else { /* close the innermost container, if it may be */
            if (msp == 0)
                continue;
            if (model[msp].is_list) {
                e.kind = EV_LIST_END;
                if (model[msp].left > 0) {
                    apply(&w, &e);
                    CHECK(w.err == FLOE_ERR_STATE || w.err == FLOE_ERR_NOMEM);
                    invalid = 1;
                }
            } else {
                e.kind = EV_STRUCT_END;
            }
        }
        if (invalid)
            break;
        if (!push_event(&e, &w, &c))
            break;
    }
    if (invalid) {
        CHECK(w.err < 0);
        CHECK(floe_thrift_writer_finish(&w) == w.err);
        return;
    }
    close_all(&w, &c, &s);
    n = floe_thrift_writer_finish(&w);
    nc = floe_thrift_writer_finish(&c);
    CHECK(nc > 0);
    if (n == FLOE_ERR_NOMEM) {
        CHECK((size_t)nc > cap);
        return;
    }
    CHECK(n == nc && (size_t)n <= cap);
    CHECK(floe_thrift_dump(out, (size_t)n, NULL, NULL) == n);
    if (nev <= MAX_EVENTS)
        check_read_back(out, (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_bytes(data, size);
    run_script(data, size);
    return 0;
}
