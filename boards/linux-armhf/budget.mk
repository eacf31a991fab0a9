# Budgets checked by `make budgets` (part of `make test`), set from the sizes
# measured on 2026-11-21 plus about 10% (docs/budgets.md has the measurements).
# BUDGET_TEXT   text bytes of libfloe.a (size -t, all members): measured 163297
# BUDGET_STACK  worst stack path over the public entry points, bytes (tools/stack_report.py,
#               ports and callbacks not included): measured 6324
# BUDGET_FRAME  largest single frame reachable from them: measured 1136 (an mbedTLS
#               RSA-PSS verify); the convention's limit, 1536
# BUDGET_TEXT raised for zstd's compressor (FLOE_ZSTD_COMPRESS=1, this board's default):
#   libfloe.a text measured 283281 on 2026-12-03, of which zstd_enc.o 116959
# BUDGET_TEXT raised by the page index's code (2708 bytes of text in writer.o):
#   libfloe.a text measured 312997 on 2026-12-05 (make budgets)
# BUDGET_TEXT raised by re-packing a page as its dictionary indices widen
#   (floe_rle_widen, +1020 bytes of text): libfloe.a text measured 315250 on 2026-12-05
BUDGET_TEXT := 316500
BUDGET_STACK := 6950
BUDGET_FRAME := 1536
# BUDGET_LINKED_TEXT  text bytes of the linked floe CLI: measured 407319 on 2026-12-03
# BUDGET_LINKED_TEXT: floe CLI, with zstd's compressor: measured 539740 on 2026-12-03 (make budgets)
BUDGET_LINKED_TEXT := 594000
