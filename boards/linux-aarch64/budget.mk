# Budgets checked by `make budgets` (part of `make test`), set from the sizes
# measured on 2026-11-21 plus about 10% (docs/budgets.md has the measurements).
# BUDGET_TEXT   text bytes of libfloe.a (size -t, all members): measured 237648
# BUDGET_STACK  worst stack path over the public entry points, bytes (tools/stack_report.py,
#               ports and callbacks not included): measured 7552
# BUDGET_FRAME  largest single frame reachable from them: measured 1184 (an mbedTLS
#               RSA-PSS verify); the convention's limit, 1536
# BUDGET_TEXT raised for zstd's compressor (FLOE_ZSTD_COMPRESS=1, this board's default):
#   libfloe.a text measured 400513 on 2026-12-03, of which zstd_enc.o 158156
# BUDGET_TEXT raised by the page index's code (4236 bytes of text in writer.o):
#   libfloe.a text measured 442120 on 2026-12-05 (make budgets)
BUDGET_TEXT := 446000
BUDGET_STACK := 8300
BUDGET_FRAME := 1536
# BUDGET_LINKED_TEXT  text bytes of the linked floe CLI: measured 649689 on 2026-12-03
# BUDGET_LINKED_TEXT: floe CLI, with zstd's compressor: measured 832632 on 2026-12-03 (make budgets)
BUDGET_LINKED_TEXT := 916000
