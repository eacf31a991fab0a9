/* floe upload --spool DIR TARGET: uploads every committed batch, oldest first,
 * and exits 0 once the spool is empty. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "config.h"
#include "floe/uploader.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define FLOE_UPLOAD_MAX_CONNECTIONS 16

static void upload_usage(FILE *f)
{
    fprintf(f,
            "usage: floe upload --spool DIR TARGET [options]\n"
            "  TARGET  s3://BUCKET[/PREFIX]   S3 or any S3-compatible store (SigV4)\n"
            "          https://HOST/PATH     plain PUT of each file to PATH/KEY, or to the URL with\n"
            "                                its {key} replaced (presigned URLs, ingest endpoints);\n"
            "                                $FLOE_BEARER_TOKEN, if set, goes as Authorization: Bearer\n"
            "          file:///PATH          copy into a local folder (trying it out)\n"
            "options:\n"
            "  --endpoint URL            S3 endpoint (default https://s3.REGION.amazonaws.com)\n"
            "  --region R                signing region (default $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)\n"
            "  --path-style              endpoint/bucket/key addressing (MinIO, local servers)\n"
            "  --ca-file PEM             CA bundle (default /etc/ssl/certs/ca-certificates.crt)\n"
            "  --insecure                do NOT verify the server certificate (logged loudly)\n"
            "  --client-cert PEM --client-key PEM   mutual TLS\n"
            "  --proxy URL               tunnel through an HTTP proxy with CONNECT,\n"
            "                            http://[user:pass@]host:port (proxy variables in the\n"
            "                            environment are not read)\n"
            "  --part-size N             multipart part size (default 8M, at least 5M)\n"
            "  --multipart-threshold N   files this big go multipart (default 16M)\n"
            "  --max-failures N          give up after N failures in a row (default 20)\n"
            "  --backoff-max-ms N        longest wait between retries, Retry-After included (default 60000)\n"
            "  --timeout-ms N            longest wait without progress on a connection (default 30000)\n"
            "  --request-timeout-ms N    longest a request may take, plus 1 ms for every 2 bytes of its\n"
            "                            body, so slow uplinks finish (default 600000)\n"
            "  --connections N           uploads in flight, each on its own connection and process\n"
            "                            (default 2, at most 16; 1: strictly oldest first)\n"
            "  --no-dead-letters         do not upload dead letters (the default uploads them under\n"
            "                            PREFIX_dead_letters/); they are deleted with their batch\n"
            "  --manifests               after each Parquet object, a JSON manifest at the same\n"
            "                            path under PREFIX_manifests/ (.json for .parquet)\n"
            "  --quiet                   no per-file lines\n"
            "Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or the\n"
            "[default] (or $AWS_PROFILE) section of ~/.aws/credentials ($AWS_SHARED_CREDENTIALS_FILE).\n"
            "Exit: 0 the spool is empty; 1 an upload failed for good; 2 usage.\n");
}

/* Reads key = value from an AWS credentials file section. */
/* ~/.aws/credentials (or $AWS_SHARED_CREDENTIALS_FILE), as AWS tools read it. */
static int credentials_file(struct agent_credentials *cred)
{
    const char *path = getenv("AWS_SHARED_CREDENTIALS_FILE"), *why;
    char def[4096];
    if (path == NULL) {
        const char *home = getenv("HOME");
        if (home == NULL)
            return 0;
        snprintf(def, sizeof def, "%s/.aws/credentials", home);
        path = def;
    }
    if (agent_config_read_credentials(path, getenv("AWS_PROFILE"), cred, stderr, &why) == 0)
        return 1;
    if (access(path, F_OK) == 0)
        fprintf(stderr, "floe upload: %s: %s\n", path, why); /* there, but not usable: say why */
    return 0;
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000u;
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    nanosleep(&ts, NULL);
}

/* What a lane tells the parent when it ends. */
struct lane_report {
    struct floe_uploader_stats stats;
    size_t arena;
    int exit_code;
    char message[256]; /* what a lone uploader would have said on failing */
};

