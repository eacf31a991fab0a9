#!/usr/bin/env node
// Proves that floe's Parquet reads back as the NDJSON it came from, using
// four readers floe's authors did not write: DuckDB (read_json and
// read_parquet), hyparquet (pure JavaScript), arrow-rs (the Rust parquet
// crate behind DataFusion, as WebAssembly: npm parquet-wasm, read into
// apache-arrow) and Polars (its own Rust Parquet reader, native: npm
// nodejs-polars).
//
// Usage: node compare.mjs [--unordered] [--quiet] [--codec NAME] SCHEMA.json PARQUET_GLOB NDJSON...
//
// The NDJSON side is DuckDB's read_json with the schema's own column types
// (a dotted path "tags.site" is read as a STRUCT field of "tags"); the Parquet
// side is every file PARQUET_GLOB matches. Checks:
//   1. floe's Parquet columns are the schema's, with the expected DuckDB types
//      and REQUIRED/OPTIONAL repetition;
//   2. row counts, and EXCEPT ALL both ways between read_json and read_parquet
//      (floats compared through their text form, so -0.0 differs from 0.0);
//   3. every file read with hyparquet, arrow-rs and Polars, in file-name (UUIDv7
//      = creation) order, against read_json row by row (with --unordered: as
//      multisets, e.g. for --partition-by output).
//   4. with --codec NAME (SNAPPY, ZSTD, UNCOMPRESSED): every column chunk of
//      every file says that codec (DuckDB's parquet_metadata);
//   5. every column chunk's min, max and null_count equal its rows' (see
//      statsCheck);
//   6. every page index (OffsetIndex, ColumnIndex) against the pages and rows
//      it describes, and hyparquet's reads that skip pages on it against a
//      scan (see pageIndexCheck, prunedReads).
// hyparquet decodes SNAPPY itself; ZSTD pages go through the zstd command
// (the reference decoder), one process per page.
// The "_extra" column (schema "extra": true) is not compared: read_json has no
// equivalent of floe's compact re-encoding of unnamed fields.
// The NDJSON given must hold only lines floe accepted: lines floe dead-lettered
// would show up as rows missing from the Parquet side. It must also be text
// DuckDB reads the same way: DuckDB rejects lowercase 't'/'z' in timestamps
// (floe takes them), reads the integer -0 as +0 for a FLOAT/DOUBLE (floe keeps
// the sign) and rejects floats above FLT_MAX that round down to it. Timestamp
// columns compare as epoch integers of their unit, floor-divided for
// timestamp_ms (floe floors a string's sub-millisecond digits, also before
// 1970); an epoch_unit number is the round-half-away-from-zero of value times
// the column's unit (us, or ms for timestamp_ms: rounded once),
// computed exactly in DECIMAL(38,12) from the number's text (floe scales the
// decimal digits exactly; a DOUBLE product would lose digits past 2^53).
// Struct field names are case-insensitive in DuckDB: paths differing only in
// case cannot be compared.
// A json column's text must be the value at its path with the whitespace
// between tokens taken out and every token as written: the readers' bytes are
// compared with that text cut from the NDJSON lines themselves (jsonAt).
// read_json re-prints numbers and decodes escapes, so the DuckDB comparison
// passes both sides through json(), which normalizes them alike: the input
// must hold no number DuckDB reads differently in floe's text than in the line
// (none found: big integers, 1e400, -0 and long mantissas agree).
//
// Prints one JSON summary. Exit status: 0 match, 1 mismatch (first differences
// in the summary), 2 a reader failed (module missing, file unreadable) or usage.
// Modules (@duckdb/node-api, hyparquet, parquet-wasm, apache-arrow, nodejs-polars) are looked up in
// $NODE_PATH only, e.g.
// NODE_PATH=build/npm/node_modules after tools/bootstrap.sh npm.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

export const TYPES = {
  bool: { duck: 'BOOLEAN', phys: 'BOOLEAN' },
  int32: { duck: 'INTEGER', phys: 'INT32' },
  int64: { duck: 'BIGINT', phys: 'INT64' },
  float: { duck: 'FLOAT', phys: 'FLOAT' },
  double: { duck: 'DOUBLE', phys: 'DOUBLE' },
  string: { duck: 'VARCHAR', phys: 'BYTE_ARRAY' },
  timestamp_ms: { duck: 'TIMESTAMP WITH TIME ZONE', phys: 'INT64', unit: 'MILLIS' },
  timestamp_us: { duck: 'TIMESTAMP WITH TIME ZONE', phys: 'INT64', unit: 'MICROS' },
  date: { duck: 'DATE', phys: 'INT32' },
  json: { duck: 'JSON', phys: 'BYTE_ARRAY', converted: 'JSON', logical: 'JsonType()' },
};
const EPOCH_PER_US = { s: 1000000n, ms: 1000n, us: 1n };
const EPOCH_PER_MS = { s: '1000', ms: '1', us: '0.001' };

export class ReaderError extends Error {}

// ---- module loading ---------------------------------------------------------

