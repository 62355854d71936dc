import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTrust, resolveClient } from '../../dist/index.js';

const resolve = (trust, remoteAddress, headers = {}, encrypted = false) =>
  resolveClient(compileTrust(trust), { remoteAddress, headers, encrypted });

test('the 1MCP documentation example', () => {
  const headers = { 'x-forwarded-for': '203.0.113.1, 192.168.1.100' };
  assert.equal(resolve(false, '127.0.0.1', headers).ip, '127.0.0.1');
  assert.equal(resolve(false, '127.0.0.1', headers).ips, []);
  assert.equal(resolve(true, '127.0.0.1', headers).ip, '203.0.113.1');
  assert.equal(resolve(true, '127.0.0.1', headers).ips, ['203.0.113.1', '192.168.1.100']);
  assert.equal(resolve('loopback', '127.0.0.1', headers).ip, '192.168.1.100');
  assert.equal(resolve('loopback', '127.0.0.1', headers).ips, ['192.168.1.100']);
});

// socket, X-Forwarded-For, trust, expected ip, expected ips
const cases = [
  ['10.2.3.1', '1.1.1.1, 8.8.8.8, ::ffff:10.2.3.4', 'uniquelocal', '8.8.8.8', ['8.8.8.8', '10.2.3.4']],
  ['127.0.0.1', '8.8.8.8, fe80::1%eth0', 'loopback, linklocal', '8.8.8.8', ['8.8.8.8', 'fe80::1']],
  ['127.0.0.1', '8.8.8.8, 7.7.7.7', 1, '7.7.7.7', ['7.7.7.7']],
  ['127.0.0.1', '8.8.8.8, 7.7.7.7', 2, '8.8.8.8', ['8.8.8.8', '7.7.7.7']],
  ['127.0.0.1', '8.8.8.8, 7.7.7.7', 0, '127.0.0.1', []],
  ['::ffff:127.0.0.1', '203.0.113.5', '127.0.0.1', '203.0.113.5', ['203.0.113.5']],
  ['::ffff:127.0.0.1', undefined, 'loopback', '127.0.0.1', []],
  ['::1', '2001:DB8:0:0:0:0:0:1', 'loopback', '2001:db8::1', ['2001:db8::1']],
  // A client cannot pick its identity: the forged entry is left of an untrusted hop.
  ['127.0.0.1', '6.6.6.6, 198.51.100.7', 'loopback', '198.51.100.7', ['198.51.100.7']],
  // The socket is not trusted: the header is ignored entirely.
  ['198.51.100.7', '6.6.6.6', 'loopback', '198.51.100.7', []],
  // Empty items are skipped; spaces and tabs trimmed.
  ['127.0.0.1', ' ,\t198.51.100.7 ,, ', 'loopback', '198.51.100.7', ['198.51.100.7']],
  ['127.0.0.1', '', 'loopback', '127.0.0.1', []],
  ['127.0.0.1', ' , ,', 'loopback', '127.0.0.1', []],
  // A non-address stops the walk; the client is the last address reached, never the garbage.
  ['127.0.0.1', '6.6.6.6, garbage', true, '127.0.0.1', []],
  ['127.0.0.1', 'garbage, 10.0.0.1', true, '10.0.0.1', ['10.0.0.1']],
  ['127.0.0.1', '6.6.6.6, unknown, 10.0.0.1', 'loopback, 10.0.0.0/8', '10.0.0.1', ['10.0.0.1']],
  // Ports and brackets.
  ['127.0.0.1', '198.51.100.7:4711', 'loopback', '198.51.100.7', ['198.51.100.7']],
  ['127.0.0.1', '[2001:db8::17]:4711', 'loopback', '2001:db8::17', ['2001:db8::17']],
  ['127.0.0.1', '[2001:db8::17]', 'loopback', '2001:db8::17', ['2001:db8::17']],
  // Trusting everything gives the leftmost address.
  ['10.0.0.1', '1.1.1.1, 2.2.2.2, 3.3.3.3', true, '1.1.1.1', ['1.1.1.1', '2.2.2.2', '3.3.3.3']],
  // Mapped entries in the header compare as IPv4.
  ['127.0.0.1', '9.9.9.9, ::ffff:10.0.0.2', 'loopback, 10.0.0.0/8', '9.9.9.9', ['9.9.9.9', '10.0.0.2']],
];

