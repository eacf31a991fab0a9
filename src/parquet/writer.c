/* The Parquet writer: pages, row groups and the footer (see floe/parquet.h). */
#include "floe/parquet.h"
#include "floe/version.h"
#include "core/internal.h"
#include "parquet/bloom.h"
#include "parquet/dict.h"
#include "parquet/encoding.h"
#include "parquet/snappy.h"
#include "parquet/stats.h"
#include "parquet/thrift.h"
#ifdef FLOE_ZSTD_COMPRESS
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#endif

/* parquet.thrift enums */
enum { PHYS_BOOLEAN = 0, PHYS_INT32 = 1, PHYS_INT64 = 2, PHYS_FLOAT = 4, PHYS_DOUBLE = 5, PHYS_BYTE_ARRAY = 6 };
enum { ENC_PLAIN = 0, ENC_RLE = 3, ENC_DELTA = 5, ENC_RLE_DICT = 8, ENC_BSS = 9 };
enum { PAGE_DATA = 0, PAGE_DICT = 2 };
enum { BOUNDARY_UNORDERED = 0, BOUNDARY_ASCENDING = 1, BOUNDARY_DESCENDING = 2 };
enum { CODEC_UNCOMPRESSED = 0, CODEC_SNAPPY = 1, CODEC_ZSTD = 6 };
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1 };
enum { CONV_UTF8 = 0, CONV_DATE = 6, CONV_TS_MILLIS = 9, CONV_TS_MICROS = 10, CONV_JSON = 19 };

#define PAGE_HEADER_MAX 64u   /* a data or dictionary page header, no statistics */
#define STORE_LINK 8u         /* per stored page: next offset + length */
/* Then the page's record for the page index: values, nulls, flags, the
 * lengths and PLAIN bytes of its min and max. */
#define PAGE_REC_FIXED 11u
#define PAGE_REC_MAX (PAGE_REC_FIXED + 2u * FLOE_PARQUET_STAT_MAX)
#define STORED_PAGE_EXTRA (STORE_LINK + PAGE_REC_MAX)
enum { REC_HAS_MINMAX = 1, REC_HAS_NAN = 2, REC_NO_MAX = 4 };
#define APPEND_SLACK 1280u    /* most one value can add to an encoder's output */
#define KV_BYTES 4096u
#define KV_MAX 8u
#define FOOTER_DRAIN 4096u    /* keep this much room while serializing the footer */

enum dict_state {
    DICT_NONE,   /* the type never uses a dictionary (booleans) */
    DICT_TRY,    /* dictionary-encoding this row group */
    DICT_OFF,    /* gave up for this row group */
    DICT_NEVER   /* gave up for the rest of this file */
};

/* What the footer needs of one column chunk. */
struct chunk_meta {
    int64_t dict_offset; /* -1: no dictionary page */
    int64_t bloom_offset; /* -1: no Bloom filter */
    uint32_t bloom_len;   /* its header and bitset */
    uint8_t bloom_due;    /* every page used the dictionary: a filter follows the row group */
    int64_t data_offset;
    int64_t comp_size, uncomp_size;
    int64_t num_values, null_count;
    uint16_t encodings;  /* bit e set: encoding e used */
    uint8_t has_minmax;
    uint8_t has_max;              /* 0: no upper bound fits FLOE_PARQUET_STAT_MAX bytes */
    uint8_t min_exact, max_exact; /* 0: a truncated bound (long strings) */
    uint8_t min_len, max_len;
    uint8_t min[FLOE_PARQUET_STAT_MAX], max[FLOE_PARQUET_STAT_MAX];
    /* the chunk's page index in the index buffer; length 0: none */
    uint32_t column_index_at, column_index_len;
    uint32_t offset_index_at, offset_index_len;
};

/* Min and max of a page or a column chunk, as values arrive. */
struct minmax {
    int has_value;
    uint8_t has_nan;  /* NaN never enters min/max; a page index then says nothing */
    int64_t imin, imax;
    double dmin, dmax;
    /* strings: bounds of at most FLOE_PARQUET_STAT_MAX bytes (stats.h) */
    uint8_t smin[FLOE_PARQUET_STAT_MAX], smax[FLOE_PARQUET_STAT_MAX];
    uint8_t smin_len, smax_len;
    uint8_t smin_exact, smax_exact, smax_none;
};

struct rg_meta {
    int64_t offset, rows, comp_size, uncomp_size;
};

struct column {
    const char *name;
    uint8_t type;      /* enum floe_type */
    uint8_t phys;
    uint8_t nullable;
    uint8_t fallback;  /* value encoding when not dictionary-encoding */
    uint8_t page_enc;  /* value encoding of the current page */
    uint8_t dict_state;
    uint8_t dict_gave_up; /* the last row group's dictionary gave up: a short trial next */
    uint8_t idx_width; /* bit width of this page's dictionary indices */
    uint8_t delta_byte_slack; /* floe_delta_align_bytes() for DELTA pages */
    struct floe_buf values;
    struct floe_buf levels;
    struct floe_rle_encoder def;
    union {
        struct floe_rle_encoder idx; /* dictionary indices; booleans (RLE) */
        struct floe_delta_encoder delta;
    } enc;
    struct floe_dict dict;
    uint32_t bloom_size;            /* its filter's bytes if the row group ended now (0: none) */
    uint32_t page_values, page_nulls;
    /* this row group */
    uint32_t first_page, last_page; /* store offset + 1 of the page list; 0: none */
    int dict_pages;                 /* data pages that use the dictionary */
    uint16_t encodings;
    uint64_t rg_values, rg_nulls;
    int64_t comp_size, uncomp_size; /* pages written to the store so far */
    struct minmax rg;   /* statistics of this row group: its pages' merged */
    struct minmax page; /* of the current page */
    /* Dictionary entries the current page used (bit i: entry i), so its
     * min and max cost one look per distinct value, not a compare per
     * value. Words past seen_words are stale, zeroed as they are reached. */
    uint64_t *seen;
    uint32_t seen_bits, seen_words;
};

struct floe_parquet_state {
    const struct floe_parquet_config *cfg;
    const struct floe_parquet_sink *sink;
    struct column *cols;
    uint32_t n_cols;
    uint32_t page_bytes;
    uint8_t codec;
    uint8_t bloom;         /* write Bloom filters for dictionary-encoded chunks */
    size_t bloom_est;      /* bytes the open row group's filters would take now */
    uint8_t *store;        /* compressed pages of the open row group */
    size_t store_cap, store_len;
    uint8_t *scratch;      /* one page assembled for compression */
    size_t scratch_cap;
    uint8_t *cbuf;         /* compressor output; the footer's buffer too */
    size_t cbuf_cap;
    void *snappy_work;
    void *zstd_cctx;       /* ZSTD_CCtx, static in the arena (FLOE_PARQUET_ZSTD) */
    struct chunk_meta *chunks; /* [max_row_groups][n_cols] */
    struct rg_meta *rgs;
    uint16_t max_rgs, n_rgs;
    uint64_t rg_rows;
    int open;
    struct floe_arena dict_pool; /* every column's dictionary, emptied per row group */
    uint32_t dict_entries_max, dict_bytes_max;
    char *kv;              /* key\0value\0 pairs */
    size_t kv_len;
    uint32_t n_kv;
    char reject[FLOE_PARQUET_REJECT_MAX]; /* why the last FLOE_ERR_LIMIT row was refused */
    /* The file's page index so far: OffsetIndexes from the front of the
     * buffer ([0, index_len)), ColumnIndexes from the back ([ci_low, cap)).
     * arrow-rs rejects a file where some chunks have an OffsetIndex and
     * others not: ColumnIndexes give way to OffsetIndexes, and if one still
     * does not fit, the file gets no page index at all. */
    uint8_t *index;
    size_t index_cap, index_len, ci_low;
    uint8_t no_column_index; /* ColumnIndexes were dropped for room: no more in this file */
    uint8_t no_page_index;   /* an OffsetIndex did not fit: none in this file */
};

/* ---- layout -------------------------------------------------------------- */

struct limits {
    uint32_t page, row_group, dict_entries, dict_bytes, dict_pool, page_index;
    uint16_t max_rgs;
};

static void effective(const struct floe_parquet_config *cfg, struct limits *l)
{
    l->page = cfg->page_bytes ? cfg->page_bytes : FLOE_PARQUET_DEFAULT_PAGE_BYTES;
    l->row_group = cfg->row_group_bytes ? cfg->row_group_bytes : FLOE_PARQUET_DEFAULT_ROW_GROUP_BYTES;
    l->dict_entries = cfg->dict_entries ? cfg->dict_entries : FLOE_PARQUET_DEFAULT_DICT_ENTRIES;
    l->dict_bytes = cfg->dict_bytes ? cfg->dict_bytes : FLOE_PARQUET_DEFAULT_DICT_BYTES;
    l->dict_pool = cfg->dict_pool_bytes ? cfg->dict_pool_bytes : FLOE_PARQUET_DEFAULT_DICT_POOL;
    l->max_rgs = cfg->max_row_groups ? cfg->max_row_groups : FLOE_PARQUET_DEFAULT_MAX_ROW_GROUPS;
    if (cfg->no_page_index) {
        l->page_index = 0;
    } else if (cfg->page_index_bytes) {
        l->page_index = cfg->page_index_bytes;
    } else {
        uint64_t room = (uint64_t)l->max_rgs * (l->row_group / FLOE_PARQUET_PAGE_INDEX_SHARE);
        l->page_index = room > (1u << 30) ? (1u << 30) : room < 4096u ? 4096u : (uint32_t)room;
    }
}

static int config_ok(const struct floe_parquet_config *cfg)
{
    struct limits l;
    if (cfg == NULL || floe_schema_check(cfg->schema, NULL) != FLOE_OK)
        return 0;
    if (!floe_parquet_codec_supported(cfg->codec))
        return 0;
    effective(cfg, &l);
    /* The store must take a few pages, and one fresh page header of every
     * column (a row group ends before a row that might not fit). */
    return l.page >= 4096 && l.page <= (64u << 20) && l.row_group <= (1u << 30) &&
           l.dict_entries <= FLOE_DICT_MAX_ENTRIES && l.dict_bytes <= (1u << 30) && l.page_index <= (1u << 30) &&
           l.row_group >= 4u * l.page && l.row_group / 2u >= (cfg->schema->n_columns + 1u) * 2048u;
}

int floe_parquet_codec_supported(int codec)
{
#ifdef FLOE_ZSTD_COMPRESS
    if (codec == FLOE_PARQUET_ZSTD)
        return 1;
#endif
    return codec == FLOE_PARQUET_SNAPPY || codec == FLOE_PARQUET_UNCOMPRESSED;
}

/* Worst compressed size of n bytes for any codec this build has. */
static size_t compress_bound(size_t n)
{
    size_t b = floe_snappy_max_compressed_length(n);
#ifdef FLOE_ZSTD_COMPRESS
    if (ZSTD_COMPRESSBOUND(n) > b)
        b = ZSTD_COMPRESSBOUND(n);
#endif
    return b;
}

#ifdef FLOE_ZSTD_COMPRESS
/* One set of parameters for every page: the level's for a data page of
 * page_bytes (a larger dictionary page gets the same window), changed where
 * measurements on telemetry say (docs/parquet.md, "zstd's parameters"):
 * - minMatch 4, not 5: bit-packed deltas and indices repeat in 4-byte
 *   units; the bench's ts column shrinks from 2.47 to 1.74 MB;
 * - hash and chain tables of at most 2^14 entries: a 32 KiB page has no
 *   more positions than that to remember; 0.1% larger output, 260 KB less
 *   arena (with the page-sized window, 630 KB less than the level's
 *   parameters for a 128 KiB dictionary page). */
