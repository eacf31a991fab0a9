/* The emulated file system of floe_emufs.h.
 *
 * Storage: a pool of sectors. A version of a file (current or durable) is a
 * chain of sectors linked from its last sector backwards (prev[]), with a
 * reference count per sector, so the durable and the current version share
 * their common prefix: sync is O(1), and the first write after it copies only
 * the sectors it changes (and the path above them). Appends only ever touch
 * the tail, so the usual write/sync pattern costs O(data).
 *
 * Names: a table of directory entries, one slot per (parent, name), holding
 * the current and the durable target inode. A file or directory lives while a
 * current or durable entry reaches it from the root, or while it is open. */
#include "floe_emufs.h"
#include "floe/arena.h"
#include "floe/error.h"
#include <stdio.h>
#include <string.h>

#define NONE 0xffffffffu
#define SECTOR FLOE_EMUFS_SECTOR
#define ROOT 0u

enum { T_FREE = 0, T_FILE = 1, T_DIR = 2 };

struct emufs_chain {
    uint32_t tail; /* last sector or NONE */
    uint32_t nblk; /* sectors: exactly ceil(size / SECTOR) */
    uint64_t size;
};

struct floe_emufs_inode {
    struct emufs_chain cur, dur;
    uint64_t dirty_lo; /* lowest offset changed since the last sync */
    uint64_t min_size; /* smallest size since the last sync */
    uint8_t type;
    uint8_t dirty; /* cur may differ from dur */
    uint8_t gone;  /* no longer in the current view: cur was dropped */
};

struct floe_emufs_entry {
    uint32_t parent; /* inode of the directory */
    uint32_t cur;    /* inode the name has now, or NONE */
    uint32_t dur;    /* inode the name has durably, or NONE */
    uint64_t group;  /* the directory operation that last changed cur */
};

struct floe_emufs_handle {
    uint64_t pos;
    uint32_t ino;
    uint32_t gen;
    uint8_t used;
    uint8_t flags;
};

static const uint8_t zeros[SECTOR];

/* ---- random numbers (splitmix64) --------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- sectors ----------------------------------------------------------- */

static uint8_t *blk(struct floe_emufs *e, uint32_t b)
{
    return e->data + (size_t)b * SECTOR;
}

static uint32_t blk_alloc(struct floe_emufs *e)
{
    uint32_t b = e->free_head;
    if (b == NONE)
        return NONE;
    e->free_head = e->prev[b];
    e->free_blocks--;
    e->prev[b] = NONE;
    e->ref[b] = 1;
    memset(blk(e, b), 0, SECTOR);
    return b;
}

static void blk_ref(struct floe_emufs *e, uint32_t b)
{
    if (b != NONE)
        e->ref[b]++;
}

/* Drops one reference; frees the sectors no one refers to any more. */
static void blk_unref(struct floe_emufs *e, uint32_t b)
{
    while (b != NONE && --e->ref[b] == 0) {
        uint32_t p = e->prev[b];
        e->prev[b] = e->free_head;
        e->free_head = b;
        e->free_blocks++;
        b = p;
    }
}

static uint32_t nblk_for(uint64_t size)
{
    return (uint32_t)((size + SECTOR - 1) / SECTOR);
}

/* ---- chains ------------------------------------------------------------ */

static void chain_clear(struct floe_emufs *e, struct emufs_chain *c)
{
    blk_unref(e, c->tail);
    c->tail = NONE;
    c->nblk = 0;
    c->size = 0;
}

static void chain_assign(struct floe_emufs *e, struct emufs_chain *dst, const struct emufs_chain *src)
{
    blk_ref(e, src->tail);
    blk_unref(e, dst->tail);
    *dst = *src;
}

/* Sector number idx (< nblk). */
static uint32_t chain_find(struct floe_emufs *e, const struct emufs_chain *c, uint32_t idx)
{
    uint32_t b = c->tail, i = c->nblk - 1;
    while (i > idx) {
        b = e->prev[b];
        i--;
    }
    return b;
}

static void chain_shrink(struct floe_emufs *e, struct emufs_chain *c, uint64_t size)
{
    uint32_t nb = nblk_for(size);
    if (nb < c->nblk) {
        uint32_t t = nb ? chain_find(e, c, nb - 1) : NONE;
        blk_ref(e, t);
        blk_unref(e, c->tail);
        c->tail = t;
        c->nblk = nb;
    }
    c->size = size;
}

/* Appends zeroed sectors up to size (the bytes between the old size and the
 * end of its last sector are not touched). */
static int chain_grow(struct floe_emufs *e, struct emufs_chain *c, uint64_t size)
{
    uint32_t nb = nblk_for(size);
    if (nb - c->nblk > e->free_blocks)
        return FLOE_ERR_NOSPC;
    while (c->nblk < nb) {
        uint32_t b = blk_alloc(e);
        e->prev[b] = c->tail; /* the tail's reference moves to the new sector */
        c->tail = b;
        c->nblk++;
    }
    c->size = size;
    return FLOE_OK;
}

/* Makes sector idx and every sector after it owned by this chain alone,
 * copying the shared ones; FLOE_ERR_NOSPC (nothing changed) if the pool is short. */
