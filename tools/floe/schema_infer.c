/* floe schema infer [--rows N] FILE: a schema file (include/floe/schema.h)
 * inferred from the first N records of an NDJSON file (.ndjson, or zstd,
 * recognised by its magic number).
 *
 * Each line is checked with the library's strict validator, then walked
 * here. Nested objects become dotted paths; a field's type is widened over
 * the records:
 *   only true/false                          bool
 *   only integers (that fit int64)           int64 (never int32: a later
 *                                            record may not fit)
 *   integers and fractions, or fractions     double
 *   only RFC 3339 timestamps                 timestamp_us
 *   only YYYY-MM-DD dates                    date
 *   strings, or a mix of the three above     string
 *   only null (or missing)                   string, nullable
 *   arrays, mixed JSON types (a string and   json: the value's text, whole
 *   a number), an object in some records
 *   and not in others, only empty objects
 * Whatever no column can take is left out and "extra" is set, so it lands
 * in the _extra column: keys with a '.' or empty, paths too long or too
 * deep for a schema, and columns past the limit.
 * Every column is nullable: a later record that lacks a field the sample
 * always had would otherwise be a dead letter. With --required, a field
 * present and non-null in every record read is required instead. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#define DEFAULT_ROWS 1000u
#define MAX_LINE (16u << 20)
#define MAX_TOKENS (1u << 20)
#define MAX_DEPTH 64u
#define ZSTD_MAX_WINDOW_LOG 27u
#define IN_CHUNK (128u * 1024u)

enum kind {
    K_NULL = 1 << 0,
    K_BOOL = 1 << 1,
    K_INT = 1 << 2,
    K_FLOAT = 1 << 3,
    K_TS = 1 << 4,
    K_DATE = 1 << 5,
    K_STR = 1 << 6,
    K_OBJECT = 1 << 7,
    K_ARRAY = 1 << 8
};
#define K_STRINGS (K_TS | K_DATE | K_STR)
#define K_NUMBERS (K_INT | K_FLOAT)

enum bad {
    BAD_NONE = 0,
    BAD_KEY,   /* empty key or a key with '.' */
    BAD_PATH,  /* too long or too deep */
};

struct field {
    char *path;
    size_t len;
    unsigned kinds;
    uint64_t nonnull;   /* records where it is present and not null */
    uint64_t last_rec;  /* record (1-based) last counted non-null */
    uint64_t seen_rec;  /* record (1-based) last seen, for duplicate keys */
    uint32_t order;     /* first seen */
    int bad;
    int has_child;      /* an object with at least one member somewhere */
};

struct infer {
    struct field *f;
    size_t n, cap;
    uint32_t *slots;   /* index + 1, open addressing */
    size_t slot_mask;
    uint64_t rec;      /* records so far */
    uint64_t dup_rec;  /* records with a duplicate key (floe convert refuses them) */
    uint64_t dup_last; /* the last such record */
    char path[FLOE_SCHEMA_MAX_NAME * 2 + 8];
};

/* ---- the field table ----------------------------------------------------- */

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static int table_grow(struct infer *in)
{
    size_t cap = in->slots ? (in->slot_mask + 1) * 2 : 256, i;
    uint32_t *ns = calloc(cap, sizeof *ns);
    if (ns == NULL)
        return -1;
    for (i = 0; i < in->n; i++) {
        size_t at = (size_t)hash(in->f[i].path, in->f[i].len) & (cap - 1);
        while (ns[at] != 0)
            at = (at + 1) & (cap - 1);
        ns[at] = (uint32_t)i + 1;
    }
    free(in->slots);
    in->slots = ns;
    in->slot_mask = cap - 1;
    return 0;
}

