/* Parquet value encodings; see encoding.h and parquet-format's Encodings.md. */
#include "parquet/encoding.h"
#include <limits.h>

/* Signed values travel as their two's complement bits in uint64_t, so no
 * conversion here is implementation-defined and all arithmetic wraps. */
static int64_t u64_to_i64(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static uint64_t zigzag_bits(uint64_t u)
{
    return (u << 1) ^ (0u - (u >> 63));
}

/* Sign-extends the low `bits` bits of u to 64 bits. */
static uint64_t sign_extend(uint64_t u, unsigned bits)
{
    uint64_t sign = (uint64_t)1 << (bits - 1u);
    return ((u & (sign | (sign - 1u))) ^ sign) - sign;
}

/* Return values are byte offsets in an int: inputs longer than INT_MAX are
 * only read up to INT_MAX. */
static size_t clamp_len(size_t n)
{
    return n > (size_t)INT_MAX ? (size_t)INT_MAX : n;
}

int floe_get_uvarint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;
    size_t i = *pos;
    unsigned shift = 0;
    for (;;) {
        uint8_t b;
        if (i >= n)
            return FLOE_ERR_MALFORMED;
        b = p[i++];
        if (shift == 63 && b > 1u)
            return FLOE_ERR_MALFORMED; /* more than 64 bits */
        r |= (uint64_t)(b & 0x7fu) << shift;
        if ((b & 0x80u) == 0)
            break;
        shift += 7;
    }
    *pos = i;
    *v = r;
    return FLOE_OK;
}

/* ---- bit packing ---- */

void floe_bitpack32(const uint32_t *in, size_t n, unsigned bit_width, uint8_t *out)
{
    uint64_t acc = 0;
    unsigned nb = 0;
    uint32_t mask;
    size_t i;
    FLOE_ASSERT(bit_width <= 32);
    if (bit_width == 0)
        return;
    mask = bit_width >= 32 ? 0xffffffffu : ((uint32_t)1 << bit_width) - 1u;
    for (i = 0; i < n; i++) {
        acc |= (uint64_t)(in[i] & mask) << nb;
        nb += bit_width;
        if (nb >= 32) {
            floe_put_le32(out, (uint32_t)acc);
            out += 4;
            acc >>= 32;
            nb -= 32;
        }
    }
    while (nb > 0) {
        *out++ = (uint8_t)acc;
        acc >>= 8;
        nb = nb > 8 ? nb - 8 : 0;
    }
}

void floe_bitpack64(const uint64_t *in, size_t n, unsigned bit_width, uint8_t *out)
{
    uint64_t acc = 0, mask;
    unsigned nb = 0; /* bits in acc, 0..63 */
    size_t i;
    FLOE_ASSERT(bit_width <= 64);
    if (bit_width == 0)
        return;
    mask = bit_width >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << bit_width) - 1u;
    for (i = 0; i < n; i++) {
        uint64_t v = in[i] & mask;
        acc |= v << nb;
        if (nb + bit_width >= 64) {
            floe_put_le64(out, acc);
            out += 8;
            /* The bits of v that did not fit start the next word. */
            acc = nb == 0 ? 0 : v >> (64 - nb);
            nb = nb + bit_width - 64;
        } else {
            nb += bit_width;
        }
    }
    while (nb > 0) {
        *out++ = (uint8_t)acc;
        acc >>= 8;
        nb = nb > 8 ? nb - 8 : 0;
    }
}

void floe_bitunpack32(const uint8_t *in, size_t n, unsigned bit_width, uint32_t *out)
{
    uint64_t acc = 0;
    unsigned nb = 0;
    uint32_t mask;
    size_t i;
    FLOE_ASSERT(bit_width <= 32);
    if (bit_width == 0) {
        for (i = 0; i < n; i++)
            out[i] = 0;
        return;
    }
    mask = bit_width >= 32 ? 0xffffffffu : ((uint32_t)1 << bit_width) - 1u;
    for (i = 0; i < n; i++) {
        /* Load only the bytes this value needs: never past the packed length. */
        while (nb < bit_width) {
            acc |= (uint64_t)*in++ << nb;
            nb += 8;
        }
        out[i] = (uint32_t)acc & mask;
        acc >>= bit_width;
        nb -= bit_width;
    }
}