static int chain_own_from(struct floe_emufs *e, struct emufs_chain *c, uint32_t idx)
{
    uint32_t b = c->tail, above = NONE, i = c->nblk - 1;
    uint32_t s = NONE, s_above = NONE, s_i = 0, top = NONE, last = NONE;
    /* Below the first shared sector (from the tail) everything is shared. */
    for (;;) {
        if (s == NONE && e->ref[b] > 1) {
            s = b;
            s_above = above;
            s_i = i;
        }
        if (i == idx)
            break;
        above = b;
        b = e->prev[b];
        i--;
    }
    if (s == NONE)
        return FLOE_OK;
    if (s_i - idx + 1 > e->free_blocks)
        return FLOE_ERR_NOSPC;
    b = s;
    for (i = s_i;; i--) {
        uint32_t copy = blk_alloc(e);
        memcpy(blk(e, copy), blk(e, b), SECTOR);
        if (last == NONE)
            top = copy;
        else
            e->prev[last] = copy;
        last = copy;
        if (i == idx)
            break;
        b = e->prev[b];
    }
    e->prev[last] = e->prev[b];
    blk_ref(e, e->prev[b]);
    if (s_above == NONE)
        c->tail = top;
    else
        e->prev[s_above] = top;
    blk_unref(e, s); /* it was shared: stays alive for the other chain */
    return FLOE_OK;
}

/* Writes src over [off, off + n), which lies within the chain's sectors. */
static int chain_pwrite(struct floe_emufs *e, struct emufs_chain *c, uint64_t off, const void *src, size_t n)
{
    const uint8_t *p = (const uint8_t *)src;
    uint32_t first, i, b;
    uint64_t end = off + n;
    if (n == 0)
        return FLOE_OK;
    first = (uint32_t)(off / SECTOR);
    if (chain_own_from(e, c, first) != FLOE_OK)
        return FLOE_ERR_NOSPC;
    i = (uint32_t)((end - 1) / SECTOR);
    b = chain_find(e, c, i);
    for (;;) {
        uint64_t a = (uint64_t)i * SECTOR, z = a + SECTOR;
        if (a < off)
            a = off;
        if (z > end)
            z = end;
        memcpy(blk(e, b) + (a % SECTOR), p + (a - off), (size_t)(z - a));
        if (i == first)
            break;
        b = e->prev[b];
        i--;
    }
    return FLOE_OK;
}

/* Reads [off, off + n), which lies within the chain's size. */
static void chain_pread(struct floe_emufs *e, const struct emufs_chain *c, uint64_t off, void *dst, size_t n)
{
    uint8_t *p = (uint8_t *)dst;
    uint32_t first, i, b;
    uint64_t end = off + n;
    if (n == 0)
        return;
    first = (uint32_t)(off / SECTOR);
    i = (uint32_t)((end - 1) / SECTOR);
    b = chain_find(e, c, i);
    for (;;) {
        uint64_t a = (uint64_t)i * SECTOR, z = a + SECTOR;
        if (a < off)
            a = off;
        if (z > end)
            z = end;
        memcpy(p + (a - off), blk(e, b) + (a % SECTOR), (size_t)(z - a));
        if (i == first)
            break;
        b = e->prev[b];
        i--;
    }
}

/* Grows the chain to size with zeros. */
static int chain_extend_zero(struct floe_emufs *e, struct emufs_chain *c, uint64_t size)
{
    uint64_t old = c->size, stale_end = (uint64_t)c->nblk * SECTOR;
    if (size <= old)
        return FLOE_OK;
    if (chain_grow(e, c, size) != FLOE_OK)
        return FLOE_ERR_NOSPC;
    if (stale_end > size)
        stale_end = size;
    if (stale_end > old && chain_pwrite(e, c, old, zeros, (size_t)(stale_end - old)) != FLOE_OK) {
        chain_shrink(e, c, old);
        return FLOE_ERR_NOSPC;
    }
    return FLOE_OK;
}

/* dst[a, z) = src[a, z), both chains holding that range. */
static int chain_copy_range(struct floe_emufs *e, struct emufs_chain *dst, const struct emufs_chain *src,
                            uint64_t a, uint64_t z)
{
    uint8_t buf[SECTOR];
    while (a < z) {
        size_t k = (size_t)(SECTOR - a % SECTOR);
        if (k > z - a)
            k = (size_t)(z - a);
        chain_pread(e, src, a, buf, k);
        if (chain_pwrite(e, dst, a, buf, k) != FLOE_OK)
            return FLOE_ERR_NOSPC;
        a += k;
    }
    return FLOE_OK;
}

/* ---- names ------------------------------------------------------------- */

static char *ent_name(struct floe_emufs *e, uint32_t slot)
{
    return e->names + (size_t)slot * e->max_path;
}

static int ent_used(const struct floe_emufs_entry *en)
{
    return en->cur != NONE || en->dur != NONE;
}

/* The slot of (parent, name) in use, current or durable only; NONE. */
static uint32_t find_slot(struct floe_emufs *e, uint32_t parent, const char *name, size_t len)
{
    uint32_t i;
    for (i = 0; i < e->max_entries; i++) {
        const struct floe_emufs_entry *en = &e->entries[i];
        const char *n;
        if (!ent_used(en) || en->parent != parent)
            continue;
        n = ent_name(e, i);
        if (strncmp(n, name, len) == 0 && n[len] == '\0')
            return i;
    }
    return NONE;
}

static uint32_t slot_alloc(struct floe_emufs *e, uint32_t parent, const char *name, size_t len)
{
    uint32_t i;
    for (i = 0; i < e->max_entries; i++) {
        struct floe_emufs_entry *en = &e->entries[i];
        if (ent_used(en))
            continue;
        en->parent = parent;
        en->group = 0;
        memcpy(ent_name(e, i), name, len);
        ent_name(e, i)[len] = '\0';
        return i;
    }
    return NONE;
}

