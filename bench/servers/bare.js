// The baseline: node:http answering 200 with a small JSON body, and nothing else.
import { createServer } from 'node:http';
import { ready, serverArgs } from './args.js';

const { host, port } = serverArgs();
const BODY = JSON.stringify({ status: 'ok' });
const LENGTH = String(Buffer.byteLength(BODY));

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': LENGTH });
  res.end(BODY);
});
server.listen(port, host, () => ready(server.address().port, () => new Promise((r) => server.close(r))));
