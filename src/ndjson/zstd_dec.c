/* floe's build of zstd's single-file decoder.
 *
 * zstddeclib.c is generated at build time from the pinned zstd sources
 * (tools/gen-zstddeclib.sh, driven by mk/deps.mk); this file only sets the
 * options floe wants and includes it. It is compiled as third-party code:
 * without floe's warning flags, and it goes into libfloe.a as one object.
 *
 * No heap: floe places the decoder in its arena with ZSTD_initStaticDStream()
 * (sized by ZSTD_estimateDStreamSize), so zstd's allocator hooks lead nowhere.
 * Anything that would allocate (ZSTD_createDCtx, ZSTD_decompress, dictionaries
 * by copy) fails cleanly with ZSTD_error_memory_allocation instead. */

/* Defined before zstd_deps.h is seen, which then skips <stdlib.h> and its
 * malloc-based versions of these three macros. */
#define ZSTD_DEPS_MALLOC
#define ZSTD_malloc(s) ((void)(s), (void *)0)
#define ZSTD_calloc(n, s) ((void)(n), (void)(s), (void *)0)
#define ZSTD_free(p) ((void)(p))

/* ZSTD_decompress() must keep its context off the stack (the stack form is
 * ~95 KiB); with the hooks above it simply reports memory_allocation. */
#define ZSTD_HEAPMODE 1

/* One code path on every target: no x86 BMI2 clones picked at run time by
 * cpuid (the generated file already disables zstd's assembly). */
#ifndef DYNAMIC_BMI2
#define DYNAMIC_BMI2 0
#endif

/* Leave out FSE/HUF helpers zstd itself never calls; some of them have
 * multi-KiB stack frames that would show up in `make stack`. */
#define ZSTD_NO_UNUSED_FUNCTIONS

/* Size over speed for the embedded boards: one Huffman decoder (X1) and one
 * sequence decoder (short offsets) instead of both of each. Build with
 * -DFLOE_ZSTD_FAST to keep both (about +20 KiB of code, faster on big inputs). */
#ifndef FLOE_ZSTD_FAST
#define HUF_FORCE_DECOMPRESS_X1
#define ZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT
#endif

/* Error strings stay (ZSTD_getErrorName): floe quotes them in its errors.
 * gen-zstddeclib.sh removed the define the stock amalgamation hard-codes. */

#ifdef FLOE_ZSTDDEC_C
#include FLOE_ZSTDDEC_C
#else
#include "zstddeclib.c"
#endif
