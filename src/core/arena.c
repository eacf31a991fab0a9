#include "floe/arena.h"
#include "floe/error.h"
#include "floe_deps.h"

int floe_arena_init(struct floe_arena *a, void *buf, size_t size)
{
    uintptr_t addr, aligned;
    if (a == NULL || (buf == NULL && size != 0))
        return FLOE_ERR_INVAL;
    a->base = NULL;
    a->size = 0;
    a->used = 0;
    a->high_water = 0;
    if (buf == NULL)
        return FLOE_OK;
    addr = (uintptr_t)buf;
    aligned = (addr + (FLOE_ARENA_ALIGN - 1u)) & ~(uintptr_t)(FLOE_ARENA_ALIGN - 1u);
    if (aligned - addr >= size) {
        /* Too small to hold even one aligned byte: an empty arena. */
        a->base = (uint8_t *)buf;
        return FLOE_OK;
    }
    a->base = (uint8_t *)aligned;
    a->size = size - (size_t)(aligned - addr);
    return FLOE_OK;
}

void floe_arena_init_counting(struct floe_arena *a)
{
    a->base = NULL;
    a->size = SIZE_MAX;
    a->used = 0;
    a->high_water = 0;
}

int floe_arena_counting(const struct floe_arena *a)
{
    return a->base == NULL && a->size == SIZE_MAX;
}

/* Offset of the next byte aligned to align, or SIZE_MAX on overflow. */
static size_t aligned_offset(const struct floe_arena *a, size_t align)
{
    /* base is 8-aligned; larger alignments depend on the address itself. */
    uintptr_t at = (uintptr_t)a->base + a->used;
    uintptr_t pad = (uintptr_t)(0u - at) & (uintptr_t)(align - 1u);
    if (a->used > SIZE_MAX - pad)
        return SIZE_MAX;
    return a->used + (size_t)pad;
}

int floe_arena_take(struct floe_arena *a, size_t size, size_t align, void **out)
{
    int err = floe_arena_take_raw(a, size, align, out);
    if (err == FLOE_OK && *out != NULL)
        floe_memset(*out, 0, size);
    return err;
}

int floe_arena_take_raw(struct floe_arena *a, size_t size, size_t align, void **out)
{
    size_t off;
    if (a == NULL || out == NULL || align == 0 || align > 64 || (align & (align - 1u)) != 0)
        return FLOE_ERR_INVAL;
    *out = NULL;
    off = aligned_offset(a, align);
    if (off == SIZE_MAX || size == SIZE_MAX || off > a->size || size > a->size - off)
        return FLOE_ERR_NOMEM;
    a->used = off + size;
    if (a->used > a->high_water)
        a->high_water = a->used;
    if (a->base != NULL)
        *out = a->base + off;
    return FLOE_OK;
}

size_t floe_arena_left(const struct floe_arena *a, size_t align)
{
    size_t off = aligned_offset(a, align ? align : 1u);
    return off >= a->size ? 0 : a->size - off;
}

size_t floe_arena_mark(const struct floe_arena *a)
{
    return a->used;
}

void floe_arena_rewind(struct floe_arena *a, size_t mark)
{
    FLOE_ASSERT(mark <= a->used);
    if (mark <= a->used)
        a->used = mark;
}

int floe_arena_slice(struct floe_arena *parent, size_t size, struct floe_arena *child)
{
    void *p;
    /* Not zeroed: the child's own takes zero what they hand out, and a
     * slice untouched until used costs no physical memory on Linux. */
    int err = floe_arena_take_raw(parent, size, FLOE_ARENA_ALIGN, &p);
    if (err != FLOE_OK)
        return err;
    if (p == NULL) {
        floe_arena_init_counting(child);
        return FLOE_OK;
    }
    return floe_arena_init(child, p, size);
}