static ZSTD_compressionParameters zstd_params(size_t page_bytes)
{
    ZSTD_compressionParameters cp = ZSTD_getCParams(FLOE_PARQUET_ZSTD_LEVEL, (unsigned long long)page_bytes, 0);
    if (cp.minMatch > 4u)
        cp.minMatch = 4u;
    if (cp.hashLog > 14u)
        cp.hashLog = 14u;
    if (cp.chainLog > 14u)
        cp.chainLog = 14u;
    return cp;
}

static int zstd_carve(struct floe_arena *a, size_t page_bytes, void **cctx)
{
    ZSTD_compressionParameters cp = zstd_params(page_bytes);
    size_t need = ZSTD_estimateCCtxSize_usingCParams(cp);
    void *p;
    FLOE_FAIL_IF(ZSTD_isError(need), FLOE_ERR_INVAL);
    FLOE_TRY(floe_arena_take_raw(a, need, 8, &p));
    *cctx = NULL;
    if (p != NULL) {
        ZSTD_CCtx *z = ZSTD_initStaticCCtx(p, need);
        FLOE_FAIL_IF(z == NULL, FLOE_ERR_NOMEM);
        FLOE_FAIL_IF(ZSTD_isError(ZSTD_CCtx_setCParams(z, cp)), FLOE_ERR_INVAL);
        /* Parquet's page header has both sizes: no checksum, no size in the frame. */
        FLOE_FAIL_IF(ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 0)), FLOE_ERR_INVAL);
        *cctx = z;
    }
    return FLOE_OK;
}
#endif

static uint8_t phys_of(int type)
{
    switch (type) {
    case FLOE_TYPE_BOOL:
        return PHYS_BOOLEAN;
    case FLOE_TYPE_INT32:
    case FLOE_TYPE_DATE:
        return PHYS_INT32;
    case FLOE_TYPE_FLOAT:
        return PHYS_FLOAT;
    case FLOE_TYPE_DOUBLE:
        return PHYS_DOUBLE;
    case FLOE_TYPE_STRING:
    case FLOE_TYPE_JSON:
        return PHYS_BYTE_ARRAY;
    default:
        return PHYS_INT64;
    }
}

static uint8_t fallback_of(uint8_t phys)
{
    switch (phys) {
    case PHYS_BOOLEAN:
        return ENC_RLE; /* the RLE/bit-packed hybrid: runs of equal flags shrink */
    case PHYS_INT32:
    case PHYS_INT64:
        return ENC_DELTA;
    case PHYS_FLOAT:
    case PHYS_DOUBLE:
        return ENC_BSS;
    default:
        return ENC_PLAIN;
    }
}

static enum floe_dict_kind dict_kind(uint8_t phys)
{
    return phys == PHYS_INT32 || phys == PHYS_FLOAT ? FLOE_DICT_FIXED4
           : phys == PHYS_BYTE_ARRAY              ? FLOE_DICT_BYTES
                                                  : FLOE_DICT_FIXED8;
}

/* Levels of a page: at most PAGE_MAX_VALUES bits, RLE-encoded, prefixed. */
static size_t levels_cap(void)
{
    return 4u + floe_rle_max_size(1, FLOE_PARQUET_PAGE_MAX_VALUES);
}

/* The most one row can make a column add to the row-group store: its open
 * page at the longest (a string column's with the longest string
 * refuse_value lets in, and its length), compressed at the worst, and two
 * pages that ended early. */
static uint64_t column_need_max(uint8_t phys, uint32_t page)
{
    uint64_t p = levels_cap() + page + APPEND_SLACK + FLOE_DELTA_HEADER_MAX + 64u;
    if (phys == PHYS_BYTE_ARRAY)
        p += page;
    return STORED_PAGE_EXTRA + PAGE_HEADER_MAX + 32u + p + p / 6u + 2u * (STORED_PAGE_EXTRA + PAGE_HEADER_MAX + 32u);
}

uint32_t floe_parquet_roomy_page_bytes(const struct floe_parquet_config *cfg)
{
    struct limits l;
    uint32_t page, i;
    if (cfg == NULL || cfg->schema == NULL || floe_schema_check(cfg->schema, NULL) != FLOE_OK)
        return 0;
    effective(cfg, &l);
    for (page = l.page; page > 4096u; page /= 2u) {
        uint64_t need = cfg->schema->extra ? column_need_max(PHYS_BYTE_ARRAY, page) : 0u;
        for (i = 0; i < cfg->schema->n_columns; i++)
            need += column_need_max(phys_of(cfg->schema->columns[i].type), page);
        if (need <= (uint64_t)l.row_group / 8u * 7u)
            break;
    }
    return page < 4096u ? 4096u : page;
}

static size_t dict_plain_max(const struct limits *l, uint8_t phys)
{
    if (phys == PHYS_BYTE_ARRAY)
        return (size_t)l->dict_bytes + floe_size_mul(l->dict_entries, 4u);
    return floe_size_mul(l->dict_entries, phys == PHYS_INT32 || phys == PHYS_FLOAT ? 4u : 8u);
}

static int carve(struct floe_arena *a, const struct floe_parquet_config *cfg, struct floe_parquet_state **out)
{
    struct floe_arena st_dummy_pool;
    const struct floe_schema *sc = cfg->schema;
    struct floe_parquet_state *st;
    struct limits l;
    uint32_t n_cols = (uint32_t)sc->n_columns + (sc->extra ? 1u : 0u), i;
    size_t scratch = 0;
    void *p;
    effective(cfg, &l);

    FLOE_TRY(floe_arena_take(a, sizeof *st, 8, &p));
    st = (struct floe_parquet_state *)p;
    FLOE_TRY(floe_arena_take(a, n_cols * sizeof(struct column), 8, &p));
    if (st) {
        st->cols = (struct column *)p;
        st->n_cols = n_cols;
    }
    for (i = 0; i < n_cols; i++) {
        struct column *c = st ? &st->cols[i] : NULL;
        int type = i < sc->n_columns ? sc->columns[i].type : FLOE_TYPE_STRING;
        uint8_t phys = phys_of(type);
        FLOE_TRY(floe_arena_take_raw(a, l.page, 8, &p));
        if (c)
            floe_buf_init(&c->values, p, l.page);
        FLOE_TRY(floe_arena_take_raw(a, levels_cap(), 8, &p)); /* written before read */
        if (c)
            floe_buf_init(&c->levels, p, levels_cap());
        if (phys != PHYS_BOOLEAN && dict_plain_max(&l, phys) > scratch)
            scratch = dict_plain_max(&l, phys);
        if (phys != PHYS_BOOLEAN) {
            /* Every entry takes at least 4 bytes of the pool: no more bits
             * than that, whatever dict_entries says. */
            uint32_t bits = l.dict_entries < l.dict_pool / 4u ? l.dict_entries : l.dict_pool / 4u;
            FLOE_TRY(floe_arena_take_raw(a, ((size_t)bits + 63u) / 64u * 8u, 8, &p));
            if (c) {
                c->seen = (uint64_t *)p;
                c->seen_bits = bits;
            }
        }
        if (c) {
            c->name = i < sc->n_columns ? sc->columns[i].name : FLOE_EXTRA_COLUMN_NAME;
            c->type = (uint8_t)type;
            c->phys = phys;
            c->nullable = i < sc->n_columns ? sc->columns[i].nullable != 0 : 1;
            c->fallback = fallback_of(phys);
            /* zstd codes bytes: deltas a bit or two short of whole bytes
             * compress better padded (measured: docs/parquet.md). */
            c->delta_byte_slack = cfg->codec == FLOE_PARQUET_ZSTD ? 2u : 0u;
        }
    }
    /* A data page assembled: levels, a delta header or index width, values. */
    if (scratch < levels_cap() + FLOE_DELTA_HEADER_MAX + l.page)
        scratch = levels_cap() + FLOE_DELTA_HEADER_MAX + l.page;
    FLOE_TRY(floe_arena_take_raw(a, scratch, 8, &p));
    if (st) {
        st->scratch = (uint8_t *)p;
        st->scratch_cap = scratch;
    }
    {
        size_t cb = compress_bound(scratch);
        if (cb < FOOTER_DRAIN * 4)
            cb = FOOTER_DRAIN * 4;
        FLOE_TRY(floe_arena_take_raw(a, cb, 8, &p));
        if (st) {
            st->cbuf = (uint8_t *)p;
            st->cbuf_cap = cb;
        }
    }
    FLOE_TRY(floe_arena_take_raw(a, l.row_group, 8, &p));
    if (st) {
        st->store = (uint8_t *)p;
        st->store_cap = l.row_group;
    }
    if (cfg->codec == FLOE_PARQUET_SNAPPY) {
        FLOE_TRY(floe_arena_take_raw(a, FLOE_SNAPPY_WORK_BYTES, 8, &p)); /* cleared per block */
        if (st)
            st->snappy_work = p;
    }
#ifdef FLOE_ZSTD_COMPRESS
    if (cfg->codec == FLOE_PARQUET_ZSTD) {
        void *z;
        FLOE_TRY(zstd_carve(a, l.page, &z));
        if (st)
            st->zstd_cctx = z;
    }
#endif
    /* Not zeroed: flush_row_group clears each row group's entries as it
     * fills them, so a file's footer touches only the row groups it has
     * (64 x 13 x 120 bytes would be 100 KB of RSS at setup). */
    FLOE_TRY(floe_arena_take_raw(a, floe_size_mul((size_t)l.max_rgs * n_cols, sizeof(struct chunk_meta)), 8, &p));
    if (st)
        st->chunks = (struct chunk_meta *)p;
    FLOE_TRY(floe_arena_take(a, (size_t)l.max_rgs * sizeof(struct rg_meta), 8, &p));
    if (st) {
        st->rgs = (struct rg_meta *)p;
        st->max_rgs = l.max_rgs;
    }
    FLOE_TRY(floe_arena_slice(a, l.dict_pool, st ? &st->dict_pool : &st_dummy_pool));
    if (l.page_index > 0) {
        FLOE_TRY(floe_arena_take_raw(a, l.page_index, 8, &p)); /* written before read */
        if (st) {
            st->index = (uint8_t *)p;
            st->index_cap = st->ci_low = l.page_index;
        }
    }
    FLOE_TRY(floe_arena_take(a, KV_BYTES, 8, &p));
    if (st) {
        st->dict_entries_max = l.dict_entries;
        st->dict_bytes_max = l.dict_bytes;
        st->kv = (char *)p;
        st->cfg = cfg;
        st->page_bytes = l.page;
        st->codec = cfg->codec == FLOE_PARQUET_UNCOMPRESSED ? CODEC_UNCOMPRESSED
                    : cfg->codec == FLOE_PARQUET_ZSTD       ? CODEC_ZSTD
                                                            : CODEC_SNAPPY;
        st->bloom = !cfg->no_bloom_filters;
    }
    *out = st;
    return FLOE_OK;
}

size_t floe_parquet_size(const struct floe_parquet_config *cfg)
{
    struct floe_arena a;
    struct floe_parquet_state *st;
    if (!config_ok(cfg))
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, cfg, &st) != FLOE_OK)
        return 0;
    return a.used;
}

void floe_parquet_init(struct floe_parquet *pq)
{
    if (pq != NULL)
        floe_memset(pq, 0, sizeof *pq);
}

