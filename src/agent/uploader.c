/* The uploader loop (see floe/uploader.h). */
#include "floe/uploader.h"
#include "floe/sha256.h"
#include "floe/crc32c.h"
#include "floe/utc.h"
#include "floe/version.h"
#include "core/internal.h"

#define COPY_BUF 65536u
#define JOURNAL_MAX 16384u
#define MAX_PARTS 256u   /* part size grows so a file never needs more */
#define KEY_BUF (FLOE_SPOOL_KEY_MAX + 128u)

struct floe_uploader_state {
    struct floe_uploader_config *cfg;
    uint64_t next_attempt_ms;   /* monotonic */
    uint64_t breaker_until_ms;  /* monotonic; 0: closed */
    uint32_t attempt;           /* failures of the current batch */
    uint64_t attempt_seq;
    uint8_t *copy;              /* copy buffer (DIR target) */
    char *journal;              /* JOURNAL_MAX: a multipart journal, or a manifest
                                 * (built once the batch's uploads are done) */
    struct floe_s3_part *parts; /* MAX_PARTS */
    void *src, *dst;            /* file objects */
    char key[KEY_BUF];
    char path[FLOE_SPOOL_PATH_MAX + 64];
    char path2[FLOE_SPOOL_PATH_MAX + KEY_BUF];
    char upload_id[FLOE_S3_UPLOAD_ID_MAX];
    struct floe_spool_batch batch; /* the one in flight: kept off the stack */
    uint64_t rand_state;
};

static int carve(struct floe_arena *a, const struct floe_uploader_config *cfg, struct floe_uploader_state **out)
{
    struct floe_uploader_state *st;
    void *p;
    FLOE_TRY(floe_arena_take(a, sizeof *st, 8, &p));
    st = (struct floe_uploader_state *)p;
    FLOE_TRY(floe_arena_take(a, COPY_BUF, 8, &p));
    if (st)
        st->copy = (uint8_t *)p;
    FLOE_TRY(floe_arena_take(a, JOURNAL_MAX, 8, &p));
    if (st)
        st->journal = (char *)p;
    FLOE_TRY(floe_arena_take(a, MAX_PARTS * sizeof(struct floe_s3_part), 8, &p));
    if (st)
        st->parts = (struct floe_s3_part *)p;
    FLOE_TRY(floe_arena_take(a, cfg->fs->file_size, 8, &p));
    if (st)
        st->src = p;
    FLOE_TRY(floe_arena_take(a, cfg->fs->file_size, 8, &p));
    if (st)
        st->dst = p;
    *out = st;
    return FLOE_OK;
}

size_t floe_uploader_size(const struct floe_uploader_config *cfg)
{
    struct floe_arena a;
    struct floe_uploader_state *st;
    struct floe_spool_config sc;
    size_t s3 = 0, sp;
    if (cfg == NULL || cfg->fs == NULL || cfg->clock == NULL || cfg->entropy == NULL ||
        (cfg->lanes > 1 && cfg->lane >= cfg->lanes))
        return 0;
    sc = cfg->spool;
    sc.role = FLOE_SPOOL_UPLOADER;
    sp = floe_spool_size(&sc);
    if (sp == 0)
        return 0;
    if (cfg->target == FLOE_TARGET_S3) {
        s3 = floe_s3_size(&cfg->s3);
        if (s3 == 0)
            return 0;
    } else if (cfg->dir == NULL) {
        return 0;
    }
    floe_arena_init_counting(&a);
    if (carve(&a, cfg, &st) != FLOE_OK)
        return 0;
    return a.used + sp + s3 + 32;
}

void floe_uploader_init(struct floe_uploader *u)
{
    if (u != NULL)
        floe_memset(u, 0, sizeof *u);
}

