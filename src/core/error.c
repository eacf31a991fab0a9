#include "floe/error.h"
#include "core/internal.h"

struct err_entry {
    int code;
    const char *name;
    const char *text;
};

#ifdef FLOE_NO_STRERROR
#define ERR_TEXT(s) ""
#else
#define ERR_TEXT(s) s
#endif

static const struct err_entry err_table[] = {
    {FLOE_OK, "OK", ERR_TEXT("success")},
    {FLOE_ERR_INVAL, "INVAL", ERR_TEXT("invalid argument or configuration")},
    {FLOE_ERR_NOMEM, "NOMEM", ERR_TEXT("arena too small")},
    {FLOE_ERR_IO, "IO", ERR_TEXT("I/O error")},
    {FLOE_ERR_NOSPC, "NOSPC", ERR_TEXT("no space left (disk or quota)")},
    {FLOE_ERR_NOENT, "NOENT", ERR_TEXT("no such file or object")},
    {FLOE_ERR_EXIST, "EXIST", ERR_TEXT("already exists")},
    {FLOE_ERR_AGAIN, "AGAIN", ERR_TEXT("would block, try again")},
    {FLOE_ERR_TIMEOUT, "TIMEOUT", ERR_TEXT("timed out")},
    {FLOE_ERR_MALFORMED, "MALFORMED", ERR_TEXT("malformed input")},
    {FLOE_ERR_LIMIT, "LIMIT", ERR_TEXT("input exceeds a configured limit")},
    {FLOE_ERR_RANGE, "RANGE", ERR_TEXT("number out of range for its type")},
    {FLOE_ERR_TYPE, "TYPE", ERR_TEXT("value has the wrong type")},
    {FLOE_ERR_CORRUPT, "CORRUPT", ERR_TEXT("stored data is corrupt")},
    {FLOE_ERR_NET, "NET", ERR_TEXT("network connection failed or closed")},
    {FLOE_ERR_TLS, "TLS", ERR_TEXT("TLS failure")},
    {FLOE_ERR_CERT, "CERT", ERR_TEXT("peer certificate not trusted")},
    {FLOE_ERR_HTTP, "HTTP", ERR_TEXT("unexpected HTTP response")},
    {FLOE_ERR_AUTH, "AUTH", ERR_TEXT("credentials rejected")},
    {FLOE_ERR_UNSUPPORTED, "UNSUPPORTED", ERR_TEXT("not supported by this build")},
    {FLOE_ERR_STATE, "STATE", ERR_TEXT("call not valid in this state")},
    {FLOE_ERR_MISSING, "MISSING", ERR_TEXT("required value missing")},
    {FLOE_ERR_DUPLICATE, "DUPLICATE", ERR_TEXT("duplicate key")},
};

static const struct err_entry *find(int err)
{
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(err_table); i++)
        if (err_table[i].code == err)
            return &err_table[i];
    return NULL;
}

const char *floe_strerror(int err)
{
#ifdef FLOE_NO_STRERROR
    (void)err;
    return "error";
#else
    const struct err_entry *e = find(err);
    return e != NULL ? e->text : "unknown error";
#endif
}

const char *floe_errname(int err)
{
    const struct err_entry *e = find(err);
    return e != NULL ? e->name : "UNKNOWN";
}
