import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTrust, TrustEntryError } from '../../dist/index.js';
import { isTrusted, TRUST_ALL, TRUST_HOPS, TRUST_NONE, TRUST_SET } from '../../dist/trust/compile.js';
import { parseIp } from '../../dist/net/address.js';

/** Whether `address` would be trusted as hop `hop` under `option`. */
const trusts = (option, address, hop = 0) => {
  const trust = compileTrust(option);
  return isTrusted(trust, parseIp(address, 0, address.length), hop);
};

const rejects = (option, pattern, index = 0) => {
  try {
    compileTrust(option);
  } catch (err) {
    assert.instance(err, TrustEntryError);
    assert.match(err.message, pattern);
    assert.is(err.index, index);
    return;
  }
  assert.unreachable(`${JSON.stringify(option)} should be rejected`);
};

test('false and "false" trust nothing; true and "true" trust everything', () => {
  for (const v of [false, 'false', 'FALSE']) {
    assert.is(compileTrust(v).kind, TRUST_NONE);
    assert.not.ok(trusts(v, '127.0.0.1'));
  }
  for (const v of [true, 'true', ' True ']) {
    assert.is(compileTrust(v).kind, TRUST_ALL);
    assert.ok(trusts(v, '203.0.113.9', 7));
  }
});

test('hop counts: integer or digit string, hop i trusted when i < n', () => {
  for (const v of [2, '2']) {
    const t = compileTrust(v);
    assert.is(t.kind, TRUST_HOPS);
    assert.is(t.hops, 2);
    assert.ok(trusts(v, '8.8.8.8', 0));
    assert.ok(trusts(v, '8.8.8.8', 1));
    assert.not.ok(trusts(v, '8.8.8.8', 2));
  }
  assert.not.ok(trusts(0, '127.0.0.1', 0));
  // A digit string is a hop count, never an address (1 is not 0.0.0.1).
  assert.is(compileTrust('1').hops, 1);
  rejects(-1, /whole number/);
  rejects(1.5, /whole number/);
});