int floe_uploader_setup(struct floe_uploader *u, struct floe_uploader_config *cfg, struct floe_arena *arena)
{
    struct floe_uploader_state *st;
    size_t mark;
    int err;
    FLOE_FAIL_IF(u == NULL || arena == NULL || floe_uploader_size(cfg) == 0, FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    FLOE_TRY(carve(arena, cfg, &st));
    st->cfg = cfg;
    cfg->spool.role = FLOE_SPOOL_UPLOADER;
    floe_spool_init(&u->spool);
    err = floe_spool_open(&u->spool, &cfg->spool, arena);
    if (err == FLOE_OK && cfg->target == FLOE_TARGET_S3) {
        floe_s3_init(&u->s3);
        err = floe_s3_setup(&u->s3, &cfg->s3, arena);
    }
    if (err == FLOE_OK) {
        /* The multipart journals live beside the batches they belong to. */
        floe_format(st->path, sizeof st->path, "%s/uploads", cfg->spool.dir);
        err = cfg->fs->mkdir(cfg->fs->ctx, st->path);
    }
    if (err == FLOE_OK)
        err = cfg->entropy->fill(cfg->entropy->ctx, &st->rand_state, sizeof st->rand_state);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        return err;
    }
    floe_memset(&u->stats, 0, sizeof u->stats);
    u->st = st;
    return FLOE_OK;
}

void floe_uploader_free(struct floe_uploader *u)
{
    if (u == NULL || u->st == NULL)
        return;
    if (u->st->cfg->target == FLOE_TARGET_S3)
        floe_s3_free(&u->s3);
    floe_memset(u, 0, sizeof *u);
}

static uint64_t now_ms(const struct floe_uploader_state *st)
{
    return st->cfg->clock->monotonic_ms(st->cfg->clock->ctx);
}

uint32_t floe_uploader_wait_ms(const struct floe_uploader *u)
{
    uint64_t now, due;
    if (u == NULL || u->st == NULL)
        return 0;
    now = now_ms(u->st);
    due = u->st->next_attempt_ms > u->st->breaker_until_ms ? u->st->next_attempt_ms : u->st->breaker_until_ms;
    return due > now ? (uint32_t)(due - now) : 0u;
}

static uint64_t next_random(struct floe_uploader_state *st)
{
    st->rand_state ^= st->rand_state >> 12;
    st->rand_state ^= st->rand_state << 25;
    st->rand_state ^= st->rand_state >> 27;
    return st->rand_state * 0x2545f4914f6cdd1dull;
}

/* A failed attempt: exponential backoff with full jitter, at least the
 * server's Retry-After; the breaker opens after repeated failures. */
static int failed(struct floe_uploader *u, const char *what, uint32_t retry_after_s)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_uploader_config *cfg = st->cfg;
    uint64_t base = cfg->backoff_base_ms ? cfg->backoff_base_ms : 500u;
    uint64_t cap = cfg->backoff_max_ms ? cfg->backoff_max_ms : 60000u;
    uint64_t ceiling = base << (st->attempt < 16 ? st->attempt : 16u), delay;
    uint32_t trip = cfg->breaker_failures ? cfg->breaker_failures : 5u;
    int failing;
    if (ceiling > cap)
        ceiling = cap;
    delay = next_random(st) % (ceiling + 1u);
    /* Honour Retry-After, but no longer than our own longest delay: the
     * header is outside input and may say days. */
    if ((uint64_t)retry_after_s * 1000u > delay)
        delay = (uint64_t)retry_after_s * 1000u < cap ? (uint64_t)retry_after_s * 1000u : cap;
    st->attempt++;
    u->stats.uploads_failed++;
    u->stats.retries++;
    u->stats.consecutive_failures++;
    floe_format(u->stats.last_error, sizeof u->stats.last_error, "%s", what);
    if (cfg->hooks != NULL && cfg->hooks->error != NULL)
        cfg->hooks->error(cfg->hooks->ctx, FLOE_ERR_AGAIN, what);
    st->next_attempt_ms = now_ms(st) + delay;
    failing = cfg->max_failures != 0 && u->stats.consecutive_failures >= cfg->max_failures;
    if (failing) {
        /* The error state: the caller decides whether to stop; a caller that
         * goes on calling step probes at most once per breaker interval. */
        uint64_t probe = now_ms(st) + (cfg->breaker_open_ms ? cfg->breaker_open_ms : 30000u);
        if (probe > st->breaker_until_ms)
            st->breaker_until_ms = probe;
    }
    if (u->stats.consecutive_failures % trip == 0) {
        st->breaker_until_ms = now_ms(st) + (cfg->breaker_open_ms ? cfg->breaker_open_ms : 30000u);
        u->stats.breaker_trips++;
        FLOE_LOG_WARN(cfg->log, "upload: %u failures in a row, pausing uploads for %u ms (%s)",
                      (unsigned)u->stats.consecutive_failures,
                      (unsigned)(cfg->breaker_open_ms ? cfg->breaker_open_ms : 30000u), what);
    } else {
        /* The real wait: a backoff, or the error state's probe interval. */
        FLOE_LOG_WARN(cfg->log, "upload failed, retrying in %u ms: %s", (unsigned)floe_uploader_wait_ms(u), what);
    }
    if (failing) {
        FLOE_LOG_ERROR(cfg->log, "upload: %u failures in a row (max_failures %u): %s",
                       (unsigned)u->stats.consecutive_failures, (unsigned)cfg->max_failures, what);
        return FLOE_ERR_TIMEOUT;
    }
    return FLOE_ERR_AGAIN;
}

