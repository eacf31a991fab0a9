/* floe: an S3 client for the uploader. PutObject for small files, multipart
 * upload (create, upload part, complete, abort) for large ones, over HTTP/1.1
 * on plain TCP or TLS, signed with SigV4, with x-amz-content-sha256 from the
 * hash the Parquet writer already computed and an x-amz-checksum-crc32c on
 * every body. Bodies stream from the file-system port; nothing is held whole
 * in memory. One request at a time; keep-alive connections are reused. */
#ifndef FLOE_S3_H
#define FLOE_S3_H

#include <stddef.h>
#include <stdint.h>
#include "floe/arena.h"
#include "floe/http.h"
#include "floe/port.h"
#include "floe/sigv4.h"
#include "floe/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLOE_S3_UPLOAD_ID_MAX 1024
#define FLOE_S3_ETAG_MAX 128
#define FLOE_S3_KEY_MAX 1024
#define FLOE_S3_MIN_PART (5u * 1024u * 1024u) /* S3's minimum, except the last part */
#define FLOE_S3_MAX_PARTS 10000u
#define FLOE_S3_DEFAULT_PART (8u * 1024u * 1024u)
#define FLOE_S3_DEFAULT_THRESHOLD (16u * 1024u * 1024u)

struct floe_s3_config {
    const char *endpoint;   /* "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000" */
    const char *region;     /* "us-east-1" */
    const char *bucket;
    int path_style;         /* 1: endpoint/bucket/key; 0: bucket.endpoint/key */
    struct floe_sigv4_credentials credentials;
    uint32_t connect_timeout_ms; /* 0: 10 s */
    /* An HTTP proxy to tunnel through with CONNECT, "http://[user:pass@]host:port"
     * (user:pass becomes Proxy-Authorization: Basic); NULL: connect directly. */
    const char *proxy;
    /* Plain HTTPS PUT instead of S3: each object goes to endpoint + "/" + key,
     * or to the endpoint with its "{key}" (escaped in the URL as %7Bkey%7D)
     * replaced (a presigned URL's query
     * is kept as is); no SigV4, no multipart; bucket, region and credentials
     * are not used. bearer_token, when set, is sent as Authorization: Bearer
     * (a secret: never logged). */
    int plain_put;
    const char *bearer_token;
    struct floe_http_config http;  /* clock required; zero sizes take defaults */
    struct floe_tls_config tls;    /* for https endpoints (clock, entropy required) */
    const struct floe_net_port *net;
    const struct floe_fs_port *fs;
    const struct floe_clock_port *clock;
    const struct floe_log_port *log;
};

/** How a request ended, for the caller's retry policy. */
enum floe_s3_outcome {
    FLOE_S3_OK = 0,
    FLOE_S3_RETRY,      /* network trouble, 5xx, 503 SlowDown, 408, 429: try again later */
    FLOE_S3_FATAL       /* will not heal by retrying: credentials, no bucket, bad request */
};

struct floe_s3_result {
    int outcome;           /* enum floe_s3_outcome */
    int err;               /* floe_err of the transport, or FLOE_ERR_HTTP / _AUTH */
    int status;            /* HTTP status (0: none) */
    uint32_t retry_after_s; /* from Retry-After, 0 if none */
    char code[64];         /* S3 error code, e.g. "SlowDown", "SignatureDoesNotMatch" */
    char message[160];     /* S3 error message or a transport reason (never a secret) */
    char etag[FLOE_S3_ETAG_MAX];
    char crc32c_b64[12];   /* UploadPart: the part's checksum, for the completion */
    uint64_t bytes_sent;
};

struct floe_s3_part {
    uint32_t number;
    char etag[FLOE_S3_ETAG_MAX];
    char crc32c_b64[12]; /* the part's x-amz-checksum-crc32c (the upload asks for CRC32C) */
};

struct floe_s3_state;

struct floe_s3 {
    struct floe_s3_state *st;
    struct floe_tls tls;
    struct floe_http_client http;
    uint64_t requests, bytes_sent, reconnects;
};

size_t floe_s3_size(const struct floe_s3_config *cfg);
void floe_s3_init(struct floe_s3 *s3);
int floe_s3_setup(struct floe_s3 *s3, const struct floe_s3_config *cfg, struct floe_arena *arena);

/** @brief PUT the whole file (size bytes, SHA-256 and CRC-32C as known). */
int floe_s3_put_file(struct floe_s3 *s3, const char *key, const char *path, uint64_t size,
                     const uint8_t sha256[32], uint32_t crc32c, struct floe_s3_result *res);

/** @brief floe_s3_put_file with another Content-Type (NULL: none). */
int floe_s3_put_file_typed(struct floe_s3 *s3, const char *key, const char *path, uint64_t size,
                           const uint8_t sha256[32], uint32_t crc32c, const char *content_type,
                           struct floe_s3_result *res);

/** @brief CreateMultipartUpload: writes the upload id (NUL-terminated). */
int floe_s3_multipart_create(struct floe_s3 *s3, const char *key, char *upload_id, size_t cap,
                             struct floe_s3_result *res);

/** @brief UploadPart of bytes [offset, offset+len) of the file (hashed on the
 *  way: the file is read twice, once to hash and once to send). */
int floe_s3_upload_part(struct floe_s3 *s3, const char *key, const char *upload_id, uint32_t part_number,
                        const char *path, uint64_t offset, uint64_t len, struct floe_s3_result *res);

int floe_s3_multipart_complete(struct floe_s3 *s3, const char *key, const char *upload_id,
                               const struct floe_s3_part *parts, uint32_t n_parts, struct floe_s3_result *res);

int floe_s3_multipart_abort(struct floe_s3 *s3, const char *key, const char *upload_id,
                            struct floe_s3_result *res);

/** @brief PUT a small body from memory (manifests). */
int floe_s3_put_bytes(struct floe_s3 *s3, const char *key, const void *data, size_t n,
                      const char *content_type, struct floe_s3_result *res);

/** @brief 1 if the result's S3 error code is exactly @p code (e.g. "InvalidPart"). */
int floe_s3_code_is(const struct floe_s3_result *res, const char *code);

/** @brief Closes the connection (the next request reconnects). */
void floe_s3_disconnect(struct floe_s3 *s3);
void floe_s3_free(struct floe_s3 *s3);

#ifdef __cplusplus
}
#endif
#endif
