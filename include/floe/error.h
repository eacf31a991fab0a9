/* floe: error codes.
 *
 * Every fallible call returns an int: >= 0 for success (a count where the call
 * says so), or one of these negative values. The values are stable across
 * releases; new codes are only ever appended. */
#ifndef FLOE_ERROR_H
#define FLOE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum floe_err {
    FLOE_OK = 0,
    FLOE_ERR_INVAL = -1,       /* bad argument or config: a caller bug */
    FLOE_ERR_NOMEM = -2,       /* the arena is too small or misaligned */
    FLOE_ERR_IO = -3,          /* a port call failed */
    FLOE_ERR_NOSPC = -4,       /* storage full (disk or quota) */
    FLOE_ERR_NOENT = -5,       /* no such file or object */
    FLOE_ERR_EXIST = -6,       /* already exists */
    FLOE_ERR_AGAIN = -7,       /* would block: call again later */
    FLOE_ERR_TIMEOUT = -8,     /* a deadline passed */
    FLOE_ERR_MALFORMED = -9,   /* input bytes are not what the format allows */
    FLOE_ERR_LIMIT = -10,      /* input exceeds a configured bound */
    FLOE_ERR_RANGE = -11,      /* a number does not fit its type */
    FLOE_ERR_TYPE = -12,       /* a value has the wrong type for its column */
    FLOE_ERR_CORRUPT = -13,    /* stored data fails its checksum or structure */
    FLOE_ERR_NET = -14,        /* connection refused, reset or closed */
    FLOE_ERR_TLS = -15,        /* TLS handshake or record failure */
    FLOE_ERR_CERT = -16,       /* peer certificate or host name not trusted */
    FLOE_ERR_HTTP = -17,       /* unexpected HTTP status or response */
    FLOE_ERR_AUTH = -18,       /* credentials rejected */
    FLOE_ERR_UNSUPPORTED = -19,/* feature compiled out or not implemented */
    FLOE_ERR_STATE = -20,      /* call not valid in the handle's state */
    FLOE_ERR_MISSING = -21,    /* a required value is absent */
    FLOE_ERR_DUPLICATE = -22,  /* a key appears twice */
    FLOE_ERR__LAST = -22
};

/** @brief A short English description of an error code (never NULL).
 *  Compiled to a fixed "error" string when FLOE_NO_STRERROR is defined. */
const char *floe_strerror(int err);

/** @brief The code's identifier without the FLOE_ERR_ prefix, e.g. "NOMEM". */
const char *floe_errname(int err);

#ifdef __cplusplus
}
#endif
#endif