static int fatal(struct floe_uploader *u, int err, const char *what)
{
    /* The step's FLOE_ERR_NOENT says "nothing to upload" and FLOE_ERR_AGAIN
     * "wait": a stop must be neither. (S3's 404, NoSuchBucket, arrives as
     * NOENT, and `floe upload` took it for an empty spool and exited 0.) */
    if (err == FLOE_ERR_NOENT || err == FLOE_ERR_AGAIN || err == FLOE_OK)
        err = FLOE_ERR_HTTP;
    u->stats.fatal = 1;
    u->stats.uploads_failed++;
    floe_format(u->stats.last_error, sizeof u->stats.last_error, "%s", what);
    if (u->st->cfg->hooks != NULL && u->st->cfg->hooks->error != NULL)
        u->st->cfg->hooks->error(u->st->cfg->hooks->ctx, err, what);
    FLOE_LOG_ERROR(u->st->cfg->log, "upload stopped: %s", what);
    return err;
}

/* A result from the S3 client, as the loop's outcome. */
static int s3_outcome(struct floe_uploader *u, int err, const struct floe_s3_result *res, const char *op)
{
    char what[200];
    if (err == FLOE_OK)
        return FLOE_OK;
    if (res->status != 0)
        floe_format(what, sizeof what, "%s: HTTP %d %s %s", op, res->status, res->code, res->message);
    else
        floe_format(what, sizeof what, "%s: %s", op, res->message[0] ? res->message : floe_strerror(err));
    if (res->outcome == FLOE_S3_FATAL)
        return fatal(u, err, what);
    return failed(u, what, res->retry_after_s);
}

/* ---- the local-folder target --------------------------------------------- */

/* DIR target: path2 gets key's place under the folder, path its .part, and
 * the key's folders (partitions, prefixes) are made. */
static int dir_path_for(struct floe_uploader *u, const char *key)
{
    struct floe_uploader_state *st = u->st;
    char *slash;
    int err;
    floe_format(st->path2, sizeof st->path2, "%s/%s", st->cfg->dir, key);
    slash = st->path2 + floe_strlen(st->path2);
    while (*slash != '/')
        slash--; /* the key's folder: path2 has the '/' after dir at least */
    *slash = '\0';
    err = floe_fs_make_dirs(st->cfg->fs, st->path2, floe_strlen(st->cfg->dir));
    *slash = '/';
    if (err != FLOE_OK)
        return err;
    floe_format(st->path, sizeof st->path, "%s.part", st->path2);
    return FLOE_OK;
}

/* The rename that made path2 visible survives a power cut only once its
 * folder is synced; until then the spool must not let the batch go. */
static int sync_key_dir(struct floe_uploader *u)
{
    struct floe_uploader_state *st = u->st;
    char *slash = st->path2 + floe_strlen(st->path2);
    int err;
    while (slash > st->path2 && *slash != '/')
        slash--;
    *slash = '\0';
    err = st->cfg->fs->sync_dir(st->cfg->fs->ctx, st->path2);
    *slash = '/';
    return err;
}

static int copy_to_dir(struct floe_uploader *u, const char *from, const char *key)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    uint64_t off = 0;
    int err;
    FLOE_TRY(dir_path_for(u, key));
    FLOE_TRY(fs->open(fs->ctx, st->src, from, FLOE_FS_READ));
    err = fs->open(fs->ctx, st->dst, st->path, FLOE_FS_WRITE | FLOE_FS_TRUNC);
    if (err != FLOE_OK) {
        fs->close(fs->ctx, st->src);
        return err;
    }
    for (;;) {
        floe_ssize_t r = fs->read(fs->ctx, st->src, off, st->copy, COPY_BUF);
        if (r <= 0) {
            err = (int)r;
            break;
        }
        err = floe_fs_write_all(st->cfg->fs, st->dst, st->copy, (size_t)r);
        if (err != FLOE_OK)
            break;
        off += (uint64_t)r;
    }
    fs->close(fs->ctx, st->src);
    err = floe_fs_finish(st->cfg->fs, st->dst, err, st->path, st->path2);
    if (err == FLOE_OK)
        err = sync_key_dir(u);
    u->stats.bytes_sent += off;
    return err;
}