void floe_bitunpack64(const uint8_t *in, size_t n, unsigned bit_width, uint64_t *out)
{
    uint64_t mask;
    size_t i;
    FLOE_ASSERT(bit_width <= 64);
    if (bit_width <= 32) {
        /* Narrow values: the same word loop as floe_bitunpack32. */
        uint64_t acc = 0;
        unsigned nb = 0;
        if (bit_width == 0) {
            for (i = 0; i < n; i++)
                out[i] = 0;
            return;
        }
        mask = ((uint64_t)1 << bit_width) - 1u;
        for (i = 0; i < n; i++) {
            while (nb < bit_width) {
                acc |= (uint64_t)*in++ << nb;
                nb += 8;
            }
            out[i] = acc & mask;
            acc >>= bit_width;
            nb -= bit_width;
        }
        return;
    }
    /* Wide values: gather bit by byte-sized chunk (readback only). */
    mask = bit_width >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << bit_width) - 1u;
    {
        uint64_t bitpos = 0;
        for (i = 0; i < n; i++) {
            uint64_t v = 0;
            unsigned got = 0;
            while (got < bit_width) {
                unsigned off = (unsigned)(bitpos & 7u);
                unsigned take = 8u - off;
                if (take > bit_width - got)
                    take = bit_width - got;
                v |= (uint64_t)((in[bitpos >> 3] >> off) & ((1u << take) - 1u)) << got;
                got += take;
                bitpos += take;
            }
            out[i] = v & mask;
        }
    }
}

/* ---- PLAIN ---- */

int floe_plain_get_byte_array(const uint8_t *p, size_t n, size_t *pos, const uint8_t **v,
                              uint32_t *len)
{
    size_t at;
    uint32_t l;
    FLOE_FAIL_IF(pos == NULL || v == NULL || len == NULL || (p == NULL && n != 0), FLOE_ERR_INVAL);
    at = *pos;
    if (at > n || n - at < 4)
        return FLOE_ERR_MALFORMED;
    l = floe_get_le32(p + at);
    if ((uint64_t)l > (uint64_t)(n - at - 4))
        return FLOE_ERR_MALFORMED;
    *v = p + at + 4;
    *len = l;
    *pos = at + 4 + (size_t)l;
    return FLOE_OK;
}

void floe_bool_packer_init(struct floe_bool_packer *bp, struct floe_buf *out)
{
    bp->out = out;
    bp->bits = 0;
    bp->n_bits = 0;
}

int floe_bool_packer_finish(struct floe_bool_packer *bp)
{
    if (bp->n_bits != 0)
        floe_buf_put_u8(bp->out, (uint8_t)bp->bits);
    bp->bits = 0;
    bp->n_bits = 0;
    return bp->out->err;
}

int floe_bool_unpack(const uint8_t *p, size_t n, uint8_t *out, size_t count)
{
    size_t i;
    FLOE_FAIL_IF((p == NULL && n != 0) || (out == NULL && count != 0), FLOE_ERR_INVAL);
    if (n < count / 8u + (count % 8u != 0))
        return FLOE_ERR_MALFORMED;
    for (i = 0; i < count; i++)
        out[i] = (uint8_t)((p[i >> 3] >> (i & 7u)) & 1u);
    return FLOE_OK;
}

/* ---- RLE / bit-packing hybrid ---- */

#define NO_POS SIZE_MAX
#define MAX_GROUPS 63u /* (63 << 1 | 1) = 127: the header stays one byte */

static void rle_set_width(struct floe_rle_encoder *e, unsigned bit_width)
{
    e->bit_width = bit_width;
    e->value_bytes = (bit_width + 7u) / 8u;
    e->max_value = bit_width >= 32 ? 0xffffffffu : ((uint32_t)1 << bit_width) - 1u;
    /* An RLE run costs a header and the value, and usually a new group
     * header after it: worth it once bit-packing the run would cost more. */
    if (bit_width == 0) {
        e->min_rle = 1;
    } else {
        e->min_rle = (8u * (2u + e->value_bytes) + bit_width - 1u) / bit_width;
        if (e->min_rle < 8)
            e->min_rle = 8;
    }
}

