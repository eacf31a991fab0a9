# Budgets checked by `make budgets` (part of `make test`), set from the sizes
# measured on 2026-11-21 plus about 10% (docs/budgets.md has the measurements).
# BUDGET_TEXT   text bytes of libfloe.a (size -t, all members): measured 97713
# BUDGET_STACK  worst stack path over the public entry points, bytes (tools/stack_report.py,
#               ports and callbacks not included): measured 1624
# BUDGET_FRAME  largest single frame reachable from them: measured 776 (number.c slow_path); the limit
#               stays at the convention's 1536
# BUDGET_TEXT: libfloe.a, after the decoder fast paths: measured 103144 on 2026-12-03 (make budgets)
# BUDGET_TEXT raised by the page index's code (2152 bytes of text in writer.o):
#   libfloe.a text measured 114926 on 2026-12-05 (make budgets)
# BUDGET_TEXT raised by re-packing a page as its dictionary indices widen
#   (floe_rle_widen, +608 bytes of text): libfloe.a text measured 116347 on 2026-12-05
BUDGET_TEXT := 117000
# BUDGET_STACK: worst path, floe_ndjson_push, after the decoder fast paths: measured 1788 on 2026-12-03 (make budgets)
BUDGET_STACK := 1970
BUDGET_FRAME := 1536
# BUDGET_LINKED_TEXT  text bytes of the linked example firmware.elf: measured 80636 on 2026-12-03
# BUDGET_LINKED_TEXT: example firmware.elf, after the decoder fast paths: measured 85948 on 2026-12-03 (make budgets)
# BUDGET_LINKED_TEXT raised by floe_rle_widen (the example's writer re-packs pages):
#   firmware.elf text measured 94732 on 2026-12-05 (make budgets)
BUDGET_LINKED_TEXT := 95500