static uint32_t inode_alloc(struct floe_emufs *e, int type)
{
    uint32_t i;
    for (i = 1; i < e->max_files; i++) {
        struct floe_emufs_inode *in = &e->inodes[i];
        if (in->type != T_FREE)
            continue;
        memset(in, 0, sizeof *in);
        in->cur.tail = in->dur.tail = NONE;
        in->type = (uint8_t)type;
        return i;
    }
    return NONE;
}

/* A path split into its parent directory and last name. */
struct where {
    uint32_t parent;
    const char *name; /* NULL for the root */
    size_t len;
    uint32_t slot; /* the name's slot or NONE */
    uint32_t ino;  /* what the name currently is, or NONE */
};

/* Walks path in the current view. FLOE_ERR_NOENT when a directory on the way
 * is missing, FLOE_ERR_INVAL for a bad path ("..", too long). */
static int resolve(struct floe_emufs *e, const char *path, struct where *w)
{
    const char *p = path, *comp = NULL;
    size_t len = 0;
    uint32_t dir = ROOT;
    if (path == NULL)
        return FLOE_ERR_INVAL;
    for (len = 0; path[len] != '\0'; len++)
        if (len + 1 >= e->max_path)
            return FLOE_ERR_INVAL; /* ENAMETOOLONG */
    for (;;) {
        const char *s;
        size_t l;
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        s = p;
        while (*p != '\0' && *p != '/')
            p++;
        l = (size_t)(p - s);
        if (l == 1 && s[0] == '.')
            continue;
        if (l == 2 && s[0] == '.' && s[1] == '.')
            return FLOE_ERR_INVAL;
        if (comp != NULL) {
            uint32_t slot = find_slot(e, dir, comp, len);
            if (slot == NONE || e->entries[slot].cur == NONE || e->inodes[e->entries[slot].cur].type != T_DIR)
                return FLOE_ERR_NOENT;
            dir = e->entries[slot].cur;
        }
        comp = s;
        len = l;
    }
    w->parent = dir;
    w->name = comp;
    w->len = len;
    if (comp == NULL) {
        w->slot = NONE;
        w->ino = ROOT;
    } else {
        w->slot = find_slot(e, dir, comp, len);
        w->ino = w->slot == NONE ? NONE : e->entries[w->slot].cur;
    }
    return FLOE_OK;
}

/* ---- liveness ---------------------------------------------------------- */

/* Marks what the current view reaches (view) and what current or durable
 * entries reach (any); frees the rest, drops the data of files that left the
 * current view, and recounts the bytes in use. */
static void gc(struct floe_emufs *e)
{
    uint32_t i;
    int changed;
    memset(e->view, 0, e->max_files);
    memset(e->any, 0, e->max_files);
    e->view[ROOT] = e->any[ROOT] = 1;
    for (i = 0; i < e->max_open; i++)
        if (e->handles[i].used)
            e->view[e->handles[i].ino] = e->any[e->handles[i].ino] = 1;
    do {
        changed = 0;
        for (i = 0; i < e->max_entries; i++) {
            const struct floe_emufs_entry *en = &e->entries[i];
            if (!ent_used(en))
                continue;
            if (e->view[en->parent] && en->cur != NONE && !e->view[en->cur]) {
                e->view[en->cur] = 1;
                changed = 1;
            }
            if (e->any[en->parent]) {
                if (en->cur != NONE && !e->any[en->cur]) {
                    e->any[en->cur] = 1;
                    changed = 1;
                }
                if (en->dur != NONE && !e->any[en->dur]) {
                    e->any[en->dur] = 1;
                    changed = 1;
                }
            }
        }
    } while (changed);
    for (i = 0; i < e->max_entries; i++) {
        struct floe_emufs_entry *en = &e->entries[i];
        if (ent_used(en) && !e->any[en->parent])
            en->cur = en->dur = NONE;
    }
    e->used = 0;
    for (i = 0; i < e->max_files; i++) {
        struct floe_emufs_inode *in = &e->inodes[i];
        if (in->type == T_FREE)
            continue;
        if (!e->any[i]) {
            chain_clear(e, &in->cur);
            chain_clear(e, &in->dur);
            in->type = T_FREE;
        } else if (in->type == T_FILE && !e->view[i]) {
            /* Deleted: only a durable name still holds it, with its durable data. */
            chain_clear(e, &in->cur);
            in->gone = 1;
        } else if (in->type == T_FILE) {
            e->used += in->cur.size;
        }
    }
}

/* ---- the port ---------------------------------------------------------- */

/* Counts the call; FLOE_ERR_IO once the power is gone. */
static int enter(struct floe_emufs *e)
{
    if (e->crashed)
        return FLOE_ERR_IO;
    e->ops++;
    if (e->crash_at != 0 && e->ops >= e->crash_at) {
        e->crashed = 1;
        return FLOE_ERR_IO;
    }
    return FLOE_OK;
}

#define ENTER(e)                      \
    do {                              \
        int enter_err_ = enter(e);    \
        if (enter_err_ != FLOE_OK)    \
            return enter_err_;        \
    } while (0)

static struct floe_emufs_handle *get_handle(struct floe_emufs *e, void *file)
{
    const struct floe_emufs_file *f = (const struct floe_emufs_file *)file;
    struct floe_emufs_handle *h;
    if (f == NULL || f->handle >= e->max_open)
        return NULL;
    h = &e->handles[f->handle];
    return h->used && h->gen == f->gen ? h : NULL;
}