int floe_rle_init(struct floe_rle_encoder *e, unsigned bit_width, struct floe_buf *out)
{
    FLOE_FAIL_IF(e == NULL || out == NULL || bit_width > 32, FLOE_ERR_INVAL);
    floe_memset(e, 0, sizeof *e);
    e->out = out;
    rle_set_width(e, bit_width);
    e->hdr_pos = NO_POS;
    e->prefix_pos = NO_POS;
    e->start = out->len;
    return FLOE_OK;
}

int floe_rle_init_prefixed(struct floe_rle_encoder *e, unsigned bit_width, struct floe_buf *out)
{
    FLOE_TRY(floe_rle_init(e, bit_width, out));
    if (floe_buf_reserve(out, 4) != NULL)
        e->prefix_pos = out->len - 4;
    e->start = out->len;
    return FLOE_OK;
}

static void rle_close_groups(struct floe_rle_encoder *e)
{
    if (e->hdr_pos != NO_POS) {
        if (e->out->err == FLOE_OK)
            e->out->p[e->hdr_pos] = (uint8_t)((e->n_groups << 1) | 1u);
        e->hdr_pos = NO_POS;
    }
    e->n_groups = 0;
}

/* lit[] holds 8 values: append them as one bit-packed group. */
static void rle_flush_group(struct floe_rle_encoder *e)
{
    struct floe_buf *out = e->out;
    uint8_t *at;
    e->n_lit = 0;
    if (out->err != FLOE_OK)
        return;
    if (e->hdr_pos == NO_POS || e->n_groups == MAX_GROUPS) {
        rle_close_groups(e);
        if (floe_buf_reserve(out, 1) == NULL)
            return;
        e->hdr_pos = out->len - 1;
    }
    at = floe_buf_reserve(out, e->bit_width);
    if (at == NULL)
        return;
    floe_bitpack32(e->lit, 8, e->bit_width, at);
    e->n_groups++;
}

static void rle_emit_run(struct floe_rle_encoder *e, uint32_t v, uint64_t count)
{
    uint8_t tmp[FLOE_UVARINT_MAX + 4];
    rle_close_groups(e);
    while (count > 0 && e->out->err == FLOE_OK) {
        uint64_t c = count > FLOE_RLE_MAX_RUN ? FLOE_RLE_MAX_RUN : count;
        uint64_t h = c << 1;
        unsigned n = 0, i;
        while (h >= 0x80u) {
            tmp[n++] = (uint8_t)(h | 0x80u);
            h >>= 7;
        }
        tmp[n++] = (uint8_t)h;
        for (i = 0; i < e->value_bytes; i++)
            tmp[n++] = (uint8_t)(v >> (8 * i));
        floe_buf_put_bytes(e->out, tmp, n);
        count -= c;
    }
}

/* At the end, a short run that does not reach min_rle may still be cheaper
 * as an RLE run than as zero-padded groups. */
static int rle_final_run_cheaper(const struct floe_rle_encoder *e, uint64_t r)
{
    uint64_t rle = floe_uvarint_bytes(r << 1) + e->value_bytes;
    uint64_t packed = (r + 7u) / 8u * e->bit_width;
    if (e->hdr_pos == NO_POS || e->n_groups == MAX_GROUPS)
        packed++;
    return rle <= packed;
}

/* The trailing run ended (a different value came, or the end): decide. */
static void rle_commit(struct floe_rle_encoder *e, int final)
{
    uint64_t r = e->run_len;
    uint32_t v = e->run_value;
    e->run_len = 0;
    /* Complete a partial group first: groups cannot be split by runs. */
    if (e->n_lit != 0) {
        while (r > 0 && e->n_lit < 8) {
            e->lit[e->n_lit++] = v;
            r--;
        }
        if (e->n_lit == 8)
            rle_flush_group(e);
    }
    if (r == 0)
        return;
    if (r >= e->min_rle || (final && rle_final_run_cheaper(e, r))) {
        rle_emit_run(e, v, r);
        return;
    }
    while (r > 0) { /* r < min_rle: a few dozen at most */
        e->lit[e->n_lit++] = v;
        r--;
        if (e->n_lit == 8)
            rle_flush_group(e);
    }
}

