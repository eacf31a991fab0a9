/* floe inspect and floe schema infer: not in this build yet (see issue 4 / 3 notes). */
#include "cli.h"

int cmd_inspect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "floe inspect: not implemented yet\n");
    return EXIT_USAGE;
}

int cmd_schema(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "floe schema infer: not implemented yet\n");
    return EXIT_USAGE;
}
