// pino for the agent's own events, and a direct writer for the per-request line (its keys are fixed, so
// it skips pino's generic path); both append to one FileSink, so their lines stay in order. The sink
// never blocks a request, and close() drains it on the way out within a deadline. A destination that
// fails (disk full, reader gone) stops logging with one line on stderr and never stops the agent.
import { openSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';
import { FileSink } from './file-sink.js';
import { createRequestLineWriter, isoTimeField, type RequestLineWriter } from './request-line.js';

export interface AgentLogger {
  logger: Logger;
  /** The per-request line at info level; the caller checks the level first. */
  requestLine: RequestLineWriter;
  /** Writes what is pending (giving up after `ms`) and releases the destination. */
  close(ms: number): Promise<void>;
}

/** `file` null means stdout. Opening happens here, synchronously, so a bad path fails start-up clearly. */
export function createLogger(level: LogLevel, file: string | null): AgentLogger {
  const sink = new FileSink({
    fd: file === null ? 1 : openSync(file, 'a'),
    ownsFd: file !== null,
    onError(err) {
      process.stderr.write(`log destination failed (${err.code ?? err.message}): request logging stopped; the agent keeps serving\n`);
    },
    onDropped(count) {
      logger.warn({ dropped: count }, 'log destination slower than the traffic: lines were dropped to bound memory');
    },
  });
  // Lines still waiting for the end of the turn when the process exits some other way.
  process.once('exit', () => sink.flushSync());
  const logger: Logger = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: isoTimeField,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
  return {
    logger,
    requestLine: createRequestLineWriter((line) => sink.write(line), process.pid),
    close: (ms) => sink.close(ms),
  };
}
