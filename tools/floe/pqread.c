/* A small Parquet reader for the floe CLI; see pqread.h. Field ids and enum
 * values follow apache/parquet-format's parquet.thrift. */
#include "pqread.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floe/error.h"
#include "floe/utc.h"
#include "ndjson/number.h"
#include "parquet/encoding.h"
#include "parquet/snappy.h"
#include "parquet/thrift.h"

/* ZSTD pages through the zstd decoder inside libfloe.a, when its header is
 * on the include path (the CLI's build; not the fuzz target's). */
#if defined(__has_include)
#if __has_include(<zstd.h>)
#define PQ_HAVE_ZSTD 1
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#endif
#endif

uint32_t pq_max_page_values = PQ_MAX_PAGE_VALUES;

#define MAX_SCHEMA_DEPTH 64u
#define PREFIX_BYTES (64u << 10) /* read first when a column chunk is larger */
#define MAX_PATH_BYTES 4096u

/* ---- errors ------------------------------------------------------------ */

static void set_err(char *err, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The first error wins: later ones are consequences. */
static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (err[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

#define FERR(f, ...) (set_err((f)->err, sizeof (f)->err, __VA_ARGS__), -1)

/* ---- names ------------------------------------------------------------- */

static const char *name_of(const char *const *names, size_t n, int32_t v, char *buf)
{
    if (v >= 0 && (size_t)v < n && names[v] != NULL)
        return names[v];
    snprintf(buf, 16, "?(%ld)", (long)v);
    return buf;
}

const char *pq_type_name(int32_t t, char *buf)
{
    static const char *const n[] = {"BOOLEAN", "INT32", "INT64", "INT96",
                                    "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return name_of(n, sizeof n / sizeof n[0], t, buf);
}

const char *pq_codec_name(int32_t c, char *buf)
{
    static const char *const n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                    "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
    return name_of(n, sizeof n / sizeof n[0], c, buf);
}

const char *pq_encoding_name(int32_t e, char *buf)
{
    static const char *const n[] = {"PLAIN", NULL, "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
                                    "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
                                    "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return name_of(n, sizeof n / sizeof n[0], e, buf);
}

const char *pq_repetition_name(int32_t r, char *buf)
{
    static const char *const n[] = {"required", "optional", "repeated", "vector"};
    return name_of(n, sizeof n / sizeof n[0], r, buf);
}

static const char *unit_name(int unit)
{
    return unit == PQ_UNIT_MILLIS ? "MILLIS" : unit == PQ_UNIT_MICROS ? "MICROS"
                                             : unit == PQ_UNIT_NANOS ? "NANOS" : "?";
}

void pq_logical_text(const struct pq_schema_elem *e, char *buf, size_t cap)
{
    static const char *const ct[] = {
        "UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
        "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
        "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL"};
    static const char *const lt[] = {
        NULL, "STRING", "MAP", "LIST", "ENUM", "DECIMAL", "DATE", "TIME", "TIMESTAMP", NULL,
        "INTEGER", "UNKNOWN", "JSON", "BSON", "UUID", "FLOAT16", "VARIANT", "GEOMETRY",
        "GEOGRAPHY", "VECTOR"};
    const struct pq_logical *l = &e->logical;
    buf[0] = '\0';
    if (l->kind != PQ_LT_NONE) {
        const char *name = l->kind > 0 && (size_t)l->kind < sizeof lt / sizeof lt[0] ? lt[l->kind] : NULL;
        if (name == NULL) {
            snprintf(buf, cap, "LOGICAL?(%d)", l->kind);
        } else if (l->kind == PQ_LT_TIMESTAMP || l->kind == PQ_LT_TIME) {
            snprintf(buf, cap, "%s(%s, %s)", name, unit_name(l->unit), l->utc ? "UTC" : "local");
        } else if (l->kind == PQ_LT_DECIMAL) {
            snprintf(buf, cap, "DECIMAL(%ld,%ld)", (long)l->precision, (long)l->scale);
        } else if (l->kind == PQ_LT_INTEGER) {
            snprintf(buf, cap, "INTEGER(%d, %s)", l->bit_width, l->is_signed ? "signed" : "unsigned");
        } else {
            snprintf(buf, cap, "%s", name);
        }
        return;
    }
    if (e->converted >= 0) {
        if ((size_t)e->converted < sizeof ct / sizeof ct[0])
            snprintf(buf, cap, "%s (converted)", ct[e->converted]);
        else
            snprintf(buf, cap, "CONVERTED?(%ld)", (long)e->converted);
    }
}

/* ---- strings ----------------------------------------------------------- */

static int sb_grow(struct pq_sb *sb, size_t extra)
{
    size_t want;
    char *np;
    if (sb->oom)
        return -1;
    if (sb->cap - sb->len > extra)
        return 0;
    if (extra > ((size_t)1 << 30) || sb->len > ((size_t)1 << 30)) {
        sb->oom = 1;
        return -1;
    }
    want = sb->cap ? sb->cap : 256;
    while (want - sb->len <= extra)
        want *= 2;
    np = realloc(sb->p, want);
    if (np == NULL) {
        sb->oom = 1;
        return -1;
    }
    sb->p = np;
    sb->cap = want;
    return 0;
}

void pq_sb_putn(struct pq_sb *sb, const char *s, size_t n)
{
    if (sb_grow(sb, n) != 0)
        return;
    if (n)
        memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void pq_sb_puts(struct pq_sb *sb, const char *s)
{
    pq_sb_putn(sb, s, strlen(s));
}

void pq_sb_printf(struct pq_sb *sb, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        pq_sb_putn(sb, tmp, (size_t)n);
        return;
    }
    if (sb_grow(sb, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void pq_sb_free(struct pq_sb *sb)
{
    free(sb->p);
    memset(sb, 0, sizeof *sb);
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint32_t c;
    size_t len, i;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2, c = p[0] & 0x1fu;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3, c = p[0] & 0x0fu;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4, c = p[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3fu);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
        return 0;
    return len;
}

static int utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

void pq_sb_json_string(struct pq_sb *sb, const uint8_t *p, size_t n, size_t max)
{
    size_t i = 0, chars = 0;
    pq_sb_putn(sb, "\"", 1);
    while (i < n) {
        uint8_t c = p[i];
        size_t k;
        if (max != 0 && chars == max)
            break;
        chars++;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            pq_sb_putn(sb, e, 2);
            i++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            pq_sb_puts(sb, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t");
            i++;
        } else if (c < 0x20 || c == 0x7f || (k = utf8_seq(p + i, n - i)) == 0) {
            pq_sb_printf(sb, "\\u%04x", c);
            i++;
        } else {
            pq_sb_putn(sb, (const char *)p + i, k);
            i += k;
        }
    }
    if (i < n)
        pq_sb_puts(sb, "...");
    pq_sb_putn(sb, "\"", 1);
}

static void sb_hex(struct pq_sb *sb, const uint8_t *p, size_t n, size_t max)
{
    static const char hx[] = "0123456789abcdef";
    size_t i, lim = max != 0 && max / 2 < n ? max / 2 : n;
    pq_sb_puts(sb, "\"0x");
    for (i = 0; i < lim; i++) {
        char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
        pq_sb_putn(sb, two, 2);
    }
    if (lim < n)
        pq_sb_puts(sb, "...");
    pq_sb_puts(sb, "\"");
}

/* ---- value formatting -------------------------------------------------- */

#define SECS_0000 (-62167219200LL)    /* 0000-01-01T00:00:00Z */
#define SECS_10000 (253402300800LL)   /* 10000-01-01T00:00:00Z */

/* secs since the epoch (within years 0000..9999) and a fraction of digits. */
static void sb_ts_parts(struct pq_sb *sb, int64_t secs, int64_t frac, int digits, int utc, int bare)
{
    struct floe_civil c;
    const char *q = bare ? "" : "\"";
    floe_utc_civil(secs * 1000000, &c);
    pq_sb_printf(sb, "%s%04d-%02d-%02dT%02d:%02d:%02d.%0*lld%s%s", q, c.year, c.month, c.day, c.hour,
                 c.minute, c.second, digits, (long long)frac, utc ? "Z" : "", q);
}

/* v units since the epoch, per_sec units a second, digits of the fraction. */
static void sb_timestamp(struct pq_sb *sb, int64_t v, int64_t per_sec, int digits, int utc, int bare)
{
    int64_t secs = v / per_sec, frac = v % per_sec;
    if (frac < 0) {
        frac += per_sec;
        secs--;
    }
    if (secs < SECS_0000 || secs >= SECS_10000) {
        pq_sb_printf(sb, "%lld", (long long)v); /* outside the calendar we print */
        return;
    }
    sb_ts_parts(sb, secs, frac, digits, utc, bare);
}

static void sb_date(struct pq_sb *sb, int64_t days, int bare)
{
    struct floe_civil c;
    const char *q = bare ? "" : "\"";
    if (days < SECS_0000 / 86400 || days >= SECS_10000 / 86400) {
        pq_sb_printf(sb, "%lld", (long long)days);
        return;
    }
    floe_utc_civil(days * 86400 * 1000000, &c);
    pq_sb_printf(sb, "%s%04d-%02d-%02d%s", q, c.year, c.month, c.day, q);
}

static void sb_time(struct pq_sb *sb, int64_t v, int64_t per_sec, int digits, int bare)
{
    int64_t secs, frac;
    const char *q = bare ? "" : "\"";
    if (v < 0 || v / per_sec >= 86400) {
        pq_sb_printf(sb, "%lld", (long long)v);
        return;
    }
    secs = v / per_sec;
    frac = v % per_sec;
    pq_sb_printf(sb, "%s%02d:%02d:%02d.%0*lld%s", q, (int)(secs / 3600), (int)(secs / 60 % 60),
                 (int)(secs % 60), digits, (long long)frac, q);
}

static void sb_decimal(struct pq_sb *sb, int64_t v, int32_t scale)
{
    char digits[32];
    uint64_t u = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
    int n;
    if (scale <= 0 || scale > 38) {
        pq_sb_printf(sb, "%lld", (long long)v);
        return;
    }
    n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)u);
    if (v < 0)
        pq_sb_puts(sb, "-");
    if (n <= scale) {
        pq_sb_puts(sb, "0.");
        for (; n < scale; scale--)
            pq_sb_puts(sb, "0");
        pq_sb_puts(sb, digits);
    } else {
        pq_sb_putn(sb, digits, (size_t)(n - scale));
        pq_sb_puts(sb, ".");
        pq_sb_puts(sb, digits + n - scale);
    }
}

static int reads_back_as_f64(const char *text, size_t n, double d)
{
    double back;
    return floe_json_to_f64(text, n, &back) == FLOE_OK && back == d;
}

static int reads_back_as_f32(const char *text, size_t n, double d)
{
    float back;
    return floe_json_to_f32(text, n, &back) == FLOE_OK && (double)back == d;
}

/* The shortest text that reads back as the same number. */
static void sb_double(struct pq_sb *sb, double d, int is_float)
{
    char tmp[40];
    int prec;
    if (isnan(d)) {
        pq_sb_puts(sb, "\"NaN\"");
        return;
    }
    if (isinf(d)) {
        pq_sb_puts(sb, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    /* Read back with floe's own parser, not the C library's strtod: musl's
     * rounds some subnormals wrong on armhf, and would pick a text that is
     * not the value. */
    for (prec = is_float ? 6 : 15; prec <= 17; prec++) {
        size_t n = (size_t)snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (is_float ? reads_back_as_f32(tmp, n, d) : reads_back_as_f64(tmp, n, d))
            break;
    }
    /* Keep it a float to readers that tell 3 from 3.0 (and -0.0 from 0). */
    if (strpbrk(tmp, ".e") == NULL)
        strcat(tmp, ".0");
    pq_sb_puts(sb, tmp);
}

static int is_unsigned_int(const struct pq_schema_elem *e)
{
    if (e->logical.kind == PQ_LT_INTEGER)
        return !e->logical.is_signed;
    return e->logical.kind == PQ_LT_NONE && e->converted >= PQ_CT_UINT_8 && e->converted <= PQ_CT_UINT_64;
}

static int is_decimal(const struct pq_schema_elem *e, int32_t *scale)
{
    if (e->logical.kind == PQ_LT_DECIMAL) {
        *scale = e->logical.scale;
        return 1;
    }
    if (e->logical.kind == PQ_LT_NONE && e->converted == PQ_CT_DECIMAL) {
        *scale = e->scale;
        return 1;
    }
    return 0;
}

/* Unit of a TIME/TIMESTAMP column, 0 for neither; *ts tells which. */
static int time_unit(const struct pq_schema_elem *e, int *ts, int *utc)
{
    *utc = 1;
    if (e->logical.kind == PQ_LT_TIMESTAMP || e->logical.kind == PQ_LT_TIME) {
        *ts = e->logical.kind == PQ_LT_TIMESTAMP;
        *utc = e->logical.utc;
        return e->logical.unit;
    }
    if (e->logical.kind != PQ_LT_NONE)
        return 0;
    *ts = e->converted == PQ_CT_TIMESTAMP_MILLIS || e->converted == PQ_CT_TIMESTAMP_MICROS;
    switch (e->converted) {
    case PQ_CT_TIMESTAMP_MILLIS:
    case PQ_CT_TIME_MILLIS:
        return PQ_UNIT_MILLIS;
    case PQ_CT_TIMESTAMP_MICROS:
    case PQ_CT_TIME_MICROS:
        return PQ_UNIT_MICROS;
    default:
        return 0;
    }
}

static int is_text(const struct pq_schema_elem *e)
{
    int k = e->logical.kind;
    if (k == PQ_LT_STRING || k == PQ_LT_ENUM || k == PQ_LT_JSON)
        return 1;
    return k == PQ_LT_NONE && (e->converted == PQ_CT_UTF8 || e->converted == PQ_CT_ENUM ||
                               e->converted == PQ_CT_JSON);
}

static void sb_int(struct pq_sb *sb, const struct pq_schema_elem *e, int64_t v, int bits, int bare)
{
    int ts = 0, utc = 1, unit = time_unit(e, &ts, &utc);
    int32_t scale = 0;
    static const int64_t per_sec[] = {1, 1000, 1000000, 1000000000};
    static const int digits[] = {0, 3, 6, 9};
    if ((e->logical.kind == PQ_LT_DATE || (e->logical.kind == PQ_LT_NONE && e->converted == PQ_CT_DATE)) &&
        bits == 32) {
        sb_date(sb, v, bare);
    } else if (unit >= PQ_UNIT_MILLIS && unit <= PQ_UNIT_NANOS) {
        if (ts)
            sb_timestamp(sb, v, per_sec[unit], digits[unit], utc, bare);
        else
            sb_time(sb, v, per_sec[unit], digits[unit], bare);
    } else if (is_decimal(e, &scale)) {
        sb_decimal(sb, v, scale);
    } else if (is_unsigned_int(e)) {
        pq_sb_printf(sb, "%llu", bits == 32 ? (unsigned long long)(uint32_t)v : (unsigned long long)(uint64_t)v);
    } else {
        pq_sb_printf(sb, "%lld", (long long)v);
    }
}

void pq_format_value(struct pq_sb *sb, const struct pq_leaf *leaf, const struct pq_value *v, size_t max,
                     int flags)
{
    const struct pq_schema_elem *e = leaf->elem;
    int bare = (flags & PQ_FMT_BARE_TIME) != 0;
    if (v->is_null) {
        pq_sb_puts(sb, "null");
        return;
    }
    switch (e->type) {
    case PQ_BOOLEAN:
        pq_sb_puts(sb, v->v.i ? "true" : "false");
        break;
    case PQ_INT32:
        sb_int(sb, e, v->v.i, 32, bare);
        break;
    case PQ_INT64:
        sb_int(sb, e, v->v.i, 64, bare);
        break;
    case PQ_INT96:
        if (v->v.s.n == 12) {
            /* Legacy timestamps: nanoseconds of the day, then the Julian day. */
            uint64_t nanos = floe_get_le64(v->v.s.p);
            int64_t jd = (int32_t)floe_get_le32(v->v.s.p + 8);
            int64_t days = jd - 2440588;
            if (nanos < 86400000000000ull && days >= SECS_0000 / 86400 && days < SECS_10000 / 86400)
                sb_ts_parts(sb, days * 86400 + (int64_t)(nanos / 1000000000u), (int64_t)(nanos % 1000000000u), 9, 1,
                            bare);
            else
                sb_hex(sb, v->v.s.p, 12, 0);
        } else {
            pq_sb_puts(sb, "null");
        }
        break;
    case PQ_FLOAT:
        sb_double(sb, v->v.d, 1);
        break;
    case PQ_DOUBLE:
        sb_double(sb, v->v.d, 0);
        break;
    case PQ_BYTE_ARRAY:
        if (is_text(e) || (e->logical.kind == PQ_LT_NONE && e->converted < 0 && utf8_valid(v->v.s.p, v->v.s.n)))
            pq_sb_json_string(sb, v->v.s.p, v->v.s.n, max);
        else
            sb_hex(sb, v->v.s.p, v->v.s.n, max);
        break;
    default: /* FIXED_LEN_BYTE_ARRAY */
        if (e->logical.kind == PQ_LT_UUID && v->v.s.n == 16) {
            const uint8_t *u = v->v.s.p;
            pq_sb_printf(sb, "\"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\"", u[0],
                         u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                         u[14], u[15]);
        } else {
            sb_hex(sb, v->v.s.p, v->v.s.n, max);
        }
        break;
    }
}

/* ---- memory source ----------------------------------------------------- */

static int mem_read(void *ctx, uint64_t off, void *buf, size_t n)
{
    const struct pq_bytes *m = ctx;
    if (off > m->n || n > m->n - off)
        return -1;
    if (n)
        memcpy(buf, m->p + off, n);
    return 0;
}

void pq_source_memory(struct pq_source *src, struct pq_bytes *mem, const void *data, size_t size)
{
    mem->p = data;
    mem->n = size;
    src->ctx = mem;
    src->read = mem_read;
    src->size = size;
}

/* ---- footer: Thrift helpers --------------------------------------------- */

struct tr {
    struct floe_thrift_reader r;
    struct pq_file *f; /* where errors go */
    const char *part;  /* which Thrift: "footer" when NULL, for messages */
    const char *where; /* what is being read, for messages */
    size_t budget;     /* elements still allowed */
};

static const char *t_part(const struct tr *t)
{
    return t->part != NULL ? t->part : "footer";
}

static int t_fail(struct tr *t)
{
    int e = t->r.err;
    return FERR(t->f, "%s: %s at byte %zu of %zu while reading %s", t_part(t),
                e == FLOE_ERR_LIMIT ? "Thrift nesting too deep" : "malformed Thrift", t->r.pos, t->r.len,
                t->where);
}

static int t_type(struct tr *t, int type, int want, const char *field)
{
    int ok = type == want || (want == FLOE_THRIFT_BOOL_TRUE && type == FLOE_THRIFT_BOOL_FALSE);
    if (ok)
        return 0;
    return FERR(t->f, "%s: %s.%s is a Thrift %s, want %s (byte %zu)", t_part(t), t->where, field,
                floe_thrift_type_name(type), floe_thrift_type_name(want), t->r.pos);
}

static int t_i32(struct tr *t, int type, const char *field, int32_t *v)
{
    if (t_type(t, type, FLOE_THRIFT_I32, field) != 0)
        return -1;
    return floe_thrift_read_i32(&t->r, v) < 0 ? t_fail(t) : 0;
}

static int t_i64(struct tr *t, int type, const char *field, int64_t *v)
{
    if (t_type(t, type, FLOE_THRIFT_I64, field) != 0)
        return -1;
    return floe_thrift_read_i64(&t->r, v) < 0 ? t_fail(t) : 0;
}

static int t_bin(struct tr *t, int type, const char *field, struct pq_bytes *b)
{
    if (t_type(t, type, FLOE_THRIFT_BINARY, field) != 0)
        return -1;
    return floe_thrift_read_binary(&t->r, &b->p, &b->n) < 0 ? t_fail(t) : 0;
}

static int t_bool(struct tr *t, int type, const char *field, int *v)
{
    if (t_type(t, type, FLOE_THRIFT_BOOL_TRUE, field) != 0)
        return -1;
    return floe_thrift_read_bool(&t->r, type, v) < 0 ? t_fail(t) : 0;
}

static int t_skip(struct tr *t, int type)
{
    return floe_thrift_skip(&t->r, type) < 0 ? t_fail(t) : 0;
}

static int t_begin(struct tr *t)
{
    return floe_thrift_read_struct_begin(&t->r) < 0 ? t_fail(t) : 0;
}

/* The next field of the open struct: >0 its type, 0 at STOP, -1 on error. */
static int t_field(struct tr *t, int16_t *id)
{
    int type = floe_thrift_read_field_header(&t->r, NULL, id);
    return type < 0 ? t_fail(t) : type;
}

/* A list of structs: checks the header and the element budget. */
static int t_struct_list(struct tr *t, int type, const char *field, uint32_t *count)
{
    int et = 0;
    if (t_type(t, type, FLOE_THRIFT_LIST, field) != 0)
        return -1;
    if (floe_thrift_read_list_header(&t->r, &et, count) < 0)
        return t_fail(t);
    if (et != FLOE_THRIFT_STRUCT)
        return FERR(t->f, "%s: %s.%s is a list<%s>, want list<struct>", t_part(t), t->where, field,
                    floe_thrift_type_name(et));
    if (*count > t->budget)
        return FERR(t->f, "%s: %s.%s has %lu elements: more than this reader takes", t_part(t), t->where, field,
                    (unsigned long)*count);
    t->budget -= *count;
    return 0;
}

static void *xcalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

/* ---- footer: structs ----------------------------------------------------- */

static int read_time_unit(struct tr *t, int *unit)
{
    int16_t id;
    int type;
    while ((type = t_field(t, &id)) > 0) {
        if (type == FLOE_THRIFT_STRUCT && id >= 1 && id <= 3)
            *unit = id;
        if (t_skip(t, type) != 0)
            return -1;
    }
    return type;
}

static int read_logical(struct tr *t, struct pq_logical *l)
{
    int16_t id, fid;
    int type, ftype;
    while ((type = t_field(t, &id)) > 0) {
        if (type != FLOE_THRIFT_STRUCT) {
            if (t_skip(t, type) != 0)
                return -1;
            continue;
        }
        memset(l, 0, sizeof *l);
        l->kind = id;
        if (t_begin(t) != 0)
            return -1;
        while ((ftype = t_field(t, &fid)) > 0) {
            int rc = 0;
            if ((id == PQ_LT_TIMESTAMP || id == PQ_LT_TIME) && fid == 1) {
                rc = t_bool(t, ftype, "isAdjustedToUTC", &l->utc);
            } else if ((id == PQ_LT_TIMESTAMP || id == PQ_LT_TIME) && fid == 2 && ftype == FLOE_THRIFT_STRUCT) {
                rc = t_begin(t);
                if (rc == 0)
                    rc = read_time_unit(t, &l->unit);
            } else if (id == PQ_LT_DECIMAL && fid == 1) {
                rc = t_i32(t, ftype, "scale", &l->scale);
            } else if (id == PQ_LT_DECIMAL && fid == 2) {
                rc = t_i32(t, ftype, "precision", &l->precision);
            } else if (id == PQ_LT_INTEGER && fid == 1) {
                int8_t bw = 0;
                if (t_type(t, ftype, FLOE_THRIFT_I8, "bitWidth") != 0)
                    return -1;
                if (floe_thrift_read_i8(&t->r, &bw) < 0)
                    return t_fail(t);
                l->bit_width = bw;
            } else if (id == PQ_LT_INTEGER && fid == 2) {
                rc = t_bool(t, ftype, "isSigned", &l->is_signed);
            } else {
                rc = t_skip(t, ftype);
            }
            if (rc < 0)
                return -1;
        }
        if (ftype < 0)
            return -1;
    }
    return type;
}

static int read_schema_elem(struct tr *t, struct pq_schema_elem *e)
{
    int16_t id;
    int type, has_name = 0;
    e->type = e->type_length = e->repetition = e->num_children = -1;
    e->converted = e->scale = e->precision = e->field_id = -1;
    if (t_begin(t) != 0)
        return -1;
    while ((type = t_field(t, &id)) > 0) {
        int rc;
        switch (id) {
        case 1: rc = t_i32(t, type, "type", &e->type); break;
        case 2: rc = t_i32(t, type, "type_length", &e->type_length); break;
        case 3: rc = t_i32(t, type, "repetition_type", &e->repetition); break;
        case 4: rc = t_bin(t, type, "name", &e->name); has_name = 1; break;
        case 5: rc = t_i32(t, type, "num_children", &e->num_children); break;
        case 6: rc = t_i32(t, type, "converted_type", &e->converted); break;
        case 7: rc = t_i32(t, type, "scale", &e->scale); break;
        case 8: rc = t_i32(t, type, "precision", &e->precision); break;
        case 9: rc = t_i32(t, type, "field_id", &e->field_id); break;
        case 10:
            rc = t_type(t, type, FLOE_THRIFT_STRUCT, "logicalType");
            if (rc == 0)
                rc = t_begin(t);
            if (rc == 0)
                rc = read_logical(t, &e->logical);
            break;
        default: rc = t_skip(t, type); break;
        }
        if (rc < 0)
            return -1;
    }
    if (type < 0)
        return -1;
    if (!has_name)
        return FERR(t->f, "footer: a schema element has no name");
    return 0;
}

static int read_statistics(struct tr *t, struct pq_stats *s)
{
    int16_t id;
    int type;
    struct pq_bytes old_min = {NULL, 0}, old_max = {NULL, 0};
    int has_old_min = 0, has_old_max = 0, exact = 1;
    if (t_begin(t) != 0)
        return -1;
    while ((type = t_field(t, &id)) > 0) {
        int rc;
        switch (id) {
        case 1: rc = t_bin(t, type, "max", &old_max); has_old_max = 1; break;
        case 2: rc = t_bin(t, type, "min", &old_min); has_old_min = 1; break;
        case 3: rc = t_i64(t, type, "null_count", &s->null_count); s->has_null_count = 1; break;
        case 4: rc = t_i64(t, type, "distinct_count", &s->distinct_count); s->has_distinct = 1; break;
        case 5: rc = t_bin(t, type, "max_value", &s->max); s->has_max = 1; break;
        case 6: rc = t_bin(t, type, "min_value", &s->min); s->has_min = 1; break;
        case 7: rc = t_bool(t, type, "is_max_value_exact", &exact); s->max_inexact = rc == 0 && !exact; break;
        case 8: rc = t_bool(t, type, "is_min_value_exact", &exact); s->min_inexact = rc == 0 && !exact; break;
        default: rc = t_skip(t, type); break;
        }
        if (rc < 0)
            return -1;
    }
    if (type < 0)
        return -1;
    if (!s->has_min && !s->has_max && (has_old_min || has_old_max)) {
        s->min = old_min;
        s->max = old_max;
        s->has_min = has_old_min;
        s->has_max = has_old_max;
        s->legacy = 1;
    }
    return 0;
}

static int read_column_meta(struct tr *t, struct pq_chunk *c)
{
    int16_t id;
    int type, et = 0;
    uint32_t n, i;
    int seen = 0; /* required fields: bit per id */
    if (t_begin(t) != 0)
        return -1;
    while ((type = t_field(t, &id)) > 0) {
        int rc = 0;
        switch (id) {
        case 1: rc = t_i32(t, type, "type", &c->type); break;
        case 2:
            if (t_type(t, type, FLOE_THRIFT_LIST, "encodings") != 0)
                return -1;
            if (floe_thrift_read_list_header(&t->r, &et, &n) < 0)
                return t_fail(t);
            if (et != FLOE_THRIFT_I32)
                return FERR(t->f, "footer: ColumnMetaData.encodings is a list<%s>", floe_thrift_type_name(et));
            c->encodings = 0;
            c->n_encodings = n;
            for (i = 0; i < n; i++) {
                int32_t e = 0;
                if (floe_thrift_read_i32(&t->r, &e) < 0)
                    return t_fail(t);
                if (e >= 0 && e < 32)
                    c->encodings |= 1u << e;
            }
            break;
        case 3:
            if (t_type(t, type, FLOE_THRIFT_LIST, "path_in_schema") != 0)
                return -1;
            if (floe_thrift_read_list_header(&t->r, &et, &n) < 0)
                return t_fail(t);
            if (et != FLOE_THRIFT_BINARY)
                return FERR(t->f, "footer: ColumnMetaData.path_in_schema is a list<%s>",
                            floe_thrift_type_name(et));
            c->path_len = n;
            for (i = 0; i < n; i++) {
                struct pq_bytes b;
                if (floe_thrift_read_binary(&t->r, &b.p, &b.n) < 0)
                    return t_fail(t);
                if (i < sizeof c->path / sizeof c->path[0])
                    c->path[i] = b;
            }
            break;
        case 4: rc = t_i32(t, type, "codec", &c->codec); break;
        case 5: rc = t_i64(t, type, "num_values", &c->num_values); break;
        case 6: rc = t_i64(t, type, "total_uncompressed_size", &c->total_uncompressed); break;
        case 7: rc = t_i64(t, type, "total_compressed_size", &c->total_compressed); break;
        case 9: rc = t_i64(t, type, "data_page_offset", &c->data_page_offset); break;
        case 10: rc = t_i64(t, type, "index_page_offset", &c->index_page_offset); break;
        case 11: rc = t_i64(t, type, "dictionary_page_offset", &c->dictionary_page_offset); break;
        case 14: rc = t_i64(t, type, "bloom_filter_offset", &c->bloom_filter_offset); break;
        case 15: rc = t_i32(t, type, "bloom_filter_length", &c->bloom_filter_length); break;
        case 12:
            rc = t_type(t, type, FLOE_THRIFT_STRUCT, "statistics");
            if (rc == 0)
                rc = read_statistics(t, &c->stats);
            c->has_stats = 1;
            break;
        default: rc = t_skip(t, type); break;
        }
        if (rc < 0)
            return -1;
        if (id > 0 && id < 16)
            seen |= 1 << id;
    }
    if (type < 0)
        return -1;
    /* type, encodings, path, codec, num_values, sizes, data_page_offset */
    if ((seen & 0x2fe) != 0x2fe)
        return FERR(t->f, "footer: a ColumnMetaData lacks required fields (have mask 0x%x)", seen);
    return 0;
}

static int read_column_chunk(struct tr *t, struct pq_chunk *c)
{
    int16_t id;
    int type;
    c->type = c->codec = -1;
    c->data_page_offset = c->dictionary_page_offset = c->index_page_offset = c->bloom_filter_offset = -1;
    c->bloom_filter_length = -1;
    c->offset_index_offset = c->column_index_offset = -1;
    c->offset_index_length = c->column_index_length = -1;
    if (t_begin(t) != 0)
        return -1;
    while ((type = t_field(t, &id)) > 0) {
        int rc;
        switch (id) {
        case 1: rc = t_bin(t, type, "file_path", &c->file_path); break;
        case 2: rc = t_i64(t, type, "file_offset", &c->file_offset); break;
        case 4: rc = t_i64(t, type, "offset_index_offset", &c->offset_index_offset); break;
        case 5: rc = t_i32(t, type, "offset_index_length", &c->offset_index_length); break;
        case 6: rc = t_i64(t, type, "column_index_offset", &c->column_index_offset); break;
        case 7: rc = t_i32(t, type, "column_index_length", &c->column_index_length); break;
        case 3:
            if (c->has_meta)
                return FERR(t->f, "footer: a ColumnChunk has meta_data twice");
            rc = t_type(t, type, FLOE_THRIFT_STRUCT, "meta_data");
            if (rc == 0)
                rc = read_column_meta(t, c);
            c->has_meta = 1;
            break;
        default: rc = t_skip(t, type); break;
        }
        if (rc < 0)
            return -1;
    }
    return type < 0 ? -1 : 0;
}

static int read_row_group(struct tr *t, struct pq_row_group *g)
{
    int16_t id;
    int type, has_cols = 0, has_rows = 0;
    uint32_t i;
    int16_t ord = 0;
    g->total_compressed_size = g->file_offset = -1;
    g->ordinal = -1;
    if (t_begin(t) != 0)
        return -1;
    while ((type = t_field(t, &id)) > 0) {
        int rc = 0;
        switch (id) {
        case 1:
            if (has_cols)
                return FERR(t->f, "footer: a RowGroup has columns twice");
            has_cols = 1;
            t->where = "RowGroup";
            if (t_struct_list(t, type, "columns", &g->n_chunks) != 0)
                return -1;
            g->chunks = xcalloc(g->n_chunks, sizeof *g->chunks);
            if (g->chunks == NULL)
                return FERR(t->f, "out of memory");
            t->where = "ColumnChunk";
            for (i = 0; i < g->n_chunks; i++)
                if (read_column_chunk(t, &g->chunks[i]) != 0)
                    return -1;
            t->where = "RowGroup";
            break;
        case 2: rc = t_i64(t, type, "total_byte_size", &g->total_byte_size); break;
        case 3: rc = t_i64(t, type, "num_rows", &g->num_rows); has_rows = 1; break;
        case 5: rc = t_i64(t, type, "file_offset", &g->file_offset); break;
        case 6: rc = t_i64(t, type, "total_compressed_size", &g->total_compressed_size); break;
        case 7:
            if (t_type(t, type, FLOE_THRIFT_I16, "ordinal") != 0)
                return -1;
            if (floe_thrift_read_i16(&t->r, &ord) < 0)
                return t_fail(t);
            g->ordinal = ord;
            break;
        default: rc = t_skip(t, type); break;
        }
        if (rc < 0)
            return -1;
    }
    if (type < 0)
        return -1;
    if (!has_cols || !has_rows)
        return FERR(t->f, "footer: a RowGroup lacks %s", has_cols ? "num_rows" : "columns");
    return 0;
}

static int read_kv(struct tr *t, struct pq_kv *kv)
{
    int16_t id;
    int type, has_key = 0;
    if (t_begin(t) != 0)
        return -1;
    while ((type = t_field(t, &id)) > 0) {
        int rc;
        if (id == 1) {
            rc = t_bin(t, type, "key", &kv->key);
            has_key = 1;
        } else if (id == 2) {
            rc = t_bin(t, type, "value", &kv->value);
            kv->has_value = 1;
        } else {
            rc = t_skip(t, type);
        }
        if (rc < 0)
            return -1;
    }
    if (type < 0)
        return -1;
    return has_key ? 0 : FERR(t->f, "footer: a KeyValue has no key");
}

static int read_file_meta(struct tr *t)
{
    struct pq_file *f = t->f;
    int16_t id;
    int type, has_version = 0, has_schema = 0, has_rows = 0, has_rgs = 0;
    uint32_t i, n;
    while ((type = t_field(t, &id)) > 0) {
        int rc = 0;
        t->where = "FileMetaData";
        switch (id) {
        case 1: rc = t_i32(t, type, "version", &f->version); has_version = 1; break;
        case 2:
            if (has_schema)
                return FERR(f, "footer: FileMetaData has schema twice");
            has_schema = 1;
            if (t_struct_list(t, type, "schema", &f->n_schema) != 0)
                return -1;
            f->schema = xcalloc(f->n_schema, sizeof *f->schema);
            if (f->schema == NULL)
                return FERR(f, "out of memory");
            t->where = "SchemaElement";
            for (i = 0; i < f->n_schema; i++)
                if (read_schema_elem(t, &f->schema[i]) != 0)
                    return -1;
            break;
        case 3: rc = t_i64(t, type, "num_rows", &f->num_rows); has_rows = 1; break;
        case 4:
            if (has_rgs)
                return FERR(f, "footer: FileMetaData has row_groups twice");
            has_rgs = 1;
            if (t_struct_list(t, type, "row_groups", &f->n_row_groups) != 0)
                return -1;
            f->row_groups = xcalloc(f->n_row_groups, sizeof *f->row_groups);
            if (f->row_groups == NULL)
                return FERR(f, "out of memory");
            for (i = 0; i < f->n_row_groups; i++) {
                t->where = "RowGroup";
                if (read_row_group(t, &f->row_groups[i]) != 0)
                    return -1;
            }
            break;
        case 5:
            if (f->kv != NULL)
                return FERR(f, "footer: FileMetaData has key_value_metadata twice");
            if (t_struct_list(t, type, "key_value_metadata", &f->n_kv) != 0)
                return -1;
            f->kv = xcalloc(f->n_kv, sizeof *f->kv);
            if (f->kv == NULL)
                return FERR(f, "out of memory");
            t->where = "KeyValue";
            for (i = 0; i < f->n_kv; i++)
                if (read_kv(t, &f->kv[i]) != 0)
                    return -1;
            break;
        case 6: rc = t_bin(t, type, "created_by", &f->created_by); f->has_created_by = 1; break;
        case 7:
            if (t_struct_list(t, type, "column_orders", &n) != 0)
                return -1;
            f->n_column_orders = n;
            for (i = 0; i < n; i++)
                if (t_skip(t, FLOE_THRIFT_STRUCT) != 0)
                    return -1;
            break;
        case 8:
            return FERR(f, "the file is encrypted (FileMetaData.encryption_algorithm): not supported");
        default: rc = t_skip(t, type); break;
        }
        if (rc < 0)
            return -1;
    }
    if (type < 0)
        return -1;
    if (!has_version || !has_schema || !has_rows || !has_rgs)
        return FERR(f, "footer: FileMetaData lacks %s",
                    !has_version ? "version" : !has_schema ? "schema" : !has_rows ? "num_rows" : "row_groups");
    f->footer_used = t->r.pos;
    return 0;
}

/* ---- schema tree ---------------------------------------------------------- */

struct frame {
    int64_t left;     /* children still to visit */
    uint32_t elem;    /* the group's schema index */
    int16_t def, rep;
};

static void path_append(struct pq_sb *sb, const struct pq_bytes *name)
{
    size_t i;
    if (sb->len != 0)
        pq_sb_putn(sb, ".", 1);
    for (i = 0; i < name->n && sb->len < MAX_PATH_BYTES; i++)
        pq_sb_putn(sb, name->p[i] != 0 ? (const char *)name->p + i : "?", 1);
}

static int build_leaves(struct pq_file *f)
{
    struct frame *st;
    uint32_t i = 1, sp = 0, k;
    int rc = 0;
    const struct pq_schema_elem *root;
    if (f->n_schema == 0)
        return FERR(f, "schema: empty (no root element)");
    root = &f->schema[0];
    if (root->num_children < 0)
        return FERR(f, "schema: the root element has no num_children");
    f->leaves = xcalloc(f->n_schema, sizeof *f->leaves);
    st = xcalloc(MAX_SCHEMA_DEPTH + 1, sizeof *st);
    if (f->leaves == NULL || st == NULL) {
        free(st);
        return FERR(f, "out of memory");
    }
    st[0].left = root->num_children;
    st[0].elem = 0;
    for (;;) {
        const struct pq_schema_elem *e;
        int16_t def, rep;
        uint32_t idx;
        if (st[sp].left == 0) {
            if (sp == 0)
                break;
            sp--;
            continue;
        }
        st[sp].left--;
        if (i >= f->n_schema) {
            rc = FERR(f, "schema: the tree needs more elements than the %lu listed", (unsigned long)f->n_schema);
            break;
        }
        idx = i++;
        e = &f->schema[idx];
        if (e->repetition > PQ_REPEATED || e->repetition < -1) {
            rc = FERR(f, "schema: element %lu has repetition_type %ld", (unsigned long)idx, (long)e->repetition);
            break;
        }
        def = (int16_t)(st[sp].def + (e->repetition == PQ_OPTIONAL || e->repetition == PQ_REPEATED));
        rep = (int16_t)(st[sp].rep + (e->repetition == PQ_REPEATED));
        if (e->type < 0) {
            if (e->num_children < 0) {
                rc = FERR(f, "schema: element %lu has neither a type nor children", (unsigned long)idx);
                break;
            }
            if (sp + 1 > MAX_SCHEMA_DEPTH) {
                rc = FERR(f, "schema: nested deeper than %u levels", MAX_SCHEMA_DEPTH);
                break;
            }
            sp++;
            st[sp].left = e->num_children;
            st[sp].elem = idx;
            st[sp].def = def;
            st[sp].rep = rep;
        } else {
            struct pq_leaf *l = &f->leaves[f->n_leaves];
            struct pq_sb sb = {NULL, 0, 0, 0};
            if (e->num_children > 0) {
                rc = FERR(f, "schema: element %lu has a type and children", (unsigned long)idx);
                break;
            }
            if (e->type > PQ_FIXED_LEN_BYTE_ARRAY) {
                rc = FERR(f, "schema: element %lu has unknown type %ld", (unsigned long)idx, (long)e->type);
                break;
            }
            for (k = 1; k <= sp; k++)
                path_append(&sb, &f->schema[st[k].elem].name);
            path_append(&sb, &e->name);
            pq_sb_putn(&sb, "", 0);
            if (sb.oom || sb.p == NULL) {
                pq_sb_free(&sb);
                rc = FERR(f, "out of memory");
                break;
            }
            l->path = sb.p;
            l->elem = e;
            l->schema_index = idx;
            l->max_def = def;
            l->max_rep = rep;
            f->n_leaves++;
        }
    }
    free(st);
    if (rc == 0 && i != f->n_schema)
        rc = FERR(f, "schema: %lu elements after the end of the tree", (unsigned long)(f->n_schema - i));
    return rc;
}

static int check_chunks(struct pq_file *f)
{
    uint32_t r, c;
    char b1[16], b2[16];
    for (r = 0; r < f->n_row_groups; r++) {
        const struct pq_row_group *g = &f->row_groups[r];
        if (g->n_chunks != f->n_leaves)
            return FERR(f, "row group %lu has %lu column chunks, the schema %lu leaf columns", (unsigned long)r,
                        (unsigned long)g->n_chunks, (unsigned long)f->n_leaves);
        if (g->num_rows < 0)
            return FERR(f, "row group %lu has %lld rows", (unsigned long)r, (long long)g->num_rows);
        for (c = 0; c < g->n_chunks; c++) {
            const struct pq_chunk *k = &g->chunks[c];
            if (!k->has_meta)
                return FERR(f, "row group %lu column %lu has no meta_data", (unsigned long)r, (unsigned long)c);
            if (k->type != f->leaves[c].elem->type)
                return FERR(f, "row group %lu column %s: chunk type %s, schema type %s", (unsigned long)r,
                            f->leaves[c].path, pq_type_name(k->type, b1), pq_type_name(f->leaves[c].elem->type, b2));
        }
    }
    if (f->num_rows < 0)
        return FERR(f, "footer: num_rows is %lld", (long long)f->num_rows);
    return 0;
}

/* ---- open / close ---------------------------------------------------------- */

int pq_read_footer(struct pq_file *f, const struct pq_source *src)
{
    uint8_t tail[8], head[4];
    uint32_t flen;
    memset(f, 0, sizeof *f);
    f->src = src;
    if (src->size < 12)
        return FERR(f, "not a Parquet file: %llu bytes (a Parquet file has at least 12)",
                    (unsigned long long)src->size);
    if (src->read(src->ctx, 0, head, 4) != 0 || src->read(src->ctx, src->size - 8, tail, 8) != 0)
        return FERR(f, "cannot read the file");
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return FERR(f, "the file's footer is encrypted (PARE): not supported");
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return FERR(f, "not a Parquet file: no PAR1 at the end");
    if (memcmp(head, "PAR1", 4) != 0)
        return FERR(f, "not a Parquet file: no PAR1 at the start");
    flen = floe_get_le32(tail);
    if (flen > src->size - 12)
        return FERR(f, "corrupt: the footer length %lu exceeds the file (%llu bytes)", (unsigned long)flen,
                    (unsigned long long)src->size);
    if (flen > PQ_MAX_FOOTER)
        return FERR(f, "the footer is %lu bytes: more than this reader takes (%u)", (unsigned long)flen,
                    PQ_MAX_FOOTER);
    if (flen == 0)
        return FERR(f, "corrupt: the footer is empty");
    f->footer = malloc(flen);
    if (f->footer == NULL)
        return FERR(f, "out of memory");
    f->footer_len = flen;
    if (src->read(src->ctx, src->size - 8 - flen, f->footer, flen) != 0)
        return FERR(f, "cannot read the footer");
    return 0;
}

int pq_open(struct pq_file *f, const struct pq_source *src)
{
    struct tr t;
    if (pq_read_footer(f, src) != 0)
        return -1;
    memset(&t, 0, sizeof t);
    floe_thrift_reader_init(&t.r, f->footer, f->footer_len);
    t.f = f;
    t.where = "FileMetaData";
    t.budget = PQ_MAX_ELEMENTS;
    if (read_file_meta(&t) != 0)
        return -1;
    if (build_leaves(f) != 0 || check_chunks(f) != 0)
        return -1;
    return 0;
}

void pq_close(struct pq_file *f)
{
    uint32_t i;
    if (f->leaves != NULL)
        for (i = 0; i < f->n_leaves; i++)
            free(f->leaves[i].path);
    if (f->row_groups != NULL)
        for (i = 0; i < f->n_row_groups; i++)
            free(f->row_groups[i].chunks);
    free(f->leaves);
    free(f->row_groups);
    free(f->schema);
    free(f->kv);
    free(f->footer);
    f->leaves = NULL;
    f->row_groups = NULL;
    f->schema = NULL;
    f->kv = NULL;
    f->footer = NULL;
    f->n_leaves = f->n_row_groups = f->n_schema = f->n_kv = 0;
}

/* ---- values -------------------------------------------------------------- */

#define VERR(o, ...) (set_err((o)->err, sizeof (o)->err, __VA_ARGS__), -1)

void pq_values_free(struct pq_values *out)
{
    size_t i;
    for (i = 0; i < out->n_owned; i++)
        free(out->owned[i]);
    free(out->owned);
    free(out->v);
    memset(out, 0, sizeof *out);
}

/* Takes ownership of p (freed now if it cannot be recorded). */
static int own(struct pq_values *o, void *p)
{
    if (p == NULL)
        return VERR(o, "out of memory");
    if (o->n_owned == o->cap_owned) {
        size_t nc = o->cap_owned ? o->cap_owned * 2 : 16;
        void **np = realloc(o->owned, nc * sizeof *np);
        if (np == NULL) {
            free(p);
            return VERR(o, "out of memory");
        }
        o->owned = np;
        o->cap_owned = nc;
    }
    o->owned[o->n_owned++] = p;
    return 0;
}

static struct pq_value *take_values(struct pq_values *o, size_t k)
{
    struct pq_value *at;
    if (o->cap - o->n < k) {
        size_t nc = o->cap ? o->cap : 256;
        struct pq_value *np;
        while (nc - o->n < k) {
            if (nc > SIZE_MAX / 2 / sizeof *np)
                return NULL;
            nc *= 2;
        }
        np = realloc(o->v, nc * sizeof *np);
        if (np == NULL)
            return NULL;
        o->v = np;
        o->cap = nc;
    }
    at = o->v + o->n;
    memset(at, 0, k * sizeof *at);
    return at;
}

static size_t type_width(const struct pq_leaf *leaf)
{
    switch (leaf->elem->type) {
    case PQ_INT32:
    case PQ_FLOAT:
        return 4;
    case PQ_INT64:
    case PQ_DOUBLE:
        return 8;
    case PQ_INT96:
        return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY:
        return leaf->elem->type_length > 0 ? (size_t)leaf->elem->type_length : 0;
    default:
        return 0; /* BOOLEAN, BYTE_ARRAY */
    }
}

/* PLAIN: count values from p[0..n) into dst. Sets *used to the bytes read. */
static int plain_decode(struct pq_values *o, const struct pq_leaf *leaf, const uint8_t *p, size_t n, size_t count,
                        struct pq_value *dst, size_t *used)
{
    int32_t type = leaf->elem->type;
    size_t i, w = type_width(leaf), pos = 0;
    if (type == PQ_BOOLEAN) {
        if (count > n * 8)
            return VERR(o, "PLAIN booleans: %zu values in %zu bytes", count, n);
        for (i = 0; i < count; i++)
            dst[i].v.i = (p[i >> 3] >> (i & 7)) & 1;
        *used = (count + 7) / 8;
        return 0;
    }
    if (type == PQ_BYTE_ARRAY) {
        for (i = 0; i < count; i++) {
            const uint8_t *v;
            uint32_t len;
            if (floe_plain_get_byte_array(p, n, &pos, &v, &len) != FLOE_OK)
                return VERR(o, "PLAIN byte array %zu of %zu runs past the page (%zu bytes)", i, count, n);
            dst[i].v.s.p = v;
            dst[i].v.s.n = len;
        }
        *used = pos;
        return 0;
    }
    if (w == 0)
        return VERR(o, "FIXED_LEN_BYTE_ARRAY without a positive type_length");
    if (count > n / w)
        return VERR(o, "PLAIN: %zu values of %zu bytes in %zu bytes", count, w, n);
    for (i = 0; i < count; i++, p += w) {
        switch (type) {
        case PQ_INT32:
            dst[i].v.i = (int32_t)floe_get_le32(p);
            break;
        case PQ_INT64: {
            uint64_t u = floe_get_le64(p);
            dst[i].v.i = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
            break;
        }
        case PQ_FLOAT: {
            uint32_t u = floe_get_le32(p);
            float fl;
            memcpy(&fl, &u, 4);
            dst[i].v.d = fl;
            break;
        }
        case PQ_DOUBLE: {
            uint64_t u = floe_get_le64(p);
            memcpy(&dst[i].v.d, &u, 8);
            break;
        }
        default:
            dst[i].v.s.p = p;
            dst[i].v.s.n = (uint32_t)w;
            break;
        }
    }
    *used = count * w;
    return 0;
}

int pq_stat_value(const struct pq_leaf *leaf, struct pq_bytes b, struct pq_value *out)
{
    struct pq_values tmp;
    size_t used = 0;
    memset(out, 0, sizeof *out);
    memset(&tmp, 0, sizeof tmp);
    switch (leaf->elem->type) {
    case PQ_BYTE_ARRAY:
        if (b.n > UINT32_MAX)
            return -1;
        out->v.s.p = b.p;
        out->v.s.n = (uint32_t)b.n;
        return 0;
    case PQ_BOOLEAN:
        if (b.n != 1)
            return -1;
        out->v.i = b.p[0] & 1;
        return 0;
    default:
        if (type_width(leaf) == 0 || b.n != type_width(leaf))
            return -1;
        return plain_decode(&tmp, leaf, b.p, b.n, 1, out, &used);
    }
}

struct page {
    int32_t type, uncomp, comp;
    int has_data, has_dict, has_v2;
    int32_t num_values, encoding, def_enc, rep_enc;  /* v1, and dict num_values/encoding */
    int32_t num_nulls, num_rows, def_len, rep_len;   /* v2 */
    int is_compressed;
};

/* Parses a PageHeader at p[0..n); sets *hlen to its length. */
static int page_header(struct pq_values *o, const uint8_t *p, size_t n, struct page *pg, size_t *hlen)
{
    struct pq_file fake; /* t_* helpers report into a pq_file */
    struct tr t;
    int16_t id, sid;
    int type = 0, stype = 0, rc = 0, seen = 0;
    memset(pg, 0, sizeof *pg);
    pg->is_compressed = 1;
    memset(&t, 0, sizeof t);
    fake.err[0] = '\0';
    t.f = &fake;
    t.part = "page header";
    t.where = "PageHeader";
    floe_thrift_reader_init(&t.r, p, n);
    while (rc == 0 && (type = t_field(&t, &id)) > 0) {
        switch (id) {
        case 1: rc = t_i32(&t, type, "type", &pg->type); seen |= 1; break;
        case 2: rc = t_i32(&t, type, "uncompressed_page_size", &pg->uncomp); seen |= 2; break;
        case 3: rc = t_i32(&t, type, "compressed_page_size", &pg->comp); seen |= 4; break;
        case 5:
        case 7:
        case 8:
            rc = t_type(&t, type, FLOE_THRIFT_STRUCT, "*_page_header");
            if (rc == 0)
                rc = t_begin(&t);
            if (id == 5)
                pg->has_data = 1;
            else if (id == 7)
                pg->has_dict = 1;
            else
                pg->has_v2 = 1;
            t.where = id == 5 ? "DataPageHeader" : id == 7 ? "DictionaryPageHeader" : "DataPageHeaderV2";
            while (rc == 0 && (stype = t_field(&t, &sid)) > 0) {
                if (id == 5 && sid == 1) rc = t_i32(&t, stype, "num_values", &pg->num_values);
                else if (id == 5 && sid == 2) rc = t_i32(&t, stype, "encoding", &pg->encoding);
                else if (id == 5 && sid == 3) rc = t_i32(&t, stype, "definition_level_encoding", &pg->def_enc);
                else if (id == 5 && sid == 4) rc = t_i32(&t, stype, "repetition_level_encoding", &pg->rep_enc);
                else if (id == 7 && sid == 1) rc = t_i32(&t, stype, "num_values", &pg->num_values);
                else if (id == 7 && sid == 2) rc = t_i32(&t, stype, "encoding", &pg->encoding);
                else if (id == 8 && sid == 1) rc = t_i32(&t, stype, "num_values", &pg->num_values);
                else if (id == 8 && sid == 2) rc = t_i32(&t, stype, "num_nulls", &pg->num_nulls);
                else if (id == 8 && sid == 3) rc = t_i32(&t, stype, "num_rows", &pg->num_rows);
                else if (id == 8 && sid == 4) rc = t_i32(&t, stype, "encoding", &pg->encoding);
                else if (id == 8 && sid == 5) rc = t_i32(&t, stype, "definition_levels_byte_length", &pg->def_len);
                else if (id == 8 && sid == 6) rc = t_i32(&t, stype, "repetition_levels_byte_length", &pg->rep_len);
                else if (id == 8 && sid == 7) rc = t_bool(&t, stype, "is_compressed", &pg->is_compressed);
                else rc = t_skip(&t, stype);
            }
            if (rc == 0 && stype < 0)
                rc = -1;
            t.where = "PageHeader";
            break;
        default: rc = t_skip(&t, type); break;
        }
    }
    if (rc == 0 && type < 0)
        rc = -1;
    if (rc != 0)
        return VERR(o, "%s", fake.err);
    if ((seen & 7) != 7)
        return VERR(o, "page header lacks type or sizes");
    if (pg->uncomp < 0 || pg->comp < 0)
        return VERR(o, "page header has negative sizes (%ld, %ld)", (long)pg->uncomp, (long)pg->comp);
    *hlen = t.r.pos;
    return 0;
}

/* The page body uncompressed: *out points to it (into `body`, or a buffer
 * now owned by o). */
static int uncompress(struct pq_values *o, int32_t codec, const uint8_t *body, size_t comp, size_t uncomp,
                      const uint8_t **out)
{
    char nb[16];
    uint8_t *buf;
    size_t declared = 0, got = 0;
    int rc;
    if (uncomp > PQ_MAX_PAGE_BYTES)
        return VERR(o, "a page of %zu bytes: more than this reader takes", uncomp);
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (comp != uncomp)
            return VERR(o, "uncompressed page: stored %zu bytes, header says %zu", comp, uncomp);
        *out = body;
        return 0;
    case PQ_CODEC_SNAPPY:
        if (floe_snappy_uncompressed_length(body, comp, &declared) != FLOE_OK)
            return VERR(o, "snappy: bad length preamble");
        if (declared != uncomp)
            return VERR(o, "snappy: stream holds %zu bytes, page header says %zu", declared, uncomp);
        /* A snappy element expands at most 64 bytes from 3. */
        if (uncomp / 22 > comp)
            return VERR(o, "snappy: %zu bytes cannot come from %zu", uncomp, comp);
        buf = malloc(uncomp ? uncomp : 1);
        if (own(o, buf) != 0)
            return -1;
        rc = floe_snappy_uncompress(body, comp, buf, uncomp, &got);
        if (rc != FLOE_OK || got != uncomp)
            return VERR(o, "snappy: corrupt page data (%s)", floe_errname(rc));
        *out = buf;
        return 0;
#ifdef PQ_HAVE_ZSTD
    case PQ_CODEC_ZSTD: {
        /* A static context: the library's zstd has no heap of its own. */
        size_t ws = ZSTD_estimateDCtxSize(), r;
        void *work = malloc(ws);
        ZSTD_DCtx *dctx = work != NULL ? ZSTD_initStaticDCtx(work, ws) : NULL;
        buf = malloc(uncomp ? uncomp : 1);
        if (dctx == NULL || own(o, buf) != 0) {
            free(work);
            return VERR(o, "out of memory");
        }
        r = ZSTD_decompressDCtx(dctx, buf, uncomp, body, comp);
        free(work);
        if (ZSTD_isError(r))
            return VERR(o, "zstd: %s", ZSTD_getErrorName(r));
        if (r != uncomp)
            return VERR(o, "zstd: page holds %zu bytes, header says %zu", r, uncomp);
        *out = buf;
        return 0;
    }
#endif
    default:
        return VERR(o, "codec %s is not supported by this reader", pq_codec_name(codec, nb));
    }
}

struct dict {
    struct pq_value *v;
    size_t n;
    int present;
};

static int decode_dict_page(struct pq_values *o, const struct pq_leaf *leaf, const struct page *pg,
                            const uint8_t *p, size_t n, struct dict *d)
{
    char nb[16];
    size_t count, used = 0, w = type_width(leaf);
    if (pg->encoding != PQ_ENC_PLAIN && pg->encoding != PQ_ENC_PLAIN_DICTIONARY)
        return VERR(o, "dictionary page in %s encoding", pq_encoding_name(pg->encoding, nb));
    if (pg->num_values < 0 || (uint32_t)pg->num_values > pq_max_page_values)
        return VERR(o, "dictionary page with %ld entries", (long)pg->num_values);
    count = (size_t)pg->num_values;
    if (leaf->elem->type == PQ_FIXED_LEN_BYTE_ARRAY && w == 0)
        return VERR(o, "FIXED_LEN_BYTE_ARRAY without a positive type_length");
    /* Before allocating: every entry takes bytes (a bit for booleans). */
    if ((leaf->elem->type == PQ_BYTE_ARRAY && count > n / 4) || (w != 0 && count > n / w) ||
        (leaf->elem->type == PQ_BOOLEAN && count > n * 8))
        return VERR(o, "dictionary page: %zu entries cannot fit %zu bytes", count, n);
    d->v = xcalloc(count, sizeof *d->v);
    if (own(o, d->v) != 0)
        return -1;
    if (plain_decode(o, leaf, p, n, count, d->v, &used) != 0)
        return -1;
    d->n = count;
    d->present = 1;
    o->has_dict = 1;
    o->dict_entries = (uint32_t)count;
    return 0;
}

/* A whole DELTA_BINARY_PACKED stream of at least `need` values: *vals
 * (malloc'd, the caller frees it) gets *got values, *used the bytes read. */
static int delta_all(struct pq_values *o, const uint8_t *p, size_t n, unsigned bits, size_t need, int64_t **vals,
                     size_t *got, size_t *used, const char *what)
{
    size_t cap = need < 128 ? 128 : need;
    int64_t *v;
    int rc;
    /* The stream holds a whole page; need may be only the prefix wanted. */
    for (;;) {
        v = malloc(cap * sizeof *v);
        if (v == NULL)
            return VERR(o, "out of memory");
        rc = floe_delta_decode(p, n, bits, v, cap, got);
        if (rc != FLOE_ERR_LIMIT || cap >= pq_max_page_values)
            break;
        free(v);
        cap = cap * 4 > pq_max_page_values ? pq_max_page_values : cap * 4;
    }
    if (rc < 0) {
        free(v);
        return VERR(o, "%s: %s", what, floe_errname(rc));
    }
    if (*got < need) {
        free(v);
        return VERR(o, "%s: %zu values, the page needs %zu", what, *got, need);
    }
    *vals = v;
    *used = (size_t)rc;
    return 0;
}

/* Lengths (DELTA_BINARY_PACKED), then the bytes back to back. */
static int delta_length_byte_array(struct pq_values *o, const uint8_t *p, size_t n, size_t m, struct pq_value *dst,
                                   size_t *used)
{
    int64_t *len;
    size_t got = 0, pos = 0, i;
    if (delta_all(o, p, n, 32, m, &len, &got, &pos, "DELTA_LENGTH_BYTE_ARRAY lengths") != 0)
        return -1;
    for (i = 0; i < m; i++) {
        if (len[i] < 0 || (uint64_t)len[i] > n - pos) {
            long long bad = (long long)len[i];
            free(len);
            return VERR(o, "DELTA_LENGTH_BYTE_ARRAY: value %zu of length %lld runs past the page", i, bad);
        }
        dst[i].v.s.p = p + pos;
        dst[i].v.s.n = (uint32_t)len[i];
        pos += (size_t)len[i];
    }
    free(len);
    *used = pos;
    return 0;
}

/* Prefix lengths (DELTA_BINARY_PACKED), then the suffixes as
 * DELTA_LENGTH_BYTE_ARRAY: value i is the first prefix[i] bytes of value
 * i - 1 followed by suffix i. The values are rebuilt in a new buffer. */
static int delta_byte_array(struct pq_values *o, const uint8_t *p, size_t n, size_t m, struct pq_value *dst)
{
    int64_t *pre;
    size_t got = 0, pos = 0, used = 0, i, total = 0, prev = 0;
    struct pq_value *suf;
    uint8_t *buf, *at;
    int rc = 0;
    if (m == 0)
        return 0;
    if (delta_all(o, p, n, 32, m, &pre, &got, &pos, "DELTA_BYTE_ARRAY prefix lengths") != 0)
        return -1;
    suf = xcalloc(m, sizeof *suf);
    if (suf == NULL) {
        free(pre);
        return VERR(o, "out of memory");
    }
    if (delta_length_byte_array(o, p + pos, n - pos, m, suf, &used) != 0) {
        free(pre);
        free(suf);
        return -1;
    }
    /* Sizes first: a prefix may not exceed the previous value. */
    for (i = 0; i < m && rc == 0; i++) {
        size_t len;
        if (pre[i] < 0 || (uint64_t)pre[i] > prev)
            rc = VERR(o, "DELTA_BYTE_ARRAY: prefix %lld of value %zu exceeds the previous value (%zu bytes)",
                      (long long)pre[i], i, prev);
        len = rc == 0 ? (size_t)pre[i] + suf[i].v.s.n : 0;
        if (rc == 0 && (len > UINT32_MAX || len > PQ_MAX_PAGE_BYTES - total))
            rc = VERR(o, "DELTA_BYTE_ARRAY: the values exceed %u bytes", PQ_MAX_PAGE_BYTES);
        total += len;
        prev = len;
    }
    buf = rc == 0 ? malloc(total ? total : 1) : NULL;
    if (rc == 0 && own(o, buf) != 0)
        rc = -1;
    for (i = 0, at = buf; rc == 0 && i < m; i++) {
        size_t k = (size_t)pre[i];
        if (k != 0)
            memcpy(at, dst[i - 1].v.s.p, k); /* i > 0: the prefix of value 0 is 0 */
        if (suf[i].v.s.n != 0)
            memcpy(at + k, suf[i].v.s.p, suf[i].v.s.n);
        dst[i].v.s.p = at;
        dst[i].v.s.n = (uint32_t)(k + suf[i].v.s.n);
        at += k + suf[i].v.s.n;
    }
    free(pre);
    free(suf);
    return rc;
}

/* Decodes m non-null values in encoding enc from p[0..n) into dst. */
static int decode_values(struct pq_values *o, const struct pq_leaf *leaf, int32_t enc, const uint8_t *p, size_t n,
                         size_t m, const struct dict *d, struct pq_value *dst)
{
    char nb[16], tb[16];
    int32_t type = leaf->elem->type;
    size_t used = 0, i;
    int rc;
    switch (enc) {
    case PQ_ENC_PLAIN:
        return plain_decode(o, leaf, p, n, m, dst, &used);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: {
        uint32_t *idx;
        if (!d->present)
            return VERR(o, "dictionary-encoded page without a dictionary page");
        if (m == 0)
            return 0;
        if (n < 1 || p[0] > 32)
            return VERR(o, "dictionary indices: bad bit width %d", n < 1 ? -1 : p[0]);
        idx = malloc(m * sizeof *idx);
        if (idx == NULL)
            return VERR(o, "out of memory");
        rc = floe_rle_decode(p + 1, n - 1, p[0], idx, m);
        if (rc < 0) {
            free(idx);
            return VERR(o, "dictionary indices: %s (%zu values, bit width %u)", floe_errname(rc), m, p[0]);
        }
        for (i = 0; i < m; i++) {
            if (idx[i] >= d->n) {
                size_t bad = idx[i];
                free(idx);
                return VERR(o, "dictionary index %zu out of %zu entries", bad, d->n);
            }
            dst[i].v = d->v[idx[i]].v;
        }
        free(idx);
        return 0;
    }
    case PQ_ENC_RLE: {
        uint32_t *bits, len;
        if (type != PQ_BOOLEAN)
            return VERR(o, "RLE values in a %s column", pq_type_name(type, tb));
        if (m == 0)
            return 0;
        if (n < 4 || (len = floe_get_le32(p)) > n - 4)
            return VERR(o, "RLE booleans: bad length prefix");
        bits = malloc(m * sizeof *bits);
        if (bits == NULL)
            return VERR(o, "out of memory");
        rc = floe_rle_decode(p + 4, len, 1, bits, m);
        for (i = 0; rc >= 0 && i < m; i++)
            dst[i].v.i = bits[i];
        free(bits);
        return rc < 0 ? VERR(o, "RLE booleans: %s", floe_errname(rc)) : 0;
    }
    case PQ_ENC_DELTA_BINARY_PACKED: {
        int64_t *vals;
        size_t got = 0;
        if (type != PQ_INT32 && type != PQ_INT64)
            return VERR(o, "DELTA_BINARY_PACKED in a %s column", pq_type_name(type, tb));
        if (delta_all(o, p, n, type == PQ_INT32 ? 32 : 64, m, &vals, &got, &used, "DELTA_BINARY_PACKED") != 0)
            return -1;
        for (i = 0; i < m; i++)
            dst[i].v.i = vals[i];
        free(vals);
        return 0;
    }
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (type != PQ_BYTE_ARRAY)
            return VERR(o, "%s in a %s column", pq_encoding_name(enc, nb), pq_type_name(type, tb));
        return enc == PQ_ENC_DELTA_BYTE_ARRAY ? delta_byte_array(o, p, n, m, dst)
                                              : delta_length_byte_array(o, p, n, m, dst, &used);
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        size_t w = type_width(leaf), stride;
        uint8_t *plain;
        if (w == 0 || type == PQ_INT96)
            return VERR(o, "BYTE_STREAM_SPLIT in a %s column", pq_type_name(type, tb));
        /* Each stream is as long as the page has values: n / width. */
        stride = n / w;
        if (stride < m)
            return VERR(o, "BYTE_STREAM_SPLIT: %zu bytes for %zu values of %zu bytes", n, m, w);
        if (stride == 0)
            return 0;
        plain = malloc(stride * w);
        if (own(o, plain) != 0)
            return -1;
        floe_byte_stream_join(p, stride, w, plain);
        return plain_decode(o, leaf, plain, stride * w, m, dst, &used);
    }
    default:
        return VERR(o, "encoding %s is not supported by this reader", pq_encoding_name(enc, nb));
    }
}

/* One data page (v1 or v2) whose body is at body[0..comp). */
static int decode_data_page(struct pq_values *o, const struct pq_leaf *leaf, int32_t codec, const struct page *pg,
                            const uint8_t *body, size_t comp, size_t want, const struct dict *d)
{
    char nb[16];
    const uint8_t *data, *lv = NULL, *vals;
    size_t data_len, lv_len = 0, vals_len, k, m = 0, i;
    uint32_t *levels = NULL;
    struct pq_value *dst;
    unsigned bw = floe_bit_width((uint64_t)leaf->max_def);
    int rc;
    if (pg->num_values < 0 || (uint32_t)pg->num_values > pq_max_page_values)
        return VERR(o, "data page with %ld values", (long)pg->num_values);
    k = (size_t)pg->num_values;
    if (k > want - o->n)
        k = want - o->n;
    if (pg->has_v2) {
        size_t lvl, ucomp;
        if (pg->def_len < 0 || pg->rep_len < 0 || (size_t)pg->def_len + (size_t)pg->rep_len > comp ||
            (size_t)pg->def_len + (size_t)pg->rep_len > (size_t)pg->uncomp)
            return VERR(o, "data page v2: level lengths (%ld, %ld) exceed the page", (long)pg->rep_len,
                        (long)pg->def_len);
        if (pg->num_nulls < 0 || pg->num_nulls > pg->num_values)
            return VERR(o, "data page v2: %ld nulls of %ld values", (long)pg->num_nulls, (long)pg->num_values);
        lvl = (size_t)pg->def_len + (size_t)pg->rep_len;
        lv = body + pg->rep_len;
        lv_len = (size_t)pg->def_len;
        ucomp = (size_t)pg->uncomp - lvl;
        if (pg->is_compressed) {
            if (uncompress(o, codec, body + lvl, comp - lvl, ucomp, &vals) != 0)
                return -1;
        } else {
            if (comp - lvl != ucomp)
                return VERR(o, "data page v2: stored %zu value bytes, header says %zu", comp - lvl, ucomp);
            vals = body + lvl;
        }
        vals_len = ucomp;
        if (leaf->max_def == 0 && pg->num_nulls != 0)
            return VERR(o, "data page v2: nulls in a required column");
    } else {
        if (uncompress(o, codec, body, comp, (size_t)pg->uncomp, &data) != 0)
            return -1;
        data_len = (size_t)pg->uncomp;
        if (leaf->max_def > 0) {
            uint32_t len;
            if (pg->def_enc != PQ_ENC_RLE)
                return VERR(o, "definition levels in %s encoding are not supported",
                            pq_encoding_name(pg->def_enc, nb));
            if (data_len < 4 || (len = floe_get_le32(data)) > data_len - 4)
                return VERR(o, "definition levels: bad length prefix");
            lv = data + 4;
            lv_len = len;
            vals = data + 4 + len;
            vals_len = data_len - 4 - len;
        } else {
            vals = data;
            vals_len = data_len;
        }
    }
    if (k == 0)
        return 0;
    dst = take_values(o, k);
    if (dst == NULL)
        return VERR(o, "out of memory");
    if (leaf->max_def > 0) {
        levels = malloc(k * sizeof *levels);
        if (levels == NULL)
            return VERR(o, "out of memory");
        rc = floe_rle_decode(lv, lv_len, bw, levels, k);
        if (rc < 0) {
            free(levels);
            return VERR(o, "definition levels: %s (%zu values, bit width %u)", floe_errname(rc), k, bw);
        }
        for (i = 0; i < k; i++) {
            if (levels[i] > (uint32_t)leaf->max_def) {
                uint32_t bad = levels[i];
                free(levels);
                return VERR(o, "definition level %lu above the column's maximum %d", (unsigned long)bad,
                            leaf->max_def);
            }
            m += levels[i] == (uint32_t)leaf->max_def;
        }
    } else {
        m = k;
    }
    {
        /* Non-null values go to the front of a scratch array, then spread. */
        struct pq_value *nn = xcalloc(m, sizeof *nn);
        size_t j = 0;
        if (nn == NULL) {
            free(levels);
            return VERR(o, "out of memory");
        }
        rc = decode_values(o, leaf, pg->encoding, vals, vals_len, m, d, nn);
        if (rc == 0) {
            for (i = 0; i < k; i++) {
                if (levels != NULL && levels[i] != (uint32_t)leaf->max_def) {
                    dst[i].is_null = 1;
                } else {
                    dst[i] = nn[j++];
                    dst[i].is_null = 0;
                }
            }
            o->n += k;
        }
        free(nn);
    }
    free(levels);
    return rc;
}

/* Puts where it happened in front of the message an inner step left. */
static int wrap_err(struct pq_values *o, const struct pq_leaf *leaf, const char *what, size_t pos)
{
    char inner[sizeof o->err], head[160];
    size_t hl, il;
    memcpy(inner, o->err, sizeof inner);
    inner[sizeof inner - 1] = '\0';
    snprintf(head, sizeof head, "column %.80s, %.20s at chunk byte %zu: ", leaf->path, what, pos);
    hl = strlen(head);
    il = strlen(inner);
    if (il > sizeof o->err - 1 - hl)
        il = sizeof o->err - 1 - hl;
    memcpy(o->err, head, hl);
    memcpy(o->err + hl, inner, il);
    o->err[hl + il] = '\0';
    return -1;
}

int pq_decode_chunk(const struct pq_leaf *leaf, int32_t codec, const uint8_t *chunk, size_t len, size_t want,
                    struct pq_values *o)
{
    size_t pos = 0;
    struct dict d = {NULL, 0, 0};
    int data_pages = 0;
    if (leaf->max_rep > 0)
        return VERR(o, "column %s is repeated (nested lists): values are not supported", leaf->path);
    while (pos < len && o->n < want) {
        struct page pg;
        size_t hlen = 0;
        const uint8_t *body;
        if (page_header(o, chunk + pos, len - pos, &pg, &hlen) != 0)
            return wrap_err(o, leaf, "page", pos);
        if ((size_t)pg.comp > len - pos - hlen)
            return VERR(o, "column %s: page at chunk byte %zu runs %zu bytes past the chunk", leaf->path, pos,
                        (size_t)pg.comp - (len - pos - hlen));
        body = chunk + pos + hlen;
        o->pages++;
        if (pg.type == PQ_DICTIONARY_PAGE) {
            const uint8_t *p;
            if (!pg.has_dict)
                return VERR(o, "column %s: dictionary page without its header", leaf->path);
            if (d.present || data_pages)
                return VERR(o, "column %s: a dictionary page after %s", leaf->path,
                            d.present ? "another one" : "data pages");
            if (uncompress(o, codec, body, (size_t)pg.comp, (size_t)pg.uncomp, &p) != 0 ||
                decode_dict_page(o, leaf, &pg, p, (size_t)pg.uncomp, &d) != 0)
                return wrap_err(o, leaf, "dictionary page", pos);
        } else if (pg.type == PQ_DATA_PAGE || pg.type == PQ_DATA_PAGE_V2) {
            if ((pg.type == PQ_DATA_PAGE && !pg.has_data) || (pg.type == PQ_DATA_PAGE_V2 && !pg.has_v2))
                return VERR(o, "column %s: data page without its header", leaf->path);
            data_pages++;
            if (decode_data_page(o, leaf, codec, &pg, body, (size_t)pg.comp, want, &d) != 0)
                return wrap_err(o, leaf, "data page", pos);
        }
        /* other page types (index pages) are skipped */
        pos += hlen + (size_t)pg.comp;
    }
    return 0;
}

int pq_read_column(const struct pq_file *f, uint32_t rg, uint32_t col, size_t want, struct pq_values *o)
{
    const struct pq_chunk *c;
    const struct pq_leaf *leaf;
    uint64_t data_end, start, size, part;
    uint8_t *buf;
    memset(o, 0, sizeof *o);
    if (rg >= f->n_row_groups || col >= f->n_leaves || col >= f->row_groups[rg].n_chunks)
        return VERR(o, "no column %lu in row group %lu", (unsigned long)col, (unsigned long)rg);
    c = &f->row_groups[rg].chunks[col];
    leaf = &f->leaves[col];
    if (c->file_path.n != 0)
        return VERR(o, "column %s: the chunk is in another file", leaf->path);
    start = (uint64_t)c->data_page_offset;
    if (c->data_page_offset < 0)
        return VERR(o, "column %s: data_page_offset %lld", leaf->path, (long long)c->data_page_offset);
    if (c->dictionary_page_offset > 0 && c->dictionary_page_offset < c->data_page_offset)
        start = (uint64_t)c->dictionary_page_offset;
    if (c->total_compressed < 0 || (uint64_t)c->total_compressed > PQ_MAX_CHUNK_BYTES)
        return VERR(o, "column %s: total_compressed_size %lld", leaf->path, (long long)c->total_compressed);
    size = (uint64_t)c->total_compressed;
    data_end = f->src->size - 8 - f->footer_len;
    if (start < 4 || start > data_end || size > data_end - start)
        return VERR(o, "column %s: chunk at %llu+%llu lies outside the data (4..%llu)", leaf->path,
                    (unsigned long long)start, (unsigned long long)size, (unsigned long long)data_end);
    /* A few values need only the chunk's first pages: read a prefix, and
     * read more (from the start again) only when it falls short. The whole
     * chunk gives the final word on errors. */
    for (part = size < PREFIX_BYTES ? size : PREFIX_BYTES;; part = part * 8 < size ? part * 8 : size) {
        int rc;
        buf = malloc(part ? (size_t)part : 1);
        if (own(o, buf) != 0)
            return -1;
        if (f->src->read(f->src->ctx, start, buf, (size_t)part) != 0)
            return VERR(o, "column %s: cannot read the chunk", leaf->path);
        rc = pq_decode_chunk(leaf, c->codec, buf, (size_t)part, want, o);
        if (part == size || (rc == 0 && o->n >= want))
            return rc;
        pq_values_free(o);
    }
}

/* ---- the page index ------------------------------------------------------ */

#define PERR(pi, ...) (set_err((pi)->err, sizeof (pi)->err, __VA_ARGS__), -1)

void pq_page_index_free(struct pq_page_index *pi)
{
    free(pi->loc);
    free(pi->null_pages);
    free(pi->min);
    free(pi->max);
    free(pi->null_counts);
    free(pi->oi_bytes);
    free(pi->ci_bytes);
    pi->loc = NULL;
    pi->null_pages = NULL;
    pi->min = pi->max = NULL;
    pi->null_counts = NULL;
    pi->oi_bytes = pi->ci_bytes = NULL;
}

/* Reads one index's bytes at off+len (inside the data, before the footer)
 * into *out (malloc'd). */
static int index_bytes(const struct pq_file *f, int64_t off, int32_t len, const char *what,
                       struct pq_page_index *pi, uint8_t **out)
{
    uint64_t data_end = f->src->size - 8 - f->footer_len;
    if (off < 4 || len <= 0 || (uint64_t)len > PQ_MAX_FOOTER || (uint64_t)off > data_end ||
        (uint64_t)len > data_end - (uint64_t)off)
        return PERR(pi, "%s at %lld+%ld lies outside the data (4..%llu)", what, (long long)off, (long)len,
                    (unsigned long long)data_end);
    *out = malloc((size_t)len);
    if (*out == NULL)
        return PERR(pi, "out of memory");
    if (f->src->read(f->src->ctx, (uint64_t)off, *out, (size_t)len) != 0)
        return PERR(pi, "cannot read the %s", what);
    return 0;
}

/* OffsetIndex { 1: list<PageLocation{1: i64 offset, 2: i32
 * compressed_page_size, 3: i64 first_row_index}> page_locations }. */
static int read_offset_index(struct tr *t, struct pq_page_index *pi)
{
    int16_t id, sid;
    int type, st = 0, rc = 0, have = 0;
    uint32_t n = 0, i;
    while (rc == 0 && (type = t_field(t, &id)) > 0) {
        if (id != 1 || have) {
            rc = t_skip(t, type);
            continue;
        }
        have = 1;
        rc = t_struct_list(t, type, "page_locations", &n);
        if (rc == 0 && (pi->loc = xcalloc(n, sizeof *pi->loc)) == NULL)
            rc = FERR(t->f, "out of memory");
        for (i = 0; rc == 0 && i < n; i++) {
            struct pq_page_loc *l = &pi->loc[i];
            int seen = 0;
            rc = t_begin(t);
            while (rc == 0 && (st = t_field(t, &sid)) > 0) {
                if (sid == 1)
                    rc = t_i64(t, st, "offset", &l->offset), seen |= 1;
                else if (sid == 2)
                    rc = t_i32(t, st, "compressed_page_size", &l->size), seen |= 2;
                else if (sid == 3)
                    rc = t_i64(t, st, "first_row_index", &l->first_row), seen |= 4;
                else
                    rc = t_skip(t, st);
            }
            if (rc == 0 && st < 0)
                rc = -1;
            if (rc == 0 && seen != 7)
                rc = FERR(t->f, "%s: a PageLocation lacks a field", t_part(t));
        }
        pi->n_loc = n;
    }
    if (rc == 0 && type < 0)
        rc = -1;
    if (rc == 0 && !have)
        rc = FERR(t->f, "%s: no page_locations", t_part(t));
    return rc;
}

/* A list of n (the first list's length) elements of elem_type; 0, or -1. */
static int index_list(struct tr *t, int type, const char *field, int elem_type, uint32_t *n, int first)
{
    int et = 0;
    uint32_t count;
    if (t_type(t, type, FLOE_THRIFT_LIST, field) != 0)
        return -1;
    if (floe_thrift_read_list_header(&t->r, &et, &count) < 0)
        return t_fail(t);
    if (et != elem_type && !(elem_type == FLOE_THRIFT_BOOL_TRUE && et == FLOE_THRIFT_BOOL_FALSE))
        return FERR(t->f, "%s: %s.%s is a list<%s>, want list<%s>", t_part(t), t->where, field,
                    floe_thrift_type_name(et), floe_thrift_type_name(elem_type));
    if (first) {
        if (count > t->budget)
            return FERR(t->f, "%s: %s.%s has %lu elements: more than this reader takes", t_part(t), t->where,
                        field, (unsigned long)count);
        *n = count;
    } else if (count != *n) {
        return FERR(t->f, "%s: %s.%s has %lu elements, null_pages %lu", t_part(t), t->where, field,
                    (unsigned long)count, (unsigned long)*n);
    }
    return 0;
}

/* ColumnIndex { 1: list<bool> null_pages, 2: list<binary> min_values,
 * 3: list<binary> max_values, 4: BoundaryOrder boundary_order, 5:
 * optional list<i64> null_counts, ... }: every list as long as the first. */
static int read_column_index(struct tr *t, struct pq_page_index *pi)
{
    int16_t id;
    int type, rc = 0, seen = 0;
    uint32_t n = 0, i;
    while (rc == 0 && (type = t_field(t, &id)) > 0) {
        if (id < 1 || id > 5 || (seen & (1 << id))) {
            rc = t_skip(t, type);
            continue;
        }
        if (id != 1 && id != 4 && !(seen & 2))
            return FERR(t->f, "%s: ColumnIndex field %d before null_pages", t_part(t), id);
        seen |= 1 << id;
        if (id == 4) {
            rc = t_i32(t, type, "boundary_order", &pi->boundary_order);
        } else if (id == 1) {
            rc = index_list(t, type, "null_pages", FLOE_THRIFT_BOOL_TRUE, &n, 1);
            if (rc == 0 && (pi->null_pages = xcalloc(n, 1)) == NULL)
                rc = FERR(t->f, "out of memory");
            for (i = 0; rc == 0 && i < n; i++) {
                int v = 0;
                rc = floe_thrift_read_elem_bool(&t->r, &v) < 0 ? t_fail(t) : 0;
                pi->null_pages[i] = (uint8_t)v;
            }
            pi->n_ci = n;
        } else if (id == 2 || id == 3) {
            struct pq_bytes **out = id == 2 ? &pi->min : &pi->max;
            rc = index_list(t, type, id == 2 ? "min_values" : "max_values", FLOE_THRIFT_BINARY, &n, 0);
            if (rc == 0 && (*out = xcalloc(n, sizeof **out)) == NULL)
                rc = FERR(t->f, "out of memory");
            for (i = 0; rc == 0 && i < n; i++)
                rc = floe_thrift_read_binary(&t->r, &(*out)[i].p, &(*out)[i].n) < 0 ? t_fail(t) : 0;
        } else {
            rc = index_list(t, type, "null_counts", FLOE_THRIFT_I64, &n, 0);
            if (rc == 0 && (pi->null_counts = xcalloc(n, sizeof *pi->null_counts)) == NULL)
                rc = FERR(t->f, "out of memory");
            for (i = 0; rc == 0 && i < n; i++)
                rc = floe_thrift_read_i64(&t->r, &pi->null_counts[i]) < 0 ? t_fail(t) : 0;
        }
    }
    if (rc == 0 && type < 0)
        rc = -1;
    if (rc == 0 && (seen & 0x1e) != 0x1e)
        rc = FERR(t->f, "%s: the ColumnIndex lacks a required field", t_part(t));
    return rc;
}

/* Reads the index at off+len and parses it with read(), as `part`. */
static int parse_index(const struct pq_file *f, struct tr *t, int64_t off, int32_t len, const char *part,
                       const char *where, int (*read)(struct tr *, struct pq_page_index *), uint8_t **bytes,
                       struct pq_page_index *pi)
{
    if (index_bytes(f, off, len, part, pi, bytes) != 0)
        return -1;
    floe_thrift_reader_init(&t->r, *bytes, (size_t)len);
    t->part = part;
    t->where = where;
    return read(t, pi) != 0 ? PERR(pi, "%s", t->f->err) : 0;
}

int pq_read_page_index(const struct pq_file *f, uint32_t rg, uint32_t col, struct pq_page_index *out)
{
    const struct pq_chunk *c;
    struct pq_file fake; /* t_* helpers report into a pq_file */
    struct tr t;
    memset(out, 0, sizeof *out);
    if (rg >= f->n_row_groups || col >= f->row_groups[rg].n_chunks)
        return PERR(out, "no column %lu in row group %lu", (unsigned long)col, (unsigned long)rg);
    c = &f->row_groups[rg].chunks[col];
    fake.err[0] = '\0';
    memset(&t, 0, sizeof t);
    t.f = &fake;
    t.budget = PQ_MAX_ELEMENTS;
    if (c->offset_index_offset >= 0 || c->offset_index_length >= 0) {
        if (parse_index(f, &t, c->offset_index_offset, c->offset_index_length, "offset index", "OffsetIndex",
                        read_offset_index, &out->oi_bytes, out) != 0)
            return -1;
        out->has_oi = 1;
    }
    if (c->column_index_offset >= 0 || c->column_index_length >= 0) {
        if (parse_index(f, &t, c->column_index_offset, c->column_index_length, "column index", "ColumnIndex",
                        read_column_index, &out->ci_bytes, out) != 0)
            return -1;
        out->has_ci = 1;
        if (out->has_oi && out->n_ci != out->n_loc)
            return PERR(out, "the column index has %lu pages, the offset index %lu", (unsigned long)out->n_ci,
                        (unsigned long)out->n_loc);
    }
    return 0;
}
