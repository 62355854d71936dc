// JSON responses, written with one writeHead: headers gathered per request in a flat list go to the
// socket without Node's per-setHeader validation and bookkeeping. Bodies are strings, so constant ones
// are rendered once at start-up.
import type { ServerResponse } from 'node:http';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Response headers gathered while a request passes through: [name, value, name, value, ...]. */
export type HeaderList = string[];

export function sendJson(res: ServerResponse, status: number, body: string, headers: HeaderList): void {
  headers.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)));
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function errorBody(error: string, message: string): string {
  return JSON.stringify({ error, message });
}
