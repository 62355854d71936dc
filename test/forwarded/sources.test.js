import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTrust, resolveClient } from '../../dist/index.js';

const resolve = (trust, remoteAddress, headers, clientIpHeader) =>
  resolveClient(compileTrust(trust), { remoteAddress, headers }, { clientIpHeader });
const viaForwarded = (trust, socket, value) => resolve(trust, socket, { forwarded: value }, 'forwarded');

test('the issue table: Forwarded with ports, IPv6 and unknown', () => {
  assert.is(viaForwarded('loopback', '127.0.0.1', 'for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711"').ip, '2001:db8:cafe::17');
  assert.is(viaForwarded('loopback', '127.0.0.1', 'for=unknown, for=198.51.100.7').ip, '198.51.100.7');
});

// socket, Forwarded value, trust, expected ip, expected ips
const cases = [
  ['127.0.0.1', 'for=192.0.2.60', 'loopback', '192.0.2.60', ['192.0.2.60']],
  ['127.0.0.1', 'For=192.0.2.60', 'loopback', '192.0.2.60', ['192.0.2.60']],
  ['127.0.0.1', 'FOR="192.0.2.60:8080"', 'loopback', '192.0.2.60', ['192.0.2.60']],
  ['127.0.0.1', 'for="[2001:db8::1]"', 'loopback', '2001:db8::1', ['2001:db8::1']],
  ['127.0.0.1', 'for=192.0.2.43, for=198.51.100.17', true, '192.0.2.43', ['192.0.2.43', '198.51.100.17']],
  // Several lines arrive joined by ", ".
  ['127.0.0.1', 'for=192.0.2.43;by=203.0.113.60;proto=http;host=example.com, for=10.0.0.1', 'loopback, 10.0.0.0/8', '192.0.2.43', ['192.0.2.43', '10.0.0.1']],
  // by= and unknown parameters are ignored; empty pairs and elements skipped.
  ['127.0.0.1', 'by=1.1.1.1;for=192.0.2.60;secret=x;;', 'loopback', '192.0.2.60', ['192.0.2.60']],
  ['127.0.0.1', ' , for=192.0.2.60 ,', 'loopback', '192.0.2.60', ['192.0.2.60']],
  // A quoted comma does not split an element.
  ['127.0.0.1', 'for=192.0.2.1;host="a,b", for=198.51.100.7', true, '192.0.2.1', ['192.0.2.1', '198.51.100.7']],
  // Obfuscated identifiers and unknown stop the walk; the client is the last address reached.
  ['127.0.0.1', 'for=192.0.2.1, for=_hidden, for=10.0.0.1', 'loopback, 10.0.0.0/8', '10.0.0.1', ['10.0.0.1']],
  ['127.0.0.1', 'for=192.0.2.1, for=unknown', true, '127.0.0.1', []],
  // Malformed elements are not addresses.
  ['127.0.0.1', 'for=6.6.6.6, for', true, '127.0.0.1', []],
  ['127.0.0.1', 'for=6.6.6.6, =1.2.3.4', true, '127.0.0.1', []],
  ['127.0.0.1', 'for=6.6.6.6, proto=https', true, '127.0.0.1', []],
  ['127.0.0.1', 'for=6.6.6.6, for=1.2.3.4;for=5.6.7.8', true, '127.0.0.1', []],
  ['127.0.0.1', 'for=6.6.6.6, for=2001:db8::1', true, '127.0.0.1', []],
  ['127.0.0.1', 'for=6.6.6.6, for="1\\.2.3.4"', true, '127.0.0.1', []],
  ['127.0.0.1', 'for=6.6.6.6, for=""', true, '127.0.0.1', []],
  ['127.0.0.1', 'for=6.6.6.6, for=1.2.3.4 junk', true, '127.0.0.1', []],
  // A client's unterminated quote spoils only its own element, never the ones our proxies appended.
  ['127.0.0.1', 'for="6.6.6.6, for=198.51.100.7', 'loopback', '198.51.100.7', ['198.51.100.7']],
  ['127.0.0.1', 'for="6.6.6.6, for=198.51.100.7', true, '198.51.100.7', ['198.51.100.7']],
  ['127.0.0.1', 'for=6.6.6.6;host="x\\", for=198.51.100.7', true, '198.51.100.7', ['198.51.100.7']],
  // The socket is not trusted: the header is ignored.
  ['203.0.113.9', 'for=6.6.6.6', 'loopback', '203.0.113.9', []],
];

