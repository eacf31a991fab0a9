/* floe: compile-time configuration.
 *
 * A board or firmware build may pass -DFLOE_CONFIG_FILE='"my_floe_config.h"';
 * that file is included first, then every option not set there takes the
 * default documented below. */
#ifndef FLOE_CONFIG_H
#define FLOE_CONFIG_H

#ifdef FLOE_CONFIG_FILE
#include FLOE_CONFIG_FILE
#endif

/* FLOE_LOG_LEVEL_MAX: log calls above this level are compiled out.
 * 0 none, 1 error, 2 warn, 3 info, 4 debug. Default 4 (the runtime level
 * of each log port still filters). */
#ifndef FLOE_LOG_LEVEL_MAX
#define FLOE_LOG_LEVEL_MAX 4
#endif

/* FLOE_LOG_LINE_MAX: bytes of one formatted log line, on the stack. */
#ifndef FLOE_LOG_LINE_MAX
#define FLOE_LOG_LINE_MAX 200
#endif

/* FLOE_ASSERT(x): internal invariant check. Default: nothing. Debug and
 * test builds define FLOE_DEBUG to trap. */
#ifndef FLOE_ASSERT
#ifdef FLOE_DEBUG
#define FLOE_ASSERT(x) do { if (!(x)) __builtin_trap(); } while (0)
#else
#define FLOE_ASSERT(x) ((void)0)
#endif
#endif

/* FLOE_NO_STRERROR: floe_strerror() returns "error" for every code, saving
 * the message strings. */

/* FLOE_NO_TLS: build without mbedTLS; https:// targets report
 * FLOE_ERR_UNSUPPORTED. */

#if FLOE_LOG_LINE_MAX < 32
#error "FLOE_LOG_LINE_MAX must be at least 32"
#endif
#if FLOE_LOG_LEVEL_MAX < 0 || FLOE_LOG_LEVEL_MAX > 4
#error "FLOE_LOG_LEVEL_MAX must be 0..4"
#endif

#endif
