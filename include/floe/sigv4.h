/* floe: AWS Signature Version 4 for S3 requests (Authorization header and
 * presigned query strings), plus the base64 pieces S3 headers need.
 *
 *     struct floe_sigv4_header h[] = {{"host", "bucket.s3.eu-west-1.amazonaws.com"}};
 *     struct floe_sigv4_request rq = {0};
 *     char date[17], auth[FLOE_SIGV4_AUTH_MAX];
 *     floe_utc_format_amz(now_us, date);
 *     rq.method = "PUT";  rq.path = "/dir/my key.parquet";  rq.query = NULL;
 *     rq.headers = h;  rq.n_headers = 1;  rq.payload_sha256 = hex_of_body_sha256;
 *     rq.region = "eu-west-1";  rq.service = "s3";  rq.amz_date = date;
 *     n = floe_sigv4_sign(&rq, &creds, NULL, 0, auth, sizeof auth);
 *     then send: host, x-amz-date: date, x-amz-content-sha256: the payload hash,
 *     x-amz-security-token: the token (if any), Authorization: auth.
 *
 * What is signed. The canonical request is built from the request's method,
 * its path (URI-encoded here), its query (decoded, re-encoded, sorted here)
 * and the headers listed in `headers` (they are the signed headers: list
 * exactly the ones you send and want signed; `host` is required). The signer
 * adds three headers to the signed set when the list lacks them, and the
 * caller must then send them with these exact values:
 *   x-amz-date            = req->amz_date
 *   x-amz-content-sha256  = req->payload_sha256   (not with FLOE_SIGV4_NO_CONTENT_SHA256)
 *   x-amz-security-token  = cr->session_token     (only when a token is set)
 * If the list does contain one of them, its value must be that same value
 * (FLOE_ERR_INVAL otherwise), so the wire and the signature cannot disagree.
 *
 * Memory. Nothing is allocated, no local is over 256 bytes and the deepest
 * call chain stays under 2 KiB of stack: the canonical request is hashed while
 * it is produced, never stored. `scratch` is optional
 * (NULL, 0): when given it receives, for diagnosing S3's SignatureDoesNotMatch
 * (whose error body shows S3's own versions), the canonical request and the
 * string to sign, each NUL-terminated, one after the other, and it must then
 * hold floe_sigv4_scratch_size() bytes or the call fails with FLOE_ERR_NOMEM.
 * The canonical request is at most 3 x (path + query) + 2 x the header names +
 * the header values + the session token + ~250 bytes, the string to sign at most
 * 250; FLOE_SIGV4_SCRATCH_DEFAULT (8 KiB) covers an S3 request with a 63-byte
 * bucket, a 1024-byte key of non-ASCII characters, a 2 KiB session token and
 * 1 KiB of other headers (7.9 KB). The scratch holds the session token in the
 * clear: do not log it where a token must not go.
 *
 * Secrets. The secret key is only read; derived keys on the stack are wiped.
 * A struct floe_sigv4_key (optional, see floe_sigv4_credentials.key_cache)
 * keeps the day's signing key so that each request costs one HMAC (and a short
 * hash checking the key is still current) instead of five;
 * floe_sigv4_key_wipe() clears it. Nothing here logs.
 *
 * Errors: FLOE_ERR_INVAL for a malformed request (bad method or header name,
 * control bytes in a header value, a bad %-escape in the query, a bad date,
 * payload hash, region or expiry, an x-amz-* header that disagrees),
 * FLOE_ERR_MISSING when there is no host header, FLOE_ERR_NOMEM when an output
 * or the scratch is too small (outputs are then set to "" when they have room
 * for it). */
