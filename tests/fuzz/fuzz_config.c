/* libFuzzer target: the agent's config file (outside bytes from the
 * operator's disk, tools/floe/config.c). Every rejection must say why; an
 * accepted config has everything floe run needs. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../tools/floe/config.h"

static struct agent_config cfg;
static char msgs[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *in, *err;
    int r;
    if (size == 0)
        return 0;
    in = fmemopen((void *)(uintptr_t)data, size, "r");
    memset(msgs, 0, sizeof msgs);
    err = fmemopen(msgs, sizeof msgs - 1, "w");
    if (in == NULL || err == NULL)
        abort();
    r = agent_config_read(in, "fuzz.conf", &cfg, err);
    fclose(in);
    fclose(err);
    if (r != 0 && r != -1)
        abort();
    if (r == -1 && strstr(msgs, "fuzz.conf") == NULL)
        abort(); /* every rejection names the file and says why */
    if (r == 0 && (cfg.source_dir[0] == '\0' || cfg.schema_file[0] == '\0' || cfg.spool_dir[0] == '\0' ||
                   (strncmp(cfg.url, "s3://", 5) != 0 && strncmp(cfg.url, "file://", 7) != 0 &&
                    strncmp(cfg.url, "https://", 8) != 0 && strncmp(cfg.url, "http://", 7) != 0)))
        abort();
    /* The start-up checks too (not with a credentials file: its path would
     * come from the input and open whatever it names on this machine). */
    if (r == 0 && cfg.credentials_file[0] == '\0') {
        static struct agent_credentials cred;
        memset(msgs, 0, sizeof msgs);
        err = fmemopen(msgs, sizeof msgs - 1, "w");
        if (err == NULL)
            abort();
        r = agent_config_check(&cfg, &cred, err);
        fclose(err);
        if (r != 0 && r != -1)
            abort();
        if (r == -1 && strstr(msgs, "fuzz.conf") == NULL)
            abort(); /* names the file, the line and the key */
    }
    return 0;
}