static void print_summary(const struct floe_uploader_stats *s, double seconds, size_t arena, unsigned lanes)
{
    fprintf(stderr,
            "floe upload: %llu uploaded, %llu failed attempts, %llu retries, %llu parts, %llu resumed, "
            "%.1f MB sent in %.1f s; arena %zu bytes%s",
            (unsigned long long)s->uploads_ok, (unsigned long long)s->uploads_failed,
            (unsigned long long)s->retries, (unsigned long long)s->parts, (unsigned long long)s->resumed,
            (double)s->bytes_sent / 1e6, seconds, arena, lanes > 1 ? "" : "\n");
    if (lanes > 1)
        fprintf(stderr, " per connection, %u connections\n", lanes);
}

static void print_uploaded(void *ctx, const struct floe_spool_batch *b)
{
    (void)ctx;
    fprintf(stderr, "  uploaded batch %llu%s%s\n", (unsigned long long)b->seq, b->object_key[0] ? ": " : "",
            b->object_key);
}

/* Uploads every batch of cfg's lane. With @p report (a lane process) the
 * figures go there instead of to stderr. */
static int run_lane(struct floe_uploader_config *cfg, int quiet, double t0, struct lane_report *report)
{
    static struct floe_uploader u;
    struct floe_arena arena;
    size_t size;
    void *mem;
    int err;
    static struct floe_hooks hooks;

    if (!quiet) {
        hooks.uploaded = print_uploaded;
        cfg->hooks = &hooks;
    }
    size = floe_uploader_size(cfg);
    if (size == 0) {
        const char *ep = cfg->s3.endpoint;
        fprintf(stderr, "floe upload: invalid settings (endpoint %.*s?)\n", ep ? (int)strcspn(ep, "?") : 1, ep ? ep : "-");
        return EXIT_USAGE;
    }
    mem = malloc(size);
    if (mem == NULL)
        return EXIT_BAD_INPUT;
    floe_arena_init(&arena, mem, size);
    floe_uploader_init(&u);
    err = floe_uploader_setup(&u, cfg, &arena);
    if (err != FLOE_OK) {
        /* A lane's parent says it, once for all lanes. */
        if (report != NULL)
            snprintf(report->message, sizeof report->message, "cannot start: %s", floe_strerror(err));
        else
            fprintf(stderr, "floe upload: cannot start: %s\n", floe_strerror(err));
        free(mem);
        return EXIT_BAD_INPUT;
    }
    for (;;) {
        err = floe_uploader_step(&u);
        if (err == FLOE_OK)
            continue;
        if (err == FLOE_ERR_NOENT)
            break;
        if (err == FLOE_ERR_AGAIN) {
            sleep_ms(floe_uploader_wait_ms(&u) + 1u);
            continue;
        }
        if (report != NULL)
            snprintf(report->message, sizeof report->message, "giving up: %s", u.stats.last_error);
        else
            fprintf(stderr, "floe upload: giving up: %s\n", u.stats.last_error);
        break;
    }
    if (report != NULL) {
        report->stats = u.stats;
        report->arena = size;
    } else {
        print_summary(&u.stats, cli_now() - t0, size, 1);
    }
    floe_uploader_free(&u);
    free(mem);
    return err == FLOE_ERR_NOENT ? EXIT_OK : EXIT_BAD_INPUT;
}

/* The lanes' pids (0 once reaped), for the parent's signal handler: a stop
 * signal goes on to every lane still running (kill() is async-signal-safe),
 * and the parent then ends by that signal too, as a lone uploader would. */
static pid_t lane_pids[FLOE_UPLOAD_MAX_CONNECTIONS];
static volatile sig_atomic_t lanes_started, stop_sig;

static void forward_stop(int sig)
{
    int i;
    stop_sig = sig;
    for (i = 0; i < lanes_started; i++)
        if (lane_pids[i] > 0)
            kill(lane_pids[i], sig);
}

/* Several connections: TLS (mbedTLS's heap, PSA) is process-wide, so each
 * connection is a process with its own lane of the spool (batch sequence
 * number modulo the count), and the parent adds up what they report. */