#ifndef FLOE_SIGV4_H
#define FLOE_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include "floe/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLOE_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define FLOE_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of no bytes: the payload hash of GET, HEAD, DELETE and empty PUTs. */
#define FLOE_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FLOE_SIGV4_AMZ_DATE_LEN 16      /* "YYYYMMDDTHHMMSSZ" */
#define FLOE_SIGV4_SIGNATURE_HEX 64
#define FLOE_SIGV4_SCOPE_PART_MAX 64    /* longest region or service name */
#define FLOE_SIGV4_MAX_EXPIRES 604800u  /* presigned URLs live at most 7 days */
/* Room for an Authorization value with an access key id of up to 128 bytes
 * and signed header names of up to 1 KiB in all. */
#define FLOE_SIGV4_AUTH_MAX 1536
#define FLOE_SIGV4_SCRATCH_DEFAULT 8192

/* req->flags */
/* Do not add x-amz-content-sha256 to the signed headers: for services other
 * than S3 (S3 requires the header on every header-signed request). */
#define FLOE_SIGV4_NO_CONTENT_SHA256 1u

/* A derived signing key (kSigning) and what it was derived from. Caller-owned,
 * zero-initialise it; it may be shared by every request made with the same
 * credentials (not between threads without a lock). */
struct floe_sigv4_key {
    uint8_t key[FLOE_SHA256_LEN];
    uint8_t tag[FLOE_SHA256_LEN]; /* SHA-256 of secret, date, region, service */
    int valid;
};

struct floe_sigv4_credentials {
    const char *access_key_id;     /* printable ASCII without '/' ',' or space */
    const char *secret_access_key; /* any non-empty string */
    const char *session_token;     /* temporary credentials; NULL or "" if none */
    struct floe_sigv4_key *key_cache; /* optional (NULL: derive every call) */
};

struct floe_sigv4_header {
    const char *name;  /* an HTTP token, any case; compared case-insensitively */
    const char *value; /* bytes 0x20..0xFF and tab; trimmed, inner runs of
                        * spaces/tabs signed as one space. Several entries with
                        * one name are signed as "v1,v2" in list order. */
};

struct floe_sigv4_request {
    const char *method;  /* "PUT", "GET", ... (an HTTP token, used as is) */
    /* The object path, raw (not %-encoded), starting with '/': e.g.
     * "/bucket/dir/my key+1.parquet". Every byte but A-Z a-z 0-9 - . _ ~ and
     * '/' is signed as %XX; send it encoded the same way
     * (floe_sigv4_uri_encode(path, .., 1)). NULL or "" means "/". */
    const char *path;
    /* The query string as sent, without the '?': "uploadId=a%2Fb&partNumber=2"
     * or "uploads"; NULL or "" for none. Each name and value is %-decoded and
     * re-encoded the SigV4 way, so "a%2fb", "a%2Fb" sign alike; '+' is a
     * literal plus (send values encoded with floe_sigv4_uri_encode(v, .., 0)).
     * A name without '=' is signed as "name=". Empty segments are skipped. */
    const char *query;
    const struct floe_sigv4_header *headers; /* the headers to sign, host included */
    size_t n_headers;
    /* 64 lower-case hex digits, FLOE_SIGV4_UNSIGNED_PAYLOAD or another
     * "STREAMING-..." marker. Presigning: NULL means UNSIGNED-PAYLOAD. */
    const char *payload_sha256;
    const char *region;   /* e.g. "us-east-1", "auto": A-Z a-z 0-9 - . _ ~ */
    const char *service;  /* "s3" */
    const char *amz_date; /* "YYYYMMDDTHHMMSSZ", e.g. from floe_utc_format_amz */
    unsigned flags;       /* FLOE_SIGV4_* */
};

/**
 * @brief Percent-encodes in the SigV4 / S3 way: bytes A-Z a-z 0-9 - . _ ~ stay,
 * '/' stays when keep_slash (object paths), every other byte becomes %XX
 * (upper-case hex): ' ' is %20, '+' is %2B, '%' is %25, UTF-8 bytes one by one.
 * @return the length written (out NUL-terminated), FLOE_ERR_NOMEM when out
 *         cannot hold it and the NUL, FLOE_ERR_INVAL for NULL arguments.
 */