static struct field *lookup(struct infer *in, const char *p, size_t n, int create)
{
    size_t at;
    struct field *f;
    if (in->slots == NULL && table_grow(in) != 0)
        return NULL;
    at = (size_t)hash(p, n) & in->slot_mask;
    while (in->slots[at] != 0) {
        f = &in->f[in->slots[at] - 1];
        if (f->len == n && memcmp(f->path, p, n) == 0)
            return f;
        at = (at + 1) & in->slot_mask;
    }
    if (!create)
        return NULL;
    if (in->n == in->cap) {
        size_t nc = in->cap ? in->cap * 2 : 64;
        struct field *nf = realloc(in->f, nc * sizeof *nf);
        if (nf == NULL)
            return NULL;
        in->f = nf;
        in->cap = nc;
    }
    f = &in->f[in->n];
    memset(f, 0, sizeof *f);
    f->path = malloc(n + 1);
    if (f->path == NULL)
        return NULL;
    memcpy(f->path, p, n);
    f->path[n] = '\0';
    f->len = n;
    f->order = (uint32_t)in->n;
    in->slots[at] = (uint32_t)in->n + 1;
    in->n++;
    if (in->n * 2 > in->slot_mask + 1 && table_grow(in) != 0)
        return NULL;
    return &in->f[in->n - 1];
}

/* ---- walking one validated JSON text -------------------------------------- */

struct text {
    const char *s;
    size_t n, pos;
};

static void ws(struct text *t)
{
    while (t->pos < t->n && (t->s[t->pos] == ' ' || t->s[t->pos] == '\t' || t->s[t->pos] == '\n' ||
                             t->s[t->pos] == '\r'))
        t->pos++;
}

/* The string at t->pos (its opening quote): [*b, *e) is its raw content. */
static void string_span(struct text *t, size_t *b, size_t *e, int *escaped)
{
    *escaped = 0;
    *b = ++t->pos;
    while (t->pos < t->n && t->s[t->pos] != '"') {
        if (t->s[t->pos] == '\\') {
            *escaped = 1;
            t->pos++;
        }
        t->pos++;
    }
    *e = t->pos < t->n ? t->pos : t->n;
    if (t->pos < t->n)
        t->pos++;
}

static int hex4(const char *s, unsigned *v)
{
    unsigned i, x = 0;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *v = x;
    return 0;
}

/* Unescapes a (validated) key into out (cap bytes); returns its length,
 * (size_t)-2 when it does not fit, (size_t)-1 when it holds a NUL. */
