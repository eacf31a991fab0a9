/* floe: the whole public API in one include.
 *
 * floe turns NDJSON telemetry into Parquet files in S3-compatible object
 * storage, in a fixed arena handed over at init, with no heap. Start with
 * port.h (what the library needs from the platform) and arena.h (how memory
 * is given to it). Modules a board leaves out (FLOE_NO_TLS, the cortex-m7
 * core build) still declare their functions here; they are just not linked. */
#ifndef FLOE_FLOE_H
#define FLOE_FLOE_H

#include "floe/config.h"
#include "floe/version.h"
#include "floe/error.h"
#include "floe/arena.h"
#include "floe/port.h"
#include "floe/crc32c.h"
#include "floe/uuid.h"
#include "floe/utc.h"
#include "floe/sha256.h"
#include "floe/schema.h"
#include "floe/ndjson.h"
#include "floe/hooks.h"
#include "floe/parquet.h"
#include "floe/roll.h"
#include "floe/spool.h"
#include "floe/writer.h"
#include "floe/http.h"
#include "floe/tls.h"
#include "floe/sigv4.h"
#include "floe/s3.h"
#include "floe/uploader.h"

#endif
