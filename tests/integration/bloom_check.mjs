#!/usr/bin/env node
// Checks floe's Parquet Bloom filters with DuckDB, a reader (and writer)
// floe's authors did not write.
//
// Usage: node bloom_check.mjs probe [--expect COLUMN]... [--sample N] PARQUET...
//        node bloom_check.mjs columns WANT PARQUET_GLOB [NONE_GLOB]
//        node bloom_check.mjs same-as-duckdb FLOE_PARQUET DUCK_OUT.parquet SQL
//        node bloom_check.mjs zeros PARQUET_GLOB
//
// probe, with DuckDB's parquet_bloom_probe, for every chunk with a filter:
//   1. no false negatives: for up to N (default 100) of the column's distinct
//      values (spread over the sorted list), every row group holding the value
//      must not be excluded by its filter;
//   2. the filter works: for 40 values the file does not hold, at least 90%
//      of the (value, row group) probes are excluded (1% is the design rate).
//   With --expect COLUMN: every row group of every file has a filter on COLUMN.
// columns: the columns with filters are exactly WANT ("a,b"), and the files of
//   NONE_GLOB have none.
// same-as-duckdb: DuckDB writes SQL's rows to DUCK_OUT; its filters must equal
//   floe's byte for byte (headers and bitsets), column by column.
// zeros: for every FLOAT/DOUBLE column with a filter, col = 0.0 and col = -0.0
//   find every row holding either zero (readers take -0.0 = 0.0).
// Prints one line; exit 0 when all holds, 1 when not, 2 on errors.
import { loadModules } from './compare.mjs';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;

