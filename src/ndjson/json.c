#include "ndjson/json.h"
#include "floe/ndjson.h"
#include "core/internal.h"
#include "floe/arena.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/* jsmn, built into this translation unit only: static, strict mode (only
 * true/false/null/numbers as primitives), with parent links so closing a
 * bracket does not rescan the token array. */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#endif
#include "jsmn.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

struct frame {
    uint32_t tok;   /* index of the open container */
    uint32_t items; /* children seen so far (keys and values for objects) */
    uint32_t end;   /* the container's end offset (kept here: no dependent load) */
    uint32_t is_object;
};

static int carve(struct floe_arena *a, struct floe_json_parser *p, uint32_t max_tokens,
                 uint32_t max_depth)
{
    void *jt, *tt, *st, *nt;
    /* Not zeroed: every entry is written before it is read (jsmn fills a
     * token as it allocates it, a number's digits are read only when its
     * token says they were kept), so a line touches only the tokens it uses
     * and untouched memory costs no RSS. */
    FLOE_TRY(floe_arena_take_raw(a, floe_size_mul(max_tokens, sizeof(jsmntok_t)), 8, &jt));
    FLOE_TRY(floe_arena_take_raw(a, floe_size_mul(max_tokens, sizeof(struct floe_json_tok)), 8, &tt));
    FLOE_TRY(floe_arena_take_raw(a, floe_size_mul(max_tokens, sizeof(uint64_t)), 8, &nt));
    FLOE_TRY(floe_arena_take_raw(a, floe_size_mul(max_depth, sizeof(struct frame)), 8, &st));
    if (p != NULL) {
        p->jsmn_tokens = jt;
        p->tokens = (struct floe_json_tok *)tt;
        p->nums = (uint64_t *)nt;
        p->stack = (uint32_t *)st;
    }
    return FLOE_OK;
}

size_t floe_json_parser_work(uint32_t max_tokens, uint32_t max_depth)
{
    struct floe_arena a;
    floe_arena_init_counting(&a);
    if (carve(&a, NULL, max_tokens, max_depth) != FLOE_OK)
        return 0;
    return a.used + FLOE_ARENA_ALIGN; /* slack for a misaligned work buffer */
}