/* Writes n bytes from memory to key under the DIR target, as copy_to_dir
 * does a file: a .part, synced, renamed into place. */
static int write_to_dir(struct floe_uploader *u, const void *data, size_t n, const char *key)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    FLOE_TRY(dir_path_for(u, key));
    FLOE_TRY(fs->open(fs->ctx, st->dst, st->path, FLOE_FS_WRITE | FLOE_FS_TRUNC));
    FLOE_TRY(floe_fs_finish(fs, st->dst, floe_fs_write_all(fs, st->dst, data, n), st->path, st->path2));
    return sync_key_dir(u);
}

/* ---- manifests ------------------------------------------------------------- */

struct text {
    char *p;
    size_t len, cap;
    int full;
};

static void text_add(struct text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void text_add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    if (t->full)
        return;
    va_start(ap, fmt);
    n = floe_vformat(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += n;
    if (t->len + 1u >= t->cap)
        t->full = 1; /* (perhaps cut short: the manifest is refused) */
}

/* A JSON string: '"', '\\' and control bytes escaped; UTF-8 as it is (keys
 * are UTF-8, S3 requires it). */
static void text_json_string(struct text *t, const char *s, size_t n)
{
    size_t i;
    text_add(t, "\"");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            text_add(t, "\\%c", c);
        else if (c < 0x20)
            text_add(t, "\\u00%c%c", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
        else
            text_add(t, "%c", c);
    }
    text_add(t, "\"");
}

/* The manifest of a batch whose Parquet object went to `key`: one JSON
 * object a table committer (Delta Lake, Iceberg) can add the file from
 * without reading it. Partition values come from the key's name=value
 * folders. */
static int build_manifest(const struct floe_spool_batch *b, const char *key, char *out, size_t cap, size_t *len)
{
    struct text t;
    char sha[65], iso[32];
    const char *name = key, *at;
    int first = 1;
    t.p = out;
    t.len = 0;
    t.cap = cap;
    t.full = 0;
    for (at = key; *at != '\0'; at++)
        if (*at == '/')
            name = at + 1;
    text_add(&t, "{\"key\":");
    text_json_string(&t, key, floe_strlen(key));
    text_add(&t, ",\"format\":\"parquet\",\"size\":%llu,\"records\":%llu", (unsigned long long)b->size,
             (unsigned long long)b->records);
    if (b->has_ts) {
        floe_utc_format_iso(b->min_ts, iso);
        text_add(&t, ",\"min_ts\":\"%s\"", iso);
        floe_utc_format_iso(b->max_ts, iso);
        text_add(&t, ",\"max_ts\":\"%s\"", iso);
    }
    text_add(&t, ",\"partition\":{");
    for (at = key; at < name;) {
        const char *end = at, *eq = NULL;
        while (*end != '/') {
            if (*end == '=' && eq == NULL)
                eq = end;
            end++;
        }
        if (eq != NULL && eq > at) {
            text_add(&t, first ? "" : ",");
            text_json_string(&t, at, (size_t)(eq - at));
            text_add(&t, ":");
            text_json_string(&t, eq + 1, (size_t)(end - eq - 1));
            first = 0;
        }
        at = end + 1;
    }
    floe_hex(b->sha256, 32, sha);
    text_add(&t, "},\"sha256\":\"%s\",\"crc32c\":%lu,\"dead_letters\":%llu,\"created_by\":\"floe %s\"}\n",
             sha, (unsigned long)b->crc32c, (unsigned long long)b->dead_records, FLOE_VERSION_STRING);
    *len = t.len;
    return t.full ? FLOE_ERR_LIMIT : FLOE_OK;
}

/* The manifest goes under <prefix>_manifests/, at the Parquet key's path
 * with .json for .parquet: a retry overwrites it, like the object. */
static int put_manifest(struct floe_uploader *u, const struct floe_spool_batch *b)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_uploader_config *cfg = st->cfg;
    const char *prefix = cfg->key_prefix ? cfg->key_prefix : "";
    struct floe_s3_result res;
    size_t n, klen = floe_strlen(b->object_key);
    int err;
    floe_format(st->key, sizeof st->key, "%s%s", prefix, b->object_key);
    if (build_manifest(b, st->key, st->journal, JOURNAL_MAX, &n) != FLOE_OK)
        return fatal(u, FLOE_ERR_LIMIT, "a manifest longer than its buffer");
    if (klen > 8 && floe_memcmp(b->object_key + klen - 8, ".parquet", 8) == 0)
        klen -= 8;
    floe_format(st->key, sizeof st->key, "%s_manifests/%.*s.json", prefix, (int)klen, b->object_key);
    if (cfg->target == FLOE_TARGET_DIR) {
        err = write_to_dir(u, st->journal, n, st->key);
        return err == FLOE_OK ? FLOE_OK : failed(u, "writing a manifest", 0);
    }
    err = floe_s3_put_bytes(&u->s3, st->key, st->journal, n, "application/json", &res);
    return err == FLOE_OK ? FLOE_OK : s3_outcome(u, err, &res, "PutObject (manifest)");
}

