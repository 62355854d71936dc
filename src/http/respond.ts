// JSON responses, written with one writeHead: headers gathered per request in a flat list go to the
// socket without Node's per-setHeader validation and bookkeeping. Constant bodies are rendered and
// measured once at start-up.
import type { ServerResponse } from 'node:http';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Response headers gathered while a request passes through: [name, value, name, value, ...]. */
export type HeaderList = string[];

/** A body with its Content-Length. */
export interface Body {
  text: string;
  length: string;
}

export function body(text: string): Body {
  return { text, length: String(Buffer.byteLength(text)) };
}

export function send(res: ServerResponse, status: number, reply: Body, headers: HeaderList): void {
  headers.push('content-type', JSON_TYPE, 'content-length', reply.length);
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : reply.text);
}

/** For bodies made per request. */
export function sendJson(res: ServerResponse, status: number, text: string, headers: HeaderList): void {
  send(res, status, body(text), headers);
}

export function errorBody(error: string, message: string): string {
  return JSON.stringify({ error, message });
}