function moduleBases() {
  return (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
}

function resolveModule(name) {
  const errs = moduleBases().length ? [] : ['NODE_PATH is not set'];
  for (const b of moduleBases()) {
    try {
      return createRequire(path.join(path.resolve(b), '_.js')).resolve(name);
    } catch (e) { errs.push(`${b}: ${e.code || e.message}`); }
  }
  throw new ReaderError(`cannot load ${name} (set NODE_PATH to build/npm/node_modules; ` +
    `tools/bootstrap.sh npm installs it): ${errs.join('; ')}`);
}

let modules = null;
export async function loadModules() {
  if (!modules) {
    const duckPath = resolveModule('@duckdb/node-api');
    const hyPath = resolveModule('hyparquet');
    const pwPath = resolveModule('parquet-wasm');
    const arrowPath = resolveModule('apache-arrow');
    const polarsPath = resolveModule('nodejs-polars');
    const duck = await import(pathToFileURL(duckPath).href);
    const hy = await import(pathToFileURL(hyPath).href);
    const pw = await import(pathToFileURL(pwPath).href);
    const arrow = await import(pathToFileURL(arrowPath).href);
    let polars;
    try {
      polars = await import(pathToFileURL(polarsPath).href);
    } catch (e) {
      // Its native part is a per-platform npm package (tools/bootstrap.sh npm installs the x64 or arm64 glibc one).
      throw new ReaderError(`cannot load nodejs-polars: ${e.message.split('\n')[0]}`);
    }
    modules = { duck: duck.default && duck.default.DuckDBInstance ? duck.default : duck, hy,
      pw: pw.readParquet ? pw : pw.default, arrow: arrow.tableFromIPC ? arrow : arrow.default,
      pl: polars.default && polars.default.readParquet ? polars.default : polars,
      paths: { duckdb: duckPath, hyparquet: hyPath, 'parquet-wasm': pwPath, 'nodejs-polars': polarsPath } };
  }
  return modules;
}

// hyparquet's hook for a codec it does not decode itself.
function zstdPage(input, outputLength) {
  const r = spawnSync('zstd', ['-d', '-c', '-q'], { input, maxBuffer: outputLength + 1024 });
  if (r.error || r.status !== 0) {
    throw new ReaderError(`zstd -d: ${r.error ? r.error.message : String(r.stderr).trim() || `exit ${r.status}`}`);
  }
  if (r.stdout.length !== outputLength) {
    throw new ReaderError(`zstd -d: page holds ${r.stdout.length} bytes, its header says ${outputLength}`);
  }
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length);
}
const COMPRESSORS = { ZSTD: zstdPage };

// ---- schema -------------------------------------------------------------------

export function loadSchema(schemaPath) {
  let doc;
  try { doc = JSON.parse(fs.readFileSync(schemaPath, 'utf8')); } catch (e) {
    throw new ReaderError(`schema ${schemaPath}: ${e.message}`);
  }
  return normalizeSchema(doc, schemaPath);
}

export function normalizeSchema(doc, where = 'schema') {
  if (!doc || !Array.isArray(doc.columns)) throw new ReaderError(`${where}: no "columns" array`);
  const columns = doc.columns.map((c, i) => {
    if (typeof c.name !== 'string' || !TYPES[c.type]) throw new ReaderError(`${where}: column ${i} bad name/type`);
    const p = (c.path ?? c.name).split('.');
    if (p.some((k) => k === '')) throw new ReaderError(`${where}: column ${c.name}: bad path`);
    return { name: c.name, type: c.type, path: p, nullable: c.nullable !== false, epoch: c.epoch_unit || null };
  });
  return { columns, extra: doc.extra === true };
}

// ---- SQL text -----------------------------------------------------------------

const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const litList = (a) => `[${a.map(lit).join(', ')}]`;

// read_json's columns={...}: top-level keys, STRUCTs for dotted paths. A
// timestamp with an epoch_unit may be a number or a string: read as JSON.
function jsonColumns(schema) {
  const root = new Map();
  for (const c of schema.columns) {
    let node = root;
    c.path.forEach((k, i) => {
      if (i === c.path.length - 1) node.set(k, c.epoch ? 'JSON' : TYPES[c.type].duck.replace('TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ'));
      else {
        if (!(node.get(k) instanceof Map)) node.set(k, new Map());
        node = node.get(k);
      }
    });
  }
  const typeOf = (v) => (v instanceof Map
    ? `STRUCT(${[...v].map(([k, t]) => `${ident(k)} ${typeOf(t)}`).join(', ')})` : v);
  return `{${[...root].map(([k, v]) => `${lit(k)}: ${lit(typeOf(v))}`).join(', ')}}`;
}

function jsonLeaf(c) {
  let e = ident(c.path[0]);
  for (const k of c.path.slice(1)) e = `struct_extract(${e}, ${lit(k)})`;
  return e;
}

// floor(a / b) for integers, as floe's timestamp_ms conversion does.
const floorDiv = (a, b) => `((${a}) - ((((${a}) % ${b}) + ${b}) % ${b})) // ${b}`;

// A column's value on the read_json side, in the comparison's terms:
// timestamps as epoch integers of the column's unit, dates as epoch days.
function jsonValue(c) {
  const x = jsonLeaf(c);
  if (c.type === 'timestamp_ms' || c.type === 'timestamp_us') {
    let us = `epoch_us(${x})`;
    if (c.epoch && c.type === 'timestamp_ms') {
      // A number is rounded once, to the ms; a string's sub-ms digits are cut.
      const per = EPOCH_PER_MS[c.epoch];
      return `CASE json_type(${x}) WHEN 'VARCHAR' THEN ${floorDiv(`epoch_us(CAST(${x}->>'$' AS TIMESTAMPTZ))`, 1000)}
             ELSE CAST(round(CAST(CAST(${x} AS VARCHAR) AS DECIMAL(38,12)) * ${per}) AS BIGINT) END`;
    }
    if (c.epoch) {
      const per = EPOCH_PER_US[c.epoch];
      us = `CASE json_type(${x}) WHEN 'VARCHAR' THEN epoch_us(CAST(${x}->>'$' AS TIMESTAMPTZ))
             WHEN 'BIGINT' THEN CAST(${x} AS BIGINT) * ${per} WHEN 'UBIGINT' THEN CAST(${x} AS BIGINT) * ${per}
             WHEN 'DOUBLE' THEN CAST(round(CAST(CAST(${x} AS VARCHAR) AS DECIMAL(38,12)) * ${per}) AS BIGINT) END`;
    }
    return c.type === 'timestamp_ms' ? floorDiv(us, 1000) : us;
  }
  if (c.type === 'date') return `CAST(${x} - DATE '1970-01-01' AS INTEGER)`;
  return x;
}

function parquetValue(c) {
  const x = ident(c.name);
  if (c.type === 'timestamp_ms') return floorDiv(`epoch_us(${x})`, 1000);
  if (c.type === 'timestamp_us') return `epoch_us(${x})`;
  if (c.type === 'date') return `CAST(${x} - DATE '1970-01-01' AS INTEGER)`;
  return x;
}

