/* Strict JSON on top of jsmn: jsmn finds the tokens, this module checks that
 * the text is exactly one RFC 8259 JSON text (separators, literals, numbers,
 * string escapes, UTF-8) and hands the rest of floe a compact token array with
 * the subtree extents the schema mapper needs. No recursion: nesting is
 * tracked on a bounded explicit stack. */
#ifndef FLOE_NDJSON_JSON_H
#define FLOE_NDJSON_JSON_H

#include <stddef.h>
#include <stdint.h>

enum floe_json_type {
    FLOE_JSON_OBJECT = 1,
    FLOE_JSON_ARRAY,
    FLOE_JSON_STRING,
    FLOE_JSON_NUMBER,
    FLOE_JSON_TRUE,
    FLOE_JSON_FALSE,
    FLOE_JSON_NULL
};

/* Token flags. */
#define FLOE_JSON_ESCAPED 1u /* string has backslash escapes: unescape before use */
#define FLOE_JSON_INTEGER 2u /* number has no fraction or exponent */
#define FLOE_JSON_SHORT 4u   /* number is a short decimal (see ndjson/number.h): the
                              * parser's nums[i] holds its digits, frac the count
                              * after the point, so values need no second scan */

struct floe_json_tok {
    uint32_t start; /* strings: first byte after the quote */
    uint32_t end;   /* strings: the closing quote; containers: after the bracket */
    uint32_t next;  /* index of the token after this one's subtree */
    uint8_t type;   /* enum floe_json_type */
    uint8_t flags;
    uint8_t frac;   /* FLOE_JSON_SHORT numbers: digits after the point */
};

/* Why a text was rejected, for dead letters and json-validate. */
enum floe_json_fault {
    FLOE_JSON_OK = 0,
    FLOE_JSON_SYNTAX,     /* not JSON */
    FLOE_JSON_UTF8,       /* bad UTF-8 or a lone surrogate escape (a raw control
                           * character is FLOE_JSON_SYNTAX: valid UTF-8, not JSON) */
    FLOE_JSON_DEPTH,      /* nesting over the limit */
    FLOE_JSON_TOKENS      /* more tokens than the limit */
};

struct floe_json_parser {
    void *jsmn_tokens;             /* max_tokens jsmn tokens */
    struct floe_json_tok *tokens;  /* max_tokens */
    uint64_t *nums;                /* max_tokens: digits of FLOE_JSON_SHORT numbers */
    uint32_t *stack;               /* max_depth open-container indices */
    uint32_t max_tokens;
    uint32_t max_depth;
    uint32_t n_tokens;             /* after a successful parse */
    const char *why;               /* after a failed parse */
    uint32_t where;                /* byte offset of the fault */
};

/* Bytes of scratch floe_json_parser_init needs. */
size_t floe_json_parser_work(uint32_t max_tokens, uint32_t max_depth);

/* Lays the parser out in work[0..work_size); FLOE_ERR_NOMEM if short. */
int floe_json_parser_init(struct floe_json_parser *p, void *work, size_t work_size,
                          uint32_t max_tokens, uint32_t max_depth);

/* Parses and validates text[0..n) as one JSON text. Returns FLOE_JSON_OK or a
 * fault (p->why and p->where say more). */
int floe_json_parse(struct floe_json_parser *p, const char *text, size_t n);

/* Decodes the escapes of a validated string token's bytes into out (which
 * holds at least n bytes: decoding never grows a string). Returns the length. */
size_t floe_json_unescape(const char *s, size_t n, char *out);

/* Copies a validated JSON value text[0..n) to out without insignificant
 * whitespace; out holds n bytes. Returns the length. */
size_t floe_json_compact(const char *s, size_t n, char *out);

#endif
