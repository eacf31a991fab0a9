/* The agent's configuration file (see config.h). */
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#include "config.h"
#include "cli.h"
#include "floe/parquet.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum opt_type { T_STR, T_BYTES, T_UINT, T_BOOL, T_ENUM };

struct option_def {
    const char *section, *key;
    enum opt_type type;
    size_t offset, size;
    const char *def;      /* default, as it would be written in the file */
    const char *choices;  /* T_ENUM: "a|b" */
    const char *help;
    uint64_t max; /* T_UINT, T_BYTES: the largest value the agent can use (0: any) */
};

#define OPT(sec, key, type, field, def, choices, help) OPT_MAX(sec, key, type, field, def, choices, help, 0)
#define OPT_MAX(sec, key, type, field, def, choices, help, max)                                                      \
    {sec, key, type, offsetof(struct agent_config, field), sizeof(((struct agent_config *)0)->field), def, choices,   \
     help, max}
/* Limits of what the values become: milliseconds in 32 bits, the writer's
 * own bounds (pages to 64M, row groups and lines to 1G). */
#define MS_32 UINT32_MAX
#define S_32 (UINT32_MAX / 1000u)
#define G1 (1ull << 30)

static const struct option_def options[] = {
    OPT("source", "dir", T_STR, source_dir, "", NULL, "watched folder of .ndjson / .ndjson.zst files (\"-\": stdin)"),
    OPT_MAX("source", "settle_ms", T_UINT, settle_ms, "2000", NULL, "a file is taken once unchanged this long", MS_32),
    OPT("source", "done", T_ENUM, done_policy, "delete", "delete|keep", "consumed files: delete, or keep in <dir>/done/"),
    OPT("schema", "file", T_STR, schema_file, "", NULL, "schema file (floe schema infer writes one)"),
    OPT("parquet", "codec", T_ENUM, codec, "snappy", "snappy|zstd|none", "page compression"),
    OPT_MAX("parquet", "row_group_bytes", T_BYTES, row_group_bytes, "1M", NULL, "compressed bytes per row group", G1),
    OPT_MAX("parquet", "page_bytes", T_BYTES, page_bytes, "32K", NULL, "bytes per page (and per column buffer)", (64ull << 20)),
    OPT("parquet", "file_bytes", T_BYTES, file_bytes, "64M", NULL, "roll files at the first row-group end past this size"),
    OPT("parquet", "file_rows", T_UINT, file_rows, "0", NULL, "roll files at this many rows (0: no limit)"),
    OPT_MAX("parquet", "max_age_s", T_UINT, max_age_s, "300", NULL, "roll a file open this long (0: never)", S_32),
    OPT_MAX("parquet", "idle_s", T_UINT, idle_s, "30", NULL, "roll a file without new rows this long (0: never)", S_32),
    OPT("parquet", "partition_by", T_STR, partition_by, "", NULL, "COLUMN:day or COLUMN:hour (hive dt=/hour= folders, UTC)"),
    OPT_MAX("parquet", "late_window_bytes", T_BYTES, late_window_bytes, "256K", NULL,
            "with partition_by: memory for rows of another partition than the open file's (clocks behind or "
            "ahead), written to their own files when it rolls (0: each such row rolls the file)", G1),
    OPT("parquet", "sort_by", T_STR, sort_by, "", NULL,
        "COLUMN: rows grouped by it (then in arrival order) within each window of rows held in memory"),
    OPT_MAX("parquet", "sort_window_bytes", T_BYTES, sort_window_bytes, "512K", NULL, "memory for the rows sort_by holds", G1),
    OPT_MAX("parquet", "max_line", T_BYTES, max_line, "64K", NULL, "longest NDJSON line; longer lines are dead letters", G1),
    OPT("parquet", "bloom_filters", T_BOOL, bloom_filters, "true", NULL,
        "a Bloom filter for each dictionary-encoded column chunk (readers skip row groups on col = value)"),
    OPT("parquet", "page_index", T_BOOL, page_index, "true", NULL,
        "each column chunk's page index: where its pages are, their min, max and nulls (readers skip pages)"),
    OPT("spool", "dir", T_STR, spool_dir, "", NULL, "the spool folder (see docs/spool.md)"),
    OPT("spool", "quota", T_BYTES, quota, "1G", NULL, "bytes the spool may hold (0: the disk)"),
    OPT("spool", "full_policy", T_ENUM, full_policy, "block", "block|drop_oldest", "when full: wait, or drop the oldest file"),
    OPT_MAX("spool", "dead_bytes", T_BYTES, dead_bytes, "1M", NULL, "a batch's dead letters end at about this size (at most a quarter of the quota)", UINT32_MAX),
    OPT("target", "url", T_STR, url, "", NULL,
        "s3://BUCKET[/PREFIX], https://HOST/PATH[/{key}] (plain PUT; bearer token from $FLOE_BEARER_TOKEN) or file:///PATH"),
    OPT("target", "endpoint", T_STR, endpoint, "", NULL, "S3 endpoint URL (default https://s3.REGION.amazonaws.com)"),
    OPT("target", "region", T_STR, region, "us-east-1", NULL, "signing region"),
    OPT("target", "path_style", T_BOOL, path_style, "false", NULL, "endpoint/bucket/key addressing"),
    OPT("target", "ca_file", T_STR, ca_file, "", NULL, "CA bundle (default: the system bundle)"),
    OPT("target", "proxy", T_STR, proxy, "", NULL, "HTTP proxy for CONNECT, http://[user:pass@]host:port"),
    OPT("target", "client_cert", T_STR, client_cert, "", NULL, "client certificate PEM for mutual TLS"),
    OPT("target", "client_key", T_STR, client_key, "", NULL, "its private key PEM (mode 600)"),
    OPT("target", "insecure", T_BOOL, insecure, "false", NULL, "do NOT verify TLS certificates (logged loudly)"),
    OPT("target", "credentials_file", T_STR, credentials_file, "", NULL,
        "AWS-style credentials file (mode 600); else AWS_* environment variables"),
    OPT_MAX("upload", "part_size", T_BYTES, part_size, "8M", NULL, "multipart part size (>= 5M)", (5ull << 30)),
    OPT("upload", "multipart_threshold", T_BYTES, multipart_threshold, "16M", NULL, "files this big go multipart"),
    OPT_MAX("upload", "backoff_base_ms", T_UINT, backoff_base_ms, "500", NULL, "first retry delay (exponential, full jitter)", MS_32),
    OPT_MAX("upload", "backoff_max_ms", T_UINT, backoff_max_ms, "60000", NULL, "longest retry delay (a longer Retry-After is cut to it)", MS_32),
    OPT_MAX("upload", "breaker_failures", T_UINT, breaker_failures, "5", NULL, "failures in a row that pause uploads", UINT32_MAX),
    OPT_MAX("upload", "breaker_open_s", T_UINT, breaker_open_s, "30", NULL, "how long uploads pause", S_32),
    OPT_MAX("upload", "max_failures", T_UINT, max_failures, "0", NULL, "failures in a row that raise floe_upload_error (probing goes on; exit 1 at stop) (0: never)", UINT32_MAX),
    OPT("upload", "dead_letters", T_BOOL, dead_letters, "true", NULL, "upload dead letters under PREFIX_dead_letters/"),
    OPT("upload", "manifests", T_BOOL, manifests, "false", NULL, "after each Parquet object, a JSON manifest under PREFIX_manifests/ (for table committers)"),
    OPT("log", "level", T_ENUM, log_level, "info", "error|warn|info|debug", "log level"),
    OPT("log", "output", T_ENUM, log_output, "stderr", "stderr|syslog", "where log lines go (syslog: facility daemon, tag floe)"),
    OPT("metrics", "file", T_STR, metrics_file, "", NULL, "Prometheus text file for node_exporter (\"\": off)"),
    OPT_MAX("metrics", "interval_s", T_UINT, metrics_interval_s, "10", NULL, "how often the metrics file is rewritten", S_32),
};

