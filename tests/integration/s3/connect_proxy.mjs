#!/usr/bin/env node
// A minimal HTTP CONNECT proxy for the uploader's tests, on 127.0.0.1 only.
//   node connect_proxy.mjs [--auth USER:PASS]
// Prints {"proxy":"http://127.0.0.1:PORT"} once listening. CONNECT without the
// right Proxy-Authorization (when --auth is given) gets 407; other methods get
// 405, except GET /__stats: {"tunnels":N,"refused":N,"bytes_up":N}.
// Tunnels only to 127.0.0.1 / localhost, so a test can never reach further.
import http from 'node:http';
import net from 'node:net';

const args = process.argv.slice(2);
const auth = args[0] === '--auth' ? 'Basic ' + Buffer.from(args[1]).toString('base64') : null;
const stats = { tunnels: 0, refused: 0, bytes_up: 0 };

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  res.writeHead(405);
  res.end();
});

server.on('connect', (req, client, head) => {
  const [host, portText] = req.url.split(':');
  const port = Number(portText);
  if (auth !== null && req.headers['proxy-authorization'] !== auth) {
    stats.refused++;
    client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="floe"\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  if (!['127.0.0.1', 'localhost'].includes(host) || !(port > 0 && port < 65536)) {
    stats.refused++;
    client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const upstream = net.connect(port, '127.0.0.1', () => {
    stats.tunnels++;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    client.on('data', (d) => { stats.bytes_up += d.length; });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const close = () => { client.destroy(); upstream.destroy(); };
  upstream.on('error', close);
  client.on('error', close);
});

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ proxy: `http://127.0.0.1:${server.address().port}` }));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