static int run_lanes(struct floe_uploader_config *cfg, unsigned lanes, int quiet, double t0)
{
    pid_t *pids = lane_pids;
    int fds[FLOE_UPLOAD_MAX_CONNECTIONS];
    struct floe_uploader_stats sum;
    struct sigaction sa, old_term, old_int;
    sigset_t stop, was;
    size_t arena = 0;
    unsigned i, started = 0, nerrors = 0;
    int code = EXIT_OK;
    pid_t parent = getpid();
    char errors[FLOE_UPLOAD_MAX_CONNECTIONS][sizeof ((struct lane_report *)0)->message];

    memset(&sum, 0, sizeof sum);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_stop;
    /* A signal the caller ignores (SIGINT in a background job) stays ignored. */
    sigaction(SIGTERM, NULL, &old_term);
    sigaction(SIGINT, NULL, &old_int);
    if (old_term.sa_handler != SIG_IGN)
        sigaction(SIGTERM, &sa, NULL);
    if (old_int.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    fflush(NULL);
    for (i = 0; i < lanes && !stop_sig; i++) {
        int p[2], forked;
        if (pipe(p) != 0)
            break;
        /* Held while forking: the handler runs in the parent only. */
        sigprocmask(SIG_BLOCK, &stop, &was);
        forked = pids[i] = fork();
        if (forked < 0) {
            sigprocmask(SIG_SETMASK, &was, NULL);
            close(p[0]);
            close(p[1]);
            break;
        }
        if (forked == 0) {
            struct lane_report r;
            unsigned j;
            size_t off = 0;
            sigaction(SIGTERM, &old_term, NULL);
            sigaction(SIGINT, &old_int, NULL);
            sigprocmask(SIG_SETMASK, &was, NULL);
#ifdef __linux__
            /* A lane never outlives a parent that was killed outright. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(EXIT_BAD_INPUT);
#endif
            for (j = 0; j < i; j++)
                close(fds[j]);
            close(p[0]);
            memset(&r, 0, sizeof r);
            cfg->lanes = lanes;
            cfg->lane = i;
            r.exit_code = run_lane(cfg, quiet, t0, &r);
            while (off < sizeof r) {
                ssize_t n = write(p[1], (const char *)&r + off, sizeof r - off);
                if (n <= 0 && errno != EINTR)
                    break;
                if (n > 0)
                    off += (size_t)n;
            }
            fflush(NULL);
            _exit(r.exit_code);
        }
        close(p[1]);
        fds[i] = p[0];
        lanes_started = (sig_atomic_t)++started;
        sigprocmask(SIG_SETMASK, &was, NULL);
    }
    if (started < lanes && !stop_sig) {
        fprintf(stderr, "floe upload: could not start connection %u: %s\n", started + 1, strerror(errno));
        code = EXIT_BAD_INPUT;
        for (i = 0; i < started; i++)
            kill(pids[i], SIGTERM);
    }
    for (i = 0; i < started; i++) {
        struct lane_report r;
        size_t off = 0;
        int status;
        memset(&r, 0, sizeof r);
        while (off < sizeof r) {
            ssize_t n = read(fds[i], (char *)&r + off, sizeof r - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        close(fds[i]);
        /* Reaped with signals held, so the handler never signals a pid
         * that the system may already have given to another process. */
        sigprocmask(SIG_BLOCK, &stop, &was);
        while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
        }
        pids[i] = 0;
        sigprocmask(SIG_SETMASK, &was, NULL);
        if (off < sizeof r) { /* it died without reporting */
            if (WIFSIGNALED(status))
                fprintf(stderr, "floe upload: connection %u stopped by signal %d\n", i + 1, WTERMSIG(status));
            else
                fprintf(stderr, "floe upload: connection %u ended without a report\n", i + 1);
            code = EXIT_BAD_INPUT;
            continue;
        }
        if (r.exit_code != EXIT_OK && code == EXIT_OK)
            code = r.exit_code;
        if (r.exit_code != EXIT_OK) {
            unsigned j;
            r.message[sizeof r.message - 1] = '\0';
            if (r.message[0] == '\0')
                snprintf(r.message, sizeof r.message, "connection %u failed (exit %d)", i + 1, r.exit_code);
            for (j = 0; j < nerrors && strcmp(errors[j], r.message) != 0; j++) {
            }
            if (j == nerrors) {
                memcpy(errors[nerrors++], r.message, sizeof r.message);
                fprintf(stderr, "floe upload: %s\n", r.message);
            }
        }
        sum.uploads_ok += r.stats.uploads_ok;
        sum.uploads_failed += r.stats.uploads_failed;
        sum.retries += r.stats.retries;
        sum.bytes_sent += r.stats.bytes_sent;
        sum.parts += r.stats.parts;
        sum.resumed += r.stats.resumed;
        sum.breaker_trips += r.stats.breaker_trips;
        if (r.arena > arena)
            arena = r.arena;
    }
    print_summary(&sum, cli_now() - t0, arena, lanes);
    if (stop_sig) { /* end as the signal would have ended a lone uploader */
        fflush(NULL);
        signal(stop_sig, SIG_DFL);
        raise(stop_sig);
    }
    return code;
}

/* Files still in ready/ once no batch is left to upload belong to a commit
 * group whose last file never committed (the writer was stopped in the
 * middle of sealing one): not data, but said, so that "empty" is not
 * taken for "nothing left". */
static void say_unfinished_groups(const char *spool_dir)
{
    char path[4096];
    DIR *d;
    struct dirent *e;
    unsigned n = 0;
    snprintf(path, sizeof path, "%s/ready", spool_dir);
    d = opendir(path);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len > 5 && strcmp(e->d_name + len - 5, ".meta") == 0;
    }
    closedir(d);
    if (n > 0)
        fprintf(stderr,
                "floe upload: %u file(s) of an unfinished commit group left in %s: not committed, so not "
                "uploaded; the writer finishes or removes them when it next runs\n",
                n, path);
}