/* Starts tracking what changes in a file's data until its next sync. */
static void begin_change(struct floe_emufs_inode *in)
{
    if (!in->dirty) {
        in->dirty = 1;
        in->dirty_lo = in->cur.size;
        in->min_size = in->cur.size;
    }
}

static void truncate_cur(struct floe_emufs *e, struct floe_emufs_inode *in)
{
    begin_change(in);
    in->dirty_lo = 0;
    in->min_size = 0;
    e->used -= in->cur.size;
    chain_clear(e, &in->cur);
}

static int e_open(void *ctx, void *file, const char *path, int flags)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct floe_emufs_file *f = (struct floe_emufs_file *)file;
    struct floe_emufs_handle *h = NULL;
    struct where w;
    uint32_t i, ino;
    int mode = flags & (FLOE_FS_READ | FLOE_FS_WRITE), err;
    ENTER(e);
    if (f == NULL || (mode != FLOE_FS_READ && mode != FLOE_FS_WRITE))
        return FLOE_ERR_INVAL;
    err = resolve(e, path, &w);
    if (err != FLOE_OK)
        return err;
    if (w.name == NULL || (w.ino != NONE && e->inodes[w.ino].type == T_DIR))
        return FLOE_ERR_IO; /* EISDIR, as the POSIX port reports it */
    for (i = 0; i < e->max_open && h == NULL; i++)
        if (!e->handles[i].used)
            h = &e->handles[i];
    if (h == NULL)
        return FLOE_ERR_LIMIT;
    ino = w.ino;
    if (mode == FLOE_FS_READ) {
        if (ino == NONE)
            return FLOE_ERR_NOENT;
    } else if (ino != NONE) {
        if (flags & FLOE_FS_EXCL)
            return FLOE_ERR_EXIST;
        if ((flags & FLOE_FS_TRUNC) && e->inodes[ino].cur.size > 0)
            truncate_cur(e, &e->inodes[ino]);
    } else {
        uint32_t slot = w.slot != NONE ? w.slot : slot_alloc(e, w.parent, w.name, w.len);
        if (slot == NONE)
            return FLOE_ERR_NOSPC;
        ino = inode_alloc(e, T_FILE);
        if (ino == NONE)
            return FLOE_ERR_NOSPC; /* a fresh slot stays free: it has neither target */
        e->entries[slot].cur = ino;
        e->entries[slot].group = ++e->seq;
    }
    if (++e->next_gen == 0)
        e->next_gen = 1;
    h->used = 1;
    h->ino = ino;
    h->gen = e->next_gen;
    h->flags = (uint8_t)flags;
    h->pos = 0;
    f->handle = (uint32_t)(h - e->handles);
    f->gen = h->gen;
    return FLOE_OK;
}

static floe_ssize_t e_read(void *ctx, void *file, uint64_t offset, void *buf, size_t n)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct floe_emufs_handle *h;
    const struct floe_emufs_inode *in;
    ENTER(e);
    h = get_handle(e, file);
    if (h == NULL || !(h->flags & FLOE_FS_READ) || (buf == NULL && n > 0))
        return FLOE_ERR_INVAL;
    in = &e->inodes[h->ino];
    if (offset >= in->cur.size)
        return 0;
    if (n > in->cur.size - offset)
        n = (size_t)(in->cur.size - offset);
    if (n > (size_t)1 << 30)
        n = (size_t)1 << 30;
    chain_pread(e, &in->cur, offset, buf, n);
    return (floe_ssize_t)n;
}

static floe_ssize_t e_write(void *ctx, void *file, const void *buf, size_t n)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct floe_emufs_handle *h;
    struct floe_emufs_inode *in;
    uint64_t pos, old, end, lo;
    ENTER(e);
    h = get_handle(e, file);
    if (h == NULL || !(h->flags & FLOE_FS_WRITE) || (buf == NULL && n > 0))
        return FLOE_ERR_INVAL;
    if (n == 0)
        return 0;
    if (n > (size_t)1 << 30)
        n = (size_t)1 << 30;
    in = &e->inodes[h->ino];
    old = in->cur.size;
    pos = (h->flags & FLOE_FS_APPEND) ? old : h->pos;
    end = pos + n;
    if (end > old) {
        /* What the capacity allows, then what the physical store holds. */
        uint64_t room = e->capacity > e->used ? e->capacity - e->used : 0;
        uint64_t phys = ((uint64_t)in->cur.nblk + e->free_blocks) * SECTOR;
        if (end - old > room)
            end = old + room;
        if (end > phys)
            end = phys;
        if (end <= pos)
            return FLOE_ERR_NOSPC;
        n = (size_t)(end - pos);
    }
    begin_change(in);
    lo = pos < old ? pos : old;
    if (lo < in->dirty_lo)
        in->dirty_lo = lo;
    if (end > old && chain_extend_zero(e, &in->cur, pos > old ? pos : old) != FLOE_OK)
        return FLOE_ERR_NOSPC;
    if (end > in->cur.size && chain_grow(e, &in->cur, end) != FLOE_OK) {
        chain_shrink(e, &in->cur, old);
        return FLOE_ERR_NOSPC;
    }
    if (chain_pwrite(e, &in->cur, pos, buf, n) != FLOE_OK) {
        chain_shrink(e, &in->cur, old);
        return FLOE_ERR_NOSPC;
    }
    e->used += in->cur.size - old;
    h->pos = end;
    return (floe_ssize_t)n;
}

