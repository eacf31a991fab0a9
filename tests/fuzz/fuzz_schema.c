/* libFuzzer target: schema files (outside bytes from the operator's disk). */
#include <stdint.h>
#include <stdlib.h>
#include "floe/floe.h"

static uint64_t arena_buf[(1u << 20) / 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_arena a;
    struct floe_schema s;
    char why[160];
    floe_arena_init(&a, arena_buf, sizeof arena_buf);
    if (floe_schema_parse((const char *)data, size, &a, &s, why, sizeof why) == FLOE_OK) {
        /* A parsed schema is a valid one, and the decoder can be sized for it. */
        struct floe_ndjson_config cfg = {0};
        if (floe_schema_check(&s, NULL) != FLOE_OK)
            abort();
        cfg.schema = &s;
        cfg.no_zstd = 1;
        if (floe_ndjson_size(&cfg) == 0)
            abort();
    } else if (why[0] == '\0') {
        abort(); /* every rejection says why */
    }
    return 0;
}
