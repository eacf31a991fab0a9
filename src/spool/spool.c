/* The spool: batches committed by renaming their meta record, recovery, quota.
 * The layout and the reasoning are in docs/spool.md. */
#include "floe/spool.h"
#include "floe/crc32c.h"
#include "floe/sha256.h"
#include "floe/version.h"
#include "core/internal.h"

#define META_MAX 2048u      /* bytes of a meta or checkpoint record */
#define DEAD_BUF 4096u      /* dead-letter lines are written through this */
#define SEQ_DIGITS 16

struct floe_spool_state {
    const struct floe_spool_config *cfg;
    struct floe_spool_position pos;
    uint64_t next_seq;
    uint64_t open_part_bytes; /* parts committed since the position (an unended group) */
    void *file;              /* fs port file object for records */
    void *dead_file;         /* the open batch's dead letters */
    int dead_open;
    uint64_t dead_seq;       /* the batch number in its temporary name */
    uint64_t dead_records, dead_bytes;
    uint32_t dead_crc;       /* CRC-32C of the dead-letter bytes so far */
    struct floe_uuid7_gen uuids;
    char dead_key[64];       /* "_dead_letters/<uuid>.ndjson" of the open batch */
    uint8_t *dead_buf;
    size_t dead_len;
    uint64_t *seqs;          /* scratch for listing */
    uint32_t max_files;
    char *rec;               /* META_MAX: a record being built or read */
    char path[FLOE_SPOOL_PATH_MAX];
    char path2[FLOE_SPOOL_PATH_MAX];
    char dir_tmp[FLOE_SPOOL_PATH_MAX];
};

/* ---- layout ---------------------------------------------------------------- */

static int carve(struct floe_arena *a, const struct floe_spool_config *cfg, struct floe_spool_state **out)
{
    struct floe_spool_state *st;
    uint32_t max_files = cfg->max_files ? cfg->max_files : FLOE_SPOOL_DEFAULT_MAX_FILES;
    void *p;
    FLOE_TRY(floe_arena_take(a, sizeof *st, 8, &p));
    st = (struct floe_spool_state *)p;
    FLOE_TRY(floe_arena_take(a, cfg->fs->file_size, 8, &p));
    if (st)
        st->file = p;
    FLOE_TRY(floe_arena_take(a, cfg->fs->file_size, 8, &p));
    if (st)
        st->dead_file = p;
    FLOE_TRY(floe_arena_take(a, DEAD_BUF, 8, &p));
    if (st)
        st->dead_buf = (uint8_t *)p;
    FLOE_TRY(floe_arena_take(a, floe_size_mul(max_files, sizeof(uint64_t)), 8, &p));
    if (st) {
        st->seqs = (uint64_t *)p;
        st->max_files = max_files;
    }
    FLOE_TRY(floe_arena_take(a, META_MAX, 8, &p));
    if (st) {
        st->rec = (char *)p;
        st->cfg = cfg;
    }
    *out = st;
    return FLOE_OK;
}

static int config_ok(const struct floe_spool_config *cfg)
{
    return cfg != NULL && cfg->dir != NULL && cfg->fs != NULL && floe_strlen(cfg->dir) + 48 < FLOE_SPOOL_PATH_MAX &&
           cfg->full_policy <= FLOE_SPOOL_DROP_OLDEST && cfg->role <= FLOE_SPOOL_UPLOADER;
}

size_t floe_spool_size(const struct floe_spool_config *cfg)
{
    struct floe_arena a;
    struct floe_spool_state *st;
    if (!config_ok(cfg))
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, cfg, &st) != FLOE_OK)
        return 0;
    return a.used;
}

void floe_spool_init(struct floe_spool *sp)
{
    if (sp != NULL)
        floe_memset(sp, 0, sizeof *sp);
}

void floe_spool_free(struct floe_spool *sp)
{
    floe_spool_init(sp);
}

static void seq_name(char *out, uint64_t seq)
{
    static const char hex[] = "0123456789abcdef";
    int i;
    for (i = SEQ_DIGITS - 1; i >= 0; i--) {
        out[i] = hex[seq & 15u];
        seq >>= 4;
    }
    out[SEQ_DIGITS] = '\0';
}

/* "<dir>/<sub>/<seq16><ext>" into out. */
static void batch_path(const struct floe_spool_state *st, char *out, const char *sub, uint64_t seq, const char *ext)
{
    char name[SEQ_DIGITS + 1];
    seq_name(name, seq);
    floe_format(out, FLOE_SPOOL_PATH_MAX, "%s/%s/%s%s", st->cfg->dir, sub, name, ext);
}

static void sub_path(const struct floe_spool_state *st, char *out, const char *sub)
{
    floe_format(out, FLOE_SPOOL_PATH_MAX, "%s/%s", st->cfg->dir, sub);
}

/* Parses "<16 hex digits><ext>" (ext exactly); returns 1 and the seq if so. */
static int parse_seq_name(const char *name, const char *ext, uint64_t *seq)
{
    uint64_t v = 0;
    int i;
    size_t n = floe_strlen(name), e = floe_strlen(ext);
    if (n != SEQ_DIGITS + e || floe_memcmp(name + SEQ_DIGITS, ext, e) != 0)
        return 0;
    for (i = 0; i < SEQ_DIGITS; i++) {
        char c = name[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint64_t)(c - 'a' + 10);
        else
            return 0;
    }
    *seq = v;
    return 1;
}

/* ---- records (meta and checkpoint) ----------------------------------------
 * Text, one "key value" per line, ending with "crc <crc32c of all before>".
 * They are read back after power cuts, so the reader trusts nothing. */

struct rec_writer {
    char *buf;
    size_t len;
    int overflow;
};

static void rec_put(struct rec_writer *w, const char *key, const char *fmt_value)
{
    size_t n = floe_format(w->buf + w->len, META_MAX - w->len, "%s %s\n", key, fmt_value);
    if (w->len + n + 1 >= META_MAX)
        w->overflow = 1;
    w->len += n;
}

static void rec_u64(struct rec_writer *w, const char *key, uint64_t v)
{
    char num[24];
    floe_format(num, sizeof num, "%llu", (unsigned long long)v);
    rec_put(w, key, num);
}

static void rec_i64(struct rec_writer *w, const char *key, int64_t v)
{
    char num[24];
    floe_format(num, sizeof num, "%lld", (long long)v);
    rec_put(w, key, num);
}

/* Names can hold anything: bytes outside printable ASCII, '%' and space are
 * written as %XX. */
static void rec_name(struct rec_writer *w, const char *key, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    char esc[FLOE_SPOOL_SOURCE_MAX * 3 + 1];
    size_t i, o = 0;
    for (i = 0; name[i] != '\0' && o + 4 < sizeof esc; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c >= 0x7f || c == '%') {
            esc[o++] = '%';
            esc[o++] = hex[c >> 4];
            esc[o++] = hex[c & 15];
        } else {
            esc[o++] = (char)c;
        }
    }
    esc[o] = '\0';
    rec_put(w, key, o > 0 ? esc : "%");
}

static size_t rec_finish(struct rec_writer *w)
{
    char crc[16];
    floe_format(crc, sizeof crc, "%x", (unsigned)floe_crc32c(w->buf, w->len));
    rec_put(w, "crc", crc);
    return w->overflow ? 0 : w->len;
}

