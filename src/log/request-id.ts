// Request ids: the trusted proxy's X-Request-Id when it has a safe shape, else a process-unique id.
import { randomBytes } from 'node:crypto';

const prefix = randomBytes(4).toString('hex');
let counter = 0;

function isSafeId(value: string): boolean {
  if (value.length === 0 || value.length > 128) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ok = (c >= 48 && c <= 58) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 45 || c === 46 || c === 95;
    if (!ok) return false;
  }
  return true;
}

/** `fromPeer` is the X-Request-Id header, passed only when the socket peer is a trusted proxy. */
export function requestId(fromPeer: string | undefined): string {
  if (fromPeer !== undefined && isSafeId(fromPeer)) return fromPeer;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter}`;
}