void floe_rle_put_slow(struct floe_rle_encoder *e, uint32_t v, uint64_t count)
{
    if (v > e->max_value) {
        e->err = FLOE_ERR_INVAL;
        return;
    }
    if (e->run_len != 0) {
        if (v == e->run_value) {
            e->run_len += count;
            return;
        }
        rle_commit(e, 0);
    }
    e->run_value = v;
    e->run_len = count;
}

int floe_rle_finish(struct floe_rle_encoder *e)
{
    struct floe_buf *out;
    FLOE_FAIL_IF(e == NULL || e->out == NULL, FLOE_ERR_INVAL);
    out = e->out;
    if (e->err != FLOE_OK)
        return e->err;
    rle_commit(e, 1);
    if (e->n_lit != 0) {
        while (e->n_lit < 8)
            e->lit[e->n_lit++] = 0;
        rle_flush_group(e);
    }
    rle_close_groups(e);
    if (out->err != FLOE_OK)
        return out->err;
    if (e->prefix_pos != NO_POS) {
        size_t len = out->len - e->start;
        FLOE_FAIL_IF(floe_over_u32(len), FLOE_ERR_LIMIT);
        floe_put_le32(out->p + e->prefix_pos, (uint32_t)len);
    }
    return FLOE_OK;
}

/* Walks the runs the encoder wrote, old_len bytes at `from` (its layout: the
 * open group run's header, at offset hdr, is a placeholder until it closes,
 * and n_groups counts it), and returns their length at bit_width, or
 * SIZE_MAX if they are not its own. With `to`, also writes them there at
 * bit_width (to may overlap from if it stays behind it), and *hdr_to gets
 * the open header's new offset. */
static size_t rle_rewidth(const struct floe_rle_encoder *e, const uint8_t *from, size_t old_len, size_t hdr,
                          unsigned bit_width, uint8_t *to, size_t *hdr_to)
{
    unsigned new_vb = (bit_width + 7u) / 8u;
    size_t rd = 0, wr = 0;
    while (rd < old_len) {
        uint64_t h = (uint64_t)e->n_groups << 1 | 1u, count;
        size_t at = rd;
        if (rd == hdr) {
            at++;
            if (to != NULL)
                *hdr_to = wr;
        } else if (floe_get_uvarint(from, old_len, &at, &h) != FLOE_OK) {
            return SIZE_MAX;
        }
        if (to != NULL)
            floe_memmove(to + wr, from + rd, at - rd);
        wr += at - rd;
        rd = at;
        count = h >> 1;
        if (h & 1u) { /* count groups of 8 */
            while (count-- > 0) {
                uint32_t v[8];
                if (to != NULL) {
                    floe_bitunpack32(from + rd, 8, e->bit_width, v);
                    floe_bitpack32(v, 8, bit_width, to + wr);
                }
                rd += e->bit_width;
                wr += bit_width;
            }
        } else { /* a run's value, little-endian in whole bytes */
            uint8_t v[4] = {0, 0, 0, 0};
            floe_memcpy(v, from + rd, e->value_bytes);
            if (to != NULL)
                floe_memmove(to + wr, v, new_vb);
            rd += e->value_bytes;
            wr += new_vb;
        }
    }
    return rd == old_len ? wr : SIZE_MAX;
}

int floe_rle_widen(struct floe_rle_encoder *e, unsigned bit_width, size_t max_growth, size_t keep_free)
{
    struct floe_buf *out;
    size_t old_len, new_len, hdr_new = NO_POS;
    FLOE_FAIL_IF(e == NULL || e->out == NULL || bit_width > 32 || bit_width <= e->bit_width, FLOE_ERR_INVAL);
    out = e->out;
    if (e->err != FLOE_OK || out->err != FLOE_OK)
        return e->err != FLOE_OK ? e->err : out->err;
    old_len = out->len - e->start;
    new_len = rle_rewidth(e, out->p + e->start, old_len, e->hdr_pos - e->start, bit_width, NULL, NULL);
    if (new_len == SIZE_MAX || new_len - old_len > max_growth || new_len > out->cap - e->start ||
        out->cap - e->start - new_len < keep_free)
        return FLOE_ERR_LIMIT;
    /* Move the old runs to the end of the buffer and rewrite them from the
     * start: each run grows, so the writer never passes what is unread. */
    floe_memmove(out->p + out->cap - old_len, out->p + e->start, old_len);
    rle_rewidth(e, out->p + out->cap - old_len, old_len, e->hdr_pos - e->start, bit_width, out->p + e->start,
                &hdr_new);
    out->len = e->start + new_len;
    e->hdr_pos = hdr_new == NO_POS ? NO_POS : e->start + hdr_new;
    rle_set_width(e, bit_width);
    return FLOE_OK;
}