#define N_OPTIONS (sizeof options / sizeof options[0])

typedef char options_fit_line_of[N_OPTIONS <= AGENT_CONFIG_MAX_OPTIONS ? 1 : -1];

static int set_value(struct agent_config *c, const struct option_def *o, const char *v, char *why, size_t cap)
{
    char *field = (char *)c + o->offset;
    uint64_t n;
    switch (o->type) {
    case T_STR:
        if (strlen(v) >= o->size) {
            snprintf(why, cap, "value too long (at most %zu bytes)", o->size - 1);
            return -1;
        }
        strcpy(field, v);
        return 0;
    case T_ENUM: {
        const char *p = o->choices;
        size_t len = strlen(v);
        while (p != NULL && *p) {
            const char *bar = strchr(p, '|');
            size_t l = bar ? (size_t)(bar - p) : strlen(p);
            if (l == len && strncmp(p, v, l) == 0) {
                strcpy(field, v);
                return 0;
            }
            p = bar ? bar + 1 : NULL;
        }
        snprintf(why, cap, "must be one of %s", o->choices);
        return -1;
    }
    case T_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
            *(int *)field = 1;
        else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
            *(int *)field = 0;
        else {
            snprintf(why, cap, "must be true or false");
            return -1;
        }
        return 0;
    case T_BYTES:
    case T_UINT:
        if (cli_parse_bytes(v, &n) != 0 || (o->type == T_UINT && strspn(v, "0123456789") != strlen(v))) {
            snprintf(why, cap, o->type == T_BYTES ? "not a byte count (e.g. 512K, 64M)" : "not a number");
            return -1;
        }
        if (o->max != 0 && n > o->max) {
            snprintf(why, cap, "want at most %llu", (unsigned long long)o->max);
            return -1;
        }
        *(uint64_t *)field = n;
        return 0;
    }
    return -1;
}