// ---- value canonical forms ---------------------------------------------------

// Strings are decoded here, from bytes, keeping a leading U+FEFF: a default
// TextDecoder drops it, and so do DuckDB's node bindings, hyparquet and
// apache-arrow, which would hide a writer that lost (or added) one.
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
// Values as stored: epoch integers, strings decoded keeping a leading U+FEFF
// (see UTF8), json columns as their text (hyparquet would JSON.parse them,
// losing number text, escapes and duplicate keys).
const HY_PARSERS = { timestampFromMilliseconds: (v) => v, timestampFromMicroseconds: (v) => v, dateFromDays: (v) => v,
  stringFromBytes: (v) => v && UTF8.decode(v), jsonFromBytes: (v) => v && UTF8.decode(v) };
const INT64ISH = new Set(['int64', 'timestamp_ms', 'timestamp_us']);
function canon(type, v) {
  if (v === null || v === undefined) return null;
  if (INT64ISH.has(type)) return typeof v === 'bigint' ? v : BigInt(v);
  if (type === 'int32' || type === 'date') return Number(v);
  if (type === 'float' || type === 'double') return Number(v);
  if (type === 'bool') return Boolean(v);
  if (type === 'string' || type === 'json') {
    if (v instanceof Uint8Array) return UTF8.decode(v);
    if (v.bytes instanceof Uint8Array) return UTF8.decode(v.bytes); /* DuckDB BLOB */
    // A reader that parsed the text itself no longer has the bytes to compare.
    if (type === 'json' && typeof v !== 'string') throw new ReaderError(`a reader gave a json value as ${typeof v}, not its text`);
    return String(v);
  }
  return v;
}
const same = (a, b) => (a === null || b === null ? a === b : typeof a === 'number' ? Object.is(a, b) : a === b);
function show(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  if (typeof v === 'string' && v.length > 120) return `${v.slice(0, 120)}... (${v.length} chars)`;
  return v;
}
const rowKey = (row) => JSON.stringify(row.map((v) => (typeof v === 'bigint' ? `${v}n`
  : typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : v)));

// ---- json columns -------------------------------------------------------------

// The text a json column holds for one NDJSON line (keys: the column's path):
// the value there with the whitespace between tokens taken out and all else
// as written; null where the path is missing or holds null. A reading of the
// raw line of its own, so that floe's bytes are compared exactly (read_json
// gives DuckDB's re-print of the value).
const JSON_WS = new Set([' ', '\t', '\n', '\r']);
export function jsonAt(line, keys) {
  let i = 0;
  const ws = () => { while (JSON_WS.has(line[i])) i++; };
  const bad = () => { throw new ReaderError(`not JSON at character ${i}: ${line.slice(0, 120)}`); };
  const value = () => { // the compact text of the value at i
    ws();
    const start = i;
    if (line[i] === '"') {
      for (i++; line[i] !== '"'; i += line[i] === '\\' ? 2 : 1) if (i >= line.length) bad();
      return line.slice(start, ++i);
    }
    if (line[i] === '{' || line[i] === '[') {
      const close = line[i] === '{' ? '}' : ']';
      let out = line[i++];
      ws();
      if (line[i] === close) { i++; return out + close; }
      for (;;) {
        if (close === '}') { out += value(); ws(); if (line[i++] !== ':') bad(); out += ':'; }
        out += value();
        ws();
        if (line[i] !== ',' && line[i] !== close) bad();
        out += line[i];
        if (line[i++] === close) return out;
      }
    }
    while (i < line.length && !JSON_WS.has(line[i]) && !',:]}'.includes(line[i])) i++;
    return i > start ? line.slice(start, i) : bad();
  };
  const find = (k) => { // the text at path k from the value at i
    ws();
    if (k.length === 0) { const t = value(); return t === 'null' ? null : t; }
    if (line[i] !== '{') { value(); return null; }
    let found = null;
    for (i++, ws(); line[i] !== '}';) {
      const key = JSON.parse(value());
      ws();
      if (line[i++] !== ':') bad();
      if (key === k[0]) found = find(k.slice(1)); else value();
      ws();
      if (line[i] === ',') i++; else if (line[i] !== '}') bad();
      ws();
    }
    i++;
    return found;
  };
  return find(keys);
}

// An NDJSON file's records as read_json reads them: one a non-blank line.
function ndjsonLines(f) {
  let buf;
  if (f.endsWith('.zst')) {
    const r = spawnSync('zstd', ['-d', '-c', '-q', f], { maxBuffer: 1 << 30 });
    if (r.error || r.status !== 0) throw new ReaderError(`zstd -d ${f}: ${r.error ? r.error.message : String(r.stderr).trim()}`);
    buf = r.stdout;
  } else buf = fs.readFileSync(f);
  return UTF8.decode(buf).split('\n').filter((l) => !/^[ \t\r]*$/.test(l));
}

// ---- the comparison -------------------------------------------------------------

async function duckAll(con, sql) {
  return (await con.runAndReadAll(sql)).getRows();
}

// Opens one DuckDB connection that compare() calls can share.
export async function openDuck() {
  const { duck } = await loadModules();
  const inst = await duck.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  return { inst, con };
}

/**
 * Compares floe's Parquet files with the NDJSON they came from.
 * @param {object} o {schema (normalized) | schemaPath, parquetGlob | parquetFiles, ndjson: [paths],
 *                    unordered, con (optional shared DuckDB connection)}
 * @returns summary object; summary.status is 'match' | 'mismatch' | 'reader_error'
 */
