// JSON responses. Bodies are strings so constant ones can be rendered once at start-up.
import type { ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function errorBody(error: string, message: string): string {
  return JSON.stringify({ error, message });
}