static size_t unescape_key(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned c = (uint8_t)s[i], cp;
        char u[4];
        size_t k = 0;
        if (c != '\\') {
            if (o >= cap)
                return (size_t)-2;
            out[o++] = (char)c;
            i++;
            continue;
        }
        if (i + 1 >= n)
            return (size_t)-1;
        c = (uint8_t)s[i + 1];
        i += 2;
        switch (c) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (i + 4 > n || hex4(s + i, &cp) != 0)
                return (size_t)-1;
            i += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
                unsigned lo;
                if (hex4(s + i + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            break;
        default: cp = c; break; /* \" \\ \/ */
        }
        if (cp == 0)
            return (size_t)-1;
        if (cp < 0x80) {
            u[k++] = (char)cp;
        } else if (cp < 0x800) {
            u[k++] = (char)(0xc0 | cp >> 6);
            u[k++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            u[k++] = (char)(0xe0 | cp >> 12);
            u[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
            u[k++] = (char)(0x80 | (cp & 0x3f));
        } else {
            u[k++] = (char)(0xf0 | cp >> 18);
            u[k++] = (char)(0x80 | (cp >> 12 & 0x3f));
            u[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
            u[k++] = (char)(0x80 | (cp & 0x3f));
        }
        if (o + k > cap)
            return (size_t)-2;
        memcpy(out + o, u, k);
        o += k;
    }
    return o;
}

/* Skips one value (validated JSON). */
static void skip_value(struct text *t)
{
    size_t depth = 0, b, e;
    int esc;
    ws(t);
    do {
        char c;
        if (t->pos >= t->n)
            return;
        c = t->s[t->pos];
        if (c == '"') {
            string_span(t, &b, &e, &esc);
        } else if (c == '{' || c == '[') {
            depth++;
            t->pos++;
        } else if (c == '}' || c == ']') {
            depth--;
            t->pos++;
        } else if (depth == 0) {
            /* a scalar at the top: up to the next delimiter */
            while (t->pos < t->n && strchr(",}] \t\r\n", t->s[t->pos]) == NULL)
                t->pos++;
            return;
        } else {
            t->pos++;
        }
    } while (depth > 0);
}

static unsigned scalar_kind(struct text *t)
{
    const char *s = t->s;
    size_t b, e, start = t->pos;
    int esc;
    char c = s[t->pos];
    if (c == '"') {
        int64_t us;
        int32_t days;
        string_span(t, &b, &e, &esc);
        /* floe's decoder takes timestamps and dates only unescaped */
        if (!esc && floe_utc_parse_rfc3339(s + b, e - b, &us) == FLOE_OK)
            return K_TS;
        if (!esc && floe_utc_parse_date(s + b, e - b, &days) == FLOE_OK)
            return K_DATE;
        return K_STR;
    }
    if (c == 't' || c == 'f') {
        t->pos += c == 't' ? 4 : 5;
        return K_BOOL;
    }
    if (c == 'n') {
        t->pos += 4;
        return K_NULL;
    }
    /* a number */
    while (t->pos < t->n && strchr("+-0123456789.eE", s[t->pos]) != NULL)
        t->pos++;
    if (memchr(s + start, '.', t->pos - start) == NULL && memchr(s + start, 'e', t->pos - start) == NULL &&
        memchr(s + start, 'E', t->pos - start) == NULL) {
        char num[32];
        size_t len = t->pos - start;
        char *end;
        if (len < sizeof num) {
            memcpy(num, s + start, len);
            num[len] = '\0';
            errno = 0;
            (void)strtoll(num, &end, 10);
            if (errno == 0 && *end == '\0')
                return K_INT;
        }
        return K_FLOAT; /* beyond int64: a double takes it */
    }
    return K_FLOAT;
}

/* Notes one value at path [0..plen) of in->path; walks into objects. */
static int walk_object(struct infer *in, struct text *t, size_t plen, unsigned depth);

static int note_value(struct infer *in, struct text *t, size_t parent_len, size_t plen, unsigned depth, int bad)
{
    struct field *f = lookup(in, in->path, plen, 1);
    unsigned k;
    char c;
    if (f == NULL)
        return -1;
    if (parent_len > 0) {
        struct field *parent = lookup(in, in->path, parent_len, 0);
        if (parent != NULL)
            parent->has_child = 1;
    }
    if (f->seen_rec == in->rec && in->dup_last != in->rec) {
        in->dup_last = in->rec;
        in->dup_rec++;
    }
    f->seen_rec = in->rec;
    if (bad && !f->bad)
        f->bad = bad;
    ws(t);
    c = t->pos < t->n ? t->s[t->pos] : 'n';
    if (c == '{')
        k = K_OBJECT;
    else if (c == '[')
        k = K_ARRAY;
    else
        k = 0;
    if (bad && k == 0) {
        f->kinds |= scalar_kind(t);
        return 0;
    }
    if (bad || k == K_ARRAY) {
        f->kinds |= k;
        skip_value(t);
        return 0;
    }
    if (k == K_OBJECT) {
        f->kinds |= K_OBJECT;
        return walk_object(in, t, plen, depth + 1);
    }
    k = scalar_kind(t);
    f->kinds |= k;
    if (k != K_NULL && f->last_rec != in->rec) {
        f->last_rec = in->rec;
        f->nonnull++;
    }
    return 0;
}

static int walk_object(struct infer *in, struct text *t, size_t plen, unsigned depth)
{
    ws(t);
    t->pos++; /* '{' */
    ws(t);
    if (t->pos < t->n && t->s[t->pos] == '}') {
        t->pos++;
        return 0;
    }
    while (t->pos < t->n) {
        size_t b, e, klen, nlen;
        int esc, bad = BAD_NONE;
        char key[FLOE_SCHEMA_MAX_NAME + 8];
        ws(t);
        string_span(t, &b, &e, &esc);
        klen = unescape_key(t->s + b, e - b, key, FLOE_SCHEMA_MAX_NAME);
        if (klen == (size_t)-2) {
            /* Too long for any path: reported under its first bytes and
             * "...", which no valid key has (keys with '.' are refused). */
            memcpy(key, t->s + b, 13);
            memcpy(key + 13, "...", 3);
            klen = 16;
            bad = BAD_PATH;
        } else if (klen == (size_t)-1 || klen == 0) {
            memcpy(key, "\"\"", 2); /* reported as "" */
            klen = 2;
            bad = BAD_KEY;
        } else if (memchr(key, '.', klen) != NULL) {
            /* Quoted, so it cannot meet the nested path it looks like. */
            memmove(key + 1, key, klen);
            key[0] = key[klen + 1] = '"';
            klen += 2;
            bad = BAD_KEY;
        }
        nlen = plen + (plen ? 1 : 0) + klen;
        if (!bad && (nlen > FLOE_SCHEMA_MAX_NAME || depth + 1 > FLOE_SCHEMA_MAX_PATH_DEPTH))
            bad = BAD_PATH;
        if (nlen >= sizeof in->path) {
            skip_value(t); /* cannot even name it; its parent is already too long */
        } else {
            if (plen)
                in->path[plen] = '.';
            memcpy(in->path + plen + (plen ? 1 : 0), key, klen);
            ws(t);
            t->pos++; /* ':' */
            if (note_value(in, t, plen, nlen, depth, bad) != 0)
                return -1;
        }
        ws(t);
        if (t->pos < t->n && t->s[t->pos] == ',') {
            t->pos++;
            continue;
        }
        if (t->pos < t->n)
            t->pos++; /* '}' */
        break;
    }
    return 0;
}

/* ---- reading lines ---------------------------------------------------------- */

struct src {
    FILE *f;
    int zstd, eof, zstd_open; /* zstd_open: inside a frame at the last call */
    ZSTD_DStream *ds;
    void *ws;
    uint8_t *in;
    size_t in_len, in_pos;
    uint8_t *out;
    size_t out_len, out_pos;
};

static int src_read_in(struct src *s)
{
    size_t n;
    if (s->in_pos < s->in_len)
        return 0;
    n = fread(s->in, 1, IN_CHUNK, s->f);
    s->in_len = n;
    s->in_pos = 0;
    if (n == 0) {
        s->eof = 1;
        return ferror(s->f) ? -1 : 0;
    }
    return 0;
}

/* Fills s->out with the next bytes; 0 and out_len 0 at the end; -1 error. */
static int src_fill(struct src *s, const char *name)
{
    s->out_pos = s->out_len = 0;
    while (s->out_len == 0) {
        if (src_read_in(s) != 0) {
            fprintf(stderr, "floe schema infer: reading %s: %s\n", name, strerror(errno));
            return -1;
        }
        if (s->eof && s->in_pos >= s->in_len) {
            if (s->zstd && s->zstd_open)
                fprintf(stderr, "floe schema infer: %s: the zstd input ends inside a frame\n", name);
            return 0;
        }
        if (!s->zstd) {
            memcpy(s->out, s->in + s->in_pos, s->in_len - s->in_pos);
            s->out_len = s->in_len - s->in_pos;
            s->in_pos = s->in_len;
        } else {
            ZSTD_inBuffer zi = {s->in, s->in_len, s->in_pos};
            ZSTD_outBuffer zo = {s->out, IN_CHUNK, 0};
            size_t r = ZSTD_decompressStream(s->ds, &zo, &zi);
            if (ZSTD_isError(r)) {
                fprintf(stderr, "floe schema infer: %s: zstd: %s\n", name, ZSTD_getErrorName(r));
                return -1;
            }
            s->zstd_open = r != 0;
            s->in_pos = zi.pos;
            s->out_len = zo.pos;
        }
    }
    return 0;
}

static int src_open(struct src *s, const char *path)
{
    static const uint8_t magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    memset(s, 0, sizeof *s);
    s->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (s->f == NULL) {
        fprintf(stderr, "floe schema infer: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    s->in = malloc(IN_CHUNK);
    s->out = malloc(IN_CHUNK);
    if (s->in == NULL || s->out == NULL)
        return -1;
    if (src_read_in(s) != 0) {
        fprintf(stderr, "floe schema infer: reading %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (s->in_len >= 4 && memcmp(s->in, magic, 4) == 0) {
        /* The library's zstd has no heap: a static stream, sized for the
         * first frame's window (and at least 8 MiB, for later frames). */
        size_t need = ZSTD_estimateDStreamSize_fromFrame(s->in, s->in_len);
        size_t floor = ZSTD_estimateDStreamSize((size_t)1 << 23);
        if (ZSTD_isError(need) || need > ZSTD_estimateDStreamSize((size_t)1 << ZSTD_MAX_WINDOW_LOG)) {
            fprintf(stderr, "floe schema infer: %s: %s\n", path,
                    ZSTD_isError(need) ? ZSTD_getErrorName(need) : "zstd window larger than 128 MiB");
            return -1;
        }
        if (need < floor)
            need = floor;
        s->ws = malloc(need);
        s->ds = s->ws != NULL ? ZSTD_initStaticDStream(s->ws, need) : NULL;
        if (s->ds == NULL) {
            fprintf(stderr, "floe schema infer: out of memory\n");
            return -1;
        }
        ZSTD_DCtx_setParameter(s->ds, ZSTD_d_windowLogMax, (int)ZSTD_MAX_WINDOW_LOG);
        s->zstd = 1;
    }
    return 0;
}

static void src_close(struct src *s)
{
    if (s->f != NULL && s->f != stdin)
        fclose(s->f);
    free(s->in);
    free(s->out);
    free(s->ws);
}

/* ---- output ---------------------------------------------------------------- */

/* Whether f's values are objects with members (nulls aside): then its
 * members are the columns, not f. */
static int is_container(const struct field *f)
{
    return (f->kinds & ~(unsigned)K_NULL) == K_OBJECT && f->has_child;
}

static const char *type_of(unsigned k)
{
    k &= ~(unsigned)K_NULL;
    if (k == 0)
        return "string"; /* only nulls: nothing better to go on */
    if (k == K_BOOL)
        return "bool";
    if (k == K_INT)
        return "int64";
    if ((k & ~(unsigned)K_NUMBERS) == 0)
        return "double";
    if (k == K_TS)
        return "timestamp_us";
    if (k == K_DATE)
        return "date";
    if ((k & ~(unsigned)K_STRINGS) == 0)
        return "string";
    return "json"; /* arrays, objects only sometimes, mixed JSON types */
}

/* Said of a field inside another's json column: it gets no column of its
 * own, and is not in _extra either. */
static const char inside_json[] = "inside a json column";

/* Why a field gets no column, or NULL. Ancestors count: a path inside a
 * dropped object is dropped with it, and one inside a json column is in
 * that column. */
static const char *why_dropped(struct infer *in, const struct field *f)
{
    size_t i;
    for (i = 0; i < f->len; i++) {
        if (f->path[i] == '.') {
            const struct field *a = lookup(in, f->path, i, 0);
            if (a != NULL && a->bad)
                return "inside an unmappable key";
            if (a != NULL && !is_container(a))
                return inside_json;
        }
    }
    if (f->bad == BAD_KEY)
        return "key empty or with a '.'";
    if (f->bad == BAD_PATH)
        return "path too long or too deep for a schema";
    return NULL;
}

static void kinds_text(unsigned k, char *buf, size_t cap)
{
    static const char *const names[] = {"null", "bool", "int", "float", "timestamp", "date", "string", "object",
                                        "array"};
    size_t i, len = 0;
    buf[0] = '\0';
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (k & (1u << i))
            len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? "," : "", names[i]);
}

static void schema_usage(FILE *f)
{
    fprintf(f,
            "usage: floe schema infer [--rows N] [--required] FILE\n"
            "  Reads the first N records (default %u) of FILE (.ndjson, zstd-compressed or\n"
            "  not; - for standard input) and prints a schema for floe convert --schema.\n"
            "  Nested objects become dotted paths (\"tags.site\"). Types widen over the\n"
            "  records: bool; int64; double (any fraction); timestamp_us (RFC 3339\n"
            "  strings); date (YYYY-MM-DD); string (other strings, or mixed strings);\n"
            "  json (arrays, mixed JSON types, objects only in some records: the value's\n"
            "  text, whole).\n"
            "  Every column is nullable (a later record may lack a field the sample always\n"
            "  had); with --required, a field present and non-null in every record read\n"
            "  is required, and a record without it becomes a dead letter. Unmappable\n"
            "  keys get no column: \"extra\" is then on and they land in _extra (listed\n"
            "  on standard error).\n",
            DEFAULT_ROWS);
}

static int cmp_order(const void *a, const void *b)
{
    const struct field *x = *(const struct field *const *)a, *y = *(const struct field *const *)b;
    return x->order < y->order ? -1 : x->order > y->order;
}

int cmd_schema(int argc, char **argv)
{
    static struct infer in;
    struct src s = {0}; /* closed on every path, even before src_open */
    const char *path = NULL;
    uint64_t rows = DEFAULT_ROWS, lines = 0, bad_json = 0, not_object = 0, too_long = 0;
    char *line = NULL, *text = NULL, why[256];
    size_t line_len = 0, line_cap = 0, work_size, text_len = 0, i, n_cols = 0;
    void *work;
    int extra = 0, rc = EXIT_OK, overlong = 0, required = 0;
    struct field **order;
    FILE *mem;

    if (argc < 2 || strcmp(argv[1], "infer") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            schema_usage(stdout);
            return EXIT_OK;
        }
        schema_usage(stderr);
        return EXIT_USAGE;
    }
    for (i = 2; i < (size_t)argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            schema_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--rows") == 0 || strncmp(a, "--rows=", 7) == 0) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < (size_t)argc ? argv[++i] : NULL);
            char *end;
            if (v == NULL || v[0] < '0' || v[0] > '9') {
                fprintf(stderr, "floe schema infer: --rows needs a positive count\n");
                return EXIT_USAGE;
            }
            errno = 0;
            rows = strtoull(v, &end, 10);
            if (*end != '\0' || errno != 0 || rows == 0) {
                fprintf(stderr, "floe schema infer: --rows %s: want a positive count\n", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--required") == 0) {
            required = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "floe schema infer: unknown option %s\n", a);
            return EXIT_USAGE;
        } else if (path != NULL) {
            fprintf(stderr, "floe schema infer: one file at a time\n");
            return EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (path == NULL) {
        schema_usage(stderr);
        return EXIT_USAGE;
    }
    work_size = floe_json_validate_work(MAX_TOKENS, MAX_DEPTH);
    work = malloc(work_size);
    if (work == NULL || src_open(&s, path) != 0) {
        free(work);
        src_close(&s);
        return EXIT_BAD_INPUT;
    }

    /* Lines, as the bytes come; a record per non-blank line. */
    while (in.rec < rows) {
        int at_end = 0;
        size_t start, j;
        if (s.out_pos >= s.out_len) {
            if (src_fill(&s, path) != 0) {
                rc = EXIT_BAD_INPUT;
                break;
            }
            at_end = s.out_len == 0;
        }
        start = s.out_pos;
        for (j = start; j < s.out_len && s.out[j] != '\n'; j++)
            ;
        if (!overlong) {
            size_t add = j - start;
            if (line_len + add > MAX_LINE) {
                overlong = 1;
            } else {
                if (line_len + add + 1 > line_cap) {
                    size_t nc = line_cap ? line_cap : 4096;
                    char *nl;
                    while (nc < line_len + add + 1)
                        nc *= 2;
                    nl = realloc(line, nc);
                    if (nl == NULL) {
                        rc = EXIT_BAD_INPUT;
                        break;
                    }
                    line = nl;
                    line_cap = nc;
                }
                memcpy(line + line_len, s.out + start, add);
                line_len += add;
            }
        }
        s.out_pos = j < s.out_len ? j + 1 : j;
        if (j >= s.out_len && !at_end)
            continue; /* the line goes on in the next bytes */
        /* a whole line (or the last one) */
        if (overlong) {
            too_long++;
        } else {
            size_t n = line_len;
            while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
                n--;
            if (n > 0) {
                const char *w = NULL;
                size_t where = 0;
                lines++;
                if (floe_json_validate_text(line, n, work, work_size, MAX_TOKENS, MAX_DEPTH, &w, &where) != FLOE_OK) {
                    bad_json++;
                } else {
                    struct text t = {line, n, 0};
                    ws(&t);
                    if (t.s[t.pos] != '{') {
                        not_object++;
                    } else {
                        in.rec++;
                        if (walk_object(&in, &t, 0, 0) != 0) {
                            fprintf(stderr, "floe schema infer: out of memory\n");
                            rc = EXIT_BAD_INPUT;
                            break;
                        }
                    }
                }
            }
        }
        line_len = 0;
        overlong = 0;
        if (at_end)
            break;
    }
    src_close(&s);
    free(work);
    free(line);
    if (rc != EXIT_OK)
        return rc;
    if (bad_json || not_object || too_long)
        fprintf(stderr, "floe schema infer: skipped %llu lines that are not JSON, %llu not objects, %llu longer than %u MiB\n",
                (unsigned long long)bad_json, (unsigned long long)not_object, (unsigned long long)too_long,
                MAX_LINE >> 20);
    if (in.dup_rec)
        fprintf(stderr, "floe schema infer: %llu records have a key twice: floe convert takes them as dead letters\n",
                (unsigned long long)in.dup_rec);
    if (in.rec == 0) {
        fprintf(stderr, "floe schema infer: %s: no JSON object records\n", path);
        return EXIT_BAD_INPUT;
    }

    /* Columns in first-seen order. */
    order = calloc(in.n ? in.n : 1, sizeof *order);
    if (order == NULL)
        return EXIT_BAD_INPUT;
    for (i = 0; i < in.n; i++)
        order[i] = &in.f[i];
    qsort(order, in.n, sizeof *order, cmp_order);
    mem = open_memstream(&text, &text_len);
    if (mem == NULL)
        return EXIT_BAD_INPUT;
    fputs("{\"columns\": [", mem);
    for (i = 0; i < in.n; i++) {
        struct field *f = order[i];
        const char *why_not = why_dropped(&in, f), *type;
        char kt[96];
        if ((why_not == NULL && is_container(f)) || why_not == inside_json)
            continue; /* an object: its members are the columns; or in one */
        if (why_not == NULL && n_cols >= FLOE_SCHEMA_MAX_COLUMNS - 1)
            why_not = "more columns than a schema takes";
        if (why_not == NULL && strcmp(f->path, FLOE_EXTRA_COLUMN_NAME) == 0)
            why_not = "the name _extra is reserved";
        if (why_not != NULL) {
            /* Report each dropped subtree once, at its top. */
            const char *dot = strrchr(f->path, '.');
            struct field *parent = dot ? lookup(&in, f->path, (size_t)(dot - f->path), 0) : NULL;
            if (parent == NULL || why_dropped(&in, parent) == NULL) {
                kinds_text(f->kinds, kt, sizeof kt);
                fprintf(stderr, "floe schema infer: %s (%s): %s: left to _extra\n", f->path, kt, why_not);
            }
            extra = 1;
            continue;
        }
        type = type_of(f->kinds);
        fprintf(mem, "%s\n  {\"name\": ", n_cols ? "," : "");
        cli_json_string(mem, f->path, f->len);
        fprintf(mem, ", \"type\": \"%s\"", type);
        if (memchr(f->path, '.', f->len) != NULL) {
            fputs(", \"path\": ", mem);
            cli_json_string(mem, f->path, f->len);
        }
        fprintf(mem, ", \"nullable\": %s}", required && f->nonnull == in.rec ? "false" : "true");
        n_cols++;
    }
    fprintf(mem, "\n], \"extra\": %s}\n", extra ? "true" : "false");
    fclose(mem);
    free(order);
    if (n_cols == 0) {
        fprintf(stderr, "floe schema infer: %s: no field could become a column\n", path);
        free(text);
        return EXIT_BAD_INPUT;
    }
    {
        /* What we print must be what floe convert reads. */
        static uint64_t arena_mem[(256u * 1024u) / 8];
        struct floe_arena a;
        struct floe_schema sc;
        floe_arena_init(&a, arena_mem, sizeof arena_mem);
        if (floe_schema_parse(text, text_len, &a, &sc, why, sizeof why) != FLOE_OK) {
            fprintf(stderr, "floe schema infer: internal error: the inferred schema does not parse: %s\n", why);
            free(text);
            return EXIT_BAD_INPUT;
        }
    }
    fputs(text, stdout);
    fprintf(stderr, "floe schema infer: %llu records, %zu columns%s\n", (unsigned long long)in.rec, n_cols,
            extra ? ", extra on" : "");
    free(text);
    for (i = 0; i < in.n; i++)
        free(in.f[i].path);
    free(in.f);
    free(in.slots);
    memset(&in, 0, sizeof in);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_BAD_INPUT;
}