test('Forwarded resolution rules', () => {
  for (const [socket, value, trust, ip, ips] of cases) {
    const got = viaForwarded(trust, socket, value);
    const label = `${socket} | ${value} | ${JSON.stringify(trust)}`;
    assert.is(got.ip, ip, label);
    assert.equal(got.ips, ips, label);
  }
});

test('Forwarded: proto= and host= of the closest element, from a trusted peer only', () => {
  const value = 'for=6.6.6.6;proto=http;host=evil.example, for=198.51.100.7;proto=https;host="mcp.example.com:8443"';
  const got = resolve('loopback', '127.0.0.1', { forwarded: value, host: 'agent:3050', 'x-forwarded-proto': 'http' }, 'forwarded');
  assert.is(got.protocol, 'https');
  assert.is(got.secure, true);
  assert.is(got.host, 'mcp.example.com:8443');
  const untrusted = resolve('loopback', '203.0.113.9', { forwarded: value, host: 'agent:3050' }, 'forwarded');
  assert.is(untrusted.protocol, 'http');
  assert.is(untrusted.host, 'agent:3050');
  // X-Forwarded-Proto is not read in forwarded mode: one source per request.
  const mixed = resolve('loopback', '127.0.0.1', { forwarded: 'for=198.51.100.7', 'x-forwarded-proto': 'https' }, 'forwarded');
  assert.is(mixed.protocol, 'http');
});

test('X-Forwarded-For is ignored when Forwarded is the source, and the other way round', () => {
  const headers = { forwarded: 'for=198.51.100.1', 'x-forwarded-for': '198.51.100.2' };
  assert.is(resolve('loopback', '127.0.0.1', headers, 'forwarded').ip, '198.51.100.1');
  assert.is(resolve('loopback', '127.0.0.1', headers, 'x-forwarded-for').ip, '198.51.100.2');
  assert.is(resolve('loopback', '127.0.0.1', headers, 'x-real-ip').ip, '127.0.0.1');
});

test('single-address headers: one hop, believed only from a trusted peer', () => {
  const via = (name, socket, value, trust = 'loopback') => resolve(trust, socket, { [name]: value }, name);
  assert.is(via('x-real-ip', '127.0.0.1', '198.51.100.7').ip, '198.51.100.7');
  assert.equal(via('x-real-ip', '127.0.0.1', '198.51.100.7').ips, ['198.51.100.7']);
  assert.is(via('cf-connecting-ip', '127.0.0.1', '2001:DB8::7').ip, '2001:db8::7');
  assert.is(via('true-client-ip', '::ffff:127.0.0.1', ' 198.51.100.7 ').ip, '198.51.100.7');
  // From an untrusted peer the header is ignored.
  assert.is(via('x-real-ip', '203.0.113.9', '198.51.100.7').ip, '203.0.113.9');
  // One hop even when the value is trusted too, and even with trust = true.
  assert.is(via('x-real-ip', '127.0.0.1', '10.0.0.1', 'loopback, 10.0.0.0/8').ip, '10.0.0.1');
  assert.is(via('x-real-ip', '127.0.0.1', '10.0.0.1, 10.0.0.2', true).ip, '10.0.0.2');
  // Not an address: the peer stays the client.
  assert.is(via('x-real-ip', '127.0.0.1', 'unknown').ip, '127.0.0.1');
  assert.is(via('x-real-ip', '127.0.0.1', '').ip, '127.0.0.1');
  // Header names are case-insensitive in configuration.
  assert.is(resolve('loopback', '127.0.0.1', { 'x-real-ip': '198.51.100.7' }, 'X-Real-IP').ip, '198.51.100.7');
});

test.run();
