// The per-request log line, rendered straight from its values: the keys are fixed, so the line is
// a template filled in per request rather than an object walked by a generic serializer. The bytes are
// what pino writes for the same call with the agent's options (test/log checks this), so one reader
// parses every line of the file the same way.

/** A JSON string literal the way pino writes it: short safe text as is, anything else by JSON.stringify. */
export function jsonString(text: string): string {
  if (text.length > 64) return JSON.stringify(text);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c > 126) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** Index k: the fraction k/1000 as JSON writes it (".001", ".01", ".1"; nothing for 0). */
const FRACTIONS = Array.from({ length: 1000 }, (_, k) => (k === 0 ? '' : `.${String(k).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * A duration in milliseconds, rounded to the microsecond as the pipeline rounds it, in the text JSON
 * gives that number: whole milliseconds and a looked-up fraction, integers only, so no float is printed.
 */
export function msText(ms: number): string {
  const micros = Math.round(ms * 1000);
  return `${Math.floor(micros / 1000)}${FRACTIONS[micros % 1000]}`;
}

let lastMs = -1;
let lastTime = '';

/** pino's isoTime field, rendered once per millisecond rather than once per line. */
export function isoTimeField(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/**
 * Writes one `request` line: what was asked, the answer, and who asked (`ip`) through which socket
 * (`peer`). `reqId`, `method`, `ip` and `protocol` must already be JSON-safe text (a request id of the
 * safe shape, a method token Node's parser accepted, canonical address text, 'http'/'https'); they are
 * written as they are. `path` and `peer` are escaped as needed.
 */
export type RequestLineWriter = (
  reqId: string,
  method: string,
  path: string,
  status: number,
  ms: number,
  ip: string,
  peer: string,
  protocol: string,
  aborted: boolean,
) => void;

export function createRequestLineWriter(write: (line: string) => void, pid: number): RequestLineWriter {
  const head = `{"level":"info"`;
  const pidField = `,"pid":${pid},"reqId":"`;
  return (reqId, method, path, status, ms, ip, peer, protocol, aborted) => {
    write(
      `${head}${isoTimeField()}${pidField}${reqId}","method":"${method}","path":${jsonString(path)},"status":${status},"ms":${msText(ms)},"ip":"${ip}","peer":${jsonString(peer)},"protocol":"${protocol}"${aborted ? ',"aborted":true' : ''},"msg":"request"}\n`,
    );
  };
}
