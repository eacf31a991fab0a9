/* Durable file writes through the fs port, shared by the spool and the
 * uploader: every byte written, then fsync, close and rename into place. */
#include "core/internal.h"

int floe_fs_write_all(const struct floe_fs_port *fs, void *file, const void *data, size_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    while (n > 0) {
        floe_ssize_t w = fs->write(fs->ctx, file, p, n);
        if (w < 0)
            return (int)w;
        if (w == 0)
            return FLOE_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return FLOE_OK;
}

int floe_fs_finish(const struct floe_fs_port *fs, void *file, int err, const char *tmp, const char *final_path)
{
    int cerr;
    if (err == FLOE_OK)
        err = fs->sync(fs->ctx, file);
    cerr = fs->close(fs->ctx, file);
    if (err == FLOE_OK)
        err = cerr;
    if (err == FLOE_OK)
        err = fs->rename(fs->ctx, tmp, final_path);
    if (err != FLOE_OK)
        fs->remove(fs->ctx, tmp);
    return err;
}
