/* Every libc function the library uses, in one place, so a firmware build can
 * map them to its own (define FLOE_DEPS_CUSTOM and supply these macros). Only
 * freestanding-friendly functions: no heap, no stdio, no locale. */
#ifndef FLOE_DEPS_H
#define FLOE_DEPS_H

#include "floe/config.h"
#include <stddef.h>
#include <stdint.h>

#ifndef FLOE_DEPS_CUSTOM
#include <string.h>
#define floe_memcpy(d, s, n) memcpy((d), (s), (n))
#define floe_memmove(d, s, n) memmove((d), (s), (n))
#define floe_memset(d, c, n) memset((d), (c), (n))
#define floe_memcmp(a, b, n) memcmp((a), (b), (n))
#define floe_strlen(s) strlen(s)
#define floe_memchr(s, c, n) memchr((s), (c), (n))
#endif

#endif
