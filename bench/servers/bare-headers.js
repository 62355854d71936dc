// bare node:http sending the agent's five response headers (x-request-id, RateLimit-Policy, RateLimit,
// content-type, content-length) with values shaped like the agent's: what those headers alone cost in
// Node, the floor under any server that sends them.
import { createServer } from 'node:http';
import { ready, serverArgs } from './args.js';

const { host, port } = serverArgs();
const BODY = JSON.stringify({ status: 'ok' });
const LENGTH = String(Buffer.byteLength(BODY));
let counter = 0;

const server = createServer((req, res) => {
  counter++;
  res.writeHead(200, [
    'x-request-id', `0a1b2c3d-${counter}`,
    'ratelimit-policy', '"default";q=1000000000;w=1',
    'ratelimit', `"default";r=${999_999_999 - (counter & 1023)};t=1`,
    'content-type', 'application/json; charset=utf-8',
    'content-length', LENGTH,
  ]);
  res.end(BODY);
});
server.listen(port, host, () => ready(server.address().port, () => new Promise((r) => server.close(r))));
