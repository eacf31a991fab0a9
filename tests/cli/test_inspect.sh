#!/bin/sh
# `floe inspect` and `floe schema infer` end to end: telemetry NDJSON through
# `floe convert`, the file read back by inspect (summary, statistics, values
# against the input lines, raw footer), a schema inferred from the same input
# and used for a second conversion, and broken files and arguments.
#
#   tests/cli/test_inspect.sh            uses build/host/floe
#   FLOE=path/to/floe tests/cli/test_inspect.sh
#   FLOE_FUZZ_SEEDS=dir ...              also writes seeds for tests/fuzz/fuzz_pqread.c
#
# Needs python3 (the generator and the comparisons); zstd is optional.
# Exit status: 0 when every check passed.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
FLOE=${FLOE:-$TOP/build/host/floe}
GEN=${GEN_TELEMETRY:-$TOP/../shared/bench/gen_telemetry.py}
ROWS=${ROWS:-30000}
SCHEMA=$TOP/tools/schemas/telemetry.json

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
    name=$1
    shift
    if "$@" >"$W/check.out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/     /' "$W/check.out" | head -20; fi
}
exit_code() { # exit_code WANT NAME COMMAND...: passes when the command exits WANT
    want=$1
    name=$2
    shift 2
    "$@" >"$W/ec.out" 2>"$W/ec.err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name (exit $got)"; else bad "$name: exit $got, want $want"; head -5 "$W/ec.err"; fi
}

for need in "$FLOE" "$GEN"; do
    if [ ! -e "$need" ]; then
        echo "test_inspect: $need is missing (build the CLI: make cli)"
        echo "0 passed, 1 failed"
        exit 1
    fi
done
if ! command -v python3 >/dev/null 2>&1; then
    echo "test_inspect: python3 is needed"
    echo "0 passed, 1 failed"
    exit 1
fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM

# Compares NDJSON rows printed by inspect (lines starting with '{') with the
# input lines, through the schema that wrote the file: paths, timestamps,
# nulls and the _extra column.
cat >"$W/cmp.py" <<'EOF'
import json, sys, datetime, re
def ts_us(s):
    m = re.match(r'(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)?$', s)
    y, mo, d, h, mi, se, fr, tz = m.groups()
    days = (datetime.date(int(y), int(mo), int(d)) - datetime.date(1970, 1, 1)).days
    secs = days * 86400 + int(h) * 3600 + int(mi) * 60 + int(se)
    if tz and tz not in 'Zz':
        off = int(tz[1:3]) * 3600 + int(tz[4:6]) * 60
        secs -= off if tz[0] == '+' else -off
    return secs * 1000000 + int(((fr or '') + '000000')[:6])
schema = json.load(open(sys.argv[1]))
inp = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
out = [json.loads(l) for l in open(sys.argv[3]) if l.startswith('{')]
n = int(sys.argv[4])
if len(out) != n:
    sys.exit("%d rows printed, want %d" % (len(out), n))
bad = 0
for i, (a, b) in enumerate(zip(inp, out)):
    tops = set()
    for c in schema['columns']:
        path = c.get('path', c['name']).split('.')
        tops.add(path[0])
        v = a
        for p in path:
            v = v.get(p) if isinstance(v, dict) else None
        w = b.get(c['name'], 'MISSING')
        if c['type'].startswith('timestamp') and isinstance(v, str):
            v = ts_us(v)
            w = ts_us(w) if isinstance(w, str) else w
        if v != w or type(v) is bool and type(w) is not bool:
            bad += 1
            if bad < 10:
                print("row %d column %s: input %r, file %r" % (i, c['name'], v, w))
    if schema.get('extra'):
        extra = {k: v for k, v in a.items() if k not in tops}
        got = json.loads(b['_extra']) if b.get('_extra') is not None else {}
        if extra != got:
            bad += 1
            if bad < 10:
                print("row %d _extra: input %r, file %r" % (i, extra, got))
sys.exit(1 if bad else 0)
EOF

# The statistics inspect prints for the telemetry file, against the input.
cat >"$W/stats.py" <<'EOF'
import json, sys, re
inp = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
text = open(sys.argv[2]).read()
def col(name):
    m = re.search(r'^  "%s": (.*)$' % re.escape(name), text, re.M)
    if not m:
        sys.exit("no line for column " + name)
    return dict(kv.split('=', 1) for kv in m.group(1).split(' ') if '=' in kv)
bad = []
ts = col('ts')
first = inp[0]['ts'].rstrip('Z')
last = max(r['ts'] for r in inp).rstrip('Z')
if not ts['min'].startswith(first) or not ts['max'].startswith(last):
    bad.append('ts min/max %s %s, input %s %s' % (ts['min'], ts['max'], first, last))