size_t floe_rle_max_size(unsigned bit_width, uint64_t n)
{
    /* Every RLE run is no longer than bit-packing its values would be, so
     * the bound is all groups, their headers, and the end's slack. */
    uint64_t groups = n / 8u + (n % 8u != 0);
    uint64_t bound = groups * (bit_width > 32 ? 32 : bit_width) + groups / MAX_GROUPS + 2u +
                     (FLOE_UVARINT_MAX + 4u) * (n / FLOE_RLE_MAX_RUN + 2u);
    return bound > SIZE_MAX ? SIZE_MAX : (size_t)bound;
}

int floe_rle_decode(const uint8_t *p, size_t n, unsigned bit_width, uint32_t *out, size_t count)
{
    size_t pos = 0, done = 0;
    unsigned vb = (bit_width + 7u) / 8u;
    uint32_t max_value;
    FLOE_FAIL_IF((p == NULL && n != 0) || (out == NULL && count != 0) || bit_width > 32,
                 FLOE_ERR_INVAL);
    n = clamp_len(n);
    max_value = bit_width >= 32 ? 0xffffffffu : ((uint32_t)1 << bit_width) - 1u;
    while (done < count) {
        uint64_t h;
        size_t want = count - done;
        if (floe_get_uvarint(p, n, &pos, &h) != FLOE_OK)
            return FLOE_ERR_MALFORMED;
        if (h & 1u) {
            /* Bit-packed: groups of 8 values, groups * bit_width bytes. */
            uint64_t groups = h >> 1;
            uint64_t run_bytes, need;
            size_t take;
            if (groups == 0 || groups > FLOE_RLE_MAX_RUN / 8u)
                return FLOE_ERR_MALFORMED;
            run_bytes = groups * bit_width;
            take = (uint64_t)want < groups * 8u ? want : (size_t)(groups * 8u);
            need = floe_bitpack_bytes(take, bit_width);
            if (need > n - pos)
                return FLOE_ERR_MALFORMED;
            floe_bitunpack32(p + pos, take, bit_width, out + done);
            done += take;
            /* A truncated last run (some writers) is fine if it holds what
             * we need: consume what is there. */
            pos += run_bytes < (uint64_t)(n - pos) ? (size_t)run_bytes : n - pos;
        } else {
            uint64_t r = h >> 1;
            uint32_t v = 0;
            size_t take, i;
            if (r == 0 || vb > n - pos)
                return FLOE_ERR_MALFORMED;
            for (i = 0; i < vb; i++)
                v |= (uint32_t)p[pos + i] << (8 * i);
            if (v > max_value)
                return FLOE_ERR_MALFORMED;
            pos += vb;
            take = (uint64_t)want < r ? want : (size_t)r;
            for (i = 0; i < take; i++)
                out[done + i] = v;
            done += take;
        }
    }
    return (int)pos;
}

/* ---- DELTA_BINARY_PACKED ---- */

static void delta_setup(struct floe_delta_encoder *e, struct floe_buf *out, unsigned bits)
{
    e->out = out;
    e->first = 0;
    e->prev = 0;
    e->total = 0;
    e->bits = bits;
    e->mask = bits == 64 ? ~(uint64_t)0 : 0xffffffffu;
    e->n = 0;
    e->byte_slack = 0;
    e->err = (out == NULL) ? FLOE_ERR_INVAL : FLOE_OK;
}

void floe_delta_init(struct floe_delta_encoder *e, struct floe_buf *out)
{
    delta_setup(e, out, 64);
}

void floe_delta_init32(struct floe_delta_encoder *e, struct floe_buf *out)
{
    delta_setup(e, out, 32);
}