export async function checkBloom(files, { expect = [], sample = 100, requireFilters = true } = {}) {
  const { duck } = await loadModules();
  const con = await (await duck.DuckDBInstance.create(':memory:')).connect();
  const rows = async (sql, params) => (await con.runAndReadAll(sql, params)).getRows();
  const bad = [];
  let chunks = 0, probes = 0, absentProbes = 0, absentExcluded = 0;
  for (const f of files) {
    const meta = await rows(`SELECT row_group_id, row_group_num_rows, path_in_schema, bloom_filter_offset
      FROM parquet_metadata(${lit(f)}) ORDER BY row_group_id`);
    const types = new Map((await rows(`DESCRIBE SELECT * FROM read_parquet(${lit(f)})`)).map((r) => [r[0], r[1]]));
    // DuckDB's probe hashes a timestamp as microseconds whatever the column's
    // unit, so for MILLIS columns it is checked by query results instead.
    const millis = new Set((await rows(`SELECT name FROM parquet_schema(${lit(f)}) WHERE converted_type = 'TIMESTAMP_MILLIS'`)).map((r) => r[0]));
    const withFilter = new Map(); // column -> Set of row groups
    const bounds = new Map();     // row group -> [first row, end row)
    let at = 0n;
    for (const [rgId, n, col, off] of meta) {
      const rg = Number(rgId); // row group ids as numbers everywhere (DuckDB gives BIGINT)
      if (!bounds.has(rg)) { bounds.set(rg, [at, at + BigInt(n)]); at += BigInt(n); }
      if (off !== null) {
        if (!withFilter.has(col)) withFilter.set(col, new Set());
        withFilter.get(col).add(rg);
        chunks++;
      }
    }
    for (const col of expect) {
      const got = withFilter.get(col) || new Set();
      if (got.size !== bounds.size) bad.push({ file: f, column: col, filters: got.size, row_groups: bounds.size });
    }
    for (const [col, rgs] of withFilter) {
      const type = types.get(col);
      const q = `"${col.replace(/"/g, '""')}"`;
      // (row group, value as hex of its text) for every distinct non-null value:
      // hex, because JavaScript's UTF-8 decoding drops a leading byte order mark.
      const cases = [...bounds].map(([rg, [lo, hi]]) => `WHEN file_row_number < ${hi} THEN ${rg}`).join(' ');
      const held = await rows(`SELECT DISTINCT CASE ${cases} END AS rg, hex(encode(CAST(${q} AS VARCHAR))) AS v
        FROM read_parquet(${lit(f)}, file_row_number = true) WHERE ${q} IS NOT NULL ORDER BY v, rg`);
      const byValue = new Map();
      for (const [rg, v] of held) {
        if (!byValue.has(v)) byValue.set(v, []);
        byValue.get(v).push(Number(rg));
      }
      const values = [...byValue.keys()];
      const step = Math.max(1, Math.floor(values.length / sample));
      for (let i = 0; i < values.length; i += step) {
        const v = values[i];
        if (millis.has(col)) {
          // Whatever the scan makes of the filter, it must find every row.
          const [[got]] = await rows(`SELECT count(*) FROM read_parquet(${lit(f)}) WHERE ${q} = CAST(decode(unhex($1::VARCHAR)) AS ${type})`, [v]);
          const [[want]] = await rows(`SELECT count(*) FROM read_parquet(${lit(f)}) WHERE hex(encode(CAST(${q} AS VARCHAR))) = $1::VARCHAR`, [v]);
          probes++;
          if (got !== want) bad.push({ file: f, column: col, value: v, problem: 'rows lost by a filtered scan', got, want });
          continue;
        }
        // The value as a parameter: strings may hold quotes and control characters.
        const res = await rows(`SELECT row_group_id, bloom_filter_excludes
          FROM parquet_bloom_probe(${lit(f)}, ${lit(col)}, CAST(decode(unhex($1::VARCHAR)) AS ${type}))`, [v]);
        const excluded = new Map(res.map(([rg, ex]) => [Number(rg), ex]));
        for (const rg of byValue.get(v)) {
          if (!rgs.has(rg)) continue; // no filter on this chunk
          probes++;
          if (excluded.get(rg) !== false)
            bad.push({ file: f, column: col, value: v, row_group: rg, problem: 'false negative' });
        }
      }
      // Values the file does not hold, of the column's type.
      const absent = (k) => /CHAR|STRING|TEXT/i.test(type) ? `absent-${k}-${col}`
        : type === 'JSON' ? JSON.stringify(`absent-${k}-${col}`)
        : /^DATE/i.test(type) ? `29${String(k).padStart(2, '0')}-06-15`
        : /^TIMESTAMP/i.test(type) ? `29${String(k).padStart(2, '0')}-06-15 12:34:56.789+00`
        : String(900000000 + 7919 * k);
      for (let k = 0; k < 40 && !millis.has(col); k++) {
        const v = Buffer.from(absent(k), 'utf8').toString('hex').toUpperCase();
        if (byValue.has(v)) continue;
        const [[typed]] = await rows(`SELECT TRY_CAST(decode(unhex($1::VARCHAR)) AS ${type}) IS NOT NULL`, [v]);
        if (!typed) continue; // (a type with no such value, e.g. BOOLEAN)
        const res = await rows(`SELECT row_group_id, bloom_filter_excludes
          FROM parquet_bloom_probe(${lit(f)}, ${lit(col)}, TRY_CAST(decode(unhex($1::VARCHAR)) AS ${type}))`, [v]);
        for (const [rg, ex] of res) {
          if (!rgs.has(Number(rg))) continue;
          absentProbes++;
          if (ex === true) absentExcluded++;
        }
      }
    }
  }
  const rate = absentProbes ? absentExcluded / absentProbes : 1;
  if (absentProbes && rate < 0.9) bad.push({ problem: 'filters exclude too little', absent_excluded: rate });
  if (chunks === 0 && requireFilters) bad.push({ problem: 'no column chunk has a Bloom filter' });
  if (chunks > 0 && probes === 0) bad.push({ problem: 'no value was probed against a filter' });
  return { ok: bad.length === 0, files: files.length, chunks_with_filters: chunks, present_probes: probes,
           absent_probes: absentProbes, absent_excluded: Number(rate.toFixed(4)), problems: bad.slice(0, 5) };
}

async function connect() {
  const { duck } = await loadModules();
  const con = await (await duck.DuckDBInstance.create(':memory:')).connect();
  return async (sql, params) => (await con.runAndReadAll(sql, params)).getRows();
}

const filtersOf = (rows, glob) => rows(`SELECT DISTINCT path_in_schema FROM parquet_metadata(${lit(glob)})
  WHERE bloom_filter_offset IS NOT NULL ORDER BY 1`).then((r) => r.map((x) => x[0]).join(','));

