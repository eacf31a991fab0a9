#!/usr/bin/env bash
# Integration tests: floe's Parquet read back by DuckDB, hyparquet, arrow-rs and Polars.
#
#   FLOE=build/host/floe NODE_PATH=build/npm/node_modules tests/integration/run.sh
#
# FLOE     the floe binary (default build/host/floe; a relative path is taken
#          from the current folder if it exists there, else from the repository)
# NODE_PATH  where @duckdb/node-api, hyparquet, parquet-wasm, apache-arrow and nodejs-polars are (tools/bootstrap.sh npm
#          installs them into build/npm/node_modules); missing modules FAIL
# FLOE_PROPERTY_SEED, FLOE_PROPERTY_CASES  passed on to property.mjs
# KEEP=1   keep the work folder even when everything passed
#
# Runs the bench generator's telemetry (50,000 rows, seed 7) through floe
# convert, plain, zstd-compressed, with snappy, zstd and no page compression and
# with small pages/row groups/files, and
# compares each with compare.mjs; then the property tests. The last line is
# "N passed, M failed"; the exit status is non-zero if anything failed.
set -u
CALLER=$(pwd)
# Relative NODE_PATH entries are the caller's: make them absolute before cd.
if [ -n "${NODE_PATH:-}" ]; then
    np=
    IFS=: read -r -a entries <<<"$NODE_PATH"
    for e in "${entries[@]}"; do
        case "$e" in '') continue ;; /*) ;; *) e=$CALLER/$e ;; esac
        np=${np:+$np:}$e
    done
    export NODE_PATH=$np
fi
cd "$(dirname "$0")/../.."
REPO=$(pwd)
HERE=$REPO/tests/integration
FLOE=${FLOE:-build/host/floe}
case "$FLOE" in
/*) ;;
*) if [ -e "$CALLER/$FLOE" ]; then FLOE=$CALLER/$FLOE; else FLOE=$REPO/$FLOE; fi ;;
esac
export FLOE
GEN=${GEN_TELEMETRY:-$REPO/../shared/bench/gen_telemetry.py}
SCHEMA=$REPO/tools/schemas/telemetry.json
WORK=$(mktemp -d "${TMPDIR:-/tmp}/floe-integ.XXXXXX")
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

finish() {
    if { [ "$failed" -eq 0 ] && [ "${KEEP:-0}" != 1 ]; } || [ -z "$(ls -A "$WORK")" ]; then
        rm -rf "$WORK"
    else
        echo "work folder kept: $WORK"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# ---- what the tests need: missing pieces are failures, never skips ----
ready=1
if ! command -v node >/dev/null 2>&1; then fail "node on PATH"; ready=0; fi
if [ "$ready" = 1 ]; then
    if out=$(node --input-type=module -e "
        const m = await import('$HERE/compare.mjs');
        try { await m.loadModules(); } catch (e) { console.error(e.message); process.exit(1); }" 2>&1); then
        pass "node modules (@duckdb/node-api, hyparquet, parquet-wasm, apache-arrow, nodejs-polars) from NODE_PATH=${NODE_PATH:-}"
    else
        fail "node modules: $out"
        ready=0
    fi
fi
if [ -x "$FLOE" ] && "$FLOE" convert --help >/dev/null 2>&1; then
    pass "floe binary $FLOE"
else
    fail "floe binary $FLOE (build it, or set FLOE)"
    ready=0
fi
for tool in python3 zstd; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool on PATH"; ready=0; }
done
[ -f "$GEN" ] || { fail "telemetry generator $GEN"; ready=0; }
[ "$ready" = 1 ] || finish

# ---- the bench telemetry ----
T=$WORK/telemetry.ndjson
if ! python3 "$GEN" --rows 50000 --seed 7 >"$T" 2>"$WORK/gen.err"; then
    fail "gen_telemetry.py --rows 50000 --seed 7 ($(tail -1 "$WORK/gen.err"))"
    finish
fi
zstd -q -f "$T" -o "$T.zst" || fail "zstd -q $T"

# telemetry NAME INPUT [floe options...]: convert INPUT, compare it with $T.
# CODEC=NAME: every column chunk must also say that codec. UNORDERED=1: the
# rows are compared as multisets (for --sort-by, whose order is the point).
telemetry() {
    local name=$1 input=$2 out=$WORK/$1 start end stats rc
    shift 2
    start=$(date +%s.%N)
    stats=$("$FLOE" convert --json --schema "$SCHEMA" -o "$out" "$@" "$input" 2>"$WORK/$name.convert.err")
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "telemetry $name: floe convert exit $rc: $(tail -2 "$WORK/$name.convert.err" | tr '\n' ' ')"
        return
    fi
    case "$stats" in
    *'"records":50000,'*'"dead_letters":0,'*) ;;
    *) fail "telemetry $name: floe convert summary $stats"; return ;;
    esac
    if node "$HERE/compare.mjs" --quiet ${UNORDERED:+--unordered} ${CODEC:+--codec "$CODEC"} "$SCHEMA" "$out/*.parquet" "$input" \
        >"$WORK/$name.compare.json"; then
        end=$(date +%s.%N)
        pass "telemetry $name ($(awk "BEGIN { printf \"%.1f\", $end - $start }")s, $(ls "$out"/*.parquet | wc -l) files)"
    else
        fail "telemetry $name: compare.mjs exit $? (see below)"
        cat "$WORK/$name.compare.json"
    fi
}

CODEC=SNAPPY telemetry plain "$T"
telemetry zstd "$T.zst"
CODEC=UNCOMPRESSED telemetry uncompressed-pages "$T" --codec none
telemetry small-groups "$T" --row-group-bytes 256K --page-bytes 8K --file-rows 20000
# ZSTD pages need a library built with FLOE_ZSTD_COMPRESS=1 (the host default).
CODEC=ZSTD telemetry zstd-pages "$T" --codec zstd
CODEC=ZSTD telemetry zstd-small-groups "$T" --codec zstd --row-group-bytes 256K --page-bytes 8K --file-rows 20000

# ---- --sort-by: every row kept, grouped by device, each device's rows in arrival order ----
# A 64M window holds all 50,000 rows (the file sorted whole: 4M row groups
# leave room for them, see floe_parquet_sure_room); 256K holds a few
# thousand, and --file-rows 20000 ends windows where files roll.
UNORDERED=1 telemetry sorted-whole "$T" --sort-by device_id --sort-window-bytes 64M --row-group-bytes 4M
UNORDERED=1 CODEC=ZSTD telemetry sorted-windows "$T.zst" --codec zstd --sort-by device_id --sort-window-bytes 256K \
    --file-rows 20000
# sorted NAME MAX_DOWN: in each file, device_id goes down at most MAX_DOWN
# times (once a window: ids start over), and each device's seq only goes up.
sorted() {
    local out
    if out=$(node --input-type=module -e "
        const m = await import('$HERE/compare.mjs');
        const { duck } = await m.loadModules();
        const con = await (await duck.DuckDBInstance.create(':memory:')).connect();
        const one = async (q) => Number((await con.runAndReadAll(q)).getRows()[0][0]);
        const src = \"read_parquet('$WORK/$1/*.parquet', filename = true, file_row_number = true)\";
        const down = await one(\`SELECT count(*) FROM (SELECT device_id < lag(device_id) OVER w AS d FROM \${src}
            WINDOW w AS (PARTITION BY filename ORDER BY file_row_number)) WHERE d\`);
        const runs = await one(\`SELECT count(*) FROM (SELECT device_id <> lag(device_id) OVER w AS d FROM \${src}
            WINDOW w AS (PARTITION BY filename ORDER BY file_row_number)) WHERE d\`);
        const back = await one(\`SELECT count(*) FROM (SELECT seq - lag(seq) OVER w AS d FROM \${src}
            WINDOW w AS (PARTITION BY filename, device_id ORDER BY file_row_number)) WHERE d <= 0\`);
        console.log(\`\${runs} device runs, \${down} steps down, \${back} seq steps back\`);
        if (back !== 0 || down > $2) process.exit(1);
      " 2>&1); then
        pass "sorted $1: $out"
    else
        fail "sorted $1: $out"
    fi
}
sorted sorted-whole 0
# About 20 windows of ~2,600 rows; in arrival order device_id goes down at
# every other row (25,000 times).
sorted sorted-windows 40

# ---- Bloom filters, checked with DuckDB (bloom_check.mjs says how) ----
# bloom NAME MODE ARGS...: one bloom_check.mjs check.
bloom() {
    local name=$1 out
    shift
    if out=$(node "$HERE/bloom_check.mjs" "$@" 2>&1); then
        pass "Bloom filters, $name: $out"
    else
        fail "Bloom filters, $name: $out"
    fi
}
# bloom_input NAME DIR SCHEMA PYTHON [convert options]: DIR/in.ndjson from
# PYTHON, converted into DIR/out; a FAIL and non-zero when floe convert fails.
bloom_input() {
    local name=$1 dir=$2 schema=$3 py=$4
    shift 4
    mkdir -p "$dir"
    python3 -c "$py" >"$dir/in.ndjson" && printf '%s' "$schema" >"$dir/schema.json" &&
        "$FLOE" convert --schema "$dir/schema.json" -o "$dir/out" "$@" "$dir/in.ndjson" >/dev/null 2>"$dir/err" ||
        { fail "Bloom filters, $name: floe convert: $(tail -1 "$dir/err")"; return 1; }
}
bloom telemetry probe --expect device_id "$WORK"/plain/*.parquet
bloom "small row groups, 3 files" probe --expect device_id --expect status "$WORK"/small-groups/*.parquet
bloom "zstd pages" probe --expect device_id "$WORK"/zstd-pages/*.parquet
# A column whose dictionary gives up part-way (unique ids after 500 rows) gets
# no filter: its dictionary no longer holds every value.
B=$WORK/bloom
FALLBACK='
import json
for i in range(30000):
    print(json.dumps({"id": "u-%06d" % ((i * 7919) % 100000) if i > 500 else "early-%d" % (i % 7), "k": i % 13, "x": (i % 50) * 0.5}))'
SCHEMA_IKX='{"columns":[{"name":"id","type":"string"},{"name":"k","type":"int32"},{"name":"x","type":"double"}]}'
if bloom_input "dictionary fallback" "$B" "$SCHEMA_IKX" "$FALLBACK" &&
    bloom_input "--no-bloom-filters" "$B/off" "$SCHEMA_IKX" "$FALLBACK" --no-bloom-filters; then
    bloom "dictionary fallback" probe --expect k --expect x "$B"/out/*.parquet
    bloom "which chunks" columns k,x "$B/out/*.parquet" "$B/off/out/*.parquet"
fi
# The same values give DuckDB's filters byte for byte (header and bitset): the
# block layout, salts, hash and sizing all agree with another writer's.
D=$WORK/bloom-duck
if bloom_input "as DuckDB writes them" "$D" '{"columns":[{"name":"k","type":"int32"},{"name":"s","type":"string"}]}' '
import json
for i in range(3000): print(json.dumps({"k": i % 10, "s": "dev-%d" % (i % 300)}))'; then
    bloom "as DuckDB writes them" same-as-duckdb "$(ls "$D"/out/*.parquet | head -1)" "$D/duck.parquet" \
        "SELECT (i % 10)::INTEGER AS k, 'dev-' || (i % 300) AS s FROM range(3000) t(i)"
fi
# Readers take -0.0 = 0.0: a filter holding one zero must not exclude the other.
Z=$WORK/zeros
if bloom_input "signed zeros" "$Z" '{"columns":[{"name":"x","type":"double"},{"name":"f","type":"float"},{"name":"y","type":"double"}]}' '
for i in range(100):
    v = "-0.0" if i == 50 else str(1 + i % 10)
    print("{\"x\": %s, \"f\": %s, \"y\": %s}" % (v, v, "0.0" if i == 7 else str(2 + i % 5)))'; then
    bloom "signed zeros" zeros "$Z/out/*.parquet"
fi

# ---- string statistics longer than FLOE_PARQUET_STAT_MAX (32 bytes) ----
# DuckDB must see bounds (not NULL), flagged inexact, that hold every value.
L=$WORK/long
mkdir -p "$L"
python3 -c '
import json
for i in range(3000):
    print(json.dumps({"id": i, "s": "device-with-a-rather-long-name-%05d-" % ((i * 7919) % 3000) + "\u00e9" * (i % 5)}))
' >"$L/in.ndjson"
printf '{"columns":[{"name":"id","type":"int64"},{"name":"s","type":"string"}]}' >"$L/schema.json"
if ! "$FLOE" convert --schema "$L/schema.json" --codec none --row-group-bytes 16K --page-bytes 4K -o "$L/out" "$L/in.ndjson" \
    >/dev/null 2>"$L/convert.err"; then
    fail "long-string statistics: floe convert: $(tail -1 "$L/convert.err")"
elif out=$(node --input-type=module -e "
    const m = await import('$HERE/compare.mjs');
    const { duck } = await m.loadModules();
    const con = await (await duck.DuckDBInstance.create(':memory:')).connect();
    const rows = (await con.runAndReadAll(\"SELECT row_group_id, stats_min_value, stats_max_value, min_is_exact, max_is_exact FROM parquet_metadata('$L/out/*.parquet') WHERE path_in_schema = 's'\")).getRows();
    const bad = [];
    for (const [rg, lo, hi, le, he] of rows) {
      if (lo === null || hi === null || le !== false || he !== false) bad.push({ rg, lo, hi, le, he });
    }
    const [[mn, mx]] = (await con.runAndReadAll(\"SELECT min(s), max(s) FROM '$L/out/*.parquet'\")).getRows();
    const lo = rows.map((r) => r[1]).sort()[0], hi = rows.map((r) => r[2]).sort().reverse()[0];
    const enc = (x) => Buffer.from(x, 'utf8');
    if (Buffer.compare(enc(lo), enc(mn)) > 0 || Buffer.compare(enc(hi), enc(mx)) <= 0) bad.push({ lo, mn, hi, mx });
    const n = (await con.runAndReadAll(\"SELECT count(*) FROM '$L/out/*.parquet' WHERE s >= 'device-with-a-rather-long-name-02999'\")).getRows()[0][0];
    if (Number(n) !== 1) bad.push({ filter_count: String(n) });
    if (bad.length) { console.log(JSON.stringify(bad.slice(0, 3), (k, v) => typeof v === 'bigint' ? String(v) : v)); process.exit(1); }
    console.log(rows.length + ' chunks');
  " 2>&1); then
    pass "long-string statistics: DuckDB sees inexact bounds that hold ($out)"
else
    fail "long-string statistics: $out"
fi

# ---- json columns: the bytes floe writes, exactly ----
# Values as a writer may print them; each one's expected text is the value
# with the whitespace between tokens taken out (a tokenizer of its own, here
# in Python: compare.mjs's jsonAt is the one under test elsewhere), against
# the column's bytes as hyparquet reads them (no JSON parsing, no decoding).
# A key twice anywhere inside a value (as written or decoded) and a null in a
# required json column are dead letters; the rest go through compare.mjs.
J=$WORK/json
mkdir -p "$J"
printf '%s' '{"columns":[{"name":"id","type":"int64","nullable":false},{"name":"j","type":"json"},
{"name":"h","path":"g.h","type":"json"},{"name":"r","type":"json","nullable":false}],"extra":true}' >"$J/schema.json"
python3 - "$J" <<'PY'
import re, sys
d = sys.argv[1]
VALUES = [
    '{ "a" : [ 1 , 2.50 , -0 , 1.5e3 ] ,\t"b" : "x y" , "c" : null }',
    '"abc"', '"s\\u0041"', '"a\\tb"', '"a\\" b : [ ] , {"', '"\\"{ }\\""', '" "', '""', '"null"',
    '[ ]', '{\t}', '[ [ ] , { } ]', '123456789012345678901234567890', '-0', '-0.0', '1E+400', '2.50', '1.50e3', '5e-324',
    'true', 'false', 'null', '[null, [ null ] ]', '"\\ud83d\\ude00"', '"\\uD834\\uDD1E"', '"\U0001F600"', '"\\u00e9 \u00e9"',
    '"\\u0000\\/\\\\"', '"\ufeff"', '"\\ufeff"', '{"z":1,"a":2,"m":{"y":[],"b":{}}}', '{"":0," ":1}',
    '[' * 24 + ' 1 ' + ']' * 24, '"' + 'x' * 100 + '"', ' [ 1 ,\t"a" , { "b" : [ true , false , null ] } , [ ] , { } ] ',
    '[{"d":1},{"d":2}]', '{"a":{"a":{"a":1}}}',
]
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^ \t\n\r"]')  # a string whole, else one character that is not whitespace
minify = lambda v: ''.join(TOKEN.findall(v))
hexof = lambda v: 'NULL' if minify(v) == 'null' else minify(v).encode('utf-8').hex()
lines, valid, want = [], [], []
for n, v in enumerate(VALUES):
    r = VALUES[(n * 7 + 3) % len(VALUES)]
    r = '0' if r.strip() == 'null' else r
    line = '{"id":%d, "j" :%s,"g":{ "h":%s},"r":%s}' % (n, v, v, r)
    lines.append(line); valid.append(line)
    want += ['%d\tj\t%s' % (n, hexof(v)), '%d\th\t%s' % (n, hexof(v)), '%d\tr\t%s' % (n, hexof(r))]
for n, line in [(100, '{"id":100,"r":"x"}'), (101, '{"id":101,"g":null,"r":[]}'), (102, '{"id":102,"g":{},"r":{}}')]:
    lines.append(line); valid.append(line)
    want += ['%d\tj\tNULL' % n, '%d\th\tNULL' % n, '%d\tr\t%s' % (n, hexof(line.split('"r":')[1][:-1]))]
dead = [('{"id":200,"j":{"a":1,"b":{"c":[{"d":1,"d":2}]}},"r":0}', 'duplicate_key'),
        ('{"id":201,"j":{"k":1, "\\u006b":2},"r":0}', 'duplicate_key'),
        ('{"id":202,"g":{"h":[{"x":{},"x":[]}]},"r":0}', 'duplicate_key'),
        ('{"id":203,"j":1,"r":null}', 'missing_field'), ('{"id":204,"j":1}', 'missing_field')]
for k, (line, _) in enumerate(dead):
    lines.insert(5 * k + 2, line)
write = lambda name, rows: open(d + '/' + name, 'w', encoding='utf-8').write(''.join(r + '\n' for r in rows))
write('in.ndjson', lines)
write('valid.ndjson', valid)
write('want.tsv', sorted(want))
write('want-dead.tsv', ['%d\t%s\t%s' % (lines.index(l) + 1, why, l) for l, why in dead])
PY
stats=$("$FLOE" convert --json --schema "$J/schema.json" -o "$J/out" "$J/in.ndjson" 2>"$J/convert.err")
rc=$?
if [ $rc -ne 1 ]; then # 1: some records were dead letters
    fail "json columns: floe convert exit $rc, want 1: $(tail -1 "$J/convert.err")"
else
    case "$stats" in
    *'"records":'"$(wc -l <"$J/valid.ndjson")"','*'"dead_letters":5,'*) pass "json columns: floe convert ($stats)" ;;
    *) fail "json columns: floe convert summary $stats" ;;
    esac
    if out=$(node --input-type=module -e "
        import fs from 'node:fs';
        const m = await import('$HERE/compare.mjs');
        const { hy } = await m.loadModules();
        const got = [];
        for (const f of fs.readdirSync('$J/out').filter((f) => f.endsWith('.parquet'))) {
          const b = fs.readFileSync('$J/out/' + f);
          const rows = await hy.parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength),
            columns: ['id', 'j', 'h', 'r'], parsers: { jsonFromBytes: (v) => v, stringFromBytes: (v) => v } });
          for (const r of rows) for (const c of ['j', 'h', 'r']) {
            got.push(r.id + '\t' + c + '\t' + (r[c] === null || r[c] === undefined ? 'NULL' : Buffer.from(r[c]).toString('hex')));
          }
        }
        fs.writeFileSync('$J/got.tsv', got.sort().map((l) => l + '\n').join(''));
      " 2>&1) && diff "$J/want.tsv" "$J/got.tsv" >"$J/bytes.diff"; then
        pass "json columns: $(wc -l <"$J/want.tsv") values, byte for byte"
    else
        fail "json columns: bytes (hex) differ from the expected compact text: $out $(head -20 "$J/bytes.diff")"
    fi
    if python3 - "$J" >"$J/dead.err" 2>&1 <<'PY'
import json, sys
d = sys.argv[1]
want = open(d + '/want-dead.tsv', encoding='utf-8').read().splitlines()
got = ['%d\t%s\t%s' % (x['line'], x['reason'], x['raw']) for x in map(json.loads, open(d + '/out/dead-letters.ndjson', encoding='utf-8'))]
if got != want:
    print('want', want, 'got', got)
    sys.exit(1)
PY
    then
        pass "json columns: repeated keys and a required null are dead letters"
    else
        fail "json columns: dead letters: $(cat "$J/dead.err")"
    fi
    if node "$HERE/compare.mjs" --quiet "$J/schema.json" "$J/out/*.parquet" "$J/valid.ndjson" >"$J/compare.json"; then
        pass "json columns: compare.mjs"
    else
        fail "json columns: compare.mjs exit $? (see below)"
        cat "$J/compare.json"
    fi
    bloom "json columns" probe --expect j --expect h --expect r "$J"/out/*.parquet
fi

# ---- property tests ----
node "$HERE/property.mjs" >"$WORK/property.log" 2>&1
rc=$?
grep -E '^(ok|FAIL) ' "$WORK/property.log" | sed 's/^/  property /'
line=$(grep -E '^property: [0-9]+ passed, [0-9]+ failed$' "$WORK/property.log" | tail -1)
if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/^property: ([0-9]+) passed, ([0-9]+) failed$/\1/')
    f=$(echo "$line" | sed -E 's/^property: ([0-9]+) passed, ([0-9]+) failed$/\2/')
    passed=$((passed + p))
    failed=$((failed + f))
    echo "$line ($(grep -E '^property: seed' "$WORK/property.log" | sed 's/^property: //'))"
    if [ "$f" -gt 0 ]; then
        echo "property failures (full log: $WORK/property.log):"
        awk '/^FAIL / { on = 1 } on { print } /^}$/ { on = 0 }' "$WORK/property.log" | head -400
    fi
fi
if [ $rc -ne 0 ] && { [ -z "$line" ] || [ "${f:-0}" -eq 0 ]; }; then
    fail "property.mjs exit $rc: $(tail -3 "$WORK/property.log" | tr '\n' ' ')"
fi
finish