for name in ('humidity', 'battery_v', 'rssi', 'fw'):
    nulls = sum(1 for r in inp if r.get(name) is None)
    if col(name)['nulls'] != str(nulls):
        bad.append('%s nulls %s, input %d' % (name, col(name)['nulls'], nulls))
seq = col('seq')
if int(seq['min']) != min(r['seq'] for r in inp) or int(seq['max']) != max(r['seq'] for r in inp):
    bad.append('seq min/max')
dev = col('device_id')
if dev['min'] != json.dumps(min(r['device_id'] for r in inp)) or dev['codec'] != 'SNAPPY':
    bad.append('device_id min %s codec %s' % (dev['min'], dev['codec']))
if col('ok')['min'] != 'false' or col('ok')['max'] != 'true':
    bad.append('ok min/max')
if 'rows: %d' % len(inp) not in text or 'created_by: "floe version' not in text:
    bad.append('rows or created_by')
for line in ('"ts"', 'TIMESTAMP(MICROS, UTC)', '"tags.site"', '"floe.schema" = "'):
    if line not in text:
        bad.append('missing ' + line)
if bad:
    sys.exit('\n'.join(bad))
EOF

python3 "$GEN" --rows "$ROWS" >"$W/in.ndjson"
head -n 5 "$W/in.ndjson" >"$W/in5.ndjson"

