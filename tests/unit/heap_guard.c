/* The no-heap invariant, enforced at link time: the unit-test binary links
 * libfloe.a with -Wl,--wrap=malloc,calloc,realloc,free, so every heap call
 * made from the library's objects lands here and is counted. Test code does
 * not call the heap, so any count is the library's. */
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static unsigned long heap_calls;

unsigned long floe_test_heap_calls(void);
unsigned long floe_test_heap_calls(void)
{
    return heap_calls;
}

void floe_test_heap_reset(void);
void floe_test_heap_reset(void)
{
    heap_calls = 0;
}

void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
    heap_calls++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m);
void *__wrap_calloc(size_t n, size_t m)
{
    heap_calls++;
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n)
{
    heap_calls++;
    return __real_realloc(p, n);
}

void __wrap_free(void *p);
void __wrap_free(void *p)
{
    if (p != NULL)
        heap_calls++;
    __real_free(p);
}