export async function checkColumns(want, glob, noneGlob) {
  const rows = await connect();
  const got = await filtersOf(rows, glob), none = noneGlob ? await filtersOf(rows, noneGlob) : '';
  const ok = got === want && none === '';
  return { ok, line: ok ? `filters on ${got} only${noneGlob ? ', none in the other files' : ''}`
    : `filters on "${got}" (want "${want}")${noneGlob ? `, "${none}" in the files that should have none` : ''}` };
}

export async function checkSameAsDuckDB(floeFile, duckFile, sql) {
  const rows = await connect();
  await rows(`COPY (${sql}) TO ${lit(duckFile)} (FORMAT parquet)`);
  const filters = async (f) => {
    const bytes = fs.readFileSync(f);
    return (await rows(`SELECT path_in_schema, bloom_filter_offset, bloom_filter_length FROM parquet_metadata(${lit(f)})
      WHERE bloom_filter_offset IS NOT NULL ORDER BY 1`)).map(([c, o, n]) => ({ c, hex: bytes.subarray(Number(o), Number(o) + Number(n)).toString('hex') }));
  };
  const [a, b] = [await filters(floeFile), await filters(duckFile)];
  const ok = a.length > 0 && a.map((x) => x.c + x.hex).join() === b.map((x) => x.c + x.hex).join();
  return { ok, line: ok ? `${a.map((x) => `${x.c} ${x.hex.length / 2} bytes`).join(', ')}, as DuckDB writes them`
    : `floe ${a.map((x) => `${x.c}:${x.hex.slice(0, 48)}`).join(' ')} / DuckDB ${b.map((x) => `${x.c}:${x.hex.slice(0, 48)}`).join(' ')}` };
}

export async function checkZeros(glob) {
  const rows = await connect();
  const cols = (await rows(`SELECT DISTINCT m.path_in_schema, s.type FROM parquet_metadata(${lit(glob)}) m
    JOIN parquet_schema(${lit(glob)}) s ON s.name = m.path_in_schema
    WHERE m.bloom_filter_offset IS NOT NULL AND s.type IN ('FLOAT', 'DOUBLE') ORDER BY 1`));
  const bad = [], seen = [];
  for (const [c, t] of cols) {
    const q = `"${c.replace(/"/g, '""')}"`;
    const [[want]] = await rows(`SELECT count(*) FROM read_parquet(${lit(glob)}) WHERE CAST(${q} AS VARCHAR) IN ('0.0', '-0.0')`);
    for (const z of ['0.0', '-0.0']) {
      const [[got]] = await rows(`SELECT count(*) FROM read_parquet(${lit(glob)}) WHERE ${q} = ${z}::${t}`);
      if (got !== want) bad.push(`${c} = ${z}: ${got} rows of ${want}`);
    }
    seen.push(`${c} ${want}`);
  }
  const ok = cols.length > 0 && bad.length === 0;
  return { ok, line: ok ? `both zeros find every zero row (${seen.join(', ')})` : bad.join('; ') || 'no FLOAT/DOUBLE column with a filter' };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [mode, ...args] = process.argv.slice(2);
  const usage = () => { console.error('usage: bloom_check.mjs probe|columns|same-as-duckdb|zeros ... (see the top of this file)'); process.exit(2); };
  try {
    let r;
    if (mode === 'probe') {
      const files = [], expect = [];
      let sample = 100;
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '--expect') expect.push(args[++i]);
        else if (args[i] === '--sample') sample = Number(args[++i]);
        else files.push(args[i]);
      }
      if (files.length === 0) usage();
      const p = await checkBloom(files, { expect, sample });
      r = { ok: p.ok, line: p.ok ? `${p.chunks_with_filters} chunks, ${p.present_probes} present values found, ${(p.absent_excluded * 100).toFixed(1)}% of ${p.absent_probes} absent values excluded`
        : JSON.stringify(p, (k, v) => (typeof v === 'bigint' ? String(v) : v)) };
    } else if (mode === 'columns' && args.length >= 2) {
      r = await checkColumns(args[0], args[1], args[2]);
    } else if (mode === 'same-as-duckdb' && args.length === 3) {
      r = await checkSameAsDuckDB(args[0], args[1], args[2]);
    } else if (mode === 'zeros' && args.length === 1) {
      r = await checkZeros(args[0]);
    } else {
      usage();
    }
    console.log(r.line);
    process.exit(r.ok ? 0 : 1);
  } catch (e) {
    console.error(`bloom_check: ${e.message}`);
    process.exit(2);
  }
}
