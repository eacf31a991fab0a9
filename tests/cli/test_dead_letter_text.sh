#!/bin/bash
# Dead letters keep their line as it was: a UTF-8 line's "raw" is that text
# (not each byte of it escaped), a line that is not UTF-8 is written byte for
# byte as latin-1 code points and marked "raw_encoding":"latin1", and a line
# cut at the raw limit inside a character ends before that character; it is
# "truncated" only when cut (not for a dropped byte order mark or CR). Both
# writers: `floe convert` (OUTDIR/dead-letters.ndjson) and the spool
# (`floe convert --spool`, dead/*.ndjson).
#   FLOE=path/to/floe tests/cli/test_dead_letter_text.sh
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FLOE=${FLOE:-$TOP/build/host/floe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
python3 - "$work/in.ndjson" <<'PY'
import sys
lines = [
    '\ufeff{"ts":"2025-01-01T00:00:00Z","device_id":"café ☕ 𝄞"}',     # a byte order mark; UTF-8, missing seq
    b'{"ts":"2025-01-01T00:00:00Z","device_id":"\xff\xfe","seq":1}\r', # CRLF; not UTF-8
    '{"ts":"2025-01-01T00:00:00Z","device_id":"ok","seq":1}',             # a good row
    '{"ts":"x","device_id":"' + 'é' * 3000 + '"}',                        # long: cut at the raw limit
]
with open(sys.argv[1], "wb") as f:
    for l in lines:
        f.write((l if isinstance(l, bytes) else l.encode()) + b"\n")
PY
check() { # NAME FILE
  if python3 - "$2" "$work/in.ndjson" > "$work/check.log" 2>&1 <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
src = open(sys.argv[2], "rb").read().split(b"\n")
assert [d["line"] for d in got] == [1, 2, 4], [d["line"] for d in got]
for d in got:
    # raw is the record: the line without a leading byte order mark or its CR
    want = src[d["line"] - 1].removeprefix(b"\xef\xbb\xbf").removesuffix(b"\r")
    if d.get("raw_encoding") == "latin1":
        raw = d["raw"].encode("latin-1")
    else:
        assert "raw_encoding" not in d, d
        raw = d["raw"].encode("utf-8")
    if d.get("truncated"):
        assert want.startswith(raw) and len(want) - len(raw) < len(want) and d["length"] == len(want), (d["line"], len(raw))
        raw.decode("utf-8")  # whole characters only
    else:
        assert raw == want, (d["line"], raw[:60], want[:60])
assert got[0].get("raw_encoding") is None and "☕" in got[0]["raw"]
assert got[1]["raw_encoding"] == "latin1"
assert got[2]["truncated"] and got[2].get("raw_encoding") is None
assert not got[0]["truncated"] and not got[1]["truncated"]  # whole records, though shorter than their lines
print("ok", [(d["line"], d.get("raw_encoding", "utf-8"), len(d["raw"])) for d in got])
PY
  then echo "ok: $1: $(tail -1 "$work/check.log")"; passed=$((passed + 1))
  else echo "FAILED: $1: $(tail -3 "$work/check.log")"; failed=$((failed + 1)); fi
}
"$FLOE" convert --schema "$TOP/tools/schemas/telemetry.json" -o "$work/out" "$work/in.ndjson" > /dev/null 2>&1
check "floe convert dead-letters.ndjson" "$work/out/dead-letters.ndjson"
"$FLOE" convert --spool "$work/spool" --schema "$TOP/tools/schemas/telemetry.json" "$work/in.ndjson" > /dev/null 2>&1
cat "$work/spool"/dead/*.ndjson > "$work/spool-dead.ndjson" 2>/dev/null
check "spool dead letters" "$work/spool-dead.ndjson"
# The two writers write the same records, field for field (the spool's once
# lacked "code", and "truncated" when false).
if python3 - "$work/out/dead-letters.ndjson" "$work/spool-dead.ndjson" > "$work/same.log" 2>&1 <<'PY'
import json, sys
a, b = ([json.loads(l) for l in open(p, encoding="utf-8")] for p in sys.argv[1:3])
assert a == b, [(x, y) for x, y in zip(a, b) if x != y][:1]
assert all("code" in d and "truncated" in d for d in a)
print(len(a), "records alike")
PY
then echo "ok: convert's and the spool's dead letters are the same records: $(tail -1 "$work/same.log")"; passed=$((passed + 1))
else echo "FAILED: the two dead-letter writers differ: $(tail -2 "$work/same.log")"; failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
