/* The agent's configuration file: INI-like "key = value" lines in
 * [sections], '#' or ';' comments. Every option, its default and its meaning
 * are in tools/floe/config.c's table and in tools/demo/floe.conf. */
#ifndef FLOE_CLI_CONFIG_H
#define FLOE_CLI_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#define AGENT_CONFIG_MAX_OPTIONS 64

struct agent_config {
    /* [source] */
    char source_dir[1024];
    uint64_t settle_ms;
    char done_policy[16];      /* "delete" or "keep" (moved to <dir>/done/) */
    /* [schema] */
    char schema_file[1024];
    /* [parquet] */
    char codec[16];
    uint64_t row_group_bytes, page_bytes, file_bytes, file_rows, max_age_s, idle_s;
    char partition_by[128];    /* "" or COLUMN:day|hour */
    char sort_by[128];         /* "" or COLUMN: rows grouped by it */
    uint64_t sort_window_bytes;
    uint64_t late_window_bytes;
    uint64_t max_line;
    int bloom_filters;
    int page_index;
    /* [spool] */
    char spool_dir[1024];
    uint64_t quota;
    uint64_t dead_bytes;
    char full_policy[16];      /* "block" or "drop_oldest" */
    /* [target] */
    char url[1024];            /* s3://bucket/prefix or file:///path */
    char endpoint[512];
    char region[64];
    int path_style;
    char ca_file[1024];
    char proxy[512];
    char client_cert[1024], client_key[1024];
    int insecure;
    char credentials_file[1024];
    /* [upload] */
    uint64_t part_size, multipart_threshold, backoff_base_ms, backoff_max_ms, breaker_failures, breaker_open_s;
    uint64_t max_failures;
    int dead_letters;
    int manifests;
    /* [log] */
    char log_level[16];
    char log_output[16];
    /* [metrics] */
    char metrics_file[1024];
    uint64_t metrics_interval_s;
    /* where each option was set, for messages about its value */
    char path[1024];
    int line_of[AGENT_CONFIG_MAX_OPTIONS]; /* 0: the default */
};

/* Fills *c with the defaults, then reads path. On an error prints
 * "FILE:LINE: message" to err and returns -1. */
int agent_config_load(const char *path, struct agent_config *c, FILE *err);

/* The same from an open stream; path names it in messages. */
int agent_config_read(FILE *f, const char *path, struct agent_config *c, FILE *err);


/* Prints "FILE:LINE: [section] key: " (the line where the key was set, or
 * none for a default) and the formatted message, then a newline. */
void agent_config_complain(const struct agent_config *c, FILE *err, const char *section, const char *key,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

struct agent_credentials {
    char akid[256], secret[256], token[4096];
};

/* Reads AWS-style credentials (aws_access_key_id, aws_secret_access_key,
 * optional aws_session_token) from a file: the keys of section [PROFILE]
 * ([default] when profile is NULL or empty), and any before the first
 * section. Warns on err when others can read the file. Returns 0 when both
 * keys are there, -1 (why in *why) otherwise. */
int agent_config_read_credentials(const char *path, const char *profile, struct agent_credentials *cred, FILE *err,
                                  const char **why);

#define AGENT_CREDENTIALS_TOO_LONG \
    "a credential is longer than floe takes (key id and secret 255 bytes, session token 4095)"
/* Sets cred from a key id, secret and session token (NULL: none). Returns 0,
 * or -1 (cred cleared) when one is longer than its field: cut, it would fail
 * every request. */
int agent_credentials_set(struct agent_credentials *cred, const char *id, const char *secret, const char *token);

/* Checks what the file's syntax cannot: a target that can work (a bucket,
 * credentials for s3://: a readable credentials_file or the AWS_*
 * variables, which it reads into *cred), partition_by's form, part_size
 * within S3's limits. On an error prints "FILE:LINE: [section] key: message"
 * to err and returns -1. */
int agent_config_check(const struct agent_config *c, struct agent_credentials *cred, FILE *err);

/* Prints every option with its default and help (for --help-config). */
void agent_config_describe(FILE *out);

#endif
