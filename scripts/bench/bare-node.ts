// The reference for what one Node process can do here: node:http answering every request with the same
// bytes and Content-Type, nothing else (no routing, no headers of ours). Started by bench:http.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [file = '', type = 'text/html', port = '0'] = process.argv.slice(2);
const body = readFileSync(file);
createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length });
  res.end(body);
}).listen({ port: Number(port), host: '127.0.0.1', backlog: 4096 }, () => process.send?.('ready'));