int floe_json_parser_init(struct floe_json_parser *p, void *work, size_t work_size,
                          uint32_t max_tokens, uint32_t max_depth)
{
    struct floe_arena a;
    FLOE_FAIL_IF(p == NULL || work == NULL || max_tokens == 0 || max_depth == 0, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(max_tokens > 0x7fffffffu, FLOE_ERR_INVAL);
    floe_memset(p, 0, sizeof *p);
    FLOE_TRY(floe_arena_init(&a, work, work_size));
    FLOE_TRY(carve(&a, p, max_tokens, max_depth));
    p->max_tokens = max_tokens;
    p->max_depth = max_depth;
    return FLOE_OK;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int fault(struct floe_json_parser *p, int kind, const char *why, size_t where)
{
    p->why = why;
    p->where = (uint32_t)where;
    return kind;
}

/* The bytes between two tokens: whitespace, then optionally the separator
 * sep, then whitespace, ending exactly at `to`. */
static int check_gap(const char *s, size_t from, size_t to, char sep)
{
    while (from < to && is_ws(s[from]))
        from++;
    if (sep != 0) {
        if (from >= to || s[from] != sep)
            return 0;
        from++;
        while (from < to && is_ws(s[from]))
            from++;
    }
    return from == to;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* Checks a string token's bytes; sets FLOE_JSON_ESCAPED in *flags. */
/* Nonzero when any byte of w is < 0x20, >= 0x80 or a backslash: the bytes
 * a plain ASCII string run never has (eight at a time). */
static uint64_t special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t ctrl = (w - ones * 0x20u) & ~w;       /* high bit set where byte < 0x20 (or >= 0x80 with ~w clear) */
    uint64_t bs = w ^ (ones * 0x5cu);
    uint64_t bsz = (bs - ones) & ~bs;              /* high bit set where byte == '\\' */
    return (ctrl | bsz | w) & highs;
}

static int check_string(struct floe_json_parser *p, const char *s, size_t start, size_t end,
                        uint8_t *flags)
{
    size_t i = start;
    while (i < end) {
        uint8_t c;
        if (end - i >= 8) {
            uint64_t w;
            floe_memcpy(&w, s + i, 8);
            if (special_bytes(w) == 0) {
                i += 8;
                continue;
            }
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        else if (end >= 8) {
            /* A short tail: the 8 bytes ending at the closing quote, with
             * the bytes before i shifted out (little-endian order). */
            uint64_t w;
            floe_memcpy(&w, s + end - 8, 8);
            if ((special_bytes(w) >> (8u * (8u - (unsigned)(end - i)))) == 0)
                break;
        }
#endif
        c = (uint8_t)s[i];
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            i++;
            continue;
        }
        if (c < 0x20) /* valid UTF-8, but not JSON */
            return fault(p, FLOE_JSON_SYNTAX, "control character in string (must be escaped)", i);
        if (c >= 0x80) {
            size_t len = floe_utf8_seq((const uint8_t *)s + i, end - i);
            if (len == 0)
                return fault(p, FLOE_JSON_UTF8, "invalid UTF-8 in string", i);
            i += len;
            continue;
        }
        /* backslash */
        *flags |= FLOE_JSON_ESCAPED;
        if (i + 1 >= end)
            return fault(p, FLOE_JSON_SYNTAX, "unterminated escape", i);
        switch (s[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u': {
            uint32_t cp, lo;
            if (end - i < 6 || !hex4(s + i + 2, &cp))
                return fault(p, FLOE_JSON_SYNTAX, "bad \\u escape", i);
            i += 6;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fault(p, FLOE_JSON_UTF8, "lone low surrogate escape", i - 6);
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (end - i < 6 || s[i] != '\\' || s[i + 1] != 'u' || !hex4(s + i + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return fault(p, FLOE_JSON_UTF8, "lone high surrogate escape", i - 6);
                i += 6;
            }
            break;
        }
        default:
            return fault(p, FLOE_JSON_SYNTAX, "invalid escape in string", i);
        }
    }
    return FLOE_JSON_OK;
}

#define DIGIT(c) ((unsigned)(unsigned char)(c) - '0' <= 9u)

/* RFC 8259 number grammar over all of s[0..n); sets FLOE_JSON_INTEGER, and
 * for a short decimal FLOE_JSON_SHORT with its digits in *m and *frac. */
static int check_number(const char *s, size_t n, uint8_t *flags, uint8_t *frac, uint64_t *m)
{
    size_t i = 0, int_digits, frac_digits = 0;
    uint64_t v = 0; /* wraps past 19 digits, unused then */
    int integer = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && DIGIT(s[i]))
            v = v * 10u + (uint64_t)(s[i++] - '0');
    } else {
        return 0;
    }
    int_digits = i - (s[0] == '-');
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        integer = 0;
        while (i < n && DIGIT(s[i]))
            v = v * 10u + (uint64_t)(s[i++] - '0');
        if (i == d)
            return 0;
        frac_digits = i - d;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t d;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        d = i;
        while (i < n && DIGIT(s[i]))
            i++;
        if (i == d)
            return 0;
        return i == n; /* not INTEGER, not SHORT */
    }
    if (i != n)
        return 0;
    if (integer)
        *flags |= FLOE_JSON_INTEGER;
    if (int_digits + frac_digits <= 19) {
        *flags |= FLOE_JSON_SHORT;
        *frac = (uint8_t)frac_digits;
        *m = v;
    }
    return 1;
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int classify_primitive(const char *s, size_t n, struct floe_json_tok *t, uint64_t *num)
{
    /* The first byte decides; literals compare whole, without a libc call. */
    switch (s[0]) {
    case 't':
        if (n == 4 && s[1] == 'r' && s[2] == 'u' && s[3] == 'e') {
            t->type = FLOE_JSON_TRUE;
            return 1;
        }
        return 0;
    case 'f':
        if (n == 5 && s[1] == 'a' && s[2] == 'l' && s[3] == 's' && s[4] == 'e') {
            t->type = FLOE_JSON_FALSE;
            return 1;
        }
        return 0;
    case 'n':
        if (n == 4 && s[1] == 'u' && s[2] == 'l' && s[3] == 'l') {
            t->type = FLOE_JSON_NULL;
            return 1;
        }
        return 0;
    default:
        t->type = FLOE_JSON_NUMBER;
        return check_number(s, n, &t->flags, &t->frac, num);
    }
}

/* jsmn in strict mode wants a delimiter after every primitive, so a text
 * that is one bare number or literal ends "partial": check it here. */
static int parse_lone_primitive(struct floe_json_parser *p, const char *s, size_t n)
{
    size_t a = 0, b = n;
    struct floe_json_tok *t = &p->tokens[0];
    while (a < b && is_ws(s[a]))
        a++;
    while (b > a && is_ws(s[b - 1]))
        b--;
    t->flags = 0;
    if (a == b || !classify_primitive(s + a, b - a, t, &p->nums[0]))
        return FLOE_JSON_SYNTAX;
    t->start = (uint32_t)a;
    t->end = (uint32_t)b;
    t->next = 1;
    p->n_tokens = 1;
    return FLOE_JSON_OK;
}

/* Nonzero when s[0..n) has a control character, a non-ASCII byte or a
 * backslash anywhere: without them every string token is valid as jsmn
 * found it (no escapes, nothing to check), so one branch-free pass over the
 * line replaces a check per string. */
static int needs_string_checks(const char *s, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
#if defined(__SSE2__) || (defined(__aarch64__) && defined(__ARM_NEON))
    if (n >= 16) {
        /* 16 bytes at a time; the last block overlaps the one before. */
#if defined(__SSE2__)
        const __m128i ctl = _mm_set1_epi8(0x20), bs = _mm_set1_epi8('\\');
        __m128i bad = _mm_setzero_si128(), v;
        for (; n - i > 16; i += 16) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            /* signed: bytes >= 0x80 are negative, so "< 0x20" takes them too */
            bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmplt_epi8(v, ctl), _mm_cmpeq_epi8(v, bs)));
        }
        v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmplt_epi8(v, ctl), _mm_cmpeq_epi8(v, bs)));
        return _mm_movemask_epi8(bad) != 0;