int agent_config_load(const char *path, struct agent_config *c, FILE *err)
{
    FILE *f = fopen(path, "r");
    int r;
    if (f == NULL) {
        memset(c, 0, sizeof *c);
        fprintf(err, "%s: cannot read the config file\n", path);
        return -1;
    }
    r = agent_config_read(f, path, c, err);
    fclose(f);
    return r;
}

int agent_config_read(FILE *f, const char *path, struct agent_config *c, FILE *err)
{
    char line[2048], section[64] = "", why[160];
    size_t i;
    int lineno = 0, bad = 0;
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    for (i = 0; i < N_OPTIONS; i++)
        set_value(c, &options[i], options[i].def, why, sizeof why);
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line, *eq, *key, *val, *end;
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            fprintf(err, "%s:%d: line too long\n", path, lineno);
            bad = 1;
            break;
        }
        while (isspace((unsigned char)*p))
            p++;
        /* A comment may follow a value after whitespace: "codec = snappy  # or none". */
        {
            char *c = p;
            while ((c = strpbrk(c, "#;")) != NULL) {
                if (c > p && (c[-1] == ' ' || c[-1] == '\t')) {
                    *c = '\0';
                    break;
                }
                c++;
            }
        }
        end = p + strlen(p);
        while (end > p && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (*p == '\0' || *p == '#' || *p == ';')
            continue;
        if (*p == '[') {
            if (end[-1] != ']' || end - p - 2 <= 0 || (size_t)(end - p - 2) >= sizeof section) {
                fprintf(err, "%s:%d: bad section header %s\n", path, lineno, p);
                bad = 1;
                continue;
            }
            memcpy(section, p + 1, (size_t)(end - p - 2));
            section[end - p - 2] = '\0';
            continue;
        }
        eq = strchr(p, '=');
        if (eq == NULL) {
            fprintf(err, "%s:%d: expected key = value\n", path, lineno);
            bad = 1;
            continue;
        }
        key = p;
        val = eq + 1;
        while (eq > key && isspace((unsigned char)eq[-1]))
            eq--;
        *eq = '\0';
        while (isspace((unsigned char)*val))
            val++;
        if (strlen(val) >= 2 && val[0] == '"' && val[strlen(val) - 1] == '"') {
            val[strlen(val) - 1] = '\0';
            val++;
        }
        for (i = 0; i < N_OPTIONS; i++)
            if (strcmp(options[i].section, section) == 0 && strcmp(options[i].key, key) == 0)
                break;
        if (i == N_OPTIONS) {
            fprintf(err, "%s:%d: unknown key '%s' in [%s] (see floe run --help-config)\n", path, lineno, key, section);
            bad = 1;
            continue;
        }
        if (set_value(c, &options[i], val, why, sizeof why) != 0) {
            fprintf(err, "%s:%d: [%s] %s: %s\n", path, lineno, section, key, why);
            bad = 1;
        }
        c->line_of[i] = lineno;
    }
    if (!bad && strcmp(c->codec, "zstd") == 0 && !floe_parquet_codec_supported(FLOE_PARQUET_ZSTD)) {
        fprintf(err, "%s: [parquet] codec = zstd: this build of libfloe has no zstd compressor "
                     "(build it with FLOE_ZSTD_COMPRESS=1)\n", path);
        bad = 1;
    }
    if (!bad && c->source_dir[0] == '\0') {
        fprintf(err, "%s: [source] dir is required\n", path);
        bad = 1;
    }
    if (!bad && c->schema_file[0] == '\0') {
        fprintf(err, "%s: [schema] file is required\n", path);
        bad = 1;
    }
    if (!bad && c->spool_dir[0] == '\0') {
        fprintf(err, "%s: [spool] dir is required\n", path);
        bad = 1;
    }
    if (!bad && c->url[0] == '\0') {
        fprintf(err, "%s: [target] url is required (s3://BUCKET[/PREFIX] or file:///PATH)\n", path);
        bad = 1;
    }
    if (!bad && strncmp(c->url, "s3://", 5) != 0 && strncmp(c->url, "file://", 7) != 0 &&
        strncmp(c->url, "https://", 8) != 0 && strncmp(c->url, "http://", 7) != 0) {
        fprintf(err, "%s: [target] url: want s3://BUCKET[/PREFIX], https://URL or file:///PATH, not %s\n", path,
                c->url);
        bad = 1;
    }
    return bad ? -1 : 0;
}