test('named ranges, case-insensitive', () => {
  const cases = [
    ['loopback', ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1'], ['128.0.0.1', '::2', '10.0.0.1']],
    ['LinkLocal', ['169.254.1.1', 'fe80::1', 'febf::1'], ['169.253.1.1', 'fec0::1']],
    ['uniquelocal', ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.9.9', 'fc00::1', 'fdff::1'], ['172.32.0.1', '11.0.0.1', 'fe00::1']],
  ];
  for (const [name, yes, no] of cases) {
    for (const a of yes) assert.ok(trusts(name, a), `${name} trusts ${a}`);
    for (const a of no) assert.not.ok(trusts(name, a), `${name} does not trust ${a}`);
  }
});

test('addresses, CIDRs, netmasks, /0 and IPv4-mapped forms', () => {
  const cases = [
    ['192.168.1.1', ['192.168.1.1', '::ffff:192.168.1.1'], ['192.168.1.2']],
    ['10.0.0.0/8', ['10.255.0.1'], ['11.0.0.1']],
    ['10.0.0.0/255.0.0.0', ['10.9.9.9'], ['11.9.9.9']],
    ['10.1.2.3/8', ['10.200.0.1'], ['9.0.0.1']],
    ['0.0.0.0/0', ['1.2.3.4', '255.255.255.255'], ['::1']],
    // An IPv6 block covers IPv4 only when it lies inside ::ffff:0:0/96.
    ['::/0', ['::1', '2001:db8::1'], ['1.2.3.4', '::ffff:1.2.3.4']],
    ['::/64', ['::1'], ['127.0.0.1']],
    ['::ffff:0:0/96', ['1.2.3.4', '::ffff:1.2.3.4'], ['::1']],
    ['2001:db8::/32', ['2001:db8:ffff::1'], ['2001:db9::1']],
    ['2001:db8::1', ['2001:DB8:0::1'], ['2001:db8::2']],
    ['::ffff:10.0.0.1', ['10.0.0.1', '::ffff:10.0.0.1'], ['10.0.0.2']],
    ['::ffff:10.0.0.0/104', ['10.3.3.3'], ['11.0.0.1']],
    ['fe80::/10', ['fe80::1%eth0'], ['fec0::1']],
    ['10.0.0.1/32', ['10.0.0.1'], ['10.0.0.0']],
  ];
  for (const [entry, yes, no] of cases) {
    for (const a of yes) assert.ok(trusts(entry, a), `${entry} trusts ${a}`);
    for (const a of no) assert.not.ok(trusts(entry, a), `${entry} does not trust ${a}`);
  }
});

test('lists: comma-separated strings (trimmed) and arrays', () => {
  for (const v of ['loopback, 10.0.0.0/8 ,2001:db8::/32', ['loopback', ' 10.0.0.0/8', '2001:db8::/32']]) {
    assert.is(compileTrust(v).kind, TRUST_SET);
    for (const a of ['127.0.0.1', '10.1.1.1', '2001:db8::5', '::1']) assert.ok(trusts(v, a), a);
    for (const a of ['11.1.1.1', '2001:db9::5']) assert.not.ok(trusts(v, a), a);
  }
});

test('bad entries name the entry and the reason', () => {
  rejects('10.0.0.0/33', /invalid prefix length 33 for IPv4 in "10\.0\.0\.0\/33"/);
  rejects('2001:db8::/129', /invalid prefix length 129 for IPv6/);
  rejects('10.0.0.0/255.0.255.0', /netmask 255\.0\.255\.0 is not contiguous/);
  rejects('loopback,,10.0.0.1', /empty entry/, 1);
  rejects(['loopback', 'bogus'], /"bogus" is not an IP address, CIDR or range name/, 1);
  rejects(['loopback', 'true'], /must stand alone/, 1);
  rejects('loopback, 2', /must stand alone/, 1);
  rejects('', /empty entry/);
  rejects('10.0.0.0/x', /invalid prefix length "x"/);
  rejects('300.1.1.1/8', /"300\.1\.1\.1" is not an IP address/);
  rejects('fe80::1%eth0', /zone ids are not allowed/);
});

test('the summary lists what is trusted in plain words', () => {
  assert.is(compileTrust('loopback').summary, 'trusting 127.0.0.0/8, ::1/128 (loopback)');
  assert.is(compileTrust(['10.0.0.0/255.0.0.0', '::ffff:10.1.0.0/112']).summary, 'trusting 10.0.0.0/8, 10.1.0.0/16');
});

test('large lists match exactly: 10,000 random CIDRs against a brute-force check', () => {
  let seed = 7;
  const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  const entries = [];
  const blocks = [];
  for (let i = 0; i < 10000; i++) {
    const len = 16 + (rand() % 17);
    const net = (rand() & (len === 0 ? 0 : (0xffffffff << (32 - len)))) >>> 0;
    blocks.push([net, len]);
    entries.push(`${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`);
  }
  const trust = compileTrust(entries);
  const inside = (a) => blocks.some(([net, len]) => ((a & (0xffffffff << (32 - len))) >>> 0) === net);
  let hits = 0;
  for (let i = 0; i < 3000; i++) {
    // Half the probes are drawn from inside listed blocks, half are random.
    const [net, len] = blocks[rand() % blocks.length];
    const a = i % 2 ? (net | (rand() & (2 ** (32 - len) - 1))) >>> 0 : rand();
    const text = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
    const expected = inside(a);
    hits += expected ? 1 : 0;
    assert.is(isTrusted(trust, parseIp(text, 0, text.length), 0), expected, text);
  }
  assert.ok(hits > 1000 && hits < 2000, `probes should both hit and miss (hits: ${hits})`);
});

test('large IPv6 lists match exactly against a brute-force check', () => {
  let seed = 99;
  const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  const hex = (n) => n.toString(16);
  const blocks = [];
  for (let i = 0; i < 2000; i++) {
    const len = [48, 56, 64, 100, 128][rand() % 5];
    const groups = Array.from({ length: 8 }, (_, k) => (k < 2 ? [0x2001, 0xdb8][k] : rand() & 0xffff));
    let value = 0n;
    for (const g of groups) value = (value << 16n) | BigInt(g);
    const mask = ((1n << BigInt(len)) - 1n) << BigInt(128 - len);
    blocks.push([value & mask, mask, len]);
  }
  const toText = (v) => Array.from({ length: 8 }, (_, k) => hex(Number((v >> BigInt(112 - 16 * k)) & 0xffffn))).join(':');
  const trust = compileTrust(blocks.map(([net, , len]) => `${toText(net)}/${len}`));
  let hits = 0;
  for (let i = 0; i < 3000; i++) {
    const [net, mask] = blocks[rand() % blocks.length];
    let a = 0n;
    for (let k = 0; k < 8; k++) a = (a << 16n) | BigInt(k < 2 ? [0x2001, 0xdb8][k] : rand() & 0xffff);
    if (i % 2) a = net | (a & ~mask & ((1n << 128n) - 1n));
    const expected = blocks.some(([n, m]) => (a & m) === n);
    hits += expected ? 1 : 0;
    const text = toText(a);
    assert.is(isTrusted(trust, parseIp(text, 0, text.length), 0), expected, text);
  }
  assert.ok(hits > 1000 && hits < 2000, `probes should both hit and miss (hits: ${hits})`);
});

test.run();