#else
        const int8x16_t ctl = vdupq_n_s8(0x20);
        const uint8x16_t bs = vdupq_n_u8('\\');
        uint8x16_t bad = vdupq_n_u8(0), v;
        for (; n - i > 16; i += 16) {
            v = vld1q_u8((const uint8_t *)s + i);
            bad = vorrq_u8(bad, vorrq_u8(vcltq_s8(vreinterpretq_s8_u8(v), ctl), vceqq_u8(v, bs)));
        }
        v = vld1q_u8((const uint8_t *)s + n - 16);
        bad = vorrq_u8(bad, vorrq_u8(vcltq_s8(vreinterpretq_s8_u8(v), ctl), vceqq_u8(v, bs)));
        return vmaxvq_u8(bad) != 0;
#endif
    }
#endif
    for (; n - i >= 16; i += 16) {
        uint64_t a, b;
        floe_memcpy(&a, s + i, 8);
        floe_memcpy(&b, s + i + 8, 8);
        acc |= special_bytes(a) | special_bytes(b);
    }
    if (n - i >= 8) {
        uint64_t a;
        floe_memcpy(&a, s + i, 8);
        acc |= special_bytes(a);
        i += 8;
    }
    for (; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c < 0x20 || c >= 0x80 || c == '\\')
            return 1;
    }
    return acc != 0;
}

/* Whether token i lies past a container ending at offset end. A string's
 * start is one past its quote, but a token inside the container begins
 * before the closing bracket at end - 1, so comparing starts is exact. */
#define PAST(i, end) ((i) == nt || (uint32_t)jt[i].start >= (end))

/* The gap s[pos..tstart) before a token must be whitespace around the
 * separator sep (0: none). Compact text has exactly the separator: that is
 * checked inline, check_gap does the rest. */