/* Writes the pending deltas as one block (the last one may be partial). */
static void delta_flush(struct floe_delta_encoder *e)
{
    uint64_t *d = e->deltas;
    uint64_t sign = (uint64_t)1 << (e->bits - 1u);
    uint64_t mask = e->mask;
    uint64_t min_key = mask, min;
    unsigned n = e->n, i, m, widths[FLOE_DELTA_MINIBLOCKS];
    size_t body = FLOE_DELTA_MINIBLOCKS;
    uint8_t *at;

    e->n = 0;
    if (e->err != FLOE_OK || e->out->err != FLOE_OK)
        return; /* (err is INVAL when out is NULL) */
    /* Signed minimum in the unsigned domain: flip the sign bit. */
    for (i = 0; i < n; i++) {
        uint64_t key = d[i] ^ sign;
        if (key < min_key)
            min_key = key;
    }
    min = min_key ^ sign;
    for (m = 0; m < FLOE_DELTA_MINIBLOCKS; m++) {
        unsigned lo = m * FLOE_DELTA_MINI, hi = lo + FLOE_DELTA_MINI;
        uint64_t any = 0;
        if (lo >= n) {
            widths[m] = 0; /* unused miniblock: no body */
            continue;
        }
        for (i = lo; i < hi; i++) {
            /* Padding of the last miniblock is written as zero bits. */
            d[i] = i < n ? (d[i] - min) & mask : 0;
            any |= d[i];
        }
        widths[m] = floe_bit_width(any);
        if ((widths[m] + e->byte_slack) / 8u > widths[m] / 8u && widths[m] % 8u != 0)
            widths[m] = (widths[m] + 7u) / 8u * 8u;
        body += (size_t)widths[m] * (FLOE_DELTA_MINI / 8u);
    }
    floe_buf_put_uvarint(e->out, zigzag_bits(sign_extend(min, e->bits)));
    at = floe_buf_reserve(e->out, body);
    if (at == NULL)
        return;
    for (m = 0; m < FLOE_DELTA_MINIBLOCKS; m++)
        *at++ = (uint8_t)widths[m];
    for (m = 0; m < FLOE_DELTA_MINIBLOCKS && m * FLOE_DELTA_MINI < n; m++) {
        floe_bitpack64(d + m * FLOE_DELTA_MINI, FLOE_DELTA_MINI, widths[m], at);
        at += (size_t)widths[m] * (FLOE_DELTA_MINI / 8u);
    }
}

void floe_delta_flush_block(struct floe_delta_encoder *e)
{
    delta_flush(e);
}

int floe_delta_finish(struct floe_delta_encoder *e, struct floe_buf *header)
{
    FLOE_FAIL_IF(e == NULL || header == NULL, FLOE_ERR_INVAL);
    if (e->err != FLOE_OK)
        return e->err;
    if (e->n != 0)
        delta_flush(e);
    floe_buf_put_uvarint(header, FLOE_DELTA_BLOCK);
    floe_buf_put_uvarint(header, FLOE_DELTA_MINIBLOCKS);
    floe_buf_put_uvarint(header, e->total);
    floe_buf_put_uvarint(header, zigzag_bits(sign_extend(e->first, e->bits)));
    if (e->out->err != FLOE_OK)
        return e->out->err;
    return header->err;
}

size_t floe_delta_max_size(unsigned bits, uint64_t n)
{
    uint64_t blocks, bound;
    if (bits != 32)
        bits = 64;
    blocks = n <= 1 ? 0 : (n - 1 + FLOE_DELTA_BLOCK - 1) / FLOE_DELTA_BLOCK;
    bound = blocks * (FLOE_UVARINT_MAX + FLOE_DELTA_MINIBLOCKS + FLOE_DELTA_BLOCK / 8u * bits);
    return bound > SIZE_MAX ? SIZE_MAX : (size_t)bound;
}

#define DELTA_MAX_BLOCK (1u << 20) /* bounds block arithmetic on hostile input */

static int get_zigzag_in(const uint8_t *p, size_t n, size_t *pos, unsigned bits, uint64_t *v)
{
    uint64_t z, u;
    if (floe_get_uvarint(p, n, pos, &z) != FLOE_OK)
        return FLOE_ERR_MALFORMED;
    u = (z >> 1) ^ (0u - (z & 1u));
    /* An int32 column's values must be int32: the sign-extension of the low
     * 32 bits gives the same number. */
    if (bits == 32 && sign_extend(u, 32) != u)
        return FLOE_ERR_MALFORMED;
    *v = u;
    return FLOE_OK;
}

