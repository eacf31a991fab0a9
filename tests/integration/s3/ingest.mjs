#!/usr/bin/env node
// A generic HTTPS ingest endpoint for the uploader's plain-PUT mode, on
// 127.0.0.1 only:
//   node ingest.mjs --data DIR [--token T] [--tls CERT,KEY] [--client-ca PEM] [--fail-first N]
// --client-ca: mutual TLS, a client certificate signed by PEM is required.
// PUT /any/path stores the body at DIR/any/path (URL-decoded) and answers 201.
// It answers 401 without "Authorization: Bearer T" (when --token is given),
// 400 when a Content-Digest sha-256 does not match the body, and 503 with
// Retry-After: 1 to the first N PUTs. GET /__stats: counts and the queries seen.
// Prints {"endpoint":"https://127.0.0.1:PORT"} once listening.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

const opt = { data: null, token: null, tls: null, clientCa: null, failFirst: 0 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = process.argv[++i];
  if (a === '--data') opt.data = v;
  else if (a === '--token') opt.token = v;
  else if (a === '--tls') opt.tls = v.split(',');
  else if (a === '--fail-first') opt.failFirst = Number(v);
  else if (a === '--client-ca') opt.clientCa = v;
  else { console.error(`ingest.mjs: unknown option ${a}`); process.exit(2); }
}
if (!opt.data) { console.error('ingest.mjs: --data DIR is required'); process.exit(2); }
const stats = { client_cns: [], puts: 0, stored: 0, unauthorized: 0, bad_digest: 0, digests_checked: 0, failed_on_purpose: 0, queries: [] };

function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (req.method !== 'PUT') { res.writeHead(405); res.end(); return; }
  stats.puts++;
  if (opt.token !== null && req.headers.authorization !== `Bearer ${opt.token}`) {
    stats.unauthorized++;
    res.writeHead(401, { 'content-length': 0 });
    res.end();
    req.resume();
    return;
  }
  if (stats.failed_on_purpose < opt.failFirst) {
    stats.failed_on_purpose++;
    res.writeHead(503, { 'retry-after': '1', 'content-length': 0 });
    res.end();
    req.resume();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const digest = /sha-256=:([A-Za-z0-9+/=]+):/.exec(req.headers['content-digest'] || '');
    if (digest) {
      stats.digests_checked++;
      if (crypto.createHash('sha256').update(body).digest('base64') !== digest[1]) {
        stats.bad_digest++;
        res.writeHead(400, { 'content-length': 0 });
        res.end();
        return;
      }
    }
    const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const dest = path.resolve(opt.data, rel);
    if (!dest.startsWith(path.resolve(opt.data) + path.sep)) { res.writeHead(400); res.end(); return; }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, body);
    stats.stored++;
    if (opt.clientCa) stats.client_cns.push(req.socket.getPeerCertificate().subject.CN);
    if (url.search) stats.queries.push(url.search);
    res.writeHead(201, { 'content-length': 0 });
    res.end();
  });
}

const server = opt.tls
  ? https.createServer({
    cert: fs.readFileSync(opt.tls[0]), key: fs.readFileSync(opt.tls[1]),
    ...(opt.clientCa ? { ca: fs.readFileSync(opt.clientCa), requestCert: true, rejectUnauthorized: true } : {}),
  }, handle)
  : http.createServer(handle);
server.listen(0, '127.0.0.1', () => {
  const scheme = opt.tls ? 'https' : 'http';
  console.log(JSON.stringify({ endpoint: `${scheme}://127.0.0.1:${server.address().port}` }));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
