// pino writing through an asynchronous destination (sonic-boom), so a slow disk or pipe never blocks a
// request; close() drains it on the way out, within a deadline. A destination that fails (disk full,
// reader gone) stops request logging with one line on stderr and never stops the agent.
//
// Two things keep a log line cheap under load (measured in bench/: together about a third of the cost of
// a request line):
// - lines logged during one turn of the event loop are joined and handed to sonic-boom once per turn.
//   sonic-boom measures the UTF-8 length of the chunk it is appending to on every write, which copies
//   that whole chunk (up to 16 KiB) per line while a disk write is in flight; once per turn it is cheap.
// - the ISO timestamp is rendered once per millisecond, not once per line.
// - a call with a flat object and a message (the request line) is rendered by a lean serializer through
//   pino's logMethod hook, byte for byte what pino would write; anything else goes through pino itself.
import { closeSync, openSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';

export interface AgentLogger {
  logger: Logger;
  /** Writes what is pending (giving up after `ms`) and releases the destination. */
  close(ms: number): Promise<void>;
}

interface Destination extends DestinationStream {
  flushSync(): void;
  end(): void;
  destroy(): void;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  once(event: 'close', listener: () => void): this;
}

/** Joins the lines of one event-loop turn into one write to `sink`, in order. */
class TurnBatcher implements DestinationStream {
  private pending = '';
  private scheduled = false;
  /** Set once the destination failed or was released: lines are dropped from then on. */
  stopped = false;

  constructor(private readonly sink: Destination) {}

  write(line: string): void {
    if (this.stopped) return;
    this.pending += line;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  readonly drain = (): void => {
    this.scheduled = false;
    if (this.stopped || this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    this.sink.write(chunk);
  };

  flushSync(): void {
    if (this.stopped) return;
    this.drain();
    this.sink.flushSync();
  }
}

let lastMs = -1;
let lastTime = '';

/** pino's isoTime, rendered once per millisecond. */
function isoTimeCached(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

const { lsCacheSym, timeSym, chindingsSym } = pino.symbols;

/** What pino keeps on a logger (level prefixes, time function, bindings), under its public symbols. */
type LoggerInternals = Record<symbol, unknown>;

/** A JSON string literal, as pino's asString writes it. */
function jsonString(text: string): string {
  if (text.length > 64) return JSON.stringify(text);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c > 126) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/**
 * The line pino would write for `logger.<level>(obj, msg)` with this module's options, or null when obj
 * holds anything but strings, finite or non-finite numbers, booleans and undefined (pino handles those).
 */
function flatLine(logger: LoggerInternals, level: number, obj: Record<string, unknown>, msg: string): string | null {
  if (Object.getPrototypeOf(obj) !== Object.prototype) return null;
  const prefix = (logger[lsCacheSym] as Record<number, string>)[level];
  let line = prefix + (logger[timeSym] as () => string)() + (logger[chindingsSym] as string);
  for (const key in obj) {
    const value = obj[key];
    switch (typeof value) {
      case 'string':
        line += `,${jsonString(key)}:${jsonString(value)}`;
        break;
      case 'number':
        line += `,${jsonString(key)}:${Number.isFinite(value) ? value : 'null'}`;
        break;
      case 'boolean':
        line += `,${jsonString(key)}:${value}`;
        break;
      case 'undefined':
        break;
      default:
        return null;
    }
  }
  return `${line},"msg":${jsonString(msg)}}\n`;
}

export function createLogger(level: LogLevel, file: string | null): AgentLogger {
  // Open once synchronously so a bad path fails start-up with a clear error instead of an async crash.
  if (file !== null) closeSync(openSync(file, 'a'));
  const destination = pino.destination({ dest: file ?? 1, sync: false }) as unknown as Destination;
  const batcher = new TurnBatcher(destination);
  // sonic-boom's synchronous flush retries a failed write forever, and pino calls it on exit; a failed
  // destination is therefore released at once, which drops its buffer and that exit hook with it.
  const release = () => {
    batcher.stopped = true;
    destination.destroy();
  };
  destination.on('error', (err) => {
    if (batcher.stopped) return;
    release();
    process.stderr.write(`log destination failed (${err.code ?? err.message}): request logging stopped; the agent keeps serving\n`);
  });
  // Lines still waiting for the end of the turn when the process exits some other way.
  process.once('exit', () => {
    try {
      batcher.flushSync();
    } catch {
      // Nowhere left to write.
    }
  });
  const logger = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: isoTimeCached,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method, levelNumber) {
          const [obj, msg] = args as unknown[];
          if (args.length === 2 && typeof obj === 'object' && obj !== null && typeof msg === 'string') {
            const line = flatLine(this as unknown as LoggerInternals, levelNumber, obj as Record<string, unknown>, msg);
            if (line !== null) return batcher.write(line);
          }
          return method.apply(this, args);
        },
      },
    },
    batcher,
  );
  return {
    logger,
    close(ms) {
      batcher.drain();
      return new Promise<void>((resolve) => {
        if (batcher.stopped) return resolve();
        // A hung disk or a reader that stopped reading must not hold the exit for ever.
        const timer = setTimeout(() => {
          release();
          resolve();
        }, ms);
        destination.once('close', () => {
          clearTimeout(timer);
          batcher.stopped = true;
          resolve();
        });
        // end() writes what is buffered, then closes; a failure on the way goes to the error handler.
        destination.end();
      });
    },
  };
}