/* Looks up key in a verified record; returns its value's start and length. */
static int rec_get(const char *rec, size_t n, const char *key, const char **val, size_t *vlen)
{
    size_t kl = floe_strlen(key), i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && rec[e] != '\n')
            e++;
        if (e - i > kl && floe_memcmp(rec + i, key, kl) == 0 && rec[i + kl] == ' ') {
            *val = rec + i + kl + 1;
            *vlen = e - (i + kl + 1);
            return 1;
        }
        i = e + 1;
    }
    return 0;
}

static int rec_get_u64(const char *rec, size_t n, const char *key, uint64_t *out)
{
    const char *v;
    size_t l, i;
    uint64_t x = 0;
    if (!rec_get(rec, n, key, &v, &l) || l == 0 || l > 20)
        return 0;
    for (i = 0; i < l; i++) {
        if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - 9u) / 10u)
            return 0;
        x = x * 10u + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return 1;
}

static int rec_get_i64(const char *rec, size_t n, const char *key, int64_t *out)
{
    const char *v;
    size_t l;
    uint64_t x;
    if (!rec_get(rec, n, key, &v, &l) || l == 0)
        return 0;
    if (v[0] == '-') {
        char tmp[24];
        if (l > 21)
            return 0;
        floe_memcpy(tmp, "m ", 2);
        floe_memcpy(tmp + 2, v + 1, l - 1);
        tmp[l + 1] = '\n';
        if (!rec_get_u64(tmp, l + 2, "m", &x) || x > (uint64_t)INT64_MAX + 1u)
            return 0;
        *out = x == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)x;
        return 1;
    }
    if (!rec_get_u64(rec, n, key, &x) || x > (uint64_t)INT64_MAX)
        return 0;
    *out = (int64_t)x;
    return 1;
}

static int rec_get_name(const char *rec, size_t n, const char *key, char *out, size_t cap)
{
    const char *v;
    size_t l, i, o = 0;
    if (!rec_get(rec, n, key, &v, &l))
        return 0;
    if (l == 1 && v[0] == '%') {
        out[0] = '\0';
        return 1;
    }
    for (i = 0; i < l; i++) {
        char c = v[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= l)
                return 0;
            hi = floe_hex_digit(v[i + 1]);
            lo = floe_hex_digit(v[i + 2]);
            if (hi < 0 || lo < 0)
                return 0;
            c = (char)((hi << 4) | lo);
            i += 2;
        }
        if (o + 1 >= cap)
            return 0;
        out[o++] = c;
    }
    out[o] = '\0';
    return 1;
}

