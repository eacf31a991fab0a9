#!/usr/bin/env node
// Lists every object of a bucket through the S3 API (ListObjectsV2, signed
// by the AWS SDK's signer through s3req.mjs) and downloads each into DIR,
// keeping the key as the path. Prints one line per object: size and key.
//   node fetch.mjs ENDPOINT BUCKET DIR
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [endpoint, bucket, dir] = process.argv.slice(2);
if (!dir) {
  console.error('usage: fetch.mjs ENDPOINT BUCKET DIR');
  process.exit(2);
}
const s3req = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3req.mjs');
const call = (args) => JSON.parse(execFileSync('node', [s3req, '--endpoint', endpoint, ...args], { encoding: 'utf8' }));
let token = null;
const keys = [];
do {
  const q = `list-type=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`;
  const r = call(['GET', `/${bucket}?${q}`]);
  if (r.status !== 200) {
    console.error(`ListObjectsV2: HTTP ${r.status} ${r.code}`);
    process.exit(1);
  }
  for (const m of r.body.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
  const t = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(r.body);
  token = /<IsTruncated>true<\/IsTruncated>/.test(r.body) && t ? t[1] : null;
} while (token);
for (const key of keys) {
  const out = path.join(dir, key);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // s3req.mjs encodes the path itself (the SigV4 way): pass the key raw.
  const r = call(['GET', `/${bucket}/${key}`, '--out', out]);
  if (r.status !== 200) {
    console.error(`GetObject ${key}: HTTP ${r.status} ${r.code}`);
    process.exit(1);
  }
}
console.log(`${keys.length} objects fetched from s3://${bucket}`);