static void sync_inode(struct floe_emufs *e, struct floe_emufs_inode *in)
{
    chain_assign(e, &in->dur, &in->cur);
    in->dirty = 0;
    in->dirty_lo = in->min_size = in->cur.size;
}

static int e_sync(void *ctx, void *file)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct floe_emufs_handle *h;
    ENTER(e);
    h = get_handle(e, file);
    if (h == NULL)
        return FLOE_ERR_INVAL;
    sync_inode(e, &e->inodes[h->ino]);
    return FLOE_OK;
}

static int e_close(void *ctx, void *file)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct floe_emufs_handle *h;
    ENTER(e);
    h = get_handle(e, file);
    if (h == NULL)
        return FLOE_ERR_INVAL;
    h->used = 0;
    gc(e);
    return FLOE_OK;
}

static int e_rename(void *ctx, const char *from, const char *to)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct where a, b;
    uint32_t slot;
    int err;
    ENTER(e);
    err = resolve(e, from, &a);
    if (err == FLOE_OK)
        err = resolve(e, to, &b);
    if (err != FLOE_OK)
        return err;
    if (a.name == NULL || b.name == NULL)
        return FLOE_ERR_INVAL;
    if (a.ino == NONE)
        return FLOE_ERR_NOENT;
    if (e->inodes[a.ino].type == T_DIR)
        return FLOE_ERR_UNSUPPORTED;
    if (b.ino != NONE && e->inodes[b.ino].type == T_DIR)
        return FLOE_ERR_IO; /* EISDIR */
    if (b.ino == a.ino)
        return FLOE_OK; /* the same entry, or two names of one file */
    slot = b.slot != NONE ? b.slot : slot_alloc(e, b.parent, b.name, b.len);
    if (slot == NONE)
        return FLOE_ERR_NOSPC;
    e->seq++;
    e->entries[slot].cur = a.ino;
    e->entries[slot].group = e->seq;
    e->entries[a.slot].cur = NONE;
    e->entries[a.slot].group = e->seq;
    gc(e);
    return FLOE_OK;
}

static int e_remove(void *ctx, const char *path)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct where w;
    uint32_t i;
    int err;
    ENTER(e);
    err = resolve(e, path, &w);
    if (err != FLOE_OK)
        return err;
    if (w.name == NULL)
        return FLOE_ERR_INVAL;
    if (w.ino == NONE)
        return FLOE_ERR_NOENT;
    if (e->inodes[w.ino].type == T_DIR)
        for (i = 0; i < e->max_entries; i++)
            if (e->entries[i].parent == w.ino && e->entries[i].cur != NONE)
                return FLOE_ERR_IO; /* ENOTEMPTY */
    e->entries[w.slot].cur = NONE;
    e->entries[w.slot].group = ++e->seq;
    gc(e);
    return FLOE_OK;
}

static int e_mkdir(void *ctx, const char *path)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct where w;
    uint32_t slot, ino;
    int err;
    ENTER(e);
    err = resolve(e, path, &w);
    if (err != FLOE_OK)
        return err;
    if (w.ino != NONE)
        return e->inodes[w.ino].type == T_DIR ? FLOE_OK : FLOE_ERR_EXIST;
    slot = w.slot != NONE ? w.slot : slot_alloc(e, w.parent, w.name, w.len);
    if (slot == NONE)
        return FLOE_ERR_NOSPC;
    ino = inode_alloc(e, T_DIR);
    if (ino == NONE)
        return FLOE_ERR_NOSPC;
    e->entries[slot].cur = ino;
    e->entries[slot].group = ++e->seq;
    return FLOE_OK;
}

static int e_sync_dir(void *ctx, const char *path)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    struct where w;
    uint32_t i;
    int err;
    ENTER(e);
    err = resolve(e, path, &w);
    if (err != FLOE_OK)
        return err;
    if (w.ino == NONE || e->inodes[w.ino].type != T_DIR)
        return FLOE_ERR_NOENT; /* ENOTDIR maps there too */
    for (i = 0; i < e->max_entries; i++) {
        struct floe_emufs_entry *en = &e->entries[i];
        if (ent_used(en) && en->parent == w.ino)
            en->dur = en->cur;
    }
    gc(e);
    return FLOE_OK;
}

static int e_list(void *ctx, const char *dir, floe_fs_list_cb cb, void *arg)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    char last[FLOE_EMUFS_PATH_MAX];
    int have_last = 0;
    struct where w;
    int err;
    ENTER(e);
    if (cb == NULL)
        return FLOE_ERR_INVAL;
    err = resolve(e, dir, &w);
    if (err != FLOE_OK)
        return err;
    if (w.ino == NONE || e->inodes[w.ino].type != T_DIR)
        return FLOE_ERR_NOENT;
    /* In name order, picking the next name each time: the callback may add
     * or remove entries without upsetting the walk. */
    for (;;) {
        uint32_t i, best = NONE, d = w.ino;
        int r;
        for (i = 0; i < e->max_entries; i++) {
            const struct floe_emufs_entry *en = &e->entries[i];
            if (en->cur == NONE || en->parent != d)
                continue;
            if (have_last && strcmp(ent_name(e, i), last) <= 0)
                continue;
            if (best == NONE || strcmp(ent_name(e, i), ent_name(e, best)) < 0)
                best = i;
        }
        if (best == NONE)
            return FLOE_OK;
        memcpy(last, ent_name(e, best), strlen(ent_name(e, best)) + 1);
        have_last = 1;
        r = cb(arg, last, e->inodes[e->entries[best].cur].type == T_DIR);
        if (r != 0)
            return r;
        if (e->crashed)
            return FLOE_ERR_IO;
        /* The directory itself may have gone (removed, then its inode reused). */
        if (w.slot != NONE && e->entries[w.slot].cur != d)
            return FLOE_OK;
    }
}

