#!/usr/bin/env node
// Per-column sizes of Parquet files, as DuckDB's parquet_metadata reports
// them: compressed bytes of each column's chunks summed over every row group
// of every file given, the part of it in dictionary pages, and the encodings
// seen. For comparing writers column by column (docs/parquet.md).
//
// Usage: NODE_PATH=build/npm/node_modules node tools/bench/cols.mjs PARQUET...
//   (a directory stands for the *.parquet files under it)
import { loadModules } from '../../tests/integration/compare.mjs';
import fs from 'node:fs';
import path from 'node:path';

const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;

function parquetFiles(arg) {
  if (!fs.statSync(arg).isDirectory()) return [arg];
  return fs.readdirSync(arg, { recursive: true })
    .filter((f) => String(f).endsWith('.parquet'))
    .map((f) => path.join(arg, String(f)));
}

const files = process.argv.slice(2).flatMap(parquetFiles).sort();
if (files.length === 0) {
  console.error('usage: cols.mjs PARQUET|DIR...');
  process.exit(2);
}
const { duck } = await loadModules();
const con = await (await duck.DuckDBInstance.create(':memory:')).connect();
const list = `[${files.map(lit).join(',')}]`;
// A chunk's dictionary page runs from dictionary_page_offset to its first
// data page; DuckDB reports a missing dictionary page as NULL or 0.
const sql = `SELECT path_in_schema,
    sum(total_compressed_size)::BIGINT,
    sum(CASE WHEN coalesce(dictionary_page_offset, 0) > 0
             THEN data_page_offset - dictionary_page_offset ELSE 0 END)::BIGINT,
    string_agg(DISTINCT encodings, ' | '),
    count(*)::BIGINT
  FROM parquet_metadata(${list}) GROUP BY path_in_schema ORDER BY min(column_id)`;
const rows = (await con.runAndReadAll(sql)).getRows();
const total = (await con.runAndReadAll(
  `SELECT sum(size)::BIGINT FROM (SELECT DISTINCT file_name, row_group_id, row_group_bytes AS size FROM parquet_metadata(${list}))`,
)).getRows();
const mb = (n) => (Number(n) / 1e6).toFixed(3).padStart(8);
console.log(`${'column'.padEnd(14)} ${'bytes MB'.padStart(8)} ${'dict MB'.padStart(8)}  chunks  encodings`);
let sum = 0;
for (const [name, bytes, dict, enc, chunks] of rows) {
  sum += Number(bytes);
  console.log(`${String(name).padEnd(14)} ${mb(bytes)} ${mb(dict)}  ${String(chunks).padStart(6)}  ${enc}`);
}
const fileBytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
console.log(`${'columns'.padEnd(14)} ${mb(sum)}`);
console.log(`${'files'.padEnd(14)} ${mb(fileBytes)}  (${files.length} files, ${total[0][0] === null ? '?' : 'row groups ' + mb(total[0][0]).trim() + ' MB uncompressed'})`);
