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

int floe_fs_make_dirs(const struct floe_fs_port *fs, char *path, size_t base_len)
{
    size_t i, n = floe_strlen(path), parent_end = base_len;
    for (i = base_len + 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char saved = path[i];
            int err = FLOE_OK;
            path[i] = '\0';
            if (i > base_len + 1) {
                err = fs->mkdir(fs->ctx, path);
                if (err == FLOE_OK) {
                    char psaved = path[parent_end];
                    path[parent_end] = '\0';
                    err = fs->sync_dir(fs->ctx, path);
                    path[parent_end] = psaved;
                }
            }
            path[i] = saved;
            if (err != FLOE_OK)
                return err;
            parent_end = i;
        }
    }
    return FLOE_OK;
}
