/* The agent's ledger of source files (see sources.h). */
#define _POSIX_C_SOURCE 200809L
#include "sources.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE_FINGERPRINT_BYTES 4096
#define LEDGER_MAGIC "floe-sources 1"

int source_id_of_fd(int fd, struct source_id *out)
{
    unsigned char head[SOURCE_FINGERPRINT_BYTES];
    struct stat sb;
    uint64_t h = 0xcbf29ce484222325ull;
    ssize_t n, i;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        return -1;
    n = pread(fd, head, sizeof head, 0);
    if (n < 0)
        return -1;
    for (i = 0; i < n; i++)
        h = (h ^ head[i]) * 0x100000001b3ull;
    memset(out, 0, sizeof *out);
    out->dev = (uint64_t)sb.st_dev;
    out->ino = (uint64_t)sb.st_ino;
    out->size = (uint64_t)sb.st_size;
    out->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    out->fingerprint = h;
    return 0;
}

int source_id_of_path(const char *path, struct source_id *out)
{
    int fd = open(path, O_RDONLY), r;
    if (fd < 0)
        return -1;
    r = source_id_of_fd(fd, out);
    close(fd);
    return r;
}

int source_id_equal(const struct source_id *a, const struct source_id *b)
{
    return source_id_same_file(a, b) && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

int source_id_same_file(const struct source_id *now, const struct source_id *then)
{
    return now->dev == then->dev && now->ino == then->ino && now->fingerprint == then->fingerprint &&
           now->size >= then->size;
}

int source_ledger_load(struct source_ledger *l, const char *spool_dir, const char *source_dir)
{
    char line[512];
    FILE *f;
    l->n = 0;
    snprintf(l->dir, sizeof l->dir, "%s", source_dir);
    snprintf(l->path, sizeof l->path, "%s/agent-sources", spool_dir);
    f = fopen(l->path, "r");
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    if (fgets(line, sizeof line, f) == NULL || strncmp(line, LEDGER_MAGIC "\n", sizeof LEDGER_MAGIC) != 0) {
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL && l->n < SOURCE_LEDGER_MAX) {
        struct source_entry *e = &l->e[l->n];
        unsigned long long dev, ino, size, fp;
        long long mtime;
        unsigned index;
        int at = 0;
        size_t len;
        if (sscanf(line, "%u %llu %llu %llu %lld %llx %n", &index, &dev, &ino, &size, &mtime, &fp, &at) != 6 ||
            at == 0)
            continue; /* a torn line cannot happen (rename), a foreign one is skipped */
        e->index = index;
        e->id.dev = dev;
        e->id.ino = ino;
        e->id.size = size;
        e->id.mtime_ns = mtime;
        e->id.fingerprint = fp;
        snprintf(e->name, sizeof e->name, "%s", line + at);
        len = strlen(e->name);
        if (len > 0 && e->name[len - 1] == '\n')
            e->name[len - 1] = '\0';
        l->n++;
    }
    fclose(f);
    return 0;
}

const struct source_entry *source_ledger_find(const struct source_ledger *l, const struct source_id *id)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (source_id_same_file(id, &l->e[i].id))
            return &l->e[i];
    return NULL;
}

void source_ledger_forget(struct source_ledger *l, const struct source_id *id)
{
    int i, k = 0;
    for (i = 0; i < l->n; i++)
        if (!source_id_equal(&l->e[i].id, id))
            l->e[k++] = l->e[i];
    l->n = k;
}

/* Keeps only the entries whose file is still in the folder (by identity:
 * a retired file's inode may come back under another name). */
static void prune_gone(struct source_ledger *l)
{
    static unsigned char present[SOURCE_LEDGER_MAX];
    DIR *d = opendir(l->dir);
    struct dirent *de;
    int i, k = 0;
    if (d == NULL)
        return;
    memset(present, 0, sizeof present);
    while ((de = readdir(d)) != NULL) {
        char p[1400];
        struct stat sb;
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", l->dir, de->d_name);
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        for (i = 0; i < l->n; i++)
            if (l->e[i].id.dev == (uint64_t)sb.st_dev && l->e[i].id.ino == (uint64_t)sb.st_ino)
                present[i] = 1;
    }
    closedir(d);
    for (i = 0; i < l->n; i++)
        if (present[i])
            l->e[k++] = l->e[i];
    l->n = k;
}

static int write_durably(const struct source_ledger *l)
{
    char tmp[1200], dir[1100], *slash;
    FILE *f;
    int i, fd, ok;
    snprintf(tmp, sizeof tmp, "%s.tmp", l->path);
    f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%s\n", LEDGER_MAGIC);
    for (i = 0; i < l->n; i++) {
        const struct source_entry *e = &l->e[i];
        fprintf(f, "%u %llu %llu %llu %lld %llx %s\n", (unsigned)e->index, (unsigned long long)e->id.dev,
                (unsigned long long)e->id.ino, (unsigned long long)e->id.size, (long long)e->id.mtime_ns,
                (unsigned long long)e->id.fingerprint, e->name);
    }
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, l->path) != 0) {
        unlink(tmp);
        return -1;
    }
    snprintf(dir, sizeof dir, "%s", l->path);
    slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    fd = open(dir, O_RDONLY);
    if (fd < 0)
        return -1;
    ok = fsync(fd) == 0;
    close(fd);
    return ok ? 0 : -1;
}

int source_ledger_record(struct source_ledger *l, uint32_t index, const char *name, const struct source_id *id)
{
    struct source_entry *e;
    int i, k = 0;
    size_t j;
    for (i = 0; i < l->n; i++)
        if (l->e[i].index < index && !source_id_equal(&l->e[i].id, id))
            l->e[k++] = l->e[i];
    l->n = k;
    if (l->n == SOURCE_LEDGER_MAX)
        prune_gone(l);
    if (l->n == SOURCE_LEDGER_MAX)
        return -1;
    e = &l->e[l->n++];
    e->index = index;
    e->id = *id;
    /* The name is for people reading the file: one line, whatever it holds. */
    snprintf(e->name, sizeof e->name, "%s", name);
    for (j = 0; e->name[j] != '\0'; j++)
        if (e->name[j] == '\n' || e->name[j] == '\r')
            e->name[j] = '?';
    return write_durably(l);
}

int source_ledger_reserve(struct source_ledger *l, uint32_t index)
{
    int i, k = 0;
    for (i = 0; i < l->n; i++)
        if (l->e[i].index < index)
            l->e[k++] = l->e[i];
    if (k == l->n)
        return 0;
    l->n = k;
    return write_durably(l);
}