int floe_parquet_setup(struct floe_parquet *pq, const struct floe_parquet_config *cfg, struct floe_arena *arena)
{
    struct floe_parquet_state *st = NULL;
    size_t mark;
    int err;
    FLOE_FAIL_IF(pq == NULL || arena == NULL || floe_arena_counting(arena), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(!config_ok(cfg), FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    err = carve(arena, cfg, &st);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        return err;
    }
    floe_memset(&pq->stats, 0, sizeof pq->stats);
    pq->st = st;
    return FLOE_OK;
}

void floe_parquet_abort(struct floe_parquet *pq)
{
    if (pq != NULL && pq->st != NULL)
        pq->st->open = 0;
}

void floe_parquet_free(struct floe_parquet *pq)
{
    if (pq != NULL)
        floe_memset(pq, 0, sizeof *pq);
}

/* ---- output -------------------------------------------------------------- */

static int sink_write(struct floe_parquet *pq, const void *p, size_t n)
{
    int err = pq->st->sink->write(pq->st->sink->ctx, p, n);
    if (err < 0)
        return err;
    pq->stats.bytes += n;
    return FLOE_OK;
}

/* Compresses src[0..n) into cbuf and sets *out to the compressed length. */
static int compress(struct floe_parquet_state *st, const uint8_t *src, size_t n, size_t *out)
{
    if (st->codec == CODEC_UNCOMPRESSED) {
        floe_memcpy(st->cbuf, src, n); /* n may be 0: an empty dictionary page */
        *out = n;
        return FLOE_OK;
    }
#ifdef FLOE_ZSTD_COMPRESS
    if (st->codec == CODEC_ZSTD) {
        size_t r = ZSTD_compress2((ZSTD_CCtx *)st->zstd_cctx, st->cbuf, st->cbuf_cap, src, n);
        if (ZSTD_isError(r))
            return FLOE_ERR_NOMEM; /* the context or cbuf was sized too small: a bug */
        *out = r;
        return FLOE_OK;
    }
#endif
    *out = floe_snappy_compress(src, n, st->cbuf, st->cbuf_cap, st->snappy_work);
    return *out == 0 ? FLOE_ERR_NOMEM : FLOE_OK;
}

static int page_header(uint8_t *out, int type, size_t uncomp, size_t comp, uint32_t n_values, int encoding,
                       size_t *hdr_len)
{
    struct floe_thrift_writer w;
    int len;
    floe_thrift_writer_init(&w, out, PAGE_HEADER_MAX);
    floe_thrift_write_i32(&w, 1, type);
    floe_thrift_write_i32(&w, 2, (int32_t)uncomp);
    floe_thrift_write_i32(&w, 3, (int32_t)comp);
    if (type == PAGE_DATA) {
        floe_thrift_write_struct_begin(&w, 5);
        floe_thrift_write_i32(&w, 1, (int32_t)n_values);
        floe_thrift_write_i32(&w, 2, encoding);
        floe_thrift_write_i32(&w, 3, ENC_RLE);
        floe_thrift_write_i32(&w, 4, ENC_RLE);
        floe_thrift_write_struct_end(&w);
    } else {
        floe_thrift_write_struct_begin(&w, 7);
        floe_thrift_write_i32(&w, 1, (int32_t)n_values);
        floe_thrift_write_i32(&w, 2, ENC_PLAIN);
        floe_thrift_write_struct_end(&w);
    }
    len = floe_thrift_writer_finish(&w);
    if (len < 0)
        return len;
    *hdr_len = (size_t)len;
    return FLOE_OK;
}

/* ---- pages --------------------------------------------------------------- */

static void begin_page(struct column *c)
{
    c->page_values = 0;
    c->page_nulls = 0;
    floe_buf_init(&c->levels, c->levels.p, c->levels.cap);
    floe_buf_init(&c->values, c->values.p, c->values.cap);
    if (c->nullable)
        floe_rle_init_prefixed(&c->def, 1, &c->levels);
    c->page_enc = c->dict_state == DICT_TRY ? ENC_RLE_DICT : c->fallback;
    switch (c->page_enc) {
    case ENC_RLE_DICT:
        floe_buf_put_u8(&c->values, c->idx_width);
        floe_rle_init(&c->enc.idx, c->idx_width, &c->values);
        break;
    case ENC_DELTA:
        if (c->phys == PHYS_INT32)
            floe_delta_init32(&c->enc.delta, &c->values);
        else
            floe_delta_init(&c->enc.delta, &c->values);
        floe_delta_align_bytes(&c->enc.delta, c->delta_byte_slack);
        break;
    case ENC_RLE: /* booleans; data page v1 wants the length prefix */
        floe_rle_init_prefixed(&c->enc.idx, 1, &c->values);
        break;
    default:
        break;
    }
}

/* Finishes the current page's encoders and lays the page out in scratch.
 * Returns the page's uncompressed size. */
static int assemble_page(struct floe_parquet_state *st, struct column *c, size_t *size)
{
    uint8_t *out = st->scratch;
    size_t n = 0;
    int err = FLOE_OK;
    if (c->nullable) {
        err = floe_rle_finish(&c->def);
        if (err != FLOE_OK)
            return err;
        floe_memcpy(out, c->levels.p, c->levels.len);
        n = c->levels.len;
    }
    switch (c->page_enc) {
    case ENC_RLE_DICT:
        err = floe_rle_finish(&c->enc.idx);
        break;
    case ENC_DELTA: {
        struct floe_buf hdr;
        floe_buf_init(&hdr, out + n, FLOE_DELTA_HEADER_MAX);
        err = floe_delta_finish(&c->enc.delta, &hdr);
        n += hdr.len;
        break;
    }
    case ENC_RLE:
        err = floe_rle_finish(&c->enc.idx);
        break;
    default:
        break;
    }
    if (err == FLOE_OK)
        err = c->values.err;
    if (err != FLOE_OK)
        return err;
    if (c->page_enc == ENC_BSS) {
        size_t width = c->phys == PHYS_FLOAT ? 4u : 8u;
        floe_byte_stream_split(c->values.p, c->values.len / width, width, out + n);
    } else {
        floe_memcpy(out + n, c->values.p, c->values.len);
    }
    n += c->values.len;
    *size = n;
    return FLOE_OK;
}

/* Compresses the assembled page and builds its header in hdr. */
static int pack_page(struct floe_parquet_state *st, struct column *c, size_t uncomp, uint8_t *hdr,
                     size_t *hdr_len, size_t *comp)
{
    FLOE_TRY(compress(st, st->scratch, uncomp, comp));
    return page_header(hdr, PAGE_DATA, uncomp, *comp, c->page_values, c->page_enc, hdr_len);
}

static void note_page(struct column *c, size_t uncomp, size_t comp, size_t hdr_len)
{
    c->encodings |= (uint16_t)(1u << c->page_enc);
    if (c->page_enc == ENC_RLE_DICT)
        c->dict_pages++;
    c->uncomp_size += (int64_t)(uncomp + hdr_len);
    c->comp_size += (int64_t)(comp + hdr_len);
}

static int flush_row_group(struct floe_parquet *pq);
static size_t end_page_stats(struct column *c, uint8_t *rec);

/* The current page is complete: compressed into the row-group store. */
static int flush_page(struct floe_parquet *pq, struct column *c)
{
    struct floe_parquet_state *st = pq->st;
    size_t uncomp, comp, hdr_len, rec_len;
    uint8_t hdr[PAGE_HEADER_MAX];
    uint8_t *at;
    if (c->page_values == 0)
        return FLOE_OK;
    FLOE_TRY(assemble_page(st, c, &uncomp));
    if (st->store_cap - st->store_len < STORED_PAGE_EXTRA + PAGE_HEADER_MAX + compress_bound(uncomp))
        return FLOE_ERR_NOMEM; /* write_row's reserve check prevents this */
    FLOE_TRY(pack_page(st, c, uncomp, hdr, &hdr_len, &comp));
    at = st->store + st->store_len;
    rec_len = end_page_stats(c, at + STORE_LINK);
    floe_put_le32(at, 0);
    floe_put_le32(at + 4, (uint32_t)(hdr_len + comp));
    floe_memcpy(at + STORE_LINK + rec_len, hdr, hdr_len);
    floe_memcpy(at + STORE_LINK + rec_len + hdr_len, st->cbuf, comp);
    if (c->last_page != 0)
        floe_put_le32(st->store + c->last_page - 1, (uint32_t)st->store_len + 1u);
    else
        c->first_page = (uint32_t)st->store_len + 1u;
    c->last_page = (uint32_t)st->store_len + 1u;
    st->store_len += STORE_LINK + rec_len + hdr_len + comp;
    note_page(c, uncomp, comp, hdr_len);
    begin_page(c);
    return FLOE_OK;
}

/* ---- statistics ---------------------------------------------------------- */

/* Byte-wise order, a shorter prefix first. */
static int bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int r = floe_memcmp(a, b, alen < blen ? alen : blen);
    if (r != 0 || alen == blen)
        return r;
    return alen < blen ? -1 : 1;
}

/* A string bound of n bytes (a value, or with !exact a truncated one) into
 * s's min; the max takes its own bound (stat_string_max). */
static void stat_string_min(struct minmax *s, const uint8_t *b, size_t n, int exact)
{
    int r = s->has_value ? bytes_cmp(b, n, s->smin, s->smin_len) : -1;
    if (r < 0) {
        floe_memcpy(s->smin, b, n);
        s->smin_len = (uint8_t)n;
        s->smin_exact = (uint8_t)exact;
    } else if (r == 0 && exact) {
        s->smin_exact = 1; /* the bound is a value of the chunk after all */
    }
}

static void stat_string_max(struct minmax *s, const uint8_t *b, size_t n, int exact)
{
    int r = s->has_value ? bytes_cmp(b, n, s->smax, s->smax_len) : 1;
    if (r > 0) {
        floe_memcpy(s->smax, b, n);
        s->smax_len = (uint8_t)n;
        s->smax_exact = (uint8_t)exact;
    } else if (r == 0 && exact) {
        s->smax_exact = 1;
    }
}

/* A string longer than FLOE_PARQUET_STAT_MAX enters min/max as a bound: its
 * prefix below, its incremented prefix above (is_*_value_exact = false). */
static void stat_string(struct minmax *s, const uint8_t *str, size_t len)
{
    uint8_t up[FLOE_PARQUET_STAT_MAX];
    int exact = len <= FLOE_PARQUET_STAT_MAX;
    size_t n = floe_stat_prefix(str, len, FLOE_PARQUET_STAT_MAX);
    stat_string_min(s, str, n, exact);
    if (!s->smax_none) {
        if (exact) {
            stat_string_max(s, str, n, 1);
        } else {
            floe_memcpy(up, str, n);
            n = floe_stat_upper(up, n, FLOE_PARQUET_STAT_MAX);
            if (n == 0)
                s->smax_none = 1; /* nothing short sorts after it: no max for this chunk */
            else
                stat_string_max(s, up, n, 0);
        }
    }
    s->has_value = 1;
}

static void stat_double(struct minmax *s, double d)
{
    if (d != d) {
        s->has_nan = 1; /* NaN never enters min/max */
        return;
    }
    if (!s->has_value || d < s->dmin || (d == 0 && d == s->dmin))
        s->dmin = d;
    if (!s->has_value || d > s->dmax || (d == 0 && d == s->dmax))
        s->dmax = d;
    s->has_value = 1;
}

static void stat_int(struct minmax *s, int64_t x)
{
    if (!s->has_value || x < s->imin)
        s->imin = x;
    if (!s->has_value || x > s->imax)
        s->imax = x;
    s->has_value = 1;
}

