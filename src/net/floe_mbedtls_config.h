/* mbedTLS 3.6 configuration for floe: an HTTPS client, nothing else.
 * Selected with -DMBEDTLS_CONFIG_FILE='"floe_mbedtls_config.h"' (mk/deps.mk
 * passes it, with src/net on the include path, to mbedTLS and to floe alike).
 *
 * What it gives: TLS 1.2 and TLS 1.3, client side only; server certificate
 * chains verified against PEM or DER CA bundles, host name checked; SNI; ALPN;
 * session tickets and resumption (TLS 1.3 PSK-ECDHE); ECDHE on x25519,
 * secp256r1 and secp384r1; RSA (PKCS#1 v1.5 and PSS) and ECDSA signatures, to
 * verify servers and to sign with a client key for mutual TLS (unencrypted
 * PEM/DER keys only); AES-GCM and ChaCha20-Poly1305; SHA-256/384/512 (SHA-1 is
 * there only so CA bundles that contain SHA-1 self-signed roots still parse;
 * the default certificate profile keeps rejecting SHA-1 signatures).
 *
 * Memory: MBEDTLS_PLATFORM_MEMORY + MBEDTLS_MEMORY_BUFFER_ALLOC_C. Every
 * allocation comes from the slice floe hands to
 * mbedtls_memory_buffer_alloc_init() before anything else (psa_crypto_init
 * included). MBEDTLS_PLATFORM_NO_STD_FUNCTIONS leaves the default calloc/free
 * pointing at platform.c's own "uninitialised" stubs (calloc returns NULL), so
 * the archives never reference libc malloc/calloc/free. Note: the allocator is
 * one global per process and there is no MBEDTLS_THREADING_C: only one thread
 * (floe's uploader) may use mbedTLS and PSA.
 *
 * Entropy: MBEDTLS_NO_PLATFORM_ENTROPY + MBEDTLS_ENTROPY_HARDWARE_ALT. mbedTLS
 * never opens /dev/urandom or calls getrandom(); mbedtls_entropy_init() (and
 * PSA's RNG, which uses it) polls
 *     int mbedtls_hardware_poll(void *data, unsigned char *out, size_t len, size_t *olen);
 * which floe provides in src/net/tls.c on top of its entropy port
 * (struct floe_entropy_port, set by floe_tls_setup).
 * It counts as a strong source; the entropy module wants 32 bytes
 * (MBEDTLS_ENTROPY_MIN_HARDWARE) from it before it seeds a DRBG.
 *
 * Time: MBEDTLS_HAVE_TIME and MBEDTLS_HAVE_TIME_DATE stay on (certificate
 * validity, ticket lifetimes), so the archives use libc time(), gmtime_r() and
 * clock_gettime(). A libc-less target would add MBEDTLS_PLATFORM_TIME_ALT,
 * MBEDTLS_PLATFORM_MS_TIME_ALT and MBEDTLS_PLATFORM_GMTIME_R_ALT here.
 * Other libc the archives still need (Linux has them all): mem*, str*,
 * snprintf (X.509 names), explicit_bzero, getpid (PSA RNG fork check),
 * inet_pton (IP-address SANs), exit (the buffer allocator on heap corruption),
 * getauxval (aarch64 only, crypto-extension detection).
 *
 * Build with -DFLOE_MBEDTLS_MEMORY_DEBUG (make MBEDTLS_MEMORY_DEBUG=1) to get
 * mbedtls_memory_buffer_alloc_max_get()/cur_get() for measuring the peak. Same
 * block layout, so the numbers hold for normal builds; it pulls in fprintf. */
#ifndef FLOE_MBEDTLS_CONFIG_H
#define FLOE_MBEDTLS_CONFIG_H

/* --- Platform, memory, entropy, time ----------------------------------- */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
/* ... which also drops the default for mbedtls_snprintf (X.509 name and OID
 * formatting): plain snprintf, declared by the header included in its place. */
#define MBEDTLS_PLATFORM_STD_MEM_HDR <stdio.h>
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO snprintf
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* 4 by default, below alignof(uint64_t) (8 on every floe target): 64-bit
 * fields (bignum limbs, SHA-512 state) would be misaligned, which UBSan
 * reports and alignment-assuming loads (NEON :64 hints) fault on. */
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8
#ifdef FLOE_MBEDTLS_MEMORY_DEBUG
#define MBEDTLS_MEMORY_DEBUG
#endif

#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_HMAC_DRBG_C /* deterministic ECDSA for client keys */

#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE

/* --- CPU acceleration, all chosen at run time or at compile time by arch -- */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_AESNI_C /* x86-64 only; cpuid decides at run time */
#if defined(__aarch64__)
#define MBEDTLS_AESCE_C /* Armv8 crypto extension; HWCAP decides on Linux */
#if defined(__linux__)
/* SHA-256 is what SigV4 hashes payloads with; A53/A72 have the instructions. */
#define MBEDTLS_SHA256_USE_ARMV8_A_CRYPTO_IF_PRESENT
#endif
#endif
#define MBEDTLS_AES_ROM_TABLES /* tables in .rodata, not built in .bss at run time */

/* --- Symmetric crypto and hashes ----------------------------------------- */
#define MBEDTLS_AES_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_HKDF_C /* turns on PSA HKDF, which the TLS 1.3 key schedule uses */
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C

/* --- Public key ------------------------------------------------------- */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C /* PK <-> PSA key export under MBEDTLS_USE_PSA_CRYPTO */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C

/* --- PSA Crypto: TLS 1.3 in 3.6 runs on it; TLS 1.2 and X.509 use it too -- */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO
/* PSA and its callers share one address space and one thread, so PSA need not
 * copy its arguments out of "shared memory". Without this every record is
 * decrypted through heap copies of its input and output: a 16 KiB record
 * would add 32 KiB to the heap peak (measured: +2 bytes per record byte). */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS

/* --- X.509: parse and verify server chains, no CRLs, no writing ------------ */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
/* No mbedtls_x509_crt_info()/verify_info() strings: floe names the
 * MBEDTLS_X509_BADCERT_* flags itself. */
#define MBEDTLS_X509_REMOVE_INFO

/* --- TLS client ----------------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE /* middleboxes */
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED /* resumption */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE /* required by TLS 1.3 in 3.6 */
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

/* Servers send full 16 KiB records and most ignore max_fragment_length, so
 * the input side must hold one. Requests go out in full records too: 4 KiB
 * records cost 40% more CPU per uploaded byte (tools/bench/upload_bench.sh);
 * a board short of RAM may build with -DFLOE_TLS_OUT_RECORD_BYTES=4096. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#ifndef FLOE_TLS_OUT_RECORD_BYTES
#define FLOE_TLS_OUT_RECORD_BYTES 16384
#endif
#define MBEDTLS_SSL_OUT_CONTENT_LEN FLOE_TLS_OUT_RECORD_BYTES

#endif /* FLOE_MBEDTLS_CONFIG_H */
