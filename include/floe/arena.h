/* floe: the arena, the only memory the library uses.
 *
 * The caller hands over one buffer; modules carve what they need from it with
 * aligned bump allocation and never give it back one piece at a time. A
 * module's size function runs the very code that carves (on a counting arena
 * with no buffer), so the size it reports and what init takes cannot drift.
 *
 *     struct floe_arena a;
 *     floe_arena_init(&a, buf, sizeof buf);
 *     void *p;
 *     if (floe_arena_take(&a, 4096, 8, &p) != FLOE_OK) ... FLOE_ERR_NOMEM
 */
#ifndef FLOE_ARENA_H
#define FLOE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Alignment every arena hands out by default (enough for any scalar). */
#define FLOE_ARENA_ALIGN 8u

/** Rounds n up to a multiple of align (a power of two). */
#define FLOE_ALIGN_UP(n, align) (((n) + ((align) - 1u)) & ~((size_t)(align) - 1u))

struct floe_arena {
    uint8_t *base;     /* NULL: a counting arena (sizes only, hands out NULL) */
    size_t size;       /* bytes in base; SIZE_MAX for a counting arena */
    size_t used;       /* bytes taken so far, including alignment padding */
    size_t high_water; /* the most that was ever used (survives rewind) */
};

/**
 * @brief Makes an arena over buf[0..size). A buf that is not aligned to
 * FLOE_ARENA_ALIGN loses its first bytes to alignment.
 * @return FLOE_OK, or FLOE_ERR_INVAL for a NULL arena or a NULL buf with size.
 */
int floe_arena_init(struct floe_arena *a, void *buf, size_t size);

/** @brief Makes a counting arena: takes always succeed and only add up sizes. */
void floe_arena_init_counting(struct floe_arena *a);

/** @brief Nonzero when @p a only counts (no memory behind it). */
int floe_arena_counting(const struct floe_arena *a);

/**
 * @brief Takes @p size bytes aligned to @p align (a power of two, at most 64).
 * The memory is zeroed. On a counting arena *out is set to NULL.
 * @return FLOE_OK; FLOE_ERR_NOMEM when the arena is short (nothing is taken);
 *         FLOE_ERR_INVAL for a bad alignment.
 */
int floe_arena_take(struct floe_arena *a, size_t size, size_t align, void **out);

/**
 * @brief As floe_arena_take(), but the memory is left as it is: for large
 * buffers that are always written before they are read (pages, I/O and
 * compression buffers). Untouched, they cost no physical memory until used.
 */
int floe_arena_take_raw(struct floe_arena *a, size_t size, size_t align, void **out);

/** @brief Bytes still free in the arena at the given alignment. */
size_t floe_arena_left(const struct floe_arena *a, size_t align);

/** @brief A position to rewind to: everything taken after it is released. */
size_t floe_arena_mark(const struct floe_arena *a);
void floe_arena_rewind(struct floe_arena *a, size_t mark);

/**
 * @brief Splits @p size bytes off as a new arena (for a module or a third
 * party library that manages its own slice). The child's high-water mark is
 * its own; the parent counts the whole slice as used. The slice is not
 * zeroed (floe_arena_take on the child zeroes what it hands out).
 */
int floe_arena_slice(struct floe_arena *parent, size_t size, struct floe_arena *child);

#ifdef __cplusplus
}
#endif
#endif
