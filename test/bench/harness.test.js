// The benchmark harness starts, measures every part and prints its report. It runs in tiny mode (a
// couple of hundred requests per server, a few thousand iterations): the numbers mean nothing and are
// never asserted, only that each server has a row with numbers and a ratio, and each part its table.
// The Redis part needs a real redis-server: without one it prints a loud skip, its test here is skipped,
// and in CI (CI=true) that absence fails, as in the other Redis suites.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findExecutable } from '../helpers/proxy.js';
import { REDIS_SERVER, requireRedis } from '../helpers/redis.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVERS = ['bare', 'bare-headers', 'agent', 'agent-warn', 'agent-nolimit', 'agent-warn-nolimit', 'fastify', 'express'];
const REDIS_ROWS = ['memory, 1 agent', 'redis, 1 agent', 'memory, 2 agents', 'redis, 2 agents'];

function runHarness(args, ms = 120_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/run.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`harness did not finish in ${ms} ms; stderr: ${stderr.slice(-2000)}`));
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The cells of the markdown table row whose first cell is `first`. */
function row(report, first) {
  const line = report.split('\n').find((l) => l.startsWith('|') && l.split('|')[1].trim() === first);
  return line === undefined ? undefined : line.split('|').slice(1, -1).map((c) => c.trim());
}

const harness = suite('bench harness');
const redis = requireRedis(harness);

// One --tiny run of every part, shared by the tests that read its report.
let tinyRun;
const tiny = () => (tinyRun ??= runHarness(['--tiny']));

harness('--tiny runs every part and prints a table with a row and a numeric ratio for every server', async () => {
  const { code, stdout, stderr } = await tiny();
  assert.is(code, 0, `exit code; stderr: ${stderr.slice(-2000)}`);
  for (const name of SERVERS) {
    const cells = row(stdout, name);
    assert.ok(cells, `a row for ${name} in:\n${stdout}`);
    const [, rps, ratio, , p50, p99, errors, non2xx] = cells;
    assert.ok(Number(rps.replaceAll(',', '')) > 0, `${name} req/s is a number: ${rps}`);
    assert.match(ratio, /^\d+\.\d\dx$/, `${name} ratio`);
    assert.ok(Number.isFinite(Number(p50)) && Number.isFinite(Number(p99)), `${name} latencies: ${p50} ${p99}`);
    assert.is(errors, '0', `${name} had no socket errors`);
    assert.is(non2xx, '0', `${name} answered every request with 2xx`);
  }
  assert.is(row(stdout, 'bare')[2], '1.00x');
  for (const heading of ['## 1. HTTP', '## 2. Trust matcher', '## 3. Allocation', '## 4. Limiter at scale', '## 5. Redis store', '## Targets']) {
    assert.ok(stdout.includes(heading), `section ${heading}`);
  }
  assert.ok(stdout.includes('All implementations gave the same answer'), 'the matchers agreed');
  if (findExecutable(REDIS_SERVER.paths) === null) {
    assert.match(stdout, /\*\*!!! SKIPPED: redis-server not installed/, 'the report says loudly that the Redis part was skipped');
  }
});

redis.test('--tiny prints the Redis table: a row per store and agent count, nothing refused, Redis really used', async () => {
  const { code, stdout, stderr } = await tiny();
  assert.is(code, 0, `exit code; stderr: ${stderr.slice(-2000)}`);
  assert.not.match(stdout, /SKIPPED: redis-server/, 'redis-server is installed, so the part ran');
  for (const name of REDIS_ROWS) {
    const cells = row(stdout, name);
    assert.ok(cells, `a row for ${name} in:\n${stdout}`);
    const [, rps, ratio, , p50, p99, errors, non2xx, , , takes, keys] = cells;
    assert.ok(Number(rps.replaceAll(',', '')) > 0, `${name} req/s is a number: ${rps}`);
    assert.match(ratio, /^\d+\.\d\dx$/, `${name} ratio to memory`);
    assert.ok(Number.isFinite(Number(p50)) && Number.isFinite(Number(p99)), `${name} latencies: ${p50} ${p99}`);
    assert.is(errors, '0', `${name} had no socket errors`);
    assert.is(non2xx, '0', `${name}: the limiter refused nothing`);
    if (name.startsWith('redis')) {
      assert.ok(Number(keys.replaceAll(',', '')) > 0, `${name}: keys in Redis after its round: ${keys}`);
      assert.ok(Number(takes) >= 0.99, `${name}: every request took its token in Redis: ${takes} takes/req`);
    } else {
      assert.is(keys, '-', `${name} has no Redis keys column`);
    }
  }
  assert.is(row(stdout, 'memory, 1 agent')[2], '1.00x');
  assert.match(stdout, /redis \/ memory: \d+\.\d\dx with one agent, \d+\.\d\dx with two/);
  assert.not.match(stdout, /The Redis part is not valid/);
});

harness('an unknown part is refused before anything starts', async () => {
  const { code, stderr } = await runHarness(['--tiny', '--only', 'nope'], 10_000);
  assert.is(code, 2);
  assert.match(stderr, /unknown part "nope"/);
});

harness.run();
