/* When a source file has settled: nothing has written to it for settle_ms.
 *
 * By the wall clock a file whose mtime is settle_ms old has settled. One whose
 * mtime is more recent, or in the future (the clock stepped back, or the file
 * came from a box whose clock ran ahead), is watched instead: it settles once
 * it has been seen unchanged (size and mtime) for settle_ms by the monotonic
 * clock. Taking a file with a future mtime at once would read it while it may
 * still grow, and a file that grows after it was read is kept in failed/, not
 * landed. */
#ifndef FLOE_CLI_SETTLE_H
#define FLOE_CLI_SETTLE_H

#include <stdint.h>
#include <sys/stat.h>

#define SETTLE_WATCH_MAX 32 /* a full table forgets its oldest entry: that file only waits longer */

struct settle_watch {
    uint64_t dev, ino, size;
    int64_t mtime_ns;
    uint64_t since_ms; /* monotonic: first seen with this size and mtime */
    int used;
};

struct settle_table {
    uint64_t settle_ms;
    struct settle_watch w[SETTLE_WATCH_MAX];
};

void settle_init(struct settle_table *t, uint64_t settle_ms);
/* Whether the file sb describes has settled, at wall-clock time wall_ns
 * (ns since the epoch) and monotonic time mono_ms. */
int settle_check(struct settle_table *t, const struct stat *sb, int64_t wall_ns, uint64_t mono_ms);

#endif
