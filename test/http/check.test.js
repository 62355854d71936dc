import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SERVER } from '../helpers/agent.js';
import { freePort } from '../helpers/proxy.js';

const run = (...args) => spawnSync(process.execPath, [SERVER, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 15000 });

test('check explains a safe configuration without warnings and exits 0', () => {
  const out = run('check', '--trust-proxy', 'loopback, 10.1.2.0/24', '--rate-limit-allow', '127.0.0.1');
  assert.is(out.status, 0, out.stderr);
  assert.match(out.stdout, /^configuration: valid \(no file/);
  assert.match(out.stdout, /\ntrust: +trusting 127\.0\.0\.0\/8, ::1\/128 \(loopback\), 10\.1\.2\.0\/24\n/);
  assert.match(out.stdout, /never limited: 127\.0\.0\.1\/32/);
  assert.match(out.stdout, /\nwarnings: +none$/m);
});

test('--check lists the warnings that apply', () => {
  const out = run('--check', '--trust-proxy', '2', '--diagnostics', '--client-ip-header', 'x-real-ip');
  assert.is(out.status, 0);
  assert.match(out.stdout, /trustProxy "2" believes any peer, whatever its address/);
  assert.match(out.stdout, /clientIpHeader x-real-ip is believed as is/);
  assert.match(out.stdout, /diagnostics is on/);
  const open = run('check', '--trust-proxy', 'false');
  assert.match(open.stdout, /trustProxy "false" trusts no proxy: forwarding headers are ignored/);
  // The same settings in other spellings get the same warnings.
  assert.match(run('check', '--trust-proxy', '0').stdout, /trustProxy "0" trusts no proxy/);
  assert.match(run('check', '--trust-proxy', 'loopback, 0.0.0.0/0').stdout, /believes any peer/);
  const wide = run('check', '--trust-proxy', '203.0.113.0/24, loopback');
  assert.match(wide.stdout, /trustProxy includes public addresses \(1 block\)/);
});

test('check reports an unreachable Redis and what the agent would do', async () => {
  const port = await freePort();
  const out = run('check', '--rate-limit-redis', `redis://user:secret@127.0.0.1:${port}/0`, '--rate-limit-on-store-error', 'closed');
  assert.is(out.status, 0);
  assert.match(out.stdout, new RegExp(`store: +redis at 127\\.0\\.0\\.1:${port}/0: UNREACHABLE`));
  assert.match(out.stdout, /onStoreError "closed" the agent would answer 503/);
  assert.not.match(out.stdout, /secret/, 'credentials are never printed');
});

test('check fails as start-up would on a log file that cannot be written', () => {
  const out = run('check', '--log-file', '/nonexistent-dir/agent.log');
  assert.is(out.status, 2);
  assert.match(out.stderr, /^--log-file: cannot write log file "\/nonexistent-dir\/agent\.log"/);
});

test('check with a bad configuration exits 2 with the problem', () => {
  const out = run('check', '--trust-proxy', '10.0.0.0/33');
  assert.is(out.status, 2);
  assert.is(out.stdout, '');
  assert.match(out.stderr, /--trust-proxy: invalid prefix length 33/);
});

test.run();