# ---- convert, inspect ---------------------------------------------------------
check "convert telemetry" "$FLOE" convert --schema "$SCHEMA" -o "$W/out" "$W/in.ndjson"
PQ=$(ls "$W"/out/*.parquet 2>/dev/null | head -n 1)
[ -n "$PQ" ] && ok "one Parquet file written" || bad "no Parquet file written"
PQ=${PQ:-$W/missing.parquet}

exit_code 0 "inspect" "$FLOE" inspect "$PQ"
cp "$W/ec.out" "$W/summary.txt"
check "summary and statistics match the input" python3 "$W/stats.py" "$W/in.ndjson" "$W/summary.txt"

exit_code 0 "inspect --values 5" "$FLOE" inspect "$PQ" --values 5
cp "$W/ec.out" "$W/v5.txt"
check "--values 5 match the first 5 input lines" python3 "$W/cmp.py" "$SCHEMA" "$W/in5.ndjson" "$W/v5.txt" 5

exit_code 0 "inspect --values $ROWS" "$FLOE" inspect --values "$ROWS" "$PQ"
cp "$W/ec.out" "$W/vall.txt"
check "all $ROWS rows match the input" python3 "$W/cmp.py" "$SCHEMA" "$W/in.ndjson" "$W/vall.txt" "$ROWS"

exit_code 0 "inspect --values past the end" "$FLOE" inspect --values 1000000 "$PQ"
check "--values past the end prints every row" test "$(grep -c '^{' "$W/ec.out")" -eq "$ROWS"

exit_code 0 "inspect --raw" "$FLOE" inspect --raw "$PQ"
check "--raw dumps the footer" grep -q '^  4: list<struct>\[1\]' "$W/ec.out"

exit_code 0 "inspect --pages" "$FLOE" inspect --pages "$PQ"
cp "$W/ec.out" "$W/pages.txt"
check "--pages: each chunk's pages follow one another from its first data page and hold its rows" python3 -c '
import re, sys
text = open(sys.argv[1]).read().split("\n")
chunks = 0
i = 0
while i < len(text):
    m = re.match(r"row group \d+: rows=(\d+)", text[i])
    if m:
        rows = int(m.group(1))
    m = re.match(r"  \"[^\"]+\": .* data@(\d+)", text[i])
    if m:
        at = int(m.group(1))
        h = re.match(r"    page index: (\d+) pages, offset index, column index \((ASCENDING|DESCENDING|UNORDERED)\)$", text[i + 1])
        assert h, text[i + 1]
        n, total = int(h.group(1)), 0
        for k in range(n):
            p = re.match(r"    page %d: offset=(\d+) size=(\d+) first_row=(\d+) rows=(\d+) nulls=\d+ (min=|null page)" % k, text[i + 2 + k])
            assert p, text[i + 2 + k]
            off, size, first, cnt = map(int, p.groups()[:4])
            assert off == at and first == total and cnt > 0, (text[i], k, off, at, first, total)
            at, total = off + size, total + cnt
        assert total == rows, (text[i], total, rows)
        chunks += 1
        i += 1 + n
    i += 1
assert chunks >= 12, chunks
' "$W/pages.txt"
python3 -c '
import re, sys
b = bytearray(open(sys.argv[1], "rb").read())
m = re.search(r"column_index=(\d+) bytes@(\d+)", open(sys.argv[2]).read())
n, at = int(m.group(1)), int(m.group(2))
b[at:at + n] = b"\xff" * n
open(sys.argv[3], "wb").write(b)' "$PQ" "$W/pages.txt" "$W/badindex.parquet"
exit_code 1 "inspect --pages, a column index overwritten" "$FLOE" inspect --pages "$W/badindex.parquet"
check "its line says what is wrong" grep -q "^    page index: column index: " "$W/ec.out"
exit_code 0 "inspect without --pages reads no index" "$FLOE" inspect "$W/badindex.parquet"

# ---- schema infer -------------------------------------------------------------
exit_code 0 "schema infer" "$FLOE" schema infer "$W/in.ndjson"
cp "$W/ec.out" "$W/inferred.json"
check "inferred types" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in s["columns"]}
want = {"ts": ("timestamp_us", False), "device_id": ("string", False), "seq": ("int64", False),
        "temp_c": ("double", False), "humidity": ("double", True), "rssi": ("int64", True),
        "ok": ("bool", False), "tags.site": ("string", True), "tags.line": ("string", True)}
for k, (t, n) in want.items():
    assert c[k]["type"] == t and c[k]["nullable"], (k, c[k])
assert c["tags.site"]["path"] == "tags.site" and s["extra"] is False
' "$W/inferred.json"
exit_code 0 "schema infer --required" "$FLOE" schema infer --required "$W/in.ndjson"
check "--required: fields always present are required" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in s["columns"]}
want = {"ts": False, "device_id": False, "seq": False, "temp_c": False, "humidity": True, "rssi": True,
        "ok": False, "tags.site": True, "tags.line": True}
for k, n in want.items():
    assert c[k]["nullable"] == n, (k, c[k])
' "$W/ec.out"
printf '{"device_id":"a","ts":"2024-01-01T00:00:00Z"}\n' >"$W/later.ndjson"
exit_code 0 "a later record without most fields, with the default inferred schema" \
    "$FLOE" convert --schema "$W/inferred.json" -o "$W/out-later" "$W/later.ndjson"
check "it lands, not in dead letters" test ! -e "$W/out-later/dead-letters.ndjson"
exit_code 0 "convert with the inferred schema" "$FLOE" convert --schema "$W/inferred.json" -o "$W/out2" "$W/in.ndjson"
check "no dead letters with the inferred schema" test ! -e "$W/out2/dead-letters.ndjson"
PQ2=$(ls "$W"/out2/*.parquet 2>/dev/null | head -n 1)
exit_code 0 "inspect the second file" "$FLOE" inspect --values "$ROWS" "${PQ2:-$W/missing.parquet}"
check "second file's rows match the input" python3 "$W/cmp.py" "$W/inferred.json" "$W/in.ndjson" "$W/ec.out" "$ROWS"

exit_code 0 "schema infer --rows 10" "$FLOE" schema infer --rows 10 "$W/in.ndjson"
printf '{"a":1,"b":[1],"c":"2024-01-01","d":{"e":true},"m":1,"o":{"x":1}}\n{"a":2.5,"c":"2024-01-02","d":{"e":null},"m":"s","o":"flat","q":{}}\n{"k.j":1}\n' >"$W/small.ndjson"
exit_code 0 "schema infer widening" "$FLOE" schema infer "$W/small.ndjson"
check "int and float widen to double; arrays, mixed types, sometimes-objects are json; a dotted key goes to _extra" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in s["columns"]}
assert c["a"]["type"] == "double" and c["c"]["type"] == "date" and c["d.e"]["type"] == "bool"
assert c["d.e"]["nullable"] and c["c"]["nullable"] and s["extra"] is True
assert [c[k]["type"] for k in ("b", "m", "o", "q")] == ["json"] * 4 and "o.x" not in c and "k.j" not in c
' "$W/ec.out"
cp "$W/ec.out" "$W/small-schema.json"
exit_code 0 "convert with json columns" "$FLOE" convert --schema "$W/small-schema.json" -o "$W/out-json" "$W/small.ndjson"
check "json columns: 3 records, no dead letters" grep -q ' 3 records, 0 dead letters' "$W/ec.err"
if command -v zstd >/dev/null 2>&1; then
    zstd -q "$W/in.ndjson" -o "$W/in.ndjson.zst"
    exit_code 0 "schema infer on .zst" "$FLOE" schema infer "$W/in.ndjson.zst"
    check "same schema from .zst" cmp "$W/ec.out" "$W/inferred.json"
fi
exit_code 1 "schema infer, no such file" "$FLOE" schema infer "$W/nope.ndjson"
exit_code 2 "schema infer, no file" "$FLOE" schema infer
exit_code 2 "schema infer --rows x" "$FLOE" schema infer --rows x "$W/in.ndjson"

# ---- broken files and arguments ---------------------------------------------------
SIZE=$(wc -c <"$PQ")
exit_code 2 "inspect, no file" "$FLOE" inspect
exit_code 2 "inspect --values x" "$FLOE" inspect "$PQ" --values x
exit_code 2 "inspect, unknown option" "$FLOE" inspect "$PQ" --bogus
exit_code 1 "inspect, no such file" "$FLOE" inspect "$W/nope.parquet"
exit_code 1 "inspect a directory" "$FLOE" inspect "$W"
exit_code 1 "inspect NDJSON" "$FLOE" inspect "$W/in.ndjson"
: >"$W/empty.parquet"
exit_code 1 "inspect an empty file" "$FLOE" inspect "$W/empty.parquet"
head -c $((SIZE - 100)) "$PQ" >"$W/trunc.parquet"
exit_code 1 "inspect a truncated file" "$FLOE" inspect "$W/trunc.parquet"
# footer length beyond the file
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-8:-4] = (len(b) * 2).to_bytes(4, "little")
open(sys.argv[2], "wb").write(b)' "$PQ" "$W/badlen.parquet"
exit_code 1 "inspect, footer length beyond the file" "$FLOE" inspect "$W/badlen.parquet"
check "the message says so" grep -q "footer length" "$W/ec.err"
# footer bytes scrambled
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
n = int.from_bytes(b[-8:-4], "little")
for i in range(len(b) - 8 - n, len(b) - 8, 7):
    b[i] ^= 0x5a
open(sys.argv[2], "wb").write(b)' "$PQ" "$W/badfooter.parquet"
exit_code 1 "inspect, scrambled footer" "$FLOE" inspect "$W/badfooter.parquet"
exit_code 1 "inspect --raw, scrambled footer" "$FLOE" inspect --raw "$W/badfooter.parquet"
# page bytes scrambled: an error or wrong values, never a crash
python3 -c '
import sys, random
b = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(7)
for _ in range(200):
    b[r.randrange(4, 60000)] = r.randrange(256)
open(sys.argv[2], "wb").write(b)' "$PQ" "$W/badpages.parquet"
"$FLOE" inspect --values "$ROWS" "$W/badpages.parquet" >/dev/null 2>"$W/bp.err"
rc=$?
if [ "$rc" -le 1 ]; then ok "inspect, scrambled pages (exit $rc: $(head -c 120 "$W/bp.err"))"; else bad "inspect, scrambled pages: exit $rc"; fi

# ---- seeds for the fuzz target ---------------------------------------------------
if [ -n "${FLOE_FUZZ_SEEDS:-}" ]; then
    mkdir -p "$FLOE_FUZZ_SEEDS"
    python3 "$GEN" --rows 300 >"$W/seed.ndjson"
    "$FLOE" convert --schema "$SCHEMA" -o "$W/seed" "$W/seed.ndjson" >/dev/null 2>&1
    # (no all-null column here: see the writer's --codec none issue)
    "$FLOE" convert --schema "$W/inferred.json" --codec none -o "$W/seed-none" "$W/seed.ndjson" >/dev/null 2>&1
    for f in "$W"/seed/*.parquet "$W"/seed-none/*.parquet; do
        [ -e "$f" ] || continue
        "$FLOE" inspect "$f" >"$W/seed.txt" || continue
        python3 - "$f" "$W/seed.txt" "$FLOE_FUZZ_SEEDS" <<'EOF'
import sys, re, os, hashlib
path, text, out = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
data = open(path, "rb").read()
def put(blob):
    open(os.path.join(out, hashlib.sha1(blob).hexdigest()), "wb").write(blob)
put(b"\x00" + data)
types = {"BOOLEAN": 0, "INT32": 1, "INT64": 2, "FLOAT": 4, "DOUBLE": 5, "BYTE_ARRAY": 6}
schema = {}
for m in re.finditer(r'^  "([^"]+)"\s+(\S+)\s+(.+?)\s+(required|optional)$', text, re.M):
    schema[m.group(1)] = (types.get(m.group(2), 6), m.group(3), m.group(4))
for m in re.finditer(r'^  "([^"]+)": codec=(\S+) .*compressed=(\d+) .* dictionary=(?:yes@(\d+)|no) data@(\d+)', text, re.M):
    name, codec, size, dic, dat = m.groups()
    t, logical, rep = schema[name]
    start = int(dic) if dic else int(dat)
    lt = 1 if logical == "STRING" else 2 if logical.startswith("TIMESTAMP") else 0
    opts = (1 if rep == "optional" else 0) | (4 if codec == "SNAPPY" else 0) | (lt << 3)
    put(bytes([1, t, opts, 0x40]) + data[start:start + int(size)])
EOF
    done
    echo "seeds written to $FLOE_FUZZ_SEEDS: $(ls "$FLOE_FUZZ_SEEDS" | wc -l) files"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
