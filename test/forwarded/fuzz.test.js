// Fuzzing the client resolution: random bytes and random header structures through resolveClient in all
// three header modes, adversarial giant headers, and random raw requests against the running agent.
// Nothing may throw or crash, and the answer is always a canonical address.
// Replay with FUZZ_SEED=<seed> node test/forwarded/fuzz.test.js
import { isIP, connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTrust, resolveClient } from '../../dist/index.js';
import { canonicalText } from '../../dist/net/format.js';
import { parseIp } from '../../dist/net/address.js';
import { get, startAgent } from '../helpers/agent.js';

const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
let state = seed >>> 0 || 1;
/** xorshift32: small, seedable, good enough to pick bytes. */
const rand = (n) => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};
const pick = (list) => list[rand(list.length)];

const TRUSTS = [true, false, 'loopback', 'loopback, uniquelocal', 2, '10.0.0.0/8, ::1', '::/0, 0.0.0.0/0'].map((t) => compileTrust(t));
const MODES = ['x-forwarded-for', 'forwarded', 'x-real-ip'];
const SOCKETS = ['127.0.0.1', '::ffff:127.0.0.1', '::1', '10.0.0.1', '203.0.113.9'];

const isCanonicalAddress = (ip) => isIP(ip) !== 0 && canonicalText(parseIp(ip, 0, ip.length), ip, 0, ip.length) === ip;

function randomBytes() {
  let s = '';
  const n = rand(80);
  for (let i = 0; i < n; i++) s += String.fromCharCode(rand(4) === 0 ? rand(0x3000) : rand(256));
  return s;
}

const PIECES = ['for=', 'For=', 'proto=', 'host=', 'by=', '"', '\\', '\\"', ';', ',', ', ', '=', '[', ']', ':', '%', '.', ' ', '\t', '\0',
  '1.2.3.4', '10.0.0.1', '127.0.0.1', '::1', '2001:db8::1', '::ffff:10.0.0.1', 'fe80::1%eth0', '[2001:db8::1]:443', '1.2.3.4:80',
  'unknown', '_hidden', 'https', 'é', '\u2028', '0x7f.0.0.1', '255.255.255.255', '256.1.1.1', ':::', '[', '"[::1]:1"'];

function randomStructure() {
  let s = '';
  const n = 1 + rand(30);
  for (let i = 0; i < n; i++) s += pick(PIECES);
  return s;
}

function check(trust, mode, socket, value) {
  const headers = { [mode]: value, 'x-forwarded-proto': value, 'x-forwarded-host': value, host: 'h' };
  const got = resolveClient(trust, { remoteAddress: socket, headers }, { clientIpHeader: mode });
  if (!isCanonicalAddress(got.ip)) throw new Error(`ip ${JSON.stringify(got.ip)} is not a canonical address for ${mode}: ${JSON.stringify(value)}`);
  for (const ip of got.ips) if (!isCanonicalAddress(ip)) throw new Error(`ips entry ${JSON.stringify(ip)} for ${JSON.stringify(value)}`);
  if (got.protocol !== 'http' && got.protocol !== 'https') throw new Error(`protocol ${got.protocol}`);
  return got;
}

const unit = suite('resolveClient fuzz');

unit(`50,000 random headers in every mode never throw and always give a canonical address (seed ${seed})`, () => {
  for (let i = 0; i < 50000; i++) {
    const value = i % 2 ? randomBytes() : randomStructure();
    try {
      check(pick(TRUSTS), pick(MODES), pick(SOCKETS), value);
    } catch (err) {
      assert.unreachable(`seed ${seed}, case ${i}: ${err.message}`);
    }
  }
});

unit('adversarial giant headers resolve, each within a watchdog of 10 s (a quadratic scan would not)', () => {
  const hops = Array.from({ length: 10000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const cases = [
    ['x-forwarded-for', hops.join(', '), '10.0.0.0'],
    ['forwarded', hops.map((h) => `for=${h}`).join(', '), '10.0.0.0'],
    ['forwarded', hops.map((h) => `for="${h}:1"`).join(','), '10.0.0.0'],
    ['x-forwarded-for', ','.repeat(1 << 20), '127.0.0.1'],
    ['forwarded', '"'.repeat(1 << 20), '127.0.0.1'],
    ['forwarded', '\\"'.repeat(1 << 19), '127.0.0.1'],
    ['forwarded', `for="${'\\'.repeat(1 << 20)}"`, '127.0.0.1'],
    ['forwarded', `${'for=1.2.3.4;'.repeat(1 << 16)}, for=9.9.9.9`, '9.9.9.9'],
    ['forwarded', `for="${','.repeat(1 << 20)}", for=9.9.9.9`, '9.9.9.9'],
    ['x-forwarded-for', '['.repeat(1 << 20), '127.0.0.1'],
    ['x-forwarded-for', `${':'.repeat(1 << 20)}, 9.9.9.9`, '9.9.9.9'],
    ['x-real-ip', '1'.repeat(1 << 20), '127.0.0.1'],
  ];
  const trust = compileTrust(true);
  for (const [mode, value, expected] of cases) {
    const started = process.hrtime.bigint();
    const got = check(trust, mode, '127.0.0.1', value);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.is(got.ip, expected, `${mode}: ${value.slice(0, 30)}…`);
    assert.ok(ms < 10000, `watchdog: ${mode} ${value.length} chars took ${ms.toFixed(0)} ms`);
    console.log(`  ${mode.padEnd(16)} ${String(value.length).padStart(8)} chars: ${ms.toFixed(2)} ms`);
  }
});

const server = suite('running agent fuzz');

function rawRequest(port, text) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (d) => (response += d.toString('latin1')));
    socket.on('error', () => resolve(response));
    socket.on('close', () => resolve(response));
    socket.setTimeout(3000, () => socket.destroy());
    socket.end(Buffer.from(text, 'latin1'));
  });
}

server('random raw header bytes never crash the agent, and every logged client is an address', async () => {
  const agent = await startAgent(['--trust-proxy', 'true', '--rate-limit-capacity', '100000']);
  try {
    const statuses = new Map();
    for (let i = 0; i < 300; i++) {
      const name = pick(['X-Forwarded-For', 'Forwarded', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'X-Request-Id']);
      let value = i % 3 === 0 ? randomBytes() : randomStructure();
      if (i % 50 === 0) value = ','.repeat(12000);
      value = value.replace(/[\r\n]/g, ' ').replace(/[^\x00-\xff]/g, 'x');
      const response = await rawRequest(agent.port, `GET /health?i=${i} HTTP/1.1\r\nHost: fuzz\r\n${name}: ${value}\r\nConnection: close\r\n\r\n`);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 'closed';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(status === '200' || status === '400' || status === '431' || status === 'closed', `request ${i} (seed ${seed}) got ${status}`);
    }
    console.log(`  statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok((statuses.get('200') ?? 0) > 100, 'most fuzzed requests are served');
    assert.is((await get(agent.port, '/health')).status, 200, 'still serving');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = agent.logs.filter((l) => l.msg === 'request');
    assert.ok(lines.length >= statuses.get('200'), 'every served request was logged');
    for (const line of lines) assert.ok(isCanonicalAddress(line.ip), `logged ip ${JSON.stringify(line.ip)}`);
  } finally {
    await agent.stop();
  }
  assert.is((await agent.exited).code, 0);
});

unit.run();
server.run();
