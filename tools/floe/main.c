/* floe: NDJSON telemetry to Parquet in S3-compatible storage. */
#include "cli.h"
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: floe COMMAND [OPTIONS]\n"
            "\n"
            "commands:\n"
            "  run            the agent: watch a folder, convert, spool, upload (floe run --config FILE)\n"
            "  stats          print the running agent's metrics (floe stats --config FILE)\n"
            "  convert        NDJSON (.ndjson, .ndjson.zst, -) to Parquet files\n"
            "  json-validate  check that each file is exactly one RFC 8259 JSON text\n"
            "  schema infer   print a schema file inferred from NDJSON records\n"
            "  inspect        print a Parquet file's schema, row groups, encodings, statistics\n"
            "  upload         upload a spool's batches to S3 (or a folder), oldest first\n"
            "\n"
            "  floe COMMAND --help   options of a command\n"
            "  floe --version\n"
            "\n"
            "exit codes: 0 ok; 1 bad input or partial failure; 2 usage or configuration error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("floe %s (disk format %d)\n", FLOE_VERSION_STRING, FLOE_DISK_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "convert") == 0)
        return cmd_convert(argc - 1, argv + 1);
    if (strcmp(argv[1], "json-validate") == 0)
        return cmd_json_validate(argc - 1, argv + 1);
    if (strcmp(argv[1], "schema") == 0)
        return cmd_schema(argc - 1, argv + 1);
    if (strcmp(argv[1], "inspect") == 0)
        return cmd_inspect(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "stats") == 0)
        return cmd_stats(argc - 1, argv + 1);
    if (strcmp(argv[1], "upload") == 0)
        return cmd_upload(argc - 1, argv + 1);
    fprintf(stderr, "floe: unknown command '%s' (see floe --help)\n", argv[1]);
    return EXIT_USAGE;
}