/* ---- multipart journals ---------------------------------------------------- */

static void journal_path(struct floe_uploader_state *st, uint64_t seq, char *out, size_t cap, const char *ext)
{
    floe_format(out, cap, "%s/uploads/%llu%s", st->cfg->spool.dir, (unsigned long long)seq, ext);
}

/* Journal: "upload_id X\nkey K\npart_size N\npart <n> <etag>\n...crc <hex>\n". */
static int journal_write(struct floe_uploader *u, uint64_t seq, uint64_t part_size, uint32_t n_parts)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    size_t n;
    uint32_t i;
    int err;
    char final_path[FLOE_SPOOL_PATH_MAX + 64];
    n = floe_format(st->journal, JOURNAL_MAX, "upload_id %s\nkey %s\npart_size %llu\n", st->upload_id, st->key,
                    (unsigned long long)part_size);
    for (i = 0; i < n_parts; i++)
        n += floe_format(st->journal + n, JOURNAL_MAX - n, "part %u %s %s\n", (unsigned)st->parts[i].number,
                         st->parts[i].crc32c_b64, st->parts[i].etag);
    n += floe_format(st->journal + n, JOURNAL_MAX - n, "crc %x\n", (unsigned)floe_crc32c(st->journal, n));
    if (n + 1 >= JOURNAL_MAX)
        return FLOE_ERR_LIMIT;
    journal_path(st, seq, st->path, sizeof st->path, ".tmp");
    journal_path(st, seq, final_path, sizeof final_path, ".journal");
    FLOE_TRY(fs->open(fs->ctx, st->dst, st->path, FLOE_FS_WRITE | FLOE_FS_TRUNC));
    err = floe_fs_finish(fs, st->dst, floe_fs_write_all(fs, st->dst, st->journal, n), st->path, final_path);
    if (err == FLOE_OK) {
        floe_format(st->path, sizeof st->path, "%s/uploads", st->cfg->spool.dir);
        err = fs->sync_dir(fs->ctx, st->path);
    }
    return err;
}

/* Reads a journal back; returns the parts done (0 when there is none or it
 * does not belong to this key). Torn or foreign journals are ignored: the
 * upload starts over under a new id (the old one is left to the bucket's
 * lifecycle rule for incomplete uploads). */