static int e_stat_size(void *ctx, const char *path, uint64_t *size)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    int is_dir;
    ENTER(e);
    if (size == NULL)
        return FLOE_ERR_INVAL;
    return floe_emufs_stat(e, path, &is_dir, size);
}

static int e_free_space(void *ctx, const char *path, uint64_t *bytes)
{
    struct floe_emufs *e = (struct floe_emufs *)ctx;
    int err;
    ENTER(e);
    if (bytes == NULL)
        return FLOE_ERR_INVAL;
    err = floe_emufs_stat(e, path, NULL, NULL);
    if (err != FLOE_OK)
        return err;
    *bytes = e->capacity > e->used ? e->capacity - e->used : 0;
    return FLOE_OK;
}

/* ---- setup ------------------------------------------------------------- */

struct limits {
    uint32_t max_files, max_entries, max_open, max_path, nblocks;
    uint64_t capacity;
};

static int get_limits(const struct floe_emufs_config *cfg, struct limits *l)
{
    static const struct floe_emufs_config defaults;
    uint64_t nb;
    if (cfg == NULL)
        cfg = &defaults;
    l->max_files = cfg->max_files ? cfg->max_files : 256u;
    l->max_open = cfg->max_open ? cfg->max_open : 16u;
    l->max_path = cfg->max_path ? cfg->max_path : 128u;
    l->capacity = cfg->capacity ? cfg->capacity : (uint64_t)1 << 20;
    if (l->max_files < 2 || l->max_files > (1u << 24) || l->max_open > (1u << 16) || l->max_path < 2 ||
        l->max_path > FLOE_EMUFS_PATH_MAX || l->capacity > ((uint64_t)1 << 40))
        return FLOE_ERR_INVAL;
    l->max_entries = 2 * l->max_files;
    /* Current and durable data, a partial sector per version, some slack. */
    nb = 2 * ((l->capacity + SECTOR - 1) / SECTOR) + 2 * (uint64_t)l->max_files + 16;
    if (nb >= NONE || nb > SIZE_MAX / SECTOR)
        return FLOE_ERR_INVAL;
    l->nblocks = (uint32_t)nb;
    return FLOE_OK;
}

static int carve(struct floe_arena *a, const struct limits *l, struct floe_emufs *e)
{
    void *p[9];
    size_t n[9];
    int i;
    n[0] = (size_t)l->max_files * sizeof(struct floe_emufs_inode);
    n[1] = (size_t)l->max_entries * sizeof(struct floe_emufs_entry);
    n[2] = (size_t)l->max_open * sizeof(struct floe_emufs_handle);
    n[3] = (size_t)l->max_entries * l->max_path;
    n[4] = l->max_files;
    n[5] = l->max_files;
    n[6] = (size_t)l->nblocks * sizeof(uint32_t);
    n[7] = (size_t)l->nblocks * sizeof(uint32_t);
    n[8] = (size_t)l->nblocks * SECTOR;
    for (i = 0; i < 9; i++)
        if (floe_arena_take(a, n[i] ? n[i] : 1, 8, &p[i]) != FLOE_OK)
            return FLOE_ERR_NOMEM;
    if (e != NULL) {
        e->inodes = (struct floe_emufs_inode *)p[0];
        e->entries = (struct floe_emufs_entry *)p[1];
        e->handles = (struct floe_emufs_handle *)p[2];
        e->names = (char *)p[3];
        e->view = (uint8_t *)p[4];
        e->any = (uint8_t *)p[5];
        e->prev = (uint32_t *)p[6];
        e->ref = (uint32_t *)p[7];
        e->data = (uint8_t *)p[8];
    }
    return FLOE_OK;
}

size_t floe_emufs_size(const struct floe_emufs_config *cfg)
{
    struct limits l;
    struct floe_arena a;
    if (get_limits(cfg, &l) != FLOE_OK)
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, &l, NULL) != FLOE_OK)
        return 0;
    return a.used + FLOE_ARENA_ALIGN; /* room to align an unaligned buffer */
}

int floe_emufs_init(struct floe_emufs *e, void *mem, size_t mem_size, const struct floe_emufs_config *cfg)
{
    static const struct floe_fs_port port = {NULL, sizeof(struct floe_emufs_file), e_open, e_read, e_write,
                                             e_sync, e_close, e_rename, e_remove, e_mkdir, e_sync_dir,
                                             e_list, e_stat_size, e_free_space};
    struct limits l;
    struct floe_arena a;
    uint32_t i;
    if (e == NULL || mem == NULL || get_limits(cfg, &l) != FLOE_OK)
        return FLOE_ERR_INVAL;
    memset(e, 0, sizeof *e);
    if (floe_arena_init(&a, mem, mem_size) != FLOE_OK || carve(&a, &l, e) != FLOE_OK)
        return FLOE_ERR_NOMEM;
    e->fs = port;
    e->fs.ctx = e;
    e->max_files = l.max_files;
    e->max_entries = l.max_entries;
    e->max_open = l.max_open;
    e->max_path = l.max_path;
    e->nblocks = l.nblocks;
    e->capacity = l.capacity;
    e->crash_at = cfg != NULL ? cfg->crash_at : 0;
    for (i = 0; i < e->max_entries; i++)
        e->entries[i].cur = e->entries[i].dur = NONE;
    e->free_head = NONE;
    for (i = e->nblocks; i-- > 0;) {
        e->prev[i] = e->free_head;
        e->free_head = i;
    }
    e->free_blocks = e->nblocks;
    for (i = 0; i < e->max_files; i++)
        e->inodes[i].cur.tail = e->inodes[i].dur.tail = NONE;
    e->inodes[ROOT].type = T_DIR;
    return FLOE_OK;
}