#define GAP_OK(pos, tstart, sep)                                                                   \
    ((sep) == 0 ? (tstart) == (pos) : ((tstart) == (pos) + 1u && s[pos] == (sep)))

static int gap_fault(struct floe_json_parser *p, char sep, size_t pos)
{
    return fault(p, FLOE_JSON_SYNTAX,
                 sep == ':' ? "expected ':'" : sep == ',' ? "expected ','" : "unexpected character", pos);
}

/* validate for the usual line: compact (exactly the separator between
 * tokens, nothing around the value) and with no string that needs checking
 * (the caller knows). It makes no calls, so its loop keeps its state in
 * registers; anything else (whitespace, a fault, the depth limit) returns -1
 * and validate, which handles every case and says what is wrong, runs
 * instead. What this accepts, validate accepts, with the same tokens. */
static int validate_compact(struct floe_json_parser *p, const char *s, size_t n, uint32_t nt)
{
    const jsmntok_t *jt = (const jsmntok_t *)p->jsmn_tokens;
    struct floe_json_tok *out = p->tokens;
    struct frame *stack = (struct frame *)(void *)p->stack;
    uint32_t depth = 0, i = 0, cur_end = 0, cur_obj = 0, cur_first = 0, max_depth = p->max_depth;
    size_t pos = 0; /* where the next token's text must begin */
    const jsmntok_t *t;

    /* The value: an object or array at the very start (anything else, the
     * general walk). */
    if (jt[0].type != JSMN_OBJECT && jt[0].type != JSMN_ARRAY)
        return -1;
    for (;;) {
        t = &jt[i];
        out[i].start = (uint32_t)t->start;
        out[i].end = (uint32_t)t->end;
        out[i].next = i + 1;
        out[i].flags = 0;
        if (t->type == JSMN_STRING) {
            if ((size_t)t->start != pos + 1u)
                return -1;
            out[i].type = FLOE_JSON_STRING;
            pos = (size_t)t->end + 1u;
        } else if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
            if ((size_t)t->start != pos || depth == max_depth)
                return -1;
            out[i].type = t->type == JSMN_OBJECT ? FLOE_JSON_OBJECT : FLOE_JSON_ARRAY;
            if (depth > 0)
                stack[depth - 1].items = cur_first;
            cur_end = (uint32_t)t->end;
            cur_obj = t->type == JSMN_OBJECT;
            cur_first = 1;
            stack[depth].tok = i;
            stack[depth].end = cur_end;
            stack[depth].is_object = cur_obj;
            depth++;
            pos = (size_t)t->start + 1u;
        } else {
            if ((size_t)t->start != pos ||
                !classify_primitive(s + t->start, (size_t)(t->end - t->start), &out[i], &p->nums[i]))
                return -1;
            pos = (size_t)t->end;
        }
        i++;

        /* Close what ends here: the bracket right after the last value. */
        while (PAST(i, cur_end)) {
            if (pos != cur_end - 1u)
                return -1;
            pos = cur_end;
            out[stack[depth - 1].tok].next = i;
            if (--depth == 0)
                return i == nt && pos == n ? FLOE_JSON_OK : -1;
            cur_end = stack[depth - 1].end;
            cur_obj = stack[depth - 1].is_object;
            cur_first = stack[depth - 1].items;
        }

        /* The separators before the next value: ',' unless first, then in
         * an object a key and ':'. */
        if (!cur_first) {
            if (s[pos] != ',')
                return -1;
            pos++;
        }
        cur_first = 0;
        if (cur_obj) {
            t = &jt[i];
            if (t->type != JSMN_STRING || (size_t)t->start != pos + 1u)
                return -1;
            out[i].start = (uint32_t)t->start;
            out[i].end = (uint32_t)t->end;
            out[i].next = i + 1;
            out[i].type = FLOE_JSON_STRING;
            out[i].flags = 0;
            pos = (size_t)t->end + 1u;
            i++;
            /* (a token past the object cannot begin right after the ':') */
            if (i == nt || s[pos] != ':')
                return -1;
            pos++;
        }
    }
}