static uint32_t journal_read(struct floe_uploader *u, uint64_t seq, uint64_t *part_size)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_fs_port *fs = st->cfg->fs;
    floe_ssize_t n;
    size_t i = 0, crc_at = 0;
    uint32_t parts = 0;
    journal_path(st, seq, st->path, sizeof st->path, ".journal");
    if (fs->open(fs->ctx, st->src, st->path, FLOE_FS_READ) != FLOE_OK)
        return 0;
    n = fs->read(fs->ctx, st->src, 0, st->journal, JOURNAL_MAX - 1);
    fs->close(fs->ctx, st->src);
    if (n <= 0)
        return 0;
    st->journal[n] = '\0';
    /* the last line is the CRC of everything before it */
    for (i = (size_t)n - 1; i > 0 && st->journal[i - 1] != '\n'; i--)
        ;
    crc_at = i;
    if (crc_at == 0 || floe_memcmp(st->journal + crc_at, "crc ", 4) != 0)
        return 0;
    {
        uint32_t want = 0;
        const char *p = st->journal + crc_at + 4;
        while (*p != '\n' && *p != '\0') {
            char c = *p++;
            want = (want << 4) | (uint32_t)(c >= 'a' ? c - 'a' + 10 : c - '0');
        }
        if (want != floe_crc32c(st->journal, crc_at))
            return 0;
    }
    i = 0;
    while (i < crc_at) {
        size_t e = i;
        while (e < crc_at && st->journal[e] != '\n')
            e++;
        st->journal[e] = '\0';
        if (floe_memcmp(st->journal + i, "upload_id ", 10) == 0)
            floe_format(st->upload_id, sizeof st->upload_id, "%s", st->journal + i + 10);
        else if (floe_memcmp(st->journal + i, "key ", 4) == 0) {
            if (floe_strlen(st->journal + i + 4) != floe_strlen(st->key) ||
                floe_memcmp(st->journal + i + 4, st->key, floe_strlen(st->key)) != 0)
                return 0;
        } else if (floe_memcmp(st->journal + i, "part_size ", 10) == 0) {
            uint64_t v = 0;
            const char *p = st->journal + i + 10;
            while (*p >= '0' && *p <= '9')
                v = v * 10u + (uint64_t)(*p++ - '0');
            *part_size = v;
        } else if (floe_memcmp(st->journal + i, "part ", 5) == 0 && parts < MAX_PARTS) {
            const char *p = st->journal + i + 5;
            uint32_t num = 0;
            while (*p >= '0' && *p <= '9')
                num = num * 10u + (uint32_t)(*p++ - '0');
            /* "part N CRC ETAG": the CRC is base64 (no spaces), the ETag the rest */
            if (*p == ' ' && num == parts + 1) {
                const char *sp = p + 1;
                size_t cl = 0;
                while (sp[cl] != ' ' && sp[cl] != '\0')
                    cl++;
                if (sp[cl] == ' ' && cl < sizeof st->parts[parts].crc32c_b64) {
                    st->parts[parts].number = num;
                    floe_memcpy(st->parts[parts].crc32c_b64, sp, cl);
                    st->parts[parts].crc32c_b64[cl] = '\0';
                    floe_format(st->parts[parts].etag, sizeof st->parts[parts].etag, "%s", sp + cl + 1);
                    parts++;
                }
            }
        }
        i = e + 1;
    }
    return st->upload_id[0] != '\0' ? parts : 0;
}

static void journal_remove(struct floe_uploader_state *st, uint64_t seq)
{
    journal_path(st, seq, st->path, sizeof st->path, ".journal");
    st->cfg->fs->remove(st->cfg->fs->ctx, st->path);
}

/* The journal could not be written (a full or failing disk): a retry, not
 * the end of uploads. Parts sent since the last entry are sent again. */
static int journal_failed(struct floe_uploader *u, int err)
{
    char what[120];
    floe_format(what, sizeof what, "writing the multipart journal: %s", floe_strerror(err));
    return failed(u, what, 0);
}