export async function compare(o) {
  const t0 = Date.now();
  const sum = { status: 'reader_error', ok: false };
  const diffs = [];
  try {
    const schema = o.schema || loadSchema(o.schemaPath);
    const { paths } = await loadModules();
    const con = o.con || (await openDuck()).con;
    sum.readers = { duckdb: (await duckAll(con, 'SELECT version()'))[0][0], hyparquet: moduleVersion(paths.hyparquet),
      'arrow-rs (parquet-wasm)': moduleVersion(paths['parquet-wasm']), polars: moduleVersion(paths['nodejs-polars']) };
    const cols = schema.columns;
    sum.columns = cols.length;
    sum.skipped_columns = schema.extra ? ['_extra'] : [];
    const ndjson = o.ndjson.map((f) => path.resolve(f));
    for (const f of ndjson) if (!fs.existsSync(f)) throw new ReaderError(`no such NDJSON file ${f}`);
    sum.ndjson_files = ndjson.length;

    let files = o.parquetFiles;
    if (!files) {
      files = (await duckAll(con, `SELECT file FROM glob(${lit(o.parquetGlob)})`)).map((r) => r[0]);
    }
    files = [...files].sort((a, b) => (path.basename(a) < path.basename(b) ? -1 : path.basename(a) > path.basename(b) ? 1
      : a < b ? -1 : a > b ? 1 : 0));
    sum.parquet_files = files.length;

    // The NDJSON side, as DuckDB's read_json sees it.
    const jsel = cols.map((c, i) => `${jsonValue(c)} AS c${i}`).join(', ');
    try {
      await con.run(`CREATE OR REPLACE TEMP TABLE floe_cmp_j AS SELECT ${jsel} FROM read_json(${litList(ndjson)},
        format='newline_delimited', records=true, columns=${jsonColumns(schema)}, maximum_object_size=67108864)`);
    } catch (e) { throw new ReaderError(`DuckDB read_json: ${e.message}`); }
    sum.rows_ndjson = Number((await duckAll(con, 'SELECT count(*) FROM floe_cmp_j'))[0][0]);

    // The Parquet side through DuckDB: layout and types first.
    const psel = cols.map((c, i) => `${parquetValue(c)} AS c${i}`).join(', ');
    if (files.length === 0) {
      await con.run(`CREATE OR REPLACE TEMP TABLE floe_cmp_p AS SELECT * FROM floe_cmp_j LIMIT 0`);
    } else {
      const src = `read_parquet(${litList(files)}, hive_partitioning=false, union_by_name=false)`;
      try {
        const desc = await duckAll(con, `DESCRIBE SELECT * FROM ${src}`);
        const pschema = await duckAll(con, `SELECT DISTINCT name, type, logical_type, repetition_type, converted_type FROM parquet_schema(${litList(files)})
          WHERE num_children IS NULL OR num_children = 0`);
        layoutCheck(schema, desc, pschema, diffs);
        // Values are only compared when the columns are the schema's.
        if (diffs.length) return finish(sum, diffs, t0);
        await con.run(`CREATE OR REPLACE TEMP TABLE floe_cmp_p AS SELECT ${psel} FROM ${src}`);
      } catch (e) {
        throw new ReaderError(`DuckDB read_parquet: ${e.message.split('\n')[0]}`);
      }
    }
    sum.rows_parquet = Number((await duckAll(con, 'SELECT count(*) FROM floe_cmp_p'))[0][0]);
    if (files.length > 0) {
      sum.codecs = (await duckAll(con, `SELECT DISTINCT compression FROM parquet_metadata(${litList(files)}) ORDER BY 1`))
        .map((r) => String(r[0]));
      if (o.codec && (sum.codecs.length !== 1 || sum.codecs[0] !== o.codec)) {
        diffs.push({ check: 'codec', want: o.codec, parquet: sum.codecs });
      }
      await statsCheck(con, files, schema, sum, diffs);
    }
    if (sum.rows_parquet !== sum.rows_ndjson) {
      diffs.push({ check: 'row_count', ndjson: sum.rows_ndjson, parquet: sum.rows_parquet });
    }
    // EXCEPT ALL both ways; floats by their text so that the sign of zero
    // counts; json as json() prints it (numbers and escapes normalized alike
    // on both sides), try(): text that is not JSON is a difference, not an error.
    const ex = cols.map((c, i) => (c.type === 'float' || c.type === 'double' ? `CAST(c${i} AS VARCHAR) AS c${i}`
      : c.type === 'json' ? `try(CAST(json(c${i}) AS VARCHAR)) AS c${i}` : `c${i}`)).join(', ');
    for (const [a, b, label] of [['floe_cmp_j', 'floe_cmp_p', 'ndjson_minus_parquet'], ['floe_cmp_p', 'floe_cmp_j', 'parquet_minus_ndjson']]) {
      const q = `SELECT ${ex} FROM ${a} EXCEPT ALL SELECT ${ex} FROM ${b}`;
      const n = Number((await duckAll(con, `SELECT count(*) FROM (${q})`))[0][0]);
      sum[label] = n;
      if (n > 0) {
        const rows = await duckAll(con, `${q} LIMIT 3`);
        diffs.push({ check: label, rows: n, first: rows.map((r) => Object.fromEntries(cols.map((c, i) => [c.name, show(r[i])]))) });
      }
    }

    // The independent readers, file by file, against read_json.
    const want = (await duckAll(con, `SELECT ${cols.map((c, i) => (c.type === 'string' ? `encode(c${i})` : `c${i}`)).join(', ')}
      FROM floe_cmp_j ORDER BY rowid`))
      .map((r) => r.map((v, i) => canon(cols[i].type, v)));
    if (cols.some((c) => c.type === 'json')) {
      // json values as written (jsonAt); read_json only says which are null.
      const lines = ndjson.flatMap(ndjsonLines);
      if (lines.length !== want.length) throw new ReaderError(`${lines.length} NDJSON lines, read_json read ${want.length} rows`);
      cols.forEach((c, i) => {
        if (c.type !== 'json') return;
        lines.forEach((line, r) => {
          const t = jsonAt(line, c.path);
          if ((t === null) !== (want[r][i] === null)) {
            throw new ReaderError(`json column ${c.name}, row ${r}: the line holds ${t}, read_json ${want[r][i]}`);
          }
          want[r][i] = t;
        });
      });
    }
    for (const reader of READERS) {
      const read = await reader.read(files, cols, schema);
      if (reader.name === 'hyparquet') {
        sum.row_groups = read.rowGroups;
        if (!o.noPageIndex) await pageIndexCheck(files, read.perFile, schema, sum, diffs);
      }
      checkReader(reader.name, read, want, cols, o, sum, diffs);
    }
    return finish(sum, diffs, t0);
  } catch (e) {
    sum.error = e instanceof ReaderError ? e.message : String(e && e.stack || e);
    return finish(sum, [], t0, 'reader_error');
  }
}

