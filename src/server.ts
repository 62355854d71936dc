#!/usr/bin/env node
// Command-line entry point: configuration (exit 2 on any problem, before listening), then the agent,
// then signal handling. Everything decided here happens once.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createAgent } from './agent.js';
import { checkReport } from './check.js';
import { ConfigError } from './config/errors.js';
import { versionText } from './config/help.js';
import { loadConfig, type LoadResult } from './config/load.js';
import type { AgentConfig } from './config/types.js';
import type { SharedStore } from './limit/rate-limiter.js';
import { createLogger, type AgentLogger } from './log/logger.js';

const SHUTDOWN_GRACE_MS = 10_000;
const LOG_CLOSE_MS = 2_000;
const STORE_STARTUP_WAIT_MS = 2_000;
const DEFAULT_REDIS_PREFIX = '1mcp:rl:';

function fail(lines: string[]): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(2);
}

/** The Redis host and port without credentials, for logs and reports. */
function redisWhere(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'redis';
  }
}

let loaded: LoadResult;
try {
  loaded = loadConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.problems);
  throw err;
}
if ('text' in loaded) {
  if (loaded.action === 'print') for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write(`${loaded.text}\n`);
  process.exit(0);
}

const { config, trust, allow, origins, warnings } = loaded;
for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
const redisConfig = config.rateLimit.enabled && config.rateLimit.store !== 'memory' ? config.rateLimit.store.redis : null;

/** Connects the shared store (ioredis is loaded only when one is configured) and waits briefly for it. */
async function openStore(cfg: NonNullable<typeof redisConfig>, log: AgentLogger | null): Promise<{ store: SharedStore & { waitReady(ms: number): Promise<void> }; up: boolean }> {
  const { RedisBucketStore } = await import('./limit/redis-store.js');
  const where = redisWhere(cfg.url);
  const store = new RedisBucketStore({
    url: cfg.url,
    prefix: cfg.prefix ?? DEFAULT_REDIS_PREFIX,
    onStateChange: (state, err) => {
      if (state === 'ready') log?.logger.info({ store: where }, 'rate-limit store connected');
      else log?.logger.warn({ store: where, error: err?.message }, 'rate-limit store unavailable');
    },
  });
  try {
    await store.waitReady(STORE_STARTUP_WAIT_MS);
    return { store, up: true };
  } catch {
    return { store, up: false };
  }
}

function storeLine(config: AgentConfig, up: boolean): string {
  const where = redisWhere((config.rateLimit.store as { redis: { url: string } }).redis.url);
  return up ? `redis at ${where}: reachable` : `redis at ${where}: UNREACHABLE`;
}

/** Why the log file cannot be written, without creating it (check must not leave files behind). */
function unwritable(file: string): string | null {
  try {
    if (existsSync(file)) {
      if (statSync(file).isDirectory()) return 'it is a directory';
      accessSync(file, constants.W_OK);
    } else {
      accessSync(dirname(file), constants.W_OK);
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function logFileProblem(file: string, why: string): string {
  return `${origins['logging.file'].label}: cannot write log file ${JSON.stringify(file)}: ${why}`;
}

if (loaded.action === 'check') {
  const why = config.logging.file === null ? null : unwritable(config.logging.file);
  if (why !== null) fail([logFileProblem(config.logging.file as string, why)]);
  let storeStatus: string | null = null;
  let storeDown = false;
  if (redisConfig !== null) {
    const { store, up } = await openStore(redisConfig, null);
    await store.close();
    storeStatus = storeLine(config, up);
    storeDown = !up;
  }
  process.stdout.write(`${checkReport({ config, trust, allow, configFile: loaded.configFile, storeStatus, storeDown })}\n`);
  process.exit(0);
}

let log: AgentLogger;
try {
  log = createLogger(config.logging.level, config.logging.file);
} catch (err) {
  fail([logFileProblem(config.logging.file as string, (err as Error).message)]);
}

let store: SharedStore | null = null;
if (redisConfig !== null) {
  const opened = await openStore(redisConfig, log);
  store = opened.store;
  if (!opened.up) {
    const closed = config.rateLimit.onStoreError === 'closed';
    log.logger.warn(
      { store: redisWhere(redisConfig.url), onStoreError: config.rateLimit.onStoreError },
      closed
        ? 'rate-limit store unreachable at start-up: answering 503 to limited requests until it is back'
        : 'rate-limit store unreachable at start-up: serving degraded, requests are not limited until it is back',
    );
  }
}

const agent = createAgent({ config, trust, allow, log, version: versionText(), store });

try {
  await agent.listen();
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  log.logger.fatal({ code: e.code }, `cannot listen on ${config.host}:${config.port}: ${e.message}`);
  await log.close(LOG_CLOSE_MS);
  process.stderr.write(`cannot listen on ${config.host}:${config.port}: ${e.message}\n`);
  process.exit(1);
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  // A second signal while draining is an operator who will not wait: leave now.
  if (stopping) {
    process.stderr.write(`${signal} again: exiting without waiting for in-flight requests\n`);
    process.exit(1);
  }
  stopping = true;
  log.logger.info({ signal }, 'shutting down: finishing in-flight requests');
  await agent.shutdown(SHUTDOWN_GRACE_MS);
  await store?.close();
  log.logger.info('stopped');
  await log.close(LOG_CLOSE_MS);
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
