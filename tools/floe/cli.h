/* The floe command-line tool: shared helpers. The tool may use the heap and
 * stdio; the library it drives may not. */
#ifndef FLOE_CLI_H
#define FLOE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "floe/floe.h"
#include "floe/parquet.h"
#include "floe/roll.h"
#include "floe/writer.h"
#include "floe_posix.h"

/* Exit codes, as documented in --help. */
#define EXIT_OK 0
#define EXIT_BAD_INPUT 1 /* bad input or partial failure */
#define EXIT_USAGE 2     /* usage or configuration error */

int cmd_convert(int argc, char **argv);
int cmd_json_validate(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* Logs one line through a log port at level (stdio is fine in the tool). */
void cli_log(int level, const struct floe_log_port *log, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads a whole file (at most max bytes) into a malloc'd buffer. */
char *cli_read_file(const char *path, size_t max, size_t *len);
/* Parses a byte count like 1048576, 512K, 64M, 1G. Returns 0 on success. */
int cli_parse_bytes(const char *text, uint64_t *out);
/* Seconds on the monotonic clock. */
double cli_now(void);
/* Writes s as a JSON string (with quotes) to f. */
void cli_json_string(FILE *f, const char *s, size_t n);
/* The same, utf8 saying whether s may go out as text (else each byte from
 * 0x7f up as \u00XX, its latin-1 code point). */
void cli_json_string_as(FILE *f, const char *s, size_t n, int utf8);

#endif