// ---- row-group statistics ----------------------------------------------------------
// Every column chunk's min/max/null_count (as DuckDB's parquet_metadata reads
// them) against the chunk's own rows, which file_row_number places in their
// row group. Readers skip row groups on these, so a bound that is off loses
// rows from query results without a trace. Exact bounds must equal the data
// (floats by value, so -0.0 = 0.0; timestamps by epoch); a string bound
// flagged inexact (longer than floe's statistics limit) must still hold. A
// chunk whose largest string begins with 32 bytes of U+10FFFF has no max at
// all: no short string sorts above it.
// An all-null chunk has no min/max.
async function statsCheck(con, files, schema, sum, diffs) {
  const list = litList(files);
  const cols = schema.columns.map((c) => ({ name: c.name, type: c.type }));
  if (schema.extra) cols.push({ name: '_extra', type: 'string' });
  let chunks = 0;
  const bad = [];
  for (const c of cols) {
    const text = c.type === 'string' || c.type === 'json'; /* bounds byte-wise, json as its text */
    const v = c.type === 'timestamp_ms' || c.type === 'timestamp_us' ? 'epoch_us(v)' : c.type === 'json' ? 'CAST(v AS VARCHAR)' : 'v';
    const stat = (x) => (c.type === 'timestamp_ms' || c.type === 'timestamp_us' ? `epoch_us(CAST(${x} AS TIMESTAMPTZ))`
      : text ? x : `CAST(${x} AS ${TYPES[c.type].duck})`);
    const bounds = text
      ? `(CASE WHEN m.min_is_exact THEN m.smin = a.mn ELSE m.smin <= a.mn END)
         AND (CASE WHEN m.max_is_exact THEN m.smax = a.mx
              WHEN m.smax IS NULL THEN strlen(a.mx) > 32 AND starts_with(a.mx, repeat(chr(1114111), 8))
              ELSE m.smax >= a.mx END)`
      : `${stat('m.smin')} = a.mn AND ${stat('m.smax')} = a.mx`;
    const q = `WITH rg AS (
        SELECT file_name, row_group_id, n, sum(n) OVER (PARTITION BY file_name ORDER BY row_group_id) - n AS start
        FROM (SELECT DISTINCT file_name, row_group_id, row_group_num_rows AS n FROM parquet_metadata(${list}))),
      d AS (SELECT filename, file_row_number AS r, ${ident(c.name)} AS v
        FROM read_parquet(${list}, filename=true, file_row_number=true, hive_partitioning=false)),
      a AS (SELECT rg.file_name, rg.row_group_id, min(${v}) AS mn, max(${v}) AS mx, count(*) - count(v) AS nulls
        FROM d JOIN rg ON d.filename = rg.file_name AND d.r >= rg.start AND d.r < rg.start + rg.n GROUP BY ALL),
      m AS (SELECT file_name, row_group_id, stats_min_value AS smin, stats_max_value AS smax, stats_null_count AS snull,
          min_is_exact, max_is_exact
        FROM parquet_metadata(${list}) WHERE path_in_schema = ${lit(c.name)})
      SELECT count(*) OVER (), count(*) FILTER (WHERE NOT ok) OVER (), file_name, row_group_id,
        smin, smax, snull, CAST(mn AS VARCHAR), CAST(mx AS VARCHAR), nulls, ok
      FROM (SELECT *, coalesce(m.snull = a.nulls AND CASE WHEN a.mn IS NULL THEN m.smin IS NULL AND m.smax IS NULL
          ELSE ${bounds} END, false) AS ok
        FROM m FULL JOIN a USING (file_name, row_group_id))
      QUALIFY NOT ok OR row_number() OVER () = 1`;
    let rows;
    try { rows = await duckAll(con, q); } catch (e) {
      throw new ReaderError(`DuckDB statistics of ${c.name}: ${e.message.split('\n')[0]}`);
    }
    if (rows.length === 0) continue;
    chunks += Number(rows[0][0]);
    for (const r of rows.filter((x) => !x[10]).slice(0, 3)) {
      bad.push({ column: c.name, file: path.basename(String(r[2])), row_group: Number(r[3]),
        footer: { min: show(r[4]), max: show(r[5]), nulls: show(r[6]) },
        rows: { min: show(r[7]), max: show(r[8]), nulls: show(r[9]) }, chunks_wrong: Number(rows[0][1]) });
    }
  }
  sum.stats_chunks = chunks;
  if (bad.length) diffs.push({ check: 'statistics', first: bad.slice(0, 10) });
}

// ---- page index ---------------------------------------------------------------
// Every chunk's OffsetIndex and ColumnIndex, parsed by hyparquet, against the
// pages they describe: the locations must tile the chunk's data pages and
// their first rows must rise from 0; each page's rows (placed by those first
// rows) must hold its null count, be all null exactly where null_pages says,
// and lie within its min and max (strings byte-wise: bounds may be
// truncated); an order claimed must hold. Spark, Trino and arrow skip pages
// on these bounds, so one that is off loses rows without a trace. A file has
// an OffsetIndex in every chunk or in none (arrow-rs rejects a file with
// some); a ColumnIndex may be left out (NaN, floe's buffer running out).
const UTF8_OUT = new TextEncoder();
function pageOrder(a, b) {
  if (typeof a === 'string') a = UTF8_OUT.encode(a); /* row values; strict UTF-8, so exact */
  if (typeof b === 'string') b = UTF8_OUT.encode(b);
  if (a instanceof Uint8Array) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'boolean') return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

const showBound = (v) => (v instanceof Uint8Array ? JSON.stringify(UTF8.decode(v)) : show(v));