static int upload_multipart(struct floe_uploader *u, const struct floe_spool_batch *b)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_uploader_config *cfg = st->cfg;
    struct floe_s3_result res;
    uint64_t part = cfg->part_size ? cfg->part_size : FLOE_S3_DEFAULT_PART, off;
    uint32_t done, n_parts, i;
    int err;
    /* S3 wants 5 MiB parts (but the last); a smaller configured size is
     * honoured for stores that allow it (and tests), down to 64 KiB. */
    if (part < 65536u)
        part = 65536u;
    while ((b->size + part - 1) / part > MAX_PARTS)
        part *= 2;
    st->upload_id[0] = '\0';
    done = journal_read(u, b->seq, &part);
    if (done > 0 || st->upload_id[0] != '\0') {
        u->stats.resumed++;
        FLOE_LOG_INFO(cfg->log, "upload: resuming %s at part %u", st->key, (unsigned)(done + 1));
    } else {
        err = floe_s3_multipart_create(&u->s3, st->key, st->upload_id, sizeof st->upload_id, &res);
        if (err != FLOE_OK)
            return s3_outcome(u, err, &res, "CreateMultipartUpload");
        err = journal_write(u, b->seq, part, 0);
        if (err != FLOE_OK)
            return journal_failed(u, err);
    }
    n_parts = (uint32_t)((b->size + part - 1) / part);
    for (i = done; i < n_parts; i++) {
        uint64_t len;
        off = (uint64_t)i * part;
        len = b->size - off < part ? b->size - off : part;
        err = floe_s3_upload_part(&u->s3, st->key, st->upload_id, i + 1, b->parquet_path, off, len, &res);
        if (err != FLOE_OK) {
            if (res.status == 404 || res.status == 400) {
                /* The upload is gone (expired, aborted) or does not take this
                 * part (a journal from an older floe): start over. */
                struct floe_s3_result ignored;
                floe_s3_multipart_abort(&u->s3, st->key, st->upload_id, &ignored);
                journal_remove(st, b->seq);
                res.outcome = FLOE_S3_RETRY;
            }
            return s3_outcome(u, err, &res, "UploadPart");
        }
        st->parts[i].number = i + 1;
        floe_format(st->parts[i].etag, sizeof st->parts[i].etag, "%s", res.etag);
        floe_format(st->parts[i].crc32c_b64, sizeof st->parts[i].crc32c_b64, "%s", res.crc32c_b64);
        u->stats.parts++;
        u->stats.bytes_sent += len;
        err = journal_write(u, b->seq, part, i + 1);
        if (err != FLOE_OK)
            return journal_failed(u, err);
    }
    err = floe_s3_multipart_complete(&u->s3, st->key, st->upload_id, st->parts, n_parts, &res);
    if (err != FLOE_OK) {
        if (res.status == 404 || floe_s3_code_is(&res, "NoSuchUpload") || floe_s3_code_is(&res, "InvalidPart") ||
            floe_s3_code_is(&res, "InvalidPartOrder") || floe_s3_code_is(&res, "EntityTooSmall")) {
            /* The store will never take these parts: resuming them would
             * fail the same way after every restart. Start over. */
            struct floe_s3_result ignored;
            FLOE_LOG_WARN(cfg->log, "upload: %s refused its parts (%s): starting the multipart upload over",
                          st->key, res.code);
            floe_s3_multipart_abort(&u->s3, st->key, st->upload_id, &ignored);
            journal_remove(st, b->seq);
            res.outcome = FLOE_S3_RETRY;
        }
        return s3_outcome(u, err, &res, "CompleteMultipartUpload");
    }
    journal_remove(st, b->seq);
    return FLOE_OK;
}

/* ---- the step ---------------------------------------------------------------- */

