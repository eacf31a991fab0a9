# Budgets checked by `make budgets` (part of `make test`), set from the sizes
# measured on 2026-11-21 plus about 10% (docs/budgets.md has the measurements).
# BUDGET_TEXT   text bytes of libfloe.a (size -t, all members): measured 250304 (250732 later)
# BUDGET_STACK  worst stack path over the public entry points, bytes (tools/stack_report.py,
#               ports and callbacks not included): measured 7472
# BUDGET_FRAME  largest single frame reachable from them: measured 1184 (an mbedTLS
#               RSA-PSS verify); the convention's limit, 1536
# BUDGET_TEXT raised for zstd's compressor (FLOE_ZSTD_COMPRESS=1, this board's default):
#   libfloe.a text measured 433169 on 2026-12-03, of which zstd_enc.o 178146
# BUDGET_TEXT raised by the page index's code (4546 bytes of text in writer.o):
#   libfloe.a text measured 478456 on 2026-12-05 (make budgets)
# BUDGET_TEXT raised by re-packing a page as its dictionary indices widen
#   (floe_rle_widen): libfloe.a text measured 482102 on 2026-12-05 (make budgets)
BUDGET_TEXT := 483500
BUDGET_STACK := 8220
BUDGET_FRAME := 1536
# BUDGET_LINKED_TEXT  text bytes of the linked floe CLI: measured 659952 on 2026-12-03
# BUDGET_LINKED_TEXT: floe CLI, with zstd's compressor for ZSTD pages: measured 864625 on 2026-12-03 (make budgets)
BUDGET_LINKED_TEXT := 951000
# BUDGET_ARENA_WRITER / _UPLOADER  arena bytes of the writer and uploader loops with the
#               default config and the telemetry schema (make arena): measured 3606138 / 961248
BUDGET_ARENA_WRITER := 3970000
BUDGET_ARENA_UPLOADER := 1058000