int floe_delta_decode(const uint8_t *p, size_t n, unsigned bits, int64_t *out, size_t cap,
                      size_t *count)
{
    uint64_t block, minis, total, first, prev, mask;
    size_t pos = 0, done, per_mini;
    FLOE_FAIL_IF((p == NULL && n != 0) || (out == NULL && cap != 0) || count == NULL ||
                     (bits != 32 && bits != 64),
                 FLOE_ERR_INVAL);
    *count = 0;
    n = clamp_len(n);
    mask = bits == 64 ? ~(uint64_t)0 : 0xffffffffu;
    if (floe_get_uvarint(p, n, &pos, &block) != FLOE_OK ||
        floe_get_uvarint(p, n, &pos, &minis) != FLOE_OK ||
        floe_get_uvarint(p, n, &pos, &total) != FLOE_OK ||
        get_zigzag_in(p, n, &pos, bits, &first) != FLOE_OK)
        return FLOE_ERR_MALFORMED;
    if (block == 0 || block % 128u != 0 || block > DELTA_MAX_BLOCK || minis == 0 ||
        block % minis != 0 || (block / minis) % 32u != 0)
        return FLOE_ERR_MALFORMED;
    if (total > (uint64_t)cap)
        return FLOE_ERR_LIMIT;
    if (total == 0)
        return (int)pos;
    per_mini = (size_t)(block / minis);
    out[0] = u64_to_i64(first);
    prev = first & mask;
    done = 1;
    while (done < total) {
        uint64_t min;
        const uint8_t *widths;
        size_t m;
        if (get_zigzag_in(p, n, &pos, bits, &min) != FLOE_OK)
            return FLOE_ERR_MALFORMED;
        if (minis > (uint64_t)(n - pos))
            return FLOE_ERR_MALFORMED;
        widths = p + pos;
        pos += (size_t)minis;
        for (m = 0; m < (size_t)minis && done < total; m++) {
            unsigned w = widths[m];
            size_t bytes, take, i;
            uint64_t *vals = (uint64_t *)(void *)(out + done);
            if (w > bits)
                return FLOE_ERR_MALFORMED;
            bytes = per_mini / 8u * w;
            if (bytes > n - pos)
                return FLOE_ERR_MALFORMED;
            take = (uint64_t)per_mini < total - done ? per_mini : (size_t)(total - done);
            floe_bitunpack64(p + pos, take, w, vals);
            for (i = 0; i < take; i++) {
                prev = (prev + min + vals[i]) & mask;
                out[done + i] = u64_to_i64(sign_extend(prev, bits));
            }
            pos += bytes;
            done += take;
        }
    }
    *count = (size_t)total;
    return (int)pos;
}

/* ---- BYTE_STREAM_SPLIT ---- */

int floe_byte_stream_split(const uint8_t *plain, size_t n_values, size_t width, uint8_t *out)
{
    size_t i, k;
    FLOE_FAIL_IF(width == 0 || (n_values != 0 && (plain == NULL || out == NULL)), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(n_values > SIZE_MAX / width, FLOE_ERR_INVAL);
    if (width == 4) {
        uint8_t *s0 = out, *s1 = out + n_values, *s2 = s1 + n_values, *s3 = s2 + n_values;
        for (i = 0; i < n_values; i++, plain += 4) {
            s0[i] = plain[0];
            s1[i] = plain[1];
            s2[i] = plain[2];
            s3[i] = plain[3];
        }
        return FLOE_OK;
    }
    for (k = 0; k < width; k++) {
        uint8_t *s = out + k * n_values;
        const uint8_t *src = plain + k;
        for (i = 0; i < n_values; i++, src += width)
            s[i] = *src;
    }
    return FLOE_OK;
}

int floe_byte_stream_join(const uint8_t *split, size_t n_values, size_t width, uint8_t *plain)
{
    size_t i, k;
    FLOE_FAIL_IF(width == 0 || (n_values != 0 && (plain == NULL || split == NULL)), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(n_values > SIZE_MAX / width, FLOE_ERR_INVAL);
    for (k = 0; k < width; k++) {
        const uint8_t *s = split + k * n_values;
        uint8_t *dst = plain + k;
        for (i = 0; i < n_values; i++, dst += width)
            *dst = s[i];
    }
    return FLOE_OK;
}