// A reader that skips pages on the index must find what a scan finds: for
// each column with a ColumnIndex, hyparquet reads col >= v and col = v (v a
// value of the file) with usePageIndex, and the rows must be those of the
// same filter over every row. Returns the reads made. Rows (all) and bounds
// are parsed alike (HY_PARSERS): bounds decoded without a leading U+FEFF would
// make hyparquet skip pages that hold the rows.
async function prunedReads(hy, ab, md, all, cols, where, fail) {
  const indexed = new Set();
  for (const rg of md.row_groups) {
    for (const chunk of rg.columns) if (chunk.column_index_length) indexed.add(chunk.meta_data.path_in_schema.join('.'));
  }
  let reads = 0;
  for (const name of cols.filter((c) => indexed.has(c) && !c.includes('.')).slice(0, 8)) {
    const present = all.map((r) => r[name]).filter((v) => v !== null && v !== undefined && (typeof v !== 'number' || !Number.isNaN(v)));
    if (present.length === 0 || typeof present[0] === 'object') continue;
    const v = present[Math.floor(present.length * 0.37)];
    for (const filter of [{ [name]: { $gte: v } }, { [name]: { $eq: v } }]) {
      const want = all.filter((r) => r[name] !== null && r[name] !== undefined && (filter[name].$eq !== undefined ? r[name] === v : r[name] >= v)).length;
      let got;
      try {
        got = (await hy.parquetReadObjects({ file: ab, parsers: HY_PARSERS, compressors: COMPRESSORS, columns: [name], filter, usePageIndex: true })).length;
      } catch (e) { fail({ ...where, column: name }, `hyparquet with the page index: ${e.message}`); continue; }
      reads++;
      if (got !== want) fail({ ...where, column: name }, `${JSON.stringify(filter, (k, x) => (typeof x === 'bigint' ? String(x) : x))}: ${got} rows with the page index, ${want} in a scan`);
    }
  }
  return reads;
}

async function pageIndexCheck(files, perFile, schema, sum, diffs) {
  const { hy } = await loadModules();
  const raw = { timestampFromMilliseconds: (v) => v, timestampFromMicroseconds: (v) => v, dateFromDays: (v) => v,
    stringFromBytes: (v) => v };
  const cols = schema.columns.map((c) => c.name);
  if (schema.extra) cols.push('_extra');
  let chunks = 0, pages = 0, columnIndexes = 0, unindexed = 0, filtered = 0, prunedFiles = 0;
  const where0 = (f) => ({ file: path.basename(f) });
  const bad = [];
  const fail = (where, what) => { if (bad.length < 10) bad.push({ ...where, problem: what }); };
  for (const [fileNo, f] of files.entries()) {
    const buf = fs.readFileSync(f);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const rows = perFile[fileNo];
    let md;
    try {
      md = hy.parquetMetadata(ab);
    } catch (e) { throw new ReaderError(`hyparquet ${f}: ${e.message}`); }
    const leaves = new Map(md.schema.slice(1).map((e) => [e.name, e]));
    let rgStart = 0;
    const withOffsets = md.row_groups.flatMap((rg) => rg.columns.map((ch) => !!ch.offset_index_length));
    if (withOffsets.some((x) => x) && !withOffsets.every((x) => x)) {
      fail(where0(f), `${withOffsets.filter((x) => x).length} of ${withOffsets.length} chunks have an OffsetIndex: all or none`);
    }
    md.row_groups.forEach((rg, g) => {
      const n = Number(rg.num_rows);
      for (const chunk of rg.columns) {
        const meta = chunk.meta_data;
        const name = meta.path_in_schema.join('.');
        const where = { file: path.basename(f), row_group: g, column: name };
        if (!chunk.offset_index_length) { unindexed++; continue; }
        chunks++;
        const oi = hy.readOffsetIndex({ view: new DataView(ab, Number(chunk.offset_index_offset), chunk.offset_index_length), offset: 0 });
        const locs = oi.page_locations;
        const end = Number(meta.dictionary_page_offset || meta.data_page_offset) + Number(meta.total_compressed_size);
        if (Number(locs[0].offset) !== Number(meta.data_page_offset)) fail(where, `first page at ${locs[0].offset}, data_page_offset ${meta.data_page_offset}`);
        locs.forEach((l, i) => {
          const next = i + 1 < locs.length ? Number(locs[i + 1].offset) : end;
          if (Number(l.offset) + l.compressed_page_size !== next) fail(where, `page ${i} ends at ${Number(l.offset) + l.compressed_page_size}, next starts at ${next}`);
          const fr = Number(l.first_row_index);
          if (i === 0 ? fr !== 0 : fr <= Number(locs[i - 1].first_row_index) || fr >= n) fail(where, `page ${i} first_row_index ${fr}`);
        });
        pages += locs.length;
        if (!chunk.column_index_length) continue;
        columnIndexes++;
        // Bounds by physical type: hyparquet 1.31 converts a DATE or TIMESTAMP
        // null page's byte[0] (what the spec asks for) as if it had 4 or 8 bytes.
        const leaf = leaves.get(name);
        const ci = hy.readColumnIndex({ view: new DataView(ab, Number(chunk.column_index_offset), chunk.column_index_length), offset: 0 },
          { name: leaf.name, type: leaf.type }, raw);
        if (ci.null_pages.length !== locs.length) { fail(where, `ColumnIndex has ${ci.null_pages.length} pages, OffsetIndex ${locs.length}`); continue; }
        const nonNull = [];
        locs.forEach((l, i) => {
          const from = rgStart + Number(l.first_row_index);
          const to = rgStart + (i + 1 < locs.length ? Number(locs[i + 1].first_row_index) : n);
          const vals = rows.slice(from, to).map((r) => r[name]);
          const present = vals.filter((v) => v !== null && v !== undefined);
          if (Number(ci.null_counts[i]) !== vals.length - present.length) fail(where, `page ${i}: null_counts ${ci.null_counts[i]}, rows have ${vals.length - present.length}`);
          if (ci.null_pages[i] !== (present.length === 0)) fail(where, `page ${i}: null_pages ${ci.null_pages[i]} with ${present.length} values`);
          if (ci.null_pages[i]) return;
          nonNull.push(i);
          for (const v of present) {
            if (pageOrder(ci.min_values[i], v) > 0 || pageOrder(ci.max_values[i], v) < 0) {
              fail(where, `page ${i}: ${showBound(v)} outside [${showBound(ci.min_values[i])}, ${showBound(ci.max_values[i])}]`);
              break;
            }
          }
        });
        const sign = ci.boundary_order === 'ASCENDING' ? 1 : ci.boundary_order === 'DESCENDING' ? -1 : 0;
        for (let k = 1; sign && k < nonNull.length; k++) {
          const [a, b] = [nonNull[k - 1], nonNull[k]];
          if (sign * pageOrder(ci.min_values[a], ci.min_values[b]) > 0 || sign * pageOrder(ci.max_values[a], ci.max_values[b]) > 0) {
            fail(where, `${ci.boundary_order} broken between pages ${a} and ${b}`);
            break;
          }
        }
      }
      rgStart += n;
    });
    // Bounded: two files a comparison, pages hyparquet decodes itself (ZSTD
    // would start a zstd process per page read).
    const zstd = md.row_groups.some((rg) => rg.columns.some((ch) => ch.meta_data.codec === 'ZSTD'));
    if (prunedFiles < 2 && !zstd) {
      prunedFiles++;
      filtered += await prunedReads(hy, ab, md, rows, cols, where0(f), fail);
    }
  }
  sum.page_index = { chunks, pages, column_indexes: columnIndexes, unindexed, pruned_reads: filtered };
  if (bad.length) diffs.push({ check: 'page_index', first: bad });
}

