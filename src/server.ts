#!/usr/bin/env node
// Command-line entry point: configuration (exit 2 on any problem, before listening), then the agent,
// then signal handling. Everything decided here happens once.
import { createAgent } from './agent.js';
import { ConfigError } from './config/errors.js';
import { versionText } from './config/help.js';
import { loadConfig, type LoadResult } from './config/load.js';
import { createLogger, type AgentLogger } from './log/logger.js';

const SHUTDOWN_GRACE_MS = 10_000;

function fail(lines: string[]): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(2);
}

let loaded: LoadResult;
try {
  loaded = loadConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.problems);
  throw err;
}
if (loaded.action !== 'run') {
  process.stdout.write(`${loaded.text}\n`);
  process.exit(0);
}

const { config, trust, origins, warnings } = loaded;
for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);

let log: AgentLogger;
try {
  log = createLogger(config.logging.level, config.logging.file);
} catch (err) {
  fail([`${origins['logging.file'].label}: cannot open log file ${JSON.stringify(config.logging.file)}: ${(err as Error).message}`]);
}

const agent = createAgent(config, trust, log, versionText());

try {
  await agent.listen();
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  log.logger.fatal({ code: e.code }, `cannot listen on ${config.host}:${config.port}: ${e.message}`);
  log.flush();
  process.stderr.write(`cannot listen on ${config.host}:${config.port}: ${e.message}\n`);
  process.exit(1);
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.logger.info({ signal }, 'shutting down: finishing in-flight requests');
  await agent.shutdown(SHUTDOWN_GRACE_MS);
  log.logger.info('stopped');
  log.flush();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
