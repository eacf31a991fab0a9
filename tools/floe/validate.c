/* floe json-validate FILE...: one line per file, accept or reject and why. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

#define VALIDATE_MAX_BYTES (64u << 20)
#define VALIDATE_MAX_DEPTH 512u

int cmd_json_validate(int argc, char **argv)
{
    int i, bad = 0, files = 0;
    void *work;
    size_t work_size;
    uint32_t max_tokens = 1u << 20;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        printf("usage: floe json-validate FILE...\n"
               "  Checks that each file is exactly one RFC 8259 JSON text (strict: no\n"
               "  comments, no trailing commas, valid UTF-8, no lone surrogates), with\n"
               "  nesting up to %u levels and up to %u values. Prints one line per file:\n"
               "  'accept FILE' or 'reject FILE: reason at byte N'. Exit 0 when every\n"
               "  file is accepted, 1 otherwise.\n",
               VALIDATE_MAX_DEPTH, max_tokens);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    work_size = floe_json_validate_work(max_tokens, VALIDATE_MAX_DEPTH);
    work = malloc(work_size);
    if (work == NULL)
        return EXIT_BAD_INPUT;
    for (i = 1; i < argc; i++) {
        size_t len, where = 0;
        const char *why = NULL;
        char *text = cli_read_file(argv[i], VALIDATE_MAX_BYTES, &len);
        int r;
        files++;
        if (text == NULL) {
            printf("reject %s: cannot read (or larger than %u MiB)\n", argv[i], VALIDATE_MAX_BYTES >> 20);
            bad++;
            continue;
        }
        r = floe_json_validate_text(text, len, work, work_size, max_tokens, VALIDATE_MAX_DEPTH, &why, &where);
        if (r == FLOE_OK) {
            printf("accept %s\n", argv[i]);
        } else {
            printf("reject %s: %s at byte %zu\n", argv[i], why ? why : floe_strerror(r), where);
            bad++;
        }
        free(text);
    }
    free(work);
    fprintf(stderr, "%d files: %d accepted, %d rejected\n", files, files - bad, bad);
    return bad ? EXIT_BAD_INPUT : EXIT_OK;
}