/* The checks jsmn does not make, over its nt tokens of s[0..n): the
 * separators and whitespace between tokens, keys being strings, one value in
 * all, string contents, literals and numbers. Objects and arrays have loops
 * of their own, so the separator each token needs is known from where the
 * code is; open containers are on an explicit bounded stack. */
#if defined(__GNUC__)
__attribute__((noinline)) /* not into jsmn's loop: each loop gets the registers */
#endif
static int validate(struct floe_json_parser *p, const char *s, size_t n, uint32_t nt, int check_strings)
{
    const jsmntok_t *jt = (const jsmntok_t *)p->jsmn_tokens;
    struct floe_json_tok *out = p->tokens;
    struct frame *stack = (struct frame *)(void *)p->stack;
    /* The innermost open container: its end offset, kind, and whether it
     * has a child yet (stack[depth - 1] has its token index too). */
    uint32_t depth = 0, i = 0, cur_end = 0, cur_obj = 0, cur_first = 0;
    size_t pos = 0, tstart;
    const jsmntok_t *t;
    char sep;

    for (;;) {
        /* ---- the next value: i is its token, the gap before it needs sep */
        if (depth == 0) {
            if (i > 0) /* the top value is complete */
                break;
            sep = 0;
        } else if (cur_obj) {
            /* a key, then its value */
            t = &jt[i];
            if (t->type != JSMN_STRING)
                return fault(p, FLOE_JSON_SYNTAX, "object key must be a string", (size_t)t->start);
            tstart = (size_t)t->start - 1u;
            sep = cur_first ? 0 : ',';
            if (!GAP_OK(pos, tstart, sep) && !check_gap(s, pos, tstart, sep))
                return gap_fault(p, sep, pos);
            cur_first = 0;
            out[i].start = (uint32_t)t->start;
            out[i].end = (uint32_t)t->end;
            out[i].next = i + 1;
            out[i].type = FLOE_JSON_STRING;
            out[i].flags = 0;
            if (check_strings) {
                int bad = check_string(p, s, (size_t)t->start, (size_t)t->end, &out[i].flags);
                if (bad != FLOE_JSON_OK)
                    return bad;
            }
            pos = (size_t)t->end + 1;
            i++;
            if (PAST(i, cur_end))
                return fault(p, FLOE_JSON_SYNTAX, "object key without a value", pos);
            sep = ':';
        } else {
            sep = cur_first ? 0 : ',';
            cur_first = 0;
        }

        t = &jt[i];
        tstart = (size_t)t->start - (t->type == JSMN_STRING ? 1u : 0u);
        if (!GAP_OK(pos, tstart, sep) && !check_gap(s, pos, tstart, sep))
            return gap_fault(p, sep, pos);
        out[i].start = (uint32_t)t->start;
        out[i].end = (uint32_t)t->end;
        out[i].next = i + 1;
        out[i].flags = 0;
        if (t->type == JSMN_STRING) {
            out[i].type = FLOE_JSON_STRING;
            if (check_strings) {
                int bad = check_string(p, s, (size_t)t->start, (size_t)t->end, &out[i].flags);
                if (bad != FLOE_JSON_OK)
                    return bad;
            }
            pos = (size_t)t->end + 1;
            i++;
        } else if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
            if (depth == p->max_depth)
                return fault(p, FLOE_JSON_DEPTH, "nesting too deep", tstart);
            out[i].type = t->type == JSMN_OBJECT ? FLOE_JSON_OBJECT : FLOE_JSON_ARRAY;
            if (depth > 0)
                stack[depth - 1].items = cur_first;
            cur_end = (uint32_t)t->end;
            cur_obj = t->type == JSMN_OBJECT;
            cur_first = 1;
            stack[depth].tok = i;
            stack[depth].end = cur_end;
            stack[depth].is_object = cur_obj;
            depth++;
            pos = (size_t)t->start + 1;
            i++;
        } else {
            if (!classify_primitive(s + t->start, (size_t)(t->end - t->start), &out[i], &p->nums[i]))
                return fault(p, FLOE_JSON_SYNTAX, "invalid literal or number", tstart);
            pos = (size_t)t->end;
            i++;
        }

        /* ---- close every container that ends before token i */
        while (depth > 0 && PAST(i, cur_end)) {
            if (pos != cur_end - 1u && !check_gap(s, pos, cur_end - 1u, 0))
                return fault(p, FLOE_JSON_SYNTAX, "expected ',' or closing bracket", pos);
            pos = cur_end;
            out[stack[depth - 1].tok].next = i;
            if (--depth > 0) {
                cur_end = stack[depth - 1].end;
                cur_obj = stack[depth - 1].is_object;
                cur_first = stack[depth - 1].items;
            }
        }
    }
    if (i < nt)
        return fault(p, FLOE_JSON_SYNTAX, "more than one value",
                     (size_t)jt[i].start - (jt[i].type == JSMN_STRING ? 1u : 0u));
    if (pos != n && !check_gap(s, pos, n, 0))
        return fault(p, FLOE_JSON_SYNTAX, "unexpected text after the value", pos);
    return FLOE_JSON_OK;
}