static int upload_batch(struct floe_uploader *u, const struct floe_spool_batch *b)
{
    struct floe_uploader_state *st = u->st;
    const struct floe_uploader_config *cfg = st->cfg;
    struct floe_s3_result res;
    const char *prefix = cfg->key_prefix ? cfg->key_prefix : "";
    uint64_t threshold = cfg->multipart_threshold ? cfg->multipart_threshold : FLOE_S3_DEFAULT_THRESHOLD;
    int err;
    if (b->parquet_path[0] != '\0') {
        floe_format(st->key, sizeof st->key, "%s%s", prefix, b->object_key);
        if (cfg->target == FLOE_TARGET_DIR) {
            err = copy_to_dir(u, b->parquet_path, st->key);
            if (err != FLOE_OK) {
                char what[160];
                floe_format(what, sizeof what, "copy to %s: %s", cfg->dir, floe_strerror(err));
                return failed(u, what, 0);
            }
        } else if (b->size >= threshold && !cfg->s3.plain_put) { /* plain PUT has no multipart */
            FLOE_TRY(upload_multipart(u, b));
        } else {
            err = floe_s3_put_file(&u->s3, st->key, b->parquet_path, b->size, b->sha256, b->crc32c, &res);
            if (err != FLOE_OK)
                return s3_outcome(u, err, &res, "PutObject");
            u->stats.bytes_sent += b->size;
        }
    }
    if (cfg->upload_dead_letters && b->dead_path[0] != '\0') {
        /* A UUIDv7 fixed in the meta at commit: unique across gateways, and
         * a retried upload overwrites the same object. */
        if (b->dead_key[0] != '\0') {
            floe_format(st->key, sizeof st->key, "%s%s", prefix, b->dead_key);
        } else { /* a meta from before dead-letter keys: named by the batch */
            char seq_hex[17];
            int d;
            for (d = 15; d >= 0; d--)
                seq_hex[15 - d] = "0123456789abcdef"[(b->seq >> (4 * d)) & 15u];
            seq_hex[16] = '\0';
            floe_format(st->key, sizeof st->key, "%s_dead_letters/%s.ndjson", prefix, seq_hex);
        }
        if (cfg->target == FLOE_TARGET_DIR) {
            err = copy_to_dir(u, b->dead_path, st->key);
            if (err != FLOE_OK)
                return failed(u, "copying dead letters", 0);
        } else {
            /* Dead letters are not hashed ahead: hash them here, then send
             * the file whatever its size. */
            const struct floe_fs_port *fs = cfg->fs;
            struct floe_sha256 h;
            uint8_t digest[FLOE_SHA256_LEN];
            uint32_t crc = 0;
            uint64_t size = 0;
            floe_ssize_t n;
            if (fs->open(fs->ctx, st->src, b->dead_path, FLOE_FS_READ) != FLOE_OK)
                return failed(u, "reading dead letters", 0);
            floe_sha256_init(&h);
            while ((n = fs->read(fs->ctx, st->src, size, st->copy, COPY_BUF)) > 0) {
                floe_sha256_update(&h, st->copy, (size_t)n);
                crc = floe_crc32c_update(crc, st->copy, (size_t)n);
                size += (uint64_t)n;
            }
            fs->close(fs->ctx, st->src);
            if (n < 0)
                return failed(u, "reading dead letters", 0);
            floe_sha256_final(&h, digest);
            if (size > 0) {
                err = floe_s3_put_file_typed(&u->s3, st->key, b->dead_path, size, digest, crc,
                                             "application/x-ndjson", &res);
                if (err != FLOE_OK)
                    return s3_outcome(u, err, &res, "PutObject (dead letters)");
                u->stats.bytes_sent += size; /* as the folder target counts them */
            }
        }
    }
    /* Last: a manifest never points at an object that is not there yet. */
    if (cfg->write_manifests && b->parquet_path[0] != '\0')
        FLOE_TRY(put_manifest(u, b));
    return FLOE_OK;
}

int floe_uploader_step(struct floe_uploader *u)
{
    struct floe_uploader_state *st;
    struct floe_spool_batch *b;
    int err;
    FLOE_FAIL_IF(u == NULL || u->st == NULL, FLOE_ERR_INVAL);
    st = u->st;
    b = &st->batch;
    if (u->stats.fatal)
        return FLOE_ERR_STATE;
    if (floe_uploader_wait_ms(u) > 0)
        return FLOE_ERR_AGAIN;
    err = floe_spool_oldest_lane(&u->spool, st->cfg->lanes > 1 ? st->cfg->lanes : 1,
                                 st->cfg->lanes > 1 ? st->cfg->lane : 0, b);
    if (err != FLOE_OK)
        return err; /* FLOE_ERR_NOENT: nothing to do */
    if (b->seq != st->attempt_seq) {
        st->attempt_seq = b->seq;
        st->attempt = 0;
    }
    err = upload_batch(u, b);
    if (err != FLOE_OK)
        return err;
    /* The bucket has it: only now may the spool forget it. */
    err = floe_spool_remove(&u->spool, b->seq);
    if (err == FLOE_ERR_NOENT) {
        u->stats.landed_after_drop++;
        u->stats.records_landed_after_drop += b->records + b->dead_records;
        FLOE_LOG_WARN(st->cfg->log,
                      "upload: batch %llu landed, but the spool's drop_oldest policy dropped it during the upload "
                      "(nothing was lost; floe_dropped_landed_* count it)",
                      (unsigned long long)b->seq);
    } else if (err != FLOE_OK)
        return failed(u, "removing an uploaded batch from the spool", 0);
    u->stats.uploads_ok++;
    if (st->cfg->hooks != NULL && st->cfg->hooks->uploaded != NULL)
        st->cfg->hooks->uploaded(st->cfg->hooks->ctx, b);
    u->stats.consecutive_failures = 0;
    u->stats.last_success_ms = st->cfg->clock->utc_ms(st->cfg->clock->ctx);
    st->attempt = 0;
    st->breaker_until_ms = 0;
    return FLOE_OK;
}
