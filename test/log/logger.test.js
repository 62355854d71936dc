// Logging must never stop the agent: a full disk or a reader that went away ends request logging with one
// line on stderr, and the agent keeps serving and still shuts down cleanly. Lines are what pino would
// write, in order, and none is lost on the way out.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSink } from '../../dist/log/file-sink.js';
import { createLogger } from '../../dist/log/logger.js';
import { msText } from '../../dist/log/request-line.js';
import { get, SERVER } from '../helpers/agent.js';
import { freePort } from '../helpers/proxy.js';

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
async function inTempDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), '1mcp-log-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

/** pino set up as the agent sets it up, writing synchronously to `file`: the reference for our bytes. */
function referencePino(file) {
  return pino(
    { level: 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest: file, sync: true }),
  );
}

const withoutTime = (text) => text.trim().split('\n').map((line) => line.replace(/,"time":"[^"]+"/, ''));

lines('the request line is what pino writes for the same fields, byte for byte (time aside)', async () => {
  await inTempDir(async (dir) => {
    const ours = createLogger('info', join(dir, 'ours.log'));
    const theirs = referencePino(join(dir, 'pino.log'));
    const requests = [
      ['a-1', 'GET', '/health', 200, 0.123, '198.51.100.7', '::ffff:127.0.0.1', 'https', false],
      ['b-2', 'POST', '/mcp/"quoted"\\back', 429, 12, '2001:db8::1', '::1', 'http', false],
      ['c-3', 'GET', '/caf\u00e9/\u2028/\x01', 404, 0, '203.0.113.9', '127.0.0.1', 'http', true],
      ['d-4', 'GET', `/${'x'.repeat(200)}`, 200, 1.5, '10.0.0.1', '10.0.0.2', 'http', false],
      ...[0.001, 0.01, 0.1, 0.07, 2.05, 999.999, 1000, 123456.789, 0.3 * 3].map((ms, i) => [`e-${i}`, 'GET', '/', 200, Math.round(ms * 1000) / 1000, '10.0.0.1', '::1', 'http', false]),
    ];
    for (const [reqId, method, path, status, ms, ip, peer, protocol, aborted] of requests) {
      ours.requestLine(reqId, method, path, status, ms, ip, peer, protocol, aborted);
      const fields = { reqId, method, path, status, ms, ip, peer, protocol };
      if (aborted) fields.aborted = true;
      theirs.info(fields, 'request');
    }
    // The agent's other lines go through pino itself, into the same file and in order.
    ours.logger.warn({ nested: { a: [1, 'x'] } }, 'through pino');
    theirs.warn({ nested: { a: [1, 'x'] } }, 'through pino');
    await ours.close(2000);
    const got = withoutTime(readFileSync(join(dir, 'ours.log'), 'utf8'));
    assert.is(got.length, 14);
    assert.equal(got, withoutTime(readFileSync(join(dir, 'pino.log'), 'utf8')));
    assert.match(readFileSync(join(dir, 'ours.log'), 'utf8'), /^\{"level":"info","time":"\d{4}-\d\d-\d\dT[\d:.]+Z","pid":/);
  });
});

lines('durations are written as JSON writes the rounded number, for every microsecond up to 2 s and for long ones', () => {
  const check = (micros) => {
    const ms = micros / 1000;
    if (msText(ms) !== JSON.stringify(ms)) assert.unreachable(`${micros} µs: ${msText(ms)} instead of ${JSON.stringify(ms)}`);
  };
  for (let micros = 0; micros <= 2_000_000; micros++) check(micros);
  for (let k = 0; k < 100_000; k++) check(Math.floor(Math.random() * 3_600_000_000_000));
});

lines('lines logged right before process.exit() are still written', async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, 'exit.log');
    const script = `
      import { createLogger } from ${JSON.stringify(new URL('../../dist/log/logger.js', import.meta.url).href)};
      const { logger, requestLine } = createLogger('info', ${JSON.stringify(file)});
      for (let i = 0; i < 1000; i++) requestLine('id-' + i, 'GET', '/', 200, 0, '192.0.2.1', '127.0.0.1', 'http', false);
      logger.fatal('last words');
      process.exit(3);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.is(result.status, 3, result.stderr);
    const written = readFileSync(file, 'utf8').trim().split('\n');
    assert.is(written.length, 1001);
    assert.is(JSON.parse(written[999]).reqId, 'id-999');
    assert.is(JSON.parse(written[1000]).msg, 'last words');
  });
});

const sink = suite('the file sink');

sink('keeps every line, in order, across many turns and while writes are in flight', async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, 'order.log');
    const errors = [];
    const out = new FileSink({ fd: openSync(file, 'a'), ownsFd: true, onError: (e) => errors.push(e), onDropped: (n) => errors.push(n) });
    let n = 0;
    for (let turn = 0; turn < 200; turn++) {
      for (let i = 0; i < 50; i++) out.write(`${n++} ${'é'.repeat(i)}\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await out.close(5000);
    const got = readFileSync(file, 'utf8').trim().split('\n');
    assert.is(got.length, 10_000);
    got.forEach((line, i) => assert.is(line, `${i} ${'é'.repeat(i % 50)}`));
    assert.equal(errors, []);
  });
});