void floe_emufs_set_crash_at(struct floe_emufs *e, uint64_t n)
{
    if (e != NULL)
        e->crash_at = n;
}

int floe_emufs_crashed(const struct floe_emufs *e)
{
    return e != NULL && e->crashed;
}

uint64_t floe_emufs_total_ops(const struct floe_emufs *e)
{
    return e != NULL ? e->ops : 0;
}

void floe_emufs_set_capacity(struct floe_emufs *e, uint64_t bytes)
{
    if (e != NULL)
        e->capacity = bytes;
}

uint64_t floe_emufs_used(const struct floe_emufs *e)
{
    return e != NULL ? e->used : 0;
}

void floe_emufs_sync_all(struct floe_emufs *e)
{
    uint32_t i;
    if (e == NULL)
        return;
    for (i = 0; i < e->max_entries; i++)
        e->entries[i].dur = e->entries[i].cur;
    for (i = 0; i < e->max_files; i++)
        if (e->inodes[i].type == T_FILE && !e->inodes[i].gone)
            sync_inode(e, &e->inodes[i]);
    gc(e);
}

/* ---- power loss -------------------------------------------------------- */

/* TEAR: the durable data, then a prefix of what was written since. */
static int tear(struct floe_emufs *e, struct floe_emufs_inode *in, uint64_t *rng)
{
    uint64_t lo = in->dirty_lo, size = in->cur.size, dsz = in->dur.size, k;
    if (lo > size)
        lo = size;
    k = lo + rnd(rng) % (size - lo + 1);
    if (in->min_size < dsz) {
        /* Truncated since the sync: the truncation stands, new data torn. */
        chain_shrink(e, &in->cur, k);
    } else {
        /* Overwritten or appended: old bytes stay where the new ones did not land. */
        chain_shrink(e, &in->cur, k > dsz ? k : dsz);
        if (k < dsz && chain_copy_range(e, &in->cur, &in->dur, k, dsz) != FLOE_OK)
            return FLOE_ERR_NOSPC;
    }
    if (k > lo && (rnd(rng) & 1)) {
        /* The sector being written when power went holds garbage. */
        uint8_t buf[SECTOR];
        uint64_t a = (k - 1) / SECTOR * SECTOR;
        size_t i;
        if (a < lo)
            a = lo;
        chain_pread(e, &in->cur, a, buf, (size_t)(k - a));
        for (i = 0; i < (size_t)(k - a); i++)
            buf[i] ^= (uint8_t)(rnd(rng) | 1);
        if (chain_pwrite(e, &in->cur, a, buf, (size_t)(k - a)) != FLOE_OK)
            return FLOE_ERR_NOSPC;
    }
    return FLOE_OK;
}

/* REORDER: old or new size, each unsynced sector old or new. */
static int reorder(struct floe_emufs *e, struct floe_emufs_inode *in, uint64_t *rng)
{
    uint8_t buf[SECTOR];
    uint64_t csz = in->cur.size, dsz = in->dur.size, nsz, a;
    nsz = (rnd(rng) & 1) ? csz : dsz;
    if (nsz < csz)
        chain_shrink(e, &in->cur, nsz);
    else if (chain_extend_zero(e, &in->cur, nsz) != FLOE_OK)
        return FLOE_ERR_NOSPC;
    for (a = in->dirty_lo / SECTOR * SECTOR; a < nsz; a += SECTOR) {
        uint64_t z = a + SECTOR < nsz ? a + SECTOR : nsz;
        if (rnd(rng) & 1) {
            /* New: the current bytes; past the current size (the size change
             * was lost) the disk still has the old ones. */
            if (z > csz && chain_copy_range(e, &in->cur, &in->dur, a > csz ? a : csz, z) != FLOE_OK)
                return FLOE_ERR_NOSPC;
        } else {
            memset(buf, 0, sizeof buf);
            if (a < dsz)
                chain_pread(e, &in->dur, a, buf, (size_t)((z < dsz ? z : dsz) - a));
            if (chain_pwrite(e, &in->cur, a, buf, (size_t)(z - a)) != FLOE_OK)
                return FLOE_ERR_NOSPC;
        }
    }
    return FLOE_OK;
}

/* Whether a directory operation reached the disk: one decision per
 * operation, so both halves of a rename share it. */
static int op_survives(uint64_t seed, uint64_t group)
{
    uint64_t s = seed ^ (group * 0xd1b54a32d192ed03ull);
    return (int)(rnd(&s) & 1);
}