static void stat_value(struct minmax *s, uint8_t phys, const struct floe_value *v)
{
    switch (phys) {
    case PHYS_BYTE_ARRAY:
        stat_string(s, (const uint8_t *)v->v.str.ptr, v->v.str.len);
        break;
    case PHYS_FLOAT:
        stat_double(s, (double)v->v.f32);
        break;
    case PHYS_DOUBLE:
        stat_double(s, v->v.f64);
        break;
    case PHYS_BOOLEAN:
        stat_int(s, v->v.b != 0); /* any nonzero is true, as the page has it */
        break;
    default:
        stat_int(s, v->v.i64);
        break;
    }
}

/* Dictionary entry i of c into s. */
static void stat_entry(const struct column *c, struct minmax *s, uint32_t i)
{
    if (c->phys == PHYS_BYTE_ARRAY) {
        const uint8_t *b;
        size_t len;
        if (floe_dict_get_bytes(&c->dict, i, &b, &len) == FLOE_OK)
            stat_string(s, b, len);
    } else {
        uint64_t x = floe_dict_get_fixed(&c->dict, i);
        if (c->phys == PHYS_FLOAT) {
            uint32_t bits = (uint32_t)x;
            float f;
            floe_memcpy(&f, &bits, 4);
            stat_double(s, (double)f);
        } else if (c->phys == PHYS_DOUBLE) {
            double d;
            floe_memcpy(&d, &x, 8);
            stat_double(s, d);
        } else if (c->phys == PHYS_INT32) {
            stat_int(s, (int32_t)(uint32_t)x);
        } else {
            stat_int(s, (int64_t)x);
        }
    }
}

/* Folds a page's min and max into its chunk's. */
static void minmax_merge(uint8_t phys, struct minmax *into, const struct minmax *from)
{
    into->has_nan |= from->has_nan;
    if (!from->has_value)
        return;
    if (phys == PHYS_BYTE_ARRAY) {
        stat_string_min(into, from->smin, from->smin_len, from->smin_exact);
        if (from->smax_none)
            into->smax_none = 1;
        else if (!into->smax_none)
            stat_string_max(into, from->smax, from->smax_len, from->smax_exact);
        into->has_value = 1;
    } else if (phys == PHYS_FLOAT || phys == PHYS_DOUBLE) {
        stat_double(into, from->dmin);
        stat_double(into, from->dmax);
    } else {
        stat_int(into, from->imin);
        stat_int(into, from->imax);
    }
}

static void minmax_reset(struct minmax *s)
{
    s->has_value = 0;
    s->has_nan = 0;
    s->smax_none = 0;
}

/* s's min and max as PLAIN bytes (Parquet's min_value/max_value). */
static void minmax_plain(uint8_t phys, const struct minmax *s, uint8_t *min, uint8_t *min_len, uint8_t *max,
                         uint8_t *max_len)
{
    switch (phys) {
    case PHYS_BYTE_ARRAY:
        floe_memcpy(min, s->smin, s->smin_len);
        floe_memcpy(max, s->smax, s->smax_len);
        *min_len = s->smin_len;
        *max_len = s->smax_len;
        break;
    case PHYS_FLOAT: {
        /* Readers compare -0 and +0 as equal: widen the bounds to both. */
        float lo = (float)s->dmin, hi = (float)s->dmax;
        uint32_t b;
        if (lo == 0)
            lo = -0.0f;
        if (hi == 0)
            hi = 0.0f;
        floe_memcpy(&b, &lo, 4);
        floe_put_le32(min, b);
        floe_memcpy(&b, &hi, 4);
        floe_put_le32(max, b);
        *min_len = *max_len = 4;
        break;
    }
    case PHYS_DOUBLE: {
        double lo = s->dmin, hi = s->dmax;
        uint64_t b;
        if (lo == 0)
            lo = -0.0;
        if (hi == 0)
            hi = 0.0;
        floe_memcpy(&b, &lo, 8);
        floe_put_le64(min, b);
        floe_memcpy(&b, &hi, 8);
        floe_put_le64(max, b);
        *min_len = *max_len = 8;
        break;
    }
    case PHYS_BOOLEAN:
        min[0] = (uint8_t)s->imin;
        max[0] = (uint8_t)s->imax;
        *min_len = *max_len = 1;
        break;
    case PHYS_INT32:
        floe_put_le32(min, (uint32_t)(int32_t)s->imin);
        floe_put_le32(max, (uint32_t)(int32_t)s->imax);
        *min_len = *max_len = 4;
        break;
    default:
        floe_put_le64(min, (uint64_t)s->imin);
        floe_put_le64(max, (uint64_t)s->imax);
        *min_len = *max_len = 8;
        break;
    }
}

/* The chunk's statistics in PLAIN form. */
static void stats_to_meta(const struct column *c, struct chunk_meta *m)
{
    const struct minmax *s = &c->rg;
    m->has_minmax = (uint8_t)s->has_value;
    m->has_max = 1;
    m->min_exact = m->max_exact = 1;
    if (!m->has_minmax)
        return;
    minmax_plain(c->phys, s, m->min, &m->min_len, m->max, &m->max_len);
    if (c->phys == PHYS_BYTE_ARRAY) {
        m->min_exact = s->smin_exact;
        m->max_exact = s->smax_exact;
        m->has_max = (uint8_t)!s->smax_none;
    }
}

/* The current page's record for the page index (PAGE_REC_FIXED bytes, then
 * min and max); its length. The page's min and max join the chunk's. */
static size_t end_page_stats(struct column *c, uint8_t *rec)
{
    struct minmax *s = &c->page;
    uint32_t w;
    uint8_t flags = 0, min_len = 0, max_len = 0;
    for (w = 0; w < c->seen_words; w++) { /* a dictionary page's distinct values */
        uint64_t bits = c->seen[w];
        while (bits != 0) {
            stat_entry(c, s, w * 64u + (uint32_t)__builtin_ctzll(bits));
            bits &= bits - 1u;
        }
    }
    c->seen_words = 0;
    if (s->has_value) {
        flags |= REC_HAS_MINMAX;
        minmax_plain(c->phys, s, rec + PAGE_REC_FIXED, &min_len, rec + PAGE_REC_FIXED + FLOE_PARQUET_STAT_MAX,
                     &max_len);
        floe_memmove(rec + PAGE_REC_FIXED + min_len, rec + PAGE_REC_FIXED + FLOE_PARQUET_STAT_MAX, max_len);
    }
    if (s->has_nan)
        flags |= REC_HAS_NAN;
    if (c->phys == PHYS_BYTE_ARRAY && s->smax_none)
        flags |= REC_NO_MAX;
    floe_put_le32(rec, c->page_values);
    floe_put_le32(rec + 4, c->page_nulls);
    rec[8] = flags;
    rec[9] = min_len;
    rec[10] = max_len;
    minmax_merge(c->phys, &c->rg, s);
    minmax_reset(s);
    return PAGE_REC_FIXED + min_len + max_len;
}

/* ---- row groups ---------------------------------------------------------- */

static void reset_column_for_row_group(struct column *c)
{
    c->first_page = c->last_page = 0;
    c->dict_pages = 0;
    c->encodings = 0;
    c->rg_values = c->rg_nulls = 0;
    c->comp_size = c->uncomp_size = 0;
    minmax_reset(&c->rg);
    minmax_reset(&c->page);
    c->seen_words = 0;
    if (c->phys == PHYS_BOOLEAN)
        c->dict_state = DICT_NONE;
    else if (c->dict_state != DICT_NEVER)
        c->dict_state = DICT_TRY;
    /* The dictionary starts empty, its indices at width 0; prepare_value
     * widens the page as they grow. */
    c->idx_width = 0;
    c->bloom_size = 0;
    begin_page(c);
}

#define DICT_START_ENTRIES 256u
#define DICT_START_BYTES 4096u

/* Every dictionary starts small in the emptied pool (a new row group). */
static void reset_dictionaries(struct floe_parquet_state *st)
{
    uint32_t i;
    floe_arena_rewind(&st->dict_pool, 0);
    for (i = 0; i < st->n_cols; i++) {
        struct column *c = &st->cols[i];
        floe_memset(&c->dict, 0, sizeof c->dict); /* the pool is empty: no stale tables */
        if (c->dict_state != DICT_TRY)
            continue;
        if (floe_dict_init(&c->dict, &st->dict_pool, dict_kind(c->phys), DICT_START_ENTRIES, DICT_START_BYTES) !=
            FLOE_OK) {
            c->dict_state = DICT_OFF; /* the pool is too small for another dictionary */
            if (c->page_values == 0)
                begin_page(c);
        }
    }
}

/* Closes the holes grown dictionaries left in the pool: every live table
 * moves down, in address order, so the pool's high-water mark (and the
 * memory it touches) follows what the dictionaries hold, not the sum of
 * every size they had. */
static void compact_dictionaries(struct floe_parquet_state *st)
{
    uint8_t *base = st->dict_pool.base, *top = base, *floor = base;
    for (;;) {
        struct column *next = NULL;
        uint8_t *start, *next_start = NULL;
        size_t len, next_len = 0;
        uint32_t i;
        for (i = 0; i < st->n_cols; i++) {
            floe_dict_region(&st->cols[i].dict, &start, &len);
            if (start != NULL && start >= floor && (next_start == NULL || start < next_start)) {
                next = &st->cols[i];
                next_start = start;
                next_len = len;
            }
        }
        if (next == NULL)
            break;
        floor = next_start + 1;
        if (next_start != top) {
            floe_memmove(top, next_start, next_len);
            floe_dict_moved(&next->dict, top);
        }
        top += FLOE_ALIGN_UP(next_len, 8u);
    }
    floe_arena_rewind(&st->dict_pool, (size_t)(top - base));
}

/* Doubles whichever budget of c's dictionary a value of value_len bytes
 * found full (entries, or for strings the value bytes, doubled until the
 * value fits), from the pool, keeping every entry's index: a column of a
 * few long ids does not take a table for thousands. FLOE_ERR_LIMIT when
 * that budget is at its maximum or the pool is spent. */
static int grow_dictionary(struct floe_parquet_state *st, struct column *c, size_t value_len)
{
    struct floe_dict bigger;
    uint32_t n = floe_dict_count(&c->dict), i, idx;
    uint32_t entries = c->dict.max_entries;
    size_t bytes = c->dict.max_bytes;
    if (n >= c->dict.cap_entries) {
        if (entries >= st->dict_entries_max)
            return FLOE_ERR_LIMIT;
        entries = entries * 2u > st->dict_entries_max ? st->dict_entries_max : entries * 2u;
    }
    if (c->phys != PHYS_BYTE_ARRAY) {
        /* dict_bytes budgets string values; fixed-width ones take entries x width. */
        bytes = (size_t)entries * c->dict.width;
    } else if (value_len > bytes - c->dict.bytes) {
        if (bytes >= st->dict_bytes_max)
            return FLOE_ERR_LIMIT;
        while (value_len > bytes - c->dict.bytes && bytes < st->dict_bytes_max)
            bytes *= 2u;
        if (bytes > st->dict_bytes_max)
            bytes = st->dict_bytes_max;
        if (value_len > bytes - c->dict.bytes)
            return FLOE_ERR_LIMIT;
    }
    if (entries == c->dict.max_entries && bytes == c->dict.max_bytes)
        return FLOE_ERR_LIMIT; /* neither budget was full */
    if (floe_dict_init(&bigger, &st->dict_pool, dict_kind(c->phys), entries, bytes) != FLOE_OK)
        return FLOE_ERR_LIMIT;
    for (i = 0; i < n; i++) {
        int err;
        if (c->phys == PHYS_BYTE_ARRAY) {
            const uint8_t *v;
            size_t len;
            floe_dict_get_bytes(&c->dict, i, &v, &len);
            err = floe_dict_insert(&bigger, v, len, &idx);
        } else if (c->dict.kind == FLOE_DICT_FIXED4) {
            err = floe_dict_insert_u32(&bigger, (uint32_t)floe_dict_get_fixed(&c->dict, i), &idx);
        } else {
            err = floe_dict_insert_u64(&bigger, floe_dict_get_fixed(&c->dict, i), &idx);
        }
        if (err != FLOE_OK || idx != i)
            return FLOE_ERR_LIMIT;
    }
    floe_memset(&c->dict, 0, sizeof c->dict); /* its tables are now a hole */
    c->dict = bigger;
    compact_dictionaries(st);
    return FLOE_OK;
}