void agent_config_complain(const struct agent_config *c, FILE *err, const char *section, const char *key,
                           const char *fmt, ...)
{
    va_list ap;
    size_t i;
    int line = 0;
    for (i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].section, section) == 0 && strcmp(options[i].key, key) == 0)
            line = c->line_of[i];
    if (line > 0)
        fprintf(err, "%s:%d: [%s] %s: ", c->path, line, section, key);
    else
        fprintf(err, "%s: [%s] %s (default): ", c->path, section, key);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
}

int agent_credentials_set(struct agent_credentials *cred, const char *id, const char *secret, const char *token)
{
    memset(cred, 0, sizeof *cred);
    if (strlen(id) >= sizeof cred->akid || strlen(secret) >= sizeof cred->secret ||
        (token != NULL && strlen(token) >= sizeof cred->token))
        return -1;
    snprintf(cred->akid, sizeof cred->akid, "%s", id);
    snprintf(cred->secret, sizeof cred->secret, "%s", secret);
    snprintf(cred->token, sizeof cred->token, "%s", token != NULL ? token : "");
    return 0;
}

int agent_config_read_credentials(const char *path, const char *profile, struct agent_credentials *cred, FILE *err,
                                  const char **why)
{
    char line[sizeof cred->token + 512], want[160];
    struct stat sb;
    int in_profile = 1; /* keys before any [section] count: a file of the agent's own */
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        *why = errno == ENOENT ? "no such file" : "cannot be read (permissions?)";
        return -1;
    }
    if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 0077) != 0)
        fprintf(err, "floe: warning: %s is readable by other users: chmod 600 it\n", path);
    snprintf(want, sizeof want, "[%s]", profile != NULL && profile[0] != '\0' ? profile : "default");
    memset(cred, 0, sizeof *cred);
    while (fgets(line, sizeof line, f) != NULL) {
        char *k = line, *eq, *v, *end = line + strlen(line);
        if (end == line + sizeof line - 1 && end[-1] != '\n') {
            /* Cut, not read whole: a key cut short fails every request. */
            fclose(f);
            *why = "has a line longer than the longest session token floe takes (4 KiB)";
            return -1;
        }
        while (end > line && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        while (*k == ' ' || *k == '\t')
            k++;
        if (*k == '[') {
            in_profile = strcmp(k, want) == 0;
            continue;
        }
        if (!in_profile || *k == '#' || *k == ';' || (eq = strchr(k, '=')) == NULL)
            continue;
        v = eq + 1;
        while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
            eq--;
        *eq = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        if ((strcmp(k, "aws_access_key_id") == 0 && strlen(v) >= sizeof cred->akid) ||
            (strcmp(k, "aws_secret_access_key") == 0 && strlen(v) >= sizeof cred->secret) ||
            (strcmp(k, "aws_session_token") == 0 && strlen(v) >= sizeof cred->token)) {
            fclose(f);
            *why = AGENT_CREDENTIALS_TOO_LONG;
            return -1;
        }
        if (strcmp(k, "aws_access_key_id") == 0)
            snprintf(cred->akid, sizeof cred->akid, "%s", v);
        else if (strcmp(k, "aws_secret_access_key") == 0)
            snprintf(cred->secret, sizeof cred->secret, "%s", v);
        else if (strcmp(k, "aws_session_token") == 0)
            snprintf(cred->token, sizeof cred->token, "%s", v);
    }
    fclose(f);
    if (cred->akid[0] == '\0' || cred->secret[0] == '\0') {
        *why = "no aws_access_key_id and aws_secret_access_key in it (for this profile)";
        return -1;
    }
    return 0;
}