static int rec_get_hex(const char *rec, size_t n, const char *key, uint8_t *out, size_t bytes)
{
    const char *v;
    size_t l, i;
    if (!rec_get(rec, n, key, &v, &l) || l != bytes * 2)
        return 0;
    for (i = 0; i < bytes; i++) {
        int hi = floe_hex_digit(v[2 * i]), lo = floe_hex_digit(v[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return 1;
}

/* Checks a record read from disk: magic first line, crc last line. Returns the
 * length of the covered part, or 0 when the record is torn or corrupt. */
static size_t rec_verify(const char *rec, size_t n, const char *magic)
{
    size_t ml = floe_strlen(magic), i, crc_at;
    uint32_t want = 0;
    int digits = 0;
    if (n < ml + 6 || floe_memcmp(rec, magic, ml) != 0 || rec[n - 1] != '\n')
        return 0;
    i = n - 1;
    while (i > 0 && rec[i - 1] != '\n')
        i--;
    crc_at = i;
    if (n - crc_at < 6 || floe_memcmp(rec + crc_at, "crc ", 4) != 0)
        return 0;
    for (i = crc_at + 4; i < n - 1; i++) {
        int h = floe_hex_digit(rec[i]);
        if (h < 0 || ++digits > 8)
            return 0;
        want = (want << 4) | (uint32_t)h;
    }
    if (digits == 0 || floe_crc32c(rec, crc_at) != want)
        return 0;
    return crc_at;
}

/* ---- file helpers ---------------------------------------------------------- */

/* Writes path durably through a temporary name: write, fsync, rename, fsync
 * the directory. The rename is what makes it visible. */
static int write_record(struct floe_spool_state *st, const char *tmp, const char *final_path, const char *dir,
                        const char *data, size_t n)
{
    const struct floe_fs_port *fs = st->cfg->fs;
    int err;
    FLOE_TRY(fs->open(fs->ctx, st->file, tmp, FLOE_FS_WRITE | FLOE_FS_TRUNC));
    err = floe_fs_finish(fs, st->file, floe_fs_write_all(fs, st->file, data, n), tmp, final_path);
    if (err == FLOE_OK)
        err = fs->sync_dir(fs->ctx, dir);
    return err;
}

/* Reads a whole small record into st->rec; returns its length or an error. */
static int read_record(struct floe_spool_state *st, const char *path)
{
    const struct floe_fs_port *fs = st->cfg->fs;
    size_t n = 0;
    int err;
    FLOE_TRY(fs->open(fs->ctx, st->file, path, FLOE_FS_READ));
    for (;;) {
        floe_ssize_t r = fs->read(fs->ctx, st->file, n, st->rec + n, META_MAX - n);
        if (r < 0) {
            fs->close(fs->ctx, st->file);
            return (int)r;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == META_MAX) {
            fs->close(fs->ctx, st->file);
            return FLOE_ERR_CORRUPT; /* longer than any record floe writes */
        }
    }
    err = fs->close(fs->ctx, st->file);
    return err < 0 ? err : (int)n;
}

static int file_crc(struct floe_spool_state *st, const char *path, uint64_t size, uint32_t *crc)
{
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t off = 0;
    uint32_t c = 0;
    FLOE_TRY(fs->open(fs->ctx, st->file, path, FLOE_FS_READ));
    while (off < size) {
        size_t want = size - off < DEAD_BUF ? (size_t)(size - off) : DEAD_BUF;
        floe_ssize_t r = fs->read(fs->ctx, st->file, off, st->dead_buf, want);
        if (r <= 0) {
            fs->close(fs->ctx, st->file);
            return r < 0 ? (int)r : FLOE_ERR_CORRUPT; /* shorter than recorded */
        }
        c = floe_crc32c_update(c, st->dead_buf, (size_t)r);
        off += (uint64_t)r;
    }
    fs->close(fs->ctx, st->file);
    *crc = c;
    return FLOE_OK;
}

/* ---- positions ------------------------------------------------------------- */

static void put_position(struct rec_writer *w, const struct floe_spool_position *pos)
{
    rec_u64(w, "seq", pos->seq);
    rec_u64(w, "source_index", pos->source_index);
    rec_name(w, "source", pos->source);
    rec_u64(w, "offset", pos->offset);
    rec_u64(w, "line", pos->line);
    rec_u64(w, "records", pos->records);
    rec_u64(w, "source_done", pos->source_done ? 1u : 0u);
}

static int get_position(const char *rec, size_t n, struct floe_spool_position *pos)
{
    uint64_t idx, done;
    if (!rec_get_u64(rec, n, "seq", &pos->seq) || !rec_get_u64(rec, n, "source_index", &idx) ||
        !rec_get_name(rec, n, "source", pos->source, sizeof pos->source) ||
        !rec_get_u64(rec, n, "offset", &pos->offset) || !rec_get_u64(rec, n, "line", &pos->line) ||
        !rec_get_u64(rec, n, "records", &pos->records) || !rec_get_u64(rec, n, "source_done", &done) ||
        idx > UINT32_MAX)
        return 0;
    pos->source_index = (uint32_t)idx;
    pos->source_done = done != 0;
    return 1;
}

static int write_checkpoint(struct floe_spool_state *st)
{
    struct rec_writer w;
    size_t n;
    w.buf = st->rec;
    w.len = 0;
    w.overflow = 0;
    rec_u64(&w, "floe-checkpoint", FLOE_DISK_VERSION);
    put_position(&w, &st->pos);
    n = rec_finish(&w);
    if (n == 0)
        return FLOE_ERR_LIMIT;
    floe_format(st->path, sizeof st->path, "%s/checkpoint.tmp", st->cfg->dir);
    floe_format(st->path2, sizeof st->path2, "%s/checkpoint", st->cfg->dir);
    return write_record(st, st->path, st->path2, st->cfg->dir, st->rec, n);
}

/* ---- listing ---------------------------------------------------------------- */

struct list_ctx {
    struct floe_spool_state *st;
    const char *ext;
    uint64_t after;   /* only seqs greater than this */
    uint32_t n;
    int more;         /* a seq was left out: the list holds the smallest */
};

/* st->seqs[0..n) is a max-heap while listing, so that a folder with more
 * files than max_files still yields its smallest (oldest) seqs. */
static void heap_sift_down(uint64_t *h, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t big = i, l = 2u * i + 1u, r = l + 1u;
        uint64_t t;
        if (l < n && h[l] > h[big])
            big = l;
        if (r < n && h[r] > h[big])
            big = r;
        if (big == i)
            return;
        t = h[i];
        h[i] = h[big];
        h[big] = t;
        i = big;
    }
}

static int collect_seq(void *arg, const char *name, int is_dir)
{
    struct list_ctx *lc = (struct list_ctx *)arg;
    uint64_t *h = lc->st->seqs;
    uint64_t seq;
    uint32_t i;
    if (is_dir || !parse_seq_name(name, lc->ext, &seq) || seq <= lc->after)
        return 0;
    if (lc->n == lc->st->max_files) {
        lc->more = 1;
        if (seq < h[0]) {
            h[0] = seq; /* the largest kept makes way */
            heap_sift_down(h, lc->n, 0);
        }
        return 0;
    }
    i = lc->n++;
    h[i] = seq;
    while (i > 0 && h[(i - 1u) / 2u] < h[i]) {
        uint64_t t = h[i];
        h[i] = h[(i - 1u) / 2u];
        h[(i - 1u) / 2u] = t;
        i = (i - 1u) / 2u;
    }
    return 0;
}

/* Fills st->seqs, ascending, with the smallest seqs greater than after of
 * the files <sub>/<seq><ext> (at most max_files; *more says if any were left
 * out: list again after the last one). */
static int list_seqs_after(struct floe_spool_state *st, const char *sub, const char *ext, uint64_t after,
                           uint32_t *count, int *more)
{
    struct list_ctx lc;
    uint32_t end;
    int err;
    lc.st = st;
    lc.ext = ext;
    lc.after = after;
    lc.n = 0;
    lc.more = 0;
    sub_path(st, st->path, sub);
    err = st->cfg->fs->list(st->cfg->fs->ctx, st->path, collect_seq, &lc);
    if (err < 0)
        return err;
    /* Heap sort: ascending, in place, no recursion. */
    for (end = lc.n; end > 1; end--) {
        uint64_t t = st->seqs[0];
        st->seqs[0] = st->seqs[end - 1u];
        st->seqs[end - 1u] = t;
        heap_sift_down(st->seqs, end - 1u, 0);
    }
    *count = lc.n;
    *more = lc.more;
    return FLOE_OK;
}

/* The oldest max_files of them (enough for callers that want the oldest). */
static int list_seqs(struct floe_spool_state *st, const char *sub, const char *ext, uint32_t *count)
{
    int more;
    return list_seqs_after(st, sub, ext, 0, count, &more);
}

struct clear_ctx {
    struct floe_spool_state *st;
    const char *dir;
    uint64_t removed;
};

static int remove_entry(void *arg, const char *name, int is_dir)
{
    struct clear_ctx *cc = (struct clear_ctx *)arg;
    char path[FLOE_SPOOL_PATH_MAX];
    if (is_dir)
        return 0;
    floe_format(path, sizeof path, "%s/%s", cc->dir, name);
    if (cc->st->cfg->fs->remove(cc->st->cfg->fs->ctx, path) == FLOE_OK)
        cc->removed++;
    return 0;
}

/* ---- recovery ---------------------------------------------------------------- */

static int make_layout(struct floe_spool_state *st)
{
    static const char *const subs[] = {"tmp", "ready", "dead", "done", "quarantine"};
    const struct floe_fs_port *fs = st->cfg->fs;
    size_t i, n = floe_strlen(st->cfg->dir);
    FLOE_TRY(fs->mkdir(fs->ctx, st->cfg->dir));
    /* The spool's own entry in its parent must be durable too, or a new
     * spool with everything committed in it can vanish on power loss. */
    while (n > 1 && st->cfg->dir[n - 1] == '/')
        n--;
    while (n > 0 && st->cfg->dir[n - 1] != '/')
        n--;
    if (n == 0)
        floe_format(st->path, sizeof st->path, ".");
    else
        floe_format(st->path, sizeof st->path, "%.*s", (int)(n > 1 ? n - 1 : 1), st->cfg->dir);
    FLOE_TRY(fs->sync_dir(fs->ctx, st->path));
    for (i = 0; i < FLOE_ARRAY_LEN(subs); i++) {
        sub_path(st, st->path, subs[i]);
        FLOE_TRY(fs->mkdir(fs->ctx, st->path));
    }
    return fs->sync_dir(fs->ctx, st->cfg->dir);
}

/* Moves a committed file that fails verification out of the uploader's way. */
static void quarantine(struct floe_spool *sp, const char *path, const char *name)
{
    struct floe_spool_state *st = sp->st;
    char dest[FLOE_SPOOL_PATH_MAX];
    floe_format(dest, sizeof dest, "%s/quarantine/%s", st->cfg->dir, name);
    if (st->cfg->fs->rename(st->cfg->fs->ctx, path, dest) != FLOE_OK)
        st->cfg->fs->remove(st->cfg->fs->ctx, path);
    sp->stats.quarantined++;
    FLOE_LOG_ERROR(st->cfg->log, "spool: %s failed verification; moved to quarantine/", name);
}

/* Moves every file of batch seq to quarantine/: its meta and whatever data
 * files it has. A batch is trusted whole or not at all. */
static void quarantine_batch(struct floe_spool *sp, uint64_t seq)
{
    static const char *const parts[][2] = {{"ready", ".parquet"}, {"dead", ".ndjson"}, {"ready", ".meta"}};
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    char name[SEQ_DIGITS + 16];
    uint64_t size;
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(parts); i++) {
        batch_path(st, st->path2, parts[i][0], seq, parts[i][1]);
        if (fs->stat_size(fs->ctx, st->path2, &size) != FLOE_OK)
            continue;
        seq_name(name, seq);
        floe_format(name + SEQ_DIGITS, sizeof name - SEQ_DIGITS, "%s", parts[i][1]);
        quarantine(sp, st->path2, name);
    }
}

/* Checks that path holds size bytes with CRC-32C want. */
static int file_matches(struct floe_spool_state *st, const char *path, uint64_t size, uint32_t want)
{
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t actual;
    uint32_t crc = 0;
    return fs->stat_size(fs->ctx, path, &actual) == FLOE_OK && actual == size &&
           file_crc(st, path, size, &crc) == FLOE_OK && crc == want;
}

/* A meta of a file that more files of its group follow: its position is
 * not the group's, and until the group's last batch commits, it is not
 * committed either. */
static int is_part(const char *rec, size_t n)
{
    uint64_t v = 0;
    return rec_get_u64(rec, n, "continues", &v) && v != 0;
}

/* Verifies batch seq in ready/; returns 1 if it is whole, else quarantines it. */
static int verify_batch(struct floe_spool *sp, uint64_t seq, struct floe_spool_position *pos, uint64_t *bytes,
                        int *part)
{
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t size = 0, dead_size = 0, c, actual;
    size_t covered;
    int n;
    uint64_t flag;
    batch_path(st, st->path, "ready", seq, ".meta");
    n = read_record(st, st->path);
    covered = n > 0 ? rec_verify(st->rec, (size_t)n, "floe-meta ") : 0;
    if (covered == 0 || !get_position(st->rec, covered, pos) || pos->seq != seq ||
        !rec_get_u64(st->rec, covered, "has_parquet", &flag)) {
        quarantine_batch(sp, seq);
        return 0;
    }
    *part = is_part(st->rec, covered);
    if (flag != 0) {
        batch_path(st, st->path2, "ready", seq, ".parquet");
        if (!rec_get_u64(st->rec, covered, "size", &size) || !rec_get_u64(st->rec, covered, "crc32c", &c) ||
            !file_matches(st, st->path2, size, (uint32_t)c)) {
            quarantine_batch(sp, seq);
            return 0;
        }
    }
    *bytes = size;
    if (rec_get_u64(st->rec, covered, "dead_size", &dead_size) && dead_size > 0) {
        batch_path(st, st->path2, "dead", seq, ".ndjson");
        /* Metas written before dead_crc32c existed only give the size. */
        if (rec_get_u64(st->rec, covered, "dead_crc32c", &c) ? !file_matches(st, st->path2, dead_size, (uint32_t)c)
                                                              : fs->stat_size(fs->ctx, st->path2, &actual) != FLOE_OK ||
                                                                    actual != dead_size) {
            quarantine_batch(sp, seq);
            return 0;
        }
        *bytes += dead_size;
    }
    return 1;
}

/* Removes <sub>/<seq><ext> files whose ready/<seq>.meta does not exist. */
static int remove_without_meta(struct floe_spool *sp, const char *sub, const char *ext, int *removed_any)
{
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t after = 0, size;
    uint32_t n, i;
    int more;
    do {
        FLOE_TRY(list_seqs_after(st, sub, ext, after, &n, &more));
        for (i = 0; i < n; i++) {
            batch_path(st, st->path, "ready", st->seqs[i], ".meta");
            if (fs->stat_size(fs->ctx, st->path, &size) == FLOE_OK)
                continue;
            batch_path(st, st->path, sub, st->seqs[i], ext);
            fs->remove(fs->ctx, st->path);
            sp->stats.discarded++;
            *removed_any = 1;
        }
        after = n > 0 ? st->seqs[n - 1] : after;
    } while (more);
    return FLOE_OK;
}

/* Removes done/ metas up to seq: a durable checkpoint covers them. */
static int prune_done(struct floe_spool_state *st, uint64_t upto)
{
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t after = 0;
    uint32_t n, i;
    int more;
    do {
        FLOE_TRY(list_seqs_after(st, "done", ".meta", after, &n, &more));
        for (i = 0; i < n && st->seqs[i] <= upto; i++) {
            batch_path(st, st->path, "done", st->seqs[i], ".meta");
            fs->remove(fs->ctx, st->path);
        }
        if (i < n)
            break; /* the rest are newer */
        after = n > 0 ? st->seqs[n - 1] : after;
    } while (more);
    return FLOE_OK;
}

static int recover(struct floe_spool *sp)
{
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    struct floe_spool_position best, pos;
    struct clear_ctx cc;
    uint32_t n, i;
    uint64_t ready = 0, after;
    int n_rec, interrupted = 0, more;
    size_t covered;

    floe_memset(&best, 0, sizeof best);
    /* 1. The checkpoint, if one survived whole. */
    floe_format(st->path, sizeof st->path, "%s/checkpoint", st->cfg->dir);
    n_rec = read_record(st, st->path);
    if (n_rec > 0) {
        uint64_t version = 0;
        covered = rec_verify(st->rec, (size_t)n_rec, "floe-checkpoint ");
        if (covered > 0 && rec_get_u64(st->rec, covered, "floe-checkpoint", &version) && version > FLOE_DISK_VERSION)
            return FLOE_ERR_CORRUPT; /* a newer floe wrote this spool: do not touch it */
        if (covered == 0 || !get_position(st->rec, covered, &best)) {
            FLOE_LOG_WARN(st->cfg->log, "spool: checkpoint is torn; rebuilding it from the batches");
            floe_memset(&best, 0, sizeof best);
            interrupted = 1;
        }
    }
    /* 2. Uncommitted work: everything in tmp/. */
    cc.st = st;
    sub_path(st, st->path2, "tmp");
    cc.dir = st->path2;
    cc.removed = 0;
    FLOE_TRY(fs->list(fs->ctx, st->path2, remove_entry, &cc));
    sp->stats.discarded += cc.removed;
    if (cc.removed)
        interrupted = 1;
    /* 3. Uploaded batches whose meta the checkpoint may not cover yet. Each
     * folder is read in pages of max_files, so none is ever cut short. */
    after = 0;
    do {
        FLOE_TRY(list_seqs_after(st, "done", ".meta", after, &n, &more));
        for (i = 0; i < n; i++) {
            batch_path(st, st->path, "done", st->seqs[i], ".meta");
            n_rec = read_record(st, st->path);
            covered = n_rec > 0 ? rec_verify(st->rec, (size_t)n_rec, "floe-meta ") : 0;
            if (covered > 0 && get_position(st->rec, covered, &pos) && pos.seq > best.seq &&
                !is_part(st->rec, covered))
                best = pos;
        }
        after = n > 0 ? st->seqs[n - 1] : after;
    } while (more);
    /* 4. Committed batches: verify, and take the newest position. */
    after = 0;
    do {
        FLOE_TRY(list_seqs_after(st, "ready", ".meta", after, &n, &more));
        for (i = 0; i < n; i++) {
            uint64_t bytes = 0, seq = st->seqs[i];
            int part = 0;
            if (verify_batch(sp, seq, &pos, &bytes, &part)) {
                ready++;
                if (pos.seq > best.seq && !part)
                    best = pos;
            } else {
                interrupted = 1;
            }
        }
        after = n > 0 ? st->seqs[n - 1] : after;
    } while (more);
    st->pos = best;
    st->next_seq = best.seq + 1;
    /* 4b. Parts past the position: their group's last batch never
     * committed, so neither did they (see floe_spool_commit_part). */
    after = best.seq;
    do {
        FLOE_TRY(list_seqs_after(st, "ready", ".meta", after, &n, &more));
        for (i = 0; i < n; i++) {
            batch_path(st, st->path, "ready", st->seqs[i], ".meta");
            fs->remove(fs->ctx, st->path);
            sp->stats.discarded++;
            ready--;
            interrupted = 1;
        }
        after = n > 0 ? st->seqs[n - 1] : after;
    } while (more);
    /* 5. Data files without a meta in ready/: their batch never committed
     * (the meta never arrived), or an upload or a drop moved the meta to
     * done/ and was cut short before removing them. */
    FLOE_TRY(remove_without_meta(sp, "ready", ".parquet", &interrupted));
    FLOE_TRY(remove_without_meta(sp, "dead", ".ndjson", &interrupted));
    /* The checkpoint now covers every committed batch: done/ can go. */
    if (best.seq > 0)
        FLOE_TRY(write_checkpoint(st));
    FLOE_TRY(prune_done(st, UINT64_MAX));
    if (interrupted) {
        sp->stats.recoveries++;
        FLOE_LOG_WARN(st->cfg->log, "spool: recovered (position: batch %llu, source %u at byte %llu)",
                      (unsigned long long)best.seq, (unsigned)best.source_index, (unsigned long long)best.offset);
    }
    sp->stats.files_ready = ready;
    return FLOE_OK;
}

struct usage_ctx {
    struct floe_spool_state *st;
    const char *sub, *ext;
    uint64_t bytes;
    uint32_t files;
};

static int add_usage(void *arg, const char *name, int is_dir)
{
    struct usage_ctx *uc = (struct usage_ctx *)arg;
    const struct floe_fs_port *fs = uc->st->cfg->fs;
    char path[FLOE_SPOOL_PATH_MAX];
    uint64_t seq, size;
    if (is_dir || !parse_seq_name(name, uc->ext, &seq))
        return 0;
    floe_format(path, sizeof path, "%s/%s/%s", uc->st->cfg->dir, uc->sub, name);
    if (fs->stat_size(fs->ctx, path, &size) == FLOE_OK) {
        uc->bytes += size;
        uc->files++;
    }
    return 0;
}

/* Bytes of committed Parquet and dead-letter files, counted afresh (the
 * uploader removes files through its own handle), all of them: no list
 * limit applies to the quota. */
static int count_used(struct floe_spool *sp, uint64_t *used, uint32_t *ready)
{
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    struct usage_ctx uc;
    int err;
    uc.st = st;
    uc.bytes = 0;
    uc.files = 0;
    uc.sub = "ready";
    uc.ext = ".parquet";
    sub_path(st, st->path, "ready");
    err = fs->list(fs->ctx, st->path, add_usage, &uc);
    if (err < 0)
        return err;
    *ready = uc.files;
    uc.sub = "dead";
    uc.ext = ".ndjson";
    sub_path(st, st->path, "dead");
    err = fs->list(fs->ctx, st->path, add_usage, &uc);
    if (err < 0)
        return err;
    *used = uc.bytes;
    return FLOE_OK;
}

int floe_spool_open(struct floe_spool *sp, const struct floe_spool_config *cfg, struct floe_arena *arena)
{
    struct floe_spool_state *st = NULL;
    size_t mark;
    int err;
    uint32_t ready = 0;
    FLOE_FAIL_IF(sp == NULL || arena == NULL || floe_arena_counting(arena) || !config_ok(cfg), FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    err = carve(arena, cfg, &st);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        return err;
    }
    floe_memset(&sp->stats, 0, sizeof sp->stats);
    sp->st = st;
    sub_path(st, st->dir_tmp, "tmp");
    err = make_layout(st);
    if (err == FLOE_OK && cfg->role == FLOE_SPOOL_WRITER)
        err = recover(sp);
    if (err == FLOE_OK)
        err = count_used(sp, &sp->stats.bytes_used, &ready);
    if (err != FLOE_OK) {
        sp->st = NULL;
        floe_arena_rewind(arena, mark);
        return err;
    }
    sp->stats.files_ready = ready;
    return FLOE_OK;
}

void floe_spool_position(const struct floe_spool *sp, struct floe_spool_position *pos)
{
    if (pos == NULL)
        return;
    if (sp == NULL || sp->st == NULL)
        floe_memset(pos, 0, sizeof *pos); /* not open: nothing committed */
    else
        *pos = sp->st->pos;
}

const char *floe_spool_tmp_dir(const struct floe_spool *sp)
{
    return sp != NULL && sp->st != NULL ? sp->st->dir_tmp : "";
}

/* ---- the writer's side ------------------------------------------------------ */

static int dead_flush(struct floe_spool_state *st)
{
    int err;
    if (st->dead_len == 0)
        return FLOE_OK;
    err = floe_fs_write_all(st->cfg->fs, st->dead_file, st->dead_buf, st->dead_len);
    st->dead_len = 0;
    return err;
}

static void dead_put(struct floe_spool_state *st, const char *p, size_t n, int *err)
{
    while (n > 0 && *err == FLOE_OK) {
        size_t room = DEAD_BUF - st->dead_len, k = n < room ? n : room;
        floe_memcpy(st->dead_buf + st->dead_len, p, k);
        st->dead_crc = floe_crc32c_update(st->dead_crc, p, k);
        st->dead_len += k;
        st->dead_bytes += k;
        p += k;
        n -= k;
        if (st->dead_len == DEAD_BUF)
            *err = dead_flush(st);
    }
}

/* A JSON string of s[0..n): '"', '\\' and control bytes escaped. As text
 * (utf8 set: s is UTF-8), other bytes go as they are; otherwise every byte
 * from 0x7f up becomes \u00XX, the code point of its value (latin-1), so the
 * file stays valid NDJSON and the bytes stay recoverable. */
static void dead_put_json_string(struct floe_spool_state *st, const char *s, size_t n, int utf8, int *err)
{
    size_t i, run = 0;
    dead_put(st, "\"", 1, err);
    for (i = 0; i < n; i++) {
        char e[6];
        size_t k = floe_json_escape_byte((unsigned char)s[i], utf8, e);
        if (k == 0)
            continue;
        dead_put(st, s + run, i - run, err);
        dead_put(st, e, k, err);
        run = i + 1;
    }
    dead_put(st, s + run, n - run, err);
    dead_put(st, "\"", 1, err);
}

int floe_spool_dead_letter(struct floe_spool *sp, const struct floe_dead_letter *dl)
{
    struct floe_spool_state *st;
    char num[96];
    size_t n, text_len;
    int err = FLOE_OK;
    FLOE_FAIL_IF(sp == NULL || sp->st == NULL || dl == NULL, FLOE_ERR_INVAL);
    st = sp->st;
    if (!st->dead_open) {
        st->dead_seq = st->next_seq;
        batch_path(st, st->path, "tmp", st->dead_seq, ".dead.tmp");
        FLOE_TRY(st->cfg->fs->open(st->cfg->fs->ctx, st->dead_file, st->path, FLOE_FS_WRITE | FLOE_FS_TRUNC));
        st->dead_open = 1;
        st->dead_records = 0;
        st->dead_bytes = 0;
        st->dead_crc = 0;
        st->dead_len = 0;
        st->dead_key[0] = '\0';
        if (st->cfg->entropy != NULL && st->cfg->clock != NULL) {
            /* Unique across gateways, fixed now: a retried upload overwrites it. */
            uint8_t uuid[16];
            char name[FLOE_UUID_STR_LEN + 1];
            int64_t now = st->cfg->clock->utc_ms(st->cfg->clock->ctx);
            err = floe_uuid7_next(&st->uuids, now < 0 ? 0 : now, st->cfg->entropy, uuid);
            if (err != FLOE_OK) {
                floe_spool_rollback(sp);
                return err;
            }
            floe_uuid_format(uuid, name);
            floe_format(st->dead_key, sizeof st->dead_key, "_dead_letters/%s.ndjson", name);
        }
    }
    /* The same record as `floe convert -o` writes: reason, code, text,
     * source, line, offset, length, raw, truncated. */
    dead_put(st, "{\"reason\":\"", 11, &err);
    dead_put(st, floe_dl_reason_name(dl->reason), floe_strlen(floe_dl_reason_name(dl->reason)), &err);
    dead_put(st, num, floe_format(num, sizeof num, "\",\"code\":%d,\"text\":", dl->reason), &err);
    n = floe_strlen(dl->reason_text);
    dead_put_json_string(st, dl->reason_text, n, floe_utf8_prefix(dl->reason_text, n) == n, &err);
    dead_put(st, ",\"source\":", 10, &err);
    n = floe_strlen(dl->source); /* a file name: any bytes */
    dead_put_json_string(st, dl->source, n, floe_utf8_prefix(dl->source, n) == n, &err);
    dead_put(st, num,
             floe_format(num, sizeof num, ",\"line\":%llu,\"offset\":%llu,\"length\":%llu,\"raw\":",
                         (unsigned long long)dl->line, (unsigned long long)dl->offset,
                         (unsigned long long)dl->line_len),
             &err);
    text_len = floe_dead_letter_raw_text_len(dl);
    if (text_len != (size_t)-1) {
        dead_put_json_string(st, dl->raw, text_len, 1, &err);
    } else {
        dead_put_json_string(st, dl->raw, dl->raw_len, 0, &err);
        static const char latin1[] = ",\"raw_encoding\":\"latin1\"";
        dead_put(st, latin1, sizeof latin1 - 1u, &err);
    }
    dead_put(st, dl->truncated ? ",\"truncated\":true}\n" : ",\"truncated\":false}\n", dl->truncated ? 19u : 20u,
             &err);
    if (err == FLOE_OK)
        st->dead_records++;
    return err;
}

uint64_t floe_spool_dead_pending(const struct floe_spool *sp)
{
    return sp != NULL && sp->st != NULL && sp->st->dead_open ? sp->st->dead_bytes : 0u;
}

uint64_t floe_spool_dead_limit(const struct floe_spool *sp)
{
    const struct floe_spool_config *cfg;
    uint64_t limit;
    if (sp == NULL || sp->st == NULL)
        return 0;
    cfg = sp->st->cfg;
    limit = cfg->dead_bytes ? cfg->dead_bytes : FLOE_SPOOL_DEFAULT_DEAD_BYTES;
    /* A quota holds a few of them, or one would fill it on its own. */
    if (cfg->quota_bytes != 0 && limit > cfg->quota_bytes / 4u)
        limit = cfg->quota_bytes / 4u;
    return limit < DEAD_BUF ? DEAD_BUF : limit;
}

/* Removes the parts committed since the position: their group never ended,
 * and its records are decoded again. The meta goes first, as always. */
static void remove_open_parts(struct floe_spool *sp)
{
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t seq;
    if (st->next_seq <= st->pos.seq + 1u)
        return;
    for (seq = st->pos.seq + 1u; seq < st->next_seq; seq++) {
        uint64_t size = 0;
        batch_path(st, st->path, "ready", seq, ".parquet");
        if (fs->stat_size(fs->ctx, st->path, &size) == FLOE_OK && sp->stats.bytes_used >= size)
            sp->stats.bytes_used -= size;
        batch_path(st, st->path, "ready", seq, ".meta");
        fs->remove(fs->ctx, st->path);
        batch_path(st, st->path, "ready", seq, ".parquet");
        fs->remove(fs->ctx, st->path);
        if (sp->stats.files_ready > 0)
            sp->stats.files_ready--;
        sp->stats.discarded++;
    }
    sub_path(st, st->path2, "ready");
    fs->sync_dir(fs->ctx, st->path2); /* best effort: recovery removes any that come back */
    st->next_seq = st->pos.seq + 1u;
    st->open_part_bytes = 0;
}

void floe_spool_rollback(struct floe_spool *sp)
{
    struct floe_spool_state *st;
    if (sp == NULL || sp->st == NULL)
        return;
    st = sp->st;
    if (st->dead_open) {
        st->cfg->fs->close(st->cfg->fs->ctx, st->dead_file);
        batch_path(st, st->path, "tmp", st->dead_seq, ".dead.tmp");
        st->cfg->fs->remove(st->cfg->fs->ctx, st->path);
        st->dead_open = 0;
        st->dead_len = 0;
    }
    remove_open_parts(sp);
}

/* Commits a batch. A part (a file of a group that more files follow, see
 * floe_spool_commit_part) carries no dead letters and leaves the position
 * where it is: its meta repeats the last committed one. */
static int commit_batch(struct floe_spool *sp, const struct floe_file_facts *facts,
                        const struct floe_spool_position *pos, int part)
{
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    struct rec_writer w;
    struct floe_spool_position p;
    char hex[FLOE_SHA256_LEN * 2 + 1];
    uint64_t seq = st->next_seq, dead_size = 0;
    size_t n;
    int err = FLOE_OK;
    p = *pos;
    p.seq = seq;

    /* 1. The dead letters reach the disk. */
    if (st->dead_open && !part) {
        err = dead_flush(st);
        if (err == FLOE_OK)
            err = fs->sync(fs->ctx, st->dead_file);
        {
            int cerr = fs->close(fs->ctx, st->dead_file);
            if (err == FLOE_OK)
                err = cerr;
        }
        st->dead_open = 0;
        dead_size = st->dead_bytes;
        if (err != FLOE_OK) {
            floe_spool_rollback(sp);
            return err;
        }
    }
    /* 2. The meta record, written and synced under a temporary name. */
    w.buf = st->rec;
    w.len = 0;
    w.overflow = 0;
    rec_u64(&w, "floe-meta", FLOE_DISK_VERSION);
    put_position(&w, &p);
    rec_u64(&w, "has_parquet", facts != NULL ? 1u : 0u);
    if (part)
        rec_u64(&w, "continues", 1u);
    if (facts != NULL) {
        rec_name(&w, "key", facts->object_key);
        rec_u64(&w, "size", facts->size);
        rec_u64(&w, "rows", facts->records);
        rec_u64(&w, "crc32c", facts->crc32c);
        floe_hex(facts->sha256, FLOE_SHA256_LEN, hex);
        rec_put(&w, "sha256", hex);
        rec_u64(&w, "has_ts", facts->has_ts ? 1u : 0u);
        rec_i64(&w, "min_ts", facts->has_ts ? facts->min_ts : 0);
        rec_i64(&w, "max_ts", facts->has_ts ? facts->max_ts : 0);
        rec_name(&w, "partition", facts->partition);
    }
    rec_u64(&w, "dead_records", dead_size > 0 ? st->dead_records : 0u);
    rec_u64(&w, "dead_size", dead_size);
    if (dead_size > 0) {
        rec_u64(&w, "dead_crc32c", st->dead_crc);
        if (st->dead_key[0] != '\0')
            rec_name(&w, "dead_key", st->dead_key);
    }
    n = rec_finish(&w);
    if (n == 0)
        err = FLOE_ERR_LIMIT;
    batch_path(st, st->path, "tmp", seq, ".meta.tmp");
    if (err == FLOE_OK)
        err = fs->open(fs->ctx, st->file, st->path, FLOE_FS_WRITE | FLOE_FS_TRUNC);
    if (err == FLOE_OK) {
        int cerr;
        err = floe_fs_write_all(fs, st->file, st->rec, n);
        if (err == FLOE_OK)
            err = fs->sync(fs->ctx, st->file);
        cerr = fs->close(fs->ctx, st->file);
        if (err == FLOE_OK)
            err = cerr;
    }
    /* 3. The data files into place (not yet committed: no meta beside them). */
    if (err == FLOE_OK && facts != NULL) {
        batch_path(st, st->path2, "ready", seq, ".parquet");
        err = fs->rename(fs->ctx, facts->path, st->path2);
    }
    if (err == FLOE_OK && dead_size > 0) {
        batch_path(st, st->path, "tmp", st->dead_seq, ".dead.tmp");
        batch_path(st, st->path2, "dead", seq, ".ndjson");
        err = fs->rename(fs->ctx, st->path, st->path2);
        if (err == FLOE_OK) {
            sub_path(st, st->path2, "dead");
            err = fs->sync_dir(fs->ctx, st->path2);
        }
    }
    if (err == FLOE_OK) {
        sub_path(st, st->path2, "ready");
        err = fs->sync_dir(fs->ctx, st->path2);
    }
    /* 4. The commit point: the meta's rename, made durable. */
    if (err == FLOE_OK) {
        batch_path(st, st->path, "tmp", seq, ".meta.tmp");
        batch_path(st, st->path2, "ready", seq, ".meta");
        err = fs->rename(fs->ctx, st->path, st->path2);
    }
    if (err == FLOE_OK) {
        sub_path(st, st->path2, "ready");
        err = fs->sync_dir(fs->ctx, st->path2);
    }
    if (err != FLOE_OK) {
        /* Not committed: what was moved is uncommitted and recovery (or the
         * next open) removes it; the caller resumes from the old position. */
        batch_path(st, st->path, "tmp", seq, ".meta.tmp");
        fs->remove(fs->ctx, st->path);
        /* The meta first: renamed but not synced is not committed, and a
         * meta beside no data would stop the uploader. */
        batch_path(st, st->path, "ready", seq, ".meta");
        fs->remove(fs->ctx, st->path);
        batch_path(st, st->path, "ready", seq, ".parquet");
        fs->remove(fs->ctx, st->path);
        batch_path(st, st->path, "dead", seq, ".ndjson");
        fs->remove(fs->ctx, st->path);
        if (dead_size > 0) {
            batch_path(st, st->path, "tmp", st->dead_seq, ".dead.tmp");
            fs->remove(fs->ctx, st->path);
        }
        return err;
    }
    st->next_seq = seq + 1;
    sp->stats.batches_committed++;
    sp->stats.bytes_used += (facts != NULL ? facts->size : 0u) + dead_size;
    if (facts != NULL)
        sp->stats.files_ready++;
    if (part) {
        st->open_part_bytes += facts != NULL ? facts->size : 0u;
        return FLOE_OK; /* the group's last batch moves the position */
    }
    st->open_part_bytes = 0;
    st->pos = p;
    /* 5. The checkpoint follows; if it is lost, recovery reads the meta. */
    err = write_checkpoint(st);
    if (err != FLOE_OK)
        FLOE_LOG_WARN(st->cfg->log, "spool: checkpoint write failed (%s); the meta records cover it",
                      floe_strerror(err));
    else if (prune_done(st, st->pos.seq) != FLOE_OK) /* or done/ grows by one meta per upload */
        FLOE_LOG_WARN(st->cfg->log, "spool: could not clear done/; the next open does");
    return FLOE_OK;
}

int floe_spool_commit(struct floe_spool *sp, const struct floe_file_facts *facts,
                      const struct floe_spool_position *pos)
{
    FLOE_FAIL_IF(sp == NULL || sp->st == NULL || pos == NULL, FLOE_ERR_INVAL);
    return commit_batch(sp, facts, pos, 0);
}

int floe_spool_commit_part(struct floe_spool *sp, const struct floe_file_facts *facts)
{
    FLOE_FAIL_IF(sp == NULL || sp->st == NULL || facts == NULL, FLOE_ERR_INVAL);
    return commit_batch(sp, facts, &sp->st->pos, 1);
}

/* ---- quota ------------------------------------------------------------------ */

/* Drops batch seq for room. The uploader may take the same batch at the
 * same time: whichever moves its meta to done/ first has it. If the
 * uploader won, nothing is dropped or counted, and the caller looks again. */
static int drop_batch(struct floe_spool *sp, uint64_t seq)
{
    struct floe_spool_state *st = sp->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t rows = 0, dead = 0;
    int n = 0, err;
    size_t covered = 0;
    batch_path(st, st->path, "ready", seq, ".meta");
    n = read_record(st, st->path);
    if (n > 0)
        covered = rec_verify(st->rec, (size_t)n, "floe-meta ");
    if (covered > 0) {
        rec_get_u64(st->rec, covered, "rows", &rows);
        rec_get_u64(st->rec, covered, "dead_records", &dead);
    }
    /* Same order as an upload: the meta leaves first (through done/). */
    batch_path(st, st->path2, "done", seq, ".meta");
    err = fs->rename(fs->ctx, st->path, st->path2);
    if (err == FLOE_ERR_NOENT)
        return FLOE_OK; /* uploaded meanwhile: it made its room */
    FLOE_TRY(err);
    /* Durable before the data goes, as in floe_spool_remove: a power cut
     * must not bring the meta back without its Parquet file. */
    sub_path(st, st->path2, "done");
    FLOE_TRY(fs->sync_dir(fs->ctx, st->path2));
    batch_path(st, st->path, "ready", seq, ".parquet");
    fs->remove(fs->ctx, st->path);
    batch_path(st, st->path, "dead", seq, ".ndjson");
    fs->remove(fs->ctx, st->path);
    sp->stats.batches_dropped++;
    sp->stats.records_dropped += rows + dead;
    if (st->cfg->hooks != NULL && st->cfg->hooks->dropped != NULL)
        st->cfg->hooks->dropped(st->cfg->hooks->ctx, seq, rows + dead);
    FLOE_LOG_WARN(st->cfg->log, "spool full: dropped batch %llu (%llu records)", (unsigned long long)seq,
                  (unsigned long long)(rows + dead));
    return FLOE_OK;
}

int floe_spool_refresh(struct floe_spool *sp)
{
    uint64_t used;
    uint32_t ready;
    FLOE_FAIL_IF(sp == NULL || sp->st == NULL, FLOE_ERR_INVAL);
    FLOE_TRY(count_used(sp, &used, &ready));
    sp->stats.bytes_used = used;
    sp->stats.files_ready = ready;
    return FLOE_OK;
}

int floe_spool_reserve(struct floe_spool *sp, uint64_t bytes)
{
    struct floe_spool_state *st;
    uint64_t used, free_bytes = 0;
    uint32_t ready, guard;
    FLOE_FAIL_IF(sp == NULL || sp->st == NULL, FLOE_ERR_INVAL);
    st = sp->st;
    for (guard = 0; guard <= st->max_files; guard++) {
        int disk_ok = st->cfg->fs->free_space(st->cfg->fs->ctx, st->cfg->dir, &free_bytes) != FLOE_OK ||
                      free_bytes >= bytes;
        FLOE_TRY(count_used(sp, &used, &ready));
        sp->stats.bytes_used = used;
        sp->stats.files_ready = ready;
        /* An empty spool always takes the next file: nothing could make room
         * for it, and refusing would stall the writer for good. The open
         * group's own parts count as empty for this: the uploader cannot
         * take them before the group ends, and a rewind removes them. */
        if (used <= st->open_part_bytes ||
            (disk_ok && (st->cfg->quota_bytes == 0 || used + bytes <= st->cfg->quota_bytes)))
            return FLOE_OK;
        if (st->cfg->full_policy != FLOE_SPOOL_DROP_OLDEST)
            return FLOE_ERR_AGAIN;
        FLOE_TRY(list_seqs(st, "ready", ".meta", &ready));
        if (ready == 0 || st->seqs[0] > st->pos.seq)
            return FLOE_OK; /* only dead letters, or the open group's own parts: go on,
                             * the disk will say if it is full */
        FLOE_TRY(drop_batch(sp, st->seqs[0]));
    }
    return FLOE_ERR_AGAIN;
}

/* ---- the uploader's side ---------------------------------------------------- */

int floe_spool_oldest(struct floe_spool *sp, struct floe_spool_batch *b)
{
    return floe_spool_oldest_lane(sp, 1, 0, b);
}

/* The last batch whose group is whole: the writer's position, or for the
 * uploader's handle the checkpoint's (0 if it cannot be read: wait). */
static uint64_t last_whole_seq(struct floe_spool_state *st)
{
    struct floe_spool_position pos;
    uint64_t seq = st->pos.seq;
    int n;
    size_t covered;
    floe_format(st->path, sizeof st->path, "%s/checkpoint", st->cfg->dir);
    n = read_record(st, st->path);
    covered = n > 0 ? rec_verify(st->rec, (size_t)n, "floe-checkpoint ") : 0;
    if (covered > 0 && get_position(st->rec, covered, &pos) && pos.seq > seq)
        seq = pos.seq;
    return seq;
}

int floe_spool_oldest_lane(struct floe_spool *sp, uint32_t lanes, uint32_t lane, struct floe_spool_batch *b)
{
    struct floe_spool_state *st;
    uint64_t after = 0, whole = 0;
    uint32_t n, i;
    int more, looked = 0;
    FLOE_FAIL_IF(sp == NULL || sp->st == NULL || b == NULL || lanes == 0 || lane >= lanes, FLOE_ERR_INVAL);
    st = sp->st;
    /* Page through: the oldest max_files may all be another lane's, or
     * torn ones the writer's recovery will deal with. */
    do {
        FLOE_TRY(list_seqs_after(st, "ready", ".meta", after, &n, &more));
        for (i = 0; i < n; i++) {
            uint64_t seq = st->seqs[i], flag = 0, c = 0, dead_size = 0;
            int len;
            size_t covered;
            if (seq % lanes != lane)
                continue; /* another uploader's */
            batch_path(st, st->path, "ready", seq, ".meta");
            len = read_record(st, st->path);
            covered = len > 0 ? rec_verify(st->rec, (size_t)len, "floe-meta ") : 0;
            if (covered == 0)
                continue; /* the writer's recovery deals with it */
            if (is_part(st->rec, covered) && seq > whole) {
                /* Uploaded before its group ends, a part would be in the
                 * bucket twice if a crash made the writer redo the group. */
                if (looked)
                    continue;
                whole = last_whole_seq(st);
                looked = 1;
                if (seq > whole)
                    continue;
                batch_path(st, st->path, "ready", seq, ".meta");
                len = read_record(st, st->path);
                covered = len > 0 ? rec_verify(st->rec, (size_t)len, "floe-meta ") : 0;
                if (covered == 0)
                    continue;
            }
            floe_memset(b, 0, sizeof *b);
            b->seq = seq;
            rec_get_u64(st->rec, covered, "has_parquet", &flag);
            rec_get_u64(st->rec, covered, "dead_size", &dead_size);
            rec_get_u64(st->rec, covered, "dead_records", &b->dead_records);
            if (flag) {
                rec_get_name(st->rec, covered, "key", b->object_key, sizeof b->object_key);
                rec_get_u64(st->rec, covered, "size", &b->size);
                rec_get_u64(st->rec, covered, "rows", &b->records);
                rec_get_u64(st->rec, covered, "crc32c", &c);
                b->crc32c = (uint32_t)c;
                rec_get_hex(st->rec, covered, "sha256", b->sha256, sizeof b->sha256);
                rec_get_i64(st->rec, covered, "min_ts", &b->min_ts);
                rec_get_i64(st->rec, covered, "max_ts", &b->max_ts);
                /* Metas before has_ts wrote 0 and 0 for "none". */
                b->has_ts = rec_get_u64(st->rec, covered, "has_ts", &c) ? c != 0
                                                                        : b->min_ts != 0 || b->max_ts != 0;
                batch_path(st, b->parquet_path, "ready", seq, ".parquet");
            }
            if (dead_size > 0) {
                batch_path(st, b->dead_path, "dead", seq, ".ndjson");
                if (!rec_get_name(st->rec, covered, "dead_key", b->dead_key, sizeof b->dead_key))
                    b->dead_key[0] = '\0';
            }
            return FLOE_OK;
        }
        after = n > 0 ? st->seqs[n - 1] : after;
    } while (more);
    return FLOE_ERR_NOENT;
}

int floe_spool_remove(struct floe_spool *sp, uint64_t seq)
{
    struct floe_spool_state *st;
    const struct floe_fs_port *fs;
    FLOE_FAIL_IF(sp == NULL || sp->st == NULL, FLOE_ERR_INVAL);
    st = sp->st;
    fs = st->cfg->fs;
    /* The meta moves to done/ first (its position stays known until the
     * checkpoint covers it), then the data goes. A crash in between leaves
     * data without a meta, which recovery removes. */
    batch_path(st, st->path, "ready", seq, ".meta");
    batch_path(st, st->path2, "done", seq, ".meta");
    FLOE_TRY(fs->rename(fs->ctx, st->path, st->path2));
    sub_path(st, st->path2, "done");
    FLOE_TRY(fs->sync_dir(fs->ctx, st->path2));
    batch_path(st, st->path, "ready", seq, ".parquet");
    fs->remove(fs->ctx, st->path);
    batch_path(st, st->path, "dead", seq, ".ndjson");
    fs->remove(fs->ctx, st->path);
    sp->stats.uploaded++;
    return FLOE_OK;
}