int floe_json_parse(struct floe_json_parser *p, const char *s, size_t n)
{
    jsmn_parser jp;
    uint32_t nt;
    int r, check_strings;

    p->n_tokens = 0;
    p->why = NULL;
    p->where = 0;
    if (n > 0x7fffffffu)
        return fault(p, FLOE_JSON_TOKENS, "text too long", 0);
    jsmn_init(&jp);
    r = jsmn_parse(&jp, s, n, (jsmntok_t *)p->jsmn_tokens, p->max_tokens);
    if (r == JSMN_ERROR_NOMEM)
        return fault(p, FLOE_JSON_TOKENS, "too many values (token limit)", jp.pos);
    if (r == JSMN_ERROR_PART && parse_lone_primitive(p, s, n) == FLOE_JSON_OK)
        return FLOE_JSON_OK;
    if (r == JSMN_ERROR_PART)
        return fault(p, FLOE_JSON_SYNTAX, "unexpected end of text", jp.pos);
    if (r < 0)
        return fault(p, FLOE_JSON_SYNTAX, "unexpected character", jp.pos);
    if (r == 0)
        return fault(p, FLOE_JSON_SYNTAX, "no value", jp.pos);
    nt = (uint32_t)r;
    check_strings = needs_string_checks(s, n);
    if (!check_strings && validate_compact(p, s, n, nt) == FLOE_JSON_OK) {
        p->n_tokens = nt;
        return FLOE_JSON_OK;
    }
    r = validate(p, s, n, nt, check_strings);
    if (r == FLOE_JSON_OK)
        p->n_tokens = nt;
    return r;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t floe_json_unescape(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        char c = s[i];
        uint32_t cp, lo;
        if (c != '\\') {
            out[o++] = c;
            i++;
            continue;
        }
        if (i + 1 >= n)
            break;
        switch (s[i + 1]) {
        case 'b': out[o++] = '\b'; i += 2; break;
        case 'f': out[o++] = '\f'; i += 2; break;
        case 'n': out[o++] = '\n'; i += 2; break;
        case 'r': out[o++] = '\r'; i += 2; break;
        case 't': out[o++] = '\t'; i += 2; break;
        case 'u':
            if (n - i < 6 || !hex4(s + i + 2, &cp))
                return o;
            i += 6;
            if (cp >= 0xd800 && cp <= 0xdbff && n - i >= 6 && s[i] == '\\' && s[i + 1] == 'u' &&
                hex4(s + i + 2, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            }
            o += put_utf8(out + o, cp);
            break;
        default: /* '"', '\\', '/' */
            out[o++] = s[i + 1];
            i += 2;
            break;
        }
    }
    return o;
}

size_t floe_json_compact(const char *s, size_t n, char *out)
{
    size_t i, o = 0;
    int in_string = 0, escaped = 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (is_ws(c)) {
            continue;
        }
        out[o++] = c;
    }
    return o;
}