sink('batches larger than its buffer, in 2- and 4-byte characters, arrive whole', async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, 'wide.log');
    const out = new FileSink({ fd: openSync(file, 'a'), ownsFd: true, onError: assert.unreachable, onDropped: assert.unreachable });
    // 200 characters a line, 2 bytes each on average: one turn's batch is about 800 KB, several times
    // the buffer, and its lines straddle the buffer's end.
    const line = (i) => `${String(i).padStart(5, '0')} ${'é😀'.repeat(64)}${'ü'.repeat(66)}\n`;
    for (let i = 0; i < 2000; i++) out.write(line(i));
    await out.close(5000);
    const got = readFileSync(file, 'utf8');
    assert.is(got.length, 2000 * line(0).length);
    assert.ok(got === Array.from({ length: 2000 }, (_, i) => line(i)).join(''), 'the file holds every line, byte for byte');
  });
});

sink('lines reach the file within milliseconds without close(), batch after batch', async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, 'prompt.log');
    const out = new FileSink({ fd: openSync(file, 'a'), ownsFd: true, onError: assert.unreachable, onDropped: assert.unreachable });
    const written = async (lines) => {
      for (let i = 0; i < 100 && readFileSync(file, 'utf8').split('\n').length - 1 < lines; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      return readFileSync(file, 'utf8');
    };
    out.write('first\n');
    assert.is(await written(1), 'first\n');
    // The timer fired once; later batches must re-arm it.
    for (let batch = 2; batch <= 4; batch++) {
      out.write(`batch ${batch}\n`);
      assert.match(await written(batch), `batch ${batch}\n`);
    }
    await out.close(1000);
  });
});

sink('past its memory bound it drops lines, counts them, and says so once writing catches up', async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, 'drop.log');
    const dropped = [];
    const out = new FileSink({ fd: openSync(file, 'a'), ownsFd: true, onError: assert.unreachable, onDropped: (n) => dropped.push(n), maxPendingChars: 100 });
    // 40 characters a line: two fit under 100, the other eight of this turn do not.
    for (let i = 0; i < 10; i++) out.write(`line ${i} `.padEnd(39, '.') + '\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(dropped, [8]);
    out.write('after\n');
    await out.close(2000);
    assert.equal(readFileSync(file, 'utf8').split('\n').map((l) => l.slice(0, 6)), ['line 0', 'line 1', 'after', '']);
    assert.equal(dropped, [8]);
  });
});

sink('a failed write reports once and drops everything after it', async () => {
  const errors = [];
  const out = new FileSink({ fd: openSync('/dev/full', 'w'), ownsFd: true, onError: (e) => errors.push(e.code), onDropped: assert.unreachable });
  out.write('x\n');
  await new Promise((resolve) => setTimeout(resolve, 100));
  out.write('y\n');
  await new Promise((resolve) => setTimeout(resolve, 100));
  await out.close(1000);
  assert.equal(errors, ['ENOSPC']);
});

failures.run();
lines.run();
sink.run();
