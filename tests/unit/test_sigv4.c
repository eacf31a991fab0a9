/* SigV4: AWS's published S3 examples and SigV4 test-suite cases, encoding and
 * canonicalisation edge cases, buffer bounds, the key cache, base64. */
#include "test.h"
#include "floe/floe.h"
#include "floe/sigv4.h"

#define EMPTY FLOE_SIGV4_EMPTY_SHA256

/* The S3 API reference's examples ("Signature Calculations for the
 * Authorization Header: Transferring Payload in a Single Chunk" and
 * "Authenticating Requests: Using Query Parameters"). */
static const struct floe_sigv4_credentials s3_doc_creds = {
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL, NULL};

/* The SigV4 test suite's credentials, date and scope. */
static const struct floe_sigv4_credentials suite_creds = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, NULL};
static const char suite_token[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMic"
    "RXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKs"
    "burEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0"
    "iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

static char scratch[FLOE_SIGV4_SCRATCH_DEFAULT];
static char auth[FLOE_SIGV4_AUTH_MAX];
static char out[4096];

static struct floe_sigv4_request s3_req(const char *method, const char *path, const char *query,
                                        const struct floe_sigv4_header *h, size_t n,
                                        const char *payload)
{
    struct floe_sigv4_request r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = path;
    r.query = query;
    r.headers = h;
    r.n_headers = n;
    r.payload_sha256 = payload;
    r.region = "us-east-1";
    r.service = "s3";
    r.amz_date = "20130524T000000Z";
    return r;
}

static struct floe_sigv4_request suite_req(const char *method, const char *query,
                                           const struct floe_sigv4_header *h, size_t n,
                                           const char *payload)
{
    struct floe_sigv4_request r = s3_req(method, "/", query, h, n, payload);
    r.service = "service";
    r.amz_date = "20150830T123600Z";
    r.flags = FLOE_SIGV4_NO_CONTENT_SHA256;
    return r;
}

/* The value after "Signature=" in auth. */
static const char *sig_of(const char *a)
{
    const char *p = strstr(a, "Signature=");
    return p != NULL ? p + 10 : "";
}

/* ---- the S3 documentation's examples ------------------------------------- */

TEST(sigv4_s3_doc_get_object)
{
    static const struct floe_sigv4_header h[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", EMPTY},
        {"x-amz-date", "20130524T000000Z"},
    };
    struct floe_sigv4_request r = s3_req("GET", "/test.txt", NULL, h, 4, EMPTY);
    int n;

    n = floe_sigv4_canonical_request(&r, &s3_doc_creds, out, sizeof out);
    CHECK(n > 0);
    CHECK_EQ_STR(out, "GET\n/test.txt\n\n"
                      "host:examplebucket.s3.amazonaws.com\n"
                      "range:bytes=0-9\n"
                      "x-amz-content-sha256:" EMPTY "\n"
                      "x-amz-date:20130524T000000Z\n"
                      "\n"
                      "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY);
    CHECK_EQ_INT(n, strlen(out));
    n = floe_sigv4_string_to_sign(&r, &s3_doc_creds, out, sizeof out);
    CHECK_EQ_STR(out, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    CHECK_EQ_INT(n, strlen(out));
    n = floe_sigv4_sign(&r, &s3_doc_creds, NULL, 0, auth, sizeof auth);
    CHECK_EQ_INT(n, strlen(auth));
    CHECK_EQ_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                       "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(sigv4_s3_doc_get_object_adds_date_and_hash_headers)
{
    /* The same request with only host and range listed: the signer adds
     * x-amz-date and x-amz-content-sha256 itself. */
    static const struct floe_sigv4_header h[] = {
        {"range", "bytes=0-9"},
        {"host", "examplebucket.s3.amazonaws.com"},
    };
    struct floe_sigv4_request r = s3_req("GET", "/test.txt", "", h, 2, EMPTY);
    CHECK(floe_sigv4_sign(&r, &s3_doc_creds, NULL, 0, auth, sizeof auth) > 0);
    CHECK_EQ_STR(sig_of(auth), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(sigv4_s3_doc_put_object)
{
    static const char body[] = "Welcome to Amazon S3.";
    static const struct floe_sigv4_header h[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
    };
    uint8_t digest[32];
    char hash[65];
    struct floe_sigv4_request r;
    const char *sts;

    floe_sha256(body, strlen(body), digest);
    floe_hex(digest, 32, hash);
    CHECK_EQ_STR(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    r = s3_req("PUT", "/test$file.text", NULL, h, 3, hash);
    CHECK(floe_sigv4_sign(&r, &s3_doc_creds, scratch, sizeof scratch, auth, sizeof auth) > 0);
    /* The scratch keeps the canonical request and the string to sign. */
    CHECK_EQ_STR(scratch, "PUT\n/test%24file.text\n\n"
                          "date:Fri, 24 May 2013 00:00:00 GMT\n"
                          "host:examplebucket.s3.amazonaws.com\n"
                          "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
                          "x-amz-date:20130524T000000Z\n"
                          "x-amz-storage-class:REDUCED_REDUNDANCY\n"
                          "\n"
                          "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
                          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    sts = scratch + strlen(scratch) + 1;
    CHECK_EQ_STR(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                      "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    CHECK_EQ_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                       "aws4_request, SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                       "x-amz-storage-class, "
                       "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(sigv4_s3_doc_get_bucket_lifecycle_and_list)
{
    static const struct floe_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
    struct floe_sigv4_request r = s3_req("GET", "/", "lifecycle", h, 1, EMPTY);
    CHECK(floe_sigv4_sign(&r, &s3_doc_creds, scratch, sizeof scratch, auth, sizeof auth) > 0);
    CHECK_EQ_STR(scratch, "GET\n/\nlifecycle=\n"
                          "host:examplebucket.s3.amazonaws.com\n"
                          "x-amz-content-sha256:" EMPTY "\n"
                          "x-amz-date:20130524T000000Z\n"
                          "\n"
                          "host;x-amz-content-sha256;x-amz-date\n" EMPTY);
    CHECK_EQ_STR(scratch + strlen(scratch) + 1,
                 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                 "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
    CHECK_EQ_STR(sig_of(auth), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    r.query = "max-keys=2&prefix=J";
    CHECK(floe_sigv4_sign(&r, &s3_doc_creds, scratch, sizeof scratch, auth, sizeof auth) > 0);
    CHECK_EQ_STR(scratch + strlen(scratch) + 1,
                 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                 "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
    CHECK_EQ_STR(sig_of(auth), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    /* Order on the wire does not matter. */
    r.query = "prefix=J&max-keys=2";
    CHECK(floe_sigv4_sign(&r, &s3_doc_creds, NULL, 0, auth, sizeof auth) > 0);
    CHECK_EQ_STR(sig_of(auth), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(sigv4_s3_doc_presigned_get)
{
    static const struct floe_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
    struct floe_sigv4_request r = s3_req("GET", "/test.txt", NULL, h, 1, NULL);
    int n = floe_sigv4_presign(&r, &s3_doc_creds, 86400, scratch, sizeof scratch, out, sizeof out);
    CHECK_EQ_INT(n, strlen(out));
    CHECK_EQ_STR(scratch, "GET\n/test.txt\n"
                          "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
                          "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
                          "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
                          "host:examplebucket.s3.amazonaws.com\n"
                          "\n"
                          "host\n"
                          "UNSIGNED-PAYLOAD");
    CHECK_EQ_STR(scratch + strlen(scratch) + 1,
                 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                 "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
    CHECK_EQ_STR(out, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
                      "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
                      "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
                      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    /* An explicit UNSIGNED-PAYLOAD is the same. */
    r.payload_sha256 = FLOE_SIGV4_UNSIGNED_PAYLOAD;
    CHECK(floe_sigv4_presign(&r, &s3_doc_creds, 86400, NULL, 0, auth, sizeof auth) > 0);
    CHECK_EQ_STR(auth, out);
}

TEST(sigv4_presign_merges_query_and_token)
{
    static const struct floe_sigv4_header h[] = {{"host", "b.s3.amazonaws.com"}};
    struct floe_sigv4_credentials cr = s3_doc_creds;
    struct floe_sigv4_request r =
        s3_req("PUT", "/k", "uploadId=a%2Fb&partNumber=3&Zed=1&response-x=%20", h, 1, NULL);
    cr.session_token = "tok/en+=";
    CHECK(floe_sigv4_presign(&r, &cr, 60, scratch, sizeof scratch, out, sizeof out) > 0);
    /* Upper case before lower case; the token between Expires and SignedHeaders. */
    CHECK(strncmp(out,
                  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524"
                  "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60"
                  "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host&Zed=1"
                  "&partNumber=3&response-x=%20&uploadId=a%2Fb&X-Amz-Signature=",
                  strlen("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524"
                         "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60"
                         "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host&Zed=1"
                         "&partNumber=3&response-x=%20&uploadId=a%2Fb&X-Amz-Signature=")) == 0);
    CHECK_EQ_INT(strlen(strstr(out, "X-Amz-Signature=") + 16), 64);
    /* Authentication parameters in the caller's query are refused. */
    r.query = "X-Amz-Signature=abc";
    CHECK_EQ_INT(floe_sigv4_presign(&r, &cr, 60, NULL, 0, out, sizeof out), FLOE_ERR_INVAL);
    r.query = "x-amz-date=1";
    CHECK_EQ_INT(floe_sigv4_presign(&r, &cr, 60, NULL, 0, out, sizeof out), FLOE_ERR_INVAL);
    r.query = "X-Amz-%45xpires=1";
    CHECK_EQ_INT(floe_sigv4_presign(&r, &cr, 60, NULL, 0, out, sizeof out), FLOE_ERR_INVAL);
    r.query = NULL;
    CHECK_EQ_INT(floe_sigv4_presign(&r, &cr, 0, NULL, 0, out, sizeof out), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_sigv4_presign(&r, &cr, FLOE_SIGV4_MAX_EXPIRES + 1, NULL, 0, out, sizeof out),
                 FLOE_ERR_INVAL);
    CHECK(floe_sigv4_presign(&r, &cr, FLOE_SIGV4_MAX_EXPIRES, NULL, 0, out, sizeof out) > 0);
    CHECK(strstr(out, "&X-Amz-Expires=604800&") != NULL);
}

/* ---- the SigV4 test suite (service "service", no x-amz-content-sha256) --- */

static void suite_check(const char *name, struct floe_sigv4_request r,
                        const struct floe_sigv4_credentials *cr, const char *signed_headers,
                        const char *sig)
{
    char want[512];
    snprintf(want, sizeof want,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
             "SignedHeaders=%s, Signature=%s",
             signed_headers, sig);
    if (floe_sigv4_sign(&r, cr, NULL, 0, auth, sizeof auth) < 0 || strcmp(auth, want) != 0)
        test_fail(__FILE__, __LINE__, "%s: got \"%s\"", name, auth);
}

TEST(sigv4_aws_test_suite)
{
    static const struct floe_sigv4_header host[] = {{"Host", "example.amazonaws.com"}};
    static const struct floe_sigv4_header trim[] = {
        {"Host", "example.amazonaws.com"},
        {"My-Header1", " value1"},
        {"My-Header2", " \"a   b   c\""},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    static const struct floe_sigv4_header dup[] = {
        {"Host", "example.amazonaws.com"},
        {"My-Header1", "value2"},
        {"My-Header1", "value2"},
        {"My-Header1", "value1"},
    };
    static const struct floe_sigv4_header form[] = {
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"Host", "example.amazonaws.com"},
    };
    static const char unreserved[] =
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    struct floe_sigv4_credentials tok = suite_creds;
    struct floe_sigv4_request r;

    suite_check("get-vanilla", suite_req("GET", NULL, host, 1, EMPTY), &suite_creds,
                "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    suite_check("get-vanilla-query-order-key-case",
                suite_req("GET", "Param2=value2&Param1=value1", host, 1, EMPTY), &suite_creds,
                "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    suite_check("get-vanilla-query-unreserved", suite_req("GET", unreserved, host, 1, EMPTY),
                &suite_creds, "host;x-amz-date",
                "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
    suite_check("get-vanilla-utf8-query (raw)", suite_req("GET", "\xe1\x88\xb4=bar", host, 1, EMPTY),
                &suite_creds, "host;x-amz-date",
                "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
    suite_check("get-vanilla-utf8-query (encoded)", suite_req("GET", "%e1%88%B4=bar", host, 1, EMPTY),
                &suite_creds, "host;x-amz-date",
                "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
    suite_check("get-header-value-trim", suite_req("GET", NULL, trim, 4, EMPTY), &suite_creds,
                "host;my-header1;my-header2;x-amz-date",
                "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
    suite_check("get-header-key-duplicate", suite_req("GET", NULL, dup, 4, EMPTY), &suite_creds,
                "host;my-header1;x-amz-date",
                "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
    suite_check("post-vanilla", suite_req("POST", NULL, host, 1, EMPTY), &suite_creds,
                "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    suite_check("post-vanilla-query", suite_req("POST", "Param1=value1", host, 1, EMPTY),
                &suite_creds, "host;x-amz-date",
                "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
    suite_check("post-x-www-form-urlencoded",
                suite_req("POST", NULL, form, 2,
                          "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
                &suite_creds, "content-type;host;x-amz-date",
                "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
    tok.session_token = suite_token;
    suite_check("post-sts-header-before", suite_req("POST", NULL, host, 1, EMPTY), &tok,
                "host;x-amz-date;x-amz-security-token",
                "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
    /* ... and its string to sign. */
    r = suite_req("POST", NULL, host, 1, EMPTY);
    CHECK(floe_sigv4_string_to_sign(&r, &tok, out, sizeof out) > 0);
    CHECK_EQ_STR(out, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                      "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
}

TEST(sigv4_derives_the_documented_signing_key)
{
    struct floe_sigv4_key k;
    char hex[65];
    memset(&k, 0, sizeof k);
    CHECK_EQ_INT(floe_sigv4_derive_key(&k, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                       "us-east-1", "iam"),
                 FLOE_OK);
    floe_hex(k.key, 32, hex);
    CHECK_EQ_STR(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    CHECK(k.valid);
    floe_sigv4_key_wipe(&k);
    CHECK(!k.valid && k.key[0] == 0 && k.key[31] == 0);
    CHECK_EQ_INT(floe_sigv4_derive_key(&k, "", "20120215", "us-east-1", "iam"), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_sigv4_derive_key(&k, "s", "2012021x", "us-east-1", "iam"), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_sigv4_derive_key(&k, "s", "20120215", "us/east", "iam"), FLOE_ERR_INVAL);
}

TEST(sigv4_long_secret_is_hashed_like_hmac_does)
{
    /* "AWS4" + a 70-byte secret is longer than an HMAC block: the streamed
     * hash must give what HMAC's own key hashing gives. */
    static char secret[71], key[75];
    struct floe_sigv4_key k;
    uint8_t a[32], b[32];
    memset(secret, 's', 70);
    memcpy(key, "AWS4", 4);
    memcpy(key + 4, secret, 70);
    CHECK_EQ_INT(floe_sigv4_derive_key(&k, secret, "20240101", "r", "s3"), FLOE_OK);
    floe_hmac_sha256(key, 74, "20240101", 8, a);
    floe_hmac_sha256(a, 32, "r", 1, b);
    floe_hmac_sha256(b, 32, "s3", 2, a);
    floe_hmac_sha256(a, 32, "aws4_request", 12, b);
    CHECK_EQ_MEM(k.key, b, 32);
}

TEST(sigv4_key_cache_is_reused_and_refreshed)
{
    static const struct floe_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
    struct floe_sigv4_key cache;
    struct floe_sigv4_credentials cr = s3_doc_creds;
    struct floe_sigv4_request r = s3_req("GET", "/", "lifecycle", h, 1, EMPTY);
    char first[FLOE_SIGV4_AUTH_MAX], plain[FLOE_SIGV4_AUTH_MAX];

    memset(&cache, 0, sizeof cache);
    cr.key_cache = &cache;
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, first, sizeof first) > 0);
    CHECK(cache.valid);
    CHECK_EQ_STR(sig_of(first), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    CHECK_EQ_STR(auth, first);
    /* A new day, region or secret derives a new key. */
    r.amz_date = "20130525T000000Z";
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    cr.key_cache = NULL;
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, plain, sizeof plain) > 0);
    CHECK_EQ_STR(auth, plain);
    cr.key_cache = &cache;
    cr.secret_access_key = "another-secret";
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    cr.key_cache = NULL;
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, plain, sizeof plain) > 0);
    CHECK_EQ_STR(auth, plain);
    r.region = "eu-west-1";
    cr.key_cache = &cache;
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    cr.key_cache = NULL;
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, plain, sizeof plain) > 0);
    CHECK_EQ_STR(auth, plain);
}

/* ---- encoding and canonicalisation ---------------------------------------- */

TEST(sigv4_uri_encode_edge_cases)
{
    char buf[64];
    CHECK_EQ_INT(floe_sigv4_uri_encode("AZaz09-._~", buf, sizeof buf, 0), 10);
    CHECK_EQ_STR(buf, "AZaz09-._~");
    floe_sigv4_uri_encode("a b+c=d&e", buf, sizeof buf, 0);
    CHECK_EQ_STR(buf, "a%20b%2Bc%3Dd%26e");
    floe_sigv4_uri_encode("/dir/my key+1.parquet", buf, sizeof buf, 1);
    CHECK_EQ_STR(buf, "/dir/my%20key%2B1.parquet");
    floe_sigv4_uri_encode("/dir/x", buf, sizeof buf, 0);
    CHECK_EQ_STR(buf, "%2Fdir%2Fx");
    /* Already-encoded text is encoded again: keys are raw bytes. */
    floe_sigv4_uri_encode("50%25", buf, sizeof buf, 1);
    CHECK_EQ_STR(buf, "50%2525");
    /* UTF-8 byte by byte, upper-case hex. */
    floe_sigv4_uri_encode("\xc3\xbc\xe2\x82\xac", buf, sizeof buf, 1);
    CHECK_EQ_STR(buf, "%C3%BC%E2%82%AC");
    floe_sigv4_uri_encode("!*'()$,;:@?#[]\x01\x7f\xff", buf, sizeof buf, 0);
    CHECK_EQ_STR(buf, "%21%2A%27%28%29%24%2C%3B%3A%40%3F%23%5B%5D%01%7F%FF");
    CHECK_EQ_INT(floe_sigv4_uri_encode("", buf, sizeof buf, 0), 0);
    CHECK_EQ_STR(buf, "");
    /* Exactly enough room, then one byte short. */
    CHECK_EQ_INT(floe_sigv4_uri_encode("a b", buf, 6, 0), 5);
    CHECK_EQ_INT(floe_sigv4_uri_encode("a b", buf, 5, 0), FLOE_ERR_NOMEM);
    CHECK_EQ_STR(buf, "");
    CHECK_EQ_INT(floe_sigv4_uri_encode(NULL, buf, 5, 0), FLOE_ERR_INVAL);
}

/* Line i (0-based) of the canonical request of r. */
static const char *line_of(const struct floe_sigv4_request *r, int i)
{
    static char line[1024];
    const char *p = out, *e;
    if (floe_sigv4_canonical_request(r, NULL, out, sizeof out) < 0)
        return "(error)";
    while (i-- > 0) {
        p = strchr(p, '\n');
        if (p == NULL)
            return "(none)";
        p++;
    }
    e = strchr(p, '\n');
    if (e == NULL)
        e = p + strlen(p);
    snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
    return line;
}

TEST(sigv4_canonical_path)
{
    static const struct floe_sigv4_header h[] = {{"host", "h"}};
    struct floe_sigv4_request r = s3_req("PUT", "/bucket/dir/my key+1=2~x%.parquet", NULL, h, 1, EMPTY);
    CHECK_EQ_STR(line_of(&r, 1), "/bucket/dir/my%20key%2B1%3D2~x%25.parquet");
    /* Nested prefixes, empty segments and dots are kept as they are (S3 keys). */
    r.path = "/b//a/./../c/";
    CHECK_EQ_STR(line_of(&r, 1), "/b//a/./../c/");
    r.path = "/b/\xe2\x9c\x93 \xf0\x9f\x98\x80";
    CHECK_EQ_STR(line_of(&r, 1), "/b/%E2%9C%93%20%F0%9F%98%80");
    r.path = NULL;
    CHECK_EQ_STR(line_of(&r, 1), "/");
    r.path = "";
    CHECK_EQ_STR(line_of(&r, 1), "/");
    r.path = "relative";
    CHECK_EQ_INT(floe_sigv4_canonical_request(&r, NULL, out, sizeof out), FLOE_ERR_INVAL);
}

TEST(sigv4_canonical_query)
{
    static const struct floe_sigv4_header h[] = {{"host", "h"}};
    struct floe_sigv4_request r = s3_req("POST", "/b/k", "uploads", h, 1, EMPTY);
    CHECK_EQ_STR(line_of(&r, 2), "uploads=");
    r.query = "uploads=";
    CHECK_EQ_STR(line_of(&r, 2), "uploads=");
    r.query = "uploadId=abc&partNumber=2";
    CHECK_EQ_STR(line_of(&r, 2), "partNumber=2&uploadId=abc");
    /* Decoded, then encoded the SigV4 way: case of hex, '+', reserved bytes. */
    r.query = "uploadId=a%2fb%7E%2B+c!&x=%41";
    CHECK_EQ_STR(line_of(&r, 2), "uploadId=a%2Fb~%2B%2Bc%21&x=A");
    /* Same names sort by value; empty segments vanish; '=' in a value stays. */
    r.query = "&b=2&&a=z&a=&a=y=1&b&";
    CHECK_EQ_STR(line_of(&r, 2), "a=&a=y%3D1&a=z&b=&b=2");
    /* Sorting is by name first: "a" < "a-" although "a=" > "a-". */
    r.query = "a-=1&a=2";
    CHECK_EQ_STR(line_of(&r, 2), "a=2&a-=1");
    /* Upper case sorts before lower case (byte order). */
    r.query = "prefix=J&Max=1&max-keys=2";
    CHECK_EQ_STR(line_of(&r, 2), "Max=1&max-keys=2&prefix=J");
    /* Exact duplicates are both kept. */
    r.query = "a=1&a=1";
    CHECK_EQ_STR(line_of(&r, 2), "a=1&a=1");
    /* Sorted by encoded bytes: '%' (0x25) before '-' and letters. */
    r.query = "a=-&a=%20&a=b";
    CHECK_EQ_STR(line_of(&r, 2), "a=%20&a=-&a=b");
    r.query = "";
    CHECK_EQ_STR(line_of(&r, 2), "");
    /* Bad escapes are refused. */
    r.query = "a=%2";
    CHECK_EQ_INT(floe_sigv4_canonical_request(&r, NULL, out, sizeof out), FLOE_ERR_INVAL);
    r.query = "a=%zz";
    CHECK_EQ_INT(floe_sigv4_canonical_request(&r, NULL, out, sizeof out), FLOE_ERR_INVAL);
    r.query = "a=%";
    CHECK_EQ_INT(floe_sigv4_canonical_request(&r, NULL, out, sizeof out), FLOE_ERR_INVAL);
}

TEST(sigv4_canonical_headers_trim_and_sort)
{
    static const struct floe_sigv4_header h[] = {
        {"X-Amz-Meta-B", "\t two\t\t words  here \t"},
        {"HOST", "  example.com "},
        {"x-amz-meta-a", ""},
        {"x-amz-meta-a", "   "},
        {"Content-Type", "text/plain"},
    };
    struct floe_sigv4_request r = s3_req("PUT", "/k", NULL, h, 5, EMPTY);
    CHECK_EQ_STR(line_of(&r, 3), "content-type:text/plain");
    CHECK_EQ_STR(line_of(&r, 4), "host:example.com");
    CHECK_EQ_STR(line_of(&r, 5), "x-amz-content-sha256:" EMPTY);
    CHECK_EQ_STR(line_of(&r, 6), "x-amz-date:20130524T000000Z");
    CHECK_EQ_STR(line_of(&r, 7), "x-amz-meta-a:,");
    CHECK_EQ_STR(line_of(&r, 8), "x-amz-meta-b:two words here");
    CHECK_EQ_STR(line_of(&r, 9), "");
    CHECK_EQ_STR(line_of(&r, 10),
                 "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-meta-b");
    CHECK_EQ_STR(line_of(&r, 11), EMPTY);
}

TEST(sigv4_added_headers_must_agree)
{
    struct floe_sigv4_header h[2] = {{"host", "h"}, {"X-Amz-Date", " 20130524T000000Z "}};
    struct floe_sigv4_credentials cr = s3_doc_creds;
    struct floe_sigv4_request r = s3_req("PUT", "/k", NULL, h, 2, EMPTY);
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    h[1].value = "20130524T000001Z";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    CHECK_EQ_STR(auth, "");
    h[1].name = "x-amz-content-sha256";
    h[1].value = FLOE_SIGV4_UNSIGNED_PAYLOAD;
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    r.payload_sha256 = FLOE_SIGV4_UNSIGNED_PAYLOAD;
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    CHECK(strstr(auth, "SignedHeaders=host;x-amz-content-sha256;x-amz-date, ") != NULL);
    h[1].name = "x-amz-security-token";
    h[1].value = "t1";
    cr.session_token = "t2";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    cr.session_token = "t1";
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    CHECK(strstr(auth, "x-amz-date;x-amz-security-token, ") != NULL);
    /* The flag leaves x-amz-content-sha256 out. */
    r.flags = FLOE_SIGV4_NO_CONTENT_SHA256;
    h[1].name = "x-other";
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    CHECK(strstr(auth, "SignedHeaders=host;x-amz-date;x-amz-security-token;x-other, ") != NULL);
}

TEST(sigv4_rejects_malformed_requests)
{
    struct floe_sigv4_header h[2] = {{"host", "h"}, {"x-a", "v"}};
    struct floe_sigv4_credentials cr = s3_doc_creds;
    struct floe_sigv4_request r = s3_req("PUT", "/k", NULL, h, 2, EMPTY), bad;

    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
#define EXPECT(field, value, err)                                                 \
    do {                                                                          \
        bad = r;                                                                  \
        bad.field = value;                                                        \
        CHECK_EQ_INT(floe_sigv4_sign(&bad, &cr, NULL, 0, auth, sizeof auth), err); \
    } while (0)
    EXPECT(method, "", FLOE_ERR_INVAL);
    EXPECT(method, "P UT", FLOE_ERR_INVAL);
    EXPECT(method, NULL, FLOE_ERR_INVAL);
    EXPECT(amz_date, "20130524T000000", FLOE_ERR_INVAL);
    EXPECT(amz_date, "20130524T000000ZZ", FLOE_ERR_INVAL);
    EXPECT(amz_date, "2013-05-24T00:00", FLOE_ERR_INVAL);
    EXPECT(payload_sha256, NULL, FLOE_ERR_INVAL);
    EXPECT(payload_sha256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
           FLOE_ERR_INVAL);
    EXPECT(payload_sha256, "abc", FLOE_ERR_INVAL);
    EXPECT(payload_sha256, "STREAMING-unsigned", FLOE_ERR_INVAL);
    EXPECT(region, "", FLOE_ERR_INVAL);
    EXPECT(region, "us east", FLOE_ERR_INVAL);
    EXPECT(region, "a/b", FLOE_ERR_INVAL);
    EXPECT(service, NULL, FLOE_ERR_INVAL);
    EXPECT(headers, NULL, FLOE_ERR_INVAL);
#undef EXPECT
    bad = r;
    bad.payload_sha256 = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    CHECK(floe_sigv4_sign(&bad, &cr, NULL, 0, auth, sizeof auth) > 0);
    bad = r;
    bad.n_headers = 1; /* host alone is enough */
    CHECK(floe_sigv4_sign(&bad, &cr, NULL, 0, auth, sizeof auth) > 0);
    h[0].name = "hst";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_MISSING);
    h[0].name = "host";
    h[1].value = "a\r\nx-evil: 1";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    h[1].value = "v";
    h[1].name = "x a";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    h[1].name = "";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    h[1].name = "x-a";
    cr.access_key_id = "AK/ID";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    cr.access_key_id = "AKID";
    cr.secret_access_key = NULL;
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    cr.secret_access_key = "s";
    cr.session_token = "a\nb";
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    cr.session_token = "";
    CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, auth, sizeof auth) > 0);
    CHECK(strstr(auth, "security-token") == NULL);
    CHECK_EQ_INT(floe_sigv4_sign(NULL, &cr, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_sigv4_sign(&r, NULL, NULL, 0, auth, sizeof auth), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 0, NULL, 0), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_sigv4_sign(&r, &cr, NULL, 10, auth, sizeof auth), FLOE_ERR_INVAL);
}

TEST(sigv4_buffers_too_small)
{
    static const struct floe_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
    static char small[512];
    struct floe_sigv4_request r = s3_req("GET", "/a b/\xc3\xbc", "lifecycle", h, 1, EMPTY);
    size_t need = floe_sigv4_scratch_size(&r, &s3_doc_creds, 0);
    int n;
    char *creq;

    CHECK(need > 0 && need < sizeof small);
    n = floe_sigv4_sign(&r, &s3_doc_creds, small, need, auth, sizeof auth);
    CHECK(n > 0);
    creq = small;
    CHECK_EQ_INT(strlen(creq) + 1 + strlen(creq + strlen(creq) + 1) + 1, need);
    memset(small, 'x', sizeof small);
    CHECK_EQ_INT(floe_sigv4_sign(&r, &s3_doc_creds, small, need - 1, auth, sizeof auth),
                 FLOE_ERR_NOMEM);
    CHECK_EQ_STR(auth, "");
    CHECK_EQ_INT(small[need - 1], 'x'); /* nothing written past the given size */
    CHECK_EQ_INT(floe_sigv4_sign(&r, &s3_doc_creds, small, 40, auth, sizeof auth), FLOE_ERR_NOMEM);
    /* The Authorization buffer: exactly n + 1, then one short. */
    CHECK_EQ_INT(floe_sigv4_sign(&r, &s3_doc_creds, NULL, 0, small, (size_t)n + 1), n);
    CHECK_EQ_INT(floe_sigv4_sign(&r, &s3_doc_creds, NULL, 0, small, (size_t)n), FLOE_ERR_NOMEM);
    CHECK_EQ_STR(small, "");
    CHECK_EQ_INT(floe_sigv4_sign(&r, &s3_doc_creds, NULL, 0, small, 0), FLOE_ERR_NOMEM);
    /* Canonical request and string to sign outputs. */
    n = floe_sigv4_canonical_request(&r, NULL, small, sizeof small);
    CHECK(n > 0);
    CHECK_EQ_INT(floe_sigv4_canonical_request(&r, NULL, small, (size_t)n), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(floe_sigv4_string_to_sign(&r, NULL, small, 100), FLOE_ERR_NOMEM);
    /* Presign: scratch and query sizes. */
    r.payload_sha256 = NULL;
    need = floe_sigv4_scratch_size(&r, &s3_doc_creds, 900);
    CHECK(need > 0);
    CHECK(floe_sigv4_presign(&r, &s3_doc_creds, 900, small, need, out, sizeof out) > 0);
    CHECK_EQ_INT(floe_sigv4_presign(&r, &s3_doc_creds, 900, small, need - 1, out, sizeof out),
                 FLOE_ERR_NOMEM);
    n = floe_sigv4_presign(&r, &s3_doc_creds, 900, NULL, 0, out, sizeof out);
    CHECK_EQ_INT(floe_sigv4_presign(&r, &s3_doc_creds, 900, NULL, 0, small, (size_t)n),
                 FLOE_ERR_NOMEM);
    /* An invalid request has no size; presigning needs the credentials. */
    CHECK_EQ_INT(floe_sigv4_scratch_size(&r, NULL, 900), 0);
    r.payload_sha256 = EMPTY;
    CHECK(floe_sigv4_scratch_size(&r, NULL, 0) > 0);
    r.method = "";
    CHECK_EQ_INT(floe_sigv4_scratch_size(&r, &s3_doc_creds, 0), 0);
}

TEST(sigv4_default_scratch_covers_a_large_s3_request)
{
    /* A 63-byte bucket, a 1024-byte key of 3-byte characters, a 2 KiB token
     * and 1 KiB of other headers as 64 short ones (their names count twice). */
    static char path[1 + 63 + 1 + 1024 + 1], token[2049], names[64][16];
    static struct floe_sigv4_header h[65];
    struct floe_sigv4_credentials cr = s3_doc_creds;
    struct floe_sigv4_request r;
    size_t i, need;
    path[0] = '/';
    memset(path + 1, 'b', 63);
    path[64] = '/';
    for (i = 0; i < 1024; i += 3)
        memcpy(path + 65 + i, "\xe2\x82\xac", i + 3 <= 1024 ? 3 : 1024 - i);
    memset(token, 'T', 2048);
    h[0].name = "host";
    h[0].value = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                 ".s3.dualstack.ap-southeast-2.amazonaws.com";
    for (i = 1; i <= 64; i++) {
        snprintf(names[i - 1], sizeof names[i - 1], "x-amz-meta-%03zu", i);
        h[i].name = names[i - 1];
        h[i].value = "v";
    }
    cr.session_token = token;
    r = s3_req("PUT", path, "partNumber=10000&uploadId=VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
               h, 65, EMPTY);
    r.region = "ap-southeast-2";
    need = floe_sigv4_scratch_size(&r, &cr, 0);
    CHECK(need > 7000 && need <= FLOE_SIGV4_SCRATCH_DEFAULT);
    CHECK(floe_sigv4_sign(&r, &cr, scratch, sizeof scratch, auth, sizeof auth) > 0);
    CHECK_EQ_INT(strlen(scratch) + 1 + strlen(scratch + strlen(scratch) + 1) + 1, need);
}

/* ---- base64 and the CRC-32C checksum header ------------------------------- */

TEST(s3_base64_rfc4648_vectors)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char buf[16];
    size_t i;
    for (i = 0; i < 7; i++) {
        CHECK_EQ_INT(floe_s3_base64_encode(in[i], strlen(in[i]), buf, sizeof buf), strlen(want[i]));
        CHECK_EQ_STR(buf, want[i]);
    }
    CHECK_EQ_INT(floe_s3_base64_encode("\xff\xfe\xfd\x00", 4, buf, sizeof buf), 8);
    CHECK_EQ_STR(buf, "//79AA==");
    CHECK_EQ_INT(floe_s3_base64_encode("foo", 3, buf, 5), 4);
    CHECK_EQ_INT(floe_s3_base64_encode("foo", 3, buf, 4), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(floe_s3_base64_encode(NULL, 0, buf, 1), 0);
    CHECK_EQ_INT(floe_s3_base64_encode(NULL, 1, buf, 8), FLOE_ERR_INVAL);
}

TEST(s3_checksum_crc32c_header_value)
{
    char b64[9];
    floe_s3_checksum_crc32c_b64(floe_crc32c("123456789", 9), b64);
    CHECK_EQ_STR(b64, "4waSgw==");
    floe_s3_checksum_crc32c_b64(0, b64);
    CHECK_EQ_STR(b64, "AAAAAA==");
    floe_s3_checksum_crc32c_b64(floe_crc32c("", 0), b64);
    CHECK_EQ_STR(b64, "AAAAAA==");
    floe_s3_checksum_crc32c_b64(0xffffffffu, b64);
    CHECK_EQ_STR(b64, "/////w==");
}