/* S3 bucket names: 3-63 of a-z 0-9 . - */
static int bucket_name_ok(const char *b, size_t n)
{
    size_t i;
    if (n < 3 || n > 63)
        return 0;
    for (i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' || b[i] == '-'))
            return 0;
    return 1;
}

int agent_config_check(const struct agent_config *c, struct agent_credentials *cred, FILE *err)
{
    int bad = 0;
    memset(cred, 0, sizeof *cred);
    if (strncmp(c->url, "s3://", 5) == 0) {
        const char *b = c->url + 5, *slash = strchr(b, '/');
        size_t n = slash ? (size_t)(slash - b) : strlen(b);
        if (!bucket_name_ok(b, n)) {
            agent_config_complain(c, err, "target", "url", "want s3://BUCKET[/PREFIX] with a bucket name of 3-63 "
                                  "a-z, 0-9, '.', '-', not %s", c->url);
            bad = 1;
        }
        if (c->part_size < 5u * 1024u * 1024u || c->part_size > 5ull * 1024u * 1024u * 1024u) {
            agent_config_complain(c, err, "upload", "part_size", "S3 takes parts of 5M to 5G, not %llu bytes",
                                  (unsigned long long)c->part_size);
            bad = 1;
        }
        if (c->credentials_file[0] == '\0') {
            const char *id = getenv("AWS_ACCESS_KEY_ID"), *key = getenv("AWS_SECRET_ACCESS_KEY");
            const char *token = getenv("AWS_SESSION_TOKEN");
            if (id == NULL || key == NULL || id[0] == '\0' || key[0] == '\0') {
                agent_config_complain(c, err, "target", "url", "no credentials for %s: set [target] credentials_file, "
                                      "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", c->url);
                bad = 1;
            } else if (agent_credentials_set(cred, id, key, token) != 0) {
                agent_config_complain(c, err, "target", "url", "in the environment, %s", AGENT_CREDENTIALS_TOO_LONG);
                bad = 1;
            }
        }
    } else if (strncmp(c->url, "file://", 7) == 0 && c->url[7] == '\0') {
        agent_config_complain(c, err, "target", "url", "want file:///PATH, not %s", c->url);
        bad = 1;
    }
    if (c->credentials_file[0] != '\0' && strncmp(c->url, "file://", 7) != 0) {
        const char *why = "";
        if (agent_config_read_credentials(c->credentials_file, getenv("AWS_PROFILE"), cred, err, &why) != 0) {
            agent_config_complain(c, err, "target", "credentials_file", "%s: %s", c->credentials_file, why);
            bad = 1;
        }
    }
    if (c->partition_by[0] != '\0') {
        const char *colon = strchr(c->partition_by, ':');
        if (colon == NULL || colon == c->partition_by ||
            (strcmp(colon + 1, "day") != 0 && strcmp(colon + 1, "hour") != 0)) {
            agent_config_complain(c, err, "parquet", "partition_by", "want COLUMN:day or COLUMN:hour, not %s",
                                  c->partition_by);
            bad = 1;
        }
    }
    if (bad)
        memset(cred, 0, sizeof *cred);
    return bad ? -1 : 0;
}

void agent_config_describe(FILE *out)
{
    size_t i;
    const char *sec = "";
    for (i = 0; i < N_OPTIONS; i++) {
        if (strcmp(sec, options[i].section) != 0) {
            sec = options[i].section;
            fprintf(out, "[%s]\n", sec);
        }
        fprintf(out, "  %-20s default %-10s %s\n", options[i].key, options[i].def[0] ? options[i].def : "\"\"",
                options[i].help);
    }
}
