/* When a source file has settled (settle.h). */
#include "settle.h"
#include <string.h>

void settle_init(struct settle_table *t, uint64_t settle_ms)
{
    memset(t, 0, sizeof *t);
    t->settle_ms = settle_ms;
}

int settle_check(struct settle_table *t, const struct stat *sb, int64_t wall_ns, uint64_t mono_ms)
{
    int64_t mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    struct settle_watch *slot = NULL;
    int i;
    if (wall_ns >= mtime_ns && (uint64_t)(wall_ns - mtime_ns) / 1000000u >= t->settle_ms)
        return 1;
    for (i = 0; i < SETTLE_WATCH_MAX; i++) {
        struct settle_watch *w = &t->w[i];
        if (w->used && w->dev == (uint64_t)sb->st_dev && w->ino == (uint64_t)sb->st_ino) {
            if (w->size == (uint64_t)sb->st_size && w->mtime_ns == mtime_ns)
                return mono_ms - w->since_ms >= t->settle_ms;
            slot = w; /* written to since: watched again from now */
            break;
        }
        if (slot == NULL || !w->used || (slot->used && w->since_ms < slot->since_ms))
            slot = w; /* an empty slot, or else the oldest */
    }
    slot->used = 1;
    slot->dev = (uint64_t)sb->st_dev;
    slot->ino = (uint64_t)sb->st_ino;
    slot->size = (uint64_t)sb->st_size;
    slot->mtime_ns = mtime_ns;
    slot->since_ms = mono_ms;
    return t->settle_ms == 0;
}