int cmd_upload(int argc, char **argv)
{
    static struct floe_uploader_config cfg;
    static char akid[256], secret[256], token[4096], endpoint[8192], bucket[64], prefix[512], dir[4096];
    static struct agent_credentials cred;
    struct floe_log_port log = floe_posix_log(FLOE_LOG_WARN);
    const char *spool = NULL, *target = NULL, *region = NULL, *ca_file = NULL, *ep = NULL, *proxy = NULL, *client_cert = NULL, *client_key = NULL;
    int i, path_style = 0, insecure = 0, quiet = 0, code;
    uint64_t v, max_failures = 20;
    uint32_t timeout_ms = 0, request_timeout_ms = 0;
    unsigned connections = 2;
    double t0 = cli_now();

    memset(&cfg, 0, sizeof cfg);
    cfg.upload_dead_letters = 1; /* the spool forgets a batch once uploaded: its dead letters too */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            upload_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--path-style") == 0) {
            path_style = 1;
        } else if (strcmp(a, "--insecure") == 0) {
            insecure = 1;
        } else if (strcmp(a, "--dead-letters") == 0) {
            cfg.upload_dead_letters = 1;
        } else if (strcmp(a, "--no-dead-letters") == 0) {
            cfg.upload_dead_letters = 0;
        } else if (strcmp(a, "--manifests") == 0) {
            cfg.write_manifests = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] == '-' && val == NULL) {
            fprintf(stderr, "floe upload: %s needs a value\n", a);
            return EXIT_USAGE;
        } else if (strcmp(a, "--spool") == 0) {
            spool = argv[++i];
        } else if (strcmp(a, "--endpoint") == 0) {
            ep = argv[++i];
        } else if (strcmp(a, "--region") == 0) {
            region = argv[++i];
        } else if (strcmp(a, "--client-cert") == 0 && i + 1 < argc) {
            client_cert = argv[++i];
        } else if (strcmp(a, "--client-key") == 0 && i + 1 < argc) {
            client_key = argv[++i];
        } else if (strcmp(a, "--proxy") == 0 && i + 1 < argc) {
            proxy = argv[++i];
        } else if (strcmp(a, "--ca-file") == 0) {
            ca_file = argv[++i];
        } else if (strcmp(a, "--part-size") == 0 || strcmp(a, "--multipart-threshold") == 0 ||
                   strcmp(a, "--max-failures") == 0 || strcmp(a, "--timeout-ms") == 0 ||
                   strcmp(a, "--request-timeout-ms") == 0 ||
                   strcmp(a, "--backoff-max-ms") == 0 || strcmp(a, "--connections") == 0) {
            i++;
            if (cli_parse_bytes(val, &v) != 0) {
                fprintf(stderr, "floe upload: %s %s: not a number\n", a, val);
                return EXIT_USAGE;
            }
            /* --timeout-ms 4294967296 was cut to 0, --max-failures to 0 ("never"). */
            if (v > UINT32_MAX && (strcmp(a, "--timeout-ms") == 0 || strcmp(a, "--max-failures") == 0)) {
                fprintf(stderr, "floe upload: %s %s: want at most %u\n", a, val, (unsigned)UINT32_MAX);
                return EXIT_USAGE;
            }
            if (strcmp(a, "--part-size") == 0)
                cfg.part_size = v;
            else if (strcmp(a, "--multipart-threshold") == 0)
                cfg.multipart_threshold = v;
            else if (strcmp(a, "--timeout-ms") == 0)
                timeout_ms = (uint32_t)v;
            else if (strcmp(a, "--request-timeout-ms") == 0)
                request_timeout_ms = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
            else if (strcmp(a, "--backoff-max-ms") == 0)
                cfg.backoff_max_ms = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
            else if (strcmp(a, "--connections") == 0) {
                if (v < 1 || v > FLOE_UPLOAD_MAX_CONNECTIONS) {
                    fprintf(stderr, "floe upload: --connections %s: want 1 to %d\n", val, FLOE_UPLOAD_MAX_CONNECTIONS);
                    return EXIT_USAGE;
                }
                connections = (unsigned)v;
            }
            else
                max_failures = v;
        } else if (a[0] == '-') {
            fprintf(stderr, "floe upload: unknown option %s\n", a);
            return EXIT_USAGE;
        } else {
            target = a;
        }
    }
    if (spool == NULL || target == NULL) {
        upload_usage(stderr);
        return EXIT_USAGE;
    }
    cfg.spool.dir = spool;
    cfg.spool.fs = &floe_posix_fs;
    cfg.spool.log = &log;
    cfg.fs = &floe_posix_fs;
    cfg.clock = &floe_posix_clock;
    cfg.entropy = &floe_posix_entropy;
    cfg.log = &log;
    cfg.max_failures = (uint32_t)max_failures;
    if (strncmp(target, "file://", 7) == 0) {
        cfg.target = FLOE_TARGET_DIR;
        snprintf(dir, sizeof dir, "%s", target + 7);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "floe upload: cannot create %s: %s\n", dir, strerror(errno));
            return EXIT_USAGE;
        }
        cfg.dir = dir;
    } else if (strncmp(target, "s3://", 5) == 0 || strncmp(target, "https://", 8) == 0 ||
               strncmp(target, "http://", 7) == 0) {
        int plain = strncmp(target, "s3://", 5) != 0;
        const char *b = target + 5, *slash = strchr(b, '/');
        size_t bl = slash ? (size_t)(slash - b) : strlen(b);
        if (plain) {
            /* "{key}" is the slot for the object key; URLs carry it escaped. */
            const char *slot = strstr(target, "{key}");
            bl = 1; /* no bucket: the URL names where objects go */
            slash = NULL;
            int len;
            if (slot != NULL)
                len = snprintf(endpoint, sizeof endpoint, "%.*s%%7Bkey%%7D%s", (int)(slot - target), target, slot + 5);
            else
                len = snprintf(endpoint, sizeof endpoint, "%s", target);
            if (len < 0 || (size_t)len >= sizeof endpoint) {
                fprintf(stderr, "floe upload: the target URL is too long\n");
                return EXIT_USAGE;
            }
            ep = endpoint;
        }
        if (!plain && (bl == 0 || bl >= sizeof bucket)) {
            fprintf(stderr, "floe upload: %s: want s3://BUCKET[/PREFIX]\n", target);
            return EXIT_USAGE;
        }
        if (!plain) {
            memcpy(bucket, b, bl);
            bucket[bl] = '\0';
        }
        if (slash != NULL && slash[1] != '\0') {
            snprintf(prefix, sizeof prefix, "%s%s", slash + 1, slash[strlen(slash) - 1] == '/' ? "" : "/");
            cfg.key_prefix = prefix;
        }
        if (region == NULL)
            region = getenv("AWS_REGION");
        if (region == NULL)
            region = getenv("AWS_DEFAULT_REGION");
        if (region == NULL)
            region = "us-east-1";
        if (ep == NULL) {
            snprintf(endpoint, sizeof endpoint, "https://s3.%s.amazonaws.com", region);
            ep = endpoint;
        }
        if (plain) {
            cfg.s3.plain_put = 1;
            cfg.s3.bearer_token = getenv("FLOE_BEARER_TOKEN");
        } else {
            if (getenv("AWS_ACCESS_KEY_ID") != NULL && getenv("AWS_SECRET_ACCESS_KEY") != NULL) {
                if (agent_credentials_set(&cred, getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
                                          getenv("AWS_SESSION_TOKEN")) != 0) {
                    fprintf(stderr, "floe upload: in the environment, %s\n", AGENT_CREDENTIALS_TOO_LONG);
                    return EXIT_USAGE;
                }
            } else if (!credentials_file(&cred)) {
                fprintf(stderr, "floe upload: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                                "~/.aws/credentials)\n");
                return EXIT_USAGE;
            }
            snprintf(akid, sizeof akid, "%s", cred.akid);
            snprintf(secret, sizeof secret, "%s", cred.secret);
            snprintf(token, sizeof token, "%s", cred.token);
        }
        cfg.target = FLOE_TARGET_S3;
        cfg.s3.endpoint = ep;
        cfg.s3.region = region;
        cfg.s3.bucket = bucket;
        cfg.s3.path_style = path_style;
        cfg.s3.credentials.access_key_id = akid;
        cfg.s3.credentials.secret_access_key = secret;
        cfg.s3.credentials.session_token = token[0] ? token : NULL;
        cfg.s3.http.clock = &floe_posix_clock;
        cfg.s3.http.log = &log;
        cfg.s3.http.io_timeout_ms = timeout_ms;
        cfg.s3.http.request_timeout_ms = request_timeout_ms;
        cfg.s3.connect_timeout_ms = timeout_ms;
        cfg.s3.tls.ca_file = ca_file;
        cfg.s3.proxy = proxy;
        cfg.s3.tls.client_cert_file = client_cert;
        cfg.s3.tls.client_key_file = client_key;
        cfg.s3.tls.flags = insecure ? FLOE_TLS_NO_VERIFY : 0u;
        cfg.s3.tls.fs = &floe_posix_fs;
        cfg.s3.tls.clock = &floe_posix_clock;
        cfg.s3.tls.entropy = &floe_posix_entropy;
        cfg.s3.tls.log = &log;
        cfg.s3.net = &floe_posix_net;
        cfg.s3.fs = &floe_posix_fs;
        cfg.s3.clock = &floe_posix_clock;
        cfg.s3.log = &log;
    } else {
        fprintf(stderr, "floe upload: %s: want s3://BUCKET[/PREFIX], https://URL or file:///PATH\n", target);
        return EXIT_USAGE;
    }
    if (connections > 1 && cfg.target == FLOE_TARGET_S3) {
        cfg.lanes = connections;
        if (floe_uploader_size(&cfg) == 0) /* said once, before any lane starts */
            return run_lane(&cfg, quiet, t0, NULL);
        code = run_lanes(&cfg, connections, quiet, t0);
    } else {
        code = run_lane(&cfg, quiet, t0, NULL);
    }
    if (code == EXIT_OK)
        say_unfinished_groups(cfg.spool.dir);
    return code;
}