static int write_dict_page(struct floe_parquet *pq, struct column *c, struct chunk_meta *m)
{
    struct floe_parquet_state *st = pq->st;
    struct floe_buf plain;
    uint8_t hdr[PAGE_HEADER_MAX];
    size_t comp, hdr_len;
    floe_buf_init(&plain, st->scratch, st->scratch_cap);
    FLOE_TRY(floe_dict_write_plain(&c->dict, &plain));
    FLOE_TRY(compress(st, plain.p, plain.len, &comp));
    FLOE_TRY(page_header(hdr, PAGE_DICT, plain.len, comp, floe_dict_count(&c->dict), ENC_PLAIN, &hdr_len));
    m->dict_offset = (int64_t)pq->stats.bytes;
    FLOE_TRY(sink_write(pq, hdr, hdr_len));
    FLOE_TRY(sink_write(pq, st->cbuf, comp));
    m->encodings |= 1u << ENC_PLAIN;
    m->comp_size += (int64_t)(comp + hdr_len);
    m->uncomp_size += (int64_t)(plain.len + hdr_len);
    return FLOE_OK;
}

/* Whether a dictionary entry's bits are a float NaN (FLOAT or DOUBLE). */
static int is_nan_bits(uint8_t phys, uint64_t x)
{
    if (phys == PHYS_FLOAT)
        return (x & 0x7f800000u) == 0x7f800000u && (x & 0x007fffffu) != 0;
    return (x & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (x & 0x000fffffffffffffull) != 0;
}

/* The chunk's Bloom filter, from its dictionary (every distinct non-null
 * value of the chunk), hashed over each value's PLAIN bytes. */
static int write_bloom_filter(struct floe_parquet *pq, const struct column *c, struct chunk_meta *m)
{
    struct floe_parquet_state *st = pq->st;
    uint32_t n = floe_dict_count(&c->dict), i;
    size_t bytes = floe_bloom_bytes(n, st->scratch_cap), hdr_len;
    int floating = c->phys == PHYS_FLOAT || c->phys == PHYS_DOUBLE;
    uint8_t hdr[FLOE_BLOOM_HEADER_MAX];
    if (bytes == 0)
        return FLOE_OK;
    floe_memset(st->scratch, 0, bytes);
    for (i = 0; i < n; i++) {
        uint8_t plain[8];
        const uint8_t *v = plain;
        size_t len;
        if (c->phys == PHYS_BYTE_ARRAY) {
            FLOE_TRY(floe_dict_get_bytes(&c->dict, i, &v, &len));
        } else {
            uint64_t x = floe_dict_get_fixed(&c->dict, i);
            len = c->dict.width;
            if (floating && is_nan_bits(c->phys, x))
                return FLOE_OK; /* NaN equals nothing, or itself, by the reader: no filter */
            if (floating && (x << (len == 8 ? 1 : 33)) == 0) {
                /* ±0: readers find -0.0 for 0.0 and back, so both go in. */
                floe_put_le64(plain, x ^ (len == 8 ? 0x8000000000000000ull : 0x80000000u));
                floe_bloom_insert(st->scratch, bytes, floe_xxh64(plain, len, 0));
            }
            floe_put_le64(plain, x); /* a FIXED4 value is the low 4 bytes */
        }
        floe_bloom_insert(st->scratch, bytes, floe_xxh64(v, len, 0));
    }
    hdr_len = floe_bloom_header(hdr, sizeof hdr, bytes);
    FLOE_FAIL_IF(hdr_len == 0, FLOE_ERR_NOMEM);
    m->bloom_offset = (int64_t)pq->stats.bytes;
    FLOE_TRY(sink_write(pq, hdr, hdr_len));
    FLOE_TRY(sink_write(pq, st->scratch, bytes));
    m->bloom_len = (uint32_t)(hdr_len + bytes);
    return FLOE_OK;
}

/* ---- page index ---------------------------------------------------------- */

/* A stored page's record length (the bytes between its link and header). */
static size_t stored_rec_len(const uint8_t *at)
{
    return PAGE_REC_FIXED + at[STORE_LINK + 9] + at[STORE_LINK + 10];
}

/* The data pages of a chunk as written: the stored ones in order, then the
 * one assembled at the row group's end. */
struct page_iter {
    const uint8_t *store;
    uint32_t next;       /* store offset + 1; 0: none left */
    const uint8_t *last; /* link and record of the last page; NULL: none (left) */
    int64_t offset;      /* in the file */
    int64_t first_row;   /* in the row group */
};

struct page_view {
    int64_t offset, first_row;
    uint32_t size, values, nulls;
    uint8_t flags, min_len, max_len;
    const uint8_t *min, *max;
};

static int page_iter_next(struct page_iter *it, struct page_view *v)
{
    const uint8_t *at, *rec;
    if (it->next != 0) {
        at = it->store + it->next - 1;
        it->next = floe_get_le32(at);
    } else if (it->last != NULL) {
        at = it->last;
        it->last = NULL;
    } else {
        return 0;
    }
    rec = at + STORE_LINK;
    v->offset = it->offset;
    v->first_row = it->first_row;
    v->size = floe_get_le32(at + 4);
    v->values = floe_get_le32(rec);
    v->nulls = floe_get_le32(rec + 4);
    v->flags = rec[8];
    v->min_len = rec[9];
    v->max_len = rec[10];
    v->min = rec + PAGE_REC_FIXED;
    v->max = v->min + v->min_len;
    it->offset += v->size;
    it->first_row += v->values; /* flat columns: a value per row */
    return 1;
}

/* Order of two PLAIN min/max values of one physical type (no NaN). */
static int plain_cmp(uint8_t phys, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    switch (phys) {
    case PHYS_BYTE_ARRAY:
        return bytes_cmp(a, alen, b, blen);
    case PHYS_BOOLEAN:
        return (int)a[0] - (int)b[0];
    case PHYS_INT32: {
        int32_t x = (int32_t)floe_get_le32(a), y = (int32_t)floe_get_le32(b);
        return (x > y) - (x < y);
    }
    case PHYS_INT64: {
        int64_t x = (int64_t)floe_get_le64(a), y = (int64_t)floe_get_le64(b);
        return (x > y) - (x < y);
    }
    case PHYS_FLOAT: {
        uint32_t xb = floe_get_le32(a), yb = floe_get_le32(b);
        float x, y;
        floe_memcpy(&x, &xb, 4);
        floe_memcpy(&y, &yb, 4);
        return (x > y) - (x < y);
    }
    default: {
        uint64_t xb = floe_get_le64(a), yb = floe_get_le64(b);
        double x, y;
        floe_memcpy(&x, &xb, 8);
        floe_memcpy(&y, &yb, 8);
        return (x > y) - (x < y);
    }
    }
}

/* Whether the chunk's pages can have a ColumnIndex, and its boundary order.
 * A page with a NaN has none: NaN is in no min/max, and readers that order
 * NaN above every number would skip that page for it (parquet-java drops
 * the index for the same reason). So does a page of strings whose max has
 * no short upper bound. */
static int column_index_order(const struct column *c, struct page_iter it, int *order)
{
    struct page_view v, prev;
    int have_prev = 0, asc = 1, desc = 1, null_page = 0;
    while (page_iter_next(&it, &v)) {
        if (v.flags & (REC_HAS_NAN | REC_NO_MAX))
            return 0;
        if (v.values == v.nulls) {
            null_page = 1;
            continue;
        }
        if (!(v.flags & REC_HAS_MINMAX))
            return 0;
        if (have_prev) {
            int lo = plain_cmp(c->phys, prev.min, prev.min_len, v.min, v.min_len);
            int hi = plain_cmp(c->phys, prev.max, prev.max_len, v.max, v.max_len);
            asc &= lo <= 0 && hi <= 0;
            desc &= lo >= 0 && hi >= 0;
        }
        prev = v;
        have_prev = 1;
    }
    /* Readers binary-search ordered bounds: only claim an order with no null
     * page among them. */
    *order = null_page ? BOUNDARY_UNORDERED : asc ? BOUNDARY_ASCENDING : desc ? BOUNDARY_DESCENDING
                                                                      : BOUNDARY_UNORDERED;
    return 1;
}

static void write_column_index(struct floe_thrift_writer *w, struct page_iter it, uint32_t n, int order)
{
    struct page_iter again = it;
    struct page_view v;
    floe_thrift_write_list_begin(w, 1, FLOE_THRIFT_BOOL, n); /* null_pages */
    while (page_iter_next(&it, &v))
        floe_thrift_write_elem_bool(w, v.values == v.nulls);
    floe_thrift_write_list_end(w);
    it = again;
    floe_thrift_write_list_begin(w, 2, FLOE_THRIFT_BINARY, n); /* min_values: empty for a null page */
    while (page_iter_next(&it, &v))
        floe_thrift_write_elem_binary(w, v.min, v.values == v.nulls ? 0u : v.min_len);
    floe_thrift_write_list_end(w);
    it = again;
    floe_thrift_write_list_begin(w, 3, FLOE_THRIFT_BINARY, n); /* max_values */
    while (page_iter_next(&it, &v))
        floe_thrift_write_elem_binary(w, v.max, v.values == v.nulls ? 0u : v.max_len);
    floe_thrift_write_list_end(w);
    floe_thrift_write_i32(w, 4, order);
    it = again;
    floe_thrift_write_list_begin(w, 5, FLOE_THRIFT_I64, n); /* null_counts */
    while (page_iter_next(&it, &v))
        floe_thrift_write_elem_i64(w, v.nulls);
    floe_thrift_write_list_end(w);
}

static void write_offset_index(struct floe_thrift_writer *w, struct page_iter it, uint32_t n)
{
    struct page_view v;
    floe_thrift_write_list_begin(w, 1, FLOE_THRIFT_STRUCT, n); /* page_locations */
    while (page_iter_next(&it, &v)) {
        floe_thrift_write_elem_struct_begin(w);
        floe_thrift_write_i64(w, 1, v.offset);
        floe_thrift_write_i32(w, 2, (int32_t)v.size); /* header included */
        floe_thrift_write_i64(w, 3, v.first_row);
        floe_thrift_write_struct_end(w);
    }
    floe_thrift_write_list_end(w);
}

/* Adds the chunk's OffsetIndex and ColumnIndex to the file's index buffer
 * (see struct floe_parquet_state). m is the open row group's chunk i. */
static void write_page_index(struct floe_parquet_state *st, const struct column *c, struct chunk_meta *m,
                             const uint8_t *last)
{
    struct page_iter it, count;
    struct page_view v;
    struct floe_thrift_writer w;
    uint32_t n = 0;
    int order, len;
    size_t k;
    it.store = st->store;
    it.next = c->first_page;
    it.last = last;
    it.offset = m->data_offset;
    it.first_row = 0;
    count = it;
    while (page_iter_next(&count, &v))
        n++;
    if (n == 0 || st->no_page_index)
        return;
    floe_thrift_writer_init(&w, st->index + st->index_len, st->ci_low - st->index_len);
    write_offset_index(&w, it, n);
    len = floe_thrift_writer_finish(&w);
    if (len <= 0 && st->ci_low < st->index_cap) {
        /* The ColumnIndexes so far make way; the file gets no more. */
        for (k = 0; st->chunks + k < m; k++)
            st->chunks[k].column_index_len = 0;
        st->ci_low = st->index_cap;
        st->no_column_index = 1;
        floe_thrift_writer_init(&w, st->index + st->index_len, st->ci_low - st->index_len);
        write_offset_index(&w, it, n);
        len = floe_thrift_writer_finish(&w);
    }
    if (len <= 0) {
        st->no_page_index = 1;
        return;
    }
    m->offset_index_at = (uint32_t)st->index_len;
    m->offset_index_len = (uint32_t)len;
    st->index_len += (size_t)len;
    if (st->no_column_index || !column_index_order(c, it, &order))
        return;
    /* Laid out in the gap, then moved to the back. */
    floe_thrift_writer_init(&w, st->index + st->index_len, st->ci_low - st->index_len);
    write_column_index(&w, it, n, order);
    len = floe_thrift_writer_finish(&w);
    if (len <= 0)
        return; /* this chunk has none */
    st->ci_low -= (size_t)len;
    floe_memmove(st->index + st->ci_low, st->index + st->index_len, (size_t)len);
    m->column_index_at = (uint32_t)st->ci_low;
    m->column_index_len = (uint32_t)len;
}

/* Writes every column chunk of the open row group, then resets for the next. */
static int flush_row_group(struct floe_parquet *pq)
{
    struct floe_parquet_state *st = pq->st;
    struct rg_meta *rg;
    uint8_t last[STORED_PAGE_EXTRA]; /* the page assembled here, as a stored one's link and record */
    int has_last;
    uint32_t i;
    if (st->rg_rows == 0)
        return FLOE_OK;
    FLOE_ASSERT(st->n_rgs < st->max_rgs);
    rg = &st->rgs[st->n_rgs];
    rg->offset = (int64_t)pq->stats.bytes;
    rg->rows = (int64_t)st->rg_rows;
    rg->comp_size = rg->uncomp_size = 0;
    for (i = 0; i < st->n_cols; i++) {
        struct column *c = &st->cols[i];
        struct chunk_meta *m = &st->chunks[(size_t)st->n_rgs * st->n_cols + i];
        uint32_t page = c->first_page;
        floe_memset(m, 0, sizeof *m);
        m->dict_offset = -1;
        m->bloom_offset = -1;
        /* The current page joins the chunk: encode it now, so the
         * dictionary page written first knows every entry. */
        if (c->dict_pages > 0 || (c->page_enc == ENC_RLE_DICT && c->page_values > 0))
            FLOE_TRY(write_dict_page(pq, c, m));
        m->data_offset = (int64_t)pq->stats.bytes;
        while (page != 0) {
            const uint8_t *at = st->store + page - 1;
            FLOE_TRY(sink_write(pq, at + STORE_LINK + stored_rec_len(at), floe_get_le32(at + 4)));
            page = floe_get_le32(at);
        }
        has_last = 0;
        if (c->page_values > 0) {
            size_t uncomp, comp, hdr_len;
            uint8_t hdr[PAGE_HEADER_MAX];
            (void)end_page_stats(c, last + STORE_LINK);
            FLOE_TRY(assemble_page(st, c, &uncomp));
            FLOE_TRY(pack_page(st, c, uncomp, hdr, &hdr_len, &comp));
            FLOE_TRY(sink_write(pq, hdr, hdr_len));
            FLOE_TRY(sink_write(pq, st->cbuf, comp));
            note_page(c, uncomp, comp, hdr_len);
            has_last = 1;
            floe_put_le32(last + 4, (uint32_t)(hdr_len + comp));
        }
        if (st->index != NULL)
            write_page_index(st, c, m, has_last ? last : NULL);
        m->encodings |= c->encodings;
        /* Every value is in the dictionary only if every page used it. */
        m->bloom_due = st->bloom && c->dict_pages > 0 && floe_dict_count(&c->dict) > 0 &&
                       (c->encodings & ~(uint16_t)(1u << ENC_RLE_DICT)) == 0;
        if (c->nullable)
            m->encodings |= 1u << ENC_RLE;
        m->comp_size += c->comp_size;
        m->uncomp_size += c->uncomp_size;
        m->num_values = (int64_t)c->rg_values;
        m->null_count = (int64_t)c->rg_nulls;
        stats_to_meta(c, m);
        rg->comp_size += m->comp_size;
        rg->uncomp_size += m->uncomp_size;
        if (c->dict_state == DICT_OFF)
            c->dict_state = DICT_NEVER; /* not worth trying again in this file */
        c->dict_gave_up = c->dict_state == DICT_NEVER;
        reset_column_for_row_group(c);
    }
    /* After the chunks, so each chunk's pages stay one range. */
    for (i = 0; i < st->n_cols; i++) {
        struct chunk_meta *m = &st->chunks[(size_t)st->n_rgs * st->n_cols + i];
        if (m->bloom_due)
            FLOE_TRY(write_bloom_filter(pq, &st->cols[i], m));
    }
    st->n_rgs++;
    st->rg_rows = 0;
    st->bloom_est = 0;
    st->store_len = 0;
    reset_dictionaries(st);
    pq->stats.row_groups = st->n_rgs;
    return FLOE_OK;
}

/* ---- rows ---------------------------------------------------------------- */

static int dict_insert_value(struct column *c, const struct floe_value *v, uint32_t *index);
static int grow_dictionary(struct floe_parquet_state *st, struct column *c, size_t value_len);

/* The column's dictionary took a new entry: its filter may have grown. */
static void note_bloom_size(struct floe_parquet_state *st, struct column *c)
{
    uint32_t b = (uint32_t)(floe_bloom_bytes(floe_dict_count(&c->dict), st->scratch_cap) + FLOE_BLOOM_HEADER_MAX);
    st->bloom_est = st->bloom_est - c->bloom_size + b;
    c->bloom_size = b;
}

/* When a page's dictionary indices outgrow their bit width, re-packing the
 * page at the new width costs its values the extra bits; a new page costs a
 * header and page index entries. Re-pack while it adds at most this many
 * bytes (measured on the bench data against 32 to 256 and always: 128 had
 * about the smallest files, single ones and rolled every 5,000 rows, with
 * a third fewer pages than 64 and two thirds fewer than cutting every time). */
#define WIDEN_MAX_GROWTH 128u

/* A dictionary is judged once it has this many entries. One that gave up
 * in the last row group (in the last file, for a file's first) is judged
 * sooner, and so is an integer column's from the start: timestamps and
 * counters give up in every file, and judged at 1,024 their dictionary page
 * and the pages before it took about 5 KB of snappy output per column per
 * file (4 files of 5,000 bench rows) and `ts` and `seq` held 49 KB of
 * dictionary through the first row group (about 80 KB of peak RSS, means of
 * 8 runs). An integer column that gives up goes DELTA, which codes a few
 * hundred random codes about as well as a dictionary. */
#define DICT_TRIAL 1024u
#define DICT_SHORT_TRIAL 128u
#define IS_INTEGER(c) ((c)->phys == PHYS_INT32 || (c)->phys == PHYS_INT64)

/* Whether a dictionary of index + 1 entries, past its trial, took so many of
 * the column's values new that it would only add a page. Integers give up
 * above 90% new: their fallback, DELTA, suits counters and timestamps.
 * Other types give up above 31 in 32, the rate of a column of about 16,000
 * or more distinct values, which would outgrow the dictionary anyway: one of
 * a few thousand readings (90 to 95% new at this point) gains more from its
 * dictionary than from BYTE_STREAM_SPLIT or PLAIN. */
static int mostly_new(const struct column *c, uint32_t index)
{
    uint64_t values = c->rg_values - c->rg_nulls;
    if (c->phys == PHYS_INT32 || c->phys == PHYS_INT64)
        return (uint64_t)index * 10u > values * 9u;
    return (uint64_t)index * 32u > values * 31u;
}

/* Makes room for one value in c's page and picks its encoding; for a
 * dictionary-encoded page, *index gets the value's entry. Pages may be
 * flushed here, never the row group: write_row made sure the store can take
 * one more page of every column before the row began. */
static int prepare_value(struct floe_parquet *pq, struct column *c, const struct floe_value *v, uint32_t *index)
{
    size_t need = APPEND_SLACK;
    int err;
    if (c->page_values >= FLOE_PARQUET_PAGE_MAX_VALUES)
        FLOE_TRY(flush_page(pq, c));
    if (v->is_null)
        return FLOE_OK;
    if (c->page_enc != ENC_RLE_DICT && c->phys == PHYS_BYTE_ARRAY)
        need += 4u + v->v.str.len;
    if (c->values.cap - c->values.len < need)
        FLOE_TRY(flush_page(pq, c));
    if (c->dict_state != DICT_TRY)
        return FLOE_OK;
    err = dict_insert_value(c, v, index);
    if (err == FLOE_ERR_LIMIT &&
        grow_dictionary(pq->st, c, c->phys == PHYS_BYTE_ARRAY ? v->v.str.len : 0u) == FLOE_OK)
        err = dict_insert_value(c, v, index);
    if (err == FLOE_OK && *index >= (c->dict_gave_up || IS_INTEGER(c) ? DICT_SHORT_TRIAL : DICT_TRIAL) &&
        mostly_new(c, *index))
        err = FLOE_ERR_LIMIT;
    if (err == FLOE_ERR_LIMIT) {
        /* Fall back for the rest of the row group: the page so far keeps
         * its indices, the next one is in the fallback encoding. */
        c->dict_state = DICT_OFF;
        pq->st->bloom_est -= c->bloom_size; /* no filter for this chunk now */
        c->bloom_size = 0;
        FLOE_TRY(flush_page(pq, c));
        if (c->page_values == 0)
            begin_page(c);
        if (c->phys == PHYS_BYTE_ARRAY && c->values.cap - c->values.len < 4u + v->v.str.len + APPEND_SLACK)
            return FLOE_ERR_LIMIT;
        return FLOE_OK;
    }
    if (err != FLOE_OK)
        return err;
    if (floe_bit_width(*index) > c->idx_width) {
        /* The indices outgrew this page's bit width: the page so far is
         * re-packed at the new one, or, where that would cost more than
         * WIDEN_MAX_GROWTH or leave no room, ends. */
        c->idx_width = (uint8_t)floe_bit_width(*index);
        if (floe_rle_widen(&c->enc.idx, c->idx_width, WIDEN_MAX_GROWTH, APPEND_SLACK) == FLOE_OK) {
            c->values.p[c->enc.idx.start - 1u] = c->idx_width;
        } else {
            FLOE_TRY(flush_page(pq, c));
            if (c->page_values == 0)
                begin_page(c);
        }
    }
    return FLOE_OK;
}

static int dict_insert_value(struct column *c, const struct floe_value *v, uint32_t *index)
{
    int err;
    switch (c->phys) {
    case PHYS_BYTE_ARRAY:
        err = floe_dict_insert(&c->dict, v->v.str.ptr, v->v.str.len, index);
        break;
    case PHYS_FLOAT: {
        uint32_t bits;
        floe_memcpy(&bits, &v->v.f32, 4);
        err = floe_dict_insert_u32(&c->dict, bits, index);
        break;
    }
    case PHYS_DOUBLE: {
        uint64_t bits;
        floe_memcpy(&bits, &v->v.f64, 8);
        err = floe_dict_insert_u64(&c->dict, bits, index);
        break;
    }
    case PHYS_INT32:
        err = floe_dict_insert_u32(&c->dict, (uint32_t)(int32_t)v->v.i64, index);
        break;
    default:
        err = floe_dict_insert_u64(&c->dict, (uint64_t)v->v.i64, index);
        break;
    }
    return err;
}

static void put_value(struct column *c, const struct floe_value *v, uint32_t index)
{
    switch (c->page_enc) {
    case ENC_RLE_DICT:
        floe_rle_put(&c->enc.idx, index);
        return;
    case ENC_DELTA:
        floe_delta_put(&c->enc.delta, v->v.i64);
        return;
    case ENC_RLE:
        floe_rle_put(&c->enc.idx, v->v.b != 0);
        return;
    default:
        break;
    }
    switch (c->phys) {
    case PHYS_INT32:
        floe_plain_put_i32(&c->values, (int32_t)v->v.i64);
        break;
    case PHYS_INT64:
        floe_plain_put_i64(&c->values, v->v.i64);
        break;
    case PHYS_FLOAT:
        floe_plain_put_float(&c->values, v->v.f32);
        break;
    case PHYS_DOUBLE:
        floe_plain_put_double(&c->values, v->v.f64);
        break;
    default:
        floe_plain_put_byte_array(&c->values, v->v.str.ptr, v->v.str.len);
        break;
    }
}

/* Whether the column refuses value v for what it holds: a null where the
 * column is REQUIRED, a string longer than a page. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int refuse_value(struct floe_parquet_state *st, const struct column *c, const struct floe_value *v)
{
    if (v->is_null && !c->nullable)
        return FLOE_ERR_MISSING;
    if (!v->is_null && c->phys == PHYS_BYTE_ARRAY && (size_t)v->v.str.len + 4u + APPEND_SLACK > st->page_bytes) {
        floe_format(st->reject, sizeof st->reject,
                    "column \"%s\": a value of %u bytes does not fit a page (page_bytes %u)", c->name,
                    (unsigned)v->v.str.len, (unsigned)st->page_bytes);
        return FLOE_ERR_LIMIT;
    }
    return FLOE_OK;
}

/* Checks the row (a rejected row leaves nothing behind) and says what the
 * store must hold for it. A row never spans row groups, and every column
 * may flush one page while taking it, so *need is one more page of each
 * column at its present size (or, with empty_pages, at the start of a row
 * group: the least any row group can need for the row). */
static int check_row(struct floe_parquet_state *st, const struct floe_value *values, int empty_pages,
                     size_t *need)
{
    uint32_t i;
    *need = 0;
    for (i = 0; i < st->n_cols; i++) {
        const struct column *c = &st->cols[i];
        const struct floe_value *v = &values[i];
        size_t page = APPEND_SLACK + FLOE_DELTA_HEADER_MAX + 64u;
        FLOE_TRY(refuse_value(st, c, v));
        if (!empty_pages)
            page += c->levels.len + c->values.len;
        if (!v->is_null && c->phys == PHYS_BYTE_ARRAY)
            page += 4u + v->v.str.len;
        /* Snappy's worst case, written out. It covers zstd's too
         * (n + n/256 + 64 at most), as page > 1280. */
        *need += STORED_PAGE_EXTRA + PAGE_HEADER_MAX + 32u + page + page / 6u;
    }
    return FLOE_OK;
}

static int refuse_row_too_big(struct floe_parquet_state *st)
{
    floe_format(st->reject, sizeof st->reject,
                "the row's pages need more than a whole row group (row_group_bytes %zu)", st->store_cap);
    return FLOE_ERR_LIMIT;
}

int floe_parquet_check_row(struct floe_parquet *pq, const struct floe_value *values)
{
    size_t need;
    FLOE_FAIL_IF(pq == NULL || pq->st == NULL || values == NULL, FLOE_ERR_INVAL);
    FLOE_TRY(check_row(pq->st, values, 1, &need));
    return need > pq->st->store_cap ? refuse_row_too_big(pq->st) : FLOE_OK;
}

/* The most one value can add to stored pages: its PLAIN bytes twice (a
 * dictionary entry and the value or index in a page), 5 for its index and
 * level and the page headers a page of them takes, a quarter more for the
 * codec (Snappy's worst case is a sixth, plus 32 bytes a page). */
size_t floe_parquet_row_bound(const struct floe_parquet *pq, const struct floe_value *values)
{
    const struct floe_parquet_state *st;
    size_t bound = 0;
    uint32_t i;
    if (pq == NULL || pq->st == NULL || values == NULL)
        return 0;
    st = pq->st;
    for (i = 0; i < st->n_cols; i++) {
        const struct column *c = &st->cols[i];
        size_t plain = 0;
        if (!values[i].is_null)
            plain = c->phys == PHYS_BYTE_ARRAY                          ? 4u + values[i].v.str.len
                    : c->phys == PHYS_INT32 || c->phys == PHYS_FLOAT ? 4u
                    : c->phys == PHYS_BOOLEAN                        ? 1u
                                                                     : 8u;
        bound += 2u * plain + 5u;
    }
    return bound + bound / 4u;
}

/* A row group is closed only when a row's need (check_row) does not fit
 * the store, so every closed one holds more than store_cap - need_max of
 * pages, and those came from its rows' bounds (the few pages a chunk ends
 * early, on a dictionary fallback, aside). Rows whose bounds add up to T
 * close at most 1 + T / that many row groups, and the file reports
 * FLOE_PARQUET_FILE_FULL only at its (max_rgs - n_rgs)th close. */
uint64_t floe_parquet_sure_room(const struct floe_parquet *pq)
{
    const struct floe_parquet_state *st;
    uint64_t need_max = 0, per_group;
    uint32_t i, used;
    if (pq == NULL || pq->st == NULL)
        return 0;
    st = pq->st;
    used = st->open ? st->n_rgs : 0u;
    for (i = 0; i < st->n_cols; i++)
        need_max += column_need_max(st->cols[i].phys, st->page_bytes);
    if (need_max >= st->store_cap || used + 2u >= st->max_rgs)
        return 0;
    per_group = st->store_cap - need_max;
    return per_group * (uint64_t)(st->max_rgs - 2u - used);
}

int floe_parquet_write_row(struct floe_parquet *pq, const struct floe_value *values)
{
    struct floe_parquet_state *st;
    uint32_t i;
    size_t need;
    FLOE_FAIL_IF(pq == NULL || pq->st == NULL || values == NULL, FLOE_ERR_INVAL);
    st = pq->st;
    FLOE_FAIL_IF(!st->open, FLOE_ERR_STATE);
    FLOE_TRY(check_row(st, values, 0, &need));
    if (need > st->store_cap - st->store_len) {
        size_t need_alone;
        (void)check_row(st, values, 1, &need_alone);
        if (need_alone > st->store_cap || st->rg_rows == 0)
            return refuse_row_too_big(st); /* an empty row group cannot take it: no file ever will */
        if (st->n_rgs + 1u >= st->max_rgs)
            return FLOE_PARQUET_FILE_FULL; /* close the file, write the row to the next */
        FLOE_TRY(flush_row_group(pq));
    }
    for (i = 0; i < st->n_cols; i++) {
        struct column *c = &st->cols[i];
        const struct floe_value *v = &values[i];
        uint32_t index = 0;
        FLOE_TRY(prepare_value(pq, c, v, &index));
        if (c->nullable)
            floe_rle_put(&c->def, v->is_null ? 0u : 1u);
        c->page_values++;
        c->rg_values++;
        if (v->is_null) {
            c->page_nulls++;
            c->rg_nulls++;
            continue;
        }
        put_value(c, v, index);
        if (c->page_enc == ENC_RLE_DICT && st->bloom && index + 1u == floe_dict_count(&c->dict))
            note_bloom_size(st, c); /* a new dictionary entry */
        if (c->page_enc == ENC_RLE_DICT && index < c->seen_bits) {
            /* The page's min and max come from its distinct entries when it ends. */
            uint32_t w = index / 64u;
            while (c->seen_words <= w)
                c->seen[c->seen_words++] = 0;
            c->seen[w] |= 1ull << (index % 64u);
        } else {
            stat_value(&c->page, c->phys, v);
        }
    }
    st->rg_rows++;
    pq->stats.rows++;
    pq->stats.rows_total++;
    return FLOE_OK;
}

const char *floe_parquet_reject_reason(const struct floe_parquet *pq)
{
    return pq != NULL && pq->st != NULL ? pq->st->reject : "";
}

uint64_t floe_parquet_pending_bytes(const struct floe_parquet *pq)
{
    const struct floe_parquet_state *st = pq != NULL ? pq->st : NULL;
    return st != NULL ? st->store_len + st->bloom_est + st->index_len + (st->index_cap - st->ci_low) : 0;
}

/* ---- files --------------------------------------------------------------- */

int floe_parquet_open(struct floe_parquet *pq, const struct floe_parquet_sink *sink)
{
    struct floe_parquet_state *st;
    uint32_t i;
    FLOE_FAIL_IF(pq == NULL || pq->st == NULL || sink == NULL || sink->write == NULL, FLOE_ERR_INVAL);
    st = pq->st;
    FLOE_FAIL_IF(st->open, FLOE_ERR_STATE);
    st->sink = sink;
    st->n_rgs = 0;
    st->rg_rows = 0;
    st->store_len = 0;
    st->bloom_est = 0; /* an aborted file may have left its row group's */
    st->index_len = 0;
    st->ci_low = st->index_cap;
    st->no_column_index = 0;
    st->no_page_index = 0;
    st->kv_len = 0;
    st->n_kv = 0;
    pq->stats.rows = 0;
    pq->stats.bytes = 0;
    pq->stats.row_groups = 0;
    for (i = 0; i < st->n_cols; i++) {
        st->cols[i].dict_state = st->cols[i].phys == PHYS_BOOLEAN ? DICT_NONE : DICT_TRY;
        reset_column_for_row_group(&st->cols[i]);
    }
    reset_dictionaries(st);
    st->open = 1;
    return sink_write(pq, "PAR1", 4);
}

int floe_parquet_add_kv(struct floe_parquet *pq, const char *key, const char *value)
{
    struct floe_parquet_state *st;
    size_t kl, vl;
    FLOE_FAIL_IF(pq == NULL || pq->st == NULL || key == NULL || value == NULL, FLOE_ERR_INVAL);
    st = pq->st;
    kl = floe_strlen(key);
    vl = floe_strlen(value);
    if (st->n_kv >= KV_MAX || KV_BYTES - st->kv_len < kl + vl + 2)
        return FLOE_ERR_LIMIT;
    floe_memcpy(st->kv + st->kv_len, key, kl + 1);
    floe_memcpy(st->kv + st->kv_len + kl + 1, value, vl + 1);
    st->kv_len += kl + vl + 2;
    st->n_kv++;
    return FLOE_OK;
}

/* Writes what the footer writer holds and empties it: the footer can be
 * larger than any buffer floe keeps, so it is streamed in pieces. */
static int footer_drain(struct floe_parquet *pq, struct floe_thrift_writer *w, int force)
{
    if (w->err != 0)
        return w->err;
    if (!force && w->cap - w->len >= FOOTER_DRAIN)
        return FLOE_OK;
    FLOE_TRY(sink_write(pq, w->buf, w->len));
    w->len = 0;
    return FLOE_OK;
}

static void write_schema_element(struct floe_thrift_writer *w, const struct column *c)
{
    floe_thrift_write_elem_struct_begin(w);
    floe_thrift_write_i32(w, 1, c->phys);
    floe_thrift_write_i32(w, 3, c->nullable ? REP_OPTIONAL : REP_REQUIRED);
    floe_thrift_write_string(w, 4, c->name);
    switch (c->type) {
    case FLOE_TYPE_STRING:
        floe_thrift_write_i32(w, 6, CONV_UTF8);
        floe_thrift_write_struct_begin(w, 10);
        floe_thrift_write_struct_begin(w, 1); /* StringType */
        floe_thrift_write_struct_end(w);
        floe_thrift_write_struct_end(w);
        break;
    case FLOE_TYPE_JSON:
        floe_thrift_write_i32(w, 6, CONV_JSON);
        floe_thrift_write_struct_begin(w, 10);
        floe_thrift_write_struct_begin(w, 12); /* JsonType */
        floe_thrift_write_struct_end(w);
        floe_thrift_write_struct_end(w);
        break;
    case FLOE_TYPE_DATE:
        floe_thrift_write_i32(w, 6, CONV_DATE);
        floe_thrift_write_struct_begin(w, 10);
        floe_thrift_write_struct_begin(w, 6); /* DateType */
        floe_thrift_write_struct_end(w);
        floe_thrift_write_struct_end(w);
        break;
    case FLOE_TYPE_TIMESTAMP_MS:
    case FLOE_TYPE_TIMESTAMP_US:
        floe_thrift_write_i32(w, 6, c->type == FLOE_TYPE_TIMESTAMP_MS ? CONV_TS_MILLIS : CONV_TS_MICROS);
        floe_thrift_write_struct_begin(w, 10);
        floe_thrift_write_struct_begin(w, 8); /* TimestampType */
        floe_thrift_write_bool(w, 1, 1);      /* isAdjustedToUTC */
        floe_thrift_write_struct_begin(w, 2); /* TimeUnit */
        floe_thrift_write_struct_begin(w, c->type == FLOE_TYPE_TIMESTAMP_MS ? 1 : 2);
        floe_thrift_write_struct_end(w);
        floe_thrift_write_struct_end(w);
        floe_thrift_write_struct_end(w);
        floe_thrift_write_struct_end(w);
        break;
    default:
        break;
    }
    floe_thrift_write_struct_end(w);
}

static int encodings_count(uint16_t mask)
{
    int n = 0;
    for (; mask != 0; mask &= (uint16_t)(mask - 1u))
        n++;
    return n;
}

/* oi_base, ci_base: where the file's OffsetIndexes and ColumnIndexes start,
 * less their start in the index buffer; oi_base < 0: no page index. */
static void write_column_chunk(struct floe_thrift_writer *w, const struct column *c, const struct chunk_meta *m,
                               uint8_t codec, int64_t oi_base, int64_t ci_base)
{
    int e;
    floe_thrift_write_elem_struct_begin(w);
    floe_thrift_write_i64(w, 2, m->dict_offset >= 0 ? m->dict_offset : m->data_offset);
    floe_thrift_write_struct_begin(w, 3); /* ColumnMetaData */
    floe_thrift_write_i32(w, 1, c->phys);
    floe_thrift_write_list_begin(w, 2, FLOE_THRIFT_I32, (uint32_t)encodings_count(m->encodings));
    for (e = 0; e < 16; e++)
        if (m->encodings & (1u << e))
            floe_thrift_write_elem_i32(w, e);
    floe_thrift_write_list_end(w);
    floe_thrift_write_list_begin(w, 3, FLOE_THRIFT_BINARY, 1);
    floe_thrift_write_elem_binary(w, c->name, floe_strlen(c->name));
    floe_thrift_write_list_end(w);
    floe_thrift_write_i32(w, 4, codec);
    floe_thrift_write_i64(w, 5, m->num_values);
    floe_thrift_write_i64(w, 6, m->uncomp_size);
    floe_thrift_write_i64(w, 7, m->comp_size);
    floe_thrift_write_i64(w, 9, m->data_offset);
    if (m->dict_offset >= 0)
        floe_thrift_write_i64(w, 11, m->dict_offset);
    floe_thrift_write_struct_begin(w, 12); /* Statistics */
    floe_thrift_write_i64(w, 3, m->null_count);
    if (m->has_minmax) {
        if (m->has_max)
            floe_thrift_write_binary(w, 5, m->max, m->max_len);
        floe_thrift_write_binary(w, 6, m->min, m->min_len);
        if (m->has_max)
            floe_thrift_write_bool(w, 7, m->max_exact); /* is_max_value_exact */
        floe_thrift_write_bool(w, 8, m->min_exact);     /* is_min_value_exact */
    }
    floe_thrift_write_struct_end(w);
    if (m->bloom_offset >= 0) {
        floe_thrift_write_i64(w, 14, m->bloom_offset);
        floe_thrift_write_i32(w, 15, (int32_t)m->bloom_len);
    }
    floe_thrift_write_struct_end(w);
    if (oi_base >= 0 && m->offset_index_len > 0) {
        floe_thrift_write_i64(w, 4, oi_base + m->offset_index_at);
        floe_thrift_write_i32(w, 5, (int32_t)m->offset_index_len);
        if (m->column_index_len > 0) {
            floe_thrift_write_i64(w, 6, ci_base + m->column_index_at);
            floe_thrift_write_i32(w, 7, (int32_t)m->column_index_len);
        }
    }
    floe_thrift_write_struct_end(w);
}

static int write_footer(struct floe_parquet *pq)
{
    struct floe_parquet_state *st = pq->st;
    struct floe_thrift_writer w;
    uint64_t start = pq->stats.bytes, rows = 0;
    uint32_t i, r, n_kv = st->n_kv + (st->cfg->schema_json != NULL ? 1u : 0u);
    uint8_t tail[8];
    int len;
    const char *kv = st->kv;
    int64_t oi_base = -1, ci_base = -1;

    /* The page index goes near the footer, where readers look for it, so one
     * read fetches every chunk's: the OffsetIndexes, then the ColumnIndexes. */
    if (st->index_len > 0 && !st->no_page_index) {
        oi_base = (int64_t)pq->stats.bytes;
        ci_base = oi_base + (int64_t)st->index_len - (int64_t)st->ci_low;
        FLOE_TRY(sink_write(pq, st->index, st->index_len));
        FLOE_TRY(sink_write(pq, st->index + st->ci_low, st->index_cap - st->ci_low));
        start = pq->stats.bytes;
    }
    for (r = 0; r < st->n_rgs; r++)
        rows += (uint64_t)st->rgs[r].rows;
    floe_thrift_writer_init(&w, st->cbuf, st->cbuf_cap);
    floe_thrift_write_i32(&w, 1, 1); /* version: 1, what every reader expects */
    floe_thrift_write_list_begin(&w, 2, FLOE_THRIFT_STRUCT, st->n_cols + 1u);
    floe_thrift_write_elem_struct_begin(&w);
    floe_thrift_write_string(&w, 4, "schema");
    floe_thrift_write_i32(&w, 5, (int32_t)st->n_cols);
    floe_thrift_write_struct_end(&w);
    for (i = 0; i < st->n_cols; i++) {
        write_schema_element(&w, &st->cols[i]);
        FLOE_TRY(footer_drain(pq, &w, 0));
    }
    floe_thrift_write_list_end(&w);
    floe_thrift_write_i64(&w, 3, (int64_t)rows);
    floe_thrift_write_list_begin(&w, 4, FLOE_THRIFT_STRUCT, st->n_rgs);
    for (r = 0; r < st->n_rgs; r++) {
        const struct rg_meta *rg = &st->rgs[r];
        floe_thrift_write_elem_struct_begin(&w);
        floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_STRUCT, st->n_cols);
        for (i = 0; i < st->n_cols; i++) {
            write_column_chunk(&w, &st->cols[i], &st->chunks[(size_t)r * st->n_cols + i], st->codec, oi_base,
                               ci_base);
            FLOE_TRY(footer_drain(pq, &w, 0));
        }
        floe_thrift_write_list_end(&w);
        floe_thrift_write_i64(&w, 2, rg->uncomp_size);
        floe_thrift_write_i64(&w, 3, rg->rows);
        floe_thrift_write_i64(&w, 5, rg->offset);
        floe_thrift_write_i64(&w, 6, rg->comp_size);
        floe_thrift_write_i16(&w, 7, (int16_t)r);
        floe_thrift_write_struct_end(&w);
    }
    floe_thrift_write_list_end(&w);
    if (n_kv > 0) {
        floe_thrift_write_list_begin(&w, 5, FLOE_THRIFT_STRUCT, n_kv);
        if (st->cfg->schema_json != NULL) {
            floe_thrift_write_elem_struct_begin(&w);
            floe_thrift_write_string(&w, 1, "floe.schema");
            /* The schema text may be long: let the drain make room first. */
            FLOE_TRY(footer_drain(pq, &w, 1));
            if (floe_strlen(st->cfg->schema_json) + 16 > w.cap)
                floe_thrift_write_string(&w, 2, "(schema too long to store)");
            else
                floe_thrift_write_string(&w, 2, st->cfg->schema_json);
            floe_thrift_write_struct_end(&w);
        }
        for (i = 0; i < st->n_kv; i++) {
            size_t kl = floe_strlen(kv);
            FLOE_TRY(footer_drain(pq, &w, 0));
            floe_thrift_write_elem_struct_begin(&w);
            floe_thrift_write_string(&w, 1, kv);
            floe_thrift_write_string(&w, 2, kv + kl + 1);
            floe_thrift_write_struct_end(&w);
            kv += kl + 1 + floe_strlen(kv + kl + 1) + 1;
        }
        floe_thrift_write_list_end(&w);
    }
    floe_thrift_write_string(&w, 6, "floe version " FLOE_VERSION_STRING);
    /* Every column sorts by its type's order: readers may trust min/max. */
    floe_thrift_write_list_begin(&w, 7, FLOE_THRIFT_STRUCT, st->n_cols);
    for (i = 0; i < st->n_cols; i++) {
        floe_thrift_write_elem_struct_begin(&w);
        floe_thrift_write_struct_begin(&w, 1); /* TypeDefinedOrder */
        floe_thrift_write_struct_end(&w);
        floe_thrift_write_struct_end(&w);
        if (i % 64 == 63)
            FLOE_TRY(footer_drain(pq, &w, 0));
    }
    floe_thrift_write_list_end(&w);
    len = floe_thrift_writer_finish(&w);
    if (len < 0)
        return len;
    FLOE_TRY(footer_drain(pq, &w, 1));
    floe_put_le32(tail, (uint32_t)(pq->stats.bytes - start));
    floe_memcpy(tail + 4, "PAR1", 4);
    return sink_write(pq, tail, 8);
}

int floe_parquet_close(struct floe_parquet *pq)
{
    struct floe_parquet_state *st;
    int err;
    FLOE_FAIL_IF(pq == NULL || pq->st == NULL, FLOE_ERR_INVAL);
    st = pq->st;
    FLOE_FAIL_IF(!st->open, FLOE_ERR_STATE);
    err = flush_row_group(pq);
    if (err == FLOE_OK)
        err = write_footer(pq);
    st->open = 0;
    if (err == FLOE_OK)
        pq->stats.files_total++;
    return err;
}
