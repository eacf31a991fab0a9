/* floe's POSIX ports (Linux hosts and gateways): files, TCP sockets,
 * clock_gettime, getrandom, and a log port that writes to stderr. */
#ifndef FLOE_POSIX_H
#define FLOE_POSIX_H

#include "floe/port.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct floe_fs_port floe_posix_fs;
extern const struct floe_net_port floe_posix_net;
extern const struct floe_clock_port floe_posix_clock;
extern const struct floe_entropy_port floe_posix_entropy;

/** A log port writing "LEVEL floe: line" to stderr, at the given level. */
struct floe_log_port floe_posix_log(int level);
/** Lines to syslog(3) (facility daemon, tagged ident), not stderr. */
struct floe_log_port floe_posix_syslog(int level, const char *ident);

/** All of the above in one struct. */
struct floe_ports floe_posix_ports(const struct floe_log_port *log);

#ifdef __cplusplus
}
#endif
#endif