int floe_emufs_reboot(struct floe_emufs *e, enum floe_emufs_loss mode, uint64_t seed)
{
    uint64_t rng = seed;
    uint32_t i;
    int err = FLOE_OK;
    if (e == NULL || (mode != FLOE_EMUFS_DROP && mode != FLOE_EMUFS_TEAR && mode != FLOE_EMUFS_REORDER))
        return FLOE_ERR_INVAL;
    for (i = 0; i < e->max_open; i++)
        e->handles[i].used = 0;
    for (i = 0; i < e->max_entries; i++) {
        struct floe_emufs_entry *en = &e->entries[i];
        if (en->cur == en->dur)
            continue;
        if (mode == FLOE_EMUFS_REORDER && op_survives(seed, en->group))
            en->dur = en->cur;
        else
            en->cur = en->dur;
    }
    gc(e); /* now what is reachable is exactly what was durably named */
    for (i = 0; i < e->max_files; i++) {
        struct floe_emufs_inode *in = &e->inodes[i];
        int r = FLOE_OK;
        if (in->type != T_FILE)
            continue;
        if (in->gone || !in->dirty || mode == FLOE_EMUFS_DROP)
            chain_assign(e, &in->cur, &in->dur);
        else if (mode == FLOE_EMUFS_TEAR)
            r = tear(e, in, &rng);
        else
            r = reorder(e, in, &rng);
        if (r != FLOE_OK) {
            chain_assign(e, &in->cur, &in->dur);
            err = r;
        }
        in->gone = 0;
        sync_inode(e, in);
    }
    gc(e);
    e->ops = 0;
    e->crash_at = 0;
    e->crashed = 0;
    return err;
}

/* ---- inspection -------------------------------------------------------- */

int floe_emufs_stat(struct floe_emufs *e, const char *path, int *is_dir, uint64_t *size)
{
    struct where w;
    int err;
    if (e == NULL)
        return FLOE_ERR_INVAL;
    err = resolve(e, path, &w);
    if (err != FLOE_OK)
        return err;
    if (w.ino == NONE)
        return FLOE_ERR_NOENT;
    if (is_dir != NULL)
        *is_dir = e->inodes[w.ino].type == T_DIR;
    if (size != NULL)
        *size = e->inodes[w.ino].type == T_DIR ? 0 : e->inodes[w.ino].cur.size;
    return FLOE_OK;
}

floe_ssize_t floe_emufs_read_file(struct floe_emufs *e, const char *path, uint64_t offset, void *buf, size_t n)
{
    struct where w;
    const struct floe_emufs_inode *in;
    int err;
    if (e == NULL || (buf == NULL && n > 0))
        return FLOE_ERR_INVAL;
    err = resolve(e, path, &w);
    if (err != FLOE_OK)
        return err;
    if (w.ino == NONE)
        return FLOE_ERR_NOENT;
    in = &e->inodes[w.ino];
    if (in->type != T_FILE)
        return FLOE_ERR_INVAL;
    if (offset >= in->cur.size)
        return 0;
    if (n > in->cur.size - offset)
        n = (size_t)(in->cur.size - offset);
    if (n > (size_t)1 << 30)
        n = (size_t)1 << 30;
    chain_pread(e, &in->cur, offset, buf, n);
    return (floe_ssize_t)n;
}

/* The path of entry slot, built from the name up through its directories
 * ("..." in front when it does not fit). */
static void entry_path(struct floe_emufs *e, uint32_t slot, char *out, size_t cap)
{
    size_t pos = cap - 1;
    uint32_t depth = 0;
    out[pos] = '\0';
    while (slot != NONE && depth++ < e->max_files) {
        const char *n = ent_name(e, slot);
        size_t len = strlen(n);
        uint32_t parent = e->entries[slot].parent, i;
        if (len + 1 + 3 > pos) {
            pos -= 3;
            memcpy(out + pos, "...", 3);
            break;
        }
        pos -= len;
        memcpy(out + pos, n, len);
        out[--pos] = '/';
        slot = NONE;
        if (parent == ROOT)
            break;
        for (i = 0; i < e->max_entries; i++)
            if (e->entries[i].cur == parent || e->entries[i].dur == parent) {
                slot = i;
                break;
            }
    }
    memmove(out, out + pos, cap - pos);
}

void floe_emufs_dump(struct floe_emufs *e, void (*line)(void *arg, const char *text), void *arg)
{
    char path[2 * FLOE_EMUFS_PATH_MAX], text[3 * FLOE_EMUFS_PATH_MAX];
    uint32_t i;
    if (e == NULL || line == NULL)
        return;
    snprintf(text, sizeof text, "emufs: ops=%llu%s used=%llu capacity=%llu sectors free=%lu/%lu",
             (unsigned long long)e->ops, e->crashed ? " CRASHED" : "", (unsigned long long)e->used,
             (unsigned long long)e->capacity, (unsigned long)e->free_blocks, (unsigned long)e->nblocks);
    line(arg, text);
    for (i = 0; i < e->max_entries; i++) {
        const struct floe_emufs_entry *en = &e->entries[i];
        const struct floe_emufs_inode *in;
        char state;
        if (!ent_used(en))
            continue;
        state = en->cur == en->dur ? '=' : en->dur == NONE ? '+' : en->cur == NONE ? '-' : '~';
        in = &e->inodes[en->cur != NONE ? en->cur : en->dur];
        entry_path(e, i, path, sizeof path);
        if (in->type == T_DIR)
            snprintf(text, sizeof text, "%c d %s", state, path);
        else
            snprintf(text, sizeof text, "%c f %s size=%llu durable=%llu%s", state, path,
                     (unsigned long long)in->cur.size, (unsigned long long)in->dur.size,
                     in->dirty ? " dirty" : "");
        line(arg, text);
    }
}
