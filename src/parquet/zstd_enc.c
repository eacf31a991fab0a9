/* floe's build of zstd's compressor, for Parquet pages (FLOE_PARQUET_ZSTD).
 *
 * Built only with FLOE_ZSTD_COMPRESS=1 (mk/deps.mk), from the same pinned
 * zstd sources as the decoder: this file sets the options floe wants and
 * includes zstd's compress/ sources as one translation unit, the way zstd's
 * own single-file library (build/single_file_libs/zstd-in.c) does. zstd's
 * common/ code (errors, entropy tables, FSE/HUF readers) comes from the
 * decoder's object (src/ndjson/zstd_dec.c), which exports it. Compiled as
 * third-party code: without floe's warning flags.
 *
 * No heap: the writer places its context in the arena with
 * ZSTD_initStaticCCtx() (sized by ZSTD_estimateCCtxSize_usingCParams), so
 * the allocator hooks below lead nowhere; anything that would allocate
 * fails with ZSTD_error_memory_allocation. */

#define ZSTD_DEPS_MALLOC
#define ZSTD_malloc(s) ((void)(s), (void *)0)
#define ZSTD_calloc(n, s) ((void)(n), (void)(s), (void *)0)
#define ZSTD_free(p) ((void)(p))
#define ZSTD_DEPS_NEED_MATH64

#define DEBUGLEVEL 0
#define XXH_NAMESPACE ZSTD_
#define XXH_PRIVATE_API
#define XXH_INLINE_ALL
#define ZSTD_LEGACY_SUPPORT 0
#define ZSTD_TRACE 0
#define ZSTD_DISABLE_ASM 1
#ifndef DYNAMIC_BMI2
#define DYNAMIC_BMI2 0
#endif
/* ZSTD_compress() would put a context on the stack: never, here. */
#define ZSTD_HEAPMODE 1

/* floe compresses pages (32 KiB by default) at one fixed level
 * (FLOE_PARQUET_ZSTD_LEVEL, a dfast level): the lazy and optimal parsers
 * are left out, which keeps about two thirds of zstd's compressor code out
 * of libfloe.a. Levels that would use them fall back to dfast. */
#ifndef FLOE_ZSTD_ALL_STRATEGIES
#define ZSTD_EXCLUDE_GREEDY_BLOCK_COMPRESSOR
#define ZSTD_EXCLUDE_LAZY_BLOCK_COMPRESSOR
#define ZSTD_EXCLUDE_LAZY2_BLOCK_COMPRESSOR
#define ZSTD_EXCLUDE_BTLAZY2_BLOCK_COMPRESSOR
#define ZSTD_EXCLUDE_BTOPT_BLOCK_COMPRESSOR
#define ZSTD_EXCLUDE_BTULTRA_BLOCK_COMPRESSOR
#endif

#include "common/zstd_deps.h"

#include "compress/fse_compress.c"
#include "compress/hist.c"
#include "compress/huf_compress.c"
#include "compress/zstd_compress_literals.c"
#include "compress/zstd_compress_sequences.c"
#include "compress/zstd_compress_superblock.c"
#include "compress/zstd_preSplit.c"
#include "compress/zstd_compress.c"
#include "compress/zstd_double_fast.c"
#include "compress/zstd_fast.c"
#include "compress/zstd_lazy.c"
#include "compress/zstd_ldm.c"
#include "compress/zstd_opt.c"