test('resolution rules', () => {
  for (const [socket, xff, trust, ip, ips] of cases) {
    const headers = xff === undefined ? {} : { 'x-forwarded-for': xff };
    const got = resolve(trust, socket, headers);
    const label = `${socket} | ${JSON.stringify(xff)} | ${JSON.stringify(trust)}`;
    assert.is(got.ip, ip, label);
    assert.equal(got.ips, ips, label);
  }
});

test('several header lines are one list, the last line closest', () => {
  const got = resolve('loopback', '127.0.0.1', { 'x-forwarded-for': ['6.6.6.6', '198.51.100.7, 127.0.0.2'] });
  assert.is(got.ip, '198.51.100.7');
});

test('the socket address is reported canonically', () => {
  assert.is(resolve(false, '::ffff:192.0.2.1').ip, '192.0.2.1');
  assert.is(resolve(false, '2001:0db8::0001').ip, '2001:db8::1');
});

test('protocol: TLS socket, or the closest X-Forwarded-Proto from a trusted peer', () => {
  assert.is(resolve('loopback', '127.0.0.1', {}, true).protocol, 'https');
  assert.is(resolve('loopback', '127.0.0.1', { 'x-forwarded-proto': 'https' }).protocol, 'https');
  assert.is(resolve('loopback', '127.0.0.1', { 'x-forwarded-proto': 'HTTPS' }).secure, true);
  assert.is(resolve('loopback', '127.0.0.1', { 'x-forwarded-proto': 'https, http' }).protocol, 'http');
  assert.is(resolve('loopback', '127.0.0.1', { 'x-forwarded-proto': 'http, https ' }).protocol, 'https');
  assert.is(resolve('loopback', '127.0.0.1', { 'x-forwarded-proto': 'ftp' }).protocol, 'http');
  // From an untrusted peer the header is ignored.
  assert.is(resolve('loopback', '203.0.113.9', { 'x-forwarded-proto': 'https' }).protocol, 'http');
  assert.is(resolve('loopback', '203.0.113.9', { 'x-forwarded-proto': 'https' }).secure, false);
});

test('host: the closest X-Forwarded-Host from a trusted peer, else Host', () => {
  const headers = { host: 'agent.internal:3050', 'x-forwarded-host': 'evil.example, mcp.example.com' };
  assert.is(resolve('loopback', '127.0.0.1', headers).host, 'mcp.example.com');
  assert.is(resolve('loopback', '203.0.113.9', headers).host, 'agent.internal:3050');
  assert.is(resolve('loopback', '127.0.0.1', { host: 'a', 'x-forwarded-host': 'bad host/<x>' }).host, 'a');
  assert.is(resolve('loopback', '127.0.0.1', {}).host, undefined);
});

test('a remoteAddress that is not an address is a TypeError', () => {
  assert.throws(() => resolve('loopback', 'nonsense'), (err) => err instanceof TypeError && /remoteAddress/.test(err.message));
});

test('10,000-hop chains resolve (trust all) and stop at the first untrusted hop (trust loopback)', () => {
  const chain = Array.from({ length: 10000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join(', ');
  const all = resolve(true, '127.0.0.1', { 'x-forwarded-for': chain });
  assert.is(all.ip, '10.0.0.0');
  assert.is(all.ips.length, 10000);
  assert.is(resolve('loopback', '127.0.0.1', { 'x-forwarded-for': chain }).ip, '10.0.39.15');
});

test.run();
