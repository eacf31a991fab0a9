#ifndef FLOE_VERSION_H
#define FLOE_VERSION_H
/* The library's version, and separately the version of the on-disk formats
 * (spool, checkpoint): a disk format change bumps FLOE_DISK_VERSION. */
#define FLOE_VERSION_MAJOR 0
#define FLOE_VERSION_MINOR 1
#define FLOE_VERSION_PATCH 0
#define FLOE_VERSION_STRING "0.1.0"
#define FLOE_DISK_VERSION 1
#endif
