// pino writing through an asynchronous destination (sonic-boom), so a slow disk or pipe never blocks a
// request; flush() drains it synchronously on the way out.
import { closeSync, openSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';

export interface AgentLogger {
  logger: Logger;
  flush(): void;
}

export function createLogger(level: LogLevel, file: string | null): AgentLogger {
  // Open once synchronously so a bad path fails start-up with a clear error instead of an async crash.
  if (file !== null) closeSync(openSync(file, 'a'));
  const destination = pino.destination({ dest: file ?? 1, sync: false, minLength: 4096, periodicFlush: 100 });
  const logger = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    logger,
    flush() {
      destination.flushSync();
    },
  };
}