int floe_sigv4_uri_encode(const char *in, char *out, size_t cap, int keep_slash);

/**
 * @brief kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region),
 * service), "aws4_request"). date: "YYYYMMDD" (only its first 8 bytes are
 * read, so an amz date works too). Marks key valid and tags it with what it
 * was derived from.
 */
int floe_sigv4_derive_key(struct floe_sigv4_key *key, const char *secret, const char *date,
                          const char *region, const char *service);

/** @brief Clears a signing key (call when credentials change or at shutdown). */
void floe_sigv4_key_wipe(struct floe_sigv4_key *key);

/**
 * @brief Bytes a scratch buffer needs for floe_sigv4_sign (expires_s == 0) or
 * floe_sigv4_presign (expires_s > 0): the canonical request, the string to
 * sign and their NULs. 0 when the request (or cr's keys, when cr is given)
 * is invalid.
 */
size_t floe_sigv4_scratch_size(const struct floe_sigv4_request *req,
                               const struct floe_sigv4_credentials *cr, uint32_t expires_s);

/**
 * @brief The canonical request the header signature covers, NUL-terminated.
 * cr supplies the session token (the access key and secret are not read; cr
 * may be NULL for no token).
 * @return its length, or a negative floe_err.
 */
int floe_sigv4_canonical_request(const struct floe_sigv4_request *req,
                                 const struct floe_sigv4_credentials *cr, char *out, size_t cap);

/**
 * @brief The string to sign for the header signature (algorithm, date, scope,
 * hash of the canonical request), NUL-terminated; at most 250 bytes.
 * @return its length, or a negative floe_err.
 */
int floe_sigv4_string_to_sign(const struct floe_sigv4_request *req,
                              const struct floe_sigv4_credentials *cr, char *out, size_t cap);

/**
 * @brief Signs req and writes the Authorization header value:
 * "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request,
 * SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=<64 hex>".
 * scratch may be NULL (see the file comment).
 * @return the value's length, or a negative floe_err.
 */
int floe_sigv4_sign(const struct floe_sigv4_request *req, const struct floe_sigv4_credentials *cr,
                    void *scratch, size_t scratch_size, char *authorization, size_t auth_cap);

/**
 * @brief Presigns req for expires_s seconds (1..FLOE_SIGV4_MAX_EXPIRES) and
 * writes the whole query string to send after '?': req's own parameters and
 * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
 * X-Amz-Security-Token (with a session token), X-Amz-SignedHeaders, all
 * encoded and in canonical order, then X-Amz-Signature. The signed headers are
 * req's headers as given (normally just host; nothing is added), the payload
 * hash is req->payload_sha256 or UNSIGNED-PAYLOAD. req's query must not hold
 * X-Amz-* authentication parameters itself.
 * @return the query's length, or a negative floe_err.
 */
int floe_sigv4_presign(const struct floe_sigv4_request *req, const struct floe_sigv4_credentials *cr,
                       uint32_t expires_s, void *scratch, size_t scratch_size, char *query,
                       size_t query_cap);

/**
 * @brief Standard base64 (RFC 4648, with '=' padding) of in[0..n).
 * @return the length written (out NUL-terminated; 4*ceil(n/3) bytes), or
 *         FLOE_ERR_NOMEM when out cannot hold it and the NUL.
 */
int floe_s3_base64_encode(const void *in, size_t n, char *out, size_t cap);

/** @brief The x-amz-checksum-crc32c value of a CRC-32C (crc from floe_crc32c):
 *  base64 of its 4 big-endian bytes, e.g. 0xE3069283 -> "4waSgw==". */
void floe_s3_checksum_crc32c_b64(uint32_t crc, char out[9]);

#ifdef __cplusplus
}
#endif
#endif
