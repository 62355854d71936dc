// Logging must never stop the agent: a full disk or a reader that went away ends request logging with one
// line on stderr, and the agent keeps serving and still shuts down cleanly.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../dist/log/logger.js';
import { get, SERVER } from '../helpers/agent.js';
import { freePort } from '../helpers/proxy.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (up to 5 s) for the agent to start answering. */
async function answers(port) {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await get(port, '/health');
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`agent never answered: ${err.message}`);
      await sleep(50);
    }
  }
}

function spawnAgent(args) {
  const child = spawn(process.execPath, [SERVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function exitsWithin(exited, ms) {
  const code = await Promise.race([exited, sleep(ms).then(() => 'hung')]);
  return code;
}

const failures = suite('a failing log destination');

failures('a full disk (/dev/full): serving goes on, one line on stderr, clean exit on SIGTERM', async () => {
  const port = await freePort();
  const agent = spawnAgent(['--port', String(port), '--log-file', '/dev/full']);
  try {
    await answers(port);
    for (let i = 0; i < 200; i++) assert.is((await get(port, '/health')).status, 200);
    await sleep(100);
    assert.match(agent.stderr(), /log destination failed \(ENOSPC\): request logging stopped; the agent keeps serving/);
    assert.is(agent.stderr().match(/log destination failed/g).length, 1);
    agent.child.kill('SIGTERM');
    assert.is(await exitsWithin(agent.exited, 5000), 0);
  } finally {
    agent.child.kill('SIGKILL');
  }
});

failures('the reader of stdout going away (EPIPE) does not hang shutdown', async () => {
  const port = await freePort();
  const agent = spawnAgent(['--port', String(port)]);
  try {
    await answers(port);
    agent.child.stdout.destroy();
    for (let i = 0; i < 50; i++) assert.is((await get(port, '/health')).status, 200);
    agent.child.kill('SIGTERM');
    assert.is(await exitsWithin(agent.exited, 5000), 0);
  } finally {
    agent.child.kill('SIGKILL');
  }
});

const lines = suite('log lines');

lines('the fast path writes what pino would write, byte for byte (time aside)', async () => {
  const dir = mkdtempSync(join(tmpdir(), '1mcp-log-'));
  try {
    const ours = createLogger('info', join(dir, 'ours.log'));
    const theirsDest = pino.destination({ dest: join(dir, 'pino.log'), sync: true });
    const theirs = pino({ level: 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, theirsDest);
    const entries = [
      [{ reqId: 'a-1', method: 'GET', path: '/health', status: 200, ms: 0.123, ip: '198.51.100.7', peer: '::ffff:127.0.0.1', protocol: 'https' }, 'request'],
      [{ text: 'quote " backslash \\ tab \t é \u2028', n: NaN, inf: -Infinity, ok: false, skip: undefined }, 'odd values'],
      [{ nested: { a: [1, 'x'] }, n: 1 }, 'nested objects go through pino itself'],
      [{ 'key with "quotes"': 'v' }, 'message with "quotes"'],
    ];
    for (const [obj, msg] of entries) {
      ours.logger.info(obj, msg);
      theirs.info(obj, msg);
    }
    await ours.close(2000);
    const strip = (text) => text.trim().split('\n').map((line) => line.replace(/,"time":"[^"]+"/, ''));
    assert.equal(strip(readFileSync(join(dir, 'ours.log'), 'utf8')), strip(readFileSync(join(dir, 'pino.log'), 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

failures.run();
lines.run();
