/* A test port that wraps real ports and misbehaves on purpose: the Nth call
 * of a chosen kind fails with a chosen error, transfers only part of its
 * bytes, or returns 0 (would block). Tests loop N over every call a scenario
 * makes, so each error path in the library is reached. */
#ifndef FLOE_FAULT_H
#define FLOE_FAULT_H

#include "floe/port.h"

#ifdef __cplusplus
extern "C" {
#endif

enum floe_fault_op {
    FLOE_FAULT_FS_OPEN, FLOE_FAULT_FS_READ, FLOE_FAULT_FS_WRITE, FLOE_FAULT_FS_SYNC,
    FLOE_FAULT_FS_CLOSE, FLOE_FAULT_FS_RENAME, FLOE_FAULT_FS_REMOVE, FLOE_FAULT_FS_MKDIR,
    FLOE_FAULT_FS_SYNC_DIR, FLOE_FAULT_FS_LIST, FLOE_FAULT_FS_STAT, FLOE_FAULT_FS_FREE,
    FLOE_FAULT_NET_CONNECT, FLOE_FAULT_NET_SEND, FLOE_FAULT_NET_RECV, FLOE_FAULT_NET_CLOSE,
    FLOE_FAULT_ENTROPY,
    FLOE_FAULT_OP_COUNT
};

enum floe_fault_kind {
    FLOE_FAULT_NONE = 0,
    FLOE_FAULT_FAIL,  /* return the rule's error without calling the real port */
    FLOE_FAULT_SHORT, /* read/write/send/recv: pass on only half the bytes (at least 1) */
    FLOE_FAULT_ZERO,  /* read/write/send/recv: return 0 without calling the real port */
    FLOE_FAULT_SHORT_THEN_FAIL /* call `at` is short (as SHORT), call at+1 fails with the
                                * rule's error (and every later one if sticky): a disk
                                * filling up mid-write */
};

struct floe_fault_rule {
    uint32_t at;    /* the 1-based call number that misbehaves; 0: never */
    uint8_t kind;   /* enum floe_fault_kind */
    uint8_t sticky; /* nonzero: every call from `at` on misbehaves */
    int error;      /* for FLOE_FAULT_FAIL */
};

struct floe_fault {
    struct floe_fs_port fs;           /* hand these to the code under test */
    struct floe_net_port net;
    struct floe_entropy_port entropy;
    const struct floe_fs_port *inner_fs;
    const struct floe_net_port *inner_net;
    const struct floe_entropy_port *inner_entropy;
    uint32_t calls[FLOE_FAULT_OP_COUNT];
    struct floe_fault_rule rule[FLOE_FAULT_OP_COUNT];
    uint32_t injected; /* how many calls misbehaved */
};

/** Wraps the given ports (any may be NULL if the test does not use it). */
void floe_fault_init(struct floe_fault *f, const struct floe_fs_port *fs,
                     const struct floe_net_port *net, const struct floe_entropy_port *entropy);

/** Makes call number @p at of @p op misbehave (see enum floe_fault_kind). */
void floe_fault_set(struct floe_fault *f, enum floe_fault_op op, uint32_t at,
                    enum floe_fault_kind kind, int error, int sticky);

/** Forgets all rules and zeroes the call counters. */
void floe_fault_reset(struct floe_fault *f);

/** Total calls seen across every op. */
uint32_t floe_fault_total_calls(const struct floe_fault *f);

#ifdef __cplusplus
}
#endif
#endif
