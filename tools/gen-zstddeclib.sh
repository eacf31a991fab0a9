#!/usr/bin/env bash
# Generates zstd's single-file decoder from an unpacked zstd source tree, with
# zstd's own amalgamation tool (build/single_file_libs/combine.py, or combine.sh
# when python3 >= 3.8 is absent), the way create_single_file_decoder.sh does.
#
# Usage: tools/gen-zstddeclib.sh ZSTD_SRC OUT.c
#
# One change to zstd's input: zstddeclib-in.c hard-codes ZSTD_STRIP_ERROR_STRINGS;
# that line is dropped so src/ndjson/zstd_dec.c decides (floe keeps the strings
# for its error messages). Used by tools/fetch-deps.sh and mk/deps.mk.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 ZSTD_SRC OUT.c" >&2; exit 2; }
src=$(cd "$1" && pwd)
out=$2
sfl=$src/build/single_file_libs
in=$sfl/zstddeclib-in.c
if [ ! -f "$in" ] || [ ! -f "$src/lib/zstd.h" ]; then
  echo "gen-zstddeclib: $1 is not a zstd source tree" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
tmp_in=$out.in.$$.c
tmp_out=$out.$$.tmp
log=$out.$$.log
trap 'rm -f "$tmp_in" "$tmp_out" "$log"' EXIT

strip='#define ZSTD_STRIP_ERROR_STRINGS'
[ "$(grep -cx "$strip" "$in")" -eq 1 ] ||
  { echo "gen-zstddeclib: $in changed shape (no single '$strip' line); review this script" >&2; exit 1; }
grep -vx "$strip" "$in" >"$tmp_in"

# Same arguments as create_single_file_decoder.sh; legacy formats stay out. The
# tools list every file they inline on stderr: shown only when they fail.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; assert sys.version_info >= (3, 8)' 2>/dev/null; then
  combine=(python3 "$sfl/combine.py")
else
  # combine.sh matches -x against the include text, which is relative in decompress/.
  combine=(sh "$sfl/combine.sh" -x ../legacy/zstd_legacy.h)
fi
"${combine[@]}" -r "$src/lib" -x legacy/zstd_legacy.h -o "$tmp_out" "$tmp_in" 2>"$log" ||
  { cat "$log" >&2; echo "gen-zstddeclib: ${combine[*]} failed" >&2; exit 1; }
grep -q 'ZSTD_decompressStream' "$tmp_out" || { echo "gen-zstddeclib: amalgamation looks empty" >&2; exit 1; }
mv -f "$tmp_out" "$out"