// ---- the independent readers ----------------------------------------------------
// Each returns the rows of every file in order, as canon() values, with the
// row count the footers declare.

async function readHyparquet(files, cols, schema) {
  const { hy } = await loadModules();
  const rows = [];
  const perFile = []; /* each file's rows as hyparquet gives them, _extra too: pageIndexCheck's */
  const names = cols.map((c) => c.name).concat(schema && schema.extra ? ['_extra'] : []);
  let metaRows = 0;
  let rowGroups = 0;
  for (const f of files) {
    let got;
    try {
      const buf = fs.readFileSync(f);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      const md = hy.parquetMetadata(ab);
      metaRows += Number(md.num_rows);
      rowGroups += md.row_groups.length;
      got = await hy.parquetReadObjects({ file: ab, parsers: HY_PARSERS, compressors: COMPRESSORS, columns: names });
    } catch (e) { throw new ReaderError(`hyparquet ${f}: ${e.message}`); }
    perFile.push(got);
    for (const r of got) rows.push(cols.map((c) => canon(c.type, r[c.name])));
  }
  return { rows, metaRows, rowGroups, perFile };
}

// arrow-rs decodes the pages; the values are taken from the Arrow buffers
// themselves (timestamps as their int64, dates as their day number), since
// apache-arrow's row accessors turn microseconds into float milliseconds.
async function readArrowRs(files, cols) {
  const { pw, arrow } = await loadModules();
  const rows = [];
  for (const f of files) {
    let table;
    try {
      table = arrow.tableFromIPC(pw.readParquet(new Uint8Array(fs.readFileSync(f))).intoIPCStream());
    } catch (e) { throw new ReaderError(`arrow-rs ${f}: ${e && e.message || e}`); }
    const base = rows.length;
    for (let r = 0; r < table.numRows; r++) rows.push(new Array(cols.length));
    cols.forEach((c, i) => {
      const vec = table.getChild(c.name);
      if (!vec) throw new ReaderError(`arrow-rs ${f}: no column ${c.name}`);
      let r = base;
      for (const d of vec.data) {
        const raw = c.type === 'date' || INT64ISH.has(c.type);
        const bytes = (c.type === 'string' || c.type === 'json') && d.valueOffsets; /* see UTF8 */
        for (let k = 0; k < d.length; k++, r++) {
          if (!d.getValid(k)) rows[r][i] = null;
          else if (bytes) rows[r][i] = canon(c.type, d.values.subarray(Number(d.valueOffsets[k]), Number(d.valueOffsets[k + 1])));
          else rows[r][i] = canon(c.type, raw ? d.values[k] : vec.get(r - base)); // values are sliced to the chunk
        }
      }
    });
  }
  return { rows }; /* footer row counts: hyparquet checks them */
}

// Polars hands int64 out as JavaScript numbers (rounded past 2^53) and
// timestamps as Dates (milliseconds): those columns are cast to their integer
// and read as decimal text; dates as their day number. It reads a JSON column
// as Binary, which it cannot hand to JavaScript: cast to text.
async function readPolars(files, cols) {
  const { pl } = await loadModules();
  const rows = [];
  for (const f of files) {
    let df;
    try {
      df = pl.readParquet(f);
    } catch (e) { throw new ReaderError(`polars ${f}: ${e && e.message || e}`); }
    const base = rows.length;
    for (let r = 0; r < df.height; r++) rows.push(new Array(cols.length));
    cols.forEach((c, i) => {
      let s;
      try {
        s = df.getColumn(c.name);
        if (INT64ISH.has(c.type)) s = s.cast(pl.Int64).cast(pl.Utf8);
        else if (c.type === 'date') s = s.cast(pl.Int32);
        else if (c.type === 'json') s = s.cast(pl.Utf8);
      } catch (e) { throw new ReaderError(`polars ${f}: column ${c.name}: ${e && e.message || e}`); }
      const vals = s.toArray();
      vals.forEach((v, k) => { rows[base + k][i] = canon(c.type, v); });
    });
  }
  return { rows };
}

const READERS = [{ name: 'hyparquet', read: readHyparquet }, { name: 'arrow_rs', read: readArrowRs },
  { name: 'polars', read: readPolars }];

// One reader's rows against read_json's: counts, then cell by cell in file
// order (unless o.unordered), then as multisets.
function checkReader(name, read, want, cols, o, sum, diffs) {
  const got = read.rows;
  sum[`rows_${name}`] = got.length;
  if (read.metaRows !== undefined && read.metaRows !== got.length) {
    diffs.push({ check: `${name}_num_rows`, footer: read.metaRows, read: got.length });
  }
  if (got.length !== want.length) diffs.push({ check: `${name}_row_count`, ndjson: want.length, [name]: got.length });
  let cellDiffs = 0;
  const first = [];
  if (!o.unordered) {
    const n = Math.min(got.length, want.length);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < cols.length; i++) {
        if (!same(want[r][i], got[r][i])) {
          cellDiffs++;
          if (first.length < 10) first.push({ row: r, column: cols[i].name, ndjson: show(want[r][i]), [name]: show(got[r][i]) });
        }
      }
    }
  }
  const multiset = multisetDiff(want, got, cols, name);
  sum[`${name}_cell_differences`] = o.unordered ? null : cellDiffs;
  sum[`${name}_multiset_differences`] = multiset.count;
  if (cellDiffs > 0) diffs.push({ check: `${name}_in_order`, cells: cellDiffs, order_only: multiset.count === 0, first });
  if (multiset.count > 0) diffs.push({ check: `${name}_multiset`, rows: multiset.count, first: multiset.first });
}

function finish(sum, diffs, t0, status) {
  sum.status = status || (diffs.length ? 'mismatch' : 'match');
  sum.ok = sum.status === 'match';
  if (diffs.length) sum.differences = diffs;
  sum.seconds = (Date.now() - t0) / 1000;
  return sum;
}

function moduleVersion(entry) {
  // The nearest package.json with a name: parquet-wasm's node/ folder has one without.
  try {
    for (let d = path.dirname(entry); d !== path.dirname(d); d = path.dirname(d)) {
      const f = path.join(d, 'package.json');
      if (!fs.existsSync(f)) continue;
      const p = JSON.parse(fs.readFileSync(f, 'utf8'));
      if (p.name) return p.version;
    }
  } catch { /* unreadable: no version */ }
  return null;
}

function layoutCheck(schema, desc, pschema, diffs) {
  const want = schema.columns.map((c) => ({ name: c.name, type: TYPES[c.type].duck }));
  if (schema.extra) want.push({ name: '_extra', type: 'VARCHAR' });
  const have = desc.map((r) => ({ name: r[0], type: r[1] }));
  const problems = [];
  if (have.length !== want.length) problems.push(`${have.length} columns, want ${want.length}`);
  for (let i = 0; i < Math.min(have.length, want.length); i++) {
    if (have[i].name !== want[i].name || have[i].type !== want[i].type) {
      problems.push(`column ${i}: ${have[i].name} ${have[i].type}, want ${want[i].name} ${want[i].type}`);
    }
  }
  const byName = new Map();
  for (const r of pschema) {
    if (!byName.has(r[0])) byName.set(r[0], []);
    byName.get(r[0]).push({ phys: r[1], logical: r[2] === null ? '' : String(r[2]), rep: r[3], converted: r[4] });
  }
  for (const c of schema.columns) {
    for (const p of byName.get(c.name) || []) {
      const t = TYPES[c.type];
      if (p.phys !== t.phys) problems.push(`${c.name}: physical ${p.phys}, want ${t.phys}`);
      if (t.unit && !p.logical.includes(`${t.unit}=${t.unit === 'MILLIS' ? 'MilliSeconds' : 'MicroSeconds'}()`)) {
        problems.push(`${c.name}: logical ${p.logical}, want unit ${t.unit}`);
      }
      if (t.unit && !p.logical.includes('isAdjustedToUTC=1')) problems.push(`${c.name}: not adjusted to UTC`);
      if (t.logical && p.logical !== t.logical) problems.push(`${c.name}: logical ${p.logical}, want ${t.logical}`);
      if (t.converted && p.converted !== t.converted) problems.push(`${c.name}: converted ${p.converted}, want ${t.converted}`);
      const rep = c.nullable ? 'OPTIONAL' : 'REQUIRED';
      if (p.rep !== rep) problems.push(`${c.name}: ${p.rep}, want ${rep}`);
    }
  }
  if (problems.length) diffs.push({ check: 'layout', problems: problems.slice(0, 10) });
}

function multisetDiff(want, got, cols, name) {
  const counts = new Map();
  for (const r of want) { const k = rowKey(r); counts.set(k, (counts.get(k) || 0) + 1); }
  const extra = [];
  for (const r of got) {
    const k = rowKey(r);
    const n = counts.get(k);
    if (n) counts.set(k, n - 1); else extra.push(r);
  }
  const missing = [];
  for (const [k, n] of counts) for (let i = 0; i < n; i++) missing.push(k);
  const first = [];
  for (const r of extra.slice(0, 3)) first.push({ only_in: name, row: Object.fromEntries(cols.map((c, i) => [c.name, show(r[i])])) });
  for (const k of missing.slice(0, 3)) first.push({ only_in: 'ndjson', row: k.length > 400 ? `${k.slice(0, 400)}...` : k });
  return { count: extra.length + missing.length, first };
}

// ---- command line -------------------------------------------------------------

const jsonOut = (o) => JSON.stringify(o, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);

async function main(argv) {
  const args = [];
  let unordered = false;
  let quiet = false;
  let codec = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--unordered') unordered = true;
    else if (a === '--codec' && i + 1 < argv.length) codec = argv[++i];
    else if (a === '--quiet') quiet = true;
    else if (a === '--help' || a === '-h') { args.length = 0; break; } else args.push(a);
  }
  if (args.length < 3) {
    console.error('usage: compare.mjs [--unordered] [--quiet] [--codec NAME] SCHEMA.json PARQUET_GLOB NDJSON...');
    return 2;
  }
  const [schemaPath, parquetGlob, ...ndjson] = args;
  const sum = await compare({ schemaPath, parquetGlob, ndjson, unordered, codec });
  const out = { ok: sum.ok, status: sum.status, schema: schemaPath, parquet: parquetGlob, ...sum };
  if (!quiet || !sum.ok) console.log(jsonOut(out));
  return sum.status === 'match' ? 0 : sum.status === 'mismatch' ? 1 : 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(e && e.stack || e);
    process.exit(2);
  });
}
